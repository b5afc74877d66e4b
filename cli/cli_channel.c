/*  cli_channel.c - contacts.AddChannel, contacts.RemoveChannel.  */
#include "cli_channel.h"
#include "cli_common.h"

#include <stdio.h>

static const cli_column_t s_columns [] = {
    { "id",         "id",         CLI_COLUMN_ID,   false },
    { "client_id",  "client",     CLI_COLUMN_ID,   true },
    { "person_id",  "person id",  CLI_COLUMN_ID,   true },
    { "person",     "person",     CLI_COLUMN_TEXT, false },     //  with an owner only
    { "type",       "type",       CLI_COLUMN_TEXT, false },
    { "kind",       "kind",       CLI_COLUMN_TEXT, false },
    { "value",      "value",      CLI_COLUMN_TEXT, false },
    { "normalized", "normalized", CLI_COLUMN_TEXT, false },
    { "primary",    "primary",    CLI_COLUMN_JSON, false },
};
#define S_COLUMNS (sizeof s_columns / sizeof s_columns [0])
#define S_OWNER 3

int
cli_channel_columns (cli_output_t *output, bool owner)
{
    if (owner)
        return cli_output_add_columns (output, s_columns, S_COLUMNS);
    if (cli_output_add_columns (output, s_columns, S_OWNER) != 0)
        return -1;
    return cli_output_add_columns (output, s_columns + S_OWNER + 1, S_COLUMNS - S_OWNER - 1);
}

//  The cells of `channel` into cells [S_COLUMNS], the owner's included.
static void
s_cells (const Crmq__Channel *channel, const char *owner_name, char ids [3][24],
         const char **cells)
{
    cells [0] = cli_id_text (channel->id, ids [0], 24);
    cells [1] = cli_id_text (channel->client_id, ids [1], 24);
    cells [2] = cli_id_text (channel->person_id, ids [2], 24);
    cells [3] = owner_name? owner_name: "";
    cells [4] = channel->type;
    cells [5] = channel->kind;
    cells [6] = channel->value;
    cells [7] = channel->normalized;
    cells [8] = cli_bool_text (channel->primary);
}

int
cli_channel_row (cli_output_t *output, const Crmq__Channel *channel, bool owner,
                 const char *owner_name)
{
    char ids [3][24];
    const char *cells [S_COLUMNS];
    s_cells (channel, owner_name, ids, cells);
    if (!owner)             //  the owner's cell out
        for (size_t col = S_OWNER; col + 1 < S_COLUMNS; col++)
            cells [col] = cells [col + 1];
    return cli_output_add_row (output, cells);
}

static int
s_add (cli_context_t *context)
{
    Crmq__ChannelRequest request = CRMQ__CHANNEL_REQUEST__INIT;
    Crmq__Channel channel = CRMQ__CHANNEL__INIT;
    if (cli_args_arg_id (context->args, 0, "CLIENT_ID", &channel.client_id) != 0)
        return CLI_EXIT_USAGE;
    cli_args_fill (context->args, &channel.base);
    request.channel = &channel;
    request.actor = (char *) context->actor;
    Crmq__ChannelReply *reply;
    int rc = cli_call (context->rpc, "contacts.AddChannel", &request.base,
                       &crmq__channel_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (reply->channel) {
        cli_output_t *output = cli_output_new_record (context->format);
        rc = cli_output_finish (&output, output
                                      && cli_channel_columns (output, false) == 0
                                      && cli_channel_row (output, reply->channel, false,
                                                          NULL) == 0);
    }
    else {
        fprintf (stderr, "crmq: contacts.AddChannel: reply without a channel\n");
        rc = CLI_EXIT_FAILURE;
    }
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

static int
s_remove (cli_context_t *context)
{
    Crmq__RemoveRequest request = CRMQ__REMOVE_REQUEST__INIT;
    if (cli_args_arg_id (context->args, 0, "CHANNEL_ID", &request.id) != 0)
        return CLI_EXIT_USAGE;
    request.actor = (char *) context->actor;
    int rc = cli_call (context->rpc, "contacts.RemoveChannel", &request.base, NULL, NULL);
    if (rc == CLI_EXIT_OK)
        rc = cli_output_print_status (context->format, request.id, "removed");
    return rc;
}

static const cli_arg_t s_add_options [] = {
    CLI_REQUIRED ("type",    CLI_ARG_TEXT, "type"),
    CLI_REQUIRED ("value",   CLI_ARG_TEXT, "value"),
    CLI_OPTION   ("kind",    CLI_ARG_TEXT, "kind"),
    CLI_OPTION   ("person",  CLI_ARG_ID,   "person_id"),
    CLI_OPTION   ("primary", CLI_ARG_FLAG, "primary"),
    CLI_ARG_ACTOR_OPTION,
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_arg_t s_remove_options [] = {
    CLI_ARG_ACTOR_OPTION,
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_command_t s_commands [] = {
    { "add",
      "crmq channel add CLIENT_ID --type phone|email|address|messenger|web --value V\n"
      "           [--kind work|mobile|home|fax|other] [--person PERSON_ID] [--primary]\n"
      "           [--actor A] [--format F]",
      "add a phone, e-mail... to a client or person",
      s_add_options, 1, 1, "CLIENT_ID", s_add },
    { "remove",
      "crmq channel remove CHANNEL_ID [--actor A] [--format F]",
      "remove a channel",
      s_remove_options, 1, 1, "CHANNEL_ID", s_remove },
    { NULL, NULL, NULL, NULL, 0, 0, NULL, NULL }
};

const cli_command_t *
cli_channel_commands (void)
{
    return s_commands;
}

/*  cli_interaction.c - contacts.LogInteraction, contacts.ListInteractions,
    contacts.UpdateInteraction.  */
#include "cli_interaction.h"
#include "cli_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cli_column_t s_columns [] = {
    { "id",          "id",          CLI_COLUMN_ID,   false },
    { "client_id",   "client",      CLI_COLUMN_ID,   false },
    { "started_at",  "started",     CLI_COLUMN_TEXT, false },
    { "ended_at",    "ended",       CLI_COLUMN_TEXT, true },
    { "channel",     "channel",     CLI_COLUMN_TEXT, false },
    { "kind",        "kind",        CLI_COLUMN_TEXT, false },
    { "direction",   "direction",   CLI_COLUMN_TEXT, false },
    { "subject",     "subject",     CLI_COLUMN_TEXT, false },
    { "text",        "text",        CLI_COLUMN_TEXT, true },
    { "outcome",     "outcome",     CLI_COLUMN_TEXT, false },
    { "status",      "status",      CLI_COLUMN_TEXT, false },
    { "topic",       "topic",       CLI_COLUMN_TEXT, true },
    { "severity",    "severity",    CLI_COLUMN_TEXT, true },
    { "manager_id",  "manager",     CLI_COLUMN_ID,   false },
    { "person_id",   "person",      CLI_COLUMN_ID,   false },
    { "deal_ref",    "deal",        CLI_COLUMN_TEXT, true },
    { "order_ref",   "order",       CLI_COLUMN_TEXT, true },
    { "lead_ref",    "lead",        CLI_COLUMN_TEXT, true },
    { "attachments", "attachments", CLI_COLUMN_JSON, true },
    { "actor",       "logged by",   CLI_COLUMN_TEXT, true },
    { "created_at",  "logged",      CLI_COLUMN_TEXT, true },
};

int
cli_interaction_columns (cli_output_t *output)
{
    return cli_output_add_columns (output, s_columns, sizeof s_columns / sizeof s_columns [0]);
}

//  The attachments as JSON text: [{ "name", "url", "size_bytes" }, ...].
//  Returns a new string or NULL.
static char *
s_attachments (const Crmq__Interaction *interaction)
{
    json_t *array = json_array ();
    bool built = array != NULL;
    for (size_t i = 0; built && i < interaction->n_attachments; i++) {
        const Crmq__Attachment *attachment = interaction->attachments [i];
        json_t *object = json_pack ("{s:s?, s:s?, s:I}", "name", attachment->name,
                                    "url", attachment->url,
                                    "size_bytes", (json_int_t) attachment->size_bytes);
        built = json_array_append_new (array, object) == 0;
    }
    char *text = built? cli_json_text (array): NULL;
    json_decref (array);
    return text;
}

int
cli_interaction_row (cli_output_t *output, const Crmq__Interaction *interaction,
                     const char *time_zone)
{
    char id [24], client_id [24], manager_id [24], person_id [24];
    char started [40], ended [40], created [40];
    char *attachments = s_attachments (interaction);
    if (!attachments)
        return -1;
    const char *cells [] = {
        cli_id_text (interaction->id, id, sizeof id),
        cli_id_text (interaction->client_id, client_id, sizeof client_id),
        cli_instant_text (interaction->started_at_us, time_zone, started, sizeof started),
        cli_instant_text (interaction->ended_at_us, time_zone, ended, sizeof ended),
        interaction->channel, interaction->kind, interaction->direction, interaction->subject,
        interaction->text, interaction->outcome, interaction->status, interaction->topic,
        interaction->severity,
        cli_id_text (interaction->manager_id, manager_id, sizeof manager_id),
        cli_id_text (interaction->person_id, person_id, sizeof person_id),
        interaction->deal_ref, interaction->order_ref, interaction->lead_ref, attachments,
        interaction->actor,
        cli_instant_text (interaction->created_at_us, time_zone, created, sizeof created)
    };
    int rc = cli_output_add_row (output, cells);
    free (attachments);
    return rc;
}

//  Calls `method` (LogInteraction, UpdateInteraction) and prints the
//  interaction it answers with as a record.
static int
s_write (cli_context_t *context, const char *method, Crmq__InteractionRequest *request)
{
    request->actor = (char *) context->actor;
    Crmq__InteractionReply *reply;
    int rc = cli_call (context->rpc, method, &request->base,
                       &crmq__interaction_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (reply->interaction) {
        cli_output_t *output = cli_output_new_record (context->format);
        rc = cli_output_finish (&output, output && cli_interaction_columns (output) == 0
                                      && cli_interaction_row (output, reply->interaction,
                                                              context->time_zone) == 0);
    }
    else {
        fprintf (stderr, "crmq: %s: reply without an interaction\n", method);
        rc = CLI_EXIT_FAILURE;
    }
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

//  Reads "NAME,URL[,SIZE]" into an Attachment (strings point into `text`,
//  which is cut).  Returns 0 or -1.
static int
s_attachment_parse (char *text, ProtobufCMessage *message)
{
    Crmq__Attachment *attachment = (Crmq__Attachment *) message;
    char *url = strchr (text, ',');
    if (!url || url == text)
        return -1;
    *url++ = 0;
    char *size = strrchr (url, ',');
    long long bytes;
    if (size && cli_int_parse (size + 1, 0, INT64_MAX, &bytes) == 0) {
        *size = 0;
        attachment->size_bytes = bytes;
    }
    if (!*url)
        return -1;
    attachment->name = text;
    attachment->url = url;
    return 0;
}

static int
s_log (cli_context_t *context)
{
    cli_args_t *args = context->args;
    Crmq__Interaction interaction = CRMQ__INTERACTION__INIT;
    if (cli_args_arg_id (args, 0, "CLIENT_ID", &interaction.client_id) != 0)
        return CLI_EXIT_USAGE;
    void **attachments;
    int rc = cli_args_messages (args, "attach", &crmq__attachment__descriptor,
                                s_attachment_parse, "NAME,URL,SIZE",
                                &attachments, &interaction.n_attachments);
    if (rc != 0)
        return rc;
    interaction.attachments = (Crmq__Attachment **) attachments;
    cli_args_fill (args, &interaction.base);
    if (!cli_args_has (args, "at"))
        interaction.started_at_us = crmq_time_now_us ();
    Crmq__InteractionRequest request = CRMQ__INTERACTION_REQUEST__INIT;
    request.interaction = &interaction;
    return s_write (context, "contacts.LogInteraction", &request);
}

static int
s_update (cli_context_t *context)
{
    cli_args_t *args = context->args;
    Crmq__Interaction interaction = CRMQ__INTERACTION__INIT;
    if (cli_args_arg_id (args, 0, "ID", &interaction.id) != 0)
        return CLI_EXIT_USAGE;
    Crmq__InteractionRequest request = CRMQ__INTERACTION_REQUEST__INIT;
    request.n_fields = cli_args_fields (args, &crmq__interaction__descriptor, &request.fields);
    if (request.n_fields == 0)
        return cli_args_usage (args, "interaction update: nothing to change");
    cli_args_fill (args, &interaction.base);
    request.interaction = &interaction;
    return s_write (context, "contacts.UpdateInteraction", &request);
}

static int
s_list (cli_context_t *context)
{
    cli_args_t *args = context->args;
    if (cli_args_has (args, "client") == cli_args_has (args, "manager"))
        return cli_args_usage (args, "interaction list takes --client ID or --manager ID");
    Crmq__ListInteractionsRequest request = CRMQ__LIST_INTERACTIONS_REQUEST__INIT;
    cli_args_fill (args, &request.base);
    Crmq__Period period = CRMQ__PERIOD__INIT;
    period.from_us = cli_args_number (args, "from");
    period.to_us = cli_args_number (args, "to");
    if (period.from_us || period.to_us)
        request.period = &period;
    Crmq__ListInteractionsReply *reply;
    int rc = cli_call (context->rpc, "contacts.ListInteractions", &request.base,
                       &crmq__list_interactions_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    cli_output_t *output = cli_output_new (context->format);
    bool built = output && cli_interaction_columns (output) == 0;
    for (size_t i = 0; built && i < reply->n_interactions; i++)
        built = cli_interaction_row (output, reply->interactions [i], context->time_zone) == 0;
    rc = cli_output_finish (&output, built);
    if (rc == CLI_EXIT_OK && reply->next_before_id)
        cli_args_more (args, "before", reply->next_before_id);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

static const cli_arg_t s_log_options [] = {
    CLI_REQUIRED ("channel",   CLI_ARG_TEXT, "channel"),
    CLI_OPTION   ("kind",      CLI_ARG_TEXT, "kind"),
    CLI_OPTION   ("direction", CLI_ARG_TEXT, "direction"),
    CLI_OPTION   ("subject",   CLI_ARG_TEXT, "subject"),
    CLI_OPTION   ("text",      CLI_ARG_TEXT, "text"),
    CLI_OPTION   ("outcome",   CLI_ARG_TEXT, "outcome"),
    CLI_OPTION   ("at",        CLI_ARG_TIME, "started_at_us"),
    CLI_OPTION   ("end",       CLI_ARG_TIME, "ended_at_us"),
    CLI_OPTION   ("manager",   CLI_ARG_ID,   "manager_id"),
    CLI_OPTION   ("person",    CLI_ARG_ID,   "person_id"),
    CLI_OPTION   ("deal",      CLI_ARG_TEXT, "deal_ref"),
    CLI_OPTION   ("order",     CLI_ARG_TEXT, "order_ref"),
    CLI_OPTION   ("lead",      CLI_ARG_TEXT, "lead_ref"),
    CLI_OPTION   ("attach",    CLI_ARG_LIST, NULL),
    CLI_OPTION   ("topic",     CLI_ARG_TEXT, "topic"),
    CLI_OPTION   ("severity",  CLI_ARG_TEXT, "severity"),
    CLI_OPTION   ("status",    CLI_ARG_TEXT, "status"),
    CLI_ARG_ACTOR_OPTION,
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_arg_t s_list_options [] = {
    CLI_OPTION ("client",  CLI_ARG_ID,   "client_id"),
    CLI_OPTION ("manager", CLI_ARG_ID,   "manager_id"),
    CLI_OPTION ("channel", CLI_ARG_LIST, "channels"),
    CLI_OPTION ("kind",    CLI_ARG_LIST, "kinds"),
    CLI_OPTION ("from",    CLI_ARG_DATE, NULL),
    CLI_OPTION ("to",      CLI_ARG_DATE, NULL),
    CLI_RANGE  ("limit",   "limit", 1, 1000),
    CLI_OPTION ("before",  CLI_ARG_ID,   "before_id"),
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

//  Fields UpdateInteraction may set: the names of Interaction fields.
static const cli_arg_t s_update_options [] = {
    CLI_OPTION ("status",  CLI_ARG_TEXT, "status"),
    CLI_OPTION ("outcome", CLI_ARG_TEXT, "outcome"),
    CLI_OPTION ("end",     CLI_ARG_TIME, "ended_at_us"),
    CLI_OPTION ("text",    CLI_ARG_TEXT, "text"),
    CLI_ARG_ACTOR_OPTION,
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_command_t s_commands [] = {
    { "log",
      "crmq interaction log CLIENT_ID --channel call|email|meeting|message|web|other\n"
      "           [--kind contact|request|complaint|note] [--direction in|out] [--subject S]\n"
      "           [--text T] [--outcome O] [--at TIME] [--end TIME] [--manager ID]\n"
      "           [--person ID] [--deal REF] [--order REF] [--lead REF]\n"
      "           [--attach NAME,URL,SIZE]... [--topic T] [--severity S] [--status S]\n"
      "           [--actor A] [--format F]",
      "log a contact, request, complaint or note",
      s_log_options, 1, 1, "CLIENT_ID", s_log },
    { "list",
      "crmq interaction list (--client ID | --manager ID) [--channel C]... [--kind K]...\n"
      "           [--from DATE] [--to DATE] [--limit N] [--before ID] [--format F]",
      "history of a client or manager, newest first",
      s_list_options, 0, 0, NULL, s_list },
    { "update",
      "crmq interaction update ID [--status S] [--outcome O] [--end TIME] [--text T]\n"
      "           [--actor A] [--format F]",
      "change status, outcome, end or text",
      s_update_options, 1, 1, "ID", s_update },
    { NULL, NULL, NULL, NULL, 0, 0, NULL, NULL }
};

const cli_command_t *
cli_interaction_commands (void)
{
    return s_commands;
}

/*  cli_bus.c - bus.Consumers, bus.DropConsumer; see cli_bus.h.  */
#include "cli_bus.h"
#include "cli_common.h"

#include <stdio.h>
#include <stdlib.h>

//  cli_call to crmq-bus; when the bus did not answer at all, adds which
//  setting names its endpoint.
static int
s_call (cli_context_t *context, const char *method, const ProtobufCMessage *request,
        const ProtobufCMessageDescriptor *reply_type, ProtobufCMessage **reply)
{
    int rc = cli_call (context->rpc, method, request, reply_type, reply);
    const char *endpoint = crmq_config_str (context->config, "bus_endpoint");
    const char *message = crmq_rpc_client_message (context->rpc);
    if (rc != CLI_EXIT_OK && message && strstr (message, endpoint))
        fprintf (stderr, "crmq: is crmq-bus running at %s?  CRMQ_BUS_ENDPOINT sets where"
                 " its requests go\n", endpoint);
    return rc;
}

static int
s_consumers (cli_context_t *context)
{
    Crmq__ConsumersRequest request = CRMQ__CONSUMERS_REQUEST__INIT;
    Crmq__ConsumersReply *reply;
    int rc = s_call (context, "bus.Consumers", &request.base, &crmq__consumers_reply__descriptor,
                     (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    static const cli_column_t columns [] = {
        { "name",     "name",     CLI_COLUMN_TEXT,    false },
        { "prefix",   "prefix",   CLI_COLUMN_TEXT,    false },
        { "position", "position", CLI_COLUMN_ID,      false },
        { "lag",      "lag",      CLI_COLUMN_INTEGER, false },
        { "updated",  "updated",  CLI_COLUMN_TEXT,    false },
    };
    cli_output_t *output = cli_output_new (context->format);
    bool built = output && cli_output_add_columns (output, columns, 5) == 0;
    char title [128];
    snprintf (title, sizeof title, "published up to seq %" PRId64 ", oldest kept %" PRId64,
              reply->published_seq, reply->first_seq);
    if (built)
        cli_output_set_title (output, title);
    for (size_t i = 0; built && i < reply->n_consumers; i++) {
        const Crmq__ConsumerInfo *consumer = reply->consumers [i];
        char position [24], lag [24], updated [40];
        snprintf (position, sizeof position, "%" PRId64, consumer->position);
        int64_t behind = reply->published_seq - consumer->position;
        snprintf (lag, sizeof lag, "%" PRId64, behind > 0? behind: 0);
        const char *cells [] = {
            consumer->name, consumer->topic_prefix, position, lag,
            cli_instant_text (consumer->updated_us, context->time_zone, updated, sizeof updated)
        };
        built = cli_output_add_row (output, cells) == 0;
    }
    rc = cli_output_finish (&output, built);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

static int
s_drop_consumer (cli_context_t *context)
{
    Crmq__DropConsumerRequest request = CRMQ__DROP_CONSUMER_REQUEST__INIT;
    request.name = (char *) cli_args_arg (context->args, 0);
    request.force = cli_args_has (context->args, "force");
    Crmq__DropConsumerReply *reply;
    int rc = s_call (context, "bus.DropConsumer", &request.base,
                     &crmq__drop_consumer_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    bool dropped = reply->dropped;
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    if (!dropped) {
        fprintf (stderr, "crmq: bus.DropConsumer: no consumer \"%s\"\n", request.name);
        return CLI_EXIT_FAILURE;
    }
    static const cli_column_t columns [] = {
        { "name",   "name",   CLI_COLUMN_TEXT, false },
        { "status", "status", CLI_COLUMN_TEXT, false },
    };
    const char *cells [] = { request.name, "dropped" };
    return cli_output_print_record (context->format, columns, 2, cells);
}

static const cli_arg_t s_format_only [] = {
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_arg_t s_drop_args [] = {
    CLI_OPTION ("force", CLI_ARG_FLAG, NULL),
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_command_t s_commands [] = {
    { "consumers",
      "crmq bus consumers [--format F]",
      "registered consumers of the event log: position, lag, last move",
      s_format_only, 0, 0, NULL, s_consumers },
    { "drop-consumer",
      "crmq bus drop-consumer NAME [--force] [--format F]",
      "forget a consumer that will not come back (frees the log's retention);\n"
      "one active in the last minute only with --force",
      s_drop_args, 1, 1, "NAME", s_drop_consumer },
    { NULL, NULL, NULL, NULL, 0, 0, NULL, NULL }
};

const cli_command_t *
cli_bus_commands (void)
{
    return s_commands;
}

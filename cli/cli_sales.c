/*  cli_sales.c - sales.Unresolved; see cli_sales.h.  */
#include "cli_sales.h"
#include "cli_common.h"

#include <stdio.h>
#include <stdlib.h>

static int
s_unresolved (cli_context_t *context)
{
    Crmq__UnresolvedRequest request = CRMQ__UNRESOLVED_REQUEST__INIT;
    cli_args_fill (context->args, &request.base);
    Crmq__UnresolvedReply *reply;
    int rc = cli_call (context->rpc, "sales.Unresolved", &request.base,
                       &crmq__unresolved_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    static const cli_column_t columns [] = {
        { "kind",                "kind",         CLI_COLUMN_TEXT, false },
        { "external_id",         "number",       CLI_COLUMN_TEXT, false },
        { "event_id",            "event",        CLI_COLUMN_TEXT, false },
        { "missing_kind",        "waits for",    CLI_COLUMN_TEXT, false },
        { "missing_external_id", "number",       CLI_COLUMN_TEXT, false },
        { "received_at",         "received",     CLI_COLUMN_TEXT, false },
    };
    cli_output_t *output = cli_output_new (context->format);
    bool built = output && cli_output_add_columns (output, columns, 6) == 0;
    for (size_t i = 0; built && i < reply->n_documents; i++) {
        const Crmq__UnresolvedDocument *document = reply->documents [i];
        char received [40];
        const char *cells [] = {
            document->kind, document->external_id, document->event_id, document->missing_kind,
            document->missing_external_id,
            cli_instant_text (document->received_at_us, context->time_zone, received,
                              sizeof received) };
        built = cli_output_add_row (output, cells) == 0;
    }
    rc = cli_output_finish (&output, built);
    if (rc == CLI_EXIT_OK && context->format == CLI_FORMAT_TABLE)
        printf ("%" PRId64 " document%s wait%s\n", reply->total, reply->total == 1? "": "s",
                reply->total == 1? "s": "");
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

static const cli_arg_t s_unresolved_options [] = {
    CLI_RANGE ("limit", "limit", 1, 10000),
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_command_t s_commands [] = {
    { "unresolved",
      "crmq sales unresolved [--limit N] [--format F]",
      "ERP documents waiting for the order or invoice they name",
      s_unresolved_options, 0, 0, NULL, s_unresolved },
    { NULL, NULL, NULL, NULL, 0, 0, NULL, NULL }
};

const cli_command_t *
cli_sales_commands (void)
{
    return s_commands;
}

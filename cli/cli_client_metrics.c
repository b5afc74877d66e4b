/*  cli_client_metrics.c - `crmq report client-metrics`; see
    cli_client_metrics.h.  */
#include "cli_client_metrics.h"
#include "cli_common.h"
#include "cli_output.h"

static const cli_column_t s_columns [] = {
    { "client_id",      "client",         CLI_COLUMN_ID,      false },
    { "external_id",    "external id",    CLI_COLUMN_TEXT,    false },
    { "orders",         "orders",         CLI_COLUMN_INTEGER, false },
    { "first_order",    "first order",    CLI_COLUMN_TEXT,    false },
    { "last_order",     "last order",     CLI_COLUMN_TEXT,    false },
    { "orders_amount",  "order totals",   CLI_COLUMN_DECIMAL, true  },
    { "returns",        "returns",        CLI_COLUMN_INTEGER, false },
    { "returns_amount", "returned",       CLI_COLUMN_DECIMAL, true  },
    { "revenue",        "revenue",        CLI_COLUMN_DECIMAL, false },
    { "shipments",      "shipments",      CLI_COLUMN_INTEGER, false },
    { "late_shipments", "late shipments", CLI_COLUMN_INTEGER, false },
    { "payments",       "payments",       CLI_COLUMN_INTEGER, false },
    { "late_payments",  "late payments",  CLI_COLUMN_INTEGER, false },
    { "updated_at",     "updated",        CLI_COLUMN_TEXT,    true  },
    { "last_seq",       "last event",     CLI_COLUMN_ID,      true  }
};
#define S_COLUMNS (sizeof s_columns / sizeof s_columns [0])

static char *
s_money_text (const Crmq__Money *money, char *buf, size_t size)
{
    return cli_decimal_text (money? money->units: 0, money? money->nanos: 0, 2, buf, size);
}

//  Adds one row of metrics to the output.  Returns 0 or -1.
static int
s_add_row (cli_output_t *output, const Crmq__ClientMetrics *row, const char *time_zone)
{
    char id [24], orders [24], first [32], last [32], orders_amount [48], returns [24],
         returned [48], revenue [48], shipments [24], late_shipments [24], payments [24],
         late_payments [24], updated [32], seq [24];
    snprintf (orders, sizeof orders, "%" PRId64, row->orders);
    snprintf (returns, sizeof returns, "%" PRId64, row->returns);
    snprintf (shipments, sizeof shipments, "%" PRId64, row->shipments);
    snprintf (late_shipments, sizeof late_shipments, "%" PRId64, row->late_shipments);
    snprintf (payments, sizeof payments, "%" PRId64, row->payments);
    snprintf (late_payments, sizeof late_payments, "%" PRId64, row->late_payments);
    const char *cells [S_COLUMNS] = {
        cli_id_text (row->client_id, id, sizeof id),
        row->client_external_id,
        orders,
        cli_instant_text (row->first_order_at_us, time_zone, first, sizeof first),
        cli_instant_text (row->last_order_at_us, time_zone, last, sizeof last),
        s_money_text (row->orders_amount, orders_amount, sizeof orders_amount),
        returns,
        s_money_text (row->returns_amount, returned, sizeof returned),
        s_money_text (row->revenue, revenue, sizeof revenue),
        shipments, late_shipments, payments, late_payments,
        cli_instant_text (row->updated_at_us, time_zone, updated, sizeof updated),
        cli_id_text (row->last_seq, seq, sizeof seq)
    };
    return cli_output_add_row (output, cells);
}

//  JSON: { "as_of_seq": N, "rows": [...] }.  Returns CLI_EXIT_OK or
//  CLI_EXIT_FAILURE (printed).
static int
s_print_json (cli_output_t *output, int64_t as_of_seq)
{
    json_t *root = json_object ();
    bool built = root
              && json_object_set_new (root, "as_of_seq", json_integer (as_of_seq)) == 0
              && json_object_set_new (root, "rows", cli_output_json (output)) == 0;
    int rc = cli_json_print_stdout (root, built);
    json_decref (root);
    return rc;
}

static int
s_client_metrics (cli_context_t *context)
{
    Crmq__ClientMetricsRequest request = CRMQ__CLIENT_METRICS_REQUEST__INIT;
    cli_args_fill (context->args, &request.base);
    if (request.n_client_ids && cli_args_has (context->args, "limit"))
        return cli_args_usage (context->args, "--limit is for the top clients, not with --client");
    Crmq__ClientMetricsReply *reply;
    int rc = cli_call (context->rpc, "analytics.ClientMetrics", &request.base,
                       &crmq__client_metrics_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    cli_output_t *output = cli_output_new (context->format);
    bool built = output && cli_output_add_columns (output, s_columns, S_COLUMNS) == 0;
    for (size_t i = 0; built && i < reply->n_rows; i++)
        built = s_add_row (output, reply->rows [i], context->time_zone) == 0;
    if (built) {
        char title [128];
        if (request.n_client_ids)
            snprintf (title, sizeof title, "Client metrics as of event %" PRId64,
                      reply->as_of_seq);
        else
            snprintf (title, sizeof title, "Client metrics, top %zu by revenue, as of event %"
                      PRId64, reply->n_rows, reply->as_of_seq);
        cli_output_set_title (output, title);
    }
    if (built && context->format == CLI_FORMAT_JSON) {
        rc = s_print_json (output, reply->as_of_seq);
        cli_output_destroy (&output);
    }
    else
        rc = cli_output_finish (&output, built);
    crmq__client_metrics_reply__free_unpacked (reply, NULL);
    return rc;
}

static const cli_arg_t s_options [] = {
    CLI_OPTION ("client", CLI_ARG_IDS, "client_ids"),
    CLI_RANGE  ("limit", "limit", 1, 10000),
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_command_t s_commands [] = {
    { "client-metrics", CLI_CLIENT_METRICS_USAGE,
      "per-client metrics kept from the event log",
      s_options, 0, 0, NULL, s_client_metrics },
    { NULL, NULL, NULL, NULL, 0, 0, NULL, NULL }
};

const cli_command_t *
cli_client_metrics_commands (void)
{
    return s_commands;
}

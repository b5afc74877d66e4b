/*  cli_report.c - analytics reports: client base and ABC (client-metrics
    in cli_client_metrics.c).  */
#include "cli_report.h"
#include "cli_client_metrics.h"
#include "cli_common.h"
#include "cli_output.h"
#include "cli_report_html.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *report;             //  "base", "abc"
    const char *from_text, *to_text;
    Crmq__Period period;
    const char *measure;            //  abc
    bool clients;                   //  abc
    cli_format_t format;
} s_options_t;

//  Parses the options shared by the reports.  Returns 0 or CLI_EXIT_USAGE
//  (printed).
static int
s_parse (crmq_config_t *config, int argc, char **argv, s_options_t *options)
{
    static const struct option long_options [] = {
        { "from",    required_argument, NULL, 'f' },
        { "to",      required_argument, NULL, 't' },
        { "format",  required_argument, NULL, 'F' },
        { "measure", required_argument, NULL, 'm' },
        { "clients", no_argument,       NULL, 'c' },
        { NULL, 0, NULL, 0 }
    };
    const char *time_zone = crmq_config_str (config, "time_zone");
    crmq__period__init (&options->period);
    options->report = argv [0];
    options->measure = "revenue";
    options->format = CLI_FORMAT_TABLE;
    bool abc = streq (options->report, "abc");
    cli_options_seen_t seen = { 0 };
    optind = 0;
    opterr = 0;
    int option;
    while ((option = getopt_long (argc, argv, ":", long_options, NULL)) != -1) {
        if (cli_option_once (&seen, long_options, option, CLI_REPORT_USAGE) != 0)
            return CLI_EXIT_USAGE;
        switch (option) {
            case 'f':
            case 't': {
                int64_t *us = option == 'f'? &options->period.from_us: &options->period.to_us;
                if (cli_date_parse (optarg, time_zone, us) != 0)
                    return cli_usage (CLI_REPORT_USAGE, "--%s: \"%s\" is not a date YYYY-MM-DD "
                                      "(CRMQ_TIME_ZONE %s)", option == 'f'? "from": "to",
                                      optarg, time_zone);
                if (option == 'f')
                    options->from_text = optarg;
                else
                    options->to_text = optarg;
                break;
            }
            case 'F':
                if (cli_format_parse (optarg, &options->format) != 0)
                    return cli_usage (CLI_REPORT_USAGE, "--format: \"%s\" is not table, csv "
                                      "or json", optarg);
                break;
            case 'm':
                if (!abc)
                    return cli_usage (CLI_REPORT_USAGE, "--measure is for report abc");
                if (!streq (optarg, "revenue") && !streq (optarg, "quantity")
                &&  !streq (optarg, "orders"))
                    return cli_usage (CLI_REPORT_USAGE, "--measure: \"%s\" is not revenue, "
                                      "quantity or orders", optarg);
                options->measure = optarg;
                break;
            case 'c':
                if (!abc)
                    return cli_usage (CLI_REPORT_USAGE, "--clients is for report abc");
                options->clients = true;
                break;
            case ':':
                return cli_usage (CLI_REPORT_USAGE, "%s needs a value", argv [optind - 1]);
            default:
                return cli_usage (CLI_REPORT_USAGE, "unknown option %s", argv [optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage (CLI_REPORT_USAGE, "unexpected argument \"%s\"", argv [optind]);
    if (options->from_text && options->to_text
    &&  options->period.from_us >= options->period.to_us)
        return cli_usage (CLI_REPORT_USAGE, "--to %s is not after --from %s",
                          options->to_text, options->from_text);
    return 0;
}

//  The period for a title, saying which bound is excluded: "all time",
//  "1996-07-04 to 1998-05-07 (excluded)", "from 1996-07-04",
//  "before 1998-05-07".
static void
s_period_text (const s_options_t *options, char *buf, size_t size)
{
    if (options->from_text && options->to_text)
        snprintf (buf, size, "%s to %s (excluded)", options->from_text, options->to_text);
    else
    if (options->from_text)
        snprintf (buf, size, "from %s", options->from_text);
    else
    if (options->to_text)
        snprintf (buf, size, "before %s", options->to_text);
    else
        snprintf (buf, size, "all time");
}

static char *
s_money_text (const Crmq__Money *money, char *buf, size_t size)
{
    return cli_decimal_text (money? money->units: 0, money? money->nanos: 0, 2, buf, size);
}

//  --------------------------------------------------------------------------
//  Client base

static int
s_base (crmq_rpc_client_t *client, const s_options_t *options)
{
    Crmq__ClientBaseRequest request = CRMQ__CLIENT_BASE_REQUEST__INIT;
    request.period = (Crmq__Period *) &options->period;
    Crmq__ClientBaseReply *reply;
    int rc = cli_call (client, "analytics.ClientBase", &request.base,
                       &crmq__client_base_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;

    cli_output_t *output = cli_output_new (options->format);
    if (!output) {
        crmq__client_base_reply__free_unpacked (reply, NULL);
        return CLI_EXIT_FAILURE;
    }
    char title [128], period [64];
    s_period_text (options, period, sizeof period);
    snprintf (title, sizeof title, "Client base, %s", period);
    cli_output_set_title (output, title);
    cli_output_set_record (output, true);
    cli_output_add_column (output, "clients", "clients", CLI_COLUMN_INTEGER);
    cli_output_add_column (output, "clients_with_orders", "clients with orders", CLI_COLUMN_INTEGER);
    cli_output_add_column (output, "orders", "orders", CLI_COLUMN_INTEGER);
    cli_output_add_column (output, "lines", "order lines", CLI_COLUMN_INTEGER);
    cli_output_add_column (output, "revenue", "revenue", CLI_COLUMN_DECIMAL);
    cli_output_add_column (output, "average_order", "average order", CLI_COLUMN_DECIMAL);

    char clients [24], with_orders [24], orders [24], lines [24], revenue [48], average [48];
    snprintf (clients, sizeof clients, "%" PRId64, reply->clients);
    snprintf (with_orders, sizeof with_orders, "%" PRId64, reply->clients_with_orders);
    snprintf (orders, sizeof orders, "%" PRId64, reply->orders);
    snprintf (lines, sizeof lines, "%" PRId64, reply->lines);
    const char *row [] = {
        clients, with_orders, orders, lines,
        s_money_text (reply->revenue, revenue, sizeof revenue),
        s_money_text (reply->average_order, average, sizeof average)
    };
    rc = cli_output_add_row (output, row) == 0? cli_output_print_stdout (output): CLI_EXIT_FAILURE;
    cli_output_destroy (&output);
    crmq__client_base_reply__free_unpacked (reply, NULL);
    return rc;
}

//  --------------------------------------------------------------------------
//  ABC

//  An exact decimal as its shortest text ("0.800712345", "0"); "?" when
//  malformed.
static char *
s_exact_text (int64_t units, int32_t nanos, char *buf, size_t size)
{
    if (crmq_decimal_format (units, nanos, buf, size) < 0)
        snprintf (buf, size, "?");
    return buf;
}

//  The measure's value as text: money with cents, order counts whole, other
//  quantities as they come; never rounded (a value with more digits than
//  its measure's usual scale keeps them).
static char *
s_value_text (const char *measure, const Crmq__Decimal *value, char *buf, size_t size)
{
    int64_t units = value? value->units: 0;
    int32_t nanos = value? value->nanos: 0;
    if (streq (measure, "revenue") && nanos % 10000000 == 0)
        return cli_decimal_text (units, nanos, 2, buf, size);
    if (streq (measure, "orders") && nanos == 0)
        return cli_decimal_text (units, nanos, 0, buf, size);
    return s_exact_text (units, nanos, buf, size);
}

//  A share (fraction) as the table shows it, a percentage with one decimal
//  ("80.1"), or, `exact`, as the fraction the service sent ("0.800712345").
static char *
s_share_text (int64_t units, int32_t nanos, bool exact, char *buf, size_t size)
{
    return exact? s_exact_text (units, nanos, buf, size)
                : cli_percent_text (units, nanos, buf, size);
}

//  The classes as a list: `exact` (CSV, JSON) with shares as fractions and
//  no footer, else with percentages and a total footer.
static cli_output_t *
s_abc_classes (const s_options_t *options, const Crmq__AbcReply *reply, const char *measure,
               bool exact)
{
    cli_output_t *output = cli_output_new (options->format);
    if (!output)
        return NULL;
    char title [160], period [64];
    s_period_text (options, period, sizeof period);
    snprintf (title, sizeof title, "ABC analysis of clients by %s, %s", measure, period);
    cli_output_set_title (output, title);
    cli_column_type_t value_type = streq (measure, "orders") && !exact
                                 ? CLI_COLUMN_INTEGER: CLI_COLUMN_DECIMAL;
    cli_output_add_column (output, "class", "class", CLI_COLUMN_TEXT);
    cli_output_add_column (output, "clients", "clients", CLI_COLUMN_INTEGER);
    cli_output_add_column (output, "value", measure, value_type);
    cli_output_add_column (output, exact? "share": "share_pct", "share %", CLI_COLUMN_DECIMAL);

    int64_t clients_total = 0, share_units = 0;
    int32_t share_nanos = 0;
    char clients [24], value [48], share [48];
    for (size_t i = 0; i < reply->n_classes; i++) {
        const Crmq__AbcClass *abc_class = reply->classes [i];
        const Crmq__Decimal *class_share = abc_class->share;
        snprintf (clients, sizeof clients, "%" PRId64, abc_class->clients);
        const char *row [] = {
            abc_class->abc_class, clients,
            s_value_text (measure, abc_class->value, value, sizeof value),
            s_share_text (class_share? class_share->units: 0, class_share? class_share->nanos: 0,
                          exact, share, sizeof share)
        };
        if (cli_output_add_row (output, row) != 0) {
            cli_output_destroy (&output);
            return NULL;
        }
        clients_total += abc_class->clients;
        if (class_share)
            cli_decimal_add (&share_units, &share_nanos, class_share->units, class_share->nanos);
    }
    if (exact)
        return output;
    snprintf (clients, sizeof clients, "%" PRId64, clients_total);
    const char *total [] = {
        "total", clients, s_value_text (measure, reply->total, value, sizeof value),
        cli_percent_text (share_units, share_nanos, share, sizeof share)
    };
    if (cli_output_add_footer (output, total) != 0)
        cli_output_destroy (&output);
    return output;
}

//  The clients as a list, by rank; shares as in s_abc_classes.  The
//  cumulative share includes the client's own.
static cli_output_t *
s_abc_clients (const s_options_t *options, const Crmq__AbcReply *reply, const char *measure,
               bool exact)
{
    cli_output_t *output = cli_output_new (options->format);
    if (!output)
        return NULL;
    cli_column_type_t value_type = streq (measure, "orders") && !exact
                                 ? CLI_COLUMN_INTEGER: CLI_COLUMN_DECIMAL;
    cli_output_add_column (output, "rank", "rank", CLI_COLUMN_ID);
    cli_output_add_column (output, "class", "class", CLI_COLUMN_TEXT);
    cli_output_add_column (output, "external_id", "external id", CLI_COLUMN_TEXT);
    cli_output_add_column (output, "name", "name", CLI_COLUMN_TEXT);
    cli_output_add_column (output, "value", measure, value_type);
    cli_output_add_column (output, exact? "share": "share_pct", "share %", CLI_COLUMN_DECIMAL);
    cli_output_add_column (output, exact? "cumulative_share": "cumulative_pct", "cumulative %",
                           CLI_COLUMN_DECIMAL);

    char rank [24], value [48], share [48], cumulative [48];
    for (size_t i = 0; i < reply->n_rows; i++) {
        const Crmq__AbcRow *row = reply->rows [i];
        //  The wire carries the share of the clients before this one;
        //  the output shows the running total including it.
        int64_t cum_units = row->cumulative_share? row->cumulative_share->units: 0;
        int32_t cum_nanos = row->cumulative_share? row->cumulative_share->nanos: 0;
        if (row->share)
            cli_decimal_add (&cum_units, &cum_nanos, row->share->units, row->share->nanos);
        snprintf (rank, sizeof rank, "%zu", i + 1);
        const char *cells [] = {
            rank, row->abc_class, row->external_id, row->name,
            s_value_text (measure, row->value, value, sizeof value),
            s_share_text (row->share? row->share->units: 0, row->share? row->share->nanos: 0,
                          exact, share, sizeof share),
            s_share_text (cum_units, cum_nanos, exact, cumulative, sizeof cumulative)
        };
        if (cli_output_add_row (output, cells) != 0) {
            cli_output_destroy (&output);
            return NULL;
        }
    }
    return output;
}

//  A date option as JSON: its text, or null when not given.
static json_t *
s_json_date (const char *text)
{
    return text? json_string (text): json_null ();
}

//  The whole report as one JSON object: measure, period, total, classes and,
//  with --clients, rows.  Returns 0 or CLI_EXIT_FAILURE (printed).
static int
s_abc_json (const s_options_t *options, const Crmq__AbcReply *reply, const char *measure)
{
    cli_output_t *classes = s_abc_classes (options, reply, measure, true);
    cli_output_t *clients = options->clients? s_abc_clients (options, reply, measure, true): NULL;
    char total [48];
    json_t *root = json_object ();
    json_t *period = json_object ();
    bool built = root && period && classes && (clients || !options->clients);
    if (built)
        built = json_object_set_new (root, "measure", json_string (measure)) == 0
             && json_object_set_new (period, "from", s_json_date (options->from_text)) == 0
             && json_object_set_new (period, "to", s_json_date (options->to_text)) == 0
             && json_object_set (root, "period", period) == 0
             && json_object_set_new (root, "total", json_string (
                    s_value_text (measure, reply->total, total, sizeof total))) == 0
             && json_object_set_new (root, "classes", cli_output_json (classes)) == 0
             && (!clients || json_object_set_new (root, "rows", cli_output_json (clients)) == 0);
    int rc = cli_json_print_stdout (root, built);
    json_decref (period);
    json_decref (root);
    cli_output_destroy (&classes);
    cli_output_destroy (&clients);
    return rc;
}

static int
s_abc (crmq_rpc_client_t *client, const s_options_t *options)
{
    Crmq__AbcRequest request = CRMQ__ABC_REQUEST__INIT;
    request.period = (Crmq__Period *) &options->period;
    request.measure = (char *) options->measure;
    Crmq__AbcReply *reply;
    int rc = cli_call (client, "analytics.Abc", &request.base, &crmq__abc_reply__descriptor,
                       (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    const char *measure = *reply->measure? reply->measure: options->measure;
    if (options->format == CLI_FORMAT_JSON) {
        rc = s_abc_json (options, reply, measure);
        crmq__abc_reply__free_unpacked (reply, NULL);
        return rc;
    }
    //  The table shows the classes and, with --clients, the clients under
    //  them; CSV is one table: the clients with --clients, else the classes.
    bool table = options->format == CLI_FORMAT_TABLE;
    cli_output_t *classes = NULL, *clients = NULL;
    if (table || !options->clients)
        classes = s_abc_classes (options, reply, measure, !table);
    if (options->clients)
        clients = s_abc_clients (options, reply, measure, !table);
    if ((table || !options->clients) && !classes)
        rc = CLI_EXIT_FAILURE;
    if (options->clients && !clients)
        rc = CLI_EXIT_FAILURE;
    if (rc == CLI_EXIT_OK && classes)
        rc = cli_output_print_stdout (classes);
    if (rc == CLI_EXIT_OK && clients) {
        if (classes)
            printf ("\n");
        rc = cli_output_print_stdout (clients);
    }
    cli_output_destroy (&classes);
    cli_output_destroy (&clients);
    crmq__abc_reply__free_unpacked (reply, NULL);
    return rc;
}

int
cli_report_run (crmq_config_t *config, int argc, char **argv)
{
    if (argc >= 1 && streq (argv [0], "html"))
        return cli_report_html (config, argc, argv);
    if (argc >= 1 && streq (argv [0], "client-metrics"))
        return cli_command_run (cli_client_metrics_commands (), "report", "analytics_endpoint",
                                config, argc, argv);
    if (argc < 1 || (!streq (argv [0], "base") && !streq (argv [0], "abc")))
        return cli_usage (CLI_REPORT_USAGE, "report base, abc or client-metrics?");
    s_options_t options = { 0 };
    int rc = s_parse (config, argc, argv, &options);
    if (rc != 0)
        return rc;
    crmq_rpc_client_t *client = cli_rpc_open (config, "analytics_endpoint");
    if (!client)
        return CLI_EXIT_FAILURE;
    rc = streq (options.report, "base")? s_base (client, &options): s_abc (client, &options);
    crmq_rpc_client_destroy (&client);
    return rc;
}

/*  cli_report.h - `crmq report NAME`: any report of crmq-analytics
    (analytics.Report, docs/reports.md) printed as an aligned table, CSV or
    JSON, and the options every report takes, shared with templates.

      crmq report NAME [--from DATE] [--to DATE] [--period RELATIVE]
                       [--granularity G] [--by DIM]... [--filter FIELD=V1,V2]...
                       [--exclude FIELD=V1,...]... [--measure M] [--limit N]
                       [--as-of DATE] [--lost-after DAYS] [--a-share F] [--b-share F]
                       [--x-cv F] [--y-cv F] [--format table|csv|json]
                       [--table NAME] [--chart FILE.svg]
      crmq report client-metrics ...     (cli_client_metrics.h)
      crmq report template ...           (cli_report_template.h)

    DATE is YYYY-MM-DD in CRMQ_TIME_ZONE; the period is half-open (--to is
    excluded).  Filter values are split at commas ("\," keeps a comma);
    options for the same field and sense add up.  --a-share, --b-share,
    --x-cv and --y-cv take fractions in (0, 1].  An option given twice
    (other than --by, --filter, --exclude) is a usage error.

    Table: the title, the period, the notes, then every table (or --table)
    with shares as percentages with one decimal; a one-row table as
    "label  value" lines.  CSV: one table (--table, default the first),
    exact values.  JSON: one object
      { "report", "title", "period": { "from", "to" }, "params": {...},
        "currency", "as_of_seq", "cached", "notes": [...],
        "tables": { NAME: [ { COLUMN: value, ... }, ... ], ... } }
    with int columns as integers, every other value as a string (exact),
    empty cells as null.                                                    */
#ifndef CLI_REPORT_H_INCLUDED
#define CLI_REPORT_H_INCLUDED

#include "crmq.h"
#include "analytics.pb-c.h"
#include "cli_client_metrics.h"
#include "cli_report_html.h"
#include "cli_output.h"

#define CLI_REPORT_OPTIONS_USAGE \
    "[--from DATE] [--to DATE] [--period RELATIVE] [--granularity G]\n" \
    "            [--by DIM]... [--filter FIELD=V,...]... [--exclude FIELD=V,...]...\n" \
    "            [--measure M] [--limit N] [--as-of DATE] [--lost-after DAYS]\n" \
    "            [--a-share F] [--b-share F] [--x-cv F] [--y-cv F]"

#define CLI_REPORT_USAGE \
    "crmq report NAME " CLI_REPORT_OPTIONS_USAGE "\n" \
    "            [--format table|csv|json] [--table NAME] [--chart FILE.svg]\n" \
    "       values split at commas, \\, keeps one; F: a fraction in (0, 1]\n" \
    "       NAME: base, abc, xyz, abc_xyz, rfm, rating, dynamics, deal_dynamics, funnel,\n" \
    "             managers, clients, satisfaction, least_satisfied (docs/reports.md)\n" \
    "       " CLI_REPORT_HTML_USAGE "\n" \
    "       " CLI_CLIENT_METRICS_USAGE "\n" \
    "       crmq report template save|list|show|run|delete ... (crmq report template)"

//  Parsed report options: the parameters and how to print the result.
typedef struct {
    Crmq__ReportParams params;      //  arrays and strings owned (cli_report_args_free)
    Crmq__Period period;
    cli_format_t format;
    const char *table;              //  --table (argv's), NULL = all / the first
    const char *chart;              //  --chart FILE (argv's), NULL = none
} cli_report_args_t;

//  Parses argv [0] (the report name, or NULL when `named` is false: the
//  options only, argv [0] then being the command word) and the options
//  after it into *args.  Output options (--format, --table, --chart) are
//  refused unless `output` is set.  Returns 0 or CLI_EXIT_USAGE (printed
//  with `usage`).  Call cli_report_args_free after either.
int cli_report_args_parse (crmq_config_t *config, int argc, char **argv, bool named,
                           bool output, const char *usage, cli_report_args_t *args);

//  Frees what cli_report_args_parse allocated; safe twice.
void cli_report_args_free (cli_report_args_t *args);

//  Prints `result` as args asks, and writes the chart.  Returns 0, or 1
//  after a message (unknown --table, unwritable chart).
int cli_report_print (const Crmq__ReportResult *result, const cli_report_args_t *args,
                      const char *time_zone);

//  Runs the command; argv [0] is the report name.  Settings used:
//  analytics_endpoint, rpc_timeout_ms, rpc_retries, max_message_bytes,
//  time_zone.  Returns the exit code: 0, 1 when the call failed (printed),
//  64 bad usage.
int cli_report_run (crmq_config_t *config, int argc, char **argv);

//  Self test (parsing and printing, no service).
void cli_report_test (bool verbose);

#endif

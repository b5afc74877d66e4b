/*  cli_report.h - `crmq report base|abc|client-metrics`: analytics reports
    printed as a table, CSV or JSON (cli_output).

      crmq report base [--from DATE] [--to DATE] [--format F]
      crmq report abc  [--from DATE] [--to DATE] [--measure M] [--clients] [--format F]
      crmq report client-metrics [--client ID]... [--limit N] [--format F]
                                  (cli_client_metrics.h)

    DATE is YYYY-MM-DD in CRMQ_TIME_ZONE; the period is half-open (--to is
    excluded); a missing bound is unbounded.  Titles say so: "Client base,
    1997-01-01 to 1998-01-01 (excluded)", "..., from 1997-01-01", "...,
    before 1998-01-01", "..., all time".  An option given twice is a usage
    error.

    The table shows shares as percentages with one decimal; CSV and JSON
    keep them exact, as the fractions the service sends ("0.800712345"),
    and values exact too.  `report abc --format json` is one object:
      { "measure": "revenue", "period": { "from": DATE|null, "to": DATE|null },
        "total": "1265793.29",
        "classes": [ { "class", "clients", "value", "share" }, ... ],
        "rows": [ { "rank", "class", "external_id", "name", "value", "share",
                    "cumulative_share" }, ... ] }      (rows with --clients)
    where cumulative_share includes the client's own share (as the table's
    cumulative %).  ABC CSV is one table: the rows with --clients, else the
    classes.                                                                 */
#ifndef CLI_REPORT_H_INCLUDED
#define CLI_REPORT_H_INCLUDED

#include "crmq.h"
#include "cli_client_metrics.h"

#define CLI_REPORT_USAGE \
    "crmq report base [--from DATE] [--to DATE] [--format table|csv|json]\n" \
    "       crmq report abc [--from DATE] [--to DATE] [--measure revenue|quantity|orders]" \
    " [--clients] [--format table|csv|json]\n" \
    "       " CLI_CLIENT_METRICS_USAGE

//  Runs the command; argv [0] is the report name ("base", "abc",
//  "client-metrics").  Settings
//  used: analytics_endpoint, rpc_timeout_ms, rpc_retries, max_message_bytes,
//  time_zone.
//  Returns the exit code: 0, 1 when the call failed (printed), 64 bad usage.
int cli_report_run (crmq_config_t *config, int argc, char **argv);

#endif

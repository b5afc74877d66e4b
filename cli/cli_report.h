/*  cli_report.h - `crmq report base|abc`: analytics reports printed as a
    table, CSV or JSON (cli_output).

      crmq report base [--from DATE] [--to DATE] [--format F]
      crmq report abc  [--from DATE] [--to DATE] [--measure M] [--clients] [--format F]

    DATE is YYYY-MM-DD in CRMQ_TIME_ZONE; the period is half-open (--to is
    excluded); a missing bound is unbounded.                                 */
#ifndef CLI_REPORT_H_INCLUDED
#define CLI_REPORT_H_INCLUDED

#include "crmq.h"

#define CLI_REPORT_USAGE \
    "crmq report base [--from DATE] [--to DATE] [--format table|csv|json]\n" \
    "       crmq report abc [--from DATE] [--to DATE] [--measure revenue|quantity|orders]" \
    " [--clients] [--format table|csv|json]"

//  Runs the command; argv [0] is the report name ("base", "abc").  Settings
//  used: analytics_endpoint, rpc_timeout_ms, rpc_retries, time_zone.
//  Returns the exit code: 0, 1 when the call failed (printed), 64 bad usage.
int cli_report_run (crmq_config_t *config, int argc, char **argv);

#endif

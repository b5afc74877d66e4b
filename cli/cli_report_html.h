/*  cli_report_html.h - `crmq report html`: the main reports, their charts
    and tables in one self-contained HTML page.

      crmq report html --out FILE [--from DATE] [--to DATE] [--period RELATIVE]

    Runs analytics.Report for base, abc, xyz, abc_xyz, rfm, rating,
    dynamics, managers, funnel and least_satisfied, each over the same
    period (DATE is YYYY-MM-DD in CRMQ_TIME_ZONE, --to excluded; RELATIVE
    one of the relative periods of ReportParams, instead of the dates;
    neither: each report's default), and writes one HTML5 file: a header
    (period, when generated, currency, the event-log position), a table of
    contents, then per report its notes and, per table, its chart (inline
    SVG, cli_chart.h) when the table names one and the table itself, cut
    to its first 50 rows with the number of rows left out.  A report that
    answers an error (not built yet, a bad parameter for it) gets a note
    saying so in its place and a line on stderr; the page is written
    anyway.  The page needs nothing else: CSS inline, no scripts, no
    external links, UTF-8.  The file is replaced atomically (a temporary
    file in the same folder, renamed over it).                               */
#ifndef CLI_REPORT_HTML_H_INCLUDED
#define CLI_REPORT_HTML_H_INCLUDED

#include "crmq.h"

#define CLI_REPORT_HTML_USAGE \
    "crmq report html --out FILE [--from DATE] [--to DATE] [--period RELATIVE]"

//  Runs the command; argv [0] is "html".  Settings used:
//  analytics_endpoint, rpc_timeout_ms, rpc_retries, max_message_bytes,
//  time_zone.  Returns the exit code: 0 (the page written, whatever
//  reports answered errors), 1 when crmq-analytics did not answer
//  (UNAVAILABLE) or the file could not be written (printed; the old file,
//  if any, is left as it was), 64 bad usage.
int cli_report_html (crmq_config_t *config, int argc, char **argv);

#endif

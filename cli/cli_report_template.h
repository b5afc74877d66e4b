/*  cli_report_template.h - `crmq report template ...`: saved report
    templates of crmq-analytics (analytics.SaveTemplate ... RunTemplate,
    docs/reports.md "Templates").

      crmq report template save NAME REPORT [report options] [--schedule RRULE]
                                [--description TEXT] [--replace] [--format F]
      crmq report template list [--format F]
      crmq report template show NAME [--format F]
      crmq report template run NAME [--format table|csv|json] [--table T]
                               [--chart FILE.svg]
      crmq report template delete NAME [--format F]

    `save` takes NAME and REPORT first, then any option `crmq report REPORT`
    takes (cli_report.h: --period RELATIVE makes the template resolve its
    period when it runs), and RRULE is an iCalendar recurrence rule read in
    the company's zone ("FREQ=WEEKLY;BYDAY=MO;BYHOUR=7;BYMINUTE=0").  A
    template is printed as a record: name, description, report, options
    (as a command line would give them), schedule, time zone, next run,
    last run and its status, version, created, updated; JSON adds `params`
    (the ReportParams as crmq_message_json writes them).  `list` prints one
    row per template; `run` prints the report as `crmq report` does;
    `delete` prints the name and "deleted" or "none" (deleting a template
    that is not there is no error).                                          */
#ifndef CLI_REPORT_TEMPLATE_H_INCLUDED
#define CLI_REPORT_TEMPLATE_H_INCLUDED

#include "crmq.h"

#define CLI_REPORT_TEMPLATE_SAVE_USAGE \
    "crmq report template save NAME REPORT [report options] [--schedule RRULE]\n" \
    "            [--description TEXT] [--replace] [--format table|csv|json]"

#define CLI_REPORT_TEMPLATE_USAGE \
    CLI_REPORT_TEMPLATE_SAVE_USAGE "\n" \
    "       crmq report template list [--format F]\n" \
    "       crmq report template show NAME [--format F]\n" \
    "       crmq report template run NAME [--format F] [--table T] [--chart FILE.svg]\n" \
    "       crmq report template delete NAME [--format F]"

//  Runs `crmq report template ...`; argv [0] is "template".  Settings used:
//  analytics_endpoint, rpc_timeout_ms, rpc_retries, max_message_bytes,
//  time_zone.  Returns the exit code: 0, 1 when a call failed (printed), 64
//  bad usage.
int cli_report_template_run (crmq_config_t *config, int argc, char **argv);

//  Self test (the options text and the save command line; no service).
void cli_report_template_test (bool verbose);

#endif

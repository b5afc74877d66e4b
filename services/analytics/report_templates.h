/*  report_templates.h - saved report templates of crmq-analytics and the
    scheduler that runs them (proto/analytics.proto, docs/reports.md
    "Templates").

    A template is a name (1..100 bytes, crmq_name_valid, no white space at
    either end: crmq_name_trimmed), a description, the ReportParams of a
    report (checked as analytics.Report checks them; kept packed in
    analytics.report_templates) and an optional schedule, an
    iCalendar RRULE read in the company's zone (report_schedule.h).  A
    relative period ("previous_week") is resolved when the template runs.

      analytics.SaveTemplate   SaveTemplateRequest -> ReportTemplate
      analytics.ListTemplates  ListTemplatesRequest -> ListTemplatesReply
      analytics.GetTemplate    TemplateName -> ReportTemplate
      analytics.DeleteTemplate TemplateName -> DeleteTemplateReply
      analytics.RunTemplate    TemplateName -> ReportResult (now, on demand)

    The scheduler (report_templates_tick, from the service's job) takes one
    due template at a time with SELECT ... FOR UPDATE SKIP LOCKED on a
    connection of its own, holds that row lock while the report runs on the
    service's connection, then, in the transaction that holds the lock,
    records the run in analytics.report_runs (unique per template and
    occurrence), writes analytics.report.ready (ReportReady) or
    analytics.report.failed (ReportFailed) to bus.outbox and moves
    next_run_at to the first occurrence after the time it took the
    template.  So every occurrence runs exactly once whatever the replicas
    and crashes: a replica that dies mid-run loses its lock and its
    uncommitted run, and the occurrence is still due.  Occurrences that came
    due while no replica ran are run once, not once each (`missed`).      */
#ifndef REPORT_TEMPLATES_H_INCLUDED
#define REPORT_TEMPLATES_H_INCLUDED

#include "report_runner.h"

#define REPORT_TEMPLATE_NAME_BYTES          100
#define REPORT_TEMPLATE_DESCRIPTION_BYTES   2000
#define REPORT_TEMPLATE_RUNS_PER_CHECK      10      //  due templates run per check at most

//  The event topics of a scheduled run.
#define REPORT_TEMPLATE_READY_TOPIC         "analytics.report.ready"
#define REPORT_TEMPLATE_FAILED_TOPIC        "analytics.report.failed"

typedef struct {
    crmq_pg_t *pg;                  //  the service's connection (requests, reports)
    report_runner_t *runner;        //  runs the reports
    const char *pg_url;             //  for the scheduler's own connection
    const char *time_zone;          //  the company's IANA zone: schedules are read in it
    int check_ms;                   //  how often the scheduler looks for due templates
    int min_interval_s;             //  shortest gap between two occurrences of a schedule
    size_t max_event_bytes;         //  largest event body (CRMQ_MAX_MESSAGE_BYTES)
} report_templates_config_t;

typedef struct _report_templates_t report_templates_t;

//  Templates over config's connection and runner (neither owned; strings
//  copied).  The scheduler's connection opens at its first check.  Never NULL.
report_templates_t *report_templates_new (const report_templates_config_t *config);

//  Frees it and closes the scheduler's connection; sets *self_p to NULL;
//  safe on NULL.
void report_templates_destroy (report_templates_t **self_p);

//  analytics.SaveTemplate: checks the name (3, field template.name: also
//  white space at either end, so that two names cannot look alike), the
//  description, the parameters (3, field template.params.FIELD, as
//  analytics.Report would refuse them) and the schedule (3, field
//  template.schedule: not an RRULE, FREQ=SECONDLY or MINUTELY, two
//  occurrences closer than min_interval_s, no occurrence after now); then
//  inserts it, or with `replace` replaces it (version + 1, next_run_at
//  anew).  An existing name without `replace` is 6 ALREADY_EXISTS, unless
//  the template stored is the same (a resend), which answers it again.
//  Replies with the template as stored.
int report_templates_save (report_templates_t *self, const uint8_t *body, size_t size,
                           crmq_reply_t *reply);

//  analytics.ListTemplates: every template, by name.
int report_templates_list (report_templates_t *self, const uint8_t *body, size_t size,
                           crmq_reply_t *reply);

//  analytics.GetTemplate: the template (5 NOT_FOUND when none).
int report_templates_get (report_templates_t *self, const uint8_t *body, size_t size,
                          crmq_reply_t *reply);

//  analytics.DeleteTemplate: deletes it with its runs (`deleted` true); 5
//  NOT_FOUND naming field `name` when there is none (so deleting twice is).
int report_templates_delete (report_templates_t *self, const uint8_t *body, size_t size,
                             crmq_reply_t *reply);

//  analytics.RunTemplate: runs the template's report now and replies with
//  its result (5 when no such template); records no run.
int report_templates_run (report_templates_t *self, const uint8_t *body, size_t size,
                          crmq_reply_t *reply);

//  The scheduler's turn, from the service's job: at most every check_ms,
//  runs up to REPORT_TEMPLATE_RUNS_PER_CHECK due templates, one
//  transaction each (see above).  Failures are logged and retried at the
//  next check.
void report_templates_tick (report_templates_t *self);

//  Self test (what needs no database: cutting a result to an event's size).
void report_templates_test (bool verbose);

#endif

/*  report_runner.h - runs a report of the set (report.h): checks its
    parameters, opens one REPEATABLE READ READ ONLY transaction, reads the
    event-log position that transaction sees, serves the result from the
    Redis cache when one was stored under the same parameters and position,
    else computes and stores it.  Never a stale result: a position names
    exactly the events (and so the facts) a snapshot sees.                  */
#ifndef REPORT_RUNNER_H_INCLUDED
#define REPORT_RUNNER_H_INCLUDED

#include "report.h"
#include "report_cache.h"
#include "report_settings.h"

typedef struct _report_runner_t report_runner_t;

//  A runner over `pg` and `cache` (neither owned) for reports in the
//  company's `time_zone` and base `currency` (copied), with the reports'
//  `settings` (not owned; NULL = the defaults).  Never NULL.
report_runner_t *report_runner_new (crmq_pg_t *pg, report_cache_t *cache,
                                    const char *time_zone, const char *currency,
                                    report_settings_t *settings);

//  Frees it; sets *self_p to NULL; safe on NULL.
void report_runner_destroy (report_runner_t **self_p);

//  Runs the report `params` names.  Returns 0 with *result (the caller frees
//  it with crmq__report_result__free_unpacked), a positive status code
//  after crmq_reply_error on `reply` (bad parameters: 3; a database failure:
//  its code), never -1.
int report_runner_run (report_runner_t *self, const Crmq__ReportParams *params,
                       crmq_reply_t *reply, Crmq__ReportResult **result);

#endif

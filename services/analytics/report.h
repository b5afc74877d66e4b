/*  report.h - the report set of crmq-analytics: one entry per report, and
    what a report's compute function is given.

    Every report answers `analytics.Report` (ReportParams -> ReportResult,
    proto/analytics.proto).  report_params.c checks the parameters against
    the report's entry here and fills the defaults; report_run.c runs the
    compute function in one REPEATABLE READ READ ONLY transaction and keeps
    the result in Redis under the parameters and the event-log position.
    Definitions: docs/reports.md.                                           */
#ifndef REPORT_H_INCLUDED
#define REPORT_H_INCLUDED

#include "crmq.h"
#include "analytics.pb-c.h"
#include "report_query.h"
#include "report_result.h"

//  The version of what reports compute, part of every cache key: raise it
//  with any change to a report's figures or tables, so that results
//  computed before are never served after an upgrade.
#define REPORT_RESULT_VERSION 1

//  Bit sets of what a report takes.
#define REPORT_MEASURE_REVENUE      (1 << 0)
#define REPORT_MEASURE_PROFIT       (1 << 1)
#define REPORT_MEASURE_QUANTITY     (1 << 2)
#define REPORT_MEASURE_ORDERS       (1 << 3)

#define REPORT_DIM_CLIENT           (1 << 0)
#define REPORT_DIM_MANAGER          (1 << 1)
#define REPORT_DIM_REGION           (1 << 2)
#define REPORT_DIM_COUNTRY          (1 << 3)
#define REPORT_DIM_CATEGORY         (1 << 4)
#define REPORT_DIM_SOURCE           (1 << 5)
#define REPORT_DIM_PRODUCT_GROUP    (1 << 6)

//  What a compute function gets.  Everything is read-only for it except
//  `result` (which it fills) and `reply` (for crmq_reply_error).
typedef struct {
    crmq_pg_t *pg;                      //  inside the report's transaction
    const Crmq__ReportParams *params;   //  checked, defaults filled
    const char *time_zone;              //  the company's IANA zone
    const char *currency;               //  base currency, ISO 4217
    //  The period as days of the company's zone, "YYYY-MM-DD"; to excluded.
    //  Open ends are "-infinity" / "infinity".
    char from_day [16];
    char to_day [16];
    //  The report date ("YYYY-MM-DD"): as_of_us, else the period's end, else
    //  today; used for recency and lost clients.
    char as_of_day [16];
    int measure;                        //  one REPORT_MEASURE_*
    int dimensions;                     //  REPORT_DIM_* bits of params->dimensions
    report_result_t *result;
    crmq_reply_t *reply;
    void *settings;                     //  the server's report_settings_t (report_settings.h)
} report_run_t;

//  Fills run->result.  Returns 0, a positive status code after
//  crmq_reply_error (bad parameters for this report), or -1 after a failed
//  statement (the transaction is retried or reported by the caller).
typedef int (report_compute_fn) (report_run_t *run);

typedef struct {
    const char *name;                   //  ReportParams.report
    const char *title;                  //  "ABC analysis"
    report_compute_fn *compute;
    int measures;                       //  REPORT_MEASURE_* taken; 0 = none
    int dimensions;                     //  REPORT_DIM_* taken; 0 = none
    bool granularity;                   //  takes a granularity
    const char *default_granularity;    //  when it does: "month", ...
    //  Reads, of what sales documents change, only the rollups (and return
    //  lines) of days before its horizon, the later of the period's end and
    //  the report date, when its period is closed: its cached result stays
    //  valid while documents of the horizon's day and later arrive
    //  (report_runner.c).
    bool dated;
    //  Takes a report date (as_of_us: recency, classes, what is "open")
    bool as_of;
    //  Why it refuses a product_group filter ("deals have no product
    //  group"), or NULL when it takes one.
    const char *no_group_filter;
} report_def_t;

//  The report named `name`, or NULL.
const report_def_t *report_find (const char *name);

//  The names of every report, comma-separated (for error messages).
const char *report_names (void);

//  The compute functions, one file each (report_<name>.c).
int report_base (report_run_t *run);
int report_abc (report_run_t *run);
int report_xyz (report_run_t *run);
int report_abc_xyz (report_run_t *run);
int report_rfm (report_run_t *run);
int report_rating (report_run_t *run);
int report_dynamics (report_run_t *run);
int report_deal_dynamics (report_run_t *run);
int report_funnel (report_run_t *run);
int report_managers (report_run_t *run);
int report_clients (report_run_t *run);
int report_satisfaction (report_run_t *run);
int report_least_satisfied (report_run_t *run);

#endif

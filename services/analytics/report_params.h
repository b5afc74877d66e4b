/*  report_params.h - checks a ReportParams against the report it names,
    fills its defaults, and resolves its period into days of the company's
    zone (docs/reports.md, "Parameters").                                   */
#ifndef REPORT_PARAMS_H_INCLUDED
#define REPORT_PARAMS_H_INCLUDED

#include "report.h"

#define REPORT_FILTERS_MAX          16      //  filters per request
#define REPORT_FILTER_VALUES_MAX    1000    //  values per filter
#define REPORT_FILTER_VALUE_BYTES   200
#define REPORT_LIMIT_DEFAULT        1000    //  rows of a client table when limit = 0
#define REPORT_LIMIT_MAX            100000
#define REPORT_LOST_AFTER_DEFAULT   180     //  days
#define REPORT_PERIODS_MAX          5000    //  rows of a history or dynamics table
//  Dates a report takes: [1900-01-01, 2200-01-01) UTC, microseconds
#define REPORT_DATE_MIN_US          (-2208988800LL * 1000000)
#define REPORT_DATE_MAX_US          (7258118400LL * 1000000)

//  Checks what can be checked without the database: the report exists and
//  takes the measure, dimensions and granularity given; filters name known
//  fields with 1..REPORT_FILTER_VALUES_MAX valid values; thresholds are
//  fractions in (0, 1] with a <= b; period ends are ordered; limit and
//  lost_after_days in range.  Fills *def, run->measure and run->dimensions.
//  Returns 0, or CRMQ_INVALID_ARGUMENT after crmq_reply_error naming the
//  field.  Does not change `params`.
int report_params_check (const Crmq__ReportParams *params, const report_def_t **def,
                         report_run_t *run, crmq_reply_t *reply);

//  Inside the report's transaction: resolves the relative period (today in
//  run->time_zone), checks that both ends fall at midnight in that zone and
//  that the report date of a report taking one is after the start, writes run->from_day, to_day, as_of_day, and returns the parameters as
//  run (`params` copied with defaults, the period as microseconds,
//  relative_period kept) in *resolved, to be freed with
//  crmq__report_params__free_unpacked.  Returns 0, CRMQ_INVALID_ARGUMENT
//  after crmq_reply_error, or -1 after a failed statement.
int report_params_resolve (report_run_t *run, const Crmq__ReportParams *params,
                           const report_def_t *def, Crmq__ReportParams **resolved);

//  The field names filters take, comma-separated.
const char *report_params_filter_fields (void);

//  Self test (what needs no database).
void report_params_test (bool verbose);

#endif

/*  report_sales_facts.h - the SQL the sales reports share (order and deal
    dynamics, the funnel, managers; docs/reports.md): the periods of a
    granularity with their comparison windows, the clients of a report
    whose manager filter applies to something else than the client's
    responsible manager, and the period's ends as instants.  As in
    report_facts.h each function appending a common table expression
    appends "name AS (...)"; the caller writes WITH and the commas.        */
#ifndef REPORT_SALES_FACTS_H_INCLUDED
#define REPORT_SALES_FACTS_H_INCLUDED

#include "report_facts.h"
#include "report_params.h"

//  A report's range of days, open ends resolved.
typedef struct {
    char from [16];                 //  "YYYY-MM-DD"
    char to [16];                   //  excluded
    bool empty;                     //  no data before an open start: no periods
} report_sales_range_t;

//  Resolves the run's start and `to_day` (the period's end, or the client
//  base's report date; "YYYY-MM-DD" or "infinity") for a table of periods:
//  an open start becomes the first day of the granularity's period holding
//  the day `first_day_sql` (SQL returning a date, or NULL when there is no
//  data; its one parameter may be $3, the company's zone), an open end
//  tomorrow in the company's zone.  `empty` when the start is not before
//  the end (or there is no data before an open start).
//  Refuses more than REPORT_PERIODS_MAX periods of the granularity.
//  Returns 0, CRMQ_INVALID_ARGUMENT after crmq_reply_error ("granularity"),
//  or -1 after a failed statement.
int report_sales_range (report_run_t *run, const char *first_day_sql, const char *to_day,
                        report_sales_range_t *range);

//  Appends "periods AS MATERIALIZED (ps, pe)" - the periods of the run's
//  granularity within the range, the first and last cut at its ends, ps
//  the first day - and "windows AS MATERIALIZED (ps, k, day)": every day of
//  each period's window k: 0 the period itself, 1 the same days one step
//  of the granularity earlier (the previous period), 2 one year earlier.
void report_sales_windows (report_run_t *run, report_query_t *query,
                           const report_sales_range_t *range);

//  Appends "clients AS (...)" as report_facts_clients does, but without the
//  manager filters: the caller applies those to the deal's, order's or
//  interaction's manager (report_sales_manager_filter).
void report_sales_clients (report_run_t *run, report_query_t *query);

//  Appends " AND ..." keeping the rows whose manager's external id (the SQL
//  expression `external_id`, NULL for no manager) passes the run's manager
//  filters; nothing without such a filter.
void report_sales_manager_filter (report_run_t *run, report_query_t *query,
                                  const char *external_id);

//  Appends "instants AS (SELECT f, t)": the run's period as timestamptz,
//  midnights in the company's zone (-infinity / infinity for open ends).
void report_sales_instants (report_run_t *run, report_query_t *query);

//  Starts a statement: "WITH " report_sales_clients, report_sales_instants.
void report_sales_start (report_run_t *run, report_query_t *query);

//  Appends ", deals AS MATERIALIZED (SELECT `columns` ...)" over the deals
//  `d` of the clients `c` (report_sales_clients) whose manager `m` passes
//  the manager filters.
void report_sales_deals (report_run_t *run, report_query_t *query, const char *columns);

//  Appends the SQL of the change from `base` to `value` as a fraction with
//  9 decimals, (value - base) / |base|, NULL when base is 0 or NULL.
void report_sales_change (report_query_t *query, const char *value, const char *base);

//  Builds a report's statement with `build` (given `arg`) and runs it (in
//  the report's transaction, JIT off: report_runner.c).  Returns the result
//  (caller PQclears) or NULL after a failed statement.
typedef void (report_sales_build_fn) (report_run_t *run, report_query_t *query, const void *arg);
PGresult *report_sales_exec (report_run_t *run, report_sales_build_fn *build, const void *arg);

//  Appends a note when deals in other currencies than the base currency
//  were left out of a won amount: `count` deals in `currencies` (a
//  comma-separated list).
void report_sales_currency_note (report_run_t *run, const char *count, const char *currencies);

#endif

/*  report_sales_facts.c - SQL the sales reports share; see
    report_sales_facts.h.  */
#include "report_sales_facts.h"
#include "report_params.h"

//  The step of a granularity ($1) as an interval.
#define S_STEP "(CASE %s WHEN 'quarter' THEN interval '3 months' ELSE ('1 ' || %s)::interval END)"

//  $1 from, $2 to (days or -infinity / infinity), $3 zone, $4 granularity,
//  $5 the most periods; %s the first day with data.  Returns the resolved
//  ends and the count of periods (at most $5 + 1), none when empty.
static const char *SQL_RANGE =
    "WITH r AS (SELECT CASE WHEN $1::date = '-infinity'"
    "   THEN date_trunc ($4, ((%s)::date)::timestamp)::date ELSE $1::date END AS f,"
    "   CASE WHEN $2::date = 'infinity' THEN (now () AT TIME ZONE $3)::date + 1"
    "   ELSE $2::date END AS t)"
    " SELECT f::text, t::text, (SELECT count (*) FROM (SELECT 1 FROM generate_series"
    "   (date_trunc ($4, f::timestamp), t::timestamp - interval '1 day',"
    "    CASE $4 WHEN 'quarter' THEN interval '3 months' ELSE ('1 ' || $4)::interval END)"
    "   LIMIT $5::bigint + 1) n)"
    " FROM r WHERE f < t";

int
report_sales_range (report_run_t *run, const char *first_day_sql, const char *to_day,
                    report_sales_range_t *range)
{
    memset (range, 0, sizeof *range);
    char sql [2048];
    snprintf (sql, sizeof sql, SQL_RANGE, first_day_sql);
    char most [16];
    snprintf (most, sizeof most, "%d", REPORT_PERIODS_MAX);
    const char *values [5] = { run->from_day, to_day, run->time_zone,
                               run->params->granularity, most };
    PGresult *result = crmq_pg_exec (run->pg, sql, 5, values);
    if (!result)
        return -1;
    if (PQntuples (result) == 0) {
        range->empty = true;
        PQclear (result);
        return 0;
    }
    snprintf (range->from, sizeof range->from, "%s", PQgetvalue (result, 0, 0));
    snprintf (range->to, sizeof range->to, "%s", PQgetvalue (result, 0, 1));
    long long periods = strtoll (PQgetvalue (result, 0, 2), NULL, 10);
    PQclear (result);
    if (periods > REPORT_PERIODS_MAX)
        return crmq_reply_error (run->reply, CRMQ_INVALID_ARGUMENT, "granularity",
                                 "granularity: more than %d periods of a %s from %s to %s;"
                                 " choose a coarser granularity or a shorter period",
                                 REPORT_PERIODS_MAX, run->params->granularity,
                                 range->from, range->to);
    return 0;
}

void
report_sales_windows (report_run_t *run, report_query_t *query, const report_sales_range_t *range)
{
    const char *from = report_query_param (query, range->from);
    const char *to = report_query_param (query, range->to);
    const char *granularity = report_query_param (query, run->params->granularity);
    char step [256];
    snprintf (step, sizeof step, S_STEP, granularity, granularity);
    report_query_add (query,
        "periods AS MATERIALIZED (SELECT greatest (b::date, %s::date) AS ps,"
        "   least ((b + %s)::date, %s::date) AS pe"
        "   FROM generate_series (date_trunc (%s, %s::date::timestamp),"
        "   %s::date::timestamp - interval '1 day', %s) b)",
        from, step, to, granularity, from, to, step);
    report_query_add (query,
        ", windows AS MATERIALIZED (SELECT w.ps, w.k, d::date AS day FROM ("
        "   SELECT ps, 0 AS k, ps AS ws, pe AS we FROM periods"
        "   UNION ALL SELECT ps, 1, (ps - %s)::date, (pe - %s)::date FROM periods"
        "   UNION ALL SELECT ps, 2, (ps - interval '1 year')::date,"
        "   (pe - interval '1 year')::date FROM periods) w,"
        "   generate_series (w.ws::timestamp, w.we::timestamp - interval '1 day',"
        "   interval '1 day') d)", step, step);
}

void
report_sales_clients (report_run_t *run, report_query_t *query)
{
    const Crmq__ReportParams *params = run->params;
    Crmq__ReportFilter *kept [REPORT_FILTERS_MAX];
    size_t count = 0;
    assert (params->n_filters <= REPORT_FILTERS_MAX);
    for (size_t i = 0; i < params->n_filters; i++)
        if (!streq (params->filters [i]->field, "manager"))
            kept [count++] = params->filters [i];
    Crmq__ReportParams without = *params;
    without.filters = kept;
    without.n_filters = count;
    report_run_t other = *run;
    other.params = &without;
    report_facts_clients (&other, query);
}

void
report_sales_manager_filter (report_run_t *run, report_query_t *query, const char *external_id)
{
    const Crmq__ReportParams *params = run->params;
    for (size_t i = 0; i < params->n_filters; i++) {
        const Crmq__ReportFilter *filter = params->filters [i];
        if (streq (filter->field, "manager"))
            report_query_add (query, " AND %s(coalesce (%s, '') = ANY (%s))",
                              filter->exclude? "NOT ": "", external_id,
                              report_query_param_array (query, filter->values,
                                                        filter->n_values));
    }
}

void
report_sales_instants (report_run_t *run, report_query_t *query)
{
    const char *zone = report_query_param (query, run->time_zone);
    report_query_add (query,
        "instants AS (SELECT %s::date::timestamp AT TIME ZONE %s AS f,"
        "   %s::date::timestamp AT TIME ZONE %s AS t)",
        report_query_param (query, run->from_day), zone,
        report_query_param (query, run->to_day), zone);
}

void
report_sales_start (report_run_t *run, report_query_t *query)
{
    report_query_add (query, "WITH ");
    report_sales_clients (run, query);
    report_query_add (query, ", ");
    report_sales_instants (run, query);
}

void
report_sales_deals (report_run_t *run, report_query_t *query, const char *columns)
{
    report_query_add (query,
        ", deals AS MATERIALIZED (SELECT %s"
        "   FROM analytics.deals d JOIN clients c ON c.id = d.client_id"
        "   LEFT JOIN analytics.managers m ON m.id = d.manager_id WHERE true", columns);
    report_sales_manager_filter (run, query, "m.external_id");
    report_query_add (query, ")");
}

void
report_sales_change (report_query_t *query, const char *value, const char *base)
{
    report_query_add (query,
        "CASE WHEN coalesce (%s, 0) = 0 THEN NULL"
        " ELSE round ((%s - %s)::numeric / abs (%s), 9) END",
        base, value, base, base);
}

PGresult *
report_sales_exec (report_run_t *run, report_sales_build_fn *build, const void *arg)
{
    report_query_t *query = report_query_new ();
    build (run, query, arg);
    PGresult *result = report_query_exec (query, run->pg);
    report_query_destroy (&query);
    return result;
}

void
report_sales_currency_note (report_run_t *run, const char *count, const char *currencies)
{
    if (strtoll (count, NULL, 10) > 0)
        report_result_note (run->result,
                            "won amounts count the deals in %s only: %s deals won in the period"
                            " in other currencies (%s) are left out, as crmq keeps no exchange"
                            " rate for deals", run->currency, count, currencies);
}

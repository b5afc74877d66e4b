/*  report_facts.c - shared report SQL; see report_facts.h.  */
#include "report_facts.h"

//  Client-level filter fields and their column in the clients expression.
typedef struct {
    const char *field;
    const char *column;
} s_filter_column_t;

static const s_filter_column_t s_client_filters [] = {
    { "client",   "c.external_id" },
    { "manager",  "coalesce (m.external_id, '')" },
    { "region",   "c.region" },
    { "country",  "c.country" },
    { "category", "c.category" },
    { "source",   "c.source" },
    { "status",   "c.status" },
    { NULL, NULL }
};

void
report_facts_clients (report_run_t *run, report_query_t *query)
{
    report_query_add (query,
        "clients AS (SELECT c.id, c.external_id, c.name, c.region, c.country, c.category,"
        " c.source, c.status, coalesce (m.external_id, '') AS manager,"
        " coalesce (m.name, '') AS manager_name"
        " FROM analytics.clients c LEFT JOIN analytics.managers m ON m.id = c.manager_id"
        " WHERE true");
    const Crmq__ReportParams *params = run->params;
    for (size_t i = 0; i < params->n_filters; i++) {
        const Crmq__ReportFilter *filter = params->filters [i];
        for (const s_filter_column_t *column = s_client_filters; column->field; column++)
            if (streq (column->field, filter->field))
                report_query_add (query, " AND %s(%s = ANY (%s))", filter->exclude? "NOT ": "",
                                  column->column,
                                  report_query_param_array (query, filter->values,
                                                            filter->n_values));
    }
    report_query_add (query, ")");
}

void
report_facts_group_filter (report_run_t *run, report_query_t *query)
{
    const Crmq__ReportParams *params = run->params;
    for (size_t i = 0; i < params->n_filters; i++) {
        const Crmq__ReportFilter *filter = params->filters [i];
        if (streq (filter->field, "product_group"))
            report_query_add (query, " AND r.product_group_id %sIN (SELECT id FROM"
                              " analytics.product_group_ids (%s))", filter->exclude? "NOT ": "",
                              report_query_param_array (query, filter->values,
                                                        filter->n_values));
    }
}

bool
report_facts_group_filtered (report_run_t *run)
{
    const Crmq__ReportParams *params = run->params;
    for (size_t i = 0; i < params->n_filters; i++)
        if (streq (params->filters [i]->field, "product_group"))
            return true;
    return false;
}

#define S_BOUND 2048

//  The whole months of [from, to) (date placeholders) as SQL: months [m1,
//  m2) of the month rollups (m1 = m2 when there is none), and `edges`, the
//  condition on rollup rows `r` keeping the days of the partial months at
//  either end, [from, m1) and [m2, to).
typedef struct {
    char m1 [S_BOUND];
    char m2 [2 * S_BOUND];
    char edges [5 * S_BOUND];
} s_months_t;

static void
s_whole_months (const char *from, const char *to, s_months_t *months)
{
    int length = snprintf (months->m1, sizeof months->m1,
                           "least (CASE WHEN %s::date = date_trunc ('month', %s::date)::date"
                           " THEN %s::date ELSE (date_trunc ('month', %s::date)"
                           " + interval '1 month')::date END, %s::date)",
                           from, from, from, from, to);
    assert (length < (int) sizeof months->m1);
    length = snprintf (months->m2, sizeof months->m2,
                       "greatest (date_trunc ('month', %s::date)::date, %s)", to, months->m1);
    assert (length < (int) sizeof months->m2);
    length = snprintf (months->edges, sizeof months->edges,
                       "(r.day >= %s::date AND r.day < %s) OR (r.day >= %s AND r.day < %s::date)",
                       from, months->m1, months->m2, to);
    assert (length < (int) sizeof months->edges);
}

void
report_facts_monthly (report_run_t *run, report_query_t *query, const char *name,
                      const char *from, const char *to, bool per_client)
{
    const char *client = per_client? "x.client_id, ": "";
    const char *keys = per_client? "1, 2": "1";
    if (report_facts_group_filtered (run)) {
        report_query_add (query,
            "%s AS (SELECT %sx.month, sum (x.revenue) AS revenue"
            " FROM (SELECT r.client_id, date_trunc ('month', r.day)::date AS month,"
            "  r.sales - r.returns AS revenue"
            "  FROM analytics.client_day_group_rollups r JOIN clients c ON c.id = r.client_id"
            "  WHERE r.day >= %s::date AND r.day < %s::date", name, client, from, to);
        report_facts_group_filter (run, query);
        report_query_add (query, ") x GROUP BY %s)", keys);
        return;
    }
    s_months_t months;
    s_whole_months (from, to, &months);
    report_query_add (query,
        "%s AS (SELECT %sx.month, sum (x.revenue) AS revenue"
        " FROM (SELECT m.client_id, m.month, m.sales - m.returns AS revenue"
        "   FROM analytics.client_month_rollups m WHERE m.month >= %s AND m.month < %s"
        "  UNION ALL"
        "  SELECT r.client_id, date_trunc ('month', r.day)::date, r.sales - r.returns"
        "   FROM analytics.client_day_group_rollups r WHERE %s) x"
        " JOIN clients c ON c.id = x.client_id"
        " GROUP BY %s)", name, client, months.m1, months.m2, months.edges, keys);
}

void
report_facts_totals (report_run_t *run, report_query_t *query, const char *name,
                     const char *from, const char *to)
{
    if (report_facts_group_filtered (run)) {
        //  Only the group rollups know groups: they give the orders with lines
        //  of the kept groups too.
        report_query_add (query,
            "%s AS (SELECT r.client_id, sum (r.sales) AS sales, sum (r.returns) AS returns,"
            " sum (r.sales) - sum (r.returns) AS revenue, sum (r.cost - r.return_cost) AS cost,"
            " sum (r.lines) AS lines, sum (r.lines_without_cost) AS lines_without_cost,"
            " sum (r.quantity - r.returned_quantity) AS quantity, sum (r.discounts) AS discounts,"
            " sum (r.orders) AS orders, max (r.day) FILTER (WHERE r.orders > 0) AS last_order_day"
            " FROM analytics.client_day_group_rollups r"
            " WHERE r.day >= %s::date AND r.day < %s::date", name, from, to);
        report_facts_group_filter (run, query);
        report_query_add (query, " GROUP BY r.client_id)");
        return;
    }
    //  The month rollups for the period's whole months, the day rollups for
    //  the days before the first and after the last (an order counted once
    //  whatever its groups: orders come from the client x day rollups).
    s_months_t months;
    s_whole_months (from, to, &months);
    report_query_add (query,
        "%s AS (SELECT x.client_id, sum (x.sales) AS sales, sum (x.returns) AS returns,"
        " sum (x.sales) - sum (x.returns) AS revenue, sum (x.cost) AS cost,"
        " sum (x.lines) AS lines, sum (x.lines_without_cost) AS lines_without_cost,"
        " sum (x.quantity) AS quantity, sum (x.discounts) AS discounts,"
        " sum (x.orders) AS orders, max (x.last_order_day) AS last_order_day"
        " FROM (SELECT m.client_id, m.sales, m.returns, m.cost - m.return_cost AS cost, m.lines,"
        "        m.lines_without_cost, m.quantity - m.returned_quantity AS quantity, m.discounts,"
        "        m.orders, m.last_order_day"
        "   FROM analytics.client_month_rollups m WHERE m.month >= %s AND m.month < %s"
        "  UNION ALL"
        "  SELECT r.client_id, r.sales, r.returns, r.cost - r.return_cost, r.lines,"
        "        r.lines_without_cost, r.quantity - r.returned_quantity, r.discounts, 0, NULL"
        "   FROM analytics.client_day_group_rollups r WHERE %s"
        "  UNION ALL"
        "  SELECT r.client_id, 0, 0, 0, 0, 0, 0, 0, r.orders,"
        "        CASE WHEN r.orders > 0 THEN r.day END"
        "   FROM analytics.client_day_rollups r WHERE %s) x"
        " GROUP BY x.client_id)",
        name, months.m1, months.m2, months.edges, months.edges);
}

void
report_facts_with_totals (report_run_t *run, report_query_t *query, const char *from,
                          const char *to)
{
    report_query_add (query, "WITH ");
    report_facts_clients (run, query);
    report_query_add (query, ", ");
    report_facts_totals (run, query, "totals", from, to);
}

void
report_facts_documents (report_run_t *run, report_query_t *query, const char *from,
                        const char *to)
{
    const char *zone = report_query_param (query, run->time_zone);
    report_query_add (query,
        ", documents AS (SELECT r.client_id, sum (r.payments) AS payments,"
        "   sum (r.late_payments) AS late_payments, sum (r.shipments) AS shipments,"
        "   sum (r.late_shipments) AS late_shipments"
        "   FROM analytics.client_day_rollups r WHERE r.day >= %s::date AND r.day < %s::date"
        "   GROUP BY r.client_id)"
        ", cases AS (SELECT k.client_id, count (*) FILTER (WHERE k.kind = 'request') AS requests,"
        "   count (*) FILTER (WHERE k.kind = 'complaint') AS complaints"
        "   FROM analytics.client_cases k"
        "   WHERE k.started_at >= %s::date::timestamp AT TIME ZONE %s"
        "     AND k.started_at < %s::date::timestamp AT TIME ZONE %s"
        "   GROUP BY k.client_id)", from, to, from, zone, to, zone);
}

void
report_facts_ranked (report_query_t *query, const char *value)
{
    report_query_add (query,
        ", ranked AS MATERIALIZED (SELECT r.*,"
        "   row_number () OVER (ORDER BY r.%s DESC, r.id, r.external_id) AS rank,"
        "   sum (r.%s) FILTER (WHERE r.%s > 0) OVER () AS total, count (*) OVER () AS n"
        "   FROM rows r)", value, value, value);
}

static const report_dimension_t s_dimensions [] = {
    { REPORT_DIM_MANAGER,  "manager",  "c.manager",  "c.manager_name", "Manager" },
    { REPORT_DIM_REGION,   "region",   "c.region",   "c.region",       "Region" },
    { REPORT_DIM_COUNTRY,  "country",  "c.country",  "c.country",      "Country" },
    { REPORT_DIM_CATEGORY, "category", "c.category", "c.category",     "Category" },
    { REPORT_DIM_SOURCE,   "source",   "c.source",   "c.source",       "Source" },
    { 0, NULL, NULL, NULL, NULL }
};

const report_dimension_t *
report_facts_dimension (report_run_t *run)
{
    if (run->params->n_dimensions == 0)
        return NULL;
    for (const report_dimension_t *dimension = s_dimensions; dimension->name; dimension++)
        if (streq (dimension->name, run->params->dimensions [0]))
            return dimension;
    return NULL;
}

int
report_facts_one_dimension (report_run_t *run)
{
    if (run->params->n_dimensions > 1)
        return crmq_reply_error (run->reply, CRMQ_INVALID_ARGUMENT, "dimensions",
                                 "dimensions: report %s groups by one dimension at most",
                                 run->params->report);
    return 0;
}

const char *
report_facts_measure (report_run_t *run)
{
    switch (run->measure) {
        case REPORT_MEASURE_PROFIT:   return "(t.revenue - t.cost)";
        case REPORT_MEASURE_QUANTITY: return "t.quantity";
        case REPORT_MEASURE_ORDERS:   return "t.orders";
        default:                      return "t.revenue";
    }
}

const char *
report_facts_measure_name (report_run_t *run)
{
    switch (run->measure) {
        case REPORT_MEASURE_PROFIT:   return "profit";
        case REPORT_MEASURE_QUANTITY: return "quantity";
        case REPORT_MEASURE_ORDERS:   return "orders";
        default:                      return "revenue";
    }
}

const char *
report_facts_from (report_run_t *run, report_query_t *query)
{
    return report_query_param (query, run->from_day);
}

const char *
report_facts_to (report_run_t *run, report_query_t *query)
{
    return report_query_param (query, run->to_day);
}

int
report_facts_measure_costs_missing (report_run_t *run, bool *missing)
{
    *missing = false;
    return run->measure == REPORT_MEASURE_PROFIT? report_facts_costs_missing (run, missing): 0;
}

int
report_facts_costs_missing (report_run_t *run, bool *missing)
{
    *missing = false;
    report_query_t *query = report_query_new ();
    report_query_add (query, "WITH ");
    report_facts_clients (run, query);
    report_query_add (query, ", ");
    const char *from = report_facts_from (run, query);
    const char *to = report_facts_to (run, query);
    report_facts_totals (run, query, "totals", from, to);
    const char *zone = report_query_param (query, run->time_zone);
    report_query_add (query, " SELECT coalesce (sum (t.lines_without_cost), 0),"
                      " coalesce (sum (t.lines), 0),"
                      " (SELECT count (*) FROM analytics.return_lines r JOIN clients c"
                      "   ON c.id = r.client_id WHERE NOT r.has_cost"
                      "   AND (r.returned_at AT TIME ZONE %s)::date >= %s::date"
                      "   AND (r.returned_at AT TIME ZONE %s)::date < %s::date",
                      zone, from, zone, to);
    report_facts_group_filter (run, query);
    report_query_add (query, ") FROM totals t JOIN clients c ON c.id = t.client_id");
    PGresult *result = report_query_exec (query, run->pg);
    report_query_destroy (&query);
    if (!result)
        return -1;
    long long without = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    long long lines = strtoll (PQgetvalue (result, 0, 1), NULL, 10);
    long long returns_without = strtoll (PQgetvalue (result, 0, 2), NULL, 10);
    PQclear (result);
    if (without > 0) {
        *missing = true;
        report_result_note (run->result, "costs missing: %lld of %lld order lines in the period "
                            "have no cost (neither on the line nor as the product's standard "
                            "cost), so profit is not reported", without, lines);
    }
    else
    if (returns_without > 0) {
        *missing = true;
        report_result_note (run->result, "costs missing: %lld return lines in the period have no "
                            "cost (neither on the line nor as the product's standard cost), so "
                            "profit is not reported", returns_without);
    }
    return 0;
}

void
report_facts_fraction (const Crmq__Decimal *value, const char *fallback, char *buf, size_t size)
{
    if (!value || (value->units == 0 && value->nanos == 0))
        snprintf (buf, size, "%s", fallback);
    else
        crmq_decimal_format (value->units, value->nanos, buf, size);
}

const char *
report_facts_measure_column (report_run_t *run)
{
    switch (run->measure) {
        case REPORT_MEASURE_PROFIT:   return "value:money:Profit";
        case REPORT_MEASURE_QUANTITY: return "value:decimal:Quantity";
        case REPORT_MEASURE_ORDERS:   return "value:int:Orders";
        default:                      return "value:money:Revenue";
    }
}

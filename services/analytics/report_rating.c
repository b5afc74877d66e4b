/*  report_rating.c - clients, or the values of one client dimension,
    ranked by the measure (docs/reports.md, "rating").

    value = the measure over the period (0 for a client with nothing in
    it); ranked by value descending, ties by client id (by the key's text
    for dimension values); share = value / the sum of the positive values
    of the table (as ABC); average order = revenue / orders rounded half-up
    to cents, 0 when revenue <= 0 or there is no order.                     */
#include "report_facts.h"

//  The measure's zero as its values print: "0.00" for amounts.
static const char *
s_zero (report_run_t *run)
{
    switch (run->measure) {
        case REPORT_MEASURE_QUANTITY: return "0.000000000";
        case REPORT_MEASURE_ORDERS:   return "0";
        default:                      return "0.00";
    }
}

//  rows: id, external_id, name, value, orders, revenue, clients; per client
//  or per value of `dimension`; then ranked and cut to the limit.
static void
s_query (report_run_t *run, report_query_t *query, const report_dimension_t *dimension)
{
    const char *from = report_facts_from (run, query);
    const char *to = report_facts_to (run, query);
    report_facts_with_totals (run, query, from, to);
    report_query_add (query,
        ", measure AS (SELECT c.id, c.external_id, c.name, %s AS key, %s AS label,"
        "   coalesce (%s, %s) AS value, coalesce (t.orders, 0) AS orders,"
        "   coalesce (t.revenue, 0.00) AS revenue"
        "   FROM clients c LEFT JOIN totals t ON t.client_id = c.id)",
        dimension? dimension->key: "''", dimension? dimension->label: "''",
        report_facts_measure (run), s_zero (run));
    if (dimension)
        report_query_add (query,
            ", rows AS (SELECT NULL::bigint AS id, key AS external_id, max (label) AS name,"
            "   sum (value) AS value, sum (orders) AS orders, sum (revenue) AS revenue,"
            "   count (*) FILTER (WHERE orders > 0) AS clients FROM measure GROUP BY key)");
    else
        report_query_add (query,
            ", rows AS (SELECT id, external_id, name, value, orders, revenue, 0 AS clients"
            "   FROM measure)");
    char limit [16];
    snprintf (limit, sizeof limit, "%d", run->params->limit);
    report_facts_ranked (query, "value");
    report_query_add (query,
        " SELECT rank::text, id::text, external_id, name, value::text,"
        "   CASE WHEN total > 0 THEN round (value / total, 9) ELSE 0.000000000 END::text,"
        "   clients::text, orders::text, revenue::text, (" REPORT_FACTS_AVERAGE_ORDER ")::text, n"
        " FROM ranked WHERE rank <= %s::bigint ORDER BY ranked.rank",
        report_query_param (query, limit));
}

int
report_rating (report_run_t *run)
{
    int rc = report_facts_one_dimension (run);
    if (rc != 0)
        return rc;
    const report_dimension_t *dimension = report_facts_dimension (run);
    char key_column [64];
    snprintf (key_column, sizeof key_column, "key:text:%s", dimension? dimension->title: "");
    const char *client_columns [] = {
        "rank:int:Rank", "client_id:int:Client id", "external_id:text:External id",
        "name:text:Client", report_facts_measure_column (run), "share:share:Share",
        "orders:int:Orders", "revenue:money:Revenue", "average_order:money:Average order", NULL
    };
    const char *group_columns [] = {
        "rank:int:Rank", key_column, "name:text:Name", report_facts_measure_column (run),
        "share:share:Share", "clients:int:Clients with orders", "orders:int:Orders",
        "revenue:money:Revenue", "average_order:money:Average order", NULL
    };
    report_table_t *table;
    if (dimension)
        table = report_result_table (run->result, "groups", dimension->title, "bars",
                                     group_columns);
    else
        table = report_result_table (run->result, "clients", "Clients", "bars",
                                     client_columns);
    bool missing;
    if (report_facts_measure_costs_missing (run, &missing) != 0)
        return -1;
    if (missing)
        return 0;
    report_query_t *query = report_query_new ();
    s_query (run, query, dimension);
    PGresult *result = report_query_exec (query, run->pg);
    report_query_destroy (&query);
    if (!result)
        return -1;
    for (int row = 0; row < PQntuples (result); row++) {
        //  the columns of the query: rank, id, external_id, name, value,
        //  share, clients, orders, revenue, average order
        const char *cells [10];
        for (int i = 0; i < 10; i++)
            cells [i] = PQgetvalue (result, row, i);
        if (dimension) {
            //  rank, key, name, value, share, clients, orders, revenue, average
            const char *group [9] = { cells [0], cells [2], cells [3], cells [4], cells [5],
                                      cells [6], cells [7], cells [8], cells [9] };
            report_table_row (table, group);
        }
        else {
            const char *client [9] = { cells [0], cells [1], cells [2], cells [3], cells [4],
                                       cells [5], cells [7], cells [8], cells [9] };
            report_table_row (table, client);
        }
    }
    report_table_total_rows (table, PQntuples (result)?
                             strtoll (PQgetvalue (result, 0, 10), NULL, 10): 0);
    PQclear (result);
    return 0;
}

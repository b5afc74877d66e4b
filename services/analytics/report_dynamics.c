/*  report_dynamics.c - order dynamics (docs/reports.md, "order dynamics").

    One row per period of the granularity (and per value of the dimension
    with --by): the measure over the period, over the same days one step
    earlier (the previous period) and one year earlier, the changes as
    fractions (value - base) / |base|, and the clients with orders and the
    orders of the period.  Read from the day rollups only: amounts and
    quantities from client_day_group_rollups, orders from
    client_day_rollups (from the group rollups under a product group filter
    or dimension: the orders with lines of the group).  With a dimension the
    ten values with the largest measure over the period keep rows of their
    own, the rest are summed as "other".                                   */
#include "report_sales_facts.h"

//  The dimension's key (as filters take it) and label over the clients `c`
//  and the product groups `g`: a client dimension (report_facts_dimension),
//  the product group, or none.
typedef struct {
    bool by;
    bool by_group;
    const char *key;
    const char *label;
} s_dimension_t;

static void
s_dimension (report_run_t *run, s_dimension_t *dimension)
{
    const report_dimension_t *client = report_facts_dimension (run);
    dimension->by = run->params->n_dimensions > 0;
    dimension->by_group = dimension->by && !client;
    dimension->key = client? client->key
                   : dimension->by_group? "coalesce (g.external_id, '')": "''";
    dimension->label = client? client->label
                     : dimension->by_group? "coalesce (g.name, '')": "''";
}

//  The rows a dimension keeps apart; the rest are "other".
#define S_TOP 10

//  The measure over one group rollup row `r`, and its SQL type.
static const char *
s_measure_sql (report_run_t *run)
{
    switch (run->measure) {
        case REPORT_MEASURE_PROFIT:   return "(r.sales - r.returns) - (r.cost - r.return_cost)";
        case REPORT_MEASURE_QUANTITY: return "r.quantity - r.returned_quantity";
        default:                      return "r.sales - r.returns";
    }
}

static const char *
s_measure_type (report_run_t *run)
{
    switch (run->measure) {
        case REPORT_MEASURE_QUANTITY: return "numeric(28, 9)";
        case REPORT_MEASURE_ORDERS:   return "bigint";
        default:                      return "numeric(28, 2)";
    }
}

//  What the statement is built for.
typedef struct {
    report_sales_range_t range;
    s_dimension_t dimension;
} s_args_t;

//  Appends the statement: ps, dimension, name, value, previous, change,
//  last year, change, clients, orders, blanked (comparison profit left
//  blank for missing costs).
static void
s_query (report_run_t *run, report_query_t *query, const void *arg)
{
    const report_sales_range_t *range = &((const s_args_t *) arg)->range;
    const s_dimension_t *dimension = &((const s_args_t *) arg)->dimension;
    bool by = dimension->by;
    bool by_group = dimension->by_group;
    bool grouped = by_group || report_facts_group_filtered (run);
    const char *groups = by_group
        ? " LEFT JOIN analytics.product_groups g ON g.id = r.product_group_id": "";
    report_query_add (query, "WITH ");
    report_facts_clients (run, query);
    report_query_add (query, ", ");
    report_sales_windows (run, query, range);
    const char *to = report_query_param (query, range->to);
    //  the orders of each client and day (clients with orders, orders)
    report_query_add (query,
        ", ordered AS MATERIALIZED (SELECT r.day, r.client_id, %s AS dim, %s AS dim_name,"
        "   sum (r.orders) AS orders"
        "   FROM %s r JOIN clients c ON c.id = r.client_id%s"
        "   WHERE r.day >= (SELECT min (day) FROM windows) AND r.day < %s::date"
        "   AND r.orders <> 0",
        dimension->key, dimension->label,
        grouped? "analytics.client_day_group_rollups": "analytics.client_day_rollups", groups, to);
    if (grouped)
        report_facts_group_filter (run, query);
    report_query_add (query, "   GROUP BY 1, 2, 3, 4)");
    //  the measure of each day and dimension value
    if (run->measure == REPORT_MEASURE_ORDERS)
        report_query_add (query,
            ", measured AS MATERIALIZED (SELECT day, dim, max (dim_name) AS dim_name,"
            "   sum (orders) AS value, 0 AS without FROM ordered GROUP BY 1, 2)");
    else {
        report_query_add (query,
            ", measured AS MATERIALIZED (SELECT r.day, %s AS dim, max (%s) AS dim_name,"
            "   sum (%s) AS value, %s AS without"
            "   FROM analytics.client_day_group_rollups r JOIN clients c ON c.id = r.client_id%s"
            "   WHERE r.day >= (SELECT min (day) FROM windows) AND r.day < %s::date",
            dimension->key, dimension->label, s_measure_sql (run),
            run->measure == REPORT_MEASURE_PROFIT? "sum (r.lines_without_cost)": "0", groups, to);
        report_facts_group_filter (run, query);
        report_query_add (query, "   GROUP BY 1, 2)");
    }
    //  dimension values by their measure over the period: the top ones
    //  keep their rank as key, the rest share key S_TOP + 1
    report_query_add (query,
        ", ranked AS MATERIALIZED (SELECT dim, max (dim_name) AS dim_name,"
        "   row_number () OVER (ORDER BY sum (value) DESC, dim) AS rank FROM ("
        "   SELECT m.dim, m.dim_name, m.value FROM measured m"
        "   JOIN windows w ON w.k = 0 AND w.day = m.day"
        "   UNION ALL SELECT o.dim, o.dim_name, 0 FROM ordered o"
        "   JOIN windows w ON w.k = 0 AND w.day = o.day) x GROUP BY dim)");
    char key [128];
    if (by) {
        snprintf (key, sizeof key, "CASE WHEN rk.rank <= %d THEN rk.rank ELSE %d END",
                  S_TOP, S_TOP + 1);
        report_query_add (query,
            ", keys AS (SELECT rank AS key, dim,"
            "   CASE WHEN dim = '' THEN '(none)' ELSE dim_name END AS dim_name"
            "   FROM ranked WHERE rank <= %d"
            "   UNION ALL SELECT %d, 'other', 'other' FROM ranked WHERE rank = %d)",
            S_TOP, S_TOP + 1, S_TOP + 1);
    }
    else {
        snprintf (key, sizeof key, "1");
        report_query_add (query, ", keys AS (SELECT 1 AS key, '' AS dim, '' AS dim_name)");
    }
    report_query_add (query,
        ", agg AS (SELECT w.ps, w.k, %s AS key, sum (m.value) AS value,"
        "   sum (m.without) AS without"
        "   FROM windows w JOIN measured m ON m.day = w.day"
        "   LEFT JOIN ranked rk ON rk.dim = m.dim GROUP BY 1, 2, 3)"
        ", activity AS (SELECT w.ps, %s AS key, count (DISTINCT o.client_id) AS clients,"
        "   sum (o.orders) AS orders"
        "   FROM windows w JOIN ordered o ON o.day = w.day AND w.k = 0"
        "   LEFT JOIN ranked rk ON rk.dim = o.dim GROUP BY 1, 2)",
        key, key);
    const char *type = s_measure_type (run);
    report_query_add (query,
        ", figures AS (SELECT p.ps, k.key, k.dim, k.dim_name,"
        "   coalesce (a0.value, 0)::%s AS v,"
        "   CASE WHEN a1.without > 0 THEN NULL ELSE coalesce (a1.value, 0)::%s END AS pv,"
        "   CASE WHEN a2.without > 0 THEN NULL ELSE coalesce (a2.value, 0)::%s END AS lv,"
        "   coalesce (x.clients, 0) AS clients, coalesce (x.orders, 0) AS orders,"
        "   coalesce (a1.without > 0 OR a2.without > 0, false) AS blanked"
        "   FROM periods p CROSS JOIN keys k"
        "   LEFT JOIN agg a0 ON a0.ps = p.ps AND a0.k = 0 AND a0.key = k.key"
        "   LEFT JOIN agg a1 ON a1.ps = p.ps AND a1.k = 1 AND a1.key = k.key"
        "   LEFT JOIN agg a2 ON a2.ps = p.ps AND a2.k = 2 AND a2.key = k.key"
        "   LEFT JOIN activity x ON x.ps = p.ps AND x.key = k.key)"
        " SELECT ps::text, dim, dim_name, v, pv, ",
        type, type, type);
    report_sales_change (query, "v", "pv");
    report_query_add (query, ", lv, ");
    report_sales_change (query, "v", "lv");
    report_query_add (query, ", clients, orders, blanked FROM figures ORDER BY ps, key");
}

//  The column "name:type:Title" of the run's measure type.
static void
s_column (report_run_t *run, const char *name, const char *title, char *buf, size_t size)
{
    const char *type = run->measure == REPORT_MEASURE_ORDERS? "int"
                     : run->measure == REPORT_MEASURE_QUANTITY? "decimal": "money";
    snprintf (buf, size, "%s:%s:%s", name, type, title);
}

int
report_dynamics (report_run_t *run)
{
    int rc = report_facts_one_dimension (run);
    if (rc != 0)
        return rc;
    s_args_t args;
    memset (&args, 0, sizeof args);
    s_dimension (run, &args.dimension);
    char previous [64], last_year [64];
    s_column (run, "previous_value", "Previous period", previous, sizeof previous);
    s_column (run, "last_year_value", "A year earlier", last_year, sizeof last_year);
    const char *columns [12];
    size_t n = 0;
    columns [n++] = "period:date:Period";
    if (args.dimension.by) {
        columns [n++] = "dimension:text:Dimension";
        columns [n++] = "dimension_name:text:Name";
    }
    columns [n++] = report_facts_measure_column (run);
    columns [n++] = previous;
    columns [n++] = "change:share:Change";
    columns [n++] = last_year;
    columns [n++] = "last_year_change:share:Change on a year earlier";
    columns [n++] = "clients:int:Clients with orders";
    columns [n++] = "orders:int:Orders";
    columns [n] = NULL;
    report_table_t *periods = report_result_table (run->result, "periods", "Order dynamics",
                                                   "lines", columns);
    bool missing;
    if (report_facts_measure_costs_missing (run, &missing) != 0)
        return -1;
    if (missing)
        return 0;
    rc = report_sales_range (run, "SELECT min (day) FROM analytics.client_day_group_rollups",
                             run->to_day, &args.range);
    if (rc != 0 || args.range.empty)
        return rc;
    PGresult *result = report_sales_exec (run, s_query, &args);
    if (!result)
        return -1;
    long long blanked = 0;
    for (int row = 0; row < PQntuples (result); row++) {
        const char *cells [12];
        size_t cell = 0;
        cells [cell++] = PQgetvalue (result, row, 0);
        if (args.dimension.by) {
            cells [cell++] = PQgetvalue (result, row, 1);
            cells [cell++] = PQgetvalue (result, row, 2);
        }
        for (int i = 3; i < 10; i++)
            cells [cell++] = PQgetvalue (result, row, i);
        report_table_row (periods, cells);
        blanked += streq (PQgetvalue (result, row, 10), "t");
    }
    PQclear (result);
    if (blanked)
        report_result_note (run->result, "costs missing before the period: the previous or"
                            " year-earlier profit of %lld rows is left blank (some order lines"
                            " of those days have no cost)", blanked);
    return 0;
}

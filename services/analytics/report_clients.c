/*  report_clients.c - client metrics, per client or per value of one
    dimension (docs/reports.md, "client metrics").

    Sales figures (revenue, profit, quantity, orders, discounts, returns)
    come from the group rollups (the product group filter applies); late
    payments and shipments from the day rollups and complaints from
    analytics.client_cases, per client (no product group filter applies to
    them, and product group rows leave them blank).  The previous period is
    [from - (to - from), from); order frequency = orders x 30 / the days of
    [start, end), start = from or, for an open start, the first order's day
    in the period; end = to or, for an open end, the report date.          */
#include "report_facts.h"

//  The columns of the query after `part`: rank, id, external_id, name,
//  clients, then the metrics (s_metric_columns), then n (all rows).
#define S_METRICS   14

static const char *s_metric_columns [S_METRICS] = {
    "revenue:money:Revenue", "profit:money:Profit", "quantity:decimal:Quantity",
    "orders:int:Orders", "order_frequency:decimal:Orders per 30 days",
    "average_order:money:Average order", "share:share:Share of revenue",
    "previous_revenue:money:Previous period revenue", "change:share:Change",
    "discounts:money:Discounts", "late_payments:int:Late payments", "returns:money:Returns",
    "late_shipments:int:Late shipments", "complaints:int:Complaints"
};

typedef struct {
    const report_dimension_t *dimension;    //  a client dimension, or NULL
    bool product_group;                     //  --by product_group
    bool previous;                          //  both ends bounded: a previous period
    bool costs_missing;
    bool open_start;
} s_shape_t;

//  The start of the previous period of [from, to) as SQL, into buf.
static const char *
s_previous_from (const char *from, const char *to, char *buf, size_t size)
{
    snprintf (buf, size, "(%s::date - (%s::date - %s::date))", from, to, from);
    return buf;
}

//  Appends "rows AS (...)": id, external_id, name, clients, revenue, cost,
//  quantity, orders, discounts, returns, previous, late_payments,
//  late_shipments, complaints, first_day; per client or client dimension.
static void
s_client_rows (report_run_t *run, report_query_t *query, const s_shape_t *shape,
               const char *from, const char *to)
{
    report_facts_with_totals (run, query, from, to);
    if (shape->previous) {
        report_query_add (query, ", ");
        char previous_from [96];
        report_facts_totals (run, query, "previous",
                             s_previous_from (from, to, previous_from, sizeof previous_from),
                             from);
    }
    report_facts_documents (run, query, from, to);
    report_query_add (query,
        ", firsts AS (SELECT r.client_id, min (r.day) AS first_day"
        "   FROM analytics.client_day_group_rollups r"
        "   WHERE r.orders > 0 AND r.day >= %s::date AND r.day < %s::date", from, to);
    report_facts_group_filter (run, query);
    const report_dimension_t *dimension = shape->dimension;
    report_query_add (query,
        "   GROUP BY r.client_id)"
        ", figures AS (SELECT c.id, c.external_id, c.name, %s AS key, %s AS label,"
        "   coalesce (t.revenue, 0.00) AS revenue, coalesce (t.cost, 0.00) AS cost,"
        "   coalesce (t.quantity, 0.000000000) AS quantity, coalesce (t.orders, 0) AS orders,"
        "   coalesce (t.discounts, 0.00) AS discounts, coalesce (t.returns, 0.00) AS returns,"
        "   %s AS previous,"
        "   coalesce (d.late_payments, 0) AS late_payments,"
        "   coalesce (d.late_shipments, 0) AS late_shipments,"
        "   coalesce (k.complaints, 0) AS complaints, f.first_day"
        "   FROM clients c LEFT JOIN totals t ON t.client_id = c.id"
        "   %s"
        "   LEFT JOIN documents d ON d.client_id = c.id LEFT JOIN cases k ON k.client_id = c.id"
        "   LEFT JOIN firsts f ON f.client_id = c.id)",
        dimension? dimension->key: "''", dimension? dimension->label: "''",
        shape->previous? "coalesce (p.revenue, 0.00)": "NULL::numeric",
        shape->previous? "LEFT JOIN previous p ON p.client_id = c.id": "");
    if (dimension)
        report_query_add (query,
            ", rows AS (SELECT NULL::bigint AS id, key AS external_id, max (label) AS name,"
            "   count (*) FILTER (WHERE orders > 0) AS clients, sum (revenue) AS revenue,"
            "   sum (cost) AS cost, sum (quantity) AS quantity, sum (orders) AS orders,"
            "   sum (discounts) AS discounts, sum (returns) AS returns, sum (previous) AS previous,"
            "   sum (late_payments) AS late_payments, sum (late_shipments) AS late_shipments,"
            "   sum (complaints) AS complaints, min (first_day) AS first_day"
            "   FROM figures GROUP BY key)");
    else
        report_query_add (query,
            ", rows AS (SELECT id, external_id, name, NULL::bigint AS clients, revenue, cost,"
            "   quantity, orders, discounts, returns, previous, late_payments, late_shipments,"
            "   complaints, first_day FROM figures)");
}

//  Appends one product group's sums over [from, to) as "<name> AS (...)".
static void
s_group_sums (report_run_t *run, report_query_t *query, const char *name, const char *from,
              const char *to)
{
    report_query_add (query,
        ", %s AS (SELECT r.product_group_id AS group_id, sum (r.sales - r.returns) AS revenue,"
        "   sum (r.cost - r.return_cost) AS cost,"
        "   sum (r.quantity - r.returned_quantity) AS quantity, sum (r.orders) AS orders,"
        "   sum (r.discounts) AS discounts, sum (r.returns) AS returns,"
        "   count (DISTINCT r.client_id) FILTER (WHERE r.orders > 0) AS clients,"
        "   min (r.day) FILTER (WHERE r.orders > 0) AS first_day"
        "   FROM analytics.client_day_group_rollups r JOIN clients c ON c.id = r.client_id"
        "   WHERE r.day >= %s::date AND r.day < %s::date", name, from, to);
    report_facts_group_filter (run, query);
    report_query_add (query, "   GROUP BY r.product_group_id)");
}

//  Appends "rows AS (...)" as s_client_rows, one row per product group
//  with anything in the period or the previous one.
static void
s_group_rows (report_run_t *run, report_query_t *query, const s_shape_t *shape,
              const char *from, const char *to)
{
    s_group_sums (run, query, "sums", from, to);
    if (shape->previous) {
        char previous_from [96];
        s_group_sums (run, query, "previous",
                      s_previous_from (from, to, previous_from, sizeof previous_from), from);
    }
    else
        report_query_add (query, ", previous AS (SELECT 0::bigint AS group_id,"
                          " NULL::numeric AS revenue WHERE false)");
    report_query_add (query,
        ", rows AS (SELECT NULL::bigint AS id, coalesce (g.external_id, '') AS external_id,"
        "   coalesce (g.name, '') AS name, coalesce (s.clients, 0) AS clients,"
        "   coalesce (s.revenue, 0.00) AS revenue, coalesce (s.cost, 0.00) AS cost,"
        "   coalesce (s.quantity, 0.000000000) AS quantity, coalesce (s.orders, 0) AS orders,"
        "   coalesce (s.discounts, 0.00) AS discounts, coalesce (s.returns, 0.00) AS returns,"
        "   %s AS previous, NULL::bigint AS late_payments, NULL::bigint AS late_shipments,"
        "   NULL::bigint AS complaints, s.first_day"
        "   FROM sums s FULL JOIN previous p ON p.group_id = s.group_id"
        "   LEFT JOIN analytics.product_groups g ON g.id = coalesce (s.group_id, p.group_id))",
        shape->previous? "coalesce (p.revenue, 0.00)": "NULL::numeric");
}

static void
s_query (report_run_t *run, report_query_t *query, const s_shape_t *shape)
{
    const char *from = report_facts_from (run, query);
    const char *to = report_facts_to (run, query);
    //  only a parameter the text uses: PostgreSQL cannot type the others
    const char *as_of = streq (run->to_day, "infinity")?
                        report_query_param (query, run->as_of_day): NULL;
    if (shape->product_group) {
        report_query_add (query, "WITH ");
        report_facts_clients (run, query);
        s_group_rows (run, query, shape, from, to);
    }
    else
        s_client_rows (run, query, shape, from, to);
    char limit [16];
    snprintf (limit, sizeof limit, "%d", run->params->limit);
    //  the span of the order frequency: [start, end) in days
    char start [48], end [48];
    snprintf (start, sizeof start, "%s", shape->open_start? "first_day": from);
    snprintf (end, sizeof end, "%s", as_of? as_of: to);
    report_facts_ranked (query, "revenue");
    report_query_add (query,
        " SELECT rank::text, id::text, external_id, name, clients::text, revenue::text,"
        "   %s::text, quantity::text, orders::text,"
        "   CASE WHEN orders = 0 THEN 0.00 WHEN %s::date - %s::date > 0"
        "        THEN round (orders * 30 / (%s::date - %s::date), 2) END::text,"
        "   (" REPORT_FACTS_AVERAGE_ORDER ")::text,"
        "   CASE WHEN total > 0 THEN round (revenue / total, 9) ELSE 0.000000000 END::text,"
        "   previous::text,"
        "   CASE WHEN previous <> 0 THEN round ((revenue - previous) / abs (previous), 9)"
        "   END::text,"
        "   discounts::text, late_payments::text, returns::text, late_shipments::text,"
        "   complaints::text, n"
        " FROM ranked WHERE rank <= %s::bigint ORDER BY ranked.rank",
        shape->costs_missing? "NULL::numeric": "(revenue - cost)", end, start, end, start,
        report_query_param (query, limit));
}

int
report_clients (report_run_t *run)
{
    int rc = report_facts_one_dimension (run);
    if (rc != 0)
        return rc;
    s_shape_t shape = {
        .dimension = report_facts_dimension (run),
        .product_group = (run->dimensions & REPORT_DIM_PRODUCT_GROUP) != 0,
        .previous = !streq (run->from_day, "-infinity") && !streq (run->to_day, "infinity"),
        .open_start = streq (run->from_day, "-infinity")
    };
    bool grouped = shape.dimension || shape.product_group;
    const char *columns [5 + S_METRICS + 1];
    char key_column [64];
    snprintf (key_column, sizeof key_column, "key:text:%s",
              shape.product_group? "Product group": shape.dimension? shape.dimension->title: "");
    int count = 0;
    columns [count++] = "rank:int:Rank";
    if (grouped) {
        columns [count++] = key_column;
        columns [count++] = "name:text:Name";
        columns [count++] = "clients:int:Clients with orders";
    }
    else {
        columns [count++] = "client_id:int:Client id";
        columns [count++] = "external_id:text:External id";
        columns [count++] = "name:text:Client";
    }
    for (int i = 0; i < S_METRICS; i++)
        columns [count++] = s_metric_columns [i];
    columns [count] = NULL;
    report_table_t *table = report_result_table (run->result, grouped? "groups": "clients",
                                                 grouped? "Client metrics by group"
                                                        : "Client metrics", "bars", columns);
    if (report_facts_costs_missing (run, &shape.costs_missing) != 0)
        return -1;
    if (!shape.previous)
        report_result_note (run->result, "the period has an open end: no previous period of "
                            "equal length, so previous revenue and change are blank");
    if (shape.product_group)
        report_result_note (run->result, "late payments, late shipments and complaints belong "
                            "to clients, not to product groups: blank in product group rows");
    else
    if (report_facts_group_filtered (run))
        report_result_note (run->result, "late payments, late shipments and complaints are the "
                            "clients' whole figures: the product group filter does not apply "
                            "to them");
    report_query_t *query = report_query_new ();
    s_query (run, query, &shape);
    PGresult *result = report_query_exec (query, run->pg);
    report_query_destroy (&query);
    if (!result)
        return -1;
    for (int row = 0; row < PQntuples (result); row++) {
        //  the query: rank, id, external_id, name, clients, the metrics, n
        const char *cells [4 + S_METRICS];
        int cell = 0;
        cells [cell++] = PQgetvalue (result, row, 0);
        if (grouped) {
            cells [cell++] = PQgetvalue (result, row, 2);
            cells [cell++] = PQgetvalue (result, row, 3);
            cells [cell++] = PQgetvalue (result, row, 4);
        }
        else
            for (int i = 1; i <= 3; i++)
                cells [cell++] = PQgetvalue (result, row, i);
        for (int i = 0; i < S_METRICS; i++)
            cells [cell++] = PQgetvalue (result, row, 5 + i);
        report_table_row (table, cells);
    }
    report_table_total_rows (table, PQntuples (result)?
                             strtoll (PQgetvalue (result, 0, 5 + S_METRICS), NULL, 10): 0);
    PQclear (result);
    return 0;
}

/*  report_managers.c - manager activity and efficiency (docs/reports.md,
    "managers").

    One row per manager: every active manager, and any other with figures
    in the period, plus a row without a manager for the orders and returns
    no manager made.  Sales are the order's manager's (the manager the ERP
    names on the order): revenue = the order amounts (base currency) of the
    orders placed in the period less the returns registered in the period
    of that manager's orders, so the rows add up to the period's revenue;
    clients and orders are those of the same orders.  The rollups are per
    client and cannot give this: the report reads analytics.orders and
    analytics.returns of the period.  Deals won and lost (closed in the
    period) are the deal's manager's, interactions (not planned ones) the
    manager's who logged them, complaints (opened in the period) those of
    the manager's clients (the client's responsible manager).  Client
    filters apply to the client of each order, deal, interaction and
    complaint; the manager filter keeps the rows of those managers.         */
#include "report_sales_facts.h"

static void
s_query (report_run_t *run, report_query_t *query, const void *arg)
{
    (void) arg;
    report_sales_start (run, query);
    const char *currency = report_query_param (query, run->currency);
    report_query_add (query,
        ", sold AS MATERIALIZED (SELECT o.manager_id, o.client_id, o.amount"
        "   FROM analytics.orders o JOIN clients c ON c.id = o.client_id, instants i"
        "   WHERE o.placed_at >= i.f AND o.placed_at < i.t)"
        ", facts AS ("
        "   SELECT manager_id, amount AS revenue, 1 AS orders, 0 AS won, 0 AS lost,"
        "   0::numeric AS won_amount, NULL::text AS foreign_currency, 0 AS interactions,"
        "   0 AS complaints, 0 AS resolved FROM sold"
        "   UNION ALL SELECT o.manager_id, -t.amount, 0, 0, 0, 0, NULL, 0, 0, 0"
        "   FROM analytics.returns t JOIN clients c ON c.id = t.client_id CROSS JOIN instants i"
        "   LEFT JOIN analytics.orders o ON o.id = t.order_id"
        "   WHERE t.returned_at >= i.f AND t.returned_at < i.t"
        "   UNION ALL SELECT d.manager_id, 0, 0, (d.status = 'won')::int, (d.status = 'lost')::int,"
        "   CASE WHEN d.status = 'won' AND d.currency = %s THEN d.amount ELSE 0 END,"
        "   CASE WHEN d.status = 'won' AND d.currency <> %s THEN d.currency END, 0, 0, 0"
        "   FROM analytics.deals d JOIN clients c ON c.id = d.client_id, instants i"
        "   WHERE d.closed_at >= i.f AND d.closed_at < i.t"
        "   UNION ALL SELECT x.manager_id, 0, 0, 0, 0, 0, NULL, 1, 0, 0"
        "   FROM analytics.interactions x JOIN clients c ON c.id = x.client_id, instants i"
        "   WHERE x.started_at >= i.f AND x.started_at < i.t AND x.status <> 'planned'"
        "   AND x.manager_id IS NOT NULL"
        "   UNION ALL SELECT k.manager_id, 0, 0, 0, 0, 0, NULL, 0, 1,"
        "   (x.status IN ('resolved', 'closed'))::int"
        "   FROM analytics.interactions x JOIN clients c ON c.id = x.client_id"
        "   JOIN analytics.clients k ON k.id = x.client_id, instants i"
        "   WHERE x.kind = 'complaint' AND x.started_at >= i.f AND x.started_at < i.t"
        "   AND k.manager_id IS NOT NULL)"
        ", figures AS (SELECT manager_id, sum (revenue) AS revenue, sum (orders) AS orders,"
        "   sum (won) AS won, sum (lost) AS lost, sum (won_amount) AS won_amount,"
        "   count (foreign_currency) AS foreign_won,"
        "   array_agg (DISTINCT foreign_currency) FILTER (WHERE foreign_currency IS NOT NULL)"
        "   AS currencies,"
        "   sum (interactions) AS interactions, sum (complaints) AS complaints,"
        "   sum (resolved) AS resolved FROM facts GROUP BY manager_id)"
        ", buyers AS (SELECT manager_id, count (DISTINCT client_id) AS clients FROM sold"
        "   GROUP BY manager_id)",
        currency, currency);
    report_query_add (query,
        ", kept AS MATERIALIZED (SELECT coalesce (m.id, f.manager_id) AS manager_id,"
        "   m.external_id,"
        "   CASE WHEN m.id IS NULL AND f.manager_id IS NULL THEN '(no manager)' ELSE m.name END"
        "   AS name,"
        "   coalesce (f.revenue, 0)::numeric(28, 2) AS revenue, coalesce (b.clients, 0) AS clients,"
        "   coalesce (f.orders, 0) AS orders, coalesce (f.won, 0) AS won,"
        "   coalesce (f.lost, 0) AS lost, coalesce (f.won_amount, 0)::numeric(28, 2) AS won_amount,"
        "   coalesce (f.foreign_won, 0) AS foreign_won, f.currencies,"
        "   coalesce (f.interactions, 0) AS interactions,"
        "   coalesce (f.complaints, 0) AS complaints, coalesce (f.resolved, 0) AS resolved"
        "   FROM analytics.managers m FULL JOIN figures f ON f.manager_id = m.id"
        "   LEFT JOIN buyers b ON f.orders > 0 AND b.manager_id IS NOT DISTINCT FROM f.manager_id"
        "   WHERE (m.active OR f.manager_id IS NOT NULL OR m.id IS NULL)");
    report_sales_manager_filter (run, query, "m.external_id");
    char limit [16];
    snprintf (limit, sizeof limit, "%d", run->params->limit);
    report_query_add (query,
        ")"
        " SELECT manager_id::text, external_id, name, revenue::text, clients::text,"
        "   orders::text,"
        "   (" REPORT_FACTS_AVERAGE_ORDER ")::text,"
        "   won::text, lost::text,"
        "   CASE WHEN won + lost > 0 THEN round (won::numeric / (won + lost), 9) END::text,"
        "   won_amount::text, interactions::text, complaints::text, resolved::text,"
        "   (SELECT count (*) FROM kept)::text, (SELECT sum (foreign_won) FROM kept)::text,"
        "   (SELECT string_agg (DISTINCT c, ', ' ORDER BY c) FROM kept, unnest (currencies) c)"
        " FROM kept ORDER BY kept.revenue DESC, kept.external_id, kept.manager_id NULLS LAST"
        " LIMIT %s::bigint", report_query_param (query, limit));
}

int
report_managers (report_run_t *run)
{
    static const char *columns [] = {
        "manager_id:int:Manager id", "manager:text:External id", "name:text:Manager",
        "revenue:money:Revenue", "clients:int:Clients", "orders:int:Orders",
        "average_order:money:Average order", "deals_won:int:Deals won",
        "deals_lost:int:Deals lost", "win_rate:share:Win rate", "won_amount:money:Won amount",
        "interactions:int:Interactions", "complaints:int:Complaints",
        "complaints_resolved:int:Complaints resolved", NULL
    };
    report_table_t *managers = report_result_table (run->result, "managers", "Managers", "bars",
                                                    columns);
    PGresult *result = report_sales_exec (run, s_query, NULL);
    if (!result)
        return -1;
    report_table_rows_pg (managers, result, 0);
    if (PQntuples (result) > 0) {
        report_table_total_rows (managers, strtoll (PQgetvalue (result, 0, 14), NULL, 10));
        report_sales_currency_note (run, PQgetvalue (result, 0, 15), PQgetvalue (result, 0, 16));
    }
    PQclear (result);
    return 0;
}

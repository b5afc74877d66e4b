/*  report_deal_dynamics.c - deal dynamics (docs/reports.md, "deal
    dynamics").

    Per period of the granularity: the deals created in it, the deals won
    and lost in it (closed then, and won or lost now), the amount of those
    won (deals in the base currency only: deals carry no exchange rate),
    the average days from creation to winning, and the won amount of the
    same days one step earlier and one year earlier with the changes.
    Days are the company zone's; the client filters apply to the deal's
    client, the manager filter to the deal's manager.                      */
#include "report_sales_facts.h"

//  Appends the statement: ps, created, won, lost, won amount, average days
//  to win, previous, change, year earlier, change, won in other
//  currencies, those currencies.
static void
s_query (report_run_t *run, report_query_t *query, const void *arg)
{
    const report_sales_range_t *range = (const report_sales_range_t *) arg;
    report_sales_start (run, query);
    report_query_add (query, ", ");
    report_sales_windows (run, query, range);
    const char *zone = report_query_param (query, run->time_zone);
    const char *currency = report_query_param (query, run->currency);
    char columns [256];
    snprintf (columns, sizeof columns, "d.status, d.currency, d.amount,"
              " (d.created_at AT TIME ZONE %s)::date AS created_day,"
              " (d.closed_at AT TIME ZONE %s)::date AS closed_day,"
              " extract (epoch FROM d.closed_at - d.created_at) / 86400 AS days", zone, zone);
    report_sales_deals (run, query, columns);
    report_query_add (query,
        ", events AS (SELECT created_day AS day, 1 AS created, 0 AS won, 0 AS lost,"
        "   0::numeric AS won_amount, 0::numeric AS won_days, 0 AS foreign_won FROM deals"
        "   UNION ALL SELECT closed_day, 0, (status = 'won')::int, (status = 'lost')::int,"
        "   CASE WHEN status = 'won' AND currency = %s THEN amount ELSE 0 END,"
        "   CASE WHEN status = 'won' THEN days ELSE 0 END,"
        "   (status = 'won' AND currency <> %s)::int FROM deals WHERE closed_day IS NOT NULL)"
        ", daily AS MATERIALIZED (SELECT day, sum (created) AS created, sum (won) AS won,"
        "   sum (lost) AS lost, sum (won_amount) AS won_amount, sum (won_days) AS won_days,"
        "   sum (foreign_won) AS foreign_won FROM events"
        "   WHERE day >= (SELECT min (day) FROM windows) AND day < %s::date GROUP BY day)"
        ", agg AS (SELECT w.ps, w.k, sum (d.created) AS created, sum (d.won) AS won,"
        "   sum (d.lost) AS lost, sum (d.won_amount) AS won_amount, sum (d.won_days) AS won_days,"
        "   sum (d.foreign_won) AS foreign_won"
        "   FROM windows w JOIN daily d ON d.day = w.day GROUP BY 1, 2)"
        ", figures AS (SELECT p.ps, coalesce (a0.created, 0) AS created,"
        "   coalesce (a0.won, 0) AS won, coalesce (a0.lost, 0) AS lost,"
        "   coalesce (a0.won_amount, 0)::numeric(28, 2) AS v,"
        "   CASE WHEN a0.won > 0 THEN round (a0.won_days / a0.won, 1) END AS days,"
        "   coalesce (a1.won_amount, 0)::numeric(28, 2) AS pv,"
        "   coalesce (a2.won_amount, 0)::numeric(28, 2) AS lv,"
        "   coalesce (a0.foreign_won, 0) AS foreign_won"
        "   FROM periods p"
        "   LEFT JOIN agg a0 ON a0.ps = p.ps AND a0.k = 0"
        "   LEFT JOIN agg a1 ON a1.ps = p.ps AND a1.k = 1"
        "   LEFT JOIN agg a2 ON a2.ps = p.ps AND a2.k = 2)"
        " SELECT ps::text, created, won, lost, v, days, pv, ",
        currency, currency, report_query_param (query, range->to));
    report_sales_change (query, "v", "pv");
    report_query_add (query, ", lv, ");
    report_sales_change (query, "v", "lv");
    report_query_add (query,
        ", foreign_won, (SELECT string_agg (DISTINCT currency, ', ' ORDER BY currency)"
        "   FROM deals WHERE status = 'won' AND currency <> %s"
        "   AND closed_day >= (SELECT min (ps) FROM periods)"
        "   AND closed_day < (SELECT max (pe) FROM periods))"
        " FROM figures ORDER BY ps", currency);
}

int
report_deal_dynamics (report_run_t *run)
{
    static const char *columns [] = {
        "period:date:Period", "created:int:Created", "won:int:Won", "lost:int:Lost",
        "won_amount:money:Won amount", "average_days_to_win:decimal:Days to win",
        "previous_won_amount:money:Previous period", "change:share:Change",
        "last_year_won_amount:money:A year earlier",
        "last_year_change:share:Change on a year earlier", NULL
    };
    report_table_t *periods = report_result_table (run->result, "periods", "Deal dynamics",
                                                   "lines", columns);
    report_sales_range_t range;
    int rc = report_sales_range (run, "SELECT min ((created_at AT TIME ZONE $3)::date)"
                             " FROM analytics.deals", run->to_day, &range);
    if (rc != 0 || range.empty)
        return rc;
    PGresult *result = report_sales_exec (run, s_query, &range);
    if (!result)
        return -1;
    long long foreign = 0;
    for (int row = 0; row < PQntuples (result); row++) {
        const char *cells [10];
        for (int i = 0; i < 10; i++)
            cells [i] = PQgetvalue (result, row, i);
        report_table_row (periods, cells);
        foreign += strtoll (PQgetvalue (result, row, 10), NULL, 10);
    }
    if (foreign > 0) {
        char count [24];
        snprintf (count, sizeof count, "%lld", foreign);
        report_sales_currency_note (run, count, PQgetvalue (result, 0, 11));
    }
    PQclear (result);
    return 0;
}

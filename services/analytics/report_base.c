/*  report_base.c - the client base (docs/reports.md, "client base").

    From the day rollups, each client's order days before the report date D
    give events with the first day t from which they hold, classes at t
    counting the orders of days before t:
      first   the day after the first order            (a customer from then)
      second  the day after the order that makes two    (two or more orders)
      loss    the last order's day + lost_after_days   (lost from then) when
              no order came before it
      react   the day after the next order of a lost client
    A class count at t is the count of events with t' <= t; a period's flow
    (new, lost) the count of events in (start, end].  Each loss and
    reactivation carries whether the client then had one order or more.  */
#include "report_sales_facts.h"

//  $L lost_after_days; the placeholders of the period and D come from the
//  query; %s the granularity's step.
static void
s_query (report_run_t *run, report_query_t *query)
{
    const Crmq__ReportParams *params = run->params;
    char lost_after [16];
    snprintf (lost_after, sizeof lost_after, "%d", params->lost_after_days);
    const char *from = report_facts_from (run, query);
    const char *as_of = report_query_param (query, run->as_of_day);
    const char *lost = report_query_param (query, lost_after);
    const char *granularity = report_query_param (query, params->granularity);
    report_query_add (query, "WITH ");
    report_facts_clients (run, query);
    report_query_add (query,
        ", days AS (SELECT r.client_id, r.day, r.orders FROM analytics.client_day_rollups r"
        "   JOIN clients c ON c.id = r.client_id WHERE r.orders > 0 AND r.day < %s::date)"
        ", seq AS (SELECT client_id, day, orders, sum (orders) OVER w AS cum,"
        "   lead (day) OVER w AS next_day FROM days"
        "   WINDOW w AS (PARTITION BY client_id ORDER BY day))"
        ", events AS ("
        "   SELECT day + 1 AS e, 'first' AS kind, 0 AS k FROM seq WHERE cum = orders"
        "   UNION ALL SELECT day + 1, 'second', 0 FROM seq WHERE cum - orders < 2 AND cum >= 2"
        "   UNION ALL SELECT day + %s::int, 'loss', CASE WHEN cum >= 2 THEN 2 ELSE 1 END FROM seq"
        "    WHERE next_day IS NULL OR next_day >= day + %s::int"
        "   UNION ALL SELECT next_day + 1, 'react', CASE WHEN cum >= 2 THEN 2 ELSE 1 END FROM seq"
        "    WHERE next_day >= day + %s::int)"
        ", ev AS (SELECT e, kind, k, count (*) AS n FROM events WHERE e <= %s::date"
        "   GROUP BY e, kind, k)",
        as_of, lost, lost, lost, as_of);
    //  buckets: the granularity's periods within [from, D), the first cut at
    //  from; from -infinity starts at the first order
    report_query_add (query,
        ", bounds AS (SELECT CASE WHEN %s::date = '-infinity' THEN (SELECT min (day) FROM days)"
        "   ELSE %s::date END AS f, %s::date AS t)"
        ", step AS (SELECT CASE %s WHEN 'quarter' THEN interval '3 months'"
        "   ELSE ('1 ' || %s)::interval END AS s)"
        ", buckets AS (SELECT greatest (b::date, f) AS ps, least ((b + s)::date, t) AS pe"
        "   FROM bounds, step, generate_series (date_trunc (%s, f), t - 1, s) b"
        "   WHERE f < t)"
        ", total AS (SELECT count (*) AS n FROM clients)"
        //  a client lost at pe and not at ps: its loss in (ps, pe], not
        //  undone by an order before pe (each loss is counted in the one
        //  period its day falls in)
        ", losses AS (SELECT day + %s::int AS e,"
        "   CASE WHEN next_day IS NOT NULL THEN next_day + 1 END AS r FROM seq"
        "   WHERE next_day IS NULL OR next_day >= day + %s::int)"
        ", lost_flow AS (SELECT b.ps, count (*) AS n FROM losses l, bounds bd, buckets b"
        "   WHERE b.ps = greatest (date_trunc (%s, l.e - 1)::date, bd.f)"
        "   AND l.e > b.ps AND l.e <= b.pe AND (l.r IS NULL OR l.r > b.pe) GROUP BY b.ps)"
        ", lost_whole AS (SELECT count (*) AS n FROM losses l, bounds bd"
        "   WHERE l.e > bd.f AND l.e <= bd.t AND (l.r IS NULL OR l.r > bd.t))",
        from, from, as_of, granularity, granularity, granularity, lost, lost, granularity);
    //  per bucket: orders and revenue, clients with orders (by the bucket's
    //  key: its start, the first bucket's cut at from); revenue by month
    //  from the month rollups when buckets are whole months
    report_query_add (query,
        ", keyed AS (SELECT greatest (date_trunc (%s, d.day)::date, b.f) AS ps, d.client_id,"
        "   d.orders FROM days d, bounds b WHERE d.day >= b.f)"
        ", activity AS (SELECT ps, count (DISTINCT client_id) AS clients, sum (orders) AS orders"
        "   FROM keyed GROUP BY ps)", granularity);
    if (streq (params->granularity, "day") || streq (params->granularity, "week"))
        report_query_add (query,
            ", revenue AS (SELECT greatest (date_trunc (%s, r.day)::date, b.f) AS ps,"
            "   sum (r.sales - r.returns) AS revenue"
            "   FROM analytics.client_day_group_rollups r JOIN clients c ON c.id = r.client_id,"
            "   bounds b WHERE r.day >= b.f AND r.day < b.t GROUP BY 1)", granularity);
    else {
        report_query_add (query, ", ");
        report_facts_monthly (run, query, "monthly", "(SELECT f FROM bounds)",
                              "(SELECT t FROM bounds)", false);
        report_query_add (query,
            ", revenue AS (SELECT greatest (date_trunc (%s, m.month)::date, b.f) AS ps,"
            "   sum (m.revenue) AS revenue FROM monthly m, bounds b GROUP BY 1)", granularity);
    }
    //  one row per bucket, then the whole period (part 1) at D
    report_query_add (query,
        ", periods AS ("
        "   SELECT 0 AS part, ps, pe FROM buckets"
        "   UNION ALL SELECT 1, f, t FROM bounds WHERE f < t"
        "   UNION ALL SELECT 1, t, t FROM bounds WHERE NOT (f < t) OR f IS NULL)"
        " SELECT x.part, x.ps, x.pe, total.n,"
        "  coalesce ((SELECT sum (n) FROM ev WHERE kind = 'first' AND e <= x.pe), 0) AS ever,"
        "  coalesce ((SELECT sum (n) FROM ev WHERE kind = 'second' AND e <= x.pe), 0) AS two,"
        "  coalesce ((SELECT sum (CASE kind WHEN 'loss' THEN n ELSE -n END) FROM ev"
        "             WHERE kind IN ('loss', 'react') AND k = 1 AND e <= x.pe), 0) AS lost1,"
        "  coalesce ((SELECT sum (CASE kind WHEN 'loss' THEN n ELSE -n END) FROM ev"
        "             WHERE kind IN ('loss', 'react') AND k = 2 AND e <= x.pe), 0) AS lost2,"
        "  coalesce ((SELECT sum (n) FROM ev WHERE kind = 'first' AND e > x.ps AND e <= x.pe), 0),"
        "  CASE WHEN x.part = 0 THEN coalesce (lf.n, 0) ELSE (SELECT n FROM lost_whole) END,"
        "  CASE WHEN x.part = 0 THEN coalesce (a.clients, 0) ELSE"
        "    (SELECT count (DISTINCT client_id) FROM days d WHERE d.day >= x.ps AND d.day < x.pe) END,"
        "  CASE WHEN x.part = 0 THEN coalesce (a.orders, 0) ELSE"
        "    coalesce ((SELECT sum (orders) FROM days d WHERE d.day >= x.ps AND d.day < x.pe), 0) END,"
        "  CASE WHEN x.part = 0 THEN coalesce (v.revenue, 0) ELSE"
        "    coalesce ((SELECT sum (revenue) FROM revenue), 0) END"
        " FROM periods x CROSS JOIN total"
        " LEFT JOIN activity a ON x.part = 0 AND a.ps = x.ps"
        " LEFT JOIN revenue v ON x.part = 0 AND v.ps = x.ps"
        " LEFT JOIN lost_flow lf ON x.part = 0 AND lf.ps = x.ps"
        " ORDER BY x.part, x.ps");
}

//  Writes a / b rounded half-up to cents, or 0 when b is 0 or a <= 0.
static void
s_average (const char *a, const char *b, char *buf, size_t size)
{
    int64_t units, count = strtoll (b, NULL, 10);
    int32_t nanos;
    snprintf (buf, size, "0.00");
    if (count <= 0 || crmq_decimal_parse (a, &units, &nanos) != 0 || units < 0
    ||  (units == 0 && nanos <= 0))
        return;
    //  round half-up (value / 1e9 / count) to cents
    __int128 value = (__int128) units * 1000000000 + nanos;
    __int128 denominator = (__int128) 10000000 * count;
    __int128 cents = (value * 2 + denominator) / (2 * denominator);
    snprintf (buf, size, "%lld.%02lld", (long long) (cents / 100), (long long) (cents % 100));
}

int
report_base (report_run_t *run)
{
    //  refuses a history of more than REPORT_PERIODS_MAX periods up to D (the
    //  report date is after the start: report_params_resolve)
    report_sales_range_t range;
    int rc = report_sales_range (run, "SELECT min (day) FROM analytics.client_day_rollups"
                                 " WHERE orders > 0", run->as_of_day, &range);
    if (rc != 0)
        return rc;
    if (run->params->as_of_us && !streq (run->as_of_day, run->to_day))
        report_result_note (run->result, "the client base covers %s to %s (excluded): the report "
                            "date (as of) ends its period, not the period's end %s",
                            run->from_day, run->as_of_day, run->to_day);
    report_query_t *query = report_query_new ();
    s_query (run, query);
    PGresult *result = report_query_exec (query, run->pg);
    report_query_destroy (&query);
    if (!result)
        return -1;
    static const char *summary_columns [] = {
        "clients:int:Clients", "potential:int:Potential", "one_time:int:One-time",
        "regular:int:Regular", "lost:int:Lost", "new:int:New", "returning:int:Returning",
        "lost_in_period:int:Lost in the period", "clients_with_orders:int:With orders",
        "orders:int:Orders", "revenue:money:Revenue", "average_order:money:Average order", NULL
    };
    static const char *class_columns [] = {
        "class:class:Class", "clients:int:Clients", "share:share:Share", NULL
    };
    static const char *history_columns [] = {
        "period:date:Period", "clients_with_orders:int:With orders", "new:int:New",
        "returning:int:Returning", "lost:int:Lost", "orders:int:Orders",
        "revenue:money:Revenue", "potential:int:Potential", "one_time:int:One-time",
        "regular:int:Regular", "lost_clients:int:Lost clients", NULL
    };
    report_table_t *summary = report_result_table (run->result, "summary", "Client base", "",
                                                   summary_columns);
    report_table_t *classes = report_result_table (run->result, "classes", "Client classes",
                                                   "bars", class_columns);
    report_table_t *history = report_result_table (run->result, "history",
                                                   "New, returning and lost clients", "lines",
                                                   history_columns);
    for (int row = 0; row < PQntuples (result); row++) {
        bool whole = streq (PQgetvalue (result, row, 0), "1");
        long long total = strtoll (PQgetvalue (result, row, 3), NULL, 10);
        long long ever = strtoll (PQgetvalue (result, row, 4), NULL, 10);
        long long two = strtoll (PQgetvalue (result, row, 5), NULL, 10);
        long long lost1 = strtoll (PQgetvalue (result, row, 6), NULL, 10);
        long long lost2 = strtoll (PQgetvalue (result, row, 7), NULL, 10);
        long long fresh = strtoll (PQgetvalue (result, row, 8), NULL, 10);
        long long lost_flow = strtoll (PQgetvalue (result, row, 9), NULL, 10);
        long long with_orders = strtoll (PQgetvalue (result, row, 10), NULL, 10);
        const char *orders = PQgetvalue (result, row, 11);
        const char *revenue = PQgetvalue (result, row, 12);
        long long counts [4] = { total - ever, ever - two - lost1, two - lost2, lost1 + lost2 };
        char text [16][32];
        if (whole) {
            char average [48];
            s_average (revenue, orders, average, sizeof average);
            long long values [10] = { total, counts [0], counts [1], counts [2], counts [3],
                                      fresh, with_orders - fresh, lost_flow, with_orders,
                                      strtoll (orders, NULL, 10) };
            const char *cells [12];
            for (int i = 0; i < 10; i++) {
                snprintf (text [i], sizeof text [i], "%lld", values [i]);
                cells [i] = text [i];
            }
            cells [10] = revenue;
            cells [11] = average;
            report_table_row (summary, cells);
            static const char *names [4] = { "potential", "one_time", "regular", "lost" };
            for (int k = 0; k < 4; k++) {
                char share [32] = "0";
                if (total > 0) {
                    //  counts [k] / total with 9 decimals, half-up
                    long long nanos = (long long) (((__int128) counts [k] * 2000000000 + total)
                                                   / (2 * total));
                    snprintf (share, sizeof share, "%lld.%09lld", nanos / 1000000000,
                              nanos % 1000000000);
                }
                snprintf (text [k], sizeof text [k], "%lld", counts [k]);
                const char *cells_class [3] = { names [k], text [k], share };
                report_table_row (classes, cells_class);
            }
        }
        else {
            long long values [9] = { with_orders, fresh, with_orders - fresh, lost_flow, 0,
                                     counts [0], counts [1], counts [2], counts [3] };
            const char *cells [11];
            cells [0] = PQgetvalue (result, row, 1);
            for (int i = 0; i < 4; i++) {
                snprintf (text [i], sizeof text [i], "%lld", values [i]);
                cells [1 + i] = text [i];
            }
            cells [5] = orders;
            cells [6] = revenue;
            for (int i = 5; i < 9; i++) {
                snprintf (text [i], sizeof text [i], "%lld", values [i]);
                cells [2 + i] = text [i];
            }
            report_table_row (history, cells);
        }
    }
    PQclear (result);
    return 0;
}

/*  report_rfm.c - RFM analysis (docs/reports.md, "RFM").

    Over the n clients with an order in the period and one before the
    report date D: recency = D - the day of the last order before D,
    frequency = distinct orders in the period, monetary = revenue in the
    period.  Scores by the cumulative distribution, ties scoring alike, in
    whole numbers: F = ceil (5 k / n) with k = #{frequency <= mine}
    (count (*) over the window ordered by frequency: its frame ends at the
    last peer), M likewise, R with k = #{recency >= mine}; ceil (5 k / n)
    = (5 k + n - 1) / n in integer division.  Segments by the first rule
    that matches, in the order of SQL_SEGMENTS.                              */
#include "report_facts.h"

//  Segment names in rule order (the CASE of s_query follows it).
static const char *SQL_SEGMENTS =
    "(VALUES (1, 'champions'), (2, 'loyal'), (3, 'potential_loyalists'), (4, 'new'),"
    " (5, 'need_attention'), (6, 'at_risk'), (7, 'hibernating'), (8, 'lost')) s (ord, segment)";

static void
s_query (report_run_t *run, report_query_t *query)
{
    const char *from = report_facts_from (run, query);
    const char *to = report_facts_to (run, query);
    const char *as_of = report_query_param (query, run->as_of_day);
    report_facts_with_totals (run, query, from, to);
    //  the last order before D (the product group filter applies): when D
    //  is the period's end, a client with an order in the period has its
    //  last one there (the totals know it); otherwise the rollups before D
    if (streq (run->as_of_day, run->to_day))
        report_query_add (query, ", last AS (SELECT client_id, last_order_day AS last_day"
                          "   FROM totals WHERE last_order_day IS NOT NULL)");
    else {
        report_query_add (query,
            ", last AS (SELECT r.client_id, max (r.day) AS last_day"
            "   FROM analytics.client_day_group_rollups r JOIN clients c ON c.id = r.client_id"
            "   WHERE r.orders > 0 AND r.day < %s::date", as_of);
        report_facts_group_filter (run, query);
        report_query_add (query, "   GROUP BY r.client_id)");
    }
    report_query_add (query,
        ", base AS MATERIALIZED (SELECT c.id, c.external_id, c.name, l.last_day,"
        "   %s::date - l.last_day AS recency, t.orders AS frequency, t.revenue AS monetary"
        "   FROM clients c JOIN totals t ON t.client_id = c.id"
        "   JOIN last l ON l.client_id = c.id WHERE t.orders > 0)"
        ", n AS (SELECT count (*) AS n FROM base)"
        ", scored AS (SELECT b.*,"
        "   (5 * count (*) OVER (ORDER BY b.recency DESC) + n.n - 1) / n.n AS r,"
        "   (5 * count (*) OVER (ORDER BY b.frequency) + n.n - 1) / n.n AS f,"
        "   (5 * count (*) OVER (ORDER BY b.monetary) + n.n - 1) / n.n AS m"
        "   FROM base b CROSS JOIN n)"
        ", segmented AS MATERIALIZED (SELECT s.*, s.r + s.f + s.m AS score,"
        "   CASE WHEN s.r >= 4 AND s.f >= 4 AND s.m >= 4 THEN 'champions'"
        "        WHEN s.f >= 4 AND s.r >= 3 THEN 'loyal'"
        "        WHEN s.r >= 4 AND s.f BETWEEN 2 AND 3 THEN 'potential_loyalists'"
        "        WHEN s.r >= 4 AND s.f = 1 THEN 'new'"
        "        WHEN s.r = 3 THEN 'need_attention'"
        "        WHEN s.r <= 2 AND s.f >= 3 THEN 'at_risk'"
        "        WHEN s.r = 2 THEN 'hibernating'"
        "        ELSE 'lost' END AS segment,"
        "   row_number () OVER (ORDER BY s.r + s.f + s.m DESC, s.monetary DESC, s.id) AS rank"
        "   FROM scored s)", as_of);
    char limit [16];
    snprintf (limit, sizeof limit, "%d", run->params->limit);
    //  part 0: segments, 1: the r x f matrix, 2: clients
    report_query_add (query,
        " SELECT 0 AS part, s.ord AS ord, s.segment, count (g.id)::text,"
        "   CASE WHEN max (n.n) > 0 THEN round (count (g.id)::numeric / max (n.n), 9)"
        "   ELSE 0.000000000 END::text, coalesce (sum (g.monetary), 0.00)::text,"
        "   round (avg (g.recency), 2)::text, round (avg (g.frequency), 2)::text,"
        "   round (avg (g.monetary), 2)::text,"
        "   NULL, NULL, NULL, NULL, NULL, NULL, NULL"
        " FROM %s CROSS JOIN n LEFT JOIN segmented g ON g.segment = s.segment"
        " GROUP BY s.ord, s.segment"
        " UNION ALL SELECT 1, x.r * 10 + y.f, x.r::text, y.f::text, count (g.id)::text,"
        "   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
        " FROM generate_series (1, 5) x (r) CROSS JOIN generate_series (1, 5) y (f)"
        " LEFT JOIN segmented g ON g.r = x.r AND g.f = y.f GROUP BY x.r, y.f"
        " UNION ALL (SELECT 2, rank, rank::text, id::text, external_id, name, last_day::text,"
        "   recency::text, frequency::text, monetary::text, r::text, f::text, m::text,"
        "   r::text || f::text || m::text, score::text, segment"
        "   FROM segmented WHERE rank <= %s::bigint)"
        " ORDER BY 1, 2", SQL_SEGMENTS, report_query_param (query, limit));
}

int
report_rfm (report_run_t *run)
{
    static const char *segment_columns [] = {
        "segment:class:Segment", "clients:int:Clients", "share:share:Share",
        "revenue:money:Revenue", "average_recency:decimal:Average recency, days",
        "average_frequency:decimal:Average frequency", "average_monetary:money:Average monetary",
        NULL
    };
    static const char *matrix_columns [] = {
        "r:int:R", "f:int:F", "clients:int:Clients", NULL
    };
    static const char *client_columns [] = {
        "rank:int:Rank", "client_id:int:Client id", "external_id:text:External id",
        "name:text:Client", "last_order:date:Last order", "recency_days:int:Recency, days",
        "frequency:int:Frequency", "monetary:money:Monetary", "r:int:R", "f:int:F", "m:int:M",
        "rfm:class:RFM", "score:int:Score", "segment:class:Segment", NULL
    };
    report_table_t *segments = report_result_table (run->result, "segments", "RFM segments",
                                                    "bars", segment_columns);
    report_table_t *matrix = report_result_table (run->result, "matrix", "Recency x frequency",
                                                  "heatmap", matrix_columns);
    report_table_t *clients = report_result_table (run->result, "clients", "Clients by RFM", "",
                                                   client_columns);
    report_query_t *query = report_query_new ();
    s_query (run, query);
    PGresult *result = report_query_exec (query, run->pg);
    report_query_destroy (&query);
    if (!result)
        return -1;
    report_table_t *parts [3] = { segments, matrix, clients };
    report_table_rows_parts (parts, 3, result, 2);
    report_table_total_rows (clients, report_table_sum (segments, "clients"));
    PQclear (result);
    return 0;
}

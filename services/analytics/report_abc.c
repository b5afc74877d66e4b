/*  report_abc.c - ABC, XYZ and the ABC x XYZ matrix (docs/reports.md).

    ABC: clients sorted by the measure descending, ties by client id; the
    share *before* a client under a_share makes it A, under b_share B, else
    C; a measure <= 0 is C; the total is the sum of the positive measures.
    XYZ: over the n calendar months the period touches, with S the sum and
    Q the sum of squares of a client's monthly revenue (empty months 0),
    cv = sqrt (n Q - S^2) / S (the population standard deviation over the
    mean); classes compare n Q - S^2 with (x S)^2 exactly, without roots.   */
#include "report_facts.h"

//  Appends clients, totals, measure, classed: each client with its value,
//  rank, share, cumulative share (its own included) and ABC class.
static void
s_abc_ctes (report_run_t *run, report_query_t *query)
{
    char a_share [48], b_share [48];
    report_facts_fraction (run->params->a_share, "0.80", a_share, sizeof a_share);
    report_facts_fraction (run->params->b_share, "0.95", b_share, sizeof b_share);
    const char *from = report_facts_from (run, query);
    const char *to = report_facts_to (run, query);
    report_query_add (query, "WITH ");
    report_facts_clients (run, query);
    report_query_add (query, ", ");
    report_facts_totals (run, query, "totals", from, to);
    report_query_add (query,
        ", measure AS (SELECT c.id, c.external_id, c.name, coalesce (%s, 0) AS value"
        "   FROM clients c LEFT JOIN totals t ON t.client_id = c.id)"
        ", total AS (SELECT coalesce (sum (value) FILTER (WHERE value > 0), 0) AS total"
        "   FROM measure)"
        ", ranked AS (SELECT m.*, t.total, row_number () OVER w AS rank,"
        "   coalesce (sum (m.value) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)"
        "   AS before FROM measure m CROSS JOIN total t WINDOW w AS (ORDER BY m.value DESC, m.id))"
        ", classed AS MATERIALIZED (SELECT r.*,"
        "   CASE WHEN total > 0 THEN round (value / total, 9) ELSE 0 END AS share,"
        "   CASE WHEN total > 0 THEN round (least (before + value, total) / total, 9) ELSE 0 END"
        "   AS cumulative,"
        "   CASE WHEN value <= 0 THEN 'C' WHEN before < %s::numeric * total THEN 'A'"
        "        WHEN before < %s::numeric * total THEN 'B' ELSE 'C' END AS abc_class"
        "   FROM ranked r)",
        report_facts_measure (run), report_query_param (query, a_share),
        report_query_param (query, b_share));
}

//  Appends months, monthly, xyz: per client with anything in the period,
//  months, revenue, mean, stddev, cv and XYZ class.  Needs clients.
static void
s_xyz_ctes (report_run_t *run, report_query_t *query)
{
    char x_cv [48], y_cv [48];
    report_facts_fraction (run->params->x_cv, "0.10", x_cv, sizeof x_cv);
    report_facts_fraction (run->params->y_cv, "0.25", y_cv, sizeof y_cv);
    const char *from = report_facts_from (run, query);
    const char *to = report_facts_to (run, query);
    report_query_add (query,
        ", months AS (SELECT count (*) AS n FROM generate_series (date_trunc ('month', %s::date),"
        "   %s::date - 1, interval '1 month'))"
        ", ", from, to);
    report_facts_monthly (run, query, "monthly", from, to, true);
    const char *x = report_query_param (query, x_cv);
    const char *y = report_query_param (query, y_cv);
    report_query_add (query,
        ", sums AS (SELECT client_id, sum (revenue) AS s, sum (revenue * revenue) AS q"
        "   FROM monthly GROUP BY client_id)"
        ", xyz AS MATERIALIZED (SELECT s.client_id, m.n AS months, s.s AS revenue,"
        "   round (s.s / m.n, 2) AS mean,"
        "   round (sqrt (m.n * s.q - s.s * s.s) / m.n, 2) AS stddev,"
        "   CASE WHEN s.s > 0 THEN round (sqrt (m.n * s.q - s.s * s.s) / s.s, 9) END AS cv,"
        "   CASE WHEN s.s <= 0 THEN 'Z'"
        "        WHEN m.n * s.q - s.s * s.s <= (%s::numeric * s.s) ^ 2 THEN 'X'"
        "        WHEN m.n * s.q - s.s * s.s <= (%s::numeric * s.s) ^ 2 THEN 'Y'"
        "        ELSE 'Z' END AS xyz_class"
        "   FROM sums s CROSS JOIN months m)", x, y);
}

//  Needs both ends of the period (months to count).
static int
s_bounded (report_run_t *run)
{
    if (streq (run->from_day, "-infinity") || streq (run->to_day, "infinity"))
        return crmq_reply_error (run->reply, CRMQ_INVALID_ARGUMENT, "period",
                                 "period: report %s needs both ends (from and to)",
                                 run->params->report);
    return 0;
}

//  Runs the query (destroyed) whose rows are part 0, the summary table, and
//  part 1, the client rows (cut by the limit); the clients table's total is
//  the sum of the summary's `count_column`.  Returns 0 or -1.
static int
s_run_parts (report_run_t *run, report_query_t **query, report_table_t **parts,
             const char *count_column)
{
    PGresult *result = report_query_exec (*query, run->pg);
    report_query_destroy (query);
    if (!result)
        return -1;
    report_table_rows_parts (parts, 2, result, 1);
    report_table_total_rows (parts [1], report_table_sum (parts [0], count_column));
    PQclear (result);
    return 0;
}

static const char *s_class_columns [] = {
    "abc_class:class:Class", "clients:int:Clients", NULL, "share:share:Share", NULL
};

int
report_abc (report_run_t *run)
{
    const char *class_columns [5];
    memcpy (class_columns, s_class_columns, sizeof class_columns);
    class_columns [2] = report_facts_measure_column (run);
    const char *client_columns [] = {
        "rank:int:Rank", "client_id:int:Client id", "external_id:text:External id",
        "name:text:Client", report_facts_measure_column (run), "share:share:Share",
        "cumulative_share:share:Cumulative share", "abc_class:class:Class", NULL
    };
    report_table_t *classes = report_result_table (run->result, "classes", "ABC classes", "bars",
                                                   class_columns);
    report_table_t *clients = report_result_table (run->result, "clients", "Clients by ABC",
                                                   "pareto", client_columns);
    bool missing;
    if (report_facts_measure_costs_missing (run, &missing) != 0)
        return -1;
    if (missing)
        return 0;
    report_query_t *query = report_query_new ();
    s_abc_ctes (run, query);
    char limit [16];
    snprintf (limit, sizeof limit, "%d", run->params->limit);
    report_query_add (query,
        " SELECT 0 AS part, k.abc_class, count (c.id)::text, coalesce (sum (c.value), 0)::text,"
        "   CASE WHEN max (c.total) > 0 THEN round (sum (c.value) / max (c.total), 9)"
        "   ELSE 0 END::text, NULL, NULL, NULL, NULL, 0 AS rank"
        " FROM (VALUES ('A'), ('B'), ('C')) k (abc_class)"
        " LEFT JOIN classed c ON c.abc_class = k.abc_class GROUP BY k.abc_class"
        " UNION ALL (SELECT 1, rank::text, id::text, external_id, name, value::text, share::text,"
        "   cumulative::text, abc_class, rank FROM classed WHERE rank <= %s::bigint)"
        " ORDER BY 1, 10, 2", report_query_param (query, limit));
    report_table_t *parts [2] = { classes, clients };
    return s_run_parts (run, &query, parts, "clients");
}

int
report_xyz (report_run_t *run)
{
    static const char *class_columns [] = {
        "xyz_class:class:Class", "clients:int:Clients", "revenue:money:Revenue",
        "share:share:Share of revenue", NULL
    };
    static const char *client_columns [] = {
        "rank:int:Rank", "client_id:int:Client id", "external_id:text:External id",
        "name:text:Client", "months:int:Months", "revenue:money:Revenue",
        "mean:money:Monthly mean", "stddev:money:Standard deviation", "cv:share:Variation",
        "xyz_class:class:Class", NULL
    };
    if (s_bounded (run) != 0)
        return CRMQ_INVALID_ARGUMENT;
    report_table_t *classes = report_result_table (run->result, "classes", "XYZ classes", "bars",
                                                   class_columns);
    report_table_t *clients = report_result_table (run->result, "clients", "Clients by XYZ", "",
                                                   client_columns);
    report_query_t *query = report_query_new ();
    report_query_add (query, "WITH ");
    report_facts_clients (run, query);
    s_xyz_ctes (run, query);
    char limit [16];
    snprintf (limit, sizeof limit, "%d", run->params->limit);
    report_query_add (query,
        ", ranked AS (SELECT x.*, c.external_id, c.name,"
        "   row_number () OVER (ORDER BY x.revenue DESC, x.client_id) AS rank,"
        "   sum (x.revenue) FILTER (WHERE x.revenue > 0) OVER () AS total"
        "   FROM xyz x JOIN clients c ON c.id = x.client_id)"
        " SELECT 0 AS part, k.xyz_class, count (r.client_id)::text,"
        "   coalesce (sum (r.revenue), 0)::text,"
        "   CASE WHEN max (r.total) > 0 THEN round (sum (r.revenue) / max (r.total), 9)"
        "   ELSE 0 END::text, NULL, NULL, NULL, NULL, NULL, NULL, 0 AS rank"
        " FROM (VALUES ('X'), ('Y'), ('Z')) k (xyz_class)"
        " LEFT JOIN ranked r ON r.xyz_class = k.xyz_class GROUP BY k.xyz_class"
        " UNION ALL (SELECT 1, rank::text, client_id::text, external_id, name, months::text,"
        "   revenue::text, mean::text, stddev::text, cv::text, xyz_class, rank FROM ranked"
        "   WHERE rank <= %s::bigint)"
        " ORDER BY 1, 12, 2", report_query_param (query, limit));
    report_table_t *parts [2] = { classes, clients };
    return s_run_parts (run, &query, parts, "clients");
}

int
report_abc_xyz (report_run_t *run)
{
    const char *matrix_columns [] = {
        "abc_class:class:ABC", "xyz_class:class:XYZ", "clients:int:Clients",
        report_facts_measure_column (run), "revenue:money:Revenue", NULL
    };
    const char *client_columns [] = {
        "rank:int:Rank", "client_id:int:Client id", "external_id:text:External id",
        "name:text:Client", report_facts_measure_column (run), "abc_class:class:ABC",
        "xyz_class:class:XYZ", "cv:share:Variation", NULL
    };
    if (s_bounded (run) != 0)
        return CRMQ_INVALID_ARGUMENT;
    report_table_t *matrix = report_result_table (run->result, "matrix", "ABC x XYZ", "heatmap",
                                                  matrix_columns);
    report_table_t *clients = report_result_table (run->result, "clients",
                                                   "Clients by ABC and XYZ", "", client_columns);
    bool missing;
    if (report_facts_measure_costs_missing (run, &missing) != 0)
        return -1;
    if (missing)
        return 0;
    report_query_t *query = report_query_new ();
    s_abc_ctes (run, query);
    s_xyz_ctes (run, query);
    char limit [16];
    snprintf (limit, sizeof limit, "%d", run->params->limit);
    report_query_add (query,
        ", both_classes AS (SELECT c.*, x.xyz_class, x.cv, x.revenue AS revenue"
        "   FROM classed c JOIN xyz x ON x.client_id = c.id)"
        " SELECT 0 AS part, a.abc_class, z.xyz_class, count (b.id)::text,"
        "   coalesce (sum (b.value), 0)::text, coalesce (sum (b.revenue), 0)::text,"
        "   NULL, NULL, NULL, 0 AS rank"
        " FROM (VALUES ('A'), ('B'), ('C')) a (abc_class)"
        " CROSS JOIN (VALUES ('X'), ('Y'), ('Z')) z (xyz_class)"
        " LEFT JOIN both_classes b ON b.abc_class = a.abc_class AND b.xyz_class = z.xyz_class"
        " GROUP BY a.abc_class, z.xyz_class"
        " UNION ALL (SELECT 1, rank::text, id::text, external_id, name, value::text, abc_class,"
        "   xyz_class, cv::text, rank FROM both_classes b ORDER BY b.rank LIMIT %s::bigint)"
        " ORDER BY 1, 10, 2, 3", report_query_param (query, limit));
    report_table_t *parts [2] = { matrix, clients };
    return s_run_parts (run, &query, parts, "clients");
}

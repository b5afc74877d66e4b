/*  report_funnel.c - the sales funnel (docs/reports.md, "funnel").

    Per stage of every pipeline (stages taken out of their pipeline left
    out), in position order, over the cohort of the stays in the stage that
    began in the period (a deal counted once per stage): the deals that
    entered it; the open deals in it now; those that later entered the next
    stage and that share of those that entered (open stages); the average
    days of those stays that ended (left_at - entered_at); and those whose
    next stage was a won one.  The summary: leads (none: crmq has no lead
    intake yet), deals created, won and lost in the period (closed then,
    won or lost now), the win rate won / (won + lost), and the won amount
    (deals in the base currency only).  The client filters apply to the
    deal's client, the manager filter to the deal's manager.               */
#include "report_sales_facts.h"

static void
s_query (report_run_t *run, report_query_t *query, const void *arg)
{
    (void) arg;
    report_sales_start (run, query);
    report_sales_deals (run, query, "d.id, d.status, d.stage_id, d.currency, d.amount,"
                        " d.created_at, d.closed_at");
    report_query_add (query,
        ", stages AS (SELECT s.id, s.pipeline_id, p.name AS pipeline, s.name, s.position,"
        "   s.outcome, lead (s.id) OVER (PARTITION BY s.pipeline_id ORDER BY s.position, s.id)"
        "   AS next_id"
        "   FROM analytics.stages s JOIN analytics.pipelines p ON p.id = s.pipeline_id"
        "   WHERE s.removed_at IS NULL)"
        ", stays AS MATERIALIZED (SELECT x.id, x.deal_id, x.stage_id, x.entered_at, x.left_at,"
        "   lead (x.stage_id) OVER (PARTITION BY x.deal_id ORDER BY x.entered_at, x.id)"
        "   AS next_stage"
        "   FROM analytics.deal_stages x JOIN deals d ON d.id = x.deal_id)"
        ", entered AS (SELECT y.deal_id, y.stage_id, y.entered_at, y.left_at,"
        "   EXISTS (SELECT 1 FROM stays n WHERE n.deal_id = y.deal_id AND n.stage_id = s.next_id"
        "           AND (n.entered_at, n.id) > (y.entered_at, y.id)) AS moved,"
        "   coalesce (ns.outcome = 'won', false) AS won"
        "   FROM stays y JOIN stages s ON s.id = y.stage_id"
        "   LEFT JOIN analytics.stages ns ON ns.id = y.next_stage, instants i"
        "   WHERE y.entered_at >= i.f AND y.entered_at < i.t)"
        ", per_stage AS (SELECT stage_id, count (DISTINCT deal_id) AS entered,"
        "   count (DISTINCT deal_id) FILTER (WHERE moved) AS moved,"
        "   round (avg (extract (epoch FROM left_at - entered_at) / 86400)"
        "          FILTER (WHERE left_at IS NOT NULL), 1) AS days,"
        "   count (DISTINCT deal_id) FILTER (WHERE won) AS won"
        "   FROM entered GROUP BY stage_id)"
        ", open_now AS (SELECT stage_id, count (*) AS deals FROM deals WHERE status = 'open'"
        "   GROUP BY stage_id)");
    const char *currency = report_query_param (query, run->currency);
    report_query_add (query,
        ", closed AS (SELECT count (*) FILTER (WHERE status = 'won') AS won,"
        "   count (*) FILTER (WHERE status = 'lost') AS lost,"
        "   coalesce (sum (amount) FILTER (WHERE status = 'won' AND currency = %s), 0)"
        "   ::numeric(28, 2) AS won_amount,"
        "   count (*) FILTER (WHERE status = 'won' AND currency <> %s) AS foreign_won,"
        "   coalesce (string_agg (DISTINCT currency, ', ' ORDER BY currency)"
        "             FILTER (WHERE status = 'won' AND currency <> %s), '') AS currencies"
        "   FROM deals, instants i WHERE closed_at >= i.f AND closed_at < i.t)"
        " SELECT 0 AS part, s.name, s.pipeline, s.outcome, coalesce (e.entered, 0)::text,"
        "   coalesce (o.deals, 0)::text,"
        "   CASE WHEN s.outcome = 'open' AND s.next_id IS NOT NULL"
        "        THEN coalesce (e.moved, 0)::text END,"
        "   CASE WHEN s.outcome = 'open' AND s.next_id IS NOT NULL AND e.entered > 0"
        "        THEN round (e.moved::numeric / e.entered, 9)::text END,"
        "   e.days::text, coalesce (e.won, 0)::text, s.pipeline_id, s.position"
        " FROM stages s LEFT JOIN per_stage e ON e.stage_id = s.id"
        " LEFT JOIN open_now o ON o.stage_id = s.id"
        " UNION ALL SELECT 1, '0',"
        "   (SELECT count (*) FROM deals, instants i"
        "    WHERE created_at >= i.f AND created_at < i.t)::text,"
        "   won::text, lost::text,"
        "   CASE WHEN won + lost > 0 THEN round (won::numeric / (won + lost), 9)::text END,"
        "   won_amount::text, foreign_won::text, currencies, NULL, 0, 0 FROM closed"
        " ORDER BY 1, 11, 12",
        currency, currency, currency);
}

int
report_funnel (report_run_t *run)
{
    static const char *stage_columns [] = {
        "stage:text:Stage", "pipeline:text:Pipeline", "outcome:class:Outcome",
        "entered:int:Entered", "in_stage:int:There now", "moved_next:int:Moved on",
        "conversion:share:Conversion to the next stage",
        "average_days:decimal:Average days in the stage", "won:int:Won from it", NULL
    };
    static const char *summary_columns [] = {
        "leads:int:Leads", "deals_created:int:Deals created", "won:int:Won", "lost:int:Lost",
        "win_rate:share:Win rate", "won_amount:money:Won amount", NULL
    };
    report_table_t *stages = report_result_table (run->result, "stages", "Funnel by stage", "bars",
                                                  stage_columns);
    report_table_t *summary = report_result_table (run->result, "summary", "Funnel", "",
                                                   summary_columns);
    PGresult *result = report_sales_exec (run, s_query, NULL);
    if (!result)
        return -1;
    for (int row = 0; row < PQntuples (result); row++) {
        const char *cells [9];
        for (int i = 0; i < 9; i++)
            cells [i] = PQgetvalue (result, row, i + 1);
        if (streq (PQgetvalue (result, row, 0), "0"))
            report_table_row (stages, cells);
        else {
            report_table_row (summary, cells);
            report_sales_currency_note (run, cells [6], cells [7]);
        }
    }
    PQclear (result);
    report_result_note (run->result, "leads: 0, as crmq has no lead intake yet; lead counts"
                        " come when lead intake exists");
    return 0;
}

/*  report_facts.h - the SQL every report shares: the clients a report
    covers (its filters applied) with their dimension attributes, and each
    client's figures over a period from the rollups crmq-sales keeps
    (docs/reports.md, "Definitions").  Each function appends one named
    common table expression, "name AS (...)", to a query; the caller writes
    WITH and the commas.                                                   */
#ifndef REPORT_FACTS_H_INCLUDED
#define REPORT_FACTS_H_INCLUDED

#include "report.h"

//  Appends "clients AS (...)": id, external_id, name, region, country,
//  category, source, status, manager (its external id or ""),
//  manager_name, of the clients the client-level filters keep (client,
//  manager, region, country, category, source, status).
void report_facts_clients (report_run_t *run, report_query_t *query);

//  Appends "<name> AS (...)": per client with anything in [from, to) (day
//  placeholders or SQL date expressions): client_id, sales, returns,
//  revenue (sales - returns), cost (of goods sold less goods returned),
//  lines, lines_without_cost, quantity (sold less returned), discounts,
//  orders (placed, not cancelled), last_order_day (NULL when no order).
//  The product_group filter applies; clients are not filtered here (join
//  with clients).  Orders under a product group filter are the orders with
//  lines of the kept groups.
void report_facts_totals (report_run_t *run, report_query_t *query, const char *name,
                          const char *from, const char *to);

//  Appends " AND ..." keeping the product groups of the run's
//  product_group filters (with their descendants), over rollup rows aliased
//  `r` with a product_group_id; nothing without such a filter.
void report_facts_group_filter (report_run_t *run, report_query_t *query);

//  The SQL expression of the run's measure over a totals row aliased `t`.
const char *report_facts_measure (report_run_t *run);

//  The name of the run's measure ("revenue", ...).
const char *report_facts_measure_name (report_run_t *run);

//  For a run by profit: counts the lines of the period (filters applied)
//  without a known cost.  When there are any, adds a note saying profit is
//  not reported and sets *missing.  Returns 0 or -1 after a failed
//  statement.
int report_facts_costs_missing (report_run_t *run, bool *missing);

//  Writes a fraction parameter (a threshold) as decimal text, or `fallback`
//  when it is unset (0).
void report_facts_fraction (const Crmq__Decimal *value, const char *fallback, char *buf,
                            size_t size);

//  The "value:type:Title" column of the run's measure (report_result.h).
const char *report_facts_measure_column (report_run_t *run);

//  Placeholders of the run's period days (added to `query` on first use).
const char *report_facts_from (report_run_t *run, report_query_t *query);
const char *report_facts_to (report_run_t *run, report_query_t *query);

#endif

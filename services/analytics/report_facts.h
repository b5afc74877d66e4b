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

//  True when the run has a product_group filter (keeping or dropping).
bool report_facts_group_filtered (report_run_t *run);

//  Appends "<name> AS (...)": client_id (when `per_client`), month (its
//  first day), revenue (sales - returns) of each month of [from, to) that
//  a client of `clients` (a CTE the query must have) has anything in,
//  summed over those clients when not `per_client`: the month rollups for
//  whole months, the day rollups for the partial months at the edges, the
//  group rollups alone under a product group filter.
void report_facts_monthly (report_run_t *run, report_query_t *query, const char *name,
                           const char *from, const char *to, bool per_client);

//  The SQL expression of the run's measure over a totals row aliased `t`.
const char *report_facts_measure (report_run_t *run);

//  The name of the run's measure ("revenue", ...).
const char *report_facts_measure_name (report_run_t *run);

//  Counts the order and return lines of the period (filters applied)
//  without a known cost.  When there are any, adds a note saying profit is
//  not reported and sets *missing.  Returns 0 or -1 after a failed
//  statement.
int report_facts_costs_missing (report_run_t *run, bool *missing);

//  The same for a report whose measure is the run's: checks only a run by
//  profit (the caller then leaves its tables empty when *missing); any
//  other measure sets *missing false and reads nothing.
int report_facts_measure_costs_missing (report_run_t *run, bool *missing);

//  Writes a fraction parameter (a threshold) as decimal text, or `fallback`
//  when it is unset (0).
void report_facts_fraction (const Crmq__Decimal *value, const char *fallback, char *buf,
                            size_t size);

//  The "value:type:Title" column of the run's measure (report_result.h).
const char *report_facts_measure_column (report_run_t *run);

//  Appends "WITH clients AS (...), totals AS (...)": report_facts_clients
//  and report_facts_totals over [from, to).
void report_facts_with_totals (report_run_t *run, report_query_t *query, const char *from,
                               const char *to);

//  Appends ", documents AS (...), cases AS (...)" over [from, to) (day
//  placeholders or SQL date expressions), per client:
//  documents: client_id, payments, late_payments (paid after the invoice's
//  due date), shipments (with their order known), late_shipments (after
//  the order's required date), from the day rollups, each on the day of
//  the payment or shipment; no product group filter applies (documents
//  are not split by group).
//  cases: client_id, requests, complaints (analytics.client_cases, any
//  status) started in [from, to), days of the company's zone.
//  Clients are not filtered here.
void report_facts_documents (report_run_t *run, report_query_t *query, const char *from,
                             const char *to);

//  Appends ", ranked AS MATERIALIZED (...)": the rows of the expression
//  "rows" (columns id, external_id and the SQL column `value` among them)
//  with rank (by value descending, ties by id then external_id), total
//  (the sum of the positive values) and n (the count of rows).
void report_facts_ranked (report_query_t *query, const char *value);

//  The average order over columns `revenue` and `orders`: revenue / orders
//  rounded half-up to cents, 0.00 when revenue <= 0 or orders = 0
//  (docs/reports.md, "Definitions").
#define REPORT_FACTS_AVERAGE_ORDER \
    "CASE WHEN orders > 0 AND revenue > 0 THEN round (revenue / orders, 2) ELSE 0.00 END"

//  A dimension of the clients: its name, the SQL of its key (text) and of
//  the label shown for it over the clients expression aliased `c`
//  (report_facts_clients), and a column title.
typedef struct {
    int bit;                    //  REPORT_DIM_*
    const char *name;           //  "manager"
    const char *key;            //  "c.manager" (the manager's external id, or "")
    const char *label;          //  "c.manager_name"
    const char *title;          //  "Manager"
} report_dimension_t;

//  The client dimension of the run's first --by (manager, region, country,
//  category or source), or NULL (none, or product_group).
const report_dimension_t *report_facts_dimension (report_run_t *run);

//  For a report that groups by one dimension at most: 0, or
//  CRMQ_INVALID_ARGUMENT after crmq_reply_error naming "dimensions" when
//  the run has more than one.
int report_facts_one_dimension (report_run_t *run);

//  Placeholders of the run's period days (added to `query` on first use).
const char *report_facts_from (report_run_t *run, report_query_t *query);
const char *report_facts_to (report_run_t *run, report_query_t *query);

#endif

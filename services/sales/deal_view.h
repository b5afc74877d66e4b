/*  deal_view.h - deals read from PostgreSQL for replies and events: the
    columns of a deal row, and a deal with its stage history and linked
    orders as protobuf messages whose strings point into the results.      */
#ifndef DEAL_VIEW_H_INCLUDED
#define DEAL_VIEW_H_INCLUDED

#include "deal_common.h"

//  SQL: true when the open deal d in stage s rots: the day (in the zone $1)
//  it entered the stage plus the stage's rotting days is before today.
#define DEAL_ROTTING \
    "(d.status = 'open' AND s.rotting_days > 0" \
    " AND (d.stage_entered_at AT TIME ZONE $1)::date + s.rotting_days < (now () AT TIME ZONE $1)::date)"

//  SQL: the columns of a deal row (read with deal_row_read), and the tables
//  they come from.  $1 is the company's IANA time zone (rotting).
#define DEAL_COLUMNS \
    "d.id, d.title, d.client_id, coalesce (c.external_id, ''), coalesce (d.manager_id, 0)," \
    " d.currency, d.amount::text, coalesce (to_char (d.expected_close_date, 'YYYY-MM-DD'), '')," \
    " d.pipeline_id, d.stage_id, s.name, d.status, d.lost_reason," DEAL_US ("d.created_at") "," \
    DEAL_US ("d.closed_at") "," DEAL_US ("d.stage_entered_at") ", " DEAL_ROTTING ", d.version," \
    DEAL_US ("d.updated_at") ", s.probability::text, d.created_by"
#define DEAL_FROM \
    " FROM sales.deals d JOIN sales.stages s ON s.id = d.stage_id" \
    " LEFT JOIN sales.clients c ON c.id = d.client_id"
#define DEAL_NCOLUMNS 21

//  A deal read from a row; deal.amount and deal.probability point into it,
//  so it must not move once read.
typedef struct {
    Crmq__Deal deal;
    Crmq__Money amount;
    Crmq__Decimal probability;
    char currency [4];
} deal_row_t;

//  Fills `self` from the DEAL_COLUMNS of row `row` of `result` (from column
//  0).  The strings point into `result`, which must outlive the message.
void deal_row_read (deal_row_t *self, PGresult *result, int row);

//  A deal, and with `full` its stage history and linked orders, as a
//  GetDealReply.
typedef struct _deal_view_t deal_view_t;

//  Reads deal `id` (time_zone: the company's).  Returns 1 with *self_p
//  set, 0 when there is no such deal, or -1 after a failed statement.
//  Free the view with deal_view_destroy.
int deal_view_load (crmq_pg_t *pg, const char *time_zone, int64_t id, bool full,
                    deal_view_t **self_p);

//  Frees the view; sets *self_p to NULL; safe on NULL.
void deal_view_destroy (deal_view_t **self_p);

//  The deal (owned by the view).
Crmq__Deal *deal_view_deal (deal_view_t *self);

//  The view as GetDealReply (owned by the view; history and orders empty
//  unless loaded `full`).
Crmq__GetDealReply *deal_view_reply (deal_view_t *self);

#endif

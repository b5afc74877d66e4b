/*  client_metrics.h - per-client metrics kept from the sales events of the
    event log (analytics.client_metrics and analytics.order_totals,
    migration 004): orders placed and not cancelled, first and last order,
    order totals, returns, revenue (totals less returns), shipments and late
    shipments, payments and late payments, in the base currency as the
    events carry it.

    client_metrics_apply is the apply callback of the durable consumer
    "analytics.client_metrics" (prefix "sales."): it runs inside the
    transaction that moves the consumer's position, so each event counts
    exactly once.  client_metrics_read reads the rows and that position in
    the caller's transaction.                                              */
#ifndef CLIENT_METRICS_H_INCLUDED
#define CLIENT_METRICS_H_INCLUDED

#include "crmq.h"
#include "crmq_consumer.h"

#define CLIENT_METRICS_CONSUMER  "analytics.client_metrics"
#define CLIENT_METRICS_PREFIX    "sales."

//  Applies one sales event (crmq_consumer_apply_fn; arg unused): order
//  events set the order's state, returns, shipments and payments count.
//  Other topics (invoices) change nothing.  Returns 0, -1 after a failed
//  statement, or CRMQ_INVALID_ARGUMENT for an unreadable body.
int client_metrics_apply (crmq_pg_t *pg, const crmq_event_t *event, void *arg);

//  Reads into *reply (initialised by the caller) the rows of the
//  `count` clients `client_ids`, in that order (clients without a row are
//  left out), or, with count 0, of the top `limit` clients by revenue
//  (ties by client id); and the consumer's position as as_of_seq.  Money
//  is in `currency` (borrowed; it must outlive the reply).  Returns 0, or
//  -1 after a failed statement.  Free the rows with client_metrics_reply_free.
int client_metrics_read (crmq_pg_t *pg, const int64_t *client_ids, size_t count, int limit,
                         const char *currency, Crmq__ClientMetricsReply *reply);

//  Frees what client_metrics_read allocated in *reply (not *reply itself).
void client_metrics_reply_free (Crmq__ClientMetricsReply *reply);

#endif

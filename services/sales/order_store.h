/*  order_store.h - orders from the ERP: placed, changed, cancelled, inside
    the caller's transaction and savepoint, with their rollups
    (sales.client_day_group_rollups, sales.client_day_rollups) kept in the
    same transaction.

    A change or cancellation of an order that has not arrived yet is kept in
    sales.pending_changes and applied when the order is placed, in
    occurred_at order (both carry occurred_at; equal ones in arrival order).
    A change older (by occurred_at) than the last one applied, or a change of
    a cancelled order, is recorded and ignored.

    Return values: ERP_STORED (0), a positive status code with `problem`
    filled (the caller rolls back to its savepoint), or -1 when a statement
    failed (see crmq_pg_sqlstate).                                           */
#ifndef ORDER_STORE_H_INCLUDED
#define ORDER_STORE_H_INCLUDED

#include "erp_context.h"
#include "erp_event_check.h"

//  Places events[index]'s OrderPlaced: the order, its lines (amounts by the
//  money rule), rollups, and whatever waited for it (order_store_settle).
//  An order number placed by another event is ALREADY_EXISTS; an unknown
//  client, manager or product NOT_FOUND.
int order_store_place (erp_context_t *ctx, const Crmq__ErpEvent *event, size_t index,
                       erp_problem_t *problem);

//  Applies events[index]'s OrderChanged or OrderCancelled, or keeps it until
//  its order arrives; `packed` (packed_size bytes) is the event packed, kept
//  for then.  Products and the manager a change names must be known.
int order_store_change (erp_context_t *ctx, const Crmq__ErpEvent *event, size_t index,
                        const uint8_t *packed, size_t packed_size, erp_problem_t *problem);

//  After orders were inserted (by order_store_place or a bulk writer):
//  adds them to the rollups, links the shipments, invoices, payments and
//  returns that waited for them, and applies their pending changes.
//  order_ids is a bigint[] literal, external_ids a text[] literal of the
//  same orders.  Returns 0 or -1 when a statement failed.
int order_store_settle (erp_context_t *ctx, const char *order_ids, const char *external_ids);

#endif

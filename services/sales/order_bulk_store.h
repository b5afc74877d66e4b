/*  order_bulk_store.h - writes a run of a batch's OrderPlaced events at
    once, inside the caller's transaction: one query each to resolve the
    run's clients, managers, products and order numbers, one call for as
    many order ids from the sequence, then one COPY each into
    sales.erp_events, sales.orders and sales.order_lines, and the rollups
    and out-of-order resolution for all the run's orders in one call
    (order_store_settle).

    What the per-event path (erp_event_store) would reject is found before
    the COPY, with the same code, field and message: an unknown client,
    manager or product (NOT_FOUND), an order number placed before or earlier
    in the run (ALREADY_EXISTS).  Amounts follow the money rule exactly
    (round_half_up (quantity x unit_price x (1 - discount), 2), computed on
    the decimals as they came).  So the COPY cannot fail on its input; when
    it fails all the same (a concurrent replica wrote one of these event ids
    or order numbers first: 23505), everything the run wrote is rolled back
    to the run's own savepoint and the caller stores the run through the
    per-event path, which decides duplicates exactly.

    Memory: rows are streamed to PostgreSQL in 64 KiB chunks as they are
    formed (crmq_pg_copy); the run's lookups are held once.                 */
#ifndef ORDER_BULK_STORE_H_INCLUDED
#define ORDER_BULK_STORE_H_INCLUDED

#include "erp_context.h"
#include "erp_event_check.h"

//  One OrderPlaced of the run: checked (erp_event_check), its event_id not
//  recorded before nor repeated in the run.
typedef struct {
    const Crmq__ErpEvent *event;    //  borrowed
    size_t index;                   //  its place in the request: events[index]
    const uint8_t *packed;          //  the event packed; its SHA-256 is recorded
    size_t packed_size;
    int code;                       //  out: ERP_STORED (0), or why it was rejected
    erp_problem_t *problem;         //  out, borrowed: filled when rejected
} order_bulk_item_t;

#define ORDER_BULK_DONE      0      //  every item stored or rejected
#define ORDER_BULK_FALLBACK  1      //  nothing written: use the per-event path

//  Stores the `count` items.  Returns ORDER_BULK_DONE, ORDER_BULK_FALLBACK
//  (rolled back to its own savepoint; the failure logged), or -1 when a
//  statement failed in a way that ends the transaction (erp_sqlstate_fatal:
//  see crmq_pg_sqlstate).
int order_bulk_store (erp_context_t *ctx, order_bulk_item_t *items, size_t count);

//  Self-test of the parts that need no database (amounts, instants).
void order_bulk_store_test (bool verbose);

#endif

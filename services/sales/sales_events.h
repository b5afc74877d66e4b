/*  sales_events.h - the events crmq-sales writes to the event log
    (bus.outbox, producer "sales"), inside the transaction (and savepoint) of
    the facts they report; messages in proto/sales.proto.

    When each is written:
    - sales.order.placed when the order is recorded (before the changes that
      waited for it are applied); sales.order.changed and
      sales.order.cancelled when a change is applied to its order (at once,
      or when the order arrives after it); a change ignored (stale, or the
      order cancelled) writes nothing.
    - sales.invoice.issued and sales.return.registered when recorded.
    - sales.order.shipped and sales.payment.received when their lateness is
      known: a shipment when its order is known, a payment when the invoice
      it settles against is known, whether that is when the document is
      recorded or later when the document it waits for arrives.  Their rows
      carry `announced`; sales_events_settled writes the event of every row
      that is linked and not yet announced, and marks it, so that each such
      document is reported exactly once, in the transaction that linked it.
    A resent ERP event (a duplicate) writes nothing.                          */
#ifndef SALES_EVENTS_H_INCLUDED
#define SALES_EVENTS_H_INCLUDED

#include "erp_context.h"

//  Writes one OrderEvent under `topic` ("sales.order.placed"...) for each
//  order of `order_ids` (an array literal of ids, "{1,2}"), in id order, with
//  one outbox statement.  event_id NULL = each order's own (placing) event,
//  and occurred_at the order's placed_at; else both are the given change's
//  (occurred_at_us 0 = now).  Returns 0, or -1 after a failed statement.
int sales_events_orders (erp_context_t *ctx, const char *topic, const char *order_ids,
                         const char *event_id, int64_t occurred_at_us);

//  Writes sales.invoice.issued for the invoice `invoice_id` (decimal text).
//  Returns 0 or -1.
int sales_events_invoice (erp_context_t *ctx, const char *invoice_id);

//  Writes sales.return.registered for the return `return_id` (decimal text).
//  Returns 0 or -1.
int sales_events_return (erp_context_t *ctx, const char *return_id);

//  Writes the events of the shipments (when `shipments`) and payments (when
//  `payments`) linked in this transaction and not announced yet, and marks
//  them announced.  Returns 0 or -1.
int sales_events_settled (erp_context_t *ctx, bool shipments, bool payments);

#endif

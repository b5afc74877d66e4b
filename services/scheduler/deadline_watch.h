/*  deadline_watch.h - deadline control of ERP documents: a payment paid
    after its invoice's due date raises alert.payment.late, a shipment
    shipped after its order's required date alert.shipment.late, each once
    per document (its ERP number is the alert's subject).  Fed by the
    sales.payment.received and sales.order.shipped events (PaymentEvent,
    ShipmentEvent), whose lateness crmq-sales settled.                      */
#ifndef DEADLINE_WATCH_H_INCLUDED
#define DEADLINE_WATCH_H_INCLUDED

#include "crmq.h"
#include "crmq_consumer.h"

//  Applies a sales.payment.received event inside the consumer's transaction.
//  Returns 0, -1 after a failed statement, or CRMQ_INVALID_ARGUMENT for a
//  body that is not a PaymentEvent.
int deadline_watch_payment (crmq_pg_t *pg, const crmq_event_t *event);

//  The same for a sales.order.shipped event (ShipmentEvent).
int deadline_watch_shipment (crmq_pg_t *pg, const crmq_event_t *event);



//  Self-test inside the caller's open transaction on `pg` (which it rolls
//  back): late, on-time and replayed payments and shipments.
void deadline_watch_test (crmq_pg_t *pg, bool verbose);
#endif

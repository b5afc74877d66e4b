/*  deadline_watch.c - late payments and shipments; see deadline_watch.h.  */
#include "deadline_watch.h"
#include "alert_store.h"

//  Money as "1234.50 USD" into buf.
static const char *
s_money_text (const Crmq__Money *money, char *buf, size_t size)
{
    char number [48] = "0";
    if (money)
        crmq_decimal_format_fixed (money->units, money->nanos, 2, false, number, sizeof number);
    snprintf (buf, size, "%s%s%s", number, money && *money->currency? " ": "",
              money? money->currency: "");
    return buf;
}

//  An instant as an ISO 8601 date (UTC) into buf; "" for 0.
static const char *
s_date (int64_t us, char *buf, size_t size)
{
    if (!us || crmq_time_format (us, "UTC", true, buf, size) < 0)
        *buf = 0;
    return buf;
}

int
deadline_watch_payment (crmq_pg_t *pg, const crmq_event_t *event)
{
    Crmq__PaymentEvent *payment = (Crmq__PaymentEvent *)
        crmq_message_unpack (&crmq__payment_event__descriptor, event->body, event->size);
    if (!payment)
        return CRMQ_INVALID_ARGUMENT;
    int rc = 0;
    if (payment->late) {
        alert_draft_t draft;
        char amount [96], due [32];
        alert_draft_init (&draft, "payment.late", "warning", "payment", payment->external_id);
        draft.alert.client_id = payment->client_id;
        draft.alert.manager_id = payment->manager_id;
        draft.alert.occurred_us = payment->occurred_at_us;
        draft.alert.cause_seq = event->seq;
        s_money_text (payment->amount, amount, sizeof amount);
        s_date (payment->due_at_us, due, sizeof due);
        alert_draft_detail (&draft, "days_late", "%d", payment->days_late);
        alert_draft_detail (&draft, "amount", "%s", amount);
        alert_draft_detail (&draft, "due_date", "%s", due);
        alert_draft_detail (&draft, "invoice", "%s", payment->invoice_external_id);
        alert_draft_detail (&draft, "order", "%s", payment->order_external_id);
        alert_draft_detail (&draft, "client_external_id", "%s", payment->client_external_id);
        alert_draft_message (&draft, "Payment %s of %s from client %s came %d day%s after"
                             " the due date %s of invoice %s", payment->external_id, amount,
                             payment->client_external_id, payment->days_late,
                             payment->days_late == 1? "": "s", due, payment->invoice_external_id);
        rc = alert_store_raise (pg, &draft, 0) < 0? -1: 0;
    }
    crmq_message_free (&payment->base);
    return rc;
}

int
deadline_watch_shipment (crmq_pg_t *pg, const crmq_event_t *event)
{
    Crmq__ShipmentEvent *shipment = (Crmq__ShipmentEvent *)
        crmq_message_unpack (&crmq__shipment_event__descriptor, event->body, event->size);
    if (!shipment)
        return CRMQ_INVALID_ARGUMENT;
    int rc = 0;
    if (shipment->late) {
        alert_draft_t draft;
        char amount [96], required [32];
        alert_draft_init (&draft, "shipment.late", "warning", "shipment", shipment->external_id);
        draft.alert.client_id = shipment->client_id;
        draft.alert.manager_id = shipment->manager_id;
        draft.alert.occurred_us = shipment->occurred_at_us;
        draft.alert.cause_seq = event->seq;
        s_money_text (shipment->order_amount, amount, sizeof amount);
        s_date (shipment->required_at_us, required, sizeof required);
        alert_draft_detail (&draft, "days_late", "%d", shipment->days_late);
        alert_draft_detail (&draft, "required_date", "%s", required);
        alert_draft_detail (&draft, "order", "%s", shipment->order_external_id);
        alert_draft_detail (&draft, "order_amount", "%s", amount);
        alert_draft_detail (&draft, "client_external_id", "%s", shipment->client_external_id);
        alert_draft_message (&draft, "Shipment %s of order %s for client %s left %d day%s after"
                             " the required date %s", shipment->external_id,
                             shipment->order_external_id, shipment->client_external_id,
                             shipment->days_late, shipment->days_late == 1? "": "s", required);
        rc = alert_store_raise (pg, &draft, 0) < 0? -1: 0;
    }
    crmq_message_free (&shipment->base);
    return rc;
}

//  --------------------------------------------------------------------------
//  Self-test

//  Alerts of `kind` for `subject` in scheduler.alerts and outbox rows of
//  its topic naming it.
static long
s_test_count (crmq_pg_t *pg, const char *kind, const char *subject)
{
    const char *values [2] = { kind, subject };
    PGresult *result = crmq_pg_exec (pg,
        "SELECT (SELECT count (*) FROM scheduler.alerts WHERE kind = $1 AND subject_id = $2)"
        "     + (SELECT count (*) FROM bus.outbox WHERE topic = 'alert.' || $1"
        "          AND position (convert_to ($2, 'UTF8') IN body) > 0)", 2, values);
    assert (result);
    long count = atol (PQgetvalue (result, 0, 0));
    PQclear (result);
    return count;
}

//  Applies a packed message as the event (seq, topic).
static int
s_test_apply (crmq_pg_t *pg, int64_t seq, const char *topic, const ProtobufCMessage *message)
{
    uint8_t body [1024];
    size_t size = protobuf_c_message_pack (message, body);
    crmq_event_t event = { seq, topic, body, size };
    return streq (topic, "sales.payment.received")? deadline_watch_payment (pg, &event)
                                                  : deadline_watch_shipment (pg, &event);
}

void
deadline_watch_test (crmq_pg_t *pg, bool verbose)
{
    if (verbose)
        printf (" * deadline_watch: ");
    char late [64], ontime [64], shipment [64];
    int64_t now = crmq_time_now_us ();
    snprintf (late, sizeof late, "PAY-LATE-%" PRId64, now);
    snprintf (ontime, sizeof ontime, "PAY-OK-%" PRId64, now);
    snprintf (shipment, sizeof shipment, "SHP-LATE-%" PRId64, now);
    Crmq__Money amount = CRMQ__MONEY__INIT;
    amount.currency = (char *) "USD";
    amount.units = 1234;
    amount.nanos = 500000000;
    Crmq__PaymentEvent payment = CRMQ__PAYMENT_EVENT__INIT;
    payment.external_id = late;
    payment.client_id = 42;
    payment.client_external_id = (char *) "C-42";
    payment.invoice_external_id = (char *) "INV-1";
    payment.amount = &amount;
    payment.due_at_us = 1714521600000000LL;         //  2024-05-01
    payment.occurred_at_us = payment.due_at_us + 12 * 86400000000LL;
    payment.late = true;
    payment.days_late = 12;
    assert (s_test_apply (pg, 101, "sales.payment.received", &payment.base) == 0);
    assert (s_test_count (pg, "payment.late", late) == 2);
    //  a replay raises nothing more
    assert (s_test_apply (pg, 101, "sales.payment.received", &payment.base) == 0);
    assert (s_test_count (pg, "payment.late", late) == 2);
    PGresult *result = crmq_pg_exec (pg,
        "SELECT body FROM bus.outbox WHERE topic = 'alert.payment.late' ORDER BY seq DESC LIMIT 1",
        0, NULL);
    assert (result && PQntuples (result) == 1);
    size_t size = 0;
    uint8_t *body = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, 0, 0), &size);
    Crmq__Alert *alert = crmq__alert__unpack (NULL, size, body);
    assert (alert && streq (alert->kind, "payment.late") && streq (alert->subject_id, late));
    assert (alert->client_id == 42 && alert->cause_seq == 101);
    assert (alert->occurred_us == payment.occurred_at_us);
    bool days = false, money = false, due = false;
    for (size_t i = 0; i < alert->n_details; i++) {
        days |= streq (alert->details [i]->key, "days_late") && streq (alert->details [i]->value, "12");
        money |= streq (alert->details [i]->key, "amount")
              && streq (alert->details [i]->value, "1234.50 USD");
        due |= streq (alert->details [i]->key, "due_date")
            && streq (alert->details [i]->value, "2024-05-01");
    }
    assert (days && money && due);
    crmq__alert__free_unpacked (alert, NULL);
    PQfreemem (body);
    PQclear (result);
    //  on time: nothing
    payment.external_id = ontime;
    payment.late = false;
    payment.days_late = 0;
    assert (s_test_apply (pg, 102, "sales.payment.received", &payment.base) == 0);
    assert (s_test_count (pg, "payment.late", ontime) == 0);
    //  a late shipment
    Crmq__ShipmentEvent ship = CRMQ__SHIPMENT_EVENT__INIT;
    ship.external_id = shipment;
    ship.order_external_id = (char *) "ORD-1";
    ship.client_id = 42;
    ship.late = true;
    ship.days_late = 3;
    ship.order_amount = &amount;
    assert (s_test_apply (pg, 103, "sales.order.shipped", &ship.base) == 0);
    assert (s_test_apply (pg, 103, "sales.order.shipped", &ship.base) == 0);
    assert (s_test_count (pg, "shipment.late", shipment) == 2);
    //  an unreadable body is passed over
    uint8_t junk [3] = { 0xff, 0xff, 0xff };
    crmq_event_t bad = { 104, "sales.order.shipped", junk, sizeof junk };
    assert (deadline_watch_shipment (pg, &bad) == CRMQ_INVALID_ARGUMENT);
    if (verbose)
        printf ("OK\n");
}

/*  test_scheduler_alerts - ERP events through sales.Ingest raise exactly the
    expected alerts in the event log (crmq-sales -> bus.outbox -> crmq-bus ->
    crmq-scheduler -> bus.outbox): a late payment, a late shipment, a late
    payment that arrived before its invoice, none for on-time documents nor
    for a resent event, and an activity drop for a client that ordered every
    ten days and then fell silent (its periodic check runs when
    crmq-scheduler starts).  crmq-scheduler is restarted half-way: no alert
    is raised twice.                                                        */
#include "test_support.h"

#define DAY_US  86400000000LL

static char s_prefix [32];

static const char *
s_id (const char *name)
{
    return test_ext_id (s_prefix, name);
}

static Crmq__ErpEvent *
s_order (const char *name, const char *client, int64_t placed_us, int64_t required_us)
{
    char order [64], client_id [64], product [64];
    snprintf (order, sizeof order, "%s", s_id (name));
    snprintf (client_id, sizeof client_id, "%s", s_id (client));
    snprintf (product, sizeof product, "%s", s_id ("P"));
    char event_id [80];
    snprintf (event_id, sizeof event_id, "%s:event", order);
    Crmq__ErpEvent *event = test_order_event (event_id, order, client_id, product, 2, 50000);
    event->occurred_at_us = placed_us;
    event->order_placed->placed_at_us = placed_us;
    event->order_placed->required_at_us = required_us;
    return event;
}

static Crmq__ErpEvent *
s_shipment (const char *name, const char *order, int64_t at_us)
{
    char shipment [64];
    snprintf (shipment, sizeof shipment, "%s", s_id (name));
    return test_shipment_event (shipment, shipment, s_id (order), at_us);
}

//  An invoice and a payment of client A, 1000.00 each.
static Crmq__ErpEvent *
s_invoice (const char *name, const char *order, int64_t issued_us, int64_t due_us)
{
    char invoice [64], client [64];
    snprintf (invoice, sizeof invoice, "%s", s_id (name));
    snprintf (client, sizeof client, "%s", s_id ("A"));
    return test_invoice_event (invoice, invoice, client, s_id (order), 100000, issued_us, due_us);
}

static Crmq__ErpEvent *
s_payment (const char *name, const char *invoice, int64_t paid_us)
{
    char payment [64], client [64];
    snprintf (payment, sizeof payment, "%s", s_id (name));
    snprintf (client, sizeof client, "%s", s_id ("A"));
    return test_payment_event (payment, payment, client, s_id (invoice), 100000, paid_us);
}

//  Outbox rows under `topic` whose body names `subject` (this run's ids).
static long long
s_outbox (crmq_pg_t *pg, const char *topic, const char *subject)
{
    return test_number (pg, "SELECT count (*) FROM bus.outbox WHERE topic = $1"
                            " AND position (convert_to ($2, 'UTF8') IN body) > 0",
                        topic, subject, NULL);
}

//  Waits up to `seconds` for `count` alerts of `topic` naming `subject`.
static long long
s_wait (crmq_pg_t *pg, const char *topic, const char *subject, long long count, int seconds)
{
    long long found = 0;
    for (int i = 0; i < seconds * 10; i++) {
        found = s_outbox (pg, topic, subject);
        if (found >= count)
            break;
        zclock_sleep (100);
    }
    return found;
}

//  The newest alert under `topic` naming `subject`, unpacked (caller frees).
static Crmq__Alert *
s_alert (crmq_pg_t *pg, const char *topic, const char *subject)
{
    PGresult *result = test_query (pg, "SELECT body FROM bus.outbox WHERE topic = $1"
                                       " AND position (convert_to ($2, 'UTF8') IN body) > 0"
                                       " ORDER BY seq DESC LIMIT 1", topic, subject, NULL);
    Crmq__Alert *alert = NULL;
    if (result && PQntuples (result)) {
        size_t size = 0;
        uint8_t *body = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, 0, 0), &size);
        alert = crmq__alert__unpack (NULL, size, body);
        PQfreemem (body);
    }
    if (result)
        PQclear (result);
    return alert;
}

static const char *
s_detail (const Crmq__Alert *alert, const char *key)
{
    for (size_t i = 0; alert && i < alert->n_details; i++)
        if (streq (alert->details [i]->key, key))
            return alert->details [i]->value;
    return "";
}

int
main (void)
{
    crmq_log_init ("test_scheduler_alerts", "error");
    crmq_pg_t *pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_scheduler_alerts");
    crmq_rpc_client_t *sales = crmq_rpc_client_new (test_env ("CRMQ_SALES_ENDPOINT"), 20000, 0);
    int wait_s = getenv ("CRMQ_SERVICE_WRAPPER")? 180: 30;
    snprintf (s_prefix, sizeof s_prefix, "SA%d-%" PRId64 "-", (int) getpid (),
              crmq_time_now_us () % 1000000);
    int64_t now = crmq_time_now_us ();

    printf ("master data, and client B ordering every 10 days, silent for 55\n");
    Crmq__ErpEvent *master [3] = {
        test_client_event (s_id ("client:A"), s_id ("A"), "Alpha"),
        test_client_event (s_id ("client:B"), s_id ("B"), "Beta"),
        test_product_event (s_id ("product"), s_id ("P"), "Product") };
    test_send (sales, "master", master, 3, 0);
    Crmq__ErpEvent *steady [5];
    for (int i = 0; i < 5; i++) {
        char name [16];
        snprintf (name, sizeof name, "OB%d", i);
        steady [i] = s_order (name, "B", now - (95 - 10 * i) * DAY_US, 0);
    }
    test_send (sales, "B's orders", steady, 5, 0);

    printf ("client A: late and on-time shipments and payments, one payment before its invoice\n");
    Crmq__ErpEvent *orders [3] = {
        s_order ("O1", "A", now - 40 * DAY_US, now - 30 * DAY_US),
        s_order ("O2", "A", now - 10 * DAY_US, now + 5 * DAY_US),
        s_order ("O3", "A", now - 50 * DAY_US, 0) };
    test_send (sales, "A's orders", orders, 3, 0);
    Crmq__ErpEvent *documents [6] = {
        s_shipment ("S1", "O1", now - 25 * DAY_US),                     //  5 days late
        s_shipment ("S2", "O2", now - 1 * DAY_US),                      //  on time
        s_invoice ("I1", "O1", now - 40 * DAY_US, now - 20 * DAY_US),
        s_invoice ("I2", "O2", now - 10 * DAY_US, now + 10 * DAY_US),
        s_payment ("PAY1", "I1", now - 8 * DAY_US),                     //  12 days late
        s_payment ("PAY2", "I2", now - 1 * DAY_US) };                   //  on time
    test_send (sales, "A's documents", documents, 6, 0);
    Crmq__ErpEvent *early [1] = { s_payment ("PAY3", "I3", now - 2 * DAY_US) };
    test_send (sales, "a payment before its invoice", early, 1, 0);
    CHECK (s_outbox (pg, "sales.payment.received", s_id ("PAY3")) == 0,
           "a payment waiting for its invoice is not reported yet");
    Crmq__ErpEvent *late_invoice [1] = { s_invoice ("I3", "O3", now - 50 * DAY_US, now - 9 * DAY_US) };
    test_send (sales, "its invoice", late_invoice, 1, 0);

    printf ("crmq-sales wrote each document's event once\n");
    CHECK (s_outbox (pg, "sales.order.placed", s_id ("OB")) == 5, "B's orders placed");
    CHECK (s_outbox (pg, "sales.order.shipped", s_id ("S1")) == 1, "S1 shipped");
    CHECK (s_outbox (pg, "sales.payment.received", s_id ("PAY1")) == 1, "PAY1 received");
    CHECK (s_outbox (pg, "sales.payment.received", s_id ("PAY3")) == 1, "PAY3 once its invoice came");
    CHECK (s_outbox (pg, "sales.invoice.issued", s_id ("I3")) == 1, "I3 issued");

    printf ("the alerts of the late documents\n");
    CHECK (s_wait (pg, "alert.payment.late", s_id ("PAY1"), 1, wait_s) == 1, "PAY1 late");
    CHECK (s_wait (pg, "alert.payment.late", s_id ("PAY3"), 1, wait_s) == 1, "PAY3 late");
    CHECK (s_wait (pg, "alert.shipment.late", s_id ("S1"), 1, wait_s) == 1, "S1 late");
    Crmq__Alert *alert = s_alert (pg, "alert.payment.late", s_id ("PAY1"));
    CHECK (alert && streq (alert->kind, "payment.late") && streq (alert->subject_id, s_id ("PAY1")),
           "PAY1's alert names it");
    CHECK (streq (s_detail (alert, "days_late"), "12"), "12 days late, not %s",
           s_detail (alert, "days_late"));
    CHECK (streq (s_detail (alert, "amount"), "1000.00 USD"), "amount %s", s_detail (alert, "amount"));
    CHECK (alert && alert->client_id > 0 && alert->cause_seq > 0, "client and cause");
    CHECK (alert && streq (alert->client_name, "Alpha"), "the client's name from crmq-contacts: '%s'",
           alert? alert->client_name: "");
    if (alert)
        crmq__alert__free_unpacked (alert, NULL);
    alert = s_alert (pg, "alert.shipment.late", s_id ("S1"));
    CHECK (streq (s_detail (alert, "days_late"), "5"), "S1 5 days late, not %s",
           s_detail (alert, "days_late"));
    if (alert)
        crmq__alert__free_unpacked (alert, NULL);

    printf ("the late payment resent: a duplicate, nothing new\n");
    Crmq__ErpEvent *resend [1] = { s_payment ("PAY1", "I1", now - 8 * DAY_US) };
    test_send (sales, "resend", resend, 1, 1);

    printf ("crmq-scheduler restarted: its start-up check finds client B\n");
    char command [1200];
    snprintf (command, sizeof command, "%s restart-service '%s' scheduler >/dev/null",
              test_env ("CRMQ_STACK_SCRIPT"), test_env ("CRMQ_STACK_DIR"));
    CHECK (system (command) == 0, "restart-service scheduler");
    CHECK (s_wait (pg, "alert.client.activity_drop", s_id ("B"), 1, wait_s) == 1, "B's drop");
    alert = s_alert (pg, "alert.client.activity_drop", s_id ("B"));
    CHECK (streq (s_detail (alert, "rule"), "days") && streq (s_detail (alert, "orders"), "5")
           && streq (s_detail (alert, "median_gap_days"), "10.0"),
           "days rule, 5 orders, gap 10.0 (%s, %s, %s)", s_detail (alert, "rule"),
           s_detail (alert, "orders"), s_detail (alert, "median_gap_days"));
    if (alert)
        crmq__alert__free_unpacked (alert, NULL);
    //  a second start-up check and everything replayed: still once each
    CHECK (system (command) == 0, "restart-service scheduler again");
    zclock_sleep (getenv ("CRMQ_SERVICE_WRAPPER")? 8000: 2000);
    CHECK (s_outbox (pg, "alert.payment.late", s_id ("PAY1")) == 1, "PAY1 alert once");
    CHECK (s_outbox (pg, "alert.payment.late", s_id ("PAY2")) == 0, "PAY2 on time");
    CHECK (s_outbox (pg, "alert.shipment.late", s_id ("S2")) == 0, "S2 on time");
    CHECK (s_outbox (pg, "alert.client.activity_drop", s_id ("A")) == 0, "A has 3 recent orders");
    long long all = test_number (pg, "SELECT count (*) FROM bus.outbox WHERE topic LIKE 'alert.%'"
                                     " AND position (convert_to ($1, 'UTF8') IN body) > 0",
                                 s_prefix, NULL);
    CHECK (all == 4, "exactly 4 alerts of this run, not %lld", all);

    crmq_rpc_client_destroy (&sales);
    crmq_pg_destroy (&pg);
    printf ("%s\n", s_failures? "FAILED": "PASSED");
    return s_failures? 1: 0;
}

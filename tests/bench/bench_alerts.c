/*  bench_alerts - how long a late payment takes to come out as an alert.

    bench_alerts [--events N] [--clients N] [--pause-ms N] [--tag TEXT]

    Set-up (not timed): a manager, --clients clients (100) and a product,
    then N orders and N invoices (one per order, issued two days ago, due one
    day ago) sent to crmq-sales through crmq_publisher in batches of 500.
    Waits until crmq-scheduler's consumer (scheduler.activity in
    bus.consumers) has applied every sales.* event of bus.outbox.

    Measurement: a thread holds a SUB socket on CRMQ_BUS_PUB_ENDPOINT
    subscribed to "alert.payment.late" and records when each alert arrives
    (the alert names its payment in subject_id).  The main thread sends the N
    payments, each paid now (a day after its invoice's due date, so late),
    ONE per sales.Ingest request, each after the previous reply (and
    --pause-ms).  Per payment: t_send (before the request), t_reply (reply
    received: crmq-sales committed before it) and t_alert (arrival), all on
    the monotonic clock; the alert's raised_us (crmq-scheduler's wall clock)
    against the wall clock at t_reply splits the latency.  Prints alerts
    received (missing ones named, and whether crmq-scheduler raised them:
    scheduler.alerts and bus.outbox, read with CRMQ_PG_URL), then
    p50, p90, p99, max of t_alert - t_reply and t_alert - t_send in ms.

    Baseline, same run: a bare ZeroMQ DEALER -> ROUTER echo over tcp
    loopback (the ROUTER in a thread), N round trips of 64 bytes; p50, p99.
    The last line has both.

    Environment: CRMQ_PG_URL, CRMQ_SALES_ENDPOINT, CRMQ_BUS_PUB_ENDPOINT.
    Exit 0 when every payment was accepted and its alert arrived exactly
    once, 1 when not, 2 on a usage or set-up error.  Latency decides nothing
    about the exit code.                                                    */
#include "crmq.h"
#include "bench_support.h"
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>

#define DAY_US              86400000000LL
#define SETUP_BATCH         500         //  set-up events a request
#define MASTER_BATCH        200         //  clients a request (crmq-contacts' 3 s)
#define CATCH_UP_S          900         //  longest wait for crmq-scheduler's set-up work
#define QUIET_MS            10000       //  wait for late alerts after the last reply
#define PING_BYTES          64
#define ALERT_TOPIC         "alert.payment.late"

static const char *SQL_CATCH_UP =
    "SELECT coalesce ((SELECT position FROM bus.consumers WHERE name = 'scheduler.activity'), -1),"
    "       (SELECT coalesce (max (seq), 0) FROM bus.outbox WHERE starts_with (topic, 'sales.'))";
//  the alerts crmq-scheduler raised for a payment, and those of bus.outbox
//  (an Alert whose subject_id, field 7, is exactly $1: tag 0x3a, its length
//  in one byte, the text)
static const char *SQL_ALERT_RAISED =
    "SELECT (SELECT count (*) FROM scheduler.alerts"
    "         WHERE kind = 'payment.late' AND subject_id = $1),"
    "       (SELECT count (*) FROM bus.outbox WHERE topic = '" ALERT_TOPIC "'"
    "           AND position ('\\x3a'::bytea || set_byte ('\\x00'::bytea, 0, length ($1))"
    "                         || convert_to ($1, 'UTF8') IN body) > 0)";

typedef struct {
    long events;
    int clients;
    int pause_ms;
    char tag [64];
} s_options_t;

//  Microseconds on the monotonic clock.
static int64_t
s_mono_us (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

static int
s_compare (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

//  Nearest-rank percentile `p` (0 < p <= 100) of `count` sorted values, in ms.
static double
s_percentile (const int64_t *sorted, size_t count, double p)
{
    if (count == 0)
        return 0;
    size_t rank = (size_t) ((p / 100.0) * (double) count + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > count)
        rank = count;
    return (double) sorted [rank - 1] / 1000.0;
}

typedef struct {
    double p50, p90, p99, max;
} s_stats_t;

//  Sorts `values` (µs) in place and returns their percentiles in ms.
static s_stats_t
s_stats (int64_t *values, size_t count)
{
    qsort (values, count, sizeof (int64_t), s_compare);
    return (s_stats_t) { s_percentile (values, count, 50), s_percentile (values, count, 90),
                         s_percentile (values, count, 99), s_percentile (values, count, 100) };
}

static void
s_print_stats (const char *what, int64_t *values, size_t count)
{
    s_stats_t stats = s_stats (values, count);
    printf ("%-36s p50 %7.2f  p90 %7.2f  p99 %7.2f  max %8.2f ms (%zu)\n", what, stats.p50,
            stats.p90, stats.p99, stats.max, count);
}

//  --------------------------------------------------------------------------
//  The ERP events

static void
s_payment_id (const s_options_t *options, long number, char *out, size_t size)
{
    snprintf (out, size, "%s-PAY%ld", options->tag, number);
}

//  The payment's number from an alert's subject_id, 0 when not this run's.
static long
s_payment_number (const s_options_t *options, const char *subject)
{
    size_t length = strlen (options->tag);
    if (strncmp (subject, options->tag, length) != 0 || strncmp (subject + length, "-PAY", 4) != 0)
        return 0;
    char *end = NULL;
    long number = strtol (subject + length + 4, &end, 10);
    return end && *end == 0 && number >= 1 && number <= options->events? number: 0;
}

//  A manager, the clients and a product, acknowledged.
static int
s_publish_master (crmq_publisher_t *publisher, const s_options_t *options)
{
    char event_id [128], external_id [96], name [64], manager_id [96];
    Crmq__ErpEvent event = CRMQ__ERP_EVENT__INIT;
    Crmq__Manager manager = CRMQ__MANAGER__INIT;
    snprintf (event_id, sizeof event_id, "bench:%s:manager", options->tag);
    snprintf (manager_id, sizeof manager_id, "%s-M", options->tag);
    manager.external_id = manager_id;
    manager.name = "Alert Bench Manager";
    manager.active = true;
    event.event_id = event_id;
    event.body_case = CRMQ__ERP_EVENT__BODY_MANAGER;
    event.manager = &manager;
    int rc = bench_add ("bench_alerts", publisher, &event);
    for (int c = 1; c <= options->clients && rc == 0; c++) {
        Crmq__ErpEvent client_event = CRMQ__ERP_EVENT__INIT;
        Crmq__Client client = CRMQ__CLIENT__INIT;
        snprintf (event_id, sizeof event_id, "bench:%s:client:%d", options->tag, c);
        snprintf (external_id, sizeof external_id, "%s-C%d", options->tag, c);
        snprintf (name, sizeof name, "Alert Client %d Ltd", c);
        client.external_id = external_id;
        client.name = name;
        client.manager_external_id = manager_id;
        client_event.event_id = event_id;
        client_event.body_case = CRMQ__ERP_EVENT__BODY_CLIENT;
        client_event.client = &client;
        rc = bench_add ("bench_alerts", publisher, &client_event);
    }
    if (rc == 0) {
        Crmq__ErpEvent product_event = CRMQ__ERP_EVENT__INIT;
        Crmq__Product product = CRMQ__PRODUCT__INIT;
        Crmq__Money price = CRMQ__MONEY__INIT;
        snprintf (event_id, sizeof event_id, "bench:%s:product", options->tag);
        snprintf (external_id, sizeof external_id, "%s-P", options->tag);
        price.units = 500;
        product.external_id = external_id;
        product.name = "Alert Bench Product";
        product.list_price = &price;
        product_event.event_id = event_id;
        product_event.body_case = CRMQ__ERP_EVENT__BODY_PRODUCT;
        product_event.product = &product;
        rc = bench_add ("bench_alerts", publisher, &product_event);
    }
    return rc == 0? bench_barrier ("bench_alerts", publisher): -1;
}

static void
s_client_id (const s_options_t *options, long number, char *out, size_t size)
{
    snprintf (out, size, "%s-C%ld", options->tag, 1 + (number - 1) % options->clients);
}

//  N orders of one line (placed two days before `now_us`), acknowledged.
static int
s_publish_orders (crmq_publisher_t *publisher, const s_options_t *options, int64_t now_us)
{
    char event_id [128], order_id [96], client_id [96], product_id [96];
    snprintf (product_id, sizeof product_id, "%s-P", options->tag);
    int rc = 0;
    for (long i = 1; i <= options->events && rc == 0; i++) {
        Crmq__ErpEvent event = CRMQ__ERP_EVENT__INIT;
        Crmq__OrderPlaced placed = CRMQ__ORDER_PLACED__INIT;
        Crmq__OrderLine line = CRMQ__ORDER_LINE__INIT;
        Crmq__OrderLine *lines [1] = { &line };
        Crmq__Decimal quantity = CRMQ__DECIMAL__INIT;
        Crmq__Money price = CRMQ__MONEY__INIT;
        snprintf (event_id, sizeof event_id, "bench:%s:order:%ld", options->tag, i);
        snprintf (order_id, sizeof order_id, "%s-O%ld", options->tag, i);
        s_client_id (options, i, client_id, sizeof client_id);
        quantity.units = 2;
        price.units = 500;
        line.product_external_id = product_id;
        line.quantity = &quantity;
        line.unit_price = &price;
        placed.external_id = order_id;
        placed.client_external_id = client_id;
        placed.placed_at_us = now_us - 2 * DAY_US;
        placed.n_lines = 1;
        placed.lines = lines;
        event.event_id = event_id;
        event.occurred_at_us = placed.placed_at_us;
        event.body_case = CRMQ__ERP_EVENT__BODY_ORDER_PLACED;
        event.order_placed = &placed;
        rc = bench_add ("bench_alerts", publisher, &event);
    }
    return rc == 0? bench_barrier ("bench_alerts", publisher): -1;
}

//  N invoices of 1000.00, one per order, due a day before `now_us`, acknowledged.
static int
s_publish_invoices (crmq_publisher_t *publisher, const s_options_t *options, int64_t now_us)
{
    char event_id [128], invoice_id [96], order_id [96], client_id [96];
    int rc = 0;
    for (long i = 1; i <= options->events && rc == 0; i++) {
        Crmq__ErpEvent event = CRMQ__ERP_EVENT__INIT;
        Crmq__InvoiceIssued invoice = CRMQ__INVOICE_ISSUED__INIT;
        Crmq__Money amount = CRMQ__MONEY__INIT;
        snprintf (event_id, sizeof event_id, "bench:%s:invoice:%ld", options->tag, i);
        snprintf (invoice_id, sizeof invoice_id, "%s-I%ld", options->tag, i);
        snprintf (order_id, sizeof order_id, "%s-O%ld", options->tag, i);
        s_client_id (options, i, client_id, sizeof client_id);
        amount.units = 1000;
        invoice.external_id = invoice_id;
        invoice.client_external_id = client_id;
        invoice.order_external_id = order_id;
        invoice.amount = &amount;
        invoice.issued_at_us = now_us - 2 * DAY_US;
        invoice.due_at_us = now_us - DAY_US;
        event.event_id = event_id;
        event.occurred_at_us = invoice.issued_at_us;
        event.body_case = CRMQ__ERP_EVENT__BODY_INVOICE;
        event.invoice = &invoice;
        rc = bench_add ("bench_alerts", publisher, &event);
    }
    return rc == 0? bench_barrier ("bench_alerts", publisher): -1;
}

//  Sends payment `number` alone in one sales.Ingest request and waits for
//  the reply.  Returns 0 when it was accepted (not a duplicate), else -1
//  after printing why.
static int
s_send_payment (crmq_rpc_client_t *sales, const s_options_t *options, long number)
{
    char event_id [128], payment_id [96], invoice_id [96], client_id [96];
    Crmq__ErpEvent event = CRMQ__ERP_EVENT__INIT;
    Crmq__ErpEvent *events [1] = { &event };
    Crmq__PaymentReceived payment = CRMQ__PAYMENT_RECEIVED__INIT;
    Crmq__Money amount = CRMQ__MONEY__INIT;
    Crmq__IngestRequest request = CRMQ__INGEST_REQUEST__INIT;
    snprintf (event_id, sizeof event_id, "bench:%s:payment:%ld", options->tag, number);
    s_payment_id (options, number, payment_id, sizeof payment_id);
    snprintf (invoice_id, sizeof invoice_id, "%s-I%ld", options->tag, number);
    s_client_id (options, number, client_id, sizeof client_id);
    amount.units = 1000;
    payment.external_id = payment_id;
    payment.client_external_id = client_id;
    payment.invoice_external_id = invoice_id;
    payment.amount = &amount;
    payment.paid_at_us = crmq_time_now_us ();
    event.event_id = event_id;
    event.occurred_at_us = payment.paid_at_us;
    event.body_case = CRMQ__ERP_EVENT__BODY_PAYMENT;
    event.payment = &payment;
    request.n_events = 1;
    request.events = events;
    uint8_t *body = NULL;
    size_t size = 0;
    int code = crmq_rpc_call (sales, "sales.Ingest", &request.base, &body, &size);
    if (code != CRMQ_OK) {
        fprintf (stderr, "bench_alerts: %s: %s: %s\n", payment_id, crmq_status_name (code),
                 crmq_rpc_client_message (sales));
        return -1;
    }
    Crmq__IngestReply *reply = crmq__ingest_reply__unpack (NULL, size, body);
    free (body);
    int rc = 0;
    if (!reply || reply->n_results != 1 || reply->results [0]->code != CRMQ_OK
    ||  reply->results [0]->duplicate) {
        fprintf (stderr, "bench_alerts: %s: not accepted (%s)\n", payment_id,
                 !reply || reply->n_results != 1? "unreadable reply":
                 reply->results [0]->duplicate? "duplicate":
                 reply->results [0]->error? reply->results [0]->error->message: "rejected");
        rc = -1;
    }
    if (reply)
        crmq__ingest_reply__free_unpacked (reply, NULL);
    return rc;
}

//  --------------------------------------------------------------------------
//  The subscriber

typedef struct {
    const s_options_t *options;
    const char *endpoint;
    atomic_bool stop;
    atomic_bool ready;
    atomic_long received;           //  this run's alerts, first arrivals
    int64_t *t_alert;               //  [1 .. events], 0 = none yet (thread writes)
    int64_t *raised_us;             //  the alert's raised_us (wall clock)
    long duplicates;                //  alerts of a payment already seen
    long foreign;                   //  alerts of no payment of this run
    long unreadable;
} s_subscriber_t;

static void *
s_subscriber (void *arg)
{
    s_subscriber_t *self = (s_subscriber_t *) arg;
    zsock_t *sub = zsock_new (ZMQ_SUB);
    if (sub) {
        zsock_set_rcvhwm (sub, 0);
        zsock_set_subscribe (sub, ALERT_TOPIC);
    }
    if (!sub || zsock_connect (sub, "%s", self->endpoint) != 0) {
        fprintf (stderr, "bench_alerts: cannot subscribe to %s\n", self->endpoint);
        zsock_destroy (&sub);
        atomic_store (&self->ready, true);
        return NULL;
    }
    void *socket = zsock_resolve (sub);
    atomic_store (&self->ready, true);
    zmq_pollitem_t item = { socket, 0, ZMQ_POLLIN, 0 };
    while (!atomic_load (&self->stop)) {
        if (zmq_poll (&item, 1, 100) <= 0)
            continue;
        while (true) {
            zmsg_t *msg = zmsg_recv_nowait (sub);
            if (!msg)
                break;
            int64_t arrived = s_mono_us ();
            zframe_t *topic = zmsg_first (msg);
            zframe_t *seq = zmsg_next (msg);
            zframe_t *body = zmsg_next (msg);
            Crmq__Alert *alert = topic && seq && body && zframe_streq (topic, ALERT_TOPIC)?
                crmq__alert__unpack (NULL, zframe_size (body), zframe_data (body)): NULL;
            if (!alert)
                self->unreadable++;
            else {
                long number = s_payment_number (self->options, alert->subject_id);
                if (number == 0)
                    self->foreign++;
                else
                if (self->t_alert [number])
                    self->duplicates++;
                else {
                    self->t_alert [number] = arrived;
                    self->raised_us [number] = alert->raised_us;
                    atomic_fetch_add (&self->received, 1);
                }
                crmq__alert__free_unpacked (alert, NULL);
            }
            zmsg_destroy (&msg);
        }
    }
    zsock_destroy (&sub);
    return NULL;
}

//  --------------------------------------------------------------------------
//  The baseline: DEALER -> ROUTER echo

static void *
s_echo (void *arg)
{
    zsock_t *router = (zsock_t *) arg;
    while (true) {
        zmsg_t *msg = zmsg_recv (router);
        if (!msg)
            break;
        zframe_t *body = zmsg_last (msg);
        bool stop = body && zframe_size (body) == 4 && memcmp (zframe_data (body), "STOP", 4) == 0;
        zmsg_send (&msg, router);
        if (stop)
            break;
    }
    return NULL;
}

//  N round trips; fills rtt [0 .. count-1] with µs.  Returns 0 or -1.
static int
s_ping (int64_t *rtt, long count)
{
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    int port = router? zsock_bind (router, "tcp://127.0.0.1:*"): -1;
    zsock_t *dealer = port > 0? zsock_new_dealer (NULL): NULL;
    if (!dealer || zsock_connect (dealer, "tcp://127.0.0.1:%d", port) != 0) {
        zsock_destroy (&dealer);
        zsock_destroy (&router);
        return -1;
    }
    zsock_set_rcvtimeo (dealer, 5000);
    pthread_t thread;
    pthread_create (&thread, NULL, s_echo, router);
    uint8_t payload [PING_BYTES];
    memset (payload, 'x', sizeof payload);
    int rc = 0;
    for (long i = -100; i < count && rc == 0; i++) {       //  100 round trips to warm up
        int64_t started = s_mono_us ();
        zframe_t *frame = zframe_new (payload, sizeof payload);
        zframe_send (&frame, dealer, 0);
        frame = zframe_recv (dealer);
        if (!frame)
            rc = -1;
        else
        if (i >= 0)
            rtt [i] = s_mono_us () - started;
        zframe_destroy (&frame);
    }
    zstr_send (dealer, "STOP");
    zframe_t *frame = zframe_recv (dealer);
    zframe_destroy (&frame);
    pthread_join (thread, NULL);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
    return rc;
}

//  --------------------------------------------------------------------------

//  Waits until scheduler.activity has applied every sales.* event written
//  so far.  Returns the seconds waited, or -1.
static double
s_wait_caught_up (crmq_pg_t *pg)
{
    int64_t started = s_mono_us ();
    long long position = -1, last = 0;
    while (s_mono_us () - started < (int64_t) CATCH_UP_S * 1000000) {
        PGresult *result = crmq_pg_exec (pg, SQL_CATCH_UP, 0, NULL);
        if (!result) {
            fprintf (stderr, "bench_alerts: %s\n", crmq_pg_error (pg));
            return -1;
        }
        position = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
        last = strtoll (PQgetvalue (result, 0, 1), NULL, 10);
        PQclear (result);
        if (position >= last)
            return (double) (s_mono_us () - started) / 1e6;
        zclock_sleep (200);
    }
    fprintf (stderr, "bench_alerts: scheduler.activity at %lld, sales events up to %lld after %d s\n",
             position, last, CATCH_UP_S);
    return -1;
}

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: bench_alerts [--events N] [--clients N] [--pause-ms N] [--tag TEXT]\n");
}

static int
s_parse (int argc, char **argv, s_options_t *options)
{
    static const struct option long_options [] = {
        { "events", required_argument, NULL, 'n' },
        { "clients", required_argument, NULL, 'c' },
        { "pause-ms", required_argument, NULL, 'p' },
        { "tag", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    *options = (s_options_t) { .events = 10000, .clients = 100, .pause_ms = 0 };
    snprintf (options->tag, sizeof options->tag, "ab%lld", (long long) time (NULL));
    int option;
    while ((option = getopt_long (argc, argv, "", long_options, NULL)) != -1) {
        long value = optarg? atol (optarg): 0;
        switch (option) {
            case 'n': options->events = value; break;
            case 'c': options->clients = (int) value; break;
            case 'p': options->pause_ms = (int) value; break;
            case 't': snprintf (options->tag, sizeof options->tag, "%s", optarg); break;
            case 'h': s_usage (stdout); exit (0);
            default: s_usage (stderr); return -1;
        }
    }
    if (optind != argc || options->events < 1 || options->events > 10000000
    ||  options->clients < 1 || options->pause_ms < 0 || !*options->tag) {
        s_usage (stderr);
        return -1;
    }
    return 0;
}

//  Prints the run's accepted payments whose alert did not arrive (the first
//  10 by name) and, for each, whether crmq-scheduler raised it (a row of
//  scheduler.alerts and its event in bus.outbox).  Returns how many.
static long
s_report_missing (crmq_pg_t *pg, const s_options_t *options, const int64_t *t_alert,
                  const bool *accepted)
{
    long missing = 0, raised = 0, in_outbox = 0;
    char payment_id [96];
    for (long i = 1; i <= options->events; i++) {
        if (t_alert [i] || !accepted [i])
            continue;
        s_payment_id (options, i, payment_id, sizeof payment_id);
        const char *values [1] = { payment_id };
        PGresult *result = crmq_pg_exec (pg, SQL_ALERT_RAISED, 1, values);
        long long alerts = result? strtoll (PQgetvalue (result, 0, 0), NULL, 10): -1;
        long long events = result? strtoll (PQgetvalue (result, 0, 1), NULL, 10): -1;
        if (result)
            PQclear (result);
        raised += alerts > 0;
        in_outbox += events > 0;
        if (missing++ < 10)
            printf ("  missing: %s (%s)\n", payment_id,
                    alerts < 0? "unknown": alerts == 0? "never raised by crmq-scheduler":
                    events > 0? "raised, in bus.outbox, never received": "raised, not in bus.outbox");
    }
    if (missing)
        printf ("missing alerts: %ld: %ld never raised, %ld raised (%ld of them in bus.outbox)"
                " but never received\n", missing, missing - raised, raised, in_outbox);
    return missing;
}

int
main (int argc, char **argv)
{
    s_options_t options;
    if (s_parse (argc, argv, &options) != 0)
        return 2;
    crmq_log_init ("bench_alerts", "warn");
    const char *pg_url = getenv ("CRMQ_PG_URL");
    const char *sales_endpoint = getenv ("CRMQ_SALES_ENDPOINT");
    const char *pub_endpoint = getenv ("CRMQ_BUS_PUB_ENDPOINT");
    if (!pg_url || !sales_endpoint || !pub_endpoint) {
        fprintf (stderr, "bench_alerts: CRMQ_PG_URL, CRMQ_SALES_ENDPOINT and CRMQ_BUS_PUB_ENDPOINT"
                         " must be set (run it through tests/bench/alerts.sh)\n");
        return 2;
    }
    crmq_pg_t *pg = crmq_pg_new (pg_url, "bench_alerts");
    if (!pg)
        return 2;
    long n = options.events;
    printf ("run %s: %ld late payments, %d clients, pause %d ms\n", options.tag, n,
            options.clients, options.pause_ms);
    fflush (stdout);

    //  Set-up, not timed
    int exit_code = 1;
    bench_acks_t acks = { 0 };
    crmq_publisher_t *master = crmq_publisher_new (sales_endpoint, MASTER_BATCH,
                                                  CRMQ_RPC_CLIENT_MAX_REQUEST);
    crmq_publisher_t *setup = crmq_publisher_new (sales_endpoint, SETUP_BATCH,
                                                 CRMQ_RPC_CLIENT_MAX_REQUEST);
    crmq_rpc_client_t *sales = crmq_rpc_client_new (sales_endpoint, 30000, 0);
    int64_t *t_send = (int64_t *) zmalloc ((size_t) (n + 1) * sizeof (int64_t));
    int64_t *t_reply = (int64_t *) zmalloc ((size_t) (n + 1) * sizeof (int64_t));
    int64_t *wall_reply = (int64_t *) zmalloc ((size_t) (n + 1) * sizeof (int64_t));
    bool *accepted = (bool *) zmalloc ((size_t) (n + 1) * sizeof (bool));
    int64_t *values = (int64_t *) zmalloc ((size_t) (n + 1) * sizeof (int64_t));
    s_subscriber_t subscriber = { .options = &options, .endpoint = pub_endpoint };
    subscriber.t_alert = (int64_t *) zmalloc ((size_t) (n + 1) * sizeof (int64_t));
    subscriber.raised_us = (int64_t *) zmalloc ((size_t) (n + 1) * sizeof (int64_t));
    pthread_t thread;
    bool subscribed = false;
    if (!master || !setup || !sales)
        goto done;
    crmq_publisher_set_timeout (master, 120000, 10);
    crmq_publisher_set_ack_fn (master, bench_on_ack, &acks);
    crmq_publisher_set_timeout (setup, 120000, 3);
    crmq_publisher_set_ack_fn (setup, bench_on_ack, &acks);
    int64_t started = s_mono_us ();
    int64_t now_us = crmq_time_now_us ();
    if (s_publish_master (master, &options) != 0
    ||  s_publish_orders (setup, &options, now_us) != 0
    ||  s_publish_invoices (setup, &options, now_us) != 0)
        goto done;
    printf ("set-up: %ld events (master data, %ld orders, %ld invoices due yesterday) in %.2f s,"
            " %ld rejected%s%s\n", acks.events, n, n, (double) (s_mono_us () - started) / 1e6,
            acks.rejected, acks.rejected? "; first: ": "", acks.first_rejection);
    fflush (stdout);
    if (acks.rejected)
        goto done;
    double waited = s_wait_caught_up (pg);
    if (waited < 0)
        goto done;
    printf ("crmq-scheduler caught up on the set-up %.2f s after its last acknowledgement\n",
            waited);
    fflush (stdout);

    //  Measurement
    pthread_create (&thread, NULL, s_subscriber, &subscriber);
    subscribed = true;
    while (!atomic_load (&subscriber.ready))
        zclock_sleep (10);
    zclock_sleep (1000);                //  the subscription reaches crmq-bus
    long sent = 0, failed = 0;
    started = s_mono_us ();
    for (long i = 1; i <= n; i++) {
        t_send [i] = s_mono_us ();
        int rc = s_send_payment (sales, &options, i);
        t_reply [i] = s_mono_us ();
        wall_reply [i] = crmq_time_now_us ();
        sent++;
        if (rc == 0)
            accepted [i] = true;
        else
        if (++failed >= 10) {
            fprintf (stderr, "bench_alerts: 10 payments not accepted, stopping\n");
            break;
        }
        if (options.pause_ms)
            zclock_sleep (options.pause_ms);
    }
    double sending = (double) (s_mono_us () - started) / 1e6;
    long expected = sent - failed;
    //  the last alerts: until all came or QUIET_MS without a new one
    long seen = -1;
    int64_t quiet_since = s_mono_us ();
    while (atomic_load (&subscriber.received) < expected
       &&  s_mono_us () - quiet_since < (int64_t) QUIET_MS * 1000) {
        long now_seen = atomic_load (&subscriber.received);
        if (now_seen != seen) {
            seen = now_seen;
            quiet_since = s_mono_us ();
        }
        zclock_sleep (20);
    }
    zclock_sleep (200);                 //  a duplicate right behind
    atomic_store (&subscriber.stop, true);
    pthread_join (thread, NULL);
    subscribed = false;

    long received = atomic_load (&subscriber.received);
    printf ("sent %ld payments one per sales.Ingest in %.2f s (%.0f requests/s), %ld accepted\n",
            sent, sending, sent / sending, expected);
    printf ("alerts received: %ld of %ld, %ld duplicates, %ld of other runs, %ld unreadable\n",
            received, expected, subscriber.duplicates, subscriber.foreign, subscriber.unreadable);
    long missing = s_report_missing (pg, &options, subscriber.t_alert, accepted);
    size_t count = 0;
    for (long i = 1; i <= n; i++)
        if (subscriber.t_alert [i] && accepted [i])
            values [count++] = t_reply [i] - t_send [i];
    s_print_stats ("sales.Ingest round trip (reply-send)", values, count);
    count = 0;
    for (long i = 1; i <= n; i++)
        if (subscriber.t_alert [i] && accepted [i])
            values [count++] = subscriber.raised_us [i] - wall_reply [i];
    s_print_stats ("raised - reply (wall clocks)", values, count);
    count = 0;
    for (long i = 1; i <= n; i++)
        if (subscriber.t_alert [i] && accepted [i])
            values [count++] = subscriber.t_alert [i] - t_send [i];
    s_print_stats ("alert - send (upper bound)", values, count);
    count = 0;
    for (long i = 1; i <= n; i++)
        if (subscriber.t_alert [i] && accepted [i])
            values [count++] = subscriber.t_alert [i] - t_reply [i];
    s_stats_t alert = s_stats (values, count);
    s_print_stats ("alert latency (alert - reply)", values, count);
    fflush (stdout);

    //  Baseline
    int64_t *rtt = (int64_t *) zmalloc ((size_t) n * sizeof (int64_t));
    int ping_rc = s_ping (rtt, n);
    s_stats_t ping = { 0 };
    if (ping_rc == 0) {
        ping = s_stats (rtt, (size_t) n);
        s_print_stats ("DEALER/ROUTER ping (tcp loopback)", rtt, (size_t) n);
    }
    else
        printf ("DEALER/ROUTER ping failed\n");
    free (rtt);
    printf ("alert latency p50 %.2f ms p99 %.2f ms (goal p99 < 50 ms: %s), %ld of %ld alerts"
            " | DEALER/ROUTER ping p50 %.3f ms p99 %.3f ms\n", alert.p50, alert.p99,
            count && alert.p99 < 50? "met": "NOT met", received, expected, ping.p50, ping.p99);
    exit_code = failed == 0 && missing == 0 && subscriber.duplicates == 0
             && received == expected && ping_rc == 0? 0: 1;
done:
    if (subscribed) {
        atomic_store (&subscriber.stop, true);
        pthread_join (thread, NULL);
    }
    free (subscriber.t_alert);
    free (subscriber.raised_us);
    free (t_send);
    free (t_reply);
    free (wall_reply);
    free (accepted);
    free (values);
    crmq_rpc_client_destroy (&sales);
    crmq_publisher_destroy (&master);
    crmq_publisher_destroy (&setup);
    crmq_pg_destroy (&pg);
    return exit_code;
}

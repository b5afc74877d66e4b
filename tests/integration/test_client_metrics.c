/*  test_client_metrics - ERP events through sales.Ingest end up, through
    the event log (crmq-sales -> bus.outbox -> crmq-bus -> the durable
    consumer analytics.client_metrics of crmq-analytics), in exactly the
    per-client metrics analytics.ClientMetrics reports: orders, a change, a
    cancellation, a return, late and on-time shipments and payments, for
    three clients.  Every metric is compared with the same figure computed
    by SQL over crmq-sales' own tables and with the number worked out by
    hand below.  crmq-analytics is restarted between two rounds, killed
    while the second round is being written, and restarted again after
    resends: the metrics count each event once.                             */
#include "test_support.h"

#define DAY_US  86400000000LL
//  2024-03-01 00:00 UTC; day N below is T0 + N days
#define T0      1709251200000000LL
#define DAY(n)  (T0 + (n) * DAY_US)

static char s_prefix [32];

static const char *
s_id (const char *name)
{
    return test_ext_id (s_prefix, name);
}

//  The event id of document `name`: "<prefix><name>:<kind>".
static const char *
s_event_id (const char *name, const char *kind)
{
    static char buffers [4][128];
    static int next = 0;
    char *buffer = buffers [next++ % 4];
    snprintf (buffer, 128, "%s%s:%s", s_prefix, name, kind);
    return buffer;
}

static Crmq__ErpEvent *
s_order (const char *name, const char *client, int day, int required_day, int64_t quantity,
         int64_t price_cents)
{
    char order [64], client_id [64], product [64];
    snprintf (order, sizeof order, "%s", s_id (name));
    snprintf (client_id, sizeof client_id, "%s", s_id (client));
    snprintf (product, sizeof product, "%s", s_id ("P"));
    Crmq__ErpEvent *event = test_order_event (s_event_id (name, "placed"), order, client_id,
                                              product, quantity, price_cents);
    event->occurred_at_us = DAY (day);
    event->order_placed->placed_at_us = DAY (day);
    event->order_placed->required_at_us = required_day? DAY (required_day): 0;
    return event;
}

static Crmq__ErpEvent *
s_change (const char *order, int day, int64_t quantity, int64_t price_cents)
{
    char order_id [64];
    snprintf (order_id, sizeof order_id, "%s", s_id (order));
    return test_change_event (s_event_id (order, "changed"), DAY (day), order_id, 0, s_id ("P"),
                              quantity, price_cents);
}

static Crmq__ErpEvent *
s_cancel (const char *order, int day)
{
    return test_cancel_event (s_event_id (order, "cancelled"), DAY (day), s_id (order),
                              "no longer needed");
}

static Crmq__ErpEvent *
s_shipment (const char *name, const char *order, int day)
{
    char shipment [64];
    snprintf (shipment, sizeof shipment, "%s", s_id (name));
    return test_shipment_event (s_event_id (name, "shipped"), shipment, s_id (order), DAY (day));
}

static Crmq__ErpEvent *
s_invoice (const char *name, const char *client, const char *order, int64_t cents, int day,
           int due_day)
{
    char invoice [64], client_id [64], order_id [64];
    snprintf (invoice, sizeof invoice, "%s", s_id (name));
    snprintf (client_id, sizeof client_id, "%s", s_id (client));
    snprintf (order_id, sizeof order_id, "%s", s_id (order));
    return test_invoice_event (s_event_id (name, "issued"), invoice, client_id, order_id, cents,
                               DAY (day), DAY (due_day));
}

static Crmq__ErpEvent *
s_payment (const char *name, const char *client, const char *invoice, int64_t cents, int day)
{
    char payment [64], client_id [64], invoice_id [64];
    snprintf (payment, sizeof payment, "%s", s_id (name));
    snprintf (client_id, sizeof client_id, "%s", s_id (client));
    snprintf (invoice_id, sizeof invoice_id, "%s", s_id (invoice));
    return test_payment_event (s_event_id (name, "paid"), payment, client_id, invoice_id, cents,
                               DAY (day));
}

static Crmq__ErpEvent *
s_return (const char *name, const char *client, const char *order, int64_t quantity,
          int64_t price_cents, int day)
{
    char ret [64], client_id [64], order_id [64], product [64];
    snprintf (ret, sizeof ret, "%s", s_id (name));
    snprintf (client_id, sizeof client_id, "%s", s_id (client));
    snprintf (order_id, sizeof order_id, "%s", s_id (order));
    snprintf (product, sizeof product, "%s", s_id ("P"));
    return test_return_event (s_event_id (name, "returned"), ret, client_id, order_id, product,
                              quantity, price_cents, DAY (day));
}

static const char *SQL_LAST_SALES_SEQ =
    "SELECT coalesce (max (seq), 0) FROM bus.outbox WHERE topic LIKE 'sales.%'";

static const char *SQL_POSITION =
    "SELECT coalesce ((SELECT position FROM bus.consumers WHERE name = 'analytics.client_metrics'),"
    "                 0)";

//  Waits up to `seconds` for the consumer to reach the last sales event.
//  Returns that event's seq, or -1 after a FAIL.
static long long
s_wait_consumer (crmq_pg_t *pg, int seconds)
{
    long long last = test_count (pg, SQL_LAST_SALES_SEQ), position = 0;
    for (int i = 0; i < seconds * 10 && position < last; i++) {
        position = test_count (pg, SQL_POSITION);
        if (position < last)
            zclock_sleep (100);
    }
    CHECK (position >= last, "consumer at %lld, the last sales event is %lld", position, last);
    return position >= last? last: -1;
}

//  The crmq id of client `name` (this run's), as crmq-sales keys it.
static int64_t
s_client_id (crmq_pg_t *pg, const char *name)
{
    return test_number (pg, "SELECT id FROM sales.clients WHERE external_id = $1", s_id (name),
                        NULL);
}

//  One client's metrics as three sources give them: fields in the order of
//  S_METRICS, as text (money with cents, instants in microseconds).
typedef struct {
    const char *orders, *first_order_us, *last_order_us, *orders_amount, *returns,
               *returns_amount, *revenue, *shipments, *late_shipments, *payments,
               *late_payments;
} s_expected_t;

#define S_METRICS 11
static const char *s_metric_names [S_METRICS] = {
    "orders", "first_order_at", "last_order_at", "orders_amount", "returns", "returns_amount",
    "revenue", "shipments", "late_shipments", "payments", "late_payments"
};

//  The metrics of client $1 computed afresh from crmq-sales' tables: orders
//  placed and not cancelled with their line amounts, returns with theirs,
//  shipments and payments whose events were written (their order or
//  invoice known) and how many of them were late.
static const char *SQL_FROM_SALES =
    "WITH o AS (SELECT o.id, o.placed_at,"
    "                  (SELECT sum (l.amount) FROM sales.order_lines l WHERE l.order_id = o.id)"
    "                      AS amount"
    "             FROM sales.orders o WHERE o.client_id = $1::bigint AND o.status = 'placed'),"
    "     r AS (SELECT r.id,"
    "                  (SELECT sum (l.amount) FROM sales.return_lines l WHERE l.return_id = r.id)"
    "                      AS amount"
    "             FROM sales.returns r WHERE r.client_id = $1::bigint),"
    "     totals AS (SELECT coalesce ((SELECT sum (amount) FROM o), 0)::numeric(28, 2) AS ordered,"
    "                       coalesce ((SELECT sum (amount) FROM r), 0)::numeric(28, 2) AS returned)"
    " SELECT (SELECT count (*) FROM o),"
    "        coalesce ((extract (epoch FROM (SELECT min (placed_at) FROM o)) * 1000000)::bigint, 0),"
    "        coalesce ((extract (epoch FROM (SELECT max (placed_at) FROM o)) * 1000000)::bigint, 0),"
    "        t.ordered, (SELECT count (*) FROM r), t.returned, t.ordered - t.returned,"
    "        (SELECT count (*) FROM sales.shipments s"
    "          WHERE s.client_id = $1::bigint AND s.order_id IS NOT NULL),"
    "        (SELECT count (*) FROM sales.shipments s"
    "          WHERE s.client_id = $1::bigint AND s.order_id IS NOT NULL AND s.late),"
    "        (SELECT count (*) FROM sales.payments p"
    "          WHERE p.client_id = $1::bigint AND p.invoice_id IS NOT NULL),"
    "        (SELECT count (*) FROM sales.payments p"
    "          WHERE p.client_id = $1::bigint AND p.invoice_id IS NOT NULL AND p.late)"
    "   FROM totals t";

//  analytics.ClientMetrics for the clients `ids`; NULL after a FAIL.
static Crmq__ClientMetricsReply *
s_metrics (crmq_rpc_client_t *analytics, int64_t *ids, size_t count, int limit)
{
    Crmq__ClientMetricsRequest request = CRMQ__CLIENT_METRICS_REQUEST__INIT;
    request.client_ids = ids;
    request.n_client_ids = count;
    request.limit = limit;
    ProtobufCMessage *answer = NULL;
    int code = test_call (analytics, "analytics.ClientMetrics", &request.base,
                          &crmq__client_metrics_reply__descriptor, &answer);
    CHECK (code == CRMQ_OK, "analytics.ClientMetrics: code %d %s", code,
           crmq_rpc_client_message (analytics));
    return (Crmq__ClientMetricsReply *) answer;
}

static void
s_money_text (const Crmq__Money *money, char *buf, size_t size)
{
    int64_t units = money? money->units: 0;
    int32_t nanos = money? money->nanos: 0;
    if (crmq_decimal_format (units, nanos, buf, size) < 0)
        snprintf (buf, size, "?");
}

//  A money text with exactly two decimals ("1279.5" -> "1279.50").
static void
s_cents (const char *text, char *buf, size_t size)
{
    int64_t units = 0;
    int32_t nanos = 0;
    crmq_decimal_parse (text, &units, &nanos);
    int64_t cents = units * 100 + nanos / 10000000;
    snprintf (buf, size, "%s%" PRId64 ".%02" PRId64, cents < 0? "-": "",
              (cents < 0? -cents: cents) / 100, (cents < 0? -cents: cents) % 100);
}

//  CHECKs client `name`'s metrics from the service (`row`, NULL when it has
//  none) against SQL over crmq-sales' tables and against `expected`.
static void
s_check_client (crmq_pg_t *pg, const char *name, int64_t client_id,
                const Crmq__ClientMetrics *row, const s_expected_t *expected, const char *when)
{
    CHECK (row != NULL, "%s: client %s has metrics", when, name);
    if (!row)
        return;
    char service [S_METRICS][48];
    snprintf (service [0], 48, "%" PRId64, row->orders);
    snprintf (service [1], 48, "%" PRId64, row->first_order_at_us);
    snprintf (service [2], 48, "%" PRId64, row->last_order_at_us);
    s_money_text (row->orders_amount, service [3], 48);
    snprintf (service [4], 48, "%" PRId64, row->returns);
    s_money_text (row->returns_amount, service [5], 48);
    s_money_text (row->revenue, service [6], 48);
    snprintf (service [7], 48, "%" PRId64, row->shipments);
    snprintf (service [8], 48, "%" PRId64, row->late_shipments);
    snprintf (service [9], 48, "%" PRId64, row->payments);
    snprintf (service [10], 48, "%" PRId64, row->late_payments);
    const char *by_hand [S_METRICS] = {
        expected->orders, expected->first_order_us, expected->last_order_us,
        expected->orders_amount, expected->returns, expected->returns_amount, expected->revenue,
        expected->shipments, expected->late_shipments, expected->payments,
        expected->late_payments
    };
    printf ("  %s %s: orders %s, first %s, last %s, totals %s, returns %s (%s), revenue %s,"
            " shipments %s (late %s), payments %s (late %s)\n", when, name, service [0],
            service [1], service [2], service [3], service [4], service [5], service [6],
            service [7], service [8], service [9], service [10]);
    bool money [S_METRICS] = { false, false, false, true, false, true, true };
    PGresult *result = test_query (pg, SQL_FROM_SALES, test_id_text (client_id), NULL);
    for (int i = 0; i < S_METRICS; i++) {
        char from_service [48], from_sales [48];
        const char *sales = result && PQntuples (result)? PQgetvalue (result, 0, i): "?";
        if (money [i]) {
            s_cents (service [i], from_service, sizeof from_service);
            s_cents (sales, from_sales, sizeof from_sales);
        }
        else {
            snprintf (from_service, sizeof from_service, "%.40s", service [i]);
            snprintf (from_sales, sizeof from_sales, "%.40s", sales);
        }
        CHECK (streq (from_service, from_sales) && streq (from_service, by_hand [i]),
               "%s: client %s %s: service %s, sales' tables %s, by hand %s", when, name,
               s_metric_names [i], from_service, from_sales, by_hand [i]);
    }
    CHECK (streq (row->client_external_id, s_id (name)), "%s: client %s external id %s", when,
           name, row->client_external_id);
    if (result)
        PQclear (result);
}

//  The row of `client_id` in the reply, or NULL.
static const Crmq__ClientMetrics *
s_row (const Crmq__ClientMetricsReply *reply, int64_t client_id)
{
    for (size_t i = 0; reply && i < reply->n_rows; i++)
        if (reply->rows [i]->client_id == client_id)
            return reply->rows [i];
    return NULL;
}

//  The three clients' rows of analytics.client_metrics as text.
static char *
s_rows_text (crmq_pg_t *pg, int64_t *ids)
{
    char text [4096];
    test_value (pg, text, sizeof text,
                "SELECT string_agg (m::text, '|' ORDER BY client_id) FROM analytics.client_metrics m"
                " WHERE client_id IN ($1::bigint, $2::bigint, $3::bigint)",
                test_id_text (ids [0]), test_id_text (ids [1]), test_id_text (ids [2]), NULL);
    return strdup (text);
}

//  Restarts crmq-analytics through the stack script (SIGTERM, start).
static void
s_restart (void)
{
    char command [1200];
    snprintf (command, sizeof command, "%s restart-service '%s' analytics >/dev/null",
              test_env ("CRMQ_STACK_SCRIPT"), test_env ("CRMQ_STACK_DIR"));
    CHECK (system (command) == 0, "restart-service analytics");
}

//  `crmq report client-metrics --client ID --format csv`'s data line.
static void
s_cli_row (int64_t client_id, char *line, size_t size)
{
    char command [256];
    snprintf (command, sizeof command,
              "CRMQ_TIME_ZONE=UTC crmq report client-metrics --client %" PRId64 " --format csv",
              client_id);
    *line = 0;
    FILE *pipe = popen (command, "r");
    if (!pipe)
        return;
    char header [1024];
    if (fgets (header, sizeof header, pipe) && fgets (line, (int) size, pipe))
        line [strcspn (line, "\r\n")] = 0;
    pclose (pipe);
}

int
main (void)
{
    crmq_log_init ("test_client_metrics", "error");
    crmq_pg_t *pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_client_metrics");
    crmq_rpc_client_t *sales = crmq_rpc_client_new (test_env ("CRMQ_SALES_ENDPOINT"), 20000, 0);
    crmq_rpc_client_t *analytics = crmq_rpc_client_new (test_env ("CRMQ_ANALYTICS_ENDPOINT"),
                                                        20000, 3);
    int wait_s = getenv ("CRMQ_SERVICE_WRAPPER")? 180: 30;
    snprintf (s_prefix, sizeof s_prefix, "CM%d-%" PRId64 "-", (int) getpid (),
              crmq_time_now_us () % 1000000);

    printf ("round 1: clients A, B, C; five orders, a late shipment, a late payment\n");
    Crmq__ErpEvent *master [4] = {
        test_client_event (s_event_id ("A", "client"), s_id ("A"), "Alpha"),
        test_client_event (s_event_id ("B", "client"), s_id ("B"), "Beta"),
        test_client_event (s_event_id ("C", "client"), s_id ("C"), "Gamma"),
        test_product_event (s_event_id ("P", "product"), s_id ("P"), "Product") };
    test_send (sales, "master data", master, 4, 0);
    Crmq__ErpEvent *round1 [8] = {
        s_order ("OA1", "A", 1, 5, 2, 50000),           //  1000.00, required day 5
        s_order ("OA2", "A", 10, 12, 3, 10000),         //   300.00, required day 12
        s_order ("OA3", "A", 20, 0, 1, 25000),          //   250.00
        s_order ("OB1", "B", 3, 0, 5, 2000),            //   100.00
        s_order ("OC1", "C", 2, 0, 1, 7777),            //    77.77
        s_shipment ("SA1", "OA1", 7),                   //  2 days after day 5: late
        s_invoice ("IA1", "A", "OA1", 100000, 1, 15),
        s_payment ("PA1", "A", "IA1", 100000, 20) };    //  5 days after day 15: late
    test_send (sales, "round 1", round1, 8, 0);
    int64_t ids [3] = { s_client_id (pg, "A"), s_client_id (pg, "B"), s_client_id (pg, "C") };
    CHECK (ids [0] > 0 && ids [1] > 0 && ids [2] > 0, "the clients' ids");

    char day1 [24], day2 [24], day3 [24], day10 [24], day20 [24], day40 [24];
    snprintf (day1, sizeof day1, "%lld", DAY (1));
    snprintf (day2, sizeof day2, "%lld", DAY (2));
    snprintf (day3, sizeof day3, "%lld", DAY (3));
    snprintf (day10, sizeof day10, "%lld", DAY (10));
    snprintf (day20, sizeof day20, "%lld", DAY (20));
    snprintf (day40, sizeof day40, "%lld", DAY (40));

    long long last = s_wait_consumer (pg, wait_s);
    Crmq__ClientMetricsReply *reply = s_metrics (analytics, ids, 3, 0);
    CHECK (reply && reply->as_of_seq >= last, "as_of_seq %lld covers the last sales event %lld",
           reply? (long long) reply->as_of_seq: -1LL, last);
    CHECK (reply && reply->n_rows == 3, "three rows, not %zu", reply? reply->n_rows: 0);
    s_expected_t a1 = { "3", day1, day20, "1550.00", "0", "0.00", "1550.00", "1", "1", "1", "1" };
    s_expected_t b1 = { "1", day3, day3, "100.00", "0", "0.00", "100.00", "0", "0", "0", "0" };
    s_expected_t c1 = { "1", day2, day2, "77.77", "0", "0.00", "77.77", "0", "0", "0", "0" };
    s_check_client (pg, "A", ids [0], s_row (reply, ids [0]), &a1, "round 1");
    s_check_client (pg, "B", ids [1], s_row (reply, ids [1]), &b1, "round 1");
    s_check_client (pg, "C", ids [2], s_row (reply, ids [2]), &c1, "round 1");
    if (reply)
        crmq__client_metrics_reply__free_unpacked (reply, NULL);

    printf ("crmq-analytics restarted between the rounds\n");
    s_restart ();

    printf ("round 2: a change, three cancellations, a new order; crmq-analytics killed\n");
    Crmq__ErpEvent *round2a [5] = {
        s_change ("OA2", 11, 4, 10000),                 //  OA2: 300.00 -> 400.00
        s_cancel ("OA3", 21),                           //  A's last order goes
        s_cancel ("OB1", 4),
        s_order ("OB2", "B", 40, 0, 1, 99999),          //   999.99
        s_cancel ("OC1", 3) };                          //  C has no order left
    test_send (sales, "round 2, changes", round2a, 5, 0);
    test_kill_and_restart ("analytics", 0);

    printf ("... and while it starts: an on-time shipment and payment, a return, resends\n");
    Crmq__ErpEvent *round2b [7] = {
        s_shipment ("SA2", "OA2", 11),                  //  before day 12: on time
        s_invoice ("IA2", "A", "OA2", 40000, 10, 30),
        s_payment ("PA2", "A", "IA2", 40000, 25),       //  before day 30: on time
        s_return ("RA1", "A", "OA1", 1, 12050, 15),     //  120.50 back
        s_order ("OA1", "A", 1, 5, 2, 50000),           //  resends of round 1
        s_shipment ("SA1", "OA1", 7),
        s_payment ("PA1", "A", "IA1", 100000, 20) };
    test_send (sales, "round 2, documents and resends", round2b, 7, 3);

    last = s_wait_consumer (pg, wait_s);
    reply = s_metrics (analytics, ids, 3, 0);
    CHECK (reply && reply->as_of_seq >= last, "as_of_seq %lld covers the last sales event %lld",
           reply? (long long) reply->as_of_seq: -1LL, last);
    CHECK (reply && reply->n_rows == 3, "three rows, not %zu", reply? reply->n_rows: 0);
    //  A: OA1 1000.00 + OA2 400.00, less RA1 120.50; B: OB2 alone; C: nothing
    s_expected_t a2 = { "2", day1, day10, "1400.00", "1", "120.50", "1279.50", "2", "1", "2", "1" };
    s_expected_t b2 = { "1", day40, day40, "999.99", "0", "0.00", "999.99", "0", "0", "0", "0" };
    s_expected_t c2 = { "0", "0", "0", "0.00", "0", "0.00", "0.00", "0", "0", "0", "0" };
    s_check_client (pg, "A", ids [0], s_row (reply, ids [0]), &a2, "round 2");
    s_check_client (pg, "B", ids [1], s_row (reply, ids [1]), &b2, "round 2");
    s_check_client (pg, "C", ids [2], s_row (reply, ids [2]), &c2, "round 2");
    CHECK (reply && reply->n_rows == 3 && reply->rows [0]->client_id == ids [0]
           && reply->rows [2]->client_id == ids [2], "rows in the order asked");
    if (reply)
        crmq__client_metrics_reply__free_unpacked (reply, NULL);

    printf ("the top clients by revenue\n");
    reply = s_metrics (analytics, NULL, 0, 10000);
    bool sorted = reply != NULL;
    for (size_t i = 1; reply && i < reply->n_rows; i++) {
        int64_t a_units = reply->rows [i - 1]->revenue->units, b_units = reply->rows [i]->revenue->units;
        int32_t a_nanos = reply->rows [i - 1]->revenue->nanos, b_nanos = reply->rows [i]->revenue->nanos;
        if (a_units < b_units || (a_units == b_units && a_nanos < b_nanos)
        ||  (a_units == b_units && a_nanos == b_nanos
             && reply->rows [i - 1]->client_id > reply->rows [i]->client_id))
            sorted = false;
    }
    CHECK (sorted, "by revenue descending, ties by client id");
    CHECK (s_row (reply, ids [0]) && s_row (reply, ids [1]) && s_row (reply, ids [2]),
           "A, B and C among them");
    long long rows = test_count (pg, "SELECT count (*) FROM analytics.client_metrics");
    CHECK (reply && (long long) reply->n_rows == (rows < 10000? rows: 10000),
           "%zu rows of %lld", reply? reply->n_rows: 0, rows);
    if (reply)
        crmq__client_metrics_reply__free_unpacked (reply, NULL);
    reply = s_metrics (analytics, NULL, 0, 1);
    CHECK (reply && reply->n_rows == (rows? 1u: 0u), "--limit 1: one row");
    if (reply)
        crmq__client_metrics_reply__free_unpacked (reply, NULL);

    printf ("bad requests\n");
    Crmq__ClientMetricsRequest bad = CRMQ__CLIENT_METRICS_REQUEST__INIT;
    bad.limit = -1;
    int code = test_call (analytics, "analytics.ClientMetrics", &bad.base, NULL, NULL);
    CHECK (code == CRMQ_INVALID_ARGUMENT, "limit -1: code %d", code);
    int64_t zero [1] = { 0 };
    bad.limit = 0;
    bad.client_ids = zero;
    bad.n_client_ids = 1;
    code = test_call (analytics, "analytics.ClientMetrics", &bad.base, NULL, NULL);
    CHECK (code == CRMQ_INVALID_ARGUMENT, "client id 0: code %d", code);

    printf ("the CLI's row for A\n");
    char line [1024], expected [512];
    s_cli_row (ids [0], line, sizeof line);
    snprintf (expected, sizeof expected, "%" PRId64 ",%s,2,2024-03-02 00:00:00,"
              "2024-03-11 00:00:00,1400.00,1,120.50,1279.50,2,1,2,1,", ids [0], s_id ("A"));
    CHECK (strncmp (line, expected, strlen (expected)) == 0, "CSV row \"%s\", not \"%s...\"",
           line, expected);

    printf ("everything resent, crmq-analytics restarted: nothing changes\n");
    char *before = s_rows_text (pg, ids);
    long long last_before = test_count (pg, SQL_LAST_SALES_SEQ);
    Crmq__ErpEvent *resend [6] = {
        s_change ("OA2", 11, 4, 10000),
        s_cancel ("OA3", 21),
        s_cancel ("OC1", 3),
        s_order ("OB2", "B", 40, 0, 1, 99999),
        s_return ("RA1", "A", "OA1", 1, 12050, 15),
        s_payment ("PA2", "A", "IA2", 40000, 25) };
    test_send (sales, "resends", resend, 6, 6);
    s_restart ();
    s_wait_consumer (pg, wait_s);
    zclock_sleep (getenv ("CRMQ_SERVICE_WRAPPER")? 6000: 1500);
    char *after = s_rows_text (pg, ids);
    CHECK (test_count (pg, SQL_LAST_SALES_SEQ) == last_before, "resends wrote no event");
    CHECK (*before && streq (before, after), "rows unchanged:\n    %s\n    %s", before, after);
    free (before);
    free (after);

    crmq_rpc_client_destroy (&analytics);
    crmq_rpc_client_destroy (&sales);
    crmq_pg_destroy (&pg);
    printf ("%s\n", s_failures? "FAILED": "PASSED");
    return s_failures? 1: 0;
}

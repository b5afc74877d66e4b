/*  test_order_bulk - a batch's orders written in bulk come out exactly as
    the same events sent one per batch (the per-event path): the same
    results (codes, fields, messages), the same orders and lines, the same
    documents resolved, and rollups equal to those rebuilt from the
    documents.  And when a concurrent writer records one of the batch's
    event ids while the bulk COPY runs, the batch falls back to one event at
    a time and every event is stored once.                                  */
#include "test_support.h"
#include <openssl/sha.h>

#define DAY_US   86400000000LL
#define JULY_1   836179200000000LL      //  1996-07-01 00:00 UTC
#define EVENTS   11

//  A line: product, quantity (units, nanos), price in cents, discount in
//  nanos, cost in cents (-1 = none).
typedef struct {
    const char *product;
    int64_t units;
    int32_t nanos;
    int64_t price_cents;
    int32_t discount_nanos;
    int64_t cost_cents;
} s_line_t;

//  An order of `count` lines by `client` (and `manager`, "" = none).
static Crmq__ErpEvent *
s_order (const char *event_id, const char *order_id, const char *client, const char *manager,
         const s_line_t *lines, size_t count)
{
    Crmq__ErpEvent *event = test_order_event (event_id, order_id, client, lines [0].product, 1, 0);
    Crmq__OrderPlaced *order = event->order_placed;
    order->manager_external_id = strdup (manager);      //  was the shared empty default
    order->required_at_us = order->placed_at_us + 3 * DAY_US;
    for (size_t j = 0; j < order->n_lines; j++)
        crmq__order_line__free_unpacked (order->lines [j], NULL);
    free (order->lines);
    order->lines = (Crmq__OrderLine **) zmalloc (count * sizeof (Crmq__OrderLine *));
    order->n_lines = count;
    for (size_t j = 0; j < count; j++) {
        Crmq__OrderLine *line = (Crmq__OrderLine *) zmalloc (sizeof (Crmq__OrderLine));
        crmq__order_line__init (line);
        line->product_external_id = strdup (lines [j].product);
        line->quantity = test_decimal (lines [j].units, lines [j].nanos);
        line->unit_price = test_money (lines [j].price_cents, "");
        if (lines [j].discount_nanos)
            line->discount = test_decimal (0, lines [j].discount_nanos);
        if (lines [j].cost_cents >= 0)
            line->cost = test_money (lines [j].cost_cents, "");
        order->lines [j] = line;
    }
    return event;
}

//  The scenario's events with every event id and order number under
//  prefix `p`: orders the bulk writer stores, and each reason it rejects.
static void
s_scenario (const char *p, Crmq__ErpEvent **events)
{
    char id [64], order [64];
    static const s_line_t mixed [3] = {
        { "BK-P1", 2, 0, 1234, 0, -1 },
        { "BK-P2", 12, 500000000, 1999, 150000000, 10000 },
        { "BK-P3", 0, 1000000, 99999, 333333333, -1 } };
    static const s_line_t one [1] = { { "BK-P1", 3, 0, 335, 0, -1 } };
    static const s_line_t unknown [2] = { { "BK-P1", 1, 0, 100, 0, -1 },
                                          { "BK-NO-SUCH", 1, 0, 100, 0, -1 } };
    s_line_t many [20];
    for (int j = 0; j < 20; j++)
        many [j] = (s_line_t) { j % 2? "BK-P2": "BK-P3", 1 + j, 0, 100 + 37 * j, 50000000 * (j % 3),
                                j % 4? -1: 500 };
    snprintf (id, sizeof id, "%s:0", p);
    snprintf (order, sizeof order, "%s-O1", p);
    events [0] = s_order (id, order, "BK-C1", "BK-M1", mixed, 3);
    snprintf (id, sizeof id, "%s:1", p);
    snprintf (order, sizeof order, "%s-O2", p);
    events [1] = s_order (id, order, "BK-C2", "", one, 1);
    events [1]->order_placed->currency = strdup ("EUR");
    events [1]->order_placed->currency_rate = test_decimal (1, 100000000);
    free (events [1]->order_placed->lines [0]->unit_price->currency);
    events [1]->order_placed->lines [0]->unit_price->currency = strdup ("EUR");
    snprintf (id, sizeof id, "%s:2", p);
    snprintf (order, sizeof order, "%s-O3", p);
    events [2] = s_order (id, order, "BK-NO-SUCH-CLIENT", "", one, 1);
    snprintf (id, sizeof id, "%s:3", p);
    snprintf (order, sizeof order, "%s-O4", p);
    events [3] = s_order (id, order, "BK-C1", "BK-NO-SUCH-MANAGER", one, 1);
    snprintf (id, sizeof id, "%s:4", p);
    snprintf (order, sizeof order, "%s-O5", p);
    events [4] = s_order (id, order, "BK-C1", "", unknown, 2);
    snprintf (id, sizeof id, "%s:5", p);
    snprintf (order, sizeof order, "%s-O1", p);                //  placed by event 0
    events [5] = s_order (id, order, "BK-C2", "", one, 1);
    snprintf (id, sizeof id, "%s:6", p);
    snprintf (order, sizeof order, "%s-O6", p);
    events [6] = s_order (id, order, "BK-C3", "BK-M1", one, 1);
    snprintf (id, sizeof id, "%s:0", p);                       //  event 0 again
    snprintf (order, sizeof order, "%s-O1", p);
    events [7] = s_order (id, order, "BK-C1", "BK-M1", mixed, 3);
    snprintf (id, sizeof id, "%s:8", p);
    events [8] = s_order (id, "BK-OLD", "BK-C1", "", one, 1);  //  placed before the test
    snprintf (id, sizeof id, "%s:9", p);
    snprintf (order, sizeof order, "%s-O7", p);                //  its shipment and change wait
    events [9] = s_order (id, order, "BK-C3", "", one, 1);
    snprintf (id, sizeof id, "%s:10", p);
    snprintf (order, sizeof order, "%s-O8", p);
    events [10] = s_order (id, order, "BK-C2", "BK-M1", many, 20);
}

//  A shipment and a change of p-O7, sent before the order.
static void
s_waiting (crmq_publisher_t *publisher, const char *p)
{
    char id [64], order [64], shipment [64];
    snprintf (order, sizeof order, "%s-O7", p);
    snprintf (id, sizeof id, "%s:ship", p);
    snprintf (shipment, sizeof shipment, "%s-S7", p);
    Crmq__ErpEvent *ship = test_order_event (id, order, "BK-C3", "BK-P1", 1, 0);
    crmq__order_placed__free_unpacked (ship->order_placed, NULL);
    ship->body_case = CRMQ__ERP_EVENT__BODY_SHIPMENT;
    ship->shipment = (Crmq__ShipmentRegistered *) zmalloc (sizeof (Crmq__ShipmentRegistered));
    crmq__shipment_registered__init (ship->shipment);
    ship->shipment->external_id = strdup (shipment);
    ship->shipment->order_external_id = strdup (order);
    ship->shipment->shipped_at_us = ship->occurred_at_us + 5 * DAY_US;    //  late
    snprintf (id, sizeof id, "%s:change", p);
    static const s_line_t changed [2] = { { "BK-P2", 4, 0, 250, 0, -1 }, { "BK-P1", 1, 0, 99, 0, -1 } };
    Crmq__ErpEvent *change = s_order (id, order, "BK-C3", "", changed, 2);
    Crmq__OrderPlaced *placed = change->order_placed;
    Crmq__OrderChanged *body = (Crmq__OrderChanged *) zmalloc (sizeof (Crmq__OrderChanged));
    crmq__order_changed__init (body);
    body->external_id = strdup (order);
    body->required_at_us = placed->required_at_us;
    body->lines = placed->lines;
    body->n_lines = placed->n_lines;
    placed->lines = NULL;
    placed->n_lines = 0;
    crmq__order_placed__free_unpacked (placed, NULL);
    change->body_case = CRMQ__ERP_EVENT__BODY_ORDER_CHANGED;
    change->order_changed = body;
    change->occurred_at_us += DAY_US;
    assert (crmq_publisher_add (publisher, ship) == 0);
    assert (crmq_publisher_add (publisher, change) == 0);
    assert (crmq_publisher_barrier (publisher) == 0);
    test_event_destroy (&ship);
    test_event_destroy (&change);
}

//  The results of the events, in the order sent.
typedef struct {
    Crmq__EventResult *results [EVENTS];
    size_t count;
} s_results_t;

static void
s_on_ack (void *arg, uint64_t batch_id, const Crmq__IngestReply *reply)
{
    (void) batch_id;
    s_results_t *results = (s_results_t *) arg;
    for (size_t i = 0; i < reply->n_results && results->count < EVENTS; i++) {
        //  kept beyond the reply: packed and unpacked again
        size_t size = crmq__event_result__get_packed_size (reply->results [i]);
        uint8_t *packed = (uint8_t *) malloc (size + 1);
        crmq__event_result__pack (reply->results [i], packed);
        results->results [results->count++] = crmq__event_result__unpack (NULL, size, packed);
        free (packed);
    }
}

//  Sends the scenario under prefix p: one batch, or one batch per event.
static void
s_run (const char *endpoint, const char *p, bool one_batch, s_results_t *results)
{
    crmq_publisher_t *publisher = crmq_publisher_new (endpoint, one_batch? EVENTS: 1, 0);
    crmq_publisher_set_timeout (publisher, 30000, 0);
    crmq_publisher_set_window (publisher, 1);           //  one event after the other
    s_waiting (publisher, p);
    crmq_publisher_set_ack_fn (publisher, s_on_ack, results);
    Crmq__ErpEvent *events [EVENTS];
    s_scenario (p, events);
    for (int i = 0; i < EVENTS; i++) {
        assert (crmq_publisher_add (publisher, events [i]) == 0);
        test_event_destroy (&events [i]);
    }
    int rc = crmq_publisher_barrier (publisher);
    CHECK (rc == 0 && results->count == EVENTS, "%s: %s, %zu results", p,
           crmq_publisher_message (publisher), results->count);
    crmq_publisher_destroy (&publisher);
}

//  A one-by-one result's text as the bulk batch's would be: prefix "bb"
//  for "bs", and events[index] for events[0] (each was alone in its batch).
static char *
s_as_bulk (const char *text, size_t index)
{
    char *copy = strdup (text? text: "");
    for (char *at = copy; (at = strstr (at, "bs")); at += 2)
        at [1] = 'b';
    const char *at = strstr (copy, "events[0]");
    if (!at)
        return copy;
    char *result = (char *) zmalloc (strlen (copy) + 32);
    sprintf (result, "%.*sevents[%zu]%s", (int) (at - copy), copy, index, at + 9);
    free (copy);
    return result;
}

//  Rows of the orders (with their lines) and shipments of one prefix, keyed
//  without it, that are not among the other prefix's.
static long long
s_differences (crmq_pg_t *pg, const char *p, const char *q)
{
    char sql [3000];
    snprintf (sql, sizeof sql,
        "WITH rows (prefix, r) AS ("
        " SELECT split_part (o.external_id, '-', 1),"
        "        ROW (substr (o.external_id, 3), o.client_id, o.manager_id, o.placed_at,"
        "             o.required_at, o.currency, o.currency_rate, o.amount, o.status, o.changed_at,"
        "             l.line_no, l.client_id, l.product_id, l.quantity, l.unit_price, l.discount,"
        "             l.cost, l.product_group_id, l.amount)::text"
        "   FROM sales.orders o JOIN sales.order_lines l ON l.order_id = o.id"
        "  WHERE o.external_id LIKE 'b_-%%'"
        " UNION ALL"
        " SELECT split_part (s.external_id, '-', 1),"
        "        ROW (substr (s.external_id, 3), s.client_id, s.late, s.order_id IS NULL)::text"
        "   FROM sales.shipments s WHERE s.external_id LIKE 'b_-%%')"
        " SELECT count (*) FROM (SELECT r FROM rows WHERE prefix = '%s'"
        "                        EXCEPT ALL SELECT r FROM rows WHERE prefix = '%s') d", p, q);
    return test_count (pg, sql);
}

//  A batch whose COPY meets an event id another transaction recorded while
//  it ran: one event at a time instead, each stored once.
static void
s_fallback (crmq_pg_t *pg, const char *endpoint)
{
    crmq_pg_t *other = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_order_bulk_other");
    static const s_line_t one [1] = { { "BK-P1", 1, 0, 500, 0, -1 } };
    Crmq__ErpEvent *events [5];
    char id [32], order [32];
    for (int i = 0; i < 5; i++) {
        snprintf (id, sizeof id, "fb:%d", i);
        snprintf (order, sizeof order, "fb-O%d", i);
        events [i] = s_order (id, order, "BK-C1", "", one, 1);
    }
    //  event fb:2 recorded, uncommitted, with its true body hash
    size_t size = crmq__erp_event__get_packed_size (events [2]);
    uint8_t *packed = (uint8_t *) malloc (size);
    crmq__erp_event__pack (events [2], packed);
    uint8_t digest [SHA256_DIGEST_LENGTH];
    SHA256 (packed, size, digest);
    free (packed);
    const char *values [2] = { "fb:2", (const char *) digest };
    const int lengths [2] = { 0, SHA256_DIGEST_LENGTH };
    const int formats [2] = { 0, 1 };
    int rc = crmq_pg_command (other, "BEGIN", 0, NULL);
    PGresult *result = crmq_pg_execv (other, "INSERT INTO sales.erp_events (event_id, kind,"
                                             " body_sha256) VALUES ($1, 'order_placed', $2)",
                                      2, values, lengths, formats);
    CHECK (rc == 0 && result, "recorded fb:2 uncommitted: %s", crmq_pg_error (other));
    PQclear (result);

    s_results_t results = { { NULL }, 0 };
    crmq_publisher_t *publisher = crmq_publisher_new (endpoint, 5, 0);
    crmq_publisher_set_timeout (publisher, 30000, 0);
    crmq_publisher_set_ack_fn (publisher, s_on_ack, &results);
    for (int i = 0; i < 5; i++) {
        assert (crmq_publisher_add (publisher, events [i]) == 0);
        test_event_destroy (&events [i]);
    }
    //  the batch is on its way (full at 5): its COPY waits for our row
    zclock_sleep (1000);
    CHECK (results.count == 0, "no reply while the COPY waits");
    rc = crmq_pg_command (other, "COMMIT", 0, NULL);
    CHECK (rc == 0, "commit: %s", crmq_pg_error (other));
    rc = crmq_publisher_barrier (publisher);
    CHECK (rc == 0 && results.count == 5, "fallback batch: %s", crmq_publisher_message (publisher));
    for (size_t i = 0; i < results.count; i++) {
        const Crmq__EventResult *r = results.results [i];
        CHECK (r->code == 0 && r->duplicate == (i == 2), "fb:%zu: code %d duplicate %d %s", i,
               r->code, r->duplicate, r->error? r->error->message: "");
        crmq__event_result__free_unpacked (results.results [i], NULL);
    }
    long long orders = test_count (pg, "SELECT count (*) FROM sales.orders"
                                       " WHERE external_id LIKE 'fb-O%'");
    long long recorded = test_count (pg, "SELECT count (*) FROM sales.erp_events"
                                         " WHERE event_id LIKE 'fb:%'");
    CHECK (orders == 4 && recorded == 5, "fallback: %lld orders (4), %lld events (5)",
           orders, recorded);
    char command [700];
    snprintf (command, sizeof command, "grep -q 'bulk order write falls back' '%s/log/sales.log'",
              test_env ("CRMQ_STACK_DIR"));
    CHECK (system (command) == 0, "the fallback is logged");
    crmq_publisher_destroy (&publisher);
    crmq_pg_destroy (&other);
}

int
main (void)
{
    crmq_log_init ("test_order_bulk", "error");
    const char *endpoint = test_env ("CRMQ_SALES_ENDPOINT");
    crmq_pg_t *pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_order_bulk");

    //  master data, and an order placed before
    crmq_publisher_t *publisher = crmq_publisher_new (endpoint, 100, 0);
    const char *clients [3] = { "BK-C1", "BK-C2", "BK-C3" };
    const char *products [3] = { "BK-P1", "BK-P2", "BK-P3" };
    char id [64];
    Crmq__ErpEvent *event;
    for (int i = 0; i < 3; i++) {
        snprintf (id, sizeof id, "bk:client:%d", i);
        event = test_client_event (id, clients [i], clients [i]);
        assert (crmq_publisher_add (publisher, event) == 0);
        test_event_destroy (&event);
        snprintf (id, sizeof id, "bk:product:%d", i);
        event = test_product_event (id, products [i], products [i]);
        if (i == 1)
            event->product->standard_cost = test_money (333, "");
        if (i == 2) {
            event->product->group_external_id = strdup ("BK-G1");
            event->product->group_name = strdup ("Bulk group");
        }
        assert (crmq_publisher_add (publisher, event) == 0);
        test_event_destroy (&event);
    }
    Crmq__ErpEvent *manager = test_client_event ("bk:manager", "BK-M1", "Manager");
    crmq__client__free_unpacked (manager->client, NULL);
    manager->body_case = CRMQ__ERP_EVENT__BODY_MANAGER;
    manager->manager = (Crmq__Manager *) zmalloc (sizeof (Crmq__Manager));
    crmq__manager__init (manager->manager);
    manager->manager->external_id = strdup ("BK-M1");
    manager->manager->name = strdup ("Bulk Manager");
    manager->manager->active = true;
    assert (crmq_publisher_add (publisher, manager) == 0);
    test_event_destroy (&manager);
    assert (crmq_publisher_barrier (publisher) == 0);
    event = test_order_event ("bk:old", "BK-OLD", "BK-C1", "BK-P1", 1, 100);
    assert (crmq_publisher_add (publisher, event) == 0);
    test_event_destroy (&event);
    CHECK (crmq_publisher_barrier (publisher) == 0, "master data: %s",
           crmq_publisher_message (publisher));
    crmq_publisher_destroy (&publisher);

    //  the same scenario one event per batch ("bs") and as one batch ("bb")
    s_results_t single = { { NULL }, 0 }, bulk = { { NULL }, 0 };
    s_run (endpoint, "bs", false, &single);
    s_run (endpoint, "bb", true, &bulk);
    for (size_t i = 0; i < EVENTS && i < single.count && i < bulk.count; i++) {
        const Crmq__EventResult *s = single.results [i], *b = bulk.results [i];
        char *field = s_as_bulk (s->error? s->error->field: "", i);
        char *message = s_as_bulk (s->error? s->error->message: "", i);
        bool same = s->code == b->code && s->duplicate == b->duplicate
                 && streq (field, b->error? b->error->field: "")
                 && streq (message, b->error? b->error->message: "");
        CHECK (same, "event %zu: one by one %d%s %s \"%s\", in bulk %d%s %s \"%s\"", i, s->code,
               s->duplicate? " (duplicate)": "", field, message, b->code,
               b->duplicate? " (duplicate)": "", b->error? b->error->field: "",
               b->error? b->error->message: "");
        free (field);
        free (message);
    }
    static const int expected [EVENTS] = { 0, 0, CRMQ_NOT_FOUND, CRMQ_NOT_FOUND, CRMQ_NOT_FOUND,
                                           CRMQ_ALREADY_EXISTS, 0, 0, CRMQ_ALREADY_EXISTS, 0, 0 };
    for (size_t i = 0; i < bulk.count; i++)
        CHECK (bulk.results [i]->code == expected [i], "bulk event %zu: code %d, expected %d", i,
               bulk.results [i]->code, expected [i]);
    CHECK (bulk.count == EVENTS && bulk.results [7]->duplicate, "event 7 is a duplicate");
    for (size_t i = 0; i < EVENTS; i++) {
        if (i < single.count)
            crmq__event_result__free_unpacked (single.results [i], NULL);
        if (i < bulk.count)
            crmq__event_result__free_unpacked (bulk.results [i], NULL);
    }
    long long bulk_orders = test_count (pg, "SELECT count (*) FROM sales.orders WHERE external_id LIKE 'bb-%'");
    CHECK (bulk_orders == 5, "bulk orders stored: %lld (5)", bulk_orders);
    long long one_way = s_differences (pg, "bs", "bb"), other_way = s_differences (pg, "bb", "bs");
    CHECK (one_way == 0 && other_way == 0, "orders, lines and shipments differ: %lld + %lld rows",
           one_way, other_way);
    long long resolved = test_count (pg, "SELECT count (*) FROM sales.shipments s JOIN sales.orders o"
                                         " ON o.id = s.order_id WHERE s.external_id = 'bb-S7'"
                                         " AND s.late AND o.changed_at IS NOT NULL");
    CHECK (resolved == 1, "the waiting shipment and change applied to the bulk order");
    long long wrong = test_count (pg,
        "SELECT count (*) FROM sales.order_lines"
        " WHERE amount <> round (quantity * unit_price * (1 - discount), 2)");
    CHECK (wrong == 0, "%lld line amounts off the money rule", wrong);
    long long grouped = test_count (pg,
        "SELECT count (*) FROM sales.order_lines l JOIN sales.orders o ON o.id = l.order_id"
        " JOIN sales.products p ON p.id = l.product_id"
        " WHERE o.external_id LIKE 'bb-%' AND p.external_id = 'BK-P3' AND l.product_group_id > 0");
    long long costed = test_count (pg,
        "SELECT count (*) FROM sales.order_lines l JOIN sales.orders o ON o.id = l.order_id"
        " JOIN sales.products p ON p.id = l.product_id WHERE o.external_id LIKE 'bb-%'"
        " AND p.external_id = 'BK-P2' AND l.cost IS NOT NULL");
    CHECK (grouped > 0 && costed > 0, "bulk lines keep their product's group (%lld) and "
           "standard cost (%lld)", grouped, costed);
    wrong = test_count (pg,
        "SELECT count (*) FROM sales.orders o"
        " WHERE amount <> (SELECT sum (amount) FROM sales.order_lines WHERE order_id = o.id)");
    CHECK (wrong == 0, "%lld order amounts not the sum of their lines", wrong);
    test_check_rollups (pg, "after the bulk batch");

    s_fallback (pg, endpoint);
    test_check_rollups (pg, "after the fallback");

    crmq_pg_destroy (&pg);
    printf ("test_order_bulk: %s\n", s_failures? "FAIL": "PASS");
    return s_failures? 1: 0;
}

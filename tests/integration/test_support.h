/*  test_support.h - what the integration tests share: a check macro that
    counts failures, ERP event builders, and a fingerprint of every table a
    request could change.  Header-only: each test is its own binary.         */
#ifndef TEST_SUPPORT_H_INCLUDED
#define TEST_SUPPORT_H_INCLUDED

#include "crmq.h"
#include "analytics.pb-c.h"
#include <signal.h>

static int s_failures = 0;

#define CHECK(condition, ...) do { \
    if (condition) \
        printf ("  ok   %s\n", #condition); \
    else { \
        printf ("  FAIL %s (%s:%d): ", #condition, __FILE__, __LINE__); \
        printf (__VA_ARGS__); \
        printf ("\n"); \
        s_failures++; \
    } \
} while (0)

//  An environment variable the test cannot run without.
static inline const char *
test_env (const char *name)
{
    const char *value = getenv (name);
    if (!value || !*value) {
        fprintf (stderr, "%s is not set: run the tests through tests/run.sh\n", name);
        exit (2);
    }
    return value;
}

//  The pid of service `name` ("sales") of the test stack, from
//  $CRMQ_STACK_DIR/NAME.pid, or 0.
static inline pid_t
test_service_pid (const char *name)
{
    char path [600];
    snprintf (path, sizeof path, "%s/%s.pid", test_env ("CRMQ_STACK_DIR"), name);
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    long pid = 0;
    if (fscanf (file, "%ld", &pid) != 1)
        pid = 0;
    fclose (file);
    return (pid_t) pid;
}

//  Starts service `name` of the test stack if it is stopped, through the
//  stack script, and waits until it answers.  Returns system()'s status.
static inline int
test_start_service (const char *name)
{
    const char *script = getenv ("CRMQ_STACK_SCRIPT");
    char command [1200];
    snprintf (command, sizeof command, "%s start-service '%s' %s >/dev/null",
              script? script: "deploy/stack.sh", test_env ("CRMQ_STACK_DIR"), name);
    return system (command);
}

//  Kills service `name` with SIGKILL, leaves it down for down_ms and starts
//  it again, saying so on stdout.  Returns the pid killed (0: none ran).
static inline pid_t
test_kill_and_restart (const char *name, int down_ms)
{
    pid_t pid = test_service_pid (name);
    printf ("killing crmq-%s (pid %d) with SIGKILL\n", name, (int) pid);
    if (pid > 0)
        kill (pid, SIGKILL);
    zclock_sleep (down_ms);
    int rc = test_start_service (name);
    printf ("restarted crmq-%s: exit %d, pid %d\n", name, rc, (int) test_service_pid (name));
    return pid;
}

//  md5 over the text of every row of `tables` (schema-qualified names, a
//  NULL-terminated list of the test's own constants): equal before and after
//  a request means the request changed nothing there.  Caller frees.
//  "bus.outbox" counts the events of crmq-contacts and crmq-sales only: the
//  other services write theirs (alerts of a periodic check) at any moment.
static inline char *
test_fingerprint_of (crmq_pg_t *pg, const char *const *tables)
{
    char sql [4096] = "SELECT coalesce (md5 (string_agg (t, '|' ORDER BY t)), '') FROM (";
    for (const char *const *table = tables; *table; table++) {
        const char *from = streq (*table, "bus.outbox")
            //  crmq-sales' change events come from its background merge
            //  applier too (at any moment); the tables they name are
            //  fingerprinted themselves
            ? "(SELECT * FROM bus.outbox WHERE producer = 'contacts' OR (producer = 'sales'"
              " AND topic NOT LIKE 'data.changed.%'))": *table;
        size_t length = strlen (sql);
        snprintf (sql + length, sizeof sql - length,
                  " SELECT '%s' || x::text AS t FROM %s x UNION ALL", *table, from);
    }
    strncat (sql, " SELECT 'empty') all_rows", sizeof sql - strlen (sql) - 1);
    PGresult *result = crmq_pg_exec (pg, sql, 0, NULL);
    if (!result) {
        fprintf (stderr, "fingerprint failed: %s\n", crmq_pg_error (pg));
        exit (2);
    }
    char *fingerprint = strdup (PQgetvalue (result, 0, 0));
    PQclear (result);
    return fingerprint;
}

//  test_fingerprint_of every table crmq-contacts' master data and crmq-sales write.
static inline char *
test_fingerprint (crmq_pg_t *pg)
{
    static const char *const tables [] = {
        "contacts.clients", "contacts.managers", "sales.erp_events", "sales.clients",
        "sales.managers", "sales.product_groups", "sales.products", "sales.orders",
        "sales.order_lines", "sales.shipments", "sales.shipment_lines", "sales.invoices",
        "sales.payments", "sales.returns", "sales.return_lines", "sales.pending_changes",
        "sales.client_day_group_rollups", "sales.client_day_rollups",
        "sales.client_month_rollups", NULL };
    return test_fingerprint_of (pg, tables);
}

//  One number from a query without parameters, -1 on failure.
static inline long long
test_count (crmq_pg_t *pg, const char *sql)
{
    PGresult *result = crmq_pg_exec (pg, sql, 0, NULL);
    if (!result)
        return -1;
    long long n = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    PQclear (result);
    return n;
}

//  CHECKs that the incremental rollups equal those computed afresh from the documents
//  (rows a cancellation emptied stay as zeros: they are left out), and the month
//  rollups those computed afresh from the day rollups.
static inline void
test_check_rollups (crmq_pg_t *pg, const char *when)
{
    long long differences = test_count (pg,
        "SELECT count (*) FROM ("
        " (SELECT * FROM sales.client_day_group_rollups"
        "   WHERE (sales, returns, lines, quantity, returned_quantity) <> (0, 0, 0, 0, 0)"
        "   EXCEPT SELECT * FROM sales.rollups_from_documents ('UTC'))"
        " UNION ALL"
        " (SELECT * FROM sales.rollups_from_documents ('UTC')"
        "   EXCEPT SELECT * FROM sales.client_day_group_rollups)) d");
    long long day_differences = test_count (pg,
        "SELECT count (*) FROM ("
        " (SELECT * FROM sales.client_day_rollups"
        "   WHERE (orders, returns, shipments, late_shipments, invoiced, payments, paid,"
        "          late_payments) <> (0, 0, 0, 0, 0, 0, 0, 0)"
        "   EXCEPT SELECT * FROM sales.day_rollups_from_documents ('UTC'))"
        " UNION ALL"
        " (SELECT * FROM sales.day_rollups_from_documents ('UTC')"
        "   EXCEPT SELECT * FROM sales.client_day_rollups)) d");
    //  the month rollups against a fresh sum of the day rollups (empty months have no row)
    long long month_differences = test_count (pg,
        "SELECT count (*) FROM ("
        " (SELECT * FROM sales.client_month_rollups"
        "   EXCEPT SELECT * FROM sales.month_rollups_from_day_rollups ())"
        " UNION ALL"
        " (SELECT * FROM sales.month_rollups_from_day_rollups ()"
        "   EXCEPT SELECT * FROM sales.client_month_rollups)) d");
    printf ("  rollups %s: %lld + %lld rows differ from the documents, %lld of %lld month rows"
            " from the days\n", when, differences, day_differences, month_differences,
            test_count (pg, "SELECT count (*) FROM sales.client_month_rollups"));
    CHECK (differences == 0 && day_differences == 0 && month_differences == 0,
           "%s: rollups differ from the documents in %lld + %lld rows, months from the days in"
           " %lld rows", when, differences, day_differences, month_differences);
}

//  Runs `sql` with the text parameters `args` (NULL-terminated, up to 16).
//  Returns the result (caller PQclears), or NULL after a FAIL.
static inline PGresult *
test_query_v (crmq_pg_t *pg, const char *sql, va_list args)
{
    const char *values [16];
    int count = 0;
    const char *value;
    while (count < 16 && (value = va_arg (args, const char *)))
        values [count++] = value;
    PGresult *result = crmq_pg_exec (pg, sql, count, values);
    CHECK (result != NULL, "%s: %s", sql, crmq_pg_error (pg));
    return result;
}

//  The one number `sql` returns, with text parameters (NULL-terminated);
//  -1 after a FAIL (a failed statement, or not exactly one row).
static inline long long
test_number (crmq_pg_t *pg, const char *sql, ...)
{
    va_list args;
    va_start (args, sql);
    PGresult *result = test_query_v (pg, sql, args);
    va_end (args);
    long long n = -1;
    if (result && PQntuples (result) == 1)
        n = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    else
    if (result)
        CHECK (false, "%s: %d rows, not 1", sql, PQntuples (result));
    PQclear (result);
    return n;
}

//  The first value `sql` returns, with text parameters (NULL-terminated),
//  as text into buf; "" when there is no row.  Returns buf.
static inline char *
test_value (crmq_pg_t *pg, char *buf, size_t size, const char *sql, ...)
{
    va_list args;
    va_start (args, sql);
    PGresult *result = test_query_v (pg, sql, args);
    va_end (args);
    *buf = 0;
    if (result && PQntuples (result))
        snprintf (buf, size, "%s", PQgetvalue (result, 0, 0));
    PQclear (result);
    return buf;
}

//  The test's own external id "<prefix><name>" (prefix unique to the run:
//  other tests share the database), in one of 8 rotating buffers.
static inline const char *
test_ext_id (const char *prefix, const char *name)
{
    static char buffers [8][128];
    static int next = 0;
    char *buffer = buffers [next++ % 8];
    snprintf (buffer, 128, "%s%s", prefix, name);
    return buffer;
}

//  Runs `sql` with text parameters (NULL-terminated); the result (caller
//  PQclears), or NULL after a FAIL.
static inline PGresult *
test_query (crmq_pg_t *pg, const char *sql, ...)
{
    va_list args;
    va_start (args, sql);
    PGresult *result = test_query_v (pg, sql, args);
    va_end (args);
    return result;
}

//  An id as text for a query parameter, in one of 8 rotating buffers.
static inline const char *
test_id_text (int64_t id)
{
    static char buffers [8][24];
    static int next = 0;
    char *buffer = buffers [next++ % 8];
    snprintf (buffer, 24, "%" PRId64, id);
    return buffer;
}

//  Heap-built decimals and money for the events below (freed with them).
static inline Crmq__Decimal *
test_decimal (int64_t units, int32_t nanos)
{
    Crmq__Decimal *decimal = (Crmq__Decimal *) zmalloc (sizeof (Crmq__Decimal));
    crmq__decimal__init (decimal);
    decimal->units = units;
    decimal->nanos = nanos;
    return decimal;
}

//  `cents` hundredths of `currency` ("" = the document's currency).
static inline Crmq__Money *
test_money (int64_t cents, const char *currency)
{
    Crmq__Money *money = (Crmq__Money *) zmalloc (sizeof (Crmq__Money));
    crmq__money__init (money);
    money->units = cents / 100;
    money->nanos = (int32_t) (cents % 100) * 10000000;
    money->currency = strdup (currency);
    return money;
}

//  Heap-built events, freed with test_event_destroy.
static inline Crmq__ErpEvent *
test_client_event (const char *event_id, const char *external_id, const char *name)
{
    Crmq__ErpEvent *event = (Crmq__ErpEvent *) zmalloc (sizeof (Crmq__ErpEvent));
    crmq__erp_event__init (event);
    event->event_id = strdup (event_id);
    event->body_case = CRMQ__ERP_EVENT__BODY_CLIENT;
    event->client = (Crmq__Client *) zmalloc (sizeof (Crmq__Client));
    crmq__client__init (event->client);
    event->client->external_id = strdup (external_id);
    event->client->name = strdup (name);
    return event;
}

static inline Crmq__ErpEvent *
test_manager_event (const char *event_id, const char *external_id, const char *name)
{
    Crmq__ErpEvent *event = (Crmq__ErpEvent *) zmalloc (sizeof (Crmq__ErpEvent));
    crmq__erp_event__init (event);
    event->event_id = strdup (event_id);
    event->body_case = CRMQ__ERP_EVENT__BODY_MANAGER;
    event->manager = (Crmq__Manager *) zmalloc (sizeof (Crmq__Manager));
    crmq__manager__init (event->manager);
    event->manager->external_id = strdup (external_id);
    event->manager->name = strdup (name);
    event->manager->active = true;
    return event;
}

static inline Crmq__ErpEvent *
test_product_event (const char *event_id, const char *external_id, const char *name)
{
    Crmq__ErpEvent *event = (Crmq__ErpEvent *) zmalloc (sizeof (Crmq__ErpEvent));
    crmq__erp_event__init (event);
    event->event_id = strdup (event_id);
    event->body_case = CRMQ__ERP_EVENT__BODY_PRODUCT;
    event->product = (Crmq__Product *) zmalloc (sizeof (Crmq__Product));
    crmq__product__init (event->product);
    event->product->external_id = strdup (external_id);
    event->product->name = strdup (name);
    return event;
}

//  An order of one line: quantity (whole units), unit price in cents.
static inline Crmq__ErpEvent *
test_order_event (const char *event_id, const char *order_id, const char *client_id,
                  const char *product_id, int64_t quantity, int64_t price_cents)
{
    Crmq__ErpEvent *event = (Crmq__ErpEvent *) zmalloc (sizeof (Crmq__ErpEvent));
    crmq__erp_event__init (event);
    event->event_id = strdup (event_id);
    event->occurred_at_us = 836438400000000LL;              //  1996-07-04
    event->body_case = CRMQ__ERP_EVENT__BODY_ORDER_PLACED;
    Crmq__OrderPlaced *order = (Crmq__OrderPlaced *) zmalloc (sizeof (Crmq__OrderPlaced));
    crmq__order_placed__init (order);
    order->external_id = strdup (order_id);
    order->client_external_id = strdup (client_id);
    order->placed_at_us = event->occurred_at_us;
    order->n_lines = 1;
    order->lines = (Crmq__OrderLine **) zmalloc (sizeof (Crmq__OrderLine *));
    Crmq__OrderLine *line = (Crmq__OrderLine *) zmalloc (sizeof (Crmq__OrderLine));
    crmq__order_line__init (line);
    line->product_external_id = strdup (product_id);
    line->quantity = (Crmq__Decimal *) zmalloc (sizeof (Crmq__Decimal));
    crmq__decimal__init (line->quantity);
    line->quantity->units = quantity;
    line->unit_price = (Crmq__Money *) zmalloc (sizeof (Crmq__Money));
    crmq__money__init (line->unit_price);
    line->unit_price->units = price_cents / 100;
    line->unit_price->nanos = (int32_t) (price_cents % 100) * 10000000;
    order->lines [0] = line;
    event->order_placed = order;
    return event;
}

//  An event with only its id and instant set, for the document builders below.
static inline Crmq__ErpEvent *
test_event_new (const char *event_id, int64_t occurred_at_us)
{
    Crmq__ErpEvent *event = (Crmq__ErpEvent *) zmalloc (sizeof (Crmq__ErpEvent));
    crmq__erp_event__init (event);
    event->event_id = strdup (event_id);
    event->occurred_at_us = occurred_at_us;
    return event;
}

//  An order change to one line: quantity (whole units), unit price in cents;
//  required_at_us 0 = none.
static inline Crmq__ErpEvent *
test_change_event (const char *event_id, int64_t occurred_at_us, const char *order_id,
                   int64_t required_at_us, const char *product_id, int64_t quantity,
                   int64_t price_cents)
{
    Crmq__ErpEvent *event = test_event_new (event_id, occurred_at_us);
    event->body_case = CRMQ__ERP_EVENT__BODY_ORDER_CHANGED;
    Crmq__OrderChanged *change = (Crmq__OrderChanged *) zmalloc (sizeof (Crmq__OrderChanged));
    crmq__order_changed__init (change);
    change->external_id = strdup (order_id);
    change->required_at_us = required_at_us;
    change->n_lines = 1;
    change->lines = (Crmq__OrderLine **) zmalloc (sizeof (Crmq__OrderLine *));
    change->lines [0] = (Crmq__OrderLine *) zmalloc (sizeof (Crmq__OrderLine));
    crmq__order_line__init (change->lines [0]);
    change->lines [0]->product_external_id = strdup (product_id);
    change->lines [0]->quantity = test_decimal (quantity, 0);
    change->lines [0]->unit_price = test_money (price_cents, "");
    event->order_changed = change;
    return event;
}

static inline Crmq__ErpEvent *
test_cancel_event (const char *event_id, int64_t occurred_at_us, const char *order_id,
                   const char *reason)
{
    Crmq__ErpEvent *event = test_event_new (event_id, occurred_at_us);
    event->body_case = CRMQ__ERP_EVENT__BODY_ORDER_CANCELLED;
    event->order_cancelled = (Crmq__OrderCancelled *) zmalloc (sizeof (Crmq__OrderCancelled));
    crmq__order_cancelled__init (event->order_cancelled);
    event->order_cancelled->external_id = strdup (order_id);
    event->order_cancelled->reason = strdup (reason);
    return event;
}

//  A shipment of the whole order.
static inline Crmq__ErpEvent *
test_shipment_event (const char *event_id, const char *shipment_id, const char *order_id,
                     int64_t shipped_at_us)
{
    Crmq__ErpEvent *event = test_event_new (event_id, shipped_at_us);
    event->body_case = CRMQ__ERP_EVENT__BODY_SHIPMENT;
    event->shipment = (Crmq__ShipmentRegistered *) zmalloc (sizeof (Crmq__ShipmentRegistered));
    crmq__shipment_registered__init (event->shipment);
    event->shipment->external_id = strdup (shipment_id);
    event->shipment->order_external_id = strdup (order_id);
    event->shipment->shipped_at_us = shipped_at_us;
    return event;
}

//  An invoice of `cents` in the base currency; due_us 0 = no due date.
static inline Crmq__ErpEvent *
test_invoice_event (const char *event_id, const char *invoice_id, const char *client_id,
                    const char *order_id, int64_t cents, int64_t issued_us, int64_t due_us)
{
    Crmq__ErpEvent *event = test_event_new (event_id, issued_us);
    event->body_case = CRMQ__ERP_EVENT__BODY_INVOICE;
    event->invoice = (Crmq__InvoiceIssued *) zmalloc (sizeof (Crmq__InvoiceIssued));
    crmq__invoice_issued__init (event->invoice);
    event->invoice->external_id = strdup (invoice_id);
    event->invoice->client_external_id = strdup (client_id);
    event->invoice->order_external_id = strdup (order_id);
    event->invoice->amount = test_money (cents, "");
    event->invoice->issued_at_us = issued_us;
    event->invoice->due_at_us = due_us;
    return event;
}

//  A payment of `cents` against an invoice.
static inline Crmq__ErpEvent *
test_payment_event (const char *event_id, const char *payment_id, const char *client_id,
                    const char *invoice_id, int64_t cents, int64_t paid_us)
{
    Crmq__ErpEvent *event = test_event_new (event_id, paid_us);
    event->body_case = CRMQ__ERP_EVENT__BODY_PAYMENT;
    event->payment = (Crmq__PaymentReceived *) zmalloc (sizeof (Crmq__PaymentReceived));
    crmq__payment_received__init (event->payment);
    event->payment->external_id = strdup (payment_id);
    event->payment->client_external_id = strdup (client_id);
    event->payment->invoice_external_id = strdup (invoice_id);
    event->payment->order_external_id = strdup ("");
    event->payment->amount = test_money (cents, "");
    event->payment->paid_at_us = paid_us;
    return event;
}

//  A return of one line: quantity (whole units) credited at price_cents each.
static inline Crmq__ErpEvent *
test_return_event (const char *event_id, const char *return_id, const char *client_id,
                   const char *order_id, const char *product_id, int64_t quantity,
                   int64_t price_cents, int64_t returned_us)
{
    Crmq__ErpEvent *event = test_event_new (event_id, returned_us);
    event->body_case = CRMQ__ERP_EVENT__BODY_RETURN_REGISTERED;
    Crmq__ReturnRegistered *ret = (Crmq__ReturnRegistered *) zmalloc (sizeof (Crmq__ReturnRegistered));
    crmq__return_registered__init (ret);
    ret->external_id = strdup (return_id);
    ret->client_external_id = strdup (client_id);
    ret->order_external_id = strdup (order_id);
    ret->returned_at_us = returned_us;
    ret->reason = strdup ("damaged");
    ret->n_lines = 1;
    ret->lines = (Crmq__ReturnLine **) zmalloc (sizeof (Crmq__ReturnLine *));
    ret->lines [0] = (Crmq__ReturnLine *) zmalloc (sizeof (Crmq__ReturnLine));
    crmq__return_line__init (ret->lines [0]);
    ret->lines [0]->product_external_id = strdup (product_id);
    ret->lines [0]->quantity = test_decimal (quantity, 0);
    ret->lines [0]->unit_price = test_money (price_cents, "");
    event->return_registered = ret;
    return event;
}

//  Frees an event built above (every string was strdup'ed, every message zmalloc'ed).
static inline void
test_event_destroy (Crmq__ErpEvent **event_p)
{
    Crmq__ErpEvent *event = *event_p;
    if (!event)
        return;
    //  the builders' messages own their strings exactly as unpacked ones do,
    //  so protobuf-c's free_unpacked (system allocator) frees them all
    crmq__erp_event__free_unpacked (event, NULL);
    *event_p = NULL;
}

//  Calls `method` on `client`; on 0 unpacks the reply as `descriptor` into
//  *answer (free with protobuf_c_message_free_unpacked) when answer is not
//  NULL.  Returns the call's code (INTERNAL for an unreadable reply).
static inline int
test_call (crmq_rpc_client_t *client, const char *method, const ProtobufCMessage *request,
           const ProtobufCMessageDescriptor *descriptor, ProtobufCMessage **answer)
{
    uint8_t *body = NULL;
    size_t size = 0;
    if (answer)
        *answer = NULL;
    int code = crmq_rpc_call (client, method, request, &body, &size);
    if (code == CRMQ_OK && answer) {
        *answer = protobuf_c_message_unpack (descriptor, NULL, size, body);
        if (!*answer)
            code = CRMQ_INTERNAL;
    }
    free (body);
    return code;
}

//  contacts.UpsertClients of one client, as the ERP's master data; returns
//  its id, or 0 after a FAIL.
static inline int64_t
test_upsert_client (crmq_rpc_client_t *contacts, Crmq__Client *client)
{
    Crmq__Client *pointers [1] = { client };
    Crmq__UpsertClientsRequest request = CRMQ__UPSERT_CLIENTS_REQUEST__INIT;
    request.n_clients = 1;
    request.clients = pointers;
    ProtobufCMessage *answer;
    int code = test_call (contacts, "contacts.UpsertClients", &request.base,
                          &crmq__upsert_clients_reply__descriptor, &answer);
    CHECK (code == CRMQ_OK, "UpsertClients %s: code %d %s", client->external_id, code,
           crmq_rpc_client_message (contacts));
    int64_t id = 0;
    if (answer) {
        Crmq__UpsertClientsReply *reply = (Crmq__UpsertClientsReply *) answer;
        id = reply->n_ids == 1? reply->ids [0]: 0;
        protobuf_c_message_free_unpacked (answer, NULL);
    }
    return id;
}

//  Sends events as one sales.Ingest batch.  Returns the call's code; on 0
//  *answer holds the reply (caller frees with crmq__ingest_reply__free_unpacked).
static inline int
test_ingest (crmq_rpc_client_t *client, Crmq__ErpEvent **events, size_t count,
             Crmq__IngestReply **answer)
{
    Crmq__IngestRequest request = CRMQ__INGEST_REQUEST__INIT;
    request.n_events = count;
    request.events = events;
    uint8_t *body = NULL;
    size_t size = 0;
    *answer = NULL;
    int code = crmq_rpc_call (client, "sales.Ingest", &request.base, &body, &size);
    if (code == CRMQ_OK) {
        *answer = crmq__ingest_reply__unpack (NULL, size, body);
        free (body);
        if (!*answer)
            return CRMQ_INTERNAL;
    }
    return code;
}

//  Sends the events as one sales.Ingest batch and CHECKs that every one was
//  accepted, `duplicates` of them as duplicates (resends).  Frees the events.
static inline void
test_send (crmq_rpc_client_t *sales, const char *what, Crmq__ErpEvent **events, size_t count,
           int duplicates)
{
    Crmq__IngestReply *answer = NULL;
    int code = test_ingest (sales, events, count, &answer);
    CHECK (code == CRMQ_OK && answer && answer->rejected == 0 && answer->duplicates == duplicates,
           "%s: code %d, rejected %d, duplicates %d (%s)", what, code,
           answer? answer->rejected: -1, answer? answer->duplicates: -1,
           answer && answer->rejected? answer->results [0]->error->message: "");
    if (answer)
        crmq__ingest_reply__free_unpacked (answer, NULL);
    for (size_t i = 0; i < count; i++)
        test_event_destroy (&events [i]);
}

//  The table `name` of a report result, or NULL.
static inline const Crmq__ReportTable *
test_report_table (const Crmq__ReportResult *result, const char *name)
{
    for (size_t i = 0; result && i < result->n_tables; i++)
        if (streq (result->tables [i]->name, name))
            return result->tables [i];
    return NULL;
}

//  The index of a report table's column `name`, or -1.
static inline int
test_report_column (const Crmq__ReportTable *table, const char *name)
{
    for (size_t i = 0; table && i < table->n_columns; i++)
        if (streq (table->columns [i]->name, name))
            return (int) i;
    return -1;
}

//  The cell of `column` in row `row` of a report table, "?" when there is none.
static inline const char *
test_report_cell (const Crmq__ReportTable *table, size_t row, const char *column)
{
    int index = test_report_column (table, column);
    if (index < 0 || row >= table->n_rows || (size_t) index >= table->rows [row]->n_cells)
        return "?";
    return table->rows [row]->cells [index];
}

#endif

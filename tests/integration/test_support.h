/*  test_support.h - what the integration tests share: a check macro that
    counts failures, ERP event builders, and a fingerprint of every table a
    request could change.  Header-only: each test is its own binary.         */
#ifndef TEST_SUPPORT_H_INCLUDED
#define TEST_SUPPORT_H_INCLUDED

#include "crmq.h"

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

//  md5 over the text of every row of `tables` (schema-qualified names, a
//  NULL-terminated list of the test's own constants): equal before and after
//  a request means the request changed nothing there.  Caller frees.
static inline char *
test_fingerprint_of (crmq_pg_t *pg, const char *const *tables)
{
    char sql [4096] = "SELECT coalesce (md5 (string_agg (t, '|' ORDER BY t)), '') FROM (";
    for (const char *const *table = tables; *table; table++) {
        size_t length = strlen (sql);
        snprintf (sql + length, sizeof sql - length,
                  " SELECT '%s' || x::text AS t FROM %s x UNION ALL", *table, *table);
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
        "sales.client_day_group_rollups", "sales.client_day_rollups", NULL };
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

#endif

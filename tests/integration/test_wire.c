/*  test_wire - bad input on the wire gets a clear error code, changes
    nothing, and the services keep serving: a malformed body, wrong frame
    counts, an unknown method, an order for an unknown product, a negative
    quantity, a 10 MB string, an event id reused with another body.         */
#include "test_support.h"

//  Calls sales.Ingest with one event and returns that event's result code
//  (or the call's code when the whole call failed); *field gets the error field.
static int
s_ingest_one (crmq_rpc_client_t *client, Crmq__ErpEvent *event, char *field, size_t size,
              bool *duplicate)
{
    Crmq__IngestReply *answer;
    int code = test_ingest (client, &event, 1, &answer);
    *field = 0;
    if (duplicate)
        *duplicate = false;
    if (code != CRMQ_OK) {
        snprintf (field, size, "%s", crmq_rpc_client_field (client));
        return code;
    }
    code = answer->results [0]->code;
    if (duplicate)
        *duplicate = answer->results [0]->duplicate;
    if (answer->results [0]->error)
        snprintf (field, size, "%s", answer->results [0]->error->field);
    crmq__ingest_reply__free_unpacked (answer, NULL);
    return code;
}

int
main (void)
{
    crmq_log_init ("test_wire", "error");
    crmq_pg_t *pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_wire");
    crmq_rpc_client_t *sales = crmq_rpc_client_new (test_env ("CRMQ_SALES_ENDPOINT"), 20000, 0);
    crmq_rpc_client_t *contacts = crmq_rpc_client_new (test_env ("CRMQ_CONTACTS_ENDPOINT"), 20000, 0);
    crmq_rpc_client_t *analytics = crmq_rpc_client_new (test_env ("CRMQ_ANALYTICS_ENDPOINT"), 20000, 0);
    char field [256];
    uint8_t *body;
    size_t size;

    //  master data the orders below refer to
    Crmq__ErpEvent *events [2] = {
        test_client_event ("wire:client:1", "WIRE1", "ООО «Ромашка» \"Quoted\""),
        test_product_event ("wire:product:1", "WP1", "Chai") };
    Crmq__IngestReply *answer;
    int code = test_ingest (sales, events, 2, &answer);
    CHECK (code == CRMQ_OK, "master data: code %d %s", code, crmq_rpc_client_message (sales));
    if (answer) {
        CHECK (answer->accepted + answer->duplicates == 2, "accepted %d", answer->accepted);
        crmq__ingest_reply__free_unpacked (answer, NULL);
    }
    test_event_destroy (&events [0]);
    test_event_destroy (&events [1]);

    char *before = test_fingerprint (pg);

    printf ("malformed body\n");
    code = crmq_rpc_call_raw (sales, "sales.Ingest", "\xff\xff\xff\xff\x0f", 5, 2, &body, &size);
    CHECK (code == CRMQ_INVALID_ARGUMENT, "code %d", code);
    code = crmq_rpc_call_raw (contacts, "contacts.UpsertClients", "\x0a\x05\x01", 3, 2, &body, &size);
    CHECK (code == CRMQ_INVALID_ARGUMENT, "code %d", code);
    code = crmq_rpc_call_raw (analytics, "analytics.Report", "\x12\xff", 2, 2, &body, &size);
    CHECK (code == CRMQ_INVALID_ARGUMENT, "code %d", code);

    printf ("wrong frame counts\n");
    code = crmq_rpc_call_raw (sales, "sales.Ingest", NULL, 0, 1, &body, &size);
    CHECK (code == CRMQ_INVALID_ARGUMENT, "one frame: code %d", code);
    code = crmq_rpc_call_raw (sales, "sales.Ingest", "", 0, 3, &body, &size);
    CHECK (code == CRMQ_INVALID_ARGUMENT, "three frames: code %d", code);

    printf ("unknown method\n");
    code = crmq_rpc_call_raw (sales, "sales.NoSuchMethod", "", 0, 2, &body, &size);
    CHECK (code == CRMQ_UNIMPLEMENTED, "code %d", code);
    CHECK (strstr (crmq_rpc_client_message (sales), "sales.NoSuchMethod") != NULL,
           "message %s", crmq_rpc_client_message (sales));

    printf ("empty batch\n");
    code = crmq_rpc_call_raw (sales, "sales.Ingest", "", 0, 2, &body, &size);
    CHECK (code == CRMQ_INVALID_ARGUMENT, "code %d", code);

    printf ("order for an unknown product\n");
    Crmq__ErpEvent *event = test_order_event ("wire:order:1", "W1", "WIRE1", "NO-SUCH-PRODUCT", 1, 100);
    code = s_ingest_one (sales, event, field, sizeof field, NULL);
    CHECK (code == CRMQ_NOT_FOUND, "code %d", code);
    CHECK (streq (field, "events[0].order_placed.lines[0].product_external_id"), "field %s", field);
    test_event_destroy (&event);

    printf ("order for an unknown client\n");
    event = test_order_event ("wire:order:2", "W2", "NO-SUCH-CLIENT", "WP1", 1, 100);
    code = s_ingest_one (sales, event, field, sizeof field, NULL);
    CHECK (code == CRMQ_NOT_FOUND, "code %d", code);
    CHECK (streq (field, "events[0].order_placed.client_external_id"), "field %s", field);
    test_event_destroy (&event);

    printf ("negative quantity\n");
    event = test_order_event ("wire:order:3", "W3", "WIRE1", "WP1", -5, 100);
    code = s_ingest_one (sales, event, field, sizeof field, NULL);
    CHECK (code == CRMQ_INVALID_ARGUMENT, "code %d", code);
    CHECK (streq (field, "events[0].order_placed.lines[0].quantity"), "field %s", field);
    test_event_destroy (&event);

    printf ("quantity too large for the database\n");
    event = test_order_event ("wire:order:4", "W4", "WIRE1", "WP1", INT64_MAX, 100);
    code = s_ingest_one (sales, event, field, sizeof field, NULL);
    CHECK (code == CRMQ_INVALID_ARGUMENT, "code %d", code);
    test_event_destroy (&event);

    printf ("10 MB string\n");
    size_t huge_size = 10 * 1024 * 1024;
    char *huge = (char *) malloc (huge_size + 1);
    memset (huge, 'x', huge_size);
    huge [huge_size] = 0;
    event = test_client_event ("wire:client:huge", "HUGE", "x");
    free (event->client->name);
    event->client->name = huge;
    code = s_ingest_one (sales, event, field, sizeof field, NULL);
    CHECK (code == CRMQ_INVALID_ARGUMENT, "code %d", code);
    CHECK (streq (field, "events[0].client.name"), "field %s", field);
    event->client->name = strdup ("x");
    free (event->event_id);
    event->event_id = huge;
    code = s_ingest_one (sales, event, field, sizeof field, NULL);
    CHECK (code == CRMQ_INVALID_ARGUMENT, "huge event id: code %d", code);
    test_event_destroy (&event);

    printf ("invalid UTF-8\n");
    event = test_client_event ("wire:client:utf8", "UTF8", "bad \xc3\x28 name");
    code = s_ingest_one (sales, event, field, sizeof field, NULL);
    CHECK (code == CRMQ_INVALID_ARGUMENT, "code %d", code);
    test_event_destroy (&event);

    printf ("an event id reused with another body\n");
    event = test_client_event ("wire:client:1", "WIRE1", "Another name");
    code = s_ingest_one (sales, event, field, sizeof field, NULL);
    CHECK (code == CRMQ_ALREADY_EXISTS, "code %d", code);
    test_event_destroy (&event);

    printf ("a resend is a duplicate\n");
    event = test_client_event ("wire:client:1", "WIRE1", "ООО «Ромашка» \"Quoted\"");
    bool duplicate;
    code = s_ingest_one (sales, event, field, sizeof field, &duplicate);
    CHECK (code == CRMQ_OK && duplicate, "code %d duplicate %d", code, duplicate);
    test_event_destroy (&event);

    printf ("a NUL byte inside a string\n");
    event = test_client_event ("wire:client:nul", "NULX", "before-after");
    Crmq__IngestRequest nul_request = CRMQ__INGEST_REQUEST__INIT;
    nul_request.n_events = 1;
    nul_request.events = &event;
    uint8_t nul_body [256];
    size_t nul_size = crmq__ingest_request__pack (&nul_request, nul_body);
    uint8_t *dash = (uint8_t *) memmem (nul_body, nul_size, "-after", 6);
    *dash = 0;                      //  "before\0after": C would read "before"
    code = crmq_rpc_call_raw (sales, "sales.Ingest", nul_body, nul_size, 2, &body, &size);
    CHECK (code == CRMQ_INVALID_ARGUMENT, "code %d", code);
    test_event_destroy (&event);

    printf ("control characters in an event id\n");
    event = test_client_event ("wire:client:\nnewline", "CTRL", "Ctrl");
    code = s_ingest_one (sales, event, field, sizeof field, NULL);
    CHECK (code == CRMQ_INVALID_ARGUMENT, "code %d", code);
    CHECK (streq (field, "events[0].event_id"), "field %s", field);
    test_event_destroy (&event);

    printf ("an instant out of range, on a client event\n");
    event = test_client_event ("wire:client:time", "TIME", "Time Traveller");
    event->occurred_at_us = INT64_MAX;
    code = s_ingest_one (sales, event, field, sizeof field, NULL);
    CHECK (code == CRMQ_INVALID_ARGUMENT, "code %d", code);
    CHECK (streq (field, "events[0].occurred_at_us"), "field %s", field);
    test_event_destroy (&event);

    printf ("a line price in another currency\n");
    event = test_order_event ("wire:order:eur", "WEUR", "WIRE1", "WP1", 1, 100);
    event->order_placed->lines [0]->unit_price->currency = strdup ("EUR");
    code = s_ingest_one (sales, event, field, sizeof field, NULL);
    CHECK (code == CRMQ_INVALID_ARGUMENT, "code %d", code);
    CHECK (streq (field, "events[0].order_placed.lines[0].unit_price"), "field %s", field);
    test_event_destroy (&event);

    char *after = test_fingerprint (pg);
    CHECK (streq (before, after), "database changed: %s -> %s", before, after);

    printf ("one event_id twice in a batch with two bodies\n");
    Crmq__ErpEvent *pair [2] = {
        test_client_event ("wire:client:twice", "TWICE", "First body"),
        test_client_event ("wire:client:twice", "TWICE", "Second body") };
    code = test_ingest (sales, pair, 2, &answer);
    CHECK (code == CRMQ_OK, "code %d", code);
    if (answer) {
        CHECK (answer->results [0]->code == CRMQ_OK && answer->results [1]->code == CRMQ_ALREADY_EXISTS,
               "codes %d %d", answer->results [0]->code, answer->results [1]->code);
        crmq__ingest_reply__free_unpacked (answer, NULL);
    }
    test_event_destroy (&pair [0]);
    test_event_destroy (&pair [1]);
    CHECK (test_count (pg, "SELECT count(*) FROM contacts.clients"
                           " WHERE external_id = 'TWICE' AND name = 'First body'") == 1,
           "contacts keeps the accepted body");

    printf ("an order without a currency is in the base currency\n");
    event = test_order_event ("wire:order:nocur", "WNOCUR", "WIRE1", "WP1", 1, 100);
    code = s_ingest_one (sales, event, field, sizeof field, NULL);
    CHECK (code == CRMQ_OK, "code %d", code);
    test_event_destroy (&event);
    CHECK (test_count (pg, "SELECT count(*) FROM sales.orders"
                           " WHERE external_id = 'WNOCUR' AND currency = 'USD'") == 1, "currency");

    printf ("the services still serve\n");
    event = test_order_event ("wire:order:ok", "WOK", "WIRE1", "WP1", 3, 1999);
    code = s_ingest_one (sales, event, field, sizeof field, NULL);
    CHECK (code == CRMQ_OK, "code %d field %s", code, field);
    test_event_destroy (&event);
    CHECK (test_count (pg, "SELECT amount * 100 FROM sales.orders WHERE external_id = 'WOK'") == 5997,
           "order amount");
    Crmq__GetClientRequest get = CRMQ__GET_CLIENT_REQUEST__INIT;
    get.external_id = "WIRE1";
    code = crmq_rpc_call (contacts, "contacts.GetClient", &get.base, &body, &size);
    CHECK (code == CRMQ_OK, "GetClient code %d", code);
    if (code == CRMQ_OK) {
        Crmq__GetClientReply *card = crmq__get_client_reply__unpack (NULL, size, body);
        CHECK (card && streq (card->client->name, "ООО «Ромашка» \"Quoted\""), "name");
        crmq__get_client_reply__free_unpacked (card, NULL);
        free (body);
    }
    printf ("a cached report is never stale\n");
    int64_t orders [3] = { -1, -1, -1 };
    bool cached [3] = { false, false, false };
    for (int round = 0; round < 3; round++) {
        Crmq__ReportParams base = CRMQ__REPORT_PARAMS__INIT;
        base.report = "base";
        //  the relay publishes the events of earlier rounds meanwhile: wait
        //  for the position to settle so that round 1 can meet round 0's entry
        if (round == 1)
            zclock_sleep (1500);
        code = crmq_rpc_call (analytics, "analytics.Report", &base.base, &body, &size);
        CHECK (code == CRMQ_OK, "Report code %d", code);
        if (code == CRMQ_OK) {
            Crmq__ReportResult *report = crmq__report_result__unpack (NULL, size, body);
            //  the summary table's "orders" column
            const Crmq__ReportTable *summary = report && report->n_tables? report->tables [0]: NULL;
            for (size_t i = 0; summary && summary->n_rows == 1 && i < summary->n_columns; i++)
                if (streq (summary->columns [i]->name, "orders"))
                    orders [round] = strtoll (summary->rows [0]->cells [i], NULL, 10);
            cached [round] = report && report->cached;
            crmq__report_result__free_unpacked (report, NULL);
            free (body);
        }
        if (round == 1) {       //  the second read came from the cache; now a new order
            event = test_order_event ("wire:order:fresh", "WFRESH", "WIRE1", "WP1", 1, 100);
            code = s_ingest_one (sales, event, field, sizeof field, NULL);
            CHECK (code == CRMQ_OK, "code %d", code);
            test_event_destroy (&event);
        }
    }
    CHECK (orders [0] >= 1 && orders [1] == orders [0] && orders [2] == orders [0] + 1,
           "orders seen %" PRId64 ", %" PRId64 ", %" PRId64, orders [0], orders [1], orders [2]);
    CHECK (!cached [2], "the report after a new order came from the cache");

    free (before);
    free (after);
    crmq_rpc_client_destroy (&sales);
    crmq_rpc_client_destroy (&contacts);
    crmq_rpc_client_destroy (&analytics);
    crmq_pg_destroy (&pg);
    printf ("test_wire: %s\n", s_failures? "FAIL": "PASS");
    return s_failures? 1: 0;
}

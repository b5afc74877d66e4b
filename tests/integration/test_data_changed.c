/*  test_data_changed - the change events of the tables whose writers write
    no event of their own (data.changed.<schema>.<table>, crmq.DataChanged,
    written by statement triggers and by crmq-sales' merge and early
    payments), and bus.position, the log position a report cache keys on.

    Each event's body is decoded with protobuf-c.  Checked: a client created
    through crmq-contacts writes exactly one data.changed.contacts.clients
    with rows = 1; an update that changes nothing (through the RPC, or a
    statement rewriting rows as they are, or moving only the version)
    writes none; a real one writes one; an interaction writes one; a product
    group through sales.Ingest writes data.changed.sales.product_groups, a
    product naming it again as it is writes none for the group, a resent or
    unchanged product none at all; a payment recorded before its invoice
    writes data.changed.sales.client_day_rollups; a client merge writes the
    events of crmq-contacts' tables and, when crmq-sales applies it, one per
    sales table holding the merged client's rows, with their count.
    bus.position: equal in two transactions with no relevant change, equal
    across an alert. event, different after a relevant one, fixed within a
    REPEATABLE READ transaction, 'm+s' while an event waits above the
    published bound, NULL above 1,000 such events.                         */
#include "test_support.h"
#include "crmq_outbox.h"
#include "crmq_topics.h"

#define S_PREFIXES "{contacts.,sales.,data.changed.}"

static crmq_pg_t *s_pg;
static crmq_rpc_client_t *s_contacts;
static crmq_rpc_client_t *s_sales;
static char s_run [32];         //  "dc<pid>-": the run's external ids

//  The log's last seq (0 when empty).
static int64_t
s_mark (void)
{
    return test_number (s_pg, "SELECT coalesce (max (seq), 0) FROM bus.outbox", NULL);
}

//  The data.changed events of `table` ("contacts.clients") after seq
//  `after`: their number, and the sum of their rows into *rows.  Each is
//  checked: the registry names DataChanged for its topic, its body unpacks
//  with protobuf-c, names the table, has rows > 0, and its producer is the
//  schema's service.
static int
s_changes (int64_t after, const char *table, int64_t *rows)
{
    char topic [128];
    snprintf (topic, sizeof topic, "data.changed.%s", table);
    PGresult *result = test_query (s_pg,
        "SELECT topic, producer, body FROM bus.outbox WHERE seq > $1::bigint AND topic = $2"
        " ORDER BY seq", test_id_text (after), topic, NULL);
    *rows = 0;
    int events = result? PQntuples (result): -1;
    for (int row = 0; row < events; row++) {
        CHECK (crmq_topic_descriptor (topic) == &crmq__data_changed__descriptor,
               "%s is registered as DataChanged", topic);
        size_t size = 0;
        unsigned char *body = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, row, 2),
                                               &size);
        Crmq__DataChanged *change = body? crmq__data_changed__unpack (NULL, size, body): NULL;
        PQfreemem (body);
        CHECK (change != NULL, "the body of %s unpacks", topic);
        if (!change)
            continue;
        char named [128];
        snprintf (named, sizeof named, "%s.%s", change->schema, change->table);
        CHECK (streq (named, table) && change->rows > 0, "body: %s rows %" PRId64 " (topic %s)",
               named, change->rows, topic);
        CHECK (streq (PQgetvalue (result, row, 1), change->schema), "producer %s of %s",
               PQgetvalue (result, row, 1), topic);
        *rows += change->rows;
        crmq__data_changed__free_unpacked (change, NULL);
    }
    PQclear (result);
    return events;
}

//  CHECKs that `table` got `want` events holding `want_rows` rows after `after`.
static void
s_expect (int64_t after, const char *table, int want, int64_t want_rows, const char *what)
{
    int64_t rows;
    int events = s_changes (after, table, &rows);
    CHECK (events == want && rows == want_rows,
           "%s: %d data.changed.%s events of %" PRId64 " rows, expected %d of %" PRId64,
           what, events, table, rows, want, want_rows);
}

//  Data.changed events of any table after `after`.
static long long
s_all_changes (int64_t after)
{
    return test_number (s_pg, "SELECT count (*) FROM bus.outbox"
                              " WHERE seq > $1::bigint AND topic LIKE 'data.changed.%'",
                        test_id_text (after), NULL);
}

//  The run's external id `name`.
static const char *
s_id (const char *name)
{
    return test_ext_id (s_run, name);
}

//  contacts.CreateClient / UpdateClient (fields, n_fields); the stored
//  client's id, 0 after a FAIL.
static int64_t
s_save_client (const char *method, Crmq__Client *client, char **fields, size_t n_fields)
{
    Crmq__ClientRequest request = CRMQ__CLIENT_REQUEST__INIT;
    request.client = client;
    request.fields = fields;
    request.n_fields = n_fields;
    request.actor = "test_data_changed";
    ProtobufCMessage *answer;
    int code = test_call (s_contacts, method, &request.base, &crmq__client_reply__descriptor,
                          &answer);
    CHECK (code == CRMQ_OK, "%s: code %d %s", method, code, crmq_rpc_client_message (s_contacts));
    int64_t id = 0;
    if (answer) {
        Crmq__ClientReply *reply = (Crmq__ClientReply *) answer;
        id = reply->client? reply->client->id: 0;
        crmq__client_reply__free_unpacked (reply, NULL);
    }
    return id;
}

//  Calls `method` of crmq-contacts (reply type `descriptor`), CHECKs it
//  answered OK and drops the answer.
static void
s_contacts_call (const char *method, const ProtobufCMessage *request,
                 const ProtobufCMessageDescriptor *descriptor)
{
    ProtobufCMessage *answer;
    int code = test_call (s_contacts, method, request, descriptor, &answer);
    CHECK (code == CRMQ_OK, "%s: code %d %s", method, code, crmq_rpc_client_message (s_contacts));
    if (answer)
        protobuf_c_message_free_unpacked (answer, NULL);
}

//  Runs a statement of the test's own.
static void
s_sql (const char *sql, const char *value)
{
    const char *values [1] = { value };
    int rc = crmq_pg_command (s_pg, sql, value? 1: 0, values);
    CHECK (rc == 0, "%s: %s", sql, crmq_pg_error (s_pg));
}

//  Waits (up to 60 s) until crmq-bus has published every event written so far.
static void
s_wait_published (void)
{
    int64_t last = s_mark ();
    long long published = -1;
    for (int attempt = 0; attempt < 600; attempt++) {
        published = test_number (s_pg, "SELECT coalesce ((SELECT published_seq FROM bus.relay_state),"
                                        " 0)", NULL);
        if (published >= last)
            break;
        zclock_sleep (100);
    }
    CHECK (published >= last, "the relay published up to %lld of %" PRId64, published, last);
}

//  bus.position of the report prefixes, by `pg`, into buf ("NULL" for NULL).
static char *
s_position (crmq_pg_t *pg, char *buf, size_t size)
{
    const char *values [1] = { S_PREFIXES };
    PGresult *result = crmq_pg_exec (pg, "SELECT bus.position ($1::text[])", 1, values);
    CHECK (result != NULL, "bus.position: %s", crmq_pg_error (pg));
    snprintf (buf, size, "%s", !result? "?": PQgetisnull (result, 0, 0)? "NULL"
                                           : PQgetvalue (result, 0, 0));
    PQclear (result);
    return buf;
}

//  Writes data.changed.sales.position_test (rows 1) on `pg`; returns its seq.
static int64_t
s_relevant_event (crmq_pg_t *pg)
{
    CHECK (crmq_pg_command (pg, "SELECT bus.data_changed ('sales', 'position_test', 1)", 0, NULL)
           == 0, "relevant event: %s", crmq_pg_error (pg));
    PGresult *result = crmq_pg_exec (pg, "SELECT currval ('bus.outbox_seq_seq')", 0, NULL);
    CHECK (result != NULL, "its seq: %s", crmq_pg_error (pg));
    int64_t seq = result? strtoll (PQgetvalue (result, 0, 0), NULL, 10): 0;
    PQclear (result);
    return seq;
}

//  --------------------------------------------------------------------------

static void
s_test_varints (void)
{
    printf ("bus.pb_varint and the body as protobuf-c decodes it\n");
    //  -1 as int64 is ten bytes; 300 is ac 02
    char hex [64];
    test_value (s_pg, hex, sizeof hex, "SELECT encode (bus.pb_varint (300), 'hex')"
                                       " || ',' || encode (bus.pb_varint (-1), 'hex')", NULL);
    CHECK (streq (hex, "ac02,ffffffffffffffffff01"), "varints %s", hex);
    static const int64_t counts [] = { 1, 127, 128, 300, 16384, 2147483648LL,
                                       INT64_MAX, -1, INT64_MIN };
    for (size_t i = 0; i < sizeof counts / sizeof counts [0]; i++) {
        PGresult *result = test_query (s_pg,
            "SELECT bus.data_changed_body ('schéma', repeat ('t', 200), $1::bigint)",
            test_id_text (counts [i]), NULL);
        size_t size = 0;
        unsigned char *body = result? PQunescapeBytea ((const unsigned char *)
                                                       PQgetvalue (result, 0, 0), &size): NULL;
        PQclear (result);
        Crmq__DataChanged *change = body? crmq__data_changed__unpack (NULL, size, body): NULL;
        PQfreemem (body);
        CHECK (change && streq (change->schema, "schéma") && strlen (change->table) == 200
               && change->rows == counts [i], "rows %" PRId64 " decoded as %" PRId64,
               counts [i], change? change->rows: 0);
        if (change)
            crmq__data_changed__free_unpacked (change, NULL);
    }
}

static void
s_test_contacts (void)
{
    printf ("a client created through crmq-contacts: one data.changed.contacts.clients, rows 1\n");
    int64_t mark = s_mark ();
    Crmq__Client client = CRMQ__CLIENT__INIT;
    client.external_id = (char *) s_id ("client");
    client.name = "Data Changed Ltd";
    client.region = "North";
    client.category = "retail";
    client.phone = "+44 20 7946 0958";
    client.email = "dc@example.com";
    int64_t id = s_save_client ("contacts.CreateClient", &client, NULL, 0);
    CHECK (id > 0, "client created: %" PRId64, id);
    s_expect (mark, "contacts.clients", 1, 1, "CreateClient");

    printf ("updates that change nothing write nothing\n");
    mark = s_mark ();
    client.id = id;
    char *region [1] = { "region" };
    s_save_client ("contacts.UpdateClient", &client, region, 1);
    s_sql ("UPDATE contacts.clients SET name = name WHERE id = $1::bigint", test_id_text (id));
    s_sql ("UPDATE contacts.clients SET version = version + 1, updated_at = now ()"
           " WHERE id = $1::bigint", test_id_text (id));
    s_sql ("UPDATE contacts.clients SET name = 'none' WHERE false", NULL);
    CHECK (s_all_changes (mark) == 0, "no event: %lld", s_all_changes (mark));

    printf ("a real update writes one\n");
    mark = s_mark ();
    client.region = "South";
    s_save_client ("contacts.UpdateClient", &client, region, 1);
    s_expect (mark, "contacts.clients", 1, 1, "UpdateClient region");

    printf ("a call logged: data.changed.contacts.interactions, not the card's version\n");
    mark = s_mark ();
    Crmq__Interaction call = CRMQ__INTERACTION__INIT;
    call.client_id = id;
    call.channel = "call";
    call.direction = "out";
    call.subject = "prices";
    call.started_at_us = crmq_time_now_us ();
    Crmq__InteractionRequest request = CRMQ__INTERACTION_REQUEST__INIT;
    request.interaction = &call;
    request.actor = "test_data_changed";
    s_contacts_call ("contacts.LogInteraction", &request.base, &crmq__interaction_reply__descriptor);
    s_expect (mark, "contacts.interactions", 1, 1, "LogInteraction");
    s_expect (mark, "contacts.clients", 0, 0, "LogInteraction");
    mark = s_mark ();
    s_sql ("UPDATE contacts.interactions SET outcome = outcome WHERE client_id = $1::bigint",
           test_id_text (id));
    CHECK (s_all_changes (mark) == 0, "interactions rewritten as they are: %lld events",
           s_all_changes (mark));
}

static Crmq__ErpEvent *
s_group_event (const char *event_id, const char *external_id, const char *name)
{
    Crmq__ErpEvent *event = test_event_new (event_id, 0);
    event->body_case = CRMQ__ERP_EVENT__BODY_PRODUCT_GROUP;
    event->product_group = (Crmq__ProductGroup *) zmalloc (sizeof (Crmq__ProductGroup));
    crmq__product_group__init (event->product_group);
    event->product_group->external_id = strdup (external_id);
    event->product_group->name = strdup (name);
    event->product_group->parent_external_id = strdup ("");
    return event;
}

static Crmq__ErpEvent *
s_product_event (const char *event_id)
{
    Crmq__ErpEvent *event = test_product_event (event_id, s_id ("product"), "Assam");
    event->product->group_external_id = strdup (s_id ("group"));
    event->product->group_name = strdup ("Tea");
    return event;
}

static void
s_test_sales_master (void)
{
    printf ("a product group through sales.Ingest: data.changed.sales.product_groups\n");
    int64_t mark = s_mark ();
    Crmq__ErpEvent *group [1] = { s_group_event (s_id ("event:group"), s_id ("group"), "Tea") };
    test_send (s_sales, "product group", group, 1, 0);
    s_expect (mark, "sales.product_groups", 1, 1, "ProductGroup");

    printf ("a product naming the group as it is: the product only\n");
    mark = s_mark ();
    Crmq__ErpEvent *product [1] = { s_product_event (s_id ("event:product")) };
    test_send (s_sales, "product", product, 1, 0);
    s_expect (mark, "sales.products", 1, 1, "Product");
    s_expect (mark, "sales.product_groups", 0, 0, "Product");

    printf ("the product resent, then sent again unchanged: nothing\n");
    mark = s_mark ();
    product [0] = s_product_event (s_id ("event:product"));
    test_send (s_sales, "product resent", product, 1, 1);
    product [0] = s_product_event (s_id ("event:product:again"));
    test_send (s_sales, "product again", product, 1, 0);
    CHECK (s_all_changes (mark) == 0, "no event: %lld", s_all_changes (mark));
}

//  Rows of sales client `id` in `table` (a constant of the test).
static long long
s_rows_of (const char *table, int64_t id)
{
    char sql [160];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM sales.%s WHERE client_id = $1::bigint", table);
    return test_number (s_pg, sql, test_id_text (id), NULL);
}

static void
s_test_merge (void)
{
    printf ("two ERP clients with orders; a payment of B before its invoice\n");
    Crmq__ErpEvent *master [2] = {
        test_client_event (s_id ("event:a"), s_id ("A"), "Merge Survivor"),
        test_client_event (s_id ("event:b"), s_id ("B"), "Merge Merged") };
    test_send (s_sales, "clients", master, 2, 0);
    Crmq__ErpEvent *orders [3] = {
        test_order_event (s_id ("event:o1"), s_id ("O1"), s_id ("A"), s_id ("product"), 1, 1000),
        test_order_event (s_id ("event:o2"), s_id ("O2"), s_id ("B"), s_id ("product"), 2, 250),
        test_order_event (s_id ("event:o3"), s_id ("O3"), s_id ("B"), s_id ("product"), 1, 250) };
    test_send (s_sales, "orders", orders, 3, 0);
    int64_t mark = s_mark ();
    Crmq__ErpEvent *payment [1] = {
        test_payment_event (s_id ("event:pay"), s_id ("PAY"), s_id ("B"), s_id ("INV-later"),
                            750, 836524800000000LL) };
    test_send (s_sales, "payment", payment, 1, 0);
    s_expect (mark, "sales.client_day_rollups", 1, 1, "payment before its invoice");
    CHECK (test_number (s_pg, "SELECT count (*) FROM bus.outbox WHERE seq > $1::bigint"
                              " AND topic = 'sales.payment.received'", test_id_text (mark), NULL) == 0,
           "not announced yet");

    int64_t survivor = test_number (s_pg, "SELECT id FROM contacts.clients WHERE external_id = $1",
                                    s_id ("A"), NULL);
    int64_t merged = test_number (s_pg, "SELECT id FROM contacts.clients WHERE external_id = $1",
                                  s_id ("B"), NULL);
    static const char *const tables [] = {
        "orders", "order_lines", "payments", "client_day_group_rollups", "client_day_rollups",
        "invoices", "shipments", "returns", "return_lines", "deals" };
    long long held [10];
    for (size_t i = 0; i < 10; i++)
        held [i] = s_rows_of (tables [i], merged);
    CHECK (held [0] == 2 && held [1] == 2 && held [2] == 1 && held [3] >= 1 && held [4] >= 1,
           "B holds %lld orders, %lld lines, %lld payments, %lld + %lld rollup rows",
           held [0], held [1], held [2], held [3], held [4]);

    printf ("merge B into A\n");
    mark = s_mark ();
    Crmq__MergeClientsRequest request = CRMQ__MERGE_CLIENTS_REQUEST__INIT;
    request.survivor_id = survivor;
    request.merged_id = merged;
    request.actor = "test_data_changed";
    s_contacts_call ("contacts.MergeClients", &request.base, &crmq__merge_clients_reply__descriptor);
    int64_t rows;
    CHECK (s_changes (mark, "contacts.clients", &rows) >= 1, "contacts.clients changed");
    s_expect (mark, "contacts.merges", 1, 1, "MergeClients");

    printf ("crmq-sales applies it: one event per table of B's rows, with their count\n");
    for (int attempt = 0; attempt < 600 && s_rows_of ("orders", merged) > 0; attempt++)
        zclock_sleep (100);
    CHECK (s_rows_of ("orders", merged) == 0, "B's orders moved");
    for (size_t i = 0; i < 10; i++) {
        char table [64];
        snprintf (table, sizeof table, "sales.%s", tables [i]);
        s_expect (mark, table, held [i]? 1: 0, held [i], "merge applied");
    }
    CHECK (s_changes (mark, "sales.clients", &rows) == 1 && rows == 1,
           "sales.clients: B redirected (%" PRId64 " rows)", rows);
}

static void
s_test_position (void)
{
    printf ("bus.position: the same in two transactions with no relevant change\n");
    s_wait_published ();
    char first [64], second [64], expected [64];
    s_position (s_pg, first, sizeof first);
    s_position (s_pg, second, sizeof second);
    test_value (s_pg, expected, sizeof expected,
                "SELECT coalesce (max (seq), 0) FROM bus.outbox"
                " WHERE seq <= (SELECT published_seq FROM bus.relay_state)"
                "   AND (topic LIKE 'contacts.%' OR topic LIKE 'sales.%' OR topic LIKE 'data.changed.%')",
                NULL);
    CHECK (streq (first, second) && streq (first, expected), "%s, %s (latest %s)",
           first, second, expected);

    printf ("an alert. event moves the log, not the position\n");
    Crmq__Alert alert = CRMQ__ALERT__INIT;
    alert.kind = "test.data_changed";
    alert.severity = "info";
    alert.message = "test_data_changed: not a relevant change";
    CHECK (crmq_outbox_write (s_pg, "scheduler", "alert.test.data_changed", &alert.base) > 0,
           "alert written");
    s_position (s_pg, second, sizeof second);
    CHECK (streq (first, second), "%s, after the alert %s", first, second);
    s_wait_published ();
    s_position (s_pg, second, sizeof second);
    CHECK (streq (first, second), "%s, after the alert published %s", first, second);

    printf ("an open transaction holds the bound; a later relevant event shows as m+s\n");
    crmq_pg_t *other = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_data_changed_open");
    CHECK (crmq_pg_ensure (other), "second connection");
    CHECK (crmq_pg_command (other, "BEGIN", 0, NULL) == 0, "BEGIN");
    int64_t open_seq = s_relevant_event (other);
    int64_t committed = s_relevant_event (s_pg);
    zclock_sleep (300);             //  the relay's rounds cannot pass open_seq
    char waiting [64], want [96];
    s_position (s_pg, waiting, sizeof waiting);
    snprintf (want, sizeof want, "%s+%" PRId64, first, committed);
    CHECK (open_seq < committed && streq (waiting, want), "%s, expected %s", waiting, want);

    printf ("a REPEATABLE READ transaction keeps its position while others commit\n");
    CHECK (crmq_pg_command (s_pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL) == 0,
           "BEGIN");
    char held [64], held_later [64];
    s_position (s_pg, held, sizeof held);
    CHECK (crmq_pg_command (other, "COMMIT", 0, NULL) == 0, "COMMIT");
    s_position (s_pg, held_later, sizeof held_later);
    CHECK (streq (held, waiting) && streq (held, held_later), "%s, then %s", held, held_later);
    CHECK (crmq_pg_command (s_pg, "COMMIT", 0, NULL) == 0, "COMMIT");
    char after [64];
    s_position (s_pg, after, sizeof after);
    CHECK (!streq (after, waiting), "after the commit: %s", after);
    s_wait_published ();
    s_position (s_pg, after, sizeof after);
    snprintf (want, sizeof want, "%" PRId64, committed);
    CHECK (streq (after, want), "published: %s, expected %s", after, want);

    printf ("more than 1,000 relevant events above the bound: NULL (do not cache)\n");
    CHECK (crmq_pg_command (other, "BEGIN", 0, NULL) == 0, "BEGIN");
    s_relevant_event (other);
    CHECK (crmq_pg_command (s_pg, "SELECT count (bus.data_changed ('sales', 'position_test', 1))"
                                  "  FROM generate_series (1, 1001)", 0, NULL) == 0, "1,001 events");
    s_position (s_pg, after, sizeof after);
    CHECK (streq (after, "NULL"), "position %s", after);
    CHECK (crmq_pg_command (other, "ROLLBACK", 0, NULL) == 0, "ROLLBACK");
    s_wait_published ();
    s_position (s_pg, after, sizeof after);
    CHECK (!streq (after, "NULL") && !strchr (after, '+'), "published: %s", after);
    crmq_pg_destroy (&other);

    printf ("bus.position refuses an empty prefix list or prefix\n");
    PGresult *result = crmq_pg_exec (s_pg, "SELECT bus.position ('{}')", 0, NULL);
    CHECK (!result && streq (crmq_pg_sqlstate (s_pg), "22023"), "no prefix: %s",
           crmq_pg_sqlstate (s_pg));
    PQclear (result);
    result = crmq_pg_exec (s_pg, "SELECT bus.position ('{sales.,\"\"}')", 0, NULL);
    CHECK (!result && streq (crmq_pg_sqlstate (s_pg), "22023"), "empty prefix: %s",
           crmq_pg_sqlstate (s_pg));
    PQclear (result);
}

int
main (void)
{
    crmq_log_init ("test_data_changed", "error");
    int timeout = getenv ("CRMQ_SERVICE_WRAPPER")? 60000: 20000;
    s_pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_data_changed");
    s_contacts = crmq_rpc_client_new (test_env ("CRMQ_CONTACTS_ENDPOINT"), timeout, 0);
    s_sales = crmq_rpc_client_new (test_env ("CRMQ_SALES_ENDPOINT"), timeout, 0);
    snprintf (s_run, sizeof s_run, "dc%d-", (int) getpid ());

    s_test_varints ();
    s_test_contacts ();
    s_test_sales_master ();
    s_test_merge ();
    s_test_position ();

    crmq_rpc_client_destroy (&s_contacts);
    crmq_rpc_client_destroy (&s_sales);
    crmq_pg_destroy (&s_pg);
    printf ("test_data_changed: %s\n", s_failures? "FAIL": "PASS");
    return s_failures? 1: 0;
}

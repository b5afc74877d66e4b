/*  test_erp_documents - the whole ERP contract through sales.Ingest:
    documents that arrive before the ones they refer to (a shipment and an
    order change before the order, a payment before its invoice) are kept,
    listed by sales.Unresolved and settled when the other side arrives;
    shipment and payment lateness; cancellations; foreign currencies with
    the ERP's rate; returns; the product group hierarchy; resends and reused
    document numbers; and the rollups, kept in the same transactions, equal
    to the rollups computed afresh from the documents.                      */
#include "test_support.h"
#include <sys/wait.h>

#define DAY_US  86400000000LL
//  1996-07-01 00:00 UTC
#define JULY_1  836179200000000LL

static Crmq__ErpEvent *
s_group (const char *event_id, const char *id, const char *name, const char *parent)
{
    Crmq__ErpEvent *event = test_event_new (event_id, JULY_1);
    event->body_case = CRMQ__ERP_EVENT__BODY_PRODUCT_GROUP;
    event->product_group = (Crmq__ProductGroup *) zmalloc (sizeof (Crmq__ProductGroup));
    crmq__product_group__init (event->product_group);
    event->product_group->external_id = strdup (id);
    event->product_group->name = strdup (name);
    event->product_group->parent_external_id = strdup (parent);
    return event;
}

static Crmq__ErpEvent *
s_person (const char *event_id, const char *client, const char *id, const char *phone)
{
    Crmq__ErpEvent *event = test_event_new (event_id, JULY_1);
    event->body_case = CRMQ__ERP_EVENT__BODY_CONTACT_PERSON;
    event->contact_person = (Crmq__ContactPersonData *) zmalloc (sizeof (Crmq__ContactPersonData));
    crmq__contact_person_data__init (event->contact_person);
    event->contact_person->external_id = strdup (id);
    event->contact_person->client_external_id = strdup (client);
    event->contact_person->name = strdup ("Анна О'Брайен");
    event->contact_person->phone = strdup (phone);
    event->contact_person->active = true;
    return event;
}

static Crmq__ErpEvent *
s_order (const char *event_id, const char *order_id, int64_t placed_at_us, int64_t required_at_us,
         const char *product, int64_t quantity, int64_t price_cents)
{
    Crmq__ErpEvent *event = test_order_event (event_id, order_id, "DOC-C", product, quantity,
                                              price_cents);
    event->occurred_at_us = placed_at_us;
    event->order_placed->placed_at_us = placed_at_us;
    event->order_placed->required_at_us = required_at_us;
    return event;
}

static Crmq__ErpEvent *
s_cancel (const char *event_id, const char *order_id)
{
    return test_cancel_event (event_id, JULY_1 + 5 * DAY_US, order_id,
                              "клиент передумал \"совсем\"");
}

//  A payment and a return of client DOC-C.
static Crmq__ErpEvent *
s_payment (const char *event_id, const char *payment_id, const char *invoice_id, int64_t cents,
           int64_t paid_us)
{
    return test_payment_event (event_id, payment_id, "DOC-C", invoice_id, cents, paid_us);
}

static Crmq__ErpEvent *
s_return (const char *event_id, const char *return_id, const char *order_id, const char *product,
          int64_t quantity, int64_t price_cents, int64_t at_us)
{
    return test_return_event (event_id, return_id, "DOC-C", order_id, product, quantity,
                              price_cents, at_us);
}

//  Sends a batch; checks the per-event codes (0 = accepted or duplicate as
//  `duplicates` says, else the expected code and field of every event);
//  frees the events.
static void
s_send (crmq_rpc_client_t *sales, const char *what, Crmq__ErpEvent **events, size_t count,
        int duplicates, int expect_code, const char *expect_field)
{
    Crmq__IngestReply *answer = NULL;
    int code = test_ingest (sales, events, count, &answer);
    CHECK (code == CRMQ_OK && answer && answer->n_results == count, "%s: batch code %d", what, code);
    for (size_t i = 0; answer && i < answer->n_results; i++) {
        Crmq__EventResult *result = answer->results [i];
        CHECK (result->code == expect_code, "%s: event %s code %d (%s) not %d", what,
               result->event_id, result->code, result->error? result->error->message: "",
               expect_code);
        if (expect_field && result->error)
            CHECK (streq (result->error->field, expect_field), "%s: field %s", what,
                   result->error->field);
    }
    if (answer && expect_code == CRMQ_OK)
        CHECK (answer->duplicates == duplicates, "%s: %d duplicates, not %d", what,
               answer->duplicates, duplicates);
    if (answer)
        crmq__ingest_reply__free_unpacked (answer, NULL);
    for (size_t i = 0; i < count; i++)
        test_event_destroy (&events [i]);
}

static Crmq__UnresolvedReply *
s_unresolved (crmq_rpc_client_t *sales)
{
    Crmq__UnresolvedRequest request = CRMQ__UNRESOLVED_REQUEST__INIT;
    ProtobufCMessage *answer = NULL;
    int code = test_call (sales, "sales.Unresolved", &request.base,
                          &crmq__unresolved_reply__descriptor, &answer);
    CHECK (code == CRMQ_OK, "Unresolved: code %d", code);
    return (Crmq__UnresolvedReply *) answer;
}

//  One text value of a query without parameters ("" when no row).
static char *
s_text (crmq_pg_t *pg, const char *sql)
{
    PGresult *result = crmq_pg_exec (pg, sql, 0, NULL);
    char *text = strdup (result && PQntuples (result)? PQgetvalue (result, 0, 0): "");
    PQclear (result);
    return text;
}

#define CHECK_TEXT(pg, sql, expected) do { \
    char *_text = s_text (pg, sql); \
    CHECK (streq (_text, expected), "%s: %s, not %s", sql, _text, expected); \
    free (_text); \
} while (0)

int
main (void)
{
    crmq_log_init ("test_erp_documents", "error");
    crmq_pg_t *pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_erp_documents");
    crmq_rpc_client_t *sales = crmq_rpc_client_new (test_env ("CRMQ_SALES_ENDPOINT"), 20000, 0);

    printf ("master data: a client, groups (child before its parent), products\n");
    Crmq__ErpEvent *master [5] = {
        test_client_event ("doc:client", "DOC-C", "ООО \"Ромашка\" «Лютик»"),
        s_group ("doc:group:tea", "DOC-G-TEA", "Чай", "DOC-G-DRINKS"),
        s_group ("doc:group:drinks", "DOC-G-DRINKS", "Напитки", ""),
        test_product_event ("doc:product:1", "DOC-P1", "Chai"),
        test_product_event ("doc:product:2", "DOC-P2", "Chang") };
    master [3]->product->group_external_id = strdup ("DOC-G-TEA");
    master [4]->product->standard_cost = test_money (300, "");
    s_send (sales, "master", master, 5, 0, CRMQ_OK, NULL);
    CHECK_TEXT (pg, "SELECT p.name FROM sales.product_groups g"
                    " JOIN sales.product_groups p ON p.id = g.parent_id"
                    " WHERE g.external_id = 'DOC-G-TEA'", "Напитки");
    //  the products again without group or cost: the name is taken, the rest kept
    Crmq__ErpEvent *bare [2] = {
        test_product_event ("doc:product:1:v2", "DOC-P1", "Chai, 100 g"),
        test_product_event ("doc:product:2:v2", "DOC-P2", "Chang") };
    s_send (sales, "products again, no group or cost", bare, 2, 0, CRMQ_OK, NULL);
    CHECK_TEXT (pg, "SELECT p.name || ' / ' || g.external_id FROM sales.products p"
                    " JOIN sales.product_groups g ON g.id = p.group_id"
                    " WHERE p.external_id = 'DOC-P1'", "Chai, 100 g / DOC-G-TEA");
    CHECK_TEXT (pg, "SELECT standard_cost::numeric(10, 2) FROM sales.products"
                    " WHERE external_id = 'DOC-P2'",
                "3.00");

    printf ("contact persons reach crmq-contacts; a bad phone or unknown client is refused\n");
    Crmq__ErpEvent *person [1] = { s_person ("doc:person:1", "DOC-C", "P-1", "+7 495 123-45-67") };
    s_send (sales, "person", person, 1, 0, CRMQ_OK, NULL);
    CHECK_TEXT (pg, "SELECT p.name FROM contacts.persons p JOIN contacts.clients c ON c.id = p.client_id"
                    " WHERE c.external_id = 'DOC-C' AND p.external_id = 'P-1'", "Анна О'Брайен");
    Crmq__ErpEvent *bad_phone [1] = { s_person ("doc:person:2", "DOC-C", "P-2", "12") };
    s_send (sales, "bad phone", bad_phone, 1, 0, CRMQ_INVALID_ARGUMENT, "events[0].contact_person.phone");
    Crmq__ErpEvent *no_client [1] = { s_person ("doc:person:3", "NO-SUCH-CLIENT", "P-3", "") };
    s_send (sales, "no client", no_client, 1, 0, CRMQ_NOT_FOUND,
            "events[0].contact_person.client_external_id");

    printf ("a group cycle is refused\n");
    Crmq__ErpEvent *cycle [1] = { s_group ("doc:group:cycle", "DOC-G-DRINKS", "Напитки", "DOC-G-TEA") };
    s_send (sales, "cycle", cycle, 1, 0, CRMQ_FAILED_PRECONDITION,
            "events[0].product_group.parent_external_id");

    printf ("products naming groups cannot make a cycle either\n");
    Crmq__ErpEvent *first [1] = { test_product_event ("doc:product:8", "DOC-P8", "Eight") };
    first [0]->product->group_external_id = strdup ("DOC-G-X");
    first [0]->product->group_parent_external_id = strdup ("DOC-G-Y");
    s_send (sales, "product under X", first, 1, 0, CRMQ_OK, NULL);
    Crmq__ErpEvent *cyclic [1] = { test_product_event ("doc:product:9", "DOC-P9", "Nine") };
    cyclic [0]->product->group_external_id = strdup ("DOC-G-Y");
    cyclic [0]->product->group_parent_external_id = strdup ("DOC-G-X");
    s_send (sales, "product cycle", cyclic, 1, 0, CRMQ_FAILED_PRECONDITION,
            "events[0].product.group_parent_external_id");

    printf ("documents before their orders and invoice\n");
    Crmq__ErpEvent *early [5] = {
        test_shipment_event ("doc:ship:1", "DOC-S1", "DOC-O1", JULY_1 + 20 * DAY_US),
        s_payment ("doc:pay:1", "DOC-PAY1", "DOC-INV1", 5000, JULY_1 + 12 * DAY_US),
        test_change_event ("doc:change:2", JULY_1 + 3 * DAY_US, "DOC-O2", 0, "DOC-P2", 4, 1000),
        s_cancel ("doc:cancel:3", "DOC-O3"),
        s_return ("doc:return:1", "DOC-R1", "DOC-O1", "DOC-P1", 1, 1800, JULY_1 + 25 * DAY_US) };
    s_send (sales, "early", early, 5, 0, CRMQ_OK, NULL);
    Crmq__UnresolvedReply *unresolved = s_unresolved (sales);
    long long waiting = test_count (pg, "SELECT count (*) FROM sales.unresolved"
                                        " WHERE event_id LIKE 'doc:%'");
    CHECK (waiting == 5, "5 documents wait, not %lld", waiting);
    bool listed = false;
    for (size_t i = 0; unresolved && i < unresolved->n_documents; i++)
        if (streq (unresolved->documents [i]->event_id, "doc:pay:1"))
            listed = streq (unresolved->documents [i]->missing_kind, "invoice")
                  && streq (unresolved->documents [i]->missing_external_id, "DOC-INV1");
    CHECK (listed && unresolved->total >= 5, "Unresolved lists the payment waiting for DOC-INV1");
    if (unresolved)
        crmq__unresolved_reply__free_unpacked (unresolved, NULL);
    test_check_rollups (pg, "early");

    printf ("crmq sales unresolved lists them\n");
    char command [1024];
    snprintf (command, sizeof command, "'%s/bin/crmq' sales unresolved --format csv --limit 10000",
              test_env ("BUILD"));
    FILE *cli = popen (command, "r");
    char line [512];
    bool payment_listed = false;
    while (cli && fgets (line, sizeof line, cli))
        if (strstr (line, "payment,DOC-PAY1,doc:pay:1,invoice,DOC-INV1,"))
            payment_listed = true;
    CHECK (cli && pclose (cli) == 0 && payment_listed, "the CLI lists the payment");
    snprintf (command, sizeof command, "'%s/bin/crmq' sales unresolved --limit 0 2>/dev/null",
              test_env ("BUILD"));
    cli = popen (command, "r");
    while (cli && fgets (line, sizeof line, cli))
        ;
    int status = cli? pclose (cli): -1;
    CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 64, "--limit 0 is a usage error");

    printf ("the orders and the invoice arrive\n");
    Crmq__ErpEvent *orders [4] = {
        s_order ("doc:order:1", "DOC-O1", JULY_1 + DAY_US, JULY_1 + 15 * DAY_US, "DOC-P1", 2, 1800),
        s_order ("doc:order:2", "DOC-O2", JULY_1 + 2 * DAY_US, 0, "DOC-P1", 1, 1800),
        s_order ("doc:order:3", "DOC-O3", JULY_1 + 2 * DAY_US, 0, "DOC-P1", 5, 1800),
        test_invoice_event ("doc:invoice:1", "DOC-INV1", "DOC-C", "DOC-O1", 3600, JULY_1 + DAY_US,
                   JULY_1 + 10 * DAY_US) };
    s_send (sales, "orders", orders, 4, 0, CRMQ_OK, NULL);
    CHECK (test_count (pg, "SELECT count (*) FROM sales.unresolved WHERE event_id LIKE 'doc:%'") == 0,
           "nothing waits any more");
    CHECK_TEXT (pg, "SELECT late FROM sales.shipments WHERE external_id = 'DOC-S1'", "t");
    CHECK_TEXT (pg, "SELECT late FROM sales.payments WHERE external_id = 'DOC-PAY1'", "t");
    CHECK_TEXT (pg, "SELECT amount || ' ' || (SELECT count (*) FROM sales.order_lines l"
                    "  WHERE l.order_id = o.id AND l.product_id ="
                    "  (SELECT id FROM sales.products WHERE external_id = 'DOC-P2'))"
                    " FROM sales.orders o WHERE external_id = 'DOC-O2'", "40.00 1");
    CHECK_TEXT (pg, "SELECT status || ' ' || cancel_reason FROM sales.orders"
                    " WHERE external_id = 'DOC-O3'", "cancelled клиент передумал \"совсем\"");
    CHECK_TEXT (pg, "SELECT r.order_id = o.id FROM sales.returns r, sales.orders o"
                    " WHERE r.external_id = 'DOC-R1' AND o.external_id = 'DOC-O1'", "t");
    test_check_rollups (pg, "orders");
    CHECK_TEXT (pg, "SELECT sum (sales) || ' ' || sum (returns) || ' ' || sum (cost) || ' '"
                    "       || sum (lines_without_cost)"
                    "  FROM sales.client_day_group_rollups r JOIN sales.clients c ON c.id = r.client_id"
                    " WHERE c.external_id = 'DOC-C'", "76.00 18.00 12.00 1");
    CHECK_TEXT (pg, "SELECT sum (orders) || ' ' || sum (shipments) || ' ' || sum (late_shipments)"
                    "       || ' ' || sum (late_payments) || ' ' || sum (paid) || ' ' || sum (invoiced)"
                    "  FROM sales.client_day_rollups r JOIN sales.clients c ON c.id = r.client_id"
                    " WHERE c.external_id = 'DOC-C'", "2 1 1 1 50.00 36.00");

    printf ("a product changes group and standard cost: lines counted keep theirs\n");
    Crmq__ErpEvent *moved [1] = { test_product_event ("doc:product:2b", "DOC-P2", "Chang") };
    moved [0]->product->group_external_id = strdup ("DOC-G-TEA");
    moved [0]->product->standard_cost = test_money (500, "");
    s_send (sales, "product moved", moved, 1, 0, CRMQ_OK, NULL);
    test_check_rollups (pg, "product moved");
    CHECK_TEXT (pg, "SELECT sum (cost) FROM sales.client_day_group_rollups r"
                    "  JOIN sales.clients c ON c.id = r.client_id WHERE c.external_id = 'DOC-C'",
                "12.00");

    printf ("a later change moves the required date: the shipment is on time\n");
    Crmq__ErpEvent *later [2] = {
        test_change_event ("doc:change:1b", JULY_1 + 9 * DAY_US, "DOC-O1", JULY_1 + 30 * DAY_US, "DOC-P1", 2, 1800),
        test_change_event ("doc:change:1a", JULY_1 + 8 * DAY_US, "DOC-O1", JULY_1 + 5 * DAY_US, "DOC-P1", 9, 1800) };
    s_send (sales, "later", later, 2, 0, CRMQ_OK, NULL);
    CHECK_TEXT (pg, "SELECT late FROM sales.shipments WHERE external_id = 'DOC-S1'", "f");
    CHECK_TEXT (pg, "SELECT amount FROM sales.orders WHERE external_id = 'DOC-O1'", "36.00");
    test_check_rollups (pg, "later");

    printf ("an order in EUR at the ERP's rate\n");
    Crmq__ErpEvent *euro [1] = { s_order ("doc:order:4", "DOC-O4", JULY_1 + 3 * DAY_US, 0,
                                          "DOC-P1", 3, 1001) };
    euro [0]->order_placed->currency = strdup ("EUR");
    euro [0]->order_placed->currency_rate = test_decimal (1, 100000000);     //  1.1
    euro [0]->order_placed->lines [0]->unit_price->currency = strdup ("EUR");
    s_send (sales, "euro", euro, 1, 0, CRMQ_OK, NULL);
    CHECK_TEXT (pg, "SELECT sales FROM sales.client_day_group_rollups r"
                    "  JOIN sales.clients c ON c.id = r.client_id"
                    " WHERE c.external_id = 'DOC-C' AND day = '1996-07-04'", "33.03");
    test_check_rollups (pg, "euro");

    printf ("resends are duplicates; reused numbers and unknown clients are refused\n");
    char *before = test_fingerprint (pg);
    Crmq__ErpEvent *again [2] = {
        test_shipment_event ("doc:ship:1", "DOC-S1", "DOC-O1", JULY_1 + 20 * DAY_US),
        test_invoice_event ("doc:invoice:1", "DOC-INV1", "DOC-C", "DOC-O1", 3600, JULY_1 + DAY_US,
                   JULY_1 + 10 * DAY_US) };
    s_send (sales, "again", again, 2, 2, CRMQ_OK, NULL);
    Crmq__ErpEvent *reused [1] = { test_shipment_event ("doc:ship:1-bis", "DOC-S1", "DOC-O2", JULY_1) };
    s_send (sales, "reused", reused, 1, 0, CRMQ_ALREADY_EXISTS, "events[0].shipment.external_id");
    Crmq__ErpEvent *unknown [1] = { test_invoice_event ("doc:invoice:x", "DOC-INVX", "NO-SUCH-CLIENT", "",
                                               100, JULY_1, 0) };
    s_send (sales, "unknown", unknown, 1, 0, CRMQ_NOT_FOUND, "events[0].invoice.client_external_id");
    Crmq__ErpEvent *changed [1] = { s_cancel ("doc:ship:1", "DOC-O1") };
    s_send (sales, "changed body", changed, 1, 0, CRMQ_ALREADY_EXISTS, "events[0].event_id");
    Crmq__ErpEvent *huge [1] = { s_order ("doc:order:huge", "DOC-OH", JULY_1, 0, "DOC-P1",
                                          999999999, 99999999999) };
    s_send (sales, "huge line", huge, 1, 0, CRMQ_INVALID_ARGUMENT, "events[0].order_placed.lines[0]");
    Crmq__ErpEvent *fraction [1] = { test_invoice_event ("doc:invoice:frac", "DOC-INVF", "DOC-C", "", 100,
                                                JULY_1, 0) };
    fraction [0]->invoice->amount->nanos = 1000000;     //  1.001
    s_send (sales, "fraction of a cent", fraction, 1, 0, CRMQ_INVALID_ARGUMENT,
            "events[0].invoice.amount");
    Crmq__ErpEvent *undated [1] = { s_cancel ("doc:cancel:undated", "DOC-O1") };
    undated [0]->occurred_at_us = 0;
    s_send (sales, "undated cancel", undated, 1, 0, CRMQ_INVALID_ARGUMENT,
            "events[0].occurred_at_us");
    char *after = test_fingerprint (pg);
    CHECK (streq (before, after), "nothing changed by resends and refusals");
    free (before);
    free (after);
    CHECK (test_count (pg, "SELECT count (*) FROM sales.shipments WHERE external_id LIKE 'DOC-%'") == 1
        && test_count (pg, "SELECT count (*) FROM sales.invoices WHERE external_id LIKE 'DOC-%'") == 1,
           "one shipment, one invoice");

    printf ("the rollups rebuilt from the documents are the same\n");
    CHECK (test_count (pg, "SELECT count (*) FROM (SELECT sales.rebuild_rollups ('UTC')) r") == 1,
           "rebuild ran");
    test_check_rollups (pg, "rebuilt");

    crmq_rpc_client_destroy (&sales);
    crmq_pg_destroy (&pg);
    printf ("test_erp_documents: %s\n", s_failures? "FAIL": "PASS");
    return s_failures? 1: 0;
}

/*  test_merge_orders - a client merge in crmq-contacts reaches crmq-sales:
    the merged client's orders and lines move to the survivor, an order sent
    later under the merged client's external id lands on the survivor, and
    the client base counts the merged client no more.                        */
#include "test_support.h"

static int64_t
s_client_id (crmq_rpc_client_t *contacts, const char *external_id)
{
    Crmq__GetClientRequest request = CRMQ__GET_CLIENT_REQUEST__INIT;
    request.external_id = (char *) external_id;
    uint8_t *body;
    size_t size;
    if (crmq_rpc_call (contacts, "contacts.GetClient", &request.base, &body, &size) != CRMQ_OK)
        return 0;
    Crmq__GetClientReply *card = crmq__get_client_reply__unpack (NULL, size, body);
    free (body);
    int64_t id = card && card->client? card->client->id: 0;
    if (card)
        crmq__get_client_reply__free_unpacked (card, NULL);
    return id;
}

static void
s_ingest_all (crmq_rpc_client_t *sales, Crmq__ErpEvent **events, size_t count)
{
    Crmq__IngestReply *answer;
    int code = test_ingest (sales, events, count, &answer);
    CHECK (code == CRMQ_OK && answer && (size_t) answer->accepted == count,
           "ingest: code %d accepted %d of %zu", code, answer? answer->accepted: -1, count);
    if (answer)
        crmq__ingest_reply__free_unpacked (answer, NULL);
    for (size_t i = 0; i < count; i++)
        test_event_destroy (&events [i]);
}

//  Orders and lines of client `id`, as "orders/lines".
static char *
s_holdings (crmq_pg_t *pg, int64_t id)
{
    char text [24];
    snprintf (text, sizeof text, "%" PRId64, id);
    const char *values [1] = { text };
    PGresult *result = crmq_pg_exec (pg,
        "SELECT (SELECT count(*) FROM sales.orders WHERE client_id = $1::bigint) || '/' ||"
        "       (SELECT count(*) FROM sales.order_lines WHERE client_id = $1::bigint)", 1, values);
    char *holdings = strdup (result? PQgetvalue (result, 0, 0): "?");
    PQclear (result);
    return holdings;
}

int
main (void)
{
    crmq_log_init ("test_merge_orders", "error");
    crmq_pg_t *pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_merge_orders");
    crmq_rpc_client_t *sales = crmq_rpc_client_new (test_env ("CRMQ_SALES_ENDPOINT"), 20000, 0);
    crmq_rpc_client_t *contacts = crmq_rpc_client_new (test_env ("CRMQ_CONTACTS_ENDPOINT"), 20000, 0);

    printf ("two clients of the ERP with orders\n");
    Crmq__ErpEvent *master [3] = {
        test_client_event ("merge:client:a", "MRG-A", "Ромашка ООО"),
        test_client_event ("merge:client:b", "MRG-B", "ООО «Ромашка»"),
        test_product_event ("merge:product", "MRG-P", "Chai") };
    s_ingest_all (sales, master, 3);
    Crmq__ErpEvent *orders [3] = {
        test_order_event ("merge:order:1", "MRG-O1", "MRG-A", "MRG-P", 1, 10000),
        test_order_event ("merge:order:2", "MRG-O2", "MRG-B", "MRG-P", 2, 2500),
        test_order_event ("merge:order:3", "MRG-O3", "MRG-B", "MRG-P", 1, 2500) };
    s_ingest_all (sales, orders, 3);
    int64_t survivor = s_client_id (contacts, "MRG-A");
    int64_t merged = s_client_id (contacts, "MRG-B");
    CHECK (survivor > 0 && merged > 0 && survivor != merged, "ids %" PRId64 " %" PRId64, survivor, merged);

    printf ("merge B into A in crmq-contacts\n");
    Crmq__MergeClientsRequest request = CRMQ__MERGE_CLIENTS_REQUEST__INIT;
    request.survivor_id = survivor;
    request.merged_id = merged;
    request.actor = "test";
    uint8_t *body;
    size_t size;
    int code = crmq_rpc_call (contacts, "contacts.MergeClients", &request.base, &body, &size);
    CHECK (code == CRMQ_OK, "MergeClients: code %d %s", code, crmq_rpc_client_message (contacts));
    if (code == CRMQ_OK)
        free (body);

    printf ("crmq-sales moves the orders (within 10 s)\n");
    char *holdings = NULL;
    for (int attempt = 0; attempt < 100; attempt++) {
        zstr_free (&holdings);
        holdings = s_holdings (pg, survivor);
        if (streq (holdings, "3/3"))
            break;
        zclock_sleep (100);
    }
    CHECK (streq (holdings, "3/3"), "survivor holds %s orders/lines", holdings);
    zstr_free (&holdings);
    holdings = s_holdings (pg, merged);
    CHECK (streq (holdings, "0/0"), "merged holds %s", holdings);
    zstr_free (&holdings);
    CHECK (test_count (pg, "SELECT count(*) FROM sales.applied_events"
                           " WHERE topic = 'contacts.client.merged'") >= 1, "applied once recorded");
    test_check_rollups (pg, "after the merge");
    CHECK (test_number (pg, "SELECT sum (orders) FROM sales.client_month_rollups"
                            " WHERE client_id = $1::bigint", test_id_text (survivor), NULL) == 3
           && test_number (pg, "SELECT count (*) FROM sales.client_month_rollups"
                               " WHERE client_id = $1::bigint", test_id_text (merged), NULL) == 0,
           "month rollups: the survivor's orders, the merged client's rows");

    printf ("a later order under the merged client's external id lands on the survivor\n");
    Crmq__ErpEvent *late [1] = { test_order_event ("merge:order:4", "MRG-O4", "MRG-B", "MRG-P", 1, 100) };
    s_ingest_all (sales, late, 1);
    holdings = s_holdings (pg, survivor);
    CHECK (streq (holdings, "4/4"), "survivor holds %s", holdings);
    zstr_free (&holdings);
    CHECK (test_count (pg, "SELECT sum(amount) * 100 FROM sales.orders WHERE external_id LIKE 'MRG-O%'")
           == 10000 + 5000 + 2500 + 100, "amounts unchanged");

    crmq_rpc_client_destroy (&sales);
    crmq_rpc_client_destroy (&contacts);
    crmq_pg_destroy (&pg);
    printf ("test_merge_orders: %s\n", s_failures? "FAIL": "PASS");
    return s_failures? 1: 0;
}

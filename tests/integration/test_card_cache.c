/*  test_card_cache - a client card is cached in Redis and a stale card is
    never served: renaming the client or its manager shows at once, also
    when Redis is flushed or its keys hold cards of older versions.         */
#include "test_support.h"

//  Reads the card of `external_id`; returns "client name|manager name" (caller frees) or NULL.
static char *
s_card (crmq_rpc_client_t *contacts, const char *external_id)
{
    Crmq__GetClientRequest request = CRMQ__GET_CLIENT_REQUEST__INIT;
    request.external_id = (char *) external_id;
    uint8_t *body;
    size_t size;
    if (crmq_rpc_call (contacts, "contacts.GetClient", &request.base, &body, &size) != CRMQ_OK)
        return NULL;
    Crmq__GetClientReply *card = crmq__get_client_reply__unpack (NULL, size, body);
    free (body);
    if (!card)
        return NULL;
    char *text = zsys_sprintf ("%s|%s", card->client->name, card->manager? card->manager->name: "");
    crmq__get_client_reply__free_unpacked (card, NULL);
    return text;
}

//  Sends one event and checks it was accepted.
static void
s_send (crmq_rpc_client_t *sales, Crmq__ErpEvent *event)
{
    Crmq__IngestReply *answer;
    int code = test_ingest (sales, &event, 1, &answer);
    CHECK (code == CRMQ_OK && answer && answer->accepted == 1, "event %s: code %d",
           event->event_id, code);
    if (answer)
        crmq__ingest_reply__free_unpacked (answer, NULL);
    test_event_destroy (&event);
}

static void
s_expect (crmq_rpc_client_t *contacts, const char *expected)
{
    char *card = s_card (contacts, "CARD1");
    CHECK (card && streq (card, expected), "card %s, expected %s", card? card: "(none)", expected);
    zstr_free (&card);
}

int
main (void)
{
    crmq_log_init ("test_card_cache", "error");
    crmq_rpc_client_t *sales = crmq_rpc_client_new (test_env ("CRMQ_SALES_ENDPOINT"), 20000, 0);
    crmq_rpc_client_t *contacts = crmq_rpc_client_new (test_env ("CRMQ_CONTACTS_ENDPOINT"), 20000, 0);
    crmq_redis_t *redis = crmq_redis_new (test_env ("CRMQ_REDIS_URL"));

    s_send (sales, test_manager_event ("card:manager:1", "CARDM", "Анна Петрова"));
    Crmq__ErpEvent *client = test_client_event ("card:client:1", "CARD1", "Alpha «Ромашка»");
    client->client->manager_external_id = strdup ("CARDM");
    s_send (sales, client);

    printf ("read twice: the second read comes from Redis\n");
    s_expect (contacts, "Alpha «Ромашка»|Анна Петрова");
    s_expect (contacts, "Alpha «Ромашка»|Анна Петрова");
    redisReply *keys = crmq_redis_command (redis, "KEYS crmq:contacts:card:*");
    CHECK (keys && keys->type == REDIS_REPLY_ARRAY && keys->elements >= 1, "cards in Redis");
    if (keys)
        freeReplyObject (keys);

    printf ("the client renamed\n");
    client = test_client_event ("card:client:2", "CARD1", "Alpha \"Renamed\"");
    client->client->manager_external_id = strdup ("CARDM");
    s_send (sales, client);
    s_expect (contacts, "Alpha \"Renamed\"|Анна Петрова");

    printf ("its manager renamed\n");
    s_send (sales, test_manager_event ("card:manager:2", "CARDM", "Anna Petrova-Smith"));
    s_expect (contacts, "Alpha \"Renamed\"|Anna Petrova-Smith");

    printf ("Redis flushed\n");
    redisReply *flushed = crmq_redis_command (redis, "FLUSHDB");
    if (flushed)
        freeReplyObject (flushed);
    s_expect (contacts, "Alpha \"Renamed\"|Anna Petrova-Smith");
    s_expect (contacts, "Alpha \"Renamed\"|Anna Petrova-Smith");

    crmq_redis_destroy (&redis);
    crmq_rpc_client_destroy (&sales);
    crmq_rpc_client_destroy (&contacts);
    printf ("test_card_cache: %s\n", s_failures? "FAIL": "PASS");
    return s_failures? 1: 0;
}

/*  client_card.c - client cards; see client_card.h.  */
#include "client_card.h"

//  --------------------------------------------------------------------------
//  contacts.GetClient and contacts.ListClients

static const char *SQL_GET_CLIENT =
    "SELECT " CONTACTS_CLIENT_COLUMNS CONTACTS_CLIENT_FROM " WHERE c.id = $1";

static const char *SQL_LIST_CLIENTS =
    "SELECT " CONTACTS_CLIENT_COLUMNS CONTACTS_CLIENT_FROM " WHERE c.id > $1 ORDER BY c.id LIMIT $2";

static const char *SQL_GET_MANAGER =
    "SELECT m.id, m.external_id, m.name, m.email, m.title, m.supervisor_external_id,"
    "       coalesce(s.id, 0), m.time_zone, m.active"
    "  FROM contacts.managers m"
    "  LEFT JOIN contacts.managers s ON s.external_id = m.supervisor_external_id"
    " WHERE m.id = $1";

//  Reads a card from PostgreSQL and packs it.  Returns CRMQ_OK with *card
//  (caller frees), NOT_FOUND, or -1 on a failed statement.
static int
s_read_card (contacts_server_t *self, int64_t client_id, uint8_t **card, size_t *size)
{
    char id [24];
    snprintf (id, sizeof id, "%" PRId64, client_id);
    const char *values [1] = { id };
    PGresult *client_row = crmq_pg_exec (self->pg, SQL_GET_CLIENT, 1, values);
    if (!client_row)
        return -1;
    if (PQntuples (client_row) == 0) {
        PQclear (client_row);
        return CRMQ_NOT_FOUND;
    }
    Crmq__GetClientReply answer = CRMQ__GET_CLIENT_REPLY__INIT;
    Crmq__Client client;
    contacts_client_from_row (&client, client_row, 0, 0);
    answer.client = &client;

    Crmq__Manager manager = CRMQ__MANAGER__INIT;
    PGresult *manager_row = NULL;
    if (client.manager_id) {
        snprintf (id, sizeof id, "%" PRId64, client.manager_id);
        manager_row = crmq_pg_exec (self->pg, SQL_GET_MANAGER, 1, values);
        if (!manager_row) {
            contacts_client_clear (&client);
            PQclear (client_row);
            return -1;
        }
        if (PQntuples (manager_row)) {
            manager.id = client.manager_id;
            manager.external_id = PQgetvalue (manager_row, 0, 1);
            manager.name = PQgetvalue (manager_row, 0, 2);
            manager.email = PQgetvalue (manager_row, 0, 3);
            manager.title = PQgetvalue (manager_row, 0, 4);
            manager.supervisor_external_id = PQgetvalue (manager_row, 0, 5);
            manager.supervisor_id = strtoll (PQgetvalue (manager_row, 0, 6), NULL, 10);
            manager.time_zone = PQgetvalue (manager_row, 0, 7);
            manager.active = streq (PQgetvalue (manager_row, 0, 8), "t");
            answer.manager = &manager;
        }
    }
    *size = crmq__get_client_reply__get_packed_size (&answer);
    *card = (uint8_t *) malloc (*size? *size: 1);
    crmq__get_client_reply__pack (&answer, *card);
    contacts_client_clear (&client);
    PQclear (manager_row);
    PQclear (client_row);
    return CRMQ_OK;
}

//  The client's id and the versions its card is keyed by ("3:1"), by id ($1)
//  or by external id ($1).
#define CARD_VERSIONS \
    "SELECT c.id, c.version || ':' || coalesce (m.version, 0)" \
    "  FROM contacts.clients c LEFT JOIN contacts.managers m ON m.id = c.manager_id"
static const char *SQL_CARD_VERSIONS_BY_ID = CARD_VERSIONS " WHERE c.id = $1::bigint";
static const char *SQL_CARD_VERSIONS_BY_EXTERNAL_ID = CARD_VERSIONS " WHERE c.external_id = $1";

static int
s_get_client (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__GetClientRequest *request = (Crmq__GetClientRequest *)
        crmq_message_unpack (&crmq__get_client_request__descriptor, body, size);
    if (!request)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, NULL, "malformed GetClientRequest");
    int code;
    char why [64], id [24];
    const char *values [1] = { request->external_id };
    const char *sql = SQL_CARD_VERSIONS_BY_EXTERNAL_ID;
    if (request->id) {
        snprintf (id, sizeof id, "%" PRId64, request->id);
        values [0] = id;
        sql = SQL_CARD_VERSIONS_BY_ID;
    }
    else
    if (!crmq_id_valid (request->external_id, 1, CONTACTS_MAX_ID, why, sizeof why)) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "external_id",
                                 "give id or external_id: external_id %s", why);
        goto done;
    }
    PGresult *result = crmq_pg_exec (self->pg, sql, 1, values);
    if (!result) {
        code = contacts_db_error (self, reply);
        goto done;
    }
    if (PQntuples (result) == 0) {
        PQclear (result);
        code = request->id
             ? crmq_reply_error (reply, CRMQ_NOT_FOUND, "id", "no client with id %s", id)
             : crmq_reply_error (reply, CRMQ_NOT_FOUND, "external_id",
                                 "no client with external id %s", request->external_id);
        goto done;
    }
    int64_t client_id = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    char versions [48];
    snprintf (versions, sizeof versions, "%s", PQgetvalue (result, 0, 1));
    PQclear (result);

    size_t card_size = 0;
    uint8_t *card = client_card_cache_get (self->cards, client_id, versions, &card_size);
    if (!card) {
        int rc = s_read_card (self, client_id, &card, &card_size);
        if (rc < 0) {
            code = contacts_db_error (self, reply);
            goto done;
        }
        if (rc == CRMQ_NOT_FOUND) {         //  deleted since the versions were read
            code = crmq_reply_error (reply, CRMQ_NOT_FOUND, "id",
                                     "no client with id %" PRId64, client_id);
            goto done;
        }
        client_card_cache_put (self->cards, client_id, versions, card, card_size);
    }
    Crmq__GetClientReply *answer = crmq__get_client_reply__unpack (NULL, card_size, card);
    free (card);
    if (!answer) {
        code = crmq_reply_error (reply, CRMQ_INTERNAL, NULL, "unreadable cached card");
        goto done;
    }
    code = crmq_reply_ok (reply, &answer->base);
    crmq__get_client_reply__free_unpacked (answer, NULL);
done:
    crmq_message_free (&request->base);
    return code;
}

static int
s_list_clients (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__ListClientsRequest *request = (Crmq__ListClientsRequest *)
        crmq_message_unpack (&crmq__list_clients_request__descriptor, body, size);
    if (!request)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, NULL, "malformed ListClientsRequest");
    int code;
    int limit = request->limit? request->limit: 100;
    if (limit < 1 || limit > 1000 || request->after_id < 0) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "limit",
                                 "limit must be 1..1000 and after_id >= 0");
        goto done;
    }
    char after [24], count [16];
    snprintf (after, sizeof after, "%" PRId64, request->after_id);
    snprintf (count, sizeof count, "%d", limit + 1);     //  one more tells if there are more
    const char *values [2] = { after, count };
    PGresult *result = crmq_pg_exec (self->pg, SQL_LIST_CLIENTS, 2, values);
    if (!result) {
        code = contacts_db_error (self, reply);
        goto done;
    }
    int rows = PQntuples (result);
    bool more = rows > limit;
    if (more)
        rows = limit;
    Crmq__Client *clients = (Crmq__Client *) zmalloc ((rows? rows: 1) * sizeof (Crmq__Client));
    Crmq__Client **pointers = (Crmq__Client **) zmalloc ((rows? rows: 1) * sizeof (Crmq__Client *));
    for (int row = 0; row < rows; row++) {
        contacts_client_from_row (&clients [row], result, row, 0);
        pointers [row] = &clients [row];
    }
    Crmq__ListClientsReply answer = CRMQ__LIST_CLIENTS_REPLY__INIT;
    answer.n_clients = (size_t) rows;
    answer.clients = pointers;
    answer.next_after_id = more? clients [rows - 1].id: 0;
    code = crmq_reply_ok (reply, &answer.base);
    for (int row = 0; row < rows; row++)
        contacts_client_clear (&clients [row]);
    free (pointers);
    free (clients);
    PQclear (result);
done:
    crmq_message_free (&request->base);
    return code;
}

const crmq_rpc_method_t client_card_methods [] = {
    { "contacts.GetClient", s_get_client },
    { "contacts.ListClients", s_list_clients },
    { NULL, NULL }
};

/*  contacts_server.c - request handlers of crmq-contacts; see contacts_server.h.  */
#include "contacts_server.h"
#include "client_card_cache.h"

#define MAX_UPSERT      10000           //  clients or managers in one request
#define MAX_NAME        300             //  bytes
#define MAX_ID          100             //  bytes of an external id
#define MAX_FIELD       1000            //  bytes of any other text field

typedef struct {
    crmq_pg_t *pg;
    client_card_cache_t *cards;
} contacts_server_t;

void *
contacts_server_new (crmq_service_t *service)
{
    contacts_server_t *self = (contacts_server_t *) zmalloc (sizeof (contacts_server_t));
    self->pg = crmq_service_pg (service);
    self->cards = client_card_cache_new (crmq_service_redis (service),
        (int) crmq_config_int (crmq_service_config (service), "card_cache_ttl_s"));
    return self;
}

void
contacts_server_destroy (void **self_p)
{
    contacts_server_t *self = (contacts_server_t *) *self_p;
    if (self) {
        client_card_cache_destroy (&self->cards);
        free (self);
        *self_p = NULL;
    }
}

//  Checks one text field; on failure fills the reply with INVALID_ARGUMENT
//  naming "<prefix>[index].<name>" and returns false.
static bool
s_check (crmq_reply_t *reply, const char *prefix, size_t index, const char *name,
         const char *value, size_t min_bytes, size_t max_bytes)
{
    char why [64];
    //  identifiers ("external_id", "manager_external_id"...) admit no control characters
    bool identifier = strstr (name, "external_id") != NULL;
    if (identifier? crmq_id_valid (value, min_bytes, max_bytes, why, sizeof why)
                  : crmq_text_valid (value, min_bytes, max_bytes, why, sizeof why))
        return true;
    char field [96];
    snprintf (field, sizeof field, "%s[%zu].%s", prefix, index, name);
    crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field, "%s %s", field, why);
    return false;
}

//  A failed statement: the reply carries the mapped status and the database's
//  message, and the transaction body reports the code.
static int
s_db_error (contacts_server_t *self, crmq_reply_t *reply)
{
    return crmq_reply_error (reply, crmq_pg_status (self->pg), NULL, "%s",
                             crmq_pg_error (self->pg));
}

//  --------------------------------------------------------------------------
//  contacts.UpsertManagers

static const char *SQL_UPSERT_MANAGER =
    "INSERT INTO contacts.managers AS m"
    "  (external_id, name, email, title, supervisor_external_id, time_zone, active)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7::boolean)"
    " ON CONFLICT (external_id) DO UPDATE SET"
    "  name = EXCLUDED.name, email = EXCLUDED.email, title = EXCLUDED.title,"
    "  supervisor_external_id = EXCLUDED.supervisor_external_id,"
    "  time_zone = EXCLUDED.time_zone, active = EXCLUDED.active, updated_at = now(),"
    "  version = m.version + 1"
    " WHERE (m.name, m.email, m.title, m.supervisor_external_id, m.time_zone, m.active)"
    "  IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.email, EXCLUDED.title,"
    "  EXCLUDED.supervisor_external_id, EXCLUDED.time_zone, EXCLUDED.active)"
    " RETURNING id";

static const char *SQL_MANAGER_ID =
    "SELECT id FROM contacts.managers WHERE external_id = $1";

typedef struct {
    contacts_server_t *self;
    Crmq__UpsertManagersRequest *request;
    int64_t *ids;
    crmq_reply_t *reply;
} upsert_managers_t;

//  Runs `upsert` (whose parameter $1 is the external id); when it returned no
//  row because nothing changed, reads the id with `select`.  Returns the id,
//  0 when `select` finds none either, or -1 on a failed statement.
static int64_t
s_upsert_id (crmq_pg_t *pg, const char *upsert, const char *select, int nparams,
             const char *const *values)
{
    PGresult *result = crmq_pg_exec (pg, upsert, nparams, values);
    if (!result)
        return -1;
    if (PQntuples (result) == 0) {
        PQclear (result);
        result = crmq_pg_exec (pg, select, 1, values);
        if (!result)
            return -1;
    }
    int64_t id = PQntuples (result)? strtoll (PQgetvalue (result, 0, 0), NULL, 10): 0;
    PQclear (result);
    return id;
}

static int
s_upsert_managers_tx (crmq_pg_t *pg, void *arg)
{
    upsert_managers_t *job = (upsert_managers_t *) arg;
    for (size_t i = 0; i < job->request->n_managers; i++) {
        Crmq__Manager *m = job->request->managers [i];
        const char *values [7] = { m->external_id, m->name, m->email, m->title,
                                   m->supervisor_external_id, m->time_zone,
                                   m->active? "true": "false" };
        job->ids [i] = s_upsert_id (pg, SQL_UPSERT_MANAGER, SQL_MANAGER_ID, 7, values);
        if (job->ids [i] < 0)
            return -1;
    }
    return 0;
}

static int
s_upsert_managers (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__UpsertManagersRequest *request = (Crmq__UpsertManagersRequest *)
        crmq_message_unpack (&crmq__upsert_managers_request__descriptor, body, size);
    if (!request)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, NULL, "malformed UpsertManagersRequest");
    int code = CRMQ_OK;
    if (request->n_managers == 0 || request->n_managers > MAX_UPSERT) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "managers",
                                 "managers: 1 to %d per request", MAX_UPSERT);
        goto done;
    }
    for (size_t i = 0; i < request->n_managers; i++) {
        Crmq__Manager *m = request->managers [i];
        if (!s_check (reply, "managers", i, "external_id", m->external_id, 1, MAX_ID)
        ||  !s_check (reply, "managers", i, "name", m->name, 1, MAX_NAME)
        ||  !s_check (reply, "managers", i, "email", m->email, 0, MAX_FIELD)
        ||  !s_check (reply, "managers", i, "title", m->title, 0, MAX_FIELD)
        ||  !s_check (reply, "managers", i, "supervisor_external_id", m->supervisor_external_id, 0, MAX_ID)
        ||  !s_check (reply, "managers", i, "time_zone", m->time_zone, 0, 64)) {
            code = CRMQ_INVALID_ARGUMENT;
            goto done;
        }
    }
    int64_t *ids = (int64_t *) zmalloc (request->n_managers * sizeof (int64_t));
    upsert_managers_t job = { self, request, ids, reply };
    int rc = crmq_pg_transaction (self->pg, s_upsert_managers_tx, &job);
    if (rc != 0)
        code = s_db_error (self, reply);
    else {
        Crmq__UpsertManagersReply answer = CRMQ__UPSERT_MANAGERS_REPLY__INIT;
        answer.n_ids = request->n_managers;
        answer.ids = ids;
        code = crmq_reply_ok (reply, &answer.base);
    }
    free (ids);
done:
    crmq_message_free (&request->base);
    return code;
}

//  --------------------------------------------------------------------------
//  contacts.UpsertClients

static const char *SQL_UPSERT_CLIENT =
    "INSERT INTO contacts.clients AS c"
    "  (external_id, name, legal_name, country, region, city, address, postal_code,"
    "   phone, email, category, source, manager_id)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::bigint)"
    " ON CONFLICT (external_id) DO UPDATE SET"
    "  name = EXCLUDED.name, legal_name = EXCLUDED.legal_name, country = EXCLUDED.country,"
    "  region = EXCLUDED.region, city = EXCLUDED.city, address = EXCLUDED.address,"
    "  postal_code = EXCLUDED.postal_code, phone = EXCLUDED.phone, email = EXCLUDED.email,"
    "  category = EXCLUDED.category, source = EXCLUDED.source,"
    "  manager_id = EXCLUDED.manager_id, updated_at = now(), version = c.version + 1"
    " WHERE (c.name, c.legal_name, c.country, c.region, c.city, c.address, c.postal_code,"
    "        c.phone, c.email, c.category, c.source, c.manager_id)"
    "  IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.legal_name, EXCLUDED.country,"
    "        EXCLUDED.region, EXCLUDED.city, EXCLUDED.address, EXCLUDED.postal_code,"
    "        EXCLUDED.phone, EXCLUDED.email, EXCLUDED.category, EXCLUDED.source,"
    "        EXCLUDED.manager_id)"
    " RETURNING id";

static const char *SQL_CLIENT_ID =
    "SELECT id FROM contacts.clients WHERE external_id = $1";

typedef struct {
    contacts_server_t *self;
    Crmq__UpsertClientsRequest *request;
    int64_t *ids;
    crmq_reply_t *reply;
} upsert_clients_t;

static int
s_upsert_clients_tx (crmq_pg_t *pg, void *arg)
{
    upsert_clients_t *job = (upsert_clients_t *) arg;
    for (size_t i = 0; i < job->request->n_clients; i++) {
        Crmq__Client *c = job->request->clients [i];
        char manager_id [24] = "";
        if (*c->manager_external_id) {
            const char *values [1] = { c->manager_external_id };
            PGresult *result = crmq_pg_exec (pg, SQL_MANAGER_ID, 1, values);
            if (!result)
                return -1;
            if (PQntuples (result) == 0) {
                PQclear (result);
                char field [64];
                snprintf (field, sizeof field, "clients[%zu].manager_external_id", i);
                return crmq_reply_error (job->reply, CRMQ_NOT_FOUND, field,
                                         "unknown manager %s", c->manager_external_id);
            }
            snprintf (manager_id, sizeof manager_id, "%s", PQgetvalue (result, 0, 0));
            PQclear (result);
        }
        const char *values [13] = {
            c->external_id, c->name, c->legal_name, c->country, c->region, c->city,
            c->address, c->postal_code, c->phone, c->email, c->category, c->source,
            *manager_id? manager_id: NULL };
        job->ids [i] = s_upsert_id (pg, SQL_UPSERT_CLIENT, SQL_CLIENT_ID, 13, values);
        if (job->ids [i] < 0)
            return -1;
    }
    return 0;
}

static int
s_upsert_clients (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__UpsertClientsRequest *request = (Crmq__UpsertClientsRequest *)
        crmq_message_unpack (&crmq__upsert_clients_request__descriptor, body, size);
    if (!request)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, NULL, "malformed UpsertClientsRequest");
    int code = CRMQ_OK;
    if (request->n_clients == 0 || request->n_clients > MAX_UPSERT) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "clients",
                                 "clients: 1 to %d per request", MAX_UPSERT);
        goto done;
    }
    for (size_t i = 0; i < request->n_clients; i++) {
        Crmq__Client *c = request->clients [i];
        const char *names [] = { "legal_name", "country", "region", "city", "address",
                                 "postal_code", "phone", "email", "category", "source" };
        const char *values [] = { c->legal_name, c->country, c->region, c->city, c->address,
                                  c->postal_code, c->phone, c->email, c->category, c->source };
        bool valid = s_check (reply, "clients", i, "external_id", c->external_id, 1, MAX_ID)
                  && s_check (reply, "clients", i, "name", c->name, 1, MAX_NAME)
                  && s_check (reply, "clients", i, "manager_external_id",
                              c->manager_external_id, 0, MAX_ID);
        for (size_t f = 0; valid && f < sizeof names / sizeof names [0]; f++)
            valid = s_check (reply, "clients", i, names [f], values [f], 0, MAX_FIELD);
        if (!valid) {
            code = CRMQ_INVALID_ARGUMENT;
            goto done;
        }
    }
    int64_t *ids = (int64_t *) zmalloc (request->n_clients * sizeof (int64_t));
    upsert_clients_t job = { self, request, ids, reply };
    int rc = crmq_pg_transaction (self->pg, s_upsert_clients_tx, &job);
    if (rc < 0)
        code = s_db_error (self, reply);
    else
    if (rc > 0)
        code = rc;
    else {
        Crmq__UpsertClientsReply answer = CRMQ__UPSERT_CLIENTS_REPLY__INIT;
        answer.n_ids = request->n_clients;
        answer.ids = ids;
        code = crmq_reply_ok (reply, &answer.base);
    }
    free (ids);
done:
    crmq_message_free (&request->base);
    return code;
}

//  --------------------------------------------------------------------------
//  contacts.GetClient and contacts.ListClients

#define CLIENT_COLUMNS \
    "c.id, c.external_id, c.name, c.legal_name, c.country, c.region, c.city, c.address," \
    " c.postal_code, c.phone, c.email, c.category, c.source, coalesce(c.manager_id, 0)," \
    " (extract(epoch FROM c.created_at) * 1000000)::bigint," \
    " (extract(epoch FROM c.updated_at) * 1000000)::bigint," \
    " coalesce(m.external_id, '')"

static const char *SQL_GET_CLIENT =
    "SELECT " CLIENT_COLUMNS
    "  FROM contacts.clients c LEFT JOIN contacts.managers m ON m.id = c.manager_id"
    " WHERE c.id = $1";

static const char *SQL_LIST_CLIENTS =
    "SELECT " CLIENT_COLUMNS
    "  FROM contacts.clients c LEFT JOIN contacts.managers m ON m.id = c.manager_id"
    " WHERE c.id > $1 ORDER BY c.id LIMIT $2";

static const char *SQL_GET_MANAGER =
    "SELECT m.id, m.external_id, m.name, m.email, m.title, m.supervisor_external_id,"
    "       coalesce(s.id, 0), m.time_zone, m.active"
    "  FROM contacts.managers m"
    "  LEFT JOIN contacts.managers s ON s.external_id = m.supervisor_external_id"
    " WHERE m.id = $1";

//  Fills `client` from row `row` of a CLIENT_COLUMNS result; the strings point
//  into `result`, which must outlive the message.
static void
s_client_from_row (Crmq__Client *client, PGresult *result, int row)
{
    crmq__client__init (client);
    client->id = strtoll (PQgetvalue (result, row, 0), NULL, 10);
    client->external_id = PQgetvalue (result, row, 1);
    client->name = PQgetvalue (result, row, 2);
    client->legal_name = PQgetvalue (result, row, 3);
    client->country = PQgetvalue (result, row, 4);
    client->region = PQgetvalue (result, row, 5);
    client->city = PQgetvalue (result, row, 6);
    client->address = PQgetvalue (result, row, 7);
    client->postal_code = PQgetvalue (result, row, 8);
    client->phone = PQgetvalue (result, row, 9);
    client->email = PQgetvalue (result, row, 10);
    client->category = PQgetvalue (result, row, 11);
    client->source = PQgetvalue (result, row, 12);
    client->manager_id = strtoll (PQgetvalue (result, row, 13), NULL, 10);
    client->created_at_us = strtoll (PQgetvalue (result, row, 14), NULL, 10);
    client->updated_at_us = strtoll (PQgetvalue (result, row, 15), NULL, 10);
    client->manager_external_id = PQgetvalue (result, row, 16);
}

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
    s_client_from_row (&client, client_row, 0);
    answer.client = &client;

    Crmq__Manager manager = CRMQ__MANAGER__INIT;
    PGresult *manager_row = NULL;
    if (client.manager_id) {
        snprintf (id, sizeof id, "%" PRId64, client.manager_id);
        manager_row = crmq_pg_exec (self->pg, SQL_GET_MANAGER, 1, values);
        if (!manager_row) {
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
    if (!crmq_id_valid (request->external_id, 1, MAX_ID, why, sizeof why)) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "external_id",
                                 "give id or external_id: external_id %s", why);
        goto done;
    }
    PGresult *result = crmq_pg_exec (self->pg, sql, 1, values);
    if (!result) {
        code = s_db_error (self, reply);
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
            code = s_db_error (self, reply);
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
        code = s_db_error (self, reply);
        goto done;
    }
    int rows = PQntuples (result);
    bool more = rows > limit;
    if (more)
        rows = limit;
    Crmq__Client *clients = (Crmq__Client *) zmalloc ((rows? rows: 1) * sizeof (Crmq__Client));
    Crmq__Client **pointers = (Crmq__Client **) zmalloc ((rows? rows: 1) * sizeof (Crmq__Client *));
    for (int row = 0; row < rows; row++) {
        s_client_from_row (&clients [row], result, row);
        pointers [row] = &clients [row];
    }
    Crmq__ListClientsReply answer = CRMQ__LIST_CLIENTS_REPLY__INIT;
    answer.n_clients = (size_t) rows;
    answer.clients = pointers;
    answer.next_after_id = more? clients [rows - 1].id: 0;
    code = crmq_reply_ok (reply, &answer.base);
    free (pointers);
    free (clients);
    PQclear (result);
done:
    crmq_message_free (&request->base);
    return code;
}

const crmq_rpc_method_t contacts_server_methods [] = {
    { "contacts.UpsertClients", s_upsert_clients },
    { "contacts.UpsertManagers", s_upsert_managers },
    { "contacts.GetClient", s_get_client },
    { "contacts.ListClients", s_list_clients },
    { NULL, NULL }
};

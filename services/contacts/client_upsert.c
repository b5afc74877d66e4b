/*  client_upsert.c - master data from the ERP: clients and managers created
    or updated by external id; see client_upsert.h.  */
#include "client_upsert.h"
#include "crmq_phone.h"

//  --------------------------------------------------------------------------
//  The shape both upserts share

//  Checks item `index` of the batch of `request`; on failure fills the reply (3).
typedef bool (s_item_check_fn) (crmq_reply_t *reply, const void *request, size_t index);

//  A batch of managers or clients to upsert, as its transaction body sees it.
typedef struct {
    contacts_server_t *self;
    const void *request;                //  Crmq__UpsertManagersRequest or ...ClientsRequest
    size_t count;                       //  its managers or clients
    int64_t *ids;                       //  out: the id of each item
    crmq_reply_t *reply;
} upsert_t;

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

//  Checks the batch of `request` (`name`: "managers" or "clients", `count`
//  of them, 1..CONTACTS_MAX_BATCH, each checked with `check`) and writes it
//  in one transaction with `tx` (whose argument is the upsert_t).  Returns 0
//  with *ids (one per item, caller frees) for the caller to reply, or the
//  status replied.
static int
s_upsert (contacts_server_t *self, crmq_reply_t *reply, const char *name, const void *request,
          size_t count, s_item_check_fn *check, crmq_pg_tx_fn *tx, int64_t **ids)
{
    *ids = NULL;
    if (count == 0 || count > CONTACTS_MAX_BATCH)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, name,
                                 "%s: 1 to %d per request", name, CONTACTS_MAX_BATCH);
    for (size_t i = 0; i < count; i++)
        if (!check (reply, request, i))
            return CRMQ_INVALID_ARGUMENT;
    upsert_t job = { self, request, count, (int64_t *) zmalloc (count * sizeof (int64_t)), reply };
    int code = contacts_transaction (self, tx, &job, reply);
    if (code == 0)
        *ids = job.ids;
    else
        free (job.ids);
    return code;
}

//  Checks the name `name` of item `index` of the batch `prefix` with
//  contacts_check_name (field "<prefix>[index].<name>").
static bool
s_name_check (crmq_reply_t *reply, const char *prefix, size_t index, const char *name,
              const char *value, size_t min_bytes, size_t max_bytes)
{
    char field [128];
    snprintf (field, sizeof field, "%s[%zu].%s", prefix, index, name);
    return contacts_check_name (reply, field, value, min_bytes, max_bytes);
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

static bool
s_manager_check (crmq_reply_t *reply, const void *request, size_t i)
{
    const Crmq__Manager *m = ((const Crmq__UpsertManagersRequest *) request)->managers [i];
    return contacts_check_item (reply, "managers", i, "external_id", m->external_id, 1, CONTACTS_MAX_ID)
        && s_name_check (reply, "managers", i, "name", m->name, 1, CONTACTS_MAX_NAME)
        && contacts_check_item (reply, "managers", i, "email", m->email, 0, CONTACTS_MAX_FIELD)
        && contacts_check_item (reply, "managers", i, "title", m->title, 0, CONTACTS_MAX_FIELD)
        && contacts_check_item (reply, "managers", i, "supervisor_external_id", m->supervisor_external_id, 0, CONTACTS_MAX_ID)
        && contacts_check_item (reply, "managers", i, "time_zone", m->time_zone, 0, 64);
}

static int
s_upsert_managers_tx (crmq_pg_t *pg, void *arg)
{
    upsert_t *job = (upsert_t *) arg;
    if (contacts_set_actor (pg, "erp") != 0)
        return -1;
    for (size_t i = 0; i < job->count; i++) {
        const Crmq__Manager *m = ((const Crmq__UpsertManagersRequest *) job->request)->managers [i];
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
    Crmq__UpsertManagersRequest *request = (Crmq__UpsertManagersRequest *)
        contacts_request_unpack (&crmq__upsert_managers_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int64_t *ids;
    int code = s_upsert ((contacts_server_t *) state, reply, "managers", request, request->n_managers,
                         s_manager_check, s_upsert_managers_tx, &ids);
    if (code == 0) {
        Crmq__UpsertManagersReply answer = CRMQ__UPSERT_MANAGERS_REPLY__INIT;
        answer.n_ids = request->n_managers;
        answer.ids = ids;
        code = crmq_reply_ok (reply, &answer.base);
    }
    free (ids);
    crmq_message_free (&request->base);
    return code;
}

//  --------------------------------------------------------------------------
//  contacts.UpsertClients

//  An optional field of a client as the ERP sends it: an empty value keeps
//  the stored one (what a user may have entered in crmq), any other wins.
#define ERP_KEEP(column) "coalesce (nullif (EXCLUDED." column ", ''), c." column ")"
#define ERP_NEW_VALUES \
    " (EXCLUDED.name, " ERP_KEEP ("legal_name") ", " ERP_KEEP ("country") ", " ERP_KEEP ("region") "," \
    "  " ERP_KEEP ("city") ", " ERP_KEEP ("address") ", " ERP_KEEP ("postal_code") "," \
    "  " ERP_KEEP ("phone") ", " ERP_KEEP ("email") ", " ERP_KEEP ("category") "," \
    "  " ERP_KEEP ("source") ", coalesce (EXCLUDED.manager_id, c.manager_id), EXCLUDED.phone_e164)"

//  $13 the manager's id or NULL (none sent: the stored one stays); $14 the
//  E.164 form of the phone the row ends with, in the country it ends with
//  (s_client_e164), '' when it has none.  A row whose values all stay is
//  not written: no new version, no audit entry.
static const char *SQL_UPSERT_CLIENT =
    "INSERT INTO contacts.clients AS c"
    "  (external_id, name, legal_name, country, region, city, address, postal_code,"
    "   phone, email, category, source, manager_id, phone_e164)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::bigint, $14)"
    " ON CONFLICT (external_id) DO UPDATE SET"
    "  (name, legal_name, country, region, city, address, postal_code, phone, email,"
    "   category, source, manager_id, phone_e164) =" ERP_NEW_VALUES ","
    "  updated_at = now(), version = c.version + 1"
    " WHERE (c.name, c.legal_name, c.country, c.region, c.city, c.address, c.postal_code,"
    "        c.phone, c.email, c.category, c.source, c.manager_id, c.phone_e164)"
    "  IS DISTINCT FROM" ERP_NEW_VALUES
    " RETURNING id";

//  The stored country and phone of the client an ERP event updates, locked
//  (as UpdateClient locks it) so that both stay what the phone's E.164 form
//  is computed from.
static const char *SQL_CLIENT_STORED =
    "SELECT country, phone FROM contacts.clients WHERE external_id = $1 FOR UPDATE";

static const char *SQL_CLIENT_ID =
    "SELECT id FROM contacts.clients WHERE external_id = $1";

//  The E.164 form of the phone client `c` ends with after the upsert, in
//  the country it ends with (each the sent value, or the stored one when
//  the ERP sent none; contacts_phone_e164), into e164 (CRMQ_PHONE_E164_MAX
//  bytes): an ERP's phone is kept as sent, its E.164 form only when it has
//  one, else "".  Returns 0, or -1 on a failed statement.
static int
s_client_e164 (crmq_pg_t *pg, contacts_server_t *self, const Crmq__Client *c, char *e164)
{
    char country [CONTACTS_MAX_FIELD + 1], phone [CONTACTS_MAX_FIELD + 1];
    snprintf (country, sizeof country, "%s", c->country);
    snprintf (phone, sizeof phone, "%s", c->phone);
    if (!*country || !*phone) {
        const char *values [1] = { c->external_id };
        PGresult *result = crmq_pg_exec (pg, SQL_CLIENT_STORED, 1, values);
        if (!result)
            return -1;
        if (PQntuples (result)) {
            if (!*country)
                snprintf (country, sizeof country, "%s", PQgetvalue (result, 0, 0));
            if (!*phone)
                snprintf (phone, sizeof phone, "%s", PQgetvalue (result, 0, 1));
        }
        PQclear (result);
    }
    e164 [0] = 0;
    if (*phone && contacts_phone_e164 (self, country, phone, e164, CRMQ_PHONE_E164_MAX) != 0)
        e164 [0] = 0;
    return 0;
}

static bool
s_client_check (crmq_reply_t *reply, const void *request, size_t i)
{
    const Crmq__Client *c = ((const Crmq__UpsertClientsRequest *) request)->clients [i];
    const char *names [] = { "country", "region", "city", "address",
                             "postal_code", "phone", "email", "category", "source" };
    const char *values [] = { c->country, c->region, c->city, c->address,
                              c->postal_code, c->phone, c->email, c->category, c->source };
    bool valid = contacts_check_item (reply, "clients", i, "external_id", c->external_id, 1, CONTACTS_MAX_ID)
              && s_name_check (reply, "clients", i, "name", c->name, 1, CONTACTS_MAX_NAME)
              && s_name_check (reply, "clients", i, "legal_name", c->legal_name, 0, CONTACTS_MAX_FIELD)
              && contacts_check_item (reply, "clients", i, "manager_external_id",
                                      c->manager_external_id, 0, CONTACTS_MAX_ID);
    for (size_t f = 0; valid && f < sizeof names / sizeof names [0]; f++)
        valid = contacts_check_item (reply, "clients", i, names [f], values [f], 0, CONTACTS_MAX_FIELD);
    return valid;
}

static int
s_upsert_clients_tx (crmq_pg_t *pg, void *arg)
{
    upsert_t *job = (upsert_t *) arg;
    if (contacts_set_actor (pg, "erp") != 0)
        return -1;
    for (size_t i = 0; i < job->count; i++) {
        const Crmq__Client *c = ((const Crmq__UpsertClientsRequest *) job->request)->clients [i];
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
        char e164 [CRMQ_PHONE_E164_MAX];
        if (s_client_e164 (pg, job->self, c, e164) != 0)
            return -1;
        const char *values [14] = {
            c->external_id, c->name, c->legal_name, c->country, c->region, c->city,
            c->address, c->postal_code, c->phone, c->email, c->category, c->source,
            *manager_id? manager_id: NULL, e164 };
        job->ids [i] = s_upsert_id (pg, SQL_UPSERT_CLIENT, SQL_CLIENT_ID, 14, values);
        if (job->ids [i] < 0)
            return -1;
    }
    return 0;
}

static int
s_upsert_clients (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    Crmq__UpsertClientsRequest *request = (Crmq__UpsertClientsRequest *)
        contacts_request_unpack (&crmq__upsert_clients_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int64_t *ids;
    int code = s_upsert ((contacts_server_t *) state, reply, "clients", request, request->n_clients,
                         s_client_check, s_upsert_clients_tx, &ids);
    if (code == 0) {
        Crmq__UpsertClientsReply answer = CRMQ__UPSERT_CLIENTS_REPLY__INIT;
        answer.n_ids = request->n_clients;
        answer.ids = ids;
        code = crmq_reply_ok (reply, &answer.base);
    }
    free (ids);
    crmq_message_free (&request->base);
    return code;
}

const crmq_rpc_method_t client_upsert_methods [] = {
    { "contacts.UpsertClients", s_upsert_clients },
    { "contacts.UpsertManagers", s_upsert_managers },
    { NULL, NULL }
};

/*  client_upsert.c - master data from the ERP: clients, managers and
    contact persons created or updated by the ERP's ids; see client_upsert.h.  */
#include "client_upsert.h"
#include "crmq_phone.h"
#include "channel_store.h"

//  --------------------------------------------------------------------------
//  The shape the upserts share

//  Checks item `index` of the batch of `request`; on failure fills the reply (3).
typedef bool (s_item_check_fn) (crmq_reply_t *reply, const void *request, size_t index);

//  A batch of managers, clients or persons to upsert, as its transaction
//  body sees it.
typedef struct {
    contacts_server_t *self;
    const void *request;                //  Crmq__UpsertManagersRequest, ...ClientsRequest, ...PersonsRequest
    size_t count;                       //  its managers, clients or persons
    int64_t *ids;                       //  out: the id of each item
    crmq_reply_t *reply;
} upsert_t;

//  Runs `upsert` (whose first `nkey` parameters are the row's key); when it
//  returned no row because nothing changed, reads the id with `select`,
//  which takes the key.  Returns the id, 0 when `select` finds none either,
//  or -1 on a failed statement.
static int64_t
s_upsert_id (crmq_pg_t *pg, const char *upsert, const char *select, int nkey, int nparams,
             const char *const *values)
{
    PGresult *result = crmq_pg_exec (pg, upsert, nparams, values);
    if (!result)
        return -1;
    if (PQntuples (result) == 0) {
        PQclear (result);
        result = crmq_pg_exec (pg, select, nkey, values);
        if (!result)
            return -1;
    }
    int64_t id = PQntuples (result)? strtoll (PQgetvalue (result, 0, 0), NULL, 10): 0;
    PQclear (result);
    return id;
}

//  Checks the batch of `request` (`name`: "managers", "clients" or "persons", `count`
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

//  One upsert method: its request, `repeated <item> <name> = 1`, and its
//  reply, `repeated int64 ids = 1`, each item checked with `check` and the
//  batch written with `tx`.
typedef struct {
    const ProtobufCMessageDescriptor *request_type;
    const ProtobufCMessageDescriptor *reply_type;
    const char *name;                   //  "managers", "clients", "persons"
    s_item_check_fn *check;
    crmq_pg_tx_fn *tx;
} upsert_method_t;

//  Handles a request of `method`: unpacks it, upserts its items (s_upsert)
//  and replies their ids in request order.  The requests and replies share
//  their layout, so the count and the ids are reached through the first
//  field of each message's descriptor.  Returns the reply's code.
static int
s_upsert_method (contacts_server_t *self, const upsert_method_t *method, const uint8_t *body,
                 size_t size, crmq_reply_t *reply)
{
    ProtobufCMessage *request = contacts_request_unpack (method->request_type, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    size_t count = *(const size_t *) ((const char *) request
                                      + method->request_type->fields [0].quantifier_offset);
    int64_t *ids;
    int code = s_upsert (self, reply, method->name, request, count, method->check, method->tx, &ids);
    if (code == 0) {
        const ProtobufCMessageDescriptor *type = method->reply_type;
        ProtobufCMessage *answer = (ProtobufCMessage *) zmalloc (type->sizeof_message);
        protobuf_c_message_init (type, answer);
        *(size_t *) ((char *) answer + type->fields [0].quantifier_offset) = count;
        *(int64_t **) ((char *) answer + type->fields [0].offset) = ids;
        code = crmq_reply_ok (reply, answer);
        free (answer);
    }
    free (ids);
    crmq_message_free (request);
    return code;
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
        job->ids [i] = s_upsert_id (pg, SQL_UPSERT_MANAGER, SQL_MANAGER_ID, 1, 7, values);
        if (job->ids [i] < 0)
            return -1;
    }
    return 0;
}

static int
s_upsert_managers (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    static const upsert_method_t method = {
        &crmq__upsert_managers_request__descriptor, &crmq__upsert_managers_reply__descriptor,
        "managers", s_manager_check, s_upsert_managers_tx };
    return s_upsert_method ((contacts_server_t *) state, &method, body, size, reply);
}

//  --------------------------------------------------------------------------
//  contacts.UpsertClients

//  An optional field of a client (or, with ERP_KEEP_IN, of the row `row`)
//  as the ERP sends it: an empty value keeps the stored one (what a user
//  may have entered in crmq), any other wins.
#define ERP_KEEP_IN(row, column) "coalesce (nullif (EXCLUDED." column ", ''), " row "." column ")"
#define ERP_KEEP(column) ERP_KEEP_IN ("c", column)
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
        job->ids [i] = s_upsert_id (pg, SQL_UPSERT_CLIENT, SQL_CLIENT_ID, 1, 14, values);
        if (job->ids [i] < 0)
            return -1;
    }
    return 0;
}

static int
s_upsert_clients (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    static const upsert_method_t method = {
        &crmq__upsert_clients_request__descriptor, &crmq__upsert_clients_reply__descriptor,
        "clients", s_client_check, s_upsert_clients_tx };
    return s_upsert_method ((contacts_server_t *) state, &method, body, size, reply);
}

//  --------------------------------------------------------------------------
//  contacts.UpsertPersons

//  Where the person the ERP names lives: $1 the client row its client
//  external id names (merged or not), $2 its external id.  The client of
//  the person when it exists (a merge may have moved it), else the
//  survivor of that client (itself when never merged).
static const char *SQL_PERSON_HOME =
    CONTACTS_MERGE_CHAIN ("SELECT $1::bigint, 0")
    " SELECT coalesce ((SELECT p.client_id FROM contacts.persons p"
    "                    WHERE p.erp_client_id = $1::bigint AND p.external_id = $2::text),"
    "                  (SELECT id FROM chain ORDER BY depth DESC LIMIT 1))";

//  A person's name and active flag always come from the ERP; an empty
//  position keeps the stored one.
#define PERSON_NEW_VALUES " (EXCLUDED.name, " ERP_KEEP_IN ("p", "position") ", EXCLUDED.active)"

//  $1 erp_client_id, $2 external_id, $3 client_id (the home), $4 name,
//  $5 position, $6 active.  A person whose values all stay is not written.
static const char *SQL_UPSERT_PERSON =
    "INSERT INTO contacts.persons AS p (erp_client_id, external_id, client_id, name, position, active)"
    " VALUES ($1::bigint, $2, $3::bigint, $4, $5, $6::boolean)"
    " ON CONFLICT (erp_client_id, external_id) DO UPDATE SET"
    "  (name, position, active) =" PERSON_NEW_VALUES ", updated_at = now ()"
    " WHERE (p.name, p.position, p.active) IS DISTINCT FROM" PERSON_NEW_VALUES
    " RETURNING id";

static const char *SQL_PERSON_ID =
    "SELECT id FROM contacts.persons WHERE erp_client_id = $1::bigint AND external_id = $2";

//  How many merges may move a person's client while one upsert waits for it.
#define PERSON_HOME_TRIES 64

static bool
s_person_check (crmq_reply_t *reply, const void *request, size_t i)
{
    const Crmq__ContactPersonData *p = ((const Crmq__UpsertPersonsRequest *) request)->persons [i];
    if (!(contacts_check_item (reply, "persons", i, "client_external_id", p->client_external_id,
                               1, CONTACTS_MAX_ID)
       && contacts_check_item (reply, "persons", i, "external_id", p->external_id, 1, CONTACTS_MAX_ID)
       && s_name_check (reply, "persons", i, "name", p->name, 1, CONTACTS_MAX_NAME)
       && contacts_check_item (reply, "persons", i, "position", p->position, 0, CONTACTS_MAX_FIELD)
       && contacts_check_item (reply, "persons", i, "phone", p->phone, 0, CONTACTS_MAX_FIELD)
       && contacts_check_item (reply, "persons", i, "email", p->email, 0, CONTACTS_MAX_FIELD)))
        return false;
    if (*p->email && !contacts_email_valid (p->email)) {
        char field [64];
        snprintf (field, sizeof field, "persons[%zu].email", i);
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field, "%s is not an e-mail address", field);
        return false;
    }
    return true;
}

//  Finds and locks the client person `p` (item `i`) lives on, into home:
//  the client its client_external_id names, or that client's survivor, or
//  wherever a merge moved the person.  erp_client gets the client row the
//  ERP named.  A merge committed between the look-up and the lock moves the
//  person or the survivor: the look-up is done again.  Returns 0, NOT_FOUND
//  "persons[i].client_external_id" for an unknown client (replied), another
//  status replied, or -1.
static int
s_person_home (crmq_pg_t *pg, const Crmq__ContactPersonData *p, size_t i, crmq_reply_t *reply,
               char *erp_client, char *home, size_t size)
{
    char field [64];
    snprintf (field, sizeof field, "persons[%zu].client_external_id", i);
    const char *values [2] = { p->client_external_id, p->external_id };
    PGresult *result = crmq_pg_exec (pg, SQL_CLIENT_ID, 1, values);
    if (!result)
        return -1;
    bool known = PQntuples (result) > 0;
    snprintf (erp_client, size, "%s", known? PQgetvalue (result, 0, 0): "");
    PQclear (result);
    if (!known)
        return crmq_reply_error (reply, CRMQ_NOT_FOUND, field, "unknown client %s",
                                 p->client_external_id);
    values [0] = erp_client;
    int rc = CRMQ_FAILED_PRECONDITION;
    for (int tries = 0; rc == CRMQ_FAILED_PRECONDITION && tries < PERSON_HOME_TRIES; tries++) {
        result = crmq_pg_exec (pg, SQL_PERSON_HOME, 2, values);
        if (!result)
            return -1;
        snprintf (home, size, "%s", PQgetvalue (result, 0, 0));
        PQclear (result);
        //  a merged client is refused with FAILED_PRECONDITION: look again
        rc = contacts_client_lock (pg, strtoll (home, NULL, 10), CONTACTS_LOCK_ATTACH, reply, field);
    }
    return rc;
}

static int
s_upsert_persons_tx (crmq_pg_t *pg, void *arg)
{
    upsert_t *job = (upsert_t *) arg;
    if (contacts_set_actor (pg, "erp") != 0)
        return -1;
    for (size_t i = 0; i < job->count; i++) {
        const Crmq__ContactPersonData *p = ((const Crmq__UpsertPersonsRequest *) job->request)->persons [i];
        char erp_client [24], home [24];
        int rc = s_person_home (pg, p, i, job->reply, erp_client, home, sizeof home);
        if (rc != 0)
            return rc;
        char e164 [CRMQ_PHONE_E164_MAX] = "";
        if (*p->phone) {
            char field [64];
            snprintf (field, sizeof field, "persons[%zu].phone", i);
            rc = channel_store_phone (pg, job->self, home, p->phone, e164, sizeof e164, job->reply, field);
            if (rc != 0)
                return rc;
        }
        const char *values [6] = { erp_client, p->external_id, home, p->name, p->position,
                                   p->active? "true": "false" };
        job->ids [i] = s_upsert_id (pg, SQL_UPSERT_PERSON, SQL_PERSON_ID, 2, 6, values);
        if (job->ids [i] < 0)
            return -1;
        //  the ERP's phone and e-mail are the person's primary ones
        char person [24], id [24];
        contacts_id_text (job->ids [i], person, sizeof person);
        channel_store_put_t phone = { home, person, "phone", NULL, p->phone, e164, true, true };
        channel_store_put_t email = { home, person, "email", NULL, p->email, "", true, true };
        if ((*p->phone && channel_store_put (pg, &phone, id, sizeof id) != 0)
        ||  (*p->email && channel_store_put (pg, &email, id, sizeof id) != 0))
            return -1;
    }
    return 0;
}

static int
s_upsert_persons (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    static const upsert_method_t method = {
        &crmq__upsert_persons_request__descriptor, &crmq__upsert_persons_reply__descriptor,
        "persons", s_person_check, s_upsert_persons_tx };
    return s_upsert_method ((contacts_server_t *) state, &method, body, size, reply);
}

const crmq_rpc_method_t client_upsert_methods [] = {
    { "contacts.UpsertClients", s_upsert_clients },
    { "contacts.UpsertManagers", s_upsert_managers },
    { "contacts.UpsertPersons", s_upsert_persons },
    { NULL, NULL }
};

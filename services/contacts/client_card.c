/*  client_card.c - client cards, contact persons, channels, the audit trail
    and managers' absences; see client_card.h.  */
#include "client_card.h"
#include "interaction_row.h"
#include "channel_store.h"
#include "crmq_phone.h"
#include <jansson.h>

#define CARD_INTERACTIONS     10            //  last interactions on a card
#define MAX_ATTRIBUTES_JSON   65536         //  bytes of a client's attributes_json
#define MAX_TAX_ID            32            //  bytes of a tax id
#define MAX_ABSENCES          1000          //  absences of one manager
#define MIN_RELATIONSHIP_SINCE "1900-01-01"  //  earliest date a relationship began

//  --------------------------------------------------------------------------
//  Small helpers

//  Checks the actor of a write request (0..CONTACTS_MAX_ACTOR bytes, no
//  control characters; "" is recorded as "system").
static bool
s_actor_valid (crmq_reply_t *reply, const char *actor)
{
    return contacts_check (reply, "actor", actor, 0, CONTACTS_MAX_ACTOR, true);
}

//  Frees every pointer kept on `heap` and the list; safe on NULL.
static void
s_heap_destroy (zlist_t **heap_p)
{
    if (*heap_p) {
        for (void *item = zlist_first (*heap_p); item; item = zlist_next (*heap_p))
            free (item);
        zlist_destroy (heap_p);
    }
}

//  zmalloc'ed memory that lives as long as `heap`.
static void *
s_heap_alloc (zlist_t *heap, size_t size)
{
    void *item = zmalloc (size? size: 1);
    zlist_append (heap, item);
    return item;
}

//  Reads a client's row (CONTACTS_CLIENT_COLUMNS) by id.
static const char *SQL_GET_CLIENT =
    "SELECT " CONTACTS_CLIENT_COLUMNS CONTACTS_CLIENT_FROM " WHERE c.id = $1::bigint";

//  --------------------------------------------------------------------------
//  Managers with their absences (cards, ListManagers, SetManagerAbsences)

static const char *SQL_MANAGERS =
    "SELECT m.id, coalesce (m.external_id, ''), m.name, m.email, m.title, m.supervisor_external_id,"
    "       coalesce (s.id, 0), m.time_zone, m.active, m.version"
    "  FROM contacts.managers m"
    "  LEFT JOIN contacts.managers s"
    "    ON s.external_id = m.supervisor_external_id AND m.supervisor_external_id <> ''"
    " WHERE $1::bigint = 0 OR m.id = $1::bigint"
    " ORDER BY m.id";

static const char *SQL_ABSENCES =
    "SELECT manager_id, to_char (from_date, 'YYYY-MM-DD'), to_char (to_date, 'YYYY-MM-DD'), reason"
    "  FROM contacts.manager_absences"
    " WHERE $1::bigint = 0 OR manager_id = $1::bigint"
    " ORDER BY manager_id, from_date";

//  Managers read for a reply; the strings point into the results.
typedef struct {
    PGresult *rows;
    PGresult *absence_rows;
    size_t count;
    Crmq__Manager *managers;
    Crmq__Manager **pointers;
    Crmq__Absence *absences;
    Crmq__Absence **absence_pointers;
} managers_t;

//  Frees what s_managers_load read; safe twice.
static void
s_managers_clear (managers_t *set)
{
    PQclear (set->rows);
    PQclear (set->absence_rows);
    free (set->managers);
    free (set->pointers);
    free (set->absences);
    free (set->absence_pointers);
    memset (set, 0, sizeof *set);
}

//  Reads the manager `id` (0: every manager, by id) with its absences, its
//  supervisor's id resolved from supervisor_external_id (0 when unknown) and
//  its version.  Returns 0 (set->count may be 0), or -1 on a failed
//  statement.  Clear with s_managers_clear.
static int
s_managers_load (crmq_pg_t *pg, int64_t id, managers_t *set)
{
    memset (set, 0, sizeof *set);
    char text [24];
    contacts_id_text (id, text, sizeof text);
    const char *values [1] = { text };
    set->rows = crmq_pg_exec (pg, SQL_MANAGERS, 1, values);
    if (!set->rows)
        return -1;
    set->absence_rows = crmq_pg_exec (pg, SQL_ABSENCES, 1, values);
    if (!set->absence_rows) {
        s_managers_clear (set);
        return -1;
    }
    int rows = PQntuples (set->rows), absences = PQntuples (set->absence_rows);
    set->count = (size_t) rows;
    set->managers = (Crmq__Manager *) zmalloc ((rows + 1) * sizeof (Crmq__Manager));
    set->pointers = (Crmq__Manager **) zmalloc ((rows + 1) * sizeof (Crmq__Manager *));
    set->absences = (Crmq__Absence *) zmalloc ((absences + 1) * sizeof (Crmq__Absence));
    set->absence_pointers = (Crmq__Absence **) zmalloc ((absences + 1) * sizeof (Crmq__Absence *));
    int next = 0;                           //  both ordered by manager id
    for (int row = 0; row < rows; row++) {
        Crmq__Manager *m = &set->managers [row];
        crmq__manager__init (m);
        m->id = strtoll (PQgetvalue (set->rows, row, 0), NULL, 10);
        m->external_id = PQgetvalue (set->rows, row, 1);
        m->name = PQgetvalue (set->rows, row, 2);
        m->email = PQgetvalue (set->rows, row, 3);
        m->title = PQgetvalue (set->rows, row, 4);
        m->supervisor_external_id = PQgetvalue (set->rows, row, 5);
        m->supervisor_id = strtoll (PQgetvalue (set->rows, row, 6), NULL, 10);
        m->time_zone = PQgetvalue (set->rows, row, 7);
        m->active = streq (PQgetvalue (set->rows, row, 8), "t");
        m->version = strtoll (PQgetvalue (set->rows, row, 9), NULL, 10);
        while (next < absences
           &&  strtoll (PQgetvalue (set->absence_rows, next, 0), NULL, 10) < m->id)
            next++;                         //  a manager added between the reads
        m->absences = &set->absence_pointers [next];
        while (next < absences
           &&  strtoll (PQgetvalue (set->absence_rows, next, 0), NULL, 10) == m->id) {
            Crmq__Absence *a = &set->absences [next];
            crmq__absence__init (a);
            a->from_date = PQgetvalue (set->absence_rows, next, 1);
            a->to_date = PQgetvalue (set->absence_rows, next, 2);
            a->reason = PQgetvalue (set->absence_rows, next, 3);
            set->absence_pointers [next++] = a;
            m->n_absences++;
        }
        set->pointers [row] = m;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Persons and channels read from rows

#define PERSON_COLUMNS "p.id, p.client_id, p.name, p.position, p.role, p.note, p.active"

static void
s_person_from_row (Crmq__Person *person, PGresult *result, int row)
{
    crmq__person__init (person);
    person->id = strtoll (PQgetvalue (result, row, 0), NULL, 10);
    person->client_id = strtoll (PQgetvalue (result, row, 1), NULL, 10);
    person->name = PQgetvalue (result, row, 2);
    person->position = PQgetvalue (result, row, 3);
    person->role = PQgetvalue (result, row, 4);
    person->note = PQgetvalue (result, row, 5);
    person->active = streq (PQgetvalue (result, row, 6), "t");
}

#define CHANNEL_COLUMNS \
    "h.id, h.client_id, coalesce (h.person_id, 0), h.type, h.kind, h.value, h.normalized, h.is_primary"

static void
s_channel_from_row (Crmq__Channel *channel, PGresult *result, int row)
{
    crmq__channel__init (channel);
    channel->id = strtoll (PQgetvalue (result, row, 0), NULL, 10);
    channel->client_id = strtoll (PQgetvalue (result, row, 1), NULL, 10);
    channel->person_id = strtoll (PQgetvalue (result, row, 2), NULL, 10);
    channel->type = PQgetvalue (result, row, 3);
    channel->kind = PQgetvalue (result, row, 4);
    channel->value = PQgetvalue (result, row, 5);
    channel->normalized = PQgetvalue (result, row, 6);
    channel->primary = streq (PQgetvalue (result, row, 7), "t");
}

//  --------------------------------------------------------------------------
//  contacts.GetClient and contacts.ListClients

static const char *SQL_LIST_CLIENTS =
    "SELECT " CONTACTS_CLIENT_COLUMNS CONTACTS_CLIENT_FROM
    " WHERE c.id > $1::bigint AND c.status <> 'merged' ORDER BY c.id LIMIT $2::int";

static const char *SQL_CARD_PERSONS =
    "SELECT " PERSON_COLUMNS " FROM contacts.persons p"
    " WHERE p.client_id = $1::bigint AND p.active ORDER BY p.id";

static const char *SQL_CARD_CHANNELS =
    "SELECT " CHANNEL_COLUMNS " FROM contacts.channels h"
    " WHERE h.client_id = $1::bigint ORDER BY h.id";

//  the last interactions that took place: newest by their time; planned
//  contacts are not in it (the card shows the next one apart)
static const char *SQL_CARD_INTERACTIONS =
    "SELECT " INTERACTION_ROW_COLUMNS " FROM contacts.interactions i"
    " WHERE i.client_id = $1::bigint AND i.status <> 'planned'"
    " ORDER BY i.started_at DESC, i.id DESC LIMIT $2::int";

static const char *SQL_CARD_NEXT_PLANNED =
    "SELECT " INTERACTION_ROW_COLUMNS " FROM contacts.interactions i"
    " WHERE i.client_id = $1::bigint AND i.status = 'planned' AND i.started_at >= now()"
    " ORDER BY i.started_at, i.id LIMIT 1";

//  Index of the person `id` in `persons` (ordered by id), or -1.
static int
s_person_index (Crmq__Person *persons, int count, int64_t id)
{
    int low = 0, high = count - 1;
    while (low <= high) {
        int middle = (low + high) / 2;
        if (persons [middle].id == id)
            return middle;
        if (persons [middle].id < id)
            low = middle + 1;
        else
            high = middle - 1;
    }
    return -1;
}

//  Reads a card from PostgreSQL and packs it: the client, its manager, its
//  active persons with their channels, its own channels, its last
//  interactions and the next planned one.  Returns CRMQ_OK with *card
//  (caller frees), NOT_FOUND, or -1 on a failed statement.
static int
s_read_card (contacts_server_t *self, int64_t client_id, uint8_t **card, size_t *size)
{
    char id [24], limit [16];
    contacts_id_text (client_id, id, sizeof id);
    snprintf (limit, sizeof limit, "%d", CARD_INTERACTIONS);
    const char *values [2] = { id, limit };
    enum { CLIENT, PERSONS, CHANNELS, INTERACTIONS, NEXT, RESULTS };
    PGresult *results [RESULTS] = { NULL };
    managers_t managers = { 0 };
    zlist_t *heap = zlist_new ();
    Crmq__Client client;
    bool have_client = false;
    int rc = -1;

    results [CLIENT] = crmq_pg_exec (self->pg, SQL_GET_CLIENT, 1, values);
    if (!results [CLIENT])
        goto done;
    if (PQntuples (results [CLIENT]) == 0) {
        rc = CRMQ_NOT_FOUND;
        goto done;
    }
    contacts_client_from_row (&client, results [CLIENT], 0, 0);
    have_client = true;
    Crmq__GetClientReply answer = CRMQ__GET_CLIENT_REPLY__INIT;
    answer.client = &client;

    if (client.manager_id) {
        if (s_managers_load (self->pg, client.manager_id, &managers) != 0)
            goto done;
        if (managers.count)
            answer.manager = managers.pointers [0];
    }
    if (!(results [PERSONS] = crmq_pg_exec (self->pg, SQL_CARD_PERSONS, 1, values))
    ||  !(results [CHANNELS] = crmq_pg_exec (self->pg, SQL_CARD_CHANNELS, 1, values))
    ||  !(results [INTERACTIONS] = crmq_pg_exec (self->pg, SQL_CARD_INTERACTIONS, 2, values))
    ||  !(results [NEXT] = crmq_pg_exec (self->pg, SQL_CARD_NEXT_PLANNED, 1, values)))
        goto done;

    //  persons, then each channel to its person or to the client
    int person_count = PQntuples (results [PERSONS]);
    Crmq__Person *persons = (Crmq__Person *)
        s_heap_alloc (heap, person_count * sizeof (Crmq__Person));
    answer.persons = (Crmq__Person **) s_heap_alloc (heap, person_count * sizeof (Crmq__Person *));
    for (int row = 0; row < person_count; row++) {
        s_person_from_row (&persons [row], results [PERSONS], row);
        answer.persons [answer.n_persons++] = &persons [row];
    }
    int channel_count = PQntuples (results [CHANNELS]);
    Crmq__Channel *channels = (Crmq__Channel *)
        s_heap_alloc (heap, channel_count * sizeof (Crmq__Channel));
    int *owner = (int *) s_heap_alloc (heap, channel_count * sizeof (int));
    int *per_person = (int *) s_heap_alloc (heap, person_count * sizeof (int));
    size_t own = 0;
    for (int row = 0; row < channel_count; row++) {
        s_channel_from_row (&channels [row], results [CHANNELS], row);
        owner [row] = -2;                   //  an inactive person's: not shown
        if (channels [row].person_id == 0) {
            owner [row] = -1;
            own++;
        }
        else {
            int index = s_person_index (persons, person_count, channels [row].person_id);
            if (index >= 0) {
                owner [row] = index;
                per_person [index]++;
            }
        }
    }
    answer.channels = (Crmq__Channel **) s_heap_alloc (heap, own * sizeof (Crmq__Channel *));
    for (int index = 0; index < person_count; index++)
        persons [index].channels = (Crmq__Channel **)
            s_heap_alloc (heap, per_person [index] * sizeof (Crmq__Channel *));
    for (int row = 0; row < channel_count; row++)
        if (owner [row] == -1)
            answer.channels [answer.n_channels++] = &channels [row];
        else
        if (owner [row] >= 0) {
            Crmq__Person *person = &persons [owner [row]];
            person->channels [person->n_channels++] = &channels [row];
        }

    int interaction_count = PQntuples (results [INTERACTIONS]);
    Crmq__Interaction *interactions = (Crmq__Interaction *)
        s_heap_alloc (heap, interaction_count * sizeof (Crmq__Interaction));
    answer.last_interactions = (Crmq__Interaction **)
        s_heap_alloc (heap, interaction_count * sizeof (Crmq__Interaction *));
    for (int row = 0; row < interaction_count; row++) {
        interaction_row_read (&interactions [row], results [INTERACTIONS], row);
        answer.last_interactions [answer.n_last_interactions++] = &interactions [row];
    }
    Crmq__Interaction next_planned;
    if (PQntuples (results [NEXT])) {
        interaction_row_read (&next_planned, results [NEXT], 0);
        answer.next_planned = &next_planned;
    }

    *size = crmq__get_client_reply__get_packed_size (&answer);
    *card = (uint8_t *) malloc (*size? *size: 1);
    crmq__get_client_reply__pack (&answer, *card);
    for (size_t i = 0; i < answer.n_last_interactions; i++)
        interaction_row_clear (answer.last_interactions [i]);
    if (answer.next_planned)
        interaction_row_clear (answer.next_planned);
    rc = CRMQ_OK;
done:
    if (have_client)
        contacts_client_clear (&client);
    s_managers_clear (&managers);
    s_heap_destroy (&heap);
    for (int r = 0; r < RESULTS; r++)
        PQclear (results [r]);
    return rc;
}

//  The id asked for (the start of its merge chain), its survivor's id and
//  the versions the survivor's card is keyed by ("3:1"), by id ($1) or by
//  external id ($1).
#define CARD_VERSIONS(seed) \
    CONTACTS_MERGE_CHAIN (seed) \
    " SELECT (SELECT id FROM chain WHERE depth = 0), c.id, c.version || ':' || coalesce (m.version, 0)" \
    "   FROM (SELECT id FROM chain ORDER BY depth DESC LIMIT 1) s" \
    "   JOIN contacts.clients c ON c.id = s.id" \
    "   LEFT JOIN contacts.managers m ON m.id = c.manager_id"
static const char *SQL_CARD_VERSIONS_BY_ID =
    CARD_VERSIONS ("SELECT id, 0 FROM contacts.clients WHERE id = $1::bigint");
static const char *SQL_CARD_VERSIONS_BY_EXTERNAL_ID =
    CARD_VERSIONS ("SELECT id, 0 FROM contacts.clients WHERE external_id = $1");

static int
s_get_client (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__GetClientRequest *request = (Crmq__GetClientRequest *)
        contacts_request_unpack (&crmq__get_client_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code;
    char why [64], id [24];
    const char *values [1] = { request->external_id };
    const char *sql = SQL_CARD_VERSIONS_BY_EXTERNAL_ID;
    if (request->id) {
        contacts_id_text (request->id, id, sizeof id);
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
    int64_t asked_id = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    int64_t client_id = strtoll (PQgetvalue (result, 0, 1), NULL, 10);
    char versions [48];
    snprintf (versions, sizeof versions, "%s", PQgetvalue (result, 0, 2));
    PQclear (result);

    //  A card's only part that time alone changes is next_planned: a cached
    //  card whose next planned contact has begun is read again.
    Crmq__GetClientReply *answer = NULL;
    for (int attempt = 0; attempt < 2 && !answer; attempt++) {
        size_t card_size = 0;
        uint8_t *card = attempt == 0
                      ? client_card_cache_get (self->cards, client_id, versions, &card_size)
                      : NULL;
        bool cached = card != NULL;
        if (!card) {
            int rc = s_read_card (self, client_id, &card, &card_size);
            if (rc < 0) {
                code = contacts_db_error (self, reply);
                goto done;
            }
            if (rc == CRMQ_NOT_FOUND) {     //  deleted since the versions were read
                code = crmq_reply_error (reply, CRMQ_NOT_FOUND, "id",
                                         "no client with id %" PRId64, client_id);
                goto done;
            }
            client_card_cache_put (self->cards, client_id, versions, card, card_size);
        }
        answer = crmq__get_client_reply__unpack (NULL, card_size, card);
        free (card);
        if (!answer) {
            if (cached)
                continue;                   //  read it from PostgreSQL instead
            code = crmq_reply_error (reply, CRMQ_INTERNAL, NULL, "unreadable card");
            goto done;
        }
        if (cached && answer->next_planned
        &&  answer->next_planned->started_at_us < crmq_time_now_us ()) {
            crmq__get_client_reply__free_unpacked (answer, NULL);
            answer = NULL;
        }
    }
    if (!answer) {
        code = crmq_reply_error (reply, CRMQ_INTERNAL, NULL, "unreadable card");
        goto done;
    }
    if (asked_id != client_id)
        answer->asked_id = asked_id;
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
        contacts_request_unpack (&crmq__list_clients_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code;
    int limit = request->limit? request->limit: 100;
    if (limit < 1 || limit > 1000 || request->after_id < 0) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "limit",
                                 "limit must be 1..1000 and after_id >= 0");
        goto done;
    }
    char after [24], count [16];
    contacts_id_text (request->after_id, after, sizeof after);
    snprintf (count, sizeof count, "%d", limit + 1);     //  one more tells if there are more
    const char *values [2] = { after, count };
    PGresult *result = crmq_pg_exec (self->pg, SQL_LIST_CLIENTS, 2, values);
    if (!result) {
        code = contacts_db_error (self, reply);
        goto done;
    }
    code = contacts_reply_clients (result, limit, reply);
    PQclear (result);
done:
    crmq_message_free (&request->base);
    return code;
}

//  --------------------------------------------------------------------------
//  contacts.CreateClient and contacts.UpdateClient

//  The fields of Client a request may set, and the column each one sets
//  (manager_id and manager_external_id both set manager_id; phone sets phone
//  and phone_e164).
typedef enum {
    F_EXTERNAL_ID, F_NAME, F_LEGAL_NAME, F_COUNTRY, F_REGION, F_CITY, F_ADDRESS,
    F_POSTAL_CODE, F_PHONE, F_EMAIL, F_CATEGORY, F_SOURCE, F_MANAGER_EXTERNAL_ID,
    F_MANAGER_ID, F_KIND, F_TAX_ID, F_TAGS, F_STATUS, F_RELATIONSHIP_SINCE,
    F_ATTRIBUTES_JSON, F_COUNT
} client_field_t;

static const struct {
    const char *name;
    const char *column;
} s_client_fields [F_COUNT] = {
    { "external_id", "external_id" }, { "name", "name" }, { "legal_name", "legal_name" },
    { "country", "country" }, { "region", "region" }, { "city", "city" },
    { "address", "address" }, { "postal_code", "postal_code" }, { "phone", "phone" },
    { "email", "email" }, { "category", "category" }, { "source", "source" },
    { "manager_external_id", "manager_id" }, { "manager_id", "manager_id" },
    { "kind", "kind" }, { "tax_id", "tax_id" }, { "tags", "tags" }, { "status", "status" },
    { "relationship_since", "relationship_since" }, { "attributes_json", "attributes" }
};

//  The statements' parameters $1..$20, in this order.
enum {
    P_EXTERNAL_ID, P_NAME, P_LEGAL_NAME, P_COUNTRY, P_REGION, P_CITY, P_ADDRESS,
    P_POSTAL_CODE, P_PHONE, P_EMAIL, P_CATEGORY, P_SOURCE, P_MANAGER_ID, P_PHONE_E164,
    P_KIND, P_TAX_ID, P_TAGS, P_STATUS, P_RELATIONSHIP_SINCE, P_ATTRIBUTES, P_COUNT
};

//  A validated client as query parameters (NULL = SQL NULL, or not set).
typedef struct {
    const char *values [P_COUNT + 2];       //  + id and the columns to set (UpdateClient)
    bool named [F_COUNT];                   //  the fields the request sets
    char e164 [CRMQ_PHONE_E164_MAX];
    bool e164_in_tx;                        //  phone_e164 needs the stored country or phone
    char manager_id [24];
    char id [24];
    crmq_pg_array_t *tags;
    crmq_pg_array_t *columns;
} client_input_t;

static void
s_client_input_clear (client_input_t *input)
{
    crmq_pg_array_destroy (&input->tags);
    crmq_pg_array_destroy (&input->columns);
}

//  Reads the phone `phone` of a client in `country` (contacts_phone_e164)
//  into input->e164, and makes it the parameter phone_e164 ("" for no
//  phone).  A phone that is no number there: when `named` (the request sets
//  the phone) replies INVALID_ARGUMENT "client.phone" and returns false;
//  otherwise (a stored phone read in a new country) its E.164 form is ""
//  as for an ERP's phone that has none.
static bool
s_client_phone (contacts_server_t *self, crmq_reply_t *reply, const char *country,
                const char *phone, bool named, client_input_t *input)
{
    input->e164 [0] = 0;
    input->values [P_PHONE_E164] = input->e164;
    if (*phone && contacts_phone_e164 (self, country, phone, input->e164, sizeof input->e164) != 0) {
        input->e164 [0] = 0;
        if (named) {
            char where [CONTACTS_MAX_FIELD + 64];
            crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "client.phone",
                              "client.phone is not a phone number of %s: give its country code (+...)",
                              contacts_phone_where (self, country, where, sizeof where));
            return false;
        }
    }
    return true;
}

//  Checks the fields of `client` that input->named marks and turns them
//  into parameters.  Returns true, or false after replying INVALID_ARGUMENT
//  with the field ("client.<name>").  The manager is resolved later, in the
//  transaction (s_client_manager).
static bool
s_client_check (contacts_server_t *self, crmq_reply_t *reply, Crmq__Client *client,
                client_input_t *input)
{
    const char **v = input->values;
    bool *named = input->named;
    char why [64];
    if (named [F_EXTERNAL_ID]) {
        if (*client->external_id
        &&  !contacts_check (reply, "client.external_id", client->external_id, 1, CONTACTS_MAX_ID, true))
            return false;
        v [P_EXTERNAL_ID] = *client->external_id? client->external_id: NULL;
    }
    if (named [F_NAME]) {
        if (!contacts_check_name (reply, "client.name", client->name, 1, CONTACTS_MAX_NAME))
            return false;
        v [P_NAME] = client->name;
    }
    if (named [F_LEGAL_NAME]) {
        if (!contacts_check_name (reply, "client.legal_name", client->legal_name, 0, CONTACTS_MAX_FIELD))
            return false;
        v [P_LEGAL_NAME] = client->legal_name;
    }
    //  plain text fields, 0..CONTACTS_MAX_FIELD bytes
    const struct { client_field_t field; int param; const char *value; } texts [] = {
        { F_COUNTRY, P_COUNTRY, client->country },
        { F_REGION, P_REGION, client->region },
        { F_CITY, P_CITY, client->city },
        { F_ADDRESS, P_ADDRESS, client->address },
        { F_POSTAL_CODE, P_POSTAL_CODE, client->postal_code },
        { F_CATEGORY, P_CATEGORY, client->category },
        { F_SOURCE, P_SOURCE, client->source }
    };
    for (size_t t = 0; t < sizeof texts / sizeof texts [0]; t++) {
        if (!named [texts [t].field])
            continue;
        char field [64];
        snprintf (field, sizeof field, "client.%s", s_client_fields [texts [t].field].name);
        if (!contacts_check (reply, field, texts [t].value, 0, CONTACTS_MAX_FIELD, false))
            return false;
        v [texts [t].param] = texts [t].value;
    }
    if (named [F_PHONE]) {
        if (!contacts_check (reply, "client.phone", client->phone, 0, CONTACTS_MAX_FIELD, false))
            return false;
        v [P_PHONE] = client->phone;
    }
    //  the phone's E.164 form is read in the client's country: now when the
    //  request gives both, else in the transaction (s_client_phone_stored)
    if (named [F_PHONE] && named [F_COUNTRY]) {
        if (!s_client_phone (self, reply, client->country, client->phone, true, input))
            return false;
    }
    else
        input->e164_in_tx = named [F_PHONE] || named [F_COUNTRY];
    if (named [F_EMAIL]) {
        if (!contacts_check (reply, "client.email", client->email, 0, CONTACTS_MAX_FIELD, true))
            return false;
        if (*client->email && !contacts_email_valid (client->email)) {
            crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "client.email",
                              "client.email is not an e-mail address");
            return false;
        }
        v [P_EMAIL] = client->email;
    }
    if (named [F_MANAGER_EXTERNAL_ID]
    &&  !contacts_check (reply, "client.manager_external_id", client->manager_external_id,
                         0, CONTACTS_MAX_ID, true))
        return false;
    if (named [F_MANAGER_ID] && client->manager_id < 0) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "client.manager_id",
                          "client.manager_id must be 0 (none) or a manager's id");
        return false;
    }
    if (named [F_KIND]) {
        static const char *kinds [] = { "company", "person", NULL };
        if (*client->kind && !contacts_one_of (client->kind, kinds)) {
            crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "client.kind",
                              "client.kind must be company or person");
            return false;
        }
        v [P_KIND] = *client->kind? client->kind: "company";
    }
    if (named [F_TAX_ID]) {
        size_t length = strlen (client->tax_id);
        bool valid = length <= MAX_TAX_ID;
        for (const char *s = client->tax_id; valid && *s; s++)
            valid = isascii ((unsigned char) *s) && (isalnum ((unsigned char) *s) || *s == '-');
        if (!valid) {
            crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "client.tax_id",
                              "client.tax_id must be up to %d letters, digits and '-'", MAX_TAX_ID);
            return false;
        }
        v [P_TAX_ID] = client->tax_id;
    }
    if (named [F_TAGS]) {
        if (client->n_tags > CONTACTS_MAX_TAGS) {
            crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "client.tags",
                              "client.tags: at most %d tags", CONTACTS_MAX_TAGS);
            return false;
        }
        input->tags = crmq_pg_array_new ();
        for (size_t i = 0; i < client->n_tags; i++) {
            char field [48];
            snprintf (field, sizeof field, "client.tags[%zu]", i);
            if (!contacts_check (reply, field, client->tags [i], 1, CONTACTS_MAX_TAG, true))
                return false;
            for (size_t j = 0; j < i; j++)
                if (streq (client->tags [i], client->tags [j])) {
                    crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field,
                                      "%s repeats client.tags[%zu]", field, j);
                    return false;
                }
            crmq_pg_array_append (input->tags, client->tags [i]);
        }
        v [P_TAGS] = crmq_pg_array_text (input->tags);
    }
    if (named [F_STATUS]) {
        static const char *statuses [] = { "active", "archived", NULL };
        if (*client->status && !contacts_one_of (client->status, statuses)) {
            crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "client.status",
                              "client.status must be active or archived");
            return false;
        }
        v [P_STATUS] = *client->status? client->status: "active";
    }
    if (named [F_RELATIONSHIP_SINCE]) {
        //  from 1900-01-01 to today (UTC); dates so written compare as text
        char today [16] = "";
        crmq_time_format (crmq_time_now_us (), NULL, true, today, sizeof today);
        const char *since = client->relationship_since;
        if (*since && (!contacts_date_valid (since) || strcmp (since, MIN_RELATIONSHIP_SINCE) < 0
                                                    || strcmp (since, today) > 0)) {
            crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "client.relationship_since",
                              "client.relationship_since must be empty or a real date YYYY-MM-DD"
                              " from %s to today (%s, UTC)", MIN_RELATIONSHIP_SINCE, today);
            return false;
        }
        v [P_RELATIONSHIP_SINCE] = *client->relationship_since? client->relationship_since: NULL;
    }
    if (named [F_ATTRIBUTES_JSON]) {
        const char *text = client->attributes_json;
        if (!crmq_text_valid (text, 0, MAX_ATTRIBUTES_JSON, why, sizeof why)) {
            crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "client.attributes_json",
                              "client.attributes_json %s", why);
            return false;
        }
        if (*text) {
            json_error_t error;
            json_t *json = json_loads (text, JSON_REJECT_DUPLICATES, &error);
            bool object = json_is_object (json);
            json_decref (json);
            if (!object) {
                crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "client.attributes_json",
                                  "client.attributes_json must be a JSON object%s%s",
                                  json? "": ": ", json? "": error.text);
                return false;
            }
        }
        v [P_ATTRIBUTES] = *text? text: "{}";
    }
    return true;
}

static const char *SQL_MANAGER_BY_ID =
    "SELECT id, active FROM contacts.managers WHERE id = $1::bigint";
static const char *SQL_MANAGER_BY_EXTERNAL_ID =
    "SELECT id, active FROM contacts.managers WHERE external_id = $1";

//  Resolves the manager a client request names (by manager_external_id,
//  else manager_id; neither: none) into input->values [P_MANAGER_ID].  The
//  manager must exist (NOT_FOUND) and be active (FAILED_PRECONDITION); both
//  given must name the same one (INVALID_ARGUMENT).  Returns 0, the code
//  replied, or -1 on a failed statement.
static int
s_client_manager (crmq_pg_t *pg, crmq_reply_t *reply, Crmq__Client *client, client_input_t *input)
{
    const char *external_id = input->named [F_MANAGER_EXTERNAL_ID]? client->manager_external_id: "";
    int64_t id = input->named [F_MANAGER_ID]? client->manager_id: 0;
    input->values [P_MANAGER_ID] = NULL;
    if (!*external_id && id == 0)
        return 0;
    char text [24];
    contacts_id_text (id, text, sizeof text);
    const char *values [1] = { *external_id? external_id: text };
    const char *field = *external_id? "client.manager_external_id": "client.manager_id";
    PGresult *result = crmq_pg_exec (pg, *external_id? SQL_MANAGER_BY_EXTERNAL_ID: SQL_MANAGER_BY_ID,
                                     1, values);
    if (!result)
        return -1;
    if (PQntuples (result) == 0) {
        PQclear (result);
        return crmq_reply_error (reply, CRMQ_NOT_FOUND, field, "unknown manager %s", values [0]);
    }
    snprintf (input->manager_id, sizeof input->manager_id, "%s", PQgetvalue (result, 0, 0));
    bool active = streq (PQgetvalue (result, 0, 1), "t");
    PQclear (result);
    if (id && *external_id && strtoll (input->manager_id, NULL, 10) != id)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "client.manager_id",
                                 "client.manager_id and client.manager_external_id name different managers");
    if (!active)
        return crmq_reply_error (reply, CRMQ_FAILED_PRECONDITION, field,
                                 "manager %s is not active", values [0]);
    input->values [P_MANAGER_ID] = input->manager_id;
    return 0;
}

static const char *SQL_EXTERNAL_ID_TAKEN =
    "SELECT id FROM contacts.clients WHERE external_id = $1 AND id <> $2::bigint";

//  Replies ALREADY_EXISTS when another client than `id` has the external id
//  of input (if it sets one).  Returns 0, the code, or -1.
static int
s_client_external_id_free (crmq_pg_t *pg, crmq_reply_t *reply, client_input_t *input, const char *id)
{
    if (!input->values [P_EXTERNAL_ID])
        return 0;
    const char *values [2] = { input->values [P_EXTERNAL_ID], id };
    PGresult *result = crmq_pg_exec (pg, SQL_EXTERNAL_ID_TAKEN, 2, values);
    if (!result)
        return -1;
    int rows = PQntuples (result);
    char other [24] = "";
    if (rows)
        snprintf (other, sizeof other, "%s", PQgetvalue (result, 0, 0));
    PQclear (result);
    if (rows)
        return crmq_reply_error (reply, CRMQ_ALREADY_EXISTS, "client.external_id",
                                 "client %s has this external id", other);
    return 0;
}

static const char *SQL_INSERT_CLIENT =
    "INSERT INTO contacts.clients"
    "  (external_id, name, legal_name, country, region, city, address, postal_code, phone,"
    "   email, category, source, manager_id, phone_e164, kind, tax_id, tags, status,"
    "   relationship_since, attributes)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::bigint, $14, $15, $16,"
    "         $17::text[], $18, $19::date, $20::jsonb)"
    " RETURNING id";

//  Sets the columns named in $22 (text[]) of client $21 to $1..$20; a
//  column not named keeps its value, phone_e164 when $14 is NULL (neither
//  phone nor country set).  Nothing is written (no version, no
//  audit entry) when no value changes.
#define SET_IF(column, value) \
    " CASE WHEN '" column "' = ANY ($22::text[]) THEN " value " ELSE o." column " END AS " column ","
static const char *SQL_UPDATE_CLIENT =
    "UPDATE contacts.clients c SET"
    "  (external_id, name, legal_name, country, region, city, address, postal_code, phone,"
    "   email, category, source, manager_id, phone_e164, kind, tax_id, tags, status,"
    "   relationship_since, attributes)"
    "  = (n.external_id, n.name, n.legal_name, n.country, n.region, n.city, n.address,"
    "     n.postal_code, n.phone, n.email, n.category, n.source, n.manager_id, n.phone_e164,"
    "     n.kind, n.tax_id, n.tags, n.status, n.relationship_since, n.attributes)"
    "  FROM (SELECT o.id,"
    SET_IF ("external_id", "$1::text") SET_IF ("name", "$2::text")
    SET_IF ("legal_name", "$3::text") SET_IF ("country", "$4::text")
    SET_IF ("region", "$5::text") SET_IF ("city", "$6::text")
    SET_IF ("address", "$7::text") SET_IF ("postal_code", "$8::text")
    SET_IF ("phone", "$9::text") SET_IF ("email", "$10::text")
    SET_IF ("category", "$11::text") SET_IF ("source", "$12::text")
    SET_IF ("manager_id", "$13::bigint")
    "       CASE WHEN $14::text IS NOT NULL THEN $14::text ELSE o.phone_e164 END AS phone_e164,"
    SET_IF ("kind", "$15::text") SET_IF ("tax_id", "$16::text")
    SET_IF ("tags", "$17::text[]") SET_IF ("status", "$18::text")
    SET_IF ("relationship_since", "$19::date")
    "       CASE WHEN 'attributes' = ANY ($22::text[]) THEN $20::jsonb ELSE o.attributes END AS attributes"
    "        FROM contacts.clients o WHERE o.id = $21::bigint) n"
    " WHERE c.id = n.id"
    "   AND (c.external_id, c.name, c.legal_name, c.country, c.region, c.city, c.address,"
    "        c.postal_code, c.phone, c.email, c.category, c.source, c.manager_id, c.phone_e164,"
    "        c.kind, c.tax_id, c.tags, c.status, c.relationship_since, c.attributes)"
    "       IS DISTINCT FROM"
    "       (n.external_id, n.name, n.legal_name, n.country, n.region, n.city, n.address,"
    "        n.postal_code, n.phone, n.email, n.category, n.source, n.manager_id, n.phone_e164,"
    "        n.kind, n.tax_id, n.tags, n.status, n.relationship_since, n.attributes)"
    " RETURNING c.id";

typedef struct {
    contacts_server_t *self;
    Crmq__ClientRequest *request;
    const char *method;                     //  "contacts.CreateClient", for the request key
    client_input_t *input;
    crmq_reply_t *reply;
} client_job_t;

//  Ends a client write: reads the client `id` back as stored, keeps the
//  reply for the request key and replies it.  Returns 0, or -1.
static int
s_client_reply (crmq_pg_t *pg, client_job_t *job, const char *id)
{
    const char *values [1] = { id };
    PGresult *result = crmq_pg_exec (pg, SQL_GET_CLIENT, 1, values);
    if (!result)
        return -1;
    if (PQntuples (result) == 0) {          //  cannot be: written in this transaction
        PQclear (result);
        return crmq_reply_error (job->reply, CRMQ_INTERNAL, NULL, "the client vanished");
    }
    Crmq__ClientReply answer = CRMQ__CLIENT_REPLY__INIT;
    Crmq__Client stored;
    contacts_client_from_row (&stored, result, 0, 0);
    answer.client = &stored;
    int rc = contacts_write_reply (pg, job->request->request_key, &answer.base, job->reply);
    contacts_client_clear (&stored);
    PQclear (result);
    return rc;
}

static int
s_create_client_tx (crmq_pg_t *pg, void *arg)
{
    client_job_t *job = (client_job_t *) arg;
    int rc = contacts_write_begin (pg, job->request->actor, job->request->request_key, job->method,
                                   &crmq__client_reply__descriptor, job->reply);
    if (rc != 1)
        return rc;
    rc = s_client_manager (pg, job->reply, job->request->client, job->input);
    if (rc == 0)
        rc = s_client_external_id_free (pg, job->reply, job->input, "0");
    if (rc != 0)
        return rc;
    PGresult *result = crmq_pg_exec (pg, SQL_INSERT_CLIENT, P_COUNT, job->input->values);
    if (!result)
        return -1;
    char id [24];
    snprintf (id, sizeof id, "%s", PQgetvalue (result, 0, 0));
    PQclear (result);
    return s_client_reply (pg, job, id);
}

static const char *SQL_CLIENT_COUNTRY_PHONE =
    "SELECT country, phone FROM contacts.clients WHERE id = $1::bigint";

//  UpdateClient setting the phone or the country, not both: reads the
//  other from the (locked) row and computes phone_e164 from the phone and
//  country the client ends with (s_client_phone).  Returns 0, the code
//  replied, or -1.
static int
s_client_phone_stored (crmq_pg_t *pg, client_job_t *job)
{
    client_input_t *input = job->input;
    const char *values [1] = { input->id };
    PGresult *result = crmq_pg_exec (pg, SQL_CLIENT_COUNTRY_PHONE, 1, values);
    if (!result)
        return -1;
    if (PQntuples (result) == 0) {          //  locked just before: cannot be
        PQclear (result);
        return crmq_reply_error (job->reply, CRMQ_NOT_FOUND, "client.id", "no client with id %s",
                                 input->id);
    }
    Crmq__Client *client = job->request->client;
    bool phone_named = input->named [F_PHONE];
    const char *country = input->named [F_COUNTRY]? client->country: PQgetvalue (result, 0, 0);
    const char *phone = phone_named? client->phone: PQgetvalue (result, 0, 1);
    int rc = s_client_phone (job->self, job->reply, country, phone, phone_named, input)
           ? 0: CRMQ_INVALID_ARGUMENT;
    PQclear (result);
    return rc;
}

static int
s_update_client_tx (crmq_pg_t *pg, void *arg)
{
    client_job_t *job = (client_job_t *) arg;
    client_input_t *input = job->input;
    int rc = contacts_write_begin (pg, job->request->actor, job->request->request_key, job->method,
                                   &crmq__client_reply__descriptor, job->reply);
    if (rc != 1)
        return rc;
    rc = contacts_client_lock (pg, job->request->client->id, CONTACTS_LOCK_UPDATE, job->reply,
                               "client.id");
    if (rc == 0 && input->e164_in_tx)
        rc = s_client_phone_stored (pg, job);
    if (rc == 0 && (input->named [F_MANAGER_ID] || input->named [F_MANAGER_EXTERNAL_ID]))
        rc = s_client_manager (pg, job->reply, job->request->client, input);
    if (rc == 0 && input->named [F_EXTERNAL_ID])
        rc = s_client_external_id_free (pg, job->reply, input, input->id);
    if (rc != 0)
        return rc;
    PGresult *result = crmq_pg_exec (pg, SQL_UPDATE_CLIENT, P_COUNT + 2, input->values);
    if (!result)
        return -1;
    PQclear (result);
    return s_client_reply (pg, job, input->id);
}

//  CreateClient (update false) and UpdateClient (true).
static int
s_save_client (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply, bool update)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__ClientRequest *request = (Crmq__ClientRequest *)
        contacts_request_unpack (&crmq__client_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code;
    client_input_t input;
    memset (&input, 0, sizeof input);
    Crmq__Client *client = request->client;
    if (!client) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "client", "client is missing");
        goto done;
    }
    if (!s_actor_valid (reply, request->actor)) {
        code = CRMQ_INVALID_ARGUMENT;
        goto done;
    }
    if (update) {
        if (client->id <= 0) {
            code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "client.id",
                                     "client.id must name the client to update");
            goto done;
        }
        if (request->n_fields == 0) {
            code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "fields",
                                     "fields: name the fields to set");
            goto done;
        }
        input.columns = crmq_pg_array_new ();
        for (size_t i = 0; i < request->n_fields; i++) {
            int f = 0;
            while (f < F_COUNT && !streq (request->fields [i], s_client_fields [f].name))
                f++;
            if (f == F_COUNT) {
                char why [64];
                code = crmq_id_valid (request->fields [i], 1, 64, why, sizeof why)
                     ? crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "fields",
                                         "fields[%zu]: %s is not a field UpdateClient sets",
                                         i, request->fields [i])
                     : crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "fields",
                                         "fields[%zu] is not a field name", i);
                goto done;
            }
            input.named [f] = true;
            crmq_pg_array_append (input.columns, s_client_fields [f].column);
        }
        contacts_id_text (client->id, input.id, sizeof input.id);
        input.values [P_COUNT] = input.id;
        input.values [P_COUNT + 1] = crmq_pg_array_text (input.columns);
    }
    else
        for (int f = 0; f < F_COUNT; f++)
            input.named [f] = true;
    if (!s_client_check (self, reply, client, &input)) {
        code = CRMQ_INVALID_ARGUMENT;
        goto done;
    }
    client_job_t job = { self, request, update? "contacts.UpdateClient": "contacts.CreateClient",
                         &input, reply };
    //  0: replied in the transaction
    code = contacts_transaction (self, update? s_update_client_tx: s_create_client_tx, &job, reply);
done:
    s_client_input_clear (&input);
    crmq_message_free (&request->base);
    return code;
}

static int
s_create_client (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    return s_save_client (state, body, size, reply, false);
}

static int
s_update_client (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    return s_save_client (state, body, size, reply, true);
}

//  --------------------------------------------------------------------------
//  contacts.SavePerson

static const char *SQL_INSERT_PERSON =
    "INSERT INTO contacts.persons (client_id, name, position, role, note, active)"
    " VALUES ($1::bigint, $2, $3, $4, $5, $6::boolean) RETURNING id";

static const char *SQL_PERSON_CLIENT =
    "SELECT client_id FROM contacts.persons WHERE id = $1::bigint";

//  The person as stored, locked: client_id, then the columns of P_* below.
static const char *SQL_LOCK_PERSON =
    "SELECT client_id, name, position, role, note, active FROM contacts.persons"
    " WHERE id = $1::bigint FOR UPDATE";

//  Writes nothing (no version, no audit entry) when nothing changes.
static const char *SQL_UPDATE_PERSON =
    "UPDATE contacts.persons SET name = $2, position = $3, role = $4, note = $5,"
    "       active = $6::boolean, updated_at = now()"
    " WHERE id = $1::bigint"
    "   AND (name, position, role, note, active) IS DISTINCT FROM ($2, $3, $4, $5, $6::boolean)";

static const char *SQL_GET_PERSON =
    "SELECT " PERSON_COLUMNS " FROM contacts.persons p WHERE p.id = $1::bigint";

static const char *SQL_PERSON_CHANNELS =
    "SELECT " CHANNEL_COLUMNS " FROM contacts.channels h WHERE h.person_id = $1::bigint ORDER BY h.id";

//  The fields of Person that SavePerson sets, by their names in Person
//  (PersonRequest.fields); for an existing person the columns 1.. of
//  SQL_LOCK_PERSON in this order.
typedef enum { PF_NAME, PF_POSITION, PF_ROLE, PF_NOTE, PF_ACTIVE, PF_COUNT } person_field_t;
static const char *const s_person_fields [PF_COUNT + 1] = {
    "name", "position", "role", "note", "active", NULL
};

typedef struct {
    Crmq__PersonRequest *request;
    bool named [PF_COUNT];                  //  the fields to set (all for a new person)
    crmq_reply_t *reply;
} person_job_t;

//  Ends a person write: reads the person `id` back with its channels, keeps
//  the reply for the request key and replies it.  Returns 0, or -1.
static int
s_person_reply (crmq_pg_t *pg, person_job_t *job, const char *id)
{
    const char *values [1] = { id };
    PGresult *person_row = crmq_pg_exec (pg, SQL_GET_PERSON, 1, values);
    if (!person_row)
        return -1;
    PGresult *channel_rows = crmq_pg_exec (pg, SQL_PERSON_CHANNELS, 1, values);
    if (!channel_rows || PQntuples (person_row) == 0) {
        PQclear (person_row);
        PQclear (channel_rows);
        return channel_rows? crmq_reply_error (job->reply, CRMQ_INTERNAL, NULL, "the person vanished"): -1;
    }
    Crmq__Person person;
    s_person_from_row (&person, person_row, 0);
    int rows = PQntuples (channel_rows);
    Crmq__Channel *channels = (Crmq__Channel *) zmalloc ((rows + 1) * sizeof (Crmq__Channel));
    person.channels = (Crmq__Channel **) zmalloc ((rows + 1) * sizeof (Crmq__Channel *));
    for (int row = 0; row < rows; row++) {
        s_channel_from_row (&channels [row], channel_rows, row);
        person.channels [person.n_channels++] = &channels [row];
    }
    Crmq__PersonReply answer = CRMQ__PERSON_REPLY__INIT;
    answer.person = &person;
    int rc = contacts_write_reply (pg, job->request->request_key, &answer.base, job->reply);
    free (person.channels);
    free (channels);
    PQclear (person_row);
    PQclear (channel_rows);
    return rc;
}

//  Sets the fields job->named of the existing person `id`, the others as
//  stored.  The person's client is locked first, as a new person's is: a
//  merge locks the clients before it moves their persons.  Returns 0, a
//  status after crmq_reply_error, or -1.
static int
s_update_person (crmq_pg_t *pg, person_job_t *job, const char *id)
{
    Crmq__Person *p = job->request->person;
    const char *values [6] = { id };
    PGresult *result = crmq_pg_exec (pg, SQL_PERSON_CLIENT, 1, values);
    if (!result)
        return -1;
    if (PQntuples (result) == 0) {
        PQclear (result);
        return crmq_reply_error (job->reply, CRMQ_NOT_FOUND, "person.id", "no person with id %s", id);
    }
    int64_t owner = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    PQclear (result);
    if (p->client_id && p->client_id != owner)
        return crmq_reply_error (job->reply, CRMQ_INVALID_ARGUMENT, "person.client_id",
                                 "person %s belongs to client %" PRId64 ", not %" PRId64,
                                 id, owner, p->client_id);
    int rc = contacts_client_lock (pg, owner, CONTACTS_LOCK_ATTACH, job->reply, "person.client_id");
    if (rc != 0)
        return rc;
    result = crmq_pg_exec (pg, SQL_LOCK_PERSON, 1, values);
    if (!result)
        return -1;
    if (PQntuples (result) == 0 || strtoll (PQgetvalue (result, 0, 0), NULL, 10) != owner) {
        //  moved between the two reads (not by a merge: that was refused above)
        PQclear (result);
        return crmq_reply_error (job->reply, CRMQ_FAILED_PRECONDITION, "person.id",
                                 "person %s changed client meanwhile: send it again", id);
    }
    const char *given [PF_COUNT] = { p->name, p->position, p->role, p->note,
                                     p->active? "true": "false" };
    for (int f = 0; f < PF_COUNT; f++)
        values [1 + f] = job->named [f]? given [f]: PQgetvalue (result, 0, 1 + f);
    rc = crmq_pg_command (pg, SQL_UPDATE_PERSON, 6, values);
    PQclear (result);
    return rc;
}

static int
s_save_person_tx (crmq_pg_t *pg, void *arg)
{
    person_job_t *job = (person_job_t *) arg;
    Crmq__Person *p = job->request->person;
    int rc = contacts_write_begin (pg, job->request->actor, job->request->request_key,
                                   "contacts.SavePerson", &crmq__person_reply__descriptor, job->reply);
    if (rc != 1)
        return rc;
    char id [24], client_id [24];
    contacts_id_text (p->id, id, sizeof id);
    contacts_id_text (p->client_id, client_id, sizeof client_id);
    if (p->id == 0) {
        rc = contacts_client_lock (pg, p->client_id, CONTACTS_LOCK_ATTACH, job->reply, "person.client_id");
        if (rc != 0)
            return rc;
        const char *values [6] = { client_id, p->name, p->position, p->role, p->note,
                                   p->active? "true": "false" };
        PGresult *result = crmq_pg_exec (pg, SQL_INSERT_PERSON, 6, values);
        if (!result)
            return -1;
        snprintf (id, sizeof id, "%s", PQgetvalue (result, 0, 0));
        PQclear (result);
    }
    else {
        rc = s_update_person (pg, job, id);
        if (rc != 0)
            return rc;
    }
    return s_person_reply (pg, job, id);
}

static int
s_save_person (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__PersonRequest *request = (Crmq__PersonRequest *)
        contacts_request_unpack (&crmq__person_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code = CRMQ_INVALID_ARGUMENT;
    Crmq__Person *p = request->person;
    person_job_t job = { request, { false }, reply };
    if (!p) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "person", "person is missing");
        goto done;
    }
    if (p->id < 0 || p->client_id < 0 || (p->id == 0 && p->client_id == 0)) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, p->id < 0? "person.id": "person.client_id",
                                 "give person.id to update, or person.client_id to create");
        goto done;
    }
    if (request->n_fields && p->id == 0) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "fields",
                                 "fields name what to set of an existing person (person.id);"
                                 " a new person is saved whole");
        goto done;
    }
    for (size_t i = 0; i < request->n_fields; i++) {
        int f = 0;
        while (f < PF_COUNT && !streq (request->fields [i], s_person_fields [f]))
            f++;
        if (f == PF_COUNT) {
            char why [64];
            code = crmq_id_valid (request->fields [i], 1, 64, why, sizeof why)
                 ? crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "fields",
                                     "fields[%zu]: %s is not a field SavePerson sets"
                                     " (name, position, role, note, active)", i, request->fields [i])
                 : crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "fields",
                                     "fields[%zu] is not a field name", i);
            goto done;
        }
        job.named [f] = true;
    }
    for (int f = 0; f < PF_COUNT && request->n_fields == 0; f++)
        job.named [f] = true;
    if (!s_actor_valid (reply, request->actor)
    ||  (job.named [PF_NAME]
         && !contacts_check_name (reply, "person.name", p->name, 1, CONTACTS_MAX_NAME))
    ||  (job.named [PF_POSITION]
         && !contacts_check (reply, "person.position", p->position, 0, CONTACTS_MAX_FIELD, false))
    ||  (job.named [PF_ROLE]
         && !contacts_check (reply, "person.role", p->role, 0, CONTACTS_MAX_FIELD, false))
    ||  (job.named [PF_NOTE]
         && !contacts_check (reply, "person.note", p->note, 0, CONTACTS_MAX_FIELD, false)))
        goto done;
    //  0: replied in the transaction
    code = contacts_transaction (self, s_save_person_tx, &job, reply);
done:
    crmq_message_free (&request->base);
    return code;
}

//  --------------------------------------------------------------------------
//  contacts.AddChannel and contacts.RemoveChannel

static const char *SQL_GET_CHANNEL =
    "SELECT " CHANNEL_COLUMNS " FROM contacts.channels h WHERE h.id = $1::bigint";

typedef struct {
    contacts_server_t *self;
    Crmq__ChannelRequest *request;
    const char *kind;
    char e164 [CRMQ_PHONE_E164_MAX];        //  a phone's, read in its client's country
    crmq_reply_t *reply;
} channel_job_t;

static int
s_add_channel_tx (crmq_pg_t *pg, void *arg)
{
    channel_job_t *job = (channel_job_t *) arg;
    Crmq__Channel *c = job->request->channel;
    int rc = contacts_write_begin (pg, job->request->actor, job->request->request_key,
                                   "contacts.AddChannel", &crmq__channel_reply__descriptor, job->reply);
    if (rc != 1)
        return rc;
    char client_id [24], person_id [24], id [24];
    contacts_id_text (c->client_id, client_id, sizeof client_id);
    contacts_id_text (c->person_id, person_id, sizeof person_id);
    if (c->person_id) {
        const char *values [1] = { person_id };
        PGresult *result = crmq_pg_exec (pg, SQL_PERSON_CLIENT, 1, values);
        if (!result)
            return -1;
        if (PQntuples (result) == 0) {
            PQclear (result);
            return crmq_reply_error (job->reply, CRMQ_NOT_FOUND, "channel.person_id",
                                     "no person with id %s", person_id);
        }
        char owner [24];
        snprintf (owner, sizeof owner, "%s", PQgetvalue (result, 0, 0));
        PQclear (result);
        if (c->client_id && !streq (owner, client_id))
            return crmq_reply_error (job->reply, CRMQ_INVALID_ARGUMENT, "channel.person_id",
                                     "person %s belongs to client %s, not %s",
                                     person_id, owner, client_id);
        snprintf (client_id, sizeof client_id, "%s", owner);
    }
    rc = contacts_client_lock (pg, strtoll (client_id, NULL, 10), CONTACTS_LOCK_ATTACH, job->reply,
                               "channel.client_id");
    if (rc == 0 && streq (c->type, "phone"))
        rc = channel_store_phone (pg, job->self, client_id, c->value, job->e164, sizeof job->e164,
                                  job->reply, "channel.value");
    if (rc != 0)
        return rc;
    channel_store_put_t put = { client_id, person_id, c->type, job->kind, c->value, job->e164,
                                c->primary, false };
    if (channel_store_put (pg, &put, id, sizeof id) != 0)
        return -1;
    //  the channel as stored, kept for the request key and replied
    const char *values [1] = { id };
    PGresult *result = crmq_pg_exec (pg, SQL_GET_CHANNEL, 1, values);
    if (!result)
        return -1;
    if (PQntuples (result) == 0) {
        PQclear (result);
        return crmq_reply_error (job->reply, CRMQ_INTERNAL, NULL, "the channel vanished");
    }
    Crmq__Channel channel;
    s_channel_from_row (&channel, result, 0);
    Crmq__ChannelReply answer = CRMQ__CHANNEL_REPLY__INIT;
    answer.channel = &channel;
    rc = contacts_write_reply (pg, job->request->request_key, &answer.base, job->reply);
    PQclear (result);
    return rc;
}

static int
s_add_channel (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__ChannelRequest *request = (Crmq__ChannelRequest *)
        contacts_request_unpack (&crmq__channel_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code = CRMQ_INVALID_ARGUMENT;
    Crmq__Channel *c = request->channel;
    static const char *types [] = { "phone", "email", "address", "messenger", "web", NULL };
    static const char *kinds [] = { "work", "mobile", "home", "fax", "other", NULL };
    if (!c) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "channel", "channel is missing");
        goto done;
    }
    if (!s_actor_valid (reply, request->actor))
        goto done;
    if (c->client_id < 0 || c->person_id < 0 || (c->client_id == 0 && c->person_id == 0)) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "channel.client_id",
                                 "give channel.client_id and/or channel.person_id");
        goto done;
    }
    if (!contacts_one_of (c->type, types)) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "channel.type",
                                 "channel.type must be phone, email, address, messenger or web");
        goto done;
    }
    if (*c->kind && !contacts_one_of (c->kind, kinds)) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "channel.kind",
                                 "channel.kind must be work, mobile, home, fax or other");
        goto done;
    }
    if (!contacts_check (reply, "channel.value", c->value, 1, CONTACTS_MAX_FIELD, false))
        goto done;
    if (streq (c->type, "email") && !contacts_email_valid (c->value)) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "channel.value",
                                 "channel.value is not an e-mail address");
        goto done;
    }
    //  a phone is checked in the transaction, in its client's country
    channel_job_t job = { self, request, *c->kind? c->kind: "work", "", reply };
    //  0: replied in the transaction
    code = contacts_transaction (self, s_add_channel_tx, &job, reply);
done:
    crmq_message_free (&request->base);
    return code;
}

static const char *SQL_DELETE_CHANNEL =
    "DELETE FROM contacts.channels WHERE id = $1::bigint RETURNING id";

typedef struct {
    Crmq__RemoveRequest *request;
    crmq_reply_t *reply;
} remove_job_t;

static int
s_remove_channel_tx (crmq_pg_t *pg, void *arg)
{
    remove_job_t *job = (remove_job_t *) arg;
    if (contacts_set_actor (pg, job->request->actor) != 0)
        return -1;
    char id [24];
    contacts_id_text (job->request->id, id, sizeof id);
    const char *values [1] = { id };
    PGresult *result = crmq_pg_exec (pg, SQL_DELETE_CHANNEL, 1, values);
    if (!result)
        return -1;
    int rows = PQntuples (result);
    PQclear (result);
    if (rows == 0)
        return crmq_reply_error (job->reply, CRMQ_NOT_FOUND, "id", "no channel with id %s", id);
    return 0;
}

static int
s_remove_channel (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__RemoveRequest *request = (Crmq__RemoveRequest *)
        contacts_request_unpack (&crmq__remove_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code = CRMQ_INVALID_ARGUMENT;
    if (request->id <= 0) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "id", "id must name a channel");
        goto done;
    }
    if (!s_actor_valid (reply, request->actor))
        goto done;
    remove_job_t job = { request, reply };
    code = contacts_transaction (self, s_remove_channel_tx, &job, reply);
    if (code == 0) {
        Crmq__RemoveReply answer = CRMQ__REMOVE_REPLY__INIT;
        code = crmq_reply_ok (reply, &answer.base);
    }
done:
    crmq_message_free (&request->base);
    return code;
}

//  --------------------------------------------------------------------------
//  contacts.GetAudit

static const char *SQL_CLIENT_EXISTS =
    "SELECT 1 FROM contacts.clients WHERE id = $1::bigint";

static const char *SQL_AUDIT =
    "SELECT id, (extract (epoch FROM at) * 1000000)::bigint, actor, entity, entity_id, action,"
    "       changes::text"
    "  FROM contacts.audit"
    " WHERE client_id = $1::bigint AND ($2::bigint = 0 OR id < $2::bigint)"
    " ORDER BY id DESC LIMIT $3::int";

static int
s_get_audit (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__AuditRequest *request = (Crmq__AuditRequest *)
        contacts_request_unpack (&crmq__audit_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code;
    int limit = request->limit? request->limit: 100;
    if (request->client_id <= 0) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "client_id",
                                 "client_id must name a client");
        goto done;
    }
    if (limit < 1 || limit > 1000 || request->before_id < 0) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "limit",
                                 "limit must be 1..1000 and before_id >= 0");
        goto done;
    }
    char client_id [24], before [24], count [16];
    contacts_id_text (request->client_id, client_id, sizeof client_id);
    contacts_id_text (request->before_id, before, sizeof before);
    snprintf (count, sizeof count, "%d", limit + 1);     //  one more tells if there are more
    const char *values [3] = { client_id, before, count };
    PGresult *result = crmq_pg_exec (self->pg, SQL_CLIENT_EXISTS, 1, values);
    if (!result) {
        code = contacts_db_error (self, reply);
        goto done;
    }
    int exists = PQntuples (result);
    PQclear (result);
    if (!exists) {
        code = crmq_reply_error (reply, CRMQ_NOT_FOUND, "client_id", "no client with id %s", client_id);
        goto done;
    }
    result = crmq_pg_exec (self->pg, SQL_AUDIT, 3, values);
    if (!result) {
        code = contacts_db_error (self, reply);
        goto done;
    }
    int rows = PQntuples (result);
    bool more = rows > limit;
    if (more)
        rows = limit;
    Crmq__AuditEntry *entries = (Crmq__AuditEntry *) zmalloc ((rows + 1) * sizeof (Crmq__AuditEntry));
    Crmq__AuditEntry **pointers = (Crmq__AuditEntry **)
        zmalloc ((rows + 1) * sizeof (Crmq__AuditEntry *));
    for (int row = 0; row < rows; row++) {
        Crmq__AuditEntry *e = &entries [row];
        crmq__audit_entry__init (e);
        e->id = strtoll (PQgetvalue (result, row, 0), NULL, 10);
        e->at_us = strtoll (PQgetvalue (result, row, 1), NULL, 10);
        e->actor = PQgetvalue (result, row, 2);
        e->entity = PQgetvalue (result, row, 3);
        e->entity_id = strtoll (PQgetvalue (result, row, 4), NULL, 10);
        e->action = PQgetvalue (result, row, 5);
        e->changes_json = PQgetvalue (result, row, 6);
        pointers [row] = e;
    }
    Crmq__AuditReply answer = CRMQ__AUDIT_REPLY__INIT;
    answer.n_entries = (size_t) rows;
    answer.entries = pointers;
    answer.next_before_id = more? entries [rows - 1].id: 0;
    code = crmq_reply_ok (reply, &answer.base);
    free (pointers);
    free (entries);
    PQclear (result);
done:
    crmq_message_free (&request->base);
    return code;
}

//  --------------------------------------------------------------------------
//  contacts.SetManagerAbsences and contacts.ListManagers

static const char *SQL_LOCK_MANAGER =
    "SELECT id FROM contacts.managers WHERE id = $1::bigint FOR UPDATE";

//  The manager's absences now and as asked ($2..$4: from, to, reason
//  arrays), both as a JSON array ordered by from_date, and whether they are
//  the same.
#define ABSENCE_JSON(from, to, reason) \
    "coalesce (jsonb_agg (jsonb_build_object ('from_date', " from ", 'to_date', " to \
    ", 'reason', " reason ") ORDER BY " from "), '[]'::jsonb)"
static const char *SQL_ABSENCES_COMPARE =
    "WITH old AS (SELECT " ABSENCE_JSON ("from_date", "to_date", "reason") " AS v"
    "               FROM contacts.manager_absences WHERE manager_id = $1::bigint),"
    "     new AS (SELECT " ABSENCE_JSON ("f", "t", "r") " AS v"
    "               FROM unnest ($2::date[], $3::date[], $4::text[]) AS a (f, t, r))"
    " SELECT old.v = new.v, old.v::text, new.v::text FROM old, new";

static const char *SQL_ABSENCES_DELETE =
    "DELETE FROM contacts.manager_absences WHERE manager_id = $1::bigint";

static const char *SQL_ABSENCES_INSERT =
    "INSERT INTO contacts.manager_absences (manager_id, from_date, to_date, reason)"
    " SELECT $1::bigint, f, t, r FROM unnest ($2::date[], $3::date[], $4::text[]) AS a (f, t, r)";

//  manager_absences has no audit trigger: the change is recorded here, as
//  the triggers record theirs ({"absences": [old, new]}).
static const char *SQL_ABSENCES_AUDIT =
    "INSERT INTO contacts.audit (actor, entity, entity_id, client_id, action, changes)"
    " VALUES (coalesce (nullif (current_setting ('crmq.actor', true), ''), 'system'),"
    "         'manager', $1::bigint, NULL, 'update',"
    "         jsonb_build_object ('absences', jsonb_build_array ($2::jsonb, $3::jsonb)))";

typedef struct {
    Crmq__ManagerAbsencesRequest *request;
    const char *values [4];                 //  manager id, from, to, reason arrays
    crmq_reply_t *reply;
} absences_job_t;

static int
s_set_absences_tx (crmq_pg_t *pg, void *arg)
{
    absences_job_t *job = (absences_job_t *) arg;
    if (contacts_set_actor (pg, job->request->actor) != 0)
        return -1;
    PGresult *result = crmq_pg_exec (pg, SQL_LOCK_MANAGER, 1, job->values);
    if (!result)
        return -1;
    int exists = PQntuples (result);
    PQclear (result);
    if (!exists)
        return crmq_reply_error (job->reply, CRMQ_NOT_FOUND, "manager_id",
                                 "no manager with id %s", job->values [0]);
    result = crmq_pg_exec (pg, SQL_ABSENCES_COMPARE, 4, job->values);
    if (!result)
        return -1;
    if (streq (PQgetvalue (result, 0, 0), "t")) {
        PQclear (result);
        return 0;                           //  the same: nothing to write
    }
    const char *audit [3] = { job->values [0], PQgetvalue (result, 0, 1), PQgetvalue (result, 0, 2) };
    int rc = crmq_pg_command (pg, SQL_ABSENCES_DELETE, 1, job->values) == 0
          && crmq_pg_command (pg, SQL_ABSENCES_INSERT, 4, job->values) == 0
          && crmq_pg_command (pg, SQL_ABSENCES_AUDIT, 3, audit) == 0? 0: -1;
    PQclear (result);
    return rc;
}

//  Replies ListManagersReply with the managers `id` (0 = all) as stored.
static int
s_reply_managers (contacts_server_t *self, int64_t id, crmq_reply_t *reply)
{
    managers_t managers;
    if (s_managers_load (self->pg, id, &managers) != 0)
        return contacts_db_error (self, reply);
    Crmq__ListManagersReply answer = CRMQ__LIST_MANAGERS_REPLY__INIT;
    answer.n_managers = managers.count;
    answer.managers = managers.pointers;
    int code = crmq_reply_ok (reply, &answer.base);
    s_managers_clear (&managers);
    return code;
}

//  Orders absence indexes by from_date (qsort_r context: the absences).
static int
s_absence_compare (const void *a, const void *b, void *arg)
{
    Crmq__Absence **absences = (Crmq__Absence **) arg;
    return strcmp (absences [*(const size_t *) a]->from_date,
                   absences [*(const size_t *) b]->from_date);
}

static int
s_set_manager_absences (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__ManagerAbsencesRequest *request = (Crmq__ManagerAbsencesRequest *)
        contacts_request_unpack (&crmq__manager_absences_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code = CRMQ_INVALID_ARGUMENT;
    size_t *order = NULL;
    crmq_pg_array_t *from = crmq_pg_array_new (), *to = crmq_pg_array_new (),
                    *reason = crmq_pg_array_new ();
    if (request->manager_id <= 0) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "manager_id",
                                 "manager_id must name a manager");
        goto done;
    }
    if (!s_actor_valid (reply, request->actor))
        goto done;
    if (request->n_absences > MAX_ABSENCES) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "absences",
                                 "absences: at most %d", MAX_ABSENCES);
        goto done;
    }
    for (size_t i = 0; i < request->n_absences; i++) {
        Crmq__Absence *a = request->absences [i];
        char field [48];
        snprintf (field, sizeof field, "absences[%zu].from_date", i);
        if (!contacts_date_valid (a->from_date)) {
            code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field,
                                     "%s must be a real date YYYY-MM-DD", field);
            goto done;
        }
        snprintf (field, sizeof field, "absences[%zu].to_date", i);
        if (!contacts_date_valid (a->to_date) || strcmp (a->to_date, a->from_date) <= 0) {
            code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field,
                                     "%s must be a real date YYYY-MM-DD after from_date", field);
            goto done;
        }
        if (!contacts_check_item (reply, "absences", i, "reason", a->reason, 0, CONTACTS_MAX_FIELD))
            goto done;
    }
    //  periods are [from, to): sorted by from, each must end before the next begins
    order = (size_t *) zmalloc ((request->n_absences + 1) * sizeof (size_t));
    for (size_t i = 0; i < request->n_absences; i++)
        order [i] = i;
    qsort_r (order, request->n_absences, sizeof (size_t), s_absence_compare, request->absences);
    for (size_t k = 1; k < request->n_absences; k++) {
        Crmq__Absence *before = request->absences [order [k - 1]];
        Crmq__Absence *after = request->absences [order [k]];
        if (strcmp (after->from_date, before->to_date) < 0) {
            char field [48];
            snprintf (field, sizeof field, "absences[%zu].from_date", order [k]);
            code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field,
                                     "absences[%zu] overlaps absences[%zu]", order [k], order [k - 1]);
            goto done;
        }
    }
    for (size_t i = 0; i < request->n_absences; i++) {
        crmq_pg_array_append (from, request->absences [i]->from_date);
        crmq_pg_array_append (to, request->absences [i]->to_date);
        crmq_pg_array_append (reason, request->absences [i]->reason);
    }
    char id [24];
    contacts_id_text (request->manager_id, id, sizeof id);
    absences_job_t job = { request, { id, crmq_pg_array_text (from), crmq_pg_array_text (to),
                                      crmq_pg_array_text (reason) }, reply };
    code = contacts_transaction (self, s_set_absences_tx, &job, reply);
    if (code == 0)
        code = s_reply_managers (self, request->manager_id, reply);
done:
    free (order);
    crmq_pg_array_destroy (&from);
    crmq_pg_array_destroy (&to);
    crmq_pg_array_destroy (&reason);
    crmq_message_free (&request->base);
    return code;
}

static int
s_list_managers (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__ListManagersRequest *request = (Crmq__ListManagersRequest *)
        contacts_request_unpack (&crmq__list_managers_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code = s_reply_managers (self, 0, reply);
    crmq_message_free (&request->base);
    return code;
}

const crmq_rpc_method_t client_card_methods [] = {
    { "contacts.GetClient", s_get_client },
    { "contacts.ListClients", s_list_clients },
    { "contacts.CreateClient", s_create_client },
    { "contacts.UpdateClient", s_update_client },
    { "contacts.SavePerson", s_save_person },
    { "contacts.AddChannel", s_add_channel },
    { "contacts.RemoveChannel", s_remove_channel },
    { "contacts.GetAudit", s_get_audit },
    { "contacts.SetManagerAbsences", s_set_manager_absences },
    { "contacts.ListManagers", s_list_managers },
    { NULL, NULL }
};

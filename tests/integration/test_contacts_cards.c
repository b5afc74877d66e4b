/*  test_contacts_cards - client cards through crmq-contacts: CreateClient,
    UpdateClient, SavePerson, AddChannel / RemoveChannel, GetClient (persons,
    channels, last interactions, next planned contact, merged ids), GetAudit,
    SetManagerAbsences / ListManagers; the card is never stale after a
    change; bad input gets the right code and field and changes nothing.   */
#include "test_support.h"
#include <jansson.h>
#include <pthread.h>

static crmq_rpc_client_t *s_contacts;
static crmq_pg_t *s_pg;

//  test_call on the test's crmq-contacts client.
static int
s_call (const char *method, const ProtobufCMessage *request,
        const ProtobufCMessageDescriptor *descriptor, ProtobufCMessage **answer)
{
    return test_call (s_contacts, method, request, descriptor, answer);
}

//  Calls `method` expecting it to fail with want_code naming want_field.
static void
s_expect_error (const char *what, const char *method, const ProtobufCMessage *request,
                const ProtobufCMessageDescriptor *descriptor, int want_code, const char *want_field)
{
    ProtobufCMessage *answer;
    int code = s_call (method, request, descriptor, &answer);
    if (answer)
        protobuf_c_message_free_unpacked (answer, NULL);
    const char *field = code? crmq_rpc_client_field (s_contacts): "";
    printf ("  %s: %d %s: %s\n", what, code, field, code? crmq_rpc_client_message (s_contacts): "");
    CHECK (code == want_code && streq (field, want_field),
           "%s: code %d field '%s', expected %d '%s'", what, code, field, want_code, want_field);
}

//  md5 over every row crmq-contacts keeps for cards (caller frees).
static char *
s_fingerprint (void)
{
    static const char *const tables [] = {
        "contacts.clients", "contacts.managers", "contacts.persons", "contacts.channels",
        "contacts.interactions", "contacts.manager_absences", "contacts.merges", "contacts.audit", NULL };
    return test_fingerprint_of (s_pg, tables);
}

//  Runs a statement of the test's own (setting up interactions and merges).
static void
s_sql (const char *sql, int nparams, const char *const *values)
{
    int rc = crmq_pg_command (s_pg, sql, nparams, values);
    CHECK (rc == 0, "%s: %s", sql, crmq_pg_error (s_pg));
}

//  The card of client `id` (external_id when id is 0); NULL when the call fails.
static Crmq__GetClientReply *
s_card (int64_t id, const char *external_id)
{
    Crmq__GetClientRequest request = CRMQ__GET_CLIENT_REQUEST__INIT;
    request.id = id;
    request.external_id = (char *) (external_id? external_id: "");
    ProtobufCMessage *answer;
    int code = s_call ("contacts.GetClient", &request.base, &crmq__get_client_reply__descriptor, &answer);
    CHECK (code == CRMQ_OK, "GetClient %" PRId64 ": code %d %s", id, code,
           crmq_rpc_client_message (s_contacts));
    return (Crmq__GetClientReply *) answer;
}

static void
s_card_free (Crmq__GetClientReply **card_p)
{
    if (*card_p)
        crmq__get_client_reply__free_unpacked (*card_p, NULL);
    *card_p = NULL;
}

//  True when two JSON texts hold equal values.
static bool
s_json_equal (const char *a, const char *b)
{
    json_t *x = json_loads (a, 0, NULL), *y = json_loads (b, 0, NULL);
    bool equal = x && y && json_equal (x, y);
    json_decref (x);
    json_decref (y);
    return equal;
}

static Crmq__Client *
s_create_client (Crmq__Client *client, const char *actor)
{
    Crmq__ClientRequest request = CRMQ__CLIENT_REQUEST__INIT;
    request.client = client;
    request.actor = (char *) actor;
    ProtobufCMessage *answer;
    int code = s_call ("contacts.CreateClient", &request.base, &crmq__client_reply__descriptor, &answer);
    CHECK (code == CRMQ_OK, "CreateClient %s: code %d %s %s", client->name, code,
           crmq_rpc_client_field (s_contacts), crmq_rpc_client_message (s_contacts));
    if (!answer)
        return NULL;
    Crmq__ClientReply *reply = (Crmq__ClientReply *) answer;
    Crmq__Client *stored = reply->client;
    reply->client = NULL;
    crmq__client_reply__free_unpacked (reply, NULL);
    return stored;
}

static Crmq__Client *
s_update_client (Crmq__Client *client, char **fields, size_t n_fields, const char *actor)
{
    Crmq__ClientRequest request = CRMQ__CLIENT_REQUEST__INIT;
    request.client = client;
    request.fields = fields;
    request.n_fields = n_fields;
    request.actor = (char *) actor;
    ProtobufCMessage *answer;
    int code = s_call ("contacts.UpdateClient", &request.base, &crmq__client_reply__descriptor, &answer);
    CHECK (code == CRMQ_OK, "UpdateClient: code %d %s %s", code,
           crmq_rpc_client_field (s_contacts), crmq_rpc_client_message (s_contacts));
    if (!answer)
        return NULL;
    Crmq__ClientReply *reply = (Crmq__ClientReply *) answer;
    Crmq__Client *stored = reply->client;
    reply->client = NULL;
    crmq__client_reply__free_unpacked (reply, NULL);
    return stored;
}

static void
s_client_free (Crmq__Client **client_p)
{
    if (*client_p)
        crmq__client__free_unpacked (*client_p, NULL);
    *client_p = NULL;
}

//  Saves `person`: with `fields` (n_fields > 0) only those of an existing
//  person.  Returns it as stored (free with crmq__person__free_unpacked) or NULL.
static Crmq__Person *
s_save_person_fields (Crmq__Person *person, char **fields, size_t n_fields, const char *actor)
{
    Crmq__PersonRequest request = CRMQ__PERSON_REQUEST__INIT;
    request.person = person;
    request.actor = (char *) actor;
    request.fields = fields;
    request.n_fields = n_fields;
    ProtobufCMessage *answer;
    int code = s_call ("contacts.SavePerson", &request.base, &crmq__person_reply__descriptor, &answer);
    CHECK (code == CRMQ_OK, "SavePerson: code %d %s %s", code,
           crmq_rpc_client_field (s_contacts), crmq_rpc_client_message (s_contacts));
    if (!answer)
        return NULL;
    Crmq__PersonReply *reply = (Crmq__PersonReply *) answer;
    Crmq__Person *stored = reply->person;
    reply->person = NULL;
    crmq__person_reply__free_unpacked (reply, NULL);
    return stored;
}

static Crmq__Person *
s_save_person (Crmq__Person *person, const char *actor)
{
    return s_save_person_fields (person, NULL, 0, actor);
}

//  Adds a channel; returns it as stored (free with crmq__channel__free_unpacked) or NULL.
static Crmq__Channel *
s_add_channel (int64_t client_id, int64_t person_id, const char *type, const char *kind,
               const char *value, bool primary)
{
    Crmq__Channel channel = CRMQ__CHANNEL__INIT;
    channel.client_id = client_id;
    channel.person_id = person_id;
    channel.type = (char *) type;
    channel.kind = (char *) kind;
    channel.value = (char *) value;
    channel.primary = primary;
    Crmq__ChannelRequest request = CRMQ__CHANNEL_REQUEST__INIT;
    request.channel = &channel;
    request.actor = (char *) "tester";
    ProtobufCMessage *answer;
    int code = s_call ("contacts.AddChannel", &request.base, &crmq__channel_reply__descriptor, &answer);
    CHECK (code == CRMQ_OK, "AddChannel %s: code %d %s %s", value, code,
           crmq_rpc_client_field (s_contacts), crmq_rpc_client_message (s_contacts));
    if (!answer)
        return NULL;
    Crmq__ChannelReply *reply = (Crmq__ChannelReply *) answer;
    Crmq__Channel *stored = reply->channel;
    reply->channel = NULL;
    crmq__channel_reply__free_unpacked (reply, NULL);
    return stored;
}

//  The channel `id` among a card's person's channels, or NULL.
static Crmq__Channel *
s_find_channel (Crmq__Channel **channels, size_t count, int64_t id)
{
    for (size_t i = 0; i < count; i++)
        if (channels [i]->id == id)
            return channels [i];
    return NULL;
}

static long long
s_count1 (const char *sql, int64_t id)
{
    char text [24];
    snprintf (text, sizeof text, "%" PRId64, id);
    const char *values [1] = { text };
    PGresult *result = crmq_pg_exec (s_pg, sql, 1, values);
    if (!result)
        return -1;
    long long n = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    PQclear (result);
    return n;
}

//  Upserts one manager; returns its id.
static int64_t
s_manager (const char *external_id, const char *name, bool active)
{
    Crmq__Manager manager = CRMQ__MANAGER__INIT;
    manager.external_id = (char *) external_id;
    manager.name = (char *) name;
    manager.email = (char *) "manager@example.com";
    manager.time_zone = (char *) "Europe/Moscow";
    manager.supervisor_external_id = (char *) (active? "CC-BOSS": "");
    manager.active = active;
    Crmq__Manager *managers [1] = { &manager };
    Crmq__UpsertManagersRequest request = CRMQ__UPSERT_MANAGERS_REQUEST__INIT;
    request.n_managers = 1;
    request.managers = managers;
    ProtobufCMessage *answer;
    int code = s_call ("contacts.UpsertManagers", &request.base,
                       &crmq__upsert_managers_reply__descriptor, &answer);
    CHECK (code == CRMQ_OK && answer, "UpsertManagers %s: code %d", external_id, code);
    int64_t id = 0;
    if (answer) {
        Crmq__UpsertManagersReply *reply = (Crmq__UpsertManagersReply *) answer;
        id = reply->n_ids? reply->ids [0]: 0;
        protobuf_c_message_free_unpacked (answer, NULL);
    }
    return id;
}

//  SetManagerAbsences with `count` periods; returns the code, and on 0 the
//  manager as stored in *stored (free it) when stored is not NULL.
static int
s_set_absences (int64_t manager_id, const char *const *periods, size_t count,
                Crmq__ListManagersReply **stored)
{
    Crmq__Absence absences [8];
    Crmq__Absence *pointers [8];
    for (size_t i = 0; i < count; i++) {
        crmq__absence__init (&absences [i]);
        absences [i].from_date = (char *) periods [3 * i];
        absences [i].to_date = (char *) periods [3 * i + 1];
        absences [i].reason = (char *) periods [3 * i + 2];
        pointers [i] = &absences [i];
    }
    Crmq__ManagerAbsencesRequest request = CRMQ__MANAGER_ABSENCES_REQUEST__INIT;
    request.manager_id = manager_id;
    request.n_absences = count;
    request.absences = pointers;
    request.actor = (char *) "hr";
    ProtobufCMessage *answer;
    int code = s_call ("contacts.SetManagerAbsences", &request.base,
                       &crmq__list_managers_reply__descriptor, &answer);
    if (stored)
        *stored = (Crmq__ListManagersReply *) answer;
    else
    if (answer)
        protobuf_c_message_free_unpacked (answer, NULL);
    return code;
}

//  A write sent from a thread of its own (with its own RPC client) while the
//  test holds a merge open.
typedef struct {
    const char *method;
    const ProtobufCMessage *request;
    int code;
    char field [64];
    char message [256];
} s_racer_t;

static void *
s_racer (void *arg)
{
    s_racer_t *racer = (s_racer_t *) arg;
    crmq_rpc_client_t *client = crmq_rpc_client_new (test_env ("CRMQ_CONTACTS_ENDPOINT"), 20000, 0);
    uint8_t *body = NULL;
    size_t size = 0;
    racer->code = client? crmq_rpc_call (client, racer->method, racer->request, &body, &size): -1;
    free (body);
    snprintf (racer->field, sizeof racer->field, "%s",
              racer->code > 0? crmq_rpc_client_field (client): "");
    snprintf (racer->message, sizeof racer->message, "%s",
              racer->code > 0? crmq_rpc_client_message (client): "");
    crmq_rpc_client_destroy (&client);
    return NULL;
}

//  A merge done by hand as MergeClients does it: one transaction that locks
//  both clients FOR UPDATE first; it lets the racer start and holds until
//  the racer waits for a lock, then marks the client merged and commits.
typedef struct {
    const char *values [2];                 //  the merged client, the survivor
    s_racer_t *racer;
    pthread_t thread;
    bool started;
    bool waited;                            //  the racer was seen waiting
} s_merge_race_t;

static int
s_merge_race_tx (crmq_pg_t *pg, void *arg)
{
    s_merge_race_t *race = (s_merge_race_t *) arg;
    if (crmq_pg_command (pg, "SELECT 1 FROM contacts.clients WHERE id IN ($1::bigint, $2::bigint)"
                             " ORDER BY id FOR UPDATE", 2, race->values) != 0)
        return -1;
    if (!race->started)
        race->started = pthread_create (&race->thread, NULL, s_racer, race->racer) == 0;
    for (int attempt = 0; race->started && !race->waited && attempt < 200; attempt++) {
        PGresult *result = crmq_pg_exec (pg, "SELECT count(*) FROM pg_locks WHERE NOT granted", 0, NULL);
        if (!result)
            return -1;
        race->waited = strtoll (PQgetvalue (result, 0, 0), NULL, 10) > 0;
        PQclear (result);
        if (!race->waited)
            zclock_sleep (50);
    }
    if (crmq_pg_command (pg, "UPDATE contacts.clients SET status = 'merged' WHERE id = $1::bigint",
                         1, race->values) != 0
    ||  crmq_pg_command (pg, "INSERT INTO contacts.merges (merged_id, survivor_id, actor)"
                             " VALUES ($1::bigint, $2::bigint, 'race')", 2, race->values) != 0)
        return -1;
    return 0;
}

//  Races `method` (SavePerson of a person of the client being merged, or
//  AddChannel to that person) against a merge of that client: the write
//  must wait for the merge, then be refused naming the survivor, and leave
//  nothing behind.
static void
s_race_merge (const char *method)
{
    Crmq__Client draft = CRMQ__CLIENT__INIT;
    draft.name = "Гонка «Выживший»";
    Crmq__Client *survivor = s_create_client (&draft, "tester");
    draft.name = "Гонка «Сливаемый»";
    Crmq__Client *merged = s_create_client (&draft, "tester");
    Crmq__Person person_draft = CRMQ__PERSON__INIT;
    person_draft.client_id = merged? merged->id: 0;
    person_draft.name = "Участник гонки";
    person_draft.active = true;
    Crmq__Person *person = s_save_person (&person_draft, "tester");
    if (!survivor || !merged || !person) {
        CHECK (false, "race %s: set-up failed", method);
        s_client_free (&survivor);
        s_client_free (&merged);
        if (person)
            crmq__person__free_unpacked (person, NULL);
        return;
    }
    char *note_field [] = { "note" };
    Crmq__Person edit = CRMQ__PERSON__INIT;
    edit.id = person->id;
    edit.note = "записано во время слияния";
    Crmq__PersonRequest person_request = CRMQ__PERSON_REQUEST__INIT;
    person_request.person = &edit;
    person_request.fields = note_field;
    person_request.n_fields = 1;
    Crmq__Channel phone = CRMQ__CHANNEL__INIT;
    phone.person_id = person->id;
    phone.type = "phone";
    phone.value = "+7 495 765-43-21";
    Crmq__ChannelRequest channel_request = CRMQ__CHANNEL_REQUEST__INIT;
    channel_request.channel = &phone;
    s_racer_t racer = { method, streq (method, "contacts.SavePerson")? &person_request.base
                                                                     : &channel_request.base,
                        -1, "", "" };
    char merged_text [24], survivor_text [24];
    snprintf (merged_text, sizeof merged_text, "%" PRId64, merged->id);
    snprintf (survivor_text, sizeof survivor_text, "%" PRId64, survivor->id);
    s_merge_race_t race = { .values = { merged_text, survivor_text }, .racer = &racer };
    int rc = crmq_pg_transaction (s_pg, s_merge_race_tx, &race);
    CHECK (rc == 0, "race %s: the merge committed: %s", method, crmq_pg_error (s_pg));
    if (race.started)
        pthread_join (race.thread, NULL);
    char survivor_named [96];
    snprintf (survivor_named, sizeof survivor_named, "merged into client %s", survivor_text);
    printf ("  %s during a merge: %d %s: %s\n", method, racer.code, racer.field, racer.message);
    CHECK (race.started && race.waited, "race %s: the write waited for the merge's lock", method);
    const char *want_field = streq (method, "contacts.SavePerson")? "person.client_id"
                                                                  : "channel.client_id";
    CHECK (racer.code == CRMQ_FAILED_PRECONDITION && streq (racer.field, want_field)
           && strstr (racer.message, survivor_named) != NULL,
           "race %s: refused naming the survivor (%d %s)", method, racer.code, racer.field);
    CHECK (s_count1 ("SELECT count(*) FROM contacts.persons WHERE id = $1::bigint AND note = ''",
                     person->id) == 1
           && s_count1 ("SELECT count(*) FROM contacts.channels WHERE person_id = $1::bigint",
                        person->id) == 0, "race %s: nothing written", method);
    s_client_free (&survivor);
    s_client_free (&merged);
    crmq__person__free_unpacked (person, NULL);
}

int
main (void)
{
    crmq_log_init ("test_contacts_cards", "error");
    s_contacts = crmq_rpc_client_new (test_env ("CRMQ_CONTACTS_ENDPOINT"), 20000, 0);
    s_pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_contacts_cards");
    const char *company = "ООО «Ромашка» \"Test\"";

    printf ("managers\n");
    int64_t boss = s_manager ("CC-BOSS", "Ольга Начальникова", true);
    int64_t anna = s_manager ("CC-M1", "Анна Петрова", true);
    int64_t gone = s_manager ("CC-M2", "Уволенный Сотрудник", false);
    CHECK (boss > 0 && anna > 0 && gone > 0, "manager ids %" PRId64 " %" PRId64 " %" PRId64,
           boss, anna, gone);

    printf ("CreateClient: a company with Cyrillic and quotes, tags, attributes, a phone\n");
    char *tags [] = { "опт", "VIP", "Москва и МО" };
    const char *attributes = "{\"отрасль\": \"розница\", \"employees\": 12, \"quote\": \"«\\\"x\\\"»\"}";
    Crmq__Client draft = CRMQ__CLIENT__INIT;
    draft.external_id = "CC-ROMASHKA";
    draft.name = (char *) company;
    draft.legal_name = "Общество с ограниченной ответственностью «Ромашка»";
    draft.region = "Москва";
    draft.category = "A";
    draft.kind = "company";
    draft.tax_id = "7701234567";
    draft.tags = tags;
    draft.n_tags = 3;
    draft.relationship_since = "2019-03-15";
    draft.attributes_json = (char *) attributes;
    draft.phone = "+7 (495) 123-45-67";
    draft.email = "Info@Romashka.ru";
    draft.manager_external_id = "CC-M1";
    Crmq__Client *created = s_create_client (&draft, "Анна (tester)");
    if (!created) {
        printf ("test_contacts_cards: FAIL (no client)\n");
        return 1;
    }
    int64_t id = created->id;
    CHECK (id > 0, "id %" PRId64, id);
    CHECK (streq (created->name, company), "name %s", created->name);
    CHECK (streq (created->phone, "+7 (495) 123-45-67"), "phone %s", created->phone);
    CHECK (streq (created->phone_e164, "+74951234567"), "phone_e164 %s", created->phone_e164);
    CHECK (created->n_tags == 3 && streq (created->tags [0], "опт") && streq (created->tags [1], "VIP")
           && streq (created->tags [2], "Москва и МО"), "tags %zu", created->n_tags);
    CHECK (streq (created->relationship_since, "2019-03-15"), "since %s", created->relationship_since);
    CHECK (s_json_equal (created->attributes_json, attributes), "attributes %s", created->attributes_json);
    CHECK (streq (created->kind, "company") && streq (created->status, "active"), "kind %s status %s",
           created->kind, created->status);
    CHECK (created->manager_id == anna && streq (created->manager_external_id, "CC-M1"),
           "manager %" PRId64, created->manager_id);
    CHECK (streq (created->tax_id, "7701234567") && streq (created->email, "Info@Romashka.ru"),
           "tax id %s email %s", created->tax_id, created->email);
    CHECK (s_count1 ("SELECT count(*) FROM contacts.audit WHERE client_id = $1::bigint"
                     " AND action = 'insert' AND actor = 'Анна (tester)'", id) == 1, "insert audited");

    printf ("a client without external id and with defaults\n");
    Crmq__Client plain = CRMQ__CLIENT__INIT;
    plain.name = "Иванов Иван Иванович";
    Crmq__Client *person_client = s_create_client (&plain, "");
    CHECK (person_client && person_client->external_id [0] == 0 && streq (person_client->kind, "company")
           && streq (person_client->status, "active") && streq (person_client->attributes_json, "{}"),
           "defaults");
    CHECK (person_client && s_count1 ("SELECT count(*) FROM contacts.clients WHERE id = $1::bigint"
                                      " AND external_id IS NULL", person_client->id) == 1,
           "empty external id stored as NULL");

    printf ("GetClient: by id and by external id\n");
    Crmq__GetClientReply *card = s_card (id, NULL);
    int64_t version = 0;
    if (card) {
        CHECK (streq (card->client->name, company) && card->client->version == created->version,
               "card %s v%" PRId64, card->client->name, card->client->version);
        CHECK (card->manager && streq (card->manager->name, "Анна Петрова")
               && card->manager->supervisor_id == boss, "manager");
        CHECK (card->n_persons == 0 && card->n_channels == 0 && card->n_last_interactions == 0
               && !card->next_planned && card->asked_id == 0, "an empty card");
        version = card->client->version;
    }
    s_card_free (&card);
    card = s_card (0, "CC-ROMASHKA");
    CHECK (card && card->client->id == id, "by external id");
    s_card_free (&card);

    printf ("SavePerson: a contact person\n");
    Crmq__Person draft_person = CRMQ__PERSON__INIT;
    draft_person.client_id = id;
    draft_person.name = "Пётр «Петя» Сидоров";
    draft_person.position = "Генеральный директор";
    draft_person.role = "ЛПР";
    draft_person.active = true;
    Crmq__Person *person = s_save_person (&draft_person, "tester");
    int64_t person_id = person? person->id: 0;
    CHECK (person && person_id > 0 && streq (person->name, "Пётр «Петя» Сидоров") && person->active
           && person->client_id == id && person->n_channels == 0, "person saved");
    if (person)
        crmq__person__free_unpacked (person, NULL);
    card = s_card (id, NULL);
    CHECK (card && card->n_persons == 1 && card->persons [0]->id == person_id
           && streq (card->persons [0]->position, "Генеральный директор")
           && card->client->version > version, "card shows the person (v%" PRId64 ")",
           card? card->client->version: 0);
    if (card)
        version = card->client->version;
    s_card_free (&card);

    printf ("AddChannel: a mobile phone as 8 495 ..., an e-mail in mixed case\n");
    Crmq__Channel *mobile = s_add_channel (id, person_id, "phone", "mobile", "8 495 1234567", true);
    CHECK (mobile && streq (mobile->normalized, "+74951234567") && streq (mobile->value, "8 495 1234567")
           && mobile->primary && streq (mobile->kind, "mobile") && mobile->person_id == person_id,
           "mobile %s", mobile? mobile->normalized: "-");
    int64_t mobile_id = mobile? mobile->id: 0;
    card = s_card (id, NULL);
    CHECK (card && card->n_persons == 1 && card->persons [0]->n_channels == 1
           && card->client->version > version, "card shows the phone");
    if (card)
        version = card->client->version;
    s_card_free (&card);
    //  client_id 0: the person's client
    Crmq__Channel *email = s_add_channel (0, person_id, "email", "", "Petr.СИДОРОВ@Romashka.RU", true);
    CHECK (email && streq (email->normalized, "petr.сидоров@romashka.ru") && email->client_id == id
           && streq (email->kind, "work") && email->primary, "e-mail %s", email? email->normalized: "-");
    card = s_card (id, NULL);
    CHECK (card && card->persons [0]->n_channels == 2 && card->client->version > version,
           "card shows the e-mail");
    if (card)
        version = card->client->version;
    s_card_free (&card);

    printf ("AddChannel: a second phone takes the primary flag\n");
    Crmq__Channel *office = s_add_channel (id, person_id, "phone", "work", "+7 495 765-43-21", true);
    int64_t office_id = office? office->id: 0;
    CHECK (office && office->primary && streq (office->normalized, "+74957654321"), "office phone");
    card = s_card (id, NULL);
    if (card && card->n_persons == 1) {
        Crmq__Person *p = card->persons [0];
        Crmq__Channel *a = s_find_channel (p->channels, p->n_channels, mobile_id);
        Crmq__Channel *b = s_find_channel (p->channels, p->n_channels, office_id);
        CHECK (p->n_channels == 3 && a && b && !a->primary && b->primary,
               "the primary moved to the office phone");
        CHECK (card->client->version > version, "card version moved");
        version = card->client->version;
    }
    else
        CHECK (false, "no card");
    s_card_free (&card);
    CHECK (s_count1 ("SELECT count(*) FROM contacts.channels WHERE person_id = $1::bigint"
                     " AND type = 'phone' AND is_primary", person_id) == 1, "one primary phone");
    printf ("AddChannel again (another spelling, the old phone primary): the same channel\n");
    Crmq__Channel *again = s_add_channel (id, person_id, "phone", "mobile", "+7 495 123 45 67", true);
    CHECK (again && again->id == mobile_id && again->primary
           && streq (again->value, "8 495 1234567"), "same channel, primary again");
    CHECK (s_count1 ("SELECT count(*) FROM contacts.channels WHERE person_id = $1::bigint", person_id) == 3,
           "no duplicate channel");
    CHECK (s_count1 ("SELECT count(*) FROM contacts.channels WHERE person_id = $1::bigint"
                     " AND type = 'phone' AND is_primary AND id = (SELECT min(id) FROM contacts.channels"
                     " WHERE person_id = $1::bigint)", person_id) == 1, "the primary moved back");
    card = s_card (id, NULL);
    if (card && card->n_persons == 1) {
        Crmq__Person *p = card->persons [0];
        Crmq__Channel *a = s_find_channel (p->channels, p->n_channels, mobile_id);
        Crmq__Channel *b = s_find_channel (p->channels, p->n_channels, office_id);
        CHECK (a && b && a->primary && !b->primary, "card shows the primary back on the mobile");
        version = card->client->version;
    }
    s_card_free (&card);
    printf ("AddChannel: the client's own address\n");
    Crmq__Channel *address = s_add_channel (id, 0, "address", "work", "Москва, ул. Ленина, д. 1, оф. «5»", false);
    int64_t address_id = address? address->id: 0;
    CHECK (address && address->person_id == 0 && address->normalized [0] == 0, "address");
    card = s_card (id, NULL);
    CHECK (card && card->n_channels == 1 && card->channels [0]->id == address_id
           && streq (card->channels [0]->value, "Москва, ул. Ленина, д. 1, оф. «5»")
           && card->persons [0]->n_channels == 3 && card->client->version > version,
           "card shows the address");
    if (card)
        version = card->client->version;
    s_card_free (&card);
    if (mobile)
        crmq__channel__free_unpacked (mobile, NULL);
    if (email)
        crmq__channel__free_unpacked (email, NULL);
    if (office)
        crmq__channel__free_unpacked (office, NULL);
    if (again)
        crmq__channel__free_unpacked (again, NULL);
    if (address)
        crmq__channel__free_unpacked (address, NULL);

    printf ("interactions: the last 10, newest first, and the next planned contact\n");
    char id_text [24];
    snprintf (id_text, sizeof id_text, "%" PRId64, id);
    const char *client_value [1] = { id_text };
    s_sql ("INSERT INTO contacts.interactions (client_id, channel, subject, started_at, status)"
           " SELECT $1::bigint, 'call', 'звонок ' || n, now() - (20 - n) * interval '1 day', 'done'"
           "   FROM generate_series (1, 11) AS n", 1, client_value);
    s_sql ("INSERT INTO contacts.interactions (client_id, channel, kind, direction, subject, text,"
           "  started_at, ended_at, attachments, status, actor)"
           " VALUES ($1::bigint, 'email', 'request', 'in', 'Запрос «КП»', 'Пришлите \"КП\"',"
           "  now() - interval '1 hour', now() - interval '30 minutes',"
           "  '[{\"name\": \"КП «Ромашка».pdf\", \"url\": \"https://files.example/kp\", \"size_bytes\": 123456}]',"
           "  'open', 'tester')", 1, client_value);
    s_sql ("INSERT INTO contacts.interactions (client_id, channel, subject, started_at, status)"
           " VALUES ($1::bigint, 'meeting', 'план прошлый', now() - interval '1 day', 'planned'),"
           "        ($1::bigint, 'meeting', 'план +5', now() + interval '5 days', 'planned'),"
           "        ($1::bigint, 'call', 'план +2', now() + interval '2 days', 'planned')",
           1, client_value);
    card = s_card (id, NULL);
    if (card) {
        CHECK (card->client->version > version, "interactions moved the version");
        version = card->client->version;
        CHECK (card->n_last_interactions == 10, "10 interactions, got %zu", card->n_last_interactions);
        bool descending = true;
        for (size_t i = 1; i < card->n_last_interactions; i++)
            descending &= card->last_interactions [i - 1]->started_at_us
                        > card->last_interactions [i]->started_at_us;
        CHECK (descending, "newest first, by when they took place");
        //  planned contacts are not among the last ones
        CHECK (card->n_last_interactions == 10
               && streq (card->last_interactions [0]->subject, "Запрос «КП»")
               && streq (card->last_interactions [1]->subject, "звонок 11")
               && streq (card->last_interactions [9]->subject, "звонок 3"), "the last ten");
        if (card->n_last_interactions == 10) {
            Crmq__Interaction *request = card->last_interactions [0];
            CHECK (request->n_attachments == 1
                   && streq (request->attachments [0]->name, "КП «Ромашка».pdf")
                   && streq (request->attachments [0]->url, "https://files.example/kp")
                   && request->attachments [0]->size_bytes == 123456, "attachment");
            CHECK (streq (request->kind, "request") && streq (request->direction, "in")
                   && streq (request->text, "Пришлите \"КП\"") && streq (request->status, "open")
                   && request->ended_at_us > request->started_at_us && request->client_id == id,
                   "interaction fields");
        }
        CHECK (card->next_planned && streq (card->next_planned->subject, "план +2")
               && card->next_planned->started_at_us > crmq_time_now_us (), "next planned");
    }
    s_card_free (&card);

    printf ("UpdateClient: name and status, by another actor\n");
    Crmq__Client change = CRMQ__CLIENT__INIT;
    change.id = id;
    change.name = "ООО «Ромашка-Плюс»";
    change.status = "archived";
    char *name_status [] = { "name", "status" };
    Crmq__Client *updated = s_update_client (&change, name_status, 2, "Борис (tester-2)");
    CHECK (updated && streq (updated->name, "ООО «Ромашка-Плюс»") && streq (updated->status, "archived")
           && updated->version > version && streq (updated->phone_e164, "+74951234567")
           && updated->n_tags == 3, "updated");
    card = s_card (id, NULL);
    CHECK (card && streq (card->client->name, "ООО «Ромашка-Плюс»")
           && streq (card->client->status, "archived") && card->n_persons == 1
           && card->client->version > version, "card shows the update");
    if (card)
        version = card->client->version;
    s_card_free (&card);
    s_client_free (&updated);

    printf ("UpdateClient with the same values: nothing written\n");
    long long audit_rows = s_count1 ("SELECT count(*) FROM contacts.audit WHERE client_id = $1::bigint", id);
    char *before = s_fingerprint ();
    updated = s_update_client (&change, name_status, 2, "Борис (tester-2)");
    CHECK (updated && updated->version == version, "version unchanged: %" PRId64,
           updated? updated->version: 0);
    char *after = s_fingerprint ();
    CHECK (streq (before, after), "nothing written");
    CHECK (s_count1 ("SELECT count(*) FROM contacts.audit WHERE client_id = $1::bigint", id) == audit_rows,
           "no audit entry");
    zstr_free (&before);
    zstr_free (&after);
    s_client_free (&updated);

    printf ("UpdateClient: tags, attributes, phone, relationship date\n");
    Crmq__Client change2 = CRMQ__CLIENT__INIT;
    change2.id = id;
    char *one_tag [] = { "опт" };
    change2.tags = one_tag;
    change2.n_tags = 1;
    change2.attributes_json = "";
    change2.phone = "8 (812) 555-12-34";
    char *fields2 [] = { "tags", "attributes_json", "phone", "relationship_since" };
    updated = s_update_client (&change2, fields2, 4, "tester");
    CHECK (updated && updated->n_tags == 1 && streq (updated->attributes_json, "{}")
           && streq (updated->phone_e164, "+78125551234") && updated->relationship_since [0] == 0
           && streq (updated->name, "ООО «Ромашка-Плюс»"), "tags, attributes, phone, date");
    card = s_card (id, NULL);
    CHECK (card && card->client->n_tags == 1 && streq (card->client->phone, "8 (812) 555-12-34")
           && card->client->version > version, "card shows them");
    if (card)
        version = card->client->version;
    s_card_free (&card);
    s_client_free (&updated);

    printf ("GetAudit: newest first, with the actor and the changes\n");
    Crmq__AuditRequest audit_request = CRMQ__AUDIT_REQUEST__INIT;
    audit_request.client_id = id;
    ProtobufCMessage *answer;
    int code = s_call ("contacts.GetAudit", &audit_request.base, &crmq__audit_reply__descriptor, &answer);
    CHECK (code == CRMQ_OK, "GetAudit code %d", code);
    if (answer) {
        Crmq__AuditReply *audit = (Crmq__AuditReply *) answer;
        bool descending = true, found_rename = false, found_person = false, found_channel = false;
        for (size_t i = 0; i < audit->n_entries; i++) {
            Crmq__AuditEntry *e = audit->entries [i];
            if (i)
                descending &= audit->entries [i - 1]->id > e->id;
            if (streq (e->entity, "person") && e->entity_id == person_id && streq (e->action, "insert"))
                found_person = true;
            if (streq (e->entity, "channel") && e->entity_id == office_id)
                found_channel = true;
            if (streq (e->entity, "client") && e->entity_id == id && streq (e->action, "update")
            &&  streq (e->actor, "Борис (tester-2)")) {
                json_t *changes = json_loads (e->changes_json, 0, NULL);
                json_t *name = json_object_get (changes, "name");
                json_t *status = json_object_get (changes, "status");
                found_rename = json_array_size (name) == 2
                    && streq (json_string_value (json_array_get (name, 0)), company)
                    && streq (json_string_value (json_array_get (name, 1)), "ООО «Ромашка-Плюс»")
                    && streq (json_string_value (json_array_get (status, 0)), "active")
                    && streq (json_string_value (json_array_get (status, 1)), "archived")
                    && e->at_us > 0 && json_object_size (changes) == 2;
                json_decref (changes);
            }
        }
        CHECK (audit->n_entries >= 10 && descending, "%zu entries newest first", audit->n_entries);
        CHECK (audit->n_entries && streq (audit->entries [0]->entity, "client")
               && strstr (audit->entries [0]->changes_json, "+78125551234"), "newest: the phone change");
        CHECK (found_rename, "the rename with its actor and old and new values");
        CHECK (found_person && found_channel, "person and channel entries");
        CHECK (audit->next_before_id == 0, "one page");
        //  keyset paging
        audit_request.limit = 2;
        ProtobufCMessage *page_answer;
        code = s_call ("contacts.GetAudit", &audit_request.base, &crmq__audit_reply__descriptor, &page_answer);
        Crmq__AuditReply *page = (Crmq__AuditReply *) page_answer;
        CHECK (code == CRMQ_OK && page && page->n_entries == 2 && audit->n_entries > 2
               && page->entries [1]->id == audit->entries [1]->id
               && page->next_before_id == page->entries [1]->id, "page 1");
        if (page) {
            audit_request.before_id = page->next_before_id;
            protobuf_c_message_free_unpacked (page_answer, NULL);
            code = s_call ("contacts.GetAudit", &audit_request.base, &crmq__audit_reply__descriptor, &page_answer);
            page = (Crmq__AuditReply *) page_answer;
            CHECK (code == CRMQ_OK && page && page->n_entries == 2
                   && page->entries [0]->id == audit->entries [2]->id, "page 2");
            if (page_answer)
                protobuf_c_message_free_unpacked (page_answer, NULL);
        }
        protobuf_c_message_free_unpacked (answer, NULL);
    }

    printf ("SetManagerAbsences and ListManagers\n");
    const char *periods [] = { "2025-07-15", "2025-07-20", "командировка «Север»",
                               "2025-07-01", "2025-07-15", "отпуск" };
    Crmq__ListManagersReply *managers = NULL;
    code = s_set_absences (anna, periods, 2, &managers);
    CHECK (code == CRMQ_OK && managers && managers->n_managers == 1
           && managers->managers [0]->id == anna && managers->managers [0]->n_absences == 2
           && streq (managers->managers [0]->absences [0]->from_date, "2025-07-01")
           && streq (managers->managers [0]->absences [1]->reason, "командировка «Север»"),
           "absences set: code %d", code);
    int64_t manager_version = managers && managers->n_managers? managers->managers [0]->version: 0;
    if (managers)
        crmq__list_managers_reply__free_unpacked (managers, NULL);
    card = s_card (id, NULL);
    CHECK (card && card->manager && card->manager->n_absences == 2
           && card->manager->version == manager_version, "card shows the absences");
    s_card_free (&card);
    before = s_fingerprint ();
    code = s_set_absences (anna, periods, 2, &managers);
    CHECK (code == CRMQ_OK && managers && managers->managers [0]->version == manager_version,
           "the same absences again: version unchanged");
    if (managers)
        crmq__list_managers_reply__free_unpacked (managers, NULL);
    after = s_fingerprint ();
    CHECK (streq (before, after), "the same absences again: nothing written");
    zstr_free (&before);
    zstr_free (&after);
    CHECK (s_count1 ("SELECT count(*) FROM contacts.audit WHERE entity = 'manager'"
                     " AND entity_id = $1::bigint AND changes ? 'absences' AND actor = 'hr'", anna) == 1,
           "absences audited once");
    Crmq__ListManagersRequest list_managers = CRMQ__LIST_MANAGERS_REQUEST__INIT;
    code = s_call ("contacts.ListManagers", &list_managers.base, &crmq__list_managers_reply__descriptor, &answer);
    CHECK (code == CRMQ_OK, "ListManagers code %d", code);
    if (answer) {
        Crmq__ListManagersReply *all = (Crmq__ListManagersReply *) answer;
        bool seen_anna = false, seen_gone = false;
        for (size_t i = 0; i < all->n_managers; i++) {
            Crmq__Manager *m = all->managers [i];
            if (m->id == anna)
                seen_anna = m->n_absences == 2 && m->supervisor_id == boss && m->active
                         && streq (m->name, "Анна Петрова") && m->version == manager_version
                         && streq (m->time_zone, "Europe/Moscow");
            if (m->id == gone)
                seen_gone = !m->active && m->n_absences == 0 && m->supervisor_id == 0;
        }
        CHECK (seen_anna && seen_gone, "ListManagers shows both with absences and supervisors");
        protobuf_c_message_free_unpacked (answer, NULL);
    }
    CHECK (s_set_absences (anna, NULL, 0, NULL) == CRMQ_OK
           && s_count1 ("SELECT count(*) FROM contacts.manager_absences WHERE manager_id = $1::bigint", anna) == 0,
           "absences cleared");

    printf ("bad input: the right code and field, nothing changed\n");
    before = s_fingerprint ();
    {
        Crmq__ClientRequest request = CRMQ__CLIENT_REQUEST__INIT;
        Crmq__Client bad = CRMQ__CLIENT__INIT;
        request.client = &bad;
        request.actor = "tester";
        const ProtobufCMessageDescriptor *d = &crmq__client_reply__descriptor;
        bad.name = "";
        s_expect_error ("empty name", "contacts.CreateClient", &request.base, d, 3, "client.name");
        char long_name [302];
        memset (long_name, 'x', 301);
        long_name [301] = 0;
        bad.name = long_name;
        s_expect_error ("301-byte name", "contacts.CreateClient", &request.base, d, 3, "client.name");
        char cyrillic_name [302];                     //  150 letters of 2 bytes and one of 1
        for (int i = 0; i < 150; i++)
            memcpy (cyrillic_name + 2 * i, "я", 2);
        strcpy (cyrillic_name + 300, "x");
        bad.name = cyrillic_name;
        s_expect_error ("301-byte Cyrillic name", "contacts.CreateClient", &request.base, d, 3, "client.name");
        bad.name = "Годный «клиент»";
        bad.email = "a@b";
        s_expect_error ("e-mail a@b", "contacts.CreateClient", &request.base, d, 3, "client.email");
        bad.email = "";
        bad.phone = "abc";
        s_expect_error ("phone abc", "contacts.CreateClient", &request.base, d, 3, "client.phone");
        bad.phone = "";
        bad.manager_external_id = "CC-NOBODY";
        s_expect_error ("unknown manager", "contacts.CreateClient", &request.base, d, 5,
                        "client.manager_external_id");
        bad.manager_external_id = "";
        bad.manager_id = 987654321;
        s_expect_error ("unknown manager id", "contacts.CreateClient", &request.base, d, 5, "client.manager_id");
        bad.manager_id = gone;
        s_expect_error ("inactive manager", "contacts.CreateClient", &request.base, d, 9, "client.manager_id");
        bad.manager_id = 0;
        char *bad_tags [] = { "хороший", "bad\ttag" };
        bad.tags = bad_tags;
        bad.n_tags = 2;
        s_expect_error ("tag with a tab", "contacts.CreateClient", &request.base, d, 3, "client.tags[1]");
        char *twice [] = { "опт", "опт" };
        bad.tags = twice;
        s_expect_error ("repeated tag", "contacts.CreateClient", &request.base, d, 3, "client.tags[1]");
        bad.tags = NULL;
        bad.n_tags = 0;
        bad.attributes_json = "[1,2]";
        s_expect_error ("attributes [1,2]", "contacts.CreateClient", &request.base, d, 3,
                        "client.attributes_json");
        bad.attributes_json = "{\"a\": ";
        s_expect_error ("attributes cut short", "contacts.CreateClient", &request.base, d, 3,
                        "client.attributes_json");
        bad.attributes_json = "";
        bad.relationship_since = "2025-02-30";
        s_expect_error ("date 2025-02-30", "contacts.CreateClient", &request.base, d, 3,
                        "client.relationship_since");
        bad.relationship_since = "2024-2-3";
        s_expect_error ("date 2024-2-3", "contacts.CreateClient", &request.base, d, 3,
                        "client.relationship_since");
        bad.relationship_since = "";
        bad.kind = "robot";
        s_expect_error ("kind robot", "contacts.CreateClient", &request.base, d, 3, "client.kind");
        bad.kind = "";
        bad.status = "merged";
        s_expect_error ("status merged", "contacts.CreateClient", &request.base, d, 3, "client.status");
        bad.status = "";
        bad.tax_id = "77 01";
        s_expect_error ("tax id with a space", "contacts.CreateClient", &request.base, d, 3, "client.tax_id");
        bad.tax_id = "";
        bad.external_id = "CC-ROMASHKA";
        s_expect_error ("external id taken", "contacts.CreateClient", &request.base, d, 6, "client.external_id");
        bad.external_id = "";

        //  UpdateClient
        bad.id = id;
        char *colour [] = { "name", "colour" };
        request.fields = colour;
        request.n_fields = 2;
        s_expect_error ("unknown field", "contacts.UpdateClient", &request.base, d, 3, "fields");
        char *version_field [] = { "version" };
        request.fields = version_field;
        request.n_fields = 1;
        s_expect_error ("read-only field", "contacts.UpdateClient", &request.base, d, 3, "fields");
        char *name_field [] = { "name" };
        request.fields = name_field;
        bad.name = "";
        s_expect_error ("update to an empty name", "contacts.UpdateClient", &request.base, d, 3, "client.name");
        char *email_field [] = { "email" };
        request.fields = email_field;
        bad.email = "a@b";
        s_expect_error ("update to e-mail a@b", "contacts.UpdateClient", &request.base, d, 3, "client.email");
        bad.email = "";
        char *manager_field [] = { "manager_external_id" };
        request.fields = manager_field;
        bad.manager_external_id = "CC-NOBODY";
        s_expect_error ("update to an unknown manager", "contacts.UpdateClient", &request.base, d, 5,
                        "client.manager_external_id");
        bad.manager_external_id = "";
        request.fields = name_field;
        bad.name = "Кто-то";
        bad.id = 987654321;
        s_expect_error ("update of an unknown client", "contacts.UpdateClient", &request.base, d, 5, "client.id");
        request.n_fields = 0;
        bad.id = id;
        s_expect_error ("update without fields", "contacts.UpdateClient", &request.base, d, 3, "fields");
    }
    {
        Crmq__GetClientRequest request = CRMQ__GET_CLIENT_REQUEST__INIT;
        request.id = 987654321;
        s_expect_error ("GetClient of an unknown id", "contacts.GetClient", &request.base,
                        &crmq__get_client_reply__descriptor, 5, "id");
        request.id = 0;
        request.external_id = "CC-NOBODY";
        s_expect_error ("GetClient of an unknown external id", "contacts.GetClient", &request.base,
                        &crmq__get_client_reply__descriptor, 5, "external_id");
    }
    {
        Crmq__ChannelRequest request = CRMQ__CHANNEL_REQUEST__INIT;
        Crmq__Channel bad = CRMQ__CHANNEL__INIT;
        request.channel = &bad;
        const ProtobufCMessageDescriptor *d = &crmq__channel_reply__descriptor;
        bad.client_id = id;
        bad.type = "phone";
        bad.value = "abc";
        s_expect_error ("channel phone abc", "contacts.AddChannel", &request.base, d, 3, "channel.value");
        bad.value = "123";
        s_expect_error ("channel phone 123", "contacts.AddChannel", &request.base, d, 3, "channel.value");
        bad.type = "email";
        bad.value = "a@b";
        s_expect_error ("channel e-mail a@b", "contacts.AddChannel", &request.base, d, 3, "channel.value");
        bad.type = "pigeon";
        s_expect_error ("channel type pigeon", "contacts.AddChannel", &request.base, d, 3, "channel.type");
        bad.type = "web";
        bad.kind = "secret";
        s_expect_error ("channel kind secret", "contacts.AddChannel", &request.base, d, 3, "channel.kind");
        bad.kind = "";
        bad.value = "";
        s_expect_error ("empty channel value", "contacts.AddChannel", &request.base, d, 3, "channel.value");
        bad.value = "https://romashka.example";
        bad.client_id = person_client? person_client->id: 0;
        bad.person_id = person_id;
        s_expect_error ("another client's person", "contacts.AddChannel", &request.base, d, 3,
                        "channel.person_id");
        bad.client_id = 987654321;
        bad.person_id = 0;
        s_expect_error ("channel of an unknown client", "contacts.AddChannel", &request.base, d, 5,
                        "channel.client_id");
        Crmq__RemoveRequest remove = CRMQ__REMOVE_REQUEST__INIT;
        remove.id = 987654321;
        s_expect_error ("remove an unknown channel", "contacts.RemoveChannel", &remove.base,
                        &crmq__remove_reply__descriptor, 5, "id");
    }
    {
        Crmq__PersonRequest request = CRMQ__PERSON_REQUEST__INIT;
        Crmq__Person bad = CRMQ__PERSON__INIT;
        request.person = &bad;
        const ProtobufCMessageDescriptor *d = &crmq__person_reply__descriptor;
        bad.client_id = id;
        bad.name = "";
        s_expect_error ("person without a name", "contacts.SavePerson", &request.base, d, 3, "person.name");
        bad.name = "Некто";
        bad.client_id = 987654321;
        s_expect_error ("person of an unknown client", "contacts.SavePerson", &request.base, d, 5,
                        "person.client_id");
        bad.client_id = 0;
        bad.id = 987654321;
        s_expect_error ("unknown person", "contacts.SavePerson", &request.base, d, 5, "person.id");
        Crmq__AuditRequest audit = CRMQ__AUDIT_REQUEST__INIT;
        audit.client_id = 987654321;
        s_expect_error ("audit of an unknown client", "contacts.GetAudit", &audit.base,
                        &crmq__audit_reply__descriptor, 5, "client_id");
    }
    {
        const char *overlapping [] = { "2025-08-01", "2025-08-10", "отпуск",
                                       "2025-08-09", "2025-08-12", "больничный" };
        code = s_set_absences (anna, overlapping, 2, NULL);
        printf ("  overlapping absences: %d %s: %s\n", code, crmq_rpc_client_field (s_contacts),
                crmq_rpc_client_message (s_contacts));
        CHECK (code == 3 && streq (crmq_rpc_client_field (s_contacts), "absences[1].from_date"),
               "overlapping absences refused");
        const char *same_start [] = { "2025-08-01", "2025-08-10", "", "2025-08-01", "2025-08-03", "" };
        code = s_set_absences (anna, same_start, 2, NULL);
        CHECK (code == 3, "absences starting the same day refused");
        const char *backwards [] = { "2025-08-10", "2025-08-01", "" };
        code = s_set_absences (anna, backwards, 1, NULL);
        CHECK (code == 3 && streq (crmq_rpc_client_field (s_contacts), "absences[0].to_date"),
               "to before from refused");
        const char *impossible [] = { "2025-02-30", "2025-03-02", "" };
        code = s_set_absences (anna, impossible, 1, NULL);
        CHECK (code == 3 && streq (crmq_rpc_client_field (s_contacts), "absences[0].from_date"),
               "2025-02-30 refused");
        const char *fine [] = { "2025-08-01", "2025-08-10", "" };
        code = s_set_absences (987654321, fine, 1, NULL);
        CHECK (code == 5 && streq (crmq_rpc_client_field (s_contacts), "manager_id"), "unknown manager");
    }
    after = s_fingerprint ();
    CHECK (streq (before, after), "bad input changed nothing");
    zstr_free (&before);
    zstr_free (&after);
    card = s_card (id, NULL);
    CHECK (card && card->client->version == version, "card version unchanged by bad input");
    s_card_free (&card);

    printf ("RemoveChannel\n");
    Crmq__RemoveRequest remove = CRMQ__REMOVE_REQUEST__INIT;
    remove.id = address_id;
    remove.actor = "tester";
    code = s_call ("contacts.RemoveChannel", &remove.base, &crmq__remove_reply__descriptor, &answer);
    CHECK (code == CRMQ_OK, "removed: code %d", code);
    if (answer)
        protobuf_c_message_free_unpacked (answer, NULL);
    card = s_card (id, NULL);
    CHECK (card && card->n_channels == 0 && card->client->version > version, "card without the address");
    if (card)
        version = card->client->version;
    s_card_free (&card);
    s_expect_error ("remove it again", "contacts.RemoveChannel", &remove.base,
                    &crmq__remove_reply__descriptor, 5, "id");

    printf ("SavePerson: rename, then deactivate\n");
    Crmq__Person edit = CRMQ__PERSON__INIT;
    edit.id = person_id;
    edit.name = "Пётр Сидоров";
    edit.position = "Генеральный директор";
    edit.role = "ЛПР";
    edit.active = true;
    person = s_save_person (&edit, "tester");
    CHECK (person && streq (person->name, "Пётр Сидоров") && person->n_channels == 3, "renamed, 3 channels");
    if (person)
        crmq__person__free_unpacked (person, NULL);
    card = s_card (id, NULL);
    CHECK (card && card->n_persons == 1 && streq (card->persons [0]->name, "Пётр Сидоров")
           && card->client->version > version, "card shows the new name");
    if (card)
        version = card->client->version;
    s_card_free (&card);
    person = s_save_person (&edit, "tester");
    if (person)
        crmq__person__free_unpacked (person, NULL);
    card = s_card (id, NULL);
    CHECK (card && card->client->version == version, "saving the same person writes nothing");
    s_card_free (&card);
    edit.active = false;
    person = s_save_person (&edit, "tester");
    if (person)
        crmq__person__free_unpacked (person, NULL);
    card = s_card (id, NULL);
    CHECK (card && card->n_persons == 0 && card->client->version > version, "inactive person hidden");
    s_card_free (&card);

    printf ("SavePerson with fields: one field of a person who left, the rest kept\n");
    {
        Crmq__Person note_only = CRMQ__PERSON__INIT;   //  no name: only the note is set
        note_only.id = person_id;
        note_only.note = "ушёл в «Лютик» \"навсегда\"";
        char *note_field [] = { "note" };
        person = s_save_person_fields (&note_only, note_field, 1, "tester");
        CHECK (person && streq (person->name, "Пётр Сидоров")
               && streq (person->position, "Генеральный директор") && streq (person->role, "ЛПР")
               && streq (person->note, "ушёл в «Лютик» \"навсегда\"") && !person->active,
               "inactive person: the note set, name, position, role and active kept");
        if (person)
            crmq__person__free_unpacked (person, NULL);
        CHECK (s_count1 ("SELECT count(*) FROM contacts.persons WHERE id = $1::bigint"
                         " AND note = 'ушёл в «Лютик» \"навсегда\"' AND name = 'Пётр Сидоров' AND NOT active",
                         person_id) == 1, "stored so");
        CHECK (s_count1 ("SELECT count(*) FROM contacts.audit WHERE entity = 'person'"
                         " AND entity_id = $1::bigint AND action = 'update'"
                         " AND id = (SELECT max (id) FROM contacts.audit WHERE entity = 'person')"
                         " AND changes ? 'note' AND NOT changes ? 'name' AND NOT changes ? 'active'",
                         person_id) == 1, "the audit entry holds the note alone");
        card = s_card (id, NULL);
        CHECK (card && card->n_persons == 0, "still not on the card");
        if (card)
            version = card->client->version;
        s_card_free (&card);

        Crmq__Person back = CRMQ__PERSON__INIT;
        back.id = person_id;
        back.client_id = id;
        back.active = true;
        char *active_field [] = { "active" };
        person = s_save_person_fields (&back, active_field, 1, "tester");
        CHECK (person && person->active && streq (person->name, "Пётр Сидоров")
               && streq (person->note, "ушёл в «Лютик» \"навсегда\"") && person->n_channels == 3,
               "brought back by active alone, the rest kept");
        if (person)
            crmq__person__free_unpacked (person, NULL);
        card = s_card (id, NULL);
        CHECK (card && card->n_persons == 1 && streq (card->persons [0]->role, "ЛПР")
               && card->client->version > version, "back on the card");
        if (card)
            version = card->client->version;
        s_card_free (&card);
        person = s_save_person_fields (&back, active_field, 1, "tester");
        if (person)
            crmq__person__free_unpacked (person, NULL);
        card = s_card (id, NULL);
        CHECK (card && card->client->version == version, "the same field again writes nothing");
        s_card_free (&card);

        before = s_fingerprint ();
        Crmq__PersonRequest request = CRMQ__PERSON_REQUEST__INIT;
        Crmq__Person bad = CRMQ__PERSON__INIT;
        request.person = &bad;
        request.actor = "tester";
        const ProtobufCMessageDescriptor *d = &crmq__person_reply__descriptor;
        bad.id = person_id;
        bad.name = "Кто-то другой";
        char *unknown [] = { "note", "nickname" };
        request.fields = unknown;
        request.n_fields = 2;
        s_expect_error ("an unknown field", "contacts.SavePerson", &request.base, d, 3, "fields");
        char *read_only [] = { "client_id" };
        request.fields = read_only;
        request.n_fields = 1;
        s_expect_error ("client_id is not set by SavePerson", "contacts.SavePerson", &request.base, d,
                        3, "fields");
        char *not_a_name [] = { "na\x01me" };
        request.fields = not_a_name;
        s_expect_error ("a field name with a control character", "contacts.SavePerson", &request.base,
                        d, 3, "fields");
        char *name_field [] = { "name" };
        request.fields = name_field;
        bad.name = "";
        s_expect_error ("an empty name, named", "contacts.SavePerson", &request.base, d, 3, "person.name");
        bad.name = "Кто-то другой";
        bad.client_id = person_client? person_client->id: 987654321;
        s_expect_error ("a field of another client's person", "contacts.SavePerson", &request.base, d,
                        3, "person.client_id");
        bad.id = 0;
        s_expect_error ("fields for a new person", "contacts.SavePerson", &request.base, d, 3, "fields");
        after = s_fingerprint ();
        CHECK (streq (before, after), "bad fields changed nothing");
        zstr_free (&before);
        zstr_free (&after);
    }

    printf ("request_key: a resent write is done once\n");
    if (person_client) {
        Crmq__Client keyed = CRMQ__CLIENT__INIT;
        keyed.name = "ИП Ключников «Ключ»";
        Crmq__ClientRequest request = CRMQ__CLIENT_REQUEST__INIT;
        request.client = &keyed;
        request.request_key = "cc-key-client-0001";
        long long clients = test_count (s_pg, "SELECT count(*) FROM contacts.clients");
        ProtobufCMessage *first, *second;
        int first_code = s_call ("contacts.CreateClient", &request.base, &crmq__client_reply__descriptor, &first);
        int second_code = s_call ("contacts.CreateClient", &request.base, &crmq__client_reply__descriptor, &second);
        CHECK (first_code == CRMQ_OK && second_code == CRMQ_OK && first && second
               && ((Crmq__ClientReply *) first)->client->id == ((Crmq__ClientReply *) second)->client->id
               && streq (((Crmq__ClientReply *) second)->client->name, "ИП Ключников «Ключ»"),
               "CreateClient twice with one key: one client (%d %d)", first_code, second_code);
        CHECK (test_count (s_pg, "SELECT count(*) FROM contacts.clients") == clients + 1, "one client added");
        if (first)
            protobuf_c_message_free_unpacked (first, NULL);
        if (second)
            protobuf_c_message_free_unpacked (second, NULL);

        Crmq__Person someone = CRMQ__PERSON__INIT;
        someone.client_id = person_client->id;
        someone.name = "Секретарь";
        someone.active = true;
        Crmq__PersonRequest person_request = CRMQ__PERSON_REQUEST__INIT;
        person_request.person = &someone;
        person_request.request_key = "cc-key-client-0001";
        s_expect_error ("a key of another method", "contacts.SavePerson", &person_request.base,
                        &crmq__person_reply__descriptor, 6, "request_key");
        person_request.request_key = "short";
        s_expect_error ("a key too short", "contacts.SavePerson", &person_request.base,
                        &crmq__person_reply__descriptor, 3, "request_key");
        person_request.request_key = "cc-key-person-0001";
        first_code = s_call ("contacts.SavePerson", &person_request.base, &crmq__person_reply__descriptor, &first);
        second_code = s_call ("contacts.SavePerson", &person_request.base, &crmq__person_reply__descriptor, &second);
        CHECK (first_code == CRMQ_OK && second_code == CRMQ_OK && first && second
               && ((Crmq__PersonReply *) first)->person->id == ((Crmq__PersonReply *) second)->person->id,
               "SavePerson twice with one key: one person");
        CHECK (s_count1 ("SELECT count(*) FROM contacts.persons WHERE client_id = $1::bigint",
                         person_client->id) == 1, "one person added");
        if (first)
            protobuf_c_message_free_unpacked (first, NULL);
        if (second)
            protobuf_c_message_free_unpacked (second, NULL);

        Crmq__Channel site = CRMQ__CHANNEL__INIT;
        site.client_id = person_client->id;
        site.type = "web";
        site.value = "https://ivanov.example";
        Crmq__ChannelRequest channel_request = CRMQ__CHANNEL_REQUEST__INIT;
        channel_request.channel = &site;
        channel_request.request_key = "cc-key-channel-0001";
        first_code = s_call ("contacts.AddChannel", &channel_request.base, &crmq__channel_reply__descriptor, &first);
        CHECK (first_code == CRMQ_OK && s_count1 ("SELECT count(*) FROM contacts.request_keys"
               " WHERE key = 'cc-key-channel-0001' AND method = 'contacts.AddChannel' AND reply IS NOT NULL"
               " AND $1::bigint > 0", 1) == 1, "AddChannel keeps its reply for the key");
        if (first)
            protobuf_c_message_free_unpacked (first, NULL);
    }

    printf ("a merged client resolves to its survivor\n");
    Crmq__Client twin = CRMQ__CLIENT__INIT;
    twin.external_id = "CC-ROMASHKA-2";
    twin.name = "Ромашка ООО";
    Crmq__Client *merged = s_create_client (&twin, "tester");
    int64_t merged_id = merged? merged->id: 0;
    s_client_free (&merged);
    Crmq__Person twin_draft = CRMQ__PERSON__INIT;
    twin_draft.client_id = merged_id;
    twin_draft.name = "Иван «Близнец»";
    twin_draft.active = true;
    person = s_save_person (&twin_draft, "tester");
    int64_t twin_person_id = person? person->id: 0;
    if (person)
        crmq__person__free_unpacked (person, NULL);
    char merged_text [24];
    snprintf (merged_text, sizeof merged_text, "%" PRId64, merged_id);
    const char *merge_values [2] = { merged_text, id_text };
    s_sql ("UPDATE contacts.clients SET status = 'merged' WHERE id = $1::bigint", 1, merge_values);
    s_sql ("INSERT INTO contacts.merges (merged_id, survivor_id, actor) VALUES ($1::bigint, $2::bigint, 'test')",
           2, merge_values);
    card = s_card (merged_id, NULL);
    CHECK (card && card->client->id == id && card->asked_id == merged_id, "merged id: the survivor's card");
    s_card_free (&card);
    card = s_card (0, "CC-ROMASHKA-2");
    CHECK (card && card->client->id == id && card->asked_id == merged_id,
           "merged external id: the survivor's card");
    s_card_free (&card);
    card = s_card (id, NULL);
    CHECK (card && card->asked_id == 0, "the survivor itself: no asked_id");
    s_card_free (&card);
    {
        Crmq__ClientRequest request = CRMQ__CLIENT_REQUEST__INIT;
        Crmq__Client rename = CRMQ__CLIENT__INIT;
        rename.id = merged_id;
        rename.name = "Новое имя";
        char *name_field [] = { "name" };
        request.client = &rename;
        request.fields = name_field;
        request.n_fields = 1;
        s_expect_error ("update of a merged client", "contacts.UpdateClient", &request.base,
                        &crmq__client_reply__descriptor, 9, "client.id");
        CHECK (strstr (crmq_rpc_client_message (s_contacts), id_text) != NULL,
               "the message names the survivor: %s", crmq_rpc_client_message (s_contacts));
        Crmq__PersonRequest person_request = CRMQ__PERSON_REQUEST__INIT;
        Crmq__Person someone = CRMQ__PERSON__INIT;
        someone.client_id = merged_id;
        someone.name = "Кто-то";
        person_request.person = &someone;
        s_expect_error ("person of a merged client", "contacts.SavePerson", &person_request.base,
                        &crmq__person_reply__descriptor, 9, "person.client_id");

        //  every write that attaches something to the merged client is refused
        char survivor_named [96];
        snprintf (survivor_named, sizeof survivor_named, "merged into client %s: use %s", id_text, id_text);
        before = s_fingerprint ();
        someone.id = twin_person_id;
        someone.client_id = 0;
        s_expect_error ("the merged client's person, whole", "contacts.SavePerson", &person_request.base,
                        &crmq__person_reply__descriptor, 9, "person.client_id");
        CHECK (strstr (crmq_rpc_client_message (s_contacts), survivor_named) != NULL,
               "the message names the survivor: %s", crmq_rpc_client_message (s_contacts));
        char *note_field [] = { "note" };
        someone.note = "после слияния";
        person_request.fields = note_field;
        person_request.n_fields = 1;
        s_expect_error ("the merged client's person, one field", "contacts.SavePerson",
                        &person_request.base, &crmq__person_reply__descriptor, 9, "person.client_id");
        Crmq__ChannelRequest channel_request = CRMQ__CHANNEL_REQUEST__INIT;
        Crmq__Channel mail = CRMQ__CHANNEL__INIT;
        mail.client_id = merged_id;
        mail.type = "email";
        mail.value = "twin@romashka.example";
        channel_request.channel = &mail;
        s_expect_error ("a channel of the merged client", "contacts.AddChannel", &channel_request.base,
                        &crmq__channel_reply__descriptor, 9, "channel.client_id");
        CHECK (strstr (crmq_rpc_client_message (s_contacts), survivor_named) != NULL,
               "the message names the survivor: %s", crmq_rpc_client_message (s_contacts));
        mail.client_id = 0;
        mail.person_id = twin_person_id;
        s_expect_error ("a channel of the merged client's person", "contacts.AddChannel",
                        &channel_request.base, &crmq__channel_reply__descriptor, 9, "channel.client_id");
        after = s_fingerprint ();
        CHECK (streq (before, after), "writes to a merged client changed nothing");
        zstr_free (&before);
        zstr_free (&after);
    }

    printf ("a write racing a merge waits for it, then is refused\n");
    s_race_merge ("contacts.SavePerson");
    s_race_merge ("contacts.AddChannel");
    printf ("ListClients leaves merged clients out\n");
    Crmq__ListClientsRequest list = CRMQ__LIST_CLIENTS_REQUEST__INIT;
    list.limit = 1000;
    bool seen_survivor = false, seen_merged = false;
    for (int pages = 0; pages < 100; pages++) {
        code = s_call ("contacts.ListClients", &list.base, &crmq__list_clients_reply__descriptor, &answer);
        if (code != CRMQ_OK || !answer)
            break;
        Crmq__ListClientsReply *page = (Crmq__ListClientsReply *) answer;
        for (size_t i = 0; i < page->n_clients; i++) {
            seen_survivor |= page->clients [i]->id == id;
            seen_merged |= page->clients [i]->id == merged_id;
        }
        list.after_id = page->next_after_id;
        protobuf_c_message_free_unpacked (answer, NULL);
        if (list.after_id == 0)
            break;
    }
    CHECK (code == CRMQ_OK && seen_survivor && !seen_merged, "survivor listed, merged not");

    s_client_free (&created);
    s_client_free (&person_client);
    crmq_pg_destroy (&s_pg);
    crmq_rpc_client_destroy (&s_contacts);
    printf ("test_contacts_cards: %s\n", s_failures? "FAIL": "PASS");
    return s_failures? 1: 0;
}

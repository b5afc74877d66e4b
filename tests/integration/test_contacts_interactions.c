/*  test_contacts_interactions - contacts.LogInteraction, UpdateInteraction
    and ListInteractions against the running service: 30 interactions over
    every channel and kind (Cyrillic, quotes, an attachment) listed by client
    and by manager with filters and keyset paging in exact order; requests
    and complaints reach bus.outbox in their own transaction; status
    transitions valid and refused; bad inputs each get their code and
    change nothing.                                                          */
#include "test_support.h"

#define DAY_US      (86400LL * 1000000)
#define MINUTE_US   (60LL * 1000000)
#define BASE_US     (1709251200LL * 1000000)        //  2024-03-01 00:00:00 UTC
#define LOGGED      30

static const char *s_channel_names [] = { "call", "email", "meeting", "message", "web", "other" };
static const char *s_kind_names [] = { "contact", "note", "contact", "request", "complaint" };
static const char *s_severity_names [] = { "low", "medium", "high", "critical" };

//  What the test logged, to compute every expected list.
typedef struct {
    int64_t id;
    const char *channel;
    const char *kind;
    int64_t started_us;
    int64_t manager_id;
} logged_t;

static logged_t s_logged [LOGGED];
static crmq_pg_t *s_pg;

//  --------------------------------------------------------------------------
//  Calls

//  test_call on `contacts`.
static int
s_call (crmq_rpc_client_t *contacts, const char *method, const ProtobufCMessage *request,
        const ProtobufCMessageDescriptor *descriptor, ProtobufCMessage **answer)
{
    return test_call (contacts, method, request, descriptor, answer);
}

//  Logs `it`; on 0 *stored holds the reply (free with s_free), else NULL.
static int
s_log (crmq_rpc_client_t *contacts, Crmq__Interaction *it, const char *actor,
       Crmq__InteractionReply **stored)
{
    Crmq__InteractionRequest request = CRMQ__INTERACTION_REQUEST__INIT;
    request.interaction = it;
    request.actor = (char *) actor;
    ProtobufCMessage *answer;
    int code = s_call (contacts, "contacts.LogInteraction", &request.base,
                       &crmq__interaction_reply__descriptor, &answer);
    *stored = (Crmq__InteractionReply *) answer;
    return code;
}

static int
s_update (crmq_rpc_client_t *contacts, Crmq__Interaction *it, const char *field,
          const char *actor, Crmq__InteractionReply **stored)
{
    Crmq__InteractionRequest request = CRMQ__INTERACTION_REQUEST__INIT;
    request.interaction = it;
    char *fields [1] = { (char *) field };
    request.n_fields = field? 1: 0;
    request.fields = fields;
    request.actor = (char *) actor;
    ProtobufCMessage *answer;
    int code = s_call (contacts, "contacts.UpdateInteraction", &request.base,
                       &crmq__interaction_reply__descriptor, &answer);
    *stored = (Crmq__InteractionReply *) answer;
    return code;
}

static void
s_free (void *message)
{
    if (message)
        protobuf_c_message_free_unpacked ((ProtobufCMessage *) message, NULL);
}

static int64_t
s_query_id (const char *sql, const char *param)
{
    const char *values [1] = { param };
    PGresult *result = crmq_pg_exec (s_pg, sql, param? 1: 0, values);
    if (!result || PQntuples (result) == 0) {
        fprintf (stderr, "query failed: %s: %s\n", sql, crmq_pg_error (s_pg));
        exit (2);
    }
    int64_t id = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    PQclear (result);
    return id;
}

//  One text value of a query with one parameter; caller frees.
static char *
s_query_text (const char *sql, const char *param)
{
    const char *values [1] = { param };
    PGresult *result = crmq_pg_exec (s_pg, sql, param? 1: 0, values);
    if (!result || PQntuples (result) == 0) {
        if (result)
            PQclear (result);
        return strdup ("(none)");
    }
    char *text = strdup (PQgetvalue (result, 0, 0));
    PQclear (result);
    return text;
}

//  What a refused request must leave as it was: every interaction, the
//  outbox, the audit trail and the card versions.
static char *
s_state (void)
{
    return s_query_text (
        "SELECT (SELECT count(*) FROM contacts.interactions) || '/'"
        " || (SELECT count(*) FROM bus.outbox WHERE producer = 'contacts') || '/'"
        " || (SELECT count(*) FROM contacts.audit)"
        " || '/' || (SELECT coalesce (md5 (string_agg (x::text, '|' ORDER BY x.id)), '')"
        "              FROM contacts.interactions x)"
        " || '/' || (SELECT sum (version) FROM contacts.clients)", NULL);
}

//  Body of a bus.outbox row as hex, decoded as an InteractionEvent (caller frees).
static Crmq__InteractionEvent *
s_event_from_hex (const char *hex)
{
    size_t size = strlen (hex) / 2;
    uint8_t *bytes = (uint8_t *) zmalloc (size + 1);
    for (size_t i = 0; i < size; i++) {
        unsigned value;
        sscanf (hex + 2 * i, "%2x", &value);
        bytes [i] = (uint8_t) value;
    }
    Crmq__InteractionEvent *event = crmq__interaction_event__unpack (NULL, size, bytes);
    free (bytes);
    return event;
}

//  The events of `topic` about interaction `id`, in seq order (*count of them).
static Crmq__InteractionEvent **
s_events (const char *topic, int64_t id, size_t *count)
{
    const char *values [1] = { topic };
    PGresult *result = crmq_pg_exec (s_pg,
        "SELECT encode (body, 'hex') FROM bus.outbox WHERE topic = $1 AND producer = 'contacts'"
        " ORDER BY seq", 1, values);
    *count = 0;
    if (!result)
        return NULL;
    int rows = PQntuples (result);
    Crmq__InteractionEvent **events = (Crmq__InteractionEvent **)
        zmalloc ((rows + 1) * sizeof (Crmq__InteractionEvent *));
    for (int row = 0; row < rows; row++) {
        Crmq__InteractionEvent *event = s_event_from_hex (PQgetvalue (result, row, 0));
        if (event && event->interaction && event->interaction->id == id)
            events [(*count)++] = event;
        else
            s_free (event);
    }
    PQclear (result);
    return events;
}

static void
s_events_free (Crmq__InteractionEvent **events, size_t count)
{
    for (size_t i = 0; i < count; i++)
        s_free (events [i]);
    free (events);
}

//  --------------------------------------------------------------------------
//  Lists

typedef struct {
    int64_t client_id, manager_id;
    const char *channels [4];       //  NULL-terminated
    const char *kinds [4];
    int64_t from_us, to_us;
    int limit;
} query_t;

static bool
s_in (const char *value, const char *const *list)
{
    if (!list [0])
        return true;
    for (; *list; list++)
        if (streq (value, *list))
            return true;
    return false;
}

//  Newest first: by when they took place, then by id.
static int
s_newest_first (const void *a, const void *b)
{
    const logged_t *x = *(const logged_t *const *) a, *y = *(const logged_t *const *) b;
    if (x->started_us != y->started_us)
        return x->started_us < y->started_us? 1: -1;
    return x->id < y->id? 1: x->id > y->id? -1: 0;
}

//  The ids `query` should list (over what the test logged for client 1),
//  newest first; returns how many.
static size_t
s_expected (const query_t *query, int64_t *ids)
{
    const logged_t *order [LOGGED];
    for (int i = 0; i < LOGGED; i++)
        order [i] = &s_logged [i];
    qsort (order, LOGGED, sizeof order [0], s_newest_first);
    size_t count = 0;
    for (int i = 0; i < LOGGED; i++) {
        const logged_t *l = order [i];
        if ((query->manager_id && l->manager_id != query->manager_id)
        ||  !s_in (l->channel, query->channels) || !s_in (l->kind, query->kinds)
        ||  (query->from_us && l->started_us < query->from_us)
        ||  (query->to_us && l->started_us >= query->to_us))
            continue;
        ids [count++] = l->id;
    }
    return count;
}

static int
s_list_call (crmq_rpc_client_t *contacts, const query_t *query, int64_t before_id,
             Crmq__ListInteractionsReply **answer)
{
    Crmq__ListInteractionsRequest request = CRMQ__LIST_INTERACTIONS_REQUEST__INIT;
    request.client_id = query->client_id;
    request.manager_id = query->manager_id;
    for (; query->channels [request.n_channels]; request.n_channels++);
    request.channels = (char **) query->channels;
    for (; query->kinds [request.n_kinds]; request.n_kinds++);
    request.kinds = (char **) query->kinds;
    Crmq__Period period = CRMQ__PERIOD__INIT;
    if (query->from_us || query->to_us) {
        period.from_us = query->from_us;
        period.to_us = query->to_us;
        request.period = &period;
    }
    request.limit = query->limit;
    request.before_id = before_id;
    ProtobufCMessage *message;
    int code = s_call (contacts, "contacts.ListInteractions", &request.base,
                       &crmq__list_interactions_reply__descriptor, &message);
    *answer = (Crmq__ListInteractionsReply *) message;
    return code;
}

//  Pages through `query` and checks every page holds exactly the expected
//  ids in order, pages full but the last, next_before_id 0 at the end.
static void
s_check_list (crmq_rpc_client_t *contacts, const char *name, const query_t *query,
              size_t expected_count)
{
    int64_t expected [LOGGED];
    size_t count = s_expected (query, expected);
    CHECK (count == expected_count, "%s: the test expects %zu, computed %zu", name, expected_count, count);
    size_t page_size = query->limit? (size_t) query->limit: 50;
    size_t seen = 0, pages = 0;
    int64_t before_id = 0;
    bool order = true, sizes = true, owners = true;
    int code = CRMQ_OK;
    do {
        Crmq__ListInteractionsReply *page;
        code = s_list_call (contacts, query, before_id, &page);
        if (code != CRMQ_OK)
            break;
        pages++;
        size_t want = count - seen < page_size? count - seen: page_size;
        if (page->n_interactions != want)
            sizes = false;
        for (size_t i = 0; i < page->n_interactions; i++) {
            Crmq__Interaction *it = page->interactions [i];
            if (seen >= count || it->id != expected [seen])
                order = false;
            if ((query->client_id && it->client_id != query->client_id)
            ||  (query->manager_id && it->manager_id != query->manager_id))
                owners = false;
            seen++;
        }
        before_id = page->next_before_id;
        if (before_id && (page->n_interactions == 0
                          || before_id != page->interactions [page->n_interactions - 1]->id))
            order = false;
        s_free (page);
    } while (before_id && pages <= LOGGED + 1);
    CHECK (code == CRMQ_OK, "%s: code %d %s", name, code, crmq_rpc_client_message (contacts));
    CHECK (seen == count && order, "%s: %zu listed of %zu, order %s", name, seen, count,
           order? "right": "wrong");
    CHECK (sizes && pages == (count? (count + page_size - 1) / page_size: 1),
           "%s: %zu pages of %zu", name, pages, page_size);
    CHECK (owners, "%s: owners", name);
}

static void
s_expect_list_error (crmq_rpc_client_t *contacts, const char *name, const query_t *query,
                     int64_t before_id, int expected_code, const char *expected_field)
{
    Crmq__ListInteractionsReply *page;
    int code = s_list_call (contacts, query, before_id, &page);
    s_free (page);
    CHECK (code == expected_code && streq (crmq_rpc_client_field (contacts), expected_field),
           "%s: code %d field '%s' (%s), expected %d %s", name, code,
           crmq_rpc_client_field (contacts), crmq_rpc_client_message (contacts),
           expected_code, expected_field);
}

//  --------------------------------------------------------------------------
//  Refused requests

//  Logs `it`, expects `expected_code` naming `expected_field`, and that
//  nothing changed.
static void
s_refused_log (crmq_rpc_client_t *contacts, const char *name, Crmq__Interaction *it,
               int expected_code, const char *expected_field)
{
    char *before = s_state ();
    Crmq__InteractionReply *stored;
    int code = s_log (contacts, it, "tester", &stored);
    s_free (stored);
    char *after = s_state ();
    CHECK (code == expected_code && streq (crmq_rpc_client_field (contacts), expected_field),
           "%s: code %d field '%s' (%s), expected %d %s", name, code,
           crmq_rpc_client_field (contacts), crmq_rpc_client_message (contacts),
           expected_code, expected_field);
    CHECK (streq (before, after), "%s changed something: %s -> %s", name, before, after);
    free (before);
    free (after);
}

static void
s_refused_update (crmq_rpc_client_t *contacts, const char *name, Crmq__Interaction *it,
                  const char *field, int expected_code, const char *expected_field)
{
    char *before = s_state ();
    Crmq__InteractionReply *stored;
    int code = s_update (contacts, it, field, "tester", &stored);
    s_free (stored);
    char *after = s_state ();
    CHECK (code == expected_code && streq (crmq_rpc_client_field (contacts), expected_field),
           "%s: code %d field '%s' (%s), expected %d %s", name, code,
           crmq_rpc_client_field (contacts), crmq_rpc_client_message (contacts),
           expected_code, expected_field);
    CHECK (streq (before, after), "%s changed something: %s -> %s", name, before, after);
    free (before);
    free (after);
}

//  A valid contact of `client_id`, for the refusals to spoil one field each.
static Crmq__Interaction
s_valid (int64_t client_id)
{
    Crmq__Interaction it = CRMQ__INTERACTION__INIT;
    it.client_id = client_id;
    it.channel = "call";
    it.direction = "out";
    it.subject = "valid";
    it.started_at_us = BASE_US + 40 * DAY_US;
    return it;
}

//  Sets the status of `id` and expects `expected_code`.
static void
s_status (crmq_rpc_client_t *contacts, int64_t id, const char *status, int expected_code)
{
    Crmq__Interaction it = CRMQ__INTERACTION__INIT;
    it.id = id;
    it.status = (char *) status;
    if (expected_code != CRMQ_OK) {
        char name [96];
        snprintf (name, sizeof name, "status of %" PRId64 " to %s", id, status);
        s_refused_update (contacts, name, &it, "status", expected_code,
                          expected_code == CRMQ_NOT_FOUND? "interaction.id": "interaction.status");
        return;
    }
    Crmq__InteractionReply *stored;
    int code = s_update (contacts, &it, "status", "Пётр «Старший»", &stored);
    CHECK (code == CRMQ_OK && stored->interaction->id == id
           && streq (stored->interaction->status, status),
           "status of %" PRId64 " to %s: code %d %s", id, status, code,
           crmq_rpc_client_message (contacts));
    s_free (stored);
}

//  --------------------------------------------------------------------------

int
main (void)
{
    crmq_log_init ("test_contacts_interactions", "error");
    crmq_rpc_client_t *contacts = crmq_rpc_client_new (test_env ("CRMQ_CONTACTS_ENDPOINT"), 20000, 0);
    s_pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_contacts_interactions");
    ProtobufCMessage *message;
    int code;

    printf ("managers and clients\n");
    Crmq__Manager m1 = CRMQ__MANAGER__INIT, m2 = CRMQ__MANAGER__INIT;
    m1.external_id = "ILOG-M1";
    m1.name = "Ирина «Соколова»";
    m1.active = true;
    m2.external_id = "ILOG-M2";
    m2.name = "Peter O'Brien";
    m2.active = true;
    Crmq__Manager *managers [2] = { &m1, &m2 };
    Crmq__UpsertManagersRequest upsert_managers = CRMQ__UPSERT_MANAGERS_REQUEST__INIT;
    upsert_managers.n_managers = 2;
    upsert_managers.managers = managers;
    code = s_call (contacts, "contacts.UpsertManagers", &upsert_managers.base,
                   &crmq__upsert_managers_reply__descriptor, &message);
    Crmq__UpsertManagersReply *manager_ids = (Crmq__UpsertManagersReply *) message;
    CHECK (code == CRMQ_OK && manager_ids->n_ids == 2, "UpsertManagers: %d %s", code,
           crmq_rpc_client_message (contacts));
    if (code != CRMQ_OK)
        return 1;
    int64_t manager1 = manager_ids->ids [0], manager2 = manager_ids->ids [1];
    s_free (manager_ids);

    Crmq__Client c1 = CRMQ__CLIENT__INIT, c2 = CRMQ__CLIENT__INIT, c3 = CRMQ__CLIENT__INIT;
    c1.external_id = "ILOG-C1";
    c1.name = "ООО «Ромашка» \"Север\"";
    c1.manager_external_id = "ILOG-M1";
    c2.external_id = "ILOG-C2";
    c2.name = "Beta Ltd";
    c3.external_id = "ILOG-C3";
    c3.name = "Gamma (merged later)";
    Crmq__Client *clients [3] = { &c1, &c2, &c3 };
    Crmq__UpsertClientsRequest upsert_clients = CRMQ__UPSERT_CLIENTS_REQUEST__INIT;
    upsert_clients.n_clients = 3;
    upsert_clients.clients = clients;
    code = s_call (contacts, "contacts.UpsertClients", &upsert_clients.base,
                   &crmq__upsert_clients_reply__descriptor, &message);
    Crmq__UpsertClientsReply *client_ids = (Crmq__UpsertClientsReply *) message;
    CHECK (code == CRMQ_OK && client_ids->n_ids == 3, "UpsertClients: %d %s", code,
           crmq_rpc_client_message (contacts));
    if (code != CRMQ_OK)
        return 1;
    int64_t client1 = client_ids->ids [0], client2 = client_ids->ids [1], client3 = client_ids->ids [2];
    s_free (client_ids);
    char id_text [24];

    //  contact persons and a merge are other handlers' work: set them up directly
    snprintf (id_text, sizeof id_text, "%" PRId64, client1);
    int64_t person1 = s_query_id ("INSERT INTO contacts.persons (client_id, name, position)"
                                  " VALUES ($1::bigint, 'Мария Иванова', 'главбух') RETURNING id", id_text);
    snprintf (id_text, sizeof id_text, "%" PRId64, client2);
    int64_t person2 = s_query_id ("INSERT INTO contacts.persons (client_id, name)"
                                  " VALUES ($1::bigint, 'John Smith') RETURNING id", id_text);
    {
        char survivor [24];
        snprintf (survivor, sizeof survivor, "%" PRId64, client1);
        snprintf (id_text, sizeof id_text, "%" PRId64, client3);
        const char *values [2] = { id_text, survivor };
        CHECK (crmq_pg_command (s_pg, "UPDATE contacts.clients SET status = 'merged' WHERE id = $1::bigint",
                                1, values) == 0, "merge C3: %s", crmq_pg_error (s_pg));
        CHECK (crmq_pg_command (s_pg, "INSERT INTO contacts.merges (merged_id, survivor_id)"
                                " VALUES ($1::bigint, $2::bigint)", 2, values) == 0,
               "merge C3: %s", crmq_pg_error (s_pg));
    }

    printf ("log %d interactions over every channel and kind\n", LOGGED);
    long long opened_requests = test_count (s_pg, "SELECT count(*) FROM bus.outbox WHERE topic = 'contacts.request.opened'");
    long long opened_complaints = test_count (s_pg, "SELECT count(*) FROM bus.outbox WHERE topic = 'contacts.complaint.opened'");
    snprintf (id_text, sizeof id_text, "%" PRId64, client1);
    int64_t version_before = s_query_id ("SELECT version FROM contacts.clients WHERE id = $1::bigint", id_text);
    const char *long_text = "Обсудили поставку «Ромашки» — клиент доволен;\n"
                            "он сказал: \"привезите ещё 'две' партии\"\tи пришлите счёт. Ёлки-палки!";
    int64_t attachment_id = 0, planned_id = 0, request_id = 0, complaint_id = 0, complaint2_id = 0;
    int64_t cyrillic_id = 0;
    bool all_logged = true;
    for (int i = 0; i < LOGGED; i++) {
        Crmq__Interaction it = CRMQ__INTERACTION__INIT;
        const char *kind = s_kind_names [i % 5];
        it.client_id = client1;
        it.channel = (char *) s_channel_names [i % 6];
        it.kind = i == 0? "": (char *) kind;                //  empty = contact
        it.direction = streq (kind, "note") && i % 2? "": i % 2? "out": "in";
        char subject [128], text [64], topic [96], deal [24], order [24];
        snprintf (subject, sizeof subject, "Звонок №%d «тест» \"%d\" it's", i, i);
        it.subject = subject;
        snprintf (text, sizeof text, "Текст %d", i);
        it.text = i == 7? (char *) long_text: text;
        it.started_at_us = BASE_US + ((i * 7) % 30) * DAY_US + i * MINUTE_US;
        it.ended_at_us = streq (it.channel, "call")? it.started_at_us + 15 * MINUTE_US: 0;
        it.manager_id = i % 3 == 0? manager1: i % 3 == 1? manager2: 0;
        it.person_id = i % 4 == 0? person1: 0;
        if (i % 6 == 0) {
            snprintf (deal, sizeof deal, "D-%d", i);
            snprintf (order, sizeof order, "ORD-%d", i);
            it.deal_ref = deal;
            it.order_ref = order;
            it.lead_ref = "L-1";
        }
        if (streq (kind, "request") || streq (kind, "complaint")) {
            snprintf (topic, sizeof topic, "Доставка задержана «%d»", i);
            it.topic = topic;
            it.severity = (char *) s_severity_names [i % 4];
        }
        if (i == 2)
            it.status = "planned";
        Crmq__Attachment attachment = CRMQ__ATTACHMENT__INIT;
        Crmq__Attachment *attachments [1] = { &attachment };
        if (i == 10) {
            attachment.name = "Договор №5 «поставка».pdf";
            attachment.url = "https://files.example.com/d/5?x=1&y=\"q\"";
            attachment.size_bytes = 123456;
            it.n_attachments = 1;
            it.attachments = attachments;
        }
        Crmq__InteractionReply *stored;
        code = s_log (contacts, &it, "Ирина С.", &stored);
        if (code != CRMQ_OK) {
            CHECK (code == CRMQ_OK, "log %d: code %d %s (%s)", i, code,
                   crmq_rpc_client_message (contacts), crmq_rpc_client_field (contacts));
            all_logged = false;
            continue;
        }
        Crmq__Interaction *s = stored->interaction;
        bool is_case = streq (kind, "request") || streq (kind, "complaint");
        bool same = s->id > 0 && s->client_id == client1 && streq (s->channel, it.channel)
                 && streq (s->kind, kind) && streq (s->direction, it.direction)
                 && streq (s->subject, subject) && streq (s->text, it.text)
                 && s->started_at_us == it.started_at_us && s->ended_at_us == it.ended_at_us
                 && s->manager_id == it.manager_id && s->person_id == it.person_id
                 && streq (s->deal_ref, it.deal_ref) && streq (s->order_ref, it.order_ref)
                 && streq (s->lead_ref, it.lead_ref) && streq (s->topic, it.topic)
                 && streq (s->severity, it.severity)
                 && streq (s->status, i == 2? "planned": is_case? "open": "done")
                 && streq (s->actor, "Ирина С.") && s->created_at_us > BASE_US
                 && s->n_attachments == it.n_attachments;
        if (!same)
            CHECK (same, "log %d: stored as sent (id %" PRId64 ", kind %s, status %s)", i, s->id,
                   s->kind, s->status);
        all_logged = all_logged && same;
        s_logged [i] = (logged_t) { s->id, s_channel_names [i % 6], kind, it.started_at_us, it.manager_id };
        if (i == 10) {
            CHECK (s->n_attachments == 1 && streq (s->attachments [0]->name, attachment.name)
                   && streq (s->attachments [0]->url, attachment.url)
                   && s->attachments [0]->size_bytes == 123456, "attachment read back");
            attachment_id = s->id;
        }
        if (i == 2)
            planned_id = s->id;
        if (i == 7)
            cyrillic_id = s->id;
        if (streq (kind, "request") && !request_id)
            request_id = s->id;
        if (streq (kind, "complaint")) {
            if (!complaint_id)
                complaint_id = s->id;
            else
            if (!complaint2_id)
                complaint2_id = s->id;
        }
        s_free (stored);
    }
    CHECK (all_logged, "all %d logged and read back as sent", LOGGED);
    if (!all_logged)
        return 1;
    int64_t version_after = s_query_id ("SELECT version FROM contacts.clients WHERE id = $1::bigint", id_text);
    CHECK (version_after >= version_before + LOGGED, "the card's version moved: %" PRId64 " -> %" PRId64,
           version_before, version_after);

    printf ("what the database holds\n");
    snprintf (id_text, sizeof id_text, "%" PRId64, attachment_id);
    char *json = s_query_text ("SELECT jsonb_array_length (attachments) || '|' || (attachments -> 0 ->> 'name')"
                               " || '|' || (attachments -> 0 ->> 'url') || '|' || (attachments -> 0 -> 'size_bytes')"
                               " FROM contacts.interactions WHERE id = $1::bigint", id_text);
    CHECK (streq (json, "1|Договор №5 «поставка».pdf|https://files.example.com/d/5?x=1&y=\"q\"|123456"),
           "attachments jsonb: %s", json);
    free (json);
    snprintf (id_text, sizeof id_text, "%" PRId64, cyrillic_id);
    char *text = s_query_text ("SELECT text FROM contacts.interactions WHERE id = $1::bigint", id_text);
    CHECK (streq (text, long_text), "Cyrillic text stored: %s", text);
    free (text);
    char *actor = s_query_text ("SELECT actor || '|' || (SELECT actor FROM contacts.audit WHERE entity = 'interaction'"
                                " AND entity_id = $1::bigint AND action = 'insert')"
                                " FROM contacts.interactions WHERE id = $1::bigint", id_text);
    CHECK (streq (actor, "Ирина С.|Ирина С."), "actor in the row and the audit trail: %s", actor);
    free (actor);
    snprintf (id_text, sizeof id_text, "%" PRId64, planned_id);
    char *planned = s_query_text ("SELECT status FROM contacts.interactions WHERE id = $1::bigint", id_text);
    CHECK (streq (planned, "planned"), "planned contact: %s", planned);
    free (planned);

    printf ("requests and complaints in bus.outbox\n");
    CHECK (test_count (s_pg, "SELECT count(*) FROM bus.outbox WHERE topic = 'contacts.request.opened'")
           == opened_requests + 6, "6 contacts.request.opened");
    CHECK (test_count (s_pg, "SELECT count(*) FROM bus.outbox WHERE topic = 'contacts.complaint.opened'")
           == opened_complaints + 6, "6 contacts.complaint.opened");
    size_t count;
    Crmq__InteractionEvent **events = s_events ("contacts.complaint.opened", complaint_id, &count);
    CHECK (count == 1, "one contacts.complaint.opened for complaint %" PRId64 ": %zu", complaint_id, count);
    if (count == 1) {
        Crmq__Interaction *e = events [0]->interaction;
        CHECK (e->client_id == client1 && streq (e->kind, "complaint") && streq (e->status, "open")
               && streq (e->topic, "Доставка задержана «4»") && streq (e->severity, "low")
               && streq (e->channel, "web") && e->manager_id == manager2
               && e->person_id == person1 && streq (e->actor, "Ирина С.")
               && streq (events [0]->previous_status, ""),
               "the complaint event: topic %s severity %s status %s", e->topic, e->severity, e->status);
    }
    s_events_free (events, count);

    printf ("lists by client\n");
    query_t all = { .client_id = client1 };
    s_check_list (contacts, "all of client 1", &all, 30);
    query_t paged = { .client_id = client1, .limit = 7 };
    s_check_list (contacts, "client 1 by 7", &paged, 30);
    query_t one = { .client_id = client1, .limit = 1 };
    s_check_list (contacts, "client 1 by 1", &one, 30);
    query_t exact = { .client_id = client1, .limit = 30 };
    s_check_list (contacts, "client 1 by 30", &exact, 30);
    query_t calls = { .client_id = client1, .channels = { "call", "email" }, .limit = 4 };
    s_check_list (contacts, "calls and e-mails", &calls, 10);
    query_t cases = { .client_id = client1, .kinds = { "request", "complaint" } };
    s_check_list (contacts, "requests and complaints", &cases, 12);
    query_t notes_web = { .client_id = client1, .channels = { "web", "message" }, .kinds = { "note" } };
    s_check_list (contacts, "notes on web and message", &notes_web, 2);
    query_t week = { .client_id = client1, .from_us = BASE_US + 5 * DAY_US,
                     .to_us = BASE_US + 12 * DAY_US, .limit = 3 };
    s_check_list (contacts, "days 5 to 11", &week, 7);
    query_t since = { .client_id = client1, .from_us = BASE_US + 20 * DAY_US };
    s_check_list (contacts, "from day 20", &since, 10);
    query_t until = { .client_id = client1, .to_us = BASE_US + 6 * DAY_US, .kinds = { "contact" } };
    s_check_list (contacts, "contacts before day 6", &until, 3);
    query_t merged = { .client_id = client3 };
    {
        Crmq__ListInteractionsReply *page;
        int64_t newest [LOGGED];
        query_t everything = { .client_id = client1 };
        s_expected (&everything, newest);
        code = s_list_call (contacts, &merged, 0, &page);
        CHECK (code == CRMQ_OK && page->n_interactions == 30
               && page->interactions [0]->id == newest [0],
               "a merged client lists its survivor's history: code %d", code);
        s_free (page);
        query_t other = { .client_id = client2 };
        code = s_list_call (contacts, &other, 0, &page);
        CHECK (code == CRMQ_OK && page->n_interactions == 0 && page->next_before_id == 0,
               "client 2 has none yet: code %d", code);
        s_free (page);
    }

    printf ("lists by manager\n");
    query_t by_m1 = { .manager_id = manager1 };
    s_check_list (contacts, "manager 1", &by_m1, 10);
    query_t by_m2 = { .manager_id = manager2, .kinds = { "contact" }, .limit = 2 };
    s_check_list (contacts, "manager 2's contacts", &by_m2, 4);
    query_t by_m1_week = { .manager_id = manager1, .channels = { "call", "meeting" },
                           .from_us = BASE_US, .to_us = BASE_US + 15 * DAY_US };
    s_check_list (contacts, "manager 1's calls and meetings, days 0 to 14", &by_m1_week, 3);

    printf ("list errors\n");
    query_t both = { .client_id = client1, .manager_id = manager1 };
    s_expect_list_error (contacts, "client and manager", &both, 0, CRMQ_INVALID_ARGUMENT, "client_id");
    query_t none = { .limit = 5 };
    s_expect_list_error (contacts, "neither", &none, 0, CRMQ_INVALID_ARGUMENT, "client_id");
    query_t big = { .client_id = client1, .limit = 1001 };
    s_expect_list_error (contacts, "limit 1001", &big, 0, CRMQ_INVALID_ARGUMENT, "limit");
    query_t negative = { .client_id = client1, .limit = -1 };
    s_expect_list_error (contacts, "limit -1", &negative, 0, CRMQ_INVALID_ARGUMENT, "limit");
    query_t fax = { .client_id = client1, .channels = { "call", "fax" } };
    s_expect_list_error (contacts, "channel fax", &fax, 0, CRMQ_INVALID_ARGUMENT, "channels[1]");
    query_t task = { .client_id = client1, .kinds = { "task" } };
    s_expect_list_error (contacts, "kind task", &task, 0, CRMQ_INVALID_ARGUMENT, "kinds[0]");
    query_t backwards = { .client_id = client1, .from_us = BASE_US + DAY_US, .to_us = BASE_US };
    s_expect_list_error (contacts, "period backwards", &backwards, 0, CRMQ_INVALID_ARGUMENT, "period");
    query_t nobody = { .client_id = 999999999 };
    s_expect_list_error (contacts, "unknown client", &nobody, 0, CRMQ_NOT_FOUND, "client_id");
    query_t no_manager = { .manager_id = 999999999 };
    s_expect_list_error (contacts, "unknown manager", &no_manager, 0, CRMQ_NOT_FOUND, "manager_id");
    s_expect_list_error (contacts, "before_id -1", &all, -1, CRMQ_INVALID_ARGUMENT, "before_id");

    printf ("a note may have no direction\n");
    {
        Crmq__Interaction it = s_valid (client2);
        it.kind = "note";
        it.direction = "";
        it.channel = "other";
        it.text = "заметка без направления";
        it.person_id = person2;
        Crmq__InteractionReply *stored;
        code = s_log (contacts, &it, "", &stored);
        CHECK (code == CRMQ_OK && streq (stored->interaction->direction, "")
               && streq (stored->interaction->status, "done") && stored->interaction->person_id == person2,
               "note without direction: code %d %s", code, crmq_rpc_client_message (contacts));
        s_free (stored);
    }

    printf ("status transitions\n");
    s_status (contacts, request_id, "in_progress", CRMQ_OK);
    s_status (contacts, request_id, "in_progress", CRMQ_OK);          //  again: no change
    s_status (contacts, request_id, "closed", CRMQ_FAILED_PRECONDITION);
    s_status (contacts, request_id, "open", CRMQ_FAILED_PRECONDITION);
    s_status (contacts, request_id, "done", CRMQ_INVALID_ARGUMENT);
    s_status (contacts, request_id, "resolved", CRMQ_OK);
    s_status (contacts, request_id, "in_progress", CRMQ_OK);          //  reopened
    s_status (contacts, request_id, "resolved", CRMQ_OK);
    s_status (contacts, request_id, "closed", CRMQ_OK);
    s_status (contacts, request_id, "in_progress", CRMQ_FAILED_PRECONDITION);
    s_status (contacts, request_id, "resolved", CRMQ_FAILED_PRECONDITION);
    s_status (contacts, request_id, "open", CRMQ_FAILED_PRECONDITION);
    events = s_events ("contacts.request.updated", request_id, &count);
    const char *previous [5] = { "open", "in_progress", "resolved", "in_progress", "resolved" };
    const char *next [5] = { "in_progress", "resolved", "in_progress", "resolved", "closed" };
    bool history = count == 5;
    for (size_t i = 0; history && i < count; i++)
        history = streq (events [i]->previous_status, previous [i])
               && streq (events [i]->interaction->status, next [i])
               && streq (events [i]->interaction->kind, "request");
    CHECK (history, "5 contacts.request.updated with previous statuses: %zu", count);
    s_events_free (events, count);

    s_status (contacts, complaint2_id, "closed", CRMQ_FAILED_PRECONDITION);
    s_status (contacts, complaint_id, "resolved", CRMQ_OK);
    s_status (contacts, complaint_id, "planned", CRMQ_INVALID_ARGUMENT);
    events = s_events ("contacts.complaint.updated", complaint_id, &count);
    CHECK (count == 1 && streq (events [0]->previous_status, "open")
           && streq (events [0]->interaction->status, "resolved")
           && streq (events [0]->interaction->topic, "Доставка задержана «4»"),
           "contacts.complaint.updated open -> resolved: %zu", count);
    s_events_free (events, count);

    //  contacts.* topics: the status change of a planned contact writes
    //  only data.changed.contacts.interactions
    long long outbox = test_count (s_pg,
                                   "SELECT count(*) FROM bus.outbox WHERE topic LIKE 'contacts.%'");
    s_status (contacts, planned_id, "done", CRMQ_OK);
    s_status (contacts, planned_id, "planned", CRMQ_FAILED_PRECONDITION);
    s_status (contacts, planned_id, "open", CRMQ_INVALID_ARGUMENT);
    s_status (contacts, s_logged [5].id, "planned", CRMQ_FAILED_PRECONDITION);   //  done contact
    s_status (contacts, 999999999, "done", CRMQ_NOT_FOUND);
    CHECK (test_count (s_pg, "SELECT count(*) FROM bus.outbox WHERE topic LIKE 'contacts.%'")
           == outbox, "contacts publish no events");

    printf ("outcome, text and end\n");
    {
        Crmq__Interaction it = CRMQ__INTERACTION__INIT;
        it.id = complaint_id;
        it.outcome = "Решено: «заменили товар», клиент сказал \"спасибо\"";
        Crmq__InteractionReply *stored;
        code = s_update (contacts, &it, "outcome", "Пётр", &stored);
        CHECK (code == CRMQ_OK && streq (stored->interaction->outcome, it.outcome)
               && streq (stored->interaction->status, "resolved")
               && streq (stored->interaction->actor, "Ирина С."),
               "outcome set: code %d %s", code, crmq_rpc_client_message (contacts));
        int64_t started = code == CRMQ_OK? stored->interaction->started_at_us: 0;
        s_free (stored);
        it.ended_at_us = started + 90 * MINUTE_US;
        code = s_update (contacts, &it, "ended_at_us", "Пётр", &stored);
        CHECK (code == CRMQ_OK && stored->interaction->ended_at_us == started + 90 * MINUTE_US,
               "end set: code %d %s", code, crmq_rpc_client_message (contacts));
        s_free (stored);
        it.text = "Новый текст — ёж";
        code = s_update (contacts, &it, "text", "Пётр", &stored);
        CHECK (code == CRMQ_OK && streq (stored->interaction->text, "Новый текст — ёж")
               && stored->interaction->ended_at_us == started + 90 * MINUTE_US,
               "text set: code %d %s", code, crmq_rpc_client_message (contacts));
        s_free (stored);
        snprintf (id_text, sizeof id_text, "%" PRId64, complaint_id);
        char *updater = s_query_text ("SELECT actor FROM contacts.audit WHERE entity = 'interaction'"
                                      " AND entity_id = $1::bigint ORDER BY id DESC LIMIT 1", id_text);
        CHECK (streq (updater, "Пётр"), "the audit trail names the updater: %s", updater);
        free (updater);

        it.ended_at_us = started - 1;
        s_refused_update (contacts, "ended before started", &it, "ended_at_us",
                          CRMQ_INVALID_ARGUMENT, "interaction.ended_at_us");
        s_refused_update (contacts, "field subject", &it, "subject", CRMQ_INVALID_ARGUMENT, "fields[0]");
        s_refused_update (contacts, "no fields", &it, NULL, CRMQ_INVALID_ARGUMENT, "fields");
        it.text = "\xff\xfe";
        s_refused_update (contacts, "text not UTF-8", &it, "text", CRMQ_INVALID_ARGUMENT, "interaction.text");
        it.id = 0;
        s_refused_update (contacts, "no id", &it, "outcome", CRMQ_INVALID_ARGUMENT, "interaction.id");
    }

    printf ("bad inputs change nothing\n");
    {
        Crmq__Interaction it = s_valid (999999999);
        s_refused_log (contacts, "unknown client", &it, CRMQ_NOT_FOUND, "interaction.client_id");
        it = s_valid (client3);
        s_refused_log (contacts, "merged client", &it, CRMQ_FAILED_PRECONDITION, "interaction.client_id");
        char survivor_named [64];
        snprintf (survivor_named, sizeof survivor_named, "merged into client %" PRId64 ":", client1);
        CHECK (strstr (crmq_rpc_client_message (contacts), survivor_named) != NULL,
               "the message names the survivor: %s", crmq_rpc_client_message (contacts));
        it = s_valid (0);
        s_refused_log (contacts, "no client", &it, CRMQ_INVALID_ARGUMENT, "interaction.client_id");
        it = s_valid (client1);
        it.channel = "fax";
        s_refused_log (contacts, "channel fax", &it, CRMQ_INVALID_ARGUMENT, "interaction.channel");
        it = s_valid (client1);
        it.channel = "";
        s_refused_log (contacts, "no channel", &it, CRMQ_INVALID_ARGUMENT, "interaction.channel");
        it = s_valid (client1);
        it.kind = "task";
        s_refused_log (contacts, "kind task", &it, CRMQ_INVALID_ARGUMENT, "interaction.kind");
        it = s_valid (client1);
        it.ended_at_us = it.started_at_us - 1;
        s_refused_log (contacts, "ended before started", &it, CRMQ_INVALID_ARGUMENT, "interaction.ended_at_us");
        it = s_valid (client1);
        it.started_at_us = 0;
        s_refused_log (contacts, "no start", &it, CRMQ_INVALID_ARGUMENT, "interaction.started_at_us");
        it = s_valid (client1);
        it.started_at_us = -2208988800LL * 1000000 - 1;                 //  1899
        s_refused_log (contacts, "start in 1899", &it, CRMQ_INVALID_ARGUMENT, "interaction.started_at_us");
        it = s_valid (client1);
        it.started_at_us = INT64_MAX;
        s_refused_log (contacts, "start at INT64_MAX", &it, CRMQ_INVALID_ARGUMENT, "interaction.started_at_us");
        it = s_valid (client1);
        it.direction = "sideways";
        s_refused_log (contacts, "direction sideways", &it, CRMQ_INVALID_ARGUMENT, "interaction.direction");
        it = s_valid (client1);
        it.direction = "";
        s_refused_log (contacts, "contact without direction", &it, CRMQ_INVALID_ARGUMENT, "interaction.direction");

        Crmq__Attachment attachment = CRMQ__ATTACHMENT__INIT;
        Crmq__Attachment *attachments [21];
        for (int i = 0; i < 21; i++)
            attachments [i] = &attachment;
        attachment.name = "a.pdf";
        attachment.url = "ftp://files.example.com/a.pdf";
        it = s_valid (client1);
        it.n_attachments = 1;
        it.attachments = attachments;
        s_refused_log (contacts, "ftp URL", &it, CRMQ_INVALID_ARGUMENT, "interaction.attachments[0].url");
        attachment.url = "javascript:alert(1)";
        s_refused_log (contacts, "javascript URL", &it, CRMQ_INVALID_ARGUMENT, "interaction.attachments[0].url");
        attachment.url = "https://files.example.com/a b.pdf";
        s_refused_log (contacts, "URL with a space", &it, CRMQ_INVALID_ARGUMENT, "interaction.attachments[0].url");
        attachment.url = "https://";
        s_refused_log (contacts, "URL without host", &it, CRMQ_INVALID_ARGUMENT, "interaction.attachments[0].url");
        attachment.url = "https://files.example.com/a.pdf";
        attachment.name = "";
        s_refused_log (contacts, "attachment without name", &it, CRMQ_INVALID_ARGUMENT, "interaction.attachments[0].name");
        attachment.name = "a.pdf";
        attachment.size_bytes = -1;
        s_refused_log (contacts, "negative size", &it, CRMQ_INVALID_ARGUMENT, "interaction.attachments[0].size_bytes");
        attachment.size_bytes = 10;
        it.n_attachments = 21;
        s_refused_log (contacts, "21 attachments", &it, CRMQ_INVALID_ARGUMENT, "interaction.attachments");

        it = s_valid (client1);
        it.person_id = person2;
        s_refused_log (contacts, "person of another client", &it, CRMQ_INVALID_ARGUMENT, "interaction.person_id");
        it.person_id = 999999999;
        s_refused_log (contacts, "unknown person", &it, CRMQ_INVALID_ARGUMENT, "interaction.person_id");
        it = s_valid (client1);
        it.manager_id = 999999999;
        s_refused_log (contacts, "unknown manager", &it, CRMQ_NOT_FOUND, "interaction.manager_id");

        it = s_valid (client1);
        it.kind = "complaint";
        it.severity = "high";
        s_refused_log (contacts, "complaint without topic", &it, CRMQ_INVALID_ARGUMENT, "interaction.topic");
        it.topic = "Брак";
        it.severity = "urgent";
        s_refused_log (contacts, "severity urgent", &it, CRMQ_INVALID_ARGUMENT, "interaction.severity");
        it.severity = "";
        s_refused_log (contacts, "no severity", &it, CRMQ_INVALID_ARGUMENT, "interaction.severity");
        it.severity = "low";
        it.status = "done";
        s_refused_log (contacts, "complaint done", &it, CRMQ_INVALID_ARGUMENT, "interaction.status");
        it.status = "";
        it.client_id = 999999999;
        s_refused_log (contacts, "complaint of an unknown client", &it, CRMQ_NOT_FOUND, "interaction.client_id");
        it = s_valid (client1);
        it.topic = "тема";
        s_refused_log (contacts, "contact with a topic", &it, CRMQ_INVALID_ARGUMENT, "interaction.topic");
        it = s_valid (client1);
        it.status = "open";
        s_refused_log (contacts, "contact open", &it, CRMQ_INVALID_ARGUMENT, "interaction.status");
        it = s_valid (client1);
        it.id = s_logged [0].id;
        s_refused_log (contacts, "with an id", &it, CRMQ_INVALID_ARGUMENT, "interaction.id");
        it = s_valid (client1);
        it.subject = "\xd0\x90\xd0";
        s_refused_log (contacts, "subject not UTF-8", &it, CRMQ_INVALID_ARGUMENT, "interaction.subject");
        it = s_valid (client1);
        it.deal_ref = "D-1\nD-2";
        s_refused_log (contacts, "deal_ref with a line break", &it, CRMQ_INVALID_ARGUMENT, "interaction.deal_ref");
        it = s_valid (client1);
        char *huge = (char *) malloc (100002);
        memset (huge, 'a', 100001);
        huge [100001] = 0;
        it.text = huge;
        s_refused_log (contacts, "text over 100000 bytes", &it, CRMQ_INVALID_ARGUMENT, "interaction.text");
        free (huge);
        char *outcome = (char *) malloc (1002);
        memset (outcome, 'b', 1001);
        outcome [1001] = 0;
        it = s_valid (client1);
        it.outcome = outcome;
        s_refused_log (contacts, "outcome over 1000 bytes", &it, CRMQ_INVALID_ARGUMENT, "interaction.outcome");
        free (outcome);
    }
    {
        char *before = s_state ();
        uint8_t *body;
        size_t size;
        code = crmq_rpc_call_raw (contacts, "contacts.LogInteraction", "\xff\xff\xff", 3, 2, &body, &size);
        CHECK (code == CRMQ_INVALID_ARGUMENT, "malformed LogInteraction: %d", code);
        code = crmq_rpc_call_raw (contacts, "contacts.ListInteractions", "\x08", 1, 2, &body, &size);
        CHECK (code == CRMQ_INVALID_ARGUMENT, "malformed ListInteractions: %d", code);
        char *after = s_state ();
        CHECK (streq (before, after), "malformed requests changed nothing");
        free (before);
        free (after);
    }
    s_check_list (contacts, "all of client 1 after it all", &all, 30);

    printf ("a resend under the same request key logs once\n");
    {
        Crmq__Interaction it = s_valid (client2);
        it.subject = "resent «once»";
        Crmq__InteractionRequest request = CRMQ__INTERACTION_REQUEST__INIT;
        request.interaction = &it;
        request.actor = "resender";
        request.request_key = "log-key-0001-resend";
        ProtobufCMessage *first, *second;
        int code1 = s_call (contacts, "contacts.LogInteraction", &request.base,
                            &crmq__interaction_reply__descriptor, &first);
        int code2 = s_call (contacts, "contacts.LogInteraction", &request.base,
                            &crmq__interaction_reply__descriptor, &second);
        CHECK (code1 == CRMQ_OK && code2 == CRMQ_OK, "codes %d %d", code1, code2);
        if (first && second)
            CHECK (((Crmq__InteractionReply *) first)->interaction->id
                   == ((Crmq__InteractionReply *) second)->interaction->id, "the same interaction");
        CHECK (s_query_id ("SELECT count(*) FROM contacts.interactions WHERE subject = $1",
                           "resent «once»") == 1, "logged once");
        s_free (first);
        s_free (second);

        //  a key that cannot be one, or that another method used, logs nothing
        //  and leaves that method's stored reply alone
        CHECK (crmq_pg_command (s_pg, "INSERT INTO contacts.request_keys (key, method, reply)"
                                " VALUES ('log-key-of-another-method', 'contacts.AddChannel', '\\x0a00')",
                                0, NULL) == 0, "a key of AddChannel: %s", crmq_pg_error (s_pg));
        char *before = s_state ();
        char *keys_before = s_query_text ("SELECT md5 (string_agg (key || method || coalesce (reply::text, ''),"
                                          " '|' ORDER BY key)) FROM contacts.request_keys", NULL);
        it.subject = "a bad key «never»";
        request.request_key = "short";
        ProtobufCMessage *answer;
        code = s_call (contacts, "contacts.LogInteraction", &request.base,
                       &crmq__interaction_reply__descriptor, &answer);
        s_free (answer);
        CHECK (code == CRMQ_INVALID_ARGUMENT && streq (crmq_rpc_client_field (contacts), "request_key"),
               "a key too short: %d %s", code, crmq_rpc_client_field (contacts));
        request.request_key = "log-key-of-another-method";
        code = s_call (contacts, "contacts.LogInteraction", &request.base,
                       &crmq__interaction_reply__descriptor, &answer);
        s_free (answer);
        CHECK (code == CRMQ_ALREADY_EXISTS && streq (crmq_rpc_client_field (contacts), "request_key"),
               "a key of another method: %d %s", code, crmq_rpc_client_field (contacts));
        char *after = s_state ();
        char *keys_after = s_query_text ("SELECT md5 (string_agg (key || method || coalesce (reply::text, ''),"
                                         " '|' ORDER BY key)) FROM contacts.request_keys", NULL);
        CHECK (streq (before, after) && streq (keys_before, keys_after)
               && s_query_id ("SELECT count(*) FROM contacts.interactions WHERE subject = $1",
                              "a bad key «never»") == 0, "bad keys logged nothing, stored replies kept");
        free (before);
        free (after);
        free (keys_before);
        free (keys_after);
    }

    crmq_pg_destroy (&s_pg);
    crmq_rpc_client_destroy (&contacts);
    printf ("test_contacts_interactions: %s\n", s_failures? "FAIL": "PASS");
    return s_failures? 1: 0;
}

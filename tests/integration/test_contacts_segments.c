/*  test_contacts_segments - segments of clients: rule segments over each
    condition (category, region, source, country, tags, manager, status,
    kind, the date the relationship began) and all of them at once, matching
    Cyrillic and Latin case-insensitively where they should; paging by
    client id; counts in ListSegments; static segments with add, remove and
    duplicate adds; deletion taking the members along; and bad requests each
    getting their code and changing nothing.

    Other tests share the database, so a condition that their clients could
    match (a status, say) expects this test's clients as listed below plus
    whichever other clients an independent SQL predicate finds.             */
#include "test_support.h"

static crmq_rpc_client_t *s_contacts;
static crmq_pg_t *s_pg;

//  The test's clients: SGT-01 .. SGT-12, and their ids.
#define CLIENTS 12
static int64_t s_ids [CLIENTS + 1];
static int64_t s_manager [3];           //  SGT-M1, SGT-M2

typedef struct {
    const char *name, *category, *region, *source, *country, *manager;
    const char *tags, *status, *kind, *since;    //  set through SQL
} client_spec_t;

static const client_spec_t CLIENT_SPECS [CLIENTS + 1] = {
    { NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL },
    { "ООО «Василёк-Сегмент»", "Retail", "Москва", "Web", "RU", "SGT-M1",
      "{vip,north}", "active", "company", "2020-01-15" },
    { "\"Quote\" Ltd", "retail", "москва", "web", "ru", "SGT-M2",
      "{vip}", "active", "company", "2021-06-01" },
    { "Иванов Иван", "Опт", "МОСКВА", "Referral", "RU", "SGT-M1",
      "{}", "active", "person", "2019-12-31" },
    { "Beta's", "RETAIL", "Санкт-Петербург", "Exhibition", "RU", "",
      "{north}", "archived", "company", "2022-03-10" },
    { "Гамма", "опт", "Казань", "WEB", "KZ", "SGT-M2",
      "{south}", "active", "company", NULL },
    { "Delta", "Retail", "Moscow", "Cold call", "DE", "SGT-M1",
      "{}", "active", "person", "2020-01-01" },
    { "Эпсилон", "Partner", "Новосибирск", "Referral", "RU", "SGT-M2",
      "{vip,south}", "archived", "person", "2023-01-01" },
    { "Zeta (merged)", "retail", "москва", "Web", "RU", "SGT-M1",
      "{vip}", "merged", "company", "2020-05-05" },
    { "Eta", "Partner", "Москва", "web", "US", "",
      "{north,south}", "active", "company", "2018-07-04" },
    { "Theta", "", "", "", "", "",
      "{}", "active", "company", NULL },
    { "Йота", "ОПТ", "санкт-петербург", "Exhibition", "RU", "SGT-M2",
      "{vip}", "active", "person", "2024-02-29" },
    { "Kappa «K»", "Retail", "Казань", "Referral", "kz", "SGT-M1",
      "{}", "archived", "company", "2021-01-01" },
};

//  test_call on the test's crmq-contacts client.
static int
s_call (const char *method, const ProtobufCMessage *request,
        const ProtobufCMessageDescriptor *descriptor, ProtobufCMessage **answer)
{
    return test_call (s_contacts, method, request, descriptor, answer);
}

//  What a request could change: segments, members, clients and the rest.
static char *
s_state (void)
{
    static const char *const segments [] = {
        "contacts.segments", "contacts.segment_members", NULL };
    char *mine = test_fingerprint_of (s_pg, segments);
    char *others = test_fingerprint (s_pg);
    char *state = zsys_sprintf ("%s/%s", mine, others);
    free (mine);
    free (others);
    return state;
}

//  Saves a segment; returns its id, or 0 after a failed check.  *clients
//  gets the count the reply gave.
static int64_t
s_save (int64_t id, const char *name, const char *kind, const char *description,
        Crmq__SegmentRule *rule, int64_t *clients)
{
    Crmq__Segment segment = CRMQ__SEGMENT__INIT;
    segment.id = id;
    segment.name = (char *) name;
    segment.kind = (char *) kind;
    segment.description = (char *) description;
    segment.rule = rule;
    Crmq__SegmentRequest request = CRMQ__SEGMENT_REQUEST__INIT;
    request.segment = &segment;
    request.actor = "test «сегменты»";
    Crmq__SegmentReply *answer;
    int code = s_call ("contacts.SaveSegment", &request.base, &crmq__segment_reply__descriptor,
                       (ProtobufCMessage **) &answer);
    CHECK (code == CRMQ_OK, "SaveSegment %s: code %d %s", name, code,
           crmq_rpc_client_message (s_contacts));
    if (code != CRMQ_OK)
        return 0;
    int64_t saved = answer->segment->id;
    CHECK (saved > 0 && (id == 0 || saved == id), "id %" PRId64, saved);
    CHECK (streq (answer->segment->name, name), "name %s", answer->segment->name);
    CHECK (streq (answer->segment->kind, kind), "kind %s", answer->segment->kind);
    CHECK (streq (answer->segment->description, description), "description %s",
           answer->segment->description);
    CHECK ((answer->segment->rule != NULL) == (rule != NULL), "rule echoed");
    if (clients)
        *clients = answer->segment->clients;
    protobuf_c_message_free_unpacked (&answer->base, NULL);
    return saved;
}

//  The segment's count and name as ListSegments shows them; -1 when absent.
static int64_t
s_listed (int64_t id, char *name, size_t size)
{
    Crmq__ListSegmentsRequest request = CRMQ__LIST_SEGMENTS_REQUEST__INIT;
    Crmq__ListSegmentsReply *answer;
    int code = s_call ("contacts.ListSegments", &request.base, &crmq__list_segments_reply__descriptor,
                       (ProtobufCMessage **) &answer);
    CHECK (code == CRMQ_OK, "ListSegments: code %d %s", code, crmq_rpc_client_message (s_contacts));
    if (code != CRMQ_OK)
        return -1;
    int64_t clients = -1;
    for (size_t i = 0; i < answer->n_segments; i++) {
        if (i > 0 && answer->segments [i]->id <= answer->segments [i - 1]->id)
            CHECK (false, "segments in id order: %" PRId64 " after %" PRId64,
                   answer->segments [i]->id, answer->segments [i - 1]->id);
        if (answer->segments [i]->id == id) {
            clients = answer->segments [i]->clients;
            if (name)
                snprintf (name, size, "%s", answer->segments [i]->name);
        }
    }
    protobuf_c_message_free_unpacked (&answer->base, NULL);
    return clients;
}

//  Reads every client of a segment, `limit` a page, checking the paging.
//  Fills ids (up to max) and the external ids of this test's clients
//  ("SGT-01 SGT-03"); returns how many clients, or -1 on a failed call.
static int
s_segment_clients (int64_t segment_id, int limit, int64_t *ids, int max, char *mine, size_t size)
{
    int count = 0, pages = 0;
    int64_t after = 0;
    *mine = 0;
    do {
        Crmq__SegmentClientsRequest request = CRMQ__SEGMENT_CLIENTS_REQUEST__INIT;
        request.segment_id = segment_id;
        request.limit = limit;
        request.after_id = after;
        Crmq__ListClientsReply *answer;
        int code = s_call ("contacts.SegmentClients", &request.base,
                           &crmq__list_clients_reply__descriptor, (ProtobufCMessage **) &answer);
        if (code != CRMQ_OK) {
            CHECK (code == CRMQ_OK, "SegmentClients %" PRId64 ": code %d %s", segment_id, code,
                   crmq_rpc_client_message (s_contacts));
            return -1;
        }
        pages++;
        size_t page_limit = limit? (size_t) limit: 100;
        if (answer->n_clients > page_limit || (answer->next_after_id && answer->n_clients != page_limit))
            CHECK (false, "page of %zu clients, limit %zu, next %" PRId64, answer->n_clients,
                   page_limit, answer->next_after_id);
        for (size_t i = 0; i < answer->n_clients; i++) {
            Crmq__Client *client = answer->clients [i];
            if (client->id <= after)
                CHECK (false, "client %" PRId64 " after %" PRId64, client->id, after);
            after = client->id;
            if (count < max)
                ids [count] = client->id;
            count++;
            if (client->external_id && strncmp (client->external_id, "SGT-", 4) == 0) {
                size_t used = strlen (mine);
                snprintf (mine + used, size - used, "%s%s", used? " ": "", client->external_id);
            }
            if (streq (client->status, "merged"))
                CHECK (false, "merged client %s listed", client->external_id);
        }
        if (answer->next_after_id && answer->next_after_id != after)
            CHECK (false, "next_after_id %" PRId64 ", last id %" PRId64, answer->next_after_id, after);
        int64_t next = answer->next_after_id;
        protobuf_c_message_free_unpacked (&answer->base, NULL);
        if (!next)
            break;
    } while (pages < 10000);
    int needed = limit? (count + limit - 1) / limit: 1;
    CHECK (pages == (needed? needed: 1), "%d pages for %d clients by %d", pages, count, limit);
    return count;
}

static int
s_compare_ids (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

//  Checks segment `id` holds exactly this test's clients `expected` ("01 02",
//  the SGT- numbers) plus the other clients matching the SQL predicate
//  `foreign` over clients c (NULL = none may), in id order, paged by 2, and
//  that ListSegments and `saved_count` (-1 = not known) count as many.
static void
s_expect (int64_t id, const char *expected, const char *foreign, int64_t saved_count)
{
    int64_t want [2000];
    int wanted = 0;
    char mine [512] = "";
    char copy [256];
    snprintf (copy, sizeof copy, "%s", expected);
    for (char *number = strtok (copy, " "); number; number = strtok (NULL, " ")) {
        int n = atoi (number);
        want [wanted++] = s_ids [n];
        size_t used = strlen (mine);
        snprintf (mine + used, sizeof mine - used, "%sSGT-%02d", used? " ": "", n);
    }
    if (foreign) {
        char *sql = zsys_sprintf (
            "SELECT c.id FROM contacts.clients c"
            " WHERE coalesce (c.external_id, '') NOT LIKE 'SGT-%%' AND c.status <> 'merged'"
            "   AND (%s) ORDER BY c.id LIMIT 1500", foreign);
        PGresult *result = crmq_pg_exec (s_pg, sql, 0, NULL);
        if (!result) {
            fprintf (stderr, "%s: %s\n", sql, crmq_pg_error (s_pg));
            exit (2);
        }
        for (int row = 0; row < PQntuples (result); row++)
            want [wanted++] = strtoll (PQgetvalue (result, row, 0), NULL, 10);
        PQclear (result);
        zstr_free (&sql);
    }
    qsort (want, (size_t) wanted, sizeof want [0], s_compare_ids);

    int64_t got [2000];
    char got_mine [512];
    int count = s_segment_clients (id, 2, got, 2000, got_mine, sizeof got_mine);
    CHECK (streq (got_mine, mine), "segment %" PRId64 ": clients [%s], expected [%s]",
           id, got_mine, mine);
    bool same = count == wanted;
    for (int i = 0; same && i < count; i++)
        same = got [i] == want [i];
    CHECK (same, "segment %" PRId64 ": %d clients in id order, expected %d", id, count, wanted);
    int64_t listed = s_listed (id, NULL, 0);
    CHECK (listed == wanted, "ListSegments counts %" PRId64 ", expected %d", listed, wanted);
    if (saved_count >= 0)
        CHECK (saved_count == wanted, "SaveSegment counted %" PRId64 ", expected %d", saved_count, wanted);
}

//  Calls `method` expecting `code` naming `field` (NULL = any), and checks
//  nothing changed.
static void
s_expect_error (const char *what, const char *method, const ProtobufCMessage *request,
                int code, const char *field)
{
    char *before = s_state ();
    int got = s_call (method, request, NULL, NULL);
    const char *got_field = crmq_rpc_client_field (s_contacts);
    CHECK (got == code, "%s: code %d (%s), expected %d", what, got,
           crmq_rpc_client_message (s_contacts), code);
    if (field)
        CHECK (streq (got_field, field), "%s: field %s, expected %s", what, got_field, field);
    printf ("       %s: %s\n", what, crmq_rpc_client_message (s_contacts));
    char *after = s_state ();
    CHECK (streq (before, after), "%s changed nothing", what);
    free (before);
    free (after);
}

//  SaveSegment expected to fail.
static void
s_save_fails (const char *what, int64_t id, const char *name, const char *kind,
              const char *description, Crmq__SegmentRule *rule, int code, const char *field)
{
    Crmq__Segment segment = CRMQ__SEGMENT__INIT;
    segment.id = id;
    segment.name = (char *) name;
    segment.kind = (char *) kind;
    segment.description = (char *) description;
    segment.rule = rule;
    Crmq__SegmentRequest request = CRMQ__SEGMENT_REQUEST__INIT;
    request.segment = &segment;
    s_expect_error (what, "contacts.SaveSegment", &request.base, code, field);
}

//  AddToSegment or RemoveFromSegment; returns the code, *clients the count replied.
static int
s_members (const char *method, int64_t segment_id, const int64_t *ids, size_t count,
           int64_t *clients)
{
    Crmq__SegmentMembersRequest request = CRMQ__SEGMENT_MEMBERS_REQUEST__INIT;
    request.segment_id = segment_id;
    request.client_ids = (int64_t *) ids;
    request.n_client_ids = count;
    request.actor = "tester";
    Crmq__SegmentReply *answer;
    int code = s_call (method, &request.base, &crmq__segment_reply__descriptor,
                       (ProtobufCMessage **) &answer);
    if (code == CRMQ_OK) {
        *clients = answer->segment->clients;
        protobuf_c_message_free_unpacked (&answer->base, NULL);
    }
    return code;
}

#define LIST(rule, field, ...) do { \
    static char *values_ [] = { __VA_ARGS__ }; \
    (rule).n_##field = sizeof values_ / sizeof values_ [0]; \
    (rule).field = values_; \
} while (0)

//  Creates the managers and clients and sets what UpsertClients does not.
static void
s_create_clients (void)
{
    Crmq__Manager managers [2];
    Crmq__Manager *manager_list [2];
    const char *manager_names [2] = { "Анна Петрова", "Boris \"B\" Smith" };
    for (int i = 0; i < 2; i++) {
        crmq__manager__init (&managers [i]);
        managers [i].external_id = i? "SGT-M2": "SGT-M1";
        managers [i].name = (char *) manager_names [i];
        managers [i].active = true;
        manager_list [i] = &managers [i];
    }
    Crmq__UpsertManagersRequest manager_request = CRMQ__UPSERT_MANAGERS_REQUEST__INIT;
    manager_request.n_managers = 2;
    manager_request.managers = manager_list;
    Crmq__UpsertManagersReply *manager_ids;
    int code = s_call ("contacts.UpsertManagers", &manager_request.base,
                       &crmq__upsert_managers_reply__descriptor, (ProtobufCMessage **) &manager_ids);
    CHECK (code == CRMQ_OK, "UpsertManagers: code %d %s", code, crmq_rpc_client_message (s_contacts));
    if (code != CRMQ_OK)
        exit (1);
    s_manager [1] = manager_ids->ids [0];
    s_manager [2] = manager_ids->ids [1];
    protobuf_c_message_free_unpacked (&manager_ids->base, NULL);

    Crmq__Client clients [CLIENTS];
    Crmq__Client *client_list [CLIENTS];
    char external_ids [CLIENTS][16];
    for (int i = 0; i < CLIENTS; i++) {
        const client_spec_t *spec = &CLIENT_SPECS [i + 1];
        crmq__client__init (&clients [i]);
        snprintf (external_ids [i], sizeof external_ids [i], "SGT-%02d", i + 1);
        clients [i].external_id = external_ids [i];
        clients [i].name = (char *) spec->name;
        clients [i].category = (char *) spec->category;
        clients [i].region = (char *) spec->region;
        clients [i].source = (char *) spec->source;
        clients [i].country = (char *) spec->country;
        clients [i].manager_external_id = (char *) spec->manager;
        client_list [i] = &clients [i];
    }
    Crmq__UpsertClientsRequest request = CRMQ__UPSERT_CLIENTS_REQUEST__INIT;
    request.n_clients = CLIENTS;
    request.clients = client_list;
    Crmq__UpsertClientsReply *ids;
    code = s_call ("contacts.UpsertClients", &request.base, &crmq__upsert_clients_reply__descriptor,
                   (ProtobufCMessage **) &ids);
    CHECK (code == CRMQ_OK && ids->n_ids == CLIENTS, "UpsertClients: code %d %s", code,
           crmq_rpc_client_message (s_contacts));
    if (code != CRMQ_OK)
        exit (1);
    for (int i = 0; i < CLIENTS; i++)
        s_ids [i + 1] = ids->ids [i];
    protobuf_c_message_free_unpacked (&ids->base, NULL);

    //  tags, status, kind and the relationship date: straight into the table
    for (int i = 1; i <= CLIENTS; i++) {
        const client_spec_t *spec = &CLIENT_SPECS [i];
        const char *values [5] = { external_ids [i - 1], spec->tags, spec->status, spec->kind,
                                   spec->since };
        int rc = crmq_pg_command (s_pg,
            "UPDATE contacts.clients SET tags = $2::text[], status = $3, kind = $4,"
            " relationship_since = $5::date WHERE external_id = $1", 5, values);
        CHECK (rc == 0, "update %s: %s", external_ids [i - 1], crmq_pg_error (s_pg));
    }
    int rc = crmq_pg_command (s_pg,
        "INSERT INTO contacts.merges (merged_id, survivor_id)"
        " SELECT m.id, s.id FROM contacts.clients m, contacts.clients s"
        "  WHERE m.external_id = 'SGT-08' AND s.external_id = 'SGT-01' ON CONFLICT DO NOTHING",
        0, NULL);
    CHECK (rc == 0, "merge row: %s", crmq_pg_error (s_pg));
}

int
main (void)
{
    crmq_log_init ("test_contacts_segments", "error");
    s_pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_contacts_segments");
    s_contacts = crmq_rpc_client_new (test_env ("CRMQ_CONTACTS_ENDPOINT"), 20000, 0);
    int64_t count;
    char name [256];

    //  a rerun against a kept stack starts from no test segments
    crmq_pg_command (s_pg, "DELETE FROM contacts.segments WHERE name LIKE 'sgt %'", 0, NULL);

    printf ("twelve clients, two managers\n");
    s_create_clients ();

    printf ("rule segments, one per condition\n");
    struct {
        const char *name;
        Crmq__SegmentRule rule;
        const char *expected;
        const char *foreign;
        int64_t id;
    } cases [20];
    int n = 0;
    for (int i = 0; i < 20; i++) {
        memset (&cases [i], 0, sizeof cases [i]);
        crmq__segment_rule__init (&cases [i].rule);
    }
    cases [n].name = "sgt category retail";
    LIST (cases [n].rule, categories, "retail");
    cases [n].expected = "1 2 4 6 12";
    cases [n++].foreign = "lower (c.category) = 'retail'";

    cases [n].name = "sgt категория ОПТ";
    LIST (cases [n].rule, categories, "оПт");
    cases [n].expected = "3 5 11";
    cases [n++].foreign = "lower (c.category) = 'опт'";

    cases [n].name = "sgt регион «Москва»";
    LIST (cases [n].rule, regions, "Москва");
    cases [n].expected = "1 2 3 9";
    cases [n++].foreign = "lower (c.region) = 'москва'";

    cases [n].name = "sgt regions СПб, казань";
    LIST (cases [n].rule, regions, "САНКТ-ПЕТЕРБУРГ", "казань");
    cases [n].expected = "4 5 11 12";
    cases [n++].foreign = "lower (c.region) IN ('санкт-петербург', 'казань')";

    cases [n].name = "sgt source WEB";
    LIST (cases [n].rule, sources, "WEB");
    cases [n].expected = "1 2 5 9";
    cases [n++].foreign = "lower (c.source) = 'web'";

    cases [n].name = "sgt country kz";
    LIST (cases [n].rule, countries, "Kz");
    cases [n].expected = "5 12";
    cases [n++].foreign = "lower (c.country) = 'kz'";

    cases [n].name = "sgt tag vip";
    LIST (cases [n].rule, tags_any, "vip");
    cases [n].expected = "1 2 7 11";
    cases [n++].foreign = "c.tags && '{vip}'";

    cases [n].name = "sgt tags north or south";
    LIST (cases [n].rule, tags_any, "north", "south");
    cases [n].expected = "1 4 5 7 9";
    cases [n++].foreign = "c.tags && '{north,south}'";

    int64_t manager_one [1] = { s_manager [1] };
    cases [n].name = "sgt manager Анна";
    cases [n].rule.n_manager_ids = 1;
    cases [n].rule.manager_ids = manager_one;
    cases [n].expected = "1 3 6 12";
    cases [n++].foreign = NULL;

    int64_t manager_both [2] = { s_manager [2], s_manager [1] };
    cases [n].name = "sgt managers Анна, Boris";
    cases [n].rule.n_manager_ids = 2;
    cases [n].rule.manager_ids = manager_both;
    cases [n].expected = "1 2 3 5 6 7 11 12";
    cases [n++].foreign = NULL;

    cases [n].name = "sgt archived";
    LIST (cases [n].rule, statuses, "archived");
    cases [n].expected = "4 7 12";
    cases [n++].foreign = "c.status = 'archived'";

    cases [n].name = "sgt persons";
    LIST (cases [n].rule, kinds, "person");
    cases [n].expected = "3 6 7 11";
    cases [n++].foreign = "c.kind = 'person'";

    cases [n].name = "sgt since 2021";
    cases [n].rule.since_from = "2021-01-01";
    cases [n].expected = "2 4 7 11 12";
    cases [n++].foreign = "c.relationship_since >= '2021-01-01'";

    cases [n].name = "sgt before 2020";
    cases [n].rule.since_to = "2020-01-01";
    cases [n].expected = "3 9";
    cases [n++].foreign = "c.relationship_since < '2020-01-01'";

    cases [n].name = "sgt 2020 to mid-2021";
    cases [n].rule.since_from = "2020-01-01";
    cases [n].rule.since_to = "2021-06-01";
    cases [n].expected = "1 6 12";
    cases [n++].foreign = "c.relationship_since >= '2020-01-01' AND c.relationship_since < '2021-06-01'";

    cases [n].name = "sgt \"combined\" «все условия»";
    LIST (cases [n].rule, categories, "Retail", "partner");
    LIST (cases [n].rule, regions, "москва", "MOSCOW");
    LIST (cases [n].rule, statuses, "active");
    LIST (cases [n].rule, kinds, "company");
    LIST (cases [n].rule, tags_any, "vip", "north");
    LIST (cases [n].rule, sources, "web", "referral");
    LIST (cases [n].rule, countries, "ru", "us");
    cases [n].rule.since_from = "2018-01-01";
    cases [n].rule.since_to = "2030-01-01";
    cases [n].rule.n_manager_ids = 2;
    cases [n].rule.manager_ids = manager_both;
    cases [n].expected = "1 2";
    cases [n++].foreign = NULL;

    cases [n].name = "sgt nobody";
    LIST (cases [n].rule, categories, "нет такой категории");
    cases [n].expected = "";
    cases [n++].foreign = "lower (c.category) = 'нет такой категории'";

    for (int i = 0; i < n; i++) {
        printf ("  %s\n", cases [i].name);
        int64_t saved = -1;
        cases [i].id = s_save (0, cases [i].name, "rule", "", &cases [i].rule, &saved);
        if (cases [i].id)
            s_expect (cases [i].id, cases [i].expected, cases [i].foreign, saved);
    }

    printf ("the whole of a segment in one page (limit 0 = 100)\n");
    {
        int64_t ids [200];
        char mine [256];
        int got = s_segment_clients (cases [2].id, 0, ids, 200, mine, sizeof mine);
        CHECK (streq (mine, "SGT-01 SGT-02 SGT-03 SGT-09"), "clients %s (%d)", mine, got);
    }

    printf ("a listed client as stored: Cyrillic, quotes, tags\n");
    {
        Crmq__SegmentClientsRequest request = CRMQ__SEGMENT_CLIENTS_REQUEST__INIT;
        request.segment_id = cases [15].id;            //  combined: SGT-01, SGT-02
        request.limit = 2;
        Crmq__ListClientsReply *answer;
        int code = s_call ("contacts.SegmentClients", &request.base,
                           &crmq__list_clients_reply__descriptor, (ProtobufCMessage **) &answer);
        CHECK (code == CRMQ_OK && answer->n_clients == 2, "code %d", code);
        if (code == CRMQ_OK && answer->n_clients == 2) {
            Crmq__Client *first = answer->clients [0], *second = answer->clients [1];
            CHECK (streq (first->name, "ООО «Василёк-Сегмент»"), "name %s", first->name);
            CHECK (streq (first->region, "Москва"), "region %s", first->region);
            CHECK (first->n_tags == 2 && streq (first->tags [0], "vip") && streq (first->tags [1], "north"),
                   "tags %zu", first->n_tags);
            CHECK (streq (first->relationship_since, "2020-01-15"), "since %s", first->relationship_since);
            CHECK (first->manager_id == s_manager [1], "manager %" PRId64, first->manager_id);
            CHECK (streq (second->name, "\"Quote\" Ltd"), "name %s", second->name);
            CHECK (streq (second->region, "москва"), "region %s", second->region);
            CHECK (answer->next_after_id == 0, "next %" PRId64, answer->next_after_id);
        }
        if (code == CRMQ_OK)
            protobuf_c_message_free_unpacked (&answer->base, NULL);
    }

    printf ("a rule segment changed: renamed, new rule\n");
    {
        Crmq__SegmentRule rule = CRMQ__SEGMENT_RULE__INIT;
        LIST (rule, categories, "PARTNER");
        int64_t saved = -1;
        int64_t id = s_save (cases [0].id, "sgt партнёры 'P'", "rule", "партнёры\nвсе", &rule, &saved);
        s_expect (id, "7 9", "lower (c.category) = 'partner'", saved);
        s_listed (id, name, sizeof name);
        CHECK (streq (name, "sgt партнёры 'P'"), "listed name %s", name);
        long long stored = test_count (s_pg, "SELECT count(*) FROM contacts.segments"
                                             " WHERE name = 'sgt category retail'");
        CHECK (stored == 0, "old name gone: %lld", stored);
    }

    printf ("a static segment: add, duplicate add, remove\n");
    int64_t list_id = s_save (0, "sgt список «VIP» \"ручной\"", "static", "отобрано вручную", NULL, &count);
    CHECK (count == 0, "empty at first: %" PRId64, count);
    {
        int64_t add [2] = { s_ids [3], s_ids [1] };
        int code = s_members ("contacts.AddToSegment", list_id, add, 2, &count);
        CHECK (code == CRMQ_OK && count == 2, "add 2: code %d count %" PRId64, code, count);
        int64_t again [1] = { s_ids [1] };
        code = s_members ("contacts.AddToSegment", list_id, again, 1, &count);
        CHECK (code == CRMQ_OK && count == 2, "duplicate add: code %d count %" PRId64, code, count);
        int64_t more [4] = { s_ids [5], s_ids [1], s_ids [5], s_ids [4] };   //  4 is archived: fine
        code = s_members ("contacts.AddToSegment", list_id, more, 4, &count);
        CHECK (code == CRMQ_OK && count == 4, "add 5, 1, 5, 4: code %d count %" PRId64, code, count);
        s_expect (list_id, "1 3 4 5", NULL, count);
        int64_t drop [1] = { s_ids [3] };
        code = s_members ("contacts.RemoveFromSegment", list_id, drop, 1, &count);
        CHECK (code == CRMQ_OK && count == 3, "remove 3: code %d count %" PRId64, code, count);
        int64_t absent [1] = { s_ids [10] };
        code = s_members ("contacts.RemoveFromSegment", list_id, absent, 1, &count);
        CHECK (code == CRMQ_OK && count == 3, "remove a non-member: code %d count %" PRId64, code, count);
        s_expect (list_id, "1 4 5", NULL, count);
        int64_t saved = -1;
        s_save (list_id, "sgt список «VIP» \"ручной\"", "static", "описание изменено", NULL, &saved);
        CHECK (saved == 3, "renamed static keeps its members: %" PRId64, saved);
    }

    printf ("bad requests: each gets its code and changes nothing\n");
    {
        Crmq__SegmentRule rule = CRMQ__SEGMENT_RULE__INIT;
        LIST (rule, categories, "retail");
        s_save_fails ("duplicate name on create", 0, "sgt список «VIP» \"ручной\"", "rule", "", &rule,
                      CRMQ_ALREADY_EXISTS, "segment.name");
        s_save_fails ("duplicate name on update", cases [1].id, cases [2].name, "rule", "", &rule,
                      CRMQ_ALREADY_EXISTS, "segment.name");
        s_save_fails ("unknown segment", 999999999, "sgt nowhere", "rule", "", &rule,
                      CRMQ_NOT_FOUND, "segment.id");
        s_save_fails ("a rule put on a static segment", list_id, "sgt список «VIP» \"ручной\"", "rule",
                      "", &rule, CRMQ_FAILED_PRECONDITION, "segment.kind");
        s_save_fails ("a rule segment made static", cases [1].id, cases [1].name, "static", "", NULL,
                      CRMQ_FAILED_PRECONDITION, "segment.kind");
        s_save_fails ("a static segment with a rule", 0, "sgt static with rule", "static", "", &rule,
                      CRMQ_INVALID_ARGUMENT, "segment.rule");
        s_save_fails ("a rule segment without a rule", 0, "sgt no rule", "rule", "", NULL,
                      CRMQ_INVALID_ARGUMENT, "segment.rule");
        Crmq__SegmentRule empty = CRMQ__SEGMENT_RULE__INIT;
        s_save_fails ("an empty rule", 0, "sgt empty rule", "rule", "", &empty,
                      CRMQ_INVALID_ARGUMENT, "segment.rule");
        s_save_fails ("empty name", 0, "", "rule", "", &rule, CRMQ_INVALID_ARGUMENT, "segment.name");
        char long_name [202];
        memset (long_name, 'n', 201);
        long_name [201] = 0;
        s_save_fails ("201-byte name", 0, long_name, "rule", "", &rule, CRMQ_INVALID_ARGUMENT, "segment.name");
        s_save_fails ("name with a tab", 0, "sgt\tx", "rule", "", &rule, CRMQ_INVALID_ARGUMENT, "segment.name");
        s_save_fails ("kind dynamic", 0, "sgt dynamic", "dynamic", "", &rule, CRMQ_INVALID_ARGUMENT, "segment.kind");
        char long_text [1002];
        memset (long_text, 'd', 1001);
        long_text [1001] = 0;
        s_save_fails ("1001-byte description", 0, "sgt long", "rule", long_text, &rule,
                      CRMQ_INVALID_ARGUMENT, "segment.description");
        s_save_fails ("negative id", -1, "sgt negative", "rule", "", &rule, CRMQ_INVALID_ARGUMENT, "segment.id");

        const char *bad_dates [] = { "2021-02-30", "2023-02-29", "2021-13-01", "2021-1-01",
                                     "21-01-01", "abcd-ef-gh", "2021-01-01T00", "0000-01-01" };
        for (size_t i = 0; i < sizeof bad_dates / sizeof bad_dates [0]; i++) {
            Crmq__SegmentRule dated = CRMQ__SEGMENT_RULE__INIT;
            dated.since_from = (char *) bad_dates [i];
            char what [64];
            snprintf (what, sizeof what, "bad date %s", bad_dates [i]);
            s_save_fails (what, 0, "sgt bad date", "rule", "", &dated, CRMQ_INVALID_ARGUMENT,
                          "segment.rule.since_from");
        }
        Crmq__SegmentRule reversed = CRMQ__SEGMENT_RULE__INIT;
        reversed.since_from = "2021-01-01";
        reversed.since_to = "2021-01-01";
        s_save_fails ("since_to not after since_from", 0, "sgt reversed", "rule", "", &reversed,
                      CRMQ_INVALID_ARGUMENT, "segment.rule.since_to");
        Crmq__SegmentRule bad_to = CRMQ__SEGMENT_RULE__INIT;
        bad_to.since_to = "2024-02-30";
        s_save_fails ("bad since_to", 0, "sgt bad to", "rule", "", &bad_to, CRMQ_INVALID_ARGUMENT,
                      "segment.rule.since_to");

        Crmq__SegmentRule bad = CRMQ__SEGMENT_RULE__INIT;
        LIST (bad, statuses, "active", "merged");
        s_save_fails ("status merged", 0, "sgt bad", "rule", "", &bad, CRMQ_INVALID_ARGUMENT,
                      "segment.rule.statuses[1]");
        crmq__segment_rule__init (&bad);
        LIST (bad, kinds, "robot");
        s_save_fails ("kind robot", 0, "sgt bad", "rule", "", &bad, CRMQ_INVALID_ARGUMENT,
                      "segment.rule.kinds[0]");
        crmq__segment_rule__init (&bad);
        LIST (bad, regions, "Москва", "a\tb");
        s_save_fails ("a value with a tab", 0, "sgt bad", "rule", "", &bad, CRMQ_INVALID_ARGUMENT,
                      "segment.rule.regions[1]");
        crmq__segment_rule__init (&bad);
        LIST (bad, sources, "");
        s_save_fails ("an empty value", 0, "sgt bad", "rule", "", &bad, CRMQ_INVALID_ARGUMENT,
                      "segment.rule.sources[0]");
        crmq__segment_rule__init (&bad);
        LIST (bad, tags_any, "\xff\xfe");
        s_save_fails ("a value not UTF-8", 0, "sgt bad", "rule", "", &bad, CRMQ_INVALID_ARGUMENT,
                      "segment.rule.tags_any[0]");
        char long_value [202];
        memset (long_value, 'v', 201);
        long_value [201] = 0;
        char *long_values [1] = { long_value };
        crmq__segment_rule__init (&bad);
        bad.n_countries = 1;
        bad.countries = long_values;
        s_save_fails ("a 201-byte value", 0, "sgt bad", "rule", "", &bad, CRMQ_INVALID_ARGUMENT,
                      "segment.rule.countries[0]");
        char *many [101];
        for (int i = 0; i < 101; i++)
            many [i] = "x";
        crmq__segment_rule__init (&bad);
        bad.n_categories = 101;
        bad.categories = many;
        s_save_fails ("101 values", 0, "sgt bad", "rule", "", &bad, CRMQ_INVALID_ARGUMENT,
                      "segment.rule.categories");
        int64_t zero_manager [2] = { s_manager [1], 0 };
        crmq__segment_rule__init (&bad);
        bad.n_manager_ids = 2;
        bad.manager_ids = zero_manager;
        s_save_fails ("manager id 0", 0, "sgt bad", "rule", "", &bad, CRMQ_INVALID_ARGUMENT,
                      "segment.rule.manager_ids[1]");
        int64_t unknown_manager [2] = { s_manager [2], 999999999 };
        bad.manager_ids = unknown_manager;
        s_save_fails ("unknown manager", 0, "sgt bad", "rule", "", &bad, CRMQ_NOT_FOUND,
                      "segment.rule.manager_ids[1]");

        Crmq__SegmentRequest no_segment = CRMQ__SEGMENT_REQUEST__INIT;
        s_expect_error ("no segment in the request", "contacts.SaveSegment", &no_segment.base,
                        CRMQ_INVALID_ARGUMENT, "segment");
        char *before = s_state ();
        uint8_t *body;
        size_t size;
        int code = crmq_rpc_call_raw (s_contacts, "contacts.SaveSegment", "\x0a\x05\x01", 3, 2, &body, &size);
        CHECK (code == CRMQ_INVALID_ARGUMENT, "malformed SaveSegment: code %d", code);
        code = crmq_rpc_call_raw (s_contacts, "contacts.AddToSegment", "\x12\xff", 2, 2, &body, &size);
        CHECK (code == CRMQ_INVALID_ARGUMENT, "malformed AddToSegment: code %d", code);
        char *after = s_state ();
        CHECK (streq (before, after), "malformed requests changed nothing");
        free (before);
        free (after);
    }

    printf ("bad member changes: each gets its code and changes nothing\n");
    {
        Crmq__SegmentMembersRequest request = CRMQ__SEGMENT_MEMBERS_REQUEST__INIT;
        int64_t ids [3] = { s_ids [10], 999999999, s_ids [11] };
        request.segment_id = list_id;
        request.client_ids = ids;
        request.n_client_ids = 3;
        s_expect_error ("unknown client", "contacts.AddToSegment", &request.base,
                        CRMQ_NOT_FOUND, "client_ids[1]");
        CHECK (strstr (crmq_rpc_client_message (s_contacts), "999999999") != NULL, "names the client: %s",
               crmq_rpc_client_message (s_contacts));
        int64_t merged [2] = { s_ids [10], s_ids [8] };
        request.client_ids = merged;
        request.n_client_ids = 2;
        s_expect_error ("merged client", "contacts.AddToSegment", &request.base,
                        CRMQ_FAILED_PRECONDITION, "client_ids[1]");
        s_expect_error ("merged client removed", "contacts.RemoveFromSegment", &request.base,
                        CRMQ_FAILED_PRECONDITION, "client_ids[1]");
        int64_t unknown_first [2] = { s_ids [8], 999999998 };
        request.client_ids = unknown_first;
        s_expect_error ("unknown before merged", "contacts.AddToSegment", &request.base,
                        CRMQ_NOT_FOUND, "client_ids[1]");
        request.client_ids = ids;
        request.n_client_ids = 1;
        request.segment_id = cases [1].id;
        s_expect_error ("add to a rule segment", "contacts.AddToSegment", &request.base,
                        CRMQ_FAILED_PRECONDITION, "segment_id");
        s_expect_error ("remove from a rule segment", "contacts.RemoveFromSegment", &request.base,
                        CRMQ_FAILED_PRECONDITION, "segment_id");
        request.segment_id = 999999999;
        s_expect_error ("unknown segment", "contacts.AddToSegment", &request.base,
                        CRMQ_NOT_FOUND, "segment_id");
        request.segment_id = 0;
        s_expect_error ("segment 0", "contacts.AddToSegment", &request.base,
                        CRMQ_INVALID_ARGUMENT, "segment_id");
        request.segment_id = list_id;
        request.n_client_ids = 0;
        s_expect_error ("no clients", "contacts.AddToSegment", &request.base,
                        CRMQ_INVALID_ARGUMENT, "client_ids");
        int64_t *too_many = (int64_t *) zmalloc (10001 * sizeof (int64_t));
        for (int i = 0; i < 10001; i++)
            too_many [i] = s_ids [1 + i % CLIENTS];
        request.client_ids = too_many;
        request.n_client_ids = 10001;
        s_expect_error ("10001 clients", "contacts.AddToSegment", &request.base,
                        CRMQ_INVALID_ARGUMENT, "client_ids");
        free (too_many);
        int64_t negative [2] = { s_ids [10], -5 };
        request.client_ids = negative;
        request.n_client_ids = 2;
        s_expect_error ("negative client id", "contacts.AddToSegment", &request.base,
                        CRMQ_INVALID_ARGUMENT, "client_ids[1]");
        s_expect (list_id, "1 4 5", NULL, -1);

        Crmq__SegmentClientsRequest list = CRMQ__SEGMENT_CLIENTS_REQUEST__INIT;
        list.segment_id = 999999999;
        s_expect_error ("clients of an unknown segment", "contacts.SegmentClients", &list.base,
                        CRMQ_NOT_FOUND, "segment_id");
        list.segment_id = list_id;
        list.limit = 1001;
        s_expect_error ("limit 1001", "contacts.SegmentClients", &list.base, CRMQ_INVALID_ARGUMENT, "limit");
        list.limit = -1;
        s_expect_error ("limit -1", "contacts.SegmentClients", &list.base, CRMQ_INVALID_ARGUMENT, "limit");
        list.limit = 10;
        list.after_id = -1;
        s_expect_error ("after_id -1", "contacts.SegmentClients", &list.base, CRMQ_INVALID_ARGUMENT,
                        "after_id");
    }

    printf ("a merged client leaves no trace in a rule segment's count\n");
    s_expect (cases [6].id, "1 2 7 11", "c.tags && '{vip}'", -1);

    printf ("deleting a segment takes its members along\n");
    {
        char *sql = zsys_sprintf ("SELECT count(*) FROM contacts.segment_members WHERE segment_id = %" PRId64,
                                  list_id);
        CHECK (test_count (s_pg, sql) == 3, "3 members before");
        Crmq__RemoveRequest request = CRMQ__REMOVE_REQUEST__INIT;
        request.id = list_id;
        request.actor = "tester";
        int code = s_call ("contacts.DeleteSegment", &request.base, NULL, NULL);
        CHECK (code == CRMQ_OK, "DeleteSegment: code %d %s", code, crmq_rpc_client_message (s_contacts));
        CHECK (test_count (s_pg, sql) == 0, "no members after");
        zstr_free (&sql);
        CHECK (s_listed (list_id, NULL, 0) == -1, "not listed any more");
        s_expect_error ("delete it again", "contacts.DeleteSegment", &request.base, CRMQ_NOT_FOUND, "id");
        request.id = 0;
        s_expect_error ("delete id 0", "contacts.DeleteSegment", &request.base, CRMQ_INVALID_ARGUMENT, "id");
        Crmq__SegmentClientsRequest list = CRMQ__SEGMENT_CLIENTS_REQUEST__INIT;
        list.segment_id = list_id;
        s_expect_error ("clients of the deleted segment", "contacts.SegmentClients", &list.base,
                        CRMQ_NOT_FOUND, "segment_id");
        CHECK (test_count (s_pg, "SELECT count(*) FROM contacts.clients WHERE external_id LIKE 'SGT-%'") == CLIENTS,
               "the clients stay");
        //  a rule segment deleted too
        request.id = cases [n - 1].id;
        code = s_call ("contacts.DeleteSegment", &request.base, NULL, NULL);
        CHECK (code == CRMQ_OK, "delete a rule segment: code %d", code);
        CHECK (s_listed (cases [n - 1].id, NULL, 0) == -1, "not listed any more");
    }

    printf ("a resend under the same request key creates one segment\n");
    {
        Crmq__Segment segment = CRMQ__SEGMENT__INIT;
        segment.name = "Повторная «отправка»";
        segment.kind = "static";
        Crmq__SegmentRequest request = CRMQ__SEGMENT_REQUEST__INIT;
        request.segment = &segment;
        request.request_key = "segment-key-0001";
        ProtobufCMessage *first, *second;
        int code1 = s_call ("contacts.SaveSegment", &request.base, &crmq__segment_reply__descriptor, &first);
        int code2 = s_call ("contacts.SaveSegment", &request.base, &crmq__segment_reply__descriptor, &second);
        CHECK (code1 == CRMQ_OK && code2 == CRMQ_OK, "codes %d %d", code1, code2);
        if (first && second)
            CHECK (((Crmq__SegmentReply *) first)->segment->id == ((Crmq__SegmentReply *) second)->segment->id,
                   "the same segment");
        if (first)
            protobuf_c_message_free_unpacked (first, NULL);
        if (second)
            protobuf_c_message_free_unpacked (second, NULL);
    }

    crmq_rpc_client_destroy (&s_contacts);
    crmq_pg_destroy (&s_pg);
    printf ("test_contacts_segments: %s\n", s_failures? "FAIL": "PASS");
    return s_failures? 1: 0;
}

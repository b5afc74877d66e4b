/*  test_contacts_search - contacts.Search, contacts.FindDuplicates and
    contacts.MergeClients against the running stack.

    Search: by name with typos, case-insensitive for Cyrillic and Latin, by
    phone in any notation, by e-mail in any case (Cyrillic too), by tax id,
    by external id, through the channels of contact persons; ranked and
    paged; LIKE's wildcards in a query are plain characters.
    FindDuplicates: exactly the expected pairs, each with its strongest
    reason and score; archived and merged clients left out; min_score.
    MergeClients: everything linked to the merged client (persons with their
    channels, its channels, interactions, segment memberships, earlier
    merges) ends on the survivor and nothing is lost; the survivor's empty
    fields are filled, tags united; the merged id resolves to the survivor;
    the outbox holds contacts.client.merged; the audit trail names the actor.
    Bad input (a merge with itself, unknown, archived, already merged
    clients, bad limits, queries) gets its code and changes nothing.

    Other tests share the database (Northwind's clients, among them
    "Alfreds Futterkiste" as ALFKI, may be there): exact expectations are on
    this test's clients (external ids "SRCH-..."); other clients' hits may
    come in between but must keep the order.                                 */
#include "test_support.h"

#define PREFIX "SRCH-"

//  The clients this test creates, in id order (one UpsertClients batch).
typedef struct {
    const char *external_id;
    const char *name;
    const char *phone;
    const char *email;
    const char *legal_name;
    const char *city;
} client_spec_t;

static const client_spec_t s_clients [] = {
    { PREFIX "A1", "ООО «Ромашка»", "", "", "", "" },
    { PREFIX "A2", "Ромашка ООО", "", "", "", "" },
    { PREFIX "B1", "Альфа-Трейд", "+7 (495) 123-45-67", "", "", "" },
    { PREFIX "B2", "Бета Логистик", "8 495 1234567", "", "", "" },
    { PREFIX "C1", "Gamma Foods GmbH", "", "Info@Example.com", "", "" },
    { PREFIX "C2", "Delta Imports", "", "info@example.COM", "", "" },
    { PREFIX "D1", "Омега Строй", "", "Продажи@Пример.рф", "", "" },
    { PREFIX "D2", "Сигма Сервис", "", "продажи@пример.РФ", "", "" },
    { PREFIX "E1", "Северный ветер", "", "", "", "" },
    { PREFIX "E2", "Южный берег", "", "", "", "" },
    { PREFIX "X", "Архивная компания", "", "", "", "" },
    { PREFIX "ZEPH", "Zephyrine Kartoffelhaus", "", "", "", "" },
    { PREFIX "G1", "Торговый дом «Василёк»", "", "", "", "" },
    { PREFIX "G2", "Торговый дом Васильки", "", "", "", "" },
    { PREFIX "S", "Рога и Копыта", "", "info@roga.ru", "", "Москва" },
    { PREFIX "M", "«Рога и копыта»", "+7 812 555-01-02", "office@roga.ru",
      "ООО «Рога и копыта»", "Санкт-Петербург" },
    { PREFIX "OLD", "Лютик Трейд", "", "", "", "" },
    { PREFIX "PCT", "Скидки 100% ООО", "", "", "", "" },
    { PREFIX "ALF", "Alfreds Futterkiste", "", "", "", "" },
};
#define CLIENTS (sizeof s_clients / sizeof s_clients [0])
static int64_t s_ids [CLIENTS];

static crmq_pg_t *s_pg;
static crmq_rpc_client_t *s_contacts;

//  The id of this test's client `external_id` (without the prefix).
static int64_t
s_id (const char *short_id)
{
    for (size_t i = 0; i < CLIENTS; i++)
        if (streq (s_clients [i].external_id + strlen (PREFIX), short_id))
            return s_ids [i];
    fprintf (stderr, "no test client %s\n", short_id);
    exit (2);
}

static bool
s_mine (const char *external_id)
{
    return strncmp (external_id, PREFIX, strlen (PREFIX)) == 0;
}

//  md5 over every row of every contacts table and the outbox.  Caller frees.
static char *
s_fingerprint (void)
{
    static const char *const tables [] = {
        "contacts.clients", "contacts.managers", "contacts.manager_absences", "contacts.persons",
        "contacts.channels", "contacts.interactions", "contacts.segments",
        "contacts.segment_members", "contacts.merges", "contacts.audit", "bus.outbox", NULL };
    return test_fingerprint_of (s_pg, tables);
}

static void
s_create_clients (void)
{
    Crmq__Client clients [CLIENTS];
    Crmq__Client *pointers [CLIENTS];
    for (size_t i = 0; i < CLIENTS; i++) {
        crmq__client__init (&clients [i]);
        clients [i].external_id = (char *) s_clients [i].external_id;
        clients [i].name = (char *) s_clients [i].name;
        clients [i].phone = (char *) s_clients [i].phone;
        clients [i].email = (char *) s_clients [i].email;
        clients [i].legal_name = (char *) s_clients [i].legal_name;
        clients [i].city = (char *) s_clients [i].city;
        pointers [i] = &clients [i];
    }
    Crmq__UpsertClientsRequest request = CRMQ__UPSERT_CLIENTS_REQUEST__INIT;
    request.n_clients = CLIENTS;
    request.clients = pointers;
    uint8_t *body;
    size_t size;
    int code = crmq_rpc_call (s_contacts, "contacts.UpsertClients", &request.base, &body, &size);
    CHECK (code == CRMQ_OK, "UpsertClients: code %d %s", code, crmq_rpc_client_message (s_contacts));
    if (code != CRMQ_OK)
        exit (1);
    Crmq__UpsertClientsReply *answer = crmq__upsert_clients_reply__unpack (NULL, size, body);
    free (body);
    CHECK (answer && answer->n_ids == CLIENTS, "ids");
    for (size_t i = 0; i < CLIENTS; i++)
        s_ids [i] = answer->ids [i];
    crmq__upsert_clients_reply__free_unpacked (answer, NULL);
    for (size_t i = 1; i < CLIENTS; i++)
        CHECK (s_ids [i] > s_ids [i - 1], "ids ascend in request order");
}

//  Calls contacts.Search; returns the code, *answer on 0 (caller frees).
static int
s_search_call (const char *query, int limit, int offset, Crmq__SearchReply **answer)
{
    Crmq__SearchRequest request = CRMQ__SEARCH_REQUEST__INIT;
    request.query = (char *) query;
    request.limit = limit;
    request.offset = offset;
    return test_call (s_contacts, "contacts.Search", &request.base, &crmq__search_reply__descriptor,
                      (ProtobufCMessage **) answer);
}

static void
s_decimal_text (const Crmq__Decimal *decimal, char *buf, size_t size)
{
    if (decimal)
        crmq_decimal_format (decimal->units, decimal->nanos, buf, size);
    else
        snprintf (buf, size, "(none)");
}

//  Searches `query` and checks this test's clients among the hits are
//  exactly `expected` ("A1 name 0.75; A2 name 0.75", short ids; NULL: not
//  checked), in that order; that every hit's score is 0..1 and the hits go best first, ties
//  by id; and that no hit is a merged client.  Returns the hits as text
//  (every hit, with full external ids; caller frees).
static char *
s_expect_search (const char *query, int limit, int offset, const char *expected)
{
    Crmq__SearchReply *answer;
    int code = s_search_call (query, limit, offset, &answer);
    CHECK (code == CRMQ_OK, "search \"%s\": code %d %s", query, code,
           crmq_rpc_client_message (s_contacts));
    if (code != CRMQ_OK)
        return strdup ("");
    char mine [2048] = "", all [4096] = "";
    bool ordered = true, bounded = true, merged = false;
    for (size_t i = 0; i < answer->n_hits; i++) {
        Crmq__SearchHit *hit = answer->hits [i];
        char score [48];
        s_decimal_text (hit->score, score, sizeof score);
        const char *external_id = hit->client? hit->client->external_id: "(none)";
        char line [256];
        snprintf (line, sizeof line, "%s%s %s %s", *all? "; ": "", external_id, hit->matched, score);
        strncat (all, line, sizeof all - strlen (all) - 1);
        if (s_mine (external_id)) {
            snprintf (line, sizeof line, "%s%s %s %s", *mine? "; ": "",
                      external_id + strlen (PREFIX), hit->matched, score);
            strncat (mine, line, sizeof mine - strlen (mine) - 1);
        }
        if (!hit->score || hit->score->units < 0 || hit->score->nanos < 0
        ||  hit->score->units > 1 || (hit->score->units == 1 && hit->score->nanos))
            bounded = false;
        if (hit->client && streq (hit->client->status, "merged"))
            merged = true;
        if (i > 0) {
            Crmq__SearchHit *before = answer->hits [i - 1];
            int64_t a = before->score->units * 1000000000LL + before->score->nanos;
            int64_t b = hit->score->units * 1000000000LL + hit->score->nanos;
            if (b > a || (b == a && hit->client->id <= before->client->id))
                ordered = false;
        }
    }
    if (expected)
        CHECK (streq (mine, expected), "search \"%s\" (limit %d, offset %d): got [%s], expected [%s]; all hits [%s]",
           query, limit, offset, mine, expected, all);
    CHECK (ordered, "search \"%s\": best first, ties by id: [%s]", query, all);
    CHECK (bounded, "search \"%s\": scores 0..1: [%s]", query, all);
    CHECK (!merged, "search \"%s\": no merged client: [%s]", query, all);
    crmq__search_reply__free_unpacked (answer, NULL);
    return strdup (all);
}

static void
s_search (const char *query, const char *expected)
{
    char *all = s_expect_search (query, 0, 0, expected);
    free (all);
}

//  Expects contacts.Search to fail with `code` naming `field`.
static void
s_search_fails (const char *query, int limit, int offset, int expected, const char *field)
{
    Crmq__SearchReply *answer;
    int code = s_search_call (query, limit, offset, &answer);
    CHECK (code == expected && streq (crmq_rpc_client_field (s_contacts), field),
           "search \"%.40s\" limit %d offset %d: code %d field \"%s\" (%s), expected %d %s",
           query, limit, offset, code, crmq_rpc_client_field (s_contacts),
           crmq_rpc_client_message (s_contacts), expected, field);
    if (answer)
        crmq__search_reply__free_unpacked (answer, NULL);
}

//  Calls contacts.FindDuplicates; the pairs of two of this test's clients as
//  text ("E1 E2 same_tax_id 1; ..."), in reply order, into `mine`; checks
//  the order of all pairs and first.id < second.id.  Returns the code.
static char s_first_pair [256];         //  the first pair of the last reply, any clients
static size_t s_pair_count;             //  pairs in the last reply

static int
s_duplicates (int limit, int64_t min_units, int32_t min_nanos, char *mine, size_t size,
              char *alfki_pair, size_t alfki_size)
{
    Crmq__FindDuplicatesRequest request = CRMQ__FIND_DUPLICATES_REQUEST__INIT;
    Crmq__Decimal min = CRMQ__DECIMAL__INIT;
    min.units = min_units;
    min.nanos = min_nanos;
    request.limit = limit;
    request.min_score = (min_units || min_nanos)? &min: NULL;
    uint8_t *body;
    size_t body_size;
    *mine = 0;
    if (alfki_pair)
        *alfki_pair = 0;
    int code = crmq_rpc_call (s_contacts, "contacts.FindDuplicates", &request.base, &body, &body_size);
    if (code != CRMQ_OK)
        return code;
    Crmq__FindDuplicatesReply *answer = crmq__find_duplicates_reply__unpack (NULL, body_size, body);
    free (body);
    if (!answer)
        return CRMQ_INTERNAL;
    bool ordered = true, active = true;
    s_pair_count = answer->n_pairs;
    *s_first_pair = 0;
    for (size_t i = 0; i < answer->n_pairs; i++) {
        Crmq__DuplicatePair *pair = answer->pairs [i];
        char score [48];
        s_decimal_text (pair->score, score, sizeof score);
        if (pair->first->id >= pair->second->id)
            ordered = false;
        if (!streq (pair->first->status, "active") || !streq (pair->second->status, "active"))
            active = false;
        if (i > 0) {
            Crmq__DuplicatePair *before = answer->pairs [i - 1];
            int64_t a = before->score->units * 1000000000LL + before->score->nanos;
            int64_t b = pair->score->units * 1000000000LL + pair->score->nanos;
            if (b > a || (b == a && (pair->first->id < before->first->id
                                 || (pair->first->id == before->first->id
                                     && pair->second->id <= before->second->id))))
                ordered = false;
        }
        if (i == 0)
            snprintf (s_first_pair, sizeof s_first_pair, "%s %s %s %s", pair->first->external_id,
                      pair->second->external_id, pair->reason, score);
        if (s_mine (pair->first->external_id) && s_mine (pair->second->external_id)) {
            char line [256];
            snprintf (line, sizeof line, "%s%s %s %s %s", *mine? "; ": "",
                      pair->first->external_id + strlen (PREFIX),
                      pair->second->external_id + strlen (PREFIX), pair->reason, score);
            strncat (mine, line, size - strlen (mine) - 1);
        }
        if (alfki_pair && streq (pair->first->external_id, "ALFKI")
        &&  streq (pair->second->external_id, PREFIX "ALF"))
            snprintf (alfki_pair, alfki_size, "%s %s", pair->reason, score);
    }
    CHECK (ordered, "pairs best first, then by ids, first.id < second.id");
    CHECK (active, "pairs of active clients only");
    crmq__find_duplicates_reply__free_unpacked (answer, NULL);
    return CRMQ_OK;
}

//  Calls contacts.MergeClients; returns the code, *answer on 0 (caller frees).
static int
s_merge (int64_t survivor_id, int64_t merged_id, const char *actor, Crmq__MergeClientsReply **answer)
{
    Crmq__MergeClientsRequest request = CRMQ__MERGE_CLIENTS_REQUEST__INIT;
    request.survivor_id = survivor_id;
    request.merged_id = merged_id;
    request.actor = (char *) actor;
    return test_call (s_contacts, "contacts.MergeClients", &request.base, &crmq__merge_clients_reply__descriptor,
                      (ProtobufCMessage **) answer);
}

//  Expects a merge to fail with `expected` naming `field` (and the message
//  to hold `words`), changing nothing.
static void
s_merge_fails (const char *what, int64_t survivor_id, int64_t merged_id, const char *actor,
               int expected, const char *field, const char *words)
{
    char *before = s_fingerprint ();
    Crmq__MergeClientsReply *answer;
    int code = s_merge (survivor_id, merged_id, actor, &answer);
    const char *message = crmq_rpc_client_message (s_contacts);
    CHECK (code == expected && streq (crmq_rpc_client_field (s_contacts), field)
           && strstr (message, words),
           "%s: code %d field \"%s\" message \"%s\"; expected %d \"%s\" \"%s\"", what, code,
           crmq_rpc_client_field (s_contacts), message, expected, field, words);
    if (answer)
        crmq__merge_clients_reply__free_unpacked (answer, NULL);
    char *after = s_fingerprint ();
    CHECK (streq (before, after), "%s: nothing changed", what);
    free (before);
    free (after);
}

//  Inserts a row and returns its id (the statement ends RETURNING id).
static int64_t
s_insert (const char *sql, ...)
{
    const char *values [16];
    int count = 0;
    va_list args;
    va_start (args, sql);
    const char *value;
    while ((value = va_arg (args, const char *)) && count < 16)
        values [count++] = value;
    va_end (args);
    PGresult *result = crmq_pg_exec (s_pg, sql, count, values);
    CHECK (result && PQntuples (result) == 1, "%s: %s", sql, crmq_pg_error (s_pg));
    int64_t id = result && PQntuples (result) == 1? strtoll (PQgetvalue (result, 0, 0), NULL, 10): 0;
    PQclear (result);
    return id;
}

static const char *SQL_CHANNEL =
    "INSERT INTO contacts.channels (client_id, person_id, type, kind, value, normalized, is_primary)"
    " VALUES ($1::bigint, nullif ($2, '')::bigint, $3, $4, $5, $6, $7::boolean) RETURNING id";
static const char *SQL_INTERACTION =
    "INSERT INTO contacts.interactions (client_id, channel, subject, started_at, person_id)"
    " VALUES ($1::bigint, $2, $3, now () - interval '1 day', nullif ($4, '')::bigint) RETURNING id";

//  What the clients merged in the test hold before MergeClients, written in
//  SQL (the methods that write them belong to other files of the service).
static int64_t s_person1, s_person2, s_m_phone_channel, s_vip, s_wholesale;

static void
s_prepare_merge (void)
{
    const char *S = test_id_text (s_id ("S")), *M = test_id_text (s_id ("M")), *OLD = test_id_text (s_id ("OLD"));
    PQclear (test_query (s_pg, "UPDATE contacts.clients SET tags = '{vip}', relationship_since = '2020-05-01'"
                    " WHERE id = $1::bigint", S, NULL));
    PQclear (test_query (s_pg, "UPDATE contacts.clients SET tags = '{opt,vip}', relationship_since = '2018-03-15',"
                    " tax_id = '7801234567', attributes = '{\"inn_checked\": true, \"tier\": \"gold\"}'"
                    " WHERE id = $1::bigint", M, NULL));
    PQclear (test_query (s_pg, "UPDATE contacts.clients SET attributes = '{\"tier\": \"silver\"}'"
                    " WHERE id = $1::bigint", S, NULL));
    //  the survivor's own primary phone
    s_insert (SQL_CHANNEL, S, "", "phone", "work", "+7 495 000-00-01", "+74950000001", "true", NULL);
    //  the merged client's own channels: a primary phone (meets the survivor's) and an address
    s_m_phone_channel = s_insert (SQL_CHANNEL, M, "", "phone", "work", "+7 812 555-01-02",
                                  "+78125550102", "true", NULL);
    s_insert (SQL_CHANNEL, M, "", "address", "work", "Невский пр., 1", "", "false", NULL);
    //  two contact persons with channels
    s_person1 = s_insert ("INSERT INTO contacts.persons (client_id, name, position)"
                          " VALUES ($1::bigint, 'Иван Петров', 'Директор') RETURNING id", M, NULL);
    s_person2 = s_insert ("INSERT INTO contacts.persons (client_id, name, position)"
                          " VALUES ($1::bigint, 'Мария Сидорова', 'Бухгалтер') RETURNING id", M, NULL);
    const char *P1 = test_id_text (s_person1), *P2 = test_id_text (s_person2);
    s_insert (SQL_CHANNEL, M, P1, "phone", "mobile", "+7 921 111-22-33", "+79211112233", "true", NULL);
    s_insert (SQL_CHANNEL, M, P1, "email", "work", "Ivan@Roga.ru", "ivan@roga.ru", "true", NULL);
    s_insert (SQL_CHANNEL, M, P2, "email", "work", "maria@roga.ru", "maria@roga.ru", "true", NULL);
    //  interactions: 3 of the merged client, 1 of the survivor, 1 of a client merged into M first
    s_insert (SQL_INTERACTION, M, "call", "Звонок по счёту", P1, NULL);
    s_insert (SQL_INTERACTION, M, "email", "Прайс-лист", "", NULL);
    s_insert (SQL_INTERACTION, M, "meeting", "Встреча «на объекте»", P2, NULL);
    s_insert (SQL_INTERACTION, S, "call", "Первый звонок", "", NULL);
    s_insert (SQL_INTERACTION, OLD, "message", "Старый клиент", "", NULL);
    //  static segments: both in VIP, only M in Опт
    s_vip = s_insert ("INSERT INTO contacts.segments (name, kind) VALUES ('SRCH VIP', 'static')"
                      " RETURNING id", NULL);
    s_wholesale = s_insert ("INSERT INTO contacts.segments (name, kind) VALUES ('SRCH Опт', 'static')"
                            " RETURNING id", NULL);
    const char *VIP = test_id_text (s_vip), *OPT = test_id_text (s_wholesale);
    PQclear (test_query (s_pg, "INSERT INTO contacts.segment_members (segment_id, client_id)"
                    " VALUES ($1::bigint, $2::bigint), ($1::bigint, $3::bigint), ($4::bigint, $3::bigint)",
                    VIP, S, M, OPT, NULL));
}

//  Reads the ClientMerged events of the outbox that merged this test's
//  clients, oldest first, into events (up to max); returns how many.
static int
s_merged_events (Crmq__ClientMerged **events, int max)
{
    PGresult *result = test_query (s_pg, "SELECT body, producer FROM bus.outbox WHERE topic = 'contacts.client.merged'"
                              " ORDER BY seq", NULL);
    if (!result)
        return 0;
    int count = 0;
    for (int row = 0; row < PQntuples (result) && count < max; row++) {
        size_t size;
        unsigned char *bytes = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, row, 0), &size);
        CHECK (streq (PQgetvalue (result, row, 1), "contacts"), "producer %s", PQgetvalue (result, row, 1));
        events [count] = crmq__client_merged__unpack (NULL, size, bytes);
        CHECK (events [count] != NULL, "event %d unpacks", row);
        PQfreemem (bytes);
        if (events [count] && !s_mine (events [count]->merged_external_id))
            crmq__client_merged__free_unpacked (events [count], NULL);     //  another test's
        else
        if (events [count])
            count++;
    }
    PQclear (result);
    return count;
}

int
main (void)
{
    crmq_log_init ("test_contacts_search", "error");
    s_pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_contacts_search");
    s_contacts = crmq_rpc_client_new (test_env ("CRMQ_CONTACTS_ENDPOINT"), 20000, 0);
    int64_t started_us = zclock_time () * 1000;

    printf ("the database lower-cases Cyrillic (C.UTF-8)\n");
    PGresult *result = test_query (s_pg, "SELECT lower ('ПРИВЕТ «Ёж» Info@Example.COM'), current_setting ('lc_ctype')", NULL);
    if (result) {
        CHECK (streq (PQgetvalue (result, 0, 0), "привет «ёж» info@example.com"), "lower: %s (lc_ctype %s)",
               PQgetvalue (result, 0, 0), PQgetvalue (result, 0, 1));
        PQclear (result);
    }

    printf ("clients through contacts.UpsertClients\n");
    s_create_clients ();
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.clients WHERE id IN ($1::bigint, $2::bigint)"
                     " AND phone_e164 = '+74951234567'", test_id_text (s_id ("B1")), test_id_text (s_id ("B2")), NULL) == 2,
           "UpsertClients stores both phones as +74951234567");
    //  what UpsertClients does not carry: tax ids, status
    PQclear (test_query (s_pg, "UPDATE contacts.clients SET tax_id = '7707083893' WHERE id IN ($1::bigint, $2::bigint, $3::bigint)",
                    test_id_text (s_id ("E1")), test_id_text (s_id ("E2")), test_id_text (s_id ("X")), NULL));
    PQclear (test_query (s_pg, "UPDATE contacts.clients SET status = 'archived' WHERE id = $1::bigint",
                    test_id_text (s_id ("X")), NULL));
    s_prepare_merge ();
    bool alfki = test_number (s_pg, "SELECT count(*) FROM contacts.clients WHERE external_id = 'ALFKI'"
                           " AND name = 'Alfreds Futterkiste' AND status = 'active'", NULL) == 1;
    printf ("  (Northwind's ALFKI %s)\n", alfki? "is there": "is not there");

    printf ("search by name: typos, case, quotes and legal forms\n");
    s_search ("Ромашко", "A1 name 0.75; A2 name 0.75");
    s_search ("РОМАШКА", "A1 name 1; A2 name 1");
    s_search ("ромашка", "A1 name 1; A2 name 1");
    s_search ("zefyrine kartofelhaus", "ZEPH name 0.666667");
    s_search ("ZEPHYRINE KARTOFFELHAUS", "ZEPH name 1");
    s_search ("Торговый дом Василёк", "G1 name 1; G2 name 0.857143");
    {
        char *all = s_expect_search ("alfreds futerkiste", 0, 0, "ALF name 0.857143");
        if (alfki)
            CHECK (strstr (all, "ALFKI name 0.857143; " PREFIX "ALF name 0.857143") != NULL,
                   "Northwind's Alfreds Futterkiste found too, first (lower id): [%s]", all);
        free (all);
    }
    printf ("search: a substring; LIKE's wildcards are plain characters\n");
    s_search ("100%", "PCT name 1");
    s_search ("%", "PCT name 0");
    s_search ("_", "");
    s_search ("Трейд", "B1 name 1; OLD name 1");

    printf ("search by phone, in any notation\n");
    s_search ("+7 (495) 123-45-67", "B1 phone 1; B2 phone 1");
    s_search ("8 495 1234567", "B1 phone 1; B2 phone 1");
    s_search ("74951234567", "B1 phone 1; B2 phone 1");
    s_search ("+7 921 111 22 33", "M phone 1");     //  a contact person's phone
    s_search ("8 (812) 555-01-02", "M phone 1");

    printf ("search by e-mail, in any case\n");
    s_search ("INFO@EXAMPLE.COM", "C1 email 1; C2 email 1");
    s_search ("info@example.com", "C1 email 1; C2 email 1");
    s_search ("ПРОДАЖИ@ПРИМЕР.РФ", "D1 email 1; D2 email 1");
    s_search ("Продажи@пример.рф", "D1 email 1; D2 email 1");
    s_search ("IVAN@roga.RU", "M email 1");          //  a contact person's e-mail

    printf ("search by tax id and external id (archived clients are found)\n");
    s_search ("7707083893", "E1 tax_id 1; E2 tax_id 1; X tax_id 1");
    s_search (PREFIX "ZEPH", "ZEPH external_id 1");
    s_search ("  \t" PREFIX "ZEPH \n", "ZEPH external_id 1");

    printf ("search: paging\n");
    {
        //  other tests' clients may be called so too: pages are compared
        //  with the whole list
        char *all = s_expect_search ("ромашка", 100, 0, "A1 name 1; A2 name 1");
        zlist_t *hits = zlist_new ();
        zlist_autofree (hits);
        char *rest = all;
        while (*rest) {
            char *end = strstr (rest, "; ");
            if (end)
                *end = 0;
            zlist_append (hits, rest);
            rest = end? end + 2: rest + strlen (rest);
        }
        CHECK (zlist_size (hits) >= 2, "ромашка: %zu hits", zlist_size (hits));
        int offset = 0;
        for (char *hit = (char *) zlist_first (hits); hit; hit = (char *) zlist_next (hits), offset++) {
            char *page = s_expect_search ("ромашка", 1, offset, NULL);
            CHECK (streq (page, hit), "page %d: [%s], expected [%s]", offset, page, hit);
            free (page);
        }
        char *page = s_expect_search ("ромашка", 100, offset, "");
        CHECK (streq (page, ""), "past the last: [%s]", page);
        free (page);
        zlist_destroy (&hits);
        free (all);
    }

    printf ("search: bad input\n");
    char *before = s_fingerprint ();
    s_search_fails ("", 0, 0, CRMQ_INVALID_ARGUMENT, "query");
    s_search_fails (" \t\n ", 0, 0, CRMQ_INVALID_ARGUMENT, "query");
    char long_query [302];
    memset (long_query, 'a', 301);
    long_query [301] = 0;
    s_search_fails (long_query, 0, 0, CRMQ_INVALID_ARGUMENT, "query");
    long_query [300] = 0;
    {
        Crmq__SearchReply *answer;
        int code = s_search_call (long_query, 0, 0, &answer);
        CHECK (code == CRMQ_OK, "a query of 300 bytes: code %d", code);
        if (answer)
            crmq__search_reply__free_unpacked (answer, NULL);
    }
    s_search_fails ("Ром\xd0", 0, 0, CRMQ_INVALID_ARGUMENT, "query");     //  cut UTF-8
    s_search_fails ("Ром\x01", 0, 0, CRMQ_INVALID_ARGUMENT, "query");
    s_search_fails ("ромашка", 101, 0, CRMQ_INVALID_ARGUMENT, "limit");
    s_search_fails ("ромашка", -1, 0, CRMQ_INVALID_ARGUMENT, "limit");
    s_search_fails ("ромашка", 0, -1, CRMQ_INVALID_ARGUMENT, "offset");
    s_search_fails ("ромашка", 0, 10001, CRMQ_INVALID_ARGUMENT, "offset");
    {
        uint8_t *body;
        size_t size;
        int code = crmq_rpc_call_raw (s_contacts, "contacts.Search", "\x0a\x05\x01", 3, 2, &body, &size);
        CHECK (code == CRMQ_INVALID_ARGUMENT, "malformed SearchRequest: code %d", code);
    }
    char *after = s_fingerprint ();
    CHECK (streq (before, after), "bad searches changed nothing");
    free (before);
    free (after);

    printf ("duplicates: exactly the expected pairs, the strongest reason each\n");
    char pairs [4096], alfki_pair [128];
    int code = s_duplicates (1000, 0, 0, pairs, sizeof pairs, alfki_pair, sizeof alfki_pair);
    CHECK (code == CRMQ_OK, "FindDuplicates: code %d %s", code, crmq_rpc_client_message (s_contacts));
    const char *expected_pairs =
        "E1 E2 same_tax_id 1; B1 B2 same_phone 0.95; A1 A2 same_name 0.9; C1 C2 same_email 0.9;"
        " D1 D2 same_email 0.9; S M same_name 0.9; G1 G2 similar_name 0.72";
    CHECK (streq (pairs, expected_pairs), "pairs [%s], expected [%s]", pairs, expected_pairs);
    if (alfki)
        CHECK (streq (alfki_pair, "same_name 0.9"), "ALFKI and " PREFIX "ALF: [%s]", alfki_pair);
    code = s_duplicates (1000, 0, 950000000, pairs, sizeof pairs, NULL, 0);
    CHECK (code == CRMQ_OK && streq (pairs, "E1 E2 same_tax_id 1; B1 B2 same_phone 0.95"),
           "min_score 0.95: code %d [%s]", code, pairs);
    code = s_duplicates (1000, 1, 0, pairs, sizeof pairs, NULL, 0);
    CHECK (code == CRMQ_OK && streq (pairs, "E1 E2 same_tax_id 1"), "min_score 1: code %d [%s]", code, pairs);
    code = s_duplicates (1000, 0, 700000000, pairs, sizeof pairs, NULL, 0);
    CHECK (code == CRMQ_OK && strstr (pairs, "G1 G2 similar_name 0.72"), "min_score 0.7: [%s]", pairs);
    code = s_duplicates (1000, 0, 730000000, pairs, sizeof pairs, NULL, 0);
    CHECK (code == CRMQ_OK && !strstr (pairs, "similar_name"), "min_score 0.73: [%s]", pairs);
    {
        //  at 0.3, every pair of this test's clients whose name_keys are that
        //  similar (compared here pair by pair) is reported, as similar_name
        //  with that score or with a reason scoring at least as much
        code = s_duplicates (1000, 0, 300000000, pairs, sizeof pairs, NULL, 0);
        CHECK (code == CRMQ_OK, "min_score 0.3: code %d", code);
        result = test_query (s_pg, "SELECT substr (a.external_id, 6) || ' ' || substr (b.external_id, 6),"
                        "       round (similarity (a.name_key, b.name_key)::numeric, 6)::text"
                        "  FROM contacts.clients a JOIN contacts.clients b ON b.id > a.id"
                        " WHERE a.external_id LIKE 'SRCH-%' AND b.external_id LIKE 'SRCH-%'"
                        "   AND a.status = 'active' AND b.status = 'active' AND a.name_key <> b.name_key"
                        "   AND similarity (a.name_key, b.name_key) >= 0.3 ORDER BY 1", NULL);
        int similar = 0;
        for (int row = 0; result && row < PQntuples (result); row++) {
            char pair [256];
            snprintf (pair, sizeof pair, "%s similar_name %s", PQgetvalue (result, row, 0),
                      PQgetvalue (result, row, 1));
            //  trailing zeros as Decimal text prints them
            char *end = pair + strlen (pair) - 1;
            while (*end == '0')
                *end-- = 0;
            if (*end == '.')
                *end = 0;
            bool found = strstr (pairs, pair) != NULL;
            if (!found) {       //  a stronger reason for the same pair
                char prefix [64];
                snprintf (prefix, sizeof prefix, "%s same_", PQgetvalue (result, row, 0));
                found = strstr (pairs, prefix) != NULL;
            }
            CHECK (found, "pair by pair: %s, reported: [%s]", pair, pairs);
            similar++;
        }
        PQclear (result);
        int reported = 0;
        for (const char *at = pairs; (at = strstr (at, "similar_name")); at++)
            reported++;
        CHECK (reported <= similar && similar >= 2, "similar_name pairs: %d reported, %d by brute force",
               reported, similar);
    }
    {
        code = s_duplicates (1000, 0, 0, pairs, sizeof pairs, NULL, 0);
        char first [256];
        snprintf (first, sizeof first, "%s", s_first_pair);
        size_t count = s_pair_count;
        code = s_duplicates (1, 0, 0, pairs, sizeof pairs, NULL, 0);
        CHECK (code == CRMQ_OK && s_pair_count == 1 && streq (s_first_pair, first),
               "limit 1: code %d, %zu pairs [%s], expected [%s]", code, s_pair_count, s_first_pair, first);
        code = s_duplicates (2, 0, 0, pairs, sizeof pairs, NULL, 0);
        CHECK (code == CRMQ_OK && s_pair_count == (count < 2? count: 2), "limit 2: %zu pairs", s_pair_count);
    }
    before = s_fingerprint ();
    code = s_duplicates (1001, 0, 0, pairs, sizeof pairs, NULL, 0);
    CHECK (code == CRMQ_INVALID_ARGUMENT && streq (crmq_rpc_client_field (s_contacts), "limit"),
           "limit 1001: code %d", code);
    code = s_duplicates (-5, 0, 0, pairs, sizeof pairs, NULL, 0);
    CHECK (code == CRMQ_INVALID_ARGUMENT, "limit -5: code %d", code);
    code = s_duplicates (0, 1, 500000000, pairs, sizeof pairs, NULL, 0);
    CHECK (code == CRMQ_INVALID_ARGUMENT && streq (crmq_rpc_client_field (s_contacts), "min_score"),
           "min_score 1.5: code %d", code);
    code = s_duplicates (0, 0, -100000000, pairs, sizeof pairs, NULL, 0);
    CHECK (code == CRMQ_INVALID_ARGUMENT && streq (crmq_rpc_client_field (s_contacts), "min_score"),
           "min_score -0.1: code %d", code);
    after = s_fingerprint ();
    CHECK (streq (before, after), "bad FindDuplicates changed nothing");
    free (before);
    free (after);

    printf ("merge: a client merged into M first\n");
    char S [24], M [24], OLD [24];
    snprintf (S, sizeof S, "%" PRId64, s_id ("S"));
    snprintf (M, sizeof M, "%" PRId64, s_id ("M"));
    snprintf (OLD, sizeof OLD, "%" PRId64, s_id ("OLD"));
    long long persons_total = test_number (s_pg, "SELECT count(*) FROM contacts.persons", NULL);
    long long channels_total = test_number (s_pg, "SELECT count(*) FROM contacts.channels", NULL);
    long long interactions_total = test_number (s_pg, "SELECT count(*) FROM contacts.interactions", NULL);
    long long members_total = test_number (s_pg, "SELECT count(*) FROM contacts.segment_members", NULL);
    Crmq__MergeClientsReply *merged;
    code = s_merge (s_id ("M"), s_id ("OLD"), "test:first-merge", &merged);
    CHECK (code == CRMQ_OK, "merge OLD into M: code %d %s", code, crmq_rpc_client_message (s_contacts));
    if (merged) {
        CHECK (merged->survivor && merged->survivor->id == s_id ("M") && merged->interactions_moved == 1
               && merged->persons_moved == 0 && merged->channels_moved == 0
               && merged->segment_memberships_moved == 0, "OLD into M: 1 interaction moved");
        crmq__merge_clients_reply__free_unpacked (merged, NULL);
    }

    printf ("merge: M into S\n");
    code = s_merge (s_id ("S"), s_id ("M"), "Анна Петрова «поиск»", &merged);
    CHECK (code == CRMQ_OK, "merge M into S: code %d %s", code, crmq_rpc_client_message (s_contacts));
    if (merged) {
        Crmq__Client *survivor = merged->survivor;
        CHECK (merged->persons_moved == 2, "persons moved %d", merged->persons_moved);
        CHECK (merged->channels_moved == 5, "channels moved %d", merged->channels_moved);
        CHECK (merged->interactions_moved == 4, "interactions moved %d", merged->interactions_moved);
        CHECK (merged->segment_memberships_moved == 1, "memberships moved %d",
               merged->segment_memberships_moved);
        CHECK (survivor && survivor->id == s_id ("S") && streq (survivor->name, "Рога и Копыта")
               && streq (survivor->status, "active"), "the survivor replied");
        if (survivor) {
            CHECK (streq (survivor->legal_name, "ООО «Рога и копыта»"), "legal_name filled: %s",
                   survivor->legal_name);
            CHECK (streq (survivor->tax_id, "7801234567"), "tax_id filled: %s", survivor->tax_id);
            CHECK (streq (survivor->phone, "+7 812 555-01-02") && streq (survivor->phone_e164, "+78125550102"),
                   "phone filled: %s %s", survivor->phone, survivor->phone_e164);
            CHECK (streq (survivor->email, "info@roga.ru"), "email kept: %s", survivor->email);
            CHECK (streq (survivor->city, "Москва"), "city kept: %s", survivor->city);
            CHECK (streq (survivor->relationship_since, "2018-03-15"), "relationship since the earlier: %s",
                   survivor->relationship_since);
            CHECK (survivor->n_tags == 2 && streq (survivor->tags [0], "vip") && streq (survivor->tags [1], "opt"),
                   "tags united: %zu", survivor->n_tags);
            CHECK (strstr (survivor->attributes_json, "\"tier\": \"silver\"")
                   && strstr (survivor->attributes_json, "\"inn_checked\": true"),
                   "attributes united, the survivor's win: %s", survivor->attributes_json);
        }
        crmq__merge_clients_reply__free_unpacked (merged, NULL);
    }

    printf ("merge: everything linked is on the survivor, nothing lost\n");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.persons WHERE client_id = $1::bigint", S, NULL) == 2,
           "2 persons on S");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.channels WHERE client_id = $1::bigint", S, NULL) == 7,
           "7 channels on S (1 its own, 5 moved, M's e-mail kept as one)");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.channels WHERE client_id = $1::bigint AND type = 'email'"
                     " AND person_id IS NULL AND value = 'office@roga.ru' AND NOT is_primary", S, NULL) == 1,
           "M's e-mail, differing from S's, kept as a channel of S");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.channels WHERE person_id IN ($1::bigint, $2::bigint)"
                     " AND client_id = $3::bigint", test_id_text (s_person1), test_id_text (s_person2), S, NULL) == 3,
           "the persons' 3 channels moved with them");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.channels WHERE client_id = $1::bigint AND type = 'phone'"
                     " AND person_id IS NULL AND is_primary", S, NULL) == 1, "one primary phone of S's own");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.channels WHERE id = $1::bigint AND NOT is_primary"
                     " AND client_id = $2::bigint", test_id_text (s_m_phone_channel), S, NULL) == 1,
           "M's primary phone moved as not primary");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.channels WHERE client_id = $1::bigint AND is_primary"
                     " AND person_id IS NOT NULL", S, NULL) == 3, "the persons' primaries stay primary");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.interactions WHERE client_id = $1::bigint", S, NULL) == 5,
           "5 interactions on S (its own, M's 3, OLD's via M)");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.segment_members WHERE client_id = $1::bigint"
                     " AND segment_id IN ($2::bigint, $3::bigint)", S, test_id_text (s_vip), test_id_text (s_wholesale),
                     NULL) == 2, "S in both segments");
    CHECK (test_number (s_pg, "SELECT (SELECT count(*) FROM contacts.persons WHERE client_id IN ($1::bigint, $2::bigint))"
                     " + (SELECT count(*) FROM contacts.channels WHERE client_id IN ($1::bigint, $2::bigint))"
                     " + (SELECT count(*) FROM contacts.interactions WHERE client_id IN ($1::bigint, $2::bigint))"
                     " + (SELECT count(*) FROM contacts.segment_members WHERE client_id IN ($1::bigint, $2::bigint))",
                     M, OLD, NULL) == 0, "nothing left on M or OLD");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.persons", NULL) == persons_total, "no person lost");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.channels", NULL) == channels_total + 1,
           "no channel lost (one added)");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.interactions", NULL) == interactions_total,
           "no interaction lost");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.segment_members", NULL) == members_total - 1,
           "memberships: only the one S had already is gone");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.interactions i JOIN contacts.persons p ON p.id = i.person_id"
                     " WHERE i.client_id = $1::bigint AND p.client_id = $1::bigint", S, NULL) == 2,
           "interactions still name their persons, now S's");

    printf ("merge: the merged ids resolve to the survivor\n");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.clients WHERE id IN ($1::bigint, $2::bigint)"
                     " AND status = 'merged'", M, OLD, NULL) == 2, "M and OLD are merged, and kept");
    CHECK (test_number (s_pg, "SELECT survivor_id FROM contacts.merges WHERE merged_id = $1::bigint", M, NULL)
           == s_id ("S"), "M resolves to S");
    CHECK (test_number (s_pg, "SELECT survivor_id FROM contacts.merges WHERE merged_id = $1::bigint", OLD, NULL)
           == s_id ("S"), "OLD, merged into M before, resolves to S");
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.merges WHERE merged_id = $1::bigint"
                     " AND actor = 'Анна Петрова «поиск»'", M, NULL) == 1, "the merge names its actor");

    printf ("merge: contacts.client.merged in the outbox\n");
    Crmq__ClientMerged *events [4];
    int count = s_merged_events (events, 4);
    CHECK (count == 2, "2 events, got %d", count);
    if (count == 2) {
        CHECK (events [0]->survivor_id == s_id ("M") && events [0]->merged_id == s_id ("OLD")
               && streq (events [0]->survivor_external_id, PREFIX "M")
               && streq (events [0]->merged_external_id, PREFIX "OLD")
               && streq (events [0]->actor, "test:first-merge"), "first: OLD into M");
        CHECK (events [1]->survivor_id == s_id ("S") && events [1]->merged_id == s_id ("M")
               && streq (events [1]->survivor_external_id, PREFIX "S")
               && streq (events [1]->merged_external_id, PREFIX "M")
               && streq (events [1]->actor, "Анна Петрова «поиск»"), "second: M into S");
        int64_t now_us = zclock_time () * 1000;
        CHECK (events [1]->merged_at_us >= started_us - 60000000LL && events [1]->merged_at_us <= now_us + 60000000LL
               && events [1]->merged_at_us >= events [0]->merged_at_us,
               "merged_at_us %" PRId64 " in the test's minutes", events [1]->merged_at_us);
    }
    for (int i = 0; i < count; i++)
        crmq__client_merged__free_unpacked (events [i], NULL);

    printf ("merge: the audit trail names the actor\n");
    result = test_query (s_pg, "SELECT entity, count(*) FROM contacts.audit WHERE actor = 'Анна Петрова «поиск»'"
                    " AND client_id IN ($1::bigint, $2::bigint) GROUP BY entity ORDER BY entity", S, M, NULL);
    if (result) {
        char audit [256] = "";
        for (int row = 0; row < PQntuples (result); row++) {
            char line [64];
            snprintf (line, sizeof line, "%s%s %s", *audit? ", ": "", PQgetvalue (result, row, 0),
                      PQgetvalue (result, row, 1));
            strncat (audit, line, sizeof audit - strlen (audit) - 1);
        }
        //  client: S filled, M marked; channel: 1 demoted + 5 moved + 1 added;
        //  interaction: 4 moved; person: 2 moved
        CHECK (streq (audit, "channel 7, client 2, interaction 4, person 2"), "audit by the actor: %s", audit);
        PQclear (result);
    }
    CHECK (test_number (s_pg, "SELECT count(*) FROM contacts.audit WHERE actor = 'Анна Петрова «поиск»' AND entity = 'client'"
                     " AND entity_id = $1::bigint AND changes -> 'status' = '[\"active\", \"merged\"]'",
                     M, NULL) == 1, "the audit shows M active -> merged");

    printf ("after the merge: search finds the survivor, duplicates lose the pair\n");
    s_search ("+7 812 555 01 02", "S phone 1");
    s_search ("ivan@roga.ru", "S email 1");
    s_search ("office@roga.ru", "S email 1");
    s_search ("+7 921 111-22-33", "S phone 1");
    s_search ("«Рога и копыта»", "S name 1");
    s_search (PREFIX "M", "");
    s_search ("Лютик Трейд", "B1 name 0.5");     //  OLD, merged, is left out
    s_search ("Трейд", "B1 name 1");
    code = s_duplicates (1000, 0, 0, pairs, sizeof pairs, NULL, 0);
    expected_pairs = "E1 E2 same_tax_id 1; B1 B2 same_phone 0.95; A1 A2 same_name 0.9; C1 C2 same_email 0.9;"
                     " D1 D2 same_email 0.9; G1 G2 similar_name 0.72";
    CHECK (code == CRMQ_OK && streq (pairs, expected_pairs), "pairs after the merge [%s], expected [%s]",
           pairs, expected_pairs);

    printf ("merge: bad requests get their code and change nothing\n");
    s_merge_fails ("itself", s_id ("S"), s_id ("S"), "t", CRMQ_INVALID_ARGUMENT, "merged_id", "itself");
    s_merge_fails ("survivor 0", 0, s_id ("E1"), "t", CRMQ_INVALID_ARGUMENT, "survivor_id", "survivor_id");
    s_merge_fails ("merged -3", s_id ("E1"), -3, "t", CRMQ_INVALID_ARGUMENT, "merged_id", "merged_id");
    s_merge_fails ("unknown merged", s_id ("E1"), 999999999, "t", CRMQ_NOT_FOUND, "merged_id", "999999999");
    s_merge_fails ("unknown survivor", 999999999, s_id ("E1"), "t", CRMQ_NOT_FOUND, "survivor_id", "999999999");
    s_merge_fails ("archived merged", s_id ("E1"), s_id ("X"), "t", CRMQ_FAILED_PRECONDITION, "merged_id",
                   "archived");
    s_merge_fails ("archived survivor", s_id ("X"), s_id ("E2"), "t", CRMQ_FAILED_PRECONDITION, "survivor_id",
                   "archived");
    s_merge_fails ("already merged", s_id ("S"), s_id ("M"), "t", CRMQ_FAILED_PRECONDITION, "merged_id",
                   "already merged");
    s_merge_fails ("merged as survivor", s_id ("M"), s_id ("E1"), "t", CRMQ_FAILED_PRECONDITION, "survivor_id",
                   "already merged");
    s_merge_fails ("bad actor", s_id ("E1"), s_id ("E2"), "bad\x01" "actor", CRMQ_INVALID_ARGUMENT, "actor",
                   "actor");
    {
        char *fingerprint = s_fingerprint ();
        uint8_t *body;
        size_t size;
        code = crmq_rpc_call_raw (s_contacts, "contacts.MergeClients", "\x08\xff", 2, 2, &body, &size);
        CHECK (code == CRMQ_INVALID_ARGUMENT, "malformed MergeClientsRequest: code %d", code);
        code = crmq_rpc_call_raw (s_contacts, "contacts.FindDuplicates", "\x12\x05", 2, 2, &body, &size);
        CHECK (code == CRMQ_INVALID_ARGUMENT, "malformed FindDuplicatesRequest: code %d", code);
        char *later = s_fingerprint ();
        CHECK (streq (fingerprint, later), "malformed requests changed nothing");
        free (fingerprint);
        free (later);
    }

    crmq_rpc_client_destroy (&s_contacts);
    crmq_pg_destroy (&s_pg);
    printf ("test_contacts_search: %s\n", s_failures? "FAIL": "PASS");
    return s_failures? 1: 0;
}

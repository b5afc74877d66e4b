/*  client_search.c - search, duplicates and merge; see client_search.h.  */
#include "client_search.h"

#define SEARCH_MAX_QUERY     300         //  bytes of a trimmed query
#define SEARCH_MAX_LIMIT     100
#define SEARCH_DEFAULT_LIMIT 20
#define SEARCH_MAX_OFFSET    10000
#define SEARCH_PHONE_DIGITS  5           //  fewest digits a query needs to be tried as a phone
#define DUPLICATES_MAX_LIMIT 1000
#define DUPLICATES_DEFAULT_LIMIT 100
#define DUPLICATES_DEFAULT_MIN "0.6"

//  Reads numeric text ("0.857143") into a Decimal.
static void
s_decimal_from_text (Crmq__Decimal *decimal, const char *text)
{
    crmq__decimal__init (decimal);
    if (crmq_decimal_parse (text, &decimal->units, &decimal->nanos) != 0) {
        decimal->units = 0;             //  numeric text always parses; never reached
        decimal->nanos = 0;
    }
}

//  --------------------------------------------------------------------------
//  contacts.Search

//  pg_trgm's thresholds for the operators below, for this transaction only
//  (the connection is shared by every handler): lower(name) % q holds when
//  similarity >= 0.3, lower(name) %> q when word_similarity >= 0.5.  A lower
//  word threshold lets short queries hit names sharing only a word's first
//  letters ("ALFKI" and "All-Night" share "  a", " al": 0.33).
static const char *SQL_SEARCH_THRESHOLDS =
    "SELECT set_config ('pg_trgm.similarity_threshold', '0.3', true),"
    "       set_config ('pg_trgm.word_similarity_threshold', '0.5', true)";

//  $1 the trimmed query, $2 its E.164 form or NULL, $3 the query when it may
//  be an e-mail or NULL, $4 the query with LIKE's \ % _ escaped, $5 limit,
//  $6 offset.  Every branch can use an index (the name branch the trigram
//  index clients_name_trgm_idx, through %, %> and LIKE).
static const char *SQL_SEARCH =
    "WITH hits (client_id, matched, score, strength) AS ("
    "  SELECT id, 'external_id', 1::numeric, 1 FROM contacts.clients WHERE external_id = $1::text"
    "  UNION ALL"
    "  SELECT id, 'tax_id', 1, 2 FROM contacts.clients WHERE tax_id = $1 AND tax_id <> ''"
    "  UNION ALL"
    "  SELECT id, 'phone', 1, 3 FROM contacts.clients WHERE phone_e164 = $2::text AND phone_e164 <> ''"
    "  UNION ALL"
    "  SELECT client_id, 'phone', 1, 3 FROM contacts.channels"
    "   WHERE type = 'phone' AND normalized = $2 AND normalized <> ''"
    "  UNION ALL"
    "  SELECT id, 'email', 1, 4 FROM contacts.clients WHERE lower (email) = lower ($3::text) AND email <> ''"
    "  UNION ALL"
    "  SELECT client_id, 'email', 1, 4 FROM contacts.channels"
    "   WHERE type = 'email' AND normalized = lower ($3::text) AND normalized <> ''"
    "  UNION ALL"
    "  SELECT id, 'name', round (greatest (similarity (lower (name), lower ($1::text)),"
    "                                      word_similarity (lower ($1::text), lower (name)))::numeric, 6), 5"
    "    FROM contacts.clients"
    "   WHERE lower (name) % lower ($1::text) OR lower (name) %> lower ($1::text)"
    "      OR lower (name) LIKE '%' || lower ($4::text) || '%'"
    "), best AS ("
    "  SELECT DISTINCT ON (client_id) client_id, matched, score FROM hits"
    "   ORDER BY client_id, score DESC, strength"
    ")"
    " SELECT b.matched, b.score::text, " CONTACTS_CLIENT_COLUMNS
    CONTACTS_CLIENT_FROM " JOIN best b ON b.client_id = c.id"
    " WHERE c.status <> 'merged'"
    " ORDER BY b.score DESC, c.id LIMIT $5::int OFFSET $6::int";

typedef struct {
    const char *values [6];
    PGresult *result;                   //  the hits, when committed
} search_t;

static int
s_search_tx (crmq_pg_t *pg, void *arg)
{
    search_t *job = (search_t *) arg;
    PQclear (job->result);              //  from an attempt that was retried
    job->result = NULL;
    PGresult *result = crmq_pg_exec (pg, SQL_SEARCH_THRESHOLDS, 0, NULL);
    if (!result)
        return -1;
    PQclear (result);
    job->result = crmq_pg_exec (pg, SQL_SEARCH, 6, job->values);
    return job->result? 0: -1;
}

//  True when the query may be a phone number: only digits, blanks and
//  + - ( ) . /, with at least SEARCH_PHONE_DIGITS digits.  A name, e-mail or
//  tax id with letters is never read as a phone.
static bool
s_phone_like (const char *query)
{
    int digits = 0;
    for (const char *s = query; *s; s++) {
        if (*s >= '0' && *s <= '9')
            digits++;
        else
        if (!strchr (" \t+-()./", *s))
            return false;
    }
    return digits >= SEARCH_PHONE_DIGITS;
}

//  Returns `text` with LIKE's escape character and wildcards (\ % _)
//  escaped by a backslash.  Caller frees.
static char *
s_like_escape (const char *text)
{
    char *escaped = (char *) zmalloc (2 * strlen (text) + 1);
    char *out = escaped;
    for (const char *s = text; *s; s++) {
        if (*s == '\\' || *s == '%' || *s == '_')
            *out++ = '\\';
        *out++ = *s;
    }
    *out = 0;
    return escaped;
}

//  Returns a copy of `text` without leading and trailing blanks (space, tab,
//  CR, LF).  Caller frees.
static char *
s_trimmed (const char *text)
{
    while (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n')
        text++;
    size_t length = strlen (text);
    while (length && (text [length - 1] == ' ' || text [length - 1] == '\t'
                  ||  text [length - 1] == '\r' || text [length - 1] == '\n'))
        length--;
    return strndup (text, length);
}

static int
s_search (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__SearchRequest *request = (Crmq__SearchRequest *)
        contacts_request_unpack (&crmq__search_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code;
    char *query = s_trimmed (request->query);
    char *pattern = NULL;
    if (!contacts_check (reply, "query", query, 1, SEARCH_MAX_QUERY, false)) {
        code = CRMQ_INVALID_ARGUMENT;
        goto done;
    }
    int limit = request->limit? request->limit: SEARCH_DEFAULT_LIMIT;
    if (limit < 1 || limit > SEARCH_MAX_LIMIT) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "limit",
                                 "limit must be 1..%d (0 = %d)", SEARCH_MAX_LIMIT, SEARCH_DEFAULT_LIMIT);
        goto done;
    }
    if (request->offset < 0 || request->offset > SEARCH_MAX_OFFSET) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "offset",
                                 "offset must be 0..%d", SEARCH_MAX_OFFSET);
        goto done;
    }
    char e164 [CRMQ_PHONE_E164_MAX];
    //  no client to take a country from: a number without its country code
    //  is read in the default region; one with it ("+49 30 0074321", also
    //  "(+49) 30 0074321") matches whatever the client's country
    bool phone = s_phone_like (query) && contacts_phone_e164 (self, NULL, query, e164, sizeof e164) == 0;
    pattern = s_like_escape (query);
    char limit_text [16], offset_text [16];
    snprintf (limit_text, sizeof limit_text, "%d", limit);
    snprintf (offset_text, sizeof offset_text, "%d", request->offset);
    search_t job = { { query, phone? e164: NULL, strchr (query, '@')? query: NULL, pattern,
                       limit_text, offset_text }, NULL };
    code = contacts_transaction (self, s_search_tx, &job, reply);
    if (code != 0) {
        PQclear (job.result);
        goto done;
    }
    int rows = PQntuples (job.result);
    size_t slots = rows? (size_t) rows: 1;
    Crmq__SearchHit *hits = (Crmq__SearchHit *) zmalloc (slots * sizeof (Crmq__SearchHit));
    Crmq__SearchHit **pointers = (Crmq__SearchHit **) zmalloc (slots * sizeof (Crmq__SearchHit *));
    Crmq__Client *clients = (Crmq__Client *) zmalloc (slots * sizeof (Crmq__Client));
    Crmq__Decimal *scores = (Crmq__Decimal *) zmalloc (slots * sizeof (Crmq__Decimal));
    for (int row = 0; row < rows; row++) {
        crmq__search_hit__init (&hits [row]);
        hits [row].matched = PQgetvalue (job.result, row, 0);
        s_decimal_from_text (&scores [row], PQgetvalue (job.result, row, 1));
        hits [row].score = &scores [row];
        contacts_client_from_row (&clients [row], job.result, row, 2);
        hits [row].client = &clients [row];
        pointers [row] = &hits [row];
    }
    Crmq__SearchReply answer = CRMQ__SEARCH_REPLY__INIT;
    answer.n_hits = (size_t) rows;
    answer.hits = pointers;
    code = crmq_reply_ok (reply, &answer.base);
    for (int row = 0; row < rows; row++)
        contacts_client_clear (&clients [row]);
    free (scores);
    free (clients);
    free (pointers);
    free (hits);
    PQclear (job.result);
done:
    free (pattern);
    free (query);
    crmq_message_free (&request->base);
    return code;
}

//  --------------------------------------------------------------------------
//  contacts.FindDuplicates

//  Active clients only.  Phones and e-mails: the client's own field and every
//  channel of the client or its persons.  $1 the least score, $2 limit.
//
//  similar_name is pg_trgm's similarity of the name_keys, |A n B| / |A u B|
//  over their trigram sets.  Comparing every pair would take minutes for
//  20,000 clients (no trigram index on name_key), so candidates come from
//  prefix filtering, which is exact: order every set's trigrams by how few
//  names hold them (then by text); two sets with similarity >= t share a
//  trigram among the first |A| - ceil(t |A|) + 1 of each, and their sizes are
//  within a factor t of each other.  Only the candidates are then compared
//  with similarity().  (The 0.000001 keeps a pair whose float4 similarity
//  rounds up to t.)
static const char *SQL_DUPLICATES =
    "WITH phones (client_id, value) AS ("
    "  SELECT id, phone_e164 FROM contacts.clients WHERE status = 'active' AND phone_e164 <> ''"
    "  UNION"
    "  SELECT ch.client_id, ch.normalized FROM contacts.channels ch"
    "    JOIN contacts.clients c ON c.id = ch.client_id"
    "   WHERE c.status = 'active' AND ch.type = 'phone' AND ch.normalized <> ''"
    "), emails (client_id, value) AS ("
    "  SELECT id, lower (email) FROM contacts.clients WHERE status = 'active' AND email <> ''"
    "  UNION"
    "  SELECT ch.client_id, lower (ch.normalized) FROM contacts.channels ch"
    "    JOIN contacts.clients c ON c.id = ch.client_id"
    "   WHERE c.status = 'active' AND ch.type = 'email' AND ch.normalized <> ''"
    "), named AS ("
    "  SELECT id, name_key FROM contacts.clients WHERE status = 'active' AND name_key <> ''"
    "), trigrams AS ("
    "  SELECT n.id, t.trigram, count (*) OVER (PARTITION BY t.trigram) AS names"
    "    FROM named n, unnest (show_trgm (n.name_key)) AS t (trigram)"
    "), ranked AS ("
    "  SELECT id, trigram, row_number () OVER (PARTITION BY id ORDER BY names, trigram) AS position,"
    "         count (*) OVER (PARTITION BY id) AS size"
    "    FROM trigrams"
    "), prefixes AS ("
    "  SELECT id, trigram, size FROM ranked"
    "   WHERE position <= size - ceil (($1::numeric - 0.000001) * size) + 1"
    "), look_alikes AS ("
    "  SELECT DISTINCT a.id AS first_id, b.id AS second_id"
    "    FROM prefixes a JOIN prefixes b ON b.trigram = a.trigram AND b.id > a.id"
    "   WHERE b.size >= ($1::numeric - 0.000001) * a.size"
    "     AND a.size >= ($1::numeric - 0.000001) * b.size"
    "), candidates (first_id, second_id, reason, score, strength) AS ("
    "  SELECT a.id, b.id, 'same_tax_id', 1::numeric, 1"
    "    FROM contacts.clients a JOIN contacts.clients b ON b.tax_id = a.tax_id AND b.id > a.id"
    "   WHERE a.tax_id <> '' AND a.status = 'active' AND b.status = 'active'"
    "  UNION ALL"
    "  SELECT a.client_id, b.client_id, 'same_phone', 0.95, 2"
    "    FROM phones a JOIN phones b ON b.value = a.value AND b.client_id > a.client_id"
    "  UNION ALL"
    "  SELECT a.client_id, b.client_id, 'same_email', 0.9, 3"
    "    FROM emails a JOIN emails b ON b.value = a.value AND b.client_id > a.client_id"
    "  UNION ALL"
    "  SELECT a.id, b.id, 'same_name', 0.9, 4"
    "    FROM named a JOIN named b ON b.name_key = a.name_key AND b.id > a.id"
    "  UNION ALL"
    "  SELECT s.first_id, s.second_id, 'similar_name',"
    "         round (similarity (a.name_key, b.name_key)::numeric, 6), 5"
    "    FROM look_alikes s JOIN named a ON a.id = s.first_id JOIN named b ON b.id = s.second_id"
    "   WHERE a.name_key <> b.name_key AND similarity (a.name_key, b.name_key) >= $1::numeric"
    "), best AS ("
    "  SELECT DISTINCT ON (first_id, second_id) * FROM candidates"
    "   ORDER BY first_id, second_id, score DESC, strength"
    "), top AS ("
    "  SELECT * FROM best WHERE score >= $1::numeric"
    "   ORDER BY score DESC, first_id, second_id LIMIT $2::int"
    ")"
    " SELECT t.reason, t.score::text, f.*, s.* FROM top t"
    " CROSS JOIN LATERAL (SELECT " CONTACTS_CLIENT_COLUMNS CONTACTS_CLIENT_FROM
    "                     WHERE c.id = t.first_id) f"
    " CROSS JOIN LATERAL (SELECT " CONTACTS_CLIENT_COLUMNS CONTACTS_CLIENT_FROM
    "                     WHERE c.id = t.second_id) s"
    " ORDER BY t.score DESC, t.first_id, t.second_id";

static int
s_find_duplicates (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__FindDuplicatesRequest *request = (Crmq__FindDuplicatesRequest *)
        contacts_request_unpack (&crmq__find_duplicates_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code;
    int limit = request->limit? request->limit: DUPLICATES_DEFAULT_LIMIT;
    if (limit < 1 || limit > DUPLICATES_MAX_LIMIT) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "limit", "limit must be 1..%d (0 = %d)",
                                 DUPLICATES_MAX_LIMIT, DUPLICATES_DEFAULT_LIMIT);
        goto done;
    }
    char min_score [48] = DUPLICATES_DEFAULT_MIN;
    const Crmq__Decimal *min = request->min_score;
    if (min && (min->units || min->nanos)) {
        //  a fraction above 0, at most 1
        bool fraction = (min->units == 0 && min->nanos > 0 && min->nanos < 1000000000)
                     || (min->units == 1 && min->nanos == 0);
        if (!fraction) {
            code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "min_score",
                                     "min_score must be above 0 and at most 1 (0 = %s)",
                                     DUPLICATES_DEFAULT_MIN);
            goto done;
        }
        crmq_decimal_format (min->units, min->nanos, min_score, sizeof min_score);
    }
    char limit_text [16];
    snprintf (limit_text, sizeof limit_text, "%d", limit);
    const char *values [2] = { min_score, limit_text };
    PGresult *result = crmq_pg_exec (self->pg, SQL_DUPLICATES, 2, values);
    if (!result) {
        code = contacts_db_error (self, reply);
        goto done;
    }
    int rows = PQntuples (result);
    size_t slots = rows? (size_t) rows: 1;
    Crmq__DuplicatePair *pairs = (Crmq__DuplicatePair *) zmalloc (slots * sizeof (Crmq__DuplicatePair));
    Crmq__DuplicatePair **pointers = (Crmq__DuplicatePair **) zmalloc (slots * sizeof (Crmq__DuplicatePair *));
    Crmq__Client *clients = (Crmq__Client *) zmalloc (2 * slots * sizeof (Crmq__Client));
    Crmq__Decimal *scores = (Crmq__Decimal *) zmalloc (slots * sizeof (Crmq__Decimal));
    for (int row = 0; row < rows; row++) {
        Crmq__DuplicatePair *pair = &pairs [row];
        crmq__duplicate_pair__init (pair);
        pair->reason = PQgetvalue (result, row, 0);
        s_decimal_from_text (&scores [row], PQgetvalue (result, row, 1));
        pair->score = &scores [row];
        contacts_client_from_row (&clients [2 * row], result, row, 2);
        contacts_client_from_row (&clients [2 * row + 1], result, row, 2 + CONTACTS_CLIENT_NCOLUMNS);
        pair->first = &clients [2 * row];
        pair->second = &clients [2 * row + 1];
        pointers [row] = pair;
    }
    Crmq__FindDuplicatesReply answer = CRMQ__FIND_DUPLICATES_REPLY__INIT;
    answer.n_pairs = (size_t) rows;
    answer.pairs = pointers;
    code = crmq_reply_ok (reply, &answer.base);
    for (int client = 0; client < 2 * rows; client++)
        contacts_client_clear (&clients [client]);
    free (scores);
    free (clients);
    free (pointers);
    free (pairs);
    PQclear (result);
done:
    crmq_message_free (&request->base);
    return code;
}

//  --------------------------------------------------------------------------
//  contacts.MergeClients
//  Parameters of the statements below: $1 the survivor's id, $2 the merged
//  client's id.

//  Both rows locked in id order (two merges of the same clients never
//  deadlock); status, external id, where an already merged one went, and
//  the phone, country and e-mail (M_* below).
static const char *SQL_MERGE_LOCK =
    "SELECT c.id, c.status, coalesce (c.external_id, ''),"
    "       coalesce ((SELECT g.survivor_id FROM contacts.merges g WHERE g.merged_id = c.id), 0),"
    "       c.phone, c.country, c.email"
    "  FROM contacts.clients c WHERE c.id IN ($1::bigint, $2::bigint)"
    " ORDER BY c.id FOR UPDATE";
enum { M_PHONE = 4, M_COUNTRY, M_EMAIL, M_COLUMNS };

//  The same value of a channel: the same type and normalized value (E.164,
//  a lower-case e-mail), or, where there is none (addresses, messengers,
//  web; a phone stored without one), the same value as entered.
#define SAME_CHANNEL(a, b) \
    " " a ".type = " b ".type AND CASE WHEN " b ".normalized <> ''" \
    " THEN " a ".normalized = " b ".normalized ELSE " a ".value = " b ".value END"

//  A channel of the merged client's own that the survivor has as its own
//  already is not moved but dropped (below); when it was the primary of its
//  type and the survivor has none, the survivor's equal channel takes the
//  flag first.
static const char *SQL_MERGE_PROMOTE_DUPLICATES =
    "UPDATE contacts.channels sc SET is_primary = true"
    " WHERE sc.id IN (SELECT min (s.id) FROM contacts.channels s JOIN contacts.channels m"
    "                  ON" SAME_CHANNEL ("s", "m")
    "                  WHERE s.client_id = $1::bigint AND s.person_id IS NULL"
    "                    AND m.client_id = $2::bigint AND m.person_id IS NULL AND m.is_primary"
    "                  GROUP BY s.type)"
    "   AND NOT EXISTS (SELECT 1 FROM contacts.channels p"
    "                    WHERE p.client_id = $1::bigint AND p.person_id IS NULL AND p.is_primary"
    "                      AND p.type = sc.type)";

static const char *SQL_MERGE_DROP_DUPLICATES =
    "DELETE FROM contacts.channels m"
    " WHERE m.client_id = $2::bigint AND m.person_id IS NULL"
    "   AND EXISTS (SELECT 1 FROM contacts.channels s"
    "                WHERE s.client_id = $1::bigint AND s.person_id IS NULL AND" SAME_CHANNEL ("s", "m") ")";

static const char *SQL_MERGE_PERSONS =
    "UPDATE contacts.persons SET client_id = $1::bigint, updated_at = now ()"
    " WHERE client_id = $2::bigint";

//  channels_primary_idx allows one primary per owner and type: a primary
//  that would meet the survivor's own primary of its type stops being one.
//  (A person's channels move with the person, whose id is the survivor's
//  nowhere else, so only the client's own channels can meet.)
static const char *SQL_MERGE_DEMOTE_PRIMARIES =
    "UPDATE contacts.channels mc SET is_primary = false"
    " WHERE mc.client_id = $2::bigint AND mc.is_primary"
    "   AND EXISTS (SELECT 1 FROM contacts.channels sc"
    "                WHERE sc.client_id = $1::bigint AND sc.is_primary AND sc.type = mc.type"
    "                  AND coalesce (sc.person_id, 0) = coalesce (mc.person_id, 0))";

static const char *SQL_MERGE_CHANNELS =
    "UPDATE contacts.channels SET client_id = $1::bigint WHERE client_id = $2::bigint";

static const char *SQL_MERGE_INTERACTIONS =
    "UPDATE contacts.interactions SET client_id = $1::bigint WHERE client_id = $2::bigint";

//  Memberships the survivor has already are not copied (counted: the copies).
static const char *SQL_MERGE_COPY_MEMBERSHIPS =
    "INSERT INTO contacts.segment_members (segment_id, client_id, added_at)"
    " SELECT segment_id, $1::bigint, added_at FROM contacts.segment_members"
    "  WHERE client_id = $2::bigint"
    " ON CONFLICT DO NOTHING";

static const char *SQL_MERGE_DROP_MEMBERSHIPS =
    "DELETE FROM contacts.segment_members WHERE client_id = $1::bigint";

//  The survivor's empty fields from the merged client; tags united in order
//  (the survivor's first); attributes united, the survivor's keys winning;
//  the relationship began at the earlier of the two dates.  $3: the E.164
//  form of the phone the survivor ends with, computed by s_merge_phones.
static const char *SQL_MERGE_FILL_SURVIVOR =
    "UPDATE contacts.clients s SET"
    "  legal_name = CASE WHEN s.legal_name = '' THEN m.legal_name ELSE s.legal_name END,"
    "  tax_id = CASE WHEN s.tax_id = '' THEN m.tax_id ELSE s.tax_id END,"
    "  country = CASE WHEN s.country = '' THEN m.country ELSE s.country END,"
    "  region = CASE WHEN s.region = '' THEN m.region ELSE s.region END,"
    "  city = CASE WHEN s.city = '' THEN m.city ELSE s.city END,"
    "  address = CASE WHEN s.address = '' THEN m.address ELSE s.address END,"
    "  postal_code = CASE WHEN s.postal_code = '' THEN m.postal_code ELSE s.postal_code END,"
    "  phone = CASE WHEN s.phone = '' THEN m.phone ELSE s.phone END,"
    "  phone_e164 = $3::text,"
    "  email = CASE WHEN s.email = '' THEN m.email ELSE s.email END,"
    "  category = CASE WHEN s.category = '' THEN m.category ELSE s.category END,"
    "  source = CASE WHEN s.source = '' THEN m.source ELSE s.source END,"
    "  manager_id = coalesce (s.manager_id, m.manager_id),"
    "  relationship_since = least (s.relationship_since, m.relationship_since),"
    "  tags = s.tags || ARRAY (SELECT u.tag FROM unnest (m.tags) WITH ORDINALITY u (tag, n)"
    "                          WHERE u.tag <> ALL (s.tags) GROUP BY u.tag ORDER BY min (u.n)),"
    "  attributes = m.attributes || s.attributes"
    " FROM contacts.clients m WHERE s.id = $1::bigint AND m.id = $2::bigint";

//  The merged client's phone and e-mail become channels of the survivor
//  (filled above, its channels moved) unless it has them already: the
//  phone ($3: its E.164 form, read in the merged client's country; '' when
//  it has none, and a phone channel always has one, so such a phone is
//  kept only in the survivor's own field when that was empty) when it is
//  neither the survivor's phone nor the normalized value of one of its
//  phone channels (its persons' too); the e-mail ($4: true when it is an
//  address, contacts_email_valid) when it is neither the survivor's e-mail
//  nor one of its e-mail channels, ignoring case.
static const char *SQL_MERGE_KEEP_CONTACTS =
    "INSERT INTO contacts.channels (client_id, type, kind, value, normalized)"
    " SELECT s.id, 'phone', 'work', m.phone, $3::text"
    "   FROM contacts.clients s, contacts.clients m"
    "  WHERE s.id = $1::bigint AND m.id = $2::bigint AND $3::text <> ''"
    "    AND s.phone <> m.phone AND s.phone_e164 <> $3::text"
    "    AND NOT EXISTS (SELECT 1 FROM contacts.channels ch"
    "                     WHERE ch.client_id = s.id AND ch.type = 'phone'"
    "                       AND (ch.normalized = $3::text OR ch.value = m.phone))"
    " UNION ALL"
    " SELECT s.id, 'email', 'work', m.email, lower (m.email)"
    "   FROM contacts.clients s, contacts.clients m"
    "  WHERE s.id = $1::bigint AND m.id = $2::bigint AND $4::boolean AND m.email <> ''"
    "    AND lower (s.email) <> lower (m.email)"
    "    AND NOT EXISTS (SELECT 1 FROM contacts.channels ch"
    "                     WHERE ch.client_id = s.id AND ch.type = 'email'"
    "                       AND (ch.normalized = lower (m.email) OR lower (ch.value) = lower (m.email)))";

static const char *SQL_MERGE_MARK_MERGED =
    "UPDATE contacts.clients SET status = 'merged' WHERE id = $1::bigint";

//  Ids merged into the merged client earlier now resolve to the survivor.
static const char *SQL_MERGE_REPOINT =
    "UPDATE contacts.merges SET survivor_id = $1::bigint WHERE survivor_id = $2::bigint";

//  $3 the actor.  Returns when, in microseconds since the epoch.
static const char *SQL_MERGE_RECORD =
    "INSERT INTO contacts.merges (merged_id, survivor_id, actor)"
    " VALUES ($2::bigint, $1::bigint, coalesce (nullif ($3, ''), 'system'))"
    " RETURNING (extract (epoch FROM merged_at) * 1000000)::bigint";

static const char *SQL_MERGE_SURVIVOR =
    "SELECT " CONTACTS_CLIENT_COLUMNS CONTACTS_CLIENT_FROM " WHERE c.id = $1::bigint";

typedef struct {
    contacts_server_t *self;
    Crmq__MergeClientsRequest *request;
    crmq_reply_t *reply;
    char survivor_id [24];
    char merged_id [24];
    //  what the transaction found and did
    int32_t persons, channels, interactions, memberships;
    int32_t channels_dropped;           //  the merged client's, which the survivor had
    char survivor_e164 [CRMQ_PHONE_E164_MAX];   //  the phone the survivor ends with
    char merged_e164 [CRMQ_PHONE_E164_MAX];     //  the merged client's phone
    bool merged_email_valid;            //  the merged client's e-mail is an address
    PGresult *survivor;                 //  read back, when committed
} merge_t;

//  Runs a statement on (survivor, merged) or, with `merged_only`, on
//  (merged), followed by `extra` more parameters ($3...); returns the
//  number of rows it touched, or -1.
static int
s_merge_step_with (crmq_pg_t *pg, merge_t *job, const char *sql, bool merged_only,
                   int extra, const char *const *more)
{
    const char *values [4] = { job->survivor_id, job->merged_id };
    assert (extra >= 0 && extra <= 2 && (extra == 0 || !merged_only));
    for (int i = 0; i < extra; i++)
        values [2 + i] = more [i];
    PGresult *result = merged_only? crmq_pg_exec (pg, sql, 1, values + 1)
                                  : crmq_pg_exec (pg, sql, 2 + extra, values);
    if (!result)
        return -1;
    int rows = atoi (PQcmdTuples (result));
    PQclear (result);
    return rows;
}

static int
s_merge_step (crmq_pg_t *pg, merge_t *job, const char *sql, bool merged_only)
{
    return s_merge_step_with (pg, job, sql, merged_only, 0, NULL);
}

//  From the two locked rows (SQL_MERGE_LOCK; `survivor`, `merged`: their
//  row numbers) the E.164 forms the merge writes, each read in its
//  client's country (contacts_phone_e164; "" when it has none): the
//  merged client's phone, and the phone the survivor ends with (its own,
//  read in its country or, when it has none, in the merged client's it
//  takes; or, when it has no phone, the merged client's); and whether the
//  merged client's e-mail is an address.
static void
s_merge_phones (merge_t *job, PGresult *rows, int survivor, int merged)
{
    const char *m_phone = PQgetvalue (rows, merged, M_PHONE);
    const char *m_country = PQgetvalue (rows, merged, M_COUNTRY);
    const char *s_phone = PQgetvalue (rows, survivor, M_PHONE);
    const char *s_country = PQgetvalue (rows, survivor, M_COUNTRY);
    job->merged_e164 [0] = 0;
    if (*m_phone && contacts_phone_e164 (job->self, m_country, m_phone, job->merged_e164,
                                         sizeof job->merged_e164) != 0)
        job->merged_e164 [0] = 0;
    snprintf (job->survivor_e164, sizeof job->survivor_e164, "%s", job->merged_e164);
    if (*s_phone && contacts_phone_e164 (job->self, *s_country? s_country: m_country, s_phone,
                                         job->survivor_e164, sizeof job->survivor_e164) != 0)
        job->survivor_e164 [0] = 0;
    const char *m_email = PQgetvalue (rows, merged, M_EMAIL);
    job->merged_email_valid = *m_email && contacts_email_valid (m_email);
}

//  Checks the two locked rows: both there, neither archived nor merged;
//  then reads their phones and e-mail (s_merge_phones).  Returns 0, a
//  status code after crmq_reply_error, or -1.
static int
s_merge_check (crmq_pg_t *pg, merge_t *job, char *survivor_external_id, char *merged_external_id,
               size_t external_id_size)
{
    const char *values [2] = { job->survivor_id, job->merged_id };
    PGresult *result = crmq_pg_exec (pg, SQL_MERGE_LOCK, 2, values);
    if (!result)
        return -1;
    int code = 0;
    const char *fields [2] = { "survivor_id", "merged_id" };
    int64_t ids [2] = { job->request->survivor_id, job->request->merged_id };
    char *external_ids [2] = { survivor_external_id, merged_external_id };
    int rows [2] = { -1, -1 };
    for (int which = 0; which < 2 && code == 0; which++) {
        int row = 0;
        while (row < PQntuples (result) && strtoll (PQgetvalue (result, row, 0), NULL, 10) != ids [which])
            row++;
        if (row == PQntuples (result)) {
            code = crmq_reply_error (job->reply, CRMQ_NOT_FOUND, fields [which],
                                     "no client with id %" PRId64, ids [which]);
            break;
        }
        const char *status = PQgetvalue (result, row, 1);
        if (streq (status, "archived"))
            code = crmq_reply_error (job->reply, CRMQ_FAILED_PRECONDITION, fields [which],
                                     "client %" PRId64 " is archived: restore it before merging",
                                     ids [which]);
        else
        if (streq (status, "merged"))
            code = crmq_reply_error (job->reply, CRMQ_FAILED_PRECONDITION, fields [which],
                                     "client %" PRId64 " was already merged into client %s",
                                     ids [which], PQgetvalue (result, row, 3));
        else {
            snprintf (external_ids [which], external_id_size, "%s", PQgetvalue (result, row, 2));
            rows [which] = row;
        }
    }
    if (code == 0)
        s_merge_phones (job, result, rows [0], rows [1]);
    PQclear (result);
    return code;
}

static int
s_merge_tx (crmq_pg_t *pg, void *arg)
{
    merge_t *job = (merge_t *) arg;
    PQclear (job->survivor);
    job->survivor = NULL;
    if (contacts_set_actor (pg, job->request->actor) != 0)
        return -1;
    char survivor_external_id [CONTACTS_MAX_ID + 1] = "";
    char merged_external_id [CONTACTS_MAX_ID + 1] = "";
    int code = s_merge_check (pg, job, survivor_external_id, merged_external_id,
                              sizeof survivor_external_id);
    if (code != 0)
        return code;

    const char *fill [1] = { job->survivor_e164 };
    const char *keep [2] = { job->merged_e164, job->merged_email_valid? "true": "false" };
    if ((job->persons = s_merge_step (pg, job, SQL_MERGE_PERSONS, false)) < 0
    ||  s_merge_step (pg, job, SQL_MERGE_PROMOTE_DUPLICATES, false) < 0
    ||  (job->channels_dropped = s_merge_step (pg, job, SQL_MERGE_DROP_DUPLICATES, false)) < 0
    ||  s_merge_step (pg, job, SQL_MERGE_DEMOTE_PRIMARIES, false) < 0
    ||  (job->channels = s_merge_step (pg, job, SQL_MERGE_CHANNELS, false)) < 0
    ||  (job->interactions = s_merge_step (pg, job, SQL_MERGE_INTERACTIONS, false)) < 0
    ||  (job->memberships = s_merge_step (pg, job, SQL_MERGE_COPY_MEMBERSHIPS, false)) < 0
    ||  s_merge_step (pg, job, SQL_MERGE_DROP_MEMBERSHIPS, true) < 0
    ||  s_merge_step_with (pg, job, SQL_MERGE_FILL_SURVIVOR, false, 1, fill) < 0
    ||  s_merge_step_with (pg, job, SQL_MERGE_KEEP_CONTACTS, false, 2, keep) < 0
    ||  s_merge_step (pg, job, SQL_MERGE_MARK_MERGED, true) < 0
    ||  s_merge_step (pg, job, SQL_MERGE_REPOINT, false) < 0)
        return -1;

    const char *values [3] = { job->survivor_id, job->merged_id, job->request->actor };
    PGresult *result = crmq_pg_exec (pg, SQL_MERGE_RECORD, 3, values);
    if (!result)
        return -1;
    Crmq__ClientMerged event = CRMQ__CLIENT_MERGED__INIT;
    event.survivor_id = job->request->survivor_id;
    event.merged_id = job->request->merged_id;
    event.survivor_external_id = survivor_external_id;
    event.merged_external_id = merged_external_id;
    event.merged_at_us = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    event.actor = *job->request->actor? job->request->actor: "system";
    PQclear (result);
    if (crmq_outbox_write (pg, "contacts", "contacts.client.merged", &event.base) < 0)
        return -1;

    job->survivor = crmq_pg_exec (pg, SQL_MERGE_SURVIVOR, 1, values);
    return job->survivor? 0: -1;
}

static int
s_merge_clients (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__MergeClientsRequest *request = (Crmq__MergeClientsRequest *)
        contacts_request_unpack (&crmq__merge_clients_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code;
    if (request->survivor_id <= 0) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "survivor_id",
                                 "survivor_id must be a client's id (> 0)");
        goto done;
    }
    if (request->merged_id <= 0) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "merged_id",
                                 "merged_id must be a client's id (> 0)");
        goto done;
    }
    if (request->merged_id == request->survivor_id) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "merged_id",
                                 "a client cannot be merged into itself (%" PRId64 ")",
                                 request->merged_id);
        goto done;
    }
    if (!contacts_check (reply, "actor", request->actor, 0, CONTACTS_MAX_ACTOR, false)) {
        code = CRMQ_INVALID_ARGUMENT;
        goto done;
    }
    merge_t job = { .self = self, .request = request, .reply = reply };
    contacts_id_text (request->survivor_id, job.survivor_id, sizeof job.survivor_id);
    contacts_id_text (request->merged_id, job.merged_id, sizeof job.merged_id);
    code = contacts_transaction (self, s_merge_tx, &job, reply);
    if (code != 0) {
        PQclear (job.survivor);
        goto done;
    }
    if (PQntuples (job.survivor) != 1) {            //  locked, so never gone; but say so
        PQclear (job.survivor);
        code = crmq_reply_error (reply, CRMQ_INTERNAL, NULL, "survivor %s not read back",
                                 job.survivor_id);
        goto done;
    }
    Crmq__Client survivor;
    contacts_client_from_row (&survivor, job.survivor, 0, 0);
    Crmq__MergeClientsReply answer = CRMQ__MERGE_CLIENTS_REPLY__INIT;
    answer.survivor = &survivor;
    answer.persons_moved = job.persons;
    answer.channels_moved = job.channels;
    answer.interactions_moved = job.interactions;
    answer.segment_memberships_moved = job.memberships;
    code = crmq_reply_ok (reply, &answer.base);
    contacts_client_clear (&survivor);
    PQclear (job.survivor);
done:
    crmq_message_free (&request->base);
    return code;
}

const crmq_rpc_method_t client_search_methods [] = {
    { "contacts.Search", s_search },
    { "contacts.FindDuplicates", s_find_duplicates },
    { "contacts.MergeClients", s_merge_clients },
    { NULL, NULL }
};

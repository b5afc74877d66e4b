/*  segment_store.c - segments; see segment_store.h.  */
#include "segment_store.h"

#define SEGMENT_MAX_NAME     200         //  bytes of a segment's name
#define SEGMENT_MAX_VALUES   100         //  values in one list of a rule
#define SEGMENT_MAX_VALUE    200         //  bytes of one value of a rule
#define SEGMENT_MAX_MEMBERS  10000       //  client ids in one AddToSegment / RemoveFromSegment

//  --------------------------------------------------------------------------
//  Rule evaluation: one fixed SQL text whose parameters are the conditions,
//  NULL for a condition the rule does not set (see s_rule_params_init):
//  $1 categories, $2 regions, $3 sources, $4 countries (text[], compared in
//  lower case), $5 tags_any (text[], overlap), $6 statuses, $7 kinds
//  (text[]), $8 manager_ids (bigint[]), $9 since_from, $10 since_to (date).
//  The lower-cased lists are uncorrelated sub-selects: computed once per
//  statement, not per row.

#define RULE_NPARAMS 10
#define RULE_WHERE \
    " WHERE c.status <> 'merged'" \
    "   AND ($1::text[] IS NULL OR lower (c.category)" \
    "        = ANY (ARRAY (SELECT lower (v) FROM unnest ($1::text[]) v)))" \
    "   AND ($2::text[] IS NULL OR lower (c.region)" \
    "        = ANY (ARRAY (SELECT lower (v) FROM unnest ($2::text[]) v)))" \
    "   AND ($3::text[] IS NULL OR lower (c.source)" \
    "        = ANY (ARRAY (SELECT lower (v) FROM unnest ($3::text[]) v)))" \
    "   AND ($4::text[] IS NULL OR lower (c.country)" \
    "        = ANY (ARRAY (SELECT lower (v) FROM unnest ($4::text[]) v)))" \
    "   AND ($5::text[] IS NULL OR c.tags && $5::text[])" \
    "   AND ($6::text[] IS NULL OR c.status = ANY ($6::text[]))" \
    "   AND ($7::text[] IS NULL OR c.kind = ANY ($7::text[]))" \
    "   AND ($8::bigint[] IS NULL OR c.manager_id = ANY ($8::bigint[]))" \
    "   AND ($9::date IS NULL OR c.relationship_since >= $9::date)" \
    "   AND ($10::date IS NULL OR c.relationship_since < $10::date)"

static const char *SQL_RULE_COUNT =
    "SELECT count(*) FROM contacts.clients c" RULE_WHERE;

static const char *SQL_RULE_CLIENTS =
    "SELECT " CONTACTS_CLIENT_COLUMNS CONTACTS_CLIENT_FROM RULE_WHERE
    "   AND c.id > $11::bigint ORDER BY c.id LIMIT $12::int";

//  The parameters of RULE_WHERE for one rule, and room for two more.
typedef struct {
    crmq_pg_array_t *lists [8];
    const char *values [RULE_NPARAMS + 2];
} rule_params_t;

//  Fills `self` from `rule`, which must outlive it.  Free with s_rule_params_clear.
static void
s_rule_params_init (rule_params_t *self, const Crmq__SegmentRule *rule)
{
    memset (self, 0, sizeof *self);
    char *const *texts [7] = { rule->categories, rule->regions, rule->sources, rule->countries,
                               rule->tags_any, rule->statuses, rule->kinds };
    size_t counts [7] = { rule->n_categories, rule->n_regions, rule->n_sources, rule->n_countries,
                          rule->n_tags_any, rule->n_statuses, rule->n_kinds };
    for (int list = 0; list < 7; list++) {
        if (counts [list] == 0)
            continue;
        self->lists [list] = crmq_pg_array_new ();
        for (size_t i = 0; i < counts [list]; i++)
            crmq_pg_array_append (self->lists [list], texts [list][i]);
        self->values [list] = crmq_pg_array_text (self->lists [list]);
    }
    if (rule->n_manager_ids) {
        self->lists [7] = crmq_pg_array_new ();
        for (size_t i = 0; i < rule->n_manager_ids; i++) {
            char id [24];
            contacts_id_text (rule->manager_ids [i], id, sizeof id);
            crmq_pg_array_append (self->lists [7], id);
        }
        self->values [7] = crmq_pg_array_text (self->lists [7]);
    }
    self->values [8] = *rule->since_from? rule->since_from: NULL;
    self->values [9] = *rule->since_to? rule->since_to: NULL;
}

static void
s_rule_params_clear (rule_params_t *self)
{
    for (int list = 0; list < 8; list++)
        crmq_pg_array_destroy (&self->lists [list]);
}

//  Checks every condition of a rule segment's rule.  On failure fills the
//  reply with INVALID_ARGUMENT naming the field and returns false.
static bool
s_rule_valid (const Crmq__SegmentRule *rule, crmq_reply_t *reply)
{
    static const char *const STATUSES [] = { "active", "archived", NULL };
    static const char *const KINDS [] = { "company", "person", NULL };
    const struct {
        const char *name;
        size_t count;
        char *const *values;
        const char *const *allowed;         //  NULL = any text
    } lists [] = {
        { "categories", rule->n_categories, rule->categories, NULL },
        { "regions", rule->n_regions, rule->regions, NULL },
        { "sources", rule->n_sources, rule->sources, NULL },
        { "countries", rule->n_countries, rule->countries, NULL },
        { "tags_any", rule->n_tags_any, rule->tags_any, NULL },
        { "statuses", rule->n_statuses, rule->statuses, STATUSES },
        { "kinds", rule->n_kinds, rule->kinds, KINDS },
    };
    size_t conditions = 0;
    char field [64];
    for (size_t list = 0; list < sizeof lists / sizeof lists [0]; list++) {
        if (lists [list].count > SEGMENT_MAX_VALUES) {
            snprintf (field, sizeof field, "segment.rule.%s", lists [list].name);
            crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field, "%s: at most %d values",
                              field, SEGMENT_MAX_VALUES);
            return false;
        }
        for (size_t i = 0; i < lists [list].count; i++) {
            const char *value = lists [list].values [i];
            snprintf (field, sizeof field, "segment.rule.%s[%zu]", lists [list].name, i);
            if (!contacts_check (reply, field, value, 1, SEGMENT_MAX_VALUE, true))
                return false;
            const char *const *allowed = lists [list].allowed;
            if (allowed) {
                while (*allowed && !streq (*allowed, value))
                    allowed++;
                if (!*allowed) {
                    crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field,
                                      "%s must be one of %s, %s, not \"%s\"", field,
                                      lists [list].allowed [0], lists [list].allowed [1], value);
                    return false;
                }
            }
        }
        conditions += lists [list].count;
    }
    if (rule->n_manager_ids > SEGMENT_MAX_VALUES) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "segment.rule.manager_ids",
                          "segment.rule.manager_ids: at most %d values", SEGMENT_MAX_VALUES);
        return false;
    }
    for (size_t i = 0; i < rule->n_manager_ids; i++)
        if (rule->manager_ids [i] <= 0) {
            snprintf (field, sizeof field, "segment.rule.manager_ids[%zu]", i);
            crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field, "%s must be > 0, not %" PRId64,
                              field, rule->manager_ids [i]);
            return false;
        }
    conditions += rule->n_manager_ids;
    const char *names [2] = { "segment.rule.since_from", "segment.rule.since_to" };
    const char *dates [2] = { rule->since_from, rule->since_to };
    for (int i = 0; i < 2; i++) {
        if (!*dates [i])
            continue;
        //  checked as an identifier first, so the message may quote it
        if (!contacts_check (reply, names [i], dates [i], 0, 10, true))
            return false;
        if (!contacts_date_valid (dates [i])) {
            crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, names [i],
                              "%s must be a date YYYY-MM-DD, not \"%s\"", names [i], dates [i]);
            return false;
        }
        conditions++;
    }
    if (*rule->since_from && *rule->since_to && strcmp (rule->since_from, rule->since_to) >= 0) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "segment.rule.since_to",
                          "segment.rule.since_to (%s) must be after since_from (%s)",
                          rule->since_to, rule->since_from);
        return false;
    }
    if (conditions == 0) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "segment.rule",
                          "segment.rule holds no condition");
        return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Reading segments

//  A segment's columns, its member count last (which only a static segment uses).
#define SEGMENT_SELECT \
    "SELECT s.id, s.name, s.kind, s.description, s.rule," \
    "       (SELECT count(*) FROM contacts.segment_members m WHERE m.segment_id = s.id)" \
    "  FROM contacts.segments s"

static const char *SQL_SEGMENT_GET = SEGMENT_SELECT " WHERE s.id = $1::bigint";
static const char *SQL_SEGMENT_LIST = SEGMENT_SELECT " ORDER BY s.id";
static const char *SQL_SEGMENT_KIND = "SELECT kind, rule FROM contacts.segments WHERE id = $1::bigint";

//  Unpacks the rule stored in column `column` of `row` (bytea as text).
//  Returns the rule (free with crmq__segment_rule__free_unpacked (rule, NULL)),
//  or NULL when the column is NULL or does not hold a rule.
static Crmq__SegmentRule *
s_rule_from_row (PGresult *result, int row, int column)
{
    if (PQgetisnull (result, row, column))
        return NULL;
    size_t size = 0;
    unsigned char *bytes = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, row, column),
                                            &size);
    if (!bytes)
        return NULL;
    Crmq__SegmentRule *rule = crmq__segment_rule__unpack (NULL, size, bytes);
    PQfreemem (bytes);
    return rule;
}

//  A segment as replied.
typedef struct {
    Crmq__Segment segment;              //  strings point into the row's result
    Crmq__SegmentRule *rule;            //  unpacked from the row; NULL for a static segment
} segment_t;

//  Reads row `row` of a SEGMENT_SELECT result into `self` and its current
//  client count; for a rule segment that is one count query.  Returns 0;
//  -1 after a failed statement; CRMQ_INTERNAL when the stored rule cannot be
//  read.  Free with s_segment_clear whatever it returned.
static int
s_segment_read (crmq_pg_t *pg, PGresult *result, int row, segment_t *self)
{
    crmq__segment__init (&self->segment);
    self->rule = NULL;
    self->segment.id = strtoll (PQgetvalue (result, row, 0), NULL, 10);
    self->segment.name = PQgetvalue (result, row, 1);
    self->segment.kind = PQgetvalue (result, row, 2);
    self->segment.description = PQgetvalue (result, row, 3);
    if (streq (self->segment.kind, "static")) {
        self->segment.clients = strtoll (PQgetvalue (result, row, 5), NULL, 10);
        return 0;
    }
    self->rule = s_rule_from_row (result, row, 4);
    if (!self->rule)
        return CRMQ_INTERNAL;
    self->segment.rule = self->rule;
    rule_params_t params;
    s_rule_params_init (&params, self->rule);
    PGresult *count = crmq_pg_exec (pg, SQL_RULE_COUNT, RULE_NPARAMS, params.values);
    s_rule_params_clear (&params);
    if (!count)
        return -1;
    self->segment.clients = strtoll (PQgetvalue (count, 0, 0), NULL, 10);
    PQclear (count);
    return 0;
}

static void
s_segment_clear (segment_t *self)
{
    if (self->rule)
        crmq__segment_rule__free_unpacked (self->rule, NULL);
    self->rule = NULL;
    self->segment.rule = NULL;
}

//  Replies with a SegmentReply holding segment `id` as it is now, with its
//  client count, and stores it under `request_key` (NULL or "" = none; then
//  call it inside the write's transaction).  Returns the reply's code.
static int
s_reply_segment (contacts_server_t *self, int64_t id, crmq_reply_t *reply, const char *request_key)
{
    char text [24];
    contacts_id_text (id, text, sizeof text);
    const char *values [1] = { text };
    PGresult *result = crmq_pg_exec (self->pg, SQL_SEGMENT_GET, 1, values);
    if (!result)
        return contacts_db_error (self, reply);
    if (PQntuples (result) == 0) {           //  deleted meanwhile
        PQclear (result);
        return crmq_reply_error (reply, CRMQ_NOT_FOUND, "segment.id", "no segment with id %s", text);
    }
    segment_t segment;
    int code = s_segment_read (self->pg, result, 0, &segment);
    if (code < 0)
        code = contacts_db_error (self, reply);
    else
    if (code > 0)
        code = crmq_reply_error (reply, code, NULL, "segment %s: its stored rule is unreadable", text);
    else {
        Crmq__SegmentReply answer = CRMQ__SEGMENT_REPLY__INIT;
        answer.segment = &segment.segment;
        code = contacts_write_reply (self->pg, request_key, &answer.base, reply) == 0
             ? CRMQ_OK: contacts_db_error (self, reply);
    }
    s_segment_clear (&segment);
    PQclear (result);
    return code;
}

//  --------------------------------------------------------------------------
//  contacts.SaveSegment

static const char *SQL_SEGMENT_KIND_FOR_UPDATE =
    "SELECT kind FROM contacts.segments WHERE id = $1::bigint FOR UPDATE";

static const char *SQL_SEGMENT_NAME_TAKEN =
    "SELECT id FROM contacts.segments WHERE name = $1 AND id <> $2::bigint";

//  The first of the managers ($1) that does not exist: its index and id.
static const char *SQL_FIRST_UNKNOWN_MANAGER =
    "SELECT i.ord - 1, i.id FROM unnest ($1::bigint[]) WITH ORDINALITY AS i (id, ord)"
    " WHERE NOT EXISTS (SELECT 1 FROM contacts.managers m WHERE m.id = i.id)"
    " ORDER BY i.ord LIMIT 1";

static const char *SQL_SEGMENT_INSERT =
    "INSERT INTO contacts.segments (name, kind, description, rule)"
    " VALUES ($1, $2, $3, $4::bytea) RETURNING id";

static const char *SQL_SEGMENT_UPDATE =
    "UPDATE contacts.segments SET name = $1, description = $3, rule = $4::bytea, updated_at = now()"
    " WHERE id = $2::bigint";

typedef struct {
    contacts_server_t *self;
    Crmq__SegmentRequest *request;
    const char *manager_ids;            //  bigint[] literal of the rule's managers; NULL = none
    const uint8_t *rule;                //  the packed rule; NULL for a static segment
    int rule_size;
    crmq_reply_t *reply;
    int64_t id;                         //  out: the segment's id
} save_segment_t;

static int
s_save_segment_tx (crmq_pg_t *pg, void *arg)
{
    save_segment_t *job = (save_segment_t *) arg;
    Crmq__Segment *segment = job->request->segment;
    //  a new segment's reply is stored under the request key, and sent
    //  again (claim 0) for a resend
    const char *key = segment->id? "": job->request->request_key;
    int claim = contacts_write_begin (pg, job->request->actor, key, "contacts.SaveSegment",
                                      &crmq__segment_reply__descriptor, job->reply);
    if (claim != 1)
        return claim;
    char id [24];
    contacts_id_text (segment->id, id, sizeof id);
    if (segment->id) {
        const char *values [1] = { id };
        PGresult *result = crmq_pg_exec (pg, SQL_SEGMENT_KIND_FOR_UPDATE, 1, values);
        if (!result)
            return -1;
        if (PQntuples (result) == 0) {
            PQclear (result);
            return crmq_reply_error (job->reply, CRMQ_NOT_FOUND, "segment.id",
                                     "no segment with id %s", id);
        }
        char kind [16];
        snprintf (kind, sizeof kind, "%s", PQgetvalue (result, 0, 0));
        PQclear (result);
        if (!streq (kind, segment->kind))
            return crmq_reply_error (job->reply, CRMQ_FAILED_PRECONDITION, "segment.kind",
                                     "segment %s is a %s segment; a segment's kind cannot change",
                                     id, kind);
    }
    const char *values [4] = { segment->name, id, segment->description, (const char *) job->rule };
    PGresult *result = crmq_pg_exec (pg, SQL_SEGMENT_NAME_TAKEN, 2, values);
    if (!result)
        return -1;
    if (PQntuples (result)) {
        int code = crmq_reply_error (job->reply, CRMQ_ALREADY_EXISTS, "segment.name",
                                     "segment %s is already named \"%s\"",
                                     PQgetvalue (result, 0, 0), segment->name);
        PQclear (result);
        return code;
    }
    PQclear (result);
    if (job->manager_ids) {
        const char *managers [1] = { job->manager_ids };
        result = crmq_pg_exec (pg, SQL_FIRST_UNKNOWN_MANAGER, 1, managers);
        if (!result)
            return -1;
        if (PQntuples (result)) {
            char field [64];
            snprintf (field, sizeof field, "segment.rule.manager_ids[%s]", PQgetvalue (result, 0, 0));
            int code = crmq_reply_error (job->reply, CRMQ_NOT_FOUND, field, "unknown manager %s",
                                         PQgetvalue (result, 0, 1));
            PQclear (result);
            return code;
        }
        PQclear (result);
    }
    const int lengths [4] = { 0, 0, 0, job->rule_size };
    const int formats [4] = { 0, 0, 0, 1 };
    if (segment->id == 0) {
        values [1] = segment->kind;
        result = crmq_pg_execv (pg, SQL_SEGMENT_INSERT, 4, values, lengths, formats);
        if (!result)
            return -1;
        job->id = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    }
    else {
        result = crmq_pg_execv (pg, SQL_SEGMENT_UPDATE, 4, values, lengths, formats);
        if (!result)
            return -1;
        job->id = segment->id;
    }
    PQclear (result);
    int code = s_reply_segment (job->self, job->id, job->reply, key);
    return code == CRMQ_OK? 0: code;
}

static int
s_save_segment (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__SegmentRequest *request = (Crmq__SegmentRequest *)
        contacts_request_unpack (&crmq__segment_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code = CRMQ_INVALID_ARGUMENT;
    Crmq__Segment *segment = request->segment;
    if (!segment) {
        crmq_reply_error (reply, code, "segment", "give the segment");
        goto done;
    }
    if (segment->id < 0) {
        crmq_reply_error (reply, code, "segment.id", "segment.id must be 0 (create) or a segment's id");
        goto done;
    }
    if (!contacts_check_name (reply, "segment.name", segment->name, 1, SEGMENT_MAX_NAME)
    ||  !contacts_check (reply, "segment.description", segment->description, 0, CONTACTS_MAX_FIELD, false)
    ||  !contacts_check (reply, "actor", request->actor, 0, CONTACTS_MAX_ACTOR, true))
        goto done;
    bool rule_kind = streq (segment->kind, "rule");
    if (!rule_kind && !streq (segment->kind, "static")) {
        crmq_reply_error (reply, code, "segment.kind", "segment.kind must be static or rule");
        goto done;
    }
    if (!rule_kind && segment->rule) {
        crmq_reply_error (reply, code, "segment.rule", "a static segment has no rule");
        goto done;
    }
    if (rule_kind && !segment->rule) {
        crmq_reply_error (reply, code, "segment.rule", "a rule segment needs a rule");
        goto done;
    }
    if (rule_kind && !s_rule_valid (segment->rule, reply))
        goto done;

    uint8_t *packed = NULL;
    size_t packed_size = 0;
    crmq_pg_array_t *managers = NULL;
    if (rule_kind) {
        //  a copy of the conditions only: unknown fields are not stored
        const Crmq__SegmentRule *r = segment->rule;
        Crmq__SegmentRule rule = CRMQ__SEGMENT_RULE__INIT;
        rule.n_categories = r->n_categories, rule.categories = r->categories;
        rule.n_regions = r->n_regions, rule.regions = r->regions;
        rule.n_sources = r->n_sources, rule.sources = r->sources;
        rule.n_tags_any = r->n_tags_any, rule.tags_any = r->tags_any;
        rule.n_manager_ids = r->n_manager_ids, rule.manager_ids = r->manager_ids;
        rule.n_statuses = r->n_statuses, rule.statuses = r->statuses;
        rule.since_from = r->since_from, rule.since_to = r->since_to;
        rule.n_kinds = r->n_kinds, rule.kinds = r->kinds;
        rule.n_countries = r->n_countries, rule.countries = r->countries;
        packed_size = crmq__segment_rule__get_packed_size (&rule);
        packed = (uint8_t *) zmalloc (packed_size? packed_size: 1);
        crmq__segment_rule__pack (&rule, packed);
        if (r->n_manager_ids) {
            managers = crmq_pg_array_new ();
            for (size_t i = 0; i < r->n_manager_ids; i++) {
                char id [24];
                contacts_id_text (r->manager_ids [i], id, sizeof id);
                crmq_pg_array_append (managers, id);
            }
        }
    }
    save_segment_t job = { self, request, managers? crmq_pg_array_text (managers): NULL,
                           packed, (int) packed_size, reply, 0 };
    //  0: the reply was set in the transaction
    code = contacts_transaction (self, s_save_segment_tx, &job, reply);
    crmq_pg_array_destroy (&managers);
    free (packed);
done:
    crmq_message_free (&request->base);
    return code;
}

//  --------------------------------------------------------------------------
//  contacts.ListSegments

static int
s_list_segments (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__ListSegmentsRequest *request = (Crmq__ListSegmentsRequest *)
        contacts_request_unpack (&crmq__list_segments_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    crmq_message_free (&request->base);

    PGresult *result = crmq_pg_exec (self->pg, SQL_SEGMENT_LIST, 0, NULL);
    if (!result)
        return contacts_db_error (self, reply);
    int rows = PQntuples (result);
    segment_t *segments = (segment_t *) zmalloc ((rows? rows: 1) * sizeof (segment_t));
    Crmq__Segment **pointers = (Crmq__Segment **) zmalloc ((rows? rows: 1) * sizeof (Crmq__Segment *));
    int code = CRMQ_OK, read = 0;
    for (; read < rows && code == CRMQ_OK; read++) {
        code = s_segment_read (self->pg, result, read, &segments [read]);
        pointers [read] = &segments [read].segment;
        if (code < 0)
            code = contacts_db_error (self, reply);
        else
        if (code > 0)
            code = crmq_reply_error (reply, code, NULL, "segment %" PRId64 ": its stored rule is unreadable",
                                     segments [read].segment.id);
    }
    if (code == CRMQ_OK) {
        Crmq__ListSegmentsReply answer = CRMQ__LIST_SEGMENTS_REPLY__INIT;
        answer.n_segments = (size_t) rows;
        answer.segments = pointers;
        code = crmq_reply_ok (reply, &answer.base);
    }
    for (int row = 0; row < read; row++)
        s_segment_clear (&segments [row]);
    free (pointers);
    free (segments);
    PQclear (result);
    return code;
}

//  --------------------------------------------------------------------------
//  contacts.DeleteSegment

static const char *SQL_SEGMENT_DELETE =
    "DELETE FROM contacts.segments WHERE id = $1::bigint RETURNING id";

static int
s_delete_segment (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__RemoveRequest *request = (Crmq__RemoveRequest *)
        contacts_request_unpack (&crmq__remove_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code;
    char id [24];
    contacts_id_text (request->id, id, sizeof id);
    if (request->id <= 0) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "id", "id must be a segment's id");
        goto done;
    }
    if (!contacts_check (reply, "actor", request->actor, 0, CONTACTS_MAX_ACTOR, true)) {
        code = CRMQ_INVALID_ARGUMENT;
        goto done;
    }
    //  one statement: its members go with it (ON DELETE CASCADE)
    const char *values [1] = { id };
    PGresult *result = crmq_pg_exec (self->pg, SQL_SEGMENT_DELETE, 1, values);
    if (!result) {
        code = contacts_db_error (self, reply);
        goto done;
    }
    bool found = PQntuples (result) > 0;
    PQclear (result);
    if (found) {
        Crmq__RemoveReply answer = CRMQ__REMOVE_REPLY__INIT;
        code = crmq_reply_ok (reply, &answer.base);
    }
    else
        code = crmq_reply_error (reply, CRMQ_NOT_FOUND, "id", "no segment with id %s", id);
done:
    crmq_message_free (&request->base);
    return code;
}

//  --------------------------------------------------------------------------
//  contacts.AddToSegment and contacts.RemoveFromSegment

static const char *SQL_SEGMENT_KIND_FOR_SHARE =
    "SELECT kind FROM contacts.segments WHERE id = $1::bigint FOR SHARE";

//  Holds the clients ($1) still until commit, so none is merged meanwhile;
//  in id order, so concurrent requests cannot deadlock on them.
static const char *SQL_CLIENTS_LOCK =
    "SELECT count(*) FROM (SELECT 1 FROM contacts.clients WHERE id = ANY ($1::bigint[])"
    " ORDER BY id FOR SHARE) locked";

//  Of the clients ($1), the first unknown one, else the first merged one:
//  its index, id, and whether it is unknown.
static const char *SQL_FIRST_BAD_CLIENT =
    "SELECT i.ord - 1, i.id, c.id IS NULL"
    "  FROM unnest ($1::bigint[]) WITH ORDINALITY AS i (id, ord)"
    "  LEFT JOIN contacts.clients c ON c.id = i.id"
    " WHERE c.id IS NULL OR c.status = 'merged'"
    " ORDER BY c.id IS NOT NULL, i.ord LIMIT 1";

static const char *SQL_MEMBERS_ADD =
    "INSERT INTO contacts.segment_members (segment_id, client_id)"
    " SELECT DISTINCT $1::bigint, unnest ($2::bigint[]) ON CONFLICT DO NOTHING";

static const char *SQL_MEMBERS_REMOVE =
    "DELETE FROM contacts.segment_members"
    " WHERE segment_id = $1::bigint AND client_id = ANY ($2::bigint[])";

typedef struct {
    Crmq__SegmentMembersRequest *request;
    bool add;
    const char *client_ids;             //  bigint[] literal
    crmq_reply_t *reply;
} members_t;

static int
s_members_tx (crmq_pg_t *pg, void *arg)
{
    members_t *job = (members_t *) arg;
    if (contacts_set_actor (pg, job->request->actor) != 0)
        return -1;
    char id [24];
    contacts_id_text (job->request->segment_id, id, sizeof id);
    const char *values [2] = { id, job->client_ids };
    PGresult *result = crmq_pg_exec (pg, SQL_SEGMENT_KIND_FOR_SHARE, 1, values);
    if (!result)
        return -1;
    if (PQntuples (result) == 0) {
        PQclear (result);
        return crmq_reply_error (job->reply, CRMQ_NOT_FOUND, "segment_id", "no segment with id %s", id);
    }
    bool rule = streq (PQgetvalue (result, 0, 0), "rule");
    PQclear (result);
    if (rule)
        return crmq_reply_error (job->reply, CRMQ_FAILED_PRECONDITION, "segment_id",
                                 "segment %s is a rule segment: its clients follow from its rule", id);
    if (job->add && crmq_pg_command (pg, SQL_CLIENTS_LOCK, 1, values + 1) != 0)
        return -1;
    result = crmq_pg_exec (pg, SQL_FIRST_BAD_CLIENT, 1, values + 1);
    if (!result)
        return -1;
    if (PQntuples (result)) {
        char field [32];
        snprintf (field, sizeof field, "client_ids[%s]", PQgetvalue (result, 0, 0));
        int code = streq (PQgetvalue (result, 0, 2), "t")
                 ? crmq_reply_error (job->reply, CRMQ_NOT_FOUND, field, "no client with id %s",
                                     PQgetvalue (result, 0, 1))
                 : contacts_client_merged (pg, PQgetvalue (result, 0, 1), job->reply, field);
        PQclear (result);
        return code;
    }
    PQclear (result);
    return crmq_pg_command (pg, job->add? SQL_MEMBERS_ADD: SQL_MEMBERS_REMOVE, 2, values);
}

//  Adds (add) or removes clients of a static segment; replies with the segment.
static int
s_members (contacts_server_t *self, const uint8_t *body, size_t size, crmq_reply_t *reply, bool add)
{
    Crmq__SegmentMembersRequest *request = (Crmq__SegmentMembersRequest *)
        contacts_request_unpack (&crmq__segment_members_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code = CRMQ_INVALID_ARGUMENT;
    crmq_pg_array_t *ids = NULL;
    if (request->segment_id <= 0) {
        crmq_reply_error (reply, code, "segment_id", "segment_id must be a segment's id");
        goto done;
    }
    if (request->n_client_ids == 0 || request->n_client_ids > SEGMENT_MAX_MEMBERS) {
        crmq_reply_error (reply, code, "client_ids", "client_ids: 1 to %d per request",
                          SEGMENT_MAX_MEMBERS);
        goto done;
    }
    if (!contacts_check (reply, "actor", request->actor, 0, CONTACTS_MAX_ACTOR, true))
        goto done;
    ids = crmq_pg_array_new ();
    for (size_t i = 0; i < request->n_client_ids; i++) {
        if (request->client_ids [i] <= 0) {
            char field [48];
            snprintf (field, sizeof field, "client_ids[%zu]", i);
            crmq_reply_error (reply, code, field, "%s must be a client's id, not %" PRId64,
                              field, request->client_ids [i]);
            goto done;
        }
        char id [24];
        contacts_id_text (request->client_ids [i], id, sizeof id);
        crmq_pg_array_append (ids, id);
    }
    members_t job = { request, add, crmq_pg_array_text (ids), reply };
    code = contacts_transaction (self, s_members_tx, &job, reply);
    if (code == 0)
        code = s_reply_segment (self, request->segment_id, reply, NULL);
done:
    crmq_pg_array_destroy (&ids);
    crmq_message_free (&request->base);
    return code;
}

static int
s_add_to_segment (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    return s_members ((contacts_server_t *) state, body, size, reply, true);
}

static int
s_remove_from_segment (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    return s_members ((contacts_server_t *) state, body, size, reply, false);
}

//  --------------------------------------------------------------------------
//  contacts.SegmentClients

static const char *SQL_STATIC_CLIENTS =
    "SELECT " CONTACTS_CLIENT_COLUMNS CONTACTS_CLIENT_FROM
    "  JOIN contacts.segment_members s ON s.client_id = c.id"
    " WHERE s.segment_id = $1::bigint AND c.status <> 'merged' AND c.id > $2::bigint"
    " ORDER BY c.id LIMIT $3::int";

static int
s_segment_clients (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__SegmentClientsRequest *request = (Crmq__SegmentClientsRequest *)
        contacts_request_unpack (&crmq__segment_clients_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code;
    int limit = request->limit? request->limit: 100;
    if (request->segment_id <= 0) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "segment_id",
                                 "segment_id must be a segment's id");
        goto done;
    }
    if (limit < 1 || limit > 1000) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "limit", "limit must be 1..1000");
        goto done;
    }
    if (request->after_id < 0) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "after_id", "after_id must be >= 0");
        goto done;
    }
    char id [24], after [24], count [16];
    contacts_id_text (request->segment_id, id, sizeof id);
    contacts_id_text (request->after_id, after, sizeof after);
    snprintf (count, sizeof count, "%d", limit + 1);     //  one more tells if there are more
    const char *values [3] = { id, after, count };
    PGresult *segment = crmq_pg_exec (self->pg, SQL_SEGMENT_KIND, 1, values);
    if (!segment) {
        code = contacts_db_error (self, reply);
        goto done;
    }
    if (PQntuples (segment) == 0) {
        PQclear (segment);
        code = crmq_reply_error (reply, CRMQ_NOT_FOUND, "segment_id", "no segment with id %s", id);
        goto done;
    }
    PGresult *result = NULL;
    if (streq (PQgetvalue (segment, 0, 0), "static"))
        result = crmq_pg_exec (self->pg, SQL_STATIC_CLIENTS, 3, values);
    else {
        Crmq__SegmentRule *rule = s_rule_from_row (segment, 0, 1);
        if (!rule) {
            PQclear (segment);
            code = crmq_reply_error (reply, CRMQ_INTERNAL, NULL,
                                     "segment %s: its stored rule is unreadable", id);
            goto done;
        }
        rule_params_t params;
        s_rule_params_init (&params, rule);
        params.values [RULE_NPARAMS] = after;
        params.values [RULE_NPARAMS + 1] = count;
        result = crmq_pg_exec (self->pg, SQL_RULE_CLIENTS, RULE_NPARAMS + 2, params.values);
        s_rule_params_clear (&params);
        crmq__segment_rule__free_unpacked (rule, NULL);
    }
    PQclear (segment);
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

const crmq_rpc_method_t segment_store_methods [] = {
    { "contacts.SaveSegment", s_save_segment },
    { "contacts.ListSegments", s_list_segments },
    { "contacts.DeleteSegment", s_delete_segment },
    { "contacts.AddToSegment", s_add_to_segment },
    { "contacts.RemoveFromSegment", s_remove_from_segment },
    { "contacts.SegmentClients", s_segment_clients },
    { NULL, NULL }
};

/*  interaction_log.c - interaction history, requests and complaints; see interaction_log.h.  */
#include "interaction_log.h"
#include "interaction_row.h"
#include <jansson.h>
#include <strings.h>

#define INTERACTION_MAX_ATTACHMENTS  20
#define INTERACTION_MAX_URL          2000
#define INTERACTION_MAX_LIST         1000    //  interactions in one ListInteractions page
#define INTERACTION_MAX_FILTER       100     //  values in one channels or kinds filter

//  Instants an interaction may start or end at: the years 1900 to 2200, UTC.
#define INTERACTION_MIN_US  (-2208988800LL * 1000000)      //  1900-01-01 00:00:00
#define INTERACTION_END_US  (7289654400LL * 1000000)       //  2201-01-01 00:00:00, excluded

static const char *const s_channels [] = { "call", "email", "meeting", "message", "web", "other", NULL };
static const char *const s_kinds [] = { "contact", "request", "complaint", "note", NULL };
static const char *const s_severities [] = { "low", "medium", "high", "critical", NULL };
static const char *const s_case_statuses [] = { "open", "in_progress", "resolved", "closed", NULL };
static const char *const s_contact_statuses [] = { "planned", "done", NULL };

static const char *SQL_INTERACTION =
    "SELECT " INTERACTION_ROW_COLUMNS " FROM contacts.interactions i WHERE i.id = $1::bigint";

static const char *SQL_INTERACTION_FOR_UPDATE =
    "SELECT " INTERACTION_ROW_COLUMNS " FROM contacts.interactions i WHERE i.id = $1::bigint FOR UPDATE";

static const char *SQL_MANAGER_EXISTS =
    "SELECT 1 FROM contacts.managers WHERE id = $1::bigint";

static const char *SQL_PERSON_CLIENT =
    "SELECT client_id FROM contacts.persons WHERE id = $1::bigint";

static const char *SQL_INSERT_INTERACTION =
    "INSERT INTO contacts.interactions"
    "  (client_id, channel, kind, direction, subject, text, outcome, started_at, ended_at,"
    "   manager_id, person_id, deal_ref, order_ref, lead_ref, attachments, topic, severity,"
    "   status, actor)"
    " VALUES ($1::bigint, $2, $3, $4, $5, $6, $7, $8::timestamptz, $9::timestamptz,"
    "         $10::bigint, $11::bigint, $12, $13, $14, $15::jsonb, $16, $17, $18, $19)"
    " RETURNING id";

//  $1 the id; then for each of status, outcome, ended_at, text a flag
//  (set it?) and the new value.
static const char *SQL_UPDATE_INTERACTION =
    "UPDATE contacts.interactions SET"
    "  status = CASE WHEN $2::boolean THEN $3 ELSE status END,"
    "  outcome = CASE WHEN $4::boolean THEN $5 ELSE outcome END,"
    "  ended_at = CASE WHEN $6::boolean THEN $7::timestamptz ELSE ended_at END,"
    "  text = CASE WHEN $8::boolean THEN $9 ELSE text END"
    " WHERE id = $1::bigint";

//  The id a client id reads as: itself, or the survivor it was merged into
//  (following merges of survivors), and whether that client exists.
static const char *SQL_RESOLVE_CLIENT =
    CONTACTS_MERGE_CHAIN ("SELECT $1::bigint, 0")
    " SELECT chain.id FROM chain JOIN contacts.clients c ON c.id = chain.id"
    " ORDER BY chain.depth DESC LIMIT 1";

//  $1 client id or NULL, $2 manager id or NULL, $3 channels or NULL, $4 kinds
//  or NULL, $5 from or NULL, $6 to or NULL, $7 before id or NULL, $8 rows.
static const char *SQL_LIST_INTERACTIONS =
    "SELECT " INTERACTION_ROW_COLUMNS " FROM contacts.interactions i"
    " WHERE ($1::bigint IS NULL OR i.client_id = $1::bigint)"
    "   AND ($2::bigint IS NULL OR i.manager_id = $2::bigint)"
    "   AND ($3::text[] IS NULL OR i.channel = ANY ($3::text[]))"
    "   AND ($4::text[] IS NULL OR i.kind = ANY ($4::text[]))"
    "   AND ($5::timestamptz IS NULL OR i.started_at >= $5::timestamptz)"
    "   AND ($6::timestamptz IS NULL OR i.started_at < $6::timestamptz)"
    "   AND ($7::bigint IS NULL OR (i.started_at, i.id) <"
    "        (SELECT b.started_at, b.id FROM contacts.interactions b WHERE b.id = $7::bigint))"
    " ORDER BY i.started_at DESC, i.id DESC LIMIT $8::int";

//  --------------------------------------------------------------------------
//  Helpers

static bool
s_is_case (const char *kind)
{
    return streq (kind, "request") || streq (kind, "complaint");
}

//  True when `us` lies in the years 1900 to 2200.
static bool
s_instant_valid (int64_t us)
{
    return us >= INTERACTION_MIN_US && us < INTERACTION_END_US;
}

//  Checks one value of an enumeration; on failure fills the reply (3).
static bool
s_check_enum (crmq_reply_t *reply, const char *field, const char *value, const char *const *list,
              const char *allowed)
{
    if (contacts_one_of (value, list))
        return true;
    crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field, "%s must be one of %s", field, allowed);
    return false;
}

//  Checks an attachment's URL: http:// or https://, something after the
//  scheme, no spaces, 1..INTERACTION_MAX_URL bytes of text.
static bool
s_check_url (crmq_reply_t *reply, const char *field, const char *url)
{
    if (!contacts_check (reply, field, url, 1, INTERACTION_MAX_URL, true))
        return false;
    size_t scheme = strncasecmp (url, "http://", 7) == 0? 7
                  : strncasecmp (url, "https://", 8) == 0? 8: 0;
    bool valid = scheme && url [scheme] != 0 && url [scheme] != '/';
    for (const char *s = url; valid && *s; s++)
        valid = *s != ' ';
    if (valid)
        return true;
    crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field,
                      "%s must be an http:// or https:// URL without spaces", field);
    return false;
}

//  The attachments as the jsonb array [{"name", "url", "size_bytes"}]
//  (checked before).  Returns the text (caller frees), NULL on no memory.
static char *
s_attachments_json (const Crmq__Interaction *interaction)
{
    json_t *array = json_array ();
    bool built = array != NULL;
    for (size_t i = 0; built && i < interaction->n_attachments; i++) {
        const Crmq__Attachment *a = interaction->attachments [i];
        json_t *item = json_pack ("{s:s, s:s, s:I}", "name", a->name, "url", a->url,
                                  "size_bytes", (json_int_t) a->size_bytes);
        built = item && json_array_append_new (array, item) == 0;
    }
    char *text = built? json_dumps (array, JSON_COMPACT): NULL;
    json_decref (array);
    return text;
}

//  Writes `topic` with the interaction of row 0 of `stored` and
//  previous_status to bus.outbox.  Returns 0, or -1 after a failed statement.
static int
s_write_event (crmq_pg_t *pg, PGresult *stored, const char *topic, const char *previous_status)
{
    Crmq__Interaction interaction;
    interaction_row_read (&interaction, stored, 0);
    Crmq__InteractionEvent event = CRMQ__INTERACTION_EVENT__INIT;
    event.interaction = &interaction;
    event.previous_status = (char *) previous_status;
    int64_t seq = crmq_outbox_write (pg, "contacts", topic, &event.base);
    interaction_row_clear (&interaction);
    return seq < 0? -1: 0;
}

//  Replies with the interaction of row 0 of `stored`.
static int
s_reply_interaction (crmq_reply_t *reply, PGresult *stored)
{
    Crmq__Interaction interaction;
    interaction_row_read (&interaction, stored, 0);
    Crmq__InteractionReply answer = CRMQ__INTERACTION_REPLY__INIT;
    answer.interaction = &interaction;
    int code = crmq_reply_ok (reply, &answer.base);
    interaction_row_clear (&interaction);
    return code;
}

//  --------------------------------------------------------------------------
//  contacts.LogInteraction

//  Checks everything about a new interaction that needs no database and
//  sets *kind and *status (the request's, or their defaults; static or the
//  request's strings).  On failure fills the reply (3).
static bool
s_check_new (crmq_reply_t *reply, const Crmq__Interaction *it, const char *actor,
             const char **kind_p, const char **status_p)
{
    if (!contacts_check (reply, "actor", actor, 0, CONTACTS_MAX_ACTOR, false))
        return false;
    if (it->id != 0) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "interaction.id",
                          "interaction.id must be 0 to log an interaction; UpdateInteraction changes one");
        return false;
    }
    if (it->client_id <= 0) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "interaction.client_id",
                          "interaction.client_id is required");
        return false;
    }
    const char *kind = *it->kind? it->kind: "contact";
    bool is_case = s_is_case (kind);
    const char *status = *it->status? it->status: is_case? "open": "done";
    *kind_p = kind;
    *status_p = status;
    if (!s_check_enum (reply, "interaction.channel", it->channel, s_channels,
                       "call, email, meeting, message, web, other")
    ||  !s_check_enum (reply, "interaction.kind", kind, s_kinds,
                       "contact, request, complaint, note"))
        return false;
    if (!(streq (it->direction, "in") || streq (it->direction, "out")
       || (streq (it->direction, "") && streq (kind, "note")))) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "interaction.direction",
                          "interaction.direction must be in or out (a note may leave it empty)");
        return false;
    }
    if (!contacts_check (reply, "interaction.subject", it->subject, 0, CONTACTS_MAX_FIELD, false)
    ||  !contacts_check (reply, "interaction.text", it->text, 0, CONTACTS_MAX_TEXT, false)
    ||  !contacts_check (reply, "interaction.outcome", it->outcome, 0, CONTACTS_MAX_FIELD, false)
    ||  !contacts_check (reply, "interaction.deal_ref", it->deal_ref, 0, CONTACTS_MAX_ID, true)
    ||  !contacts_check (reply, "interaction.order_ref", it->order_ref, 0, CONTACTS_MAX_ID, true)
    ||  !contacts_check (reply, "interaction.lead_ref", it->lead_ref, 0, CONTACTS_MAX_ID, true))
        return false;
    if (it->started_at_us == 0 || !s_instant_valid (it->started_at_us)) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "interaction.started_at_us",
                          "interaction.started_at_us is required, within the years 1900 to 2200");
        return false;
    }
    if (it->ended_at_us != 0
    && (!s_instant_valid (it->ended_at_us) || it->ended_at_us < it->started_at_us)) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "interaction.ended_at_us",
                          "interaction.ended_at_us must be 0 or at or after started_at_us");
        return false;
    }
    if (it->manager_id < 0 || it->person_id < 0) {
        const char *field = it->manager_id < 0? "interaction.manager_id": "interaction.person_id";
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field, "%s must be 0 or an id", field);
        return false;
    }
    if (it->n_attachments > INTERACTION_MAX_ATTACHMENTS) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "interaction.attachments",
                          "interaction.attachments: at most %d", INTERACTION_MAX_ATTACHMENTS);
        return false;
    }
    for (size_t i = 0; i < it->n_attachments; i++) {
        Crmq__Attachment *a = it->attachments [i];
        char field [64];
        snprintf (field, sizeof field, "interaction.attachments[%zu].url", i);
        if (!contacts_check_item (reply, "interaction.attachments", i, "name", a->name, 1, CONTACTS_MAX_NAME)
        ||  !s_check_url (reply, field, a->url))
            return false;
        if (a->size_bytes < 0) {
            snprintf (field, sizeof field, "interaction.attachments[%zu].size_bytes", i);
            crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field, "%s must be >= 0", field);
            return false;
        }
    }
    if (is_case) {
        if (!contacts_check (reply, "interaction.topic", it->topic, 1, CONTACTS_MAX_NAME, false)
        ||  !s_check_enum (reply, "interaction.severity", it->severity, s_severities,
                           "low, medium, high, critical")
        ||  !s_check_enum (reply, "interaction.status", status, s_case_statuses,
                           "open, in_progress, resolved, closed"))
            return false;
    }
    else {
        if (*it->topic || *it->severity) {
            const char *field = *it->topic? "interaction.topic": "interaction.severity";
            crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field,
                              "%s is for requests and complaints only", field);
            return false;
        }
        if (!s_check_enum (reply, "interaction.status", status, s_contact_statuses,
                           "planned, done (for contacts and notes)"))
            return false;
    }
    return true;
}

typedef struct {
    Crmq__Interaction *interaction;     //  checked
    const char *kind, *status;          //  with their defaults
    const char *actor;
    const char *attachments;            //  jsonb text
    const char *request_key;            //  "" = none
    crmq_reply_t *reply;
} log_job_t;

//  Logs the interaction and replies it (or, for a request key seen before,
//  the first reply).
static int
s_log_tx (crmq_pg_t *pg, void *arg)
{
    log_job_t *job = (log_job_t *) arg;
    Crmq__Interaction *it = job->interaction;
    int rc = contacts_write_begin (pg, job->actor, job->request_key, "contacts.LogInteraction",
                                   &crmq__interaction_reply__descriptor, job->reply);
    if (rc != 1)
        return rc;
    rc = contacts_client_lock (pg, it->client_id, CONTACTS_LOCK_ATTACH, job->reply,
                               "interaction.client_id");
    if (rc != 0)
        return rc;

    char client_id [24], manager_id [24], person_id [24];
    const char *values [1] = { contacts_id_text (it->client_id, client_id, sizeof client_id) };
    PGresult *result;
    int code = CRMQ_OK;
    if (it->manager_id) {
        values [0] = contacts_id_text (it->manager_id, manager_id, sizeof manager_id);
        result = crmq_pg_exec (pg, SQL_MANAGER_EXISTS, 1, values);
        if (!result)
            return -1;
        if (PQntuples (result) == 0)
            code = crmq_reply_error (job->reply, CRMQ_NOT_FOUND, "interaction.manager_id",
                                     "no manager with id %s", manager_id);
        PQclear (result);
        if (code)
            return code;
    }
    if (it->person_id) {
        values [0] = contacts_id_text (it->person_id, person_id, sizeof person_id);
        result = crmq_pg_exec (pg, SQL_PERSON_CLIENT, 1, values);
        if (!result)
            return -1;
        if (PQntuples (result) == 0)
            code = crmq_reply_error (job->reply, CRMQ_INVALID_ARGUMENT, "interaction.person_id",
                                     "no contact person with id %s", person_id);
        else
        if (strtoll (PQgetvalue (result, 0, 0), NULL, 10) != it->client_id)
            code = crmq_reply_error (job->reply, CRMQ_INVALID_ARGUMENT, "interaction.person_id",
                                     "contact person %s is not a person of client %s",
                                     person_id, client_id);
        PQclear (result);
        if (code)
            return code;
    }

    char started [48], ended [48] = "";
    if (crmq_time_to_pg (it->started_at_us, started, sizeof started) < 0
    ||  (it->ended_at_us && crmq_time_to_pg (it->ended_at_us, ended, sizeof ended) < 0))
        return crmq_reply_error (job->reply, CRMQ_INVALID_ARGUMENT, "interaction.started_at_us",
                                 "unrepresentable instant");
    const char *insert [19] = {
        client_id, it->channel, job->kind, it->direction, it->subject, it->text, it->outcome,
        started, it->ended_at_us? ended: NULL, it->manager_id? manager_id: NULL,
        it->person_id? person_id: NULL, it->deal_ref, it->order_ref, it->lead_ref,
        job->attachments, it->topic, it->severity, job->status, job->actor };
    result = crmq_pg_exec (pg, SQL_INSERT_INTERACTION, 19, insert);
    if (!result)
        return -1;
    char id [24];
    snprintf (id, sizeof id, "%s", PQgetvalue (result, 0, 0));
    PQclear (result);

    values [0] = id;
    PGresult *stored = crmq_pg_exec (pg, SQL_INTERACTION, 1, values);
    if (!stored)
        return -1;
    rc = 0;
    if (s_is_case (job->kind)) {
        const char *topic = streq (job->kind, "request")? "contacts.request.opened"
                                                      : "contacts.complaint.opened";
        rc = s_write_event (pg, stored, topic, "");
    }
    if (rc == 0) {
        Crmq__Interaction interaction;
        interaction_row_read (&interaction, stored, 0);
        Crmq__InteractionReply answer = CRMQ__INTERACTION_REPLY__INIT;
        answer.interaction = &interaction;
        rc = contacts_write_reply (pg, job->request_key, &answer.base, job->reply);
        interaction_row_clear (&interaction);
    }
    PQclear (stored);
    return rc;
}

static int
s_log_interaction (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__InteractionRequest *request = (Crmq__InteractionRequest *)
        contacts_request_unpack (&crmq__interaction_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code;
    char *attachments = NULL;
    if (!request->interaction) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "interaction", "interaction is required");
        goto done;
    }
    if (request->n_fields) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "fields",
                                 "fields are for UpdateInteraction; LogInteraction stores them all");
        goto done;
    }
    const char *kind, *status;
    if (!s_check_new (reply, request->interaction, request->actor, &kind, &status)) {
        code = CRMQ_INVALID_ARGUMENT;
        goto done;
    }
    attachments = s_attachments_json (request->interaction);
    if (!attachments) {
        code = crmq_reply_error (reply, CRMQ_INTERNAL, NULL, "out of memory");
        goto done;
    }
    log_job_t job = { request->interaction, kind, status, request->actor, attachments,
                      request->request_key, reply };
    //  0: replied in the transaction
    code = contacts_transaction (self, s_log_tx, &job, reply);
done:
    free (attachments);
    crmq_message_free (&request->base);
    return code;
}

//  --------------------------------------------------------------------------
//  contacts.UpdateInteraction

//  True when a request or complaint may go from `from` to `to` (different).
static bool
s_case_transition (const char *from, const char *to)
{
    static const char *allowed [][2] = {
        { "open", "in_progress" }, { "in_progress", "resolved" }, { "resolved", "closed" },
        { "open", "resolved" }, { "resolved", "in_progress" }
    };
    for (size_t i = 0; i < sizeof allowed / sizeof allowed [0]; i++)
        if (streq (from, allowed [i][0]) && streq (to, allowed [i][1]))
            return true;
    return false;
}

typedef struct {
    Crmq__Interaction *interaction;     //  the id and the new values
    bool set_status, set_outcome, set_ended, set_text;
    const char *actor;
    crmq_reply_t *reply;
    PGresult *stored;                   //  the row as stored (owned; the last attempt's)
} update_job_t;

static int
s_update_tx (crmq_pg_t *pg, void *arg)
{
    update_job_t *job = (update_job_t *) arg;
    Crmq__Interaction *it = job->interaction;
    PQclear (job->stored);
    job->stored = NULL;
    if (contacts_set_actor (pg, job->actor) != 0)
        return -1;
    char id [24];
    const char *values [1] = { contacts_id_text (it->id, id, sizeof id) };
    PGresult *current = crmq_pg_exec (pg, SQL_INTERACTION_FOR_UPDATE, 1, values);
    if (!current)
        return -1;
    if (PQntuples (current) == 0) {
        PQclear (current);
        return crmq_reply_error (job->reply, CRMQ_NOT_FOUND, "interaction.id",
                                 "no interaction with id %s", id);
    }
    Crmq__Interaction old;
    interaction_row_read (&old, current, 0);
    bool is_case = s_is_case (old.kind);
    int code = CRMQ_OK;
    bool status_changed = job->set_status && !streq (it->status, old.status);
    if (job->set_status) {
        if (is_case)
            code = s_check_enum (job->reply, "interaction.status", it->status, s_case_statuses,
                                 "open, in_progress, resolved, closed (for requests and complaints)")
                 ? CRMQ_OK: CRMQ_INVALID_ARGUMENT;
        else
            code = s_check_enum (job->reply, "interaction.status", it->status, s_contact_statuses,
                                 "planned, done (for contacts and notes)")
                 ? CRMQ_OK: CRMQ_INVALID_ARGUMENT;
        if (code == CRMQ_OK && status_changed
        && !(is_case? s_case_transition (old.status, it->status)
                    : streq (old.status, "planned") && streq (it->status, "done")))
            code = crmq_reply_error (job->reply, CRMQ_FAILED_PRECONDITION, "interaction.status",
                                     "the %s %s is %s: it cannot become %s", old.kind, id,
                                     old.status, it->status);
    }
    if (code == CRMQ_OK && job->set_ended && it->ended_at_us && it->ended_at_us < old.started_at_us)
        code = crmq_reply_error (job->reply, CRMQ_INVALID_ARGUMENT, "interaction.ended_at_us",
                                 "interaction.ended_at_us must be 0 or at or after started_at_us");
    bool changed = status_changed
                || (job->set_outcome && !streq (it->outcome, old.outcome))
                || (job->set_ended && it->ended_at_us != old.ended_at_us)
                || (job->set_text && !streq (it->text, old.text));
    char previous_status [16];
    snprintf (previous_status, sizeof previous_status, "%s", old.status);
    char kind [16];
    snprintf (kind, sizeof kind, "%s", old.kind);
    interaction_row_clear (&old);
    if (code != CRMQ_OK || !changed) {
        //  nothing to write: the row as it is answers a repeated call
        if (code == CRMQ_OK)
            job->stored = current;
        else
            PQclear (current);
        return code;
    }
    PQclear (current);

    char ended [48] = "";
    if (it->ended_at_us && crmq_time_to_pg (it->ended_at_us, ended, sizeof ended) < 0)
        return crmq_reply_error (job->reply, CRMQ_INVALID_ARGUMENT, "interaction.ended_at_us",
                                 "unrepresentable instant");
    const char *update [9] = {
        id,
        job->set_status? "true": "false", it->status,
        job->set_outcome? "true": "false", it->outcome,
        job->set_ended? "true": "false", it->ended_at_us? ended: NULL,
        job->set_text? "true": "false", it->text };
    if (crmq_pg_command (pg, SQL_UPDATE_INTERACTION, 9, update) != 0)
        return -1;
    job->stored = crmq_pg_exec (pg, SQL_INTERACTION, 1, values);
    if (!job->stored)
        return -1;
    if (status_changed && is_case) {
        const char *topic = streq (kind, "request")? "contacts.request.updated"
                                                  : "contacts.complaint.updated";
        if (s_write_event (pg, job->stored, topic, previous_status) != 0)
            return -1;
    }
    return 0;
}

static int
s_update_interaction (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__InteractionRequest *request = (Crmq__InteractionRequest *)
        contacts_request_unpack (&crmq__interaction_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code = CRMQ_OK;
    Crmq__Interaction *it = request->interaction;
    update_job_t job = { it, false, false, false, false, request->actor, reply, NULL };
    if (!contacts_check (reply, "actor", request->actor, 0, CONTACTS_MAX_ACTOR, false)) {
        code = CRMQ_INVALID_ARGUMENT;
        goto done;
    }
    if (!it || it->id <= 0) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "interaction.id",
                                 "interaction.id is required");
        goto done;
    }
    if (request->n_fields == 0) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "fields",
                                 "fields: name at least one of status, outcome, ended_at_us, text");
        goto done;
    }
    for (size_t i = 0; i < request->n_fields; i++) {
        const char *name = request->fields [i];
        if (streq (name, "status"))
            job.set_status = true;
        else
        if (streq (name, "outcome"))
            job.set_outcome = true;
        else
        if (streq (name, "ended_at_us"))
            job.set_ended = true;
        else
        if (streq (name, "text"))
            job.set_text = true;
        else {
            char field [32];
            snprintf (field, sizeof field, "fields[%zu]", i);
            char why [64];
            code = crmq_text_valid (name, 1, 64, why, sizeof why)
                 ? crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field,
                                     "%s: %s cannot be changed; only status, outcome, ended_at_us, text",
                                     field, name)
                 : crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field,
                                     "%s: unknown field; only status, outcome, ended_at_us, text", field);
            goto done;
        }
    }
    if ((job.set_status && !*it->status
         && crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "interaction.status",
                              "interaction.status is required when fields name it"))
    ||  (job.set_outcome
         && !contacts_check (reply, "interaction.outcome", it->outcome, 0, CONTACTS_MAX_FIELD, false))
    ||  (job.set_text
         && !contacts_check (reply, "interaction.text", it->text, 0, CONTACTS_MAX_TEXT, false))
    ||  (job.set_ended && it->ended_at_us && !s_instant_valid (it->ended_at_us)
         && crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "interaction.ended_at_us",
                              "interaction.ended_at_us must be 0 or within the years 1900 to 2200"))) {
        code = CRMQ_INVALID_ARGUMENT;
        goto done;
    }
    code = contacts_transaction (self, s_update_tx, &job, reply);
    if (code == 0)
        code = s_reply_interaction (reply, job.stored);
    PQclear (job.stored);
done:
    crmq_message_free (&request->base);
    return code;
}

//  --------------------------------------------------------------------------
//  contacts.ListInteractions

//  Checks a filter's values against `list` and builds its array literal into
//  *array (NULL when the filter is empty).  On failure fills the reply (3).
static bool
s_filter (crmq_reply_t *reply, const char *name, char **values, size_t count,
          const char *const *list, const char *allowed, crmq_pg_array_t **array)
{
    *array = NULL;
    if (count > INTERACTION_MAX_FILTER) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, name, "%s: at most %d values",
                          name, INTERACTION_MAX_FILTER);
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        char field [32];
        snprintf (field, sizeof field, "%s[%zu]", name, i);
        if (!s_check_enum (reply, field, values [i], list, allowed)) {
            crmq_pg_array_destroy (array);
            return false;
        }
        if (!*array)
            *array = crmq_pg_array_new ();
        crmq_pg_array_append (*array, values [i]);
    }
    return true;
}

static int
s_list_interactions (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    contacts_server_t *self = (contacts_server_t *) state;
    Crmq__ListInteractionsRequest *request = (Crmq__ListInteractionsRequest *)
        contacts_request_unpack (&crmq__list_interactions_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code;
    crmq_pg_array_t *channels = NULL, *kinds = NULL;
    PGresult *result = NULL;
    int limit = request->limit? request->limit: 50;
    if ((request->client_id != 0) == (request->manager_id != 0)
    ||  request->client_id < 0 || request->manager_id < 0) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "client_id",
                                 "give exactly one of client_id, manager_id");
        goto done;
    }
    if (limit < 1 || limit > INTERACTION_MAX_LIST) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "limit", "limit must be 1..%d",
                                 INTERACTION_MAX_LIST);
        goto done;
    }
    if (request->before_id < 0) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "before_id", "before_id must be >= 0");
        goto done;
    }
    if (!s_filter (reply, "channels", request->channels, request->n_channels, s_channels,
                   "call, email, meeting, message, web, other", &channels)
    ||  !s_filter (reply, "kinds", request->kinds, request->n_kinds, s_kinds,
                   "contact, request, complaint, note", &kinds)) {
        code = CRMQ_INVALID_ARGUMENT;
        goto done;
    }
    char from [48] = "", to [48] = "";
    const Crmq__Period *period = request->period;
    if (period
    && ((period->from_us && crmq_time_to_pg (period->from_us, from, sizeof from) < 0)
     || (period->to_us && crmq_time_to_pg (period->to_us, to, sizeof to) < 0)
     || (period->from_us && period->to_us && period->to_us <= period->from_us))) {
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "period",
                                 "period: from_us before to_us, both within the years 1 to 9999 (0 = unbounded)");
        goto done;
    }

    char owner [24], before [24], rows [16];
    const char *values [8] = { NULL };
    if (request->client_id) {
        //  a merged client's history is its survivor's
        values [0] = contacts_id_text (request->client_id, owner, sizeof owner);
        result = crmq_pg_exec (self->pg, SQL_RESOLVE_CLIENT, 1, values);
        if (!result) {
            code = contacts_db_error (self, reply);
            goto done;
        }
        if (PQntuples (result) == 0) {
            code = crmq_reply_error (reply, CRMQ_NOT_FOUND, "client_id", "no client with id %s", owner);
            goto done;
        }
        snprintf (owner, sizeof owner, "%s", PQgetvalue (result, 0, 0));
    }
    else {
        values [0] = contacts_id_text (request->manager_id, owner, sizeof owner);
        result = crmq_pg_exec (self->pg, SQL_MANAGER_EXISTS, 1, values);
        if (!result) {
            code = contacts_db_error (self, reply);
            goto done;
        }
        if (PQntuples (result) == 0) {
            code = crmq_reply_error (reply, CRMQ_NOT_FOUND, "manager_id", "no manager with id %s", owner);
            goto done;
        }
        values [0] = NULL;
        values [1] = owner;
    }
    PQclear (result);
    result = NULL;
    values [2] = channels? crmq_pg_array_text (channels): NULL;
    values [3] = kinds? crmq_pg_array_text (kinds): NULL;
    values [4] = *from? from: NULL;
    values [5] = *to? to: NULL;
    values [6] = request->before_id? contacts_id_text (request->before_id, before, sizeof before): NULL;
    snprintf (rows, sizeof rows, "%d", limit + 1);      //  one more tells if there are more
    values [7] = rows;
    result = crmq_pg_exec (self->pg, SQL_LIST_INTERACTIONS, 8, values);
    if (!result) {
        code = contacts_db_error (self, reply);
        goto done;
    }
    int count = PQntuples (result);
    bool more = count > limit;
    if (more)
        count = limit;
    Crmq__Interaction *items = (Crmq__Interaction *) zmalloc ((count? count: 1) * sizeof (Crmq__Interaction));
    Crmq__Interaction **pointers = (Crmq__Interaction **) zmalloc ((count? count: 1) * sizeof (Crmq__Interaction *));
    for (int row = 0; row < count; row++) {
        interaction_row_read (&items [row], result, row);
        pointers [row] = &items [row];
    }
    Crmq__ListInteractionsReply answer = CRMQ__LIST_INTERACTIONS_REPLY__INIT;
    answer.n_interactions = (size_t) count;
    answer.interactions = pointers;
    answer.next_before_id = more? items [count - 1].id: 0;
    code = crmq_reply_ok (reply, &answer.base);
    for (int row = 0; row < count; row++)
        interaction_row_clear (&items [row]);
    free (pointers);
    free (items);
done:
    PQclear (result);
    crmq_pg_array_destroy (&channels);
    crmq_pg_array_destroy (&kinds);
    crmq_message_free (&request->base);
    return code;
}

const crmq_rpc_method_t interaction_log_methods [] = {
    { "contacts.LogInteraction", s_log_interaction },
    { "contacts.UpdateInteraction", s_update_interaction },
    { "contacts.ListInteractions", s_list_interactions },
    { NULL, NULL }
};

/*  alert_store.c - raising and listing alerts; see alert_store.h.  */
#include "alert_store.h"
#include <stdarg.h>

static const char *SQL_RAISE =
    "INSERT INTO scheduler.alerts (kind, subject_type, subject_id, episode, client_id,"
    "                              manager_id, cause_seq, body)"
    " VALUES ($1, $2, $3, $4::int, $5::bigint, $6::bigint, $7::bigint, $8::bytea)"
    " ON CONFLICT (kind, subject_type, subject_id, episode) DO NOTHING RETURNING id";

static const char *SQL_LIST =
    "SELECT body FROM scheduler.alerts"
    " WHERE ($1 = '' OR kind = $1) AND ($2::bigint = 0 OR client_id = $2::bigint)"
    " ORDER BY id DESC LIMIT $3::int";

//  Where client names come from: the service's one source, set at start-up.
static client_names_t *s_names = NULL;

void
alert_store_use_names (client_names_t *names)
{
    s_names = names;
}

void
alert_draft_init (alert_draft_t *self, const char *kind, const char *severity,
                  const char *subject_type, const char *subject_id)
{
    memset (self, 0, sizeof *self);
    crmq__alert__init (&self->alert);
    snprintf (self->subject_id, sizeof self->subject_id, "%s", subject_id);
    self->alert.kind = (char *) kind;
    self->alert.severity = (char *) severity;
    self->alert.subject_type = (char *) subject_type;
    self->alert.subject_id = self->subject_id;
    self->alert.client_name = self->client_name;
    self->alert.message = self->message;
    self->alert.details = self->pointers;
    self->alert.raised_us = crmq_time_now_us ();
}

void
alert_draft_detail (alert_draft_t *self, const char *key, const char *format, ...)
{
    size_t n = self->alert.n_details;
    assert (n < ALERT_DETAILS_MAX);
    Crmq__Alert__DetailsEntry *entry = &self->entries [n];
    crmq__alert__details_entry__init (entry);
    snprintf (self->keys [n], sizeof self->keys [n], "%s", key);
    va_list args;
    va_start (args, format);
    vsnprintf (self->values [n], sizeof self->values [n], format, args);
    va_end (args);
    entry->key = self->keys [n];
    entry->value = self->values [n];
    self->pointers [n] = entry;
    self->alert.n_details = n + 1;
}

void
alert_draft_message (alert_draft_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->message, sizeof self->message, format, args);
    va_end (args);
}

int
alert_store_raise (crmq_pg_t *pg, alert_draft_t *draft, int episode)
{
    Crmq__Alert *alert = &draft->alert;
    if (s_names && alert->client_id > 0 && !*draft->client_name)
        client_names_get (s_names, alert->client_id, draft->client_name, sizeof draft->client_name);
    size_t size = crmq__alert__get_packed_size (alert);
    uint8_t *body = (uint8_t *) malloc (size? size: 1);
    crmq__alert__pack (alert, body);
    char episode_text [16], client [24], manager [24], cause [24];
    snprintf (episode_text, sizeof episode_text, "%d", episode);
    snprintf (client, sizeof client, "%" PRId64, alert->client_id);
    snprintf (manager, sizeof manager, "%" PRId64, alert->manager_id);
    snprintf (cause, sizeof cause, "%" PRId64, alert->cause_seq);
    const char *values [8] = { alert->kind, alert->subject_type, alert->subject_id, episode_text,
                               client, manager, cause, (const char *) body };
    const int lengths [8] = { 0, 0, 0, 0, 0, 0, 0, (int) size };
    const int formats [8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
    PGresult *result = crmq_pg_execv (pg, SQL_RAISE, 8, values, lengths, formats);
    free (body);
    if (!result)
        return -1;
    bool raised = PQntuples (result) > 0;
    PQclear (result);
    if (!raised)
        return 0;
    char topic [128];
    snprintf (topic, sizeof topic, "alert.%s", alert->kind);
    if (crmq_outbox_write (pg, "scheduler", topic, &alert->base) < 0)
        return -1;
    crmq_log (CRMQ_LOG_INFO, "alert raised", "kind=%s subject=%s client_id=%" PRId64
              " cause_seq=%" PRId64, alert->kind, crmq_log_q (alert->subject_id),
              alert->client_id, alert->cause_seq);
    return 1;
}

int
alert_store_list (crmq_pg_t *pg, const char *kind, int64_t client_id, int limit,
                  Crmq__ListAlertsReply *reply)
{
    char client [24], limit_text [16];
    snprintf (client, sizeof client, "%" PRId64, client_id);
    snprintf (limit_text, sizeof limit_text, "%d", limit);
    const char *values [3] = { kind, client, limit_text };
    const int formats [3] = { 0, 0, 0 };
    PGresult *result = crmq_pg_execv (pg, SQL_LIST, 3, values, NULL, formats);
    if (!result)
        return -1;
    int rows = PQntuples (result);
    reply->alerts = (Crmq__Alert **) zmalloc ((rows? rows: 1) * sizeof (Crmq__Alert *));
    reply->n_alerts = 0;
    for (int row = 0; row < rows; row++) {
        size_t size = 0;
        uint8_t *body = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, row, 0), &size);
        Crmq__Alert *alert = body? (Crmq__Alert *)
            crmq_message_unpack (&crmq__alert__descriptor, body, size): NULL;
        if (body)
            PQfreemem (body);
        if (alert)
            reply->alerts [reply->n_alerts++] = alert;
    }
    PQclear (result);
    return 0;
}

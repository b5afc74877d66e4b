/*  notify_deliveries.c - enqueueing, listing and retrying deliveries; see
    notify_deliveries.h.  */
#include "notify_deliveries.h"
#include "notify_payload.h"
#include "notify_request.h"
#include "notify.pb-c.h"

#define S_LIST_DEFAULT  50
#define S_LIST_MAX      1000
#define S_RETRY_MAX     1000

//  $1 seq, $2 topic, $3 body (binary).
static const char *SQL_ENQUEUE =
    "INSERT INTO notify.deliveries (target_id, seq, topic, body)"
    " SELECT id, $1::bigint, $2, $3::bytea FROM notify.targets"
    "  WHERE active AND starts_with ($2, topic_prefix)"
    " ON CONFLICT (seq, target_id) DO NOTHING";

//  $1 state ('' = any), $2 ids below ($2 = 0: no bound), $3 rows.
static const char *SQL_LIST =
    "SELECT d.id, d.target_id, t.name, t.kind, d.topic, d.seq, d.state, d.attempts, d.last_error,"
    "       (extract (epoch FROM d.created_at) * 1000000)::bigint,"
    "       (extract (epoch FROM d.updated_at) * 1000000)::bigint,"
    "       (extract (epoch FROM d.next_attempt_at) * 1000000)::bigint,"
    "       coalesce ((extract (epoch FROM d.delivered_at) * 1000000)::bigint, 0)"
    "  FROM notify.deliveries d JOIN notify.targets t ON t.id = d.target_id"
    " WHERE ($1 = '' OR d.state = $1) AND ($2::bigint = 0 OR d.id < $2::bigint)"
    " ORDER BY d.id DESC LIMIT $3::int";

//  $1 the ids (bigint[] literal); one row an id.
static const char *SQL_RETRY_CHECK =
    "SELECT i.id, d.state, t.active, t.name"
    "  FROM (SELECT DISTINCT unnest ($1::bigint[]) AS id) i"
    "  LEFT JOIN notify.deliveries d ON d.id = i.id"
    "  LEFT JOIN notify.targets t ON t.id = d.target_id"
    " ORDER BY i.id";

//  $1 the ids, each checked dead with an active target; a row that changed
//  since is left out (and the count then tells).
static const char *SQL_RETRY_IDS =
    "UPDATE notify.deliveries d"
    "   SET state = 'pending', attempts = 0, next_attempt_at = now(), updated_at = now()"
    "  FROM notify.targets t"
    " WHERE d.id = ANY ($1::bigint[]) AND d.state = 'dead' AND t.id = d.target_id AND t.active"
    " RETURNING d.id";

static const char *SQL_RETRY_ALL =
    "UPDATE notify.deliveries d"
    "   SET state = 'pending', attempts = 0, next_attempt_at = now(), updated_at = now()"
    "  FROM notify.targets t"
    " WHERE t.id = d.target_id AND t.active AND d.state = 'dead' RETURNING d.id";

int
notify_deliveries_enqueue (crmq_pg_t *pg, const crmq_event_t *event, void *arg)
{
    ProtobufCMessage *alert = crmq_message_unpack (&crmq__alert__descriptor, event->body,
                                                   event->size);
    if (!alert)
        return CRMQ_INVALID_ARGUMENT;
    crmq_message_free (alert);
    char seq [24];
    snprintf (seq, sizeof seq, "%" PRId64, event->seq);
    const char *values [] = { seq, event->topic, (const char *) event->body };
    int lengths [] = { 0, 0, (int) event->size };
    int formats [] = { 0, 0, 1 };
    PGresult *result = crmq_pg_execv (pg, SQL_ENQUEUE, 3, values, lengths, formats);
    if (!result)
        return -1;
    int64_t written = strtoll (PQcmdTuples (result), NULL, 10);
    PQclear (result);
    if (arg)
        *(int64_t *) arg += written;
    crmq_log (CRMQ_LOG_DEBUG, "alert enqueued", "seq=%" PRId64 " topic=%s deliveries=%" PRId64,
              event->seq, crmq_log_q (event->topic), written);
    return 0;
}

//  Fills `delivery` from row `row` of a SQL_LIST result (strings point into
//  it; the key goes to `key`, 48 bytes).
static void
s_delivery (PGresult *result, int row, Crmq__NotifyDelivery *delivery, char *key)
{
    crmq__notify_delivery__init (delivery);
    delivery->id = strtoll (PQgetvalue (result, row, 0), NULL, 10);
    delivery->target_id = strtoll (PQgetvalue (result, row, 1), NULL, 10);
    delivery->target_name = PQgetvalue (result, row, 2);
    delivery->target_kind = PQgetvalue (result, row, 3);
    delivery->topic = PQgetvalue (result, row, 4);
    delivery->seq = strtoll (PQgetvalue (result, row, 5), NULL, 10);
    delivery->state = PQgetvalue (result, row, 6);
    delivery->attempts = atoi (PQgetvalue (result, row, 7));
    delivery->last_error = PQgetvalue (result, row, 8);
    delivery->created_at_us = strtoll (PQgetvalue (result, row, 9), NULL, 10);
    delivery->updated_at_us = strtoll (PQgetvalue (result, row, 10), NULL, 10);
    if (streq (delivery->state, "pending"))
        delivery->next_attempt_us = strtoll (PQgetvalue (result, row, 11), NULL, 10);
    delivery->delivered_at_us = strtoll (PQgetvalue (result, row, 12), NULL, 10);
    delivery->idempotency_key = notify_payload_key (delivery->seq, delivery->target_id, key, 48);
}

int
notify_deliveries_list (crmq_pg_t *pg, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    Crmq__NotifyListDeliveriesRequest *request = (Crmq__NotifyListDeliveriesRequest *)
        notify_request_unpack (&crmq__notify_list_deliveries_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    const char *state = request->state;
    int limit = request->limit? request->limit: S_LIST_DEFAULT;
    int code = CRMQ_OK;
    if (*state && !streq (state, "pending") && !streq (state, "delivered") && !streq (state, "dead"))
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "state",
                                 "state must be pending, delivered or dead");
    else
    if (limit < 1 || limit > S_LIST_MAX)
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "limit",
                                 "limit must be 1 to %d", S_LIST_MAX);
    else
    if (request->before_id < 0)
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "before_id",
                                 "before_id must not be negative");
    PGresult *result = NULL;
    if (code == CRMQ_OK) {
        char before [24], rows [16];
        snprintf (before, sizeof before, "%" PRId64, request->before_id);
        snprintf (rows, sizeof rows, "%d", limit + 1);
        const char *values [] = { state, before, rows };
        result = crmq_pg_exec (pg, SQL_LIST, 3, values);
        if (!result)
            code = crmq_reply_error (reply, crmq_pg_status (pg), NULL, "%s", crmq_pg_error (pg));
    }
    if (result) {
        int count = PQntuples (result) > limit? limit: PQntuples (result);
        Crmq__NotifyDelivery *deliveries = (Crmq__NotifyDelivery *)
            calloc ((size_t) count + 1, sizeof (Crmq__NotifyDelivery));
        Crmq__NotifyDelivery **pointers = (Crmq__NotifyDelivery **)
            calloc ((size_t) count + 1, sizeof (Crmq__NotifyDelivery *));
        char (*keys) [48] = (char (*) [48]) calloc ((size_t) count + 1, 48);
        if (!deliveries || !pointers || !keys)
            code = crmq_reply_error (reply, CRMQ_RESOURCE_EXHAUSTED, NULL, "out of memory");
        else {
            for (int row = 0; row < count; row++) {
                s_delivery (result, row, &deliveries [row], keys [row]);
                pointers [row] = &deliveries [row];
            }
            Crmq__NotifyListDeliveriesReply answer = CRMQ__NOTIFY_LIST_DELIVERIES_REPLY__INIT;
            answer.deliveries = pointers;
            answer.n_deliveries = (size_t) count;
            if (PQntuples (result) > limit)
                answer.next_before_id = deliveries [count - 1].id;
            code = crmq_reply_ok (reply, &answer.base);
        }
        free (keys);
        free (pointers);
        free (deliveries);
        PQclear (result);
    }
    crmq_message_free (&request->base);
    return code;
}

typedef struct {
    const Crmq__NotifyRetryRequest *request;
    const char *ids;                //  bigint[] literal of the ids asked for
    crmq_reply_t *reply;
    PGresult *retried;              //  the ids made pending
} s_retry_t;

//  Checks every id asked for: it exists, is dead, its target is active.
//  Returns 0 with *count the distinct ids, a positive code after
//  crmq_reply_error, or -1.
static int
s_retry_check (crmq_pg_t *pg, s_retry_t *job, int *count)
{
    const char *values [] = { job->ids };
    PGresult *result = crmq_pg_exec (pg, SQL_RETRY_CHECK, 1, values);
    if (!result)
        return -1;
    int code = 0;
    for (int row = 0; code == 0 && row < PQntuples (result); row++) {
        const char *id = PQgetvalue (result, row, 0);
        if (PQgetisnull (result, row, 1))
            code = crmq_reply_error (job->reply, CRMQ_NOT_FOUND, "ids", "no delivery %s", id);
        else
        if (!streq (PQgetvalue (result, row, 1), "dead"))
            code = crmq_reply_error (job->reply, CRMQ_FAILED_PRECONDITION, "ids",
                                     "delivery %s is %s, not dead", id, PQgetvalue (result, row, 1));
        else
        if (!streq (PQgetvalue (result, row, 2), "t"))
            code = crmq_reply_error (job->reply, CRMQ_FAILED_PRECONDITION, "ids",
                                     "delivery %s: its target \"%s\" was removed", id,
                                     PQgetvalue (result, row, 3));
    }
    *count = PQntuples (result);
    PQclear (result);
    return code;
}

static int
s_retry_tx (crmq_pg_t *pg, void *arg)
{
    s_retry_t *job = (s_retry_t *) arg;
    PQclear (job->retried);
    job->retried = NULL;
    if (job->request->all_dead)
        job->retried = crmq_pg_exec (pg, SQL_RETRY_ALL, 0, NULL);
    else {
        int count = 0;
        int rc = s_retry_check (pg, job, &count);
        if (rc != 0)
            return rc;
        const char *values [] = { job->ids };
        job->retried = crmq_pg_exec (pg, SQL_RETRY_IDS, 1, values);
        if (job->retried && PQntuples (job->retried) != count)
            return crmq_reply_error (job->reply, CRMQ_FAILED_PRECONDITION, "ids",
                                     "a delivery changed while retried; try again");
    }
    return job->retried? 0: -1;
}

int
notify_deliveries_retry (crmq_pg_t *pg, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    Crmq__NotifyRetryRequest *request = (Crmq__NotifyRetryRequest *)
        notify_request_unpack (&crmq__notify_retry_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    int code = CRMQ_OK;
    if (request->all_dead == (request->n_ids > 0))
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "ids",
                                 "give the ids of dead deliveries, or all_dead, not both");
    else
    if (request->n_ids > S_RETRY_MAX)
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "ids",
                                 "at most %d ids at once", S_RETRY_MAX);
    for (size_t i = 0; code == CRMQ_OK && i < request->n_ids; i++)
        if (request->ids [i] <= 0)
            code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "ids",
                                     "%" PRId64 " is not a delivery id", request->ids [i]);
    if (code != CRMQ_OK) {
        crmq_message_free (&request->base);
        return code;
    }
    crmq_pg_array_t *ids = crmq_pg_array_new ();
    for (size_t i = 0; i < request->n_ids; i++) {
        char id [24];
        snprintf (id, sizeof id, "%" PRId64, request->ids [i]);
        crmq_pg_array_append (ids, id);
    }
    s_retry_t job = { request, crmq_pg_array_text (ids), reply, NULL };
    int rc = crmq_pg_transaction (pg, s_retry_tx, &job);
    if (rc < 0)
        code = crmq_reply_error (reply, crmq_pg_status (pg), NULL, "%s", crmq_pg_error (pg));
    else
    if (rc > 0)
        code = rc;
    else {
        int rows = PQntuples (job.retried);
        int64_t *retried = (int64_t *) calloc ((size_t) rows + 1, sizeof (int64_t));
        if (!retried)
            code = crmq_reply_error (reply, CRMQ_RESOURCE_EXHAUSTED, NULL, "out of memory");
        else {
            for (int row = 0; row < rows; row++)
                retried [row] = strtoll (PQgetvalue (job.retried, row, 0), NULL, 10);
            Crmq__NotifyRetryReply answer = CRMQ__NOTIFY_RETRY_REPLY__INIT;
            answer.ids = retried;
            answer.n_ids = (size_t) rows;
            code = crmq_reply_ok (reply, &answer.base);
            crmq_log (CRMQ_LOG_INFO, "dead deliveries retried", "count=%d", rows);
        }
        free (retried);
    }
    PQclear (job.retried);
    crmq_pg_array_destroy (&ids);
    crmq_message_free (&request->base);
    return code;
}

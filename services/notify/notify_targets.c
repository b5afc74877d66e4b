/*  notify_targets.c - targets: add, list, remove; see notify_targets.h.  */
#include "notify_targets.h"
#include "notify_target.h"
#include "notify_request.h"
#include "notify.pb-c.h"

//  The columns every target query returns, in the order s_target reads.
#define S_TARGET_COLUMNS \
    "id, name, kind, address, topic_prefix, active," \
    " (extract (epoch FROM created_at) * 1000000)::bigint"

//  $1 name, $2 kind, $3 address, $4 topic prefix.
static const char *SQL_ADD =
    "INSERT INTO notify.targets (name, kind, address, topic_prefix)"
    " VALUES ($1, $2, $3, $4) RETURNING " S_TARGET_COLUMNS;

//  $1 'true' to list removed targets too.
static const char *SQL_LIST =
    "SELECT " S_TARGET_COLUMNS " FROM notify.targets"
    " WHERE active OR $1::boolean ORDER BY name, id";

//  $1 name.
static const char *SQL_DEACTIVATE =
    "UPDATE notify.targets SET active = false, removed_at = now()"
    " WHERE name = $1 AND active RETURNING " S_TARGET_COLUMNS;

//  $1 target id.
static const char *SQL_CANCEL_PENDING =
    "UPDATE notify.deliveries SET state = 'dead', last_error = 'target removed', updated_at = now()"
    " WHERE target_id = $1 AND state = 'pending'";

//  Fills `target` from row `row` of `result` (strings point into it).
static void
s_target (PGresult *result, int row, Crmq__NotifyTarget *target)
{
    crmq__notify_target__init (target);
    target->id = strtoll (PQgetvalue (result, row, 0), NULL, 10);
    target->name = PQgetvalue (result, row, 1);
    target->kind = PQgetvalue (result, row, 2);
    target->address = PQgetvalue (result, row, 3);
    target->topic_prefix = PQgetvalue (result, row, 4);
    target->active = streq (PQgetvalue (result, row, 5), "t");
    target->created_at_us = strtoll (PQgetvalue (result, row, 6), NULL, 10);
}

//  Answers a failed statement with its status and message.
static int
s_pg_error (crmq_pg_t *pg, crmq_reply_t *reply)
{
    return crmq_reply_error (reply, crmq_pg_status (pg), NULL, "%s", crmq_pg_error (pg));
}

int
notify_targets_add (crmq_pg_t *pg, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    Crmq__NotifyAddTargetRequest *request = (Crmq__NotifyAddTargetRequest *)
        notify_request_unpack (&crmq__notify_add_target_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    const char *field = NULL;
    char why [300];
    int code;
    if (!notify_target_check (request->name, request->kind, request->address,
                              request->topic_prefix, &field, why, sizeof why))
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field, "%s", why);
    else {
        const char *values [] = { request->name, request->kind, request->address,
                                  request->topic_prefix };
        PGresult *result = crmq_pg_exec (pg, SQL_ADD, 4, values);
        if (!result && streq (crmq_pg_sqlstate (pg), "23505"))
            code = crmq_reply_error (reply, CRMQ_ALREADY_EXISTS, "name",
                                     "a target named \"%s\" exists", request->name);
        else
        if (!result)
            code = s_pg_error (pg, reply);
        else {
            Crmq__NotifyTarget target;
            s_target (result, 0, &target);
            Crmq__NotifyTargetReply answer = CRMQ__NOTIFY_TARGET_REPLY__INIT;
            answer.target = &target;
            code = crmq_reply_ok (reply, &answer.base);
            crmq_log (CRMQ_LOG_INFO, "target added", "target=%" PRId64 " name=%s kind=%s",
                      target.id, crmq_log_q (target.name), target.kind);
            PQclear (result);
        }
    }
    crmq_message_free (&request->base);
    return code;
}

int
notify_targets_list (crmq_pg_t *pg, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    Crmq__NotifyListTargetsRequest *request = (Crmq__NotifyListTargetsRequest *)
        notify_request_unpack (&crmq__notify_list_targets_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    const char *values [] = { request->include_inactive? "true": "false" };
    crmq_message_free (&request->base);
    PGresult *result = crmq_pg_exec (pg, SQL_LIST, 1, values);
    if (!result)
        return s_pg_error (pg, reply);
    int rows = PQntuples (result);
    Crmq__NotifyTarget *targets = (Crmq__NotifyTarget *) calloc ((size_t) rows + 1,
                                                                 sizeof (Crmq__NotifyTarget));
    Crmq__NotifyTarget **pointers = (Crmq__NotifyTarget **) calloc ((size_t) rows + 1,
                                                                    sizeof (Crmq__NotifyTarget *));
    int code;
    if (!targets || !pointers)
        code = crmq_reply_error (reply, CRMQ_RESOURCE_EXHAUSTED, NULL, "out of memory");
    else {
        for (int row = 0; row < rows; row++) {
            s_target (result, row, &targets [row]);
            pointers [row] = &targets [row];
        }
        Crmq__NotifyListTargetsReply answer = CRMQ__NOTIFY_LIST_TARGETS_REPLY__INIT;
        answer.targets = pointers;
        answer.n_targets = (size_t) rows;
        code = crmq_reply_ok (reply, &answer.base);
    }
    free (pointers);
    free (targets);
    PQclear (result);
    return code;
}

typedef struct {
    const char *name;
    PGresult *target;               //  the deactivated row
    int64_t cancelled;
} s_remove_t;

static int
s_remove_tx (crmq_pg_t *pg, void *arg)
{
    s_remove_t *job = (s_remove_t *) arg;
    PQclear (job->target);
    job->target = NULL;
    const char *name [] = { job->name };
    job->target = crmq_pg_exec (pg, SQL_DEACTIVATE, 1, name);
    if (!job->target)
        return -1;
    if (PQntuples (job->target) == 0)
        return CRMQ_NOT_FOUND;
    const char *id [] = { PQgetvalue (job->target, 0, 0) };
    PGresult *result = crmq_pg_exec (pg, SQL_CANCEL_PENDING, 1, id);
    if (!result)
        return -1;
    job->cancelled = strtoll (PQcmdTuples (result), NULL, 10);
    PQclear (result);
    return 0;
}

int
notify_targets_remove (crmq_pg_t *pg, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    Crmq__NotifyRemoveTargetRequest *request = (Crmq__NotifyRemoveTargetRequest *)
        notify_request_unpack (&crmq__notify_remove_target_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    s_remove_t job = { request->name, NULL, 0 };
    int rc = crmq_pg_transaction (pg, s_remove_tx, &job);
    int code;
    if (rc < 0)
        code = s_pg_error (pg, reply);
    else
    if (rc == CRMQ_NOT_FOUND)
        code = crmq_reply_error (reply, CRMQ_NOT_FOUND, "name", "no target named \"%s\"",
                                 request->name);
    else {
        Crmq__NotifyTarget target;
        s_target (job.target, 0, &target);
        Crmq__NotifyRemoveTargetReply answer = CRMQ__NOTIFY_REMOVE_TARGET_REPLY__INIT;
        answer.target = &target;
        answer.deliveries_cancelled = job.cancelled;
        code = crmq_reply_ok (reply, &answer.base);
        crmq_log (CRMQ_LOG_INFO, "target removed", "target=%" PRId64 " name=%s cancelled=%" PRId64,
                  target.id, crmq_log_q (target.name), job.cancelled);
    }
    PQclear (job.target);
    crmq_message_free (&request->base);
    return code;
}

/*  report_runner.c - running reports; see report_runner.h.  */
#include "report_runner.h"
#include "report_params.h"

struct _report_runner_t {
    crmq_pg_t *pg;
    report_cache_t *cache;
    char *time_zone;
    char *currency;
    report_settings_t *settings;
    char method [160];              //  of cache keys: "Report", the result version, the
                                    //  zone, the currency and the settings' key
};

//  PostgreSQL estimates report statements (generated periods, million-row
//  aggregates) far above their cost and then spends seconds compiling them
//  with JIT for queries of milliseconds: reports run without it.
static const char *SQL_NO_JIT = "SET LOCAL jit = off";

//  The event-log position of the topics whose events accompany every change
//  reports read (bus.position, services/bus/sql/004_data_changed.sql): the
//  cache key of a report, and its as_of_seq.  For a report by dates ($1, its
//  horizon, not NULL) also the key it is cached under instead: the position
//  of every topic but the sales documents', and the sum of the rollups'
//  change counters of the days before the horizon
//  (services/sales/sql/011_rollup_marks.sql): two snapshots with the same
//  value see the same master data, contacts, rollups and return lines of the
//  days before the horizon, so documents of later days leave such a
//  report's cached result valid.  NULL (more than 1,000 unpublished
//  events): not cached.
static const char *SQL_POSITION =
    "SELECT bus.position (ARRAY['sales.', 'contacts.', 'data.changed.']),"
    " CASE WHEN $1::date IS NOT NULL THEN"
    "  bus.position (ARRAY['contacts.', 'data.changed.']) || '|before ' || $1::date || ':'"
    "  || (SELECT coalesce (sum (m.changes), 0) FROM analytics.rollup_marks m"
    "      WHERE m.day < $1::date) END";

//  The horizon of a report by dates: the later of the period's end and the
//  report date ("YYYY-MM-DD", which compare as strings), or NULL when the
//  report reads everything (not a report by dates, or an open period).
static const char *
s_horizon (const report_def_t *def, const report_run_t *run)
{
    if (!def->dated || streq (run->from_day, "-infinity") || streq (run->to_day, "infinity"))
        return NULL;
    return strcmp (run->to_day, run->as_of_day) >= 0? run->to_day: run->as_of_day;
}

report_runner_t *
report_runner_new (crmq_pg_t *pg, report_cache_t *cache, const char *time_zone,
                   const char *currency, report_settings_t *settings)
{
    report_runner_t *self = (report_runner_t *) zmalloc (sizeof (report_runner_t));
    self->pg = pg;
    self->cache = cache;
    self->time_zone = strdup (time_zone);
    self->currency = strdup (currency);
    self->settings = settings;
    snprintf (self->method, sizeof self->method, "Report.v%d.%s.%s%s%s", REPORT_RESULT_VERSION,
              time_zone, currency, settings? ".": "", settings? settings->key: "");
    return self;
}

void
report_runner_destroy (report_runner_t **self_p)
{
    report_runner_t *self = *self_p;
    if (self) {
        free (self->time_zone);
        free (self->currency);
        free (self);
        *self_p = NULL;
    }
}

//  The last event a position names: its last number ("m" or "m+s1,...,sn").
static int64_t
s_last_seq (const char *position)
{
    if (!position)
        return 0;
    const char *last = strrchr (position, ',');
    if (!last)
        last = strrchr (position, '+');
    return strtoll (last? last + 1: position, NULL, 10);
}

typedef struct {
    report_runner_t *self;
    const report_def_t *def;
    const Crmq__ReportParams *params;
    report_run_t *run;
    Crmq__ReportResult *result;     //  the answer (computed or cached), the caller's
} s_job_t;

static int
s_run_tx (crmq_pg_t *pg, void *arg)
{
    s_job_t *job = (s_job_t *) arg;
    report_run_t *run = job->run;
    if (job->result)
        crmq__report_result__free_unpacked (job->result, NULL);
    job->result = NULL;
    report_result_destroy (&run->result);
    char timeout [64];
    snprintf (timeout, sizeof timeout, "SET LOCAL statement_timeout = %d",
              job->self->settings? job->self->settings->timeout_ms: 0);
    if (crmq_pg_command (pg, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL)
    ||  crmq_pg_command (pg, SQL_NO_JIT, 0, NULL)
    ||  crmq_pg_command (pg, timeout, 0, NULL))
        return -1;
    Crmq__ReportParams *resolved = NULL;
    int rc = report_params_resolve (run, job->params, job->def, &resolved);
    if (rc != 0)
        return rc;
    const char *horizon = s_horizon (job->def, run);
    PGresult *result = crmq_pg_exec (pg, SQL_POSITION, 1, &horizon);
    if (!result) {
        crmq__report_params__free_unpacked (resolved, NULL);
        return -1;
    }
    //  NULL: too many unpublished events to name the position; not cached
    int64_t as_of_seq = PQgetisnull (result, 0, 0)? 0: s_last_seq (PQgetvalue (result, 0, 0));
    int keyed_by = horizon? 1: 0;
    char *position = PQgetisnull (result, 0, keyed_by)? NULL
                   : strdup (PQgetvalue (result, 0, keyed_by));
    PQclear (result);
    size_t key_size = protobuf_c_message_get_packed_size (&resolved->base);
    uint8_t *key = (uint8_t *) malloc (key_size? key_size: 1);
    protobuf_c_message_pack (&resolved->base, key);
    size_t packed_size = 0;
    uint8_t *packed = position? report_cache_get (job->self->cache, job->self->method, position,
                                                  key, key_size, &packed_size): NULL;
    if (!packed) {
        run->params = resolved;
        run->result = report_result_new (job->def->title, job->self->currency);
        rc = job->def->compute (run);
        if (rc == 0) {
            Crmq__ReportResult *message = report_result_message (run->result);
            message->params = resolved;
            resolved = NULL;            //  now the result's
            message->as_of_seq = as_of_seq;
            message->computed_at_us = crmq_time_now_us ();
            packed = report_result_pack (run->result, &packed_size);
            if (position)
                report_cache_put (job->self->cache, job->self->method, position, key, key_size,
                                  packed, packed_size);
            //  the caller's copy (the builder's message goes with run->result)
            job->result = crmq__report_result__unpack (NULL, packed_size, packed);
            if (!job->result)
                rc = crmq_reply_error (run->reply, CRMQ_INTERNAL, NULL,
                                       "unpacking a report result");
        }
        run->params = NULL;
    }
    else {
        //  a cached result: say so
        job->result = crmq__report_result__unpack (NULL, packed_size, packed);
        if (job->result)
            job->result->cached = true;
        else
            rc = crmq_reply_error (run->reply, CRMQ_INTERNAL, NULL, "unreadable cached report");
    }
    free (packed);
    if (resolved)
        crmq__report_params__free_unpacked (resolved, NULL);
    free (key);
    free (position);
    return rc;
}

int
report_runner_run (report_runner_t *self, const Crmq__ReportParams *params,
                   crmq_reply_t *reply, Crmq__ReportResult **result)
{
    *result = NULL;
    report_run_t run;
    memset (&run, 0, sizeof run);
    run.pg = self->pg;
    run.time_zone = self->time_zone;
    run.currency = self->currency;
    run.settings = self->settings;
    run.reply = reply;
    const report_def_t *def = NULL;
    int rc = report_params_check (params, &def, &run, reply);
    if (rc != 0)
        return rc;
    s_job_t job = { self, def, params, &run, NULL };
    rc = crmq_pg_transaction (self->pg, s_run_tx, &job);
    report_result_destroy (&run.result);
    if (rc < 0)
        rc = crmq_pg_status (self->pg) == CRMQ_DEADLINE_EXCEEDED
           ? crmq_reply_error (reply, CRMQ_DEADLINE_EXCEEDED, NULL, "the report took longer than"
                               " CRMQ_REPORT_TIMEOUT_MS (%d ms): choose a shorter period or"
                               " fewer clients", self->settings? self->settings->timeout_ms: 0)
           : crmq_reply_error (reply, crmq_pg_status (self->pg), NULL, "%s",
                               crmq_pg_error (self->pg));
    if (rc == 0) {
        *result = job.result;
        job.result = NULL;
    }
    if (job.result)
        crmq__report_result__free_unpacked (job.result, NULL);
    return rc;
}

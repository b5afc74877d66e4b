/*  analytics_server.c - request handlers of crmq-analytics; see
    analytics_server.h.  The reports themselves: report.h, docs/reports.md. */
#include "analytics_server.h"
#include "client_metrics.h"
#include "report_cache.h"
#include "report_runner.h"
#include "report_templates.h"

#define S_METRICS_IDS_MAX       1000    //  client ids per ClientMetrics request
#define S_METRICS_LIMIT_DEFAULT 100
#define S_METRICS_LIMIT_MAX     10000

typedef struct {
    crmq_service_t *service;
    crmq_pg_t *pg;
    report_cache_t *cache;
    report_runner_t *runner;        //  analytics.Report
    report_templates_t *templates;  //  analytics.*Template and the scheduler
    report_settings_t *settings;    //  what reports read from the settings
    crmq_consumer_t *consumer;      //  "analytics.client_metrics", from `started` on
    char base_currency [4];
} analytics_server_t;

void *
analytics_server_new (crmq_service_t *service)
{
    crmq_config_t *config = crmq_service_config (service);
    char why [300];
    report_settings_t *settings = report_settings_new (config, why, sizeof why);
    if (!settings) {
        crmq_log (CRMQ_LOG_ERROR, "bad setting", "error=%s", crmq_log_q (why));
        return NULL;
    }
    analytics_server_t *self = (analytics_server_t *) zmalloc (sizeof (analytics_server_t));
    self->service = service;
    self->settings = settings;
    self->pg = crmq_service_pg (service);
    self->cache = report_cache_new (crmq_service_redis (service),
                                    (int) crmq_config_int (config, "report_cache_ttl_s"));
    snprintf (self->base_currency, sizeof self->base_currency, "%s",
              crmq_config_str (config, "base_currency"));
    self->runner = report_runner_new (self->pg, self->cache, crmq_config_str (config, "time_zone"),
                                      self->base_currency, self->settings);
    //  an event's body: the frame limit less room for the envelope of a
    //  bus.Replay reply (half of it below 8 KiB)
    size_t max_bytes = (size_t) crmq_config_int (config, "max_message_bytes");
    report_templates_config_t templates = {
        .pg = self->pg,
        .runner = self->runner,
        .pg_url = crmq_config_str (config, "pg_url"),
        .time_zone = crmq_config_str (config, "time_zone"),
        .check_ms = (int) crmq_config_int (config, "template_check_ms"),
        .min_interval_s = (int) crmq_config_int (config, "template_min_interval_s"),
        .max_event_bytes = max_bytes > 8192? max_bytes - 4096: max_bytes / 2
    };
    self->templates = report_templates_new (&templates);
    return self;
}

void
analytics_server_destroy (void **self_p)
{
    analytics_server_t *self = (analytics_server_t *) *self_p;
    if (self) {
        crmq_consumer_destroy (&self->consumer);
        report_templates_destroy (&self->templates);
        report_runner_destroy (&self->runner);
        report_settings_destroy (&self->settings);
        report_cache_destroy (&self->cache);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  The consumer of the sales events

static void
s_consume (zsock_t *socket, void *arg)
{
    (void) socket;
    analytics_server_t *self = (analytics_server_t *) arg;
    crmq_consumer_process (self->consumer, 0);
}

int
analytics_server_started (void *state, crmq_rpc_server_t *server)
{
    analytics_server_t *self = (analytics_server_t *) state;
    crmq_config_t *config = crmq_service_config (self->service);
    crmq_consumer_config_t consumer = {
        .name = CLIENT_METRICS_CONSUMER,
        .prefix = CLIENT_METRICS_PREFIX,
        .pub_endpoint = crmq_config_str (config, "bus_pub_endpoint"),
        .replay_endpoint = crmq_config_str (config, "bus_endpoint"),
        .pg = self->pg,
        .apply = client_metrics_apply,
        .arg = self,
        .from_seq = 1
    };
    self->consumer = crmq_consumer_new (&consumer);
    if (!self->consumer)
        return -1;
    return crmq_rpc_server_add_reader (server, crmq_consumer_socket (self->consumer),
                                       s_consume, self);
}

void
analytics_server_job (void *state)
{
    s_consume (NULL, state);
    report_templates_tick (((analytics_server_t *) state)->templates);
}

//  --------------------------------------------------------------------------
//  Running a report: one read-only snapshot, a cache keyed by it.

//  Builds the reply message of one report from inside its transaction.
//  Returns 0 with *packed (malloc'd) set, a positive code after
//  crmq_reply_error, or -1 after a failed statement.
typedef int (method_fn) (analytics_server_t *self, const void *request, crmq_reply_t *reply,
                         uint8_t **packed, size_t *packed_size);

typedef struct {
    analytics_server_t *self;
    const char *method;
    const void *request;            //  the unpacked request
    const uint8_t *body;            //  the packed request, for the cache key
    size_t size;
    method_fn *compute;
    crmq_reply_t *reply;
    uint8_t *packed;                //  the reply message, packed
    size_t packed_size;
} method_job_t;

static int
s_report_tx (crmq_pg_t *pg, void *arg)
{
    method_job_t *job = (method_job_t *) arg;
    free (job->packed);
    job->packed = NULL;
    if (crmq_pg_command (pg, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL))
        return -1;
    PGresult *result = crmq_pg_exec (pg, "SELECT pg_current_snapshot()::text", 0, NULL);
    if (!result)
        return -1;
    char *snapshot = strdup (PQgetvalue (result, 0, 0));
    PQclear (result);
    job->packed = report_cache_get (job->self->cache, job->method, snapshot, job->body, job->size,
                                    &job->packed_size);
    int rc = 0;
    if (!job->packed) {
        rc = job->compute (job->self, job->request, job->reply, &job->packed, &job->packed_size);
        if (rc == 0)
            report_cache_put (job->self->cache, job->method, snapshot, job->body, job->size,
                              job->packed, job->packed_size);
    }
    free (snapshot);
    return rc;
}

//  A report: its name (in cache keys), request and reply types, and how it
//  is computed.
typedef struct {
    const char *name;
    const ProtobufCMessageDescriptor *request;
    const ProtobufCMessageDescriptor *reply;
    method_fn *compute;
} method_def_t;

//  Unpacks the request, runs the report (or takes its cached result) and
//  replies with it, unpacked through the reply type so that a cached entry is
//  checked like any other.
static int
s_report (analytics_server_t *self, const method_def_t *def, const uint8_t *body, size_t size,
          crmq_reply_t *reply)
{
    ProtobufCMessage *request = protobuf_c_message_unpack (def->request, NULL, size, body);
    if (!request)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, NULL, "malformed %s",
                                 def->request->short_name);
    method_job_t job = { self, def->name, request, body, size, def->compute, reply, NULL, 0 };
    int rc = crmq_pg_transaction (self->pg, s_report_tx, &job);
    int code;
    if (rc < 0)
        code = crmq_reply_error (reply, crmq_pg_status (self->pg), NULL, "%s",
                                 crmq_pg_error (self->pg));
    else
    if (rc > 0)
        code = rc;
    else {
        ProtobufCMessage *answer = protobuf_c_message_unpack (def->reply, NULL, job.packed_size,
                                                              job.packed);
        if (answer) {
            code = crmq_reply_ok (reply, answer);
            protobuf_c_message_free_unpacked (answer, NULL);
        }
        else
            code = crmq_reply_error (reply, CRMQ_INTERNAL, NULL, "unreadable cached report");
    }
    free (job.packed);
    protobuf_c_message_free_unpacked (request, NULL);
    return code;
}

//  Packs a message into a malloc'd buffer.
static void
s_pack (const ProtobufCMessage *message, uint8_t **packed, size_t *packed_size)
{
    *packed_size = protobuf_c_message_get_packed_size (message);
    *packed = (uint8_t *) malloc (*packed_size? *packed_size: 1);
    protobuf_c_message_pack (message, *packed);
}

//  --------------------------------------------------------------------------
//  analytics.Report

static int
s_report_any (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    analytics_server_t *self = (analytics_server_t *) state;
    Crmq__ReportParams *params = (Crmq__ReportParams *) crmq_message_unpack (
        &crmq__report_params__descriptor, body, size);
    if (!params)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, NULL,
                                 "malformed ReportParams (or a NUL byte in a string)");
    Crmq__ReportResult *result = NULL;
    int code = report_runner_run (self->runner, params, reply, &result);
    if (code == 0) {
        code = crmq_reply_ok (reply, &result->base);
        crmq__report_result__free_unpacked (result, NULL);
    }
    crmq_message_free (&params->base);
    return code;
}

//  --------------------------------------------------------------------------
//  analytics.ClientMetrics

static int
s_client_metrics_compute (analytics_server_t *self, const void *request_, crmq_reply_t *reply,
                          uint8_t **packed, size_t *packed_size)
{
    const Crmq__ClientMetricsRequest *request = (const Crmq__ClientMetricsRequest *) request_;
    if (request->n_client_ids > S_METRICS_IDS_MAX)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "client_ids",
                                 "at most %d client ids", S_METRICS_IDS_MAX);
    for (size_t i = 0; i < request->n_client_ids; i++)
        if (request->client_ids [i] <= 0)
            return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "client_ids",
                                     "client ids are above 0");
    if (request->limit < 0 || request->limit > S_METRICS_LIMIT_MAX)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "limit", "limit is 0..%d",
                                 S_METRICS_LIMIT_MAX);
    Crmq__ClientMetricsReply answer = CRMQ__CLIENT_METRICS_REPLY__INIT;
    int limit = request->limit? request->limit: S_METRICS_LIMIT_DEFAULT;
    int rc = client_metrics_read (self->pg, request->client_ids, request->n_client_ids, limit,
                                  self->base_currency, &answer);
    if (rc == 0)
        s_pack (&answer.base, packed, packed_size);
    client_metrics_reply_free (&answer);
    return rc;
}

static const method_def_t s_client_metrics_def = {
    "ClientMetrics", &crmq__client_metrics_request__descriptor,
    &crmq__client_metrics_reply__descriptor, s_client_metrics_compute
};

static int
s_client_metrics (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    return s_report ((analytics_server_t *) state, &s_client_metrics_def, body, size, reply);
}

//  --------------------------------------------------------------------------
//  Report templates (report_templates.h)

static int
s_save_template (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    return report_templates_save (((analytics_server_t *) state)->templates, body, size, reply);
}

static int
s_list_templates (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    return report_templates_list (((analytics_server_t *) state)->templates, body, size, reply);
}

static int
s_get_template (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    return report_templates_get (((analytics_server_t *) state)->templates, body, size, reply);
}

static int
s_delete_template (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    return report_templates_delete (((analytics_server_t *) state)->templates, body, size, reply);
}

static int
s_run_template (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    return report_templates_run (((analytics_server_t *) state)->templates, body, size, reply);
}

const crmq_rpc_method_t analytics_server_methods [] = {
    { "analytics.Report", s_report_any },
    { "analytics.ClientMetrics", s_client_metrics },
    { "analytics.SaveTemplate", s_save_template },
    { "analytics.ListTemplates", s_list_templates },
    { "analytics.GetTemplate", s_get_template },
    { "analytics.DeleteTemplate", s_delete_template },
    { "analytics.RunTemplate", s_run_template },
    { NULL, NULL }
};

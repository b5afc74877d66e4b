/*  analytics_server.c - request handlers of crmq-analytics; see analytics_server.h.

    Definitions (README.md, "Reports"):
    - revenue: the sum of line amounts of orders placed in the period (orders
      not cancelled); average order = revenue / orders, rounded half-up to cents.
    - ABC: clients sorted by the measure descending, ties by client id; a
      client whose cumulative share of the total *before* it is under a_share
      is A, under b_share B, otherwise C; a measure <= 0 is always C.  The
      total is the sum of the positive measures.                            */
#include "analytics_server.h"
#include "client_metrics.h"
#include "report_cache.h"

#define S_METRICS_IDS_MAX       1000    //  client ids per ClientMetrics request
#define S_METRICS_LIMIT_DEFAULT 100
#define S_METRICS_LIMIT_MAX     10000

typedef struct {
    crmq_service_t *service;
    crmq_pg_t *pg;
    report_cache_t *cache;
    crmq_consumer_t *consumer;      //  "analytics.client_metrics", from `started` on
    char base_currency [4];
} analytics_server_t;

void *
analytics_server_new (crmq_service_t *service)
{
    crmq_config_t *config = crmq_service_config (service);
    analytics_server_t *self = (analytics_server_t *) zmalloc (sizeof (analytics_server_t));
    self->service = service;
    self->pg = crmq_service_pg (service);
    self->cache = report_cache_new (crmq_service_redis (service),
                                    (int) crmq_config_int (config, "report_cache_ttl_s"));
    snprintf (self->base_currency, sizeof self->base_currency, "%s",
              crmq_config_str (config, "base_currency"));
    return self;
}

void
analytics_server_destroy (void **self_p)
{
    analytics_server_t *self = (analytics_server_t *) *self_p;
    if (self) {
        crmq_consumer_destroy (&self->consumer);
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
}

//  --------------------------------------------------------------------------
//  Running a report: one read-only snapshot, a cache keyed by it.

//  Builds the reply message of one report from inside its transaction.
//  Returns 0 with *packed (malloc'd) set, a positive code after
//  crmq_reply_error, or -1 after a failed statement.
typedef int (report_fn) (analytics_server_t *self, const void *request, crmq_reply_t *reply,
                         uint8_t **packed, size_t *packed_size);

typedef struct {
    analytics_server_t *self;
    const char *method;
    const void *request;            //  the unpacked request
    const uint8_t *body;            //  the packed request, for the cache key
    size_t size;
    report_fn *compute;
    crmq_reply_t *reply;
    uint8_t *packed;                //  the reply message, packed
    size_t packed_size;
} report_job_t;

static int
s_report_tx (crmq_pg_t *pg, void *arg)
{
    report_job_t *job = (report_job_t *) arg;
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
    report_fn *compute;
} report_def_t;

//  Unpacks the request, runs the report (or takes its cached result) and
//  replies with it, unpacked through the reply type so that a cached entry is
//  checked like any other.
static int
s_report (analytics_server_t *self, const report_def_t *def, const uint8_t *body, size_t size,
          crmq_reply_t *reply)
{
    ProtobufCMessage *request = protobuf_c_message_unpack (def->request, NULL, size, body);
    if (!request)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, NULL, "malformed %s",
                                 def->request->short_name);
    report_job_t job = { self, def->name, request, body, size, def->compute, reply, NULL, 0 };
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

//  Checks a period and writes its bounds as timestamptz text (-infinity and
//  infinity for open ends).  Returns true, or false after crmq_reply_error.
static bool
s_period (const Crmq__Period *period, char *from, char *to, size_t size, crmq_reply_t *reply)
{
    int64_t from_us = period? period->from_us: 0;
    int64_t to_us = period? period->to_us: 0;
    if (from_us && to_us && from_us >= to_us) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "period",
                          "period: from must be before to");
        return false;
    }
    if (from_us)
        crmq_time_to_pg (from_us, from, size);
    else
        snprintf (from, size, "-infinity");
    if (to_us)
        crmq_time_to_pg (to_us, to, size);
    else
        snprintf (to, size, "infinity");
    return true;
}

//  Parses numeric text from PostgreSQL into a Decimal.
static void
s_decimal (const char *text, Crmq__Decimal *decimal)
{
    crmq__decimal__init (decimal);
    if (crmq_decimal_parse (text, &decimal->units, &decimal->nanos) != 0)
        crmq_log (CRMQ_LOG_ERROR, "unreadable numeric", "value=%s", crmq_log_q (text));
}

//  --------------------------------------------------------------------------
//  analytics.ClientBase

static const char *SQL_CLIENT_BASE =
    "SELECT (SELECT count(*) FROM analytics.clients WHERE status = 'active'),"
    "       count(DISTINCT o.client_id), count(*), coalesce(sum(o.amount), 0),"
    "       (SELECT count(*) FROM analytics.order_lines l"
    "         WHERE l.placed_at >= $1::timestamptz AND l.placed_at < $2::timestamptz),"
    "       CASE WHEN count(*) = 0 THEN 0 ELSE round(sum(o.amount) / count(*), 2) END"
    "  FROM analytics.orders o"
    " WHERE o.placed_at >= $1::timestamptz AND o.placed_at < $2::timestamptz";

static int
s_client_base_compute (analytics_server_t *self, const void *request_, crmq_reply_t *reply,
                       uint8_t **packed, size_t *packed_size)
{
    const Crmq__ClientBaseRequest *request = (const Crmq__ClientBaseRequest *) request_;
    char from [48], to [48];
    if (!s_period (request->period, from, to, sizeof from, reply))
        return CRMQ_INVALID_ARGUMENT;
    const char *values [2] = { from, to };
    PGresult *result = crmq_pg_exec (self->pg, SQL_CLIENT_BASE, 2, values);
    if (!result)
        return -1;
    Crmq__ClientBaseReply answer = CRMQ__CLIENT_BASE_REPLY__INIT;
    Crmq__Money revenue = CRMQ__MONEY__INIT, average = CRMQ__MONEY__INIT;
    answer.clients = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    answer.clients_with_orders = strtoll (PQgetvalue (result, 0, 1), NULL, 10);
    answer.orders = strtoll (PQgetvalue (result, 0, 2), NULL, 10);
    answer.lines = strtoll (PQgetvalue (result, 0, 4), NULL, 10);
    crmq_decimal_parse (PQgetvalue (result, 0, 3), &revenue.units, &revenue.nanos);
    crmq_decimal_parse (PQgetvalue (result, 0, 5), &average.units, &average.nanos);
    revenue.currency = average.currency = self->base_currency;
    answer.revenue = &revenue;
    answer.average_order = &average;
    s_pack (&answer.base, packed, packed_size);
    PQclear (result);
    return 0;
}

static const report_def_t s_client_base_def = {
    "ClientBase", &crmq__client_base_request__descriptor, &crmq__client_base_reply__descriptor,
    s_client_base_compute
};

static int
s_client_base (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    return s_report ((analytics_server_t *) state, &s_client_base_def, body, size, reply);
}

//  --------------------------------------------------------------------------
//  analytics.Abc

//  $1, $2 period; $3, $4 thresholds.  %s is the measure's expression over
//  analytics.order_lines l, one of s_measures (never input text).
static const char *SQL_ABC =
    "WITH measure AS ("
    "  SELECT c.id, c.external_id, c.name, coalesce(m.value, 0) AS value"
    "    FROM analytics.clients c"
    "    LEFT JOIN (SELECT l.client_id, %s AS value FROM analytics.order_lines l"
    "                WHERE l.placed_at >= $1::timestamptz AND l.placed_at < $2::timestamptz"
    "                GROUP BY l.client_id) m ON m.client_id = c.id"
    "   WHERE c.status = 'active'),"
    " total AS (SELECT coalesce(sum(value) FILTER (WHERE value > 0), 0) AS total FROM measure),"
    " ranked AS ("
    "  SELECT m.*, t.total,"
    "         coalesce(sum(m.value) OVER (ORDER BY m.value DESC, m.id"
    "                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before"
    "    FROM measure m CROSS JOIN total t)"
    " SELECT id, external_id, name, value,"
    "        CASE WHEN total > 0 THEN round(value / total, 9) ELSE 0 END,"
    "        CASE WHEN total > 0 THEN round(before / total, 9) ELSE 0 END,"
    "        CASE WHEN value <= 0 THEN 'C'"
    "             WHEN before < $3::numeric * total THEN 'A'"
    "             WHEN before < $4::numeric * total THEN 'B'"
    "             ELSE 'C' END,"
    "        total"
    "   FROM ranked ORDER BY value DESC, id";

typedef struct {
    const char *name;
    const char *expression;
} abc_measure_t;

static const abc_measure_t s_measures [] = {
    { "revenue",  "sum(l.amount)" },
    { "quantity", "sum(l.quantity)" },
    { "orders",   "count(DISTINCT l.order_id)" },
    { NULL, NULL }
};

//  A threshold: the request's fraction, or the default when unset.  Returns
//  false when it is outside (0, 1].
static bool
s_threshold (const Crmq__Decimal *value, const char *fallback, char *buf, size_t size)
{
    if (!value || (value->units == 0 && value->nanos == 0)) {
        snprintf (buf, size, "%s", fallback);
        return true;
    }
    if (value->units < 0 || value->nanos < 0 || value->units > 1
    ||  (value->units == 1 && value->nanos > 0))
        return false;
    return crmq_decimal_format (value->units, value->nanos, buf, size) > 0;
}

static int
s_abc_compute (analytics_server_t *self, const void *request_, crmq_reply_t *reply,
               uint8_t **packed, size_t *packed_size)
{
    const Crmq__AbcRequest *request = (const Crmq__AbcRequest *) request_;
    const char *measure_name = *request->measure? request->measure: "revenue";
    const abc_measure_t *measure = s_measures;
    while (measure->name && !streq (measure->name, measure_name))
        measure++;
    if (!measure->name)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "measure",
                                 "measure must be revenue, quantity or orders");
    char a_share [48], b_share [48];
    if (!s_threshold (request->a_share, "0.80", a_share, sizeof a_share)
    ||  !s_threshold (request->b_share, "0.95", b_share, sizeof b_share))
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "a_share",
                                 "thresholds are fractions in (0, 1]");
    int64_t a_units, b_units;
    int32_t a_nanos, b_nanos;
    crmq_decimal_parse (a_share, &a_units, &a_nanos);
    crmq_decimal_parse (b_share, &b_units, &b_nanos);
    if (a_units > b_units || (a_units == b_units && a_nanos > b_nanos))
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "b_share",
                                 "b_share must not be below a_share");
    char from [48], to [48];
    if (!s_period (request->period, from, to, sizeof from, reply))
        return CRMQ_INVALID_ARGUMENT;

    char sql [4096];
    snprintf (sql, sizeof sql, SQL_ABC, measure->expression);
    const char *values [4] = { from, to, a_share, b_share };
    PGresult *result = crmq_pg_exec (self->pg, sql, 4, values);
    if (!result)
        return -1;
    int rows = PQntuples (result);
    size_t slots = rows? (size_t) rows: 1;
    Crmq__AbcRow *row_data = (Crmq__AbcRow *) zmalloc (slots * sizeof (Crmq__AbcRow));
    Crmq__AbcRow **row_pointers = (Crmq__AbcRow **) zmalloc (slots * sizeof (void *));
    Crmq__Decimal *numbers = (Crmq__Decimal *) zmalloc (3 * slots * sizeof (Crmq__Decimal));
    Crmq__AbcClass classes [3];
    Crmq__AbcClass *class_pointers [3];
    Crmq__Decimal class_values [3], class_shares [3];
    //  class sums are exact: numeric text added with the decimal parser
    int64_t sum_units [3] = { 0, 0, 0 };
    int64_t sum_nanos [3] = { 0, 0, 0 };
    static const char *names [3] = { "A", "B", "C" };
    for (int k = 0; k < 3; k++) {
        crmq__abc_class__init (&classes [k]);
        classes [k].abc_class = (char *) names [k];
        class_pointers [k] = &classes [k];
    }
    for (int row = 0; row < rows; row++) {
        Crmq__AbcRow *r = &row_data [row];
        crmq__abc_row__init (r);
        r->client_id = strtoll (PQgetvalue (result, row, 0), NULL, 10);
        r->external_id = PQgetvalue (result, row, 1);
        r->name = PQgetvalue (result, row, 2);
        s_decimal (PQgetvalue (result, row, 3), &numbers [3 * row]);
        s_decimal (PQgetvalue (result, row, 4), &numbers [3 * row + 1]);
        s_decimal (PQgetvalue (result, row, 5), &numbers [3 * row + 2]);
        r->value = &numbers [3 * row];
        r->share = &numbers [3 * row + 1];
        r->cumulative_share = &numbers [3 * row + 2];
        r->abc_class = PQgetvalue (result, row, 6);
        row_pointers [row] = r;
        int k = r->abc_class [0] - 'A';
        classes [k].clients++;
        sum_units [k] += r->value->units;
        sum_nanos [k] += r->value->nanos;
    }
    Crmq__Decimal total;
    s_decimal (rows? PQgetvalue (result, 0, 7): "0", &total);
    //  class shares: value / total with 9 decimals, in integer nanos
    __int128 total_nanos = (__int128) total.units * 1000000000 + total.nanos;
    for (int k = 0; k < 3; k++) {
        sum_units [k] += sum_nanos [k] / 1000000000;
        sum_nanos [k] %= 1000000000;
        if (sum_units [k] > 0 && sum_nanos [k] < 0) {
            sum_units [k]--;
            sum_nanos [k] += 1000000000;
        }
        else
        if (sum_units [k] < 0 && sum_nanos [k] > 0) {
            sum_units [k]++;
            sum_nanos [k] -= 1000000000;
        }
        crmq__decimal__init (&class_values [k]);
        class_values [k].units = sum_units [k];
        class_values [k].nanos = (int32_t) sum_nanos [k];
        crmq__decimal__init (&class_shares [k]);
        if (total_nanos > 0) {
            __int128 value_nanos = (__int128) sum_units [k] * 1000000000 + sum_nanos [k];
            __int128 share = (value_nanos * 1000000000 + total_nanos / 2) / total_nanos;
            class_shares [k].units = (int64_t) (share / 1000000000);
            class_shares [k].nanos = (int32_t) (share % 1000000000);
        }
        classes [k].value = &class_values [k];
        classes [k].share = &class_shares [k];
    }
    Crmq__AbcReply answer = CRMQ__ABC_REPLY__INIT;
    answer.measure = (char *) measure->name;
    answer.total = &total;
    answer.n_classes = 3;
    answer.classes = class_pointers;
    answer.n_rows = (size_t) rows;
    answer.rows = row_pointers;
    s_pack (&answer.base, packed, packed_size);
    free (numbers);
    free (row_pointers);
    free (row_data);
    PQclear (result);
    return 0;
}

static const report_def_t s_abc_def = {
    "Abc", &crmq__abc_request__descriptor, &crmq__abc_reply__descriptor, s_abc_compute
};

static int
s_abc (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    return s_report ((analytics_server_t *) state, &s_abc_def, body, size, reply);
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

static const report_def_t s_client_metrics_def = {
    "ClientMetrics", &crmq__client_metrics_request__descriptor,
    &crmq__client_metrics_reply__descriptor, s_client_metrics_compute
};

static int
s_client_metrics (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    return s_report ((analytics_server_t *) state, &s_client_metrics_def, body, size, reply);
}

const crmq_rpc_method_t analytics_server_methods [] = {
    { "analytics.ClientBase", s_client_base },
    { "analytics.Abc", s_abc },
    { "analytics.ClientMetrics", s_client_metrics },
    { NULL, NULL }
};

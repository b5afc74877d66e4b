/*  bus_server.c - crmq-bus's requests and loop; see bus_server.h.  */
#include "bus_server.h"
#include "bus_relay.h"
#include "bus_retention.h"

#define S_REPLAY_LIMIT_DEFAULT  1000
#define S_REPLAY_LIMIT_MAX      10000
#define S_PREFIX_MAX            200
#define S_RETENTION_BATCH       10000   //  events removed per statement
#define S_RETENTION_MS          1000    //  longest retention run
#define S_TICK_MS               200     //  longest wait: signals are noticed this fast

typedef struct {
    crmq_pg_t *pg;                  //  the service's, for requests and retention
    bus_relay_t *relay;
    int64_t retention_s;
    bus_retention_mode_t retention_mode;
    int retention_interval_ms;
    int64_t retention_next_ms;
} bus_server_t;

//  The log, archive included, from $1 up to the bound $2 matching prefix $3, $4 rows.
static const char *SQL_REPLAY =
    "SELECT seq, topic, body, producer, (extract (epoch FROM created_at) * 1000000)::bigint FROM ("
    " (SELECT seq, topic, body, producer, created_at FROM bus.outbox"
    "   WHERE seq >= $1::bigint AND seq <= $2::bigint AND starts_with (topic, $3)"
    "   ORDER BY seq LIMIT $4::int)"
    " UNION ALL"
    " (SELECT seq, topic, body, producer, created_at FROM bus.outbox_archive"
    "   WHERE seq >= $1::bigint AND seq <= $2::bigint AND starts_with (topic, $3)"
    "   ORDER BY seq LIMIT $4::int)) e"
    " ORDER BY seq LIMIT $4::int";
static const char *SQL_FIRST_SEQ =
    "SELECT coalesce (least ((SELECT min (seq) FROM bus.outbox),"
    "                        (SELECT min (seq) FROM bus.outbox_archive)), 0)";
static const char *SQL_CONSUMERS =
    "SELECT name, topic_prefix, position, (extract (epoch FROM updated_at) * 1000000)::bigint"
    "  FROM bus.consumers ORDER BY name";
//  $2: force; a consumer seen in the last minute is running (consumers
//  touch their row every few seconds) and is kept unless forced
static const char *SQL_DROP_CONSUMER =
    "WITH c AS (SELECT name, updated_at > now () - interval '1 minute' AS alive"
    "             FROM bus.consumers WHERE name = $1),"
    " d AS (DELETE FROM bus.consumers b USING c"
    "        WHERE b.name = c.name AND (NOT c.alive OR $2::boolean) RETURNING b.name)"
    " SELECT (SELECT count (*) FROM c), (SELECT count (*) FROM d)";

void *
bus_server_new (crmq_service_t *service)
{
    crmq_config_t *config = crmq_service_config (service);
    bus_server_t *self = (bus_server_t *) zmalloc (sizeof (bus_server_t));
    self->pg = crmq_service_pg (service);
    self->retention_s = crmq_config_int (config, "retention_s");
    self->retention_interval_ms = (int) crmq_config_int (config, "retention_interval_s") * 1000;
    if (bus_retention_mode_parse (crmq_config_str (config, "retention_mode"), &self->retention_mode)) {
        crmq_log (CRMQ_LOG_ERROR, "CRMQ_BUS_RETENTION_MODE must be drop or archive", "value=%s",
                  crmq_log_q (crmq_config_str (config, "retention_mode")));
        free (self);
        return NULL;
    }
    bus_relay_config_t relay = {
        .pg_url = crmq_config_str (config, "pg_url"),
        .pub_endpoint = crmq_config_str (config, "bus_pub_endpoint"),
        .sndhwm = (int) crmq_config_int (config, "sndhwm"),
        .mark_interval_ms = (int) crmq_config_int (config, "mark_interval_ms"),
        .round_limit = (int) crmq_config_int (config, "round_limit")
    };
    self->relay = bus_relay_new (&relay);
    if (!self->relay) {
        free (self);
        return NULL;
    }
    self->retention_next_ms = zclock_mono () + self->retention_interval_ms;
    return self;
}

void
bus_server_destroy (void **self_p)
{
    bus_server_t *self = (bus_server_t *) *self_p;
    if (self) {
        bus_relay_destroy (&self->relay);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------

static int
s_db_error (bus_server_t *self, crmq_reply_t *reply)
{
    return crmq_reply_error (reply, crmq_pg_status (self->pg), NULL, "%s",
                             crmq_pg_error (self->pg));
}

//  The oldest event kept; when retention removed every event, the one after
//  the published bound (so that a consumer behind it sees what it lost).
static int64_t
s_first_seq (bus_server_t *self)
{
    PGresult *result = crmq_pg_exec (self->pg, SQL_FIRST_SEQ, 0, NULL);
    if (!result)
        return -1;
    int64_t first = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    PQclear (result);
    return first? first: bus_relay_published (self->relay) + 1;
}

static int
s_replay (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    bus_server_t *self = (bus_server_t *) state;
    Crmq__ReplayRequest *request = (Crmq__ReplayRequest *)
        crmq_message_unpack (&crmq__replay_request__descriptor, body, size);
    if (!request)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, NULL,
                                 "unreadable ReplayRequest (or a NUL byte in a string)");
    char why [128];
    int rc;
    int limit = request->limit? request->limit: S_REPLAY_LIMIT_DEFAULT;
    if (request->from_seq < 0)
        rc = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "from_seq", "from_seq must be >= 0");
    else
    if (limit < 1 || limit > S_REPLAY_LIMIT_MAX)
        rc = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "limit", "limit must be 1..%d",
                               S_REPLAY_LIMIT_MAX);
    else
    if (!crmq_id_valid (request->topic_prefix, 0, S_PREFIX_MAX, why, sizeof why))
        rc = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "topic_prefix", "topic_prefix %s", why);
    else {
        int64_t published = bus_relay_published (self->relay);
        char from [24], bound [24], limit_text [16];
        snprintf (from, sizeof from, "%" PRId64, request->from_seq);
        snprintf (bound, sizeof bound, "%" PRId64, published);
        snprintf (limit_text, sizeof limit_text, "%d", limit);
        const char *values [4] = { from, bound, request->topic_prefix, limit_text };
        PGresult *result = request->from_seq <= published
                         ? crmq_pg_exec (self->pg, SQL_REPLAY, 4, values): NULL;
        int64_t first = s_first_seq (self);
        if ((request->from_seq <= published && !result) || first < 0) {
            PQclear (result);
            rc = s_db_error (self, reply);
        }
        else {
            int rows = result? PQntuples (result): 0;
            Crmq__BusEvent *events = calloc (rows? (size_t) rows: 1, sizeof *events);
            Crmq__BusEvent **pointers = calloc (rows? (size_t) rows: 1, sizeof *pointers);
            unsigned char **bodies = calloc (rows? (size_t) rows: 1, sizeof *bodies);
            for (int row = 0; row < rows; row++) {
                Crmq__BusEvent *event = &events [row];
                crmq__bus_event__init (event);
                event->seq = strtoll (PQgetvalue (result, row, 0), NULL, 10);
                event->topic = PQgetvalue (result, row, 1);
                size_t length = 0;
                bodies [row] = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, row, 2),
                                                &length);
                event->body.data = bodies [row];
                event->body.len = bodies [row]? length: 0;
                event->producer = PQgetvalue (result, row, 3);
                event->created_us = strtoll (PQgetvalue (result, row, 4), NULL, 10);
                pointers [row] = event;
            }
            Crmq__ReplayReply answer = CRMQ__REPLAY_REPLY__INIT;
            answer.n_events = (size_t) rows;
            answer.events = pointers;
            answer.published_seq = published;
            answer.first_seq = first;
            rc = crmq_reply_ok (reply, &answer.base);
            for (int row = 0; row < rows; row++)
                PQfreemem (bodies [row]);
            free (bodies);
            free (pointers);
            free (events);
            PQclear (result);
        }
    }
    crmq_message_free (&request->base);
    return rc;
}

static int
s_consumers (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    bus_server_t *self = (bus_server_t *) state;
    Crmq__ConsumersRequest *request = (Crmq__ConsumersRequest *)
        crmq_message_unpack (&crmq__consumers_request__descriptor, body, size);
    if (!request)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, NULL, "unreadable ConsumersRequest");
    crmq_message_free (&request->base);
    PGresult *result = crmq_pg_exec (self->pg, SQL_CONSUMERS, 0, NULL);
    int64_t first = s_first_seq (self);
    if (!result || first < 0) {
        PQclear (result);
        return s_db_error (self, reply);
    }
    int rows = PQntuples (result);
    Crmq__ConsumerInfo *infos = calloc (rows? (size_t) rows: 1, sizeof *infos);
    Crmq__ConsumerInfo **pointers = calloc (rows? (size_t) rows: 1, sizeof *pointers);
    for (int row = 0; row < rows; row++) {
        crmq__consumer_info__init (&infos [row]);
        infos [row].name = PQgetvalue (result, row, 0);
        infos [row].topic_prefix = PQgetvalue (result, row, 1);
        infos [row].position = strtoll (PQgetvalue (result, row, 2), NULL, 10);
        infos [row].updated_us = strtoll (PQgetvalue (result, row, 3), NULL, 10);
        pointers [row] = &infos [row];
    }
    Crmq__ConsumersReply answer = CRMQ__CONSUMERS_REPLY__INIT;
    answer.n_consumers = (size_t) rows;
    answer.consumers = pointers;
    answer.published_seq = bus_relay_published (self->relay);
    answer.first_seq = first;
    int rc = crmq_reply_ok (reply, &answer.base);
    free (pointers);
    free (infos);
    PQclear (result);
    return rc;
}

static int
s_drop_consumer (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    bus_server_t *self = (bus_server_t *) state;
    Crmq__DropConsumerRequest *request = (Crmq__DropConsumerRequest *)
        crmq_message_unpack (&crmq__drop_consumer_request__descriptor, body, size);
    if (!request)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, NULL,
                                 "unreadable DropConsumerRequest (or a NUL byte in a string)");
    char why [128];
    int rc;
    if (!crmq_id_valid (request->name, 1, 100, why, sizeof why))
        rc = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "name", "name %s", why);
    else {
        const char *values [2] = { request->name, request->force? "true": "false" };
        PGresult *result = crmq_pg_exec (self->pg, SQL_DROP_CONSUMER, 2, values);
        if (!result)
            rc = s_db_error (self, reply);
        else {
            bool found = atoi (PQgetvalue (result, 0, 0)) > 0;
            bool dropped = atoi (PQgetvalue (result, 0, 1)) > 0;
            PQclear (result);
            if (!found)
                rc = crmq_reply_error (reply, CRMQ_NOT_FOUND, "name", "no consumer named %s",
                                       request->name);
            else
            if (!dropped)
                rc = crmq_reply_error (reply, CRMQ_FAILED_PRECONDITION, "name",
                                       "consumer %s was active in the last minute: stop it"
                                       " first (or force)", request->name);
            else {
                crmq_log (CRMQ_LOG_INFO, "consumer dropped", "consumer=%s", crmq_log_q (request->name));
                Crmq__DropConsumerReply answer = CRMQ__DROP_CONSUMER_REPLY__INIT;
                answer.dropped = true;
                rc = crmq_reply_ok (reply, &answer.base);
            }
        }
    }
    crmq_message_free (&request->base);
    return rc;
}

const crmq_rpc_method_t bus_server_methods [] = {
    { "bus.Replay", s_replay },
    { "bus.Consumers", s_consumers },
    { "bus.DropConsumer", s_drop_consumer },
    { NULL, NULL }
};

//  --------------------------------------------------------------------------

int
bus_server_run (void *state, crmq_rpc_server_t *server)
{
    bus_server_t *self = (bus_server_t *) state;
    int wait = 0;
    while (!zsys_interrupted) {
        zmq_pollitem_t items [3] = {
            { zsock_resolve (crmq_rpc_server_socket (server)), 0, ZMQ_POLLIN, 0 },
            { zsock_resolve (bus_relay_socket (self->relay)), 0, ZMQ_POLLIN, 0 },
            { NULL, bus_relay_fd (self->relay), ZMQ_POLLIN, 0 }
        };
        int count = items [2].fd >= 0? 3: 2;
        if (zmq_poll (items, count, wait < S_TICK_MS? wait: S_TICK_MS) < 0 && zsys_interrupted)
            break;
        if (items [1].revents & ZMQ_POLLIN)
            bus_relay_subscriptions (self->relay);
        //  publish before answering: a replay then sees the newest bound
        wait = bus_relay_work (self->relay);
        //  every request waiting, without blocking
        while (zsock_events (crmq_rpc_server_socket (server)) & ZMQ_POLLIN)
            if (crmq_rpc_server_serve_once (server, 0) <= 0)
                break;
        if (zclock_mono () >= self->retention_next_ms) {
            //  batch after batch, for at most S_RETENTION_MS, so that the
            //  relay and the requests wait no longer than that
            int64_t until = zclock_mono () + S_RETENTION_MS;
            while (bus_retention_run (self->pg, self->retention_s, self->retention_mode,
                                      bus_relay_published (self->relay), S_RETENTION_BATCH)
                       == S_RETENTION_BATCH
                   && zclock_mono () < until)
                ;
            self->retention_next_ms = zclock_mono () + self->retention_interval_ms;
        }
    }
    crmq_log (CRMQ_LOG_INFO, "stopped", "served=%" PRIu64 " published_seq=%" PRId64,
              crmq_rpc_server_served (server), bus_relay_published (self->relay));
    return 0;
}

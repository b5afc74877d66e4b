/*  bus_relay.c - the relay of crmq-bus; see bus_relay.h.  */
#include "bus_relay.h"

#define S_CANDIDATES_MAX   64       //  pairs (v, X) waiting; more are dropped (only delays)
#define S_PREFIXES_MAX     1024     //  mark prefixes tracked
#define S_PENDING_POLL_MS  2        //  first re-checks of a waiting pair, then slower
#define S_PENDING_SLOW_MS  50       //  re-checks while a long transaction runs
#define S_OFFLINE_MS       100      //  re-tries while PostgreSQL is away
#define S_LAST_WINDOW      "100000" //  rows looked back for a new prefix's last event
#define S_MARK_PREFIX      "bus.mark."

static const char *SQL_LISTEN = "LISTEN crmq_outbox";
static const char *SQL_ASYNC_COMMIT = "SET synchronous_commit = off";
static const char *SQL_SEQ_LAST =
    "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM bus.outbox_seq_seq";
//  an xid of our own (the statement commits at once): larger than every xid
//  assigned before it
static const char *SQL_FENCE = "SELECT pg_current_xact_id ()::text::bigint";
//  the snapshot and the rows above the bound, in one statement (one snapshot)
static const char *SQL_ROUND =
    "SELECT s.snapshot, o.seq, o.topic, o.body"
    "  FROM (SELECT pg_current_snapshot ()::text AS snapshot) s"
    "  LEFT JOIN LATERAL (SELECT seq, topic, body FROM bus.outbox"
    "                      WHERE seq > $1::bigint AND seq <= $2::bigint"
    "                      ORDER BY seq LIMIT $3::int) o ON true"
    " ORDER BY o.seq";
static const char *SQL_STATE_READ =
    "SELECT published_seq FROM bus.relay_state WHERE id = 1";
static const char *SQL_STATE_WRITE =
    "INSERT INTO bus.relay_state (id, published_seq) VALUES (1, $1::bigint)"
    " ON CONFLICT (id) DO UPDATE SET published_seq = EXCLUDED.published_seq, updated_at = now ()";
//  a new mark prefix's last event: looked for among the latest rows only
//  (older events are covered by the consumer's replay on start)
static const char *SQL_PREFIX_LAST =
    "SELECT coalesce (max (seq), 0) FROM"
    " (SELECT seq, topic FROM bus.outbox WHERE seq <= $1::bigint"
    "   ORDER BY seq DESC LIMIT " S_LAST_WINDOW ") r"
    " WHERE starts_with (topic, $2)";

typedef struct {
    int64_t v;                      //  the sequence's last value when read
    uint64_t fence;                 //  an xid taken just after: every xid of a
                                    //  transaction that could hold a seq <= v is below
    int64_t since_ms;               //  monotonic time it began to wait
} s_candidate_t;

typedef struct {
    char *prefix;
    int64_t last;                   //  last matching event published
    int64_t round_prev;             //  `last` before the current round
    int64_t round_count;            //  matching events in the current round
} s_prefix_t;

struct _bus_relay_t {
    bus_relay_config_t config;
    char *pg_url, *pub_endpoint;
    crmq_pg_t *pg;
    PGconn *listening;              //  the connection our LISTEN was made on
    zsock_t *xpub;
    bool state_loaded;              //  published bound read from bus.relay_state
    int64_t published;
    bool round_due;
    s_candidate_t candidates [S_CANDIDATES_MAX];
    size_t candidate_count;
    s_prefix_t prefixes [S_PREFIXES_MAX];
    size_t prefix_count;
    int64_t next_marks_ms;
    uint64_t events_published;
};

//  The xmin of a snapshot as pg_current_snapshot prints it (xmin:xmax:xip,...):
//  every transaction with an xid below it has ended.  0 when unreadable.
static uint64_t
s_snapshot_xmin (const char *text)
{
    char *end = NULL;
    uint64_t xmin = strtoull (text, &end, 10);
    return end && *end == ':'? xmin: 0;
}

static void
s_candidates_drop_upto (bus_relay_t *self, int64_t bound)
{
    size_t keep = 0;
    for (size_t index = 0; index < self->candidate_count; index++)
        if (self->candidates [index].v > bound)
            self->candidates [keep++] = self->candidates [index];
    self->candidate_count = keep;
}

//  Waits (v, fence).  Dropped when the list is full: a later pair covers it,
//  so that only delays.
static void
s_candidate_add (bus_relay_t *self, int64_t v, uint64_t fence)
{
    if (self->candidate_count == S_CANDIDATES_MAX
    ||  (self->candidate_count && self->candidates [self->candidate_count - 1].v >= v))
        return;
    s_candidate_t *candidate = &self->candidates [self->candidate_count++];
    candidate->v = v;
    candidate->fence = fence;
    candidate->since_ms = zclock_mono ();
}

//  --------------------------------------------------------------------------
//  Publishing

static void
s_send (bus_relay_t *self, const char *topic, size_t topic_size, int64_t seq,
        const void *body, size_t size)
{
    char digits [24];
    int length = snprintf (digits, sizeof digits, "%" PRId64, seq);
    void *socket = zsock_resolve (self->xpub);
    //  a PUB never blocks: a subscriber at its high-water mark loses the message
    zmq_send (socket, topic, topic_size, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send (socket, digits, (size_t) length, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send (socket, body, size, ZMQ_DONTWAIT);
}

static void
s_send_mark (bus_relay_t *self, const char *prefix, int64_t prev, int64_t last, int64_t count)
{
    Crmq__BusMark mark = CRMQ__BUS_MARK__INIT;
    mark.prefix = (char *) prefix;
    mark.prev_seq = prev;
    mark.last_seq = last;
    mark.count = count;
    mark.published_seq = self->published;
    uint8_t buffer [512];
    size_t size = crmq__bus_mark__get_packed_size (&mark);
    if (size > sizeof buffer)
        return;                     //  prefixes are at most 200 bytes
    crmq__bus_mark__pack (&mark, buffer);
    char topic [256];
    int length = snprintf (topic, sizeof topic, S_MARK_PREFIX "%s", prefix);
    s_send (self, topic, (size_t) length, last, buffer, size);
}

//  Publishes one row and counts it for the prefixes it matches.
static void
s_publish (bus_relay_t *self, int64_t seq, const char *topic, const char *escaped)
{
    size_t size = 0;
    unsigned char *body = PQunescapeBytea ((const unsigned char *) escaped, &size);
    if (!body)
        return;
    s_send (self, topic, strlen (topic), seq, body, size);
    PQfreemem (body);
    self->events_published++;
    for (size_t index = 0; index < self->prefix_count; index++) {
        s_prefix_t *prefix = &self->prefixes [index];
        if (strncmp (topic, prefix->prefix, strlen (prefix->prefix)) != 0)
            continue;
        if (prefix->round_count == 0)
            prefix->round_prev = prefix->last;
        prefix->last = seq;
        prefix->round_count++;
    }
}

static void
s_round_marks (bus_relay_t *self)
{
    for (size_t index = 0; index < self->prefix_count; index++) {
        s_prefix_t *prefix = &self->prefixes [index];
        if (prefix->round_count) {
            s_send_mark (self, prefix->prefix, prefix->round_prev, prefix->last, prefix->round_count);
            prefix->round_count = 0;
        }
    }
}

//  --------------------------------------------------------------------------
//  Rounds

//  Makes sure of the connection, the LISTEN and the stored bound.
static bool
s_connected (bus_relay_t *self)
{
    if (!crmq_pg_ensure (self->pg))
        return false;
    PGconn *conn = crmq_pg_conn (self->pg);
    if (conn != self->listening) {
        if (crmq_pg_command (self->pg, SQL_LISTEN, 0, NULL) != 0
        ||  crmq_pg_command (self->pg, SQL_ASYNC_COMMIT, 0, NULL) != 0)
            return false;
        self->listening = conn;
        self->round_due = true;     //  notifications may have been missed
        crmq_log (CRMQ_LOG_INFO, "relay listening", NULL);
    }
    if (!self->state_loaded) {
        PGresult *result = crmq_pg_exec (self->pg, SQL_STATE_READ, 0, NULL);
        if (!result)
            return false;
        self->published = PQntuples (result)? strtoll (PQgetvalue (result, 0, 0), NULL, 10): 0;
        PQclear (result);
        self->state_loaded = true;
        crmq_log (CRMQ_LOG_INFO, "relay resumes", "published_seq=%" PRId64, self->published);
    }
    return true;
}

//  The number in the first column of a one-row statement, or -1.
static int64_t
s_number (bus_relay_t *self, const char *sql)
{
    PGresult *result = crmq_pg_exec (self->pg, sql, 0, NULL);
    if (!result)
        return -1;
    int64_t number = PQntuples (result) == 1? strtoll (PQgetvalue (result, 0, 0), NULL, 10): -1;
    PQclear (result);
    return number;
}

//  One round.  Returns 1 when more rows wait at once, 0, or -1 on a failure.
static int
s_round (bus_relay_t *self)
{
    //  v first, then the fence: a transaction holding a seq <= v took its
    //  xid before v was read, so below the fence
    int64_t v = s_number (self, SQL_SEQ_LAST);
    if (v < 0)
        return -1;
    int64_t fence = s_number (self, SQL_FENCE);
    if (fence <= 0)
        return -1;
    if (v > self->published)
        s_candidate_add (self, v, (uint64_t) fence);

    char bound_text [24], v_text [24], limit_text [16];
    snprintf (bound_text, sizeof bound_text, "%" PRId64, self->published);
    snprintf (v_text, sizeof v_text, "%" PRId64, v);
    snprintf (limit_text, sizeof limit_text, "%d", self->config.round_limit);
    const char *values [3] = { bound_text, v_text, limit_text };
    PGresult *result = crmq_pg_exec (self->pg, SQL_ROUND, 3, values);
    if (!result)
        return -1;
    uint64_t xmin = PQntuples (result)? s_snapshot_xmin (PQgetvalue (result, 0, 0)): 0;
    if (!xmin) {
        crmq_log (CRMQ_LOG_ERROR, "unreadable snapshot", NULL);
        PQclear (result);
        return -1;
    }
    //  a pair whose fence is below the snapshot's xmin: every transaction
    //  that could hold a seq <= v has ended, so the rows up to v are final
    int64_t bound = self->published;
    for (size_t index = 0; index < self->candidate_count; index++)
        if (self->candidates [index].fence < xmin && self->candidates [index].v > bound)
            bound = self->candidates [index].v;

    int rows = PQntuples (result);
    int published = 0;
    int64_t last_row = 0;
    for (int row = 0; row < rows; row++) {
        if (PQgetisnull (result, row, 1))
            continue;
        int64_t seq = strtoll (PQgetvalue (result, row, 1), NULL, 10);
        if (seq > bound)
            break;
        s_publish (self, seq, PQgetvalue (result, row, 2), PQgetvalue (result, row, 3));
        last_row = seq;
        published++;
    }
    bool more = rows >= self->config.round_limit && last_row && last_row < bound;
    PQclear (result);
    if (more)
        bound = last_row;
    if (bound > self->published) {
        self->published = bound;
        s_candidates_drop_upto (self, bound);
        s_round_marks (self);
        snprintf (bound_text, sizeof bound_text, "%" PRId64, bound);
        const char *state [1] = { bound_text };
        if (crmq_pg_command (self->pg, SQL_STATE_WRITE, 1, state) != 0)
            crmq_log (CRMQ_LOG_WARN, "published bound not stored", "error=%s",
                      crmq_log_q (crmq_pg_error (self->pg)));
        crmq_log (CRMQ_LOG_DEBUG, "round", "published=%d bound=%" PRId64, published, bound);
    }
    return more? 1: 0;
}

//  --------------------------------------------------------------------------

bus_relay_t *
bus_relay_new (const bus_relay_config_t *config)
{
    assert (config);
    bus_relay_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->config = *config;
    self->pg_url = strdup (config->pg_url);
    self->pub_endpoint = strdup (config->pub_endpoint);
    self->config.pg_url = self->pg_url;
    self->config.pub_endpoint = self->pub_endpoint;
    if (self->config.round_limit <= 0)
        self->config.round_limit = 1000;
    if (self->config.mark_interval_ms <= 0)
        self->config.mark_interval_ms = 1000;
    self->pg = self->pg_url? crmq_pg_new (self->pg_url, "crmq-bus-relay"): NULL;
    self->xpub = zsock_new (ZMQ_XPUB);
    if (!self->pg || !self->xpub || !self->pub_endpoint) {
        bus_relay_destroy (&self);
        return NULL;
    }
    zsock_set_sndhwm (self->xpub, config->sndhwm > 0? config->sndhwm: 100000);
    zsock_set_linger (self->xpub, 0);
    //  every subscription, repeated ones too: a new consumer of a known
    //  prefix gets its first mark at once
    zsock_set_xpub_verbose (self->xpub, 1);
    if (zsock_bind (self->xpub, "%s", self->pub_endpoint) < 0) {
        crmq_log (CRMQ_LOG_ERROR, "cannot bind", "endpoint=%s error=%s",
                  crmq_log_q (self->pub_endpoint), crmq_log_q (zmq_strerror (zmq_errno ())));
        bus_relay_destroy (&self);
        return NULL;
    }
    self->round_due = true;
    self->next_marks_ms = zclock_mono () + self->config.mark_interval_ms;
    crmq_log (CRMQ_LOG_INFO, "publishing", "endpoint=%s sndhwm=%d", crmq_log_q (self->pub_endpoint),
              zsock_sndhwm (self->xpub));
    return self;
}

void
bus_relay_destroy (bus_relay_t **self_p)
{
    assert (self_p);
    bus_relay_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->prefix_count; index++)
        free (self->prefixes [index].prefix);
    zsock_destroy (&self->xpub);
    crmq_pg_destroy (&self->pg);
    free (self->pg_url);
    free (self->pub_endpoint);
    free (self);
    *self_p = NULL;
}

zsock_t *
bus_relay_socket (bus_relay_t *self)
{
    assert (self);
    return self->xpub;
}

int
bus_relay_fd (bus_relay_t *self)
{
    assert (self);
    PGconn *conn = crmq_pg_conn (self->pg);
    return conn && conn == self->listening? PQsocket (conn): -1;
}

static s_prefix_t *
s_prefix_find (bus_relay_t *self, const char *prefix)
{
    for (size_t index = 0; index < self->prefix_count; index++)
        if (streq (self->prefixes [index].prefix, prefix))
            return &self->prefixes [index];
    return NULL;
}

//  A consumer subscribed to the marks of `prefix`: track it (its last event
//  looked up) and send it a mark at once.
static void
s_prefix_subscribed (bus_relay_t *self, const char *text)
{
    s_prefix_t *prefix = s_prefix_find (self, text);
    if (!prefix) {
        char why [128];
        if (!crmq_id_valid (text, 0, 200, why, sizeof why)) {
            crmq_log (CRMQ_LOG_WARN, "mark prefix refused", "why=%s", crmq_log_q (why));
            return;
        }
        if (self->prefix_count == S_PREFIXES_MAX) {
            crmq_log (CRMQ_LOG_WARN, "mark prefix not tracked: the table is full (a subscriber"
                      " with too many mark subscriptions?)", "prefix=%s tracked=%d",
                      crmq_log_q (text), S_PREFIXES_MAX);
            return;
        }
        if (!s_connected (self))
            return;
        char bound [24];
        snprintf (bound, sizeof bound, "%" PRId64, self->published);
        const char *values [2] = { bound, text };
        PGresult *result = crmq_pg_exec (self->pg, SQL_PREFIX_LAST, 2, values);
        if (!result)
            return;
        char *copy = strdup (text);
        if (copy) {
            prefix = &self->prefixes [self->prefix_count++];
            memset (prefix, 0, sizeof *prefix);
            prefix->prefix = copy;
            prefix->last = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
        }
        PQclear (result);
        if (!prefix)
            return;
        crmq_log (CRMQ_LOG_INFO, "mark prefix tracked", "prefix=%s last=%" PRId64,
                  crmq_log_q (text), prefix->last);
    }
    s_send_mark (self, prefix->prefix, prefix->last, prefix->last, 0);
}

static void
s_prefix_unsubscribed (bus_relay_t *self, const char *text)
{
    s_prefix_t *prefix = s_prefix_find (self, text);
    if (!prefix)
        return;
    free (prefix->prefix);
    *prefix = self->prefixes [--self->prefix_count];
    crmq_log (CRMQ_LOG_INFO, "mark prefix dropped", "prefix=%s", crmq_log_q (text));
}

void
bus_relay_subscriptions (bus_relay_t *self)
{
    assert (self);
    while (zsock_events (self->xpub) & ZMQ_POLLIN) {
        zframe_t *frame = zframe_recv_nowait (self->xpub);
        if (!frame)
            break;
        size_t size = zframe_size (frame);
        const char *data = (const char *) zframe_data (frame);
        size_t skip = strlen (S_MARK_PREFIX);
        if (size >= 1 + skip && size <= 1 + skip + 200 && memcmp (data + 1, S_MARK_PREFIX, skip) == 0) {
            char *text = strndup (data + 1 + skip, size - 1 - skip);
            if (text && strlen (text) == size - 1 - skip) {
                if (data [0] == 1)
                    s_prefix_subscribed (self, text);
                else
                if (data [0] == 0)
                    s_prefix_unsubscribed (self, text);
            }
            free (text);
        }
        zframe_destroy (&frame);
    }
}

int
bus_relay_work (bus_relay_t *self)
{
    assert (self);
    bool failed = false;
    if (s_connected (self)) {
        PGconn *conn = crmq_pg_conn (self->pg);
        if (PQconsumeInput (conn) == 0) {
            crmq_log (CRMQ_LOG_WARN, "relay connection lost", "error=%s",
                      crmq_log_q (PQerrorMessage (conn)));
            self->listening = NULL;     //  LISTEN again once reconnected
        }
        PGnotify *notify;
        while ((notify = PQnotifies (conn)) != NULL) {
            self->round_due = true;
            PQfreemem (notify);
        }
        //  waiting pairs are re-checked every few ms until they are done
        if (self->round_due || self->candidate_count) {
            self->round_due = false;
            int rc;
            int rounds = 0;
            while ((rc = s_round (self)) == 1 && ++rounds < 100)
                ;
            if (rc != 0) {
                self->round_due = true;
                failed = true;
            }
        }
    }
    else
        failed = true;
    int64_t now = zclock_mono ();
    if (now >= self->next_marks_ms) {
        self->round_due = true;     //  and a round, should a notification be lost
        for (size_t index = 0; index < self->prefix_count; index++)
            s_send_mark (self, self->prefixes [index].prefix, self->prefixes [index].last,
                         self->prefixes [index].last, 0);
        self->next_marks_ms = now + self->config.mark_interval_ms;
    }
    if (failed)
        return S_OFFLINE_MS;
    if (self->round_due)
        return 0;
    if (self->candidate_count) {
        //  a pair usually waits for a transaction of a few ms; one that waits
        //  longer waits for a long transaction: check less often
        int64_t waited = now - self->candidates [0].since_ms;
        int64_t poll = waited / 4;
        return (int) (poll < S_PENDING_POLL_MS? S_PENDING_POLL_MS: poll > S_PENDING_SLOW_MS? S_PENDING_SLOW_MS: poll);
    }
    int64_t wait = self->next_marks_ms - now;
    return wait < 0? 0: (int) wait;
}

int64_t
bus_relay_published (bus_relay_t *self)
{
    assert (self);
    return self->published;
}

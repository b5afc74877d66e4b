/*  crmq_consumer.c - reading the event log in order, each event once; see
    crmq_consumer.h.

    State: `confirmed`, the seq up to which every matching event has been
    applied (or passed over); `position`, the last seq stored (durable) or
    applied; and the events received from the PUB socket above `confirmed`,
    held until their round's mark vouches for them.

    A mark (prev, last, count) vouches for the held events when
    prev <= confirmed and exactly `count` are held in (confirmed, last]:
    prev is the last matching event the bus published before the round, so
    there is none in (prev, round start], and the round's `count` events are
    all above confirmed.  Then they are applied and confirmed = last.  A mark
    with last <= confirmed tells nothing new.  Anything else is a gap: the
    consumer replays from confirmed + 1 with bus.Replay, which answers up to
    the bus's published bound, and confirmed becomes that bound.           */
#include "crmq.h"

#define S_BATCH_DEFAULT     256
#define S_RCVHWM_DEFAULT    10000
#define S_TIMEOUT_DEFAULT   3000
#define S_HELD_MAX          100000      //  held events without a mark: replay instead
#define S_REPLAY_LIMIT      1000        //  events per bus.Replay
#define S_QUIET_MS          3000        //  no mark for this long: replay to make sure
#define S_MARK_PREFIX       "bus.mark."
#define S_TOUCH_MS          10000       //  durable: the row is touched this often

typedef struct {
    int64_t seq;
    char *topic;
    uint8_t *body;
    size_t size;
} s_held_t;

struct _crmq_consumer_t {
    char *name;
    char *prefix;
    char *mark_topic;               //  "bus.mark." + prefix
    crmq_pg_t *pg;                  //  durable when set; not owned
    crmq_consumer_apply_fn *apply;
    void *arg;
    int batch_max;
    zsock_t *sub;
    crmq_rpc_client_t *replay;
    int64_t confirmed;
    int64_t position;
    bool synced;                    //  false until the first replay succeeded
    int64_t replay_due_ms;          //  monotonic time of a replay owed, 0 = none
    crmq_backoff_t backoff;         //  between failed replays or applies
    int64_t last_mark_ms;
    int64_t touched_ms;             //  durable: when the row was last touched
    s_held_t *held;                 //  received, not yet vouched for, ascending seq
    size_t held_count, held_size;
    uint64_t applied, replays, gaps;
};

//  --------------------------------------------------------------------------
//  Held events

static void
s_held_clear_upto (crmq_consumer_t *self, int64_t seq)
{
    size_t keep = 0;
    for (size_t index = 0; index < self->held_count; index++) {
        s_held_t *event = &self->held [index];
        if (event->seq <= seq) {
            free (event->topic);
            free (event->body);
        }
        else
            self->held [keep++] = *event;
    }
    self->held_count = keep;
}

static int
s_held_add (crmq_consumer_t *self, int64_t seq, const char *topic, size_t topic_size,
            const void *body, size_t size)
{
    if (self->held_count && seq <= self->held [self->held_count - 1].seq)
        return 0;                   //  already held (cannot come out of order on one pipe)
    if (self->held_count == self->held_size) {
        size_t grown = self->held_size? self->held_size * 2: 64;
        s_held_t *held = realloc (self->held, grown * sizeof *held);
        if (!held)
            return -1;
        self->held = held;
        self->held_size = grown;
    }
    s_held_t *event = &self->held [self->held_count];
    event->seq = seq;
    event->topic = strndup (topic, topic_size);
    event->body = malloc (size? size: 1);
    event->size = size;
    if (!event->topic || !event->body) {
        free (event->topic);
        free (event->body);
        return -1;
    }
    memcpy (event->body, body, size);
    self->held_count++;
    return 0;
}

//  --------------------------------------------------------------------------
//  Applying

static const char *SQL_REGISTER =
    "INSERT INTO bus.consumers (name, topic_prefix, position) VALUES ($1, $2, $3::bigint)"
    " ON CONFLICT (name) DO UPDATE SET topic_prefix = EXCLUDED.topic_prefix"
    " RETURNING position";
//  the end of the log for a new consumer: crmq-bus's published bound, below
//  which no transaction still open can add an event (max (seq) could be
//  overtaken by a commit of a lower seq)
static const char *SQL_LOG_END =
    "SELECT coalesce ((SELECT published_seq FROM bus.relay_state WHERE id = 1), 0)";
static const char *SQL_LOCK_POSITION =
    "SELECT position FROM bus.consumers WHERE name = $1 FOR UPDATE";
static const char *SQL_STORE_POSITION =
    "UPDATE bus.consumers SET position = $2::bigint, updated_at = now () WHERE name = $1";
//  every few seconds: alive, and past the events of other prefixes (nothing
//  of ours is below `confirmed` unapplied), so lag and retention see it
static const char *SQL_TOUCH =
    "UPDATE bus.consumers SET position = greatest (position, $2::bigint), updated_at = now ()"
    " WHERE name = $1 RETURNING position";

typedef struct {
    crmq_consumer_t *self;
    const s_held_t *events;
    size_t count;
    int64_t stored;                 //  the position committed
    uint64_t applied;
} s_batch_t;

//  Hands one event to apply; a positive answer passes it over.  Returns 0 or -1.
static int
s_apply_one (crmq_consumer_t *self, crmq_pg_t *pg, const s_held_t *held, uint64_t *applied)
{
    crmq_event_t event = { held->seq, held->topic, held->body, held->size };
    int rc = self->apply (pg, &event, self->arg);
    if (rc < 0)
        return -1;
    if (rc > 0)
        crmq_log (CRMQ_LOG_ERROR, "event cannot be applied: passed over",
                  "consumer=%s seq=%" PRId64 " topic=%s code=%d", crmq_log_q (self->name),
                  held->seq, crmq_log_q (held->topic), rc);
    else
        (*applied)++;
    return 0;
}

//  The durable batch: lock the position, apply what is above it, move it.
static int
s_batch_tx (crmq_pg_t *pg, void *arg)
{
    s_batch_t *batch = (s_batch_t *) arg;
    crmq_consumer_t *self = batch->self;
    batch->applied = 0;
    const char *lock [1] = { self->name };
    PGresult *result = crmq_pg_exec (pg, SQL_LOCK_POSITION, 1, lock);
    if (!result)
        return -1;
    if (PQntuples (result) != 1) {
        //  dropped while running: register again where this process stands
        PQclear (result);
        char value [24];
        snprintf (value, sizeof value, "%" PRId64, self->position > 0? self->position: 0);
        const char *row [3] = { self->name, self->prefix, value };
        result = crmq_pg_exec (pg, SQL_REGISTER, 3, row);
        if (!result)
            return -1;
        crmq_log (CRMQ_LOG_WARN, "consumer row was dropped while running: registered again",
                  "consumer=%s position=%s", crmq_log_q (self->name), value);
    }
    int64_t position = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    PQclear (result);
    int64_t last = position;
    for (size_t index = 0; index < batch->count; index++) {
        const s_held_t *held = &batch->events [index];
        if (held->seq <= position)
            continue;               //  applied already (a replica, or before a crash)
        if (s_apply_one (self, pg, held, &batch->applied) != 0)
            return -1;
        last = held->seq;
    }
    batch->stored = last;
    if (last == position)
        return 0;
    char value [24];
    snprintf (value, sizeof value, "%" PRId64, last);
    const char *store [2] = { self->name, value };
    return crmq_pg_command (pg, SQL_STORE_POSITION, 2, store);
}

//  Applies `count` events (ascending, all above confirmed) in batches.
//  Returns the number applied, or -1 (the rest is left for a replay).
static int
s_apply (crmq_consumer_t *self, const s_held_t *events, size_t count)
{
    int applied = 0;
    for (size_t done = 0; done < count; ) {
        size_t size = count - done < (size_t) self->batch_max? count - done: (size_t) self->batch_max;
        if (self->pg) {
            s_batch_t batch = { self, events + done, size, self->position, 0 };
            int rc = crmq_pg_transaction (self->pg, s_batch_tx, &batch);
            if (rc != 0) {
                crmq_log (CRMQ_LOG_WARN, "events not applied; will replay", "consumer=%s rc=%d"
                          " sqlstate=%s error=%s", crmq_log_q (self->name), rc,
                          crmq_pg_sqlstate (self->pg), crmq_log_q (crmq_pg_error (self->pg)));
                return -1;
            }
            self->position = batch.stored > self->position? batch.stored: self->position;
            applied += (int) batch.applied;
        }
        else {
            for (size_t index = done; index < done + size; index++) {
                uint64_t one = 0;
                if (s_apply_one (self, NULL, &events [index], &one) != 0)
                    return -1;
                applied += (int) one;
                self->position = events [index].seq;
            }
        }
        self->confirmed = events [done + size - 1].seq > self->confirmed
                        ? events [done + size - 1].seq: self->confirmed;
        done += size;
    }
    return applied;
}

//  After a failure: forget what is held, fall back to the stored position,
//  replay after the backoff.
static void
s_fall_back (crmq_consumer_t *self)
{
    s_held_clear_upto (self, INT64_MAX);
    self->confirmed = self->position;
    crmq_backoff_failed (&self->backoff);
    self->replay_due_ms = zclock_mono () + crmq_backoff_wait_ms (&self->backoff);
}

//  --------------------------------------------------------------------------
//  Replaying

//  Calls bus.Replay from `from_seq`; returns the unpacked reply or NULL
//  (logged).
static Crmq__ReplayReply *
s_replay_call (crmq_consumer_t *self, int64_t from_seq, int limit)
{
    Crmq__ReplayRequest request = CRMQ__REPLAY_REQUEST__INIT;
    request.from_seq = from_seq;
    request.topic_prefix = self->prefix;
    request.limit = limit;
    uint8_t *body = NULL;
    size_t size = 0;
    int code = crmq_rpc_call (self->replay, "bus.Replay", &request.base, &body, &size);
    if (code != 0) {
        crmq_log (CRMQ_LOG_WARN, "bus.Replay failed", "consumer=%s code=%d error=%s",
                  crmq_log_q (self->name), code, crmq_log_q (crmq_rpc_client_message (self->replay)));
        return NULL;
    }
    Crmq__ReplayReply *reply = crmq__replay_reply__unpack (NULL, size, body);
    free (body);
    if (!reply)
        crmq_log (CRMQ_LOG_WARN, "unreadable bus.Replay reply", "consumer=%s", crmq_log_q (self->name));
    return reply;
}

//  Replays from confirmed + 1 up to the bus's published bound, applying as
//  it goes.  Returns the number applied, or -1.
static int
s_replay (crmq_consumer_t *self)
{
    self->replays++;
    int total = 0;
    while (true) {
        Crmq__ReplayReply *reply = s_replay_call (self, self->confirmed + 1, S_REPLAY_LIMIT);
        if (!reply)
            return -1;
        size_t count = reply->n_events;
        s_held_t *events = calloc (count? count: 1, sizeof *events);
        size_t usable = 0;
        for (size_t index = 0; events && index < count; index++) {
            Crmq__BusEvent *event = reply->events [index];
            if (event->seq <= self->confirmed || (usable && event->seq <= events [usable - 1].seq))
                continue;           //  a bus answering out of order: ignore the row
            events [usable].seq = event->seq;
            events [usable].topic = event->topic;
            events [usable].body = event->body.data;
            events [usable].size = event->body.len;
            usable++;
        }
        int applied = events? s_apply (self, events, usable): -1;
        free (events);
        if (reply->first_seq > self->confirmed + 1)
            crmq_log (CRMQ_LOG_WARN, "seqs no longer kept (retention): any event of this prefix"
                      " among them is lost", "consumer=%s from=%" PRId64 " first_kept=%" PRId64,
                      crmq_log_q (self->name), self->confirmed + 1, reply->first_seq);
        bool more = count >= S_REPLAY_LIMIT;
        int64_t bound = reply->published_seq;
        crmq__replay_reply__free_unpacked (reply, NULL);
        if (applied < 0)
            return -1;
        total += applied;
        if (!more) {
            if (bound > self->confirmed)
                self->confirmed = bound;
            break;
        }
    }
    s_held_clear_upto (self, self->confirmed);
    self->synced = true;
    self->replay_due_ms = 0;
    self->last_mark_ms = zclock_mono ();
    crmq_backoff_succeeded (&self->backoff);
    return total;
}

//  --------------------------------------------------------------------------
//  Messages

//  A mark for our prefix: apply what it vouches for, or note a gap.
//  Returns the number applied, or -1.
static int
s_on_mark (crmq_consumer_t *self, const Crmq__BusMark *mark)
{
    self->last_mark_ms = zclock_mono ();
    if (!self->synced || mark->last_seq <= self->confirmed) {
        s_held_clear_upto (self, self->synced? mark->last_seq: 0);
        return 0;
    }
    size_t count = 0;
    while (count < self->held_count && self->held [count].seq <= mark->last_seq)
        count++;
    if (mark->prev_seq <= self->confirmed && (int64_t) count == mark->count) {
        int applied = s_apply (self, self->held, count);
        if (applied < 0) {
            s_fall_back (self);
            return -1;
        }
        self->confirmed = mark->last_seq;
        s_held_clear_upto (self, self->confirmed);
        return applied;
    }
    self->gaps++;
    crmq_log (CRMQ_LOG_INFO, "events lost on the way: replaying", "consumer=%s confirmed=%"
              PRId64 " mark_prev=%" PRId64 " mark_last=%" PRId64 " mark_count=%" PRId64
              " received=%zu", crmq_log_q (self->name), self->confirmed, mark->prev_seq,
              mark->last_seq, mark->count, count);
    self->replay_due_ms = zclock_mono ();
    return 0;
}

//  Reads one message from the SUB socket.  Returns events applied, or -1.
static int
s_receive (crmq_consumer_t *self)
{
    zmsg_t *message = zmsg_recv_nowait (self->sub);
    if (!message)
        return 0;
    int rc = 0;
    zframe_t *topic = zmsg_first (message);
    zframe_t *seq = zmsg_next (message);
    zframe_t *body = zmsg_next (message);
    char digits [24] = "";
    if (zmsg_size (message) == 3 && zframe_size (seq) > 0 && zframe_size (seq) < sizeof digits) {
        memcpy (digits, zframe_data (seq), zframe_size (seq));
        digits [zframe_size (seq)] = 0;
    }
    char *end = NULL;
    int64_t number = digits [0]? strtoll (digits, &end, 10): -1;
    if (number < 0 || !end || *end) {
        crmq_log (CRMQ_LOG_WARN, "malformed event message dropped", "consumer=%s frames=%zu",
                  crmq_log_q (self->name), zmsg_size (message));
        zmsg_destroy (&message);
        return 0;
    }
    size_t topic_size = zframe_size (topic);
    size_t mark_size = strlen (self->mark_topic);
    if (topic_size >= strlen (S_MARK_PREFIX)
    &&  memcmp (zframe_data (topic), S_MARK_PREFIX, strlen (S_MARK_PREFIX)) == 0) {
        //  marks of other prefixes reach a consumer whose prefix they extend
        if (topic_size == mark_size && memcmp (zframe_data (topic), self->mark_topic, mark_size) == 0) {
            Crmq__BusMark *mark = crmq__bus_mark__unpack (NULL, zframe_size (body), zframe_data (body));
            if (mark) {
                rc = s_on_mark (self, mark);
                crmq__bus_mark__free_unpacked (mark, NULL);
            }
            else
                crmq_log (CRMQ_LOG_WARN, "unreadable mark dropped", "consumer=%s", crmq_log_q (self->name));
        }
    }
    else
    if (number > self->confirmed) {
        if (self->held_count >= S_HELD_MAX
        ||  s_held_add (self, number, (const char *) zframe_data (topic), topic_size,
                        zframe_data (body), zframe_size (body)) != 0) {
            s_held_clear_upto (self, INT64_MAX);
            self->replay_due_ms = zclock_mono ();
        }
    }
    zmsg_destroy (&message);
    return rc;
}

//  --------------------------------------------------------------------------

crmq_consumer_t *
crmq_consumer_new (const crmq_consumer_config_t *config)
{
    assert (config);
    assert (config->apply);
    const char *name = config->name? config->name: "";
    const char *prefix = config->prefix? config->prefix: "";
    if ((config->pg && (!*name || strlen (name) > 100)) || strlen (prefix) > 200
    ||  !config->pub_endpoint || !config->replay_endpoint || config->from_seq < 0) {
        crmq_log (CRMQ_LOG_ERROR, "bad consumer settings", "consumer=%s prefix=%s",
                  crmq_log_q (name), crmq_log_q (prefix));
        return NULL;
    }
    crmq_consumer_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->name = strdup (name);
    self->prefix = strdup (prefix);
    self->mark_topic = malloc (strlen (S_MARK_PREFIX) + strlen (prefix) + 1);
    if (self->mark_topic)
        sprintf (self->mark_topic, "%s%s", S_MARK_PREFIX, prefix);
    self->pg = config->pg;
    self->apply = config->apply;
    self->arg = config->arg;
    self->batch_max = config->batch_max > 0? config->batch_max: S_BATCH_DEFAULT;
    crmq_backoff_init (&self->backoff, 100, 5000);
    self->sub = zsock_new (ZMQ_SUB);
    int timeout = config->rpc_timeout_ms > 0? config->rpc_timeout_ms: S_TIMEOUT_DEFAULT;
    self->replay = crmq_rpc_client_new (config->replay_endpoint, timeout, 0);
    if (!self->name || !self->prefix || !self->mark_topic || !self->sub || !self->replay) {
        crmq_consumer_destroy (&self);
        return NULL;
    }
    zsock_set_rcvhwm (self->sub, config->rcvhwm > 0? config->rcvhwm: S_RCVHWM_DEFAULT);
    zsock_set_linger (self->sub, 0);
    zsock_set_subscribe (self->sub, self->prefix);
    zsock_set_subscribe (self->sub, self->mark_topic);
    if (zsock_connect (self->sub, "%s", config->pub_endpoint) != 0) {
        crmq_log (CRMQ_LOG_ERROR, "bad bus PUB endpoint", "endpoint=%s",
                  crmq_log_q (config->pub_endpoint));
        crmq_consumer_destroy (&self);
        return NULL;
    }
    int64_t start = config->from_seq > 0? config->from_seq - 1: 0;
    if (self->pg) {
        if (config->from_seq == 0) {
            PGresult *result = crmq_pg_exec (self->pg, SQL_LOG_END, 0, NULL);
            if (result) {
                start = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
                PQclear (result);
            }
        }
        char value [24];
        snprintf (value, sizeof value, "%" PRId64, start);
        const char *row [3] = { self->name, self->prefix, value };
        PGresult *result = crmq_pg_exec (self->pg, SQL_REGISTER, 3, row);
        if (!result) {
            crmq_log (CRMQ_LOG_ERROR, "cannot register the consumer", "consumer=%s error=%s",
                      crmq_log_q (self->name), crmq_log_q (crmq_pg_error (self->pg)));
            crmq_consumer_destroy (&self);
            return NULL;
        }
        start = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
        PQclear (result);
    }
    else
    if (config->from_seq == 0)
        start = -1;                 //  the bus's published bound, at the first replay
    self->confirmed = self->position = start;
    self->replay_due_ms = zclock_mono ();
    self->last_mark_ms = zclock_mono ();
    crmq_log (CRMQ_LOG_INFO, "consumer started", "consumer=%s prefix=%s position=%" PRId64,
              crmq_log_q (self->name), crmq_log_q (self->prefix), start);
    return self;
}

void
crmq_consumer_destroy (crmq_consumer_t **self_p)
{
    assert (self_p);
    crmq_consumer_t *self = *self_p;
    if (!self)
        return;
    s_held_clear_upto (self, INT64_MAX);
    free (self->held);
    zsock_destroy (&self->sub);
    crmq_rpc_client_destroy (&self->replay);
    free (self->name);
    free (self->prefix);
    free (self->mark_topic);
    free (self);
    *self_p = NULL;
}

zsock_t *
crmq_consumer_socket (crmq_consumer_t *self)
{
    assert (self);
    return self->sub;
}

//  The first replay of an in-memory consumer starting at the end of the log:
//  learn the bus's published bound without fetching anything.
static int
s_sync_to_end (crmq_consumer_t *self)
{
    Crmq__ReplayReply *reply = s_replay_call (self, INT64_MAX, 1);
    if (!reply)
        return -1;
    self->confirmed = self->position = reply->published_seq;
    crmq__replay_reply__free_unpacked (reply, NULL);
    return 0;
}

//  Touches the row (alive) and moves it up to `confirmed`; registers it
//  again if it was dropped.
static void
s_touch (crmq_consumer_t *self)
{
    char value [24];
    snprintf (value, sizeof value, "%" PRId64, self->confirmed > 0? self->confirmed: 0);
    const char *values [2] = { self->name, value };
    PGresult *result = crmq_pg_exec (self->pg, SQL_TOUCH, 2, values);
    if (!result)
        return;                     //  PostgreSQL away: the next call tries again
    bool gone = PQntuples (result) == 0;
    if (!gone)
        self->position = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    PQclear (result);
    if (gone) {
        snprintf (value, sizeof value, "%" PRId64, self->position > 0? self->position: 0);
        const char *row [3] = { self->name, self->prefix, value };
        PQclear (crmq_pg_exec (self->pg, SQL_REGISTER, 3, row));
        crmq_log (CRMQ_LOG_WARN, "consumer row was dropped while running: registered again",
                  "consumer=%s position=%s", crmq_log_q (self->name), value);
    }
}

int
crmq_consumer_process (crmq_consumer_t *self, int timeout_ms)
{
    assert (self);
    int total = 0;
    bool failed = false;
    if (timeout_ms > 0 && !(self->replay_due_ms && zclock_mono () >= self->replay_due_ms)) {
        zmq_pollitem_t item = { zsock_resolve (self->sub), 0, ZMQ_POLLIN, 0 };
        zmq_poll (&item, 1, timeout_ms);
    }
    //  what is there now, and no more, so that a busy stream cannot hold the caller
    for (int read = 0; read < 10000 && (zsock_events (self->sub) & ZMQ_POLLIN); read++) {
        int rc = s_receive (self);
        if (rc < 0) {
            failed = true;
            break;
        }
        total += rc;
    }
    int64_t now = zclock_mono ();
    if (!self->replay_due_ms && now - self->last_mark_ms > S_QUIET_MS)
        self->replay_due_ms = now;  //  marks stopped (the bus is down or restarted)
    if (self->replay_due_ms && now >= self->replay_due_ms) {
        int rc = self->confirmed < 0? s_sync_to_end (self): 0;
        if (rc == 0)
            rc = s_replay (self);
        if (rc < 0) {
            failed = true;
            s_fall_back (self);
        }
        else
            total += rc;
    }
    if (self->pg && !failed && self->synced && now - self->touched_ms >= S_TOUCH_MS) {
        s_touch (self);
        self->touched_ms = now;
    }
    if (total > 0)
        self->applied += (uint64_t) total;
    return failed? -1: total;
}

int64_t
crmq_consumer_position (crmq_consumer_t *self)
{
    assert (self);
    return self->position > 0? self->position: 0;
}

uint64_t
crmq_consumer_applied (crmq_consumer_t *self)
{
    assert (self);
    return self->applied;
}

uint64_t
crmq_consumer_replays (crmq_consumer_t *self)
{
    assert (self);
    return self->replays;
}

uint64_t
crmq_consumer_gaps (crmq_consumer_t *self)
{
    assert (self);
    return self->gaps;
}

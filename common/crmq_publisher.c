/*  crmq_publisher.c - sales.Ingest batches in flight; see crmq_publisher.h.

    A request is built as its bytes: each event is packed straight into the
    open batch as field 1 of IngestRequest (tag, length, event) and the
    batch id goes last as field 2, which protobuf reads as the same message.
    So an event costs its packed size once, and a batch in flight is one
    buffer, kept for resends until its OK.                                  */
#include "crmq.h"
#include <errno.h>

#define S_METHOD          "sales.Ingest"
#define S_TAG_EVENTS      0x0a      //  IngestRequest field 1, length-delimited
#define S_TAG_BATCH_ID    0x10      //  IngestRequest field 2, varint
#define S_TEXT_MAX        1024
#define S_BACKOFF_MIN_MS  100
#define S_BACKOFF_MAX_MS  5000

typedef enum {
    S_FREE,                         //  slot unused
    S_WAITING,                      //  sent on the current socket, no reply yet
    S_BACKING_OFF                   //  answered UNAVAILABLE: resent at resend_ms
} s_state_t;

//  A batch sent and not yet acknowledged.
typedef struct {
    s_state_t state;
    uint64_t id;
    uint8_t *data;                  //  the packed IngestRequest
    size_t size;
    size_t events;
    int sends;                      //  times sent so far
    uint64_t send_seq;              //  order of its last send, publisher-wide
    int64_t sent_ms;                //  monotonic ms of its last send
    int64_t resend_ms;              //  S_BACKING_OFF: not before this
} s_batch_t;

struct _crmq_publisher_t {
    char *endpoint;                 //  NULL = dry run
    zsock_t *dealer;
    size_t batch_size;
    size_t max_request;             //  bytes; 0 = no limit
    size_t window;
    int timeout_ms;
    int retries;
    crmq_publisher_ack_fn *ack_fn;
    void *ack_arg;
    crmq_backoff_t backoff;

    uint8_t *open;                  //  the open batch's events, packed as field 1
    size_t open_size, open_capacity, open_events;
    uint64_t next_id;               //  id of the open batch

    s_batch_t flight [CRMQ_PUBLISHER_MAX_WINDOW];
    size_t in_flight;
    uint64_t send_seq;
    uint64_t head_seq;              //  send_seq of the oldest batch waiting, when last seen
    int64_t head_since_ms;          //  ... since when it has been the oldest

    int code;                       //  non-zero once stopped
    char message [S_TEXT_MAX + 1];

    size_t batches, events, bytes, resends, acknowledged, max_in_flight;
};

//  Bytes of a varint holding `value`.
static size_t
s_varint_size (uint64_t value)
{
    size_t bytes = 1;
    for (; value >= 0x80; value >>= 7)
        bytes++;
    return bytes;
}

static size_t
s_varint_write (uint8_t *out, uint64_t value)
{
    size_t n = 0;
    for (; value >= 0x80; value >>= 7)
        out [n++] = (uint8_t) (value | 0x80);
    out [n++] = (uint8_t) value;
    return n;
}

//  Bytes the batch id field of batch `id` adds to its request.
static size_t
s_id_field_size (uint64_t id)
{
    return 1 + s_varint_size (id);
}

crmq_publisher_t *
crmq_publisher_new (const char *endpoint, size_t batch_size, size_t max_request)
{
    assert (batch_size >= 1);
    crmq_publisher_t *self = (crmq_publisher_t *) calloc (1, sizeof (crmq_publisher_t));
    if (!self)
        return NULL;
    self->batch_size = batch_size;
    self->max_request = max_request;
    self->window = CRMQ_PUBLISHER_WINDOW;
    self->timeout_ms = 30000;
    self->retries = 3;
    self->next_id = 1;
    crmq_backoff_init (&self->backoff, S_BACKOFF_MIN_MS, S_BACKOFF_MAX_MS);
    if (endpoint) {
        self->endpoint = strdup (endpoint);
        if (self->endpoint)
            self->dealer = crmq_rpc_dealer_new (endpoint, self->timeout_ms);
        if (!self->dealer) {
            crmq_log (CRMQ_LOG_ERROR, "cannot connect", "endpoint=%s error=%s",
                      crmq_log_q (endpoint), crmq_log_q (zmq_strerror (zmq_errno ())));
            crmq_publisher_destroy (&self);
        }
    }
    return self;
}

void
crmq_publisher_destroy (crmq_publisher_t **self_p)
{
    assert (self_p);
    crmq_publisher_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < CRMQ_PUBLISHER_MAX_WINDOW; i++)
        free (self->flight [i].data);
    free (self->open);
    zsock_destroy (&self->dealer);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

void
crmq_publisher_set_window (crmq_publisher_t *self, size_t window)
{
    assert (self);
    self->window = window < 1? 1: window > CRMQ_PUBLISHER_MAX_WINDOW? CRMQ_PUBLISHER_MAX_WINDOW: window;
}

void
crmq_publisher_set_timeout (crmq_publisher_t *self, int timeout_ms, int retries)
{
    assert (self);
    self->timeout_ms = timeout_ms > 0? timeout_ms: 1;
    self->retries = retries > 0? retries: 0;
    if (self->dealer)
        zsock_set_sndtimeo (self->dealer, self->timeout_ms);
}

void
crmq_publisher_set_ack_fn (crmq_publisher_t *self, crmq_publisher_ack_fn *fn, void *arg)
{
    assert (self);
    self->ack_fn = fn;
    self->ack_arg = arg;
}

//  Stops the publisher for good with `code` and a message.  Returns -1.
static int
s_stop (crmq_publisher_t *self, int code, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
s_stop (crmq_publisher_t *self, int code, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->message, sizeof self->message, format, args);
    va_end (args);
    self->code = code;
    crmq_log (CRMQ_LOG_WARN, "publisher stopped", "endpoint=%s code=%s error=%s",
              crmq_log_q (self->endpoint), crmq_status_name (code), crmq_log_q (self->message));
    return -1;
}

//  --------------------------------------------------------------------------
//  Batches in flight

//  Sends (or sends again) a batch on the current socket.  A send ZeroMQ does
//  not take is left to the timeout, as a lost reply is.
static void
s_send (crmq_publisher_t *self, s_batch_t *batch)
{
    batch->state = S_WAITING;
    batch->sends++;
    if (batch->sends > 1)
        self->resends++;
    batch->send_seq = ++self->send_seq;
    batch->sent_ms = crmq_backoff_now_ms ();
    void *handle = zsock_resolve (self->dealer);
    if (zmq_send (handle, S_METHOD, strlen (S_METHOD), ZMQ_SNDMORE) < 0
    ||  zmq_send (handle, batch->data, batch->size, 0) < 0)
        crmq_log (CRMQ_LOG_DEBUG, "send not taken", "endpoint=%s batch=%llu error=%s",
                  crmq_log_q (self->endpoint), (unsigned long long) batch->id,
                  crmq_log_q (zmq_strerror (zmq_errno ())));
}

//  Sends a batch again, unless it has had all its sends.  Returns 0 or -1
//  (stopped).
static int
s_resend (crmq_publisher_t *self, s_batch_t *batch, const char *why)
{
    if (batch->sends >= 1 + self->retries)
        return s_stop (self, CRMQ_UNAVAILABLE, "batch %llu not acknowledged by %s after %d "
                       "attempts (%s)", (unsigned long long) batch->id, self->endpoint,
                       batch->sends, why);
    crmq_log (CRMQ_LOG_DEBUG, "resending", "endpoint=%s batch=%llu attempt=%d reason=%s",
              crmq_log_q (self->endpoint), (unsigned long long) batch->id, batch->sends + 1,
              crmq_log_q (why));
    s_send (self, batch);
    return 0;
}

//  No reply in time: drops the socket with whatever it holds (a late reply
//  must not be read as another batch's), opens a new one and sends every
//  waiting batch again, oldest first.  Returns 0 or -1 (stopped).
static int
s_reconnect (crmq_publisher_t *self)
{
    zsock_destroy (&self->dealer);
    self->dealer = crmq_rpc_dealer_new (self->endpoint, self->timeout_ms);
    if (!self->dealer)
        return s_stop (self, CRMQ_UNAVAILABLE, "cannot connect to %s", self->endpoint);
    //  every batch resent gets a send_seq above the mark
    uint64_t mark = self->send_seq;
    for (bool more = true; more; ) {
        more = false;
        s_batch_t *oldest = NULL;
        for (size_t i = 0; i < CRMQ_PUBLISHER_MAX_WINDOW; i++) {
            s_batch_t *batch = &self->flight [i];
            if (batch->state == S_WAITING && batch->send_seq <= mark
            &&  (!oldest || batch->send_seq < oldest->send_seq))
                oldest = batch;
        }
        if (oldest) {
            if (s_resend (self, oldest, "no reply") != 0)
                return -1;
            more = true;
        }
    }
    return 0;
}

//  The batch with id `id` in flight, or NULL.
static s_batch_t *
s_find (crmq_publisher_t *self, uint64_t id)
{
    for (size_t i = 0; i < CRMQ_PUBLISHER_MAX_WINDOW; i++)
        if (self->flight [i].state != S_FREE && self->flight [i].id == id)
            return &self->flight [i];
    return NULL;
}

//  The batch sent earliest on this socket of those waiting, or NULL.
static s_batch_t *
s_oldest_waiting (crmq_publisher_t *self)
{
    s_batch_t *oldest = NULL;
    for (size_t i = 0; i < CRMQ_PUBLISHER_MAX_WINDOW; i++) {
        s_batch_t *batch = &self->flight [i];
        if (batch->state == S_WAITING && (!oldest || batch->send_seq < oldest->send_seq))
            oldest = batch;
    }
    return oldest;
}

static void
s_release (crmq_publisher_t *self, s_batch_t *batch)
{
    free (batch->data);
    memset (batch, 0, sizeof *batch);
    self->in_flight--;
}

//  An OK reply: the batch it names (or the oldest waiting) is done.
//  Returns 0 or -1 (stopped).
static int
s_on_ok (crmq_publisher_t *self, const uint8_t *body, size_t size)
{
    Crmq__IngestReply *reply = crmq__ingest_reply__unpack (NULL, size, body);
    if (!reply)
        return s_stop (self, CRMQ_INTERNAL, "unreadable IngestReply (%zu bytes) from %s",
                       size, self->endpoint);
    s_batch_t *batch = reply->batch_id? s_find (self, reply->batch_id): s_oldest_waiting (self);
    int rc = 0;
    if (!batch)
        //  acknowledged already, through an earlier send of the same batch
        crmq_log (CRMQ_LOG_DEBUG, "reply for no batch in flight", "endpoint=%s batch=%llu",
                  crmq_log_q (self->endpoint), (unsigned long long) reply->batch_id);
    else
    if (reply->n_results != batch->events)
        rc = s_stop (self, CRMQ_INTERNAL, "reply to batch %llu has %zu results for %zu events",
                     (unsigned long long) batch->id, reply->n_results, batch->events);
    else {
        crmq_backoff_succeeded (&self->backoff);
        self->acknowledged++;
        uint64_t id = batch->id;
        s_release (self, batch);
        if (self->ack_fn)
            self->ack_fn (self->ack_arg, id, reply);
    }
    crmq__ingest_reply__free_unpacked (reply, NULL);
    return rc;
}

//  A non-zero reply: it answers the oldest batch waiting on this socket.
//  Returns 0 or -1 (stopped).
static int
s_on_error (crmq_publisher_t *self, int code, const uint8_t *body, size_t size)
{
    char message [S_TEXT_MAX + 1];
    Crmq__Error *error = crmq__error__unpack (NULL, size, body);
    snprintf (message, sizeof message, "%s%s%s%s", error && error->message? error->message: "",
              error && error->field && *error->field? " (field ": "",
              error && error->field? error->field: "",
              error && error->field && *error->field? ")": "");
    if (error)
        crmq__error__free_unpacked (error, NULL);
    s_batch_t *batch = s_oldest_waiting (self);
    if (!batch) {
        crmq_log (CRMQ_LOG_DEBUG, "error reply for no batch waiting", "endpoint=%s code=%d",
                  crmq_log_q (self->endpoint), code);
        return 0;
    }
    if (code != CRMQ_UNAVAILABLE)
        return s_stop (self, code, "batch %llu refused: %s: %s", (unsigned long long) batch->id,
                       crmq_status_name (code), message);
    if (batch->sends >= 1 + self->retries)
        return s_stop (self, CRMQ_UNAVAILABLE, "batch %llu still UNAVAILABLE after %d attempts: %s",
                       (unsigned long long) batch->id, batch->sends, message);
    crmq_backoff_failed (&self->backoff);
    batch->state = S_BACKING_OFF;
    batch->resend_ms = crmq_backoff_now_ms () + crmq_backoff_wait_ms (&self->backoff);
    crmq_log (CRMQ_LOG_INFO, "batch unavailable, backing off", "endpoint=%s batch=%llu wait_ms=%lld "
              "error=%s", crmq_log_q (self->endpoint), (unsigned long long) batch->id,
              (long long) crmq_backoff_wait_ms (&self->backoff), crmq_log_q (message));
    return 0;
}

//  Reads one reply from the socket.  Returns 0 or -1 (stopped).
static int
s_receive (crmq_publisher_t *self)
{
    zmsg_t *msg = zmsg_recv (self->dealer);
    if (!msg)
        return 0;                   //  interrupted: the caller's loop sees it
    int rc;
    zframe_t *code_frame = zmsg_first (msg);
    zframe_t *body = zmsg_next (msg);
    int code = zmsg_size (msg) == 2
             ? crmq_rpc_reply_code (zframe_data (code_frame), zframe_size (code_frame)): -1;
    if (code < 0)
        rc = s_stop (self, CRMQ_INTERNAL, "malformed reply from %s", self->endpoint);
    else
    if (code == CRMQ_OK)
        rc = s_on_ok (self, zframe_data (body), zframe_size (body));
    else
        rc = s_on_error (self, code, zframe_data (body), zframe_size (body));
    zmsg_destroy (&msg);
    return rc;
}

//  Waits on the socket, resending what needs it, until at most `most`
//  batches are in flight.  Returns 0 or -1 (stopped).
static int
s_wait_until (crmq_publisher_t *self, size_t most)
{
    while (self->in_flight > most) {
        if (self->code)
            return -1;
        if (zsys_interrupted)
            return s_stop (self, CRMQ_UNAVAILABLE, "interrupted waiting for %s", self->endpoint);
        int64_t now = crmq_backoff_now_ms ();
        int64_t next = INT64_MAX;   //  the next resend due or timeout
        for (size_t i = 0; i < CRMQ_PUBLISHER_MAX_WINDOW && !self->code; i++) {
            s_batch_t *batch = &self->flight [i];
            if (batch->state == S_BACKING_OFF) {
                if (batch->resend_ms <= now)
                    s_resend (self, batch, "unavailable");
                else
                if (batch->resend_ms < next)
                    next = batch->resend_ms;
            }
        }
        if (self->code)
            return -1;
        s_batch_t *oldest = s_oldest_waiting (self);
        if (oldest) {
            //  the server works through a socket's requests in order: the
            //  oldest waiting batch's clock starts when it is the oldest
            if (oldest->send_seq != self->head_seq) {
                self->head_seq = oldest->send_seq;
                self->head_since_ms = now > oldest->sent_ms? now: oldest->sent_ms;
            }
            int64_t deadline = self->head_since_ms + self->timeout_ms;
            if (deadline <= now) {
                crmq_log (CRMQ_LOG_INFO, "no reply, reconnecting", "endpoint=%s batches=%zu "
                          "timeout_ms=%d", crmq_log_q (self->endpoint), self->in_flight,
                          self->timeout_ms);
                if (s_reconnect (self) != 0)
                    return -1;
                continue;
            }
            if (deadline < next)
                next = deadline;
        }
        long wait = next == INT64_MAX? 100: (long) (next - now);
        zmq_pollitem_t item = { zsock_resolve (self->dealer), 0, ZMQ_POLLIN, 0 };
        int rc = zmq_poll (&item, 1, wait);
        if (rc > 0 && s_receive (self) != 0)
            return -1;
        if (rc < 0 && zmq_errno () != EINTR)
            return s_stop (self, CRMQ_UNAVAILABLE, "poll failed: %s", zmq_strerror (zmq_errno ()));
    }
    return self->code? -1: 0;
}

//  --------------------------------------------------------------------------
//  Forming batches

int
crmq_publisher_flush (crmq_publisher_t *self)
{
    assert (self);
    if (self->code)
        return -1;
    if (self->open_events == 0)
        return 0;
    //  the batch id goes last
    uint8_t *data = self->open;
    size_t size = self->open_size;
    data [size++] = S_TAG_BATCH_ID;
    size += s_varint_write (data + size, self->next_id);
    assert (self->max_request == 0 || size <= self->max_request);
    self->batches++;
    self->events += self->open_events;
    size_t events = self->open_events;
    uint64_t id = self->next_id++;
    self->open = NULL;
    self->open_size = self->open_capacity = self->open_events = 0;
    if (!self->endpoint) {          //  dry run
        free (data);
        return 0;
    }
    if (s_wait_until (self, self->window - 1) != 0) {
        free (data);
        return -1;
    }
    s_batch_t *batch = NULL;
    for (size_t i = 0; i < CRMQ_PUBLISHER_MAX_WINDOW && !batch; i++)
        if (self->flight [i].state == S_FREE)
            batch = &self->flight [i];
    assert (batch);                 //  window <= CRMQ_PUBLISHER_MAX_WINDOW
    *batch = (s_batch_t) { .id = id, .data = data, .size = size, .events = events };
    if (++self->in_flight > self->max_in_flight)
        self->max_in_flight = self->in_flight;
    s_send (self, batch);
    //  take the replies already there, without waiting
    zmq_pollitem_t item = { zsock_resolve (self->dealer), 0, ZMQ_POLLIN, 0 };
    while (!self->code && zmq_poll (&item, 1, 0) > 0)
        if (s_receive (self) != 0)
            return -1;
    return self->code? -1: 0;
}

int
crmq_publisher_add (crmq_publisher_t *self, const Crmq__ErpEvent *event)
{
    assert (self && event);
    if (self->code)
        return -1;
    size_t size = crmq__erp_event__get_packed_size (event);
    size_t framed = 1 + s_varint_size (size) + size;
    bool fits = self->max_request == 0
             || self->open_size + framed + s_id_field_size (self->next_id) <= self->max_request;
    //  the id of the batch this event would go to
    uint64_t id = fits || self->open_events == 0? self->next_id: self->next_id + 1;
    size_t alone = framed + s_id_field_size (id);
    if (self->max_request && alone > self->max_request) {
        snprintf (self->message, sizeof self->message, "a request with this event alone is "
                  "%zu bytes, over the %zu-byte frame limit (CRMQ_MAX_MESSAGE_BYTES); not sent",
                  alone, self->max_request);
        return CRMQ_RESOURCE_EXHAUSTED;
    }
    if (!fits && crmq_publisher_flush (self) != 0)
        return -1;
    //  room for the event and, at flush, the id field
    size_t needed = self->open_size + framed + s_id_field_size (self->next_id);
    if (needed > self->open_capacity) {
        size_t capacity = self->open_capacity? self->open_capacity: 4096;
        while (capacity < needed)
            capacity *= 2;
        uint8_t *grown = (uint8_t *) realloc (self->open, capacity);
        if (!grown)
            return s_stop (self, CRMQ_RESOURCE_EXHAUSTED, "out of memory for a %zu-byte batch",
                           capacity);
        self->open = grown;
        self->open_capacity = capacity;
    }
    uint8_t *out = self->open + self->open_size;
    *out++ = S_TAG_EVENTS;
    out += s_varint_write (out, size);
    crmq__erp_event__pack (event, out);
    self->open_size += framed;
    self->open_events++;
    self->bytes += size;
    if (self->open_events >= self->batch_size)
        return crmq_publisher_flush (self);
    return 0;
}

int
crmq_publisher_barrier (crmq_publisher_t *self)
{
    assert (self);
    if (crmq_publisher_flush (self) != 0)
        return -1;
    return self->endpoint? s_wait_until (self, 0): 0;
}

int crmq_publisher_code (crmq_publisher_t *self) { assert (self); return self->code; }
const char *crmq_publisher_message (crmq_publisher_t *self) { assert (self); return self->message; }
size_t crmq_publisher_batches (crmq_publisher_t *self) { assert (self); return self->batches; }
size_t crmq_publisher_events (crmq_publisher_t *self) { assert (self); return self->events; }
size_t crmq_publisher_bytes (crmq_publisher_t *self) { assert (self); return self->bytes; }
size_t crmq_publisher_in_flight (crmq_publisher_t *self) { assert (self); return self->in_flight; }
size_t crmq_publisher_resends (crmq_publisher_t *self) { assert (self); return self->resends; }
size_t crmq_publisher_acknowledged (crmq_publisher_t *self) { assert (self); return self->acknowledged; }

//  --------------------------------------------------------------------------
//  Self-test

#define S_TEST_IDS 64               //  batch ids the fake server keeps counts for

//  What the fake crmq-sales does, and what it saw.
typedef struct {
    char endpoint [64];
    int delay_ms;                   //  before each reply
    uint64_t drop_once;             //  the first request of this batch gets no reply
    uint64_t unavailable_once;      //  ... is answered 14 UNAVAILABLE
    uint64_t refuse;                //  every request of this batch is answered 3
    bool drop_all;                  //  nothing is answered
    bool no_echo;                   //  OK replies carry no batch id
    int received [S_TEST_IDS];      //  requests seen per batch id
    size_t largest;                 //  largest request, bytes
    bool unreadable;                //  a request did not unpack
} s_test_plan_t;

//  Answers [code][crmq.Error].
static void
s_test_error (zsock_t *router, zframe_t *identity, int code, const char *message)
{
    Crmq__Error error = CRMQ__ERROR__INIT;
    error.code = code;
    error.message = (char *) message;
    uint8_t packed [256];
    size_t size = crmq__error__pack (&error, packed);
    char text [8];
    snprintf (text, sizeof text, "%d", code);
    zsock_send (router, "fsb", identity, text, packed, size);
}

//  The fake crmq-sales: a ROUTER answering sales.Ingest as the plan says;
//  an event id seen before comes back as a duplicate.
static void
s_test_server (zsock_t *pipe, void *args)
{
    s_test_plan_t *plan = (s_test_plan_t *) args;
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    assert (router);
    int rc = zsock_bind (router, "%s", plan->endpoint);
    assert (rc == 0);
    zhashx_t *seen = zhashx_new ();
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    zsock_signal (pipe, 0);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which != router)
            break;                  //  $TERM or interrupted
        zmsg_t *msg = zmsg_recv (router);
        zframe_t *identity = zmsg_pop (msg);
        zframe_t *method = zmsg_pop (msg);
        zframe_t *body = zmsg_pop (msg);
        assert (method && zframe_streq (method, S_METHOD) && body);
        if (zframe_size (body) > plan->largest)
            plan->largest = zframe_size (body);
        Crmq__IngestRequest *request =
            crmq__ingest_request__unpack (NULL, zframe_size (body), zframe_data (body));
        if (!request)
            plan->unreadable = true;
        uint64_t id = request? request->batch_id: 0;
        int count = id < S_TEST_IDS? ++plan->received [id]: 0;
        if (plan->delay_ms)
            zclock_sleep (plan->delay_ms);
        if (!request || plan->drop_all || (id == plan->drop_once && count == 1))
            ;                       //  no reply
        else
        if (id == plan->unavailable_once && count == 1)
            s_test_error (router, identity, CRMQ_UNAVAILABLE, "database away");
        else
        if (id == plan->refuse)
            s_test_error (router, identity, CRMQ_INVALID_ARGUMENT, "bad batch");
        else {
            Crmq__IngestReply reply = CRMQ__INGEST_REPLY__INIT;
            Crmq__EventResult *results = calloc (request->n_events, sizeof (Crmq__EventResult));
            Crmq__EventResult **pointers = calloc (request->n_events, sizeof (void *));
            for (size_t i = 0; i < request->n_events; i++) {
                crmq__event_result__init (&results [i]);
                results [i].event_id = request->events [i]->event_id;
                results [i].duplicate = zhashx_lookup (seen, request->events [i]->event_id) != NULL;
                if (!results [i].duplicate)
                    zhashx_insert (seen, request->events [i]->event_id, (void *) 1);
                pointers [i] = &results [i];
            }
            reply.n_results = request->n_events;
            reply.results = pointers;
            reply.batch_id = plan->no_echo? 0: id;
            size_t size = crmq__ingest_reply__get_packed_size (&reply);
            uint8_t *packed = malloc (size + 1);
            crmq__ingest_reply__pack (&reply, packed);
            zsock_send (router, "fsb", identity, "0", packed, size);
            free (packed);
            free (pointers);
            free (results);
        }
        if (request)
            crmq__ingest_request__free_unpacked (request, NULL);
        zframe_destroy (&identity);
        zframe_destroy (&method);
        zframe_destroy (&body);
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    zhashx_destroy (&seen);
    zsock_destroy (&router);
}

//  What the test's ack function saw.
typedef struct {
    crmq_publisher_t *publisher;
    size_t batch_size;              //  events per batch, all batches full
    int acked [1000];               //  acknowledgements per event number
    size_t batches;
    size_t duplicates;
    bool wrong;                     //  a result named another batch's event
} s_test_acks_t;

static void
s_test_ack (void *arg, uint64_t batch_id, const Crmq__IngestReply *reply)
{
    s_test_acks_t *acks = (s_test_acks_t *) arg;
    acks->batches++;
    for (size_t i = 0; i < reply->n_results; i++) {
        int n = atoi (reply->results [i]->event_id + 2);      //  "e:N"
        //  batch k holds events (k - 1) * batch_size ... k * batch_size - 1
        if ((uint64_t) n / acks->batch_size + 1 != batch_id || n < 0 || n >= 1000)
            acks->wrong = true;
        else
            acks->acked [n]++;
        if (reply->results [i]->duplicate)
            acks->duplicates++;
    }
    assert (crmq_publisher_in_flight (acks->publisher) < CRMQ_PUBLISHER_MAX_WINDOW);
}

//  An event of `extra` bytes of name: "e:N".
static Crmq__ErpEvent *
s_test_event (int n, size_t extra)
{
    Crmq__ErpEvent *event = calloc (1, sizeof (Crmq__ErpEvent));
    crmq__erp_event__init (event);
    event->event_id = malloc (16);
    snprintf (event->event_id, 16, "e:%d", n);
    event->body_case = CRMQ__ERP_EVENT__BODY_PRODUCT;
    event->product = calloc (1, sizeof (Crmq__Product));
    crmq__product__init (event->product);
    event->product->external_id = strdup ("P");
    event->product->name = calloc (1, extra + 1);
    memset (event->product->name, 'n', extra);
    return event;
}

//  Publishes events 0 .. count-1 through a fresh publisher to a fake server
//  run by `plan`; returns what barrier returned.  The publisher is left in
//  *publisher_p for the caller to look at and destroy.
static int
s_test_run (s_test_plan_t *plan, s_test_acks_t *acks, crmq_publisher_t **publisher_p,
            size_t window, int timeout_ms, int retries, int count)
{
    static int run = 0;
    snprintf (plan->endpoint, sizeof plan->endpoint, "inproc://crmq-publisher-test-%d", ++run);
    zactor_t *server = zactor_new (s_test_server, plan);
    assert (server);
    crmq_publisher_t *publisher = crmq_publisher_new (plan->endpoint, acks->batch_size, 0);
    assert (publisher);
    crmq_publisher_set_window (publisher, window);
    crmq_publisher_set_timeout (publisher, timeout_ms, retries);
    crmq_publisher_set_ack_fn (publisher, s_test_ack, acks);
    acks->publisher = publisher;
    int rc = 0;
    for (int n = 0; n < count && rc == 0; n++) {
        Crmq__ErpEvent *event = s_test_event (n, 10);
        rc = crmq_publisher_add (publisher, event);
        crmq__erp_event__free_unpacked (event, NULL);
    }
    if (rc == 0)
        rc = crmq_publisher_barrier (publisher);
    zactor_destroy (&server);
    *publisher_p = publisher;
    return rc;
}

//  Every event 0 .. count-1 acknowledged exactly once, to its own batch.
static bool
s_test_all_once (s_test_acks_t *acks, int count)
{
    for (int n = 0; n < count; n++)
        if (acks->acked [n] != 1)
            return false;
    return !acks->wrong;
}

void
crmq_publisher_test (bool verbose)
{
    printf (" * crmq_publisher: ");

    //  Dry run: batches by count and by size; an event too large alone
    if (verbose)
        printf ("\n");
    crmq_publisher_t *publisher = crmq_publisher_new (NULL, 3, 200);
    assert (publisher);
    Crmq__ErpEvent *small = s_test_event (1, 10);
    Crmq__ErpEvent *medium = s_test_event (2, 80);
    Crmq__ErpEvent *large = s_test_event (3, 300);
    for (int i = 0; i < 7; i++)
        assert (crmq_publisher_add (publisher, small) == 0);
    assert (crmq_publisher_batches (publisher) == 2 && crmq_publisher_events (publisher) == 6);
    assert (crmq_publisher_add (publisher, medium) == 0);
    assert (crmq_publisher_add (publisher, medium) == 0);       //  1 small + 2 medium over 200?
    size_t batches = crmq_publisher_batches (publisher);
    assert (crmq_publisher_add (publisher, large) == CRMQ_RESOURCE_EXHAUSTED);
    assert (strstr (crmq_publisher_message (publisher), "over the 200-byte frame limit"));
    assert (crmq_publisher_batches (publisher) == batches);    //  nothing sent for it
    assert (crmq_publisher_code (publisher) == 0);
    assert (crmq_publisher_barrier (publisher) == 0);
    assert (crmq_publisher_events (publisher) == 9);
    assert (crmq_publisher_in_flight (publisher) == 0);
    size_t expected_bytes = 7 * crmq__erp_event__get_packed_size (small)
                          + 2 * crmq__erp_event__get_packed_size (medium);
    assert (crmq_publisher_bytes (publisher) == expected_bytes);
    crmq_publisher_destroy (&publisher);
    crmq_publisher_destroy (&publisher);
    assert (publisher == NULL);

    //  Requests never above the limit, and readable with their batch id
    s_test_plan_t plan = { 0 };
    zsys_init ();
    snprintf (plan.endpoint, sizeof plan.endpoint, "inproc://crmq-publisher-test-size");
    zactor_t *server = zactor_new (s_test_server, &plan);
    publisher = crmq_publisher_new (plan.endpoint, 100, 200);
    for (int i = 0; i < 20; i++)
        assert (crmq_publisher_add (publisher, i % 3? small: medium) == 0);
    assert (crmq_publisher_barrier (publisher) == 0);
    assert (crmq_publisher_acknowledged (publisher) == crmq_publisher_batches (publisher));
    if (verbose)
        printf ("largest request %zu bytes\n", plan.largest);
    assert (plan.largest <= 200 && plan.largest > 120 && !plan.unreadable);
    for (uint64_t id = 1; id <= crmq_publisher_batches (publisher); id++)
        assert (plan.received [id] == 1);
    crmq_publisher_destroy (&publisher);
    zactor_destroy (&server);
    crmq__erp_event__free_unpacked (small, NULL);
    crmq__erp_event__free_unpacked (medium, NULL);
    crmq__erp_event__free_unpacked (large, NULL);

    //  A window of 3 fills and every event is acknowledged once
    s_test_acks_t acks = { .batch_size = 5 };
    memset (&plan, 0, sizeof plan);
    plan.delay_ms = 2;
    assert (s_test_run (&plan, &acks, &publisher, 3, 5000, 0, 48) == 0);
    assert (s_test_all_once (&acks, 48) && acks.batches == 10 && acks.duplicates == 0);
    assert (publisher->max_in_flight == 3);
    assert (crmq_publisher_resends (publisher) == 0);
    crmq_publisher_destroy (&publisher);

    //  A lost reply: the socket is renewed and the waiting batches resent;
    //  those the server had answered come back as duplicates
    memset (&acks, 0, sizeof acks);
    acks.batch_size = 5;
    memset (&plan, 0, sizeof plan);
    plan.drop_once = 2;
    assert (s_test_run (&plan, &acks, &publisher, 4, 100, 5, 40) == 0);
    assert (s_test_all_once (&acks, 40));
    assert (plan.received [2] == 2 && crmq_publisher_resends (publisher) >= 1);
    crmq_publisher_destroy (&publisher);

    //  UNAVAILABLE belongs to the oldest batch waiting, which is resent
    //  after a backoff while the others go on
    memset (&acks, 0, sizeof acks);
    acks.batch_size = 5;
    memset (&plan, 0, sizeof plan);
    plan.unavailable_once = 3;
    plan.delay_ms = 1;
    assert (s_test_run (&plan, &acks, &publisher, 4, 5000, 1, 50) == 0);
    assert (s_test_all_once (&acks, 50) && acks.duplicates == 0);
    assert (plan.received [3] == 2 && plan.received [4] == 1);
    crmq_publisher_destroy (&publisher);

    //  Replies without batch id go to the oldest waiting
    memset (&acks, 0, sizeof acks);
    acks.batch_size = 4;
    memset (&plan, 0, sizeof plan);
    plan.no_echo = true;
    plan.delay_ms = 1;
    assert (s_test_run (&plan, &acks, &publisher, 8, 5000, 0, 64) == 0);
    assert (s_test_all_once (&acks, 64));
    crmq_publisher_destroy (&publisher);

    //  A batch refused as a whole stops the publisher; its events are never
    //  reported
    memset (&acks, 0, sizeof acks);
    acks.batch_size = 5;
    memset (&plan, 0, sizeof plan);
    plan.refuse = 2;
    assert (s_test_run (&plan, &acks, &publisher, 2, 5000, 3, 40) == -1);
    assert (crmq_publisher_code (publisher) == CRMQ_INVALID_ARGUMENT);
    assert (strstr (crmq_publisher_message (publisher), "batch 2 refused: INVALID_ARGUMENT: bad batch"));
    for (int n = 5; n < 10; n++)
        assert (acks.acked [n] == 0);
    assert (acks.acked [0] == 1 && !acks.wrong);
    Crmq__ErpEvent *event = s_test_event (99, 1);
    assert (crmq_publisher_add (publisher, event) == -1);
    assert (crmq_publisher_flush (publisher) == -1);
    assert (crmq_publisher_barrier (publisher) == -1);
    crmq__erp_event__free_unpacked (event, NULL);
    crmq_publisher_destroy (&publisher);

    //  No reply at all: every send is spent, then UNAVAILABLE
    memset (&acks, 0, sizeof acks);
    acks.batch_size = 5;
    memset (&plan, 0, sizeof plan);
    plan.drop_all = true;
    int64_t started = zclock_mono ();
    assert (s_test_run (&plan, &acks, &publisher, 2, 50, 2, 10) == -1);
    assert (zclock_mono () - started >= 150);
    assert (crmq_publisher_code (publisher) == CRMQ_UNAVAILABLE);
    assert (strstr (crmq_publisher_message (publisher), "after 3 attempts"));
    assert (acks.batches == 0 && plan.received [1] == 3);
    crmq_publisher_destroy (&publisher);

    printf ("OK\n");
}

/*  crmq_rpc_server.c - request/reply server on a ROUTER socket.

    The ROUTER receives [identity][method][body] and answers
    [identity][code][body].  Nothing a peer sends can crash the server: a
    wrong frame count, a bad method name or an unknown method is answered
    with INVALID_ARGUMENT or UNIMPLEMENTED before any handler runs, frames
    above max_message_bytes are refused by ZeroMQ (ZMQ_MAXMSGSIZE: the peer
    is disconnected and gets no answer), and a handler that forgets to reply
    produces INTERNAL.

    SIGTERM and SIGINT: czmq installs its handler (zsys_init, which creating
    the socket calls) setting zsys_interrupted; the run loop waits at most
    S_TICK_MS at a time, so it notices even if the signal interrupted another
    thread, answers the request in hand and returns 0.                      */
#include "crmq.h"
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#define S_METHOD_MAX   128          //  longest method name, bytes
#define S_MESSAGE_MAX  1024         //  longest crmq.Error message, bytes
#define S_FIELD_MAX    256          //  longest crmq.Error field, bytes
#define S_TICK_MS      200          //  longest wait of the run loop

struct _crmq_reply_t {
    int code;                       //  -1 until a reply was set
    uint8_t *body;                  //  packed reply or crmq.Error, malloc'd
    size_t size;
};

struct _crmq_rpc_server_t {
    zsock_t *router;
    zpoller_t *poller;
    const crmq_rpc_method_t *methods;
    void *state;
    char *endpoint;                 //  as bound ("tcp://127.0.0.1:5551")
    atomic_bool stopping;
    atomic_uint_fast64_t served;
    crmq_rpc_job_fn *job;           //  background job, or NULL
    int job_interval_ms;
    int64_t job_next_ms;            //  monotonic time of its next run
    struct {
        zsock_t *socket;
        crmq_rpc_reader_fn *fn;
        void *arg;
    } readers [CRMQ_RPC_MAX_READERS];
    int reader_count;
};

//  --------------------------------------------------------------------------
//  Makes `text` valid UTF-8 (proto3 strings must be): a sequence cut at the
//  end is dropped, other invalid bytes become '?'.

static void
s_utf8_clean (char *text)
{
    unsigned char *p = (unsigned char *) text;
    size_t left = strlen (text);
    while (left) {
        unsigned char c = *p;
        size_t len = c < 0x80? 1: c >= 0xC2 && c <= 0xDF? 2: c >= 0xE0 && c <= 0xEF? 3:
                     c >= 0xF0 && c <= 0xF4? 4: 0;
        bool valid = len > 0 && len <= left;
        if (valid && len > 1) {
            unsigned char lo = c == 0xE0? 0xA0: c == 0xF0? 0x90: 0x80;
            unsigned char hi = c == 0xED? 0x9F: c == 0xF4? 0x8F: 0xBF;
            valid = p [1] >= lo && p [1] <= hi;
            for (size_t index = 2; valid && index < len; index++)
                valid = (p [index] & 0xC0) == 0x80;
        }
        if (!valid && len > left) {
            //  A sequence cut short by the end of the text: is it a prefix?
            bool prefix = true;
            for (size_t index = 1; index < left; index++)
                prefix = prefix && (p [index] & 0xC0) == 0x80;
            if (prefix) {
                *p = 0;
                return;
            }
        }
        if (!valid) {
            *p = '?';
            len = 1;
        }
        p += len;
        left -= len;
    }
}

//  Sets the reply to `code` and `body` (taken over).
static void
s_reply_set (crmq_reply_t *reply, int code, uint8_t *body, size_t size)
{
    free (reply->body);
    reply->code = code;
    reply->body = body;
    reply->size = size;
}

//  Packs a crmq.Error into the reply.
static int
s_reply_error (crmq_reply_t *reply, int code, const char *field, const char *message)
{
    char text [S_MESSAGE_MAX + 1];
    char field_text [S_FIELD_MAX + 1];
    snprintf (text, sizeof text, "%s", message);
    snprintf (field_text, sizeof field_text, "%s", field? field: "");
    s_utf8_clean (text);
    s_utf8_clean (field_text);
    Crmq__Error error = CRMQ__ERROR__INIT;
    error.code = code;
    error.message = text;
    error.field = field_text;
    size_t size = crmq__error__get_packed_size (&error);
    uint8_t *body = malloc (size? size: 1);
    if (body)
        crmq__error__pack (&error, body);
    s_reply_set (reply, code, body, body? size: 0);
    return code;
}

crmq_reply_t *
crmq_reply_new (void)
{
    crmq_reply_t *self = (crmq_reply_t *) zmalloc (sizeof (crmq_reply_t));
    self->code = -1;
    return self;
}

void
crmq_reply_destroy (crmq_reply_t **self_p)
{
    if (*self_p) {
        free ((*self_p)->body);
        free (*self_p);
        *self_p = NULL;
    }
}

int
crmq_reply_code (crmq_reply_t *reply)
{
    return reply->code;
}

const uint8_t *
crmq_reply_body (crmq_reply_t *reply, size_t *size)
{
    *size = reply->size;
    return reply->body;
}

int
crmq_reply_ok (crmq_reply_t *reply, const ProtobufCMessage *message)
{
    assert (reply);
    size_t size = message? protobuf_c_message_get_packed_size (message): 0;
    uint8_t *body = malloc (size? size: 1);
    if (!body)
        return s_reply_error (reply, CRMQ_INTERNAL, NULL, "out of memory packing the reply");
    if (message)
        protobuf_c_message_pack (message, body);
    s_reply_set (reply, CRMQ_OK, body, size);
    return CRMQ_OK;
}

int
crmq_reply_error (crmq_reply_t *reply, int code, const char *field, const char *format, ...)
{
    assert (reply);
    assert (format);
    char message [S_MESSAGE_MAX + 1];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    if (code <= 0) {
        //  A handler bug; the peer still gets a well-formed error
        crmq_log (CRMQ_LOG_ERROR, "crmq_reply_error with a code that is not an error",
                  "code=%d message=%s", code, crmq_log_q (message));
        code = CRMQ_INTERNAL;
    }
    return s_reply_error (reply, code, field, message);
}

//  --------------------------------------------------------------------------

crmq_rpc_server_t *
crmq_rpc_server_new (const char *endpoint, const crmq_rpc_method_t *methods,
                     void *state, size_t max_message_bytes)
{
    assert (endpoint);
    assert (methods);
    crmq_rpc_server_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->methods = methods;
    self->state = state;
    atomic_init (&self->stopping, false);
    atomic_init (&self->served, 0);
    //  zsys_init installs czmq's SIGINT/SIGTERM handler (zsys_interrupted)
    zsys_init ();
    self->router = zsock_new (ZMQ_ROUTER);
    if (self->router) {
        //  Before bind, so that every connection gets the limit
        int limit = max_message_bytes > INT_MAX || max_message_bytes == 0
                  ? INT_MAX: (int) max_message_bytes;
        zsock_set_maxmsgsize (self->router, limit);
        zsock_set_linger (self->router, 0);
        zsock_set_sndtimeo (self->router, 0);
    }
    if (!self->router || zsock_bind (self->router, "%s", endpoint) < 0) {
        crmq_log (CRMQ_LOG_ERROR, "cannot bind", "endpoint=%s error=%s", crmq_log_q (endpoint),
                  crmq_log_q (zmq_strerror (zmq_errno ())));
        crmq_rpc_server_destroy (&self);
        return NULL;
    }
    self->endpoint = zsock_last_endpoint (self->router);
    self->poller = zpoller_new (self->router, NULL);
    if (!self->endpoint || !self->poller) {
        crmq_rpc_server_destroy (&self);
        return NULL;
    }
    crmq_log (CRMQ_LOG_INFO, "listening", "endpoint=%s max_message_bytes=%d",
              crmq_log_q (self->endpoint), zsock_maxmsgsize (self->router));
    return self;
}

void
crmq_rpc_server_destroy (crmq_rpc_server_t **self_p)
{
    assert (self_p);
    crmq_rpc_server_t *self = *self_p;
    if (!self)
        return;
    zpoller_destroy (&self->poller);
    zsock_destroy (&self->router);
    zstr_free (&self->endpoint);
    free (self);
    *self_p = NULL;
}

//  The handler of a method name, or NULL.
static crmq_rpc_handler_fn *
s_lookup (crmq_rpc_server_t *self, const char *name)
{
    for (const crmq_rpc_method_t *method = self->methods; method->name; method++)
        if (streq (method->name, name))
            return method->handler;
    return NULL;
}

//  True for a name of 1..S_METHOD_MAX printable ASCII characters.
static bool
s_method_name_ok (const uint8_t *data, size_t size)
{
    if (size == 0 || size > S_METHOD_MAX)
        return false;
    for (size_t index = 0; index < size; index++)
        if (data [index] < 0x21 || data [index] > 0x7E)
            return false;
    return true;
}

//  Answers one request; takes it over.
static void
s_handle (crmq_rpc_server_t *self, zmsg_t **request_p)
{
    int64_t started = zclock_usecs ();
    zmsg_t *request = *request_p;
    zframe_t *identity = zmsg_pop (request);
    crmq_reply_t reply = { -1, NULL, 0 };
    char method [S_METHOD_MAX + 1] = "";

    if (zmsg_size (request) >= 1) {
        //  For the log: as much of the name as fits, up to a NUL
        zframe_t *name = zmsg_first (request);
        size_t copy = zframe_size (name) < S_METHOD_MAX? zframe_size (name): S_METHOD_MAX;
        memcpy (method, zframe_data (name), copy);
        method [copy] = 0;
    }
    if (zmsg_size (request) != 2)
        crmq_reply_error (&reply, CRMQ_INVALID_ARGUMENT, NULL, "request must be [method][body]");
    else {
        zframe_t *name = zmsg_first (request);
        zframe_t *body = zmsg_next (request);
        size_t name_size = zframe_size (name);
        if (!s_method_name_ok (zframe_data (name), name_size))
            crmq_reply_error (&reply, CRMQ_INVALID_ARGUMENT, NULL,
                              "method name must be 1 to %d printable ASCII characters", S_METHOD_MAX);
        else
        if (streq (method, CRMQ_RPC_PING))
            reply.code = CRMQ_OK;           //  an empty body
        else {
            crmq_rpc_handler_fn *handler = s_lookup (self, method);
            if (!handler)
                crmq_reply_error (&reply, CRMQ_UNIMPLEMENTED, NULL, "unknown method %s", method);
            else {
                handler (self->state, zframe_data (body), zframe_size (body), &reply);
                if (reply.code < 0) {
                    crmq_log (CRMQ_LOG_ERROR, "handler did not reply", "method=%s", crmq_log_q (method));
                    crmq_reply_error (&reply, CRMQ_INTERNAL, NULL, "%s did not reply", method);
                }
            }
        }
    }
    zmsg_destroy (request_p);

    //  [identity][code][body]
    char code [16];
    snprintf (code, sizeof code, "%d", reply.code);
    zmsg_t *answer = zmsg_new ();
    int rc = answer? 0: -1;
    if (rc == 0)
        rc = zmsg_append (answer, &identity);
    if (rc == 0)
        rc = zmsg_addstr (answer, code);
    if (rc == 0)
        rc = zmsg_addmem (answer, reply.body, reply.size);
    if (rc == 0)
        rc = zmsg_send (&answer, self->router);
    zmsg_destroy (&answer);
    zframe_destroy (&identity);
    atomic_fetch_add (&self->served, 1);

    int64_t duration = zclock_usecs () - started;
    crmq_log (reply.code >= CRMQ_INTERNAL? CRMQ_LOG_WARN: CRMQ_LOG_DEBUG, "request",
              "method=%s code=%d duration_us=%lld%s", crmq_log_q (method), reply.code,
              (long long) duration, rc? " sent=false": "");
    free (reply.body);
}

int
crmq_rpc_server_serve_once (crmq_rpc_server_t *self, int timeout_ms)
{
    assert (self);
    if (zsys_interrupted)
        return -1;
    void *which = zpoller_wait (self->poller, timeout_ms);
    if (which == self->router) {
        zmsg_t *request = zmsg_recv (self->router);
        if (!request)
            return zsys_interrupted? -1: 0;
        s_handle (self, &request);
        return 1;
    }
    for (int index = 0; which && index < self->reader_count; index++)
        if (which == self->readers [index].socket) {
            self->readers [index].fn (self->readers [index].socket, self->readers [index].arg);
            return 0;
        }
    if (zpoller_terminated (self->poller) || zsys_interrupted)
        return -1;
    return 0;
}

int
crmq_rpc_server_run (crmq_rpc_server_t *self)
{
    assert (self);
    while (!atomic_load (&self->stopping)) {
        if (crmq_rpc_server_serve_once (self, S_TICK_MS) < 0)
            break;
        if (self->job && zclock_mono () >= self->job_next_ms) {
            self->job (self->state);
            self->job_next_ms = zclock_mono () + self->job_interval_ms;
        }
    }
    crmq_log (CRMQ_LOG_INFO, "stopped", "endpoint=%s served=%llu reason=%s",
              crmq_log_q (self->endpoint), (unsigned long long) atomic_load (&self->served),
              atomic_load (&self->stopping)? "stop": "signal");
    atomic_store (&self->stopping, false);
    return 0;
}

void
crmq_rpc_server_set_job (crmq_rpc_server_t *self, crmq_rpc_job_fn *job, int interval_ms)
{
    assert (self);
    assert (!job || (interval_ms >= 1 && interval_ms <= 3600000));
    self->job = job;
    self->job_interval_ms = interval_ms;
    self->job_next_ms = zclock_mono () + interval_ms;
}

int
crmq_rpc_server_add_reader (crmq_rpc_server_t *self, zsock_t *socket,
                            crmq_rpc_reader_fn *fn, void *arg)
{
    assert (self);
    assert (socket);
    assert (fn);
    if (self->reader_count == CRMQ_RPC_MAX_READERS || zpoller_add (self->poller, socket) != 0)
        return -1;
    self->readers [self->reader_count].socket = socket;
    self->readers [self->reader_count].fn = fn;
    self->readers [self->reader_count].arg = arg;
    self->reader_count++;
    return 0;
}

zsock_t *
crmq_rpc_server_socket (crmq_rpc_server_t *self)
{
    assert (self);
    return self->router;
}

void
crmq_rpc_server_stop (crmq_rpc_server_t *self)
{
    assert (self);
    atomic_store (&self->stopping, true);
}

uint64_t
crmq_rpc_server_served (crmq_rpc_server_t *self)
{
    assert (self);
    return atomic_load (&self->served);
}

//  --------------------------------------------------------------------------
//  Self-test

typedef struct {
    crmq_rpc_server_t *server;
    char endpoint [256];
    uint64_t served;
    int silent_calls;
} s_test_state_t;

//  Answers a crmq.Error with itself: code 0 as OK, else as the error.
static int
s_test_echo (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    (void) state;
    Crmq__Error *request = crmq__error__unpack (NULL, size, body);
    if (!request)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, NULL, "body is not a crmq.Error");
    int rc = request->code
           ? crmq_reply_error (reply, request->code, *request->field? request->field: NULL,
                               "%s", request->message)
           : crmq_reply_ok (reply, &request->base);
    crmq__error__free_unpacked (request, NULL);
    return rc;
}

static int
s_test_silent (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    (void) body; (void) size; (void) reply;
    ((s_test_state_t *) state)->silent_calls++;
    return 0;
}

//  Replies twice: the last reply counts, the first is not leaked.
static int
s_test_twice (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    (void) state; (void) body; (void) size;
    crmq_reply_error (reply, CRMQ_NOT_FOUND, "x", "first");
    return crmq_reply_ok (reply, NULL);
}

static int
s_test_stop (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    (void) body; (void) size;
    crmq_rpc_server_stop (((s_test_state_t *) state)->server);
    return crmq_reply_ok (reply, NULL);
}

static const crmq_rpc_method_t s_test_methods [] = {
    { "test.Echo", s_test_echo },
    { "test.Silent", s_test_silent },
    { "test.Twice", s_test_twice },
    { "test.Stop", s_test_stop },
    { NULL, NULL }
};

#define S_TEST_MAX_MESSAGE 4096

static void
s_test_actor (zsock_t *pipe, void *args)
{
    s_test_state_t *state = args;
    state->server = crmq_rpc_server_new ("tcp://127.0.0.1:*", s_test_methods, state,
                                         S_TEST_MAX_MESSAGE);
    if (state->server)
        snprintf (state->endpoint, sizeof state->endpoint, "%s", state->server->endpoint);
    zsock_signal (pipe, 0);
    if (state->server) {
        int rc = crmq_rpc_server_run (state->server);
        assert (rc == 0);
        state->served = crmq_rpc_server_served (state->server);
        crmq_rpc_server_destroy (&state->server);
    }
    while (true) {
        char *command = zstr_recv (pipe);
        bool term = !command || streq (command, "$TERM");
        zstr_free (&command);
        if (term)
            break;
    }
}

//  Calls test.Echo with an error of `code`; returns the reply code.
static int
s_test_echo_call (crmq_rpc_client_t *client, int code, const char *message, const char *field)
{
    Crmq__Error request = CRMQ__ERROR__INIT;
    request.code = code;
    request.message = (char *) message;
    request.field = (char *) field;
    uint8_t *body = (uint8_t *) "garbage";
    size_t size = 12345;
    int rc = crmq_rpc_call (client, "test.Echo", &request.base, &body, &size);
    if (rc == CRMQ_OK) {
        Crmq__Error *reply = crmq__error__unpack (NULL, size, body);
        assert (reply);
        assert (streq (reply->message, message));
        crmq__error__free_unpacked (reply, NULL);
        free (body);
    }
    else {
        assert (body == NULL);
        assert (size == 0);
    }
    return rc;
}

//  Sends `frames` raw and expects `code` with a message containing `expect`.
static void
s_test_raw (crmq_rpc_client_t *client, const char *method, const void *body, size_t size,
            int frames, int code, const char *expect)
{
    uint8_t *reply = NULL;
    size_t reply_size = 0;
    int rc = crmq_rpc_call_raw (client, method, body, size, frames, &reply, &reply_size);
    if (rc != code || (expect && !strstr (crmq_rpc_client_message (client), expect))) {
        printf ("\nraw call %s/%d frames: code %d message \"%s\", expected %d \"%s\"\n",
                method, frames, rc, crmq_rpc_client_message (client), code, expect? expect: "");
        assert (false);
    }
    free (reply);
}

static void *
s_test_sigterm_later (void *args)
{
    (void) args;
    usleep (100 * 1000);
    kill (getpid (), SIGTERM);
    return NULL;
}

void
crmq_rpc_server_test (bool verbose)
{
    printf (" * crmq_rpc_server: ");

    //  Bad endpoints
    assert (crmq_rpc_server_new ("tcp://no such host:1", s_test_methods, NULL, 1024) == NULL);
    assert (crmq_rpc_client_new ("nonsense", 100, 0) == NULL);

    //  serve_once, in one thread over inproc, with a bare DEALER
    s_test_state_t local_state = { 0 };
    crmq_rpc_server_t *local = crmq_rpc_server_new ("inproc://crmq-rpc-server-test", s_test_methods,
                                                    &local_state, S_TEST_MAX_MESSAGE);
    assert (local);
    local_state.server = local;
    assert (crmq_rpc_server_serve_once (local, 10) == 0);
    zsock_t *dealer = zsock_new_dealer (">inproc://crmq-rpc-server-test");
    assert (dealer);
    Crmq__Error hello = CRMQ__ERROR__INIT;
    hello.message = "hello";
    uint8_t packed [64];
    size_t packed_size = crmq__error__pack (&hello, packed);
    int rc = zsock_send (dealer, "sb", "test.Echo", packed, packed_size);
    assert (rc == 0);
    assert (crmq_rpc_server_serve_once (local, 1000) == 1);
    zmsg_t *answer = zmsg_recv (dealer);
    assert (answer && zmsg_size (answer) == 2);
    char *code = zmsg_popstr (answer);
    assert (streq (code, "0"));
    zstr_free (&code);
    zframe_t *frame = zmsg_pop (answer);
    assert (zframe_size (frame) == packed_size);
    assert (memcmp (zframe_data (frame), packed, packed_size) == 0);
    zframe_destroy (&frame);
    zmsg_destroy (&answer);
    //  [method] alone
    rc = zsock_send (dealer, "s", "test.Echo");
    assert (rc == 0);
    assert (crmq_rpc_server_serve_once (local, 1000) == 1);
    answer = zmsg_recv (dealer);
    assert (answer && zmsg_size (answer) == 2);
    code = zmsg_popstr (answer);
    assert (streq (code, "3"));
    zstr_free (&code);
    frame = zmsg_pop (answer);
    Crmq__Error *error = crmq__error__unpack (NULL, zframe_size (frame), zframe_data (frame));
    assert (error);
    assert (error->code == 3);
    assert (streq (error->message, "request must be [method][body]"));
    crmq__error__free_unpacked (error, NULL);
    zframe_destroy (&frame);
    zmsg_destroy (&answer);
    assert (crmq_rpc_server_served (local) == 2);
    zsock_destroy (&dealer);
    //  The same endpoint cannot be bound twice
    assert (crmq_rpc_server_new ("inproc://crmq-rpc-server-test", s_test_methods, NULL, 1024) == NULL);
    crmq_rpc_server_destroy (&local);
    assert (local == NULL);
    crmq_rpc_server_destroy (&local);

    //  A server over TCP loopback in its own thread, and the client
    s_test_state_t state = { 0 };
    zactor_t *actor = zactor_new (s_test_actor, &state);
    assert (actor);
    assert (*state.endpoint);
    if (verbose)
        printf ("\nserver at %s\n", state.endpoint);
    crmq_rpc_client_t *client = crmq_rpc_client_new (state.endpoint, 2000, 0);
    assert (client);
    assert (streq (crmq_rpc_client_message (client), ""));
    assert (streq (crmq_rpc_client_field (client), ""));

    //  OK, with Cyrillic text
    assert (s_test_echo_call (client, 0, "Привет", "") == CRMQ_OK);
    //  An error reply carries message and field
    assert (s_test_echo_call (client, CRMQ_NOT_FOUND, "client 42 not found", "client_id") == CRMQ_NOT_FOUND);
    assert (streq (crmq_rpc_client_message (client), "client 42 not found"));
    assert (streq (crmq_rpc_client_field (client), "client_id"));
    //  ... and stays until the next error
    assert (s_test_echo_call (client, 0, "ok", "") == CRMQ_OK);
    assert (streq (crmq_rpc_client_field (client), "client_id"));
    assert (s_test_echo_call (client, CRMQ_ALREADY_EXISTS, "dup", "") == CRMQ_ALREADY_EXISTS);
    assert (streq (crmq_rpc_client_field (client), ""));
    //  Messages are cut to 1 KiB, keeping UTF-8 valid: a character cut at
    //  the end is dropped, an invalid byte becomes '?'
    char *long_message = malloc (3001);
    assert (long_message);
    memcpy (long_message, "x\xffy", 3);
    for (int index = 0; index < 1499; index++)
        memcpy (long_message + 3 + 2 * index, "ж", 2);
    long_message [3000] = 0;
    assert (s_test_echo_call (client, CRMQ_INVALID_ARGUMENT, long_message, "") == CRMQ_INVALID_ARGUMENT);
    const char *cut = crmq_rpc_client_message (client);
    assert (strlen (cut) == 1023);
    assert (strncmp (cut, "x?yжж", 7) == 0);
    assert (streq (cut + 1019, "жж"));
    free (long_message);
    //  A code that is not an error still answers an error
    assert (s_test_echo_call (client, -1, "negative", "") == CRMQ_INTERNAL);
    //  An empty body is a valid, all-default message
    uint8_t *reply = NULL;
    size_t reply_size = 99;
    rc = crmq_rpc_call_raw (client, "test.Echo", NULL, 0, 2, &reply, &reply_size);
    assert (rc == CRMQ_OK);
    assert (reply != NULL);
    assert (reply_size == 0);
    free (reply);
    rc = crmq_rpc_call (client, "test.Echo", NULL, NULL, NULL);
    assert (rc == CRMQ_OK);

    //  Malformed requests: code 3, never a crash
    s_test_raw (client, "test.Echo", "\xff\xff\xff\xff", 4, 2, CRMQ_INVALID_ARGUMENT, "not a crmq.Error");
    s_test_raw (client, "test.Echo", "", 0, 1, CRMQ_INVALID_ARGUMENT, "request must be [method][body]");
    s_test_raw (client, "test.Echo", "ab", 2, 3, CRMQ_INVALID_ARGUMENT, "request must be [method][body]");
    s_test_raw (client, "", "", 0, 2, CRMQ_INVALID_ARGUMENT, "method name");
    s_test_raw (client, "test Echo", "", 0, 2, CRMQ_INVALID_ARGUMENT, "method name");
    s_test_raw (client, "test.Эхо", "", 0, 2, CRMQ_INVALID_ARGUMENT, "method name");
    s_test_raw (client, "test.\nEcho", "", 0, 2, CRMQ_INVALID_ARGUMENT, "method name");
    char long_method [200];
    memset (long_method, 'm', sizeof long_method - 1);
    long_method [sizeof long_method - 1] = 0;
    s_test_raw (client, long_method, "", 0, 2, CRMQ_INVALID_ARGUMENT, "method name");
    long_method [128] = 0;          //  128 bytes is allowed
    s_test_raw (client, long_method, "", 0, 2, CRMQ_UNIMPLEMENTED, "unknown method mmm");
    s_test_raw (client, "test.Nope", "", 0, 2, CRMQ_UNIMPLEMENTED, "unknown method test.Nope");
    uint8_t *pong = NULL;
    size_t pong_size = 1;
    assert (crmq_rpc_call_raw (client, CRMQ_RPC_PING, "", 0, 2, &pong, &pong_size) == CRMQ_OK);
    assert (pong_size == 0);
    free (pong);
    assert (streq (crmq_rpc_client_message (client), "unknown method test.Nope"));
    //  Handler mistakes
    s_test_raw (client, "test.Silent", "", 0, 2, CRMQ_INTERNAL, "test.Silent did not reply");
    s_test_raw (client, "test.Twice", "", 0, 2, CRMQ_OK, NULL);

    //  An oversize frame is refused by ZeroMQ: no reply; the server goes on
    char *big = calloc (1, S_TEST_MAX_MESSAGE * 2);
    assert (big);
    crmq_rpc_client_t *impatient = crmq_rpc_client_new (state.endpoint, 300, 1);
    assert (impatient);
    int64_t started = zclock_mono ();
    rc = crmq_rpc_call_raw (impatient, "test.Echo", big, S_TEST_MAX_MESSAGE * 2, 2, &reply, &reply_size);
    assert (rc == CRMQ_UNAVAILABLE);
    assert (reply == NULL);
    assert (zclock_mono () - started >= 600);
    char expect [300];
    snprintf (expect, sizeof expect, "no reply from %s after 2 attempts", state.endpoint);
    assert (streq (crmq_rpc_client_message (impatient), expect));
    //  ... so a client told the limit refuses it at once and sends nothing
    crmq_rpc_client_set_max_request (impatient, S_TEST_MAX_MESSAGE);
    started = zclock_mono ();
    reply_size = 99;
    rc = crmq_rpc_call_raw (impatient, "test.Echo", big, S_TEST_MAX_MESSAGE + 1, 2, &reply, &reply_size);
    assert (rc == CRMQ_RESOURCE_EXHAUSTED);
    assert (reply == NULL && reply_size == 0);
    assert (zclock_mono () - started < 300);
    snprintf (expect, sizeof expect, "request of %d bytes exceeds the %d-byte frame limit "
              "(CRMQ_MAX_MESSAGE_BYTES)", S_TEST_MAX_MESSAGE + 1, S_TEST_MAX_MESSAGE);
    assert (streq (crmq_rpc_client_message (impatient), expect));
    assert (streq (crmq_rpc_client_field (impatient), ""));
    //  The method frame is held to the limit too; with one frame the body is not sent
    char *long_name = malloc (S_TEST_MAX_MESSAGE + 2);
    assert (long_name);
    memset (long_name, 'm', S_TEST_MAX_MESSAGE + 1);
    long_name [S_TEST_MAX_MESSAGE + 1] = 0;
    rc = crmq_rpc_call_raw (impatient, long_name, "", 0, 2, &reply, &reply_size);
    assert (rc == CRMQ_RESOURCE_EXHAUSTED);
    free (long_name);
    s_test_raw (impatient, "test.Echo", big, S_TEST_MAX_MESSAGE * 2, 1, CRMQ_INVALID_ARGUMENT,
                "request must be [method][body]");
    //  Exactly the limit is sent, and ZeroMQ lets it through
    s_test_raw (impatient, "test.Echo", big, S_TEST_MAX_MESSAGE, 2, CRMQ_INVALID_ARGUMENT,
                "not a crmq.Error");
    //  crmq_rpc_call checks the packed size before packing
    Crmq__Error too_large = CRMQ__ERROR__INIT;
    too_large.message = big;
    memset (big, 't', S_TEST_MAX_MESSAGE);
    big [S_TEST_MAX_MESSAGE] = 0;
    reply = (uint8_t *) "stale";
    rc = crmq_rpc_call (impatient, "test.Echo", &too_large.base, &reply, &reply_size);
    assert (rc == CRMQ_RESOURCE_EXHAUSTED);
    assert (reply == NULL && reply_size == 0);
    assert (strncmp (crmq_rpc_client_message (impatient), "request of 4099 bytes exceeds", 29) == 0);
    //  0 = no limit: sent, and dropped by the server again
    crmq_rpc_client_set_max_request (impatient, 0);
    rc = crmq_rpc_call_raw (impatient, "test.Echo", big, S_TEST_MAX_MESSAGE * 2, 2, &reply, &reply_size);
    assert (rc == CRMQ_UNAVAILABLE);
    crmq_rpc_client_set_max_request (impatient, S_TEST_MAX_MESSAGE);
    free (big);
    //  The default is the services' default, 16 MiB
    char *huge = malloc (CRMQ_RPC_CLIENT_MAX_REQUEST + 1);
    assert (huge);
    memset (huge, 0, CRMQ_RPC_CLIENT_MAX_REQUEST + 1);
    started = zclock_mono ();
    rc = crmq_rpc_call_raw (client, "test.Echo", huge, CRMQ_RPC_CLIENT_MAX_REQUEST + 1, 2,
                            &reply, &reply_size);
    assert (rc == CRMQ_RESOURCE_EXHAUSTED);
    assert (zclock_mono () - started < 1000);
    assert (streq (crmq_rpc_client_message (client), "request of 16777217 bytes exceeds the "
                   "16777216-byte frame limit (CRMQ_MAX_MESSAGE_BYTES)"));
    free (huge);
    //  Just under the limit is served (the frame holds the body only)
    Crmq__Error large = CRMQ__ERROR__INIT;
    char *large_text = malloc (S_TEST_MAX_MESSAGE - 64);
    assert (large_text);
    memset (large_text, 'l', S_TEST_MAX_MESSAGE - 65);
    large_text [S_TEST_MAX_MESSAGE - 65] = 0;
    large.message = large_text;
    rc = crmq_rpc_call (impatient, "test.Echo", &large.base, &reply, &reply_size);
    assert (rc == CRMQ_OK);
    free (reply);
    free (large_text);
    assert (s_test_echo_call (impatient, 0, "still serving", "") == CRMQ_OK);
    assert (s_test_echo_call (client, 0, "still serving", "") == CRMQ_OK);
    crmq_rpc_client_destroy (&impatient);

    //  Stop from a handler ends run after the reply
    s_test_raw (client, "test.Stop", "", 0, 2, CRMQ_OK, NULL);
    zactor_destroy (&actor);
    assert (state.silent_calls == 1);
    assert (state.served >= 23);

    //  No server: every attempt times out, then UNAVAILABLE
    crmq_rpc_client_destroy (&client);
    assert (client == NULL);
    crmq_rpc_client_destroy (&client);
    client = crmq_rpc_client_new ("tcp://127.0.0.1:1", 100, 2);
    assert (client);
    started = zclock_mono ();
    assert (s_test_echo_call (client, 0, "anyone?", "") == CRMQ_UNAVAILABLE);
    assert (zclock_mono () - started >= 300);
    assert (streq (crmq_rpc_client_message (client), "no reply from tcp://127.0.0.1:1 after 3 attempts"));
    crmq_rpc_client_destroy (&client);

    //  SIGTERM ends run, which returns 0
    local = crmq_rpc_server_new ("inproc://crmq-rpc-server-sigterm", s_test_methods, NULL, 1024);
    assert (local);
    pthread_t killer;
    rc = pthread_create (&killer, NULL, s_test_sigterm_later, NULL);
    assert (rc == 0);
    started = zclock_mono ();
    rc = crmq_rpc_server_run (local);
    assert (rc == 0);
    assert (zsys_interrupted);
    pthread_join (killer, NULL);
    assert (crmq_rpc_server_serve_once (local, 1000) == -1);
    assert (zclock_mono () - started < 1000);
    zsys_interrupted = 0;           //  the test goes on
    zctx_interrupted = 0;
    crmq_rpc_server_destroy (&local);

    printf ("OK\n");
}

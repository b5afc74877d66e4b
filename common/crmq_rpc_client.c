/*  crmq_rpc_client.c - request/reply client on a DEALER socket (Lazy Pirate).

    A DEALER talking to a ROUTER sends [method][body] with no empty delimiter
    frame; the ROUTER sees [identity][method][body] and answers
    [identity][code][body], of which the DEALER receives [code][body].

    After a call the socket never holds an outstanding request: either the
    reply was read, or the socket was destroyed (linger 0) and recreated, so
    a late reply can never be taken for the answer to the next request.     */
#include "crmq.h"
#include <errno.h>

#define S_TEXT_MAX 1024             //  longest message or field kept

struct _crmq_rpc_client_t {
    char *endpoint;
    zsock_t *dealer;
    int timeout_ms;
    int retries;
    size_t max_request;             //  largest frame sent, bytes; 0 = no limit
    char message [S_TEXT_MAX + 1];
    char field [S_TEXT_MAX + 1];
};

zsock_t *
crmq_rpc_dealer_new (const char *endpoint, int timeout_ms)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    if (!dealer)
        return NULL;
    zsock_set_linger (dealer, 0);
    zsock_set_maxmsgsize (dealer, -1);          //  replies are trusted
    zsock_set_sndtimeo (dealer, timeout_ms);
    if (zsock_connect (dealer, "%s", endpoint) != 0)
        zsock_destroy (&dealer);
    return dealer;
}

crmq_rpc_client_t *
crmq_rpc_client_new (const char *endpoint, int timeout_ms, int retries)
{
    if (!endpoint)
        return NULL;
    crmq_rpc_client_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->endpoint = strdup (endpoint);
    self->timeout_ms = timeout_ms > 0? timeout_ms: 1;
    self->retries = retries > 0? retries: 0;
    self->max_request = CRMQ_RPC_CLIENT_MAX_REQUEST;
    if (self->endpoint)
        self->dealer = crmq_rpc_dealer_new (endpoint, self->timeout_ms);
    if (!self->dealer) {
        crmq_log (CRMQ_LOG_ERROR, "cannot connect", "endpoint=%s error=%s",
                  crmq_log_q (endpoint), crmq_log_q (zmq_strerror (zmq_errno ())));
        crmq_rpc_client_destroy (&self);
        return NULL;
    }
    return self;
}

void
crmq_rpc_client_destroy (crmq_rpc_client_t **self_p)
{
    assert (self_p);
    crmq_rpc_client_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->dealer);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

void
crmq_rpc_client_set_max_request (crmq_rpc_client_t *self, size_t bytes)
{
    assert (self);
    self->max_request = bytes;
}

//  Records the description of a non-zero outcome.
static int
s_outcome (crmq_rpc_client_t *self, int code, const char *field, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->message, sizeof self->message, format, args);
    va_end (args);
    snprintf (self->field, sizeof self->field, "%s", field? field: "");
    return code;
}

//  Refuses a frame of `size` bytes above the limit: the server would drop it
//  without a reply.  Returns 0, or CRMQ_RESOURCE_EXHAUSTED (described).
static int
s_check_size (crmq_rpc_client_t *self, const char *method, size_t size)
{
    if (self->max_request == 0 || size <= self->max_request)
        return 0;
    crmq_log (CRMQ_LOG_WARN, "request too large, not sent",
              "endpoint=%s method=%s bytes=%zu limit=%zu", crmq_log_q (self->endpoint),
              crmq_log_q (method), size, self->max_request);
    return s_outcome (self, CRMQ_RESOURCE_EXHAUSTED, NULL, "request of %zu bytes exceeds the "
                      "%zu-byte frame limit (CRMQ_MAX_MESSAGE_BYTES)", size, self->max_request);
}

//  Drops whatever the socket holds and starts over with a new one.
static void
s_reset (crmq_rpc_client_t *self)
{
    zsock_destroy (&self->dealer);
    self->dealer = crmq_rpc_dealer_new (self->endpoint, self->timeout_ms);
}

//  Sends one request.  Returns 0, or -1 when it could not be queued.
static int
s_send (crmq_rpc_client_t *self, const char *method, const void *body, size_t size, int frames)
{
    zmsg_t *request = zmsg_new ();
    if (!request)
        return -1;
    int rc = zmsg_addmem (request, method, strlen (method));
    for (int frame = 1; frame < frames && rc == 0; frame++)
        rc = zmsg_addmem (request, body, size);
    if (rc == 0)
        rc = zmsg_send (&request, self->dealer);
    zmsg_destroy (&request);
    return rc;
}

//  Waits up to the timeout for the reply.  Returns it, or NULL on timeout
//  or interruption (*interrupted set).
static zmsg_t *
s_wait (crmq_rpc_client_t *self, bool *interrupted)
{
    int64_t deadline = zclock_mono () + self->timeout_ms;
    while (true) {
        int64_t left = deadline - zclock_mono ();
        if (left < 0)
            left = 0;
        zmq_pollitem_t item = { zsock_resolve (self->dealer), 0, ZMQ_POLLIN, 0 };
        int rc = zmq_poll (&item, 1, (long) left);
        if (rc > 0)
            return zmsg_recv (self->dealer);
        if (rc < 0 && zmq_errno () == EINTR && !zsys_interrupted)
            continue;
        if (rc < 0 || zsys_interrupted) {
            *interrupted = true;
            return NULL;
        }
        if (left == 0)
            return NULL;
    }
}

int
crmq_rpc_reply_code (const void *data, size_t size)
{
    const char *text = (const char *) data;
    if (size == 0 || size > 5)
        return -1;
    int code = 0;
    for (size_t index = 0; index < size; index++) {
        if (text [index] < '0' || text [index] > '9')
            return -1;
        code = code * 10 + (text [index] - '0');
    }
    return code;
}

//  Reads a reply [code][body].  Returns the code, or -1 if malformed.
static int
s_parse_reply (crmq_rpc_client_t *self, zmsg_t *reply, uint8_t **reply_body, size_t *reply_size)
{
    if (zmsg_size (reply) != 2)
        return -1;
    zframe_t *code_frame = zmsg_first (reply);
    zframe_t *body_frame = zmsg_next (reply);
    int code = crmq_rpc_reply_code (zframe_data (code_frame), zframe_size (code_frame));
    if (code < 0)
        return -1;
    size_t size = zframe_size (body_frame);
    if (code == CRMQ_OK) {
        uint8_t *copy = malloc (size? size: 1);
        if (!copy)
            return s_outcome (self, CRMQ_INTERNAL, NULL, "out of memory for a %zu-byte reply", size);
        memcpy (copy, zframe_data (body_frame), size);
        if (reply_body)
            *reply_body = copy;
        else
            free (copy);
        if (reply_size)
            *reply_size = size;
        return CRMQ_OK;
    }
    Crmq__Error *error = crmq__error__unpack (NULL, size, zframe_data (body_frame));
    if (error) {
        s_outcome (self, code, error->field, "%s", error->message? error->message: "");
        crmq__error__free_unpacked (error, NULL);
    }
    else
        s_outcome (self, code, NULL, "%s (error body unreadable)", crmq_status_name (code));
    return code;
}

int
crmq_rpc_call_raw (crmq_rpc_client_t *self, const char *method, const void *body,
                   size_t size, int frames, uint8_t **reply_body, size_t *reply_size)
{
    assert (self);
    assert (method);
    assert (frames >= 1 && frames <= 3);
    assert (body || size == 0);
    if (reply_body)
        *reply_body = NULL;
    if (reply_size)
        *reply_size = 0;
    if (!body)
        body = "";
    size_t method_size = strlen (method);
    int refused = s_check_size (self, method, method_size);
    if (!refused && frames > 1)
        refused = s_check_size (self, method, size);
    if (refused)
        return refused;

    int attempts = 1 + self->retries;
    for (int attempt = 1; attempt <= attempts; attempt++) {
        if (!self->dealer) {
            s_reset (self);
            if (!self->dealer)
                return s_outcome (self, CRMQ_UNAVAILABLE, NULL, "cannot connect to %s", self->endpoint);
        }
        bool interrupted = false;
        zmsg_t *reply = NULL;
        if (s_send (self, method, body, size, frames) == 0)
            reply = s_wait (self, &interrupted);
        if (reply) {
            int code = s_parse_reply (self, reply, reply_body, reply_size);
            zmsg_destroy (&reply);
            if (code >= 0)
                return code;
            s_reset (self);
            crmq_log (CRMQ_LOG_WARN, "malformed reply", "endpoint=%s method=%s",
                      crmq_log_q (self->endpoint), crmq_log_q (method));
            return s_outcome (self, CRMQ_INTERNAL, NULL, "malformed reply from %s", self->endpoint);
        }
        //  No reply: whatever comes later must not be read as the next answer
        s_reset (self);
        if (interrupted)
            return s_outcome (self, CRMQ_UNAVAILABLE, NULL, "interrupted waiting for %s", self->endpoint);
        if (attempt < attempts)
            crmq_log (CRMQ_LOG_DEBUG, "no reply, resending", "endpoint=%s method=%s attempt=%d",
                      crmq_log_q (self->endpoint), crmq_log_q (method), attempt);
    }
    crmq_log (CRMQ_LOG_WARN, "no reply", "endpoint=%s method=%s attempts=%d",
              crmq_log_q (self->endpoint), crmq_log_q (method), attempts);
    return s_outcome (self, CRMQ_UNAVAILABLE, NULL, "no reply from %s after %d attempts",
                      self->endpoint, attempts);
}

int
crmq_rpc_call (crmq_rpc_client_t *self, const char *method, const ProtobufCMessage *request,
               uint8_t **reply_body, size_t *reply_size)
{
    assert (self);
    assert (method);
    if (reply_body)
        *reply_body = NULL;
    if (reply_size)
        *reply_size = 0;
    size_t size = request? protobuf_c_message_get_packed_size (request): 0;
    //  Refused before packing: no memory spent on a request never sent
    int refused = s_check_size (self, method, strlen (method));
    if (!refused)
        refused = s_check_size (self, method, size);
    if (refused)
        return refused;
    uint8_t *body = malloc (size? size: 1);
    if (!body)
        return s_outcome (self, CRMQ_INTERNAL, NULL, "out of memory for a %zu-byte request", size);
    if (request)
        protobuf_c_message_pack (request, body);
    int code = crmq_rpc_call_raw (self, method, body, size, 2, reply_body, reply_size);
    free (body);
    return code;
}

const char *
crmq_rpc_client_message (crmq_rpc_client_t *self)
{
    assert (self);
    return self->message;
}

const char *
crmq_rpc_client_field (crmq_rpc_client_t *self)
{
    assert (self);
    return self->field;
}

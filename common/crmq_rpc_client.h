/*  crmq_rpc_client.h - request/reply client on a DEALER socket.

    One request at a time.  When no reply comes within the timeout the socket
    is closed (dropping any late reply) and reopened, and the request resent,
    up to `retries` times; so only idempotent methods may be called, which all
    crmq methods are.

    A server drops a frame above its CRMQ_MAX_MESSAGE_BYTES without any reply
    (ZeroMQ's ZMQ_MAXMSGSIZE disconnects the sender), which a client could
    only take for a lost reply and resend for ever.  So the client refuses,
    before sending, a request whose method or body frame is larger than its
    own limit (crmq_rpc_client_set_max_request, 16 MiB by default, the
    services' default); set it to the servers' CRMQ_MAX_MESSAGE_BYTES.      */
#ifndef CRMQ_RPC_CLIENT_H_INCLUDED
#define CRMQ_RPC_CLIENT_H_INCLUDED

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <czmq.h>

typedef struct _crmq_rpc_client_t crmq_rpc_client_t;

//  Default largest request frame, bytes: the services' default
//  CRMQ_MAX_MESSAGE_BYTES (16 MiB).
#define CRMQ_RPC_CLIENT_MAX_REQUEST 16777216

//  Creates a client connected to `endpoint`.  timeout_ms per attempt.
//  Returns NULL for an endpoint ZeroMQ rejects.
crmq_rpc_client_t *crmq_rpc_client_new (const char *endpoint, int timeout_ms, int retries);

//  Closes and frees; sets *self_p to NULL; safe on NULL.
void crmq_rpc_client_destroy (crmq_rpc_client_t **self_p);

//  Sets the largest frame, in bytes, a request may have: a call whose method
//  name or body is larger fails at once with CRMQ_RESOURCE_EXHAUSTED and
//  sends nothing.  0 = no limit.  Default CRMQ_RPC_CLIENT_MAX_REQUEST
//  (16 MiB).  Give it the servers' CRMQ_MAX_MESSAGE_BYTES.
void crmq_rpc_client_set_max_request (crmq_rpc_client_t *self, size_t bytes);

//  Sends `method` with `request` packed as body and waits for the reply.
//  Returns the reply code.  On 0, *reply_body (malloc'd, caller frees) and
//  *reply_size hold the reply message; on any other code they are NULL/0
//  and crmq_rpc_client_message()/field() describe the error.  No reply after
//  every attempt gives CRMQ_UNAVAILABLE.  A packed request above the
//  client's max_request gives CRMQ_RESOURCE_EXHAUSTED, nothing sent, with
//  the message "request of N bytes exceeds the M-byte frame limit
//  (CRMQ_MAX_MESSAGE_BYTES)".
int crmq_rpc_call (crmq_rpc_client_t *self, const char *method, const ProtobufCMessage *request,
                   uint8_t **reply_body, size_t *reply_size);

//  As crmq_rpc_call with a raw body (may be malformed, for tests) and an
//  explicit frame count: frames = 1 sends only [method], 2 sends [method][body],
//  3 sends [method][body][body].  Every frame sent (the method name without
//  its NUL, the body) is held to max_request as in crmq_rpc_call.
int crmq_rpc_call_raw (crmq_rpc_client_t *self, const char *method, const void *body,
                       size_t size, int frames, uint8_t **reply_body, size_t *reply_size);

//  A DEALER socket as the client uses it, connected to `endpoint`: linger 0
//  (closing it drops whatever it holds), no limit on replies, sends waiting
//  at most timeout_ms.  For clients with requests of their own (the ERP
//  publisher).  Returns NULL when ZeroMQ refuses the endpoint.
zsock_t *crmq_rpc_dealer_new (const char *endpoint, int timeout_ms);

//  The status code of a reply's first frame (`size` bytes of decimal
//  digits, 1 to 5), or -1 when it is not one.
int crmq_rpc_reply_code (const void *data, size_t size);

//  Message and field of the last non-zero reply ("" if none).  Owned by self.
const char *crmq_rpc_client_message (crmq_rpc_client_t *self);
const char *crmq_rpc_client_field (crmq_rpc_client_t *self);

#endif

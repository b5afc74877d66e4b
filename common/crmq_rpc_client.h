/*  crmq_rpc_client.h - request/reply client on a DEALER socket.

    One request at a time.  When no reply comes within the timeout the socket
    is closed (dropping any late reply) and reopened, and the request resent,
    up to `retries` times; so only idempotent methods may be called, which all
    crmq methods are.                                                        */
#ifndef CRMQ_RPC_CLIENT_H_INCLUDED
#define CRMQ_RPC_CLIENT_H_INCLUDED

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _crmq_rpc_client_t crmq_rpc_client_t;

//  Creates a client connected to `endpoint`.  timeout_ms per attempt.
//  Returns NULL for an endpoint ZeroMQ rejects.
crmq_rpc_client_t *crmq_rpc_client_new (const char *endpoint, int timeout_ms, int retries);

//  Closes and frees; sets *self_p to NULL; safe on NULL.
void crmq_rpc_client_destroy (crmq_rpc_client_t **self_p);

//  Sends `method` with `request` packed as body and waits for the reply.
//  Returns the reply code.  On 0, *reply_body (malloc'd, caller frees) and
//  *reply_size hold the reply message; on any other code they are NULL/0
//  and crmq_rpc_client_message()/field() describe the error.  No reply after
//  every attempt gives CRMQ_UNAVAILABLE.
int crmq_rpc_call (crmq_rpc_client_t *self, const char *method, const ProtobufCMessage *request,
                   uint8_t **reply_body, size_t *reply_size);

//  As crmq_rpc_call with a raw body (may be malformed, for tests) and an
//  explicit frame count: frames = 1 sends only [method], 2 sends [method][body],
//  3 sends [method][body][body].
int crmq_rpc_call_raw (crmq_rpc_client_t *self, const char *method, const void *body,
                       size_t size, int frames, uint8_t **reply_body, size_t *reply_size);

//  Message and field of the last non-zero reply ("" if none).  Owned by self.
const char *crmq_rpc_client_message (crmq_rpc_client_t *self);
const char *crmq_rpc_client_field (crmq_rpc_client_t *self);

#endif

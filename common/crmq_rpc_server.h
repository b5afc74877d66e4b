/*  crmq_rpc_server.h - request/reply server on a ROUTER socket.

    Requests are [method][body], replies [code][body]: code a decimal status
    (crmq_status.h); body the reply message for code 0, else a crmq.Error.
    A request with the wrong number of frames gets INVALID_ARGUMENT, an unknown
    method UNIMPLEMENTED; neither reaches a handler.  Frames above
    max_message_bytes are refused by ZeroMQ itself (ZMQ_MAXMSGSIZE).
    Every server answers CRMQ_RPC_PING with code 0 and an empty body, for
    health checks.
    SIGTERM or SIGINT ends crmq_rpc_server_run after the request in hand.    */
#ifndef CRMQ_RPC_SERVER_H_INCLUDED
#define CRMQ_RPC_SERVER_H_INCLUDED

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <czmq.h>

#define CRMQ_RPC_PING "crmq.Ping"

//  What a handler answers; filled through crmq_reply_ok / crmq_reply_error.
typedef struct _crmq_reply_t crmq_reply_t;

//  A method handler: `body` (size bytes, owned by the server) is the request
//  message, not yet unpacked.  Must call crmq_reply_ok or crmq_reply_error
//  once and return what it returned.
typedef int (crmq_rpc_handler_fn) (void *state, const uint8_t *body, size_t size,
                                   crmq_reply_t *reply);

typedef struct {
    const char *name;                //  "sales.Ingest"
    crmq_rpc_handler_fn *handler;
} crmq_rpc_method_t;

//  Sets code 0 and packs `message` as the reply body.  Returns CRMQ_OK.
int crmq_reply_ok (crmq_reply_t *reply, const ProtobufCMessage *message);

//  Sets a non-zero code and a crmq.Error with `field` (NULL = none) and a
//  printf-formatted message (cut to 1 KiB).  Returns `code`.
int crmq_reply_error (crmq_reply_t *reply, int code, const char *field, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

//  A reply outside a request (a service's job running a handler's code):
//  code -1 until set.  Never NULL.
crmq_reply_t *crmq_reply_new (void);

//  Frees it; sets *self_p to NULL; safe on NULL.
void crmq_reply_destroy (crmq_reply_t **self_p);

//  The code set (-1 = none yet) and the body: the packed reply for 0, a
//  packed crmq.Error otherwise (owned by the reply; *size its length).
int crmq_reply_code (crmq_reply_t *reply);
const uint8_t *crmq_reply_body (crmq_reply_t *reply, size_t *size);

typedef struct _crmq_rpc_server_t crmq_rpc_server_t;

//  Binds a ROUTER to `endpoint`.  `methods` ends with a {NULL, NULL} row and
//  must outlive the server; `state` is passed to every handler.  Returns NULL
//  (logged) when the endpoint cannot be bound.
crmq_rpc_server_t *crmq_rpc_server_new (const char *endpoint, const crmq_rpc_method_t *methods,
                                        void *state, size_t max_message_bytes);

//  Unbinds and frees; sets *self_p to NULL; safe on NULL.
void crmq_rpc_server_destroy (crmq_rpc_server_t **self_p);

//  Serves until SIGTERM/SIGINT (zsys_interrupted) or crmq_rpc_server_stop.
//  Returns 0.
int crmq_rpc_server_run (crmq_rpc_server_t *self);

//  Serves at most one request, waiting up to timeout_ms.  Returns 1 if one was
//  served, 0 on timeout, -1 when interrupted.
int crmq_rpc_server_serve_once (crmq_rpc_server_t *self, int timeout_ms);

//  A background job of a service (applying events, expiring rows), run with
//  the handlers' state between requests.
typedef void (crmq_rpc_job_fn) (void *state);

//  Makes crmq_rpc_server_run call `job` about every interval_ms (1..3600000),
//  between requests, never during one.  One job per server; NULL removes it.
void crmq_rpc_server_set_job (crmq_rpc_server_t *self, crmq_rpc_job_fn *job, int interval_ms);

//  What a service does when one of its other sockets (an event consumer's
//  SUB) has messages: read them, without blocking.
typedef void (crmq_rpc_reader_fn) (zsock_t *socket, void *arg);

//  Makes the server also wait on `socket` and call `fn` (with `arg`) when it
//  is readable, between requests.  At most CRMQ_RPC_MAX_READERS; the socket
//  stays the caller's and must outlive the server.  Returns 0, or -1 when
//  the table is full.
#define CRMQ_RPC_MAX_READERS 8
int crmq_rpc_server_add_reader (crmq_rpc_server_t *self, zsock_t *socket,
                                crmq_rpc_reader_fn *fn, void *arg);

//  The ROUTER socket, for a service that runs its own loop (wait on it,
//  then call crmq_rpc_server_serve_once with timeout 0).  Owned by self.
zsock_t *crmq_rpc_server_socket (crmq_rpc_server_t *self);

//  Makes crmq_rpc_server_run return after the request in hand (from a handler).
void crmq_rpc_server_stop (crmq_rpc_server_t *self);

//  Requests served since start, for logs.
uint64_t crmq_rpc_server_served (crmq_rpc_server_t *self);

//  Self-test: a server and client over inproc/tcp loopback.
void crmq_rpc_server_test (bool verbose);

#endif

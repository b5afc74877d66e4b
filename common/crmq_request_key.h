/*  crmq_request_key.h - request keys: making a creating write safe to resend.

    The RPC client resends a request that got no reply in time, so a write
    that creates something takes a request key: a value the caller makes up
    once per operation (a UUID, 8..100 bytes).  The first request with a key
    claims it (a row of the service's own table, in the write's
    transaction) and stores its packed reply there; a later request with the
    same key is not done again but gets that first reply.  A key used for
    another method is refused.  Each service keeps its keys in its own
    schema: it names its statements in a crmq_request_keys_t.             */
#ifndef CRMQ_REQUEST_KEY_H_INCLUDED
#define CRMQ_REQUEST_KEY_H_INCLUDED

#include "crmq_pg.h"
#include "crmq_rpc_server.h"
#include <protobuf-c/protobuf-c.h>

//  The statements over a service's table (key text PRIMARY KEY, method
//  text, reply bytea, created_at timestamptz), as named SQL constants.
typedef struct {
    //  $1 key, $2 method: INSERT ... ON CONFLICT (key) DO NOTHING RETURNING key
    const char *claim;
    //  $1 key: SELECT method, reply
    const char *seen;
    //  $1 key, $2 the packed reply (bytea, binary)
    const char *finish;
    //  no parameters: deletes a few keys past their time (run with every claim)
    const char *expire;
} crmq_request_keys_t;

//  Call first in the write's transaction body.  Returns 1 when the write is
//  to be done: the key is new (now claimed) or empty; do it, then call
//  crmq_request_key_finish with the answer and reply.  Returns 0 when a
//  request with this key was done before: its first reply, unpacked as
//  `answer_type`, is already in `reply`; change nothing, let the
//  transaction commit and do not reply again.  Returns a positive status
//  after crmq_reply_error (INVALID_ARGUMENT "request_key" for a malformed
//  key, ALREADY_EXISTS "request_key" for a key used for another method), or
//  -1 after a failed statement (nothing replied).  A concurrent twin
//  holding the key makes this wait for its transaction.
int crmq_request_key_claim (crmq_pg_t *pg, const crmq_request_keys_t *sql, const char *key,
                            const char *method, const ProtobufCMessageDescriptor *answer_type,
                            crmq_reply_t *reply);

//  Stores the reply of a claimed key, packed (no-op for an empty key).
//  Returns 0, or -1 after a failed statement.
int crmq_request_key_finish (crmq_pg_t *pg, const crmq_request_keys_t *sql, const char *key,
                             const ProtobufCMessage *answer);

#endif

/*  crmq_redis.h - the one hiredis wrapper.

    After any error the context is freed and never reused; the next command
    reconnects, no sooner than a jittered backoff allows (as crmq_pg).
    Redis holds only what can be rebuilt from PostgreSQL, so callers treat a
    NULL reply as a cache miss, never as a failure of the request.           */
#ifndef CRMQ_REDIS_H_INCLUDED
#define CRMQ_REDIS_H_INCLUDED

#include <hiredis/hiredis.h>
#include <stdbool.h>

typedef struct _crmq_redis_t crmq_redis_t;

//  Creates a wrapper for "redis://host:port[/db]" (or "host:port") and tries
//  to connect once, with a 1 s connect and command timeout.  Returns NULL for
//  an unparsable URL.
crmq_redis_t *crmq_redis_new (const char *url);

//  Frees the wrapper, sets *self_p to NULL; safe on NULL.
void crmq_redis_destroy (crmq_redis_t **self_p);

//  Runs one command (redisCommand format: use %s/%b for values, never splice).
//  Returns the reply, owned by the caller (freeReplyObject), or NULL when
//  Redis is unreachable or the reply is an error (logged).
redisReply *crmq_redis_command (crmq_redis_t *self, const char *format, ...);

//  True when connected now.
bool crmq_redis_connected (crmq_redis_t *self);

//  Self-test; needs CRMQ_REDIS_URL of a throw-away server, skipped without it.
void crmq_redis_test (bool verbose);

#endif

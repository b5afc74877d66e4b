/*  report_cache.h - report results in Redis, keyed by what they depend on.

    Key: crmq:analytics:report:METHOD:VERSION:SHA1(request), where VERSION
    names exactly the data the REPEATABLE READ transaction the report ran in
    sees (SHA-1 of it when longer than 64 bytes): the event-log position for
    analytics.Report (bus.position, report_runner.h), the transaction's
    pg_current_snapshot() for ClientMetrics.  Two transactions with the same
    version see the same data, so an entry is found only by a reader who
    would compute the same result; old entries just expire.  (A bare
    sequence number would not do: numbers are taken at insert and committed
    out of order.)  Redis being away means misses, never errors.             */
#ifndef REPORT_CACHE_H_INCLUDED
#define REPORT_CACHE_H_INCLUDED

#include "crmq.h"

typedef struct _report_cache_t report_cache_t;

//  Creates a cache over `redis` (not owned); ttl_s 0 disables it.
report_cache_t *report_cache_new (crmq_redis_t *redis, int ttl_s);

//  Frees it; sets *self_p to NULL; safe on NULL.
void report_cache_destroy (report_cache_t **self_p);

//  Looks up the packed reply of `method` for the packed `request` at
//  `version`.  Returns it (caller frees) with its size, or NULL on a miss.
uint8_t *report_cache_get (report_cache_t *self, const char *method, const char *version,
                           const uint8_t *request, size_t request_size, size_t *size);

//  Stores a packed reply.
void report_cache_put (report_cache_t *self, const char *method, const char *version,
                       const uint8_t *request, size_t request_size,
                       const uint8_t *reply, size_t reply_size);

#endif

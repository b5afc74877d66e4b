/*  report_cache.h - report results in Redis, keyed by what they depend on.

    Key: crmq:analytics:report:METHOD:SNAPSHOT:HEX(request), where SNAPSHOT is
    pg_current_snapshot() of the REPEATABLE READ transaction the report ran
    in.  Two transactions with the same snapshot see exactly the same committed
    data, and any commit since gives a new snapshot, so an entry is found only
    by a reader who would compute the same result; old entries just expire.
    (A sequence number would not do: numbers are taken at insert and committed
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
//  `snapshot`.  Returns it (caller frees) with its size, or NULL on a miss.
uint8_t *report_cache_get (report_cache_t *self, const char *method, const char *snapshot,
                           const uint8_t *request, size_t request_size, size_t *size);

//  Stores a packed reply.
void report_cache_put (report_cache_t *self, const char *method, const char *snapshot,
                       const uint8_t *request, size_t request_size,
                       const uint8_t *reply, size_t reply_size);

#endif

/*  report_cache.c - snapshot-keyed report results; see report_cache.h.  */
#include "report_cache.h"

#define MAX_KEY_REQUEST 512         //  bytes of request in a key; larger ones are not cached
#define MAX_KEY_SNAPSHOT 256        //  bytes of snapshot in a key; longer ones are not cached

struct _report_cache_t {
    crmq_redis_t *redis;
    int ttl_s;
};

report_cache_t *
report_cache_new (crmq_redis_t *redis, int ttl_s)
{
    report_cache_t *self = (report_cache_t *) zmalloc (sizeof (report_cache_t));
    self->redis = redis;
    self->ttl_s = ttl_s;
    return self;
}

void
report_cache_destroy (report_cache_t **self_p)
{
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

//  Writes the key into buf; false when the request is too large to key by.
static bool
s_key (char *buf, size_t size, const char *method, const char *snapshot,
       const uint8_t *request, size_t request_size)
{
    if (request_size > MAX_KEY_REQUEST || strlen (snapshot) > MAX_KEY_SNAPSHOT)
        return false;
    int length = snprintf (buf, size, "crmq:analytics:report:%s:%s:", method, snapshot);
    for (size_t i = 0; i < request_size; i++)
        length += snprintf (buf + length, size - (size_t) length, "%02x", request [i]);
    return true;
}

uint8_t *
report_cache_get (report_cache_t *self, const char *method, const char *snapshot,
                  const uint8_t *request, size_t request_size, size_t *size)
{
    char key [64 + MAX_KEY_SNAPSHOT + 2 * MAX_KEY_REQUEST];
    if (self->ttl_s == 0 || !s_key (key, sizeof key, method, snapshot, request, request_size))
        return NULL;
    redisReply *reply = crmq_redis_command (self->redis, "GET %s", key);
    uint8_t *result = NULL;
    if (reply && reply->type == REDIS_REPLY_STRING) {
        result = (uint8_t *) malloc (reply->len? reply->len: 1);
        memcpy (result, reply->str, reply->len);
        *size = reply->len;
    }
    if (reply)
        freeReplyObject (reply);
    return result;
}

void
report_cache_put (report_cache_t *self, const char *method, const char *snapshot,
                  const uint8_t *request, size_t request_size,
                  const uint8_t *reply_body, size_t reply_size)
{
    char key [64 + MAX_KEY_SNAPSHOT + 2 * MAX_KEY_REQUEST];
    if (self->ttl_s == 0 || !s_key (key, sizeof key, method, snapshot, request, request_size))
        return;
    redisReply *reply = crmq_redis_command (self->redis, "SET %s %b EX %d", key,
                                            (const char *) reply_body, reply_size, self->ttl_s);
    if (reply)
        freeReplyObject (reply);
}

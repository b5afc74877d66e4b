/*  report_cache.c - version-keyed report results; see report_cache.h.  */
#include "report_cache.h"

#define MAX_KEY_VERSION 64          //  longer versions go into the key as their SHA-1

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

//  Writes the key into buf: the request by its SHA-1 (czmq's zdigest), the
//  version as it is or, when longer than MAX_KEY_VERSION, by its SHA-1.
static bool
s_key (char *buf, size_t size, const char *method, const char *version,
       const uint8_t *request, size_t request_size)
{
    zdigest_t *digest = zdigest_new ();
    zdigest_update (digest, request, request_size);
    zdigest_t *long_version = NULL;
    if (strlen (version) > MAX_KEY_VERSION) {
        long_version = zdigest_new ();
        zdigest_update (long_version, (const byte *) version, strlen (version));
    }
    snprintf (buf, size, "crmq:analytics:report:%s:%s:%s", method,
              long_version? zdigest_string (long_version): version, zdigest_string (digest));
    zdigest_destroy (&long_version);
    zdigest_destroy (&digest);
    return true;
}

uint8_t *
report_cache_get (report_cache_t *self, const char *method, const char *version,
                  const uint8_t *request, size_t request_size, size_t *size)
{
    char key [512];
    if (self->ttl_s == 0 || !s_key (key, sizeof key, method, version, request, request_size))
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
report_cache_put (report_cache_t *self, const char *method, const char *version,
                  const uint8_t *request, size_t request_size,
                  const uint8_t *reply_body, size_t reply_size)
{
    char key [512];
    if (self->ttl_s == 0 || !s_key (key, sizeof key, method, version, request, request_size))
        return;
    redisReply *reply = crmq_redis_command (self->redis, "SET %s %b EX %d", key,
                                            (const char *) reply_body, reply_size, self->ttl_s);
    if (reply)
        freeReplyObject (reply);
}

/*  client_card_cache.c - generation-keyed client cards; see client_card_cache.h.  */
#include "client_card_cache.h"

struct _client_card_cache_t {
    crmq_redis_t *redis;
    int ttl_s;
};

client_card_cache_t *
client_card_cache_new (crmq_redis_t *redis, int ttl_s)
{
    client_card_cache_t *self = (client_card_cache_t *) zmalloc (sizeof (client_card_cache_t));
    self->redis = redis;
    self->ttl_s = ttl_s;
    return self;
}

void
client_card_cache_destroy (client_card_cache_t **self_p)
{
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

uint8_t *
client_card_cache_get (client_card_cache_t *self, int64_t client_id, size_t *size,
                       long long *generation)
{
    *generation = -1;
    if (self->ttl_s == 0)
        return NULL;
    char key [80];
    snprintf (key, sizeof key, "crmq:contacts:client:{%" PRId64 "}:gen", client_id);
    redisReply *reply = crmq_redis_command (self->redis, "GET %s", key);
    if (!reply)
        return NULL;
    long long current = 0;
    if (reply->type == REDIS_REPLY_STRING)
        current = strtoll (reply->str, NULL, 10);
    freeReplyObject (reply);
    *generation = current;

    snprintf (key, sizeof key, "crmq:contacts:client:{%" PRId64 "}:card:%lld", client_id, current);
    reply = crmq_redis_command (self->redis, "GET %s", key);
    uint8_t *card = NULL;
    if (reply && reply->type == REDIS_REPLY_STRING) {
        card = (uint8_t *) malloc (reply->len? reply->len: 1);
        memcpy (card, reply->str, reply->len);
        *size = reply->len;
    }
    if (reply)
        freeReplyObject (reply);
    return card;
}

void
client_card_cache_put (client_card_cache_t *self, int64_t client_id, long long generation,
                       const uint8_t *card, size_t size)
{
    if (self->ttl_s == 0 || generation < 0)
        return;
    char key [80];
    snprintf (key, sizeof key, "crmq:contacts:client:{%" PRId64 "}:card:%lld", client_id, generation);
    redisReply *reply = crmq_redis_command (self->redis, "SET %s %b EX %d", key,
                                            (const char *) card, size, self->ttl_s);
    if (reply)
        freeReplyObject (reply);
}

void
client_card_cache_invalidate (client_card_cache_t *self, int64_t client_id)
{
    char key [80];
    snprintf (key, sizeof key, "crmq:contacts:client:{%" PRId64 "}:gen", client_id);
    redisReply *reply = crmq_redis_command (self->redis, "INCR %s", key);
    if (reply)
        freeReplyObject (reply);
    else
        crmq_log (CRMQ_LOG_WARN, "card generation not bumped", "client_id=%" PRId64, client_id);
}

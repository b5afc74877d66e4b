/*  client_card_cache.c - version-keyed client cards; see client_card_cache.h.  */
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
client_card_cache_get (client_card_cache_t *self, int64_t client_id, const char *versions,
                       size_t *size)
{
    if (self->ttl_s == 0)
        return NULL;
    redisReply *reply = crmq_redis_command (self->redis, "GET crmq:contacts:card:{%" PRId64 "}:%s",
                                            client_id, versions);
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
client_card_cache_put (client_card_cache_t *self, int64_t client_id, const char *versions,
                       const uint8_t *card, size_t size)
{
    if (self->ttl_s == 0)
        return;
    redisReply *reply = crmq_redis_command (self->redis,
        "SET crmq:contacts:card:{%" PRId64 "}:%s %b EX %d", client_id, versions,
        (const char *) card, size, self->ttl_s);
    if (reply)
        freeReplyObject (reply);
}

/*  client_card_cache.h - client cards (packed GetClientReply) in Redis.

    A card is stored under the versions of what it shows:
        crmq:contacts:card:{CLIENT_ID}:CLIENT_VERSION:MANAGER_VERSION
    Every change of a client or a manager bumps its version column in the
    same statement, and a reader takes the versions from PostgreSQL (one
    primary-key read) before it looks for the card, so a card of an older
    version is never found again: no invalidation to lose when Redis blips,
    and Redis being away only means misses.  Old cards expire (ttl).         */
#ifndef CLIENT_CARD_CACHE_H_INCLUDED
#define CLIENT_CARD_CACHE_H_INCLUDED

#include "crmq.h"

typedef struct _client_card_cache_t client_card_cache_t;

//  Creates a cache over `redis` (not owned); ttl_s 0 disables caching.
client_card_cache_t *client_card_cache_new (crmq_redis_t *redis, int ttl_s);

//  Frees the cache; sets *self_p to NULL; safe on NULL.
void client_card_cache_destroy (client_card_cache_t **self_p);

//  Looks up the card of `client_id` at `versions` ("CLIENT:MANAGER", from
//  PostgreSQL).  Returns the packed card (caller frees) and its size, or
//  NULL on a miss.
uint8_t *client_card_cache_get (client_card_cache_t *self, int64_t client_id,
                                const char *versions, size_t *size);

//  Stores a card read from PostgreSQL under the versions it was read at.
void client_card_cache_put (client_card_cache_t *self, int64_t client_id, const char *versions,
                            const uint8_t *card, size_t size);

#endif

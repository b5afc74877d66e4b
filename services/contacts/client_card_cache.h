/*  client_card_cache.h - client cards (packed GetClientReply) in Redis.

    A card is stored under the client's current generation:
        crmq:contacts:client:{ID}:gen      a counter, bumped after every change
        crmq:contacts:client:{ID}:card:G   the card read under generation G
    A reader takes the generation before it reads PostgreSQL and stores what it
    read under that generation; a writer bumps the generation after it commits.
    A card read before a commit can thus only land under a generation that is
    already out of date, and is never served.  Redis being away means misses. */
#ifndef CLIENT_CARD_CACHE_H_INCLUDED
#define CLIENT_CARD_CACHE_H_INCLUDED

#include "crmq.h"

typedef struct _client_card_cache_t client_card_cache_t;

//  Creates a cache over `redis` (not owned); ttl_s 0 disables caching.
client_card_cache_t *client_card_cache_new (crmq_redis_t *redis, int ttl_s);

//  Frees the cache; sets *self_p to NULL; safe on NULL.
void client_card_cache_destroy (client_card_cache_t **self_p);

//  Looks a card up.  Returns the packed card (caller frees) and its size, or
//  NULL on a miss; *generation receives the generation to store a freshly
//  read card under (-1 when Redis is away: do not store).
uint8_t *client_card_cache_get (client_card_cache_t *self, int64_t client_id,
                                size_t *size, long long *generation);

//  Stores a card read from PostgreSQL under `generation`.
void client_card_cache_put (client_card_cache_t *self, int64_t client_id, long long generation,
                            const uint8_t *card, size_t size);

//  Makes every stored card of the client unreachable; call after commit.
void client_card_cache_invalidate (client_card_cache_t *self, int64_t client_id);

#endif

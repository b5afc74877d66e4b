/*  crmq_consumer.h - reading the event log: events whose topic starts with a
    prefix, each handed to the application once, in seq order.

    The consumer subscribes to crmq-bus's PUB endpoint for its prefix and for
    the bus's marks of that prefix ("bus.mark." + prefix, see BusMark in
    proto/bus.proto).  A mark follows every round of published events and
    says how many matching events the round held and which matching event
    came before it; a consumer that received fewer (its high-water mark
    overflowed, it reconnected, the bus restarted) fetches what it lacks with
    bus.Replay from the bus's replay endpoint before it applies anything
    later.  Events received are held until their round's mark vouches for
    them, so they are applied in seq order with no hole.  On start a consumer
    replays from its position.

    Two kinds:
    - durable (config.pg set): the position is the row `name` of
      bus.consumers (created on first start at from_seq - 1, or at the end of
      the log when from_seq is 0).  `apply` runs inside the transaction that
      moves the position, which locks the row, so each event's effect is
      committed exactly once, across restarts, crashes and replicas sharing
      the name.  Registered consumers hold back the bus's retention.
    - in memory (config.pg NULL): the position starts at from_seq - 1 (0 =
      the end of the log) and lives in the process (crmq tail).

    Not thread-safe; one thread owns a consumer.                             */
#ifndef CRMQ_CONSUMER_H_INCLUDED
#define CRMQ_CONSUMER_H_INCLUDED

#include "crmq_pg.h"
#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

//  One event as handed to `apply`; valid during the call only.
typedef struct {
    int64_t seq;                //  position in the log, > 0
    const char *topic;          //  "sales.order.placed"
    const uint8_t *body;        //  the event message (its type named by the topic)
    size_t size;                //  bytes of body
} crmq_event_t;

//  Applies one event.  Durable consumers: runs inside the position's
//  transaction on `pg` (do not BEGIN/COMMIT); return 0 to keep the effect,
//  -1 after a failed crmq_pg_* call (the batch rolls back and is retried on
//  a later crmq_consumer_process), or a positive crmq status code for an
//  event that can never be applied (unreadable body): it is logged at ERROR
//  and passed over, its effect not kept.  In-memory consumers get pg NULL.
typedef int (crmq_consumer_apply_fn) (crmq_pg_t *pg, const crmq_event_t *event, void *arg);

typedef struct {
    const char *name;              //  durable: the bus.consumers row (1..100 bytes)
    const char *prefix;            //  topic prefix, "" = every topic (0..200 bytes)
    const char *pub_endpoint;      //  crmq-bus PUB, "tcp://127.0.0.1:5560"
    const char *replay_endpoint;   //  crmq-bus replay, "tcp://127.0.0.1:5561"
    crmq_pg_t *pg;                 //  durable when set; not owned
    crmq_consumer_apply_fn *apply;
    void *arg;                     //  handed to apply
    int64_t from_seq;              //  first seq wanted when no position is stored; 0 = the end
    int batch_max;                 //  events per transaction; 0 = 256
    int rcvhwm;                    //  SUB receive high-water mark, messages; 0 = 10000
    int rpc_timeout_ms;            //  per bus.Replay (one attempt); 0 = 3000
} crmq_consumer_config_t;

typedef struct _crmq_consumer_t crmq_consumer_t;

//  Creates a consumer and connects it (ZeroMQ connects in the background).
//  Durable: registers or reads the bus.consumers row; returns NULL (logged)
//  when that fails or the config is invalid.  The config's strings are
//  copied.
crmq_consumer_t *crmq_consumer_new (const crmq_consumer_config_t *config);

//  Closes the sockets and frees; sets *self_p to NULL; safe on NULL.
void crmq_consumer_destroy (crmq_consumer_t **self_p);

//  The SUB socket, to wait on in a poller; read only through
//  crmq_consumer_process.
zsock_t *crmq_consumer_socket (crmq_consumer_t *self);

//  Does the consumer's work: waits up to timeout_ms (0 = not at all) for
//  messages, reads all that are there, checks them against their marks,
//  replays what is missing (also when no mark came for a while), and applies
//  what is vouched for.  Returns the number of events applied (>= 0), or -1
//  when the bus or PostgreSQL could not be reached or `apply` failed (nothing
//  is lost: the next call retries from the position).
int crmq_consumer_process (crmq_consumer_t *self, int timeout_ms);

//  The last seq applied (or passed over), 0 when none.
int64_t crmq_consumer_position (crmq_consumer_t *self);

//  Counters since creation, for logs and tests: events applied, replays made
//  (the start-up one included), and gaps found (marks that did not match).
uint64_t crmq_consumer_applied (crmq_consumer_t *self);
uint64_t crmq_consumer_replays (crmq_consumer_t *self);
uint64_t crmq_consumer_gaps (crmq_consumer_t *self);

#endif

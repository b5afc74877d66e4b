/*  notify_worker.h - sends the due deliveries of notify.deliveries and
    records how each went.

    A run (notify_worker_run, from the service's job and right after new
    deliveries were enqueued) never waits: it collects the transfers that
    finished, records them, claims as many due deliveries as there are free
    transfer slots and starts them.

    Claiming a delivery counts an attempt and leases it for the HTTP
    timeout plus 5 s (its next_attempt_at moves past the transfer's end), so
    that replicas, sharing the table, never send the same delivery at once,
    and a delivery whose sender died is sent again once the lease is over.
    A result is recorded only under the claim it was sent with (claims
    counts every claim), so a late result cannot overwrite a newer one.

    Outcome of an attempt:
    - delivered (2xx, message accepted): state 'delivered', delivered_at;
    - failed: last_error; after max_attempts attempts state 'dead' (the
      dead letter, kept with its attempts and last error until notify.Retry
      makes it pending again), else pending again after a delay of
      first_delay_ms * 2^(attempts - 1), at most max_delay_ms, drawn
      uniformly from [d/2, d] (jitter), so receivers that come back are not
      hit by every sender at once.
    A delivery is marked delivered only after the target answered: a crash
    between the answer and the mark sends it once more, with the same
    idempotency key.                                                        */
#ifndef NOTIFY_WORKER_H_INCLUDED
#define NOTIFY_WORKER_H_INCLUDED

#include "crmq.h"

typedef struct {
    int first_delay_ms;         //  delay after the first failed attempt
    int max_delay_ms;           //  longest delay between attempts
    int max_attempts;           //  attempts before a delivery is dead
    int timeout_ms;             //  per transfer, connecting included
    int parallel;               //  transfers at once
    const char *smtp_url;       //  "smtp://127.0.0.1:25"
    const char *smtp_from;      //  sender's address
} notify_worker_config_t;

typedef struct _notify_worker_t notify_worker_t;

//  Creates a worker over `pg` (not owned).  Strings of the config are
//  copied.  Returns NULL on out-of-memory.
notify_worker_t *notify_worker_new (crmq_pg_t *pg, const notify_worker_config_t *config);

//  Aborts transfers in flight (their deliveries are sent again when their
//  lease ends), frees, sets *self_p to NULL; safe on NULL.
void notify_worker_destroy (notify_worker_t **self_p);

//  Makes the next run look for due deliveries at once (new ones were
//  enqueued or retried), instead of at its next poll (every 500 ms).
void notify_worker_kick (notify_worker_t *self);

//  One step, without waiting: records finished transfers, claims and starts
//  due deliveries.  Returns the number of results recorded.
int notify_worker_run (notify_worker_t *self);

//  Transfers in flight.
size_t notify_worker_in_flight (notify_worker_t *self);

#endif

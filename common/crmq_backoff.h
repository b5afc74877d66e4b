/*  crmq_backoff.h - jittered exponential backoff between reconnect attempts.

    A value type, embedded in its owner (crmq_pg, crmq_redis).  After each
    failure the next attempt waits a time drawn from [d/2, d] ms, and d
    doubles, from min_ms up to max_ms; a success resets d to min_ms and allows
    the next attempt at once.  Never sleeps: the owner asks whether an attempt
    may be made now and fails fast while it may not.  Times are milliseconds
    of CLOCK_MONOTONIC.  Not thread-safe (as its owners).                    */
#ifndef CRMQ_BACKOFF_H_INCLUDED
#define CRMQ_BACKOFF_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    int64_t next_attempt_ms;        //  monotonic ms; no attempt before (0 = now)
    int min_ms;                     //  first d, and d after a success
    int max_ms;                     //  d never grows beyond this
    int current_ms;                 //  d of the next wait, drawn from [d/2, d]
    uint64_t random;                //  xorshift64 state, never 0
} crmq_backoff_t;

//  Sets up `self` (no attempt pending, d = min_ms) and seeds its random
//  source from the wall clock, the process id and the address of `self`, so
//  that processes and objects that fail together spread their retries.
//  Requires 1 <= min_ms <= max_ms (milliseconds).
void crmq_backoff_init (crmq_backoff_t *self, int min_ms, int max_ms);

//  True when an attempt may be made now: never failed, succeeded since the
//  last failure, or the wait scheduled by crmq_backoff_failed has passed.
bool crmq_backoff_ready (const crmq_backoff_t *self);

//  Records a failed attempt: the next one may be made no sooner than a wait
//  drawn uniformly from [d/2, d] ms from now, and d doubles (up to max_ms).
void crmq_backoff_failed (crmq_backoff_t *self);

//  Records a successful attempt: d goes back to min_ms and the next attempt
//  (after a later failure's wait) is not delayed any more.
void crmq_backoff_succeeded (crmq_backoff_t *self);

//  Milliseconds until the next attempt may be made; 0 when it may be made
//  now (then crmq_backoff_ready is true).  For logs and error messages.
int64_t crmq_backoff_wait_ms (const crmq_backoff_t *self);

//  Next 64-bit pseudo-random number (xorshift64) from the same source as the
//  jitter; never 0.  Not for anything that needs to be unpredictable.
uint64_t crmq_backoff_random (crmq_backoff_t *self);

//  Milliseconds of CLOCK_MONOTONIC (since an arbitrary point; never goes back).
int64_t crmq_backoff_now_ms (void);

//  Self-test.
void crmq_backoff_test (bool verbose);

#endif

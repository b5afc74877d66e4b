/*  crmq_backoff.c - jittered exponential backoff; see crmq_backoff.h.      */
#include "crmq.h"
#include <limits.h>
#include <time.h>

//  Seed used when the mixed one comes out 0 (xorshift would stay at 0)
#define S_SEED_FALLBACK  0x9E3779B97F4A7C15ULL

int64_t
crmq_backoff_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void
crmq_backoff_init (crmq_backoff_t *self, int min_ms, int max_ms)
{
    assert (self);
    assert (min_ms >= 1);
    assert (max_ms >= min_ms);
    self->next_attempt_ms = 0;
    self->min_ms = min_ms;
    self->max_ms = max_ms;
    self->current_ms = min_ms;
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    self->random = ((uint64_t) now.tv_nsec << 20) ^ (uint64_t) now.tv_sec
                 ^ ((uint64_t) getpid () << 40) ^ (uint64_t) (uintptr_t) self;
    if (!self->random)
        self->random = S_SEED_FALLBACK;
}

uint64_t
crmq_backoff_random (crmq_backoff_t *self)
{
    assert (self);
    uint64_t x = self->random;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    self->random = x;
    return x;
}

//  The wait for the current d, drawn from [d/2, d] ms.
static int
s_draw (crmq_backoff_t *self)
{
    int d = self->current_ms;
    return d / 2 + (int) (crmq_backoff_random (self) % (uint64_t) (d - d / 2 + 1));
}

bool
crmq_backoff_ready (const crmq_backoff_t *self)
{
    assert (self);
    return crmq_backoff_now_ms () >= self->next_attempt_ms;
}

void
crmq_backoff_failed (crmq_backoff_t *self)
{
    assert (self);
    int wait = s_draw (self);
    self->next_attempt_ms = crmq_backoff_now_ms () + wait;
    //  d * 2 > max_ms, without overflowing for a max_ms near INT_MAX
    self->current_ms = self->current_ms > self->max_ms / 2? self->max_ms: self->current_ms * 2;
}

void
crmq_backoff_succeeded (crmq_backoff_t *self)
{
    assert (self);
    self->current_ms = self->min_ms;
    self->next_attempt_ms = 0;
}

int64_t
crmq_backoff_wait_ms (const crmq_backoff_t *self)
{
    assert (self);
    int64_t wait = self->next_attempt_ms - crmq_backoff_now_ms ();
    return wait > 0? wait: 0;
}

//  --------------------------------------------------------------------------
//  Self-test

void
crmq_backoff_test (bool verbose)
{
    printf (" * crmq_backoff: ");

    //  The clock goes forward
    int64_t before = crmq_backoff_now_ms ();
    usleep (20 * 1000);
    assert (crmq_backoff_now_ms () - before >= 20);

    //  Fresh: an attempt may be made at once
    crmq_backoff_t backoff;
    crmq_backoff_init (&backoff, 100, 5000);
    assert (backoff.current_ms == 100);
    assert (backoff.random != 0);
    assert (crmq_backoff_ready (&backoff));
    assert (crmq_backoff_wait_ms (&backoff) == 0);

    //  Waits lie within [d/2, d] and spread over it, for even, odd and tiny d
    const int sizes [] = { 1, 2, 3, 100, 101, 5000, 0 };
    for (int index = 0; sizes [index]; index++) {
        int d = sizes [index];
        backoff.current_ms = d;
        int lowest = d, highest = 0;
        for (int draw = 0; draw < 2000; draw++) {
            int wait = s_draw (&backoff);
            assert (wait >= d / 2 && wait <= d);
            if (wait < lowest)
                lowest = wait;
            if (wait > highest)
                highest = wait;
        }
        if (verbose)
            printf ("\nd=%d: waits in [%d, %d]", d, lowest, highest);
        //  2000 draws from at most 2501 values: both ends are neared
        assert (lowest <= d / 2 + d / 10);
        assert (highest >= d - d / 10);
        assert (backoff.current_ms == d);   //  drawing does not change d
    }
    crmq_backoff_succeeded (&backoff);
    assert (backoff.current_ms == 100);

    //  Each failure schedules a wait within [d/2, d] from now, doubles d and
    //  caps it: 100 200 400 800 1600 3200 5000 5000
    const int expected [] = { 100, 200, 400, 800, 1600, 3200, 5000, 5000, 0 };
    for (int index = 0; expected [index]; index++) {
        int d = expected [index];
        assert (backoff.current_ms == d);
        before = crmq_backoff_now_ms ();
        crmq_backoff_failed (&backoff);
        int64_t after = crmq_backoff_now_ms ();
        assert (backoff.next_attempt_ms - before >= d / 2);
        assert (backoff.next_attempt_ms - after <= d);
        assert (!crmq_backoff_ready (&backoff));
        int64_t wait = crmq_backoff_wait_ms (&backoff);
        assert (wait > 0 && wait <= d);
    }
    assert (backoff.current_ms == 5000);

    //  A success resets: ready at once, d back to the minimum
    crmq_backoff_succeeded (&backoff);
    assert (crmq_backoff_ready (&backoff));
    assert (crmq_backoff_wait_ms (&backoff) == 0);
    assert (backoff.current_ms == 100);
    assert (backoff.next_attempt_ms == 0);
    crmq_backoff_failed (&backoff);
    assert (backoff.current_ms == 200);
    assert (!crmq_backoff_ready (&backoff));

    //  Ready again once the wait has passed (at most 4 ms here)
    crmq_backoff_init (&backoff, 4, 8);
    crmq_backoff_failed (&backoff);
    assert (backoff.current_ms == 8);
    usleep (10 * 1000);
    assert (crmq_backoff_ready (&backoff));
    assert (crmq_backoff_wait_ms (&backoff) == 0);
    crmq_backoff_failed (&backoff);
    crmq_backoff_failed (&backoff);
    assert (backoff.current_ms == 8);       //  capped
    //  min == max: d stays put
    crmq_backoff_init (&backoff, 50, 50);
    crmq_backoff_failed (&backoff);
    assert (backoff.current_ms == 50);
    //  A max near INT_MAX does not overflow
    crmq_backoff_init (&backoff, INT_MAX / 2 + 1, INT_MAX);
    crmq_backoff_failed (&backoff);
    assert (backoff.current_ms == INT_MAX);
    crmq_backoff_succeeded (&backoff);
    assert (backoff.current_ms == INT_MAX / 2 + 1);

    //  The random source moves on and never sticks at 0
    uint64_t first = crmq_backoff_random (&backoff);
    uint64_t second = crmq_backoff_random (&backoff);
    assert (first != 0 && second != 0 && first != second);
    assert (backoff.random == second);

    if (verbose)
        printf ("\n");
    printf ("OK\n");
}

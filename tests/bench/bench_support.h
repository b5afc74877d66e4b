/*  bench_support.h - what the benchmarks share for publishing ERP events
    through crmq_publisher: acknowledgement counts and adding events with a
    message on failure.  Header-only: each benchmark is its own binary.   */
#ifndef BENCH_SUPPORT_H_INCLUDED
#define BENCH_SUPPORT_H_INCLUDED

#include "crmq.h"

//  What crmq-sales acknowledged, counted by bench_on_ack.
typedef struct {
    long events;                    //  acknowledged
    long duplicates;
    long rejected;
    char first_rejection [512];
} bench_acks_t;

//  A crmq_publisher ack function: counts the results of a batch into the
//  bench_acks_t `arg`, keeping the first rejection's text.
static inline void
bench_on_ack (void *arg, uint64_t batch_id, const Crmq__IngestReply *reply)
{
    (void) batch_id;
    bench_acks_t *acks = (bench_acks_t *) arg;
    for (size_t i = 0; i < reply->n_results; i++) {
        const Crmq__EventResult *result = reply->results [i];
        acks->events++;
        if (result->duplicate)
            acks->duplicates++;
        if (result->code != CRMQ_OK && acks->rejected++ == 0)
            snprintf (acks->first_rejection, sizeof acks->first_rejection, "%s: %s: %s",
                      result->event_id, crmq_status_name (result->code),
                      result->error? result->error->message: "");
    }
}

//  Adds one event; prints (prefixed with `program`) and returns -1 when the
//  publisher stopped.
static inline int
bench_add (const char *program, crmq_publisher_t *publisher, const Crmq__ErpEvent *event)
{
    int rc = crmq_publisher_add (publisher, event);
    if (rc != 0)
        fprintf (stderr, "%s: %s: %s\n", program, event->event_id, crmq_publisher_message (publisher));
    return rc;
}

//  Waits until every batch is acknowledged; prints and returns -1 when the
//  publisher stopped.
static inline int
bench_barrier (const char *program, crmq_publisher_t *publisher)
{
    if (crmq_publisher_barrier (publisher) == 0)
        return 0;
    fprintf (stderr, "%s: %s: %s\n", program, crmq_status_name (crmq_publisher_code (publisher)),
             crmq_publisher_message (publisher));
    return -1;
}

#endif

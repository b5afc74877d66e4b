/*  notify_deliveries.h - notify.deliveries: enqueueing alerts from the
    event log, and the notify.ListDeliveries and notify.Retry handlers.

    notify_deliveries_enqueue is the event consumer's apply callback: inside
    the transaction that moves the consumer's position it writes one
    pending delivery per active target whose topic prefix the event's topic
    starts with.  (seq, target) is unique, so an event seen by two consumers
    (overlapping prefixes) is still enqueued once per target.              */
#ifndef NOTIFY_DELIVERIES_H_INCLUDED
#define NOTIFY_DELIVERIES_H_INCLUDED

#include "crmq.h"

//  A crmq_consumer_apply_fn: enqueues `event` (an Alert) for its targets.
//  `arg` points to an int64_t that is increased by the deliveries written.
//  Returns 0, -1 after a failed statement, or CRMQ_INVALID_ARGUMENT for a
//  body that is not an Alert (the consumer passes over it).
int notify_deliveries_enqueue (crmq_pg_t *pg, const crmq_event_t *event, void *arg);

//  notify.ListDeliveries: NotifyListDeliveriesRequest ->
//  NotifyListDeliveriesReply, newest first.  INVALID_ARGUMENT for a state
//  other than "", pending, delivered or dead, or a limit outside 0..1000.
int notify_deliveries_list (crmq_pg_t *pg, const uint8_t *body, size_t size, crmq_reply_t *reply);

//  notify.Retry: NotifyRetryRequest -> NotifyRetryReply.  Makes the dead
//  deliveries given (or, with all_dead, every dead delivery of an active
//  target) pending again, due now, with no attempts counted.  All or
//  nothing: NOT_FOUND for an unknown id, FAILED_PRECONDITION for one that
//  is not dead or whose target was removed; INVALID_ARGUMENT for neither
//  ids nor all_dead, both, or more than 1000 ids.
int notify_deliveries_retry (crmq_pg_t *pg, const uint8_t *body, size_t size, crmq_reply_t *reply);

#endif

/*  notify_server.h - crmq-notify's state, request handlers, event
    consumers and background job.

    notify.AddTarget, ListTargets, RemoveTarget   notify_targets.h
    notify.ListDeliveries, Retry                  notify_deliveries.h

    One durable consumer per prefix of the notify_topics setting (at most
    4, comma-separated) enqueues deliveries (notify_deliveries_enqueue); the
    consumer of "alert." is named "notify", another prefix's
    "notify:<prefix>", so a name never changes with the list.  The job
    (every 100 ms) and the consumers' socket reader run the consumers and
    the delivery worker (notify_worker.h); new deliveries and retries are
    sent at once.                                                           */
#ifndef NOTIFY_SERVER_H_INCLUDED
#define NOTIFY_SERVER_H_INCLUDED

#include "crmq.h"

//  How often the job runs, ms.
#define NOTIFY_JOB_INTERVAL_MS 100

//  The method table for crmq_service_main.
extern const crmq_rpc_method_t notify_server_methods [];

//  Builds the state: reads the notify settings, registers the consumers,
//  makes the worker.  Returns NULL (logged) on a bad setting or when a
//  consumer cannot be registered.
void *notify_server_new (crmq_service_t *service);

//  Frees the state; sets *self_p to NULL.
void notify_server_destroy (void **self_p);

//  Adds the consumers' sockets to the server's poller (the started hook).
int notify_server_started (void *self, crmq_rpc_server_t *server);

//  The background job: consumers, then the worker.
void notify_server_job (void *self);

#endif

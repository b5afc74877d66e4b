/*  scheduler_server.h - crmq-scheduler: deadline control of ERP documents
    and the watch on clients' buying activity, as the durable consumer
    "scheduler.activity" of the "sales." events; its alerts go to bus.outbox
    in the transaction that moves the consumer's position (or, for the
    periodic activity check, in the check's own transaction).

    scheduler.ListAlerts  the alerts raised (ListAlertsRequest in
                          proto/alerts.proto), newest first                 */
#ifndef SCHEDULER_SERVER_H_INCLUDED
#define SCHEDULER_SERVER_H_INCLUDED

#include "crmq.h"
#include "crmq_service.h"

//  The method table for crmq_service_main.
extern const crmq_rpc_method_t scheduler_server_methods [];

//  Builds the state over the service's PostgreSQL and settings; NULL
//  (logged) on a bad setting or a failed statement.
void *scheduler_server_new (crmq_service_t *service);

//  Frees the state (and its consumer); sets *self_p to NULL.
void scheduler_server_destroy (void **self_p);

//  The `started` hook: creates the consumer and adds its socket to the
//  server's readers.  Returns 0, or -1 (start-up stops).
int scheduler_server_started (void *state, crmq_rpc_server_t *server);

//  The job: consumes what is there (retries, replays) and runs the
//  periodic activity check when it is due.
void scheduler_server_job (void *state);

#endif

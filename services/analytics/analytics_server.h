/*  analytics_server.h - the request handlers of crmq-analytics.

    analytics.Report      every report of the set (report.h, report_runner.h,
                          docs/reports.md): one REPEATABLE READ READ ONLY
                          transaction, results cached in Redis under the
                          parameters and the event-log position
    analytics.ClientMetrics  per-client metrics kept from the event log
                          (client_metrics.h) and the consumer's position,
                          cached under the transaction's snapshot
    analytics.SaveTemplate, ListTemplates, GetTemplate, DeleteTemplate,
    RunTemplate           saved report templates; their schedules run
                          from the job (report_templates.h)              */
#ifndef ANALYTICS_SERVER_H_INCLUDED
#define ANALYTICS_SERVER_H_INCLUDED

#include "crmq.h"
#include "crmq_service.h"

//  The method table for crmq_service_main.
extern const crmq_rpc_method_t analytics_server_methods [];

//  Builds the handlers' state over the service's PostgreSQL and Redis.
void *analytics_server_new (crmq_service_t *service);

//  Frees the state (and its consumer); sets *self_p to NULL.
void analytics_server_destroy (void **self_p);

//  The `started` hook: creates the durable consumer
//  "analytics.client_metrics" of the sales events and adds its socket to
//  the server's readers.  Returns 0, or -1 (start-up stops).
int analytics_server_started (void *state, crmq_rpc_server_t *server);

//  The job: consumes what is there (retries, replays when no message came)
//  and runs the report templates that are due (report_templates_tick).
void analytics_server_job (void *state);

#endif

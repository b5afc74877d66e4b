/*  sales_server.h - the request handlers of crmq-sales.

    sales.Ingest   a batch of ERP events (IngestRequest -> IngestReply).
    sales.SavePipeline, sales.ListPipelines: pipeline_store.h.
    sales.CreateDeal, UpdateDeal, MoveDeal, CloseDeal, LinkOrder,
    UnlinkOrder, GetDeal, ListDeals: deal_store.h.

    A batch is handled in three steps: every event is checked on its own
    (erp_event_check.h); events already recorded are answered as duplicates
    (same body) or ALREADY_EXISTS (another body under the same event_id);
    client and manager master data is handed to crmq-contacts; then every
    remaining event is applied in one transaction, each under a savepoint, so
    an event that fails rolls back alone.  The reply is sent after commit.    */
#ifndef SALES_SERVER_H_INCLUDED
#define SALES_SERVER_H_INCLUDED

#include "crmq.h"

//  The method table for crmq_service_main.
extern const crmq_rpc_method_t sales_server_methods [];

//  Builds the handlers' state: PostgreSQL, a client of crmq-contacts.
void *sales_server_new (crmq_service_t *service);

//  Frees the state; sets *self_p to NULL.
void sales_server_destroy (void **self_p);

//  What the handlers of the other files read from the state (owned by it):
//  the PostgreSQL wrapper, the client of crmq-contacts, the base currency
//  (ISO 4217) and the company's IANA time zone (CRMQ_TIME_ZONE).
crmq_pg_t *sales_server_pg (void *state);
crmq_rpc_client_t *sales_server_contacts (void *state);
const char *sales_server_base_currency (void *state);
const char *sales_server_time_zone (void *state);

//  The background job: applies pending events of other services (client
//  merges, merge_applier.h).
void sales_server_job (void *self);

#endif

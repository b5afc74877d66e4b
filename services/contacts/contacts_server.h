/*  contacts_server.h - the request handlers of crmq-contacts.

    contacts.UpsertClients   create or update clients by the ERP's external id
    contacts.UpsertManagers  create or update managers by the ERP's external id
    contacts.GetClient       a client card (cached in Redis, see client_card_cache.h)
    contacts.ListClients     clients by id, keyset-paged                       */
#ifndef CONTACTS_SERVER_H_INCLUDED
#define CONTACTS_SERVER_H_INCLUDED

#include "crmq.h"

//  The method table for crmq_service_main.
extern const crmq_rpc_method_t contacts_server_methods [];

//  Builds the handlers' state over the service's PostgreSQL and Redis.
void *contacts_server_new (crmq_service_t *service);

//  Frees the state; sets *self_p to NULL.
void contacts_server_destroy (void **self_p);

#endif

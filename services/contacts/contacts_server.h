/*  contacts_server.h - the state of crmq-contacts' handlers.  The handlers
    live one area a file (client_upsert, client_card, interaction_log,
    client_search, segment_store); contacts_methods() joins their tables.   */
#ifndef CONTACTS_SERVER_H_INCLUDED
#define CONTACTS_SERVER_H_INCLUDED

#include "crmq.h"

//  Builds the handlers' state over the service's PostgreSQL and Redis.
void *contacts_server_new (crmq_service_t *service);

//  Frees the state; sets *self_p to NULL.
void contacts_server_destroy (void **self_p);

#endif

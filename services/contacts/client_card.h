/*  client_card.h - client cards:

    contacts.GetClient    GetClientRequest -> GetClientReply (cached, see client_card_cache.h)
    contacts.ListClients  ListClientsRequest -> ListClientsReply            */
#ifndef CLIENT_CARD_H_INCLUDED
#define CLIENT_CARD_H_INCLUDED

#include "contacts_common.h"

extern const crmq_rpc_method_t client_card_methods [];

#endif

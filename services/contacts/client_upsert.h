/*  client_upsert.h - master data from the ERP (through crmq-sales):

    contacts.UpsertClients   UpsertClientsRequest -> UpsertClientsReply
    contacts.UpsertManagers  UpsertManagersRequest -> UpsertManagersReply

    Create or update by the ERP's external id, all or nothing per request;
    unchanged rows are left alone (no new version, no audit entry); the
    audit trail names the actor "erp".  A phone is kept as sent, and its
    E.164 form too when it has one (CRMQ_DEFAULT_COUNTRY for numbers without
    a country code).         */
#ifndef CLIENT_UPSERT_H_INCLUDED
#define CLIENT_UPSERT_H_INCLUDED

#include "contacts_common.h"

extern const crmq_rpc_method_t client_upsert_methods [];

#endif

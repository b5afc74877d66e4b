/*  client_upsert.h - master data from the ERP (through crmq-sales):

    contacts.UpsertClients   UpsertClientsRequest -> UpsertClientsReply
    contacts.UpsertManagers  UpsertManagersRequest -> UpsertManagersReply
    contacts.UpsertPersons   UpsertPersonsRequest -> UpsertPersonsReply
                             (contacts_erp.proto)

    Create or update by the ERP's external id, all or nothing per request;
    unchanged rows are left alone (no new version, no audit entry); the
    audit trail names the actor "erp".  Names (a client's name and
    legal_name, a manager's name) are checked with contacts_check_name.

    An update of a client never clears what crmq holds: an optional field
    the ERP sends empty (legal_name, country, region, city, address,
    postal_code, phone, email, category, source) keeps the stored value, as
    an empty manager_external_id keeps the stored manager; a non-empty value
    from the ERP wins over what a user entered in crmq.  (So the ERP cannot
    clear a field; a user can, with contacts.UpdateClient.)  The name is
    required and always taken.

    A phone is kept as sent, and its E.164 form too when it has one, read
    in the client's own country (the one the row ends with: sent, else
    stored; contacts_phone_e164), CRMQ_DEFAULT_COUNTRY when that names no
    country.  phone_e164 is recomputed on every upsert, so a client whose
    stored phone_e164 was computed otherwise (before the country counted)
    gets it right on the ERP's next event for it, and only then gets a new
    version.

    A contact person (ContactPersonData) is known by its client's external
    id and its own, unique per client (persons.erp_client_id, external_id).
    Its client must exist (NOT_FOUND "persons[k].client_external_id"
    otherwise); a new person of a merged client is created on the survivor
    (following merges), and a person a merge moved is found where it is
    now, so the ERP may go on naming the merged client.  name (checked as
    a client's) and active are always taken (send active = true: a person
    with active false has left and leaves the card); an empty position,
    phone or e-mail keeps what crmq holds.  The phone must be a phone
    number of the person's client's country (INVALID_ARGUMENT
    "persons[k].phone" otherwise, as AddChannel checks one) and the e-mail
    an address (contacts_email_valid; "persons[k].email"): they become the
    person's primary phone and e-mail channels (channel_store_put with
    replace_primary: an equal channel the person has takes the flag, else
    the primary one of the type takes the new value, else one is added;
    a user's other channels stay).  Role and note are the users' alone.
    Nothing is written for a person whose values and channels all stay.
    Any refused item refuses the whole request, which then changes
    nothing.      */
#ifndef CLIENT_UPSERT_H_INCLUDED
#define CLIENT_UPSERT_H_INCLUDED

#include "contacts_common.h"

extern const crmq_rpc_method_t client_upsert_methods [];

#endif

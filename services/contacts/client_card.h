/*  client_card.h - client cards, contact persons, channels, the audit trail,
    managers and their absences.

    contacts.GetClient    GetClientRequest -> GetClientReply
        By id, or by external_id when id is 0.  The card: the client, its
        manager (with absences and version), its active persons each with
        its channels, its own channels, its last 10 interactions (newest
        first, by id) and next_planned (the earliest 'planned' interaction
        starting now or later).  A merged client's id or external id resolves
        to its survivor (following merges): the card is the survivor's and
        asked_id holds the id asked for (0 when it was not merged).  Cached
        in Redis under the survivor's and its manager's versions (see
        client_card_cache.h); a cached card whose next_planned has begun is
        read again.  NOT_FOUND for an unknown client.
    contacts.ListClients  ListClientsRequest -> ListClientsReply
        Keyset by id; merged clients are left out.
    contacts.CreateClient ClientRequest -> ClientReply (the client as stored)
        Checks: name 1..300 bytes and legal_name up to 1000, both names
        (contacts_check_name: no control characters, tab and line breaks
        included, nor C1 controls, line separators or bidirectional
        overrides and isolates; not blank); external_id empty (none) or an id of up to
        100 bytes, ALREADY_EXISTS when taken; kind company|person (empty =
        company); status active|archived (empty = active); tax_id up to 32
        letters, digits and '-'; tags up to 50, each 1..64 bytes without
        control characters, no repeats; relationship_since empty or a real
        YYYY-MM-DD from 1900-01-01 to today (UTC); attributes_json empty
        ({}) or a JSON object of up to 64 KiB; email empty or an address
        (contacts_email_valid); phone empty or a phone number (stored as
        entered, and as E.164 in phone_e164, a number without its country
        code read in the client's country, or CRMQ_DEFAULT_COUNTRY when
        that names none: contacts_phone_e164); manager by
        manager_external_id or manager_id (NOT_FOUND when unknown,
        FAILED_PRECONDITION when inactive, none when both are empty); the
        other texts up to 1000 bytes.  INVALID_ARGUMENT names the field
        ("client.name", "client.tags[2]", ...).  actor (up to 200 bytes)
        goes to the audit trail.
    contacts.UpdateClient ClientRequest -> ClientReply (the client as stored)
        Sets the fields named in `fields` (as in Client: name, tags, status,
        manager_id, manager_external_id, attributes_json, ...) of
        client.id, each checked as in CreateClient; phone_e164 is computed
        again from the phone and the country the client ends with when
        either is set (a phone set that is no number there is
        INVALID_ARGUMENT "client.phone"; a stored phone that is no number
        in a newly set country gets phone_e164 "", as an ERP's phone may); an
        unknown or read-only name (id, version, phone_e164, ...) or no name
        at all: INVALID_ARGUMENT "fields".  Unknown id: NOT_FOUND; a merged
        client: FAILED_PRECONDITION naming the survivor.  When no value
        changes nothing is written: no new version, no audit entry.
        Archiving is status "archived".
    contacts.SavePerson   PersonRequest -> PersonReply (the person with its channels)
        person.id 0 creates a person of person.client_id (NOT_FOUND, or
        FAILED_PRECONDITION when merged); otherwise saves name (1..300
        bytes, a name as the client's), position, role, note (up to 1000 bytes) and active of
        person.id (NOT_FOUND; a client_id other than its own is
        INVALID_ARGUMENT; FAILED_PRECONDITION when its client is merged):
        the fields named in `fields` (as in Person), the others kept as
        stored, or all as given when `fields` is empty.  Only the fields
        set are checked; any other name, or `fields` for a new person, is
        INVALID_ARGUMENT "fields".  Send active = true for a working
        contact: the card shows active persons only.  Nothing written when
        nothing changes.
    contacts.AddChannel   ChannelRequest -> ChannelReply (the channel as stored)
        For client_id (person_id 0) or for person_id, which must belong to
        client_id when both are given (client_id 0 takes the person's);
        NOT_FOUND for an unknown one, FAILED_PRECONDITION naming the
        survivor when the client is merged.
        type phone|email|address|messenger|web; kind work|mobile|home|fax|other
        (empty = work); value 1..1000 bytes.  Phones must normalise to
        E.164 in the country of the client (the person's client), read in
        the transaction (so after NOT_FOUND and FAILED_PRECONDITION),
        e-mails be addresses (else INVALID_ARGUMENT "channel.value");
        normalized is the E.164, or lower(value) for e-mails.  primary makes
        it the owner's only primary channel of the type.  A channel the
        owner already has (same type and number / address / value) is not
        added twice: it takes the kind, and the primary flag when asked, and
        is returned, so a resend changes nothing.
    contacts.RemoveChannel RemoveRequest -> RemoveReply
        NOT_FOUND when there is no such channel.
    contacts.GetAudit     AuditRequest -> AuditReply
        The audit entries of client_id (its own changes and those of its
        persons, channels and interactions), newest first, keyset by id
        (before_id; next_before_id 0 when there are no more); changes_json
        is {"field": [old, new], ...}.  NOT_FOUND for an unknown client.
    contacts.SetManagerAbsences ManagerAbsencesRequest -> ListManagersReply
        Replaces all absences of manager_id (NOT_FOUND) in one transaction;
        each [from_date, to_date) with real YYYY-MM-DD dates, to_date after
        from_date, none overlapping another ("absences[i].from_date"), up to
        1000.  Nothing written when they are the same; otherwise one audit
        entry (entity manager, changes {"absences": [old, new]}).  Replies
        ListManagersReply holding that one manager as stored.
    contacts.ListManagers ListManagersRequest -> ListManagersReply
        Every manager by id, with supervisor_id resolved from
        supervisor_external_id (0 when unknown), absences and version.

    Every write sets the audit actor and answers OK only after its
    transaction committed; bad input changes nothing.  UpdateClient,
    SavePerson and AddChannel lock their client in the transaction
    (contacts_client_lock), so they and a merge of that client serialise.  CreateClient,
    UpdateClient, SavePerson and AddChannel honour request_key ("Resending
    writes" in contacts.proto): a resend with a key seen before gets the
    first reply again and changes nothing (ALREADY_EXISTS "request_key" when
    the key was used for another method).                       */
#ifndef CLIENT_CARD_H_INCLUDED
#define CLIENT_CARD_H_INCLUDED

#include "contacts_common.h"

//  The methods above, ending with {NULL, NULL}; joined by contacts_methods().
extern const crmq_rpc_method_t client_card_methods [];

#endif

/*  interaction_log.h - interaction history, requests and complaints.

    contacts.LogInteraction (InteractionRequest -> InteractionReply)
        Logs one contact with a client (interaction.id must be 0) and replies
        with the stored row.  Checked before anything is written:
        - client_id: an existing client (5 NOT_FOUND), not merged
          (9 FAILED_PRECONDITION, the message names the survivor);
        - channel: call, email, meeting, message, web, other;
        - kind: contact (default when empty), request, complaint, note;
        - direction: in or out; a note may also leave it empty;
        - subject and outcome up to 1000 bytes, text up to CONTACTS_MAX_TEXT,
          all UTF-8 without control characters but tab and line breaks;
        - started_at_us: required (0 is refused), an instant in the years
          1900 to 2200 (UTC); ended_at_us: 0 (none) or at or after started_at_us;
        - manager_id: 0 or an existing manager (5); person_id: 0 or a contact
          person of this client (3, field interaction.person_id);
        - deal_ref, order_ref, lead_ref: ids of up to 100 bytes, or empty;
        - attachments: up to 20 references, each a name of 1..300 bytes, an
          http:// or https:// URL of up to 2000 bytes without spaces, and
          size_bytes >= 0; stored as the jsonb array [{"name", "url", "size_bytes"}];
        - requests and complaints: topic of 1..300 bytes and severity low,
          medium, high or critical; status open (default), in_progress,
          resolved or closed;
        - contacts and notes: no topic nor severity; status done (default)
          or planned (a contact yet to come: the card's next planned contact);
        - actor (the request's): up to CONTACTS_MAX_ACTOR bytes; recorded in
          the interaction and in the audit trail.
        A request or complaint also writes contacts.request.opened or
        contacts.complaint.opened (crmq.InteractionEvent) to bus.outbox in
        the same transaction.  Any error: nothing written.
        The client is locked in the transaction (contacts_client_lock), so a
        log and a merge of its client serialise.  A resend with the same
        request_key gets the first reply and logs nothing (a malformed key
        is 3, a key used for another method 6, both writing nothing);
        without a key a resend logs the interaction twice.

    contacts.UpdateInteraction (InteractionRequest -> InteractionReply)
        Sets the `fields` named (status, outcome, ended_at_us, text; at least
        one) of interaction.id and replies with the stored row.  5 when the
        id is unknown.  Status changes allowed: requests and complaints
        open -> in_progress -> resolved -> closed, open -> resolved and
        resolved -> in_progress (reopened); contacts and notes planned -> done.
        Any other change is 9 FAILED_PRECONDITION; setting the status it
        already has changes nothing (so a resent call is harmless).  A status
        change of a request or complaint writes contacts.request.updated or
        contacts.complaint.updated with previous_status, in the same
        transaction.  The interaction keeps the actor who logged it; the
        audit trail records the updater.

    contacts.ListInteractions (ListInteractionsRequest -> ListInteractionsReply)
        History of one client (client_id) or one manager (manager_id):
        exactly one of them (3), which must exist (5); a client merged into
        another reads as its survivor.  Filters: channels and kinds (any of
        the values listed; unknown values are 3), period on started_at
        ([from_us, to_us), 0 = unbounded).  Newest first by id; keyset paging
        with before_id (0 = from the newest); limit 1..1000, 0 = 50;
        next_before_id is the before_id of the next page, 0 when there is no
        more.                                                                */
#ifndef INTERACTION_LOG_H_INCLUDED
#define INTERACTION_LOG_H_INCLUDED

#include "contacts_common.h"

extern const crmq_rpc_method_t interaction_log_methods [];

#endif

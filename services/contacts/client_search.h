/*  client_search.h - search, duplicates and merge:

    contacts.Search          SearchRequest -> SearchReply
        query (trimmed of blanks, 1..300 bytes of UTF-8 text), limit 1..100
        (0 = 20), offset 0..10000.  Finds clients by
          external_id  exact                                   score 1
          tax_id       exact                                   score 1
          phone        the query in E.164 equals clients.phone_e164 or a
                       phone channel's normalized value (the client's or a
                       contact person's); tried only when the query holds
                       nothing but digits, blanks and + - ( ) . / ('+'
                       anywhere: "(+49) 30 0074321"), with at least 5
                       digits.  A query with its country code matches
                       whatever the client's country; one without it is
                       read in the service's default region (the query
                       names no client whose country could count)   score 1
          email        case-insensitive (PostgreSQL lower(), so Cyrillic
                       too) equality with clients.email or an e-mail
                       channel's normalized value; tried only when the query
                       holds an '@'                                 score 1
          name         pg_trgm on lower(name) (index clients_name_trgm_idx):
                       similarity >= 0.3, or word_similarity (a part of the
                       name close to the query) >= 0.5, or the query as a
                       substring (its % _ \ taken literally); score
                       greatest(similarity, word_similarity), 0..1, 6 digits
                       (the thresholds are set for the search's own
                       transaction only: the connection is shared)
        One hit per client, its best (on equal scores the first of
        external_id, tax_id, phone, email, name); merged clients are left
        out, archived ones are not.  Best first, ties by client id.
        Case-insensitive for Cyrillic as for Latin (the database's C.UTF-8
        ctype), typo-tolerant ("Ромашко" finds "ООО «Ромашка»").

    contacts.FindDuplicates  FindDuplicatesRequest -> FindDuplicatesReply
        Candidate pairs of active clients (merged and archived ones left
        out), first.id < second.id, one row per pair with its strongest
        reason: same_tax_id (1), same_phone (0.95; clients.phone_e164 or
        phone channels), same_email (0.9; case-insensitive, clients.email or
        e-mail channels), same_name (0.9; equal name_key: case, quotes and
        legal-form words ignored, "ООО «Ромашка»" = "Ромашка ООО"),
        similar_name (pg_trgm similarity of the name_keys, 6 digits; found
        by exact prefix filtering of their trigram sets, as no trigram index
        on name_key exists: about 10 s for 20,000 clients, against minutes
        for comparing every pair, and the service serves one request at a
        time).  min_score (0 = 0.6; otherwise above 0 and at most 1) is the
        least score of a pair reported, whatever its reason; so it is also
        the similar_name threshold.  Best first, then by first.id,
        second.id; limit 1..1000 (0 = 100).

    contacts.MergeClients    MergeClientsRequest -> MergeClientsReply
        Merges client merged_id into survivor_id in one transaction, the
        audit trail naming `actor` (0..200 bytes; "" = "system"):
        both rows locked (FOR UPDATE, in id order); persons, channels,
        interactions and static segment memberships moved to the survivor
        (a moved primary channel loses its primary flag when the survivor
        already has a primary of that type for that owner; a channel of the
        merged client's own that the survivor has as its own already, same
        type and normalized value (E.164, lower-case e-mail; the value as
        entered for the other types), is dropped instead of moved and not
        counted in channels_moved, the survivor's one taking its primary
        flag when the survivor had no primary of the type; a membership the
        survivor already has is dropped, counted as not moved); the
        survivor's empty fields (legal_name, tax_id, country, region, city,
        address, postal_code, phone with phone_e164, email, category,
        source, manager) filled from the merged client, relationship_since
        the earlier of the two, tags united (the survivor's first), free
        attributes united (the survivor's keys win); the survivor's
        phone_e164 computed again (contacts_phone_e164) from the phone it
        ends with, in its country, or in the merged client's for the merged
        client's phone; the merged client's phone, read in E.164 in the
        merged client's country, becomes a phone channel of the survivor
        unless the survivor's phone_e164 or a phone channel of the survivor
        or its persons holds that number; a phone with no E.164 form never
        becomes a channel (every phone channel has one), it is kept only in
        the survivor's phone field when that was empty, and otherwise stays
        on the merged client's row; the merged client's e-mail becomes an
        e-mail channel when it is an address (contacts_email_valid) and
        neither the survivor's e-mail nor one of its e-mail channels holds
        it, ignoring case (channels added so: kind "work", not primary; not
        counted as moved); the merged client
        gets status "merged" and stays, resolvable through contacts.merges
        (earlier merges into it are repointed to the survivor); a
        crmq.ClientMerged event goes to the outbox under
        "contacts.client.merged".  Replies the survivor as read back and the
        counts of rows moved.
        Errors, nothing changed: survivor_id or merged_id not positive, or
        equal, or a bad actor: INVALID_ARGUMENT (3); either unknown:
        NOT_FOUND (5); either archived or already merged:
        FAILED_PRECONDITION (9).                                           */
#ifndef CLIENT_SEARCH_H_INCLUDED
#define CLIENT_SEARCH_H_INCLUDED

#include "contacts_common.h"

extern const crmq_rpc_method_t client_search_methods [];

#endif

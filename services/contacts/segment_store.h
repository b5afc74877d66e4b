/*  segment_store.h - segments of clients: static lists and rule segments.

    contacts.SaveSegment        SegmentRequest -> SegmentReply (id 0 creates)
    contacts.ListSegments       ListSegmentsRequest -> ListSegmentsReply
    contacts.DeleteSegment      RemoveRequest -> RemoveReply
    contacts.AddToSegment       SegmentMembersRequest -> SegmentReply
    contacts.RemoveFromSegment  SegmentMembersRequest -> SegmentReply
    contacts.SegmentClients     SegmentClientsRequest -> ListClientsReply

    A segment has a unique name (1..200 bytes), a kind that never changes
    (static or rule) and a description (up to 1000 bytes).  A static segment
    holds the clients added to it (contacts.segment_members; they go when the
    segment is deleted).  A rule segment holds the clients its SegmentRule
    matches at the moment it is read: every condition given must hold, a list
    holds when the client matches any of its values; category, region, source
    and country compare case-insensitively (Cyrillic too), tags, statuses,
    kinds and manager ids exactly; since_from/since_to bound the date the
    relationship began, half-open [from, to), and a client without that date
    matches no date bound.  Merged clients belong to no segment.  The rule is
    stored packed (segments.rule, bytea); rules are evaluated by one fixed,
    parameterised SQL text shared by the count and the listing.

    Every segment in a reply carries its current client count: for a static
    segment a count over its members (an index-only scan of the primary key),
    for a rule segment one count(*) over contacts.clients with the rule's
    conditions (a sequential scan unless tags or the manager narrow it), so
    ListSegments runs one such count per rule segment.

    Errors: INVALID_ARGUMENT (with the field) for bad input, NOT_FOUND for an
    unknown segment, client or manager, ALREADY_EXISTS for a name in use,
    FAILED_PRECONDITION for a change of kind, members of a rule segment, or a
    merged client added or removed.  A request that fails changes nothing.  */
#ifndef SEGMENT_STORE_H_INCLUDED
#define SEGMENT_STORE_H_INCLUDED

#include "contacts_common.h"

extern const crmq_rpc_method_t segment_store_methods [];

#endif

/*  merge_applier.h - applies contacts.client.merged in crmq-sales: the
    merged client's orders and lines move to the survivor, and the merged
    client's external id resolves to the survivor from then on.

    Events are read from the outbox (bus.outbox) by topic and recorded by
    their seq in sales.applied_events in the same transaction as their effect,
    so each is applied exactly once, in seq order among those visible, even
    when outbox commits land out of seq order (an event is never skipped: the
    test is "not applied yet", not "after the last seq").  An advisory lock
    makes one replica at a time do it.

    The move writes, in its transaction, data.changed.sales.<table> for
    every table holding rows of the merged client (sales.client_rows), and
    the redirect data.changed.sales.clients: caches keyed on the log's
    position see the merge's effect in crmq-sales, which comes after the
    contacts.client.merged event.                                          */
#ifndef MERGE_APPLIER_H_INCLUDED
#define MERGE_APPLIER_H_INCLUDED

#include "crmq.h"

//  Applies up to `limit` pending merge events in one transaction.  Returns
//  how many were applied, or -1 after a failed statement (logged; nothing of
//  that transaction kept, so the next run retries).
int merge_applier_run (crmq_pg_t *pg, int limit);

#endif

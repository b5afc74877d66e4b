/*  erp_event_store.h - records one checked ERP event and applies its body,
    inside the caller's transaction and savepoint.

    The event's row in sales.erp_events is the idempotency record: it holds
    the SHA-256 of the packed event, so a resend with the same body is told
    from a different event reusing the id.                                   */
#ifndef ERP_EVENT_STORE_H_INCLUDED
#define ERP_EVENT_STORE_H_INCLUDED

#include "crmq.h"
#include "erp_event_check.h"
#include "erp_context.h"

#define ERP_STORED     0            //  recorded and applied
#define ERP_DUPLICATE  (-2)         //  recorded before with the same body

//  Records and applies events[index] through ctx (its connection, inside the
//  caller's transaction and savepoint); `packed` (packed_size bytes) is the
//  event packed, whose SHA-256 is recorded.  contacts_id is crmq-contacts' id
//  of a client or manager event's subject (0 for other events).  Returns
//  ERP_STORED, ERP_DUPLICATE, a positive status code with `problem` filled
//  (the caller rolls back to its savepoint), or -1 when a statement failed
//  (see crmq_pg_sqlstate).
int erp_event_store (erp_context_t *ctx, const Crmq__ErpEvent *event, size_t index,
                     const uint8_t *packed, size_t packed_size, int64_t contacts_id,
                     erp_problem_t *problem);

//  The kind recorded for an event ("order_placed", "shipment"...): the name
//  of its body.  A static string.
const char *erp_event_kind (const Crmq__ErpEvent *event);

#endif

/*  crmq_outbox.h - writing events to the transactional outbox (bus.outbox).

    Call inside the transaction that makes the change the event describes:
    the event is committed with the change or not at all.  crmq-bus relays the
    rows in seq order; consumers replay from the table.  A trigger's NOTIFY on
    channel "crmq_outbox" wakes the relay at commit.                                 */
#ifndef CRMQ_OUTBOX_H_INCLUDED
#define CRMQ_OUTBOX_H_INCLUDED

#include "crmq_pg.h"
#include <protobuf-c/protobuf-c.h>

//  Writes `event` (packed) under `topic` ("contacts.client.merged"; 1 to 200
//  bytes) for `producer` (the service's name).  Returns the event's seq (> 0),
//  or -1 after a failed statement (see crmq_pg_sqlstate).
int64_t crmq_outbox_write (crmq_pg_t *pg, const char *producer, const char *topic,
                           const ProtobufCMessage *event);

#endif

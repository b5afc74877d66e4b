/*  interaction_row.h - an interaction read from a row of
    contacts.interactions, for the card (client_card) and the history
    (interaction_log): the columns to select and the reader that fills a
    Crmq__Interaction from them.                                             */
#ifndef INTERACTION_ROW_H_INCLUDED
#define INTERACTION_ROW_H_INCLUDED

#include "crmq.h"

//  Columns of an interaction row, for SELECT ... FROM contacts.interactions i;
//  read them with interaction_row_read.  Instants as microseconds since the
//  epoch (ended_at 0 when unset), manager and person 0 when unset, the
//  attachments as the jsonb array [{"name", "url", "size_bytes"}].
#define INTERACTION_ROW_COLUMNS \
    "i.id, i.client_id, i.channel, i.kind, i.direction, i.subject, i.text, i.outcome," \
    " (extract (epoch FROM i.started_at) * 1000000)::bigint," \
    " coalesce ((extract (epoch FROM i.ended_at) * 1000000)::bigint, 0)," \
    " coalesce (i.manager_id, 0), coalesce (i.person_id, 0)," \
    " i.deal_ref, i.order_ref, i.lead_ref, i.attachments::text, i.topic, i.severity, i.status," \
    " (extract (epoch FROM i.created_at) * 1000000)::bigint, i.actor"
#define INTERACTION_ROW_NCOLUMNS 21

//  Fills `interaction` from the INTERACTION_ROW_COLUMNS of row `row` of
//  `result` (from column 0).  The strings point into `result`, which must
//  outlive the message; the attachments (items of the array that are not
//  objects are skipped; a missing name or URL reads as "") are allocated:
//  free them with interaction_row_clear.
void interaction_row_read (Crmq__Interaction *interaction, PGresult *result, int row);

//  Frees what interaction_row_read allocated; the interaction then has no
//  attachments.  Safe twice.
void interaction_row_clear (Crmq__Interaction *interaction);

#endif

/*  deal_store.h - deals in crmq-sales: a sale being worked on with a
    client, moving through the stages of a pipeline (pipeline_store.h).

    sales.CreateDeal   DealRequest -> DealReply (the deal as stored)
        Checks: title 1..300 bytes, a name (crmq_name_valid); client_id a
        client of crmq-contacts (NOT_FOUND "deal.client_id"): one that
        crmq-sales has not seen yet (created in crmq-contacts, no ERP event
        about it) is looked up there (contacts.GetClient) and recorded, and
        a merged client means its survivor; manager_id 0 (none) or a
        manager of crmq-contacts (NOT_FOUND "deal.manager_id"; one sales
        has not seen is looked up with contacts.ListManagers); amount unset
        (0) or >= 0 and below 10^15 with up to 9 decimals, its currency
        empty (the base currency, CRMQ_BASE_CURRENCY) or three capital
        letters (ISO 4217); expected_close_date empty or a real YYYY-MM-DD
        (a day in the company's zone) from 1900 to 2199; the deal starts
        open in stage_id (a live open stage, of pipeline_id when that is
        given too: INVALID_ARGUMENT "deal.stage_id" otherwise), or in the
        first stage of pipeline_id, or of the default pipeline; an unknown
        pipeline or stage is NOT_FOUND.  status must be empty or open,
        lost_reason empty.  Its stage history starts there; the event
        sales.deal.created.  Takes a request_key (crmq_request_key.h).
    sales.UpdateDeal   DealRequest -> DealReply
        Sets the fields named in `fields` of deal.id (NOT_FOUND): title,
        client_id, manager_id, amount, expected_close_date (checked as
        above), lost_reason (a lost deal's, not empty; FAILED_PRECONDITION
        for another deal).  Any other name: INVALID_ARGUMENT "fields"
        (stages move with MoveDeal and CloseDeal).  A new client must own
        every linked order (FAILED_PRECONDITION).  deal.version other than
        0 must be the stored version (FAILED_PRECONDITION "deal.version").
        Nothing written when nothing changes; else the version grows and
        sales.deal.updated names the fields that changed.
    sales.MoveDeal     MoveDealRequest -> DealReply
        Moves the deal to an open stage of its pipeline, or of pipeline_id
        (moving the deal there).  A closed deal moved so is open again.
        sales.deal.stage_changed; moving to the stage it is in (open)
        changes nothing.  A won or lost stage: INVALID_ARGUMENT "stage_id"
        (close deals with CloseDeal).
    sales.CloseDeal    CloseDealRequest -> DealReply
        won, or lost with a lost_reason (1..1000 bytes of text, not blank):
        the deal goes to stage_id (a won / lost stage of its pipeline) or
        to the pipeline's won stage / first lost stage; sales.deal.won or
        sales.deal.lost.  Closing again as it is changes nothing; a new
        reason for a lost deal in the same stage is sales.deal.updated.
    sales.LinkOrder, sales.UnlinkOrder   DealOrderRequest -> GetDealReply
        Links an ERP order (sales.orders, by its external id: NOT_FOUND
        "order_external_id") of the deal's client (FAILED_PRECONDITION
        otherwise) to the deal, or unlinks it.  An order is linked to one
        deal at most: FAILED_PRECONDITION naming the other deal.  Linking
        a linked order again, or unlinking one not linked, changes nothing;
        otherwise sales.deal.updated with fields ["orders"].
    sales.GetDeal      GetDealRequest -> GetDealReply
        The deal, its stage history (oldest first) and linked orders.
    sales.ListDeals    ListDealsRequest -> ListDealsReply
        By id ascending, keyset after_id, limit 1..1000 (0 = 100); the
        filters given must all hold: pipeline (NOT_FOUND when unknown),
        stage (NOT_FOUND), client (a merged one means its survivor),
        manager, status (open, won, lost), rotting only.

    Rotting: an open deal rots when the day it entered its stage plus the
    stage's rotting_days lies before today, days in the company's zone
    (CRMQ_TIME_ZONE): entered on the 1st of a 14-day stage, it rots from
    the 16th.  Every write takes an actor (up to 200 bytes), recorded in the
    stage history and the events, and answers after its transaction
    committed; bad input changes nothing.  MoveDeal, CloseDeal, LinkOrder
    and UnlinkOrder take the version read (0 = any), as UpdateDeal does.
    Events (bus.outbox, crmq.DealEvent) are written in the same
    transaction.  A client merge applied by crmq-sales moves the merged
    client's deals to the survivor (a trigger; no deal event: the merge is
    contacts.client.merged).                                                */
#ifndef DEAL_STORE_H_INCLUDED
#define DEAL_STORE_H_INCLUDED

#include "deal_common.h"

#define DEAL_MAX_LIST   1000        //  deals in one ListDeals page

//  The handlers of the methods above (crmq_rpc_handler_fn); `state` is
//  crmq-sales' (sales_server.h).
int deal_store_create (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply);
int deal_store_update (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply);
int deal_store_move (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply);
int deal_store_close (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply);
int deal_store_link_order (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply);
int deal_store_unlink_order (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply);
int deal_store_get (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply);
int deal_store_list (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply);

#endif

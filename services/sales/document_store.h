/*  document_store.h - the ERP's documents around orders: shipments,
    invoices, payments and returns, inside the caller's transaction and
    savepoint, with their rollups kept in the same transaction.

    A document may arrive before the document it refers to (a shipment
    before its order, a payment before its invoice): it is stored with the
    reference unresolved (sales.unresolved lists those) and linked, with its
    lateness settled, when the other side arrives.
      - A shipment is late when shipped after its order's required date.
      - A payment is late when paid after its invoice's due date (the
        invoice it names, else the first invoice of the order it names).
      - A return reduces revenue on the day it is registered.
    A document number the ERP used before for another event is
    ALREADY_EXISTS; an unknown client or product is NOT_FOUND.

    Each function applies events[index] and returns ERP_STORED (0), a
    positive status code with `problem` filled (the caller rolls back to its
    savepoint), or -1 when a statement failed (see crmq_pg_sqlstate).        */
#ifndef DOCUMENT_STORE_H_INCLUDED
#define DOCUMENT_STORE_H_INCLUDED

#include "erp_context.h"
#include "erp_event_check.h"

//  ShipmentRegistered: the shipment and its lines; settled with its order.
int document_store_shipment (erp_context_t *ctx, const Crmq__ErpEvent *event, size_t index,
                             erp_problem_t *problem);

//  InvoiceIssued: the invoice; links the payments that waited for it.
int document_store_invoice (erp_context_t *ctx, const Crmq__ErpEvent *event, size_t index,
                            erp_problem_t *problem);

//  PaymentReceived: the payment, late or not when its invoice is known.
int document_store_payment (erp_context_t *ctx, const Crmq__ErpEvent *event, size_t index,
                            erp_problem_t *problem);

//  ReturnRegistered: the return and its lines (amount round(q x price, 2)).
int document_store_return (erp_context_t *ctx, const Crmq__ErpEvent *event, size_t index,
                           erp_problem_t *problem);

#endif

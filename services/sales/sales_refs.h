/*  sales_refs.h - looks up crmq-sales' ids for the ERP's external ids of
    clients, managers, products and orders, inside the caller's transaction.
    A reference the ERP names that is not known yet is reported as a
    NOT_FOUND problem naming the event's field.                              */
#ifndef SALES_REFS_H_INCLUDED
#define SALES_REFS_H_INCLUDED

#include "crmq.h"
#include "erp_event_check.h"

//  The client's id (a merged client's survivor) by external id; `field` names
//  the event's field for the problem.  Returns the id (> 0), 0 with `problem`
//  filled (NOT_FOUND: send the client's master data first), or -1 when the
//  statement failed.
int64_t sales_refs_client (crmq_pg_t *pg, const char *external_id, const char *field,
                           erp_problem_t *problem);

//  The manager's id by external id; an empty external id is no manager
//  (returns 0 without a problem).  Otherwise as sales_refs_client; a missing
//  manager fills `problem` and returns -2.
int64_t sales_refs_manager (crmq_pg_t *pg, const char *external_id, const char *field,
                            erp_problem_t *problem);

//  Checks that every product of `products` (a text[] literal of external ids)
//  is known.  lines_field names the event's lines ("events[3].order_placed.
//  lines"); the problem's field is lines_field[k].product_external_id, k the
//  0-based position of the first unknown product.  Returns
//  CRMQ_OK, CRMQ_NOT_FOUND with `problem` filled, or -1 when the statement
//  failed.
int sales_refs_products (crmq_pg_t *pg, const char *products, const char *lines_field,
                         erp_problem_t *problem);

//  Advisory lock classes of sales.lock_documents: transactions that write an
//  order and those that write documents naming it take the lock of its
//  number before they link, so replicas never miss each other's rows.
#define SALES_LOCK_ORDERS    4242
#define SALES_LOCK_INVOICES  4243

//  Takes the transaction's locks of kind (SALES_LOCK_ORDERS or
//  SALES_LOCK_INVOICES) on the numbers in external_ids (a text[] literal;
//  empty numbers are skipped).  Returns 0 or -1 when the statement failed.
int sales_refs_lock (crmq_pg_t *pg, int kind, const char *external_ids);

//  As sales_refs_lock for one number; an empty one takes nothing.
int sales_refs_lock_one (crmq_pg_t *pg, int kind, const char *external_id);

//  Runs `sql` with one text parameter and returns the first column of its
//  first row as an id: > 0, 0 when there is no row, -1 when it failed.
int64_t sales_refs_id (crmq_pg_t *pg, const char *sql, const char *value);

#endif

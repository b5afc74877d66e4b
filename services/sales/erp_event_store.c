/*  erp_event_store.c - applying ERP events; see erp_event_store.h.  */
#include "erp_event_store.h"
#include "sales_refs.h"
#include "order_store.h"
#include "document_store.h"
#include "sales_events.h"

static const char *SQL_RECORD_EVENT =
    "INSERT INTO sales.erp_events (event_id, kind, body_sha256, occurred_at)"
    " VALUES ($1, $2, sha256($3::bytea),"
    "         CASE WHEN $4::bigint = 0 THEN NULL"
    "              ELSE timestamptz 'epoch' + $4::bigint * interval '1 microsecond' END)"
    " ON CONFLICT (event_id) DO NOTHING RETURNING seq";

static const char *SQL_SAME_BODY =
    "SELECT body_sha256 = sha256($2::bytea), kind FROM sales.erp_events WHERE event_id = $1";

static const char *SQL_CLIENT =
    "INSERT INTO sales.clients (id, external_id) VALUES ($1, $2)"
    " ON CONFLICT (external_id) DO NOTHING";

static const char *SQL_MANAGER =
    "INSERT INTO sales.managers (id, external_id) VALUES ($1, $2)"
    " ON CONFLICT (external_id) DO NOTHING";

//  A group a product names: created, or renamed and re-parented while its
//  own event has not described it.
static const char *SQL_PRODUCT_GROUP =
    "INSERT INTO sales.product_groups AS g (external_id, name, parent_id)"
    " VALUES ($1, $2, (SELECT id FROM sales.product_groups WHERE external_id = $3))"
    " ON CONFLICT (external_id) DO UPDATE"
    "   SET name = CASE WHEN g.described THEN g.name ELSE EXCLUDED.name END,"
    "       parent_id = CASE WHEN g.described OR EXCLUDED.parent_id IS NULL THEN g.parent_id"
    "                        ELSE EXCLUDED.parent_id END"
    " RETURNING id";

//  A group's own event.
static const char *SQL_DESCRIBE_GROUP =
    "INSERT INTO sales.product_groups AS g (external_id, name, parent_id, described)"
    " VALUES ($1, $2, (SELECT id FROM sales.product_groups WHERE external_id = $3), true)"
    " ON CONFLICT (external_id) DO UPDATE"
    "   SET name = EXCLUDED.name, parent_id = EXCLUDED.parent_id, described = true";

//  A parent named before its own event: a placeholder named by its id.
static const char *SQL_PARENT_GROUP =
    "INSERT INTO sales.product_groups (external_id, name) VALUES ($1, $1)"
    " ON CONFLICT (external_id) DO NOTHING";

//  Whether the group is among its own ancestors.
static const char *SQL_GROUP_CYCLE =
    "WITH RECURSIVE up (id, depth) AS ("
    "   SELECT parent_id, 1 FROM sales.product_groups WHERE external_id = $1"
    "   UNION ALL"
    "   SELECT g.parent_id, up.depth + 1 FROM up JOIN sales.product_groups g ON g.id = up.id"
    "    WHERE up.depth < 1000)"
    " SELECT count (*) FROM up JOIN sales.product_groups g ON g.id = up.id"
    "  WHERE g.external_id = $1";

//  An empty group and an unset price or cost keep what crmq holds (master
//  data never erases); the name and discontinued are always taken.
static const char *SQL_PRODUCT =
    "INSERT INTO sales.products AS p (external_id, name, group_id, list_price, standard_cost,"
    "                                 discontinued)"
    " VALUES ($1, $2, $3::bigint, $4::numeric, $5::numeric, $6::boolean)"
    " ON CONFLICT (external_id) DO UPDATE SET name = EXCLUDED.name,"
    "  group_id = coalesce (EXCLUDED.group_id, p.group_id),"
    "  list_price = coalesce (EXCLUDED.list_price, p.list_price),"
    "  standard_cost = coalesce (EXCLUDED.standard_cost, p.standard_cost),"
    "  discontinued = EXCLUDED.discontinued, updated_at = now()";

static int
s_store_reference (crmq_pg_t *pg, const char *sql, int64_t contacts_id, const char *external_id)
{
    char id [24];
    snprintf (id, sizeof id, "%" PRId64, contacts_id);
    const char *values [2] = { id, external_id };
    return crmq_pg_command (pg, sql, 2, values) == 0? ERP_STORED: -1;
}

//  Writes money as numeric text into buf, or returns NULL (SQL NULL) for none.
static const char *
s_money_text (const Crmq__Money *money, char *buf, size_t size)
{
    if (!money)
        return NULL;
    crmq_decimal_format (money->units, money->nanos, buf, size);
    return buf;
}

//  After a group was placed under a parent: FAILED_PRECONDITION when the
//  group is now among its own ancestors (the caller rolls back), else
//  ERP_STORED; -1 when the statement failed.
static int
s_check_cycle (crmq_pg_t *pg, const char *group, const char *parent, const char *field,
               erp_problem_t *problem)
{
    int64_t cycle = *parent? sales_refs_id (pg, SQL_GROUP_CYCLE, group): 0;
    if (cycle <= 0)
        return (int) cycle;
    return erp_problem_set (problem, CRMQ_FAILED_PRECONDITION, field,
                            "group %s under %s would be its own ancestor", group, parent);
}

static int
s_store_product (crmq_pg_t *pg, const Crmq__Product *product, size_t index,
                 erp_problem_t *problem)
{
    char group_id [24] = "";
    if (*product->group_external_id) {
        const char *name = *product->group_name? product->group_name: product->group_external_id;
        const char *parent = product->group_parent_external_id;
        const char *parent_values [1] = { parent };
        if (*parent && crmq_pg_command (pg, SQL_PARENT_GROUP, 1, parent_values) != 0)
            return -1;
        const char *values [3] = { product->group_external_id, name, parent };
        PGresult *result = crmq_pg_exec (pg, SQL_PRODUCT_GROUP, 3, values);
        if (!result)
            return -1;
        snprintf (group_id, sizeof group_id, "%s", PQgetvalue (result, 0, 0));
        PQclear (result);
        char field [192];
        snprintf (field, sizeof field, "events[%zu].product.group_parent_external_id", index);
        int rc = s_check_cycle (pg, product->group_external_id, parent, field, problem);
        if (rc != ERP_STORED)
            return rc;
    }
    char list_price [48], cost [48];
    const char *values [6] = {
        product->external_id, product->name, *group_id? group_id: NULL,
        s_money_text (product->list_price, list_price, sizeof list_price),
        s_money_text (product->standard_cost, cost, sizeof cost),
        product->discontinued? "true": "false" };
    return crmq_pg_command (pg, SQL_PRODUCT, 6, values) == 0? ERP_STORED: -1;
}

static int
s_store_product_group (crmq_pg_t *pg, const Crmq__ProductGroup *group, size_t index,
                       erp_problem_t *problem)
{
    const char *parent_values [1] = { group->parent_external_id };
    const char *values [3] = { group->external_id, group->name, group->parent_external_id };
    if ((*group->parent_external_id && crmq_pg_command (pg, SQL_PARENT_GROUP, 1, parent_values) != 0)
    ||  crmq_pg_command (pg, SQL_DESCRIBE_GROUP, 3, values) != 0)
        return -1;
    char field [192];
    snprintf (field, sizeof field, "events[%zu].product_group.parent_external_id", index);
    return s_check_cycle (pg, group->external_id, group->parent_external_id, field, problem);
}

//  After a document that may link shipments or payments to what they wait
//  for: their events (sales_events_settled).  Returns rc, or -1.
static int
s_settled (erp_context_t *ctx, int rc, bool shipments, bool payments)
{
    if (rc != ERP_STORED)
        return rc;
    return sales_events_settled (ctx, shipments, payments) == 0? ERP_STORED: -1;
}

const char *
erp_event_kind (const Crmq__ErpEvent *event)
{
    switch (event->body_case) {
        case CRMQ__ERP_EVENT__BODY_CLIENT:       return "client";
        case CRMQ__ERP_EVENT__BODY_MANAGER:      return "manager";
        case CRMQ__ERP_EVENT__BODY_PRODUCT:      return "product";
        case CRMQ__ERP_EVENT__BODY_ORDER_PLACED: return "order_placed";
        case CRMQ__ERP_EVENT__BODY_ORDER_CHANGED: return "order_changed";
        case CRMQ__ERP_EVENT__BODY_ORDER_CANCELLED: return "order_cancelled";
        case CRMQ__ERP_EVENT__BODY_SHIPMENT:     return "shipment";
        case CRMQ__ERP_EVENT__BODY_INVOICE:      return "invoice";
        case CRMQ__ERP_EVENT__BODY_PAYMENT:      return "payment";
        case CRMQ__ERP_EVENT__BODY_RETURN_REGISTERED: return "return";
        case CRMQ__ERP_EVENT__BODY_PRODUCT_GROUP: return "product_group";
        case CRMQ__ERP_EVENT__BODY_CONTACT_PERSON: return "contact_person";
        default:                                 return "unknown";
    }
}

int
erp_event_store (erp_context_t *ctx, const Crmq__ErpEvent *event, size_t index,
                 const uint8_t *packed, size_t packed_size, int64_t contacts_id,
                 erp_problem_t *problem)
{
    crmq_pg_t *pg = ctx->pg;
    char occurred [24];
    snprintf (occurred, sizeof occurred, "%" PRId64, event->occurred_at_us);
    const char *values [4] = { event->event_id, erp_event_kind (event), (const char *) packed, occurred };
    const int lengths [4] = { 0, 0, (int) packed_size, 0 };
    const int formats [4] = { 0, 0, 1, 0 };
    PGresult *result = crmq_pg_execv (pg, SQL_RECORD_EVENT, 4, values, lengths, formats);
    if (!result)
        return -1;
    bool recorded = PQntuples (result) > 0;
    PQclear (result);
    if (!recorded) {
        const char *same_values [2] = { event->event_id, (const char *) packed };
        const int same_lengths [2] = { 0, (int) packed_size };
        const int same_formats [2] = { 0, 1 };
        result = crmq_pg_execv (pg, SQL_SAME_BODY, 2, same_values, same_lengths, same_formats);
        if (!result)
            return -1;
        bool same = PQntuples (result) && streq (PQgetvalue (result, 0, 0), "t");
        char field [32];
        snprintf (field, sizeof field, "events[%zu].event_id", index);
        if (!same)
            erp_problem_set (problem, CRMQ_ALREADY_EXISTS, field,
                             "event %s was accepted before with a different body (%s)",
                             event->event_id, PQntuples (result)? PQgetvalue (result, 0, 1): "?");
        PQclear (result);
        return same? ERP_DUPLICATE: CRMQ_ALREADY_EXISTS;
    }
    switch (event->body_case) {
        case CRMQ__ERP_EVENT__BODY_CLIENT:
            return s_store_reference (pg, SQL_CLIENT, contacts_id, event->client->external_id);
        case CRMQ__ERP_EVENT__BODY_MANAGER:
            return s_store_reference (pg, SQL_MANAGER, contacts_id, event->manager->external_id);
        case CRMQ__ERP_EVENT__BODY_PRODUCT:
            return s_store_product (pg, event->product, index, problem);
        case CRMQ__ERP_EVENT__BODY_PRODUCT_GROUP:
            return s_store_product_group (pg, event->product_group, index, problem);
        case CRMQ__ERP_EVENT__BODY_CONTACT_PERSON:
            return ERP_STORED;              //  crmq-contacts holds the person
        case CRMQ__ERP_EVENT__BODY_ORDER_PLACED:
            return s_settled (ctx, order_store_place (ctx, event, index, problem), true, true);
        case CRMQ__ERP_EVENT__BODY_ORDER_CHANGED:
        case CRMQ__ERP_EVENT__BODY_ORDER_CANCELLED:
            return order_store_change (ctx, event, index, packed, packed_size, problem);
        case CRMQ__ERP_EVENT__BODY_SHIPMENT:
            return s_settled (ctx, document_store_shipment (ctx, event, index, problem),
                              true, false);
        case CRMQ__ERP_EVENT__BODY_INVOICE:
            return s_settled (ctx, document_store_invoice (ctx, event, index, problem),
                              false, true);
        case CRMQ__ERP_EVENT__BODY_PAYMENT:
            return s_settled (ctx, document_store_payment (ctx, event, index, problem),
                              false, true);
        case CRMQ__ERP_EVENT__BODY_RETURN_REGISTERED:
            return document_store_return (ctx, event, index, problem);
        default:
            return erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, "", "event without a body");
    }
}

/*  order_store.c - orders placed, changed and cancelled; see order_store.h.  */
#include "order_store.h"
#include "erp_event_store.h"
#include "sales_refs.h"
#include "sales_events.h"

#define S_INSTANT(n) "(timestamptz 'epoch' + $" #n "::bigint * interval '1 microsecond')"
#define S_INSTANT_OR_NULL(n) \
    "CASE WHEN $" #n "::bigint = 0 THEN NULL ELSE " S_INSTANT (n) " END"

//  The lines of $1..$5 (product, quantity, unit price, discount, cost) with
//  their amounts by the money rule, the product's group and the cost (the
//  ERP's, else quantity x the product's standard cost) as they are now.
#define S_LINES \
    "SELECT t.n AS line_no, p.id AS product_id, t.quantity, t.unit_price, t.discount," \
    "       coalesce (t.cost, round (t.quantity * p.standard_cost, 2)) AS cost," \
    "       coalesce (p.group_id, 0) AS product_group_id," \
    "       round(t.quantity * t.unit_price * (1 - t.discount), 2) AS amount" \
    "  FROM unnest($1::text[], $2::numeric[], $3::numeric[], $4::numeric[], $5::numeric[])" \
    "       WITH ORDINALITY AS t(product, quantity, unit_price, discount, cost, n)" \
    "  JOIN sales.products p ON p.external_id = t.product"

static const char *SQL_ORDER_EVENT =
    "SELECT event_id FROM sales.orders WHERE external_id = $1";

//  The order and its lines in one statement.
static const char *SQL_INSERT_ORDER =
    "WITH line AS (" S_LINES "),"
    " header AS ("
    "  INSERT INTO sales.orders (external_id, client_id, manager_id, placed_at, required_at,"
    "                            currency, currency_rate, amount, event_id)"
    "  SELECT $6, $7::bigint, $8::bigint, " S_INSTANT (9) ", " S_INSTANT_OR_NULL (10) ","
    "         $11, $12::numeric, (SELECT sum(amount) FROM line), $13"
    "  RETURNING id, client_id),"
    " lines AS ("
    "  INSERT INTO sales.order_lines (order_id, line_no, client_id, product_id, quantity,"
    "                                 unit_price, discount, cost, product_group_id, amount)"
    "  SELECT header.id, line.line_no, header.client_id, line.product_id, line.quantity,"
    "         line.unit_price, line.discount, line.cost, line.product_group_id, line.amount"
    "    FROM line CROSS JOIN header)"
    " SELECT id FROM header";

//  The order a change applies to, locked; its last change in microseconds.
static const char *SQL_ORDER_FOR_CHANGE =
    "SELECT id, client_id, status,"
    "       coalesce ((extract (epoch FROM changed_at) * 1000000)::bigint, 0)"
    "  FROM sales.orders WHERE external_id = $1 FOR UPDATE";

static const char *SQL_KEEP_PENDING =
    "INSERT INTO sales.pending_changes (event_id, order_external_id, kind, occurred_at, body)"
    " VALUES ($1, $2, $3, CASE WHEN $4::bigint = 0 THEN NULL"
    "                          ELSE " S_INSTANT (4) " END, $5::bytea)";

static const char *SQL_ROLLUP =
    "SELECT sales.rollup_orders ($1::bigint[], $2::int, $3)";

static const char *SQL_DELETE_LINES =
    "DELETE FROM sales.order_lines WHERE order_id = $1::bigint";

static const char *SQL_INSERT_LINES =
    "WITH line AS (" S_LINES ")"
    " INSERT INTO sales.order_lines (order_id, line_no, client_id, product_id, quantity,"
    "                                unit_price, discount, cost, product_group_id, amount)"
    " SELECT $6::bigint, line_no, $7::bigint, product_id, quantity, unit_price, discount,"
    "        cost, product_group_id, amount FROM line";

static const char *SQL_UPDATE_ORDER =
    "UPDATE sales.orders"
    "   SET amount = (SELECT sum(amount) FROM sales.order_lines WHERE order_id = $1::bigint),"
    "       manager_id = $2::bigint, required_at = " S_INSTANT_OR_NULL (3) ","
    "       currency = $4, currency_rate = $5::numeric,"
    "       changed_at = CASE WHEN $6::bigint = 0 THEN changed_at ELSE " S_INSTANT (6) " END"
    " WHERE id = $1::bigint";

static const char *SQL_SETTLE_SHIPMENTS =
    "SELECT sales.settle_shipments ($1::bigint[], $2)";

static const char *SQL_CANCEL =
    "UPDATE sales.orders SET status = 'cancelled', cancel_reason = $2,"
    "       cancelled_at = CASE WHEN $3::bigint = 0 THEN now() ELSE " S_INSTANT (3) " END"
    " WHERE id = $1::bigint";

static const char *SQL_RESOLVE =
    "SELECT sales.resolve_orders ($1::bigint[], $2)";

//  The changes that waited for these orders, oldest first, taken out.
static const char *SQL_TAKE_PENDING =
    "WITH taken AS (DELETE FROM sales.pending_changes"
    "                WHERE order_external_id = ANY ($1::text[])"
    "               RETURNING event_id, occurred_at, body)"
    " SELECT t.body FROM taken t JOIN sales.erp_events e USING (event_id)"
    "  ORDER BY t.occurred_at NULLS FIRST, e.seq";

//  Lines of an order as array literals, one per column of S_LINES.
typedef struct {
    crmq_pg_array_t *products, *quantities, *prices, *discounts, *costs;
} s_lines_t;

static void
s_lines_init (s_lines_t *lines, Crmq__OrderLine **items, size_t count)
{
    lines->products = crmq_pg_array_new ();
    lines->quantities = crmq_pg_array_new ();
    lines->prices = crmq_pg_array_new ();
    lines->discounts = crmq_pg_array_new ();
    lines->costs = crmq_pg_array_new ();
    for (size_t j = 0; j < count; j++) {
        const Crmq__OrderLine *line = items [j];
        crmq_pg_array_append (lines->products, line->product_external_id);
        crmq_pg_array_append_decimal (lines->quantities, line->quantity->units, line->quantity->nanos);
        crmq_pg_array_append_decimal (lines->prices, line->unit_price->units, line->unit_price->nanos);
        if (line->discount)
            crmq_pg_array_append_decimal (lines->discounts, line->discount->units,
                                          line->discount->nanos);
        else
            crmq_pg_array_append (lines->discounts, "0");
        if (line->cost)
            crmq_pg_array_append_decimal (lines->costs, line->cost->units, line->cost->nanos);
        else
            crmq_pg_array_append (lines->costs, NULL);
    }
}

static void
s_lines_destroy (s_lines_t *lines)
{
    crmq_pg_array_destroy (&lines->products);
    crmq_pg_array_destroy (&lines->quantities);
    crmq_pg_array_destroy (&lines->prices);
    crmq_pg_array_destroy (&lines->discounts);
    crmq_pg_array_destroy (&lines->costs);
}

static int
s_rollup (erp_context_t *ctx, const char *order_ids, const char *sign)
{
    const char *values [3] = { order_ids, sign, ctx->time_zone };
    return crmq_pg_command (ctx->pg, SQL_ROLLUP, 3, values);
}

int
order_store_place (erp_context_t *ctx, const Crmq__ErpEvent *event, size_t index,
                   erp_problem_t *problem)
{
    const Crmq__OrderPlaced *order = event->order_placed;
    char field [192];
    snprintf (field, sizeof field, "events[%zu].order_placed.client_external_id", index);
    int64_t client_id = sales_refs_client (ctx->pg, order->client_external_id, field, problem);
    if (client_id <= 0)
        return client_id < 0? -1: problem->code;
    snprintf (field, sizeof field, "events[%zu].order_placed.manager_external_id", index);
    int64_t manager_id = sales_refs_manager (ctx->pg, order->manager_external_id, field, problem);
    if (manager_id < 0)
        return manager_id == -1? -1: problem->code;
    const char *values_order [1] = { order->external_id };
    PGresult *result = crmq_pg_exec (ctx->pg, SQL_ORDER_EVENT, 1, values_order);
    if (!result)
        return -1;
    if (PQntuples (result)) {
        snprintf (field, sizeof field, "events[%zu].order_placed.external_id", index);
        erp_problem_set (problem, CRMQ_ALREADY_EXISTS, field, "order %s was placed by event %s",
                         order->external_id, PQgetvalue (result, 0, 0));
        PQclear (result);
        return CRMQ_ALREADY_EXISTS;
    }
    PQclear (result);

    s_lines_t lines;
    s_lines_init (&lines, order->lines, order->n_lines);
    snprintf (field, sizeof field, "events[%zu].order_placed.lines", index);
    int rc = sales_refs_products (ctx->pg, crmq_pg_array_text (lines.products), field, problem);
    if (rc == CRMQ_OK) {
        char client [24], manager [24], placed [24], required [24], currency [4], rate [48];
        snprintf (client, sizeof client, "%" PRId64, client_id);
        snprintf (manager, sizeof manager, "%" PRId64, manager_id);
        snprintf (placed, sizeof placed, "%" PRId64, order->placed_at_us);
        snprintf (required, sizeof required, "%" PRId64, order->required_at_us);
        erp_context_currency (ctx, order->currency, order->currency_rate, currency, rate, sizeof rate);
        const char *values [13] = {
            crmq_pg_array_text (lines.products), crmq_pg_array_text (lines.quantities),
            crmq_pg_array_text (lines.prices), crmq_pg_array_text (lines.discounts),
            crmq_pg_array_text (lines.costs),
            order->external_id, client, manager_id? manager: NULL, placed, required,
            currency, rate, event->event_id };
        result = crmq_pg_exec (ctx->pg, SQL_INSERT_ORDER, 13, values);
        rc = result? ERP_STORED: -1;
        if (result) {
            char ids [32];
            snprintf (ids, sizeof ids, "{%s}", PQgetvalue (result, 0, 0));
            PQclear (result);
            crmq_pg_array_t *externals = crmq_pg_array_new ();
            crmq_pg_array_append (externals, order->external_id);
            //  placed before the changes that waited for it are applied
            rc = sales_events_orders (ctx, "sales.order.placed", ids, NULL, 0);
            if (rc == 0)
                rc = order_store_settle (ctx, ids, crmq_pg_array_text (externals));
            crmq_pg_array_destroy (&externals);
        }
    }
    s_lines_destroy (&lines);
    return rc;
}

//  Replaces a placed order's lines and terms by a change, with its rollups.
static int
s_apply_change (erp_context_t *ctx, const char *order_id, const char *client_id,
                const Crmq__OrderChanged *change, int64_t manager_id, const char *event_id,
                int64_t occurred_at_us)
{
    s_lines_t lines;
    s_lines_init (&lines, change->lines, change->n_lines);
    char ids [32], manager [24], required [24], currency [4], rate [48], occurred [24];
    snprintf (ids, sizeof ids, "{%s}", order_id);
    snprintf (manager, sizeof manager, "%" PRId64, manager_id);
    snprintf (required, sizeof required, "%" PRId64, change->required_at_us);
    snprintf (occurred, sizeof occurred, "%" PRId64, occurred_at_us);
    erp_context_currency (ctx, change->currency, change->currency_rate, currency, rate, sizeof rate);
    const char *delete_values [1] = { order_id };
    const char *insert_values [7] = {
        crmq_pg_array_text (lines.products), crmq_pg_array_text (lines.quantities),
        crmq_pg_array_text (lines.prices), crmq_pg_array_text (lines.discounts),
        crmq_pg_array_text (lines.costs), order_id, client_id };
    const char *update_values [6] = {
        order_id, manager_id? manager: NULL, required, currency, rate, occurred };
    const char *settle_values [2] = { ids, ctx->time_zone };
    int rc = s_rollup (ctx, ids, "-1") == 0
          && crmq_pg_command (ctx->pg, SQL_DELETE_LINES, 1, delete_values) == 0
          && crmq_pg_command (ctx->pg, SQL_INSERT_LINES, 7, insert_values) == 0
          && crmq_pg_command (ctx->pg, SQL_UPDATE_ORDER, 6, update_values) == 0
          && s_rollup (ctx, ids, "1") == 0
          && crmq_pg_command (ctx->pg, SQL_SETTLE_SHIPMENTS, 2, settle_values) == 0
          && sales_events_orders (ctx, "sales.order.changed", ids, event_id,
                                  occurred_at_us) == 0? ERP_STORED: -1;
    s_lines_destroy (&lines);
    return rc;
}

static int
s_apply_cancel (erp_context_t *ctx, const char *order_id, const Crmq__OrderCancelled *cancel,
                const char *event_id, int64_t occurred_at_us)
{
    char ids [32], occurred [24];
    snprintf (ids, sizeof ids, "{%s}", order_id);
    snprintf (occurred, sizeof occurred, "%" PRId64, occurred_at_us);
    const char *values [3] = { order_id, cancel->reason, occurred };
    return s_rollup (ctx, ids, "-1") == 0
        && crmq_pg_command (ctx->pg, SQL_CANCEL, 3, values) == 0
        && sales_events_orders (ctx, "sales.order.cancelled", ids, event_id,
                                occurred_at_us) == 0? ERP_STORED: -1;
}

//  Applies a change or cancellation to its order, locked.  Returns
//  ERP_STORED (also when the change is stale and ignored), 1 when the order
//  is not there yet, or -1.  manager_id as resolved for a change.
static int
s_apply (erp_context_t *ctx, const Crmq__ErpEvent *event, int64_t manager_id)
{
    bool cancel = event->body_case == CRMQ__ERP_EVENT__BODY_ORDER_CANCELLED;
    const char *external_id = cancel? event->order_cancelled->external_id
                                    : event->order_changed->external_id;
    const char *values [1] = { external_id };
    PGresult *result = crmq_pg_exec (ctx->pg, SQL_ORDER_FOR_CHANGE, 1, values);
    if (!result)
        return -1;
    if (PQntuples (result) == 0) {
        PQclear (result);
        return 1;
    }
    char order_id [24], client_id [24];
    snprintf (order_id, sizeof order_id, "%s", PQgetvalue (result, 0, 0));
    snprintf (client_id, sizeof client_id, "%s", PQgetvalue (result, 0, 1));
    bool cancelled = streq (PQgetvalue (result, 0, 2), "cancelled");
    int64_t changed_at_us = strtoll (PQgetvalue (result, 0, 3), NULL, 10);
    PQclear (result);
    bool stale = !cancel && changed_at_us && event->occurred_at_us < changed_at_us;
    if (cancelled || stale) {
        crmq_log (CRMQ_LOG_INFO, "order change ignored", "event_id=%s order=%s why=%s",
                  crmq_log_q (event->event_id), crmq_log_q (external_id),
                  cancelled? "cancelled": "older than the last change applied");
        return ERP_STORED;
    }
    return cancel? s_apply_cancel (ctx, order_id, event->order_cancelled, event->event_id,
                                   event->occurred_at_us)
                 : s_apply_change (ctx, order_id, client_id, event->order_changed, manager_id,
                                   event->event_id, event->occurred_at_us);
}

int
order_store_change (erp_context_t *ctx, const Crmq__ErpEvent *event, size_t index,
                    const uint8_t *packed, size_t packed_size, erp_problem_t *problem)
{
    int64_t manager_id = 0;
    const char *external_id = event->order_cancelled->external_id;
    if (event->body_case == CRMQ__ERP_EVENT__BODY_ORDER_CHANGED) {
        const Crmq__OrderChanged *change = event->order_changed;
        external_id = change->external_id;
        char field [192];
        snprintf (field, sizeof field, "events[%zu].order_changed.manager_external_id", index);
        manager_id = sales_refs_manager (ctx->pg, change->manager_external_id, field, problem);
        if (manager_id < 0)
            return manager_id == -1? -1: problem->code;
        s_lines_t lines;
        s_lines_init (&lines, change->lines, change->n_lines);
        snprintf (field, sizeof field, "events[%zu].order_changed.lines", index);
        int rc = sales_refs_products (ctx->pg, crmq_pg_array_text (lines.products), field, problem);
        s_lines_destroy (&lines);
        if (rc != CRMQ_OK)
            return rc;
    }
    if (sales_refs_lock_one (ctx->pg, SALES_LOCK_ORDERS, external_id) != 0)
        return -1;
    int rc = s_apply (ctx, event, manager_id);
    if (rc != 1)
        return rc;
    //  the order has not arrived: keep the change for it
    char occurred [24];
    snprintf (occurred, sizeof occurred, "%" PRId64, event->occurred_at_us);
    const char *kind = event->body_case == CRMQ__ERP_EVENT__BODY_ORDER_CHANGED
                     ? "order_changed": "order_cancelled";
    const char *values [5] = { event->event_id, external_id, kind, occurred, (const char *) packed };
    const int lengths [5] = { 0, 0, 0, 0, (int) packed_size };
    const int formats [5] = { 0, 0, 0, 0, 1 };
    PGresult *result = crmq_pg_execv (ctx->pg, SQL_KEEP_PENDING, 5, values, lengths, formats);
    if (!result)
        return -1;
    PQclear (result);
    return ERP_STORED;
}

//  Applies the changes that waited for these orders.
static int
s_apply_pending (erp_context_t *ctx, const char *external_ids)
{
    const char *values [1] = { external_ids };
    PGresult *result = crmq_pg_exec (ctx->pg, SQL_TAKE_PENDING, 1, values);
    if (!result)
        return -1;
    int rc = 0;
    for (int row = 0; rc == 0 && row < PQntuples (result); row++) {
        size_t size = 0;
        uint8_t *body = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, row, 0), &size);
        Crmq__ErpEvent *event = body? (Crmq__ErpEvent *)
            crmq_message_unpack (&crmq__erp_event__descriptor, body, size): NULL;
        if (body)
            PQfreemem (body);
        if (!event) {
            crmq_log (CRMQ_LOG_ERROR, "unreadable pending order change", "row=%d", row);
            continue;
        }
        int64_t manager_id = 0;
        if (event->body_case == CRMQ__ERP_EVENT__BODY_ORDER_CHANGED) {
            erp_problem_t problem;
            manager_id = sales_refs_manager (ctx->pg, event->order_changed->manager_external_id,
                                             "", &problem);
            if (manager_id == -2)
                manager_id = 0;     //  known when the change came; never deleted since
        }
        if (manager_id == -1 || s_apply (ctx, event, manager_id) < 0)
            rc = -1;
        crmq_message_free (&event->base);
    }
    PQclear (result);
    return rc;
}

int
order_store_settle (erp_context_t *ctx, const char *order_ids, const char *external_ids)
{
    const char *resolve [2] = { order_ids, ctx->time_zone };
    if (s_rollup (ctx, order_ids, "1") != 0
    ||  sales_refs_lock (ctx->pg, SALES_LOCK_ORDERS, external_ids) != 0
    ||  crmq_pg_command (ctx->pg, SQL_RESOLVE, 2, resolve) != 0)
        return -1;
    return s_apply_pending (ctx, external_ids);
}

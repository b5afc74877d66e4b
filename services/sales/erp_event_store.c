/*  erp_event_store.c - applying ERP events; see erp_event_store.h.  */
#include "erp_event_store.h"

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

static const char *SQL_PRODUCT_GROUP =
    "INSERT INTO sales.product_groups (external_id, name) VALUES ($1, $2)"
    " ON CONFLICT (external_id) DO UPDATE SET name = EXCLUDED.name RETURNING id";

static const char *SQL_PRODUCT =
    "INSERT INTO sales.products (external_id, name, group_id, list_price, standard_cost,"
    "                            discontinued)"
    " VALUES ($1, $2, $3::bigint, $4::numeric, $5::numeric, $6::boolean)"
    " ON CONFLICT (external_id) DO UPDATE SET name = EXCLUDED.name,"
    "  group_id = EXCLUDED.group_id, list_price = EXCLUDED.list_price,"
    "  standard_cost = EXCLUDED.standard_cost, discontinued = EXCLUDED.discontinued,"
    "  updated_at = now()";

//  a merged client's orders go to its survivor
static const char *SQL_CLIENT_ID =
    "SELECT coalesce (merged_into, id) FROM sales.clients WHERE external_id = $1";

static const char *SQL_MANAGER_ID =
    "SELECT id FROM sales.managers WHERE external_id = $1";

static const char *SQL_ORDER_EVENT =
    "SELECT event_id FROM sales.orders WHERE external_id = $1";

//  The first line whose product is unknown, if any.
static const char *SQL_MISSING_PRODUCT =
    "SELECT t.n - 1, t.product"
    "  FROM unnest($1::text[]) WITH ORDINALITY AS t(product, n)"
    "  LEFT JOIN sales.products p ON p.external_id = t.product"
    " WHERE p.id IS NULL ORDER BY t.n LIMIT 1";

//  The order and its lines in one statement; amounts by the money rule.
static const char *SQL_INSERT_ORDER =
    "WITH line AS ("
    "  SELECT t.n AS line_no, p.id AS product_id, t.quantity, t.unit_price, t.discount,"
    "         round(t.quantity * t.unit_price * (1 - t.discount), 2) AS amount"
    "    FROM unnest($1::text[], $2::numeric[], $3::numeric[], $4::numeric[])"
    "         WITH ORDINALITY AS t(product, quantity, unit_price, discount, n)"
    "    JOIN sales.products p ON p.external_id = t.product),"
    " header AS ("
    "  INSERT INTO sales.orders (external_id, client_id, manager_id, placed_at, required_at,"
    "                            currency, amount, event_id)"
    "  SELECT $5, $6::bigint, $7::bigint,"
    "         timestamptz 'epoch' + $8::bigint * interval '1 microsecond',"
    "         CASE WHEN $9::bigint = 0 THEN NULL"
    "              ELSE timestamptz 'epoch' + $9::bigint * interval '1 microsecond' END,"
    "         $10, (SELECT sum(amount) FROM line), $11"
    "  RETURNING id, client_id)"
    " INSERT INTO sales.order_lines (order_id, line_no, client_id, product_id, quantity,"
    "                                unit_price, discount, amount)"
    " SELECT header.id, line.line_no, header.client_id, line.product_id, line.quantity,"
    "        line.unit_price, line.discount, line.amount"
    "   FROM line CROSS JOIN header";

//  Looks an id up by external id: >0 the id, 0 not found, -1 failure.
static int64_t
s_lookup (crmq_pg_t *pg, const char *sql, const char *external_id)
{
    const char *values [1] = { external_id };
    PGresult *result = crmq_pg_exec (pg, sql, 1, values);
    if (!result)
        return -1;
    int64_t id = PQntuples (result)? strtoll (PQgetvalue (result, 0, 0), NULL, 10): 0;
    PQclear (result);
    return id;
}

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

static int
s_store_product (crmq_pg_t *pg, const Crmq__Product *product)
{
    char group_id [24] = "";
    if (*product->group_external_id) {
        const char *name = *product->group_name? product->group_name: product->group_external_id;
        const char *values [2] = { product->group_external_id, name };
        PGresult *result = crmq_pg_exec (pg, SQL_PRODUCT_GROUP, 2, values);
        if (!result)
            return -1;
        snprintf (group_id, sizeof group_id, "%s", PQgetvalue (result, 0, 0));
        PQclear (result);
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
s_store_order (crmq_pg_t *pg, const Crmq__ErpEvent *event, size_t index,
               const char *base_currency, erp_problem_t *problem)
{
    const Crmq__OrderPlaced *order = event->order_placed;
    char field [192];
    int64_t client_id = s_lookup (pg, SQL_CLIENT_ID, order->client_external_id);
    if (client_id <= 0) {
        snprintf (field, sizeof field, "events[%zu].order_placed.client_external_id", index);
        return client_id < 0? -1: erp_problem_set (problem, CRMQ_NOT_FOUND, field,
            "unknown client %s: send its master data first", order->client_external_id);
    }
    int64_t manager_id = 0;
    if (*order->manager_external_id) {
        manager_id = s_lookup (pg, SQL_MANAGER_ID, order->manager_external_id);
        if (manager_id <= 0) {
            snprintf (field, sizeof field, "events[%zu].order_placed.manager_external_id", index);
            return manager_id < 0? -1: erp_problem_set (problem, CRMQ_NOT_FOUND, field,
                "unknown manager %s: send its master data first", order->manager_external_id);
        }
    }
    const char *values_order [1] = { order->external_id };
    PGresult *result = crmq_pg_exec (pg, SQL_ORDER_EVENT, 1, values_order);
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

    crmq_pg_array_t *products = crmq_pg_array_new ();
    crmq_pg_array_t *quantities = crmq_pg_array_new ();
    crmq_pg_array_t *prices = crmq_pg_array_new ();
    crmq_pg_array_t *discounts = crmq_pg_array_new ();
    char number [48];
    for (size_t j = 0; j < order->n_lines; j++) {
        const Crmq__OrderLine *line = order->lines [j];
        crmq_pg_array_append (products, line->product_external_id);
        crmq_decimal_format (line->quantity->units, line->quantity->nanos, number, sizeof number);
        crmq_pg_array_append (quantities, number);
        crmq_decimal_format (line->unit_price->units, line->unit_price->nanos, number, sizeof number);
        crmq_pg_array_append (prices, number);
        if (line->discount)
            crmq_decimal_format (line->discount->units, line->discount->nanos, number, sizeof number);
        crmq_pg_array_append (discounts, line->discount? number: "0");
    }
    int rc = ERP_STORED;
    const char *values_missing [1] = { crmq_pg_array_text (products) };
    result = crmq_pg_exec (pg, SQL_MISSING_PRODUCT, 1, values_missing);
    if (!result)
        rc = -1;
    else
    if (PQntuples (result)) {
        snprintf (field, sizeof field, "events[%zu].order_placed.lines[%s].product_external_id",
                  index, PQgetvalue (result, 0, 0));
        rc = erp_problem_set (problem, CRMQ_NOT_FOUND, field,
                        "unknown product %s: send its master data first", PQgetvalue (result, 0, 1));
    }
    PQclear (result);
    if (rc == ERP_STORED) {
        char client [24], manager [24], placed [24], required [24];
        snprintf (client, sizeof client, "%" PRId64, client_id);
        snprintf (manager, sizeof manager, "%" PRId64, manager_id);
        snprintf (placed, sizeof placed, "%" PRId64, order->placed_at_us);
        snprintf (required, sizeof required, "%" PRId64, order->required_at_us);
        const char *values [11] = {
            crmq_pg_array_text (products), crmq_pg_array_text (quantities),
            crmq_pg_array_text (prices), crmq_pg_array_text (discounts),
            order->external_id, client, manager_id? manager: NULL, placed, required,
            *order->currency? order->currency: base_currency, event->event_id };
        rc = crmq_pg_command (pg, SQL_INSERT_ORDER, 11, values) == 0? ERP_STORED: -1;
    }
    crmq_pg_array_destroy (&products);
    crmq_pg_array_destroy (&quantities);
    crmq_pg_array_destroy (&prices);
    crmq_pg_array_destroy (&discounts);
    return rc;
}

//  The kind recorded for an event: the name of its body.
static const char *
s_kind (const Crmq__ErpEvent *event)
{
    switch (event->body_case) {
        case CRMQ__ERP_EVENT__BODY_CLIENT:       return "client";
        case CRMQ__ERP_EVENT__BODY_MANAGER:      return "manager";
        case CRMQ__ERP_EVENT__BODY_PRODUCT:      return "product";
        case CRMQ__ERP_EVENT__BODY_ORDER_PLACED: return "order_placed";
        default:                                 return "unknown";
    }
}

int
erp_event_store (crmq_pg_t *pg, const Crmq__ErpEvent *event, size_t index, const uint8_t *packed,
                 size_t packed_size, int64_t contacts_id, const char *base_currency,
                 erp_problem_t *problem)
{
    char occurred [24];
    snprintf (occurred, sizeof occurred, "%" PRId64, event->occurred_at_us);
    const char *values [4] = { event->event_id, s_kind (event), (const char *) packed, occurred };
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
            return s_store_product (pg, event->product);
        case CRMQ__ERP_EVENT__BODY_ORDER_PLACED:
            return s_store_order (pg, event, index, base_currency, problem);
        default:
            return erp_problem_set (problem, CRMQ_INVALID_ARGUMENT, "", "event without a body");
    }
}

/*  document_store.c - shipments, invoices, payments, returns; see
    document_store.h.  */
#include "document_store.h"
#include "erp_event_store.h"
#include "sales_refs.h"
#include "sales_events.h"

#define S_INSTANT(n) "(timestamptz 'epoch' + $" #n "::bigint * interval '1 microsecond')"

static const char *SQL_INSERT_SHIPMENT =
    "INSERT INTO sales.shipments (external_id, order_external_id, shipped_at, event_id)"
    " VALUES ($1, $2, " S_INSTANT (3) ", $4)"
    " ON CONFLICT (external_id) DO NOTHING RETURNING id";

static const char *SQL_INSERT_SHIPMENT_LINES =
    "INSERT INTO sales.shipment_lines (shipment_id, line_no, product_id, quantity)"
    " SELECT $1::bigint, t.n, p.id, t.quantity"
    "   FROM unnest($2::text[], $3::numeric[]) WITH ORDINALITY AS t(product, quantity, n)"
    "   JOIN sales.products p ON p.external_id = t.product";

static const char *SQL_SETTLE_SHIPMENTS =
    "SELECT sales.settle_shipments (ARRAY (SELECT id FROM sales.orders WHERE external_id = $1), $2)";

static const char *SQL_INSERT_INVOICE =
    "WITH invoice AS ("
    "  INSERT INTO sales.invoices (external_id, client_id, order_external_id, order_id, currency,"
    "                              currency_rate, amount, issued_at, due_at, event_id)"
    "  SELECT $1, $2::bigint, $3,"
    "         (SELECT id FROM sales.orders WHERE external_id = $3 AND $3 <> ''),"
    "         $4, $5::numeric, $6::numeric, " S_INSTANT (7) ","
    "         CASE WHEN $8::bigint = 0 THEN NULL ELSE " S_INSTANT (8) " END, $9"
    "  ON CONFLICT (external_id) DO NOTHING"
    "  RETURNING id, client_id, issued_at, round (amount * currency_rate, 2) AS invoiced)"
    " SELECT id, sales.rollup_day (client_id, issued_at, $10, 0, 0, invoiced, 0, 0, 0),"
    "        sales.settle_payments (ARRAY [id], $10)"
    "   FROM invoice";

//  The invoice a payment settles against: the one it names, else the first
//  of the order it names.  A payment without its invoice yet counts in its
//  day's rollup now and is announced (sales.payment.received) only when
//  the invoice arrives: until then data.changed tells that the rollup moved.
static const char *SQL_INSERT_PAYMENT =
    "WITH invoice AS ("
    "  SELECT id, due_at FROM sales.invoices"
    "   WHERE CASE WHEN $3 <> '' THEN external_id = $3"
    "              ELSE order_external_id = $4 AND $4 <> '' END"
    "   ORDER BY issued_at, id LIMIT 1),"
    " payment AS ("
    "  INSERT INTO sales.payments (external_id, client_id, invoice_external_id, invoice_id,"
    "                              order_external_id, order_id, currency, currency_rate, amount,"
    "                              paid_at, late, event_id)"
    "  SELECT $1, $2::bigint, $3, (SELECT id FROM invoice), $4,"
    "         (SELECT id FROM sales.orders WHERE external_id = $4 AND $4 <> ''),"
    "         $5, $6::numeric, $7::numeric, " S_INSTANT (8) ","
    "         (SELECT " S_INSTANT (8) " > due_at FROM invoice), $9"
    "  ON CONFLICT (external_id) DO NOTHING"
    "  RETURNING id, client_id, paid_at, round (amount * currency_rate, 2) AS paid, late,"
    "            invoice_id)"
    " SELECT id, sales.rollup_day (client_id, paid_at, $10, 0, 0, 0, 1, paid,"
    "                              CASE WHEN late THEN 1 ELSE 0 END),"
    "        bus.data_changed ('sales', 'client_day_rollups',"
    "                          CASE WHEN invoice_id IS NULL THEN 1 ELSE 0 END)"
    "   FROM payment";

static const char *SQL_INSERT_RETURN =
    "WITH line AS ("
    "  SELECT t.n AS line_no, p.id AS product_id, t.quantity, t.unit_price,"
    "         coalesce (t.cost, round (t.quantity * p.standard_cost, 2)) AS cost,"
    "         coalesce (p.group_id, 0) AS product_group_id,"
    "         round(t.quantity * t.unit_price, 2) AS amount"
    "    FROM unnest($1::text[], $2::numeric[], $3::numeric[], $4::numeric[])"
    "         WITH ORDINALITY AS t(product, quantity, unit_price, cost, n)"
    "    JOIN sales.products p ON p.external_id = t.product),"
    " header AS ("
    "  INSERT INTO sales.returns (external_id, client_id, order_external_id, order_id,"
    "                             returned_at, reason, currency, currency_rate, amount, event_id)"
    "  SELECT $5, $6::bigint, $7,"
    "         (SELECT id FROM sales.orders WHERE external_id = $7 AND $7 <> ''),"
    "         " S_INSTANT (8) ", $9, $10, $11::numeric, (SELECT sum(amount) FROM line), $12"
    "  ON CONFLICT (external_id) DO NOTHING"
    "  RETURNING id, client_id),"
    " lines AS ("
    "  INSERT INTO sales.return_lines (return_id, line_no, client_id, product_id, quantity,"
    "                                  unit_price, cost, product_group_id, amount)"
    "  SELECT header.id, line.line_no, header.client_id, line.product_id, line.quantity,"
    "         line.unit_price, line.cost, line.product_group_id, line.amount"
    "    FROM line CROSS JOIN header)"
    " SELECT id FROM header";

static const char *SQL_ROLLUP_RETURN =
    "SELECT sales.rollup_returns (ARRAY [$1::bigint], 1, $2)";

//  Which event used a document number before, per table.
static const char *SQL_SHIPMENT_EVENT = "SELECT event_id FROM sales.shipments WHERE external_id = $1";
static const char *SQL_INVOICE_EVENT = "SELECT event_id FROM sales.invoices WHERE external_id = $1";
static const char *SQL_PAYMENT_EVENT = "SELECT event_id FROM sales.payments WHERE external_id = $1";
static const char *SQL_RETURN_EVENT = "SELECT event_id FROM sales.returns WHERE external_id = $1";

//  The problem for a document number used by another event.
static int
s_number_used (crmq_pg_t *pg, const char *sql, const char *what, const char *external_id,
               size_t index, const char *body, erp_problem_t *problem)
{
    const char *values [1] = { external_id };
    PGresult *result = crmq_pg_exec (pg, sql, 1, values);
    if (!result)
        return -1;
    char field [192];
    snprintf (field, sizeof field, "events[%zu].%s.external_id", index, body);
    erp_problem_set (problem, CRMQ_ALREADY_EXISTS, field, "%s %s was registered by event %s",
                     what, external_id, PQntuples (result)? PQgetvalue (result, 0, 0): "?");
    PQclear (result);
    return CRMQ_ALREADY_EXISTS;
}

//  Runs an INSERT ... RETURNING id; the id as text into `id` ("" when the
//  document number was taken).  Returns 0 or -1.
static int
s_insert (crmq_pg_t *pg, const char *sql, int count, const char *const *values,
          char *id, size_t id_size)
{
    PGresult *result = crmq_pg_exec (pg, sql, count, values);
    if (!result)
        return -1;
    snprintf (id, id_size, "%s", PQntuples (result)? PQgetvalue (result, 0, 0): "");
    PQclear (result);
    return 0;
}

//  An amount's currency (empty = base), rate (unset = 1) and value as text.
static void
s_money (const erp_context_t *ctx, const Crmq__Money *money, const Crmq__Decimal *rate,
         char *currency, char *rate_text, char *amount, size_t size)
{
    erp_context_currency (ctx, money->currency, rate, currency, rate_text, size);
    crmq_decimal_format (money->units, money->nanos, amount, size);
}

int
document_store_shipment (erp_context_t *ctx, const Crmq__ErpEvent *event, size_t index,
                         erp_problem_t *problem)
{
    const Crmq__ShipmentRegistered *shipment = event->shipment;
    crmq_pg_array_t *products = crmq_pg_array_new ();
    crmq_pg_array_t *quantities = crmq_pg_array_new ();
    char field [192], shipped [24], id [24];
    for (size_t j = 0; j < shipment->n_lines; j++) {
        crmq_pg_array_append (products, shipment->lines [j]->product_external_id);
        crmq_pg_array_append_decimal (quantities, shipment->lines [j]->quantity->units,
                                      shipment->lines [j]->quantity->nanos);
    }
    snprintf (field, sizeof field, "events[%zu].shipment.lines", index);
    snprintf (shipped, sizeof shipped, "%" PRId64, shipment->shipped_at_us);
    const char *values [4] = { shipment->external_id, shipment->order_external_id, shipped,
                               event->event_id };
    int rc = sales_refs_products (ctx->pg, crmq_pg_array_text (products), field, problem);
    if (rc == CRMQ_OK)
        rc = s_insert (ctx->pg, SQL_INSERT_SHIPMENT, 4, values, id, sizeof id);
    if (rc == 0 && !*id)
        rc = s_number_used (ctx->pg, SQL_SHIPMENT_EVENT, "shipment", shipment->external_id,
                            index, "shipment", problem);
    if (rc == 0) {
        const char *line_values [3] = { id, crmq_pg_array_text (products),
                                        crmq_pg_array_text (quantities) };
        const char *settle_values [2] = { shipment->order_external_id, ctx->time_zone };
        if (crmq_pg_command (ctx->pg, SQL_INSERT_SHIPMENT_LINES, 3, line_values) != 0
        ||  sales_refs_lock_one (ctx->pg, SALES_LOCK_ORDERS, shipment->order_external_id) != 0
        ||  crmq_pg_command (ctx->pg, SQL_SETTLE_SHIPMENTS, 2, settle_values) != 0)
            rc = -1;
    }
    crmq_pg_array_destroy (&products);
    crmq_pg_array_destroy (&quantities);
    return rc;
}

int
document_store_invoice (erp_context_t *ctx, const Crmq__ErpEvent *event, size_t index,
                        erp_problem_t *problem)
{
    const Crmq__InvoiceIssued *invoice = event->invoice;
    char field [192], client [24], currency [4], rate [48], amount [48], issued [24], due [24],
         id [24];
    snprintf (field, sizeof field, "events[%zu].invoice.client_external_id", index);
    int64_t client_id = sales_refs_client (ctx->pg, invoice->client_external_id, field, problem);
    if (client_id <= 0)
        return client_id < 0? -1: problem->code;
    snprintf (client, sizeof client, "%" PRId64, client_id);
    s_money (ctx, invoice->amount, invoice->currency_rate, currency, rate, amount, sizeof amount);
    snprintf (issued, sizeof issued, "%" PRId64, invoice->issued_at_us);
    snprintf (due, sizeof due, "%" PRId64, invoice->due_at_us);
    const char *values [10] = { invoice->external_id, client, invoice->order_external_id,
                                currency, rate, amount, issued, due, event->event_id,
                                ctx->time_zone };
    if (sales_refs_lock_one (ctx->pg, SALES_LOCK_ORDERS, invoice->order_external_id) != 0
    ||  sales_refs_lock_one (ctx->pg, SALES_LOCK_INVOICES, invoice->external_id) != 0
    ||  s_insert (ctx->pg, SQL_INSERT_INVOICE, 10, values, id, sizeof id) != 0)
        return -1;
    if (!*id)
        return s_number_used (ctx->pg, SQL_INVOICE_EVENT, "invoice", invoice->external_id,
                              index, "invoice", problem);
    return sales_events_invoice (ctx, id) == 0? ERP_STORED: -1;
}

int
document_store_payment (erp_context_t *ctx, const Crmq__ErpEvent *event, size_t index,
                        erp_problem_t *problem)
{
    const Crmq__PaymentReceived *payment = event->payment;
    char field [192], client [24], currency [4], rate [48], amount [48], paid [24], id [24];
    snprintf (field, sizeof field, "events[%zu].payment.client_external_id", index);
    int64_t client_id = sales_refs_client (ctx->pg, payment->client_external_id, field, problem);
    if (client_id <= 0)
        return client_id < 0? -1: problem->code;
    snprintf (client, sizeof client, "%" PRId64, client_id);
    s_money (ctx, payment->amount, payment->currency_rate, currency, rate, amount, sizeof amount);
    snprintf (paid, sizeof paid, "%" PRId64, payment->paid_at_us);
    const char *values [10] = { payment->external_id, client, payment->invoice_external_id,
                                payment->order_external_id, currency, rate, amount, paid,
                                event->event_id, ctx->time_zone };
    if (sales_refs_lock_one (ctx->pg, SALES_LOCK_ORDERS, payment->order_external_id) != 0
    ||  sales_refs_lock_one (ctx->pg, SALES_LOCK_INVOICES, payment->invoice_external_id) != 0
    ||  s_insert (ctx->pg, SQL_INSERT_PAYMENT, 10, values, id, sizeof id) != 0)
        return -1;
    if (!*id)
        return s_number_used (ctx->pg, SQL_PAYMENT_EVENT, "payment", payment->external_id,
                              index, "payment", problem);
    return ERP_STORED;
}

int
document_store_return (erp_context_t *ctx, const Crmq__ErpEvent *event, size_t index,
                       erp_problem_t *problem)
{
    const Crmq__ReturnRegistered *ret = event->return_registered;
    char field [192], client [24], currency [4], rate [48], returned [24], id [24];
    snprintf (field, sizeof field, "events[%zu].return_registered.client_external_id", index);
    int64_t client_id = sales_refs_client (ctx->pg, ret->client_external_id, field, problem);
    if (client_id <= 0)
        return client_id < 0? -1: problem->code;
    crmq_pg_array_t *products = crmq_pg_array_new ();
    crmq_pg_array_t *quantities = crmq_pg_array_new ();
    crmq_pg_array_t *prices = crmq_pg_array_new ();
    crmq_pg_array_t *costs = crmq_pg_array_new ();
    for (size_t j = 0; j < ret->n_lines; j++) {
        const Crmq__ReturnLine *line = ret->lines [j];
        crmq_pg_array_append (products, line->product_external_id);
        crmq_pg_array_append_decimal (quantities, line->quantity->units, line->quantity->nanos);
        crmq_pg_array_append_decimal (prices, line->unit_price->units, line->unit_price->nanos);
        if (line->cost)
            crmq_pg_array_append_decimal (costs, line->cost->units, line->cost->nanos);
        else
            crmq_pg_array_append (costs, NULL);
    }
    snprintf (field, sizeof field, "events[%zu].return_registered.lines", index);
    int rc = sales_refs_products (ctx->pg, crmq_pg_array_text (products), field, problem);
    if (rc == CRMQ_OK) {
        snprintf (client, sizeof client, "%" PRId64, client_id);
        erp_context_currency (ctx, ret->currency, ret->currency_rate, currency, rate, sizeof rate);
        snprintf (returned, sizeof returned, "%" PRId64, ret->returned_at_us);
        const char *values [12] = {
            crmq_pg_array_text (products), crmq_pg_array_text (quantities),
            crmq_pg_array_text (prices), crmq_pg_array_text (costs),
            ret->external_id, client, ret->order_external_id, returned, ret->reason,
            currency, rate, event->event_id };
        rc = sales_refs_lock_one (ctx->pg, SALES_LOCK_ORDERS, ret->order_external_id);
        if (rc == 0)
            rc = s_insert (ctx->pg, SQL_INSERT_RETURN, 12, values, id, sizeof id);
    }
    if (rc == 0 && !*id)
        rc = s_number_used (ctx->pg, SQL_RETURN_EVENT, "return", ret->external_id, index,
                            "return_registered", problem);
    if (rc == 0) {
        const char *rollup [2] = { id, ctx->time_zone };
        rc = crmq_pg_command (ctx->pg, SQL_ROLLUP_RETURN, 2, rollup) == 0
          && sales_events_return (ctx, id) == 0? ERP_STORED: -1;
    }
    crmq_pg_array_destroy (&products);
    crmq_pg_array_destroy (&quantities);
    crmq_pg_array_destroy (&prices);
    crmq_pg_array_destroy (&costs);
    return rc;
}

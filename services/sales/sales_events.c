/*  sales_events.c - events to the event log; see sales_events.h.  */
#include "sales_events.h"

#define S_US(x) "coalesce ((extract (epoch FROM " x ") * 1000000)::bigint, 0)"
//  Days begun after `due` (1 for any lateness under a day), 0 when not late.
#define S_DAYS_LATE(late, at, due) \
    "CASE WHEN " late " THEN greatest (1, ceil (extract (epoch FROM " at " - " due ") / 86400))::int" \
    " ELSE 0 END"

static const char *SQL_ORDERS =
    "SELECT o.id, o.external_id, o.client_id, c.external_id, coalesce (o.manager_id, 0),"
    "       coalesce (m.external_id, ''), " S_US ("o.placed_at") ", " S_US ("o.required_at") ","
    "       round (o.amount * o.currency_rate, 2), o.status, coalesce (o.cancel_reason, ''),"
    "       o.event_id, " S_US ("now ()")
    "  FROM sales.orders o"
    "  JOIN sales.clients c ON c.id = o.client_id"
    "  LEFT JOIN sales.managers m ON m.id = o.manager_id"
    " WHERE o.id = ANY ($1::bigint[]) ORDER BY o.id";

static const char *SQL_INVOICE =
    "SELECT i.id, i.external_id, i.client_id, c.external_id, coalesce (o.manager_id, 0),"
    "       coalesce (m.external_id, ''), coalesce (i.order_id, 0), i.order_external_id,"
    "       " S_US ("i.issued_at") ", " S_US ("i.due_at") ", round (i.amount * i.currency_rate, 2),"
    "       i.event_id"
    "  FROM sales.invoices i"
    "  JOIN sales.clients c ON c.id = i.client_id"
    "  LEFT JOIN sales.orders o ON o.id = i.order_id"
    "  LEFT JOIN sales.managers m ON m.id = o.manager_id"
    " WHERE i.id = $1::bigint";

static const char *SQL_RETURN =
    "SELECT r.id, r.external_id, r.client_id, c.external_id, coalesce (o.manager_id, 0),"
    "       coalesce (m.external_id, ''), coalesce (r.order_id, 0), r.order_external_id,"
    "       " S_US ("r.returned_at") ", round (r.amount * r.currency_rate, 2), r.reason, r.event_id"
    "  FROM sales.returns r"
    "  JOIN sales.clients c ON c.id = r.client_id"
    "  LEFT JOIN sales.orders o ON o.id = r.order_id"
    "  LEFT JOIN sales.managers m ON m.id = o.manager_id"
    " WHERE r.id = $1::bigint";

//  The shipments linked to their order and not reported yet, marked.
static const char *SQL_SHIPMENTS_SETTLED =
    "WITH s AS ("
    "  UPDATE sales.shipments SET announced = true"
    "   WHERE NOT announced AND order_id IS NOT NULL"
    "  RETURNING id, external_id, order_id, shipped_at, late, event_id)"
    " SELECT s.id, s.external_id, o.id, o.external_id, o.client_id, c.external_id,"
    "        coalesce (o.manager_id, 0), coalesce (m.external_id, ''),"
    "        " S_US ("s.shipped_at") ", " S_US ("o.required_at") ", coalesce (s.late, false),"
    "        " S_DAYS_LATE ("s.late", "s.shipped_at", "o.required_at") ","
    "        round (o.amount * o.currency_rate, 2), s.event_id"
    "   FROM s"
    "   JOIN sales.orders o ON o.id = s.order_id"
    "   JOIN sales.clients c ON c.id = o.client_id"
    "   LEFT JOIN sales.managers m ON m.id = o.manager_id"
    "  ORDER BY s.id";

//  The payments linked to their invoice and not reported yet, marked.
static const char *SQL_PAYMENTS_SETTLED =
    "WITH p AS ("
    "  UPDATE sales.payments SET announced = true"
    "   WHERE NOT announced AND invoice_id IS NOT NULL"
    "  RETURNING id, external_id, client_id, invoice_id, order_id, order_external_id,"
    "            amount, currency_rate, paid_at, late, event_id)"
    " SELECT p.id, p.external_id, p.client_id, c.external_id, coalesce (o.manager_id, 0),"
    "        coalesce (m.external_id, ''), i.id, i.external_id, coalesce (o.id, 0),"
    "        coalesce (o.external_id, nullif (p.order_external_id, ''), i.order_external_id),"
    "        " S_US ("p.paid_at") ", " S_US ("i.due_at") ", coalesce (p.late, false),"
    "        " S_DAYS_LATE ("p.late", "p.paid_at", "i.due_at") ","
    "        round (p.amount * p.currency_rate, 2), p.event_id"
    "   FROM p"
    "   JOIN sales.invoices i ON i.id = p.invoice_id"
    "   JOIN sales.clients c ON c.id = p.client_id"
    "   LEFT JOIN sales.orders o ON o.id = coalesce (p.order_id, i.order_id)"
    "   LEFT JOIN sales.managers m ON m.id = o.manager_id"
    "  ORDER BY p.id";

//  Builds the message of one row; `money` is where its amount goes.
typedef ProtobufCMessage *(s_build_fn) (PGresult *result, int row, void *slot, Crmq__Money *money);

static int64_t
s_i64 (PGresult *result, int row, int column)
{
    return strtoll (PQgetvalue (result, row, column), NULL, 10);
}

static char *
s_text (PGresult *result, int row, int column)
{
    return PQgetvalue (result, row, column);
}

//  Fills money from numeric text in the base currency.
static Crmq__Money *
s_money (Crmq__Money *money, const erp_context_t *ctx, PGresult *result, int row, int column)
{
    crmq__money__init (money);
    money->currency = (char *) ctx->base_currency;
    if (crmq_decimal_parse (PQgetvalue (result, row, column), &money->units, &money->nanos) != 0)
        money->units = money->nanos = 0;        //  numeric(28,2) always parses
    return money;
}

//  What one statement's rows become before they go to the outbox.
typedef struct {
    const char **topics;
    const ProtobufCMessage **events;
    Crmq__Money *moneys;
    void *messages;                 //  count x message_size bytes
    int count;
} s_rows_t;

static void
s_rows_init (s_rows_t *rows, int count, size_t message_size)
{
    size_t n = count? (size_t) count: 1;
    rows->topics = (const char **) zmalloc (n * sizeof (char *));
    rows->events = (const ProtobufCMessage **) zmalloc (n * sizeof (void *));
    rows->moneys = (Crmq__Money *) zmalloc (n * sizeof (Crmq__Money));
    rows->messages = zmalloc (n * message_size);
    rows->count = count;
}

//  Writes the rows to the outbox and frees them.  Returns 0 or -1.
static int
s_rows_write (erp_context_t *ctx, s_rows_t *rows)
{
    int rc = crmq_outbox_write_many (ctx->pg, "sales", rows->topics, rows->events,
                                     (size_t) rows->count);
    free (rows->topics);
    free (rows->events);
    free (rows->moneys);
    free (rows->messages);
    return rc;
}

int
sales_events_orders (erp_context_t *ctx, const char *topic, const char *order_ids,
                     const char *event_id, int64_t occurred_at_us)
{
    const char *values [1] = { order_ids };
    PGresult *result = crmq_pg_exec (ctx->pg, SQL_ORDERS, 1, values);
    if (!result)
        return -1;
    s_rows_t rows;
    s_rows_init (&rows, PQntuples (result), sizeof (Crmq__OrderEvent));
    Crmq__OrderEvent *events = (Crmq__OrderEvent *) rows.messages;
    for (int row = 0; row < rows.count; row++) {
        Crmq__OrderEvent *event = &events [row];
        crmq__order_event__init (event);
        event->order_id = s_i64 (result, row, 0);
        event->external_id = s_text (result, row, 1);
        event->client_id = s_i64 (result, row, 2);
        event->client_external_id = s_text (result, row, 3);
        event->manager_id = s_i64 (result, row, 4);
        event->manager_external_id = s_text (result, row, 5);
        event->placed_at_us = s_i64 (result, row, 6);
        event->required_at_us = s_i64 (result, row, 7);
        event->amount = s_money (&rows.moneys [row], ctx, result, row, 8);
        event->status = s_text (result, row, 9);
        event->cancel_reason = s_text (result, row, 10);
        event->event_id = event_id? (char *) event_id: s_text (result, row, 11);
        event->occurred_at_us = !event_id? event->placed_at_us
                              : occurred_at_us? occurred_at_us: s_i64 (result, row, 12);
        rows.topics [row] = topic;
        rows.events [row] = &event->base;
    }
    int rc = s_rows_write (ctx, &rows);
    PQclear (result);
    return rc;
}

int
sales_events_invoice (erp_context_t *ctx, const char *invoice_id)
{
    const char *values [1] = { invoice_id };
    PGresult *result = crmq_pg_exec (ctx->pg, SQL_INVOICE, 1, values);
    if (!result)
        return -1;
    s_rows_t rows;
    s_rows_init (&rows, PQntuples (result), sizeof (Crmq__InvoiceEvent));
    Crmq__InvoiceEvent *events = (Crmq__InvoiceEvent *) rows.messages;
    for (int row = 0; row < rows.count; row++) {
        Crmq__InvoiceEvent *event = &events [row];
        crmq__invoice_event__init (event);
        event->invoice_id = s_i64 (result, row, 0);
        event->external_id = s_text (result, row, 1);
        event->client_id = s_i64 (result, row, 2);
        event->client_external_id = s_text (result, row, 3);
        event->manager_id = s_i64 (result, row, 4);
        event->manager_external_id = s_text (result, row, 5);
        event->order_id = s_i64 (result, row, 6);
        event->order_external_id = s_text (result, row, 7);
        event->occurred_at_us = s_i64 (result, row, 8);
        event->due_at_us = s_i64 (result, row, 9);
        event->amount = s_money (&rows.moneys [row], ctx, result, row, 10);
        event->event_id = s_text (result, row, 11);
        rows.topics [row] = "sales.invoice.issued";
        rows.events [row] = &event->base;
    }
    int rc = s_rows_write (ctx, &rows);
    PQclear (result);
    return rc;
}

int
sales_events_return (erp_context_t *ctx, const char *return_id)
{
    const char *values [1] = { return_id };
    PGresult *result = crmq_pg_exec (ctx->pg, SQL_RETURN, 1, values);
    if (!result)
        return -1;
    s_rows_t rows;
    s_rows_init (&rows, PQntuples (result), sizeof (Crmq__ReturnEvent));
    Crmq__ReturnEvent *events = (Crmq__ReturnEvent *) rows.messages;
    for (int row = 0; row < rows.count; row++) {
        Crmq__ReturnEvent *event = &events [row];
        crmq__return_event__init (event);
        event->return_id = s_i64 (result, row, 0);
        event->external_id = s_text (result, row, 1);
        event->client_id = s_i64 (result, row, 2);
        event->client_external_id = s_text (result, row, 3);
        event->manager_id = s_i64 (result, row, 4);
        event->manager_external_id = s_text (result, row, 5);
        event->order_id = s_i64 (result, row, 6);
        event->order_external_id = s_text (result, row, 7);
        event->occurred_at_us = s_i64 (result, row, 8);
        event->amount = s_money (&rows.moneys [row], ctx, result, row, 9);
        event->reason = s_text (result, row, 10);
        event->event_id = s_text (result, row, 11);
        rows.topics [row] = "sales.return.registered";
        rows.events [row] = &event->base;
    }
    int rc = s_rows_write (ctx, &rows);
    PQclear (result);
    return rc;
}

static int
s_shipments_settled (erp_context_t *ctx)
{
    PGresult *result = crmq_pg_exec (ctx->pg, SQL_SHIPMENTS_SETTLED, 0, NULL);
    if (!result)
        return -1;
    s_rows_t rows;
    s_rows_init (&rows, PQntuples (result), sizeof (Crmq__ShipmentEvent));
    Crmq__ShipmentEvent *events = (Crmq__ShipmentEvent *) rows.messages;
    for (int row = 0; row < rows.count; row++) {
        Crmq__ShipmentEvent *event = &events [row];
        crmq__shipment_event__init (event);
        event->shipment_id = s_i64 (result, row, 0);
        event->external_id = s_text (result, row, 1);
        event->order_id = s_i64 (result, row, 2);
        event->order_external_id = s_text (result, row, 3);
        event->client_id = s_i64 (result, row, 4);
        event->client_external_id = s_text (result, row, 5);
        event->manager_id = s_i64 (result, row, 6);
        event->manager_external_id = s_text (result, row, 7);
        event->occurred_at_us = s_i64 (result, row, 8);
        event->required_at_us = s_i64 (result, row, 9);
        event->late = streq (s_text (result, row, 10), "t");
        event->days_late = (int32_t) s_i64 (result, row, 11);
        event->order_amount = s_money (&rows.moneys [row], ctx, result, row, 12);
        event->event_id = s_text (result, row, 13);
        rows.topics [row] = "sales.order.shipped";
        rows.events [row] = &event->base;
    }
    int rc = s_rows_write (ctx, &rows);
    PQclear (result);
    return rc;
}

static int
s_payments_settled (erp_context_t *ctx)
{
    PGresult *result = crmq_pg_exec (ctx->pg, SQL_PAYMENTS_SETTLED, 0, NULL);
    if (!result)
        return -1;
    s_rows_t rows;
    s_rows_init (&rows, PQntuples (result), sizeof (Crmq__PaymentEvent));
    Crmq__PaymentEvent *events = (Crmq__PaymentEvent *) rows.messages;
    for (int row = 0; row < rows.count; row++) {
        Crmq__PaymentEvent *event = &events [row];
        crmq__payment_event__init (event);
        event->payment_id = s_i64 (result, row, 0);
        event->external_id = s_text (result, row, 1);
        event->client_id = s_i64 (result, row, 2);
        event->client_external_id = s_text (result, row, 3);
        event->manager_id = s_i64 (result, row, 4);
        event->manager_external_id = s_text (result, row, 5);
        event->invoice_id = s_i64 (result, row, 6);
        event->invoice_external_id = s_text (result, row, 7);
        event->order_id = s_i64 (result, row, 8);
        event->order_external_id = s_text (result, row, 9);
        event->occurred_at_us = s_i64 (result, row, 10);
        event->due_at_us = s_i64 (result, row, 11);
        event->late = streq (s_text (result, row, 12), "t");
        event->days_late = (int32_t) s_i64 (result, row, 13);
        event->amount = s_money (&rows.moneys [row], ctx, result, row, 14);
        event->event_id = s_text (result, row, 15);
        rows.topics [row] = "sales.payment.received";
        rows.events [row] = &event->base;
    }
    int rc = s_rows_write (ctx, &rows);
    PQclear (result);
    return rc;
}

int
sales_events_settled (erp_context_t *ctx, bool shipments, bool payments)
{
    if (shipments && s_shipments_settled (ctx) != 0)
        return -1;
    if (payments && s_payments_settled (ctx) != 0)
        return -1;
    return 0;
}

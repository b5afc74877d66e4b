/*  client_metrics.c - per-client metrics from the sales events; see
    client_metrics.h.  */
#include "client_metrics.h"

#define S_INSTANT(n) "(timestamptz 'epoch' + $" #n "::bigint * interval '1 microsecond')"
#define S_US(x) "coalesce ((extract (epoch FROM " x ") * 1000000)::bigint, 0)"

//  $1 order, $2 client, $3 client's external id, $4 placed_at (us),
//  $5 total, $6 cancelled, $7 seq.
static const char *SQL_ORDER =
    "SELECT analytics.metrics_order ($1::bigint, $2::bigint, $3, " S_INSTANT (4) ","
    "                                $5::numeric, $6::boolean, $7::bigint)";

//  Counts a return, shipment or payment: $1 client, $2 external id, $3 seq,
//  then the increments of returns, returns_amount, shipments,
//  late_shipments, payments, late_payments.
static const char *SQL_COUNT =
    "INSERT INTO analytics.client_metrics AS m (client_id, client_external_id, last_seq,"
    "       returns, returns_amount, shipments, late_shipments, payments, late_payments)"
    " VALUES ($1::bigint, $2, $3::bigint, $4::bigint, $5::numeric, $6::bigint, $7::bigint,"
    "         $8::bigint, $9::bigint)"
    " ON CONFLICT (client_id) DO UPDATE"
    "   SET client_external_id = CASE WHEN EXCLUDED.client_external_id <> ''"
    "                                 THEN EXCLUDED.client_external_id"
    "                                 ELSE m.client_external_id END,"
    "       returns = m.returns + EXCLUDED.returns,"
    "       returns_amount = m.returns_amount + EXCLUDED.returns_amount,"
    "       shipments = m.shipments + EXCLUDED.shipments,"
    "       late_shipments = m.late_shipments + EXCLUDED.late_shipments,"
    "       payments = m.payments + EXCLUDED.payments,"
    "       late_payments = m.late_payments + EXCLUDED.late_payments,"
    "       updated_at = now (), last_seq = greatest (m.last_seq, EXCLUDED.last_seq)";

#define S_COLUMNS \
    "m.client_id, m.client_external_id, m.orders, " S_US ("m.first_order_at") ","         \
    S_US ("m.last_order_at") ", m.orders_amount, m.returns, m.returns_amount, m.revenue," \
    " m.shipments, m.late_shipments, m.payments, m.late_payments, "                       \
    S_US ("m.updated_at") ", m.last_seq"

//  $1 the clients' ids as a bigint[] literal.
static const char *SQL_READ_CLIENTS =
    "SELECT " S_COLUMNS
    "  FROM unnest ($1::bigint[]) WITH ORDINALITY AS wanted (id, n)"
    "  JOIN analytics.client_metrics m ON m.client_id = wanted.id"
    " ORDER BY wanted.n";

//  $1 limit.
static const char *SQL_READ_TOP =
    "SELECT " S_COLUMNS
    "  FROM analytics.client_metrics m"
    " ORDER BY m.revenue DESC, m.client_id LIMIT $1::int";

static const char *SQL_POSITION =
    "SELECT coalesce ((SELECT position FROM bus.consumers WHERE name = $1), 0)";

//  The columns of S_COLUMNS, in order.
enum {
    S_CLIENT, S_EXTERNAL, S_ORDERS, S_FIRST, S_LAST, S_ORDERS_AMOUNT, S_RETURNS,
    S_RETURNS_AMOUNT, S_REVENUE, S_SHIPMENTS, S_LATE_SHIPMENTS, S_PAYMENTS, S_LATE_PAYMENTS,
    S_UPDATED, S_SEQ
};

//  Money as numeric text ("0" when unset) into buf.
static const char *
s_amount (const Crmq__Money *money, char *buf, size_t size)
{
    snprintf (buf, size, "0");
    if (money && crmq_decimal_format (money->units, money->nanos, buf, size) < 0)
        snprintf (buf, size, "0");
    return buf;
}

static int
s_apply_order (crmq_pg_t *pg, const crmq_event_t *event)
{
    Crmq__OrderEvent *order = (Crmq__OrderEvent *)
        crmq_message_unpack (&crmq__order_event__descriptor, event->body, event->size);
    if (!order)
        return CRMQ_INVALID_ARGUMENT;
    int rc = 0;
    if (order->order_id > 0 && order->client_id > 0) {
        char id [24], client [24], placed [24], amount [48], seq [24];
        snprintf (id, sizeof id, "%" PRId64, order->order_id);
        snprintf (client, sizeof client, "%" PRId64, order->client_id);
        snprintf (placed, sizeof placed, "%" PRId64, order->placed_at_us);
        snprintf (seq, sizeof seq, "%" PRId64, event->seq);
        //  a cancellation says so by its topic and by the order's status
        bool cancelled = streq (event->topic, "sales.order.cancelled")
                      || streq (order->status, "cancelled");
        const char *values [7] = {
            id, client, order->client_external_id, placed,
            s_amount (order->amount, amount, sizeof amount), cancelled? "true": "false", seq
        };
        rc = crmq_pg_command (pg, SQL_ORDER, 7, values);
    }
    else
        crmq_log (CRMQ_LOG_WARN, "order event without order or client", "seq=%" PRId64,
                  event->seq);
    crmq_message_free (&order->base);
    return rc;
}

//  What one return, shipment or payment adds to its client's row.
typedef struct {
    int64_t client_id;
    const char *client_external_id;
    const char *returns, *returns_amount, *shipments, *late_shipments, *payments,
               *late_payments;
} s_count_t;

static int
s_count (crmq_pg_t *pg, const crmq_event_t *event, const s_count_t *count)
{
    if (count->client_id <= 0) {
        crmq_log (CRMQ_LOG_WARN, "sales event without a client", "seq=%" PRId64 " topic=%s",
                  event->seq, crmq_log_q (event->topic));
        return 0;
    }
    char client [24], seq [24];
    snprintf (client, sizeof client, "%" PRId64, count->client_id);
    snprintf (seq, sizeof seq, "%" PRId64, event->seq);
    const char *values [9] = {
        client, count->client_external_id, seq, count->returns, count->returns_amount,
        count->shipments, count->late_shipments, count->payments, count->late_payments
    };
    return crmq_pg_command (pg, SQL_COUNT, 9, values);
}

static int
s_apply_return (crmq_pg_t *pg, const crmq_event_t *event)
{
    Crmq__ReturnEvent *ret = (Crmq__ReturnEvent *)
        crmq_message_unpack (&crmq__return_event__descriptor, event->body, event->size);
    if (!ret)
        return CRMQ_INVALID_ARGUMENT;
    char amount [48];
    s_count_t count = { ret->client_id, ret->client_external_id,
                        "1", s_amount (ret->amount, amount, sizeof amount), "0", "0", "0", "0" };
    int rc = s_count (pg, event, &count);
    crmq_message_free (&ret->base);
    return rc;
}

static int
s_apply_shipment (crmq_pg_t *pg, const crmq_event_t *event)
{
    Crmq__ShipmentEvent *shipment = (Crmq__ShipmentEvent *)
        crmq_message_unpack (&crmq__shipment_event__descriptor, event->body, event->size);
    if (!shipment)
        return CRMQ_INVALID_ARGUMENT;
    s_count_t count = { shipment->client_id, shipment->client_external_id,
                        "0", "0", "1", shipment->late? "1": "0", "0", "0" };
    int rc = s_count (pg, event, &count);
    crmq_message_free (&shipment->base);
    return rc;
}

static int
s_apply_payment (crmq_pg_t *pg, const crmq_event_t *event)
{
    Crmq__PaymentEvent *payment = (Crmq__PaymentEvent *)
        crmq_message_unpack (&crmq__payment_event__descriptor, event->body, event->size);
    if (!payment)
        return CRMQ_INVALID_ARGUMENT;
    s_count_t count = { payment->client_id, payment->client_external_id,
                        "0", "0", "0", "0", "1", payment->late? "1": "0" };
    int rc = s_count (pg, event, &count);
    crmq_message_free (&payment->base);
    return rc;
}

int
client_metrics_apply (crmq_pg_t *pg, const crmq_event_t *event, void *arg)
{
    (void) arg;
    if (streq (event->topic, "sales.order.placed")
    ||  streq (event->topic, "sales.order.changed")
    ||  streq (event->topic, "sales.order.cancelled"))
        return s_apply_order (pg, event);
    if (streq (event->topic, "sales.return.registered"))
        return s_apply_return (pg, event);
    if (streq (event->topic, "sales.order.shipped"))
        return s_apply_shipment (pg, event);
    if (streq (event->topic, "sales.payment.received"))
        return s_apply_payment (pg, event);
    return 0;
}

//  --------------------------------------------------------------------------
//  Reading

//  A bigint[] literal of the ids ("{1,2,3}"); caller frees.
static char *
s_id_array (const int64_t *ids, size_t count)
{
    size_t size = 2 + count * 21 + 1;
    char *text = (char *) malloc (size);
    if (!text)
        return NULL;
    size_t length = 0;
    text [length++] = '{';
    for (size_t i = 0; i < count; i++)
        length += (size_t) snprintf (text + length, size - length, "%s%" PRId64,
                                     i? ",": "", ids [i]);
    snprintf (text + length, size - length, "}");
    return text;
}

//  Sets *money from numeric text, in `currency`.
static void
s_money (const char *text, const char *currency, Crmq__Money *money)
{
    crmq__money__init (money);
    money->currency = (char *) currency;
    if (crmq_decimal_parse (text, &money->units, &money->nanos) != 0)
        crmq_log (CRMQ_LOG_ERROR, "unreadable numeric", "value=%s", crmq_log_q (text));
}

//  One row of the metrics: the message and the strings and money it points to.
typedef struct {
    Crmq__ClientMetrics row;
    Crmq__Money orders_amount, returns_amount, revenue;
} s_row_t;

int
client_metrics_read (crmq_pg_t *pg, const int64_t *client_ids, size_t count, int limit,
                     const char *currency, Crmq__ClientMetricsReply *reply)
{
    const char *name [1] = { CLIENT_METRICS_CONSUMER };
    PGresult *result = crmq_pg_exec (pg, SQL_POSITION, 1, name);
    if (!result)
        return -1;
    reply->as_of_seq = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    PQclear (result);

    char limit_text [24];
    snprintf (limit_text, sizeof limit_text, "%d", limit);
    char *ids = count? s_id_array (client_ids, count): NULL;
    if (count && !ids)
        return -1;
    const char *values [1] = { count? ids: limit_text };
    result = crmq_pg_exec (pg, count? SQL_READ_CLIENTS: SQL_READ_TOP, 1, values);
    free (ids);
    if (!result)
        return -1;
    int rows = PQntuples (result);
    reply->n_rows = (size_t) rows;
    reply->rows = (Crmq__ClientMetrics **) zmalloc ((rows? (size_t) rows: 1) * sizeof (void *));
    for (int r = 0; r < rows; r++) {
        s_row_t *item = (s_row_t *) zmalloc (sizeof (s_row_t));
        Crmq__ClientMetrics *row = &item->row;
        crmq__client_metrics__init (row);
        row->client_id = strtoll (PQgetvalue (result, r, S_CLIENT), NULL, 10);
        row->client_external_id = strdup (PQgetvalue (result, r, S_EXTERNAL));
        row->orders = strtoll (PQgetvalue (result, r, S_ORDERS), NULL, 10);
        row->first_order_at_us = strtoll (PQgetvalue (result, r, S_FIRST), NULL, 10);
        row->last_order_at_us = strtoll (PQgetvalue (result, r, S_LAST), NULL, 10);
        s_money (PQgetvalue (result, r, S_ORDERS_AMOUNT), currency, &item->orders_amount);
        row->returns = strtoll (PQgetvalue (result, r, S_RETURNS), NULL, 10);
        s_money (PQgetvalue (result, r, S_RETURNS_AMOUNT), currency, &item->returns_amount);
        s_money (PQgetvalue (result, r, S_REVENUE), currency, &item->revenue);
        row->shipments = strtoll (PQgetvalue (result, r, S_SHIPMENTS), NULL, 10);
        row->late_shipments = strtoll (PQgetvalue (result, r, S_LATE_SHIPMENTS), NULL, 10);
        row->payments = strtoll (PQgetvalue (result, r, S_PAYMENTS), NULL, 10);
        row->late_payments = strtoll (PQgetvalue (result, r, S_LATE_PAYMENTS), NULL, 10);
        row->updated_at_us = strtoll (PQgetvalue (result, r, S_UPDATED), NULL, 10);
        row->last_seq = strtoll (PQgetvalue (result, r, S_SEQ), NULL, 10);
        row->orders_amount = &item->orders_amount;
        row->returns_amount = &item->returns_amount;
        row->revenue = &item->revenue;
        reply->rows [r] = row;
    }
    PQclear (result);
    return 0;
}

void
client_metrics_reply_free (Crmq__ClientMetricsReply *reply)
{
    for (size_t i = 0; i < reply->n_rows; i++) {
        //  each row is the first member of its s_row_t
        free (reply->rows [i]->client_external_id);
        free (reply->rows [i]);
    }
    free (reply->rows);
    reply->rows = NULL;
    reply->n_rows = 0;
}

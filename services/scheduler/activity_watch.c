/*  activity_watch.c - clients' buying activity; see activity_watch.h.  */
#include "activity_watch.h"
#include "alert_store.h"

#define S_INSTANT(n) "(timestamptz 'epoch' + $" #n "::bigint * interval '1 microsecond')"
#define S_US(x) "coalesce ((extract (epoch FROM " x ") * 1000000)::bigint, 0)"

static const char *SQL_CLIENT =
    "INSERT INTO scheduler.client_activity AS a (client_id, client_external_id, manager_id)"
    " VALUES ($1::bigint, $2, $3::bigint)"
    " ON CONFLICT (client_id) DO UPDATE"
    "   SET client_external_id = EXCLUDED.client_external_id,"
    "       manager_id = CASE WHEN EXCLUDED.manager_id <> 0 THEN EXCLUDED.manager_id"
    "                         ELSE a.manager_id END";

static const char *SQL_ORDER_PLACED =
    "INSERT INTO scheduler.client_orders (order_id, client_id, placed_at, amount)"
    " VALUES ($1::bigint, $2::bigint, " S_INSTANT (3) ", $4::numeric)"
    " ON CONFLICT (order_id) DO NOTHING";

//  A later order ends the client's drop episode.
static const char *SQL_EPISODE_END =
    "UPDATE scheduler.client_activity SET dropped = false, episode = episode + 1"
    " WHERE client_id = $1::bigint AND dropped AND " S_INSTANT (2) " > dropped_at"
    " RETURNING episode";

static const char *SQL_ORDER_CHANGED =
    "UPDATE scheduler.client_orders SET amount = $2::numeric WHERE order_id = $1::bigint";

static const char *SQL_ORDER_CANCELLED =
    "DELETE FROM scheduler.client_orders WHERE order_id = $1::bigint";

static const char *SQL_RETURN =
    "INSERT INTO scheduler.client_returns (return_id, client_id, returned_at, amount)"
    " VALUES ($1::bigint, $2::bigint, " S_INSTANT (3) ", $4::numeric)"
    " ON CONFLICT (return_id) DO NOTHING";

static const char *SQL_REFRESH =
    "SELECT scheduler.refresh_client ($1::bigint, $2::numeric, $3::numeric)";

static const char *SQL_CONFIGURE =
    "SELECT scheduler.refresh_due ($1::numeric, $2::numeric)";

//  The revenue rule for one client, when it holds.
static const char *SQL_REVENUE_DROP =
    "SELECT client_id, client_external_id, manager_id, episode, orders,"
    "       " S_US ("last_order_at") ", last, prior"
    "  FROM (SELECT a.*,"
    "               scheduler.revenue (a.client_id, now () - $2::int * interval '1 day', now ())"
    "                   AS last,"
    "               scheduler.revenue (a.client_id, now () - 2 * $2::int * interval '1 day',"
    "                                  now () - $2::int * interval '1 day') AS prior"
    "          FROM scheduler.client_activity a"
    "         WHERE a.client_id = $1::bigint AND NOT a.dropped AND a.orders >= 3) r"
    " WHERE prior > 0 AND last * 2 < prior";

//  The days rule, for every client whose due date passed.
static const char *SQL_DAYS_DROP =
    "SELECT client_id, client_external_id, manager_id, episode, orders,"
    "       " S_US ("last_order_at") ", " S_US ("due_at") ","
    "       round ((extract (epoch FROM now () - last_order_at) / 86400)::numeric, 1),"
    "       round (median_gap_days::numeric, 1),"
    "       round ((extract (epoch FROM due_at - last_order_at) / 86400)::numeric, 1)"
    "  FROM scheduler.client_activity"
    " WHERE NOT dropped AND due_at IS NOT NULL AND due_at < now ()"
    " ORDER BY due_at LIMIT $1::int FOR UPDATE SKIP LOCKED";

static const char *SQL_DROPPED =
    "UPDATE scheduler.client_activity SET dropped = true, dropped_at = last_order_at"
    " WHERE client_id = $1::bigint";

//  The columns both rules start with.
enum { S_CLIENT, S_EXTERNAL, S_MANAGER, S_EPISODE, S_ORDERS, S_LAST_ORDER };

//  Starts the alert of row `row` (columns as above).
static void
s_draft (alert_draft_t *draft, PGresult *result, int row, const char *rule)
{
    const char *external = PQgetvalue (result, row, S_EXTERNAL);
    alert_draft_init (draft, "client.activity_drop", "warning", "client",
                      *external? external: PQgetvalue (result, row, S_CLIENT));
    draft->alert.client_id = strtoll (PQgetvalue (result, row, S_CLIENT), NULL, 10);
    draft->alert.manager_id = strtoll (PQgetvalue (result, row, S_MANAGER), NULL, 10);
    char last [32] = "";
    int64_t last_us = strtoll (PQgetvalue (result, row, S_LAST_ORDER), NULL, 10);
    if (crmq_time_format (last_us, "UTC", true, last, sizeof last) < 0)
        *last = 0;
    alert_draft_detail (draft, "rule", "%s", rule);
    alert_draft_detail (draft, "orders", "%s", PQgetvalue (result, row, S_ORDERS));
    alert_draft_detail (draft, "last_order", "%s", last);
    alert_draft_detail (draft, "client_external_id", "%s", external);
}

//  Raises the drafted alert in the row's episode and marks the client.
static int
s_raise (crmq_pg_t *pg, alert_draft_t *draft, PGresult *result, int row)
{
    int episode = atoi (PQgetvalue (result, row, S_EPISODE));
    const char *values [1] = { PQgetvalue (result, row, S_CLIENT) };
    int raised = alert_store_raise (pg, draft, episode);
    if (raised < 0 || crmq_pg_command (pg, SQL_DROPPED, 1, values) != 0)
        return -1;
    return raised;
}

static int
s_revenue_rule (crmq_pg_t *pg, const char *client, const activity_settings_t *settings,
                int64_t seq)
{
    const char *values [2] = { client, settings->revenue_days };
    PGresult *result = crmq_pg_exec (pg, SQL_REVENUE_DROP, 2, values);
    if (!result)
        return -1;
    int rc = 0;
    if (PQntuples (result)) {
        alert_draft_t draft;
        s_draft (&draft, result, 0, "revenue");
        draft.alert.cause_seq = seq;
        draft.alert.occurred_us = crmq_time_now_us ();
        const char *last = PQgetvalue (result, 0, 6), *prior = PQgetvalue (result, 0, 7);
        alert_draft_detail (&draft, "revenue_last", "%s", last);
        alert_draft_detail (&draft, "revenue_prior", "%s", prior);
        alert_draft_detail (&draft, "window_days", "%s", settings->revenue_days);
        alert_draft_message (&draft, "Client %s bought for %s in the last %s days, less than"
                             " half of the %s of the %s days before", draft.alert.subject_id,
                             last, settings->revenue_days, prior, settings->revenue_days);
        rc = s_raise (pg, &draft, result, 0) < 0? -1: 0;
    }
    PQclear (result);
    return rc;
}

//  The event's client, its figures' text, and what the event does.
static int
s_apply_order (crmq_pg_t *pg, const crmq_event_t *event, const activity_settings_t *settings)
{
    Crmq__OrderEvent *order = (Crmq__OrderEvent *)
        crmq_message_unpack (&crmq__order_event__descriptor, event->body, event->size);
    if (!order)
        return CRMQ_INVALID_ARGUMENT;
    char client [24], manager [24], id [24], placed [24], amount [48] = "0";
    snprintf (client, sizeof client, "%" PRId64, order->client_id);
    snprintf (manager, sizeof manager, "%" PRId64, order->manager_id);
    snprintf (id, sizeof id, "%" PRId64, order->order_id);
    snprintf (placed, sizeof placed, "%" PRId64, order->placed_at_us);
    if (order->amount)
        crmq_decimal_format (order->amount->units, order->amount->nanos, amount, sizeof amount);
    const char *client_values [3] = { client, order->client_external_id, manager };
    const char *order_values [4] = { id, client, placed, amount };
    const char *refresh_values [3] = { client, settings->k, settings->min_days };
    bool new_episode = false;
    int rc = crmq_pg_command (pg, SQL_CLIENT, 3, client_values);
    if (rc == 0 && streq (event->topic, "sales.order.placed")) {
        const char *end_values [2] = { client, placed };
        rc = crmq_pg_command (pg, SQL_ORDER_PLACED, 4, order_values);
        PGresult *result = rc == 0? crmq_pg_exec (pg, SQL_EPISODE_END, 2, end_values): NULL;
        if (rc == 0 && !result)
            rc = -1;
        if (result) {
            new_episode = PQntuples (result) > 0;
            PQclear (result);
        }
    }
    else
    if (rc == 0 && streq (order->status, "cancelled"))
        rc = crmq_pg_command (pg, SQL_ORDER_CANCELLED, 1, order_values);
    else
    if (rc == 0)
        rc = crmq_pg_command (pg, SQL_ORDER_CHANGED, 2, (const char *[]) { id, amount });
    if (rc == 0)
        rc = crmq_pg_command (pg, SQL_REFRESH, 3, refresh_values);
    if (rc == 0 && !new_episode)
        rc = s_revenue_rule (pg, client, settings, event->seq);
    crmq_message_free (&order->base);
    return rc;
}

static int
s_apply_return (crmq_pg_t *pg, const crmq_event_t *event, const activity_settings_t *settings)
{
    Crmq__ReturnEvent *ret = (Crmq__ReturnEvent *)
        crmq_message_unpack (&crmq__return_event__descriptor, event->body, event->size);
    if (!ret)
        return CRMQ_INVALID_ARGUMENT;
    char client [24], manager [24], id [24], returned [24], amount [48] = "0";
    snprintf (client, sizeof client, "%" PRId64, ret->client_id);
    snprintf (manager, sizeof manager, "%" PRId64, ret->manager_id);
    snprintf (id, sizeof id, "%" PRId64, ret->return_id);
    snprintf (returned, sizeof returned, "%" PRId64, ret->occurred_at_us);
    if (ret->amount)
        crmq_decimal_format (ret->amount->units, ret->amount->nanos, amount, sizeof amount);
    const char *client_values [3] = { client, ret->client_external_id, manager };
    const char *return_values [4] = { id, client, returned, amount };
    int rc = crmq_pg_command (pg, SQL_CLIENT, 3, client_values) == 0
          && crmq_pg_command (pg, SQL_RETURN, 4, return_values) == 0? 0: -1;
    if (rc == 0)
        rc = s_revenue_rule (pg, client, settings, event->seq);
    crmq_message_free (&ret->base);
    return rc;
}

int
activity_watch_apply (crmq_pg_t *pg, const crmq_event_t *event,
                      const activity_settings_t *settings)
{
    if (streq (event->topic, "sales.order.placed") || streq (event->topic, "sales.order.changed")
    ||  streq (event->topic, "sales.order.cancelled"))
        return s_apply_order (pg, event, settings);
    if (streq (event->topic, "sales.return.registered"))
        return s_apply_return (pg, event, settings);
    return 0;
}

int
activity_watch_check (crmq_pg_t *pg, int limit)
{
    char limit_text [16];
    snprintf (limit_text, sizeof limit_text, "%d", limit);
    const char *values [1] = { limit_text };
    PGresult *result = crmq_pg_exec (pg, SQL_DAYS_DROP, 1, values);
    if (!result)
        return -1;
    int raised = 0;
    for (int row = 0; row < PQntuples (result); row++) {
        alert_draft_t draft;
        s_draft (&draft, result, row, "days");
        draft.alert.occurred_us = strtoll (PQgetvalue (result, row, 6), NULL, 10);
        const char *since = PQgetvalue (result, row, 7), *gap = PQgetvalue (result, row, 8),
                   *threshold = PQgetvalue (result, row, 9);
        alert_draft_detail (&draft, "days_since_last_order", "%s", since);
        alert_draft_detail (&draft, "median_gap_days", "%s", gap);
        alert_draft_detail (&draft, "threshold_days", "%s", threshold);
        alert_draft_message (&draft, "Client %s has not ordered for %s days (its orders came"
                             " every %s days; the limit is %s)", draft.alert.subject_id,
                             since, gap, threshold);
        int rc = s_raise (pg, &draft, result, row);
        if (rc < 0) {
            raised = -1;
            break;
        }
        raised += rc;
    }
    PQclear (result);
    return raised;
}

int
activity_watch_configure (crmq_pg_t *pg, const activity_settings_t *settings)
{
    const char *values [2] = { settings->k, settings->min_days };
    return crmq_pg_command (pg, SQL_CONFIGURE, 2, values);
}

//  --------------------------------------------------------------------------
//  Self-test

#define S_DAY_US  86400000000LL

//  Applies an order event for client `client` placed `days_ago` days ago.
static void
s_test_order (crmq_pg_t *pg, const activity_settings_t *settings, const char *topic,
              int64_t client, int64_t order_id, double days_ago, int64_t units)
{
    Crmq__Money amount = CRMQ__MONEY__INIT;
    amount.currency = (char *) "USD";
    amount.units = units;
    Crmq__OrderEvent order = CRMQ__ORDER_EVENT__INIT;
    char external [32];
    snprintf (external, sizeof external, "C-%" PRId64, client);
    order.order_id = order_id;
    order.client_id = client;
    order.client_external_id = external;
    order.placed_at_us = crmq_time_now_us () - (int64_t) (days_ago * S_DAY_US);
    order.occurred_at_us = order.placed_at_us;
    order.amount = &amount;
    order.status = (char *) (streq (topic, "sales.order.cancelled")? "cancelled": "placed");
    uint8_t body [512];
    size_t size = crmq__order_event__pack (&order, body);
    crmq_event_t event = { order_id, topic, body, size };
    assert (activity_watch_apply (pg, &event, settings) == 0);
}

//  Drop alerts of a client, by rule ("" = any).
static long
s_test_drops (crmq_pg_t *pg, int64_t client)
{
    char id [24];
    snprintf (id, sizeof id, "%" PRId64, client);
    const char *values [1] = { id };
    PGresult *result = crmq_pg_exec (pg,
        "SELECT count (*) FROM scheduler.alerts"
        " WHERE kind = 'client.activity_drop' AND client_id = $1::bigint", 1, values);
    assert (result);
    long count = atol (PQgetvalue (result, 0, 0));
    PQclear (result);
    return count;
}

void
activity_watch_test (crmq_pg_t *pg, bool verbose)
{
    if (verbose)
        printf (" * activity_watch: ");
    activity_settings_t settings = { "2", "30", "90" };
    //  ids far above what a test stack holds
    int64_t base = 9000000000000LL + (crmq_time_now_us () % 1000000) * 1000;
    int64_t steady = base + 1, fading = base + 2, young = base + 3;
    //  every 10 days, then 55 days of silence: 55 > max(2 x 10, 30)
    for (int i = 0; i < 5; i++)
        s_test_order (pg, &settings, "sales.order.placed", steady, base + 10 + i, 95 - 10 * i, 100);
    s_test_order (pg, &settings, "sales.order.placed", steady, base + 10, 95, 100);   //  replayed
    assert (s_test_drops (pg, steady) == 0);        //  the revenue did not halve
    //  two orders only: no rule applies
    s_test_order (pg, &settings, "sales.order.placed", young, base + 30, 200, 100);
    s_test_order (pg, &settings, "sales.order.placed", young, base + 31, 100, 100);
    int raised = activity_watch_check (pg, 100000);
    assert (raised >= 1);
    assert (s_test_drops (pg, steady) == 1 && s_test_drops (pg, young) == 0);
    assert (activity_watch_check (pg, 100000) == 0 || s_test_drops (pg, steady) == 1);
    assert (s_test_drops (pg, steady) == 1);
    //  it orders again: a new episode, not due
    s_test_order (pg, &settings, "sales.order.placed", steady, base + 15, 1, 100);
    activity_watch_check (pg, 100000);
    assert (s_test_drops (pg, steady) == 1);
    //  that order cancelled: due again, a second episode's alert
    s_test_order (pg, &settings, "sales.order.cancelled", steady, base + 15, 1, 100);
    activity_watch_check (pg, 100000);
    assert (s_test_drops (pg, steady) == 2);

    //  revenue: 3 x 1000 between 100 and 180 days ago, 100 since
    s_test_order (pg, &settings, "sales.order.placed", fading, base + 20, 20, 100);
    s_test_order (pg, &settings, "sales.order.placed", fading, base + 21, 10, 1000);
    s_test_order (pg, &settings, "sales.order.placed", fading, base + 22, 5, 1000);
    assert (s_test_drops (pg, fading) == 0);
    //  the two big ones cancelled: 100 of the last 90 days against 0 before: no
    s_test_order (pg, &settings, "sales.order.cancelled", fading, base + 21, 10, 1000);
    assert (s_test_drops (pg, fading) == 0);
    s_test_order (pg, &settings, "sales.order.placed", fading, base + 23, 120, 1000);
    s_test_order (pg, &settings, "sales.order.placed", fading, base + 24, 110, 1000);
    //  last 90 days: 100 + 1000; before: 2000 -> not below half
    assert (s_test_drops (pg, fading) == 0);
    s_test_order (pg, &settings, "sales.order.cancelled", fading, base + 22, 5, 1000);
    //  last 90 days: 100 against 2000: an alert, once
    assert (s_test_drops (pg, fading) == 1);
    s_test_order (pg, &settings, "sales.order.changed", fading, base + 20, 20, 50);
    assert (s_test_drops (pg, fading) == 1);
    PGresult *result = crmq_pg_exec (pg,
        "SELECT count (*) FROM bus.outbox WHERE topic = 'alert.client.activity_drop'"
        "   AND position (convert_to ('revenue', 'UTF8') IN body) > 0", 0, NULL);
    assert (result && atol (PQgetvalue (result, 0, 0)) >= 1);
    PQclear (result);
    if (verbose)
        printf ("OK\n");
}

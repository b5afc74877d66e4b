/*  activity_watch.h - the watch on clients' buying activity (DESIGN.md,
    "Activity drop").  From the sales events it keeps each client's orders
    (placed, less cancelled; amounts as changed) and returns in scheduler
    tables.  For a client with >= 3 orders, g = the median gap between its
    orders (days): alert.client.activity_drop is raised when the days since
    its last order exceed max(k x g, min_days) (checked by the periodic
    activity_watch_check against now()), or when its revenue of the last
    `revenue_days` days (orders placed less returns) fell below half of the
    `revenue_days` before (checked when an event for the client is applied).
    At most one alert per drop episode: an episode ends when the client
    places an order later than its last order at the alert; the event of
    that order does not check the revenue rule again.                      */
#ifndef ACTIVITY_WATCH_H_INCLUDED
#define ACTIVITY_WATCH_H_INCLUDED

#include "crmq.h"
#include "crmq_consumer.h"

typedef struct {
    char k [32];                    //  numeric text, e.g. "2"
    char min_days [16];             //  integer text
    char revenue_days [16];         //  integer text, the revenue window
} activity_settings_t;

//  Applies a sales.order.placed, .changed, .cancelled or
//  sales.return.registered event inside the consumer's transaction (other
//  topics: nothing).  Returns 0, -1 after a failed statement, or
//  CRMQ_INVALID_ARGUMENT for an unreadable body.
int activity_watch_apply (crmq_pg_t *pg, const crmq_event_t *event,
                          const activity_settings_t *settings);

//  The periodic check, inside the caller's transaction: raises the alert
//  of up to `limit` clients whose due date has passed (rows locked with
//  SKIP LOCKED, so replicas share the work).  Returns the number raised, or
//  -1 after a failed statement.
int activity_watch_check (crmq_pg_t *pg, int limit);

//  Recomputes every client's due date for the settings' k and min_days (at
//  start, when they may have changed).  Returns 0 or -1.
int activity_watch_configure (crmq_pg_t *pg, const activity_settings_t *settings);



//  Self-test inside the caller's open transaction on `pg` (which it rolls
//  back): the days rule, the revenue rule, episodes, replays.
void activity_watch_test (crmq_pg_t *pg, bool verbose);
#endif

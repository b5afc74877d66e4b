/*  scheduler_server.c - crmq-scheduler; see scheduler_server.h.  */
#include "scheduler_server.h"
#include "alert_store.h"
#include "activity_watch.h"
#include "deadline_watch.h"
#include "crmq_consumer.h"

#define S_CONSUMER_NAME  "scheduler.activity"
#define S_CHECK_BATCH    500            //  clients per periodic-check transaction

typedef struct {
    crmq_service_t *service;
    crmq_pg_t *pg;                      //  the service's
    crmq_consumer_t *consumer;
    client_names_t *names;              //  for the alerts' client_name
    activity_settings_t settings;
    int64_t check_interval_us;
    int64_t next_check_us;              //  0 = at the first chance
    bool idle;                          //  the last consumer round applied nothing
} s_state_t;

//  Applies one event of the log (inside the consumer's transaction).
static int
s_apply (crmq_pg_t *pg, const crmq_event_t *event, void *arg)
{
    s_state_t *self = (s_state_t *) arg;
    if (streq (event->topic, "sales.payment.received"))
        return deadline_watch_payment (pg, event);
    if (streq (event->topic, "sales.order.shipped"))
        return deadline_watch_shipment (pg, event);
    return activity_watch_apply (pg, event, &self->settings);
}

void *
scheduler_server_new (crmq_service_t *service)
{
    crmq_config_t *config = crmq_service_config (service);
    s_state_t *self = (s_state_t *) zmalloc (sizeof (s_state_t));
    self->service = service;
    self->pg = crmq_service_pg (service);
    const char *k = crmq_config_str (config, "activity_drop_k");
    int64_t units;
    int32_t nanos;
    if (crmq_decimal_parse (k, &units, &nanos) != 0 || units < 0 || (units == 0 && nanos <= 0)) {
        crmq_log (CRMQ_LOG_ERROR, "bad setting", "name=activity_drop_k value=%s why=%s",
                  crmq_log_q (k), crmq_log_q ("not a decimal above 0"));
        free (self);
        return NULL;
    }
    snprintf (self->settings.k, sizeof self->settings.k, "%s", k);
    snprintf (self->settings.min_days, sizeof self->settings.min_days, "%lld",
              crmq_config_int (config, "activity_drop_min_days"));
    snprintf (self->settings.revenue_days, sizeof self->settings.revenue_days, "%lld",
              crmq_config_int (config, "activity_revenue_days"));
    self->check_interval_us = crmq_config_int (config, "activity_check_interval_s") * 1000000LL;
    if (activity_watch_configure (self->pg, &self->settings) != 0) {
        crmq_log (CRMQ_LOG_ERROR, "activity settings not applied", "error=%s",
                  crmq_log_q (crmq_pg_error (self->pg)));
        free (self);
        return NULL;
    }
    self->names = client_names_new (crmq_config_str (config, "contacts_endpoint"),
                                    (int) crmq_config_int (config, "client_name_timeout_ms"));
    if (!self->names) {
        crmq_log (CRMQ_LOG_ERROR, "bad CRMQ_CONTACTS_ENDPOINT", NULL);
        free (self);
        return NULL;
    }
    alert_store_use_names (self->names);
    return self;
}

void
scheduler_server_destroy (void **self_p)
{
    if (*self_p) {
        s_state_t *self = (s_state_t *) *self_p;
        crmq_consumer_destroy (&self->consumer);
        alert_store_use_names (NULL);
        client_names_destroy (&self->names);
        free (self);
        *self_p = NULL;
    }
}

static void
s_consume (s_state_t *self)
{
    int applied = crmq_consumer_process (self->consumer, 0);
    self->idle = applied == 0;
}

static void
s_reader (zsock_t *socket, void *arg)
{
    (void) socket;
    s_consume ((s_state_t *) arg);
}

int
scheduler_server_started (void *state, crmq_rpc_server_t *server)
{
    s_state_t *self = (s_state_t *) state;
    crmq_config_t *config = crmq_service_config (self->service);
    crmq_consumer_config_t consumer = {
        .name = S_CONSUMER_NAME,
        .prefix = "sales.",
        .pub_endpoint = crmq_config_str (config, "bus_pub_endpoint"),
        .replay_endpoint = crmq_config_str (config, "bus_endpoint"),
        .pg = self->pg,
        .apply = s_apply,
        .arg = self,
        .from_seq = 1
    };
    self->consumer = crmq_consumer_new (&consumer);
    if (!self->consumer)
        return -1;
    return crmq_rpc_server_add_reader (server, crmq_consumer_socket (self->consumer),
                                       s_reader, self);
}

//  One transaction of the periodic check; *raised gets its count.
static int
s_check_tx (crmq_pg_t *pg, void *arg)
{
    int *raised = (int *) arg;
    *raised = activity_watch_check (pg, S_CHECK_BATCH);
    return *raised < 0? -1: 0;
}

void
scheduler_server_job (void *state)
{
    s_state_t *self = (s_state_t *) state;
    s_consume (self);
    int64_t now = zclock_usecs ();
    //  the check reads what the consumer applied: only when it caught up
    if (!self->idle || now < self->next_check_us)
        return;
    self->next_check_us = now + self->check_interval_us;
    int raised = S_CHECK_BATCH, total = 0;
    while (raised == S_CHECK_BATCH) {
        if (crmq_pg_transaction (self->pg, s_check_tx, &raised) != 0) {
            crmq_log (CRMQ_LOG_WARN, "activity check failed", "error=%s",
                      crmq_log_q (crmq_pg_error (self->pg)));
            return;
        }
        total += raised;
    }
    if (total)
        crmq_log (CRMQ_LOG_INFO, "activity check", "alerts_raised=%d", total);
}

static int
s_list_alerts (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    s_state_t *self = (s_state_t *) state;
    Crmq__ListAlertsRequest *request = (Crmq__ListAlertsRequest *)
        crmq_message_unpack (&crmq__list_alerts_request__descriptor, body, size);
    if (!request)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, NULL, "malformed ListAlertsRequest");
    int limit = request->limit? request->limit: 100;
    int code;
    if (limit < 0 || limit > 1000 || strlen (request->kind) > 100)
        code = crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, limit < 0 || limit > 1000?
                                 "limit": "kind", "limit is 0..1000, kind up to 100 bytes");
    else {
        Crmq__ListAlertsReply answer = CRMQ__LIST_ALERTS_REPLY__INIT;
        if (alert_store_list (self->pg, request->kind, request->client_id, limit, &answer) != 0)
            code = crmq_reply_error (reply, crmq_pg_status (self->pg), NULL, "%s",
                                     crmq_pg_error (self->pg));
        else
            code = crmq_reply_ok (reply, &answer.base);
        for (size_t i = 0; i < answer.n_alerts; i++)
            crmq_message_free (&answer.alerts [i]->base);
        free (answer.alerts);
    }
    crmq_message_free (&request->base);
    return code;
}

const crmq_rpc_method_t scheduler_server_methods [] = {
    { "scheduler.ListAlerts", s_list_alerts },
    { NULL, NULL }
};

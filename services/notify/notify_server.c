/*  notify_server.c - crmq-notify's state and handlers; see notify_server.h.  */
#include "notify_server.h"
#include "notify_deliveries.h"
#include "notify_target.h"
#include "notify_targets.h"
#include "notify_worker.h"

#define S_PREFIXES_MAX      4
#define S_PREFIX_MAX        90          //  so that "notify:" + prefix fits a consumer name
#define S_DEFAULT_PREFIX    "alert."

typedef struct {
    crmq_pg_t *pg;
    notify_worker_t *worker;
    crmq_consumer_t *consumers [S_PREFIXES_MAX];
    size_t n_consumers;
    int64_t enqueued;               //  deliveries written by the consumers
} notify_server_t;

//  Splits the notify_topics setting into prefixes (trimmed, each checked),
//  copied into `prefixes` (S_PREFIXES_MAX rows of S_PREFIX_MAX + 1 bytes).
//  Returns their count, or -1 (logged).
static int
s_prefixes (const char *setting, char prefixes [][S_PREFIX_MAX + 1])
{
    char *copy = strdup (setting);
    int count = 0;
    bool valid = copy != NULL;
    for (char *save = NULL, *part = copy? strtok_r (copy, ",", &save): NULL; valid && part;
         part = strtok_r (NULL, ",", &save)) {
        while (*part == ' ')
            part++;
        size_t length = strlen (part);
        while (length && part [length - 1] == ' ')
            part [--length] = 0;
        char why [100];
        if (count == S_PREFIXES_MAX || !crmq_id_valid (part, 1, S_PREFIX_MAX, why, sizeof why)) {
            crmq_log (CRMQ_LOG_ERROR, "bad CRMQ_NOTIFY_TOPICS: at most 4 comma-separated prefixes"
                      " of 1 to 90 bytes", "prefix=%s", crmq_log_q (part));
            valid = false;
        }
        else
            snprintf (prefixes [count++], S_PREFIX_MAX + 1, "%s", part);
    }
    free (copy);
    if (valid && count == 0)
        crmq_log (CRMQ_LOG_ERROR, "CRMQ_NOTIFY_TOPICS names no prefix", NULL);
    return valid && count > 0? count: -1;
}

//  Checks the e-mail settings.  Returns true, or false (logged).
static bool
s_smtp_valid (const char *url, const char *from)
{
    if (strncmp (url, "smtp://", 7) != 0 && strncmp (url, "smtps://", 8) != 0) {
        crmq_log (CRMQ_LOG_ERROR, "CRMQ_NOTIFY_SMTP_URL must start with smtp:// or smtps://", NULL);
        return false;
    }
    if (!notify_target_email_valid (from)) {
        crmq_log (CRMQ_LOG_ERROR, "CRMQ_NOTIFY_SMTP_FROM is not an e-mail address", "from=%s",
                  crmq_log_q (from));
        return false;
    }
    return true;
}

void *
notify_server_new (crmq_service_t *service)
{
    crmq_config_t *config = crmq_service_config (service);
    char prefixes [S_PREFIXES_MAX][S_PREFIX_MAX + 1];
    int count = s_prefixes (crmq_config_str (config, "notify_topics"), prefixes);
    const char *smtp_url = crmq_config_str (config, "notify_smtp_url");
    const char *smtp_from = crmq_config_str (config, "notify_smtp_from");
    if (count < 0 || !s_smtp_valid (smtp_url, smtp_from))
        return NULL;
    int first_delay = (int) crmq_config_int (config, "notify_first_delay_ms");
    int max_delay = (int) crmq_config_int (config, "notify_max_delay_ms");
    if (max_delay < first_delay) {
        crmq_log (CRMQ_LOG_ERROR, "CRMQ_NOTIFY_MAX_DELAY_MS is below CRMQ_NOTIFY_FIRST_DELAY_MS", NULL);
        return NULL;
    }
    notify_server_t *self = (notify_server_t *) zmalloc (sizeof (notify_server_t));
    self->pg = crmq_service_pg (service);
    notify_worker_config_t worker = {
        .first_delay_ms = first_delay,
        .max_delay_ms = max_delay,
        .max_attempts = (int) crmq_config_int (config, "notify_max_attempts"),
        .timeout_ms = (int) crmq_config_int (config, "notify_http_timeout_ms"),
        .parallel = (int) crmq_config_int (config, "notify_parallel"),
        .smtp_url = smtp_url,
        .smtp_from = smtp_from
    };
    self->worker = notify_worker_new (self->pg, &worker);
    bool built = self->worker != NULL;
    for (int i = 0; built && i < count; i++) {
        char name [S_PREFIXES_MAX * (S_PREFIX_MAX + 1) + 8];
        if (streq (prefixes [i], S_DEFAULT_PREFIX))
            snprintf (name, sizeof name, "notify");
        else
            snprintf (name, sizeof name, "notify:%s", prefixes [i]);
        crmq_consumer_config_t consumer = {
            .name = name,
            .prefix = prefixes [i],
            .pub_endpoint = crmq_config_str (config, "bus_pub_endpoint"),
            .replay_endpoint = crmq_config_str (config, "bus_endpoint"),
            .pg = self->pg,
            .apply = notify_deliveries_enqueue,
            .arg = &self->enqueued
        };
        self->consumers [i] = crmq_consumer_new (&consumer);
        built = self->consumers [i] != NULL;
        if (built)
            self->n_consumers++;
        crmq_log (built? CRMQ_LOG_INFO: CRMQ_LOG_ERROR,
                  built? "consuming": "cannot register the consumer", "consumer=%s prefix=%s",
                  crmq_log_q (name), crmq_log_q (prefixes [i]));
    }
    if (!built) {
        void *state = self;
        notify_server_destroy (&state);
        return NULL;
    }
    return self;
}

void
notify_server_destroy (void **self_p)
{
    notify_server_t *self = (notify_server_t *) *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->n_consumers; i++)
        crmq_consumer_destroy (&self->consumers [i]);
    notify_worker_destroy (&self->worker);
    free (self);
    *self_p = NULL;
}

//  Runs the consumers without waiting, and the worker (kicked when they
//  enqueued something).
static void
s_work (notify_server_t *self)
{
    int64_t before = self->enqueued;
    for (size_t i = 0; i < self->n_consumers; i++)
        crmq_consumer_process (self->consumers [i], 0);
    if (self->enqueued != before)
        notify_worker_kick (self->worker);
    notify_worker_run (self->worker);
}

//  A consumer's socket has messages (a crmq_rpc_reader_fn).
static void
s_on_events (zsock_t *socket, void *arg)
{
    (void) socket;
    s_work ((notify_server_t *) arg);
}

int
notify_server_started (void *self_, crmq_rpc_server_t *server)
{
    notify_server_t *self = (notify_server_t *) self_;
    for (size_t i = 0; i < self->n_consumers; i++)
        if (crmq_rpc_server_add_reader (server, crmq_consumer_socket (self->consumers [i]),
                                        s_on_events, self) != 0)
            return -1;
    return 0;
}

void
notify_server_job (void *self)
{
    s_work ((notify_server_t *) self);
}

//  --------------------------------------------------------------------------
//  Handlers

static int
s_add_target (void *self, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    return notify_targets_add (((notify_server_t *) self)->pg, body, size, reply);
}

static int
s_list_targets (void *self, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    return notify_targets_list (((notify_server_t *) self)->pg, body, size, reply);
}

static int
s_remove_target (void *self, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    return notify_targets_remove (((notify_server_t *) self)->pg, body, size, reply);
}

static int
s_list_deliveries (void *self, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    return notify_deliveries_list (((notify_server_t *) self)->pg, body, size, reply);
}

static int
s_retry (void *self_, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    notify_server_t *self = (notify_server_t *) self_;
    int code = notify_deliveries_retry (self->pg, body, size, reply);
    if (code == CRMQ_OK)
        notify_worker_kick (self->worker);
    return code;
}

const crmq_rpc_method_t notify_server_methods [] = {
    { "notify.AddTarget",       s_add_target },
    { "notify.ListTargets",     s_list_targets },
    { "notify.RemoveTarget",    s_remove_target },
    { "notify.ListDeliveries",  s_list_deliveries },
    { "notify.Retry",           s_retry },
    { NULL, NULL }
};

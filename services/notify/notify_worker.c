/*  notify_worker.c - claiming, sending and recording deliveries; see
    notify_worker.h.  */
#include "notify_worker.h"
#include "notify_payload.h"
#include "notify_sender.h"

//  How often a run looks for due deliveries when not kicked, ms.
#define S_CLAIM_INTERVAL_MS     500
//  A claim's lease beyond the transfer timeout, ms.
#define S_LEASE_MARGIN_MS       5000

//  $1 how many, $2 the lease in ms.  Counts the attempt and the claim.
static const char *SQL_CLAIM =
    "UPDATE notify.deliveries d"
    "   SET attempts = d.attempts + 1, claims = d.claims + 1, updated_at = now(),"
    "       next_attempt_at = now() + $2::bigint * interval '1 millisecond'"
    "  FROM notify.targets t"
    " WHERE t.id = d.target_id"
    "   AND d.id IN (SELECT id FROM notify.deliveries"
    "                 WHERE state = 'pending' AND next_attempt_at <= now()"
    "                 ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)"
    " RETURNING d.id, d.claims, d.attempts, d.seq, d.topic, d.body, d.target_id, t.kind,"
    "           t.address, (extract (epoch FROM d.created_at) * 1000000)::bigint";

//  $1 id, $2 claim.
static const char *SQL_DELIVERED =
    "UPDATE notify.deliveries"
    "   SET state = 'delivered', delivered_at = now(), updated_at = now(), last_error = ''"
    " WHERE id = $1 AND claims = $2";

//  $1 id, $2 claim, $3 max attempts, $4 first delay, $5 max delay (ms), $6
//  the jitter factor (0.5 to 1), $7 the error.
static const char *SQL_FAILED =
    "UPDATE notify.deliveries"
    "   SET state = CASE WHEN attempts >= $3::int THEN 'dead' ELSE 'pending' END,"
    "       next_attempt_at = now() + least ($5::bigint,"
    "           $4::bigint * power (2::numeric, least (attempts - 1, 40)))"
    "           * $6::numeric * interval '1 millisecond',"
    "       last_error = $7, updated_at = now()"
    " WHERE id = $1 AND claims = $2 AND state = 'pending'"
    " RETURNING state, attempts, seq";

struct _notify_worker_t {
    crmq_pg_t *pg;
    notify_worker_config_t config;
    char *smtp_url, *smtp_from;
    notify_sender_t *sender;
    crmq_backoff_t random;          //  only its random source, for the jitter
    bool kicked;
    int64_t next_claim_ms;          //  monotonic
};

notify_worker_t *
notify_worker_new (crmq_pg_t *pg, const notify_worker_config_t *config)
{
    notify_worker_t *self = (notify_worker_t *) calloc (1, sizeof (notify_worker_t));
    if (!self)
        return NULL;
    self->pg = pg;
    self->config = *config;
    self->smtp_url = strdup (config->smtp_url);
    self->smtp_from = strdup (config->smtp_from);
    self->config.smtp_url = self->smtp_url;
    self->config.smtp_from = self->smtp_from;
    self->sender = notify_sender_new (config->parallel, config->timeout_ms, config->smtp_url,
                                      config->smtp_from);
    crmq_backoff_init (&self->random, 1, 1);
    self->kicked = true;
    if (!self->smtp_url || !self->smtp_from || !self->sender)
        notify_worker_destroy (&self);
    return self;
}

void
notify_worker_destroy (notify_worker_t **self_p)
{
    notify_worker_t *self = *self_p;
    if (!self)
        return;
    notify_sender_destroy (&self->sender);
    free (self->smtp_url);
    free (self->smtp_from);
    free (self);
    *self_p = NULL;
}

void
notify_worker_kick (notify_worker_t *self)
{
    self->kicked = true;
}

size_t
notify_worker_in_flight (notify_worker_t *self)
{
    return notify_sender_active (self->sender);
}

//  Records a failed attempt of delivery `id` under `claim`; a permanent
//  failure (an alert that can never be sent as it is) makes it dead at once.
static void
s_failed (notify_worker_t *self, int64_t id, int64_t claim, const char *error, bool permanent)
{
    char id_text [24], claim_text [24], max_text [16], first_text [16], most_text [16], jitter [16];
    snprintf (id_text, sizeof id_text, "%" PRId64, id);
    snprintf (claim_text, sizeof claim_text, "%" PRId64, claim);
    snprintf (max_text, sizeof max_text, "%d", permanent? 0: self->config.max_attempts);
    snprintf (first_text, sizeof first_text, "%d", self->config.first_delay_ms);
    snprintf (most_text, sizeof most_text, "%d", self->config.max_delay_ms);
    //  the delay is drawn from [d/2, d]: d times 0.500 to 1.000
    snprintf (jitter, sizeof jitter, "%.3f",
              0.5 + (double) (crmq_backoff_random (&self->random) % 501) / 1000.0);
    const char *values [] = { id_text, claim_text, max_text, first_text, most_text, jitter, error };
    PGresult *result = crmq_pg_exec (self->pg, SQL_FAILED, 7, values);
    if (!result) {
        crmq_log (CRMQ_LOG_WARN, "failed attempt not recorded; sent again after its lease",
                  "delivery=%" PRId64 " error=%s", id, crmq_log_q (crmq_pg_error (self->pg)));
        return;
    }
    if (PQntuples (result) == 1) {
        bool dead = streq (PQgetvalue (result, 0, 0), "dead");
        crmq_log (dead? CRMQ_LOG_WARN: CRMQ_LOG_INFO, dead? "delivery dead": "delivery failed",
                  "delivery=%" PRId64 " seq=%s attempts=%s error=%s", id, PQgetvalue (result, 0, 2),
                  PQgetvalue (result, 0, 1), crmq_log_q (error));
    }
    PQclear (result);
}

//  Records a finished transfer (a notify_result_fn).
static void
s_record (const notify_result_t *outcome, void *arg)
{
    notify_worker_t *self = (notify_worker_t *) arg;
    char id_text [24], claim_text [24];
    snprintf (id_text, sizeof id_text, "%" PRId64, outcome->id);
    snprintf (claim_text, sizeof claim_text, "%" PRId64, outcome->claim);
    if (!outcome->delivered) {
        s_failed (self, outcome->id, outcome->claim, outcome->error, false);
        return;
    }
    const char *values [] = { id_text, claim_text };
    if (crmq_pg_command (self->pg, SQL_DELIVERED, 2, values) != 0)
        crmq_log (CRMQ_LOG_WARN, "delivery not recorded; sent again (same key) after its lease",
                  "delivery=%" PRId64 " error=%s", outcome->id, crmq_log_q (crmq_pg_error (self->pg)));
    else
        crmq_log (CRMQ_LOG_DEBUG, "delivered", "delivery=%" PRId64 " status=%ld",
                  outcome->id, outcome->status);
}

//  Starts the claimed delivery in row `row` of `result`.
static void
s_start (notify_worker_t *self, PGresult *result, int row)
{
    int64_t id = strtoll (PQgetvalue (result, row, 0), NULL, 10);
    int64_t claim = strtoll (PQgetvalue (result, row, 1), NULL, 10);
    int64_t seq = strtoll (PQgetvalue (result, row, 3), NULL, 10);
    const char *topic = PQgetvalue (result, row, 4);
    int64_t target_id = strtoll (PQgetvalue (result, row, 6), NULL, 10);
    const char *kind = PQgetvalue (result, row, 7);
    const char *address = PQgetvalue (result, row, 8);
    int64_t created_us = strtoll (PQgetvalue (result, row, 9), NULL, 10);
    bool webhook = streq (kind, "webhook");
    size_t size = 0;
    unsigned char *body = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, row, 5), &size);
    Crmq__Alert *alert = body? (Crmq__Alert *) crmq_message_unpack (&crmq__alert__descriptor,
                                                                    body, size): NULL;
    PQfreemem (body);
    if (!alert) {
        s_failed (self, id, claim, "unreadable alert", true);
        return;
    }
    char key [48];
    notify_payload_key (seq, target_id, key, sizeof key);
    char *payload = webhook
        ? notify_payload_webhook (seq, topic, key, alert)
        : notify_payload_email (self->smtp_from, address, key, seq, topic, created_us, alert);
    crmq_message_free (&alert->base);
    bool built = payload != NULL;
    int rc = -1;
    if (payload && webhook)
        rc = notify_sender_webhook (self->sender, id, claim, address, key, topic, seq, &payload);
    else
    if (payload)
        rc = notify_sender_email (self->sender, id, claim, address, &payload);
    if (rc != 0)
        s_failed (self, id, claim, built? "cannot start the transfer (out of memory)"
                                          : "cannot build the message (text that is not UTF-8)",
                  !built);
}

//  Claims up to the free slots' count of due deliveries and starts them.
static void
s_claim (notify_worker_t *self)
{
    size_t slots = notify_sender_free_slots (self->sender);
    if (slots == 0)
        return;
    char limit [24], lease [24];
    snprintf (limit, sizeof limit, "%zu", slots);
    snprintf (lease, sizeof lease, "%d", self->config.timeout_ms + S_LEASE_MARGIN_MS);
    const char *values [] = { limit, lease };
    PGresult *result = crmq_pg_exec (self->pg, SQL_CLAIM, 2, values);
    if (!result) {
        crmq_log (CRMQ_LOG_WARN, "cannot claim deliveries", "error=%s",
                  crmq_log_q (crmq_pg_error (self->pg)));
        return;
    }
    int rows = PQntuples (result);
    for (int row = 0; row < rows; row++)
        s_start (self, result, row);
    //  a full batch: there may be more due at once
    if ((size_t) rows == slots)
        self->kicked = true;
    PQclear (result);
}

int
notify_worker_run (notify_worker_t *self)
{
    int recorded = notify_sender_poll (self->sender, 0, s_record, self);
    int64_t now = crmq_backoff_now_ms ();
    if ((self->kicked || now >= self->next_claim_ms) && notify_sender_free_slots (self->sender) > 0) {
        self->kicked = false;
        self->next_claim_ms = now + S_CLAIM_INTERVAL_MS;
        s_claim (self);
        recorded += notify_sender_poll (self->sender, 0, s_record, self);
    }
    return recorded;
}

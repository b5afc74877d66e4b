/*  alert_store.h - raising alerts: a row of scheduler.alerts, unique per
    (kind, subject, episode), and the crmq.Alert under "alert." + kind in
    bus.outbox, in the caller's transaction.  An alert raised before (a
    replayed event, another replica, the periodic check run twice) raises
    nothing.

    alert_draft_t builds the Alert on the stack: its strings are copied into
    the draft or borrowed (kind, severity, subject_type: static strings).    */
#ifndef ALERT_STORE_H_INCLUDED
#define ALERT_STORE_H_INCLUDED

#include "crmq.h"
#include "client_names.h"

#define ALERT_DETAILS_MAX  10

typedef struct {
    Crmq__Alert alert;
    Crmq__Alert__DetailsEntry entries [ALERT_DETAILS_MAX];
    Crmq__Alert__DetailsEntry *pointers [ALERT_DETAILS_MAX];
    char keys [ALERT_DETAILS_MAX][32];
    char values [ALERT_DETAILS_MAX][128];
    char subject_id [128];
    char client_name [256];
    char message [512];
} alert_draft_t;

//  Starts a draft: kind ("payment.late"), severity, subject type (static
//  strings), subject id (copied, cut at 127 bytes), raised_us now.
void alert_draft_init (alert_draft_t *self, const char *kind, const char *severity,
                       const char *subject_type, const char *subject_id);

//  Adds detail `key` (up to 31 bytes) = printf-style value (cut at 127
//  bytes).  Details past ALERT_DETAILS_MAX are dropped (API misuse: asserts).
void alert_draft_detail (alert_draft_t *self, const char *key, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Sets the human-readable sentence, printf-style (cut at 511 bytes).
void alert_draft_message (alert_draft_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Makes alert_store_raise fill an alert's client_name from `names` (not
//  owned; NULL: names stay empty).  Set once at start-up, before any raise.
void alert_store_use_names (client_names_t *names);

//  Raises the draft's alert for `episode` (0 unless the kind has episodes)
//  inside the caller's transaction.  Returns 1 when raised, 0 when it was
//  raised before, -1 after a failed statement (see crmq_pg_sqlstate).
int alert_store_raise (crmq_pg_t *pg, alert_draft_t *draft, int episode);

//  The alerts raised, newest first: of `kind` ("" = any) and `client_id`
//  (0 = any), at most `limit`.  Fills reply->alerts (unpacked with
//  crmq_message_unpack: free each with crmq_message_free, then the array
//  with free).  Returns 0 or -1.
int alert_store_list (crmq_pg_t *pg, const char *kind, int64_t client_id, int limit,
                      Crmq__ListAlertsReply *reply);

#endif

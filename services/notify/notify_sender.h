/*  notify_sender.h - sending deliveries with libcurl's multi interface:
    several at once, none blocking the service.

    A webhook is an HTTP POST of a JSON body with the headers Content-Type:
    application/json, Idempotency-Key, X-Crmq-Topic and X-Crmq-Seq; it is
    delivered when the receiver answers 2xx (redirects are not followed: a
    3xx is a failure).  An e-mail goes through the SMTP server of
    `smtp_url` (smtp:// with STARTTLS when the server offers it, or
    smtps://; user:password@ in the URL logs in); it is delivered when the
    server accepted the message.  Every transfer ends within `timeout_ms`,
    connecting included.

    notify_sender_poll makes progress on every transfer without waiting,
    so the owner calls it often (the service's job) and gets each finished
    transfer's result once.  Not thread-safe; call curl_global_init before
    the first sender is made.                                               */
#ifndef NOTIFY_SENDER_H_INCLUDED
#define NOTIFY_SENDER_H_INCLUDED

#include "crmq.h"

//  How one transfer ended.
typedef struct {
    int64_t id;                 //  the delivery, as given when started
    int64_t claim;              //  the claim it was started under
    bool delivered;             //  2xx, or the message accepted
    long status;                //  HTTP status or last SMTP reply code; 0 when none came
    char error [300];           //  why not delivered ("HTTP 500", "Couldn't connect ..."), or ""
} notify_result_t;

typedef void (notify_result_fn) (const notify_result_t *result, void *arg);

typedef struct _notify_sender_t notify_sender_t;

//  Creates a sender of at most `parallel` (>= 1) transfers at once, each
//  limited to `timeout_ms`, e-mail through `smtp_url` from `smtp_from`
//  (strings copied).  Returns NULL on out-of-memory.
notify_sender_t *notify_sender_new (int parallel, int timeout_ms, const char *smtp_url,
                                    const char *smtp_from);

//  Aborts the transfers in flight (their results are never reported),
//  frees, sets *self_p to NULL; safe on NULL.
void notify_sender_destroy (notify_sender_t **self_p);

//  How many more transfers may be started now.
size_t notify_sender_free_slots (notify_sender_t *self);

//  Transfers in flight.
size_t notify_sender_active (notify_sender_t *self);

//  Starts a webhook POST of *body_p (taken over; *body_p set to NULL) to
//  `url`.  Returns 0, or -1 (no free slot, out of memory: *body_p freed).
int notify_sender_webhook (notify_sender_t *self, int64_t id, int64_t claim, const char *url,
                           const char *key, const char *topic, int64_t seq, char **body_p);

//  Starts sending the message *message_p (taken over; set to NULL) to
//  `recipient`.  Returns 0, or -1 as notify_sender_webhook.
int notify_sender_email (notify_sender_t *self, int64_t id, int64_t claim, const char *recipient,
                         char **message_p);

//  Waits up to timeout_ms (0 = not at all) for activity, makes progress on
//  every transfer and calls `fn` once for each one that finished.  Returns
//  the number finished.
int notify_sender_poll (notify_sender_t *self, int timeout_ms, notify_result_fn *fn, void *arg);

#endif

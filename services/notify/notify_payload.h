/*  notify_payload.h - what crmq-notify sends for one alert to one target:
    the idempotency key, the webhook's JSON body and the e-mail message.

    Idempotency key: "crmq-<seq>-<target id>", the same for every attempt of
    the delivery of event <seq> to that target, so a receiver that records
    keys it has acted on does each alert once however often it arrives.

    Webhook body (JSON, UTF-8):
      {"seq": 42, "topic": "alert.payment.late", "idempotency_key": "crmq-42-3",
       "alert": {"kind": ..., "severity": ..., "client_id": ..., "client_name": ...,
                 "manager_id": ..., "subject_type": ..., "subject_id": ...,
                 "message": ..., "occurred_us": ..., "raised_us": ...,
                 "cause_seq": ..., "details": {"days_late": "12", ...}}}
    Integers are JSON numbers (64-bit; every crmq id and instant fits in
    2^53 for a long time yet: microseconds reach it in the year 2255).

    E-mail: an RFC 5322 message, CRLF line ends, with From, To, Subject
    ("[crmq] <severity> <kind>: <client>", RFC 2047 encoded when not plain
    ASCII), Date (when the delivery was enqueued, so every resend is the same
    message), Message-ID "<key@domain of From>", X-Crmq-Topic, X-Crmq-Seq and
    a UTF-8 text body (base64, so that no line length or 8-bit limit of a
    relay can alter it) holding the alert's message, subject and details. */
#ifndef NOTIFY_PAYLOAD_H_INCLUDED
#define NOTIFY_PAYLOAD_H_INCLUDED

#include "crmq.h"

//  Writes the idempotency key of the delivery of event `seq` to target
//  `target_id` into buf (48 bytes always suffice).  Returns buf.
char *notify_payload_key (int64_t seq, int64_t target_id, char *buf, size_t size);

//  The webhook's JSON body for `alert` (event `seq` under `topic`, key
//  `key`), as a malloc'd NUL-terminated string the caller frees; NULL on
//  out-of-memory or text that is not UTF-8.
char *notify_payload_webhook (int64_t seq, const char *topic, const char *key,
                              const Crmq__Alert *alert);

//  The e-mail message for `alert` from `from` to `to` (addresses already
//  checked by notify_target_check), dated `date_us` (µs since the epoch),
//  as a malloc'd NUL-terminated string the caller frees; NULL on
//  out-of-memory.
char *notify_payload_email (const char *from, const char *to, const char *key, int64_t seq,
                            const char *topic, int64_t date_us, const Crmq__Alert *alert);

//  Self-test.
void notify_payload_test (bool verbose);

#endif

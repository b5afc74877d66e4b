/*  notify_payload.c - the key, webhook body and e-mail message of a
    delivery; see notify_payload.h.  */
#include "notify_payload.h"
#include <jansson.h>
#include <openssl/evp.h>
#include <time.h>

char *
notify_payload_key (int64_t seq, int64_t target_id, char *buf, size_t size)
{
    snprintf (buf, size, "crmq-%" PRId64 "-%" PRId64, seq, target_id);
    return buf;
}

//  --------------------------------------------------------------------------
//  Webhook

//  Sets `key` of `object` to a new value; false when it could not.
static bool
s_set (json_t *object, const char *key, json_t *value)
{
    return value && json_object_set_new (object, key, value) == 0;
}

char *
notify_payload_webhook (int64_t seq, const char *topic, const char *key, const Crmq__Alert *alert)
{
    json_t *root = json_object ();
    json_t *body = json_object ();
    json_t *details = json_object ();
    bool built = root && body && details
              && s_set (root, "seq", json_integer (seq))
              && s_set (root, "topic", json_string (topic))
              && s_set (root, "idempotency_key", json_string (key))
              && s_set (body, "kind", json_string (alert->kind))
              && s_set (body, "severity", json_string (alert->severity))
              && s_set (body, "client_id", json_integer (alert->client_id))
              && s_set (body, "client_name", json_string (alert->client_name))
              && s_set (body, "manager_id", json_integer (alert->manager_id))
              && s_set (body, "subject_type", json_string (alert->subject_type))
              && s_set (body, "subject_id", json_string (alert->subject_id))
              && s_set (body, "message", json_string (alert->message))
              && s_set (body, "occurred_us", json_integer (alert->occurred_us))
              && s_set (body, "raised_us", json_integer (alert->raised_us))
              && s_set (body, "cause_seq", json_integer (alert->cause_seq));
    for (size_t i = 0; built && i < alert->n_details; i++)
        built = s_set (details, alert->details [i]->key, json_string (alert->details [i]->value));
    char *text = NULL;
    if (built && json_object_set (body, "details", details) == 0
    &&  json_object_set (root, "alert", body) == 0)
        text = json_dumps (root, JSON_COMPACT);
    json_decref (details);
    json_decref (body);
    json_decref (root);
    return text;
}

//  --------------------------------------------------------------------------
//  E-mail

//  Writes `size` bytes of `data` as base64 in lines of 76 characters, each
//  ending with CRLF.
static void
s_base64_lines (FILE *out, const uint8_t *data, size_t size)
{
    //  57 input bytes make one 76-character line
    for (size_t at = 0; at < size; at += 57) {
        unsigned char line [80];
        size_t chunk = size - at < 57? size - at: 57;
        int length = EVP_EncodeBlock (line, data + at, (int) chunk);
        fprintf (out, "%.*s\r\n", length, line);
    }
}

//  True when `text` can stand in a header as it is: printable ASCII, no
//  "=?" (which would read as an encoded word), at most `max` bytes.
static bool
s_header_plain (const char *text, size_t max)
{
    size_t length = strlen (text);
    if (length > max || strstr (text, "=?"))
        return false;
    for (const unsigned char *c = (const unsigned char *) text; *c; c++)
        if (*c < 0x20 || *c > 0x7e)
            return false;
    return true;
}

//  Writes a header's value: as is when plain, else as RFC 2047 base64
//  encoded words of at most 45 bytes of UTF-8 each (never cutting a
//  character), folded one a line.  Control characters become spaces.
static void
s_header_text (FILE *out, const char *value)
{
    char *text = strdup (value);
    if (!text)
        return;
    for (char *c = text; *c; c++)
        if ((unsigned char) *c < 0x20 || *c == 0x7f)
            *c = ' ';
    if (s_header_plain (text, 900))
        fputs (text, out);
    else {
        size_t length = strlen (text), at = 0;
        while (at < length) {
            size_t chunk = length - at < 45? length - at: 45;
            //  back off continuation bytes so a character stays whole
            while (at + chunk < length && chunk > 1
               && ((unsigned char) text [at + chunk] & 0xC0) == 0x80)
                chunk--;
            unsigned char encoded [64];
            int size = EVP_EncodeBlock (encoded, (const unsigned char *) text + at, (int) chunk);
            fprintf (out, "%s=?UTF-8?B?%.*s?=", at? "\r\n ": "", size, encoded);
            at += chunk;
        }
    }
    free (text);
}

//  Formats µs since the epoch as "2025-07-01 10:00:00 UTC" into buf.
static char *
s_utc_text (int64_t us, char *buf, size_t size)
{
    time_t seconds = (time_t) (us / 1000000);
    struct tm tm;
    if (!gmtime_r (&seconds, &tm) || strftime (buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf (buf, size, "?");
    return buf;
}

//  What the alert is about, for the subject line: the client's name, else
//  its id, else its subject ("payment PAY-17"), else "".
static void
s_about (const Crmq__Alert *alert, char *buf, size_t size)
{
    if (alert->client_name && *alert->client_name)
        snprintf (buf, size, "%s", alert->client_name);
    else
    if (alert->client_id)
        snprintf (buf, size, "client %" PRId64, alert->client_id);
    else
    if (alert->subject_id && *alert->subject_id)
        snprintf (buf, size, "%s %s", alert->subject_type, alert->subject_id);
    else
        buf [0] = 0;
}

//  The message's text body (UTF-8, LF line ends; the whole is base64).
static char *
s_email_text (int64_t seq, const char *topic, const Crmq__Alert *alert, size_t *size)
{
    char *text = NULL;
    FILE *out = open_memstream (&text, size);
    if (!out)
        return NULL;
    char time_text [48];
    fprintf (out, "%s\n\n", alert->message);
    fprintf (out, "Kind:      %s\n", alert->kind);
    fprintf (out, "Severity:  %s\n", alert->severity);
    if (alert->client_id || *alert->client_name)
        fprintf (out, "Client:    %s (id %" PRId64 ")\n", alert->client_name, alert->client_id);
    if (alert->manager_id)
        fprintf (out, "Manager:   id %" PRId64 "\n", alert->manager_id);
    if (*alert->subject_type || *alert->subject_id)
        fprintf (out, "Subject:   %s %s\n", alert->subject_type, alert->subject_id);
    if (alert->occurred_us)
        fprintf (out, "Occurred:  %s\n", s_utc_text (alert->occurred_us, time_text, sizeof time_text));
    if (alert->raised_us)
        fprintf (out, "Raised:    %s\n", s_utc_text (alert->raised_us, time_text, sizeof time_text));
    fprintf (out, "Event:     %s, seq %" PRId64 "\n", topic, seq);
    if (alert->n_details) {
        fprintf (out, "\nDetails:\n");
        for (size_t i = 0; i < alert->n_details; i++)
            fprintf (out, "  %s: %s\n", alert->details [i]->key, alert->details [i]->value);
    }
    if (fclose (out) != 0) {
        free (text);
        return NULL;
    }
    return text;
}

char *
notify_payload_email (const char *from, const char *to, const char *key, int64_t seq,
                      const char *topic, int64_t date_us, const Crmq__Alert *alert)
{
    size_t body_size = 0;
    char *body = s_email_text (seq, topic, alert, &body_size);
    if (!body)
        return NULL;
    char *message = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&message, &size);
    if (!out) {
        free (body);
        return NULL;
    }
    const char *at = strrchr (from, '@');
    const char *domain = at && at [1]? at + 1: "crmq.invalid";
    time_t seconds = (time_t) (date_us / 1000000);
    struct tm tm;
    char date [64] = "Thu, 01 Jan 1970 00:00:00 +0000";
    if (gmtime_r (&seconds, &tm))
        strftime (date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    char about [400], subject [600];
    s_about (alert, about, sizeof about);
    snprintf (subject, sizeof subject, "[crmq] %s %s%s%s", alert->severity, alert->kind,
              *about? ": ": "", about);
    fprintf (out, "From: <%s>\r\n", from);
    fprintf (out, "To: <%s>\r\n", to);
    fprintf (out, "Subject: ");
    s_header_text (out, subject);
    fprintf (out, "\r\nDate: %s\r\n", date);
    fprintf (out, "Message-ID: <%s@%s>\r\n", key, domain);
    fprintf (out, "X-Crmq-Topic: ");
    s_header_text (out, topic);
    fprintf (out, "\r\nX-Crmq-Seq: %" PRId64 "\r\n", seq);
    fprintf (out, "X-Crmq-Idempotency-Key: %s\r\n", key);
    fprintf (out, "MIME-Version: 1.0\r\n");
    fprintf (out, "Content-Type: text/plain; charset=UTF-8\r\n");
    fprintf (out, "Content-Transfer-Encoding: base64\r\n\r\n");
    s_base64_lines (out, (const uint8_t *) body, body_size);
    free (body);
    if (fclose (out) != 0) {
        free (message);
        return NULL;
    }
    return message;
}

//  --------------------------------------------------------------------------
//  Self-test

//  Decodes the base64 body after the blank line of `message`.
static char *
s_decoded_body (const char *message)
{
    const char *body = strstr (message, "\r\n\r\n");
    assert (body);
    body += 4;
    char *joined = (char *) zmalloc (strlen (body) + 1);
    size_t length = 0;
    for (const char *c = body; *c; c++)
        if (*c != '\r' && *c != '\n')
            joined [length++] = *c;
    unsigned char *decoded = (unsigned char *) zmalloc (length + 1);
    int size = EVP_DecodeBlock (decoded, (const unsigned char *) joined, (int) length);
    assert (size >= 0);
    //  EVP_DecodeBlock counts the padding's bytes as zeros
    while (size > 0 && decoded [size - 1] == 0)
        size--;
    decoded [size] = 0;
    free (joined);
    return (char *) decoded;
}

void
notify_payload_test (bool verbose)
{
    (void) verbose;
    printf (" * notify_payload: ");
    char key [48];
    assert (streq (notify_payload_key (42, 3, key, sizeof key), "crmq-42-3"));

    Crmq__Alert alert = CRMQ__ALERT__INIT;
    alert.kind = "payment.late";
    alert.severity = "warning";
    alert.client_id = 17;
    alert.client_name = "ООО «Ромашка»\r\nBcc: x@y.z";
    alert.manager_id = 5;
    alert.subject_type = "payment";
    alert.subject_id = "PAY-17";
    alert.message = "Оплата просрочена на 12 дней";
    alert.occurred_us = 1751364000000000;     //  2025-07-01 10:00:00 UTC
    alert.raised_us = 1751364001000000;
    alert.cause_seq = 40;
    Crmq__Alert__DetailsEntry entry = CRMQ__ALERT__DETAILS_ENTRY__INIT;
    entry.key = "days_late";
    entry.value = "12";
    Crmq__Alert__DetailsEntry *entries [] = { &entry };
    alert.details = entries;
    alert.n_details = 1;

    char *json = notify_payload_webhook (42, "alert.payment.late", key, &alert);
    assert (json);
    json_error_t error;
    json_t *root = json_loads (json, 0, &error);
    assert (root);
    assert (json_integer_value (json_object_get (root, "seq")) == 42);
    assert (streq (json_string_value (json_object_get (root, "idempotency_key")), "crmq-42-3"));
    json_t *body = json_object_get (root, "alert");
    assert (json_integer_value (json_object_get (body, "client_id")) == 17);
    assert (json_integer_value (json_object_get (body, "occurred_us")) == 1751364000000000);
    assert (streq (json_string_value (json_object_get (body, "message")), alert.message));
    assert (streq (json_string_value (json_object_get (json_object_get (body, "details"),
                                                       "days_late")), "12"));
    json_decref (root);
    free (json);

    char *mail = notify_payload_email ("crmq@example.com", "ops@example.com", key, 42,
                                       "alert.payment.late", 1751364002000000, &alert);
    assert (mail);
    //  the client's name cannot add a header: the subject is encoded words
    assert (!strstr (mail, "\r\nBcc:"));
    assert (strstr (mail, "\r\nSubject: =?UTF-8?B?"));
    assert (strstr (mail, "\r\nMessage-ID: <crmq-42-3@example.com>\r\n"));
    assert (strstr (mail, "\r\nDate: Tue, 01 Jul 2025 10:00:02 +0000\r\n"));
    char *text = s_decoded_body (mail);
    assert (strstr (text, alert.message));
    assert (strstr (text, "  days_late: 12\n"));
    assert (strstr (text, "Occurred:  2025-07-01 10:00:00 UTC\n"));
    free (text);
    free (mail);

    //  plain ASCII stays readable; a long UTF-8 name is cut between characters
    alert.client_name = "Acme Ltd";
    mail = notify_payload_email ("crmq", "ops@example.com", key, 42, "alert.payment.late", 0, &alert);
    assert (strstr (mail, "\r\nSubject: [crmq] warning payment.late: Acme Ltd\r\n"));
    assert (strstr (mail, "\r\nMessage-ID: <crmq-42-3@crmq.invalid>\r\n"));
    free (mail);
    char name [301];
    for (size_t i = 0; i < 150; i++)
        memcpy (name + 2 * i, "ж", 2);
    name [300] = 0;
    alert.client_name = name;
    mail = notify_payload_email ("a@b.c", "ops@example.com", key, 42, "alert.payment.late", 0, &alert);
    for (const char *word = strstr (mail, "=?UTF-8?B?"); word && word < strstr (mail, "\r\nDate:");
         word = strstr (word + 1, "=?UTF-8?B?")) {
        const char *end = strstr (word + 10, "?=");
        assert (end && end - word + 2 <= 75);
        unsigned char decoded [64];
        int size = EVP_DecodeBlock (decoded, (const unsigned char *) word + 10, (int) (end - word - 10));
        while (size > 0 && decoded [size - 1] == 0)
            size--;
        assert (crmq_utf8_valid ((const char *) decoded, (size_t) size));
    }
    free (mail);
    printf ("OK\n");
}

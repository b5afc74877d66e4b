/*  notify_sender.c - webhooks and e-mail over libcurl multi; see
    notify_sender.h.  */
#include "notify_sender.h"
#include <curl/curl.h>

//  One transfer in flight.
typedef struct {
    CURL *easy;
    struct curl_slist *list;        //  headers (webhook) or recipients (e-mail)
    char *data;                     //  what is sent
    size_t size, sent;              //  e-mail: bytes of data and bytes read so far
    bool email;
    int64_t id, claim;
    char error [CURL_ERROR_SIZE];
} s_transfer_t;

struct _notify_sender_t {
    CURLM *multi;
    size_t parallel;
    size_t active;
    int timeout_ms;
    char *smtp_url;
    char *smtp_from;                //  "<address>", as MAIL FROM takes it
    s_transfer_t **transfers;       //  `parallel` slots, NULL when free
};

notify_sender_t *
notify_sender_new (int parallel, int timeout_ms, const char *smtp_url, const char *smtp_from)
{
    assert (parallel >= 1 && timeout_ms >= 1);
    notify_sender_t *self = (notify_sender_t *) calloc (1, sizeof (notify_sender_t));
    if (!self)
        return NULL;
    self->multi = curl_multi_init ();
    self->parallel = (size_t) parallel;
    self->timeout_ms = timeout_ms;
    self->smtp_url = strdup (smtp_url);
    self->smtp_from = zsys_sprintf ("<%s>", smtp_from);
    self->transfers = (s_transfer_t **) calloc (self->parallel, sizeof (s_transfer_t *));
    if (!self->multi || !self->smtp_url || !self->smtp_from || !self->transfers)
        notify_sender_destroy (&self);
    return self;
}

//  Detaches a transfer, frees its slot and frees it; NULL is allowed.
static void
s_transfer_destroy (notify_sender_t *self, s_transfer_t *transfer)
{
    if (!transfer)
        return;
    for (size_t i = 0; i < self->parallel; i++)
        if (self->transfers [i] == transfer)
            self->transfers [i] = NULL;
    if (transfer->easy) {
        curl_multi_remove_handle (self->multi, transfer->easy);
        curl_easy_cleanup (transfer->easy);
    }
    curl_slist_free_all (transfer->list);
    free (transfer->data);
    free (transfer);
}

void
notify_sender_destroy (notify_sender_t **self_p)
{
    notify_sender_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; self->transfers && i < self->parallel; i++)
        s_transfer_destroy (self, self->transfers [i]);
    if (self->multi)
        curl_multi_cleanup (self->multi);
    free (self->transfers);
    free (self->smtp_url);
    free (self->smtp_from);
    free (self);
    *self_p = NULL;
}

size_t
notify_sender_free_slots (notify_sender_t *self)
{
    return self->parallel - self->active;
}

size_t
notify_sender_active (notify_sender_t *self)
{
    return self->active;
}

//  The receiver's answer body is not kept.
static size_t
s_discard (char *data, size_t size, size_t count, void *arg)
{
    (void) data;
    (void) arg;
    return size * count;
}

//  libcurl reads the e-mail message from here.
static size_t
s_read (char *buffer, size_t size, size_t count, void *arg)
{
    s_transfer_t *transfer = (s_transfer_t *) arg;
    size_t room = size * count, left = transfer->size - transfer->sent;
    size_t chunk = left < room? left: room;
    memcpy (buffer, transfer->data + transfer->sent, chunk);
    transfer->sent += chunk;
    return chunk;
}

//  A new transfer in a free slot, owning *data_p; NULL (and *data_p freed)
//  when there is no free slot or no memory.
static s_transfer_t *
s_transfer_new (notify_sender_t *self, int64_t id, int64_t claim, char **data_p)
{
    s_transfer_t *transfer = NULL;
    size_t slot = 0;
    while (slot < self->parallel && self->transfers [slot])
        slot++;
    if (slot < self->parallel)
        transfer = (s_transfer_t *) calloc (1, sizeof (s_transfer_t));
    if (transfer)
        transfer->easy = curl_easy_init ();
    if (!transfer || !transfer->easy) {
        free (transfer);
        zstr_free (data_p);
        return NULL;
    }
    transfer->data = *data_p;
    *data_p = NULL;
    transfer->size = strlen (transfer->data);
    transfer->id = id;
    transfer->claim = claim;
    CURL *easy = transfer->easy;
    curl_easy_setopt (easy, CURLOPT_PRIVATE, transfer);
    curl_easy_setopt (easy, CURLOPT_ERRORBUFFER, transfer->error);
    curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (easy, CURLOPT_TIMEOUT_MS, (long) self->timeout_ms);
    curl_easy_setopt (easy, CURLOPT_CONNECTTIMEOUT_MS, (long) self->timeout_ms);
    self->transfers [slot] = transfer;
    return transfer;
}

//  Adds a set-up transfer to the multi handle.  Returns 0, or -1 (freed).
static int
s_transfer_start (notify_sender_t *self, s_transfer_t *transfer)
{
    if (curl_multi_add_handle (self->multi, transfer->easy) != CURLM_OK) {
        s_transfer_destroy (self, transfer);
        return -1;
    }
    self->active++;
    return 0;
}

//  Appends a header line to *list; false on out-of-memory.
static bool
s_header (struct curl_slist **list, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *line = zsys_vprintf (format, args);
    va_end (args);
    struct curl_slist *longer = line? curl_slist_append (*list, line): NULL;
    free (line);
    if (longer)
        *list = longer;
    return longer != NULL;
}

int
notify_sender_webhook (notify_sender_t *self, int64_t id, int64_t claim, const char *url,
                       const char *key, const char *topic, int64_t seq, char **body_p)
{
    s_transfer_t *transfer = s_transfer_new (self, id, claim, body_p);
    if (!transfer)
        return -1;
    bool built = s_header (&transfer->list, "Content-Type: application/json")
              && s_header (&transfer->list, "Idempotency-Key: %s", key)
              && s_header (&transfer->list, "X-Crmq-Topic: %s", topic)
              && s_header (&transfer->list, "X-Crmq-Seq: %" PRId64, seq)
              //  no "100 Continue" round trip before the body
              && s_header (&transfer->list, "Expect:");
    CURL *easy = transfer->easy;
    curl_easy_setopt (easy, CURLOPT_URL, url);
    curl_easy_setopt (easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (easy, CURLOPT_HTTPHEADER, transfer->list);
    curl_easy_setopt (easy, CURLOPT_POSTFIELDS, transfer->data);
    curl_easy_setopt (easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) transfer->size);
    curl_easy_setopt (easy, CURLOPT_USERAGENT, "crmq-notify");
    curl_easy_setopt (easy, CURLOPT_WRITEFUNCTION, s_discard);
    if (!built) {
        s_transfer_destroy (self, transfer);
        return -1;
    }
    return s_transfer_start (self, transfer);
}

int
notify_sender_email (notify_sender_t *self, int64_t id, int64_t claim, const char *recipient,
                     char **message_p)
{
    s_transfer_t *transfer = s_transfer_new (self, id, claim, message_p);
    if (!transfer)
        return -1;
    transfer->email = true;
    bool built = s_header (&transfer->list, "<%s>", recipient);
    CURL *easy = transfer->easy;
    curl_easy_setopt (easy, CURLOPT_URL, self->smtp_url);
    curl_easy_setopt (easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt (easy, CURLOPT_USE_SSL, (long) CURLUSESSL_TRY);
    curl_easy_setopt (easy, CURLOPT_MAIL_FROM, self->smtp_from);
    curl_easy_setopt (easy, CURLOPT_MAIL_RCPT, transfer->list);
    curl_easy_setopt (easy, CURLOPT_READFUNCTION, s_read);
    curl_easy_setopt (easy, CURLOPT_READDATA, transfer);
    curl_easy_setopt (easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt (easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t) transfer->size);
    if (!built) {
        s_transfer_destroy (self, transfer);
        return -1;
    }
    return s_transfer_start (self, transfer);
}

//  The result of a finished transfer.
static void
s_result (s_transfer_t *transfer, CURLcode code, notify_result_t *result)
{
    memset (result, 0, sizeof *result);
    result->id = transfer->id;
    result->claim = transfer->claim;
    curl_easy_getinfo (transfer->easy, CURLINFO_RESPONSE_CODE, &result->status);
    if (code != CURLE_OK)
        snprintf (result->error, sizeof result->error, "%s%s%s", curl_easy_strerror (code),
                  *transfer->error? ": ": "", transfer->error);
    else
    if (!transfer->email && (result->status < 200 || result->status > 299))
        snprintf (result->error, sizeof result->error, "HTTP %ld", result->status);
    else
        result->delivered = true;
}

int
notify_sender_poll (notify_sender_t *self, int timeout_ms, notify_result_fn *fn, void *arg)
{
    if (self->active == 0)
        return 0;
    if (timeout_ms > 0)
        curl_multi_poll (self->multi, NULL, 0, timeout_ms, NULL);
    int running = 0;
    curl_multi_perform (self->multi, &running);
    int finished = 0;
    CURLMsg *message;
    int queued;
    while ((message = curl_multi_info_read (self->multi, &queued))) {
        if (message->msg != CURLMSG_DONE)
            continue;
        s_transfer_t *transfer = NULL;
        curl_easy_getinfo (message->easy_handle, CURLINFO_PRIVATE, (char **) &transfer);
        CURLcode code = message->data.result;
        notify_result_t result;
        s_result (transfer, code, &result);
        s_transfer_destroy (self, transfer);
        self->active--;
        finished++;
        fn (&result, arg);
    }
    return finished;
}

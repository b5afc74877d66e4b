/*  cli_ingest.c - the batching ERP event publisher.  */
#include "cli_ingest.h"
#include "cli_common.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define METHOD        "sales.Ingest"
#define KEEP_REJECTED 10
#define MAX_REASONS   32

typedef struct {
    char *event_id;
    int code;
    char *message;
    char *field;
} s_rejection_t;

typedef struct {
    int code;
    size_t count;
} s_reason_t;

struct _cli_ingest_t {
    crmq_rpc_client_t *client;      //  borrowed; NULL = dry run
    size_t batch_size;
    size_t max_request;             //  largest packed IngestRequest, bytes; 0 = no limit
    Crmq__ErpEvent **batch;         //  copies, freed with crmq__erp_event__free_unpacked
    size_t batch_count;
    size_t request_bytes;           //  packed size of the batch as an IngestRequest
    size_t largest_request;         //  of the batches formed so far
    bool failed;

    size_t sent, accepted, duplicates, rejected, batches, bytes;
    size_t too_large;               //  rejected here, never sent
    s_reason_t reasons [MAX_REASONS];
    size_t reason_count;
    s_rejection_t first [KEEP_REJECTED];
    size_t first_count;

    cli_ingest_rejected_fn *rejected_hook;
    void *rejected_arg;

    FILE *progress;                 //  borrowed; NULL = no progress
    char *label;
    size_t total;
    bool tty;
    bool progress_shown;
    int last_tenth;
};

cli_ingest_t *
cli_ingest_new (crmq_rpc_client_t *client, size_t batch_size, size_t max_request)
{
    assert (batch_size >= 1);
    cli_ingest_t *self = calloc (1, sizeof (cli_ingest_t));
    if (!self)
        return NULL;
    self->batch = calloc (batch_size, sizeof (Crmq__ErpEvent *));
    if (!self->batch) {
        free (self);
        return NULL;
    }
    self->client = client;
    self->batch_size = batch_size;
    self->max_request = max_request;
    return self;
}

static void
s_batch_clear (cli_ingest_t *self)
{
    for (size_t i = 0; i < self->batch_count; i++)
        crmq__erp_event__free_unpacked (self->batch [i], NULL);
    self->batch_count = 0;
    self->request_bytes = 0;
}

void
cli_ingest_destroy (cli_ingest_t **self_p)
{
    assert (self_p);
    cli_ingest_t *self = *self_p;
    if (!self)
        return;
    s_batch_clear (self);
    free (self->batch);
    for (size_t i = 0; i < self->first_count; i++) {
        free (self->first [i].event_id);
        free (self->first [i].message);
        free (self->first [i].field);
    }
    free (self->label);
    free (self);
    *self_p = NULL;
}

static void
    s_progress (cli_ingest_t *self);

void
cli_ingest_set_progress (cli_ingest_t *self, FILE *stream, const char *label, size_t total)
{
    assert (self);
    free (self->label);
    self->label = strdup (label? label: "ingest");
    self->progress = self->label? stream: NULL;
    self->total = total;
    self->tty = stream && isatty (fileno (stream));
    self->last_tenth = 0;
    if (self->tty)
        s_progress (self);              //  something to see before the first reply
}

static void
s_progress (cli_ingest_t *self)
{
    if (!self->progress || self->total == 0)
        return;
    size_t done = self->sent + self->too_large;
    if (done > self->total)
        done = self->total;
    int percent = (int) (done * 100 / self->total);
    if (self->tty) {
        fprintf (self->progress, "\r%s: %zu of %zu events, %d%%", self->label, done,
                 self->total, percent);
        fflush (self->progress);
        self->progress_shown = true;
    }
    else
    if (percent / 10 > self->last_tenth) {
        self->last_tenth = percent / 10;
        fprintf (self->progress, "%s: %d%% (%zu of %zu events)\n", self->label, percent,
                 done, self->total);
        fflush (self->progress);
    }
}

void
cli_ingest_end_progress (cli_ingest_t *self)
{
    assert (self);
    if (self->progress && self->tty && self->progress_shown) {
        fputc ('\n', self->progress);
        fflush (self->progress);
    }
    self->progress_shown = false;
}

void
cli_ingest_set_rejected_hook (cli_ingest_t *self, cli_ingest_rejected_fn *hook, void *arg)
{
    assert (self);
    self->rejected_hook = hook;
    self->rejected_arg = arg;
}

static void
s_count_rejection (cli_ingest_t *self, const char *event_id, const Crmq__EventResult *result)
{
    self->rejected++;
    if (self->rejected_hook) {
        const Crmq__Error *error = result->error;
        self->rejected_hook (self->rejected_arg, *result->event_id? result->event_id: event_id,
                             result->code, error && error->message? error->message: "",
                             error && error->field? error->field: "");
    }
    size_t i;
    for (i = 0; i < self->reason_count; i++)
        if (self->reasons [i].code == result->code)
            break;
    if (i == self->reason_count && i < MAX_REASONS)
        self->reasons [self->reason_count++] = (s_reason_t) { result->code, 0 };
    if (i < MAX_REASONS)
        self->reasons [i].count++;

    if (self->first_count < KEEP_REJECTED) {
        s_rejection_t *rejection = &self->first [self->first_count++];
        const Crmq__Error *error = result->error;
        rejection->event_id = strdup (*result->event_id? result->event_id: event_id);
        rejection->code = result->code;
        rejection->message = strdup (error && error->message? error->message: "");
        rejection->field = strdup (error && error->field? error->field: "");
    }
}

//  Sends the batch and tallies the reply.  Returns 0 or -1 (printed).
static int
s_send (cli_ingest_t *self)
{
    Crmq__IngestRequest request = CRMQ__INGEST_REQUEST__INIT;
    request.n_events = self->batch_count;
    request.events = self->batch;
    Crmq__IngestReply *reply = NULL;
    if (cli_call (self->client, METHOD, &request.base, &crmq__ingest_reply__descriptor,
                  (ProtobufCMessage **) &reply) != CLI_EXIT_OK)
        return -1;
    if (reply->n_results != self->batch_count) {
        fprintf (stderr, "crmq: %s: reply has %zu results for %zu events\n", METHOD,
                 reply->n_results, self->batch_count);
        crmq__ingest_reply__free_unpacked (reply, NULL);
        return -1;
    }
    for (size_t i = 0; i < reply->n_results; i++) {
        const Crmq__EventResult *result = reply->results [i];
        if (result->code != CRMQ_OK)
            s_count_rejection (self, self->batch [i]->event_id, result);
        else
        if (result->duplicate)
            self->duplicates++;
        else
            self->accepted++;
    }
    crmq__ingest_reply__free_unpacked (reply, NULL);
    return 0;
}

int
cli_ingest_flush (cli_ingest_t *self)
{
    assert (self);
    if (self->failed)
        return -1;
    if (self->batch_count == 0)
        return 0;
    if (self->client && s_send (self) != 0) {
        self->failed = true;
        return -1;
    }
    if (self->request_bytes > self->largest_request)
        self->largest_request = self->request_bytes;
    self->sent += self->batch_count;
    self->batches++;
    s_batch_clear (self);
    s_progress (self);
    return 0;
}

//  Bytes of a protobuf varint holding `value`.
static size_t
s_varint_size (size_t value)
{
    size_t bytes = 1;
    for (; value >= 0x80; value >>= 7)
        bytes++;
    return bytes;
}

//  Counts `event` as rejected here: alone it makes a request of
//  `request_size` bytes, above the limit.  Prints why to stderr.
static void
s_reject_too_large (cli_ingest_t *self, const Crmq__ErpEvent *event, size_t request_size)
{
    char message [200];
    snprintf (message, sizeof message, "a request with this event alone is %zu bytes, over the "
              "%zu-byte frame limit (CRMQ_MAX_MESSAGE_BYTES); not sent",
              request_size, self->max_request);
    Crmq__Error error = CRMQ__ERROR__INIT;
    error.code = CRMQ_RESOURCE_EXHAUSTED;
    error.message = message;
    Crmq__EventResult result = CRMQ__EVENT_RESULT__INIT;
    result.code = CRMQ_RESOURCE_EXHAUSTED;
    result.error = &error;
    const char *event_id = event->event_id? event->event_id: "";
    s_count_rejection (self, event_id, &result);
    self->too_large++;
    cli_ingest_end_progress (self);     //  the in-place line, if any, ends first
    fprintf (stderr, "crmq: event %s: %s\n", event_id, message);
    s_progress (self);
}

int
cli_ingest_add (cli_ingest_t *self, const Crmq__ErpEvent *event)
{
    assert (self && event);
    if (self->failed)
        return -1;
    //  What the event adds to the packed IngestRequest: field 1's tag (one
    //  byte), its length, the event.
    size_t size = crmq__erp_event__get_packed_size (event);
    size_t framed = 1 + s_varint_size (size) + size;
    if (self->max_request && framed > self->max_request) {
        s_reject_too_large (self, event, framed);
        return 0;
    }
    if (self->max_request && self->request_bytes + framed > self->max_request
    &&  cli_ingest_flush (self) != 0)
        return -1;
    //  A copy the publisher owns: packed and unpacked again by protobuf-c.
    uint8_t *packed = malloc (size? size: 1);
    Crmq__ErpEvent *copy = NULL;
    if (packed) {
        crmq__erp_event__pack (event, packed);
        copy = crmq__erp_event__unpack (NULL, size, packed);
        free (packed);
    }
    if (!copy) {
        fprintf (stderr, "crmq: event %s: cannot be copied (%zu bytes)\n", event->event_id, size);
        return -1;
    }
    self->batch [self->batch_count++] = copy;
    self->request_bytes += framed;
    self->bytes += size;
    if (self->batch_count == self->batch_size)
        return cli_ingest_flush (self);
    return 0;
}

size_t cli_ingest_sent (cli_ingest_t *self) { assert (self); return self->sent; }
size_t cli_ingest_accepted (cli_ingest_t *self) { assert (self); return self->accepted; }
size_t cli_ingest_duplicates (cli_ingest_t *self) { assert (self); return self->duplicates; }
size_t cli_ingest_rejected (cli_ingest_t *self) { assert (self); return self->rejected; }
size_t cli_ingest_batches (cli_ingest_t *self) { assert (self); return self->batches; }
size_t cli_ingest_bytes (cli_ingest_t *self) { assert (self); return self->bytes; }
bool cli_ingest_failed (cli_ingest_t *self) { assert (self); return self->failed; }

void
cli_ingest_print_summary (cli_ingest_t *self, FILE *out)
{
    assert (self && out);
    fprintf (out, "events: %zu sent, %zu accepted, %zu duplicate, %zu rejected\n",
             self->sent, self->accepted, self->duplicates, self->rejected);
    if (self->rejected == 0)
        return;
    fprintf (out, "rejected by reason:\n");
    for (size_t i = 0; i < self->reason_count; i++)
        fprintf (out, "  %s: %zu\n", crmq_status_name (self->reasons [i].code),
                 self->reasons [i].count);
    fprintf (out, "first %zu rejected:\n", self->first_count);
    for (size_t i = 0; i < self->first_count; i++) {
        s_rejection_t *rejection = &self->first [i];
        fprintf (out, "  %s: %s: %s", rejection->event_id? rejection->event_id: "?",
                 crmq_status_name (rejection->code),
                 rejection->message && *rejection->message? rejection->message: "(no message)");
        if (rejection->field && *rejection->field)
            fprintf (out, " (field %s)", rejection->field);
        fputc ('\n', out);
    }
}

//  --------------------------------------------------------------------------
//  Self-test

//  A client event whose share of a request is `framed` bytes (found by
//  growing the name; a size a varint length jumps over is not reached).
static void
s_test_event (Crmq__ErpEvent *event, Crmq__Client *client, char *name, const char *event_id,
              size_t framed)
{
    crmq__client__init (client);
    crmq__erp_event__init (event);
    client->external_id = "c";
    client->name = name;
    event->event_id = (char *) event_id;
    event->body_case = CRMQ__ERP_EVENT__BODY_CLIENT;
    event->client = client;
    name [0] = 0;
    for (size_t length = 0; length < 1000; length++) {
        name [length] = 'n';
        name [length + 1] = 0;
        size_t size = crmq__erp_event__get_packed_size (event);
        if (1 + s_varint_size (size) + size >= framed)
            break;
    }
    size_t size = crmq__erp_event__get_packed_size (event);
    assert (1 + s_varint_size (size) + size == framed);
}

//  The batch's running size is its packed size, and within the limit.
static void
s_test_check (cli_ingest_t *self)
{
    Crmq__IngestRequest request = CRMQ__INGEST_REQUEST__INIT;
    request.n_events = self->batch_count;
    request.events = self->batch;
    assert (crmq__ingest_request__get_packed_size (&request) == self->request_bytes);
    assert (self->max_request == 0 || self->request_bytes <= self->max_request);
    assert (self->max_request == 0 || self->largest_request <= self->max_request);
}

void
cli_ingest_test (bool verbose)
{
    printf (" * cli_ingest: ");
    char name [1024];
    Crmq__Client client;
    Crmq__ErpEvent event;

    //  Batches of up to 4 events, requests of up to 300 bytes
    cli_ingest_t *ingest = cli_ingest_new (NULL, 4, 300);
    assert (ingest);
    s_test_event (&event, &client, name, "e1", 100);
    assert (cli_ingest_add (ingest, &event) == 0);
    s_test_check (ingest);
    assert (ingest->request_bytes == 100 && ingest->batches == 0);
    assert (cli_ingest_add (ingest, &event) == 0);
    assert (cli_ingest_add (ingest, &event) == 0);
    s_test_check (ingest);
    assert (ingest->request_bytes == 300 && ingest->batches == 0);
    //  A fourth would exceed 300 bytes: the three go first
    s_test_event (&event, &client, name, "e2", 20);
    assert (cli_ingest_add (ingest, &event) == 0);
    s_test_check (ingest);
    assert (ingest->batches == 1 && ingest->sent == 3 && ingest->batch_count == 1);
    assert (ingest->largest_request == 300);
    //  Full by count
    assert (cli_ingest_add (ingest, &event) == 0);
    assert (cli_ingest_add (ingest, &event) == 0);
    assert (cli_ingest_add (ingest, &event) == 0);
    s_test_check (ingest);
    assert (ingest->batches == 2 && ingest->sent == 7 && ingest->batch_count == 0);

    //  An event over the limit alone is rejected here; the batch is kept
    assert (cli_ingest_add (ingest, &event) == 0);
    s_test_event (&event, &client, name, "big", 301);
    fflush (stderr);
    FILE *saved = stderr;
    char *text = NULL;
    size_t size = 0;
    stderr = open_memstream (&text, &size);
    assert (stderr);
    assert (cli_ingest_add (ingest, &event) == 0);
    fclose (stderr);
    stderr = saved;
    if (verbose)
        printf ("\n%s", text);
    assert (streq (text, "crmq: event big: a request with this event alone is 301 bytes, over the "
                         "300-byte frame limit (CRMQ_MAX_MESSAGE_BYTES); not sent\n"));
    free (text);
    s_test_check (ingest);
    assert (ingest->rejected == 1 && ingest->sent == 7 && ingest->batch_count == 1);
    assert (!cli_ingest_failed (ingest));
    //  Exactly the limit is one request of its own
    s_test_event (&event, &client, name, "e3", 300);
    assert (cli_ingest_add (ingest, &event) == 0);
    s_test_check (ingest);
    assert (ingest->batches == 3 && ingest->sent == 8 && ingest->batch_count == 1);
    assert (cli_ingest_flush (ingest) == 0);
    assert (ingest->batches == 4 && ingest->sent == 9 && ingest->largest_request == 300);
    assert (cli_ingest_flush (ingest) == 0);
    assert (ingest->batches == 4);

    text = NULL;
    FILE *out = open_memstream (&text, &size);
    assert (out);
    cli_ingest_print_summary (ingest, out);
    fclose (out);
    if (verbose)
        printf ("%s", text);
    assert (strstr (text, "events: 9 sent, 0 accepted, 0 duplicate, 1 rejected\n"));
    assert (strstr (text, "  RESOURCE_EXHAUSTED: 1\n"));
    assert (strstr (text, "  big: RESOURCE_EXHAUSTED: a request with this event alone is 301 bytes"));
    free (text);
    cli_ingest_destroy (&ingest);
    cli_ingest_destroy (&ingest);
    assert (ingest == NULL);

    //  0 = no limit: only the count closes a batch
    ingest = cli_ingest_new (NULL, 2, 0);
    assert (ingest);
    s_test_event (&event, &client, name, "e4", 900);
    assert (cli_ingest_add (ingest, &event) == 0);
    assert (cli_ingest_add (ingest, &event) == 0);
    assert (ingest->batches == 1 && ingest->sent == 2 && ingest->rejected == 0);
    assert (ingest->largest_request == 1800);
    cli_ingest_destroy (&ingest);
    printf ("OK\n");
}

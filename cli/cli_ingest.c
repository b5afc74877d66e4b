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
    Crmq__ErpEvent **batch;         //  copies, freed with crmq__erp_event__free_unpacked
    size_t batch_count;
    bool failed;

    size_t sent, accepted, duplicates, rejected, batches, bytes;
    s_reason_t reasons [MAX_REASONS];
    size_t reason_count;
    s_rejection_t first [KEEP_REJECTED];
    size_t first_count;

    FILE *progress;                 //  borrowed; NULL = no progress
    char *label;
    size_t total;
    bool tty;
    bool progress_shown;
    int last_tenth;
};

cli_ingest_t *
cli_ingest_new (crmq_rpc_client_t *client, size_t batch_size)
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
    return self;
}

static void
s_batch_clear (cli_ingest_t *self)
{
    for (size_t i = 0; i < self->batch_count; i++)
        crmq__erp_event__free_unpacked (self->batch [i], NULL);
    self->batch_count = 0;
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
    size_t done = self->sent < self->total? self->sent: self->total;
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

static void
s_count_rejection (cli_ingest_t *self, const char *event_id, const Crmq__EventResult *result)
{
    self->rejected++;
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
    self->sent += self->batch_count;
    self->batches++;
    s_batch_clear (self);
    s_progress (self);
    return 0;
}

int
cli_ingest_add (cli_ingest_t *self, const Crmq__ErpEvent *event)
{
    assert (self && event);
    if (self->failed)
        return -1;
    //  A copy the publisher owns: packed and unpacked again by protobuf-c.
    size_t size = crmq__erp_event__get_packed_size (event);
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

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
    crmq_publisher_t *publisher;    //  owned
    bool dry_run;
    bool failed;                    //  a batch failed; the error line was printed

    size_t sent, accepted, duplicates, rejected, batches;
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

static void
    s_on_ack (void *arg, uint64_t batch_id, const Crmq__IngestReply *reply);

cli_ingest_t *
cli_ingest_new (crmq_publisher_t **publisher_p)
{
    assert (publisher_p && *publisher_p);
    cli_ingest_t *self = calloc (1, sizeof (cli_ingest_t));
    if (!self) {
        crmq_publisher_destroy (publisher_p);
        return NULL;
    }
    self->publisher = *publisher_p;
    *publisher_p = NULL;
    crmq_publisher_set_ack_fn (self->publisher, s_on_ack, self);
    return self;
}

cli_ingest_t *
cli_ingest_open (crmq_config_t *config, bool dry_run)
{
    const char *endpoint = dry_run? NULL: crmq_config_str (config, "sales_endpoint");
    crmq_publisher_t *publisher = crmq_publisher_new (endpoint,
        (size_t) crmq_config_int (config, "batch_size"),
        (size_t) crmq_config_int (config, "max_message_bytes"));
    if (!publisher) {
        if (endpoint)
            fprintf (stderr, "crmq: sales_endpoint: cannot open endpoint \"%s\"\n", endpoint);
        else
            fprintf (stderr, "crmq: out of memory\n");
        return NULL;
    }
    crmq_publisher_set_window (publisher, (size_t) crmq_config_int (config, "ingest_window"));
    crmq_publisher_set_timeout (publisher, (int) crmq_config_int (config, "rpc_timeout_ms"),
                                (int) crmq_config_int (config, "rpc_retries"));
    cli_ingest_t *self = cli_ingest_new (&publisher);
    if (self)
        self->dry_run = dry_run;
    else
        fprintf (stderr, "crmq: out of memory\n");
    return self;
}

void
cli_ingest_destroy (cli_ingest_t **self_p)
{
    assert (self_p);
    cli_ingest_t *self = *self_p;
    if (!self)
        return;
    crmq_publisher_destroy (&self->publisher);
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

//  Tallies the results of an acknowledged batch.
static void
s_on_ack (void *arg, uint64_t batch_id, const Crmq__IngestReply *reply)
{
    (void) batch_id;
    cli_ingest_t *self = (cli_ingest_t *) arg;
    for (size_t i = 0; i < reply->n_results; i++) {
        const Crmq__EventResult *result = reply->results [i];
        if (result->code != CRMQ_OK)
            s_count_rejection (self, "", result);
        else
        if (result->duplicate)
            self->duplicates++;
        else
            self->accepted++;
    }
    self->sent += reply->n_results;
    self->batches++;
    s_progress (self);
}

//  After a publisher call: prints the failure once.  Returns 0 or -1.
static int
s_checked (cli_ingest_t *self, int rc)
{
    if (rc == 0)
        return 0;
    if (!self->failed) {
        self->failed = true;
        cli_ingest_end_progress (self);
        fprintf (stderr, "crmq: %s: %s: %s\n", METHOD,
                 crmq_status_name (crmq_publisher_code (self->publisher)),
                 crmq_publisher_message (self->publisher));
    }
    return -1;
}

//  A dry run counts the batches formed as the answered ones.
static void
s_dry_counts (cli_ingest_t *self)
{
    if (self->dry_run) {
        self->sent = crmq_publisher_events (self->publisher);
        self->batches = crmq_publisher_batches (self->publisher);
        s_progress (self);
    }
}

int
cli_ingest_flush (cli_ingest_t *self)
{
    assert (self);
    int rc = s_checked (self, crmq_publisher_barrier (self->publisher));
    s_dry_counts (self);
    return rc;
}

//  Counts `event` as rejected here, too large for any request, and prints
//  why to stderr.
static void
s_reject_too_large (cli_ingest_t *self, const Crmq__ErpEvent *event)
{
    const char *message = crmq_publisher_message (self->publisher);
    Crmq__Error error = CRMQ__ERROR__INIT;
    error.code = CRMQ_RESOURCE_EXHAUSTED;
    error.message = (char *) message;
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
    int rc = crmq_publisher_add (self->publisher, event);
    if (rc == CRMQ_RESOURCE_EXHAUSTED) {
        s_reject_too_large (self, event);
        return 0;
    }
    rc = s_checked (self, rc);
    s_dry_counts (self);
    return rc;
}

size_t cli_ingest_sent (cli_ingest_t *self) { assert (self); return self->sent; }
size_t cli_ingest_accepted (cli_ingest_t *self) { assert (self); return self->accepted; }
size_t cli_ingest_duplicates (cli_ingest_t *self) { assert (self); return self->duplicates; }
size_t cli_ingest_rejected (cli_ingest_t *self) { assert (self); return self->rejected; }
size_t cli_ingest_batches (cli_ingest_t *self) { assert (self); return self->batches; }
size_t cli_ingest_bytes (cli_ingest_t *self) { assert (self); return crmq_publisher_bytes (self->publisher); }
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

//  A client event with a name of `length` bytes.
static void
s_test_event (Crmq__ErpEvent *event, Crmq__Client *client, char *name, const char *event_id,
              size_t length)
{
    crmq__client__init (client);
    crmq__erp_event__init (event);
    client->external_id = "c";
    client->name = name;
    memset (name, 'n', length);
    name [length] = 0;
    event->event_id = (char *) event_id;
    event->body_case = CRMQ__ERP_EVENT__BODY_CLIENT;
    event->client = client;
}

//  Runs `add` of `event` with stderr caught; returns what was printed
//  (caller frees).
static char *
s_test_add_caught (cli_ingest_t *ingest, const Crmq__ErpEvent *event, int *rc)
{
    fflush (stderr);
    FILE *saved = stderr;
    char *text = NULL;
    size_t size = 0;
    stderr = open_memstream (&text, &size);
    assert (stderr);
    *rc = cli_ingest_add (ingest, event);
    fclose (stderr);
    stderr = saved;
    return text;
}

void
cli_ingest_test (bool verbose)
{
    printf (" * cli_ingest: ");
    char name [1024];
    Crmq__Client client;
    Crmq__ErpEvent event;

    //  A dry run counts the batches formed: 4 events each, up to 300 bytes
    crmq_publisher_t *publisher = crmq_publisher_new (NULL, 4, 300);
    assert (publisher);
    cli_ingest_t *ingest = cli_ingest_new (&publisher);
    assert (ingest && publisher == NULL);
    ingest->dry_run = true;
    s_test_event (&event, &client, name, "e1", 80);
    for (int i = 0; i < 3; i++)
        assert (cli_ingest_add (ingest, &event) == 0);
    assert (cli_ingest_batches (ingest) == 0 && cli_ingest_sent (ingest) == 0);
    //  a fourth would take the request over 300 bytes: the three go first
    assert (cli_ingest_add (ingest, &event) == 0);
    assert (cli_ingest_batches (ingest) == 1 && cli_ingest_sent (ingest) == 3);

    //  An event over the limit alone is rejected here; the batch is kept
    s_test_event (&event, &client, name, "big", 400);
    int rc;
    char *text = s_test_add_caught (ingest, &event, &rc);
    if (verbose)
        printf ("\n%s", text);
    assert (rc == 0);
    assert (strncmp (text, "crmq: event big: a request with this event alone is 4", 53) == 0);
    assert (strstr (text, " bytes, over the 300-byte frame limit (CRMQ_MAX_MESSAGE_BYTES); "
                          "not sent\n"));
    free (text);
    assert (cli_ingest_rejected (ingest) == 1 && cli_ingest_sent (ingest) == 3);
    assert (!cli_ingest_failed (ingest));
    assert (cli_ingest_flush (ingest) == 0);
    assert (cli_ingest_batches (ingest) == 2 && cli_ingest_sent (ingest) == 4);
    assert (cli_ingest_flush (ingest) == 0);
    assert (cli_ingest_batches (ingest) == 2);

    //  Results of an acknowledged batch: accepted, duplicate, rejected
    Crmq__EventResult results [3];
    Crmq__EventResult *pointers [3] = { &results [0], &results [1], &results [2] };
    for (int i = 0; i < 3; i++)
        crmq__event_result__init (&results [i]);
    results [0].event_id = "a";
    results [1].event_id = "b";
    results [1].duplicate = true;
    results [2].event_id = "c";
    results [2].code = CRMQ_NOT_FOUND;
    Crmq__Error error = CRMQ__ERROR__INIT;
    error.code = CRMQ_NOT_FOUND;
    error.message = "unknown client X";
    error.field = "events[2].order_placed.client_external_id";
    results [2].error = &error;
    Crmq__IngestReply reply = CRMQ__INGEST_REPLY__INIT;
    reply.n_results = 3;
    reply.results = pointers;
    ingest->dry_run = false;
    s_on_ack (ingest, 7, &reply);
    assert (cli_ingest_accepted (ingest) == 1 && cli_ingest_duplicates (ingest) == 1);
    assert (cli_ingest_rejected (ingest) == 2 && cli_ingest_sent (ingest) == 7);

    size_t size = 0;
    text = NULL;
    FILE *out = open_memstream (&text, &size);
    assert (out);
    cli_ingest_print_summary (ingest, out);
    fclose (out);
    if (verbose)
        printf ("%s", text);
    assert (strstr (text, "events: 7 sent, 1 accepted, 1 duplicate, 2 rejected\n"));
    assert (strstr (text, "  RESOURCE_EXHAUSTED: 1\n"));
    assert (strstr (text, "  NOT_FOUND: 1\n"));
    assert (strstr (text, "  big: RESOURCE_EXHAUSTED: a request with this event alone is"));
    assert (strstr (text, "  c: NOT_FOUND: unknown client X (field "
                          "events[2].order_placed.client_external_id)\n"));
    free (text);
    cli_ingest_destroy (&ingest);
    cli_ingest_destroy (&ingest);
    assert (ingest == NULL);
    printf ("OK\n");
}

/*  cli_import.c - one run of an importer; see cli_import.h.  */
#include "cli_import.h"
#include "cli_common.h"
#include "cli_ingest.h"

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_SHOW_FIRST   10           //  rows and events listed in the summary
#define S_MAX_EVENT_ID 200          //  bytes, as crmq-sales allows

//  How often a reason occurred, and where first.
typedef struct {
    char *reason;
    size_t count;
    char *first;                    //  "file:line"
} s_tally_t;

struct _cli_import_t {
    crmq_config_t *config;          //  borrowed
    char *name;
    bool dry_run;
    cli_progress_t *progress;
    uint64_t bytes_before;          //  of the files read completely
    size_t rows;
    size_t rejected_rows, skipped_rows, held_documents;
    zlistx_t *rejected_reasons;     //  s_tally_t, first-seen order
    zlistx_t *skipped_reasons;      //  s_tally_t
    zlistx_t *first_rejected;       //  "file:line: message" strings
    zhashx_t *origins;              //  event_id -> "file:line"
    cli_ingest_t *ingest;
    zlistx_t *event_reasons;        //  s_tally_t of rejected events by "STATUS: message"
    zlistx_t *first_events;         //  "file:line (event_id): STATUS: message (field F)"
    bool sending;
};

static void
s_tally_free (void **item)
{
    s_tally_t *tally = *item;
    if (tally) {
        free (tally->reason);
        free (tally->first);
        free (tally);
        *item = NULL;
    }
}

cli_import_t *
cli_import_new (crmq_config_t *config, const char *name, bool dry_run)
{
    assert (config && name);
    cli_import_t *self = calloc (1, sizeof (cli_import_t));
    if (!self)
        return NULL;
    self->config = config;
    self->dry_run = dry_run;
    self->name = strdup (name);
    char label [128];
    snprintf (label, sizeof label, "import %s", name);
    self->progress = cli_progress_new (stderr, label, false);
    self->rejected_reasons = zlistx_new ();
    self->skipped_reasons = zlistx_new ();
    self->first_rejected = zlistx_new ();
    self->origins = zhashx_new ();
    self->event_reasons = zlistx_new ();
    self->first_events = zlistx_new ();
    if (!self->name || !self->progress || !self->rejected_reasons || !self->skipped_reasons
    ||  !self->first_rejected || !self->origins || !self->event_reasons || !self->first_events) {
        cli_import_destroy (&self);
        return NULL;
    }
    zlistx_set_destructor (self->rejected_reasons, s_tally_free);
    zlistx_set_destructor (self->skipped_reasons, s_tally_free);
    zlistx_set_destructor (self->event_reasons, s_tally_free);
    zlistx_set_destructor (self->first_rejected, cli_string_destroy);
    zlistx_set_destructor (self->first_events, cli_string_destroy);
    zhashx_set_duplicator (self->origins, cli_string_dup);
    zhashx_set_destructor (self->origins, cli_string_destroy);
    return self;
}

void
cli_import_destroy (cli_import_t **self_p)
{
    assert (self_p);
    cli_import_t *self = *self_p;
    if (!self)
        return;
    cli_progress_destroy (&self->progress);
    cli_ingest_destroy (&self->ingest);
    zlistx_destroy (&self->rejected_reasons);
    zlistx_destroy (&self->skipped_reasons);
    zlistx_destroy (&self->first_rejected);
    zlistx_destroy (&self->event_reasons);
    zlistx_destroy (&self->first_events);
    zhashx_destroy (&self->origins);
    free (self->name);
    free (self);
    *self_p = NULL;
}

void
cli_import_set_quiet (cli_import_t *self)
{
    assert (self);
    cli_progress_t *quiet = cli_progress_new (NULL, "", false);
    if (quiet) {
        cli_progress_destroy (&self->progress);
        self->progress = quiet;
    }
}

bool
cli_import_dry_run (cli_import_t *self)
{
    assert (self);
    return self->dry_run;
}

cli_progress_t *
cli_import_progress (cli_import_t *self)
{
    assert (self);
    return self->progress;
}

//  --------------------------------------------------------------------------
//  Reading

void
cli_import_start_reading (cli_import_t *self, char *const *paths, size_t count)
{
    assert (self);
    uint64_t total = 0;
    for (size_t i = 0; i < count; i++) {
        struct stat info;
        if (stat (paths [i], &info) == 0 && S_ISREG (info.st_mode))
            total += (uint64_t) info.st_size;
    }
    self->bytes_before = 0;
    cli_progress_start (self->progress, "reading", total, "bytes");
}

void
cli_import_read_progress (cli_import_t *self, uint64_t bytes)
{
    assert (self);
    cli_progress_update (self->progress, self->bytes_before + bytes);
}

void
cli_import_file_done (cli_import_t *self, uint64_t bytes)
{
    assert (self);
    self->bytes_before += bytes;
    cli_progress_update (self->progress, self->bytes_before);
}

void
cli_import_count_row (cli_import_t *self)
{
    assert (self);
    self->rows++;
}

//  Counts `reason` in `tallies`, remembering where it first occurred.
static void
s_tally (zlistx_t *tallies, const char *reason, const char *where)
{
    s_tally_t *tally;
    for (tally = zlistx_first (tallies); tally; tally = zlistx_next (tallies))
        if (streq (tally->reason, reason)) {
            tally->count++;
            return;
        }
    tally = calloc (1, sizeof (s_tally_t));
    if (!tally)
        return;
    tally->reason = strdup (reason);
    tally->first = strdup (where);
    tally->count = 1;
    if (!tally->reason || !tally->first || !zlistx_add_end (tallies, tally))
        s_tally_free ((void **) &tally);
}

//  Lists "file:line: message" among the first rejected, while there is room.
static void
s_list_first (cli_import_t *self, const char *file, size_t line, const char *message)
{
    if (zlistx_size (self->first_rejected) < S_SHOW_FIRST) {
        char *text = zsys_sprintf ("%s:%zu: %s", file, line, message);
        if (text)
            zlistx_add_end (self->first_rejected, text);
    }
}

void
cli_import_reject (cli_import_t *self, const char *file, size_t line, const char *reason,
                   const char *format, ...)
{
    assert (self && file && reason && format);
    char where [600], message [600];
    snprintf (where, sizeof where, "%s:%zu", file, line);
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    self->rejected_rows++;
    s_tally (self->rejected_reasons, reason, where);
    s_list_first (self, file, line, message);
}

void
cli_import_hold_document (cli_import_t *self, const char *file, size_t line,
                          const char *format, ...)
{
    assert (self && file && format);
    char message [600];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    self->held_documents++;
    s_list_first (self, file, line, message);
}

void
cli_import_skip (cli_import_t *self, const char *file, size_t line, const char *reason)
{
    assert (self && file && reason);
    char where [600];
    snprintf (where, sizeof where, "%s:%zu", file, line);
    self->skipped_rows++;
    s_tally (self->skipped_reasons, reason, where);
}

size_t cli_import_rows (cli_import_t *self) { assert (self); return self->rows; }
size_t cli_import_rejected_rows (cli_import_t *self) { assert (self); return self->rejected_rows; }
size_t cli_import_skipped_rows (cli_import_t *self) { assert (self); return self->skipped_rows; }
size_t cli_import_held_documents (cli_import_t *self) { assert (self); return self->held_documents; }

//  --------------------------------------------------------------------------
//  Sending

//  "[3]" -> "[*]" in a message, so that rejections group by what went wrong
//  and not by where in a batch.
static void
s_without_indexes (const char *text, char *buf, size_t size)
{
    size_t out = 0;
    for (const char *p = text; *p && out + 4 < size; p++) {
        buf [out++] = *p;
        if (*p == '[' && p [1] >= '0' && p [1] <= '9') {
            while (p [1] >= '0' && p [1] <= '9')
                p++;
            buf [out++] = '*';
        }
    }
    buf [out] = 0;
}

//  cli_ingest's hook: a rejected event, reported at its row.
static void
s_on_rejected (void *arg, const char *event_id, int code, const char *message, const char *field)
{
    cli_import_t *self = arg;
    char reason [700], general [600];
    s_without_indexes (*message? message: "(no message)", general, sizeof general);
    snprintf (reason, sizeof reason, "%s (%d): %s", crmq_status_name (code), code, general);
    const char *origin = zhashx_lookup (self->origins, event_id);
    s_tally (self->event_reasons, reason, origin? origin: event_id);
    if (zlistx_size (self->first_events) < S_SHOW_FIRST) {
        char *text = zsys_sprintf ("%s (%s): %s: %s%s%s%s", origin? origin: "-", event_id,
                                   crmq_status_name (code), *message? message: "(no message)",
                                   *field? " (field ": "", field, *field? ")": "");
        if (text)
            zlistx_add_end (self->first_events, text);
    }
}

int
cli_import_start_sending (cli_import_t *self, size_t total)
{
    assert (self && !self->ingest);
    cli_progress_end (self->progress);
    if (!(self->ingest = cli_ingest_open (self->config, self->dry_run)))
        return -1;                      //  printed
    cli_ingest_set_rejected_hook (self->ingest, s_on_rejected, self);
    self->sending = true;
    cli_progress_start (self->progress, self->dry_run? "checking": "sending", total, "events");
    return 0;
}

int
cli_import_send (cli_import_t *self, const Crmq__ErpEvent *event, const char *file, size_t line)
{
    assert (self && self->ingest && event);
    if (file && *file && !zhashx_lookup (self->origins, event->event_id)) {
        char where [600];
        snprintf (where, sizeof where, "%s:%zu", file, line);
        zhashx_insert (self->origins, event->event_id, where);
    }
    int rc = cli_ingest_add (self->ingest, event);
    cli_progress_update (self->progress, cli_ingest_sent (self->ingest));
    return rc;
}

int
cli_import_flush (cli_import_t *self)
{
    assert (self && self->ingest);
    int rc = cli_ingest_flush (self->ingest);
    cli_progress_update (self->progress, cli_ingest_sent (self->ingest));
    return rc;
}

int
cli_import_finish (cli_import_t *self)
{
    assert (self);
    int rc = self->ingest? cli_import_flush (self): 0;
    cli_progress_end (self->progress);
    self->sending = false;
    return rc;
}

//  --------------------------------------------------------------------------
//  Summary

static void
s_print_tallies (zlistx_t *tallies, FILE *out)
{
    for (s_tally_t *tally = zlistx_first (tallies); tally; tally = zlistx_next (tallies))
        fprintf (out, "  %s: %zu (first %s)\n", tally->reason, tally->count, tally->first);
}

static void
s_print_list (zlistx_t *list, FILE *out)
{
    for (char *text = zlistx_first (list); text; text = zlistx_next (list))
        fprintf (out, "  %s\n", text);
}

void
cli_import_print_summary (cli_import_t *self, FILE *out)
{
    assert (self && out);
    fprintf (out, "rows read: %zu\n", self->rows);
    if (self->skipped_rows) {
        fprintf (out, "rows skipped (not sales): %zu\n", self->skipped_rows);
        s_print_tallies (self->skipped_reasons, out);
    }
    if (self->rejected_rows) {
        fprintf (out, "rows rejected here, not sent: %zu\n", self->rejected_rows);
        s_print_tallies (self->rejected_reasons, out);
    }
    if (self->held_documents)
        fprintf (out, "documents not sent, for a rejected row of theirs: %zu\n",
                 self->held_documents);
    size_t listed = zlistx_size (self->first_rejected);
    if (listed) {
        fprintf (out, "first rejected rows:\n");
        s_print_list (self->first_rejected, out);
        if (self->rejected_rows + self->held_documents > listed)
            fprintf (out, "  ... and %zu more\n", self->rejected_rows + self->held_documents - listed);
    }
    if (!self->ingest)
        return;                             //  nothing was sent
    cli_ingest_t *ingest = self->ingest;
    if (self->dry_run)
        fprintf (out, "dry run, nothing sent: %zu events in %zu batches of up to %lld "
                 "(%zu bytes)\n", cli_ingest_sent (ingest), cli_ingest_batches (ingest),
                 crmq_config_int (self->config, "batch_size"), cli_ingest_bytes (ingest));
    else
        fprintf (out, "events: %zu sent, %zu accepted, %zu duplicate, %zu rejected\n",
                 cli_ingest_sent (ingest), cli_ingest_accepted (ingest),
                 cli_ingest_duplicates (ingest), cli_ingest_rejected (ingest));
    if (cli_ingest_rejected (ingest)) {
        if (self->dry_run)
            fprintf (out, "events rejected here (too large to send): %zu\n",
                     cli_ingest_rejected (ingest));
        fprintf (out, "rejected events by reason:\n");
        s_print_tallies (self->event_reasons, out);
        fprintf (out, "first rejected events (row, event id):\n");
        s_print_list (self->first_events, out);
    }
}

int
cli_import_exit_code (cli_import_t *self, bool failed)
{
    assert (self);
    if (failed) {
        if (self->ingest && !self->dry_run && cli_ingest_sent (self->ingest))
            fprintf (stderr, "crmq: import stopped; the events acknowledged so far are stored, "
                             "run the import again to resume\n");
        return CLI_EXIT_FAILURE;
    }
    if (self->rejected_rows || self->held_documents
    ||  (self->ingest && cli_ingest_rejected (self->ingest)))
        return CLI_EXIT_REJECTED;
    return CLI_EXIT_OK;
}

//  --------------------------------------------------------------------------
//  Event ids

int
cli_import_event_id (const char *source, const char *kind, const char *id, char *buf,
                     size_t size)
{
    assert (source && kind && id && buf);
    int length = snprintf (buf, size, "%s:%s:%s", source, kind, id);
    return length < 0 || (size_t) length >= size || length > S_MAX_EVENT_ID? -1: 0;
}

int
cli_import_master_event_id (const char *source, const char *kind, const char *id,
                            const Crmq__ErpEvent *event, char *buf, size_t size)
{
    assert (event);
    //  FNV-1a (64 bits) of the event packed without its id
    Crmq__ErpEvent body = *event;
    body.event_id = "";
    size_t packed_size = crmq__erp_event__get_packed_size (&body);
    uint8_t *packed = malloc (packed_size? packed_size: 1);
    if (!packed)
        return -1;
    crmq__erp_event__pack (&body, packed);
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < packed_size; i++) {
        hash ^= packed [i];
        hash *= 0x100000001b3ULL;
    }
    free (packed);
    char versioned [400];
    int length = snprintf (versioned, sizeof versioned, "%s:%016llx", id,
                           (unsigned long long) hash);
    if (length < 0 || (size_t) length >= sizeof versioned)
        return -1;
    return cli_import_event_id (source, kind, versioned, buf, size);
}

//  --------------------------------------------------------------------------
//  Self-test

cli_import_t *
cli_import_test_new (size_t batch_size, size_t max_request, crmq_config_t **config_p)
{
    static const crmq_setting_t settings [] = {
        CRMQ_SETTING_SALES_ENDPOINT,
        { "rpc_timeout_ms", "CRMQ_SELFTEST_RPC_TIMEOUT_MS", CRMQ_SETTING_INT, "1000", 10,
          100000, "" },
        { "rpc_retries", "CRMQ_SELFTEST_RPC_RETRIES", CRMQ_SETTING_INT, "0", 0, 10, "" },
        { "batch_size", "CRMQ_SELFTEST_BATCH_SIZE", CRMQ_SETTING_INT, "10", 1, 10000, "" },
        { "ingest_window", "CRMQ_SELFTEST_INGEST_WINDOW", CRMQ_SETTING_INT, "4", 1, 64, "" },
        { "max_message_bytes", "CRMQ_SELFTEST_MAX_MESSAGE_BYTES", CRMQ_SETTING_INT, "100000",
          100, 1000000, "" },
        { NULL, NULL, CRMQ_SETTING_STRING, NULL, 0, 0, NULL }
    };
    assert (config_p && batch_size >= 1 && max_request >= 100);
    char value [32], error [256];
    snprintf (value, sizeof value, "%zu", batch_size);
    setenv ("CRMQ_SELFTEST_BATCH_SIZE", value, 1);
    snprintf (value, sizeof value, "%zu", max_request);
    setenv ("CRMQ_SELFTEST_MAX_MESSAGE_BYTES", value, 1);
    *config_p = crmq_config_new (settings, error, sizeof error);
    assert (*config_p);
    cli_import_t *import = cli_import_new (*config_p, "test", true);
    assert (import);
    cli_import_set_quiet (import);
    return import;
}

void
cli_import_test (bool verbose)
{
    printf (" * cli_import: ");
    crmq_config_t *config;
    cli_import_t *import = cli_import_test_new (2, 200, &config);
    assert (cli_import_dry_run (import));

    cli_import_count_row (import);
    cli_import_count_row (import);
    cli_import_count_row (import);
    cli_import_reject (import, "a.csv", 2, "Quantity is not a number",
                       "Quantity \"%s\" is not a number", "x");
    cli_import_reject (import, "a.csv", 5, "Quantity is not a number",
                       "Quantity \"%s\" is not a number", "y");
    cli_import_skip (import, "a.csv", 3, "stock adjustment");
    assert (cli_import_rows (import) == 3);
    assert (cli_import_rejected_rows (import) == 2);
    assert (cli_import_skipped_rows (import) == 1);

    char id [256], other [256];
    assert (cli_import_event_id ("erp", "order", "10248", id, sizeof id) == 0);
    assert (streq (id, "erp:order:10248"));
    char long_id [300];
    memset (long_id, 'x', sizeof long_id - 1);
    long_id [sizeof long_id - 1] = 0;
    assert (cli_import_event_id ("erp", "order", long_id, id, sizeof id) == -1);

    //  Master data ids follow the content, not the event id field
    Crmq__Product product = CRMQ__PRODUCT__INIT;
    product.external_id = "P1";
    product.name = "Mug";
    Crmq__ErpEvent event = CRMQ__ERP_EVENT__INIT;
    event.body_case = CRMQ__ERP_EVENT__BODY_PRODUCT;
    event.product = &product;
    assert (cli_import_master_event_id ("erp", "product", "P1", &event, id, sizeof id) == 0);
    event.event_id = id;
    assert (cli_import_master_event_id ("erp", "product", "P1", &event, other, sizeof other) == 0);
    assert (streq (id, other));
    assert (strncmp (id, "erp:product:P1:", 15) == 0 && strlen (id) == 15 + 16);
    product.name = "Mug, blue";
    assert (cli_import_master_event_id ("erp", "product", "P1", &event, other, sizeof other) == 0);
    assert (!streq (id, other));

    //  A dry run batches; an event too large for a request is rejected at its row
    assert (cli_import_start_sending (import, 3) == 0);
    product.name = "Mug";
    assert (cli_import_send (import, &event, "p.csv", 2) == 0);
    char big [400];
    memset (big, 'n', sizeof big - 1);
    big [sizeof big - 1] = 0;
    product.name = big;
    event.event_id = "erp:product:big";
    fflush (stderr);
    FILE *saved = stderr;
    char *noise = NULL;
    size_t noise_size = 0;
    stderr = open_memstream (&noise, &noise_size);
    assert (cli_import_send (import, &event, "p.csv", 7) == 0);
    fclose (stderr);
    stderr = saved;
    free (noise);
    assert (cli_import_finish (import) == 0);

    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    assert (out);
    cli_import_print_summary (import, out);
    fclose (out);
    if (verbose)
        printf ("\n%s", text);
    assert (strstr (text, "rows read: 3\n"));
    assert (strstr (text, "rows skipped (not sales): 1\n  stock adjustment: 1 (first a.csv:3)\n"));
    assert (strstr (text, "rows rejected here, not sent: 2\n"
                          "  Quantity is not a number: 2 (first a.csv:2)\n"));
    assert (strstr (text, "  a.csv:5: Quantity \"y\" is not a number\n"));
    assert (strstr (text, "dry run, nothing sent: 1 events in 1 batches"));
    assert (strstr (text, "  RESOURCE_EXHAUSTED (8): a request with this event alone is"));
    assert (strstr (text, "  p.csv:7 (erp:product:big): RESOURCE_EXHAUSTED: "));
    free (text);
    assert (cli_import_exit_code (import, false) == CLI_EXIT_REJECTED);
    assert (cli_import_exit_code (import, true) == CLI_EXIT_FAILURE);
    cli_import_destroy (&import);
    cli_import_destroy (&import);

    char where [64];
    s_without_indexes ("events[12].order_placed.lines[0].quantity", where, sizeof where);
    assert (streq (where, "events[*].order_placed.lines[*].quantity"));
    crmq_config_destroy (&config);
    printf ("OK\n");
}

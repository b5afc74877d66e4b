/*  cli_ingest.h - publishes ERP events to crmq-sales as the ERP would,
    through a crmq_publisher (batches of CRMQ_BATCH_SIZE events,
    CRMQ_INGEST_WINDOW of them in flight), and tallies the per-event
    results.

    A packed IngestRequest never exceeds the frame limit (the services'
    CRMQ_MAX_MESSAGE_BYTES, above which a request is dropped without a
    reply): a batch that an event would push over it is sent first, and an
    event that alone would make a request over the limit is rejected here,
    counted as rejected (RESOURCE_EXHAUSTED) and not sent; the rest go on.

    Every crmq method is idempotent and every event carries a deterministic
    event_id, so the publisher's resends are safe and an interrupted run is
    resumed by running it again (what was acknowledged comes back as
    duplicates).  A batch answered with a non-zero code as a whole (after
    the publisher's retries) stops the publisher: later adds and flushes
    fail.

    With a dry-run publisher (no endpoint) it forms the batches and counts
    them, and sends nothing.                                                 */
#ifndef CLI_INGEST_H_INCLUDED
#define CLI_INGEST_H_INCLUDED

#include "crmq.h"
#include <stdio.h>

typedef struct _cli_ingest_t cli_ingest_t;

//  Creates a tally over `*publisher_p`, taking it over (*publisher_p is set
//  to NULL; it is destroyed with the tally).  Returns NULL on out-of-memory
//  (the publisher is destroyed then too).
cli_ingest_t *cli_ingest_new (crmq_publisher_t **publisher_p);

//  Creates one with a publisher to sales_endpoint (NULL with dry_run) as
//  `config` says: batch_size, max_message_bytes, ingest_window,
//  rpc_timeout_ms, rpc_retries.  Returns NULL after printing "crmq: ..."
//  to stderr.
cli_ingest_t *cli_ingest_open (crmq_config_t *config, bool dry_run);

//  Frees the tally and its publisher (batches not acknowledged stay so);
//  sets *self_p to NULL; safe on NULL.  Does not flush.
void cli_ingest_destroy (cli_ingest_t **self_p);

//  Shows progress on `stream` (borrowed) against `total` events expected:
//  on a terminal one line updated in place, else a plain line each time
//  another tenth is done.  `label` (copied) starts the line ("import").
void cli_ingest_set_progress (cli_ingest_t *self, FILE *stream, const char *label, size_t total);

//  Called once for each event rejected, by crmq-sales or here as too large:
//  its event_id, the status code, the message and field of its error (""
//  when none).  The strings are borrowed for the call only.
typedef void (cli_ingest_rejected_fn) (void *arg, const char *event_id, int code,
                                       const char *message, const char *field);

//  Calls `hook` with `arg` for every event rejected from now on (NULL
//  hook: none).
void cli_ingest_set_rejected_hook (cli_ingest_t *self, cli_ingest_rejected_fn *hook, void *arg);

//  Adds `event` (packed: the caller keeps its own) to the current batch, as
//  crmq_publisher_add.  An event too large for any request is rejected
//  instead (a line on stderr, and in the counts and the summary) and 0
//  returned.  Returns 0, or -1 when a batch failed (the error line is
//  printed to stderr once, as "crmq: sales.Ingest: <STATUS>: <message>").
int cli_ingest_add (cli_ingest_t *self, const Crmq__ErpEvent *event);

//  Sends the current batch, if any, and waits until every batch sent is
//  acknowledged: the barrier between master data and the documents that
//  use it.  Returns 0 or -1 as cli_ingest_add.
int cli_ingest_flush (cli_ingest_t *self);

//  Ends the progress display (the in-place line gets its newline).
void cli_ingest_end_progress (cli_ingest_t *self);

//  Counts so far: events in batches that were acknowledged (in a dry run,
//  formed), and by result (rejected includes the events rejected here as
//  too large); batches acknowledged (formed); the packed bytes of the events
//  sent (formed).
size_t cli_ingest_sent (cli_ingest_t *self);
size_t cli_ingest_accepted (cli_ingest_t *self);
size_t cli_ingest_duplicates (cli_ingest_t *self);
size_t cli_ingest_rejected (cli_ingest_t *self);
size_t cli_ingest_batches (cli_ingest_t *self);
size_t cli_ingest_bytes (cli_ingest_t *self);

//  True once a batch failed as a whole.
bool cli_ingest_failed (cli_ingest_t *self);

//  Prints "events: N sent, A accepted, D duplicate, R rejected", then the
//  rejections by reason (status name) and the first ten rejected events
//  with their message, to `out`.
void cli_ingest_print_summary (cli_ingest_t *self, FILE *out);

//  Self-test of the batching, as a dry run (needs no service).
void cli_ingest_test (bool verbose);

#endif

/*  cli_ingest.h - publishes ERP events to crmq-sales as the ERP would:
    batches of CRMQ_BATCH_SIZE events in sales.Ingest requests, one request
    at a time, and tallies the per-event results.

    A packed IngestRequest never exceeds the frame limit (the services'
    CRMQ_MAX_MESSAGE_BYTES, above which a request is dropped without a
    reply): a batch that an event would push over it is sent first, and an
    event that alone would make a request over the limit is rejected here,
    counted as rejected (RESOURCE_EXHAUSTED) and not sent; the rest go on.

    Every crmq method is idempotent and every event carries a deterministic
    event_id, so the RPC client's own resends are safe and an interrupted run
    is resumed by running it again (what was acknowledged comes back as
    duplicates).  A batch answered with a non-zero code as a whole (after the
    client's retries) stops the publisher: later adds and flushes fail.

    Without an RPC client the publisher is a dry run: it forms the batches
    and counts them, and sends nothing.                                      */
#ifndef CLI_INGEST_H_INCLUDED
#define CLI_INGEST_H_INCLUDED

#include "crmq.h"
#include <stdio.h>

typedef struct _cli_ingest_t cli_ingest_t;

//  Creates a publisher sending batches of up to `batch_size` (>= 1) events,
//  each packed IngestRequest at most `max_request` bytes (0 = no limit),
//  through `client` (borrowed, must outlive the publisher; NULL = dry run).
//  Returns NULL on out-of-memory.
cli_ingest_t *cli_ingest_new (crmq_rpc_client_t *client, size_t batch_size, size_t max_request);

//  Frees the publisher and any unsent events; sets *self_p to NULL; safe on
//  NULL.  Does not flush.
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

//  Adds a copy of `event` (the caller keeps its own) to the current batch,
//  sending the batch first when the event would make its request larger
//  than max_request, and after when it is full.  An event too large for any
//  request is rejected instead (a line on stderr, and in the counts and the
//  summary) and 0 returned.  Returns 0, or -1 when the event cannot be
//  copied or a batch failed (the error line is printed to stderr as
//  "crmq: sales.Ingest: <STATUS>: <message>").
int cli_ingest_add (cli_ingest_t *self, const Crmq__ErpEvent *event);

//  Sends the current batch, if any.  Returns 0 or -1 as cli_ingest_add.
int cli_ingest_flush (cli_ingest_t *self);

//  Ends the progress display (the in-place line gets its newline).
void cli_ingest_end_progress (cli_ingest_t *self);

//  Counts so far: events in batches that were answered (sent; in a dry run,
//  formed), and by result (rejected includes the events rejected here as
//  too large); batches sent (formed); the packed bytes of their events.
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

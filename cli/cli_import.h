/*  cli_import.h - one run of an importer: what every `crmq import ...`
    shares.

    It counts the rows read, the rows rejected here (each with its
    file:line and a reason) and the rows skipped on purpose (not sales:
    stock adjustments and the like, by reason); it sends the events
    through the batching publisher (cli_ingest), remembering the file:line
    each event came from, so that an event crmq-sales rejects is reported
    at its row; it shows progress (reading, then sending) on stderr and
    prints the summary at the end.  With `dry_run` nothing is sent: the
    events are only built and batched.

    Typical use: cli_import_new, cli_import_start_reading, rows read with
    cli_rows (which report to the import), cli_import_start_sending, then
    cli_import_send for each event (cli_import_flush between master data
    and documents), cli_import_print_summary and cli_import_exit_code.     */
#ifndef CLI_IMPORT_H_INCLUDED
#define CLI_IMPORT_H_INCLUDED

#include "crmq.h"
#include "cli_progress.h"
#include <stdio.h>

typedef struct _cli_import_t cli_import_t;

//  Longest free text a field may hold here (bytes); crmq-sales limits most
//  fields more tightly and says so per event.
#define CLI_IMPORT_MAX_TEXT 65536

//  Creates the run of importer `name` ("online-retail"; its progress lines
//  say "import online-retail") with the settings of `config` (borrowed:
//  sales_endpoint, rpc_timeout_ms, rpc_retries, batch_size,
//  max_message_bytes).  Returns NULL on out-of-memory.
cli_import_t *cli_import_new (crmq_config_t *config, const char *name, bool dry_run);

//  Frees the run, its publisher and its connection; sets *self_p to NULL;
//  safe on NULL.
void cli_import_destroy (cli_import_t **self_p);

//  Shows no progress from now on (tests; a caller that wants silence).
void cli_import_set_quiet (cli_import_t *self);

//  True for a dry run.
bool cli_import_dry_run (cli_import_t *self);

//  The progress display (borrowed; for cli_rows).
cli_progress_t *cli_import_progress (cli_import_t *self);

//  Starts the reading phase over the `count` files of `paths`: their sizes
//  are the total the progress counts bytes against.  A file that cannot be
//  read counts 0 here; opening it reports the error.
void cli_import_start_reading (cli_import_t *self, char *const *paths, size_t count);

//  Adds `bytes` read of the current file to the progress: `bytes` counts
//  from the file's start; cli_import_file_done moves past the file.
void cli_import_read_progress (cli_import_t *self, uint64_t bytes);
void cli_import_file_done (cli_import_t *self, uint64_t bytes);

//  Counts one row read.
void cli_import_count_row (cli_import_t *self);

//  Records that the row on `line` of `file` is rejected, for `reason` (a
//  fixed text the summary groups by: "Quantity is not a number"), with the
//  message `format` ("Quantity \"abc\" is not a number").  It is not sent.
void cli_import_reject (cli_import_t *self, const char *file, size_t line, const char *reason,
                        const char *format, ...) __attribute__ ((format (printf, 5, 6)));

//  Records that a document whose first row is on `line` of `file` is not
//  sent because another of its rows was rejected; `format` says which.
//  Counted apart from the rows rejected, listed with them.
void cli_import_hold_document (cli_import_t *self, const char *file, size_t line,
                               const char *format, ...) __attribute__ ((format (printf, 4, 5)));

//  Records that the row on `line` of `file` is skipped on purpose, for
//  `reason` (a fixed text: "quantity 0 or below outside a return (stock
//  adjustment)").  Skips are not errors: they change no exit code.
void cli_import_skip (cli_import_t *self, const char *file, size_t line, const char *reason);

//  Counts so far: rows read, rows rejected here, rows skipped, documents
//  held back.
size_t cli_import_rows (cli_import_t *self);
size_t cli_import_rejected_rows (cli_import_t *self);
size_t cli_import_skipped_rows (cli_import_t *self);
size_t cli_import_held_documents (cli_import_t *self);

//  Opens the connection to crmq-sales (not in a dry run) and makes the
//  publisher, then starts the sending phase against `total` events.
//  Returns 0, or -1 after printing why.
int cli_import_start_sending (cli_import_t *self, size_t total);

//  Sends `event` (copied; the caller keeps its own), which comes from
//  `line` of `file` (copied; "" and 0 when it comes from no one row).
//  Returns 0, or -1 when a batch failed as a whole (printed).
int cli_import_send (cli_import_t *self, const Crmq__ErpEvent *event, const char *file,
                     size_t line);

//  Sends the events added so far and waits for their answers, so that
//  what follows is sent after them (documents after their master data).
//  Returns 0 or -1 as cli_import_send.
int cli_import_flush (cli_import_t *self);

//  Ends the sending phase (flushes first).  Returns 0 or -1 as cli_import_send.
int cli_import_finish (cli_import_t *self);

//  Prints the summary to `out`: rows read, skipped by reason, rejected here
//  (by reason), documents held back, then the first rows rejected or held
//  with file:line; then the events: in
//  a dry run how many and in how many batches, else "events: N sent, A
//  accepted, D duplicate, R rejected" and the rejected events by reason
//  (status code and message) and the first of them with the file:line of
//  their row.
void cli_import_print_summary (cli_import_t *self, FILE *out);

//  The exit code: CLI_EXIT_FAILURE when `failed` (reading stopped, or a
//  batch failed), else CLI_EXIT_REJECTED when a row or an event was
//  rejected, else CLI_EXIT_OK.  When `failed` and events were sent, says
//  on stderr that running the import again resumes it.
int cli_import_exit_code (cli_import_t *self, bool failed);

//  Writes the event id "<source>:<kind>:<id>" into buf.  Returns 0, or -1
//  when it does not fit `size` or the id is longer than event ids allow.
int cli_import_event_id (const char *source, const char *kind, const char *id, char *buf,
                         size_t size);

//  Writes a master data event id that names its content:
//  "<source>:<kind>:<id>:<16 hex digits of a hash of the packed body>", so
//  that the same data sent again is a duplicate and changed data (a
//  product renamed in a later export) is a new event that updates it.
//  Returns 0 or -1 as cli_import_event_id.
int cli_import_master_event_id (const char *source, const char *kind, const char *id,
                                const Crmq__ErpEvent *event, char *buf, size_t size);

//  For self-tests: a quiet dry run of importer "test" sending batches of
//  up to `batch_size` events in requests of up to `max_request` bytes
//  (>= 100).  *config_p gets the settings it uses (the caller destroys
//  them after the import).  Asserts on out-of-memory: tests only.
cli_import_t *cli_import_test_new (size_t batch_size, size_t max_request,
                                   crmq_config_t **config_p);

//  Self-test (a dry run: no service needed).
void cli_import_test (bool verbose);

#endif

/*  cli_progress.h - progress of a long command on stderr.

    On a terminal: one line redrawn in place, a bar with the share done and
    the count ("import superstore: sending [########------------]  40%
    2,000/5,000 events"), at most every 100 ms.  Elsewhere (a log, a pipe):
    a plain line at each further tenth done, so logs stay short.  A phase
    ("reading", "sending") has its own total and unit.                      */
#ifndef CLI_PROGRESS_H_INCLUDED
#define CLI_PROGRESS_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct _cli_progress_t cli_progress_t;

//  Creates a display on `stream` (borrowed; NULL = show nothing) whose
//  lines start with `label` (copied, "import superstore").  A terminal is
//  told by isatty; `force_terminal` draws as on one anyway (tests).
//  Returns NULL on out-of-memory.
cli_progress_t *cli_progress_new (FILE *stream, const char *label, bool force_terminal);

//  Ends the current phase (as cli_progress_end) and frees the display;
//  sets *self_p to NULL; safe on NULL.
void cli_progress_destroy (cli_progress_t **self_p);

//  Starts a phase: `phase` ("reading", copied), `total` of `unit`
//  ("bytes", "events"; copied; bytes are shown in KiB/MiB); total 0 = not
//  known (the count alone is shown).  Ends the phase before, if any.
void cli_progress_start (cli_progress_t *self, const char *phase, uint64_t total,
                         const char *unit);

//  Reports `done` units of the phase (a count from its start, never
//  decreasing; values above the total count as the total).
void cli_progress_update (cli_progress_t *self, uint64_t done);

//  Ends the phase: on a terminal the line is drawn a last time and gets
//  its line break; elsewhere a final line says the phase is done.
void cli_progress_end (cli_progress_t *self);

//  Self-test.
void cli_progress_test (bool verbose);

#endif

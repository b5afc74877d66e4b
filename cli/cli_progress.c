/*  cli_progress.c - progress bar or progress lines; see cli_progress.h.  */
#include "cli_progress.h"
#include "crmq.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_BAR_WIDTH    24
#define S_REDRAW_US    100000       //  terminal: at most ten redraws a second

struct _cli_progress_t {
    FILE *stream;                   //  borrowed; NULL = silent
    char *label;
    bool terminal;
    char *phase;                    //  NULL between phases
    char *unit;
    uint64_t total;
    uint64_t done;
    int64_t drawn_at_us;            //  last redraw (terminal)
    int last_tenth;                 //  last tenth printed (plain lines)
    bool drawn;                     //  the in-place line is on screen
};

cli_progress_t *
cli_progress_new (FILE *stream, const char *label, bool force_terminal)
{
    cli_progress_t *self = calloc (1, sizeof (cli_progress_t));
    if (!self)
        return NULL;
    self->label = strdup (label? label: "");
    if (!self->label) {
        free (self);
        return NULL;
    }
    self->stream = stream;
    self->terminal = stream && (force_terminal || isatty (fileno (stream)));
    return self;
}

void
cli_progress_destroy (cli_progress_t **self_p)
{
    assert (self_p);
    cli_progress_t *self = *self_p;
    if (!self)
        return;
    cli_progress_end (self);
    free (self->label);
    free (self);
    *self_p = NULL;
}

//  "1,234,567" into buf.
static char *
s_count (uint64_t value, char *buf, size_t size)
{
    char digits [32];
    int length = snprintf (digits, sizeof digits, "%llu", (unsigned long long) value);
    size_t out = 0;
    for (int i = 0; i < length && out + 2 < size; i++) {
        if (i > 0 && (length - i) % 3 == 0)
            buf [out++] = ',';
        buf [out++] = digits [i];
    }
    buf [out] = 0;
    return buf;
}

//  "12,345 rows" or, for bytes, "12.3 MiB", into buf.
static char *
s_amount (cli_progress_t *self, uint64_t value, char *buf, size_t size)
{
    if (streq (self->unit, "bytes")) {
        if (value >= 1024 * 1024)
            snprintf (buf, size, "%.1f MiB", (double) value / (1024.0 * 1024.0));
        else
            snprintf (buf, size, "%.1f KiB", (double) value / 1024.0);
    }
    else {
        char count [32];
        snprintf (buf, size, "%s %s", s_count (value, count, sizeof count), self->unit);
    }
    return buf;
}

static void
s_draw (cli_progress_t *self)
{
    char done [48], total [48];
    s_amount (self, self->done, done, sizeof done);
    if (self->total == 0) {
        fprintf (self->stream, "\r%s: %s %s\033[K", self->label, self->phase, done);
        return;
    }
    int percent = (int) (self->done * 100 / self->total);
    int filled = (int) (self->done * S_BAR_WIDTH / self->total);
    char bar [S_BAR_WIDTH + 1];
    for (int i = 0; i < S_BAR_WIDTH; i++)
        bar [i] = i < filled? '#': '-';
    bar [S_BAR_WIDTH] = 0;
    fprintf (self->stream, "\r%s: %s [%s] %3d%% %s of %s\033[K", self->label, self->phase, bar,
             percent, done, s_amount (self, self->total, total, sizeof total));
}

void
cli_progress_start (cli_progress_t *self, const char *phase, uint64_t total, const char *unit)
{
    assert (self && phase && unit);
    cli_progress_end (self);
    self->phase = strdup (phase);
    self->unit = strdup (unit);
    if (!self->phase || !self->unit) {
        free (self->phase);
        free (self->unit);
        self->phase = self->unit = NULL;
        return;                             //  out of memory: no display
    }
    self->total = total;
    self->done = 0;
    self->last_tenth = 0;
    self->drawn_at_us = 0;
    if (self->terminal) {
        s_draw (self);
        fflush (self->stream);
        self->drawn = true;
        self->drawn_at_us = crmq_time_now_us ();
    }
}

void
cli_progress_update (cli_progress_t *self, uint64_t done)
{
    assert (self);
    if (!self->phase || !self->stream)
        return;
    if (self->total && done > self->total)
        done = self->total;
    self->done = done;
    if (self->terminal) {
        int64_t now = crmq_time_now_us ();
        if (now - self->drawn_at_us >= S_REDRAW_US) {
            s_draw (self);
            fflush (self->stream);
            self->drawn = true;
            self->drawn_at_us = now;
        }
    }
    else
    if (self->total) {
        int tenth = (int) (done * 10 / self->total);
        if (tenth > self->last_tenth && tenth < 10) {
            char amount [48];
            self->last_tenth = tenth;
            fprintf (self->stream, "%s: %s %d%% (%s)\n", self->label, self->phase, tenth * 10,
                     s_amount (self, done, amount, sizeof amount));
            fflush (self->stream);
        }
    }
}

void
cli_progress_end (cli_progress_t *self)
{
    assert (self);
    if (!self->phase)
        return;
    if (self->stream) {
        char amount [48];
        if (self->terminal) {
            s_draw (self);
            fputc ('\n', self->stream);
        }
        else
            fprintf (self->stream, "%s: %s done (%s)\n", self->label, self->phase,
                     s_amount (self, self->done, amount, sizeof amount));
        fflush (self->stream);
    }
    free (self->phase);
    free (self->unit);
    self->phase = self->unit = NULL;
    self->drawn = false;
}

//  --------------------------------------------------------------------------
//  Self-test

void
cli_progress_test (bool verbose)
{
    printf (" * cli_progress: ");
    char *text = NULL;
    size_t size = 0;

    //  Plain lines: one per tenth, then done
    FILE *out = open_memstream (&text, &size);
    assert (out);
    cli_progress_t *progress = cli_progress_new (out, "import test", false);
    assert (progress);
    cli_progress_start (progress, "sending", 2000, "events");
    for (uint64_t done = 0; done <= 2000; done += 50)
        cli_progress_update (progress, done);
    cli_progress_start (progress, "reading", 3 * 1024 * 1024, "bytes");
    cli_progress_update (progress, 1024 * 1024);
    cli_progress_destroy (&progress);
    cli_progress_destroy (&progress);
    fclose (out);
    if (verbose)
        printf ("\n%s", text);
    assert (strstr (text, "import test: sending 10% (200 events)\n"));
    assert (strstr (text, "import test: sending 90% (1,800 events)\n"));
    assert (!strstr (text, "sending 100%"));
    assert (strstr (text, "import test: sending done (2,000 events)\n"));
    assert (strstr (text, "import test: reading 30% (1.0 MiB)\n"));
    assert (strstr (text, "import test: reading done (1.0 MiB)\n"));
    free (text);

    //  A terminal: a bar redrawn in place, ended by a line break
    text = NULL;
    out = open_memstream (&text, &size);
    assert (out);
    progress = cli_progress_new (out, "import test", true);
    assert (progress);
    cli_progress_start (progress, "sending", 4, "events");
    cli_progress_update (progress, 9);          //  capped at the total
    cli_progress_end (progress);
    cli_progress_start (progress, "reading", 0, "rows");
    cli_progress_update (progress, 12345);
    cli_progress_destroy (&progress);
    fclose (out);
    if (verbose)
        printf ("%s", text);
    assert (strstr (text, "\rimport test: sending [------------------------]   0% 0 events of "
                          "4 events\033[K"));
    assert (strstr (text, "\rimport test: sending [########################] 100% 4 events of "
                          "4 events\033[K\n"));
    assert (strstr (text, "\rimport test: reading 12,345 rows\033[K\n"));
    free (text);

    //  No stream: nothing, and no crash
    progress = cli_progress_new (NULL, "x", false);
    cli_progress_start (progress, "p", 10, "rows");
    cli_progress_update (progress, 5);
    cli_progress_destroy (&progress);
    printf ("OK\n");
}

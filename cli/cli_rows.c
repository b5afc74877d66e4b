/*  cli_rows.c - checked fields of CSV rows within an import; see cli_rows.h.  */
#include "cli_rows.h"
#include "cli_common.h"

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_PROGRESS_ROWS 4096        //  rows between progress updates
#define S_DATE_CACHE    8           //  columns whose last date is remembered

//  The last date read in a column: rows of one document repeat it, and
//  reading a wall time in a zone other than UTC is slow (crmq_time
//  switches the process's TZ for each call).
typedef struct {
    char *text;                     //  as written; NULL = empty slot
    int column;
    char *const *formats;
    const char *time_zone;
    int64_t us;
} s_date_t;

struct _cli_rows_t {
    cli_import_t *import;           //  borrowed
    cli_csv_t *csv;
    zlistx_t *strings;              //  copies handed out for the current row
    s_date_t dates [S_DATE_CACHE];
};

//  "a", "b", "c" of the header, into buf (cut short with "..." when long).
static void
s_header_text (cli_csv_t *csv, char *buf, size_t size)
{
    size_t out = 0;
    buf [0] = 0;
    for (size_t i = 0; i < cli_csv_columns (csv); i++) {
        int written = snprintf (buf + out, size - out, "%s\"%s\"", i? ", ": "",
                                cli_csv_column_name (csv, i));
        if (written < 0 || (size_t) written >= size - out) {
            snprintf (buf + (size > 4? size - 4: 0), size > 4? 4: size, "...");
            return;
        }
        out += (size_t) written;
    }
}

cli_rows_t *
cli_rows_new (cli_import_t *import, const char *path, const cli_csv_options_t *options,
              const char *const *columns)
{
    assert (import && path);
    char error [600];
    cli_csv_t *csv = cli_csv_new_with (path, options, error, sizeof error);
    if (!csv) {
        fprintf (stderr, "crmq: %s\n", error);
        return NULL;
    }
    for (size_t i = 0; columns && columns [i]; i++)
        if (cli_csv_column (csv, columns [i]) < 0) {
            char header [400];
            s_header_text (csv, header, sizeof header);
            fprintf (stderr, "crmq: %s:1: the header has no column \"%s\" (it has %s)\n",
                     path, columns [i], header);
            cli_csv_destroy (&csv);
            return NULL;
        }
    cli_rows_t *self = calloc (1, sizeof (cli_rows_t));
    if (!self || !(self->strings = zlistx_new ())) {
        fprintf (stderr, "crmq: out of memory\n");
        free (self);
        cli_csv_destroy (&csv);
        return NULL;
    }
    zlistx_set_destructor (self->strings, cli_string_destroy);
    self->import = import;
    self->csv = csv;
    return self;
}

void
cli_rows_destroy (cli_rows_t **self_p)
{
    assert (self_p);
    cli_rows_t *self = *self_p;
    if (!self)
        return;
    cli_import_file_done (self->import, cli_csv_offset (self->csv));
    cli_csv_destroy (&self->csv);
    for (size_t i = 0; i < S_DATE_CACHE; i++)
        free (self->dates [i].text);
    zlistx_destroy (&self->strings);
    free (self);
    *self_p = NULL;
}

int
cli_rows_next (cli_rows_t *self)
{
    assert (self);
    zlistx_purge (self->strings);
    while (true) {
        int rc = cli_csv_next (self->csv);
        if (rc < 0) {
            cli_progress_end (cli_import_progress (self->import));
            fprintf (stderr, "crmq: %s\n", cli_csv_error (self->csv));
        }
        if (rc <= 0)
            return rc;
        cli_import_count_row (self->import);
        if (cli_import_rows (self->import) % S_PROGRESS_ROWS == 0)
            cli_import_read_progress (self->import, cli_csv_offset (self->csv));
        if (cli_csv_size (self->csv) == cli_csv_columns (self->csv))
            return 1;
        cli_rows_reject (self, "wrong number of fields", "%zu fields, the header has %zu",
                         cli_csv_size (self->csv), cli_csv_columns (self->csv));
    }
}

int
cli_rows_column (cli_rows_t *self, const char *name)
{
    assert (self && name);
    return cli_csv_column (self->csv, name);
}

const char *
cli_rows_file (cli_rows_t *self)
{
    assert (self);
    return cli_csv_name (self->csv);
}

size_t
cli_rows_line (cli_rows_t *self)
{
    assert (self);
    return cli_csv_line (self->csv);
}

const char *
cli_rows_raw (cli_rows_t *self, int column)
{
    assert (self);
    const char *text = cli_csv_field (self->csv, column);
    return text? text: "";
}

void
cli_rows_reject (cli_rows_t *self, const char *reason, const char *format, ...)
{
    assert (self && reason && format);
    char message [700];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    cli_import_reject (self->import, cli_rows_file (self), cli_rows_line (self), reason,
                       "%s", message);
}

void
cli_rows_skip (cli_rows_t *self, const char *reason)
{
    assert (self && reason);
    cli_import_skip (self->import, cli_rows_file (self), cli_rows_line (self), reason);
}

//  A copy of `length` bytes of `text` kept until the next row, or NULL on
//  out-of-memory (the row is then rejected).
static const char *
s_keep (cli_rows_t *self, const char *label, const char *text, size_t length)
{
    char *copy = strndup (text, length);
    if (!copy || !zlistx_add_end (self->strings, copy)) {
        free (copy);
        cli_rows_reject (self, "out of memory", "%s: out of memory", label);
        return NULL;
    }
    return copy;
}

//  At most 40 bytes of `text` for a message, cut at a character boundary,
//  "..." when cut.
static const char *
s_quote (const char *text, char *buf, size_t size)
{
    size_t length = strlen (text);
    if (length <= 40 && length < size) {
        snprintf (buf, size, "%s", text);
        return buf;
    }
    size_t cut = 40 < size - 4? 40: size - 4;
    while (cut > 0 && ((unsigned char) text [cut] & 0xC0) == 0x80)
        cut--;
    snprintf (buf, size, "%.*s...", (int) cut, text);
    return buf;
}

const char *
cli_rows_text (cli_rows_t *self, int column, const char *label, bool required)
{
    assert (self && label);
    const char *text = cli_rows_raw (self, column);
    char why [128];
    if (!crmq_text_valid (text, required? 1: 0, CLI_IMPORT_MAX_TEXT, why, sizeof why)) {
        char reason [200];
        snprintf (reason, sizeof reason, "%s %s", label, why);
        cli_rows_reject (self, reason, "%s", reason);
        return NULL;
    }
    return text;
}

//  Checks `text` (trimmed already) with `check`; rejects with the reason.
static const char *
s_checked (cli_rows_t *self, const char *label, const char *text, size_t length, bool required,
           size_t max_bytes,
           bool (*check) (const char *, size_t, size_t, char *, size_t))
{
    const char *kept = s_keep (self, label, text, length);
    char why [128], reason [200], shown [64];
    if (kept && !check (kept, required? 1: 0, max_bytes, why, sizeof why)) {
        snprintf (reason, sizeof reason, "%s %s", label, why);
        if (*kept)
            cli_rows_reject (self, reason, "%s \"%s\" %s", label,
                             s_quote (kept, shown, sizeof shown), why);
        else
            cli_rows_reject (self, reason, "%s", reason);
        return NULL;
    }
    return kept;
}

const char *
cli_rows_id (cli_rows_t *self, int column, const char *label, bool required, bool integral)
{
    assert (self && label);
    size_t length;
    const char *text = cli_field_trim (cli_rows_raw (self, column), &length);
    char copy [CLI_ROWS_MAX_ID + 8], buf [CLI_ROWS_MAX_ID + 8];
    if (integral && length < sizeof copy) {
        memcpy (copy, text, length);
        copy [length] = 0;
        if (cli_field_integral_id (copy, buf, sizeof buf)) {
            text = buf;
            length = strlen (buf);
        }
    }
    return s_checked (self, label, text, length, required, CLI_ROWS_MAX_ID, crmq_id_valid);
}

const char *
cli_rows_name (cli_rows_t *self, int column, const char *label, bool required)
{
    assert (self && label);
    size_t length;
    const char *text = cli_field_trim (cli_rows_raw (self, column), &length);
    return s_checked (self, label, text, length, required, CLI_ROWS_MAX_NAME, crmq_name_valid);
}

int
cli_rows_number (cli_rows_t *self, int column, const char *label,
                 const cli_number_style_t *style, cli_number_t *value)
{
    assert (self && label && value);
    const char *text = cli_rows_raw (self, column);
    char reason [200], shown [64];
    if (cli_field_number (text, style, value) == 0)
        return 0;
    size_t length;
    cli_field_trim (text, &length);
    if (length == 0) {
        snprintf (reason, sizeof reason, "%s is empty", label);
        cli_rows_reject (self, reason, "%s", reason);
    }
    else {
        snprintf (reason, sizeof reason, "%s is not a number", label);
        cli_rows_reject (self, reason, "%s \"%s\" is not a number", label,
                         s_quote (text, shown, sizeof shown));
    }
    return -1;
}

int
cli_rows_date (cli_rows_t *self, int column, const char *label, char *const *formats,
               const char *time_zone, bool required, int64_t *us)
{
    assert (self && label && us);
    const char *text = cli_rows_raw (self, column);
    char reason [200], shown [64];
    size_t length;
    cli_field_trim (text, &length);
    *us = 0;
    if (length == 0 && !required)
        return 0;
    if (length == 0) {
        snprintf (reason, sizeof reason, "%s is empty", label);
        cli_rows_reject (self, reason, "%s", reason);
        return -1;
    }
    s_date_t *cached = &self->dates [(unsigned) column % S_DATE_CACHE];
    if (cached->text && cached->column == column && cached->formats == formats
    &&  cached->time_zone == time_zone && streq (cached->text, text)) {
        *us = cached->us;
        return 0;
    }
    bool read = !formats && cli_field_date (text, NULL, time_zone, us) == 0;
    char expected [200] = "";
    for (size_t i = 0; !read && formats && formats [i]; i++) {
        if (cli_field_date (text, formats [i], time_zone, us) == 0) {
            read = true;
            break;
        }
        snprintf (expected + strlen (expected), sizeof expected - strlen (expected), "%s%s",
                  i? " or ": "", formats [i]);
    }
    if (read) {
        char *copy = strdup (text);
        if (copy) {
            free (cached->text);
            *cached = (s_date_t) { copy, column, formats, time_zone, *us };
        }
        return 0;
    }
    snprintf (reason, sizeof reason, "%s is not a date", label);
    cli_rows_reject (self, reason, "%s \"%s\" is not a date (%s)", label,
                     s_quote (text, shown, sizeof shown),
                     *expected? expected: "YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]");
    return -1;
}

//  --------------------------------------------------------------------------
//  Self-test

void
cli_rows_test (bool verbose)
{
    printf (" * cli_rows: ");
    crmq_config_t *config;
    cli_import_t *import = cli_import_test_new (10, 100000, &config);

    char path [] = "/tmp/cli_rows_test_XXXXXX";
    int fd = mkstemp (path);
    assert (fd >= 0);
    const char *content =
        "id;name;qty;when\n"
        " 17850.0 ;  Mug ;1 234,5;05.03.2024 10:00\n"
        "1;\xE2\x80\xAE" "evil;x;05.03.2024\n"
        "2;ok;3\n"
        ";;1;31.02.2024 10:00\n";
    assert (write (fd, content, strlen (content)) == (ssize_t) strlen (content));
    close (fd);

    const char *missing [] = { "id", "price", NULL };
    fflush (stderr);
    FILE *saved = stderr;
    char *text = NULL;
    size_t size = 0;
    stderr = open_memstream (&text, &size);
    cli_csv_options_t options = { .delimiter = ';' };
    assert (cli_rows_new (import, path, &options, missing) == NULL);
    fclose (stderr);
    stderr = saved;
    if (verbose)
        printf ("\n%s", text);
    assert (strstr (text, ":1: the header has no column \"price\" (it has \"id\", \"name\", "
                          "\"qty\", \"when\")"));
    free (text);

    const char *columns [] = { "id", "name", NULL };
    cli_rows_t *rows = cli_rows_new (import, path, &options, columns);
    assert (rows);
    int id = cli_rows_column (rows, "id"), name = cli_rows_column (rows, "name");
    int qty = cli_rows_column (rows, "qty"), when = cli_rows_column (rows, "when");
    cli_number_style_t style = { .decimal = ',', .thousands = " " };
    cli_number_t value;
    int64_t us;

    assert (cli_rows_next (rows) == 1);
    assert (streq (cli_rows_id (rows, id, "id", true, true), "17850"));
    assert (streq (cli_rows_id (rows, id, "id", true, false), "17850.0"));
    assert (streq (cli_rows_name (rows, name, "name", true), "Mug"));
    assert (streq (cli_rows_raw (rows, name), "  Mug "));
    assert (streq (cli_rows_raw (rows, -1), ""));
    assert (cli_rows_number (rows, qty, "qty", &style, &value) == 0);
    assert (value.units == 1234 && value.nanos == 500000000);
    char *formats [] = { "%d.%m.%Y %H:%M", "%Y", NULL };
    assert (cli_rows_date (rows, when, "when", formats, "UTC", true, &us) == 0);
    assert (cli_rows_date (rows, when, "when", NULL, "UTC", true, &us) == -1);

    assert (cli_rows_next (rows) == 1);
    assert (cli_rows_line (rows) == 3);
    assert (cli_rows_name (rows, name, "name", true) == NULL);      //  bidi override
    assert (cli_rows_number (rows, qty, "qty", &style, &value) == -1);
    assert (cli_rows_date (rows, when, "when", formats, "UTC", true, &us) == -1);

    assert (cli_rows_next (rows) == 1);                             //  line 4 is short
    assert (cli_rows_line (rows) == 5);
    assert (cli_rows_id (rows, id, "id", true, true) == NULL);
    assert (cli_rows_id (rows, id, "id", false, true) != NULL);
    assert (cli_rows_date (rows, when, "when", formats, "UTC", true, &us) == -1);
    assert (cli_rows_next (rows) == 0);
    cli_rows_destroy (&rows);
    cli_rows_destroy (&rows);
    unlink (path);

    assert (cli_import_rows (import) == 4);
    assert (cli_import_rejected_rows (import) == 7);
    text = NULL;
    FILE *out = open_memstream (&text, &size);
    cli_import_print_summary (import, out);
    fclose (out);
    if (verbose)
        printf ("%s", text);
    char *name_part = strrchr (path, '/') + 1;
    char expected [200];
    snprintf (expected, sizeof expected, "  %s:3: name \"\xE2\x80\xAE" "evil\" contains "
              "bidirectional control characters\n", name_part);
    assert (strstr (text, expected));
    snprintf (expected, sizeof expected, "  %s:3: qty \"x\" is not a number\n", name_part);
    assert (strstr (text, expected));
    snprintf (expected, sizeof expected, "  %s:4: 3 fields, the header has 4\n", name_part);
    assert (strstr (text, expected));
    snprintf (expected, sizeof expected, "  %s:5: when \"31.02.2024 10:00\" is not a date "
              "(%%d.%%m.%%Y %%H:%%M or %%Y)\n", name_part);
    assert (strstr (text, expected));
    snprintf (expected, sizeof expected, "  id is empty: 1 (first %s:5)\n", name_part);
    assert (strstr (text, expected));
    free (text);
    cli_import_destroy (&import);
    crmq_config_destroy (&config);
    printf ("OK\n");
}

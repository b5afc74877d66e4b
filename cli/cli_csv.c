/*  cli_csv.c - libcsv-based CSV reader with line numbers.

    libcsv is fed one physical line at a time, so a record's first line is
    the line being fed when the record began.                               */
#include "cli_csv.h"

#include <assert.h>
#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char **fields;
    size_t count;
    size_t capacity;
    size_t line;
} s_record_t;

struct _cli_csv_t {
    FILE *file;
    char *path;
    struct csv_parser parser;
    bool parser_ready;
    char *buffer;               //  getline buffer
    size_t buffer_size;
    size_t line_no;             //  last physical line fed
    bool record_open;           //  a record began and has not ended
    size_t record_start;
    bool at_end;                //  csv_fini done
    bool out_of_memory;
    s_record_t pending;         //  fields of the record being parsed
    s_record_t *ready;          //  records complete, not yet returned
    size_t ready_head, ready_count, ready_capacity;
    s_record_t current;         //  the record returned by cli_csv_next
    s_record_t header;
    char error [512];
};

static void
s_record_clear (s_record_t *record)
{
    for (size_t i = 0; i < record->count; i++)
        free (record->fields [i]);
    free (record->fields);
    memset (record, 0, sizeof *record);
}

//  libcsv: unquoted fields keep their spaces (RFC 4180).
static int
s_no_space (unsigned char c)
{
    (void) c;
    return 0;
}

//  libcsv field callback: appends a copy of the field to the pending record.
static void
s_on_field (void *text, size_t length, void *data)
{
    cli_csv_t *self = data;
    if (!self->record_open) {
        self->record_open = true;
        self->record_start = self->line_no;
    }
    s_record_t *record = &self->pending;
    if (record->count == record->capacity) {
        size_t capacity = record->capacity? record->capacity * 2: 16;
        char **grown = realloc (record->fields, capacity * sizeof (char *));
        if (!grown) {
            self->out_of_memory = true;
            return;
        }
        record->fields = grown;
        record->capacity = capacity;
    }
    char *copy = malloc (length + 1);
    if (!copy) {
        self->out_of_memory = true;
        return;
    }
    if (length)
        memcpy (copy, text, length);
    copy [length] = 0;
    record->fields [record->count++] = copy;
}

//  libcsv record callback: queues the pending record.
static void
s_on_record (int terminator, void *data)
{
    (void) terminator;
    cli_csv_t *self = data;
    if (self->ready_count == self->ready_capacity) {
        size_t capacity = self->ready_capacity? self->ready_capacity * 2: 4;
        s_record_t *grown = realloc (self->ready, capacity * sizeof (s_record_t));
        if (!grown) {
            self->out_of_memory = true;
            s_record_clear (&self->pending);
            return;
        }
        self->ready = grown;
        self->ready_capacity = capacity;
    }
    self->pending.line = self->record_open? self->record_start: self->line_no;
    self->ready [self->ready_count++] = self->pending;
    memset (&self->pending, 0, sizeof self->pending);
    self->record_open = false;
}

static int
s_fail (cli_csv_t *self, const char *format, const char *what)
{
    char message [256];
    snprintf (message, sizeof message, format, what);
    snprintf (self->error, sizeof self->error, "%s:%zu: %s", self->path, self->line_no, message);
    return -1;
}

cli_csv_t *
cli_csv_new (const char *path, char *error, size_t error_size)
{
    assert (path);
    cli_csv_t *self = calloc (1, sizeof (cli_csv_t));
    if (!self || !(self->path = strdup (path))) {
        snprintf (error, error_size, "%s: out of memory", path);
        free (self);
        return NULL;
    }
    self->file = fopen (path, "r");
    if (!self->file) {
        snprintf (error, error_size, "%s: %s", path, strerror (errno));
        cli_csv_destroy (&self);
        return NULL;
    }
    if (csv_init (&self->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        snprintf (error, error_size, "%s: out of memory", path);
        cli_csv_destroy (&self);
        return NULL;
    }
    self->parser_ready = true;
    csv_set_space_func (&self->parser, s_no_space);

    int rc = cli_csv_next (self);
    if (rc != 1) {
        snprintf (error, error_size, "%s", rc == 0? "": self->error);
        if (rc == 0)
            snprintf (error, error_size, "%s: empty file, no header line", path);
        cli_csv_destroy (&self);
        return NULL;
    }
    self->header = self->current;
    memset (&self->current, 0, sizeof self->current);
    return self;
}

void
cli_csv_destroy (cli_csv_t **self_p)
{
    assert (self_p);
    cli_csv_t *self = *self_p;
    if (!self)
        return;
    if (self->file)
        fclose (self->file);
    if (self->parser_ready)
        csv_free (&self->parser);
    s_record_clear (&self->pending);
    s_record_clear (&self->current);
    s_record_clear (&self->header);
    for (size_t i = self->ready_head; i < self->ready_count; i++)
        s_record_clear (&self->ready [i]);
    free (self->ready);
    free (self->buffer);
    free (self->path);
    free (self);
    *self_p = NULL;
}

int
cli_csv_column (cli_csv_t *self, const char *name)
{
    assert (self && name);
    for (size_t i = 0; i < self->header.count; i++)
        if (strcmp (self->header.fields [i], name) == 0)
            return (int) i;
    return -1;
}

size_t
cli_csv_columns (cli_csv_t *self)
{
    assert (self);
    return self->header.count;
}

int
cli_csv_next (cli_csv_t *self)
{
    assert (self);
    s_record_clear (&self->current);
    while (self->ready_head == self->ready_count) {
        self->ready_head = self->ready_count = 0;
        if (self->at_end)
            return 0;
        ssize_t length = getline (&self->buffer, &self->buffer_size, self->file);
        if (length < 0) {
            if (ferror (self->file))
                return s_fail (self, "read failed: %s", strerror (errno));
            self->at_end = true;
            if (csv_fini (&self->parser, s_on_field, s_on_record, self) != 0)
                return s_fail (self, "%s", "unterminated quoted field at the end of the file");
        }
        else {
            const char *text = self->buffer;
            self->line_no++;
            if (self->line_no == 1 && length >= 3 && memcmp (text, "\xEF\xBB\xBF", 3) == 0) {
                text += 3;
                length -= 3;
            }
            bool blank = strspn (text, "\r\n") == (size_t) length;
            if (!self->record_open && !blank) {
                self->record_open = true;
                self->record_start = self->line_no;
            }
            size_t parsed = csv_parse (&self->parser, text, (size_t) length,
                                       s_on_field, s_on_record, self);
            if (parsed != (size_t) length)
                return s_fail (self, "%s", csv_strerror (csv_error (&self->parser)));
        }
        if (self->out_of_memory)
            return s_fail (self, "%s", "out of memory");
    }
    self->current = self->ready [self->ready_head++];
    return 1;
}

size_t
cli_csv_size (cli_csv_t *self)
{
    assert (self);
    return self->current.count;
}

const char *
cli_csv_field (cli_csv_t *self, int index)
{
    assert (self);
    if (index < 0 || (size_t) index >= self->current.count)
        return NULL;
    return self->current.fields [index];
}

size_t
cli_csv_line (cli_csv_t *self)
{
    assert (self);
    return self->current.line;
}

const char *
cli_csv_path (cli_csv_t *self)
{
    assert (self);
    return self->path;
}

const char *
cli_csv_name (cli_csv_t *self)
{
    assert (self);
    const char *slash = strrchr (self->path, '/');
    return slash? slash + 1: self->path;
}

const char *
cli_csv_error (cli_csv_t *self)
{
    assert (self);
    return self->error;
}

//  --------------------------------------------------------------------------
//  Self-test

static char *
s_temp_file (const char *content)
{
    char *path = strdup ("/tmp/cli_csv_test_XXXXXX");
    assert (path);
    int fd = mkstemp (path);
    assert (fd >= 0);
    size_t length = strlen (content);
    assert (write (fd, content, length) == (ssize_t) length);
    close (fd);
    return path;
}

void
cli_csv_test (bool verbose)
{
    printf (" * cli_csv: ");
    if (verbose)
        printf ("\n");
    char error [512];

    char *path = s_temp_file (
        "\xEF\xBB\xBF" "id,name,note\r\n"
        "1,Münster, spaced \r\n"
        "\r\n"
        "2,\"Two, \"\"quoted\"\"\",\"multi\nline\"\n"
        "3,,\n"
        "4,short\n"
        "5,last,no newline");
    cli_csv_t *csv = cli_csv_new (path, error, sizeof error);
    assert (csv);
    assert (cli_csv_columns (csv) == 3);
    assert (cli_csv_column (csv, "id") == 0);
    assert (cli_csv_column (csv, "note") == 2);
    assert (cli_csv_column (csv, "missing") == -1);
    assert (cli_csv_field (csv, cli_csv_column (csv, "missing")) == NULL);

    assert (cli_csv_next (csv) == 1);
    assert (cli_csv_line (csv) == 2);
    assert (cli_csv_size (csv) == 3);
    assert (strcmp (cli_csv_field (csv, 1), "Münster") == 0);
    assert (strcmp (cli_csv_field (csv, 2), " spaced ") == 0);

    assert (cli_csv_next (csv) == 1);
    assert (cli_csv_line (csv) == 4);
    assert (strcmp (cli_csv_field (csv, 1), "Two, \"quoted\"") == 0);
    assert (strcmp (cli_csv_field (csv, 2), "multi\nline") == 0);

    assert (cli_csv_next (csv) == 1);
    assert (cli_csv_line (csv) == 6);
    assert (cli_csv_size (csv) == 3);
    assert (strcmp (cli_csv_field (csv, 2), "") == 0);

    assert (cli_csv_next (csv) == 1);
    assert (cli_csv_line (csv) == 7);
    assert (cli_csv_size (csv) == 2);
    assert (cli_csv_field (csv, 2) == NULL);

    assert (cli_csv_next (csv) == 1);
    assert (cli_csv_line (csv) == 8);
    assert (strcmp (cli_csv_field (csv, 2), "no newline") == 0);
    assert (cli_csv_next (csv) == 0);
    assert (cli_csv_next (csv) == 0);
    assert (strcmp (cli_csv_name (csv), path + 5) == 0);
    cli_csv_destroy (&csv);
    cli_csv_destroy (&csv);
    unlink (path);
    free (path);

    //  A stray quote in an unquoted field is an error with its line
    path = s_temp_file ("a,b\n1,2\n3,x\"y\n");
    csv = cli_csv_new (path, error, sizeof error);
    assert (csv);
    assert (cli_csv_next (csv) == 1);
    assert (cli_csv_next (csv) == -1);
    if (verbose)
        printf ("%s\n", cli_csv_error (csv));
    assert (strstr (cli_csv_error (csv), ":3: "));
    cli_csv_destroy (&csv);
    unlink (path);
    free (path);

    //  Unterminated quote at the end
    path = s_temp_file ("a,b\n1,\"open\n");
    csv = cli_csv_new (path, error, sizeof error);
    assert (csv);
    assert (cli_csv_next (csv) == -1);
    cli_csv_destroy (&csv);
    unlink (path);
    free (path);

    //  Empty file and missing file
    path = s_temp_file ("");
    assert (cli_csv_new (path, error, sizeof error) == NULL);
    assert (strstr (error, "no header"));
    unlink (path);
    free (path);
    assert (cli_csv_new ("/nonexistent/x.csv", error, sizeof error) == NULL);
    assert (strstr (error, "/nonexistent/x.csv: "));
    printf ("OK\n");
}

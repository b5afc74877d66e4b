/*  cli_csv.c - libcsv-based CSV reader with line numbers and encodings.

    The file is read in pieces that end at a line break (or at the end of
    the read buffer, for a line longer than it), converted to UTF-8 when it
    is CP1251, and fed to libcsv; a record's first line is the line being
    fed when the record began.  Memory stays bounded by the record limit:
    a record still open after that many bytes is an error.                */
#include "cli_csv.h"
#include "crmq_validate.h"

#include <assert.h>
#include <csv.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_CHUNK 65536               //  bytes read from the file at a time

typedef struct {
    char **fields;
    size_t count;
    size_t capacity;
    size_t line;
} s_record_t;

struct _cli_csv_t {
    FILE *file;
    char *path;
    cli_csv_options_t options;
    struct csv_parser parser;
    bool parser_ready;
    iconv_t iconv;                  //  CP1251 -> UTF-8, or (iconv_t) -1
    char raw [S_CHUNK];             //  read buffer
    size_t raw_pos, raw_len;
    bool eof;                       //  fread found the end
    char *converted;                //  a piece in UTF-8 (CP1251 files)
    size_t converted_size;
    uint64_t offset;                //  bytes of the file consumed
    size_t line_no;                 //  physical line of the last piece fed
    bool line_open;                 //  that line's break not read yet
    bool encoding_checked;          //  CP1251: a line with non-ASCII bytes was seen
    bool record_open;               //  a record began and has not ended
    size_t record_start;
    size_t record_bytes;            //  bytes of the open record fed so far
    bool at_end;                    //  csv_fini done
    bool broken;                    //  an error was returned: nothing more
    bool out_of_memory;
    bool bad_utf8;                  //  a field was not UTF-8 (s_on_field)
    size_t bad_utf8_line;
    s_record_t pending;             //  fields of the record being parsed
    s_record_t *ready;              //  records complete, not yet returned
    size_t ready_head, ready_count, ready_capacity;
    s_record_t current;             //  the record returned by cli_csv_next
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
    if (!self->bad_utf8 && !crmq_utf8_valid (text, length)) {
        self->bad_utf8 = true;
        self->bad_utf8_line = self->record_start;
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
    self->record_bytes = 0;
}

//  Records "path:line: message" as the error; the reader is broken from
//  now on.  Returns -1.
static int
s_fail (cli_csv_t *self, size_t line, const char *format, const char *what)
{
    char message [300];
    snprintf (message, sizeof message, format, what);
    snprintf (self->error, sizeof self->error, "%s:%zu: %s", self->path, line, message);
    self->broken = true;
    return -1;
}

//  The next piece of the file: bytes up to and including a line break, or
//  up to the end of the read buffer or the file.  Returns its length (0 at
//  the end of the file, -1 on a read error) with *piece pointing into the
//  read buffer.
static ssize_t
s_read_piece (cli_csv_t *self, const char **piece)
{
    if (self->raw_pos == self->raw_len) {
        if (self->eof)
            return 0;
        self->raw_pos = 0;
        self->raw_len = fread (self->raw, 1, sizeof self->raw, self->file);
        if (self->raw_len < sizeof self->raw) {
            if (ferror (self->file))
                return -1;
            self->eof = true;
        }
        if (self->raw_len == 0)
            return 0;
    }
    const char *start = self->raw + self->raw_pos;
    size_t left = self->raw_len - self->raw_pos;
    const char *newline = memchr (start, '\n', left);
    size_t length = newline? (size_t) (newline - start) + 1: left;
    self->raw_pos += length;
    self->offset += length;
    *piece = start;
    return (ssize_t) length;
}

//  Converts a CP1251 piece to UTF-8 in self->converted.  Returns the
//  converted length, or -1 after s_fail.
static ssize_t
s_from_cp1251 (cli_csv_t *self, const char *text, size_t length)
{
    //  A CP1251 byte becomes at most 3 UTF-8 bytes (U+20AC, U+2116...)
    size_t needed = 3 * length + 1;
    if (needed > self->converted_size) {
        char *grown = realloc (self->converted, needed);
        if (!grown)
            return s_fail (self, self->line_no, "%s", "out of memory");
        self->converted = grown;
        self->converted_size = needed;
    }
    char *in = (char *) text, *out = self->converted;
    size_t in_left = length, out_left = self->converted_size;
    if (iconv (self->iconv, &in, &in_left, &out, &out_left) == (size_t) -1) {
        char byte [8];
        snprintf (byte, sizeof byte, "0x%02X", (unsigned char) *in);
        return s_fail (self, self->line_no, "byte %s is not a CP1251 character", byte);
    }
    return (ssize_t) (out - self->converted);
}

//  True when `text` has bytes above 0x7F.
static bool
s_has_high_bytes (const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++)
        if ((unsigned char) text [i] >= 0x80)
            return true;
    return false;
}

//  Checks the start of the file: byte order marks.  Returns how many bytes
//  to skip, or -1 after s_fail.
static ssize_t
s_check_start (cli_csv_t *self, const char *text, size_t length)
{
    const unsigned char *bytes = (const unsigned char *) text;
    if (length >= 2 && ((bytes [0] == 0xFF && bytes [1] == 0xFE)
                    ||  (bytes [0] == 0xFE && bytes [1] == 0xFF)))
        return s_fail (self, 1, "%s", "the file is UTF-16 (it starts with its byte order "
                       "mark); save it as UTF-8 or CP1251");
    if (length >= 3 && memcmp (text, "\xEF\xBB\xBF", 3) == 0) {
        if (self->options.encoding == CLI_CSV_CP1251)
            return s_fail (self, 1, "%s", "the file starts with a UTF-8 byte order mark, "
                           "but its encoding is set to cp1251");
        return 3;
    }
    return 0;
}

//  Feeds one piece of the file to libcsv.  Returns 0 or -1 after s_fail.
static int
s_feed (cli_csv_t *self, const char *text, size_t length)
{
    bool line_start = !self->line_open;
    if (line_start)
        self->line_no++;
    bool line_end = length > 0 && text [length - 1] == '\n';
    self->line_open = !line_end;
    //  the last line of a file may have no line break
    bool whole_line = line_end || (self->eof && self->raw_pos == self->raw_len);
    if (self->offset == length) {             //  the file's first piece
        ssize_t skip = s_check_start (self, text, length);
        if (skip < 0)
            return -1;
        text += skip;
        length -= (size_t) skip;
    }
    if (memchr (text, 0, length))
        return s_fail (self, self->line_no, "%s", "the file holds NUL bytes: it is not "
                       "text in UTF-8 or CP1251 (UTF-16, or a binary file?)");
    if (self->options.encoding == CLI_CSV_CP1251) {
        //  Text that reads as valid UTF-8 with non-ASCII characters is UTF-8:
        //  CP1251 Cyrillic letters almost never form valid UTF-8 sequences
        if (!self->encoding_checked && line_start && whole_line
        &&  s_has_high_bytes (text, length)) {
            self->encoding_checked = true;
            if (crmq_utf8_valid (text, length))
                return s_fail (self, self->line_no, "%s", "the text is UTF-8, but the "
                               "encoding is set to cp1251");
        }
        ssize_t converted = s_from_cp1251 (self, text, length);
        if (converted < 0)
            return -1;
        text = self->converted;
        length = (size_t) converted;
    }
    bool blank = line_start && strspn (text, "\r\n") >= length;
    if (!self->record_open && !blank) {
        self->record_open = true;
        self->record_start = self->line_no;
    }
    if (self->record_open) {
        self->record_bytes += length;
        if (self->record_bytes > self->options.max_record) {
            char limit [32];
            snprintf (limit, sizeof limit, "%zu", self->options.max_record);
            return s_fail (self, self->record_start, "a record longer than %s bytes (a huge "
                           "field, or a quote that is never closed?)", limit);
        }
    }
    size_t parsed = csv_parse (&self->parser, text, length, s_on_field, s_on_record, self);
    if (parsed != length)
        return s_fail (self, self->line_no, "%s", csv_strerror (csv_error (&self->parser)));
    return 0;
}

cli_csv_t *
cli_csv_new (const char *path, char *error, size_t error_size)
{
    return cli_csv_new_with (path, NULL, error, error_size);
}

cli_csv_t *
cli_csv_new_with (const char *path, const cli_csv_options_t *options,
                  char *error, size_t error_size)
{
    assert (path);
    cli_csv_options_t settings = { 0 };
    if (options)
        settings = *options;
    if (!settings.delimiter)
        settings.delimiter = ',';
    if (!settings.quote)
        settings.quote = '"';
    if (!settings.max_record)
        settings.max_record = CLI_CSV_MAX_RECORD;
    if (settings.delimiter == settings.quote || strchr ("\r\n", settings.delimiter)
    ||  strchr ("\r\n", settings.quote)) {
        snprintf (error, error_size, "%s: the delimiter and the quote must be two different "
                  "characters, neither a line break", path);
        return NULL;
    }
    cli_csv_t *self = calloc (1, sizeof (cli_csv_t));
    if (!self || !(self->path = strdup (path))) {
        snprintf (error, error_size, "%s: out of memory", path);
        free (self);
        return NULL;
    }
    self->options = settings;
    self->iconv = (iconv_t) -1;
    if (settings.encoding == CLI_CSV_CP1251
    &&  (self->iconv = iconv_open ("UTF-8", "CP1251")) == (iconv_t) -1) {
        snprintf (error, error_size, "%s: cannot convert from CP1251: %s", path, strerror (errno));
        cli_csv_destroy (&self);
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
    //  libcsv grows a field's buffer by this much at a time: the default of
    //  128 bytes makes a field of megabytes cost thousands of copies
    csv_set_blk_size (&self->parser, S_CHUNK);
    csv_set_delim (&self->parser, (unsigned char) settings.delimiter);
    csv_set_quote (&self->parser, (unsigned char) settings.quote);

    int rc = cli_csv_next (self);
    if (rc != 1) {
        if (rc == 0)
            snprintf (error, error_size, "%s: empty file, no header line", path);
        else
            snprintf (error, error_size, "%s", self->error);
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
    if (self->iconv != (iconv_t) -1)
        iconv_close (self->iconv);
    s_record_clear (&self->pending);
    s_record_clear (&self->current);
    s_record_clear (&self->header);
    for (size_t i = self->ready_head; i < self->ready_count; i++)
        s_record_clear (&self->ready [i]);
    free (self->ready);
    free (self->converted);
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

const char *
cli_csv_column_name (cli_csv_t *self, size_t index)
{
    assert (self);
    return index < self->header.count? self->header.fields [index]: NULL;
}

int
cli_csv_next (cli_csv_t *self)
{
    assert (self);
    s_record_clear (&self->current);
    if (self->broken)
        return -1;
    while (self->ready_head == self->ready_count) {
        self->ready_head = self->ready_count = 0;
        if (self->at_end)
            return 0;
        const char *piece;
        ssize_t length = s_read_piece (self, &piece);
        if (length < 0)
            return s_fail (self, self->line_no, "read failed: %s", strerror (errno));
        if (length == 0) {
            self->at_end = true;
            if (csv_fini (&self->parser, s_on_field, s_on_record, self) != 0)
                return s_fail (self, self->record_start, "%s",
                               "a quoted field is not closed by the end of the file");
        }
        else
        if (s_feed (self, piece, (size_t) length) != 0)
            return -1;
        if (self->out_of_memory)
            return s_fail (self, self->line_no, "%s", "out of memory");
        if (self->bad_utf8)
            return s_fail (self, self->bad_utf8_line, "%s", "the text is not valid UTF-8 "
                           "(is the file in another encoding, such as CP1251?)");
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

uint64_t
cli_csv_offset (cli_csv_t *self)
{
    assert (self);
    return self->offset;
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
s_temp_file_of (const char *content, size_t length)
{
    char *path = strdup ("/tmp/cli_csv_test_XXXXXX");
    assert (path);
    int fd = mkstemp (path);
    assert (fd >= 0);
    assert (write (fd, content, length) == (ssize_t) length);
    close (fd);
    return path;
}

static char *
s_temp_file (const char *content)
{
    return s_temp_file_of (content, strlen (content));
}

//  Opens `content` with `options`; expects the error to contain `expected`
//  (at open when `at_open`, else at the first cli_csv_next).
static void
s_expect_error (const char *content, size_t length, const cli_csv_options_t *options,
                bool at_open, const char *expected, bool verbose)
{
    char error [512];
    char *path = s_temp_file_of (content, length);
    cli_csv_t *csv = cli_csv_new_with (path, options, error, sizeof error);
    const char *message = error;
    if (at_open)
        assert (!csv);
    else {
        assert (csv);
        int rc;
        while ((rc = cli_csv_next (csv)) == 1)
            ;
        assert (rc == -1);
        assert (cli_csv_next (csv) == -1);
        message = cli_csv_error (csv);
    }
    if (verbose)
        printf ("    %s\n", message);
    if (!strstr (message, expected))
        printf ("unexpected: %s\n", message);
    assert (strstr (message, expected));
    cli_csv_destroy (&csv);
    unlink (path);
    free (path);
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
    assert (strcmp (cli_csv_column_name (csv, 1), "name") == 0);
    assert (cli_csv_column_name (csv, 3) == NULL);
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
    assert (cli_csv_offset (csv) == 102);
    cli_csv_destroy (&csv);
    cli_csv_destroy (&csv);
    unlink (path);
    free (path);

    //  CP1251 with ';' and a quote inside quotes: "ООО ""Ромашка""";Москва
    cli_csv_options_t cp1251 = { .delimiter = ';', .encoding = CLI_CSV_CP1251 };
    path = s_temp_file ("\xCA\xEE\xE4;\xC8\xEC\xFF\r\n"
                        "1;\"\xCE\xCE\xCE \"\"\xD0\xEE\xEC\xE0\xF8\xEA\xE0\"\"\";x\r\n"
                        "2;\xCC\xEE\xF1\xEA\xE2\xE0 \x88\r\n");
    csv = cli_csv_new_with (path, &cp1251, error, sizeof error);
    assert (csv);
    assert (cli_csv_column (csv, "Код") == 0);
    assert (cli_csv_column (csv, "Имя") == 1);
    assert (cli_csv_next (csv) == 1);
    assert (strcmp (cli_csv_field (csv, 1), "ООО \"Ромашка\"") == 0);
    assert (cli_csv_next (csv) == 1);
    assert (strcmp (cli_csv_field (csv, 1), "Москва €") == 0);
    assert (cli_csv_next (csv) == 0);
    cli_csv_destroy (&csv);
    unlink (path);
    free (path);

    //  A stray quote in an unquoted field is an error with its line
    s_expect_error ("a,b\n1,2\n3,x\"y\n", 14, NULL, false, ":3: ", verbose);
    //  Unterminated quote at the end: the line it opened on
    s_expect_error ("a,b\n1,\"open\n\n\n", 14, NULL, false, ":2: a quoted field is not closed",
                    verbose);
    //  CP1251 text read as UTF-8
    s_expect_error ("a,b\n1,\xCF\xF0\xE8\n", 10, NULL, false,
                    ":2: the text is not valid UTF-8", verbose);
    //  UTF-8 text read as CP1251, and a BOM with CP1251
    s_expect_error ("a;b\n1;Привет", 18, &cp1251, false,
                    ":2: the text is UTF-8, but the encoding is set to cp1251", verbose);
    s_expect_error ("\xEF\xBB\xBF" "a;b\n", 7, &cp1251, true,
                    ":1: the file starts with a UTF-8 byte order mark", verbose);
    //  Byte 0x98 has no character in CP1251
    s_expect_error ("a;b\n1;\x98\n", 8, &cp1251, false, ":2: byte 0x98 is not a CP1251",
                    verbose);
    //  UTF-16 and NUL bytes
    s_expect_error ("\xFF\xFE" "a\0,\0b\0", 8, NULL, true, ":1: the file is UTF-16", verbose);
    s_expect_error ("a,b\n1,x\0y\n", 10, NULL, false, ":2: the file holds NUL bytes", verbose);
    //  A record over the limit, with lines longer than the read buffer
    size_t big = 3 * S_CHUNK;
    char *huge = malloc (big + 16);
    assert (huge);
    memcpy (huge, "a,b\n1,\"", 7);
    memset (huge + 7, 'x', big);
    memcpy (huge + 7 + big, "\"\n", 2);
    cli_csv_options_t small = { .max_record = 2 * S_CHUNK };
    s_expect_error (huge, big + 9, &small, false, ":2: a record longer than 131072 bytes",
                    verbose);
    //  ... which the default limit reads
    path = s_temp_file_of (huge, big + 9);
    csv = cli_csv_new (path, error, sizeof error);
    assert (csv);
    assert (cli_csv_next (csv) == 1);
    assert (strlen (cli_csv_field (csv, 1)) == big);
    assert (cli_csv_next (csv) == 0);
    cli_csv_destroy (&csv);
    unlink (path);
    free (path);
    free (huge);
    //  Same delimiter and quote
    cli_csv_options_t same = { .delimiter = '"' };
    s_expect_error ("a\n", 2, &same, true, "must be two different characters", verbose);

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

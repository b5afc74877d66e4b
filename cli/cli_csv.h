/*  cli_csv.h - reads a CSV file (RFC 4180, header line) with libcsv, one
    record at a time, with the line number each record starts on.

    Fields are kept exactly as written (no trimming of spaces); quoted fields
    may span lines; blank lines are skipped.  The delimiter and the quote
    character can be chosen.  Text comes out as UTF-8:
      - UTF-8 files: a byte order mark at the start is dropped; a field that
        is not valid UTF-8 stops the reader with an error naming the line
        (the file is then probably in another encoding);
      - CP1251 files are converted with iconv; one that turns out to be
        UTF-8 (a byte order mark, or lines that read as valid UTF-8) stops
        the reader with an error, rather than importing mojibake.
    UTF-16 (its byte order marks) and NUL bytes are refused: such a file is
    not text in either encoding.  A record longer than the record limit
    (an unterminated quote that swallows the rest of a file, or a huge
    field) stops the reader with an error, so memory stays bounded.        */
#ifndef CLI_CSV_H_INCLUDED
#define CLI_CSV_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _cli_csv_t cli_csv_t;

typedef enum {
    CLI_CSV_UTF8 = 0,           //  the default
    CLI_CSV_CP1251
} cli_csv_encoding_t;

//  The record limit when the options give none: 4 MiB as read.
#define CLI_CSV_MAX_RECORD (4u << 20)

//  How a file is written.  Zeroed means RFC 4180 in UTF-8.
typedef struct {
    char delimiter;             //  0 = ','
    char quote;                 //  0 = '"'
    cli_csv_encoding_t encoding;
    size_t max_record;          //  bytes of one record as read; 0 = CLI_CSV_MAX_RECORD
} cli_csv_options_t;

//  Opens `path` as RFC 4180 UTF-8 and reads its header record.  Returns
//  NULL when the file cannot be opened or has no header, with a message in
//  `error` (size `error_size`) that names the file.
cli_csv_t *cli_csv_new (const char *path, char *error, size_t error_size);

//  As cli_csv_new, with `options` (NULL = the defaults; copied).  A
//  delimiter or quote that is a line break, NUL, or the same character for
//  both is refused (NULL with the reason in `error`).
cli_csv_t *cli_csv_new_with (const char *path, const cli_csv_options_t *options,
                             char *error, size_t error_size);

//  Closes the file and frees the reader; sets *self_p to NULL; safe on NULL.
void cli_csv_destroy (cli_csv_t **self_p);

//  Index of the header column `name`, or -1 when the header lacks it.
int cli_csv_column (cli_csv_t *self, const char *name);

//  Number of columns in the header, and the name of column `index` (NULL
//  when there is none).
size_t cli_csv_columns (cli_csv_t *self);
const char *cli_csv_column_name (cli_csv_t *self, size_t index);

//  Reads the next record.  Returns 1 when there is one, 0 at the end of the
//  file, -1 on a read, parse or encoding error (cli_csv_error tells, with
//  the line); after -1 the reader only returns -1.
int cli_csv_next (cli_csv_t *self);

//  Number of fields in the current record.
size_t cli_csv_size (cli_csv_t *self);

//  Field `index` of the current record, NUL-terminated UTF-8, owned by the
//  reader until the next cli_csv_next; NULL when the record has no such
//  field (a negative index included, so cli_csv_field (self,
//  cli_csv_column (...)) is safe).
const char *cli_csv_field (cli_csv_t *self, int index);

//  Line (1-based) on which the current record starts.
size_t cli_csv_line (cli_csv_t *self);

//  Bytes of the file read so far (for progress against the file's size).
uint64_t cli_csv_offset (cli_csv_t *self);

//  The path given to cli_csv_new, and its last path component ("orders.csv").
const char *cli_csv_path (cli_csv_t *self);
const char *cli_csv_name (cli_csv_t *self);

//  Message of the last error ("" if none), naming the file and line.
const char *cli_csv_error (cli_csv_t *self);

//  Self-test on temporary files.
void cli_csv_test (bool verbose);

#endif

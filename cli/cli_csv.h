/*  cli_csv.h - reads an RFC 4180 CSV file (UTF-8, header line) with libcsv,
    one record at a time, with the line number each record starts on.

    Fields are kept exactly as written (no trimming of spaces); quoted fields
    may span lines; blank lines are skipped; a UTF-8 byte order mark at the
    start is dropped.                                                         */
#ifndef CLI_CSV_H_INCLUDED
#define CLI_CSV_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef struct _cli_csv_t cli_csv_t;

//  Opens `path` and reads its header record.  Returns NULL when the file
//  cannot be opened or has no header, with a message in `error` (size
//  `error_size`) that names the file.
cli_csv_t *cli_csv_new (const char *path, char *error, size_t error_size);

//  Closes the file and frees the reader; sets *self_p to NULL; safe on NULL.
void cli_csv_destroy (cli_csv_t **self_p);

//  Index of the header column `name`, or -1 when the header lacks it.
int cli_csv_column (cli_csv_t *self, const char *name);

//  Number of columns in the header.
size_t cli_csv_columns (cli_csv_t *self);

//  Reads the next record.  Returns 1 when there is one, 0 at the end of the
//  file, -1 on a read or parse error (cli_csv_error tells, with the line).
int cli_csv_next (cli_csv_t *self);

//  Number of fields in the current record.
size_t cli_csv_size (cli_csv_t *self);

//  Field `index` of the current record, NUL-terminated, owned by the reader
//  until the next cli_csv_next; NULL when the record has no such field (a
//  negative index included, so cli_csv_field (self, cli_csv_column (...))
//  is safe).
const char *cli_csv_field (cli_csv_t *self, int index);

//  Line (1-based) on which the current record starts.
size_t cli_csv_line (cli_csv_t *self);

//  The path given to cli_csv_new, and its last path component ("orders.csv").
const char *cli_csv_path (cli_csv_t *self);
const char *cli_csv_name (cli_csv_t *self);

//  Message of the last error ("" if none), naming the file and line.
const char *cli_csv_error (cli_csv_t *self);

//  Self-test on a temporary file.
void cli_csv_test (bool verbose);

#endif

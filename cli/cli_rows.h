/*  cli_rows.h - the rows of one CSV file read within an import, and their
    fields checked and converted.

    Every accessor that can fail rejects the current row at its file:line
    with a reason (through cli_import_reject) and returns NULL or -1; the
    caller then moves on to the next row.  A row whose field count differs
    from the header's is rejected by cli_rows_next itself.  Strings that
    accessors return (trimmed names, ids without ".0") live until the next
    row.                                                                     */
#ifndef CLI_ROWS_H_INCLUDED
#define CLI_ROWS_H_INCLUDED

#include "cli_csv.h"
#include "cli_field.h"
#include "cli_import.h"

typedef struct _cli_rows_t cli_rows_t;

//  Longest id and name crmq accepts (bytes), as crmq-sales checks them.
#define CLI_ROWS_MAX_ID   100
#define CLI_ROWS_MAX_NAME 300

//  Opens `path` in `options` (NULL = RFC 4180 UTF-8) for `import`
//  (borrowed, must outlive the rows) and checks that its header has every
//  column of `columns` (NULL-terminated; NULL = none).  Returns NULL after
//  printing why ("crmq: FILE: the header has no column "X" (it has: ...)").
cli_rows_t *cli_rows_new (cli_import_t *import, const char *path,
                          const cli_csv_options_t *options, const char *const *columns);

//  Closes the file (its bytes count as read for the progress); sets
//  *self_p to NULL; safe on NULL.
void cli_rows_destroy (cli_rows_t **self_p);

//  Reads the next row.  Returns 1 with a row, 0 at the end of the file, -1
//  when the file cannot be read on (the error, with file:line, is printed).
int cli_rows_next (cli_rows_t *self);

//  Index of the header column `name`, -1 when the header lacks it.
int cli_rows_column (cli_rows_t *self, const char *name);

//  The file's name (its last path component) and the current row's line.
const char *cli_rows_file (cli_rows_t *self);
size_t cli_rows_line (cli_rows_t *self);

//  Field `column` (an index; -1 = a column the file does not have) of the
//  current row as written, "" when missing.  Not checked.
const char *cli_rows_raw (cli_rows_t *self, int column);

//  Free text of field `column`, named `label` in messages: UTF-8 without
//  control characters but tab and line breaks, at most
//  CLI_IMPORT_MAX_TEXT bytes, not empty when `required`.  Returns it, or
//  NULL after rejecting the row.
const char *cli_rows_text (cli_rows_t *self, int column, const char *label, bool required);

//  An id: spaces trimmed; with `integral`, "17850.0" read as "17850"
//  (cli_field_integral_id); then UTF-8 without any control character, at
//  most CLI_ROWS_MAX_ID bytes; "" passes when not `required`.  Returns it,
//  or NULL after rejecting the row.
const char *cli_rows_id (cli_rows_t *self, int column, const char *label, bool required,
                         bool integral);

//  A name: spaces trimmed, then as crmq_name_valid checks names (no
//  control, bidirectional or only invisible characters), at most
//  CLI_ROWS_MAX_NAME bytes; "" passes when not `required`.  Returns it, or
//  NULL after rejecting the row.
const char *cli_rows_name (cli_rows_t *self, int column, const char *label, bool required);

//  A number written in `style` (NULL = "1234.5"; cli_field_number).
//  Returns 0 with *value set, or -1 after rejecting the row ("not a
//  number"; "is empty").
int cli_rows_number (cli_rows_t *self, int column, const char *label,
                     const cli_number_style_t *style, cli_number_t *value);

//  A date or time in the first of `formats` (NULL-terminated, tried in
//  order; NULL = ISO; cli_field_date) that reads it, in `time_zone`; an
//  empty field gives 0 when not `required`.  Returns 0 with *us set, or -1
//  after rejecting the row.
int cli_rows_date (cli_rows_t *self, int column, const char *label, char *const *formats,
                   const char *time_zone, bool required, int64_t *us);

//  Rejects the current row for `reason` with the message `format`
//  (cli_import_reject at this file:line).
void cli_rows_reject (cli_rows_t *self, const char *reason, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Skips the current row on purpose for `reason` (cli_import_skip).
void cli_rows_skip (cli_rows_t *self, const char *reason);

//  Self-test on temporary files, as a dry run.
void cli_rows_test (bool verbose);

#endif

/*  cli_output.h - one writer for every command's output: an aligned table
    for people, CSV (RFC 4180) or JSON for programs.

    Declare the columns, add rows of plain text cells (numbers as plain
    decimal text, "1265793.29"), print.  The writer groups thousands in the
    table, aligns by display width (UTF-8 code points), quotes CSV fields
    that need it (libcsv) and types JSON values by column (jansson).  Money
    and other exact decimals stay strings in JSON.

    Two shapes:
      list   - a header and any number of rows; JSON an array of objects.
      record - one row shown as "label  value" lines in a table, as a header
               and one row in CSV, as one JSON object.
    Footer rows (totals) and the title are shown in the table only.

    A column can be a detail: kept in records, CSV and JSON but left out of
    list tables, which stay narrow enough for a terminal.  A JSON column's
    cells are JSON text (tags, attributes, changes): embedded as values in
    JSON, shown as the text in the table and CSV.                            */
#ifndef CLI_OUTPUT_H_INCLUDED
#define CLI_OUTPUT_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum {
    CLI_FORMAT_TABLE,
    CLI_FORMAT_CSV,
    CLI_FORMAT_JSON
} cli_format_t;

typedef enum {
    CLI_COLUMN_TEXT,        //  left-aligned; JSON string
    CLI_COLUMN_ID,          //  right-aligned, not grouped; JSON integer
    CLI_COLUMN_INTEGER,     //  right-aligned, thousands grouped; JSON integer
    CLI_COLUMN_DECIMAL,     //  right-aligned, thousands grouped; JSON string (exact)
    CLI_COLUMN_JSON         //  left-aligned, the text as is; JSON the value it holds
} cli_column_type_t;

//  A column declared in a static table (cli_output_add_columns).
typedef struct {
    const char *key;            //  CSV header, JSON key
    const char *title;          //  table header or record label
    cli_column_type_t type;
    bool detail;                //  left out of list tables
} cli_column_t;

typedef struct _cli_output_t cli_output_t;

//  Parses "table", "csv" or "json".  Returns 0, or -1 for anything else.
int cli_format_parse (const char *text, cli_format_t *format);

//  Creates an empty writer for `format`, list-shaped.  NULL on out-of-memory.
cli_output_t *cli_output_new (cli_format_t format);

//  As cli_output_new, record-shaped (one row).
cli_output_t *cli_output_new_record (cli_format_t format);

//  Frees the writer and its rows; sets *self_p to NULL; safe on NULL.
void cli_output_destroy (cli_output_t **self_p);

//  Adds a column.  `key` names it in CSV headers and JSON objects
//  ("clients_with_orders"); `title` in the table ("clients with orders").
//  Both are copied.  Columns must all be added before the first row.
//  Returns 0, or -1 on out-of-memory or when rows exist already.
int cli_output_add_column (cli_output_t *self, const char *key, const char *title,
                           cli_column_type_t type);

//  Adds `count` columns from a table, as cli_output_add_column does, with
//  their detail flags.  Returns 0 or -1.
int cli_output_add_columns (cli_output_t *self, const cli_column_t *columns, size_t count);

//  Sets the line printed above the table (copied; table format only).
void cli_output_set_title (cli_output_t *self, const char *title);

//  Makes the writer record-shaped (see above): it then takes one row.
void cli_output_set_record (cli_output_t *self, bool record);

//  Adds a row: `cells` holds one string per column, in column order, copied;
//  a NULL cell is empty (JSON null).  Returns 0, or -1 on out-of-memory or,
//  for a record, a second row.
int cli_output_add_row (cli_output_t *self, const char *const *cells);

//  Adds a footer row (totals), printed under a rule in the table only.
//  Returns 0 or -1 on out-of-memory.
int cli_output_add_footer (cli_output_t *self, const char *const *cells);

//  Number of rows added (footers not counted).
size_t cli_output_rows (cli_output_t *self);

//  Prints everything to `out` in the writer's format.  Returns 0, or -1 when
//  writing failed (errno tells) or JSON could not be built.
int cli_output_print (cli_output_t *self, FILE *out);

//  Prints to stdout for a command: returns CLI_EXIT_OK, or CLI_EXIT_FAILURE
//  after saying on stderr that the output could not be written.
int cli_output_print_stdout (cli_output_t *self);

//  Ends a command's output: prints it to stdout when `built` is true (every
//  column and row was added), else says on stderr that memory ran out; then
//  destroys it (*self_p NULL, which `built` false allows).  Returns
//  CLI_EXIT_OK or CLI_EXIT_FAILURE.
int cli_output_finish (cli_output_t **self_p, bool built);

//  The rows as the JSON format prints them: an array of objects, or one
//  object for a record, typed by column.  For a command that nests them in
//  a larger document.  Returns a new reference (the caller json_decref's
//  it), or NULL on out-of-memory.
json_t *cli_output_json (cli_output_t *self);

//  Prints one record of `count` columns with `cells` to stdout in `format`
//  (a card, a saved item).  Returns CLI_EXIT_OK or CLI_EXIT_FAILURE.
int cli_output_print_record (cli_format_t format, const cli_column_t *columns, size_t count,
                             const char *const *cells);

//  Prints the record { id: `id`, status: `status` } to stdout in `format`,
//  for a write with nothing else to show ("deleted").  Returns CLI_EXIT_OK
//  or CLI_EXIT_FAILURE.
int cli_output_print_status (cli_format_t format, int64_t id, const char *status);

//  JSON text of an array of `count` strings ("[\"vip\",\"опт\"]"), for a JSON
//  column.  Returns a new string (caller frees), or NULL on out-of-memory or
//  text that is not UTF-8.
char *cli_json_strings (char *const *values, size_t count);

//  Compact JSON text of `value` (borrowed), for a JSON column.  Returns a new
//  string (caller frees) or NULL.
char *cli_json_text (json_t *value);

//  Writes `root` (borrowed) as the JSON format does: indented by two, keys in
//  insertion order, and a newline.  Returns 0, or -1 when writing failed.
int cli_json_print (json_t *root, FILE *out);

//  Prints `root` (borrowed) to stdout for a command, when `built` says
//  every part of it was added: returns CLI_EXIT_OK, or CLI_EXIT_FAILURE after
//  saying on stderr that memory ran out or the output could not be written.
int cli_json_print_stdout (json_t *root, bool built);

//  Self-test: prints each shape in each format to a memory stream and checks it.
void cli_output_test (bool verbose);

#endif

/*  report_result.h - builds a ReportResult (proto/analytics.proto): tables
    of typed columns and rows of exact text, notes, and the figures of the
    run.  Every string is copied; the built message is owned by the builder
    until report_result_take hands it over.                                 */
#ifndef REPORT_RESULT_H_INCLUDED
#define REPORT_RESULT_H_INCLUDED

#include "crmq.h"
#include "analytics.pb-c.h"

typedef struct _report_result_t report_result_t;

//  One table of a result, owned by it.
typedef Crmq__ReportTable report_table_t;

//  A result with `title` and the base `currency`.  Never NULL.
report_result_t *report_result_new (const char *title, const char *currency);

//  Frees it and everything built; sets *self_p to NULL; safe on NULL.
void report_result_destroy (report_result_t **self_p);

//  Adds a table: `name` (JSON key), `title`, `chart` (pareto, lines, bars,
//  heatmap or ""), and `columns` as "name:type:Title" strings ending with
//  NULL (types in proto/analytics.proto's ReportColumn).  Returns the table
//  (owned by the result).
report_table_t *report_result_table (report_result_t *self, const char *name,
                                     const char *title, const char *chart,
                                     const char *const *columns);

//  Appends a row of table->n_columns cells (copied; NULL = "").
void report_table_row (report_table_t *table, const char *const *cells);

//  Appends rows [first, first + count) of `pg_result`, the PostgreSQL
//  columns in the table's column order starting at `column` (NULL = "").
void report_table_rows_pg (report_table_t *table, const PGresult *pg_result, int column);

//  Distributes the rows of `pg_result` by their first column, a part
//  number k in 0..count-1: a row of part k goes to tables [k], its cells
//  read from column `column` on (as report_table_rows_pg).  Rows of another
//  part are a programming error (asserted).
void report_table_rows_parts (report_table_t **tables, size_t count, const PGresult *pg_result,
                              int column);

//  The sum of the int column `name` over the table's rows (0 when there is
//  no such column).
int64_t report_table_sum (const report_table_t *table, const char *name);

//  Sets the count of rows the table had before a limit cut it.
void report_table_total_rows (report_table_t *table, int64_t total);

//  Adds a note (printf format) shown with the result.
void report_result_note (report_result_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  The message being built (params, as_of_seq, computed_at_us and cached
//  are set by the caller through it).
Crmq__ReportResult *report_result_message (report_result_t *self);

//  Packs the result into a malloc'd buffer (caller frees) and its size.
uint8_t *report_result_pack (report_result_t *self, size_t *size);

//  Self test.
void report_result_test (bool verbose);

#endif

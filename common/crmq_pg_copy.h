/*  crmq_pg_copy.h - rows for COPY ... FROM STDIN (text format), written
    field by field and streamed to PostgreSQL in chunks of up to 64 KiB, so
    a COPY of any number of rows holds one chunk in memory.

    Fields are escaped as the text format wants (backslash, tab, newline,
    carriage return and other control bytes); NULL is \N; bytea goes as
    \\x and hex.  Every failure (the COPY statement refused, a lost
    connection) is recorded in the crmq_pg_t as for any statement and makes
    crmq_pg_copy_finish fail; a row the server refuses shows there too.    */
#ifndef CRMQ_PG_COPY_H_INCLUDED
#define CRMQ_PG_COPY_H_INCLUDED

#include "crmq_pg.h"
#include <stddef.h>
#include <stdint.h>

typedef struct _crmq_pg_copy_t crmq_pg_copy_t;

//  Runs `sql` (a COPY ... FROM STDIN) on `pg` (borrowed; nothing else may
//  use it until the COPY is finished).  Returns NULL when it failed (see
//  crmq_pg_sqlstate) or on out-of-memory.
crmq_pg_copy_t *crmq_pg_copy_new (crmq_pg_t *pg, const char *sql);

//  Aborts the COPY if it was not finished (the statement fails with
//  "aborted"), frees, sets *self_p to NULL; safe on NULL.
void crmq_pg_copy_destroy (crmq_pg_copy_t **self_p);

//  Appends one field to the current row: text (NULL = SQL NULL), a whole
//  number, or bytes as bytea.
void crmq_pg_copy_text (crmq_pg_copy_t *self, const char *value);
void crmq_pg_copy_int (crmq_pg_copy_t *self, int64_t value);
void crmq_pg_copy_bytea (crmq_pg_copy_t *self, const uint8_t *data, size_t size);

//  Ends the current row.
void crmq_pg_copy_end_row (crmq_pg_copy_t *self);

//  Sends what is left and ends the COPY.  Returns 0, or -1 (recorded in the
//  crmq_pg_t).  Destroys the copy and sets *self_p to NULL either way.
int crmq_pg_copy_finish (crmq_pg_copy_t **self_p);

//  Rows written so far.
size_t crmq_pg_copy_rows (crmq_pg_copy_t *self);

//  Self-test; with CRMQ_PG_URL set, round-trips rows through PostgreSQL.
void crmq_pg_copy_test (bool verbose);

#endif

/*  crmq_pg.h - the one libpq wrapper.

    Parameters only (never spliced SQL text).  Keeps the SQLSTATE and message
    of the last failure.  A failure of class 08 (or a dead connection) marks
    the connection lost; the next call reconnects, no sooner than a jittered
    exponential backoff allows (100 ms doubling to 5 s, each wait drawn from
    [d/2, d]).  While it cannot reconnect, calls fail fast with SQLSTATE 08006
    and crmq_pg_status() gives CRMQ_UNAVAILABLE.  A transaction is retried,
    whole, on serialization failure (40001) and deadlock (40P01) only.       */
#ifndef CRMQ_PG_H_INCLUDED
#define CRMQ_PG_H_INCLUDED

#include <libpq-fe.h>
#include <stdbool.h>

typedef struct _crmq_pg_t crmq_pg_t;

//  Creates a wrapper for `conninfo` (URI or key=value) and tries to connect
//  once.  Returns NULL only on out-of-memory: a failed first connection is
//  retried by later calls.  Sets application_name to `application_name`.
crmq_pg_t *crmq_pg_new (const char *conninfo, const char *application_name);

//  Closes the connection, frees the wrapper, sets *self_p to NULL; safe on NULL.
void crmq_pg_destroy (crmq_pg_t **self_p);

//  Makes sure there is a live connection, reconnecting if the backoff allows.
//  Returns true when connected.
bool crmq_pg_ensure (crmq_pg_t *self);

//  Runs one statement with text parameters (`values[i]` NULL = SQL NULL).
//  Returns the result when its status is COMMAND_OK or TUPLES_OK, the caller
//  owning it (PQclear); NULL on any failure, with crmq_pg_sqlstate() and
//  crmq_pg_error() telling why.
PGresult *crmq_pg_exec (crmq_pg_t *self, const char *sql, int nparams, const char *const *values);

//  As crmq_pg_exec with lengths and formats per parameter (1 = binary), for
//  bytea parameters.  NULL `lengths`/`formats` mean all text.
PGresult *crmq_pg_execv (crmq_pg_t *self, const char *sql, int nparams, const char *const *values,
                         const int *lengths, const int *formats);

//  Runs a statement that returns nothing of interest; 0 on success, -1 on failure.
int crmq_pg_command (crmq_pg_t *self, const char *sql, int nparams, const char *const *values);

//  COPY ... FROM STDIN, streamed: copy_begin runs the COPY statement `sql`;
//  copy_put sends `size` bytes of its data (any cut, rows need not be
//  whole); copy_end finishes it (abort_reason NULL) or makes it fail with
//  that reason, and reads its result.  Each returns 0, or -1 with the
//  failure recorded as for any statement (a row the server refuses shows at
//  copy_end).  After copy_begin succeeded, call copy_end whatever happens.
int crmq_pg_copy_begin (crmq_pg_t *self, const char *sql);
int crmq_pg_copy_put (crmq_pg_t *self, const void *data, size_t size);
int crmq_pg_copy_end (crmq_pg_t *self, const char *abort_reason);

//  Body of a transaction.  Returns 0 to commit; a positive crmq status code to
//  roll back and report that code; -1 after a failed crmq_pg_* call (roll
//  back; the SQLSTATE decides whether the transaction is retried).
typedef int (crmq_pg_tx_fn) (crmq_pg_t *pg, void *arg);

//  Runs BEGIN, fn, COMMIT.  fn may run more than once (on 40001/40P01, up to
//  5 attempts), so it must reset whatever it builds up in `arg`.
//  Returns 0 when committed, fn's positive code, or -1 on a database failure
//  (see crmq_pg_sqlstate, crmq_pg_status).
int crmq_pg_transaction (crmq_pg_t *self, crmq_pg_tx_fn *fn, void *arg);

//  SQLSTATE of the last failure ("" if none).  Owned by the wrapper.
const char *crmq_pg_sqlstate (crmq_pg_t *self);

//  Message of the last failure: the server's primary message, one line
//  ("duplicate key value violates unique constraint ..."), or libpq's text for
//  a connection failure; "" if none.  Owned by the wrapper.
const char *crmq_pg_error (crmq_pg_t *self);

//  The crmq status code that the last failure should be reported as:
//  08xxx -> UNAVAILABLE, 23505 -> ALREADY_EXISTS, 23503 -> NOT_FOUND,
//  22xxx and 23514 -> INVALID_ARGUMENT, 57014 -> DEADLINE_EXCEEDED,
//  anything else -> INTERNAL.
int crmq_pg_status (crmq_pg_t *self);

//  The live libpq connection, or NULL when lost.  Do not PQfinish it.
PGconn *crmq_pg_conn (crmq_pg_t *self);

//  Self-test; needs CRMQ_PG_URL of a throw-away database, skipped without it.
void crmq_pg_test (bool verbose);

#endif

/*  report_query.h - a report's SQL statement built piece by piece, with
    every value passed as a parameter ($1, $2, ...), never spliced into the
    text.  Only fixed SQL from the report code goes into the text.          */
#ifndef REPORT_QUERY_H_INCLUDED
#define REPORT_QUERY_H_INCLUDED

#include "crmq.h"

#define REPORT_QUERY_PARAMS_MAX 256

typedef struct _report_query_t report_query_t;

//  A new, empty statement.  Never NULL (aborts on memory exhaustion).
report_query_t *report_query_new (void);

//  Frees it; sets *self_p to NULL; safe on NULL.
void report_query_destroy (report_query_t **self_p);

//  Appends SQL text (printf format: only for fixed fragments and numbers the
//  code chose, never input).
void report_query_add (report_query_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Adds `value` (copied) as the next parameter and returns its placeholder,
//  "$N", valid until the query is destroyed.  Returns "NULL" (SQL) for a
//  NULL value.  More than REPORT_QUERY_PARAMS_MAX parameters is a
//  programming error (asserted).
const char *report_query_param (report_query_t *self, const char *value);

//  Adds a text[] parameter holding `values` and returns its placeholder
//  ("$N::text[]").
const char *report_query_param_array (report_query_t *self, char *const *values, size_t count);

//  The statement's text so far.
const char *report_query_text (report_query_t *self);

//  Runs the statement on `pg`.  Returns the result (caller PQclears) or NULL
//  after a failed statement (crmq_pg_error tells why).
PGresult *report_query_exec (report_query_t *self, crmq_pg_t *pg);

//  Self test.
void report_query_test (bool verbose);

#endif

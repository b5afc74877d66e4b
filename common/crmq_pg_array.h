/*  crmq_pg_array.h - builds PostgreSQL array literals ('{"a","b\"c"}') to pass
    many values as one text parameter ($1::text[], $2::numeric[]), so a batch
    is one statement with unnest() instead of one statement per row.         */
#ifndef CRMQ_PG_ARRAY_H_INCLUDED
#define CRMQ_PG_ARRAY_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _crmq_pg_array_t crmq_pg_array_t;

//  Creates an empty array literal.  Never returns NULL (aborts on no memory).
crmq_pg_array_t *crmq_pg_array_new (void);

//  Frees it; sets *self_p to NULL; safe on NULL.
void crmq_pg_array_destroy (crmq_pg_array_t **self_p);

//  Appends one element, quoted and escaped; NULL appends SQL NULL.
void crmq_pg_array_append (crmq_pg_array_t *self, const char *value);

//  Appends units + nanos / 1e9 as an exact decimal ("12.5"), for numeric[]
//  parameters of money, quantities and rates.
void crmq_pg_array_append_decimal (crmq_pg_array_t *self, int64_t units, int32_t nanos);

//  The literal so far ("{}" when empty).  Owned by the array; valid until the
//  next append.
const char *crmq_pg_array_text (crmq_pg_array_t *self);

//  Number of elements appended.
size_t crmq_pg_array_size (crmq_pg_array_t *self);

//  Self-test; with CRMQ_PG_URL set, also round-trips through PostgreSQL.
void crmq_pg_array_test (bool verbose);

#endif

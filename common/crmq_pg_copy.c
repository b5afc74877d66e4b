/*  crmq_pg_copy.c - COPY rows streamed; see crmq_pg_copy.h.  */
#include "crmq.h"
#include "crmq_pg_copy.h"

#define S_CHUNK  65536              //  bytes sent to the server at a time

struct _crmq_pg_copy_t {
    crmq_pg_t *pg;                  //  borrowed
    char buffer [S_CHUNK];
    size_t used;
    bool row_started;               //  a field was written in this row
    bool failed;                    //  a send failed: finish fails
    size_t rows;
};

crmq_pg_copy_t *
crmq_pg_copy_new (crmq_pg_t *pg, const char *sql)
{
    assert (pg && sql);
    crmq_pg_copy_t *self = (crmq_pg_copy_t *) malloc (sizeof (crmq_pg_copy_t));
    if (!self)
        return NULL;
    self->pg = pg;
    self->used = 0;
    self->row_started = false;
    self->failed = false;
    self->rows = 0;
    if (crmq_pg_copy_begin (pg, sql) != 0) {
        free (self);
        return NULL;
    }
    return self;
}

void
crmq_pg_copy_destroy (crmq_pg_copy_t **self_p)
{
    assert (self_p);
    crmq_pg_copy_t *self = *self_p;
    if (!self)
        return;
    crmq_pg_copy_end (self->pg, "aborted");
    free (self);
    *self_p = NULL;
}

//  Sends the buffer.
static void
s_flush (crmq_pg_copy_t *self)
{
    if (self->used && !self->failed && crmq_pg_copy_put (self->pg, self->buffer, self->used) != 0)
        self->failed = true;
    self->used = 0;
}

//  Room for `size` more bytes (size <= S_CHUNK).
static char *
s_room (crmq_pg_copy_t *self, size_t size)
{
    if (self->used + size > S_CHUNK)
        s_flush (self);
    return self->buffer + self->used;
}

//  The tab between fields.
static void
s_separate (crmq_pg_copy_t *self)
{
    if (self->row_started) {
        *s_room (self, 1) = '\t';
        self->used++;
    }
    self->row_started = true;
}

void
crmq_pg_copy_text (crmq_pg_copy_t *self, const char *value)
{
    assert (self);
    s_separate (self);
    if (!value) {
        memcpy (s_room (self, 2), "\\N", 2);
        self->used += 2;
        return;
    }
    for (const unsigned char *c = (const unsigned char *) value; *c; c++) {
        char *out = s_room (self, 4);
        if (*c == '\\' || *c == '\t' || *c == '\n' || *c == '\r') {
            out [0] = '\\';
            out [1] = *c == '\\'? '\\': *c == '\t'? 't': *c == '\n'? 'n': 'r';
            self->used += 2;
        }
        else
        if (*c < 0x20 || *c == 0x7f) {
            snprintf (out, 5, "\\%03o", *c);
            self->used += 4;
        }
        else {
            out [0] = (char) *c;
            self->used++;
        }
    }
}

void
crmq_pg_copy_int (crmq_pg_copy_t *self, int64_t value)
{
    assert (self);
    s_separate (self);
    self->used += (size_t) snprintf (s_room (self, 24), 24, "%" PRId64, value);
}

void
crmq_pg_copy_bytea (crmq_pg_copy_t *self, const uint8_t *data, size_t size)
{
    static const char hex [] = "0123456789abcdef";
    assert (self);
    s_separate (self);
    //  bytea's own "\x" with its backslash escaped for the text format
    memcpy (s_room (self, 3), "\\\\x", 3);
    self->used += 3;
    for (size_t i = 0; i < size; i++) {
        char *out = s_room (self, 2);
        out [0] = hex [data [i] >> 4];
        out [1] = hex [data [i] & 15];
        self->used += 2;
    }
}

void
crmq_pg_copy_end_row (crmq_pg_copy_t *self)
{
    assert (self);
    *s_room (self, 1) = '\n';
    self->used++;
    self->row_started = false;
    self->rows++;
}

int
crmq_pg_copy_finish (crmq_pg_copy_t **self_p)
{
    assert (self_p && *self_p);
    crmq_pg_copy_t *self = *self_p;
    s_flush (self);
    bool failed = self->failed;
    int rc = crmq_pg_copy_end (self->pg, failed? "sending the rows failed": NULL);
    free (self);
    *self_p = NULL;
    return failed? -1: rc;
}

size_t
crmq_pg_copy_rows (crmq_pg_copy_t *self)
{
    assert (self);
    return self->rows;
}

//  --------------------------------------------------------------------------
//  Self-test

void
crmq_pg_copy_test (bool verbose)
{
    printf (" * crmq_pg_copy: ");
    const char *url = getenv ("CRMQ_PG_URL");
    if (!url) {
        printf ("skipped (no CRMQ_PG_URL)\n");
        return;
    }
    crmq_pg_t *pg = crmq_pg_new (url, "crmq-selftest");
    assert (pg);
    int rc = crmq_pg_command (pg, "CREATE TEMP TABLE crmq_pg_copy_test"
                                  " (n bigint PRIMARY KEY, t text, b bytea)", 0, NULL);
    assert (rc == 0);
    //  A refused statement
    assert (crmq_pg_copy_new (pg, "COPY no_such_table FROM STDIN") == NULL);
    assert (streq (crmq_pg_sqlstate (pg), "42P01"));

    //  Text that needs escaping, NULLs, bytea, and more rows than one chunk
    static const char *texts [] = {
        "plain", "back\\slash", "tab\there", "line\nbreak\r", "\x01\x1f\x7f", "Ромашка", "\\N", NULL
    };
    const uint8_t bytes [4] = { 0x00, 0x5c, 0xff, 0x0a };
    crmq_pg_copy_t *copy = crmq_pg_copy_new (pg, "COPY crmq_pg_copy_test (n, t, b) FROM STDIN");
    assert (copy);
    for (int64_t n = 0; n < 20000; n++) {
        crmq_pg_copy_int (copy, n - 10000);
        crmq_pg_copy_text (copy, texts [n % 8]);
        crmq_pg_copy_bytea (copy, bytes, (size_t) (n % 5));
        crmq_pg_copy_end_row (copy);
    }
    assert (crmq_pg_copy_rows (copy) == 20000);
    rc = crmq_pg_copy_finish (&copy);
    assert (rc == 0 && copy == NULL);
    PGresult *result = crmq_pg_exec (pg, "SELECT n, t, encode (b, 'hex') FROM crmq_pg_copy_test"
                                         " WHERE n BETWEEN -10000 AND -9991 ORDER BY n", 0, NULL);
    assert (result && PQntuples (result) == 10);
    for (int row = 0; row < 10; row++) {
        const char *text = texts [row % 8];
        if (text)
            assert (streq (PQgetvalue (result, row, 1), text));
        else
            assert (PQgetisnull (result, row, 1));
    }
    assert (streq (PQgetvalue (result, 4, 2), "005cff0a"));
    assert (streq (PQgetvalue (result, 2, 2), "005c"));
    PQclear (result);
    long long count = 0;
    result = crmq_pg_exec (pg, "SELECT count (*) FROM crmq_pg_copy_test", 0, NULL);
    count = atoll (PQgetvalue (result, 0, 0));
    PQclear (result);
    assert (count == 20000);

    //  A row the server refuses fails at finish, and the connection goes on
    copy = crmq_pg_copy_new (pg, "COPY crmq_pg_copy_test (n, t) FROM STDIN");
    assert (copy);
    crmq_pg_copy_int (copy, 1);
    crmq_pg_copy_text (copy, "again");
    crmq_pg_copy_end_row (copy);
    assert (crmq_pg_copy_finish (&copy) == -1);
    assert (streq (crmq_pg_sqlstate (pg), "23505"));
    //  Destroyed unfinished: aborted
    copy = crmq_pg_copy_new (pg, "COPY crmq_pg_copy_test (n, t) FROM STDIN");
    assert (copy);
    crmq_pg_copy_int (copy, 99999);
    crmq_pg_copy_text (copy, "never");
    crmq_pg_copy_end_row (copy);
    crmq_pg_copy_destroy (&copy);
    crmq_pg_copy_destroy (&copy);
    result = crmq_pg_exec (pg, "SELECT count (*) FROM crmq_pg_copy_test", 0, NULL);
    assert (result && atoll (PQgetvalue (result, 0, 0)) == 20000);
    PQclear (result);
    if (verbose)
        printf ("(20,000 rows round-tripped) ");
    crmq_pg_destroy (&pg);
    printf ("OK\n");
}

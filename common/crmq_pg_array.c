/*  crmq_pg_array.c - array literals; see crmq_pg_array.h.  */
#include "crmq.h"
#include "crmq_pg_array.h"

struct _crmq_pg_array_t {
    char *text;                     //  "{" elements, without the closing "}"
    size_t length;
    size_t capacity;
    size_t count;
    bool closed;                    //  text ends with "}" (after crmq_pg_array_text)
};

crmq_pg_array_t *
crmq_pg_array_new (void)
{
    crmq_pg_array_t *self = (crmq_pg_array_t *) zmalloc (sizeof (crmq_pg_array_t));
    self->capacity = 64;
    self->text = (char *) zmalloc (self->capacity);
    self->text [self->length++] = '{';
    return self;
}

void
crmq_pg_array_destroy (crmq_pg_array_t **self_p)
{
    if (*self_p) {
        free ((*self_p)->text);
        free (*self_p);
        *self_p = NULL;
    }
}

//  Makes room for `more` bytes plus the closing "}" and NUL.
static void
s_reserve (crmq_pg_array_t *self, size_t more)
{
    if (self->length + more + 2 <= self->capacity)
        return;
    while (self->length + more + 2 > self->capacity)
        self->capacity *= 2;
    self->text = (char *) realloc (self->text, self->capacity);
    assert (self->text);
}

void
crmq_pg_array_append (crmq_pg_array_t *self, const char *value)
{
    if (self->closed) {
        self->length--;             //  drop the "}" added by crmq_pg_array_text
        self->closed = false;
    }
    size_t worst = value? 2 * strlen (value) + 3: 5;
    s_reserve (self, worst);
    if (self->count++)
        self->text [self->length++] = ',';
    if (!value) {
        memcpy (self->text + self->length, "NULL", 4);
        self->length += 4;
        return;
    }
    self->text [self->length++] = '"';
    for (const char *s = value; *s; s++) {
        if (*s == '"' || *s == '\\')
            self->text [self->length++] = '\\';
        self->text [self->length++] = *s;
    }
    self->text [self->length++] = '"';
}

void
crmq_pg_array_append_decimal (crmq_pg_array_t *self, int64_t units, int32_t nanos)
{
    char number [48];
    crmq_decimal_format (units, nanos, number, sizeof number);
    crmq_pg_array_append (self, number);
}

const char *
crmq_pg_array_text (crmq_pg_array_t *self)
{
    if (!self->closed) {
        self->text [self->length++] = '}';
        self->closed = true;
    }
    self->text [self->length] = 0;
    return self->text;
}

size_t
crmq_pg_array_size (crmq_pg_array_t *self)
{
    return self->count;
}

void
crmq_pg_array_test (bool verbose)
{
    if (verbose)
        printf (" * crmq_pg_array: ");
    crmq_pg_array_t *array = crmq_pg_array_new ();
    assert (streq (crmq_pg_array_text (array), "{}"));
    crmq_pg_array_append (array, "a");
    crmq_pg_array_append (array, "b\"c\\d");
    crmq_pg_array_append (array, NULL);
    assert (streq (crmq_pg_array_text (array), "{\"a\",\"b\\\"c\\\\d\",NULL}"));
    crmq_pg_array_append (array, "Ромашка, {x}");
    const char *text = crmq_pg_array_text (array);
    assert (streq (text, "{\"a\",\"b\\\"c\\\\d\",NULL,\"Ромашка, {x}\"}"));
    assert (crmq_pg_array_size (array) == 4);

    crmq_pg_array_t *decimals = crmq_pg_array_new ();
    crmq_pg_array_append_decimal (decimals, 12, 500000000);
    crmq_pg_array_append_decimal (decimals, -1, -50);
    assert (streq (crmq_pg_array_text (decimals), "{\"12.5\",\"-1.00000005\"}"));
    crmq_pg_array_destroy (&decimals);

    const char *url = getenv ("CRMQ_PG_URL");
    if (url) {
        crmq_pg_t *pg = crmq_pg_new (url, "crmq-selftest");
        const char *values [1] = { text };
        PGresult *result = crmq_pg_exec (pg,
            "SELECT x FROM unnest($1::text[]) WITH ORDINALITY AS t(x, n) ORDER BY n", 1, values);
        assert (result);
        assert (PQntuples (result) == 4);
        assert (streq (PQgetvalue (result, 1, 0), "b\"c\\d"));
        assert (PQgetisnull (result, 2, 0));
        assert (streq (PQgetvalue (result, 3, 0), "Ромашка, {x}"));
        PQclear (result);
        crmq_pg_destroy (&pg);
    }
    crmq_pg_array_destroy (&array);
    crmq_pg_array_destroy (&array);
    if (verbose)
        printf ("OK\n");
}

/*  report_query.c - parameterised report statements; see report_query.h.  */
#include "report_query.h"

#include <stdarg.h>

struct _report_query_t {
    char *text;                     //  the statement, NUL-terminated
    size_t length, capacity;
    char *values [REPORT_QUERY_PARAMS_MAX];
    int count;
    char placeholders [REPORT_QUERY_PARAMS_MAX][24];
};

report_query_t *
report_query_new (void)
{
    report_query_t *self = (report_query_t *) zmalloc (sizeof (report_query_t));
    self->capacity = 1024;
    self->text = (char *) zmalloc (self->capacity);
    return self;
}

void
report_query_destroy (report_query_t **self_p)
{
    report_query_t *self = *self_p;
    if (self) {
        for (int i = 0; i < self->count; i++)
            free (self->values [i]);
        free (self->text);
        free (self);
        *self_p = NULL;
    }
}

void
report_query_add (report_query_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    int needed = vsnprintf (NULL, 0, format, args);
    va_end (args);
    assert (needed >= 0);
    while (self->length + (size_t) needed + 1 > self->capacity) {
        self->capacity *= 2;
        self->text = (char *) realloc (self->text, self->capacity);
        assert (self->text);
    }
    va_start (args, format);
    vsnprintf (self->text + self->length, self->capacity - self->length, format, args);
    va_end (args);
    self->length += (size_t) needed;
}

//  Takes ownership of `value` (may be NULL) as the next parameter.
static const char *
s_take (report_query_t *self, char *value, const char *cast)
{
    assert (self->count < REPORT_QUERY_PARAMS_MAX);
    int index = self->count++;
    self->values [index] = value;
    snprintf (self->placeholders [index], sizeof self->placeholders [index], "$%d%s",
              index + 1, cast);
    return self->placeholders [index];
}

const char *
report_query_param (report_query_t *self, const char *value)
{
    if (!value)
        return "NULL";
    return s_take (self, strdup (value), "");
}

const char *
report_query_param_array (report_query_t *self, char *const *values, size_t count)
{
    crmq_pg_array_t *array = crmq_pg_array_new ();
    for (size_t i = 0; i < count; i++)
        crmq_pg_array_append (array, values [i]);
    const char *placeholder = s_take (self, strdup (crmq_pg_array_text (array)), "::text[]");
    crmq_pg_array_destroy (&array);
    return placeholder;
}

const char *
report_query_text (report_query_t *self)
{
    return self->text;
}

PGresult *
report_query_exec (report_query_t *self, crmq_pg_t *pg)
{
    return crmq_pg_exec (pg, self->text, self->count, (const char *const *) self->values);
}

void
report_query_test (bool verbose)
{
    printf (" * report_query: ");
    if (verbose)
        printf ("\n");
    report_query_t *query = report_query_new ();
    report_query_add (query, "SELECT %s", report_query_param (query, "it's"));
    report_query_add (query, ", %s", report_query_param (query, NULL));
    char *values [] = { "a", "b\"c", "Кириллица" };
    report_query_add (query, ", %s", report_query_param_array (query, values, 3));
    for (int i = 0; i < 300; i++)
        report_query_add (query, " ");
    assert (strncmp (report_query_text (query), "SELECT $1, NULL, $2::text[] ", 28) == 0);
    assert (query->count == 2);
    assert (streq (query->values [0], "it's"));
    assert (streq (query->values [1], "{\"a\",\"b\\\"c\",\"Кириллица\"}"));
    report_query_destroy (&query);
    report_query_destroy (&query);
    printf ("OK\n");
}

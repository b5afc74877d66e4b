/*  report_result.c - ReportResult builder; see report_result.h.

    Every part of the message is allocated on its own with malloc, so that
    protobuf_c_message_free_unpacked (with the default allocator) frees the
    whole tree, as it frees an unpacked message.                            */
#include "report_result.h"

#include <stdarg.h>

struct _report_result_t {
    Crmq__ReportResult *message;
};

//  Makes room for one more element in an array of n pointers, doubling at
//  powers of two.
static void *
s_grow (void *array, size_t n, size_t size)
{
    if (n == 0 || (n & (n - 1)) == 0) {
        array = realloc (array, (n? 2 * n: 4) * size);
        assert (array);
    }
    return array;
}

static char *
s_strdup (const char *text)
{
    char *copy = strdup (text? text: "");
    assert (copy);
    return copy;
}

//  A copy of a cell, whole numbers of money and share columns written at
//  their scale ("0" -> "0.00", "1" -> "1.000000000"): SQL gives a bare 0
//  for an empty sum.  Other text is copied as it is.
static char *
s_cell (const char *type, const char *text)
{
    text = text? text: "";
    int scale = streq (type, "money")? 2: streq (type, "share")? 9: 0;
    size_t digits = strspn (text + (*text == '-'), "0123456789");
    if (scale == 0 || digits == 0 || text [(*text == '-') + digits] != 0)
        return s_strdup (text);
    char *padded = (char *) malloc (strlen (text) + (size_t) scale + 2);
    assert (padded);
    sprintf (padded, "%s.%0*d", text, scale, 0);
    return padded;
}

report_result_t *
report_result_new (const char *title, const char *currency)
{
    report_result_t *self = (report_result_t *) zmalloc (sizeof (report_result_t));
    self->message = (Crmq__ReportResult *) zmalloc (sizeof (Crmq__ReportResult));
    crmq__report_result__init (self->message);
    self->message->title = s_strdup (title);
    self->message->currency = s_strdup (currency);
    return self;
}

void
report_result_destroy (report_result_t **self_p)
{
    report_result_t *self = *self_p;
    if (self) {
        if (self->message)
            protobuf_c_message_free_unpacked (&self->message->base, NULL);
        free (self);
        *self_p = NULL;
    }
}

report_table_t *
report_result_table (report_result_t *self, const char *name, const char *title,
                     const char *chart, const char *const *columns)
{
    Crmq__ReportTable *table = (Crmq__ReportTable *) zmalloc (sizeof (Crmq__ReportTable));
    crmq__report_table__init (table);
    table->name = s_strdup (name);
    table->title = s_strdup (title);
    table->chart = s_strdup (chart);
    for (size_t i = 0; columns [i]; i++) {
        Crmq__ReportColumn *column = (Crmq__ReportColumn *) zmalloc (sizeof (Crmq__ReportColumn));
        crmq__report_column__init (column);
        //  "name:type:Title"
        const char *type = strchr (columns [i], ':');
        assert (type);
        const char *title_text = strchr (type + 1, ':');
        assert (title_text);
        column->name = strndup (columns [i], (size_t) (type - columns [i]));
        column->type = strndup (type + 1, (size_t) (title_text - type - 1));
        column->title = s_strdup (title_text + 1);
        table->columns = (Crmq__ReportColumn **) s_grow (table->columns, table->n_columns,
                                                          sizeof (void *));
        table->columns [table->n_columns++] = column;
    }
    Crmq__ReportResult *message = self->message;
    message->tables = (Crmq__ReportTable **) s_grow (message->tables, message->n_tables,
                                                      sizeof (void *));
    message->tables [message->n_tables++] = table;
    return table;
}

void
report_table_row (report_table_t *table, const char *const *cells)
{
    Crmq__ReportRow *row = (Crmq__ReportRow *) zmalloc (sizeof (Crmq__ReportRow));
    crmq__report_row__init (row);
    row->n_cells = table->n_columns;
    row->cells = (char **) zmalloc ((row->n_cells? row->n_cells: 1) * sizeof (char *));
    for (size_t i = 0; i < row->n_cells; i++)
        row->cells [i] = s_cell (table->columns [i]->type, cells [i]);
    table->rows = (Crmq__ReportRow **) s_grow (table->rows, table->n_rows, sizeof (void *));
    table->rows [table->n_rows++] = row;
    if (table->total_rows < (int64_t) table->n_rows)
        table->total_rows = (int64_t) table->n_rows;
}

void
report_table_rows_pg (report_table_t *table, const PGresult *pg_result, int column)
{
    const char *cells [64];
    assert (table->n_columns <= 64);
    assert (PQnfields (pg_result) >= column + (int) table->n_columns);
    for (int row = 0; row < PQntuples (pg_result); row++) {
        for (size_t i = 0; i < table->n_columns; i++)
            cells [i] = PQgetvalue (pg_result, row, column + (int) i);
        report_table_row (table, cells);
    }
}

void
report_table_rows_parts (report_table_t **tables, size_t count, const PGresult *pg_result,
                         int column)
{
    const char *cells [64];
    for (int row = 0; row < PQntuples (pg_result); row++) {
        long part = strtol (PQgetvalue (pg_result, row, 0), NULL, 10);
        assert (part >= 0 && (size_t) part < count);
        report_table_t *table = tables [part];
        assert (table->n_columns <= 64);
        assert (PQnfields (pg_result) >= column + (int) table->n_columns);
        for (size_t i = 0; i < table->n_columns; i++)
            cells [i] = PQgetvalue (pg_result, row, column + (int) i);
        report_table_row (table, cells);
    }
}

int64_t
report_table_sum (const report_table_t *table, const char *name)
{
    int64_t sum = 0;
    for (size_t i = 0; i < table->n_columns; i++)
        if (streq (table->columns [i]->name, name))
            for (size_t row = 0; row < table->n_rows; row++)
                sum += strtoll (table->rows [row]->cells [i], NULL, 10);
    return sum;
}

void
report_table_total_rows (report_table_t *table, int64_t total)
{
    table->total_rows = total;
}

void
report_result_note (report_result_t *self, const char *format, ...)
{
    char *note = NULL;
    va_list args;
    va_start (args, format);
    int rc = vasprintf (&note, format, args);
    va_end (args);
    assert (rc >= 0);
    Crmq__ReportResult *message = self->message;
    message->notes = (char **) s_grow (message->notes, message->n_notes, sizeof (void *));
    message->notes [message->n_notes++] = note;
}

Crmq__ReportResult *
report_result_message (report_result_t *self)
{
    return self->message;
}

uint8_t *
report_result_pack (report_result_t *self, size_t *size)
{
    *size = protobuf_c_message_get_packed_size (&self->message->base);
    uint8_t *packed = (uint8_t *) malloc (*size? *size: 1);
    assert (packed);
    protobuf_c_message_pack (&self->message->base, packed);
    return packed;
}

void
report_result_test (bool verbose)
{
    printf (" * report_result: ");
    if (verbose)
        printf ("\n");
    report_result_t *result = report_result_new ("ABC analysis", "USD");
    static const char *columns [] = { "abc_class:class:Class", "clients:int:Clients", NULL };
    report_table_t *table = report_result_table (result, "classes", "Classes", "bars", columns);
    for (int i = 0; i < 9; i++) {
        const char *cells [] = { "A", i % 2? "12": NULL };
        report_table_row (table, cells);
    }
    report_result_note (result, "costs missing for %d lines", 3);
    static const char *money_columns [] = { "value:money:V", "share:share:S", "n:int:N", NULL };
    report_table_t *money = report_result_table (result, "money", "Money", "", money_columns);
    const char *zeros [] = { "0", "-1", "0" };
    report_table_row (money, zeros);
    const char *exact [] = { "12.50", "0.5", "" };
    report_table_row (money, exact);
    assert (streq (money->rows [0]->cells [0], "0.00"));
    assert (streq (money->rows [0]->cells [1], "-1.000000000"));
    assert (streq (money->rows [0]->cells [2], "0"));
    assert (streq (money->rows [1]->cells [0], "12.50"));
    assert (streq (money->rows [1]->cells [1], "0.5"));
    assert (streq (money->rows [1]->cells [2], ""));
    size_t size;
    uint8_t *packed = report_result_pack (result, &size);
    Crmq__ReportResult *copy = crmq__report_result__unpack (NULL, size, packed);
    assert (copy);
    assert (streq (copy->title, "ABC analysis"));
    assert (copy->n_tables == 2);
    assert (copy->tables [0]->n_columns == 2);
    assert (streq (copy->tables [0]->columns [1]->type, "int"));
    assert (streq (copy->tables [0]->columns [1]->title, "Clients"));
    assert (copy->tables [0]->n_rows == 9);
    assert (copy->tables [0]->total_rows == 9);
    assert (streq (copy->tables [0]->rows [8]->cells [1], ""));
    assert (streq (copy->tables [0]->rows [7]->cells [1], "12"));
    assert (copy->n_notes == 1 && streq (copy->notes [0], "costs missing for 3 lines"));
    crmq__report_result__free_unpacked (copy, NULL);
    free (packed);
    report_result_destroy (&result);
    report_result_destroy (&result);
    printf ("OK\n");
}

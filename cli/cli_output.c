/*  cli_output.c - table, CSV and JSON writer for the crmq commands.  */
#include "cli_output.h"
#include "cli_common.h"

#include <assert.h>
#include <csv.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *key;
    char *title;
    cli_column_type_t type;
    bool detail;
} s_column_t;

//  A growable list of rows; each row an array of `columns` strings (or NULL).
typedef struct {
    char ***rows;
    size_t size;
    size_t capacity;
} s_rows_t;

struct _cli_output_t {
    cli_format_t format;
    bool record;
    char *title;
    s_column_t *columns;
    size_t column_count;
    s_rows_t body;
    s_rows_t footer;
};

static bool
s_numeric (cli_column_type_t type)
{
    return type != CLI_COLUMN_TEXT && type != CLI_COLUMN_JSON;
}

static void
s_rows_free (s_rows_t *rows, size_t columns)
{
    for (size_t row = 0; row < rows->size; row++) {
        for (size_t col = 0; col < columns; col++)
            free (rows->rows [row] [col]);
        free (rows->rows [row]);
    }
    free (rows->rows);
    rows->rows = NULL;
    rows->size = rows->capacity = 0;
}

static int
s_rows_add (s_rows_t *rows, size_t columns, const char *const *cells)
{
    if (rows->size == rows->capacity) {
        size_t capacity = rows->capacity? rows->capacity * 2: 16;
        char ***grown = realloc (rows->rows, capacity * sizeof (char **));
        if (!grown)
            return -1;
        rows->rows = grown;
        rows->capacity = capacity;
    }
    char **row = calloc (columns? columns: 1, sizeof (char *));
    if (!row)
        return -1;
    for (size_t col = 0; col < columns; col++) {
        if (cells [col] && !(row [col] = strdup (cells [col]))) {
            while (col--)
                free (row [col]);
            free (row);
            return -1;
        }
    }
    rows->rows [rows->size++] = row;
    return 0;
}

int
cli_format_parse (const char *text, cli_format_t *format)
{
    if (!text)
        return -1;
    if (streq (text, "table"))
        *format = CLI_FORMAT_TABLE;
    else
    if (streq (text, "csv"))
        *format = CLI_FORMAT_CSV;
    else
    if (streq (text, "json"))
        *format = CLI_FORMAT_JSON;
    else
        return -1;
    return 0;
}

cli_output_t *
cli_output_new (cli_format_t format)
{
    cli_output_t *self = calloc (1, sizeof (cli_output_t));
    if (self)
        self->format = format;
    return self;
}

cli_output_t *
cli_output_new_record (cli_format_t format)
{
    cli_output_t *self = cli_output_new (format);
    if (self)
        self->record = true;
    return self;
}

void
cli_output_destroy (cli_output_t **self_p)
{
    assert (self_p);
    cli_output_t *self = *self_p;
    if (!self)
        return;
    s_rows_free (&self->body, self->column_count);
    s_rows_free (&self->footer, self->column_count);
    for (size_t col = 0; col < self->column_count; col++) {
        free (self->columns [col].key);
        free (self->columns [col].title);
    }
    free (self->columns);
    free (self->title);
    free (self);
    *self_p = NULL;
}

int
cli_output_add_column (cli_output_t *self, const char *key, const char *title,
                       cli_column_type_t type)
{
    assert (self && key && title);
    if (self->body.size || self->footer.size)
        return -1;
    s_column_t *grown = realloc (self->columns, (self->column_count + 1) * sizeof (s_column_t));
    if (!grown)
        return -1;
    self->columns = grown;
    s_column_t *column = &self->columns [self->column_count];
    column->key = strdup (key);
    column->title = strdup (title);
    column->type = type;
    column->detail = false;
    if (!column->key || !column->title) {
        free (column->key);
        free (column->title);
        return -1;
    }
    self->column_count++;
    return 0;
}

int
cli_output_add_columns (cli_output_t *self, const cli_column_t *columns, size_t count)
{
    assert (self && columns);
    for (size_t col = 0; col < count; col++) {
        if (cli_output_add_column (self, columns [col].key, columns [col].title,
                                   columns [col].type) != 0)
            return -1;
        self->columns [self->column_count - 1].detail = columns [col].detail;
    }
    return 0;
}

void
cli_output_set_title (cli_output_t *self, const char *title)
{
    assert (self);
    free (self->title);
    self->title = title? strdup (title): NULL;
}

void
cli_output_set_record (cli_output_t *self, bool record)
{
    assert (self);
    self->record = record;
}

int
cli_output_add_row (cli_output_t *self, const char *const *cells)
{
    assert (self && cells);
    if (self->record && self->body.size)
        return -1;
    return s_rows_add (&self->body, self->column_count, cells);
}

int
cli_output_add_footer (cli_output_t *self, const char *const *cells)
{
    assert (self && cells);
    return s_rows_add (&self->footer, self->column_count, cells);
}

size_t
cli_output_rows (cli_output_t *self)
{
    assert (self);
    return self->body.size;
}

//  --------------------------------------------------------------------------
//  Table

//  The text a cell shows in the table: numbers grouped by thousands with
//  their own number of fractional digits kept.  Returns `text`, or `buf`
//  holding the grouped form.
static const char *
s_display (cli_column_type_t type, const char *text, char *buf, size_t size)
{
    if (!text)
        return "";
    if (type != CLI_COLUMN_INTEGER && type != CLI_COLUMN_DECIMAL)
        return text;
    int64_t units;
    int32_t nanos;
    if (crmq_decimal_parse (text, &units, &nanos) != 0)
        return text;
    const char *point = strchr (text, '.');
    int scale = point? (int) strlen (point + 1): 0;
    if (scale > 9)
        scale = 9;
    if (crmq_decimal_format_fixed (units, nanos, scale, true, buf, size) < 0)
        return text;
    return buf;
}

//  Display width of a JSON cell in a list table; longer ones are cut there
//  (records, CSV and JSON show them whole).
#define S_JSON_WIDTH 60

//  The text a cell shows in a list table: as s_display, and a JSON cell
//  longer than S_JSON_WIDTH code points cut to that with "…" at the end.
static const char *
s_list_display (cli_column_type_t type, const char *text, char *buf, size_t size)
{
    if (type != CLI_COLUMN_JSON || cli_utf8_width (text) <= S_JSON_WIDTH)
        return s_display (type, text, buf, size);
    size_t width = 0, length = 0;
    while (text [length]) {
        if (((unsigned char) text [length] & 0xC0) != 0x80 && ++width == S_JSON_WIDTH)
            break;              //  the start of the last code point shown
        length++;
    }
    if (length + 4 > size)
        return text;
    memcpy (buf, text, length);
    strcpy (buf + length, "…");
    return buf;
}

static void
s_pad (FILE *out, size_t count)
{
    while (count--)
        fputc (' ', out);
}

//  Prints `text` in a column of `width` display columns; `last` drops the
//  trailing padding of a left-aligned cell.
static void
s_cell (FILE *out, const char *text, size_t width, bool right, bool last)
{
    size_t used = cli_utf8_width (text);
    size_t pad = width > used? width - used: 0;
    if (right)
        s_pad (out, pad);
    fputs (text, out);
    if (!right && !last)
        s_pad (out, pad);
}

//  A list table shows every column but the details.
static bool
s_shown (cli_output_t *self, size_t col)
{
    return !self->columns [col].detail;
}

static void
s_table_rows (cli_output_t *self, FILE *out, s_rows_t *rows, const size_t *widths)
{
    for (size_t row = 0; row < rows->size; row++) {
        char **cells = rows->rows [row];
        //  Nothing after the last non-empty cell: no trailing blanks.
        size_t end = self->column_count;
        while (end > 0 && (!s_shown (self, end - 1) || !cells [end - 1] || !*cells [end - 1]))
            end--;
        bool first = true;
        for (size_t col = 0; col < end; col++) {
            if (!s_shown (self, col))
                continue;
            char buf [S_JSON_WIDTH * 4 + 8];
            cli_column_type_t type = self->columns [col].type;
            if (!first)
                fputs ("  ", out);
            first = false;
            s_cell (out, s_list_display (type, cells [col], buf, sizeof buf),
                    widths [col], s_numeric (type), col + 1 == end);
        }
        fputc ('\n', out);
    }
}

static void
s_table_rule (cli_output_t *self, FILE *out, const size_t *widths)
{
    bool first = true;
    for (size_t col = 0; col < self->column_count; col++) {
        if (!s_shown (self, col))
            continue;
        if (!first)
            fputs ("  ", out);
        first = false;
        for (size_t i = 0; i < widths [col]; i++)
            fputc ('-', out);
    }
    fputc ('\n', out);
}

static void
s_widen (cli_output_t *self, s_rows_t *rows, size_t *widths)
{
    char buf [S_JSON_WIDTH * 4 + 8];
    for (size_t row = 0; row < rows->size; row++)
        for (size_t col = 0; col < self->column_count; col++) {
            size_t width = cli_utf8_width (
                s_list_display (self->columns [col].type, rows->rows [row] [col], buf, sizeof buf));
            if (width > widths [col])
                widths [col] = width;
        }
}

static int
s_print_table (cli_output_t *self, FILE *out)
{
    if (self->title)
        fprintf (out, "%s\n", self->title);
    size_t *widths = calloc (self->column_count + 1, sizeof (size_t));
    if (!widths)
        return -1;
    for (size_t col = 0; col < self->column_count; col++)
        widths [col] = cli_utf8_width (self->columns [col].title);
    s_widen (self, &self->body, widths);
    s_widen (self, &self->footer, widths);

    size_t last = self->column_count;
    while (last > 0 && !s_shown (self, last - 1))
        last--;
    bool first = true;
    for (size_t col = 0; col < last; col++) {
        if (!s_shown (self, col))
            continue;
        if (!first)
            fputs ("  ", out);
        first = false;
        s_cell (out, self->columns [col].title, widths [col],
                s_numeric (self->columns [col].type), col + 1 == last);
    }
    fputc ('\n', out);
    s_table_rule (self, out, widths);
    s_table_rows (self, out, &self->body, widths);
    if (self->footer.size) {
        s_table_rule (self, out, widths);
        s_table_rows (self, out, &self->footer, widths);
    }
    free (widths);
    return 0;
}

//  A record as "label  value" lines: labels left-aligned, numbers
//  right-aligned to the widest number, text left-aligned.
static int
s_print_record (cli_output_t *self, FILE *out)
{
    if (self->title)
        fprintf (out, "%s\n", self->title);
    if (self->body.size == 0)
        return 0;
    char **row = self->body.rows [0];
    char buf [64];
    size_t label_width = 0, number_width = 0;
    for (size_t col = 0; col < self->column_count; col++) {
        size_t width = cli_utf8_width (self->columns [col].title);
        if (width > label_width)
            label_width = width;
        cli_column_type_t type = self->columns [col].type;
        if (s_numeric (type)) {
            width = cli_utf8_width (s_display (type, row [col], buf, sizeof buf));
            if (width > number_width)
                number_width = width;
        }
    }
    for (size_t col = 0; col < self->column_count; col++) {
        cli_column_type_t type = self->columns [col].type;
        const char *value = s_display (type, row [col], buf, sizeof buf);
        s_cell (out, self->columns [col].title, label_width, false, !*value);
        if (*value) {
            fputs ("  ", out);
            s_cell (out, value, number_width, s_numeric (type), true);
        }
        fputc ('\n', out);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  CSV

//  Writes one field, quoted by libcsv only when RFC 4180 requires it.
static void
s_csv_field (FILE *out, const char *text)
{
    if (!text)
        return;
    size_t length = strlen (text);
    if (strpbrk (text, ",\"\r\n") || (length && (text [0] == ' ' || text [length - 1] == ' ')))
        csv_fwrite (out, text, length);
    else
        fputs (text, out);
}

static int
s_print_csv (cli_output_t *self, FILE *out)
{
    for (size_t col = 0; col < self->column_count; col++) {
        if (col)
            fputc (',', out);
        s_csv_field (out, self->columns [col].key);
    }
    fputc ('\n', out);
    for (size_t row = 0; row < self->body.size; row++) {
        for (size_t col = 0; col < self->column_count; col++) {
            if (col)
                fputc (',', out);
            s_csv_field (out, self->body.rows [row] [col]);
        }
        fputc ('\n', out);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  JSON

static json_t *
s_json_value (cli_column_type_t type, const char *text)
{
    if (!text)
        return json_null ();
    if (type == CLI_COLUMN_JSON) {
        json_t *value = json_loads (text, JSON_DECODE_ANY, NULL);
        if (value)
            return value;
    }
    if (type == CLI_COLUMN_ID || type == CLI_COLUMN_INTEGER) {
        char *end;
        errno = 0;
        long long value = strtoll (text, &end, 10);
        if (*text && !*end && errno == 0)
            return json_integer (value);
    }
    json_t *string = json_string (text);
    if (!string) {
        fprintf (stderr, "crmq: warning: text that is not UTF-8 written as null\n");
        string = json_null ();
    }
    return string;
}

static json_t *
s_json_object (cli_output_t *self, char **row)
{
    json_t *object = json_object ();
    for (size_t col = 0; object && col < self->column_count; col++)
        if (json_object_set_new (object, self->columns [col].key,
                                 s_json_value (self->columns [col].type, row [col])) != 0) {
            json_decref (object);
            object = NULL;
        }
    return object;
}

json_t *
cli_output_json (cli_output_t *self)
{
    assert (self);
    json_t *root;
    if (self->record)
        root = self->body.size? s_json_object (self, self->body.rows [0]): json_object ();
    else {
        root = json_array ();
        for (size_t row = 0; root && row < self->body.size; row++)
            if (json_array_append_new (root, s_json_object (self, self->body.rows [row])) != 0) {
                json_decref (root);
                root = NULL;
            }
    }
    return root;
}

char *
cli_json_text (json_t *value)
{
    return value? json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY): NULL;
}

char *
cli_json_strings (char *const *values, size_t count)
{
    json_t *array = json_array ();
    bool built = array != NULL;
    for (size_t i = 0; built && i < count; i++)
        built = json_array_append_new (array, json_string (values [i])) == 0;
    char *text = built? cli_json_text (array): NULL;
    json_decref (array);
    return text;
}

int
cli_json_print (json_t *root, FILE *out)
{
    assert (root && out);
    int rc = json_dumpf (root, out, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
    if (fputc ('\n', out) == EOF)
        rc = -1;
    return rc;
}

int
cli_json_print_stdout (json_t *root, bool built)
{
    int rc = CLI_EXIT_FAILURE;
    if (!built || !root)
        fprintf (stderr, "crmq: out of memory building the JSON output\n");
    else
    if (cli_json_print (root, stdout) != 0 || fflush (stdout) != 0)
        fprintf (stderr, "crmq: cannot write the output\n");
    else
        rc = CLI_EXIT_OK;
    return rc;
}

static int
s_print_json (cli_output_t *self, FILE *out)
{
    json_t *root = cli_output_json (self);
    if (!root)
        return -1;
    int rc = cli_json_print (root, out);
    json_decref (root);
    return rc;
}

int
cli_output_print_stdout (cli_output_t *self)
{
    if (cli_output_print (self, stdout) != 0) {
        fprintf (stderr, "crmq: cannot write the output\n");
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}

int
cli_output_finish (cli_output_t **self_p, bool built)
{
    assert (self_p);
    int rc = CLI_EXIT_FAILURE;
    if (built && *self_p)
        rc = cli_output_print_stdout (*self_p);
    else
        fprintf (stderr, "crmq: out of memory\n");
    cli_output_destroy (self_p);
    return rc;
}

int
cli_output_print_record (cli_format_t format, const cli_column_t *columns, size_t count,
                         const char *const *cells)
{
    cli_output_t *output = cli_output_new_record (format);
    return cli_output_finish (&output, output
                           && cli_output_add_columns (output, columns, count) == 0
                           && cli_output_add_row (output, cells) == 0);
}

int
cli_output_print_status (cli_format_t format, int64_t id, const char *status)
{
    static const cli_column_t columns [] = {
        { "id",     "id",     CLI_COLUMN_ID,   false },
        { "status", "status", CLI_COLUMN_TEXT, false },
    };
    char text [24];
    snprintf (text, sizeof text, "%" PRId64, id);
    const char *cells [] = { text, status };
    return cli_output_print_record (format, columns, 2, cells);
}

int
cli_output_print (cli_output_t *self, FILE *out)
{
    assert (self && out);
    int rc;
    if (self->format == CLI_FORMAT_CSV)
        rc = s_print_csv (self, out);
    else
    if (self->format == CLI_FORMAT_JSON)
        rc = s_print_json (self, out);
    else
    if (self->record)
        rc = s_print_record (self, out);
    else
        rc = s_print_table (self, out);
    if (fflush (out) != 0 || ferror (out))
        rc = -1;
    return rc;
}

//  --------------------------------------------------------------------------
//  Self-test

static char *
s_render (cli_output_t *self)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    assert (out);
    int rc = cli_output_print (self, out);
    assert (rc == 0);
    fclose (out);
    return text;
}

static void
s_expect (cli_output_t *self, const char *expected, bool verbose)
{
    char *text = s_render (self);
    if (verbose || !streq (text, expected))
        printf ("--- got:\n%s--- expected:\n%s", text, expected);
    assert (streq (text, expected));
    free (text);
}

void
cli_output_test (bool verbose)
{
    printf (" * cli_output: ");
    if (verbose)
        printf ("\n");

    //  List, table: grouping, right alignment, UTF-8 width, footer
    cli_output_t *output = cli_output_new (CLI_FORMAT_TABLE);
    assert (output);
    assert (cli_output_add_column (output, "class", "class", CLI_COLUMN_TEXT) == 0);
    assert (cli_output_add_column (output, "clients", "clients", CLI_COLUMN_INTEGER) == 0);
    assert (cli_output_add_column (output, "value", "value", CLI_COLUMN_DECIMAL) == 0);
    assert (cli_output_add_column (output, "name", "name", CLI_COLUMN_TEXT) == 0);
    cli_output_set_title (output, "ABC");
    const char *row1 [] = { "A", "1234", "1265793.29", "Münster" };
    const char *row2 [] = { "B", "5", "-0.50", "Ab, \"x\"" };
    const char *total [] = { "total", "1239", "1265792.79", NULL };
    assert (cli_output_add_row (output, row1) == 0);
    assert (cli_output_add_row (output, row2) == 0);
    assert (cli_output_add_footer (output, total) == 0);
    assert (cli_output_add_column (output, "late", "late", CLI_COLUMN_TEXT) == -1);
    assert (cli_output_rows (output) == 2);
    s_expect (output,
        "ABC\n"
        "class  clients         value  name\n"
        "-----  -------  ------------  -------\n"
        "A        1,234  1,265,793.29  Münster\n"
        "B            5         -0.50  Ab, \"x\"\n"
        "-----  -------  ------------  -------\n"
        "total    1,239  1,265,792.79\n", verbose);

    output->format = CLI_FORMAT_CSV;
    s_expect (output,
        "class,clients,value,name\n"
        "A,1234,1265793.29,Münster\n"
        "B,5,-0.50,\"Ab, \"\"x\"\"\"\n", verbose);

    output->format = CLI_FORMAT_JSON;
    s_expect (output,
        "[\n"
        "  {\n"
        "    \"class\": \"A\",\n"
        "    \"clients\": 1234,\n"
        "    \"value\": \"1265793.29\",\n"
        "    \"name\": \"Münster\"\n"
        "  },\n"
        "  {\n"
        "    \"class\": \"B\",\n"
        "    \"clients\": 5,\n"
        "    \"value\": \"-0.50\",\n"
        "    \"name\": \"Ab, \\\"x\\\"\"\n"
        "  }\n"
        "]\n", verbose);
    cli_output_destroy (&output);
    cli_output_destroy (&output);
    assert (output == NULL);

    //  Record
    output = cli_output_new (CLI_FORMAT_TABLE);
    cli_output_set_record (output, true);
    cli_output_add_column (output, "clients", "clients", CLI_COLUMN_INTEGER);
    cli_output_add_column (output, "revenue", "revenue", CLI_COLUMN_DECIMAL);
    cli_output_add_column (output, "id", "id", CLI_COLUMN_ID);
    cli_output_add_column (output, "city", "city", CLI_COLUMN_TEXT);
    cli_output_add_column (output, "note", "note", CLI_COLUMN_TEXT);
    const char *record [] = { "91", "1265793.29", "1234", "Москва", "" };
    assert (cli_output_add_row (output, record) == 0);
    assert (cli_output_add_row (output, record) == -1);
    cli_output_set_title (output, "Card");
    s_expect (output,
        "Card\n"
        "clients            91\n"
        "revenue  1,265,793.29\n"
        "id               1234\n"
        "city     Москва\n"
        "note\n", verbose);
    output->format = CLI_FORMAT_JSON;
    s_expect (output,
        "{\n"
        "  \"clients\": 91,\n"
        "  \"revenue\": \"1265793.29\",\n"
        "  \"id\": 1234,\n"
        "  \"city\": \"Москва\",\n"
        "  \"note\": \"\"\n"
        "}\n", verbose);
    output->format = CLI_FORMAT_CSV;
    s_expect (output,
        "clients,revenue,id,city,note\n"
        "91,1265793.29,1234,Москва,\n", verbose);
    cli_output_destroy (&output);

    //  Detail and JSON columns: a list table leaves the details out
    static const cli_column_t columns [] = {
        { "id",    "id",    CLI_COLUMN_ID,   false },
        { "text",  "text",  CLI_COLUMN_TEXT, true },
        { "name",  "name",  CLI_COLUMN_TEXT, false },
        { "tags",  "tags",  CLI_COLUMN_JSON, false },
        { "extra", "extra", CLI_COLUMN_JSON, true },
    };
    output = cli_output_new (CLI_FORMAT_TABLE);
    assert (cli_output_add_columns (output, columns, 5) == 0);
    char *tags = cli_json_strings ((char *[]) { "vip", "опт" }, 2);
    assert (tags && streq (tags, "[\"vip\",\"опт\"]"));
    const char *detail_row [] = { "7", "long text", "ООО «Ромашка»", tags, "{\"a\": 1}" };
    const char *plain_row [] = { "8", NULL, "Bob", "[]", "not json" };
    assert (cli_output_add_row (output, detail_row) == 0);
    assert (cli_output_add_row (output, plain_row) == 0);
    free (tags);
    s_expect (output,
        "id  name           tags\n"
        "--  -------------  -------------\n"
        " 7  ООО «Ромашка»  [\"vip\",\"опт\"]\n"
        " 8  Bob            []\n", verbose);
    output->format = CLI_FORMAT_CSV;
    s_expect (output,
        "id,text,name,tags,extra\n"
        "7,long text,ООО «Ромашка»,\"[\"\"vip\"\",\"\"опт\"\"]\",\"{\"\"a\"\": 1}\"\n"
        "8,,Bob,[],not json\n", verbose);
    output->format = CLI_FORMAT_JSON;
    s_expect (output,
        "[\n"
        "  {\n"
        "    \"id\": 7,\n"
        "    \"text\": \"long text\",\n"
        "    \"name\": \"ООО «Ромашка»\",\n"
        "    \"tags\": [\n"
        "      \"vip\",\n"
        "      \"опт\"\n"
        "    ],\n"
        "    \"extra\": {\n"
        "      \"a\": 1\n"
        "    }\n"
        "  },\n"
        "  {\n"
        "    \"id\": 8,\n"
        "    \"text\": null,\n"
        "    \"name\": \"Bob\",\n"
        "    \"tags\": [],\n"
        "    \"extra\": \"not json\"\n"
        "  }\n"
        "]\n", verbose);
    //  A long JSON cell is cut in a list table only
    cli_output_destroy (&output);
    output = cli_output_new (CLI_FORMAT_TABLE);
    assert (cli_output_add_columns (output, columns + 3, 1) == 0);
    const char *long_row [] = { "[\"ааааааааааааааааааааааааааааааааааааааааааааааааааааааааааа\"]" };
    assert (cli_output_add_row (output, long_row) == 0);
    s_expect (output,
        "tags\n"
        "------------------------------------------------------------\n"
        "[\"ааааааааааааааааааааааааааааааааааааааааааааааааааааааааа…\n", verbose);
    output->format = CLI_FORMAT_JSON;
    s_expect (output,
        "[\n"
        "  {\n"
        "    \"tags\": [\n"
        "      \"ааааааааааааааааааааааааааааааааааааааааааааааааааааааааааа\"\n"
        "    ]\n"
        "  }\n"
        "]\n", verbose);
    //  A record keeps the details
    cli_output_destroy (&output);
    output = cli_output_new (CLI_FORMAT_TABLE);
    cli_output_set_record (output, true);
    assert (cli_output_add_columns (output, columns, 3) == 0);
    assert (cli_output_add_row (output, detail_row) == 0);
    s_expect (output,
        "id    7\n"
        "text  long text\n"
        "name  ООО «Ромашка»\n", verbose);
    cli_output_destroy (&output);

    cli_format_t format;
    assert (cli_format_parse ("json", &format) == 0 && format == CLI_FORMAT_JSON);
    assert (cli_format_parse ("xml", &format) == -1);
    printf ("OK\n");
}

/*  cli_mapping.c - mapping files; see cli_mapping.h.  */
#include "cli_mapping.h"
#include "cli_common.h"

#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *s_column_keys [CLI_MAP_COLUMNS] = {
    "order_id", "date", "client_id", "client_name", "client_country", "client_region",
    "client_city", "client_postal_code", "client_category", "client_tax_id", "client_phone",
    "client_email", "product_id", "product_name", "product_group", "product_parent_group",
    "quantity", "unit_price", "discount", "line_amount", "cost", "profit", "currency",
    "currency_rate", "manager_id", "manager_name", "required_date", "ship_date", "kind"
};

static const char *s_keys [] = {
    "source", "encoding", "delimiter", "quote", "decimal_separator", "thousands_separator",
    "date_format", "time_zone", "currency", "rate", "discount_percent", "integral_ids",
    "walk_in_client", "return_prefix", "kinds", "columns", NULL
};

static const char *s_thousands [] = { " ", "\xC2\xA0", "\xE2\x80\xAF", "'", ".", ",", NULL };

#define S_MAX_SOURCE 40

const char *
cli_mapping_column_key (cli_mapping_column_t column)
{
    assert (column < CLI_MAP_COLUMNS);
    return s_column_keys [column];
}

cli_number_style_t
cli_mapping_number_style (const cli_mapping_t *self)
{
    assert (self);
    cli_number_style_t style = { self->decimal, self->thousands, 0 };
    return style;
}

static void
s_strings_free (char **strings, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free (strings [i]);
    free (strings);
}

void
cli_mapping_destroy (cli_mapping_t **self_p)
{
    assert (self_p);
    cli_mapping_t *self = *self_p;
    if (!self)
        return;
    free (self->name);
    free (self->source);
    free (self->thousands);
    s_strings_free (self->date_formats, self->date_format_count);
    free (self->time_zone);
    free (self->currency);
    free (self->walk_in_id);
    free (self->walk_in_name);
    free (self->return_prefix);
    s_strings_free (self->order_kinds, self->order_kind_count);
    s_strings_free (self->return_kinds, self->return_kind_count);
    for (int i = 0; i < CLI_MAP_COLUMNS; i++)
        free (self->columns [i]);
    free (self);
    *self_p = NULL;
}

//  Writes "<name>: <path>: <message>" into error.  Returns -1.
static int
s_fail (char *error, size_t size, const char *name, const char *path, const char *format, ...)
    __attribute__ ((format (printf, 5, 6)));

static int
s_fail (char *error, size_t size, const char *name, const char *path, const char *format, ...)
{
    char message [400];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    snprintf (error, size, "%s: %s%s%s", name, path, *path? ": ": "", message);
    return -1;
}

//  Checks that `object` has only keys of `known`.  Returns 0 or -1.
static int
s_known_keys (json_t *object, const char *const *known, const char *where, const char *name,
              char *error, size_t size)
{
    const char *key;
    json_t *value;
    json_object_foreach (object, key, value) {
        size_t i;
        for (i = 0; known [i] && !streq (known [i], key); i++)
            ;
        if (!known [i])
            return s_fail (error, size, name, where, "unknown key \"%s\"", key);
    }
    return 0;
}

//  Copies string member `key` of `object` into *text (NULL when absent).
//  Returns 0 or -1 (not a string, empty, or not UTF-8 text).
static int
s_string (json_t *object, const char *key, const char *path, char **text, const char *name,
          char *error, size_t size)
{
    json_t *value = json_object_get (object, key);
    *text = NULL;
    if (!value)
        return 0;
    char why [64];
    if (!json_is_string (value))
        return s_fail (error, size, name, path, "must be a string");
    const char *string = json_string_value (value);
    if (!crmq_id_valid (string, 1, 300, why, sizeof why))
        return s_fail (error, size, name, path, "%s", why);
    if (!(*text = strdup (string)))
        return s_fail (error, size, name, path, "out of memory");
    return 0;
}

//  Reads a string or a list of strings into *strings (NULL-terminated).
//  Returns 0 or -1.
static int
s_string_list (json_t *value, const char *path, char ***strings, size_t *count,
               const char *name, char *error, size_t size)
{
    *strings = NULL;
    *count = 0;
    if (!value)
        return 0;
    size_t items = json_is_array (value)? json_array_size (value): 1;
    if (!json_is_array (value) && !json_is_string (value))
        return s_fail (error, size, name, path, "must be a string or a list of strings");
    if (items == 0)
        return s_fail (error, size, name, path, "must not be an empty list");
    if (!(*strings = calloc (items + 1, sizeof (char *))))
        return s_fail (error, size, name, path, "out of memory");
    for (size_t i = 0; i < items; i++) {
        json_t *item = json_is_array (value)? json_array_get (value, i): value;
        char why [64];
        if (!json_is_string (item))
            return s_fail (error, size, name, path, "must be a string or a list of strings");
        if (!crmq_text_valid (json_string_value (item), 1, 300, why, sizeof why))
            return s_fail (error, size, name, path, "item %zu %s", i + 1, why);
        if (!((*strings) [i] = strdup (json_string_value (item))))
            return s_fail (error, size, name, path, "out of memory");
        (*count)++;
    }
    return 0;
}

//  Optional object member `key` of `object` with only the keys of `known`;
//  `shape` tells what it should look like.  Returns 0 with *value set
//  (NULL when absent), or -1.
static int
s_object (json_t *object, const char *key, const char *const *known, const char *shape,
          json_t **value, const char *name, char *error, size_t size)
{
    *value = json_object_get (object, key);
    if (!*value)
        return 0;
    if (!json_is_object (*value))
        return s_fail (error, size, name, key, "must be an object %s", shape);
    return s_known_keys (*value, known, key, name, error, size);
}

//  Boolean member `key`: absent = false.  Returns 0 or -1.
static int
s_bool (json_t *object, const char *key, bool *flag, const char *name, char *error, size_t size)
{
    json_t *value = json_object_get (object, key);
    *flag = false;
    if (value && !json_is_boolean (value))
        return s_fail (error, size, name, key, "must be true or false");
    *flag = value && json_is_true (value);
    return 0;
}

//  One character member (delimiter, quote): "x" or "\t".  Returns 0 or -1.
static int
s_char (json_t *object, const char *key, char *c, const char *name, char *error, size_t size)
{
    json_t *value = json_object_get (object, key);
    *c = 0;
    if (!value)
        return 0;
    const char *text = json_is_string (value)? json_string_value (value): NULL;
    if (!text || strlen (text) != 1 || (unsigned char) text [0] >= 0x80
    ||  text [0] == '\n' || text [0] == '\r')
        return s_fail (error, size, name, key, "must be one ASCII character, not a line break");
    *c = text [0];
    return 0;
}

static int
s_columns (cli_mapping_t *self, json_t *columns, char *error, size_t size)
{
    if (!columns)
        return s_fail (error, size, self->name, "columns", "is required");
    if (!json_is_object (columns))
        return s_fail (error, size, self->name, "columns", "must be an object of "
                       "\"key\": \"header name\"");
    const char *key;
    json_t *value;
    json_object_foreach (columns, key, value) {
        int column;
        for (column = 0; column < CLI_MAP_COLUMNS && !streq (s_column_keys [column], key); column++)
            ;
        char path [100];
        snprintf (path, sizeof path, "columns.%s", key);
        if (column == CLI_MAP_COLUMNS) {
            char known [600] = "";
            for (int i = 0; i < CLI_MAP_COLUMNS; i++)
                snprintf (known + strlen (known), sizeof known - strlen (known), "%s%s",
                          i? ", ": "", s_column_keys [i]);
            return s_fail (error, size, self->name, path, "unknown column key (known: %s)",
                           known);
        }
        char why [64];
        if (!json_is_string (value))
            return s_fail (error, size, self->name, path, "must be a string (a header name)");
        if (!crmq_text_valid (json_string_value (value), 1, 300, why, sizeof why))
            return s_fail (error, size, self->name, path, "%s", why);
        if (!(self->columns [column] = strdup (json_string_value (value))))
            return s_fail (error, size, self->name, path, "out of memory");
    }
    const int required [] = { CLI_MAP_ORDER_ID, CLI_MAP_DATE, CLI_MAP_PRODUCT_ID,
                              CLI_MAP_QUANTITY };
    for (size_t i = 0; i < sizeof required / sizeof required [0]; i++)
        if (!self->columns [required [i]])
            return s_fail (error, size, self->name, "columns", "\"%s\" is required",
                           s_column_keys [required [i]]);
    if (!self->columns [CLI_MAP_CLIENT_ID] && !self->walk_in_id)
        return s_fail (error, size, self->name, "columns", "\"client_id\" is required "
                       "(or a walk_in_client for every row)");
    if (!self->columns [CLI_MAP_UNIT_PRICE] && !self->columns [CLI_MAP_LINE_AMOUNT])
        return s_fail (error, size, self->name, "columns", "\"unit_price\" or \"line_amount\" "
                       "is required");
    if (self->columns [CLI_MAP_COST] && self->columns [CLI_MAP_PROFIT])
        return s_fail (error, size, self->name, "columns", "\"cost\" and \"profit\" exclude "
                       "each other");
    if (self->columns [CLI_MAP_PROFIT] && !self->columns [CLI_MAP_LINE_AMOUNT])
        return s_fail (error, size, self->name, "columns", "\"profit\" needs \"line_amount\" "
                       "(cost = line amount - profit)");
    if (self->columns [CLI_MAP_PRODUCT_PARENT_GROUP] && !self->columns [CLI_MAP_PRODUCT_GROUP])
        return s_fail (error, size, self->name, "columns", "\"product_parent_group\" needs "
                       "\"product_group\"");
    return 0;
}

//  Reads everything but the columns.  Returns 0 or -1.
static int
s_settings (cli_mapping_t *self, json_t *root, char *error, size_t size)
{
    const char *name = self->name;
    char why [64];
    char *text = NULL;
    if (s_string (root, "source", "source", &self->source, name, error, size))
        return -1;
    if (!self->source)
        return s_fail (error, size, name, "source", "is required (a short name of the ERP; "
                       "it starts every event id)");
    if (strlen (self->source) > S_MAX_SOURCE || strchr (self->source, ':'))
        return s_fail (error, size, name, "source", "must be at most %d bytes, without \":\"",
                       S_MAX_SOURCE);

    if (s_string (root, "encoding", "encoding", &text, name, error, size))
        return -1;
    if (!text || !strcasecmp (text, "utf-8") || !strcasecmp (text, "utf8"))
        self->csv.encoding = CLI_CSV_UTF8;
    else
    if (!strcasecmp (text, "cp1251") || !strcasecmp (text, "windows-1251"))
        self->csv.encoding = CLI_CSV_CP1251;
    else {
        s_fail (error, size, name, "encoding", "\"%s\" is not utf-8 or cp1251", text);
        free (text);
        return -1;
    }
    free (text);
    if (s_char (root, "delimiter", &self->csv.delimiter, name, error, size)
    ||  s_char (root, "quote", &self->csv.quote, name, error, size))
        return -1;
    char delimiter = self->csv.delimiter? self->csv.delimiter: ',';
    char quote = self->csv.quote? self->csv.quote: '"';
    if (delimiter == quote)
        return s_fail (error, size, name, "quote", "must differ from the delimiter");

    if (s_string (root, "decimal_separator", "decimal_separator", &text, name, error, size))
        return -1;
    self->decimal = text? text [0]: '.';
    bool decimal_ok = !text || streq (text, ".") || streq (text, ",");
    free (text);
    if (!decimal_ok)
        return s_fail (error, size, name, "decimal_separator", "must be \".\" or \",\"");
    json_t *value = json_object_get (root, "thousands_separator");
    const char *thousands = value && json_is_string (value)? json_string_value (value): "";
    size_t i;
    for (i = 0; s_thousands [i] && !streq (s_thousands [i], thousands); i++)
        ;
    if ((value && !json_is_string (value)) || (*thousands && !s_thousands [i]))
        return s_fail (error, size, name, "thousands_separator", "must be one of \" \", "
                       "\"\\u00a0\", \"\\u202f\", \"'\", \".\", \",\"");
    if (thousands [0] == self->decimal && !thousands [1])
        return s_fail (error, size, name, "thousands_separator", "must differ from the "
                       "decimal separator");
    if (!(self->thousands = strdup (thousands)))
        return s_fail (error, size, name, "thousands_separator", "out of memory");

    if (s_string_list (json_object_get (root, "date_format"), "date_format",
                       &self->date_formats, &self->date_format_count, name, error, size))
        return -1;
    for (i = 0; i < self->date_format_count; i++)
        if (!strchr (self->date_formats [i], '%'))
            return s_fail (error, size, name, "date_format", "\"%s\" has no %% conversion "
                           "(such as %%d.%%m.%%Y)", self->date_formats [i]);
    if (s_string (root, "time_zone", "time_zone", &self->time_zone, name, error, size))
        return -1;
    if (self->time_zone && cli_time_zone_check (self->time_zone) != 0)
        return s_fail (error, size, name, "time_zone", "unknown time zone \"%s\"",
                       self->time_zone);
    if (s_string (root, "currency", "currency", &self->currency, name, error, size))
        return -1;
    if (self->currency && (strlen (self->currency) != 3
                       ||  strspn (self->currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3))
        return s_fail (error, size, name, "currency", "\"%s\" is not an ISO 4217 code",
                       self->currency);
    value = json_object_get (root, "rate");
    if (value) {
        if (!json_is_string (value))
            return s_fail (error, size, name, "rate", "must be a string (\"92.5\"), so that it "
                           "stays exact");
        if (cli_field_number (json_string_value (value), NULL, &self->rate) != 0
        ||  cli_number_is_negative (self->rate) || cli_number_is_zero (self->rate))
            return s_fail (error, size, name, "rate", "\"%s\" is not a number above 0",
                           json_string_value (value));
    }
    if (s_bool (root, "discount_percent", &self->discount_percent, name, error, size)
    ||  s_bool (root, "integral_ids", &self->integral_ids, name, error, size))
        return -1;

    const char *walk_in_keys [] = { "id", "name", NULL };
    if (s_object (root, "walk_in_client", walk_in_keys, "{\"id\": ..., \"name\": ...}", &value,
                  name, error, size))
        return -1;
    if (value) {
        if (s_string (value, "id", "walk_in_client.id", &self->walk_in_id, name, error, size)
        ||  s_string (value, "name", "walk_in_client.name", &self->walk_in_name, name, error, size))
            return -1;
        if (!self->walk_in_id)
            return s_fail (error, size, name, "walk_in_client.id", "is required");
        if (self->walk_in_name && !crmq_name_valid (self->walk_in_name, 1, 300, why, sizeof why))
            return s_fail (error, size, name, "walk_in_client.name", "%s", why);
    }
    if (s_string (root, "return_prefix", "return_prefix", &self->return_prefix, name, error, size))
        return -1;
    const char *kinds_keys [] = { "order", "return", NULL };
    if (s_object (root, "kinds", kinds_keys, "{\"order\": [...], \"return\": [...]}", &value,
                  name, error, size))
        return -1;
    if (value) {
        if (s_string_list (json_object_get (value, "order"), "kinds.order", &self->order_kinds,
                           &self->order_kind_count, name, error, size)
        ||  s_string_list (json_object_get (value, "return"), "kinds.return",
                           &self->return_kinds, &self->return_kind_count, name, error, size))
            return -1;
    }
    return 0;
}

cli_mapping_t *
cli_mapping_parse (const char *text, const char *name, char *error, size_t error_size)
{
    assert (text && name);
    json_error_t json_error;
    json_t *root = json_loads (text, JSON_REJECT_DUPLICATES, &json_error);
    if (!root) {
        snprintf (error, error_size, "%s:%d:%d: %s", name, json_error.line, json_error.column,
                  json_error.text);
        return NULL;
    }
    cli_mapping_t *self = calloc (1, sizeof (cli_mapping_t));
    int rc = -1;
    if (!self || !(self->name = strdup (name)))
        snprintf (error, error_size, "%s: out of memory", name);
    else
    if (!json_is_object (root))
        s_fail (error, error_size, name, "", "must be a JSON object");
    else
    if (s_known_keys (root, s_keys, "", name, error, error_size) == 0
    &&  s_settings (self, root, error, error_size) == 0
    &&  s_columns (self, json_object_get (root, "columns"), error, error_size) == 0) {
        bool has_kinds = self->order_kind_count || self->return_kind_count;
        if (self->columns [CLI_MAP_KIND] && !has_kinds)
            s_fail (error, error_size, name, "kinds", "is required with columns.kind: which "
                    "values are orders and which returns");
        else
        if (has_kinds && !self->columns [CLI_MAP_KIND])
            s_fail (error, error_size, name, "kinds", "needs columns.kind");
        else
            rc = 0;
    }
    json_decref (root);
    if (rc != 0)
        cli_mapping_destroy (&self);
    return self;
}

cli_mapping_t *
cli_mapping_load (const char *path, char *error, size_t error_size)
{
    assert (path);
    //  Read here rather than by jansson, for the same messages as for text
    FILE *file = fopen (path, "r");
    if (!file) {
        snprintf (error, error_size, "%s: %s", path, strerror (errno));
        return NULL;
    }
    char *text = NULL;
    size_t size = 0;
    FILE *buffer = open_memstream (&text, &size);
    char chunk [4096];
    size_t got;
    bool too_large = false;
    while (buffer && (got = fread (chunk, 1, sizeof chunk, file)) > 0) {
        fwrite (chunk, 1, got, buffer);
        if (ftell (buffer) > 1024 * 1024) {
            too_large = true;
            break;
        }
    }
    bool failed = ferror (file);
    fclose (file);
    if (buffer)
        fclose (buffer);
    cli_mapping_t *self = NULL;
    if (!buffer || !text)
        snprintf (error, error_size, "%s: out of memory", path);
    else
    if (failed)
        snprintf (error, error_size, "%s: read failed", path);
    else
    if (too_large)
        snprintf (error, error_size, "%s: larger than 1 MiB: not a mapping file", path);
    else
        self = cli_mapping_parse (text, path, error, error_size);
    free (text);
    return self;
}

cli_mapping_t *
cli_mapping_builtin (const char *name, char *error, size_t error_size)
{
    assert (name);
    for (size_t i = 0; cli_mapping_builtins [i].name; i++)
        if (streq (cli_mapping_builtins [i].name, name)) {
            char file [128];
            snprintf (file, sizeof file, "built-in mapping %s", name);
            return cli_mapping_parse (cli_mapping_builtins [i].text, file, error, error_size);
        }
    snprintf (error, error_size, "no built-in mapping \"%s\"", name);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Self-test

static void
s_expect_error (const char *text, const char *expected, bool verbose)
{
    char error [600];
    cli_mapping_t *mapping = cli_mapping_parse (text, "m.json", error, sizeof error);
    if (verbose)
        printf ("    %s\n", error);
    if (mapping || !strstr (error, expected))
        printf ("\nunexpected: %s\n", mapping? "(parsed)": error);
    assert (!mapping && strstr (error, expected));
}

static const char *s_test_columns = "\"columns\": {\"order_id\": \"o\", \"date\": \"d\", "
    "\"client_id\": \"c\", \"product_id\": \"p\", \"quantity\": \"q\", \"unit_price\": \"u\"}";

//  A mapping of source "x" with `settings` ("\"key\": value") and the
//  test columns fails with `expected`.
static void
s_expect_bad_setting (const char *settings, const char *expected, bool verbose)
{
    char text [1200];
    snprintf (text, sizeof text, "{\"source\": \"x\", %s, %s}", settings, s_test_columns);
    s_expect_error (text, expected, verbose);
}

void
cli_mapping_test (bool verbose)
{
    printf (" * cli_mapping: ");
    if (verbose)
        printf ("\n");
    char error [600];
    const char *full =
        "{\"source\": \"erp1c\", \"encoding\": \"CP1251\", \"delimiter\": \";\","
        " \"decimal_separator\": \",\", \"thousands_separator\": \"\\u00a0\","
        " \"date_format\": [\"%d.%m.%Y %H:%M:%S\", \"%d.%m.%Y\"], \"time_zone\": \"Europe/Moscow\","
        " \"currency\": \"RUB\", \"rate\": \"1\", \"discount_percent\": true,"
        " \"walk_in_client\": {\"id\": \"walk-in\", \"name\": \"Розница\"},"
        " \"kinds\": {\"order\": \"Реализация\", \"return\": [\"Возврат\", \"Возврат товаров\"]},"
        " \"columns\": {\"order_id\": \"Номер\", \"date\": \"Дата\", \"product_id\": \"Артикул\","
        "   \"quantity\": \"Количество\", \"line_amount\": \"Сумма\", \"kind\": \"Вид\"}}";
    cli_mapping_t *mapping = cli_mapping_parse (full, "m.json", error, sizeof error);
    if (!mapping)
        printf ("%s\n", error);
    assert (mapping);
    assert (streq (mapping->source, "erp1c"));
    assert (mapping->csv.encoding == CLI_CSV_CP1251 && mapping->csv.delimiter == ';');
    assert (mapping->decimal == ',' && streq (mapping->thousands, "\xC2\xA0"));
    assert (mapping->date_format_count == 2 && streq (mapping->date_formats [1], "%d.%m.%Y"));
    assert (mapping->rate.units == 1 && mapping->discount_percent && !mapping->integral_ids);
    assert (streq (mapping->walk_in_name, "Розница"));
    assert (mapping->order_kind_count == 1 && mapping->return_kind_count == 2);
    assert (streq (mapping->columns [CLI_MAP_QUANTITY], "Количество"));
    assert (!mapping->columns [CLI_MAP_CLIENT_ID]);
    assert (streq (cli_mapping_column_key (CLI_MAP_LINE_AMOUNT), "line_amount"));
    cli_number_style_t style = cli_mapping_number_style (mapping);
    assert (style.decimal == ',' && streq (style.thousands, "\xC2\xA0"));
    cli_mapping_destroy (&mapping);
    cli_mapping_destroy (&mapping);

    char text [1200];
    snprintf (text, sizeof text, "{\"source\": \"x\", %s}", s_test_columns);
    mapping = cli_mapping_parse (text, "m.json", error, sizeof error);
    assert (mapping && mapping->csv.encoding == CLI_CSV_UTF8 && mapping->decimal == '.');
    assert (*mapping->thousands == 0 && !mapping->currency && !mapping->walk_in_id);
    cli_mapping_destroy (&mapping);

    s_expect_error ("{\"source\": \"x\",\n \"columns\": }", "m.json:2:", verbose);
    s_expect_error ("[1]", "m.json: must be a JSON object", verbose);
    s_expect_error ("{\"source\": \"x\", \"source\": \"y\"}", "m.json:1:", verbose);
    snprintf (text, sizeof text, "{%s}", s_test_columns);
    s_expect_error (text, "m.json: source: is required", verbose);
    snprintf (text, sizeof text, "{\"source\": \"a:b\", %s}", s_test_columns);
    s_expect_error (text, "source: must be at most 40 bytes, without \":\"", verbose);
    s_expect_bad_setting ("\"delimeter\": \";\"", "m.json: unknown key \"delimeter\"", verbose);
    s_expect_bad_setting ("\"encoding\": \"koi8-r\"", "encoding: \"koi8-r\" is not utf-8 or cp1251",
                          verbose);
    s_expect_bad_setting ("\"delimiter\": \";;\"", "delimiter: must be one ASCII character", verbose);
    s_expect_bad_setting ("\"quote\": \",\"", "quote: must differ from the delimiter", verbose);
    s_expect_bad_setting ("\"decimal_separator\": \",\", \"thousands_separator\": \",\"",
                          "thousands_separator: must differ from the decimal separator", verbose);
    s_expect_bad_setting ("\"thousands_separator\": \"_\"", "thousands_separator: must be one of",
                          verbose);
    s_expect_bad_setting ("\"date_format\": \"dd.mm.yyyy\"",
                          "date_format: \"dd.mm.yyyy\" has no % conversion", verbose);
    s_expect_bad_setting ("\"time_zone\": \"Mars/Base\"",
                          "time_zone: unknown time zone \"Mars/Base\"", verbose);
    s_expect_bad_setting ("\"currency\": \"rub\"", "currency: \"rub\" is not an ISO 4217 code",
                          verbose);
    s_expect_bad_setting ("\"rate\": 92.5", "rate: must be a string", verbose);
    s_expect_bad_setting ("\"rate\": \"0\"", "rate: \"0\" is not a number above 0", verbose);
    s_expect_bad_setting ("\"integral_ids\": 1", "integral_ids: must be true or false", verbose);
    s_expect_bad_setting ("\"walk_in_client\": {\"name\": \"x\"}",
                          "walk_in_client.id: is required", verbose);
    s_expect_bad_setting ("\"walk_in_client\": [1]", "walk_in_client: must be an object", verbose);
    s_expect_bad_setting ("\"kinds\": {\"order\": []}", "kinds.order: must not be an empty list",
                          verbose);
    s_expect_bad_setting ("\"kinds\": {\"order\": \"A\"}", "kinds: needs columns.kind", verbose);
    s_expect_bad_setting ("\"kinds\": {\"orders\": \"A\"}", "kinds: unknown key \"orders\"",
                          verbose);
    s_expect_error ("{\"source\": \"x\"}", "columns: is required", verbose);
    s_expect_error ("{\"source\": \"x\", \"columns\": {\"order_id\": \"o\", \"qty\": \"q\"}}",
                    "columns.qty: unknown column key", verbose);
    s_expect_error ("{\"source\": \"x\", \"columns\": {\"order_id\": 5}}",
                    "columns.order_id: must be a string (a header name)", verbose);
    s_expect_error ("{\"source\": \"x\", \"columns\": {\"order_id\": \"o\"}}",
                    "columns: \"date\" is required", verbose);
    s_expect_error ("{\"source\": \"x\", \"columns\": {\"order_id\": \"o\", \"date\": \"d\", "
                    "\"product_id\": \"p\", \"quantity\": \"q\", \"unit_price\": \"u\"}}",
                    "columns: \"client_id\" is required", verbose);
    s_expect_error ("{\"source\": \"x\", \"columns\": {\"order_id\": \"o\", \"date\": \"d\", "
                    "\"client_id\": \"c\", \"product_id\": \"p\", \"quantity\": \"q\"}}",
                    "\"unit_price\" or \"line_amount\" is required", verbose);
    s_expect_error ("{\"source\": \"x\", \"columns\": {\"order_id\": \"o\", \"date\": \"d\", "
                    "\"client_id\": \"c\", \"product_id\": \"p\", \"quantity\": \"q\", "
                    "\"unit_price\": \"u\", \"profit\": \"pr\"}}",
                    "\"profit\" needs \"line_amount\"", verbose);

    //  The built-in mappings are valid
    for (size_t i = 0; cli_mapping_builtins [i].name; i++) {
        mapping = cli_mapping_builtin (cli_mapping_builtins [i].name, error, sizeof error);
        if (!mapping)
            printf ("\n%s\n", error);
        assert (mapping);
        cli_mapping_destroy (&mapping);
    }
    assert (!cli_mapping_builtin ("nonexistent", error, sizeof error));

    assert (cli_mapping_load ("/nonexistent/m.json", error, sizeof error) == NULL);
    assert (strstr (error, "/nonexistent/m.json: "));
    printf ("OK\n");
}

/*  cli_import_northwind.c - imports the Northwind sample into crmq-sales.  */
#include "cli_import_northwind.h"
#include "cli_common.h"
#include "cli_csv.h"
#include "cli_ingest.h"

#include <assert.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVENT_PREFIX   "northwind:"
#define MAX_TEXT       65536        //  bytes of one field; the services cut finer
#define SHOW_REJECTED  10
#define NANOS_PER_CENT 10000000

//  One parsed order_details row.
typedef struct {
    char *product_id;
    int64_t quantity_units;
    int32_t quantity_nanos;
    int64_t price_units;             //  rounded to cents
    int32_t price_nanos;
    int64_t discount_units;          //  rounded to 2 decimals
    int32_t discount_nanos;
} s_line_t;

//  The lines of one order, in file order.
typedef struct {
    char *order_id;
    s_line_t *lines;
    size_t count, capacity;
    size_t first_line;               //  line of its first row in order_details.csv
    size_t bad_line;                 //  line of a rejected row, 0 = none
    bool claimed;                    //  orders.csv has the order
} s_order_t;

typedef struct {
    const char *dir;
    const char *time_zone;
    const char *currency;
    bool dry_run;
    zhashx_t *categories;            //  category_id -> category_name
    zlistx_t *managers;              //  Crmq__ErpEvent copies, file order
    zlistx_t *master;                //  clients then products
    zlistx_t *orders;                //  OrderPlaced events
    zhashx_t *order_lines;           //  order_id -> s_order_t
    zlistx_t *order_list;            //  s_order_t, first-seen order (borrowed)
    zlistx_t *rejections;            //  "file:line: message" strings
    size_t clients, products, lines;
    bool revenue_known;              //  every line's amount was computed
    int64_t revenue_cents;
} s_import_t;

//  --------------------------------------------------------------------------
//  Housekeeping

static void
s_event_free (void **item)
{
    if (*item) {
        crmq__erp_event__free_unpacked ((Crmq__ErpEvent *) *item, NULL);
        *item = NULL;
    }
}

static void
s_order_free (void **item)
{
    s_order_t *order = *item;
    if (!order)
        return;
    for (size_t i = 0; i < order->count; i++)
        free (order->lines [i].product_id);
    free (order->lines);
    free (order->order_id);
    free (order);
    *item = NULL;
}

static void
s_string_free (void **item)
{
    free (*item);
    *item = NULL;
}

static void *
s_string_dup (const void *item)
{
    return strdup ((const char *) item);
}

//  A hash of strings that copies the values it is given and frees them.
static zhashx_t *
s_string_hash_new (void)
{
    zhashx_t *hash = zhashx_new ();
    if (hash) {
        zhashx_set_duplicator (hash, s_string_dup);
        zhashx_set_destructor (hash, s_string_free);
    }
    return hash;
}

static int
s_import_init (s_import_t *self)
{
    self->categories = s_string_hash_new ();
    self->managers = zlistx_new ();
    self->master = zlistx_new ();
    self->orders = zlistx_new ();
    self->order_lines = zhashx_new ();
    self->order_list = zlistx_new ();
    self->rejections = zlistx_new ();
    if (!self->categories || !self->managers || !self->master || !self->orders
    ||  !self->order_lines || !self->order_list || !self->rejections)
        return -1;
    zlistx_set_destructor (self->managers, s_event_free);
    zlistx_set_destructor (self->master, s_event_free);
    zlistx_set_destructor (self->orders, s_event_free);
    zhashx_set_destructor (self->order_lines, s_order_free);
    zlistx_set_destructor (self->rejections, s_string_free);
    self->revenue_known = true;
    return 0;
}

static void
s_import_fini (s_import_t *self)
{
    zhashx_destroy (&self->categories);
    zlistx_destroy (&self->managers);
    zlistx_destroy (&self->master);
    zlistx_destroy (&self->orders);
    zlistx_destroy (&self->order_list);
    zhashx_destroy (&self->order_lines);
    zlistx_destroy (&self->rejections);
}

//  Records that the row on `line` of `file` is rejected: "file:line: message".
static void
s_reject (s_import_t *self, const char *file, size_t line, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
s_reject (s_import_t *self, const char *file, size_t line, const char *format, ...)
{
    char message [512];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    char *text = zsys_sprintf ("%s:%zu: %s", file, line, message);
    if (text)
        zlistx_add_end (self->rejections, text);
}

//  Keeps a copy of `event` (packed and unpacked: the copy owns its memory)
//  at the end of `list`.  Returns 0, or -1 on out-of-memory.
static int
s_keep (zlistx_t *list, const Crmq__ErpEvent *event)
{
    size_t size = crmq__erp_event__get_packed_size (event);
    uint8_t *packed = malloc (size? size: 1);
    if (!packed)
        return -1;
    crmq__erp_event__pack (event, packed);
    Crmq__ErpEvent *copy = crmq__erp_event__unpack (NULL, size, packed);
    free (packed);
    if (!copy || !zlistx_add_end (list, copy)) {
        if (copy)
            crmq__erp_event__free_unpacked (copy, NULL);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Reading fields

//  Opens DIR/name and checks its header has every column of `columns`
//  (NULL-terminated).  Returns NULL after printing why.
static cli_csv_t *
s_open (s_import_t *self, const char *name, const char *const *columns)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", self->dir, name);
    char error [600];
    cli_csv_t *csv = cli_csv_new (path, error, sizeof error);
    if (!csv) {
        fprintf (stderr, "crmq: %s\n", error);
        return NULL;
    }
    for (size_t i = 0; columns [i]; i++)
        if (cli_csv_column (csv, columns [i]) < 0) {
            fprintf (stderr, "crmq: %s: the header has no column \"%s\"\n", path, columns [i]);
            cli_csv_destroy (&csv);
            return NULL;
        }
    return csv;
}

//  Reads the next row; a row whose field count differs from the header's is
//  rejected and skipped.  Returns 1 with a row, 0 at the end, -1 on a read
//  or parse error (printed).
static int
s_next (s_import_t *self, cli_csv_t *csv)
{
    while (true) {
        int rc = cli_csv_next (csv);
        if (rc < 0)
            fprintf (stderr, "crmq: %s\n", cli_csv_error (csv));
        if (rc <= 0)
            return rc;
        if (cli_csv_size (csv) == cli_csv_columns (csv))
            return 1;
        s_reject (self, cli_csv_name (csv), cli_csv_line (csv), "%zu fields, the header has %zu",
                  cli_csv_size (csv), cli_csv_columns (csv));
    }
}

//  Field `column` of the current row as text crmq accepts (UTF-8, no
//  control characters); `required` ones must not be empty.  Returns NULL
//  after rejecting the row.
static const char *
s_text (s_import_t *self, cli_csv_t *csv, const char *column, bool required)
{
    const char *text = cli_csv_field (csv, cli_csv_column (csv, column));
    char why [128];
    if (!text)
        text = "";
    if (!crmq_text_valid (text, required? 1: 0, MAX_TEXT, why, sizeof why)) {
        s_reject (self, cli_csv_name (csv), cli_csv_line (csv), "%s %s", column, why);
        return NULL;
    }
    return text;
}

//  Decimal field rounded half-up to `scale` digits (scale < 0: as written,
//  up to 9 digits); never negative, above 0 when `positive`, at most 1 when
//  `at_most_one`.  Returns 0, or -1 after rejecting the row.
static int
s_decimal (s_import_t *self, cli_csv_t *csv, const char *column, int scale,
           bool positive, bool at_most_one, int64_t *units, int32_t *nanos)
{
    const char *text = s_text (self, csv, column, true);
    if (!text)
        return -1;
    int rc = scale < 0? crmq_decimal_parse (text, units, nanos)
                      : crmq_decimal_parse_round (text, scale, units, nanos);
    if (rc != 0) {
        s_reject (self, cli_csv_name (csv), cli_csv_line (csv), "%s \"%s\" is not a number", column, text);
        return -1;
    }
    bool negative = *units < 0 || *nanos < 0;
    bool zero = *units == 0 && *nanos == 0;
    if (negative || (positive && zero)) {
        s_reject (self, cli_csv_name (csv), cli_csv_line (csv), "%s %s must be %s", column, text,
                  positive? "above 0": "0 or more");
        return -1;
    }
    if (at_most_one && (*units > 1 || (*units == 1 && *nanos > 0))) {
        s_reject (self, cli_csv_name (csv), cli_csv_line (csv), "%s %s must be 1 or less", column, text);
        return -1;
    }
    return 0;
}

//  Date field "YYYY-MM-DD" as local midnight in the company zone; an empty
//  optional field gives 0.  Returns 0, or -1 after rejecting the row.
static int
s_date (s_import_t *self, cli_csv_t *csv, const char *column, bool required, int64_t *us)
{
    const char *text = s_text (self, csv, column, required);
    if (!text)
        return -1;
    *us = 0;
    if (*text && crmq_time_parse (text, self->time_zone, us) != 0) {
        s_reject (self, cli_csv_name (csv), cli_csv_line (csv), "%s \"%s\" is not a date", column, text);
        return -1;
    }
    return 0;
}

//  Builds the event id "northwind:<kind>:<id>" into buf.  Returns 0, or -1
//  after rejecting the row when it does not fit.
static int
s_event_id (s_import_t *self, cli_csv_t *csv, const char *kind, const char *id,
            char *buf, size_t size)
{
    int length = snprintf (buf, size, EVENT_PREFIX "%s:%s", kind, id);
    if (length < 0 || (size_t) length >= size) {
        s_reject (self, cli_csv_name (csv), cli_csv_line (csv), "%s id is too long", kind);
        return -1;
    }
    return 0;
}

//  Remembers `id` as seen on the current line of `csv`.  Returns 0, or -1
//  after rejecting the row when `id` was seen before.
static int
s_first_time (s_import_t *self, cli_csv_t *csv, zhashx_t *seen, const char *column,
              const char *id)
{
    const char *before = zhashx_lookup (seen, id);
    if (before) {
        s_reject (self, cli_csv_name (csv), cli_csv_line (csv), "%s %s repeats line %s", column, id, before);
        return -1;
    }
    char line [32];
    snprintf (line, sizeof line, "%zu", cli_csv_line (csv));
    zhashx_insert (seen, id, line);
    return 0;
}

//  --------------------------------------------------------------------------
//  Files

static int
s_read_categories (s_import_t *self)
{
    const char *columns [] = { "category_id", "category_name", NULL };
    cli_csv_t *csv = s_open (self, "categories.csv", columns);
    if (!csv)
        return -1;
    int rc;
    while ((rc = s_next (self, csv)) == 1) {
        const char *id = s_text (self, csv, "category_id", true);
        const char *name = id? s_text (self, csv, "category_name", true): NULL;
        if (!name)
            continue;
        if (zhashx_lookup (self->categories, id)) {
            s_reject (self, cli_csv_name (csv), cli_csv_line (csv), "category_id %s repeats", id);
            continue;
        }
        zhashx_insert (self->categories, id, (void *) name);
    }
    cli_csv_destroy (&csv);
    return rc;
}

static int
s_read_employees (s_import_t *self)
{
    const char *columns [] = { "employee_id", "first_name", "last_name", "title",
                               "reports_to", NULL };
    cli_csv_t *csv = s_open (self, "employees.csv", columns);
    zhashx_t *seen = s_string_hash_new ();
    int rc = -1;
    while (csv && seen && (rc = s_next (self, csv)) == 1) {
        const char *id, *first, *last, *title, *reports_to;
        char event_id [256], name [1024];
        if (!(id = s_text (self, csv, "employee_id", true))
        ||  !(first = s_text (self, csv, "first_name", false))
        ||  !(last = s_text (self, csv, "last_name", false))
        ||  !(title = s_text (self, csv, "title", false))
        ||  !(reports_to = s_text (self, csv, "reports_to", false))
        ||  s_event_id (self, csv, "employee", id, event_id, sizeof event_id)
        ||  s_first_time (self, csv, seen, "employee_id", id))
            continue;
        snprintf (name, sizeof name, "%s%s%s", first, *first && *last? " ": "", last);
        if (!*name) {
            s_reject (self, cli_csv_name (csv), cli_csv_line (csv), "employee %s has no name", id);
            continue;
        }
        Crmq__Manager manager = CRMQ__MANAGER__INIT;
        manager.external_id = (char *) id;
        manager.name = name;
        manager.title = (char *) title;
        manager.supervisor_external_id = (char *) reports_to;
        manager.active = true;
        Crmq__ErpEvent event = CRMQ__ERP_EVENT__INIT;
        event.event_id = event_id;
        event.occurred_at_us = 0;       //  fixed: a re-import must be identical
        event.body_case = CRMQ__ERP_EVENT__BODY_MANAGER;
        event.manager = &manager;
        if (s_keep (self->managers, &event) != 0) {
            rc = -1;
            break;
        }
    }
    zhashx_destroy (&seen);
    cli_csv_destroy (&csv);
    return rc;
}

static int
s_read_customers (s_import_t *self)
{
    const char *columns [] = { "customer_id", "company_name", "address", "city", "region",
                               "postal_code", "country", "phone", NULL };
    cli_csv_t *csv = s_open (self, "customers.csv", columns);
    zhashx_t *seen = s_string_hash_new ();
    int rc = -1;
    while (csv && seen && (rc = s_next (self, csv)) == 1) {
        Crmq__Client client = CRMQ__CLIENT__INIT;
        const char *id, *name, *address, *city, *region, *postal_code, *country, *phone;
        char event_id [256];
        if (!(id = s_text (self, csv, "customer_id", true))
        ||  !(name = s_text (self, csv, "company_name", true))
        ||  !(address = s_text (self, csv, "address", false))
        ||  !(city = s_text (self, csv, "city", false))
        ||  !(region = s_text (self, csv, "region", false))
        ||  !(postal_code = s_text (self, csv, "postal_code", false))
        ||  !(country = s_text (self, csv, "country", false))
        ||  !(phone = s_text (self, csv, "phone", false))
        ||  s_event_id (self, csv, "customer", id, event_id, sizeof event_id)
        ||  s_first_time (self, csv, seen, "customer_id", id))
            continue;
        client.external_id = (char *) id;
        client.name = (char *) name;
        client.address = (char *) address;
        client.city = (char *) city;
        client.region = (char *) region;
        client.postal_code = (char *) postal_code;
        client.country = (char *) country;
        client.phone = (char *) phone;
        Crmq__ErpEvent event = CRMQ__ERP_EVENT__INIT;
        event.event_id = event_id;
        event.body_case = CRMQ__ERP_EVENT__BODY_CLIENT;
        event.client = &client;
        if (s_keep (self->master, &event) != 0) {
            rc = -1;
            break;
        }
        self->clients++;
    }
    zhashx_destroy (&seen);
    cli_csv_destroy (&csv);
    return rc;
}

static int
s_read_products (s_import_t *self)
{
    const char *columns [] = { "product_id", "product_name", "category_id", "unit_price",
                               "discontinued", NULL };
    cli_csv_t *csv = s_open (self, "products.csv", columns);
    zhashx_t *seen = s_string_hash_new ();
    int rc = -1;
    while (csv && seen && (rc = s_next (self, csv)) == 1) {
        const char *id, *name, *category, *discontinued;
        char event_id [256];
        Crmq__Money price = CRMQ__MONEY__INIT;
        if (!(id = s_text (self, csv, "product_id", true))
        ||  !(name = s_text (self, csv, "product_name", true))
        ||  !(category = s_text (self, csv, "category_id", false))
        ||  !(discontinued = s_text (self, csv, "discontinued", false))
        ||  s_decimal (self, csv, "unit_price", 2, false, false, &price.units, &price.nanos)
        ||  s_event_id (self, csv, "product", id, event_id, sizeof event_id))
            continue;
        const char *category_name = *category? zhashx_lookup (self->categories, category): "";
        if (!category_name) {
            s_reject (self, cli_csv_name (csv), cli_csv_line (csv),
                      "category_id %s is not in categories.csv", category);
            continue;
        }
        bool is_discontinued;
        if (streq (discontinued, "1") || streq (discontinued, "true") || streq (discontinued, "t"))
            is_discontinued = true;
        else
        if (streq (discontinued, "0") || streq (discontinued, "false") || streq (discontinued, "f")
        ||  streq (discontinued, ""))
            is_discontinued = false;
        else {
            s_reject (self, cli_csv_name (csv), cli_csv_line (csv),
                      "discontinued \"%s\" is not 0 or 1", discontinued);
            continue;
        }
        if (s_first_time (self, csv, seen, "product_id", id))
            continue;
        price.currency = (char *) self->currency;
        Crmq__Product product = CRMQ__PRODUCT__INIT;
        product.external_id = (char *) id;
        product.name = (char *) name;
        product.group_external_id = (char *) category;
        product.group_name = (char *) category_name;
        product.list_price = &price;
        product.discontinued = is_discontinued;
        Crmq__ErpEvent event = CRMQ__ERP_EVENT__INIT;
        event.event_id = event_id;
        event.body_case = CRMQ__ERP_EVENT__BODY_PRODUCT;
        event.product = &product;
        if (s_keep (self->master, &event) != 0) {
            rc = -1;
            break;
        }
        self->products++;
    }
    zhashx_destroy (&seen);
    cli_csv_destroy (&csv);
    return rc;
}

//  The lines of order `order_id`, created on first sight.  NULL on out-of-memory.
static s_order_t *
s_order_lines (s_import_t *self, const char *order_id, size_t line)
{
    s_order_t *order = zhashx_lookup (self->order_lines, order_id);
    if (order)
        return order;
    order = calloc (1, sizeof (s_order_t));
    if (!order || !(order->order_id = strdup (order_id))) {
        free (order);
        return NULL;
    }
    order->first_line = line;
    zhashx_insert (self->order_lines, order_id, order);
    zlistx_add_end (self->order_list, order);
    return order;
}

static int
s_read_order_details (s_import_t *self)
{
    const char *columns [] = { "order_id", "product_id", "unit_price", "quantity", "discount",
                               NULL };
    cli_csv_t *csv = s_open (self, "order_details.csv", columns);
    int rc = -1;
    while (csv && (rc = s_next (self, csv)) == 1) {
        const char *order_id = s_text (self, csv, "order_id", true);
        if (!order_id)
            continue;
        s_order_t *order = s_order_lines (self, order_id, cli_csv_line (csv));
        if (!order) {
            rc = -1;
            break;
        }
        s_line_t line = { 0 };
        const char *product_id = s_text (self, csv, "product_id", true);
        if (!product_id
        ||  s_decimal (self, csv, "unit_price", 2, false, false,
                       &line.price_units, &line.price_nanos)
        ||  s_decimal (self, csv, "quantity", -1, true, false,
                       &line.quantity_units, &line.quantity_nanos)
        ||  s_decimal (self, csv, "discount", 2, false, true,
                       &line.discount_units, &line.discount_nanos)) {
            if (!order->bad_line)
                order->bad_line = cli_csv_line (csv);
            continue;
        }
        if (order->count == order->capacity) {
            size_t capacity = order->capacity? order->capacity * 2: 4;
            s_line_t *grown = realloc (order->lines, capacity * sizeof (s_line_t));
            if (!grown) {
                rc = -1;
                break;
            }
            order->lines = grown;
            order->capacity = capacity;
        }
        if (!(line.product_id = strdup (product_id))) {
            rc = -1;
            break;
        }
        order->lines [order->count++] = line;
    }
    cli_csv_destroy (&csv);
    return rc;
}

//  Adds the line's amount, round_half_up (quantity x price x (1 - discount), 2),
//  to the dry run's revenue; gives up (revenue unknown) on a fractional
//  quantity or an overflow.  Price and discount have 2 decimals here.
static void
s_add_revenue (s_import_t *self, const s_line_t *line)
{
    if (!self->revenue_known)
        return;
    int64_t cents = line->price_units * 100 + line->price_nanos / NANOS_PER_CENT;
    int64_t keep = 100 - (line->discount_units * 100 + line->discount_nanos / NANOS_PER_CENT);
    int64_t hundredths;                     //  of a cent
    if (line->quantity_nanos != 0
    ||  __builtin_mul_overflow (cents, line->quantity_units, &hundredths)
    ||  __builtin_mul_overflow (hundredths, keep, &hundredths)
    ||  __builtin_add_overflow (self->revenue_cents, (hundredths + 50) / 100,
                                &self->revenue_cents))
        self->revenue_known = false;
}

//  Builds the OrderPlaced event of the current orders.csv row from `order`.
//  Returns 0, or -1 on out-of-memory.
static int
s_keep_order (s_import_t *self, s_order_t *order, const char *event_id,
              Crmq__OrderPlaced *placed)
{
    size_t count = order->count;
    Crmq__OrderLine *lines = calloc (count, sizeof (Crmq__OrderLine));
    Crmq__OrderLine **line_ptrs = calloc (count, sizeof (Crmq__OrderLine *));
    Crmq__Money *prices = calloc (count, sizeof (Crmq__Money));
    Crmq__Decimal *numbers = calloc (2 * count, sizeof (Crmq__Decimal));
    int rc = -1;
    if (lines && line_ptrs && prices && numbers) {
        for (size_t i = 0; i < count; i++) {
            const s_line_t *source = &order->lines [i];
            Crmq__Money price = CRMQ__MONEY__INIT;
            Crmq__Decimal decimal = CRMQ__DECIMAL__INIT;
            Crmq__OrderLine line = CRMQ__ORDER_LINE__INIT;
            prices [i] = price;
            prices [i].currency = (char *) self->currency;
            prices [i].units = source->price_units;
            prices [i].nanos = source->price_nanos;
            numbers [2 * i] = decimal;
            numbers [2 * i].units = source->quantity_units;
            numbers [2 * i].nanos = source->quantity_nanos;
            numbers [2 * i + 1] = decimal;
            numbers [2 * i + 1].units = source->discount_units;
            numbers [2 * i + 1].nanos = source->discount_nanos;
            lines [i] = line;
            lines [i].product_external_id = source->product_id;
            lines [i].quantity = &numbers [2 * i];
            lines [i].unit_price = &prices [i];
            lines [i].discount = &numbers [2 * i + 1];
            line_ptrs [i] = &lines [i];
        }
        placed->n_lines = count;
        placed->lines = line_ptrs;
        Crmq__ErpEvent event = CRMQ__ERP_EVENT__INIT;
        event.event_id = (char *) event_id;
        event.occurred_at_us = placed->placed_at_us;
        event.body_case = CRMQ__ERP_EVENT__BODY_ORDER_PLACED;
        event.order_placed = placed;
        rc = s_keep (self->orders, &event);
        placed->n_lines = 0;
        placed->lines = NULL;
    }
    free (lines);
    free (line_ptrs);
    free (prices);
    free (numbers);
    if (rc == 0) {
        self->lines += count;
        for (size_t i = 0; i < count; i++)
            s_add_revenue (self, &order->lines [i]);
    }
    return rc;
}

static int
s_read_orders (s_import_t *self)
{
    const char *columns [] = { "order_id", "customer_id", "employee_id", "order_date",
                               "required_date", NULL };
    cli_csv_t *csv = s_open (self, "orders.csv", columns);
    zhashx_t *seen = s_string_hash_new ();
    int rc = -1;
    while (csv && seen && (rc = s_next (self, csv)) == 1) {
        const char *id, *customer_id, *employee_id;
        char event_id [256];
        Crmq__OrderPlaced placed = CRMQ__ORDER_PLACED__INIT;
        if (!(id = s_text (self, csv, "order_id", true)))
            continue;
        //  Its lines are accounted for even when the row is rejected below.
        s_order_t *order = zhashx_lookup (self->order_lines, id);
        if (order)
            order->claimed = true;
        if (!(customer_id = s_text (self, csv, "customer_id", true))
        ||  !(employee_id = s_text (self, csv, "employee_id", false))
        ||  s_date (self, csv, "order_date", true, &placed.placed_at_us)
        ||  s_date (self, csv, "required_date", false, &placed.required_at_us)
        ||  s_event_id (self, csv, "order", id, event_id, sizeof event_id)
        ||  s_first_time (self, csv, seen, "order_id", id))
            continue;
        if (!order || (order->count == 0 && !order->bad_line)) {
            s_reject (self, cli_csv_name (csv), cli_csv_line (csv),
                      "order %s has no lines in order_details.csv", id);
            continue;
        }
        if (order->bad_line) {
            s_reject (self, cli_csv_name (csv), cli_csv_line (csv),
                      "order %s not sent: its line order_details.csv:%zu was rejected",
                      id, order->bad_line);
            continue;
        }
        placed.external_id = (char *) id;
        placed.client_external_id = (char *) customer_id;
        placed.manager_external_id = (char *) employee_id;
        placed.currency = (char *) self->currency;
        if (s_keep_order (self, order, event_id, &placed) != 0) {
            rc = -1;
            break;
        }
    }
    zhashx_destroy (&seen);
    //  Lines of orders that orders.csv does not have
    if (rc == 0)
        for (s_order_t *order = zlistx_first (self->order_list); order;
             order = zlistx_next (self->order_list))
            if (!order->claimed)
                s_reject (self, "order_details.csv", order->first_line,
                          "order %s is not in orders.csv (%zu line%s not sent)",
                          order->order_id, order->count, order->count == 1? "": "s");
    cli_csv_destroy (&csv);
    return rc;
}

//  Orders the manager events so each supervisor comes before the managers
//  reporting to it (file order otherwise); a cycle keeps file order.
static zlistx_t *
s_managers_by_hierarchy (s_import_t *self)
{
    zlistx_t *sorted = zlistx_new ();
    zhashx_t *placed = zhashx_new ();
    zhashx_t *known = zhashx_new ();
    if (!sorted || !placed || !known) {
        zlistx_destroy (&sorted);
        zhashx_destroy (&placed);
        zhashx_destroy (&known);
        return NULL;
    }
    Crmq__ErpEvent *event;
    for (event = zlistx_first (self->managers); event; event = zlistx_next (self->managers))
        zhashx_insert (known, event->manager->external_id, event);
    size_t before;
    do {
        before = zlistx_size (sorted);
        for (event = zlistx_first (self->managers); event; event = zlistx_next (self->managers)) {
            const char *id = event->manager->external_id;
            const char *boss = event->manager->supervisor_external_id;
            if (zhashx_lookup (placed, id))
                continue;
            if (!*boss || !zhashx_lookup (known, boss) || zhashx_lookup (placed, boss)) {
                zlistx_add_end (sorted, event);
                zhashx_insert (placed, id, event);
            }
        }
    } while (zlistx_size (sorted) > before);
    for (event = zlistx_first (self->managers); event; event = zlistx_next (self->managers))
        if (!zhashx_lookup (placed, event->manager->external_id))
            zlistx_add_end (sorted, event);
    zhashx_destroy (&placed);
    zhashx_destroy (&known);
    return sorted;                      //  borrows the events of self->managers
}

//  --------------------------------------------------------------------------
//  Sending

static int
s_publish_list (cli_ingest_t *ingest, zlistx_t *list)
{
    for (Crmq__ErpEvent *event = zlistx_first (list); event; event = zlistx_next (list))
        if (cli_ingest_add (ingest, event) != 0)
            return -1;
    return 0;
}

//  Sends (or, dry, only batches) every event: master data, flushed, then
//  orders.  Returns 0 or -1 when a batch failed (printed).
static int
s_publish (s_import_t *self, cli_ingest_t *ingest)
{
    zlistx_t *managers = s_managers_by_hierarchy (self);
    int rc = managers? 0: -1;
    if (rc == 0)
        rc = s_publish_list (ingest, managers);
    if (rc == 0)
        rc = s_publish_list (ingest, self->master);
    if (rc == 0)
        rc = cli_ingest_flush (ingest);
    if (rc == 0)
        rc = s_publish_list (ingest, self->orders);
    if (rc == 0)
        rc = cli_ingest_flush (ingest);
    zlistx_destroy (&managers);
    cli_ingest_end_progress (ingest);
    return rc;
}

static void
s_print_rejections (s_import_t *self, FILE *out)
{
    size_t count = zlistx_size (self->rejections);
    if (count == 0)
        return;
    fprintf (out, "rows rejected here, not sent: %zu\n", count);
    size_t shown = 0;
    for (char *text = zlistx_first (self->rejections); text && shown < SHOW_REJECTED;
         text = zlistx_next (self->rejections), shown++)
        fprintf (out, "  %s\n", text);
    if (count > shown)
        fprintf (out, "  ... and %zu more\n", count - shown);
}

static bool
s_currency_valid (const char *currency)
{
    if (strlen (currency) != 3)
        return false;
    for (int i = 0; i < 3; i++)
        if (currency [i] < 'A' || currency [i] > 'Z')
            return false;
    return true;
}

int
cli_import_northwind_run (crmq_config_t *config, int argc, char **argv)
{
    static const struct option options [] = {
        { "dry-run", no_argument, NULL, 'n' },
        { NULL, 0, NULL, 0 }
    };
    s_import_t self = { 0 };
    cli_options_seen_t seen = { 0 };
    optind = 0;
    opterr = 0;
    int option;
    while ((option = getopt_long (argc, argv, ":", options, NULL)) != -1) {
        if (cli_option_once (&seen, options, option, CLI_IMPORT_NORTHWIND_USAGE) != 0)
            return CLI_EXIT_USAGE;
        if (option == 'n')
            self.dry_run = true;
        else
            return cli_usage (CLI_IMPORT_NORTHWIND_USAGE, "unknown option %s", argv [optind - 1]);
    }
    if (argc - optind != 1)
        return cli_usage (CLI_IMPORT_NORTHWIND_USAGE, "expected one directory");
    self.dir = argv [optind];
    self.time_zone = crmq_config_str (config, "time_zone");
    self.currency = crmq_config_str (config, "base_currency");
    if (!s_currency_valid (self.currency)) {
        fprintf (stderr, "crmq: CRMQ_BASE_CURRENCY: \"%s\" is not an ISO 4217 code\n",
                 self.currency);
        return CLI_EXIT_FAILURE;
    }
    int exit_code = CLI_EXIT_FAILURE;
    cli_ingest_t *ingest = NULL;
    if (s_import_init (&self) != 0) {
        fprintf (stderr, "crmq: out of memory\n");
        goto done;
    }
    if (s_read_categories (&self)
    ||  s_read_employees (&self)
    ||  s_read_customers (&self)
    ||  s_read_products (&self)
    ||  s_read_order_details (&self)
    ||  s_read_orders (&self))
        goto done;                      //  printed

    size_t total = zlistx_size (self.managers) + zlistx_size (self.master)
                 + zlistx_size (self.orders);
    if (!(ingest = cli_ingest_open (config, self.dry_run)))
        goto done;                      //  printed
    if (!self.dry_run)
        cli_ingest_set_progress (ingest, stderr, "import northwind", total);
    bool failed = s_publish (&self, ingest) != 0;

    if (self.dry_run) {
        printf ("dry run, nothing sent\n");
        printf ("managers: %zu\n", zlistx_size (self.managers));
        printf ("clients: %zu\n", self.clients);
        printf ("products: %zu\n", self.products);
        printf ("orders: %zu\n", zlistx_size (self.orders));
        printf ("order lines: %zu\n", self.lines);
        printf ("events: %zu in %zu batches of up to %lld (%zu bytes)\n",
                cli_ingest_sent (ingest), cli_ingest_batches (ingest),
                crmq_config_int (config, "batch_size"), cli_ingest_bytes (ingest));
        if (cli_ingest_rejected (ingest))
            printf ("events too large for CRMQ_MAX_MESSAGE_BYTES, not sent: %zu\n",
                    cli_ingest_rejected (ingest));
        if (self.revenue_known) {
            char revenue [48];
            cli_decimal_text (self.revenue_cents / 100,
                              (int32_t) (self.revenue_cents % 100) * NANOS_PER_CENT,
                              2, revenue, sizeof revenue);
            printf ("revenue: %s %s (each line rounded half-up to cents)\n",
                    revenue, self.currency);
        }
    }
    else
        cli_ingest_print_summary (ingest, stdout);
    s_print_rejections (&self, stdout);
    if (failed) {
        fprintf (stderr, "crmq: import stopped; the events acknowledged so far are stored, "
                         "run the import again to resume\n");
        exit_code = CLI_EXIT_FAILURE;
    }
    else
    if (cli_ingest_rejected (ingest) || zlistx_size (self.rejections))
        exit_code = CLI_EXIT_REJECTED;
    else
        exit_code = CLI_EXIT_OK;

done:
    cli_ingest_destroy (&ingest);
    s_import_fini (&self);
    return exit_code;
}

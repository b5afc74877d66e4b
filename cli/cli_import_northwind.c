/*  cli_import_northwind.c - imports the Northwind sample into crmq-sales.

    Master data is built here (Northwind's employees, customers and
    products carry more than an export's rows do); orders, their lines and
    their shipments go through cli_documents, rows and fields through
    cli_rows, the run and its summary through cli_import.                  */
#include "cli_import_northwind.h"
#include "cli_common.h"
#include "cli_documents.h"
#include "cli_import.h"
#include "cli_money.h"
#include "cli_rows.h"

#include <assert.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define SOURCE "northwind"

static const char *s_files [] = {
    "categories.csv", "employees.csv", "customers.csv", "products.csv", "orders.csv",
    "order_details.csv", NULL
};

//  An orders.csv row, waiting for its lines.
typedef struct {
    char *client_id;
    char *manager_id;
    int64_t placed_us, required_us, shipped_us;
    size_t line;                     //  of orders.csv
    bool rejected;                   //  the row was rejected
    bool has_lines;
} s_header_t;

typedef struct {
    const char *dir;
    const char *time_zone;
    const char *currency;
    cli_import_t *import;
    cli_documents_t *documents;
    zhashx_t *categories;            //  category_id -> category_name
    zlistx_t *managers;              //  Crmq__ErpEvent copies, file order
    zlistx_t *master;                //  clients then products
    zhashx_t *headers;               //  order_id -> s_header_t
    zlistx_t *order_ids;             //  orders.csv order (copies)
    size_t clients, products;
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
s_header_free (void **item)
{
    s_header_t *header = *item;
    if (header) {
        free (header->client_id);
        free (header->manager_id);
        free (header);
        *item = NULL;
    }
}

//  A hash of strings that copies the values it is given and frees them.
static zhashx_t *
s_string_hash_new (void)
{
    zhashx_t *hash = zhashx_new ();
    if (hash) {
        zhashx_set_duplicator (hash, cli_string_dup);
        zhashx_set_destructor (hash, cli_string_destroy);
    }
    return hash;
}

static int
s_import_init (s_import_t *self)
{
    self->categories = s_string_hash_new ();
    self->managers = zlistx_new ();
    self->master = zlistx_new ();
    self->headers = zhashx_new ();
    self->order_ids = zlistx_new ();
    self->documents = cli_documents_new (SOURCE);
    if (!self->categories || !self->managers || !self->master || !self->headers
    ||  !self->order_ids || !self->documents)
        return -1;
    zlistx_set_destructor (self->managers, s_event_free);
    zlistx_set_destructor (self->master, s_event_free);
    zhashx_set_destructor (self->headers, s_header_free);
    zlistx_set_destructor (self->order_ids, cli_string_destroy);
    return 0;
}

static void
s_import_fini (s_import_t *self)
{
    zhashx_destroy (&self->categories);
    zlistx_destroy (&self->managers);
    zlistx_destroy (&self->master);
    zlistx_destroy (&self->order_ids);
    zhashx_destroy (&self->headers);
    cli_documents_destroy (&self->documents);
    cli_import_destroy (&self->import);
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

//  Opens DIR/name, checking its header has every column of `columns`.
//  NULL after printing why.
static cli_rows_t *
s_open (s_import_t *self, const char *name, const char *const *columns)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", self->dir, name);
    return cli_rows_new (self->import, path, NULL, columns);
}

//  Field `column` as text crmq accepts (UTF-8, no control characters),
//  not empty when `required`; NULL after rejecting the row.
static const char *
s_text (cli_rows_t *rows, const char *column, bool required)
{
    return cli_rows_text (rows, cli_rows_column (rows, column), column, required);
}

//  Decimal field rounded half-up to `scale` digits (0 = as written, up to
//  9), never negative, above 0 when `positive`, at most 1 when
//  `at_most_one`.  Returns 0, or -1 after rejecting the row.
static int
s_decimal (cli_rows_t *rows, const char *column, int scale, bool positive, bool at_most_one,
           cli_number_t *value)
{
    cli_number_style_t style = { .scale = scale };
    if (cli_rows_number (rows, cli_rows_column (rows, column), column, &style, value) != 0)
        return -1;
    char reason [128];
    if (cli_number_is_negative (*value) || (positive && cli_number_is_zero (*value))) {
        snprintf (reason, sizeof reason, "%s must be %s", column, positive? "above 0": "0 or more");
        cli_rows_reject (rows, reason, "%s %s must be %s", column,
                         cli_rows_raw (rows, cli_rows_column (rows, column)),
                         positive? "above 0": "0 or more");
        return -1;
    }
    if (at_most_one && cli_number_compare (*value, (cli_number_t) { 1, 0 }) > 0) {
        snprintf (reason, sizeof reason, "%s must be 1 or less", column);
        cli_rows_reject (rows, reason, "%s %s must be 1 or less", column,
                         cli_rows_raw (rows, cli_rows_column (rows, column)));
        return -1;
    }
    return 0;
}

//  Date field "YYYY-MM-DD" as local midnight in the company zone; an empty
//  optional field gives 0.  Returns 0, or -1 after rejecting the row.
static int
s_date (s_import_t *self, cli_rows_t *rows, const char *column, bool required, int64_t *us)
{
    return cli_rows_date (rows, cli_rows_column (rows, column), column, NULL, self->time_zone,
                          required, us);
}

//  Builds the event id "northwind:<kind>:<id>" into buf.  Returns 0, or -1
//  after rejecting the row when it does not fit.
static int
s_event_id (cli_rows_t *rows, const char *kind, const char *id, char *buf, size_t size)
{
    if (cli_import_event_id (SOURCE, kind, id, buf, size) == 0)
        return 0;
    cli_rows_reject (rows, "id too long", "%s id is too long", kind);
    return -1;
}

//  Remembers `id` as seen on the current row.  Returns 0, or -1 after
//  rejecting the row when `id` was seen before.
static int
s_first_time (cli_rows_t *rows, zhashx_t *seen, const char *column, const char *id)
{
    const char *before = zhashx_lookup (seen, id);
    char reason [128];
    if (before) {
        snprintf (reason, sizeof reason, "%s repeats", column);
        cli_rows_reject (rows, reason, "%s %s repeats line %s", column, id, before);
        return -1;
    }
    char line [32];
    snprintf (line, sizeof line, "%zu", cli_rows_line (rows));
    zhashx_insert (seen, id, line);
    return 0;
}

//  --------------------------------------------------------------------------
//  Files

static int
s_read_categories (s_import_t *self)
{
    const char *columns [] = { "category_id", "category_name", NULL };
    cli_rows_t *rows = s_open (self, "categories.csv", columns);
    if (!rows)
        return -1;
    int rc;
    while ((rc = cli_rows_next (rows)) == 1) {
        const char *id = s_text (rows, "category_id", true);
        const char *name = id? s_text (rows, "category_name", true): NULL;
        if (!name)
            continue;
        if (zhashx_lookup (self->categories, id)) {
            cli_rows_reject (rows, "category_id repeats", "category_id %s repeats", id);
            continue;
        }
        zhashx_insert (self->categories, id, (void *) name);
    }
    cli_rows_destroy (&rows);
    return rc;
}

static int
s_read_employees (s_import_t *self)
{
    const char *columns [] = { "employee_id", "first_name", "last_name", "title",
                               "reports_to", NULL };
    cli_rows_t *rows = s_open (self, "employees.csv", columns);
    zhashx_t *seen = s_string_hash_new ();
    int rc = -1;
    while (rows && seen && (rc = cli_rows_next (rows)) == 1) {
        const char *id, *first, *last, *title, *reports_to;
        char event_id [256], name [1024];
        if (!(id = s_text (rows, "employee_id", true))
        ||  !(first = s_text (rows, "first_name", false))
        ||  !(last = s_text (rows, "last_name", false))
        ||  !(title = s_text (rows, "title", false))
        ||  !(reports_to = s_text (rows, "reports_to", false))
        ||  s_event_id (rows, "employee", id, event_id, sizeof event_id)
        ||  s_first_time (rows, seen, "employee_id", id))
            continue;
        snprintf (name, sizeof name, "%s%s%s", first, *first && *last? " ": "", last);
        if (!*name) {
            cli_rows_reject (rows, "employee has no name", "employee %s has no name", id);
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
    cli_rows_destroy (&rows);
    return rc;
}

static int
s_read_customers (s_import_t *self)
{
    const char *columns [] = { "customer_id", "company_name", "address", "city", "region",
                               "postal_code", "country", "phone", NULL };
    cli_rows_t *rows = s_open (self, "customers.csv", columns);
    zhashx_t *seen = s_string_hash_new ();
    int rc = -1;
    while (rows && seen && (rc = cli_rows_next (rows)) == 1) {
        Crmq__Client client = CRMQ__CLIENT__INIT;
        const char *id, *name, *address, *city, *region, *postal_code, *country, *phone;
        char event_id [256];
        if (!(id = s_text (rows, "customer_id", true))
        ||  !(name = s_text (rows, "company_name", true))
        ||  !(address = s_text (rows, "address", false))
        ||  !(city = s_text (rows, "city", false))
        ||  !(region = s_text (rows, "region", false))
        ||  !(postal_code = s_text (rows, "postal_code", false))
        ||  !(country = s_text (rows, "country", false))
        ||  !(phone = s_text (rows, "phone", false))
        ||  s_event_id (rows, "customer", id, event_id, sizeof event_id)
        ||  s_first_time (rows, seen, "customer_id", id))
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
    cli_rows_destroy (&rows);
    return rc;
}

static int
s_read_products (s_import_t *self)
{
    const char *columns [] = { "product_id", "product_name", "category_id", "unit_price",
                               "discontinued", NULL };
    cli_rows_t *rows = s_open (self, "products.csv", columns);
    zhashx_t *seen = s_string_hash_new ();
    int rc = -1;
    while (rows && seen && (rc = cli_rows_next (rows)) == 1) {
        const char *id, *name, *category, *discontinued;
        char event_id [256];
        cli_number_t list_price;
        if (!(id = s_text (rows, "product_id", true))
        ||  !(name = s_text (rows, "product_name", true))
        ||  !(category = s_text (rows, "category_id", false))
        ||  !(discontinued = s_text (rows, "discontinued", false))
        ||  s_decimal (rows, "unit_price", 2, false, false, &list_price)
        ||  s_event_id (rows, "product", id, event_id, sizeof event_id))
            continue;
        const char *category_name = *category? zhashx_lookup (self->categories, category): "";
        if (!category_name) {
            cli_rows_reject (rows, "category_id is not in categories.csv",
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
            cli_rows_reject (rows, "discontinued is not 0 or 1",
                             "discontinued \"%s\" is not 0 or 1", discontinued);
            continue;
        }
        if (s_first_time (rows, seen, "product_id", id))
            continue;
        Crmq__Money price = CRMQ__MONEY__INIT;
        price.currency = (char *) self->currency;
        price.units = list_price.units;
        price.nanos = list_price.nanos;
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
    cli_rows_destroy (&rows);
    return rc;
}

//  orders.csv: the headers the lines of order_details.csv join.
static int
s_read_orders (s_import_t *self)
{
    const char *columns [] = { "order_id", "customer_id", "employee_id", "order_date",
                               "required_date", "shipped_date", NULL };
    cli_rows_t *rows = s_open (self, "orders.csv", columns);
    int rc = -1;
    while (rows && (rc = cli_rows_next (rows)) == 1) {
        const char *id = s_text (rows, "order_id", true);
        if (!id)
            continue;
        s_header_t *header = zhashx_lookup (self->headers, id);
        if (header) {
            cli_rows_reject (rows, "order_id repeats", "order_id %s repeats line %zu", id,
                             header->line);
            continue;
        }
        if (!(header = calloc (1, sizeof (s_header_t)))) {
            rc = -1;
            break;
        }
        header->line = cli_rows_line (rows);
        zhashx_insert (self->headers, id, header);
        char *copy = strdup (id);
        if (!copy || !zlistx_add_end (self->order_ids, copy)) {
            free (copy);
            rc = -1;
            break;
        }
        const char *customer_id, *employee_id;
        char event_id [256];
        if (!(customer_id = s_text (rows, "customer_id", true))
        ||  !(employee_id = s_text (rows, "employee_id", false))
        ||  s_date (self, rows, "order_date", true, &header->placed_us)
        ||  s_date (self, rows, "required_date", false, &header->required_us)
        ||  s_date (self, rows, "shipped_date", false, &header->shipped_us)
        ||  s_event_id (rows, "order", id, event_id, sizeof event_id)) {
            header->rejected = true;    //  and its lines are not sent
            continue;
        }
        header->client_id = strdup (customer_id);
        header->manager_id = strdup (employee_id);
        if (!header->client_id || !header->manager_id) {
            rc = -1;
            break;
        }
    }
    cli_rows_destroy (&rows);
    return rc;
}

static int
s_read_order_details (s_import_t *self)
{
    const char *columns [] = { "order_id", "product_id", "unit_price", "quantity", "discount",
                               NULL };
    cli_rows_t *rows = s_open (self, "order_details.csv", columns);
    int rc = -1;
    while (rows && (rc = cli_rows_next (rows)) == 1) {
        const char *order_id = s_text (rows, "order_id", true);
        if (!order_id)
            continue;
        s_header_t *header = zhashx_lookup (self->headers, order_id);
        if (!header) {
            cli_rows_reject (rows, "order is not in orders.csv", "order %s is not in orders.csv",
                             order_id);
            continue;
        }
        header->has_lines = true;
        const char *file = cli_rows_file (rows);
        size_t line_no = cli_rows_line (rows);
        cli_document_line_t line = { 0 };
        if (header->rejected
        ||  !(line.product_id = s_text (rows, "product_id", true))
        ||  s_decimal (rows, "unit_price", 2, false, false, &line.unit_price)
        ||  s_decimal (rows, "quantity", 0, true, false, &line.quantity)
        ||  s_decimal (rows, "discount", 2, false, true, &line.discount)) {
            if (cli_documents_spoil (self->documents, CLI_DOCUMENT_ORDER, order_id,
                                     header->rejected? "orders.csv": file,
                                     header->rejected? header->line: line_no) != 0) {
                rc = -1;
                break;
            }
            continue;
        }
        cli_document_header_t document = {
            .client_id = header->client_id, .manager_id = header->manager_id,
            .at_us = header->placed_us, .required_us = header->required_us,
            .shipped_us = header->shipped_us, .currency = self->currency
        };
        if (cli_documents_add (self->documents, CLI_DOCUMENT_ORDER, order_id, &document, &line,
                               file, line_no, self->import) < 0) {
            rc = -1;
            break;
        }
    }
    cli_rows_destroy (&rows);
    //  Orders that have no lines
    for (const char *id = zlistx_first (self->order_ids); rc == 0 && id;
         id = zlistx_next (self->order_ids)) {
        s_header_t *header = zhashx_lookup (self->headers, id);
        if (!header->has_lines && !header->rejected)
            cli_import_reject (self->import, "orders.csv", header->line,
                               "order has no lines in order_details.csv",
                               "order %s has no lines in order_details.csv", id);
    }
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
s_publish_list (s_import_t *self, zlistx_t *list)
{
    for (Crmq__ErpEvent *event = zlistx_first (list); event; event = zlistx_next (list))
        if (cli_import_send (self->import, event, "", 0) != 0)
            return -1;
    return 0;
}

//  Sends (or, dry, only batches) every event: master data, flushed, then
//  orders and shipments.  Returns 0 or -1 when a batch failed (printed).
static int
s_publish (s_import_t *self)
{
    size_t total = zlistx_size (self->managers) + zlistx_size (self->master)
                 + cli_documents_events (self->documents);
    zlistx_t *managers = s_managers_by_hierarchy (self);
    int rc = managers? cli_import_start_sending (self->import, total): -1;
    if (rc == 0)
        rc = s_publish_list (self, managers);
    if (rc == 0)
        rc = s_publish_list (self, self->master);
    if (rc == 0)
        rc = cli_import_flush (self->import);
    if (rc == 0)
        rc = cli_documents_send (self->documents, self->import, self->currency);
    if (cli_import_finish (self->import) != 0)
        rc = -1;
    zlistx_destroy (&managers);
    return rc;
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
    bool dry_run = false;
    cli_options_seen_t seen = { 0 };
    optind = 0;
    opterr = 0;
    int option;
    while ((option = getopt_long (argc, argv, ":", options, NULL)) != -1) {
        if (cli_option_once (&seen, options, option, CLI_IMPORT_NORTHWIND_USAGE) != 0)
            return CLI_EXIT_USAGE;
        if (option == 'n')
            dry_run = true;
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
    if (s_import_init (&self) != 0
    ||  !(self.import = cli_import_new (config, "northwind", dry_run))) {
        fprintf (stderr, "crmq: out of memory\n");
        goto done;
    }
    char *paths [8];
    size_t count = 0;
    char names [8][PATH_MAX];
    for (; s_files [count]; count++) {
        snprintf (names [count], sizeof names [count], "%s/%s", self.dir, s_files [count]);
        paths [count] = names [count];
    }
    cli_import_start_reading (self.import, paths, count);
    if (s_read_categories (&self)
    ||  s_read_employees (&self)
    ||  s_read_customers (&self)
    ||  s_read_products (&self)
    ||  s_read_orders (&self)
    ||  s_read_order_details (&self))
        goto done;                      //  printed

    bool failed = s_publish (&self) != 0;
    int64_t cents;
    char revenue [32];
    printf ("managers: %zu\n", zlistx_size (self.managers));
    printf ("clients: %zu\n", self.clients);
    printf ("products: %zu\n", self.products);
    printf ("orders: %zu\n", cli_documents_count (self.documents, CLI_DOCUMENT_ORDER));
    printf ("order lines: %zu\n", cli_documents_lines (self.documents, CLI_DOCUMENT_ORDER));
    printf ("shipments: %zu\n", cli_documents_shipments (self.documents));
    if (cli_documents_amount (self.documents, CLI_DOCUMENT_ORDER, &cents))
        printf ("revenue: %s %s (each line rounded half-up to cents)\n",
                cli_money_cents_text (cents, revenue, sizeof revenue), self.currency);
    cli_import_print_summary (self.import, stdout);
    exit_code = cli_import_exit_code (self.import, failed);

done:
    s_import_fini (&self);
    return exit_code;
}

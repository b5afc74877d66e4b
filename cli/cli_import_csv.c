/*  cli_import_csv.c - ERP exports by a mapping file; see cli_import_csv.h.  */
#include "cli_import_csv.h"
#include "cli_common.h"
#include "cli_documents.h"
#include "cli_import.h"
#include "cli_master.h"
#include "cli_money.h"
#include "cli_rows.h"

#include <assert.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>

#define S_DEFAULT_WALK_IN_NAME "Walk-in customers"

//  One run over the files.
typedef struct {
    const cli_mapping_t *mapping;
    const cli_import_csv_options_t *options;
    cli_import_t *import;
    cli_master_t *master;
    cli_documents_t *documents;
    cli_number_style_t style;
    const char *time_zone;
    const char *base_currency;
    const char *currency;           //  of rows that name none
    cli_number_t rate;              //  of rows that give none; zero = none
    int columns [CLI_MAP_COLUMNS];  //  of the current file; -1 = not mapped
    zhashx_t *seen;                 //  "<kind>:<document number>" of every row
    size_t walk_in_rows;            //  lines sent to the walk-in client
    size_t amounts_compared;        //  lines whose amount the file gives
    size_t amounts_differ;          //  ... and crmq computes otherwise
} s_run_t;

//  The header name of `column`: the label of messages.
static const char *
s_label (s_run_t *self, cli_mapping_column_t column)
{
    return self->mapping->columns [column]? self->mapping->columns [column]
                                          : cli_mapping_column_key (column);
}

static bool
s_mapped (s_run_t *self, cli_mapping_column_t column)
{
    return self->columns [column] >= 0;
}

//  The trimmed text of an optional column is empty (or it is not mapped).
static bool
s_empty (s_run_t *self, cli_rows_t *rows, cli_mapping_column_t column)
{
    size_t length;
    cli_field_trim (cli_rows_raw (rows, self->columns [column]), &length);
    return length == 0;
}

static bool
s_in_list (char *const *list, const char *text)
{
    for (size_t i = 0; list && list [i]; i++)
        if (streq (list [i], text))
            return true;
    return false;
}

static bool
s_currency_code (const char *text)
{
    return strlen (text) == 3 && strspn (text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 3;
}

//  A number column: 0 with *value set (zero when the optional column is
//  empty or not mapped); -1 after rejecting the row.
static int
s_number (s_run_t *self, cli_rows_t *rows, cli_mapping_column_t column, bool required,
          cli_number_t *value, bool *given)
{
    *value = (cli_number_t) { 0, 0 };
    *given = false;
    if (!s_mapped (self, column) || (!required && s_empty (self, rows, column)))
        return 0;
    *given = true;
    return cli_rows_number (rows, self->columns [column], s_label (self, column), &self->style,
                            value);
}

//  An optional name column: the text, "" when not mapped, NULL after
//  rejecting the row.
static const char *
s_name (s_run_t *self, cli_rows_t *rows, cli_mapping_column_t column)
{
    if (!s_mapped (self, column))
        return "";
    return cli_rows_name (rows, self->columns [column], s_label (self, column), false);
}

//  Reads the client of the row into *data; the walk-in client for an empty
//  id when the mapping has one.  Returns 0, or -1 after rejecting the row.
static int
s_client (s_run_t *self, cli_rows_t *rows, cli_client_data_t *data, bool *walk_in)
{
    const cli_mapping_t *mapping = self->mapping;
    memset (data, 0, sizeof *data);
    *walk_in = mapping->walk_in_id
            && (!s_mapped (self, CLI_MAP_CLIENT_ID) || s_empty (self, rows, CLI_MAP_CLIENT_ID));
    if (*walk_in) {
        data->external_id = mapping->walk_in_id;
        data->name = mapping->walk_in_name? mapping->walk_in_name: S_DEFAULT_WALK_IN_NAME;
        return 0;
    }
    data->external_id = cli_rows_id (rows, self->columns [CLI_MAP_CLIENT_ID],
                                     s_label (self, CLI_MAP_CLIENT_ID), true,
                                     mapping->integral_ids);
    if (!data->external_id
    ||  !(data->name = s_name (self, rows, CLI_MAP_CLIENT_NAME))
    ||  !(data->country = s_name (self, rows, CLI_MAP_CLIENT_COUNTRY))
    ||  !(data->region = s_name (self, rows, CLI_MAP_CLIENT_REGION))
    ||  !(data->city = s_name (self, rows, CLI_MAP_CLIENT_CITY))
    ||  !(data->postal_code = s_name (self, rows, CLI_MAP_CLIENT_POSTAL_CODE))
    ||  !(data->category = s_name (self, rows, CLI_MAP_CLIENT_CATEGORY))
    ||  !(data->tax_id = s_name (self, rows, CLI_MAP_CLIENT_TAX_ID))
    ||  !(data->phone = s_name (self, rows, CLI_MAP_CLIENT_PHONE))
    ||  !(data->email = s_name (self, rows, CLI_MAP_CLIENT_EMAIL)))
        return -1;
    return 0;
}

//  The product of the row, with its group (and the group's parent) noted
//  in the master data.  Returns its id, or NULL after rejecting the row.
static const char *
s_product (s_run_t *self, cli_rows_t *rows)
{
    const char *id = cli_rows_id (rows, self->columns [CLI_MAP_PRODUCT_ID],
                                  s_label (self, CLI_MAP_PRODUCT_ID), true,
                                  self->mapping->integral_ids);
    const char *name, *group, *parent;
    if (!id
    ||  !(name = s_name (self, rows, CLI_MAP_PRODUCT_NAME))
    ||  !(group = s_name (self, rows, CLI_MAP_PRODUCT_GROUP))
    ||  !(parent = s_name (self, rows, CLI_MAP_PRODUCT_PARENT_GROUP)))
        return NULL;
    //  A group's id is its name under its parent's: "Furniture/Chairs"
    char group_id [CLI_ROWS_MAX_ID + 8] = "";
    if (*group) {
        int length = snprintf (group_id, sizeof group_id, "%s%s%s", parent, *parent? "/": "",
                               group);
        if (length < 0 || length > CLI_ROWS_MAX_ID) {
            cli_rows_reject (rows, "product group id too long", "product group \"%s/%s\": "
                             "its id would be longer than %d bytes", parent, group,
                             CLI_ROWS_MAX_ID);
            return NULL;
        }
    }
    const char *file = cli_rows_file (rows);
    size_t line = cli_rows_line (rows);
    if ((*parent && cli_master_add_group (self->master, parent, parent, "", file, line) != 0)
    ||  (*group && cli_master_add_group (self->master, group_id, group, parent, file, line) != 0)
    ||  cli_master_add_product (self->master, id, name, group_id, file, line) != 0) {
        cli_rows_reject (rows, "out of memory", "out of memory");
        return NULL;
    }
    return id;
}

//  The currency and rate of the row into the header.  Returns 0, or -1
//  after rejecting the row.
static int
s_currency (s_run_t *self, cli_rows_t *rows, cli_document_header_t *header)
{
    const char *currency = self->currency;
    if (s_mapped (self, CLI_MAP_CURRENCY) && !s_empty (self, rows, CLI_MAP_CURRENCY)) {
        currency = cli_rows_id (rows, self->columns [CLI_MAP_CURRENCY],
                                s_label (self, CLI_MAP_CURRENCY), true, false);
        if (!currency)
            return -1;
        if (!s_currency_code (currency)) {
            cli_rows_reject (rows, "currency is not an ISO 4217 code",
                             "%s \"%s\" is not an ISO 4217 code", s_label (self, CLI_MAP_CURRENCY),
                             currency);
            return -1;
        }
    }
    header->currency = "";
    header->rate = (cli_number_t) { 0, 0 };
    if (streq (currency, self->base_currency))
        return 0;                           //  the base currency: no rate
    header->currency = currency;
    header->rate = self->rate;
    bool given;
    cli_number_t rate;
    if (s_number (self, rows, CLI_MAP_CURRENCY_RATE, false, &rate, &given) != 0)
        return -1;
    if (given)
        header->rate = rate;
    if (cli_number_is_zero (header->rate) || cli_number_is_negative (header->rate)) {
        cli_rows_reject (rows, "no rate for a foreign currency", "the amounts are in %s, not "
                         "the base currency %s, and no rate above 0 is given (--rate, the "
                         "mapping's \"rate\" or a currency_rate column)", currency,
                         self->base_currency);
        return -1;
    }
    return 0;
}

//  Reads the numbers of a line: quantity, unit price (or the line amount
//  it is derived from), discount, cost.  Returns 1 with *line set, 0 when
//  the row is skipped as no sale, -1 after rejecting the row.
static int
s_line (s_run_t *self, cli_rows_t *rows, cli_document_kind_t kind, cli_document_line_t *line)
{
    cli_number_t amount, profit;
    bool given, has_price, has_amount, has_profit;
    memset (line, 0, sizeof *line);
    if (s_number (self, rows, CLI_MAP_QUANTITY, true, &line->quantity, &given) != 0
    ||  s_number (self, rows, CLI_MAP_UNIT_PRICE, true, &line->unit_price, &has_price) != 0
    ||  s_number (self, rows, CLI_MAP_LINE_AMOUNT, !has_price, &amount, &has_amount) != 0
    ||  s_number (self, rows, CLI_MAP_DISCOUNT, false, &line->discount, &given) != 0
    ||  s_number (self, rows, CLI_MAP_COST, false, &line->cost, &line->has_cost) != 0
    ||  s_number (self, rows, CLI_MAP_PROFIT, false, &profit, &has_profit) != 0)
        return -1;
    bool is_return = kind == CLI_DOCUMENT_RETURN;
    //  No sale: skipped, counted by reason
    if (is_return) {
        if (cli_number_is_negative (line->quantity))
            line->quantity = cli_number_negate (line->quantity);
        if (cli_number_is_zero (line->quantity)) {
            cli_rows_skip (rows, "quantity 0 in a return");
            return 0;
        }
        if (cli_number_is_negative (line->unit_price)) {
            cli_rows_skip (rows, "negative price in a return");
            return 0;
        }
    }
    else {
        if (cli_number_is_negative (line->quantity) || cli_number_is_zero (line->quantity)) {
            cli_rows_skip (rows, "quantity 0 or below outside a return (a stock adjustment, "
                           "not a sale)");
            return 0;
        }
        if (cli_number_is_negative (line->unit_price)
        ||  (!has_price && cli_number_is_negative (amount))) {
            cli_rows_skip (rows, "negative price outside a return (an adjustment such as bad "
                           "debt, not a sale)");
            return 0;
        }
    }
    if (self->mapping->discount_percent)
        line->discount = cli_number_percent (line->discount);
    if (cli_number_is_negative (line->discount)
    ||  cli_number_compare (line->discount, (cli_number_t) { 1, 0 }) > 0) {
        cli_rows_reject (rows, "discount out of range", "%s must be from 0 to %s",
                         s_label (self, CLI_MAP_DISCOUNT),
                         self->mapping->discount_percent? "100 (percent)": "1");
        return -1;
    }
    //  Signed as the file writes it, for the cost; the amount counts by size
    cli_number_t signed_amount = amount;
    if (cli_number_is_negative (amount))
        amount = cli_number_negate (amount);
    if (!has_price) {
        if (cli_money_unit_price (line->quantity, line->discount, amount, &line->unit_price) < 0) {
            cli_rows_reject (rows, "no unit price can be derived", "%s: no unit price of at most "
                             "9 decimals gives this amount at this quantity and discount",
                             s_label (self, CLI_MAP_LINE_AMOUNT));
            return -1;
        }
    }
    if (has_amount) {
        int64_t computed, written;
        self->amounts_compared++;
        if (cli_money_line_cents (line->quantity, line->unit_price, line->discount, &computed) != 0
        ||  cli_money_cents (amount, &written) != 0 || computed != written)
            self->amounts_differ++;
    }
    if (has_profit) {
        line->has_cost = true;
        if (cli_number_subtract (signed_amount, profit, &line->cost) != 0) {
            cli_rows_reject (rows, "cost out of range", "the cost (%s - %s) is out of range",
                             s_label (self, CLI_MAP_LINE_AMOUNT), s_label (self, CLI_MAP_PROFIT));
            return -1;
        }
    }
    if (line->has_cost && is_return && cli_number_is_negative (line->cost))
        line->cost = cli_number_negate (line->cost);
    if (line->has_cost && cli_number_is_negative (line->cost)) {
        cli_rows_reject (rows, "cost is negative", "the cost of the line%s is negative",
                         has_profit? " (line amount - profit)": "");
        return -1;
    }
    return 1;
}

//  The kind of the row's document: 1 with *kind set, 0 when the kind
//  column names neither (skipped), -1 after rejecting the row.
static int
s_kind (s_run_t *self, cli_rows_t *rows, const char *id, cli_document_kind_t *kind)
{
    const cli_mapping_t *mapping = self->mapping;
    *kind = CLI_DOCUMENT_ORDER;
    if (s_mapped (self, CLI_MAP_KIND)) {
        size_t length;
        const char *text = cli_field_trim (cli_rows_raw (rows, self->columns [CLI_MAP_KIND]),
                                           &length);
        char value [301];
        snprintf (value, sizeof value, "%.*s", (int) (length < 300? length: 300), text);
        if (s_in_list (mapping->return_kinds, value))
            *kind = CLI_DOCUMENT_RETURN;
        else
        if (!s_in_list (mapping->order_kinds, value)) {
            char reason [400];
            char why [64];
            if (!crmq_text_valid (value, 0, 300, why, sizeof why))
                snprintf (value, sizeof value, "(unreadable)");
            snprintf (reason, sizeof reason, "%s \"%s\" is neither an order nor a return kind",
                      s_label (self, CLI_MAP_KIND), value);
            cli_rows_skip (rows, reason);
            return 0;
        }
    }
    if (mapping->return_prefix && strncmp (id, mapping->return_prefix,
                                           strlen (mapping->return_prefix)) == 0)
        *kind = CLI_DOCUMENT_RETURN;
    return 1;
}

//  Handles one row.  Returns 0, or -1 on out-of-memory.
static int
s_row (s_run_t *self, cli_rows_t *rows)
{
    const cli_mapping_t *mapping = self->mapping;
    const char *id = cli_rows_id (rows, self->columns [CLI_MAP_ORDER_ID],
                                  s_label (self, CLI_MAP_ORDER_ID), true, mapping->integral_ids);
    cli_document_kind_t kind;
    int rc = id? s_kind (self, rows, id, &kind): 0;
    if (rc <= 0)
        return 0;                           //  rejected or skipped
    char key [CLI_ROWS_MAX_ID + 16];
    snprintf (key, sizeof key, "%d:%s", (int) kind, id);
    if (!zhashx_lookup (self->seen, key))
        zhashx_insert (self->seen, key, (void *) "");
    const char *file = cli_rows_file (rows);
    size_t line_no = cli_rows_line (rows);

    cli_document_line_t line;
    cli_document_header_t header = { 0 };
    cli_client_data_t client;
    bool walk_in;
    rc = s_line (self, rows, kind, &line);
    if (rc == 0)
        return 0;                           //  no sale
    if (rc < 0
    ||  cli_rows_date (rows, self->columns [CLI_MAP_DATE], s_label (self, CLI_MAP_DATE),
                       mapping->date_formats, self->time_zone, true, &header.at_us) != 0
    ||  cli_rows_date (rows, self->columns [CLI_MAP_REQUIRED_DATE],
                       s_label (self, CLI_MAP_REQUIRED_DATE), mapping->date_formats,
                       self->time_zone, false, &header.required_us) != 0
    ||  cli_rows_date (rows, self->columns [CLI_MAP_SHIP_DATE], s_label (self, CLI_MAP_SHIP_DATE),
                       mapping->date_formats, self->time_zone, false, &header.shipped_us) != 0
    ||  s_client (self, rows, &client, &walk_in) != 0
    ||  !(line.product_id = s_product (self, rows))
    ||  s_currency (self, rows, &header) != 0)
        return cli_documents_spoil (self->documents, kind, id, file, line_no);

    header.client_id = client.external_id;
    if (s_mapped (self, CLI_MAP_MANAGER_ID) && !s_empty (self, rows, CLI_MAP_MANAGER_ID)) {
        const char *manager_name;
        header.manager_id = cli_rows_id (rows, self->columns [CLI_MAP_MANAGER_ID],
                                         s_label (self, CLI_MAP_MANAGER_ID), true,
                                         mapping->integral_ids);
        if (!header.manager_id || !(manager_name = s_name (self, rows, CLI_MAP_MANAGER_NAME)))
            return cli_documents_spoil (self->documents, kind, id, file, line_no);
        if (cli_master_add_manager (self->master, header.manager_id, manager_name, file,
                                    line_no) != 0)
            return -1;
    }
    if (cli_master_add_client (self->master, &client, file, line_no) != 0)
        return -1;
    rc = cli_documents_add (self->documents, kind, id, &header, &line, file, line_no,
                            self->import);
    if (rc == 0 && walk_in)
        self->walk_in_rows++;
    return rc < 0? -1: 0;
}

//  Reads one file.  Returns 0, or -1 when it cannot be read (printed).
static int
s_read_file (s_run_t *self, const char *path)
{
    const char *columns [CLI_MAP_COLUMNS + 1];
    size_t count = 0;
    for (int i = 0; i < CLI_MAP_COLUMNS; i++)
        if (self->mapping->columns [i])
            columns [count++] = self->mapping->columns [i];
    columns [count] = NULL;
    cli_rows_t *rows = cli_rows_new (self->import, path, &self->mapping->csv, columns);
    if (!rows)
        return -1;
    for (int i = 0; i < CLI_MAP_COLUMNS; i++)
        self->columns [i] = self->mapping->columns [i]
                          ? cli_rows_column (rows, self->mapping->columns [i]): -1;
    int rc;
    while ((rc = cli_rows_next (rows)) == 1)
        if (s_row (self, rows) != 0) {
            fprintf (stderr, "crmq: out of memory\n");
            rc = -1;
            break;
        }
    cli_rows_destroy (&rows);
    return rc;
}

//  "12345.67 GBP", or "unknown" when an amount could not be computed.
static char *
s_amount_text (s_run_t *self, cli_document_kind_t kind, char *buf, size_t size)
{
    int64_t cents;
    char number [32];
    if (cli_documents_amount (self->documents, kind, &cents))
        snprintf (buf, size, "%s %s", cli_money_cents_text (cents, number, sizeof number),
                  self->currency);
    else
        snprintf (buf, size, "unknown (a line too large to compute here)");
    return buf;
}

static void
s_print_summary (s_run_t *self, size_t files)
{
    cli_documents_t *documents = self->documents;
    size_t orders = cli_documents_count (documents, CLI_DOCUMENT_ORDER);
    size_t returns = cli_documents_count (documents, CLI_DOCUMENT_RETURN);
    size_t spoiled = cli_documents_spoiled (documents);
    size_t seen = zhashx_size (self->seen);
    size_t no_sale = seen > orders + returns + spoiled? seen - orders - returns - spoiled: 0;
    char amount [96];
    printf ("files: %zu\n", files);
    printf ("documents: %zu (%zu orders, %zu returns, %zu with no sale line, %zu not sent "
            "for a rejected row)\n", seen, orders, returns, no_sale, spoiled);
    printf ("orders: %zu with %zu lines, amount %s\n", orders,
            cli_documents_lines (documents, CLI_DOCUMENT_ORDER),
            s_amount_text (self, CLI_DOCUMENT_ORDER, amount, sizeof amount));
    printf ("returns: %zu with %zu lines, amount %s\n", returns,
            cli_documents_lines (documents, CLI_DOCUMENT_RETURN),
            s_amount_text (self, CLI_DOCUMENT_RETURN, amount, sizeof amount));
    printf ("shipments: %zu\n", cli_documents_shipments (documents));
    printf ("clients: %zu", cli_master_clients (self->master));
    if (self->mapping->walk_in_id)
        printf (" (lines without a client id, sent to the walk-in client \"%s\": %zu)",
                self->mapping->walk_in_id, self->walk_in_rows);
    printf ("\nproducts: %zu, product groups: %zu, managers: %zu\n",
            cli_master_products (self->master), cli_master_groups (self->master),
            cli_master_managers (self->master));
    if (self->amounts_compared)
        printf ("line amounts that differ from the file after rounding to cents: %zu of %zu\n",
                self->amounts_differ, self->amounts_compared);
    cli_import_print_summary (self->import, stdout);
}

int
cli_import_csv_files (crmq_config_t *config, const char *name, const cli_mapping_t *mapping,
                      char *const *paths, size_t count, const cli_import_csv_options_t *options)
{
    assert (config && name && mapping && paths && options);
    s_run_t self = { 0 };
    self.mapping = mapping;
    self.options = options;
    self.style = cli_mapping_number_style (mapping);
    self.time_zone = options->time_zone? options->time_zone
                   : mapping->time_zone? mapping->time_zone
                   : crmq_config_str (config, "time_zone");
    self.base_currency = crmq_config_str (config, "base_currency");
    self.currency = options->currency? options->currency
                  : mapping->currency? mapping->currency: self.base_currency;
    self.rate = !cli_number_is_zero (options->rate)? options->rate: mapping->rate;
    if (!s_currency_code (self.base_currency)) {
        fprintf (stderr, "crmq: CRMQ_BASE_CURRENCY: \"%s\" is not an ISO 4217 code\n",
                 self.base_currency);
        return CLI_EXIT_FAILURE;
    }
    if (!cli_number_is_zero (options->rate) && streq (self.currency, self.base_currency)) {
        fprintf (stderr, "crmq: --rate is for amounts in a currency other than the base "
                 "currency %s (give it with --currency)\n", self.base_currency);
        return CLI_EXIT_USAGE;
    }
    if (!streq (self.currency, self.base_currency) && cli_number_is_zero (self.rate)
    &&  !mapping->columns [CLI_MAP_CURRENCY_RATE]) {
        fprintf (stderr, "crmq: the amounts are in %s, not the base currency %s: give the "
                 "rate (--rate, or the mapping's \"rate\")\n", self.currency, self.base_currency);
        return CLI_EXIT_USAGE;
    }

    int exit_code = CLI_EXIT_FAILURE;
    bool failed = true;
    self.import = cli_import_new (config, name, options->dry_run);
    self.master = cli_master_new (mapping->source);
    self.documents = cli_documents_new (mapping->source);
    self.seen = zhashx_new ();
    if (!self.import || !self.master || !self.documents || !self.seen) {
        fprintf (stderr, "crmq: out of memory\n");
        goto done;
    }
    cli_import_start_reading (self.import, paths, count);
    for (size_t i = 0; i < count; i++)
        if (s_read_file (&self, paths [i]) != 0) {
            fprintf (stderr, "crmq: nothing sent: %s could not be read to its end\n", paths [i]);
            goto done;
        }
    failed = cli_import_start_sending (self.import, cli_master_events (self.master)
                                                    + cli_documents_events (self.documents)) != 0
          || cli_master_send (self.master, self.import) != 0
          || cli_documents_send (self.documents, self.import, self.base_currency) != 0;
    if (cli_import_finish (self.import) != 0)
        failed = true;
    s_print_summary (&self, count);
    exit_code = cli_import_exit_code (self.import, failed);
done:
    zhashx_destroy (&self.seen);
    cli_documents_destroy (&self.documents);
    cli_master_destroy (&self.master);
    cli_import_destroy (&self.import);
    return exit_code;
}

int
cli_import_csv_options (cli_args_t *args, cli_import_csv_options_t *options)
{
    assert (args && options);
    memset (options, 0, sizeof *options);
    options->dry_run = cli_args_has (args, "dry-run");
    options->time_zone = cli_args_text (args, "time-zone");
    options->currency = cli_args_text (args, "currency");
    const char *rate = cli_args_text (args, "rate");
    if (options->time_zone && cli_time_zone_check (options->time_zone) != 0)
        return cli_args_usage (args, "--time-zone: unknown time zone \"%s\"", options->time_zone);
    if (options->currency && !s_currency_code (options->currency))
        return cli_args_usage (args, "--currency: \"%s\" is not an ISO 4217 code (GBP, EUR...)",
                               options->currency);
    if (rate && (cli_field_number (rate, NULL, &options->rate) != 0
             ||  cli_number_is_zero (options->rate) || cli_number_is_negative (options->rate)))
        return cli_args_usage (args, "--rate: \"%s\" is not a number above 0", rate);
    return 0;
}

int
cli_import_csv_builtin_run (crmq_config_t *config, const char *name, const char *mapping_name,
                            const char *usage, bool directory, int argc, char **argv)
{
    static const cli_arg_t s_options [] = {
        CLI_IMPORT_CSV_OPTIONS,
        CLI_ARG_END
    };
    assert (config && name && mapping_name && usage);
    char prefix [64];
    snprintf (prefix, sizeof prefix, "crmq import %s", name);
    cli_args_t *args = NULL;
    int rc = cli_args_parse (s_options, usage, prefix, crmq_config_str (config, "time_zone"), 1, 1,
                             directory? "DIR": "FILE", argc, argv, &args);
    if (rc != 0)
        return rc;
    cli_import_csv_options_t options;
    if ((rc = cli_import_csv_options (args, &options)) != 0) {
        cli_args_destroy (&args);
        return rc;
    }
    const char *argument = cli_args_arg (args, 0);
    glob_t found = { 0 };
    int globbed = 0;
    char *path = (char *) argument;
    char error [700];
    cli_mapping_t *mapping = NULL;
    if (directory) {
        //  Every file of the folder, in name order (the months of a year)
        char pattern [4096];
        snprintf (pattern, sizeof pattern, "%s/*.csv", argument);
        globbed = glob (pattern, 0, NULL, &found);
    }
    if (globbed == GLOB_NOMATCH) {
        fprintf (stderr, "crmq: %s: no *.csv file there\n", argument);
        rc = CLI_EXIT_FAILURE;
    }
    else
    if (globbed != 0) {
        fprintf (stderr, "crmq: %s: cannot be read\n", argument);
        rc = CLI_EXIT_FAILURE;
    }
    else
    if (!(mapping = cli_mapping_builtin (mapping_name, error, sizeof error))) {
        fprintf (stderr, "crmq: %s\n", error);
        rc = CLI_EXIT_FAILURE;
    }
    else
    if (directory)
        rc = cli_import_csv_files (config, name, mapping, found.gl_pathv, found.gl_pathc, &options);
    else
        rc = cli_import_csv_files (config, name, mapping, &path, 1, &options);
    if (directory && globbed == 0)
        globfree (&found);
    cli_mapping_destroy (&mapping);
    cli_args_destroy (&args);
    return rc;
}

int
cli_import_csv_run (crmq_config_t *config, int argc, char **argv)
{
    static const cli_arg_t s_options [] = {
        CLI_REQUIRED ("mapping", CLI_ARG_TEXT, NULL),
        CLI_IMPORT_CSV_OPTIONS,
        CLI_ARG_END
    };
    cli_args_t *args = NULL;
    int rc = cli_args_parse (s_options, CLI_IMPORT_CSV_USAGE, "crmq import csv",
                             crmq_config_str (config, "time_zone"), 1, SIZE_MAX, "CSVFILE...",
                             argc, argv, &args);
    if (rc != 0)
        return rc;
    cli_import_csv_options_t options;
    rc = cli_import_csv_options (args, &options);
    cli_mapping_t *mapping = NULL;
    if (rc == 0) {
        char error [700];
        mapping = cli_mapping_load (cli_args_text (args, "mapping"), error, sizeof error);
        if (!mapping) {
            fprintf (stderr, "crmq: mapping %s\n", error);
            rc = CLI_EXIT_FAILURE;
        }
    }
    if (rc == 0) {
        size_t count = cli_args_count (args);
        char **paths = calloc (count, sizeof (char *));
        for (size_t i = 0; paths && i < count; i++)
            paths [i] = (char *) cli_args_arg (args, i);
        rc = paths? cli_import_csv_files (config, "csv", mapping, paths, count, &options)
                  : CLI_EXIT_FAILURE;
        free (paths);
    }
    cli_mapping_destroy (&mapping);
    cli_args_destroy (&args);
    return rc;
}

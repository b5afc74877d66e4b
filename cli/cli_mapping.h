/*  cli_mapping.h - how an ERP export's CSV maps onto crmq: a JSON file
    (read with jansson) naming the columns and how the file is written.

    {
      "source": "erp1c",                    required: starts every event id
      "encoding": "cp1251",                 utf-8 (default; a BOM is allowed) or cp1251
      "delimiter": ";",                     one character; default ","
      "quote": "\"",                        one character; default "\""
      "decimal_separator": ",",             "." (default) or ","
      "thousands_separator": " ",           none (default), " ", "\u00a0", "\u202f", "'", "." or ","
      "date_format": "%d.%m.%Y %H:%M:%S",   strptime format, or a list tried in order;
                                            default ISO "YYYY-MM-DD[ HH:MM[:SS]]"
      "time_zone": "Europe/Moscow",         zone of the dates; default CRMQ_TIME_ZONE
      "currency": "RUB",                    of the amounts; default CRMQ_BASE_CURRENCY
      "rate": "1",                          base units per unit of currency (a string)
      "discount_percent": true,             discounts written as percents (5 = 5 %)
      "integral_ids": true,                 "17850.0" is the id "17850"
      "walk_in_client": {"id": "walk-in", "name": "Walk-in customers"},
                                            rows without a client id go to this client
      "return_prefix": "C",                 document numbers starting with it are returns
      "kinds": {"order": ["Реализация"], "return": ["Возврат"]},
                                            values of the kind column; other values skip the row
      "columns": { KEY: "header name", ... }
    }

    Column keys (cli_mapping_column_key): order_id, date, client_id,
    product_id, quantity (required), unit_price or line_amount (at least
    one), client_name, client_country, client_region, client_city,
    client_postal_code, client_category, client_tax_id, client_phone,
    client_email, product_name, product_group, product_parent_group,
    discount, cost or profit (cost = line_amount - profit), currency,
    currency_rate, manager_id, manager_name, required_date, ship_date,
    kind.  client_id may be left out when walk_in_client is given.
    Unknown keys are errors, so a typo is never silently ignored.          */
#ifndef CLI_MAPPING_H_INCLUDED
#define CLI_MAPPING_H_INCLUDED

#include "cli_csv.h"
#include "cli_field.h"

typedef enum {
    CLI_MAP_ORDER_ID,
    CLI_MAP_DATE,
    CLI_MAP_CLIENT_ID,
    CLI_MAP_CLIENT_NAME,
    CLI_MAP_CLIENT_COUNTRY,
    CLI_MAP_CLIENT_REGION,
    CLI_MAP_CLIENT_CITY,
    CLI_MAP_CLIENT_POSTAL_CODE,
    CLI_MAP_CLIENT_CATEGORY,
    CLI_MAP_CLIENT_TAX_ID,
    CLI_MAP_CLIENT_PHONE,
    CLI_MAP_CLIENT_EMAIL,
    CLI_MAP_PRODUCT_ID,
    CLI_MAP_PRODUCT_NAME,
    CLI_MAP_PRODUCT_GROUP,
    CLI_MAP_PRODUCT_PARENT_GROUP,
    CLI_MAP_QUANTITY,
    CLI_MAP_UNIT_PRICE,
    CLI_MAP_DISCOUNT,
    CLI_MAP_LINE_AMOUNT,
    CLI_MAP_COST,
    CLI_MAP_PROFIT,
    CLI_MAP_CURRENCY,
    CLI_MAP_CURRENCY_RATE,
    CLI_MAP_MANAGER_ID,
    CLI_MAP_MANAGER_NAME,
    CLI_MAP_REQUIRED_DATE,
    CLI_MAP_SHIP_DATE,
    CLI_MAP_KIND,
    CLI_MAP_COLUMNS
} cli_mapping_column_t;

//  A mapping, read-only once loaded.  Every string is owned by it.
typedef struct {
    char *name;                     //  the file it came from, for messages
    char *source;
    cli_csv_options_t csv;          //  delimiter, quote, encoding
    char decimal;                   //  '.' or ','
    char *thousands;                //  "" = none
    char **date_formats;            //  tried in order, NULL-terminated; NULL = ISO
    size_t date_format_count;
    char *time_zone;                //  NULL = the command's
    char *currency;                 //  NULL = the command's
    cli_number_t rate;              //  zero = none
    bool discount_percent;
    bool integral_ids;
    char *walk_in_id;               //  NULL = no walk-in client
    char *walk_in_name;
    char *return_prefix;            //  NULL = none
    char **order_kinds, **return_kinds;   //  NULL-terminated; NULL = none
    size_t order_kind_count, return_kind_count;
    char *columns [CLI_MAP_COLUMNS];    //  header names; NULL = not mapped
} cli_mapping_t;

//  Reads and checks the mapping file `path`.  Returns NULL with the reason
//  in `error` ("mapping.json:3:15: ..." for JSON syntax, "mapping.json:
//  columns.quantity: ..." otherwise).
cli_mapping_t *cli_mapping_load (const char *path, char *error, size_t error_size);

//  As cli_mapping_load, from JSON `text`; `name` stands for the file in
//  messages (a built-in mapping).
cli_mapping_t *cli_mapping_parse (const char *text, const char *name, char *error,
                                  size_t error_size);

//  A mapping built into crmq: examples/mappings/NAME.json embedded at
//  build time (tools/embed-mappings.sh), for the importers that are the
//  CSV importer with a mapping of their own.
typedef struct {
    const char *name;               //  "online_retail"; NULL ends the table
    const char *text;               //  the JSON
} cli_mapping_builtin_t;

extern const cli_mapping_builtin_t cli_mapping_builtins [];

//  As cli_mapping_parse of the built-in mapping `name`; NULL with the
//  reason in `error` when there is none by that name.
cli_mapping_t *cli_mapping_builtin (const char *name, char *error, size_t error_size);

//  Frees the mapping; sets *self_p to NULL; safe on NULL.
void cli_mapping_destroy (cli_mapping_t **self_p);

//  The JSON key of a column ("order_id").
const char *cli_mapping_column_key (cli_mapping_column_t column);

//  The number style of the mapping (pointing into it).
cli_number_style_t cli_mapping_number_style (const cli_mapping_t *self);

//  Self-test.
void cli_mapping_test (bool verbose);

#endif

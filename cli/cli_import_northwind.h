/*  cli_import_northwind.h - `crmq import northwind DIR [--dry-run]`.

    Reads the Northwind CSVs in DIR (employees, customers, categories,
    products, orders, order_details; RFC 4180, UTF-8, header line) and
    publishes them to crmq-sales as the ERP would (cli_ingest): master data
    first (managers, clients, products), then one OrderPlaced per order.
    Event ids are deterministic ("northwind:order:10248"), so a second run
    is all duplicates and an interrupted run is resumed by running it again.

    Prices and discounts are rounded half-up to 2 decimals (Northwind keeps
    float artefacts such as 9.80000019); dates are local midnight in
    CRMQ_TIME_ZONE; amounts are in CRMQ_BASE_CURRENCY.  A row that does not
    validate is rejected here with its file and line, and is not sent; an
    order with a rejected line is not sent either.

    --dry-run builds every event, prints the counts (and the revenue the
    lines add up to) and sends nothing.                                      */
#ifndef CLI_IMPORT_NORTHWIND_H_INCLUDED
#define CLI_IMPORT_NORTHWIND_H_INCLUDED

#include "crmq.h"

#define CLI_IMPORT_NORTHWIND_USAGE "crmq import northwind DIR [--dry-run]"

//  Runs the command; argv [0] is "northwind".  Settings used: sales_endpoint,
//  rpc_timeout_ms, rpc_retries, batch_size, max_message_bytes, time_zone
//  (checked by main), base_currency.
//  Returns the exit code: 0 all accepted or duplicate, 2 some rows or events
//  rejected, 1 a file could not be read or a batch failed (everything
//  acknowledged before stays stored), 64 bad usage.
int cli_import_northwind_run (crmq_config_t *config, int argc, char **argv);

#endif

/*  cli_import_online_retail.h - `crmq import online-retail DIR`: the UCI
    "Online Retail" transactions (one CSV per month, every *.csv of DIR in
    name order) through crmq-sales, as an ERP would send them.

    The CSV importer with a built-in mapping (the same as
    examples/mappings/online_retail.json): one order per InvoiceNo, its
    lines in file order (exact duplicate lines stay separate lines, as the
    ERP sent them); invoices whose number starts with "C" are returns
    (quantities counted positive); CustomerID "17850.0" is client
    "17850", and lines without one go to the walk-in client "walk-in";
    clients carry the Country column, products StockCode and Description.
    Lines that are no sale (a quantity of 0 or below, or a negative price,
    outside a "C" invoice: stock adjustments and bad-debt adjustments) are
    skipped and counted by reason.  InvoiceDate is the shop's local time:
    --time-zone (default CRMQ_TIME_ZONE; the data set's shop is in
    Europe/London).  Prices are in the shop's currency, GBP: by default the
    amounts are taken as the base currency (CRMQ_BASE_CURRENCY); --currency
    GBP --rate R sends them as GBP at R base units per pound.             */
#ifndef CLI_IMPORT_ONLINE_RETAIL_H_INCLUDED
#define CLI_IMPORT_ONLINE_RETAIL_H_INCLUDED

#include "crmq.h"

#define CLI_IMPORT_ONLINE_RETAIL_USAGE \
    "crmq import online-retail DIR [--dry-run] [--time-zone ZONE] [--currency CODE [--rate R]]"

//  Runs the command; argv [0] is "online-retail".  Settings as
//  cli_import_csv_files.  Returns the exit code as cli_import_csv_files;
//  1 also when DIR holds no *.csv file or cannot be read.
int cli_import_online_retail_run (crmq_config_t *config, int argc, char **argv);

#endif

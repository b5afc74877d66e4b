/*  cli_import_superstore.h - `crmq import superstore FILE`: the Tableau
    "Sample - Superstore" orders through crmq-sales, as an ERP would send
    them.

    The CSV importer with a built-in mapping (the same as
    examples/mappings/superstore.json): one order per Order ID with its
    lines; Ship Date gives a shipment of the whole order (ShipmentRegistered);
    clients are Customer ID with Customer Name, Segment as their category
    and Country (city, state and region change from order to order: they
    describe the delivery, not the client); products are Product ID and
    Product Name in the group Category > Sub-Category (ProductGroup events,
    the sub-group's id "Category/Sub-Category").  Sales is the line amount
    after the discount, so the unit price is derived from it: the price of
    9 decimals for which round_half_up (quantity x price x (1 - discount),
    2) gives Sales rounded to cents; the summary counts the lines where no
    such price exists ("line amounts that differ ... : 0 of 9994" on the
    data set).  The cost of a line is Sales - Profit.  Dates are days in
    --time-zone (default CRMQ_TIME_ZONE); amounts are in the base
    currency unless --currency CODE --rate R says otherwise.               */
#ifndef CLI_IMPORT_SUPERSTORE_H_INCLUDED
#define CLI_IMPORT_SUPERSTORE_H_INCLUDED

#include "crmq.h"

#define CLI_IMPORT_SUPERSTORE_USAGE \
    "crmq import superstore FILE [--dry-run] [--time-zone ZONE] [--currency CODE [--rate R]]"

//  Runs the command; argv [0] is "superstore".  Settings as
//  cli_import_csv_files.  Returns the exit code as cli_import_csv_files.
int cli_import_superstore_run (crmq_config_t *config, int argc, char **argv);

#endif

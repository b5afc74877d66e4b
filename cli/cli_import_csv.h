/*  cli_import_csv.h - imports any ERP export of sales lines, as a mapping
    file describes it: `crmq import csv --mapping FILE CSVFILE...`; also the
    engine behind `crmq import online-retail` and `crmq import superstore`,
    which are this importer with a built-in mapping.

    Each row is one line of a document (cli_documents): an order, or a
    return when the mapping's kind column or return prefix says so.  Rows
    that are no sale are skipped and counted by reason (not errors): in an
    order, a quantity of 0 or below (stock adjustments) or a negative price
    or line amount (adjustments such as bad debt); in a return, a quantity
    of 0 or a negative price.  Return quantities, amounts and costs count
    by their size: an ERP writes them negative (credit notes) or positive.
    The unit price is the price column, or, without one, derived from the
    line amount (cli_money_unit_price): the summary says how many line
    amounts crmq computes differently from the file after rounding to
    cents.  The cost of a line is the cost column, or the line amount less
    the profit column.  Master data (clients, products, product groups,
    managers) comes from the same rows (cli_master) and is sent first.     */
#ifndef CLI_IMPORT_CSV_H_INCLUDED
#define CLI_IMPORT_CSV_H_INCLUDED

#include "crmq.h"
#include "cli_args.h"
#include "cli_field.h"
#include "cli_mapping.h"

#define CLI_IMPORT_CSV_USAGE \
    "crmq import csv --mapping FILE [--dry-run] [--time-zone ZONE] [--currency CODE " \
    "[--rate R]] CSVFILE..."

//  What the command line may change of a mapping.
typedef struct {
    bool dry_run;
    const char *time_zone;          //  NULL = the mapping's, else CRMQ_TIME_ZONE
    const char *currency;           //  NULL = the mapping's, else CRMQ_BASE_CURRENCY
    cli_number_t rate;              //  zero = the mapping's, else none
} cli_import_csv_options_t;

//  The rows of the options every CSV importer takes, for a cli_arg_t
//  table: --dry-run, --time-zone, --currency, --rate.
#define CLI_IMPORT_CSV_OPTIONS \
    CLI_OPTION ("dry-run", CLI_ARG_FLAG, NULL), \
    CLI_OPTION ("time-zone", CLI_ARG_TEXT, NULL), \
    CLI_OPTION ("currency", CLI_ARG_TEXT, NULL), \
    CLI_OPTION ("rate", CLI_ARG_TEXT, NULL)

//  Reads those options from `args` into `options` (strings borrowed from
//  the args).  Returns 0, or CLI_EXIT_USAGE after printing why (an
//  unknown zone, a currency that is not an ISO 4217 code, a rate that is
//  not a number above 0).
int cli_import_csv_options (cli_args_t *args, cli_import_csv_options_t *options);

//  Imports the `count` files of `paths` in order, as `mapping` says, as
//  importer `name` ("online-retail": progress lines, messages).  Settings
//  used: those of cli_import_new, time_zone, base_currency.  Prints the
//  progress to stderr and the summary to stdout.  Returns the exit code:
//  0 everything accepted or duplicate (rows skipped as no sale included),
//  2 some rows or events rejected, 1 a file could not be read (nothing is
//  sent then) or a batch failed (what was acknowledged stays stored), 64
//  bad usage (a --rate without a foreign currency).
int cli_import_csv_files (crmq_config_t *config, const char *name, const cli_mapping_t *mapping,
                          char *const *paths, size_t count,
                          const cli_import_csv_options_t *options);

//  Runs an importer that is this one with the built-in mapping
//  `mapping_name` (cli_mapping_builtin): `crmq import NAME ARG [options]`,
//  argv [0] being NAME, `usage` shown with usage errors.  ARG is a file,
//  or with `directory` a folder whose *.csv files are imported in name
//  order.  Returns the exit code as cli_import_csv_files; 1 also when the
//  folder holds no *.csv file or cannot be read.
int cli_import_csv_builtin_run (crmq_config_t *config, const char *name,
                                const char *mapping_name, const char *usage, bool directory,
                                int argc, char **argv);

//  Runs `crmq import csv ...`; argv [0] is "csv".  Returns the exit code
//  as cli_import_csv_files; 1 also when the mapping file cannot be read or
//  is not valid (the reason printed with the file, line and key).
int cli_import_csv_run (crmq_config_t *config, int argc, char **argv);

#endif

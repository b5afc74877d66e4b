/*  cli_import_online_retail.c - the UCI Online Retail data set; see
    cli_import_online_retail.h.  */
#include "cli_import_online_retail.h"
#include "cli_import_csv.h"

int
cli_import_online_retail_run (crmq_config_t *config, int argc, char **argv)
{
    return cli_import_csv_builtin_run (config, "online-retail", "online_retail",
                                       CLI_IMPORT_ONLINE_RETAIL_USAGE, true, argc, argv);
}

/*  cli_import_superstore.c - the Superstore sample; see
    cli_import_superstore.h.  */
#include "cli_import_superstore.h"
#include "cli_import_csv.h"

int
cli_import_superstore_run (crmq_config_t *config, int argc, char **argv)
{
    return cli_import_csv_builtin_run (config, "superstore", "superstore",
                                       CLI_IMPORT_SUPERSTORE_USAGE, false, argc, argv);
}

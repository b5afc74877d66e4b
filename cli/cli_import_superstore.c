/*  cli_import_superstore.c - the Superstore sample; see
    cli_import_superstore.h.  */
#include "cli_import_superstore.h"
#include "cli_args.h"
#include "cli_common.h"
#include "cli_import_csv.h"
#include "cli_mapping.h"

int
cli_import_superstore_run (crmq_config_t *config, int argc, char **argv)
{
    static const cli_arg_t s_options [] = {
        CLI_IMPORT_CSV_OPTIONS,
        CLI_ARG_END
    };
    cli_args_t *args = NULL;
    int rc = cli_args_parse (s_options, CLI_IMPORT_SUPERSTORE_USAGE, "crmq import superstore",
                             crmq_config_str (config, "time_zone"), 1, 1, "FILE", argc, argv,
                             &args);
    if (rc != 0)
        return rc;
    cli_import_csv_options_t options;
    char error [700];
    cli_mapping_t *mapping = NULL;
    if ((rc = cli_import_csv_options (args, &options)) == 0) {
        if (!(mapping = cli_mapping_builtin ("superstore", error, sizeof error))) {
            fprintf (stderr, "crmq: %s\n", error);
            rc = CLI_EXIT_FAILURE;
        }
        else {
            char *path = (char *) cli_args_arg (args, 0);
            rc = cli_import_csv_files (config, "superstore", mapping, &path, 1, &options);
        }
    }
    cli_mapping_destroy (&mapping);
    cli_args_destroy (&args);
    return rc;
}

/*  cli_import_online_retail.c - the UCI Online Retail data set; see
    cli_import_online_retail.h.  */
#include "cli_import_online_retail.h"
#include "cli_args.h"
#include "cli_common.h"
#include "cli_import_csv.h"
#include "cli_mapping.h"

#include <assert.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>

int
cli_import_online_retail_run (crmq_config_t *config, int argc, char **argv)
{
    static const cli_arg_t s_options [] = {
        CLI_IMPORT_CSV_OPTIONS,
        CLI_ARG_END
    };
    cli_args_t *args = NULL;
    int rc = cli_args_parse (s_options, CLI_IMPORT_ONLINE_RETAIL_USAGE,
                             "crmq import online-retail", crmq_config_str (config, "time_zone"),
                             1, 1, "DIR", argc, argv, &args);
    if (rc != 0)
        return rc;
    cli_import_csv_options_t options;
    if ((rc = cli_import_csv_options (args, &options)) != 0) {
        cli_args_destroy (&args);
        return rc;
    }
    //  Every month's file, in name (so date) order
    char pattern [4096];
    snprintf (pattern, sizeof pattern, "%s/*.csv", cli_args_arg (args, 0));
    glob_t found;
    int globbed = glob (pattern, 0, NULL, &found);
    char error [700];
    cli_mapping_t *mapping = NULL;
    if (globbed == GLOB_NOMATCH) {
        fprintf (stderr, "crmq: %s: no *.csv file there\n", cli_args_arg (args, 0));
        rc = CLI_EXIT_FAILURE;
    }
    else
    if (globbed != 0) {
        fprintf (stderr, "crmq: %s: cannot be read\n", cli_args_arg (args, 0));
        rc = CLI_EXIT_FAILURE;
    }
    else
    if (!(mapping = cli_mapping_builtin ("online_retail", error, sizeof error))) {
        fprintf (stderr, "crmq: %s\n", error);
        rc = CLI_EXIT_FAILURE;
    }
    else
        rc = cli_import_csv_files (config, "online-retail", mapping, found.gl_pathv,
                                   found.gl_pathc, &options);
    if (globbed == 0)
        globfree (&found);
    cli_mapping_destroy (&mapping);
    cli_args_destroy (&args);
    return rc;
}

/*  main.c - crmq, the command-line client: settings and command dispatch.  */
#include "crmq.h"
#include "cli_args.h"
#include "cli_bus.h"
#include "cli_channel.h"
#include "cli_chart.h"
#include "cli_client.h"
#include "cli_common.h"
#include "cli_contact_person.h"
#include "cli_csv.h"
#include "cli_deal.h"
#include "cli_documents.h"
#include "cli_field.h"
#include "cli_import.h"
#include "cli_money.h"
#include "cli_progress.h"
#include "cli_rows.h"
#include "cli_import_csv.h"
#include "cli_import_northwind.h"
#include "cli_import_online_retail.h"
#include "cli_import_superstore.h"
#include "cli_ingest.h"
#include "cli_interaction.h"
#include "cli_manager.h"
#include "cli_mapping.h"
#include "cli_master.h"
#include "cli_notify.h"
#include "cli_sales.h"
#include "cli_output.h"
#include "cli_report.h"
#include "cli_report_template.h"
#include "cli_segment.h"
#include "cli_tail.h"

#include <stdio.h>
#include <string.h>

//  Every setting of the crmq command, from the environment.
static const crmq_setting_t s_settings [] = {
    CRMQ_SETTING_SALES_ENDPOINT,
    CRMQ_SETTING_CONTACTS_ENDPOINT,
    CRMQ_SETTING_ANALYTICS_ENDPOINT,
    CRMQ_SETTING_BUS_ENDPOINTS,
    CRMQ_SETTING_SCHEDULER_ENDPOINT,
    CRMQ_SETTING_NOTIFY_ENDPOINT,
    { "pg_url", "CRMQ_PG_URL", CRMQ_SETTING_STRING,
      "postgresql://crmq@127.0.0.1:5432/crmq", 0, 0, "PostgreSQL connection URI (migrate only)" },
    //  CRMQ_SETTING_RPC_TIMEOUT's rows, with a longer default timeout: a big
    //  batch can take more than 10 s on a loaded machine, and a timeout makes
    //  the client resend work already in progress.  Same bounds.
    { "rpc_timeout_ms", "CRMQ_RPC_TIMEOUT_MS", CRMQ_SETTING_INT,
      "30000", 10, 3600000, "time to wait for one reply, milliseconds" },
    { "rpc_retries", "CRMQ_RPC_RETRIES", CRMQ_SETTING_INT,
      "3", 0, 100, "resends of an unanswered request" },
    //  As the services' row in CRMQ_SETTINGS_COMMON (same default and bounds)
    { "max_message_bytes", "CRMQ_MAX_MESSAGE_BYTES", CRMQ_SETTING_INT,
      "16777216", 1024, 1073741824, "largest request frame sent (the services' limit), bytes" },
    { "batch_size", "CRMQ_BATCH_SIZE", CRMQ_SETTING_INT,
      "500", 1, 10000, "ERP events per sales.Ingest request (imports)" },
    { "ingest_window", "CRMQ_INGEST_WINDOW", CRMQ_SETTING_INT,
      "4", 1, 64, "sales.Ingest requests in flight at once (imports)" },
    { "time_zone", "CRMQ_TIME_ZONE", CRMQ_SETTING_STRING,
      "UTC", 0, 64, "company IANA time zone: report dates, imported dates" },
    { "base_currency", "CRMQ_BASE_CURRENCY", CRMQ_SETTING_STRING,
      "USD", 0, 3, "ISO 4217 code of imported amounts" },
    { "log_level", "CRMQ_LOG_LEVEL", CRMQ_SETTING_STRING,
      "error", 0, 8, "debug, info, warn or error (logs go to stderr)" },
    { "actor", "CRMQ_ACTOR", CRMQ_SETTING_STRING,
      "", 0, 200, "who the audit trail names for writes (--actor); empty = $USER" },
    { NULL, NULL, CRMQ_SETTING_STRING, NULL, 0, 0, NULL }
};

#define USAGE "crmq COMMAND [ARGS]  (crmq help lists the commands)"

//  The command groups: "crmq GROUP COMMAND ...", each talking to the
//  service of its endpoint setting.  A group of two words ("notify
//  target") comes before the one-word group it starts with.
static const struct {
    const char *name;
    const cli_command_t *(*commands) (void);
    const char *endpoint_setting;
} s_groups [] = {
    { "client",      cli_client_commands,         "contacts_endpoint" },
    { "person",      cli_contact_person_commands, "contacts_endpoint" },
    { "channel",     cli_channel_commands,        "contacts_endpoint" },
    { "interaction", cli_interaction_commands,    "contacts_endpoint" },
    { "segment",     cli_segment_commands,        "contacts_endpoint" },
    { "manager",     cli_manager_commands,        "contacts_endpoint" },
    { "sales",       cli_sales_commands,          "sales_endpoint" },
    { "pipeline",    cli_pipeline_commands,       "sales_endpoint" },
    { "deal",        cli_deal_commands,           "sales_endpoint" },
    { "bus",         cli_bus_commands,            "bus_endpoint" },
    { "notify target", cli_notify_target_commands, "notify_endpoint" },
    { "notify dead", cli_notify_dead_commands,    "notify_endpoint" },
    { "notify",      cli_notify_commands,         "notify_endpoint" },
    { NULL, NULL, NULL }
};

static void
s_print_usage (FILE *out)
{
    fprintf (out,
        "usage: crmq COMMAND [ARGS]\n"
        "\n"
        "commands:\n"
        "  migrate                          apply pending database migrations (CRMQ_PG_URL)\n"
        "  ping SERVICE                     exit 0 when the service answers (bus, contacts,\n"
        "                                   sales, analytics, scheduler, notify)\n"
        "  import northwind DIR [--dry-run]\n"
        "                                   publish the Northwind CSVs in DIR to crmq-sales\n"
        "  import online-retail DIR [--dry-run] [--time-zone ZONE] [--currency CODE [--rate R]]\n"
        "                                   the UCI Online Retail CSVs (one per month) in DIR\n"
        "  import superstore FILE [--dry-run] [--time-zone ZONE] [--currency CODE [--rate R]]\n"
        "                                   the Sample - Superstore orders CSV\n"
        "  import csv --mapping FILE [--dry-run] [--time-zone ZONE] [--currency CODE [--rate R]]\n"
        "             CSVFILE...\n"
        "                                   any ERP export of sales lines, as the mapping file\n"
        "                                   (JSON) says; see README.md, \"Importing ERP exports\"\n"
        "  report NAME [--from DATE] [--to DATE] [--period RELATIVE] [--granularity G]\n"
        "              [--by DIM]... [--filter FIELD=V,...]... [--exclude FIELD=V,...]...\n"
        "              [--measure M] [--limit N] [--as-of DATE] [--format F] [--table T]\n"
        "              [--chart FILE.svg]\n"
        "                                   reports: base, abc, xyz, abc_xyz, rfm, rating,\n"
        "                                   dynamics, deal_dynamics, funnel, managers, clients,\n"
        "                                   satisfaction, least_satisfied (docs/reports.md)\n"
        "  report client-metrics [--client ID]... [--limit N] [--format F]\n"
        "                                   per-client metrics kept from the event log: orders,\n"
        "                                   revenue, returns, late shipments and payments\n"
        "  report template save NAME REPORT [report options] [--schedule RRULE]\n"
        "              [--description TEXT] [--replace]\n"
        "                                   a saved report; RRULE runs it on a schedule\n"
        "                                   (FREQ=WEEKLY;BYDAY=MO;BYHOUR=7) and publishes\n"
        "                                   analytics.report.ready\n"
        "  report template list|show NAME|run NAME [--format F]|delete NAME\n"
        "  help                             this text and the settings\n"
        "\n"
        "client cards and history (crmq-contacts):\n");
    for (size_t i = 0; s_groups [i].name; i++) {
        if (streq (s_groups [i].name, "pipeline"))
            fprintf (out, "\ndeals and pipelines (crmq-sales):\n");
        if (streq (s_groups [i].name, "bus"))
            fprintf (out, "\nthe event log (crmq-bus; see docs/subscribing.md):\n"
                     "  tail [PREFIX] [--from SEQ] [--format text|json] [--count N] [--timeout S]\n"
                     "                                   print events as they come, decoded\n");
        if (streq (s_groups [i].name, "notify target"))
            fprintf (out, "\nalerts to webhooks and e-mail (crmq-notify):\n");
        cli_command_print_usage (s_groups [i].commands (), out);
    }
    fprintf (out,
        "\n"
        "DATE is YYYY-MM-DD in CRMQ_TIME_ZONE; a period is half-open (--to is excluded).\n"
        "TIME is \"YYYY-MM-DD HH:MM\" in CRMQ_TIME_ZONE.  Writes name --actor in the audit\n"
        "trail (default CRMQ_ACTOR, else $USER).  A listing with more pages says how to\n"
        "get the next one on stderr (\"more: crmq ...\").\n"
        "F is table (the default), csv or json; json keeps money as exact strings.\n"
        "Exit codes: 0 done, 1 failed, 2 import finished but rejected some events,\n"
        "64 bad usage (also a repeated option or an unknown CRMQ_TIME_ZONE).\n"
        "A failed call prints \"crmq: METHOD: STATUS: message (field F)\".\n"
        "\n");
}

static int
s_help (crmq_config_t *config, const char *config_error)
{
    s_print_usage (stdout);
    if (config)
        crmq_config_print (config, stdout);
    else
        printf ("Settings (environment variables): cannot show them: %s\n", config_error);
    return CLI_EXIT_OK;
}

static int
s_migrate (crmq_config_t *config, int argc, char **argv)
{
    (void) argv;
    if (argc != 1)
        return cli_usage ("crmq migrate", "migrate takes no arguments");
    crmq_pg_t *pg = crmq_pg_new (crmq_config_str (config, "pg_url"), "crmq-cli");
    if (!pg) {
        fprintf (stderr, "crmq: migrate: out of memory\n");
        return CLI_EXIT_FAILURE;
    }
    int rc = CLI_EXIT_FAILURE;
    if (!crmq_pg_ensure (pg))
        fprintf (stderr, "crmq: migrate: cannot connect to PostgreSQL (CRMQ_PG_URL): %s\n",
                 crmq_pg_error (pg));
    else {
        int applied = crmq_migrate (pg, NULL);
        if (applied < 0)
            fprintf (stderr, "crmq: migrate: failed: %s\n", crmq_pg_error (pg));
        else {
            printf ("migrations applied: %d\n", applied);
            rc = CLI_EXIT_OK;
        }
    }
    crmq_pg_destroy (&pg);
    return rc;
}

//  Sends crmq.Ping (CRMQ_RPC_PING, answered by every crmq server) with an
//  empty body, once, waiting rpc_timeout_ms.  Exit 0 when it answers OK.
static int
s_ping (crmq_config_t *config, int argc, char **argv)
{
    const char *usage = "crmq ping bus|contacts|sales|analytics|scheduler|notify";
    if (argc != 2)
        return cli_usage (usage, "ping which service?");
    const char *service = argv [1];
    char setting [64];
    const char *services [] = { "bus", "contacts", "sales", "analytics", "scheduler", "notify" };
    bool known = false;
    for (size_t index = 0; index < sizeof services / sizeof services [0]; index++)
        known = known || streq (service, services [index]);
    if (!known)
        return cli_usage (usage, "unknown service \"%s\"", service);
    snprintf (setting, sizeof setting, "%s_endpoint", service);
    const char *endpoint = crmq_config_str (config, setting);
    int timeout_ms = (int) crmq_config_int (config, "rpc_timeout_ms");
    crmq_rpc_client_t *client = crmq_rpc_client_new (endpoint, timeout_ms, 0);
    if (!client) {
        fprintf (stderr, "crmq: %s: cannot open endpoint \"%s\"\n", setting, endpoint);
        return CLI_EXIT_FAILURE;
    }
    cli_rpc_limit (client, config);
    uint8_t *body = NULL;
    size_t size = 0;
    int64_t start = crmq_time_now_us ();
    int code = crmq_rpc_call_raw (client, CRMQ_RPC_PING, "", 0, 2, &body, &size);
    int64_t elapsed_ms = (crmq_time_now_us () - start) / 1000;
    free (body);
    int rc;
    if (code != CRMQ_OK) {
        cli_rpc_error (client, CRMQ_RPC_PING, code);
        rc = CLI_EXIT_FAILURE;
    }
    else {
        printf ("%s %s: up (%s in %" PRId64 " ms)\n", service, endpoint,
                crmq_status_name (code), elapsed_ms);
        rc = CLI_EXIT_OK;
    }
    crmq_rpc_client_destroy (&client);
    return rc;
}

#define IMPORT_USAGE "crmq import northwind|online-retail|superstore|csv ..."

static int
s_import (crmq_config_t *config, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage (IMPORT_USAGE, "import what?");
    if (streq (argv [1], "northwind"))
        return cli_import_northwind_run (config, argc - 1, argv + 1);
    if (streq (argv [1], "online-retail"))
        return cli_import_online_retail_run (config, argc - 1, argv + 1);
    if (streq (argv [1], "superstore"))
        return cli_import_superstore_run (config, argc - 1, argv + 1);
    if (streq (argv [1], "csv"))
        return cli_import_csv_run (config, argc - 1, argv + 1);
    return cli_usage (IMPORT_USAGE, "unknown import \"%s\"", argv [1]);
}

static int
s_tail (crmq_config_t *config, int argc, char **argv)
{
    return cli_tail_run (config, argc, argv);
}

static int
s_report (crmq_config_t *config, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage (CLI_REPORT_USAGE, "which report?");
    return cli_report_run (config, argc - 1, argv + 1);
}

//  How many words of argv the group `name` (one or two words) takes: 0
//  when argv does not start with it.
static int
s_group_words (const char *name, int argc, char **argv)
{
    const char *space = strchr (name, ' ');
    if (!space)
        return streq (argv [0], name)? 1: 0;
    size_t length = (size_t) (space - name);
    return argc > 1 && strlen (argv [0]) == length && strncmp (argv [0], name, length) == 0
        && streq (argv [1], space + 1)? 2: 0;
}

//  A command group: argv [0] (and argv [1] for a group of two words) the
//  group, then the command.
static int
s_group (crmq_config_t *config, int argc, char **argv)
{
    for (size_t i = 0; s_groups [i].name; i++) {
        int words = s_group_words (s_groups [i].name, argc, argv);
        if (words)
            return cli_command_run (s_groups [i].commands (), s_groups [i].name,
                                    s_groups [i].endpoint_setting, config, argc - words,
                                    argv + words);
    }
    return -1;
}

//  Hidden: the self-tests of the CLI classes that need no service.
static int
s_selftest (crmq_config_t *config, int argc, char **argv)
{
    (void) config;
    bool verbose = argc > 1 && streq (argv [1], "-v");
    printf ("Running crmq CLI self-tests...\n");
    cli_common_test (verbose);
    cli_output_test (verbose);
    cli_report_test (verbose);
    cli_report_template_test (verbose);
    cli_chart_test (verbose);
    cli_args_test (verbose);
    cli_csv_test (verbose);
    cli_field_test (verbose);
    cli_money_test (verbose);
    cli_progress_test (verbose);
    cli_ingest_test (verbose);
    cli_import_test (verbose);
    cli_rows_test (verbose);
    cli_master_test (verbose);
    cli_documents_test (verbose);
    cli_mapping_test (verbose);
    cli_deal_test (verbose);
    cli_tail_test (verbose);
    printf ("Tests passed OK\n");
    return CLI_EXIT_OK;
}

typedef int (s_command_fn) (crmq_config_t *config, int argc, char **argv);

static const struct {
    const char *name;
    s_command_fn *run;
} s_commands [] = {
    { "migrate",  s_migrate },
    { "ping",     s_ping },
    { "import",   s_import },
    { "report",   s_report },
    { "tail",     s_tail },
    { "selftest", s_selftest },
    { NULL, NULL }
};

int
main (int argc, char **argv)
{
    char error [512] = "";
    crmq_config_t *config = crmq_config_new (s_settings, error, sizeof error);
    int rc;
    if (argc < 2) {
        rc = cli_usage (USAGE, "no command");
        crmq_config_destroy (&config);
        return rc;
    }
    const char *command = argv [1];
    if (streq (command, "help") || streq (command, "--help") || streq (command, "-h")) {
        rc = s_help (config, error);
        crmq_config_destroy (&config);
        return rc;
    }
    if (!config) {
        fprintf (stderr, "crmq: %s\n", error);
        return CLI_EXIT_FAILURE;
    }
    if (crmq_log_init ("crmq", crmq_config_str (config, "log_level")) != 0) {
        fprintf (stderr, "crmq: CRMQ_LOG_LEVEL: \"%s\" is not debug, info, warn or error\n",
                 crmq_config_str (config, "log_level"));
        crmq_config_destroy (&config);
        return CLI_EXIT_FAILURE;
    }
    //  Every command reads dates or prints them in the company's zone: a
    //  zone the time library does not know is a setup error, refused here.
    const char *time_zone = crmq_config_str (config, "time_zone");
    if (cli_time_zone_check (time_zone) != 0) {
        fprintf (stderr, "crmq: CRMQ_TIME_ZONE: unknown time zone \"%s\"\n", time_zone);
        crmq_config_destroy (&config);
        return CLI_EXIT_USAGE;
    }
    //  czmq would otherwise catch SIGINT and leave a blocked call running.
    zsys_handler_set (NULL);
    rc = s_group (config, argc - 1, argv + 1);
    for (size_t i = 0; rc == -1 && s_commands [i].name; i++)
        if (streq (command, s_commands [i].name))
            rc = s_commands [i].run (config, argc - 1, argv + 1);
    if (rc == -1)
        rc = cli_usage (USAGE, "unknown command \"%s\"", command);
    crmq_config_destroy (&config);
    return rc;
}

/*  cli_client.c - client cards: contacts.GetClient and contacts.ListClients.  */
#include "cli_client.h"
#include "cli_common.h"
#include "cli_output.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *command;            //  "show", "list"
    const char *external_id;        //  show
    long long id;                   //  show --id
    long long limit;                //  list, 0 = the service's default
    long long after;                //  list
    cli_format_t format;
} s_options_t;

static int
s_parse (int argc, char **argv, s_options_t *options)
{
    static const struct option long_options [] = {
        { "id",     required_argument, NULL, 'i' },
        { "limit",  required_argument, NULL, 'l' },
        { "after",  required_argument, NULL, 'a' },
        { "format", required_argument, NULL, 'F' },
        { NULL, 0, NULL, 0 }
    };
    bool show = streq (options->command, "show");
    cli_options_seen_t seen = { 0 };
    optind = 0;
    opterr = 0;
    int option;
    while ((option = getopt_long (argc, argv, ":", long_options, NULL)) != -1) {
        if (cli_option_once (&seen, long_options, option, CLI_CLIENT_USAGE) != 0)
            return CLI_EXIT_USAGE;
        switch (option) {
            case 'i':
                if (!show)
                    return cli_usage (CLI_CLIENT_USAGE, "--id is for client show");
                if (cli_int_parse (optarg, 1, INT64_MAX, &options->id) != 0)
                    return cli_usage (CLI_CLIENT_USAGE, "--id: \"%s\" is not a client id", optarg);
                break;
            case 'l':
                if (show)
                    return cli_usage (CLI_CLIENT_USAGE, "--limit is for client list");
                if (cli_int_parse (optarg, 1, 1000, &options->limit) != 0)
                    return cli_usage (CLI_CLIENT_USAGE, "--limit: \"%s\" is not 1..1000", optarg);
                break;
            case 'a':
                if (show)
                    return cli_usage (CLI_CLIENT_USAGE, "--after is for client list");
                if (cli_int_parse (optarg, 0, INT64_MAX, &options->after) != 0)
                    return cli_usage (CLI_CLIENT_USAGE, "--after: \"%s\" is not a client id",
                                      optarg);
                break;
            case 'F':
                if (cli_format_parse (optarg, &options->format) != 0)
                    return cli_usage (CLI_CLIENT_USAGE, "--format: \"%s\" is not table, csv "
                                      "or json", optarg);
                break;
            case ':':
                return cli_usage (CLI_CLIENT_USAGE, "%s needs a value", argv [optind - 1]);
            default:
                return cli_usage (CLI_CLIENT_USAGE, "unknown option %s", argv [optind - 1]);
        }
    }
    if (show) {
        if (optind < argc)
            options->external_id = argv [optind++];
        if (!options->external_id == !options->id)
            return cli_usage (CLI_CLIENT_USAGE, "client show takes an EXTERNAL_ID or --id N");
        if (options->external_id && !*options->external_id)
            return cli_usage (CLI_CLIENT_USAGE, "EXTERNAL_ID is empty");
    }
    if (optind < argc)
        return cli_usage (CLI_CLIENT_USAGE, "unexpected argument \"%s\"", argv [optind]);
    return 0;
}

//  An instant as "YYYY-MM-DD HH:MM:SS" in the company zone; "" for 0.
static char *
s_instant (int64_t us, const char *time_zone, char *buf, size_t size)
{
    buf [0] = 0;
    if (us && crmq_time_format (us, time_zone, false, buf, size) < 0)
        snprintf (buf, size, "?");
    return buf;
}

static int
s_show (crmq_rpc_client_t *client, const s_options_t *options, const char *time_zone)
{
    Crmq__GetClientRequest request = CRMQ__GET_CLIENT_REQUEST__INIT;
    request.id = options->id;
    if (options->external_id)
        request.external_id = (char *) options->external_id;
    Crmq__GetClientReply *reply;
    int rc = cli_call (client, "contacts.GetClient", &request.base,
                       &crmq__get_client_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (!reply->client) {
        fprintf (stderr, "crmq: contacts.GetClient: reply without a client\n");
        crmq__get_client_reply__free_unpacked (reply, NULL);
        return CLI_EXIT_FAILURE;
    }
    const Crmq__Client *card = reply->client;
    const Crmq__Manager *manager = reply->manager;
    cli_output_t *output = cli_output_new (options->format);
    if (!output) {
        crmq__get_client_reply__free_unpacked (reply, NULL);
        return CLI_EXIT_FAILURE;
    }
    static const struct { const char *key, *title; cli_column_type_t type; } columns [] = {
        { "id",                  "id",           CLI_COLUMN_ID },
        { "external_id",         "external id",  CLI_COLUMN_TEXT },
        { "name",                "name",         CLI_COLUMN_TEXT },
        { "legal_name",          "legal name",   CLI_COLUMN_TEXT },
        { "country",             "country",      CLI_COLUMN_TEXT },
        { "region",              "region",       CLI_COLUMN_TEXT },
        { "city",                "city",         CLI_COLUMN_TEXT },
        { "address",             "address",      CLI_COLUMN_TEXT },
        { "postal_code",         "postal code",  CLI_COLUMN_TEXT },
        { "phone",               "phone",        CLI_COLUMN_TEXT },
        { "email",               "e-mail",       CLI_COLUMN_TEXT },
        { "category",            "category",     CLI_COLUMN_TEXT },
        { "source",              "source",       CLI_COLUMN_TEXT },
        { "manager_external_id", "manager external id", CLI_COLUMN_TEXT },
        { "manager_name",        "manager",      CLI_COLUMN_TEXT },
        { "created_at",          "created",      CLI_COLUMN_TEXT },
        { "updated_at",          "updated",      CLI_COLUMN_TEXT },
    };
    cli_output_set_record (output, true);
    for (size_t i = 0; i < sizeof columns / sizeof columns [0]; i++)
        cli_output_add_column (output, columns [i].key, columns [i].title, columns [i].type);
    char id [24], created [40], updated [40];
    snprintf (id, sizeof id, "%" PRId64, card->id);
    const char *manager_id = *card->manager_external_id? card->manager_external_id
                           : manager? manager->external_id: "";
    const char *row [] = {
        id, card->external_id, card->name, card->legal_name, card->country, card->region,
        card->city, card->address, card->postal_code, card->phone, card->email,
        card->category, card->source, manager_id, manager? manager->name: "",
        s_instant (card->created_at_us, time_zone, created, sizeof created),
        s_instant (card->updated_at_us, time_zone, updated, sizeof updated)
    };
    rc = cli_output_add_row (output, row) == 0? cli_output_print_stdout (output): CLI_EXIT_FAILURE;
    cli_output_destroy (&output);
    crmq__get_client_reply__free_unpacked (reply, NULL);
    return rc;
}

static int
s_list (crmq_rpc_client_t *client, const s_options_t *options)
{
    Crmq__ListClientsRequest request = CRMQ__LIST_CLIENTS_REQUEST__INIT;
    request.limit = (int32_t) options->limit;
    request.after_id = options->after;
    Crmq__ListClientsReply *reply;
    int rc = cli_call (client, "contacts.ListClients", &request.base,
                       &crmq__list_clients_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    cli_output_t *output = cli_output_new (options->format);
    if (!output) {
        crmq__list_clients_reply__free_unpacked (reply, NULL);
        return CLI_EXIT_FAILURE;
    }
    cli_output_add_column (output, "id", "id", CLI_COLUMN_ID);
    cli_output_add_column (output, "external_id", "external id", CLI_COLUMN_TEXT);
    cli_output_add_column (output, "name", "name", CLI_COLUMN_TEXT);
    cli_output_add_column (output, "city", "city", CLI_COLUMN_TEXT);
    cli_output_add_column (output, "country", "country", CLI_COLUMN_TEXT);
    cli_output_add_column (output, "phone", "phone", CLI_COLUMN_TEXT);
    cli_output_add_column (output, "manager_external_id", "manager external id", CLI_COLUMN_TEXT);
    char id [24];
    for (size_t i = 0; rc == CLI_EXIT_OK && i < reply->n_clients; i++) {
        const Crmq__Client *card = reply->clients [i];
        snprintf (id, sizeof id, "%" PRId64, card->id);
        const char *row [] = {
            id, card->external_id, card->name, card->city, card->country, card->phone,
            card->manager_external_id
        };
        if (cli_output_add_row (output, row) != 0)
            rc = CLI_EXIT_FAILURE;
    }
    if (rc == CLI_EXIT_OK)
        rc = cli_output_print_stdout (output);
    if (rc == CLI_EXIT_OK && reply->next_after_id) {
        fprintf (stderr, "more: crmq client list --after %" PRId64, reply->next_after_id);
        if (options->limit)
            fprintf (stderr, " --limit %lld", options->limit);
        fprintf (stderr, "\n");
    }
    cli_output_destroy (&output);
    crmq__list_clients_reply__free_unpacked (reply, NULL);
    return rc;
}

int
cli_client_run (crmq_config_t *config, int argc, char **argv)
{
    if (argc < 1 || (!streq (argv [0], "show") && !streq (argv [0], "list")))
        return cli_usage (CLI_CLIENT_USAGE, "client show or client list?");
    s_options_t options = { .command = argv [0], .format = CLI_FORMAT_TABLE };
    int rc = s_parse (argc, argv, &options);
    if (rc != 0)
        return rc;
    crmq_rpc_client_t *client = cli_rpc_open (config, "contacts_endpoint");
    if (!client)
        return CLI_EXIT_FAILURE;
    if (streq (options.command, "show"))
        rc = s_show (client, &options, crmq_config_str (config, "time_zone"));
    else
        rc = s_list (client, &options);
    crmq_rpc_client_destroy (&client);
    return rc;
}

/*  cli_client.h - `crmq client show|list`: client cards from crmq-contacts,
    printed as a table, CSV or JSON (cli_output).

      crmq client show EXTERNAL_ID [--format F]
      crmq client show --id N [--format F]
      crmq client list [--limit N] [--after ID] [--format F]

    `list` pages by id: when more clients follow, "more: crmq client list
    --after ID" goes to stderr, so stdout stays pure data.  The manager
    shows as "manager external id" (the ERP's id) and "manager" (the name,
    when contacts knows the manager).                                        */
#ifndef CLI_CLIENT_H_INCLUDED
#define CLI_CLIENT_H_INCLUDED

#include "crmq.h"

#define CLI_CLIENT_USAGE \
    "crmq client show EXTERNAL_ID | --id N [--format table|csv|json]\n" \
    "       crmq client list [--limit N] [--after ID] [--format table|csv|json]"

//  Runs the command; argv [0] is "show" or "list".  Settings used:
//  contacts_endpoint, rpc_timeout_ms, rpc_retries, max_message_bytes,
//  time_zone (for the created/updated instants).  Returns the exit code: 0,
//  1 when the call failed (printed; an unknown client is "NOT_FOUND"), 64
//  bad usage (also an option given twice).
int cli_client_run (crmq_config_t *config, int argc, char **argv);

#endif

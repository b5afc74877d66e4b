/*  cli_client.h - `crmq client ...`: client cards from crmq-contacts,
    printed as a table, CSV or JSON (cli_output).

      crmq client show EXTERNAL_ID | --id N [--format F]
      crmq client list [--limit N] [--after ID] [--format F]
      crmq client add --name N [card options] [--actor A] [--format F]
      crmq client edit ID [card options] [--status active|archived]
                       [--no-tags] [--actor A] [--format F]
      crmq client search QUERY [--limit N] [--offset N] [--format F]
      crmq client dupes [--limit N] [--min-score S] [--format F]
      crmq client merge SURVIVOR_ID MERGED_ID [--actor A] [--format F]
      crmq client audit ID [--limit N] [--before ID] [--format F]

    Card options: --kind company|person, --external-id, --legal-name,
    --tax-id, --phone, --email, --category, --region, --country, --city,
    --address, --postal-code, --source, --tag T (repeatable), --since
    YYYY-MM-DD (relationship began), --manager EXTERNAL_ID, --attributes
    JSON.  `edit` sets exactly the options given (UpdateClient's `fields`):
    an empty value clears a field, --tag replaces the tags, --no-tags
    removes them.  `add` and `edit` print the card's fields.

    `show` prints the card's fields, then sections: contact persons, channels
    (the client's and its persons', with the person's name), the last
    interactions and the next planned contact.  As JSON it is one object:
    the card's fields (tags an array, attributes an object) and "persons"
    (each with its "channels"), "channels", "last_interactions",
    "next_planned" (an object or null) and "asked_id" (the id asked for when
    it was merged into this client, else null); CSV has the card's fields
    only.  A merged id says "crmq: client N was merged into M" on stderr.

    Listings page: when more follow, "more: crmq client ... --after ID"
    (list), "--offset N" (search) or "--before ID" (audit) goes to stderr,
    so stdout stays pure data.                                              */
#ifndef CLI_CLIENT_H_INCLUDED
#define CLI_CLIENT_H_INCLUDED

#include "crmq.h"
#include "cli_args.h"
#include "cli_output.h"

//  The client commands, for cli_command_run (group "client").
const cli_command_t *cli_client_commands (void);

//  Adds the columns of a client list to `output`: id, external_id, name,
//  city, country, phone, manager_external_id.  Returns 0 or -1.
int cli_client_columns (cli_output_t *output);

//  Adds `client` as a row of those columns.  Returns 0 or -1.
int cli_client_row (cli_output_t *output, const Crmq__Client *client);

//  Calls `method` with `request` (a method that answers a page of clients,
//  ListClientsReply: contacts.ListClients, contacts.SegmentClients) and
//  prints the page as `client list` does, then, when more follow, the hint
//  for the next page ("--after ID", cli_args_more).  Returns CLI_EXIT_OK or
//  CLI_EXIT_FAILURE (after the error line).
int cli_client_call_list (cli_context_t *context, const char *method,
                          const ProtobufCMessage *request);

#endif

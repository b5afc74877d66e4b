/*  cli_channel.h - `crmq channel add|remove`: phones, e-mails, addresses of
    a client or of one of its contact persons (crmq-contacts), and the rows
    other commands print channels with (client show).

      crmq channel add CLIENT_ID --type T --value V [--kind K] [--person ID]
                       [--primary] [--actor A] [--format F]
      crmq channel remove CHANNEL_ID [--actor A] [--format F]

    `add` prints the channel as stored (with its normalised value: E.164 for
    phones, lower case for e-mails); `remove` prints { id, status: "removed" }. */
#ifndef CLI_CHANNEL_H_INCLUDED
#define CLI_CHANNEL_H_INCLUDED

#include "crmq.h"
#include "cli_args.h"
#include "cli_output.h"

//  The channel commands, for cli_command_run (group "channel").
const cli_command_t *cli_channel_commands (void);

//  Adds the channel columns to `output`: id, client_id and person_id
//  (details), then, with `owner`, "person" (the owner's name, empty for the
//  client's own), type, kind, value, normalized, primary.  Returns 0 or -1.
int cli_channel_columns (cli_output_t *output, bool owner);

//  Adds `channel` as a row of those columns; `owner_name` fills the person
//  column when the columns have it (NULL: empty).  Returns 0 or -1.
int cli_channel_row (cli_output_t *output, const Crmq__Channel *channel, bool owner,
                     const char *owner_name);

#endif

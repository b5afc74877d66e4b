/*  cli_notify.h - `crmq notify ...`: alert targets and deliveries of
    crmq-notify (CRMQ_NOTIFY_ENDPOINT).

      crmq notify target add NAME --webhook URL | --email ADDRESS [--topic PREFIX] [--format F]
      crmq notify target list [--all] [--format F]
      crmq notify target remove NAME [--format F]
      crmq notify dead list [--limit N] [--before ID] [--format F]
      crmq notify dead retry ID... | --all [--format F]
      crmq notify deliveries [--state pending|delivered|dead] [--limit N] [--before ID]
          [--format F]

    A target gets the alerts whose topic starts with --topic ("" by
    default: every alert crmq-notify forwards).  `target remove`
    deactivates it and ends its pending deliveries as dead.  Deliveries are
    listed newest first, one row each, a page at a time (the next one told
    on stderr); `dead list` is `deliveries --state dead` with the columns of
    a dead letter (id, target, topic, seq, attempts, last error, time it
    died).  `dead retry` makes dead deliveries pending again (all or none
    of the ids given) and prints their ids.                                  */
#ifndef CLI_NOTIFY_H_INCLUDED
#define CLI_NOTIFY_H_INCLUDED

#include "crmq.h"
#include "cli_args.h"

//  The commands of group "notify target": add, list, remove.
const cli_command_t *cli_notify_target_commands (void);

//  The commands of group "notify dead": list, retry.
const cli_command_t *cli_notify_dead_commands (void);

//  The commands of group "notify": deliveries.
const cli_command_t *cli_notify_commands (void);

#endif

/*  cli_segment.h - `crmq segment ...`: static (list) and rule segments of
    clients (crmq-contacts).

      crmq segment save NAME --static | --rule [--category C]... [--region R]...
          [--source S]... [--tag T]... [--manager ID]... [--status S]...
          [--kind K]... [--country C]... [--since-from DATE] [--since-to DATE]
          [--description D] [--id ID] [--actor A] [--format F]
      crmq segment list [--format F]
      crmq segment clients ID [--limit N] [--after ID] [--format F]
      crmq segment add ID CLIENT_ID... [--actor A] [--format F]
      crmq segment remove ID CLIENT_ID... [--actor A] [--format F]
      crmq segment delete ID [--actor A] [--format F]

    A rule holds when every condition given holds; a repeated option holds
    when the client matches any of its values (tags: any of them).  --id
    saves over an existing segment.  Segments print as id, name, kind and
    the number of clients they hold now, with the description and the rule
    (a JSON object of the conditions; null for a static segment) in records,
    CSV and JSON.  `clients`
    prints a page of clients as `client list` does.                         */
#ifndef CLI_SEGMENT_H_INCLUDED
#define CLI_SEGMENT_H_INCLUDED

#include "crmq.h"
#include "cli_args.h"

//  The segment commands, for cli_command_run (group "segment").
const cli_command_t *cli_segment_commands (void);

#endif

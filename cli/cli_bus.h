/*  cli_bus.h - `crmq bus ...`: the event log's registered consumers in
    crmq-bus (CRMQ_BUS_ENDPOINT).

      crmq bus consumers [--format F]
      crmq bus drop-consumer NAME [--format F]

    `consumers` lists every durable consumer (bus.Consumers): its name, the
    topic prefix it reads, its position (the last seq it applied), its lag
    (the bus's published seq less the position: events published it has
    not applied yet) and when it last moved; the table's title gives the
    published seq and the oldest seq the log still keeps.  `drop-consumer`
    forgets one that will not come back (bus.DropConsumer), so that
    retention no longer keeps events for it; a name that is not registered
    exits 1.                                                                 */
#ifndef CLI_BUS_H_INCLUDED
#define CLI_BUS_H_INCLUDED

#include "crmq.h"
#include "cli_args.h"

//  The bus commands, for cli_command_run (group "bus").
const cli_command_t *cli_bus_commands (void);

#endif

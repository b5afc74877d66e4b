/*  cli_manager.h - `crmq manager list|absences`: sales managers and the
    periods they are away (crmq-contacts).

      crmq manager list [--format F]
      crmq manager absences MANAGER_ID [--away FROM,TO[,REASON]]...
                            [--actor A] [--format F]

    `absences` replaces all of a manager's absences with the ones given
    (none: clears them); FROM and TO are YYYY-MM-DD in the manager's zone,
    TO excluded; REASON is the rest (commas allowed).  Both print managers
    (`absences` the one changed, as stored) with their absences, a JSON
    array of { from_date, to_date, reason }.                                 */
#ifndef CLI_MANAGER_H_INCLUDED
#define CLI_MANAGER_H_INCLUDED

#include "crmq.h"
#include "cli_args.h"

//  The manager commands, for cli_command_run (group "manager").
const cli_command_t *cli_manager_commands (void);

#endif

/*  cli_contact_person.h - `crmq person add|edit`: contact persons of a
    client (crmq-contacts), and the rows other commands print them with
    (client show).

      crmq person add CLIENT_ID --name N [--position P] [--role R] [--note T]
                      [--actor A] [--format F]
      crmq person edit PERSON_ID [--client CLIENT_ID] [--name N] [--position P]
                       [--role R] [--note T] [--active | --inactive]
                       [--actor A] [--format F]

    `edit` sets exactly the options given (contacts.SavePerson's `fields`;
    "" clears a text), the person's other fields stay as stored, so a
    person who left (inactive, not on the card) is edited like any other;
    --inactive marks a person who left, --active brings one back.  With
    --client the service also checks the person is that client's.  Both
    print the person as saved.                                               */
#ifndef CLI_CONTACT_PERSON_H_INCLUDED
#define CLI_CONTACT_PERSON_H_INCLUDED

#include "crmq.h"
#include "cli_args.h"
#include "cli_output.h"

//  The person commands, for cli_command_run (group "person").
const cli_command_t *cli_contact_person_commands (void);

//  Adds the person columns to `output`: id, client_id (detail), name,
//  position, role, active, note.  Returns 0 or -1.
int cli_contact_person_columns (cli_output_t *output);

//  Adds `person` (not its channels) as a row of those columns.  Returns 0 or -1.
int cli_contact_person_row (cli_output_t *output, const Crmq__Person *person);

#endif

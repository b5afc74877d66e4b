/*  cli_interaction.h - `crmq interaction log|list|update`: the contact
    history of clients on every channel (crmq-contacts), and the rows other
    commands print interactions with (client show).

      crmq interaction log CLIENT_ID --channel C [--kind K] [--direction in|out]
          [--subject S] [--text T] [--outcome O] [--at TIME] [--end TIME]
          [--manager ID] [--person ID] [--deal REF] [--order REF] [--lead REF]
          [--attach NAME,URL,SIZE]... [--topic T] [--severity S] [--status S]
          [--actor A] [--format F]
      crmq interaction list (--client ID | --manager ID) [--channel C]...
          [--kind K]... [--from DATE] [--to DATE] [--limit N] [--before ID]
          [--format F]
      crmq interaction update ID [--status S] [--outcome O] [--end TIME]
          [--text T] [--actor A] [--format F]

    TIME is "YYYY-MM-DD HH:MM" (or with seconds, or a date) in
    CRMQ_TIME_ZONE; --at defaults to now.  An attachment is a reference:
    NAME up to the first comma, SIZE (bytes) after the last one when it is a
    number, the URL between.  `list` is newest first; when more follow,
    "more: crmq interaction list ... --before ID" goes to stderr.  Times are
    printed in CRMQ_TIME_ZONE; the list table leaves the text, references
    and attachments out (CSV and JSON have them, attachments as an array of
    { name, url, size_bytes }).                                              */
#ifndef CLI_INTERACTION_H_INCLUDED
#define CLI_INTERACTION_H_INCLUDED

#include "crmq.h"
#include "cli_args.h"
#include "cli_output.h"

//  The interaction commands, for cli_command_run (group "interaction").
const cli_command_t *cli_interaction_commands (void);

//  Adds the interaction columns to `output` (see above).  Returns 0 or -1.
int cli_interaction_columns (cli_output_t *output);

//  Adds `interaction` as a row of those columns, instants shown in
//  `time_zone`.  Returns 0 or -1.
int cli_interaction_row (cli_output_t *output, const Crmq__Interaction *interaction,
                         const char *time_zone);

#endif

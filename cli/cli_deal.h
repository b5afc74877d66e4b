/*  cli_deal.h - `crmq pipeline ...` and `crmq deal ...`: pipelines of deal
    stages and deals in crmq-sales (CRMQ_SALES_ENDPOINT).

      crmq pipeline list [--format F]
      crmq pipeline save NAME --stage 'NAME[,PROBABILITY[,ROTTING_DAYS[,OUTCOME[,ID]]]]'...
          [--id ID] [--default] [--actor A] [--format F]
      crmq deal add --title T --client ID [--manager ID] [--amount X] [--currency C]
          [--close-date DATE] [--pipeline ID] [--stage ID] [--request-key K] [--actor A] [--format F]
      crmq deal edit ID [--title T] [--client ID] [--manager ID | --no-manager]
          [--amount X [--currency C]] [--close-date DATE] [--lost-reason R] [--version N] ...
      crmq deal move ID --stage ID [--pipeline ID] [--version N] [--actor A] [--format F]
      crmq deal won ID [--stage ID] [--version N] [--actor A] [--format F]
      crmq deal lost ID --reason R [--stage ID] [--version N] [--actor A] [--format F]
      crmq deal link ID ORDER_NUMBER [--version N] [--actor A] [--format F]
      crmq deal unlink ID ORDER_NUMBER [--version N] [--actor A] [--format F]
      crmq deal show ID [--format F]
      crmq deal list [--pipeline ID] [--stage ID] [--client ID] [--manager ID]
          [--status open|won|lost] [--rotting] [--limit N] [--after ID] [--format F]

    A stage is "NAME,PROBABILITY,ROTTING_DAYS,OUTCOME,ID" with all but the
    name optional: probability a fraction (0.25; default 0, 1 for won),
    rotting days (default 0: never rots), outcome open (default), won or
    lost, and the id of an existing stage to rename it (a stage named as an
    existing one is that one).  `pipeline save` prints the pipeline's
    stages as `pipeline list` does (one row a stage).  Deals print as a
    record (add, edit, move, won, lost), with their stage history and
    linked orders (show, link, unlink; JSON: the record's object with
    "history" and "orders" arrays), or one row a deal (list; a page, the
    next one told on stderr).  Amounts are exact decimals (--amount
    1500.50), in --currency or the base currency.  `deal add` makes up a
    request key (unless --request-key gives one), so the client's resends
    never create a twin.                                                     */
#ifndef CLI_DEAL_H_INCLUDED
#define CLI_DEAL_H_INCLUDED

#include "crmq.h"
#include "cli_args.h"

//  The pipeline commands, for cli_command_run (group "pipeline").
const cli_command_t *cli_pipeline_commands (void);

//  The deal commands, for cli_command_run (group "deal").
const cli_command_t *cli_deal_commands (void);

//  Self-test of the stage and amount readers (no service needed).
void cli_deal_test (bool verbose);

#endif

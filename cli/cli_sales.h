/*  cli_sales.h - `crmq sales unresolved`: the ERP documents crmq-sales keeps
    while the document they refer to has not arrived (a shipment before its
    order, a payment before its invoice, an order change before the order).

      crmq sales unresolved [--limit N] [--format F]

    Prints kind, the document's number, its event id, what it waits for (an
    order or an invoice, by number) and when it was received, oldest first;
    the last line of a table says how many wait in all.                      */
#ifndef CLI_SALES_H_INCLUDED
#define CLI_SALES_H_INCLUDED

#include "crmq.h"
#include "cli_args.h"

//  The sales commands, for cli_command_run (group "sales").
const cli_command_t *cli_sales_commands (void);

#endif

/*  cli_money.h - the line amount crmq computes, computed here the same way
    (for dry-run totals and checks), and the unit price that reproduces an
    amount an export gives instead of a price.

    A line's amount is round_half_up (quantity x unit_price x (1 - discount), 2),
    exactly, in integer arithmetic (no floating point).                      */
#ifndef CLI_MONEY_H_INCLUDED
#define CLI_MONEY_H_INCLUDED

#include "cli_field.h"

//  The amount of a line in cents: round_half_up (quantity x unit_price x
//  (1 - discount), 2), with quantity and unit price >= 0 and 0 <= discount
//  <= 1 (9 decimals each).  Returns 0 with *cents set, or -1 when an input
//  is out of those bounds or quantity x unit_price is above 10^20.
int cli_money_line_cents (cli_number_t quantity, cli_number_t unit_price, cli_number_t discount,
                          int64_t *cents);

//  `amount` >= 0 rounded half-up to cents.  Returns 0 or -1 (negative, or
//  too large for int64 cents).
int cli_money_cents (cli_number_t amount, int64_t *cents);

//  The unit price (9 decimals) of a line of `quantity` (> 0) at `discount`
//  (0 <= discount < 1) whose amount the export gives as `amount` (>= 0,
//  any number of decimals): the price nearest to amount / (quantity x
//  (1 - discount)), moved by as few nanos as it takes for
//  cli_money_line_cents to give round_half_up (amount, 2).  Returns 0 with
//  *unit_price set; 1 with the nearest price set when no price of 9
//  decimals gives that cent amount (a quantity so large that one nano of
//  price moves the amount by more than a cent); -1 when the inputs are out
//  of bounds or too large (amount above 10^11).
int cli_money_unit_price (cli_number_t quantity, cli_number_t discount, cli_number_t amount,
                          cli_number_t *unit_price);

//  unit_price x (1 - discount), rounded half-up at the 9th decimal, into
//  *price (unit_price >= 0 below 10^12, 0 <= discount <= 1).  Returns 0 or
//  -1 when out of those bounds.
int cli_money_discounted (cli_number_t unit_price, cli_number_t discount, cli_number_t *price);

//  Formats cents as "1234.56" ("-0.05") into buf (32 bytes suffice).
//  Returns buf.
char *cli_money_cents_text (int64_t cents, char *buf, size_t size);

//  Self-test.
void cli_money_test (bool verbose);

#endif

/*  erp_event_check.h - checks one ERP event before it reaches the database:
    required fields, ids (no control characters), text lengths and encoding,
    instants, quantities, prices and discounts within bounds, currencies.
    References (client, product...) are checked when applied.                */
#ifndef ERP_EVENT_CHECK_H_INCLUDED
#define ERP_EVENT_CHECK_H_INCLUDED

#include "crmq.h"

#define ERP_MAX_EVENT_ID     200       //  bytes
#define ERP_MAX_ID           100       //  bytes of any other external id
#define ERP_MAX_NAME         300       //  bytes
#define ERP_MAX_ORDER_LINES  10000
#define ERP_MAX_QUANTITY     1000000000LL       //  units of a line, excluded
#define ERP_MAX_PRICE        1000000000000LL    //  of a unit price or cost, excluded
#define ERP_MAX_RATE         1000000LL          //  of a currency rate, excluded
//  of a line's quantity x unit price (x rate, in the base currency), excluded:
//  what reports can sum over millions of lines without overflow
#define ERP_MAX_LINE_AMOUNT  1000000000000000.0L
//  instants an event may carry: 1900-01-01 up to 2200-01-01 UTC, microseconds
#define ERP_MIN_TIME_US      (-2208988800LL * 1000000)
#define ERP_MAX_TIME_US      (7258118400LL * 1000000)

//  What is wrong with an event: a status code, the offending field
//  ("events[3].order_placed.lines[0].quantity") and a message.
typedef struct {
    int code;
    char field [192];
    char message [256];
} erp_problem_t;

//  Fills `problem` with a code, a field and a printf-formatted message (cut
//  to fit).  Returns `code`.
int erp_problem_set (erp_problem_t *problem, int code, const char *field, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

//  Checks events[index] of a batch.  Returns true when it may be applied;
//  otherwise false with `problem` filled.  base_currency: ISO code an
//  order's currency must equal (an empty order currency means the base).
bool erp_event_check (const Crmq__ErpEvent *event, size_t index, const char *base_currency,
                      erp_problem_t *problem);

//  Self-test.
void erp_event_check_test (bool verbose);

#endif

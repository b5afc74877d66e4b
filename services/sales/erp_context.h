/*  erp_context.h - what every ERP event store needs from the service: the
    database connection (inside the caller's transaction), the base currency
    of reports and the company's time zone, whose days the rollups count.    */
#ifndef ERP_CONTEXT_H_INCLUDED
#define ERP_CONTEXT_H_INCLUDED

#include "crmq.h"

typedef struct {
    crmq_pg_t *pg;                  //  not owned
    const char *base_currency;      //  ISO 4217, e.g. "USD"
    const char *time_zone;          //  IANA name, e.g. "Europe/Moscow"
} erp_context_t;

//  A document's currency and rate as SQL text: `currency` (an empty one is
//  the base currency) into code (4 bytes), `rate` (unset = 1) into
//  rate_text (rate_size bytes, 48 is enough).
void erp_context_currency (const erp_context_t *self, const char *currency,
                           const Crmq__Decimal *rate, char *code, char *rate_text,
                           size_t rate_size);

#endif

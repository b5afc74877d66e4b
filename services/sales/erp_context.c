/*  erp_context.c - see erp_context.h.  */
#include "erp_context.h"

void
erp_context_currency (const erp_context_t *self, const char *currency, const Crmq__Decimal *rate,
                      char *code, char *rate_text, size_t rate_size)
{
    snprintf (code, 4, "%s", *currency? currency: self->base_currency);
    if (rate)
        crmq_decimal_format (rate->units, rate->nanos, rate_text, rate_size);
    else
        snprintf (rate_text, rate_size, "1");
}

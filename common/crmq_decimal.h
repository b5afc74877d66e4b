/*  crmq_decimal.h - exact decimals and money on the wire and as text.

    crmq.Money and crmq.Decimal hold units + nanos / 1e9 (same sign).  Text
    is what PostgreSQL's numeric reads and writes: "-1234.5", "0.000000001".
    No floating point anywhere.                                              */
#ifndef CRMQ_DECIMAL_H_INCLUDED
#define CRMQ_DECIMAL_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

//  Parses decimal text ("12", "-0.05", "9.80000019", "+3.") into units and
//  nanos.  More than 9 fractional digits are rounded half-up (away from zero)
//  at the 9th.  Returns 0, or -1 for anything that is not a decimal number or
//  does not fit int64 units.  No exponents, no thousands separators.
int crmq_decimal_parse (const char *text, int64_t *units, int32_t *nanos);

//  As crmq_decimal_parse, then rounds half-up (away from zero) to `scale`
//  fractional digits (0..9): ("9.80000019", 2) -> 9.80, ("0.125", 2) -> 0.13.
int crmq_decimal_parse_round (const char *text, int scale, int64_t *units, int32_t *nanos);

//  Writes units + nanos as shortest exact text ("1265793.29", "-0.5", "0")
//  into buf.  Returns the length, or -1 if `size` is too small (41 always
//  suffices) or units and nanos disagree in sign or |nanos| >= 1e9.
int crmq_decimal_format (int64_t units, int32_t nanos, char *buf, size_t size);

//  As crmq_decimal_format with exactly `scale` fractional digits, rounded
//  half-up, and a "," between groups of three integer digits when `grouped`
//  ("1,265,793.29").  For human output.
int crmq_decimal_format_fixed (int64_t units, int32_t nanos, int scale, bool grouped,
                               char *buf, size_t size);

//  Self-test.
void crmq_decimal_test (bool verbose);

#endif

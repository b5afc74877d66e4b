/*  crmq_decimal.c - exact decimals and money: units + nanos / 1e9.

    Integer arithmetic only.  Magnitudes are carried as uint64 so that the
    whole int64 range, INT64_MIN included, round-trips; rounding looks at the
    digit text itself, so "0.1249999999999" rounds to 0.12, never through an
    intermediate 0.125.                                                      */
#include "crmq.h"

#define S_NANOS 1000000000u

static const uint32_t s_pow10 [] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000
};

//  --------------------------------------------------------------------------
//  Parses `text`, rounding half-up (away from zero) to `scale` fractional
//  digits.  Returns 0 or -1.

static int
s_parse (const char *text, int scale, int64_t *units, int32_t *nanos)
{
    if (!text || scale < 0 || scale > 9 || !units || !nanos)
        return -1;
    const char *p = text;
    bool negative = false;
    if (*p == '+' || *p == '-')
        negative = *p++ == '-';

    uint64_t whole = 0;             //  magnitude of the integer part
    size_t digits = 0;              //  all digits seen, both parts
    bool overflow = false;
    while (*p >= '0' && *p <= '9') {
        if (__builtin_mul_overflow (whole, 10, &whole)
        ||  __builtin_add_overflow (whole, (uint64_t) (*p - '0'), &whole))
            overflow = true;
        p++;
        digits++;
    }
    uint32_t fraction = 0;          //  in units of 10^-scale
    int kept = 0;                   //  fraction digits kept, up to scale
    bool round_up = false;
    if (*p == '.') {
        p++;
        bool first_dropped = true;
        while (*p >= '0' && *p <= '9') {
            if (kept < scale) {
                fraction = fraction * 10 + (uint32_t) (*p - '0');
                kept++;
            }
            else
            if (first_dropped) {
                //  Only the first dropped digit decides: the rest cannot
                //  bring a remainder below one half up to it, or one at or
                //  above it down
                round_up = *p >= '5';
                first_dropped = false;
            }
            p++;
            digits++;
        }
    }
    if (digits == 0 || *p || overflow)
        return -1;
    fraction *= s_pow10 [scale - kept];
    if (round_up && ++fraction == s_pow10 [scale]) {
        fraction = 0;
        if (__builtin_add_overflow (whole, 1, &whole))
            return -1;
    }
    uint64_t limit = negative? (uint64_t) INT64_MAX + 1: (uint64_t) INT64_MAX;
    if (whole > limit)
        return -1;
    uint32_t frac_nanos = fraction * s_pow10 [9 - scale];
    if (negative) {
        *units = whole == (uint64_t) INT64_MAX + 1? INT64_MIN: -(int64_t) whole;
        *nanos = -(int32_t) frac_nanos;
    }
    else {
        *units = (int64_t) whole;
        *nanos = (int32_t) frac_nanos;
    }
    return 0;
}

int
crmq_decimal_parse (const char *text, int64_t *units, int32_t *nanos)
{
    return s_parse (text, 9, units, nanos);
}

int
crmq_decimal_parse_round (const char *text, int scale, int64_t *units, int32_t *nanos)
{
    return s_parse (text, scale, units, nanos);
}

//  --------------------------------------------------------------------------
//  Splits units + nanos into sign and magnitudes; false when they disagree
//  in sign or |nanos| >= 1e9.

static bool
s_split (int64_t units, int32_t nanos, bool *negative, uint64_t *whole, uint32_t *fraction)
{
    if (nanos <= -(int32_t) S_NANOS || nanos >= (int32_t) S_NANOS)
        return false;
    if ((units > 0 && nanos < 0) || (units < 0 && nanos > 0))
        return false;
    *negative = units < 0 || nanos < 0;
    *whole = units < 0? (uint64_t) 0 - (uint64_t) units: (uint64_t) units;
    *fraction = (uint32_t) (nanos < 0? -nanos: nanos);
    return true;
}

//  Writes `value` in decimal, with "," every three digits when grouped.
static size_t
s_write_whole (char *out, uint64_t value, bool grouped)
{
    char digits [24];
    size_t count = 0;
    do {
        digits [count++] = (char) ('0' + value % 10);
        value /= 10;
    } while (value);
    size_t len = 0;
    while (count) {
        out [len++] = digits [--count];
        if (grouped && count && count % 3 == 0)
            out [len++] = ',';
    }
    return len;
}

//  Copies `len` bytes of text into buf; -1 when it does not fit.
static int
s_deliver (const char *text, size_t len, char *buf, size_t size)
{
    if (!buf || len + 1 > size)
        return -1;
    memcpy (buf, text, len);
    buf [len] = 0;
    return (int) len;
}

int
crmq_decimal_format (int64_t units, int32_t nanos, char *buf, size_t size)
{
    bool negative;
    uint64_t whole;
    uint32_t fraction;
    if (!s_split (units, nanos, &negative, &whole, &fraction))
        return -1;
    char text [48];
    size_t len = 0;
    if (negative)
        text [len++] = '-';
    len += s_write_whole (text + len, whole, false);
    if (fraction) {
        int width = 9;
        while (fraction % 10 == 0) {
            fraction /= 10;
            width--;
        }
        len += (size_t) snprintf (text + len, sizeof text - len, ".%0*u", width, fraction);
    }
    return s_deliver (text, len, buf, size);
}

int
crmq_decimal_format_fixed (int64_t units, int32_t nanos, int scale, bool grouped,
                           char *buf, size_t size)
{
    bool negative;
    uint64_t whole;
    uint32_t fraction;
    if (scale < 0 || scale > 9 || !s_split (units, nanos, &negative, &whole, &fraction))
        return -1;
    //  Round half-up at `scale`; the magnitude is at most 2^63, so the carry
    //  cannot overflow uint64
    uint32_t step = s_pow10 [9 - scale];
    uint32_t rest = fraction % step;
    fraction -= rest;
    if (rest >= step - rest)
        fraction += step;
    if (fraction == S_NANOS) {
        fraction = 0;
        whole++;
    }
    if (whole == 0 && fraction == 0)
        negative = false;           //  no "-0.00"
    char text [64];
    size_t len = 0;
    if (negative)
        text [len++] = '-';
    len += s_write_whole (text + len, whole, grouped);
    if (scale > 0)
        len += (size_t) snprintf (text + len, sizeof text - len, ".%0*u", scale, fraction / step);
    return s_deliver (text, len, buf, size);
}

//  --------------------------------------------------------------------------
//  Self-test

//  Parses at `scale` and expects units/nanos, or failure when expect_ok is
//  false.
static void
s_check_parse (const char *text, int scale, bool expect_ok, int64_t units, int32_t nanos)
{
    int64_t got_units = 12345;
    int32_t got_nanos = 678;
    int rc = crmq_decimal_parse_round (text, scale, &got_units, &got_nanos);
    if (expect_ok != (rc == 0) || (expect_ok && (got_units != units || got_nanos != nanos))) {
        printf ("\ncrmq_decimal_parse_round (\"%s\", %d): rc=%d units=%lld nanos=%d\n",
                text? text: "(null)", scale, rc, (long long) got_units, got_nanos);
        assert (false);
    }
}

static void
s_check_format (int64_t units, int32_t nanos, const char *expect)
{
    char buf [48];
    int rc = crmq_decimal_format (units, nanos, buf, sizeof buf);
    if (expect? rc != (int) strlen (expect) || strcmp (buf, expect): rc != -1) {
        printf ("\ncrmq_decimal_format (%lld, %d): %d \"%s\", expected \"%s\"\n",
                (long long) units, nanos, rc, rc >= 0? buf: "", expect? expect: "-1");
        assert (false);
    }
}

static void
s_check_fixed (int64_t units, int32_t nanos, int scale, bool grouped, const char *expect)
{
    char buf [48];
    int rc = crmq_decimal_format_fixed (units, nanos, scale, grouped, buf, sizeof buf);
    if (expect? rc != (int) strlen (expect) || strcmp (buf, expect): rc != -1) {
        printf ("\ncrmq_decimal_format_fixed (%lld, %d, %d, %d): %d \"%s\", expected \"%s\"\n",
                (long long) units, nanos, scale, grouped, rc, rc >= 0? buf: "", expect? expect: "-1");
        assert (false);
    }
}

void
crmq_decimal_test (bool verbose)
{
    printf (" * crmq_decimal: ");

    //  Plain numbers
    s_check_parse ("0", 9, true, 0, 0);
    s_check_parse ("12", 9, true, 12, 0);
    s_check_parse ("-0.05", 9, true, 0, -50000000);
    s_check_parse ("9.80000019", 9, true, 9, 800000190);
    s_check_parse ("+3.", 9, true, 3, 0);
    s_check_parse (".5", 9, true, 0, 500000000);
    s_check_parse ("-.5", 9, true, 0, -500000000);
    s_check_parse ("-1234.5", 9, true, -1234, -500000000);
    s_check_parse ("0.000000001", 9, true, 0, 1);
    s_check_parse ("-0.000000001", 9, true, 0, -1);
    s_check_parse ("-0", 9, true, 0, 0);
    s_check_parse ("-0.0", 9, true, 0, 0);
    s_check_parse ("007.100", 9, true, 7, 100000000);
    s_check_parse ("1265793.29", 9, true, 1265793, 290000000);

    //  More than 9 fractional digits: half-up, away from zero, at the 9th
    s_check_parse ("0.0000000005", 9, true, 0, 1);
    s_check_parse ("0.0000000004999999999", 9, true, 0, 0);
    s_check_parse ("-0.0000000005", 9, true, 0, -1);
    s_check_parse ("-0.0000000004", 9, true, 0, 0);
    s_check_parse ("0.9999999995", 9, true, 1, 0);
    s_check_parse ("-0.9999999995", 9, true, -1, 0);
    s_check_parse ("1.12345678949999999999999999", 9, true, 1, 123456789);

    //  Rounding at a scale
    s_check_parse ("9.80000019", 2, true, 9, 800000000);
    s_check_parse ("0.125", 2, true, 0, 130000000);
    s_check_parse ("0.124", 2, true, 0, 120000000);
    s_check_parse ("-0.125", 2, true, 0, -130000000);
    s_check_parse ("-0.124", 2, true, 0, -120000000);
    s_check_parse ("0.1249999999999", 2, true, 0, 120000000);   //  no double rounding
    s_check_parse ("0.005", 2, true, 0, 10000000);
    s_check_parse ("-0.004", 2, true, 0, 0);
    s_check_parse ("2.5", 0, true, 3, 0);
    s_check_parse ("-2.5", 0, true, -3, 0);
    s_check_parse ("2.4999", 0, true, 2, 0);
    s_check_parse ("99.995", 2, true, 100, 0);
    s_check_parse ("-99.995", 2, true, -100, 0);
    s_check_parse ("1.5", 9, true, 1, 500000000);
    s_check_parse ("1", 2, true, 1, 0);
    s_check_parse ("1.2", 3, true, 1, 200000000);
    s_check_parse ("1.2", -1, false, 0, 0);
    s_check_parse ("1.2", 10, false, 0, 0);

    //  The int64 range
    s_check_parse ("9223372036854775807", 9, true, INT64_MAX, 0);
    s_check_parse ("9223372036854775807.999999999", 9, true, INT64_MAX, 999999999);
    s_check_parse ("9223372036854775808", 9, false, 0, 0);
    s_check_parse ("9223372036854775807.9999999995", 9, false, 0, 0);    //  rounds past
    s_check_parse ("9223372036854775807.5", 0, false, 0, 0);
    s_check_parse ("-9223372036854775808", 9, true, INT64_MIN, 0);
    s_check_parse ("-9223372036854775808.5", 9, true, INT64_MIN, -500000000);
    s_check_parse ("-9223372036854775809", 9, false, 0, 0);
    s_check_parse ("18446744073709551615", 9, false, 0, 0);
    s_check_parse ("18446744073709551616", 9, false, 0, 0);
    s_check_parse ("99999999999999999999999999999999999999999", 9, false, 0, 0);
    s_check_parse ("0000000000000000000000000000000000000000001.5", 9, true, 1, 500000000);
    char long_fraction [300] = "0.";
    for (int index = 0; index < 250; index++)
        strcat (long_fraction, "3");
    s_check_parse (long_fraction, 9, true, 0, 333333333);
    long_fraction [2] = '6';
    s_check_parse (long_fraction, 9, true, 0, 633333333);

    //  Garbage
    const char *garbage [] = {
        "", "-", "+", ".", "-.", "+.", "1.2.3", " 1", "1 ", "1e5", "1E5", "1e-5", "0x10",
        "1,000", "1_000", "--1", "+-1", "-+1", "inf", "-inf", "NaN", "nan", "1..2", "1.-2",
        "12a", "a12", "١٢", "1\n", "\t1", "1.2 ", "１", NULL
    };
    for (int index = 0; garbage [index]; index++)
        s_check_parse (garbage [index], 9, false, 0, 0);
    s_check_parse (NULL, 9, false, 0, 0);

    //  Shortest exact text
    s_check_format (0, 0, "0");
    s_check_format (12, 0, "12");
    s_check_format (-1234, -500000000, "-1234.5");
    s_check_format (0, -500000000, "-0.5");
    s_check_format (0, 1, "0.000000001");
    s_check_format (1265793, 290000000, "1265793.29");
    s_check_format (INT64_MAX, 999999999, "9223372036854775807.999999999");
    s_check_format (INT64_MIN, -999999999, "-9223372036854775808.999999999");
    s_check_format (INT64_MIN, 0, "-9223372036854775808");
    s_check_format (1, -1, NULL);
    s_check_format (-1, 1, NULL);
    s_check_format (0, 1000000000, NULL);
    s_check_format (0, -1000000000, NULL);
    s_check_format (0, INT32_MIN, NULL);

    //  Sizes: the exact length plus the NUL fits, one less does not
    char buf [48];
    assert (crmq_decimal_format (-1234, -500000000, buf, 8) == 7);
    assert (crmq_decimal_format (-1234, -500000000, buf, 7) == -1);
    assert (crmq_decimal_format (0, 0, buf, 0) == -1);
    assert (crmq_decimal_format_fixed (INT64_MIN, -999999999, 9, true, buf, 41) == 36);

    //  Round trip of assorted values through text
    const char *round_trip [] = {
        "0", "1", "-1", "0.1", "-0.000000001", "123456789.123456789", "-98765.4321",
        "9223372036854775807.999999999", "-9223372036854775808.999999999", NULL
    };
    for (int index = 0; round_trip [index]; index++) {
        int64_t units;
        int32_t nanos;
        int rc = crmq_decimal_parse (round_trip [index], &units, &nanos);
        assert (rc == 0);
        rc = crmq_decimal_format (units, nanos, buf, sizeof buf);
        assert (rc > 0);
        assert (streq (buf, round_trip [index]));
    }

    //  Fixed scale for people
    s_check_fixed (1265793, 290000000, 2, true, "1,265,793.29");
    s_check_fixed (1265793, 290000000, 2, false, "1265793.29");
    s_check_fixed (1265793, 295000000, 2, true, "1,265,793.30");
    s_check_fixed (0, 5000000, 2, false, "0.01");
    s_check_fixed (0, -5000000, 2, false, "-0.01");
    s_check_fixed (0, -4999999, 2, false, "0.00");
    s_check_fixed (0, 0, 0, false, "0");
    s_check_fixed (999, 500000000, 0, true, "1,000");
    s_check_fixed (-999, -500000000, 0, true, "-1,000");
    s_check_fixed (-999, -499999999, 0, true, "-999");
    s_check_fixed (100, 0, 3, true, "100.000");
    s_check_fixed (1000, 0, 1, true, "1,000.0");
    s_check_fixed (123, 456789012, 9, false, "123.456789012");
    s_check_fixed (INT64_MAX, 999999999, 0, true, "9,223,372,036,854,775,808");
    s_check_fixed (INT64_MIN, -999999999, 2, false, "-9223372036854775809.00");
    s_check_fixed (1, 0, 10, false, NULL);
    s_check_fixed (1, 0, -1, false, NULL);
    s_check_fixed (1, -1, 2, false, NULL);
    assert (crmq_decimal_format_fixed (1000, 0, 2, true, buf, 9) == 8);
    assert (crmq_decimal_format_fixed (1000, 0, 2, true, buf, 8) == -1);

    if (verbose)
        printf ("(parse, round, format checked) ");
    printf ("OK\n");
}

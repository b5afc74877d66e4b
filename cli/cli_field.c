/*  cli_field.c - field text to values; see cli_field.h.  */
#include "cli_field.h"
#include "crmq.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define S_NANOS 1000000000

//  Length of the space at `text` (ASCII space or tab, U+00A0, U+202F), 0
//  when there is none.
static size_t
s_space (const char *text)
{
    if (*text == ' ' || *text == '\t')
        return 1;
    if (memcmp (text, "\xC2\xA0", 2) == 0)
        return 2;
    if (memcmp (text, "\xE2\x80\xAF", 3) == 0)
        return 3;
    return 0;
}

int
cli_field_number (const char *text, const cli_number_style_t *style, cli_number_t *value)
{
    assert (value);
    if (!text)
        return -1;
    char decimal = style && style->decimal? style->decimal: '.';
    int scale = style && style->scale? style->scale: 9;
    const char *thousands = style && style->thousands? style->thousands: "";
    size_t separator = strlen (thousands);
    size_t length = strlen (text);
    if (length > CLI_FIELD_MAX_NUMBER || (decimal != '.' && decimal != ',')
    ||  scale < 1 || scale > 9)
        return -1;

    //  The number without spaces around it
    const char *p = text, *end = text + length;
    for (size_t skip; p < end && (skip = s_space (p)); p += skip)
        ;
    while (end > p) {
        if (end [-1] == ' ' || end [-1] == '\t')
            end--;
        else
        if (end - p >= 2 && memcmp (end - 2, "\xC2\xA0", 2) == 0)
            end -= 2;
        else
        if (end - p >= 3 && memcmp (end - 3, "\xE2\x80\xAF", 3) == 0)
            end -= 3;
        else
            break;
    }
    //  Copied as crmq_decimal_parse reads it: sign, digits, '.', digits
    char clean [CLI_FIELD_MAX_NUMBER + 1];
    size_t out = 0;
    if (p < end && (*p == '-' || *p == '+'))
        clean [out++] = *p++;
    size_t group = 0;               //  digits since the last thousands separator
    bool grouped = false;           //  a thousands separator was seen
    bool integer_digits = false;
    while (p < end && *p >= '0' && *p <= '9') {
        clean [out++] = *p++;
        group++;
        integer_digits = true;
        if (separator && (size_t) (end - p) > separator
        &&  memcmp (p, thousands, separator) == 0 && p [separator] >= '0' && p [separator] <= '9') {
            //  groups: the first of 1 to 3 digits, the others of 3
            if ((grouped && group != 3) || (!grouped && group > 3))
                return -1;
            grouped = true;
            group = 0;
            p += separator;
        }
    }
    if (grouped && group != 3)
        return -1;
    if (p < end && *p == decimal) {
        clean [out++] = '.';
        p++;
        bool fraction_digits = false;
        while (p < end && *p >= '0' && *p <= '9') {
            clean [out++] = *p++;
            fraction_digits = true;
        }
        if (!fraction_digits && !integer_digits)
            return -1;
    }
    if (p != end)
        return -1;
    clean [out] = 0;
    return crmq_decimal_parse_round (clean, scale, &value->units, &value->nanos);
}

bool
cli_number_is_zero (cli_number_t value)
{
    return value.units == 0 && value.nanos == 0;
}

bool
cli_number_is_negative (cli_number_t value)
{
    return value.units < 0 || value.nanos < 0;
}

cli_number_t
cli_number_negate (cli_number_t value)
{
    assert (value.units != INT64_MIN);
    return (cli_number_t) { -value.units, -value.nanos };
}

//  value in nanos, exactly.
static __int128
s_nanos (cli_number_t value)
{
    return (__int128) value.units * S_NANOS + value.nanos;
}

//  nanos back to a number.  Returns 0, or -1 when it does not fit.
static int
s_from_nanos (__int128 nanos, cli_number_t *value)
{
    __int128 units = nanos / S_NANOS;
    if (units > INT64_MAX || units < INT64_MIN)
        return -1;
    value->units = (int64_t) units;
    value->nanos = (int32_t) (nanos % S_NANOS);
    return 0;
}

int
cli_number_compare (cli_number_t a, cli_number_t b)
{
    __int128 x = s_nanos (a), y = s_nanos (b);
    return x < y? -1: x > y? 1: 0;
}

int
cli_number_subtract (cli_number_t a, cli_number_t b, cli_number_t *difference)
{
    return s_from_nanos (s_nanos (a) - s_nanos (b), difference);
}

cli_number_t
cli_number_percent (cli_number_t value)
{
    __int128 nanos = s_nanos (value);
    __int128 magnitude = nanos < 0? -nanos: nanos;
    magnitude = (magnitude + 50) / 100;
    cli_number_t result;
    s_from_nanos (nanos < 0? -magnitude: magnitude, &result);   //  smaller: fits
    return result;
}

int
cli_field_date (const char *text, const char *format, const char *time_zone, int64_t *us)
{
    assert (us);
    if (!text)
        return -1;
    size_t length;
    const char *start = cli_field_trim (text, &length);
    char trimmed [128];
    if (length == 0 || length >= sizeof trimmed)
        return -1;
    memcpy (trimmed, start, length);
    trimmed [length] = 0;
    if (!format || !*format)
        return crmq_time_parse (trimmed, time_zone, us) == 0? 0: -1;

    struct tm tm;
    memset (&tm, 0, sizeof tm);
    tm.tm_mday = 1;
    const char *rest = strptime (trimmed, format, &tm);
    if (!rest || *rest)
        return -1;
    int year = tm.tm_year + 1900;
    if (year < 1 || year > 9999)
        return -1;
    char iso [64];
    snprintf (iso, sizeof iso, "%04d-%02d-%02d %02d:%02d:%02d", year, tm.tm_mon + 1,
              tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return crmq_time_parse (iso, time_zone, us) == 0? 0: -1;
}

char *
cli_field_integral_id (const char *text, char *buf, size_t size)
{
    assert (text && buf);
    size_t digits = strspn (text, "0123456789");
    bool integral = digits > 0 && text [digits] == '.' && text [digits + 1] == '0'
                 && text [digits + 1 + strspn (text + digits + 1, "0")] == 0;
    size_t length = integral? digits: strlen (text);
    if (length >= size)
        return NULL;
    memcpy (buf, text, length);
    buf [length] = 0;
    return buf;
}

const char *
cli_field_trim (const char *text, size_t *length)
{
    assert (text && length);
    while (*text == ' ' || *text == '\t')
        text++;
    size_t size = strlen (text);
    while (size > 0 && (text [size - 1] == ' ' || text [size - 1] == '\t'))
        size--;
    *length = size;
    return text;
}

//  --------------------------------------------------------------------------
//  Self-test

static void
s_expect_number (const char *text, const cli_number_style_t *style, int64_t units, int32_t nanos)
{
    cli_number_t value = { 0, 0 };
    int rc = cli_field_number (text, style, &value);
    if (rc != 0 || value.units != units || value.nanos != nanos)
        printf ("\n\"%s\": rc %d, %lld %d\n", text, rc, (long long) value.units, value.nanos);
    assert (rc == 0 && value.units == units && value.nanos == nanos);
}

static void
s_expect_bad_number (const char *text, const cli_number_style_t *style)
{
    cli_number_t value;
    if (cli_field_number (text, style, &value) == 0)
        printf ("\n\"%s\" read as a number\n", text);
    assert (cli_field_number (text, style, &value) == -1);
}

void
cli_field_test (bool verbose)
{
    printf (" * cli_field: ");
    cli_number_style_t russian = { .decimal = ',', .thousands = "\xC2\xA0" };
    cli_number_style_t spaced = { .decimal = ',', .thousands = " " };
    cli_number_style_t english = { .decimal = '.', .thousands = "," };
    s_expect_number ("12", NULL, 12, 0);
    s_expect_number (" -0.05 ", NULL, 0, -50000000);
    s_expect_number ("9.80000019", NULL, 9, 800000190);
    s_expect_number ("1.0000000005", NULL, 1, 1);
    s_expect_number ("+3.", NULL, 3, 0);
    s_expect_number (".5", NULL, 0, 500000000);
    s_expect_number ("1\xC2\xA0" "234\xC2\xA0" "567,89", &russian, 1234567, 890000000);
    s_expect_number ("\xC2\xA0" "12,5\xE2\x80\xAF", &russian, 12, 500000000);
    s_expect_number ("1 234,5", &spaced, 1234, 500000000);
    s_expect_number ("-1,234,567.25", &english, -1234567, -250000000);
    s_expect_number ("1234.25", &english, 1234, 250000000);
    cli_number_style_t cents = { .scale = 2 };
    s_expect_number ("9.80000019", &cents, 9, 800000000);
    s_expect_number ("0.125", &cents, 0, 130000000);
    s_expect_number ("0.1249999999999", &cents, 0, 120000000);
    s_expect_number ("-0.125", &cents, 0, -130000000);
    s_expect_bad_number ("", NULL);
    s_expect_bad_number ("  ", NULL);
    s_expect_bad_number ("-", NULL);
    s_expect_bad_number (".", NULL);
    s_expect_bad_number ("1e5", NULL);
    s_expect_bad_number ("12,5", NULL);             //  a comma where a point belongs
    s_expect_bad_number ("12.5", &russian);         //  and the other way
    s_expect_bad_number ("1,23.5", &english);       //  a group of two
    s_expect_bad_number ("1234,567.5", &english);   //  a first group of four
    s_expect_bad_number ("1 2", NULL);
    s_expect_bad_number ("99999999999999999999", NULL);
    s_expect_bad_number ("1111111111111111111111111111111111111111111111111111111111111111.5", NULL);

    cli_number_t a = { 10, 500000000 }, b = { 0, 750000000 }, c;
    assert (cli_number_subtract (a, b, &c) == 0 && c.units == 9 && c.nanos == 750000000);
    assert (cli_number_subtract (b, a, &c) == 0 && c.units == -9 && c.nanos == -750000000);
    assert (cli_number_compare (a, b) > 0 && cli_number_compare (b, a) < 0);
    assert (cli_number_compare (a, a) == 0);
    assert (cli_number_is_negative (c) && !cli_number_is_zero (c));
    c = cli_number_negate (c);
    assert (c.units == 9 && c.nanos == 750000000);
    c = cli_number_percent ((cli_number_t) { 5, 0 });
    assert (c.units == 0 && c.nanos == 50000000);
    c = cli_number_percent ((cli_number_t) { 0, 5 });          //  5e-11: below half a nano
    assert (c.units == 0 && c.nanos == 0);
    c = cli_number_percent ((cli_number_t) { 0, 50 });
    assert (c.units == 0 && c.nanos == 1);

    int64_t us, expected;
    assert (crmq_time_parse ("2011-03-27 01:30:00", "Europe/London", &expected) == 0);
    assert (cli_field_date ("2011-03-27 01:30:00", NULL, "Europe/London", &us) == 0);
    assert (us == expected);
    assert (cli_field_date ("27.03.2011 1:30:00", "%d.%m.%Y %H:%M:%S", "Europe/London", &us) == 0);
    assert (us == expected);
    assert (cli_field_date (" 3/27/2011 1:30 ", "%m/%d/%Y %H:%M", "Europe/London", &us) == 0);
    assert (us == expected);
    assert (cli_field_date ("27.03.2011", "%d.%m.%Y", "UTC", &us) == 0);
    assert (crmq_time_parse ("2011-03-27", "UTC", &expected) == 0 && us == expected);
    assert (cli_field_date ("27.03.11", "%d.%m.%y", "UTC", &us) == 0 && us == expected);
    assert (cli_field_date ("30.02.2011", "%d.%m.%Y", "UTC", &us) == -1);
    assert (cli_field_date ("27.03.2011 extra", "%d.%m.%Y", "UTC", &us) == -1);
    assert (cli_field_date ("2011-13-01", NULL, "UTC", &us) == -1);
    assert (cli_field_date ("", NULL, "UTC", &us) == -1);
    assert (cli_field_date ("yesterday", "%d.%m.%Y", "UTC", &us) == -1);

    char buf [16];
    assert (streq (cli_field_integral_id ("17850.0", buf, sizeof buf), "17850"));
    assert (streq (cli_field_integral_id ("42.000", buf, sizeof buf), "42"));
    assert (streq (cli_field_integral_id ("42.5", buf, sizeof buf), "42.5"));
    assert (streq (cli_field_integral_id ("A42.0", buf, sizeof buf), "A42.0"));
    assert (streq (cli_field_integral_id ("42.", buf, sizeof buf), "42."));
    assert (streq (cli_field_integral_id ("", buf, sizeof buf), ""));
    assert (cli_field_integral_id ("12345678901234567", buf, sizeof buf) == NULL);

    size_t length;
    const char *start = cli_field_trim ("  WHITE MUG \t", &length);
    assert (length == 9 && strncmp (start, "WHITE MUG", length) == 0);
    start = cli_field_trim ("   ", &length);
    assert (length == 0);
    if (verbose)
        printf ("(numbers, dates, ids) ");
    printf ("OK\n");
}

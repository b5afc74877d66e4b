/*  cli_field.h - the text of a field in an ERP export to a value: numbers
    written with a decimal comma and thousands separators, dates in an
    export's own format read in a time zone, ids written as numbers
    ("17850.0"), and spaces trimmed.  Pure functions, no state; every
    importer parses its fields here.                                         */
#ifndef CLI_FIELD_H_INCLUDED
#define CLI_FIELD_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  An exact decimal number, units + nanos / 1e9, both of the same sign
//  (as crmq.Decimal and crmq.Money carry it).
typedef struct {
    int64_t units;
    int32_t nanos;
} cli_number_t;

//  How an export writes numbers, and how many decimals are kept.  Zeroed
//  means "1234.5", up to 9 decimals.
typedef struct {
    char decimal;               //  '.' (0 = '.') or ','
    const char *thousands;      //  NULL or "" = none; else the separator as UTF-8
                                //  text: " ", "\u00A0", "\u202F", "'", "." or ","
    int scale;                  //  decimals kept, 1..9, rounded half-up on the
                                //  digits as written; 0 = 9
} cli_number_style_t;

//  Longest number text read, bytes (spaces and separators included).
#define CLI_FIELD_MAX_NUMBER 64

//  Parses `text` as a decimal number written in `style` (NULL = the
//  default): an optional sign, digits with thousands separators between
//  groups of exactly three, at most one decimal separator; spaces
//  (ASCII, U+00A0, U+202F) around it are ignored.  More fractional digits
//  than the style's scale are rounded half-up (away from zero) at its last
//  one, looking at the digits as written ("0.1249999999999" to 2 is 0.12).  Returns 0 with *value set, or -1
//  for anything else (empty, letters, exponents, a misplaced separator,
//  too long, out of range).
int cli_field_number (const char *text, const cli_number_style_t *style, cli_number_t *value);

//  True when value is 0, below 0.
bool cli_number_is_zero (cli_number_t value);
bool cli_number_is_negative (cli_number_t value);

//  -value (value must not be INT64_MIN units).
cli_number_t cli_number_negate (cli_number_t value);

//  Compares a and b: <0, 0 or >0.
int cli_number_compare (cli_number_t a, cli_number_t b);

//  a - b into *difference.  Returns 0, or -1 on overflow.
int cli_number_subtract (cli_number_t a, cli_number_t b, cli_number_t *difference);

//  value / 100 (a percentage to a fraction), rounded half-up at the 9th
//  decimal.
cli_number_t cli_number_percent (cli_number_t value);

//  Parses `text` as an instant: with `format` NULL or "", ISO
//  "YYYY-MM-DD[ HH:MM[:SS]]" (also with 'T'); otherwise the strptime(3)
//  format (numeric fields: %d %m %Y %y %H %M %S, and literal text) that
//  must match the whole text but surrounding spaces.  The wall time is
//  read in `time_zone` (IANA, NULL or "" = UTC); a time the zone skips
//  moves past the gap.  Returns 0 with *us set (microseconds since the
//  epoch), -1 for text that does not match or an impossible date.
int cli_field_date (const char *text, const char *format, const char *time_zone, int64_t *us);

//  An id that an export wrote as a number with a zero fraction ("17850.0",
//  "42.00") without the fraction ("17850"), into buf; other text is copied
//  unchanged.  Returns buf, or NULL when the result does not fit `size`.
char *cli_field_integral_id (const char *text, char *buf, size_t size);

//  Trims ASCII spaces and tabs on both sides: returns where the text
//  starts and sets *length to its length without the trailing ones.
const char *cli_field_trim (const char *text, size_t *length);

//  Self-test.
void cli_field_test (bool verbose);

#endif

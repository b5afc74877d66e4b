/*  cli_money.c - line amounts and derived unit prices; see cli_money.h.

    Everything is carried in unsigned 128-bit integers of nanos (1e-9), so
    a product of three 9-decimal numbers is exact at scale 1e-27.          */
#include "cli_money.h"
#include "crmq.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

typedef unsigned __int128 s_u128_t;

#define S_E9  ((s_u128_t) 1000000000u)
#define S_E16 (S_E9 * 10000000u)
#define S_E25 (S_E16 * S_E9)

//  value in nanos when it is >= 0 and below `bound` units; else -1 (as a
//  flag in *ok).
static s_u128_t
s_nanos (cli_number_t value, int64_t bound, bool *ok)
{
    if (cli_number_is_negative (value) || value.units >= bound || value.nanos >= 1000000000) {
        *ok = false;
        return 0;
    }
    return (s_u128_t) value.units * S_E9 + (s_u128_t) value.nanos;
}

//  round_half_up (q x p x k / 1e27, 2) in cents for q, p, k in nanos
//  (k = 1 - discount).  Returns 0 or -1 when q x p overflows.
static int
s_line_cents (s_u128_t q, s_u128_t p, s_u128_t k, s_u128_t *cents)
{
    s_u128_t x;                             //  q x p at scale 1e-18
    if (__builtin_mul_overflow (q, p, &x))
        return -1;
    //  cents = round (x k / 1e25).  x = hi 1e16 + lo; hi k = c 1e9 + r:
    //  x k = c 1e25 + r 1e16 + lo k, the last two below 1e25 each
    s_u128_t hi = x / S_E16, lo = x % S_E16;
    s_u128_t hk = hi * k;                   //  hi < 2^128 / 1e16, k <= 1e9: fits
    s_u128_t c = hk / S_E9, r = hk % S_E9;
    *cents = c + (r * S_E16 + lo * k + S_E25 / 2) / S_E25;
    return 0;
}

int
cli_money_line_cents (cli_number_t quantity, cli_number_t unit_price, cli_number_t discount,
                      int64_t *cents)
{
    bool ok = true;
    s_u128_t q = s_nanos (quantity, INT64_MAX, &ok);
    s_u128_t p = s_nanos (unit_price, INT64_MAX, &ok);
    s_u128_t d = s_nanos (discount, 2, &ok);
    s_u128_t result;
    if (!ok || d > S_E9 || s_line_cents (q, p, S_E9 - d, &result) != 0 || result > INT64_MAX)
        return -1;
    *cents = (int64_t) result;
    return 0;
}

int
cli_money_cents (cli_number_t amount, int64_t *cents)
{
    bool ok = true;
    s_u128_t a = s_nanos (amount, INT64_MAX, &ok);
    s_u128_t result = (a + 5000000) / 10000000;
    if (!ok || result > INT64_MAX)
        return -1;
    *cents = (int64_t) result;
    return 0;
}

int
cli_money_unit_price (cli_number_t quantity, cli_number_t discount, cli_number_t amount,
                      cli_number_t *unit_price)
{
    bool ok = true;
    s_u128_t q = s_nanos (quantity, 1000000000000LL, &ok);
    s_u128_t d = s_nanos (discount, 1, &ok);
    s_u128_t a = s_nanos (amount, 100000000000LL, &ok);
    if (!ok || q == 0)
        return -1;
    s_u128_t k = S_E9 - d;
    //  p = a / (q k) in nanos: a 1e18 / (q k), rounded half-up
    s_u128_t denominator = q * k;           //  < 1e21 x 1e9: fits
    s_u128_t p = (a * S_E9 * S_E9 + denominator / 2) / denominator;
    s_u128_t target = (a + 5000000) / 10000000;
    s_u128_t cents;
    if (s_line_cents (q, p, k, &cents) != 0)
        return -1;
    s_u128_t nearest = p;
    //  Step toward the target cent; each nano of price moves the amount by
    //  q k 1e-27, far below a cent for any quantity an order has
    for (int step = 0; cents != target && step < 1000; step++) {
        if (cents < target)
            p++;
        else
        if (p == 0)
            break;
        else
            p--;
        if (s_line_cents (q, p, k, &cents) != 0)
            return -1;
    }
    int rc = 0;
    if (cents != target) {
        p = nearest;
        rc = 1;
    }
    if (p / S_E9 >= 1000000000000LL)
        return -1;
    unit_price->units = (int64_t) (p / S_E9);
    unit_price->nanos = (int32_t) (p % S_E9);
    return rc;
}

int
cli_money_discounted (cli_number_t unit_price, cli_number_t discount, cli_number_t *price)
{
    bool ok = true;
    s_u128_t p = s_nanos (unit_price, 1000000000000LL, &ok);
    s_u128_t d = s_nanos (discount, 2, &ok);
    if (!ok || d > S_E9)
        return -1;
    s_u128_t result = (p * (S_E9 - d) + S_E9 / 2) / S_E9;
    price->units = (int64_t) (result / S_E9);
    price->nanos = (int32_t) (result % S_E9);
    return 0;
}

char *
cli_money_cents_text (int64_t cents, char *buf, size_t size)
{
    uint64_t magnitude = cents < 0? (uint64_t) 0 - (uint64_t) cents: (uint64_t) cents;
    snprintf (buf, size, "%s%llu.%02llu", cents < 0? "-": "",
              (unsigned long long) (magnitude / 100), (unsigned long long) (magnitude % 100));
    return buf;
}

//  --------------------------------------------------------------------------
//  Self-test

static cli_number_t
s_number (const char *text)
{
    cli_number_t value;
    int rc = cli_field_number (text, NULL, &value);
    assert (rc == 0);
    return value;
}

//  The price derived for (quantity, discount, amount) gives the amount's cents.
static void
s_expect_price (const char *quantity, const char *discount, const char *amount, const char *price)
{
    cli_number_t q = s_number (quantity), d = s_number (discount), a = s_number (amount), p;
    assert (cli_money_unit_price (q, d, a, &p) == 0);
    int64_t cents, expected;
    assert (cli_money_line_cents (q, p, d, &cents) == 0);
    assert (cli_money_cents (a, &expected) == 0);
    assert (cents == expected);
    if (price) {
        cli_number_t want = s_number (price);
        assert (p.units == want.units && p.nanos == want.nanos);
    }
}

void
cli_money_test (bool verbose)
{
    printf (" * cli_money: ");
    int64_t cents;
    char text [32];
    assert (cli_money_line_cents (s_number ("3"), s_number ("9.80"), s_number ("0.05"), &cents) == 0);
    assert (cents == 2793);                 //  27.93
    assert (cli_money_line_cents (s_number ("1"), s_number ("0.125"), s_number ("0"), &cents) == 0);
    assert (cents == 13);                   //  half-up
    assert (cli_money_line_cents (s_number ("1"), s_number ("0.124999999"), s_number ("0"), &cents) == 0);
    assert (cents == 12);
    assert (cli_money_line_cents (s_number ("2"), s_number ("5"), s_number ("1"), &cents) == 0);
    assert (cents == 0);
    assert (cli_money_line_cents (s_number ("80995"), s_number ("2.08"), s_number ("0"), &cents) == 0);
    assert (cents == 16846960);
    assert (cli_money_line_cents (s_number ("1000000"), s_number ("999999.999999999"),
                                  s_number ("0.000000001"), &cents) == 0);
    assert (cents == 99999999900000);       //  999,999,998,999.999 rounded
    //  quantity x price above 10^20, cents beyond int64
    assert (cli_money_line_cents (s_number ("999999999.999999999"), s_number ("999999999999.999999999"),
                                  s_number ("0"), &cents) == -1);
    assert (cli_money_line_cents (s_number ("99999999"), s_number ("999999999999"),
                                  s_number ("0"), &cents) == -1);
    assert (cli_money_line_cents (s_number ("-1"), s_number ("1"), s_number ("0"), &cents) == -1);
    assert (cli_money_line_cents (s_number ("1"), s_number ("1"), s_number ("1.5"), &cents) == -1);
    assert (cli_money_cents (s_number ("22.365"), &cents) == 0 && cents == 2237);
    assert (cli_money_cents (s_number ("-1"), &cents) == -1);
    assert (streq (cli_money_cents_text (-5, text, sizeof text), "-0.05"));
    assert (streq (cli_money_cents_text (123456, text, sizeof text), "1234.56"));

    cli_number_t price;
    assert (cli_money_discounted (s_number ("10"), s_number ("0.15"), &price) == 0);
    assert (price.units == 8 && price.nanos == 500000000);
    assert (cli_money_discounted (s_number ("0.000000001"), s_number ("0.5"), &price) == 0);
    assert (price.units == 0 && price.nanos == 1);         //  half a nano, up
    assert (cli_money_discounted (s_number ("1"), s_number ("1.5"), &price) == -1);

    //  Superstore lines: Sales is after the discount, up to 4 decimals
    s_expect_price ("2", "0", "261.96", "130.98");
    s_expect_price ("5", "0.45", "957.5775", "348.21");
    s_expect_price ("2", "0.2", "22.368", "13.98");
    s_expect_price ("3", "0.8", "2.388", NULL);
    s_expect_price ("7", "0.7", "1.869", NULL);
    s_expect_price ("3", "0", "0.005", NULL);          //  a half cent: up
    s_expect_price ("7", "0.2", "22.365", NULL);
    s_expect_price ("1", "0", "0", "0");
    cli_number_t p;
    assert (cli_money_unit_price (s_number ("0"), s_number ("0"), s_number ("1"), &p) == -1);
    assert (cli_money_unit_price (s_number ("1"), s_number ("1"), s_number ("1"), &p) == -1);
    //  A quantity so large that a nano of price is more than a cent
    assert (cli_money_unit_price (s_number ("100000000000"), s_number ("0"), s_number ("0.015"),
                                  &p) == 1);
    if (verbose)
        printf ("(amounts, prices) ");
    printf ("OK\n");
}

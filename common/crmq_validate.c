/*  crmq_validate.c - input string checks; see crmq_validate.h.  */
#include "crmq_validate.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

//  Length of the well-formed UTF-8 sequence at s (1..4), or 0 when it is not
//  one (overlong forms, surrogates and values above U+10FFFF are not).
static size_t
s_utf8_sequence (const unsigned char *s)
{
    if (s [0] < 0x80)
        return 1;
    if (s [0] >= 0xC2 && s [0] <= 0xDF)
        return (s [1] & 0xC0) == 0x80? 2: 0;
    if (s [0] >= 0xE0 && s [0] <= 0xEF) {
        unsigned char lo = s [0] == 0xE0? 0xA0: 0x80;
        unsigned char hi = s [0] == 0xED? 0x9F: 0xBF;
        if (s [1] < lo || s [1] > hi || (s [2] & 0xC0) != 0x80)
            return 0;
        return 3;
    }
    if (s [0] >= 0xF0 && s [0] <= 0xF4) {
        unsigned char lo = s [0] == 0xF0? 0x90: 0x80;
        unsigned char hi = s [0] == 0xF4? 0x8F: 0xBF;
        if (s [1] < lo || s [1] > hi || (s [2] & 0xC0) != 0x80 || (s [3] & 0xC0) != 0x80)
            return 0;
        return 4;
    }
    return 0;
}

//  The checks of both; `identifier` refuses tab, CR, LF and DEL too.
static bool
s_valid (const char *text, size_t min_bytes, size_t max_bytes, bool identifier,
         char *why, size_t why_size)
{
    if (!text)
        text = "";
    size_t length = strlen (text);
    if (length < min_bytes) {
        if (length == 0)
            snprintf (why, why_size, "is empty");
        else
            snprintf (why, why_size, "is shorter than %zu bytes", min_bytes);
        return false;
    }
    if (length > max_bytes) {
        snprintf (why, why_size, "is longer than %zu bytes", max_bytes);
        return false;
    }
    const unsigned char *s = (const unsigned char *) text;
    while (*s) {
        bool control = *s < 0x20 || *s == 0x7f;
        bool whitespace = *s == '\t' || *s == '\r' || *s == '\n';
        if (control && (identifier || !whitespace)) {
            snprintf (why, why_size, "contains control characters");
            return false;
        }
        //  a sequence cut short meets the terminating NUL, which fails the
        //  continuation-byte test, so reading s[1..3] stays in bounds
        size_t step = s_utf8_sequence (s);
        if (step == 0) {
            snprintf (why, why_size, "is not valid UTF-8");
            return false;
        }
        s += step;
    }
    return true;
}

bool
crmq_text_valid (const char *text, size_t min_bytes, size_t max_bytes, char *why, size_t why_size)
{
    return s_valid (text, min_bytes, max_bytes, false, why, why_size);
}

bool
crmq_id_valid (const char *text, size_t min_bytes, size_t max_bytes, char *why, size_t why_size)
{
    return s_valid (text, min_bytes, max_bytes, true, why, why_size);
}

void
crmq_validate_test (bool verbose)
{
    if (verbose)
        printf (" * crmq_validate: ");
    char why [64];
    assert (crmq_text_valid ("ALFKI", 1, 100, why, sizeof why));
    assert (crmq_text_valid ("ООО «Ромашка»", 1, 100, why, sizeof why));
    assert (crmq_text_valid ("O'Brien \"Ltd\"\ttab", 1, 100, why, sizeof why));
    assert (crmq_text_valid (NULL, 0, 10, why, sizeof why));
    assert (!crmq_text_valid ("", 1, 10, why, sizeof why));
    assert (strcmp (why, "is empty") == 0);
    assert (!crmq_text_valid ("abcdef", 1, 5, why, sizeof why));
    assert (strcmp (why, "is longer than 5 bytes") == 0);
    assert (!crmq_text_valid ("a\x01z", 0, 5, why, sizeof why));
    assert (strcmp (why, "contains control characters") == 0);
    assert (!crmq_text_valid ("\xC3", 0, 5, why, sizeof why));          //  cut short
    assert (strcmp (why, "is not valid UTF-8") == 0);
    assert (!crmq_text_valid ("\xC0\xAF", 0, 5, why, sizeof why));      //  overlong
    assert (!crmq_text_valid ("\xED\xA0\x80", 0, 5, why, sizeof why));  //  surrogate
    assert (!crmq_text_valid ("\xF4\x90\x80\x80", 0, 5, why, sizeof why));
    assert (crmq_text_valid ("\xF0\x9F\x98\x80", 0, 5, why, sizeof why));
    assert (!crmq_text_valid ("a\x7f", 0, 5, why, sizeof why));
    assert (crmq_id_valid ("northwind:order:10248", 1, 200, why, sizeof why));
    assert (crmq_id_valid ("Ромашка-1", 1, 200, why, sizeof why));
    assert (!crmq_id_valid ("a\nb", 1, 200, why, sizeof why));
    assert (strcmp (why, "contains control characters") == 0);
    assert (!crmq_id_valid ("a\tb", 1, 200, why, sizeof why));
    assert (!crmq_id_valid ("", 1, 200, why, sizeof why));
    if (verbose)
        printf ("OK\n");
}

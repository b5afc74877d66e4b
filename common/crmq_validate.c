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

bool
crmq_utf8_valid (const char *text, size_t length)
{
    const unsigned char *s = (const unsigned char *) text;
    size_t at = 0;
    while (at < length) {
        if (s [at] < 0x80) {
            at++;
            continue;
        }
        //  the sequence decoder reads up to 4 bytes: give it a copy padded
        //  with NUL, which fails its continuation-byte test
        unsigned char sequence [5] = { 0 };
        size_t left = length - at < 4? length - at: 4;
        memcpy (sequence, s + at, left);
        size_t step = s_utf8_sequence (sequence);
        if (step == 0 || step > left)
            return false;
        at += step;
    }
    return true;
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

//  The code point of the well-formed sequence of `length` bytes at s.
static uint32_t
s_code_point (const unsigned char *s, size_t length)
{
    if (length == 1)
        return s [0];
    if (length == 2)
        return (uint32_t) (s [0] & 0x1F) << 6 | (s [1] & 0x3F);
    if (length == 3)
        return (uint32_t) (s [0] & 0x0F) << 12 | (uint32_t) (s [1] & 0x3F) << 6 | (s [2] & 0x3F);
    return (uint32_t) (s [0] & 0x07) << 18 | (uint32_t) (s [1] & 0x3F) << 12
         | (uint32_t) (s [2] & 0x3F) << 6 | (s [3] & 0x3F);
}

//  True for the spaces and invisible characters a blank name consists of.
static bool
s_blank (uint32_t c)
{
    return c == ' ' || c == 0xA0 || c == 0x1680 || c == 0x180E
        || (c >= 0x2000 && c <= 0x200D) || c == 0x202F || c == 0x205F || c == 0x2060
        || c == 0x3000 || c == 0xFEFF;
}

bool
crmq_name_valid (const char *text, size_t min_bytes, size_t max_bytes, char *why, size_t why_size)
{
    if (!s_valid (text, min_bytes, max_bytes, true, why, why_size))
        return false;
    if (!text || !*text)
        return true;                        //  empty, and allowed to be
    bool blank = true;
    const unsigned char *s = (const unsigned char *) text;
    while (*s) {
        size_t step = s_utf8_sequence (s);  //  well-formed: s_valid said so
        uint32_t c = s_code_point (s, step);
        if ((c >= 0x80 && c <= 0x9F) || c == 0x2028 || c == 0x2029) {
            snprintf (why, why_size, "contains control characters");
            return false;
        }
        if ((c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069)) {
            snprintf (why, why_size, "contains bidirectional control characters");
            return false;
        }
        blank = blank && s_blank (c);
        s += step;
    }
    if (blank) {
        snprintf (why, why_size, "is blank");
        return false;
    }
    return true;
}

bool
crmq_name_trimmed (const char *text)
{
    if (!text || !*text)
        return true;
    const unsigned char *s = (const unsigned char *) text;
    uint32_t first = 0, last = 0;
    while (*s) {
        size_t step = s_utf8_sequence (s);
        if (step == 0)
            return true;                    //  not UTF-8: crmq_name_valid's to refuse
        last = s_code_point (s, step);
        if (s == (const unsigned char *) text)
            first = last;
        s += step;
    }
    return !s_blank (first) && !s_blank (last);
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
    assert (crmq_utf8_valid ("Ромашка\0\t", 16));
    assert (crmq_utf8_valid (NULL, 0));
    assert (!crmq_utf8_valid ("\xD0\x9F", 1));                        //  cut short by length
    assert (!crmq_utf8_valid ("\xCF\xF0\xE8", 3));                    //  CP1251 "При"
    assert (!crmq_utf8_valid ("\xED\xA0\x80", 3));                    //  surrogate
    assert (crmq_id_valid ("northwind:order:10248", 1, 200, why, sizeof why));
    assert (crmq_id_valid ("Ромашка-1", 1, 200, why, sizeof why));
    assert (!crmq_id_valid ("a\nb", 1, 200, why, sizeof why));
    assert (strcmp (why, "contains control characters") == 0);
    assert (!crmq_id_valid ("a\tb", 1, 200, why, sizeof why));
    assert (!crmq_id_valid ("", 1, 200, why, sizeof why));

    //  names
    assert (crmq_name_valid ("ООО «Ромашка»", 1, 300, why, sizeof why));
    assert (crmq_name_valid ("O'Brien & Sons \"Ltd\"", 1, 300, why, sizeof why));
    assert (crmq_name_valid ("Zoë\xC2\xA0Müller", 1, 300, why, sizeof why));         //  NBSP inside
    assert (crmq_name_valid ("\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xE2\x80\x8E(IL)", 1, 300, why, sizeof why));
    assert (crmq_name_valid ("\xF0\x9F\x98\x80", 1, 300, why, sizeof why));       //  an emoji
    assert (crmq_name_valid ("", 0, 300, why, sizeof why));                       //  optional
    assert (crmq_name_valid (NULL, 0, 300, why, sizeof why));
    assert (crmq_name_valid (" a ", 1, 300, why, sizeof why));
    assert (!crmq_name_valid ("", 1, 300, why, sizeof why));
    assert (strcmp (why, "is empty") == 0);
    assert (!crmq_name_valid ("abcd", 1, 3, why, sizeof why));
    assert (strcmp (why, "is longer than 3 bytes") == 0);
    const char *controls [] = {
        "a\tb", "a\nb", "a\rb", "a\x01", "\x7f", "a\xC2\x85" "b", "\xC2\x80", "\xC2\x9F",
        "a\xE2\x80\xA8" "b", "a\xE2\x80\xA9" "b", NULL
    };
    for (const char **c = controls; *c; c++) {
        assert (!crmq_name_valid (*c, 1, 300, why, sizeof why));
        assert (strcmp (why, "contains control characters") == 0);
    }
    assert (crmq_name_valid ("\xC2\xA0x", 1, 300, why, sizeof why));              //  U+00A0 is not C1
    assert (crmq_name_valid ("\xC2\xA9 Acme", 1, 300, why, sizeof why));          //  U+00A9
    const char *bidi [] = {
        "\xE2\x80\xAA" "a", "a\xE2\x80\xAB", "\xE2\x80\xAC", "a\xE2\x80\xAD" "b",
        "evil\xE2\x80\xAEgnp.exe", "\xE2\x81\xA6" "a", "\xE2\x81\xA7", "\xE2\x81\xA8",
        "a\xE2\x81\xA9", NULL
    };
    for (const char **b = bidi; *b; b++) {
        assert (!crmq_name_valid (*b, 1, 300, why, sizeof why));
        assert (strcmp (why, "contains bidirectional control characters") == 0);
    }
    assert (crmq_name_valid ("\xE2\x80\xA5", 1, 300, why, sizeof why));          //  U+2025, a dot leader
    assert (crmq_name_valid ("\xE2\x81\xAA", 1, 300, why, sizeof why));          //  U+206A: not in the ranges
    const char *blanks [] = {
        " ", "   ", "\xC2\xA0", " \xE3\x80\x80 ", "\xE2\x80\x8B", "\xEF\xBB\xBF",
        "\xE2\x80\x80\xE2\x80\x8A\xE2\x80\xAF\xE2\x81\x9F\xE2\x81\xA0\xE1\x9A\x80\xE1\xA0\x8E", NULL
    };
    for (const char **b = blanks; *b; b++) {
        assert (!crmq_name_valid (*b, 0, 300, why, sizeof why));
        assert (strcmp (why, "is blank") == 0);
    }
    assert (crmq_name_trimmed ("имя с пробелом"));
    assert (crmq_name_trimmed ("a") && crmq_name_trimmed ("") && crmq_name_trimmed (NULL));
    assert (!crmq_name_trimmed ("имя с пробелом "));
    assert (!crmq_name_trimmed (" a"));
    assert (!crmq_name_trimmed ("a\xC2\xA0"));                //  a no-break space
    assert (!crmq_name_trimmed ("\xE3\x80\x80" "a"));        //  an ideographic space
    assert (!crmq_name_trimmed ("a\xE2\x80\x8B"));           //  a zero width space
    assert (!crmq_name_valid ("\xC3", 1, 300, why, sizeof why));
    assert (strcmp (why, "is not valid UTF-8") == 0);
    //  free text keeps its tabs and line breaks, and takes C1 and bidi characters
    assert (crmq_text_valid ("a\tb\nc\xC2\x85\xE2\x80\xAE", 1, 300, why, sizeof why));
    if (verbose)
        printf ("OK\n");
}

/*  crmq_phone.cc - phone numbers to E.164 through libphonenumber; see
    crmq_phone.h.  C++17, called from C: every entry point catches all
    exceptions, and nothing C++ appears in the header.                      */
#include "crmq_phone.h"

#include <phonenumbers/phonenumberutil.h>

#include <cassert>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace pn = i18n::phonenumbers;

//  The region code libphonenumber expects: upper case; "ZZ" (unknown region:
//  only numbers with a country code parse) for NULL or "".
static std::string
s_region (const char *region)
{
    if (!region || !*region)
        return "ZZ";
    std::string code (region);
    for (char &c: code)
        if (c >= 'a' && c <= 'z')
            c = static_cast <char> (c - 'a' + 'A');
    return code;
}

//  The number as "+<ASCII digits of text>" when the country-code rule of
//  crmq_phone.h applies to it under `region`, else "".
static std::string
s_plus_form (const pn::PhoneNumberUtil &util, const char *text, const std::string &region)
{
    if (strchr (text, '+'))
        return "";
    const int country_code = util.GetCountryCodeForRegion (region);
    if (country_code == 0)
        return "";                  //  region unknown to libphonenumber
    std::string trunk;
    util.GetNddPrefixForRegion (region, true, &trunk);
    if (trunk.empty ())
        return "";                  //  national numbers may start with the code
    std::string digits ("+");
    for (const char *c = text; *c; c++)
        if (*c >= '0' && *c <= '9')
            digits += *c;
    const std::string code = "+" + std::to_string (country_code);
    if (digits.compare (0, code.size (), code) != 0)
        return "";
    return digits;
}

//  crmq_phone_e164 without the exception barrier; text and buf are not NULL.
static int
s_e164 (const char *text, const char *default_region, char *buf, size_t size)
{
    const pn::PhoneNumberUtil &util = *pn::PhoneNumberUtil::GetInstance ();
    const std::string region = s_region (default_region);

    pn::PhoneNumber number;
    bool found = util.Parse (text, region, &number) == pn::PhoneNumberUtil::NO_PARSING_ERROR
              && util.IsPossibleNumberWithReason (number) == pn::PhoneNumberUtil::IS_POSSIBLE;

    const std::string plus_form = s_plus_form (util, text, region);
    if (!plus_form.empty ()) {
        pn::PhoneNumber international;
        if (util.Parse (plus_form, "ZZ", &international) == pn::PhoneNumberUtil::NO_PARSING_ERROR
        &&  util.IsValidNumber (international)) {
            number = international;
            found = true;
        }
    }
    if (!found)
        return -1;

    std::string e164;
    util.Format (number, pn::PhoneNumberUtil::E164, &e164);
    if (e164.size () < 2 || e164.size () + 1 > size)
        return -1;
    memcpy (buf, e164.c_str (), e164.size () + 1);
    return 0;
}

int
crmq_phone_e164 (const char *text, const char *default_region, char *buf, size_t size)
{
    if (!text || !buf)
        return -1;
    try {
        return s_e164 (text, default_region, buf, size);
    }
    catch (...) {
        return -1;
    }
}

//  --------------------------------------------------------------------------
//  Self-test

typedef struct {
    const char *text;
    const char *region;
    const char *e164;               //  NULL: -1 expected
} s_case_t;

static const s_case_t s_cases [] = {
    //  Russia: with the country code, with the trunk prefix 8, without '+'
    { "+7 (495) 123-45-67", "RU", "+74951234567" },
    { "8 495 1234567", "RU", "+74951234567" },
    { "74951234567", "RU", "+74951234567" },
    { "7 495 123 45 67", "RU", "+74951234567" },
    { "4951234567", "RU", "+74951234567" },
    { "8 (916) 123-45-67", "RU", "+79161234567" },
    { "74951234567", "ru", "+74951234567" },       //  region in lower case
    { "+7 495 123-45-67 доб. 89", "RU", "+74951234567" },
    //  +7 7xx is Kazakhstan: "+7012345678" is not valid, the number stays
    { "7012345678", "RU", "+77012345678" },
    //  Germany, Northwind's customers (Berlin, Mannheim, Munich)
    { "030-0074321", "DE", "+49300074321" },
    { "0621-08460", "DE", "+4962108460" },
    { "089-0877310", "DE", "+49890877310" },
    { "0049 30 1234567", "DE", "+49301234567" },
    { "+49 (0)30 1234567", "DE", "+49301234567" },
    //  The country-code rule: libphonenumber alone says +49491761234567
    { "49 176 1234567", "DE", "+491761234567" },
    { "4930 1234567", "DE", "+49301234567" },
    //  A country code overrides the default region, which may be absent
    { "+1 (650) 253-0000", "DE", "+16502530000" },
    { "+7 495 123-45-67", NULL, "+74951234567" },
    { "+7 495 123-45-67", "", "+74951234567" },
    { "+7 495 123-45-67", "XX", "+74951234567" },
    { "1-650-253-0000", "US", "+16502530000" },
    //  Italy has no trunk prefix: the rule leaves it to libphonenumber
    { "39 06 1234567", "IT", "+39061234567" },
    //  Not possible numbers
    { "abc", "RU", NULL },
    { "", "RU", NULL },
    { "12", "RU", NULL },
    { "1234567890123456789012345678901234567890", "RU", NULL },
    { "+1234567890123456789012345678901234567890", NULL, NULL },
    { "123-45-67", "RU", NULL },                    //  local only, no area code
    { "74951234567", NULL, NULL },                  //  no country code, no region
    { "74951234567", "XX", NULL },
    { "+999 1234567", "RU", NULL },                 //  no such country code
    { "\xff\xfe\x80", "RU", NULL },                 //  not UTF-8
    { NULL, NULL, NULL }
};

//  Runs every case `rounds` times; the number of mismatches.
static int
s_run_cases (int rounds, bool verbose)
{
    int mismatches = 0;
    for (int round = 0; round < rounds; round++)
        for (const s_case_t *test = s_cases; test->text; test++) {
            char buf [CRMQ_PHONE_E164_MAX];
            strcpy (buf, "untouched");
            const int rc = crmq_phone_e164 (test->text, test->region, buf, sizeof buf);
            if (verbose)
                printf ("\n%-4s %-42s -> %s",
                        !test->region? "NULL": *test->region? test->region: "\"\"",
                        test->text, rc == 0? buf: "-1");
            const bool ok = test->e164? rc == 0 && strcmp (buf, test->e164) == 0
                                      : rc == -1 && strcmp (buf, "untouched") == 0;
            if (!ok) {
                fprintf (stderr, "\ncrmq_phone: %s under %s: got %s (rc %d), want %s\n",
                         test->text, test->region? test->region: "NULL",
                         buf, rc, test->e164? test->e164: "-1");
                mismatches++;
            }
        }
    return mismatches;
}

void
crmq_phone_test (bool verbose)
{
    printf (" * crmq_phone: ");

    assert (s_run_cases (1, verbose) == 0);

    //  NULL text or buffer
    char buf [CRMQ_PHONE_E164_MAX];
    assert (crmq_phone_e164 (NULL, "RU", buf, sizeof buf) == -1);
    assert (crmq_phone_e164 ("+74951234567", "RU", NULL, 0) == -1);

    //  A buffer too small is refused and left alone; one byte more suffices
    strcpy (buf, "untouched");
    assert (crmq_phone_e164 ("8 495 1234567", "RU", buf, 12) == -1);
    assert (strcmp (buf, "untouched") == 0);
    assert (crmq_phone_e164 ("8 495 1234567", "RU", buf, 0) == -1);
    assert (crmq_phone_e164 ("8 495 1234567", "RU", buf, 13) == 0);
    assert (strcmp (buf, "+74951234567") == 0);

    //  Thread-safe: the same answers from several threads at once
    std::vector <int> mismatches (4, -1);
    std::vector <std::thread> threads;
    for (size_t index = 0; index < mismatches.size (); index++)
        threads.emplace_back ([&mismatches, index] () {
            mismatches [index] = s_run_cases (20, false);
        });
    for (std::thread &thread: threads)
        thread.join ();
    for (int count: mismatches)
        assert (count == 0);

    if (verbose)
        printf ("\n");
    printf ("OK\n");
}

/*  crmq_phone.cc - phone numbers to E.164 through libphonenumber, countries
    to ISO 3166-1 alpha-2 through ICU; see crmq_phone.h.  C++17, called from
    C: every entry point catches all exceptions, and nothing C++ appears in
    the header.                                                             */
#include "crmq_phone.h"

#include <phonenumbers/phonenumberutil.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/region.h>
#include <unicode/uchar.h>
#include <unicode/udata.h>
#include <unicode/unistr.h>
#include <unicode/ures.h>
#include <unicode/utf16.h>

#include <cassert>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
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
//  Countries: names to ISO 3166-1 alpha-2, from ICU's locale data

namespace {

//  Every name crmq_phone_region knows, by its s_country_key; built once.
struct country_table_t {
    std::set <std::string> codes;                           //  alpha-2
    std::unordered_map <std::string, std::string> exact;    //  key → alpha-2
    std::unordered_map <std::string, std::string> loose;    //  loose key → alpha-2
    bool built = false;
};

}

//  Built on the first crmq_phone_region (s_country_build), read-only after
//  that, destroyed at exit.  ICU keeps the locale data it loaded for it in its
//  own caches until exit ("still reachable").
static country_table_t s_countries;
static std::once_flag s_countries_once;

//  Aliases common in ERP data that ICU's names and Region lack.  ICU already
//  has "UK" (English short name of GB, and CLDR's alias), "USA" (alpha-3),
//  "США", "Великобритания", "Czech Republic"; "U.S.A." and "U.K." match
//  through the loose key.
static const struct {
    const char *name;
    const char *code;
} s_aliases [] = {
    { "Great Britain", "GB" },
    { "Britain", "GB" },
    { "England", "GB" },
    { "Scotland", "GB" },
    { "Wales", "GB" },
    { "Northern Ireland", "GB" },
    { "United States of America", "US" },
    { "Russian Federation", "RU" },
    { "Holland", "NL" },
    { "Republic of Korea", "KR" },
    { "Англия", "GB" },
    { "Соединённые Штаты Америки", "US" },
    { "Российская Федерация", "RU" },
    { "РФ", "RU" },
    { "Белоруссия", "BY" },
    { "Молдавия", "MD" },
    { "Южная Корея", "KR" },
    { NULL, NULL }
};

//  The key a name is matched by: its canonical case folding (NFD, fold, NFD:
//  "РОССИЯ", "Россия" and "россия" are one), white space trimmed and every run
//  of it one space.  The loose key also drops nonspacing marks (accents),
//  full stops and apostrophes, and turns other punctuation into white space:
//  "Côte d’Ivoire" and "Cote d'Ivoire", "U.S.A." and "USA", "Guinea-Bissau"
//  and "Guinea Bissau" are one.  UTF-8.
static std::string
s_country_key (const icu::UnicodeString &name, bool loose)
{
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2 *nfd = icu::Normalizer2::getNFDInstance (status);
    if (U_FAILURE (status))
        throw std::runtime_error (u_errorName (status));
    icu::UnicodeString folded = nfd->normalize (name, status);
    folded.foldCase (U_FOLD_CASE_DEFAULT);
    folded = nfd->normalize (folded, status);
    if (U_FAILURE (status))
        throw std::runtime_error (u_errorName (status));

    icu::UnicodeString key;
    bool space = false;                 //  white space before the next char
    for (int32_t index = 0; index < folded.length (); ) {
        const UChar32 c = folded.char32At (index);
        index += U16_LENGTH (c);
        if (u_isUWhiteSpace (c)) {
            space = true;
            continue;
        }
        if (loose) {
            if (u_charType (c) == U_NON_SPACING_MARK
            ||  c == '.' || c == '\'' || c == 0x2018 || c == 0x2019 || c == 0x02BC)
                continue;
            if (u_ispunct (c)) {
                space = true;
                continue;
            }
        }
        if (space && !key.isEmpty ())
            key.append (static_cast <UChar> (' '));
        space = false;
        key.append (c);
    }
    std::string utf8;
    key.toUTF8String (utf8);
    return utf8;
}

//  Adds `name` of region `code` unless an earlier one has its key.
static void
s_country_add (country_table_t &table, const icu::UnicodeString &name, const std::string &code)
{
    const std::string exact = s_country_key (name, false);
    if (exact.empty ())
        return;
    table.exact.emplace (exact, code);
    const std::string loose = s_country_key (name, true);
    if (!loose.empty ())
        table.loose.emplace (loose, code);
}

//  Adds the region names of ICU's table `key` ("Countries", "Countries%short",
//  "Countries%variant") for `locale`, those of regions in table.codes.  In
//  English, also with "and" for " & " and "Saint " for a leading "St. "
//  ("Bosnia and Herzegovina", "Saint Lucia"), as ERPs write them.
static void
s_country_add_table (country_table_t &table, const char *locale, const char *key)
{
    UErrorCode status = U_ZERO_ERROR;
    icu::LocalUResourceBundlePointer bundle (
        ures_open (U_ICUDATA_NAME U_TREE_SEPARATOR_STRING "region", locale, &status));
    icu::LocalUResourceBundlePointer names (ures_getByKey (bundle.getAlias (), key, nullptr, &status));
    const bool english = strcmp (locale, "en") == 0;
    while (U_SUCCESS (status) && ures_hasNext (names.getAlias ())) {
        const char *code = nullptr;
        int32_t length = 0;
        const UChar *text = ures_getNextString (names.getAlias (), &length, &code, &status);
        if (U_FAILURE (status) || !code || !table.codes.count (code))
            continue;
        icu::UnicodeString name (text, length);
        s_country_add (table, name, code);
        if (english) {
            name.findAndReplace (" & ", " and ");
            if (name.startsWith ("St. "))
                name.replace (0, 4, "Saint ");
            s_country_add (table, name, code);
        }
    }
}

//  Adds the name of every region in table.codes in its own language(s): in
//  ICU's likely language for it (und_DE → de: "Deutschland"), and in every ICU
//  locale of it (de_CH, fr_CH, it_CH: "Schweiz", "Suisse", "Svizzera").
static void
s_country_add_own (country_table_t &table)
{
    icu::UnicodeString name;
    for (const std::string &code: table.codes) {
        UErrorCode status = U_ZERO_ERROR;
        icu::Locale likely ("und", code.c_str ());
        likely.addLikelySubtags (status);
        if (U_FAILURE (status) || likely.isBogus ()
        ||  !*likely.getLanguage () || strcmp (likely.getLanguage (), "und") == 0)
            continue;
        const icu::Locale own (likely.getLanguage (), code.c_str ());
        s_country_add (table, own.getDisplayCountry (own, name), code);
    }
    int32_t count = 0;
    const icu::Locale *locales = icu::Locale::getAvailableLocales (count);
    for (int32_t index = 0; locales && index < count; index++)
        if (table.codes.count (locales [index].getCountry ()))
            s_country_add (table, locales [index].getDisplayCountry (locales [index], name),
                           locales [index].getCountry ());
}

//  Builds s_countries, in the order of crmq_phone.h (earlier names win).
//  Failing (no ICU data, out of memory), leaves it empty and not built.
static void
s_country_build () noexcept
{
    try {
        country_table_t table;
        for (const char *const *code = icu::Locale::getISOCountries (); code && *code; code++)
            table.codes.insert (*code);
        std::set <std::string> supported;
        pn::PhoneNumberUtil::GetInstance ()->GetSupportedRegions (&supported);
        for (const std::string &code: supported)
            if (code.size () == 2)
                table.codes.insert (code);
        if (table.codes.empty ())
            return;

        for (const std::string &code: table.codes)
            s_country_add (table, icu::UnicodeString (code.c_str (), -1, US_INV), code);
        for (const std::string &code: table.codes) {
            const char *alpha3 = icu::Locale ("", code.c_str ()).getISO3Country ();
            if (alpha3 && strlen (alpha3) == 3)
                s_country_add (table, icu::UnicodeString (alpha3, -1, US_INV), code);
        }
        for (size_t index = 0; s_aliases [index].name; index++)
            s_country_add (table, icu::UnicodeString::fromUTF8 (s_aliases [index].name),
                           s_aliases [index].code);
        for (const char *locale: { "en", "ru" })
            for (const char *key: { "Countries", "Countries%short", "Countries%variant" })
                s_country_add_table (table, locale, key);
        s_country_add_own (table);

        table.built = true;
        s_countries = std::move (table);
    }
    catch (...) {
    }
}

//  The region of an ASCII code (its exact key, so in lower case) through
//  ICU's Region: UN M.49 numeric codes, deprecated aliases with a single
//  successor.  "" if none, or not a territory of table.codes.
static std::string
s_country_by_region (const country_table_t &table, const std::string &key)
{
    if (key.size () < 2 || key.size () > 3)
        return "";
    std::string code;
    for (char c: key) {
        if (c >= 'a' && c <= 'z')
            c = static_cast <char> (c - 'a' + 'A');
        else
        if (c < '0' || c > '9')
            return "";
        code += c;
    }
    UErrorCode status = U_ZERO_ERROR;
    const icu::Region *region = icu::Region::getInstance (code.c_str (), status);
    if (U_FAILURE (status) || !region || region->getType () != URGN_TERRITORY
    ||  !table.codes.count (region->getRegionCode ()))
        return "";
    return region->getRegionCode ();
}

//  crmq_phone_region without the exception barrier; country and buf are not
//  NULL, size is at least CRMQ_PHONE_REGION_MAX.
static int
s_country_region (const char *country, char *buf, size_t size)
{
    std::call_once (s_countries_once, s_country_build);
    const country_table_t &table = s_countries;
    if (!table.built || strlen (country) > 255)
        return -1;                      //  no country has a name that long

    const icu::UnicodeString name = icu::UnicodeString::fromUTF8 (country);
    const std::string exact = s_country_key (name, false);
    std::string code;
    auto found = table.exact.find (exact);
    if (found != table.exact.end ())
        code = found->second;
    else {
        found = table.loose.find (s_country_key (name, true));
        code = found != table.loose.end ()? found->second: s_country_by_region (table, exact);
    }
    if (code.empty () || code.size () + 1 > size)
        return -1;
    memcpy (buf, code.c_str (), code.size () + 1);
    return 0;
}

int
crmq_phone_region (const char *country, char *buf, size_t size)
{
    if (!country || !buf || size < CRMQ_PHONE_REGION_MAX)
        return -1;
    try {
        return s_country_region (country, buf, size);
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

typedef struct {
    const char *country;
    const char *code;               //  NULL: -1 expected
} s_region_case_t;

static const s_region_case_t s_region_cases [] = {
    //  Northwind's customers' countries, as its Customers table writes them
    { "Germany", "DE" },
    { "Mexico", "MX" },
    { "UK", "GB" },
    { "Sweden", "SE" },
    { "France", "FR" },
    { "Spain", "ES" },
    { "Canada", "CA" },
    { "Argentina", "AR" },
    { "Switzerland", "CH" },
    { "Brazil", "BR" },
    { "Austria", "AT" },
    { "Italy", "IT" },
    { "Portugal", "PT" },
    { "USA", "US" },
    { "Venezuela", "VE" },
    { "Ireland", "IE" },
    { "Belgium", "BE" },
    { "Norway", "NO" },
    { "Denmark", "DK" },
    { "Finland", "FI" },
    { "Poland", "PL" },
    //  Case, white space, codes
    { "germany", "DE" },
    { "GERMANY", "DE" },
    { "  Germany\t", "DE" },
    { "United   Kingdom", "GB" },
    { "DE", "DE" },
    { "de", "DE" },
    { "DEU", "DE" },
    { "RU", "RU" },
    { "rus", "RU" },
    { "usa", "US" },
    //  Russian, with Cyrillic case folding; own languages
    { "Россия", "RU" },
    { "россия", "RU" },
    { "РОССИЯ", "RU" },
    { "Германия", "DE" },
    { "США", "US" },
    { "Великобритания", "GB" },
    { "Deutschland", "DE" },
    { "Österreich", "AT" },
    { "España", "ES" },
    { "México", "MX" },
    { "Sverige", "SE" },
    { "Schweiz", "CH" },
    { "Suisse", "CH" },
    { "Svizzera", "CH" },
    { "Polska", "PL" },
    //  ICU's short and variant names, the English "and"/"Saint" forms
    { "United Kingdom", "GB" },
    { "United States", "US" },
    { "Czech Republic", "CZ" },
    { "Czechia", "CZ" },
    { "Ivory Coast", "CI" },
    { "Bosnia and Herzegovina", "BA" },
    { "Saint Lucia", "LC" },
    //  Loose: accents and punctuation
    { "Cote d'Ivoire", "CI" },
    { "Sao Tome and Principe", "ST" },
    { "Osterreich", "AT" },
    { "U.S.A.", "US" },
    { "U.K.", "GB" },
    { "Guinea Bissau", "GW" },
    //  The explicit aliases
    { "Great Britain", "GB" },
    { "England", "GB" },
    { "Russian Federation", "RU" },
    { "Российская Федерация", "RU" },
    { "РФ", "RU" },
    //  ICU's Region: numeric (OKSM) codes, a deprecated code
    { "643", "RU" },
    { "276", "DE" },
    { "DD", "DE" },
    //  libphonenumber's regions beyond ISO's list
    { "AC", "AC" },
    { "TA", "TA" },
    //  No country
    { "", NULL },
    { "   ", NULL },
    { "Atlantis", NULL },
    { "Germanyy", NULL },
    { "ZZ", NULL },
    { "001", NULL },                //  the world
    { "150", NULL },                //  Europe
    { "EU", NULL },
    { "SU", NULL },                 //  split: several successors
    { "\xff\xfe\x80", NULL },       //  not UTF-8
    { NULL, NULL }
};

//  Runs every region case `rounds` times; the number of mismatches.
static int
s_run_region_cases (int rounds, bool verbose)
{
    int mismatches = 0;
    for (int round = 0; round < rounds; round++)
        for (const s_region_case_t *test = s_region_cases; test->country; test++) {
            char buf [CRMQ_PHONE_REGION_MAX];
            strcpy (buf, "-");
            const int rc = crmq_phone_region (test->country, buf, sizeof buf);
            if (verbose)
                printf ("\n%-42s -> %s", test->country, rc == 0? buf: "-1");
            const bool ok = test->code? rc == 0 && strcmp (buf, test->code) == 0
                                      : rc == -1 && strcmp (buf, "-") == 0;
            if (!ok) {
                fprintf (stderr, "\ncrmq_phone_region: %s: got %s (rc %d), want %s\n",
                         test->country, buf, rc, test->code? test->code: "-1");
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

    //  Countries
    assert (s_run_region_cases (1, verbose) == 0);
    char region [CRMQ_PHONE_REGION_MAX];
    strcpy (region, "-");
    assert (crmq_phone_region (NULL, region, sizeof region) == -1);
    assert (strcmp (region, "-") == 0);
    assert (crmq_phone_region ("Germany", NULL, 3) == -1);
    assert (crmq_phone_region ("Germany", region, 1) == -1);
    assert (strcmp (region, "-") == 0);
    assert (crmq_phone_region ("Germany", region, 2) == -1);
    assert (strcmp (region, "-") == 0);

    //  Northwind's phone numbers under the region of its country.  Mexico's
    //  "(5) 555-4729" is from before 2019's ten-digit plan: not possible now
    struct {
        const char *phone;
        const char *country;
        const char *e164;           //  NULL: -1 expected
    } northwind [] = {
        { "030-0074321", "Germany", "+49300074321" },
        { "(171) 555-7788", "UK", "+441715557788" },
        { "0921-12 34 65", "Sweden", "+46921123465" },
        { "(5) 555-4729", "Mexico", NULL },
    };
    for (const auto &test: northwind) {
        assert (crmq_phone_region (test.country, region, sizeof region) == 0);
        const int rc = crmq_phone_e164 (test.phone, region, buf, sizeof buf);
        if (verbose)
            printf ("\n%s, %s (%s) -> %s", test.phone, test.country, region, rc == 0? buf: "-1");
        if (test.e164)
            assert (rc == 0 && strcmp (buf, test.e164) == 0);
        else
            assert (rc == -1);
    }

    //  Thread-safe: the same answers from several threads at once
    std::vector <int> mismatches (4, -1);
    std::vector <std::thread> threads;
    for (size_t index = 0; index < mismatches.size (); index++)
        threads.emplace_back ([&mismatches, index] () {
            mismatches [index] = s_run_cases (20, false) + s_run_region_cases (20, false);
        });
    for (std::thread &thread: threads)
        thread.join ();
    for (int count: mismatches)
        assert (count == 0);

    if (verbose)
        printf ("\n");
    printf ("OK\n");
}

/*  crmq_phone.h - phone numbers to E.164, through libphonenumber, and the
    countries they belong to, through ICU.

    A thin C wrapper over Google's libphonenumber and ICU (C++, Debian's
    libphonenumber-dev and libicu-dev; the code is in crmq_phone.cc).  No C++
    exception crosses into C: every one is caught and reported as a failure
    (-1).  Thread-safe: libphonenumber's PhoneNumberUtil is a process-wide
    singleton, created once (pthread_once) on first use and never freed, and
    ICU caches the locale data it loads until exit, so valgrind shows their
    memory as "still reachable".  crmq_phone_region's own table is built once
    and freed at exit.                                                      */
#ifndef CRMQ_PHONE_H_INCLUDED
#define CRMQ_PHONE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

//  Longest E.164 string with its NUL: '+', at most 15 digits, NUL.  A buffer
//  of this size always suffices for crmq_phone_e164.
#define CRMQ_PHONE_E164_MAX  17

//  Normalises a phone number as entered ("+7 (495) 123-45-67", "8 495 1234567",
//  "74951234567", "030-0074321") to E.164 ("+74951234567") into buf.
//  default_region: ISO 3166-1 alpha-2 ("RU", "DE"; either case) used when the
//  number has no country code; NULL or "" accepts only numbers that carry
//  one ("+..."), as does a region libphonenumber does not know.
//  Returns 0, or -1 when the text is not a possible phone number (writes
//  nothing then).  Thread-safe.
//
//  `text` (UTF-8, borrowed) is parsed by libphonenumber with default_region.
//  A number counts when its length is possible for its country as a whole
//  number (IS_POSSIBLE); it need not be assigned (libphonenumber's "valid"),
//  but one that could only be dialled locally, without its area code
//  ("123-45-67" under RU), is refused.  Extensions ("ext. 12") are dropped:
//  E.164 has none.
//  The country-code rule: when the text has no '+', the region has a trunk
//  (national) prefix (RU "8", DE "0", ...), and its ASCII digits begin with
//  the region's country calling code, the digits are also parsed as
//  "+<digits>"; if that gives a valid number (libphonenumber's IsValidNumber)
//  it is preferred.  In such regions national numbers are written with the
//  trunk prefix, so digits that start with the country code mean the
//  international form written without '+': under DE "49 176 1234567" gives
//  "+491761234567", where libphonenumber alone keeps "49..." as a national
//  number ("+49491761234567").  libphonenumber does this itself when the
//  digits are too long for a national number ("74951234567" under RU).
//  Regions without a trunk prefix (IT, PL, ...) are left to libphonenumber,
//  their national numbers may well begin with the country code.
//  buf: at least `size` bytes, caller-owned; on success it holds the E.164
//  string with its NUL.  -1 also when text or buf is NULL, or the result with
//  its NUL does not fit in `size` bytes (CRMQ_PHONE_E164_MAX always does),
//  or on an internal failure (out of memory).
int crmq_phone_e164 (const char *text, const char *default_region, char *buf, size_t size);

//  Longest ISO 3166-1 alpha-2 code with its NUL: a buffer of this size always
//  suffices for crmq_phone_region.
#define CRMQ_PHONE_REGION_MAX  3

//  Resolves a country as written ("Germany", "germany", "DE", "DEU", "UK",
//  "USA", "Россия", "Deutschland", "United Kingdom") to its ISO 3166-1 alpha-2
//  code ("DE") in buf (3 bytes suffice).  Returns 0, or -1 when it names no
//  country (buf untouched).  Thread-safe.
//
//  `country` (UTF-8, borrowed) is matched without regard to case (Unicode
//  case folding: "РОССИЯ", "россия"), to leading, trailing and repeated white
//  space, and, when nothing matches exactly, also to accents and punctuation
//  ("Cote d'Ivoire" for "Côte d’Ivoire", "U.S.A.", "Guinea Bissau").  It may
//  be, for every region ICU lists (Locale::getISOCountries) or libphonenumber
//  has metadata for (adds "AC", "TA"):
//    - the alpha-2 or alpha-3 code ("de", "DEU");
//    - the name ICU gives it in English or in Russian, in full, short or
//      variant form ("United Kingdom", "UK", "Czech Republic", "Россия",
//      "США"; with "and" for "&" and "Saint" for "St." in English: "Bosnia
//      and Herzegovina", "Saint Lucia");
//    - its name in its own language(s): ICU's likely language for the region
//      and every ICU locale of it ("Deutschland", "Sverige", "Schweiz",
//      "Suisse", "Svizzera");
//    - a few aliases common in ERP data that ICU lacks ("Great Britain",
//      "England", "Russian Federation", "Российская Федерация", "РФ", ...);
//    - an ASCII code ICU's Region knows: a numeric one ("276", "643": ISO
//      3166-1 numeric, UN M.49, as Russia's OKSM writes them) or a deprecated
//      alias with a single successor ("DD"); not a group ("150", "EU") nor a
//      region that split ("SU", "YU").
//  Where names of two regions collide, the earlier source in this list wins.
//  -1 also when country or buf is NULL, `size` is below 3, or on an internal
//  failure (ICU data missing, out of memory: the table is then empty for the
//  life of the process).  The table (some 1,400 names of 255 regions with
//  ICU 72) is built on the first call, once per process (some 30 ms).
int crmq_phone_region (const char *country, char *buf, size_t size);

//  Self-test.
void crmq_phone_test (bool verbose);

#ifdef __cplusplus
}
#endif

#endif

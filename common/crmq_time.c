/*  crmq_time.c - instants as int64 microseconds since the epoch, UTC.

    Local time in an IANA zone comes from the C library: the zone is made the
    process's TZ for the duration of one conversion (setenv + tzset +
    localtime_r), then the previous TZ is put back.  A mutex serialises the
    crmq_time_* calls among themselves, but the C library's TZ is a process
    global: a conversion is NOT thread-safe against other threads that call
    localtime(), mktime(), getenv() or setenv() at the same moment.  crmq
    services do their work on one thread, so this holds there.

    UTC (NULL, "" or "UTC") never touches TZ and is thread-safe.

    An unknown zone must be caught here: with an unknown TZ, glibc silently
    uses UTC.  So a zone is accepted only when it names a TZif file under
    $TZDIR or /usr/share/zoneinfo.                                          */
#include "crmq.h"
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

#define S_US_PER_SECOND 1000000LL
#define S_ZONE_DIR      "/usr/share/zoneinfo"

static pthread_mutex_t s_tz_lock = PTHREAD_MUTEX_INITIALIZER;

int64_t
crmq_time_now_us (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t) now.tv_sec * S_US_PER_SECOND + now.tv_nsec / 1000;
}

//  --------------------------------------------------------------------------
//  Calendar arithmetic (proleptic Gregorian), exact, no C library involved.

static bool
s_leap (int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int
s_days_in_month (int year, int month)
{
    static const int days [] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return month == 2 && s_leap (year)? 29: days [month - 1];
}

//  Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
static int64_t
s_days_from_civil (int year, int month, int day)
{
    year -= month <= 2;
    int64_t era = (year >= 0? year: year - 399) / 400;
    int64_t yoe = year - era * 400;
    int64_t doy = (153 * (month + (month > 2? -3: 9)) + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

//  Reads exactly `count` digits at *p into *value; false if they are not there.
static bool
s_digits (const char **p, int count, int *value)
{
    int result = 0;
    for (int index = 0; index < count; index++) {
        char c = (*p) [index];
        if (c < '0' || c > '9')
            return false;
        result = result * 10 + (c - '0');
    }
    *p += count;
    *value = result;
    return true;
}

//  --------------------------------------------------------------------------
//  True for the zones handled without the C library.

static bool
s_is_utc (const char *time_zone)
{
    return !time_zone || !*time_zone || streq (time_zone, "UTC");
}

//  True when `time_zone` names a TZif file of the zone database.  Rejects
//  paths that could leave the database (absolute, "..").
static bool
s_zone_known (const char *time_zone)
{
    size_t len = strlen (time_zone);
    if (len == 0 || len > 128 || time_zone [0] == '/' || strstr (time_zone, ".."))
        return false;
    for (const char *c = time_zone; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')
        ||    *c == '/' || *c == '_' || *c == '-' || *c == '+'))
            return false;
    const char *dir = getenv ("TZDIR");
    if (!dir || !*dir)
        dir = S_ZONE_DIR;
    char path [512];
    if (snprintf (path, sizeof path, "%s/%s", dir, time_zone) >= (int) sizeof path)
        return false;
    struct stat info;
    if (stat (path, &info) || !S_ISREG (info.st_mode))
        return false;
    FILE *file = fopen (path, "rb");
    if (!file)
        return false;
    char magic [4];
    bool tzif = fread (magic, 1, sizeof magic, file) == sizeof magic
             && memcmp (magic, "TZif", 4) == 0;
    fclose (file);
    return tzif;
}

//  The TZ in force before s_zone_enter; restored by s_zone_leave.
typedef struct {
    char *saved;
    bool was_set;
} s_zone_t;

//  Takes the lock and makes `time_zone` the process TZ.  Returns false (and
//  holds nothing) for an unknown zone or out of memory.
static bool
s_zone_enter (s_zone_t *zone, const char *time_zone)
{
    if (!s_zone_known (time_zone))
        return false;
    char value [140];
    snprintf (value, sizeof value, ":%s", time_zone);
    pthread_mutex_lock (&s_tz_lock);
    const char *current = getenv ("TZ");
    zone->was_set = current != NULL;
    zone->saved = current? strdup (current): NULL;
    if ((current && !zone->saved) || setenv ("TZ", value, 1)) {
        free (zone->saved);
        pthread_mutex_unlock (&s_tz_lock);
        return false;
    }
    tzset ();
    return true;
}

static void
s_zone_leave (s_zone_t *zone)
{
    if (zone->was_set)
        setenv ("TZ", zone->saved, 1);
    else
        unsetenv ("TZ");
    tzset ();
    free (zone->saved);
    zone->saved = NULL;
    pthread_mutex_unlock (&s_tz_lock);
}

//  UTC offset in seconds at instant `t`, in the zone now in force.
static long
s_offset (time_t t)
{
    struct tm tm;
    if (!localtime_r (&t, &tm))
        return 0;
    return tm.tm_gmtoff;
}

//  --------------------------------------------------------------------------
//  The instant at which the wall clock of the zone in force shows `wall`
//  (seconds since the epoch as if the wall time were UTC).
//
//  The offsets two days before and after bound the candidates (no zone
//  changes its offset twice within four days): t = wall - offset is right when
//  the offset at t is that offset.  Two right answers (a repeated hour) give
//  the earlier; none (a skipped hour) takes the offset from before the gap,
//  which lands past the gap: 02:30 on a spring-forward day becomes 03:30.

static time_t
s_local_to_utc (time_t wall, bool *skipped)
{
    long before = s_offset (wall - 2 * 86400);
    long after = s_offset (wall + 2 * 86400);
    time_t first = wall - before;
    time_t second = wall - after;
    bool first_ok = s_offset (first) == before;
    bool second_ok = s_offset (second) == after;
    *skipped = !first_ok && !second_ok;
    if (first_ok && second_ok)
        return first < second? first: second;
    if (second_ok)
        return second;
    return first;
}

//  crmq_time_parse, and with `exact` crmq_time_parse_exact.
static int
s_parse (const char *text, const char *time_zone, int64_t *us, bool exact)
{
    if (!text || !us)
        return -1;
    const char *p = text;
    int year, month, day, hour = 0, minute = 0, second = 0;
    if (!s_digits (&p, 4, &year) || *p++ != '-'
    ||  !s_digits (&p, 2, &month) || *p++ != '-'
    ||  !s_digits (&p, 2, &day))
        return -1;
    if (*p == ' ' || *p == 'T') {
        p++;
        if (!s_digits (&p, 2, &hour) || *p++ != ':' || !s_digits (&p, 2, &minute))
            return -1;
        if (*p == ':') {
            p++;
            if (!s_digits (&p, 2, &second))
                return -1;
        }
    }
    if (*p)
        return -1;
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > s_days_in_month (year, month)
    ||  hour > 23 || minute > 59 || second > 59)
        return -1;

    int64_t wall = s_days_from_civil (year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
    int64_t instant = wall;
    if (!s_is_utc (time_zone)) {
        s_zone_t zone;
        if (!s_zone_enter (&zone, time_zone))
            return -1;
        bool skipped;
        instant = (int64_t) s_local_to_utc ((time_t) wall, &skipped);
        s_zone_leave (&zone);
        if (skipped && exact)
            return -2;
    }
    *us = instant * S_US_PER_SECOND;
    return 0;
}

int
crmq_time_parse (const char *text, const char *time_zone, int64_t *us)
{
    return s_parse (text, time_zone, us, false);
}

int
crmq_time_parse_exact (const char *text, const char *time_zone, int64_t *us)
{
    return s_parse (text, time_zone, us, true);
}

//  Splits microseconds into whole seconds (floor) and the microseconds left.
static void
s_split (int64_t us, time_t *seconds, long *micros)
{
    int64_t whole = us / S_US_PER_SECOND;
    int64_t rest = us % S_US_PER_SECOND;
    if (rest < 0) {
        whole--;
        rest += S_US_PER_SECOND;
    }
    *seconds = (time_t) whole;
    *micros = (long) rest;
}

int
crmq_time_format (int64_t us, const char *time_zone, bool date_only, char *buf, size_t size)
{
    if (!buf || size == 0)
        return -1;
    time_t seconds;
    long micros;
    s_split (us, &seconds, &micros);
    struct tm tm;
    if (s_is_utc (time_zone)) {
        if (!gmtime_r (&seconds, &tm))
            return -1;
    }
    else {
        s_zone_t zone;
        if (!s_zone_enter (&zone, time_zone))
            return -1;
        struct tm *done = localtime_r (&seconds, &tm);
        s_zone_leave (&zone);
        if (!done)
            return -1;
    }
    if (tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999)
        return -1;
    int len = date_only
        ? snprintf (buf, size, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday)
        : snprintf (buf, size, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (len < 0 || (size_t) len >= size) {
        buf [0] = 0;
        return -1;
    }
    return len;
}

int
crmq_time_to_pg (int64_t us, char *buf, size_t size)
{
    if (!buf || size == 0)
        return -1;
    time_t seconds;
    long micros;
    s_split (us, &seconds, &micros);
    struct tm tm;
    if (!gmtime_r (&seconds, &tm) || tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999)
        return -1;
    int len = snprintf (buf, size, "%04d-%02d-%02d %02d:%02d:%02d.%06ld+00",
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                        tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
    if (len < 0 || (size_t) len >= size) {
        buf [0] = 0;
        return -1;
    }
    return len;
}

//  --------------------------------------------------------------------------
//  Self-test

//  Parses and expects success with *us, or failure.
static int64_t
s_parse_ok (const char *text, const char *time_zone)
{
    int64_t us = 0;
    int rc = crmq_time_parse (text, time_zone, &us);
    if (rc != 0) {
        printf ("\ncrmq_time_parse (\"%s\", %s) failed\n", text, time_zone? time_zone: "NULL");
        assert (false);
    }
    return us;
}

static void
s_parse_fails (const char *text, const char *time_zone)
{
    int64_t us = 42;
    int rc = crmq_time_parse (text, time_zone, &us);
    if (rc != -1 || us != 42) {
        printf ("\ncrmq_time_parse (\"%s\", %s) should fail\n", text? text: "NULL",
                time_zone? time_zone: "NULL");
        assert (false);
    }
}

static void
s_format_is (int64_t us, const char *time_zone, bool date_only, const char *expect)
{
    char buf [64];
    int rc = crmq_time_format (us, time_zone, date_only, buf, sizeof buf);
    if (rc != (int) strlen (expect) || strcmp (buf, expect)) {
        printf ("\ncrmq_time_format (%lld, %s): \"%s\", expected \"%s\"\n",
                (long long) us, time_zone? time_zone: "NULL", rc >= 0? buf: "", expect);
        assert (false);
    }
}

#define S_HOUR (3600 * S_US_PER_SECOND)

void
crmq_time_test (bool verbose)
{
    printf (" * crmq_time: ");

    int64_t now = crmq_time_now_us ();
    assert (now > 1700000000LL * S_US_PER_SECOND);

    //  UTC
    assert (s_parse_ok ("1970-01-01", NULL) == 0);
    assert (s_parse_ok ("2026-03-29", NULL) == 1774742400LL * S_US_PER_SECOND);
    assert (s_parse_ok ("2026-03-29", "") == 1774742400LL * S_US_PER_SECOND);
    assert (s_parse_ok ("2026-03-29", "UTC") == 1774742400LL * S_US_PER_SECOND);
    assert (s_parse_ok ("2026-03-29", "Etc/UTC") == 1774742400LL * S_US_PER_SECOND);
    assert (s_parse_ok ("2026-03-29 01:02:03", NULL) == (1774742400LL + 3723) * S_US_PER_SECOND);
    assert (s_parse_ok ("2026-03-29T01:02", NULL) == (1774742400LL + 3720) * S_US_PER_SECOND);
    assert (s_parse_ok ("1969-12-31 23:59:59", NULL) == -S_US_PER_SECOND);
    assert (s_parse_ok ("2024-02-29", NULL) == 1709164800LL * S_US_PER_SECOND);
    assert (s_parse_ok ("2000-02-29", NULL) > 0);
    assert (s_parse_ok ("0001-01-01", NULL) == -62135596800LL * S_US_PER_SECOND);
    assert (s_parse_ok ("9999-12-31 23:59:59", NULL) == 253402300799LL * S_US_PER_SECOND);

    //  Europe/Berlin: 2026-03-29 has 23 hours, 2026-10-25 has 25
    int64_t day = s_parse_ok ("2026-03-29", "Europe/Berlin");
    assert (day == 1774738800LL * S_US_PER_SECOND);
    assert (s_parse_ok ("2026-03-30", "Europe/Berlin") - day == 23 * S_HOUR);
    day = s_parse_ok ("2026-10-25", "Europe/Berlin");
    assert (s_parse_ok ("2026-10-26", "Europe/Berlin") - day == 25 * S_HOUR);
    assert (s_parse_ok ("2026-03-28", "Europe/Berlin") + 24 * S_HOUR
            == s_parse_ok ("2026-03-29", "Europe/Berlin"));
    //  Winter and summer offsets
    assert (s_parse_ok ("2026-01-15 12:00", "Europe/Berlin") == s_parse_ok ("2026-01-15 11:00", NULL));
    assert (s_parse_ok ("2026-07-15 12:00", "Europe/Berlin") == s_parse_ok ("2026-07-15 10:00", NULL));
    //  02:30 does not exist on 2026-03-29 in Berlin: exact parsing refuses it
    int64_t exact = 0;
    assert (crmq_time_parse_exact ("2026-03-29 02:30", "Europe/Berlin", &exact) == -2);
    assert (crmq_time_parse_exact ("2026-03-29 03:30", "Europe/Berlin", &exact) == 0);
    assert (crmq_time_parse_exact ("2026-10-25 02:30", "Europe/Berlin", &exact) == 0);
    assert (exact == s_parse_ok ("2026-10-25 00:30", NULL));     //  the earlier, in summer time
    assert (crmq_time_parse_exact ("2026-03-29 02:30", "Europe/Moscow", &exact) == 0);
    //  ... and plain parsing moves it past the gap
    int64_t gap = s_parse_ok ("2026-03-29 02:30", "Europe/Berlin");
    s_format_is (gap, "Europe/Berlin", false, "2026-03-29 03:30:00");
    assert (gap == s_parse_ok ("2026-03-29 01:30", NULL));
    //  Around the gap
    assert (s_parse_ok ("2026-03-29 01:59:59", "Europe/Berlin") == s_parse_ok ("2026-03-29 00:59:59", NULL));
    assert (s_parse_ok ("2026-03-29 03:00", "Europe/Berlin") == s_parse_ok ("2026-03-29 01:00", NULL));
    //  02:30 on 2026-10-25 happens twice: the first one (summer time)
    assert (s_parse_ok ("2026-10-25 02:30", "Europe/Berlin") == s_parse_ok ("2026-10-25 00:30", NULL));

    //  America/New_York: 2026-03-08 has 23 hours, 2026-11-01 has 25
    day = s_parse_ok ("2026-03-08", "America/New_York");
    assert (day == 1772946000LL * S_US_PER_SECOND);
    assert (s_parse_ok ("2026-03-09", "America/New_York") - day == 23 * S_HOUR);
    day = s_parse_ok ("2026-11-01", "America/New_York");
    assert (s_parse_ok ("2026-11-02", "America/New_York") - day == 25 * S_HOUR);
    assert (s_parse_ok ("2026-11-01 01:30", "America/New_York") == 1793511000LL * S_US_PER_SECOND);
    s_format_is (s_parse_ok ("2026-03-08 02:30", "America/New_York"), "America/New_York", false,
                 "2026-03-08 03:30:00");
    //  A zone east of UTC across the date line
    assert (s_parse_ok ("2026-01-01", "Pacific/Kiritimati") == s_parse_ok ("2025-12-31 10:00", NULL));

    //  The caller's TZ is left as it was, set or not
    char *saved_tz = getenv ("TZ")? strdup (getenv ("TZ")): NULL;
    setenv ("TZ", "Asia/Tokyo", 1);
    tzset ();
    s_parse_ok ("2026-03-29", "Europe/Berlin");
    assert (streq (getenv ("TZ"), "Asia/Tokyo"));
    unsetenv ("TZ");
    tzset ();
    s_parse_ok ("2026-03-29", "Europe/Berlin");
    assert (getenv ("TZ") == NULL);
    s_format_is (0, "Europe/Berlin", false, "1970-01-01 01:00:00");
    assert (getenv ("TZ") == NULL);
    if (saved_tz)
        setenv ("TZ", saved_tz, 1);
    tzset ();
    free (saved_tz);

    //  Bad text, impossible dates, unknown zones
    const char *bad [] = {
        "", "2026", "2026-03", "2026-02-30", "2025-02-29", "1900-02-29", "2026-13-01",
        "2026-00-10", "2026-04-31", "2026-01-00", "0000-01-01", "2026-1-01", "2026-01-1",
        "26-01-01", "2026/01/01", "2026-01-01 24:00", "2026-01-01 12:60", "2026-01-01 12:00:60",
        "2026-01-01x", "2026-01-01 ", "2026-01-01 12", "2026-01-01 12:0", "2026-01-01T12:00:00Z",
        "2026-01-01 12:00:00.5", "2026-01-01 12:00:00+01", " 2026-01-01", "2026-01-01  12:00",
        "+2026-01-01", "２０２６-01-01", NULL
    };
    for (int index = 0; bad [index]; index++)
        s_parse_fails (bad [index], NULL);
    s_parse_fails (NULL, NULL);
    const char *bad_zones [] = {
        "Europe/Nowhere", "Mars/Olympus", "../../etc/passwd", "/etc/localtime", "zone.tab",
        "Europe", "Europe/", "europe/berlin x", "Europe/Berlin\n", "Europe/../Europe/Berlin", NULL
    };
    for (int index = 0; bad_zones [index]; index++)
        s_parse_fails ("2026-03-29", bad_zones [index]);

    //  Formatting
    s_format_is (0, NULL, false, "1970-01-01 00:00:00");
    s_format_is (-1, NULL, false, "1969-12-31 23:59:59");
    s_format_is (999999, NULL, false, "1970-01-01 00:00:00");
    s_format_is (1774742400LL * S_US_PER_SECOND, NULL, true, "2026-03-29");
    s_format_is (1774738800LL * S_US_PER_SECOND, "Europe/Berlin", true, "2026-03-29");
    s_format_is (1774738800LL * S_US_PER_SECOND, "Europe/Berlin", false, "2026-03-29 00:00:00");
    s_format_is (1774738800LL * S_US_PER_SECOND, "America/New_York", false, "2026-03-28 19:00:00");
    char buf [32];
    assert (crmq_time_format (0, NULL, true, buf, 11) == 10);
    assert (crmq_time_format (0, NULL, true, buf, 10) == -1);
    assert (crmq_time_format (0, "Europe/Nowhere", true, buf, sizeof buf) == -1);
    assert (crmq_time_format (INT64_MAX, NULL, false, buf, sizeof buf) == -1);

    //  PostgreSQL text
    int rc = crmq_time_to_pg (836438400LL * S_US_PER_SECOND, buf, sizeof buf);
    assert (rc == 29);
    assert (streq (buf, "1996-07-04 00:00:00.000000+00"));
    rc = crmq_time_to_pg (836438400LL * S_US_PER_SECOND + 123456, buf, sizeof buf);
    assert (streq (buf, "1996-07-04 00:00:00.123456+00"));
    rc = crmq_time_to_pg (-1, buf, sizeof buf);
    assert (streq (buf, "1969-12-31 23:59:59.999999+00"));
    assert (crmq_time_to_pg (0, buf, 29) == -1);
    assert (crmq_time_to_pg (0, buf, 30) == 29);
    //  Round trip through text
    int64_t instant = s_parse_ok ("2026-11-29 17:00:00", "Europe/Moscow");
    rc = crmq_time_format (instant, "Europe/Moscow", false, buf, sizeof buf);
    assert (rc > 0);
    assert (streq (buf, "2026-11-29 17:00:00"));

    if (verbose)
        printf ("(now %lld) ", (long long) now);
    printf ("OK\n");
}

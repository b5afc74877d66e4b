/*  report_schedule.c - a template's schedule; see report_schedule.h.  */
#include "crmq.h"
#include "report_schedule.h"

#include <libical/ical.h>
#include <strings.h>

//  Occurrences walked at most in one call: more than a century of hourly
//  runs, about 2 s of libical at worst.
#define S_STEPS_MAX     1000000

struct _report_schedule_t {
    struct icalrecurrencetype rule;
    struct icaltimetype start;          //  floating wall time, seconds 0
    char *time_zone;
};

//  The wall time of `us` in `time_zone` as a floating icaltime.  Returns 0
//  or -1 (unknown zone, out of range).
static int
s_wall (int64_t us, const char *time_zone, struct icaltimetype *wall)
{
    char text [32];
    if (crmq_time_format (us, time_zone, false, text, sizeof text) < 0)
        return -1;
    int year, month, day, hour, minute, second;
    if (sscanf (text, "%d-%d-%d %d:%d:%d", &year, &month, &day, &hour, &minute, &second) != 6)
        return -1;
    *wall = icaltime_null_time ();
    wall->year = year;
    wall->month = month;
    wall->day = day;
    wall->hour = hour;
    wall->minute = minute;
    wall->second = second;
    wall->is_date = 0;
    return 0;
}

//  The instant of wall time `wall` in `time_zone` (RFC 5545's rules for
//  skipped and repeated wall times, as crmq_time_parse keeps them).
//  Returns 0 or -1.
static int
s_instant (struct icaltimetype wall, const char *time_zone, int64_t *us)
{
    char text [32];
    snprintf (text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d", wall.year, wall.month,
              wall.day, wall.hour, wall.minute, wall.second);
    return crmq_time_parse (text, time_zone, us) == 0? 0: -1;
}

report_schedule_t *
report_schedule_new (const char *rule, const char *time_zone, int64_t start_us, char *why,
                     size_t why_size)
{
    snprintf (why, why_size, "the rule is empty");
    if (!rule || !*rule)
        return NULL;
    if (strlen (rule) > REPORT_SCHEDULE_BYTES) {
        snprintf (why, why_size, "the rule is longer than %d bytes", REPORT_SCHEDULE_BYTES);
        return NULL;
    }
    if (strncasecmp (rule, "RRULE:", 6) == 0)
        rule += 6;
    //  libical 3.0 allocates RSCALE's value and has no call that frees it
    if (strcasestr (rule, "RSCALE")) {
        snprintf (why, why_size, "RSCALE is not supported");
        return NULL;
    }
    icalerror_clear_errno ();
    struct icalrecurrencetype parsed = icalrecurrencetype_from_string (rule);
    if (parsed.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
        icalerror_clear_errno ();
        snprintf (why, why_size, "not an RRULE (RFC 5545) such as"
                  " FREQ=WEEKLY;BYDAY=MO;BYHOUR=7;BYMINUTE=0");
        return NULL;
    }
    if (parsed.freq == ICAL_SECONDLY_RECURRENCE || parsed.freq == ICAL_MINUTELY_RECURRENCE) {
        snprintf (why, why_size, "FREQ=%s is too frequent for reports",
                  parsed.freq == ICAL_SECONDLY_RECURRENCE? "SECONDLY": "MINUTELY");
        return NULL;
    }
    struct icaltimetype start;
    if (s_wall (start_us, time_zone, &start) != 0) {
        snprintf (why, why_size, "time zone \"%s\" is unknown", time_zone? time_zone: "");
        return NULL;
    }
    start.second = 0;
    //  a rule libical reads but cannot expand (BYMONTHDAY=31 in February)
    icalrecur_iterator *iterator = icalrecur_iterator_new (parsed, start);
    if (!iterator) {
        icalerror_clear_errno ();
        snprintf (why, why_size, "no date matches every part of the rule");
        return NULL;
    }
    icalrecur_iterator_free (iterator);
    report_schedule_t *self = (report_schedule_t *) zmalloc (sizeof (report_schedule_t));
    self->rule = parsed;
    self->start = start;
    self->time_zone = strdup (time_zone? time_zone: "");
    return self;
}

void
report_schedule_destroy (report_schedule_t **self_p)
{
    report_schedule_t *self = *self_p;
    if (self) {
        free (self->time_zone);
        free (self);
        *self_p = NULL;
    }
}

//  Walks the occurrences after `after_us` in order, distinct instants only,
//  calling `visit` with each until it returns false.  Wall times more than
//  two days before after_us's are skipped without a zone conversion (no
//  zone's offset moves by a day).  Returns the number of steps taken, or
//  -1 when after_us is out of the zone's range.
typedef bool (s_visit_fn) (int64_t us, void *arg);

static int
s_walk (report_schedule_t *self, int64_t after_us, s_visit_fn *visit, void *arg)
{
    struct icaltimetype floor;
    if (s_wall (after_us, self->time_zone, &floor) != 0)
        return -1;
    icaltime_adjust (&floor, -2, 0, 0, 0);
    icalrecur_iterator *iterator = icalrecur_iterator_new (self->rule, self->start);
    if (!iterator)
        return -1;
    int steps = 0;
    int64_t last = INT64_MIN;
    while (steps < S_STEPS_MAX) {
        steps++;
        struct icaltimetype wall = icalrecur_iterator_next (iterator);
        if (icaltime_is_null_time (wall))
            break;
        if (icaltime_compare (wall, floor) < 0)
            continue;
        int64_t us;
        if (s_instant (wall, self->time_zone, &us) != 0)
            break;
        if (us <= after_us || us <= last)
            continue;
        last = us;
        if (!visit (us, arg))
            break;
    }
    icalrecur_iterator_free (iterator);
    icalerror_clear_errno ();
    return steps;
}

static bool
s_first (int64_t us, void *arg)
{
    *(int64_t *) arg = us;
    return false;
}

int64_t
report_schedule_next (report_schedule_t *self, int64_t after_us)
{
    int64_t next = 0;
    s_walk (self, after_us, s_first, &next);
    return next;
}

typedef struct {
    int64_t to_us;
    int count;
    int max;
} s_count_t;

static bool
s_count (int64_t us, void *arg)
{
    s_count_t *count = (s_count_t *) arg;
    if (us > count->to_us || count->count >= count->max)
        return false;
    count->count++;
    return count->count < count->max;
}

int
report_schedule_count (report_schedule_t *self, int64_t after_us, int64_t to_us, int max)
{
    s_count_t count = { to_us, 0, max };
    if (to_us > after_us && max > 0)
        s_walk (self, after_us, s_count, &count);
    return count.count;
}

int64_t
report_schedule_min_gap (report_schedule_t *self)
{
    icalrecur_iterator *iterator = icalrecur_iterator_new (self->rule, self->start);
    if (!iterator)
        return INT64_MAX;
    int64_t gap = INT64_MAX;
    time_t previous = 0;
    for (int i = 0; i < REPORT_SCHEDULE_GAP_SCAN; i++) {
        struct icaltimetype wall = icalrecur_iterator_next (iterator);
        if (icaltime_is_null_time (wall))
            break;
        //  floating: plain calendar arithmetic, no zone
        time_t seconds = icaltime_as_timet (wall);
        if (i > 0 && seconds - previous < gap)
            gap = seconds - previous;
        previous = seconds;
    }
    icalrecur_iterator_free (iterator);
    icalerror_clear_errno ();
    return gap;
}

//  --------------------------------------------------------------------------
//  Self test

//  The instant of "YYYY-MM-DD HH:MM" in `zone`.
static int64_t
s_test_at (const char *text, const char *zone)
{
    int64_t us = 0;
    assert (crmq_time_parse (text, zone, &us) == 0);
    return us;
}

//  Asserts that `us` shows as `expected` in `zone` and at `utc` in UTC.
static void
s_test_shows (int64_t us, const char *zone, const char *expected, const char *utc,
              bool verbose)
{
    char local [32], universal [32];
    assert (crmq_time_format (us, zone, false, local, sizeof local) > 0);
    assert (crmq_time_format (us, NULL, false, universal, sizeof universal) > 0);
    if (verbose)
        printf ("   %s %s = %s UTC\n", local, zone, universal);
    assert (streq (local, expected));
    assert (streq (universal, utc));
}

void
report_schedule_test (bool verbose)
{
    printf (" * report_schedule: ");
    if (verbose)
        printf ("\n");
    char why [200];
    const char *berlin = "Europe/Berlin";

    //  A daily 07:00 run across both DST changes of 2024 in Berlin: 07:00
    //  local every day, 06:00 UTC in winter, 05:00 UTC in summer
    int64_t start = s_test_at ("2024-03-29 18:42", berlin);
    report_schedule_t *daily = report_schedule_new ("FREQ=DAILY;BYHOUR=7;BYMINUTE=0", berlin,
                                                    start, why, sizeof why);
    assert (daily);
    int64_t first = report_schedule_next (daily, start);
    s_test_shows (first, berlin, "2024-03-30 07:00:00", "2024-03-30 06:00:00", verbose);
    int64_t second = report_schedule_next (daily, first);
    s_test_shows (second, berlin, "2024-03-31 07:00:00", "2024-03-31 05:00:00", verbose);
    int64_t third = report_schedule_next (daily, second);
    s_test_shows (third, berlin, "2024-04-01 07:00:00", "2024-04-01 05:00:00", verbose);
    //  23 hours between the two runs around the spring change
    assert (second - first == 23LL * 3600 * 1000000);
    //  autumn, months later (the walk skips without converting)
    int64_t autumn = report_schedule_next (daily, s_test_at ("2024-10-26 06:59", berlin));
    s_test_shows (autumn, berlin, "2024-10-26 07:00:00", "2024-10-26 05:00:00", verbose);
    int64_t after = report_schedule_next (daily, autumn);
    s_test_shows (after, berlin, "2024-10-27 07:00:00", "2024-10-27 06:00:00", verbose);
    assert (after - autumn == 25LL * 3600 * 1000000);
    //  strictly after: an occurrence at `after` itself is not next
    assert (report_schedule_next (daily, second - 1) == second);
    //  occurrences in (first, third]: second and third
    assert (report_schedule_count (daily, first, third, 100) == 2);
    assert (report_schedule_count (daily, first, third, 1) == 1);
    assert (report_schedule_count (daily, third, first, 100) == 0);
    assert (report_schedule_min_gap (daily) == 86400);
    report_schedule_destroy (&daily);
    report_schedule_destroy (&daily);

    //  Hourly across the spring gap: 02:00 does not exist and falls on
    //  03:00, which is then one occurrence, not two
    start = s_test_at ("2024-03-31 00:10", berlin);
    report_schedule_t *hourly = report_schedule_new ("RRULE:FREQ=HOURLY;BYMINUTE=0", berlin,
                                                     start, why, sizeof why);
    assert (hourly);
    int64_t one = report_schedule_next (hourly, start);
    s_test_shows (one, berlin, "2024-03-31 01:00:00", "2024-03-31 00:00:00", verbose);
    int64_t three = report_schedule_next (hourly, one);
    s_test_shows (three, berlin, "2024-03-31 03:00:00", "2024-03-31 01:00:00", verbose);
    int64_t four = report_schedule_next (hourly, three);
    s_test_shows (four, berlin, "2024-03-31 04:00:00", "2024-03-31 02:00:00", verbose);
    assert (report_schedule_count (hourly, start, four, 100) == 3);
    assert (report_schedule_min_gap (hourly) == 3600);
    report_schedule_destroy (&hourly);

    //  Weekly on Mondays at 07:30 in New York across its spring change
    const char *new_york = "America/New_York";
    start = s_test_at ("2024-03-05 12:00", new_york);
    report_schedule_t *weekly = report_schedule_new ("FREQ=WEEKLY;BYDAY=MO;BYHOUR=7;BYMINUTE=30",
                                                     new_york, start, why, sizeof why);
    assert (weekly);
    int64_t monday = report_schedule_next (weekly, start);
    s_test_shows (monday, new_york, "2024-03-11 07:30:00", "2024-03-11 11:30:00", verbose);
    assert (report_schedule_min_gap (weekly) == 7 * 86400);
    report_schedule_destroy (&weekly);

    //  Without BYHOUR the start's wall time to the minute repeats
    start = s_test_at ("2024-06-01 09:15:42", berlin);
    report_schedule_t *plain = report_schedule_new ("FREQ=DAILY", berlin, start, why, sizeof why);
    assert (plain);
    s_test_shows (report_schedule_next (plain, start), berlin, "2024-06-02 09:15:00",
                  "2024-06-02 07:15:00", verbose);
    report_schedule_destroy (&plain);

    //  COUNT and UNTIL end a rule
    report_schedule_t *counted = report_schedule_new ("FREQ=DAILY;COUNT=2", "UTC", 0, why,
                                                      sizeof why);
    assert (counted);
    assert (report_schedule_next (counted, 0) == 86400LL * 1000000);
    assert (report_schedule_next (counted, 86400LL * 1000000) == 0);
    assert (report_schedule_min_gap (counted) == 86400);
    report_schedule_destroy (&counted);
    report_schedule_t *until = report_schedule_new ("FREQ=DAILY;UNTIL=19700101T000000Z", "UTC",
                                                    86400LL * 1000000, why, sizeof why);
    assert (until);
    assert (report_schedule_next (until, 0) == 0);
    assert (report_schedule_min_gap (until) == INT64_MAX);
    report_schedule_destroy (&until);

    //  occurrences closer than an hour show in the gap
    report_schedule_t *dense = report_schedule_new ("FREQ=DAILY;BYHOUR=7;BYMINUTE=0,30", "UTC",
                                                    0, why, sizeof why);
    assert (dense && report_schedule_min_gap (dense) == 1800);
    report_schedule_destroy (&dense);

    //  refused
    const char *bad [] = {
        "", "FREQ=BOGUS", "garbage", "FREQ=WEEKLY;BYDAY=XX", "FREQ=DAILY;BYHOUR=25",
        "FREQ=DAILY;FOO=1", "DTSTART:20240101T000000\nRRULE:FREQ=DAILY", "FREQ=MINUTELY",
        "FREQ=SECONDLY", "FREQ=MINUTELY;INTERVAL=120", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31",
        "RSCALE=GREGORIAN;FREQ=YEARLY", NULL
    };
    for (const char **rule = bad; *rule; rule++) {
        report_schedule_t *refused = report_schedule_new (*rule, "UTC", 0, why, sizeof why);
        if (verbose)
            printf ("   \"%s\": %s\n", *rule, why);
        assert (refused == NULL);
    }
    assert (strstr (why, "RSCALE"));
    assert (!report_schedule_new ("FREQ=MINUTELY", "UTC", 0, why, sizeof why));
    assert (streq (why, "FREQ=MINUTELY is too frequent for reports"));
    assert (!report_schedule_new ("FREQ=DAILY", "Nowhere/Atlantis", 0, why, sizeof why));
    assert (strstr (why, "time zone"));
    char *long_rule = (char *) zmalloc (REPORT_SCHEDULE_BYTES + 2);
    memset (long_rule, 'x', REPORT_SCHEDULE_BYTES + 1);
    assert (!report_schedule_new (long_rule, "UTC", 0, why, sizeof why));
    assert (strstr (why, "longer than"));
    free (long_rule);
    printf ("OK\n");
}

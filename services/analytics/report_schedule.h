/*  report_schedule.h - the occurrences of a report template's schedule.

    A schedule is an iCalendar recurrence rule (RFC 5545, section 3.3.10:
    "FREQ=WEEKLY;BYDAY=MO;BYHOUR=7;BYMINUTE=0"), parsed and expanded by
    libical, read in an IANA zone from a start (the rule's DTSTART: the
    time the template was saved, to the minute).  Occurrences are expanded
    as wall times of the zone (floating times, no zone for libical) and only
    then turned into instants (crmq_time_parse), so a daily 07:00 run stays
    at 07:00 across a DST change.  RFC 5545 on wall times a DST change makes
    odd: one the clocks skip (02:30 on a spring-forward night) takes the
    offset from before the gap (03:30), one that comes twice (autumn) the
    first; two wall times that so fall on one instant are one occurrence.  */
#ifndef REPORT_SCHEDULE_H_INCLUDED
#define REPORT_SCHEDULE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REPORT_SCHEDULE_BYTES       1000    //  longest rule text
#define REPORT_SCHEDULE_GAP_SCAN    1000    //  occurrences the shortest gap is looked for in

typedef struct _report_schedule_t report_schedule_t;

//  Parses `rule` (an RRULE value; "RRULE:" before it is allowed) for
//  occurrences in `time_zone` (IANA) from the wall time of `start_us` in
//  that zone, seconds dropped.  Returns NULL, with the reason for a person
//  in `why` (why_size bytes; "FREQ=MINUTELY is too frequent for reports"),
//  for text libical does not parse, FREQ=SECONDLY or MINUTELY, RSCALE (not
//  supported), a rule longer than REPORT_SCHEDULE_BYTES, a rule no date
//  matches, or an unknown zone.
report_schedule_t *report_schedule_new (const char *rule, const char *time_zone, int64_t start_us,
                                        char *why, size_t why_size);

//  Frees it; sets *self_p to NULL; safe on NULL.
void report_schedule_destroy (report_schedule_t **self_p);

//  The first occurrence strictly after `after_us`, microseconds since the
//  epoch; 0 when the rule has none (its COUNT or UNTIL has passed, or none
//  comes within about a million occurrences of the start).
int64_t report_schedule_next (report_schedule_t *self, int64_t after_us);

//  How many occurrences fall in (after_us, to_us], at most `max`.
int report_schedule_count (report_schedule_t *self, int64_t after_us, int64_t to_us, int max);

//  The shortest gap between two consecutive occurrences among the first
//  REPORT_SCHEDULE_GAP_SCAN from the start, in seconds of wall time (what
//  the rule says: a DST change does not make an hourly rule denser);
//  INT64_MAX when there are fewer than two.
int64_t report_schedule_min_gap (report_schedule_t *self);

//  Self test (libical and the zone database; no service).
void report_schedule_test (bool verbose);

#endif

/*  crmq_time.h - instants as int64 microseconds since the epoch, UTC.

    Calendar dates are read in an IANA time zone, so a day starts at local
    midnight whatever the DST rules do that day.                             */
#ifndef CRMQ_TIME_H_INCLUDED
#define CRMQ_TIME_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

//  Current time, microseconds since the epoch.
int64_t crmq_time_now_us (void);

//  Parses "YYYY-MM-DD" or "YYYY-MM-DD HH:MM[:SS]" (also with 'T') as local time
//  in `time_zone` (IANA name, NULL or "" = UTC) and stores the instant in *us.
//  A wall time that does not exist (a DST gap) moves forward past the gap.
//  Returns 0, or -1 for bad text, an impossible date or an unknown zone.
int crmq_time_parse (const char *text, const char *time_zone, int64_t *us);

//  As crmq_time_parse for a time a person typed: a wall time the zone skips
//  (02:30 on a spring-forward night) returns -2 instead of moving past the
//  gap; a repeated wall time (autumn) takes the earlier instant.
int crmq_time_parse_exact (const char *text, const char *time_zone, int64_t *us);

//  Writes the instant as "YYYY-MM-DD HH:MM:SS" in `time_zone` (NULL = UTC), or
//  just "YYYY-MM-DD" when `date_only`.  Returns the length or -1.
int crmq_time_format (int64_t us, const char *time_zone, bool date_only, char *buf, size_t size);

//  Writes the instant as PostgreSQL timestamptz text in UTC
//  ("1996-07-04 00:00:00.000000+00"), for query parameters.  Returns length or -1.
int crmq_time_to_pg (int64_t us, char *buf, size_t size);

//  Self-test.
void crmq_time_test (bool verbose);

#endif

/*  crmq_log.h - logfmt logging to stderr.

    One line per call:
        ts=2026-11-29T17:00:00.123456Z level=info service=sales msg="batch committed" events=3
    `msg` is quoted by the logger; `fields` is a printf format for further
    key=value pairs written as given, so wrap any free text in crmq_log_q().  */
#ifndef CRMQ_LOG_H_INCLUDED
#define CRMQ_LOG_H_INCLUDED

#include <stdbool.h>

typedef enum {
    CRMQ_LOG_DEBUG = 0,
    CRMQ_LOG_INFO  = 1,
    CRMQ_LOG_WARN  = 2,
    CRMQ_LOG_ERROR = 3
} crmq_log_level_t;

//  Sets the service name written on every line and the lowest level written
//  ("debug", "info", "warn", "error").  Returns -1 for an unknown level name
//  (the level is then left unchanged), 0 otherwise.  Call once at start-up.
int crmq_log_init (const char *service, const char *level);

//  Writes one line if `level` is enabled.  `fields` may be NULL.
void crmq_log (crmq_log_level_t level, const char *msg, const char *fields, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Returns `text` quoted and escaped for logfmt ("a \"b\"\n" style), cut to
//  512 bytes.  The buffer is thread-local and one of 8 in rotation, so up to
//  8 quoted values may appear in one crmq_log() call.  NULL gives "".
const char *crmq_log_q (const char *text);

//  Self-test.
void crmq_log_test (bool verbose);

#endif

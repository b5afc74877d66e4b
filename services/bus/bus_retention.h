/*  bus_retention.h - removing old events from the log.

    An event is removed when it is older than the retention period, is
    published, and no registered consumer (bus.consumers) still needs it: for
    every consumer whose prefix its topic matches, the consumer's position is
    at or past it.  In "archive" mode removed events are moved to
    bus.outbox_archive (bus.Replay still serves them); in "drop" mode they are
    deleted.                                                                 */
#ifndef BUS_RETENTION_H_INCLUDED
#define BUS_RETENTION_H_INCLUDED

#include "crmq.h"

typedef enum {
    BUS_RETENTION_DROP,
    BUS_RETENTION_ARCHIVE
} bus_retention_mode_t;

//  Parses "drop" or "archive"; returns 0, or -1 for anything else.
int bus_retention_mode_parse (const char *text, bus_retention_mode_t *mode);

//  Removes up to `batch` events older than `seconds` seconds (0 = keep every
//  event: does nothing) with seq <= published.  Returns the number removed,
//  or -1 after a failed statement (logged; nothing removed).
int64_t bus_retention_run (crmq_pg_t *pg, int64_t seconds, bus_retention_mode_t mode,
                           int64_t published, int batch);

#endif

/*  bus_retention.c - removing old events; see bus_retention.h.  */
#include "bus_retention.h"

//  $1 published bound, $2 seconds, $3 batch
#define S_DOOMED \
    "WITH doomed AS (" \
    "  SELECT o.seq FROM bus.outbox o" \
    "   WHERE o.seq <= $1::bigint AND o.created_at < now () - make_interval (secs => $2::bigint)" \
    "     AND NOT EXISTS (SELECT 1 FROM bus.consumers c" \
    "                      WHERE o.seq > c.position AND starts_with (o.topic, c.topic_prefix))" \
    "   ORDER BY o.seq LIMIT $3::int)," \
    " removed AS (DELETE FROM bus.outbox o USING doomed d WHERE o.seq = d.seq" \
    "   RETURNING o.seq, o.topic, o.producer, o.body, o.created_at)"

static const char *SQL_DROP =
    S_DOOMED " SELECT count (*) FROM removed";
static const char *SQL_ARCHIVE =
    S_DOOMED ", archived AS (INSERT INTO bus.outbox_archive (seq, topic, producer, body, created_at)"
    "   SELECT seq, topic, producer, body, created_at FROM removed RETURNING seq)"
    " SELECT count (*) FROM archived";

int
bus_retention_mode_parse (const char *text, bus_retention_mode_t *mode)
{
    if (streq (text, "drop"))
        *mode = BUS_RETENTION_DROP;
    else
    if (streq (text, "archive"))
        *mode = BUS_RETENTION_ARCHIVE;
    else
        return -1;
    return 0;
}

int64_t
bus_retention_run (crmq_pg_t *pg, int64_t seconds, bus_retention_mode_t mode,
                   int64_t published, int batch)
{
    if (seconds <= 0 || published <= 0)
        return 0;
    char bound [24], age_text [24], batch_text [16];
    snprintf (bound, sizeof bound, "%" PRId64, published);
    snprintf (age_text, sizeof age_text, "%" PRId64, seconds);
    snprintf (batch_text, sizeof batch_text, "%d", batch);
    const char *values [3] = { bound, age_text, batch_text };
    PGresult *result = crmq_pg_exec (pg, mode == BUS_RETENTION_ARCHIVE? SQL_ARCHIVE: SQL_DROP, 3, values);
    if (!result) {
        crmq_log (CRMQ_LOG_WARN, "retention failed", "sqlstate=%s error=%s", crmq_pg_sqlstate (pg),
                  crmq_log_q (crmq_pg_error (pg)));
        return -1;
    }
    int64_t removed = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    PQclear (result);
    if (removed)
        crmq_log (CRMQ_LOG_INFO, "events removed by retention", "count=%" PRId64 " mode=%s older_than_s=%" PRId64,
                  removed, mode == BUS_RETENTION_ARCHIVE? "archive": "drop", seconds);
    return removed;
}

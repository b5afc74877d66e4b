/*  merge_applier.c - contacts.client.merged in crmq-sales; see merge_applier.h.  */
#include "merge_applier.h"

//  advisory lock: one applier at a time
#define S_LOCK_KEY  "4242100101"

static const char *SQL_PENDING =
    "SELECT o.seq, o.body FROM bus.outbox o"
    " WHERE o.topic = 'contacts.client.merged'"
    "   AND NOT EXISTS (SELECT 1 FROM sales.applied_events a WHERE a.seq = o.seq)"
    " ORDER BY o.seq LIMIT $1::int";

static const char *SQL_SURVIVOR_ROW =
    "INSERT INTO sales.clients (id, external_id)"
    " VALUES ($1::bigint, nullif ($2, ''))"
    " ON CONFLICT DO NOTHING";

//  what is about to move, announced (data.changed.sales.<table>): the
//  move writes no event of its own
static const char *SQL_MOVE_EVENTS =
    "SELECT count (bus.data_changed ('sales', table_name, row_count))"
    "  FROM sales.client_rows ($1::bigint)";

//  documents and rollups move to the survivor
static const char *SQL_MOVE_CLIENT =
    "SELECT sales.move_client ($2::bigint, $1::bigint)";

//  the merged client, and any merged into it before, now resolve to the survivor
static const char *SQL_REDIRECT =
    "UPDATE sales.clients SET merged_into = $1::bigint"
    " WHERE id = $2::bigint OR merged_into = $2::bigint";

static const char *SQL_APPLIED =
    "INSERT INTO sales.applied_events (seq, topic) VALUES ($1::bigint, 'contacts.client.merged')";

typedef struct {
    int limit;
    int applied;
} run_t;

static int
s_apply (crmq_pg_t *pg, const Crmq__ClientMerged *merge)
{
    char survivor [24], merged [24];
    snprintf (survivor, sizeof survivor, "%" PRId64, merge->survivor_id);
    snprintf (merged, sizeof merged, "%" PRId64, merge->merged_id);
    const char *row [2] = { survivor, merge->survivor_external_id };
    const char *ids [2] = { survivor, merged };
    if (crmq_pg_command (pg, SQL_SURVIVOR_ROW, 2, row) != 0
    ||  crmq_pg_command (pg, SQL_MOVE_EVENTS, 1, ids + 1) != 0
    ||  crmq_pg_command (pg, SQL_MOVE_CLIENT, 2, ids) != 0)
        return -1;
    //  a merged client sales never saw has nothing to move or redirect
    return crmq_pg_command (pg, SQL_REDIRECT, 2, ids);
}

static int
s_run_tx (crmq_pg_t *pg, void *arg)
{
    run_t *run = (run_t *) arg;
    run->applied = 0;
    PGresult *result = crmq_pg_exec (pg, "SELECT pg_try_advisory_xact_lock ($1::bigint)", 1,
                                     (const char *[]) { S_LOCK_KEY });
    if (!result)
        return -1;
    bool locked = streq (PQgetvalue (result, 0, 0), "t");
    PQclear (result);
    if (!locked)
        return 0;                       //  another replica is at it
    char limit [16];
    snprintf (limit, sizeof limit, "%d", run->limit);
    const char *values [1] = { limit };
    result = crmq_pg_exec (pg, SQL_PENDING, 1, values);
    if (!result)
        return -1;
    int rc = 0;
    for (int row = 0; row < PQntuples (result) && rc == 0; row++) {
        const char *seq = PQgetvalue (result, row, 0);
        size_t size = 0;
        unsigned char *body = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, row, 1), &size);
        Crmq__ClientMerged *merge = body? crmq__client_merged__unpack (NULL, size, body): NULL;
        PQfreemem (body);
        if (!merge || merge->survivor_id <= 0 || merge->merged_id <= 0)
            crmq_log (CRMQ_LOG_ERROR, "unreadable contacts.client.merged: skipped", "seq=%s", seq);
        else
        if (s_apply (pg, merge) != 0)
            rc = -1;
        else
            crmq_log (CRMQ_LOG_INFO, "client merge applied", "seq=%s survivor=%" PRId64
                      " merged=%" PRId64, seq, merge->survivor_id, merge->merged_id);
        if (merge)
            crmq__client_merged__free_unpacked (merge, NULL);
        const char *applied [1] = { seq };
        if (rc == 0 && crmq_pg_command (pg, SQL_APPLIED, 1, applied) != 0)
            rc = -1;
        if (rc == 0)
            run->applied++;
    }
    PQclear (result);
    return rc;
}

int
merge_applier_run (crmq_pg_t *pg, int limit)
{
    run_t run = { limit, 0 };
    if (crmq_pg_transaction (pg, s_run_tx, &run) != 0) {
        //  a lost connection is logged by crmq_pg, once, not every run
        if (strncmp (crmq_pg_sqlstate (pg), "08", 2) != 0)
            crmq_log (CRMQ_LOG_WARN, "client merges not applied", "sqlstate=%s error=%s",
                      crmq_pg_sqlstate (pg), crmq_log_q (crmq_pg_error (pg)));
        return -1;
    }
    return run.applied;
}

/*  crmq_migrate.c - versioned SQL migrations, embedded in the binaries.

    A run takes a session advisory lock, so replicas starting together apply
    each migration once: the second waits, then finds them applied.  Each
    migration runs in its own transaction with the row that records it, so a
    failed one leaves nothing behind and is tried again by the next run.

    Migration files are embedded, trusted text of several statements, so they
    go through PQexec (the only place in crmq that runs SQL without
    parameters).  A file must not contain BEGIN/COMMIT of its own.          */
#include "crmq.h"

//  Advisory lock key of a migration run: "crmqmigr" in ASCII
#define S_LOCK_KEY "7165910291034236786"

static const char *SQL_CREATE_TABLE =
    "CREATE TABLE IF NOT EXISTS public.crmq_schema_migration ("
    " service text NOT NULL,"
    " version integer NOT NULL,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now(),"
    " PRIMARY KEY (service, version))";
static const char *SQL_LOCK =
    "SELECT pg_advisory_lock($1::bigint)";
static const char *SQL_UNLOCK =
    "SELECT pg_advisory_unlock($1::bigint)";
static const char *SQL_APPLIED =
    "SELECT name FROM public.crmq_schema_migration WHERE service = $1 AND version = $2::int";
static const char *SQL_RECORD =
    "INSERT INTO public.crmq_schema_migration (service, version, name) VALUES ($1, $2::int, $3)";

//  Runs one migration's SQL on the connection of the transaction in hand.
static int
s_apply_body (crmq_pg_t *pg, void *arg)
{
    const crmq_migration_t *migration = arg;
    PGconn *conn = crmq_pg_conn (pg);
    if (!conn)
        return -1;
    PGresult *result = PQexec (conn, migration->sql);
    ExecStatusType status = result? PQresultStatus (result): PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
        const char *sqlstate = result? PQresultErrorField (result, PG_DIAG_SQLSTATE): NULL;
        char message [1024];
        snprintf (message, sizeof message, "%s", result? PQresultErrorMessage (result): PQerrorMessage (conn));
        size_t len = strlen (message);
        while (len && (message [len - 1] == '\n' || message [len - 1] == ' '))
            message [--len] = 0;
        crmq_log (CRMQ_LOG_ERROR, "migration failed", "service=%s version=%d name=%s sqlstate=%s error=%s",
                  migration->service, migration->version, crmq_log_q (migration->name),
                  sqlstate? sqlstate: "", crmq_log_q (message));
        PQclear (result);
        return CRMQ_INTERNAL;
    }
    PQclear (result);
    char version [16];
    snprintf (version, sizeof version, "%d", migration->version);
    const char *values [] = { migration->service, version, migration->name };
    return crmq_pg_command (pg, SQL_RECORD, 3, values)? -1: 0;
}

//  Applies the pending ones of `table` for `service` (NULL = all).  The lock
//  is held by the caller.
static int
s_migrate_table (crmq_pg_t *pg, const crmq_migration_t *table, const char *service)
{
    int applied = 0;
    for (const crmq_migration_t *migration = table; migration->service; migration++) {
        if (service && !streq (service, migration->service))
            continue;
        char version [16];
        snprintf (version, sizeof version, "%d", migration->version);
        const char *values [] = { migration->service, version };
        PGresult *result = crmq_pg_exec (pg, SQL_APPLIED, 2, values);
        if (!result) {
            crmq_log (CRMQ_LOG_ERROR, "migration check failed", "name=%s sqlstate=%s error=%s",
                      crmq_log_q (migration->name), crmq_pg_sqlstate (pg), crmq_log_q (crmq_pg_error (pg)));
            return -1;
        }
        bool done = PQntuples (result) > 0;
        if (done && !streq (PQgetvalue (result, 0, 0), migration->name))
            crmq_log (CRMQ_LOG_WARN, "migration applied under another name",
                      "service=%s version=%d name=%s applied_name=%s", migration->service,
                      migration->version, crmq_log_q (migration->name),
                      crmq_log_q (PQgetvalue (result, 0, 0)));
        PQclear (result);
        if (done)
            continue;

        int64_t started = crmq_time_now_us ();
        int rc = crmq_pg_transaction (pg, s_apply_body, (void *) migration);
        if (rc != 0) {
            if (rc < 0)
                crmq_log (CRMQ_LOG_ERROR, "migration failed", "service=%s version=%d name=%s sqlstate=%s error=%s",
                          migration->service, migration->version, crmq_log_q (migration->name),
                          crmq_pg_sqlstate (pg), crmq_log_q (crmq_pg_error (pg)));
            return -1;
        }
        crmq_log (CRMQ_LOG_INFO, "migration applied", "service=%s version=%d name=%s duration_us=%lld",
                  migration->service, migration->version, crmq_log_q (migration->name),
                  (long long) (crmq_time_now_us () - started));
        applied++;
    }
    return applied;
}

//  Takes the lock, makes sure the version table exists, applies, unlocks.
static int
s_migrate (crmq_pg_t *pg, const crmq_migration_t *table, const char *service)
{
    assert (pg);
    const char *key [] = { S_LOCK_KEY };
    if (crmq_pg_command (pg, SQL_LOCK, 1, key)) {
        crmq_log (CRMQ_LOG_ERROR, "migration lock failed", "sqlstate=%s error=%s",
                  crmq_pg_sqlstate (pg), crmq_log_q (crmq_pg_error (pg)));
        return -1;
    }
    int applied;
    if (crmq_pg_command (pg, SQL_CREATE_TABLE, 0, NULL)) {
        crmq_log (CRMQ_LOG_ERROR, "cannot create public.crmq_schema_migration", "sqlstate=%s error=%s",
                  crmq_pg_sqlstate (pg), crmq_log_q (crmq_pg_error (pg)));
        applied = -1;
    }
    else
        applied = s_migrate_table (pg, table, service);
    //  A lost connection released the lock with the session
    if (crmq_pg_conn (pg) && crmq_pg_command (pg, SQL_UNLOCK, 1, key))
        crmq_log (CRMQ_LOG_WARN, "migration unlock failed", "sqlstate=%s", crmq_pg_sqlstate (pg));
    return applied;
}

int
crmq_migrate (crmq_pg_t *pg, const char *service)
{
    int applied = s_migrate (pg, crmq_migrations, service);
    if (applied >= 0)
        crmq_log (applied? CRMQ_LOG_INFO: CRMQ_LOG_DEBUG, "migrations done", "service=%s applied=%d",
                  service? service: "all", applied);
    return applied;
}

//  --------------------------------------------------------------------------
//  Self-test

static long long
s_test_count (crmq_pg_t *pg, const char *sql, const char *service)
{
    const char *values [] = { service };
    PGresult *result = crmq_pg_exec (pg, sql, service? 1: 0, values);
    assert (result);
    long long count = atoll (PQgetvalue (result, 0, 0));
    PQclear (result);
    return count;
}

void
crmq_migrate_test (bool verbose)
{
    printf (" * crmq_migrate: ");
    //  The embedded table is well formed
    int embedded = 0;
    for (const crmq_migration_t *migration = crmq_migrations; migration->service; migration++) {
        assert (migration->version > 0);
        assert (migration->name && migration->sql);
        embedded++;
    }
    const char *url = getenv ("CRMQ_PG_URL");
    if (!url || !*url) {
        printf ("OK (%d embedded; database part skipped: CRMQ_PG_URL not set)\n", embedded);
        return;
    }
    crmq_pg_t *pg = crmq_pg_new (url, "crmq-selftest-migrate");
    assert (pg);
    assert (crmq_pg_ensure (pg));

    //  The embedded migrations: a second run applies nothing, and every one
    //  is recorded under its name
    int first = crmq_migrate (pg, NULL);
    if (first < 0)
        printf ("\ncrmq_migrate failed: %s %s\n", crmq_pg_sqlstate (pg), crmq_pg_error (pg));
    assert (first >= 0);
    int second = crmq_migrate (pg, NULL);
    assert (second == 0);
    assert (crmq_migrate (pg, "contacts") == 0);
    assert (crmq_migrate (pg, "no-such-service") == 0);
    for (const crmq_migration_t *migration = crmq_migrations; migration->service; migration++) {
        char version [16];
        snprintf (version, sizeof version, "%d", migration->version);
        const char *values [] = { migration->service, version };
        PGresult *result = crmq_pg_exec (pg, SQL_APPLIED, 2, values);
        assert (result);
        assert (PQntuples (result) == 1);
        assert (streq (PQgetvalue (result, 0, 0), migration->name));
        PQclear (result);
    }

    //  A private table of migrations, under a service name of its own: a
    //  failing file leaves nothing behind and stops the run
    char service [64];
    snprintf (service, sizeof service, "selftest-%d", (int) getpid ());
    const char *SQL_COUNT_ROWS =
        "SELECT count(*) FROM public.crmq_schema_migration WHERE service = $1";
    const char *SQL_COUNT_TABLES =
        "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'crmq_migrate_test_%'"
        " AND schemaname = (SELECT nspname FROM pg_namespace WHERE oid = pg_my_temp_schema())";
    crmq_migration_t table [] = {
        { service, 1, "001_one.sql",
          "CREATE TEMP TABLE crmq_migrate_test_one (id int);\n"
          "INSERT INTO crmq_migrate_test_one VALUES (1);\n" },
        { service, 2, "002_two.sql",
          "-- comments and 'quotes' are fine\n"
          "CREATE TEMP TABLE crmq_migrate_test_two (name text DEFAULT 'Ёж');\n" },
        { service, 3, "003_bad.sql",
          "CREATE TEMP TABLE crmq_migrate_test_three (id int);\n"
          "SELECT 1/0;\n" },
        { service, 4, "004_never.sql",
          "CREATE TEMP TABLE crmq_migrate_test_four (id int);\n" },
        { NULL, 0, NULL, NULL }
    };
    int rc = s_migrate (pg, table, service);
    assert (rc == -1);
    assert (s_test_count (pg, SQL_COUNT_ROWS, service) == 2);
    assert (s_test_count (pg, SQL_COUNT_TABLES, NULL) == 2);
    //  Fixed, the run goes on from there
    table [2].sql = "CREATE TEMP TABLE crmq_migrate_test_three (id int);\n";
    rc = s_migrate (pg, table, service);
    assert (rc == 2);
    assert (s_test_count (pg, SQL_COUNT_ROWS, service) == 4);
    assert (s_test_count (pg, SQL_COUNT_TABLES, NULL) == 4);
    rc = s_migrate (pg, table, service);
    assert (rc == 0);
    //  The lock was released every time
    PGresult *result = crmq_pg_exec (pg, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                                         " AND pid = pg_backend_pid()", 0, NULL);
    assert (result);
    assert (streq (PQgetvalue (result, 0, 0), "0"));
    PQclear (result);

    //  Leave the version table as it was
    const char *values [] = { service };
    rc = crmq_pg_command (pg, "DELETE FROM public.crmq_schema_migration WHERE service = $1", 1, values);
    assert (rc == 0);
    crmq_pg_destroy (&pg);
    if (verbose)
        printf ("(%d embedded, %d applied now) ", embedded, first);
    printf ("OK\n");
}

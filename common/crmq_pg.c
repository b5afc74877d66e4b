/*  crmq_pg.c - the one libpq wrapper.

    State: a connection or none, the SQLSTATE and message of the last failure,
    and when the next connection attempt may be made.  A dead connection is
    closed at once and never reused.  Reconnecting never sleeps: until the
    backoff has passed, calls fail fast with 08006, so a service keeps
    answering UNAVAILABLE instead of hanging.  Only a connection attempt
    itself blocks, for at most connect_timeout (default 3 s, the URI may set
    another).

    The SQLSTATE is sticky: it tells about the last failure, and is not
    cleared by later successes (except that crmq_pg_transaction starts with a
    clean one), so a caller may ROLLBACK before reading it.                 */
#include "crmq.h"
#include <time.h>

#define S_BACKOFF_MIN_MS   100
#define S_BACKOFF_MAX_MS   5000
#define S_TX_ATTEMPTS      5
#define S_CONNECT_TIMEOUT  "3"      //  seconds, unless conninfo says otherwise

//  SQLSTATE of a lost or unreachable server (connection_failure)
#define S_STATE_LOST       "08006"
//  SQLSTATE for a failure libpq gave no code for
#define S_STATE_UNKNOWN    "XX000"

static const char *SQL_BEGIN    = "BEGIN";
static const char *SQL_COMMIT   = "COMMIT";
static const char *SQL_ROLLBACK = "ROLLBACK";

struct _crmq_pg_t {
    char *conninfo;
    char *application_name;
    PGconn *conn;                   //  NULL when lost or never connected
    char sqlstate [6];
    char error [1024];
    crmq_backoff_t backoff;         //  when the next connection attempt may be made
    bool ever_connected;
};

//  Records a failure: state (5 chars) and message, trailing newlines cut.
static void
s_fail (crmq_pg_t *self, const char *sqlstate, const char *message)
{
    snprintf (self->sqlstate, sizeof self->sqlstate, "%s", sqlstate);
    snprintf (self->error, sizeof self->error, "%s", message? message: "");
    size_t len = strlen (self->error);
    while (len && (self->error [len - 1] == '\n' || self->error [len - 1] == ' '))
        self->error [--len] = 0;
}

//  Closes a dead connection; the next call reconnects after the backoff.
static void
s_lost (crmq_pg_t *self)
{
    if (self->conn) {
        crmq_log (CRMQ_LOG_WARN, "postgresql connection lost", "sqlstate=%s error=%s",
                  self->sqlstate, crmq_log_q (self->error));
        PQfinish (self->conn);
        self->conn = NULL;
    }
    crmq_backoff_failed (&self->backoff);
}

//  Server notices (NOTICE, WARNING) go to the log instead of bare stderr.
static void
s_notice (void *arg, const char *message)
{
    (void) arg;
    char text [1024];
    snprintf (text, sizeof text, "%s", message);
    size_t len = strlen (text);
    while (len && (text [len - 1] == '\n' || text [len - 1] == ' '))
        text [--len] = 0;
    crmq_log (CRMQ_LOG_DEBUG, "postgresql notice", "message=%s", crmq_log_q (text));
}

//  One connection attempt.  True when connected.
static bool
s_connect (crmq_pg_t *self)
{
    //  Keywords before dbname may be overridden by the conninfo, those after
    //  may not: crmq talks UTF-8 and names itself
    const char *keywords [] = {
        "connect_timeout", "dbname", "application_name", "client_encoding", NULL
    };
    const char *values [] = {
        S_CONNECT_TIMEOUT, self->conninfo, self->application_name, "UTF8", NULL
    };
    PGconn *conn = PQconnectdbParams (keywords, values, 1);
    if (conn && PQstatus (conn) == CONNECTION_OK) {
        self->conn = conn;
        PQsetNoticeProcessor (conn, s_notice, NULL);
        crmq_backoff_succeeded (&self->backoff);
        crmq_log (self->ever_connected? CRMQ_LOG_INFO: CRMQ_LOG_DEBUG,
                  self->ever_connected? "postgresql reconnected": "postgresql connected",
                  "database=%s server_version=%d", crmq_log_q (PQdb (conn)),
                  PQserverVersion (conn));
        self->ever_connected = true;
        return true;
    }
    s_fail (self, S_STATE_LOST, conn? PQerrorMessage (conn): "out of memory");
    PQfinish (conn);
    crmq_backoff_failed (&self->backoff);
    crmq_log (CRMQ_LOG_WARN, "postgresql connection failed", "error=%s retry_in_ms=%lld",
              crmq_log_q (self->error), (long long) crmq_backoff_wait_ms (&self->backoff));
    return false;
}

crmq_pg_t *
crmq_pg_new (const char *conninfo, const char *application_name)
{
    assert (conninfo);
    crmq_pg_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->conninfo = strdup (conninfo);
    self->application_name = strdup (application_name? application_name: "crmq");
    if (!self->conninfo || !self->application_name) {
        crmq_pg_destroy (&self);
        return NULL;
    }
    crmq_backoff_init (&self->backoff, S_BACKOFF_MIN_MS, S_BACKOFF_MAX_MS);
    s_connect (self);
    return self;
}

void
crmq_pg_destroy (crmq_pg_t **self_p)
{
    assert (self_p);
    crmq_pg_t *self = *self_p;
    if (!self)
        return;
    if (self->conn)
        PQfinish (self->conn);
    free (self->conninfo);
    free (self->application_name);
    free (self);
    *self_p = NULL;
}

bool
crmq_pg_ensure (crmq_pg_t *self)
{
    assert (self);
    if (self->conn && PQstatus (self->conn) == CONNECTION_OK)
        return true;
    if (self->conn) {
        s_fail (self, S_STATE_LOST, PQerrorMessage (self->conn));
        s_lost (self);
    }
    int64_t wait = crmq_backoff_wait_ms (&self->backoff);
    if (wait > 0) {
        char message [128];
        snprintf (message, sizeof message,
                  "no connection to PostgreSQL; next attempt in %lld ms", (long long) wait);
        s_fail (self, S_STATE_LOST, message);
        return false;
    }
    return s_connect (self);
}

static void
    s_failed (crmq_pg_t *self, PGresult *result, bool quiet);

//  Runs one statement.  Records a failure unless `quiet`; a dead connection
//  is always closed.
static PGresult *
s_exec (crmq_pg_t *self, const char *sql, int nparams, const char *const *values,
        const int *lengths, const int *formats, bool quiet)
{
    assert (self);
    assert (sql);
    assert (nparams >= 0);
    if (!crmq_pg_ensure (self))
        return NULL;
    bool idle = PQtransactionStatus (self->conn) == PQTRANS_IDLE;
    PGresult *result = PQexecParams (self->conn, sql, nparams, NULL, values, lengths, formats, 0);
    ExecStatusType status = result? PQresultStatus (result): PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        return result;
    bool dead = PQstatus (self->conn) == CONNECTION_BAD;
    //  A connection the server dropped while idle (a restart) is found dead
    //  by the next statement.  When that statement starts a transaction or
    //  only reads outside one, nothing was done: connect again at once and
    //  run it once more, instead of failing the request that happened to
    //  come first.
    if (dead && idle && (strncmp (sql, "BEGIN", 5) == 0 || strncmp (sql, "SELECT", 6) == 0)) {
        PQclear (result);
        PQfinish (self->conn);
        self->conn = NULL;
        crmq_log (CRMQ_LOG_INFO, "postgresql connection found closed", "action=reconnect");
        if (!s_connect (self))
            return NULL;            //  recorded by s_connect
        result = PQexecParams (self->conn, sql, nparams, NULL, values, lengths, formats, 0);
        status = result? PQresultStatus (result): PGRES_FATAL_ERROR;
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
            return result;
    }
    s_failed (self, result, quiet);
    return NULL;
}

//  Records the failure `result` tells of (NULL: libpq had none to give)
//  unless `quiet`, frees it, and closes a dead connection.
static void
s_failed (crmq_pg_t *self, PGresult *result, bool quiet)
{
    ExecStatusType status = result? PQresultStatus (result): PGRES_FATAL_ERROR;
    bool dead = PQstatus (self->conn) == CONNECTION_BAD;
    const char *sqlstate = result? PQresultErrorField (result, PG_DIAG_SQLSTATE): NULL;
    if (dead)
        sqlstate = S_STATE_LOST;
    else
    if (!sqlstate || strlen (sqlstate) != 5)
        sqlstate = S_STATE_UNKNOWN;
    if (!quiet || dead) {
        //  the primary message is one line without "ERROR:  ", fit for a reply
        const char *message = result? PQresultErrorField (result, PG_DIAG_MESSAGE_PRIMARY): NULL;
        if (!message)
            message = result? PQresultErrorMessage (result): "";
        if (!*message)
            message = PQerrorMessage (self->conn);
        if (!*message)
            message = PQresStatus (status);
        s_fail (self, sqlstate, message);
    }
    PQclear (result);
    if (dead || strncmp (self->sqlstate, "08", 2) == 0)
        s_lost (self);
}

PGresult *
crmq_pg_exec (crmq_pg_t *self, const char *sql, int nparams, const char *const *values)
{
    return s_exec (self, sql, nparams, values, NULL, NULL, false);
}

PGresult *
crmq_pg_execv (crmq_pg_t *self, const char *sql, int nparams, const char *const *values,
               const int *lengths, const int *formats)
{
    return s_exec (self, sql, nparams, values, lengths, formats, false);
}

int
crmq_pg_command (crmq_pg_t *self, const char *sql, int nparams, const char *const *values)
{
    PGresult *result = s_exec (self, sql, nparams, values, NULL, NULL, false);
    if (!result)
        return -1;
    PQclear (result);
    return 0;
}

int
crmq_pg_copy_begin (crmq_pg_t *self, const char *sql)
{
    assert (self);
    assert (sql);
    if (!crmq_pg_ensure (self))
        return -1;
    PGresult *result = PQexec (self->conn, sql);
    if (result && PQresultStatus (result) == PGRES_COPY_IN) {
        PQclear (result);
        return 0;
    }
    s_failed (self, result, false);
    return -1;
}

int
crmq_pg_copy_put (crmq_pg_t *self, const void *data, size_t size)
{
    assert (self);
    if (!self->conn)
        return -1;
    if (PQputCopyData (self->conn, (const char *) data, (int) size) == 1)
        return 0;
    s_fail (self, S_STATE_LOST, PQerrorMessage (self->conn));
    return -1;
}

int
crmq_pg_copy_end (crmq_pg_t *self, const char *abort_reason)
{
    assert (self);
    if (!self->conn)
        return -1;
    int rc = 0;
    if (PQputCopyEnd (self->conn, abort_reason) != 1) {
        s_fail (self, S_STATE_LOST, PQerrorMessage (self->conn));
        rc = -1;
    }
    //  the COPY's result, then NULL; a failure is kept (the first one)
    PGresult *result;
    while (self->conn && (result = PQgetResult (self->conn))) {
        if (PQresultStatus (result) == PGRES_COMMAND_OK)
            PQclear (result);
        else {
            if (rc == 0)
                s_failed (self, result, false);
            else
                PQclear (result);
            rc = -1;
        }
    }
    if (self->conn && PQstatus (self->conn) == CONNECTION_BAD) {
        s_fail (self, S_STATE_LOST, PQerrorMessage (self->conn));
        s_lost (self);
    }
    return rc;
}

//  True for failures after which the whole transaction may be run again.
static bool
s_retryable (const char *sqlstate)
{
    return streq (sqlstate, "40001") || streq (sqlstate, "40P01");
}

//  Ends a failed transaction; the failure that led here stays recorded.
static void
s_rollback (crmq_pg_t *self)
{
    if (self->conn && PQtransactionStatus (self->conn) != PQTRANS_IDLE) {
        PGresult *result = s_exec (self, SQL_ROLLBACK, 0, NULL, NULL, NULL, true);
        PQclear (result);
    }
}

int
crmq_pg_transaction (crmq_pg_t *self, crmq_pg_tx_fn *fn, void *arg)
{
    assert (self);
    assert (fn);
    s_fail (self, "", "");
    for (int attempt = 1; ; attempt++) {
        if (crmq_pg_command (self, SQL_BEGIN, 0, NULL))
            return -1;
        int rc = fn (self, arg);
        if (rc > 0) {
            s_rollback (self);
            return rc;
        }
        if (rc == 0) {
            PGresult *result = crmq_pg_exec (self, SQL_COMMIT, 0, NULL);
            if (result) {
                //  COMMIT of a transaction in which a statement failed
                //  answers ROLLBACK, not an error
                bool rolled_back = streq (PQcmdStatus (result), "ROLLBACK");
                PQclear (result);
                if (!rolled_back)
                    return 0;
                if (!*self->sqlstate)
                    s_fail (self, "25P02", "transaction was aborted by a failed statement; "
                                           "COMMIT rolled it back");
                return -1;
            }
        }
        else
            s_rollback (self);
        if (!s_retryable (self->sqlstate) || attempt >= S_TX_ATTEMPTS)
            return -1;
        crmq_log (CRMQ_LOG_DEBUG, "transaction retried", "sqlstate=%s attempt=%d",
                  self->sqlstate, attempt);
        //  A short random pause lets the other transaction finish
        struct timespec pause = { 0, (long) (1 + crmq_backoff_random (&self->backoff) % (uint64_t) (5 * attempt)) * 1000000L };
        nanosleep (&pause, NULL);
    }
}

const char *
crmq_pg_sqlstate (crmq_pg_t *self)
{
    assert (self);
    return self->sqlstate;
}

const char *
crmq_pg_error (crmq_pg_t *self)
{
    assert (self);
    return self->error;
}

int
crmq_pg_status (crmq_pg_t *self)
{
    assert (self);
    const char *state = self->sqlstate;
    if (strncmp (state, "08", 2) == 0)
        return CRMQ_UNAVAILABLE;
    if (streq (state, "23505"))
        return CRMQ_ALREADY_EXISTS;
    if (streq (state, "23503"))
        return CRMQ_NOT_FOUND;
    if (strncmp (state, "22", 2) == 0 || streq (state, "23514"))
        return CRMQ_INVALID_ARGUMENT;
    if (streq (state, "57014"))
        return CRMQ_DEADLINE_EXCEEDED;
    return CRMQ_INTERNAL;
}

PGconn *
crmq_pg_conn (crmq_pg_t *self)
{
    assert (self);
    return self->conn;
}

//  --------------------------------------------------------------------------
//  Self-test

//  SQL of the self-test, in one place
static const char *SQL_TEST_TABLE =
    "CREATE TEMP TABLE crmq_pg_test (id int PRIMARY KEY, name text, data bytea,"
    " amount numeric CHECK (amount >= 0))";
static const char *SQL_TEST_INSERT =
    "INSERT INTO crmq_pg_test (id, name) VALUES ($1::int, $2)";
static const char *SQL_TEST_SELECT =
    "SELECT name, name IS NULL FROM crmq_pg_test WHERE id = $1::int";
static const char *SQL_TEST_COUNT =
    "SELECT count(*) FROM crmq_pg_test";
static const char *SQL_TEST_RAISE =
    "SELECT pg_temp.crmq_pg_test_raise($1)";
static const char *SQL_TEST_RAISE_FN =
    "CREATE FUNCTION pg_temp.crmq_pg_test_raise(state text) RETURNS void LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'test failure %', state USING ERRCODE = state; END $$";

typedef struct {
    int calls;                      //  how often fn ran
    int fail_times;                 //  fail with `state` this often, then succeed
    const char *state;
    int id;                         //  row to insert
    int result;                     //  what fn returns after inserting
} s_tx_arg_t;

static int
s_tx_body (crmq_pg_t *pg, void *arg)
{
    s_tx_arg_t *tx = arg;
    tx->calls++;
    char id [16];
    snprintf (id, sizeof id, "%d", tx->id);
    const char *values [] = { id, "in transaction" };
    if (crmq_pg_command (pg, SQL_TEST_INSERT, 2, values))
        return -1;
    if (tx->calls <= tx->fail_times) {
        const char *state [] = { tx->state };
        PGresult *result = crmq_pg_exec (pg, SQL_TEST_RAISE, 1, state);
        assert (result == NULL);
        return -1;
    }
    return tx->result;
}

//  Ignores a failed statement and returns 0: COMMIT must not succeed.
static int
s_tx_ignores_failure (crmq_pg_t *pg, void *arg)
{
    (void) arg;
    PGresult *result = crmq_pg_exec (pg, "SELECT 1/0", 0, NULL);
    assert (result == NULL);
    return 0;
}

static long long
s_test_count (crmq_pg_t *pg)
{
    PGresult *result = crmq_pg_exec (pg, SQL_TEST_COUNT, 0, NULL);
    assert (result);
    long long count = atoll (PQgetvalue (result, 0, 0));
    PQclear (result);
    return count;
}

//  Self-test helper: ends pg's backend from a second connection; its pid
//  goes to `pid`.
static void
s_terminate_backend (crmq_pg_t *pg, const char *url, char *pid, size_t pid_size)
{
    PGresult *result = crmq_pg_exec (pg, "SELECT pg_backend_pid()", 0, NULL);
    assert (result);
    snprintf (pid, pid_size, "%s", PQgetvalue (result, 0, 0));
    PQclear (result);
    crmq_pg_t *killer = crmq_pg_new (url, "crmq-selftest-killer");
    assert (killer);
    const char *kill_values [] = { pid };
    result = crmq_pg_exec (killer, "SELECT pg_terminate_backend($1::int)", 1, kill_values);
    assert (result);
    assert (streq (PQgetvalue (result, 0, 0), "t"));
    PQclear (result);
    crmq_pg_destroy (&killer);
    //  Give the backend time to go
    usleep (200 * 1000);
}

void
crmq_pg_test (bool verbose)
{
    printf (" * crmq_pg: ");

    //  Without a server: created, not connected, failing fast with 08006
    int64_t started = crmq_backoff_now_ms ();
    crmq_pg_t *dead = crmq_pg_new ("postgresql://crmq@127.0.0.1:1/none?connect_timeout=1", "selftest");
    assert (dead);
    assert (crmq_pg_conn (dead) == NULL);
    assert (streq (crmq_pg_sqlstate (dead), "08006"));
    assert (crmq_pg_status (dead) == CRMQ_UNAVAILABLE);
    assert (!crmq_pg_ensure (dead));
    assert (strstr (crmq_pg_error (dead), "next attempt in"));
    PGresult *result = crmq_pg_exec (dead, "SELECT 1", 0, NULL);
    assert (result == NULL);
    assert (crmq_pg_status (dead) == CRMQ_UNAVAILABLE);
    assert (crmq_pg_command (dead, "SELECT 1", 0, NULL) == -1);
    assert (crmq_backoff_now_ms () - started < 2000);
    crmq_pg_destroy (&dead);
    assert (dead == NULL);
    crmq_pg_destroy (&dead);

    //  Status mapping
    crmq_pg_t *map = crmq_pg_new ("host=127.0.0.1 port=1 connect_timeout=1", NULL);
    assert (map);
    struct { const char *state; int status; } mapping [] = {
        { "08006", CRMQ_UNAVAILABLE }, { "08001", CRMQ_UNAVAILABLE }, { "23505", CRMQ_ALREADY_EXISTS },
        { "23503", CRMQ_NOT_FOUND }, { "22P02", CRMQ_INVALID_ARGUMENT }, { "22003", CRMQ_INVALID_ARGUMENT },
        { "23514", CRMQ_INVALID_ARGUMENT }, { "23502", CRMQ_INTERNAL }, { "57014", CRMQ_DEADLINE_EXCEEDED },
        { "40001", CRMQ_INTERNAL }, { "42P01", CRMQ_INTERNAL }, { "", CRMQ_INTERNAL }, { NULL, 0 }
    };
    for (int index = 0; mapping [index].state; index++) {
        s_fail (map, mapping [index].state, "test");
        assert (crmq_pg_status (map) == mapping [index].status);
    }
    crmq_pg_destroy (&map);

    const char *url = getenv ("CRMQ_PG_URL");
    if (!url || !*url) {
        printf ("OK (database part skipped: CRMQ_PG_URL not set)\n");
        return;
    }
    crmq_pg_t *pg = crmq_pg_new (url, "crmq-selftest");
    assert (pg);
    bool connected = crmq_pg_ensure (pg);
    if (!connected)
        printf ("\ncannot connect to CRMQ_PG_URL: %s\n", crmq_pg_error (pg));
    assert (connected);
    assert (crmq_pg_conn (pg));

    //  application_name is ours, even for a URI
    result = crmq_pg_exec (pg, "SELECT current_setting('application_name'), "
                               "current_setting('client_encoding')", 0, NULL);
    assert (result);
    assert (streq (PQgetvalue (result, 0, 0), "crmq-selftest"));
    assert (streq (PQgetvalue (result, 0, 1), "UTF8"));
    PQclear (result);

    int rc = crmq_pg_command (pg, SQL_TEST_TABLE, 0, NULL);
    assert (rc == 0);
    rc = crmq_pg_command (pg, SQL_TEST_RAISE_FN, 0, NULL);
    assert (rc == 0);

    //  Parameters round-trip, text and NULL
    const char *name = "Ёлка «Рога и копыта» 'single' \"double\" \\ back; DROP TABLE x; --";
    const char *insert [] = { "1", name };
    rc = crmq_pg_command (pg, SQL_TEST_INSERT, 2, insert);
    assert (rc == 0);
    const char *insert_null [] = { "2", NULL };
    rc = crmq_pg_command (pg, SQL_TEST_INSERT, 2, insert_null);
    assert (rc == 0);
    const char *one [] = { "1" };
    result = crmq_pg_exec (pg, SQL_TEST_SELECT, 1, one);
    assert (result);
    assert (PQntuples (result) == 1);
    assert (streq (PQgetvalue (result, 0, 0), name));
    assert (streq (PQgetvalue (result, 0, 1), "f"));
    PQclear (result);
    const char *two [] = { "2" };
    result = crmq_pg_exec (pg, SQL_TEST_SELECT, 1, two);
    assert (result);
    assert (PQgetisnull (result, 0, 0));
    assert (streq (PQgetvalue (result, 0, 1), "t"));
    PQclear (result);

    //  Binary parameter with NUL bytes
    const char blob [] = { 'a', 0, 'b', (char) 0xFF, 0 };
    const char *bin_values [] = { "1", blob };
    int lengths [] = { 0, (int) sizeof blob };
    int formats [] = { 0, 1 };
    result = crmq_pg_execv (pg, "UPDATE crmq_pg_test SET data = $2 WHERE id = $1::int RETURNING length(data)",
                            2, bin_values, lengths, formats);
    assert (result);
    assert (streq (PQgetvalue (result, 0, 0), "5"));
    PQclear (result);

    //  Failures keep their SQLSTATE and map to a status
    rc = crmq_pg_command (pg, SQL_TEST_INSERT, 2, insert);
    assert (rc == -1);
    assert (streq (crmq_pg_sqlstate (pg), "23505"));
    assert (crmq_pg_status (pg) == CRMQ_ALREADY_EXISTS);
    assert (strstr (crmq_pg_error (pg), "duplicate key"));
    assert (crmq_pg_conn (pg));     //  not a connection failure
    const char *not_int [] = { "abc" };
    result = crmq_pg_exec (pg, "SELECT $1::int", 1, not_int);
    assert (!result);
    assert (streq (crmq_pg_sqlstate (pg), "22P02"));
    assert (crmq_pg_status (pg) == CRMQ_INVALID_ARGUMENT);
    rc = crmq_pg_command (pg, "UPDATE crmq_pg_test SET amount = -1", 0, NULL);
    assert (rc == -1);
    assert (streq (crmq_pg_sqlstate (pg), "23514"));
    assert (crmq_pg_status (pg) == CRMQ_INVALID_ARGUMENT);
    rc = crmq_pg_command (pg, "SELECT * FROM crmq_no_such_table", 0, NULL);
    assert (rc == -1);
    assert (streq (crmq_pg_sqlstate (pg), "42P01"));
    assert (crmq_pg_status (pg) == CRMQ_INTERNAL);
    //  Sticky: a success does not clear it
    rc = crmq_pg_command (pg, "SELECT 1", 0, NULL);
    assert (rc == 0);
    assert (streq (crmq_pg_sqlstate (pg), "42P01"));
    //  Several statements in one text are refused (parameters only)
    rc = crmq_pg_command (pg, "SELECT 1; SELECT 2", 0, NULL);
    assert (rc == -1);

    //  Transactions: commit
    s_tx_arg_t tx = { 0, 0, NULL, 10, 0 };
    rc = crmq_pg_transaction (pg, s_tx_body, &tx);
    assert (rc == 0);
    assert (tx.calls == 1);
    assert (streq (crmq_pg_sqlstate (pg), ""));
    assert (s_test_count (pg) == 3);
    //  A code from fn rolls back and is returned
    tx = (s_tx_arg_t) { 0, 0, NULL, 11, CRMQ_NOT_FOUND };
    rc = crmq_pg_transaction (pg, s_tx_body, &tx);
    assert (rc == CRMQ_NOT_FOUND);
    assert (tx.calls == 1);
    assert (s_test_count (pg) == 3);
    assert (PQtransactionStatus (crmq_pg_conn (pg)) == PQTRANS_IDLE);
    //  A unique violation is not retried, and its SQLSTATE survives the ROLLBACK
    tx = (s_tx_arg_t) { 0, 0, NULL, 10, 0 };
    rc = crmq_pg_transaction (pg, s_tx_body, &tx);
    assert (rc == -1);
    assert (tx.calls == 1);
    assert (streq (crmq_pg_sqlstate (pg), "23505"));
    assert (crmq_pg_status (pg) == CRMQ_ALREADY_EXISTS);
    assert (PQtransactionStatus (crmq_pg_conn (pg)) == PQTRANS_IDLE);
    //  Serialization failures and deadlocks are retried, whole
    tx = (s_tx_arg_t) { 0, 2, "40001", 12, 0 };
    rc = crmq_pg_transaction (pg, s_tx_body, &tx);
    assert (rc == 0);
    assert (tx.calls == 3);
    assert (s_test_count (pg) == 4);
    tx = (s_tx_arg_t) { 0, 1, "40P01", 13, 0 };
    rc = crmq_pg_transaction (pg, s_tx_body, &tx);
    assert (rc == 0);
    assert (tx.calls == 2);
    assert (s_test_count (pg) == 5);
    //  ... up to 5 attempts
    tx = (s_tx_arg_t) { 0, 100, "40001", 14, 0 };
    rc = crmq_pg_transaction (pg, s_tx_body, &tx);
    assert (rc == -1);
    assert (tx.calls == 5);
    assert (streq (crmq_pg_sqlstate (pg), "40001"));
    assert (s_test_count (pg) == 5);
    //  Other failures are not retried
    tx = (s_tx_arg_t) { 0, 100, "P0001", 15, 0 };
    rc = crmq_pg_transaction (pg, s_tx_body, &tx);
    assert (rc == -1);
    assert (tx.calls == 1);
    assert (streq (crmq_pg_sqlstate (pg), "P0001"));
    //  A failed statement that fn ignored does not commit
    rc = crmq_pg_transaction (pg, s_tx_ignores_failure, NULL);
    assert (rc == -1);
    assert (streq (crmq_pg_sqlstate (pg), "22012"));
    assert (PQtransactionStatus (crmq_pg_conn (pg)) == PQTRANS_IDLE);

    //  A lost connection: terminated from a second connection.  A read (or
    //  BEGIN) outside a transaction finds it closed, connects again at once
    //  and runs on a new backend.
    char pid [16];
    s_terminate_backend (pg, url, pid, sizeof pid);
    result = crmq_pg_exec (pg, "SELECT pg_backend_pid()", 0, NULL);
    assert (result);
    assert (strcmp (PQgetvalue (result, 0, 0), pid) != 0);
    PQclear (result);
    //  Any other statement fails with the lost connection and waits out
    //  the backoff
    s_terminate_backend (pg, url, pid, sizeof pid);
    rc = crmq_pg_command (pg, "SET statement_timeout = 0", 0, NULL);
    assert (rc == -1);
    if (verbose)
        printf ("\nafter terminate: %s %s\n", crmq_pg_sqlstate (pg), crmq_pg_error (pg));
    assert (strncmp (crmq_pg_sqlstate (pg), "08", 2) == 0);
    assert (crmq_pg_status (pg) == CRMQ_UNAVAILABLE);
    assert (crmq_pg_conn (pg) == NULL);
    //  Within the backoff: fails fast, without trying
    started = crmq_backoff_now_ms ();
    result = crmq_pg_exec (pg, "SELECT 1", 0, NULL);
    assert (result == NULL);
    assert (streq (crmq_pg_sqlstate (pg), "08006"));
    assert (strstr (crmq_pg_error (pg), "next attempt in"));
    assert (crmq_backoff_now_ms () - started < 20);
    //  The transaction helper fails fast too, with UNAVAILABLE
    tx = (s_tx_arg_t) { 0, 0, NULL, 20, 0 };
    rc = crmq_pg_transaction (pg, s_tx_body, &tx);
    assert (rc == -1);
    assert (tx.calls == 0);
    assert (crmq_pg_status (pg) == CRMQ_UNAVAILABLE);
    //  After the backoff (at most 100 ms the first time): reconnected
    usleep (150 * 1000);
    result = crmq_pg_exec (pg, "SELECT pg_backend_pid()", 0, NULL);
    assert (result);
    assert (strcmp (PQgetvalue (result, 0, 0), pid) != 0);
    PQclear (result);
    assert (crmq_pg_conn (pg));
    //  The temporary table went with the old session
    rc = crmq_pg_command (pg, SQL_TEST_COUNT, 0, NULL);
    assert (rc == -1);
    assert (streq (crmq_pg_sqlstate (pg), "42P01"));

    crmq_pg_destroy (&pg);
    assert (pg == NULL);
    printf ("OK\n");
}

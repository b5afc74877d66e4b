/*  selftest.c - runs the self-test of every libcrmq class.

    crmq-selftest [-v] [class ...]
    With no class, runs them all and prints "selftest: OK" at the end.  The
    database and Redis parts need CRMQ_PG_URL and CRMQ_REDIS_URL of throw-away
    servers and are skipped without them.  CRMQ_LOG_LEVEL sets the level of
    the log lines the tests provoke (default "error").                       */
#include "crmq.h"
#include "crmq_phone.h"

typedef struct {
    const char *name;
    void (*test) (bool verbose);
} s_test_t;

//  In dependency order.  crmq_status has no test; crmq_rpc_client is tested
//  by crmq_rpc_server_test.
static const s_test_t s_tests [] = {
    { "crmq_log", crmq_log_test },
    { "crmq_config", crmq_config_test },
    { "crmq_decimal", crmq_decimal_test },
    { "crmq_time", crmq_time_test },
    { "crmq_validate", crmq_validate_test },
    { "crmq_phone", crmq_phone_test },
    { "crmq_message", crmq_message_test },
    { "crmq_topics", crmq_topics_test },
    { "crmq_event_json", crmq_event_json_test },
    { "crmq_backoff", crmq_backoff_test },
    { "crmq_pg", crmq_pg_test },
    { "crmq_pg_array", crmq_pg_array_test },
    { "crmq_pg_copy", crmq_pg_copy_test },
    { "crmq_redis", crmq_redis_test },
    { "crmq_rpc_server", crmq_rpc_server_test },
    { "crmq_publisher", crmq_publisher_test },
    { "crmq_migrate", crmq_migrate_test },
    { NULL, NULL }
};

//  The test named `name`, with or without the "crmq_" prefix; NULL if none.
static const s_test_t *
s_find (const char *name)
{
    for (const s_test_t *test = s_tests; test->name; test++)
        if (streq (test->name, name) || streq (test->name + 5, name))
            return test;
    return NULL;
}

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: crmq-selftest [-v] [class ...]\nclasses:");
    for (const s_test_t *test = s_tests; test->name; test++)
        fprintf (out, " %s", test->name);
    fprintf (out, "\n");
}

int
main (int argc, char *argv [])
{
    bool verbose = false;
    int first = 1;
    for (; first < argc && argv [first][0] == '-'; first++) {
        if (streq (argv [first], "-v") || streq (argv [first], "--verbose"))
            verbose = true;
        else
        if (streq (argv [first], "-h") || streq (argv [first], "--help")) {
            s_usage (stdout);
            return 0;
        }
        else {
            s_usage (stderr);
            return 2;
        }
    }
    for (int index = first; index < argc; index++)
        if (!s_find (argv [index])) {
            fprintf (stderr, "crmq-selftest: no class %s\n", argv [index]);
            s_usage (stderr);
            return 2;
        }
    const char *level = getenv ("CRMQ_LOG_LEVEL");
    if (crmq_log_init ("selftest", level && *level? level: "error")) {
        fprintf (stderr, "crmq-selftest: bad CRMQ_LOG_LEVEL\n");
        return 2;
    }
    setvbuf (stdout, NULL, _IONBF, 0);

    printf ("Running libcrmq self-tests...\n");
    if (first == argc)
        for (const s_test_t *test = s_tests; test->name; test++)
            test->test (verbose);
    else
        for (int index = first; index < argc; index++)
            s_find (argv [index])->test (verbose);
    printf ("selftest: OK\n");
    return 0;
}

/*  crmq_config.c - settings as one table per binary.

    Every value is read once, at crmq_config_new, from its environment
    variable or the row's default, and checked against the row's bounds; a
    binary refuses to start on a bad value rather than guess.                */
#include "crmq.h"
#include <errno.h>
#include <limits.h>

#define S_STRING_MAX_DEFAULT 4096

struct _crmq_config_t {
    const crmq_setting_t *table;    //  caller's table, ends with name NULL
    size_t count;                   //  rows before the NULL row
    char **text;                    //  value of each row as text
    long long *number;              //  value of each integer row
    bool *from_env;                 //  value came from the environment
};

//  --------------------------------------------------------------------------
//  Parses a whole string as a decimal integer; false on anything else
//  (empty, spaces, trailing garbage, out of range of long long).

static bool
s_parse_int (const char *text, long long *value)
{
    if (!*text || !(*text == '-' || *text == '+' || (*text >= '0' && *text <= '9')))
        return false;
    errno = 0;
    char *end;
    long long number = strtoll (text, &end, 10);
    if (errno || end == text || *end)
        return false;
    *value = number;
    return true;
}

//  Checks and stores the value of row `index`; false with `error` filled in.
static bool
s_set (crmq_config_t *self, size_t index, const char *value, bool from_env,
       char *error, size_t error_size)
{
    const crmq_setting_t *row = &self->table [index];
    const char *origin = from_env? "": " (default)";
    if (row->type == CRMQ_SETTING_INT) {
        long long number;
        if (!s_parse_int (value, &number)) {
            snprintf (error, error_size, "%s%s: %s is not an integer",
                      row->env, origin, crmq_log_q (value));
            return false;
        }
        if (number < row->min || number > row->max) {
            snprintf (error, error_size, "%s%s: %lld is out of bounds [%lld, %lld]",
                      row->env, origin, number, row->min, row->max);
            return false;
        }
        self->number [index] = number;
    }
    else {
        //  String values may hold secrets (a password in a URL): not echoed
        size_t limit = row->max > 0? (size_t) row->max: S_STRING_MAX_DEFAULT;
        size_t len = strlen (value);
        if (len > limit) {
            snprintf (error, error_size, "%s%s: %zu bytes, longer than %zu",
                      row->env, origin, len, limit);
            return false;
        }
    }
    self->text [index] = strdup (value);
    if (!self->text [index]) {
        snprintf (error, error_size, "%s: out of memory", row->env);
        return false;
    }
    self->from_env [index] = from_env;
    return true;
}

crmq_config_t *
crmq_config_new (const crmq_setting_t *table, char *error, size_t error_size)
{
    assert (table);
    char scratch [8];
    if (!error || error_size == 0) {
        error = scratch;
        error_size = sizeof scratch;
    }
    error [0] = 0;
    crmq_config_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (error, error_size, "out of memory");
        return NULL;
    }
    self->table = table;
    while (table [self->count].name) {
        const crmq_setting_t *row = &table [self->count];
        assert (row->env && row->default_value);
        assert (row->type == CRMQ_SETTING_INT || row->type == CRMQ_SETTING_STRING);
        self->count++;
    }
    self->text = calloc (self->count + 1, sizeof *self->text);
    self->number = calloc (self->count + 1, sizeof *self->number);
    self->from_env = calloc (self->count + 1, sizeof *self->from_env);
    if (!self->text || !self->number || !self->from_env) {
        snprintf (error, error_size, "out of memory");
        crmq_config_destroy (&self);
        return NULL;
    }
    for (size_t index = 0; index < self->count; index++) {
        const char *value = getenv (table [index].env);
        bool from_env = value != NULL;
        if (!value)
            value = table [index].default_value;
        if (!s_set (self, index, value, from_env, error, error_size)) {
            crmq_config_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
crmq_config_destroy (crmq_config_t **self_p)
{
    assert (self_p);
    crmq_config_t *self = *self_p;
    if (!self)
        return;
    if (self->text)
        for (size_t index = 0; index < self->count; index++)
            free (self->text [index]);
    free (self->text);
    free (self->number);
    free (self->from_env);
    free (self);
    *self_p = NULL;
}

//  Index of the row called `name`; asserts there is one (API misuse).
static size_t
s_find (crmq_config_t *self, const char *name)
{
    assert (self);
    assert (name);
    for (size_t index = 0; index < self->count; index++)
        if (streq (self->table [index].name, name))
            return index;
    assert (!"crmq_config: no such setting");
    abort ();
}

const char *
crmq_config_str (crmq_config_t *self, const char *name)
{
    return self->text [s_find (self, name)];
}

long long
crmq_config_int (crmq_config_t *self, const char *name)
{
    size_t index = s_find (self, name);
    assert (self->table [index].type == CRMQ_SETTING_INT);
    return self->number [index];
}

//  --------------------------------------------------------------------------
//  Writes `value` for display: passwords in URLs ("scheme://user:secret@")
//  and whole values of settings whose variable names a secret are masked.

static void
s_print_value (FILE *out, const crmq_setting_t *row, const char *value)
{
    if (strstr (row->env, "PASSWORD") || strstr (row->env, "SECRET")
    ||  strstr (row->env, "TOKEN")) {
        fprintf (out, "%s", *value? "****": "\"\"");
        return;
    }
    const char *scheme = strstr (value, "://");
    if (scheme) {
        const char *userinfo = scheme + 3;
        size_t authority = strcspn (userinfo, "/?#");
        const char *at = memrchr (userinfo, '@', authority);
        const char *colon = at? memchr (userinfo, ':', (size_t) (at - userinfo)): NULL;
        if (colon) {
            fprintf (out, "%.*s****%s", (int) (colon + 1 - value), value, at);
            return;
        }
    }
    fprintf (out, "%s", *value? value: "\"\"");
}

void
crmq_config_print (crmq_config_t *self, FILE *out)
{
    assert (self);
    assert (out);
    fprintf (out, "Settings (environment variables):\n");
    for (size_t index = 0; index < self->count; index++) {
        const crmq_setting_t *row = &self->table [index];
        fprintf (out, "  %-28s %s\n", row->env, row->help? row->help: "");
        fprintf (out, "  %-28s ", "");
        if (row->type == CRMQ_SETTING_INT)
            fprintf (out, "integer %lld..%lld", row->min, row->max);
        else
            fprintf (out, "string, at most %lld bytes",
                     row->max > 0? row->max: (long long) S_STRING_MAX_DEFAULT);
        fprintf (out, "; default ");
        s_print_value (out, row, row->default_value);
        fprintf (out, "; now ");
        s_print_value (out, row, self->text [index]);
        fprintf (out, "%s\n", self->from_env [index]? " (from environment)": "");
    }
}

//  --------------------------------------------------------------------------
//  Self-test

static const crmq_setting_t s_test_table [] = {
    CRMQ_SETTINGS_COMMON,
    CRMQ_SETTING_RPC_TIMEOUT,
    { "test_name", "CRMQ_SELFTEST_NAME", CRMQ_SETTING_STRING, "Иван", 0, 10, "a name, at most 10 bytes" },
    { "test_count", "CRMQ_SELFTEST_COUNT", CRMQ_SETTING_INT, "-5", -10, 10, "a count" },
    { "test_password", "CRMQ_SELFTEST_PASSWORD", CRMQ_SETTING_STRING, "", 0, 0, "a secret" },
    { NULL, NULL, CRMQ_SETTING_STRING, NULL, 0, 0, NULL }
};

static const char *s_test_env [] = {
    "CRMQ_PG_URL", "CRMQ_REDIS_URL", "CRMQ_LOG_LEVEL", "CRMQ_MAX_MESSAGE_BYTES",
    "CRMQ_MIGRATE_ON_START", "CRMQ_RPC_TIMEOUT_MS", "CRMQ_RPC_RETRIES",
    "CRMQ_SELFTEST_NAME", "CRMQ_SELFTEST_COUNT", "CRMQ_SELFTEST_PASSWORD", NULL
};

//  Expects crmq_config_new to fail with CRMQ_SELFTEST_COUNT=value and an
//  error that contains `expect`.
static void
s_expect_count_error (const char *variable, const char *value, const char *expect)
{
    setenv (variable, value, 1);
    char error [256];
    crmq_config_t *config = crmq_config_new (s_test_table, error, sizeof error);
    assert (config == NULL);
    assert (strstr (error, variable));
    assert (strstr (error, expect));
    unsetenv (variable);
}

void
crmq_config_test (bool verbose)
{
    printf (" * crmq_config: ");

    //  The test owns these variables for its duration
    char *saved [16] = { NULL };
    for (int index = 0; s_test_env [index]; index++) {
        const char *value = getenv (s_test_env [index]);
        saved [index] = value? strdup (value): NULL;
        unsetenv (s_test_env [index]);
    }

    //  Defaults
    char error [256];
    crmq_config_t *config = crmq_config_new (s_test_table, error, sizeof error);
    assert (config);
    assert (streq (crmq_config_str (config, "pg_url"), "postgresql://crmq@127.0.0.1:5432/crmq"));
    assert (crmq_config_int (config, "max_message_bytes") == 16777216);
    assert (crmq_config_int (config, "rpc_retries") == 3);
    assert (crmq_config_int (config, "test_count") == -5);
    assert (streq (crmq_config_str (config, "test_name"), "Иван"));
    assert (streq (crmq_config_str (config, "test_count"), "-5"));
    crmq_config_destroy (&config);
    assert (config == NULL);
    crmq_config_destroy (&config);

    //  From the environment, with bounds inclusive
    setenv ("CRMQ_SELFTEST_COUNT", "10", 1);
    setenv ("CRMQ_SELFTEST_NAME", "0123456789", 1);
    setenv ("CRMQ_PG_URL", "postgresql://app:s3cret@db:5432/crmq?sslmode=require", 1);
    setenv ("CRMQ_SELFTEST_PASSWORD", "hunter2", 1);
    config = crmq_config_new (s_test_table, error, sizeof error);
    assert (config);
    assert (crmq_config_int (config, "test_count") == 10);
    assert (streq (crmq_config_str (config, "test_name"), "0123456789"));
    //  The config keeps its own copies
    setenv ("CRMQ_SELFTEST_NAME", "changed", 1);
    assert (streq (crmq_config_str (config, "test_name"), "0123456789"));

    //  --help output: every variable, secrets masked
    char *help = NULL;
    size_t help_size = 0;
    FILE *out = open_memstream (&help, &help_size);
    assert (out);
    crmq_config_print (config, out);
    fclose (out);
    if (verbose)
        printf ("\n%s", help);
    for (int index = 0; s_test_env [index]; index++)
        assert (strstr (help, s_test_env [index]));
    assert (strstr (help, "integer 1024..1073741824; default 16777216; now 16777216\n"));
    assert (strstr (help, "now postgresql://app:****@db:5432/crmq?sslmode=require (from environment)"));
    assert (!strstr (help, "s3cret"));
    assert (!strstr (help, "hunter2"));
    assert (strstr (help, "string, at most 10 bytes"));
    free (help);
    crmq_config_destroy (&config);
    unsetenv ("CRMQ_SELFTEST_NAME");
    unsetenv ("CRMQ_SELFTEST_COUNT");
    unsetenv ("CRMQ_SELFTEST_PASSWORD");
    unsetenv ("CRMQ_PG_URL");

    //  Bad values name the variable
    s_expect_count_error ("CRMQ_SELFTEST_COUNT", "11", "out of bounds");
    s_expect_count_error ("CRMQ_SELFTEST_COUNT", "-11", "out of bounds");
    s_expect_count_error ("CRMQ_SELFTEST_COUNT", "abc", "not an integer");
    s_expect_count_error ("CRMQ_SELFTEST_COUNT", "", "not an integer");
    s_expect_count_error ("CRMQ_SELFTEST_COUNT", " 5", "not an integer");
    s_expect_count_error ("CRMQ_SELFTEST_COUNT", "5 ", "not an integer");
    s_expect_count_error ("CRMQ_SELFTEST_COUNT", "5x", "not an integer");
    s_expect_count_error ("CRMQ_SELFTEST_COUNT", "99999999999999999999999", "not an integer");
    s_expect_count_error ("CRMQ_MAX_MESSAGE_BYTES", "1023", "out of bounds");
    s_expect_count_error ("CRMQ_SELFTEST_NAME", "01234567890", "longer than 10");
    s_expect_count_error ("CRMQ_SELFTEST_NAME", "Иван Петров", "longer than 10");
    char *huge = malloc (5000);
    assert (huge);
    memset (huge, 'h', 4999);
    huge [4999] = 0;
    s_expect_count_error ("CRMQ_PG_URL", huge, "longer than 4096");
    free (huge);
    //  The message does not echo string values (they may be secrets)
    setenv ("CRMQ_SELFTEST_NAME", "topsecret-long", 1);
    config = crmq_config_new (s_test_table, error, sizeof error);
    assert (!config);
    assert (!strstr (error, "topsecret"));
    unsetenv ("CRMQ_SELFTEST_NAME");
    //  A NULL error buffer is allowed
    setenv ("CRMQ_SELFTEST_COUNT", "x", 1);
    config = crmq_config_new (s_test_table, NULL, 0);
    assert (!config);
    unsetenv ("CRMQ_SELFTEST_COUNT");

    for (int index = 0; s_test_env [index]; index++) {
        if (saved [index])
            setenv (s_test_env [index], saved [index], 1);
        free (saved [index]);
    }
    printf ("OK\n");
}

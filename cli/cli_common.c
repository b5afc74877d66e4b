/*  cli_common.c - helpers shared by the crmq commands.  */
#include "cli_common.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NANOS_PER_UNIT 1000000000

void
cli_rpc_error (crmq_rpc_client_t *client, const char *method, int code)
{
    const char *message = client? crmq_rpc_client_message (client): "";
    const char *field = client? crmq_rpc_client_field (client): "";
    fprintf (stderr, "crmq: %s: %s: %s", method, crmq_status_name (code),
             message && *message? message: "(no message)");
    if (field && *field)
        fprintf (stderr, " (field %s)", field);
    fprintf (stderr, "\n");
}

crmq_rpc_client_t *
cli_rpc_open (crmq_config_t *config, const char *endpoint_setting)
{
    const char *endpoint = crmq_config_str (config, endpoint_setting);
    int timeout_ms = (int) crmq_config_int (config, "rpc_timeout_ms");
    int retries = (int) crmq_config_int (config, "rpc_retries");
    crmq_rpc_client_t *client = crmq_rpc_client_new (endpoint, timeout_ms, retries);
    if (client)
        cli_rpc_limit (client, config);
    else
        fprintf (stderr, "crmq: %s: cannot open endpoint \"%s\"\n", endpoint_setting, endpoint);
    return client;
}

void
cli_rpc_limit (crmq_rpc_client_t *client, crmq_config_t *config)
{
    assert (client && config);
    crmq_rpc_client_set_max_request (client, (size_t) crmq_config_int (config, "max_message_bytes"));
}

int
cli_call (crmq_rpc_client_t *client, const char *method, const ProtobufCMessage *request,
          const ProtobufCMessageDescriptor *reply_type, ProtobufCMessage **reply)
{
    if (reply)
        *reply = NULL;
    uint8_t *body = NULL;
    size_t size = 0;
    int code = crmq_rpc_call (client, method, request, &body, &size);
    if (code != CRMQ_OK) {
        cli_rpc_error (client, method, code);
        free (body);
        return CLI_EXIT_FAILURE;
    }
    if (!reply_type) {
        free (body);
        return CLI_EXIT_OK;
    }
    *reply = protobuf_c_message_unpack (reply_type, NULL, size, body);
    free (body);
    if (!*reply) {
        fprintf (stderr, "crmq: %s: malformed reply (%zu bytes, not a %s)\n",
                 method, size, reply_type->name);
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}

int
cli_usage (const char *usage, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "crmq: ");
    vfprintf (stderr, format, args);
    fprintf (stderr, "\nusage: %s\n", usage);
    va_end (args);
    return CLI_EXIT_USAGE;
}

int
cli_option_once (cli_options_seen_t *seen, const struct option *long_options, int option,
                 const char *usage)
{
    assert (seen && long_options);
    if (option < 0 || option >= (int) (sizeof seen->seen / sizeof seen->seen [0]))
        return 0;
    const char *name = NULL;
    for (const struct option *entry = long_options; entry->name; entry++)
        if (!entry->flag && entry->val == option)
            name = entry->name;
    if (!name)
        return 0;                       //  not an option of the table: the caller's case
    if (!seen->seen [option]) {
        seen->seen [option] = true;
        return 0;
    }
    return cli_usage (usage, "--%s is given more than once", name);
}

int
cli_date_parse (const char *text, const char *time_zone, int64_t *us)
{
    if (!text || strlen (text) != 10)
        return -1;
    for (int i = 0; i < 10; i++) {
        bool dash = i == 4 || i == 7;
        if (dash? text [i] != '-': (text [i] < '0' || text [i] > '9'))
            return -1;
    }
    return crmq_time_parse (text, time_zone, us);
}

char *
cli_instant_text (int64_t us, const char *time_zone, char *buf, size_t size)
{
    if (!us)
        return NULL;
    if (crmq_time_format (us, time_zone, false, buf, size) < 0)
        snprintf (buf, size, "?");
    return buf;
}

char *
cli_period_text (const Crmq__Period *period, const char *time_zone, const char *open,
                 char *buf, size_t size)
{
    char from [32] = "", to [32] = "";
    if (period && period->from_us)
        crmq_time_format (period->from_us, time_zone, true, from, sizeof from);
    if (period && period->to_us)
        crmq_time_format (period->to_us, time_zone, true, to, sizeof to);
    if (*from && *to)
        snprintf (buf, size, "%s to %s (excluded)", from, to);
    else
    if (*from)
        snprintf (buf, size, "from %s", from);
    else
    if (*to)
        snprintf (buf, size, "before %s", to);
    else
        snprintf (buf, size, "%s", open);
    return buf;
}

char *
cli_id_text (int64_t id, char *buf, size_t size)
{
    if (!id)
        return NULL;
    snprintf (buf, size, "%" PRId64, id);
    return buf;
}

const char *
cli_bool_text (bool value)
{
    return value? "true": "false";
}

int
cli_int_parse (const char *text, long long min, long long max, long long *value)
{
    if (!text || !*text)
        return -1;
    char *end;
    errno = 0;
    long long parsed = strtoll (text, &end, 10);
    if (*end || errno || parsed < min || parsed > max)
        return -1;
    *value = parsed;
    return 0;
}

int
cli_time_zone_check (const char *time_zone)
{
    int64_t us;
    return crmq_time_parse ("2000-01-01", time_zone, &us);
}

char *
cli_decimal_text (int64_t units, int32_t nanos, int scale, char *buf, size_t size)
{
    if (crmq_decimal_format_fixed (units, nanos, scale, false, buf, size) < 0)
        snprintf (buf, size, "?");
    return buf;
}

char *
cli_percent_text (int64_t units, int32_t nanos, char *buf, size_t size)
{
    //  Multiplying by 100 moves the decimal point two places: exact.
    if (units > INT64_MAX / 100 || units < INT64_MIN / 100) {
        snprintf (buf, size, "?");
        return buf;
    }
    int64_t p_units = units * 100 + nanos / (NANOS_PER_UNIT / 100);
    int32_t p_nanos = (int32_t) ((nanos % (NANOS_PER_UNIT / 100)) * 100);
    return cli_decimal_text (p_units, p_nanos, 1, buf, size);
}

void
cli_decimal_add (int64_t *a_units, int32_t *a_nanos, int64_t b_units, int32_t b_nanos)
{
    int64_t units = *a_units + b_units;
    int64_t nanos = (int64_t) *a_nanos + b_nanos;
    if (nanos >= NANOS_PER_UNIT) {
        units++;
        nanos -= NANOS_PER_UNIT;
    }
    else
    if (nanos <= -NANOS_PER_UNIT) {
        units--;
        nanos += NANOS_PER_UNIT;
    }
    if (units > 0 && nanos < 0) {
        units--;
        nanos += NANOS_PER_UNIT;
    }
    else
    if (units < 0 && nanos > 0) {
        units++;
        nanos -= NANOS_PER_UNIT;
    }
    *a_units = units;
    *a_nanos = (int32_t) nanos;
}

size_t
cli_utf8_width (const char *text)
{
    size_t width = 0;
    for (const unsigned char *p = (const unsigned char *) text; p && *p; p++)
        if ((*p & 0xC0) != 0x80)
            width++;
    return width;
}

void
cli_string_destroy (void **item)
{
    free (*item);
    *item = NULL;
}

void *
cli_string_dup (const void *item)
{
    return strdup ((const char *) item);
}

void
cli_common_test (bool verbose)
{
    printf (" * cli_common: ");
    char buf [48];
    Crmq__Period period = CRMQ__PERIOD__INIT;
    assert (streq (cli_period_text (NULL, "UTC", "all time", buf, sizeof buf), "all time"));
    assert (cli_date_parse ("1996-07-01", "Europe/Berlin", &period.from_us) == 0);
    assert (streq (cli_period_text (&period, "Europe/Berlin", "", buf, sizeof buf),
                   "from 1996-07-01"));
    assert (cli_date_parse ("1998-06-01", "Europe/Berlin", &period.to_us) == 0);
    assert (streq (cli_period_text (&period, "Europe/Berlin", "", buf, sizeof buf),
                   "1996-07-01 to 1998-06-01 (excluded)"));
    period.from_us = 0;
    assert (streq (cli_period_text (&period, "Europe/Berlin", "", buf, sizeof buf),
                   "before 1998-06-01"));
    assert (streq (cli_percent_text (0, 123456789, buf, sizeof buf), "12.3"));
    assert (streq (cli_percent_text (0, 999500000, buf, sizeof buf), "100.0"));
    assert (streq (cli_percent_text (0, 999499999, buf, sizeof buf), "99.9"));
    assert (streq (cli_percent_text (1, 0, buf, sizeof buf), "100.0"));
    assert (streq (cli_percent_text (0, -50000000, buf, sizeof buf), "-5.0"));
    assert (streq (cli_decimal_text (1265793, 290000000, 2, buf, sizeof buf), "1265793.29"));
    assert (streq (cli_decimal_text (5, 0, 0, buf, sizeof buf), "5"));

    int64_t units = 0;
    int32_t nanos = 700000000;
    cli_decimal_add (&units, &nanos, 0, 500000000);
    assert (units == 1 && nanos == 200000000);
    cli_decimal_add (&units, &nanos, -2, 0);
    assert (units == 0 && nanos == -800000000);
    cli_decimal_add (&units, &nanos, 0, -300000000);
    assert (units == -1 && nanos == -100000000);

    assert (cli_utf8_width ("Münster") == 7);
    assert (cli_utf8_width ("Москва") == 6);
    assert (cli_utf8_width (NULL) == 0);

    long long value;
    assert (cli_int_parse ("42", 1, 1000, &value) == 0 && value == 42);
    assert (cli_int_parse ("0", 1, 1000, &value) == -1);
    assert (cli_int_parse ("12x", 1, 1000, &value) == -1);
    assert (cli_int_parse ("", 1, 1000, &value) == -1);

    int64_t us;
    assert (cli_date_parse ("1996-07-04", "UTC", &us) == 0 && us == 836438400000000LL);
    assert (streq (cli_instant_text (us, "Europe/Moscow", buf, sizeof buf), "1996-07-04 04:00:00"));
    assert (cli_instant_text (0, "UTC", buf, sizeof buf) == NULL);
    assert (streq (cli_id_text (42, buf, sizeof buf), "42"));
    assert (cli_id_text (0, buf, sizeof buf) == NULL);
    assert (cli_date_parse ("1996-7-4", "UTC", &us) == -1);
    assert (cli_date_parse ("1996-07-04 10:00", "UTC", &us) == -1);
    assert (cli_time_zone_check ("Europe/Moscow") == 0);
    assert (cli_time_zone_check ("Mars/Base") == -1);
    assert (cli_time_zone_check ("") == 0);

    static const struct option options [] = {
        { "from",    required_argument, NULL, 'f' },
        { "clients", no_argument,       NULL, 'c' },
        { NULL, 0, NULL, 0 }
    };
    cli_options_seen_t seen = { 0 };
    assert (cli_option_once (&seen, options, 'f', "test") == 0);
    assert (cli_option_once (&seen, options, 'c', "test") == 0);
    assert (cli_option_once (&seen, options, ':', "test") == 0);
    assert (cli_option_once (&seen, options, ':', "test") == 0);
    //  The usage error goes to stderr: caught in memory here (glibc)
    fflush (stderr);
    FILE *saved = stderr;
    char *text = NULL;
    size_t size = 0;
    stderr = open_memstream (&text, &size);
    assert (stderr);
    assert (cli_option_once (&seen, options, 'f', "test") == CLI_EXIT_USAGE);
    fclose (stderr);
    stderr = saved;
    assert (streq (text, "crmq: --from is given more than once\nusage: test\n"));
    free (text);
    if (verbose)
        printf ("(helpers checked) ");
    printf ("OK\n");
}

/*  cli_tail.c - `crmq tail`; see cli_tail.h.  */
#include "cli_tail.h"
#include "cli_args.h"
#include "cli_common.h"

#include <stdio.h>
#include <stdlib.h>

//  What the apply callback prints to and counts.
typedef struct {
    FILE *out;
    bool json;                  //  --format json, else text
    int64_t count;              //  --count, 0 = no limit
    int64_t printed;
    int64_t last_us;            //  when the last event (or the start) was seen
    bool failed;                //  writing failed
} s_tail_t;

//  The JSON line of one event: {"seq", "topic", "type", "event"} when its
//  topic is known and its body decodes, else {"seq", "topic", "type"
//  (the expected one or "unknown"), "error" (known types only),
//  "body_base64"}.  NULL when memory ran out.
static json_t *
s_event_line (const crmq_event_t *event)
{
    const ProtobufCMessageDescriptor *descriptor = crmq_topic_descriptor (event->topic);
    char error [256] = "";
    json_t *decoded = descriptor? crmq_event_json (descriptor, event->body, event->size,
                                                   error, sizeof error): NULL;
    json_t *line = json_pack ("{s:I, s:s, s:s}", "seq", (json_int_t) event->seq,
                              "topic", event->topic,
                              "type", descriptor? descriptor->name: "unknown");
    int rc = line? 0: -1;
    if (rc == 0 && decoded)
        rc = json_object_set (line, "event", decoded);
    else
    if (rc == 0) {
        if (descriptor)
            rc = json_object_set_new (line, "error", json_string (error));
        json_t *body = rc == 0? crmq_bytes_json (event->body, event->size): NULL;
        rc = body? json_object_set_new (line, "body_base64", body): -1;
    }
    json_decref (decoded);
    if (rc != 0)
        json_decref (line);
    return rc == 0? line: NULL;
}

//  Writes one event, decoded, as one line of JSON (`json`) or text to
//  `out`, and flushes.  Returns 0, or -1 when memory ran out or writing
//  failed.
static int
s_print_event (FILE *out, bool json, const crmq_event_t *event)
{
    json_t *line = s_event_line (event);
    if (!line)
        return -1;
    json_t *decoded = json_object_get (line, "event");
    char *text = json_dumps (json? line: decoded? decoded: json_object_get (line, "body_base64"),
                             JSON_COMPACT | JSON_ENCODE_ANY);
    int rc = -1;
    if (text && json)
        rc = fprintf (out, "%s\n", text);
    else
    if (text && decoded)
        rc = fprintf (out, "%" PRId64 "  %s  %s\n", event->seq, event->topic, text);
    else
    if (text && json_object_get (line, "error"))
        rc = fprintf (out, "%" PRId64 "  %s  (unreadable %s: %s) base64:%s\n", event->seq,
                      event->topic, json_string_value (json_object_get (line, "type")),
                      json_string_value (json_object_get (line, "error")),
                      json_string_value (json_object_get (line, "body_base64")));
    else
    if (text)
        rc = fprintf (out, "%" PRId64 "  %s  (type unknown) base64:%s\n", event->seq,
                      event->topic, json_string_value (json_object_get (line, "body_base64")));
    free (text);
    json_decref (line);
    return rc < 0 || fflush (out) != 0? -1: 0;
}

//  The consumer's apply: prints the event (up to --count of them).
static int
s_apply (crmq_pg_t *pg, const crmq_event_t *event, void *arg)
{
    (void) pg;
    s_tail_t *tail = (s_tail_t *) arg;
    tail->last_us = crmq_time_now_us ();
    if (tail->failed || (tail->count && tail->printed >= tail->count))
        return 0;
    if (s_print_event (tail->out, tail->json, event) != 0) {
        tail->failed = true;
        return 0;
    }
    tail->printed++;
    return 0;
}

static const cli_arg_t s_options [] = {
    CLI_RANGE  ("from",    NULL, 1, INT64_MAX),
    CLI_OPTION ("format",  CLI_ARG_TEXT, NULL),
    CLI_RANGE  ("count",   NULL, 1, INT64_MAX),
    CLI_RANGE  ("timeout", NULL, 1, 31 * 24 * 3600),
    CLI_ARG_END
};

//  Says on stderr that crmq-bus did not answer, naming its endpoints.
static void
s_unreachable (crmq_config_t *config, const char *what)
{
    fprintf (stderr, "crmq: tail: %s: crmq-bus does not answer, or cannot read the log, at %s"
             " (CRMQ_BUS_ENDPOINT);"
             " events come from %s (CRMQ_BUS_PUB_ENDPOINT)\n", what,
             crmq_config_str (config, "bus_endpoint"), crmq_config_str (config, "bus_pub_endpoint"));
}

//  Sends crmq.Ping to crmq-bus's request endpoint (rpc_retries resends,
//  each waiting rpc_timeout_ms but at most 5 s).  Returns 0 when it answers.
static int
s_ping (crmq_config_t *config)
{
    int64_t timeout_ms = crmq_config_int (config, "rpc_timeout_ms");
    crmq_rpc_client_t *client = crmq_rpc_client_new (crmq_config_str (config, "bus_endpoint"),
                                                     timeout_ms < 5000? (int) timeout_ms: 5000,
                                                     (int) crmq_config_int (config, "rpc_retries"));
    if (!client)
        return -1;
    uint8_t *body = NULL;
    size_t size = 0;
    int code = crmq_rpc_call_raw (client, CRMQ_RPC_PING, "", 0, 2, &body, &size);
    free (body);
    crmq_rpc_client_destroy (&client);
    return code == CRMQ_OK? 0: -1;
}

int
cli_tail_run (crmq_config_t *config, int argc, char **argv)
{
    cli_args_t *args;
    int rc = cli_args_parse (s_options, CLI_TAIL_USAGE, "crmq tail",
                             crmq_config_str (config, "time_zone"), 0, 1, NULL, argc, argv, &args);
    if (rc != 0)
        return rc;
    const char *format = cli_args_text (args, "format");
    if (format && !streq (format, "text") && !streq (format, "json")) {
        rc = cli_args_usage (args, "--format: \"%s\" is not text or json", format);
        cli_args_destroy (&args);
        return rc;
    }
    const char *prefix = cli_args_count (args)? cli_args_arg (args, 0): "";
    char why [128];
    if (!crmq_id_valid (prefix, 0, 200, why, sizeof why)) {
        rc = cli_args_usage (args, "PREFIX %s", why);
        cli_args_destroy (&args);
        return rc;
    }
    s_tail_t tail = { stdout, format && streq (format, "json"), cli_args_number (args, "count"),
                      0, crmq_time_now_us (), false };
    int64_t timeout_us = cli_args_number (args, "timeout") * 1000000;
    crmq_consumer_config_t consumer_config = {
        .name = "crmq-tail",
        .prefix = prefix,
        .pub_endpoint = crmq_config_str (config, "bus_pub_endpoint"),
        .replay_endpoint = crmq_config_str (config, "bus_endpoint"),
        .pg = NULL,
        .apply = s_apply,
        .arg = &tail,
        .from_seq = cli_args_number (args, "from"),
    };
    //  A clear error now rather than a silent wait when the bus is not there
    if (s_ping (config) != 0) {
        s_unreachable (config, "cannot start");
        cli_args_destroy (&args);
        return CLI_EXIT_FAILURE;
    }
    crmq_consumer_t *consumer = crmq_consumer_new (&consumer_config);
    if (!consumer) {
        fprintf (stderr, "crmq: tail: cannot open crmq-bus's endpoints %s (CRMQ_BUS_PUB_ENDPOINT)"
                 " and %s (CRMQ_BUS_ENDPOINT)\n", consumer_config.pub_endpoint,
                 consumer_config.replay_endpoint);
        cli_args_destroy (&args);
        return CLI_EXIT_FAILURE;
    }
    bool outage = false;            //  said that the bus stopped answering
    rc = CLI_EXIT_OK;
    while (!tail.failed && !(tail.count && tail.printed >= tail.count)) {
        int applied = crmq_consumer_process (consumer, 200);
        if (applied < 0 && !outage)
            s_unreachable (config, "waiting for it");
        outage = applied < 0;
        if (timeout_us && crmq_time_now_us () - tail.last_us >= timeout_us) {
            if (tail.count) {
                fprintf (stderr, "crmq: tail: no event for %" PRId64 " s: %" PRId64
                         " of %" PRId64 " printed\n", timeout_us / 1000000, tail.printed,
                         tail.count);
                rc = CLI_EXIT_FAILURE;
            }
            break;
        }
    }
    if (tail.failed) {
        fprintf (stderr, "crmq: tail: cannot write the output: %s\n", strerror (errno));
        rc = CLI_EXIT_FAILURE;
    }
    crmq_consumer_destroy (&consumer);
    cli_args_destroy (&args);
    return rc;
}

//  --------------------------------------------------------------------------
//  Self-test

//  Prints `event` in both formats; asserts the lines are `text` and `json`.
static void
s_test_lines (const crmq_event_t *event, const char *text, const char *json, bool verbose)
{
    for (int pass = 0; pass < 2; pass++) {
        char *buffer = NULL;
        size_t size = 0;
        FILE *out = open_memstream (&buffer, &size);
        assert (out);
        assert (s_print_event (out, pass == 1, event) == 0);
        fclose (out);
        const char *expected = pass == 1? json: text;
        if (verbose || !streq (buffer, expected))
            printf ("   got      %s   expected %s", buffer, expected);
        assert (streq (buffer, expected));
        free (buffer);
    }
}

void
cli_tail_test (bool verbose)
{
    printf (" * cli_tail: ");
    if (verbose)
        printf ("\n");
    Crmq__ClientMerged merged = CRMQ__CLIENT_MERGED__INIT;
    merged.survivor_id = 7;
    merged.merged_id = 9;
    merged.survivor_external_id = "ООО \"Ромашка\"";
    merged.merged_at_us = 1700000000000000;
    merged.actor = "anna";
    uint8_t body [256];
    size_t size = protobuf_c_message_pack (&merged.base, body);
    crmq_event_t event = { 41, "contacts.client.merged", body, size };
    s_test_lines (&event,
        "41  contacts.client.merged  {\"survivor_id\":7,\"merged_id\":9,"
        "\"survivor_external_id\":\"ООО \\\"Ромашка\\\"\",\"merged_external_id\":\"\","
        "\"merged_at_us\":1700000000000000,\"actor\":\"anna\"}\n",
        "{\"seq\":41,\"topic\":\"contacts.client.merged\",\"type\":\"crmq.ClientMerged\","
        "\"event\":{\"survivor_id\":7,\"merged_id\":9,"
        "\"survivor_external_id\":\"ООО \\\"Ромашка\\\"\",\"merged_external_id\":\"\","
        "\"merged_at_us\":1700000000000000,\"actor\":\"anna\"}}\n", verbose);

    //  a topic crmq does not know
    const uint8_t raw [] = { 0x01, 0x02, 0xfe };
    crmq_event_t unknown = { 42, "erp.custom.thing", raw, 3 };
    s_test_lines (&unknown,
        "42  erp.custom.thing  (type unknown) base64:AQL+\n",
        "{\"seq\":42,\"topic\":\"erp.custom.thing\",\"type\":\"unknown\","
        "\"body_base64\":\"AQL+\"}\n", verbose);

    //  a known topic whose body is not its type
    crmq_event_t broken = { 43, "alert.payment.late", raw, 3 };
    s_test_lines (&broken,
        "43  alert.payment.late  (unreadable crmq.Alert: 3 bytes are not a crmq.Alert"
        " (bad encoding, or a string with a NUL byte)) base64:AQL+\n",
        "{\"seq\":43,\"topic\":\"alert.payment.late\",\"type\":\"crmq.Alert\","
        "\"error\":\"3 bytes are not a crmq.Alert (bad encoding, or a string with a NUL byte)\","
        "\"body_base64\":\"AQL+\"}\n", verbose);

    //  an empty body of a known type is the message with its defaults
    crmq_event_t empty = { 44, "bus.mark.sales.", raw, 0 };
    s_test_lines (&empty,
        "44  bus.mark.sales.  {\"prefix\":\"\",\"prev_seq\":0,\"last_seq\":0,\"count\":0,"
        "\"published_seq\":0}\n",
        "{\"seq\":44,\"topic\":\"bus.mark.sales.\",\"type\":\"crmq.BusMark\","
        "\"event\":{\"prefix\":\"\",\"prev_seq\":0,\"last_seq\":0,\"count\":0,"
        "\"published_seq\":0}}\n", verbose);
    printf ("OK\n");
}

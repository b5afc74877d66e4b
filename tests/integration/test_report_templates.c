/*  test_report_templates - saved report templates of crmq-analytics and
    their schedules, against the stack:
      1. SaveTemplate, ListTemplates, GetTemplate, RunTemplate (the report's
         real figures), DeleteTemplate (5 naming `name` the second time);
         a resend of the same save answers it again, another save of the
         name is 6, with replace version 2; names (empty, control
         characters, 101 bytes, white space at either end refused; 100
         bytes of Cyrillic kept), RRULEs (not RRULEs, MINUTELY, SECONDLY, two runs
         30 minutes apart, no occurrence left), parameters (unknown report,
         relative period, a period not at midnight) refused with 3 naming
         the field;
      2. a schedule that fires: next_run_at is set in the database to a
         moment just past (the tests do not wait for real occurrences), and
         analytics.report.ready comes on crmq-bus's PUB with the template,
         the occurrence and the report's figures; `crmq tail` decodes it;
         the run is in analytics.report_runs, next_run_at moved on;
         next_run_at set back to that occurrence moves on without a second
         run;
      3. missed occurrences (a daily rule three days behind) run once, with
         a note;
      4. a report that fails at run time publishes analytics.report.failed
         and its schedule goes on;
      5. a second crmq-analytics started here on an endpoint of its own
         (CRMQ_TEMPLATE_MIN_INTERVAL_S=60, so it takes a half-hourly rule
         the stack's refuses): 12 templates due at once, three times, run
         exactly once each per occurrence between the two replicas;
      6. the stack's crmq-analytics stopped: the second one, with a small
         CRMQ_MAX_MESSAGE_BYTES, cuts a large result to fit its event;
      7. kill -9 of the replica in the middle of a run (held at the insert
         of its run by a lock this test takes): after the restart the
         occurrence runs exactly once.                                      */
#include "test_support.h"

#include <fcntl.h>
#include <sys/wait.h>

static char s_prefix [48];
static int s_wait_s = 30;

extern char **environ;

static const char *
s_id (const char *name)
{
    return test_ext_id (s_prefix, name);
}

//  --------------------------------------------------------------------------
//  Requests

//  Heap-built parameters of `report` over [from, to) (dates, NULL = open)
//  with this run's clients A and B as the filter (free with
//  crmq__report_params__free_unpacked).
static Crmq__ReportParams *
s_params (const char *report, const char *from, const char *to, const char *granularity)
{
    Crmq__ReportParams *params = (Crmq__ReportParams *) zmalloc (sizeof *params);
    crmq__report_params__init (params);
    params->report = strdup (report);
    params->granularity = strdup (granularity? granularity: "");
    params->period = (Crmq__Period *) zmalloc (sizeof (Crmq__Period));
    crmq__period__init (params->period);
    if (from)
        assert (crmq_time_parse (from, "UTC", &params->period->from_us) == 0);
    if (to)
        assert (crmq_time_parse (to, "UTC", &params->period->to_us) == 0);
    params->n_filters = 1;
    params->filters = (Crmq__ReportFilter **) zmalloc (sizeof (Crmq__ReportFilter *));
    Crmq__ReportFilter *filter = (Crmq__ReportFilter *) zmalloc (sizeof *filter);
    crmq__report_filter__init (filter);
    filter->field = strdup ("client");
    filter->n_values = 2;
    filter->values = (char **) zmalloc (2 * sizeof (char *));
    filter->values [0] = strdup (s_id ("A"));
    filter->values [1] = strdup (s_id ("B"));
    params->filters [0] = filter;
    return params;
}

//  analytics.SaveTemplate; on 0 *saved is the template (caller frees; NULL
//  allowed).  Returns the code.
static int
s_save (crmq_rpc_client_t *client, const char *name, Crmq__ReportParams *params,
        const char *schedule, const char *description, bool replace, Crmq__ReportTemplate **saved)
{
    Crmq__ReportTemplate template_ = CRMQ__REPORT_TEMPLATE__INIT;
    template_.name = (char *) name;
    template_.params = params;
    template_.schedule = (char *) (schedule? schedule: "");
    template_.description = (char *) (description? description: "");
    Crmq__SaveTemplateRequest request = CRMQ__SAVE_TEMPLATE_REQUEST__INIT;
    request.template_ = &template_;
    request.replace = replace;
    ProtobufCMessage *answer = NULL;
    int code = test_call (client, "analytics.SaveTemplate", &request.base,
                          &crmq__report_template__descriptor, saved? &answer: NULL);
    if (saved)
        *saved = (Crmq__ReportTemplate *) answer;
    return code;
}

//  A save that must be refused with `code` naming `field`.
static void
s_refused (crmq_rpc_client_t *client, const char *what, const char *name,
           Crmq__ReportParams *params, const char *schedule, int code, const char *field)
{
    int got = s_save (client, name, params, schedule, NULL, false, NULL);
    const char *got_field = crmq_rpc_client_field (client);
    CHECK (got == code && streq (got_field? got_field: "", field),
           "%s: code %d field \"%s\" (%s), expected %d \"%s\"", what, got,
           got_field? got_field: "", crmq_rpc_client_message (client), code, field);
}

//  A TemplateName call; on 0 *answer as `type` (caller frees).
static int
s_named (crmq_rpc_client_t *client, const char *method, const char *name,
         const ProtobufCMessageDescriptor *type, ProtobufCMessage **answer)
{
    Crmq__TemplateName request = CRMQ__TEMPLATE_NAME__INIT;
    request.name = (char *) name;
    return test_call (client, method, &request.base, type, answer);
}

//  The cell `column` of the first row of table `table`, or "".
static const char *
s_cell (const Crmq__ReportResult *result, const char *table, const char *column)
{
    for (size_t t = 0; result && t < result->n_tables; t++) {
        const Crmq__ReportTable *found = result->tables [t];
        if (!streq (found->name, table) || found->n_rows == 0)
            continue;
        for (size_t c = 0; c < found->n_columns && c < found->rows [0]->n_cells; c++)
            if (streq (found->columns [c]->name, column))
                return found->rows [0]->cells [c];
    }
    return "";
}

static const Crmq__ReportTable *
s_table (const Crmq__ReportResult *result, const char *name)
{
    for (size_t t = 0; result && t < result->n_tables; t++)
        if (streq (result->tables [t]->name, name))
            return result->tables [t];
    return NULL;
}

//  CHECKs the base report of clients A and B in March 2020.
static void
s_check_march (const Crmq__ReportResult *result, const char *what)
{
    CHECK (result && streq (s_cell (result, "summary", "clients"), "2")
           && streq (s_cell (result, "summary", "clients_with_orders"), "2")
           && streq (s_cell (result, "summary", "orders"), "2")
           && streq (s_cell (result, "summary", "revenue"), "1250.00")
           && streq (s_cell (result, "summary", "average_order"), "625.00"),
           "%s: clients %s, with orders %s, orders %s, revenue %s, average %s", what,
           s_cell (result, "summary", "clients"), s_cell (result, "summary", "clients_with_orders"),
           s_cell (result, "summary", "orders"), s_cell (result, "summary", "revenue"),
           s_cell (result, "summary", "average_order"));
}

//  --------------------------------------------------------------------------
//  The database and the bus

//  Makes template `name` due: next_run_at a moment ago (and, with
//  `days_back`, the schedule started that many days before).  Returns the
//  occurrence set, microseconds.
static int64_t
s_fire (crmq_pg_t *pg, const char *name)
{
    return test_number (pg,
        "UPDATE analytics.report_templates SET next_run_at = date_trunc ('milliseconds',"
        "  clock_timestamp ()) - interval '1 second' WHERE name = $1"
        " RETURNING (extract (epoch FROM next_run_at) * 1000000)::bigint", name, NULL);
}

//  Runs recorded for `name` (and the occurrence, when not 0).
static long long
s_runs (crmq_pg_t *pg, const char *name, int64_t scheduled_for_us)
{
    char at [24];
    snprintf (at, sizeof at, "%" PRId64, scheduled_for_us);
    return test_number (pg,
        "SELECT count (*) FROM analytics.report_runs WHERE template = $1 AND ($2::bigint = 0"
        "  OR scheduled_for = timestamptz 'epoch' + $2::bigint * interval '1 microsecond')",
        name, at, NULL);
}

//  Waits until `name` has `count` runs (of the occurrence, when not 0).
static long long
s_wait_runs (crmq_pg_t *pg, const char *name, int64_t scheduled_for_us, long long count)
{
    long long found = 0;
    for (int i = 0; i < s_wait_s * 10; i++) {
        found = s_runs (pg, name, scheduled_for_us);
        if (found >= count)
            break;
        zclock_sleep (100);
    }
    return found;
}

//  Events of `topic` in bus.outbox whose body names template `name`.
static long long
s_events (crmq_pg_t *pg, const char *topic, const char *name)
{
    return test_number (pg, "SELECT count (*) FROM bus.outbox WHERE topic = $1"
                            " AND position (convert_to ($2, 'UTF8') IN body) > 0",
                        topic, name, NULL);
}

//  The body of event `seq` (malloc'd; *size its length), or NULL.
static uint8_t *
s_event_body (crmq_pg_t *pg, int64_t seq, size_t *size)
{
    char text [24];
    snprintf (text, sizeof text, "%" PRId64, seq);
    PGresult *result = test_query (pg, "SELECT body FROM bus.outbox WHERE seq = $1::bigint",
                                   text, NULL);
    uint8_t *body = NULL;
    if (result && PQntuples (result) == 1) {
        unsigned char *bytes = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, 0, 0),
                                                size);
        if (bytes) {
            body = (uint8_t *) malloc (*size? *size: 1);
            memcpy (body, bytes, *size);
            PQfreemem (bytes);
        }
    }
    PQclear (result);
    return body;
}

//  The event recorded with the last run of `name`, unpacked as ReportReady
//  (NULL when it is not one); *seq its position.
static Crmq__ReportReady *
s_last_ready (crmq_pg_t *pg, const char *name, int64_t *seq, size_t *size)
{
    *seq = test_number (pg, "SELECT outbox_seq FROM analytics.report_runs WHERE template = $1"
                            " ORDER BY id DESC LIMIT 1", name, NULL);
    uint8_t *body = s_event_body (pg, *seq, size);
    Crmq__ReportReady *ready = body? crmq__report_ready__unpack (NULL, *size, body): NULL;
    free (body);
    return ready;
}

//  Waits up to `seconds` for an event of `topic` on `sub` naming template
//  `name`; returns it unpacked as ReportReady (NULL when none came), its
//  seq in *seq.
static Crmq__ReportReady *
s_receive (zsock_t *sub, const char *name, int seconds, int64_t *seq)
{
    int64_t deadline = zclock_mono () + seconds * 1000LL;
    Crmq__ReportReady *ready = NULL;
    while (!ready && zclock_mono () < deadline) {
        zmsg_t *message = zmsg_recv (sub);
        if (!message)
            continue;
        char *topic = zmsg_popstr (message);
        char *position = zmsg_popstr (message);
        zframe_t *body = zmsg_pop (message);
        if (topic && position && body && streq (topic, "analytics.report.ready")) {
            ready = crmq__report_ready__unpack (NULL, zframe_size (body), zframe_data (body));
            if (ready && !streq (ready->template_, name)) {
                crmq__report_ready__free_unpacked (ready, NULL);
                ready = NULL;
            }
            *seq = strtoll (position, NULL, 10);
        }
        free (topic);
        free (position);
        zframe_destroy (&body);
        zmsg_destroy (&message);
    }
    return ready;
}

//  --------------------------------------------------------------------------
//  A second crmq-analytics

typedef struct {
    pid_t pid;
    char endpoint [64];
    char max_bytes [24];
} s_replica_t;

//  A free TCP port on loopback, as an endpoint.
static void
s_free_endpoint (char *endpoint, size_t size)
{
    zsock_t *probe = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (probe, "tcp://127.0.0.1:*");
    assert (port > 0);
    zsock_destroy (&probe);
    snprintf (endpoint, size, "tcp://127.0.0.1:%d", port);
}

//  Starts crmq-analytics (under CRMQ_SERVICE_WRAPPER) with the stack's
//  environment, its own endpoint, a 60 s shortest schedule gap and
//  replica->max_bytes, logging to the stack's log folder; waits until it
//  answers.
static void
s_replica_start (s_replica_t *replica)
{
    //  the environment, built before fork
    size_t count = 0;
    while (environ [count])
        count++;
    char **env = (char **) zmalloc ((count + 8) * sizeof (char *));
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        if (strncmp (environ [i], "CRMQ_ANALYTICS_ENDPOINT=", 24) != 0
        &&  strncmp (environ [i], "CRMQ_TEMPLATE_MIN_INTERVAL_S=", 29) != 0
        &&  strncmp (environ [i], "CRMQ_MAX_MESSAGE_BYTES=", 23) != 0)
            env [n++] = environ [i];
    char endpoint [128], interval [64], bytes [64];
    snprintf (endpoint, sizeof endpoint, "CRMQ_ANALYTICS_ENDPOINT=%s", replica->endpoint);
    snprintf (interval, sizeof interval, "CRMQ_TEMPLATE_MIN_INTERVAL_S=60");
    snprintf (bytes, sizeof bytes, "CRMQ_MAX_MESSAGE_BYTES=%s", replica->max_bytes);
    env [n++] = endpoint;
    env [n++] = interval;
    env [n++] = bytes;
    env [n] = NULL;
    char binary [600], log [600];
    snprintf (binary, sizeof binary, "%s/bin/crmq-analytics", test_env ("BUILD"));
    snprintf (log, sizeof log, "%s/log/analytics-replica.log", test_env ("CRMQ_STACK_DIR"));
    char *wrapper = strdup (getenv ("CRMQ_SERVICE_WRAPPER")? getenv ("CRMQ_SERVICE_WRAPPER"): "");
    char *argv [40];
    int argc = 0;
    for (char *word = strtok (wrapper, " "); word && argc < 38; word = strtok (NULL, " "))
        argv [argc++] = word;
    argv [argc++] = binary;
    argv [argc] = NULL;
    replica->pid = fork ();
    assert (replica->pid >= 0);
    if (replica->pid == 0) {
        int fd = open (log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int null = open ("/dev/null", O_RDONLY);
        if (fd < 0 || null < 0)
            _exit (126);
        dup2 (null, 0);
        dup2 (fd, 1);
        dup2 (fd, 2);
        execvpe (argv [0], argv, env);
        _exit (127);
    }
    free (wrapper);
    free (env);
    crmq_rpc_client_t *ping = crmq_rpc_client_new (replica->endpoint, 1000, 0);
    int code = -1;
    for (int i = 0; i < s_wait_s * 4 && code != 0; i++) {
        uint8_t *body = NULL;
        size_t size = 0;
        code = crmq_rpc_call_raw (ping, CRMQ_RPC_PING, "", 0, 2, &body, &size);
        free (body);
        if (code != 0)
            zclock_sleep (250);
    }
    crmq_rpc_client_destroy (&ping);
    printf ("second crmq-analytics: pid %d on %s (CRMQ_MAX_MESSAGE_BYTES %s): %s\n",
            (int) replica->pid, replica->endpoint, replica->max_bytes, code == 0? "answers": "no");
    CHECK (code == 0, "the second crmq-analytics answers on %s", replica->endpoint);
}

//  Stops it with SIGTERM (SIGKILL after the wait) and reaps it; with
//  `killed` it was killed already and is only reaped.
static void
s_replica_stop (s_replica_t *replica, bool killed)
{
    if (replica->pid <= 0)
        return;
    if (!killed)
        kill (replica->pid, SIGTERM);
    int status = 0;
    pid_t done = 0;
    for (int i = 0; i < s_wait_s * 10 && done == 0; i++) {
        done = waitpid (replica->pid, &status, WNOHANG);
        if (done == 0)
            zclock_sleep (100);
    }
    if (done == 0) {
        kill (replica->pid, SIGKILL);
        waitpid (replica->pid, &status, 0);
    }
    if (!killed)
        CHECK (done == replica->pid && WIFEXITED (status) && WEXITSTATUS (status) == 0,
               "the second crmq-analytics stops on SIGTERM with exit 0 (status %d)", status);
    replica->pid = 0;
}

//  --------------------------------------------------------------------------

int
main (void)
{
    setvbuf (stdout, NULL, _IOLBF, 0);
    crmq_log_init ("test_report_templates", "error");
    bool wrapped = getenv ("CRMQ_SERVICE_WRAPPER") != NULL;
    s_wait_s = wrapped? 180: 30;
    crmq_pg_t *pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_report_templates");
    crmq_rpc_client_t *sales = crmq_rpc_client_new (test_env ("CRMQ_SALES_ENDPOINT"), 20000, 0);
    crmq_rpc_client_t *analytics = crmq_rpc_client_new (test_env ("CRMQ_ANALYTICS_ENDPOINT"),
                                                        wrapped? 60000: 20000, 3);
    snprintf (s_prefix, sizeof s_prefix, "RT%d-%" PRId64 "-", (int) getpid (),
              crmq_time_now_us () % 1000000);
    zsock_t *sub = zsock_new_sub (test_env ("CRMQ_BUS_PUB_ENDPOINT"), "analytics.report.");
    assert (sub);
    zsock_set_rcvtimeo (sub, 500);

    printf ("data: clients A and B, an order each in March 2020 (1000.00 and 250.00)\n");
    char event [96];
    Crmq__ErpEvent *master [3] = {
        test_client_event (s_id ("A:client"), s_id ("A"), "Альфа"),
        test_client_event (s_id ("B:client"), s_id ("B"), "Beta"),
        test_product_event (s_id ("P:product"), s_id ("P"), "Product") };
    test_send (sales, "master data", master, 3, 0);
    Crmq__ErpEvent *orders [2];
    snprintf (event, sizeof event, "%s", s_id ("OA:event"));
    orders [0] = test_order_event (event, s_id ("OA"), s_id ("A"), s_id ("P"), 2, 50000);
    snprintf (event, sizeof event, "%s", s_id ("OB:event"));
    orders [1] = test_order_event (event, s_id ("OB"), s_id ("B"), s_id ("P"), 1, 25000);
    assert (crmq_time_parse ("2020-03-10 12:00", "UTC", &orders [0]->occurred_at_us) == 0);
    assert (crmq_time_parse ("2020-03-12 12:00", "UTC", &orders [1]->occurred_at_us) == 0);
    orders [0]->order_placed->placed_at_us = orders [0]->occurred_at_us;
    orders [1]->order_placed->placed_at_us = orders [1]->occurred_at_us;
    test_send (sales, "orders", orders, 2, 0);

    //  ----------------------------------------------------------------------
    printf ("1. save, list, show, run, delete; refusals\n");
    char name [128];
    snprintf (name, sizeof name, "%sмарт", s_prefix);
    Crmq__ReportParams *march = s_params ("base", "2020-03-01", "2020-04-01", NULL);
    Crmq__ReportTemplate *saved = NULL;
    int64_t before_us = crmq_time_now_us ();
    int code = s_save (analytics, name, march, "FREQ=DAILY;BYHOUR=7;BYMINUTE=0", "март, A и B",
                       false, &saved);
    CHECK (code == 0 && saved, "save: code %d %s", code, crmq_rpc_client_message (analytics));
    char next_local [32] = "";
    if (saved) {
        crmq_time_format (saved->next_run_at_us, saved->time_zone, false, next_local,
                          sizeof next_local);
        CHECK (streq (saved->name, name) && saved->version == 1 && *saved->time_zone
               && streq (saved->schedule, "FREQ=DAILY;BYHOUR=7;BYMINUTE=0")
               && streq (saved->description, "март, A и B") && saved->params
               && streq (saved->params->report, "base") && saved->last_run_at_us == 0
               && saved->created_at_us >= before_us - 1000000,
               "the template saved: %s v%" PRId64, saved->name, saved->version);
        CHECK (saved->next_run_at_us > before_us
               && saved->next_run_at_us <= before_us + 25LL * 3600 * 1000000
               && strstr (next_local, " 07:00:00"),
               "next run at 07:00 of the zone within a day: %s %s", next_local, saved->time_zone);
        crmq__report_template__free_unpacked (saved, NULL);
    }
    Crmq__ListTemplatesRequest list_request = CRMQ__LIST_TEMPLATES_REQUEST__INIT;
    Crmq__ListTemplatesReply *list = NULL;
    code = test_call (analytics, "analytics.ListTemplates", &list_request.base,
                      &crmq__list_templates_reply__descriptor, (ProtobufCMessage **) &list);
    bool listed = false;
    for (size_t i = 0; list && i < list->n_templates; i++)
        listed |= streq (list->templates [i]->name, name)
               && streq (list->templates [i]->description, "март, A и B");
    CHECK (code == 0 && listed, "listed (code %d)", code);
    if (list)
        crmq__list_templates_reply__free_unpacked (list, NULL);
    Crmq__ReportTemplate *shown = NULL;
    code = s_named (analytics, "analytics.GetTemplate", name, &crmq__report_template__descriptor,
                    (ProtobufCMessage **) &shown);
    CHECK (code == 0 && shown && shown->params && shown->params->n_filters == 1
           && shown->params->filters [0]->n_values == 2
           && streq (shown->params->filters [0]->values [1], s_id ("B")),
           "shown with its parameters (code %d)", code);
    if (shown)
        crmq__report_template__free_unpacked (shown, NULL);
    Crmq__ReportResult *result = NULL;
    code = s_named (analytics, "analytics.RunTemplate", name, &crmq__report_result__descriptor,
                    (ProtobufCMessage **) &result);
    CHECK (code == 0, "run now: code %d %s", code, crmq_rpc_client_message (analytics));
    s_check_march (result, "run now");
    if (result)
        crmq__report_result__free_unpacked (result, NULL);
    CHECK (s_runs (pg, name, 0) == 0, "a run on demand records no scheduled run");

    //  the same save again (a resend) is answered; another is 6; replace
    code = s_save (analytics, name, march, "FREQ=DAILY;BYHOUR=7;BYMINUTE=0", "март, A и B", false,
                   &saved);
    CHECK (code == 0 && saved && saved->version == 1, "a resend answers the template again");
    if (saved)
        crmq__report_template__free_unpacked (saved, NULL);
    code = s_save (analytics, name, march, "FREQ=DAILY;BYHOUR=7;BYMINUTE=0", "другое", false, NULL);
    CHECK (code == CRMQ_ALREADY_EXISTS
           && streq (crmq_rpc_client_field (analytics), "template.name"),
           "another save of the name: code %d", code);
    code = s_save (analytics, name, march, "FREQ=DAILY;BYHOUR=7;BYMINUTE=0", "март, A и B", true,
                   &saved);
    CHECK (code == 0 && saved && saved->version == 2, "replaced: version %" PRId64,
           saved? saved->version: -1);
    if (saved)
        crmq__report_template__free_unpacked (saved, NULL);

    //  names
    char long_name [160], cyrillic [160], cyrillic_long [160];
    memset (long_name, 'x', 101);
    long_name [101] = 0;
    cyrillic [0] = 0;
    for (int i = 0; i < 50; i++)
        strcat (cyrillic, "ж");
    snprintf (cyrillic_long, sizeof cyrillic_long, "%sx", cyrillic);
    s_refused (analytics, "empty name", "", march, NULL, CRMQ_INVALID_ARGUMENT, "template.name");
    s_refused (analytics, "a control character", "a\001b", march, NULL, CRMQ_INVALID_ARGUMENT,
               "template.name");
    s_refused (analytics, "a line break", "a\nb", march, NULL, CRMQ_INVALID_ARGUMENT,
               "template.name");
    s_refused (analytics, "101 bytes", long_name, march, NULL, CRMQ_INVALID_ARGUMENT,
               "template.name");
    s_refused (analytics, "101 bytes of Cyrillic", cyrillic_long, march, NULL,
               CRMQ_INVALID_ARGUMENT, "template.name");
    s_refused (analytics, "a trailing space", "имя с пробелом ", march, NULL,
               CRMQ_INVALID_ARGUMENT, "template.name");
    s_refused (analytics, "a leading space", " имя", march, NULL, CRMQ_INVALID_ARGUMENT,
               "template.name");
    s_refused (analytics, "a trailing no-break space", "имя\xC2\xA0", march, NULL,
               CRMQ_INVALID_ARGUMENT, "template.name");
    code = s_save (analytics, cyrillic, march, NULL, NULL, true, &saved);
    CHECK (code == 0 && saved && streq (saved->name, cyrillic) && saved->next_run_at_us == 0,
           "100 bytes of Cyrillic, no schedule: code %d %s", code,
           crmq_rpc_client_message (analytics));
    if (saved)
        crmq__report_template__free_unpacked (saved, NULL);
    Crmq__DeleteTemplateReply *deleted = NULL;
    code = s_named (analytics, "analytics.DeleteTemplate", cyrillic,
                    &crmq__delete_template_reply__descriptor, (ProtobufCMessage **) &deleted);
    CHECK (code == 0 && deleted && deleted->deleted, "deleted (code %d)", code);
    if (deleted)
        crmq__delete_template_reply__free_unpacked (deleted, NULL);
    code = s_named (analytics, "analytics.DeleteTemplate", cyrillic, NULL, NULL);
    CHECK (code == CRMQ_NOT_FOUND && streq (crmq_rpc_client_field (analytics), "name"),
           "deleted again: code %d field %s", code, crmq_rpc_client_field (analytics));
    code = s_named (analytics, "analytics.GetTemplate", cyrillic, NULL, NULL);
    CHECK (code == CRMQ_NOT_FOUND, "get of a deleted template: code %d", code);
    code = s_named (analytics, "analytics.RunTemplate", cyrillic, NULL, NULL);
    CHECK (code == CRMQ_NOT_FOUND, "run of a deleted template: code %d", code);
    code = s_named (analytics, "analytics.GetTemplate", "", NULL, NULL);
    CHECK (code == CRMQ_INVALID_ARGUMENT, "get of an empty name: code %d", code);

    //  schedules
    char other [128];
    snprintf (other, sizeof other, "%sother", s_prefix);
    const char *bad_rules [] = {
        "FREQ=BOGUS", "every monday", "FREQ=WEEKLY;BYDAY=XX", "FREQ=MINUTELY", "FREQ=SECONDLY",
        "FREQ=HOURLY;BYMINUTE=0,30", "FREQ=DAILY;BYHOUR=7;BYMINUTE=0,10", "FREQ=DAILY;COUNT=1",
        "FREQ=DAILY;UNTIL=20000101T000000Z", NULL };
    for (const char **rule = bad_rules; *rule; rule++)
        s_refused (analytics, *rule, other, march, *rule, CRMQ_INVALID_ARGUMENT,
                   "template.schedule");
    //  parameters
    Crmq__ReportParams *unknown = s_params ("no_such_report", NULL, NULL, NULL);
    s_refused (analytics, "unknown report", other, unknown, NULL, CRMQ_INVALID_ARGUMENT,
               "template.params.report");
    Crmq__ReportParams *relative = s_params ("base", NULL, NULL, NULL);
    relative->relative_period = strdup ("previous_fortnight");
    s_refused (analytics, "unknown relative period", other, relative, NULL,
               CRMQ_INVALID_ARGUMENT, "template.params.relative_period");
    Crmq__ReportParams *noon = s_params ("base", NULL, NULL, NULL);
    assert (crmq_time_parse ("2020-03-01 12:00", "UTC", &noon->period->from_us) == 0);
    s_refused (analytics, "a period not at midnight", other, noon, NULL, CRMQ_INVALID_ARGUMENT,
               "template.params.period");
    Crmq__ReportParams *grouped = s_params ("base", NULL, NULL, NULL);
    free (grouped->filters [0]->field);
    grouped->filters [0]->field = strdup ("product_group");
    s_refused (analytics, "base with a product_group filter", other, grouped, NULL,
               CRMQ_INVALID_ARGUMENT, "template.params.filters");
    s_refused (analytics, "no parameters", other, NULL, NULL, CRMQ_INVALID_ARGUMENT,
               "template.params");
    code = s_named (analytics, "analytics.GetTemplate", other, NULL, NULL);
    CHECK (code == CRMQ_NOT_FOUND, "nothing refused was saved: code %d", code);

    //  ----------------------------------------------------------------------
    printf ("2. a schedule that fires: next_run_at set a second back in the database\n");
    int64_t occurrence = s_fire (pg, name);
    int64_t seq = 0;
    Crmq__ReportReady *ready = s_receive (sub, name, s_wait_s, &seq);
    CHECK (ready != NULL, "analytics.report.ready of %s on the bus", name);
    if (ready) {
        CHECK (ready->scheduled_for_us == occurrence, "for the occurrence set: %" PRId64
               " = %" PRId64, ready->scheduled_for_us, occurrence);
        s_check_march (ready->result, "the scheduled run");
        CHECK (ready->result && ready->result->params
               && streq (ready->result->params->report, "base"), "the result's parameters");
        crmq__report_ready__free_unpacked (ready, NULL);
    }
    CHECK (s_runs (pg, name, occurrence) == 1, "one run recorded");
    CHECK (test_number (pg, "SELECT count (*) FROM analytics.report_runs WHERE template = $1"
                            " AND status = 'ok' AND missed = 0 AND outbox_seq = $2::bigint"
                            " AND finished_at >= started_at", name, test_id_text (seq), NULL) == 1,
           "the run: ok, its event #%" PRId64, seq);
    CHECK (test_number (pg, "SELECT count (*) FROM analytics.report_templates WHERE name = $1"
                            " AND last_status = 'ok' AND last_run_at IS NOT NULL"
                            " AND next_run_at > now ()"
                            " AND next_run_at <= now () + interval '1 day'"
                            " AND to_char (next_run_at AT TIME ZONE time_zone, 'HH24:MI:SS')"
                            "     = '07:00:00'", name, NULL) == 1,
           "next_run_at moved to the next 07:00, last_status ok");
    CHECK (s_events (pg, "analytics.report.ready", name) == 1, "one event in the log");
    //  next_run_at set back to the occurrence that ran: moved on, not run again
    char occurrence_text [24];
    snprintf (occurrence_text, sizeof occurrence_text, "%" PRId64, occurrence);
    test_number (pg, "UPDATE analytics.report_templates SET next_run_at = timestamptz 'epoch'"
                     " + $2::bigint * interval '1 microsecond' WHERE name = $1 RETURNING 1",
                 name, occurrence_text, NULL);
    long long moved = 0;
    for (int i = 0; i < s_wait_s * 10 && !moved; i++) {
        moved = test_number (pg, "SELECT count (*) FROM analytics.report_templates"
                                 " WHERE name = $1 AND next_run_at > now ()", name, NULL);
        if (!moved)
            zclock_sleep (100);
    }
    CHECK (moved == 1 && s_runs (pg, name, 0) == 1
           && s_events (pg, "analytics.report.ready", name) == 1,
           "an occurrence that ran is not run again: next_run_at moved on");
    //  crmq tail decodes it
    char command [1024];
    snprintf (command, sizeof command, "%s/bin/crmq tail analytics. --from %" PRId64
              " --count 1 --timeout 30 --format json", test_env ("BUILD"), seq);
    FILE *tail = popen (command, "r");
    char line [65536] = "";
    size_t length = tail? fread (line, 1, sizeof line - 1, tail): 0;
    line [length] = 0;
    int tail_status = tail? pclose (tail): -1;
    CHECK (tail_status == 0 && strstr (line, "\"type\":\"crmq.ReportReady\"")
           && strstr (line, "\"revenue\"") && strstr (line, "1250.00"),
           "crmq tail analytics. decodes it (exit %d): %.300s", tail_status, line);

    //  ----------------------------------------------------------------------
    printf ("3. missed occurrences: three days behind, one run\n");
    CHECK (test_number (pg,
        "UPDATE analytics.report_templates"
        "   SET schedule_start = date_trunc ('day', now () AT TIME ZONE time_zone) AT TIME ZONE"
        "       time_zone - interval '10 days',"
        "       next_run_at = (date_trunc ('day', now () AT TIME ZONE time_zone)"
        "                      - interval '3 days' + interval '7 hours') AT TIME ZONE time_zone"
        " WHERE name = $1 RETURNING 1", name, NULL) == 1, "three days behind");
    CHECK (s_wait_runs (pg, name, 0, 2) == 2, "the run came");
    //  07:00 of two days ago, yesterday and (if it is past) today
    long long expected_missed = test_number (pg,
        "SELECT count (*) FROM generate_series (1, 3) d, analytics.report_templates t,"
        "  analytics.report_runs r"
        " WHERE t.name = $1 AND r.template = t.name AND r.missed > 0"
        "   AND r.scheduled_for + d * interval '1 day' <= r.started_at", name, NULL);
    int64_t missed_seq = 0;
    size_t size = 0;
    ready = s_last_ready (pg, name, &missed_seq, &size);
    long long missed = test_number (pg, "SELECT missed FROM analytics.report_runs"
                                        " WHERE template = $1 ORDER BY id DESC LIMIT 1", name, NULL);
    CHECK (missed >= 2 && missed == expected_missed, "missed %lld, expected %lld", missed,
           expected_missed);
    char stands [64];
    snprintf (stands, sizeof stands, "stands for %lld later occurrences", missed);
    CHECK (ready && ready->result && ready->result->n_notes >= 1
           && strstr (ready->result->notes [ready->result->n_notes - 1], stands),
           "the note: %s", ready && ready->result && ready->result->n_notes
                           ? ready->result->notes [ready->result->n_notes - 1]: "none");
    if (ready)
        crmq__report_ready__free_unpacked (ready, NULL);
    zclock_sleep (wrapped? 6000: 2500);
    CHECK (s_runs (pg, name, 0) == 2 && s_events (pg, "analytics.report.ready", name) == 2,
           "once, not once each: 2 runs, 2 events in all");

    //  ----------------------------------------------------------------------
    printf ("4. a report that fails when it runs\n");
    char failing [128];
    snprintf (failing, sizeof failing, "%sfailing", s_prefix);
    code = s_save (analytics, failing, march, "FREQ=WEEKLY;BYDAY=MO;BYHOUR=7;BYMINUTE=0", NULL,
                   false, NULL);
    CHECK (code == 0, "saved %s", failing);
    //  its stored parameters become an unknown report
    size_t packed_size = protobuf_c_message_get_packed_size (&unknown->base);
    uint8_t *packed = (uint8_t *) malloc (packed_size);
    protobuf_c_message_pack (&unknown->base, packed);
    const char *values [2] = { failing, (const char *) packed };
    int lengths [2] = { 0, (int) packed_size };
    int formats [2] = { 0, 1 };
    PGresult *update = crmq_pg_execv (pg, "UPDATE analytics.report_templates SET params = $2"
                                          " WHERE name = $1", 2, values, lengths, formats);
    CHECK (update && streq (PQcmdTuples (update), "1"), "parameters replaced in the database");
    PQclear (update);
    free (packed);
    int64_t failed_for = s_fire (pg, failing);
    CHECK (s_wait_runs (pg, failing, failed_for, 1) == 1, "the failed run is recorded");
    CHECK (test_number (pg, "SELECT count (*) FROM analytics.report_runs WHERE template = $1"
                            " AND status = 'failed' AND error LIKE 'report: unknown report%'",
                        failing, NULL) == 1, "status failed with the error");
    CHECK (test_number (pg, "SELECT count (*) FROM analytics.report_templates WHERE name = $1"
                            " AND last_status LIKE 'failed: INVALID_ARGUMENT: report: unknown%'"
                            " AND next_run_at > now ()", failing, NULL) == 1,
           "last_status says so, the schedule goes on");
    int64_t failed_seq = test_number (pg, "SELECT outbox_seq FROM analytics.report_runs"
                                          " WHERE template = $1", failing, NULL);
    uint8_t *body = s_event_body (pg, failed_seq, &size);
    Crmq__ReportFailed *failed = body? crmq__report_failed__unpack (NULL, size, body): NULL;
    free (body);
    CHECK (failed && streq (failed->template_, failing) && failed->scheduled_for_us == failed_for
           && failed->error && failed->error->code == CRMQ_INVALID_ARGUMENT
           && streq (failed->error->field, "report"),
           "analytics.report.failed: code %d field %s", failed && failed->error
           ? failed->error->code: -1, failed && failed->error? failed->error->field: "");
    if (failed)
        crmq__report_failed__free_unpacked (failed, NULL);
    CHECK (test_number (pg, "SELECT count (*) FROM bus.outbox WHERE topic = 'analytics.report.failed'"
                            " AND seq = $1::bigint", test_id_text (failed_seq), NULL) == 1,
           "under analytics.report.failed");

    //  ----------------------------------------------------------------------
    printf ("5. two replicas: every occurrence once\n");
    s_replica_t replica;
    memset (&replica, 0, sizeof replica);
    s_free_endpoint (replica.endpoint, sizeof replica.endpoint);
    snprintf (replica.max_bytes, sizeof replica.max_bytes, "65536");
    s_replica_start (&replica);
    crmq_rpc_client_t *second = crmq_rpc_client_new (replica.endpoint, wrapped? 60000: 20000, 3);
    char half_hourly [128];
    snprintf (half_hourly, sizeof half_hourly, "%shalf-hourly", s_prefix);
    code = s_save (second, half_hourly, march, "FREQ=HOURLY;BYMINUTE=0,30", NULL, false, NULL);
    CHECK (code == 0, "the replica with CRMQ_TEMPLATE_MIN_INTERVAL_S=60 takes a half-hourly rule:"
           " code %d %s", code, crmq_rpc_client_message (second));
    code = s_named (second, "analytics.DeleteTemplate", half_hourly, NULL, NULL);
    CHECK (code == 0, "deleted it");
    char many [12][128];
    for (int i = 0; i < 12; i++) {
        snprintf (many [i], sizeof many [i], "%sm%02d", s_prefix, i);
        code = s_save (i % 2? second: analytics, many [i], march,
                       "FREQ=DAILY;BYHOUR=7;BYMINUTE=0", NULL, false, NULL);
        CHECK (code == 0, "saved %s", many [i]);
    }
    char pattern [128];
    snprintf (pattern, sizeof pattern, "%sm__", s_prefix);
    for (int round = 1; round <= 3; round++) {
        long long set = test_number (pg,
            "WITH d AS (UPDATE analytics.report_templates"
            "   SET next_run_at = date_trunc ('milliseconds', clock_timestamp ())"
            "       - interval '1 second' WHERE name LIKE $1 RETURNING 1)"
            " SELECT count (*) FROM d", pattern, NULL);
        long long runs = 0;
        for (int i = 0; i < s_wait_s * 10; i++) {
            runs = test_number (pg, "SELECT count (*) FROM analytics.report_runs"
                                    " WHERE template LIKE $1", pattern, NULL);
            if (runs >= 12 * round)
                break;
            zclock_sleep (100);
        }
        CHECK (set == 12 && runs == 12 * round, "round %d: %lld runs", round, runs);
    }
    zclock_sleep (wrapped? 6000: 2500);
    CHECK (test_number (pg, "SELECT count (*) FROM analytics.report_runs WHERE template LIKE $1",
                        pattern, NULL) == 36,
           "36 runs: 12 templates x 3 occurrences");
    CHECK (test_number (pg, "SELECT count (DISTINCT (template, scheduled_for))"
                            " FROM analytics.report_runs WHERE template LIKE $1",
                        pattern, NULL) == 36, "36 distinct occurrences");
    long long events = 0;
    for (int i = 0; i < 12; i++)
        events += s_events (pg, "analytics.report.ready", many [i]);
    CHECK (events == 36, "36 events, not %lld", events);
    PGresult *by = test_query (pg, "SELECT run_by, count (*) FROM analytics.report_runs"
                                   " WHERE template LIKE $1 GROUP BY 1 ORDER BY 1", pattern, NULL);
    for (int row = 0; by && row < PQntuples (by); row++)
        printf ("  runs by %s: %s\n", PQgetvalue (by, row, 0), PQgetvalue (by, row, 1));
    PQclear (by);

    //  ----------------------------------------------------------------------
    printf ("6. a result larger than an event: cut with a note\n");
    const char *script = getenv ("CRMQ_STACK_SCRIPT");
    snprintf (command, sizeof command, "%s stop-service '%s' analytics >/dev/null 2>&1",
              script? script: "deploy/stack.sh", test_env ("CRMQ_STACK_DIR"));
    CHECK (system (command) == 0, "the stack's crmq-analytics stopped");
    char big [128];
    snprintf (big, sizeof big, "%sdaily-13-years", s_prefix);
    Crmq__ReportParams *daily = s_params ("base", "2000-01-01", "2013-01-01", "day");
    code = s_save (second, big, daily, "FREQ=DAILY;BYHOUR=7;BYMINUTE=0", NULL, false, NULL);
    CHECK (code == 0, "saved %s: %s", big, crmq_rpc_client_message (second));
    int64_t big_for = s_fire (pg, big);
    CHECK (s_wait_runs (pg, big, big_for, 1) == 1, "the large run is recorded");
    int64_t big_seq = 0;
    ready = s_last_ready (pg, big, &big_seq, &size);
    const Crmq__ReportTable *history = ready? s_table (ready->result, "history"): NULL;
    CHECK (ready && size <= 65536 - 4096, "the event fits: %zu bytes", size);
    CHECK (history && history->total_rows == 4749 && history->n_rows > 100
           && history->n_rows < 4749, "history: %zu of %" PRId64 " rows",
           history? history->n_rows: 0, history? history->total_rows: 0);
    bool noted = false;
    for (size_t i = 0; ready && ready->result && i < ready->result->n_notes; i++)
        noted |= strstr (ready->result->notes [i], "history has its first") != NULL;
    CHECK (noted, "a note says the history was cut");
    if (ready)
        crmq__report_ready__free_unpacked (ready, NULL);
    CHECK (test_start_service ("analytics") == 0, "the stack's crmq-analytics started again");

    //  ----------------------------------------------------------------------
    printf ("7. kill -9 in the middle of a run\n");
    char killed [128];
    snprintf (killed, sizeof killed, "%skilled", s_prefix);
    code = s_save (analytics, killed, march, "FREQ=DAILY;BYHOUR=7;BYMINUTE=0", NULL, false, NULL);
    CHECK (code == 0, "saved %s", killed);
    crmq_pg_t *locker = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_report_templates_lock");
    CHECK (crmq_pg_command (locker, "BEGIN", 0, NULL) == 0
           && crmq_pg_command (locker, "LOCK TABLE analytics.report_runs IN SHARE MODE", 0,
                               NULL) == 0, "analytics.report_runs locked against inserts");
    int64_t killed_for = s_fire (pg, killed);
    char holder [128] = "";
    for (int i = 0; i < s_wait_s * 10 && !*holder; i++) {
        test_value (pg, holder, sizeof holder,
                    "SELECT coalesce (max (application_name), '') FROM pg_stat_activity"
                    " WHERE application_name LIKE 'crmq-analytics-templates/%'"
                    "   AND wait_event_type = 'Lock'", NULL);
        if (!*holder)
            zclock_sleep (100);
    }
    pid_t victim = *holder? (pid_t) atoi (strchr (holder, '/') + 1): 0;
    bool stack_one = victim > 0 && victim == test_service_pid ("analytics");
    printf ("  %s waits at the insert of its run: killing pid %d (%s) with SIGKILL\n", holder,
            (int) victim, stack_one? "the stack's crmq-analytics": "the second replica");
    CHECK (victim > 0 && (stack_one || victim == replica.pid), "a replica holds the run");
    if (victim > 0)
        kill (victim, SIGKILL);
    zclock_sleep (500);
    CHECK (crmq_pg_command (locker, "ROLLBACK", 0, NULL) == 0, "the lock released");
    crmq_pg_destroy (&locker);
    if (stack_one)
        CHECK (test_start_service ("analytics") == 0, "the stack's crmq-analytics restarted");
    else {
        s_replica_stop (&replica, true);
        s_replica_start (&replica);
        crmq_rpc_client_destroy (&second);
        second = crmq_rpc_client_new (replica.endpoint, wrapped? 60000: 20000, 3);
    }
    CHECK (s_wait_runs (pg, killed, killed_for, 1) == 1, "the occurrence ran after the restart");
    zclock_sleep (wrapped? 6000: 2500);
    CHECK (s_runs (pg, killed, 0) == 1 && s_events (pg, "analytics.report.ready", killed) == 1,
           "exactly once: %lld runs, %lld events", s_runs (pg, killed, 0),
           s_events (pg, "analytics.report.ready", killed));
    char victim_by [64], run_by [200] = "";
    snprintf (victim_by, sizeof victim_by, "pid %d on", (int) victim);
    test_value (pg, run_by, sizeof run_by, "SELECT run_by FROM analytics.report_runs"
                                           " WHERE template = $1", killed, NULL);
    CHECK (*run_by && !strstr (run_by, victim_by), "run by %s, not by the killed pid %d", run_by,
           (int) victim);

    //  ----------------------------------------------------------------------
    printf ("clean-up: the templates deleted with their runs\n");
    const char *names [4] = { name, failing, big, killed };
    for (int i = 0; i < 4; i++)
        CHECK (s_named (analytics, "analytics.DeleteTemplate", names [i], NULL, NULL) == 0,
               "deleted %s", names [i]);
    for (int i = 0; i < 12; i++)
        s_named (analytics, "analytics.DeleteTemplate", many [i], NULL, NULL);
    char like [128];
    snprintf (like, sizeof like, "%s%%", s_prefix);
    CHECK (test_number (pg, "SELECT count (*) FROM analytics.report_runs WHERE template LIKE $1",
                        like, NULL) == 0, "no run left");
    s_replica_stop (&replica, false);

    crmq__report_params__free_unpacked (march, NULL);
    crmq__report_params__free_unpacked (unknown, NULL);
    crmq__report_params__free_unpacked (relative, NULL);
    crmq__report_params__free_unpacked (grouped, NULL);
    crmq__report_params__free_unpacked (noon, NULL);
    crmq__report_params__free_unpacked (daily, NULL);
    crmq_rpc_client_destroy (&second);
    zsock_destroy (&sub);
    crmq_rpc_client_destroy (&analytics);
    crmq_rpc_client_destroy (&sales);
    crmq_pg_destroy (&pg);
    printf ("%s: %d failure(s)\n", s_failures? "FAIL": "PASS", s_failures);
    return s_failures? 1: 0;
}

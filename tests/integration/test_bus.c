/*  test_bus - the event log end to end: crmq-bus and the consumer library
    against the test stack's PostgreSQL.

    - a durable consumer down while 10,000 events are written gets all of
      them on start, in order, each effect once;
    - two transactions committing out of seq order: nothing is delivered
      until the lower seq commits, then both, in seq order;
    - crmq-bus killed with SIGKILL in the middle of a stream and restarted:
      every event reaches the consumer, in order, once;
    - a subscriber that does not read while crmq-bus's high-water mark is
      small loses messages on the way, finds the gap by the marks, replays;
    - retention (archive mode, 1 s) removes only what no registered consumer
      lacks, and bus.Replay still serves archived events;
    - bus.Replay and bus.DropConsumer refuse bad requests clearly.
    Every topic is under "test.bus.<pid>." so other tests' events do not
    count.                                                                   */
#include "test_support.h"
#include <pthread.h>

static char s_prefix [64];          //  "test.bus.<pid>."

//  What a consumer saw: events in order, each once, with their bodies'
//  numbers counting up.
typedef struct {
    int64_t count;
    int64_t last_seq;
    long last_number;
    int64_t disorder;               //  seq not above the previous one
    int64_t skipped;                //  body number not previous + 1
    int64_t first_seq, seqs [2];
} s_seen_t;

static void
s_see (s_seen_t *seen, const crmq_event_t *event)
{
    long number = strtol ((const char *) event->body, NULL, 10);
    if (seen->count && event->seq <= seen->last_seq)
        seen->disorder++;
    if (seen->count && number != seen->last_number + 1)
        seen->skipped++;
    if (seen->count < 2)
        seen->seqs [seen->count] = event->seq;
    seen->last_seq = event->seq;
    seen->last_number = number;
    seen->count++;
}

static int
s_memory_apply (crmq_pg_t *pg, const crmq_event_t *event, void *arg)
{
    assert (!pg);
    s_see ((s_seen_t *) arg, event);
    return 0;
}

//  The effect of a durable consumer: one row per event, a duplicate would
//  break the primary key.
static const char *SQL_EFFECTS =
    "CREATE TABLE IF NOT EXISTS public.test_bus_effects ("
    " consumer text, seq bigint, number bigint, PRIMARY KEY (consumer, seq))";
static const char *SQL_EFFECT =
    "INSERT INTO public.test_bus_effects (consumer, seq, number) VALUES ($1, $2::bigint, $3::bigint)";

typedef struct {
    const char *name;
} s_durable_t;

static int
s_durable_apply (crmq_pg_t *pg, const crmq_event_t *event, void *arg)
{
    s_durable_t *durable = (s_durable_t *) arg;
    char seq [24], number [24];
    snprintf (seq, sizeof seq, "%" PRId64, event->seq);
    snprintf (number, sizeof number, "%ld", strtol ((const char *) event->body, NULL, 10));
    const char *values [3] = { durable->name, seq, number };
    return crmq_pg_command (pg, SQL_EFFECT, 3, values);
}

//  Writes events number from..to (bodies "<number>:" + padding bytes) under
//  topic, in one statement.
static void
s_write (crmq_pg_t *pg, const char *topic, int from, int to, int padding)
{
    char from_text [16], to_text [16], padding_text [16];
    snprintf (from_text, sizeof from_text, "%d", from);
    snprintf (to_text, sizeof to_text, "%d", to);
    snprintf (padding_text, sizeof padding_text, "%d", padding);
    const char *values [4] = { topic, from_text, to_text, padding_text };
    int rc = crmq_pg_command (pg,
        "INSERT INTO bus.outbox (topic, producer, body)"
        " SELECT $1, 'test', convert_to (g::text || ':' || repeat ('x', $4::int), 'UTF8')"
        "   FROM generate_series ($2::int, $3::int) g", 4, values);
    CHECK (rc == 0, "writing events %d..%d: %s", from, to, crmq_pg_error (pg));
}

static crmq_consumer_t *
s_consumer (const char *name, const char *prefix, crmq_pg_t *pg, crmq_consumer_apply_fn *apply,
            void *arg, int64_t from_seq, int rcvhwm)
{
    crmq_consumer_config_t config = {
        .name = name, .prefix = prefix,
        .pub_endpoint = test_env ("CRMQ_BUS_PUB_ENDPOINT"),
        .replay_endpoint = test_env ("CRMQ_BUS_ENDPOINT"),
        .pg = pg, .apply = apply, .arg = arg, .from_seq = from_seq, .rcvhwm = rcvhwm,
        .rpc_timeout_ms = getenv ("CRMQ_SERVICE_WRAPPER")? 20000: 3000
    };
    crmq_consumer_t *consumer = crmq_consumer_new (&config);
    CHECK (consumer != NULL, "consumer %s created", name);
    return consumer;
}

//  Runs the consumer until `done` says so or timeout_ms passed.
static void
s_run_until (crmq_consumer_t *consumer, int64_t (*progress) (void *), void *arg, int64_t want,
             int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (progress (arg) < want && zclock_mono () < deadline)
        crmq_consumer_process (consumer, 100);
}

static int64_t
s_seen_count (void *arg)
{
    return ((s_seen_t *) arg)->count;
}

static crmq_pg_t *s_pg;

static int64_t
s_effects_count (void *arg)
{
    return test_number (s_pg, "SELECT count (*) FROM public.test_bus_effects WHERE consumer = $1",
                        (const char *) arg, NULL);
}

//  The durable consumer's effects: count, and rows whose number order
//  differs from their seq order (events applied out of order).
static void
s_check_effects (const char *name, long long want, const char *what)
{
    long long count = s_effects_count ((void *) name);
    CHECK (count == want, "%s: %lld effects, want %lld", what, count, want);
    long long disorder = test_number (s_pg,
        "SELECT count (*) FROM (SELECT number, lag (number) OVER (ORDER BY seq) AS previous"
        "  FROM public.test_bus_effects WHERE consumer = $1) e WHERE number <> previous + 1",
        name, NULL);
    CHECK (disorder == 0, "%s: %lld events out of order", what, disorder);
}

//  Restarts crmq-bus with the environment as it is now.
static void
s_restart_bus (void)
{
    const char *script = getenv ("CRMQ_STACK_SCRIPT");
    char command [1200];
    snprintf (command, sizeof command, "%s restart-service '%s' bus >/dev/null",
              script? script: "deploy/stack.sh", test_env ("CRMQ_STACK_DIR"));
    int rc = system (command);
    CHECK (rc == 0, "crmq-bus restarted: %d", rc);
}

//  --------------------------------------------------------------------------

static void
s_test_down_while_written (int events)
{
    printf ("a durable consumer down while %d events are written\n", events);
    char topic [96], name [96];
    snprintf (topic, sizeof topic, "%sdown.event", s_prefix);
    snprintf (name, sizeof name, "%sdown", s_prefix);
    s_durable_t durable = { name };
    crmq_consumer_t *consumer = s_consumer (name, topic, s_pg, s_durable_apply, &durable, 0, 0);
    crmq_consumer_process (consumer, 200);
    crmq_consumer_destroy (&consumer);
    for (int from = 1; from <= events; from += 100)
        s_write (s_pg, topic, from, from + 99 <= events? from + 99: events, 0);
    int64_t started = zclock_mono ();
    consumer = s_consumer (name, topic, s_pg, s_durable_apply, &durable, 0, 0);
    s_run_until (consumer, s_effects_count, (void *) name, events, 300000);
    printf ("  %d events applied in %" PRId64 " ms after the consumer came back\n", events,
            zclock_mono () - started);
    s_check_effects (name, events, "down while written");
    //  once more: nothing is applied twice
    crmq_consumer_destroy (&consumer);
    consumer = s_consumer (name, topic, s_pg, s_durable_apply, &durable, 0, 0);
    for (int round = 0; round < 5; round++)
        crmq_consumer_process (consumer, 100);
    CHECK (crmq_consumer_applied (consumer) == 0, "restarted again: %" PRIu64 " applied",
           crmq_consumer_applied (consumer));
    s_check_effects (name, events, "down while written, restarted");
    crmq_consumer_destroy (&consumer);
}

static void
s_test_out_of_order_commits (void)
{
    printf ("two transactions committing out of seq order\n");
    char topic [96];
    snprintf (topic, sizeof topic, "%sorder.event", s_prefix);
    s_seen_t seen = { 0 };
    crmq_consumer_t *consumer = s_consumer ("", topic, NULL, s_memory_apply, &seen, 0, 0);
    for (int round = 0; round < 5; round++)
        crmq_consumer_process (consumer, 100);
    crmq_pg_t *first = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_bus_first");
    crmq_pg_t *second = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_bus_second");
    CHECK (crmq_pg_command (first, "BEGIN", 0, NULL) == 0, "BEGIN first");
    s_write (first, topic, 1, 1, 0);
    CHECK (crmq_pg_command (second, "BEGIN", 0, NULL) == 0, "BEGIN second");
    s_write (second, topic, 2, 2, 0);
    CHECK (crmq_pg_command (second, "COMMIT", 0, NULL) == 0, "COMMIT second");
    int64_t until = zclock_mono () + 1500;
    while (zclock_mono () < until)
        crmq_consumer_process (consumer, 100);
    CHECK (seen.count == 0, "nothing delivered while the lower seq is open: %" PRId64, seen.count);
    CHECK (crmq_pg_command (first, "COMMIT", 0, NULL) == 0, "COMMIT first");
    s_run_until (consumer, s_seen_count, &seen, 2, 30000);
    CHECK (seen.count == 2 && seen.disorder == 0 && seen.skipped == 0 && seen.seqs [0] < seen.seqs [1],
           "both delivered in seq order: count %" PRId64 " disorder %" PRId64 " skipped %" PRId64,
           seen.count, seen.disorder, seen.skipped);
    //  a rolled-back seq leaves a hole that must not stop the stream
    CHECK (crmq_pg_command (first, "BEGIN", 0, NULL) == 0, "BEGIN");
    s_write (first, topic, 99, 99, 0);
    CHECK (crmq_pg_command (first, "ROLLBACK", 0, NULL) == 0, "ROLLBACK");
    s_write (s_pg, topic, 3, 3, 0);
    s_run_until (consumer, s_seen_count, &seen, 3, 30000);
    CHECK (seen.count == 3 && seen.last_number == 3, "the event after a rolled-back one: count %"
           PRId64 " last %ld", seen.count, seen.last_number);
    //  the open transaction's xid above every finished one (a snapshot's
    //  in-progress list leaves it out): the second takes its xid first, the
    //  first takes a lower seq, the second a higher one and commits
    CHECK (crmq_pg_command (second, "BEGIN", 0, NULL) == 0, "BEGIN second");
    CHECK (crmq_pg_command (second, "SELECT pg_current_xact_id ()", 0, NULL) == 0, "second's xid");
    CHECK (crmq_pg_command (first, "BEGIN", 0, NULL) == 0, "BEGIN first");
    s_write (first, topic, 4, 4, 0);
    s_write (second, topic, 5, 5, 0);
    CHECK (crmq_pg_command (second, "COMMIT", 0, NULL) == 0, "COMMIT second");
    until = zclock_mono () + 1500;
    while (zclock_mono () < until)
        crmq_consumer_process (consumer, 100);
    CHECK (seen.count == 3, "nothing more while the lower seq is open: %" PRId64, seen.count);
    CHECK (crmq_pg_command (first, "COMMIT", 0, NULL) == 0, "COMMIT first");
    s_run_until (consumer, s_seen_count, &seen, 5, 30000);
    CHECK (seen.count == 5 && seen.disorder == 0 && seen.skipped == 0 && seen.last_number == 5,
           "then both in seq order: count %" PRId64 " disorder %" PRId64 " skipped %" PRId64,
           seen.count, seen.disorder, seen.skipped);
    crmq_pg_destroy (&first);
    crmq_pg_destroy (&second);
    crmq_consumer_destroy (&consumer);
}

typedef struct {
    const char *topic;
    int events, per_transaction;
    volatile int written;
} s_writer_t;

static void *
s_writer (void *arg)
{
    s_writer_t *writer = (s_writer_t *) arg;
    crmq_pg_t *pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_bus_writer");
    for (int from = 1; from <= writer->events; from += writer->per_transaction) {
        int to = from + writer->per_transaction - 1;
        s_write (pg, writer->topic, from, to, 0);
        writer->written = to;
        zclock_sleep (5);
    }
    crmq_pg_destroy (&pg);
    return NULL;
}

static void
s_test_bus_killed (int events)
{
    printf ("crmq-bus killed with SIGKILL during a stream of %d events\n", events);
    char topic [96], name [96];
    snprintf (topic, sizeof topic, "%skill.event", s_prefix);
    snprintf (name, sizeof name, "%skill", s_prefix);
    s_durable_t durable = { name };
    crmq_consumer_t *consumer = s_consumer (name, topic, s_pg, s_durable_apply, &durable, 0, 0);
    s_writer_t writer = { topic, events, 10, 0 };
    pthread_t thread;
    pthread_create (&thread, NULL, s_writer, &writer);
    bool killed = false;
    int64_t deadline = zclock_mono () + 300000;
    while (zclock_mono () < deadline) {
        crmq_consumer_process (consumer, 50);
        if (!killed && writer.written >= events / 3) {
            int64_t applied = (int64_t) crmq_consumer_applied (consumer);
            CHECK (applied > 0, "events flowed before the kill: %" PRId64, applied);
            test_kill_and_restart ("bus", 500);
            killed = true;
        }
        if (killed && writer.written >= events && s_effects_count ((void *) name) >= events)
            break;
    }
    pthread_join (thread, NULL);
    s_check_effects (name, events, "bus killed");
    printf ("  replays %" PRIu64 ", gaps %" PRIu64 "\n", crmq_consumer_replays (consumer),
            crmq_consumer_gaps (consumer));
    crmq_consumer_destroy (&consumer);
}

static void
s_test_slow_subscriber (int events)
{
    printf ("a subscriber that overflows its high-water mark (%d events of 4 KB)\n", events);
    setenv ("CRMQ_BUS_SNDHWM", "10", 1);
    s_restart_bus ();
    char topic [96];
    snprintf (topic, sizeof topic, "%sslow.event", s_prefix);
    s_seen_t seen = { 0 };
    crmq_consumer_t *consumer = s_consumer ("", topic, NULL, s_memory_apply, &seen, 0, 10);
    for (int round = 0; round < 10; round++)
        crmq_consumer_process (consumer, 100);
    s_write (s_pg, topic, 1, events, 4000);
    zclock_sleep (2000);            //  the bus publishes it all meanwhile; most is dropped
    s_run_until (consumer, s_seen_count, &seen, events, 120000);
    CHECK (seen.count == events && seen.disorder == 0 && seen.skipped == 0,
           "all delivered in order once: count %" PRId64 " disorder %" PRId64 " skipped %" PRId64,
           seen.count, seen.disorder, seen.skipped);
    CHECK (crmq_consumer_gaps (consumer) > 0, "the gap was found by a mark: %" PRIu64,
           crmq_consumer_gaps (consumer));
    printf ("  gaps %" PRIu64 ", replays %" PRIu64 "\n", crmq_consumer_gaps (consumer),
            crmq_consumer_replays (consumer));
    crmq_consumer_destroy (&consumer);
    unsetenv ("CRMQ_BUS_SNDHWM");
}

static int
s_replay_code (crmq_rpc_client_t *client, int64_t from, const char *prefix, int limit,
               Crmq__ReplayReply **reply)
{
    Crmq__ReplayRequest request = CRMQ__REPLAY_REQUEST__INIT;
    request.from_seq = from;
    request.topic_prefix = (char *) prefix;
    request.limit = limit;
    return test_call (client, "bus.Replay", &request.base, &crmq__replay_reply__descriptor,
                      (ProtobufCMessage **) reply);
}

static void
s_test_retention (crmq_rpc_client_t *client)
{
    printf ("retention: archive after 1 s, never what a registered consumer lacks\n");
    setenv ("CRMQ_BUS_RETENTION_S", "1", 1);
    setenv ("CRMQ_BUS_RETENTION_INTERVAL_S", "1", 1);
    setenv ("CRMQ_BUS_RETENTION_MODE", "archive", 1);
    s_restart_bus ();
    char needed [96], other [96], name [96];
    snprintf (needed, sizeof needed, "%sretention.needed", s_prefix);
    snprintf (other, sizeof other, "%sretention.other", s_prefix);
    snprintf (name, sizeof name, "%sretention", s_prefix);
    s_durable_t durable = { name };
    crmq_consumer_t *consumer = s_consumer (name, needed, s_pg, s_durable_apply, &durable, 0, 0);
    s_write (s_pg, needed, 1, 10, 0);
    s_write (s_pg, other, 1, 10, 0);
    //  older events of other tests go first: wait for ours
    long long archived = 0;
    for (int64_t until = zclock_mono () + 120000; archived < 10 && zclock_mono () < until; ) {
        zclock_sleep (500);
        archived = test_number (s_pg, "SELECT count (*) FROM bus.outbox_archive WHERE topic = $1",
                                other, NULL);
    }
    zclock_sleep (2500);            //  two more runs: the needed ones must stay
    long long kept = test_number (s_pg, "SELECT count (*) FROM bus.outbox WHERE topic = $1", needed, NULL);
    long long gone = test_number (s_pg, "SELECT count (*) FROM bus.outbox WHERE topic = $1", other, NULL);
    CHECK (kept == 10, "events the consumer lacks are kept: %lld", kept);
    CHECK (gone == 0 && archived == 10, "events nobody needs are archived: %lld left, %lld archived",
           gone, archived);
    s_run_until (consumer, s_effects_count, (void *) name, 10, 30000);
    s_check_effects (name, 10, "retention");
    for (int64_t until = zclock_mono () + 60000; kept > 0 && zclock_mono () < until; ) {
        zclock_sleep (500);
        kept = test_number (s_pg, "SELECT count (*) FROM bus.outbox WHERE topic = $1", needed, NULL);
    }
    CHECK (kept == 0, "once applied they are archived too: %lld left", kept);
    long long first = test_number (s_pg, "SELECT min (seq) FROM bus.outbox_archive WHERE topic = $1",
                                   other, NULL);
    Crmq__ReplayReply *reply = NULL;
    int code = s_replay_code (client, first, other, 100, &reply);
    CHECK (code == 0 && reply && reply->n_events == 10, "archived events replayed: code %d, %zu events",
           code, reply? reply->n_events: 0);
    if (reply)
        crmq__replay_reply__free_unpacked (reply, NULL);
    crmq_consumer_destroy (&consumer);
    unsetenv ("CRMQ_BUS_RETENTION_S");
    unsetenv ("CRMQ_BUS_RETENTION_INTERVAL_S");
    unsetenv ("CRMQ_BUS_RETENTION_MODE");
    s_restart_bus ();
}

static void
s_test_requests (crmq_rpc_client_t *client)
{
    printf ("bus.Replay, bus.Consumers and bus.DropConsumer\n");
    Crmq__ReplayReply *reply = NULL;
    CHECK (s_replay_code (client, 1, "", 10001, &reply) == CRMQ_INVALID_ARGUMENT, "limit 10001 refused");
    CHECK (s_replay_code (client, -1, "", 10, &reply) == CRMQ_INVALID_ARGUMENT, "from_seq -1 refused");
    CHECK (s_replay_code (client, 1, "bad\nprefix", 10, &reply) == CRMQ_INVALID_ARGUMENT,
           "a prefix with a line break refused");
    uint8_t *body = NULL;
    size_t size = 0;
    int code = crmq_rpc_call_raw (client, "bus.Replay", "\xff\xff\xff", 3, 2, &body, &size);
    free (body);
    CHECK (code == CRMQ_INVALID_ARGUMENT, "garbage body refused: %d", code);
    char topic [96];
    snprintf (topic, sizeof topic, "%sdown.", s_prefix);
    code = s_replay_code (client, 1, topic, 5, &reply);
    CHECK (code == 0 && reply && reply->n_events == 5 && reply->published_seq >= reply->events [4]->seq,
           "a page of 5 events below the published bound: %d", code);
    if (reply)
        crmq__replay_reply__free_unpacked (reply, NULL);

    Crmq__ConsumersRequest list = CRMQ__CONSUMERS_REQUEST__INIT;
    Crmq__ConsumersReply *consumers = NULL;
    code = test_call (client, "bus.Consumers", &list.base, &crmq__consumers_reply__descriptor,
                      (ProtobufCMessage **) &consumers);
    size_t ours = 0;
    for (size_t index = 0; consumers && index < consumers->n_consumers; index++)
        ours += strncmp (consumers->consumers [index]->name, s_prefix, strlen (s_prefix)) == 0;
    CHECK (code == 0 && ours == 3, "the test's 3 consumers listed: code %d, %zu", code, ours);
    if (consumers)
        crmq__consumers_reply__free_unpacked (consumers, NULL);
    const char *names [] = { "down", "kill", "retention" };
    for (size_t index = 0; index < 3; index++) {
        char name [96];
        snprintf (name, sizeof name, "%s%s", s_prefix, names [index]);
        Crmq__DropConsumerRequest drop = CRMQ__DROP_CONSUMER_REQUEST__INIT;
        drop.name = name;
        code = test_call (client, "bus.DropConsumer", &drop.base, NULL, NULL);
        CHECK (code == CRMQ_FAILED_PRECONDITION, "consumer %s active a moment ago: kept: %d",
               name, code);
        drop.force = true;
        code = test_call (client, "bus.DropConsumer", &drop.base, NULL, NULL);
        CHECK (code == 0, "consumer %s dropped with force: %d", name, code);
    }
    Crmq__DropConsumerRequest drop = CRMQ__DROP_CONSUMER_REQUEST__INIT;
    drop.name = "no such consumer";
    code = test_call (client, "bus.DropConsumer", &drop.base, NULL, NULL);
    CHECK (code == CRMQ_NOT_FOUND, "unknown consumer: %d", code);
}

int
main (void)
{
    crmq_log_init ("test_bus", "error");
    snprintf (s_prefix, sizeof s_prefix, "test.bus.%d.", (int) getpid ());
    s_pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_bus");
    CHECK (crmq_pg_command (s_pg, SQL_EFFECTS, 0, NULL) == 0, "effects table: %s", crmq_pg_error (s_pg));
    bool valgrind = getenv ("CRMQ_SERVICE_WRAPPER") != NULL;
    crmq_rpc_client_t *client = crmq_rpc_client_new (test_env ("CRMQ_BUS_ENDPOINT"),
                                                     valgrind? 30000: 5000, 2);

    //  TEST_BUS_ONLY=kill (down, order, kill, slow, retention) runs one part
    const char *only = getenv ("TEST_BUS_ONLY");
    if (!only || streq (only, "down"))
        s_test_down_while_written (10000);
    if (!only || streq (only, "order"))
        s_test_out_of_order_commits ();
    if (!only || streq (only, "kill"))
        s_test_bus_killed (valgrind? 600: 3000);
    if (!only || streq (only, "slow"))
        s_test_slow_subscriber (valgrind? 1000: 3000);
    if (!only || streq (only, "retention"))
        s_test_retention (client);
    if (!only)
        s_test_requests (client);

    crmq_rpc_client_destroy (&client);
    crmq_pg_destroy (&s_pg);
    printf ("test_bus: %s\n", s_failures? "FAIL": "PASS");
    return s_failures? 1: 0;
}

/*  test_publisher_kill - the ERP publisher with 8 batches in flight keeps
    sending while crmq-sales is killed with SIGKILL and started again: every
    event it reports acknowledged is stored, every event is stored exactly
    once, and no event is reported twice.                                   */
#include "test_support.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#define ORDERS       6000
#define BATCH_SIZE   50
#define WINDOW       8
#define KILL_AFTER   10             //  batches acknowledged before the kill

static atomic_int s_batches_done;   //  batches acknowledged so far
static atomic_int s_batches_at_kill = -1;

//  Kills crmq-sales once KILL_AFTER batches are acknowledged (so batches are
//  in flight), then starts it again.
static void *
s_killer (void *arg)
{
    (void) arg;
    for (int waited = 0; atomic_load (&s_batches_done) < KILL_AFTER && waited < 60000; waited += 5)
        zclock_sleep (5);
    atomic_store (&s_batches_at_kill, atomic_load (&s_batches_done));
    printf ("after %d batches acknowledged:\n", atomic_load (&s_batches_at_kill));
    test_kill_and_restart ("sales", 300);
    return NULL;
}

typedef struct {
    zhashx_t *acked;                //  event_id -> times reported acknowledged
    size_t rejected;
    size_t duplicates;
} s_tally_t;

static void
s_on_ack (void *arg, uint64_t batch_id, const Crmq__IngestReply *reply)
{
    (void) batch_id;
    s_tally_t *tally = (s_tally_t *) arg;
    for (size_t i = 0; i < reply->n_results; i++) {
        const Crmq__EventResult *result = reply->results [i];
        if (result->code != CRMQ_OK) {
            printf ("rejected %s: %s\n", result->event_id,
                    result->error? result->error->message: "");
            tally->rejected++;
            continue;
        }
        if (result->duplicate)
            tally->duplicates++;
        uintptr_t times = (uintptr_t) zhashx_lookup (tally->acked, result->event_id);
        zhashx_update (tally->acked, result->event_id, (void *) (times + 1));
    }
    atomic_fetch_add (&s_batches_done, 1);
}

int
main (void)
{
    crmq_log_init ("test_publisher_kill", "warn");
    crmq_pg_t *pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_publisher_kill");
    crmq_publisher_t *publisher = crmq_publisher_new (test_env ("CRMQ_SALES_ENDPOINT"),
                                                      BATCH_SIZE, 16777216);
    //  short timeout, many resends: the publisher rides through the restart
    crmq_publisher_set_window (publisher, WINDOW);
    crmq_publisher_set_timeout (publisher, 1000, 60);
    s_tally_t tally = { zhashx_new (), 0, 0 };
    crmq_publisher_set_ack_fn (publisher, s_on_ack, &tally);

    //  master data first, acknowledged before the orders that use it
    Crmq__ErpEvent *client = test_client_event ("pkill:client", "PKILL1", "Pipeline GmbH");
    Crmq__ErpEvent *product = test_product_event ("pkill:product", "PKP1", "Chai");
    int rc = crmq_publisher_add (publisher, client);
    if (rc == 0)
        rc = crmq_publisher_add (publisher, product);
    if (rc == 0)
        rc = crmq_publisher_barrier (publisher);
    CHECK (rc == 0, "master data: %s", crmq_publisher_message (publisher));
    test_event_destroy (&client);
    test_event_destroy (&product);
    zhashx_purge (tally.acked);           //  the orders are counted below
    atomic_store (&s_batches_done, 0);

    pid_t first_pid = test_service_pid ("sales");
    pthread_t killer;
    pthread_create (&killer, NULL, s_killer, NULL);
    for (int n = 0; n < ORDERS && rc == 0; n++) {
        char event_id [64], order_id [32];
        snprintf (event_id, sizeof event_id, "pkill:order:%d", n);
        snprintf (order_id, sizeof order_id, "PK%d", n);
        Crmq__ErpEvent *event = test_order_event (event_id, order_id, "PKILL1", "PKP1",
                                                  1 + n % 7, 250);
        rc = crmq_publisher_add (publisher, event);
        test_event_destroy (&event);
    }
    if (rc == 0)
        rc = crmq_publisher_barrier (publisher);
    CHECK (rc == 0, "publishing: %s %s", crmq_status_name (crmq_publisher_code (publisher)),
           crmq_publisher_message (publisher));
    pthread_join (killer, NULL);
    pid_t second_pid = test_service_pid ("sales");
    printf ("batches %zu, resends %zu, duplicates reported %zu\n",
            crmq_publisher_batches (publisher), crmq_publisher_resends (publisher),
            tally.duplicates);
    CHECK (first_pid > 0 && second_pid > 0 && first_pid != second_pid,
           "crmq-sales was restarted: pid %d -> %d", (int) first_pid, (int) second_pid);
    int at_kill = atomic_load (&s_batches_at_kill);
    CHECK (at_kill >= KILL_AFTER && at_kill < ORDERS / BATCH_SIZE,
           "killed in the middle of the load: after %d of %d batches", at_kill, ORDERS / BATCH_SIZE);
    CHECK (crmq_publisher_resends (publisher) > 0, "batches in flight at the kill were resent");
    CHECK (tally.rejected == 0, "%zu events rejected", tally.rejected);
    CHECK (zhashx_size (tally.acked) == ORDERS, "%zu of %d events acknowledged",
           zhashx_size (tally.acked), ORDERS);
    size_t twice = 0;
    for (void *times = zhashx_first (tally.acked); times; times = zhashx_next (tally.acked))
        if ((uintptr_t) times != 1)
            twice++;
    CHECK (twice == 0, "%zu events reported acknowledged more than once", twice);

    //  every acknowledged event is in the database, each order exactly once
    crmq_pg_array_t *ids = crmq_pg_array_new ();
    for (void *times = zhashx_first (tally.acked); times; times = zhashx_next (tally.acked))
        crmq_pg_array_append (ids, (const char *) zhashx_cursor (tally.acked));
    const char *values [1] = { crmq_pg_array_text (ids) };
    PGresult *result = crmq_pg_exec (pg,
        "SELECT count(*) FROM unnest($1::text[]) AS a(event_id)"
        " WHERE NOT EXISTS (SELECT 1 FROM sales.erp_events e WHERE e.event_id = a.event_id)"
        "    OR (SELECT count(*) FROM sales.orders o WHERE o.event_id = a.event_id) <> 1", 1, values);
    CHECK (result && streq (PQgetvalue (result, 0, 0), "0"),
           "acknowledged events missing or doubled: %s",
           result? PQgetvalue (result, 0, 0): crmq_pg_error (pg));
    PQclear (result);
    crmq_pg_array_destroy (&ids);
    long long events = test_count (pg,
        "SELECT count(*) FROM sales.erp_events WHERE event_id LIKE 'pkill:order:%'");
    long long orders = test_count (pg, "SELECT count(*) FROM sales.orders WHERE external_id LIKE 'PK%'");
    long long lines = test_count (pg,
        "SELECT count(*) FROM sales.order_lines l JOIN sales.orders o ON o.id = l.order_id"
        " WHERE o.external_id LIKE 'PK%'");
    CHECK (events == ORDERS, "events recorded %lld", events);
    CHECK (orders == ORDERS, "orders %lld", orders);
    CHECK (lines == ORDERS, "lines %lld", lines);

    zhashx_destroy (&tally.acked);
    crmq_publisher_destroy (&publisher);
    crmq_pg_destroy (&pg);
    printf ("test_publisher_kill: %s\n", s_failures? "FAIL": "PASS");
    return s_failures? 1: 0;
}

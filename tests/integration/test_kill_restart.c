/*  test_kill_restart - crmq-sales killed with SIGKILL in the middle of a load
    and started again keeps every event it acknowledged, and the publisher's
    resends make every event land exactly once.                             */
#include "test_support.h"
#include <pthread.h>
#include <signal.h>

#define BATCHES      60
#define BATCH_SIZE   20

static volatile int s_batches_done = 0;     //  batches acknowledged so far
static volatile int s_batches_at_kill = -1; //  ... when the killer struck

//  Kills crmq-sales while batches are in flight, then starts it again.
static void *
s_killer (void *arg)
{
    (void) arg;
    //  a few batches in, so that the load is in full swing (not by the
    //  clock: how fast batches go depends on the machine)
    for (int waited = 0; s_batches_done < 5 && waited < 60000; waited += 5)
        zclock_sleep (5);
    s_batches_at_kill = s_batches_done;
    test_kill_and_restart ("sales", 300);
    return NULL;
}

int
main (void)
{
    crmq_log_init ("test_kill_restart", "error");
    crmq_pg_t *pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_kill_restart");
    //  short timeout, many resends: the publisher rides through the restart
    crmq_rpc_client_t *sales = crmq_rpc_client_new (test_env ("CRMQ_SALES_ENDPOINT"), 1000, 60);

    Crmq__ErpEvent *master [2] = {
        test_client_event ("kill:client", "KILL1", "Killjoy GmbH"),
        test_product_event ("kill:product", "KP1", "Chang") };
    Crmq__IngestReply *answer;
    int code = test_ingest (sales, master, 2, &answer);
    CHECK (code == CRMQ_OK, "master data: code %d", code);
    if (answer)
        crmq__ingest_reply__free_unpacked (answer, NULL);
    test_event_destroy (&master [0]);
    test_event_destroy (&master [1]);

    pid_t first_pid = test_service_pid ("sales");
    pthread_t killer;
    pthread_create (&killer, NULL, s_killer, NULL);

    zlistx_t *acknowledged = zlistx_new ();
    zlistx_set_destructor (acknowledged, (zlistx_destructor_fn *) zstr_free);
    int failed_batches = 0;
    for (int b = 0; b < BATCHES; b++) {
        Crmq__ErpEvent *events [BATCH_SIZE];
        for (int i = 0; i < BATCH_SIZE; i++) {
            char event_id [64], order_id [32];
            int n = b * BATCH_SIZE + i;
            snprintf (event_id, sizeof event_id, "kill:order:%d", n);
            snprintf (order_id, sizeof order_id, "K%d", n);
            events [i] = test_order_event (event_id, order_id, "KILL1", "KP1", 1 + n % 7, 250);
        }
        code = test_ingest (sales, events, BATCH_SIZE, &answer);
        if (code == CRMQ_OK) {
            for (size_t i = 0; i < answer->n_results; i++)
                if (answer->results [i]->code == CRMQ_OK)
                    zlistx_add_end (acknowledged, strdup (answer->results [i]->event_id));
            crmq__ingest_reply__free_unpacked (answer, NULL);
            s_batches_done = b + 1;
        }
        else {
            printf ("batch %d: %s %s\n", b, crmq_status_name (code), crmq_rpc_client_message (sales));
            failed_batches++;
        }
        for (int i = 0; i < BATCH_SIZE; i++)
            test_event_destroy (&events [i]);
    }
    pthread_join (killer, NULL);
    pid_t second_pid = test_service_pid ("sales");
    CHECK (first_pid > 0 && second_pid > 0 && first_pid != second_pid,
           "crmq-sales was restarted: pid %d -> %d", (int) first_pid, (int) second_pid);
    CHECK (s_batches_at_kill > 0 && s_batches_at_kill < BATCHES,
           "killed in the middle of the load: after %d of %d batches", s_batches_at_kill, BATCHES);
    CHECK (failed_batches == 0, "%d batches never acknowledged", failed_batches);
    CHECK (zlistx_size (acknowledged) == BATCHES * BATCH_SIZE,
           "%zu of %d events acknowledged", zlistx_size (acknowledged), BATCHES * BATCH_SIZE);

    //  every acknowledged event is in the database, each order exactly once
    crmq_pg_array_t *ids = crmq_pg_array_new ();
    for (char *id = (char *) zlistx_first (acknowledged); id; id = (char *) zlistx_next (acknowledged))
        crmq_pg_array_append (ids, id);
    const char *values [1] = { crmq_pg_array_text (ids) };
    PGresult *result = crmq_pg_exec (pg,
        "SELECT count(*) FROM unnest($1::text[]) AS a(event_id)"
        " WHERE NOT EXISTS (SELECT 1 FROM sales.erp_events e WHERE e.event_id = a.event_id)"
        "    OR NOT EXISTS (SELECT 1 FROM sales.orders o WHERE o.event_id = a.event_id)", 1, values);
    CHECK (result && streq (PQgetvalue (result, 0, 0), "0"),
           "acknowledged events missing: %s", result? PQgetvalue (result, 0, 0): crmq_pg_error (pg));
    PQclear (result);
    crmq_pg_array_destroy (&ids);
    long long orders = test_count (pg, "SELECT count(*) FROM sales.orders WHERE external_id LIKE 'K%'");
    long long lines = test_count (pg,
        "SELECT count(*) FROM sales.order_lines l JOIN sales.orders o ON o.id = l.order_id"
        " WHERE o.external_id LIKE 'K%'");
    CHECK (orders == BATCHES * BATCH_SIZE, "orders %lld", orders);
    CHECK (lines == BATCHES * BATCH_SIZE, "lines %lld", lines);

    zlistx_destroy (&acknowledged);
    crmq_rpc_client_destroy (&sales);
    crmq_pg_destroy (&pg);
    printf ("test_kill_restart: %s\n", s_failures? "FAIL": "PASS");
    return s_failures? 1: 0;
}

/*  crmq-scheduler: deadline control of ERP documents and the watch on
    clients' buying activity; alerts to the event log.  */
#include "crmq.h"
#include "scheduler_server.h"
#include "activity_watch.h"
#include "deadline_watch.h"

static const crmq_setting_t s_settings [] = {
    CRMQ_SETTINGS_COMMON,
    CRMQ_SETTING_SCHEDULER_ENDPOINT,
    CRMQ_SETTING_BUS_ENDPOINTS,
    CRMQ_SETTING_CONTACTS_ENDPOINT,
    { "client_name_timeout_ms", "CRMQ_CLIENT_NAME_TIMEOUT_MS", CRMQ_SETTING_INT, "500", 10, 10000,
      "longest wait for crmq-contacts when an alert is raised (the client's name; after a"
      " failure alerts go without names for 10 s), milliseconds" },
    { "activity_drop_k", "CRMQ_ACTIVITY_DROP_K", CRMQ_SETTING_STRING, "2", 0, 20,
      "activity drop: days since the last order above k x the median gap between orders (decimal > 0)" },
    { "activity_drop_min_days", "CRMQ_ACTIVITY_DROP_MIN_DAYS", CRMQ_SETTING_INT, "30", 1, 3650,
      "activity drop: days since the last order never alert below this, days" },
    { "activity_revenue_days", "CRMQ_ACTIVITY_REVENUE_DAYS", CRMQ_SETTING_INT, "90", 1, 3650,
      "activity drop: revenue of this many last days below half of the same span before, days" },
    { "activity_check_interval_s", "CRMQ_ACTIVITY_CHECK_INTERVAL_S", CRMQ_SETTING_INT, "60", 1, 86400,
      "how often the days rule is checked for every client (also once at start), seconds" },
    { NULL, NULL, CRMQ_SETTING_INT, NULL, 0, 0, NULL }
};

//  The classes' self-tests, in one transaction rolled back (needs
//  CRMQ_PG_URL of a migrated database; skipped without it).
static int
s_selftest (void)
{
    const char *url = getenv ("CRMQ_PG_URL");
    if (!url) {
        printf (" * crmq-scheduler self-tests skipped: no CRMQ_PG_URL\n");
        return 0;
    }
    crmq_pg_t *pg = crmq_pg_new (url, "crmq-scheduler-selftest");
    assert (pg && crmq_migrate (pg, NULL) >= 0);
    assert (crmq_pg_command (pg, "BEGIN", 0, NULL) == 0);
    deadline_watch_test (pg, true);
    activity_watch_test (pg, true);
    assert (crmq_pg_command (pg, "ROLLBACK", 0, NULL) == 0);
    crmq_pg_destroy (&pg);
    return 0;
}

int
main (int argc, char **argv)
{
    if (argc == 2 && streq (argv [1], "--selftest"))
        return s_selftest ();
    crmq_service_def_t def = {
        .name = "scheduler",
        .settings = s_settings,
        .endpoint_setting = "scheduler_endpoint",
        .methods = scheduler_server_methods,
        .state_new = scheduler_server_new,
        .state_destroy = scheduler_server_destroy,
        .started = scheduler_server_started,
        .job = scheduler_server_job,
        .job_interval_ms = 200
    };
    return crmq_service_main (&def, argc, argv);
}

/*  crmq-sales: the ERP's entry point.  */
#include "crmq.h"
#include "sales_server.h"
#include "erp_event_check.h"
#include "deal_common.h"

static const crmq_setting_t s_settings [] = {
    CRMQ_SETTINGS_COMMON,
    CRMQ_SETTING_SALES_ENDPOINT,
    CRMQ_SETTING_CONTACTS_ENDPOINT,
    { "contacts_timeout_ms", "CRMQ_CONTACTS_TIMEOUT_MS", CRMQ_SETTING_INT, "3000", 10, 600000,
      "time to wait for crmq-contacts to answer one request, milliseconds" },
    { "contacts_retries", "CRMQ_CONTACTS_RETRIES", CRMQ_SETTING_INT, "1", 0, 100,
      "resends of an unanswered request to crmq-contacts" },
    { "max_batch_events", "CRMQ_MAX_BATCH_EVENTS", CRMQ_SETTING_INT, "1000", 1, 100000,
      "events accepted in one sales.Ingest request" },
    { "base_currency", "CRMQ_BASE_CURRENCY", CRMQ_SETTING_STRING, "USD", 0, 3,
      "ISO 4217 code of the currency reports are in" },
    { "time_zone", "CRMQ_TIME_ZONE", CRMQ_SETTING_STRING, "UTC", 1, 64,
      "company IANA time zone: the days of the rollups, deals' dates and rotting days"
      " (changing it needs SELECT sales.rebuild_rollups(zone))" },
    { NULL, NULL, CRMQ_SETTING_INT, NULL, 0, 0, NULL }
};

int
main (int argc, char **argv)
{
    if (argc == 2 && streq (argv [1], "--selftest")) {
        erp_event_check_test (true);
        deal_common_test (true);
        return 0;
    }
    crmq_service_def_t def = {
        .name = "sales",
        .settings = s_settings,
        .endpoint_setting = "sales_endpoint",
        .methods = sales_server_methods,
        .state_new = sales_server_new,
        .state_destroy = sales_server_destroy,
        .job = sales_server_job,
        .job_interval_ms = 500
    };
    return crmq_service_main (&def, argc, argv);
}

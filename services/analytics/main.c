/*  crmq-analytics: reports over the sales facts; per-client metrics kept
    from the event log; saved report templates and their schedules.  */
#include "crmq.h"
#include "analytics_server.h"
#include "report_params.h"
#include "report_query.h"
#include "report_result.h"
#include "report_schedule.h"
#include "report_templates.h"
#include "report_settings.h"

static const crmq_setting_t s_settings [] = {
    CRMQ_SETTINGS_COMMON,
    CRMQ_SETTING_ANALYTICS_ENDPOINT,
    CRMQ_SETTING_BUS_ENDPOINTS,
    { "report_cache_ttl_s", "CRMQ_REPORT_CACHE_TTL_S", CRMQ_SETTING_INT, "3600", 0, 604800,
      "seconds a report result stays in Redis; 0 = do not cache" },
    { "time_zone", "CRMQ_TIME_ZONE", CRMQ_SETTING_STRING, "UTC", 1, 64,
      "IANA zone of the company: report days, weeks and months (as crmq-sales')" },
    { "base_currency", "CRMQ_BASE_CURRENCY", CRMQ_SETTING_STRING, "USD", 0, 3,
      "ISO 4217 code of the currency reports are in" },
    { "template_check_ms", "CRMQ_TEMPLATE_CHECK_MS", CRMQ_SETTING_INT, "1000", 100, 3600000,
      "how often the scheduler looks for report templates that are due, milliseconds" },
    { "template_min_interval_s", "CRMQ_TEMPLATE_MIN_INTERVAL_S", CRMQ_SETTING_INT, "3600", 60,
      86400, "shortest gap a template's schedule may have between two occurrences, seconds" },
    { "report_timeout_ms", "CRMQ_REPORT_TIMEOUT_MS", CRMQ_SETTING_INT, "60000", 0, 3600000,
      "longest a report may compute before it is cancelled (DEADLINE_EXCEEDED), ms; 0 = none" },
    { "satisfaction_weights", "CRMQ_SATISFACTION_WEIGHTS", CRMQ_SETTING_STRING,
      REPORT_SATISFACTION_WEIGHTS_DEFAULT, 1, 512,
      "points of each satisfaction component (name=points, summing to 100)" },
    { NULL, NULL, CRMQ_SETTING_INT, NULL, 0, 0, NULL }
};

int
main (int argc, char **argv)
{
    if (argc == 2 && streq (argv [1], "--selftest")) {
        report_query_test (true);
        report_result_test (true);
        report_params_test (true);
        report_schedule_test (true);
        report_templates_test (true);
        report_settings_test (true);
        return 0;
    }
    crmq_service_def_t def = {
        .name = "analytics",
        .settings = s_settings,
        .endpoint_setting = "analytics_endpoint",
        .methods = analytics_server_methods,
        .state_new = analytics_server_new,
        .state_destroy = analytics_server_destroy,
        .started = analytics_server_started,
        .job = analytics_server_job,
        .job_interval_ms = 200
    };
    return crmq_service_main (&def, argc, argv);
}

/*  crmq-notify: alerts from the event log to webhooks and e-mail.  */
#include "crmq.h"
#include "notify_payload.h"
#include "notify_server.h"
#include "notify_target.h"
#include <curl/curl.h>

static const crmq_setting_t s_settings [] = {
    CRMQ_SETTINGS_COMMON,
    CRMQ_SETTING_NOTIFY_ENDPOINT,
    CRMQ_SETTING_BUS_ENDPOINTS,
    { "notify_topics", "CRMQ_NOTIFY_TOPICS", CRMQ_SETTING_STRING, "alert.", 0, 400,
      "topic prefixes forwarded, comma-separated (at most 4); events must be crmq.Alert" },
    { "notify_first_delay_ms", "CRMQ_NOTIFY_FIRST_DELAY_MS", CRMQ_SETTING_INT, "1000", 1, 86400000,
      "wait after a delivery's first failed attempt, ms (doubles each attempt, jittered)" },
    { "notify_max_delay_ms", "CRMQ_NOTIFY_MAX_DELAY_MS", CRMQ_SETTING_INT, "600000", 1, 86400000,
      "longest wait between a delivery's attempts, ms" },
    { "notify_max_attempts", "CRMQ_NOTIFY_MAX_ATTEMPTS", CRMQ_SETTING_INT, "10", 1, 1000,
      "attempts before a delivery is dead (the dead letter)" },
    { "notify_http_timeout_ms", "CRMQ_NOTIFY_HTTP_TIMEOUT_MS", CRMQ_SETTING_INT, "10000", 100, 600000,
      "longest time one webhook request or e-mail may take, connecting included, ms" },
    { "notify_parallel", "CRMQ_NOTIFY_PARALLEL", CRMQ_SETTING_INT, "8", 1, 256,
      "deliveries sent at once by this process" },
    { "notify_smtp_url", "CRMQ_NOTIFY_SMTP_URL", CRMQ_SETTING_STRING, "smtp://127.0.0.1:25", 0, 2000,
      "SMTP server for e-mail targets: smtp://host[:port] (STARTTLS when offered) or smtps://;"
      " user:password@ to log in" },
    { "notify_smtp_from", "CRMQ_NOTIFY_SMTP_FROM", CRMQ_SETTING_STRING, "crmq@localhost.localdomain",
      0, 254, "sender address of alert e-mails" },
    { NULL, NULL, CRMQ_SETTING_INT, NULL, 0, 0, NULL }
};

int
main (int argc, char **argv)
{
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf (stderr, "crmq-notify: libcurl cannot start\n");
        return 1;
    }
    int rc;
    if (argc == 2 && streq (argv [1], "--selftest")) {
        notify_payload_test (true);
        notify_target_test (true);
        rc = 0;
    }
    else {
        crmq_service_def_t def = {
            .name = "notify",
            .settings = s_settings,
            .endpoint_setting = "notify_endpoint",
            .methods = notify_server_methods,
            .state_new = notify_server_new,
            .state_destroy = notify_server_destroy,
            .started = notify_server_started,
            .job = notify_server_job,
            .job_interval_ms = NOTIFY_JOB_INTERVAL_MS
        };
        rc = crmq_service_main (&def, argc, argv);
    }
    curl_global_cleanup ();
    return rc;
}

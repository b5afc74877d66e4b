/*  crmq-bus: the event log.  Relays bus.outbox to its PUB endpoint in seq
    order and answers bus.Replay; see bus_server.h and bus_relay.h.  */
#include "crmq.h"
#include "bus_server.h"

static const crmq_setting_t s_settings [] = {
    CRMQ_SETTINGS_COMMON,
    CRMQ_SETTING_BUS_ENDPOINTS,
    { "sndhwm", "CRMQ_BUS_SNDHWM", CRMQ_SETTING_INT, "100000", 1, 10000000,
      "messages queued per subscriber before ZeroMQ drops (the subscriber replays them)" },
    { "mark_interval_ms", "CRMQ_BUS_MARK_INTERVAL_MS", CRMQ_SETTING_INT, "1000", 10, 60000,
      "how often idle consumers get a mark telling the last event of their prefix" },
    { "round_limit", "CRMQ_BUS_ROUND_LIMIT", CRMQ_SETTING_INT, "1000", 1, 100000,
      "events read from bus.outbox per round" },
    { "retention_s", "CRMQ_BUS_RETENTION_S", CRMQ_SETTING_INT, "2592000", 0, 3153600000LL,
      "seconds an event is kept (then archived or dropped, never before every registered"
      " consumer has it); 0 = for ever" },
    { "retention_mode", "CRMQ_BUS_RETENTION_MODE", CRMQ_SETTING_STRING, "drop", 0, 16,
      "drop: delete old events; archive: move them to bus.outbox_archive (still replayable)" },
    { "retention_interval_s", "CRMQ_BUS_RETENTION_INTERVAL_S", CRMQ_SETTING_INT, "300", 1, 86400,
      "seconds between retention runs" },
    { NULL, NULL, CRMQ_SETTING_INT, NULL, 0, 0, NULL }
};

int
main (int argc, char **argv)
{
    crmq_service_def_t def = {
        .name = "bus",
        .settings = s_settings,
        .endpoint_setting = "bus_endpoint",
        .methods = bus_server_methods,
        .state_new = bus_server_new,
        .state_destroy = bus_server_destroy,
        .run = bus_server_run
    };
    return crmq_service_main (&def, argc, argv);
}

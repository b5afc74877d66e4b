/*  crmq-contacts: clients, their managers, cards.  */
#include "crmq.h"
#include "contacts_server.h"
#include "contacts_common.h"

static const crmq_setting_t s_settings [] = {
    CRMQ_SETTINGS_COMMON,
    CRMQ_SETTING_CONTACTS_ENDPOINT,
    { "card_cache_ttl_s", "CRMQ_CARD_CACHE_TTL_S", CRMQ_SETTING_INT, "300", 0, 86400,
      "seconds a client card stays in Redis; 0 = do not cache" },
    { "default_country", "CRMQ_DEFAULT_COUNTRY", CRMQ_SETTING_STRING, "RU", 0, 2,
      "ISO 3166 country of phone numbers entered without a country code, for a client"
      " whose own country names none (and for searches)" },
    { NULL, NULL, CRMQ_SETTING_INT, NULL, 0, 0, NULL }
};

int
main (int argc, char **argv)
{
    if (argc == 2 && streq (argv [1], "--selftest")) {
        contacts_common_test (true);
        return 0;
    }
    crmq_service_def_t def = {
        .name = "contacts",
        .settings = s_settings,
        .endpoint_setting = "contacts_endpoint",
        .methods = contacts_methods (),
        .state_new = contacts_server_new,
        .state_destroy = contacts_server_destroy
    };
    return crmq_service_main (&def, argc, argv);
}

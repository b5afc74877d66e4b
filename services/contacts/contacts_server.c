/*  contacts_server.c - the state of crmq-contacts' handlers; see contacts_server.h.  */
#include "contacts_server.h"
#include "contacts_common.h"

void *
contacts_server_new (crmq_service_t *service)
{
    crmq_config_t *config = crmq_service_config (service);
    contacts_server_t *self = (contacts_server_t *) zmalloc (sizeof (contacts_server_t));
    self->pg = crmq_service_pg (service);
    self->cards = client_card_cache_new (crmq_service_redis (service),
                                         (int) crmq_config_int (config, "card_cache_ttl_s"));
    snprintf (self->default_region, sizeof self->default_region, "%s",
              crmq_config_str (config, "default_country"));
    return self;
}

void
contacts_server_destroy (void **self_p)
{
    contacts_server_t *self = (contacts_server_t *) *self_p;
    if (self) {
        client_card_cache_destroy (&self->cards);
        free (self);
        *self_p = NULL;
    }
}

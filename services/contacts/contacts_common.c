/*  contacts_common.c - shared by the handlers of crmq-contacts; see contacts_common.h.  */
#include "contacts_common.h"
#include "crmq_phone.h"
#include "client_upsert.h"
#include "client_card.h"
#include "interaction_log.h"
#include "client_search.h"
#include "segment_store.h"

bool
contacts_check (crmq_reply_t *reply, const char *field, const char *value,
                size_t min_bytes, size_t max_bytes, bool identifier)
{
    char why [64];
    if (identifier? crmq_id_valid (value, min_bytes, max_bytes, why, sizeof why)
                  : crmq_text_valid (value, min_bytes, max_bytes, why, sizeof why))
        return true;
    crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field, "%s %s", field, why);
    return false;
}

bool
contacts_check_item (crmq_reply_t *reply, const char *prefix, size_t index, const char *name,
                     const char *value, size_t min_bytes, size_t max_bytes)
{
    char field [128];
    snprintf (field, sizeof field, "%s[%zu].%s", prefix, index, name);
    size_t length = strlen (name);
    bool identifier = length >= 11 && streq (name + length - 11, "external_id");
    return contacts_check (reply, field, value, min_bytes, max_bytes, identifier);
}

int
contacts_db_error (contacts_server_t *self, crmq_reply_t *reply)
{
    return crmq_reply_error (reply, crmq_pg_status (self->pg), NULL, "%s",
                             crmq_pg_error (self->pg));
}

int
contacts_set_actor (crmq_pg_t *pg, const char *actor)
{
    const char *values [1] = { actor? actor: "" };
    PGresult *result = crmq_pg_exec (pg, "SELECT set_config ('crmq.actor', $1, true)", 1, values);
    if (!result)
        return -1;
    PQclear (result);
    return 0;
}

bool
contacts_email_valid (const char *email)
{
    size_t length = strlen (email);
    if (length < 3 || length > 254)
        return false;
    const char *at = strchr (email, '@');
    if (!at || at == email || strchr (at + 1, '@') || at - email > 64)
        return false;
    const char *dot = strrchr (at + 1, '.');
    if (!dot || dot == at + 1 || dot [1] == 0)
        return false;
    for (const unsigned char *s = (const unsigned char *) email; *s; s++)
        if (*s <= ' ' || *s == 0x7f || *s == ',' || *s == ';' || *s == '<' || *s == '>')
            return false;
    return true;
}

int
contacts_phone_e164 (contacts_server_t *self, const char *phone, char *buf, size_t size)
{
    return crmq_phone_e164 (phone, self->default_region, buf, size);
}

void
contacts_client_from_row (Crmq__Client *client, PGresult *result, int row, int first)
{
    crmq__client__init (client);
    int k = first;
    client->id = strtoll (PQgetvalue (result, row, k++), NULL, 10);
    client->external_id = PQgetvalue (result, row, k++);
    client->name = PQgetvalue (result, row, k++);
    client->legal_name = PQgetvalue (result, row, k++);
    client->country = PQgetvalue (result, row, k++);
    client->region = PQgetvalue (result, row, k++);
    client->city = PQgetvalue (result, row, k++);
    client->address = PQgetvalue (result, row, k++);
    client->postal_code = PQgetvalue (result, row, k++);
    client->phone = PQgetvalue (result, row, k++);
    client->email = PQgetvalue (result, row, k++);
    client->category = PQgetvalue (result, row, k++);
    client->source = PQgetvalue (result, row, k++);
    client->manager_id = strtoll (PQgetvalue (result, row, k++), NULL, 10);
    client->created_at_us = strtoll (PQgetvalue (result, row, k++), NULL, 10);
    client->updated_at_us = strtoll (PQgetvalue (result, row, k++), NULL, 10);
    client->manager_external_id = PQgetvalue (result, row, k++);
    client->kind = PQgetvalue (result, row, k++);
    client->tax_id = PQgetvalue (result, row, k++);
    //  tags joined by the unit separator, which a tag cannot hold
    char *tags = PQgetvalue (result, row, k++);
    if (*tags) {
        size_t count = 1;
        for (const char *s = tags; *s; s++)
            count += *s == '\x1f';
        client->tags = (char **) zmalloc (count * sizeof (char *));
        char *rest = tags;
        while (rest) {
            client->tags [client->n_tags++] = rest;
            rest = strchr (rest, '\x1f');
            if (rest)
                *rest++ = 0;        //  the text belongs to `result`, read once
        }
    }
    client->status = PQgetvalue (result, row, k++);
    client->relationship_since = PQgetvalue (result, row, k++);
    client->attributes_json = PQgetvalue (result, row, k++);
    client->version = strtoll (PQgetvalue (result, row, k++), NULL, 10);
    client->phone_e164 = PQgetvalue (result, row, k++);
    assert (k - first == CONTACTS_CLIENT_NCOLUMNS);
}

void
contacts_client_clear (Crmq__Client *client)
{
    free (client->tags);
    client->tags = NULL;
    client->n_tags = 0;
}

const crmq_rpc_method_t *
contacts_methods (void)
{
    static crmq_rpc_method_t methods [64];
    if (methods [0].name)
        return methods;
    const crmq_rpc_method_t *tables [] = {
        client_upsert_methods, client_card_methods, interaction_log_methods,
        client_search_methods, segment_store_methods
    };
    size_t count = 0;
    for (size_t t = 0; t < sizeof tables / sizeof tables [0]; t++)
        for (const crmq_rpc_method_t *m = tables [t]; m->name; m++) {
            assert (count + 1 < sizeof methods / sizeof methods [0]);
            methods [count++] = *m;
        }
    return methods;
}

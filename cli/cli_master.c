/*  cli_master.c - master data of an export's rows; see cli_master.h.  */
#include "cli_master.h"
#include "cli_common.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    S_MANAGER,
    S_GROUP,
    S_CLIENT,
    S_PRODUCT,
    S_KINDS
} s_kind_t;

static const char *s_kind_names [S_KINDS] = { "manager", "group", "client", "product" };

//  Field positions per kind
enum { S_NAME = 0 };
enum { S_GROUP_PARENT = 1 };
enum { S_PRODUCT_GROUP = 1 };
enum { S_COUNTRY = 1, S_REGION, S_CITY, S_POSTAL_CODE, S_CATEGORY, S_TAX_ID, S_PHONE, S_EMAIL,
       S_CLIENT_MANAGER, S_CLIENT_FIELDS };

typedef struct {
    char *id;
    char *fields [S_CLIENT_FIELDS];     //  the most any kind has; NULL = not known
    char *file;
    size_t line;
} s_entity_t;

struct _cli_master_t {
    char *source;
    zlistx_t *lists [S_KINDS];          //  s_entity_t, first-seen order
    zhashx_t *index [S_KINDS];          //  id -> s_entity_t (borrowed from the list)
};

static void
s_entity_free (void **item)
{
    s_entity_t *entity = *item;
    if (!entity)
        return;
    free (entity->id);
    for (size_t i = 0; i < S_CLIENT_FIELDS; i++)
        free (entity->fields [i]);
    free (entity->file);
    free (entity);
    *item = NULL;
}

cli_master_t *
cli_master_new (const char *source)
{
    assert (source);
    cli_master_t *self = calloc (1, sizeof (cli_master_t));
    if (!self || !(self->source = strdup (source))) {
        free (self);
        return NULL;
    }
    for (int kind = 0; kind < S_KINDS; kind++) {
        self->lists [kind] = zlistx_new ();
        self->index [kind] = zhashx_new ();
        if (!self->lists [kind] || !self->index [kind]) {
            cli_master_destroy (&self);
            return NULL;
        }
        zlistx_set_destructor (self->lists [kind], s_entity_free);
    }
    return self;
}

void
cli_master_destroy (cli_master_t **self_p)
{
    assert (self_p);
    cli_master_t *self = *self_p;
    if (!self)
        return;
    for (int kind = 0; kind < S_KINDS; kind++) {
        zhashx_destroy (&self->index [kind]);
        zlistx_destroy (&self->lists [kind]);
    }
    free (self->source);
    free (self);
    *self_p = NULL;
}

//  Notes entity `id` of `kind` with `values` (count of them; NULL or ""
//  = not said): each field not known yet takes the value.  Returns 0 or -1.
static int
s_note (cli_master_t *self, s_kind_t kind, const char *id, const char *const *values,
        size_t count, const char *file, size_t line)
{
    assert (id && *id && count <= S_CLIENT_FIELDS);
    s_entity_t *entity = zhashx_lookup (self->index [kind], id);
    if (!entity) {
        entity = calloc (1, sizeof (s_entity_t));
        if (!entity)
            return -1;
        entity->id = strdup (id);
        entity->file = strdup (file? file: "");
        entity->line = line;
        if (!entity->id || !entity->file || !zlistx_add_end (self->lists [kind], entity)) {
            s_entity_free ((void **) &entity);
            return -1;
        }
        zhashx_insert (self->index [kind], id, entity);
    }
    for (size_t i = 0; i < count; i++)
        if (!entity->fields [i] && values [i] && *values [i]
        &&  !(entity->fields [i] = strdup (values [i])))
            return -1;
    return 0;
}

int
cli_master_add_client (cli_master_t *self, const cli_client_data_t *data, const char *file,
                       size_t line)
{
    assert (self && data);
    const char *values [S_CLIENT_FIELDS] = {
        data->name, data->country, data->region, data->city, data->postal_code,
        data->category, data->tax_id, data->phone, data->email, data->manager_id
    };
    return s_note (self, S_CLIENT, data->external_id, values, S_CLIENT_FIELDS, file, line);
}

int
cli_master_add_manager (cli_master_t *self, const char *external_id, const char *name,
                        const char *file, size_t line)
{
    assert (self);
    const char *values [] = { name };
    return s_note (self, S_MANAGER, external_id, values, 1, file, line);
}

int
cli_master_add_group (cli_master_t *self, const char *external_id, const char *name,
                      const char *parent_id, const char *file, size_t line)
{
    assert (self);
    const char *values [] = { name, parent_id };
    return s_note (self, S_GROUP, external_id, values, 2, file, line);
}

int
cli_master_add_product (cli_master_t *self, const char *external_id, const char *name,
                        const char *group_id, const char *file, size_t line)
{
    assert (self);
    const char *values [] = { name, group_id };
    return s_note (self, S_PRODUCT, external_id, values, 2, file, line);
}

size_t cli_master_clients (cli_master_t *self) { assert (self); return zlistx_size (self->lists [S_CLIENT]); }
size_t cli_master_managers (cli_master_t *self) { assert (self); return zlistx_size (self->lists [S_MANAGER]); }
size_t cli_master_groups (cli_master_t *self) { assert (self); return zlistx_size (self->lists [S_GROUP]); }
size_t cli_master_products (cli_master_t *self) { assert (self); return zlistx_size (self->lists [S_PRODUCT]); }

size_t
cli_master_events (cli_master_t *self)
{
    assert (self);
    size_t events = 0;
    for (int kind = 0; kind < S_KINDS; kind++)
        events += zlistx_size (self->lists [kind]);
    return events;
}

//  The field, "" when not known.
static char *
s_field (s_entity_t *entity, size_t index)
{
    return entity->fields [index]? entity->fields [index]: "";
}

//  Names the event by its content and sends it at the entity's row.
static int
s_send (cli_master_t *self, cli_import_t *import, s_kind_t kind, s_entity_t *entity,
        Crmq__ErpEvent *event)
{
    char event_id [256];
    if (cli_import_master_event_id (self->source, s_kind_names [kind], entity->id, event,
                                    event_id, sizeof event_id) != 0) {
        cli_import_reject (import, entity->file, entity->line, "event id too long",
                           "%s %s: its event id would be longer than 200 bytes",
                           s_kind_names [kind], entity->id);
        return 0;
    }
    event->event_id = event_id;
    event->occurred_at_us = 0;              //  fixed: a re-import must be identical
    return cli_import_send (import, event, entity->file, entity->line);
}

static int
s_send_manager (cli_master_t *self, cli_import_t *import, s_entity_t *entity)
{
    Crmq__Manager manager = CRMQ__MANAGER__INIT;
    manager.external_id = entity->id;
    manager.name = entity->fields [S_NAME]? entity->fields [S_NAME]: entity->id;
    manager.active = true;
    Crmq__ErpEvent event = CRMQ__ERP_EVENT__INIT;
    event.body_case = CRMQ__ERP_EVENT__BODY_MANAGER;
    event.manager = &manager;
    return s_send (self, import, S_MANAGER, entity, &event);
}

static int
s_send_group (cli_master_t *self, cli_import_t *import, s_entity_t *entity)
{
    Crmq__ProductGroup group = CRMQ__PRODUCT_GROUP__INIT;
    group.external_id = entity->id;
    group.name = entity->fields [S_NAME]? entity->fields [S_NAME]: entity->id;
    group.parent_external_id = s_field (entity, S_GROUP_PARENT);
    Crmq__ErpEvent event = CRMQ__ERP_EVENT__INIT;
    event.body_case = CRMQ__ERP_EVENT__BODY_PRODUCT_GROUP;
    event.product_group = &group;
    return s_send (self, import, S_GROUP, entity, &event);
}

static int
s_send_client (cli_master_t *self, cli_import_t *import, s_entity_t *entity)
{
    Crmq__Client client = CRMQ__CLIENT__INIT;
    client.external_id = entity->id;
    client.name = entity->fields [S_NAME]? entity->fields [S_NAME]: entity->id;
    client.country = s_field (entity, S_COUNTRY);
    client.region = s_field (entity, S_REGION);
    client.city = s_field (entity, S_CITY);
    client.postal_code = s_field (entity, S_POSTAL_CODE);
    client.category = s_field (entity, S_CATEGORY);
    client.tax_id = s_field (entity, S_TAX_ID);
    client.phone = s_field (entity, S_PHONE);
    client.email = s_field (entity, S_EMAIL);
    client.manager_external_id = s_field (entity, S_CLIENT_MANAGER);
    Crmq__ErpEvent event = CRMQ__ERP_EVENT__INIT;
    event.body_case = CRMQ__ERP_EVENT__BODY_CLIENT;
    event.client = &client;
    return s_send (self, import, S_CLIENT, entity, &event);
}

static int
s_send_product (cli_master_t *self, cli_import_t *import, s_entity_t *entity)
{
    Crmq__Product product = CRMQ__PRODUCT__INIT;
    product.external_id = entity->id;
    product.name = entity->fields [S_NAME]? entity->fields [S_NAME]: entity->id;
    product.group_external_id = s_field (entity, S_PRODUCT_GROUP);
    s_entity_t *group = *product.group_external_id
                      ? zhashx_lookup (self->index [S_GROUP], product.group_external_id): NULL;
    if (group) {
        product.group_name = group->fields [S_NAME]? group->fields [S_NAME]: group->id;
        product.group_parent_external_id = s_field (group, S_GROUP_PARENT);
    }
    Crmq__ErpEvent event = CRMQ__ERP_EVENT__INIT;
    event.body_case = CRMQ__ERP_EVENT__BODY_PRODUCT;
    event.product = &product;
    return s_send (self, import, S_PRODUCT, entity, &event);
}

//  Sends the groups so that a parent comes before its children (file order
//  otherwise; a cycle keeps file order).
static int
s_send_groups (cli_master_t *self, cli_import_t *import)
{
    zlistx_t *groups = self->lists [S_GROUP];
    zhashx_t *sent = zhashx_new ();
    if (!sent)
        return -1;
    int rc = 0;
    size_t before;
    s_entity_t *group;
    do {
        before = zhashx_size (sent);
        for (group = zlistx_first (groups); group && rc == 0; group = zlistx_next (groups)) {
            const char *parent = s_field (group, S_GROUP_PARENT);
            if (zhashx_lookup (sent, group->id))
                continue;
            if (!*parent || !zhashx_lookup (self->index [S_GROUP], parent)
            ||  zhashx_lookup (sent, parent)) {
                rc = s_send_group (self, import, group);
                zhashx_insert (sent, group->id, group);
            }
        }
    } while (rc == 0 && zhashx_size (sent) > before);
    for (group = zlistx_first (groups); group && rc == 0; group = zlistx_next (groups))
        if (!zhashx_lookup (sent, group->id))
            rc = s_send_group (self, import, group);
    zhashx_destroy (&sent);
    return rc;
}

int
cli_master_send (cli_master_t *self, cli_import_t *import)
{
    assert (self && import);
    s_entity_t *entity;
    int rc = 0;
    zlistx_t *list = self->lists [S_MANAGER];
    for (entity = zlistx_first (list); entity && rc == 0; entity = zlistx_next (list))
        rc = s_send_manager (self, import, entity);
    if (rc == 0)
        rc = s_send_groups (self, import);
    list = self->lists [S_CLIENT];
    for (entity = zlistx_first (list); entity && rc == 0; entity = zlistx_next (list))
        rc = s_send_client (self, import, entity);
    list = self->lists [S_PRODUCT];
    for (entity = zlistx_first (list); entity && rc == 0; entity = zlistx_next (list))
        rc = s_send_product (self, import, entity);
    if (rc == 0)
        rc = cli_import_flush (import);
    return rc;
}

//  --------------------------------------------------------------------------
//  Self-test

void
cli_master_test (bool verbose)
{
    printf (" * cli_master: ");
    cli_master_t *master = cli_master_new ("test");
    assert (master);
    cli_client_data_t client = { .external_id = "17850", .country = "United Kingdom" };
    assert (cli_master_add_client (master, &client, "a.csv", 2) == 0);
    client.country = "France";
    client.name = "Ann";
    assert (cli_master_add_client (master, &client, "a.csv", 9) == 0);
    assert (cli_master_add_group (master, "Furniture/Chairs", "Chairs", "Furniture", "s.csv", 3) == 0);
    assert (cli_master_add_group (master, "Furniture", "Furniture", "", "s.csv", 3) == 0);
    assert (cli_master_add_product (master, "P1", "", "Furniture/Chairs", "s.csv", 3) == 0);
    assert (cli_master_add_product (master, "P1", "Chair", "", "s.csv", 4) == 0);
    assert (cli_master_add_manager (master, "M1", "", "s.csv", 3) == 0);
    assert (cli_master_clients (master) == 1 && cli_master_groups (master) == 2);
    assert (cli_master_products (master) == 1 && cli_master_managers (master) == 1);
    assert (cli_master_events (master) == 5);

    s_entity_t *entity = zhashx_lookup (master->index [S_CLIENT], "17850");
    assert (streq (entity->fields [S_COUNTRY], "United Kingdom"));     //  the first wins
    assert (streq (entity->fields [S_NAME], "Ann"));                   //  the first said
    assert (entity->line == 2);
    entity = zhashx_lookup (master->index [S_PRODUCT], "P1");
    assert (streq (entity->fields [S_NAME], "Chair"));
    assert (streq (entity->fields [S_PRODUCT_GROUP], "Furniture/Chairs"));

    //  Sent as a dry run: parents first
    crmq_config_t *config;
    cli_import_t *import = cli_import_test_new (10, 100000, &config);
    assert (cli_import_start_sending (import, cli_master_events (master)) == 0);
    assert (cli_master_send (master, import) == 0);
    assert (cli_import_finish (import) == 0);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    cli_import_print_summary (import, out);
    fclose (out);
    if (verbose)
        printf ("\n%s", text);
    assert (strstr (text, "dry run, nothing sent: 5 events in 1 batches"));
    free (text);
    cli_import_destroy (&import);
    crmq_config_destroy (&config);
    cli_master_destroy (&master);
    cli_master_destroy (&master);
    printf ("OK\n");
}

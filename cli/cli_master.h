/*  cli_master.h - the master data an export's rows name (clients,
    managers, product groups, products), collected while the rows are
    read and sent before the documents that use them.

    An export repeats master data on every row and sometimes disagrees with
    itself (a product described two ways, a client under two countries):
    for each field the first non-empty value read wins, so the result
    depends only on the rows and their order.  A client or product without
    a name is named by its id.  Event ids name the content
    (cli_import_master_event_id): importing the same export again is all
    duplicates, and a later export that renames a product updates it.      */
#ifndef CLI_MASTER_H_INCLUDED
#define CLI_MASTER_H_INCLUDED

#include "cli_import.h"

typedef struct _cli_master_t cli_master_t;

//  What a row says about a client.  NULL or "" = the row does not say.
typedef struct {
    const char *external_id;        //  required
    const char *name;
    const char *country;
    const char *region;
    const char *city;
    const char *postal_code;
    const char *category;
    const char *tax_id;
    const char *phone;
    const char *email;
    const char *manager_id;         //  the responsible manager's external id
} cli_client_data_t;

//  Creates an empty registry whose event ids start with `source` (copied).
//  Returns NULL on out-of-memory.
cli_master_t *cli_master_new (const char *source);

//  Frees the registry; sets *self_p to NULL; safe on NULL.
void cli_master_destroy (cli_master_t **self_p);

//  Notes a client as row `line` of `file` describes it (strings copied).
//  Returns 0, or -1 on out-of-memory.
int cli_master_add_client (cli_master_t *self, const cli_client_data_t *data, const char *file,
                           size_t line);

//  Notes a manager (`name` "" = named by its id).  Returns 0 or -1.
int cli_master_add_manager (cli_master_t *self, const char *external_id, const char *name,
                            const char *file, size_t line);

//  Notes a product group under `parent_id` ("" = top level).  Returns 0 or -1.
int cli_master_add_group (cli_master_t *self, const char *external_id, const char *name,
                          const char *parent_id, const char *file, size_t line);

//  Notes a product in group `group_id` ("" = none).  Returns 0 or -1.
int cli_master_add_product (cli_master_t *self, const char *external_id, const char *name,
                            const char *group_id, const char *file, size_t line);

//  How many of each were noted, and the events cli_master_send sends.
size_t cli_master_clients (cli_master_t *self);
size_t cli_master_managers (cli_master_t *self);
size_t cli_master_groups (cli_master_t *self);
size_t cli_master_products (cli_master_t *self);
size_t cli_master_events (cli_master_t *self);

//  Sends every event through `import`: managers, product groups (a parent
//  before its children), clients, products, each at the row that first
//  named it; then flushes, so documents sent after it find them.  Returns
//  0, or -1 when sending failed (printed).
int cli_master_send (cli_master_t *self, cli_import_t *import);

//  Self-test (a dry run).
void cli_master_test (bool verbose);

#endif

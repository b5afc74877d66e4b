/*  crmq_migrate.h - versioned SQL migrations, embedded in the binaries.

    Each service keeps services/<name>/sql/NNN_what.sql; the build embeds them
    all (build/gen/crmq_migrations.c) in service order bus, contacts,
    sales, analytics.  Applied versions are kept in public.crmq_schema_migration
    (service, version, name, applied_at).  Each migration runs in its own
    transaction; the whole run holds a session advisory lock, so two replicas
    starting together apply each migration once.                             */
#ifndef CRMQ_MIGRATE_H_INCLUDED
#define CRMQ_MIGRATE_H_INCLUDED

#include "crmq_pg.h"

typedef struct {
    const char *service;            //  "sales"
    int version;                    //  NNN of the file name
    const char *name;               //  file name
    const char *sql;                //  file text
} crmq_migration_t;

//  All embedded migrations, ending with a row whose service is NULL.
extern const crmq_migration_t crmq_migrations[];

//  Applies the pending migrations of `service` (NULL = every service, in
//  order).  Returns the number applied, or -1 on failure (logged, with the
//  failing file's name; the failed migration left nothing behind).
int crmq_migrate (crmq_pg_t *pg, const char *service);

//  Self-test; needs CRMQ_PG_URL of a throw-away database, skipped without it.
void crmq_migrate_test (bool verbose);

#endif

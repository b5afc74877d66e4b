/*  crmq_service.h - the start-up every crmq service shares.

    crmq_service_main reads the binary's settings table, starts logging,
    connects to PostgreSQL and Redis, applies the service's migrations (when
    migrate_on_start is 1), builds the handlers' state, binds the request
    endpoint and serves until SIGTERM or SIGINT, then drains and exits 0.     */
#ifndef CRMQ_SERVICE_H_INCLUDED
#define CRMQ_SERVICE_H_INCLUDED

#include "crmq_config.h"
#include "crmq_pg.h"
#include "crmq_redis.h"
#include "crmq_rpc_server.h"

typedef struct _crmq_service_t crmq_service_t;

typedef struct {
    const char *name;                        //  "sales": logs, migrations, application_name
    const crmq_setting_t *settings;          //  must include CRMQ_SETTINGS_COMMON
    const char *endpoint_setting;            //  name of the row with the bind endpoint
    const crmq_rpc_method_t *methods;        //  ends with {NULL, NULL}
    //  Builds the state handed to every handler; NULL (logged) stops start-up.
    void *(*state_new) (crmq_service_t *service);
    //  Frees what state_new built and sets *state_p to NULL.
    void (*state_destroy) (void **state_p);
    //  Optional: called once the request endpoint is bound, before serving
    //  (to add readers, crmq_rpc_server_add_reader); non-zero stops start-up.
    int (*started) (void *state, crmq_rpc_server_t *server);
    //  Optional: runs the service instead of crmq_rpc_server_run (a service
    //  with sockets of its own to wait on); returns 0 after SIGTERM/SIGINT.
    int (*run) (void *state, crmq_rpc_server_t *server);
    //  Optional: a background job run between requests every job_interval_ms.
    crmq_rpc_job_fn *job;
    int job_interval_ms;
} crmq_service_def_t;

//  Runs the service; returns the process exit code (0 after a clean drain,
//  1 when start-up failed, 64 for bad usage).  `--help` prints the settings.
int crmq_service_main (const crmq_service_def_t *def, int argc, char **argv);

//  The running service's settings, PostgreSQL and Redis; owned by the service.
crmq_config_t *crmq_service_config (crmq_service_t *self);
crmq_pg_t *crmq_service_pg (crmq_service_t *self);
crmq_redis_t *crmq_service_redis (crmq_service_t *self);

#endif

/*  crmq_service.c - shared service start-up; see crmq_service.h.  */
#include "crmq.h"

struct _crmq_service_t {
    const crmq_service_def_t *def;
    crmq_config_t *config;
    crmq_pg_t *pg;
    crmq_redis_t *redis;
};

crmq_config_t *
crmq_service_config (crmq_service_t *self)
{
    return self->config;
}

crmq_pg_t *
crmq_service_pg (crmq_service_t *self)
{
    return self->pg;
}

crmq_redis_t *
crmq_service_redis (crmq_service_t *self)
{
    return self->redis;
}

//  Applies the migrations, waiting up to 30 s for PostgreSQL to come up (a
//  container may start before its database).
static int
s_migrate (crmq_service_t *self)
{
    for (int attempt = 0; attempt < 60 && !zsys_interrupted; attempt++) {
        //  the outbox first: every service writes its events there
        if (crmq_pg_ensure (self->pg))
            return crmq_migrate (self->pg, "bus") < 0
                || crmq_migrate (self->pg, self->def->name) < 0? -1: 0;
        zclock_sleep (500);
    }
    crmq_log (CRMQ_LOG_ERROR, "PostgreSQL unreachable at start-up", "error=%s",
              crmq_log_q (crmq_pg_error (self->pg)));
    return -1;
}

int
crmq_service_main (const crmq_service_def_t *def, int argc, char **argv)
{
    crmq_service_t self = { .def = def };
    char error [512];
    self.config = crmq_config_new (def->settings, error, sizeof error);
    if (!self.config) {
        fprintf (stderr, "crmq-%s: %s\n", def->name, error);
        return 64;
    }
    if (argc > 1) {
        int help = streq (argv [1], "--help") || streq (argv [1], "-h");
        if (!help)
            fprintf (stderr, "crmq-%s: unknown argument %s\n", def->name, argv [1]);
        printf ("usage: crmq-%s (settings come from the environment)\n\n", def->name);
        crmq_config_print (self.config, stdout);
        crmq_config_destroy (&self.config);
        return help? 0: 64;
    }
    crmq_log_init (def->name, crmq_config_str (self.config, "log_level"));
    zsys_init ();
    zsys_set_logstream (NULL);

    int rc = 1;
    void *state = NULL;
    crmq_rpc_server_t *server = NULL;
    char application [64];
    snprintf (application, sizeof application, "crmq-%s", def->name);
    self.pg = crmq_pg_new (crmq_config_str (self.config, "pg_url"), application);
    self.redis = crmq_redis_new (crmq_config_str (self.config, "redis_url"));
    if (!self.pg || !self.redis) {
        crmq_log (CRMQ_LOG_ERROR, "bad PostgreSQL or Redis URL", NULL);
        goto done;
    }
    if (crmq_config_int (self.config, "migrate_on_start") && s_migrate (&self) != 0)
        goto done;
    state = def->state_new (&self);
    if (!state)
        goto done;
    const char *endpoint = crmq_config_str (self.config, def->endpoint_setting);
    server = crmq_rpc_server_new (endpoint, def->methods, state,
                                  (size_t) crmq_config_int (self.config, "max_message_bytes"));
    if (!server)
        goto done;
    if (def->started && def->started (state, server) != 0) {
        crmq_log (CRMQ_LOG_ERROR, "start-up failed", NULL);
        goto done;
    }
    if (def->job)
        crmq_rpc_server_set_job (server, def->job, def->job_interval_ms);
    crmq_log (CRMQ_LOG_INFO, "serving", "endpoint=%s", crmq_log_q (endpoint));
    if (def->run)
        def->run (state, server);
    else
        crmq_rpc_server_run (server);
    crmq_log (CRMQ_LOG_INFO, "stopped", "requests=%" PRIu64, crmq_rpc_server_served (server));
    rc = 0;
done:
    crmq_rpc_server_destroy (&server);
    if (state)
        def->state_destroy (&state);
    crmq_redis_destroy (&self.redis);
    crmq_pg_destroy (&self.pg);
    crmq_config_destroy (&self.config);
    return rc;
}

/*  crmq_config.h - settings as one table per binary.

    Each binary declares a static table of crmq_setting_t rows, ending with a
    row whose name is NULL.  A setting is read from its environment variable
    (CRMQ_...) or takes its default, and is checked against its bounds:
    integers against [min, max], strings against a maximum length of `max`
    bytes (0 = 4096).  CRMQ_SETTINGS_COMMON adds the rows every service has.  */
#ifndef CRMQ_CONFIG_H_INCLUDED
#define CRMQ_CONFIG_H_INCLUDED

#include <stdbool.h>
#include <stdio.h>

typedef enum {
    CRMQ_SETTING_STRING,
    CRMQ_SETTING_INT
} crmq_setting_type_t;

typedef struct {
    const char *name;               //  "pg_url"
    const char *env;                //  "CRMQ_PG_URL"
    crmq_setting_type_t type;
    const char *default_value;      //  as text, also for integers
    long long min;                  //  integers only
    long long max;                  //  integers: upper bound; strings: max bytes
    const char *help;               //  one line, with the unit
} crmq_setting_t;

//  Rows shared by every service binary.
#define CRMQ_SETTINGS_COMMON \
    { "pg_url", "CRMQ_PG_URL", CRMQ_SETTING_STRING, \
      "postgresql://crmq@127.0.0.1:5432/crmq", 0, 0, "PostgreSQL connection URI" }, \
    { "redis_url", "CRMQ_REDIS_URL", CRMQ_SETTING_STRING, \
      "redis://127.0.0.1:6379", 0, 0, "Redis URL redis://host:port[/db]" }, \
    { "log_level", "CRMQ_LOG_LEVEL", CRMQ_SETTING_STRING, \
      "info", 0, 8, "debug, info, warn or error" }, \
    { "max_message_bytes", "CRMQ_MAX_MESSAGE_BYTES", CRMQ_SETTING_INT, \
      "16777216", 1024, 1073741824, "largest accepted ZeroMQ frame, bytes" }, \
    { "migrate_on_start", "CRMQ_MIGRATE_ON_START", CRMQ_SETTING_INT, \
      "1", 0, 1, "1 = apply this service's migrations at start-up" }

//  Endpoint settings: the same value is bound by the service and connected to
//  by its clients.
#define CRMQ_SETTING_CONTACTS_ENDPOINT \
    { "contacts_endpoint", "CRMQ_CONTACTS_ENDPOINT", CRMQ_SETTING_STRING, \
      "tcp://127.0.0.1:5551", 0, 256, "crmq-contacts request endpoint" }
#define CRMQ_SETTING_SALES_ENDPOINT \
    { "sales_endpoint", "CRMQ_SALES_ENDPOINT", CRMQ_SETTING_STRING, \
      "tcp://127.0.0.1:5552", 0, 256, "crmq-sales request endpoint" }
#define CRMQ_SETTING_ANALYTICS_ENDPOINT \
    { "analytics_endpoint", "CRMQ_ANALYTICS_ENDPOINT", CRMQ_SETTING_STRING, \
      "tcp://127.0.0.1:5555", 0, 256, "crmq-analytics request endpoint" }
#define CRMQ_SETTING_SCHEDULER_ENDPOINT \
    { "scheduler_endpoint", "CRMQ_SCHEDULER_ENDPOINT", CRMQ_SETTING_STRING, \
      "tcp://127.0.0.1:5554", 0, 256, "crmq-scheduler request endpoint" }
#define CRMQ_SETTING_NOTIFY_ENDPOINT \
    { "notify_endpoint", "CRMQ_NOTIFY_ENDPOINT", CRMQ_SETTING_STRING, \
      "tcp://127.0.0.1:5556", 0, 256, "crmq-notify request endpoint" }
//  crmq-bus's two endpoints: events (PUB) and bus.* requests (replay)
#define CRMQ_SETTING_BUS_ENDPOINTS \
    { "bus_pub_endpoint", "CRMQ_BUS_PUB_ENDPOINT", CRMQ_SETTING_STRING, \
      "tcp://127.0.0.1:5560", 0, 256, "crmq-bus event (PUB) endpoint" }, \
    { "bus_endpoint", "CRMQ_BUS_ENDPOINT", CRMQ_SETTING_STRING, \
      "tcp://127.0.0.1:5561", 0, 256, "crmq-bus request endpoint (bus.Replay)" }
#define CRMQ_SETTING_RPC_TIMEOUT \
    { "rpc_timeout_ms", "CRMQ_RPC_TIMEOUT_MS", CRMQ_SETTING_INT, \
      "10000", 10, 3600000, "time to wait for one reply, milliseconds" }, \
    { "rpc_retries", "CRMQ_RPC_RETRIES", CRMQ_SETTING_INT, \
      "3", 0, 100, "resends of an unanswered request" }

typedef struct _crmq_config_t crmq_config_t;

//  Reads every setting of `table` from the environment.  On a bad value
//  (not a number, out of bounds, too long) returns NULL and writes a message
//  naming the variable into `error` (size `error_size`).  The table must
//  outlive the config.
crmq_config_t *crmq_config_new (const crmq_setting_t *table, char *error, size_t error_size);

//  Destroys the config and sets *self_p to NULL; safe on NULL.
void crmq_config_destroy (crmq_config_t **self_p);

//  Value of a string setting.  Asserts the name is in the table (API misuse).
//  The string belongs to the config.
const char *crmq_config_str (crmq_config_t *self, const char *name);

//  Value of an integer setting.  Asserts the name is in the table.
long long crmq_config_int (crmq_config_t *self, const char *name);

//  Prints the table (variable, default, bounds, help, current value) to
//  `out`, for --help.
void crmq_config_print (crmq_config_t *self, FILE *out);

//  Self-test.
void crmq_config_test (bool verbose);

#endif

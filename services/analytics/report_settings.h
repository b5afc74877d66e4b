/*  report_settings.h - the settings of crmq-analytics that reports read,
    checked and parsed once at start-up (a bad value stops the service
    there, not in the middle of a report).  A report finds them through
    report_run_t's `settings`.                                              */
#ifndef REPORT_SETTINGS_H_INCLUDED
#define REPORT_SETTINGS_H_INCLUDED

#include "crmq.h"

//  The components of the satisfaction index, in their order
//  (docs/reports.md, "satisfaction").
typedef enum {
    REPORT_SATISFACTION_REPEAT,
    REPORT_SATISFACTION_TENURE,
    REPORT_SATISFACTION_COMPLAINTS,
    REPORT_SATISFACTION_REQUESTS,
    REPORT_SATISFACTION_DISCOUNTS,
    REPORT_SATISFACTION_LATE_PAYMENTS,
    REPORT_SATISFACTION_RETURNS,
    REPORT_SATISFACTION_LATE_SHIPMENTS,
    REPORT_SATISFACTION_COMPONENTS          //  their count
} report_satisfaction_component_t;

//  The default of CRMQ_SATISFACTION_WEIGHTS.
#define REPORT_SATISFACTION_WEIGHTS_DEFAULT \
    "repeat=20,tenure=10,complaints=20,requests=5,discounts=10,late_payments=10," \
    "returns=15,late_shipments=10"

typedef struct {
    //  Points of each component (whole numbers 0..100, summing to 100).
    int satisfaction_weights [REPORT_SATISFACTION_COMPONENTS];
    //  The values above as a short text ("140a14050a0a0f0a": each weight in
    //  hex), for cache keys: results computed under other settings differ.
    char key [2 * REPORT_SATISFACTION_COMPONENTS + 1];
    //  Longest a report's statements may run, milliseconds; 0 = no limit
    //  (CRMQ_REPORT_TIMEOUT_MS).  crmq-analytics serves one request at a
    //  time: this bounds how long one report keeps the others waiting.
    int timeout_ms;
} report_settings_t;

//  The settings in `config` (the service's: "satisfaction_weights",
//  "report_timeout_ms").
//  Returns NULL after writing why into `why` when a value is invalid.
report_settings_t *report_settings_new (crmq_config_t *config, char *why, size_t size);

//  Frees it; sets *self_p to NULL; safe on NULL.
void report_settings_destroy (report_settings_t **self_p);

//  Parses "name=points,..." into weights [REPORT_SATISFACTION_COMPONENTS]:
//  every name one of the components, at most once, points whole numbers
//  0..100; a component not named weighs 0; the points must sum to 100.
//  Returns 0, or -1 after writing why into `why`.
int report_settings_parse_weights (const char *text, int *weights, char *why, size_t size);

//  The name of a component ("repeat", "late_payments", ...).
const char *report_settings_component (report_satisfaction_component_t component);

//  The weights of `self`, or the defaults when self is NULL.
const int *report_settings_weights (const report_settings_t *self);

//  Self test.
void report_settings_test (bool verbose);

#endif

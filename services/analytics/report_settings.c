/*  report_settings.c - settings reports read; see report_settings.h.  */
#include "report_settings.h"

static const char *s_components [REPORT_SATISFACTION_COMPONENTS] = {
    "repeat", "tenure", "complaints", "requests", "discounts", "late_payments", "returns",
    "late_shipments"
};

report_settings_t *
report_settings_new (crmq_config_t *config, char *why, size_t size)
{
    report_settings_t *self = (report_settings_t *) zmalloc (sizeof (report_settings_t));
    char reason [200];
    if (report_settings_parse_weights (crmq_config_str (config, "satisfaction_weights"),
                                       self->satisfaction_weights, reason, sizeof reason) != 0) {
        snprintf (why, size, "CRMQ_SATISFACTION_WEIGHTS: %s", reason);
        free (self);
        return NULL;
    }
    self->timeout_ms = (int) crmq_config_int (config, "report_timeout_ms");
    for (int i = 0; i < REPORT_SATISFACTION_COMPONENTS; i++)
        snprintf (self->key + 2 * i, sizeof self->key - 2 * (size_t) i, "%02x",
                  (unsigned) self->satisfaction_weights [i]);
    return self;
}

void
report_settings_destroy (report_settings_t **self_p)
{
    report_settings_t *self = *self_p;
    if (self) {
        free (self);
        *self_p = NULL;
    }
}

int
report_settings_parse_weights (const char *text, int *weights, char *why, size_t size)
{
    bool named [REPORT_SATISFACTION_COMPONENTS] = { false };
    memset (weights, 0, REPORT_SATISFACTION_COMPONENTS * sizeof (int));
    int sum = 0;
    const char *cursor = text;
    while (*cursor) {
        size_t length = strcspn (cursor, ",");
        const char *equals = memchr (cursor, '=', length);
        int component = -1;
        for (int i = 0; equals && i < REPORT_SATISFACTION_COMPONENTS; i++)
            if (strlen (s_components [i]) == (size_t) (equals - cursor)
            &&  memcmp (s_components [i], cursor, (size_t) (equals - cursor)) == 0)
                component = i;
        if (component < 0) {
            snprintf (why, size, "\"%.*s\" is not name=points with a name among repeat, tenure, "
                      "complaints, requests, discounts, late_payments, returns, late_shipments",
                      (int) length, cursor);
            return -1;
        }
        if (named [component]) {
            snprintf (why, size, "%s given twice", s_components [component]);
            return -1;
        }
        named [component] = true;
        int points = 0;
        const char *digit = equals + 1;
        if (digit == cursor + length) {
            snprintf (why, size, "%s: no points", s_components [component]);
            return -1;
        }
        for (; digit < cursor + length; digit++) {
            if (*digit < '0' || *digit > '9' || points > 100) {
                snprintf (why, size, "%s: points are a whole number 0..100",
                          s_components [component]);
                return -1;
            }
            points = points * 10 + (*digit - '0');
        }
        if (points > 100) {
            snprintf (why, size, "%s: points are a whole number 0..100", s_components [component]);
            return -1;
        }
        weights [component] = points;
        sum += points;
        cursor += length;
        if (*cursor == ',')
            cursor++;
    }
    if (sum != 100) {
        snprintf (why, size, "the points sum to %d, not 100", sum);
        return -1;
    }
    return 0;
}

const char *
report_settings_component (report_satisfaction_component_t component)
{
    assert (component >= 0 && component < REPORT_SATISFACTION_COMPONENTS);
    return s_components [component];
}

const int *
report_settings_weights (const report_settings_t *self)
{
    static int defaults [REPORT_SATISFACTION_COMPONENTS];
    if (self)
        return self->satisfaction_weights;
    if (defaults [0] == 0) {
        char why [200];
        int rc = report_settings_parse_weights (REPORT_SATISFACTION_WEIGHTS_DEFAULT, defaults,
                                                why, sizeof why);
        assert (rc == 0);
    }
    return defaults;
}

void
report_settings_test (bool verbose)
{
    printf (" * report_settings: ");
    if (verbose)
        printf ("\n");
    int weights [REPORT_SATISFACTION_COMPONENTS];
    char why [200];
    assert (report_settings_parse_weights (REPORT_SATISFACTION_WEIGHTS_DEFAULT, weights, why,
                                           sizeof why) == 0);
    assert (weights [REPORT_SATISFACTION_REPEAT] == 20);
    assert (weights [REPORT_SATISFACTION_RETURNS] == 15);
    assert (weights [REPORT_SATISFACTION_LATE_SHIPMENTS] == 10);
    const int *defaults = report_settings_weights (NULL);
    assert (memcmp (defaults, weights, sizeof weights) == 0);
    //  a component left out weighs 0
    assert (report_settings_parse_weights ("complaints=60,returns=40", weights, why,
                                           sizeof why) == 0);
    assert (weights [REPORT_SATISFACTION_COMPLAINTS] == 60 && weights [0] == 0);
    assert (report_settings_parse_weights ("repeat=100", weights, why, sizeof why) == 0);
    //  bad: the sum, a name, twice, not a number, too big, empty
    assert (report_settings_parse_weights ("repeat=20,tenure=10", weights, why, sizeof why) == -1);
    assert (strstr (why, "sum to 30"));
    assert (report_settings_parse_weights ("loyalty=100", weights, why, sizeof why) == -1);
    assert (strstr (why, "\"loyalty=100\""));
    assert (report_settings_parse_weights ("repeat=50,repeat=50", weights, why,
                                           sizeof why) == -1);
    assert (strstr (why, "twice"));
    assert (report_settings_parse_weights ("repeat=5x,tenure=95", weights, why,
                                           sizeof why) == -1);
    assert (report_settings_parse_weights ("repeat=1000", weights, why, sizeof why) == -1);
    assert (report_settings_parse_weights ("repeat=,tenure=100", weights, why,
                                           sizeof why) == -1);
    assert (report_settings_parse_weights ("", weights, why, sizeof why) == -1);
    assert (report_settings_component (REPORT_SATISFACTION_LATE_PAYMENTS)
            && streq (report_settings_component (REPORT_SATISFACTION_LATE_PAYMENTS),
                      "late_payments"));
    report_settings_t *settings = NULL;
    report_settings_destroy (&settings);
    printf ("OK\n");
}

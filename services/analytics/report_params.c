/*  report_params.c - report parameters; see report_params.h.  */
#include "report_params.h"

typedef struct {
    const char *name;
    int bit;
} s_name_bit_t;

static const s_name_bit_t s_measures [] = {
    { "revenue",  REPORT_MEASURE_REVENUE },
    { "profit",   REPORT_MEASURE_PROFIT },
    { "quantity", REPORT_MEASURE_QUANTITY },
    { "orders",   REPORT_MEASURE_ORDERS },
    { NULL, 0 }
};

static const s_name_bit_t s_dimensions [] = {
    { "client",        REPORT_DIM_CLIENT },
    { "manager",       REPORT_DIM_MANAGER },
    { "region",        REPORT_DIM_REGION },
    { "country",       REPORT_DIM_COUNTRY },
    { "category",      REPORT_DIM_CATEGORY },
    { "source",        REPORT_DIM_SOURCE },
    { "product_group", REPORT_DIM_PRODUCT_GROUP },
    { NULL, 0 }
};

static const char *s_granularities [] = { "day", "week", "month", "quarter", "year", NULL };

static const char *s_filter_fields [] = {
    "client", "manager", "region", "country", "category", "source", "product_group", "status", NULL
};

//  Relative periods: [from, to) as SQL over `today` (a date in the zone).
typedef struct {
    const char *name;
    const char *from, *to;
} s_relative_t;

static const s_relative_t s_relatives [] = {
    { "previous_day",     "today - 1", "today" },
    { "previous_week",    "date_trunc('week', today)::date - 7", "date_trunc('week', today)::date" },
    { "previous_month",   "(date_trunc('month', today) - interval '1 month')::date",
                          "date_trunc('month', today)::date" },
    { "previous_quarter", "(date_trunc('quarter', today) - interval '3 months')::date",
                          "date_trunc('quarter', today)::date" },
    { "previous_year",    "(date_trunc('year', today) - interval '1 year')::date",
                          "date_trunc('year', today)::date" },
    { "last_7_days",      "today - 7", "today" },
    { "last_30_days",     "today - 30", "today" },
    { "last_90_days",     "today - 90", "today" },
    { "last_12_months",   "(today - interval '12 months')::date", "today" },
    { "month_to_date",    "date_trunc('month', today)::date", "today + 1" },
    { "year_to_date",     "date_trunc('year', today)::date", "today + 1" },
    { NULL, NULL, NULL }
};

static int
s_bit (const s_name_bit_t *table, const char *name)
{
    for (; table->name; table++)
        if (streq (table->name, name))
            return table->bit;
    return 0;
}

static bool
s_listed (const char *const *list, const char *name)
{
    for (; *list; list++)
        if (streq (*list, name))
            return true;
    return false;
}

//  Writes the names of `table` whose bit is in `bits`, comma-separated.
static void
s_names (const s_name_bit_t *table, int bits, char *buf, size_t size)
{
    size_t length = 0;
    buf [0] = 0;
    for (; table->name; table++)
        if (bits & table->bit)
            length += (size_t) snprintf (buf + length, size - length, "%s%s",
                                         length? ", ": "", table->name);
}

const char *
report_params_filter_fields (void)
{
    return "client, manager, region, country, category, source, product_group, status";
}

//  A threshold in (0, 1] or unset (0).
static bool
s_fraction_ok (const Crmq__Decimal *value)
{
    if (!value || (value->units == 0 && value->nanos == 0))
        return true;
    if (value->units < 0 || value->nanos < 0 || value->nanos >= 1000000000)
        return false;
    return value->units == 0 || (value->units == 1 && value->nanos == 0);
}

static int64_t
s_nanos (const Crmq__Decimal *value, int64_t fallback)
{
    if (!value || (value->units == 0 && value->nanos == 0))
        return fallback;
    return value->units * 1000000000 + value->nanos;
}

int
report_params_check (const Crmq__ReportParams *params, const report_def_t **def_p,
                     report_run_t *run, crmq_reply_t *reply)
{
    const report_def_t *def = report_find (params->report);
    if (!def)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "report",
                                 "report: unknown report; reports: %s", report_names ());
    *def_p = def;
    char names [256];
    //  measure
    run->measure = 0;
    if (*params->measure) {
        run->measure = s_bit (s_measures, params->measure);
        if (!(run->measure & def->measures)) {
            s_names (s_measures, def->measures, names, sizeof names);
            return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "measure",
                                     "measure: report %s takes %s", def->name,
                                     def->measures? names: "no measure");
        }
    }
    else
    if (def->measures)
        run->measure = def->measures & -def->measures;      //  the first it takes
    //  dimensions
    run->dimensions = 0;
    if (params->n_dimensions > 4)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "dimensions",
                                 "dimensions: at most 4");
    for (size_t i = 0; i < params->n_dimensions; i++) {
        int bit = s_bit (s_dimensions, params->dimensions [i]);
        if (!(bit & def->dimensions)) {
            s_names (s_dimensions, def->dimensions, names, sizeof names);
            return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "dimensions",
                                     "dimensions: report %s takes %s", def->name,
                                     def->dimensions? names: "no dimension");
        }
        if (run->dimensions & bit)
            return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "dimensions",
                                     "dimensions: %s given twice", params->dimensions [i]);
        run->dimensions |= bit;
    }
    //  granularity
    if (*params->granularity) {
        if (!def->granularity)
            return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "granularity",
                                     "granularity: report %s takes none", def->name);
        if (!s_listed (s_granularities, params->granularity))
            return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "granularity",
                                     "granularity: day, week, month, quarter or year");
    }
    //  filters
    if (params->n_filters > REPORT_FILTERS_MAX)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "filters",
                                 "filters: at most %d", REPORT_FILTERS_MAX);
    for (size_t i = 0; i < params->n_filters; i++) {
        const Crmq__ReportFilter *filter = params->filters [i];
        if (!s_listed (s_filter_fields, filter->field))
            return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "filters",
                                     "filters: unknown field; fields: %s",
                                     report_params_filter_fields ());
        if (streq (filter->field, "product_group") && def->no_group_filter)
            return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "filters",
                                     "filters: report %s takes no product_group filter (%s)",
                                     def->name, def->no_group_filter);
        if (filter->n_values == 0 || filter->n_values > REPORT_FILTER_VALUES_MAX)
            return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "filters",
                                     "filters: %s takes 1 to %d values", filter->field,
                                     REPORT_FILTER_VALUES_MAX);
        for (size_t k = 0; k < filter->n_values; k++) {
            if (streq (filter->field, "status") && !streq (filter->values [k], "active")
            &&  !streq (filter->values [k], "archived"))
                return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "filters",
                                         "filters: status is active or archived");
            char why [80];
            if (!crmq_id_valid (filter->values [k], 0, REPORT_FILTER_VALUE_BYTES, why, sizeof why))
                return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "filters",
                                         "filters: a value of %s %s", filter->field, why);
        }
    }
    //  thresholds
    if (!s_fraction_ok (params->a_share) || !s_fraction_ok (params->b_share))
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "a_share",
                                 "a_share, b_share: fractions in (0, 1]");
    if (s_nanos (params->a_share, 800000000) > s_nanos (params->b_share, 950000000))
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "b_share",
                                 "b_share must not be below a_share");
    if (!s_fraction_ok (params->x_cv) || !s_fraction_ok (params->y_cv))
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "x_cv",
                                 "x_cv, y_cv: fractions in (0, 1]");
    if (s_nanos (params->x_cv, 100000000) > s_nanos (params->y_cv, 250000000))
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "y_cv",
                                 "y_cv must not be below x_cv");
    //  period
    const Crmq__Period *period = params->period;
    if (*params->relative_period) {
        const s_relative_t *relative = s_relatives;
        while (relative->name && !streq (relative->name, params->relative_period))
            relative++;
        if (!relative->name)
            return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "relative_period",
                                     "relative_period: unknown; see docs/reports.md");
        if (period && (period->from_us || period->to_us))
            return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "period",
                                     "period: give either a period or a relative period");
    }
    //  dates far from any data (year 1, 9999) are mistakes, and beyond what
    //  PostgreSQL's date arithmetic on them can take
    int64_t bounds [3] = { period? period->from_us: 0, period? period->to_us: 0,
                           params->as_of_us };
    for (int i = 0; i < 3; i++)
        if (bounds [i] && (bounds [i] < REPORT_DATE_MIN_US || bounds [i] >= REPORT_DATE_MAX_US))
            return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, i < 2? "period": "as_of_us",
                                     "%s: dates from 1900-01-01 to 2199-12-31",
                                     i < 2? "period": "as_of");
    if (period && period->from_us && period->to_us && period->from_us >= period->to_us)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "period",
                                 "period: from must be before to");
    if (params->as_of_us && !def->as_of)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "as_of_us",
                                 "as_of: report %s takes no report date", def->name);
    if (params->limit < 0 || params->limit > REPORT_LIMIT_MAX)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "limit",
                                 "limit: 0 (%d) to %d", REPORT_LIMIT_DEFAULT, REPORT_LIMIT_MAX);
    if (params->lost_after_days < 0 || params->lost_after_days > 3650)
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "lost_after_days",
                                 "lost_after_days: 0 (%d) to 3650", REPORT_LOST_AFTER_DEFAULT);
    return 0;
}

//  $1 zone, $2 from_us, $3 to_us, $4 as_of_us (0 = unset); %s, %s the
//  relative period's bounds over `today` (or NULL::date).  Returns the days,
//  whether each given instant is a midnight, and the instants of the days.
static const char *SQL_RESOLVE =
    "WITH z AS (SELECT (now() AT TIME ZONE $1)::date AS today),"
    " i AS (SELECT CASE WHEN $2::bigint <> 0 THEN (timestamptz 'epoch' + $2::bigint"
    "                   * interval '1 microsecond') AT TIME ZONE $1 END AS f,"
    "              CASE WHEN $3::bigint <> 0 THEN (timestamptz 'epoch' + $3::bigint"
    "                   * interval '1 microsecond') AT TIME ZONE $1 END AS t,"
    "              CASE WHEN $4::bigint <> 0 THEN (timestamptz 'epoch' + $4::bigint"
    "                   * interval '1 microsecond') AT TIME ZONE $1 END AS a,"
    "              (%s)::date AS rf, (%s)::date AS rt, today FROM z),"
    " d AS (SELECT coalesce (rf, f::date) AS fd, coalesce (rt, t::date) AS td, a::date AS ad,"
    "              (f IS NULL OR f = f::date) AND (t IS NULL OR t = t::date)"
    "              AND (a IS NULL OR a = a::date) AS midnight, today FROM i)"
    " SELECT coalesce (fd::text, '-infinity'), coalesce (td::text, 'infinity'),"
    "        coalesce (ad, td, today + 1)::text, midnight,"
    "        coalesce ((extract (epoch FROM fd::timestamp AT TIME ZONE $1) * 1000000)::bigint, 0),"
    "        coalesce ((extract (epoch FROM td::timestamp AT TIME ZONE $1) * 1000000)::bigint, 0),"
    "        (fd IS NULL OR td IS NULL OR fd < td)"
    "   FROM d";

int
report_params_resolve (report_run_t *run, const Crmq__ReportParams *params,
                       const report_def_t *def, Crmq__ReportParams **resolved)
{
    const s_relative_t *relative = s_relatives;
    while (relative->name && !streq (relative->name, params->relative_period))
        relative++;
    char sql [2048];
    snprintf (sql, sizeof sql, SQL_RESOLVE, relative->name? relative->from: "NULL::date",
              relative->name? relative->to: "NULL::date");
    char from_us [24], to_us [24], as_of_us [24];
    snprintf (from_us, sizeof from_us, "%" PRId64, params->period? params->period->from_us: 0);
    snprintf (to_us, sizeof to_us, "%" PRId64, params->period? params->period->to_us: 0);
    snprintf (as_of_us, sizeof as_of_us, "%" PRId64, params->as_of_us);
    const char *values [4] = { run->time_zone, from_us, to_us, as_of_us };
    PGresult *result = crmq_pg_exec (run->pg, sql, 4, values);
    if (!result)
        return -1;
    bool midnight = streq (PQgetvalue (result, 0, 3), "t");
    bool ordered = streq (PQgetvalue (result, 0, 6), "t");
    snprintf (run->from_day, sizeof run->from_day, "%s", PQgetvalue (result, 0, 0));
    snprintf (run->to_day, sizeof run->to_day, "%s", PQgetvalue (result, 0, 1));
    snprintf (run->as_of_day, sizeof run->as_of_day, "%s", PQgetvalue (result, 0, 2));
    int64_t from = strtoll (PQgetvalue (result, 0, 4), NULL, 10);
    int64_t to = strtoll (PQgetvalue (result, 0, 5), NULL, 10);
    PQclear (result);
    if (!midnight)
        return crmq_reply_error (run->reply, CRMQ_INVALID_ARGUMENT, "period",
                                 "period: from, to and as_of must be midnights in %s",
                                 run->time_zone);
    if (!ordered)
        return crmq_reply_error (run->reply, CRMQ_INVALID_ARGUMENT, "period",
                                 "period: from must be before to");
    //  the report date given (as_of wrong), or by default (an open end:
    //  tomorrow; the period's start wrong)
    if (def->as_of && !streq (run->from_day, "-infinity")
    &&  strcmp (run->as_of_day, run->from_day) <= 0)
        return params->as_of_us
             ? crmq_reply_error (run->reply, CRMQ_INVALID_ARGUMENT, "as_of_us",
                                 "as_of: the report date %s is not after the period's start %s",
                                 run->as_of_day, run->from_day)
             : crmq_reply_error (run->reply, CRMQ_INVALID_ARGUMENT, "period",
                                 "period: from %s is not before the report date %s",
                                 run->from_day, run->as_of_day);
    //  a deep copy through the wire format, then the defaults
    size_t size = protobuf_c_message_get_packed_size (&params->base);
    uint8_t *packed = (uint8_t *) malloc (size? size: 1);
    protobuf_c_message_pack (&params->base, packed);
    Crmq__ReportParams *copy = crmq__report_params__unpack (NULL, size, packed);
    free (packed);
    if (!copy)
        return crmq_reply_error (run->reply, CRMQ_INTERNAL, NULL, "report parameters");
    if (!copy->period) {
        copy->period = (Crmq__Period *) malloc (sizeof (Crmq__Period));
        crmq__period__init (copy->period);
    }
    copy->period->from_us = from;
    copy->period->to_us = to;
    if (def->granularity && !*copy->granularity) {
        if (copy->granularity != protobuf_c_empty_string)
            free (copy->granularity);
        copy->granularity = strdup (def->default_granularity);
    }
    for (const s_name_bit_t *measure = s_measures; measure->name; measure++)
        if (measure->bit == run->measure && !*copy->measure) {
            if (copy->measure != protobuf_c_empty_string)
                free (copy->measure);
            copy->measure = strdup (measure->name);
        }
    if (copy->limit == 0)
        copy->limit = REPORT_LIMIT_DEFAULT;
    if (copy->lost_after_days == 0)
        copy->lost_after_days = REPORT_LOST_AFTER_DEFAULT;
    *resolved = copy;
    return 0;
}

void
report_params_test (bool verbose)
{
    printf (" * report_params: ");
    if (verbose)
        printf ("\n");
    assert (s_bit (s_measures, "profit") == REPORT_MEASURE_PROFIT);
    assert (s_bit (s_measures, "Profit") == 0);
    assert (s_bit (s_dimensions, "product_group") == REPORT_DIM_PRODUCT_GROUP);
    char names [128];
    s_names (s_measures, REPORT_MEASURE_REVENUE | REPORT_MEASURE_ORDERS, names, sizeof names);
    assert (streq (names, "revenue, orders"));
    Crmq__Decimal half = CRMQ__DECIMAL__INIT, one = CRMQ__DECIMAL__INIT, two = CRMQ__DECIMAL__INIT;
    half.nanos = 500000000;
    one.units = 1;
    two.units = 1;
    two.nanos = 1;
    assert (s_fraction_ok (NULL) && s_fraction_ok (&half) && s_fraction_ok (&one));
    assert (!s_fraction_ok (&two));
    assert (s_nanos (&half, 7) == 500000000 && s_nanos (NULL, 7) == 7);
    assert (s_listed (s_granularities, "quarter") && !s_listed (s_granularities, ""));
    printf ("OK\n");
}

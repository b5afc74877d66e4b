/*  report.c - the report set; see report.h.  */
#include "report.h"

#define S_CLIENT_DIMS (REPORT_DIM_MANAGER | REPORT_DIM_REGION | REPORT_DIM_COUNTRY \
                       | REPORT_DIM_CATEGORY | REPORT_DIM_SOURCE)
#define S_ALL_MEASURES (REPORT_MEASURE_REVENUE | REPORT_MEASURE_PROFIT \
                        | REPORT_MEASURE_QUANTITY | REPORT_MEASURE_ORDERS)

static const report_def_t s_reports [] = {
    { .name = "base", .title = "Client base", .compute = report_base,
      .granularity = true, .default_granularity = "month", .dated = true, .as_of = true,
      .no_group_filter = "an order may hold lines of many groups" },
    { .name = "abc", .title = "ABC analysis", .compute = report_abc,
      .measures = S_ALL_MEASURES, .dated = true },
    { .name = "xyz", .title = "XYZ analysis", .compute = report_xyz, .dated = true },
    { .name = "abc_xyz", .title = "ABC x XYZ", .compute = report_abc_xyz,
      .measures = S_ALL_MEASURES, .dated = true },
    { .name = "rfm", .title = "RFM analysis", .compute = report_rfm, .dated = true,
      .as_of = true },
    { .name = "rating", .title = "Client rating", .compute = report_rating,
      .measures = S_ALL_MEASURES, .dimensions = S_CLIENT_DIMS, .dated = true },
    { .name = "clients", .title = "Client metrics", .compute = report_clients,
      .dimensions = S_CLIENT_DIMS | REPORT_DIM_PRODUCT_GROUP, .as_of = true },
    { .name = "satisfaction", .title = "Satisfaction index", .compute = report_satisfaction,
      .as_of = true },
    { .name = "least_satisfied", .title = "Least satisfied clients",
      .compute = report_least_satisfied, .as_of = true },
    { .name = "dynamics", .title = "Order dynamics", .compute = report_dynamics,
      .measures = S_ALL_MEASURES, .dimensions = S_CLIENT_DIMS | REPORT_DIM_PRODUCT_GROUP,
      .granularity = true, .default_granularity = "month", .dated = true },
    { .name = "deal_dynamics", .title = "Deal dynamics", .compute = report_deal_dynamics,
      .granularity = true, .default_granularity = "month",
      .no_group_filter = "deals have no product group" },
    { .name = "funnel", .title = "Sales funnel", .compute = report_funnel,
      .no_group_filter = "deals and leads have no product group" },
    { .name = "managers", .title = "Manager activity and efficiency", .compute = report_managers,
      .no_group_filter = "deals, interactions and orders by manager have no product group" },
    { .name = NULL }
};

const report_def_t *
report_find (const char *name)
{
    for (const report_def_t *def = s_reports; def->name; def++)
        if (streq (def->name, name))
            return def;
    return NULL;
}

const char *
report_names (void)
{
    static char names [512];
    if (!names [0]) {
        size_t length = 0;
        for (const report_def_t *def = s_reports; def->name; def++)
            length += (size_t) snprintf (names + length, sizeof names - length, "%s%s",
                                         length? ", ": "", def->name);
    }
    return names;
}

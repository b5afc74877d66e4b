/*  report.c - the report set; see report.h.  */
#include "report.h"

#define S_CLIENT_DIMS (REPORT_DIM_MANAGER | REPORT_DIM_REGION | REPORT_DIM_COUNTRY \
                       | REPORT_DIM_CATEGORY | REPORT_DIM_SOURCE)
#define S_ALL_MEASURES (REPORT_MEASURE_REVENUE | REPORT_MEASURE_PROFIT \
                        | REPORT_MEASURE_QUANTITY | REPORT_MEASURE_ORDERS)

static const report_def_t s_reports [] = {
    { "base", "Client base", report_base, 0, 0, true, "month", true,
      "an order may hold lines of many groups" },
    { "abc", "ABC analysis", report_abc, S_ALL_MEASURES, 0, false, NULL, true, NULL },
    { "xyz", "XYZ analysis", report_xyz, 0, 0, false, NULL, true, NULL },
    { "abc_xyz", "ABC x XYZ", report_abc_xyz, S_ALL_MEASURES, 0, false, NULL, true, NULL },
    { "rfm", "RFM analysis", report_rfm, 0, 0, false, NULL, true, NULL },
    { "rating", "Client rating", report_rating, S_ALL_MEASURES, S_CLIENT_DIMS, false, NULL,
      true, NULL },
    { "clients", "Client metrics", report_clients, 0, S_CLIENT_DIMS | REPORT_DIM_PRODUCT_GROUP,
      false, NULL, false, NULL },
    { "satisfaction", "Satisfaction index", report_satisfaction, 0, 0, false, NULL, false, NULL },
    { "least_satisfied", "Least satisfied clients", report_least_satisfied, 0, 0, false, NULL,
      false, NULL },
    { "dynamics", "Order dynamics", report_dynamics, S_ALL_MEASURES,
      S_CLIENT_DIMS | REPORT_DIM_PRODUCT_GROUP, true, "month", true, NULL },
    { "deal_dynamics", "Deal dynamics", report_deal_dynamics, 0, 0, true, "month", false,
      "deals have no product group" },
    { "funnel", "Sales funnel", report_funnel, 0, 0, false, NULL, false,
      "deals and leads have no product group" },
    { "managers", "Manager activity and efficiency", report_managers, 0, 0, false, NULL, false,
      "deals, interactions and orders by manager have no product group" },
    { NULL, NULL, NULL, 0, 0, false, NULL, false, NULL }
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

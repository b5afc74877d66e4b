/*  report_satisfaction.c - the satisfaction index and the least satisfied
    clients (docs/reports.md, "satisfaction"; the index's idea: DESIGN.md,
    "Satisfaction index").

    For each client with an order in the period (an open start: the 365
    days before the report date D; an open end: D), eight components in
    [0, 1], 1 = good (c1..c8 in report_settings.h's order):
      repeat          1 - 1 / orders
      tenure          min (1, (D - the first order's day ever) / 365), >= 0
      complaints      1 - min (1, complaints / orders)
      requests        1 - min (1, requests / (2 x orders))
      discounts       1 - min (1, discounts / (sales + discounts)); 1 when
                      sales + discounts <= 0
      late_payments   1 - late payments / payments; 1 without payments
      returns         1 - min (1, returns / sales); 1 without sales or
                      returns, 0 with returns and no sales
      late_shipments  1 - late shipments / shipments; 1 without shipments
    score = sum of weight_i x c_i (weights: CRMQ_SATISFACTION_WEIGHTS,
    summing to 100), computed exactly (numeric) and rounded half-up to 2
    decimals once; each component is shown rounded to 4 decimals beside its
    points, weight_i x c_i rounded to 2 decimals.  The reason of a low
    score is the component that lost the most points, weight_i x (1 - c_i),
    the first in the order above on a tie; none when nothing was lost.      */
#include "report_facts.h"
#include "report_settings.h"

#include <time.h>

#define S_PARTS     REPORT_SATISFACTION_COMPONENTS

//  The query's columns: rank, id, external_id, name, score, then value and
//  points of each component, then the figures behind them (S_FIGURES),
//  then the reason's component (1-based, "" for none) and n (all rows).
enum {
    S_RANK, S_ID, S_EXTERNAL_ID, S_NAME, S_SCORE, S_VALUES,
    S_FIGURES = S_VALUES + 2 * S_PARTS,
    S_ORDERS = S_FIGURES, S_TENURE_DAYS, S_COMPLAINTS, S_REQUESTS, S_DISCOUNTS, S_LIST_VALUE,
    S_LATE_PAYMENTS, S_PAYMENTS, S_RETURNS, S_SALES, S_LATE_SHIPMENTS, S_SHIPMENTS,
    S_REASON, S_COUNT, S_COLUMNS
};

//  Column titles of the components, in their order.
static const char *s_titles [S_PARTS] = {
    "Repeat purchases", "Tenure", "Complaints", "Requests", "Discounts", "Late payments",
    "Returns", "Late shipments"
};

//  Writes `day` ("YYYY-MM-DD") shifted by `days` into buf.  Returns 0 or -1.
static int
s_day_add (const char *day, int days, char *buf, size_t size)
{
    struct tm tm;
    memset (&tm, 0, sizeof tm);
    if (sscanf (day, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_hour = 12;
    time_t at = timegm (&tm) + (time_t) days * 86400;
    struct tm shifted;
    if (!gmtime_r (&at, &shifted) || strftime (buf, size, "%Y-%m-%d", &shifted) == 0)
        return -1;
    return 0;
}

static void
s_query (report_run_t *run, report_query_t *query, const char *from_day, const char *to_day,
         bool ascending)
{
    const int *weights = report_settings_weights ((const report_settings_t *) run->settings);
    char weight_text [S_PARTS][8];
    char *weight_values [S_PARTS];
    for (int i = 0; i < S_PARTS; i++) {
        snprintf (weight_text [i], sizeof weight_text [i], "%d", weights [i]);
        weight_values [i] = weight_text [i];
    }
    const char *from = report_query_param (query, from_day);
    const char *to = report_query_param (query, to_day);
    const char *as_of = report_query_param (query, run->as_of_day);
    const char *weight = report_query_param_array (query, weight_values, S_PARTS);
    report_facts_with_totals (run, query, from, to);
    report_facts_documents (run, query, from, to);
    report_query_add (query,
        ", firsts AS (SELECT r.client_id, min (r.day) AS first_day"
        "   FROM analytics.client_day_rollups r JOIN clients c ON c.id = r.client_id"
        "   WHERE r.orders > 0 GROUP BY r.client_id)"
        ", base AS (SELECT c.id, c.external_id, c.name, t.orders, t.sales, t.discounts,"
        "   t.returns, coalesce (d.payments, 0) AS payments,"
        "   coalesce (d.late_payments, 0) AS late_payments,"
        "   coalesce (d.shipments, 0) AS shipments,"
        "   coalesce (d.late_shipments, 0) AS late_shipments,"
        "   coalesce (k.complaints, 0) AS complaints, coalesce (k.requests, 0) AS requests,"
        "   %s::date - f.first_day AS tenure_days"
        "   FROM clients c JOIN totals t ON t.client_id = c.id"
        "   LEFT JOIN documents d ON d.client_id = c.id LEFT JOIN cases k ON k.client_id = c.id"
        "   LEFT JOIN firsts f ON f.client_id = c.id WHERE t.orders > 0)"
        ", parts AS (SELECT b.*, %s::numeric[] AS w, ARRAY ["
        "   1 - 1 / b.orders::numeric,"
        "   least (1, greatest (0, coalesce (b.tenure_days, 0)) / 365::numeric),"
        "   1 - least (1, b.complaints / b.orders::numeric),"
        "   1 - least (1, b.requests / (2 * b.orders::numeric)),"
        "   CASE WHEN b.sales + b.discounts > 0"
        "        THEN 1 - least (1, greatest (0, b.discounts) / (b.sales + b.discounts))"
        "        ELSE 1 END,"
        "   CASE WHEN b.payments > 0 THEN 1 - least (1, b.late_payments / b.payments::numeric)"
        "        ELSE 1 END,"
        "   CASE WHEN b.sales > 0 THEN 1 - least (1, b.returns / b.sales)"
        "        WHEN b.returns > 0 THEN 0 ELSE 1 END,"
        "   CASE WHEN b.shipments > 0"
        "        THEN 1 - least (1, b.late_shipments / b.shipments::numeric) ELSE 1 END] AS c"
        "   FROM base b)"
        ", scored AS (SELECT p.*,"
        "   round ((SELECT sum (p.w [i] * p.c [i]) FROM generate_series (1, %d) i), 2) AS score,"
        "   (SELECT i FROM generate_series (1, %d) i WHERE p.w [i] * (1 - p.c [i]) > 0"
        "    ORDER BY p.w [i] * (1 - p.c [i]) DESC, i LIMIT 1) AS reason"
        "   FROM parts p)"
        ", ranked AS MATERIALIZED (SELECT s.*,"
        "   row_number () OVER (ORDER BY s.score %s, s.id) AS rank, count (*) OVER () AS n"
        "   FROM scored s)",
        as_of, weight, S_PARTS, S_PARTS, ascending? "ASC": "DESC");
    char limit [16];
    snprintf (limit, sizeof limit, "%d", run->params->limit);
    report_query_add (query, " SELECT rank, id, external_id, name, score");
    for (int i = 1; i <= S_PARTS; i++)
        report_query_add (query, ", round (c [%d], 4), round (w [%d] * c [%d], 2)", i, i, i);
    report_query_add (query,
        ", orders, tenure_days, complaints, requests, discounts, sales + discounts,"
        " late_payments, payments, returns, sales, late_shipments, shipments, reason, n"
        " FROM ranked WHERE rank <= %s::bigint ORDER BY ranked.rank",
        report_query_param (query, limit));
}

//  "1 complaint" / "2 complaints".
static const char *
s_count (const char *number, const char *noun, char *buf, size_t size)
{
    snprintf (buf, size, "%s %s%s", number, noun, streq (number, "1")? "": "s");
    return buf;
}

//  Writes why a row lost the most points into buf ("" for none).
static void
s_reason_text (const PGresult *result, int row, int component, char *buf, size_t size)
{
    char one [64], two [64];
    const char *orders = PQgetvalue (result, row, S_ORDERS);
    *buf = 0;
    switch (component) {
        case REPORT_SATISFACTION_REPEAT:
            snprintf (buf, size, "%s in the period", s_count (orders, "order", one, sizeof one));
            break;
        case REPORT_SATISFACTION_TENURE: {
            const char *days = PQgetvalue (result, row, S_TENURE_DAYS);
            if (*days && strtoll (days, NULL, 10) > 0)
                snprintf (buf, size, "first order %s before the report date",
                          s_count (days, "day", one, sizeof one));
            else
                snprintf (buf, size, "first order on or after the report date");
            break;
        }
        case REPORT_SATISFACTION_COMPLAINTS:
        case REPORT_SATISFACTION_REQUESTS: {
            bool complaints = component == REPORT_SATISFACTION_COMPLAINTS;
            snprintf (buf, size, "%s over %s",
                      s_count (PQgetvalue (result, row, complaints? S_COMPLAINTS: S_REQUESTS),
                               complaints? "complaint": "request", one, sizeof one),
                      s_count (orders, "order", two, sizeof two));
            break;
        }
        case REPORT_SATISFACTION_DISCOUNTS:
            snprintf (buf, size, "discounts of %s on %s at list prices",
                      PQgetvalue (result, row, S_DISCOUNTS),
                      PQgetvalue (result, row, S_LIST_VALUE));
            break;
        case REPORT_SATISFACTION_LATE_PAYMENTS:
            snprintf (buf, size, "%s of %s late", PQgetvalue (result, row, S_LATE_PAYMENTS),
                      s_count (PQgetvalue (result, row, S_PAYMENTS), "payment", one, sizeof one));
            break;
        case REPORT_SATISFACTION_RETURNS:
            snprintf (buf, size, "returns of %s against sales of %s",
                      PQgetvalue (result, row, S_RETURNS), PQgetvalue (result, row, S_SALES));
            break;
        case REPORT_SATISFACTION_LATE_SHIPMENTS:
            snprintf (buf, size, "%s of %s late", PQgetvalue (result, row, S_LATE_SHIPMENTS),
                      s_count (PQgetvalue (result, row, S_SHIPMENTS), "shipment", one,
                               sizeof one));
            break;
        default:
            break;
    }
}

//  Both reports: the index per client, by score descending (satisfaction)
//  or ascending with the reason (least_satisfied).
static int
s_report (report_run_t *run, bool least)
{
    //  the period: an open start is the 365 days before D, an open end D
    char from_day [16], to_day [16];
    bool open = streq (run->from_day, "-infinity") || streq (run->to_day, "infinity");
    if (streq (run->from_day, "-infinity")) {
        if (s_day_add (run->as_of_day, -365, from_day, sizeof from_day) != 0)
            return crmq_reply_error (run->reply, CRMQ_INTERNAL, NULL, "report date %s",
                                     run->as_of_day);
    }
    else
        snprintf (from_day, sizeof from_day, "%s", run->from_day);
    snprintf (to_day, sizeof to_day, "%s",
              streq (run->to_day, "infinity")? run->as_of_day: run->to_day);
    if (open)
        report_result_note (run->result, "period %s to %s (excluded): an open start is the 365 "
                            "days before the report date, an open end the report date",
                            from_day, to_day);
    const int *weights = report_settings_weights ((const report_settings_t *) run->settings);
    char weight_text [256] = "";
    for (int i = 0; i < S_PARTS; i++) {
        size_t length = strlen (weight_text);
        snprintf (weight_text + length, sizeof weight_text - length, "%s%s %d", i? ", ": "",
                  report_settings_component ((report_satisfaction_component_t) i), weights [i]);
    }
    report_result_note (run->result, "weights (points): %s", weight_text);
    //  columns: rank, client, score, [reason], then value and points of each
    const char *columns [8 + 2 * S_PARTS + 1];
    char names [2 * S_PARTS][80];
    int count = 0;
    columns [count++] = "rank:int:Rank";
    columns [count++] = "client_id:int:Client id";
    columns [count++] = "external_id:text:External id";
    columns [count++] = "name:text:Client";
    columns [count++] = "score:decimal:Score";
    if (least) {
        columns [count++] = "reason:class:Reason";
        columns [count++] = "reason_text:text:Why";
    }
    for (int i = 0; i < S_PARTS; i++) {
        const char *name = report_settings_component ((report_satisfaction_component_t) i);
        snprintf (names [2 * i], sizeof names [2 * i], "%s:decimal:%s", name, s_titles [i]);
        snprintf (names [2 * i + 1], sizeof names [2 * i + 1], "%s_points:decimal:%s, points",
                  name, s_titles [i]);
        columns [count++] = names [2 * i];
        columns [count++] = names [2 * i + 1];
    }
    columns [count] = NULL;
    report_table_t *table = report_result_table (run->result, "clients",
                                                 least? "Least satisfied clients"
                                                      : "Satisfaction index", "bars", columns);
    report_query_t *query = report_query_new ();
    s_query (run, query, from_day, to_day, least);
    PGresult *result = report_query_exec (query, run->pg);
    report_query_destroy (&query);
    if (!result)
        return -1;
    assert (PQnfields (result) == S_COLUMNS);
    for (int row = 0; row < PQntuples (result); row++) {
        const char *cells [7 + 2 * S_PARTS];
        char reason_text [256];
        int cell = 0;
        for (int i = S_RANK; i <= S_SCORE; i++)
            cells [cell++] = PQgetvalue (result, row, i);
        if (least) {
            const char *reason = PQgetvalue (result, row, S_REASON);
            int component = *reason? atoi (reason) - 1: -1;
            s_reason_text (result, row, component, reason_text, sizeof reason_text);
            cells [cell++] = component >= 0
                ? report_settings_component ((report_satisfaction_component_t) component): "";
            cells [cell++] = reason_text;
        }
        for (int i = 0; i < 2 * S_PARTS; i++)
            cells [cell++] = PQgetvalue (result, row, S_VALUES + i);
        report_table_row (table, cells);
    }
    report_table_total_rows (table, PQntuples (result)?
                             strtoll (PQgetvalue (result, 0, S_COUNT), NULL, 10): 0);
    PQclear (result);
    return 0;
}

int
report_satisfaction (report_run_t *run)
{
    return s_report (run, false);
}

int
report_least_satisfied (report_run_t *run)
{
    return s_report (run, true);
}

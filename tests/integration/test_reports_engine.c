/*  test_reports_engine - analytics.Report as a whole: bad parameters get
    code 3 naming the field; client filters (region, client), product group
    filters with the group's descendants and exclusion; half-open periods
    (an order at exactly 00:00 of the first day counted once); returns
    reduce revenue and never make an average negative; XYZ classes and cv
    worked out by hand; relative periods resolved; and the cache: the same
    request twice meets the cached result, a new order makes the next one a
    fresh computation with the new figures.

    Six clients of this run (the stack's zone, UTC):
      A "ООО «Ромашка»", region Москва: 2031-01-10 10 x 100.00 of PG (group
        GC, child of G); 2031-02-01 00:00:00 1 x 50.00 of PH (group H)
      B 'O"Brien & Sons', West: 2031-01-15 2 x 300.00 of PH, 1 returned
        2031-01-20; 2031-03-05 1 x 10.00 of PG
      C "Zeta", West: 2030-12-20 2 x 20.00 of PG, both returned 2031-01-10
      D "Delta", East: no order
      E "Even": 100.00 of PH in each of 2031-01, -02, -03      (cv 0: X)
      F "Fluct": 100.00, 120.00, 80.00 of PH in those months   (cv 0.163: Y)
    Over [2031-01-01, 2031-04-01) by revenue: A 1050.00, B 310.00,
    C -40.00, D 0, E 300.00, F 300.00.                                     */
#include "test_support.h"

static char s_prefix [32];
static crmq_rpc_client_t *s_analytics;

static const char *
s_id (const char *name)
{
    return test_ext_id (s_prefix, name);
}

//  Microseconds of 00:00 UTC of "YYYY-MM-DD" plus `seconds`.
static int64_t
s_at (const char *day, int seconds)
{
    int64_t us = 0;
    int rc = crmq_time_parse (day, "UTC", &us);
    assert (rc == 0);
    return us + (int64_t) seconds * 1000000;
}

static Crmq__ErpEvent *
s_order (const char *name, const char *client, const char *product, const char *day,
         int seconds, int64_t quantity, int64_t price_cents)
{
    char event_id [96], order [64], client_id [64], product_id [64];
    snprintf (event_id, sizeof event_id, "%s%s:placed", s_prefix, name);
    snprintf (order, sizeof order, "%s", s_id (name));
    snprintf (client_id, sizeof client_id, "%s", s_id (client));
    snprintf (product_id, sizeof product_id, "%s", s_id (product));
    Crmq__ErpEvent *event = test_order_event (event_id, order, client_id, product_id, quantity,
                                              price_cents);
    event->occurred_at_us = event->order_placed->placed_at_us = s_at (day, seconds);
    return event;
}

static Crmq__ErpEvent *
s_return (const char *name, const char *client, const char *order, const char *product,
          const char *day, int64_t quantity, int64_t price_cents)
{
    char event_id [96], ret [64], client_id [64], order_id [64], product_id [64];
    snprintf (event_id, sizeof event_id, "%s%s:returned", s_prefix, name);
    snprintf (ret, sizeof ret, "%s", s_id (name));
    snprintf (client_id, sizeof client_id, "%s", s_id (client));
    snprintf (order_id, sizeof order_id, "%s", s_id (order));
    snprintf (product_id, sizeof product_id, "%s", s_id (product));
    return test_return_event (event_id, ret, client_id, order_id, product_id, quantity,
                              price_cents, s_at (day, 0));
}

static Crmq__ErpEvent *
s_client (const char *name, const char *title, const char *region)
{
    char event_id [96];
    snprintf (event_id, sizeof event_id, "%s%s:client", s_prefix, name);
    Crmq__ErpEvent *event = test_client_event (event_id, s_id (name), title);
    event->client->region = strdup (region);
    return event;
}

static Crmq__ErpEvent *
s_group (const char *name, const char *parent)
{
    char event_id [96];
    snprintf (event_id, sizeof event_id, "%s%s:group", s_prefix, name);
    Crmq__ErpEvent *event = test_event_new (event_id, 0);
    event->body_case = CRMQ__ERP_EVENT__BODY_PRODUCT_GROUP;
    event->product_group = (Crmq__ProductGroup *) zmalloc (sizeof (Crmq__ProductGroup));
    crmq__product_group__init (event->product_group);
    event->product_group->external_id = strdup (s_id (name));
    event->product_group->name = strdup (name);
    event->product_group->parent_external_id = strdup (parent? s_id (parent): "");
    return event;
}

static Crmq__ErpEvent *
s_product (const char *name, const char *group)
{
    char event_id [96];
    snprintf (event_id, sizeof event_id, "%s%s:product", s_prefix, name);
    Crmq__ErpEvent *event = test_product_event (event_id, s_id (name), name);
    event->product->group_external_id = strdup (s_id (group));
    return event;
}

//  ReportParams with its own storage for what the cases set.
typedef struct {
    Crmq__ReportParams params;
    Crmq__Period period;
    Crmq__ReportFilter filters [4];
    Crmq__ReportFilter *filter_pointers [4];
    char *values [4][8];
    char *dimensions [2];
    Crmq__Decimal a_share, b_share;
} s_params_t;

static void
s_params (s_params_t *p, const char *report, const char *from, const char *to)
{
    memset (p, 0, sizeof *p);
    crmq__report_params__init (&p->params);
    crmq__period__init (&p->period);
    p->params.report = (char *) report;
    p->params.period = &p->period;
    p->period.from_us = from? s_at (from, 0): 0;
    p->period.to_us = to? s_at (to, 0): 0;
}

//  Adds a filter of `field` with the NULL-ended values.
static void
s_filter (s_params_t *p, const char *field, bool exclude, ...)
{
    size_t index = p->params.n_filters++;
    Crmq__ReportFilter *filter = &p->filters [index];
    crmq__report_filter__init (filter);
    filter->field = (char *) field;
    filter->exclude = exclude;
    va_list args;
    va_start (args, exclude);
    const char *value;
    while ((value = va_arg (args, const char *)) != NULL)
        p->values [index][filter->n_values++] = (char *) value;
    va_end (args);
    filter->values = p->values [index];
    p->filter_pointers [index] = filter;
    p->params.filters = p->filter_pointers;
}

//  The clients of this run as a client filter (A..F, external ids).
static char s_ids [6][64];

static void
s_our_clients (s_params_t *p)
{
    s_filter (p, "client", false, s_ids [0], s_ids [1], s_ids [2], s_ids [3], s_ids [4],
              s_ids [5], NULL);
}

//  Runs the report; returns the result or NULL with *code set.
static Crmq__ReportResult *
s_run (s_params_t *p, int *code)
{
    ProtobufCMessage *answer = NULL;
    *code = test_call (s_analytics, "analytics.Report", &p->params.base,
                       &crmq__report_result__descriptor, &answer);
    return (Crmq__ReportResult *) answer;
}

//  Runs a report that must answer 0.
static Crmq__ReportResult *
s_ok (s_params_t *p, const char *what)
{
    int code;
    Crmq__ReportResult *result = s_run (p, &code);
    CHECK (code == CRMQ_OK && result, "%s: code %d %s", what, code,
           crmq_rpc_client_message (s_analytics));
    return result;
}

//  Checks that a report answers 3 naming `field`.
static void
s_refused (s_params_t *p, const char *field, const char *what)
{
    int code;
    Crmq__ReportResult *result = s_run (p, &code);
    const char *field_seen = crmq_rpc_client_field (s_analytics);
    CHECK (code == CRMQ_INVALID_ARGUMENT && field_seen && streq (field_seen, field),
           "%s: code %d field %s (%s)", what, code, field_seen? field_seen: "-",
           crmq_rpc_client_message (s_analytics));
    if (result)
        crmq__report_result__free_unpacked (result, NULL);
}

//  The cell of `column` in the row whose `key_column` is `key` ("" when
//  there is none; "?" when the table or the row is missing).
static const char *
s_cell (const Crmq__ReportResult *result, const char *table_name, const char *key_column,
        const char *key, const char *column)
{
    const Crmq__ReportTable *table = test_report_table (result, table_name);
    if (!table)
        return "?";
    int key_index = -1, index = -1;
    for (size_t i = 0; i < table->n_columns; i++) {
        if (streq (table->columns [i]->name, key_column))
            key_index = (int) i;
        if (streq (table->columns [i]->name, column))
            index = (int) i;
    }
    if (key_index < 0 || index < 0)
        return "?";
    for (size_t row = 0; row < table->n_rows; row++)
        if (streq (table->rows [row]->cells [key_index], key))
            return table->rows [row]->cells [index];
    return "?";
}

static void
s_expect (const Crmq__ReportResult *result, const char *table, const char *key_column,
          const char *key, const char *column, const char *expected, const char *what)
{
    const char *value = s_cell (result, table, key_column, key, column);
    CHECK (streq (value, expected), "%s: %s of %s is %s, expected %s", what, column, key, value,
           expected);
}

static void
s_free (Crmq__ReportResult *result)
{
    if (result)
        crmq__report_result__free_unpacked (result, NULL);
}

int
main (void)
{
    crmq_log_init ("test_reports_engine", "error");
    crmq_pg_t *pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_reports_engine");
    crmq_rpc_client_t *sales = crmq_rpc_client_new (test_env ("CRMQ_SALES_ENDPOINT"), 20000, 0);
    s_analytics = crmq_rpc_client_new (test_env ("CRMQ_ANALYTICS_ENDPOINT"), 60000, 0);
    snprintf (s_prefix, sizeof s_prefix, "RE%d-%" PRId64 "-", (int) getpid (),
              crmq_time_now_us () % 1000000);
    static const char *names [6] = { "A", "B", "C", "D", "E", "F" };
    for (int i = 0; i < 6; i++)
        snprintf (s_ids [i], sizeof s_ids [i], "%s", s_id (names [i]));

    printf ("master data: six clients, groups G > GC and H, products PG (in GC) and PH (in H)\n");
    Crmq__ErpEvent *master [] = {
        s_group ("G", NULL), s_group ("GC", "G"), s_group ("H", NULL),
        s_product ("PG", "GC"), s_product ("PH", "H"),
        s_client ("A", "ООО «Ромашка»", "Москва"), s_client ("B", "O\"Brien & Sons", "West"),
        s_client ("C", "Zeta", "West"), s_client ("D", "Delta", "East"),
        s_client ("E", "Even", "East"), s_client ("F", "Fluct", "East") };
    test_send (sales, "master data", master, sizeof master / sizeof master [0], 0);
    Crmq__ErpEvent *orders [] = {
        s_order ("OA1", "A", "PG", "2031-01-10", 0, 10, 10000),
        s_order ("OA2", "A", "PH", "2031-02-01", 0, 1, 5000),         //  exactly 00:00
        s_order ("OB1", "B", "PH", "2031-01-15", 3600, 2, 30000),
        s_order ("OB2", "B", "PG", "2031-03-05", 0, 1, 1000),
        s_order ("OC1", "C", "PG", "2030-12-20", 0, 2, 2000),
        s_order ("OE1", "E", "PH", "2031-01-03", 0, 1, 10000),
        s_order ("OE2", "E", "PH", "2031-02-03", 0, 1, 10000),
        s_order ("OE3", "E", "PH", "2031-03-03", 0, 1, 10000),
        s_order ("OF1", "F", "PH", "2031-01-04", 0, 1, 10000),
        s_order ("OF2", "F", "PH", "2031-02-04", 0, 1, 12000),
        s_order ("OF3", "F", "PH", "2031-03-04", 0, 1, 8000),
        s_return ("RB1", "B", "OB1", "PH", "2031-01-20", 1, 30000),
        s_return ("RC1", "C", "OC1", "PG", "2031-01-10", 2, 2000) };
    test_send (sales, "orders and returns", orders, sizeof orders / sizeof orders [0], 0);

    s_params_t p;
    Crmq__ReportResult *result;

    printf ("ABC by revenue over [2031-01-01, 2031-04-01), this run's clients\n");
    s_params (&p, "abc", "2031-01-01", "2031-04-01");
    s_our_clients (&p);
    result = s_ok (&p, "abc");
    s_expect (result, "clients", "external_id", s_ids [0], "value", "1050.00", "abc");
    s_expect (result, "clients", "external_id", s_ids [1], "value", "310.00", "abc");
    s_expect (result, "clients", "external_id", s_ids [2], "value", "-40.00", "abc (returns)");
    s_expect (result, "clients", "external_id", s_ids [3], "value", "0.00", "abc (no order)");
    //  total 1960.00: A before 0 -> A; B/E/F order by value then id
    s_expect (result, "clients", "external_id", s_ids [0], "abc_class", "A", "abc");
    s_expect (result, "clients", "external_id", s_ids [0], "share", "0.535714286", "abc");
    s_expect (result, "clients", "external_id", s_ids [2], "abc_class", "C", "abc (<= 0)");
    s_expect (result, "clients", "external_id", s_ids [3], "abc_class", "C", "abc (0)");
    s_expect (result, "clients", "external_id", s_ids [0], "name", "ООО «Ромашка»", "name");
    s_expect (result, "clients", "external_id", s_ids [1], "name", "O\"Brien & Sons", "name");
    //  B 310 after E, F 300? no: B 310 > 300: A 1050, B 310, E 300, F 300
    s_expect (result, "clients", "external_id", s_ids [1], "rank", "2", "abc rank");
    s_expect (result, "clients", "external_id", s_ids [4], "rank", "3", "abc rank (tie by id)");
    s_expect (result, "clients", "external_id", s_ids [5], "rank", "4", "abc rank (tie by id)");
    //  before B: 1050 < 0.8 x 1960 = 1568 -> A; before E: 1360 -> A; before F 1660 -> B
    s_expect (result, "clients", "external_id", s_ids [4], "abc_class", "A", "abc");
    s_expect (result, "clients", "external_id", s_ids [5], "abc_class", "B", "abc");
    s_expect (result, "classes", "abc_class", "A", "clients", "3", "abc classes");
    s_expect (result, "classes", "abc_class", "C", "value", "-40.00", "abc classes");
    CHECK (result && result->as_of_seq > 0, "as_of_seq %" PRId64, result? result->as_of_seq: 0);
    s_free (result);

    printf ("client filter by region, with exclusion\n");
    s_params (&p, "abc", "2031-01-01", "2031-04-01");
    s_our_clients (&p);
    s_filter (&p, "region", false, "West", "Москва", NULL);
    s_filter (&p, "region", true, "Москва", NULL);
    result = s_ok (&p, "abc region");
    const Crmq__ReportTable *clients = test_report_table (result, "clients");
    CHECK (clients && clients->n_rows == 2, "West only: %zu rows", clients? clients->n_rows: 0);
    s_expect (result, "clients", "external_id", s_ids [1], "share", "1.000000000", "West");
    s_free (result);

    printf ("product group filter: G includes its child GC; excluding G leaves H\n");
    s_params (&p, "abc", "2031-01-01", "2031-04-01");
    s_our_clients (&p);
    s_filter (&p, "product_group", false, s_id ("G"), NULL);
    result = s_ok (&p, "abc group G");
    s_expect (result, "clients", "external_id", s_ids [0], "value", "1000.00", "group G");
    s_expect (result, "clients", "external_id", s_ids [1], "value", "10.00", "group G");
    s_expect (result, "clients", "external_id", s_ids [2], "value", "-40.00", "group G");
    s_free (result);
    s_params (&p, "abc", "2031-01-01", "2031-04-01");
    s_our_clients (&p);
    s_filter (&p, "product_group", true, s_id ("G"), NULL);
    result = s_ok (&p, "abc not group G");
    s_expect (result, "clients", "external_id", s_ids [0], "value", "50.00", "not G");
    s_expect (result, "clients", "external_id", s_ids [1], "value", "300.00", "not G");
    s_free (result);

    printf ("half-open periods: the 00:00 order of 2031-02-01 is February's only\n");
    s_params (&p, "base", "2031-01-01", "2031-02-01");
    s_filter (&p, "client", false, s_ids [0], NULL);
    result = s_ok (&p, "base January");
    s_expect (result, "summary", "clients", "1", "orders", "1", "January");
    s_expect (result, "summary", "clients", "1", "revenue", "1000.00", "January");
    s_free (result);
    s_params (&p, "base", "2031-02-01", "2031-03-01");
    s_filter (&p, "client", false, s_ids [0], NULL);
    result = s_ok (&p, "base February");
    s_expect (result, "summary", "clients", "1", "orders", "1", "February");
    s_expect (result, "summary", "clients", "1", "revenue", "50.00", "February");
    s_expect (result, "summary", "clients", "1", "new", "0", "February: not new");
    s_expect (result, "summary", "clients", "1", "returning", "1", "February: returning");
    s_free (result);
    s_params (&p, "base", "2031-01-01", "2031-03-01");
    s_filter (&p, "client", false, s_ids [0], NULL);
    p.params.granularity = "month";
    result = s_ok (&p, "base by month");
    s_expect (result, "history", "period", "2031-01-01", "orders", "1", "history January");
    s_expect (result, "history", "period", "2031-02-01", "orders", "1", "history February");
    s_expect (result, "history", "period", "2031-01-01", "new", "1", "history January new");
    s_expect (result, "summary", "clients", "1", "regular", "1", "A regular at March 1st");
    s_free (result);

    printf ("returns never make an average negative\n");
    s_params (&p, "base", "2031-01-01", "2031-02-01");
    s_filter (&p, "client", false, s_ids [2], NULL);
    result = s_ok (&p, "base C");
    s_expect (result, "summary", "clients", "1", "revenue", "-40.00", "C's January");
    s_expect (result, "summary", "clients", "1", "orders", "0", "C's January");
    s_expect (result, "summary", "clients", "1", "average_order", "0.00", "C's average");
    s_free (result);

    printf ("XYZ: E every month alike (X), F 100/120/80 (Y), A 1000/50/0 (Z)\n");
    s_params (&p, "xyz", "2031-01-01", "2031-04-01");
    s_our_clients (&p);
    result = s_ok (&p, "xyz");
    s_expect (result, "clients", "external_id", s_ids [4], "xyz_class", "X", "xyz E");
    s_expect (result, "clients", "external_id", s_ids [4], "cv", "0.000000000", "xyz E");
    s_expect (result, "clients", "external_id", s_ids [5], "xyz_class", "Y", "xyz F");
    //  sqrt (3 x 30800 - 300^2) / 300 = sqrt (2400) / 300
    s_expect (result, "clients", "external_id", s_ids [5], "cv", "0.163299316", "xyz F");
    s_expect (result, "clients", "external_id", s_ids [0], "xyz_class", "Z", "xyz A");
    s_expect (result, "clients", "external_id", s_ids [0], "months", "3", "xyz A");
    s_expect (result, "clients", "external_id", s_ids [0], "mean", "350.00", "xyz A");
    s_expect (result, "clients", "external_id", s_ids [2], "xyz_class", "Z", "xyz C (mean < 0)");
    s_expect (result, "clients", "external_id", s_ids [3], "xyz_class", "?", "xyz D (no activity)");
    s_free (result);

    printf ("ABC x XYZ matrix\n");
    s_params (&p, "abc_xyz", "2031-01-01", "2031-04-01");
    s_our_clients (&p);
    result = s_ok (&p, "abc_xyz");
    const Crmq__ReportTable *matrix = test_report_table (result, "matrix");
    CHECK (matrix && matrix->n_rows == 9, "nine cells: %zu", matrix? matrix->n_rows: 0);
    long long in_matrix = 0;
    for (size_t i = 0; matrix && i < matrix->n_rows; i++)
        in_matrix += strtoll (matrix->rows [i]->cells [2], NULL, 10);
    CHECK (in_matrix == 5, "five clients with activity in the matrix: %lld", in_matrix);
    s_free (result);

    printf ("relative periods resolve to days\n");
    s_params (&p, "abc", NULL, NULL);
    p.params.relative_period = "previous_year";
    s_our_clients (&p);
    result = s_ok (&p, "previous_year");
    char from [32] = "", to [32] = "";
    if (result && result->params && result->params->period) {
        crmq_time_format (result->params->period->from_us, "UTC", true, from, sizeof from);
        crmq_time_format (result->params->period->to_us, "UTC", true, to, sizeof to);
    }
    CHECK (strlen (from) == 10 && streq (from + 4, "-01-01") && streq (to + 4, "-01-01")
           && atoi (to) == atoi (from) + 1, "previous_year: %s to %s", from, to);
    s_free (result);

    printf ("profit without costs says so\n");
    s_params (&p, "abc", "2031-01-01", "2031-04-01");
    s_our_clients (&p);
    p.params.measure = "profit";
    result = s_ok (&p, "abc profit");
    CHECK (result && result->n_notes == 1 && strstr (result->notes [0], "costs missing"),
           "a note: %s", result && result->n_notes? result->notes [0]: "none");
    clients = test_report_table (result, "clients");
    CHECK (clients && clients->n_rows == 0, "no profit values: %zu rows",
           clients? clients->n_rows: 0);
    s_free (result);

    printf ("the cache: the same request meets the stored result; a new order does not\n");
    s_params (&p, "abc", "2031-01-01", "2031-04-01");
    s_our_clients (&p);
    //  the relay publishes this run's events within a moment; after it the
    //  position stays put while nothing relevant is written
    zclock_sleep (getenv ("CRMQ_SERVICE_WRAPPER")? 5000: 1500);
    Crmq__ReportResult *first = s_ok (&p, "abc first");
    Crmq__ReportResult *second = s_ok (&p, "abc second");
    CHECK (second && second->cached, "the second came from the cache");
    CHECK (first && second && first->as_of_seq == second->as_of_seq, "same position");
    s_free (first);
    s_free (second);
    Crmq__ErpEvent *late [] = { s_order ("OD1", "D", "PH", "2031-03-31", 86399, 1, 777) };
    test_send (sales, "an order for D", late, 1, 0);
    result = s_ok (&p, "abc after the order");
    CHECK (result && !result->cached, "computed afresh after the order");
    s_expect (result, "clients", "external_id", s_ids [3], "value", "7.77", "D's new order");
    int64_t computed_at = result? result->as_of_seq: 0;
    s_free (result);

    printf ("documents of days after the period leave a report by dates cached;"
            " a report of every day is computed afresh\n");
    s_params (&p, "clients", "2031-01-01", "2031-04-01");
    s_our_clients (&p);
    s_free (s_ok (&p, "clients before"));
    Crmq__ErpEvent *after [] = {
        s_order ("OD2", "D", "PH", "2031-04-01", 0, 1, 999),            //  the horizon itself
        s_return ("RD1", "D", "OD1", "PH", "2031-04-02", 1, 777) };
    test_send (sales, "an order and a return after the period", after, 2, 0);
    s_params (&p, "abc", "2031-01-01", "2031-04-01");
    s_our_clients (&p);
    result = s_ok (&p, "abc after later documents");
    CHECK (result && result->cached, "abc: still the cached result");
    CHECK (result && result->as_of_seq == computed_at, "abc: as of the same position");
    s_expect (result, "clients", "external_id", s_ids [3], "value", "7.77", "D unchanged");
    s_free (result);
    s_params (&p, "clients", "2031-01-01", "2031-04-01");
    s_our_clients (&p);
    result = s_ok (&p, "clients after later documents");
    CHECK (result && !result->cached, "clients: computed afresh");
    s_free (result);
    //  a period ending mid-month: a later day of its last month leaves it
    //  cached, a day within it does not
    s_params (&p, "abc", "2031-01-01", "2031-03-15");
    s_our_clients (&p);
    s_free (s_ok (&p, "abc to mid-March"));
    Crmq__ErpEvent *same_month [] = { s_order ("OD3", "D", "PH", "2031-03-20", 0, 1, 100) };
    test_send (sales, "an order of 20 March", same_month, 1, 0);
    result = s_ok (&p, "abc to mid-March after an order of 20 March");
    CHECK (result && result->cached, "abc to mid-March: still cached");
    s_free (result);
    Crmq__ErpEvent *inside [] = { s_order ("OD4", "D", "PH", "2031-03-14", 86399, 1, 100) };
    test_send (sales, "an order of 14 March 23:59:59", inside, 1, 0);
    result = s_ok (&p, "abc to mid-March after an order of 14 March");
    CHECK (result && !result->cached, "abc to mid-March: computed afresh");
    s_expect (result, "clients", "external_id", s_ids [3], "value", "1.00",
              "D's order of 14 March only");
    s_free (result);
    //  the same abc with the report date after the new order reads it
    s_params (&p, "rfm", "2031-01-01", "2031-04-01");
    s_our_clients (&p);
    s_free (s_ok (&p, "rfm first"));
    result = s_ok (&p, "rfm second");
    CHECK (result && result->cached, "rfm: cached");
    s_free (result);
    p.params.as_of_us = s_at ("2031-04-03", 0);
    result = s_ok (&p, "rfm as of 2031-04-03");
    CHECK (result && !result->cached, "rfm as of a later day: computed");
    s_expect (result, "clients", "external_id", s_ids [3], "last_order", "2031-04-01",
              "rfm: D's order of the horizon's day read when the report date is later");
    s_free (result);

    printf ("bad parameters: code 3 naming the field\n");
    s_params (&p, "no_such_report", NULL, NULL);
    s_refused (&p, "report", "unknown report");
    s_params (&p, "xyz", "2031-01-01", "2031-04-01");
    p.params.measure = "profit";
    s_refused (&p, "measure", "a measure xyz does not take");
    s_params (&p, "abc", NULL, NULL);
    p.params.measure = "weight";
    s_refused (&p, "measure", "unknown measure");
    s_params (&p, "base", "2031-01-01", "2031-04-01");
    s_filter (&p, "product_group", false, s_id ("G"), NULL);
    s_refused (&p, "filters", "the client base takes no product group filter");
    s_params (&p, "abc", "2031-01-01", "2031-04-01");
    p.params.as_of_us = s_at ("2031-05-01", 0);
    s_refused (&p, "as_of_us", "abc takes no report date");
    s_params (&p, "rfm", "2031-01-01", "2031-04-01");
    p.params.as_of_us = s_at ("2031-01-01", 0);
    s_refused (&p, "as_of_us", "rfm: a report date not after the period's start");
    s_params (&p, "abc", NULL, NULL);
    p.params.granularity = "month";
    s_refused (&p, "granularity", "a granularity abc does not take");
    s_params (&p, "base", NULL, NULL);
    p.params.granularity = "fortnight";
    s_refused (&p, "granularity", "unknown granularity");
    s_params (&p, "base", NULL, NULL);
    p.dimensions [0] = "planet";
    p.params.dimensions = p.dimensions;
    p.params.n_dimensions = 1;
    s_refused (&p, "dimensions", "unknown dimension");
    s_params (&p, "abc", NULL, NULL);
    s_filter (&p, "colour", false, "red", NULL);
    s_refused (&p, "filters", "unknown filter field");
    s_params (&p, "abc", NULL, NULL);
    s_filter (&p, "region", false, "a\nb", NULL);
    s_refused (&p, "filters", "a control character in a value");
    s_params (&p, "abc", NULL, NULL);
    s_filter (&p, "region", false, NULL);
    s_refused (&p, "filters", "a filter without values");
    s_params (&p, "abc", "2031-02-01", "2031-01-01");
    s_refused (&p, "period", "from after to");
    s_params (&p, "abc", "2031-01-01", "2031-02-01");
    p.period.from_us += 3600000000LL;
    s_refused (&p, "period", "a bound not at midnight");
    s_params (&p, "abc", "2031-01-01", "2031-02-01");
    p.params.relative_period = "previous_month";
    s_refused (&p, "period", "a period and a relative period");
    s_params (&p, "abc", NULL, NULL);
    p.params.relative_period = "next_century";
    s_refused (&p, "relative_period", "unknown relative period");
    s_params (&p, "abc", NULL, NULL);
    p.params.limit = -1;
    s_refused (&p, "limit", "negative limit");
    s_params (&p, "abc", NULL, NULL);
    crmq__decimal__init (&p.a_share);
    crmq__decimal__init (&p.b_share);
    p.a_share.nanos = 900000000;
    p.b_share.nanos = 800000000;
    p.params.a_share = &p.a_share;
    p.params.b_share = &p.b_share;
    s_refused (&p, "b_share", "b below a");
    s_params (&p, "xyz", NULL, "2031-01-01");
    s_refused (&p, "period", "xyz without a start");
    uint8_t *body = NULL;
    size_t size = 0;
    int code = crmq_rpc_call_raw (s_analytics, "analytics.Report", "\x0a\xff", 2, 2, &body, &size);
    CHECK (code == CRMQ_INVALID_ARGUMENT, "malformed body: code %d", code);
    free (body);

    printf ("the service still answers\n");
    s_params (&p, "base", NULL, NULL);
    s_filter (&p, "client", false, s_ids [0], NULL);
    result = s_ok (&p, "base after the bad requests");
    s_free (result);

    crmq_rpc_client_destroy (&sales);
    crmq_rpc_client_destroy (&s_analytics);
    crmq_pg_destroy (&pg);
    printf ("test_reports_engine: %s\n", s_failures? "FAIL": "PASS");
    return s_failures? 1: 0;
}

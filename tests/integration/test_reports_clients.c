/*  test_reports_clients - the client reports of analytics.Report (rfm,
    rating, clients, satisfaction, least_satisfied) over a small data set
    sent through sales.Ingest and contacts.LogInteraction, every figure
    compared with the value worked out by hand below (docs/reports.md).

    The data set: 12 clients of two regions of this run, A..F in "Сибирь"
    and G..L in "Урал «Север»"; the period P = [2024-01-01, 2024-07-01)
    (182 days), report date D = 2024-07-01; days below count back from D
    (day n = D - n).  Products at 10.00 a unit: tea (group TEA, a child of
    FOOD; standard cost 6.00), cake (FOOD; 7.00), box (OTHER; 5.00), and
    one without cost nor group (only in 2023).

      client  orders in P (day: amount, product)                 revenue
      A       5, 30*, 60, 90, 120, 150: 150 tea each             900
      B       5, 10, 15, 20, 25, 170: 150 cake each              900
      C       20: 100 tea; 100, 160: 50 box                      200
      D       30: 60 cake                                         60
      E       60: 40, 61: 30, 120: 30 tea                         100
      F       90, 100, 110, 120, 130: 100 box                     500
      G       120: 100 tea; 140: 100, 150: 100, 160: 50 cake      350
      H       120, 121: 50 tea                                    100
      I       150, 175: 100 tea; a return of 500 on day 150       -300
              of its 2023-12-01 order of 500 tea
      J       170: 40 box                                          40
      K       none (2023-11-15: 70 of the product without cost)     0
      L       none                                                  0
    * 20 units at 25 % discount: 150, discounts 50.
    A: invoices of its day 30 and 60 orders, paid late and on time;
    shipments of those orders, late and on time; 1 complaint, 3 requests.
    E: 3 complaints and 1 request in P, 1 complaint before it.
    G: 4 shipments, 3 late; one payment on time.                           */
#include "test_support.h"

#define DAY_US      86400000000LL
#define HOUR_US     3600000000LL
//  D = 2024-07-01 00:00 UTC; AT (n) = noon of day D - n
#define D_US        1719792000000000LL
#define AT(n)       (D_US - (int64_t) (n) * DAY_US + 12 * HOUR_US)
//  2023-12-01 and 2023-11-15, noon UTC
#define DEC_1_2023  (1701432000000000LL)
#define NOV_15_2023 (1700049600000000LL)

static char s_prefix [32];
static char s_region_1 [96], s_region_2 [96];
static crmq_rpc_client_t *s_sales, *s_contacts, *s_analytics;
static crmq_pg_t *s_pg;

static const char *
s_id (const char *name)
{
    return test_ext_id (s_prefix, name);
}

//  ------------------------------------------------------------------------
//  The data set

//  The event id "<prefix><kind>:<name>" (in test_ext_id's rotating
//  buffers: up to 8 ids, this and s_id's, may be in use at once).
static const char *
s_event_id (const char *kind, const char *name)
{
    char text [96];
    snprintf (text, sizeof text, "%s:%s", kind, name);
    return test_ext_id (s_prefix, text);
}

static Crmq__ErpEvent *
s_group (const char *id, const char *name, const char *parent)
{
    Crmq__ErpEvent *event = test_event_new (s_event_id ("group", id), D_US);
    event->body_case = CRMQ__ERP_EVENT__BODY_PRODUCT_GROUP;
    event->product_group = (Crmq__ProductGroup *) zmalloc (sizeof (Crmq__ProductGroup));
    crmq__product_group__init (event->product_group);
    event->product_group->external_id = strdup (s_id (id));
    event->product_group->name = strdup (name);
    event->product_group->parent_external_id = strdup (*parent? s_id (parent): "");
    return event;
}

static Crmq__ErpEvent *
s_product (const char *id, const char *group, int64_t cost_cents)
{
    Crmq__ErpEvent *event = test_product_event (s_event_id ("product", id), s_id (id), id);
    if (*group)
        event->product->group_external_id = strdup (s_id (group));
    if (cost_cents)
        event->product->standard_cost = test_money (cost_cents, "");
    return event;
}

static Crmq__ErpEvent *
s_client (const char *id, const char *name, const char *region)
{
    Crmq__ErpEvent *event = test_client_event (s_event_id ("client", id), s_id (id), name);
    event->client->region = strdup (region);
    return event;
}

//  Order `name` of `client`: `units` of `product` at 10.00, placed at
//  `at_us`, required by required_us (0 = none).
static Crmq__ErpEvent *
s_order (const char *name, const char *client, const char *product, int64_t units,
         int64_t at_us, int64_t required_us)
{
    Crmq__ErpEvent *event = test_order_event (s_event_id ("order", name), s_id (name),
                                              s_id (client), s_id (product), units, 1000);
    event->occurred_at_us = at_us;
    event->order_placed->placed_at_us = at_us;
    event->order_placed->required_at_us = required_us;
    return event;
}

static Crmq__ErpEvent *
s_shipment (const char *name, const char *order, int64_t at_us)
{
    return test_shipment_event (s_event_id ("shipment", name), s_id (name), s_id (order), at_us);
}

static Crmq__ErpEvent *
s_invoice (const char *name, const char *client, const char *order, int64_t cents,
           int64_t at_us, int64_t due_us)
{
    return test_invoice_event (s_event_id ("invoice", name), s_id (name), s_id (client),
                               s_id (order), cents, at_us, due_us);
}

static Crmq__ErpEvent *
s_payment (const char *name, const char *client, const char *invoice, int64_t cents,
           int64_t at_us)
{
    return test_payment_event (s_event_id ("payment", name), s_id (name), s_id (client),
                               s_id (invoice), cents, at_us);
}

//  Sends the events of a NULL-terminated list as one batch.
static void
s_send (const char *what, Crmq__ErpEvent **events)
{
    size_t count = 0;
    while (events [count])
        count++;
    test_send (s_sales, what, events, count, 0);
}

//  Logs a request or complaint of client `name` started at `at_us`.
static void
s_case (const char *name, const char *kind, int64_t at_us, const char *topic)
{
    char client_id [24];
    test_value (s_pg, client_id, sizeof client_id,
                "SELECT id FROM contacts.clients WHERE external_id = $1", s_id (name), NULL);
    Crmq__Interaction it = CRMQ__INTERACTION__INIT;
    it.client_id = strtoll (client_id, NULL, 10);
    it.channel = "call";
    it.kind = (char *) kind;
    it.direction = "in";
    it.subject = (char *) topic;
    it.topic = (char *) topic;
    it.severity = "medium";
    it.started_at_us = at_us;
    Crmq__InteractionRequest request = CRMQ__INTERACTION_REQUEST__INIT;
    request.interaction = &it;
    request.actor = "test_reports_clients";
    ProtobufCMessage *answer = NULL;
    int code = test_call (s_contacts, "contacts.LogInteraction", &request.base,
                          &crmq__interaction_reply__descriptor, &answer);
    CHECK (code == CRMQ_OK, "LogInteraction %s %s: code %d %s", name, kind, code,
           crmq_rpc_client_message (s_contacts));
    if (answer)
        protobuf_c_message_free_unpacked (answer, NULL);
}

static void
s_load (void)
{
    printf ("master data: groups, products, 12 clients of two regions\n");
    Crmq__ErpEvent *master [] = {
        s_group ("FOOD", "Еда «Вкусно»", ""),
        s_group ("TEA", "Чай \"Зелёный\"", "FOOD"),
        s_group ("OTHER", "Прочее", ""),
        s_product ("tea", "TEA", 600),
        s_product ("cake", "FOOD", 700),
        s_product ("box", "OTHER", 500),
        s_product ("nocost", "", 0),
        s_client ("A", "ООО \"Альфа\" «Первый»", s_region_1),
        s_client ("B", "ЗАО «Бета»", s_region_1),
        s_client ("C", "ИП Сидоров \"Ц\"", s_region_1),
        s_client ("D", "Дельта's", s_region_1),
        s_client ("E", "Эпсилон «Е»", s_region_1),
        s_client ("F", "Фокстрот", s_region_1),
        s_client ("G", "Гамма \"Г\"", s_region_2),
        s_client ("H", "Хабар", s_region_2),
        s_client ("I", "Иота «И»", s_region_2),
        s_client ("J", "Джей", s_region_2),
        s_client ("K", "Каппа", s_region_2),
        s_client ("L", "Лямбда", s_region_2),
        NULL };
    s_send ("master", master);

    printf ("orders of 2023 and of the period\n");
    Crmq__ErpEvent *orders [] = {
        s_order ("I-2023", "I", "tea", 50, DEC_1_2023, 0),
        s_order ("K-2023", "K", "nocost", 7, NOV_15_2023, 0),
        s_order ("A5", "A", "tea", 15, AT (5), 0),
        s_order ("A30", "A", "tea", 20, AT (30), AT (28)),
        s_order ("A60", "A", "tea", 15, AT (60), AT (50)),
        s_order ("A90", "A", "tea", 15, AT (90), 0),
        s_order ("A120", "A", "tea", 15, AT (120), 0),
        s_order ("A150", "A", "tea", 15, AT (150), 0),
        s_order ("B5", "B", "cake", 15, AT (5), 0),
        s_order ("B10", "B", "cake", 15, AT (10), 0),
        s_order ("B15", "B", "cake", 15, AT (15), 0),
        s_order ("B20", "B", "cake", 15, AT (20), 0),
        s_order ("B25", "B", "cake", 15, AT (25), 0),
        s_order ("B170", "B", "cake", 15, AT (170), 0),
        s_order ("C20", "C", "tea", 10, AT (20), 0),
        s_order ("C100", "C", "box", 5, AT (100), 0),
        s_order ("C160", "C", "box", 5, AT (160), 0),
        s_order ("D30", "D", "cake", 6, AT (30), 0),
        s_order ("E60", "E", "tea", 4, AT (60), 0),
        s_order ("E61", "E", "tea", 3, AT (61), 0),
        s_order ("E120", "E", "tea", 3, AT (120), 0),
        s_order ("F90", "F", "box", 10, AT (90), 0),
        s_order ("F100", "F", "box", 10, AT (100), 0),
        s_order ("F110", "F", "box", 10, AT (110), 0),
        s_order ("F120", "F", "box", 10, AT (120), 0),
        s_order ("F130", "F", "box", 10, AT (130), 0),
        s_order ("G120", "G", "tea", 10, AT (120), AT (115)),
        s_order ("G140", "G", "cake", 10, AT (140), AT (135)),
        s_order ("G150", "G", "cake", 10, AT (150), AT (145)),
        s_order ("G160", "G", "cake", 5, AT (160), AT (155)),
        s_order ("H120", "H", "tea", 5, AT (120), 0),
        s_order ("H121", "H", "tea", 5, AT (121), 0),
        s_order ("I150", "I", "tea", 10, AT (150), 0),
        s_order ("I175", "I", "tea", 10, AT (175), 0),
        s_order ("J170", "J", "box", 4, AT (170), 0),
        NULL };
    //  A's day 30 order: 20 units at 25 % off = 150.00, discounts 50.00
    orders [3]->order_placed->lines [0]->discount = test_decimal (0, 250000000);
    s_send ("orders", orders);

    printf ("a return, shipments, invoices and payments\n");
    Crmq__ErpEvent *documents [] = {
        test_return_event (s_event_id ("return", "I"), s_id ("I-RET"), s_id ("I"),
                           s_id ("I-2023"), s_id ("tea"), 50, 1000, AT (150)),
        s_shipment ("SA30", "A30", AT (25)),        //  late: required day 28
        s_shipment ("SA60", "A60", AT (55)),        //  on time: required day 50
        s_shipment ("SG120", "G120", AT (110)),     //  late
        s_shipment ("SG140", "G140", AT (130)),     //  late
        s_shipment ("SG150", "G150", AT (140)),     //  late
        s_shipment ("SG160", "G160", AT (158)),     //  on time
        s_invoice ("IA30", "A", "A30", 15000, AT (30), AT (20)),
        s_invoice ("IA60", "A", "A60", 15000, AT (60), AT (45)),
        s_invoice ("IG120", "G", "G120", 10000, AT (120), AT (100)),
        s_payment ("PA30", "A", "IA30", 15000, AT (15)),     //  late
        s_payment ("PA60", "A", "IA60", 15000, AT (50)),     //  on time
        s_payment ("PG120", "G", "IG120", 10000, AT (105)),  //  on time
        NULL };
    s_send ("documents", documents);
    test_check_rollups (s_pg, "after the data set");

    printf ("requests and complaints\n");
    s_case ("A", "complaint", AT (20), "Опоздала «доставка»");
    s_case ("A", "request", AT (25), "Счёт \"копия\"");
    s_case ("A", "request", AT (24), "Акт сверки");
    s_case ("A", "request", AT (23), "Прайс-лист");
    s_case ("E", "complaint", AT (50), "Бой посуды");
    s_case ("E", "complaint", AT (40), "Не тот товар");
    s_case ("E", "complaint", AT (10), "Грубость «водителя»");
    s_case ("E", "request", AT (30), "Скидка?");
    s_case ("E", "complaint", AT (200), "До периода");  //  2023-12-14: not in P
    s_case ("L", "complaint", AT (10), "Без заказов");
}

//  ------------------------------------------------------------------------
//  Running reports

//  Midnight UTC of "YYYY-MM-DD" in microseconds.
static int64_t
s_day_us (const char *day)
{
    struct tm tm;
    memset (&tm, 0, sizeof tm);
    sscanf (day, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t) timegm (&tm) * 1000000;
}

//  Parameters of a report over this run's regions: the options are
//  "from=DAY", "to=DAY", "as_of=DAY", "measure=M", "by=DIM",
//  "limit=N", "FIELD=V1|V2" (a filter), "-FIELD=V" (an exclusion), "all"
//  (no region filter); NULL-terminated.  Returns the code of the call and
//  the result in *result (NULL unless 0).
static int
s_report (Crmq__ReportResult **result, const char *report, ...)
{
    Crmq__ReportParams params = CRMQ__REPORT_PARAMS__INIT;
    Crmq__Period period = CRMQ__PERIOD__INIT;
    params.report = (char *) report;
    params.period = &period;
    char *dimensions [4];
    Crmq__ReportFilter filters [4], *filter_list [4];
    char *values [4][4];
    char texts [4][256];
    bool regions = true;
    va_list args;
    va_start (args, report);
    const char *option;
    while ((option = va_arg (args, const char *))) {
        const char *equals = strchr (option, '=');
        const char *value = equals? equals + 1: "";
        if (streq (option, "all"))
            regions = false;
        else
        if (strncmp (option, "from=", 5) == 0)
            period.from_us = s_day_us (value);
        else
        if (strncmp (option, "to=", 3) == 0)
            period.to_us = s_day_us (value);
        else
        if (strncmp (option, "as_of=", 6) == 0)
            params.as_of_us = s_day_us (value);
        else
        if (strncmp (option, "measure=", 8) == 0)
            params.measure = (char *) value;
        else
        if (strncmp (option, "limit=", 6) == 0)
            params.limit = atoi (value);
        else
        if (strncmp (option, "by=", 3) == 0)
            dimensions [params.n_dimensions++] = (char *) value;
        else {
            size_t n = params.n_filters++;
            crmq__report_filter__init (&filters [n]);
            filter_list [n] = &filters [n];
            filters [n].exclude = option [0] == '-';
            snprintf (texts [n], sizeof texts [n], "%.*s", (int) (equals - option)
                      - (filters [n].exclude? 1: 0), option + (filters [n].exclude? 1: 0));
            filters [n].field = texts [n];
            char *copy = strdup (value);
            char *save = NULL;
            //  values split at '|'; clients by their name here
            for (char *token = strtok_r (copy, "|", &save); token && filters [n].n_values < 4;
                 token = strtok_r (NULL, "|", &save))
                values [n][filters [n].n_values++] = strdup (streq (texts [n], "client")?
                                                             s_id (token): token);
            filters [n].values = values [n];
            free (copy);
        }
    }
    va_end (args);
    char *region_values [2] = { s_region_1, s_region_2 };
    Crmq__ReportFilter region = CRMQ__REPORT_FILTER__INIT;
    if (regions) {
        region.field = "region";
        region.values = region_values;
        region.n_values = 2;
        filter_list [params.n_filters++] = &region;
    }
    params.dimensions = dimensions;
    params.filters = filter_list;
    int code = test_call (s_analytics, "analytics.Report", &params.base,
                          &crmq__report_result__descriptor, (ProtobufCMessage **) result);
    for (size_t i = 0; i < params.n_filters; i++)
        if (filter_list [i] != &region)
            for (size_t k = 0; k < filter_list [i]->n_values; k++)
                free (filter_list [i]->values [k]);
    return code;
}

//  The cell of `column` in row `row` ("<none>" when there is no such cell).
static const char *
s_cell (const Crmq__ReportTable *table, size_t row, const char *column)
{
    int index = test_report_column (table, column);
    if (!table || index < 0 || row >= table->n_rows)
        return "<none>";
    return table->rows [row]->cells [index];
}

//  The row whose `column` is `value`, or -1.
static int
s_row (const Crmq__ReportTable *table, const char *column, const char *value)
{
    int index = test_report_column (table, column);
    for (size_t row = 0; table && index >= 0 && row < table->n_rows; row++)
        if (streq (table->rows [row]->cells [index], value))
            return (int) row;
    return -1;
}

//  CHECKs the cells of one row: pairs of column and expected text,
//  NULL-terminated.
static void
s_expect (const Crmq__ReportTable *table, int row, const char *what, ...)
{
    CHECK (row >= 0, "%s: no row", what);
    if (row < 0)
        return;
    va_list args;
    va_start (args, what);
    const char *column;
    while ((column = va_arg (args, const char *))) {
        const char *expected = va_arg (args, const char *);
        const char *actual = s_cell (table, (size_t) row, column);
        CHECK (streq (actual, expected), "%s: %s is \"%s\", not \"%s\"", what, column, actual,
               expected);
    }
    va_end (args);
}

//  The row of client `name` in `table`.
static int
s_client_row (const Crmq__ReportTable *table, const char *name)
{
    return s_row (table, "external_id", s_id (name));
}

//  CHECKs that the table lists the clients in this order (names).
static void
s_expect_order (const Crmq__ReportTable *table, const char *what, const char *const *names)
{
    size_t count = 0;
    while (names [count])
        count++;
    CHECK (table && table->n_rows == count, "%s: %zu rows, not %zu", what,
           table? table->n_rows: 0, count);
    for (size_t i = 0; table && i < count && i < table->n_rows; i++) {
        const char *actual = s_cell (table, i, "external_id");
        CHECK (streq (actual, s_id (names [i])), "%s: row %zu is %s, not %s", what, i + 1,
               actual, s_id (names [i]));
    }
}

static void
s_free (Crmq__ReportResult **result)
{
    if (*result)
        crmq__report_result__free_unpacked (*result, NULL);
    *result = NULL;
}

//  ------------------------------------------------------------------------
//  The reports

static void
s_test_rfm (void)
{
    printf ("rfm over P: n = 10, scores ceil (5 k / 10) = ceil (k / 2)\n");
    Crmq__ReportResult *result = NULL;
    int code = s_report (&result, "rfm", "from=2024-01-01", "to=2024-07-01", NULL);
    CHECK (code == CRMQ_OK, "rfm: code %d %s", code, crmq_rpc_client_message (s_analytics));
    const Crmq__ReportTable *clients = test_report_table (result, "clients");
    //  recency (days) A 5, B 5, C 20, D 30, E 60, F 90, G 120, H 120, I 150,
    //  J 170: k = #{recency >= mine} = 10, 10, 8, 7, 6, 5, 4, 4, 2, 1;
    //  frequency 6, 6, 3, 1, 3, 5, 4, 2, 2, 1: k = 10, 10, 6, 2, 6, 8, 7, 4, 4, 2;
    //  monetary 900, 900, 200, 60, 100, 500, 350, 100, -300, 40:
    //  k = 10, 10, 6, 3, 5, 8, 7, 5, 1, 2
    static const char *const expected [10][10] = {
        //  name, last order, recency, frequency, monetary, r, f, m, rfm, segment
        { "A", "2024-06-26", "5", "6", "900.00", "5", "5", "5", "555", "champions" },
        { "B", "2024-06-26", "5", "6", "900.00", "5", "5", "5", "555", "champions" },
        { "F", "2024-04-02", "90", "5", "500.00", "3", "4", "4", "344", "loyal" },
        { "G", "2024-03-03", "120", "4", "350.00", "2", "4", "4", "244", "at_risk" },
        { "C", "2024-06-11", "20", "3", "200.00", "4", "3", "3", "433", "potential_loyalists" },
        { "E", "2024-05-02", "60", "3", "100.00", "3", "3", "3", "333", "need_attention" },
        { "H", "2024-03-03", "120", "2", "100.00", "2", "2", "3", "223", "hibernating" },
        { "D", "2024-06-01", "30", "1", "60.00", "4", "1", "2", "412", "new" },
        { "I", "2024-02-02", "150", "2", "-300.00", "1", "2", "1", "121", "lost" },
        { "J", "2024-01-13", "170", "1", "40.00", "1", "1", "1", "111", "lost" }
    };
    //  by score (r + f + m) descending, then monetary descending, then id:
    //  A and B tie on both (A was created first), G (10, 350) before C (10, 200),
    //  H (7, 100) before D (7, 60)
    const char *order [11];
    for (int i = 0; i < 10; i++)
        order [i] = expected [i][0];
    order [10] = NULL;
    s_expect_order (clients, "rfm clients", order);
    for (int i = 0; i < 10; i++) {
        char rank [8], score [8];
        snprintf (rank, sizeof rank, "%d", i + 1);
        snprintf (score, sizeof score, "%d", atoi (expected [i][5]) + atoi (expected [i][6])
                  + atoi (expected [i][7]));
        char what [32];
        snprintf (what, sizeof what, "rfm %s", expected [i][0]);
        s_expect (clients, s_client_row (clients, expected [i][0]), what, "rank", rank,
                  "last_order", expected [i][1], "recency_days", expected [i][2],
                  "frequency", expected [i][3], "monetary", expected [i][4],
                  "r", expected [i][5], "f", expected [i][6], "m", expected [i][7],
                  "rfm", expected [i][8], "score", score, "segment", expected [i][9], NULL);
    }
    CHECK (s_client_row (clients, "K") < 0 && s_client_row (clients, "L") < 0,
           "rfm: K and L (no order in P) are not in it");
    CHECK (clients && clients->total_rows == 10, "rfm: total_rows %" PRId64,
           clients? clients->total_rows: -1);
    CHECK (streq (s_cell (clients, 0, "name"), "ООО \"Альфа\" «Первый»"), "rfm: name %s",
           s_cell (clients, 0, "name"));

    const Crmq__ReportTable *segments = test_report_table (result, "segments");
    CHECK (segments && segments->n_rows == 8, "rfm: 8 segments");
    static const char *const segment_rows [8][7] = {
        //  segment, clients, share, revenue, average recency, frequency, monetary
        { "champions", "2", "0.200000000", "1800.00", "5.00", "6.00", "900.00" },
        { "loyal", "1", "0.100000000", "500.00", "90.00", "5.00", "500.00" },
        { "potential_loyalists", "1", "0.100000000", "200.00", "20.00", "3.00", "200.00" },
        { "new", "1", "0.100000000", "60.00", "30.00", "1.00", "60.00" },
        { "need_attention", "1", "0.100000000", "100.00", "60.00", "3.00", "100.00" },
        { "at_risk", "1", "0.100000000", "350.00", "120.00", "4.00", "350.00" },
        { "hibernating", "1", "0.100000000", "100.00", "120.00", "2.00", "100.00" },
        { "lost", "2", "0.200000000", "-260.00", "160.00", "1.50", "-130.00" }
    };
    for (int i = 0; i < 8; i++)
        s_expect (segments, i, segment_rows [i][0], "segment", segment_rows [i][0],
                  "clients", segment_rows [i][1], "share", segment_rows [i][2],
                  "revenue", segment_rows [i][3], "average_recency", segment_rows [i][4],
                  "average_frequency", segment_rows [i][5],
                  "average_monetary", segment_rows [i][6], NULL);

    const Crmq__ReportTable *matrix = test_report_table (result, "matrix");
    CHECK (matrix && matrix->n_rows == 25, "rfm: 25 cells");
    //  clients per (r, f): 55: A, B; 34: F; 24: G; 43: C; 33: E; 22: H; 41: D;
    //  12: I; 11: J
    static const int cells [5][5] = {
        //  f = 1..5 for r = 1..5
        { 1, 1, 0, 0, 0 }, { 0, 1, 0, 1, 0 }, { 0, 0, 1, 1, 0 }, { 1, 0, 1, 0, 0 },
        { 0, 0, 0, 0, 2 }
    };
    int wrong = 0;
    for (size_t row = 0; matrix && row < matrix->n_rows; row++) {
        int r = atoi (s_cell (matrix, row, "r")), f = atoi (s_cell (matrix, row, "f"));
        int clients_in = atoi (s_cell (matrix, row, "clients"));
        if (r < 1 || r > 5 || f < 1 || f > 5 || cells [r - 1][f - 1] != clients_in
        ||  row != (size_t) ((r - 1) * 5 + f - 1))
            wrong++;
    }
    CHECK (wrong == 0, "rfm: %d matrix cells wrong", wrong);
    s_free (&result);

    printf ("rfm as of 2024-06-01 (orders of days before it): A's recency from day 30\n");
    code = s_report (&result, "rfm", "from=2024-01-01", "to=2024-07-01", "as_of=2024-06-01",
                     "client=A", NULL);
    clients = test_report_table (result, "clients");
    //  the day 30 order is on 2024-06-01 itself: the last before it is day 60's
    s_expect (clients, s_client_row (clients, "A"), "rfm as of", "last_order", "2024-05-02",
              "recency_days", "30", "frequency", "6", NULL);
    s_free (&result);
}

static void
s_test_rating (void)
{
    printf ("rating by revenue over P\n");
    Crmq__ReportResult *result = NULL;
    int code = s_report (&result, "rating", "from=2024-01-01", "to=2024-07-01", NULL);
    CHECK (code == CRMQ_OK, "rating: code %d %s", code, crmq_rpc_client_message (s_analytics));
    const Crmq__ReportTable *clients = test_report_table (result, "clients");
    //  ties by id: A before B, E before H, K before L
    static const char *const order [] = {
        "A", "B", "F", "G", "C", "E", "H", "D", "J", "K", "L", "I", NULL };
    s_expect_order (clients, "rating", order);
    //  the positive values sum to 3150.00
    s_expect (clients, 0, "rating A", "rank", "1", "value", "900.00", "share", "0.285714286",
              "orders", "6", "revenue", "900.00", "average_order", "150.00", NULL);
    s_expect (clients, 4, "rating C", "value", "200.00", "share", "0.063492063",
              "orders", "3", "average_order", "66.67", NULL);
    s_expect (clients, 9, "rating K", "value", "0.00", "share", "0.000000000",
              "orders", "0", "average_order", "0.00", NULL);
    //  I: returns (500) above sales (200): a negative share, average order 0
    s_expect (clients, 11, "rating I", "rank", "12", "value", "-300.00",
              "share", "-0.095238095", "orders", "2", "revenue", "-300.00",
              "average_order", "0.00", NULL);
    s_free (&result);

    printf ("rating by orders, by region\n");
    code = s_report (&result, "rating", "from=2024-01-01", "to=2024-07-01", "by=region", NULL);
    CHECK (code == CRMQ_OK, "rating by region: code %d %s", code,
           crmq_rpc_client_message (s_analytics));
    const Crmq__ReportTable *groups = test_report_table (result, "groups");
    CHECK (groups && groups->n_rows == 2 && !test_report_table (result, "clients"),
           "rating by region: 2 rows in table groups only");
    //  Сибирь: 900 + 900 + 200 + 60 + 100 + 500 = 2660 over 24 orders;
    //  Урал: 350 + 100 - 300 + 40 = 190 over 9 orders; of 2850
    s_expect (groups, 0, "rating Сибирь", "key", s_region_1, "value", "2660.00",
              "share", "0.933333333", "clients", "6", "orders", "24",
              "average_order", "110.83", NULL);
    s_expect (groups, 1, "rating Урал", "key", s_region_2, "name", s_region_2,
              "value", "190.00", "share", "0.066666667", "clients", "4", "orders", "9",
              "average_order", "21.11", NULL);
    s_free (&result);
    code = s_report (&result, "rating", "from=2024-01-01", "to=2024-07-01", "by=region",
                     "measure=orders", NULL);
    groups = test_report_table (result, "groups");
    s_expect (groups, 0, "rating by orders", "value", "24", "share", "0.727272727", NULL);
    s_free (&result);

    printf ("rating by profit over 2023: a line without cost\n");
    code = s_report (&result, "rating", "from=2023-01-01", "to=2024-01-01", "measure=profit",
                     NULL);
    CHECK (code == CRMQ_OK, "rating by profit: code %d", code);
    clients = test_report_table (result, "clients");
    CHECK (clients && clients->n_rows == 0 && result->n_notes == 1
           && strstr (result->notes [0], "1 of 2 order lines"),
           "rating by profit: no rows and the note (%s)",
           result && result->n_notes? result->notes [0]: "none");
    s_free (&result);
    printf ("rating by profit over P: 900 - 95 x 6.00 = 330.00 for A\n");
    code = s_report (&result, "rating", "from=2024-01-01", "to=2024-07-01", "measure=profit",
                     "client=A|I", NULL);
    clients = test_report_table (result, "clients");
    s_expect (clients, s_client_row (clients, "A"), "profit A", "value", "330.00", NULL);
    //  I: -300 - (20 x 6.00 - 50 x 6.00) = -120.00
    s_expect (clients, s_client_row (clients, "I"), "profit I", "value", "-120.00", NULL);
    s_free (&result);
}

static void
s_test_clients (void)
{
    printf ("client metrics over P, region Сибирь\n");
    Crmq__ReportResult *result = NULL;
    char filter [128];
    snprintf (filter, sizeof filter, "region=%s", s_region_1);
    int code = s_report (&result, "clients", "from=2024-01-01", "to=2024-07-01", "all", filter,
                     NULL);
    CHECK (code == CRMQ_OK, "clients: code %d %s", code, crmq_rpc_client_message (s_analytics));
    const Crmq__ReportTable *clients = test_report_table (result, "clients");
    static const char *const order [] = { "A", "B", "F", "C", "E", "D", NULL };
    s_expect_order (clients, "clients Сибирь", order);
    //  A: 95 units of tea, cost 570.00; 6 orders x 30 / 182 days = 0.989;
    //  share 900 / 2660; nothing in the previous period [2023-07-03, 2024-01-01)
    s_expect (clients, 0, "clients A", "revenue", "900.00", "profit", "330.00",
              "quantity", "95.000000000", "orders", "6", "order_frequency", "0.99",
              "average_order", "150.00", "share", "0.338345865", "previous_revenue", "0.00",
              "change", "", "discounts", "50.00", "late_payments", "1", "returns", "0.00",
              "late_shipments", "1", "complaints", "1", NULL);
    //  E: 3 complaints in P (the fourth is before it)
    s_expect (clients, s_client_row (clients, "E"), "clients E", "revenue", "100.00",
              "orders", "3", "order_frequency", "0.49", "average_order", "33.33",
              "complaints", "3", "late_payments", "0", NULL);
    CHECK (result && result->n_notes == 0, "clients: no note (%zu)",
           result? result->n_notes: 0);
    s_free (&result);

    printf ("client metrics of Урал: I's returns, the previous period\n");
    snprintf (filter, sizeof filter, "region=%s", s_region_2);
    code = s_report (&result, "clients", "from=2024-01-01", "to=2024-07-01", "all", filter,
                     NULL);
    clients = test_report_table (result, "clients");
    //  I: previous period 500.00 (its 2023-12-01 order); change (-300 - 500) / 500
    s_expect (clients, s_client_row (clients, "I"), "clients I", "revenue", "-300.00",
              "profit", "-120.00", "quantity", "-30.000000000", "orders", "2",
              "average_order", "0.00", "share", "-0.612244898", "previous_revenue", "500.00",
              "change", "-1.600000000", "returns", "500.00", NULL);
    //  K: 70.00 in the previous period, nothing now; G: 3 late shipments
    s_expect (clients, s_client_row (clients, "K"), "clients K", "revenue", "0.00",
              "orders", "0", "order_frequency", "0.00", "previous_revenue", "70.00",
              "change", "-1.000000000", NULL);
    s_expect (clients, s_client_row (clients, "G"), "clients G", "share", "0.714285714",
              "late_shipments", "3", "late_payments", "0", NULL);
    //  costs: K's line of 2023 is in the previous period only, so profit is
    //  reported for P
    CHECK (result && result->n_notes == 0, "clients Урал: no note");
    s_free (&result);

    printf ("client metrics of product group TEA (a child of FOOD)\n");
    snprintf (filter, sizeof filter, "product_group=%s", s_id ("TEA"));
    code = s_report (&result, "clients", "from=2024-01-01", "to=2024-07-01", filter, NULL);
    clients = test_report_table (result, "clients");
    //  tea only: A 900, I -300 (200 - 500), E 100, H 100, G 100, C 100
    s_expect (clients, s_client_row (clients, "C"), "clients C of TEA", "revenue", "100.00",
              "orders", "1", "quantity", "10.000000000", NULL);
    s_expect (clients, s_client_row (clients, "G"), "clients G of TEA", "revenue", "100.00",
              "orders", "1", "late_shipments", "3", NULL);
    s_expect (clients, s_client_row (clients, "B"), "clients B of TEA", "revenue", "0.00",
              "orders", "0", NULL);
    CHECK (result && result->n_notes == 1 && strstr (result->notes [0], "whole figures"),
           "clients of TEA: the note on per-client counts");
    s_free (&result);
    snprintf (filter, sizeof filter, "product_group=%s", s_id ("FOOD"));
    code = s_report (&result, "clients", "from=2024-01-01", "to=2024-07-01", filter, NULL);
    clients = test_report_table (result, "clients");
    //  FOOD with TEA below it: C's tea (100) but not its boxes; G's whole 350
    s_expect (clients, s_client_row (clients, "C"), "clients C of FOOD", "revenue", "100.00",
              "orders", "1", NULL);
    s_expect (clients, s_client_row (clients, "G"), "clients G of FOOD", "revenue", "350.00",
              "orders", "4", NULL);
    s_expect (clients, s_client_row (clients, "F"), "clients F of FOOD", "revenue", "0.00",
              NULL);
    s_free (&result);

    printf ("client metrics by region\n");
    code = s_report (&result, "clients", "from=2024-01-01", "to=2024-07-01", "by=region", NULL);
    const Crmq__ReportTable *groups = test_report_table (result, "groups");
    CHECK (groups && groups->n_rows == 2, "clients by region: 2 rows");
    //  Сибирь: 24 orders x 30 / 182 = 3.956; discounts 50, late payments 1,
    //  late shipments 1, complaints 1 + 3; Урал: previous 500 + 70
    s_expect (groups, 0, "clients Сибирь", "key", s_region_1, "clients", "6",
              "revenue", "2660.00", "orders", "24", "order_frequency", "3.96",
              "average_order", "110.83", "share", "0.933333333", "previous_revenue", "0.00",
              "change", "", "discounts", "50.00", "late_payments", "1", "late_shipments", "1",
              "complaints", "4", NULL);
    s_expect (groups, 1, "clients Урал", "key", s_region_2, "clients", "4",
              "revenue", "190.00", "orders", "9", "previous_revenue", "570.00",
              "change", "-0.666666667", "returns", "500.00", "late_shipments", "3",
              "complaints", "1", NULL);
    s_free (&result);

    printf ("client metrics by product group\n");
    code = s_report (&result, "clients", "from=2024-01-01", "to=2024-07-01",
                     "by=product_group", NULL);
    groups = test_report_table (result, "groups");
    //  TEA: 1500 - 500 = 1000 of A 900, C 100, E 100, G 100, H 100, I 200;
    //  FOOD (cake): B 900, D 60, G 250 = 1210; OTHER (box): C 100, F 500, J 40
    s_expect (groups, s_row (groups, "key", s_id ("FOOD")), "group FOOD",
              "name", "Еда «Вкусно»", "clients", "3", "revenue", "1210.00", "orders", "10",
              "late_payments", "", "complaints", "", NULL);
    s_expect (groups, s_row (groups, "key", s_id ("TEA")), "group TEA",
              "name", "Чай \"Зелёный\"", "clients", "6", "revenue", "1000.00",
              "orders", "15", "returns", "500.00", "previous_revenue", "500.00",
              "late_shipments", "", NULL);
    s_expect (groups, s_row (groups, "key", s_id ("OTHER")), "group OTHER", "clients", "3",
              "revenue", "640.00", "orders", "8", NULL);
    //  K's 2023 line without a group: the previous period only
    s_expect (groups, s_row (groups, "key", ""), "no group", "revenue", "0.00",
              "previous_revenue", "70.00", NULL);
    CHECK (result && result->n_notes == 1 && strstr (result->notes [0], "not to product groups"),
           "clients by product group: the note");
    s_free (&result);
}

//  The satisfaction of A, E and G (default weights: repeat 20, tenure 10,
//  complaints 20, requests 5, discounts 10, late_payments 10, returns 15,
//  late_shipments 10), worked out by hand; the others have no documents:
//  score = 20 (1 - 1 / orders) + 10 x tenure + 70.
static void
s_test_satisfaction (void)
{
    printf ("satisfaction over P\n");
    Crmq__ReportResult *result = NULL;
    int code = s_report (&result, "satisfaction", "from=2024-01-01", "to=2024-07-01", NULL);
    CHECK (code == CRMQ_OK, "satisfaction: code %d %s", code,
           crmq_rpc_client_message (s_analytics));
    const Crmq__ReportTable *clients = test_report_table (result, "clients");
    CHECK (clients && clients->n_rows == 10, "satisfaction: 10 clients with orders");
    //  A: repeat 1 - 1/6 = 0.8333 (16.67); tenure: first order day 150,
    //  150/365 = 0.4110 (4.11); complaints 1 - 1/6 (16.67); requests
    //  1 - 3/12 = 0.75 (3.75); discounts 1 - 50/950 = 0.9474 (9.47); late
    //  payments 1 - 1/2 (5.00); returns 1 (15.00); late shipments 1 - 1/2
    //  (5.00); score 16.666667 + 4.109589 + 16.666667 + 3.75 + 9.473684 + 5
    //  + 15 + 5 = 75.666607 -> 75.67
    s_expect (clients, s_client_row (clients, "A"), "satisfaction A", "score", "75.67",
              "repeat", "0.8333", "repeat_points", "16.67", "tenure", "0.4110",
              "tenure_points", "4.11", "complaints", "0.8333", "complaints_points", "16.67",
              "requests", "0.7500", "requests_points", "3.75", "discounts", "0.9474",
              "discounts_points", "9.47", "late_payments", "0.5000",
              "late_payments_points", "5.00", "returns", "1.0000", "returns_points", "15.00",
              "late_shipments", "0.5000", "late_shipments_points", "5.00", NULL);
    //  E: repeat 2/3 (13.33); tenure 120/365 = 0.3288 (3.29); complaints
    //  1 - min (1, 3/3) = 0; requests 1 - 1/6 (4.17); the rest 1; score
    //  13.333333 + 3.287671 + 0 + 4.166667 + 10 + 10 + 15 + 10 = 65.787671
    s_expect (clients, s_client_row (clients, "E"), "satisfaction E", "score", "65.79",
              "repeat", "0.6667", "repeat_points", "13.33", "tenure", "0.3288",
              "tenure_points", "3.29", "complaints", "0.0000", "complaints_points", "0.00",
              "requests", "0.8333", "requests_points", "4.17", "discounts", "1.0000",
              "late_payments", "1.0000", "late_payments_points", "10.00", NULL);
    //  G: repeat 3/4 (15.00); tenure 160/365 = 0.4384 (4.38); late shipments
    //  1 - 3/4 = 0.25 (2.50); one payment on time (10.00); score 81.883562
    s_expect (clients, s_client_row (clients, "G"), "satisfaction G", "score", "81.88",
              "repeat", "0.7500", "tenure", "0.4384", "tenure_points", "4.38",
              "late_shipments", "0.2500", "late_shipments_points", "2.50",
              "late_payments", "1.0000", "late_payments_points", "10.00", NULL);
    //  I: first order 2023-12-01, 213 days before D; returns 500 / sales 200
    s_expect (clients, s_client_row (clients, "I"), "satisfaction I", "score", "70.84",
              "tenure", "0.5836", "returns", "0.0000", "returns_points", "0.00", NULL);
    static const char *const order [] = {
        "B", "F", "C", "H", "G", "A", "J", "I", "D", "E", NULL };
    s_expect_order (clients, "satisfaction order", order);
    s_free (&result);

    printf ("least satisfied: lowest first, the reason\n");
    code = s_report (&result, "least_satisfied", "from=2024-01-01", "to=2024-07-01", NULL);
    CHECK (code == CRMQ_OK, "least_satisfied: code %d %s", code,
           crmq_rpc_client_message (s_analytics));
    clients = test_report_table (result, "clients");
    //  E 65.79, D 70.82, I 70.84, J 74.66, A 75.67, G 81.88, H 83.32,
    //  C 87.72, F 89.56, B 91.32
    static const char *const least [] = {
        "E", "D", "I", "J", "A", "G", "H", "C", "F", "B", NULL };
    s_expect_order (clients, "least satisfied", least);
    s_expect (clients, 0, "least E", "score", "65.79", "reason", "complaints",
              "reason_text", "3 complaints over 3 orders", NULL);
    s_expect (clients, 1, "least D", "score", "70.82", "reason", "repeat",
              "reason_text", "1 order in the period", NULL);
    s_expect (clients, 2, "least I", "score", "70.84", "reason", "returns",
              "reason_text", "returns of 500.00 against sales of 200.00", NULL);
    //  A lost the most on tenure: 10 x (1 - 150/365) = 5.89
    s_expect (clients, 4, "least A", "score", "75.67", "reason", "tenure",
              "reason_text", "first order 150 days before the report date", NULL);
    //  G: 10 x (1 - 1/4) = 7.5 on late shipments, above 5.62 (tenure) and 5 (repeat)
    s_expect (clients, 5, "least G", "score", "81.88", "reason", "late_shipments",
              "reason_text", "3 of 4 shipments late", NULL);
    s_expect (clients, 9, "least B", "score", "91.32", NULL);
    s_free (&result);

    printf ("satisfaction with an open start: the 365 days before the report date\n");
    code = s_report (&result, "least_satisfied", "to=2024-07-01", "limit=2", NULL);
    clients = test_report_table (result, "clients");
    //  [2023-07-02, 2024-07-01): I's 2023 order counts (3 orders, sales 700)
    CHECK (clients && clients->n_rows == 2 && clients->total_rows == 11,
           "open start: 2 of 11 rows (K has its 2023 order)");
    s_expect (clients, s_client_row (clients, "E"), "open start E", "score", "65.79", NULL);
    CHECK (result && result->n_notes >= 1 && strstr (result->notes [0], "2023-07-02"),
           "open start: the period in a note (%s)",
           result && result->n_notes? result->notes [0]: "none");
    s_free (&result);
}

static void
s_test_bad (void)
{
    printf ("bad parameters: code 3 naming the field\n");
    struct {
        const char *report, *option, *field;
    } cases [] = {
        { "rfm", "measure=profit", "measure" },
        { "satisfaction", "measure=orders", "measure" },
        { "least_satisfied", "by=region", "dimensions" },
        { "rating", "by=product_group", "dimensions" },
        { "rating", "by=planet", "dimensions" },
        { "clients", "by=planet", "dimensions" },
        { "clients", "measure=revenue", "measure" },
        { "rating", "measure=margin", "measure" },
        { "rfm", "planet=Mars", "filters" }
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        Crmq__ReportResult *result = NULL;
        int code = s_report (&result, cases [i].report, cases [i].option, NULL);
        CHECK (code == CRMQ_INVALID_ARGUMENT
               && streq (crmq_rpc_client_field (s_analytics), cases [i].field),
               "%s %s: code %d field %s (%s)", cases [i].report, cases [i].option, code,
               crmq_rpc_client_field (s_analytics), crmq_rpc_client_message (s_analytics));
        s_free (&result);
    }
    Crmq__ReportResult *result = NULL;
    int code = s_report (&result, "clients", "by=region", "by=country", NULL);
    CHECK (code == CRMQ_INVALID_ARGUMENT
           && streq (crmq_rpc_client_field (s_analytics), "dimensions"),
           "clients by two dimensions: code %d field %s", code,
           crmq_rpc_client_field (s_analytics));
    s_free (&result);
    code = s_report (&result, "satisfaction", "from=2030-01-01", NULL);
    CHECK (code == CRMQ_INVALID_ARGUMENT && streq (crmq_rpc_client_field (s_analytics), "period"),
           "satisfaction from after the report date: code %d field %s", code,
           crmq_rpc_client_field (s_analytics));
    s_free (&result);
}

int
main (void)
{
    crmq_log_init ("test_reports_clients", "error");
    snprintf (s_prefix, sizeof s_prefix, "RC%d-%" PRId64 "-", (int) getpid (),
              crmq_time_now_us () / 1000000 % 100000);
    snprintf (s_region_1, sizeof s_region_1, "%sСибирь", s_prefix);
    snprintf (s_region_2, sizeof s_region_2, "%sУрал «Север»", s_prefix);
    s_pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_reports_clients");
    s_sales = crmq_rpc_client_new (test_env ("CRMQ_SALES_ENDPOINT"), 30000, 0);
    s_contacts = crmq_rpc_client_new (test_env ("CRMQ_CONTACTS_ENDPOINT"), 30000, 0);
    s_analytics = crmq_rpc_client_new (test_env ("CRMQ_ANALYTICS_ENDPOINT"), 60000, 0);

    s_load ();
    s_test_rfm ();
    s_test_rating ();
    s_test_clients ();
    s_test_satisfaction ();
    s_test_bad ();

    crmq_rpc_client_destroy (&s_analytics);
    crmq_rpc_client_destroy (&s_contacts);
    crmq_rpc_client_destroy (&s_sales);
    crmq_pg_destroy (&s_pg);
    printf ("%s: %d failure(s)\n", s_failures? "FAIL": "PASS", s_failures);
    return s_failures? 1: 0;
}

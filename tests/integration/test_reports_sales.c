/*  test_reports_sales - the sales reports of analytics.Report (order
    dynamics, deal dynamics, the funnel, managers; docs/reports.md) over a
    data set built by hand through sales.Ingest, the deal methods of
    crmq-sales and contacts.LogInteraction, every figure checked against
    values worked out by hand below.

    The company's zone is Europe/Berlin for the test (crmq-sales and
    crmq-analytics are restarted with it, and back with the stack's zone
    at the end, the rollups rebuilt in that zone): an order at 00:00 of
    2024-04-01 (22:00 UTC the day before) is April's only, and 2024-03-31
    (the spring DST change, a 23-hour day) holds two orders.

    Data (amounts in USD, times in Berlin):
      managers M1, M2; clients C1 (North, M1), C2 (South, M2), C3 (North, M1)
      orders   2023-01-15 C2 M2 60.00;  2023-02-01 00:30 C1 M1 25.00;
               2023-12-05 C1 M1 40.00;  2024-01-10 C1 M1 200.00;
               2024-01-20 C2 M2 50.00;  2024-02-10 C1 M1 90.00 cancelled;
               2024-03-31 00:30 C1 M1 30.00;  2024-03-31 23:30 C3 M1 70.00;
               2024-04-01 00:00 C2 M2 30.00
      return   2024-04-15 C1 100.00 of the order of 2024-01-10
      deals    D1 C1 M1 1000 USD: A 01-10 10:00, B 01-13, C 01-20, won 01-25
               D2 C3 M1 500 USD: A 01-15 10:00, B 01-16 22:00, lost 02-05 10:00
               D3 C2 M2 300 EUR: A 03-01 10:00, won 03-31 10:00 (29 d 23 h)
               D4 C2 M2 200 USD: A 03-10 10:00, open
               D5 C1 M1 400 USD: A 2023-01-05, won 2023-01-20
               D6 C1 M1 250 USD: A 2023-12-01, won 2023-12-20
      interactions  M1: call 02-01, e-mail 03-05, a planned meeting
               04-20 (not counted), a call 2023-12-31 (outside);
               M2: meeting 01-05; complaints: on C1 by M2 02-10,
               resolved; on C2 without a manager 03-20, open.            */
#include "test_support.h"
#include "deals.pb-c.h"
#include <jansson.h>

#define S_ZONE "Europe/Berlin"

static crmq_rpc_client_t *s_sales;
static crmq_rpc_client_t *s_contacts;
static crmq_rpc_client_t *s_analytics;
static crmq_pg_t *s_pg;
static char s_prefix [32];

//  The instant of a local time in Berlin.
static int64_t
s_at (const char *local)
{
    int64_t us = 0;
    int rc = crmq_time_parse (local, S_ZONE, &us);
    assert (rc == 0);
    return us;
}

//  The test's own external id.
static const char *
s_ext (const char *name)
{
    return test_ext_id (s_prefix, name);
}

//  --------------------------------------------------------------------------
//  The company's zone

//  Restarts crmq-sales and crmq-analytics with CRMQ_TIME_ZONE = zone (NULL:
//  unset), as the stack script starts them from our environment.
static void
s_restart_with_zone (const char *zone)
{
    if (zone)
        setenv ("CRMQ_TIME_ZONE", zone, 1);
    else
        unsetenv ("CRMQ_TIME_ZONE");
    const char *script = getenv ("CRMQ_STACK_SCRIPT");
    const char *services [2] = { "sales", "analytics" };
    for (int i = 0; i < 2; i++) {
        char command [1200];
        snprintf (command, sizeof command, "%s restart-service '%s' %s >/dev/null",
                  script? script: "deploy/stack.sh", test_env ("CRMQ_STACK_DIR"), services [i]);
        int rc = system (command);
        CHECK (rc == 0, "restart crmq-%s with CRMQ_TIME_ZONE=%s: exit %d", services [i],
               zone? zone: "(unset)", rc);
    }
}

//  --------------------------------------------------------------------------
//  Data

static Crmq__ErpEvent *
s_client (const char *name, const char *region, const char *manager)
{
    char event_id [96];
    snprintf (event_id, sizeof event_id, "%sclient:%s", s_prefix, name);
    Crmq__ErpEvent *event = test_client_event (event_id, s_ext (name), name);
    event->client->region = strdup (region);
    event->client->country = strdup ("Germany");
    event->client->manager_external_id = strdup (s_ext (manager));
    return event;
}

static Crmq__ErpEvent *
s_product (const char *name, const char *group)
{
    char event_id [96];
    snprintf (event_id, sizeof event_id, "%sproduct:%s", s_prefix, name);
    Crmq__ErpEvent *event = test_product_event (event_id, s_ext (name), name);
    event->product->group_external_id = strdup (s_ext (group));
    event->product->group_name = strdup (group);
    return event;
}

//  An order of one line of product P1: quantity x price (cents) at `local`.
static Crmq__ErpEvent *
s_order (const char *order, const char *client, const char *manager, const char *local,
         int64_t quantity, int64_t price_cents)
{
    char event_id [96], order_id [64], client_id [64];
    snprintf (event_id, sizeof event_id, "%sorder:%s", s_prefix, order);
    snprintf (order_id, sizeof order_id, "%s", s_ext (order));
    snprintf (client_id, sizeof client_id, "%s", s_ext (client));
    Crmq__ErpEvent *event = test_order_event (event_id, order_id, client_id, s_ext ("P1"),
                                              quantity, price_cents);
    event->occurred_at_us = s_at (local);
    event->order_placed->placed_at_us = event->occurred_at_us;
    event->order_placed->manager_external_id = strdup (s_ext (manager));
    return event;
}

//  crmq-contacts' id of a client or manager by external id, or 0.
static int64_t
s_contacts_id (const char *table, const char *name)
{
    char sql [128];
    snprintf (sql, sizeof sql, "SELECT coalesce (max (id), 0) FROM contacts.%s"
              " WHERE external_id = $1", table);
    return test_number (s_pg, sql, s_ext (name), NULL);
}

static int
s_call (crmq_rpc_client_t *client, const char *method, const ProtobufCMessage *request,
        const ProtobufCMessageDescriptor *descriptor, ProtobufCMessage **answer)
{
    int code = test_call (client, method, request, descriptor, answer);
    CHECK (code == CRMQ_OK, "%s: code %d %s (%s)", method, code,
           crmq_rpc_client_message (client), crmq_rpc_client_field (client));
    return code;
}

//  Saves the test's pipeline A, B, C, Won, Lost; fills the stage ids.
static void
s_pipeline (int64_t stage_ids [5])
{
    static const char *names [5] = { "A", "B", "C", "Won", "Lost" };
    static const char *outcomes [5] = { "open", "open", "open", "won", "lost" };
    Crmq__Stage stages [5];
    Crmq__Stage *pointers [5];
    Crmq__Decimal probability = CRMQ__DECIMAL__INIT;
    probability.nanos = 500000000;
    for (int i = 0; i < 5; i++) {
        crmq__stage__init (&stages [i]);
        stages [i].name = (char *) names [i];
        stages [i].outcome = (char *) outcomes [i];
        stages [i].probability = i < 3? &probability: NULL;     //  won 1, lost 0
        pointers [i] = &stages [i];
    }
    char name [64], key [64];
    snprintf (name, sizeof name, "%spipeline", s_prefix);
    snprintf (key, sizeof key, "%spipeline-key", s_prefix);
    Crmq__Pipeline pipeline = CRMQ__PIPELINE__INIT;
    pipeline.name = name;
    pipeline.n_stages = 5;
    pipeline.stages = pointers;
    Crmq__SavePipelineRequest request = CRMQ__SAVE_PIPELINE_REQUEST__INIT;
    request.pipeline = &pipeline;
    request.actor = "test";
    request.request_key = key;
    Crmq__PipelineReply *reply = NULL;
    memset (stage_ids, 0, 5 * sizeof (int64_t));
    if (s_call (s_sales, "sales.SavePipeline", &request.base, &crmq__pipeline_reply__descriptor,
                (ProtobufCMessage **) &reply) != CRMQ_OK)
        return;
    for (size_t i = 0; i < 5 && i < reply->pipeline->n_stages; i++)
        stage_ids [i] = reply->pipeline->stages [i]->id;
    protobuf_c_message_free_unpacked (&reply->base, NULL);
}

//  Creates a deal in the test's pipeline's stage `first`, moves it through
//  `moves` (stage ids ending with 0), closes it with `outcome` ("" = stays
//  open), then sets its times to `times` (Berlin, one per stay: the
//  creation and each move or close).  Returns its id or 0.
static int64_t
s_deal (const char *title, const char *client, const char *manager, int64_t cents,
        const char *currency, int64_t first, const int64_t *moves, const char *outcome,
        const char *const *times)
{
    Crmq__Money amount = CRMQ__MONEY__INIT;
    amount.units = cents / 100;
    amount.nanos = (int32_t) (cents % 100) * 10000000;
    amount.currency = (char *) currency;
    Crmq__Deal deal = CRMQ__DEAL__INIT;
    deal.title = (char *) title;
    deal.client_id = s_contacts_id ("clients", client);
    deal.manager_id = s_contacts_id ("managers", manager);
    deal.amount = &amount;
    deal.stage_id = first;
    char key [96];
    snprintf (key, sizeof key, "%sdeal-%s", s_prefix, title);
    Crmq__DealRequest request = CRMQ__DEAL_REQUEST__INIT;
    request.deal = &deal;
    request.actor = "test";
    request.request_key = key;
    Crmq__DealReply *reply = NULL;
    if (s_call (s_sales, "sales.CreateDeal", &request.base, &crmq__deal_reply__descriptor,
                (ProtobufCMessage **) &reply) != CRMQ_OK)
        return 0;
    int64_t id = reply->deal->id;
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    for (const int64_t *stage = moves; *stage; stage++) {
        Crmq__MoveDealRequest move = CRMQ__MOVE_DEAL_REQUEST__INIT;
        move.deal_id = id;
        move.stage_id = *stage;
        move.actor = "test";
        ProtobufCMessage *answer = NULL;
        if (s_call (s_sales, "sales.MoveDeal", &move.base, &crmq__deal_reply__descriptor,
                    &answer) == CRMQ_OK)
            protobuf_c_message_free_unpacked (answer, NULL);
    }
    if (*outcome) {
        Crmq__CloseDealRequest close = CRMQ__CLOSE_DEAL_REQUEST__INIT;
        close.deal_id = id;
        close.outcome = (char *) outcome;
        close.lost_reason = streq (outcome, "lost")? "no budget": "";
        close.actor = "test";
        ProtobufCMessage *answer = NULL;
        if (s_call (s_sales, "sales.CloseDeal", &close.base, &crmq__deal_reply__descriptor,
                    &answer) == CRMQ_OK)
            protobuf_c_message_free_unpacked (answer, NULL);
    }
    //  the stays' times, as if the deal had moved then
    crmq_pg_array_t *array = crmq_pg_array_new ();
    size_t count = 0;
    for (; times [count]; count++) {
        char text [64];
        snprintf (text, sizeof text, "%s %s", times [count], S_ZONE);
        crmq_pg_array_append (array, text);
    }
    const char *id_text = test_id_text (id);
    long long stays = test_number (s_pg,
        "WITH t AS (SELECT n, x FROM unnest ($2::timestamptz[]) WITH ORDINALITY u (x, n)),"
        " s AS (SELECT id, row_number () OVER (ORDER BY entered_at, id) AS n"
        "       FROM sales.deal_stages WHERE deal_id = $1::bigint),"
        " moved AS (UPDATE sales.deal_stages d SET entered_at = a.x, left_at = b.x"
        "       FROM s JOIN t a ON a.n = s.n LEFT JOIN t b ON b.n = s.n + 1"
        "       WHERE d.id = s.id RETURNING d.id)"
        " SELECT count (*) FROM moved", id_text, crmq_pg_array_text (array), NULL);
    CHECK (stays == (long long) count, "%s: %lld stays retimed, %zu times", title, stays, count);
    test_number (s_pg,
        "WITH t AS (SELECT $2::timestamptz[] AS x),"
        " d AS (UPDATE sales.deals SET created_at = x [1], stage_entered_at = x [array_length (x, 1)],"
        "       closed_at = CASE WHEN status = 'open' THEN NULL ELSE x [array_length (x, 1)] END"
        "       FROM t WHERE id = $1::bigint RETURNING id)"
        " SELECT count (*) FROM d", id_text, crmq_pg_array_text (array), NULL);
    crmq_pg_array_destroy (&array);
    return id;
}

//  Logs an interaction; returns its id or 0.
static int64_t
s_interaction (const char *client, const char *manager, const char *channel, const char *kind,
               const char *status, const char *local)
{
    Crmq__Interaction it = CRMQ__INTERACTION__INIT;
    it.client_id = s_contacts_id ("clients", client);
    it.manager_id = manager? s_contacts_id ("managers", manager): 0;
    it.channel = (char *) channel;
    it.kind = (char *) kind;
    it.direction = "in";
    it.subject = "test";
    it.started_at_us = s_at (local);
    if (streq (kind, "complaint")) {
        it.topic = "late delivery";
        it.severity = "high";
    }
    it.status = (char *) status;
    char key [96];
    snprintf (key, sizeof key, "%sinteraction-%s-%s", s_prefix, client, local);
    Crmq__InteractionRequest request = CRMQ__INTERACTION_REQUEST__INIT;
    request.interaction = &it;
    request.actor = "test";
    request.request_key = key;
    Crmq__InteractionReply *reply = NULL;
    if (s_call (s_contacts, "contacts.LogInteraction", &request.base,
                &crmq__interaction_reply__descriptor, (ProtobufCMessage **) &reply) != CRMQ_OK)
        return 0;
    int64_t id = reply->interaction->id;
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return id;
}

//  --------------------------------------------------------------------------
//  Reports

typedef struct {
    Crmq__ReportParams params;
    Crmq__Period period;
    Crmq__ReportFilter filter;
    Crmq__ReportFilter *filters [1];
    char *values [4];
    char *dimensions [2];
} s_request_t;

//  A request for `report` over [from, to) (days in Berlin; NULL = open).
static void
s_request (s_request_t *self, const char *report, const char *from, const char *to)
{
    memset (self, 0, sizeof *self);
    crmq__report_params__init (&self->params);
    crmq__period__init (&self->period);
    crmq__report_filter__init (&self->filter);
    self->params.report = (char *) report;
    self->period.from_us = from? s_at (from): 0;
    self->period.to_us = to? s_at (to): 0;
    self->params.period = &self->period;
    self->filters [0] = &self->filter;
    self->params.dimensions = self->dimensions;
}

//  Adds the filter field = values (up to 4, NULL-terminated).
static void
s_filter (s_request_t *self, const char *field, const char *a, const char *b)
{
    self->filter.field = (char *) field;
    self->values [0] = (char *) a;
    self->values [1] = (char *) b;
    self->filter.n_values = b? 2: 1;
    self->filter.values = self->values;
    self->params.n_filters = 1;
    self->params.filters = self->filters;
}

static void
s_by (s_request_t *self, const char *dimension)
{
    self->dimensions [self->params.n_dimensions++] = (char *) dimension;
}

//  Runs the request; returns the result (caller frees) or NULL after a FAIL.
static Crmq__ReportResult *
s_run (s_request_t *self)
{
    Crmq__ReportResult *result = NULL;
    if (s_call (s_analytics, "analytics.Report", &self->params.base,
                &crmq__report_result__descriptor, (ProtobufCMessage **) &result) != CRMQ_OK)
        return NULL;
    return result;
}

//  CHECKs that the request is refused with INVALID_ARGUMENT naming `field`.
static void
s_refused (const char *label, s_request_t *self, const char *field)
{
    int code = test_call (s_analytics, "analytics.Report", &self->params.base,
                          &crmq__report_result__descriptor, NULL);
    CHECK (code == CRMQ_INVALID_ARGUMENT && streq (crmq_rpc_client_field (s_analytics), field),
           "%s: code %d field \"%s\" (expected 3, \"%s\"): %s", label, code,
           crmq_rpc_client_field (s_analytics), field, crmq_rpc_client_message (s_analytics));
}

//  The first row whose `column` is `value`, or -1.
static int
s_find (const Crmq__ReportTable *table, const char *column, const char *value,
        const char *column2, const char *value2)
{
    for (size_t row = 0; table && row < table->n_rows; row++)
        if (streq (test_report_cell (table, row, column), value)
        &&  (!column2 || streq (test_report_cell (table, row, column2), value2)))
            return (int) row;
    return -1;
}

//  CHECKs row `row` against "column=value|column=value|..." ("column=" is
//  an empty cell).
static void
s_expect (const char *label, const Crmq__ReportTable *table, int row, const char *expected)
{
    char *copy = strdup (expected);
    char wrong [1024] = "";
    for (char *save = NULL, *pair = strtok_r (copy, "|", &save); pair;
         pair = strtok_r (NULL, "|", &save)) {
        char *equals = strchr (pair, '=');
        assert (equals);
        *equals = 0;
        const char *got = row < 0? "(no row)": test_report_cell (table, (size_t) row, pair);
        if (!streq (got, equals + 1)) {
            size_t length = strlen (wrong);
            snprintf (wrong + length, sizeof wrong - length, " %s=\"%s\" (expected \"%s\")",
                      pair, got, equals + 1);
        }
    }
    free (copy);
    CHECK (!*wrong, "%s:%s", label, wrong);
    if (!*wrong)
        printf ("    %s: %s\n", label, expected);
}

static bool
s_has_note (const Crmq__ReportResult *result, const char *text)
{
    for (size_t i = 0; result && i < result->n_notes; i++)
        if (strstr (result->notes [i], text))
            return true;
    return false;
}

//  --------------------------------------------------------------------------

static void
s_check_dynamics (void)
{
    printf ("order dynamics by month, 2024-01-01 to 2024-05-01, clients C1, C2, C3\n");
    s_request_t request;
    s_request (&request, "dynamics", "2024-01-01", "2024-05-01");
    s_filter (&request, "client", NULL, NULL);
    //  the three clients
    char names [3][64];
    char *clients [3] = { names [0], names [1], names [2] };
    for (int i = 0; i < 3; i++)
        snprintf (names [i], sizeof names [i], "%sC%d", s_prefix, i + 1);
    request.filter.values = clients;
    request.filter.n_values = 3;
    Crmq__ReportResult *result = s_run (&request);
    const Crmq__ReportTable *periods = test_report_table (result, "periods");
    CHECK (periods && periods->n_rows == 4, "4 months, February empty: %zu rows",
           periods? periods->n_rows: 0);
    CHECK (result && streq (result->params->granularity, "month")
           && streq (result->params->measure, "revenue"), "month and revenue by default");
    //  Jan 250 (200 + 50); Dec 2023 40; Jan 2023 60
    s_expect ("January", periods, 0, "period=2024-01-01|value=250.00|previous_value=40.00"
              "|change=5.250000000|last_year_value=60.00|last_year_change=3.166666667"
              "|clients=2|orders=2");
    //  Feb: the cancelled order counts nothing; Feb 2023 holds the order of
    //  2023-02-01 00:30 (2023-01-31 23:30 UTC)
    s_expect ("February", periods, 1, "period=2024-02-01|value=0.00|previous_value=250.00"
              "|change=-1.000000000|last_year_value=25.00|last_year_change=-1.000000000"
              "|clients=0|orders=0");
    //  Mar: 30 (00:30 on the DST day) + 70 (23:30 on it); not the order of
    //  April 1st, 00:00
    s_expect ("March", periods, 2, "period=2024-03-01|value=100.00|previous_value=0.00"
              "|change=|last_year_value=0.00|last_year_change=|clients=2|orders=2");
    //  Apr: 30 (00:00 on the 1st) less the return of 100
    s_expect ("April", periods, 3, "period=2024-04-01|value=-70.00|previous_value=100.00"
              "|change=-1.700000000|last_year_value=0.00|last_year_change=|clients=1|orders=1");
    if (result)
        crmq__report_result__free_unpacked (result, NULL);

    printf ("order dynamics by day around the DST change\n");
    s_request (&request, "dynamics", "2024-03-30", "2024-04-02");
    s_filter (&request, "client", NULL, NULL);
    request.filter.values = clients;
    request.filter.n_values = 3;
    request.params.granularity = "day";
    result = s_run (&request);
    periods = test_report_table (result, "periods");
    CHECK (periods && periods->n_rows == 3, "3 days: %zu", periods? periods->n_rows: 0);
    s_expect ("2024-03-30", periods, 0, "period=2024-03-30|value=0.00|orders=0");
    s_expect ("2024-03-31", periods, 1, "period=2024-03-31|value=100.00|previous_value=0.00"
              "|change=|clients=2|orders=2");
    s_expect ("2024-04-01", periods, 2, "period=2024-04-01|value=30.00|previous_value=100.00"
              "|change=-0.700000000|clients=1|orders=1");
    if (result)
        crmq__report_result__free_unpacked (result, NULL);

    printf ("order dynamics by region (North: C1, C3; South: C2), orders\n");
    s_request (&request, "dynamics", "2024-01-01", "2024-05-01");
    s_filter (&request, "region", s_ext ("North"), s_ext ("South"));
    s_by (&request, "region");
    result = s_run (&request);
    periods = test_report_table (result, "periods");
    CHECK (periods && periods->n_rows == 8, "4 months x 2 regions: %zu rows",
           periods? periods->n_rows: 0);
    char expected [512];
    //  North leads (200 over the period), then South (80)
    snprintf (expected, sizeof expected, "period=2024-01-01|dimension=%s|value=200.00"
              "|previous_value=40.00|change=4.000000000|last_year_value=0.00|last_year_change="
              "|clients=1|orders=1", s_ext ("North"));
    s_expect ("January North", periods, 0, expected);
    snprintf (expected, sizeof expected, "period=2024-01-01|dimension=%s|value=50.00"
              "|previous_value=0.00|change=|last_year_value=60.00|last_year_change=-0.166666667"
              "|clients=1|orders=1", s_ext ("South"));
    s_expect ("January South", periods, 1, expected);
    snprintf (expected, sizeof expected, "period=2024-02-01|dimension=%s|value=0.00"
              "|previous_value=200.00|change=-1.000000000|last_year_value=25.00"
              "|last_year_change=-1.000000000|clients=0|orders=0", s_ext ("North"));
    s_expect ("February North", periods, 2, expected);
    snprintf (expected, sizeof expected, "period=2024-04-01|dimension=%s|value=-100.00"
              "|previous_value=100.00|change=-2.000000000|clients=0|orders=0", s_ext ("North"));
    s_expect ("April North", periods, 6, expected);
    snprintf (expected, sizeof expected, "period=2024-04-01|dimension=%s|value=30.00"
              "|previous_value=0.00|change=|clients=1|orders=1", s_ext ("South"));
    s_expect ("April South", periods, 7, expected);
    if (result)
        crmq__report_result__free_unpacked (result, NULL);

    printf ("order dynamics by quarter, measure orders, by manager\n");
    s_request (&request, "dynamics", "2024-01-01", "2024-07-01");
    s_filter (&request, "manager", s_ext ("M1"), s_ext ("M2"));
    s_by (&request, "manager");
    request.params.granularity = "quarter";
    request.params.measure = "orders";
    result = s_run (&request);
    periods = test_report_table (result, "periods");
    //  by the client's responsible manager: M1 has C1 and C3, M2 has C2;
    //  Q1 2024: M1 3 orders (01-10, 03-31 twice), M2 1; Q4 2023: M1 1
    int row = s_find (periods, "period", "2024-01-01", "dimension", s_ext ("M1"));
    s_expect ("Q1 M1", periods, row, "dimension_name=Manager One|value=3|previous_value=1"
              "|change=2.000000000|last_year_value=1|last_year_change=2.000000000|orders=3");
    row = s_find (periods, "period", "2024-04-01", "dimension", s_ext ("M2"));
    s_expect ("Q2 M2", periods, row, "value=1|previous_value=1|change=0.000000000"
              "|last_year_value=0|last_year_change=|clients=1|orders=1");
    if (result)
        crmq__report_result__free_unpacked (result, NULL);

    printf ("order dynamics by profit: no costs known, no figures\n");
    s_request (&request, "dynamics", "2024-01-01", "2024-05-01");
    s_filter (&request, "region", s_ext ("North"), s_ext ("South"));
    request.params.measure = "profit";
    result = s_run (&request);
    periods = test_report_table (result, "periods");
    CHECK (periods && periods->n_rows == 0 && s_has_note (result, "costs missing: 5 of 5"),
           "no rows and the costs-missing note: %zu rows, %s", periods? periods->n_rows: 0,
           result && result->n_notes? result->notes [0]: "no note");
    if (result)
        crmq__report_result__free_unpacked (result, NULL);
}

static void
s_check_deal_dynamics (void)
{
    printf ("deal dynamics by month, managers M1, M2\n");
    s_request_t request;
    s_request (&request, "deal_dynamics", "2024-01-01", "2024-05-01");
    s_filter (&request, "manager", s_ext ("M1"), s_ext ("M2"));
    Crmq__ReportResult *result = s_run (&request);
    const Crmq__ReportTable *periods = test_report_table (result, "periods");
    CHECK (periods && periods->n_rows == 4, "4 months: %zu", periods? periods->n_rows: 0);
    //  Jan: D1, D2 created, D1 won after 15 days; Dec 2023: D6 250; Jan 2023: D5 400
    s_expect ("January", periods, 0, "period=2024-01-01|created=2|won=1|lost=0"
              "|won_amount=1000.00|average_days_to_win=15.0|previous_won_amount=250.00"
              "|change=3.000000000|last_year_won_amount=400.00|last_year_change=1.500000000");
    s_expect ("February", periods, 1, "period=2024-02-01|created=0|won=0|lost=1"
              "|won_amount=0.00|average_days_to_win=|previous_won_amount=1000.00"
              "|change=-1.000000000|last_year_won_amount=0.00|last_year_change=");
    //  Mar: D3 won in EUR (left out of the amount) after 29 days 23 hours
    s_expect ("March", periods, 2, "period=2024-03-01|created=2|won=1|lost=0"
              "|won_amount=0.00|average_days_to_win=30.0|previous_won_amount=0.00|change=");
    s_expect ("April", periods, 3, "period=2024-04-01|created=0|won=0|lost=0|won_amount=0.00");
    CHECK (s_has_note (result, "1 deals won in the period in other currencies (EUR)"),
           "the note on deals in EUR: %s", result && result->n_notes? result->notes [0]: "none");
    if (result)
        crmq__report_result__free_unpacked (result, NULL);

    printf ("deal dynamics of manager M2 only\n");
    s_request (&request, "deal_dynamics", "2024-01-01", "2024-05-01");
    s_filter (&request, "manager", s_ext ("M2"), NULL);
    request.params.granularity = "year";
    result = s_run (&request);
    periods = test_report_table (result, "periods");
    s_expect ("2024 for M2", periods, 0, "period=2024-01-01|created=2|won=1|lost=0"
              "|won_amount=0.00");
    if (result)
        crmq__report_result__free_unpacked (result, NULL);
}

static void
s_check_funnel (void)
{
    printf ("funnel, 2024-01-01 to 2024-05-01, managers M1, M2\n");
    s_request_t request;
    s_request (&request, "funnel", "2024-01-01", "2024-05-01");
    s_filter (&request, "manager", s_ext ("M1"), s_ext ("M2"));
    Crmq__ReportResult *result = s_run (&request);
    const Crmq__ReportTable *stages = test_report_table (result, "stages");
    char pipeline [64];
    snprintf (pipeline, sizeof pipeline, "%spipeline", s_prefix);
    int a = s_find (stages, "pipeline", pipeline, "stage", "A");
    CHECK (a >= 0 && s_find (stages, "pipeline", pipeline, "stage", "B") == a + 1
           && s_find (stages, "pipeline", pipeline, "stage", "Lost") == a + 4,
           "the pipeline's stages in position order");
    //  A: D1, D2, D3, D4 entered; D4 there now; D1, D2 on to B; closed
    //  stays 3.0, 1.5 and 29.958 days; D3 won from A
    s_expect ("A", stages, a, "outcome=open|entered=4|in_stage=1|moved_next=2"
              "|conversion=0.500000000|average_days=11.5|won=1");
    //  B: D1 (7 days, on to C), D2 (19.5 days, then lost)
    s_expect ("B", stages, a + 1, "entered=2|in_stage=0|moved_next=1|conversion=0.500000000"
              "|average_days=13.3|won=0");
    //  C: D1, 5 days, then won: the next stage of the last open one is Won
    s_expect ("C", stages, a + 2, "entered=1|in_stage=0|moved_next=1|conversion=1.000000000"
              "|average_days=5.0|won=1");
    s_expect ("Won", stages, a + 3, "outcome=won|entered=2|in_stage=0|moved_next=|conversion="
              "|average_days=|won=0");
    s_expect ("Lost", stages, a + 4, "outcome=lost|entered=1|in_stage=0|moved_next=");
    const Crmq__ReportTable *summary = test_report_table (result, "summary");
    s_expect ("summary", summary, 0, "leads=0|deals_created=4|won=2|lost=1"
              "|win_rate=0.666666667|won_amount=1000.00");
    CHECK (s_has_note (result, "lead intake") && s_has_note (result, "(EUR)"),
           "notes on leads and on deals in EUR");
    if (result)
        crmq__report_result__free_unpacked (result, NULL);
}

static void
s_check_managers (void)
{
    printf ("managers, 2024-01-01 to 2024-05-01\n");
    s_request_t request;
    s_request (&request, "managers", "2024-01-01", "2024-05-01");
    s_filter (&request, "manager", s_ext ("M1"), s_ext ("M2"));
    Crmq__ReportResult *result = s_run (&request);
    const Crmq__ReportTable *managers = test_report_table (result, "managers");
    CHECK (managers && managers->n_rows == 2 && managers->total_rows == 2, "two managers: %zu",
           managers? managers->n_rows: 0);
    //  M1: orders 200 + 30 + 70 of C1, C3 less the return of 100 of the
    //  order of 01-10; D1 won, D2 lost; a call and an e-mail (the planned
    //  meeting not counted); C1's complaint, resolved
    char expected [512];
    snprintf (expected, sizeof expected, "manager=%s|name=Manager One|revenue=200.00|clients=2"
              "|orders=3|average_order=66.67|deals_won=1|deals_lost=1|win_rate=0.500000000"
              "|won_amount=1000.00|interactions=2|complaints=1|complaints_resolved=1",
              s_ext ("M1"));
    s_expect ("M1", managers, 0, expected);
    //  M2: 50 + 30 of C2; D3 won in EUR; a meeting and the complaint it
    //  logged on C1; C2's open complaint
    snprintf (expected, sizeof expected, "manager=%s|name=Manager Two|revenue=80.00|clients=1"
              "|orders=2|average_order=40.00|deals_won=1|deals_lost=0|win_rate=1.000000000"
              "|won_amount=0.00|interactions=2|complaints=1|complaints_resolved=0",
              s_ext ("M2"));
    s_expect ("M2", managers, 1, expected);
    CHECK (s_has_note (result, "(EUR)"), "the note on deals in EUR");
    if (result)
        crmq__report_result__free_unpacked (result, NULL);

    printf ("managers of the South region's clients only, with a limit\n");
    s_request (&request, "managers", "2024-01-01", "2024-05-01");
    s_filter (&request, "manager", s_ext ("M1"), s_ext ("M2"));
    Crmq__ReportFilter region = CRMQ__REPORT_FILTER__INIT;
    char *south [1] = { (char *) s_ext ("South") };
    region.field = "region";
    region.n_values = 1;
    region.values = south;
    Crmq__ReportFilter *filters [2] = { &request.filter, &region };
    request.params.filters = filters;
    request.params.n_filters = 2;
    request.params.limit = 1;
    result = s_run (&request);
    managers = test_report_table (result, "managers");
    CHECK (managers && managers->n_rows == 1 && managers->total_rows == 2,
           "one row of two: %zu of %" PRId64, managers? managers->n_rows: 0,
           managers? managers->total_rows: 0);
    snprintf (expected, sizeof expected, "manager=%s|revenue=80.00|orders=2|deals_won=1"
              "|interactions=1|complaints=1", s_ext ("M2"));
    s_expect ("M2 (South)", managers, 0, expected);
    if (result)
        crmq__report_result__free_unpacked (result, NULL);
}

static void
s_check_refusals (void)
{
    printf ("bad parameters: code 3 naming the field\n");
    s_request_t request;
    s_request (&request, "dynamics", "2024-01-01", "2024-05-01");
    request.params.measure = "margin";
    s_refused ("unknown measure", &request, "measure");
    s_request (&request, "dynamics", "2024-01-01", "2024-05-01");
    s_by (&request, "client");
    s_refused ("dimension client", &request, "dimensions");
    s_request (&request, "dynamics", "2024-01-01", "2024-05-01");
    s_by (&request, "region");
    s_by (&request, "country");
    s_refused ("two dimensions", &request, "dimensions");
    s_request (&request, "dynamics", "1990-01-01", "2024-05-01");
    request.params.granularity = "day";
    s_refused ("too many days", &request, "granularity");
    s_request (&request, "dynamics", "2024-01-01", "2024-05-01");
    request.params.granularity = "fortnight";
    s_refused ("unknown granularity", &request, "granularity");
    s_request (&request, "dynamics", "2024-05-01", "2024-01-01");
    s_refused ("from after to", &request, "period");
    s_request (&request, "deal_dynamics", "2024-01-01", "2024-05-01");
    s_by (&request, "manager");
    s_refused ("deal dynamics by manager", &request, "dimensions");
    s_request (&request, "funnel", "2024-01-01", "2024-05-01");
    s_filter (&request, "product_group", s_ext ("G1"), NULL);
    s_refused ("funnel by product group", &request, "filters");
    s_request (&request, "funnel", "2024-01-01", "2024-05-01");
    request.params.granularity = "month";
    s_refused ("funnel by month", &request, "granularity");
    s_request (&request, "managers", "2024-01-01", "2024-05-01");
    request.params.measure = "revenue";
    s_refused ("managers by revenue", &request, "measure");
    s_request (&request, "managers", "2024-01-01", "2024-05-01");
    s_filter (&request, "pipeline", "x", NULL);
    s_refused ("a pipeline filter", &request, "filters");
}

//  A JSON string member's text, "" when it is not a string.
static const char *
s_json_text (json_t *object, const char *key)
{
    const char *text = json_string_value (json_object_get (object, key));
    return text? text: "";
}

//  `crmq report dynamics ... --format json` prints the same figures.
static void
s_check_cli (void)
{
    printf ("crmq report dynamics --format json\n");
    char command [512];
    snprintf (command, sizeof command, "crmq report dynamics --from 2024-03-01 --to 2024-05-01"
              " --filter 'region=%s,%s' --format json", s_ext ("North"), s_ext ("South"));
    FILE *pipe = popen (command, "r");
    json_error_t error;
    json_t *root = pipe? json_loadf (pipe, 0, &error): NULL;
    int status = pipe? pclose (pipe): -1;
    CHECK (root && status == 0, "crmq report printed JSON: exit %d", status);
    json_t *rows = json_object_get (json_object_get (root, "tables"), "periods");
    json_t *april = json_array_get (rows, 1);
    CHECK (json_array_size (rows) == 2
           && streq (s_json_text (april, "period"), "2024-04-01")
           && streq (s_json_text (april, "value"), "-70.00")
           && json_integer_value (json_object_get (april, "orders")) == 1
           && json_is_null (json_object_get (april, "last_year_change"))
           && streq (s_json_text (json_object_get (root, "period"), "to"), "2024-05-01"),
           "April: -70.00, 1 order, no change on a year earlier (null)");
    json_decref (root);
}

int
main (void)
{
    crmq_log_init ("test_reports_sales", "error");
    setvbuf (stdout, NULL, _IOLBF, 0);
    s_pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_reports_sales");
    s_sales = crmq_rpc_client_new (test_env ("CRMQ_SALES_ENDPOINT"), 30000, 0);
    s_contacts = crmq_rpc_client_new (test_env ("CRMQ_CONTACTS_ENDPOINT"), 30000, 0);
    s_analytics = crmq_rpc_client_new (test_env ("CRMQ_ANALYTICS_ENDPOINT"), 60000, 0);
    snprintf (s_prefix, sizeof s_prefix, "RS%d-", (int) getpid ());

    //  the stack's zone, to come back to
    const char *stack_zone = getenv ("CRMQ_TIME_ZONE");
    char *original = stack_zone && *stack_zone? strdup (stack_zone): NULL;
    bool switched = !original || !streq (original, S_ZONE);
    if (switched) {
        printf ("crmq-sales and crmq-analytics with CRMQ_TIME_ZONE=%s\n", S_ZONE);
        s_restart_with_zone (S_ZONE);
    }
    else
        setenv ("CRMQ_TIME_ZONE", S_ZONE, 1);

    printf ("managers, clients, products\n");
    Crmq__ErpEvent *managers [2] = {
        test_manager_event (s_ext ("event-m1"), s_ext ("M1"), "Manager One"),
        test_manager_event (s_ext ("event-m2"), s_ext ("M2"), "Manager Two") };
    test_send (s_sales, "managers", managers, 2, 0);
    char north [64], south [64];
    snprintf (north, sizeof north, "%s", s_ext ("North"));
    snprintf (south, sizeof south, "%s", s_ext ("South"));
    Crmq__ErpEvent *master [5] = {
        s_client ("C1", north, "M1"), s_client ("C2", south, "M2"), s_client ("C3", north, "M1"),
        s_product ("P1", "G1"), s_product ("P2", "G2") };
    test_send (s_sales, "clients and products", master, 5, 0);

    printf ("orders, a cancellation, a return\n");
    Crmq__ErpEvent *orders [9] = {
        s_order ("O-LY1", "C2", "M2", "2023-01-15 12:00", 1, 6000),
        s_order ("O-LY2", "C1", "M1", "2023-02-01 00:30", 1, 2500),
        s_order ("O0", "C1", "M1", "2023-12-05 12:00", 1, 4000),
        s_order ("O1", "C1", "M1", "2024-01-10 12:00", 2, 10000),
        s_order ("O2", "C2", "M2", "2024-01-20 12:00", 1, 5000),
        s_order ("O6", "C1", "M1", "2024-02-10 12:00", 1, 9000),
        s_order ("O3", "C1", "M1", "2024-03-31 00:30", 1, 3000),
        s_order ("O4", "C3", "M1", "2024-03-31 23:30", 1, 7000),
        s_order ("O5", "C2", "M2", "2024-04-01 00:00", 3, 1000) };
    test_send (s_sales, "orders", orders, 9, 0);
    char event_id [96], order_id [64], return_id [64], client_id [64], product_id [64];
    snprintf (event_id, sizeof event_id, "%scancel:O6", s_prefix);
    snprintf (order_id, sizeof order_id, "%s", s_ext ("O6"));
    Crmq__ErpEvent *cancel [1] = {
        test_cancel_event (event_id, s_at ("2024-02-11 09:00"), order_id, "duplicate") };
    test_send (s_sales, "cancellation", cancel, 1, 0);
    snprintf (event_id, sizeof event_id, "%sreturn:R1", s_prefix);
    snprintf (order_id, sizeof order_id, "%s", s_ext ("O1"));
    snprintf (return_id, sizeof return_id, "%s", s_ext ("R1"));
    snprintf (client_id, sizeof client_id, "%s", s_ext ("C1"));
    snprintf (product_id, sizeof product_id, "%s", s_ext ("P1"));
    Crmq__ErpEvent *returns [1] = {
        test_return_event (event_id, return_id, client_id, order_id, product_id, 1, 10000,
                           s_at ("2024-04-15 12:00")) };
    test_send (s_sales, "return", returns, 1, 0);
    CHECK (test_number (s_pg, "SELECT count (*) FROM sales.client_day_rollups r"
                        " JOIN sales.clients c ON c.id = r.client_id"
                        " WHERE c.external_id = $1 AND r.day = '2024-04-01' AND r.orders = 1",
                        s_ext ("C2"), NULL) == 1,
           "crmq-sales counts the order of 00:00 on April 1st (Berlin) on that day");

    printf ("a pipeline and deals moved through it\n");
    int64_t stage [5];
    s_pipeline (stage);
    const int64_t to_b_c [3] = { stage [1], stage [2], 0 };
    const int64_t to_b [2] = { stage [1], 0 };
    const int64_t none [1] = { 0 };
    const char *d1 [5] = { "2024-01-10 10:00", "2024-01-13 10:00", "2024-01-20 10:00",
                           "2024-01-25 10:00", NULL };
    const char *d2 [4] = { "2024-01-15 10:00", "2024-01-16 22:00", "2024-02-05 10:00", NULL };
    const char *d3 [3] = { "2024-03-01 10:00", "2024-03-31 10:00", NULL };
    const char *d4 [2] = { "2024-03-10 10:00", NULL };
    const char *d5 [3] = { "2023-01-05 10:00", "2023-01-20 10:00", NULL };
    const char *d6 [3] = { "2023-12-01 10:00", "2023-12-20 10:00", NULL };
    char title [6][64];
    for (int i = 0; i < 6; i++)
        snprintf (title [i], sizeof title [i], "%sD%d", s_prefix, i + 1);
    s_deal (title [0], "C1", "M1", 100000, "USD", stage [0], to_b_c, "won", d1);
    s_deal (title [1], "C3", "M1", 50000, "USD", stage [0], to_b, "lost", d2);
    s_deal (title [2], "C2", "M2", 30000, "EUR", stage [0], none, "won", d3);
    s_deal (title [3], "C2", "M2", 20000, "USD", stage [0], none, "", d4);
    s_deal (title [4], "C1", "M1", 40000, "USD", stage [0], none, "won", d5);
    s_deal (title [5], "C1", "M1", 25000, "USD", stage [0], none, "won", d6);

    printf ("interactions and complaints\n");
    s_interaction ("C1", "M1", "call", "contact", "done", "2024-02-01 10:00");
    s_interaction ("C3", "M1", "email", "contact", "done", "2024-03-05 10:00");
    s_interaction ("C1", "M1", "meeting", "contact", "planned", "2024-04-20 10:00");
    s_interaction ("C1", "M1", "call", "contact", "done", "2023-12-31 10:00");
    s_interaction ("C2", "M2", "meeting", "contact", "done", "2024-01-05 10:00");
    int64_t complaint = s_interaction ("C1", "M2", "call", "complaint", "open",
                                       "2024-02-10 10:00");
    s_interaction ("C2", NULL, "email", "complaint", "open", "2024-03-20 10:00");
    Crmq__Interaction resolved = CRMQ__INTERACTION__INIT;
    resolved.id = complaint;
    resolved.status = "resolved";
    char *status_field [1] = { "status" };
    Crmq__InteractionRequest update = CRMQ__INTERACTION_REQUEST__INIT;
    update.interaction = &resolved;
    update.fields = status_field;
    update.n_fields = 1;
    update.actor = "test";
    ProtobufCMessage *answer = NULL;
    if (s_call (s_contacts, "contacts.UpdateInteraction", &update.base,
                &crmq__interaction_reply__descriptor, &answer) == CRMQ_OK)
        protobuf_c_message_free_unpacked (answer, NULL);

    s_check_dynamics ();
    s_check_deal_dynamics ();
    s_check_funnel ();
    s_check_managers ();
    s_check_refusals ();
    s_check_cli ();

    if (switched) {
        printf ("back to the stack's zone (%s); the rollups rebuilt in it\n",
                original? original: "UTC");
        s_restart_with_zone (original);
        const char *zone = original? original: "UTC";
        CHECK (test_number (s_pg, "SELECT count (*) FROM (SELECT sales.rebuild_rollups ($1)) r",
                            zone, NULL) == 1, "rollups rebuilt");
        if (streq (zone, "UTC"))
            test_check_rollups (s_pg, "rebuilt in UTC");
    }
    free (original);
    crmq_rpc_client_destroy (&s_analytics);
    crmq_rpc_client_destroy (&s_contacts);
    crmq_rpc_client_destroy (&s_sales);
    crmq_pg_destroy (&s_pg);
    printf ("test_reports_sales: %s\n", s_failures? "FAIL": "PASS");
    return s_failures? 1: 0;
}

/*  test_deals - deals and pipelines through crmq-sales: the seeded default
    pipeline; saving pipelines (new with a request key, stages reordered,
    renamed and taken out, a stage holding deals kept); creating deals for
    clients of the ERP, for a client and a manager only crmq-contacts knows
    and for a merged client (its survivor), resent with a request key;
    moving them through stages with the history's order, timestamps and
    actors; closing them won and lost and reopening; updating fields with a
    version; linking orders; rotting; listing with every filter and keyset
    paging; the events in bus.outbox; and bad requests each getting their
    code and field and changing nothing.                                    */
#include "test_support.h"
#include "deals.pb-c.h"

static crmq_rpc_client_t *s_sales;
static crmq_rpc_client_t *s_contacts;
static crmq_pg_t *s_pg;

//  What a deal request could change: every sales table and the outbox.
static char *
s_state (void)
{
    static const char *const tables [] = {
        "sales.pipelines", "sales.stages", "sales.deals", "sales.deal_stages",
        "sales.deal_orders", "sales.request_keys", "sales.clients", "sales.managers",
        "sales.orders", "bus.outbox", NULL };
    return test_fingerprint_of (s_pg, tables);
}

static int
s_call (const char *method, const ProtobufCMessage *request,
        const ProtobufCMessageDescriptor *descriptor, ProtobufCMessage **answer)
{
    return test_call (s_sales, method, request, descriptor, answer);
}

//  Sends a request that must be refused with `code` naming `field`, and
//  checks it changed nothing.
static void
s_refused (const char *label, const char *method, const ProtobufCMessage *request, int code,
           const char *field)
{
    char *before = s_state ();
    int got = s_call (method, request, NULL, NULL);
    const char *got_field = crmq_rpc_client_field (s_sales);
    CHECK (got == code && streq (got_field, field), "%s: %s gave %d (%s) field \"%s\": %s", label,
           method, got, crmq_status_name (got), got_field, crmq_rpc_client_message (s_sales));
    char *after = s_state ();
    CHECK (streq (before, after), "%s changed nothing", label);
    free (before);
    free (after);
}

static long long
s_count (const char *sql, int64_t id)
{
    char text [24];
    snprintf (text, sizeof text, "%" PRId64, id);
    const char *values [1] = { text };
    PGresult *result = crmq_pg_exec (s_pg, sql, 1, values);
    long long n = result? strtoll (PQgetvalue (result, 0, 0), NULL, 10): -1;
    PQclear (result);
    return n;
}

static int64_t
s_last_seq (void)
{
    return test_count (s_pg, "SELECT coalesce (max (seq), 0) FROM bus.outbox");
}

//  The topics of the deal events about deal `id` written after `seq`, in
//  order ("sales.deal.created sales.deal.stage_changed").  Caller frees.
//  *last gets the last one's DealEvent (caller frees) when last is not NULL.
static char *
s_events (int64_t seq, int64_t id, Crmq__DealEvent **last)
{
    char text [24];
    snprintf (text, sizeof text, "%" PRId64, seq);
    const char *values [1] = { text };
    PGresult *result = crmq_pg_exec (s_pg,
        "SELECT topic, body FROM bus.outbox WHERE seq > $1::bigint AND producer = 'sales'"
        "   AND topic LIKE 'sales.deal.%' ORDER BY seq", 1, values);
    char *topics = strdup ("");
    if (last)
        *last = NULL;
    for (int row = 0; result && row < PQntuples (result); row++) {
        size_t size = 0;
        unsigned char *body = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, row, 1), &size);
        Crmq__DealEvent *event = body? crmq__deal_event__unpack (NULL, size, body): NULL;
        PQfreemem (body);
        if (event && event->deal && event->deal->id == id) {
            char *more = zsys_sprintf ("%s%s%s", topics, *topics? " ": "", PQgetvalue (result, row, 0));
            free (topics);
            topics = more;
            if (last) {
                if (*last)
                    crmq__deal_event__free_unpacked (*last, NULL);
                *last = event;
                event = NULL;
            }
        }
        if (event)
            crmq__deal_event__free_unpacked (event, NULL);
    }
    PQclear (result);
    return topics;
}

//  --------------------------------------------------------------------------
//  Set-up: clients, managers, orders

static void
s_ingest_all (Crmq__ErpEvent **events, size_t count)
{
    Crmq__IngestReply *answer;
    int code = test_ingest (s_sales, events, count, &answer);
    CHECK (code == CRMQ_OK && answer && (size_t) (answer->accepted + answer->duplicates) == count,
           "ingest: code %d accepted %d of %zu", code, answer? answer->accepted: -1, count);
    if (answer)
        crmq__ingest_reply__free_unpacked (answer, NULL);
    for (size_t i = 0; i < count; i++)
        test_event_destroy (&events [i]);
}

//  crmq-contacts' id of a client (by external id) or 0.
static int64_t
s_client_id (const char *external_id)
{
    Crmq__GetClientRequest request = CRMQ__GET_CLIENT_REQUEST__INIT;
    request.external_id = (char *) external_id;
    Crmq__GetClientReply *card;
    int code = test_call (s_contacts, "contacts.GetClient", &request.base,
                          &crmq__get_client_reply__descriptor, (ProtobufCMessage **) &card);
    int64_t id = code == CRMQ_OK && card->client? card->client->id: 0;
    if (code == CRMQ_OK)
        protobuf_c_message_free_unpacked (&card->base, NULL);
    return id;
}

//  A manager's id by external id, from contacts.ListManagers, or 0.
static int64_t
s_manager_id (const char *external_id)
{
    Crmq__ListManagersRequest request = CRMQ__LIST_MANAGERS_REQUEST__INIT;
    Crmq__ListManagersReply *list;
    int code = test_call (s_contacts, "contacts.ListManagers", &request.base,
                          &crmq__list_managers_reply__descriptor, (ProtobufCMessage **) &list);
    int64_t id = 0;
    for (size_t i = 0; code == CRMQ_OK && i < list->n_managers; i++)
        if (streq (list->managers [i]->external_id, external_id))
            id = list->managers [i]->id;
    if (code == CRMQ_OK)
        protobuf_c_message_free_unpacked (&list->base, NULL);
    return id;
}

//  --------------------------------------------------------------------------
//  Calls

//  A deal for CreateDeal.
static Crmq__Deal
s_draft (const char *title, int64_t client_id, int64_t manager_id, Crmq__Money *amount)
{
    Crmq__Deal deal = CRMQ__DEAL__INIT;
    deal.title = (char *) title;
    deal.client_id = client_id;
    deal.manager_id = manager_id;
    deal.amount = amount;
    return deal;
}

//  Creates a deal; returns the reply (caller frees) or NULL after a failed check.
static Crmq__Deal *
s_create (Crmq__Deal *deal, const char *key)
{
    Crmq__DealRequest request = CRMQ__DEAL_REQUEST__INIT;
    request.deal = deal;
    request.actor = "менеджер «Тест»";
    request.request_key = (char *) (key? key: "");
    Crmq__DealReply *answer;
    int code = s_call ("sales.CreateDeal", &request.base, &crmq__deal_reply__descriptor,
                       (ProtobufCMessage **) &answer);
    CHECK (code == CRMQ_OK, "CreateDeal %s: code %d %s (%s)", deal->title, code,
           crmq_rpc_client_message (s_sales), crmq_rpc_client_field (s_sales));
    if (code != CRMQ_OK)
        return NULL;
    Crmq__Deal *stored = answer->deal;
    answer->deal = NULL;
    protobuf_c_message_free_unpacked (&answer->base, NULL);
    return stored;
}

static void
s_deal_free (Crmq__Deal **deal_p)
{
    if (*deal_p)
        protobuf_c_message_free_unpacked (&(*deal_p)->base, NULL);
    *deal_p = NULL;
}

static Crmq__GetDealReply *
s_get (int64_t id)
{
    Crmq__GetDealRequest request = CRMQ__GET_DEAL_REQUEST__INIT;
    request.id = id;
    Crmq__GetDealReply *answer;
    int code = s_call ("sales.GetDeal", &request.base, &crmq__get_deal_reply__descriptor,
                       (ProtobufCMessage **) &answer);
    CHECK (code == CRMQ_OK && answer->deal, "GetDeal %" PRId64 ": code %d %s", id, code,
           crmq_rpc_client_message (s_sales));
    return code == CRMQ_OK? answer: NULL;
}

//  MoveDeal or CloseDeal; returns the deal (caller frees) or NULL when the
//  call did not give `expected`.
static Crmq__Deal *
s_write (const char *method, const ProtobufCMessage *request, int expected)
{
    Crmq__DealReply *answer = NULL;
    int code = s_call (method, request, &crmq__deal_reply__descriptor, (ProtobufCMessage **) &answer);
    CHECK (code == expected, "%s: code %d, expected %d: %s (%s)", method, code, expected,
           crmq_rpc_client_message (s_sales), crmq_rpc_client_field (s_sales));
    if (code != CRMQ_OK || !answer)
        return NULL;
    Crmq__Deal *deal = answer->deal;
    answer->deal = NULL;
    protobuf_c_message_free_unpacked (&answer->base, NULL);
    return deal;
}

static Crmq__Deal *
s_move (int64_t deal_id, int64_t stage_id, int64_t pipeline_id, int64_t version, const char *actor)
{
    Crmq__MoveDealRequest request = CRMQ__MOVE_DEAL_REQUEST__INIT;
    request.deal_id = deal_id;
    request.stage_id = stage_id;
    request.pipeline_id = pipeline_id;
    request.version = version;
    request.actor = (char *) actor;
    return s_write ("sales.MoveDeal", &request.base, CRMQ_OK);
}

static Crmq__Deal *
s_close (int64_t deal_id, const char *outcome, const char *reason)
{
    Crmq__CloseDealRequest request = CRMQ__CLOSE_DEAL_REQUEST__INIT;
    request.deal_id = deal_id;
    request.outcome = (char *) outcome;
    request.lost_reason = (char *) reason;
    request.actor = "head of sales";
    return s_write ("sales.CloseDeal", &request.base, CRMQ_OK);
}

//  LinkOrder or UnlinkOrder; returns the call's code.
static int
s_link (const char *method, int64_t deal_id, const char *order, Crmq__GetDealReply **answer)
{
    Crmq__DealOrderRequest request = CRMQ__DEAL_ORDER_REQUEST__INIT;
    request.deal_id = deal_id;
    request.order_external_id = (char *) order;
    request.actor = "linker";
    *answer = NULL;
    return s_call (method, &request.base, &crmq__get_deal_reply__descriptor,
                   (ProtobufCMessage **) answer);
}

//  The ids ListDeals gives for `request`, all pages of `limit`, as "3 5 8".
static char *
s_list (Crmq__ListDealsRequest *request, int limit)
{
    char *ids = strdup ("");
    request->limit = limit;
    request->after_id = 0;
    for (int page = 0; page < 1000; page++) {
        Crmq__ListDealsReply *answer;
        int code = s_call ("sales.ListDeals", &request->base, &crmq__list_deals_reply__descriptor,
                           (ProtobufCMessage **) &answer);
        if (code != CRMQ_OK) {
            CHECK (code == CRMQ_OK, "ListDeals: code %d %s", code, crmq_rpc_client_message (s_sales));
            break;
        }
        if (answer->n_deals > (size_t) limit || (answer->next_after_id && answer->n_deals != (size_t) limit))
            CHECK (false, "page of %zu deals, limit %d", answer->n_deals, limit);
        for (size_t i = 0; i < answer->n_deals; i++) {
            if (answer->deals [i]->id <= request->after_id)
                CHECK (false, "deal %" PRId64 " after %" PRId64, answer->deals [i]->id, request->after_id);
            request->after_id = answer->deals [i]->id;
            char *more = zsys_sprintf ("%s%s%" PRId64, ids, *ids? " ": "", answer->deals [i]->id);
            free (ids);
            ids = more;
        }
        int64_t next = answer->next_after_id;
        protobuf_c_message_free_unpacked (&answer->base, NULL);
        if (!next)
            break;
    }
    return ids;
}

//  The ids of deals matching an SQL predicate over sales.deals d, as "3 5 8".
static char *
s_expected (const char *predicate)
{
    char *sql = zsys_sprintf ("SELECT coalesce (string_agg (d.id::text, ' ' ORDER BY d.id), '')"
                              "  FROM sales.deals d WHERE %s", predicate);
    PGresult *result = crmq_pg_exec (s_pg, sql, 0, NULL);
    char *ids = strdup (result? PQgetvalue (result, 0, 0): "?");
    PQclear (result);
    free (sql);
    return ids;
}

//  --------------------------------------------------------------------------
//  Pipelines

//  The stage named `name` of `pipeline`, or NULL.
static Crmq__Stage *
s_stage (Crmq__Pipeline *pipeline, const char *name)
{
    for (size_t i = 0; pipeline && i < pipeline->n_stages; i++)
        if (streq (pipeline->stages [i]->name, name))
            return pipeline->stages [i];
    return NULL;
}

static Crmq__ListPipelinesReply *
s_pipelines (void)
{
    Crmq__ListPipelinesRequest request = CRMQ__LIST_PIPELINES_REQUEST__INIT;
    Crmq__ListPipelinesReply *answer;
    int code = s_call ("sales.ListPipelines", &request.base, &crmq__list_pipelines_reply__descriptor,
                       (ProtobufCMessage **) &answer);
    CHECK (code == CRMQ_OK, "ListPipelines: code %d", code);
    return code == CRMQ_OK? answer: NULL;
}

//  A stage for SavePipeline (probability in thousandths, -1 = unset).
typedef struct {
    int64_t id;
    const char *name;
    int probability;
    int rotting_days;
    const char *outcome;
} stage_spec_t;

//  Saves a pipeline of `count` stages; returns the call's code and, on OK,
//  the pipeline (caller frees the reply).
static int
s_save_pipeline (int64_t id, const char *name, const stage_spec_t *specs, size_t count,
                 bool is_default, const char *key, Crmq__PipelineReply **answer)
{
    Crmq__Stage stages [16];
    Crmq__Stage *pointers [16];
    Crmq__Decimal probabilities [16];
    for (size_t i = 0; i < count; i++) {
        crmq__stage__init (&stages [i]);
        stages [i].id = specs [i].id;
        stages [i].name = (char *) specs [i].name;
        stages [i].rotting_days = specs [i].rotting_days;
        stages [i].outcome = (char *) specs [i].outcome;
        crmq__decimal__init (&probabilities [i]);
        probabilities [i].units = specs [i].probability / 1000;
        probabilities [i].nanos = (specs [i].probability % 1000) * 1000000;
        stages [i].probability = specs [i].probability >= 0? &probabilities [i]: NULL;
        pointers [i] = &stages [i];
    }
    Crmq__Pipeline pipeline = CRMQ__PIPELINE__INIT;
    pipeline.id = id;
    pipeline.name = (char *) name;
    pipeline.n_stages = count;
    pipeline.stages = pointers;
    pipeline.is_default = is_default;
    Crmq__SavePipelineRequest request = CRMQ__SAVE_PIPELINE_REQUEST__INIT;
    request.pipeline = &pipeline;
    request.actor = "admin";
    request.request_key = (char *) (key? key: "");
    if (!answer) {
        s_refused (name, "sales.SavePipeline", &request.base, CRMQ_FAILED_PRECONDITION, "pipeline.stages");
        return CRMQ_FAILED_PRECONDITION;
    }
    return s_call ("sales.SavePipeline", &request.base, &crmq__pipeline_reply__descriptor,
                   (ProtobufCMessage **) answer);
}

//  --------------------------------------------------------------------------

int
main (void)
{
    crmq_log_init ("test_deals", "error");
    s_pg = crmq_pg_new (test_env ("CRMQ_PG_URL"), "test_deals");
    s_sales = crmq_rpc_client_new (test_env ("CRMQ_SALES_ENDPOINT"), 20000, 0);
    s_contacts = crmq_rpc_client_new (test_env ("CRMQ_CONTACTS_ENDPOINT"), 20000, 0);

    printf ("the ERP's clients, manager, product and orders\n");
    Crmq__ErpEvent *master [5] = {
        test_client_event ("deals:client:a", "DL-A", "ООО «Дельта»"),
        test_client_event ("deals:client:b", "DL-B", "\"Quote\" Ltd"),
        test_client_event ("deals:client:m", "DL-M", "Merged & Co"),
        test_manager_event ("deals:manager:1", "DL-MGR1", "Анна Петрова"),
        test_product_event ("deals:product", "DL-P", "Чай") };
    s_ingest_all (master, 5);
    Crmq__ErpEvent *orders [4] = {
        test_order_event ("deals:order:1", "DL-O1", "DL-A", "DL-P", 2, 10000),
        test_order_event ("deals:order:2", "DL-O2", "DL-A", "DL-P", 1, 2550),
        test_order_event ("deals:order:3", "DL-O3", "DL-B", "DL-P", 1, 700),
        test_order_event ("deals:order:4", "DL-O4", "DL-M", "DL-P", 3, 100) };
    s_ingest_all (orders, 4);
    int64_t client_a = s_client_id ("DL-A"), client_b = s_client_id ("DL-B");
    int64_t client_m = s_client_id ("DL-M");
    int64_t manager = s_manager_id ("DL-MGR1");
    CHECK (client_a > 0 && client_b > 0 && client_m > 0 && manager > 0, "ids %" PRId64 " %" PRId64
           " %" PRId64 " %" PRId64, client_a, client_b, client_m, manager);

    //  ----------------------------------------------------------------------
    printf ("the default pipeline the migration seeded\n");
    Crmq__ListPipelinesReply *pipelines = s_pipelines ();
    Crmq__Pipeline *sales_pipeline = NULL;
    for (size_t i = 0; pipelines && i < pipelines->n_pipelines; i++)
        if (pipelines->pipelines [i]->is_default)
            sales_pipeline = pipelines->pipelines [i];
    CHECK (sales_pipeline && streq (sales_pipeline->name, "Sales") && sales_pipeline->n_stages == 5,
           "default pipeline Sales of 5 stages");
    if (!sales_pipeline)
        return 1;
    const char *names [5] = { "Qualification", "Proposal", "Negotiation", "Won", "Lost" };
    const char *outcomes [5] = { "open", "open", "open", "won", "lost" };
    for (size_t i = 0; i < 5; i++) {
        Crmq__Stage *stage = sales_pipeline->stages [i];
        CHECK (streq (stage->name, names [i]) && streq (stage->outcome, outcomes [i])
               && stage->position == (int) i + 1, "stage %zu: %s %s %d", i, stage->name,
               stage->outcome, stage->position);
    }
    CHECK (sales_pipeline->stages [0]->probability->nanos == 100000000
           && sales_pipeline->stages [0]->rotting_days == 14, "Qualification 0.1, 14 days");
    CHECK (sales_pipeline->stages [3]->probability->units == 1, "Won has probability 1");
    int64_t sales_id = sales_pipeline->id;
    int64_t qualification = sales_pipeline->stages [0]->id, proposal = sales_pipeline->stages [1]->id;
    int64_t negotiation = sales_pipeline->stages [2]->id, won = sales_pipeline->stages [3]->id;
    int64_t lost = sales_pipeline->stages [4]->id;

    //  ----------------------------------------------------------------------
    printf ("a new pipeline, resent with its request key\n");
    const stage_spec_t enterprise_stages [] = {
        { 0, "Лид «входящий»", 100, 7, "" },
        { 0, "Demo \"live\"", 500, 10, "open" },
        { 0, "Contract", 800, 0, "open" },
        { 0, "Подписан", -1, 0, "won" },
        { 0, "Отказ", -1, 0, "lost" },
        { 0, "No budget", 0, 0, "lost" } };
    Crmq__PipelineReply *saved;
    int code = s_save_pipeline (0, "Enterprise «Ключевые»", enterprise_stages, 6, false,
                                "deals-test-pipeline-key-1", &saved);
    CHECK (code == CRMQ_OK, "SavePipeline: code %d %s (%s)", code, crmq_rpc_client_message (s_sales),
           crmq_rpc_client_field (s_sales));
    if (code != CRMQ_OK)
        return 1;
    Crmq__Pipeline *enterprise = saved->pipeline;
    CHECK (enterprise->n_stages == 6 && !enterprise->is_default && enterprise->version == 1,
           "6 stages, not the default, version 1");
    CHECK (streq (enterprise->stages [0]->name, "Лид «входящий»")
           && streq (enterprise->stages [0]->outcome, "open") && enterprise->stages [0]->position == 1
           && enterprise->stages [3]->probability->units == 1, "stages as sent, won at 1");
    long long pipeline_count = test_count (s_pg, "SELECT count(*) FROM sales.pipelines");
    Crmq__PipelineReply *again;
    code = s_save_pipeline (0, "Enterprise «Ключевые»", enterprise_stages, 6, false,
                            "deals-test-pipeline-key-1", &again);
    CHECK (code == CRMQ_OK && again->pipeline->id == enterprise->id, "resend: same pipeline");
    CHECK (test_count (s_pg, "SELECT count(*) FROM sales.pipelines") == pipeline_count, "no twin");
    if (code == CRMQ_OK)
        protobuf_c_message_free_unpacked (&again->base, NULL);
    int64_t enterprise_id = enterprise->id;
    int64_t lead = enterprise->stages [0]->id, demo = enterprise->stages [1]->id;
    int64_t contract = enterprise->stages [2]->id, signed_stage = enterprise->stages [3]->id;
    int64_t refused = enterprise->stages [4]->id, no_budget = enterprise->stages [5]->id;

    //  ----------------------------------------------------------------------
    printf ("a deal with Cyrillic and quotes, resent with its request key\n");
    Crmq__Money eur = CRMQ__MONEY__INIT;
    eur.currency = "EUR";
    eur.units = 1500;
    eur.nanos = 500000000;
    Crmq__Deal draft = s_draft ("Поставка «Чай» для \"Дельта\" 'x'", client_a, manager, &eur);
    draft.expected_close_date = "2031-03-31";
    int64_t seq = s_last_seq ();
    int64_t before_us = crmq_time_now_us ();
    Crmq__Deal *deal = s_create (&draft, "deals-test-create-key-1");
    if (!deal)
        return 1;
    int64_t deal1 = deal->id;
    CHECK (streq (deal->title, draft.title), "title kept: %s", deal->title);
    CHECK (deal->client_id == client_a && streq (deal->client_external_id, "DL-A"), "client A");
    CHECK (deal->manager_id == manager, "manager");
    CHECK (streq (deal->amount->currency, "EUR") && deal->amount->units == 1500
           && deal->amount->nanos == 500000000, "amount EUR 1500.5");
    CHECK (streq (deal->expected_close_date, "2031-03-31"), "close date");
    CHECK (deal->pipeline_id == sales_id && deal->stage_id == qualification
           && streq (deal->stage_name, "Qualification") && streq (deal->status, "open"),
           "in the default pipeline's first stage, open");
    CHECK (deal->version == 1 && deal->closed_at_us == 0 && !deal->rotting, "version 1, open, fresh");
    CHECK (deal->created_at_us >= before_us - 5000000 && deal->created_at_us <= crmq_time_now_us ()
           && deal->stage_entered_at_us == deal->created_at_us, "created now, entered its stage then");
    CHECK (deal->probability->nanos == 100000000, "probability of its stage");
    CHECK (streq (deal->created_by, "менеджер «Тест»"), "created by the actor");
    Crmq__Deal *twin = s_create (&draft, "deals-test-create-key-1");
    CHECK (twin && twin->id == deal1 && twin->version == 1, "resend: the same deal");
    s_deal_free (&twin);
    CHECK (s_count ("SELECT count(*) FROM sales.deals WHERE client_id = $1::bigint", client_a) == 1,
           "one deal for client A");
    Crmq__DealEvent *event;
    char *topics = s_events (seq, deal1, &event);
    CHECK (streq (topics, "sales.deal.created"), "one event: %s", topics);
    CHECK (event && event->stage_change && event->stage_change->to_stage_id == qualification
           && event->stage_change->from_stage_id == 0 && streq (event->deal->title, draft.title)
           && streq (event->actor, "менеджер «Тест»"), "the created event names the deal and its stage");
    free (topics);
    if (event)
        crmq__deal_event__free_unpacked (event, NULL);
    {
        Crmq__SavePipelineRequest request = CRMQ__SAVE_PIPELINE_REQUEST__INIT;
        Crmq__Pipeline pipeline = CRMQ__PIPELINE__INIT;
        pipeline.name = "x";
        request.pipeline = &pipeline;
        request.request_key = "deals-test-create-key-1";
        Crmq__Stage stage = CRMQ__STAGE__INIT, won_stage = CRMQ__STAGE__INIT, lost_stage = CRMQ__STAGE__INIT;
        stage.name = "a";
        won_stage.name = "b";
        won_stage.outcome = "won";
        lost_stage.name = "c";
        lost_stage.outcome = "lost";
        Crmq__Stage *stages [3] = { &stage, &won_stage, &lost_stage };
        pipeline.stages = stages;
        pipeline.n_stages = 3;
        s_refused ("a deal's request key for a pipeline", "sales.SavePipeline", &request.base,
                   CRMQ_ALREADY_EXISTS, "request_key");
    }

    //  ----------------------------------------------------------------------
    printf ("a client and a manager only crmq-contacts knows\n");
    Crmq__Client fresh = CRMQ__CLIENT__INIT;
    fresh.name = "Новый «клиент» без ERP";
    Crmq__ClientRequest client_request = CRMQ__CLIENT_REQUEST__INIT;
    client_request.client = &fresh;
    client_request.actor = "test";
    Crmq__ClientReply *created;
    code = test_call (s_contacts, "contacts.CreateClient", &client_request.base,
                      &crmq__client_reply__descriptor, (ProtobufCMessage **) &created);
    CHECK (code == CRMQ_OK, "CreateClient: code %d %s", code, crmq_rpc_client_message (s_contacts));
    int64_t client_c = code == CRMQ_OK? created->client->id: 0;
    if (code == CRMQ_OK)
        protobuf_c_message_free_unpacked (&created->base, NULL);
    Crmq__Manager contacts_manager = CRMQ__MANAGER__INIT;
    contacts_manager.external_id = "DL-MGR2";
    contacts_manager.name = "Only in contacts";
    contacts_manager.active = true;
    Crmq__Manager *managers [1] = { &contacts_manager };
    Crmq__UpsertManagersRequest upsert = CRMQ__UPSERT_MANAGERS_REQUEST__INIT;
    upsert.n_managers = 1;
    upsert.managers = managers;
    code = test_call (s_contacts, "contacts.UpsertManagers", &upsert.base, NULL, NULL);
    int64_t manager2 = s_manager_id ("DL-MGR2");
    CHECK (code == CRMQ_OK && manager2 > 0, "UpsertManagers: code %d", code);
    CHECK (s_count ("SELECT count(*) FROM sales.clients WHERE id = $1::bigint", client_c) == 0
           && s_count ("SELECT count(*) FROM sales.managers WHERE id = $1::bigint", manager2) == 0,
           "crmq-sales has not seen them");
    draft = s_draft ("Первая сделка", client_c, manager2, NULL);
    draft.pipeline_id = enterprise_id;
    Crmq__Deal *deal_c = s_create (&draft, NULL);
    int64_t deal3 = deal_c? deal_c->id: 0;
    CHECK (deal_c && deal_c->client_id == client_c && deal_c->manager_id == manager2
           && deal_c->stage_id == lead && streq (deal_c->amount->currency, "USD")
           && deal_c->amount->units == 0, "deal for them: first stage of its pipeline, 0 USD");
    s_deal_free (&deal_c);
    CHECK (s_count ("SELECT count(*) FROM sales.clients WHERE id = $1::bigint", client_c) == 1
           && s_count ("SELECT count(*) FROM sales.managers WHERE id = $1::bigint", manager2) == 1,
           "now recorded in crmq-sales");

    //  ----------------------------------------------------------------------
    printf ("moves through the stages: history in order with times and actors\n");
    seq = s_last_seq ();
    deal_c = s_move (deal1, proposal, 0, 1, "Иван");
    CHECK (deal_c && deal_c->stage_id == proposal && deal_c->version == 2
           && deal_c->stage_entered_at_us > deal->stage_entered_at_us, "in Proposal, version 2");
    s_deal_free (&deal_c);
    deal_c = s_move (deal1, negotiation, 0, 0, "Мария");
    CHECK (deal_c && deal_c->stage_id == negotiation && deal_c->version == 3, "in Negotiation");
    s_deal_free (&deal_c);
    deal_c = s_move (deal1, negotiation, 0, 3, "Мария");
    CHECK (deal_c && deal_c->version == 3, "moving to its own stage changes nothing");
    s_deal_free (&deal_c);
    Crmq__GetDealReply *card = s_get (deal1);
    CHECK (card && card->n_history == 3, "three stays");
    if (card && card->n_history == 3) {
        Crmq__DealStageEntry **h = card->history;
        CHECK (h [0]->stage_id == qualification && h [1]->stage_id == proposal
               && h [2]->stage_id == negotiation, "in order: Qualification, Proposal, Negotiation");
        CHECK (h [0]->entered_at_us == deal->created_at_us && h [0]->left_at_us == h [1]->entered_at_us
               && h [1]->left_at_us == h [2]->entered_at_us && h [2]->left_at_us == 0
               && h [0]->entered_at_us < h [1]->entered_at_us && h [1]->entered_at_us < h [2]->entered_at_us,
               "each stay ends when the next begins; the last is open");
        CHECK (streq (h [0]->actor, "менеджер «Тест»") && streq (h [1]->actor, "Иван")
               && streq (h [2]->actor, "Мария"), "actors %s %s %s", h [0]->actor, h [1]->actor, h [2]->actor);
        CHECK (streq (h [1]->stage_name, "Proposal") && streq (h [2]->outcome, "open"), "names, outcomes");
    }
    if (card)
        protobuf_c_message_free_unpacked (&card->base, NULL);
    topics = s_events (seq, deal1, &event);
    CHECK (streq (topics, "sales.deal.stage_changed sales.deal.stage_changed"), "events: %s", topics);
    CHECK (event && event->stage_change->from_stage_id == proposal
           && event->stage_change->to_stage_id == negotiation
           && streq (event->stage_change->from_status, "open") && event->stage_change->at_us > 0
           && event->deal->version == 3, "the last names both stages");
    free (topics);
    if (event)
        crmq__deal_event__free_unpacked (event, NULL);
    s_deal_free (&deal);

    //  ----------------------------------------------------------------------
    printf ("lost with a reason, reopened, won\n");
    seq = s_last_seq ();
    deal = s_close (deal1, "lost", "Цена «дорого», \"конкурент\"");
    CHECK (deal && streq (deal->status, "lost") && deal->stage_id == lost && deal->closed_at_us > 0
           && streq (deal->lost_reason, "Цена «дорого», \"конкурент\""), "lost in Lost with the reason");
    s_deal_free (&deal);
    deal = s_close (deal1, "lost", "Цена «дорого», \"конкурент\"");
    CHECK (deal && deal->version == 4, "closing again as it is changes nothing");
    s_deal_free (&deal);
    deal = s_move (deal1, proposal, 0, 0, "Иван");
    CHECK (deal && streq (deal->status, "open") && deal->closed_at_us == 0 && !*deal->lost_reason
           && deal->stage_id == proposal, "reopened in Proposal");
    s_deal_free (&deal);
    deal = s_close (deal1, "won", "");
    CHECK (deal && streq (deal->status, "won") && deal->stage_id == won && deal->closed_at_us > 0
           && deal->version == 6, "won");
    s_deal_free (&deal);
    topics = s_events (seq, deal1, &event);
    CHECK (streq (topics, "sales.deal.lost sales.deal.stage_changed sales.deal.won"), "events: %s", topics);
    CHECK (event && event->stage_change->from_stage_id == proposal && event->stage_change->to_stage_id == won,
           "won from Proposal");
    free (topics);
    if (event)
        crmq__deal_event__free_unpacked (event, NULL);
    card = s_get (deal1);
    CHECK (card && card->n_history == 6 && card->history [3]->stage_id == lost
           && card->history [4]->stage_id == proposal && card->history [5]->stage_id == won
           && streq (card->history [5]->outcome, "won"), "six stays");
    if (card)
        protobuf_c_message_free_unpacked (&card->base, NULL);

    //  ----------------------------------------------------------------------
    printf ("updates: the fields named, a version, no-op updates\n");
    Crmq__Deal second = s_draft ("Второй", client_a, 0, NULL);
    second.stage_id = proposal;
    deal = s_create (&second, NULL);
    int64_t deal2 = deal? deal->id: 0;
    CHECK (deal && deal->stage_id == proposal && deal->manager_id == 0, "created in Proposal without a manager");
    s_deal_free (&deal);
    seq = s_last_seq ();
    Crmq__Money rub = CRMQ__MONEY__INIT;
    rub.currency = "RUB";
    rub.units = 99;
    rub.nanos = 990000000;
    Crmq__Deal change = CRMQ__DEAL__INIT;
    change.id = deal2;
    change.title = "Второй «обновлён»";
    change.amount = &rub;
    change.manager_id = manager;
    change.version = 1;
    char *fields [3] = { "title", "amount", "manager_id" };
    Crmq__DealRequest update = CRMQ__DEAL_REQUEST__INIT;
    update.deal = &change;
    update.fields = fields;
    update.n_fields = 3;
    update.actor = "editor";
    deal = s_write ("sales.UpdateDeal", &update.base, CRMQ_OK);
    CHECK (deal && streq (deal->title, "Второй «обновлён»") && streq (deal->amount->currency, "RUB")
           && deal->amount->units == 99 && deal->manager_id == manager && deal->version == 2,
           "updated, version 2");
    s_deal_free (&deal);
    deal = s_write ("sales.UpdateDeal", &update.base, CRMQ_FAILED_PRECONDITION);
    CHECK (streq (crmq_rpc_client_field (s_sales), "deal.version"), "version 1 is stale now");
    change.version = 0;
    deal = s_write ("sales.UpdateDeal", &update.base, CRMQ_OK);
    CHECK (deal && deal->version == 2, "the same values again: nothing written");
    s_deal_free (&deal);
    topics = s_events (seq, deal2, &event);
    CHECK (streq (topics, "sales.deal.updated"), "one event: %s", topics);
    CHECK (event && event->n_fields == 3 && streq (event->fields [0], "title")
           && streq (event->fields [1], "manager_id") && streq (event->fields [2], "amount"),
           "it names what changed");
    free (topics);
    if (event)
        crmq__deal_event__free_unpacked (event, NULL);

    //  ----------------------------------------------------------------------
    printf ("orders: linked once, to a deal of their client\n");
    seq = s_last_seq ();
    Crmq__GetDealReply *linked;
    code = s_link ("sales.LinkOrder", deal2, "DL-O1", &linked);
    CHECK (code == CRMQ_OK && linked->n_orders == 1 && streq (linked->orders [0]->external_id, "DL-O1")
           && linked->orders [0]->amount->units == 200 && streq (linked->orders [0]->actor, "linker")
           && linked->deal->version == 3, "DL-O1 linked: code %d %s", code, crmq_rpc_client_message (s_sales));
    if (code == CRMQ_OK)
        protobuf_c_message_free_unpacked (&linked->base, NULL);
    code = s_link ("sales.LinkOrder", deal2, "DL-O1", &linked);
    CHECK (code == CRMQ_OK && linked->n_orders == 1 && linked->deal->version == 3, "again: nothing changes");
    if (code == CRMQ_OK)
        protobuf_c_message_free_unpacked (&linked->base, NULL);
    code = s_link ("sales.LinkOrder", deal2, "DL-O2", &linked);
    CHECK (code == CRMQ_OK && linked->n_orders == 2, "DL-O2 linked too");
    if (code == CRMQ_OK)
        protobuf_c_message_free_unpacked (&linked->base, NULL);
    code = s_link ("sales.UnlinkOrder", deal2, "DL-O2", &linked);
    CHECK (code == CRMQ_OK && linked->n_orders == 1, "DL-O2 unlinked");
    if (code == CRMQ_OK)
        protobuf_c_message_free_unpacked (&linked->base, NULL);
    topics = s_events (seq, deal2, &event);
    CHECK (streq (topics, "sales.deal.updated sales.deal.updated sales.deal.updated"), "events: %s", topics);
    CHECK (event && streq (event->order_external_id, "DL-O2") && !event->order_linked
           && event->n_fields == 1 && streq (event->fields [0], "orders"), "the last tells the unlink");
    free (topics);
    if (event)
        crmq__deal_event__free_unpacked (event, NULL);
    {
        Crmq__DealOrderRequest request = CRMQ__DEAL_ORDER_REQUEST__INIT;
        request.deal_id = deal1;
        request.order_external_id = "DL-O1";
        s_refused ("an order of another deal", "sales.LinkOrder", &request.base,
                   CRMQ_FAILED_PRECONDITION, "order_external_id");
        request.order_external_id = "DL-O3";
        s_refused ("an order of another client", "sales.LinkOrder", &request.base,
                   CRMQ_FAILED_PRECONDITION, "order_external_id");
        request.order_external_id = "DL-NONE";
        s_refused ("an unknown order", "sales.LinkOrder", &request.base, CRMQ_NOT_FOUND,
                   "order_external_id");
        request.order_external_id = "DL-O1";
        s_refused ("unlinking another deal's order", "sales.UnlinkOrder", &request.base,
                   CRMQ_FAILED_PRECONDITION, "order_external_id");
        Crmq__Deal move_client = CRMQ__DEAL__INIT;
        move_client.id = deal2;
        move_client.client_id = client_b;
        char *client_field [1] = { "client_id" };
        Crmq__DealRequest request2 = CRMQ__DEAL_REQUEST__INIT;
        request2.deal = &move_client;
        request2.fields = client_field;
        request2.n_fields = 1;
        s_refused ("another client for a deal with orders", "sales.UpdateDeal", &request2.base,
                   CRMQ_FAILED_PRECONDITION, "deal.client_id");
    }

    //  ----------------------------------------------------------------------
    printf ("a merged client's deals go to the survivor\n");
    draft = s_draft ("Сделка клиента, который сольётся", client_m, 0, NULL);
    deal = s_create (&draft, NULL);
    int64_t deal4 = deal? deal->id: 0;
    s_deal_free (&deal);
    Crmq__MergeClientsRequest merge = CRMQ__MERGE_CLIENTS_REQUEST__INIT;
    merge.survivor_id = client_b;
    merge.merged_id = client_m;
    merge.actor = "test";
    code = test_call (s_contacts, "contacts.MergeClients", &merge.base, NULL, NULL);
    CHECK (code == CRMQ_OK, "MergeClients: code %d %s", code, crmq_rpc_client_message (s_contacts));
    long long moved = 0;
    for (int attempt = 0; attempt < 100 && moved != 1; attempt++) {
        zclock_sleep (100);
        moved = s_count ("SELECT count(*) FROM sales.deals WHERE client_id = $1::bigint", client_b);
    }
    CHECK (moved == 1, "the deal moved to the survivor (%lld)", moved);
    draft = s_draft ("Ещё одна на слитого клиента", client_m, 0, NULL);
    deal = s_create (&draft, NULL);
    int64_t deal5 = deal? deal->id: 0;
    CHECK (deal && deal->client_id == client_b && streq (deal->client_external_id, "DL-B"),
           "a new deal for the merged client is the survivor's");
    s_deal_free (&deal);

    //  ----------------------------------------------------------------------
    printf ("another pipeline: a move there needs pipeline_id\n");
    {
        Crmq__MoveDealRequest request = CRMQ__MOVE_DEAL_REQUEST__INIT;
        request.deal_id = deal2;
        request.stage_id = demo;
        s_refused ("a stage of another pipeline", "sales.MoveDeal", &request.base,
                   CRMQ_INVALID_ARGUMENT, "stage_id");
        request.stage_id = won;
        s_refused ("a won stage", "sales.MoveDeal", &request.base, CRMQ_INVALID_ARGUMENT, "stage_id");
        request.stage_id = proposal;
        request.version = 1;
        s_refused ("a stale version", "sales.MoveDeal", &request.base, CRMQ_FAILED_PRECONDITION, "version");
    }
    deal = s_move (deal2, demo, enterprise_id, 0, "mover");
    CHECK (deal && deal->pipeline_id == enterprise_id && deal->stage_id == demo
           && streq (deal->stage_name, "Demo \"live\""), "moved to Enterprise / Demo");
    s_deal_free (&deal);
    deal = s_close (deal2, "lost", "No budget this year");
    CHECK (deal && deal->stage_id == refused, "lost in the first lost stage (%s)", deal? deal->stage_name: "?");
    s_deal_free (&deal);
    {
        Crmq__CloseDealRequest request = CRMQ__CLOSE_DEAL_REQUEST__INIT;
        request.deal_id = deal2;
        request.outcome = "lost";
        request.lost_reason = "Бюджет";
        request.stage_id = no_budget;
        request.actor = "head";
        deal = s_write ("sales.CloseDeal", &request.base, CRMQ_OK);
        CHECK (deal && deal->stage_id == no_budget && streq (deal->lost_reason, "Бюджет"),
               "lost, in another lost stage");
        s_deal_free (&deal);
        request.stage_id = lost;
        s_refused ("a lost stage of another pipeline", "sales.CloseDeal", &request.base,
                   CRMQ_INVALID_ARGUMENT, "stage_id");
        request.stage_id = signed_stage;
        s_refused ("a won stage to lose in", "sales.CloseDeal", &request.base,
                   CRMQ_INVALID_ARGUMENT, "stage_id");
        request.stage_id = 0;
        request.lost_reason = "";
        s_refused ("lost without a reason", "sales.CloseDeal", &request.base,
                   CRMQ_INVALID_ARGUMENT, "lost_reason");
        request.lost_reason = " \t ";
        s_refused ("lost with a blank reason", "sales.CloseDeal", &request.base,
                   CRMQ_INVALID_ARGUMENT, "lost_reason");
        request.outcome = "won";
        request.lost_reason = "why";
        s_refused ("won with a reason", "sales.CloseDeal", &request.base, CRMQ_INVALID_ARGUMENT,
                   "lost_reason");
        request.outcome = "maybe";
        s_refused ("an unknown outcome", "sales.CloseDeal", &request.base, CRMQ_INVALID_ARGUMENT,
                   "outcome");
        request.outcome = "won";
        request.lost_reason = "";
        request.deal_id = 999999999;
        s_refused ("an unknown deal", "sales.CloseDeal", &request.base, CRMQ_NOT_FOUND, "deal_id");
    }

    //  ----------------------------------------------------------------------
    printf ("pipelines change: stages reordered, renamed, taken out; those holding deals stay\n");
    {
        //  deal3 sits in Лид «входящий»
        const stage_spec_t without_lead [] = {
            { demo, "Demo \"live\"", 500, 10, "open" },
            { contract, "Contract", 800, 0, "open" },
            { signed_stage, "Подписан", 1000, 0, "won" },
            { refused, "Отказ", 0, 0, "lost" },
            { no_budget, "No budget", 0, 0, "lost" } };
        s_save_pipeline (enterprise_id, "Enterprise «Ключевые»", without_lead, 5, false, NULL, NULL);
        //  reordered (Contract before Demo), Demo renamed, a new stage, the
        //  empty "Отказ" taken out (deal2 sits in "No budget"), name
        //  matched by id 0 for Contract
        const stage_spec_t reordered [] = {
            { lead, "Лид «входящий»", 100, 7, "open" },
            { 0, "contract", 800, 0, "open" },
            { demo, "Демонстрация", 550, 5, "open" },
            { 0, "Pilot", 900, 30, "open" },
            { signed_stage, "Подписан", 1000, 0, "won" },
            { no_budget, "No budget", 0, 0, "lost" } };
        code = s_save_pipeline (enterprise_id, "Enterprise «Ключевые»", reordered, 6, false, NULL, &again);
        CHECK (code == CRMQ_OK, "SavePipeline: code %d %s (%s)", code, crmq_rpc_client_message (s_sales),
               crmq_rpc_client_field (s_sales));
        if (code == CRMQ_OK) {
            Crmq__Pipeline *p = again->pipeline;
            CHECK (p->n_stages == 6 && p->version == 2, "six stages, version 2 (%d)", (int) p->version);
            CHECK (p->n_stages == 6 && p->stages [1]->id == contract && streq (p->stages [1]->name, "contract")
                   && p->stages [2]->id == demo && streq (p->stages [2]->name, "Демонстрация")
                   && p->stages [2]->position == 3 && p->stages [3]->id > 0
                   && streq (p->stages [3]->name, "Pilot") && !s_stage (p, "Отказ"),
                   "Contract kept by name and moved up, Demo renamed, Pilot new, Отказ out");
            CHECK (s_stage (p, "No budget") && s_stage (p, "No budget")->deals == 1
                   && s_stage (p, "Лид «входящий»")->deals == 1, "deal counts");
            protobuf_c_message_free_unpacked (&again->base, NULL);
        }
        code = s_save_pipeline (enterprise_id, "Enterprise «Ключевые»", reordered, 6, false, NULL, &again);
        CHECK (code == CRMQ_OK && again->pipeline->version == 2, "the same again: version stays");
        if (code == CRMQ_OK)
            protobuf_c_message_free_unpacked (&again->base, NULL);
        const stage_spec_t lead_final [] = {
            { contract, "contract", 800, 0, "open" },
            { signed_stage, "Подписан", 1000, 0, "won" },
            { lead, "Лид «входящий»", 0, 0, "lost" },
            { no_budget, "No budget", 0, 0, "lost" } };
        char *before = s_state ();
        s_save_pipeline (enterprise_id, "Enterprise «Ключевые»", lead_final, 4, false, NULL, NULL);
        char *after = s_state ();
        CHECK (streq (before, after), "nothing changed");
        free (before);
        free (after);
        card = s_get (deal2);
        CHECK (card && card->n_history == 4 && streq (card->history [2]->stage_name, "Отказ"),
               "the history keeps the stage taken out");
        if (card)
            protobuf_c_message_free_unpacked (&card->base, NULL);
        const stage_spec_t bad_stages [] = {
            { 0, "a", 100, 0, "won" },
            { 0, "b", 100, 0, "open" },
            { 0, "c", 0, 0, "lost" } };
        Crmq__PipelineReply *none;
        code = s_save_pipeline (0, "bad order", bad_stages, 3, false, NULL, &none);
        CHECK (code == CRMQ_INVALID_ARGUMENT, "an open stage after the won one: code %d", code);
        code = s_save_pipeline (0, "sales", bad_stages, 0, false, NULL, &none);
        CHECK (code == CRMQ_INVALID_ARGUMENT && streq (crmq_rpc_client_field (s_sales), "pipeline.stages"),
               "no stages: code %d", code);
        const stage_spec_t twice [] = {
            { 0, "Этап", 100, 0, "open" },
            { 0, "ЭТАП", 100, 0, "open" },
            { 0, "w", 1000, 0, "won" },
            { 0, "l", 0, 0, "lost" } };
        code = s_save_pipeline (0, "twice", twice, 4, false, NULL, &none);
        CHECK (code == CRMQ_INVALID_ARGUMENT && streq (crmq_rpc_client_field (s_sales),
               "pipeline.stages[1].name"), "a name twice in any case: code %d %s", code,
               crmq_rpc_client_field (s_sales));
        code = s_save_pipeline (0, "SALES", twice + 1, 3, false, NULL, &none);
        CHECK (code == CRMQ_ALREADY_EXISTS && streq (crmq_rpc_client_field (s_sales), "pipeline.name"),
               "a taken name in any case: code %d", code);
        const stage_spec_t odd [] = {
            { 0, "o", 1200, 0, "open" },
            { 0, "w", 1000, 0, "won" },
            { 0, "l", 0, 0, "lost" } };
        code = s_save_pipeline (0, "odd", odd, 3, false, NULL, &none);
        CHECK (code == CRMQ_INVALID_ARGUMENT && streq (crmq_rpc_client_field (s_sales),
               "pipeline.stages[0].probability"), "probability 1.2: code %d", code);
        const stage_spec_t foreign [] = {
            { qualification, "o", 100, 0, "open" },
            { 0, "w", 1000, 0, "won" },
            { 0, "l", 0, 0, "lost" } };
        code = s_save_pipeline (enterprise_id, "Enterprise «Ключевые»", foreign, 3, false, NULL, &none);
        CHECK (code == CRMQ_NOT_FOUND && streq (crmq_rpc_client_field (s_sales), "pipeline.stages[0].id"),
               "another pipeline's stage: code %d", code);
        code = s_save_pipeline (999999, "nope", odd + 1, 2, false, NULL, &none);
        CHECK (code == CRMQ_INVALID_ARGUMENT, "no open stage: code %d", code);
    }

    //  ----------------------------------------------------------------------
    printf ("rotting: longer in a stage than its rotting days, days in the company's zone\n");
    draft = s_draft ("Гниющая", client_a, manager, NULL);
    deal = s_create (&draft, NULL);
    int64_t deal6 = deal? deal->id: 0;
    s_deal_free (&deal);
    s_count ("UPDATE sales.deals SET stage_entered_at = now () - interval '15 days'"
             " WHERE id = $1::bigint RETURNING 1", deal6);
    s_count ("UPDATE sales.deals SET stage_entered_at = now () - interval '14 days'"
             " WHERE id = $1::bigint RETURNING 1", deal5);
    card = s_get (deal6);
    CHECK (card && card->deal->rotting, "15 days in Qualification (14): rotting");
    if (card)
        protobuf_c_message_free_unpacked (&card->base, NULL);
    card = s_get (deal5);
    CHECK (card && !card->deal->rotting, "14 days: not yet");
    if (card)
        protobuf_c_message_free_unpacked (&card->base, NULL);

    //  ----------------------------------------------------------------------
    printf ("lists: every filter, keyset pages\n");
    {
        Crmq__ListDealsRequest request = CRMQ__LIST_DEALS_REQUEST__INIT;
        char *ids = s_list (&request, 2), *expected = s_expected ("true");
        CHECK (streq (ids, expected), "all: %s, expected %s", ids, expected);
        free (ids);
        free (expected);
        char where [256];
        request.client_id = client_a;
        ids = s_list (&request, 1);
        snprintf (where, sizeof where, "d.client_id = %" PRId64, client_a);
        expected = s_expected (where);
        char *mine = zsys_sprintf ("%" PRId64 " %" PRId64 " %" PRId64, deal1, deal2, deal6);
        CHECK (streq (ids, expected) && streq (ids, mine), "client A: %s, expected %s", ids, mine);
        free (ids);
        free (expected);
        free (mine);
        request.client_id = client_m;
        ids = s_list (&request, 100);
        mine = zsys_sprintf ("%" PRId64 " %" PRId64, deal4, deal5);
        CHECK (streq (ids, mine), "the merged client's id lists the survivor's: %s", ids);
        free (ids);
        free (mine);
        request.client_id = 0;
        request.status = "open";
        request.manager_id = manager;
        ids = s_list (&request, 3);
        snprintf (where, sizeof where, "d.status = 'open' AND d.manager_id = %" PRId64, manager);
        expected = s_expected (where);
        CHECK (streq (ids, expected), "open of the manager: %s, expected %s", ids, expected);
        free (ids);
        free (expected);
        request.manager_id = 0;
        request.status = "";
        request.rotting_only = true;
        ids = s_list (&request, 100);
        expected = s_expected ("d.status = 'open' AND (SELECT rotting_days FROM sales.stages s"
                               " WHERE s.id = d.stage_id) BETWEEN 1 AND"
                               " (now () AT TIME ZONE 'UTC')::date"
                               " - (d.stage_entered_at AT TIME ZONE 'UTC')::date - 1");
        CHECK (streq (ids, expected) && *ids, "rotting: %s, expected %s", ids, expected);
        free (ids);
        free (expected);
        request.rotting_only = false;
        request.pipeline_id = enterprise_id;
        ids = s_list (&request, 100);
        mine = zsys_sprintf ("%" PRId64 " %" PRId64, deal3, deal2);
        CHECK (streq (ids, mine), "Enterprise: %s", ids);
        free (ids);
        free (mine);
        request.pipeline_id = 0;
        request.stage_id = won;
        ids = s_list (&request, 100);
        snprintf (where, sizeof where, "d.stage_id = %" PRId64, won);
        expected = s_expected (where);
        CHECK (streq (ids, expected) && *ids, "in Won: %s", ids);
        free (ids);
        free (expected);
        request.stage_id = 0;
        request.pipeline_id = 999999999;
        s_refused ("an unknown pipeline", "sales.ListDeals", &request.base, CRMQ_NOT_FOUND, "pipeline_id");
        request.pipeline_id = 0;
        request.status = "closed";
        s_refused ("an unknown status", "sales.ListDeals", &request.base, CRMQ_INVALID_ARGUMENT, "status");
        request.status = "";
        request.limit = 1001;
        code = s_call ("sales.ListDeals", &request.base, NULL, NULL);
        CHECK (code == CRMQ_INVALID_ARGUMENT && streq (crmq_rpc_client_field (s_sales), "limit"),
               "limit 1001: code %d", code);
    }

    //  ----------------------------------------------------------------------
    printf ("bad deals change nothing\n");
    {
        Crmq__Money money = CRMQ__MONEY__INIT;
        Crmq__Deal bad = s_draft ("Хорошее название", client_a, 0, &money);
        Crmq__DealRequest request = CRMQ__DEAL_REQUEST__INIT;
        request.deal = &bad;
        request.actor = "tester";
        struct { const char *label; const char *title; int code; const char *field; } titles [] = {
            { "a blank title", "   ", CRMQ_INVALID_ARGUMENT, "deal.title" },
            { "an empty title", "", CRMQ_INVALID_ARGUMENT, "deal.title" },
            { "a title with a tab", "a\tb", CRMQ_INVALID_ARGUMENT, "deal.title" },
            { "a title with a line break", "a\nb", CRMQ_INVALID_ARGUMENT, "deal.title" },
            { "a title with a bidi override", "a\xe2\x80\xae" "b", CRMQ_INVALID_ARGUMENT, "deal.title" },
            { "a title that is not UTF-8", "a\xff", CRMQ_INVALID_ARGUMENT, "deal.title" },
        };
        for (size_t i = 0; i < sizeof titles / sizeof titles [0]; i++) {
            bad.title = (char *) titles [i].title;
            s_refused (titles [i].label, "sales.CreateDeal", &request.base, titles [i].code, titles [i].field);
        }
        char long_title [302];
        memset (long_title, 'x', 301);
        long_title [301] = 0;
        bad.title = long_title;
        s_refused ("a title of 301 bytes", "sales.CreateDeal", &request.base, CRMQ_INVALID_ARGUMENT, "deal.title");
        bad.title = "Хорошее название";
        money.units = -1;
        s_refused ("a negative amount", "sales.CreateDeal", &request.base, CRMQ_INVALID_ARGUMENT, "deal.amount");
        money.units = 0;
        money.nanos = -5;
        s_refused ("negative nanos", "sales.CreateDeal", &request.base, CRMQ_INVALID_ARGUMENT, "deal.amount");
        money.nanos = 1000000000;
        s_refused ("nanos of 1e9", "sales.CreateDeal", &request.base, CRMQ_INVALID_ARGUMENT, "deal.amount");
        money.nanos = 0;
        money.units = 1000000000000000LL;
        s_refused ("an amount of 10^15", "sales.CreateDeal", &request.base, CRMQ_INVALID_ARGUMENT, "deal.amount");
        money.units = 10;
        const char *currencies [] = { "usd", "EURO", "US", "U$D", "ЕВР" };
        for (size_t i = 0; i < 5; i++) {
            money.currency = (char *) currencies [i];
            s_refused (currencies [i], "sales.CreateDeal", &request.base, CRMQ_INVALID_ARGUMENT,
                       "deal.amount.currency");
        }
        money.currency = "";
        bad.expected_close_date = "2025-02-30";
        s_refused ("a date that is none", "sales.CreateDeal", &request.base, CRMQ_INVALID_ARGUMENT,
                   "deal.expected_close_date");
        bad.expected_close_date = "31.12.2025";
        s_refused ("a date not YYYY-MM-DD", "sales.CreateDeal", &request.base, CRMQ_INVALID_ARGUMENT,
                   "deal.expected_close_date");
        bad.expected_close_date = "";
        bad.client_id = 0;
        s_refused ("no client", "sales.CreateDeal", &request.base, CRMQ_INVALID_ARGUMENT, "deal.client_id");
        bad.client_id = 999999999;
        s_refused ("an unknown client", "sales.CreateDeal", &request.base, CRMQ_NOT_FOUND, "deal.client_id");
        bad.client_id = client_a;
        bad.manager_id = 999999999;
        s_refused ("an unknown manager", "sales.CreateDeal", &request.base, CRMQ_NOT_FOUND, "deal.manager_id");
        bad.manager_id = -2;
        s_refused ("a negative manager", "sales.CreateDeal", &request.base, CRMQ_INVALID_ARGUMENT,
                   "deal.manager_id");
        bad.manager_id = 0;
        bad.pipeline_id = 999999999;
        s_refused ("an unknown pipeline", "sales.CreateDeal", &request.base, CRMQ_NOT_FOUND, "deal.pipeline_id");
        bad.pipeline_id = 0;
        bad.stage_id = 999999999;
        s_refused ("an unknown stage", "sales.CreateDeal", &request.base, CRMQ_NOT_FOUND, "deal.stage_id");
        bad.stage_id = demo;
        bad.pipeline_id = sales_id;
        s_refused ("a stage of another pipeline", "sales.CreateDeal", &request.base,
                   CRMQ_INVALID_ARGUMENT, "deal.stage_id");
        bad.pipeline_id = 0;
        bad.stage_id = won;
        s_refused ("a won stage", "sales.CreateDeal", &request.base, CRMQ_INVALID_ARGUMENT, "deal.stage_id");
        bad.stage_id = 0;
        bad.status = "won";
        s_refused ("a new deal won", "sales.CreateDeal", &request.base, CRMQ_INVALID_ARGUMENT, "deal.status");
        bad.status = "";
        bad.lost_reason = "x";
        s_refused ("a new deal with a lost reason", "sales.CreateDeal", &request.base,
                   CRMQ_INVALID_ARGUMENT, "deal.lost_reason");
        bad.lost_reason = "";
        request.request_key = "short";
        s_refused ("a short request key", "sales.CreateDeal", &request.base, CRMQ_INVALID_ARGUMENT, "request_key");
        request.request_key = "";
        request.actor = "a\nb";
        s_refused ("an actor with a line break", "sales.CreateDeal", &request.base,
                   CRMQ_INVALID_ARGUMENT, "actor");
        request.actor = "tester";

        //  a title holding a NUL byte on the wire
        bad.title = "abcXdef";
        size_t size = protobuf_c_message_get_packed_size (&request.base);
        uint8_t *packed = (uint8_t *) malloc (size);
        protobuf_c_message_pack (&request.base, packed);
        uint8_t *x = (uint8_t *) memmem (packed, size, "abcXdef", 7);
        CHECK (x != NULL, "the title is in the packed request");
        if (x)
            x [3] = 0;
        char *before = s_state ();
        uint8_t *reply_body = NULL;
        size_t reply_size = 0;
        code = crmq_rpc_call_raw (s_sales, "sales.CreateDeal", packed, size, 2, &reply_body, &reply_size);
        CHECK (code == CRMQ_INVALID_ARGUMENT, "a NUL byte in the title: code %d", code);
        free (reply_body);
        code = crmq_rpc_call_raw (s_sales, "sales.UpdateDeal", "\xff\xff\xff", 3, 2, &reply_body, &reply_size);
        CHECK (code == CRMQ_INVALID_ARGUMENT, "a malformed body: code %d", code);
        free (reply_body);
        char *after = s_state ();
        CHECK (streq (before, after), "nothing changed");
        free (before);
        free (after);
        free (packed);

        Crmq__Deal edit = CRMQ__DEAL__INIT;
        edit.id = deal3;
        edit.title = "x";
        char *bad_fields [1] = { "stage_id" };
        Crmq__DealRequest edit_request = CRMQ__DEAL_REQUEST__INIT;
        edit_request.deal = &edit;
        edit_request.fields = bad_fields;
        edit_request.n_fields = 1;
        s_refused ("UpdateDeal of the stage", "sales.UpdateDeal", &edit_request.base,
                   CRMQ_INVALID_ARGUMENT, "fields");
        edit_request.n_fields = 0;
        s_refused ("UpdateDeal of no field", "sales.UpdateDeal", &edit_request.base,
                   CRMQ_INVALID_ARGUMENT, "fields");
        bad_fields [0] = "lost_reason";
        edit_request.n_fields = 1;
        edit.lost_reason = "Дорого";
        s_refused ("a lost reason for an open deal", "sales.UpdateDeal", &edit_request.base,
                   CRMQ_FAILED_PRECONDITION, "deal.lost_reason");
        edit.id = deal2;
        edit.lost_reason = "";
        s_refused ("a lost deal's reason emptied", "sales.UpdateDeal", &edit_request.base,
                   CRMQ_INVALID_ARGUMENT, "deal.lost_reason");
        bad_fields [0] = "title";
        edit.id = 999999999;
        s_refused ("UpdateDeal of an unknown deal", "sales.UpdateDeal", &edit_request.base,
                   CRMQ_NOT_FOUND, "deal.id");
        Crmq__MoveDealRequest move = CRMQ__MOVE_DEAL_REQUEST__INIT;
        move.deal_id = 999999999;
        move.stage_id = proposal;
        s_refused ("MoveDeal of an unknown deal", "sales.MoveDeal", &move.base, CRMQ_NOT_FOUND, "deal_id");
        move.deal_id = deal3;
        move.stage_id = 999999999;
        s_refused ("MoveDeal to an unknown stage", "sales.MoveDeal", &move.base, CRMQ_NOT_FOUND, "stage_id");
        Crmq__GetDealRequest get = CRMQ__GET_DEAL_REQUEST__INIT;
        get.id = 999999999;
        code = s_call ("sales.GetDeal", &get.base, NULL, NULL);
        CHECK (code == CRMQ_NOT_FOUND && streq (crmq_rpc_client_field (s_sales), "id"),
               "GetDeal of an unknown deal: code %d", code);
    }

    if (saved)
        protobuf_c_message_free_unpacked (&saved->base, NULL);
    if (pipelines)
        protobuf_c_message_free_unpacked (&pipelines->base, NULL);
    crmq_rpc_client_destroy (&s_sales);
    crmq_rpc_client_destroy (&s_contacts);
    crmq_pg_destroy (&s_pg);
    printf ("test_deals: %s\n", s_failures? "FAIL": "PASS");
    return s_failures? 1: 0;
}

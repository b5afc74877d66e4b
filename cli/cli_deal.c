/*  cli_deal.c - pipelines and deals: sales.SavePipeline, ListPipelines,
    CreateDeal, UpdateDeal, MoveDeal, CloseDeal, LinkOrder, UnlinkOrder,
    GetDeal, ListDeals.  */
#include "cli_deal.h"
#include "cli_common.h"
#include "deals.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  --------------------------------------------------------------------------
//  Pipelines

static const cli_column_t s_stage_columns [] = {
    { "pipeline_id",  "pipeline id",  CLI_COLUMN_ID,      false },
    { "pipeline",     "pipeline",     CLI_COLUMN_TEXT,    false },
    { "is_default",   "default",      CLI_COLUMN_JSON,    false },
    { "stage_id",     "stage id",     CLI_COLUMN_ID,      false },
    { "position",     "#",            CLI_COLUMN_INTEGER, false },
    { "stage",        "stage",        CLI_COLUMN_TEXT,    false },
    { "outcome",      "outcome",      CLI_COLUMN_TEXT,    false },
    { "probability",  "probability",  CLI_COLUMN_DECIMAL, false },
    { "rotting_days", "rotting days", CLI_COLUMN_INTEGER, false },
    { "deals",        "deals",        CLI_COLUMN_INTEGER, false },
    { "version",      "version",      CLI_COLUMN_ID,      true },
};
#define S_STAGE_COLUMNS (sizeof s_stage_columns / sizeof s_stage_columns [0])

//  Exact decimal text of units + nanos ("0.25"), "?" when malformed.
static char *
s_decimal (int64_t units, int32_t nanos, char *buf, size_t size)
{
    if (crmq_decimal_format (units, nanos, buf, size) < 0)
        snprintf (buf, size, "?");
    return buf;
}

//  Adds one row a stage of `pipeline`.  Returns 0 or -1.
static int
s_pipeline_rows (cli_output_t *output, const Crmq__Pipeline *pipeline)
{
    for (size_t i = 0; i < pipeline->n_stages; i++) {
        const Crmq__Stage *stage = pipeline->stages [i];
        char pipeline_id [24], stage_id [24], position [16], probability [48], rotting [16],
             deals [24], version [24];
        snprintf (position, sizeof position, "%d", stage->position);
        snprintf (rotting, sizeof rotting, "%d", stage->rotting_days);
        snprintf (deals, sizeof deals, "%" PRId64, stage->deals);
        const char *cells [] = {
            cli_id_text (pipeline->id, pipeline_id, sizeof pipeline_id), pipeline->name,
            cli_bool_text (pipeline->is_default), cli_id_text (stage->id, stage_id, sizeof stage_id),
            position, stage->name, stage->outcome,
            stage->probability? s_decimal (stage->probability->units, stage->probability->nanos,
                                           probability, sizeof probability): "0",
            rotting, deals, cli_id_text (pipeline->version, version, sizeof version)
        };
        _Static_assert (sizeof cells / sizeof cells [0] == S_STAGE_COLUMNS, "a cell per column");
        if (cli_output_add_row (output, cells) != 0)
            return -1;
    }
    return 0;
}

//  Prints the stages of `count` pipelines.
static int
s_print_pipelines (cli_context_t *context, Crmq__Pipeline *const *pipelines, size_t count)
{
    cli_output_t *output = cli_output_new (context->format);
    bool built = output && cli_output_add_columns (output, s_stage_columns, S_STAGE_COLUMNS) == 0;
    for (size_t i = 0; built && i < count; i++)
        built = s_pipeline_rows (output, pipelines [i]) == 0;
    return cli_output_finish (&output, built);
}

static int
s_pipeline_list (cli_context_t *context)
{
    Crmq__ListPipelinesRequest request = CRMQ__LIST_PIPELINES_REQUEST__INIT;
    Crmq__ListPipelinesReply *reply;
    int rc = cli_call (context->rpc, "sales.ListPipelines", &request.base,
                       &crmq__list_pipelines_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    rc = s_print_pipelines (context, reply->pipelines, reply->n_pipelines);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

//  Reads "NAME[,PROBABILITY[,ROTTING_DAYS[,OUTCOME[,ID]]]]" into `stage`
//  (strings point into `text`, which is cut; the probability goes to
//  `probability`).  Returns 0, or -1 for anything else.
static int
s_stage_parse (char *text, Crmq__Stage *stage, Crmq__Decimal *probability)
{
    char *parts [5] = { text, NULL, NULL, NULL, NULL };
    size_t count = 1;
    for (char *comma = strchr (text, ','); comma; comma = strchr (comma + 1, ',')) {
        if (count == 5)
            return -1;
        *comma = 0;
        parts [count++] = comma + 1;
    }
    stage->name = parts [0];
    if (!*stage->name)
        return -1;
    stage->outcome = parts [3] && *parts [3]? parts [3]: "open";
    if (!streq (stage->outcome, "open") && !streq (stage->outcome, "won")
    &&  !streq (stage->outcome, "lost"))
        return -1;
    if (parts [1] && *parts [1]) {
        if (crmq_decimal_parse (parts [1], &probability->units, &probability->nanos) != 0)
            return -1;
        stage->probability = probability;
    }
    long long number;
    if (parts [2] && *parts [2]) {
        if (cli_int_parse (parts [2], 0, INT32_MAX, &number) != 0)
            return -1;
        stage->rotting_days = (int32_t) number;
    }
    if (parts [4] && *parts [4]) {
        if (cli_int_parse (parts [4], 1, INT64_MAX, &number) != 0)
            return -1;
        stage->id = number;
    }
    return 0;
}

//  Calls sales.SavePipeline with `request` and prints the pipeline it answers.
static int
s_call_pipeline (cli_context_t *context, const ProtobufCMessage *request)
{
    Crmq__PipelineReply *reply;
    int rc = cli_call (context->rpc, "sales.SavePipeline", request, &crmq__pipeline_reply__descriptor,
                       (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (reply->pipeline)
        rc = s_print_pipelines (context, &reply->pipeline, 1);
    else {
        fprintf (stderr, "crmq: sales.SavePipeline: reply without a pipeline\n");
        rc = CLI_EXIT_FAILURE;
    }
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

//  A request key made up for one operation, so that the RPC client's
//  resends of it do the operation once.
static void
s_request_key (char *buf, size_t size)
{
    zuuid_t *uuid = zuuid_new ();
    snprintf (buf, size, "crmq-cli-%s", uuid? zuuid_str_canonical (uuid): "");
    zuuid_destroy (&uuid);
}

static int
s_pipeline_save (cli_context_t *context)
{
    cli_args_t *args = context->args;
    char **specs;
    size_t count = cli_args_list (args, "stage", &specs);
    if (count == 0)
        return cli_args_usage (args, "pipeline save: give its stages (--stage NAME,...), in order");
    Crmq__Stage *stages = calloc (count, sizeof (Crmq__Stage));
    Crmq__Stage **pointers = calloc (count, sizeof (Crmq__Stage *));
    Crmq__Decimal *probabilities = calloc (count, sizeof (Crmq__Decimal));
    char **texts = calloc (count, sizeof (char *));
    int rc = stages && pointers && probabilities && texts? CLI_EXIT_OK: CLI_EXIT_FAILURE;
    if (rc != CLI_EXIT_OK)
        fprintf (stderr, "crmq: out of memory\n");
    for (size_t i = 0; rc == CLI_EXIT_OK && i < count; i++) {
        crmq__stage__init (&stages [i]);
        crmq__decimal__init (&probabilities [i]);
        texts [i] = strdup (specs [i]);
        if (!texts [i] || s_stage_parse (texts [i], &stages [i], &probabilities [i]) != 0)
            rc = cli_args_usage (args, "--stage: \"%s\" is not NAME[,PROBABILITY[,ROTTING_DAYS"
                                 "[,OUTCOME[,ID]]]] (outcome open, won or lost)", specs [i]);
        pointers [i] = &stages [i];
    }
    if (rc == CLI_EXIT_OK) {
        Crmq__Pipeline pipeline = CRMQ__PIPELINE__INIT;
        pipeline.name = (char *) cli_args_arg (args, 0);
        cli_args_fill (args, &pipeline.base);
        pipeline.stages = pointers;
        pipeline.n_stages = count;
        Crmq__SavePipelineRequest request = CRMQ__SAVE_PIPELINE_REQUEST__INIT;
        request.pipeline = &pipeline;
        request.actor = (char *) context->actor;
        char key [64] = "";
        if (!pipeline.id)
            s_request_key (key, sizeof key);
        request.request_key = key;
        rc = s_call_pipeline (context, &request.base);
    }
    for (size_t i = 0; texts && i < count; i++)
        free (texts [i]);
    free (texts);
    free (probabilities);
    free (pointers);
    free (stages);
    return rc;
}

//  --------------------------------------------------------------------------
//  Deals as records and rows

static const cli_column_t s_deal_columns [] = {
    { "id",                  "id",                  CLI_COLUMN_ID,      false },
    { "title",               "title",               CLI_COLUMN_TEXT,    false },
    { "status",              "status",              CLI_COLUMN_TEXT,    false },
    { "stage",               "stage",               CLI_COLUMN_TEXT,    false },
    { "client_external_id",  "client",              CLI_COLUMN_TEXT,    false },
    { "amount",              "amount",              CLI_COLUMN_DECIMAL, false },
    { "currency",            "currency",            CLI_COLUMN_TEXT,    false },
    { "expected_close_date", "close date",          CLI_COLUMN_TEXT,    false },
    { "rotting",             "rotting",             CLI_COLUMN_JSON,    false },
    { "client_id",           "client id",           CLI_COLUMN_ID,      true },
    { "manager_id",          "manager id",          CLI_COLUMN_ID,      true },
    { "pipeline_id",         "pipeline id",         CLI_COLUMN_ID,      true },
    { "stage_id",            "stage id",            CLI_COLUMN_ID,      true },
    { "probability",         "probability",         CLI_COLUMN_DECIMAL, true },
    { "lost_reason",         "lost reason",         CLI_COLUMN_TEXT,    true },
    { "stage_entered_at",    "in stage since",      CLI_COLUMN_TEXT,    true },
    { "created_at",          "created",             CLI_COLUMN_TEXT,    true },
    { "closed_at",           "closed",              CLI_COLUMN_TEXT,    true },
    { "updated_at",          "updated",             CLI_COLUMN_TEXT,    true },
    { "created_by",          "created by",          CLI_COLUMN_TEXT,    true },
    { "version",             "version",             CLI_COLUMN_ID,      true },
};
#define S_DEAL_COLUMNS (sizeof s_deal_columns / sizeof s_deal_columns [0])

//  Adds `deal` as a row.  Returns 0 or -1.
static int
s_deal_row (cli_output_t *output, const Crmq__Deal *deal, const char *time_zone)
{
    char id [24], client [24], manager [24], pipeline [24], stage [24], version [24],
         amount [48], probability [48], entered [40], created [40], closed [40], updated [40];
    const Crmq__Money *money = deal->amount;
    const Crmq__Decimal *chance = deal->probability;
    const char *cells [] = {
        cli_id_text (deal->id, id, sizeof id), deal->title, deal->status, deal->stage_name,
        deal->client_external_id,
        s_decimal (money? money->units: 0, money? money->nanos: 0, amount, sizeof amount),
        money? money->currency: "", deal->expected_close_date, cli_bool_text (deal->rotting),
        cli_id_text (deal->client_id, client, sizeof client),
        cli_id_text (deal->manager_id, manager, sizeof manager),
        cli_id_text (deal->pipeline_id, pipeline, sizeof pipeline),
        cli_id_text (deal->stage_id, stage, sizeof stage),
        s_decimal (chance? chance->units: 0, chance? chance->nanos: 0, probability, sizeof probability),
        deal->lost_reason,
        cli_instant_text (deal->stage_entered_at_us, time_zone, entered, sizeof entered),
        cli_instant_text (deal->created_at_us, time_zone, created, sizeof created),
        cli_instant_text (deal->closed_at_us, time_zone, closed, sizeof closed),
        cli_instant_text (deal->updated_at_us, time_zone, updated, sizeof updated),
        deal->created_by, cli_id_text (deal->version, version, sizeof version)
    };
    _Static_assert (sizeof cells / sizeof cells [0] == S_DEAL_COLUMNS, "a cell per column");
    return cli_output_add_row (output, cells);
}

static const cli_column_t s_history_columns [] = {
    { "stage_id",   "stage id", CLI_COLUMN_ID,   false },
    { "stage",      "stage",    CLI_COLUMN_TEXT, false },
    { "outcome",    "outcome",  CLI_COLUMN_TEXT, false },
    { "entered_at", "entered",  CLI_COLUMN_TEXT, false },
    { "left_at",    "left",     CLI_COLUMN_TEXT, false },
    { "actor",      "by",       CLI_COLUMN_TEXT, false },
};

static const cli_column_t s_order_columns [] = {
    { "external_id", "order",     CLI_COLUMN_TEXT,    false },
    { "placed_at",   "placed",    CLI_COLUMN_TEXT,    false },
    { "amount",      "amount",    CLI_COLUMN_DECIMAL, false },
    { "currency",    "currency",  CLI_COLUMN_TEXT,    false },
    { "status",      "status",    CLI_COLUMN_TEXT,    false },
    { "linked_at",   "linked",    CLI_COLUMN_TEXT,    false },
    { "actor",       "by",        CLI_COLUMN_TEXT,    false },
};

//  The stage history and the linked orders of `card` as two list outputs
//  in `format`.  Returns true when every row was added.
static bool
s_sections (const Crmq__GetDealReply *card, cli_format_t format, const char *time_zone,
            cli_output_t **history, cli_output_t **orders)
{
    *history = cli_output_new (format);
    *orders = cli_output_new (format);
    bool built = *history && *orders
              && cli_output_add_columns (*history, s_history_columns, 6) == 0
              && cli_output_add_columns (*orders, s_order_columns, 7) == 0;
    for (size_t i = 0; built && i < card->n_history; i++) {
        const Crmq__DealStageEntry *entry = card->history [i];
        char stage [24], entered [40], left [40];
        const char *cells [] = {
            cli_id_text (entry->stage_id, stage, sizeof stage), entry->stage_name, entry->outcome,
            cli_instant_text (entry->entered_at_us, time_zone, entered, sizeof entered),
            cli_instant_text (entry->left_at_us, time_zone, left, sizeof left), entry->actor
        };
        built = cli_output_add_row (*history, cells) == 0;
    }
    for (size_t i = 0; built && i < card->n_orders; i++) {
        const Crmq__DealOrder *order = card->orders [i];
        char placed [40], amount [48], linked [40];
        const Crmq__Money *money = order->amount;
        const char *cells [] = {
            order->external_id, cli_instant_text (order->placed_at_us, time_zone, placed, sizeof placed),
            s_decimal (money? money->units: 0, money? money->nanos: 0, amount, sizeof amount),
            money? money->currency: "", order->status,
            cli_instant_text (order->linked_at_us, time_zone, linked, sizeof linked), order->actor
        };
        built = cli_output_add_row (*orders, cells) == 0;
    }
    return built;
}

//  Prints a titled section of the table: a blank line and the table, or
//  "TITLE: none".  Returns 0 or -1.
static int
s_section_print (cli_output_t *output, const char *title)
{
    if (cli_output_rows (output) == 0)
        return printf ("\n%s: none\n", title) < 0? -1: 0;
    cli_output_set_title (output, title);
    return printf ("\n") < 0? -1: cli_output_print (output, stdout);
}

//  Prints a deal with its history and orders: a record and two sections
//  (table), the record's object with "history" and "orders" arrays (JSON),
//  or the record alone (CSV).
static int
s_print_card (cli_context_t *context, const Crmq__GetDealReply *card)
{
    cli_output_t *record = cli_output_new_record (context->format);
    cli_output_t *history = NULL, *orders = NULL;
    bool built = record && cli_output_add_columns (record, s_deal_columns, S_DEAL_COLUMNS) == 0
              && s_deal_row (record, card->deal, context->time_zone) == 0
              && s_sections (card, context->format, context->time_zone, &history, &orders);
    int rc = CLI_EXIT_FAILURE;
    if (built && context->format == CLI_FORMAT_JSON) {
        json_t *root = cli_output_json (record);
        built = root
             && json_object_set_new (root, "history", cli_output_json (history)) == 0
             && json_object_set_new (root, "orders", cli_output_json (orders)) == 0;
        rc = built && cli_json_print (root, stdout) == 0 && fflush (stdout) == 0
           ? CLI_EXIT_OK: CLI_EXIT_FAILURE;
        json_decref (root);
    }
    else
    if (built && context->format == CLI_FORMAT_CSV)
        rc = cli_output_print (record, stdout) == 0? CLI_EXIT_OK: CLI_EXIT_FAILURE;
    else
    if (built)
        rc = cli_output_print (record, stdout) == 0
          && s_section_print (history, "Stage history") == 0
          && s_section_print (orders, "Linked orders") == 0
          && fflush (stdout) == 0? CLI_EXIT_OK: CLI_EXIT_FAILURE;
    if (rc != CLI_EXIT_OK)
        fprintf (stderr, "crmq: %s\n", built? "cannot write the output": "out of memory");
    cli_output_destroy (&record);
    cli_output_destroy (&history);
    cli_output_destroy (&orders);
    return rc;
}

//  Calls `method` and prints the deal it answers: with its history and
//  orders (`full`: the reply is a GetDealReply) or as a record (a
//  DealReply, whose one field is GetDealReply's first, so it reads as one).
static int
s_call_deal (cli_context_t *context, const char *method, const ProtobufCMessage *request, bool full)
{
    Crmq__GetDealReply *reply;
    int rc = cli_call (context->rpc, method, request, &crmq__get_deal_reply__descriptor,
                       (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (!reply->deal) {
        fprintf (stderr, "crmq: %s: reply without a deal\n", method);
        rc = CLI_EXIT_FAILURE;
    }
    else
    if (full)
        rc = s_print_card (context, reply);
    else {
        cli_output_t *output = cli_output_new_record (context->format);
        rc = cli_output_finish (&output, output
                             && cli_output_add_columns (output, s_deal_columns, S_DEAL_COLUMNS) == 0
                             && s_deal_row (output, reply->deal, context->time_zone) == 0);
    }
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

//  --------------------------------------------------------------------------
//  deal add, edit

//  Reads --amount (an exact decimal) and --currency into `money`.  Returns
//  0 (nothing given: *given false), or CLI_EXIT_USAGE after the error.
static int
s_amount (cli_args_t *args, Crmq__Money *money, bool *given)
{
    const char *amount = cli_args_text (args, "amount");
    const char *currency = cli_args_text (args, "currency");
    *given = amount != NULL;
    if (currency && !amount)
        return cli_args_usage (args, "--currency goes with --amount");
    if (!amount)
        return 0;
    if (crmq_decimal_parse (amount, &money->units, &money->nanos) != 0)
        return cli_args_usage (args, "--amount: \"%s\" is not a decimal number (1500.50)", amount);
    money->currency = (char *) (currency? currency: "");
    return 0;
}

static int
s_deal_add (cli_context_t *context)
{
    cli_args_t *args = context->args;
    Crmq__Deal deal = CRMQ__DEAL__INIT;
    Crmq__Money money = CRMQ__MONEY__INIT;
    bool given;
    if (s_amount (args, &money, &given) != 0)
        return CLI_EXIT_USAGE;
    cli_args_fill (args, &deal.base);
    deal.amount = given? &money: NULL;
    Crmq__DealRequest request = CRMQ__DEAL_REQUEST__INIT;
    request.deal = &deal;
    request.actor = (char *) context->actor;
    char key [64];
    s_request_key (key, sizeof key);
    request.request_key = (char *) (cli_args_has (args, "request-key")
                                    ? cli_args_text (args, "request-key"): key);
    return s_call_deal (context, "sales.CreateDeal", &request.base, false);
}

static int
s_deal_edit (cli_context_t *context)
{
    cli_args_t *args = context->args;
    Crmq__Deal deal = CRMQ__DEAL__INIT;
    Crmq__Money money = CRMQ__MONEY__INIT;
    if (cli_args_arg_id (args, 0, "ID", &deal.id) != 0)
        return CLI_EXIT_USAGE;
    bool given, no_manager = cli_args_has (args, "no-manager");
    if (s_amount (args, &money, &given) != 0)
        return CLI_EXIT_USAGE;
    if (no_manager && cli_args_has (args, "manager"))
        return cli_args_usage (args, "--manager and --no-manager exclude each other");
    char **named;
    size_t count = cli_args_fields (args, &crmq__deal__descriptor, &named);
    //  the fields given but the version read, then amount and manager_id
    //  (--no-manager)
    char *fields [count + 2];
    size_t kept = 0;
    for (size_t i = 0; i < count; i++)
        if (!streq (named [i], "version"))
            fields [kept++] = named [i];
    count = kept;
    if (given)
        fields [count++] = "amount";
    if (no_manager)
        fields [count++] = "manager_id";
    if (count == 0)
        return cli_args_usage (args, "deal edit: nothing to change");
    cli_args_fill (args, &deal.base);
    deal.amount = given? &money: NULL;
    Crmq__DealRequest request = CRMQ__DEAL_REQUEST__INIT;
    request.deal = &deal;
    request.fields = fields;
    request.n_fields = count;
    request.actor = (char *) context->actor;
    return s_call_deal (context, "sales.UpdateDeal", &request.base, false);
}

//  --------------------------------------------------------------------------
//  deal move, won, lost, link, unlink, show, list

static int
s_deal_move (cli_context_t *context)
{
    Crmq__MoveDealRequest request = CRMQ__MOVE_DEAL_REQUEST__INIT;
    if (cli_args_arg_id (context->args, 0, "ID", &request.deal_id) != 0)
        return CLI_EXIT_USAGE;
    cli_args_fill (context->args, &request.base);
    request.actor = (char *) context->actor;
    return s_call_deal (context, "sales.MoveDeal", &request.base, false);
}

//  deal won, deal lost.
static int
s_deal_close (cli_context_t *context, const char *outcome)
{
    Crmq__CloseDealRequest request = CRMQ__CLOSE_DEAL_REQUEST__INIT;
    if (cli_args_arg_id (context->args, 0, "ID", &request.deal_id) != 0)
        return CLI_EXIT_USAGE;
    cli_args_fill (context->args, &request.base);
    request.outcome = (char *) outcome;
    request.actor = (char *) context->actor;
    return s_call_deal (context, "sales.CloseDeal", &request.base, false);
}

static int
s_deal_won (cli_context_t *context)
{
    return s_deal_close (context, "won");
}

static int
s_deal_lost (cli_context_t *context)
{
    return s_deal_close (context, "lost");
}

//  deal link, deal unlink.
static int
s_deal_order (cli_context_t *context, const char *method)
{
    Crmq__DealOrderRequest request = CRMQ__DEAL_ORDER_REQUEST__INIT;
    if (cli_args_arg_id (context->args, 0, "ID", &request.deal_id) != 0)
        return CLI_EXIT_USAGE;
    request.order_external_id = (char *) cli_args_arg (context->args, 1);
    cli_args_fill (context->args, &request.base);
    request.actor = (char *) context->actor;
    return s_call_deal (context, method, &request.base, true);
}

static int
s_deal_link (cli_context_t *context)
{
    return s_deal_order (context, "sales.LinkOrder");
}

static int
s_deal_unlink (cli_context_t *context)
{
    return s_deal_order (context, "sales.UnlinkOrder");
}

static int
s_deal_show (cli_context_t *context)
{
    Crmq__GetDealRequest request = CRMQ__GET_DEAL_REQUEST__INIT;
    if (cli_args_arg_id (context->args, 0, "ID", &request.id) != 0)
        return CLI_EXIT_USAGE;
    return s_call_deal (context, "sales.GetDeal", &request.base, true);
}

static int
s_deal_list (cli_context_t *context)
{
    Crmq__ListDealsRequest request = CRMQ__LIST_DEALS_REQUEST__INIT;
    cli_args_fill (context->args, &request.base);
    Crmq__ListDealsReply *reply;
    int rc = cli_call (context->rpc, "sales.ListDeals", &request.base,
                       &crmq__list_deals_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    cli_output_t *output = cli_output_new (context->format);
    bool built = output && cli_output_add_columns (output, s_deal_columns, S_DEAL_COLUMNS) == 0;
    for (size_t i = 0; built && i < reply->n_deals; i++)
        built = s_deal_row (output, reply->deals [i], context->time_zone) == 0;
    rc = cli_output_finish (&output, built);
    if (rc == CLI_EXIT_OK && reply->next_after_id)
        cli_args_more (context->args, "after", reply->next_after_id);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

//  --------------------------------------------------------------------------
//  Command tables

static const cli_arg_t s_pipeline_list_options [] = {
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_arg_t s_pipeline_save_options [] = {
    CLI_OPTION ("stage",   CLI_ARG_LIST, NULL),
    CLI_OPTION ("id",      CLI_ARG_ID,   "id"),
    CLI_OPTION ("default", CLI_ARG_FLAG, "is_default"),
    CLI_ARG_ACTOR_OPTION,
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_command_t s_pipeline_commands [] = {
    { "list",
      "crmq pipeline list [--format F]",
      "pipelines and their stages, with the deals in each",
      s_pipeline_list_options, 0, 0, NULL, s_pipeline_list },
    { "save",
      "crmq pipeline save NAME --stage 'NAME[,PROBABILITY[,ROTTING_DAYS[,OUTCOME[,ID]]]]'...\n"
      "           [--id ID] [--default] [--actor A] [--format F]",
      "create a pipeline, or change one (--id): its stages in order, open ones first",
      s_pipeline_save_options, 1, 1, "NAME", s_pipeline_save },
    { NULL, NULL, NULL, NULL, 0, 0, NULL, NULL }
};

#define S_DEAL_FIELD_OPTIONS \
    CLI_OPTION ("title",      CLI_ARG_TEXT, "title"), \
    CLI_OPTION ("client",     CLI_ARG_ID,   "client_id"), \
    CLI_OPTION ("manager",    CLI_ARG_ID,   "manager_id"), \
    CLI_OPTION ("amount",     CLI_ARG_TEXT, NULL), \
    CLI_OPTION ("currency",   CLI_ARG_TEXT, NULL), \
    CLI_OPTION ("close-date", CLI_ARG_DATE, "expected_close_date")

//  The options every write on a deal ends with.
#define S_DEAL_WRITE_OPTIONS \
    CLI_OPTION ("version", CLI_ARG_ID, "version"), \
    CLI_ARG_ACTOR_OPTION, \
    CLI_ARG_FORMAT_OPTION, \
    CLI_ARG_END

static const cli_arg_t s_deal_add_options [] = {
    S_DEAL_FIELD_OPTIONS,
    CLI_OPTION ("pipeline",    CLI_ARG_ID,   "pipeline_id"),
    CLI_OPTION ("stage",       CLI_ARG_ID,   "stage_id"),
    CLI_OPTION ("request-key", CLI_ARG_TEXT, NULL),
    CLI_ARG_ACTOR_OPTION,
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_arg_t s_deal_edit_options [] = {
    S_DEAL_FIELD_OPTIONS,
    CLI_OPTION ("no-manager",  CLI_ARG_FLAG, NULL),
    CLI_OPTION ("lost-reason", CLI_ARG_TEXT, "lost_reason"),
    S_DEAL_WRITE_OPTIONS
};

static const cli_arg_t s_deal_move_options [] = {
    CLI_REQUIRED ("stage",    CLI_ARG_ID, "stage_id"),
    CLI_OPTION   ("pipeline", CLI_ARG_ID, "pipeline_id"),
    S_DEAL_WRITE_OPTIONS
};

static const cli_arg_t s_deal_won_options [] = {
    CLI_OPTION ("stage", CLI_ARG_ID, "stage_id"),
    S_DEAL_WRITE_OPTIONS
};

static const cli_arg_t s_deal_lost_options [] = {
    CLI_REQUIRED ("reason", CLI_ARG_TEXT, "lost_reason"),
    CLI_OPTION   ("stage",  CLI_ARG_ID,   "stage_id"),
    S_DEAL_WRITE_OPTIONS
};

static const cli_arg_t s_deal_order_options [] = {
    S_DEAL_WRITE_OPTIONS
};

static const cli_arg_t s_deal_show_options [] = {
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_arg_t s_deal_list_options [] = {
    CLI_OPTION ("pipeline", CLI_ARG_ID,   "pipeline_id"),
    CLI_OPTION ("stage",    CLI_ARG_ID,   "stage_id"),
    CLI_OPTION ("client",   CLI_ARG_ID,   "client_id"),
    CLI_OPTION ("manager",  CLI_ARG_ID,   "manager_id"),
    CLI_OPTION ("status",   CLI_ARG_TEXT, "status"),
    CLI_OPTION ("rotting",  CLI_ARG_FLAG, "rotting_only"),
    CLI_RANGE  ("limit",    "limit", 1, 1000),
    CLI_OPTION ("after",    CLI_ARG_ID,   "after_id"),
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_command_t s_deal_commands [] = {
    { "add",
      "crmq deal add --title T --client ID [--manager ID] [--amount X] [--currency C]\n"
      "           [--close-date DATE] [--pipeline ID] [--stage ID] [--request-key K]\n"
      "           [--actor A] [--format F]",
      "create a deal (in the default pipeline's first stage unless told)",
      s_deal_add_options, 0, 0, NULL, s_deal_add },
    { "edit",
      "crmq deal edit ID [--title T] [--client ID] [--manager ID | --no-manager]\n"
      "           [--amount X [--currency C]] [--close-date DATE] [--lost-reason R]\n"
      "           [--version N] [--actor A] [--format F]",
      "change the fields given of a deal",
      s_deal_edit_options, 1, 1, "ID", s_deal_edit },
    { "move",
      "crmq deal move ID --stage ID [--pipeline ID] [--version N] [--actor A] [--format F]",
      "move a deal to an open stage (reopens a closed deal)",
      s_deal_move_options, 1, 1, "ID", s_deal_move },
    { "won",
      "crmq deal won ID [--stage ID] [--version N] [--actor A] [--format F]",
      "close a deal as won",
      s_deal_won_options, 1, 1, "ID", s_deal_won },
    { "lost",
      "crmq deal lost ID --reason R [--stage ID] [--version N] [--actor A] [--format F]",
      "close a deal as lost, saying why",
      s_deal_lost_options, 1, 1, "ID", s_deal_lost },
    { "link",
      "crmq deal link ID ORDER_NUMBER [--version N] [--actor A] [--format F]",
      "link an ERP order of the deal's client to the deal",
      s_deal_order_options, 2, 2, "ID ORDER_NUMBER", s_deal_link },
    { "unlink",
      "crmq deal unlink ID ORDER_NUMBER [--version N] [--actor A] [--format F]",
      "unlink an order from the deal",
      s_deal_order_options, 2, 2, "ID ORDER_NUMBER", s_deal_unlink },
    { "show",
      "crmq deal show ID [--format F]",
      "a deal with its stage history and linked orders",
      s_deal_show_options, 1, 1, "ID", s_deal_show },
    { "list",
      "crmq deal list [--pipeline ID] [--stage ID] [--client ID] [--manager ID]\n"
      "           [--status open|won|lost] [--rotting] [--limit N] [--after ID] [--format F]",
      "deals by id, a page at a time",
      s_deal_list_options, 0, 0, NULL, s_deal_list },
    { NULL, NULL, NULL, NULL, 0, 0, NULL, NULL }
};

const cli_command_t *
cli_pipeline_commands (void)
{
    return s_pipeline_commands;
}

const cli_command_t *
cli_deal_commands (void)
{
    return s_deal_commands;
}

void
cli_deal_test (bool verbose)
{
    if (verbose)
        printf (" * cli_deal: ");
    char text [64] = "Переговоры,0.75,21";
    Crmq__Stage stage = CRMQ__STAGE__INIT;
    Crmq__Decimal probability = CRMQ__DECIMAL__INIT;
    assert (s_stage_parse (text, &stage, &probability) == 0);
    assert (streq (stage.name, "Переговоры") && stage.probability == &probability
            && probability.units == 0 && probability.nanos == 750000000
            && stage.rotting_days == 21 && streq (stage.outcome, "open") && stage.id == 0);
    snprintf (text, sizeof text, "Won,,,won,12");
    crmq__stage__init (&stage);
    assert (s_stage_parse (text, &stage, &probability) == 0);
    assert (streq (stage.outcome, "won") && !stage.probability && stage.id == 12);
    const char *bad [] = { "", ",0.5", "a,x", "a,0.5,-1", "a,0.5,1,maybe", "a,1,2,won,0",
                           "a,1,2,won,3,4", NULL };
    for (const char **b = bad; *b; b++) {
        snprintf (text, sizeof text, "%s", *b);
        crmq__stage__init (&stage);
        assert (s_stage_parse (text, &stage, &probability) != 0);
    }
    char key [64], other [64];
    s_request_key (key, sizeof key);
    s_request_key (other, sizeof other);
    assert (strlen (key) == 9 + 36 && !streq (key, other));
    if (verbose)
        printf ("OK\n");
}

/*  cli_notify.c - notify.AddTarget, ListTargets, RemoveTarget,
    ListDeliveries and Retry; see cli_notify.h.  */
#include "cli_notify.h"
#include "cli_common.h"
#include "notify.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  --------------------------------------------------------------------------
//  Targets

static const cli_column_t s_target_columns [] = {
    { "id",           "id",      CLI_COLUMN_ID,   false },
    { "name",         "name",    CLI_COLUMN_TEXT, false },
    { "kind",         "kind",    CLI_COLUMN_TEXT, false },
    { "address",      "address", CLI_COLUMN_TEXT, false },
    { "topic_prefix", "topic",   CLI_COLUMN_TEXT, false },
    { "active",       "active",  CLI_COLUMN_JSON, false },
    { "created_at",   "created", CLI_COLUMN_TEXT, false },
};
#define S_TARGET_COLUMNS (sizeof s_target_columns / sizeof s_target_columns [0])

//  Prints `count` targets as a list, or one as a record (`record`).
static int
s_print_targets (cli_context_t *context, Crmq__NotifyTarget *const *targets, size_t count,
                 bool record)
{
    cli_output_t *output = record? cli_output_new_record (context->format)
                                 : cli_output_new (context->format);
    bool built = output && cli_output_add_columns (output, s_target_columns, S_TARGET_COLUMNS) == 0;
    for (size_t i = 0; built && i < count; i++) {
        const Crmq__NotifyTarget *target = targets [i];
        char id [24], created [40];
        const char *cells [] = {
            cli_id_text (target->id, id, sizeof id), target->name, target->kind, target->address,
            target->topic_prefix, cli_bool_text (target->active),
            cli_instant_text (target->created_at_us, context->time_zone, created, sizeof created)
        };
        _Static_assert (sizeof cells / sizeof cells [0] == S_TARGET_COLUMNS, "a cell per column");
        built = cli_output_add_row (output, cells) == 0;
    }
    return cli_output_finish (&output, built);
}

static int
s_target_add (cli_context_t *context)
{
    cli_args_t *args = context->args;
    const char *webhook = cli_args_text (args, "webhook");
    const char *email = cli_args_text (args, "email");
    if (!webhook == !email)
        return cli_args_usage (args, "target add: give --webhook URL or --email ADDRESS (one)");
    Crmq__NotifyAddTargetRequest request = CRMQ__NOTIFY_ADD_TARGET_REQUEST__INIT;
    request.name = (char *) cli_args_arg (args, 0);
    request.kind = webhook? "webhook": "email";
    request.address = (char *) (webhook? webhook: email);
    const char *topic = cli_args_text (args, "topic");
    request.topic_prefix = (char *) (topic? topic: "");
    Crmq__NotifyTargetReply *reply;
    int rc = cli_call (context->rpc, "notify.AddTarget", &request.base,
                       &crmq__notify_target_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (reply->target)
        rc = s_print_targets (context, &reply->target, 1, true);
    else {
        fprintf (stderr, "crmq: notify.AddTarget: reply without a target\n");
        rc = CLI_EXIT_FAILURE;
    }
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

static int
s_target_list (cli_context_t *context)
{
    Crmq__NotifyListTargetsRequest request = CRMQ__NOTIFY_LIST_TARGETS_REQUEST__INIT;
    request.include_inactive = cli_args_has (context->args, "all");
    Crmq__NotifyListTargetsReply *reply;
    int rc = cli_call (context->rpc, "notify.ListTargets", &request.base,
                       &crmq__notify_list_targets_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    rc = s_print_targets (context, reply->targets, reply->n_targets, false);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

static int
s_target_remove (cli_context_t *context)
{
    Crmq__NotifyRemoveTargetRequest request = CRMQ__NOTIFY_REMOVE_TARGET_REQUEST__INIT;
    request.name = (char *) cli_args_arg (context->args, 0);
    Crmq__NotifyRemoveTargetReply *reply;
    int rc = cli_call (context->rpc, "notify.RemoveTarget", &request.base,
                       &crmq__notify_remove_target_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (reply->target) {
        rc = s_print_targets (context, &reply->target, 1, true);
        if (reply->deliveries_cancelled)
            fprintf (stderr, "crmq: %" PRId64 " pending deliveries to it are dead now\n",
                     reply->deliveries_cancelled);
    }
    else {
        fprintf (stderr, "crmq: notify.RemoveTarget: reply without a target\n");
        rc = CLI_EXIT_FAILURE;
    }
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

//  --------------------------------------------------------------------------
//  Deliveries

static const cli_column_t s_delivery_columns [] = {
    { "id",              "id",         CLI_COLUMN_ID,      false },
    { "target",          "target",     CLI_COLUMN_TEXT,    false },
    { "kind",            "kind",       CLI_COLUMN_TEXT,    false },
    { "topic",           "topic",      CLI_COLUMN_TEXT,    false },
    { "seq",             "seq",        CLI_COLUMN_ID,      false },
    { "state",           "state",      CLI_COLUMN_TEXT,    false },
    { "attempts",        "attempts",   CLI_COLUMN_INTEGER, false },
    { "last_error",      "last error", CLI_COLUMN_TEXT,    false },
    { "updated_at",      "time",       CLI_COLUMN_TEXT,    false },
    { "next_attempt_at", "next",       CLI_COLUMN_TEXT,    true },
    { "delivered_at",    "delivered",  CLI_COLUMN_TEXT,    true },
    { "created_at",      "created",    CLI_COLUMN_TEXT,    true },
    { "idempotency_key", "key",        CLI_COLUMN_TEXT,    true },
    { "target_id",       "target id",  CLI_COLUMN_ID,      true },
};
#define S_DELIVERY_COLUMNS (sizeof s_delivery_columns / sizeof s_delivery_columns [0])

//  The dead-letter view: the columns of s_delivery_columns shown by
//  `dead list` (kind and state go without saying there).
static const bool s_dead_shown [S_DELIVERY_COLUMNS] = {
    true, true, false, true, true, false, true, true, true, false, false, true, true, true
};

//  Adds `delivery` as a row of the columns `shown`.  Returns 0 or -1.
static int
s_delivery_row (cli_output_t *output, const Crmq__NotifyDelivery *delivery, const char *time_zone,
                const bool *shown)
{
    char id [24], seq [24], attempts [16], target_id [24], updated [40], next [40], delivered [40],
         created [40];
    snprintf (attempts, sizeof attempts, "%d", delivery->attempts);
    const char *cells [] = {
        cli_id_text (delivery->id, id, sizeof id), delivery->target_name, delivery->target_kind,
        delivery->topic, cli_id_text (delivery->seq, seq, sizeof seq), delivery->state, attempts,
        delivery->last_error,
        cli_instant_text (delivery->updated_at_us, time_zone, updated, sizeof updated),
        cli_instant_text (delivery->next_attempt_us, time_zone, next, sizeof next),
        cli_instant_text (delivery->delivered_at_us, time_zone, delivered, sizeof delivered),
        cli_instant_text (delivery->created_at_us, time_zone, created, sizeof created),
        delivery->idempotency_key, cli_id_text (delivery->target_id, target_id, sizeof target_id)
    };
    _Static_assert (sizeof cells / sizeof cells [0] == S_DELIVERY_COLUMNS, "a cell per column");
    const char *row [S_DELIVERY_COLUMNS];
    size_t count = 0;
    for (size_t i = 0; i < S_DELIVERY_COLUMNS; i++)
        if (!shown || shown [i])
            row [count++] = cells [i];
    return cli_output_add_row (output, row);
}

//  Lists deliveries in `state` ("" = any) with the columns `shown` (NULL =
//  all).
static int
s_list (cli_context_t *context, const char *state, const bool *shown)
{
    Crmq__NotifyListDeliveriesRequest request = CRMQ__NOTIFY_LIST_DELIVERIES_REQUEST__INIT;
    cli_args_fill (context->args, &request.base);
    request.state = (char *) state;
    Crmq__NotifyListDeliveriesReply *reply;
    int rc = cli_call (context->rpc, "notify.ListDeliveries", &request.base,
                       &crmq__notify_list_deliveries_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    cli_output_t *output = cli_output_new (context->format);
    bool built = output != NULL;
    for (size_t i = 0; built && i < S_DELIVERY_COLUMNS; i++)
        if (!shown || shown [i])
            built = cli_output_add_columns (output, &s_delivery_columns [i], 1) == 0;
    for (size_t i = 0; built && i < reply->n_deliveries; i++)
        built = s_delivery_row (output, reply->deliveries [i], context->time_zone, shown) == 0;
    rc = cli_output_finish (&output, built);
    if (rc == CLI_EXIT_OK && reply->next_before_id)
        cli_args_more (context->args, "before", reply->next_before_id);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

static int
s_deliveries (cli_context_t *context)
{
    const char *state = cli_args_text (context->args, "state");
    if (state && !streq (state, "pending") && !streq (state, "delivered") && !streq (state, "dead"))
        return cli_args_usage (context->args, "--state: \"%s\" is not pending, delivered or dead",
                               state);
    return s_list (context, state? state: "", NULL);
}

static int
s_dead_list (cli_context_t *context)
{
    return s_list (context, "dead", s_dead_shown);
}

static int
s_dead_retry (cli_context_t *context)
{
    cli_args_t *args = context->args;
    size_t count = cli_args_count (args);
    bool all = cli_args_has (args, "all");
    if (all == (count > 0))
        return cli_args_usage (args, "dead retry: give the ids of dead deliveries, or --all");
    int64_t *ids = (int64_t *) calloc (count + 1, sizeof (int64_t));
    if (!ids) {
        fprintf (stderr, "crmq: out of memory\n");
        return CLI_EXIT_FAILURE;
    }
    int rc = CLI_EXIT_OK;
    for (size_t i = 0; rc == CLI_EXIT_OK && i < count; i++)
        rc = cli_args_arg_id (args, i, "ID", &ids [i]);
    Crmq__NotifyRetryReply *reply = NULL;
    if (rc == CLI_EXIT_OK) {
        Crmq__NotifyRetryRequest request = CRMQ__NOTIFY_RETRY_REQUEST__INIT;
        request.ids = ids;
        request.n_ids = count;
        request.all_dead = all;
        rc = cli_call (context->rpc, "notify.Retry", &request.base,
                       &crmq__notify_retry_reply__descriptor, (ProtobufCMessage **) &reply);
    }
    if (rc == CLI_EXIT_OK) {
        cli_output_t *output = cli_output_new (context->format);
        bool built = output && cli_output_add_column (output, "id", "retried", CLI_COLUMN_ID) == 0;
        for (size_t i = 0; built && i < reply->n_ids; i++) {
            char id [24];
            const char *cells [] = { cli_id_text (reply->ids [i], id, sizeof id) };
            built = cli_output_add_row (output, cells) == 0;
        }
        rc = cli_output_finish (&output, built);
        if (rc == CLI_EXIT_OK && context->format == CLI_FORMAT_TABLE)
            fprintf (stderr, "crmq: %zu dead deliveries are pending again\n", reply->n_ids);
        protobuf_c_message_free_unpacked (&reply->base, NULL);
    }
    free (ids);
    return rc;
}

//  --------------------------------------------------------------------------
//  Command tables

static const cli_arg_t s_target_add_options [] = {
    CLI_OPTION ("webhook", CLI_ARG_TEXT, NULL),
    CLI_OPTION ("email",   CLI_ARG_TEXT, NULL),
    CLI_OPTION ("topic",   CLI_ARG_TEXT, NULL),
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_arg_t s_target_list_options [] = {
    CLI_OPTION ("all", CLI_ARG_FLAG, NULL),
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_arg_t s_format_options [] = {
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_arg_t s_dead_list_options [] = {
    CLI_RANGE  ("limit",  "limit", 1, 1000),
    CLI_OPTION ("before", CLI_ARG_ID, "before_id"),
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_arg_t s_dead_retry_options [] = {
    CLI_OPTION ("all", CLI_ARG_FLAG, NULL),
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_arg_t s_deliveries_options [] = {
    CLI_OPTION ("state",  CLI_ARG_TEXT, NULL),
    CLI_RANGE  ("limit",  "limit", 1, 1000),
    CLI_OPTION ("before", CLI_ARG_ID, "before_id"),
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_command_t s_target_commands [] = {
    { "add",
      "crmq notify target add NAME --webhook URL | --email ADDRESS [--topic PREFIX] [--format F]",
      "send alerts (those whose topic starts with PREFIX) to a webhook or an e-mail address",
      s_target_add_options, 1, 1, "NAME", s_target_add },
    { "list",
      "crmq notify target list [--all] [--format F]",
      "the targets alerts go to (--all: removed ones too)",
      s_target_list_options, 0, 0, NULL, s_target_list },
    { "remove",
      "crmq notify target remove NAME [--format F]",
      "stop sending to a target; its pending deliveries become dead",
      s_format_options, 1, 1, "NAME", s_target_remove },
    { NULL, NULL, NULL, NULL, 0, 0, NULL, NULL }
};

static const cli_command_t s_dead_commands [] = {
    { "list",
      "crmq notify dead list [--limit N] [--before ID] [--format F]",
      "deliveries given up after their last attempt, newest first",
      s_dead_list_options, 0, 0, NULL, s_dead_list },
    { "retry",
      "crmq notify dead retry ID... | --all [--format F]",
      "make dead deliveries pending again, attempts reset",
      s_dead_retry_options, 0, SIZE_MAX, NULL, s_dead_retry },
    { NULL, NULL, NULL, NULL, 0, 0, NULL, NULL }
};

static const cli_command_t s_notify_commands [] = {
    { "deliveries",
      "crmq notify deliveries [--state pending|delivered|dead] [--limit N] [--before ID]\n"
      "           [--format F]",
      "alerts sent, being sent and given up, newest first",
      s_deliveries_options, 0, 0, NULL, s_deliveries },
    { NULL, NULL, NULL, NULL, 0, 0, NULL, NULL }
};

const cli_command_t *
cli_notify_target_commands (void)
{
    return s_target_commands;
}

const cli_command_t *
cli_notify_dead_commands (void)
{
    return s_dead_commands;
}

const cli_command_t *
cli_notify_commands (void)
{
    return s_notify_commands;
}

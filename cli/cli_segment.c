/*  cli_segment.c - contacts.SaveSegment, ListSegments, SegmentClients,
    AddToSegment, RemoveFromSegment, DeleteSegment.  */
#include "cli_segment.h"
#include "cli_client.h"
#include "cli_common.h"

#include <stdio.h>
#include <stdlib.h>

static const cli_column_t s_columns [] = {
    { "id",          "id",          CLI_COLUMN_ID,      false },
    { "name",        "name",        CLI_COLUMN_TEXT,    false },
    { "kind",        "kind",        CLI_COLUMN_TEXT,    false },
    { "clients",     "clients",     CLI_COLUMN_INTEGER, false },
    { "description", "description", CLI_COLUMN_TEXT,    true },
    { "rule",        "rule",        CLI_COLUMN_JSON,    true },
};
#define S_COLUMNS (sizeof s_columns / sizeof s_columns [0])

//  The conditions of `rule` that are set, as JSON text of an object keyed
//  by SegmentRule's field names ("{}" for none).  Returns a new string or
//  NULL.
static char *
s_rule_json (const Crmq__SegmentRule *rule)
{
    json_t *object = json_object ();
    const ProtobufCMessageDescriptor *descriptor = &crmq__segment_rule__descriptor;
    bool built = object != NULL;
    for (unsigned i = 0; built && i < descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields [i];
        const char *member = (const char *) rule + field->offset;
        json_t *value = NULL;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t count = *(const size_t *) ((const char *) rule + field->quantifier_offset);
            if (count == 0)
                continue;
            value = json_array ();
            for (size_t j = 0; value && j < count; j++)
                json_array_append_new (value, field->type == PROTOBUF_C_TYPE_STRING
                    ? json_string ((*(char *const *const *) member) [j])
                    : json_integer ((*(const int64_t *const *) member) [j]));
        }
        else
        if (field->type == PROTOBUF_C_TYPE_STRING) {
            const char *text = *(char *const *) member;
            if (!text || !*text)
                continue;
            value = json_string (text);
        }
        else
            continue;
        built = json_object_set_new (object, field->name, value) == 0;
    }
    char *text = built? cli_json_text (object): NULL;
    json_decref (object);
    return text;
}

static int
s_row (cli_output_t *output, const Crmq__Segment *segment)
{
    char id [24], clients [24];
    char *rule = segment->rule? s_rule_json (segment->rule): NULL;
    snprintf (clients, sizeof clients, "%" PRId64, segment->clients);
    const char *cells [] = {
        cli_id_text (segment->id, id, sizeof id), segment->name, segment->kind, clients,
        segment->description, rule
    };
    int rc = rule || !segment->rule? cli_output_add_row (output, cells): -1;
    free (rule);
    return rc;
}

//  Prints `segment` as a record.
static int
s_print_segment (cli_context_t *context, const Crmq__Segment *segment)
{
    cli_output_t *output = cli_output_new_record (context->format);
    return cli_output_finish (&output, output
                           && cli_output_add_columns (output, s_columns, S_COLUMNS) == 0
                           && s_row (output, segment) == 0);
}

//  Calls `method`, whose reply is a SegmentReply, and prints the segment.
static int
s_call_segment (cli_context_t *context, const char *method, const ProtobufCMessage *request)
{
    Crmq__SegmentReply *reply;
    int rc = cli_call (context->rpc, method, request, &crmq__segment_reply__descriptor,
                       (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (reply->segment)
        rc = s_print_segment (context, reply->segment);
    else {
        fprintf (stderr, "crmq: %s: reply without a segment\n", method);
        rc = CLI_EXIT_FAILURE;
    }
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

static int
s_save (cli_context_t *context)
{
    cli_args_t *args = context->args;
    bool is_static = cli_args_has (args, "static");
    if (is_static == cli_args_has (args, "rule"))
        return cli_args_usage (args, "segment save takes --static or --rule");
    char **conditions;
    if (is_static && cli_args_fields (args, &crmq__segment_rule__descriptor, &conditions) > 0)
        return cli_args_usage (args, "a static segment has no rule; conditions need --rule");
    Crmq__Segment segment = CRMQ__SEGMENT__INIT;
    Crmq__SegmentRule rule = CRMQ__SEGMENT_RULE__INIT;
    segment.name = (char *) cli_args_arg (args, 0);
    segment.kind = is_static? "static": "rule";
    cli_args_fill (args, &segment.base);
    if (!is_static) {
        cli_args_fill (args, &rule.base);
        segment.rule = &rule;
    }
    Crmq__SegmentRequest request = CRMQ__SEGMENT_REQUEST__INIT;
    request.segment = &segment;
    request.actor = (char *) context->actor;
    return s_call_segment (context, "contacts.SaveSegment", &request.base);
}

static int
s_list (cli_context_t *context)
{
    Crmq__ListSegmentsRequest request = CRMQ__LIST_SEGMENTS_REQUEST__INIT;
    Crmq__ListSegmentsReply *reply;
    int rc = cli_call (context->rpc, "contacts.ListSegments", &request.base,
                       &crmq__list_segments_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    cli_output_t *output = cli_output_new (context->format);
    bool built = output && cli_output_add_columns (output, s_columns, S_COLUMNS) == 0;
    for (size_t i = 0; built && i < reply->n_segments; i++)
        built = s_row (output, reply->segments [i]) == 0;
    rc = cli_output_finish (&output, built);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

static int
s_clients (cli_context_t *context)
{
    Crmq__SegmentClientsRequest request = CRMQ__SEGMENT_CLIENTS_REQUEST__INIT;
    if (cli_args_arg_id (context->args, 0, "ID", &request.segment_id) != 0)
        return CLI_EXIT_USAGE;
    cli_args_fill (context->args, &request.base);
    return cli_client_call_list (context, "contacts.SegmentClients", &request.base);
}

//  segment add, segment remove: SegmentMembersRequest to `method`.
static int
s_members (cli_context_t *context, const char *method)
{
    cli_args_t *args = context->args;
    Crmq__SegmentMembersRequest request = CRMQ__SEGMENT_MEMBERS_REQUEST__INIT;
    if (cli_args_arg_id (args, 0, "ID", &request.segment_id) != 0)
        return CLI_EXIT_USAGE;
    size_t count = cli_args_count (args) - 1;
    int64_t *ids = calloc (count + 1, sizeof (int64_t));
    if (!ids) {
        fprintf (stderr, "crmq: out of memory\n");
        return CLI_EXIT_FAILURE;
    }
    int rc = CLI_EXIT_OK;
    for (size_t i = 0; rc == CLI_EXIT_OK && i < count; i++)
        rc = cli_args_arg_id (args, i + 1, "CLIENT_ID", &ids [i]);
    if (rc == CLI_EXIT_OK) {
        request.client_ids = ids;
        request.n_client_ids = count;
        request.actor = (char *) context->actor;
        rc = s_call_segment (context, method, &request.base);
    }
    free (ids);
    return rc;
}

static int
s_add (cli_context_t *context)
{
    return s_members (context, "contacts.AddToSegment");
}

static int
s_remove (cli_context_t *context)
{
    return s_members (context, "contacts.RemoveFromSegment");
}

static int
s_delete (cli_context_t *context)
{
    Crmq__RemoveRequest request = CRMQ__REMOVE_REQUEST__INIT;
    if (cli_args_arg_id (context->args, 0, "ID", &request.id) != 0)
        return CLI_EXIT_USAGE;
    request.actor = (char *) context->actor;
    int rc = cli_call (context->rpc, "contacts.DeleteSegment", &request.base, NULL, NULL);
    if (rc == CLI_EXIT_OK)
        rc = cli_output_print_status (context->format, request.id, "deleted");
    return rc;
}

static const cli_arg_t s_save_options [] = {
    CLI_OPTION ("static",      CLI_ARG_FLAG, NULL),
    CLI_OPTION ("rule",        CLI_ARG_FLAG, NULL),
    CLI_OPTION ("category",    CLI_ARG_LIST, "categories"),
    CLI_OPTION ("region",      CLI_ARG_LIST, "regions"),
    CLI_OPTION ("source",      CLI_ARG_LIST, "sources"),
    CLI_OPTION ("tag",         CLI_ARG_LIST, "tags_any"),
    CLI_OPTION ("manager",     CLI_ARG_IDS,  "manager_ids"),
    CLI_OPTION ("status",      CLI_ARG_LIST, "statuses"),
    CLI_OPTION ("kind",        CLI_ARG_LIST, "kinds"),
    CLI_OPTION ("country",     CLI_ARG_LIST, "countries"),
    CLI_OPTION ("since-from",  CLI_ARG_DATE, "since_from"),
    CLI_OPTION ("since-to",    CLI_ARG_DATE, "since_to"),
    CLI_OPTION ("description", CLI_ARG_TEXT, "description"),
    CLI_OPTION ("id",          CLI_ARG_ID,   "id"),
    CLI_ARG_ACTOR_OPTION,
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_arg_t s_list_options [] = {
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_arg_t s_clients_options [] = {
    CLI_RANGE  ("limit", "limit", 1, 1000),
    CLI_OPTION ("after", CLI_ARG_ID, "after_id"),
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_arg_t s_write_options [] = {
    CLI_ARG_ACTOR_OPTION,
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_command_t s_commands [] = {
    { "save",
      "crmq segment save NAME --static | --rule [--category C]... [--region R]...\n"
      "           [--source S]... [--tag T]... [--manager ID]... [--status S]... [--kind K]...\n"
      "           [--country C]... [--since-from DATE] [--since-to DATE] [--description D]\n"
      "           [--id ID] [--actor A] [--format F]",
      "create a segment, or change one (--id)",
      s_save_options, 1, 1, "NAME", s_save },
    { "list",
      "crmq segment list [--format F]",
      "segments and their client counts",
      s_list_options, 0, 0, NULL, s_list },
    { "clients",
      "crmq segment clients ID [--limit N] [--after ID] [--format F]",
      "the clients of a segment, a page at a time",
      s_clients_options, 1, 1, "ID", s_clients },
    { "add",
      "crmq segment add ID CLIENT_ID... [--actor A] [--format F]",
      "add clients to a static segment",
      s_write_options, 2, SIZE_MAX, "ID CLIENT_ID...", s_add },
    { "remove",
      "crmq segment remove ID CLIENT_ID... [--actor A] [--format F]",
      "remove clients from a static segment",
      s_write_options, 2, SIZE_MAX, "ID CLIENT_ID...", s_remove },
    { "delete",
      "crmq segment delete ID [--actor A] [--format F]",
      "delete a segment",
      s_write_options, 1, 1, "ID", s_delete },
    { NULL, NULL, NULL, NULL, 0, 0, NULL, NULL }
};

const cli_command_t *
cli_segment_commands (void)
{
    return s_commands;
}

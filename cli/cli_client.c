/*  cli_client.c - client cards: contacts.GetClient, ListClients,
    CreateClient, UpdateClient, Search, FindDuplicates, MergeClients and
    GetAudit.  */
#include "cli_client.h"
#include "cli_channel.h"
#include "cli_common.h"
#include "cli_contact_person.h"
#include "cli_interaction.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  --------------------------------------------------------------------------
//  The card's fields, shared by show, add and edit

static const cli_column_t s_card_columns [] = {
    { "id",                  "id",                  CLI_COLUMN_ID,   false },
    { "external_id",         "external id",         CLI_COLUMN_TEXT, false },
    { "kind",                "kind",                CLI_COLUMN_TEXT, false },
    { "name",                "name",                CLI_COLUMN_TEXT, false },
    { "legal_name",          "legal name",          CLI_COLUMN_TEXT, false },
    { "tax_id",              "tax id",              CLI_COLUMN_TEXT, false },
    { "status",              "status",              CLI_COLUMN_TEXT, false },
    { "country",             "country",             CLI_COLUMN_TEXT, false },
    { "region",              "region",              CLI_COLUMN_TEXT, false },
    { "city",                "city",                CLI_COLUMN_TEXT, false },
    { "address",             "address",             CLI_COLUMN_TEXT, false },
    { "postal_code",         "postal code",         CLI_COLUMN_TEXT, false },
    { "phone",               "phone",               CLI_COLUMN_TEXT, false },
    { "phone_e164",          "phone (E.164)",       CLI_COLUMN_TEXT, false },
    { "email",               "e-mail",              CLI_COLUMN_TEXT, false },
    { "category",            "category",            CLI_COLUMN_TEXT, false },
    { "source",              "source",              CLI_COLUMN_TEXT, false },
    { "tags",                "tags",                CLI_COLUMN_JSON, false },
    { "relationship_since",  "client since",        CLI_COLUMN_TEXT, false },
    { "manager_external_id", "manager external id", CLI_COLUMN_TEXT, false },
    { "manager_name",        "manager",             CLI_COLUMN_TEXT, false },
    { "attributes",          "attributes",          CLI_COLUMN_JSON, false },
    { "version",             "version",             CLI_COLUMN_ID,   false },
    { "created_at",          "created",             CLI_COLUMN_TEXT, false },
    { "updated_at",          "updated",             CLI_COLUMN_TEXT, false },
};
#define S_CARD_COLUMNS (sizeof s_card_columns / sizeof s_card_columns [0])

//  The cells of a card, and the text they point to.
typedef struct {
    char id [24], version [24], created [40], updated [40];
    char *tags;
    const char *cells [S_CARD_COLUMNS];
} s_card_t;

//  Fills `self` from `card` and its `manager` (NULL when unknown).  Returns
//  0, or -1 on out-of-memory (clear it anyway).
static int
s_card_fill (s_card_t *self, const Crmq__Client *card, const Crmq__Manager *manager,
             const char *time_zone)
{
    self->tags = cli_json_strings (card->tags, card->n_tags);
    const char *manager_id = *card->manager_external_id? card->manager_external_id
                           : manager? manager->external_id: "";
    const char *cells [] = {
        cli_id_text (card->id, self->id, sizeof self->id),
        card->external_id, card->kind, card->name, card->legal_name, card->tax_id,
        card->status, card->country, card->region, card->city, card->address,
        card->postal_code, card->phone, card->phone_e164, card->email, card->category,
        card->source, self->tags, card->relationship_since, manager_id,
        manager? manager->name: "",
        *card->attributes_json? card->attributes_json: "{}",
        cli_id_text (card->version, self->version, sizeof self->version),
        cli_instant_text (card->created_at_us, time_zone, self->created, sizeof self->created),
        cli_instant_text (card->updated_at_us, time_zone, self->updated, sizeof self->updated)
    };
    _Static_assert (sizeof cells == sizeof self->cells, "a cell per card column");
    memcpy (self->cells, cells, sizeof cells);
    return self->tags? 0: -1;
}

static void
s_card_clear (s_card_t *self)
{
    free (self->tags);
    self->tags = NULL;
}

//  Prints the card's fields as a record.
static int
s_card_print (cli_context_t *context, const Crmq__Client *card, const Crmq__Manager *manager)
{
    s_card_t fields = { .tags = NULL };
    int rc = CLI_EXIT_FAILURE;
    if (s_card_fill (&fields, card, manager, context->time_zone) == 0)
        rc = cli_output_print_record (context->format, s_card_columns, S_CARD_COLUMNS,
                                      fields.cells);
    else
        fprintf (stderr, "crmq: out of memory\n");
    s_card_clear (&fields);
    return rc;
}

//  --------------------------------------------------------------------------
//  client show

//  The parts of a card after its fields, each as an output (list-shaped;
//  the next planned contact a one-row list), NULL on out-of-memory.
typedef struct {
    cli_output_t *persons;
    cli_output_t *channels;         //  with the owner's name (table)
    cli_output_t *last;
    cli_output_t *next;
} s_sections_t;

static void
s_sections_destroy (s_sections_t *self)
{
    cli_output_destroy (&self->persons);
    cli_output_destroy (&self->channels);
    cli_output_destroy (&self->last);
    cli_output_destroy (&self->next);
}

static bool
s_sections_build (s_sections_t *self, const Crmq__GetClientReply *reply, cli_format_t format,
                  const char *time_zone)
{
    self->persons = cli_output_new (format);
    self->channels = cli_output_new (format);
    self->last = cli_output_new (format);
    self->next = cli_output_new (format);
    bool built = self->persons && self->channels && self->last && self->next
              && cli_contact_person_columns (self->persons) == 0
              && cli_channel_columns (self->channels, true) == 0
              && cli_interaction_columns (self->last) == 0
              && cli_interaction_columns (self->next) == 0;
    for (size_t i = 0; built && i < reply->n_channels; i++)
        built = cli_channel_row (self->channels, reply->channels [i], true, NULL) == 0;
    for (size_t i = 0; built && i < reply->n_persons; i++) {
        const Crmq__Person *person = reply->persons [i];
        built = cli_contact_person_row (self->persons, person) == 0;
        for (size_t j = 0; built && j < person->n_channels; j++)
            built = cli_channel_row (self->channels, person->channels [j], true,
                                     person->name) == 0;
    }
    for (size_t i = 0; built && i < reply->n_last_interactions; i++)
        built = cli_interaction_row (self->last, reply->last_interactions [i], time_zone) == 0;
    if (built && reply->next_planned)
        built = cli_interaction_row (self->next, reply->next_planned, time_zone) == 0;
    return built;
}

//  Prints one section of the table: a blank line, then the title over the
//  table, or "TITLE: none".
static int
s_section_print (cli_output_t *output, const char *title)
{
    if (cli_output_rows (output) == 0)
        return printf ("\n%s: none\n", title) < 0? -1: 0;
    cli_output_set_title (output, title);
    printf ("\n");
    return cli_output_print (output, stdout);
}

//  JSON array of `person`'s channels (no owner column).
static json_t *
s_person_channels_json (const Crmq__Person *person)
{
    cli_output_t *output = cli_output_new (CLI_FORMAT_JSON);
    bool built = output && cli_channel_columns (output, false) == 0;
    for (size_t i = 0; built && i < person->n_channels; i++)
        built = cli_channel_row (output, person->channels [i], false, NULL) == 0;
    json_t *array = built? cli_output_json (output): NULL;
    cli_output_destroy (&output);
    return array;
}

//  The whole card as one JSON object (see cli_client.h).
static json_t *
s_show_json (cli_output_t *card, const Crmq__GetClientReply *reply, const char *time_zone)
{
    json_t *root = cli_output_json (card);
    cli_output_t *persons = cli_output_new (CLI_FORMAT_JSON);
    cli_output_t *channels = cli_output_new (CLI_FORMAT_JSON);
    cli_output_t *last = cli_output_new (CLI_FORMAT_JSON);
    cli_output_t *next = cli_output_new_record (CLI_FORMAT_JSON);
    bool built = root && persons && channels && last && next
              && cli_contact_person_columns (persons) == 0
              && cli_channel_columns (channels, false) == 0
              && cli_interaction_columns (last) == 0
              && cli_interaction_columns (next) == 0;
    for (size_t i = 0; built && i < reply->n_persons; i++)
        built = cli_contact_person_row (persons, reply->persons [i]) == 0;
    for (size_t i = 0; built && i < reply->n_channels; i++)
        built = cli_channel_row (channels, reply->channels [i], false, NULL) == 0;
    for (size_t i = 0; built && i < reply->n_last_interactions; i++)
        built = cli_interaction_row (last, reply->last_interactions [i], time_zone) == 0;
    if (built && reply->next_planned)
        built = cli_interaction_row (next, reply->next_planned, time_zone) == 0;
    json_t *persons_json = built? cli_output_json (persons): NULL;
    built = built && persons_json;
    for (size_t i = 0; built && i < reply->n_persons; i++)
        built = json_object_set_new (json_array_get (persons_json, i), "channels",
                                     s_person_channels_json (reply->persons [i])) == 0;
    if (built)      //  json_object_set_new takes the value, set or not
        built = json_object_set_new (root, "persons", persons_json) == 0
             && json_object_set_new (root, "channels", cli_output_json (channels)) == 0
             && json_object_set_new (root, "last_interactions", cli_output_json (last)) == 0
             && json_object_set_new (root, "next_planned", reply->next_planned
                                     ? cli_output_json (next): json_null ()) == 0
             && json_object_set_new (root, "asked_id", reply->asked_id
                                     ? json_integer (reply->asked_id): json_null ()) == 0;
    else
        json_decref (persons_json);
    cli_output_destroy (&persons);
    cli_output_destroy (&channels);
    cli_output_destroy (&last);
    cli_output_destroy (&next);
    if (!built) {
        json_decref (root);
        root = NULL;
    }
    return root;
}

static int
s_show (cli_context_t *context)
{
    cli_args_t *args = context->args;
    Crmq__GetClientRequest request = CRMQ__GET_CLIENT_REQUEST__INIT;
    request.id = cli_args_number (args, "id");
    if (cli_args_count (args) == 1)
        request.external_id = (char *) cli_args_arg (args, 0);
    if ((cli_args_count (args) == 1) == (request.id != 0))
        return cli_args_usage (args, "client show takes an EXTERNAL_ID or --id N");
    if (cli_args_count (args) == 1 && !*request.external_id)
        return cli_args_usage (args, "EXTERNAL_ID is empty");
    Crmq__GetClientReply *reply;
    int rc = cli_call (context->rpc, "contacts.GetClient", &request.base,
                       &crmq__get_client_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (!reply->client) {
        fprintf (stderr, "crmq: contacts.GetClient: reply without a client\n");
        protobuf_c_message_free_unpacked (&reply->base, NULL);
        return CLI_EXIT_FAILURE;
    }
    if (reply->asked_id)
        fprintf (stderr, "crmq: client %" PRId64 " was merged into %" PRId64 "\n",
                 reply->asked_id, reply->client->id);
    s_card_t fields = { .tags = NULL };
    cli_output_t *card = cli_output_new_record (context->format);
    bool built = card && s_card_fill (&fields, reply->client, reply->manager,
                                      context->time_zone) == 0
              && cli_output_add_columns (card, s_card_columns, S_CARD_COLUMNS) == 0
              && cli_output_add_row (card, fields.cells) == 0;
    s_card_clear (&fields);
    if (!built)
        rc = cli_output_finish (&card, false);
    else
    if (context->format == CLI_FORMAT_JSON) {
        json_t *root = s_show_json (card, reply, context->time_zone);
        rc = root && cli_json_print (root, stdout) == 0 && fflush (stdout) == 0
           ? CLI_EXIT_OK: CLI_EXIT_FAILURE;
        if (rc != CLI_EXIT_OK)
            fprintf (stderr, "crmq: cannot write the output\n");
        json_decref (root);
    }
    else
    if (context->format == CLI_FORMAT_CSV)
        rc = cli_output_print_stdout (card);
    else {
        s_sections_t sections = { NULL, NULL, NULL, NULL };
        built = s_sections_build (&sections, reply, context->format, context->time_zone);
        rc = built && cli_output_print (card, stdout) == 0
          && s_section_print (sections.persons, "Contact persons") == 0
          && s_section_print (sections.channels, "Channels") == 0
          && s_section_print (sections.last, "Last interactions") == 0
          && s_section_print (sections.next, "Next planned contact") == 0
          && fflush (stdout) == 0? CLI_EXIT_OK: CLI_EXIT_FAILURE;
        if (rc != CLI_EXIT_OK)
            fprintf (stderr, "crmq: cannot write the output\n");
        s_sections_destroy (&sections);
    }
    cli_output_destroy (&card);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

//  --------------------------------------------------------------------------
//  client list

static const cli_column_t s_list_columns [] = {
    { "id",                  "id",                  CLI_COLUMN_ID,   false },
    { "external_id",         "external id",         CLI_COLUMN_TEXT, false },
    { "name",                "name",                CLI_COLUMN_TEXT, false },
    { "city",                "city",                CLI_COLUMN_TEXT, false },
    { "country",             "country",             CLI_COLUMN_TEXT, false },
    { "phone",               "phone",               CLI_COLUMN_TEXT, false },
    { "manager_external_id", "manager external id", CLI_COLUMN_TEXT, false },
};

int
cli_client_columns (cli_output_t *output)
{
    return cli_output_add_columns (output, s_list_columns,
                                   sizeof s_list_columns / sizeof s_list_columns [0]);
}

int
cli_client_row (cli_output_t *output, const Crmq__Client *client)
{
    char id [24];
    const char *cells [] = {
        cli_id_text (client->id, id, sizeof id), client->external_id, client->name,
        client->city, client->country, client->phone, client->manager_external_id
    };
    return cli_output_add_row (output, cells);
}

int
cli_client_call_list (cli_context_t *context, const char *method, const ProtobufCMessage *request)
{
    Crmq__ListClientsReply *reply;
    int rc = cli_call (context->rpc, method, request, &crmq__list_clients_reply__descriptor,
                       (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    cli_output_t *output = cli_output_new (context->format);
    bool built = output && cli_client_columns (output) == 0;
    for (size_t i = 0; built && i < reply->n_clients; i++)
        built = cli_client_row (output, reply->clients [i]) == 0;
    rc = cli_output_finish (&output, built);
    if (rc == CLI_EXIT_OK && reply->next_after_id)
        cli_args_more (context->args, "after", reply->next_after_id);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

static int
s_list (cli_context_t *context)
{
    Crmq__ListClientsRequest request = CRMQ__LIST_CLIENTS_REQUEST__INIT;
    cli_args_fill (context->args, &request.base);
    return cli_client_call_list (context, "contacts.ListClients", &request.base);
}

//  --------------------------------------------------------------------------
//  client add, client edit

//  Calls CreateClient or UpdateClient and prints the card it answers with.
static int
s_write (cli_context_t *context, const char *method, Crmq__ClientRequest *request)
{
    request->actor = (char *) context->actor;
    Crmq__ClientReply *reply;
    int rc = cli_call (context->rpc, method, &request->base, &crmq__client_reply__descriptor,
                       (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (reply->client)
        rc = s_card_print (context, reply->client, NULL);
    else {
        fprintf (stderr, "crmq: %s: reply without a client\n", method);
        rc = CLI_EXIT_FAILURE;
    }
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

static int
s_add (cli_context_t *context)
{
    Crmq__Client client = CRMQ__CLIENT__INIT;
    cli_args_fill (context->args, &client.base);
    Crmq__ClientRequest request = CRMQ__CLIENT_REQUEST__INIT;
    request.client = &client;
    return s_write (context, "contacts.CreateClient", &request);
}

static int
s_edit (cli_context_t *context)
{
    cli_args_t *args = context->args;
    Crmq__Client client = CRMQ__CLIENT__INIT;
    if (cli_args_arg_id (args, 0, "ID", &client.id) != 0)
        return CLI_EXIT_USAGE;
    bool no_tags = cli_args_has (args, "no-tags");
    if (no_tags && cli_args_has (args, "tag"))
        return cli_args_usage (args, "--tag and --no-tags exclude each other");
    char **given;
    size_t count = cli_args_fields (args, &crmq__client__descriptor, &given);
    if (count == 0 && !no_tags)
        return cli_args_usage (args, "client edit: nothing to change");
    //  The fields given, and "tags" for --no-tags (an empty list)
    char *fields [count + 1];
    memcpy (fields, given, count * sizeof (char *));
    if (no_tags)
        fields [count++] = "tags";
    cli_args_fill (args, &client.base);
    Crmq__ClientRequest request = CRMQ__CLIENT_REQUEST__INIT;
    request.client = &client;
    request.fields = fields;
    request.n_fields = count;
    return s_write (context, "contacts.UpdateClient", &request);
}

//  --------------------------------------------------------------------------
//  client search, client dupes

//  A score (0..1) as text with three decimals.
static char *
s_score (const Crmq__Decimal *score, char *buf, size_t size)
{
    return cli_decimal_text (score? score->units: 0, score? score->nanos: 0, 3, buf, size);
}

static int
s_search (cli_context_t *context)
{
    Crmq__SearchRequest request = CRMQ__SEARCH_REQUEST__INIT;
    request.query = (char *) cli_args_arg (context->args, 0);
    cli_args_fill (context->args, &request.base);
    Crmq__SearchReply *reply;
    int rc = cli_call (context->rpc, "contacts.Search", &request.base,
                       &crmq__search_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    static const cli_column_t columns [] = {
        { "score",       "score",       CLI_COLUMN_DECIMAL, false },
        { "matched",     "matched",     CLI_COLUMN_TEXT,    false },
        { "id",          "id",          CLI_COLUMN_ID,      false },
        { "external_id", "external id", CLI_COLUMN_TEXT,    false },
        { "name",        "name",        CLI_COLUMN_TEXT,    false },
        { "phone",       "phone",       CLI_COLUMN_TEXT,    false },
        { "email",       "e-mail",      CLI_COLUMN_TEXT,    false },
    };
    cli_output_t *output = cli_output_new (context->format);
    bool built = output && cli_output_add_columns (output, columns, 7) == 0;
    for (size_t i = 0; built && i < reply->n_hits; i++) {
        const Crmq__SearchHit *hit = reply->hits [i];
        const Crmq__Client *client = hit->client;
        if (!client)
            continue;
        char score [48], id [24];
        const char *cells [] = {
            s_score (hit->score, score, sizeof score), hit->matched,
            cli_id_text (client->id, id, sizeof id), client->external_id, client->name,
            client->phone, client->email
        };
        built = cli_output_add_row (output, cells) == 0;
    }
    rc = cli_output_finish (&output, built);
    //  A full page: more may follow
    int32_t limit = request.limit? request.limit: 20;
    if (rc == CLI_EXIT_OK && reply->n_hits == (size_t) limit)
        cli_args_more (context->args, "offset", (int64_t) request.offset + limit);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

static int
s_dupes (cli_context_t *context)
{
    cli_args_t *args = context->args;
    Crmq__FindDuplicatesRequest request = CRMQ__FIND_DUPLICATES_REQUEST__INIT;
    cli_args_fill (args, &request.base);
    Crmq__Decimal min_score = CRMQ__DECIMAL__INIT;
    const char *text = cli_args_text (args, "min-score");
    if (text) {
        if (crmq_decimal_parse (text, &min_score.units, &min_score.nanos) != 0
        ||  min_score.units < 0 || min_score.nanos < 0 || (min_score.units == 0 && !min_score.nanos)
        ||  (min_score.units == 1 && min_score.nanos) || min_score.units > 1)
            return cli_args_usage (args, "--min-score: \"%s\" is not a score above 0, "
                                   "at most 1", text);
        request.min_score = &min_score;
    }
    Crmq__FindDuplicatesReply *reply;
    int rc = cli_call (context->rpc, "contacts.FindDuplicates", &request.base,
                       &crmq__find_duplicates_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    static const cli_column_t columns [] = {
        { "score",              "score",       CLI_COLUMN_DECIMAL, false },
        { "reason",             "reason",      CLI_COLUMN_TEXT,    false },
        { "first_id",           "first id",    CLI_COLUMN_ID,      false },
        { "first_external_id",  "first external id", CLI_COLUMN_TEXT, true },
        { "first_name",         "first name",  CLI_COLUMN_TEXT,    false },
        { "second_id",          "second id",   CLI_COLUMN_ID,      false },
        { "second_external_id", "second external id", CLI_COLUMN_TEXT, true },
        { "second_name",        "second name", CLI_COLUMN_TEXT,    false },
    };
    cli_output_t *output = cli_output_new (context->format);
    bool built = output && cli_output_add_columns (output, columns, 8) == 0;
    for (size_t i = 0; built && i < reply->n_pairs; i++) {
        const Crmq__DuplicatePair *pair = reply->pairs [i];
        if (!pair->first || !pair->second)
            continue;
        char score [48], first [24], second [24];
        const char *cells [] = {
            s_score (pair->score, score, sizeof score), pair->reason,
            cli_id_text (pair->first->id, first, sizeof first), pair->first->external_id,
            pair->first->name,
            cli_id_text (pair->second->id, second, sizeof second), pair->second->external_id,
            pair->second->name
        };
        built = cli_output_add_row (output, cells) == 0;
    }
    rc = cli_output_finish (&output, built);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

//  --------------------------------------------------------------------------
//  client merge, client audit

static int
s_merge (cli_context_t *context)
{
    Crmq__MergeClientsRequest request = CRMQ__MERGE_CLIENTS_REQUEST__INIT;
    if (cli_args_arg_id (context->args, 0, "SURVIVOR_ID", &request.survivor_id) != 0
    ||  cli_args_arg_id (context->args, 1, "MERGED_ID", &request.merged_id) != 0)
        return CLI_EXIT_USAGE;
    request.actor = (char *) context->actor;
    Crmq__MergeClientsReply *reply;
    int rc = cli_call (context->rpc, "contacts.MergeClients", &request.base,
                       &crmq__merge_clients_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    static const cli_column_t columns [] = {
        { "survivor_id",               "survivor",                  CLI_COLUMN_ID,      false },
        { "survivor_name",             "survivor name",             CLI_COLUMN_TEXT,    false },
        { "merged_id",                 "merged",                    CLI_COLUMN_ID,      false },
        { "persons_moved",             "persons moved",             CLI_COLUMN_INTEGER, false },
        { "channels_moved",            "channels moved",            CLI_COLUMN_INTEGER, false },
        { "interactions_moved",        "interactions moved",        CLI_COLUMN_INTEGER, false },
        { "segment_memberships_moved", "segment memberships moved", CLI_COLUMN_INTEGER, false },
    };
    char survivor [24], merged [24], persons [16], channels [16], interactions [16], segments [16];
    snprintf (persons, sizeof persons, "%d", reply->persons_moved);
    snprintf (channels, sizeof channels, "%d", reply->channels_moved);
    snprintf (interactions, sizeof interactions, "%d", reply->interactions_moved);
    snprintf (segments, sizeof segments, "%d", reply->segment_memberships_moved);
    const char *cells [] = {
        cli_id_text (request.survivor_id, survivor, sizeof survivor),
        reply->survivor? reply->survivor->name: "",
        cli_id_text (request.merged_id, merged, sizeof merged),
        persons, channels, interactions, segments
    };
    rc = cli_output_print_record (context->format, columns, 7, cells);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

static int
s_audit (cli_context_t *context)
{
    Crmq__AuditRequest request = CRMQ__AUDIT_REQUEST__INIT;
    if (cli_args_arg_id (context->args, 0, "ID", &request.client_id) != 0)
        return CLI_EXIT_USAGE;
    cli_args_fill (context->args, &request.base);
    Crmq__AuditReply *reply;
    int rc = cli_call (context->rpc, "contacts.GetAudit", &request.base,
                       &crmq__audit_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    static const cli_column_t columns [] = {
        { "id",        "entry",   CLI_COLUMN_ID,   true },
        { "at",        "when",    CLI_COLUMN_TEXT, false },
        { "actor",     "actor",   CLI_COLUMN_TEXT, false },
        { "entity",    "entity",  CLI_COLUMN_TEXT, false },
        { "entity_id", "id",      CLI_COLUMN_ID,   false },
        { "action",    "action",  CLI_COLUMN_TEXT, false },
        { "changes",   "changes", CLI_COLUMN_JSON, false },
    };
    cli_output_t *output = cli_output_new (context->format);
    bool built = output && cli_output_add_columns (output, columns, 7) == 0;
    for (size_t i = 0; built && i < reply->n_entries; i++) {
        const Crmq__AuditEntry *entry = reply->entries [i];
        char id [24], at [40], entity_id [24];
        const char *cells [] = {
            cli_id_text (entry->id, id, sizeof id),
            cli_instant_text (entry->at_us, context->time_zone, at, sizeof at),
            entry->actor, entry->entity,
            cli_id_text (entry->entity_id, entity_id, sizeof entity_id),
            entry->action, *entry->changes_json? entry->changes_json: "{}"
        };
        built = cli_output_add_row (output, cells) == 0;
    }
    rc = cli_output_finish (&output, built);
    if (rc == CLI_EXIT_OK && reply->next_before_id)
        cli_args_more (context->args, "before", reply->next_before_id);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

//  --------------------------------------------------------------------------
//  The commands

static const cli_arg_t s_show_options [] = {
    CLI_OPTION ("id", CLI_ARG_ID, NULL),
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_arg_t s_list_options [] = {
    CLI_RANGE  ("limit", "limit", 1, 1000),
    CLI_OPTION ("after", CLI_ARG_ID, "after_id"),
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

//  The card's options of add and edit, by the Client fields they set.
#define S_CARD_OPTIONS \
    CLI_OPTION ("kind",        CLI_ARG_TEXT, "kind"), \
    CLI_OPTION ("external-id", CLI_ARG_TEXT, "external_id"), \
    CLI_OPTION ("legal-name",  CLI_ARG_TEXT, "legal_name"), \
    CLI_OPTION ("tax-id",      CLI_ARG_TEXT, "tax_id"), \
    CLI_OPTION ("phone",       CLI_ARG_TEXT, "phone"), \
    CLI_OPTION ("email",       CLI_ARG_TEXT, "email"), \
    CLI_OPTION ("category",    CLI_ARG_TEXT, "category"), \
    CLI_OPTION ("region",      CLI_ARG_TEXT, "region"), \
    CLI_OPTION ("country",     CLI_ARG_TEXT, "country"), \
    CLI_OPTION ("city",        CLI_ARG_TEXT, "city"), \
    CLI_OPTION ("address",     CLI_ARG_TEXT, "address"), \
    CLI_OPTION ("postal-code", CLI_ARG_TEXT, "postal_code"), \
    CLI_OPTION ("source",      CLI_ARG_TEXT, "source"), \
    CLI_OPTION ("tag",         CLI_ARG_LIST, "tags"), \
    CLI_OPTION ("since",       CLI_ARG_DATE, "relationship_since"), \
    CLI_OPTION ("manager",     CLI_ARG_TEXT, "manager_external_id"), \
    CLI_OPTION ("attributes",  CLI_ARG_TEXT, "attributes_json"), \
    CLI_ARG_ACTOR_OPTION, \
    CLI_ARG_FORMAT_OPTION

static const cli_arg_t s_add_options [] = {
    CLI_REQUIRED ("name", CLI_ARG_TEXT, "name"),
    S_CARD_OPTIONS,
    CLI_ARG_END
};

static const cli_arg_t s_edit_options [] = {
    CLI_OPTION ("name",    CLI_ARG_TEXT, "name"),
    CLI_OPTION ("status",  CLI_ARG_TEXT, "status"),
    CLI_OPTION ("no-tags", CLI_ARG_FLAG, NULL),
    S_CARD_OPTIONS,
    CLI_ARG_END
};

static const cli_arg_t s_search_options [] = {
    CLI_RANGE ("limit",  "limit",  1, 100),
    CLI_RANGE ("offset", "offset", 0, 1000000),
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_arg_t s_dupes_options [] = {
    CLI_RANGE  ("limit",     "limit", 1, 1000),
    CLI_OPTION ("min-score", CLI_ARG_TEXT, NULL),
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_arg_t s_merge_options [] = {
    CLI_ARG_ACTOR_OPTION,
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_arg_t s_audit_options [] = {
    CLI_RANGE  ("limit",  "limit", 1, 1000),
    CLI_OPTION ("before", CLI_ARG_ID, "before_id"),
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

#define S_CARD_USAGE \
    "           [--kind company|person] [--external-id X] [--legal-name L] [--tax-id T]\n" \
    "           [--phone P] [--email E] [--category C] [--region R] [--country C]\n" \
    "           [--city C] [--address A] [--postal-code P] [--source S] [--tag T]...\n" \
    "           [--since YYYY-MM-DD] [--manager EXTERNAL_ID] [--attributes JSON]\n"

static const cli_command_t s_commands [] = {
    { "show",
      "crmq client show EXTERNAL_ID | --id N [--format F]",
      "a card: fields, persons, channels, contacts",
      s_show_options, 0, 1, NULL, s_show },
    { "list",
      "crmq client list [--limit N] [--after ID] [--format F]",
      "clients by id, a page at a time",
      s_list_options, 0, 0, NULL, s_list },
    { "add",
      "crmq client add --name N\n"
      S_CARD_USAGE
      "           [--actor A] [--format F]",
      "create a client",
      s_add_options, 0, 0, NULL, s_add },
    { "edit",
      "crmq client edit ID [--name N] [--status active|archived] [--no-tags]\n"
      S_CARD_USAGE
      "           [--actor A] [--format F]",
      "change the fields given (\"\" clears one)",
      s_edit_options, 1, 1, "ID", s_edit },
    { "search",
      "crmq client search QUERY [--limit N] [--offset N] [--format F]",
      "by name, phone, e-mail, tax id, external id",
      s_search_options, 1, 1, "QUERY", s_search },
    { "dupes",
      "crmq client dupes [--limit N] [--min-score 0.6] [--format F]",
      "likely duplicates, with reason and score",
      s_dupes_options, 0, 0, NULL, s_dupes },
    { "merge",
      "crmq client merge SURVIVOR_ID MERGED_ID [--actor A] [--format F]",
      "move all of MERGED_ID to SURVIVOR_ID",
      s_merge_options, 2, 2, "SURVIVOR_ID MERGED_ID", s_merge },
    { "audit",
      "crmq client audit ID [--limit N] [--before ID] [--format F]",
      "changes of a card, newest first",
      s_audit_options, 1, 1, "ID", s_audit },
    { NULL, NULL, NULL, NULL, 0, 0, NULL, NULL }
};

const cli_command_t *
cli_client_commands (void)
{
    return s_commands;
}

/*  cli_contact_person.c - contacts.SavePerson.  */
#include "cli_contact_person.h"
#include "cli_common.h"

#include <stdio.h>
#include <string.h>

static const cli_column_t s_columns [] = {
    { "id",        "id",       CLI_COLUMN_ID,   false },
    { "client_id", "client",   CLI_COLUMN_ID,   true },
    { "name",      "name",     CLI_COLUMN_TEXT, false },
    { "position",  "position", CLI_COLUMN_TEXT, false },
    { "role",      "role",     CLI_COLUMN_TEXT, false },
    { "active",    "active",   CLI_COLUMN_JSON, false },
    { "note",      "note",     CLI_COLUMN_TEXT, false },
};

int
cli_contact_person_columns (cli_output_t *output)
{
    return cli_output_add_columns (output, s_columns, sizeof s_columns / sizeof s_columns [0]);
}

int
cli_contact_person_row (cli_output_t *output, const Crmq__Person *person)
{
    char id [24], client_id [24];
    const char *cells [] = {
        cli_id_text (person->id, id, sizeof id),
        cli_id_text (person->client_id, client_id, sizeof client_id),
        person->name, person->position, person->role, cli_bool_text (person->active),
        person->note
    };
    return cli_output_add_row (output, cells);
}

//  Sends `person` to contacts.SavePerson (with `fields`, the fields to set
//  of an existing person; none: all) and prints the person saved.
static int
s_save (cli_context_t *context, Crmq__Person *person, char **fields, size_t n_fields)
{
    Crmq__PersonRequest request = CRMQ__PERSON_REQUEST__INIT;
    request.person = person;
    request.actor = (char *) context->actor;
    request.fields = fields;
    request.n_fields = n_fields;
    Crmq__PersonReply *reply;
    int rc = cli_call (context->rpc, "contacts.SavePerson", &request.base,
                       &crmq__person_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (reply->person) {
        cli_output_t *output = cli_output_new_record (context->format);
        rc = cli_output_finish (&output, output && cli_contact_person_columns (output) == 0
                                      && cli_contact_person_row (output, reply->person) == 0);
    }
    else {
        fprintf (stderr, "crmq: contacts.SavePerson: reply without a person\n");
        rc = CLI_EXIT_FAILURE;
    }
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

static int
s_add (cli_context_t *context)
{
    Crmq__Person person = CRMQ__PERSON__INIT;
    if (cli_args_arg_id (context->args, 0, "CLIENT_ID", &person.client_id) != 0)
        return CLI_EXIT_USAGE;
    person.active = true;
    cli_args_fill (context->args, &person.base);
    return s_save (context, &person, NULL, 0);
}

static int
s_edit (cli_context_t *context)
{
    cli_args_t *args = context->args;
    Crmq__Person person = CRMQ__PERSON__INIT;
    if (cli_args_arg_id (args, 0, "PERSON_ID", &person.id) != 0)
        return CLI_EXIT_USAGE;
    bool active = cli_args_has (args, "active"), inactive = cli_args_has (args, "inactive");
    if (active && inactive)
        return cli_args_usage (args, "--active and --inactive exclude each other");
    //  The fields given, and "active" for --active or --inactive
    char **given;
    size_t count = cli_args_fields (args, &crmq__person__descriptor, &given);
    if (count == 0 && !active && !inactive)
        return cli_args_usage (args, "person edit: nothing to change");
    char *fields [count + 1];
    memcpy (fields, given, count * sizeof (char *));
    if (active || inactive)
        fields [count++] = "active";
    cli_args_fill (args, &person.base);
    person.active = active;
    //  with --client, the service checks the person is that client's
    person.client_id = cli_args_number (args, "client");
    return s_save (context, &person, fields, count);
}

#define S_PERSON_FIELDS \
    CLI_OPTION ("position", CLI_ARG_TEXT, "position"), \
    CLI_OPTION ("role",     CLI_ARG_TEXT, "role"), \
    CLI_OPTION ("note",     CLI_ARG_TEXT, "note"), \
    CLI_ARG_ACTOR_OPTION, \
    CLI_ARG_FORMAT_OPTION

static const cli_arg_t s_add_options [] = {
    CLI_REQUIRED ("name", CLI_ARG_TEXT, "name"),
    S_PERSON_FIELDS,
    CLI_ARG_END
};

static const cli_arg_t s_edit_options [] = {
    CLI_OPTION   ("client",   CLI_ARG_ID,   NULL),
    CLI_OPTION   ("name",     CLI_ARG_TEXT, "name"),
    CLI_OPTION   ("active",   CLI_ARG_FLAG, NULL),
    CLI_OPTION   ("inactive", CLI_ARG_FLAG, NULL),
    S_PERSON_FIELDS,
    CLI_ARG_END
};

static const cli_command_t s_commands [] = {
    { "add",
      "crmq person add CLIENT_ID --name N [--position P] [--role R] [--note T]\n"
      "           [--actor A] [--format F]",
      "add a contact person to a client",
      s_add_options, 1, 1, "CLIENT_ID", s_add },
    { "edit",
      "crmq person edit PERSON_ID [--client CLIENT_ID] [--name N] [--position P] [--role R]\n"
      "           [--note T] [--active | --inactive] [--actor A] [--format F]",
      "change a contact person (the options given)",
      s_edit_options, 1, 1, "PERSON_ID", s_edit },
    { NULL, NULL, NULL, NULL, 0, 0, NULL, NULL }
};

const cli_command_t *
cli_contact_person_commands (void)
{
    return s_commands;
}

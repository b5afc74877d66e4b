/*  cli_manager.c - contacts.ListManagers, contacts.SetManagerAbsences.  */
#include "cli_manager.h"
#include "cli_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  The absences as JSON text: [{ "from_date", "to_date", "reason" }, ...].
//  Returns a new string or NULL.
static char *
s_absences_json (Crmq__Absence **absences, size_t count)
{
    json_t *array = json_array ();
    bool built = array != NULL;
    for (size_t i = 0; built && i < count; i++)
        built = json_array_append_new (array, json_pack ("{s:s, s:s, s:s}",
                    "from_date", absences [i]->from_date, "to_date", absences [i]->to_date,
                    "reason", absences [i]->reason)) == 0;
    char *text = built? cli_json_text (array): NULL;
    json_decref (array);
    return text;
}

//  Calls `method`, whose reply is a ListManagersReply, and prints the
//  managers with their absences.
static int
s_call_managers (cli_context_t *context, const char *method, const ProtobufCMessage *request)
{
    Crmq__ListManagersReply *reply;
    int rc = cli_call (context->rpc, method, request, &crmq__list_managers_reply__descriptor,
                       (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    static const cli_column_t columns [] = {
        { "id",                     "id",          CLI_COLUMN_ID,   false },
        { "external_id",            "external id", CLI_COLUMN_TEXT, false },
        { "name",                   "name",        CLI_COLUMN_TEXT, false },
        { "email",                  "e-mail",      CLI_COLUMN_TEXT, false },
        { "title",                  "title",       CLI_COLUMN_TEXT, true },
        { "supervisor_external_id", "supervisor",  CLI_COLUMN_TEXT, true },
        { "time_zone",              "time zone",   CLI_COLUMN_TEXT, false },
        { "active",                 "active",      CLI_COLUMN_JSON, false },
        { "absences",               "absences",    CLI_COLUMN_JSON, false },
    };
    cli_output_t *output = cli_output_new (context->format);
    bool built = output && cli_output_add_columns (output, columns, 9) == 0;
    for (size_t i = 0; built && i < reply->n_managers; i++) {
        const Crmq__Manager *manager = reply->managers [i];
        char id [24];
        char *absences = s_absences_json (manager->absences, manager->n_absences);
        const char *cells [] = {
            cli_id_text (manager->id, id, sizeof id), manager->external_id, manager->name,
            manager->email, manager->title, manager->supervisor_external_id,
            manager->time_zone, cli_bool_text (manager->active), absences
        };
        built = absences && cli_output_add_row (output, cells) == 0;
        free (absences);
    }
    rc = cli_output_finish (&output, built);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    return rc;
}

static int
s_list (cli_context_t *context)
{
    Crmq__ListManagersRequest request = CRMQ__LIST_MANAGERS_REQUEST__INIT;
    return s_call_managers (context, "contacts.ListManagers", &request.base);
}

//  Reads "FROM,TO[,REASON]" into an Absence (strings point into `text`,
//  which is cut).  Returns 0 or -1.
static int
s_absence_parse (char *text, ProtobufCMessage *message)
{
    Crmq__Absence *absence = (Crmq__Absence *) message;
    int64_t us;
    if (strlen (text) < 21 || text [10] != ',' || (text [21] && text [21] != ','))
        return -1;
    text [10] = 0;
    bool reason = text [21] == ',';
    text [21] = 0;
    if (cli_date_parse (text, "UTC", &us) != 0 || cli_date_parse (text + 11, "UTC", &us) != 0)
        return -1;
    absence->from_date = text;
    absence->to_date = text + 11;
    absence->reason = reason? text + 22: "";
    return 0;
}

static int
s_absences (cli_context_t *context)
{
    cli_args_t *args = context->args;
    Crmq__ManagerAbsencesRequest request = CRMQ__MANAGER_ABSENCES_REQUEST__INIT;
    if (cli_args_arg_id (args, 0, "MANAGER_ID", &request.manager_id) != 0)
        return CLI_EXIT_USAGE;
    void **absences;
    int rc = cli_args_messages (args, "away", &crmq__absence__descriptor, s_absence_parse,
                                "FROM,TO[,REASON] (dates YYYY-MM-DD)",
                                &absences, &request.n_absences);
    if (rc != 0)
        return rc;
    request.absences = (Crmq__Absence **) absences;
    request.actor = (char *) context->actor;
    return s_call_managers (context, "contacts.SetManagerAbsences", &request.base);
}

static const cli_arg_t s_list_options [] = {
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_arg_t s_absences_options [] = {
    CLI_OPTION ("away", CLI_ARG_LIST, NULL),
    CLI_ARG_ACTOR_OPTION,
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_command_t s_commands [] = {
    { "list",
      "crmq manager list [--format F]",
      "managers, time zones and absences",
      s_list_options, 0, 0, NULL, s_list },
    { "absences",
      "crmq manager absences MANAGER_ID [--away FROM,TO[,REASON]]... [--actor A]\n"
      "           [--format F]",
      "replace a manager's absences (none: clear)",
      s_absences_options, 1, 1, "MANAGER_ID", s_absences },
    { NULL, NULL, NULL, NULL, 0, 0, NULL, NULL }
};

const cli_command_t *
cli_manager_commands (void)
{
    return s_commands;
}

/*  cli_args.h - the command line of one crmq command, parsed from a table,
    and the dispatch of a command group ("client", "segment"...) to its
    commands.

    A command declares its options in a static table of cli_arg_t: a long
    name, a type and, optionally, the protobuf field the value goes to.
    cli_args_parse runs getopt_long over it: options given once are refused
    twice (cli_option_once), ids, counts, dates and times are checked and
    converted there, so a bad value is a usage error (exit 64) before any
    call.  cli_args_fill then copies every given option into a request
    message by field name (protobuf-c reflection), and cli_args_fields
    names them, for the update methods whose `fields` says what to set.

    Values are borrowed from argv; arrays are owned by the cli_args_t, so a
    message filled from it must not outlive it (and is not freed with
    protobuf_c_message_free_unpacked).                                       */
#ifndef CLI_ARGS_H_INCLUDED
#define CLI_ARGS_H_INCLUDED

#include "crmq.h"
#include "cli_output.h"

typedef enum {
    CLI_ARG_TEXT,           //  --name VALUE, once; any text, "" included
    CLI_ARG_LIST,           //  --name VALUE, repeatable; values in order
    CLI_ARG_FLAG,           //  --name, once; sets a bool field to true
    CLI_ARG_ID,             //  --name N, once; an id, 1..INT64_MAX
    CLI_ARG_IDS,            //  --name N, repeatable ids
    CLI_ARG_INT,            //  --name N, once; an integer in [min, max]
    CLI_ARG_DATE,           //  --name YYYY-MM-DD, once; the text, and local midnight as number
    CLI_ARG_TIME,           //  --name "YYYY-MM-DD HH:MM[:SS]" (or a date), once; the instant
    CLI_ARG_FORMAT          //  --format table|csv|json
} cli_arg_type_t;

//  One option of a command.  Tables end with CLI_ARG_END; write rows with
//  the macros below.
typedef struct {
    const char *name;       //  long option without "--": "legal-name"
    cli_arg_type_t type;
    const char *field;      //  field cli_args_fill sets ("legal_name"), or NULL
    long long min, max;     //  CLI_ARG_INT bounds
    bool required;          //  the command needs it
} cli_arg_t;

//  An option; one the command needs; an integer option in [min, max].
#define CLI_OPTION(name, type, field)       { name, type, field, 0, 0, false }
#define CLI_REQUIRED(name, type, field)     { name, type, field, 0, 0, true }
#define CLI_RANGE(name, field, min, max)    { name, CLI_ARG_INT, field, min, max, false }

//  The options most commands have, and the end of a table.
#define CLI_ARG_FORMAT_OPTION   CLI_OPTION ("format", CLI_ARG_FORMAT, NULL)
#define CLI_ARG_ACTOR_OPTION    CLI_OPTION ("actor", CLI_ARG_TEXT, NULL)
#define CLI_ARG_END             CLI_OPTION (NULL, CLI_ARG_TEXT, NULL)

typedef struct _cli_args_t cli_args_t;

//  Parses argv [1..argc-1] (argv [0] is the command's name) against
//  `options`; `usage` is shown with any error; times and dates are read in
//  `time_zone`.  Between `min_args` and `max_args` positional arguments
//  (SIZE_MAX: any number); `arguments` names them in the error for too few
//  ("SEGMENT_ID CLIENT_ID...").  `prefix` is the command as typed so far
//  ("crmq interaction list"), for cli_args_more.  Returns 0 with *self_p
//  set, CLI_EXIT_USAGE after printing the error and usage, or
//  CLI_EXIT_FAILURE on out-of-memory.
int cli_args_parse (const cli_arg_t *options, const char *usage, const char *prefix,
                    const char *time_zone, size_t min_args, size_t max_args,
                    const char *arguments, int argc, char **argv, cli_args_t **self_p);

//  Frees the parsed command line; sets *self_p to NULL; safe on NULL.
void cli_args_destroy (cli_args_t **self_p);

//  True when option `name` (a name of the table) was given.
bool cli_args_has (cli_args_t *self, const char *name);

//  The text of option `name` (the last value of a list), or NULL when it
//  was not given.
const char *cli_args_text (cli_args_t *self, const char *name);

//  The number of option `name`: an id, an integer, a date's local midnight
//  or a time's instant (microseconds); 0 when it was not given.
int64_t cli_args_number (cli_args_t *self, const char *name);

//  The values of option `name` (CLI_ARG_LIST) and their count; *values
//  points into the args (NULL when none).
size_t cli_args_list (cli_args_t *self, const char *name, char ***values);

//  The ids of option `name` (CLI_ARG_IDS) and their count.
size_t cli_args_ids (cli_args_t *self, const char *name, int64_t **ids);

//  Reads each value of list option `name` ("NAME,URL,SIZE") into a new
//  message of type `descriptor` with `parse`, which gets a copy of the text
//  it may cut and point into, and returns 0 or -1.  Returns 0 with
//  *messages (an array of *count messages, for a repeated field) owned by
//  the args; CLI_EXIT_USAGE after printing "--NAME: "x" is not EXPECTED";
//  CLI_EXIT_FAILURE on out-of-memory.
int cli_args_messages (cli_args_t *self, const char *name,
                       const ProtobufCMessageDescriptor *descriptor,
                       int (*parse) (char *text, ProtobufCMessage *message),
                       const char *expected, void ***messages, size_t *count);

//  The --format given, or the table by default.
cli_format_t cli_args_format (cli_args_t *self);

//  Positional arguments: their count, and each one.
size_t cli_args_count (cli_args_t *self);
const char *cli_args_arg (cli_args_t *self, size_t index);

//  Reads positional argument `index` as an id (1..INT64_MAX) into *id.
//  Returns 0, or CLI_EXIT_USAGE after printing "WHAT: "x" is not an id".
int cli_args_arg_id (cli_args_t *self, size_t index, const char *what, int64_t *id);

//  Prints "crmq: <message>" and the command's usage to stderr, for checks a
//  table cannot express (two options that exclude each other).  Returns
//  CLI_EXIT_USAGE.
int cli_args_usage (cli_args_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Sets in `message` every given option whose `field` is a field of its
//  type: strings and dates to string fields, ids, integers and times to
//  integer fields, flags to bool fields, lists and ids to repeated fields.
//  Options whose field the message lacks are left alone.
void cli_args_fill (cli_args_t *self, ProtobufCMessage *message);

//  The field names of the given options that `descriptor` has, in table
//  order, for a request's `fields`.  Returns their count; *fields points
//  into the args.
size_t cli_args_fields (cli_args_t *self, const ProtobufCMessageDescriptor *descriptor,
                        char ***fields);

//  Who does a write, for the audit trail: --actor when the command has it
//  and it was given, else the actor setting (CRMQ_ACTOR), else the login
//  name ($USER, $LOGNAME), else "".  Borrowed.
const char *cli_args_actor (cli_args_t *self, crmq_config_t *config);

//  Prints " TEXT" to `out`: a space, then TEXT as a POSIX shell reads it
//  back as one word (in single quotes when it holds anything but letters,
//  digits and _.,:/@%+=-; empty text as '').
void cli_shell_word (FILE *out, const char *text);

//  Prints to stderr how to get the next page: "more: PREFIX ARGS OPTIONS
//  --OPTION NEXT", repeating the positional arguments and the options given
//  (but --OPTION itself and --format), quoted for a shell where needed.
void cli_args_more (cli_args_t *self, const char *option, int64_t next);

//  --------------------------------------------------------------------------
//  Command groups

typedef struct _cli_command_t cli_command_t;

//  What a command's function gets.
typedef struct {
    crmq_config_t *config;
    cli_args_t *args;
    crmq_rpc_client_t *rpc;         //  to the group's service
    const char *time_zone;          //  CRMQ_TIME_ZONE
    const char *actor;              //  cli_args_actor
    cli_format_t format;            //  --format (table when the command has none)
} cli_context_t;

//  One command of a group.  Tables end with a row whose name is NULL.
struct _cli_command_t {
    const char *name;               //  "add"
    const char *usage;              //  "crmq client add --name N ..." (lines after the
                                    //  first indented by 11 spaces)
    const char *summary;            //  one line for `crmq help`, or NULL
    const cli_arg_t *options;
    size_t min_args, max_args;      //  positional arguments
    const char *arguments;          //  their names, for the error about too few
    int (*run) (cli_context_t *context);
};

//  Runs the command argv [0] of `group` ("client") from `commands`: parses
//  its command line, opens an RPC client to the endpoint of setting
//  `endpoint_setting`, calls its function and cleans up.  Returns the
//  function's exit code, CLI_EXIT_USAGE for an unknown or missing command
//  or a bad command line, CLI_EXIT_FAILURE when the endpoint cannot be used.
int cli_command_run (const cli_command_t *commands, const char *group,
                     const char *endpoint_setting, crmq_config_t *config,
                     int argc, char **argv);

//  Prints the usage of every command of `commands` to `out`, two spaces in,
//  each followed by its summary.
void cli_command_print_usage (const cli_command_t *commands, FILE *out);

//  Self-test of the parser (no service needed).
void cli_args_test (bool verbose);

#endif

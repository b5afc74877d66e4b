/*  cli_args.c - table-driven command lines and command groups.  */
#include "cli_args.h"
#include "cli_common.h"

#include <assert.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Values of one option: texts as given, numbers as converted.
typedef struct {
    size_t count;
    char **texts;
    int64_t *numbers;
} s_values_t;

struct _cli_args_t {
    const cli_arg_t *options;
    size_t option_count;
    const char *usage;
    const char *prefix;
    const char *time_zone;
    s_values_t *values;             //  one per option
    char **arguments;               //  positional, borrowed from argv
    size_t argument_count;
    char **fields;                  //  cli_args_fields' answer
    cli_format_t format;
    void **owned;                   //  blocks cli_args_messages made
    size_t owned_count;
};

//  getopt_long values: options given once get index + 1 (below 256, so
//  cli_option_once checks them), repeatable ones 256 + index.
#define S_REPEATABLE 256

static bool
s_repeatable (cli_arg_type_t type)
{
    return type == CLI_ARG_LIST || type == CLI_ARG_IDS;
}

static size_t
s_index (cli_args_t *self, const char *name)
{
    for (size_t i = 0; i < self->option_count; i++)
        if (streq (self->options [i].name, name))
            return i;
    assert (!"option is not in the command's table");
    return 0;
}

void
cli_args_destroy (cli_args_t **self_p)
{
    assert (self_p);
    cli_args_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; self->values && i < self->option_count; i++) {
        free (self->values [i].texts);
        free (self->values [i].numbers);
    }
    free (self->values);
    for (size_t i = 0; i < self->owned_count; i++)
        free (self->owned [i]);
    free (self->owned);
    free (self->arguments);
    free (self->fields);
    free (self);
    *self_p = NULL;
}

//  Converts and stores one value of option `index`.  Returns 0 or
//  CLI_EXIT_USAGE after printing the error.
static int
s_store (cli_args_t *self, size_t index, char *text)
{
    const cli_arg_t *option = &self->options [index];
    s_values_t *values = &self->values [index];
    long long number = 0;
    int64_t us = 0;
    switch (option->type) {
        case CLI_ARG_ID:
        case CLI_ARG_IDS:
            if (cli_int_parse (text, 1, INT64_MAX, &number) != 0)
                return cli_usage (self->usage, "--%s: \"%s\" is not an id", option->name, text);
            break;
        case CLI_ARG_INT:
            if (cli_int_parse (text, option->min, option->max, &number) != 0)
                return cli_usage (self->usage, "--%s: \"%s\" is not %lld..%lld",
                                  option->name, text, option->min, option->max);
            break;
        case CLI_ARG_DATE:
            //  "" clears a date, as it clears a text
            if (*text && cli_date_parse (text, self->time_zone, &us) != 0)
                return cli_usage (self->usage, "--%s: \"%s\" is not a date (YYYY-MM-DD)",
                                  option->name, text);
            number = us;
            break;
        case CLI_ARG_TIME: {
            int rc = *text? crmq_time_parse_exact (text, self->time_zone, &us): -1;
            if (rc == -2)
                return cli_usage (self->usage, "--%s: %s does not exist in %s: the clocks "
                                  "go forward then", option->name, text, self->time_zone);
            if (rc != 0)
                return cli_usage (self->usage, "--%s: \"%s\" is not a time "
                                  "(YYYY-MM-DD HH:MM in CRMQ_TIME_ZONE)", option->name, text);
            number = us;
            break;
        }
        case CLI_ARG_FORMAT:
            if (cli_format_parse (text, &self->format) != 0)
                return cli_usage (self->usage, "--%s: \"%s\" is not table, csv or json",
                                  option->name, text);
            break;
        case CLI_ARG_TEXT:
        case CLI_ARG_LIST:
        case CLI_ARG_FLAG:
            break;
    }
    size_t slot = s_repeatable (option->type)? values->count: 0;
    values->texts [slot] = text;
    values->numbers [slot] = number;
    values->count = slot + 1;
    return 0;
}

int
cli_args_parse (const cli_arg_t *options, const char *usage, const char *prefix,
                const char *time_zone, size_t min_args, size_t max_args,
                const char *arguments, int argc, char **argv, cli_args_t **self_p)
{
    assert (options && usage && prefix && argc >= 1 && self_p);
    *self_p = NULL;
    cli_args_t *self = calloc (1, sizeof (cli_args_t));
    if (!self)
        return CLI_EXIT_FAILURE;
    self->options = options;
    self->usage = usage;
    self->prefix = prefix;
    self->time_zone = time_zone;
    self->format = CLI_FORMAT_TABLE;
    while (options [self->option_count].name)
        self->option_count++;
    assert (self->option_count < S_REPEATABLE - 1);
    size_t slots = (size_t) argc + 1;
    struct option *long_options = calloc (self->option_count + 1, sizeof (struct option));
    self->values = calloc (self->option_count + 1, sizeof (s_values_t));
    self->arguments = calloc (slots, sizeof (char *));
    bool built = long_options && self->values && self->arguments;
    for (size_t i = 0; built && i < self->option_count; i++) {
        bool many = s_repeatable (options [i].type);
        self->values [i].texts = calloc (many? slots: 1, sizeof (char *));
        self->values [i].numbers = calloc (many? slots: 1, sizeof (int64_t));
        built = self->values [i].texts && self->values [i].numbers;
        long_options [i].name = options [i].name;
        long_options [i].has_arg = options [i].type == CLI_ARG_FLAG? no_argument
                                 : required_argument;
        long_options [i].val = (int) i + (many? S_REPEATABLE: 1);
    }
    if (!built) {
        free (long_options);
        cli_args_destroy (&self);
        fprintf (stderr, "crmq: out of memory\n");
        return CLI_EXIT_FAILURE;
    }
    cli_options_seen_t seen = { 0 };
    optind = 0;
    opterr = 0;
    int rc = 0, option;
    while (rc == 0 && (option = getopt_long (argc, argv, ":", long_options, NULL)) != -1) {
        if (option == ':')
            rc = cli_usage (usage, "%s needs a value", argv [optind - 1]);
        else
        if (option == '?' || option < 1)
            rc = cli_usage (usage, "unknown option %s", argv [optind - 1]);
        else
        if (cli_option_once (&seen, long_options, option, usage) != 0)
            rc = CLI_EXIT_USAGE;
        else {
            size_t index = (size_t) (option >= S_REPEATABLE? option - S_REPEATABLE: option - 1);
            rc = s_store (self, index, optarg);
        }
    }
    free (long_options);
    while (rc == 0 && optind < argc)
        self->arguments [self->argument_count++] = argv [optind++];
    if (rc == 0 && self->argument_count > max_args)
        rc = cli_usage (usage, "unexpected argument \"%s\"", self->arguments [max_args]);
    for (size_t i = 0; rc == 0 && i < self->option_count; i++)
        if (options [i].required && !self->values [i].count)
            rc = cli_usage (usage, "--%s is required", options [i].name);
    if (rc == 0 && self->argument_count < min_args)
        rc = cli_usage (usage, "%s needs %s", prefix + (strncmp (prefix, "crmq ", 5) == 0? 5: 0),
                        arguments? arguments: "more arguments");
    if (rc != 0)
        cli_args_destroy (&self);
    *self_p = self;
    return rc;
}

bool
cli_args_has (cli_args_t *self, const char *name)
{
    assert (self);
    return self->values [s_index (self, name)].count > 0;
}

const char *
cli_args_text (cli_args_t *self, const char *name)
{
    assert (self);
    s_values_t *values = &self->values [s_index (self, name)];
    return values->count? values->texts [values->count - 1]: NULL;
}

int64_t
cli_args_number (cli_args_t *self, const char *name)
{
    assert (self);
    s_values_t *values = &self->values [s_index (self, name)];
    return values->count? values->numbers [values->count - 1]: 0;
}

size_t
cli_args_list (cli_args_t *self, const char *name, char ***texts)
{
    assert (self && texts);
    s_values_t *values = &self->values [s_index (self, name)];
    *texts = values->count? values->texts: NULL;
    return values->count;
}

size_t
cli_args_ids (cli_args_t *self, const char *name, int64_t **ids)
{
    assert (self && ids);
    s_values_t *values = &self->values [s_index (self, name)];
    *ids = values->count? values->numbers: NULL;
    return values->count;
}

//  Keeps `block` until the args are destroyed (then freed).  Returns 0, or
//  -1 on out-of-memory (`block` freed).
static int
s_own (cli_args_t *self, void *block)
{
    void **grown = block? realloc (self->owned, (self->owned_count + 1) * sizeof (void *)): NULL;
    if (!grown) {
        free (block);
        return -1;
    }
    self->owned = grown;
    self->owned [self->owned_count++] = block;
    return 0;
}

int
cli_args_messages (cli_args_t *self, const char *name,
                   const ProtobufCMessageDescriptor *descriptor,
                   int (*parse) (char *text, ProtobufCMessage *message),
                   const char *expected, void ***messages, size_t *count)
{
    assert (self && descriptor && parse && expected && messages && count);
    char **texts;
    *count = cli_args_list (self, name, &texts);
    char *block = calloc (*count + 1, descriptor->sizeof_message);
    void **pointers = calloc (*count + 1, sizeof (void *));
    if (s_own (self, block) != 0 || s_own (self, pointers) != 0) {
        fprintf (stderr, "crmq: out of memory\n");
        return CLI_EXIT_FAILURE;
    }
    for (size_t i = 0; i < *count; i++) {
        ProtobufCMessage *message = (ProtobufCMessage *) (block + i * descriptor->sizeof_message);
        protobuf_c_message_init (descriptor, message);
        pointers [i] = message;
        char *copy = strdup (texts [i]);
        if (s_own (self, copy) != 0) {
            fprintf (stderr, "crmq: out of memory\n");
            return CLI_EXIT_FAILURE;
        }
        if (parse (copy, message) != 0)
            return cli_usage (self->usage, "--%s: \"%s\" is not %s", name, texts [i], expected);
    }
    *messages = pointers;
    return 0;
}

cli_format_t
cli_args_format (cli_args_t *self)
{
    assert (self);
    return self->format;
}

size_t
cli_args_count (cli_args_t *self)
{
    assert (self);
    return self->argument_count;
}

const char *
cli_args_arg (cli_args_t *self, size_t index)
{
    assert (self && index < self->argument_count);
    return self->arguments [index];
}

int
cli_args_arg_id (cli_args_t *self, size_t index, const char *what, int64_t *id)
{
    assert (self && index < self->argument_count && id);
    long long value;
    if (cli_int_parse (self->arguments [index], 1, INT64_MAX, &value) != 0)
        return cli_usage (self->usage, "%s: \"%s\" is not an id", what, self->arguments [index]);
    *id = value;
    return 0;
}

int
cli_args_usage (cli_args_t *self, const char *format, ...)
{
    assert (self);
    char message [512];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    return cli_usage (self->usage, "%s", message);
}

void
cli_args_fill (cli_args_t *self, ProtobufCMessage *message)
{
    assert (self && message);
    for (size_t i = 0; i < self->option_count; i++) {
        const cli_arg_t *option = &self->options [i];
        s_values_t *values = &self->values [i];
        if (!option->field || !values->count)
            continue;
        const ProtobufCFieldDescriptor *field =
            protobuf_c_message_descriptor_get_field_by_name (message->descriptor, option->field);
        if (!field)
            continue;
        char *member = (char *) message + field->offset;
        bool text = option->type == CLI_ARG_TEXT || option->type == CLI_ARG_LIST
                 || option->type == CLI_ARG_DATE;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            *(size_t *) ((char *) message + field->quantifier_offset) = values->count;
            if (field->type == PROTOBUF_C_TYPE_STRING && text)
                *(char ***) member = values->texts;
            else
            if (field->type == PROTOBUF_C_TYPE_INT64 && !text)
                *(int64_t **) member = values->numbers;
            else
                assert (!"option and repeated field types do not match");
        }
        else
        if (field->type == PROTOBUF_C_TYPE_STRING && text)
            *(char **) member = values->texts [0];
        else
        if (field->type == PROTOBUF_C_TYPE_INT64 && !text)
            *(int64_t *) member = values->numbers [0];
        else
        if (field->type == PROTOBUF_C_TYPE_INT32 && option->type == CLI_ARG_INT)
            *(int32_t *) member = (int32_t) values->numbers [0];
        else
        if (field->type == PROTOBUF_C_TYPE_BOOL && option->type == CLI_ARG_FLAG)
            *(protobuf_c_boolean *) member = 1;
        else
            assert (!"option and field types do not match");
    }
}

size_t
cli_args_fields (cli_args_t *self, const ProtobufCMessageDescriptor *descriptor, char ***fields)
{
    assert (self && descriptor && fields);
    free (self->fields);
    self->fields = calloc (self->option_count + 1, sizeof (char *));
    size_t count = 0;
    for (size_t i = 0; self->fields && i < self->option_count; i++) {
        const char *name = self->options [i].field;
        if (name && self->values [i].count
        &&  protobuf_c_message_descriptor_get_field_by_name (descriptor, name))
            self->fields [count++] = (char *) name;
    }
    *fields = self->fields;
    return count;
}

const char *
cli_args_actor (cli_args_t *self, crmq_config_t *config)
{
    assert (self && config);
    for (size_t i = 0; i < self->option_count; i++)
        if (streq (self->options [i].name, "actor") && self->values [i].count)
            return self->values [i].texts [0];
    const char *actor = crmq_config_str (config, "actor");
    if (!actor || !*actor)
        actor = getenv ("USER");
    if (!actor || !*actor)
        actor = getenv ("LOGNAME");
    return actor? actor: "";
}

void
cli_shell_word (FILE *out, const char *text)
{
    bool plain = *text != 0;
    for (const char *c = text; *c; c++)
        if (!strchr ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789_.,:/@%+=-", *c))
            plain = false;
    fputc (' ', out);
    if (plain) {
        fputs (text, out);
        return;
    }
    fputc ('\'', out);
    for (const char *c = text; *c; c++)
        if (*c == '\'')
            fputs ("'\\''", out);
        else
            fputc (*c, out);
    fputc ('\'', out);
}

void
cli_args_more (cli_args_t *self, const char *option, int64_t next)
{
    assert (self && option);
    fprintf (stderr, "more: %s", self->prefix);
    for (size_t i = 0; i < self->argument_count; i++)
        cli_shell_word (stderr, self->arguments [i]);
    for (size_t i = 0; i < self->option_count; i++) {
        const cli_arg_t *entry = &self->options [i];
        if (streq (entry->name, option) || entry->type == CLI_ARG_FORMAT)
            continue;
        for (size_t value = 0; value < self->values [i].count; value++) {
            fprintf (stderr, " --%s", entry->name);
            if (entry->type != CLI_ARG_FLAG)
                cli_shell_word (stderr, self->values [i].texts [value]);
        }
    }
    fprintf (stderr, " --%s %" PRId64 "\n", option, next);
}

//  --------------------------------------------------------------------------
//  Command groups

//  The usage of every command of the group, one per line, for cli_usage.
static char *
s_group_usage (const cli_command_t *commands)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    if (!out)
        return NULL;
    for (size_t i = 0; commands [i].name; i++)
        fprintf (out, "%s%s", i? "\n       ": "", commands [i].usage);
    fclose (out);
    return text;
}

static int
s_group_error (const cli_command_t *commands, const char *group, const char *verb)
{
    char *usage = s_group_usage (commands);
    int rc;
    if (verb)
        rc = cli_usage (usage? usage: "crmq help", "unknown command \"%s %s\"", group, verb);
    else
        rc = cli_usage (usage? usage: "crmq help", "%s what?", group);
    free (usage);
    return rc;
}

int
cli_command_run (const cli_command_t *commands, const char *group,
                 const char *endpoint_setting, crmq_config_t *config, int argc, char **argv)
{
    assert (commands && group && endpoint_setting && config);
    if (argc < 1)
        return s_group_error (commands, group, NULL);
    const cli_command_t *command = NULL;
    for (size_t i = 0; !command && commands [i].name; i++)
        if (streq (commands [i].name, argv [0]))
            command = &commands [i];
    if (!command)
        return s_group_error (commands, group, argv [0]);

    char prefix [128];
    snprintf (prefix, sizeof prefix, "crmq %s %s", group, command->name);
    cli_context_t context = { .config = config };
    context.time_zone = crmq_config_str (config, "time_zone");
    int rc = cli_args_parse (command->options, command->usage, prefix, context.time_zone,
                             command->min_args, command->max_args, command->arguments,
                             argc, argv, &context.args);
    if (rc != 0)
        return rc;
    context.format = cli_args_format (context.args);
    context.actor = cli_args_actor (context.args, config);
    context.rpc = cli_rpc_open (config, endpoint_setting);
    if (context.rpc) {
        rc = command->run (&context);
        crmq_rpc_client_destroy (&context.rpc);
    }
    else
        rc = CLI_EXIT_FAILURE;
    cli_args_destroy (&context.args);
    return rc;
}

void
cli_command_print_usage (const cli_command_t *commands, FILE *out)
{
    assert (commands && out);
    for (size_t i = 0; commands [i].name; i++) {
        //  As the other commands of `crmq help`: without "crmq ", and
        //  continuation lines (indented for "usage: ") five columns less.
        const char *usage = commands [i].usage;
        if (strncmp (usage, "crmq ", 5) == 0)
            usage += 5;
        fputs ("  ", out);
        for (const char *c = usage; *c; c++) {
            fputc (*c, out);
            if (*c == '\n' && strncmp (c + 1, "          ", 10) == 0)
                c += 5;
        }
        fputc ('\n', out);
        if (commands [i].summary)
            fprintf (out, "%35s%s\n", "", commands [i].summary);
    }
}

//  --------------------------------------------------------------------------
//  Self-test

//  Runs the parser with stderr caught; returns its code, *error the text.
static int
s_try (const cli_arg_t *options, size_t min_args, size_t max_args, char **argv, int argc,
       cli_args_t **args, char **error)
{
    fflush (stderr);
    FILE *saved = stderr;
    size_t size = 0;
    *error = NULL;
    stderr = open_memstream (error, &size);
    assert (stderr);
    int rc = cli_args_parse (options, "test", "crmq test run", "Europe/Moscow", min_args,
                             max_args, "ID", argc, argv, args);
    fclose (stderr);
    stderr = saved;
    return rc;
}

void
cli_args_test (bool verbose)
{
    printf (" * cli_args: ");
    static const cli_arg_t options [] = {
        CLI_OPTION ("name",  CLI_ARG_TEXT,  "name"),
        CLI_OPTION ("legal-name", CLI_ARG_TEXT, "legal_name"),
        CLI_OPTION ("tag",   CLI_ARG_LIST,  "tags"),
        CLI_OPTION ("since", CLI_ARG_DATE,  "relationship_since"),
        CLI_OPTION ("id",    CLI_ARG_ID,    "id"),
        CLI_RANGE  ("limit", NULL, 1, 100),
        CLI_OPTION ("at",    CLI_ARG_TIME,  "created_at_us"),
        CLI_OPTION ("flag",  CLI_ARG_FLAG,  NULL),
        CLI_ARG_FORMAT_OPTION,
        CLI_ARG_END
    };
    static const cli_arg_t needs_name [] = {
        CLI_REQUIRED ("name", CLI_ARG_TEXT, "name"),
        CLI_ARG_END
    };
    char *argv [] = { "run", "7", "--name", "ООО «Ромашка»", "--tag", "vip", "--tag", "опт",
                      "--since", "2020-02-29", "--limit", "5", "--at", "2024-03-01 10:30",
                      "--format", "json", "--flag", "--legal-name", "", NULL };
    cli_args_t *args = NULL;
    char *error;
    assert (s_try (options, 1, 1, argv, 19, &args, &error) == 0);
    assert (streq (error, ""));
    free (error);
    assert (cli_args_count (args) == 1 && streq (cli_args_arg (args, 0), "7"));
    int64_t id;
    assert (cli_args_arg_id (args, 0, "ID", &id) == 0 && id == 7);
    assert (streq (cli_args_text (args, "name"), "ООО «Ромашка»"));
    assert (cli_args_has (args, "flag") && !cli_args_has (args, "id"));
    assert (cli_args_number (args, "id") == 0 && cli_args_text (args, "id") == NULL);
    assert (cli_args_number (args, "limit") == 5);
    assert (cli_args_number (args, "at") == 1709278200000000LL);   //  07:30 UTC
    assert (cli_args_format (args) == CLI_FORMAT_JSON);
    char **tags;
    assert (cli_args_list (args, "tag", &tags) == 2 && streq (tags [1], "опт"));

    Crmq__Client client = CRMQ__CLIENT__INIT;
    cli_args_fill (args, &client.base);
    assert (streq (client.name, "ООО «Ромашка»") && streq (client.legal_name, ""));
    assert (client.n_tags == 2 && streq (client.tags [0], "vip"));
    assert (streq (client.relationship_since, "2020-02-29"));
    assert (client.created_at_us == 1709278200000000LL && client.id == 0);
    char **fields;
    size_t count = cli_args_fields (args, &crmq__client__descriptor, &fields);
    assert (count == 5);
    assert (streq (fields [0], "name") && streq (fields [1], "legal_name")
         && streq (fields [2], "tags") && streq (fields [3], "relationship_since")
         && streq (fields [4], "created_at_us"));

    //  The next-page hint repeats what was given
    fflush (stderr);
    FILE *saved = stderr;
    char *text = NULL;
    size_t size = 0;
    stderr = open_memstream (&text, &size);
    cli_args_more (args, "id", 42);
    fclose (stderr);
    stderr = saved;
    assert (streq (text, "more: crmq test run 7 --name 'ООО «Ромашка»' --legal-name ''"
                         " --tag vip --tag 'опт' --since 2020-02-29 --limit 5"
                         " --at '2024-03-01 10:30' --flag --id 42\n"));
    free (text);
    cli_args_destroy (&args);
    cli_args_destroy (&args);

    //  Usage errors
    static const struct { int argc; char *argv [4]; const char *error; } bad [] = {
        { 1, { "run" }, "crmq: test run needs ID\nusage: test\n" },
        { 3, { "run", "1", "2" }, "crmq: unexpected argument \"2\"\nusage: test\n" },
        { 4, { "run", "1", "--limit", "0" }, "crmq: --limit: \"0\" is not 1..100\nusage: test\n" },
        { 4, { "run", "1", "--id", "x" }, "crmq: --id: \"x\" is not an id\nusage: test\n" },
        { 4, { "run", "1", "--since", "2020-02-30" },
          "crmq: --since: \"2020-02-30\" is not a date (YYYY-MM-DD)\nusage: test\n" },
        { 4, { "run", "1", "--at", "soon" },
          "crmq: --at: \"soon\" is not a time (YYYY-MM-DD HH:MM in CRMQ_TIME_ZONE)\n"
          "usage: test\n" },
        { 4, { "run", "--flag", "--flag", "1" },
          "crmq: --flag is given more than once\nusage: test\n" },
        { 3, { "run", "1", "--bogus" }, "crmq: unknown option --bogus\nusage: test\n" },
        { 3, { "run", "1", "--name" }, "crmq: --name needs a value\nusage: test\n" },
        { 4, { "run", "1", "--format", "xml" },
          "crmq: --format: \"xml\" is not table, csv or json\nusage: test\n" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        char *copy [5] = { NULL };
        memcpy (copy, bad [i].argv, sizeof bad [i].argv);
        int rc = s_try (options, 1, 1, copy, bad [i].argc, &args, &error);
        if (verbose || !streq (error, bad [i].error))
            printf ("\n--- got: %s--- expected: %s", error, bad [i].error);
        assert (rc == CLI_EXIT_USAGE && args == NULL && streq (error, bad [i].error));
        free (error);
    }
    char *nameless [] = { "run", "1", NULL };
    assert (s_try (needs_name, 1, 1, nameless, 2, &args, &error) == CLI_EXIT_USAGE);
    assert (streq (error, "crmq: --name is required\nusage: test\n"));
    free (error);
    //  Repeated list options are fine
    char *again [] = { "run", "--tag", "a", "--tag", "a", NULL };
    assert (s_try (options, 0, 0, again, 5, &args, &error) == 0);
    free (error);
    assert (cli_args_list (args, "tag", &tags) == 2);
    cli_args_destroy (&args);
    printf ("OK\n");
}

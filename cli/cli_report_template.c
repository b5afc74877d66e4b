/*  cli_report_template.c - `crmq report template ...`; see
    cli_report_template.h.  */
#include "cli_report_template.h"
#include "cli_args.h"
#include "cli_common.h"
#include "cli_output.h"
#include "cli_report.h"

#include <stdio.h>

//  --------------------------------------------------------------------------
//  The options of a template, as a command line gives them

//  Writes " --NAME VALUE" (VALUE NULL: the option alone).
static void
s_option (FILE *out, const char *name, const char *value)
{
    fprintf (out, " --%s", name);
    if (value)
        cli_shell_word (out, value);
}

static void
s_option_decimal (FILE *out, const char *name, const Crmq__Decimal *decimal)
{
    char text [48];
    if (decimal && (decimal->units || decimal->nanos)
    &&  crmq_decimal_format (decimal->units, decimal->nanos, text, sizeof text) >= 0)
        s_option (out, name, text);
}

static void
s_option_date (FILE *out, const char *name, int64_t us, const char *time_zone)
{
    char day [32];
    if (us && crmq_time_format (us, time_zone, true, day, sizeof day) >= 0)
        s_option (out, name, day);
}

//  The options of `params` as `crmq report` takes them, without the report
//  name ("--period previous_week --by region"); "" for none.  Caller frees.
static char *
s_options_text (const Crmq__ReportParams *params, const char *time_zone)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    assert (out);
    if (params) {
        if (params->period) {
            s_option_date (out, "from", params->period->from_us, time_zone);
            s_option_date (out, "to", params->period->to_us, time_zone);
        }
        if (*params->relative_period)
            s_option (out, "period", params->relative_period);
        if (*params->granularity)
            s_option (out, "granularity", params->granularity);
        for (size_t i = 0; i < params->n_dimensions; i++)
            s_option (out, "by", params->dimensions [i]);
        for (size_t i = 0; i < params->n_filters; i++) {
            const Crmq__ReportFilter *filter = params->filters [i];
            char *value = NULL;
            size_t value_size = 0;
            FILE *values = open_memstream (&value, &value_size);
            assert (values);
            fprintf (values, "%s=", filter->field);
            for (size_t k = 0; k < filter->n_values; k++) {
                if (k)
                    fputc (',', values);
                for (const char *p = filter->values [k]; *p; p++) {
                    if (*p == ',')
                        fputc ('\\', values);
                    fputc (*p, values);
                }
            }
            fclose (values);
            s_option (out, filter->exclude? "exclude": "filter", value);
            free (value);
        }
        if (*params->measure)
            s_option (out, "measure", params->measure);
        char number [24];
        if (params->limit) {
            snprintf (number, sizeof number, "%d", params->limit);
            s_option (out, "limit", number);
        }
        s_option_date (out, "as-of", params->as_of_us, time_zone);
        if (params->lost_after_days) {
            snprintf (number, sizeof number, "%d", params->lost_after_days);
            s_option (out, "lost-after", number);
        }
        s_option_decimal (out, "a-share", params->a_share);
        s_option_decimal (out, "b-share", params->b_share);
        s_option_decimal (out, "x-cv", params->x_cv);
        s_option_decimal (out, "y-cv", params->y_cv);
    }
    fclose (out);
    //  without the leading space
    if (*text == ' ')
        memmove (text, text + 1, strlen (text));
    return text;
}

//  --------------------------------------------------------------------------
//  Printing templates

//  The columns of a template; the last, params, in JSON only.
static const cli_column_t s_columns [] = {
    { "name",        "name",        CLI_COLUMN_TEXT, false },
    { "report",      "report",      CLI_COLUMN_TEXT, false },
    { "schedule",    "schedule",    CLI_COLUMN_TEXT, false },
    { "next_run",    "next run",    CLI_COLUMN_TEXT, false },
    { "last_run",    "last run",    CLI_COLUMN_TEXT, false },
    { "last_status", "last status", CLI_COLUMN_TEXT, false },
    { "options",     "options",     CLI_COLUMN_TEXT, true  },
    { "description", "description", CLI_COLUMN_TEXT, true  },
    { "time_zone",   "time zone",   CLI_COLUMN_TEXT, true  },
    { "version",     "version",     CLI_COLUMN_INTEGER, true },
    { "created",     "created",     CLI_COLUMN_TEXT, true  },
    { "updated",     "updated",     CLI_COLUMN_TEXT, true  },
    { "params",      "params",      CLI_COLUMN_JSON, true  }
};
#define S_COLUMNS (sizeof s_columns / sizeof s_columns [0])

//  The cells of a template (strings in `texts`, freed by s_cells_free).
typedef struct {
    const char *cells [S_COLUMNS];
    char next [32], last [32], created [32], updated [32], version [24];
    char *options;
    char *params;
} s_cells_t;

static void
s_cells (s_cells_t *row, const Crmq__ReportTemplate *template_, const char *time_zone)
{
    memset (row, 0, sizeof *row);
    row->options = s_options_text (template_->params, time_zone);
    json_t *params = template_->params? crmq_message_json (&template_->params->base, NULL, 0)
                                      : NULL;
    row->params = params? cli_json_text (params): NULL;
    json_decref (params);
    snprintf (row->version, sizeof row->version, "%" PRId64, template_->version);
    const char *cells [S_COLUMNS] = {
        template_->name,
        template_->params? template_->params->report: "",
        template_->schedule,
        cli_instant_text (template_->next_run_at_us, time_zone, row->next, sizeof row->next),
        cli_instant_text (template_->last_run_at_us, time_zone, row->last, sizeof row->last),
        template_->last_status,
        row->options,
        template_->description,
        template_->time_zone,
        row->version,
        cli_instant_text (template_->created_at_us, time_zone, row->created, sizeof row->created),
        cli_instant_text (template_->updated_at_us, time_zone, row->updated, sizeof row->updated),
        row->params? row->params: "null"
    };
    memcpy (row->cells, cells, sizeof cells);
}

static void
s_cells_free (s_cells_t *row)
{
    free (row->options);
    free (row->params);
}

//  Columns shown in `format`: params only in JSON.
static size_t
s_column_count (cli_format_t format)
{
    return format == CLI_FORMAT_JSON? S_COLUMNS: S_COLUMNS - 1;
}

static int
s_print_template (const Crmq__ReportTemplate *template_, cli_format_t format,
                  const char *time_zone)
{
    s_cells_t row;
    s_cells (&row, template_, time_zone);
    int rc = cli_output_print_record (format, s_columns, s_column_count (format), row.cells);
    s_cells_free (&row);
    return rc;
}

//  --------------------------------------------------------------------------
//  save

//  The options `save` takes besides the report's.
typedef struct {
    const char *schedule;
    const char *description;
    const char *format;
    bool replace;
} s_save_options_t;

//  Takes --schedule, --description, --replace and --format (also as
//  --NAME=VALUE) out of argv [3..], the rest after REPORT into *rest
//  (argv [2] first: the report name, as cli_report_args_parse wants it;
//  *rest allocated, argv's strings borrowed).  Returns 0, or
//  CLI_EXIT_USAGE after the message.
static int
s_save_split (int argc, char **argv, s_save_options_t *options, char ***rest, int *count)
{
    memset (options, 0, sizeof *options);
    *rest = (char **) zmalloc ((size_t) (argc + 1) * sizeof (char *));
    *count = 0;
    if (argc < 3 || argv [1][0] == '-' || argv [2][0] == '-')
        return cli_usage (CLI_REPORT_TEMPLATE_SAVE_USAGE, "save takes NAME and REPORT first");
    (*rest) [(*count)++] = argv [2];
    static const char *names [] = { "schedule", "description", "format" };
    for (int i = 3; i < argc; i++) {
        const char *arg = argv [i];
        if (streq (arg, "--")) {
            while (i < argc)
                (*rest) [(*count)++] = argv [i++];
            break;
        }
        if (streq (arg, "--replace")) {
            if (options->replace)
                return cli_usage (CLI_REPORT_TEMPLATE_SAVE_USAGE,
                                  "--replace is given more than once");
            options->replace = true;
            continue;
        }
        bool taken = false;
        for (size_t k = 0; k < sizeof names / sizeof names [0] && !taken; k++) {
            size_t length = strlen (names [k]);
            if (strncmp (arg, "--", 2) != 0 || strncmp (arg + 2, names [k], length) != 0
            ||  (arg [2 + length] != 0 && arg [2 + length] != '='))
                continue;
            const char *value = NULL;
            if (arg [2 + length] == '=')
                value = arg + 3 + length;
            else
            if (i + 1 < argc)
                value = argv [++i];
            else
                return cli_usage (CLI_REPORT_TEMPLATE_SAVE_USAGE, "--%s needs a value",
                                  names [k]);
            const char **target = k == 0? &options->schedule
                                : k == 1? &options->description: &options->format;
            if (*target)
                return cli_usage (CLI_REPORT_TEMPLATE_SAVE_USAGE,
                                  "--%s is given more than once", names [k]);
            *target = value;
            taken = true;
        }
        if (!taken)
            (*rest) [(*count)++] = argv [i];
    }
    return 0;
}

static int
s_save (crmq_config_t *config, int argc, char **argv)
{
    s_save_options_t options;
    char **rest;
    int count;
    int rc = s_save_split (argc, argv, &options, &rest, &count);
    cli_format_t format = CLI_FORMAT_TABLE;
    if (rc == 0 && options.format && cli_format_parse (options.format, &format) != 0)
        rc = cli_usage (CLI_REPORT_TEMPLATE_SAVE_USAGE, "--format: \"%s\" is not table, csv or"
                        " json", options.format);
    if (rc != 0) {
        free (rest);
        return rc;
    }
    cli_report_args_t args;
    rc = cli_report_args_parse (config, count, rest, true, false, CLI_REPORT_TEMPLATE_SAVE_USAGE,
                                &args);
    if (rc == 0) {
        Crmq__ReportTemplate template_ = CRMQ__REPORT_TEMPLATE__INIT;
        template_.name = argv [1];
        template_.description = (char *) (options.description? options.description: "");
        template_.schedule = (char *) (options.schedule? options.schedule: "");
        template_.params = &args.params;
        Crmq__SaveTemplateRequest request = CRMQ__SAVE_TEMPLATE_REQUEST__INIT;
        request.template_ = &template_;
        request.replace = options.replace;
        crmq_rpc_client_t *client = cli_rpc_open (config, "analytics_endpoint");
        Crmq__ReportTemplate *saved = NULL;
        rc = client? cli_call (client, "analytics.SaveTemplate", &request.base,
                               &crmq__report_template__descriptor, (ProtobufCMessage **) &saved)
                   : CLI_EXIT_FAILURE;
        if (rc == CLI_EXIT_OK) {
            rc = s_print_template (saved, format, crmq_config_str (config, "time_zone"));
            crmq__report_template__free_unpacked (saved, NULL);
        }
        crmq_rpc_client_destroy (&client);
    }
    cli_report_args_free (&args);
    free (rest);
    return rc;
}

//  --------------------------------------------------------------------------
//  list, show, run, delete

//  Calls `method` with the template name (positional argument 0).
static int
s_call_name (cli_context_t *context, const char *method,
             const ProtobufCMessageDescriptor *reply_type, ProtobufCMessage **reply)
{
    Crmq__TemplateName request = CRMQ__TEMPLATE_NAME__INIT;
    request.name = (char *) cli_args_arg (context->args, 0);
    return cli_call (context->rpc, method, &request.base, reply_type, reply);
}

static int
s_list (cli_context_t *context)
{
    Crmq__ListTemplatesRequest request = CRMQ__LIST_TEMPLATES_REQUEST__INIT;
    Crmq__ListTemplatesReply *reply;
    int rc = cli_call (context->rpc, "analytics.ListTemplates", &request.base,
                       &crmq__list_templates_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;
    cli_output_t *output = cli_output_new (context->format);
    bool built = output && cli_output_add_columns (output, s_columns,
                                                   s_column_count (context->format)) == 0;
    for (size_t i = 0; built && i < reply->n_templates; i++) {
        s_cells_t row;
        s_cells (&row, reply->templates [i], context->time_zone);
        built = cli_output_add_row (output, row.cells) == 0;
        s_cells_free (&row);
    }
    if (built) {
        char title [64];
        snprintf (title, sizeof title, "Report templates: %zu", reply->n_templates);
        cli_output_set_title (output, title);
    }
    crmq__list_templates_reply__free_unpacked (reply, NULL);
    return cli_output_finish (&output, built);
}

static int
s_show (cli_context_t *context)
{
    Crmq__ReportTemplate *template_;
    int rc = s_call_name (context, "analytics.GetTemplate", &crmq__report_template__descriptor,
                          (ProtobufCMessage **) &template_);
    if (rc != CLI_EXIT_OK)
        return rc;
    rc = s_print_template (template_, context->format, context->time_zone);
    crmq__report_template__free_unpacked (template_, NULL);
    return rc;
}

static int
s_run (cli_context_t *context)
{
    Crmq__ReportResult *result;
    int rc = s_call_name (context, "analytics.RunTemplate", &crmq__report_result__descriptor,
                          (ProtobufCMessage **) &result);
    if (rc != CLI_EXIT_OK)
        return rc;
    cli_report_args_t args;
    memset (&args, 0, sizeof args);
    crmq__report_params__init (&args.params);
    args.format = context->format;
    args.table = cli_args_text (context->args, "table");
    args.chart = cli_args_text (context->args, "chart");
    rc = cli_report_print (result, &args, context->time_zone);
    crmq__report_result__free_unpacked (result, NULL);
    return rc;
}

static int
s_delete (cli_context_t *context)
{
    Crmq__DeleteTemplateReply *reply;
    int rc = s_call_name (context, "analytics.DeleteTemplate",
                          &crmq__delete_template_reply__descriptor, (ProtobufCMessage **) &reply);
    if (rc != CLI_EXIT_OK)
        return rc;                          //  a missing template is 5 NOT_FOUND
    static const cli_column_t columns [] = {
        { "name",   "name",   CLI_COLUMN_TEXT, false },
        { "status", "status", CLI_COLUMN_TEXT, false }
    };
    const char *cells [2] = { cli_args_arg (context->args, 0), "deleted" };
    if (reply->deleted)
        rc = cli_output_print_record (context->format, columns, 2, cells);
    else {
        fprintf (stderr, "crmq: no template \"%s\"\n", cells [0]);
        rc = CLI_EXIT_FAILURE;
    }
    crmq__delete_template_reply__free_unpacked (reply, NULL);
    return rc;
}

static const cli_arg_t s_format_options [] = {
    CLI_ARG_FORMAT_OPTION,
    CLI_ARG_END
};

static const cli_arg_t s_run_options [] = {
    CLI_ARG_FORMAT_OPTION,
    CLI_OPTION ("table", CLI_ARG_TEXT, NULL),
    CLI_OPTION ("chart", CLI_ARG_TEXT, NULL),
    CLI_ARG_END
};

static const cli_command_t s_commands [] = {
    { "list", "crmq report template list [--format table|csv|json]",
      "the saved report templates", s_format_options, 0, 0, NULL, s_list },
    { "show", "crmq report template show NAME [--format table|csv|json]",
      "one template", s_format_options, 1, 1, "NAME", s_show },
    { "run", "crmq report template run NAME [--format table|csv|json] [--table T]\n"
             "           [--chart FILE.svg]",
      "runs the template's report now", s_run_options, 1, 1, "NAME", s_run },
    { "delete", "crmq report template delete NAME [--format table|csv|json]",
      "deletes the template and its runs", s_format_options, 1, 1, "NAME", s_delete },
    { NULL, NULL, NULL, NULL, 0, 0, NULL, NULL }
};

int
cli_report_template_run (crmq_config_t *config, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage (CLI_REPORT_TEMPLATE_USAGE, "which template command?");
    if (streq (argv [1], "save"))
        return s_save (config, argc - 1, argv + 1);
    return cli_command_run (s_commands, "report template", "analytics_endpoint", config,
                            argc - 1, argv + 1);
}

//  --------------------------------------------------------------------------

void
cli_report_template_test (bool verbose)
{
    printf (" * cli_report_template: ");
    if (verbose)
        printf ("\n");
    //  the options text
    Crmq__ReportParams params = CRMQ__REPORT_PARAMS__INIT;
    char *text = s_options_text (&params, "UTC");
    assert (streq (text, ""));
    free (text);
    params.relative_period = (char *) "previous_week";
    char *dimensions [2] = { (char *) "region", (char *) "manager" };
    params.dimensions = dimensions;
    params.n_dimensions = 2;
    char *values [2] = { (char *) "Кемерово", (char *) "A, B" };
    Crmq__ReportFilter filter = CRMQ__REPORT_FILTER__INIT;
    filter.field = (char *) "region";
    filter.values = values;
    filter.n_values = 2;
    Crmq__ReportFilter *filters [1] = { &filter };
    params.filters = filters;
    params.n_filters = 1;
    params.limit = 50;
    Crmq__Decimal share = CRMQ__DECIMAL__INIT;
    share.nanos = 700000000;
    params.a_share = &share;
    text = s_options_text (&params, "UTC");
    if (verbose)
        printf ("   %s\n", text);
    assert (streq (text, "--period previous_week --by region --by manager"
                         " --filter 'region=Кемерово,A\\, B' --limit 50 --a-share 0.7"));
    free (text);
    Crmq__Period period = CRMQ__PERIOD__INIT;
    period.from_us = 1704067200000000LL;        //  2024-01-01 UTC
    params.period = &period;
    params.relative_period = (char *) "";
    params.n_dimensions = 0;
    params.n_filters = 0;
    params.limit = 0;
    params.a_share = NULL;
    params.measure = (char *) "it's";
    text = s_options_text (&params, "Europe/Berlin");
    assert (streq (text, "--from 2024-01-01 --measure 'it'\\''s'"));
    free (text);
    //  a comma inside a value keeps its backslash through the shell
    char *comma [1] = { (char *) "A,B" };
    filter.values = comma;
    filter.n_values = 1;
    params.n_filters = 1;
    params.measure = (char *) "";
    params.period = NULL;
    text = s_options_text (&params, "UTC");
    assert (streq (text, "--filter 'region=A\\,B'"));
    free (text);

    //  the save command line: NAME REPORT first, the template's options
    //  taken out wherever they are
    char *line [] = { "save", "Еженедельный ABC", "abc", "--period", "previous_week",
                      "--schedule", "FREQ=WEEKLY;BYDAY=MO;BYHOUR=7", "--by", "region",
                      "--replace", "--description=для отдела", "--format", "json", NULL };
    s_save_options_t options;
    char **rest;
    int count;
    assert (s_save_split (13, line, &options, &rest, &count) == 0);
    assert (streq (options.schedule, "FREQ=WEEKLY;BYDAY=MO;BYHOUR=7"));
    assert (streq (options.description, "для отдела") && options.replace);
    assert (streq (options.format, "json"));
    assert (count == 5 && streq (rest [0], "abc") && streq (rest [1], "--period")
            && streq (rest [4], "region"));
    free (rest);
    printf ("OK\n");
}

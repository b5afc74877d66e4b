/*  cli_report.c - `crmq report NAME`; see cli_report.h.  */
#include "cli_report.h"
#include "cli_chart.h"
#include "cli_client_metrics.h"
#include "cli_common.h"
#include "cli_report_template.h"
#include "cli_report_html.h"

#include <errno.h>
#include <getopt.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

//  Options that may repeat have codes above 255 (cli_option_once skips them).
enum { S_BY = 300, S_FILTER, S_EXCLUDE };

static char *
s_strdup (const char *text)
{
    char *copy = strdup (text);
    assert (copy);
    return copy;
}

//  Appends `item` to a malloc'd array of pointers of *count items.
static void
s_append (void ***array, size_t *count, void *item)
{
    *array = (void **) realloc (*array, (*count + 1) * sizeof (void *));
    assert (*array);
    (*array) [(*count)++] = item;
}

//  Adds "FIELD=V1,V2" to the filters: to the filter of the same field and
//  sense when there is one.  Returns 0 or -1 (no "=" or empty field).
static int
s_add_filter (Crmq__ReportParams *params, const char *text, bool exclude)
{
    const char *equals = strchr (text, '=');
    if (!equals || equals == text)
        return -1;
    char *field = strndup (text, (size_t) (equals - text));
    Crmq__ReportFilter *filter = NULL;
    for (size_t i = 0; i < params->n_filters; i++)
        if (streq (params->filters [i]->field, field) && params->filters [i]->exclude == exclude)
            filter = params->filters [i];
    if (filter)
        free (field);
    else {
        filter = (Crmq__ReportFilter *) zmalloc (sizeof (Crmq__ReportFilter));
        crmq__report_filter__init (filter);
        filter->field = field;
        filter->exclude = exclude;
        s_append ((void ***) &params->filters, &params->n_filters, filter);
    }
    //  values split at commas; "\," is a comma inside a value
    const char *cursor = equals + 1;
    char *value = (char *) zmalloc (strlen (cursor) + 1);
    size_t length = 0;
    for (;; cursor++) {
        if (*cursor == '\\' && cursor [1] == ',') {
            value [length++] = ',';
            cursor++;
        }
        else
        if (*cursor == ',' || *cursor == 0) {
            value [length] = 0;
            s_append ((void ***) &filter->values, &filter->n_values, s_strdup (value));
            length = 0;
            if (*cursor == 0)
                break;
        }
        else
            value [length++] = *cursor;
    }
    free (value);
    return 0;
}

//  Parses a fraction option (--a-share, --b-share, --x-cv, --y-cv) into a
//  Decimal.  Returns 0, -1 when the text is not a decimal, or -2 when it is
//  not in (0, 1] (0 would mean the default on the wire, as analytics.Report
//  reads it; report_params.c refuses more than 1).
static int
s_fraction (const char *text, Crmq__Decimal **decimal)
{
    int64_t units;
    int32_t nanos;
    if (crmq_decimal_parse (text, &units, &nanos) != 0)
        return -1;
    if (!((units == 0 && nanos > 0) || (units == 1 && nanos == 0)))
        return -2;
    if (!*decimal) {
        *decimal = (Crmq__Decimal *) zmalloc (sizeof (Crmq__Decimal));
        crmq__decimal__init (*decimal);
    }
    (*decimal)->units = units;
    (*decimal)->nanos = nanos;
    return 0;
}

int
cli_report_args_parse (crmq_config_t *config, int argc, char **argv, bool named, bool output,
                       const char *usage, cli_report_args_t *args)
{
    static const struct option long_options [] = {
        { "from",        required_argument, NULL, 'f' },
        { "to",          required_argument, NULL, 't' },
        { "period",      required_argument, NULL, 'p' },
        { "granularity", required_argument, NULL, 'g' },
        { "by",          required_argument, NULL, S_BY },
        { "filter",      required_argument, NULL, S_FILTER },
        { "exclude",     required_argument, NULL, S_EXCLUDE },
        { "measure",     required_argument, NULL, 'm' },
        { "limit",       required_argument, NULL, 'l' },
        { "as-of",       required_argument, NULL, 'a' },
        { "lost-after",  required_argument, NULL, 'L' },
        { "a-share",     required_argument, NULL, 'A' },
        { "b-share",     required_argument, NULL, 'B' },
        { "x-cv",        required_argument, NULL, 'X' },
        { "y-cv",        required_argument, NULL, 'Y' },
        { "format",      required_argument, NULL, 'F' },
        { "table",       required_argument, NULL, 'T' },
        { "chart",       required_argument, NULL, 'C' },
        { NULL, 0, NULL, 0 }
    };
    memset (args, 0, sizeof *args);
    crmq__report_params__init (&args->params);
    crmq__period__init (&args->period);
    args->params.period = &args->period;
    args->format = CLI_FORMAT_TABLE;
    if (named)
        args->params.report = s_strdup (argv [0]);
    const char *time_zone = crmq_config_str (config, "time_zone");
    cli_options_seen_t seen = { 0 };
    optind = 0;
    opterr = 0;
    int option;
    long long number;
    int index = -1;
    while ((option = getopt_long (argc, argv, ":", long_options, &index)) != -1) {
        //  the option a bad value belongs to: argv [optind - 1] is the value
        //  itself when it came as a separate argument
        char name [32];
        snprintf (name, sizeof name, "--%s", index >= 0? long_options [index].name: "");
        index = -1;
        if (cli_option_once (&seen, long_options, option, usage) != 0)
            return CLI_EXIT_USAGE;
        switch (option) {
            case 'f':
            case 't':
            case 'a': {
                int64_t us;
                if (cli_date_parse (optarg, time_zone, &us) != 0)
                    return cli_usage (usage, "%s: \"%s\" is not a date YYYY-MM-DD "
                                      "(CRMQ_TIME_ZONE %s)", name, optarg,
                                      time_zone);
                if (option == 'f')
                    args->period.from_us = us;
                else
                if (option == 't')
                    args->period.to_us = us;
                else
                    args->params.as_of_us = us;
                break;
            }
            case 'p':
                args->params.relative_period = s_strdup (optarg);
                break;
            case 'g':
                args->params.granularity = s_strdup (optarg);
                break;
            case S_BY:
                s_append ((void ***) &args->params.dimensions, &args->params.n_dimensions,
                          s_strdup (optarg));
                break;
            case S_FILTER:
            case S_EXCLUDE:
                if (s_add_filter (&args->params, optarg, option == S_EXCLUDE) != 0)
                    return cli_usage (usage, "%s: \"%s\" is not FIELD=VALUE[,VALUE...]",
                                      name, optarg);
                break;
            case 'm':
                args->params.measure = s_strdup (optarg);
                break;
            case 'l':
            case 'L':
                if (cli_int_parse (optarg, 1, option == 'l'? 100000: 3650, &number) != 0)
                    return cli_usage (usage, "%s: \"%s\" is not a whole number 1..%d",
                                      name, optarg, option == 'l'? 100000: 3650);
                if (option == 'l')
                    args->params.limit = (int32_t) number;
                else
                    args->params.lost_after_days = (int32_t) number;
                break;
            case 'A':
            case 'B':
            case 'X':
            case 'Y': {
                Crmq__Decimal **target = option == 'A'? &args->params.a_share
                                       : option == 'B'? &args->params.b_share
                                       : option == 'X'? &args->params.x_cv: &args->params.y_cv;
                int parsed = s_fraction (optarg, target);
                if (parsed == -1)
                    return cli_usage (usage, "%s: \"%s\" is not a fraction such as 0.8",
                                      name, optarg);
                if (parsed == -2)
                    return cli_usage (usage, "%s: \"%s\" must be in (0, 1]",
                                      name, optarg);
                break;
            }
            case 'F':
            case 'T':
            case 'C':
                if (!output)
                    return cli_usage (usage, "unknown option %s", name);
                if (option == 'F' && cli_format_parse (optarg, &args->format) != 0)
                    return cli_usage (usage, "--format: \"%s\" is not table, csv or json", optarg);
                if (option == 'T')
                    args->table = optarg;
                if (option == 'C')
                    args->chart = optarg;
                break;
            case ':':
                return cli_usage (usage, "%s needs a value", argv [optind - 1]);
            default:
                return cli_usage (usage, "unknown option %s", argv [optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage (usage, "unexpected argument \"%s\"", argv [optind]);
    if (args->period.from_us && args->period.to_us && args->period.from_us >= args->period.to_us)
        return cli_usage (usage, "--to is not after --from");
    return 0;
}

static void
s_free_string (char *text)
{
    if (text && text != protobuf_c_empty_string)
        free (text);
}

void
cli_report_args_free (cli_report_args_t *args)
{
    Crmq__ReportParams *params = &args->params;
    s_free_string (params->report);
    s_free_string (params->relative_period);
    s_free_string (params->granularity);
    s_free_string (params->measure);
    for (size_t i = 0; i < params->n_dimensions; i++)
        free (params->dimensions [i]);
    free (params->dimensions);
    for (size_t i = 0; i < params->n_filters; i++) {
        for (size_t k = 0; k < params->filters [i]->n_values; k++)
            free (params->filters [i]->values [k]);
        free (params->filters [i]->values);
        free (params->filters [i]->field);
        free (params->filters [i]);
    }
    free (params->filters);
    free (params->a_share);
    free (params->b_share);
    free (params->x_cv);
    free (params->y_cv);
    crmq__report_params__init (params);
    params->period = &args->period;
}

//  --------------------------------------------------------------------------
//  Printing

//  The period as a title says it, from the result's parameters.
static void
s_period_text (const Crmq__ReportResult *result, const char *time_zone, char *buf, size_t size)
{
    cli_period_text (result->params? result->params->period: NULL, time_zone, "all time", buf,
                     size);
}

static cli_column_type_t
s_column_type (const char *type)
{
    if (streq (type, "int"))
        return CLI_COLUMN_INTEGER;
    if (streq (type, "money") || streq (type, "decimal") || streq (type, "share"))
        return CLI_COLUMN_DECIMAL;
    return CLI_COLUMN_TEXT;
}

//  A decimal cell without the trailing zeros of its fraction ("2172.000000000"
//  -> "2172", "1.250" -> "1.25"), written into buf, for the table format;
//  the cell itself when it is not a decimal with a fraction or does not fit.
static const char *
s_decimal_short (const char *cell, char *buf, size_t size)
{
    int64_t units;
    int32_t nanos;
    size_t length = strlen (cell);
    if (!strchr (cell, '.') || length >= size || crmq_decimal_parse (cell, &units, &nanos) != 0)
        return cell;
    memcpy (buf, cell, length + 1);
    while (buf [length - 1] == '0')
        buf [--length] = 0;
    if (buf [length - 1] == '.')
        buf [--length] = 0;
    return buf;
}

//  Prints one table through cli_output.
static int
s_print_table (const Crmq__ReportTable *table, cli_format_t format, const char *title)
{
    cli_output_t *output = cli_output_new (format);
    if (!output)
        return CLI_EXIT_FAILURE;
    bool table_format = format == CLI_FORMAT_TABLE;
    if (title)
        cli_output_set_title (output, title);
    if (table_format && table->n_rows == 1 && table->n_columns > 3)
        cli_output_set_record (output, true);
    for (size_t i = 0; i < table->n_columns; i++) {
        const Crmq__ReportColumn *column = table->columns [i];
        char heading [128];
        snprintf (heading, sizeof heading, "%s%s", column->title,
                  table_format && streq (column->type, "share")? " %": "");
        cli_output_add_column (output, column->name, table_format? heading: column->name,
                               streq (column->name, "client_id")? CLI_COLUMN_ID
                                                                : s_column_type (column->type));
    }
    int rc = 0;
    //  the table format prints shares as percentages and decimals (say
    //  quantities) without trailing zeros; CSV and JSON keep the text sent
    char (*shown) [48] = (char (*) [48]) zmalloc ((table->n_columns + 1) * 48);
    const char **cells = (const char **) zmalloc ((table->n_columns + 1) * sizeof (char *));
    for (size_t row = 0; row < table->n_rows && rc == 0; row++) {
        for (size_t i = 0; i < table->n_columns; i++) {
            const char *cell = i < table->rows [row]->n_cells? table->rows [row]->cells [i]: "";
            const char *type = table->columns [i]->type;
            int64_t units;
            int32_t nanos;
            if (table_format && streq (type, "share") && *cell
            &&  crmq_decimal_parse (cell, &units, &nanos) == 0)
                cell = cli_percent_text (units, nanos, shown [i], sizeof shown [i]);
            else
            if (table_format && streq (type, "decimal"))
                cell = s_decimal_short (cell, shown [i], sizeof shown [i]);
            cells [i] = cell;
        }
        rc = cli_output_add_row (output, cells);
    }
    free (cells);
    free (shown);
    if (rc == 0)
        rc = cli_output_print_stdout (output);
    else
        rc = CLI_EXIT_FAILURE;
    cli_output_destroy (&output);
    return rc;
}

//  A table's rows as a JSON array of objects.
static json_t *
s_table_json (const Crmq__ReportTable *table)
{
    json_t *rows = json_array ();
    for (size_t row = 0; row < table->n_rows; row++) {
        json_t *object = json_object ();
        for (size_t i = 0; i < table->n_columns; i++) {
            const char *cell = i < table->rows [row]->n_cells? table->rows [row]->cells [i]: "";
            json_t *value;
            if (!*cell)
                value = json_null ();
            else
            if (streq (table->columns [i]->type, "int"))
                value = json_integer (strtoll (cell, NULL, 10));
            else
                value = json_string (cell);
            json_object_set_new (object, table->columns [i]->name, value? value: json_null ());
        }
        json_array_append_new (rows, object);
    }
    return rows;
}

static json_t *
s_result_json (const Crmq__ReportResult *result, const char *time_zone)
{
    json_t *root = json_object ();
    const Crmq__ReportParams *params = result->params;
    json_object_set_new (root, "report", json_string (params? params->report: ""));
    json_object_set_new (root, "title", json_string (result->title));
    json_t *period = json_object ();
    char day [32];
    if (params && params->period && params->period->from_us
    &&  crmq_time_format (params->period->from_us, time_zone, true, day, sizeof day) >= 0)
        json_object_set_new (period, "from", json_string (day));
    else
        json_object_set_new (period, "from", json_null ());
    if (params && params->period && params->period->to_us
    &&  crmq_time_format (params->period->to_us, time_zone, true, day, sizeof day) >= 0)
        json_object_set_new (period, "to", json_string (day));
    else
        json_object_set_new (period, "to", json_null ());
    json_object_set_new (root, "period", period);
    json_t *options = json_object ();
    if (params) {
        json_object_set_new (options, "granularity", json_string (params->granularity));
        json_object_set_new (options, "measure", json_string (params->measure));
        json_object_set_new (options, "relative_period", json_string (params->relative_period));
        json_object_set_new (options, "limit", json_integer (params->limit));
        json_t *dimensions = json_array ();
        for (size_t i = 0; i < params->n_dimensions; i++)
            json_array_append_new (dimensions, json_string (params->dimensions [i]));
        json_object_set_new (options, "dimensions", dimensions);
        json_t *filters = json_array ();
        for (size_t i = 0; i < params->n_filters; i++) {
            json_t *filter = json_object ();
            json_object_set_new (filter, "field", json_string (params->filters [i]->field));
            json_object_set_new (filter, "exclude", json_boolean (params->filters [i]->exclude));
            json_t *values = json_array ();
            for (size_t k = 0; k < params->filters [i]->n_values; k++)
                json_array_append_new (values, json_string (params->filters [i]->values [k]));
            json_object_set_new (filter, "values", values);
            json_array_append_new (filters, filter);
        }
        json_object_set_new (options, "filters", filters);
    }
    json_object_set_new (root, "params", options);
    json_object_set_new (root, "currency", json_string (result->currency));
    json_object_set_new (root, "as_of_seq", json_integer (result->as_of_seq));
    json_object_set_new (root, "cached", json_boolean (result->cached));
    json_t *notes = json_array ();
    for (size_t i = 0; i < result->n_notes; i++)
        json_array_append_new (notes, json_string (result->notes [i]));
    json_object_set_new (root, "notes", notes);
    json_t *tables = json_object ();
    for (size_t i = 0; i < result->n_tables; i++)
        json_object_set_new (tables, result->tables [i]->name, s_table_json (result->tables [i]));
    json_object_set_new (root, "tables", tables);
    return root;
}

//  The table named `name`, or NULL.
static const Crmq__ReportTable *
s_find_table (const Crmq__ReportResult *result, const char *name)
{
    for (size_t i = 0; i < result->n_tables; i++)
        if (streq (result->tables [i]->name, name))
            return result->tables [i];
    return NULL;
}

//  Writes the chart of `table` (NULL = the first table with a chart kind)
//  to the file `path`, atomically.  Returns 0 or CLI_EXIT_FAILURE (said).
static int
s_write_chart (const Crmq__ReportResult *result, const Crmq__ReportTable *table,
               const char *path)
{
    for (size_t i = 0; !table && i < result->n_tables; i++)
        if (*result->tables [i]->chart)
            table = result->tables [i];
    if (!table || !*table->chart) {
        fprintf (stderr, "crmq: --chart: the report has no %s to draw\n",
                 table? "chart for this table": "table with a chart");
        return CLI_EXIT_FAILURE;
    }
    char temporary [4096];
    snprintf (temporary, sizeof temporary, "%s.%d.tmp", path, (int) getpid ());
    FILE *file = fopen (temporary, "w");
    if (!file) {
        fprintf (stderr, "crmq: --chart: cannot write %s: %s\n", path, strerror (errno));
        return CLI_EXIT_FAILURE;
    }
    int rc = cli_chart_write (table, result->currency, true, file);
    if (fclose (file) != 0 || rc != 0 || rename (temporary, path) != 0) {
        if (rc == 0)
            fprintf (stderr, "crmq: --chart: cannot write %s: %s\n", path, strerror (errno));
        remove (temporary);
        return CLI_EXIT_FAILURE;
    }
    return 0;
}

int
cli_report_print (const Crmq__ReportResult *result, const cli_report_args_t *args,
                  const char *time_zone)
{
    const Crmq__ReportTable *only = NULL;
    if (args->table) {
        only = s_find_table (result, args->table);
        if (!only) {
            fprintf (stderr, "crmq: report %s has no table \"%s\"; tables:",
                     result->params? result->params->report: "", args->table);
            for (size_t i = 0; i < result->n_tables; i++)
                fprintf (stderr, " %s", result->tables [i]->name);
            fprintf (stderr, "\n");
            return CLI_EXIT_FAILURE;
        }
    }
    int rc = 0;
    if (args->chart)
        rc = s_write_chart (result, only, args->chart);
    if (rc != 0)
        return rc;
    if (args->format == CLI_FORMAT_JSON) {
        json_t *root = s_result_json (result, time_zone);
        rc = cli_json_print_stdout (root, root != NULL);
        json_decref (root);
        return rc;
    }
    if (args->format == CLI_FORMAT_CSV) {
        if (!only && result->n_tables == 0)
            return 0;
        return s_print_table (only? only: result->tables [0], CLI_FORMAT_CSV, NULL);
    }
    char period [96];
    s_period_text (result, time_zone, period, sizeof period);
    printf ("%s, %s%s\n", result->title, period, result->cached? " (cached)": "");
    printf ("amounts in %s; events up to #%" PRId64 "\n", result->currency, result->as_of_seq);
    for (size_t i = 0; i < result->n_notes; i++)
        printf ("note: %s\n", result->notes [i]);
    for (size_t i = 0; i < result->n_tables && rc == 0; i++) {
        const Crmq__ReportTable *table = result->tables [i];
        if (only && table != only)
            continue;
        char title [256];
        if (table->total_rows > (int64_t) table->n_rows)
            snprintf (title, sizeof title, "\n%s (first %zu of %" PRId64 ")", table->title,
                      table->n_rows, table->total_rows);
        else
            snprintf (title, sizeof title, "\n%s", table->title);
        fflush (stdout);
        rc = s_print_table (table, CLI_FORMAT_TABLE, title);
    }
    return rc;
}

//  --------------------------------------------------------------------------

int
cli_report_run (crmq_config_t *config, int argc, char **argv)
{
    if (argc >= 1 && streq (argv [0], "html"))
        return cli_report_html (config, argc, argv);
    if (argc >= 1 && streq (argv [0], "client-metrics"))
        return cli_command_run (cli_client_metrics_commands (), "report", "analytics_endpoint",
                                config, argc, argv);
    if (argc >= 1 && streq (argv [0], "template"))
        return cli_report_template_run (config, argc, argv);
    if (argc < 1 || argv [0][0] == '-')
        return cli_usage (CLI_REPORT_USAGE, "which report?");
    cli_report_args_t args;
    int rc = cli_report_args_parse (config, argc, argv, true, true, CLI_REPORT_USAGE, &args);
    if (rc == 0) {
        crmq_rpc_client_t *client = cli_rpc_open (config, "analytics_endpoint");
        Crmq__ReportResult *result = NULL;
        rc = client? cli_call (client, "analytics.Report", &args.params.base,
                               &crmq__report_result__descriptor, (ProtobufCMessage **) &result)
                   : CLI_EXIT_FAILURE;
        if (rc == CLI_EXIT_OK) {
            rc = cli_report_print (result, &args, crmq_config_str (config, "time_zone"));
            crmq__report_result__free_unpacked (result, NULL);
        }
        crmq_rpc_client_destroy (&client);
    }
    cli_report_args_free (&args);
    return rc;
}

void
cli_report_test (bool verbose)
{
    printf (" * cli_report: ");
    if (verbose)
        printf ("\n");
    Crmq__ReportParams params = CRMQ__REPORT_PARAMS__INIT;
    assert (s_add_filter (&params, "region=North,South\\, East", false) == 0);
    assert (s_add_filter (&params, "region=West", false) == 0);
    assert (s_add_filter (&params, "region=Кемерово", true) == 0);
    assert (s_add_filter (&params, "=x", false) == -1);
    assert (s_add_filter (&params, "region", false) == -1);
    assert (params.n_filters == 2);
    assert (params.filters [0]->n_values == 3);
    assert (streq (params.filters [0]->values [1], "South, East"));
    assert (streq (params.filters [0]->values [2], "West"));
    assert (params.filters [1]->exclude && streq (params.filters [1]->values [0], "Кемерово"));
    cli_report_args_t args;
    memset (&args, 0, sizeof args);
    args.params = params;
    cli_report_args_free (&args);
    cli_report_args_free (&args);
    Crmq__Decimal *decimal = NULL;
    assert (s_fraction ("0.8", &decimal) == 0 && decimal->nanos == 800000000);
    assert (s_fraction ("x", &decimal) == -1);
    char shown [48];
    assert (streq (s_decimal_short ("2172.000000000", shown, sizeof shown), "2172"));
    assert (streq (s_decimal_short ("-1.250000000", shown, sizeof shown), "-1.25"));
    assert (streq (s_decimal_short ("0.000000001", shown, sizeof shown), "0.000000001"));
    assert (streq (s_decimal_short ("10", shown, sizeof shown), "10"));
    assert (streq (s_decimal_short ("", shown, sizeof shown), ""));
    assert (streq (s_decimal_short ("1.5", shown, 3), "1.5"));          //  does not fit: as sent
    assert (s_fraction ("1", &decimal) == 0 && decimal->units == 1 && decimal->nanos == 0);
    assert (s_fraction ("0.000000001", &decimal) == 0 && decimal->nanos == 1);
    assert (s_fraction ("0", &decimal) == -2);
    assert (s_fraction ("0.0", &decimal) == -2);
    assert (s_fraction ("-0.5", &decimal) == -2);
    assert (s_fraction ("1.000000001", &decimal) == -2);
    assert (s_fraction ("2", &decimal) == -2);
    assert (decimal->units == 0 && decimal->nanos == 1);   //  a refusal leaves it
    free (decimal);
    printf ("OK\n");
}

/*  cli_report_html.c - `crmq report html`; see cli_report_html.h.  */
#include "cli_report_html.h"
#include "cli_chart.h"
#include "cli_common.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_TABLE_ROWS 50         //  rows of a table shown on the page

//  The reports of the page, in order, with a heading for when one fails.
static const struct {
    const char *name;
    const char *title;
} s_reports [] = {
    { "base",            "Client base" },
    { "abc",             "ABC analysis" },
    { "xyz",             "XYZ analysis" },
    { "abc_xyz",         "ABC \xC3\x97 XYZ" },
    { "rfm",             "RFM segments" },
    { "rating",          "Client rating" },
    { "dynamics",        "Order dynamics" },
    { "managers",        "Managers" },
    { "funnel",          "Sales funnel" },
    { "least_satisfied", "Least satisfied clients" }
};
#define S_REPORTS (sizeof s_reports / sizeof s_reports [0])

//  ReportParams.relative_period values.
static const char *s_relative_periods [] = {
    "previous_day", "previous_week", "previous_month", "previous_quarter", "previous_year",
    "last_7_days", "last_30_days", "last_90_days", "last_12_months", "month_to_date",
    "year_to_date", NULL
};

typedef struct {
    const char *out;
    const char *from_text, *to_text;
    const char *relative;
    Crmq__Period period;
    const char *time_zone;
} s_options_t;

//  One report's answer: the result, or the error it answered.
typedef struct {
    Crmq__ReportResult *result;
    char error [512];
} s_answer_t;

static const char s_style [] =
    "body { font-family: \"DejaVu Sans\", Verdana, Arial, sans-serif; color: #222; "
    "background: #fff; max-width: 1120px; margin: 0 auto; padding: 16px 24px; }\n"
    "h1 { font-size: 24px; margin: 8px 0 12px; }\n"
    "h2 { font-size: 20px; border-bottom: 2px solid #4e79a7; padding-bottom: 4px; "
    "margin-top: 48px; }\n"
    "h3 { font-size: 16px; margin: 28px 0 8px; }\n"
    "dl.meta { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; }\n"
    "dl.meta dt { color: #666; }\n"
    "dl.meta dd { margin: 0; }\n"
    "nav ol { columns: 2; }\n"
    "ul.notes li { color: #7a4b00; }\n"
    "p.error { background: #fdf1f1; border-left: 4px solid #e15759; padding: 8px 12px; }\n"
    "p.run, p.more { color: #666; font-size: 13px; }\n"
    "svg.chart { display: block; max-width: 100%; height: auto; margin: 8px 0; }\n"
    "table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }\n"
    "th, td { border-bottom: 1px solid #e5e5e5; padding: 3px 8px; text-align: left; "
    "vertical-align: top; }\n"
    "th { background: #f4f6f9; }\n"
    ".num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }\n"
    "@media print { section.report { break-before: page; } }\n";

//  Parses the options.  Returns 0 or CLI_EXIT_USAGE (printed).
static int
s_parse (crmq_config_t *config, int argc, char **argv, s_options_t *options)
{
    static const struct option long_options [] = {
        { "out",    required_argument, NULL, 'o' },
        { "from",   required_argument, NULL, 'f' },
        { "to",     required_argument, NULL, 't' },
        { "period", required_argument, NULL, 'p' },
        { NULL, 0, NULL, 0 }
    };
    options->time_zone = crmq_config_str (config, "time_zone");
    crmq__period__init (&options->period);
    cli_options_seen_t seen = { 0 };
    optind = 0;
    opterr = 0;
    int option;
    while ((option = getopt_long (argc, argv, ":", long_options, NULL)) != -1) {
        if (cli_option_once (&seen, long_options, option, CLI_REPORT_HTML_USAGE) != 0)
            return CLI_EXIT_USAGE;
        switch (option) {
            case 'o':
                if (!*optarg)
                    return cli_usage (CLI_REPORT_HTML_USAGE, "--out needs a file name");
                options->out = optarg;
                break;
            case 'f':
            case 't': {
                int64_t *us = option == 'f'? &options->period.from_us: &options->period.to_us;
                if (cli_date_parse (optarg, options->time_zone, us) != 0)
                    return cli_usage (CLI_REPORT_HTML_USAGE, "--%s: \"%s\" is not a date "
                                      "YYYY-MM-DD (CRMQ_TIME_ZONE %s)",
                                      option == 'f'? "from": "to", optarg, options->time_zone);
                if (option == 'f')
                    options->from_text = optarg;
                else
                    options->to_text = optarg;
                break;
            }
            case 'p': {
                size_t i = 0;
                while (s_relative_periods [i] && !streq (s_relative_periods [i], optarg))
                    i++;
                if (!s_relative_periods [i])
                    return cli_usage (CLI_REPORT_HTML_USAGE, "--period: \"%s\" is not one of "
                                      "previous_day, previous_week, previous_month, "
                                      "previous_quarter, previous_year, last_7_days, "
                                      "last_30_days, last_90_days, last_12_months, "
                                      "month_to_date, year_to_date", optarg);
                options->relative = optarg;
                break;
            }
            case ':':
                return cli_usage (CLI_REPORT_HTML_USAGE, "%s needs a value", argv [optind - 1]);
            default:
                return cli_usage (CLI_REPORT_HTML_USAGE, "unknown option %s", argv [optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage (CLI_REPORT_HTML_USAGE, "unexpected argument \"%s\"", argv [optind]);
    if (!options->out)
        return cli_usage (CLI_REPORT_HTML_USAGE, "--out FILE is required");
    if (options->relative && (options->from_text || options->to_text))
        return cli_usage (CLI_REPORT_HTML_USAGE, "--period is instead of --from and --to");
    if (options->from_text && options->to_text
    &&  options->period.from_us >= options->period.to_us)
        return cli_usage (CLI_REPORT_HTML_USAGE, "--to %s is not after --from %s",
                          options->to_text, options->from_text);
    return 0;
}

//  Runs one report into `answer`.  Returns 0 (a result or an error to
//  show), or -1 when crmq-analytics did not answer at all (printed).
static int
s_run (crmq_rpc_client_t *client, const s_options_t *options, const char *report,
       s_answer_t *answer)
{
    Crmq__ReportParams params = CRMQ__REPORT_PARAMS__INIT;
    params.report = (char *) report;
    if (options->from_text || options->to_text)
        params.period = (Crmq__Period *) &options->period;
    if (options->relative)
        params.relative_period = (char *) options->relative;
    uint8_t *body = NULL;
    size_t size = 0;
    int code = crmq_rpc_call (client, "analytics.Report", &params.base, &body, &size);
    if (code == CRMQ_UNAVAILABLE) {
        cli_rpc_error (client, "analytics.Report", code);
        return -1;
    }
    if (code != CRMQ_OK) {
        const char *message = crmq_rpc_client_message (client);
        const char *field = crmq_rpc_client_field (client);
        snprintf (answer->error, sizeof answer->error, "%s: %s%s%s%s", crmq_status_name (code),
                  message && *message? message: "(no message)", field && *field? " (field ": "",
                  field && *field? field: "", field && *field? ")": "");
        fprintf (stderr, "crmq: report html: %s: %s\n", report, answer->error);
        return 0;
    }
    answer->result = crmq__report_result__unpack (NULL, size, body);
    free (body);
    if (!answer->result) {
        snprintf (answer->error, sizeof answer->error, "malformed reply (%zu bytes)", size);
        fprintf (stderr, "crmq: report html: %s: %s\n", report, answer->error);
    }
    return 0;
}

//  A numeric column: right-aligned.
static bool
s_numeric (const char *type)
{
    return streq (type, "int") || streq (type, "decimal") || streq (type, "money")
        || streq (type, "share");
}

static void
s_write_table (FILE *out, const Crmq__ReportTable *table)
{
    fprintf (out, "<table>\n<thead><tr>");
    for (size_t c = 0; c < table->n_columns; c++) {
        const Crmq__ReportColumn *column = table->columns [c];
        fprintf (out, "<th%s>", s_numeric (column->type)? " class=\"num\"": "");
        cli_chart_put_text (out, *column->title? column->title: column->name, 0);
        if (streq (column->type, "share"))
            fprintf (out, ", %%");
        fprintf (out, "</th>");
    }
    fprintf (out, "</tr></thead>\n<tbody>\n");
    size_t shown = table->n_rows < S_TABLE_ROWS? table->n_rows: S_TABLE_ROWS;
    char cell [256];
    for (size_t r = 0; r < shown; r++) {
        const Crmq__ReportRow *row = table->rows [r];
        fprintf (out, "<tr>");
        for (size_t c = 0; c < table->n_columns; c++) {
            const Crmq__ReportColumn *column = table->columns [c];
            const char *text = c < row->n_cells? row->cells [c]: "";
            fprintf (out, "<td%s>", s_numeric (column->type)? " class=\"num\"": "");
            cli_chart_put_text (out, cli_chart_cell_text (column->type, text, cell, sizeof cell),
                                0);
            fprintf (out, "</td>");
        }
        fprintf (out, "</tr>\n");
    }
    fprintf (out, "</tbody>\n</table>\n");
    size_t all = table->total_rows > (int64_t) table->n_rows? (size_t) table->total_rows
                                                             : table->n_rows;
    if (all > shown)
        fprintf (out, "<p class=\"more\">%zu more row%s</p>\n", all - shown,
                 all - shown == 1? "": "s");
}

//  One report's section: heading, run line, notes, then per table its
//  chart and the table.
static void
s_write_report (FILE *out, const s_options_t *options, size_t index, const s_answer_t *answer)
{
    fprintf (out, "<section class=\"report\" id=\"report-%s\">\n<h2>", s_reports [index].name);
    const Crmq__ReportResult *result = answer->result;
    cli_chart_put_text (out, result && *result->title? result->title: s_reports [index].title, 0);
    fprintf (out, "</h2>\n");
    if (!result) {
        fprintf (out, "<p class=\"error\">Not available: ");
        cli_chart_put_text (out, answer->error, 0);
        fprintf (out, "</p>\n</section>\n");
        return;
    }
    char period [96], computed [32] = "";
    cli_period_text (result->params? result->params->period: NULL, options->time_zone,
                     "all time", period, sizeof period);
    fprintf (out, "<p class=\"run\">");
    cli_chart_put_text (out, period, 0);
    fprintf (out, "; as of event %" PRId64, result->as_of_seq);
    if (cli_instant_text (result->computed_at_us, options->time_zone, computed, sizeof computed))
        fprintf (out, "; computed %s", computed);
    fprintf (out, "%s</p>\n", result->cached? " (from the cache)": "");
    if (result->n_notes) {
        fprintf (out, "<ul class=\"notes\">\n");
        for (size_t i = 0; i < result->n_notes; i++) {
            fprintf (out, "<li>");
            cli_chart_put_text (out, result->notes [i], 0);
            fprintf (out, "</li>\n");
        }
        fprintf (out, "</ul>\n");
    }
    for (size_t t = 0; t < result->n_tables; t++) {
        const Crmq__ReportTable *table = result->tables [t];
        fprintf (out, "<h3 id=\"report-%s-", s_reports [index].name);
        cli_chart_put_text (out, table->name, 0);
        fprintf (out, "\">");
        cli_chart_put_text (out, *table->title? table->title: table->name, 0);
        fprintf (out, "</h3>\n");
        if (*table->chart && cli_chart_write (table, result->currency, false, out) != 0)
            fprintf (out, "<p class=\"more\">(no chart: its columns do not fit a %s chart)</p>\n",
                     streq (table->chart, "pareto") || streq (table->chart, "lines")
                  || streq (table->chart, "bars") || streq (table->chart, "heatmap")
                   ? table->chart: "known");
        s_write_table (out, table);
    }
    fprintf (out, "</section>\n");
}

static void
s_write_page (FILE *out, const s_options_t *options, const s_answer_t *answers)
{
    //  currency, event position and period of the first report that answered
    const char *currency = "";
    int64_t as_of_seq = 0;
    const Crmq__Period *period = NULL;
    for (size_t i = 0; i < S_REPORTS; i++) {
        const Crmq__ReportResult *result = answers [i].result;
        if (!result)
            continue;
        if (!*currency)
            currency = result->currency;
        if (!period && result->params)
            period = result->params->period;
        as_of_seq = result->as_of_seq > as_of_seq? result->as_of_seq: as_of_seq;
    }
    char period_text [96], generated [32];
    if (!options->relative && !period)
        cli_period_text (&options->period, options->time_zone, "each report's default",
                         period_text, sizeof period_text);
    else
        cli_period_text (period, options->time_zone, "all time", period_text,
                         sizeof period_text);
    if (!cli_instant_text (crmq_time_now_us (), options->time_zone, generated,
                           sizeof generated))
        snprintf (generated, sizeof generated, "?");

    fprintf (out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<meta name=\"generator\" content=\"crmq report html\">\n<title>crmq reports, ");
    cli_chart_put_text (out, period_text, 0);
    fprintf (out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n"
                  "<h1>crmq reports</h1>\n<dl class=\"meta\">\n<dt>Period</dt><dd>", s_style);
    cli_chart_put_text (out, period_text, 0);
    if (options->relative) {
        fprintf (out, " (");
        cli_chart_put_text (out, options->relative, 0);
        fprintf (out, ")");
    }
    fprintf (out, "</dd>\n<dt>Generated</dt><dd>%s ", generated);
    cli_chart_put_text (out, *options->time_zone? options->time_zone: "UTC", 0);
    fprintf (out, "</dd>\n<dt>Currency</dt><dd>");
    cli_chart_put_text (out, *currency? currency: "?", 0);
    fprintf (out, "</dd>\n<dt>As of event</dt><dd>%" PRId64 "</dd>\n</dl>\n</header>\n",
             as_of_seq);

    fprintf (out, "<nav>\n<h2>Contents</h2>\n<ol>\n");
    for (size_t i = 0; i < S_REPORTS; i++) {
        const Crmq__ReportResult *result = answers [i].result;
        fprintf (out, "<li><a href=\"#report-%s\">", s_reports [i].name);
        cli_chart_put_text (out, result && *result->title? result->title: s_reports [i].title, 0);
        fprintf (out, "</a>%s</li>\n", result? "": " (not available)");
    }
    fprintf (out, "</ol>\n</nav>\n");
    for (size_t i = 0; i < S_REPORTS; i++)
        s_write_report (out, options, i, &answers [i]);
    fprintf (out, "</body>\n</html>\n");
}

//  Writes the page to a temporary file beside `path` and renames it over
//  `path`.  Returns 0, or -1 (printed; the temporary file removed).
static int
s_write_file (const char *path, const s_options_t *options, const s_answer_t *answers)
{
    size_t length = strlen (path) + 16;
    char *temporary = malloc (length);
    if (!temporary) {
        fprintf (stderr, "crmq: out of memory\n");
        return -1;
    }
    snprintf (temporary, length, "%s.XXXXXX", path);
    int fd = mkstemp (temporary);
    if (fd < 0) {
        fprintf (stderr, "crmq: %s: %s\n", path, strerror (errno));
        free (temporary);
        return -1;
    }
    //  as a new file would be: 0666 less the umask (mkstemp makes it 0600)
    mode_t mask = umask (0);
    umask (mask);
    FILE *out = fdopen (fd, "w");
    if (!out) {
        fprintf (stderr, "crmq: %s: %s\n", path, strerror (errno));
        close (fd);
        unlink (temporary);
        free (temporary);
        return -1;
    }
    bool written = fchmod (fd, 0666 & ~mask) == 0;
    if (written) {
        s_write_page (out, options, answers);
        written = fflush (out) == 0 && !ferror (out) && fsync (fd) == 0;
    }
    int saved = errno;
    if (fclose (out) != 0 && written) {
        saved = errno;
        written = false;
    }
    if (written && rename (temporary, path) != 0) {
        saved = errno;
        written = false;
    }
    if (!written) {
        fprintf (stderr, "crmq: %s: %s\n", path, strerror (saved));
        unlink (temporary);
    }
    free (temporary);
    return written? 0: -1;
}

int
cli_report_html (crmq_config_t *config, int argc, char **argv)
{
    s_options_t options = { 0 };
    int rc = s_parse (config, argc, argv, &options);
    if (rc != 0)
        return rc;
    crmq_rpc_client_t *client = cli_rpc_open (config, "analytics_endpoint");
    if (!client)
        return CLI_EXIT_FAILURE;
    s_answer_t answers [S_REPORTS];
    memset (answers, 0, sizeof answers);
    rc = CLI_EXIT_OK;
    for (size_t i = 0; i < S_REPORTS && rc == CLI_EXIT_OK; i++)
        if (s_run (client, &options, s_reports [i].name, &answers [i]) != 0)
            rc = CLI_EXIT_FAILURE;
    crmq_rpc_client_destroy (&client);
    if (rc == CLI_EXIT_OK && s_write_file (options.out, &options, answers) != 0)
        rc = CLI_EXIT_FAILURE;
    size_t shown = 0;
    for (size_t i = 0; i < S_REPORTS; i++) {
        shown += answers [i].result != NULL;
        if (answers [i].result)
            crmq__report_result__free_unpacked (answers [i].result, NULL);
    }
    if (rc == CLI_EXIT_OK)
        printf ("%s: %zu of %zu reports\n", options.out, shown, S_REPORTS);
    return rc;
}

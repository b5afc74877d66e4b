/*  cli_chart.c - report tables as SVG charts; see cli_chart.h.  */
#include "cli_chart.h"
#include "cli_common.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_WIDTH          900.0  //  every chart's width, px
#define S_PARETO_BARS    200    //  at most this many bars in a pareto chart
#define S_BARS_ROWS      30     //  rows of a bars chart
#define S_LINES_MAX      10     //  lines of a lines chart without dimension
#define S_LINES_TOP      8      //  dimension values with a line of their own
#define S_LINES_SCALE    20     //  a series over this times the first's: another scale
#define S_OTHER          "other"    //  the line of the values beyond the top
#define S_LINES_POINTS   60     //  points marked up to this many x values
#define S_HEATMAP_MAX    50     //  rows and columns of a heatmap
#define S_FONT           "DejaVu Sans, Verdana, Arial, sans-serif"

//  Tableau 10: distinct to most readers, also in print.
static const char *s_palette [] = {
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"
};
#define S_PALETTE (sizeof s_palette / sizeof s_palette [0])

//  What a column holds, for choosing axes and series.
typedef enum {
    S_KIND_TEXT,            //  text, class
    S_KIND_NUMBER,          //  int, decimal, money
    S_KIND_SHARE,           //  share (fraction)
    S_KIND_DATE,            //  date, timestamp
    S_KIND_OTHER
} s_kind_t;

//  A chart being drawn: into a memory stream, copied to the caller's FILE
//  once complete.
typedef struct {
    FILE *out;
    const Crmq__ReportTable *table;
    const char *currency;
    bool standalone;
} s_chart_t;

//  A linear scale: [lo, hi] in ticks of `step`, mapped to pixels [p0, p1].
typedef struct {
    double lo, hi, step;
    double p0, p1;
} s_scale_t;

//  --------------------------------------------------------------------------
//  Text

//  Length of the well-formed UTF-8 sequence at `s` that XML allows (no
//  surrogates, overlongs, U+FFFE/U+FFFF, control characters other than tab
//  and newline), or 0.
static size_t
s_utf8_char (const unsigned char *s)
{
    unsigned char c = s [0];
    if (c < 0x80)
        return c >= 0x20 || c == '\t' || c == '\n'? 1: 0;
    size_t length = c >= 0xC2 && c <= 0xDF? 2
                  : c >= 0xE0 && c <= 0xEF? 3
                  : c >= 0xF0 && c <= 0xF4? 4: 0;
    for (size_t i = 1; i < length; i++)
        if ((s [i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && s [1] < 0xA0) || (c == 0xED && s [1] >= 0xA0)
    ||  (c == 0xF0 && s [1] < 0x90) || (c == 0xF4 && s [1] >= 0x90))
        return 0;
    if (c == 0xEF && s [1] == 0xBF && (s [2] == 0xBE || s [2] == 0xBF))
        return 0;
    if (c == 0xC2 && s [1] < 0xA0)
        return 0;           //  C1 control characters
    return length;
}

//  Code points `text` is written as (a malformed byte counts as one).
static size_t
s_text_chars (const char *text)
{
    size_t chars = 0;
    for (const unsigned char *s = (const unsigned char *) text; *s; chars++) {
        size_t length = s_utf8_char (s);
        s += length? length: 1;
    }
    return chars;
}

void
cli_chart_put_text (FILE *out, const char *text, size_t max_chars)
{
    if (!text)
        return;
    bool cut = max_chars > 0 && s_text_chars (text) > max_chars;
    size_t chars = 0;
    for (const unsigned char *s = (const unsigned char *) text; *s; chars++) {
        if (cut && chars == max_chars - 1) {
            fputs ("\xE2\x80\xA6", out);            //  U+2026 …
            return;
        }
        size_t length = s_utf8_char (s);
        if (length == 0) {
            fputs ("\xEF\xBF\xBD", out);            //  U+FFFD
            s++;
            continue;
        }
        switch (*s) {
            case '&':  fputs ("&amp;", out);  break;
            case '<':  fputs ("&lt;", out);   break;
            case '>':  fputs ("&gt;", out);   break;
            case '"':  fputs ("&quot;", out); break;
            case '\'': fputs ("&#39;", out);  break;
            default:   fwrite (s, 1, length, out);
        }
        s += length;
    }
}

//  `integer_text` ("-1234567", optional sign and digits) with "," between
//  groups of three digits, into buf.
static void
s_group (const char *integer_text, char *buf, size_t size)
{
    const char *digits = integer_text + (*integer_text == '-' || *integer_text == '+');
    size_t count = strspn (digits, "0123456789");
    size_t used = 0;
    if (digits != integer_text && used + 1 < size)
        buf [used++] = '-';
    for (size_t i = 0; i < count && used + 2 < size; i++) {
        if (i > 0 && (count - i) % 3 == 0)
            buf [used++] = ',';
        buf [used++] = digits [i];
    }
    snprintf (buf + used, size - used, "%s", digits + count);
}

char *
cli_chart_cell_text (const char *type, const char *cell, char *buf, size_t size)
{
    int64_t units;
    int32_t nanos;
    cell = cell? cell: "";
    if (*cell && type && crmq_decimal_parse (cell, &units, &nanos) == 0) {
        if (streq (type, "share")) {
            char percent [48];
            cli_percent_text (units, nanos, percent, sizeof percent);
            snprintf (buf, size, "%s%%", percent);
            return buf;
        }
        int scale = -1;
        if (streq (type, "money"))
            scale = 2;
        else
        if (streq (type, "int"))
            scale = 0;
        else
        if (streq (type, "decimal")) {
            const char *point = strchr (cell, '.');
            scale = point? (int) strspn (point + 1, "0123456789"): 0;
            scale = scale > 9? 9: scale;
        }
        if (scale >= 0 && crmq_decimal_format_fixed (units, nanos, scale, true, buf, size) >= 0)
            return buf;
    }
    snprintf (buf, size, "%s", cell);
    return buf;
}

//  --------------------------------------------------------------------------
//  Columns and cells

static s_kind_t
s_kind (const Crmq__ReportColumn *column)
{
    const char *type = column->type? column->type: "";
    if (streq (type, "text") || streq (type, "class"))
        return S_KIND_TEXT;
    if (streq (type, "int") || streq (type, "decimal") || streq (type, "money"))
        return S_KIND_NUMBER;
    if (streq (type, "share"))
        return S_KIND_SHARE;
    if (streq (type, "date") || streq (type, "timestamp"))
        return S_KIND_DATE;
    return S_KIND_OTHER;
}

static const char *
s_cell (const Crmq__ReportTable *table, size_t row, size_t column)
{
    const Crmq__ReportRow *r = table->rows [row];
    return column < r->n_cells && r->cells [column]? r->cells [column]: "";
}

//  The cell as a number for drawing; false when empty or not a number.
static bool
s_number (const char *text, double *value)
{
    if (!text || !*text || !strchr ("+-.0123456789", *text))
        return false;
    char *end;
    *value = strtod (text, &end);
    return *end == 0 && isfinite (*value);
}

//  The column's title, else its name.
static const char *
s_title (const Crmq__ReportColumn *column)
{
    return column->title && *column->title? column->title: column->name;
}

//  A rank or an id: numbers that are no measure.
static bool
s_identifier (const char *name)
{
    size_t length = strlen (name);
    return streq (name, "rank") || streq (name, "id")
        || (length > 3 && streq (name + length - 3, "_id"));
}

//  The column named `name` of one of the kinds `kind` and `also`, or -1.
static int
s_named (const Crmq__ReportTable *table, const char *name, s_kind_t kind, s_kind_t also)
{
    for (size_t i = 0; i < table->n_columns; i++) {
        s_kind_t k = s_kind (table->columns [i]);
        if (streq (table->columns [i]->name, name) && (k == kind || k == also))
            return (int) i;
    }
    return -1;
}

//  The first column of `kind` other than `skip`, from `from`; -1 if none.
static int
s_first (const Crmq__ReportTable *table, s_kind_t kind, int from, int skip)
{
    for (size_t i = from < 0? 0: (size_t) from; i < table->n_columns; i++)
        if ((int) i != skip && s_kind (table->columns [i]) == kind)
            return (int) i;
    return -1;
}

//  The measure: the first numeric column that is no rank or id, other than
//  `skip`; with `share_too`, else the first share column.  -1 if none.
static int
s_measure (const Crmq__ReportTable *table, int skip, bool share_too)
{
    for (size_t i = 0; i < table->n_columns; i++)
        if ((int) i != skip && s_kind (table->columns [i]) == S_KIND_NUMBER
        &&  !s_identifier (table->columns [i]->name))
            return (int) i;
    return share_too? s_first (table, S_KIND_SHARE, 0, skip): -1;
}

//  The labels of rows: `name`, else the first text column; -1 if none.
static int
s_label_column (const Crmq__ReportTable *table)
{
    int column = s_named (table, "name", S_KIND_TEXT, S_KIND_TEXT);
    return column >= 0? column: s_first (table, S_KIND_TEXT, 0, -1);
}

//  The axis title of a column: its title, ", USD" for money.
static void
s_axis_title (const s_chart_t *chart, const Crmq__ReportColumn *column, char *buf,
              size_t size)
{
    if (streq (column->type, "money") && chart->currency && *chart->currency)
        snprintf (buf, size, "%s, %s", s_title (column), chart->currency);
    else
        snprintf (buf, size, "%s", s_title (column));
}

//  Prints "crmq: chart <table>: <reason>" to stderr.  Returns -1.
static int
s_unusable (const Crmq__ReportTable *table, const char *reason)
{
    fprintf (stderr, "crmq: chart %s: %s\n", table->name && *table->name? table->name: "?",
             reason);
    return -1;
}

//  --------------------------------------------------------------------------
//  Scales and ticks

//  A "nice" number near x > 0 (1, 2 or 5 times a power of ten): the nearest
//  with `round`, else the next above.  Heckbert, "Nice numbers for graph
//  labels", Graphics Gems (1990).
static double
s_nice (double x, bool round)
{
    double exponent = floor (log10 (x));
    double fraction = x / pow (10, exponent);
    double nice;
    if (round)
        nice = fraction < 1.5? 1: fraction < 3? 2: fraction < 7? 5: 10;
    else
        nice = fraction <= 1? 1: fraction <= 2? 2: fraction <= 5? 5: 10;
    return nice * pow (10, exponent);
}

//  A scale covering [lo, hi] and 0, in about `ticks` nice ticks, drawn from
//  pixel p0 (lo) to p1 (hi).  An `integer` scale (of int columns only) has
//  whole ticks: no 0.2 clients.
static s_scale_t
s_scale (double lo, double hi, int ticks, bool integer, double p0, double p1)
{
    lo = lo > 0? 0: lo;
    hi = hi < 0? 0: hi;
    if (hi - lo <= 0)
        hi = lo + 1;
    double step = s_nice ((hi - lo) / (ticks - 1), true);
    step = integer && step < 1? 1: step;
    s_scale_t scale = { floor (lo / step) * step, ceil (hi / step) * step, step, p0, p1 };
    return scale;
}

static double
s_at (const s_scale_t *scale, double value)
{
    return scale->p0 + (value - scale->lo) / (scale->hi - scale->lo) * (scale->p1 - scale->p0);
}

//  The ticks of a scale: lo, lo + step, ... hi.
static int
s_ticks (const s_scale_t *scale)
{
    return (int) floor ((scale->hi - scale->lo) / scale->step + 0.5) + 1;
}

static double
s_tick (const s_scale_t *scale, int i)
{
    double value = scale->lo + i * scale->step;
    return fabs (value) < scale->step * 1e-6? 0: value;
}

//  A tick's label: "1.5M", "250k", "2,500", "0.25", "80%" (`percent`: the
//  value is a fraction).  Decimals as the step needs.
static void
s_tick_text (const s_scale_t *scale, double value, bool percent, char *buf, size_t size)
{
    if (value == 0) {
        snprintf (buf, size, "0%s", percent? "%": "");
        return;
    }
    double divisor = 1;
    const char *suffix = "";
    double big = fmax (fabs (scale->lo), fabs (scale->hi));
    if (percent) {
        divisor = 0.01;
        suffix = "%";
    }
    else
    if (big >= 1e9) {
        divisor = 1e9;
        suffix = "B";
    }
    else
    if (big >= 1e6) {
        divisor = 1e6;
        suffix = "M";
    }
    else
    if (big >= 1e4) {
        divisor = 1e3;
        suffix = "k";
    }
    double step = scale->step / divisor;
    int decimals = step >= 1? 0: (int) ceil (-log10 (step) - 1e-9);
    decimals = decimals > 6? 6: decimals;
    char number [64];
    snprintf (number, sizeof number, "%.*f", decimals, value / divisor);
    char grouped [80];
    s_group (number, grouped, sizeof grouped);
    snprintf (buf, size, "%s%s", grouped, suffix);
}

//  --------------------------------------------------------------------------
//  SVG pieces

static void
s_begin (s_chart_t *chart, double width, double height)
{
    FILE *out = chart->out;
    if (chart->standalone)
        fprintf (out, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
                      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\"");
    else
        fprintf (out, "<svg class=\"chart\" version=\"1.1\" role=\"img\"");
    fprintf (out, " width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\""
                  " font-family=\"%s\" font-size=\"12\">\n",
             width, height, width, height, S_FONT);
    fprintf (out, "<title>");
    cli_chart_put_text (out, chart->table->title && *chart->table->title
                             ? chart->table->title: chart->table->name, 0);
    fprintf (out, "</title>\n");
    fprintf (out, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", width, height);
    fprintf (out, "<text x=\"16\" y=\"24\" font-size=\"15\" font-weight=\"bold\" fill=\"#222222\">");
    cli_chart_put_text (out, chart->table->title && *chart->table->title
                             ? chart->table->title: chart->table->name, 90);
    fprintf (out, "</text>\n");
}

static void
s_end (s_chart_t *chart)
{
    fprintf (chart->out, "</svg>\n");
}

//  A text element; `anchor` start, middle or end; `rotate` degrees.
static void
s_text (s_chart_t *chart, double x, double y, const char *anchor, double rotate,
        const char *fill, const char *text, size_t max_chars)
{
    if (rotate != 0)
        fprintf (chart->out, "<text transform=\"translate(%.1f,%.1f) rotate(%.0f)\"",
                 x, y, rotate);
    else
        fprintf (chart->out, "<text x=\"%.1f\" y=\"%.1f\"", x, y);
    fprintf (chart->out, " text-anchor=\"%s\" fill=\"%s\">", anchor, fill);
    cli_chart_put_text (chart->out, text, max_chars);
    fprintf (chart->out, "</text>\n");
}

//  A second line under the title, grey.
static void
s_subtitle (s_chart_t *chart, const char *text)
{
    s_text (chart, 16, 42, "start", 0, "#666666", text, 120);
}

static void
s_line (s_chart_t *chart, double x1, double y1, double x2, double y2, const char *stroke,
        const char *extra)
{
    fprintf (chart->out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"%s/>\n",
             x1, y1, x2, y2, stroke, extra);
}

//  Horizontal grid lines and labels of a vertical scale, labels left of
//  `x_left` or right of `x_right` (`right`); `grid` draws the lines.
static void
s_vertical_axis (s_chart_t *chart, const s_scale_t *scale, double x_left, double x_right,
                 bool right, bool percent, bool grid)
{
    char label [64];
    for (int i = 0; i < s_ticks (scale); i++) {
        double value = s_tick (scale, i);
        double y = s_at (scale, value);
        if (grid)
            s_line (chart, x_left, y, x_right, y, value == 0? "#999999": "#e5e5e5", "");
        s_tick_text (scale, value, percent, label, sizeof label);
        s_text (chart, right? x_right + 6: x_left - 6, y + 4, right? "start": "end", 0,
                "#444444", label, 0);
    }
}

//  Vertical grid lines and labels of a horizontal scale, labels under
//  `y_bottom`.
static void
s_horizontal_axis (s_chart_t *chart, const s_scale_t *scale, double y_top, double y_bottom)
{
    char label [64];
    for (int i = 0; i < s_ticks (scale); i++) {
        double value = s_tick (scale, i);
        double x = s_at (scale, value);
        s_line (chart, x, y_top, x, y_bottom, value == 0? "#999999": "#e5e5e5", "");
        s_tick_text (scale, value, false, label, sizeof label);
        s_text (chart, x, y_bottom + 16, "middle", 0, "#444444", label, 0);
    }
}

//  A legend entry at (x, y): a swatch (a bar, or a line, dashed or not)
//  and its text.  Returns the x after it.
static double
s_legend (s_chart_t *chart, double x, double y, const char *color, bool line, bool dashed,
          const char *text)
{
    if (line)
        s_line (chart, x, y - 4, x + 18, y - 4, color,
                dashed? " stroke-width=\"2\" stroke-dasharray=\"5 3\"": " stroke-width=\"2\"");
    else
        fprintf (chart->out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"10\" fill=\"%s\"/>\n",
                 x + 3, y - 9, color);
    s_text (chart, x + 22, y, "start", 0, "#333333", text, 40);
    size_t chars = s_text_chars (text);
    return x + 22 + 7.0 * (double) (chars > 40? 40: chars) + 16;
}

static int
s_no_data (s_chart_t *chart)
{
    s_begin (chart, S_WIDTH, 120);
    s_text (chart, S_WIDTH / 2, 76, "middle", 0, "#888888", "no data", 0);
    s_end (chart);
    return 0;
}

//  --------------------------------------------------------------------------
//  pareto

static const char *
s_class_color (const char *abc_class)
{
    if (streq (abc_class, "A"))
        return s_palette [0];
    if (streq (abc_class, "B"))
        return s_palette [1];
    if (streq (abc_class, "C"))
        return s_palette [9];
    return s_palette [0];
}

static int
s_pareto (s_chart_t *chart)
{
    const Crmq__ReportTable *table = chart->table;
    int value = s_named (table, "value", S_KIND_NUMBER, S_KIND_NUMBER);
    value = value >= 0? value: s_measure (table, -1, false);
    if (value < 0)
        return s_unusable (table, "pareto: no numeric value column");
    int cumulative = s_named (table, "cumulative_share", S_KIND_SHARE, S_KIND_NUMBER);
    int label = s_label_column (table);
    int abc_class = s_named (table, "abc_class", S_KIND_TEXT, S_KIND_TEXT);
    size_t rows = table->n_rows;
    size_t per = (rows + S_PARETO_BARS - 1) / S_PARETO_BARS;
    size_t bars = (rows + per - 1) / per;
    double *mean = calloc (bars, sizeof (double));
    double *share = calloc (bars, sizeof (double));
    if (!mean || !share) {
        free (mean);
        free (share);
        return s_unusable (table, "out of memory");
    }
    //  Without the column, the cumulative share of the positive values.
    double total = 0, running = 0, last_share = 0, number;
    for (size_t i = 0; i < rows; i++)
        if (s_number (s_cell (table, i, value), &number) && number > 0)
            total += number;
    double lo = 0, hi = 0;
    for (size_t bar = 0; bar < bars; bar++) {
        size_t first = bar * per, end = first + per < rows? first + per: rows;
        double sum = 0;
        for (size_t i = first; i < end; i++) {
            if (s_number (s_cell (table, i, value), &number)) {
                sum += number;
                running += number > 0? number: 0;
            }
            if (cumulative < 0)
                last_share = total > 0? running / total: 0;
            else
            if (s_number (s_cell (table, i, cumulative), &number))
                last_share = number;
        }
        mean [bar] = sum / (double) (end - first);
        share [bar] = fmin (fmax (last_share, 0), 1);
        lo = fmin (lo, mean [bar]);
        hi = fmax (hi, mean [bar]);
    }

    bool names = per == 1 && bars <= 40 && label >= 0;
    double height = names? 500: 440;
    double left = 84, right = S_WIDTH - 70, top = 70, bottom = height - (names? 130: 60);
    bool integer = per == 1 && streq (table->columns [value]->type, "int");
    s_scale_t y = s_scale (lo, hi, 6, integer, bottom, top);
    s_scale_t y_share = { 0, 1, 0.2, bottom, top };
    s_begin (chart, S_WIDTH, height);
    char text [256];
    if (per > 1)
        snprintf (text, sizeof text, "%zu rows, %zu per bar (mean per row)", rows, per);
    else
        snprintf (text, sizeof text, "%zu rows", rows);
    s_subtitle (chart, text);
    s_vertical_axis (chart, &y, left, right, false, false, true);
    s_vertical_axis (chart, &y_share, left, right, true, true, false);

    double band = (right - left) / (double) bars;
    double width = band * 0.8 > 0.5? band * 0.8: 0.5;
    char cell [128];
    for (size_t bar = 0; bar < bars; bar++) {
        double x = left + band * (double) bar + (band - width) / 2;
        double y0 = s_at (&y, 0), y1 = s_at (&y, mean [bar]);
        const char *color = abc_class >= 0? s_class_color (s_cell (table, bar * per, abc_class))
                                          : s_palette [0];
        fprintf (chart->out, "<rect class=\"bar\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
                 "height=\"%.1f\" fill=\"%s\"><title>", x, fmin (y0, y1), width,
                 fabs (y0 - y1), color);
        if (per == 1) {
            cli_chart_put_text (chart->out, label >= 0? s_cell (table, bar, label): "", 60);
            fprintf (chart->out, ": ");
            cli_chart_put_text (chart->out, cli_chart_cell_text (
                table->columns [value]->type, s_cell (table, bar, value), cell, sizeof cell), 0);
        }
        else {
            size_t end = (bar + 1) * per < rows? (bar + 1) * per: rows;
            fprintf (chart->out, "rows %zu-%zu: mean %.2f", bar * per + 1, end, mean [bar]);
        }
        fprintf (chart->out, ", cumulative %.1f%%</title></rect>\n", share [bar] * 100);
    }
    //  Thresholds, then the cumulative share over them
    static const double thresholds [] = { 0.80, 0.95 };
    for (size_t i = 0; i < 2; i++) {
        double at = s_at (&y_share, thresholds [i]);
        s_line (chart, left, at, right, at, "#c0392b",
                " stroke-width=\"1\" stroke-dasharray=\"6 4\" class=\"threshold\"");
        snprintf (text, sizeof text, "%.0f%%", thresholds [i] * 100);
        s_text (chart, right - 4, at - 4, "end", 0, "#c0392b", text, 0);
    }
    fprintf (chart->out, "<polyline class=\"cumulative\" fill=\"none\" stroke=\"#e15759\" "
             "stroke-width=\"2\" points=\"");
    for (size_t bar = 0; bar < bars; bar++)
        fprintf (chart->out, "%s%.1f,%.1f", bar? " ": "", left + band * ((double) bar + 0.5),
                 s_at (&y_share, share [bar]));
    fprintf (chart->out, "\"/>\n");
    if (bars <= S_LINES_POINTS)
        for (size_t bar = 0; bar < bars; bar++)
            fprintf (chart->out, "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" "
                     "fill=\"#e15759\"/>\n", left + band * ((double) bar + 0.5),
                     s_at (&y_share, share [bar]));
    s_line (chart, left, bottom, right, bottom, "#999999", "");

    //  x: the names, else ranks
    if (names)
        for (size_t bar = 0; bar < bars; bar++)
            s_text (chart, left + band * ((double) bar + 0.5) + 4, bottom + 10, "end", -45,
                    "#444444", s_cell (table, bar, label), 18);
    else {
        double step = s_nice ((double) rows / 6 > 1? (double) rows / 6: 1, true);
        for (double rank = 0; rank <= (double) rows; rank += step) {
            size_t r = rank < 1? 1: (size_t) rank;
            snprintf (text, sizeof text, "%zu", r);
            s_text (chart, left + band * ((double) ((r - 1) / per) + 0.5), bottom + 16, "middle",
                    0, "#444444", text, 0);
        }
        s_text (chart, (left + right) / 2, bottom + 36, "middle", 0, "#444444", "rank", 0);
    }
    s_axis_title (chart, table->columns [value], text, sizeof text);
    s_text (chart, 18, (top + bottom) / 2, "middle", -90, "#444444", text, 50);
    s_text (chart, S_WIDTH - 12, (top + bottom) / 2, "middle", 90, "#444444",
            "cumulative share", 0);
    double x = S_WIDTH - 380;
    if (abc_class >= 0) {
        x = s_legend (chart, x, 58, s_class_color ("A"), false, false, "A");
        x = s_legend (chart, x, 58, s_class_color ("B"), false, false, "B");
        x = s_legend (chart, x, 58, s_class_color ("C"), false, false, "C");
    }
    else
        x = s_legend (chart, x, 58, s_palette [0], false, false, s_title (table->columns [value]));
    s_legend (chart, x, 58, "#e15759", true, false, "cumulative share");
    s_end (chart);
    free (mean);
    free (share);
    return 0;
}

//  --------------------------------------------------------------------------
//  lines

//  Distinct strings, sorted (strcmp), for mapping cells to positions.
typedef struct {
    const char **items;
    size_t count;
} s_distinct_t;

static int
s_strcmp_p (const void *a, const void *b)
{
    return strcmp (*(const char * const *) a, *(const char * const *) b);
}

//  The distinct non-empty cells of `column`, sorted.  Returns 0 or -1 (out
//  of memory); the items point into the table.
static int
s_distinct (const Crmq__ReportTable *table, size_t column, s_distinct_t *distinct)
{
    distinct->count = 0;
    distinct->items = malloc ((table->n_rows + 1) * sizeof (char *));
    if (!distinct->items)
        return -1;
    for (size_t i = 0; i < table->n_rows; i++)
        if (*s_cell (table, i, column))
            distinct->items [distinct->count++] = s_cell (table, i, column);
    qsort (distinct->items, distinct->count, sizeof (char *), s_strcmp_p);
    size_t kept = 0;
    for (size_t i = 0; i < distinct->count; i++)
        if (kept == 0 || strcmp (distinct->items [kept - 1], distinct->items [i]) != 0)
            distinct->items [kept++] = distinct->items [i];
    distinct->count = kept;
    return 0;
}

//  Position of `text` in `distinct`, or -1.
static long
s_position (const s_distinct_t *distinct, const char *text)
{
    const char **found = bsearch (&text, distinct->items, distinct->count, sizeof (char *),
                                  s_strcmp_p);
    return found? (long) (found - distinct->items): -1;
}

//  A comparison series: the figure of an earlier period.
static bool
s_comparison (const char *name)
{
    static const char *prefixes [] = { "previous", "last_year", "same_", "year_ago" };
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes [0]; i++)
        if (strncmp (name, prefixes [i], strlen (prefixes [i])) == 0)
            return true;
    return false;
}

//  A column that is a series of a lines chart.
static bool
s_series (const Crmq__ReportColumn *column)
{
    return s_kind (column) == S_KIND_NUMBER && !s_identifier (column->name)
        && !strstr (column->name, "change");
}

typedef struct {
    char name [128];
    double *values;         //  one per x; NAN = none
    bool dashed;
    bool right;             //  on the right axis
    int column;             //  the series' column
} s_lines_line_t;

typedef struct {
    s_lines_line_t lines [S_LINES_MAX];
    size_t count;
    size_t points;          //  x values
} s_lines_t;

static s_lines_line_t *
s_lines_add (s_lines_t *lines, const char *name, int column)
{
    s_lines_line_t *line = &lines->lines [lines->count];
    line->values = malloc ((lines->points + 1) * sizeof (double));
    if (!line->values)
        return NULL;
    for (size_t i = 0; i < lines->points; i++)
        line->values [i] = NAN;
    snprintf (line->name, sizeof line->name, "%s", name);
    line->column = column;
    lines->count++;
    return line;
}

//  A dimension value and the sum of its absolute values, for ranking.
typedef struct {
    const char *name;
    double weight;
    long line;              //  its line, or the "other" line
} s_dimension_t;

static int
s_name_cmp (const void *a, const void *b)
{
    return strcmp (((const s_dimension_t *) a)->name, ((const s_dimension_t *) b)->name);
}

//  By weight descending, ties by name.
static int
s_weight_cmp (const void *a, const void *b)
{
    const s_dimension_t *x = a, *y = b;
    if (x->weight != y->weight)
        return x->weight > y->weight? -1: 1;
    return strcmp (x->name, y->name);
}

//  One line per value of `dimension` (the top S_LINES_TOP and "other") of
//  the column `measure`.  A table's own "other" row (reports that keep
//  their largest values apart sum the rest as "other", e.g. dynamics by a
//  dimension) is no value of its own: it goes into the chart's "other"
//  line, so there is one.  Returns 0 or -1 (out of memory).
static int
s_lines_by_dimension (const Crmq__ReportTable *table, const s_distinct_t *xs, int x_column,
                      int dimension, int measure, s_lines_t *lines)
{
    s_distinct_t values;
    if (s_distinct (table, (size_t) dimension, &values) != 0)
        return -1;
    s_dimension_t *ranked = calloc (values.count + 1, sizeof (s_dimension_t));
    if (!ranked) {
        free (values.items);
        return -1;
    }
    double number;
    for (size_t i = 0; i < values.count; i++)
        ranked [i].name = values.items [i];
    for (size_t i = 0; i < table->n_rows; i++) {
        long at = s_position (&values, s_cell (table, i, (size_t) dimension));
        if (at >= 0 && s_number (s_cell (table, i, (size_t) measure), &number))
            ranked [at].weight += fabs (number);
    }
    qsort (ranked, values.count, sizeof (s_dimension_t), s_weight_cmp);
    bool table_other = s_position (&values, S_OTHER) >= 0;
    size_t named = values.count - (table_other? 1: 0);
    //  one value beyond the top is drawn rather than an "other" of one
    size_t own = named <= S_LINES_TOP + (table_other? 0: 1)? named: S_LINES_TOP;
    int rc = 0;
    size_t drawn = 0;
    for (size_t i = 0; i < values.count && rc == 0; i++) {
        ranked [i].line = -1;
        if (drawn < own && !streq (ranked [i].name, S_OTHER)) {
            rc = s_lines_add (lines, ranked [i].name, measure)? 0: -1;
            ranked [i].line = (long) lines->count - 1;
            drawn++;
        }
    }
    if (rc == 0 && own < values.count) {
        rc = s_lines_add (lines, S_OTHER, measure)? 0: -1;
        for (size_t i = 0; i < values.count; i++)
            ranked [i].line = ranked [i].line < 0? (long) lines->count - 1: ranked [i].line;
    }
    //  back in name order: ranked [k] is values.items [k]
    qsort (ranked, values.count, sizeof (s_dimension_t), s_name_cmp);
    for (size_t i = 0; i < table->n_rows && rc == 0; i++) {
        long at = s_position (&values, s_cell (table, i, (size_t) dimension));
        long x = s_position (xs, s_cell (table, i, (size_t) x_column));
        if (at < 0 || x < 0 || !s_number (s_cell (table, i, (size_t) measure), &number))
            continue;
        double *slot = &lines->lines [ranked [at].line].values [x];
        *slot = isnan (*slot)? number: *slot + number;
    }
    free (ranked);
    free (values.items);
    return rc;
}

//  The largest absolute value of `column`, 0 when none.
static double
s_column_max (const Crmq__ReportTable *table, size_t column)
{
    double max = 0, number;
    for (size_t r = 0; r < table->n_rows; r++)
        if (s_number (s_cell (table, r, column), &number))
            max = fmax (max, fabs (number));
    return max;
}

//  The lines of a table without dimension: every series, on two scales at
//  most.  A series' scale is its unit (count for int columns, else amount)
//  and, but for comparisons, whether its largest absolute value is over
//  S_LINES_SCALE times that of the first series of its unit (`measure` for
//  its own): the client base's class counts (thousands) next to its flows
//  (tens).  The scale of `measure` takes the left axis, the next scale met
//  in column order the right one; the series of any other scale, and those
//  beyond S_LINES_MAX, are not drawn: their titles go into `skipped` (""
//  when none).  Returns 0 or -1 (out of memory).
static int
s_lines_series (const Crmq__ReportTable *table, const s_distinct_t *xs, int x_column,
                int measure, s_lines_t *lines, char *skipped, size_t size)
{
    double reference [2] = { -1, -1 };      //  by unit: the first series' maximum
    int unit = !streq (table->columns [measure]->type, "int");
    reference [unit] = s_column_max (table, (size_t) measure);
    int sides [2] = { unit * 2, -1 };       //  the scale on the left, on the right
    *skipped = 0;
    for (size_t i = 0; i < table->n_columns; i++) {
        const Crmq__ReportColumn *column = table->columns [i];
        if (!s_series (column))
            continue;
        unit = !streq (column->type, "int");
        double max = s_column_max (table, i);
        reference [unit] = reference [unit] < 0? max: reference [unit];
        bool large = !s_comparison (column->name) && reference [unit] > 0
                  && max > S_LINES_SCALE * reference [unit];
        int scale = unit * 2 + large;
        sides [1] = sides [1] < 0 && scale != sides [0]? scale: sides [1];
        if ((scale != sides [0] && scale != sides [1]) || lines->count == S_LINES_MAX) {
            size_t used = strlen (skipped);
            snprintf (skipped + used, size - used, "%s%s", used? ", ": "", s_title (column));
            continue;
        }
        s_lines_line_t *line = s_lines_add (lines, s_title (column), (int) i);
        if (!line)
            return -1;
        line->dashed = s_comparison (column->name);
        line->right = scale == sides [1];
        double number;
        for (size_t r = 0; r < table->n_rows; r++) {
            long x = s_position (xs, s_cell (table, r, (size_t) x_column));
            if (x >= 0 && s_number (s_cell (table, r, i), &number))
                line->values [x] = number;
        }
    }
    return 0;
}

static void
s_lines_free (s_lines_t *lines)
{
    for (size_t i = 0; i < lines->count; i++)
        free (lines->lines [i].values);
}

//  Draws one line: a path broken where values are missing, and its points.
static void
s_lines_draw (s_chart_t *chart, const s_lines_line_t *line, const s_scale_t *scale,
              double left, double step, size_t points, const char *color)
{
    fprintf (chart->out, "<path class=\"line\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s d=\"",
             color, line->dashed? " stroke-dasharray=\"6 4\"": "");
    bool pen = false;
    for (size_t i = 0; i < points; i++) {
        if (isnan (line->values [i])) {
            pen = false;
            continue;
        }
        fprintf (chart->out, "%s%c%.1f,%.1f", i? " ": "", pen? 'L': 'M',
                 left + step * (double) i, s_at (scale, line->values [i]));
        pen = true;
    }
    fprintf (chart->out, "\"/>\n");
    if (points > S_LINES_POINTS)
        return;
    for (size_t i = 0; i < points; i++)
        if (!isnan (line->values [i]))
            fprintf (chart->out, "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" "
                     "fill=\"%s\"/>\n", left + step * (double) i,
                     s_at (scale, line->values [i]), line->dashed? "2": "3", color);
}

//  The title of one side's axis: its series' own when it is alone there
//  (or the lines are one measure by dimension), else the unit: "count", the
//  currency or "amount".
static void
s_lines_axis_title (const s_chart_t *chart, const s_lines_t *lines, bool right,
                    bool by_dimension, char *buf, size_t size)
{
    size_t on_side = 0;
    int column = -1;
    for (size_t l = 0; l < lines->count; l++)
        if (lines->lines [l].right == right) {
            on_side++;
            column = column < 0? lines->lines [l].column: column;
        }
    const Crmq__ReportColumn *first = column >= 0? chart->table->columns [column]: NULL;
    if (!first)
        snprintf (buf, size, "%s", "");
    else
    if (by_dimension || on_side == 1)
        s_axis_title (chart, first, buf, size);
    else
        snprintf (buf, size, "%s", streq (first->type, "int")? "count"
                                 : chart->currency && *chart->currency? chart->currency
                                 : "amount");
}

static int
s_lines (s_chart_t *chart)
{
    const Crmq__ReportTable *table = chart->table;
    int x_column = s_first (table, S_KIND_DATE, 0, -1);
    x_column = x_column >= 0? x_column: s_first (table, S_KIND_TEXT, 0, -1);
    if (x_column < 0)
        return s_unusable (table, "lines: no date or text column for x");
    int dimension = s_first (table, S_KIND_TEXT, 0, x_column);
    int measure = -1;
    for (size_t i = 0; i < table->n_columns && measure < 0; i++)
        if (s_series (table->columns [i]) && !s_comparison (table->columns [i]->name))
            measure = (int) i;
    for (size_t i = 0; i < table->n_columns && measure < 0; i++)
        if (s_series (table->columns [i]))
            measure = (int) i;
    if (measure < 0)
        return s_unusable (table, "lines: no numeric series column");

    s_distinct_t xs;
    if (s_distinct (table, (size_t) x_column, &xs) != 0)
        return s_unusable (table, "out of memory");
    s_lines_t lines = { .count = 0, .points = xs.count };
    char skipped [512] = "";
    int rc = dimension >= 0
           ? s_lines_by_dimension (table, &xs, x_column, dimension, measure, &lines)
           : s_lines_series (table, &xs, x_column, measure, &lines, skipped, sizeof skipped);
    if (rc != 0) {
        s_lines_free (&lines);
        free (xs.items);
        return s_unusable (table, "out of memory");
    }
    double lo [2] = { 0, 0 }, hi [2] = { 0, 0 };
    bool has_right = false, integer [2] = { true, true };
    for (size_t l = 0; l < lines.count; l++) {
        int side = lines.lines [l].right;
        has_right |= lines.lines [l].right;
        integer [side] &= streq (table->columns [lines.lines [l].column]->type, "int");
        for (size_t i = 0; i < xs.count; i++)
            if (!isnan (lines.lines [l].values [i])) {
                lo [side] = fmin (lo [side], lines.lines [l].values [i]);
                hi [side] = fmax (hi [side], lines.lines [l].values [i]);
            }
    }

    //  the legend first: its rows push the plot down
    double height = 460, left = 84, right = S_WIDTH - (has_right? 84: 30);
    double top = 60, bottom = height - 70;
    s_begin (chart, S_WIDTH, height);
    char text [256];
    if (dimension >= 0) {
        snprintf (text, sizeof text, "%s by %s", s_title (table->columns [measure]),
                  s_title (table->columns [dimension]));
        s_subtitle (chart, text);
    }
    else
    if (*skipped) {
        snprintf (text, sizeof text, "not drawn, on another scale: %s", skipped);
        s_subtitle (chart, text);
    }
    double x = 16, y = 60;
    for (size_t l = 0; l < lines.count; l++) {
        const s_lines_line_t *line = &lines.lines [l];
        snprintf (text, sizeof text, "%s%s", line->name, line->right? " (right axis)": "");
        if (x + 22 + 7.0 * (double) s_text_chars (text) > S_WIDTH - 16 && x > 16) {
            x = 16;
            y += 18;
        }
        x = s_legend (chart, x, y, s_palette [l % S_PALETTE], true, line->dashed, text);
    }
    top = y + 20;

    s_scale_t scale = s_scale (lo [0], hi [0], 6, integer [0], bottom, top);
    s_scale_t scale_right = s_scale (lo [1], hi [1], 6, integer [1], bottom, top);
    s_vertical_axis (chart, &scale, left, right, false, false, true);
    if (has_right)
        s_vertical_axis (chart, &scale_right, left, right, true, false, false);
    double step = xs.count > 1? (right - left - 20) / (double) (xs.count - 1): 0;
    double start = xs.count > 1? left + 10: (left + right) / 2;
    size_t every = (xs.count + 9) / 10;
    for (size_t i = 0; i < xs.count; i += every ? every: 1) {
        s_line (chart, start + step * (double) i, bottom, start + step * (double) i, bottom + 4,
                "#999999", "");
        s_text (chart, start + step * (double) i, bottom + 18, "middle", 0, "#444444",
                xs.items [i], 12);
    }
    for (size_t l = 0; l < lines.count; l++)
        s_lines_draw (chart, &lines.lines [l], lines.lines [l].right? &scale_right: &scale,
                      start, step, xs.count, s_palette [l % S_PALETTE]);
    s_text (chart, (left + right) / 2, bottom + 40, "middle", 0, "#444444",
            s_title (table->columns [x_column]), 50);
    s_lines_axis_title (chart, &lines, false, dimension >= 0, text, sizeof text);
    s_text (chart, 18, (top + bottom) / 2, "middle", -90, "#444444", text, 50);
    if (has_right) {
        s_lines_axis_title (chart, &lines, true, dimension >= 0, text, sizeof text);
        s_text (chart, S_WIDTH - 12, (top + bottom) / 2, "middle", 90, "#444444", text, 50);
    }
    s_end (chart);
    s_lines_free (&lines);
    free (xs.items);
    return 0;
}

//  --------------------------------------------------------------------------
//  bars

static int
s_bars (s_chart_t *chart)
{
    const Crmq__ReportTable *table = chart->table;
    int label = s_label_column (table);
    label = label >= 0? label: s_first (table, S_KIND_DATE, 0, -1);
    int value = s_measure (table, label, true);
    if (label < 0 || value < 0)
        return s_unusable (table, "bars: no label column or no numeric column");
    size_t rows = table->n_rows < S_BARS_ROWS? table->n_rows: S_BARS_ROWS;
    size_t all = table->total_rows > (int64_t) table->n_rows? (size_t) table->total_rows
                                                             : table->n_rows;
    bool share = s_kind (table->columns [value]) == S_KIND_SHARE;
    double lo = 0, hi = 0, number;
    for (size_t i = 0; i < rows; i++)
        if (s_number (s_cell (table, i, (size_t) value), &number)) {
            lo = fmin (lo, number);
            hi = fmax (hi, number);
        }
    double left = 230, right = S_WIDTH - 120, top = 64, pitch = 26;
    double bottom = top + pitch * (double) rows + 6;
    double height = bottom + 50;
    s_scale_t scale = s_scale (lo, hi, 6, streq (table->columns [value]->type, "int"), left,
                               right);
    s_begin (chart, S_WIDTH, height);
    char text [256], cell [128];
    s_axis_title (chart, table->columns [value], text, sizeof text);
    if (all > rows) {
        size_t used = strlen (text);
        snprintf (text + used, sizeof text - used, " (first %zu of %zu rows)", rows, all);
    }
    s_subtitle (chart, text);
    //  shares are drawn as percentages on a percentage axis
    if (share)
        for (int i = 0; i < s_ticks (&scale); i++) {
            double tick = s_tick (&scale, i), x = s_at (&scale, tick);
            s_line (chart, x, top, x, bottom, tick == 0? "#999999": "#e5e5e5", "");
            s_tick_text (&scale, tick, true, text, sizeof text);
            s_text (chart, x, bottom + 16, "middle", 0, "#444444", text, 0);
        }
    else
        s_horizontal_axis (chart, &scale, top, bottom);
    double zero = s_at (&scale, 0);
    for (size_t i = 0; i < rows; i++) {
        double y = top + pitch * (double) i + 4;
        s_text (chart, left - 8, y + 13, "end", 0, "#333333", s_cell (table, i, (size_t) label),
                30);
        if (!s_number (s_cell (table, i, (size_t) value), &number))
            continue;
        double x = s_at (&scale, number);
        fprintf (chart->out, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                 "height=\"18\" fill=\"%s\"/>\n", fmin (zero, x), y, fabs (x - zero),
                 s_palette [0]);
        cli_chart_cell_text (table->columns [value]->type, s_cell (table, i, (size_t) value),
                             cell, sizeof cell);
        s_text (chart, number < 0? fmin (zero, x) - 4: fmax (zero, x) + 4, y + 13,
                number < 0? "end": "start", 0, "#333333", cell, 0);
    }
    s_end (chart);
    return 0;
}

//  --------------------------------------------------------------------------
//  heatmap

//  An axis column: text, class, date or int.
static bool
s_axis_column (const Crmq__ReportColumn *column)
{
    s_kind_t kind = s_kind (column);
    return kind == S_KIND_TEXT || kind == S_KIND_DATE || streq (column->type, "int");
}

//  Sorts an axis's values (qsort_r): by number when *numeric (an int
//  column), else as text.
static int
s_axis_cmp (const void *a, const void *b, void *numeric)
{
    const char *x = *(const char * const *) a, *y = *(const char * const *) b;
    double u, v;
    if (*(bool *) numeric && s_number (x, &u) && s_number (y, &v) && u != v)
        return u < v? -1: 1;
    return strcmp (x, y);
}

//  Position of `text` among `count` axis values (few: a linear search).
static long
s_axis_position (const char **values, size_t count, const char *text)
{
    for (size_t i = 0; i < count; i++)
        if (streq (values [i], text))
            return (long) i;
    return -1;
}

//  A colour between light and dark blue, t in [0, 1]; `dark` says whether
//  text on it should be white.
static void
s_heat_color (double t, char *buf, size_t size, bool *dark)
{
    static const double light [3] = { 238, 244, 251 }, deep [3] = { 31, 78, 137 };
    t = fmin (fmax (t, 0), 1);
    snprintf (buf, size, "#%02x%02x%02x",
              (int) lround (light [0] + (deep [0] - light [0]) * t),
              (int) lround (light [1] + (deep [1] - light [1]) * t),
              (int) lround (light [2] + (deep [2] - light [2]) * t));
    *dark = t > 0.55;
}

static int
s_heatmap (s_chart_t *chart)
{
    const Crmq__ReportTable *table = chart->table;
    int axis [2] = { -1, -1 }, value = -1;
    for (size_t i = 0; i < table->n_columns; i++) {
        const Crmq__ReportColumn *column = table->columns [i];
        if (axis [1] < 0 && s_axis_column (column))
            axis [axis [0] < 0? 0: 1] = (int) i;
        else
        if (axis [1] >= 0 && value < 0
        &&  (s_kind (column) == S_KIND_NUMBER || s_kind (column) == S_KIND_SHARE))
            value = (int) i;
    }
    if (value < 0)
        return s_unusable (table, "heatmap: needs two axis columns and a numeric column after them");
    s_distinct_t values [2];
    if (s_distinct (table, (size_t) axis [0], &values [0]) != 0)
        return s_unusable (table, "out of memory");
    if (s_distinct (table, (size_t) axis [1], &values [1]) != 0) {
        free (values [0].items);
        return s_unusable (table, "out of memory");
    }
    for (int a = 0; a < 2; a++) {
        bool numeric = streq (table->columns [axis [a]]->type, "int");
        qsort_r (values [a].items, values [a].count, sizeof (char *), s_axis_cmp, &numeric);
        if (values [a].count > S_HEATMAP_MAX)
            values [a].count = S_HEATMAP_MAX;
    }
    size_t rows = values [0].count, columns = values [1].count;
    long *cell_row = calloc (rows * columns + 1, sizeof (long));
    if (!cell_row) {
        free (values [0].items);
        free (values [1].items);
        return s_unusable (table, "out of memory");
    }
    //  each cell's table row, +1 (0 = none); the first row of a cell wins
    double lo = 0, hi = 0, number;
    for (size_t i = 0; i < table->n_rows; i++) {
        long r = s_axis_position (values [0].items, rows, s_cell (table, i, (size_t) axis [0]));
        long c = s_axis_position (values [1].items, columns, s_cell (table, i, (size_t) axis [1]));
        if (r < 0 || c < 0 || cell_row [r * (long) columns + c])
            continue;
        cell_row [r * (long) columns + c] = (long) i + 1;
        if (s_number (s_cell (table, i, (size_t) value), &number)) {
            lo = fmin (lo, number);
            hi = fmax (hi, number);
        }
    }
    double cell_width = fmin (100, 560 / (double) columns);
    double cell_height = fmin (44, 440 / (double) rows);
    double left = 150, top = 70;
    double bottom = top + cell_height * (double) rows;
    double width = fmax (520, left + cell_width * (double) columns + 180);
    double height = bottom + 70;
    s_begin (chart, width, height);
    char text [256], color [16], label [128];
    s_axis_title (chart, table->columns [value], text, sizeof text);
    s_subtitle (chart, text);
    bool labels = cell_width >= 36 && cell_height >= 16;
    for (size_t r = 0; r < rows; r++) {
        double y = top + cell_height * (double) r;
        s_text (chart, left - 8, y + cell_height / 2 + 4, "end", 0, "#333333",
                values [0].items [r], 20);
        for (size_t c = 0; c < columns; c++) {
            double x = left + cell_width * (double) c;
            long at = cell_row [r * columns + c] - 1;
            bool dark = false, known = at >= 0
                && s_number (s_cell (table, (size_t) at, (size_t) value), &number);
            if (known)
                s_heat_color (hi > lo? (number - lo) / (hi - lo): 0, color, sizeof color, &dark);
            else
                snprintf (color, sizeof color, "#f4f4f4");
            fprintf (chart->out, "<rect class=\"cell\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                     "height=\"%.1f\" fill=\"%s\" stroke=\"#ffffff\"><title>",
                     x, y, cell_width, cell_height, color);
            cli_chart_put_text (chart->out, values [0].items [r], 40);
            fprintf (chart->out, " \xC3\x97 ");             //  ×
            cli_chart_put_text (chart->out, values [1].items [c], 40);
            if (known) {
                fprintf (chart->out, ": ");
                cli_chart_put_text (chart->out, cli_chart_cell_text (table->columns [value]->type,
                    s_cell (table, (size_t) at, (size_t) value), label, sizeof label), 0);
            }
            fprintf (chart->out, "</title></rect>\n");
            if (known && labels) {
                cli_chart_cell_text (table->columns [value]->type,
                                     s_cell (table, (size_t) at, (size_t) value), label,
                                     sizeof label);
                s_text (chart, x + cell_width / 2, y + cell_height / 2 + 4, "middle", 0,
                        dark? "#ffffff": "#222222", label, (size_t) (cell_width / 7));
            }
        }
    }
    for (size_t c = 0; c < columns; c++)
        s_text (chart, left + cell_width * ((double) c + 0.5), bottom + 16, "middle", 0,
                "#333333", values [1].items [c], (size_t) fmax (3, cell_width / 7));
    s_text (chart, left + cell_width * (double) columns / 2, bottom + 40, "middle", 0,
            "#444444", s_title (table->columns [axis [1]]), 40);
    s_text (chart, 18, (top + bottom) / 2, "middle", -90, "#444444",
            s_title (table->columns [axis [0]]), 40);
    //  legend: 5 steps from lo to hi
    double x = left + cell_width * (double) columns + 30;
    for (int i = 0; i < 5; i++) {
        bool dark;
        s_heat_color ((double) i / 4, color, sizeof color, &dark);
        fprintf (chart->out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"16\" height=\"16\" "
                 "fill=\"%s\"/>\n", x, top + 20.0 * i, color);
        double at = lo + (hi - lo) * i / 4;
        if (streq (table->columns [value]->type, "share"))
            snprintf (text, sizeof text, "%.1f%%", at * 100);
        else
        if (streq (table->columns [value]->type, "int") || hi - lo >= 100)
            snprintf (text, sizeof text, "%.0f", at);
        else
            snprintf (text, sizeof text, "%.2f", at);
        char grouped [96];
        s_group (text, grouped, sizeof grouped);
        s_text (chart, x + 22, top + 20.0 * i + 12, "start", 0, "#444444", grouped, 0);
    }
    s_end (chart);
    free (cell_row);
    free (values [0].items);
    free (values [1].items);
    return 0;
}

//  --------------------------------------------------------------------------

int
cli_chart_write (const Crmq__ReportTable *table, const char *currency, bool standalone,
                 FILE *out)
{
    const char *kind = table->chart? table->chart: "";
    int (*draw) (s_chart_t *) = NULL;
    if (streq (kind, "pareto"))
        draw = s_pareto;
    else
    if (streq (kind, "lines"))
        draw = s_lines;
    else
    if (streq (kind, "bars"))
        draw = s_bars;
    else
    if (streq (kind, "heatmap"))
        draw = s_heatmap;
    else
    if (*kind) {
        char reason [160];
        snprintf (reason, sizeof reason, "unknown chart kind \"%.100s\"", kind);
        return s_unusable (table, reason);
    }
    else
        return s_unusable (table, "the table has no chart");

    char *buffer = NULL;
    size_t size = 0;
    s_chart_t chart = { open_memstream (&buffer, &size), table, currency, standalone };
    if (!chart.out)
        return s_unusable (table, "out of memory");
    int rc = table->n_rows == 0? s_no_data (&chart): draw (&chart);
    if (fclose (chart.out) != 0 && rc == 0)
        rc = s_unusable (table, "out of memory");
    if (rc == 0 && fwrite (buffer, 1, size, out) != size)
        rc = s_unusable (table, "write failed");
    free (buffer);
    return rc;
}

//  --------------------------------------------------------------------------
//  Self-test

//  A table built in code: columns "name:type", rows of cells.
typedef struct {
    Crmq__ReportTable table;
    Crmq__ReportColumn *columns;
    Crmq__ReportColumn **column_p;
    Crmq__ReportRow *rows;
    Crmq__ReportRow **row_p;
    char **cells;               //  rows x columns, owned
} s_test_table_t;

static s_test_table_t *
s_test_table_new (const char *name, const char *chart, size_t columns, const char **specs,
                  size_t rows)
{
    s_test_table_t *self = calloc (1, sizeof (s_test_table_t));
    assert (self);
    crmq__report_table__init (&self->table);
    self->table.name = (char *) name;
    self->table.title = (char *) name;
    self->table.chart = (char *) chart;
    self->columns = calloc (columns, sizeof (Crmq__ReportColumn));
    self->column_p = calloc (columns, sizeof (Crmq__ReportColumn *));
    self->rows = calloc (rows + 1, sizeof (Crmq__ReportRow));
    self->row_p = calloc (rows + 1, sizeof (Crmq__ReportRow *));
    self->cells = calloc (rows * columns + 1, sizeof (char *));
    assert (self->columns && self->column_p && self->rows && self->row_p && self->cells);
    for (size_t i = 0; i < columns; i++) {
        crmq__report_column__init (&self->columns [i]);
        const char *colon = strchr (specs [i], ':');
        assert (colon);
        self->columns [i].name = strndup (specs [i], (size_t) (colon - specs [i]));
        self->columns [i].type = (char *) colon + 1;
        self->columns [i].title = self->columns [i].name;
        self->column_p [i] = &self->columns [i];
    }
    for (size_t r = 0; r < rows; r++) {
        crmq__report_row__init (&self->rows [r]);
        self->rows [r].n_cells = columns;
        self->rows [r].cells = &self->cells [r * columns];
        self->row_p [r] = &self->rows [r];
    }
    self->table.n_columns = columns;
    self->table.columns = self->column_p;
    self->table.n_rows = rows;
    self->table.rows = self->row_p;
    self->table.total_rows = (int64_t) rows;
    return self;
}

static void
s_test_set (s_test_table_t *self, size_t row, size_t column, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));
static void
s_test_set (s_test_table_t *self, size_t row, size_t column, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char **cell = &self->cells [row * self->table.n_columns + column];
    free (*cell);
    assert (vasprintf (cell, format, args) >= 0);
    va_end (args);
}

static void
s_test_table_destroy (s_test_table_t **self_p)
{
    s_test_table_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->table.n_rows * self->table.n_columns; i++)
        free (self->cells [i]);
    for (size_t i = 0; i < self->table.n_columns; i++)
        free (self->columns [i].name);
    free (self->cells);
    free (self->rows);
    free (self->row_p);
    free (self->columns);
    free (self->column_p);
    free (self);
    *self_p = NULL;
}

//  The chart as a string (caller frees), or NULL when cli_chart_write
//  failed.
static char *
s_test_render (s_test_table_t *self, bool standalone)
{
    char *buffer = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&buffer, &size);
    assert (out);
    int rc = cli_chart_write (&self->table, "USD", standalone, out);
    assert (fclose (out) == 0);
    if (rc != 0) {
        assert (size == 0);     //  nothing written
        free (buffer);
        return NULL;
    }
    return buffer;
}

//  Checks that `svg` is well-formed enough: tags balanced and nested, one
//  root <svg>, quoted attributes, no raw '<' or bare '&' in text.
static void
s_test_well_formed (const char *svg)
{
    const char *stack [64];
    size_t depth = 0, roots = 0;
    const char *s = svg;
    if (strncmp (s, "<?xml", 5) == 0)
        s = strstr (s, "?>") + 2;
    while (*s) {
        if (*s == '&') {
            size_t entity = strspn (s + 1, "abcdefghijklmnopqrstuvwxyz#0123456789");
            assert (entity > 0 && s [1 + entity] == ';');
            s += entity + 2;
            continue;
        }
        if (*s != '<') {
            assert (*s != '>' || depth == 0);
            if (depth == 0)
                assert (*s == '\n');
            s++;
            continue;
        }
        if (s [1] == '/') {
            size_t length = strcspn (s + 2, ">");
            assert (depth > 0);
            depth--;
            assert (strncmp (stack [depth], s + 2, length) == 0
                 && !isalnum ((unsigned char) stack [depth] [length]));
            s += length + 3;
            continue;
        }
        const char *name = s + 1;
        size_t name_length = strspn (name, "abcdefghijklmnopqrstuvwxyz");
        assert (name_length > 0);
        s = name + name_length;
        //  attributes: name="value"
        while (true) {
            s += strspn (s, " \n");
            if (*s == '>' || (s [0] == '/' && s [1] == '>'))
                break;
            size_t attribute = strspn (s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-:");
            assert (attribute > 0 && s [attribute] == '=' && s [attribute + 1] == '"');
            const char *end = strchr (s + attribute + 2, '"');
            assert (end);
            for (const char *v = s + attribute + 2; v < end; v++)
                assert (*v != '<');
            s = end + 1;
        }
        if (depth == 0) {
            roots++;
            assert (strncmp (name, "svg", 3) == 0);
        }
        if (*s == '/')
            s += 2;
        else {
            assert (depth < 64);
            stack [depth++] = name;
            s++;
        }
    }
    assert (depth == 0 && roots == 1);
}

//  The chart of a table that must draw: rendered, shown when verbose,
//  checked well-formed.  Caller frees.
static char *
s_test_chart (s_test_table_t *self, bool standalone, bool verbose)
{
    char *svg = s_test_render (self, standalone);
    assert (svg);
    if (verbose)
        printf ("%s\n", svg);
    s_test_well_formed (svg);
    return svg;
}

static size_t
s_test_count (const char *text, const char *needle)
{
    size_t count = 0;
    for (const char *s = strstr (text, needle); s; s = strstr (s + 1, needle))
        count++;
    return count;
}

void
cli_chart_test (bool verbose)
{
    printf (" * cli_chart: ");
    if (verbose)
        printf ("\n");

    //  pareto: 5 clients, names to escape, Cyrillic kept
    const char *abc [] = { "rank:int", "external_id:text", "name:text", "value:money",
                           "share:share", "cumulative_share:share", "abc_class:class" };
    s_test_table_t *table = s_test_table_new ("clients", "pareto", 7, abc, 5);
    static const char *names [] = { "Ernst & Söhne", "<Frankenversand>", "\"Quick\" Stop",
                                    "Рога и копыта", "bad \xFF byte\x01" };
    static const char *values [] = { "600.00", "250.00", "100.00", "40.00", "10.00" };
    static const char *cumulative [] = { "0.600000000", "0.850000000", "0.950000000",
                                         "0.990000000", "1.000000000" };
    for (size_t i = 0; i < 5; i++) {
        s_test_set (table, i, 0, "%zu", i + 1);
        s_test_set (table, i, 1, "C%zu", i);
        s_test_set (table, i, 2, "%s", names [i]);
        s_test_set (table, i, 3, "%s", values [i]);
        s_test_set (table, i, 5, "%s", cumulative [i]);
        s_test_set (table, i, 6, "%s", i == 0? "A": i < 3? "B": "C");
    }
    char *svg = s_test_chart (table, true, verbose);
    assert (strncmp (svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"", 36) == 0);
    assert (strstr (svg, "xmlns=\"http://www.w3.org/2000/svg\""));
    assert (s_test_count (svg, "class=\"bar\"") == 5);
    assert (s_test_count (svg, "class=\"point\"") == 5);
    assert (s_test_count (svg, "class=\"threshold\"") == 2);
    assert (strstr (svg, "Ernst &amp; Söhne"));
    assert (strstr (svg, "&lt;Frankenversand&gt;"));
    assert (strstr (svg, "&quot;Quick&quot; Stop"));
    assert (strstr (svg, "Рога и копыта"));
    assert (strstr (svg, "bad \xEF\xBF\xBD byte\xEF\xBF\xBD"));
    assert (strstr (svg, "Söhne: 600.00, cumulative 60.0%<"));     //  a bar's tooltip
    assert (strstr (svg, "value, USD"));
    //  the same input gives the same bytes; inline: no namespace, no declaration
    char *again = s_test_render (table, true);
    assert (again && streq (svg, again));
    free (again);
    free (svg);
    svg = s_test_render (table, false);
    assert (svg && strncmp (svg, "<svg class=\"chart\"", 18) == 0 && !strstr (svg, "http:"));
    s_test_well_formed (svg);
    free (svg);
    s_test_table_destroy (&table);

    //  pareto of 1,000 rows: 200 bars of 5, the line with a point each (none
    //  drawn above 60), the share computed from the values
    const char *short_abc [] = { "name:text", "value:decimal" };
    table = s_test_table_new ("many", "pareto", 2, short_abc, 1000);
    for (size_t i = 0; i < 1000; i++) {
        s_test_set (table, i, 0, "client %zu", i);
        s_test_set (table, i, 1, "%zu.5", 1000 - i);
    }
    svg = s_test_chart (table, true, verbose);
    assert (s_test_count (svg, "class=\"bar\"") == 200);
    assert (s_test_count (svg, "class=\"point\"") == 0);
    assert (strstr (svg, "1000 rows, 5 per bar"));
    const char *points = strstr (svg, "class=\"cumulative\"");
    assert (points && (points = strstr (points, "points=\"")));
    char *list = strndup (points + 8, strcspn (points + 8, "\""));
    assert (list && s_test_count (list, ",") == 200);
    free (list);
    free (svg);
    s_test_table_destroy (&table);

    //  lines: 3 months, revenue plus a dashed comparison, the change left out,
    //  orders (a count) on the right axis
    const char *periods [] = { "period:date", "revenue:money", "previous_revenue:money",
                               "change:share", "orders:int" };
    table = s_test_table_new ("periods", "lines", 5, periods, 3);
    for (size_t i = 0; i < 3; i++) {
        s_test_set (table, i, 0, "1997-0%zu-01", 3 - i);        //  not in order
        s_test_set (table, i, 1, "%zu000.00", i + 1);
        if (i > 0)
            s_test_set (table, i, 2, "%zu000.00", i);
        s_test_set (table, i, 3, "0.5");
        s_test_set (table, i, 4, "%zu", 10 * i);
    }
    svg = s_test_chart (table, true, verbose);
    assert (s_test_count (svg, "class=\"line\"") == 3);
    assert (s_test_count (svg, "class=\"point\"") == 3 + 2 + 3);
    assert (s_test_count (svg, "stroke-dasharray=\"6 4\" d=") == 1);
    assert (strstr (svg, "orders (right axis)"));
    assert (!strstr (svg, ">change<"));
    char *first = strstr (svg, "1997-01-01"), *last = strstr (svg, "1997-03-01");
    assert (first && last && first < last);                     //  x sorted
    free (svg);
    s_test_table_destroy (&table);

    //  lines by dimension: 12 regions, 2 periods: 8 lines + other
    const char *by_region [] = { "period:date", "region:text", "revenue:money" };
    table = s_test_table_new ("by region", "lines", 3, by_region, 24);
    for (size_t i = 0; i < 24; i++) {
        s_test_set (table, i, 0, "1997-0%zu-01", i % 2 + 1);
        s_test_set (table, i, 1, "region %02zu", i / 2);
        s_test_set (table, i, 2, "%zu.00", 100 * (i / 2 + 1));
    }
    svg = s_test_chart (table, false, verbose);
    assert (s_test_count (svg, "class=\"line\"") == 9);
    assert (strstr (svg, ">region 11<") && !strstr (svg, ">region 03<") && strstr (svg, ">other<"));
    assert (s_test_count (svg, "class=\"point\"") == 18);
    free (svg);
    s_test_table_destroy (&table);

    //  lines by dimension with the table's own "other" row, the largest: it
    //  joins the chart's "other" line (one "other", 8 values and it)
    const char *by_group [] = { "period:date", "dimension:text", "dimension_name:text",
                                "value:money" };
    table = s_test_table_new ("by group", "lines", 4, by_group, 22);
    for (size_t i = 0; i < 22; i++) {
        s_test_set (table, i, 0, "1997-0%zu-01", i % 2 + 1);
        if (i / 2 == 10) {
            s_test_set (table, i, 1, "other");
            s_test_set (table, i, 2, "other");
        }
        else {
            s_test_set (table, i, 1, "g%02zu", i / 2);
            s_test_set (table, i, 2, "group %02zu", i / 2);
        }
        s_test_set (table, i, 3, "%zu.00", i / 2 == 10? 100000: 100 * (i / 2 + 1));
    }
    svg = s_test_chart (table, false, verbose);
    assert (s_test_count (svg, "class=\"line\"") == 9);
    assert (s_test_count (svg, ">other<") == 1);
    assert (strstr (svg, ">g09<") && strstr (svg, ">g02<") && !strstr (svg, ">g01<"));
    free (svg);
    //  only the table's "other" beyond 8 values: still one "other" line
    for (size_t i = 4; i < 22; i++)
        s_test_set (table, i, 1, "%s", i < 20? "g09": "other");
    svg = s_test_chart (table, false, verbose);
    assert (s_test_count (svg, "class=\"line\"") == 4);       //  g00, g01, g09, other
    assert (s_test_count (svg, ">other<") == 1);
    free (svg);
    s_test_table_destroy (&table);

    //  the client base's history: class counts (thousands) are another scale
    //  than the flows (tens) while revenue holds the right axis: not drawn,
    //  said under the title; integer ticks (no 2.5 clients)
    const char *history [] = { "period:date", "clients_with_orders:int", "new:int",
                               "revenue:money", "potential:int", "regular:int" };
    table = s_test_table_new ("history", "lines", 6, history, 3);
    for (size_t i = 0; i < 3; i++) {
        s_test_set (table, i, 0, "2011-0%zu-01", i + 1);
        s_test_set (table, i, 1, "%zu", 1 + i);
        s_test_set (table, i, 2, "%zu", i);
        s_test_set (table, i, 3, "%zu500.00", i + 1);
        s_test_set (table, i, 4, "%zu", 4000 - i * 3);
        s_test_set (table, i, 5, "%zu", 1 + i);
    }
    svg = s_test_chart (table, true, verbose);
    assert (s_test_count (svg, "class=\"line\"") == 4);
    assert (strstr (svg, ">not drawn, on another scale: potential<"));
    assert (strstr (svg, ">revenue (right axis)<") && strstr (svg, ">regular<"));
    assert (strstr (svg, ">3<") && !strstr (svg, ">0.5<") && !strstr (svg, ">2.5<"));
    free (svg);
    //  without revenue the class counts take the right axis
    for (size_t i = 0; i < 3; i++)
        s_test_set (table, i, 3, "%s", "");
    table->table.columns [3]->type = "int";
    svg = s_test_chart (table, true, verbose);
    assert (s_test_count (svg, "class=\"line\"") == 5);      //  revenue: a line, no points
    assert (strstr (svg, ">potential (right axis)<") && !strstr (svg, "not drawn"));
    free (svg);
    s_test_table_destroy (&table);

    //  bars of an int column all 0 (an empty funnel): whole ticks only
    const char *stages [] = { "name:text", "deals:int" };
    table = s_test_table_new ("stages", "bars", 2, stages, 3);
    for (size_t i = 0; i < 3; i++) {
        s_test_set (table, i, 0, "stage %zu", i);
        s_test_set (table, i, 1, "0");
    }
    svg = s_test_chart (table, true, verbose);
    assert (strstr (svg, ">1<") && !strstr (svg, ">0.2<") && !strstr (svg, ">0.4<"));
    free (svg);
    s_test_table_destroy (&table);

    //  bars: 40 rows, the first 30 drawn; rank is no measure
    const char *rating [] = { "rank:int", "name:text", "value:money" };
    table = s_test_table_new ("rating", "bars", 3, rating, 40);
    table->table.total_rows = 91;
    for (size_t i = 0; i < 40; i++) {
        s_test_set (table, i, 0, "%zu", i + 1);
        s_test_set (table, i, 1, "client %zu", i + 1);
        s_test_set (table, i, 2, "%zu.25", 40000 - 1000 * i);
    }
    s_test_set (table, 39, 2, "-5.00");
    svg = s_test_chart (table, true, verbose);
    assert (s_test_count (svg, "class=\"bar\"") == 30);
    assert (strstr (svg, ">40,000.25<"));
    assert (strstr (svg, "(first 30 of 91 rows)"));
    free (svg);
    s_test_table_destroy (&table);

    //  heatmap: abc_class x xyz_class -> clients, one cell missing
    const char *matrix [] = { "abc_class:class", "xyz_class:class", "clients:int",
                              "revenue:money" };
    table = s_test_table_new ("matrix", "heatmap", 4, matrix, 8);
    for (size_t i = 0; i < 8; i++) {
        s_test_set (table, i, 0, "%c", "CBA" [i / 3]);
        s_test_set (table, i, 1, "%c", "ZYX" [i % 3]);
        s_test_set (table, i, 2, "%zu", i * 1000);
        s_test_set (table, i, 3, "1.00");
    }
    svg = s_test_chart (table, true, verbose);
    assert (s_test_count (svg, "class=\"cell\"") == 9);
    assert (s_test_count (svg, "fill=\"#f4f4f4\"") == 1);      //  A x X: no row
    assert (strstr (svg, ">7,000<"));
    char *a = strstr (svg, ">A<"), *c = strstr (svg, ">C<");
    assert (a && c && a < c);                                   //  rows sorted
    free (svg);
    s_test_table_destroy (&table);

    //  heatmap r x f (ints sorted as numbers: 2 before 10)
    const char *rfm [] = { "r:int", "f:int", "clients:int" };
    table = s_test_table_new ("rfm", "heatmap", 3, rfm, 4);
    for (size_t i = 0; i < 4; i++) {
        s_test_set (table, i, 0, "%s", i < 2? "10": "2");
        s_test_set (table, i, 1, "%zu", i % 2 + 1);
        s_test_set (table, i, 2, "%zu", i);
    }
    svg = s_test_chart (table, true, verbose);
    assert (s_test_count (svg, "class=\"cell\"") == 4);
    char *two = strstr (svg, ">2<"), *ten = strstr (svg, ">10<");
    assert (two && ten && two < ten);
    free (svg);
    s_test_table_destroy (&table);

    //  no rows: "no data"; no chart kind, unknown kind, unusable columns: -1
    const char *empty [] = { "name:text", "value:money" };
    table = s_test_table_new ("empty", "bars", 2, empty, 0);
    svg = s_test_render (table, true);
    assert (svg && strstr (svg, ">no data<"));
    s_test_well_formed (svg);
    free (svg);
    table->table.chart = "";
    assert (s_test_render (table, true) == NULL);
    table->table.chart = "pie";
    assert (s_test_render (table, true) == NULL);
    s_test_table_destroy (&table);
    const char *texts [] = { "name:text", "note:text" };
    table = s_test_table_new ("texts", "bars", 2, texts, 1);
    s_test_set (table, 0, 0, "x");
    assert (s_test_render (table, true) == NULL);
    table->table.chart = "heatmap";
    assert (s_test_render (table, true) == NULL);
    table->table.chart = "lines";
    assert (s_test_render (table, true) == NULL);
    s_test_table_destroy (&table);
    s_test_table_destroy (&table);

    //  cell text
    char buf [64];
    assert (streq (cli_chart_cell_text ("money", "1265793.29", buf, sizeof buf), "1,265,793.29"));
    assert (streq (cli_chart_cell_text ("money", "-5", buf, sizeof buf), "-5.00"));
    assert (streq (cli_chart_cell_text ("int", "1234567", buf, sizeof buf), "1,234,567"));
    assert (streq (cli_chart_cell_text ("decimal", "1234.125", buf, sizeof buf), "1,234.125"));
    assert (streq (cli_chart_cell_text ("share", "0.800712345", buf, sizeof buf), "80.1%"));
    assert (streq (cli_chart_cell_text ("text", "1234", buf, sizeof buf), "1234"));
    assert (streq (cli_chart_cell_text ("money", "", buf, sizeof buf), ""));
    assert (streq (cli_chart_cell_text ("money", "n/a", buf, sizeof buf), "n/a"));

    //  nice ticks
    s_scale_t scale = s_scale (0, 1265793.29, 6, false, 0, 100);
    assert (scale.lo == 0 && scale.step == 200000 && scale.hi == 1400000);
    s_tick_text (&scale, 1200000, false, buf, sizeof buf);
    assert (streq (buf, "1.2M"));
    scale = s_scale (-5, 37, 6, false, 0, 100);
    assert (scale.lo == -10 && scale.step == 10 && scale.hi == 40);
    s_tick_text (&scale, 0, false, buf, sizeof buf);
    assert (streq (buf, "0"));
    scale = s_scale (0, 0.95, 6, false, 0, 100);
    s_tick_text (&scale, 0.2, true, buf, sizeof buf);
    assert (streq (buf, "20%"));
    scale = s_scale (0, 2600, 6, false, 0, 100);
    s_tick_text (&scale, 2500, false, buf, sizeof buf);
    assert (streq (buf, "2,500"));

    printf ("OK\n");
}

/*  cli_chart.h - a report table (crmq.ReportTable, proto/analytics.proto)
    drawn as an SVG 1.1 chart, by the kind the table names in `chart`:

    pareto   bars of the value per row in the table's order (the report sorts
             them descending), `value` (else the first numeric column that is
             no rank or id) on the left axis, and the line of
             `cumulative_share` (computed from the values when the table has
             none) on the right axis, 0-100 %, with the 80 % and 95 %
             thresholds dashed.  Bars take the colour of their `abc_class`.
             Above 200 rows, consecutive rows share a bar (at most 200 bars,
             each the mean of its rows; the line point is the share at its
             last row).
    lines    x = the first date column (else the first text column), its
             values sorted as text (ISO dates sort by time), evenly spaced.
             Series: every int, decimal or money column that is no rank or
             id and whose name holds no "change"; those named previous*,
             last_year*, same_* or year_ago* are comparisons, drawn dashed;
             at most 10 series, in column order.
             A series' scale is its unit (counts = int, amounts = money or
             decimal) and, but for comparisons, whether its largest absolute
             value is over 20 times the first series' of its unit.  The
             scale of the first series that is no comparison uses the left
             axis, the next scale the right one; series of a third scale
             (and beyond 10) are not drawn, named under the title.  With a
             dimension (a text or class column besides x), one line per
             dimension value of the first series that is no comparison: the
             8 largest by the sum of absolute values, the rest summed as
             "other", a table's own "other" row (values a report summed)
             among them.
    bars     horizontal bars of the first numeric column that is no rank or
             id (a share column when there is none) by `name` (else the
             first text or class column), the first 30 rows in the table's
             order, each with its value.
    heatmap  rows = the first column of type text, class, date or int,
             columns = the second such column, each sorted (int numerically,
             others as text); the cell value is the first int, decimal,
             money or share column after them; a colour scale (5 steps,
             legend) and the value in every cell large enough.

    Numbers are read from the exact decimal text with strtod, for drawing
    only; value labels show the exact text (money with 2 decimals and
    thousands grouped, shares as percentages with one decimal).  Text is
    escaped for XML, UTF-8 kept (malformed bytes and control characters
    become U+FFFD).  An axis of int columns only has whole ticks.  A table
    without rows is a chart saying "no data".  The
    output depends only on the input: no ids, no dates, no randomness.     */
#ifndef CLI_CHART_H_INCLUDED
#define CLI_CHART_H_INCLUDED

#include "crmq.h"
#include <stdio.h>

//  Writes `table` as a chart to `out`: with `standalone` a whole SVG
//  document (XML declaration, SVG namespace), else an <svg> element for an
//  HTML page (no namespace attribute, nothing that refers outside it).
//  `currency` names the unit of money columns in axis titles (NULL or ""
//  for none).  Nothing is written unless the whole chart could be drawn.
//  Returns 0, or -1 after printing "crmq: chart <table>: <reason>" to
//  stderr when the table names no chart kind, an unknown one, has no
//  columns the kind can use, or memory or `out` fails.
int cli_chart_write (const Crmq__ReportTable *table, const char *currency, bool standalone,
                     FILE *out);

//  Writes `text` to `out` as XML/HTML character data: & < > " ' as
//  entities, UTF-8 kept, malformed UTF-8 and control characters other than
//  tab and newline as U+FFFD.  At most `max_chars` code points (0 = all); a
//  longer text is cut and ends with "…".  NULL writes nothing.
void cli_chart_put_text (FILE *out, const char *text, size_t max_chars);

//  Formats the cell `cell` of a column of `type` (ReportColumn.type) as
//  charts and pages show it, exactly: money with 2 decimals and grouped
//  thousands ("1,265,793.29"), int grouped, decimal grouped with its own
//  decimals, share as a percentage with one decimal and "%" ("80.1%"),
//  anything else (and a number that does not parse) as it is; "" stays
//  "".  Returns buf (cut to `size`).
char *cli_chart_cell_text (const char *type, const char *cell, char *buf, size_t size);

//  Self-test: charts of tables built here, checked for well-formed XML,
//  the number of bars, points and cells, escaping and determinism.
void cli_chart_test (bool verbose);

#endif

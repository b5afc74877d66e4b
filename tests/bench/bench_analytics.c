/*  bench_analytics - reports over a big data set: plain SQL over the raw
    documents against crmq's analytics.Report, without and with its cache.

    bench_analytics [--from DATE] [--to DATE] [--runs N] [--limit N]
                    [--lost-after DAYS] [--reports abc,xyz,rfm,base]
                    [--sql FILE]

    For each report (default abc, xyz, rfm, base over [2025-01-01,
    2026-01-01), the report date its end):
      naive     the query of FILE (tests/bench/naive_reports.sql) after the
                line "-- report: NAME", over libpq;
      uncached  analytics.Report with the same period and limit, Redis
                emptied (FLUSHDB) before each call, so crmq-analytics
                computes the report (and stores it);
      cached    analytics.Report again with Redis left alone: the stored
                result (the reply says `cached`).
      live      the same while the ERP posts orders: before each call one
                order of the day after the period (a later day than the
                report reads) goes through crmq-sales' sales.Ingest, as the
                ERP sends it; the reply must still come from the cache (a
                report by dates is keyed by its days' change counters,
                report_runner.c).  Needs CRMQ_SALES_ENDPOINT; n/a without.
    Each is run once to warm up, then --runs times (5) timed; it prints the
    p50 (the middle run) and the fastest of each, the ratios naive / crmq,
    and the totals of the reports that every side ran.  Then it compares the
    tables: every table the naive query returns must equal crmq's table of
    the same name, row for row and cell for cell.  A report crmq does not
    know prints n/a and is left out of the comparison.

    Environment: CRMQ_PG_URL, CRMQ_REDIS_URL, CRMQ_ANALYTICS_ENDPOINT,
    CRMQ_SALES_ENDPOINT (for live), CRMQ_TIME_ZONE (UTC).  Exit 0 when every report crmq knows agrees with
    its naive query, 1 when one does not or a call fails, 2 on a usage or
    set-up error.                                                           */
#include "crmq.h"
#include <getopt.h>

#define MAX_REPORTS      8
#define MAX_RUNS         50
#define RPC_TIMEOUT_MS   (30 * 60 * 1000)
#define CELL_SEPARATOR   '\x1f'

typedef struct {
    const char *from;
    const char *to;
    int runs;
    int limit;
    int lost_after;
    const char *reports;
    const char *sql_path;
} s_options_t;

//  One report's figures: p50 and min of each side, in milliseconds; < 0
//  when the side did not run.
typedef struct {
    char name [32];
    char *sql;                      //  the naive query, from the file
    int nparams;                    //  the highest $n it uses
    double naive [2], uncached [2], cached [2], live [2];
    bool known;                     //  crmq answered it
    char agreement [512];
    bool agrees;
} s_report_t;

static const char *s_program = "bench_analytics";

static int
s_compare_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

//  Writes the p50 (the middle run; of an even count the lower middle) and
//  the minimum of `count` timings.
static void
s_summary (double *ms, int count, double out [2])
{
    qsort (ms, (size_t) count, sizeof (double), s_compare_double);
    out [0] = ms [(count - 1) / 2];
    out [1] = ms [0];
}

//  Reads `path` whole; NULL on failure (printed).
static char *
s_read_file (const char *path)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        fprintf (stderr, "%s: %s: %s\n", s_program, path, strerror (errno));
        return NULL;
    }
    zchunk_t *chunk = zchunk_read (file, 16 * 1024 * 1024);
    fclose (file);
    if (!chunk)
        return NULL;
    char *text = zchunk_strdup (chunk);
    zchunk_destroy (&chunk);
    return text;
}

//  The query after "-- report: NAME" in `text`, up to the next such line
//  (heap copy), or NULL when there is none.
static char *
s_section (const char *text, const char *name)
{
    char marker [64];
    snprintf (marker, sizeof marker, "-- report: %s\n", name);
    const char *start = strstr (text, marker);
    if (!start)
        return NULL;
    start += strlen (marker);
    const char *end = strstr (start, "-- report: ");
    size_t size = end? (size_t) (end - start): strlen (start);
    return strndup (start, size);
}

//  The highest $n in `sql` (PostgreSQL wants as many parameters as a query
//  uses, no more).
static int
s_params_used (const char *sql)
{
    int highest = 0;
    for (const char *p = strchr (sql, '$'); p; p = strchr (p + 1, '$'))
        if (isdigit ((unsigned char) p [1]) && atoi (p + 1) > highest)
            highest = atoi (p + 1);
    return highest;
}

//  Microseconds since the epoch of midnight of `day` in `zone`, as text.
static int
s_instant (crmq_pg_t *pg, const char *day, const char *zone, int64_t *us)
{
    const char *values [2] = { day, zone };
    PGresult *result = crmq_pg_exec (pg,
        "SELECT (extract (epoch FROM ($1::date)::timestamp AT TIME ZONE $2) * 1000000)::bigint",
        2, values);
    if (!result) {
        fprintf (stderr, "%s: %s: %s\n", s_program, day, crmq_pg_error (pg));
        return -1;
    }
    *us = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    PQclear (result);
    return 0;
}

//  Runs the naive query once; returns its result (caller PQclears) and the
//  milliseconds it took, or NULL (printed).
static PGresult *
s_naive (crmq_pg_t *pg, const s_report_t *report, const char *const *values, double *ms)
{
    int64_t start = crmq_time_now_us ();
    PGresult *result = crmq_pg_exec (pg, report->sql, report->nparams, values);
    *ms = (double) (crmq_time_now_us () - start) / 1000.0;
    if (!result)
        fprintf (stderr, "%s: naive %s: %s\n", s_program, report->name, crmq_pg_error (pg));
    return result;
}

//  Calls analytics.Report once; returns the result (caller frees) and the
//  milliseconds it took, or NULL with *code the reply's code.
static Crmq__ReportResult *
s_crmq (crmq_rpc_client_t *client, const Crmq__ReportParams *params, double *ms, int *code)
{
    uint8_t *body = NULL;
    size_t size = 0;
    int64_t start = crmq_time_now_us ();
    *code = crmq_rpc_call (client, "analytics.Report", &params->base, &body, &size);
    Crmq__ReportResult *result = NULL;
    if (*code == CRMQ_OK)
        result = crmq__report_result__unpack (NULL, size, body);
    *ms = (double) (crmq_time_now_us () - start) / 1000.0;
    free (body);
    return result;
}

//  Empties Redis (the report cache); -1 when it cannot.
static int
s_flush (crmq_redis_t *redis)
{
    redisReply *reply = crmq_redis_command (redis, "FLUSHDB");
    if (!reply) {
        fprintf (stderr, "%s: Redis FLUSHDB failed\n", s_program);
        return -1;
    }
    freeReplyObject (reply);
    return 0;
}

//  Posts order number `n` of this run through crmq-sales, placed at `at_us`
//  (one line: product P00001 of the generated data set, client n % 100 + 1),
//  as the ERP sends it.  Returns 0, or -1 when crmq-sales did not accept it.
static int
s_post_order (crmq_rpc_client_t *sales, int64_t at_us, int n)
{
    char event_id [64], order_id [64], client_id [16];
    snprintf (event_id, sizeof event_id, "bench-live-%d-%" PRId64 "-%d", (int) getpid (),
              crmq_time_now_us (), n);
    snprintf (order_id, sizeof order_id, "%s", event_id);
    snprintf (client_id, sizeof client_id, "C%08d", n % 100 + 1);
    Crmq__Decimal quantity = CRMQ__DECIMAL__INIT;
    quantity.units = 1;
    Crmq__Money price = CRMQ__MONEY__INIT;
    price.units = 10;
    Crmq__OrderLine line = CRMQ__ORDER_LINE__INIT;
    line.product_external_id = "P00001";
    line.quantity = &quantity;
    line.unit_price = &price;
    Crmq__OrderLine *lines [1] = { &line };
    Crmq__OrderPlaced order = CRMQ__ORDER_PLACED__INIT;
    order.external_id = order_id;
    order.client_external_id = client_id;
    order.placed_at_us = at_us;
    order.n_lines = 1;
    order.lines = lines;
    Crmq__ErpEvent event = CRMQ__ERP_EVENT__INIT;
    event.event_id = event_id;
    event.occurred_at_us = at_us;
    event.body_case = CRMQ__ERP_EVENT__BODY_ORDER_PLACED;
    event.order_placed = &order;
    Crmq__ErpEvent *events [1] = { &event };
    Crmq__IngestRequest request = CRMQ__INGEST_REQUEST__INIT;
    request.n_events = 1;
    request.events = events;
    uint8_t *body = NULL;
    size_t size = 0;
    int code = crmq_rpc_call (sales, "sales.Ingest", &request.base, &body, &size);
    Crmq__IngestReply *reply = code == CRMQ_OK? crmq__ingest_reply__unpack (NULL, size, body): NULL;
    free (body);
    int rc = reply && reply->rejected == 0 && reply->duplicates == 0? 0: -1;
    if (rc)
        fprintf (stderr, "%s: sales.Ingest: code %d%s%s\n", s_program, code,
                 reply && reply->n_results && reply->results [0]->error? ": ": "",
                 reply && reply->n_results && reply->results [0]->error
                 ? reply->results [0]->error->message: "");
    if (reply)
        crmq__ingest_reply__free_unpacked (reply, NULL);
    return rc;
}

//  Compares the naive rows (tbl, ord, line) with crmq's tables of the same
//  names; writes what it found into report->agreement.
static void
s_compare (s_report_t *report, PGresult *naive, const Crmq__ReportResult *result)
{
    report->agrees = true;
    size_t used = 0;
    report->agreement [0] = 0;
    int row = 0;
    while (row < PQntuples (naive)) {
        const char *name = PQgetvalue (naive, row, 0);
        int first = row;
        while (row < PQntuples (naive) && streq (PQgetvalue (naive, row, 0), name))
            row++;
        int rows = row - first;
        const Crmq__ReportTable *table = NULL;
        for (size_t t = 0; t < result->n_tables; t++)
            if (streq (result->tables [t]->name, name))
                table = result->tables [t];
        char found [256];
        if (!table) {
            snprintf (found, sizeof found, "%s: not in crmq's result", name);
            report->agrees = false;
        }
        else
        if ((size_t) rows != table->n_rows) {
            snprintf (found, sizeof found, "%s: %d rows, crmq %zu", name, rows, table->n_rows);
            report->agrees = false;
        }
        else {
            snprintf (found, sizeof found, "%s %d rows same", name, rows);
            for (int i = 0; i < rows; i++) {
                const Crmq__ReportRow *crmq_row = table->rows [i];
                zchunk_t *joined = zchunk_new (NULL, 256);
                for (size_t c = 0; c < crmq_row->n_cells; c++) {
                    if (c)
                        zchunk_extend (joined, "\x1f", 1);
                    zchunk_extend (joined, crmq_row->cells [c], strlen (crmq_row->cells [c]));
                }
                zchunk_extend (joined, "", 1);
                const char *expected = PQgetvalue (naive, first + i, 2);
                if (!streq ((const char *) zchunk_data (joined), expected)) {
                    char *theirs = strdup ((const char *) zchunk_data (joined));
                    char *ours = strdup (expected);
                    for (char *p = theirs; *p; p++) if (*p == CELL_SEPARATOR) *p = '|';
                    for (char *p = ours; *p; p++) if (*p == CELL_SEPARATOR) *p = '|';
                    snprintf (found, sizeof found, "%s row %d: naive %.100s, crmq %.100s", name,
                              i + 1, ours, theirs);
                    free (theirs);
                    free (ours);
                    report->agrees = false;
                    zchunk_destroy (&joined);
                    break;
                }
                zchunk_destroy (&joined);
            }
        }
        used += (size_t) snprintf (report->agreement + used,
                                   used < sizeof report->agreement? sizeof report->agreement - used: 0,
                                   "%s%s", used? "; ": "", found);
        if (used >= sizeof report->agreement)
            break;
    }
}

//  Runs one side `runs` + 1 times (the first not timed) into out [2].
//  Returns 0, or -1 when a run failed.
static int
s_bench_report (s_report_t *report, const s_options_t *options, crmq_pg_t *pg,
                crmq_rpc_client_t *client, crmq_redis_t *redis, const char *const *values,
                Crmq__ReportParams *params, crmq_rpc_client_t *sales)
{
    double ms [MAX_RUNS + 1];
    PGresult *naive = NULL;
    for (int run = 0; run <= options->runs; run++) {
        PQclear (naive);
        naive = s_naive (pg, report, values, &ms [run]);
        if (!naive)
            return -1;
    }
    s_summary (ms + 1, options->runs, report->naive);

    //  crmq: uncached (Redis emptied before each call), then cached
    Crmq__ReportResult *result = NULL;
    int code = CRMQ_OK;
    for (int run = 0; run <= options->runs; run++) {
        if (result)
            crmq__report_result__free_unpacked (result, NULL);
        if (s_flush (redis) != 0) {
            PQclear (naive);
            return -1;
        }
        result = s_crmq (client, params, &ms [run], &code);
        if (!result)
            break;
        if (result->cached) {
            fprintf (stderr, "%s: %s: cached after FLUSHDB\n", s_program, report->name);
            crmq__report_result__free_unpacked (result, NULL);
            PQclear (naive);
            return -1;
        }
    }
    if (!result) {
        PQclear (naive);
        const char *field = crmq_rpc_client_field (client);
        if (code == CRMQ_INVALID_ARGUMENT && field && streq (field, "report"))
            return 0;           //  a report crmq does not have (yet)
        fprintf (stderr, "%s: crmq %s: code %d: %s\n", s_program, report->name, code,
                 crmq_rpc_client_message (client));
        return -1;
    }
    report->known = true;
    s_summary (ms + 1, options->runs, report->uncached);
    s_compare (report, naive, result);
    PQclear (naive);
    for (int run = 0; run <= options->runs; run++) {
        crmq__report_result__free_unpacked (result, NULL);
        result = s_crmq (client, params, &ms [run], &code);
        if (!result || !result->cached) {
            fprintf (stderr, "%s: crmq %s: %s\n", s_program, report->name,
                     result? "not served from the cache": crmq_rpc_client_message (client));
            if (result)
                crmq__report_result__free_unpacked (result, NULL);
            return -1;
        }
    }
    crmq__report_result__free_unpacked (result, NULL);
    s_summary (ms + 1, options->runs, report->cached);
    if (!sales)
        return 0;

    //  live: an order of the day after the period before each call
    static int posted = 0;
    for (int run = 0; run <= options->runs; run++) {
        if (s_post_order (sales, params->period->to_us + 12 * 3600 * 1000000LL, posted++) != 0)
            return -1;
        result = s_crmq (client, params, &ms [run], &code);
        bool cached = result && result->cached;
        if (!cached)
            fprintf (stderr, "%s: crmq %s with orders arriving: %s\n", s_program, report->name,
                     result? "not served from the cache": crmq_rpc_client_message (client));
        if (result)
            crmq__report_result__free_unpacked (result, NULL);
        if (!cached)
            return -1;
    }
    s_summary (ms + 1, options->runs, report->live);
    return 0;
}

//  "12345.6" or "n/a" into buf.
static const char *
s_ms (double ms, char *buf, size_t size)
{
    if (ms < 0)
        snprintf (buf, size, "n/a");
    else
        snprintf (buf, size, "%.1f", ms);
    return buf;
}

static const char *
s_ratio (double a, double b, char *buf, size_t size)
{
    if (a < 0 || b <= 0)
        snprintf (buf, size, "n/a");
    else
        snprintf (buf, size, "%.1f", a / b);
    return buf;
}

//  "p50 (min)" of a side into buf (64 bytes).
static const char *
s_cell (const double figures [2], char *buf)
{
    char p50 [24], min [24];
    snprintf (buf, 64, "%s (%s)", s_ms (figures [0], p50, sizeof p50),
              s_ms (figures [1], min, sizeof min));
    return buf;
}

static void
s_print_row (const char *name, const double naive [2], const double uncached [2],
             const double cached [2], const double live [2])
{
    char a [64], b [64], c [64], f [64], d [24], e [24], g [24];
    printf ("%-8s | %21s | %21s | %19s | %19s | %14s | %12s | %10s\n", name, s_cell (naive, a),
            s_cell (uncached, b), s_cell (cached, c), s_cell (live, f),
            s_ratio (naive [0], uncached [0], d, sizeof d),
            s_ratio (naive [0], cached [0], e, sizeof e), s_ratio (naive [0], live [0], g, sizeof g));
}

static void
s_print (s_report_t *reports, int count, const s_options_t *options)
{
    printf ("\n%d timed runs each after one to warm up; ms as p50 (min)\n", options->runs);
    printf ("%-8s | %21s | %21s | %19s | %19s | %14s | %12s | %10s\n", "report",
            "naive p50 (min)", "crmq uncached p50", "crmq cached p50", "cached, live p50",
            "naive/uncached", "naive/cached", "naive/live");
    double total [4][2] = { { 0 } };
    int totalled = 0;
    for (int i = 0; i < count; i++) {
        s_report_t *r = &reports [i];
        s_print_row (r->name, r->naive, r->uncached, r->cached, r->live);
        if (r->known && r->naive [0] >= 0) {
            for (int k = 0; k < 2; k++) {
                total [0][k] += r->naive [k];
                total [1][k] += r->uncached [k];
                total [2][k] += r->cached [k];
                total [3][k] = total [3][k] < 0 || r->live [k] < 0? -1: total [3][k] + r->live [k];
            }
            totalled++;
        }
    }
    if (totalled) {
        char name [24];
        snprintf (name, sizeof name, "total/%d", totalled);
        s_print_row (name, total [0], total [1], total [2], total [3]);
    }
    printf ("\nnaive and crmq tables:\n");
    for (int i = 0; i < count; i++)
        printf ("  %-6s %s\n", reports [i].name,
                reports [i].known? reports [i].agreement: "n/a: crmq has no such report");
}

int
main (int argc, char **argv)
{
    s_options_t options = { "2025-01-01", "2026-01-01", 5, 1000, 180, "abc,xyz,rfm,base",
                            "tests/bench/naive_reports.sql" };
    static const struct option longs [] = {
        { "from", required_argument, NULL, 'f' },
        { "to", required_argument, NULL, 't' },
        { "runs", required_argument, NULL, 'r' },
        { "limit", required_argument, NULL, 'l' },
        { "lost-after", required_argument, NULL, 'a' },
        { "reports", required_argument, NULL, 'p' },
        { "sql", required_argument, NULL, 's' },
        { NULL, 0, NULL, 0 }
    };
    int option;
    while ((option = getopt_long (argc, argv, "", longs, NULL)) != -1) {
        switch (option) {
            case 'f': options.from = optarg; break;
            case 't': options.to = optarg; break;
            case 'r': options.runs = atoi (optarg); break;
            case 'l': options.limit = atoi (optarg); break;
            case 'a': options.lost_after = atoi (optarg); break;
            case 'p': options.reports = optarg; break;
            case 's': options.sql_path = optarg; break;
            default:
                fprintf (stderr, "usage: %s [--from DATE] [--to DATE] [--runs N] [--limit N]"
                         " [--lost-after DAYS] [--reports a,b] [--sql FILE]\n", s_program);
                return 2;
        }
    }
    if (options.runs < 1 || options.runs > MAX_RUNS || options.limit < 1) {
        fprintf (stderr, "%s: --runs 1..%d, --limit 1 or more\n", s_program, MAX_RUNS);
        return 2;
    }
    crmq_log_init (s_program, "error");
    const char *pg_url = getenv ("CRMQ_PG_URL");
    const char *redis_url = getenv ("CRMQ_REDIS_URL");
    const char *endpoint = getenv ("CRMQ_ANALYTICS_ENDPOINT");
    const char *zone = getenv ("CRMQ_TIME_ZONE")? getenv ("CRMQ_TIME_ZONE"): "UTC";
    if (!pg_url || !redis_url || !endpoint) {
        fprintf (stderr, "%s: needs CRMQ_PG_URL, CRMQ_REDIS_URL, CRMQ_ANALYTICS_ENDPOINT\n",
                 s_program);
        return 2;
    }
    char *text = s_read_file (options.sql_path);
    if (!text)
        return 2;
    s_report_t reports [MAX_REPORTS];
    int count = 0;
    char *names = strdup (options.reports), *saved = NULL;
    for (char *name = strtok_r (names, ",", &saved); name && count < MAX_REPORTS;
         name = strtok_r (NULL, ",", &saved)) {
        s_report_t *report = &reports [count];
        memset (report, 0, sizeof *report);
        snprintf (report->name, sizeof report->name, "%s", name);
        report->sql = s_section (text, name);
        if (!report->sql) {
            fprintf (stderr, "%s: no \"-- report: %s\" in %s\n", s_program, name,
                     options.sql_path);
            return 2;
        }
        report->nparams = s_params_used (report->sql);
        if (report->nparams > 5) {
            fprintf (stderr, "%s: %s: parameters are $1..$5\n", s_program, name);
            return 2;
        }
        for (int k = 0; k < 2; k++)
            report->naive [k] = report->uncached [k] = report->cached [k] = report->live [k] = -1;
        count++;
    }
    free (names);
    free (text);

    crmq_pg_t *pg = crmq_pg_new (pg_url, s_program);
    crmq_redis_t *redis = crmq_redis_new (redis_url);
    crmq_rpc_client_t *client = crmq_rpc_client_new (endpoint, RPC_TIMEOUT_MS, 0);
    const char *sales_endpoint = getenv ("CRMQ_SALES_ENDPOINT");
    crmq_rpc_client_t *sales = sales_endpoint
                             ? crmq_rpc_client_new (sales_endpoint, RPC_TIMEOUT_MS, 0): NULL;
    int64_t from_us, to_us;
    if (!pg || !redis || !client || s_instant (pg, options.from, zone, &from_us) != 0
    ||  s_instant (pg, options.to, zone, &to_us) != 0)
        return 2;
    char limit [16], lost_after [16];
    snprintf (limit, sizeof limit, "%d", options.limit);
    snprintf (lost_after, sizeof lost_after, "%d", options.lost_after);
    const char *values [5] = { options.from, options.to, zone, limit, lost_after };
    printf ("period [%s, %s) in %s, report date %s; client tables of %d rows\n", options.from,
            options.to, zone, options.to, options.limit);

    int failures = 0;
    for (int i = 0; i < count; i++) {
        s_report_t *report = &reports [i];
        Crmq__Period period = CRMQ__PERIOD__INIT;
        period.from_us = from_us;
        period.to_us = to_us;
        Crmq__ReportParams params = CRMQ__REPORT_PARAMS__INIT;
        params.report = report->name;
        params.period = &period;
        params.limit = options.limit;
        params.lost_after_days = options.lost_after;
        printf ("%s ...\n", report->name);
        fflush (stdout);
        if (s_bench_report (report, &options, pg, client, redis, values, &params, sales) != 0)
            failures++;
        else
        if (report->known && !report->agrees)
            failures++;
    }
    s_print (reports, count, &options);
    for (int i = 0; i < count; i++)
        free (reports [i].sql);
    crmq_rpc_client_destroy (&client);
    crmq_rpc_client_destroy (&sales);
    crmq_redis_destroy (&redis);
    crmq_pg_destroy (&pg);
    return failures? 1: 0;
}

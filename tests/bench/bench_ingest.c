/*  bench_ingest - how fast crmq-sales ingests ERP orders, against a raw COPY.

    bench_ingest [--lines N] [--clients N] [--products N] [--groups N]
                 [--managers N] [--batch N] [--window N] [--seed N] [--tag TEXT]

    Generates order lines the way an ERP would send them (deterministic for a
    seed): master data first (managers, 10,000 clients, 5,000 products in
    50 groups),
    then orders of 1 to 20 lines over three years, until --lines lines
    (1,000,000 by default).  Publishes them to crmq-sales through
    crmq_publisher (--batch events a request, --window requests in flight)
    and times the orders from the first send to the last acknowledgement.
    Checks every line is stored once.  Then, in the same run, generates the
    same line rows again and writes them with one raw COPY (libpq
    PQputCopyData) into a fresh table of the shape of sales.order_lines (its
    columns, checks, primary key and indexes), timed from BEGIN to COMMIT.
    A thread samples crmq-sales' VmRSS every 50 ms throughout.  Prints both
    rates and, last, their ratio.

    Environment: CRMQ_PG_URL, CRMQ_SALES_ENDPOINT, CRMQ_STACK_DIR (for
    DIR/sales.pid), CRMQ_MAX_MESSAGE_BYTES (16 MiB).  Exit 0 when every
    line was acknowledged and stored exactly once, 1 when not, 2 on a usage
    or set-up error.  Speed decides nothing about the exit code.            */
#include "crmq.h"
#include "bench_support.h"
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>

#define MAX_LINES_PER_ORDER  20
#define EPOCH_2022_US        1640995200000000LL     //  2022-01-01T00:00:00Z
#define THREE_YEARS_US       (1096LL * 86400 * 1000000)
#define RSS_LIMIT_KIB        (64 * 1024)
#define RSS_PERIOD_MS        50
#define MASTER_BATCH         200        //  master data events a request

typedef struct {
    long lines;
    int clients;
    int products;
    int groups;                     //  product groups the products fall in
    int managers;
    int batch;
    int window;
    uint64_t seed;
    char tag [64];
} s_options_t;

//  --------------------------------------------------------------------------
//  The generator: a deterministic stream of orders

typedef struct {
    uint64_t state;
} s_rng_t;

static uint64_t
s_next (s_rng_t *rng)
{
    uint64_t x = rng->state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng->state = x;
}

//  Uniform in [low, high].
static int64_t
s_between (s_rng_t *rng, int64_t low, int64_t high)
{
    return low + (int64_t) (s_next (rng) % (uint64_t) (high - low + 1));
}

typedef struct {
    int product;                    //  1 .. products
    int64_t half_units;             //  quantity x 2 (quantities are whole or .5)
    int64_t price_cents;
    int discount_pct;               //  0, 5, 10 or 15
    int64_t amount_cents;           //  round_half_up (q x p x (1 - d), 2)
} s_line_t;

typedef struct {
    long number;                    //  1, 2, ... within the run
    int client;                     //  1 .. clients
    int manager;                    //  the client's
    int64_t placed_at_us;
    int n_lines;
    s_line_t lines [MAX_LINES_PER_ORDER];
} s_order_t;

//  The list price of a product, in cents: 1.00 to 999.99, fixed per product.
static int64_t
s_product_price (int product)
{
    return 100 + (int64_t) ((uint64_t) product * 2654435761u % 99900);
}

static int
s_client_manager (const s_options_t *options, int client)
{
    return 1 + (client - 1) % options->managers;
}

//  The next order of the stream.
static void
s_order_next (s_rng_t *rng, const s_options_t *options, long number, s_order_t *order)
{
    static const int discounts [8] = { 0, 0, 0, 0, 0, 5, 10, 15 };
    order->number = number;
    order->client = (int) s_between (rng, 1, options->clients);
    order->manager = s_client_manager (options, order->client);
    //  whole seconds, so text and wire agree without rounding
    order->placed_at_us = EPOCH_2022_US + s_between (rng, 0, THREE_YEARS_US / 1000000 - 1) * 1000000;
    order->n_lines = (int) s_between (rng, 1, MAX_LINES_PER_ORDER);
    for (int j = 0; j < order->n_lines; j++) {
        s_line_t *line = &order->lines [j];
        line->product = (int) s_between (rng, 1, options->products);
        line->half_units = s_between (rng, 1, 10) == 1? s_between (rng, 1, 40) * 2 + 1
                                                      : s_between (rng, 1, 50) * 2;
        line->price_cents = s_product_price (line->product);
        line->discount_pct = discounts [s_between (rng, 0, 7)];
        //  q x p x (1 - d) in cents = half_units x cents x (100 - pct) / 200
        int64_t scaled = line->half_units * line->price_cents * (100 - line->discount_pct);
        line->amount_cents = (scaled + 100) / 200;
    }
}

//  "12" or "12.5" for a quantity of `half_units` halves.
static void
s_quantity_text (int64_t half_units, char *out, size_t size)
{
    snprintf (out, size, half_units % 2? "%lld.5": "%lld", (long long) (half_units / 2));
}

static void
s_cents_text (int64_t cents, char *out, size_t size)
{
    snprintf (out, size, "%lld.%02lld", (long long) (cents / 100), (long long) (cents % 100));
}

//  --------------------------------------------------------------------------
//  crmq-sales' resident memory

typedef struct {
    pid_t pid;
    atomic_bool stop;
    atomic_long max_kib;
    atomic_long samples;
    atomic_long unreadable;         //  samples that found no process
} s_rss_t;

static long
s_vmrss_kib (pid_t pid)
{
    char path [64], line [256];
    snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    long kib = -1;
    while (fgets (line, sizeof line, file))
        if (strncmp (line, "VmRSS:", 6) == 0) {
            kib = strtol (line + 6, NULL, 10);
            break;
        }
    fclose (file);
    return kib;
}

static void *
s_rss_sampler (void *arg)
{
    s_rss_t *rss = (s_rss_t *) arg;
    while (!atomic_load (&rss->stop)) {
        long kib = s_vmrss_kib (rss->pid);
        if (kib < 0)
            atomic_fetch_add (&rss->unreadable, 1);
        else
        if (kib > atomic_load (&rss->max_kib))
            atomic_store (&rss->max_kib, kib);
        atomic_fetch_add (&rss->samples, 1);
        usleep (RSS_PERIOD_MS * 1000);
    }
    return NULL;
}

static pid_t
s_sales_pid (void)
{
    const char *dir = getenv ("CRMQ_STACK_DIR");
    if (!dir)
        return 0;
    char path [600];
    snprintf (path, sizeof path, "%s/sales.pid", dir);
    FILE *file = fopen (path, "r");
    long pid = 0;
    if (file) {
        if (fscanf (file, "%ld", &pid) != 1)
            pid = 0;
        fclose (file);
    }
    return (pid_t) pid;
}

//  --------------------------------------------------------------------------
//  Publishing through crmq-sales

static double
s_seconds (void)
{
    return (double) zclock_usecs () / 1e6;
}

//  Managers, clients and products, acknowledged before any order.
static int
s_publish_master (crmq_publisher_t *publisher, const s_options_t *options)
{
    char event_id [128], external_id [32], name [64], group [32];
    int rc = 0;
    for (int m = 1; m <= options->managers && rc == 0; m++) {
        Crmq__ErpEvent event = CRMQ__ERP_EVENT__INIT;
        Crmq__Manager manager = CRMQ__MANAGER__INIT;
        snprintf (event_id, sizeof event_id, "bench:%s:manager:%d", options->tag, m);
        snprintf (external_id, sizeof external_id, "BM%d", m);
        snprintf (name, sizeof name, "Manager %d", m);
        manager.external_id = external_id;
        manager.name = name;
        manager.active = true;
        event.event_id = event_id;
        event.body_case = CRMQ__ERP_EVENT__BODY_MANAGER;
        event.manager = &manager;
        rc = bench_add ("bench_ingest", publisher, &event);
    }
    char manager_id [32];
    for (int c = 1; c <= options->clients && rc == 0; c++) {
        Crmq__ErpEvent event = CRMQ__ERP_EVENT__INIT;
        Crmq__Client client = CRMQ__CLIENT__INIT;
        snprintf (event_id, sizeof event_id, "bench:%s:client:%d", options->tag, c);
        snprintf (external_id, sizeof external_id, "BC%d", c);
        snprintf (name, sizeof name, "Client %d Ltd", c);
        snprintf (manager_id, sizeof manager_id, "BM%d", s_client_manager (options, c));
        client.external_id = external_id;
        client.name = name;
        client.manager_external_id = manager_id;
        event.event_id = event_id;
        event.body_case = CRMQ__ERP_EVENT__BODY_CLIENT;
        event.client = &client;
        rc = bench_add ("bench_ingest", publisher, &event);
    }
    for (int p = 1; p <= options->products && rc == 0; p++) {
        Crmq__ErpEvent event = CRMQ__ERP_EVENT__INIT;
        Crmq__Product product = CRMQ__PRODUCT__INIT;
        Crmq__Money price = CRMQ__MONEY__INIT;
        snprintf (event_id, sizeof event_id, "bench:%s:product:%d", options->tag, p);
        snprintf (external_id, sizeof external_id, "BP%d", p);
        snprintf (name, sizeof name, "Product %d", p);
        snprintf (group, sizeof group, "BG%d", 1 + p % options->groups);
        int64_t cents = s_product_price (p);
        price.units = cents / 100;
        price.nanos = (int32_t) (cents % 100) * 10000000;
        product.external_id = external_id;
        product.name = name;
        product.group_external_id = group;
        product.list_price = &price;
        event.event_id = event_id;
        event.body_case = CRMQ__ERP_EVENT__BODY_PRODUCT;
        event.product = &product;
        rc = bench_add ("bench_ingest", publisher, &event);
    }
    return rc == 0? bench_barrier ("bench_ingest", publisher): -1;
}

//  The orders of the stream until options->lines lines.  Sets *orders_p,
//  *lines_p and *amount_p (cents) to what was generated.
static int
s_publish_orders (crmq_publisher_t *publisher, const s_options_t *options, long *orders_p,
                  long *lines_p, int64_t *amount_p)
{
    s_rng_t rng = { options->seed };
    s_order_t order;
    Crmq__OrderLine lines [MAX_LINES_PER_ORDER];
    Crmq__OrderLine *pointers [MAX_LINES_PER_ORDER];
    Crmq__Decimal quantities [MAX_LINES_PER_ORDER], discounts [MAX_LINES_PER_ORDER];
    Crmq__Money prices [MAX_LINES_PER_ORDER];
    char products [MAX_LINES_PER_ORDER][16];
    char event_id [160], external_id [128], client [16], manager [16];
    long orders = 0, total = 0;
    int64_t amount = 0;
    int rc = 0;
    while (total < options->lines && rc == 0) {
        s_order_next (&rng, options, ++orders, &order);
        Crmq__ErpEvent event = CRMQ__ERP_EVENT__INIT;
        Crmq__OrderPlaced placed = CRMQ__ORDER_PLACED__INIT;
        snprintf (event_id, sizeof event_id, "bench:%s:order:%ld", options->tag, orders);
        snprintf (external_id, sizeof external_id, "%s-O%ld", options->tag, orders);
        snprintf (client, sizeof client, "BC%d", order.client);
        snprintf (manager, sizeof manager, "BM%d", order.manager);
        for (int j = 0; j < order.n_lines; j++) {
            const s_line_t *line = &order.lines [j];
            crmq__order_line__init (&lines [j]);
            crmq__decimal__init (&quantities [j]);
            crmq__decimal__init (&discounts [j]);
            crmq__money__init (&prices [j]);
            snprintf (products [j], sizeof products [j], "BP%d", line->product);
            quantities [j].units = line->half_units / 2;
            quantities [j].nanos = line->half_units % 2? 500000000: 0;
            prices [j].units = line->price_cents / 100;
            prices [j].nanos = (int32_t) (line->price_cents % 100) * 10000000;
            discounts [j].nanos = line->discount_pct * 10000000;
            lines [j].product_external_id = products [j];
            lines [j].quantity = &quantities [j];
            lines [j].unit_price = &prices [j];
            lines [j].discount = line->discount_pct? &discounts [j]: NULL;
            pointers [j] = &lines [j];
            amount += line->amount_cents;
        }
        placed.external_id = external_id;
        placed.client_external_id = client;
        placed.manager_external_id = manager;
        placed.placed_at_us = order.placed_at_us;
        placed.n_lines = (size_t) order.n_lines;
        placed.lines = pointers;
        event.event_id = event_id;
        event.occurred_at_us = order.placed_at_us;
        event.body_case = CRMQ__ERP_EVENT__BODY_ORDER_PLACED;
        event.order_placed = &placed;
        rc = bench_add ("bench_ingest", publisher, &event);
        total += order.n_lines;
    }
    *orders_p = orders;
    *lines_p = total;
    *amount_p = amount;
    return rc == 0? bench_barrier ("bench_ingest", publisher): -1;
}

//  --------------------------------------------------------------------------
//  Checks and the raw COPY

//  One row of a query with one text parameter, as text; NULL on failure.
static char *
s_query (crmq_pg_t *pg, const char *sql, const char *param)
{
    const char *values [1] = { param };
    PGresult *result = crmq_pg_exec (pg, sql, param? 1: 0, param? values: NULL);
    if (!result) {
        fprintf (stderr, "bench_ingest: %s\n", crmq_pg_error (pg));
        return NULL;
    }
    size_t size = 0;
    for (int c = 0; c < PQnfields (result); c++)
        size += strlen (PQgetvalue (result, 0, c)) + 1;
    char *text = (char *) zmalloc (size + 1);
    for (int c = 0; c < PQnfields (result); c++) {
        if (c)
            strcat (text, " ");
        strcat (text, PQgetvalue (result, 0, c));
    }
    PQclear (result);
    return text;
}

//  Are the run's orders, lines, events and amounts in the database exactly
//  as generated?  Prints what it finds.  Returns 0 or -1.
static int
s_check_stored (crmq_pg_t *pg, const s_options_t *options, long orders, long lines,
                int64_t amount_cents)
{
    char pattern [128], expected [200], amount [48];
    snprintf (pattern, sizeof pattern, "%s-O%%", options->tag);
    char *stored = s_query (pg,
        "SELECT count(DISTINCT o.id), count(*), coalesce (sum (l.amount), 0)"
        "  FROM sales.orders o JOIN sales.order_lines l ON l.order_id = o.id"
        " WHERE o.external_id LIKE $1", pattern);
    snprintf (pattern, sizeof pattern, "bench:%s:order:%%", options->tag);
    char *events = s_query (pg, "SELECT count(*) FROM sales.erp_events WHERE event_id LIKE $1",
                            pattern);
    s_cents_text (amount_cents, amount, sizeof amount);
    snprintf (expected, sizeof expected, "%ld %ld %s", orders, lines, amount);
    bool ok = stored && events && streq (stored, expected) && atol (events) == orders;
    printf ("stored: orders lines amount = %s (generated %s), order events %s: %s\n",
            stored? stored: "?", expected, events? events: "?", ok? "each once": "MISMATCH");
    free (stored);
    free (events);
    return ok? 0: -1;
}

static const char *SQL_RAW_TABLE [] = {
    "CREATE SCHEMA IF NOT EXISTS bench",
    "DROP TABLE IF EXISTS bench.raw_order_lines",
    //  columns, NOT NULLs, checks, primary key and indexes of sales.order_lines
    //  (foreign keys are not copied by LIKE)
    "CREATE TABLE bench.raw_order_lines (LIKE sales.order_lines INCLUDING ALL)",
    NULL
};

//  Writes the same line rows with one COPY into a fresh table.  Returns the
//  seconds from BEGIN to COMMIT, or -1.
static double
s_raw_copy (crmq_pg_t *pg, const s_options_t *options, long *lines_p)
{
    for (int i = 0; SQL_RAW_TABLE [i]; i++)
        if (crmq_pg_command (pg, SQL_RAW_TABLE [i], 0, NULL) != 0) {
            fprintf (stderr, "bench_ingest: %s: %s\n", SQL_RAW_TABLE [i], crmq_pg_error (pg));
            return -1;
        }
    PGconn *conn = crmq_pg_conn (pg);
    double started = s_seconds ();
    if (crmq_pg_command (pg, "BEGIN", 0, NULL) != 0)
        return -1;
    PGresult *result = PQexec (conn, "COPY bench.raw_order_lines (order_id, line_no, client_id,"
                                     " product_id, quantity, unit_price, discount, amount)"
                                     " FROM STDIN");
    bool ok = PQresultStatus (result) == PGRES_COPY_IN;
    PQclear (result);
    s_rng_t rng = { options->seed };
    s_order_t order;
    long total = 0, orders = 0;
    char buffer [65536];
    size_t used = 0;
    while (ok && total < options->lines) {
        s_order_next (&rng, options, ++orders, &order);
        for (int j = 0; j < order.n_lines; j++) {
            const s_line_t *line = &order.lines [j];
            char quantity [32], price [32], amount [32];
            s_quantity_text (line->half_units, quantity, sizeof quantity);
            s_cents_text (line->price_cents, price, sizeof price);
            s_cents_text (line->amount_cents, amount, sizeof amount);
            used += (size_t) snprintf (buffer + used, sizeof buffer - used,
                                       "%ld\t%d\t%d\t%d\t%s\t%s\t0.%02d\t%s\n", order.number, j + 1,
                                       order.client, line->product, quantity, price,
                                       line->discount_pct, amount);
            if (used > sizeof buffer - 256) {
                ok = PQputCopyData (conn, buffer, (int) used) == 1;
                used = 0;
            }
        }
        total += order.n_lines;
    }
    if (ok && used)
        ok = PQputCopyData (conn, buffer, (int) used) == 1;
    ok = PQputCopyEnd (conn, ok? NULL: "generation failed") == 1 && ok;
    while ((result = PQgetResult (conn))) {
        if (PQresultStatus (result) != PGRES_COMMAND_OK) {
            fprintf (stderr, "bench_ingest: COPY: %s", PQresultErrorMessage (result));
            ok = false;
        }
        PQclear (result);
    }
    if (!ok || crmq_pg_command (pg, "COMMIT", 0, NULL) != 0) {
        fprintf (stderr, "bench_ingest: raw COPY failed: %s\n", crmq_pg_error (pg));
        crmq_pg_command (pg, "ROLLBACK", 0, NULL);
        return -1;
    }
    *lines_p = total;
    return s_seconds () - started;
}

//  --------------------------------------------------------------------------

//  1234567 as "1,234,567".
static const char *
s_thousands (double value, char *out, size_t size)
{
    char digits [32];
    snprintf (digits, sizeof digits, "%.0f", value);
    size_t length = strlen (digits), o = 0;
    for (size_t i = 0; i < length && o + 2 < size; i++) {
        if (i && (length - i) % 3 == 0)
            out [o++] = ',';
        out [o++] = digits [i];
    }
    out [o] = 0;
    return out;
}

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: bench_ingest [--lines N] [--clients N] [--products N] [--groups N]\n"
                  "                    [--managers N] [--batch N] [--window N] [--seed N] [--tag TEXT]\n");
}

static int
s_parse (int argc, char **argv, s_options_t *options)
{
    static const struct option long_options [] = {
        { "lines", required_argument, NULL, 'l' },
        { "clients", required_argument, NULL, 'c' },
        { "products", required_argument, NULL, 'p' },
        { "groups", required_argument, NULL, 'g' },
        { "managers", required_argument, NULL, 'm' },
        { "batch", required_argument, NULL, 'b' },
        { "window", required_argument, NULL, 'w' },
        { "seed", required_argument, NULL, 's' },
        { "tag", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *window = getenv ("CRMQ_INGEST_WINDOW");
    *options = (s_options_t) { .lines = 1000000, .clients = 10000, .products = 5000,
                               .groups = 50, .managers = 25, .batch = 1000,
                               .window = window? atoi (window): CRMQ_PUBLISHER_WINDOW,
                               .seed = 20240601 };
    snprintf (options->tag, sizeof options->tag, "r%lld", (long long) time (NULL));
    int option;
    while ((option = getopt_long (argc, argv, "", long_options, NULL)) != -1) {
        long value = optarg? atol (optarg): 0;
        switch (option) {
            case 'l': options->lines = value; break;
            case 'c': options->clients = (int) value; break;
            case 'p': options->products = (int) value; break;
            case 'g': options->groups = (int) value; break;
            case 'm': options->managers = (int) value; break;
            case 'b': options->batch = (int) value; break;
            case 'w': options->window = (int) value; break;
            case 's': options->seed = (uint64_t) strtoull (optarg, NULL, 10); break;
            case 't': snprintf (options->tag, sizeof options->tag, "%s", optarg); break;
            case 'h': s_usage (stdout); exit (0);
            default: s_usage (stderr); return -1;
        }
    }
    if (optind != argc || options->lines < 1 || options->clients < 1 || options->products < 1
    ||  options->groups < 1
    ||  options->managers < 1 || options->batch < 1 || options->window < 1
    ||  options->window > CRMQ_PUBLISHER_MAX_WINDOW || options->seed == 0) {
        s_usage (stderr);
        return -1;
    }
    return 0;
}

int
main (int argc, char **argv)
{
    s_options_t options;
    if (s_parse (argc, argv, &options) != 0)
        return 2;
    crmq_log_init ("bench_ingest", "warn");
    const char *pg_url = getenv ("CRMQ_PG_URL");
    const char *endpoint = getenv ("CRMQ_SALES_ENDPOINT");
    const char *max_bytes = getenv ("CRMQ_MAX_MESSAGE_BYTES");
    if (!pg_url || !endpoint) {
        fprintf (stderr, "bench_ingest: CRMQ_PG_URL and CRMQ_SALES_ENDPOINT must be set "
                         "(run it through tests/bench/ingest.sh)\n");
        return 2;
    }
    crmq_pg_t *pg = crmq_pg_new (pg_url, "bench_ingest");
    char *sync = pg? s_query (pg, "SELECT current_setting ('synchronous_commit'),"
                                  " current_setting ('fsync')", NULL): NULL;
    if (!sync)
        return 2;
    printf ("PostgreSQL synchronous_commit fsync: %s\n", sync);
    bool durable = strncmp (sync, "off", 3) != 0 && strstr (sync, " on");
    free (sync);
    if (!durable) {
        fprintf (stderr, "bench_ingest: synchronous_commit and fsync must be on\n");
        return 2;
    }

    s_rss_t rss = { .pid = s_sales_pid () };
    pthread_t sampler;
    if (rss.pid > 0)
        pthread_create (&sampler, NULL, s_rss_sampler, &rss);
    else
        printf ("crmq-sales pid unknown (CRMQ_STACK_DIR): its memory is not sampled\n");

    //  Master data in batches of MASTER_BATCH: crmq-sales hands each batch's
    //  clients to crmq-contacts in one call that must finish within its
    //  CRMQ_CONTACTS_TIMEOUT_MS (3 s), even on a busy machine; not timed
    size_t max_request = max_bytes? (size_t) atol (max_bytes): 16777216;
    bench_acks_t acks = { 0 };
    crmq_publisher_t *master = crmq_publisher_new (endpoint, MASTER_BATCH, max_request);
    crmq_publisher_t *publisher = crmq_publisher_new (endpoint, (size_t) options.batch, max_request);
    if (!master || !publisher)
        return 2;
    crmq_publisher_set_timeout (master, 120000, 10);
    crmq_publisher_set_ack_fn (master, bench_on_ack, &acks);
    crmq_publisher_set_window (publisher, (size_t) options.window);
    crmq_publisher_set_timeout (publisher, 120000, 3);
    crmq_publisher_set_ack_fn (publisher, bench_on_ack, &acks);
    printf ("run %s: seed %llu, %d managers, %d clients, %d products in %d groups; batches of %d"
            " events, %d in flight\n", options.tag, (unsigned long long) options.seed,
            options.managers, options.clients, options.products, options.groups, options.batch,
            options.window);
    fflush (stdout);

    int exit_code = 1;
    char a [32], b [32], c [32];
    double started = s_seconds ();
    int master_rc = s_publish_master (master, &options);
    crmq_publisher_destroy (&master);
    if (master_rc != 0)
        goto done;
    printf ("master data: %ld events in %.2f s\n", acks.events, s_seconds () - started);
    fflush (stdout);
    acks = (bench_acks_t) { 0 };
    long orders = 0, lines = 0;
    int64_t amount = 0;
    size_t batches_before = crmq_publisher_batches (publisher);
    started = s_seconds ();
    if (s_publish_orders (publisher, &options, &orders, &lines, &amount) != 0)
        goto done;
    double ours = s_seconds () - started;
    printf ("crmq-sales: %s lines in %s orders (%zu batches, %zu resent) in %.2f s: "
            "%s lines/s end to end\n", s_thousands ((double) lines, a, sizeof a),
            s_thousands ((double) orders, b, sizeof b),
            crmq_publisher_batches (publisher) - batches_before, crmq_publisher_resends (publisher),
            ours, s_thousands (lines / ours, c, sizeof c));
    bool correct = acks.events == orders && acks.rejected == 0;
    printf ("acknowledged: %ld of %ld order events, %ld rejected, %ld duplicates%s%s\n",
            acks.events, orders, acks.rejected, acks.duplicates,
            acks.rejected? "; first: ": "", acks.first_rejection);
    if (s_check_stored (pg, &options, orders, lines, amount) != 0)
        correct = false;
    fflush (stdout);

    long raw_lines = 0;
    double raw = s_raw_copy (pg, &options, &raw_lines);
    if (raw < 0)
        goto done;
    printf ("raw COPY: %s lines into bench.raw_order_lines in %.2f s: %s lines/s\n",
            s_thousands ((double) raw_lines, a, sizeof a), raw,
            s_thousands (raw_lines / raw, b, sizeof b));
    if (rss.pid > 0) {
        atomic_store (&rss.stop, true);
        pthread_join (sampler, NULL);
        rss.pid = 0;
        long max_kib = atomic_load (&rss.max_kib);
        printf ("crmq-sales max RSS: %.1f MiB (%ld samples every %d ms%s): %s 64 MiB\n",
                max_kib / 1024.0, atomic_load (&rss.samples), RSS_PERIOD_MS,
                atomic_load (&rss.unreadable)? ", some found no process": "",
                max_kib < RSS_LIMIT_KIB? "under": "NOT under");
    }
    printf ("ratio (crmq-sales / raw COPY): %.2f\n", (lines / ours) / (raw_lines / raw));
    exit_code = correct? 0: 1;
done:
    if (rss.pid > 0) {
        atomic_store (&rss.stop, true);
        pthread_join (sampler, NULL);
    }
    crmq_publisher_destroy (&master);
    crmq_publisher_destroy (&publisher);
    crmq_pg_destroy (&pg);
    return exit_code;
}

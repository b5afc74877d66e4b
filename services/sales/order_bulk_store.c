/*  order_bulk_store.c - a run of OrderPlaced events in bulk; see
    order_bulk_store.h.  */
#include "order_bulk_store.h"
#include "erp_event_store.h"
#include "order_store.h"
#include "sales_events.h"
#include <openssl/sha.h>

#define S_BILLION  1000000000ULL

//  The run's references, each kind in one query.  A merged client's orders
//  go to its survivor.
static const char *SQL_CLIENTS =
    "SELECT external_id, coalesce (merged_into, id)"
    "  FROM sales.clients WHERE external_id = ANY ($1::text[])";

static const char *SQL_MANAGERS =
    "SELECT external_id, id FROM sales.managers WHERE external_id = ANY ($1::text[])";

//  A product's id, group (0 = none) and standard cost (NULL = none): a line
//  keeps the group and cost its product has when the line is written.
static const char *SQL_PRODUCTS =
    "SELECT external_id, id, coalesce (group_id, 0), standard_cost"
    "  FROM sales.products WHERE external_id = ANY ($1::text[])";

//  Order numbers placed before, and by which event.
static const char *SQL_ORDERS =
    "SELECT external_id, event_id FROM sales.orders WHERE external_id = ANY ($1::text[])";

static const char *SQL_ORDER_IDS =
    "SELECT nextval (pg_get_serial_sequence ('sales.orders', 'id'))"
    "  FROM generate_series (1, $1::int)";

static const char *COPY_EVENTS =
    "COPY sales.erp_events (event_id, kind, body_sha256, occurred_at) FROM STDIN";

static const char *COPY_ORDERS =
    "COPY sales.orders (id, external_id, client_id, manager_id, placed_at, required_at,"
    " currency, currency_rate, amount, event_id) FROM STDIN";

static const char *COPY_LINES =
    "COPY sales.order_lines (order_id, line_no, client_id, product_id, quantity, unit_price,"
    " discount, cost, product_group_id, amount) FROM STDIN";

//  --------------------------------------------------------------------------
//  Amounts, exactly

//  out = a x b, numbers as base-1e9 limbs, least significant first; out has
//  na + nb limbs.
static void
s_multiply (const uint64_t *a, int na, const uint64_t *b, int nb, uint64_t *out)
{
    memset (out, 0, (size_t) (na + nb) * sizeof (uint64_t));
    for (int i = 0; i < na; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < nb; j++) {
            uint64_t current = out [i + j] + a [i] * b [j] + carry;
            out [i + j] = current % S_BILLION;
            carry = current / S_BILLION;
        }
        out [i + nb] += carry;
    }
}

//  round_half_up (quantity x price x (1 - discount), 2) in cents, for
//  non-negative decimals of 9 fractional digits within the ERP limits
//  (quantity < 1e9, price < 1e12, 0 <= discount <= 1).  No discount = 0.
static unsigned __int128
s_line_cents (const Crmq__Decimal *quantity, const Crmq__Money *price, const Crmq__Decimal *discount)
{
    uint64_t q [2] = { (uint64_t) quantity->nanos, (uint64_t) quantity->units };
    uint64_t p [3] = { (uint64_t) price->nanos, (uint64_t) price->units % S_BILLION,
                       (uint64_t) price->units / S_BILLION };
    uint64_t off = discount? (uint64_t) discount->units * S_BILLION + (uint64_t) discount->nanos: 0;
    uint64_t k [2] = { (S_BILLION - off) % S_BILLION, (S_BILLION - off) / S_BILLION };
    uint64_t qp [5], product [7];
    s_multiply (q, 2, p, 3, qp);
    s_multiply (qp, 5, k, 2, product);
    //  product is the amount in 1e-27; cents are product / 1e25: drop two
    //  limbs (1e18), then divide by 1e7, half up
    unsigned __int128 rest = 0;
    for (int i = 6; i >= 2; i--)
        rest = rest * S_BILLION + product [i];
    unsigned __int128 cents = rest / 10000000;
    if (rest % 10000000 >= 5000000)
        cents++;
    return cents;
}

//  Cents as numeric text ("1234.05") into out (48 bytes is enough).
static void
s_cents_text (unsigned __int128 cents, char *out, size_t size)
{
    char digits [48];
    int n = 0;
    unsigned __int128 units = cents / 100;
    do {
        digits [n++] = (char) ('0' + (int) (units % 10));
        units /= 10;
    } while (units && n < 45);
    size_t o = 0;
    while (n && o + 4 < size)
        out [o++] = digits [--n];
    snprintf (out + o, size - o, ".%02d", (int) (cents % 100));
}

//  --------------------------------------------------------------------------
//  Resolving the run's references

//  A product as a line records it.
typedef struct {
    int64_t id;
    int64_t group_id;               //  0 = none
    bool has_standard_cost;
    Crmq__Money standard_cost;      //  units and nanos (no currency)
} s_product_t;

//  What a row of a lookup becomes in its map.
typedef void *(s_row_fn) (PGresult *result, int row);

//  An id (> 0) stored as the pointer itself.
static void *
s_row_id (PGresult *result, int row)
{
    return (void *) (intptr_t) strtoll (PQgetvalue (result, row, 1), NULL, 10);
}

//  The event that placed an order number (a copy).
static void *
s_row_text (PGresult *result, int row)
{
    return strdup (PQgetvalue (result, row, 1));
}

static void *
s_row_product (PGresult *result, int row)
{
    s_product_t *product = (s_product_t *) zmalloc (sizeof (s_product_t));
    crmq__money__init (&product->standard_cost);
    product->id = strtoll (PQgetvalue (result, row, 1), NULL, 10);
    product->group_id = strtoll (PQgetvalue (result, row, 2), NULL, 10);
    product->has_standard_cost = !PQgetisnull (result, row, 3)
        && crmq_decimal_parse (PQgetvalue (result, row, 3), &product->standard_cost.units,
                               &product->standard_cost.nanos) == 0;
    return product;
}

//  external id -> what `convert` makes of its row, for every key of `keys`
//  found by `sql` (one query for the run); values freed with `destructor`
//  (NULL: not allocated).  NULL when the query failed.
static zhashx_t *
s_lookup (erp_context_t *ctx, const char *sql, zhashx_t *keys, s_row_fn *convert,
          zhashx_destructor_fn *destructor)
{
    crmq_pg_array_t *array = crmq_pg_array_new ();
    for (void *key = zhashx_first (keys); key; key = zhashx_next (keys))
        crmq_pg_array_append (array, (const char *) zhashx_cursor (keys));
    zhashx_t *found = zhashx_new ();
    if (destructor)
        zhashx_set_destructor (found, destructor);
    const char *values [1] = { crmq_pg_array_text (array) };
    PGresult *result = crmq_pg_array_size (array)? crmq_pg_exec (ctx->pg, sql, 1, values): NULL;
    if (crmq_pg_array_size (array) && !result)
        zhashx_destroy (&found);
    for (int row = 0; result && row < PQntuples (result); row++)
        zhashx_insert (found, PQgetvalue (result, row, 0), convert (result, row));
    PQclear (result);
    crmq_pg_array_destroy (&array);
    return found;
}

//  The run's lookups.
typedef struct {
    zhashx_t *clients, *managers;               //  external id -> id
    zhashx_t *products;                         //  external id -> s_product_t
    zhashx_t *placed;                           //  order number -> event_id
} s_refs_t;

static void
s_refs_destroy (s_refs_t *refs)
{
    zhashx_destroy (&refs->clients);
    zhashx_destroy (&refs->managers);
    zhashx_destroy (&refs->products);
    zhashx_destroy (&refs->placed);
}

//  Looks up every reference of the run.  Returns 0 or -1 (a failed query).
static int
s_refs_load (erp_context_t *ctx, const order_bulk_item_t *items, size_t count, s_refs_t *refs)
{
    zhashx_t *keys [4];
    for (int k = 0; k < 4; k++)
        keys [k] = zhashx_new ();
    for (size_t i = 0; i < count; i++) {
        const Crmq__OrderPlaced *order = items [i].event->order_placed;
        zhashx_insert (keys [0], order->client_external_id, (void *) 1);
        if (*order->manager_external_id)
            zhashx_insert (keys [1], order->manager_external_id, (void *) 1);
        for (size_t j = 0; j < order->n_lines; j++)
            zhashx_insert (keys [2], order->lines [j]->product_external_id, (void *) 1);
        zhashx_insert (keys [3], order->external_id, (void *) 1);
    }
    refs->clients = s_lookup (ctx, SQL_CLIENTS, keys [0], s_row_id, NULL);
    refs->managers = refs->clients? s_lookup (ctx, SQL_MANAGERS, keys [1], s_row_id, NULL): NULL;
    refs->products = refs->managers? s_lookup (ctx, SQL_PRODUCTS, keys [2], s_row_product,
                                               (zhashx_destructor_fn *) zstr_free): NULL;
    refs->placed = refs->products? s_lookup (ctx, SQL_ORDERS, keys [3], s_row_text,
                                             (zhashx_destructor_fn *) zstr_free): NULL;
    for (int k = 0; k < 4; k++)
        zhashx_destroy (&keys [k]);
    return refs->placed? 0: -1;
}

//  Decides an item against the lookups and the orders accepted before it
//  in the run (`accepted`: order number -> event_id), as order_store_place
//  would, in the same order: client, manager, order number, products.
static void
s_decide (order_bulk_item_t *item, const s_refs_t *refs, zhashx_t *accepted)
{
    const Crmq__OrderPlaced *order = item->event->order_placed;
    char field [192];
    item->code = ERP_STORED;
    if (!zhashx_lookup (refs->clients, order->client_external_id)) {
        snprintf (field, sizeof field, "events[%zu].order_placed.client_external_id", item->index);
        item->code = erp_problem_set (item->problem, CRMQ_NOT_FOUND, field,
            "unknown client %s: send its master data first", order->client_external_id);
        return;
    }
    if (*order->manager_external_id && !zhashx_lookup (refs->managers, order->manager_external_id)) {
        snprintf (field, sizeof field, "events[%zu].order_placed.manager_external_id", item->index);
        item->code = erp_problem_set (item->problem, CRMQ_NOT_FOUND, field,
            "unknown manager %s: send its master data first", order->manager_external_id);
        return;
    }
    const char *placed_by = (const char *) zhashx_lookup (refs->placed, order->external_id);
    if (!placed_by)
        placed_by = (const char *) zhashx_lookup (accepted, order->external_id);
    if (placed_by) {
        snprintf (field, sizeof field, "events[%zu].order_placed.external_id", item->index);
        item->code = erp_problem_set (item->problem, CRMQ_ALREADY_EXISTS, field,
            "order %s was placed by event %s", order->external_id, placed_by);
        return;
    }
    for (size_t j = 0; j < order->n_lines; j++)
        if (!zhashx_lookup (refs->products, order->lines [j]->product_external_id)) {
            snprintf (field, sizeof field,
                      "events[%zu].order_placed.lines[%zu].product_external_id", item->index, j);
            item->code = erp_problem_set (item->problem, CRMQ_NOT_FOUND, field,
                "unknown product %s: send its master data first",
                order->lines [j]->product_external_id);
            return;
        }
    zhashx_insert (accepted, order->external_id, item->event->event_id);
}

//  --------------------------------------------------------------------------
//  Writing

//  Instant as timestamptz text, or NULL for 0 ("none").
static const char *
s_instant (int64_t us, bool zero_is_null, char *buf, size_t size)
{
    if (us == 0 && zero_is_null)
        return NULL;
    return crmq_time_to_pg (us, buf, size) > 0? buf: NULL;
}

static void
s_decimal_field (crmq_pg_copy_t *copy, int64_t units, int32_t nanos)
{
    char text [48];
    crmq_decimal_format (units, nanos, text, sizeof text);
    crmq_pg_copy_text (copy, text);
}

//  The accepted items' erp_events rows.
static int
s_copy_events (erp_context_t *ctx, order_bulk_item_t *items, size_t count)
{
    crmq_pg_copy_t *copy = crmq_pg_copy_new (ctx->pg, COPY_EVENTS);
    if (!copy)
        return -1;
    for (size_t i = 0; i < count; i++) {
        const order_bulk_item_t *item = &items [i];
        if (item->code != ERP_STORED)
            continue;
        uint8_t digest [SHA256_DIGEST_LENGTH];
        SHA256 (item->packed, item->packed_size, digest);
        char occurred [40];
        crmq_pg_copy_text (copy, item->event->event_id);
        crmq_pg_copy_text (copy, erp_event_kind (item->event));
        crmq_pg_copy_bytea (copy, digest, sizeof digest);
        crmq_pg_copy_text (copy, s_instant (item->event->occurred_at_us, true, occurred,
                                            sizeof occurred));
        crmq_pg_copy_end_row (copy);
    }
    return crmq_pg_copy_finish (&copy);
}

//  The accepted items' orders (ids[k] for the k-th accepted) and lines.
static int
s_copy_orders (erp_context_t *ctx, order_bulk_item_t *items, size_t count, const int64_t *ids,
               const s_refs_t *refs)
{
    crmq_pg_copy_t *orders = crmq_pg_copy_new (ctx->pg, COPY_ORDERS);
    if (!orders)
        return -1;
    //  the lines go second, in a COPY of their own: formed twice (cheap),
    //  so nothing of the run is held but the request itself
    for (int pass = 0; pass < 2; pass++) {
        crmq_pg_copy_t *lines = NULL;
        if (pass == 1 && !(lines = crmq_pg_copy_new (ctx->pg, COPY_LINES)))
            return -1;
        size_t k = 0;
        for (size_t i = 0; i < count; i++) {
            const order_bulk_item_t *item = &items [i];
            if (item->code != ERP_STORED)
                continue;
            const Crmq__OrderPlaced *order = item->event->order_placed;
            int64_t client = (int64_t) (intptr_t) zhashx_lookup (refs->clients,
                                                                 order->client_external_id);
            unsigned __int128 total = 0;
            char amount [48];
            for (size_t j = 0; j < order->n_lines; j++) {
                const Crmq__OrderLine *line = order->lines [j];
                unsigned __int128 cents = s_line_cents (line->quantity, line->unit_price,
                                                        line->discount);
                total += cents;
                if (!lines)
                    continue;
                const s_product_t *product = (const s_product_t *) zhashx_lookup (
                    refs->products, line->product_external_id);
                crmq_pg_copy_int (lines, ids [k]);
                crmq_pg_copy_int (lines, (int64_t) j + 1);
                crmq_pg_copy_int (lines, client);
                crmq_pg_copy_int (lines, product->id);
                s_decimal_field (lines, line->quantity->units, line->quantity->nanos);
                s_decimal_field (lines, line->unit_price->units, line->unit_price->nanos);
                if (line->discount)
                    s_decimal_field (lines, line->discount->units, line->discount->nanos);
                else
                    crmq_pg_copy_text (lines, "0");
                //  the ERP's cost of the line (the column rounds it to cents),
                //  else quantity x the product's standard cost now, else none
                if (line->cost)
                    s_decimal_field (lines, line->cost->units, line->cost->nanos);
                else
                if (product->has_standard_cost) {
                    s_cents_text (s_line_cents (line->quantity, &product->standard_cost, NULL),
                                  amount, sizeof amount);
                    crmq_pg_copy_text (lines, amount);
                }
                else
                    crmq_pg_copy_text (lines, NULL);
                crmq_pg_copy_int (lines, product->group_id);
                s_cents_text (cents, amount, sizeof amount);
                crmq_pg_copy_text (lines, amount);
                crmq_pg_copy_end_row (lines);
            }
            if (pass == 0) {
                char placed [40], required [40], currency [4], rate [48];
                erp_context_currency (ctx, order->currency, order->currency_rate, currency,
                                      rate, sizeof rate);
                s_cents_text (total, amount, sizeof amount);
                crmq_pg_copy_int (orders, ids [k]);
                crmq_pg_copy_text (orders, order->external_id);
                crmq_pg_copy_int (orders, client);
                if (*order->manager_external_id)
                    crmq_pg_copy_int (orders, (int64_t) (intptr_t) zhashx_lookup (
                        refs->managers, order->manager_external_id));
                else
                    crmq_pg_copy_text (orders, NULL);
                crmq_pg_copy_text (orders, s_instant (order->placed_at_us, false, placed,
                                                      sizeof placed));
                crmq_pg_copy_text (orders, s_instant (order->required_at_us, true, required,
                                                      sizeof required));
                crmq_pg_copy_text (orders, currency);
                crmq_pg_copy_text (orders, rate);
                crmq_pg_copy_text (orders, amount);
                crmq_pg_copy_text (orders, item->event->event_id);
                crmq_pg_copy_end_row (orders);
            }
            k++;
        }
        if (pass == 0 && crmq_pg_copy_finish (&orders) != 0)
            return -1;
        if (pass == 1 && crmq_pg_copy_finish (&lines) != 0)
            return -1;
    }
    return 0;
}

//  Takes `n` order ids from the sequence into ids.  Returns 0 or -1.
static int
s_order_ids (erp_context_t *ctx, size_t n, int64_t *ids)
{
    char count [24];
    snprintf (count, sizeof count, "%zu", n);
    const char *values [1] = { count };
    PGresult *result = crmq_pg_exec (ctx->pg, SQL_ORDER_IDS, 1, values);
    if (!result)
        return -1;
    for (size_t k = 0; k < n; k++)
        ids [k] = strtoll (PQgetvalue (result, (int) k, 0), NULL, 10);
    PQclear (result);
    return 0;
}

//  Everything after the decisions, inside the run's savepoint.
static int
s_write (erp_context_t *ctx, order_bulk_item_t *items, size_t count, size_t accepted,
         const s_refs_t *refs)
{
    int64_t *ids = (int64_t *) zmalloc (accepted * sizeof (int64_t));
    int64_t started = zclock_usecs ();
    int rc = s_order_ids (ctx, accepted, ids);
    int64_t ids_done = zclock_usecs ();
    if (rc == 0)
        rc = s_copy_events (ctx, items, count);
    int64_t events_done = zclock_usecs ();
    if (rc == 0)
        rc = s_copy_orders (ctx, items, count, ids, refs);
    int64_t orders_done = zclock_usecs ();
    if (rc == 0) {
        crmq_pg_array_t *order_ids = crmq_pg_array_new ();
        crmq_pg_array_t *external_ids = crmq_pg_array_new ();
        char id [24];
        size_t k = 0;
        for (size_t i = 0; i < count; i++)
            if (items [i].code == ERP_STORED) {
                snprintf (id, sizeof id, "%" PRId64, ids [k++]);
                crmq_pg_array_append (order_ids, id);
                crmq_pg_array_append (external_ids, items [i].event->order_placed->external_id);
            }
        //  the run's sales.order.placed in one statement, before the changes
        //  that waited for its orders; then what the orders linked
        rc = sales_events_orders (ctx, "sales.order.placed", crmq_pg_array_text (order_ids),
                                  NULL, 0);
        if (rc == 0)
            rc = order_store_settle (ctx, crmq_pg_array_text (order_ids),
                                     crmq_pg_array_text (external_ids));
        if (rc == 0)
            rc = sales_events_settled (ctx, true, true);
        crmq_pg_array_destroy (&order_ids);
        crmq_pg_array_destroy (&external_ids);
    }
    crmq_log (CRMQ_LOG_DEBUG, "bulk orders written", "orders=%zu ids_us=%lld events_us=%lld"
              " orders_lines_us=%lld settle_us=%lld", accepted, (long long) (ids_done - started),
              (long long) (events_done - ids_done), (long long) (orders_done - events_done),
              (long long) (zclock_usecs () - orders_done));
    free (ids);
    return rc;
}

int
order_bulk_store (erp_context_t *ctx, order_bulk_item_t *items, size_t count)
{
    assert (ctx && (items || count == 0));
    s_refs_t refs = { NULL, NULL, NULL, NULL };
    if (s_refs_load (ctx, items, count, &refs) != 0) {
        s_refs_destroy (&refs);
        return erp_context_fatal (crmq_pg_sqlstate (ctx->pg))? -1: ORDER_BULK_FALLBACK;
    }
    zhashx_t *accepted = zhashx_new ();
    size_t n_accepted = 0;
    for (size_t i = 0; i < count; i++) {
        assert (items [i].event->body_case == CRMQ__ERP_EVENT__BODY_ORDER_PLACED);
        s_decide (&items [i], &refs, accepted);
        if (items [i].code == ERP_STORED)
            n_accepted++;
    }
    zhashx_destroy (&accepted);
    int rc = ORDER_BULK_DONE;
    if (n_accepted) {
        if (crmq_pg_command (ctx->pg, "SAVEPOINT order_bulk", 0, NULL) != 0)
            rc = -1;
        else
        if (s_write (ctx, items, count, n_accepted, &refs) == 0)
            rc = crmq_pg_command (ctx->pg, "RELEASE SAVEPOINT order_bulk", 0, NULL) == 0
               ? ORDER_BULK_DONE: -1;
        else
        if (erp_context_fatal (crmq_pg_sqlstate (ctx->pg)))
            rc = -1;
        else {
            crmq_log (CRMQ_LOG_WARN, "bulk order write falls back to one event at a time",
                      "orders=%zu sqlstate=%s error=%s", n_accepted, crmq_pg_sqlstate (ctx->pg),
                      crmq_log_q (crmq_pg_error (ctx->pg)));
            rc = crmq_pg_command (ctx->pg, "ROLLBACK TO SAVEPOINT order_bulk", 0, NULL) == 0
               ? ORDER_BULK_FALLBACK: -1;
        }
    }
    s_refs_destroy (&refs);
    return rc;
}

//  --------------------------------------------------------------------------
//  Self-test

//  s_line_cents on decimals given as text, as cents text.
static void
s_test_amount (const char *quantity, const char *price, const char *discount, const char *expected)
{
    Crmq__Decimal q = CRMQ__DECIMAL__INIT, d = CRMQ__DECIMAL__INIT;
    Crmq__Money p = CRMQ__MONEY__INIT;
    int rc = crmq_decimal_parse (quantity, &q.units, &q.nanos);
    rc |= crmq_decimal_parse (price, &p.units, &p.nanos);
    if (discount)
        rc |= crmq_decimal_parse (discount, &d.units, &d.nanos);
    assert (rc == 0);
    char text [48];
    s_cents_text (s_line_cents (&q, &p, discount? &d: NULL), text, sizeof text);
    if (!streq (text, expected)) {
        printf ("\n%s x %s x (1 - %s) = %s, expected %s\n", quantity, price,
                discount? discount: "0", text, expected);
        assert (false);
    }
}

void
order_bulk_store_test (bool verbose)
{
    if (verbose)
        printf (" * order_bulk_store: ");
    s_test_amount ("1", "0", NULL, "0.00");
    s_test_amount ("2", "12.34", NULL, "24.68");
    s_test_amount ("3", "3.335", NULL, "10.01");            //  10.005 half up
    s_test_amount ("3", "3.33499999", NULL, "10.00");
    s_test_amount ("1", "0.005", NULL, "0.01");
    s_test_amount ("1", "0.004999999", NULL, "0.00");
    s_test_amount ("12.5", "19.99", "0.15", "212.39");      //  212.39375
    s_test_amount ("7", "100", "1", "0.00");
    s_test_amount ("0.000000001", "0.000000001", NULL, "0.00");
    //  the largest the checks let through
    s_test_amount ("999999999.999999999", "999999999999.999999999", NULL,
                   "999999999999999998999.00");
    s_test_amount ("999999999.999999999", "999999999999.999999999", "0.000000001",
                   "999999998999999998999.00");
    s_test_amount ("3", "0.1", "0.5", "0.15");
    s_test_amount ("1", "0.01", "0.5", "0.01");             //  0.005 half up
    s_test_amount ("1.5", "1.01", "0.333333333", "1.01");   //  1.0100000005
    char text [48];
    s_cents_text (0, text, sizeof text);
    assert (streq (text, "0.00"));
    s_cents_text (123456789, text, sizeof text);
    assert (streq (text, "1234567.89"));
    char buf [40];
    assert (s_instant (0, true, buf, sizeof buf) == NULL);
    assert (streq (s_instant (0, false, buf, sizeof buf), "1970-01-01 00:00:00.000000+00"));
    if (verbose)
        printf ("OK\n");
}

/*  cli_documents.c - orders, returns and shipments of an export; see
    cli_documents.h.

    Lines are kept compact (numbers and interned strings) and the events
    are built only when they are sent, so half a million lines fit in a
    few tens of MiB.                                                        */
#include "cli_documents.h"
#include "cli_common.h"
#include "cli_money.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *product_id;         //  interned
    cli_number_t quantity;
    cli_number_t unit_price;        //  on a return: the price credited
    cli_number_t discount;          //  0 on a return
    cli_number_t cost;
    bool has_cost;
} s_line_t;

typedef struct {
    cli_document_kind_t kind;
    const char *id;                 //  interned, as the rest
    const char *client_id;
    const char *manager_id;
    const char *currency;
    int64_t at_us, required_us, shipped_us;
    cli_number_t rate;
    const char *file;               //  where its first row is
    size_t line;
    const char *bad_file;           //  a rejected row of it; NULL = none
    size_t bad_line;
    s_line_t *lines;
    size_t count, capacity;
    int64_t cents;                  //  sum of the line amounts
    bool cents_known;
} s_document_t;

struct _cli_documents_t {
    char *source;
    zhashx_t *strings;              //  text -> the one copy of it
    zhashx_t *index;                //  "<kind>:<id>" -> s_document_t
    zlistx_t *documents;            //  s_document_t, first-seen order
};

static void
s_document_free (void **item)
{
    s_document_t *document = *item;
    if (document) {
        free (document->lines);
        free (document);
        *item = NULL;
    }
}

cli_documents_t *
cli_documents_new (const char *source)
{
    assert (source);
    cli_documents_t *self = calloc (1, sizeof (cli_documents_t));
    if (!self)
        return NULL;
    self->source = strdup (source);
    self->strings = zhashx_new ();
    self->index = zhashx_new ();
    self->documents = zlistx_new ();
    if (!self->source || !self->strings || !self->index || !self->documents) {
        cli_documents_destroy (&self);
        return NULL;
    }
    //  The item is the one copy, and its own key
    zhashx_set_key_duplicator (self->strings, NULL);
    zhashx_set_key_destructor (self->strings, NULL);
    zhashx_set_destructor (self->strings, cli_string_destroy);
    zlistx_set_destructor (self->documents, s_document_free);
    return self;
}

void
cli_documents_destroy (cli_documents_t **self_p)
{
    assert (self_p);
    cli_documents_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->index);
    zlistx_destroy (&self->documents);
    zhashx_destroy (&self->strings);
    free (self->source);
    free (self);
    *self_p = NULL;
}

//  The one copy of `text` (NULL = ""), or NULL on out-of-memory.
static const char *
s_intern (cli_documents_t *self, const char *text)
{
    if (!text)
        text = "";
    char *copy = zhashx_lookup (self->strings, text);
    if (copy)
        return copy;
    copy = strdup (text);
    if (!copy || zhashx_insert (self->strings, copy, copy) != 0) {
        free (copy);
        return NULL;
    }
    return copy;
}

static const char *s_kind_names [] = { "order", "return" };

//  The document, or NULL when there is none yet.
static s_document_t *
s_lookup (cli_documents_t *self, cli_document_kind_t kind, const char *id)
{
    char key [256];
    snprintf (key, sizeof key, "%s:%s", s_kind_names [kind], id);
    return zhashx_lookup (self->index, key);
}

//  A new document with `header` from row `line` of `file`; NULL on
//  out-of-memory.
static s_document_t *
s_create (cli_documents_t *self, cli_document_kind_t kind, const char *id,
          const cli_document_header_t *header, const char *file, size_t line)
{
    s_document_t *document = calloc (1, sizeof (s_document_t));
    if (!document)
        return NULL;
    document->kind = kind;
    document->id = s_intern (self, id);
    document->client_id = s_intern (self, header? header->client_id: "");
    document->manager_id = s_intern (self, header? header->manager_id: "");
    document->currency = s_intern (self, header? header->currency: "");
    document->file = s_intern (self, file);
    document->line = line;
    document->cents_known = true;
    if (header) {
        document->at_us = header->at_us;
        document->required_us = header->required_us;
        document->shipped_us = header->shipped_us;
        document->rate = header->rate;
    }
    char key [256];
    snprintf (key, sizeof key, "%s:%s", s_kind_names [kind], id);
    if (!document->id || !document->client_id || !document->manager_id || !document->currency
    ||  !document->file || !zlistx_add_end (self->documents, document)) {
        free (document);
        return NULL;
    }
    zhashx_insert (self->index, key, document);
    return document;
}

int
cli_documents_spoil (cli_documents_t *self, cli_document_kind_t kind, const char *id,
                     const char *file, size_t line_no)
{
    assert (self && id && file);
    s_document_t *document = s_lookup (self, kind, id);
    if (!document && !(document = s_create (self, kind, id, NULL, file, line_no)))
        return -1;
    if (!document->bad_file) {
        document->bad_file = s_intern (self, file);
        document->bad_line = line_no;
        if (!document->bad_file)
            return -1;
    }
    return 0;
}

//  Adds the line's amount to the document's.
static void
s_add_amount (s_document_t *document, const s_line_t *line)
{
    int64_t cents;
    if (!document->cents_known
    ||  cli_money_line_cents (line->quantity, line->unit_price, line->discount, &cents) != 0
    ||  __builtin_add_overflow (document->cents, cents, &document->cents))
        document->cents_known = false;
}

int
cli_documents_add (cli_documents_t *self, cli_document_kind_t kind, const char *id,
                   const cli_document_header_t *header, const cli_document_line_t *line,
                   const char *file, size_t line_no, cli_import_t *import)
{
    assert (self && id && header && line && file && import);
    const char *name = kind == CLI_DOCUMENT_ORDER? "order": "return";
    s_document_t *document = s_lookup (self, kind, id);
    if (!document) {
        if (!(document = s_create (self, kind, id, header, file, line_no)))
            return -1;
    }
    else
    if (document->count == 0 && !*document->client_id) {
        //  Spoiled before its first good row: nothing to compare with
    }
    else {
        const char *currency = header->currency? header->currency: "";
        const char *what = NULL, *was = NULL, *now = NULL;
        if (!streq (document->client_id, header->client_id)) {
            what = "client";
            was = document->client_id;
            now = header->client_id;
        }
        else
        if (!streq (document->currency, currency)) {
            what = "currency";
            was = document->currency;
            now = currency;
        }
        if (what) {
            char reason [100];
            snprintf (reason, sizeof reason, "another %s than the document's first row", what);
            cli_import_reject (import, file, line_no, reason,
                               "%s %s: %s \"%s\", but its first row %s:%zu has \"%s\"",
                               name, id, what, now, document->file, document->line, was);
            return cli_documents_spoil (self, kind, id, file, line_no) == 0? 1: -1;
        }
    }
    if (document->count == document->capacity) {
        size_t capacity = document->capacity? document->capacity * 2: 4;
        s_line_t *grown = realloc (document->lines, capacity * sizeof (s_line_t));
        if (!grown)
            return -1;
        document->lines = grown;
        document->capacity = capacity;
    }
    s_line_t kept = { 0 };
    kept.product_id = s_intern (self, line->product_id);
    kept.quantity = line->quantity;
    kept.unit_price = line->unit_price;
    kept.discount = line->discount;
    kept.cost = line->cost;
    kept.has_cost = line->has_cost;
    if (!kept.product_id)
        return -1;
    if (kind == CLI_DOCUMENT_RETURN && !cli_number_is_zero (line->discount)) {
        //  A return line credits one price: the discounted one
        if (cli_money_discounted (line->unit_price, line->discount, &kept.unit_price) != 0) {
            cli_import_reject (import, file, line_no, "price or discount out of range",
                               "%s %s: the price or discount is out of range", name, id);
            return cli_documents_spoil (self, kind, id, file, line_no) == 0? 1: -1;
        }
        kept.discount = (cli_number_t) { 0, 0 };
    }
    document->lines [document->count++] = kept;
    s_add_amount (document, &kept);
    return 0;
}

//  --------------------------------------------------------------------------
//  Counts

static bool
s_sendable (s_document_t *document)
{
    return !document->bad_file && document->count > 0;
}

//  Documents of `kind` that will be sent, and their lines.
static void
s_sum (cli_documents_t *self, cli_document_kind_t kind, size_t *documents, size_t *lines)
{
    *documents = *lines = 0;
    for (s_document_t *d = zlistx_first (self->documents); d; d = zlistx_next (self->documents))
        if (d->kind == kind && s_sendable (d)) {
            (*documents)++;
            *lines += d->count;
        }
}

size_t
cli_documents_count (cli_documents_t *self, cli_document_kind_t kind)
{
    assert (self);
    size_t documents, lines;
    s_sum (self, kind, &documents, &lines);
    return documents;
}

size_t
cli_documents_lines (cli_documents_t *self, cli_document_kind_t kind)
{
    assert (self);
    size_t documents, lines;
    s_sum (self, kind, &documents, &lines);
    return lines;
}

bool
cli_documents_amount (cli_documents_t *self, cli_document_kind_t kind, int64_t *cents)
{
    assert (self && cents);
    *cents = 0;
    for (s_document_t *d = zlistx_first (self->documents); d; d = zlistx_next (self->documents))
        if (d->kind == kind && s_sendable (d)
        &&  (!d->cents_known || __builtin_add_overflow (*cents, d->cents, cents)))
            return false;
    return true;
}

size_t
cli_documents_shipments (cli_documents_t *self)
{
    assert (self);
    size_t count = 0;
    for (s_document_t *d = zlistx_first (self->documents); d; d = zlistx_next (self->documents))
        if (d->kind == CLI_DOCUMENT_ORDER && s_sendable (d) && d->shipped_us)
            count++;
    return count;
}

size_t
cli_documents_spoiled (cli_documents_t *self)
{
    assert (self);
    size_t count = 0;
    for (s_document_t *d = zlistx_first (self->documents); d; d = zlistx_next (self->documents))
        if (d->bad_file)
            count++;
    return count;
}

size_t
cli_documents_events (cli_documents_t *self)
{
    assert (self);
    return cli_documents_count (self, CLI_DOCUMENT_ORDER)
         + cli_documents_count (self, CLI_DOCUMENT_RETURN) + cli_documents_shipments (self);
}

//  --------------------------------------------------------------------------
//  Sending

//  The wire form of the lines of one document: arrays freed together.
typedef struct {
    Crmq__OrderLine *order_lines;
    Crmq__ReturnLine *return_lines;
    void **pointers;
    Crmq__Money *money;             //  2 per line: price, cost
    Crmq__Decimal *decimals;        //  2 per line: quantity, discount
} s_wire_t;

static void
s_wire_free (s_wire_t *wire)
{
    free (wire->order_lines);
    free (wire->return_lines);
    free (wire->pointers);
    free (wire->money);
    free (wire->decimals);
}

//  Fills `wire` with the lines of `document` in `currency`.  Returns 0 or
//  -1 on out-of-memory.
static int
s_wire_lines (s_wire_t *wire, s_document_t *document, const char *currency)
{
    size_t count = document->count;
    memset (wire, 0, sizeof *wire);
    wire->pointers = calloc (count, sizeof (void *));
    wire->money = calloc (2 * count, sizeof (Crmq__Money));
    wire->decimals = calloc (2 * count, sizeof (Crmq__Decimal));
    if (document->kind == CLI_DOCUMENT_ORDER)
        wire->order_lines = calloc (count, sizeof (Crmq__OrderLine));
    else
        wire->return_lines = calloc (count, sizeof (Crmq__ReturnLine));
    if (!wire->pointers || !wire->money || !wire->decimals
    ||  (!wire->order_lines && !wire->return_lines)) {
        s_wire_free (wire);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        const s_line_t *source = &document->lines [i];
        Crmq__Money *price = &wire->money [2 * i], *cost = &wire->money [2 * i + 1];
        Crmq__Decimal *quantity = &wire->decimals [2 * i];
        Crmq__Decimal *discount = &wire->decimals [2 * i + 1];
        crmq__money__init (price);
        crmq__money__init (cost);
        crmq__decimal__init (quantity);
        crmq__decimal__init (discount);
        price->currency = cost->currency = (char *) currency;
        price->units = source->unit_price.units;
        price->nanos = source->unit_price.nanos;
        cost->units = source->cost.units;
        cost->nanos = source->cost.nanos;
        quantity->units = source->quantity.units;
        quantity->nanos = source->quantity.nanos;
        discount->units = source->discount.units;
        discount->nanos = source->discount.nanos;
        if (wire->order_lines) {
            Crmq__OrderLine *line = &wire->order_lines [i];
            crmq__order_line__init (line);
            line->product_external_id = (char *) source->product_id;
            line->quantity = quantity;
            line->unit_price = price;
            line->discount = discount;
            line->cost = source->has_cost? cost: NULL;
            wire->pointers [i] = line;
        }
        else {
            Crmq__ReturnLine *line = &wire->return_lines [i];
            crmq__return_line__init (line);
            line->product_external_id = (char *) source->product_id;
            line->quantity = quantity;
            line->unit_price = price;
            line->cost = source->has_cost? cost: NULL;
            wire->pointers [i] = line;
        }
    }
    return 0;
}

//  Sends one document (and its shipment).  Returns 0 or -1.
static int
s_send_document (cli_documents_t *self, cli_import_t *import, s_document_t *document,
                 const char *base_currency)
{
    char event_id [256];
    const char *kind = s_kind_names [document->kind];
    if (cli_import_event_id (self->source, kind, document->id, event_id, sizeof event_id) != 0) {
        cli_import_reject (import, document->file, document->line, "event id too long",
                           "%s %s: its event id would be longer than 200 bytes", kind,
                           document->id);
        return 0;
    }
    const char *currency = *document->currency? document->currency: base_currency;
    s_wire_t wire;
    if (s_wire_lines (&wire, document, currency) != 0) {
        fprintf (stderr, "crmq: out of memory\n");
        return -1;
    }
    Crmq__Decimal rate = CRMQ__DECIMAL__INIT;
    rate.units = document->rate.units;
    rate.nanos = document->rate.nanos;
    bool has_rate = !cli_number_is_zero (document->rate);
    Crmq__ErpEvent event = CRMQ__ERP_EVENT__INIT;
    event.event_id = event_id;
    event.occurred_at_us = document->at_us;
    Crmq__OrderPlaced placed = CRMQ__ORDER_PLACED__INIT;
    Crmq__ReturnRegistered returned = CRMQ__RETURN_REGISTERED__INIT;
    if (document->kind == CLI_DOCUMENT_ORDER) {
        placed.external_id = (char *) document->id;
        placed.client_external_id = (char *) document->client_id;
        placed.manager_external_id = (char *) document->manager_id;
        placed.placed_at_us = document->at_us;
        placed.required_at_us = document->required_us;
        placed.currency = (char *) document->currency;
        placed.currency_rate = has_rate? &rate: NULL;
        placed.n_lines = document->count;
        placed.lines = (Crmq__OrderLine **) wire.pointers;
        event.body_case = CRMQ__ERP_EVENT__BODY_ORDER_PLACED;
        event.order_placed = &placed;
    }
    else {
        returned.external_id = (char *) document->id;
        returned.client_external_id = (char *) document->client_id;
        returned.returned_at_us = document->at_us;
        returned.currency = (char *) document->currency;
        returned.currency_rate = has_rate? &rate: NULL;
        returned.n_lines = document->count;
        returned.lines = (Crmq__ReturnLine **) wire.pointers;
        event.body_case = CRMQ__ERP_EVENT__BODY_RETURN_REGISTERED;
        event.return_registered = &returned;
    }
    int rc = cli_import_send (import, &event, document->file, document->line);
    s_wire_free (&wire);
    if (rc != 0 || document->kind != CLI_DOCUMENT_ORDER || !document->shipped_us)
        return rc;

    //  The whole order shipped at once: a shipment without lines
    if (cli_import_event_id (self->source, "shipment", document->id, event_id,
                             sizeof event_id) != 0)
        return 0;                           //  the order's id fitted, this is longer: rare
    Crmq__ShipmentRegistered shipment = CRMQ__SHIPMENT_REGISTERED__INIT;
    shipment.external_id = (char *) document->id;
    shipment.order_external_id = (char *) document->id;
    shipment.shipped_at_us = document->shipped_us;
    Crmq__ErpEvent shipped = CRMQ__ERP_EVENT__INIT;
    shipped.event_id = event_id;
    shipped.occurred_at_us = document->shipped_us;
    shipped.body_case = CRMQ__ERP_EVENT__BODY_SHIPMENT;
    shipped.shipment = &shipment;
    return cli_import_send (import, &shipped, document->file, document->line);
}

int
cli_documents_send (cli_documents_t *self, cli_import_t *import, const char *base_currency)
{
    assert (self && import && base_currency);
    int rc = 0;
    for (s_document_t *document = zlistx_first (self->documents); document && rc == 0;
         document = zlistx_next (self->documents)) {
        if (document->bad_file) {
            const char *kind = s_kind_names [document->kind];
            cli_import_hold_document (import, document->file, document->line,
                                      "%s %s not sent: its row %s:%zu was rejected", kind,
                                      document->id, document->bad_file, document->bad_line);
        }
        else
        if (document->count > 0)
            rc = s_send_document (self, import, document, base_currency);
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Self-test

void
cli_documents_test (bool verbose)
{
    printf (" * cli_documents: ");
    crmq_config_t *config;
    cli_import_t *import = cli_import_test_new (10, 100000, &config);
    cli_documents_t *documents = cli_documents_new ("test");
    assert (documents);

    cli_document_header_t header = { .client_id = "C1", .at_us = 1000, .shipped_us = 5000 };
    cli_document_line_t line = { .product_id = "P1", .quantity = { 2, 0 },
                                 .unit_price = { 1, 250000000 } };
    //  Order 1: two lines, the same twice (kept as two)
    assert (cli_documents_add (documents, CLI_DOCUMENT_ORDER, "1", &header, &line, "a.csv", 2,
                               import) == 0);
    header.at_us = 2000;                    //  a later minute: the first date stays
    assert (cli_documents_add (documents, CLI_DOCUMENT_ORDER, "1", &header, &line, "a.csv", 3,
                               import) == 0);
    //  Order 2: a row of another client spoils it
    header.shipped_us = 0;
    assert (cli_documents_add (documents, CLI_DOCUMENT_ORDER, "2", &header, &line, "a.csv", 4,
                               import) == 0);
    header.client_id = "C2";
    assert (cli_documents_add (documents, CLI_DOCUMENT_ORDER, "2", &header, &line, "a.csv", 5,
                               import) == 1);
    //  Return 1 (its own namespace), with a discount folded into the price
    line.discount = (cli_number_t) { 0, 200000000 };
    assert (cli_documents_add (documents, CLI_DOCUMENT_RETURN, "1", &header, &line, "a.csv", 6,
                               import) == 0);
    //  Order 3: spoiled by a row rejected elsewhere, before any good row
    assert (cli_documents_spoil (documents, CLI_DOCUMENT_ORDER, "3", "a.csv", 7) == 0);
    assert (cli_documents_add (documents, CLI_DOCUMENT_ORDER, "3", &header, &line, "a.csv", 8,
                               import) == 0);

    assert (cli_documents_count (documents, CLI_DOCUMENT_ORDER) == 1);
    assert (cli_documents_count (documents, CLI_DOCUMENT_RETURN) == 1);
    assert (cli_documents_lines (documents, CLI_DOCUMENT_ORDER) == 2);
    assert (cli_documents_shipments (documents) == 1);
    assert (cli_documents_spoiled (documents) == 2);
    assert (cli_documents_events (documents) == 3);
    int64_t cents;
    assert (cli_documents_amount (documents, CLI_DOCUMENT_ORDER, &cents) && cents == 500);
    assert (cli_documents_amount (documents, CLI_DOCUMENT_RETURN, &cents) && cents == 200);
    s_document_t *returned = s_lookup (documents, CLI_DOCUMENT_RETURN, "1");
    assert (returned->lines [0].unit_price.units == 1 && returned->lines [0].unit_price.nanos == 0);
    s_document_t *order = s_lookup (documents, CLI_DOCUMENT_ORDER, "1");
    assert (order->at_us == 1000 && order->count == 2);

    assert (cli_import_start_sending (import, cli_documents_events (documents)) == 0);
    assert (cli_documents_send (documents, import, "USD") == 0);
    assert (cli_import_finish (import) == 0);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    cli_import_print_summary (import, out);
    fclose (out);
    if (verbose)
        printf ("\n%s", text);
    assert (strstr (text, "  a.csv:5: order 2: client \"C2\", but its first row a.csv:4 has \"C1\"\n"));
    assert (strstr (text, "  a.csv:4: order 2 not sent: its row a.csv:5 was rejected\n"));
    assert (strstr (text, "  a.csv:7: order 3 not sent: its row a.csv:7 was rejected\n"));
    assert (strstr (text, "dry run, nothing sent: 3 events in 1 batches"));
    free (text);
    cli_documents_destroy (&documents);
    cli_documents_destroy (&documents);
    cli_import_destroy (&import);
    crmq_config_destroy (&config);
    printf ("OK\n");
}

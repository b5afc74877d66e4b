/*  cli_documents.h - the sales documents an export's rows make up: orders
    (OrderPlaced, with a ShipmentRegistered when the order was shipped) and
    returns (ReturnRegistered), one per document number, with their lines
    in row order.

    An export has one row per line and repeats the document's header on
    each; the first row of a document gives its header.  A later row that
    names another client or currency is rejected, and so is its document;
    a row rejected for any other reason spoils its document too (through
    cli_documents_spoil): a document is sent whole or not at all.  Rows
    with other dates keep the first row's date (an ERP keying an invoice
    across a minute boundary).  Event ids are "<source>:order:<number>",
    "<source>:return:<number>" and "<source>:shipment:<order number>".    */
#ifndef CLI_DOCUMENTS_H_INCLUDED
#define CLI_DOCUMENTS_H_INCLUDED

#include "cli_field.h"
#include "cli_import.h"

typedef struct _cli_documents_t cli_documents_t;

typedef enum {
    CLI_DOCUMENT_ORDER,
    CLI_DOCUMENT_RETURN
} cli_document_kind_t;

//  A document's header as one row gives it.  Strings NULL or "" = none.
typedef struct {
    const char *client_id;          //  required
    const char *manager_id;
    int64_t at_us;                  //  placed (orders), registered (returns); required
    int64_t required_us;            //  orders: required delivery; 0 = none
    int64_t shipped_us;             //  orders: shipped then; 0 = not shipped
    const char *currency;           //  ISO 4217; "" = the base currency
    cli_number_t rate;              //  base units per unit of currency; 0 = none
} cli_document_header_t;

//  One line as a row gives it.
typedef struct {
    const char *product_id;         //  required
    cli_number_t quantity;          //  > 0
    cli_number_t unit_price;        //  >= 0
    cli_number_t discount;          //  0..1; on a return the price credited is
                                    //  unit_price x (1 - discount)
    bool has_cost;
    cli_number_t cost;              //  of the whole line, >= 0
} cli_document_line_t;

//  Creates an empty set whose event ids start with `source` (copied).
//  Returns NULL on out-of-memory.
cli_documents_t *cli_documents_new (const char *source);

//  Frees the set; sets *self_p to NULL; safe on NULL.
void cli_documents_destroy (cli_documents_t **self_p);

//  Adds `line` to document `id` of `kind`, from row `line_no` of `file`
//  (strings copied).  The document's first row sets its header; a later
//  row whose client or currency differs is rejected through `import` and
//  spoils the document.  Returns 0 when added, 1 when rejected, -1 on
//  out-of-memory.
int cli_documents_add (cli_documents_t *self, cli_document_kind_t kind, const char *id,
                       const cli_document_header_t *header, const cli_document_line_t *line,
                       const char *file, size_t line_no, cli_import_t *import);

//  Marks document `id` of `kind` as not to be sent: its row `line_no` of
//  `file` was rejected.  Returns 0, or -1 on out-of-memory.
int cli_documents_spoil (cli_documents_t *self, cli_document_kind_t kind, const char *id,
                         const char *file, size_t line_no);

//  Documents of `kind` that will be sent (not spoiled), their lines, the
//  sum of their line amounts in cents (false when an amount cannot be
//  computed), the shipments, and all the events cli_documents_send sends.
size_t cli_documents_count (cli_documents_t *self, cli_document_kind_t kind);
size_t cli_documents_lines (cli_documents_t *self, cli_document_kind_t kind);
bool cli_documents_amount (cli_documents_t *self, cli_document_kind_t kind, int64_t *cents);
size_t cli_documents_shipments (cli_documents_t *self);
size_t cli_documents_spoiled (cli_documents_t *self);
size_t cli_documents_events (cli_documents_t *self);

//  Sends the documents in the order they were first seen, each shipped
//  order followed by its shipment; amounts in the document's currency
//  (`base_currency` when it names none).  A spoiled document is reported at
//  its first row (cli_import_hold_document).  Returns 0, or -1 when sending failed
//  (printed).
int cli_documents_send (cli_documents_t *self, cli_import_t *import, const char *base_currency);

//  Self-test (a dry run).
void cli_documents_test (bool verbose);

#endif

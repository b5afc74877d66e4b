/*  deal_common.h - what the handlers of deals and pipelines share (deal_store,
    pipeline_store): input limits, the checks that reply INVALID_ARGUMENT
    naming the field, the shape of a write (its transaction, its request
    key), and reading numbers and instants from rows.                        */
#ifndef DEAL_COMMON_H_INCLUDED
#define DEAL_COMMON_H_INCLUDED

#include "crmq.h"
#include "crmq_request_key.h"
#include "deals.pb-c.h"

#define DEAL_MAX_NAME     300       //  bytes of a deal's title, a pipeline's or a stage's name
#define DEAL_MAX_TEXT     1000      //  bytes of a lost reason
#define DEAL_MAX_ID       100       //  bytes of an ERP id (an order's number)
#define DEAL_MAX_ACTOR    200       //  bytes of an actor's name

//  SQL: an instant column as microseconds since the epoch (bigint), 0 for NULL.
#define DEAL_US(column) \
    " coalesce ((extract (epoch FROM " column ") * 1000000)::bigint, 0)"

//  How deal_check reads a text.
typedef enum {
    DEAL_TEXT,          //  free text: no control characters but tab and line breaks
    DEAL_ID,            //  an identifier: no control characters at all
    DEAL_NAME           //  a name: crmq_name_valid (one line, no bidi overrides, not blank)
} deal_text_t;

//  Unpacks a request of `type` from `body` (crmq_message_unpack: free it
//  with crmq_message_free).  Returns the request, or NULL after replying
//  INVALID_ARGUMENT "malformed <Type>" (also for a string holding a NUL byte).
ProtobufCMessage *deal_request_unpack (const ProtobufCMessageDescriptor *type,
                                       const uint8_t *body, size_t size, crmq_reply_t *reply);

//  Checks `value` (min_bytes..max_bytes bytes of UTF-8 read as `kind`).  On
//  failure replies INVALID_ARGUMENT naming `field` ("deal.title is blank")
//  and returns false.
bool deal_check (crmq_reply_t *reply, const char *field, const char *value,
                 size_t min_bytes, size_t max_bytes, deal_text_t kind);

//  Checks the actor of a write (0..DEAL_MAX_ACTOR bytes, an identifier); as
//  deal_check with field "actor".
bool deal_check_actor (crmq_reply_t *reply, const char *actor);

//  Checks an id field that may be 0 (none) but not negative; replies
//  INVALID_ARGUMENT naming `field` and returns false otherwise.
bool deal_check_id (crmq_reply_t *reply, const char *field, int64_t id);

//  True when `text` is a real calendar date written exactly YYYY-MM-DD
//  from 1900-01-01 to 2199-12-31 ("2025-02-30" is refused).
bool deal_date_valid (const char *text);

//  Writes `id` as decimal text into buf (24 bytes suffice).  Returns buf.
char *deal_id_text (int64_t id, char *buf, size_t size);

//  Reads decimal text of a numeric column into *units, *nanos (0 for text
//  that does not read).
void deal_decimal_read (const char *text, int64_t *units, int32_t *nanos);

//  Reads a bigint column.
int64_t deal_int_read (PGresult *result, int row, int column);

//  Replies the status and one-line message of the last failed statement of
//  `pg`.  Returns the status.
int deal_db_error (crmq_pg_t *pg, crmq_reply_t *reply);

//  Runs `fn` (a write's body) with crmq_pg_transaction.  Returns 0 when it
//  committed (fn replied), fn's positive status after it replied (rolled
//  back), or, after a failed statement, its status after replying it.
int deal_transaction (crmq_pg_t *pg, crmq_pg_tx_fn *fn, void *arg, crmq_reply_t *reply);

//  The statements over sales.request_keys, for crmq_request_key_claim and
//  crmq_request_key_finish.
extern const crmq_request_keys_t deal_request_keys;

//  Self-test of the checks that need no database.
void deal_common_test (bool verbose);

#endif

/*  contacts_common.h - what the handlers of crmq-contacts share: their state,
    input limits and checks, the audit actor, the shape of a write (its
    transaction, request key and reply), locking a client a write attaches
    something to, and reading clients from rows.  */
#ifndef CONTACTS_COMMON_H_INCLUDED
#define CONTACTS_COMMON_H_INCLUDED

#include "crmq.h"
#include "client_card_cache.h"

#define CONTACTS_MAX_BATCH   10000       //  clients, managers or persons in one upsert
#define CONTACTS_MAX_NAME    300         //  bytes of a name
#define CONTACTS_MAX_ID      100         //  bytes of an external id
#define CONTACTS_MAX_FIELD   1000        //  bytes of any other short text
#define CONTACTS_MAX_TEXT    100000      //  bytes of an interaction's text
#define CONTACTS_MAX_TAGS    50          //  tags of a client
#define CONTACTS_MAX_TAG     64          //  bytes of a tag
#define CONTACTS_MAX_ACTOR   200         //  bytes of an actor's name

//  The state every handler gets.
typedef struct {
    crmq_pg_t *pg;
    client_card_cache_t *cards;
    char default_region [3];             //  ISO 3166 alpha-2, for phones without a country code
} contacts_server_t;

//  Unpacks a request of `type` from `body` (crmq_message_unpack: free it
//  with crmq_message_free).  Returns the request, or NULL after replying
//  INVALID_ARGUMENT "malformed <Type>" ("malformed AuditRequest").
ProtobufCMessage *contacts_request_unpack (const ProtobufCMessageDescriptor *type,
                                           const uint8_t *body, size_t size, crmq_reply_t *reply);

//  Checks a text field (`identifier`: no control characters at all).  On
//  failure fills the reply with INVALID_ARGUMENT naming `field` and returns false.
bool contacts_check (crmq_reply_t *reply, const char *field, const char *value,
                     size_t min_bytes, size_t max_bytes, bool identifier);

//  Checks a name (of a client, legal entity, person, manager or segment)
//  with crmq_name_valid: no control characters (C0, DEL, C1, line
//  separators), no bidirectional embeddings, overrides or isolates, not
//  blank.  On failure fills the reply with INVALID_ARGUMENT naming `field`
//  ("client.name is blank") and returns false.
bool contacts_check_name (crmq_reply_t *reply, const char *field, const char *value,
                          size_t min_bytes, size_t max_bytes);

//  As contacts_check with field "<prefix>[index].<name>"; identifiers are
//  the names ending in "external_id".
bool contacts_check_item (crmq_reply_t *reply, const char *prefix, size_t index, const char *name,
                          const char *value, size_t min_bytes, size_t max_bytes);

//  Replies with the status and one-line message of the last failed statement.
//  Returns the status.
int contacts_db_error (contacts_server_t *self, crmq_reply_t *reply);

//  Names the actor the audit trail records for the rest of the current
//  transaction ("" = "system").  Returns 0, or -1 after a failed statement.
int contacts_set_actor (crmq_pg_t *pg, const char *actor);

//  Writes `id` as decimal text into buf (24 bytes suffice), for a query
//  parameter.  Returns buf.
char *contacts_id_text (int64_t id, char *buf, size_t size);

//  True when `value` is one of the NULL-terminated `allowed`.
bool contacts_one_of (const char *value, const char *const *allowed);

//  True when `text` is a real calendar date written exactly YYYY-MM-DD
//  (years 0001..9999), so that "2025-02-30" is refused.  Dates written this
//  way also compare as text in calendar order.
bool contacts_date_valid (const char *text);

//  Checks an e-mail address: 3..254 bytes, no blanks or control
//  characters, none of , ; < >; exactly one '@'; a local part of 1..64
//  bytes that neither begins nor ends with '.' nor holds ".."; a domain of
//  two or more labels separated by single dots (no empty label: no leading,
//  trailing or doubled dot), each label of letters, digits and '-', not
//  beginning or ending with '-'.  Bytes above ASCII count as letters, so
//  internationalised addresses ("продажи@пример.рф") pass; the caller
//  checks the text is UTF-8.
bool contacts_email_valid (const char *email);

//  Normalises a phone as entered to E.164 into buf (CRMQ_PHONE_E164_MAX
//  bytes suffice) for a client in `country` (as written: "Germany", "DE",
//  "Россия"; crmq_phone_region): numbers without a country code are read in
//  that country's region, or in the service's default region
//  (CRMQ_DEFAULT_COUNTRY) when `country` is NULL, empty or names no country.
//  Returns 0, or -1 when it is not a phone number there.
int contacts_phone_e164 (contacts_server_t *self, const char *country, const char *phone,
                         char *buf, size_t size);

//  Names, for an error message, the country a phone without its country
//  code is read in (contacts_phone_e164): 'the client's country "Germany"',
//  or 'the default country RU' when `country` names none.  Returns buf.
const char *contacts_phone_where (contacts_server_t *self, const char *country, char *buf,
                                  size_t size);

//  Self-test of the checks above (e-mail addresses, dates).
void contacts_common_test (bool verbose);

//  Columns of a client row, for SELECT ... FROM contacts.clients c
//  LEFT JOIN contacts.managers m ON m.id = c.manager_id; read them with
//  contacts_client_from_row.
#define CONTACTS_CLIENT_COLUMNS \
    "c.id, c.external_id, c.name, c.legal_name, c.country, c.region, c.city, c.address," \
    " c.postal_code, c.phone, c.email, c.category, c.source, coalesce (c.manager_id, 0)," \
    " (extract (epoch FROM c.created_at) * 1000000)::bigint," \
    " (extract (epoch FROM c.updated_at) * 1000000)::bigint," \
    " coalesce (m.external_id, ''), c.kind, c.tax_id, array_to_string (c.tags, E'\\x1f')," \
    " c.status, coalesce (to_char (c.relationship_since, 'YYYY-MM-DD'), '')," \
    " c.attributes::text, c.version, c.phone_e164"
#define CONTACTS_CLIENT_FROM \
    " FROM contacts.clients c LEFT JOIN contacts.managers m ON m.id = c.manager_id"
#define CONTACTS_CLIENT_NCOLUMNS 25

//  Fills `client` from CONTACTS_CLIENT_COLUMNS starting at column `first` of
//  row `row`.  The strings point into `result`, which must outlive the
//  message; the tags array is allocated: free it with contacts_client_clear.
void contacts_client_from_row (Crmq__Client *client, PGresult *result, int row, int first);

//  Frees what contacts_client_from_row allocated.
void contacts_client_clear (Crmq__Client *client);

//  Replies ListClientsReply with the clients of `result` (rows of
//  CONTACTS_CLIENT_COLUMNS from column 0, selected with limit + 1 rows: a
//  row past `limit` says there are more, and next_after_id is then the last
//  id replied).  `result` stays the caller's.  Returns the reply's code.
int contacts_reply_clients (PGresult *result, int limit, crmq_reply_t *reply);

//  SQL: a recursive CTE "chain (id, depth)" that follows contacts.merges
//  from the rows of `seed` (a SELECT of (id, 0)) to the survivors, up to 64
//  merges deep; the row of the greatest depth is a client's survivor (itself
//  when never merged).
#define CONTACTS_MERGE_CHAIN(seed) \
    "WITH RECURSIVE chain (id, depth) AS (" seed \
    "  UNION ALL" \
    "  SELECT m.survivor_id, chain.depth + 1 FROM contacts.merges m" \
    "    JOIN chain ON m.merged_id = chain.id WHERE chain.depth < 64)"

//  Runs `fn` (a write's body) in a transaction with crmq_pg_transaction.
//  Returns 0 when it committed (the reply is the caller's to give, unless
//  `fn` gave it), the status `fn` returned after crmq_reply_error (rolled
//  back), or, after a failed statement, its status after replying it
//  (contacts_db_error).
int contacts_transaction (contacts_server_t *self, crmq_pg_tx_fn *fn, void *arg,
                          crmq_reply_t *reply);

//  Begins a write that takes a request key, first in its transaction body:
//  names the actor (contacts_set_actor), then claims `key` for `method`
//  (contacts_request_key_claim, whose answer it returns: 1 do the write, 0
//  done before and replied again, a positive status after crmq_reply_error,
//  -1 after a failed statement).
int contacts_write_begin (crmq_pg_t *pg, const char *actor, const char *key, const char *method,
                          const ProtobufCMessageDescriptor *answer_type, crmq_reply_t *reply);

//  Ends such a write inside its transaction: keeps `answer` for `key`
//  (contacts_request_key_finish) and replies it.  Returns 0, or -1 after a
//  failed statement (nothing replied).
int contacts_write_reply (crmq_pg_t *pg, const char *key, const ProtobufCMessage *answer,
                          crmq_reply_t *reply);

//  How contacts_client_lock holds a client's row until the transaction ends.
typedef enum {
    //  FOR NO KEY UPDATE: for a write that attaches a person, channel or
    //  interaction to the client; its trigger bumps the client's version,
    //  which takes this lock anyway, so two such writes queue instead of
    //  deadlocking on a lock taken weaker first
    CONTACTS_LOCK_ATTACH,
    //  FOR UPDATE: for a write that updates the client's own row (its
    //  external id, a key, included)
    CONTACTS_LOCK_UPDATE
} contacts_lock_t;

//  Locks client `client_id` for a write and checks it can take one; call it
//  in the write's transaction before anything is written.  MergeClients
//  locks both its clients FOR UPDATE, so such a write and a merge of its
//  client serialise: the write waits for the merge and is then refused, or
//  the merge waits for the write and then moves what it attached.  Returns
//  0 when the client exists and is not merged; NOT_FOUND, or
//  FAILED_PRECONDITION naming the survivor (contacts_client_merged), after
//  replying with `field`; -1 after a failed statement.  (AddToSegment, with
//  up to 10000 clients, locks them in one statement FOR SHARE, since a
//  membership bumps no version, and refuses a merged one the same way.)
int contacts_client_lock (crmq_pg_t *pg, int64_t client_id, contacts_lock_t lock,
                          crmq_reply_t *reply, const char *field);

//  Replies FAILED_PRECONDITION with `field` for the merged client
//  `client_id` (decimal text), naming its survivor (the end of its chain of
//  merges): "client 7 was merged into client 3: use 3".  Returns the code,
//  or -1 after a failed statement (nothing replied).
int contacts_client_merged (crmq_pg_t *pg, const char *client_id, crmq_reply_t *reply,
                            const char *field);

//  Makes a creating write safe to resend (see "Resending writes" in
//  contacts.proto).  Call first in the write's transaction body.
//  Returns 1 when the write is to be done: the key is new (now claimed) or
//  empty; do it, call contacts_request_key_finish with the answer and reply.
//  Returns 0 when a request with this key was done before: its first reply
//  is already in `reply`; change nothing, let the transaction commit and do
//  not reply again.  Returns a positive status after crmq_reply_error (a
//  malformed key, a key used for another method), or -1 after a failed
//  statement.  `answer_type` is the reply's message type.
int contacts_request_key_claim (crmq_pg_t *pg, const char *key, const char *method,
                                const ProtobufCMessageDescriptor *answer_type,
                                crmq_reply_t *reply);

//  Stores the reply of a claimed key (no-op for an empty key).  Returns 0, or
//  -1 after a failed statement.
int contacts_request_key_finish (crmq_pg_t *pg, const char *key, const ProtobufCMessage *answer);

//  Joins the method tables of the handler files into the service's table
//  (built once; owned by the module).
const crmq_rpc_method_t *contacts_methods (void);

#endif

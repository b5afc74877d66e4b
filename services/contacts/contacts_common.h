/*  contacts_common.h - what the handlers of crmq-contacts share: their state,
    input limits and checks, the audit actor, and reading clients from rows.  */
#ifndef CONTACTS_COMMON_H_INCLUDED
#define CONTACTS_COMMON_H_INCLUDED

#include "crmq.h"
#include "client_card_cache.h"

#define CONTACTS_MAX_BATCH   10000       //  clients or managers in one upsert
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

//  Checks a text field (`identifier`: no control characters at all).  On
//  failure fills the reply with INVALID_ARGUMENT naming `field` and returns false.
bool contacts_check (crmq_reply_t *reply, const char *field, const char *value,
                     size_t min_bytes, size_t max_bytes, bool identifier);

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

//  Checks an e-mail address (one @, a dotted domain, no spaces, 3..254 bytes).
bool contacts_email_valid (const char *email);

//  Normalises a phone as entered to E.164 into buf (with the service's
//  default region).  Returns 0, or -1 when it is not a phone number.
int contacts_phone_e164 (contacts_server_t *self, const char *phone, char *buf, size_t size);

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

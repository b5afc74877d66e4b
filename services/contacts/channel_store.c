/*  channel_store.c - a channel of a client or person written once, its
    primary flag kept unique; see channel_store.h.  */
#include "channel_store.h"

static const char *SQL_CLIENT_COUNTRY =
    "SELECT country FROM contacts.clients WHERE id = $1::bigint";

//  The owner's channel of this type with the same number or address: E.164
//  for phones, lower case for e-mails, the value as entered otherwise.
//  $1 client, $2 person (0 = the client's own), $3 type, $4 E.164, $5 value.
static const char *SQL_FIND_CHANNEL =
    "SELECT id FROM contacts.channels"
    " WHERE client_id = $1::bigint AND coalesce (person_id, 0) = $2::bigint AND type = $3::text"
    "   AND CASE $3::text WHEN 'phone' THEN normalized = $4::text"
    "                     WHEN 'email' THEN normalized = lower ($5::text)"
    "                     ELSE value = $5::text END"
    " ORDER BY id LIMIT 1";

//  The owner's primary channel of the type.  $1 client, $2 person, $3 type.
static const char *SQL_FIND_PRIMARY =
    "SELECT id FROM contacts.channels"
    " WHERE client_id = $1::bigint AND coalesce (person_id, 0) = $2::bigint AND type = $3::text"
    "   AND is_primary";

//  Clears the primary flag of the owner's other channels of the type
//  ($4: the channel that keeps or takes it, 0 = none yet).
static const char *SQL_CLEAR_PRIMARY =
    "UPDATE contacts.channels SET is_primary = false"
    " WHERE client_id = $1::bigint AND coalesce (person_id, 0) = $2::bigint AND type = $3::text"
    "   AND is_primary AND id <> $4::bigint";

//  $1 client, $2 person, $3 type, $4 kind, $5 value, $6 E.164, $7 primary.
static const char *SQL_INSERT_CHANNEL =
    "INSERT INTO contacts.channels (client_id, person_id, type, kind, value, normalized, is_primary)"
    " VALUES ($1::bigint, nullif ($2::bigint, 0), $3::text, $4::text, $5::text,"
    "         CASE $3::text WHEN 'phone' THEN $6::text WHEN 'email' THEN lower ($5::text) ELSE '' END,"
    "         $7::boolean)"
    " RETURNING id";

//  An existing channel written again takes the kind ($2, NULL keeps it)
//  and, when asked, the primary flag; nothing is written when neither changes.
static const char *SQL_UPDATE_CHANNEL =
    "UPDATE contacts.channels SET kind = coalesce ($2::text, kind),"
    "       is_primary = is_primary OR $3::boolean"
    " WHERE id = $1::bigint"
    "   AND (kind <> coalesce ($2::text, kind) OR (NOT is_primary AND $3::boolean))";

//  The primary channel $1 takes another value ($2, E.164 $3) and kind ($4,
//  NULL keeps it).
static const char *SQL_REPLACE_CHANNEL =
    "UPDATE contacts.channels SET value = $2::text,"
    "       normalized = CASE type WHEN 'phone' THEN $3::text WHEN 'email' THEN lower ($2::text)"
    "                    ELSE '' END,"
    "       kind = coalesce ($4::text, kind)"
    " WHERE id = $1::bigint";

int
channel_store_phone (crmq_pg_t *pg, contacts_server_t *self, const char *client_id,
                     const char *phone, char *e164, size_t size, crmq_reply_t *reply,
                     const char *field)
{
    const char *values [1] = { client_id };
    PGresult *result = crmq_pg_exec (pg, SQL_CLIENT_COUNTRY, 1, values);
    if (!result)
        return -1;
    char country [CONTACTS_MAX_FIELD + 1] = "";
    if (PQntuples (result))
        snprintf (country, sizeof country, "%s", PQgetvalue (result, 0, 0));
    PQclear (result);
    if (contacts_phone_e164 (self, country, phone, e164, size) == 0)
        return 0;
    char where [CONTACTS_MAX_FIELD + 64];
    return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field,
                             "%s is not a phone number of %s: give its country code (+...)",
                             field, contacts_phone_where (self, country, where, sizeof where));
}

//  The id the statement `sql` (parameters `values`) returns into id, or ""
//  when it returns none.  Returns 0, or -1.
static int
s_id_of (crmq_pg_t *pg, const char *sql, int nparams, const char *const *values, char *id,
         size_t size)
{
    PGresult *result = crmq_pg_exec (pg, sql, nparams, values);
    if (!result)
        return -1;
    snprintf (id, size, "%s", PQntuples (result)? PQgetvalue (result, 0, 0): "");
    PQclear (result);
    return 0;
}

int
channel_store_put (crmq_pg_t *pg, const channel_store_put_t *c, char *id, size_t size)
{
    const char *find [5] = { c->client_id, c->person_id, c->type, c->e164, c->value };
    if (s_id_of (pg, SQL_FIND_CHANNEL, 5, find, id, size) != 0)
        return -1;
    bool replace = false;
    if (!*id && c->replace_primary) {
        if (s_id_of (pg, SQL_FIND_PRIMARY, 3, find, id, size) != 0)
            return -1;
        replace = *id != 0;
    }
    const char *primary = c->primary? "true": "false";
    if (c->primary) {                       //  before: one primary per owner and type
        const char *values [4] = { c->client_id, c->person_id, c->type, *id? id: "0" };
        if (crmq_pg_command (pg, SQL_CLEAR_PRIMARY, 4, values) != 0)
            return -1;
    }
    if (replace) {
        const char *values [4] = { id, c->value, c->e164, c->kind };
        return crmq_pg_command (pg, SQL_REPLACE_CHANNEL, 4, values);
    }
    if (*id) {
        const char *values [3] = { id, c->kind, primary };
        return crmq_pg_command (pg, SQL_UPDATE_CHANNEL, 3, values);
    }
    const char *values [7] = { c->client_id, c->person_id, c->type, c->kind? c->kind: "work",
                               c->value, c->e164, primary };
    return s_id_of (pg, SQL_INSERT_CHANNEL, 7, values, id, size);
}

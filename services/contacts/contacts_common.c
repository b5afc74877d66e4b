/*  contacts_common.c - shared by the handlers of crmq-contacts; see contacts_common.h.  */
#include "contacts_common.h"
#include "crmq_request_key.h"
#include "crmq_phone.h"
#include "client_upsert.h"
#include "client_card.h"
#include "interaction_log.h"
#include "client_search.h"
#include "segment_store.h"

ProtobufCMessage *
contacts_request_unpack (const ProtobufCMessageDescriptor *type, const uint8_t *body, size_t size,
                         crmq_reply_t *reply)
{
    ProtobufCMessage *request = crmq_message_unpack (type, body, size);
    if (!request)
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, NULL, "malformed %s", type->short_name);
    return request;
}

bool
contacts_check (crmq_reply_t *reply, const char *field, const char *value,
                size_t min_bytes, size_t max_bytes, bool identifier)
{
    char why [64];
    if (identifier? crmq_id_valid (value, min_bytes, max_bytes, why, sizeof why)
                  : crmq_text_valid (value, min_bytes, max_bytes, why, sizeof why))
        return true;
    crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field, "%s %s", field, why);
    return false;
}

bool
contacts_check_name (crmq_reply_t *reply, const char *field, const char *value,
                     size_t min_bytes, size_t max_bytes)
{
    char why [64];
    if (crmq_name_valid (value, min_bytes, max_bytes, why, sizeof why))
        return true;
    crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field, "%s %s", field, why);
    return false;
}

bool
contacts_check_item (crmq_reply_t *reply, const char *prefix, size_t index, const char *name,
                     const char *value, size_t min_bytes, size_t max_bytes)
{
    char field [128];
    snprintf (field, sizeof field, "%s[%zu].%s", prefix, index, name);
    size_t length = strlen (name);
    bool identifier = length >= 11 && streq (name + length - 11, "external_id");
    return contacts_check (reply, field, value, min_bytes, max_bytes, identifier);
}

int
contacts_db_error (contacts_server_t *self, crmq_reply_t *reply)
{
    return crmq_reply_error (reply, crmq_pg_status (self->pg), NULL, "%s",
                             crmq_pg_error (self->pg));
}

int
contacts_set_actor (crmq_pg_t *pg, const char *actor)
{
    const char *values [1] = { actor? actor: "" };
    PGresult *result = crmq_pg_exec (pg, "SELECT set_config ('crmq.actor', $1, true)", 1, values);
    if (!result)
        return -1;
    PQclear (result);
    return 0;
}

char *
contacts_id_text (int64_t id, char *buf, size_t size)
{
    snprintf (buf, size, "%" PRId64, id);
    return buf;
}

bool
contacts_one_of (const char *value, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (streq (value, *allowed))
            return true;
    return false;
}

bool
contacts_date_valid (const char *text)
{
    if (strlen (text) != 10 || text [4] != '-' || text [7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (text [i] < '0' || text [i] > '9'))
            return false;
    int year = atoi (text), month = atoi (text + 5), day = atoi (text + 8);
    static const int days [12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (year < 1 || month < 1 || month > 12 || day < 1)
        return false;
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return day <= days [month - 1] + (month == 2 && leap);
}

bool
contacts_email_valid (const char *email)
{
    size_t length = strlen (email);
    if (length < 3 || length > 254)
        return false;
    const char *at = strchr (email, '@');
    if (!at || at == email || strchr (at + 1, '@') || at - email > 64)
        return false;
    for (const unsigned char *s = (const unsigned char *) email; *s; s++)
        if (*s <= ' ' || *s == 0x7f || *s == ',' || *s == ';' || *s == '<' || *s == '>')
            return false;
    //  the local part: no dot first or last, no two in a row
    if (email [0] == '.' || at [-1] == '.')
        return false;
    for (const char *s = email; s < at; s++)
        if (s [0] == '.' && s [1] == '.')
            return false;
    //  the domain: labels of letters (any above ASCII), digits and '-',
    //  neither beginning nor ending with '-', separated by single dots
    const char *label = at + 1;
    int labels = 0;
    for (const char *s = at + 1;; s++) {
        if (*s == '.' || *s == 0) {
            if (s == label || label [0] == '-' || s [-1] == '-')
                return false;               //  empty, or '-' at an end
            labels++;
            if (*s == 0)
                break;
            label = s + 1;
        }
        else
        if (isascii ((unsigned char) *s) && !isalnum ((unsigned char) *s) && *s != '-')
            return false;
    }
    return labels >= 2;
}

int
contacts_phone_e164 (contacts_server_t *self, const char *country, const char *phone,
                     char *buf, size_t size)
{
    char region [CRMQ_PHONE_REGION_MAX];
    if (!country || !*country || crmq_phone_region (country, region, sizeof region) != 0)
        snprintf (region, sizeof region, "%s", self->default_region);
    return crmq_phone_e164 (phone, region, buf, size);
}

const char *
contacts_phone_where (contacts_server_t *self, const char *country, char *buf, size_t size)
{
    char region [CRMQ_PHONE_REGION_MAX];
    if (*country && crmq_phone_region (country, region, sizeof region) == 0)
        snprintf (buf, size, "the client's country \"%s\"", country);
    else
        snprintf (buf, size, "the default country %s", self->default_region);
    return buf;
}

void
contacts_client_from_row (Crmq__Client *client, PGresult *result, int row, int first)
{
    crmq__client__init (client);
    int k = first;
    client->id = strtoll (PQgetvalue (result, row, k++), NULL, 10);
    client->external_id = PQgetvalue (result, row, k++);
    client->name = PQgetvalue (result, row, k++);
    client->legal_name = PQgetvalue (result, row, k++);
    client->country = PQgetvalue (result, row, k++);
    client->region = PQgetvalue (result, row, k++);
    client->city = PQgetvalue (result, row, k++);
    client->address = PQgetvalue (result, row, k++);
    client->postal_code = PQgetvalue (result, row, k++);
    client->phone = PQgetvalue (result, row, k++);
    client->email = PQgetvalue (result, row, k++);
    client->category = PQgetvalue (result, row, k++);
    client->source = PQgetvalue (result, row, k++);
    client->manager_id = strtoll (PQgetvalue (result, row, k++), NULL, 10);
    client->created_at_us = strtoll (PQgetvalue (result, row, k++), NULL, 10);
    client->updated_at_us = strtoll (PQgetvalue (result, row, k++), NULL, 10);
    client->manager_external_id = PQgetvalue (result, row, k++);
    client->kind = PQgetvalue (result, row, k++);
    client->tax_id = PQgetvalue (result, row, k++);
    //  tags joined by the unit separator, which a tag cannot hold
    char *tags = PQgetvalue (result, row, k++);
    if (*tags) {
        size_t count = 1;
        for (const char *s = tags; *s; s++)
            count += *s == '\x1f';
        client->tags = (char **) zmalloc (count * sizeof (char *));
        char *rest = tags;
        while (rest) {
            client->tags [client->n_tags++] = rest;
            rest = strchr (rest, '\x1f');
            if (rest)
                *rest++ = 0;        //  the text belongs to `result`, read once
        }
    }
    client->status = PQgetvalue (result, row, k++);
    client->relationship_since = PQgetvalue (result, row, k++);
    client->attributes_json = PQgetvalue (result, row, k++);
    client->version = strtoll (PQgetvalue (result, row, k++), NULL, 10);
    client->phone_e164 = PQgetvalue (result, row, k++);
    assert (k - first == CONTACTS_CLIENT_NCOLUMNS);
}

void
contacts_client_clear (Crmq__Client *client)
{
    free (client->tags);
    client->tags = NULL;
    client->n_tags = 0;
}

int
contacts_reply_clients (PGresult *result, int limit, crmq_reply_t *reply)
{
    int rows = PQntuples (result);
    bool more = rows > limit;
    if (more)
        rows = limit;
    Crmq__Client *clients = (Crmq__Client *) zmalloc ((rows? rows: 1) * sizeof (Crmq__Client));
    Crmq__Client **pointers = (Crmq__Client **) zmalloc ((rows? rows: 1) * sizeof (Crmq__Client *));
    for (int row = 0; row < rows; row++) {
        contacts_client_from_row (&clients [row], result, row, 0);
        pointers [row] = &clients [row];
    }
    Crmq__ListClientsReply answer = CRMQ__LIST_CLIENTS_REPLY__INIT;
    answer.n_clients = (size_t) rows;
    answer.clients = pointers;
    answer.next_after_id = more? clients [rows - 1].id: 0;
    int code = crmq_reply_ok (reply, &answer.base);
    for (int row = 0; row < rows; row++)
        contacts_client_clear (&clients [row]);
    free (pointers);
    free (clients);
    return code;
}

int
contacts_transaction (contacts_server_t *self, crmq_pg_tx_fn *fn, void *arg, crmq_reply_t *reply)
{
    int rc = crmq_pg_transaction (self->pg, fn, arg);
    return rc < 0? contacts_db_error (self, reply): rc;
}

int
contacts_write_begin (crmq_pg_t *pg, const char *actor, const char *key, const char *method,
                      const ProtobufCMessageDescriptor *answer_type, crmq_reply_t *reply)
{
    if (contacts_set_actor (pg, actor) != 0)
        return -1;
    return contacts_request_key_claim (pg, key, method, answer_type, reply);
}

int
contacts_write_reply (crmq_pg_t *pg, const char *key, const ProtobufCMessage *answer,
                      crmq_reply_t *reply)
{
    if (contacts_request_key_finish (pg, key, answer) != 0)
        return -1;
    crmq_reply_ok (reply, answer);
    return 0;
}

static const char *SQL_LOCK_CLIENT_ATTACH =
    "SELECT status FROM contacts.clients WHERE id = $1::bigint FOR NO KEY UPDATE";
static const char *SQL_LOCK_CLIENT_UPDATE =
    "SELECT status FROM contacts.clients WHERE id = $1::bigint FOR UPDATE";
static const char *SQL_SURVIVOR =
    CONTACTS_MERGE_CHAIN ("SELECT $1::bigint, 0")
    " SELECT id FROM chain ORDER BY depth DESC LIMIT 1";

int
contacts_client_lock (crmq_pg_t *pg, int64_t client_id, contacts_lock_t lock,
                      crmq_reply_t *reply, const char *field)
{
    char id [24];
    const char *values [1] = { contacts_id_text (client_id, id, sizeof id) };
    PGresult *result = crmq_pg_exec (pg, lock == CONTACTS_LOCK_UPDATE? SQL_LOCK_CLIENT_UPDATE
                                                                     : SQL_LOCK_CLIENT_ATTACH,
                                     1, values);
    if (!result)
        return -1;
    if (PQntuples (result) == 0) {
        PQclear (result);
        return crmq_reply_error (reply, CRMQ_NOT_FOUND, field, "no client with id %s", id);
    }
    bool merged = streq (PQgetvalue (result, 0, 0), "merged");
    PQclear (result);
    return merged? contacts_client_merged (pg, id, reply, field): 0;
}

int
contacts_client_merged (crmq_pg_t *pg, const char *client_id, crmq_reply_t *reply,
                        const char *field)
{
    const char *values [1] = { client_id };
    PGresult *result = crmq_pg_exec (pg, SQL_SURVIVOR, 1, values);
    if (!result)
        return -1;
    char survivor [24] = "?";
    if (PQntuples (result))
        snprintf (survivor, sizeof survivor, "%s", PQgetvalue (result, 0, 0));
    PQclear (result);
    return crmq_reply_error (reply, CRMQ_FAILED_PRECONDITION, field,
                             "client %s was merged into client %s: use %s",
                             client_id, survivor, survivor);
}

//  the request keys of crmq-contacts (crmq_request_key.h)
static const crmq_request_keys_t s_request_keys = {
    .claim = "INSERT INTO contacts.request_keys (key, method) VALUES ($1, $2)"
             " ON CONFLICT (key) DO NOTHING RETURNING key",
    .seen = "SELECT method, reply FROM contacts.request_keys WHERE key = $1",
    .finish = "UPDATE contacts.request_keys SET reply = $2::bytea WHERE key = $1",
    //  a few expired keys go with every claim, so the table stays small
    .expire = "DELETE FROM contacts.request_keys WHERE key IN ("
              "  SELECT key FROM contacts.request_keys"
              "   WHERE created_at < now () - interval '7 days' LIMIT 100)"
};

int
contacts_request_key_claim (crmq_pg_t *pg, const char *key, const char *method,
                            const ProtobufCMessageDescriptor *answer_type, crmq_reply_t *reply)
{
    return crmq_request_key_claim (pg, &s_request_keys, key, method, answer_type, reply);
}

int
contacts_request_key_finish (crmq_pg_t *pg, const char *key, const ProtobufCMessage *answer)
{
    return crmq_request_key_finish (pg, &s_request_keys, key, answer);
}

const crmq_rpc_method_t *
contacts_methods (void)
{
    static crmq_rpc_method_t methods [64];
    if (methods [0].name)
        return methods;
    const crmq_rpc_method_t *tables [] = {
        client_upsert_methods, client_card_methods, interaction_log_methods,
        client_search_methods, segment_store_methods
    };
    size_t count = 0;
    for (size_t t = 0; t < sizeof tables / sizeof tables [0]; t++)
        for (const crmq_rpc_method_t *m = tables [t]; m->name; m++) {
            assert (count + 1 < sizeof methods / sizeof methods [0]);
            methods [count++] = *m;
        }
    return methods;
}

void
contacts_common_test (bool verbose)
{
    if (verbose)
        printf (" * contacts_common: ");
    const char *good [] = {
        "a@b.ru", "Info@Example.com", "first.last@example.co.uk", "a+tag@mail-1.example.org",
        "o'brien@example.ie", "продажи@пример.рф", "Продажи@Пример.РФ", "x@xn--e1afmkfd.xn--p1ai",
        "a@b-c.d-e.ru", "1@2.3", NULL
    };
    for (const char **e = good; *e; e++)
        assert (contacts_email_valid (*e));
    const char *bad [] = {
        "", "a@", "@b.ru", "ab.ru", "a@b", "a@@b.ru", "a@b@c.ru", "a b@c.ru", "a@b .ru",
        "a@b..ru", "a@.b.ru", "a@b.ru.", "a@b.", "a@.", ".a@b.ru", "a.@b.ru", "a..b@c.ru",
        "a@-b.ru", "a@b-.ru", "a@b.-ru", "a@b.ru-", "a@b_c.ru", "a@[1.2.3.4]", "a@b!.ru",
        "a,b@c.ru", "<a@b.ru>", "a@b.ru;", "a\t@b.ru", "a@b\x7f.ru", NULL
    };
    for (const char **e = bad; *e; e++)
        assert (!contacts_email_valid (*e));
    char local [80];
    memset (local, 'x', 64);
    snprintf (local + 64, sizeof local - 64, "@b.ru");
    assert (contacts_email_valid (local));
    memmove (local + 1, local, strlen (local) + 1);
    assert (!contacts_email_valid (local));     //  65 bytes before the '@'

    assert (contacts_date_valid ("2024-02-29"));
    assert (!contacts_date_valid ("2023-02-29"));
    assert (!contacts_date_valid ("2025-13-01"));
    assert (!contacts_date_valid ("2025-1-01"));
    assert (contacts_date_valid ("9999-12-31"));    //  a date; "not in the future" is the caller's
    if (verbose)
        printf ("OK\n");
}

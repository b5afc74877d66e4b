/*  deal_common.c - shared by the deal and pipeline handlers; see deal_common.h.  */
#include "deal_common.h"

ProtobufCMessage *
deal_request_unpack (const ProtobufCMessageDescriptor *type, const uint8_t *body, size_t size,
                     crmq_reply_t *reply)
{
    ProtobufCMessage *request = crmq_message_unpack (type, body, size);
    if (!request)
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, NULL,
                          "malformed %s (or a string holding a NUL byte)", type->short_name);
    return request;
}

bool
deal_check (crmq_reply_t *reply, const char *field, const char *value,
            size_t min_bytes, size_t max_bytes, deal_text_t kind)
{
    char why [64];
    bool valid = kind == DEAL_NAME? crmq_name_valid (value, min_bytes, max_bytes, why, sizeof why)
               : kind == DEAL_ID?   crmq_id_valid (value, min_bytes, max_bytes, why, sizeof why)
               :                    crmq_text_valid (value, min_bytes, max_bytes, why, sizeof why);
    if (!valid)
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field, "%s %s", field, why);
    return valid;
}

bool
deal_check_actor (crmq_reply_t *reply, const char *actor)
{
    return deal_check (reply, "actor", actor, 0, DEAL_MAX_ACTOR, DEAL_ID);
}

bool
deal_check_id (crmq_reply_t *reply, const char *field, int64_t id)
{
    if (id >= 0)
        return true;
    crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field, "%s must be 0 (none) or an id", field);
    return false;
}

bool
deal_date_valid (const char *text)
{
    int64_t us;
    return strlen (text) == 10 && text [4] == '-' && text [7] == '-'
        && strcmp (text, "1900-01-01") >= 0 && strcmp (text, "2199-12-31") <= 0
        && crmq_time_parse (text, NULL, &us) == 0;
}

char *
deal_id_text (int64_t id, char *buf, size_t size)
{
    snprintf (buf, size, "%" PRId64, id);
    return buf;
}

void
deal_decimal_read (const char *text, int64_t *units, int32_t *nanos)
{
    if (crmq_decimal_parse (text, units, nanos) != 0) {
        *units = 0;
        *nanos = 0;
    }
}

int64_t
deal_int_read (PGresult *result, int row, int column)
{
    return strtoll (PQgetvalue (result, row, column), NULL, 10);
}

int
deal_db_error (crmq_pg_t *pg, crmq_reply_t *reply)
{
    return crmq_reply_error (reply, crmq_pg_status (pg), NULL, "%s", crmq_pg_error (pg));
}

int
deal_transaction (crmq_pg_t *pg, crmq_pg_tx_fn *fn, void *arg, crmq_reply_t *reply)
{
    int rc = crmq_pg_transaction (pg, fn, arg);
    return rc < 0? deal_db_error (pg, reply): rc;
}

const crmq_request_keys_t deal_request_keys = {
    .claim = "INSERT INTO sales.request_keys (key, method) VALUES ($1, $2)"
             " ON CONFLICT (key) DO NOTHING RETURNING key",
    .seen = "SELECT method, reply FROM sales.request_keys WHERE key = $1",
    .finish = "UPDATE sales.request_keys SET reply = $2::bytea WHERE key = $1",
    //  a few expired keys go with every claim, so the table stays small
    .expire = "DELETE FROM sales.request_keys WHERE key IN ("
              "  SELECT key FROM sales.request_keys"
              "   WHERE created_at < now () - interval '7 days' LIMIT 100)"
};

void
deal_common_test (bool verbose)
{
    if (verbose)
        printf (" * deal_common: ");
    assert (deal_date_valid ("2024-02-29"));
    assert (deal_date_valid ("1900-01-01"));
    assert (deal_date_valid ("2199-12-31"));
    assert (!deal_date_valid ("2023-02-29"));
    assert (!deal_date_valid ("2025-02-30"));
    assert (!deal_date_valid ("2025-13-01"));
    assert (!deal_date_valid ("2025-1-01"));
    assert (!deal_date_valid ("1899-12-31"));
    assert (!deal_date_valid ("2200-01-01"));
    assert (!deal_date_valid ("2025-01-01 10:00"));
    assert (!deal_date_valid (""));
    int64_t units;
    int32_t nanos;
    deal_decimal_read ("0.700000000", &units, &nanos);
    assert (units == 0 && nanos == 700000000);
    deal_decimal_read ("garbage", &units, &nanos);
    assert (units == 0 && nanos == 0);
    if (verbose)
        printf ("OK\n");
}

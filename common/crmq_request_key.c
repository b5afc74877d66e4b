/*  crmq_request_key.c - request keys; see crmq_request_key.h.  */
#include "crmq.h"
#include "crmq_request_key.h"

//  Replies the first reply kept under the key (row 0 of `seen`: method,
//  reply) when it was for `method`.  Returns 0, or the error code replied.
static int
s_reply_again (PGresult *seen, const char *method, const ProtobufCMessageDescriptor *answer_type,
               crmq_reply_t *reply)
{
    if (PQntuples (seen) == 0 || !streq (PQgetvalue (seen, 0, 0), method))
        return crmq_reply_error (reply, CRMQ_ALREADY_EXISTS, "request_key",
                                 "request_key was used for another request");
    //  the stored reply comes as bytea text (\x...): unescape it
    size_t size = 0;
    unsigned char *packed = PQunescapeBytea ((const unsigned char *) PQgetvalue (seen, 0, 1), &size);
    ProtobufCMessage *answer = packed
        ? protobuf_c_message_unpack (answer_type, NULL, size, packed): NULL;
    int rc = 0;
    if (answer) {
        crmq_reply_ok (reply, answer);
        protobuf_c_message_free_unpacked (answer, NULL);
    }
    else
        rc = crmq_reply_error (reply, CRMQ_INTERNAL, "request_key",
                               "the first reply to this request_key cannot be read");
    PQfreemem (packed);
    return rc;
}

int
crmq_request_key_claim (crmq_pg_t *pg, const crmq_request_keys_t *sql, const char *key,
                        const char *method, const ProtobufCMessageDescriptor *answer_type,
                        crmq_reply_t *reply)
{
    if (!key || !*key)
        return 1;
    char why [64];
    if (!crmq_id_valid (key, 8, 100, why, sizeof why))
        return crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "request_key", "request_key %s", why);
    if (crmq_pg_command (pg, sql->expire, 0, NULL) != 0)
        return -1;
    const char *values [2] = { key, method };
    PGresult *result = crmq_pg_exec (pg, sql->claim, 2, values);
    if (!result)
        return -1;
    bool claimed = PQntuples (result) == 1;
    PQclear (result);
    if (claimed)
        return 1;
    result = crmq_pg_exec (pg, sql->seen, 1, values);
    if (!result)
        return -1;
    int rc = s_reply_again (result, method, answer_type, reply);
    PQclear (result);
    return rc;
}

int
crmq_request_key_finish (crmq_pg_t *pg, const crmq_request_keys_t *sql, const char *key,
                         const ProtobufCMessage *answer)
{
    if (!key || !*key)
        return 0;
    size_t size = protobuf_c_message_get_packed_size (answer);
    uint8_t *packed = (uint8_t *) malloc (size? size: 1);
    protobuf_c_message_pack (answer, packed);
    const char *values [2] = { key, (const char *) packed };
    const int lengths [2] = { 0, (int) size };
    const int formats [2] = { 0, 1 };
    PGresult *result = crmq_pg_execv (pg, sql->finish, 2, values, lengths, formats);
    free (packed);
    if (!result)
        return -1;
    PQclear (result);
    return 0;
}

/*  crmq_outbox.c - the transactional outbox; see crmq_outbox.h.  */
#include "crmq.h"

//  the table's triggers take the seq and notify crmq-bus at commit
static const char *SQL_OUTBOX_WRITE =
    "INSERT INTO bus.outbox (topic, producer, body) VALUES ($1, $2, $3::bytea) RETURNING seq";

int64_t
crmq_outbox_write (crmq_pg_t *pg, const char *producer, const char *topic,
                   const ProtobufCMessage *event)
{
    size_t size = protobuf_c_message_get_packed_size (event);
    uint8_t *packed = (uint8_t *) malloc (size? size: 1);
    protobuf_c_message_pack (event, packed);
    const char *values [3] = { topic, producer, (const char *) packed };
    const int lengths [3] = { 0, 0, (int) size };
    const int formats [3] = { 0, 0, 1 };
    PGresult *result = crmq_pg_execv (pg, SQL_OUTBOX_WRITE, 3, values, lengths, formats);
    free (packed);
    if (!result)
        return -1;
    int64_t seq = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    PQclear (result);
    return seq;
}

/*  crmq_outbox.c - the transactional outbox; see crmq_outbox.h.  */
#include "crmq.h"

//  the table's triggers take the seq and notify crmq-bus at commit
static const char *SQL_OUTBOX_WRITE =
    "INSERT INTO bus.outbox (topic, producer, body) VALUES ($1, $2, $3::bytea) RETURNING seq";

//  Bodies travel as hex text (an array of bytea cannot be sent in text
//  format otherwise); the ordinality keeps the callers' order.
static const char *SQL_OUTBOX_WRITE_MANY =
    "WITH event AS ("
    "  INSERT INTO bus.outbox (topic, producer, body)"
    "  SELECT t.topic, $1, decode (t.body, 'hex')"
    "    FROM unnest ($2::text[], $3::text[]) WITH ORDINALITY AS t (topic, body, n)"
    "   ORDER BY t.n"
    "  RETURNING seq)"
    " SELECT count (*), pg_notify ('crmq_outbox', ($2::text[])[1]) FROM event";

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

int
crmq_outbox_write_many (crmq_pg_t *pg, const char *producer, const char *const *topics,
                        const ProtobufCMessage *const *events, size_t count)
{
    if (count == 0)
        return 0;
    crmq_pg_array_t *topic_array = crmq_pg_array_new ();
    crmq_pg_array_t *bodies = crmq_pg_array_new ();
    uint8_t *packed = NULL;
    char *hex = NULL;
    size_t capacity = 0;
    for (size_t i = 0; i < count; i++) {
        size_t size = protobuf_c_message_get_packed_size (events [i]);
        if (size + 1 > capacity) {
            capacity = 2 * size + 64;
            packed = (uint8_t *) realloc (packed, capacity);
            hex = (char *) realloc (hex, 2 * capacity + 1);
            assert (packed && hex);
        }
        protobuf_c_message_pack (events [i], packed);
        static const char digits [] = "0123456789abcdef";
        for (size_t k = 0; k < size; k++) {
            hex [2 * k] = digits [packed [k] >> 4];
            hex [2 * k + 1] = digits [packed [k] & 15];
        }
        hex [2 * size] = 0;
        crmq_pg_array_append (topic_array, topics [i]);
        crmq_pg_array_append (bodies, hex);
    }
    const char *values [3] = { producer, crmq_pg_array_text (topic_array),
                               crmq_pg_array_text (bodies) };
    PGresult *result = crmq_pg_exec (pg, SQL_OUTBOX_WRITE_MANY, 3, values);
    free (packed);
    free (hex);
    crmq_pg_array_destroy (&topic_array);
    crmq_pg_array_destroy (&bodies);
    if (!result)
        return -1;
    PQclear (result);
    return 0;
}

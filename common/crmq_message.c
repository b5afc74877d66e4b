/*  crmq_message.c - strict unpacking; see crmq_message.h.  */
#include "crmq.h"

//  Every allocation carries its size in a header of this many bytes (enough
//  to keep the returned pointer aligned for any type).
#define S_HEADER 16

static void *
s_alloc (void *allocator_data, size_t size)
{
    (void) allocator_data;
    uint8_t *block = (uint8_t *) malloc (size + S_HEADER);
    if (!block)
        return NULL;
    memcpy (block, &size, sizeof size);
    return block + S_HEADER;
}

static void
s_free (void *allocator_data, void *pointer)
{
    (void) allocator_data;
    if (pointer)
        free ((uint8_t *) pointer - S_HEADER);
}

static ProtobufCAllocator s_allocator = { s_alloc, s_free, NULL };

//  True when a string unpacked by s_alloc has no NUL before its end.
static bool
s_string_whole (const char *text, const ProtobufCFieldDescriptor *field)
{
    if (!text || text == protobuf_c_empty_string || text == field->default_value)
        return true;                //  not allocated: the field was absent
    size_t size;
    memcpy (&size, (const uint8_t *) text - S_HEADER, sizeof size);
    return strlen (text) + 1 == size;
}

//  Checks the string fields of `message` and of every message inside it.
static bool
s_strings_whole (const ProtobufCMessage *message)
{
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    const uint8_t *base = (const uint8_t *) message;
    for (unsigned i = 0; i < descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields [i];
        if (field->type != PROTOBUF_C_TYPE_STRING && field->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t count;
            memcpy (&count, base + field->quantifier_offset, sizeof count);
            void *const *items = *(void *const *const *) (base + field->offset);
            for (size_t k = 0; k < count; k++) {
                bool whole = field->type == PROTOBUF_C_TYPE_STRING
                           ? s_string_whole ((const char *) items [k], field)
                           : s_strings_whole ((const ProtobufCMessage *) items [k]);
                if (!whole)
                    return false;
            }
            continue;
        }
        if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t chosen;
            memcpy (&chosen, base + field->quantifier_offset, sizeof chosen);
            if (chosen != field->id)
                continue;
        }
        const void *value = *(const void *const *) (base + field->offset);
        if (field->type == PROTOBUF_C_TYPE_STRING) {
            if (!s_string_whole ((const char *) value, field))
                return false;
        }
        else
        if (value && !s_strings_whole ((const ProtobufCMessage *) value))
            return false;
    }
    return true;
}

ProtobufCMessage *
crmq_message_unpack (const ProtobufCMessageDescriptor *descriptor, const uint8_t *data, size_t size)
{
    ProtobufCMessage *message = protobuf_c_message_unpack (descriptor, &s_allocator, size, data);
    if (message && !s_strings_whole (message)) {
        protobuf_c_message_free_unpacked (message, &s_allocator);
        message = NULL;
    }
    return message;
}

void
crmq_message_free (ProtobufCMessage *message)
{
    if (message)
        protobuf_c_message_free_unpacked (message, &s_allocator);
}

//  Packs `message` and unpacks it again strictly.
static ProtobufCMessage *
s_round_trip (const ProtobufCMessage *message)
{
    size_t size = protobuf_c_message_get_packed_size (message);
    uint8_t *packed = (uint8_t *) malloc (size + 1);
    protobuf_c_message_pack (message, packed);
    ProtobufCMessage *copy = crmq_message_unpack (message->descriptor, packed, size);
    free (packed);
    return copy;
}

void
crmq_message_test (bool verbose)
{
    if (verbose)
        printf (" * crmq_message: ");
    //  a whole message, strings at three depths, one in a oneof
    Crmq__Decimal quantity = CRMQ__DECIMAL__INIT;
    quantity.units = 2;
    Crmq__OrderLine line = CRMQ__ORDER_LINE__INIT;
    line.product_external_id = "P1";
    line.quantity = &quantity;
    Crmq__OrderLine *lines [1] = { &line };
    Crmq__OrderPlaced order = CRMQ__ORDER_PLACED__INIT;
    order.external_id = "Ромашка";
    order.n_lines = 1;
    order.lines = lines;
    Crmq__ErpEvent event = CRMQ__ERP_EVENT__INIT;
    event.event_id = "e1";
    event.body_case = CRMQ__ERP_EVENT__BODY_ORDER_PLACED;
    event.order_placed = &order;
    Crmq__ErpEvent *events [1] = { &event };
    Crmq__IngestRequest request = CRMQ__INGEST_REQUEST__INIT;
    request.n_events = 1;
    request.events = events;
    Crmq__IngestRequest *copy = (Crmq__IngestRequest *) s_round_trip (&request.base);
    assert (copy);
    assert (streq (copy->events [0]->order_placed->lines [0]->product_external_id, "P1"));
    assert (streq (copy->events [0]->order_placed->client_external_id, ""));
    crmq_message_free (&copy->base);

    //  the same with a NUL inside a string, at each depth
    uint8_t packed [256];
    size_t size = crmq__ingest_request__pack (&request, packed);
    const char *needles [] = { "e1", "P1" };
    for (size_t k = 0; k < 2; k++) {
        uint8_t *at = (uint8_t *) memmem (packed, size, needles [k], 2);
        assert (at);
        at [1] = 0;                 //  "e\0", "P\0"
        assert (crmq_message_unpack (&crmq__ingest_request__descriptor, packed, size) == NULL);
        //  the generated unpacker takes it, cut short
        Crmq__IngestRequest *cut = crmq__ingest_request__unpack (NULL, size, packed);
        assert (cut);
        crmq__ingest_request__free_unpacked (cut, NULL);
        at [1] = (uint8_t) needles [k][1];
    }
    uint8_t *at = (uint8_t *) memmem (packed, size, "\xd0\xa0", 2);     //  "Р" of Ромашка
    assert (at);
    at [0] = 0;
    assert (crmq_message_unpack (&crmq__ingest_request__descriptor, packed, size) == NULL);
    at [0] = 0xd0;
    copy = (Crmq__IngestRequest *) crmq_message_unpack (&crmq__ingest_request__descriptor,
                                                        packed, size);
    assert (copy && streq (copy->events [0]->order_placed->external_id, "Ромашка"));
    crmq_message_free (&copy->base);

    //  not an encoding at all; empty input is an empty message
    assert (crmq_message_unpack (&crmq__ingest_request__descriptor,
                                 (const uint8_t *) "\xff\xff\xff", 3) == NULL);
    copy = (Crmq__IngestRequest *) crmq_message_unpack (&crmq__ingest_request__descriptor,
                                                        (const uint8_t *) "", 0);
    assert (copy && copy->n_events == 0);
    crmq_message_free (&copy->base);
    crmq_message_free (NULL);
    if (verbose)
        printf ("OK\n");
}

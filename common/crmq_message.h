/*  crmq_message.h - unpacking requests strictly.

    protobuf-c hands string fields over as C strings, so a string that holds
    a NUL byte on the wire would silently lose everything after it: an id
    "A\0B" would read as "A".  crmq_message_unpack unpacks with an allocator
    that remembers each allocation's size and then checks every string field,
    at any depth, is exactly as long as what arrived.                        */
#ifndef CRMQ_MESSAGE_H_INCLUDED
#define CRMQ_MESSAGE_H_INCLUDED

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Unpacks `size` bytes of `data` as a `descriptor` message.  Returns NULL
//  when the bytes are not a valid encoding or any string field holds a NUL
//  byte.  Free the result with crmq_message_free (never with the generated
//  free_unpacked, whose allocator differs).
ProtobufCMessage *crmq_message_unpack (const ProtobufCMessageDescriptor *descriptor,
                                       const uint8_t *data, size_t size);

//  Frees a message from crmq_message_unpack; NULL is allowed.
void crmq_message_free (ProtobufCMessage *message);

//  Self-test.
void crmq_message_test (bool verbose);

#endif

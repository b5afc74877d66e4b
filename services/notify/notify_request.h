/*  notify_request.h - unpacking a request of crmq-notify, answering
    INVALID_ARGUMENT ("malformed <Type>") when it does not unpack.          */
#ifndef NOTIFY_REQUEST_H_INCLUDED
#define NOTIFY_REQUEST_H_INCLUDED

#include "crmq.h"

//  Unpacks `size` bytes of `body` as a `descriptor` message (strictly:
//  crmq_message_unpack).  Returns it (free it with crmq_message_free), or
//  NULL after crmq_reply_error (INVALID_ARGUMENT) on `reply`.
ProtobufCMessage *notify_request_unpack (const ProtobufCMessageDescriptor *descriptor,
                                         const uint8_t *body, size_t size, crmq_reply_t *reply);

#endif

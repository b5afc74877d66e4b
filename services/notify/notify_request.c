/*  notify_request.c - unpacking requests; see notify_request.h.  */
#include "notify_request.h"

ProtobufCMessage *
notify_request_unpack (const ProtobufCMessageDescriptor *descriptor, const uint8_t *body,
                       size_t size, crmq_reply_t *reply)
{
    ProtobufCMessage *request = crmq_message_unpack (descriptor, body, size);
    if (!request)
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, NULL, "malformed %s", descriptor->short_name);
    return request;
}

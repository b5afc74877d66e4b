/*  crmq_event_json.h - any protobuf message as JSON, for people and scripts
    reading the event log (crmq tail, crmq-notify's webhooks).

    The message is walked through its descriptor, so every message type is
    covered without code of its own.  The JSON:
    - an object per message, keys the .proto field names ("client_id");
    - every field is present, proto3 defaults included (0, "", false, [],
      {}), so a reader never has to know the defaults; an unset message
      field is null; of a oneof only the member that is set appears;
    - integers of every width are JSON integers (int64 too); a uint64 or
      fixed64 above INT64_MAX, which a JSON integer here cannot hold, is a
      decimal string;
    - float and double are JSON numbers; NaN and infinities are the strings
      "NaN", "Infinity", "-Infinity";
    - bool is true/false; an enum is its value's name ("SELF_TEST_COLOUR_RED"),
      or its number when the .proto does not name it;
    - string is the text (it must be UTF-8); bytes are standard base64 with
      padding;
    - repeated fields are arrays; map<K, V> fields are objects whose keys are
      the keys as text ("7", "true");
    - crmq.Decimal is an exact decimal string ("0.25", "-3"), crmq.Money the
      object {"currency": "USD", "amount": "12.50"} with at least two
      fractional digits, more only when the amount has them ("0.005"):
      money is never a binary floating-point number.                        */
#ifndef CRMQ_EVENT_JSON_H_INCLUDED
#define CRMQ_EVENT_JSON_H_INCLUDED

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Unpacks `size` bytes of `body` as a `descriptor` message (strictly, see
//  crmq_message_unpack) and converts it.  Returns a new JSON object (the
//  caller json_decref's it), or NULL when the body is not a valid message of
//  that type, a string in it is not UTF-8, a Money or Decimal is malformed
//  (units and nanos of different signs, |nanos| >= 1e9), or memory ran out;
//  then `error` (when not NULL, `error_size` bytes) says which and where
//  ("crmq.Deal.amount: ...").
json_t *crmq_event_json (const ProtobufCMessageDescriptor *descriptor,
                         const uint8_t *body, size_t size, char *error, size_t error_size);

//  As crmq_event_json, for a message already unpacked or built (borrowed).
json_t *crmq_message_json (const ProtobufCMessage *message, char *error, size_t error_size);

//  `size` bytes of `data` as a JSON string of their standard base64 with
//  padding ("" for none).  Returns a new reference, NULL on out-of-memory.
json_t *crmq_bytes_json (const uint8_t *data, size_t size);

//  Exact text of an amount of money for JSON: units + nanos / 1e9 with at
//  least two fractional digits ("12.50", "-0.05", "0.125") into buf (41
//  bytes suffice).  Returns the length, or -1 for a malformed amount or a
//  buffer too small.
int crmq_money_text (int64_t units, int32_t nanos, char *buf, size_t size);

//  Self-test.
void crmq_event_json_test (bool verbose);

#endif

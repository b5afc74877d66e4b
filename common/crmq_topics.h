/*  crmq_topics.h - which message an event of the log carries, by topic.

    Every topic of the event log names the protobuf message of its body.  The
    registry is one table of rows: an exact topic ("contacts.client.merged")
    or a prefix ending in "." ("alert." for every alert).  An exact row wins
    over a prefix, a longer prefix over a shorter one.  docs/subscribing.md
    lists the same rows for subscribers; keep the two together.             */
#ifndef CRMQ_TOPICS_H_INCLUDED
#define CRMQ_TOPICS_H_INCLUDED

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

//  One row of the registry.
typedef struct {
    const char *topic;          //  exact topic, or a prefix when it ends in "."
    const ProtobufCMessageDescriptor *descriptor;
    const char *producer;       //  the service that writes it ("contacts", "bus")
} crmq_topic_t;

//  The message type of events under `topic`: the exact row, else the row
//  of the longest prefix of it.  Returns NULL for an unknown topic (or NULL).
const ProtobufCMessageDescriptor *crmq_topic_descriptor (const char *topic);

//  The registry's rows, for listings: *count set to their number.  The
//  table is static (never freed).
const crmq_topic_t *crmq_topics (size_t *count);

//  Self-test.
void crmq_topics_test (bool verbose);

#endif

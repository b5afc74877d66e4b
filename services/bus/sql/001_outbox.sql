-- The transactional outbox: every service writes the events describing its
-- changes here, in the same transaction as the changes.  crmq-bus relays them
-- in seq order; consumers replay from it.  Body: the event's protobuf message.
CREATE SCHEMA IF NOT EXISTS bus;

CREATE TABLE bus.outbox (
    seq         bigserial PRIMARY KEY,
    topic       text NOT NULL CHECK (length(topic) BETWEEN 1 AND 200),
    producer    text NOT NULL,              -- the writing service
    body        bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_topic_idx ON bus.outbox (topic, seq);

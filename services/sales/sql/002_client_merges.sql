-- Merged clients (contacts.client.merged): the merged client's orders move
-- to the survivor, and orders still sent under the merged client's external
-- id land on the survivor too.
ALTER TABLE sales.clients
    ALTER COLUMN external_id DROP NOT NULL,     -- a survivor may have no ERP id
    ADD COLUMN merged_into bigint REFERENCES sales.clients (id);

-- Events of other services this service has applied, by their outbox seq;
-- written in the same transaction as the effect, so each applies once.
CREATE TABLE sales.applied_events (
    seq         bigint PRIMARY KEY,
    topic       text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

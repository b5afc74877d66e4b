-- Writes that create something carry a caller's request key; a resend with
-- a key seen before gets the first reply again instead of a twin.
CREATE TABLE contacts.request_keys (
    key         text PRIMARY KEY CHECK (length (key) BETWEEN 8 AND 100),
    method      text NOT NULL,
    reply       bytea,                      -- the packed reply, once done
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX request_keys_created_idx ON contacts.request_keys (created_at);

-- crmq-notify: where alerts go (targets) and what was sent to them
-- (deliveries).  A delivery row is written in the transaction that moves the
-- "notify" consumer's position, so every event is enqueued exactly once per
-- matching target.
CREATE SCHEMA IF NOT EXISTS notify;

CREATE TABLE notify.targets (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kind          text NOT NULL CHECK (kind IN ('webhook', 'email')),
    address       text NOT NULL CHECK (length(address) BETWEEN 1 AND 2000),
    topic_prefix  text NOT NULL DEFAULT '' CHECK (length(topic_prefix) <= 200),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    removed_at    timestamptz
);
-- a removed target keeps its deliveries; its name may be used again
CREATE UNIQUE INDEX targets_active_name_idx ON notify.targets (name) WHERE active;

CREATE TABLE notify.deliveries (
    id               bigserial PRIMARY KEY,
    target_id        bigint NOT NULL REFERENCES notify.targets (id),
    seq              bigint NOT NULL CHECK (seq > 0),
    topic            text NOT NULL,
    body             bytea NOT NULL,        -- the crmq.Alert as logged
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- incremented by every claim, never reset: a sender's result is
    -- recorded only while its claim is the last one
    claims           bigint NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    UNIQUE (seq, target_id)
);
CREATE INDEX deliveries_due_idx ON notify.deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_state_idx ON notify.deliveries (state, id);
CREATE INDEX deliveries_target_idx ON notify.deliveries (target_id) WHERE state = 'pending';

-- The relay's proof that no event is skipped: an outbox row takes its seq
-- only after its transaction has an xid.  crmq-bus reads the sequence's
-- last value v, then takes a snapshot S; every transaction that holds a seq
-- <= v and has not committed is then in S's in-progress list.  Once all of
-- those have ended, the rows with seq <= v are final and can be published in
-- seq order.  (A seq taken before the xid would escape S.)
ALTER TABLE bus.outbox ALTER COLUMN seq DROP DEFAULT;

CREATE FUNCTION bus.outbox_take_seq () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_current_xact_id ();           -- assigns the xid, if not yet
    NEW.seq := nextval ('bus.outbox_seq_seq');
    RETURN NEW;
END $$;

CREATE TRIGGER outbox_take_seq BEFORE INSERT ON bus.outbox
    FOR EACH ROW EXECUTE FUNCTION bus.outbox_take_seq ();

-- wakes crmq-bus at commit, once per transaction whatever writes the rows
-- (identical notifications of one transaction are folded into one)
CREATE FUNCTION bus.outbox_notify () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify ('crmq_outbox', '');
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_notify AFTER INSERT ON bus.outbox
    FOR EACH STATEMENT EXECUTE FUNCTION bus.outbox_notify ();

-- topics under "bus." are the bus's own (marks), never in the log
ALTER TABLE bus.outbox ADD CONSTRAINT outbox_topic_not_bus CHECK (topic NOT LIKE 'bus.%');

CREATE INDEX outbox_created_idx ON bus.outbox (created_at);

-- Registered consumers and the last seq each applied (written in the same
-- transaction as the effect).  Retention keeps every event a registered
-- consumer still needs.
CREATE TABLE bus.consumers (
    name          text PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 100),
    topic_prefix  text NOT NULL CHECK (length(topic_prefix) <= 200),
    position      bigint NOT NULL DEFAULT 0 CHECK (position >= 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Events removed from the log by retention in "archive" mode.
CREATE TABLE bus.outbox_archive (
    seq         bigint PRIMARY KEY,
    topic       text NOT NULL,
    producer    text NOT NULL,
    body        bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    archived_at timestamptz NOT NULL DEFAULT now()
);

-- The relay's published bound: every event with seq <= published_seq has
-- been published (or can never exist).  After a restart the relay goes on
-- from here, so subscribers get what was committed while it was down.
CREATE TABLE bus.relay_state (
    id             int PRIMARY KEY CHECK (id = 1),
    published_seq  bigint NOT NULL CHECK (published_seq >= 0),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

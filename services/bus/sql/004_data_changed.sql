-- Change events for caches, and the event-log position a cache keys on
-- (bus.position, first written by 003_position.sql) served by an index.
--
-- A result computed from the database (a report) may be cached under its
-- parameters and the position of the log for the topics whose events
-- accompany every change it can read.  That holds when every such change
-- writes an event in its own transaction: sales documents and deals write
-- their "sales." events, merges "contacts.client.merged"; the tables whose
-- writers write no event of their own get statement triggers that write
-- data.changed.<schema>.<table> (crmq.DataChanged, proto/bus.proto), one
-- event per statement that changed at least one row.  Every service
-- migrates "bus" before its own schema (crmq_service.c, crmq migrate), so
-- these functions exist when a service's migration creates its triggers.

-- An unsigned base-128 varint of the protobuf wire format; a negative value
-- is its 64-bit two's complement (ten bytes), as protobuf encodes int64.
CREATE FUNCTION bus.pb_varint_loop (value bigint) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    rest bigint := value;
    bytes bytea := '';
BEGIN
    LOOP
        IF rest BETWEEN 0 AND 127 THEN
            RETURN bytes || set_byte ('\x00'::bytea, 0, rest::int);
        END IF;
        bytes := bytes || set_byte ('\x00'::bytea, 0, ((rest & 127) | 128)::int);
        rest := (rest >> 7) & 144115188075855871;       -- 2^57 - 1: a logical shift
    END LOOP;
END $$;

-- The same, with the one-byte case (lengths, small counts) as an expression
-- inlined into the caller: a PL/pgSQL call costs more than the rest.
CREATE FUNCTION bus.pb_varint (value bigint) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN value BETWEEN 0 AND 127 THEN set_byte ('\x00'::bytea, 0, value::int)
                ELSE bus.pb_varint_loop (value) END
$$;

-- The packed crmq.DataChanged {schema = 1, table = 2, rows = 3}: for each
-- string field its tag (0x0a, 0x12), its length as a varint and its UTF-8
-- bytes; for rows its tag 0x18 and the varint.
CREATE FUNCTION bus.data_changed_body (schema_name text, table_name text, row_count bigint)
RETURNS bytea LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    schema_bytes bytea := convert_to (schema_name, 'UTF8');
    table_bytes bytea := convert_to (table_name, 'UTF8');
BEGIN
    RETURN '\x0a'::bytea || bus.pb_varint (length (schema_bytes)) || schema_bytes
        || '\x12'::bytea || bus.pb_varint (length (table_bytes)) || table_bytes
        || '\x18'::bytea || bus.pb_varint (row_count);
END $$;

-- Writes the event data.changed.<schema_name>.<table_name> for row_count
-- rows changed in the caller's transaction, producer schema_name (each
-- service owns the schema of its name); nothing when row_count is 0.  For
-- the statements whose table has no trigger (see bus.data_changed_watch).
-- PL/pgSQL, whose plans last the session (a LANGUAGE sql function that
-- writes is planned again at every call, at ten times the cost).
CREATE FUNCTION bus.data_changed (schema_name text, table_name text, row_count bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF row_count > 0 THEN
        INSERT INTO bus.outbox (topic, producer, body)
        VALUES ('data.changed.' || schema_name || '.' || table_name, schema_name,
                bus.data_changed_body (schema_name, table_name, row_count));
    END IF;
END $$;

-- The statement trigger (AFTER, FOR EACH STATEMENT, with the transition
-- tables data_changed_new and data_changed_old): the rows the statement
-- inserted, deleted, or updated to a value they did not have, counted, and
-- one event when there is any.  An UPDATE that rewrote rows unchanged, or an
-- INSERT ... ON CONFLICT DO NOTHING that inserted nothing, writes no event.
-- The trigger's arguments name columns that alone do not make a change
-- (bookkeeping such as version and updated_at).  Rows are compared as jsonb,
-- so every column type takes part (numeric by value: 1.0 = 1.00).
CREATE FUNCTION bus.data_changed_trigger () RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ignored text[] := coalesce (TG_ARGV, '{}');
    changed bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT count (*) INTO changed FROM data_changed_new;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT count (*) INTO changed FROM data_changed_old;
    ELSE
        SELECT count (*) INTO changed
          FROM (SELECT to_jsonb (n) - ignored FROM data_changed_new n
                EXCEPT ALL
                SELECT to_jsonb (o) - ignored FROM data_changed_old o) c;
    END IF;
    IF changed > 0 THEN
        PERFORM bus.data_changed (TG_TABLE_SCHEMA, TG_TABLE_NAME, changed);
    END IF;
    RETURN NULL;
END $$;

-- Puts the three statement triggers of bus.data_changed_trigger (INSERT,
-- UPDATE, DELETE: a trigger with transition tables has one event) on
-- `watched`; `ignored` as above.  For migrations.
CREATE FUNCTION bus.data_changed_watch (watched regclass, VARIADIC ignored text[] DEFAULT '{}')
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    arguments text := (SELECT coalesce (string_agg (quote_literal (c), ', '), '')
                         FROM unnest (ignored) AS c);
BEGIN
    EXECUTE format ('CREATE TRIGGER data_changed_insert AFTER INSERT ON %s'
                    ' REFERENCING NEW TABLE AS data_changed_new'
                    ' FOR EACH STATEMENT EXECUTE FUNCTION bus.data_changed_trigger (%s)',
                    watched, arguments);
    EXECUTE format ('CREATE TRIGGER data_changed_update AFTER UPDATE ON %s'
                    ' REFERENCING OLD TABLE AS data_changed_old NEW TABLE AS data_changed_new'
                    ' FOR EACH STATEMENT EXECUTE FUNCTION bus.data_changed_trigger (%s)',
                    watched, arguments);
    EXECUTE format ('CREATE TRIGGER data_changed_delete AFTER DELETE ON %s'
                    ' REFERENCING OLD TABLE AS data_changed_old'
                    ' FOR EACH STATEMENT EXECUTE FUNCTION bus.data_changed_trigger (%s)',
                    watched, arguments);
END $$;

-- "The latest event with seq <= B under a prefix" walks the topics under the
-- prefix (one index probe each) and takes each one's latest event (one
-- more).  text_pattern_ops compares bytes, so a prefix is a range whatever
-- the database's collation; the index still serves topic = $1 by seq, as
-- the one it replaces did.
DROP INDEX bus.outbox_topic_idx;
CREATE INDEX outbox_topic_seq_idx ON bus.outbox (topic text_pattern_ops, seq);

-- bus.position (003_position.sql), computed with the index above: the
-- position of the log for the events whose topic starts with one of
-- `prefixes` (each non-empty, ending in an ASCII character: "sales.",
-- "contacts.", "data.changed."), as seen by the caller's snapshot: 'm', or
-- 'm+s1,s2,...', or NULL when more than 1,000 such events wait above the
-- published bound (do not cache then).
--   B  the relay's published bound (bus.relay_state; 0 before its first round),
--   m  the largest seq <= B of such an event (0: none),
--   s  the seqs > B of such events this snapshot sees, ascending.
-- Two snapshots that get the same value see the same events of these
-- prefixes, hence the same writes of every transaction that writes such an
-- event.  crmq-bus stores B only after a snapshot whose xmin is above its
-- fence, i.e. once every transaction that could hold a seq <= B has ended
-- (services/bus/bus_relay.h): a snapshot that sees relay_state = B was
-- taken after all of them ended, so it sees exactly the rows <= B that will
-- ever exist.  Both snapshots have B >= m, so both see the same events <= m,
-- none in (m, B], and above B the list s.  Equal data, different values
-- (B moved past an event of s) only costs a cache miss.  Retention (which
-- changes no data) may remove old events; a value can go back only when it
-- removes the event m itself, older than the retention period: cached
-- values must expire sooner than that.  STABLE: every statement here sees
-- the caller's snapshot (a report's REPEATABLE READ transaction).
CREATE OR REPLACE FUNCTION bus.position (prefixes text[]) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    bound bigint := coalesce ((SELECT published_seq FROM bus.relay_state WHERE id = 1), 0);
    newest bigint := 0;
    above bigint[];
    prefix text;
    prefix_end text;            -- the first string above every one with the prefix
BEGIN
    IF coalesce (cardinality (prefixes), 0) = 0 THEN
        RAISE EXCEPTION 'bus.position: no prefix' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOREACH prefix IN ARRAY prefixes LOOP
        IF coalesce (prefix, '') = '' OR ascii (right (prefix, 1)) >= 127 THEN
            RAISE EXCEPTION 'bus.position: prefix % must be non-empty and end in an ASCII character',
                            quote_nullable (prefix) USING ERRCODE = 'invalid_parameter_value';
        END IF;
        prefix_end := left (prefix, -1) || chr (ascii (right (prefix, 1)) + 1);
        WITH RECURSIVE topics (topic) AS (
            SELECT (SELECT o.topic FROM bus.outbox o
                     WHERE o.topic ~>=~ prefix AND o.topic ~<~ prefix_end
                     ORDER BY o.topic USING ~<~ LIMIT 1)
            UNION ALL
            SELECT (SELECT o.topic FROM bus.outbox o
                     WHERE o.topic ~>~ t.topic AND o.topic ~<~ prefix_end
                     ORDER BY o.topic USING ~<~ LIMIT 1)
              FROM topics t WHERE t.topic IS NOT NULL)
        SELECT greatest (newest, max ((SELECT max (o.seq) FROM bus.outbox o
                                        WHERE o.topic = t.topic AND o.seq <= bound)))
          INTO newest
          FROM topics t WHERE t.topic IS NOT NULL;
    END LOOP;
    SELECT array_agg (a.seq ORDER BY a.seq) INTO above
      FROM (SELECT o.seq FROM bus.outbox o
             WHERE o.seq > bound
               AND EXISTS (SELECT FROM unnest (prefixes) AS p WHERE starts_with (o.topic, p))
             ORDER BY o.seq LIMIT 1001) a;
    IF cardinality (above) > 1000 THEN
        RETURN NULL;
    END IF;
    RETURN newest::text || coalesce ('+' || array_to_string (above, ','), '');
END $$;

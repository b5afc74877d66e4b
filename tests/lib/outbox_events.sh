# Shared by the event log tests (tests/integration/*.sh source it): writes
# test events into bus.outbox with SQL, as a service's crmq_outbox_write
# does (one transaction, a NOTIFY to wake crmq-bus).  Expects CRMQ_PG_URL.
#
# The bodies are crmq.Alert messages (proto/alerts.proto) encoded by small
# protobuf writers in pg_temp: kind = the topic without "alert.",
# severity "info", client_id = the event's number, client_name
# 'ООО "Ромашка" №<number>', message 'событие <number> "quoted" \ done',
# details {"n": "<number>"}.  Topics "alert.<...>" are decoded by crmq tail.

# Exits 77 (SKIP) when the stack has no crmq-bus.
require_bus() {
    if [[ -z ${CRMQ_BUS_ENDPOINT:-} || -z ${CRMQ_BUS_PUB_ENDPOINT:-} ]]; then
        echo "SKIP: the stack has no crmq-bus (CRMQ_BUS_ENDPOINT, CRMQ_BUS_PUB_ENDPOINT)"
        exit 77
    fi
}

# The protobuf writers, for one psql session (non-negative integers only).
OUTBOX_PROTOBUF_SQL=$(cat <<'SQL'
CREATE FUNCTION pg_temp.pb_varint (v bigint) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE
    out bytea := '';
BEGIN
    LOOP
        IF v < 128 THEN
            RETURN out || set_byte ('\x00'::bytea, 0, v::int);
        END IF;
        out := out || set_byte ('\x00'::bytea, 0, (v % 128 + 128)::int);
        v := v / 128;
    END LOOP;
END $$;
CREATE FUNCTION pg_temp.pb_int (field int, v bigint) RETURNS bytea LANGUAGE sql AS
    $$ SELECT pg_temp.pb_varint (field * 8) || pg_temp.pb_varint (v) $$;
CREATE FUNCTION pg_temp.pb_bytes (field int, b bytea) RETURNS bytea LANGUAGE sql AS
    $$ SELECT pg_temp.pb_varint (field * 8 + 2) || pg_temp.pb_varint (length (b)) || b $$;
CREATE FUNCTION pg_temp.pb_str (field int, s text) RETURNS bytea LANGUAGE sql AS
    $$ SELECT pg_temp.pb_bytes (field, convert_to (s, 'UTF8')) $$;
CREATE FUNCTION pg_temp.alert (topic text, n bigint) RETURNS bytea LANGUAGE sql AS $$
    SELECT pg_temp.pb_str (1, substr (topic, 7))
        || pg_temp.pb_str (2, 'info')
        || pg_temp.pb_int (3, n)
        || pg_temp.pb_str (4, 'ООО "Ромашка" №' || n)
        || pg_temp.pb_str (8, 'событие ' || n || ' "quoted" \ done')
        || pg_temp.pb_bytes (12, pg_temp.pb_str (1, 'n') || pg_temp.pb_str (2, n::text)) $$;
SQL
)

# write_alerts TOPIC FIRST LAST: events FIRST..LAST (their numbers) under
# TOPIC, in one transaction.  Prints their seqs, one a line, ascending.
write_alerts() {
    psql "$CRMQ_PG_URL" -XAtq -v ON_ERROR_STOP=1 -v topic="$1" -v first="$2" -v last="$3" <<SQL
$OUTBOX_PROTOBUF_SQL
WITH written AS (
    INSERT INTO bus.outbox (topic, producer, body)
    SELECT :'topic', 'test', pg_temp.alert (:'topic', n)
      FROM generate_series (:'first'::bigint, :'last'::bigint) AS n ORDER BY n
    RETURNING seq)
SELECT seq FROM written ORDER BY seq;
SELECT pg_notify ('crmq_outbox', :'topic') \\g /dev/null
SQL
}

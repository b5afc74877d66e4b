#!/usr/bin/env bash
# sales.rollup_marks, the change counters per day that reports by dates are
# cached under (services/sales/sql/011_rollup_marks.sql): every kind of
# statement on the rollups counts on the days of the rows it touched (a
# month rollup's row on its month's last day) and on no other; a return
# counts on the days around its instant; a reader's
# snapshot sees a counter move only once the writer commits, and two writers
# of one month both count; sales.rebuild_rollups writes change events.
# Writes rows of its own in 2093, for clients with negative ids (crmq never
# uses them), and deletes them at the end.
set -euo pipefail
BUILD=${BUILD:-build}
. "$(dirname "$0")/../lib/import_test.sh"

A=-9201 B=-9202
clients="($A, $B)"
cleanup() {
    sql "DELETE FROM sales.client_day_group_rollups WHERE client_id IN $clients;
         DELETE FROM sales.client_day_rollups WHERE client_id IN $clients" >/dev/null || true
}
trap cleanup EXIT
cleanup

# the counters of 2093's days as "MM-DD=n" for the days that have one
marks() {
    sql "SELECT coalesce(string_agg(to_char(day, 'MM-DD') || '=' || changes, ' ' ORDER BY day), '')
           FROM sales.rollup_marks WHERE day >= '2093-01-01' AND day < '2094-01-01'"
}
# which days moved between two marks() strings: "MM-DD MM-DD ..."
moved() {
    /usr/bin/python3 - "$1" "$2" <<'EOF'
import sys
def parse(s):
    return dict(p.split('=') for p in s.split()) if s.strip() else {}
a, b = parse(sys.argv[1]), parse(sys.argv[2])
print(' '.join(m for m in sorted(set(a) | set(b)) if a.get(m) != b.get(m)))
EOF
}

echo "INSERT of day × group rows on 5 March and 31 May: those days and the months' last"
before=$(marks)
sql "INSERT INTO sales.client_day_group_rollups
            (client_id, day, product_group_id, sales, lines, orders)
     VALUES ($A, '2093-03-05', 1, 10.00, 1, 1), ($A, '2093-05-31', 1, 5.00, 1, 1)"
check "days moved" "03-05 03-31 05-31" "$(moved "$before" "$(marks)")"

echo "INSERT of day rows (orders) on 5 March: that day and March's last"
before=$(marks)
sql "INSERT INTO sales.client_day_rollups (client_id, day, orders) VALUES ($A, '2093-03-05', 1)"
check "days moved" "03-05 03-31" "$(moved "$before" "$(marks)")"

echo "a payment on 1 April (no month rollup changes): that day"
before=$(marks)
sql "INSERT INTO sales.client_day_rollups (client_id, day, payments) VALUES ($B, '2093-04-01', 1)"
mid=$(marks)
sql "UPDATE sales.client_day_rollups SET payments = 2 WHERE client_id = $B AND day = '2093-04-01'"
check "days moved by the insert" "04-01" "$(moved "$before" "$mid")"
check "days moved by the update" "04-01" "$(moved "$mid" "$(marks)")"

echo "an UPDATE that changes no row counts nowhere"
before=$(marks)
sql "UPDATE sales.client_day_rollups SET payments = 3 WHERE client_id = $B AND day = '2093-07-01'"
check "days moved" "" "$(moved "$before" "$(marks)")"

echo "DELETE of 31 May's row: that day (also May's last)"
before=$(marks)
sql "DELETE FROM sales.client_day_group_rollups WHERE client_id = $A AND day = '2093-05-31'"
check "days moved" "05-31" "$(moved "$before" "$(marks)")"

echo "sales.move_client (a merge) moves A's 5 March into B"
before=$(marks)
sql "SELECT sales.move_client($A, $B)" >/dev/null
check "days moved" "03-05 03-31" "$(moved "$before" "$(marks)")"

echo "a return counts on the days of its instant 14 hours either side (rolled back)"
# marks before, after the return, after its line (in one transaction)
mapfile -t seen < <(psql "$CRMQ_PG_URL" -XAtq -v ON_ERROR_STOP=1 <<SQL
BEGIN;
INSERT INTO sales.clients (id, external_id) VALUES ($A, 'rollup-marks-test');
INSERT INTO sales.erp_events (event_id, kind, body_sha256)
     VALUES ('rollup-marks-test', 'return', '\\x00');
SELECT coalesce(string_agg(to_char(day, 'MM-DD') || '=' || changes, ' ' ORDER BY day), '')
  FROM sales.rollup_marks WHERE day >= '2093-01-01' AND day < '2094-01-01';
INSERT INTO sales.returns (external_id, client_id, returned_at, currency, amount, event_id)
     VALUES ('rollup-marks-test', $A, '2093-08-31 22:00+00', 'USD', 1, 'rollup-marks-test');
SELECT coalesce(string_agg(to_char(day, 'MM-DD') || '=' || changes, ' ' ORDER BY day), '')
  FROM sales.rollup_marks WHERE day >= '2093-01-01' AND day < '2094-01-01';
INSERT INTO sales.products (id, external_id, name) VALUES (-9201, 'rollup-marks-test', 'test');
INSERT INTO sales.return_lines (return_id, line_no, client_id, product_id, quantity, unit_price, amount)
SELECT id, 1, $A, -9201, 1, 1, 1 FROM sales.returns WHERE external_id = 'rollup-marks-test';
SELECT coalesce(string_agg(to_char(day, 'MM-DD') || '=' || changes, ' ' ORDER BY day), '')
  FROM sales.rollup_marks WHERE day >= '2093-01-01' AND day < '2094-01-01';
ROLLBACK;
SQL
)
check "days moved by the return (22:00 UTC on 31 August)" "08-31 09-01" \
    "$(moved "${seen[0]:-}" "${seen[1]:-}")"
check "days moved by its line" "08-31 09-01" "$(moved "${seen[1]:-}" "${seen[2]:-}")"

echo "a reader's snapshot: the counter moves when the writer commits; two writers both count"
# both change October's month rollups (of two clients): its last day's counter
counter() { sql "SELECT coalesce((SELECT changes FROM sales.rollup_marks WHERE day = '2093-10-31'), 0)"; }
before=$(counter)
# the first writer holds the counter for 1.5 s; the second waits for it
psql "$CRMQ_PG_URL" -XAtq -v ON_ERROR_STOP=1 >/dev/null \
     -c "BEGIN; INSERT INTO sales.client_day_rollups (client_id, day, orders) VALUES ($A, '2093-10-02', 1);
         SELECT pg_sleep(1.5); COMMIT;" &
first=$!
sleep 0.4
during=$(counter)
sql "INSERT INTO sales.client_day_rollups (client_id, day, orders) VALUES ($B, '2093-10-03', 1)"
wait "$first"
after=$(counter)
check "unchanged while the writer is open" "$before" "$during"
check "both writers counted (each at least once)" 1 "$((after >= before + 2 ? 1 : 0))"

echo "sales.rebuild_rollups writes a change event per day rollup table"
zone=${CRMQ_TIME_ZONE:-UTC}
seq=$(sql "SELECT coalesce(max(seq), 0) FROM bus.outbox")
# this test's rows come from no document: the rebuild deletes them
sql_retried "SELECT sales.rebuild_rollups('$zone')" >/dev/null
check "events" "data.changed.sales.client_day_group_rollups data.changed.sales.client_day_rollups" \
    "$(sql "SELECT string_agg(topic, ' ' ORDER BY topic) FROM bus.outbox
             WHERE seq > $seq AND topic LIKE 'data.changed.sales.client_day%'")"
check_rollups "$zone"

cleanup
check "nothing left" "" "$(sql "SELECT string_agg(client_id::text, ' ') FROM sales.client_day_rollups
                                 WHERE client_id IN $clients")"
finish rollup_marks

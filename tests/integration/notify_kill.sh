#!/usr/bin/env bash
# crmq-notify killed with SIGKILL while deliveries are pending and in
# flight (a slow webhook: 0.3 s an answer), then started again: every alert
# is enqueued once (one delivery row per event) and delivered; a key gets
# at most two 2xx answers (a delivery whose answer came but whose mark did
# not is sent once more, with the same key), and only deliveries in flight
# at the kill can get a second one.
set -euo pipefail
# shellcheck source=../lib/notify_test.sh
. "${CRMQ_SOURCE_DIR:-.}/tests/lib/notify_test.sh"
tag="k$(date +%s%N | tail -c 9)"
count=40
[ -n "${CRMQ_SERVICE_WRAPPER:-}" ] && count=8
settings=(CRMQ_NOTIFY_FIRST_DELAY_MS=200 CRMQ_NOTIFY_MAX_DELAY_MS=1000 CRMQ_NOTIFY_HTTP_TIMEOUT_MS=2000
          CRMQ_NOTIFY_PARALLEL=4)

start_webhook slow ok 0.3
restart_notify "${settings[@]}"
crmq notify target add "slow-$tag" --webhook "http://127.0.0.1:$(cat "$work/slow.port")/" \
    --topic "alert.test.$tag." --format json
check "add exits" 0 "$rc"
target=$(js 'd["id"]')

echo "$count alerts, crmq-notify killed after the first answers"
values=()
for ((i = 0; i < count; i++)); do
    hex=$("$PY" "$HELPER" alert "$work" "test.$tag.kill" "Client $i" "Alert $i")
    values+=("('alert.test.$tag.kill', 'notify-test', decode('$hex', 'hex'))")
done
# one transaction: the alerts come to crmq-notify together
range=$(sql "WITH w AS (INSERT INTO bus.outbox (topic, producer, body) VALUES $(IFS=,; echo "${values[*]}") RETURNING seq)
             SELECT min(seq) || ' ' || max(seq) FROM w")
read -r first last <<<"$range"
some_answered() { (($(wc -l < "$work/slow.log") >= 3)); }
wait_for 60 some_answered || fail "no answer before the kill"
pid=$(cat "$CRMQ_STACK_DIR/notify.pid")
kill -KILL "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
at_kill=$(wc -l < "$work/slow.log")
echo "  killed with $at_kill answers logged"
sleep 1
restart_notify "${settings[@]}"

all_delivered() {
    [ "$(sql "SELECT count(*) FROM notify.deliveries WHERE target_id = $target AND state = 'delivered'")" == "$count" ]
}
wait_for 120 all_delivered || fail "not all delivered: $(sql "SELECT state, count(*) FROM notify.deliveries WHERE target_id = $target GROUP BY 1")"
sleep 1
check "delivery rows" "$count|$count" "$(sql "SELECT count(*), count(DISTINCT seq) FROM notify.deliveries WHERE target_id = $target")"
check "rows for the events written" "$count" "$(sql "SELECT count(*) FROM notify.deliveries WHERE target_id = $target AND seq BETWEEN $first AND $last")"
"$PY" - "$work/slow.log" "$first" "$last" "$target" > "$work/summary.txt" <<'PYEOF'
import collections, json, sys
first, last, target = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ok = collections.Counter(json.loads(l)["key"] for l in open(sys.argv[1]) if json.loads(l)["status"] == 200)
keys = ["crmq-%d-%s" % (s, target) for s in range(first, last + 1)]
print("every key answered", all(ok[k] >= 1 for k in keys))
print("no key more than twice", all(ok[k] <= 2 for k in keys))
print("no other key", set(ok) <= set(keys))
print("resent", sum(1 for k in keys if ok[k] == 2))
PYEOF
cat "$work/summary.txt"
check "every key answered" "every key answered True" "$(sed -n 1p "$work/summary.txt")"
check "no key more than twice" "no key more than twice True" "$(sed -n 2p "$work/summary.txt")"
check "no other key" "no other key True" "$(sed -n 3p "$work/summary.txt")"
resent=$(sed -n 4p "$work/summary.txt" | awk '{print $2}')
check "resent at most the transfers in flight (4)" True "$( ((resent <= 4)) && echo True || echo False)"

if ((failures)); then echo "$failures checks failed"; exit 1; fi
echo "all checks passed"

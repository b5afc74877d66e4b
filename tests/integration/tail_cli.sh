#!/usr/bin/env bash
# crmq tail and crmq bus against the stack's crmq-bus: events written into
# bus.outbox with SQL (tests/lib/outbox_events.sh) come out of `crmq tail`
# decoded, in seq order, once:
#   1. --from SEQ --count N --format json: the N events replayed from the
#      log, their bodies decoded (Cyrillic, quotes and a backslash intact,
#      the details map an object), each line {"seq","topic","type","event"};
#   2. the text format: "SEQ  TOPIC  {compact JSON}";
#   3. replay then live: two events in the log before it starts, three
#      written while it runs, all five in order with no repeat;
#   4. without --from only events written after it started;
#   5. a topic crmq does not know: the body as base64, "type unknown";
#   6. --timeout: exit 0 alone, 1 with an unmet --count; no bus: exit 1
#      naming CRMQ_BUS_ENDPOINT; bad command lines exit 64;
#   7. crmq bus consumers (name, prefix, position, lag) and drop-consumer;
#   8. a real event: a deal added through crmq-sales comes out as
#      sales.deal.created, a crmq.DealEvent with its amount an exact string.
# Skips (77) when the stack has no crmq-bus (no CRMQ_BUS_ENDPOINT).
set -euo pipefail
: "${CRMQ_PG_URL:?run through tests/run.sh}"
cd "${CRMQ_SOURCE_DIR:-.}"
source tests/lib/outbox_events.sh
require_bus
BUILD=${BUILD:-build}
read -r -a wrapper <<<"${CRMQ_TEST_WRAPPER:-}"
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
failures=0
run=$(date +%s%N | tail -c 9)
prefix="alert.tailtest$run."
topic="${prefix}x"
# a slower start under valgrind
settle=2
[[ -n ${CRMQ_TEST_WRAPPER:-} ]] && settle=8

check() {   # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" == "$3" ]; then echo "  ok   $1: $3"
    else echo "  FAIL $1: expected $2, got $3"; failures=$((failures + 1)); fi
}
sql() { psql "$CRMQ_PG_URL" -XAtq -v ON_ERROR_STOP=1 "$@"; }
tail_cmd() {   # tail_cmd OUT ARGS...: runs crmq tail, stdout to OUT; sets rc
    local out=$1
    shift
    rc=0
    "${wrapper[@]}" "$BUILD/bin/crmq" tail "$@" >"$out" 2>"$work/err" || rc=$?
    cat "$work/err" >&2
}
# field FILE LINE EXPRESSION: a Python expression over line LINE (1-based,
# parsed as JSON into d) of FILE
field() {
    python3 -c 'import json, sys
d = json.loads(open(sys.argv[1], encoding="utf-8").read().splitlines()[int(sys.argv[2]) - 1])
print(eval(sys.argv[3]))' "$1" "$2" "$3"
}

echo "1. --from SEQ --count 5 --format json"
mapfile -t seqs < <(write_alerts "$topic" 1 5)
check "5 events written" 5 "${#seqs[@]}"
tail_cmd "$work/json" "$prefix" --from "${seqs[0]}" --count 5 --format json --timeout 60
check "exit" 0 "$rc"
check "5 lines" 5 "$(wc -l <"$work/json")"
check "their seqs in order" "${seqs[*]}" "$(python3 -c 'import json, sys
print(" ".join(str(json.loads(l)["seq"]) for l in open(sys.argv[1], encoding="utf-8")))' "$work/json")"
check "topic" "$topic" "$(field "$work/json" 1 'd["topic"]')"
check "type" crmq.Alert "$(field "$work/json" 1 'd["type"]')"
check "event.kind" "tailtest$run.x" "$(field "$work/json" 1 'd["event"]["kind"]')"
check "event.client_id, an integer" "3 True" "$(field "$work/json" 3 'd["event"]["client_id"], type(d["event"]["client_id"]) is int' | tr -d '(),')"
check "Cyrillic and quotes survive" 'ООО "Ромашка" №4' "$(field "$work/json" 4 'd["event"]["client_name"]')"
check "a backslash survives" 'событие 5 "quoted" \ done' "$(field "$work/json" 5 'd["event"]["message"]')"
check "the map as an object" "{'n': '2'}" "$(field "$work/json" 2 'd["event"]["details"]')"
check "defaults kept" "0 ''" "$(field "$work/json" 1 'd["event"]["manager_id"], d["event"]["subject_id"]' | tr -d '(),')"

echo "2. the text format"
tail_cmd "$work/text" "$prefix" --from "${seqs[1]}" --count 2 --timeout 60
check "exit" 0 "$rc"
check "2 lines" 2 "$(wc -l <"$work/text")"
line=$(head -1 "$work/text")
check "SEQ  TOPIC  at the start" "${seqs[1]}  $topic  {" "${line:0:$((${#seqs[1]} + ${#topic} + 5))}"
check "then the body's JSON" 'ООО "Ромашка" №2' "$(python3 -c 'import json, sys
print(json.loads(sys.argv[1].split("  ", 2)[2])["client_name"])' "$line")"

echo "3. replay, then live"
topic3="${prefix}live"
mapfile -t before < <(write_alerts "$topic3" 1 2)
"${wrapper[@]}" "$BUILD/bin/crmq" tail "$prefix" --from "${before[0]}" --count 5 --format json \
    --timeout 60 >"$work/live" 2>"$work/live.err" &
pids+=($!)
sleep "$settle"
mapfile -t during < <(write_alerts "$topic3" 3 3)
mapfile -t during2 < <(write_alerts "$topic3" 4 5)
rc=0
wait "${pids[-1]}" || rc=$?
cat "$work/live.err" >&2
check "exit" 0 "$rc"
check "the 2 old and 3 new events, in order, once" "${before[*]} ${during[*]} ${during2[*]}" \
    "$(python3 -c 'import json, sys
print(" ".join(str(json.loads(l)["seq"]) for l in open(sys.argv[1], encoding="utf-8")))' "$work/live")"
check "numbers 1..5" "1 2 3 4 5" "$(python3 -c 'import json, sys
print(" ".join(str(json.loads(l)["event"]["client_id"]) for l in open(sys.argv[1], encoding="utf-8")))' "$work/live")"

echo "4. without --from: only new events"
"${wrapper[@]}" "$BUILD/bin/crmq" tail "$prefix" --count 2 --format json --timeout 60 \
    >"$work/new" 2>"$work/new.err" &
pids+=($!)
sleep "$settle"
mapfile -t fresh < <(write_alerts "${prefix}new" 1 2)
rc=0
wait "${pids[-1]}" || rc=$?
cat "$work/new.err" >&2
check "exit" 0 "$rc"
check "just the 2 new ones" "${fresh[*]}" "$(python3 -c 'import json, sys
print(" ".join(str(json.loads(l)["seq"]) for l in open(sys.argv[1], encoding="utf-8")))' "$work/new")"

echo "5. a topic crmq does not know"
raw=$(sql -v topic="tailtest$run.raw" <<'SQL'
INSERT INTO bus.outbox (topic, producer, body) VALUES (:'topic', 'test', '\x0102fe') RETURNING seq;
SQL
)
tail_cmd "$work/raw" "tailtest$run." --from "$raw" --count 1 --format json --timeout 60
check "exit" 0 "$rc"
check "type unknown, body as base64" "unknown AQL+" "$(field "$work/raw" 1 'd["type"], d["body_base64"]' | tr -d "(),'")"
tail_cmd "$work/raw.txt" "tailtest$run." --from "$raw" --count 1 --timeout 60
check "text" "$raw  tailtest$run.raw  (type unknown) base64:AQL+" "$(cat "$work/raw.txt")"

echo "6. timeouts, no bus, bad command lines"
tail_cmd "$work/idle" "${prefix}nothing." --timeout 2
check "--timeout alone: exit" 0 "$rc"
check "nothing printed" 0 "$(wc -l <"$work/idle")"
tail_cmd "$work/short" "$prefix" --from "${seqs[3]}" --count 10 --timeout 3
check "--count 10, 9 to print: exit" 1 "$rc"
check "says how many of how many" 1 "$(grep -c 'of 10 printed' "$work/err")"
CRMQ_BUS_ENDPOINT=tcp://127.0.0.1:9 CRMQ_RPC_TIMEOUT_MS=300 CRMQ_RPC_RETRIES=0 \
    tail_cmd "$work/nobus" "$prefix" --count 1
check "no bus: exit" 1 "$rc"
check "the message names CRMQ_BUS_ENDPOINT" 1 "$(grep -c 'tcp://127.0.0.1:9 (CRMQ_BUS_ENDPOINT)' "$work/err")"
for bad in "--format xml" "--count 0" "--from -1" "a b" "--timeout" "--count 1 --count 2"; do
    read -r -a words <<<"$bad"
    tail_cmd "$work/bad" "${words[@]}"
    check "crmq tail $bad: exit" 64 "$rc"
done
tail_cmd "$work/bad" $'al\x01ert'
check "a prefix with a control character: exit" 64 "$rc"
tail_cmd "$work/bad" "$(printf 'p%.0s' {1..201})"
check "a prefix of 201 bytes: exit" 64 "$rc"

echo "7. crmq bus consumers and drop-consumer"
name="tailtest$run"
sql -v name="$name" -v prefix="$prefix" -v position="${seqs[2]}" \
    <<<"INSERT INTO bus.consumers (name, topic_prefix, position, updated_at)
        VALUES (:'name', :'prefix', :'position', now () - interval '1 hour')"
rc=0
"${wrapper[@]}" "$BUILD/bin/crmq" bus consumers --format json >"$work/consumers" || rc=$?
check "exit" 0 "$rc"
published=$(sql -c "SELECT max(seq) FROM bus.outbox")
row=$(python3 -c 'import json, sys
rows = [r for r in json.load(open(sys.argv[1])) if r["name"] == sys.argv[2]]
print(len(rows), rows[0]["prefix"], rows[0]["position"],
      0 < rows[0]["lag"] <= int(sys.argv[3]) - rows[0]["position"])' \
    "$work/consumers" "$name" "$published")
check "listed with its prefix, position and a lag up to the log's end" "1 $prefix ${seqs[2]} True" "$row"
rc=0
"${wrapper[@]}" "$BUILD/bin/crmq" bus consumers >"$work/consumers.txt" || rc=$?
check "table: exit" 0 "$rc"
check "table: a row" 1 "$(grep -c "^$name " "$work/consumers.txt")"
rc=0
"${wrapper[@]}" "$BUILD/bin/crmq" bus drop-consumer "$name" --format json >"$work/drop" || rc=$?
check "drop-consumer: exit" 0 "$rc"
check "dropped" "dropped" "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["status"])' "$work/drop")"
check "gone from bus.consumers" 0 "$(sql -v name="$name" <<<"SELECT count(*) FROM bus.consumers WHERE name = :'name'")"
rc=0
"${wrapper[@]}" "$BUILD/bin/crmq" bus drop-consumer "$name" >"$work/drop2" 2>"$work/err" || rc=$?
check "again: exit" 1 "$rc"

echo "8. a real event: sales.deal.created"
from=$(sql <<<"SELECT coalesce (max (seq), 0) + 1 FROM bus.outbox")
rc=0
"${wrapper[@]}" "$BUILD/bin/crmq" client add --name "ООО \"Хвост\" $run" --format json >"$work/client" || rc=$?
check "client add: exit" 0 "$rc"
client=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$work/client")
rc=0
"${wrapper[@]}" "$BUILD/bin/crmq" deal add --title "Сделка \"$run\"" --client "$client" --amount 1500.5 \
    --currency EUR --format json >"$work/deal" || rc=$?
check "deal add: exit" 0 "$rc"
tail_cmd "$work/real" sales.deal. --from "$from" --count 1 --format json --timeout 60
check "exit" 0 "$rc"
check "topic and type" "sales.deal.created crmq.DealEvent" "$(field "$work/real" 1 'd["topic"] + " " + d["type"]')"
check "the deal's title" "Сделка \"$run\"" "$(field "$work/real" 1 'd["event"]["deal"]["title"]')"
check "its amount, exact" "{'currency': 'EUR', 'amount': '1500.50'}" "$(field "$work/real" 1 'd["event"]["deal"]["amount"]')"

if ((failures)); then
    echo "tail_cli: $failures failed"
    exit 1
fi
echo "tail_cli: PASS"

#!/usr/bin/env bash
# subscriber_py - the example Python subscriber (examples/python/
# subscriber.py, Debian's python3-zmq and python3-protobuf) against the
# stack's crmq-bus, events written into bus.outbox with SQL
# (tests/lib/outbox_events.sh):
#   1. from a seq: the 7 events of two transactions, printed in seq order,
#      once each, bodies decoded (Cyrillic and quotes intact); its SQLite
#      state holds them and the last seq as its position;
#   2. stopped, 5 more written, started again: it resumes from its position
#      (replay) and prints just those 5;
#   3. running live, 3 more, then SIGTERM: exit 0 with all 3 handled; 2
#      more while it is down come on the next start;
#   4. a burst with every 7th event lost on receipt (--drop-every 7): the
#      marks show the gaps, the lost events are replayed, every event is
#      handled once and in order;
#   5. no bus: it gives up with exit 1 naming CRMQ_BUS_ENDPOINT.
# Skips (77) without crmq-bus in the stack, or without python3-zmq,
# python3-protobuf or protoc.
set -euo pipefail
: "${CRMQ_PG_URL:?run through tests/run.sh}"
cd "${CRMQ_SOURCE_DIR:-.}"
source tests/lib/outbox_events.sh
require_bus
PY=/usr/bin/python3                 # Debian's, where python3-zmq and python3-protobuf live
if ! "$PY" -c 'import zmq, google.protobuf, sqlite3' 2>/dev/null || ! command -v protoc >/dev/null; then
    echo "SKIP: needs python3-zmq, python3-protobuf and protobuf-compiler (deploy/install-deps.sh)"
    exit 77
fi
work=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
failures=0
run=$(date +%s%N | tail -c 9)
prefix="alert.subpy$run."
topic="${prefix}x"
state="$work/state.db"
settle=2
burst=300
if [[ -n ${CRMQ_SERVICE_WRAPPER:-} ]]; then settle=8; burst=60; fi

check() {   # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" == "$3" ]; then echo "  ok   $1: $3"
    else echo "  FAIL $1: expected $2, got $3"; failures=$((failures + 1)); fi
}
subscriber() {   # subscriber OUT ARGS...: runs it in the foreground; sets rc
    local out=$1
    shift
    rc=0
    "$PY" examples/python/subscriber.py --prefix "$prefix" --state "$state" \
        --proto-out "$work/gen" --idle-exit 60 "$@" >"$out" 2>"$work/err" || rc=$?
    cat "$work/err" >&2
}
seqs_of() { awk '$1 == "event" { printf "%s%s", sep, $2; sep = " " } END { print "" }' "$1"; }
db() { "$PY" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$state" "$1"; }

echo "1. from a seq: two transactions of events"
mapfile -t part1 < <(write_alerts "$topic" 1 4)
mapfile -t part2 < <(write_alerts "$topic" 5 7)
subscriber "$work/run1" --from "${part1[0]}" --count 7
check "exit" 0 "$rc"
check "the 7 events in order, once" "${part1[*]} ${part2[*]}" "$(seqs_of "$work/run1")"
line=$(grep -m1 '^event ' "$work/run1")
check "decoded, Cyrillic and quotes intact" 'ООО "Ромашка" №1' "$("$PY" -c 'import json, sys
print(json.loads(sys.argv[1].split(" ", 3)[3])["client_name"])' "$line")"
check "handled rows" 7 "$(db "SELECT count(*) FROM handled")"
check "position" "${part2[2]}" "$(db "SELECT seq FROM position")"

echo "2. stopped, 5 more, started again"
mapfile -t part3 < <(write_alerts "$topic" 8 10)
mapfile -t part4 < <(write_alerts "$topic" 11 12)
subscriber "$work/run2" --count 5
check "exit" 0 "$rc"
check "just the 5 new ones, in order" "${part3[*]} ${part4[*]}" "$(seqs_of "$work/run2")"
check "handled rows, no repeat" "12 12" "$(db "SELECT count(*) || ' ' || count(DISTINCT seq) FROM handled")"
check "position" "${part4[1]}" "$(db "SELECT seq FROM position")"

echo "3. live, then SIGTERM; 2 more while down"
"$PY" examples/python/subscriber.py --prefix "$prefix" --state "$state" --proto-out "$work/gen" \
    --idle-exit 120 >"$work/run3" 2>"$work/run3.err" &
pid=$!
sleep "$settle"
mapfile -t part5 < <(write_alerts "$topic" 13 15)
for _ in $(seq 1 60); do
    [[ $(db "SELECT count(*) FROM handled") == 15 ]] && break
    sleep 0.5
done
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
cat "$work/run3.err" >&2
check "exit after SIGTERM" 0 "$rc"
check "the 3 live ones" "${part5[*]}" "$(seqs_of "$work/run3")"
mapfile -t part6 < <(write_alerts "$topic" 16 17)
subscriber "$work/run4" --count 2
check "exit" 0 "$rc"
check "the 2 written while down" "${part6[*]}" "$(seqs_of "$work/run4")"
check "handled rows, no repeat" "17 17" "$(db "SELECT count(*) || ' ' || count(DISTINCT seq) FROM handled")"

echo "4. a burst with every 7th event lost on receipt"
"$PY" examples/python/subscriber.py --prefix "$prefix" --state "$state" --proto-out "$work/gen" \
    --drop-every 7 --count "$burst" --idle-exit 90 >"$work/run5" 2>"$work/run5.err" &
pid=$!
sleep "$settle"
mapfile -t part7 < <(write_alerts "$topic" 100 $((99 + burst)))
rc=0
wait "$pid" || rc=$?
pid=
grep -v '^subscriber: \(replay\|gap\)' "$work/run5.err" >&2 || true
check "exit" 0 "$rc"
check "all $burst in order, once" "${part7[*]}" "$(seqs_of "$work/run5")"
gaps=$(grep -c '^subscriber: gap' "$work/run5.err" || true)
replays=$(grep -c '^subscriber: replay (gap)' "$work/run5.err" || true)
check "gaps seen and replayed ($gaps, $replays)" "True" "$("$PY" -c 'import sys; print(int(sys.argv[1]) > 0 and sys.argv[1] == sys.argv[2])' "$gaps" "$replays")"
total=$((17 + burst))
check "handled rows, no repeat" "$total $total" "$(db "SELECT count(*) || ' ' || count(DISTINCT seq) FROM handled")"
check "handled in seq order" "$(db "SELECT group_concat(seq, ' ') FROM (SELECT seq FROM handled ORDER BY seq)")" \
    "$(db "SELECT group_concat(seq, ' ') FROM (SELECT seq FROM handled ORDER BY n)")"

echo "5. no bus"
rc=0
"$PY" examples/python/subscriber.py --prefix "$prefix" --state "$work/other.db" --proto-out "$work/gen" \
    --endpoint tcp://127.0.0.1:9 --timeout-ms 200 --retries 1 >"$work/run6" 2>"$work/err" || rc=$?
check "exit" 1 "$rc"
check "names the endpoint and CRMQ_BUS_ENDPOINT" 1 "$(grep -c 'no reply from tcp://127.0.0.1:9 (CRMQ_BUS_ENDPOINT)' "$work/err")"

if ((failures)); then
    echo "subscriber_py: $failures failed"
    exit 1
fi
echo "subscriber_py: PASS"

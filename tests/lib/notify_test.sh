# Shared by the crmq-notify tests (tests/integration/notify_*.sh); source it
# first.  Makes `work` (a private temporary folder, removed at exit, when
# the helpers are stopped and crmq-notify gets its defaults back).  Gives:
# check, fail MESSAGE, sql, crmq (exit code in $rc, stdout in $work/out), js
# (a Python expression over the JSON in $work/out), start_webhook NAME MODE
# [DELAY], start_smtp, write_alert TOPIC CLIENT MESSAGE (prints the seq),
# restart_notify [VAR=VALUE...] (crmq-notify again with those settings),
# wait_for SECONDS COMMAND..., requests, answered, state_is, and
# stop_helpers (kills what start_* started).
# Skips (77) without Debian's python3 and its protobuf, or protoc.
PY=/usr/bin/python3
if ! "$PY" -c 'import google.protobuf, smtpd' 2>/dev/null || ! command -v protoc >/dev/null; then
    echo "SKIP: needs Debian's python3 with python3-protobuf, and protobuf-compiler (deploy/install-deps.sh)"
    exit 77
fi
BUILD=${BUILD:-build}
read -r -a wrapper <<<"${CRMQ_TEST_WRAPPER:-}"
HELPER=${CRMQ_SOURCE_DIR:-.}/tests/lib/notify_helper.py
failures=0
helper_pids=()
work=$(mktemp -d)
protoc --proto_path="${CRMQ_SOURCE_DIR:-.}/proto" --python_out="$work" alerts.proto

check() {   # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" == "$3" ]; then echo "  ok   $1: $3"
    else echo "  FAIL $1: expected $2, got $3"; failures=$((failures + 1)); fi
}
fail() { echo "  FAIL $1"; failures=$((failures + 1)); }
sql() { psql "$CRMQ_PG_URL" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
crmq() {
    rc=0
    "${wrapper[@]}" "$BUILD/bin/crmq" "$@" > "$work/out" 2> "$work/err" || rc=$?
}
js() { "$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$work/out" "$1"; }

# wait_for SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds;
# returns 1 when it did not within SECONDS.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# start_webhook NAME MODE [DELAY]: a receiver logging to $work/NAME.log,
# answering as $work/NAME.mode says; its port in $work/NAME.port.
start_webhook() {
    local name=$1
    echo "$2" > "$work/$name.mode"
    : > "$work/$name.log"
    "$PY" "$HELPER" webhook "$work/$name.port" "$work/$name.log" "$work/$name.mode" "${3:-0}" \
        2>> "$work/helpers.err" &
    helper_pids+=($!)
    wait_for 10 test -s "$work/$name.port" || { echo "FAIL: receiver $name did not start"; exit 1; }
}

# start_smtp: an SMTP sink storing messages in $work/mail; port in $work/smtp.port.
start_smtp() {
    mkdir -p "$work/mail"
    "$PY" "$HELPER" smtp "$work/smtp.port" "$work/mail" 2>> "$work/helpers.err" &
    helper_pids+=($!)
    wait_for 10 test -s "$work/smtp.port" || { echo "FAIL: SMTP sink did not start"; exit 1; }
}

stop_helpers() {
    local pid
    for pid in "${helper_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${helper_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    helper_pids=()
}

# write_alert TOPIC CLIENT MESSAGE: an Alert written straight into the
# event log, as a producer would; prints its seq.
write_alert() {
    local hex
    hex=$("$PY" "$HELPER" alert "$work" "${1#alert.}" "$2" "$3")
    sql "INSERT INTO bus.outbox (topic, producer, body) VALUES ('$1', 'notify-test', decode('$hex', 'hex')) RETURNING seq"
}

# restart_notify [VAR=VALUE...]: crmq-notify started again with these
# settings in its environment (none: its defaults).
restart_notify() {
    env "$@" "$CRMQ_STACK_SCRIPT" restart-service "$CRMQ_STACK_DIR" notify > "$work/restart.log" 2>&1 ||
        { cat "$work/restart.log"; echo "FAIL: crmq-notify did not restart"; exit 1; }
}

# requests LOG KEY [STATUS]: how many requests with Idempotency-Key KEY (and
# answered STATUS) the receiver logged.
requests() {
    "$PY" -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(sum(1 for r in rows if r["key"] == sys.argv[2] and (len(sys.argv) < 4 or str(r["status"]) == sys.argv[3])))
' "$@"
}

# answered LOG KEY: true once the receiver answered 200 to a request with KEY.
answered() { (($(requests "$1" "$2" 200) >= 1)); }

# state_is SEQ STATE: true when every delivery of event SEQ is in STATE.
state_is() { [ "$(sql "SELECT string_agg(DISTINCT state, ',') FROM notify.deliveries WHERE seq = $1")" == "$2" ]; }

cleanup() {
    stop_helpers
    restart_notify || true
    rm -rf "$work"
}
trap cleanup EXIT

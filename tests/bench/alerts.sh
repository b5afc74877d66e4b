#!/usr/bin/env bash
# Alert latency: a late payment through sales.Ingest until its
# alert.payment.late arrives on crmq-bus's PUB socket (`make bench-alerts`).
#
#   tests/bench/alerts.sh [bench_alerts options]    e.g. --events 1000 --pause-ms 5
#
# Starts a throw-away stack (deploy/stack.sh up on random free ports in a
# mktemp folder), runs $BUILD/bin/bench_alerts against it (see the top of
# tests/bench/bench_alerts.c for what it does and prints), then counts the
# warnings and errors crmq-bus, crmq-sales and crmq-scheduler logged and
# tears the stack down.  The closing line of bench_alerts is printed last.
#
# Environment: BUILD (default build), CRMQ_KEEP_STACK=1 (leave the stack
# running).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$ROOT" || exit 2
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
export BUILD
STACK=$ROOT/deploy/stack.sh
BENCH=$BUILD/bin/bench_alerts
[[ -x $BENCH ]] || { echo "alerts.sh: $BENCH not built (make)" >&2; exit 2; }

STACK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/crmq-bench.XXXXXX")
teardown() {
    if [[ ${CRMQ_KEEP_STACK:-0} == 1 ]]; then
        echo "alerts.sh: the stack keeps running in $STACK_DIR (deploy/stack.sh down $STACK_DIR --purge)"
    else
        "$STACK" down "$STACK_DIR" --purge >/dev/null 2>&1 || rm -rf -- "$STACK_DIR"
    fi
}
trap teardown EXIT
trap 'exit 130' INT TERM

echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), load average $(cut -d' ' -f1-3 /proc/loadavg)"
if ! CRMQ_STACK_RANDOM_PORTS=1 "$STACK" up "$STACK_DIR" >"$STACK_DIR.up.log" 2>&1; then
    cat "$STACK_DIR.up.log"
    rm -f "$STACK_DIR.up.log"
    echo "alerts.sh: the stack did not start" >&2
    exit 2
fi
rm -f "$STACK_DIR.up.log"
# shellcheck source=/dev/null
. "$STACK_DIR/env"
export CRMQ_PG_URL CRMQ_SALES_ENDPOINT CRMQ_BUS_PUB_ENDPOINT CRMQ_STACK_DIR

OUT=$(mktemp)
"$BENCH" "$@" | tee "$OUT"
rc=${PIPESTATUS[0]}

# what the services of the chain logged above info
for s in bus sales scheduler; do
    log=$STACK_DIR/log/$s.log
    [[ -f $log ]] || continue
    n=$(grep -cE 'level=(warn|error)' "$log")
    echo "crmq-$s: $n warnings and errors logged${n:+$( ((n)) && printf '; the last: %s' "$(grep -E 'level=(warn|error)' "$log" | tail -1)")}"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# the closing line last
grep '^alert latency p50' "$OUT"
rm -f "$OUT"
exit "$rc"

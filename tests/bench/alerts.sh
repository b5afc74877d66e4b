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
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BENCH=$BUILD/bin/bench_alerts
bench_require "$BENCH"
bench_stack_up

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

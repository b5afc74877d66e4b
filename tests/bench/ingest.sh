#!/usr/bin/env bash
# sales.Ingest throughput against a raw COPY (`make bench-ingest` runs it).
#
#   tests/bench/ingest.sh [bench_ingest options]    e.g. --lines 100000 --window 8
#
# Starts a throw-away stack (deploy/stack.sh up on random free ports in a
# mktemp folder; PostgreSQL with fsync and synchronous_commit on, its
# defaults), runs $BUILD/bin/bench_ingest against it (see the top of
# tests/bench/bench_ingest.c for what it does and prints), then sums the
# time crmq-sales logged per phase of its batches ("where time goes") and
# tears the stack down.  The ratio line of bench_ingest is printed last.
#
# Environment: BUILD (default build), CRMQ_INGEST_WINDOW (batches in
# flight, default 4), CRMQ_KEEP_STACK=1 (leave the stack running).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BENCH=$BUILD/bin/bench_ingest
bench_require "$BENCH"
bench_stack_up

OUT=$(mktemp)
"$BENCH" "$@" | tee "$OUT"
rc=${PIPESTATUS[0]}

# crmq-sales logs, per batch, the microseconds of each phase (unpack=...,
# check=..., duplicates=..., contacts=..., sql=..., reply=...): summed over the run
awk '
    /msg="batch committed"/ {
        batches++
        for (i = 1; i <= NF; i++) {
            split($i, kv, "=")
            if (kv[1] ~ /_us$/) sum[substr(kv[1], 1, length(kv[1]) - 3)] += kv[2]
            if (kv[1] == "bulk_orders") bulk += kv[2]
        }
    }
    END {
        if (!batches) exit
        n = split("unpack check duplicates contacts sql reply", phase, " ")
        line = sprintf("where crmq-sales spent its time over %d batches (s):", batches)
        for (i = 1; i <= n; i++) line = line sprintf(" %s %.2f", phase[i], sum[phase[i]] / 1e6)
        print line sprintf("; orders written in bulk: %d", bulk)
    }' "$STACK_DIR/log/sales.log"
# the ratio last
grep '^ratio' "$OUT"
rm -f "$OUT"
exit "$rc"

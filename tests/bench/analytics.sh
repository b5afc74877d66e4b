#!/usr/bin/env bash
# Reports over a big data set (`make bench-analytics`): plain SQL over the raw
# documents against crmq's analytics.Report, without and with its cache.
#
#   tests/bench/analytics.sh [--clients N] [--lines N] [--seed N] [--runs N]
#   tests/bench/analytics.sh --online-retail
#
# Starts a throw-away stack (tests/bench/lib.sh) with PostgreSQL sized for
# it (below), then:
#   1. makes the data set in PostgreSQL (tests/bench/analytics_data.sql,
#      deterministic for --seed): --clients clients (1,000,000), --lines
#      order lines (20,000,000) over 2023-01-01..2026-01-01, then the rollups
#      with sales.rebuild_rollups (the month rollups through their
#      triggers), then VACUUM ANALYZE; prints the time of each step;
#   2. runs $BUILD/bin/bench_analytics (tests/bench/bench_analytics.c) for
#      the year 2025: ABC, XYZ, RFM and the client base as plain SQL
#      (tests/bench/naive_reports.sql) and through crmq, uncached and cached,
#      5 timed runs each after a warm-up; a table of p50 and min, and whether
#      the tables of both agree.
# --online-retail instead imports the Online Retail data set
# (../shared/data/online_retail) with `crmq import online-retail` into the
# fresh stack (in the shop's zone, Europe/London), timed, then runs `crmq
# report NAME --from 2010-12-01 --to 2012-01-01 --format json` once for
# every report crmq-analytics knows (the names its answer to an unknown
# report lists), timed, and prints the total.
#
# PostgreSQL here: shared_buffers 1GB, work_mem 128MB, maintenance_work_mem
# 1GB, max_wal_size 16GB, effective_cache_size 8GB, autovacuum off (the
# script runs VACUUM ANALYZE itself), jit off (compiling the naive queries'
# expressions took longer than running them).  Same for both sides.
#
# Environment: BUILD (default build), CRMQ_KEEP_STACK=1 (leave the stack
# running).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

clients=1000000 lines=20000000 seed=20250101 runs=5 online_retail=0
usage() { sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
while (($#)); do
    case $1 in
        --clients) clients=$2; shift 2 ;;
        --lines) lines=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --online-retail) online_retail=1; shift ;;
        *) usage ;;
    esac
done
[[ $clients =~ ^[1-9][0-9]*$ && $lines =~ ^[1-9][0-9]*$ && $seed =~ ^[0-9]+$ && $runs =~ ^[1-9][0-9]*$ ]] ||
    usage
bench_require "$BUILD/bin/bench_analytics" "$BUILD/bin/crmq"

export CRMQ_STACK_PG_SETTINGS="shared_buffers = 1GB
work_mem = 128MB
maintenance_work_mem = 1GB
max_wal_size = 16GB
checkpoint_timeout = 30min
effective_cache_size = 8GB
autovacuum = off
jit = off"
bench_stack_up
psql() { command psql "$CRMQ_PG_URL" -X -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }

if ((online_retail)); then
    data=$ROOT/../shared/data/online_retail
    [[ -d $data ]] || { echo "$BENCH_NAME: $data is not there (the shared data sets)" >&2; exit 2; }
    crmq=$BUILD/bin/crmq
    start=$(now)
    "$crmq" import online-retail "$data" --time-zone Europe/London >"$STACK_DIR/import.txt" || { cat "$STACK_DIR/import.txt"; exit 1; }
    end=$(now)
    tail -n 3 "$STACK_DIR/import.txt"
    echo "import online-retail: $(seconds "$start" "$end") s"
    # every report crmq-analytics knows: the names its error for an unknown one lists
    names=$("$crmq" report no-such-report 2>&1 | sed -n 's/.*reports: \([^(]*\).*/\1/p' | tr -d ',')
    [[ -n $names ]] || { echo "$BENCH_NAME: no report names from crmq-analytics" >&2; exit 1; }
    total_start=$(now)
    failed=0
    for name in $names; do
        start=$(now)
        if "$crmq" report "$name" --from 2010-12-01 --to 2012-01-01 --format json \
               >/dev/null 2>"$STACK_DIR/report.err"; then
            echo "report $name: $(ms "$start" "$(now)") ms"
        else
            echo "report $name: failed after $(ms "$start" "$(now)") ms: $(head -c 300 "$STACK_DIR/report.err")"
            failed=$((failed + 1))
        fi
    done
    echo "every report once: $(ms "$total_start" "$(now)") ms ($failed failed)"
    exit $((failed > 0))
fi

echo "data set: $clients clients, $lines order lines, seed $seed"
start=$(now)
psql -q -v clients="$clients" -v lines="$lines" -v seed="$seed" \
     -f tests/bench/analytics_data.sql >"$STACK_DIR/generate.log" 2>&1 ||
    { tail -n 20 "$STACK_DIR/generate.log"; exit 1; }
made=$(now)
echo "documents made: $(seconds "$start" "$made") s"
psql -qAt -c "SELECT sales.rebuild_rollups ('UTC')" >/dev/null || exit 1
rolled=$(now)
echo "rollups (sales.rebuild_rollups, the month rollups by their triggers): $(seconds "$made" "$rolled") s"
psql -q -c "VACUUM ANALYZE" || exit 1
vacuumed=$(now)
echo "VACUUM ANALYZE: $(seconds "$rolled" "$vacuumed") s"
echo "generation in all: $(seconds "$start" "$vacuumed") s"
psql -At -F ' ' -c "
    SELECT 'clients', (SELECT count(*) FROM contacts.clients),
           'orders', (SELECT count(*) FROM sales.orders),
           'cancelled', (SELECT count(*) FROM sales.orders WHERE status = 'cancelled'),
           'lines', (SELECT count(*) FROM sales.order_lines),
           'returns', (SELECT count(*) FROM sales.returns)" | sed 's/^/dataset: /'
psql -At -F ' ' -c "
    SELECT 'day-group rollups', (SELECT count(*) FROM sales.client_day_group_rollups),
           'day rollups', (SELECT count(*) FROM sales.client_day_rollups),
           'month rollups', (SELECT count(*) FROM sales.client_month_rollups),
           'database', pg_size_pretty (pg_database_size (current_database()))" | sed 's/^/dataset: /'
"$BUILD/bin/bench_analytics" --runs "$runs"

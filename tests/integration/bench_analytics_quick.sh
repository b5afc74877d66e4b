#!/usr/bin/env bash
# The analytics benchmark, small (20,000 clients, 400,000 order lines, 2
# timed runs), on a stack of its own (tests/bench/analytics.sh starts one):
# the generator, the plain-SQL reports and the harness keep working, and
# every report crmq answers agrees, table for table, with its plain SQL
# (bench_analytics exits 1 when not).  Speed is printed, not judged.
# Skipped under CRMQ_SERVICE_WRAPPER (valgrind): the data set is too big.
set -euo pipefail
if [[ -n ${CRMQ_SERVICE_WRAPPER:-} ]]; then
    echo "skip: the data set is too big for services under ${CRMQ_SERVICE_WRAPPER%% *}"
    exit 77
fi
exec "$CRMQ_SOURCE_DIR/tests/bench/analytics.sh" --clients 20000 --lines 400000 --runs 2

# What the benchmark scripts (tests/bench/*.sh) share: the repository root,
# BUILD, a throw-away stack of their own and its teardown.  Source it, then
# call bench_stack_up.
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   bench_require "$BUILD/bin/bench_thing"      # exit 2 when not built
#   bench_stack_up                              # exports the stack's CRMQ_* variables
#
# Sets ROOT (and cds there), BUILD (absolute, exported), STACK
# (deploy/stack.sh), BENCH_NAME (the script's name), STACK_DIR once up.
# Environment: BUILD (default build), CRMQ_KEEP_STACK=1 (leave the stack
# running at the end), CRMQ_STACK_PG_SETTINGS (deploy/stack.sh).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$ROOT" || exit 2
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
export BUILD
STACK=$ROOT/deploy/stack.sh
BENCH_NAME=$(basename "$0")
STACK_DIR=

# Exits 2 when a program the benchmark runs is not built.
bench_require() {
    local program
    for program in "$@"; do
        [[ -x $program ]] || { echo "$BENCH_NAME: $program not built (make)" >&2; exit 2; }
    done
}

# The machine and its load, one line.
bench_machine() {
    echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

bench_teardown() {
    [[ -n $STACK_DIR ]] || return 0
    if [[ ${CRMQ_KEEP_STACK:-0} == 1 ]]; then
        echo "$BENCH_NAME: the stack keeps running in $STACK_DIR (deploy/stack.sh down $STACK_DIR --purge)"
    else
        "$STACK" down "$STACK_DIR" --purge >/dev/null 2>&1 || rm -rf -- "$STACK_DIR"
    fi
}

# Prints the machine line, starts a stack on random free ports in a mktemp
# folder (torn down at exit), and exports CRMQ_PG_URL, CRMQ_REDIS_URL, every
# CRMQ_*_ENDPOINT and CRMQ_STACK_DIR.  Exits 2 when it does not start.
bench_stack_up() {
    STACK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/crmq-bench.XXXXXX")
    trap bench_teardown EXIT
    trap 'exit 130' INT TERM
    bench_machine
    if ! CRMQ_STACK_RANDOM_PORTS=1 "$STACK" up "$STACK_DIR" >"$STACK_DIR.up.log" 2>&1; then
        cat "$STACK_DIR.up.log"
        rm -f "$STACK_DIR.up.log"
        echo "$BENCH_NAME: the stack did not start" >&2
        exit 2
    fi
    rm -f "$STACK_DIR.up.log"
    # shellcheck source=/dev/null
    . "$STACK_DIR/env"
    export CRMQ_PG_URL CRMQ_REDIS_URL CRMQ_STACK_DIR
    local name
    for name in $(compgen -v CRMQ_ | grep '_ENDPOINT$'); do export "${name?}"; done
}

#!/usr/bin/env bash
# crmq test driver (`make test` runs it with BUILD set).
#
#   tests/run.sh                 run every test
#   tests/run.sh NAME...         run only these (names as --list prints them)
#   tests/run.sh --list          list the tests
#
# Starts a throw-away stack (deploy/stack.sh up with random free ports in a
# mktemp folder), then runs, each with its environment:
#   selftest      $BUILD/bin/crmq-selftest (libcrmq's class self-tests); it gets
#                 a database and a Redis db of its own on the same servers
#                 (crmq_selftest, /15), so it cannot disturb the services
#   cli-selftest  $BUILD/bin/crmq selftest (the CLI's class self-tests)
#   NAME-selftest $BUILD/bin/crmq-NAME --selftest, for each service whose
#                 services/NAME/main.c handles --selftest
#   NAME          every executable tests/integration/NAME.sh
#   test_NAME     every $BUILD/bin/test_NAME built from tests/integration/test_NAME.c
# and tears the stack down (with --purge) at the end, on failure and on Ctrl-C.
# A test that leaves a service down (crashed, or stopped and not restarted)
# fails, and the stack is brought back up for the next one; a service that
# ignores SIGTERM at teardown, or a sanitizer report in a service log, counts
# as a failure too.
#
# What a test gets: cwd = the repository root; the stack's CRMQ_* variables
# (CRMQ_PG_URL, CRMQ_REDIS_URL, CRMQ_<SERVICE>_ENDPOINT of each service and
# CRMQ_BUS_PUB_ENDPOINT,
# CRMQ_STACK_DIR); BUILD (absolute); PATH starting with $BUILD/bin;
# CRMQ_SOURCE_DIR (repository root); CRMQ_STACK_SCRIPT (deploy/stack.sh, e.g.
# "$CRMQ_STACK_SCRIPT" restart-service "$CRMQ_STACK_DIR" contacts); no stdin.
# Exit 0 = PASS, 77 = SKIP, anything else = FAIL; a test is killed after
# CRMQ_TEST_TIMEOUT seconds (default 900).  Its output goes to
# $BUILD/test-logs/NAME.log and is shown when it fails.
#
# Environment: BUILD (default build), CRMQ_TEST_TIMEOUT, CRMQ_TEST_WRAPPER and
# CRMQ_SERVICE_WRAPPER (a tool such as valgrind to run test binaries and
# services under; `make valgrind-test` sets both), CRMQ_KEEP_STACK=1
# (leave the stack running and its folder in place, for debugging),
# CRMQ_TEST_VERBOSE=1 (show every test's output).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT" || exit 2
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
export BUILD
STACK=$ROOT/deploy/stack.sh
TEST_TIMEOUT=${CRMQ_TEST_TIMEOUT:-900}
LOG_DIR=$BUILD/test-logs
# what ASan, UBSan, LSan and valgrind print when they find something
TOOL_REPORT='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: [A-Za-z]*Sanitizer|ERROR SUMMARY: [1-9]|definitely lost: [1-9]'

# ---------------------------------------------------------------- the tests
NAMES=()
declare -A CMD=() ARG=()

# add_test NAME PROGRAM [ONE-ARGUMENT]
add_test() {
    local name=$1 path=$2
    ARG[$name]=${3:-}
    if [[ -n ${CMD[$name]:-} ]]; then
        echo "run.sh: two tests named $name: ${CMD[$name]} and $path" >&2
        exit 2
    fi
    NAMES+=("$name")
    CMD[$name]=$path
}

add_test selftest "$BUILD/bin/crmq-selftest"
add_test cli-selftest "$BUILD/bin/crmq" selftest
shopt -s nullglob
# a service whose main.c handles --selftest: its classes' self-tests
for f in services/*/main.c; do
    service=$(basename "$(dirname "$f")")
    if grep -q '"--selftest"' "$f"; then
        add_test "$service-selftest" "$BUILD/bin/crmq-$service" --selftest
    fi
done
for f in tests/integration/*.sh; do
    if [[ -x $f ]]; then
        add_test "$(basename "$f" .sh)" "$ROOT/$f"
    else
        echo "run.sh: note: $f is not executable; not run (chmod +x it)" >&2
    fi
done
for f in tests/integration/test_*.c; do
    name=$(basename "$f" .c)
    add_test "$name" "$BUILD/bin/$name"
done
shopt -u nullglob

usage() { sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

SELECTED=()
for arg in "$@"; do
    case $arg in
        -h | --help) usage; exit 0 ;;
        --list) printf '%s\n' "${NAMES[@]}"; exit 0 ;;
        -*) echo "run.sh: unknown option $arg" >&2; exit 2 ;;
    esac
    name=$(basename "$arg")
    name=${name%.sh}; name=${name%.c}
    [[ $name == crmq-selftest ]] && name=selftest
    if [[ -z ${CMD[$name]:-} ]]; then
        echo "run.sh: no test named '$arg'; tests: ${NAMES[*]}" >&2
        exit 2
    fi
    SELECTED+=("$name")
done
((${#SELECTED[@]})) || SELECTED=("${NAMES[@]}")

# ---------------------------------------------------------------- results
PASSED=0 SKIPPED=0
FAILED=()
START=$SECONDS

fail() { FAILED+=("$1"); }

summary() {
    local total=$((PASSED + ${#FAILED[@]} + SKIPPED))
    echo
    echo "== crmq tests: $total results in $((SECONDS - START))s; logs in $LOG_DIR"
    if ((${#FAILED[@]})); then
        echo "== FAILED:"
        printf '==   %s\n' "${FAILED[@]}"
    fi
    if ((SKIPPED)); then
        echo "${PASSED} passed, ${#FAILED[@]} failed, ${SKIPPED} skipped"
    else
        echo "${PASSED} passed, ${#FAILED[@]} failed"
    fi
}

# ---------------------------------------------------------------- the stack
STACK_DIR=
STACK_UP=0
TORN_DOWN=0
CURRENT_PID=

tail_logs() {
    local f lines=${1:-60}
    [[ -n $STACK_DIR && -d $STACK_DIR/log ]] || return 0
    for f in "$STACK_DIR"/log/{contacts,sales,bus,analytics,scheduler,notify,migrate,postgresql}.log; do
        [[ -s $f ]] || continue
        printf -- '----- last %d lines of %s -----\n' "$lines" "${f##*/}"
        tail -n "$lines" "$f"
    done
    printf -- '----- end of service logs -----\n'
}

# Stops the stack, checks the service logs, removes the folder.
teardown() {
    ((TORN_DOWN)) && return 0
    TORN_DOWN=1
    [[ -n $STACK_DIR ]] || return 0
    if [[ -n $CURRENT_PID ]]; then
        kill -TERM "$CURRENT_PID" 2>/dev/null
        wait "$CURRENT_PID" 2>/dev/null
        CURRENT_PID=
    fi
    if [[ ${CRMQ_KEEP_STACK:-0} == 1 ]]; then
        echo "run.sh: CRMQ_KEEP_STACK=1: the stack keeps running in $STACK_DIR"
        echo "run.sh: stop it with: deploy/stack.sh down $STACK_DIR --purge"
        return 0
    fi
    local out
    out=$("$STACK" down "$STACK_DIR" 2>&1)
    if ((STACK_UP)) && [[ $out == *"did not stop within"* ]]; then
        echo "$out" | grep 'did not stop within'
        fail "services-stop-on-SIGTERM"
    fi
    # sanitizer (ASan/UBSan/LSan) and valgrind reports, also those printed at exit
    local f bad=0
    for f in "$STACK_DIR"/log/*.log; do
        if grep -qE "$TOOL_REPORT" "$f" 2>/dev/null; then
            echo "run.sh: memory error report in ${f##*/}:"
            grep -nE -B 2 -A 30 "$TOOL_REPORT" "$f" | head -n 80
            bad=1
        fi
    done
    ((bad)) && fail "service-memory-error-reports"
    if ((${#FAILED[@]})); then
        echo
        echo "run.sh: failures; the service logs end:"
        tail_logs 60
        mkdir -p "$LOG_DIR/stack" && cp -r "$STACK_DIR/log/." "$LOG_DIR/stack/" 2>/dev/null
    fi
    "$STACK" down "$STACK_DIR" --purge >/dev/null 2>&1 || rm -rf -- "$STACK_DIR"
}

on_exit() {
    local rc=$?
    teardown
    exit "$rc"
}
on_signal() {
    echo
    echo "run.sh: interrupted (SIG$1); tearing the stack down"
    fail "interrupted"
    teardown
    summary
    exit 130
}
trap on_exit EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

rm -rf -- "$LOG_DIR"
mkdir -p "$LOG_DIR"

echo "== crmq tests (BUILD=$BUILD): ${SELECTED[*]}"
STACK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/crmq-test.XXXXXX")
if ! CRMQ_STACK_RANDOM_PORTS=1 "$STACK" up "$STACK_DIR" >"$LOG_DIR/stack-up.log" 2>&1; then
    cat "$LOG_DIR/stack-up.log"
    echo "run.sh: the stack did not start; no test run"
    fail "stack-up"
    teardown
    summary
    exit 1
fi
STACK_UP=1
# shellcheck source=/dev/null
. "$STACK_DIR/env"
# (DIR/env exports every CRMQ_*_ENDPOINT of the stack's services)
export CRMQ_PG_URL CRMQ_REDIS_URL CRMQ_STACK_DIR
export CRMQ_SOURCE_DIR=$ROOT CRMQ_STACK_SCRIPT=$STACK
export PATH=$BUILD/bin:$PATH
echo "== stack in $STACK_DIR: $CRMQ_PG_URL $CRMQ_REDIS_URL"

# ---------------------------------------------------------------- running
# Runs one test: NAME, then its command; prints NAME PASS/FAIL/SKIP.
run_one() {
    local name=$1 cmd=$2 log=$LOG_DIR/$1.log t0=$SECONDS rc
    local -a envs=()
    if [[ $name == selftest ]]; then
        # its own database and Redis db on the stack's servers
        PGOPTIONS='-c client_min_messages=warning' psql -X -q "$CRMQ_PG_URL" -c 'DROP DATABASE IF EXISTS crmq_selftest' \
             -c "CREATE DATABASE crmq_selftest TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'" \
             >"$log" 2>&1
        envs=("CRMQ_PG_URL=${CRMQ_PG_URL%/*}/crmq_selftest" "CRMQ_REDIS_URL=$CRMQ_REDIS_URL/15")
    fi
    local -a argv=("$cmd")
    [[ -n ${ARG[$name]} ]] && argv+=("${ARG[$name]}")
    # CRMQ_TEST_WRAPPER (e.g. valgrind) runs the tests that are binaries under
    # a tool; scripts reach the binaries they run through PATH unwrapped.
    local -a wrapper=()
    read -r -a wrapper <<<"${CRMQ_TEST_WRAPPER:-}"
    if [[ ! -x ${argv[0]} ]]; then
        echo "not built or not executable: ${argv[0]}" >>"$log"
        rc=127
    else
        [[ $cmd == *.sh ]] && wrapper=()
        env "${envs[@]}" timeout -k 10 "$TEST_TIMEOUT" "${wrapper[@]}" "${argv[@]}" </dev/null >>"$log" 2>&1 &
        CURRENT_PID=$!
        wait "$CURRENT_PID"
        rc=$?
        CURRENT_PID=
    fi
    local took=$((SECONDS - t0)) verdict
    if ((rc == 0)) && grep -qE "$TOOL_REPORT" "$log"; then
        rc=99     # a memory error the tool reported without failing the test
    fi
    case $rc in
        0) verdict=PASS ;;
        77) verdict=SKIP ;;
        124 | 137) verdict="FAIL (timed out after ${TEST_TIMEOUT}s)" ;;
        127) verdict="FAIL (not built)" ;;
        99) verdict="FAIL (memory error report in its log)" ;;
        *) verdict="FAIL (exit $rc)" ;;
    esac
    local stack_status
    if ! stack_status=$("$STACK" status "$STACK_DIR" 2>&1); then
        verdict="FAIL (left a service down; was: $verdict)"
        STACK_BROKEN=1
    fi
    case $verdict in
        PASS) PASSED=$((PASSED + 1)) ;;
        SKIP) SKIPPED=$((SKIPPED + 1)) ;;
        *) fail "$name" ;;
    esac
    printf '%-40s %s (%ds)\n' "$name" "$verdict" "$took"
    if [[ $verdict == FAIL* || ${CRMQ_TEST_VERBOSE:-0} == 1 ]]; then
        printf -- '----- %s output (last 100 lines of %s) -----\n' "$name" "$log"
        tail -n 100 "$log"
        printf -- '----- end of %s output -----\n' "$name"
    fi
    if ((STACK_BROKEN)); then
        echo "$stack_status"
        tail_logs 40
    fi
}

# After a test left part of the stack down (run_one failed it for that), bring
# the stack back up for the next test.
STACK_BROKEN=0
repair_stack() {
    ((STACK_BROKEN)) || return 0
    STACK_BROKEN=0
    echo "run.sh: bringing the stack back up"
    if ! "$STACK" up "$STACK_DIR" >>"$LOG_DIR/stack-up.log" 2>&1; then
        tail -n 40 "$LOG_DIR/stack-up.log"
        echo "run.sh: could not bring the stack back up; stopping"
        return 1
    fi
}

for name in "${SELECTED[@]}"; do
    run_one "$name" "${CMD[$name]}"
    repair_stack || { fail "stack-repair"; break; }
done

teardown
summary
((${#FAILED[@]} == 0))

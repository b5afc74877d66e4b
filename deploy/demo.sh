#!/usr/bin/env bash
# crmq demo (`make demo`): starts the local stack under var/, imports the
# Northwind sample (data/northwind/, Ms-PL, see its LICENSE.md) and prints the
# client-base and ABC reports.  Leaves the stack running; `make down` stops it.
#
# Environment: BUILD (default build; relative to the repository root).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$ROOT/$BUILD
export BUILD
CLI=$BUILD/bin/crmq
STACK_DIR=var
DATA=data/northwind

step() { printf '\n==> %s\n' "$*"; }

# On failure: which step, and the tail of each service log.
failed() {
    local rc=$?
    printf '\ndemo: failed (exit %d) at: %s\n' "$rc" "${CURRENT_STEP:-?}" >&2
    local f
    # stack.sh shows the relevant log itself when `up` fails
    [[ ${CURRENT_STEP:-} == deploy/stack.sh* ]] && exit "$rc"
    for f in "$STACK_DIR"/log/contacts.log "$STACK_DIR"/log/sales.log "$STACK_DIR"/log/analytics.log; do
        if [[ -s $f ]]; then
            printf -- '----- last 30 lines of %s -----\n' "$f" >&2
            tail -n 30 "$f" >&2
        fi
    done
    printf 'demo: the stack may still be running; stop it with: make down\n' >&2
    exit "$rc"
}
trap failed ERR

[[ -x $CLI ]] || { echo "demo: $CLI not built (run make)" >&2; exit 1; }
[[ -r $DATA/orders.csv ]] || { echo "demo: $DATA/orders.csv missing" >&2; exit 1; }

CURRENT_STEP="deploy/stack.sh up $STACK_DIR"
step "$CURRENT_STEP"
deploy/stack.sh up "$STACK_DIR"

# shellcheck source=/dev/null
. "$STACK_DIR/env"

CURRENT_STEP="crmq import northwind $DATA"
step "$CURRENT_STEP"
"$CLI" import northwind "$DATA"

CURRENT_STEP="crmq report base"
step "$CURRENT_STEP"
"$CLI" report base

CURRENT_STEP="crmq report abc --limit 10"
step "$CURRENT_STEP"
"$CLI" report abc --limit 10

CURRENT_STEP="crmq report abc_xyz --from 1997-01-01 --to 1998-01-01 --table matrix"
step "$CURRENT_STEP"
"$CLI" report abc_xyz --from 1997-01-01 --to 1998-01-01 --table matrix

trap - ERR
rel_cli=${CLI#"$ROOT"/}
cat <<EOF

==> The crmq stack is running (state in $STACK_DIR/, logs in $STACK_DIR/log/).
    Use the CLI against it from this folder:
        . $STACK_DIR/env
        $rel_cli report abc        # every command: $rel_cli --help
    Stop it:
        make down                  # keeps the data in $STACK_DIR/
        deploy/stack.sh down $STACK_DIR --purge   # and delete it
EOF

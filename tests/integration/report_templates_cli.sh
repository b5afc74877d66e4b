#!/usr/bin/env bash
# crmq report template ... against the stack's crmq-analytics:
#   1. save with report options, a schedule and a Cyrillic name and
#      description; the record (table and JSON) shows them, the next run at
#      07:00; list and show agree;
#   2. run prints the report as `crmq report` does (JSON: the same object,
#      CSV of one table, --chart writes the table's SVG);
#   3. refusals exit 1 naming the field (unknown report, MINUTELY, an
#      existing name without --replace); --replace makes version 2; bad
#      command lines exit 64 (a fraction option outside (0, 1] among them);
#   4. a schedule that fires (next_run_at set a second back with psql):
#      `crmq tail analytics. --count 1 --format json` prints the
#      analytics.report.ready event, a crmq.ReportReady of the template;
#   5. delete, then delete again (exit 1, NOT_FOUND naming the template),
#      show is then exit 1.
set -euo pipefail
: "${CRMQ_PG_URL:?run through tests/run.sh}"
cd "${CRMQ_SOURCE_DIR:-.}"
BUILD=${BUILD:-build}
read -r -a wrapper <<<"${CRMQ_TEST_WRAPPER:-}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
run=$(date +%s%N | tail -c 9)
name="шаблон $run"
timeout_s=30
[[ -n ${CRMQ_TEST_WRAPPER:-} ]] && timeout_s=180

check() {   # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" == "$3" ]; then echo "  ok   $1: $3"
    else echo "  FAIL $1: expected $2, got $3"; failures=$((failures + 1)); fi
}
sql() { psql "$CRMQ_PG_URL" -XAtq -v ON_ERROR_STOP=1 "$@"; }
crmq() {    # crmq ARGS...: stdout to $work/out, stderr to $work/err; sets rc
    rc=0
    "${wrapper[@]}" "$BUILD/bin/crmq" "$@" >"$work/out" 2>"$work/err" || rc=$?
    cat "$work/err" >&2
}
# json EXPRESSION: a Python expression over $work/out parsed as JSON (d)
json() {
    python3 -c 'import json, sys
try:
    d = json.load(open(sys.argv[1], encoding="utf-8"))
    print(eval(sys.argv[2]))
except Exception as e:
    print("(%s)" % e)' "$work/out" "$1"
}

echo "1. save, show, list"
crmq report template save "$name" base --from 2020-03-01 --to 2020-04-01 --granularity week \
    --filter "client=cli-$run-none" --schedule 'FREQ=DAILY;BYHOUR=7;BYMINUTE=0' \
    --description 'для отдела продаж'
check "save exits" 0 "$rc"
grep -q 'для отдела продаж' "$work/out" && check "the record shows the description" yes yes ||
    check "the record shows the description" yes no
crmq report template show "$name" --format json
check "show exits" 0 "$rc"
check "name" "$name" "$(json 'd["name"]')"
check "report" base "$(json 'd["report"]')"
check "options" "--from 2020-03-01 --to 2020-04-01 --granularity week --filter client=cli-$run-none" \
    "$(json 'd["options"]')"
check "schedule" 'FREQ=DAILY;BYHOUR=7;BYMINUTE=0' "$(json 'd["schedule"]')"
check "next run at 07:00" 07:00:00 "$(json 'd["next_run"].split(" ")[1]')"
check "params.filters" "cli-$run-none" "$(json 'd["params"]["filters"][0]["values"][0]')"
check "version" 1 "$(json 'd["version"]')"
crmq report template list --format json
check "list exits" 0 "$rc"
check "listed once" 1 "$(json "sum(1 for t in d if t['name'] == '$name')")"
crmq report template list --format csv
check "list as CSV" 1 "$(grep -c "^$name,base," "$work/out" || true)"

echo "2. run"
crmq report template run "$name" --format json
check "run exits" 0 "$rc"
check "the report" base "$(json 'd["report"]')"
check "its period" "2020-03-01" "$(json 'd["period"]["from"]')"
check "no client matches: revenue" 0.00 "$(json 'd["tables"]["summary"][0]["revenue"]')"
crmq report template run "$name" --format csv --table classes
check "run --format csv --table classes" "class,clients,share" "$(head -n 1 "$work/out")"
crmq report template run "$name" --table classes --chart "$work/classes.svg"
check "run --chart exits" 0 "$rc"
check "the chart is SVG" 1 "$(grep -c '<svg' "$work/classes.svg" || true)"

echo "3. refusals"
crmq report template save "other $run" no_such_report
check "unknown report exits" 1 "$rc"
grep -q 'field template.params.report' "$work/err" && check "names the field" yes yes ||
    check "names the field" yes no
crmq report template save "other $run" base --schedule FREQ=MINUTELY
check "MINUTELY exits" 1 "$rc"
grep -q 'too frequent' "$work/err" && check "says why" yes yes || check "says why" yes no
crmq report template save "$name" base
check "an existing name exits" 1 "$rc"
grep -q 'ALREADY_EXISTS' "$work/err" && check "ALREADY_EXISTS" yes yes || check "ALREADY_EXISTS" yes no
crmq report template save "$name" base --from 2020-03-01 --to 2020-04-01 --granularity week \
    --filter "client=cli-$run-none" --schedule 'FREQ=DAILY;BYHOUR=7;BYMINUTE=0' \
    --description 'для отдела продаж' --replace --format json
check "--replace exits" 0 "$rc"
check "version after --replace" 2 "$(json 'd["version"]')"
crmq report template save "$name"
check "save without REPORT" 64 "$rc"
crmq report template save "$name" base --schedule
check "--schedule without a value" 64 "$rc"
crmq report template save "$name" base --replace --replace
check "--replace twice" 64 "$rc"
crmq report template save "$name" base --table x
check "--table is not for save" 64 "$rc"
crmq report template save "$name" abc --a-share 0 --b-share 0.5
check "--a-share 0 (0 is the default on the wire)" 64 "$rc"
check "the refusal names --a-share" 1 "$(grep -c -- '--a-share: "0" must be in (0, 1]' "$work/err")"
crmq report abc --x-cv 1.5
check "--x-cv 1.5" 64 "$rc"
crmq report template show
check "show without NAME" 64 "$rc"
crmq report template nonsense
check "an unknown command" 64 "$rc"

echo "4. the schedule fires; crmq tail shows the event"
from=$(sql -c 'SELECT coalesce (max (seq), 0) + 1 FROM bus.outbox')
sql -c "UPDATE analytics.report_templates SET next_run_at = clock_timestamp () - interval '1 second'
         WHERE name = '$name'"
crmq tail analytics. --from "$from" --count 1 --timeout "$timeout_s" --format json
check "tail exits" 0 "$rc"
check "topic" analytics.report.ready "$(json 'd["topic"]')"
check "type" crmq.ReportReady "$(json 'd["type"]')"
check "template" "$name" "$(json 'd["event"]["template"]')"
check "the result's report" base "$(json 'd["event"]["result"]["params"]["report"]')"
crmq report template show "$name" --format json
check "last status" ok "$(json 'd["last_status"]')"
check "last run set" True "$(json 'd["last_run"] is not None')"

echo "5. delete"
crmq report template delete "$name" --format json
check "delete" deleted "$(json 'd["status"]')"
crmq report template delete "$name" --format json
check "delete again" 1 "$rc"
check "delete again: the service's NOT_FOUND" 1 "$(grep -c "NOT_FOUND: no template \"$name\" (field name)" "$work/err")"
crmq report template show "$name"
check "show of a deleted template" 1 "$rc"
check "its runs went with it" 0 "$(sql -c "SELECT count (*) FROM analytics.report_runs WHERE template = '$name'")"

echo "$failures failure(s)"
((failures == 0))

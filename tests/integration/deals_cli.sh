#!/usr/bin/env bash
# The crmq CLI against crmq-sales' deals and pipelines, end to end: a
# pipeline saved with Cyrillic stage names, a deal with quotes in its title
# added, edited, moved, lost, reopened and won, an order linked, listed and
# shown in every format (JSON parsed with python3, CSV and table read as
# text), dates in CRMQ_TIME_ZONE.  Bad input gets its status and changes
# nothing; bad command lines exit 64.
set -euo pipefail
BUILD=${BUILD:-build}
read -r -a wrapper <<<"${CRMQ_TEST_WRAPPER:-}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
export CRMQ_TIME_ZONE=Asia/Vladivostok CRMQ_ACTOR='Тестер "CLI"'
run_id=$(date +%s%N | tail -c 9)
tag="d$run_id"

check() {   # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" == "$3" ]; then echo "  ok   $1: $3"
    else echo "  FAIL $1: expected $2, got $3"; failures=$((failures + 1)); fi
}
sql() { psql "$CRMQ_PG_URL" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
crmq() {
    rc=0
    "${wrapper[@]}" "$BUILD/bin/crmq" "$@" > "$work/out" 2> "$work/err" || rc=$?
    cat "$work/err" >&2
}
ok() {
    crmq "$@" --format json
    if [ "$rc" != 0 ]; then
        echo "  FAIL crmq $*: exit $rc: $(cat "$work/err")"
        failures=$((failures + 1))
    fi
}
js() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$work/out" "$1"; }
fingerprint() {
    sql "SELECT md5(string_agg(t, '|' ORDER BY t)) FROM (
           SELECT 'p' || x::text AS t FROM sales.pipelines x UNION ALL
           SELECT 's' || x::text FROM sales.stages x UNION ALL
           SELECT 'd' || x::text FROM sales.deals x UNION ALL
           SELECT 'h' || x::text FROM sales.deal_stages x UNION ALL
           SELECT 'o' || x::text FROM sales.deal_orders x UNION ALL
           SELECT 'e' || x::text FROM bus.outbox x WHERE producer = 'sales') r"
}
# refused EXIT STATUS ARGS...: a call that must fail so and change nothing
refused() {
    local code=$1 status=$2
    shift 2
    local before after
    before=$(fingerprint)
    crmq "$@"
    after=$(fingerprint)
    check "crmq $* exits" "$code" "$rc"
    if [ -n "$status" ]; then
        check "crmq $* says" 1 "$(grep -c ": $status: " "$work/err" || true)"
    fi
    check "crmq $* changed nothing" "$before" "$after"
}

echo "the ERP's client, manager, product and order (a small Northwind export)"
data="$work/erp"
mkdir -p "$data"
cat > "$data/categories.csv" <<CSV
category_id,category_name,description
C$tag,Чай $tag,
CSV
cat > "$data/employees.csv" <<CSV
employee_id,last_name,first_name,title,title_of_courtesy,birth_date,hire_date,address,city,region,postal_code,country,home_phone,extension,notes,reports_to,photo_path
E$tag,Петрова,Анна,Sales Representative,Ms.,,,,,,,,,,,,
CSV
cat > "$data/customers.csv" <<CSV
customer_id,company_name,contact_name,contact_title,address,city,region,postal_code,country,phone,fax
K$tag,"ООО «Сделка» $tag",,,,Москва,,,Russia,,
CSV
cat > "$data/products.csv" <<CSV
product_id,product_name,supplier_id,category_id,quantity_per_unit,unit_price,units_in_stock,units_on_order,reorder_level,discontinued
P$tag,Пуэр,1,C$tag,,18,0,0,0,0
CSV
cat > "$data/orders.csv" <<CSV
order_id,customer_id,employee_id,order_date,required_date,shipped_date,ship_via,freight,ship_name,ship_address,ship_city,ship_region,ship_postal_code,ship_country
O$tag,K$tag,E$tag,2024-03-01,2024-03-15,,,,,,,,,
CSV
cat > "$data/order_details.csv" <<CSV
order_id,product_id,unit_price,quantity,discount
O$tag,P$tag,18,3,0
CSV
crmq import northwind "$data"
check "imported" 0 "$rc"
client=$(sql "SELECT id FROM sales.clients WHERE external_id = 'K$tag'")
manager=$(sql "SELECT id FROM sales.managers WHERE external_id = 'E$tag'")

echo "a pipeline with Cyrillic stage names"
ok pipeline save "Воронка $tag" --stage 'Знакомство,0.1,3' --stage 'КП «срочно»,0.5,7' \
    --stage 'Успех,,,won' --stage 'Провал,,,lost'
check "four stages" 4 "$(js 'len(d)')"
check "names" "Знакомство|КП «срочно»|Успех|Провал" "$(js '"|".join(r["stage"] for r in d)')"
check "probabilities exact" "0.1|0.5|1|0" "$(js '"|".join(r["probability"] for r in d)')"
check "outcomes" "open|open|won|lost" "$(js '"|".join(r["outcome"] for r in d)')"
pipeline=$(js 'd[0]["pipeline_id"]')
first=$(js 'd[0]["stage_id"]')
offer=$(js 'd[1]["stage_id"]')
ok pipeline save "Воронка $tag" --id "$pipeline" --stage 'Знакомство,0.1,3' \
    --stage "КП,0.6,7,open,$offer" --stage 'Успех,1,0,won' --stage 'Провал,0,0,lost'
check "renamed by id" "КП|0.6" "$(js 'd[1]["stage"] + "|" + d[1]["probability"]')"
check "same stage ids" "$first $offer" "$(js 'str(d[0]["stage_id"]) + " " + str(d[1]["stage_id"])')"
ok pipeline list
check "listed" 4 "$(js 'len([r for r in d if r["pipeline_id"] == '"$pipeline"'])')"

echo "a deal with quotes in its title"
title="Поставка «Пуэр» \"$tag\" 'x'"
ok deal add --title "$title" --client "$client" --manager "$manager" --amount 1234567.89 \
    --currency EUR --close-date 2031-12-31 --pipeline "$pipeline"
deal=$(js 'd["id"]')
check "title" "$title" "$(js 'd["title"]')"
check "amount exact" "1234567.89 EUR" "$(js 'd["amount"] + " " + d["currency"]')"
check "stage" "Знакомство open" "$(js 'd["stage"] + " " + d["status"]')"
check "client" "K$tag" "$(js 'd["client_external_id"]')"
check "close date" "2031-12-31" "$(js 'd["expected_close_date"]')"
check "created by" 'Тестер "CLI"' "$(js 'd["created_by"]')"
check "one deal in the database" 1 "$(sql "SELECT count(*) FROM sales.deals WHERE client_id = $client")"
created=$(sql "SELECT to_char(created_at AT TIME ZONE 'Asia/Vladivostok', 'YYYY-MM-DD HH24:MI:SS') FROM sales.deals WHERE id = $deal")
check "times in CRMQ_TIME_ZONE" "$created" "$(js 'd["created_at"]')"

echo "edit, move, lose, reopen, win"
ok deal edit "$deal" --title "Пуэр 2" --no-manager --version 1
check "edited" "Пуэр 2 None 2" "$(js 'd["title"] + " " + str(d["manager_id"]) + " " + str(d["version"])')"
refused 1 FAILED_PRECONDITION deal edit "$deal" --title "stale" --version 1
ok deal move "$deal" --stage "$offer"
check "moved" "КП 3" "$(js 'd["stage"] + " " + str(d["version"])')"
refused 1 INVALID_ARGUMENT deal lost "$deal" --reason '   '
ok deal lost "$deal" --reason 'Дорого, "очень"'
check "lost" "lost Провал" "$(js 'd["status"] + " " + d["stage"]')"
check "reason" 'Дорого, "очень"' "$(js 'd["lost_reason"]')"
ok deal move "$deal" --stage "$first"
check "reopened" "open None" "$(js 'd["status"] + " " + str(d["closed_at"])')"
ok deal won "$deal"
check "won" "won Успех" "$(js 'd["status"] + " " + d["stage"]')"

echo "an order linked; the card in every format"
ok deal link "$deal" "O$tag"
check "linked" "O$tag 54" "$(js 'd["orders"][0]["external_id"] + " " + d["orders"][0]["amount"]')"
check "history" "Знакомство,КП,Провал,Знакомство,Успех" "$(js '",".join(h["stage"] for h in d["history"])')"
check "history closed in turn" True "$(js 'all(d["history"][i]["left_at"] == d["history"][i + 1]["entered_at"] for i in range(4)) and d["history"][4]["left_at"] is None')"
crmq deal show "$deal"
check "table shows the history" 1 "$(grep -c '^Stage history' "$work/out")"
check "table shows the order" 1 "$(grep -c "O$tag" "$work/out")"
crmq deal show "$deal" --format csv
check "csv header" "id,title,status" "$(head -1 "$work/out" | cut -d, -f1-3)"
check "csv: a header and a row" "2 Пуэр 2" "$(wc -l < "$work/out") $(tail -1 "$work/out" | cut -d, -f2)"
refused 1 NOT_FOUND deal unlink 999999999 "O$tag"
refused 1 NOT_FOUND deal link "$deal" "no-such-order-$tag"

echo "lists"
ok deal list --client "$client" --status won
check "won deals of the client" "$deal" "$(js '" ".join(str(r["id"]) for r in d)')"
ok deal add --title "Второй $tag" --client "$client" --pipeline "$pipeline"
second=$(js 'd["id"]')
ok deal list --pipeline "$pipeline" --limit 1
check "a page of one" "$deal" "$(js '" ".join(str(r["id"]) for r in d)')"
check "the next page told" "more: crmq deal list --pipeline $pipeline --limit 1 --after $deal" "$(grep -v '^==[0-9]*==' "$work/err")"
ok deal list --pipeline "$pipeline" --limit 1 --after "$deal"
check "the second page" "$second" "$(js '" ".join(str(r["id"]) for r in d)')"
crmq deal list --pipeline "$pipeline"
check "table lists both" 2 "$(grep -c "$tag\|Пуэр 2" "$work/out")"

echo "bad input"
refused 1 INVALID_ARGUMENT deal add --title '  ' --client "$client"
refused 1 INVALID_ARGUMENT deal add --title x --client "$client" --amount -5
refused 1 INVALID_ARGUMENT deal add --title x --client "$client" --amount 5 --currency usd
refused 1 NOT_FOUND deal add --title x --client 999999999
refused 1 NOT_FOUND deal move "$second" --stage 999999999
refused 1 FAILED_PRECONDITION pipeline save "Воронка $tag" --id "$pipeline" --stage 'Только,0.1' \
    --stage 'Успех,,,won' --stage 'Провал,,,lost'
refused 64 "" deal add --title x --client "$client" --amount 1,5
refused 64 "" deal add --title x --client abc
refused 64 "" deal edit "$deal"
refused 64 "" deal move "$deal"
refused 64 "" pipeline save "x" --stage 'a,0.1,1,maybe'
refused 64 "" deal edit "$deal" --currency EUR

echo "deals_cli: $([ "$failures" == 0 ] && echo PASS || echo "FAIL ($failures)")"
[ "$failures" == 0 ]

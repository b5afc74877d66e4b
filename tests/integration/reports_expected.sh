#!/usr/bin/env bash
# The reports of docs/reports.md against an independent computation from the
# raw CSVs (tests/lib/report_expected.py, Python's decimal, not the
# database): for Northwind, Superstore and Online Retail, each imported once,
# `crmq report abc|xyz|abc_xyz|rfm|base|rating|clients --format json`
# over a half-open year and another period, every class, score, share and
# count compared; one line per report ("abc revenue northwind 1997: 95
# clients, 0 differences"), and any difference fails.
#
# Northwind also gets, through `crmq import csv` (sales.Ingest), an order at
# exactly 00:00 of 1997-01-01 (in 1997 once, not in 1996), one at 23:59 the
# day before (in 1996 only), and a client whose returns exceed its sales in
# 1997 (negative revenue, average order 0, class C); `--measure profit` on
# Northwind (no costs) answers a note and no profit figures.  Superstore:
# profit ABC keeps the loss-making clients (counted against Python).
#
# Superstore and Online Retail need the shared data sets (../shared/data):
# without them those parts are skipped, unless CI is set (then it fails).
# Under CRMQ_SERVICE_WRAPPER (valgrind) only Northwind.
set -euo pipefail
BUILD=${BUILD:-build}
. "$(dirname "$0")/../lib/import_test.sh"
py=/usr/bin/python3                 # Debian's, standard library only
expected_py=tests/lib/report_expected.py
zone=${CRMQ_TIME_ZONE:-UTC}         # the stack's company zone (services' default)
export CRMQ_TIME_ZONE=$zone
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The crmq ids of the clients (ties in a ranking go by id).
dump_ids() {
    sql "SELECT external_id || E'\t' || id FROM analytics.clients ORDER BY id" > "$work/ids.tsv"
}

# The rollups of crmq-sales summed per client over [FROM, TO): the facts the
# reports stand on, checked first (a difference here is the import's or the
# rollups', not a report's).
facts() {   # facts NAME FROM TO LABEL
    psql "$CRMQ_PG_URL" -XAq -F $'\t' -P footer=off -v ON_ERROR_STOP=1 -c "
        SELECT c.external_id AS client, coalesce (g.sales, 0) AS sales,
               coalesce (g.returns, 0) AS returns, coalesce (g.cost, 0) AS cost,
               coalesce (g.lines, 0) AS lines,
               coalesce (g.lines_without_cost, 0) AS lines_without_cost,
               coalesce (g.quantity, 0) AS quantity, coalesce (o.orders, 0) AS orders
          FROM analytics.clients c
          LEFT JOIN (SELECT client_id, sum (sales) AS sales, sum (returns) AS returns,
                            sum (cost) - sum (return_cost) AS cost, sum (lines) AS lines,
                            sum (lines_without_cost) AS lines_without_cost,
                            sum (quantity) - sum (returned_quantity) AS quantity
                       FROM analytics.client_day_group_rollups
                      WHERE day >= '$2' AND day < '$3' GROUP BY client_id) g
                 ON g.client_id = c.id
          LEFT JOIN (SELECT client_id, sum (orders) AS orders
                       FROM analytics.client_day_rollups
                      WHERE day >= '$2' AND day < '$3' AND orders <> 0
                      GROUP BY client_id) o
                 ON o.client_id = c.id
         WHERE g.client_id IS NOT NULL OR o.client_id IS NOT NULL" > "$work/$1-facts.tsv"
    JOBS+=(--job "report=facts,from=$2,to=$3,label=facts $4,actual=$work/$1-facts.tsv")
}

# report NAME OUTFILE ARGS...: crmq report NAME ARGS --format json > OUTFILE.
# A report this crmq does not have yet (answered "unknown report") is
# skipped: OUTFILE says so and its comparisons and checks are skipped.
report() {
    local name=$1 out=$2 rc=0
    shift 2
    crmq report "$name" "$@" --format json > "$out" 2> "$out.err" || rc=$?
    [ "$rc" -eq 0 ] && return 0
    if grep -q 'unknown report' "$out.err"; then
        echo "  skip crmq report $name: $(grep -m 1 "unknown report" "$out.err")"
        echo '{"skipped": "unknown report", "tables": {}}' > "$out"
    else
        echo "  FAIL crmq report $name $*: exit $rc: $(grep -m 3 . "$out.err")"
        failures=$((failures + 1))
        echo '{"tables": {}}' > "$out"
    fi
}

# have FILE: the report in FILE was run (not skipped as unknown).
have() { ! grep -q '"skipped"' "$1"; }

# check_in FILE DESCRIPTION EXPECTED ACTUAL: check, unless FILE's report was
# skipped.
check_in() {
    if have "$1"; then check "$2" "$3" "$4"; else echo "  skip $2 (no such report)"; fi
}

# json FILE EXPRESSION: a Python expression over the result `r`, printed.
json() {
    "$py" -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# compare DATASET PATH [report_expected options and --job specs]...: runs
# the comparisons, prints their lines, counts a failure per differing one.
compare() {
    local out rc=0 differing
    out=$("$py" "$expected_py" "$@" --ids "$work/ids.tsv") || rc=$?
    echo "$out"
    if [ "$rc" -ne 0 ]; then
        differing=$(grep -c ', [1-9][0-9]* differences$' <<<"$out" || true)
        # no report differs, yet it failed: it stopped (its error above)
        failures=$((failures + (differing > 0 ? differing : 1)))
    fi
}

# Runs every report over [FROM, TO) (ABC by each of MEASURES) into
# $work/NAME-*.json and adds their --job options to JOBS.
run_reports() {   # run_reports NAME FROM TO LABEL MEASURES...
    local name=$1 from=$2 to=$3 label=$4 measure
    shift 4
    facts "$name" "$from" "$to" "$label"
    for measure in "$@"; do
        report abc "$work/$name-abc-$measure.json" --from "$from" --to "$to" \
               --measure "$measure" --limit 100000
        JOBS+=(--job "report=abc,measure=$measure,from=$from,to=$to,label=abc $measure $label,actual=$work/$name-abc-$measure.json")
    done
    report xyz "$work/$name-xyz.json" --from "$from" --to "$to" --limit 100000
    JOBS+=(--job "report=xyz,from=$from,to=$to,label=xyz $label,actual=$work/$name-xyz.json")
    report abc_xyz "$work/$name-abc_xyz.json" --from "$from" --to "$to" --limit 100000
    JOBS+=(--job "report=abc_xyz,from=$from,to=$to,label=abc_xyz $label,actual=$work/$name-abc_xyz.json")
    report rfm "$work/$name-rfm.json" --from "$from" --to "$to" --limit 100000
    JOBS+=(--job "report=rfm,from=$from,to=$to,label=rfm $label,actual=$work/$name-rfm.json")
    report base "$work/$name-base.json" --from "$from" --to "$to" --granularity month
    JOBS+=(--job "report=base,from=$from,to=$to,label=base $label,actual=$work/$name-base.json")
    report rating "$work/$name-rating.json" --from "$from" --to "$to" --limit 100000
    JOBS+=(--job "report=rating,from=$from,to=$to,label=rating $label,actual=$work/$name-rating.json")
    report clients "$work/$name-metrics.json" --from "$from" --to "$to" --limit 100000
    JOBS+=(--job "report=clients,from=$from,to=$to,label=clients $label,actual=$work/$name-metrics.json")
}

# ------------------------------------------------------------------ Northwind
echo "Northwind, with three clients of its own sent through sales.Ingest"
reset_sales
crmq import northwind data/northwind > "$work/northwind.txt"
check "northwind import" 1 "$(grep -c '1816 accepted' "$work/northwind.txt" || true)"
cat > "$work/extra.json" <<'EOF'
{
  "source": "reports-expected",
  "return_prefix": "R",
  "columns": {
    "order_id": "number", "date": "date", "client_id": "client", "client_name": "name",
    "product_id": "product", "product_group": "group",
    "quantity": "quantity", "unit_price": "price"
  }
}
EOF
# X-MIDNIGHT: one order at exactly 00:00 of 1997-01-01; X-EVE: one at 23:59
# the day before; X-RETURNS: 100.00 sold, 250.00 returned in 1997
cat > "$work/extra.csv" <<'EOF'
number,date,client,name,product,group,quantity,price
M1,1997-01-01 00:00,X-MIDNIGHT,Midnight order,X-ITEM,Expected,1,100.00
E1,1996-12-31 23:59,X-EVE,Order before midnight,X-ITEM,Expected,1,50.00
S1,1997-03-10 10:00,X-RETURNS,Returns beyond sales,X-ITEM,Expected,2,50.00
R1,1997-03-20 10:00,X-RETURNS,Returns beyond sales,X-ITEM,Expected,5,50.00
EOF
crmq import csv --mapping "$work/extra.json" "$work/extra.csv" --time-zone "$zone" \
    > "$work/extra.txt"
check "extra documents sent" "events: 9 sent, 9 accepted, 0 duplicate, 0 rejected" \
      "$(grep '^events' "$work/extra.txt")"
dump_ids
check "clients" 94 "$(wc -l < "$work/ids.tsv")"
extra=(--extra "$work/extra.json:$work/extra.csv" --zone "$zone")

JOBS=()
run_reports nw97 1997-01-01 1998-01-01 "northwind 1997" revenue quantity orders
run_reports nw96 1996-07-01 1997-01-01 "northwind 1996H2" revenue orders
# another report date: the client base covers [from, D) (docs/reports.md,
# "client base"); RFM's recency counts the orders before D, of any period
report base "$work/nw97-asof.json" --from 1997-01-01 --to 1998-01-01 --as-of 1997-07-01
JOBS+=(--job "report=base,from=1997-01-01,to=1998-01-01,as_of=1997-07-01,label=base northwind 1997 as of 1997-07-01,actual=$work/nw97-asof.json")
report rfm "$work/nw97-rfm-asof.json" --from 1997-01-01 --to 1998-01-01 --as-of 1998-03-01 \
       --limit 100000
JOBS+=(--job "report=rfm,from=1997-01-01,to=1998-01-01,as_of=1998-03-01,label=rfm northwind 1997 as of 1998-03-01,actual=$work/nw97-rfm-asof.json")
compare northwind data/northwind "${extra[@]}" "${JOBS[@]}"

echo "the order at 00:00 of 1997-01-01 is in 1997 once, not in 1996"
row() {   # row FILE TABLE CLIENT KEY: the KEY of CLIENT's row, or "none"
    json "$1" "next((x.get('$4') for x in r['tables'].get('$2', [])
                     if x.get('external_id') == '$3'), 'none')"
}
nw97=$work/nw97 nw96=$work/nw96
check "X-MIDNIGHT orders in 1997" 1 "$(row "$nw97-abc-orders.json" clients X-MIDNIGHT value)"
check "X-MIDNIGHT orders in 1996H2" 0 "$(row "$nw96-abc-orders.json" clients X-MIDNIGHT value)"
check "X-MIDNIGHT revenue in 1997" 100.00 \
      "$(row "$nw97-abc-revenue.json" clients X-MIDNIGHT value)"
check "X-MIDNIGHT in 1997's XYZ, one month of 12" "100.00 8.33" \
      "$(row "$nw97-xyz.json" clients X-MIDNIGHT revenue) $(row "$nw97-xyz.json" clients X-MIDNIGHT mean)"
check "X-MIDNIGHT not in 1996H2's XYZ" none "$(row "$nw96-xyz.json" clients X-MIDNIGHT revenue)"
check "X-EVE orders in 1996H2" 1 "$(row "$nw96-abc-orders.json" clients X-EVE value)"
check "X-EVE orders in 1997" 0 "$(row "$nw97-abc-orders.json" clients X-EVE value)"
check "1997 orders: Northwind's 408 + X-MIDNIGHT + X-RETURNS" 410 \
      "$(json "$nw97-base.json" "r['tables']['summary'][0]['orders']")"
check "1996H2 orders: Northwind's 152 + X-EVE" 153 \
      "$(json "$nw96-base.json" "r['tables']['summary'][0]['orders']")"
check_in "$nw97-rating.json" "X-MIDNIGHT orders in 1997 (rating)" 1 \
         "$(row "$nw97-rating.json" clients X-MIDNIGHT orders)"
check_in "$nw96-rating.json" "X-MIDNIGHT orders in 1996H2 (rating)" 0 \
         "$(row "$nw96-rating.json" clients X-MIDNIGHT orders)"
check_in "$nw97-rfm.json" "X-MIDNIGHT in 1997's RFM, recency 365" 365 \
         "$(row "$nw97-rfm.json" clients X-MIDNIGHT recency_days)"
check_in "$nw96-rfm.json" "X-MIDNIGHT not in 1996H2's RFM" none \
         "$(row "$nw96-rfm.json" clients X-MIDNIGHT recency_days)"

echo "returns beyond sales: negative revenue, average order 0"
check "X-RETURNS revenue" -150.00 "$(row "$nw97-abc-revenue.json" clients X-RETURNS value)"
check "X-RETURNS ABC class" C "$(row "$nw97-abc-revenue.json" clients X-RETURNS abc_class)"
check "X-RETURNS XYZ class" Z "$(row "$nw97-xyz.json" clients X-RETURNS xyz_class)"
# (617,085.35 of Northwind + 100.00 - 150.00) / 410 orders = 1504.9643
check "average order of 1997 (base)" 1504.96 \
      "$(json "$nw97-base.json" "r['tables']['summary'][0]['average_order']")"
check_in "$nw97-rating.json" "X-RETURNS average order (rating)" 0.00 \
         "$(row "$nw97-rating.json" clients X-RETURNS average_order)"
check_in "$nw97-metrics.json" "X-RETURNS average order (clients)" 0.00 \
         "$(row "$nw97-metrics.json" clients X-RETURNS average_order)"
check_in "$nw97-metrics.json" "no negative average order in clients" 0 \
         "$(json "$nw97-metrics.json" "sum(1 for x in r['tables'].get('clients', [])
                                          if (x.get('average_order') or '0').startswith('-'))")"

echo "profit on Northwind: no costs, a note and no profit figures"
report abc "$work/nw-profit.json" --from 1997-01-01 --to 1998-01-01 --measure profit --limit 100000
check "a note on missing costs" 1 \
      "$(json "$work/nw-profit.json" "int(any('cost' in n.lower() for n in r.get('notes', [])))")"
check "no profit figure" 0 \
      "$(json "$work/nw-profit.json" "sum(1 for t in r['tables'].values() for x in t
                                          for k in ('value', 'share', 'cumulative_share')
                                          if x.get(k) not in (None, ''))")"
report rating "$work/nw-rating-profit.json" --from 1997-01-01 --to 1998-01-01 --measure profit \
       --limit 100000
compare northwind data/northwind "${extra[@]}" \
    --job "report=abc,measure=profit,from=1997-01-01,to=1998-01-01,label=abc profit northwind 1997,actual=$work/nw-profit.json" \
    --job "report=rating,measure=profit,from=1997-01-01,to=1998-01-01,label=rating profit northwind 1997,actual=$work/nw-rating-profit.json"

# ------------------------------------------------------------------ the shared data sets
shared() {   # shared NAME: its folder, or nothing (skip) / a failure under CI
    local dir
    if dir=$(shared_data "$1" 2>/dev/null); then
        echo "$dir"
    elif [ -n "${CI:-}" ]; then
        echo "  FAIL ../shared/data/$1 is missing and CI is set" >&2
        return 1
    fi
}
if [ -n "${CRMQ_SERVICE_WRAPPER:-}" ]; then
    echo "under CRMQ_SERVICE_WRAPPER: Northwind only"
    finish reports_expected
    exit 0
fi

if superstore=$(shared superstore) && [ -n "$superstore" ]; then
    echo "Superstore (ISO dates, local midnight in $zone)"
    reset_sales
    crmq import superstore "$superstore/superstore.csv" --time-zone "$zone" > "$work/superstore.txt"
    check "superstore import" "0 rejected" "$(grep -o '0 rejected' "$work/superstore.txt" | head -1)"
    dump_ids
    JOBS=()
    run_reports ss17 2017-01-01 2018-01-01 "superstore 2017" revenue profit quantity orders
    run_reports ss1516 2015-07-01 2016-07-01 "superstore 2015-07..2016-06" revenue profit
    compare superstore "$superstore/superstore.csv" --zone "$zone" "${JOBS[@]}"
    loss=$("$py" "$expected_py" superstore "$superstore/superstore.csv" --zone "$zone" \
               --ids "$work/ids.tsv" --job report=abc,measure=profit,from=2017-01-01,to=2018-01-01 \
           | "$py" -c 'import json, sys; print(json.load(sys.stdin)["negative"])')
    check "loss-making clients in profit ABC 2017 (Python: $loss)" "$loss" \
          "$(json "$work/ss17-abc-profit.json" "sum(1 for x in r['tables']['clients'] if x['value'].startswith('-'))")"
    check "loss-making clients are C" 0 \
          "$(json "$work/ss17-abc-profit.json" "sum(1 for x in r['tables']['clients'] if x['value'].startswith('-') and x['abc_class'] != 'C')")"
    check "profit ABC has no missing-cost note" 0 \
          "$(json "$work/ss17-abc-profit.json" "sum(1 for n in r.get('notes', []) if 'cost' in n.lower())")"
else
    [ -z "${CI:-}" ] || failures=$((failures + 1))
    echo "skip: Superstore (../shared/data/superstore is not there)"
fi

if online_retail=$(shared online_retail) && [ -n "$online_retail" ]; then
    echo "Online Retail (541,909 lines, local times in Europe/London)"
    reset_sales
    crmq import online-retail "$online_retail" --time-zone Europe/London \
        > "$work/online_retail.txt" 2> "$work/online_retail.err"
    check "online retail import" 1 \
          "$(grep -c '^events: .* 0 rejected' "$work/online_retail.txt" || true)"
    dump_ids
    JOBS=()
    run_reports or11 2011-01-01 2011-12-01 "online_retail 2011-01..11" revenue quantity orders
    run_reports or10 2010-12-01 2011-12-10 "online_retail 2010-12..2011-12-09" revenue
    # settings other than the defaults, and measures without costs
    p="from=2011-01-01,to=2011-12-01"
    period=(--from 2011-01-01 --to 2011-12-01 --limit 100000)
    report abc "$work/or-profit.json" "${period[@]}" --measure profit
    JOBS+=(--job "report=abc,measure=profit,$p,label=abc profit online_retail 2011-01..11 (no costs),actual=$work/or-profit.json")
    report rating "$work/or-rating-profit.json" "${period[@]}" --measure profit
    JOBS+=(--job "report=rating,measure=profit,$p,label=rating profit online_retail 2011-01..11 (no costs),actual=$work/or-rating-profit.json")
    report rating "$work/or-rating-quantity.json" "${period[@]}" --measure quantity
    JOBS+=(--job "report=rating,measure=quantity,$p,label=rating quantity online_retail 2011-01..11,actual=$work/or-rating-quantity.json")
    report abc "$work/or-shares.json" "${period[@]}" --a-share 0.5 --b-share 0.9
    JOBS+=(--job "report=abc,$p,a_share=0.5,b_share=0.9,label=abc revenue 0.5/0.9 online_retail 2011-01..11,actual=$work/or-shares.json")
    report xyz "$work/or-cv.json" "${period[@]}" --x-cv 0.5 --y-cv 0.9
    JOBS+=(--job "report=xyz,$p,x_cv=0.5,y_cv=0.9,label=xyz 0.5/0.9 online_retail 2011-01..11,actual=$work/or-cv.json")
    report abc_xyz "$work/or-axo.json" "${period[@]}" --measure orders --x-cv 0.2 --y-cv 0.8
    JOBS+=(--job "report=abc_xyz,measure=orders,$p,x_cv=0.2,y_cv=0.8,label=abc_xyz orders 0.2/0.8 online_retail 2011-01..11,actual=$work/or-axo.json")
    report rfm "$work/or-rfm-asof.json" "${period[@]}" --as-of 2011-06-01
    JOBS+=(--job "report=rfm,$p,as_of=2011-06-01,label=rfm online_retail 2011-01..11 as of 2011-06-01,actual=$work/or-rfm-asof.json")
    report base "$work/or-lost60.json" --from 2011-01-01 --to 2011-12-01 --lost-after 60
    JOBS+=(--job "report=base,$p,lost_after=60,label=base lost after 60 online_retail 2011-01..11,actual=$work/or-lost60.json")
    compare online_retail "$online_retail" --import-zone Europe/London --zone "$zone" "${JOBS[@]}"
else
    [ -z "${CI:-}" ] || failures=$((failures + 1))
    echo "skip: Online Retail (../shared/data/online_retail is not there)"
fi

finish reports_expected

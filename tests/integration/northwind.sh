#!/usr/bin/env bash
# Northwind end to end: `crmq import northwind` through crmq-sales into
# PostgreSQL, then the client base and ABC reports, checked against values
# computed here independently from the CSVs; a second import changes nothing.
set -euo pipefail
BUILD=${BUILD:-build}
# under CRMQ_TEST_WRAPPER (valgrind in `make valgrind-test`) when set; its
# reports go to stderr, which tests/run.sh reads
read -r -a wrapper <<<"${CRMQ_TEST_WRAPPER:-}"
crmq() { "${wrapper[@]}" "$BUILD/bin/crmq" "$@"; }
data=data/northwind
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
check() {   # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" == "$3" ]; then echo "  ok   $1: $3"
    else echo "  FAIL $1: expected $2, got $3"; failures=$((failures + 1)); fi
}
sql() { psql "$CRMQ_PG_URL" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
fingerprint() {
    sql "SELECT md5(string_agg(t, '|' ORDER BY t)) FROM (
           SELECT 'cc' || x::text AS t FROM contacts.clients x UNION ALL
           SELECT 'cm' || x::text FROM contacts.managers x UNION ALL
           SELECT 'se' || x::text FROM sales.erp_events x UNION ALL
           SELECT 'sp' || x::text FROM sales.products x UNION ALL
           SELECT 'so' || x::text FROM sales.orders x UNION ALL
           SELECT 'sl' || x::text FROM sales.order_lines x) r"
}

echo "start from empty tables"
# every sales table, the rollups and documents too: ids restart, so rows an
# earlier test left would count for Northwind's clients
sql "TRUNCATE sales.order_lines, sales.orders, sales.products, sales.product_groups,
              sales.clients, sales.managers, sales.erp_events, sales.shipment_lines,
              sales.shipments, sales.invoices, sales.payments, sales.return_lines,
              sales.returns, sales.pending_changes, sales.client_day_group_rollups,
              sales.client_day_rollups, contacts.clients, contacts.managers
              RESTART IDENTITY CASCADE"
redis-cli -u "$CRMQ_REDIS_URL" FLUSHDB >/dev/null

echo "first import"
crmq import northwind "$data" > "$work/import1.txt"
cat "$work/import1.txt"
check "events accepted" 1 "$(grep -c '1007 accepted' "$work/import1.txt" || true)"

echo "facts in the database"
check "clients" 91 "$(sql 'SELECT count(*) FROM contacts.clients')"
check "managers" 9 "$(sql 'SELECT count(*) FROM contacts.managers')"
check "orders" 830 "$(sql 'SELECT count(*) FROM sales.orders')"
check "lines" 2155 "$(sql 'SELECT count(*) FROM sales.order_lines')"
check "revenue" 1265793.29 "$(sql 'SELECT sum(amount) FROM sales.order_lines')"

echo "client base report"
crmq report base
crmq report base --format json > "$work/base.json"
python3 - "$work/base.json" > "$work/base.txt" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
for k in ("clients", "clients_with_orders", "orders", "lines", "revenue", "average_order"):
    print(k, b[k])
PY
check "report clients" "clients 91" "$(grep '^clients ' "$work/base.txt")"
check "report clients with orders" "clients_with_orders 89" "$(grep '^clients_with_orders' "$work/base.txt")"
check "report orders" "orders 830" "$(grep '^orders' "$work/base.txt")"
check "report lines" "lines 2155" "$(grep '^lines' "$work/base.txt")"
check "report revenue" "revenue 1265793.29" "$(grep '^revenue' "$work/base.txt")"
check "report average order" "average_order 1525.05" "$(grep '^average_order' "$work/base.txt")"

echo "client base for 1997 (half-open period)"
crmq report base --from 1997-01-01 --to 1998-01-01 --format json > "$work/base97.json"
expected97=$(python3 - "$data" <<'PY'
import csv, sys
from decimal import Decimal, ROUND_HALF_UP
d = sys.argv[1]
orders = {r["order_id"]: r for r in csv.DictReader(open(d + "/orders.csv"))
          if "1997-01-01" <= r["order_date"] < "1998-01-01"}
cents = Decimal("0.01")
revenue = sum((Decimal(l["quantity"]) * Decimal(l["unit_price"]).quantize(cents, ROUND_HALF_UP)
               * (1 - Decimal(l["discount"]).quantize(cents, ROUND_HALF_UP))).quantize(cents, ROUND_HALF_UP)
              for l in csv.DictReader(open(d + "/order_details.csv")) if l["order_id"] in orders)
print(len(orders), len({o["customer_id"] for o in orders.values()}), revenue)
PY
)
actual97=$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); print(b["orders"], b["clients_with_orders"], b["revenue"])' "$work/base97.json")
check "1997 orders, clients with orders, revenue" "$expected97" "$actual97"

echo "ABC by revenue against an independent computation"
crmq report abc
crmq report abc --clients --format json > "$work/abc.json"
python3 - "$data" "$work/abc.json" > "$work/abc.txt" <<'PY'
import csv, json, sys
from decimal import Decimal, ROUND_HALF_UP
d, report = sys.argv[1], json.load(open(sys.argv[2]))
cents = Decimal("0.01")
customers = [r["customer_id"] for r in csv.DictReader(open(d + "/customers.csv"))]
owner = {r["order_id"]: r["customer_id"] for r in csv.DictReader(open(d + "/orders.csv"))}
revenue = {c: Decimal(0) for c in customers}
for l in csv.DictReader(open(d + "/order_details.csv")):
    revenue[owner[l["order_id"]]] += (Decimal(l["quantity"])
        * Decimal(l["unit_price"]).quantize(cents, ROUND_HALF_UP)
        * (1 - Decimal(l["discount"]).quantize(cents, ROUND_HALF_UP))).quantize(cents, ROUND_HALF_UP)
# crmq ids follow the order clients were imported in (customers.csv order)
rank = {c: i for i, c in enumerate(customers)}
ordered = sorted(customers, key=lambda c: (-revenue[c], rank[c]))
total = sum(v for v in revenue.values() if v > 0)
before, expected = Decimal(0), {}
for c in ordered:
    v = revenue[c]
    expected[c] = "C" if v <= 0 else "A" if before < Decimal("0.80") * total else \
                  "B" if before < Decimal("0.95") * total else "C"
    before += v
rows = report["rows"] if isinstance(report, dict) else report
got = {r["external_id"]: r["class"] for r in rows}
mismatch = [c for c in customers if got.get(c) != expected[c]]
print("clients", len(got))
print("mismatches", len(mismatch), " ".join(mismatch[:5]))
print("order", "same" if [r["external_id"] for r in rows] == ordered else "different")
for k in "ABC":
    print("class", k, sum(1 for c in customers if expected[c] == k))
PY
cat "$work/abc.txt"
check "ABC clients" "clients 91" "$(grep '^clients' "$work/abc.txt")"
check "ABC classes match" "mismatches 0 " "$(grep '^mismatches' "$work/abc.txt")"
check "ABC order" "order same" "$(grep '^order' "$work/abc.txt")"

echo "second import changes nothing"
before=$(fingerprint)
crmq import northwind "$data" > "$work/import2.txt"
cat "$work/import2.txt"
check "all duplicates" 1 "$(grep -c '0 accepted, 1007 duplicate, 0 rejected' "$work/import2.txt" || true)"
check "database unchanged" "$before" "$(fingerprint)"

if [ "$failures" -gt 0 ]; then echo "northwind: FAIL ($failures)"; exit 1; fi
echo "northwind: PASS"

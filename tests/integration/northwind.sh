#!/usr/bin/env bash
# Northwind end to end: `crmq import northwind` through crmq-sales into
# PostgreSQL, then the client base and ABC reports, checked against values
# computed here independently from the CSVs; a second import changes nothing.
set -euo pipefail
BUILD=${BUILD:-build}
. "$(dirname "$0")/../lib/import_test.sh"
data=data/northwind
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "start from empty tables"
# every sales table, the rollups and documents too: ids restart, so rows an
# earlier test left would count for Northwind's clients
reset_sales

echo "first import"
crmq import northwind "$data" > "$work/import1.txt"
cat "$work/import1.txt"
# 9 managers, 91 clients, 77 products, 830 orders, 809 shipments
check "events accepted" 1 "$(grep -c '1816 accepted' "$work/import1.txt" || true)"

echo "facts in the database"
check "clients" 91 "$(sql 'SELECT count(*) FROM contacts.clients')"
check "managers" 9 "$(sql 'SELECT count(*) FROM contacts.managers')"
check "orders" 830 "$(sql 'SELECT count(*) FROM sales.orders')"
check "lines" 2155 "$(sql 'SELECT count(*) FROM sales.order_lines')"
check "revenue" 1265793.29 "$(sql 'SELECT sum(amount) FROM sales.order_lines')"

echo "shipments and late shipments against the CSV"
expected_shipments=$(python3 - "$data" <<'PY'
import csv, sys
orders = list(csv.DictReader(open(sys.argv[1] + "/orders.csv", newline="")))
shipped = [o for o in orders if o["shipped_date"]]
# ISO dates compare as text; late = shipped after the required date
late = [o for o in shipped if o["required_date"] and o["shipped_date"] > o["required_date"]]
print(len(shipped), len(late))
PY
)
check "shipments, late shipments" "$expected_shipments" \
      "$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE late) FROM sales.shipments")"
check "every shipment found its order" 0 \
      "$(sql 'SELECT count(*) FROM sales.shipments WHERE order_id IS NULL OR late IS NULL')"

echo "client base report"
crmq report base
crmq report base --format json > "$work/base.json"
python3 - "$work/base.json" > "$work/base.txt" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))["tables"]["summary"][0]
for k in ("clients", "clients_with_orders", "orders", "revenue", "average_order"):
    print(k, b[k])
PY
check "report clients" "clients 91" "$(grep '^clients ' "$work/base.txt")"
check "report clients with orders" "clients_with_orders 89" "$(grep '^clients_with_orders' "$work/base.txt")"
check "report orders" "orders 830" "$(grep '^orders' "$work/base.txt")"
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
actual97=$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1]))["tables"]["summary"][0]; print(b["orders"], b["clients_with_orders"], b["revenue"])' "$work/base97.json")
check "1997 orders, clients with orders, revenue" "$expected97" "$actual97"

echo "ABC by revenue against an independent computation"
crmq report abc
crmq report abc --format json > "$work/abc.json"
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
rows = report["tables"]["clients"]
got = {r["external_id"]: r["abc_class"] for r in rows}
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
before=$(fingerprint_sales)
crmq import northwind "$data" > "$work/import2.txt"
cat "$work/import2.txt"
check "all duplicates" 1 "$(grep -c '0 accepted, 1816 duplicate, 0 rejected' "$work/import2.txt" || true)"
check "database unchanged" "$before" "$(fingerprint_sales)"

check_rollups UTC
finish northwind

#!/usr/bin/env bash
# Sample - Superstore end to end: `crmq import superstore` through
# crmq-sales into PostgreSQL, checked against an independent computation
# from the CSV with Python's csv module: orders, lines, shipments, the
# product group hierarchy, the sum of the line amounts (Sales rounded
# half-up to cents: the derived unit prices reproduce every one) and of the
# costs (Sales - Profit, rounded as crmq keeps them); the CSV importer with
# the example mapping gives the same; a second import changes nothing.
# Needs the shared data sets; skipped (77) without them.
set -euo pipefail
BUILD=${BUILD:-build}
. "$(dirname "$0")/../lib/import_test.sh"
data=$(shared_data superstore) || exit 77
file=$data/superstore.csv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "expected figures, from the CSV"
python3 - "$file" > "$work/expected.txt" <<'PY'
import csv, sys
from decimal import Decimal, ROUND_HALF_UP
cents = Decimal("0.01")
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
round2 = lambda value: value.quantize(cents, ROUND_HALF_UP)
print("lines", len(rows))
print("orders", len({r["Order ID"] for r in rows}))
print("clients", len({r["Customer ID"] for r in rows}))
print("products", len({r["Product ID"] for r in rows}))
categories = {r["Category"] for r in rows}
subcategories = {(r["Category"], r["Sub-Category"]) for r in rows}
print("groups", len(categories) + len(subcategories))
print("subgroups", len(subcategories))
print("sales", sum(round2(Decimal(r["Sales"])) for r in rows))
print("cost", sum(round2(Decimal(r["Sales"]) - Decimal(r["Profit"])) for r in rows))
print("events", len({r["Customer ID"] for r in rows}) + len({r["Product ID"] for r in rows})
      + len(categories) + len(subcategories) + 2 * len({r["Order ID"] for r in rows}))
PY
cat "$work/expected.txt"
expect() { awk -v k="$1" '$1 == k { print $2 }' "$work/expected.txt"; }

echo "the built-in mapping is the example mapping"
crmq import superstore "$file" --dry-run > "$work/builtin.txt" 2>/dev/null
crmq import csv --mapping examples/mappings/superstore.json "$file" --dry-run \
    > "$work/example.txt" 2>/dev/null
check "same dry run" "" "$(diff "$work/builtin.txt" "$work/example.txt" || true)"
check "dry run: no amount differs" \
      "line amounts that differ from the file after rounding to cents: 0 of $(expect lines)" \
      "$(grep '^line amounts' "$work/builtin.txt")"

echo "start from empty tables"
reset_sales

echo "first import"
crmq import superstore "$file" > "$work/import1.txt"
cat "$work/import1.txt"
events=$(expect events)
check "summary: events" "events: $events sent, $events accepted, 0 duplicate, 0 rejected" \
      "$(grep '^events' "$work/import1.txt")"
check "summary: amounts" \
      "line amounts that differ from the file after rounding to cents: 0 of $(expect lines)" \
      "$(grep '^line amounts' "$work/import1.txt")"

echo "facts in the database"
check "orders" "$(expect orders)" "$(sql 'SELECT count(*) FROM sales.orders')"
check "lines" "$(expect lines)" "$(sql 'SELECT count(*) FROM sales.order_lines')"
check "clients" "$(expect clients)" "$(sql 'SELECT count(*) FROM contacts.clients')"
check "products" "$(expect products)" "$(sql 'SELECT count(*) FROM sales.products')"
check "sum of sales" "$(expect sales)" "$(sql 'SELECT sum(amount) FROM sales.order_lines')"
check "sum of cost" "$(expect cost)" "$(sql 'SELECT sum(cost) FROM sales.order_lines')"
check "lines without a cost" 0 "$(sql 'SELECT count(*) FROM sales.order_lines WHERE cost IS NULL')"
check "product groups, of which sub-groups" "$(expect groups) $(expect subgroups)" \
      "$(sql "SELECT count(*) || ' ' || count(parent_id) FROM sales.product_groups")"
check "a sub-group under its category" "Chairs<Furniture" \
      "$(sql "SELECT g.name || '<' || p.name FROM sales.product_groups g
               JOIN sales.product_groups p ON p.id = g.parent_id
              WHERE g.external_id = 'Furniture/Chairs'")"
check "every product in a sub-group" 0 \
      "$(sql 'SELECT count(*) FROM sales.products p LEFT JOIN sales.product_groups g
               ON g.id = p.group_id WHERE g.parent_id IS NULL')"
check "shipments, late (no required dates)" "$(expect orders) 0" \
      "$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE late) FROM sales.shipments")"
check "shipments found their order" 0 \
      "$(sql 'SELECT count(*) FROM sales.shipments WHERE order_id IS NULL')"
check "client's segment as category" "Claire Gute|Consumer|United States" \
      "$(sql "SELECT name || '|' || category || '|' || country FROM contacts.clients
               WHERE external_id = 'CG-12520'")"
check_rollups UTC

echo "second import changes nothing"
before=$(fingerprint_sales)
crmq import superstore "$file" > "$work/import2.txt"
cat "$work/import2.txt"
check "all duplicates" "events: $events sent, 0 accepted, $events duplicate, 0 rejected" \
      "$(grep '^events' "$work/import2.txt")"
check "database unchanged" "$before" "$(fingerprint_sales)"

finish superstore

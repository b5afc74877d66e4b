#!/usr/bin/env bash
# UCI Online Retail end to end: `crmq import online-retail` of the whole data
# set (541,909 lines in one CSV per month) through crmq-sales into
# PostgreSQL, checked against an independent computation from the CSVs with
# Python's csv module: lines, invoices, returns, clients, and the sales and
# returns of every month (each line rounded half-up to cents) read back from
# sales.order_lines and sales.return_lines; a second import is all
# duplicates and changes nothing.  Under CRMQ_TEST_WRAPPER (valgrind) one
# month only.  Needs the shared data sets; skipped (77) without them.
set -euo pipefail
BUILD=${BUILD:-build}
. "$(dirname "$0")/../lib/import_test.sh"
data=$(shared_data online_retail) || exit 77
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
zone=Europe/London                  # the shop's local time

if [ -n "${CRMQ_TEST_WRAPPER:-}" ]; then
    echo "under a test wrapper: one month (2011-12) instead of the whole year"
    mkdir "$work/data"
    cp "$data/online_retail_2011-12.csv" "$work/data/"
    data=$work/data
    whole=0
else
    whole=1
fi

echo "expected figures, from the CSVs"
python3 - "$data" > "$work/expected.txt" <<'PY'
import csv, glob, sys
from decimal import Decimal, ROUND_HALF_UP
cents = Decimal("0.01")
lines = 0
invoices, returns, orders, clients, products = set(), set(), set(), set(), set()
sales, returned = {}, {}
walk_in = skipped = 0
for path in sorted(glob.glob(sys.argv[1] + "/*.csv")):
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            lines += 1
            invoice, quantity = row["InvoiceNo"], int(row["Quantity"])
            price = Decimal(row["UnitPrice"])
            month = row["InvoiceDate"][:7]          # local time, as written
            invoices.add(invoice)
            if invoice.startswith("C"):             # a return: quantities negative
                returns.add(invoice)
                amount = (-quantity * price).quantize(cents, ROUND_HALF_UP)
                returned[month] = returned.get(month, Decimal(0)) + amount
            elif quantity <= 0 or price < 0:        # stock or bad-debt adjustment
                skipped += 1
                continue
            else:
                orders.add(invoice)
                amount = (quantity * price).quantize(cents, ROUND_HALF_UP)
                sales[month] = sales.get(month, Decimal(0)) + amount
            products.add(row["StockCode"])
            if row["CustomerID"]:
                clients.add(row["CustomerID"].split(".")[0])
            else:
                walk_in += 1
print("lines", lines)
print("invoices", len(invoices))
print("returns", len(returns))
print("orders", len(orders))
print("clients", len(clients))
print("walk_in", walk_in)
print("skipped", skipped)
print("no_sale", len(invoices - orders - returns))
print("events", len(clients) + 1 + len(products) + len(orders) + len(returns))
for month in sorted(set(sales) | set(returned)):
    print("month", month, sales.get(month, Decimal(0)), returned.get(month, Decimal(0)))
PY
cat "$work/expected.txt"
expect() { awk -v k="$1" '$1 == k { print $2 }' "$work/expected.txt"; }
if [ "$whole" = 1 ]; then
    # the data set as UCI publishes it: the Python reading agrees
    check "CSV lines" 541909 "$(expect lines)"
    check "CSV invoices" 25900 "$(expect invoices)"
    check "CSV return invoices" 3836 "$(expect returns)"
    check "CSV clients" 4372 "$(expect clients)"
fi

echo "start from empty tables"
reset_sales

echo "first import"
crmq import online-retail "$data" --time-zone "$zone" > "$work/import1.txt"
cat "$work/import1.txt"
summary() { grep "^$1" "$work/import1.txt"; }
events=$(expect events)
check "summary: rows read" "rows read: $(expect lines)" "$(summary 'rows read')"
check "summary: documents" "documents: $(expect invoices) ($(expect orders) orders, \
$(expect returns) returns, $(expect no_sale) with no sale line, 0 not sent for a rejected row)" \
      "$(summary documents)"
check "summary: lines skipped as no sale" "rows skipped (not sales): $(expect skipped)" \
      "$(summary 'rows skipped')"
check "summary: clients and walk-in lines" \
      "clients: $(($(expect clients) + 1)) (lines without a client id, sent to the walk-in client \"walk-in\": $(expect walk_in))" \
      "$(summary clients)"
check "summary: events" "events: $events sent, $events accepted, 0 duplicate, 0 rejected" \
      "$(summary events)"

echo "facts in the database"
check "orders" "$(expect orders)" "$(sql 'SELECT count(*) FROM sales.orders')"
check "returns" "$(expect returns)" "$(sql 'SELECT count(*) FROM sales.returns')"
check "clients in contacts (with the walk-in client)" "$(($(expect clients) + 1))" \
      "$(sql 'SELECT count(*) FROM contacts.clients')"
check "walk-in client" "walk-in|Walk-in customers" \
      "$(sql "SELECT external_id || '|' || name FROM contacts.clients WHERE external_id = 'walk-in'")"
if [ "$whole" = 1 ]; then
    check "client 17850 (written 17850.0)" "17850|United Kingdom" \
          "$(sql "SELECT external_id || '|' || country FROM contacts.clients WHERE external_id = '17850'")"
fi
grep '^month' "$work/expected.txt" | sort > "$work/expected_months.txt"
sql "SELECT 'month', m, coalesce (s, 0), coalesce (r, 0) FROM
       (SELECT to_char (o.placed_at AT TIME ZONE '$zone', 'YYYY-MM') AS m, sum (l.amount) AS s
          FROM sales.orders o JOIN sales.order_lines l ON l.order_id = o.id GROUP BY 1) a
       FULL JOIN
       (SELECT to_char (t.returned_at AT TIME ZONE '$zone', 'YYYY-MM') AS m, sum (l.amount) AS r
          FROM sales.returns t JOIN sales.return_lines l ON l.return_id = t.id GROUP BY 1) b
       USING (m) ORDER BY m" | tr '|' ' ' | sort > "$work/actual_months.txt"
check "months" "$(wc -l < "$work/expected_months.txt")" "$(wc -l < "$work/actual_months.txt")"
check "sales and returns of every month" "" \
      "$(diff "$work/expected_months.txt" "$work/actual_months.txt" || true)"
check_rollups UTC

echo "second import changes nothing"
before=$(fingerprint_sales)
crmq import online-retail "$data" --time-zone "$zone" > "$work/import2.txt"
cat "$work/import2.txt"
check "all duplicates" "events: $events sent, 0 accepted, $events duplicate, 0 rejected" \
      "$(grep '^events' "$work/import2.txt")"
check "database unchanged" "$before" "$(fingerprint_sales)"

finish online_retail

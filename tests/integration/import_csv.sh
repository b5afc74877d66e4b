#!/usr/bin/env bash
# `crmq import csv --mapping` end to end with the example mappings and the
# fixtures of tests/data: a 1C-style export in CP1251 (";", decimal comma,
# spaces between thousands, Russian dates, discounts in percent, quoted
# Cyrillic names with quotes and delimiters inside, a return and a document
# kind that is no sale) and a shop's export in UTF-8 with a byte order mark
# (walk-in lines, a return by number prefix); the Cyrillic names arrive
# intact in crmq-contacts.  Then bad input: the wrong encoding either way,
# UTF-16, a missing column, unparsable numbers and dates, a field count
# that differs, a huge field, a quote never closed, broken mapping files,
# bad options; each gives its error with file:line, and a file that cannot
# be read sends nothing.
set -euo pipefail
BUILD=${BUILD:-build}
. "$(dirname "$0")/../lib/import_test.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
erp=tests/data/erp1c_sales_cp1251.csv
erp_mapping=examples/mappings/erp1c_cp1251.json
shop=tests/data/shop_utf8_bom.csv
shop_mapping=examples/mappings/shop_utf8_bom.json

# run NAME COMMAND...: runs a crmq command, keeps its output in
# $work/NAME.out and .err and its exit code in $work/NAME.rc
run() {
    local name=$1; shift
    set +e
    crmq "$@" > "$work/$name.out" 2> "$work/$name.err"
    echo $? > "$work/$name.rc"
    set -e
    cat "$work/$name.out"
    grep -v '^import ' "$work/$name.err" || true
}
rc() { cat "$work/$1.rc"; }
has() {   # has NAME TEXT: 1 when the output or errors of NAME contain TEXT
    if grep -qF -- "$2" "$work/$1.out" "$work/$1.err"; then echo 1; else echo 0; fi
}
events() { sql 'SELECT count(*) FROM sales.erp_events'; }

echo "start from empty tables"
reset_sales

echo "a 1C export in CP1251"
run erp import csv --mapping "$erp_mapping" "$erp"
check "exit code" 0 "$(rc erp)"
check "events" "events: 16 sent, 16 accepted, 0 duplicate, 0 rejected" \
      "$(grep '^events' "$work/erp.out")"
check "the transfer is skipped, not an error" 1 \
      "$(has erp 'Вид документа "Перемещение товаров" is neither an order nor a return kind: 1 (first erp1c_sales_cp1251.csv:5)')"
# (the INN goes out as Client.tax_id; crmq-contacts does not keep it from
# ERP master data yet, so it is not checked here)
check "client names in contacts" \
      "000123|ООО \"Ромашка\"|Москва
000124|ИП Сидорова Анна Сергеевна|Тверская обл.
000125|АО «Север; Юг»|Санкт-Петербург" \
      "$(sql "SELECT external_id || '|' || name || '|' || region
                FROM contacts.clients ORDER BY external_id")"
check "managers in contacts" "M01|Иванов Пётр
M02|Смирнова Ольга" \
      "$(sql "SELECT external_id || '|' || name FROM contacts.managers ORDER BY external_id")"
check "products and their groups" \
      "А-100|Чай \"Байховый\", 100 г|Чай<Продукты
Б-200|Кофе молотый|Кофе<Продукты
В-300|Сахар-песок, 1 кг|Бакалея<Продукты" \
      "$(sql "SELECT p.external_id || '|' || p.name || '|' || g.name || '<' || pg.name
                FROM sales.products p JOIN sales.product_groups g ON g.id = p.group_id
                JOIN sales.product_groups pg ON pg.id = g.parent_id ORDER BY 1")"
check "orders: lines, amount, cost, manager, local time" \
      "РТ-0001|2|13727.75|10500.00|M01|2024-03-05 10:15:00
РТ-0002|1|3703.50|2700.00|M02|2024-03-06 00:00:00
РТ-0004|1|7686.00|6000.00|M02|2024-03-31 23:30:00" \
      "$(sql "SELECT o.external_id || '|' || count(*) || '|' || sum(l.amount) || '|' || sum(l.cost)
                     || '|' || m.external_id || '|'
                     || to_char(o.placed_at AT TIME ZONE 'Europe/Moscow', 'YYYY-MM-DD HH24:MI:SS')
                FROM sales.orders o JOIN sales.order_lines l ON l.order_id = o.id
                JOIN sales.managers m ON m.id = o.manager_id
               GROUP BY o.external_id, m.external_id, o.placed_at ORDER BY 1")"
check "a quantity with a decimal comma, a discount in percent" \
      "10.000000000|0.050000000 2.500000000|0.000000000" \
      "$(sql "SELECT string_agg(l.quantity || '|' || l.discount, ' ' ORDER BY l.line_no)
                FROM sales.order_lines l JOIN sales.orders o ON o.id = l.order_id
               WHERE o.external_id = 'РТ-0001'")"
check "the return: price credited after the discount, cost" "ВК-0003|000123|2|1172.775000000|2345.55|1800.00" \
      "$(sql "SELECT r.external_id || '|' || c.external_id || '|' || l.quantity::int || '|'
                     || l.unit_price || '|' || l.amount || '|' || l.cost
                FROM sales.returns r JOIN sales.return_lines l ON l.return_id = r.id
                JOIN sales.clients c ON c.id = r.client_id")"

echo "a shop's export in UTF-8 with a byte order mark"
run shop import csv --mapping "$shop_mapping" "$shop"
check "exit code" 0 "$(rc shop)"
check "events" "events: 10 sent, 10 accepted, 0 duplicate, 0 rejected" \
      "$(grep '^events' "$work/shop.out")"
check "walk-in lines counted" 1 \
      "$(has shop 'clients: 3 (lines without a client id, sent to the walk-in client "shop-walk-in": 1)')"
check "client names in contacts" "C-1|Müller, Jörg|Germany
C-2|Анна Петрова|Россия
shop-walk-in|Покупатели без карты|" \
      "$(sql "SELECT external_id || '|' || name || '|' || country FROM contacts.clients
               WHERE external_id LIKE 'C-%' OR external_id = 'shop-walk-in' ORDER BY external_id")"
check "orders and the return" "1001|44.30 1002|39.60 1003|3750.00 R-1001|-24.50" \
      "$(sql "SELECT string_agg(id || '|' || amount, ' ' ORDER BY id) FROM (
                SELECT external_id AS id, amount FROM sales.orders WHERE external_id ~ '^10'
                UNION ALL SELECT external_id, -amount FROM sales.returns WHERE external_id LIKE 'R-%') d")"
check "product name with quotes and Cyrillic" "SKU-1|Кружка «Москва» 300 мл SKU-2|Teapot \"Classic\"" \
      "$(sql "SELECT string_agg(external_id || '|' || name, ' ' ORDER BY external_id)
                FROM sales.products WHERE external_id IN ('SKU-1', 'SKU-2')")"
check_rollups UTC

echo "both again: all duplicates, nothing changes"
before=$(fingerprint_sales)
run erp2 import csv --mapping "$erp_mapping" "$erp"
run shop2 import csv --mapping "$shop_mapping" "$shop"
check "1C again" "events: 16 sent, 0 accepted, 16 duplicate, 0 rejected" \
      "$(grep '^events' "$work/erp2.out")"
check "shop again" "events: 10 sent, 0 accepted, 10 duplicate, 0 rejected" \
      "$(grep '^events' "$work/shop2.out")"
check "database unchanged" "$before" "$(fingerprint_sales)"

echo "the same documents in another currency: rejected by crmq-sales, reported at their rows"
run eur import csv --mapping "$shop_mapping" --currency EUR --rate 1.08 "$shop"
check "exit code" 2 "$(rc eur)"
check "by reason" 1 "$(has eur 'ALREADY_EXISTS (6): ')"
check "at its row" 1 "$(has eur 'shop_utf8_bom.csv:2 (shop:order:1001): ALREADY_EXISTS: ')"
check "database unchanged" "$before" "$(fingerprint_sales)"
sed 's/"source": "shop"/"source": "shop-eur"/; s/"R-"/"E-R-"/' "$shop_mapping" > "$work/eur.json"
sed 's/^1001,/E-1001,/; s/^1002,/E-1002,/; s/^1003,/E-1003,/; s/^R-1001,/E-R-1001,/' "$shop" > "$work/shop_eur.csv"
run eur2 import csv --mapping "$work/eur.json" --currency EUR --rate 1.08 "$work/shop_eur.csv"
check "in EUR at the ERP's rate" "4|EUR|1.080000000" \
      "$(sql "SELECT count(*) || '|' || min(currency) || '|' || min(currency_rate) FROM (
                SELECT currency, currency_rate FROM sales.orders WHERE external_id LIKE 'E-%'
                UNION ALL SELECT currency, currency_rate FROM sales.returns
                 WHERE external_id LIKE 'E-%') d")"

echo "bad input"
count=$(events)
# the wrong encoding, either way, and UTF-16
sed 's/"cp1251"/"utf-8"/' "$erp_mapping" > "$work/erp_utf8.json"
run cp1251_as_utf8 import csv --mapping "$work/erp_utf8.json" "$erp"
check "CP1251 read as UTF-8: exit" 1 "$(rc cp1251_as_utf8)"
check "CP1251 read as UTF-8: file:line" 1 \
      "$(has cp1251_as_utf8 "$erp:1: the text is not valid UTF-8 (is the file in another encoding, such as CP1251?)")"
sed 's/"source": "shop"/"source": "shop", "encoding": "cp1251"/' "$shop_mapping" > "$work/shop_cp1251.json"
run bom_as_cp1251 import csv --mapping "$work/shop_cp1251.json" "$shop"
check "UTF-8 with a BOM read as CP1251" 1 \
      "$(has bom_as_cp1251 "$shop:1: the file starts with a UTF-8 byte order mark, but its encoding is set to cp1251")"
tail -c +4 "$shop" > "$work/no_bom.csv"
run utf8_as_cp1251 import csv --mapping "$work/shop_cp1251.json" "$work/no_bom.csv"
check "UTF-8 read as CP1251" 1 \
      "$(has utf8_as_cp1251 "no_bom.csv:2: the text is UTF-8, but the encoding is set to cp1251")"
iconv -f utf-8 -t utf-16 "$work/no_bom.csv" > "$work/utf16.csv"
run utf16 import csv --mapping "$shop_mapping" "$work/utf16.csv"
check "UTF-16" 1 "$(has utf16 "utf16.csv:1: the file is UTF-16")"
# a missing column
sed '1s/,qty,/,quantity,/' "$shop" > "$work/no_qty.csv"
run no_column import csv --mapping "$shop_mapping" "$work/no_qty.csv"
check "missing column: exit" 1 "$(rc no_column)"
check "missing column" 1 "$(has no_column "no_qty.csv:1: the header has no column \"qty\"")"
# numbers, dates, a field count: those rows and their documents are
# rejected, the rest is sent
cat > "$work/bad_rows.csv" <<'CSV'
order,date,customer,customer name,country,sku,item,qty,price,line total
2001,2024-03-05 09:00,C-1,"Müller, Jörg",Germany,SKU-1,Кружка,two,9.90,19.80
2002,2024-02-30 10:00,C-1,"Müller, Jörg",Germany,SKU-1,Кружка,1,9.90,9.90
2003,2024-03-05 09:00,C-1,"Müller, Jörg",Germany,SKU-1,Кружка,1,"9,90",9.90
2004,2024-03-05 09:00,C-1,"Müller, Jörg",Germany,SKU-1,Кружка,1,9.90,9.90,extra
2005,2024-03-05 09:00,C-1,"Müller, Jörg",Germany,SKU-1,Кружка,1,9.90,9.90
2005,2024-03-05 09:00,C-1,"Müller, Jörg",Germany,SKU-2,Teapot,1,1e3,9.90
2006,2024-03-05 09:00,C-1,"Müller, Jörg",Germany,SKU-1,Кружка,2,9.90,19.80
CSV
run bad_rows import csv --mapping "$shop_mapping" "$work/bad_rows.csv"
check "bad rows: exit" 2 "$(rc bad_rows)"
check "not a number, at its line" 1 "$(has bad_rows 'bad_rows.csv:2: qty "two" is not a number')"
check "not a date, at its line" 1 \
      "$(has bad_rows 'bad_rows.csv:3: date "2024-02-30 10:00" is not a date (YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS])')"
check "a misplaced thousands separator" 1 "$(has bad_rows 'bad_rows.csv:4: price "9,90" is not a number')"
check "a field count" 1 "$(has bad_rows 'bad_rows.csv:5: 11 fields, the header has 10')"
check "a document with a rejected row is not sent" 1 \
      "$(has bad_rows 'bad_rows.csv:6: order 2005 not sent: its row bad_rows.csv:7 was rejected')"
check "the good document is sent" "1 0" \
      "$(sql "SELECT count(*) FILTER (WHERE external_id = '2006') || ' '
                     || count(*) FILTER (WHERE external_id IN ('2001', '2002', '2003', '2005'))
                FROM sales.orders")"
count=$(events)
# a huge field, a quote never closed: nothing sent
python3 -c '
import sys
sys.stdout.write("order,date,customer,customer name,country,sku,item,qty,price,line total\n")
sys.stdout.write("3001,2024-03-05 09:00,C-9,Huge,Germany,SKU-9,\"" + "x" * (5 << 20) + "\",1,1,1\n")
' > "$work/huge.csv"
run huge import csv --mapping "$shop_mapping" "$work/huge.csv"
check "huge field: exit" 1 "$(rc huge)"
check "huge field" 1 "$(has huge 'huge.csv:2: a record longer than 4194304 bytes')"
printf 'order,date,customer,customer name,country,sku,item,qty,price,line total\n3002,2024-03-05 09:00,C-9,"Open,Germany,SKU-9,x,1,1,1\n3003,2024-03-05 09:00,C-9,y,Germany,SKU-9,x,1,1,1\n' > "$work/open.csv"
run open_quote import csv --mapping "$shop_mapping" "$work/open.csv"
check "quote never closed: exit" 1 "$(rc open_quote)"
check "quote never closed" 1 "$(has open_quote 'open.csv:2: a quoted field is not closed by the end of the file')"
check "nothing sent from files that could not be read" "$count" "$(events)"
# mapping files
printf '{"source": "x",\n "columns": }\n' > "$work/broken.json"
run broken_json import csv --mapping "$work/broken.json" "$shop"
check "JSON syntax: exit" 1 "$(rc broken_json)"
check "JSON syntax, at line:column" 1 "$(has broken_json 'broken.json:2:')"
sed 's/"return_prefix"/"return_prefx"/' "$shop_mapping" > "$work/typo.json"
run typo import csv --mapping "$work/typo.json" "$shop"
check "unknown key" 1 "$(has typo 'typo.json: unknown key "return_prefx"')"
run no_mapping import csv --mapping "$work/none.json" "$shop"
check "no mapping file" 1 "$(rc no_mapping)"
# options
run no_mapping_option import csv "$shop"
check "--mapping is required" 64 "$(rc no_mapping_option)"
run rate_alone import csv --mapping "$shop_mapping" --rate 2 "$shop"
check "--rate without a foreign currency" 64 "$(rc rate_alone)"
run currency_alone import online-retail tests/data --currency GBP
check "a foreign currency without a rate" 64 "$(rc currency_alone)"
run bad_currency import csv --mapping "$shop_mapping" --currency euro "$shop"
check "--currency not ISO 4217" 64 "$(rc bad_currency)"
run bad_zone import superstore "$shop" --time-zone Mars/Base
check "--time-zone unknown" 64 "$(rc bad_zone)"
mkdir "$work/empty"
run empty_dir import online-retail "$work/empty"
check "online-retail: a folder without CSVs" 1 "$(has empty_dir 'no *.csv file there')"
run unknown_import import nothing
check "unknown import" 64 "$(rc unknown_import)"
check "nothing sent by the bad input" "$count" "$(events)"
check_rollups UTC

finish import_csv

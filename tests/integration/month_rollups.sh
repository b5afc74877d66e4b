#!/usr/bin/env bash
# sales.client_month_rollups kept by the triggers on the day rollups: every
# kind of statement crmq-sales runs on them (INSERT, INSERT ... ON CONFLICT DO
# UPDATE, UPDATE, DELETE, the DELETE ... RETURNING + upsert of
# sales.move_client) and two transactions changing the same month at once.
# Writes day rows of its own, for clients with negative ids (crmq never
# uses them), and deletes them at the end; after each step the months of
# those clients must equal sales.month_rollups_from_day_rollups(), and a
# few figures are checked by value.
set -euo pipefail
BUILD=${BUILD:-build}
. "$(dirname "$0")/../lib/import_test.sh"

A=-9101 B=-9102 C=-9103
clients="($A, $B, $C)"
cleanup() {
    sql "DELETE FROM sales.client_day_group_rollups WHERE client_id IN $clients;
         DELETE FROM sales.client_day_rollups WHERE client_id IN $clients" >/dev/null || true
}
trap cleanup EXIT
cleanup

# the months of the test's clients that differ from a fresh computation
differences() {
    sql "SELECT count(*) FROM (
           (SELECT * FROM sales.client_month_rollups WHERE client_id IN $clients
             EXCEPT SELECT * FROM sales.month_rollups_from_day_rollups() WHERE client_id IN $clients)
           UNION ALL
           (SELECT * FROM sales.month_rollups_from_day_rollups() WHERE client_id IN $clients
             EXCEPT SELECT * FROM sales.client_month_rollups WHERE client_id IN $clients)) d"
}
# client month sales returns lines orders last_order_day, one line per month
months() {   # months CLIENT
    sql "SELECT month || ' ' || sales || ' ' || returns || ' ' || lines || ' ' || orders || ' '
                || coalesce(last_order_day::text, '-')
           FROM sales.client_month_rollups WHERE client_id = $1 ORDER BY month" | paste -sd'|'
}

echo "INSERT: two months, two groups on a day"
sql "INSERT INTO sales.client_day_group_rollups
            (client_id, day, product_group_id, sales, cost, lines, quantity, orders)
     VALUES ($A, '2025-01-05', 1, 100.10, 50, 2, 3, 1), ($A, '2025-01-05', 2, 20.05, 10, 1, 1, 1),
            ($A, '2025-01-20', 1, 5.00, 1, 1, 1, 1), ($A, '2025-02-03', 1, 7.77, 2, 1, 1, 1)"
sql "INSERT INTO sales.client_day_rollups (client_id, day, orders)
     VALUES ($A, '2025-01-05', 1), ($A, '2025-01-20', 1), ($A, '2025-02-03', 1)"
check "differences" 0 "$(differences)"
check "months of A" "2025-01-01 125.15 0.00 4 2 2025-01-20|2025-02-01 7.77 0.00 1 1 2025-02-03" \
    "$(months $A)"

echo "INSERT ... ON CONFLICT DO UPDATE: one row updated, one inserted, in one statement"
sql "INSERT INTO sales.client_day_group_rollups AS r
            (client_id, day, product_group_id, sales, lines, orders, returns)
     VALUES ($A, '2025-01-05', 1, 10.00, 1, 0, 3.50), ($A, '2025-01-31', 3, 1.00, 1, 1, 0)
     ON CONFLICT (client_id, day, product_group_id) DO UPDATE
        SET sales = r.sales + EXCLUDED.sales, lines = r.lines + EXCLUDED.lines,
            orders = r.orders + EXCLUDED.orders, returns = r.returns + EXCLUDED.returns"
sql "INSERT INTO sales.client_day_rollups AS r (client_id, day, orders)
     VALUES ($A, '2025-01-05', 1), ($A, '2025-01-31', 1)
     ON CONFLICT (client_id, day) DO UPDATE SET orders = r.orders + EXCLUDED.orders"
check "differences" 0 "$(differences)"
check "months of A" "2025-01-01 136.15 3.50 6 4 2025-01-31|2025-02-01 7.77 0.00 1 1 2025-02-03" \
    "$(months $A)"

echo "UPDATE: the month's last order day cancelled, then a payment (no order change)"
sql "UPDATE sales.client_day_rollups SET orders = orders - 1
      WHERE client_id = $A AND day IN ('2025-01-31', '2025-01-20')"
sql "UPDATE sales.client_day_group_rollups SET sales = 0, lines = 0, orders = 0
      WHERE client_id = $A AND day IN ('2025-01-31', '2025-01-20')"
sql "UPDATE sales.client_day_rollups SET payments = payments + 1, paid = paid + 9
      WHERE client_id = $A AND day = '2025-01-05'"
check "differences" 0 "$(differences)"
check "months of A" "2025-01-01 130.15 3.50 4 2 2025-01-05|2025-02-01 7.77 0.00 1 1 2025-02-03" \
    "$(months $A)"

echo "a month emptied by a cancellation leaves no row"
sql "UPDATE sales.client_day_group_rollups SET sales = 0, cost = 0, lines = 0, quantity = 0,
            orders = 0
      WHERE client_id = $A AND day = '2025-02-03'"
sql "UPDATE sales.client_day_rollups SET orders = 0 WHERE client_id = $A AND day = '2025-02-03'"
check "differences" 0 "$(differences)"
check "months of A" "2025-01-01 130.15 3.50 4 2 2025-01-05" "$(months $A)"

echo "a return in an empty month, then the day rows deleted"
sql "INSERT INTO sales.client_day_group_rollups AS r
            (client_id, day, product_group_id, returns, return_cost, returned_quantity)
     VALUES ($A, '2025-03-10', 1, 4.00, 2.00, 1)"
sql "INSERT INTO sales.client_day_rollups (client_id, day, returns) VALUES ($A, '2025-03-10', 1)"
check "months of A" "2025-01-01 130.15 3.50 4 2 2025-01-05|2025-03-01 0.00 4.00 0 0 -" "$(months $A)"
sql "DELETE FROM sales.client_day_group_rollups WHERE client_id = $A AND day >= '2025-02-01'"
sql "DELETE FROM sales.client_day_rollups WHERE client_id = $A AND day >= '2025-02-01'"
check "differences" 0 "$(differences)"
check "months of A" "2025-01-01 130.15 3.50 4 2 2025-01-05" "$(months $A)"

echo "sales.move_client: A merged into B, who has a month of its own and one in common"
sql "INSERT INTO sales.client_day_group_rollups (client_id, day, product_group_id, sales, lines, orders)
     VALUES ($B, '2025-01-05', 1, 1.00, 1, 1), ($B, '2024-12-24', 1, 2.00, 1, 1)"
sql "INSERT INTO sales.client_day_rollups (client_id, day, orders)
     VALUES ($B, '2025-01-05', 1), ($B, '2024-12-24', 1)"
sql "SELECT sales.move_client($A, $B)" >/dev/null
check "differences" 0 "$(differences)"
check "months of A" "" "$(months $A)"
check "months of B" "2024-12-01 2.00 0.00 1 1 2024-12-24|2025-01-01 131.15 3.50 5 3 2025-01-05" \
    "$(months $B)"

echo "two transactions on one month at once"
# concurrently FIRST SECOND: FIRST holds the month's row for a second while
# SECOND, started 0.3 s later, changes the same month and waits for it
concurrently() {
    psql "$CRMQ_PG_URL" -XAtq -v ON_ERROR_STOP=1 >/dev/null \
         -c "BEGIN; $1; SELECT pg_sleep(1); COMMIT;" &
    local first=$!
    sleep 0.3
    sql "$2"
    wait "$first"
}
sql "INSERT INTO sales.client_day_rollups (client_id, day, orders) VALUES ($C, '2025-05-02', 1)"
# an earlier day waits for a later one
concurrently "INSERT INTO sales.client_day_rollups (client_id, day, orders) VALUES ($C, '2025-05-20', 1)" \
             "INSERT INTO sales.client_day_rollups (client_id, day, orders) VALUES ($C, '2025-05-10', 1)"
check "later day kept" "2025-05-01 0.00 0.00 0 3 2025-05-20" "$(months $C)"
# a new day waits for the cancellation of the month's last day
concurrently "UPDATE sales.client_day_rollups SET orders = 0 WHERE client_id = $C AND day = '2025-05-20'" \
             "INSERT INTO sales.client_day_rollups (client_id, day, orders) VALUES ($C, '2025-05-15', 1)"
check "cancelled day gone, the new one last" "2025-05-01 0.00 0.00 0 3 2025-05-15" "$(months $C)"
# the second cancels its month's last day while the first adds a later one:
# it must recompute from what the first committed
concurrently "INSERT INTO sales.client_day_rollups (client_id, day, orders) VALUES ($C, '2025-05-25', 1)" \
             "UPDATE sales.client_day_rollups SET orders = 0 WHERE client_id = $C AND day = '2025-05-15'"
check "the later day of the other transaction" "2025-05-01 0.00 0.00 0 3 2025-05-25" "$(months $C)"
check "differences" 0 "$(differences)"

cleanup
check "nothing left" "" "$(months $A)$(months $B)$(months $C)"
finish month_rollups

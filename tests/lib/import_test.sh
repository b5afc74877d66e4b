# Shared by the import tests (tests/integration/*.sh source it): checks,
# SQL, a clean slate for the sales facts and a fingerprint of them.
# Expects BUILD and the stack's CRMQ_* variables (tests/run.sh sets them).

# under CRMQ_TEST_WRAPPER (valgrind in `make valgrind-test`) when set; its
# reports go to stderr, which tests/run.sh reads
read -r -a crmq_wrapper <<<"${CRMQ_TEST_WRAPPER:-}"
crmq() { "${crmq_wrapper[@]}" "$BUILD/bin/crmq" "$@"; }

failures=0
check() {   # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" == "$3" ]; then echo "  ok   $1: $3"
    else echo "  FAIL $1: expected $2, got $3"; failures=$((failures + 1)); fi
}
sql() { psql "$CRMQ_PG_URL" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }

# As sql, tried again (up to 5 times, a second apart) when it fails: a
# TRUNCATE locks its tables one after another and can deadlock with a
# service writing to two of them (crmq-scheduler's activity check after a
# large import), and PostgreSQL then cancels it.
sql_retried() {
    local i
    for ((i = 0; i < 4; i++)); do
        sql "$1" && return 0
        sleep 1
    done
    sql "$1"
}

# Waits (up to 10 minutes) until every durable consumer of sales events
# (crmq-scheduler's, crmq-analytics') has applied the last one written.
wait_sales_consumers() {
    local end lagging i
    end=$(sql "SELECT coalesce(max(seq), 0) FROM bus.outbox WHERE topic LIKE 'sales.%'")
    for ((i = 0; i < 1200; i++)); do
        lagging=$(sql "SELECT count(*) FROM bus.consumers
                        WHERE topic_prefix = 'sales.' AND position < $end")
        [[ $lagging == 0 ]] && return 0
        sleep 0.5
    done
    echo "  FAIL sales consumers still behind seq $end after 10 minutes"
    failures=$((failures + 1))
}

# Every sales fact and the clients and managers, gone (rollups included, so
# that they keep agreeing with the documents), and what the consumers of the
# sales events derived from them: ids start again at 1, and a client or order
# id of a later test must not meet the figures of an earlier one.
reset_sales() {
    wait_sales_consumers
    sql_retried "TRUNCATE analytics.client_metrics, analytics.order_totals,
                  scheduler.alerts, scheduler.client_orders, scheduler.client_returns,
                  scheduler.client_activity"
    sql_retried "TRUNCATE sales.order_lines, sales.orders, sales.products, sales.product_groups,
                  sales.shipment_lines, sales.shipments, sales.invoices, sales.payments,
                  sales.return_lines, sales.returns, sales.pending_changes,
                  sales.client_day_group_rollups, sales.client_day_rollups,
                  sales.client_month_rollups, sales.clients, sales.managers, sales.erp_events,
                  contacts.clients, contacts.managers RESTART IDENTITY CASCADE"
    redis-cli -u "$CRMQ_REDIS_URL" FLUSHDB >/dev/null
}

# md5 of every row of the sales facts and of the clients.
fingerprint_sales() {
    sql "SELECT md5(string_agg(t, '|' ORDER BY t)) FROM (
           SELECT 'cc' || x::text AS t FROM contacts.clients x UNION ALL
           SELECT 'cm' || x::text FROM contacts.managers x UNION ALL
           SELECT 'se' || x::text FROM sales.erp_events x UNION ALL
           SELECT 'sp' || x::text FROM sales.products x UNION ALL
           SELECT 'sg' || x::text FROM sales.product_groups x UNION ALL
           SELECT 'so' || x::text FROM sales.orders x UNION ALL
           SELECT 'sl' || x::text FROM sales.order_lines x UNION ALL
           SELECT 'ss' || x::text FROM sales.shipments x UNION ALL
           SELECT 'sr' || x::text FROM sales.returns x UNION ALL
           SELECT 'st' || x::text FROM sales.return_lines x UNION ALL
           SELECT 'sd' || x::text FROM sales.client_day_rollups x UNION ALL
           SELECT 'sy' || x::text FROM sales.client_day_group_rollups x UNION ALL
           SELECT 'sm' || x::text FROM sales.client_month_rollups x) r"
}

# The rollups agree with the documents (crmq-sales keeps both), and the
# month rollups with a fresh sum of the day rollups.
check_rollups() {   # check_rollups ZONE
    check "rollups agree with the documents" 0 "$(sql "SELECT count(*) FROM (
        (SELECT * FROM sales.client_day_group_rollups
          EXCEPT SELECT * FROM sales.rollups_from_documents('$1'))
        UNION ALL
        (SELECT * FROM sales.rollups_from_documents('$1')
          EXCEPT SELECT * FROM sales.client_day_group_rollups)) d")"
    check "month rollups agree with the day rollups" 0 "$(sql "SELECT count(*) FROM (
        (SELECT * FROM sales.client_month_rollups
          EXCEPT SELECT * FROM sales.month_rollups_from_day_rollups())
        UNION ALL
        (SELECT * FROM sales.month_rollups_from_day_rollups()
          EXCEPT SELECT * FROM sales.client_month_rollups)) d")"
}

# Prints where the shared data set SUBFOLDER is; returns 77 (skip) when it
# is absent:  data=$(shared_data online_retail) || exit 77
shared_data() {   # shared_data SUBFOLDER
    local dir="${CRMQ_SOURCE_DIR:-.}/../shared/data/$1"
    if [ ! -d "$dir" ]; then
        echo "skip: $dir is not there (the shared data sets)" >&2
        return 77
    fi
    echo "$dir"
}

finish() {   # finish NAME
    if [ "$failures" -gt 0 ]; then echo "$1: FAIL ($failures)"; exit 1; fi
    echo "$1: PASS"
}

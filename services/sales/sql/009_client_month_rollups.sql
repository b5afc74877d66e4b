-- crmq-sales: the rollups per client x calendar month, kept in step with the
-- day rollups by statement-level triggers on the two day tables, for reports
-- over long periods (a year reads 12 rows per client instead of up to 365 x
-- groups).  Every figure is the sum of the month's day rows:
--   sales, discounts, cost, lines, lines_without_cost, quantity, returns,
--   return_cost, returned_quantity  from sales.client_day_group_rollups
--   orders (documents)              from sales.client_day_rollups
--   last_order_day                  the last day of the month whose
--                                   sales.client_day_rollups.orders > 0,
--                                   NULL when there is none
-- Months are calendar months of the days' dates (days are already days of
-- the company's time zone); `month` is the month's first day.
--
-- A row whose every figure is 0 and whose last_order_day is NULL is deleted
-- (a cancellation or a merge that empties a month leaves no row), so the
-- table holds exactly what sales.month_rollups_from_day_rollups() computes.
--
-- How the triggers stay exact: each AFTER ... FOR EACH STATEMENT trigger
-- reads the statement's transition tables (new rows +, old rows -), groups
-- them by client and month and adds that delta with one upsert.  An INSERT
-- ... ON CONFLICT DO UPDATE fires both the INSERT trigger (the rows it
-- inserted) and the UPDATE trigger (old and new versions of the rows it
-- updated); a query whose WITH clause deletes and inserts (sales.move_client)
-- fires the DELETE and INSERT/UPDATE triggers; the deltas add up to the
-- change whatever the order.  last_order_day is not additive: where a month
-- only gained orders it moves to the last day that gained; where some day
-- lost orders the trigger on sales.client_day_rollups recomputes it from that
-- table, in a statement of its own after the upsert (under READ COMMITTED
-- that statement sees the day rows of any transaction that held the month's
-- row before it).  TRUNCATE of a day table clears what it contributed.
CREATE TABLE sales.client_month_rollups (
    client_id           bigint NOT NULL,
    month               date NOT NULL CHECK (extract (day FROM month) = 1),
    sales               numeric(28, 2) NOT NULL DEFAULT 0,
    discounts           numeric(28, 2) NOT NULL DEFAULT 0,
    cost                numeric(28, 2) NOT NULL DEFAULT 0,
    lines               bigint NOT NULL DEFAULT 0,
    lines_without_cost  bigint NOT NULL DEFAULT 0,
    quantity            numeric(28, 9) NOT NULL DEFAULT 0,
    returns             numeric(28, 2) NOT NULL DEFAULT 0,
    return_cost         numeric(28, 2) NOT NULL DEFAULT 0,
    returned_quantity   numeric(28, 9) NOT NULL DEFAULT 0,
    orders              bigint NOT NULL DEFAULT 0,
    last_order_day      date,
    PRIMARY KEY (client_id, month)
);
CREATE INDEX client_month_rollups_month_idx ON sales.client_month_rollups (month);

-- The month rollups computed afresh from the day rollups, in the shape of
-- sales.client_month_rollups, without the empty rows: what the table must
-- always equal (tests compare them).
CREATE FUNCTION sales.month_rollups_from_day_rollups ()
RETURNS TABLE (client_id bigint, month date, sales numeric, discounts numeric, cost numeric,
               lines bigint, lines_without_cost bigint, quantity numeric, returns numeric,
               return_cost numeric, returned_quantity numeric, orders bigint,
               last_order_day date)
LANGUAGE sql STABLE AS $$
    SELECT client_id, month, sum (sales), sum (discounts), sum (cost), sum (lines)::bigint,
           sum (lines_without_cost)::bigint, sum (quantity), sum (returns), sum (return_cost),
           sum (returned_quantity), sum (orders)::bigint, max (last_order_day)
      FROM (SELECT client_id, date_trunc ('month', day::timestamp)::date AS month, sales,
                   discounts, cost, lines, lines_without_cost, quantity, returns, return_cost,
                   returned_quantity, 0::bigint AS orders, NULL::date AS last_order_day
              FROM sales.client_day_group_rollups
            UNION ALL
            SELECT client_id, date_trunc ('month', day::timestamp)::date, 0, 0, 0, 0, 0, 0,
                   0, 0, 0, orders, CASE WHEN orders > 0 THEN day END
              FROM sales.client_day_rollups) d
     GROUP BY 1, 2
    HAVING (sum (sales), sum (discounts), sum (cost), sum (lines), sum (lines_without_cost),
            sum (quantity), sum (returns), sum (return_cost), sum (returned_quantity),
            sum (orders)) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        OR max (last_order_day) IS NOT NULL;
$$;

INSERT INTO sales.client_month_rollups SELECT * FROM sales.month_rollups_from_day_rollups ();

-- The rows of a statement's transition tables as a query (SQL text) of
-- client_id, day and the `figures` columns: the new rows as they are, the
-- old rows negated (an INSERT has only new rows, a DELETE only old ones, an
-- UPDATE both).  `op` is TG_OP; the tables must be named new_rows and
-- old_rows in the trigger's REFERENCING clause.
CREATE FUNCTION sales.month_rollups_delta (op text, figures text[])
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT concat_ws (' UNION ALL ',
        CASE WHEN op IN ('INSERT', 'UPDATE')
             THEN 'SELECT client_id, day, ' || array_to_string (figures, ', ') || ' FROM new_rows' END,
        CASE WHEN op IN ('DELETE', 'UPDATE')
             THEN 'SELECT client_id, day, '
                  || (SELECT string_agg (format ('-%1$I AS %1$I', f), ', ') FROM unnest (figures) f)
                  || ' FROM old_rows' END);
$$;

-- Deletes, among the given client x month pairs, the rows left empty.
CREATE FUNCTION sales.month_rollups_drop_empty (clients bigint[], months date[])
RETURNS void LANGUAGE sql AS $$
    DELETE FROM sales.client_month_rollups m
     USING unnest (clients, months) AS t (client_id, month)
     WHERE m.client_id = t.client_id AND m.month = t.month
       AND m.last_order_day IS NULL
       AND (m.sales, m.discounts, m.cost, m.lines, m.lines_without_cost, m.quantity, m.returns,
            m.return_cost, m.returned_quantity, m.orders) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
$$;

-- Trigger of sales.client_day_group_rollups (INSERT, UPDATE, DELETE): adds
-- the statement's change of the amounts to the client's months.
CREATE FUNCTION sales.month_rollups_add_groups ()
RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    emptied_clients bigint[];
    emptied_months date[];
BEGIN
    EXECUTE format ($sql$
        WITH changed AS (
            INSERT INTO sales.client_month_rollups AS m
                   (client_id, month, sales, discounts, cost, lines, lines_without_cost,
                    quantity, returns, return_cost, returned_quantity)
            SELECT client_id, date_trunc ('month', day::timestamp)::date, sum (sales),
                   sum (discounts), sum (cost), sum (lines), sum (lines_without_cost),
                   sum (quantity), sum (returns), sum (return_cost), sum (returned_quantity)
              FROM (%s) d
             GROUP BY 1, 2
            HAVING (sum (sales), sum (discounts), sum (cost), sum (lines),
                    sum (lines_without_cost), sum (quantity), sum (returns), sum (return_cost),
                    sum (returned_quantity)) <> (0, 0, 0, 0, 0, 0, 0, 0, 0)
             ORDER BY 1, 2
            ON CONFLICT (client_id, month) DO UPDATE
               SET sales = m.sales + EXCLUDED.sales,
                   discounts = m.discounts + EXCLUDED.discounts,
                   cost = m.cost + EXCLUDED.cost,
                   lines = m.lines + EXCLUDED.lines,
                   lines_without_cost = m.lines_without_cost + EXCLUDED.lines_without_cost,
                   quantity = m.quantity + EXCLUDED.quantity,
                   returns = m.returns + EXCLUDED.returns,
                   return_cost = m.return_cost + EXCLUDED.return_cost,
                   returned_quantity = m.returned_quantity + EXCLUDED.returned_quantity
            RETURNING client_id, month,
                      m.last_order_day IS NULL
                      AND (m.sales, m.discounts, m.cost, m.lines, m.lines_without_cost,
                           m.quantity, m.returns, m.return_cost, m.returned_quantity, m.orders)
                          = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0) AS empty)
        SELECT array_agg (client_id), array_agg (month) FROM changed WHERE empty$sql$,
        sales.month_rollups_delta (TG_OP, ARRAY ['sales', 'discounts', 'cost', 'lines',
                                   'lines_without_cost', 'quantity', 'returns', 'return_cost',
                                   'returned_quantity']))
    INTO emptied_clients, emptied_months;
    IF emptied_clients IS NOT NULL THEN
        PERFORM sales.month_rollups_drop_empty (emptied_clients, emptied_months);
    END IF;
    RETURN NULL;
END;
$$;

-- Trigger of sales.client_day_rollups (INSERT, UPDATE, DELETE): adds the
-- statement's change of the order counts to the client's months.  Where
-- every day of a month only gained orders, its last_order_day becomes the
-- later of its own and the last day that gained (exact: a day's orders are
-- never below 0, and the upsert reads the month's latest row); a month where
-- some day lost orders gets it recomputed from the day rollups, and is
-- deleted when that leaves it empty.
CREATE FUNCTION sales.month_rollups_add_days ()
RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    clients bigint[];
    months date[];
BEGIN
    EXECUTE format ($sql$
        WITH days AS (
            SELECT client_id, day, sum (orders) AS orders
              FROM (%s) d
             GROUP BY 1, 2
            HAVING sum (orders) <> 0),
        by_month AS (
            SELECT client_id, date_trunc ('month', day::timestamp)::date AS month,
                   sum (orders) AS orders, max (day) FILTER (WHERE orders > 0) AS gained,
                   bool_or (orders < 0) AS lost
              FROM days
             GROUP BY 1, 2),
        changed AS (
            INSERT INTO sales.client_month_rollups AS m (client_id, month, orders, last_order_day)
            SELECT client_id, month, orders, gained FROM by_month ORDER BY 1, 2
            ON CONFLICT (client_id, month) DO UPDATE
               SET orders = m.orders + EXCLUDED.orders,
                   last_order_day = greatest (m.last_order_day, EXCLUDED.last_order_day))
        SELECT array_agg (client_id), array_agg (month) FROM by_month WHERE lost$sql$,
        sales.month_rollups_delta (TG_OP, ARRAY ['orders']))
    INTO clients, months;
    IF clients IS NULL THEN
        RETURN NULL;
    END IF;
    UPDATE sales.client_month_rollups m
       SET last_order_day = x.day
      FROM (SELECT t.client_id, t.month,
                   (SELECT max (d.day) FROM sales.client_day_rollups d
                     WHERE d.client_id = t.client_id AND d.day >= t.month
                       AND d.day < (t.month + interval '1 month')::date AND d.orders > 0) AS day
              FROM unnest (clients, months) AS t (client_id, month)) x
     WHERE m.client_id = x.client_id AND m.month = x.month
       AND m.last_order_day IS DISTINCT FROM x.day;
    PERFORM sales.month_rollups_drop_empty (clients, months);
    RETURN NULL;
END;
$$;

-- Trigger of TRUNCATE on either day table: what it contributed goes (all of
-- the month rollups when the other day table is empty too).
CREATE FUNCTION sales.month_rollups_truncated ()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM sales.client_day_group_rollups)
       AND NOT EXISTS (SELECT FROM sales.client_day_rollups) THEN
        DELETE FROM sales.client_month_rollups;    -- TRUNCATE: not while the statement uses it
    ELSIF TG_TABLE_NAME = 'client_day_group_rollups' THEN
        UPDATE sales.client_month_rollups
           SET sales = 0, discounts = 0, cost = 0, lines = 0, lines_without_cost = 0,
               quantity = 0, returns = 0, return_cost = 0, returned_quantity = 0;
        DELETE FROM sales.client_month_rollups WHERE orders = 0 AND last_order_day IS NULL;
    ELSE
        UPDATE sales.client_month_rollups SET orders = 0, last_order_day = NULL;
        DELETE FROM sales.client_month_rollups
         WHERE (sales, discounts, cost, lines, lines_without_cost, quantity, returns,
                return_cost, returned_quantity) = (0, 0, 0, 0, 0, 0, 0, 0, 0);
    END IF;
    RETURN NULL;
END;
$$;

-- One trigger per event: a trigger with transition tables takes one event.
CREATE TRIGGER month_rollups_insert AFTER INSERT ON sales.client_day_group_rollups
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sales.month_rollups_add_groups ();
CREATE TRIGGER month_rollups_update AFTER UPDATE ON sales.client_day_group_rollups
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sales.month_rollups_add_groups ();
CREATE TRIGGER month_rollups_delete AFTER DELETE ON sales.client_day_group_rollups
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sales.month_rollups_add_groups ();
CREATE TRIGGER month_rollups_truncate AFTER TRUNCATE ON sales.client_day_group_rollups
    FOR EACH STATEMENT EXECUTE FUNCTION sales.month_rollups_truncated ();

CREATE TRIGGER month_rollups_insert AFTER INSERT ON sales.client_day_rollups
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sales.month_rollups_add_days ();
CREATE TRIGGER month_rollups_update AFTER UPDATE ON sales.client_day_rollups
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sales.month_rollups_add_days ();
CREATE TRIGGER month_rollups_delete AFTER DELETE ON sales.client_day_rollups
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sales.month_rollups_add_days ();
CREATE TRIGGER month_rollups_truncate AFTER TRUNCATE ON sales.client_day_rollups
    FOR EACH STATEMENT EXECUTE FUNCTION sales.month_rollups_truncated ();

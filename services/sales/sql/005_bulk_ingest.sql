-- crmq-sales: what ingesting orders in bulk needs from the schema.
--
-- 1. The functions that settle a batch of new orders (003) find those orders
--    through `o.id = ANY (order_ids)`.  While sales grow fast, the planner's
--    statistics lag behind (autovacuum analyzes a minute later) and it reads
--    every order line with a sequential scan and a hash join: the cost of a
--    batch then grows with the size of the table.  The same functions, the
--    same results, driven from the batch's ids (unnest, nested loops over
--    the primary keys), cost what the batch holds whatever the table holds.
--    A repeated id counts once, as with = ANY.
--
-- 2. sales.order_lines loses its two foreign keys (to sales.orders and
--    sales.products).  PostgreSQL checks them row by row, with a query and a
--    row lock each: on the bulk path they cost three times the insert of the
--    line itself.  Every line is written by crmq-sales in the transaction
--    that writes its order (order_store, order_bulk_store), with a product
--    id it has just looked up; orders and products are never deleted
--    (cancelled orders and discontinued products stay).  The primary key,
--    the checks and sales.orders' own foreign keys stay.

CREATE OR REPLACE FUNCTION sales.rollup_orders (order_ids bigint[], sign int, zone text)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO sales.client_day_group_rollups AS r
           (client_id, day, product_group_id, sales, discounts, cost, lines,
            lines_without_cost, quantity, orders)
    SELECT o.client_id, (o.placed_at AT TIME ZONE zone)::date, coalesce (p.group_id, 0),
           sign * sum (round (l.amount * o.currency_rate, 2)),
           sign * sum (round ((round (l.quantity * l.unit_price, 2) - l.amount)
                              * o.currency_rate, 2)),
           sign * coalesce (sum (round (coalesce (l.cost, round (l.quantity * p.standard_cost, 2))
                                        * o.currency_rate, 2)), 0),
           sign * count (*),
           sign * count (*) FILTER (WHERE l.cost IS NULL AND p.standard_cost IS NULL),
           sign * sum (l.quantity),
           sign * count (DISTINCT o.id)
      FROM (SELECT DISTINCT id FROM unnest (order_ids) AS u (id)) x
      JOIN sales.orders o ON o.id = x.id
      JOIN sales.order_lines l ON l.order_id = o.id
      JOIN sales.products p ON p.id = l.product_id
     GROUP BY 1, 2, 3
     ORDER BY 1, 2, 3
    ON CONFLICT (client_id, day, product_group_id) DO UPDATE
       SET sales = r.sales + EXCLUDED.sales,
           discounts = r.discounts + EXCLUDED.discounts,
           cost = r.cost + EXCLUDED.cost,
           lines = r.lines + EXCLUDED.lines,
           lines_without_cost = r.lines_without_cost + EXCLUDED.lines_without_cost,
           quantity = r.quantity + EXCLUDED.quantity,
           orders = r.orders + EXCLUDED.orders;
    INSERT INTO sales.client_day_rollups AS r (client_id, day, orders)
    SELECT o.client_id, (o.placed_at AT TIME ZONE zone)::date, sign * count (*)
      FROM (SELECT DISTINCT id FROM unnest (order_ids) AS u (id)) x
      JOIN sales.orders o ON o.id = x.id
     GROUP BY 1, 2
     ORDER BY 1, 2
    ON CONFLICT (client_id, day) DO UPDATE SET orders = r.orders + EXCLUDED.orders;
$$;

CREATE OR REPLACE FUNCTION sales.settle_shipments (order_ids bigint[], zone text)
RETURNS void LANGUAGE sql AS $$
    WITH target AS (
        SELECT s.id, o.id AS order_id, o.client_id, s.order_id IS NULL AS waited,
               coalesce (s.late, false) AS was_late,
               coalesce (s.shipped_at > o.required_at, false) AS late
          FROM (SELECT DISTINCT id FROM unnest (order_ids) AS u (id)) x
          JOIN sales.orders o ON o.id = x.id
          JOIN sales.shipments s ON s.order_external_id = o.external_id
         WHERE s.order_id IS NULL
            OR s.late IS DISTINCT FROM coalesce (s.shipped_at > o.required_at, false)),
    settled AS (
        UPDATE sales.shipments s
           SET order_id = t.order_id, client_id = t.client_id, late = t.late
          FROM target t
         WHERE s.id = t.id
        RETURNING s.client_id, s.shipped_at, t.waited, t.was_late, t.late)
    SELECT sales.rollup_day (client_id, shipped_at, zone,
                             CASE WHEN waited THEN 1 ELSE 0 END,
                             (CASE WHEN late THEN 1 ELSE 0 END)
                             - (CASE WHEN was_late AND NOT waited THEN 1 ELSE 0 END),
                             0, 0, 0, 0)
      FROM settled;
$$;

-- Payments that name an order not known yet, found without reading them all.
CREATE INDEX payments_waiting_order_id_idx ON sales.payments (order_external_id)
    WHERE order_id IS NULL AND order_external_id <> '';

-- As 003's, and each kind of document is looked for only when some wait
-- (a look into its partial index of waiting documents).
CREATE OR REPLACE FUNCTION sales.resolve_orders (order_ids bigint[], zone text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    invoice_ids bigint[];
BEGIN
    PERFORM sales.settle_shipments (order_ids, zone);
    IF EXISTS (SELECT 1 FROM sales.invoices WHERE order_id IS NULL AND order_external_id <> '') THEN
        WITH placed AS (
            SELECT o.id, o.external_id
              FROM (SELECT DISTINCT id FROM unnest (order_ids) AS u (id)) x
              JOIN sales.orders o ON o.id = x.id),
        linked AS (
            UPDATE sales.invoices i SET order_id = o.id
              FROM placed o
             WHERE i.order_id IS NULL
               AND i.order_external_id <> '' AND i.order_external_id = o.external_id
            RETURNING i.id)
        SELECT array_agg (id) INTO invoice_ids FROM linked;
    END IF;
    IF EXISTS (SELECT 1 FROM sales.payments WHERE order_id IS NULL AND order_external_id <> '') THEN
        WITH placed AS (
            SELECT o.id, o.external_id
              FROM (SELECT DISTINCT id FROM unnest (order_ids) AS u (id)) x
              JOIN sales.orders o ON o.id = x.id)
        UPDATE sales.payments p SET order_id = o.id
          FROM placed o
         WHERE p.order_id IS NULL
           AND p.order_external_id <> '' AND p.order_external_id = o.external_id;
    END IF;
    IF EXISTS (SELECT 1 FROM sales.returns WHERE order_id IS NULL AND order_external_id <> '') THEN
        WITH placed AS (
            SELECT o.id, o.external_id
              FROM (SELECT DISTINCT id FROM unnest (order_ids) AS u (id)) x
              JOIN sales.orders o ON o.id = x.id)
        UPDATE sales.returns r SET order_id = o.id
          FROM placed o
         WHERE r.order_id IS NULL
           AND r.order_external_id <> '' AND r.order_external_id = o.external_id;
    END IF;
    IF invoice_ids IS NOT NULL THEN
        PERFORM sales.settle_payments (invoice_ids, zone);
    END IF;
END;
$$;

ALTER TABLE sales.order_lines
    DROP CONSTRAINT order_lines_order_id_fkey,
    DROP CONSTRAINT order_lines_product_id_fkey;

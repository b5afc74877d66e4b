-- Rollups count a line with the product group and cost it had when it was
-- written: a product moved to another group, or given another standard
-- cost, later, must not move or re-price the lines already counted (a
-- cancellation would then take away what was never added).  Lines keep
-- their group, and their cost is resolved when written: the ERP's cost of
-- the line, else quantity x the product's standard cost then, else NULL
-- (unknown).
ALTER TABLE sales.order_lines
    ADD COLUMN product_group_id bigint NOT NULL DEFAULT 0;
ALTER TABLE sales.return_lines
    ADD COLUMN product_group_id bigint NOT NULL DEFAULT 0;

UPDATE sales.order_lines l
   SET product_group_id = coalesce (p.group_id, 0),
       cost = coalesce (l.cost, round (l.quantity * p.standard_cost, 2))
  FROM sales.products p WHERE p.id = l.product_id;
UPDATE sales.return_lines l
   SET product_group_id = coalesce (p.group_id, 0),
       cost = coalesce (l.cost, round (l.quantity * p.standard_cost, 2))
  FROM sales.products p WHERE p.id = l.product_id;

CREATE OR REPLACE FUNCTION sales.rollup_orders (order_ids bigint[], sign int, zone text)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO sales.client_day_group_rollups AS r
           (client_id, day, product_group_id, sales, discounts, cost, lines,
            lines_without_cost, quantity, orders)
    SELECT o.client_id, (o.placed_at AT TIME ZONE zone)::date, l.product_group_id,
           sign * sum (round (l.amount * o.currency_rate, 2)),
           sign * sum (round ((round (l.quantity * l.unit_price, 2) - l.amount)
                              * o.currency_rate, 2)),
           sign * coalesce (sum (round (l.cost
                                        * o.currency_rate, 2)), 0),
           sign * count (*),
           sign * count (*) FILTER (WHERE l.cost IS NULL),
           sign * sum (l.quantity),
           sign * count (DISTINCT o.id)
      FROM sales.orders o
      JOIN sales.order_lines l ON l.order_id = o.id
     WHERE o.id = ANY (order_ids)
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
    SELECT client_id, (placed_at AT TIME ZONE zone)::date, sign * count (*)
      FROM sales.orders
     WHERE id = ANY (order_ids)
     GROUP BY 1, 2
     ORDER BY 1, 2
    ON CONFLICT (client_id, day) DO UPDATE SET orders = r.orders + EXCLUDED.orders;
$$;

CREATE OR REPLACE FUNCTION sales.rollup_returns (return_ids bigint[], sign int, zone text)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO sales.client_day_group_rollups AS r
           (client_id, day, product_group_id, returns, return_cost, returned_quantity)
    SELECT t.client_id, (t.returned_at AT TIME ZONE zone)::date, l.product_group_id,
           sign * sum (round (l.amount * t.currency_rate, 2)),
           sign * coalesce (sum (round (l.cost
                                        * t.currency_rate, 2)), 0),
           sign * sum (l.quantity)
      FROM sales.returns t
      JOIN sales.return_lines l ON l.return_id = t.id
     WHERE t.id = ANY (return_ids)
     GROUP BY 1, 2, 3
     ORDER BY 1, 2, 3
    ON CONFLICT (client_id, day, product_group_id) DO UPDATE
       SET returns = r.returns + EXCLUDED.returns,
           return_cost = r.return_cost + EXCLUDED.return_cost,
           returned_quantity = r.returned_quantity + EXCLUDED.returned_quantity;
    INSERT INTO sales.client_day_rollups AS r (client_id, day, returns)
    SELECT client_id, (returned_at AT TIME ZONE zone)::date, sign * count (*)
      FROM sales.returns
     WHERE id = ANY (return_ids)
     GROUP BY 1, 2
     ORDER BY 1, 2
    ON CONFLICT (client_id, day) DO UPDATE SET returns = r.returns + EXCLUDED.returns;
$$;

CREATE OR REPLACE FUNCTION sales.rollups_from_documents (zone text)
RETURNS TABLE (client_id bigint, day date, product_group_id bigint, sales numeric,
               discounts numeric, cost numeric, lines bigint, lines_without_cost bigint,
               quantity numeric, orders bigint, returns numeric, return_cost numeric,
               returned_quantity numeric)
LANGUAGE sql STABLE AS $$
    WITH sold AS (
        SELECT o.client_id, (o.placed_at AT TIME ZONE zone)::date AS day,
               l.product_group_id AS product_group_id,
               sum (round (l.amount * o.currency_rate, 2)) AS sales,
               sum (round ((round (l.quantity * l.unit_price, 2) - l.amount) * o.currency_rate, 2))
                   AS discounts,
               coalesce (sum (round (l.cost
                                     * o.currency_rate, 2)), 0) AS cost,
               count (*) AS lines,
               count (*) FILTER (WHERE l.cost IS NULL)
                   AS lines_without_cost,
               sum (l.quantity) AS quantity, count (DISTINCT o.id) AS orders
          FROM sales.orders o
          JOIN sales.order_lines l ON l.order_id = o.id
         WHERE o.status = 'placed'
         GROUP BY 1, 2, 3),
    returned AS (
        SELECT t.client_id, (t.returned_at AT TIME ZONE zone)::date AS day,
               l.product_group_id AS product_group_id,
               sum (round (l.amount * t.currency_rate, 2)) AS returns,
               coalesce (sum (round (l.cost
                                     * t.currency_rate, 2)), 0) AS return_cost,
               sum (l.quantity) AS returned_quantity
          FROM sales.returns t
          JOIN sales.return_lines l ON l.return_id = t.id
         GROUP BY 1, 2, 3)
    SELECT coalesce (s.client_id, r.client_id), coalesce (s.day, r.day),
           coalesce (s.product_group_id, r.product_group_id),
           coalesce (s.sales, 0), coalesce (s.discounts, 0), coalesce (s.cost, 0),
           coalesce (s.lines, 0), coalesce (s.lines_without_cost, 0),
           coalesce (s.quantity, 0), coalesce (s.orders, 0),
           coalesce (r.returns, 0), coalesce (r.return_cost, 0),
           coalesce (r.returned_quantity, 0)
      FROM sold s
      FULL JOIN returned r USING (client_id, day, product_group_id);
$$;

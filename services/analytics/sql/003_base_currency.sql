-- Amounts in the base currency: a document in another currency carries the
-- ERP's rate, and a line's base amount is round(amount x rate, 2); an order's
-- is the sum of its lines' (as the rollups count them).
CREATE OR REPLACE VIEW analytics.orders AS
    SELECT id, external_id, client_id, manager_id, placed_at,
           (CASE WHEN o.currency_rate = 1 THEN o.amount
                 ELSE (SELECT sum (round (l.amount * o.currency_rate, 2))
                         FROM sales.order_lines l WHERE l.order_id = o.id) END)::numeric(28, 2)
               AS amount
      FROM sales.orders o
     WHERE status = 'placed';

CREATE OR REPLACE VIEW analytics.order_lines AS
    SELECT l.order_id, l.line_no, l.client_id, o.placed_at, l.product_id,
           l.quantity, round (l.amount * o.currency_rate, 2)::numeric(24, 2) AS amount
      FROM sales.order_lines l
      JOIN sales.orders o ON o.id = l.order_id
     WHERE o.status = 'placed';

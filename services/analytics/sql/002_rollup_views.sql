-- The rollups crmq-sales keeps in the same transaction as the facts (per
-- client x day x product group, and per client x day), and the product group
-- hierarchy, for reports that must not scan raw lines.  Days are days of the
-- company's time zone; amounts are in the base currency.
--   revenue = sales - returns;  profit = revenue - (cost - return_cost),
--   meaningful only where lines_without_cost = 0.
CREATE VIEW analytics.client_day_group_rollups AS
    SELECT client_id, day, product_group_id, sales, discounts, cost, lines,
           lines_without_cost, quantity, orders, returns, return_cost, returned_quantity,
           sales - returns AS revenue
      FROM sales.client_day_group_rollups;

CREATE VIEW analytics.client_day_rollups AS
    SELECT client_id, day, orders, returns, shipments, late_shipments, invoiced, payments,
           paid, late_payments
      FROM sales.client_day_rollups;

CREATE VIEW analytics.product_groups AS
    SELECT id, external_id, name, parent_id FROM sales.product_groups;

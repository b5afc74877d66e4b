-- The rollups per client x calendar month that crmq-sales keeps in step with
-- the day rollups (services/sales/sql/009): reports read them for the whole
-- months of a period and the day rollups for the partial months at its
-- edges.  `month` is the month's first day; amounts in the base currency;
-- orders are order documents (as in analytics.client_day_rollups);
-- last_order_day is the month's last day with an order, NULL when none.
--   revenue = sales - returns;  profit = revenue - (cost - return_cost),
--   meaningful only where lines_without_cost = 0.
CREATE VIEW analytics.client_month_rollups AS
    SELECT client_id, month, sales, discounts, cost, lines, lines_without_cost, quantity,
           returns, return_cost, returned_quantity, orders, last_order_day,
           sales - returns AS revenue
      FROM sales.client_month_rollups;

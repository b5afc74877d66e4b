-- crmq-analytics reads other services' facts only through these views.
CREATE SCHEMA IF NOT EXISTS analytics;

CREATE VIEW analytics.clients AS
    SELECT id, external_id, name, region, country, category, source, status, created_at
      FROM contacts.clients;

CREATE VIEW analytics.orders AS
    SELECT id, external_id, client_id, manager_id, placed_at, amount
      FROM sales.orders
     WHERE status = 'placed';

CREATE VIEW analytics.order_lines AS
    SELECT l.order_id, l.line_no, l.client_id, o.placed_at, l.product_id,
           l.quantity, l.amount
      FROM sales.order_lines l
      JOIN sales.orders o ON o.id = l.order_id
     WHERE o.status = 'placed';


-- Return lines and whether they have a cost (the line's, else the product's
-- standard cost when it was written): a report by profit counts the lines
-- of its period without one, as it counts order lines without one.
CREATE VIEW analytics.return_lines AS
    SELECT l.return_id, l.line_no, l.client_id, r.returned_at, p.group_id AS product_group_id,
           l.cost IS NOT NULL AS has_cost
      FROM sales.return_lines l
      JOIN sales.returns r ON r.id = l.return_id
      LEFT JOIN sales.products p ON p.id = l.product_id;

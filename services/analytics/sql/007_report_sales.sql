-- The reads of the deal and manager reports (docs/reports.md: deal_dynamics,
-- funnel, managers): deals with their stage history and pipelines, returns
-- per document in the base currency, and the interactions of crmq-contacts.
-- Clients and managers carry crmq-contacts' ids in sales as in contacts.

CREATE VIEW analytics.pipelines AS
    SELECT id, name, is_default FROM sales.pipelines;

-- A stage taken out of its pipeline keeps its row (removed_at).
CREATE VIEW analytics.stages AS
    SELECT id, pipeline_id, name, position, outcome, removed_at FROM sales.stages;

-- amount in the deal's own currency (deals carry no exchange rate).
CREATE VIEW analytics.deals AS
    SELECT id, client_id, manager_id, currency, amount, pipeline_id, stage_id, status,
           created_at, closed_at
      FROM sales.deals;

-- Every stay of a deal in a stage; the current one has no left_at.
CREATE VIEW analytics.deal_stages AS
    SELECT id, deal_id, stage_id, entered_at, left_at FROM sales.deal_stages;

-- A return in the base currency as the rollups count it: the sum of its
-- lines' round(amount x rate, 2); order_id NULL when it names no order or
-- its order has not arrived.
CREATE VIEW analytics.returns AS
    SELECT t.id, t.client_id, t.order_id, t.returned_at,
           (SELECT coalesce (sum (round (l.amount * t.currency_rate, 2)), 0)
              FROM sales.return_lines l WHERE l.return_id = t.id)::numeric(28, 2) AS amount
      FROM sales.returns t;

CREATE VIEW analytics.interactions AS
    SELECT id, client_id, manager_id, channel, kind, status, started_at
      FROM contacts.interactions;

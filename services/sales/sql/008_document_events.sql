-- crmq-sales writes sales.order.shipped and sales.payment.received once each
-- document's lateness is known: a shipment once its order is known, a
-- payment once the invoice it settles against is known (see
-- services/sales/sales_events.h).  `announced` marks the documents whose
-- event was written; a document linked in a transaction is announced in that
-- same transaction, so after any commit no linked document is unannounced.
-- Documents recorded before this migration count as announced (their facts
-- were never in the log); those still waiting will be announced when linked.
ALTER TABLE sales.shipments ADD COLUMN announced boolean NOT NULL DEFAULT true;
ALTER TABLE sales.shipments ALTER COLUMN announced SET DEFAULT false;
UPDATE sales.shipments SET announced = false WHERE order_id IS NULL;

ALTER TABLE sales.payments ADD COLUMN announced boolean NOT NULL DEFAULT true;
ALTER TABLE sales.payments ALTER COLUMN announced SET DEFAULT false;
UPDATE sales.payments SET announced = false WHERE invoice_id IS NULL;

-- what sales_events_settled looks for: empty between transactions
CREATE INDEX shipments_to_announce_idx ON sales.shipments (id)
    WHERE NOT announced AND order_id IS NOT NULL;
CREATE INDEX payments_to_announce_idx ON sales.payments (id)
    WHERE NOT announced AND invoice_id IS NOT NULL;

-- crmq-analytics: per-client metrics kept from the event log by the durable
-- consumer "analytics.client_metrics" (prefix "sales."), each event applied
-- in the transaction that moves the consumer's position in bus.consumers,
-- so every event counts exactly once.  Amounts are in the base currency, as
-- crmq-sales' events carry them.  Definitions (README.md, "Reports"):
-- orders are the placed ones less the cancelled; revenue is their totals
-- (an order's latest total) less the returns; returns and cancellations are
-- not orders.

-- Each order as its latest event left it: a change replaces the total (and
-- the client, when the order moved to another one), a cancellation takes
-- the order out of its client's figures.
CREATE TABLE analytics.order_totals (
    order_id        bigint PRIMARY KEY,
    client_id       bigint NOT NULL,
    placed_at       timestamptz NOT NULL,
    amount          numeric(28, 2) NOT NULL,
    cancelled       boolean NOT NULL DEFAULT false,
    last_seq        bigint NOT NULL                 -- the event that set this state
);
CREATE INDEX order_totals_client_idx ON analytics.order_totals (client_id, placed_at)
    WHERE NOT cancelled;

-- One row per client the sales events named.
CREATE TABLE analytics.client_metrics (
    client_id           bigint PRIMARY KEY,
    client_external_id  text NOT NULL DEFAULT '',
    orders              bigint NOT NULL DEFAULT 0,          -- placed, not cancelled
    first_order_at      timestamptz,                        -- of those orders
    last_order_at       timestamptz,
    orders_amount       numeric(28, 2) NOT NULL DEFAULT 0,  -- their totals
    returns             bigint NOT NULL DEFAULT 0,
    returns_amount      numeric(28, 2) NOT NULL DEFAULT 0,
    revenue             numeric(28, 2) GENERATED ALWAYS AS (orders_amount - returns_amount) STORED,
    shipments           bigint NOT NULL DEFAULT 0,
    late_shipments      bigint NOT NULL DEFAULT 0,          -- shipped after the required date
    payments            bigint NOT NULL DEFAULT 0,
    late_payments       bigint NOT NULL DEFAULT 0,          -- paid after the due date
    updated_at          timestamptz NOT NULL DEFAULT now(),
    last_seq            bigint NOT NULL DEFAULT 0           -- the last event that changed the row
);
CREATE INDEX client_metrics_revenue_idx ON analytics.client_metrics (revenue DESC, client_id);

-- The client's row, created when missing, stamped with the event.
CREATE FUNCTION analytics.metrics_touch (client bigint, external text, seq bigint)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO analytics.client_metrics AS m (client_id, client_external_id, last_seq)
    VALUES (client, external, seq)
    ON CONFLICT (client_id) DO UPDATE
       SET client_external_id = CASE WHEN EXCLUDED.client_external_id <> ''
                                     THEN EXCLUDED.client_external_id
                                     ELSE m.client_external_id END,
           updated_at = now (),
           last_seq = greatest (m.last_seq, EXCLUDED.last_seq);
$$;

-- An order event (placed, changed, cancelled): the order as it stands after
-- it.  Its former state, if any, leaves its client's figures; the new one
-- enters them (unless cancelled); first and last order are read again from
-- the client's orders.
CREATE FUNCTION analytics.metrics_order (p_order bigint, p_client bigint, p_external text,
                                         p_placed_at timestamptz, p_amount numeric,
                                         p_cancelled boolean, p_seq bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    old analytics.order_totals;
BEGIN
    SELECT * INTO old FROM analytics.order_totals WHERE order_id = p_order FOR UPDATE;
    INSERT INTO analytics.order_totals (order_id, client_id, placed_at, amount, cancelled, last_seq)
    VALUES (p_order, p_client, p_placed_at, p_amount, p_cancelled, p_seq)
    ON CONFLICT (order_id) DO UPDATE
       SET client_id = EXCLUDED.client_id, placed_at = EXCLUDED.placed_at,
           amount = EXCLUDED.amount, cancelled = EXCLUDED.cancelled, last_seq = EXCLUDED.last_seq;
    PERFORM analytics.metrics_touch (p_client, p_external, p_seq);
    IF old.order_id IS NOT NULL AND NOT old.cancelled THEN
        UPDATE analytics.client_metrics
           SET orders = orders - 1, orders_amount = orders_amount - old.amount,
               updated_at = now (), last_seq = greatest (last_seq, p_seq)
         WHERE client_id = old.client_id;
    END IF;
    IF NOT p_cancelled THEN
        UPDATE analytics.client_metrics
           SET orders = orders + 1, orders_amount = orders_amount + p_amount
         WHERE client_id = p_client;
    END IF;
    UPDATE analytics.client_metrics m
       SET first_order_at = (SELECT min (placed_at) FROM analytics.order_totals t
                              WHERE t.client_id = m.client_id AND NOT t.cancelled),
           last_order_at = (SELECT max (placed_at) FROM analytics.order_totals t
                             WHERE t.client_id = m.client_id AND NOT t.cancelled)
     WHERE m.client_id IN (p_client, old.client_id);
END;
$$;

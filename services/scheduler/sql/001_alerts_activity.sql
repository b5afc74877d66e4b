-- crmq-scheduler: alerts raised (deadline control of ERP documents, the
-- watch on clients' buying activity) and what the watch keeps of the sales
-- events it consumes (consumer "scheduler.activity", prefix "sales.").
CREATE SCHEMA IF NOT EXISTS scheduler;

-- Every alert raised, at most one per (kind, subject, episode): a replayed
-- event or a second replica finds its row and raises nothing.  body: the
-- crmq.Alert written to bus.outbox under "alert." || kind.
CREATE TABLE scheduler.alerts (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
    subject_type    text NOT NULL,
    subject_id      text NOT NULL,
    episode         int NOT NULL DEFAULT 0,     -- activity drops: the client's episode
    client_id       bigint NOT NULL DEFAULT 0,
    manager_id      bigint NOT NULL DEFAULT 0,
    raised_at       timestamptz NOT NULL DEFAULT now(),
    cause_seq       bigint NOT NULL DEFAULT 0,  -- the log event that raised it, 0 = the periodic check
    outbox_seq      bigint NOT NULL DEFAULT 0,
    body            bytea NOT NULL,
    UNIQUE (kind, subject_type, subject_id, episode)
);
CREATE INDEX alerts_client_idx ON scheduler.alerts (client_id, id);
CREATE INDEX alerts_kind_idx ON scheduler.alerts (kind, id);

-- A client's orders as the watch counts them: placed and not cancelled
-- (amount in the base currency, as the event carries it).
CREATE TABLE scheduler.client_orders (
    order_id        bigint PRIMARY KEY,
    client_id       bigint NOT NULL,
    placed_at       timestamptz NOT NULL,
    amount          numeric(28, 2) NOT NULL
);
CREATE INDEX client_orders_client_idx ON scheduler.client_orders (client_id, placed_at);

-- Returns reduce revenue on the day they were registered.
CREATE TABLE scheduler.client_returns (
    return_id       bigint PRIMARY KEY,
    client_id       bigint NOT NULL,
    returned_at     timestamptz NOT NULL,
    amount          numeric(28, 2) NOT NULL
);
CREATE INDEX client_returns_client_idx ON scheduler.client_returns (client_id, returned_at);

-- The watch's state per client.  due_at: when the days rule fires (last
-- order + max(k x median gap, min_days)), NULL under 3 orders.  An episode
-- ends when the client orders again after an alert (dropped = true): the
-- next drop is a new episode and may raise again.
CREATE TABLE scheduler.client_activity (
    client_id           bigint PRIMARY KEY,
    client_external_id  text NOT NULL DEFAULT '',
    manager_id          bigint NOT NULL DEFAULT 0,
    orders              int NOT NULL DEFAULT 0,
    last_order_at       timestamptz,
    median_gap_days     double precision,
    due_at              timestamptz,
    episode             int NOT NULL DEFAULT 0,
    dropped             boolean NOT NULL DEFAULT false,
    dropped_at          timestamptz                -- last_order_at when the alert was raised
);
CREATE INDEX client_activity_due_idx ON scheduler.client_activity (due_at)
    WHERE NOT dropped AND due_at IS NOT NULL;

-- Recomputes a client's count, last order, median gap (days) and due date.
CREATE FUNCTION scheduler.refresh_client (client bigint, k numeric, min_days numeric)
RETURNS void LANGUAGE sql AS $$
    WITH o AS (
        SELECT placed_at,
               extract (epoch FROM placed_at - lag (placed_at) OVER (ORDER BY placed_at)) / 86400
                   AS gap
          FROM scheduler.client_orders WHERE client_id = client),
    s AS (
        SELECT count (*) AS n, max (placed_at) AS last,
               percentile_cont (0.5) WITHIN GROUP (ORDER BY gap) AS g
          FROM o)
    UPDATE scheduler.client_activity a
       SET orders = s.n, last_order_at = s.last, median_gap_days = s.g,
           due_at = CASE WHEN s.n >= 3
                         THEN s.last + greatest (k * s.g::numeric, min_days) * interval '1 day' END
      FROM s
     WHERE a.client_id = client;
$$;

-- Every client's due date again, after k or min_days changed.
CREATE FUNCTION scheduler.refresh_due (k numeric, min_days numeric)
RETURNS void LANGUAGE sql AS $$
    UPDATE scheduler.client_activity
       SET due_at = last_order_at + greatest (k * median_gap_days::numeric, min_days) * interval '1 day'
     WHERE orders >= 3
       AND due_at IS DISTINCT FROM
           last_order_at + greatest (k * median_gap_days::numeric, min_days) * interval '1 day';
$$;

-- Revenue of a client in [from_at, to_at): orders placed less returns.
CREATE FUNCTION scheduler.revenue (client bigint, from_at timestamptz, to_at timestamptz)
RETURNS numeric LANGUAGE sql STABLE AS $$
    SELECT coalesce ((SELECT sum (amount) FROM scheduler.client_orders
                       WHERE client_id = client AND placed_at >= from_at AND placed_at < to_at), 0)
         - coalesce ((SELECT sum (amount) FROM scheduler.client_returns
                       WHERE client_id = client AND returned_at >= from_at AND returned_at < to_at), 0);
$$;

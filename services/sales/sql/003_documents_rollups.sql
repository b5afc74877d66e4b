-- crmq-sales: the rest of the ERP contract (order changes and cancellations,
-- shipments, invoices, payments, returns, the product group hierarchy,
-- foreign currencies with the ERP's rate), documents that arrive before the
-- document they refer to, and the rollups analytics reads.
--
-- Days are days of the company's time zone (the `zone` argument of the
-- functions below, crmq-sales' CRMQ_TIME_ZONE).  Amounts in the rollups are
-- in the base currency: round(amount x rate, 2) per line or document.

ALTER TABLE sales.product_groups
    ADD COLUMN parent_id bigint REFERENCES sales.product_groups (id),
    ADD COLUMN described boolean NOT NULL DEFAULT false;   -- its own event arrived

ALTER TABLE sales.orders
    ADD COLUMN currency_rate numeric(20, 9) NOT NULL DEFAULT 1 CHECK (currency_rate > 0),
    ADD COLUMN changed_at timestamptz,          -- occurred_at of the last change applied
    ADD COLUMN cancelled_at timestamptz,
    ADD COLUMN cancel_reason text;

-- cost of the line's goods (the whole line, document currency); NULL = the
-- product's standard cost x quantity, when the product has one
ALTER TABLE sales.order_lines
    ADD COLUMN cost numeric(24, 2) CHECK (cost >= 0);

CREATE TABLE sales.shipments (
    id                  bigserial PRIMARY KEY,
    external_id         text NOT NULL UNIQUE CHECK (length(external_id) BETWEEN 1 AND 100),
    order_external_id   text NOT NULL,
    order_id            bigint REFERENCES sales.orders (id),     -- NULL until the order arrives
    client_id           bigint,                                  -- the order's client
    shipped_at          timestamptz NOT NULL,
    late                boolean,                                 -- NULL until the order arrives
    event_id            text NOT NULL REFERENCES sales.erp_events (event_id)
);
CREATE INDEX shipments_order_idx ON sales.shipments (order_external_id);

CREATE TABLE sales.shipment_lines (
    shipment_id         bigint NOT NULL REFERENCES sales.shipments (id),
    line_no             int NOT NULL,
    product_id          bigint NOT NULL REFERENCES sales.products (id),
    quantity            numeric(18, 9) NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (shipment_id, line_no)
);

CREATE TABLE sales.invoices (
    id                  bigserial PRIMARY KEY,
    external_id         text NOT NULL UNIQUE CHECK (length(external_id) BETWEEN 1 AND 100),
    client_id           bigint NOT NULL REFERENCES sales.clients (id),
    order_external_id   text NOT NULL DEFAULT '',
    order_id            bigint REFERENCES sales.orders (id),
    currency            char(3) NOT NULL,
    currency_rate       numeric(20, 9) NOT NULL DEFAULT 1 CHECK (currency_rate > 0),
    amount              numeric(24, 2) NOT NULL CHECK (amount > 0),
    issued_at           timestamptz NOT NULL,
    due_at              timestamptz,
    event_id            text NOT NULL REFERENCES sales.erp_events (event_id)
);
CREATE INDEX invoices_waiting_idx ON sales.invoices (order_external_id)
    WHERE order_id IS NULL AND order_external_id <> '';
CREATE INDEX invoices_order_idx ON sales.invoices (order_external_id) WHERE order_external_id <> '';
CREATE INDEX invoices_client_idx ON sales.invoices (client_id);

CREATE TABLE sales.payments (
    id                  bigserial PRIMARY KEY,
    external_id         text NOT NULL UNIQUE CHECK (length(external_id) BETWEEN 1 AND 100),
    client_id           bigint NOT NULL REFERENCES sales.clients (id),
    invoice_external_id text NOT NULL DEFAULT '',
    invoice_id          bigint REFERENCES sales.invoices (id),   -- NULL until the invoice arrives
    order_external_id   text NOT NULL DEFAULT '',
    order_id            bigint REFERENCES sales.orders (id),
    currency            char(3) NOT NULL,
    currency_rate       numeric(20, 9) NOT NULL DEFAULT 1 CHECK (currency_rate > 0),
    amount              numeric(24, 2) NOT NULL CHECK (amount > 0),
    paid_at             timestamptz NOT NULL,
    late                boolean,                                 -- NULL: no due date known
    event_id            text NOT NULL REFERENCES sales.erp_events (event_id),
    CHECK (invoice_external_id <> '' OR order_external_id <> '')
);
CREATE INDEX payments_waiting_invoice_idx ON sales.payments (invoice_external_id)
    WHERE invoice_id IS NULL AND invoice_external_id <> '';
CREATE INDEX payments_waiting_order_idx ON sales.payments (order_external_id)
    WHERE invoice_id IS NULL AND order_external_id <> '';
CREATE INDEX payments_client_idx ON sales.payments (client_id);

CREATE TABLE sales.returns (
    id                  bigserial PRIMARY KEY,
    external_id         text NOT NULL UNIQUE CHECK (length(external_id) BETWEEN 1 AND 100),
    client_id           bigint NOT NULL REFERENCES sales.clients (id),
    order_external_id   text NOT NULL DEFAULT '',
    order_id            bigint REFERENCES sales.orders (id),
    returned_at         timestamptz NOT NULL,
    reason              text NOT NULL DEFAULT '',
    currency            char(3) NOT NULL,
    currency_rate       numeric(20, 9) NOT NULL DEFAULT 1 CHECK (currency_rate > 0),
    amount              numeric(28, 2) NOT NULL,                 -- sum of line amounts
    event_id            text NOT NULL REFERENCES sales.erp_events (event_id)
);
CREATE INDEX returns_waiting_idx ON sales.returns (order_external_id)
    WHERE order_id IS NULL AND order_external_id <> '';
CREATE INDEX returns_client_idx ON sales.returns (client_id, returned_at);

-- amount = round_half_up(quantity x unit_price, 2)
CREATE TABLE sales.return_lines (
    return_id           bigint NOT NULL REFERENCES sales.returns (id),
    line_no             int NOT NULL,
    client_id           bigint NOT NULL,
    product_id          bigint NOT NULL REFERENCES sales.products (id),
    quantity            numeric(18, 9) NOT NULL CHECK (quantity > 0),
    unit_price          numeric(21, 9) NOT NULL CHECK (unit_price >= 0),
    cost                numeric(24, 2) CHECK (cost >= 0),
    amount              numeric(24, 2) NOT NULL,
    PRIMARY KEY (return_id, line_no)
);

-- Order changes and cancellations that arrived before their order: applied,
-- in occurred_at order, when the order arrives.
CREATE TABLE sales.pending_changes (
    event_id            text PRIMARY KEY REFERENCES sales.erp_events (event_id),
    order_external_id   text NOT NULL,
    kind                text NOT NULL CHECK (kind IN ('order_changed', 'order_cancelled')),
    occurred_at         timestamptz,
    body                bytea NOT NULL,             -- the packed ErpEvent
    received_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pending_changes_order_idx ON sales.pending_changes (order_external_id);

-- Amounts per client x day x product group (0 = products without a group).
-- revenue = sales - returns; profit = revenue - (cost - return_cost).
CREATE TABLE sales.client_day_group_rollups (
    client_id           bigint NOT NULL,
    day                 date NOT NULL,
    product_group_id    bigint NOT NULL,
    sales               numeric(28, 2) NOT NULL DEFAULT 0,  -- line amounts of orders placed
    discounts           numeric(28, 2) NOT NULL DEFAULT 0,  -- round(q x price, 2) - amount
    cost                numeric(28, 2) NOT NULL DEFAULT 0,  -- of the lines with a known cost
    lines               bigint NOT NULL DEFAULT 0,
    lines_without_cost  bigint NOT NULL DEFAULT 0,
    quantity            numeric(28, 9) NOT NULL DEFAULT 0,
    orders              bigint NOT NULL DEFAULT 0,          -- orders with lines of the group
    returns             numeric(28, 2) NOT NULL DEFAULT 0,  -- amounts returned
    return_cost         numeric(28, 2) NOT NULL DEFAULT 0,
    returned_quantity   numeric(28, 9) NOT NULL DEFAULT 0,
    PRIMARY KEY (client_id, day, product_group_id)
);
CREATE INDEX client_day_group_rollups_day_idx ON sales.client_day_group_rollups (day);

-- Documents per client x day (a document is not split across groups).
CREATE TABLE sales.client_day_rollups (
    client_id           bigint NOT NULL,
    day                 date NOT NULL,
    orders              bigint NOT NULL DEFAULT 0,
    returns             bigint NOT NULL DEFAULT 0,          -- return documents
    shipments           bigint NOT NULL DEFAULT 0,          -- with their order known
    late_shipments      bigint NOT NULL DEFAULT 0,
    invoiced            numeric(28, 2) NOT NULL DEFAULT 0,
    payments            bigint NOT NULL DEFAULT 0,
    paid                numeric(28, 2) NOT NULL DEFAULT 0,
    late_payments       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (client_id, day)
);
CREATE INDEX client_day_rollups_day_idx ON sales.client_day_rollups (day);

-- Adds sign (+1 or -1) x the orders' lines to the rollups: +1 when an order is
-- placed, -1 before it is cancelled or its lines are replaced.
CREATE FUNCTION sales.rollup_orders (order_ids bigint[], sign int, zone text)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO sales.client_day_group_rollups AS r
           (client_id, day, product_group_id, sales, discounts, cost, lines,
            lines_without_cost, quantity, orders)
    SELECT o.client_id, (o.placed_at AT TIME ZONE zone)::date, coalesce (p.group_id, 0),
           sign * sum (round (l.amount * o.currency_rate, 2)),
           sign * sum (round ((round (l.quantity * l.unit_price, 2) - l.amount)
                              * o.currency_rate, 2)),
           sign * coalesce (sum (round (coalesce (l.cost, round (l.quantity * p.standard_cost, 2))
                                        * o.currency_rate, 2)), 0),
           sign * count (*),
           sign * count (*) FILTER (WHERE l.cost IS NULL AND p.standard_cost IS NULL),
           sign * sum (l.quantity),
           sign * count (DISTINCT o.id)
      FROM sales.orders o
      JOIN sales.order_lines l ON l.order_id = o.id
      JOIN sales.products p ON p.id = l.product_id
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

-- Adds sign x the returns to the rollups (on the day each was registered).
CREATE FUNCTION sales.rollup_returns (return_ids bigint[], sign int, zone text)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO sales.client_day_group_rollups AS r
           (client_id, day, product_group_id, returns, return_cost, returned_quantity)
    SELECT t.client_id, (t.returned_at AT TIME ZONE zone)::date, coalesce (p.group_id, 0),
           sign * sum (round (l.amount * t.currency_rate, 2)),
           sign * coalesce (sum (round (coalesce (l.cost, round (l.quantity * p.standard_cost, 2))
                                        * t.currency_rate, 2)), 0),
           sign * sum (l.quantity)
      FROM sales.returns t
      JOIN sales.return_lines l ON l.return_id = t.id
      JOIN sales.products p ON p.id = l.product_id
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

-- Adds document counts and amounts to a client's day.
CREATE FUNCTION sales.rollup_day (client bigint, at timestamptz, zone text,
                                  shipments bigint, late_shipments bigint,
                                  invoiced numeric, payments bigint, paid numeric,
                                  late_payments bigint)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO sales.client_day_rollups AS r
           (client_id, day, shipments, late_shipments, invoiced, payments, paid, late_payments)
    VALUES (client, (at AT TIME ZONE zone)::date, shipments, late_shipments, invoiced,
            payments, paid, late_payments)
    ON CONFLICT (client_id, day) DO UPDATE
       SET shipments = r.shipments + EXCLUDED.shipments,
           late_shipments = r.late_shipments + EXCLUDED.late_shipments,
           invoiced = r.invoiced + EXCLUDED.invoiced,
           payments = r.payments + EXCLUDED.payments,
           paid = r.paid + EXCLUDED.paid,
           late_payments = r.late_payments + EXCLUDED.late_payments;
$$;

-- Links the shipments of these orders (those that waited for them, and those
-- whose order's required date changed) and settles their lateness: late when
-- shipped after the order's required date.  Counts each shipment once in its
-- client's day when its order becomes known, and moves late_shipments when a
-- shipment's lateness changes.
CREATE FUNCTION sales.settle_shipments (order_ids bigint[], zone text)
RETURNS void LANGUAGE sql AS $$
    WITH target AS (
        SELECT s.id, o.id AS order_id, o.client_id, s.order_id IS NULL AS waited,
               coalesce (s.late, false) AS was_late,
               coalesce (s.shipped_at > o.required_at, false) AS late
          FROM sales.orders o
          JOIN sales.shipments s ON s.order_external_id = o.external_id
         WHERE o.id = ANY (order_ids)
           AND (s.order_id IS NULL
                OR s.late IS DISTINCT FROM coalesce (s.shipped_at > o.required_at, false))),
    settled AS (
        UPDATE sales.shipments s
           SET order_id = t.order_id, client_id = t.client_id, late = t.late
          FROM target t
         WHERE s.id = t.id
        RETURNING s.client_id, s.shipped_at, t.waited, t.was_late, t.late)
    SELECT sales.rollup_day (client_id, shipped_at, zone,
                             CASE WHEN waited THEN 1 ELSE 0 END,
                             (CASE WHEN late THEN 1 ELSE 0 END)
                             - (CASE WHEN was_late AND NOT waited THEN 1 ELSE 0 END),
                             0, 0, 0, 0)
      FROM settled;
$$;

-- Links the payments waiting for these invoices (by the invoice's number, or
-- by its order when the payment named only the order) and settles their
-- lateness: late when paid after the invoice's due date.
CREATE FUNCTION sales.settle_payments (invoice_ids bigint[], zone text)
RETURNS void LANGUAGE sql AS $$
    WITH settled AS (
        UPDATE sales.payments p
           SET invoice_id = i.id,
               late = CASE WHEN i.due_at IS NULL THEN NULL ELSE p.paid_at > i.due_at END
          FROM sales.invoices i
         WHERE i.id = ANY (invoice_ids)
           AND p.invoice_id IS NULL
           AND ((p.invoice_external_id <> '' AND p.invoice_external_id = i.external_id)
                OR (p.invoice_external_id = '' AND i.order_external_id <> ''
                    AND p.order_external_id = i.order_external_id))
        RETURNING p.client_id, p.paid_at, p.late)
    SELECT sales.rollup_day (client_id, paid_at, zone, 0, 0, 0, 0, 0, 1)
      FROM settled
     WHERE late;
$$;

-- Links everything that waited for these orders: shipments (settled), invoices
-- (then the payments that name only the order), payments, returns.
CREATE FUNCTION sales.resolve_orders (order_ids bigint[], zone text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    invoice_ids bigint[];
BEGIN
    PERFORM sales.settle_shipments (order_ids, zone);
    WITH linked AS (
        UPDATE sales.invoices i SET order_id = o.id
          FROM sales.orders o
         WHERE o.id = ANY (order_ids) AND i.order_id IS NULL
           AND i.order_external_id <> '' AND i.order_external_id = o.external_id
        RETURNING i.id)
    SELECT array_agg (id) INTO invoice_ids FROM linked;
    UPDATE sales.payments p SET order_id = o.id
      FROM sales.orders o
     WHERE o.id = ANY (order_ids) AND p.order_id IS NULL
       AND p.order_external_id <> '' AND p.order_external_id = o.external_id;
    UPDATE sales.returns r SET order_id = o.id
      FROM sales.orders o
     WHERE o.id = ANY (order_ids) AND r.order_id IS NULL
       AND r.order_external_id <> '' AND r.order_external_id = o.external_id;
    IF invoice_ids IS NOT NULL THEN
        PERFORM sales.settle_payments (invoice_ids, zone);
    END IF;
END;
$$;

-- Moves a merged client's documents and rollups to the survivor.
CREATE FUNCTION sales.move_client (merged bigint, survivor bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sales.orders SET client_id = survivor WHERE client_id = merged;
    UPDATE sales.order_lines SET client_id = survivor WHERE client_id = merged;
    UPDATE sales.shipments SET client_id = survivor WHERE client_id = merged;
    UPDATE sales.invoices SET client_id = survivor WHERE client_id = merged;
    UPDATE sales.payments SET client_id = survivor WHERE client_id = merged;
    UPDATE sales.returns SET client_id = survivor WHERE client_id = merged;
    UPDATE sales.return_lines SET client_id = survivor WHERE client_id = merged;
    WITH gone AS (DELETE FROM sales.client_day_group_rollups WHERE client_id = merged RETURNING *)
    INSERT INTO sales.client_day_group_rollups AS r
    SELECT survivor, day, product_group_id, sales, discounts, cost, lines, lines_without_cost,
           quantity, orders, returns, return_cost, returned_quantity
      FROM gone
    ON CONFLICT (client_id, day, product_group_id) DO UPDATE
       SET sales = r.sales + EXCLUDED.sales,
           discounts = r.discounts + EXCLUDED.discounts,
           cost = r.cost + EXCLUDED.cost,
           lines = r.lines + EXCLUDED.lines,
           lines_without_cost = r.lines_without_cost + EXCLUDED.lines_without_cost,
           quantity = r.quantity + EXCLUDED.quantity,
           orders = r.orders + EXCLUDED.orders,
           returns = r.returns + EXCLUDED.returns,
           return_cost = r.return_cost + EXCLUDED.return_cost,
           returned_quantity = r.returned_quantity + EXCLUDED.returned_quantity;
    WITH gone AS (DELETE FROM sales.client_day_rollups WHERE client_id = merged RETURNING *)
    INSERT INTO sales.client_day_rollups AS r
    SELECT survivor, day, orders, returns, shipments, late_shipments, invoiced, payments, paid,
           late_payments
      FROM gone
    ON CONFLICT (client_id, day) DO UPDATE
       SET orders = r.orders + EXCLUDED.orders,
           returns = r.returns + EXCLUDED.returns,
           shipments = r.shipments + EXCLUDED.shipments,
           late_shipments = r.late_shipments + EXCLUDED.late_shipments,
           invoiced = r.invoiced + EXCLUDED.invoiced,
           payments = r.payments + EXCLUDED.payments,
           paid = r.paid + EXCLUDED.paid,
           late_payments = r.late_payments + EXCLUDED.late_payments;
END;
$$;

-- The rollups computed afresh from the documents, in the shape of the two
-- rollup tables: what the incremental rollups must always equal (tests
-- compare them; an operator who changes CRMQ_TIME_ZONE rebuilds with
-- sales.rebuild_rollups).
CREATE FUNCTION sales.rollups_from_documents (zone text)
RETURNS TABLE (client_id bigint, day date, product_group_id bigint, sales numeric,
               discounts numeric, cost numeric, lines bigint, lines_without_cost bigint,
               quantity numeric, orders bigint, returns numeric, return_cost numeric,
               returned_quantity numeric)
LANGUAGE sql STABLE AS $$
    WITH sold AS (
        SELECT o.client_id, (o.placed_at AT TIME ZONE zone)::date AS day,
               coalesce (p.group_id, 0) AS product_group_id,
               sum (round (l.amount * o.currency_rate, 2)) AS sales,
               sum (round ((round (l.quantity * l.unit_price, 2) - l.amount) * o.currency_rate, 2))
                   AS discounts,
               coalesce (sum (round (coalesce (l.cost, round (l.quantity * p.standard_cost, 2))
                                     * o.currency_rate, 2)), 0) AS cost,
               count (*) AS lines,
               count (*) FILTER (WHERE l.cost IS NULL AND p.standard_cost IS NULL)
                   AS lines_without_cost,
               sum (l.quantity) AS quantity, count (DISTINCT o.id) AS orders
          FROM sales.orders o
          JOIN sales.order_lines l ON l.order_id = o.id
          JOIN sales.products p ON p.id = l.product_id
         WHERE o.status = 'placed'
         GROUP BY 1, 2, 3),
    returned AS (
        SELECT t.client_id, (t.returned_at AT TIME ZONE zone)::date AS day,
               coalesce (p.group_id, 0) AS product_group_id,
               sum (round (l.amount * t.currency_rate, 2)) AS returns,
               coalesce (sum (round (coalesce (l.cost, round (l.quantity * p.standard_cost, 2))
                                     * t.currency_rate, 2)), 0) AS return_cost,
               sum (l.quantity) AS returned_quantity
          FROM sales.returns t
          JOIN sales.return_lines l ON l.return_id = t.id
          JOIN sales.products p ON p.id = l.product_id
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

CREATE FUNCTION sales.day_rollups_from_documents (zone text)
RETURNS TABLE (client_id bigint, day date, orders bigint, returns bigint, shipments bigint,
               late_shipments bigint, invoiced numeric, payments bigint, paid numeric,
               late_payments bigint)
LANGUAGE sql STABLE AS $$
    SELECT client_id, day, sum (orders)::bigint, sum (returns)::bigint, sum (shipments)::bigint,
           sum (late_shipments)::bigint, sum (invoiced), sum (payments)::bigint, sum (paid),
           sum (late_payments)::bigint
      FROM (SELECT client_id, (placed_at AT TIME ZONE zone)::date AS day, 1 AS orders,
                   0 AS returns, 0 AS shipments, 0 AS late_shipments, 0::numeric AS invoiced,
                   0 AS payments, 0::numeric AS paid, 0 AS late_payments
              FROM sales.orders WHERE status = 'placed'
            UNION ALL
            SELECT client_id, (returned_at AT TIME ZONE zone)::date, 0, 1, 0, 0, 0, 0, 0, 0
              FROM sales.returns
            UNION ALL
            SELECT client_id, (shipped_at AT TIME ZONE zone)::date, 0, 0, 1,
                   CASE WHEN late THEN 1 ELSE 0 END, 0, 0, 0, 0
              FROM sales.shipments WHERE order_id IS NOT NULL
            UNION ALL
            SELECT client_id, (issued_at AT TIME ZONE zone)::date, 0, 0, 0, 0,
                   round (amount * currency_rate, 2), 0, 0, 0
              FROM sales.invoices
            UNION ALL
            SELECT client_id, (paid_at AT TIME ZONE zone)::date, 0, 0, 0, 0, 0, 1,
                   round (amount * currency_rate, 2), CASE WHEN late THEN 1 ELSE 0 END
              FROM sales.payments) d
     GROUP BY 1, 2;
$$;

-- Recomputes both rollup tables from the documents (after a change of the
-- company's time zone).  Takes the tables' locks: run it in a quiet moment.
CREATE FUNCTION sales.rebuild_rollups (zone text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE sales.client_day_group_rollups, sales.client_day_rollups IN EXCLUSIVE MODE;
    DELETE FROM sales.client_day_group_rollups;
    DELETE FROM sales.client_day_rollups;
    INSERT INTO sales.client_day_group_rollups SELECT * FROM sales.rollups_from_documents (zone);
    INSERT INTO sales.client_day_rollups SELECT * FROM sales.day_rollups_from_documents (zone);
END;
$$;

-- Documents still waiting for the document they refer to.
CREATE VIEW sales.unresolved AS
    SELECT 'shipment'::text AS kind, s.external_id, s.event_id, 'order'::text AS missing_kind,
           s.order_external_id AS missing_external_id, e.received_at
      FROM sales.shipments s JOIN sales.erp_events e USING (event_id)
     WHERE s.order_id IS NULL
    UNION ALL
    SELECT 'invoice', i.external_id, i.event_id, 'order', i.order_external_id, e.received_at
      FROM sales.invoices i JOIN sales.erp_events e USING (event_id)
     WHERE i.order_id IS NULL AND i.order_external_id <> ''
    UNION ALL
    SELECT 'payment', p.external_id, p.event_id,
           CASE WHEN p.invoice_external_id <> '' THEN 'invoice' ELSE 'order' END,
           CASE WHEN p.invoice_external_id <> '' THEN p.invoice_external_id
                ELSE p.order_external_id END, e.received_at
      FROM sales.payments p JOIN sales.erp_events e USING (event_id)
     WHERE (p.invoice_external_id <> '' AND p.invoice_id IS NULL)
        OR (p.invoice_external_id = '' AND p.order_id IS NULL)
    UNION ALL
    SELECT 'return', r.external_id, r.event_id, 'order', r.order_external_id, e.received_at
      FROM sales.returns r JOIN sales.erp_events e USING (event_id)
     WHERE r.order_id IS NULL AND r.order_external_id <> ''
    UNION ALL
    SELECT c.kind, c.order_external_id, c.event_id, 'order', c.order_external_id, c.received_at
      FROM sales.pending_changes c;

-- crmq-sales: ERP events (the idempotency record), master data references,
-- products and orders with their lines.
CREATE SCHEMA IF NOT EXISTS sales;

-- One row per ERP event ever accepted.  A resend finds its row here.
CREATE TABLE sales.erp_events (
    event_id        text PRIMARY KEY CHECK (length(event_id) BETWEEN 1 AND 200),
    seq             bigserial UNIQUE,           -- order of acceptance
    kind            text NOT NULL,
    body_sha256     bytea NOT NULL,             -- of the event's packed body
    occurred_at     timestamptz,
    received_at     timestamptz NOT NULL DEFAULT now()
);

-- Clients and managers as crmq-contacts knows them (id = contacts' id).
CREATE TABLE sales.clients (
    id              bigint PRIMARY KEY,
    external_id     text NOT NULL UNIQUE
);
CREATE TABLE sales.managers (
    id              bigint PRIMARY KEY,
    external_id     text NOT NULL UNIQUE
);

CREATE TABLE sales.product_groups (
    id              bigserial PRIMARY KEY,
    external_id     text NOT NULL UNIQUE,
    name            text NOT NULL
);

CREATE TABLE sales.products (
    id              bigserial PRIMARY KEY,
    external_id     text NOT NULL UNIQUE CHECK (length(external_id) BETWEEN 1 AND 100),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    group_id        bigint REFERENCES sales.product_groups (id),
    list_price      numeric(21, 9),             -- below 10^12, as the wire carries it
    standard_cost   numeric(21, 9),
    discontinued    boolean NOT NULL DEFAULT false,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sales.orders (
    id              bigserial PRIMARY KEY,
    external_id     text NOT NULL UNIQUE CHECK (length(external_id) BETWEEN 1 AND 100),
    client_id       bigint NOT NULL REFERENCES sales.clients (id),
    manager_id      bigint REFERENCES sales.managers (id),
    placed_at       timestamptz NOT NULL,
    required_at     timestamptz,
    currency        char(3) NOT NULL,
    status          text NOT NULL DEFAULT 'placed' CHECK (status IN ('placed', 'cancelled')),
    amount          numeric(28, 2) NOT NULL,    -- sum of line amounts
    event_id        text NOT NULL REFERENCES sales.erp_events (event_id)
);
CREATE INDEX orders_placed_at_idx ON sales.orders (placed_at);
CREATE INDEX orders_client_idx ON sales.orders (client_id, placed_at);

-- amount = round_half_up(quantity * unit_price * (1 - discount), 2)
CREATE TABLE sales.order_lines (
    order_id        bigint NOT NULL REFERENCES sales.orders (id),
    line_no         int NOT NULL,
    client_id       bigint NOT NULL,
    product_id      bigint NOT NULL REFERENCES sales.products (id),
    -- exact as the wire carries them (9 decimals); bounds as crmq-sales checks them
    quantity        numeric(18, 9) NOT NULL CHECK (quantity > 0),
    unit_price      numeric(21, 9) NOT NULL CHECK (unit_price >= 0),
    discount        numeric(10, 9) NOT NULL CHECK (discount >= 0 AND discount <= 1),
    amount          numeric(24, 2) NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_lines_client_idx ON sales.order_lines (client_id);

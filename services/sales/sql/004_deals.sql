-- crmq-sales: deals, the pipelines of stages they move through, each deal's
-- stage history and the ERP orders linked to it; request keys that make
-- creating writes safe to resend.

CREATE TABLE sales.pipelines (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    is_default      boolean NOT NULL DEFAULT false,
    version         bigint NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX pipelines_name_key ON sales.pipelines (lower(name));
CREATE UNIQUE INDEX pipelines_default_key ON sales.pipelines (is_default) WHERE is_default;

-- A stage taken out of its pipeline keeps its row (removed_at) for the
-- history of the deals that passed through it; it holds no deal.
CREATE TABLE sales.stages (
    id              bigserial PRIMARY KEY,
    pipeline_id     bigint NOT NULL REFERENCES sales.pipelines (id),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    position        int NOT NULL CHECK (position > 0),
    probability     numeric(10, 9) NOT NULL CHECK (probability BETWEEN 0 AND 1),
    rotting_days    int NOT NULL DEFAULT 0 CHECK (rotting_days BETWEEN 0 AND 3650),
    outcome         text NOT NULL DEFAULT 'open' CHECK (outcome IN ('open', 'won', 'lost')),
    removed_at      timestamptz
);
CREATE INDEX stages_pipeline_idx ON sales.stages (pipeline_id, position);

CREATE TABLE sales.deals (
    id              bigserial PRIMARY KEY,
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    client_id       bigint NOT NULL REFERENCES sales.clients (id),
    manager_id      bigint REFERENCES sales.managers (id),
    currency        char(3) NOT NULL,
    amount          numeric(24, 9) NOT NULL CHECK (amount >= 0),
    expected_close_date date,
    pipeline_id     bigint NOT NULL REFERENCES sales.pipelines (id),
    stage_id        bigint NOT NULL REFERENCES sales.stages (id),
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'won', 'lost')),
    lost_reason     text NOT NULL DEFAULT '' CHECK (length(lost_reason) <= 1000),
    stage_entered_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    closed_at       timestamptz,
    created_by      text NOT NULL DEFAULT '',
    version         bigint NOT NULL DEFAULT 1,
    CHECK ((status = 'open') = (closed_at IS NULL)),
    CHECK ((status = 'lost') = (lost_reason <> ''))
);
CREATE INDEX deals_client_idx ON sales.deals (client_id, id);
CREATE INDEX deals_manager_idx ON sales.deals (manager_id, id);
CREATE INDEX deals_stage_idx ON sales.deals (stage_id, id);
CREATE INDEX deals_pipeline_idx ON sales.deals (pipeline_id, id);

-- Every stay of a deal in a stage, oldest first; the open one has no left_at.
CREATE TABLE sales.deal_stages (
    id              bigserial PRIMARY KEY,
    deal_id         bigint NOT NULL REFERENCES sales.deals (id),
    stage_id        bigint NOT NULL REFERENCES sales.stages (id),
    entered_at      timestamptz NOT NULL,
    left_at         timestamptz CHECK (left_at >= entered_at),
    actor           text NOT NULL
);
CREATE INDEX deal_stages_deal_idx ON sales.deal_stages (deal_id, entered_at, id);
CREATE UNIQUE INDEX deal_stages_current_key ON sales.deal_stages (deal_id) WHERE left_at IS NULL;

-- An order is linked to one deal at most.
CREATE TABLE sales.deal_orders (
    order_id        bigint PRIMARY KEY REFERENCES sales.orders (id),
    deal_id         bigint NOT NULL REFERENCES sales.deals (id),
    linked_at       timestamptz NOT NULL DEFAULT now(),
    actor           text NOT NULL
);
CREATE INDEX deal_orders_deal_idx ON sales.deal_orders (deal_id);

-- A client merged into another (contacts.client.merged, applied by setting
-- merged_into) takes its deals to the survivor, as its orders go there.
CREATE FUNCTION sales.deals_follow_merge () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sales.deals SET client_id = NEW.merged_into, version = version + 1,
                           updated_at = now()
     WHERE client_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER clients_merged_deals AFTER UPDATE OF merged_into ON sales.clients
    FOR EACH ROW WHEN (NEW.merged_into IS NOT NULL AND NEW.merged_into <> NEW.id)
    EXECUTE FUNCTION sales.deals_follow_merge ();

-- Writes that create something carry a caller's request key; a resend with
-- a key seen before gets the first reply again instead of a twin.
CREATE TABLE sales.request_keys (
    key         text PRIMARY KEY CHECK (length (key) BETWEEN 8 AND 100),
    method      text NOT NULL,
    reply       bytea,                      -- the packed reply, once done
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX request_keys_created_idx ON sales.request_keys (created_at);

-- The default pipeline: the stages most B2B sales go through.
WITH pipeline AS (
    INSERT INTO sales.pipelines (name, is_default) VALUES ('Sales', true) RETURNING id)
INSERT INTO sales.stages (pipeline_id, name, position, probability, rotting_days, outcome)
SELECT pipeline.id, s.name, s.position, s.probability, s.rotting_days, s.outcome
  FROM pipeline, (VALUES
    ('Qualification', 1, 0.1, 14, 'open'),
    ('Proposal',      2, 0.4, 14, 'open'),
    ('Negotiation',   3, 0.7, 21, 'open'),
    ('Won',           4, 1.0,  0, 'won'),
    ('Lost',          5, 0.0,  0, 'lost')) AS s (name, position, probability, rotting_days, outcome);

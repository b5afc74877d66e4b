-- crmq-contacts: clients and the managers responsible for them.
CREATE SCHEMA IF NOT EXISTS contacts;

CREATE TABLE contacts.managers (
    id                      bigserial PRIMARY KEY,
    external_id             text UNIQUE CHECK (length(external_id) BETWEEN 1 AND 100),
    name                    text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email                   text NOT NULL DEFAULT '',
    title                   text NOT NULL DEFAULT '',
    -- by the ERP's id: the supervisor may arrive after the manager
    supervisor_external_id  text NOT NULL DEFAULT '',
    time_zone               text NOT NULL DEFAULT '',
    active                  boolean NOT NULL DEFAULT true,
    version                 bigint NOT NULL DEFAULT 1,  -- bumped by every change
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE contacts.clients (
    id                      bigserial PRIMARY KEY,
    external_id             text UNIQUE CHECK (length(external_id) BETWEEN 1 AND 100),
    name                    text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    legal_name              text NOT NULL DEFAULT '',
    country                 text NOT NULL DEFAULT '',
    region                  text NOT NULL DEFAULT '',
    city                    text NOT NULL DEFAULT '',
    address                 text NOT NULL DEFAULT '',
    postal_code             text NOT NULL DEFAULT '',
    phone                   text NOT NULL DEFAULT '',
    email                   text NOT NULL DEFAULT '',
    category                text NOT NULL DEFAULT '',
    source                  text NOT NULL DEFAULT '',
    status                  text NOT NULL DEFAULT 'active'
                            CHECK (status IN ('active', 'archived')),
    manager_id              bigint REFERENCES contacts.managers (id),
    version                 bigint NOT NULL DEFAULT 1,  -- bumped by every change
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clients_manager_idx ON contacts.clients (manager_id);

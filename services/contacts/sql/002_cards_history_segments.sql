-- crmq-contacts, full client cards: kinds, tax ids, tags, status, free
-- attributes; contact persons; channels (phones, e-mails, addresses) of
-- clients and persons; manager absences; interactions with attachments,
-- requests and complaints; segments; merges; an audit trail kept by triggers;
-- card versions bumped by triggers; search and duplicate keys.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Name as compared for duplicates: lower case, no quotes, no legal-form
-- words, one space between words, words sorted (ООО «Ромашка» = Ромашка ООО).
CREATE FUNCTION contacts.name_key (name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce (string_agg (word, ' ' ORDER BY word), '')
      FROM regexp_split_to_table (
               regexp_replace (lower (name), '[«»"''“”„‘’`.,()/\\-]+', ' ', 'g'), '\s+') AS word
     WHERE word <> ''
       AND word NOT IN ('ооо', 'оао', 'зао', 'пао', 'ао', 'ип', 'нко', 'тоо', 'чп', 'ooo',
                        'llc', 'ltd', 'limited', 'inc', 'corp', 'corporation', 'co', 'company',
                        'gmbh', 'ag', 'kg', 'sa', 'sarl', 'srl', 'spa', 'bv', 'nv', 'plc',
                        'ab', 'as', 'oy', 'sas', 'kft', 'sp', 'zoo', 'cia', 'y')
$$;

ALTER TABLE contacts.clients
    ADD COLUMN kind text NOT NULL DEFAULT 'company' CHECK (kind IN ('company', 'person')),
    ADD COLUMN tax_id text NOT NULL DEFAULT '',
    ADD COLUMN tags text[] NOT NULL DEFAULT '{}',
    ADD COLUMN relationship_since date,
    ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof (attributes) = 'object'),
    ADD COLUMN phone_e164 text NOT NULL DEFAULT '',
    ADD COLUMN name_key text GENERATED ALWAYS AS (contacts.name_key (name)) STORED;
CREATE INDEX clients_name_trgm_idx ON contacts.clients USING gin (lower (name) gin_trgm_ops);
CREATE INDEX clients_name_key_idx ON contacts.clients (name_key);
CREATE INDEX clients_tax_id_idx ON contacts.clients (tax_id) WHERE tax_id <> '';
CREATE INDEX clients_phone_idx ON contacts.clients (phone_e164) WHERE phone_e164 <> '';
CREATE INDEX clients_email_idx ON contacts.clients (lower (email)) WHERE email <> '';
CREATE INDEX clients_tags_idx ON contacts.clients USING gin (tags);

CREATE TABLE contacts.persons (
    id          bigserial PRIMARY KEY,
    client_id   bigint NOT NULL REFERENCES contacts.clients (id),
    name        text NOT NULL CHECK (length (name) BETWEEN 1 AND 300),
    position    text NOT NULL DEFAULT '',
    role        text NOT NULL DEFAULT '',
    note        text NOT NULL DEFAULT '',
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX persons_client_idx ON contacts.persons (client_id);

CREATE TABLE contacts.channels (
    id          bigserial PRIMARY KEY,
    client_id   bigint NOT NULL REFERENCES contacts.clients (id),
    person_id   bigint REFERENCES contacts.persons (id),
    type        text NOT NULL CHECK (type IN ('phone', 'email', 'address', 'messenger', 'web')),
    kind        text NOT NULL DEFAULT 'work'
                CHECK (kind IN ('work', 'mobile', 'home', 'fax', 'other')),
    value       text NOT NULL CHECK (length (value) BETWEEN 1 AND 1000),
    normalized  text NOT NULL DEFAULT '',   -- E.164, lower-case e-mail
    is_primary  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX channels_client_idx ON contacts.channels (client_id);
CREATE INDEX channels_normalized_idx ON contacts.channels (type, normalized) WHERE normalized <> '';
-- one primary per owner (the client itself, or one person) and type
CREATE UNIQUE INDEX channels_primary_idx ON contacts.channels
    (client_id, coalesce (person_id, 0), type) WHERE is_primary;

CREATE TABLE contacts.manager_absences (
    manager_id  bigint NOT NULL REFERENCES contacts.managers (id),
    from_date   date NOT NULL,
    to_date     date NOT NULL CHECK (to_date > from_date),
    reason      text NOT NULL DEFAULT '',
    PRIMARY KEY (manager_id, from_date)
);

CREATE TABLE contacts.interactions (
    id          bigserial PRIMARY KEY,
    client_id   bigint NOT NULL REFERENCES contacts.clients (id),
    channel     text NOT NULL CHECK (channel IN ('call', 'email', 'meeting', 'message', 'web', 'other')),
    kind        text NOT NULL DEFAULT 'contact'
                CHECK (kind IN ('contact', 'request', 'complaint', 'note')),
    direction   text NOT NULL DEFAULT '' CHECK (direction IN ('in', 'out', '')),
    subject     text NOT NULL DEFAULT '',
    text        text NOT NULL DEFAULT '',
    outcome     text NOT NULL DEFAULT '',
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz CHECK (ended_at IS NULL OR ended_at >= started_at),
    manager_id  bigint REFERENCES contacts.managers (id),
    person_id   bigint REFERENCES contacts.persons (id),
    deal_ref    text NOT NULL DEFAULT '',
    order_ref   text NOT NULL DEFAULT '',
    lead_ref    text NOT NULL DEFAULT '',
    attachments jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof (attachments) = 'array'),
    topic       text NOT NULL DEFAULT '',
    severity    text NOT NULL DEFAULT '' CHECK (severity IN ('', 'low', 'medium', 'high', 'critical')),
    status      text NOT NULL DEFAULT 'done'
                CHECK (status IN ('planned', 'done', 'open', 'in_progress', 'resolved', 'closed')),
    actor       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX interactions_client_idx ON contacts.interactions (client_id, id DESC);
CREATE INDEX interactions_manager_idx ON contacts.interactions (manager_id, id DESC);
CREATE INDEX interactions_planned_idx ON contacts.interactions (client_id, started_at)
    WHERE status = 'planned';

CREATE TABLE contacts.segments (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (length (name) BETWEEN 1 AND 200),
    kind        text NOT NULL CHECK (kind IN ('static', 'rule')),
    description text NOT NULL DEFAULT '',
    rule        bytea,                      -- packed crmq.SegmentRule
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE contacts.segment_members (
    segment_id  bigint NOT NULL REFERENCES contacts.segments (id) ON DELETE CASCADE,
    client_id   bigint NOT NULL REFERENCES contacts.clients (id),
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (segment_id, client_id)
);
CREATE INDEX segment_members_client_idx ON contacts.segment_members (client_id);

-- A merged client's id keeps resolving to its survivor.
CREATE TABLE contacts.merges (
    merged_id   bigint PRIMARY KEY REFERENCES contacts.clients (id),
    survivor_id bigint NOT NULL REFERENCES contacts.clients (id),
    actor       text NOT NULL DEFAULT '',
    merged_at   timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE contacts.clients DROP CONSTRAINT clients_status_check,
    ADD CONSTRAINT clients_status_check CHECK (status IN ('active', 'archived', 'merged'));

-- The audit trail: written by triggers, so no writer can forget it.  The
-- actor is what the writing transaction set with set_config('crmq.actor', ...).
CREATE TABLE contacts.audit (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    entity      text NOT NULL,
    entity_id   bigint NOT NULL,
    client_id   bigint,
    action      text NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
    changes     jsonb NOT NULL              -- {"field": [old, new]}
);
CREATE INDEX audit_client_idx ON contacts.audit (client_id, id DESC);

CREATE FUNCTION contacts.audit_row () RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP = 'INSERT' THEN '{}' ELSE to_jsonb (OLD) END;
    new_row jsonb := CASE WHEN TG_OP = 'DELETE' THEN '{}' ELSE to_jsonb (NEW) END;
    changes jsonb;
    row_data jsonb := CASE WHEN TG_OP = 'DELETE' THEN old_row ELSE new_row END;
BEGIN
    SELECT coalesce (jsonb_object_agg (key, jsonb_build_array (old_row -> key, new_row -> key)), '{}')
      INTO changes
      FROM (SELECT key FROM jsonb_object_keys (old_row || new_row) AS key) k
     WHERE (old_row -> key) IS DISTINCT FROM (new_row -> key)
       AND key NOT IN ('version', 'updated_at', 'created_at', 'name_key');
    IF TG_OP = 'UPDATE' AND changes = '{}' THEN
        RETURN NULL;                        -- only bookkeeping columns moved
    END IF;
    INSERT INTO contacts.audit (actor, entity, entity_id, client_id, action, changes)
    VALUES (coalesce (nullif (current_setting ('crmq.actor', true), ''), 'system'),
            TG_ARGV [0], (row_data ->> 'id')::bigint,
            CASE WHEN TG_ARGV [0] = 'client' THEN (row_data ->> 'id')::bigint
                 ELSE (row_data ->> 'client_id')::bigint END,
            lower (TG_OP), changes);
    RETURN NULL;
END $$;

CREATE TRIGGER clients_audit AFTER INSERT OR UPDATE OR DELETE ON contacts.clients
    FOR EACH ROW EXECUTE FUNCTION contacts.audit_row ('client');
CREATE TRIGGER managers_audit AFTER INSERT OR UPDATE OR DELETE ON contacts.managers
    FOR EACH ROW EXECUTE FUNCTION contacts.audit_row ('manager');
CREATE TRIGGER persons_audit AFTER INSERT OR UPDATE OR DELETE ON contacts.persons
    FOR EACH ROW EXECUTE FUNCTION contacts.audit_row ('person');
CREATE TRIGGER channels_audit AFTER INSERT OR UPDATE OR DELETE ON contacts.channels
    FOR EACH ROW EXECUTE FUNCTION contacts.audit_row ('channel');
CREATE TRIGGER interactions_audit AFTER INSERT OR UPDATE OR DELETE ON contacts.interactions
    FOR EACH ROW EXECUTE FUNCTION contacts.audit_row ('interaction');

-- Whatever a card shows moved: its client's version moves, so a cached card
-- keyed by the old version is never served again.
CREATE FUNCTION contacts.bump_card () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE contacts.clients SET version = version + 1 WHERE id = OLD.client_id;
    END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.client_id <> OLD.client_id) THEN
        UPDATE contacts.clients SET version = version + 1 WHERE id = NEW.client_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER persons_card AFTER INSERT OR UPDATE OR DELETE ON contacts.persons
    FOR EACH ROW EXECUTE FUNCTION contacts.bump_card ();
CREATE TRIGGER channels_card AFTER INSERT OR UPDATE OR DELETE ON contacts.channels
    FOR EACH ROW EXECUTE FUNCTION contacts.bump_card ();
CREATE TRIGGER interactions_card AFTER INSERT OR UPDATE OR DELETE ON contacts.interactions
    FOR EACH ROW EXECUTE FUNCTION contacts.bump_card ();

CREATE FUNCTION contacts.bump_version () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF to_jsonb (NEW) - 'version' - 'updated_at' IS DISTINCT FROM to_jsonb (OLD) - 'version' - 'updated_at' THEN
        NEW.version := OLD.version + 1;
        NEW.updated_at := now ();
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER clients_version BEFORE UPDATE ON contacts.clients
    FOR EACH ROW EXECUTE FUNCTION contacts.bump_version ();
CREATE TRIGGER managers_version BEFORE UPDATE ON contacts.managers
    FOR EACH ROW EXECUTE FUNCTION contacts.bump_version ();

-- Absences are part of the manager: changing them moves its version.
CREATE FUNCTION contacts.bump_manager () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE contacts.managers SET version = version + 1
     WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.manager_id ELSE NEW.manager_id END;
    RETURN NULL;
END $$;
CREATE TRIGGER absences_manager AFTER INSERT OR UPDATE OR DELETE ON contacts.manager_absences
    FOR EACH ROW EXECUTE FUNCTION contacts.bump_manager ();

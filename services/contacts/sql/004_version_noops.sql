-- An update that changes nothing moves no version: the generated name_key is
-- still NULL in a BEFORE trigger's NEW, so it is left out of the comparison;
-- a no-op update of a person, channel or interaction leaves its card alone.
CREATE OR REPLACE FUNCTION contacts.bump_version () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF to_jsonb (NEW) - 'version' - 'updated_at' - 'name_key'
       IS DISTINCT FROM to_jsonb (OLD) - 'version' - 'updated_at' - 'name_key' THEN
        NEW.version := OLD.version + 1;
        NEW.updated_at := now ();
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION contacts.bump_card () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND to_jsonb (NEW) = to_jsonb (OLD) THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        UPDATE contacts.clients SET version = version + 1 WHERE id = OLD.client_id;
    END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.client_id <> OLD.client_id) THEN
        UPDATE contacts.clients SET version = version + 1 WHERE id = NEW.client_id;
    END IF;
    RETURN NULL;
END $$;

-- The report engine's reads: clients with their responsible manager, the
-- managers, and a product group with every group below it.
CREATE OR REPLACE VIEW analytics.clients AS
    SELECT id, external_id, name, region, country, category, source, status, created_at,
           manager_id
      FROM contacts.clients;

CREATE VIEW analytics.managers AS
    SELECT id, external_id, name, email, title, time_zone, active
      FROM contacts.managers;

-- The ids of the groups with these external ids and of all their
-- descendants (a hierarchy without cycles: crmq-sales refuses them).
CREATE FUNCTION analytics.product_group_ids (external_ids text[])
RETURNS TABLE (id bigint) LANGUAGE sql STABLE AS $$
    WITH RECURSIVE tree AS (
        SELECT g.id FROM analytics.product_groups g WHERE g.external_id = ANY (external_ids)
        UNION
        SELECT g.id FROM analytics.product_groups g JOIN tree t ON g.parent_id = t.id)
    SELECT id FROM tree;
$$;

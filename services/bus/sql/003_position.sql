-- The event-log position a snapshot sees, for results cached under it
-- (crmq-analytics' reports): with B the relay's published bound as this
-- snapshot sees it, m the last event <= B whose topic starts with one of
-- `prefixes`, and S the events above B of those prefixes this snapshot
-- sees, returns 'm' or 'm+s1,s2,...'; NULL when S holds more than 1,000
-- (do not cache).  Every event <= B is committed and visible to any
-- snapshot that sees relay_state = B (the relay publishes committed rows
-- only, and writes B after).  Two snapshots with the same value therefore
-- see the same events of those prefixes: those <= m (all of them), none
-- between m and their B (else m would be larger), and S.
CREATE FUNCTION bus.position (prefixes text[]) RETURNS text
LANGUAGE sql STABLE AS $$
    WITH b AS (SELECT coalesce ((SELECT published_seq FROM bus.relay_state WHERE id = 1), 0) AS b),
    above AS (SELECT o.seq FROM bus.outbox o, b
               WHERE o.seq > b.b AND EXISTS (SELECT 1 FROM unnest (prefixes) p
                                              WHERE starts_with (o.topic, p))
               ORDER BY o.seq LIMIT 1001)
    SELECT CASE WHEN (SELECT count (*) FROM above) > 1000 THEN NULL ELSE
           coalesce ((SELECT o.seq FROM bus.outbox o, b
                       WHERE o.seq <= b.b AND EXISTS (SELECT 1 FROM unnest (prefixes) p
                                                       WHERE starts_with (o.topic, p))
                       ORDER BY o.seq DESC LIMIT 1), 0)::text
           || coalesce ('+' || (SELECT string_agg (seq::text, ',' ORDER BY seq) FROM above), '')
           END;
$$;

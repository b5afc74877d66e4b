-- The client metrics and satisfaction reports: the requests and complaints
-- clients raised (interactions of crmq-contacts of those kinds), whatever
-- their status, by the instant they started.
CREATE VIEW analytics.client_cases AS
    SELECT id, client_id, kind, status, started_at, manager_id
      FROM contacts.interactions
     WHERE kind IN ('request', 'complaint');

-- History is read newest first by when an interaction took place.
CREATE INDEX interactions_client_time_idx ON contacts.interactions (client_id, started_at DESC, id DESC);
CREATE INDEX interactions_manager_time_idx ON contacts.interactions (manager_id, started_at DESC, id DESC);

-- Contact persons from the ERP (contacts.UpsertPersons).  The ERP knows a
-- person by its client's external id and its own external id, unique per
-- client.  erp_client_id is the client row that external id named when the
-- person was created: a merge moves the person (client_id) to the survivor
-- and leaves this key alone, so the ERP's next event for the person, still
-- naming the merged client, finds it, and persons of the survivor and of the
-- merged client with equal external ids never collide.  Persons entered by
-- users have neither (NULLs are distinct in a unique index).
ALTER TABLE contacts.persons
    ADD COLUMN external_id text CHECK (length (external_id) BETWEEN 1 AND 100),
    ADD COLUMN erp_client_id bigint REFERENCES contacts.clients (id),
    ADD CONSTRAINT persons_erp_key_check CHECK ((external_id IS NULL) = (erp_client_id IS NULL));
CREATE UNIQUE INDEX persons_erp_key_idx ON contacts.persons (erp_client_id, external_id);

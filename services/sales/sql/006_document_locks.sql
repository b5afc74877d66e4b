-- Serialises, across crmq-sales replicas, the transactions that write an
-- order (or invoice) and those that write documents naming it: a document and
-- the order it names, written at the same time by two replicas, would
-- otherwise each miss the other's uncommitted row and stay unlinked for ever.
-- The lock is taken just before the linking statement, so whichever
-- transaction comes second sees the first one's commit.  Keys are hashed
-- into 1,024 buckets per kind (advisory lock class 4242 for orders, 4243 for
-- invoices) and taken in bucket order, so two batches never wait on each
-- other in a circle through these locks.
CREATE FUNCTION sales.lock_documents (kind int, external_ids text[])
RETURNS void LANGUAGE sql AS $$
    SELECT count (pg_advisory_xact_lock (kind, bucket))
      FROM (SELECT DISTINCT hashtext (x) & 1023 AS bucket
              FROM unnest (external_ids) AS x
             WHERE x <> ''
             ORDER BY 1) b;
$$;

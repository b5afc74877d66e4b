-- Change events (see services/bus/sql/004_data_changed.sql).
--
-- Master data and pipelines, whose writers write no event of their own:
-- every statement that changes rows of them writes
-- data.changed.sales.<table> (crmq.DataChanged) in its transaction.
SELECT bus.data_changed_watch ('sales.clients');
SELECT bus.data_changed_watch ('sales.managers');
SELECT bus.data_changed_watch ('sales.product_groups');
SELECT bus.data_changed_watch ('sales.products', 'updated_at');
SELECT bus.data_changed_watch ('sales.pipelines', 'version', 'updated_at');
SELECT bus.data_changed_watch ('sales.stages');

-- Documents, rollups and deals write their "sales." events whenever they
-- change, but for two paths, which write data.changed themselves: a client
-- merge applied by crmq-sales (merge_applier.c: sales.move_client moves the
-- merged client's documents and rollups, sales.deals_follow_merge its deals)
-- and a payment recorded before its invoice (counted in its day's rollup,
-- announced only once the invoice is known; document_store.c).

-- The rows of client `merged` in every table of the schema with a client_id
-- column (what a merge moves to the survivor), per table; the caller writes
-- their events before moving them.
CREATE FUNCTION sales.client_rows (merged bigint)
RETURNS TABLE (table_name text, row_count bigint)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    FOR table_name IN
        SELECT c.relname::text
          FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid
         WHERE c.relnamespace = 'sales'::regnamespace AND c.relkind IN ('r', 'p')
           AND NOT c.relispartition AND a.attname = 'client_id' AND NOT a.attisdropped
         ORDER BY 1
    LOOP
        EXECUTE format ('SELECT count (*) FROM sales.%I WHERE client_id = $1', table_name)
           INTO row_count USING merged;
        RETURN NEXT;
    END LOOP;
END $$;

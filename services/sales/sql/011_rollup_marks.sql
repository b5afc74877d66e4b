-- Change counters per day of the rollups, for caches of results over
-- closed periods (crmq-analytics' reports by dates).
--
-- sales.rollup_marks holds, per day, how many times committed statements
-- changed a rollup row of that day (sales.client_day_group_rollups,
-- sales.client_day_rollups; a row of sales.client_month_rollups counts on
-- its month's last day: a report reads it only with its horizon after it) or
-- a return of it (sales.returns, sales.return_lines: a report by profit
-- counts return lines without a cost).  Statement triggers add 1 to each day
-- a statement touched, in the writer's transaction.  Rows are never
-- deleted.
--
-- Why a reader may key a cache on the sum of the counters of the days
-- before its horizon: a writer increments a day's counter with an upsert on
-- its one row, whose lock it holds until it ends, so the writers of a day
-- are ordered, each adding to what the one before it committed; a snapshot
-- sees a prefix of the order in which transactions end (PostgreSQL's
-- snapshots do), so the counter it sees is the number of increments of the
-- writers it sees, and of two snapshots one sees every writer the other
-- does.  Two snapshots with the same sum for the days before a day therefore
-- see the same writers of those days: the same rollup rows and return lines
-- of every day before it.  A statement that rewrote rows unchanged also
-- counts: that costs a cache miss, never a stale result.
--
-- Returns are dated by returned_at, a timestamptz, and the company's zone is
-- the writer's argument, not known here: a return counts on the dates of its
-- UTC instant 14 hours either side (every zone's offset is within), one day
-- or two.
CREATE TABLE sales.rollup_marks (
    day                 date PRIMARY KEY,
    changes             bigint NOT NULL
);

-- Adds 1 to the counter of each day in `days` (any order, repeats
-- allowed), in ascending order of days (one order for every writer: two
-- writers wait for each other rather than deadlock).
CREATE FUNCTION sales.rollup_marks_add (days date[])
RETURNS void LANGUAGE sql AS $$
    INSERT INTO sales.rollup_marks AS r (day, changes)
    SELECT DISTINCT d, 1
      FROM unnest (days) AS d
     WHERE d IS NOT NULL AND isfinite (d)
     ORDER BY 1
    ON CONFLICT (day) DO UPDATE SET changes = r.changes + 1;
$$;

-- The statement trigger (AFTER INSERT, UPDATE or DELETE, FOR EACH STATEMENT,
-- transition tables rollup_marks_new and rollup_marks_old) of a table with a date:
-- TG_ARGV[0] is an SQL expression over the table's row `t` giving the days
-- its change touches (a date, or an array of dates).
CREATE FUNCTION sales.rollup_marks_trigger ()
RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    days date[];
BEGIN
    EXECUTE format ('SELECT array_agg (DISTINCT d) FROM (%s) x (d)',
                    concat_ws (' UNION ALL ',
                        CASE WHEN TG_OP IN ('INSERT', 'UPDATE')
                             THEN format ('SELECT unnest (ARRAY [%s]::date[]) FROM rollup_marks_new t',
                                          TG_ARGV [0]) END,
                        CASE WHEN TG_OP IN ('DELETE', 'UPDATE')
                             THEN format ('SELECT unnest (ARRAY [%s]::date[]) FROM rollup_marks_old t',
                                          TG_ARGV [0]) END))
    INTO days;
    IF days IS NOT NULL THEN
        PERFORM sales.rollup_marks_add (days);
    END IF;
    RETURN NULL;
END;
$$;

-- TRUNCATE of a rollup table: every day known so far changed.
CREATE FUNCTION sales.rollup_marks_truncated ()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sales.rollup_marks_add (array_agg (day)) FROM sales.rollup_marks;
    RETURN NULL;
END;
$$;

-- Puts the three statement triggers (bus.statement_triggers) and the
-- TRUNCATE one on `marked`, the days of a row given by `days` (see
-- sales.rollup_marks_trigger).
CREATE FUNCTION sales.rollup_marks_watch (marked regclass, days text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bus.statement_triggers (marked, 'rollup_marks', 'sales.rollup_marks_trigger',
                                    quote_literal (days));
    EXECUTE format ('CREATE TRIGGER rollup_marks_truncate AFTER TRUNCATE ON %s'
                    ' FOR EACH STATEMENT EXECUTE FUNCTION sales.rollup_marks_truncated ()',
                    marked);
END $$;

SELECT sales.rollup_marks_watch ('sales.client_day_group_rollups', 't.day');
SELECT sales.rollup_marks_watch ('sales.client_day_rollups', 't.day');
SELECT sales.rollup_marks_watch ('sales.client_month_rollups',
    '(t.month + interval ''1 month'' - interval ''1 day'')::date');
SELECT sales.rollup_marks_watch ('sales.returns',
    '(t.returned_at AT TIME ZONE ''UTC'' - interval ''14 hours'')::date,'
    ' (t.returned_at AT TIME ZONE ''UTC'' + interval ''14 hours'')::date');
SELECT sales.rollup_marks_watch ('sales.return_lines',
    '(SELECT (r.returned_at AT TIME ZONE ''UTC'' - interval ''14 hours'')::date'
    '   FROM sales.returns r WHERE r.id = t.return_id),'
    ' (SELECT (r.returned_at AT TIME ZONE ''UTC'' + interval ''14 hours'')::date'
    '    FROM sales.returns r WHERE r.id = t.return_id)');

-- Every day that has rollups starts with one change: the counters of a
-- database migrated with data differ from those of an empty one.
SELECT sales.rollup_marks_add (array_agg (DISTINCT day)) FROM sales.client_day_rollups;

-- sales.rebuild_rollups (003) as before, and now also a change event per
-- rollup table (data.changed.sales.client_day_group_rollups, ...): a
-- rebuild (after a change of the company's zone) writes no document event,
-- and every cached report must go.
CREATE OR REPLACE FUNCTION sales.rebuild_rollups (zone text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    group_rows bigint;
    day_rows bigint;
    inserted bigint;
BEGIN
    LOCK TABLE sales.client_day_group_rollups, sales.client_day_rollups IN EXCLUSIVE MODE;
    DELETE FROM sales.client_day_group_rollups;
    GET DIAGNOSTICS group_rows = ROW_COUNT;
    DELETE FROM sales.client_day_rollups;
    GET DIAGNOSTICS day_rows = ROW_COUNT;
    INSERT INTO sales.client_day_group_rollups SELECT * FROM sales.rollups_from_documents (zone);
    GET DIAGNOSTICS inserted = ROW_COUNT;
    group_rows := group_rows + inserted;
    INSERT INTO sales.client_day_rollups SELECT * FROM sales.day_rollups_from_documents (zone);
    GET DIAGNOSTICS inserted = ROW_COUNT;
    day_rows := day_rows + inserted;
    -- rows deleted and written again
    PERFORM bus.data_changed ('sales', 'client_day_group_rollups', group_rows);
    PERFORM bus.data_changed ('sales', 'client_day_rollups', day_rows);
END;
$$;

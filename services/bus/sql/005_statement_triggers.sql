-- The three AFTER ... FOR EACH STATEMENT triggers (INSERT, UPDATE, DELETE)
-- with transition tables that change tracking puts on a table: a trigger
-- with transition tables takes one event, so every watched table needs
-- three.  For migrations: bus.data_changed_watch here, crmq-sales' rollup
-- change counters (services/sales/sql/011_rollup_marks.sql).
--   <name>_insert  REFERENCING NEW TABLE AS <name>_new
--   <name>_update  REFERENCING OLD TABLE AS <name>_old NEW TABLE AS <name>_new
--   <name>_delete  REFERENCING OLD TABLE AS <name>_old
-- each executing `function` (a trigger function's qualified name) with
-- `arguments` (SQL literals, comma-separated, as the trigger gets them in
-- TG_ARGV).
CREATE FUNCTION bus.statement_triggers (watched regclass, name text, function text,
                                        arguments text DEFAULT '')
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format ('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS %I'
                    ' FOR EACH STATEMENT EXECUTE FUNCTION %s (%s)',
                    name || '_insert', watched, name || '_new', function, arguments);
    EXECUTE format ('CREATE TRIGGER %I AFTER UPDATE ON %s'
                    ' REFERENCING OLD TABLE AS %I NEW TABLE AS %I'
                    ' FOR EACH STATEMENT EXECUTE FUNCTION %s (%s)',
                    name || '_update', watched, name || '_old', name || '_new', function,
                    arguments);
    EXECUTE format ('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS %I'
                    ' FOR EACH STATEMENT EXECUTE FUNCTION %s (%s)',
                    name || '_delete', watched, name || '_old', function, arguments);
END $$;

-- bus.data_changed_watch (004) through it: the same three triggers.
CREATE OR REPLACE FUNCTION bus.data_changed_watch (watched regclass,
                                                   VARIADIC ignored text[] DEFAULT '{}')
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bus.statement_triggers (watched, 'data_changed', 'bus.data_changed_trigger',
                                    (SELECT coalesce (string_agg (quote_literal (c), ', '), '')
                                       FROM unnest (ignored) AS c));
END $$;

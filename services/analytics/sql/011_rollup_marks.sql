-- The change counters of the rollups' months that crmq-sales keeps
-- (services/sales/sql/011_rollup_marks.sql): a report by dates is cached
-- under those of the months before its horizon instead of the position of
-- the sales documents' events (report_runner.c).
CREATE VIEW analytics.rollup_marks AS
    SELECT month, changes FROM sales.rollup_marks;

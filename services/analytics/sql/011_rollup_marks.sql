-- The change counters per day of the rollups that crmq-sales keeps
-- (services/sales/sql/011_rollup_marks.sql): a report by dates is cached
-- under their sum over the days before its horizon instead of the position
-- of the sales documents' events (report_runner.c).
CREATE VIEW analytics.rollup_marks AS
    SELECT day, changes FROM sales.rollup_marks;

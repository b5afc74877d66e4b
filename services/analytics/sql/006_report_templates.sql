-- Saved report templates (analytics.SaveTemplate ... RunTemplate) and the
-- runs of their schedules (services/analytics/report_templates.h).
CREATE TABLE analytics.report_templates (
    name            text PRIMARY KEY CHECK (octet_length (name) BETWEEN 1 AND 100),
    description     text NOT NULL DEFAULT '',
    report          text NOT NULL,              -- params' report, for listings
    params          bytea NOT NULL,             -- packed crmq.ReportParams
    schedule        text NOT NULL DEFAULT '',   -- RRULE (RFC 5545); '' = on demand only
    time_zone       text NOT NULL,              -- the zone the schedule is read in
    schedule_start  timestamptz,                -- the rule's DTSTART: the save, to the minute
    next_run_at     timestamptz,                -- the occurrence to run next; NULL = none
    last_run_at     timestamptz,                -- when the last scheduled run finished
    last_status     text NOT NULL DEFAULT '',   -- 'ok', 'failed: CODE: message', '' = none yet
    created_at      timestamptz NOT NULL DEFAULT now (),
    updated_at      timestamptz NOT NULL DEFAULT now (),
    version         bigint NOT NULL DEFAULT 1,  -- + 1 at each replacing save
    CHECK (schedule <> '' OR next_run_at IS NULL),
    CHECK (schedule = '' OR schedule_start IS NOT NULL)
);

-- the scheduler's question, every second: which templates are due
CREATE INDEX report_templates_next_run ON analytics.report_templates (next_run_at)
    WHERE next_run_at IS NOT NULL;

-- One row per occurrence run: the unique key makes a second run of one
-- occurrence (another replica, a restart) fail instead of publishing twice.
-- `missed`: later occurrences that came due before the run and that this
-- run stands for (crmq-analytics was not running).
CREATE TABLE analytics.report_runs (
    id              bigserial PRIMARY KEY,
    template        text NOT NULL REFERENCES analytics.report_templates (name) ON DELETE CASCADE,
    scheduled_for   timestamptz NOT NULL,
    missed          integer NOT NULL DEFAULT 0 CHECK (missed >= 0),
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL,
    status          text NOT NULL CHECK (status IN ('ok', 'failed')),
    error           text NOT NULL DEFAULT '',
    outbox_seq      bigint,                     -- the event: analytics.report.ready or .failed
    run_by          text NOT NULL DEFAULT '',   -- the replica: "crmq-analytics pid N on HOST"
    UNIQUE (template, scheduled_for)
);

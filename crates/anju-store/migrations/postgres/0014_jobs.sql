-- Scheduled jobs: one row for each kind of job and fire time (the unique key
-- that makes several servers on one database run it once), claimed by one
-- runner under a lease, retried with back-off; and every run recorded.
CREATE TABLE jobs (
    kind          TEXT    NOT NULL,
    fire_at       TEXT    NOT NULL,
    state         TEXT    NOT NULL DEFAULT 'due',
    run_after     BIGINT    NOT NULL,
    attempts      BIGINT    NOT NULL DEFAULT 0,
    claimed_by    TEXT,
    claimed_until BIGINT,
    last_error    TEXT,
    PRIMARY KEY (kind, fire_at)
);
CREATE INDEX jobs_due ON jobs (state, run_after);
CREATE TABLE job_runs (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT    NOT NULL,
    fire_at     TEXT    NOT NULL,
    attempt     BIGINT    NOT NULL,
    runner      TEXT    NOT NULL,
    started_at  TEXT    NOT NULL,
    finished_at TEXT    NOT NULL,
    ok          BIGINT    NOT NULL,
    detail      TEXT    NOT NULL
);
CREATE INDEX job_runs_by_job ON job_runs (kind, fire_at);

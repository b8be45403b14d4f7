-- Scheduled jobs: one row for each kind of job and fire time (the unique key
-- that makes several servers on one database run it once), claimed by one
-- runner under a lease, retried with back-off; and every run recorded.
CREATE TABLE jobs (
    kind          TEXT    NOT NULL,
    fire_at       TEXT    NOT NULL,
    state         TEXT    NOT NULL DEFAULT 'due',
    run_after     INTEGER    NOT NULL,
    attempts      INTEGER    NOT NULL DEFAULT 0,
    claimed_by    TEXT,
    claimed_until INTEGER,
    last_error    TEXT,
    PRIMARY KEY (kind, fire_at)
);
CREATE INDEX jobs_due ON jobs (state, run_after);
CREATE TABLE job_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL,
    fire_at     TEXT    NOT NULL,
    attempt     INTEGER    NOT NULL,
    runner      TEXT    NOT NULL,
    started_at  TEXT    NOT NULL,
    finished_at TEXT    NOT NULL,
    ok          INTEGER    NOT NULL,
    detail      TEXT    NOT NULL
);
CREATE INDEX job_runs_by_job ON job_runs (kind, fire_at);

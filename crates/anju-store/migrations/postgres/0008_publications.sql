-- Published months (月晾晒): the evaluation rows, the figures behind them and
-- the corrections since the previous publication, frozen as published. A
-- month is published once; a republication (with its reason) is a new
-- version, and every version stays readable.
CREATE TABLE publications (
    id           BIGSERIAL PRIMARY KEY,
    as_of        TEXT    NOT NULL,
    version      BIGINT  NOT NULL,
    reason       TEXT,
    published_by TEXT    NOT NULL,
    published_at TEXT    NOT NULL,
    revision     BIGINT  NOT NULL,
    audit_hash   TEXT    NOT NULL,
    rows_json    TEXT    NOT NULL,
    values_json  TEXT    NOT NULL,
    corrections_json TEXT NOT NULL,
    CONSTRAINT publications_month_version UNIQUE (as_of, version)
);

-- The revision at which a version was approved (kept when it is superseded
-- later), so a publication can list the corrections approved since the
-- previous one.
ALTER TABLE value_versions ADD COLUMN approved_rev BIGINT;

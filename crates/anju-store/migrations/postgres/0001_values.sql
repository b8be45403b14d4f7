-- Reported figures, one row per version; nothing is ever updated but the
-- state and decision of a version, and nothing is deleted.
CREATE TABLE value_versions (
    id          BIGSERIAL PRIMARY KEY,
    indicator   BIGINT  NOT NULL,
    org_unit    TEXT    NOT NULL,
    period      TEXT    NOT NULL,
    version     BIGINT  NOT NULL,
    value       TEXT,
    numerator   TEXT,
    denominator TEXT,
    state       TEXT    NOT NULL CHECK (state IN ('draft', 'submitted', 'approved', 'returned', 'superseded')),
    late        BIGINT  NOT NULL DEFAULT 0,
    correction_reason TEXT,
    return_reason     TEXT,
    created_by  TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    decided_by  TEXT,
    decided_at  TEXT,
    CONSTRAINT value_versions_one_version UNIQUE (indicator, org_unit, period, version)
);
CREATE INDEX value_versions_by_state ON value_versions (state, period);

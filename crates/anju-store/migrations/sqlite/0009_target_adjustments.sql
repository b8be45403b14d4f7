-- Target adjustments (适当调整完善): a proposal with its reason and the month
-- it takes effect, approved or rejected by the task force. Nothing is
-- overwritten: the plan's (or decomposition's) target stays the original.
CREATE TABLE target_adjustments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    indicator   BIGINT  NOT NULL,
    org_unit    TEXT    NOT NULL,
    year        BIGINT  NOT NULL,
    target      TEXT    NOT NULL,
    comparator  TEXT    NOT NULL CHECK (comparator IN ('>=', '>')),
    effective   TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('proposed', 'approved', 'rejected')),
    proposed_by TEXT    NOT NULL,
    proposed_at TEXT    NOT NULL,
    decided_by  TEXT,
    decided_at  TEXT,
    decision_note TEXT
);

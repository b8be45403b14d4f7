-- 督办事项 (issue #13): an item from a meeting, an instruction or the plan;
-- one assignment per unit with its own timestamps; every step in an
-- append-only log; extension requests, decided by the task force.
CREATE TABLE supervision_items (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    title       TEXT    NOT NULL,
    source_kind TEXT    NOT NULL CHECK (source_kind IN ('meeting', 'instruction', 'plan')),
    source_date TEXT,
    source_ref  TEXT    NOT NULL,
    urgency     TEXT    NOT NULL CHECK (urgency IN ('一般', '急办', '特急')),
    due         TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    closed_at   TEXT
);
CREATE TABLE supervision_assignments (
    item_id     BIGINT  NOT NULL REFERENCES supervision_items (id),
    unit        TEXT    NOT NULL,
    lead        BIGINT  NOT NULL,
    position    BIGINT  NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('assigned', 'handling', 'answered', 'closed')),
    due         TEXT    NOT NULL,
    assigned_at TEXT    NOT NULL,
    signed_at   TEXT,
    signed_by   TEXT,
    answered_at TEXT,
    closed_at   TEXT,
    returns     BIGINT  NOT NULL DEFAULT 0,
    returned    BIGINT  NOT NULL DEFAULT 0,
    percent     TEXT,
    PRIMARY KEY (item_id, unit)
);
CREATE INDEX supervision_assignments_by_unit ON supervision_assignments (unit);
CREATE TABLE supervision_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id     BIGINT  NOT NULL REFERENCES supervision_items (id),
    unit        TEXT,
    step        TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    at          TEXT    NOT NULL,
    detail      TEXT    NOT NULL
);
CREATE INDEX supervision_log_by_item ON supervision_log (item_id, id);
CREATE TABLE supervision_extensions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id      BIGINT  NOT NULL REFERENCES supervision_items (id),
    unit         TEXT    NOT NULL,
    old_due      TEXT    NOT NULL,
    new_due      TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    progress     TEXT    NOT NULL,
    requested_by TEXT    NOT NULL,
    requested_at TEXT    NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
    decided_by   TEXT,
    decided_at   TEXT,
    note         TEXT
);
CREATE INDEX supervision_extensions_by_item ON supervision_extensions (item_id);
-- The log is append-only: the database refuses to change or remove a step.
CREATE TRIGGER supervision_log_no_update BEFORE UPDATE ON supervision_log
BEGIN SELECT RAISE(ABORT, 'supervision_log is append-only'); END;
CREATE TRIGGER supervision_log_no_delete BEFORE DELETE ON supervision_log
BEGIN SELECT RAISE(ABORT, 'supervision_log is append-only'); END;

-- 年度工作要点 (issue #13): a task's yearly work items with their owner,
-- co-units, deadline and dated milestones; the owner's monthly reports
-- (percent, text, attachments), reviewed by the task force.
CREATE TABLE work_items (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    task        BIGINT  NOT NULL,
    year        BIGINT  NOT NULL,
    title       TEXT    NOT NULL,
    owner       TEXT    NOT NULL,
    co_units    TEXT    NOT NULL,
    start       TEXT    NOT NULL,
    deadline    TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    created_at  TEXT    NOT NULL
);
CREATE INDEX work_items_by_task ON work_items (task, year);
CREATE TABLE work_milestones (
    item_id     BIGINT  NOT NULL REFERENCES work_items (id),
    position    BIGINT  NOT NULL,
    name        TEXT    NOT NULL,
    due         TEXT    NOT NULL,
    done        TEXT,
    PRIMARY KEY (item_id, position)
);
CREATE TABLE work_reports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id     BIGINT  NOT NULL REFERENCES work_items (id),
    month       TEXT    NOT NULL,
    percent     TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('submitted', 'approved', 'returned')),
    entered_by  TEXT    NOT NULL,
    entered_at  TEXT    NOT NULL,
    reviewed_by TEXT,
    reviewed_at TEXT,
    note        TEXT
);
CREATE INDEX work_reports_by_item ON work_reports (item_id, id);
CREATE TABLE work_files (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id   BIGINT  NOT NULL REFERENCES work_reports (id),
    name        TEXT    NOT NULL,
    sm3         TEXT    NOT NULL,
    size        BIGINT  NOT NULL,
    bytes       BLOB    NOT NULL
);
CREATE INDEX work_files_by_report ON work_files (report_id);

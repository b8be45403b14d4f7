-- 工作调度 (issue #13): a meeting's minutes (or an instruction's text) kept
-- with its 督办 item; the task force's own phases of a project type, which
-- replace the plan's for projects added after.
CREATE TABLE supervision_files (
    id          BIGSERIAL PRIMARY KEY,
    item_id     BIGINT  NOT NULL REFERENCES supervision_items (id),
    name        TEXT    NOT NULL,
    sm3         TEXT    NOT NULL,
    size        BIGINT  NOT NULL,
    bytes       BYTEA   NOT NULL,
    added_by    TEXT    NOT NULL,
    added_at    TEXT    NOT NULL
);
CREATE INDEX supervision_files_by_item ON supervision_files (item_id);
CREATE TABLE project_templates (
    kind        TEXT    PRIMARY KEY,
    phases      TEXT    NOT NULL,
    changed_by  TEXT    NOT NULL,
    changed_at  TEXT    NOT NULL
);

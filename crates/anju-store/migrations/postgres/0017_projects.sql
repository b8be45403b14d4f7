-- 项目库 (issue #13): a town's projects, their milestones (planned by the type's
-- phases, counted back from the planned completion; met with an actual date),
-- the planned investment per month, and monthly 形象进度 entries (percent,
-- text, investment completed, photos) that the task force reviews.
CREATE TABLE projects (
    id                  BIGSERIAL PRIMARY KEY,
    name                TEXT    NOT NULL,
    kind                TEXT    NOT NULL,
    town                TEXT    NOT NULL,
    stage               TEXT    NOT NULL CHECK (stage IN ('reserve', 'planned', 'building', 'completed', 'delivered')),
    start               TEXT    NOT NULL,
    planned_completion  TEXT    NOT NULL,
    planned_investment  TEXT    NOT NULL,
    contribution        TEXT,
    created_by          TEXT    NOT NULL,
    created_at          TEXT    NOT NULL
);
CREATE INDEX projects_by_town ON projects (town);
CREATE TABLE project_milestones (
    project_id  BIGINT  NOT NULL REFERENCES projects (id),
    position    BIGINT  NOT NULL,
    name        TEXT    NOT NULL,
    planned     TEXT    NOT NULL,
    actual      TEXT,
    actual_by   TEXT,
    actual_at   TEXT,
    PRIMARY KEY (project_id, position)
);
CREATE TABLE project_plan (
    project_id  BIGINT  NOT NULL REFERENCES projects (id),
    month       TEXT    NOT NULL,
    planned     TEXT    NOT NULL,
    PRIMARY KEY (project_id, month)
);
CREATE TABLE project_progress (
    id          BIGSERIAL PRIMARY KEY,
    project_id  BIGINT  NOT NULL REFERENCES projects (id),
    month       TEXT    NOT NULL,
    percent     TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    invested    TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('submitted', 'approved', 'returned')),
    flags       TEXT    NOT NULL,
    entered_by  TEXT    NOT NULL,
    entered_at  TEXT    NOT NULL,
    reviewed_by TEXT,
    reviewed_at TEXT,
    note        TEXT
);
CREATE INDEX project_progress_by_project ON project_progress (project_id, id);
CREATE TABLE project_photos (
    id          BIGSERIAL PRIMARY KEY,
    progress_id BIGINT  NOT NULL REFERENCES project_progress (id),
    name        TEXT    NOT NULL,
    taken       TEXT,
    lat         TEXT,
    lon         TEXT,
    width       BIGINT  NOT NULL,
    height      BIGINT  NOT NULL,
    sm3         TEXT    NOT NULL,
    image       BYTEA   NOT NULL,
    thumb       BYTEA   NOT NULL
);
CREATE INDEX project_photos_by_progress ON project_photos (progress_id);

-- The plan files the service has run with, newest last: the plan in force is
-- kept with the data it judges, so every server of one database runs the same
-- plan and an earlier one can be told apart (by its SM3 hash).
CREATE TABLE plan_files (
    id        BIGSERIAL PRIMARY KEY,
    plan_id   TEXT    NOT NULL,
    sm3       TEXT    NOT NULL,
    source    TEXT    NOT NULL,
    text      TEXT    NOT NULL,
    loaded_at TEXT    NOT NULL
);

-- 三员分立: the security administrator (secadmin) and the audit
-- administrator (auditor) beside the system administrator (admin); and a
-- password set by an administrator is changed at first login. SQLite cannot
-- change a CHECK constraint, so the users table is rebuilt, the sessions
-- table (which refers to it) around it, ids kept.
CREATE TABLE sessions_keep AS SELECT token_hash, user_id, created_at, last_seen FROM sessions;
DROP TABLE sessions;
CREATE TABLE users_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'secadmin', 'auditor', 'taskforce', 'leader', 'lead_unit', 'unit', 'town')),
    org_unit      TEXT,
    password_hash TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT users_name_unique UNIQUE (name)
);
INSERT INTO users_new (id, name, role, org_unit, password_hash, disabled, created_at)
    SELECT id, name, role, org_unit, password_hash, disabled, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT    NOT NULL,
    last_seen  INTEGER NOT NULL
);
INSERT INTO sessions (token_hash, user_id, created_at, last_seen)
    SELECT token_hash, user_id, created_at, last_seen FROM sessions_keep;
DROP TABLE sessions_keep;

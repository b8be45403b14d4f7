-- Users and their roles (分级分类). Passwords are argon2id hashes (PHC strings).
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'taskforce', 'leader', 'lead_unit', 'unit', 'town')),
    org_unit      TEXT,
    password_hash TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL,
    CONSTRAINT users_name_unique UNIQUE (name)
);

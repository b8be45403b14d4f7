-- Login sessions (by the SM3 hash of their token) and failed logins (for the lockout).
CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT    NOT NULL,
    last_seen  INTEGER NOT NULL
);
CREATE TABLE login_failures (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_name TEXT    NOT NULL,
    at        INTEGER NOT NULL
);
CREATE INDEX login_failures_by_user ON login_failures (user_name, at);

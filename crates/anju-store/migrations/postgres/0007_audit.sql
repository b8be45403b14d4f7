-- The audit log: every change, who made it, when, what it was before and
-- after. Entries are chained: each one's SM3 hash covers its content and the
-- hash of the one before, so editing, removing or inserting a row breaks the
-- chain from there on ('anju audit verify'). The head holds the number and
-- hash of the last entry, so a removed tail shows too; its row lock orders
-- the writers.
CREATE TABLE audit_log (
    id        BIGINT PRIMARY KEY,
    at        TEXT   NOT NULL,
    actor     TEXT   NOT NULL,
    action    TEXT   NOT NULL,
    subject   TEXT   NOT NULL,
    before    TEXT,
    after     TEXT,
    prev_hash TEXT   NOT NULL,
    hash      TEXT   NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT  NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

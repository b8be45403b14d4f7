-- A counter raised by every change to figures, so that servers can tell
-- whether what they keep in memory is still current.
CREATE TABLE anju_revision (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision BIGINT  NOT NULL
);
INSERT INTO anju_revision (id, revision) VALUES (1, 0);

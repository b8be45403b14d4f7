-- The revision at which a version last entered or left the approved set, so
-- a server can read what changed since the revision it holds instead of every
-- approved figure again.
ALTER TABLE value_versions ADD COLUMN changed_rev BIGINT NOT NULL DEFAULT 0;
CREATE INDEX value_versions_changed ON value_versions (changed_rev);

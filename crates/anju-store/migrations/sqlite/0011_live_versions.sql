-- The versions that decide what a new draft may do (one waiting for review,
-- one approved): found without reading every version of a figure, however
-- many there are.
CREATE INDEX value_versions_live ON value_versions (indicator, org_unit, period, version)
    WHERE state IN ('submitted', 'approved');

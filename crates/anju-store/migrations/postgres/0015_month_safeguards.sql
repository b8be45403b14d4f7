-- The month's safeguards (issue #12): what a publication knew of the month's
-- completeness when it was made (figures due and not approved, the deadline,
-- whether it was published anyway and why), and the warnings a figure carried
-- when it was submitted (JSON; NULL for rows from before).
ALTER TABLE publications ADD COLUMN completeness_json TEXT;
ALTER TABLE value_versions ADD COLUMN warnings_json TEXT;

-- 三员分立: the security administrator (secadmin) and the audit
-- administrator (auditor) beside the system administrator (admin); and a
-- password set by an administrator is changed at first login.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'secadmin', 'auditor', 'taskforce', 'leader', 'lead_unit', 'unit', 'town'));
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;

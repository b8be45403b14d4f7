-- The lockout counts failed logins per (account, client address), and knows
-- the addresses an account has logged in from, which a stranger's failures
-- elsewhere do not lock out.
ALTER TABLE login_failures ADD COLUMN client TEXT NOT NULL DEFAULT '';
CREATE INDEX login_failures_by_client ON login_failures (user_name, client, at);
-- Failed logins are kept a day: the pruning and the list of locks read by time.
CREATE INDEX login_failures_by_time ON login_failures (at);
CREATE TABLE login_addresses (
    user_name TEXT   NOT NULL,
    client    TEXT   NOT NULL,
    last_ok   BIGINT NOT NULL,
    PRIMARY KEY (user_name, client)
);

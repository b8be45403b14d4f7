//! Login sessions and failed logins. A session is found by the SM3 hash of
//! its token (the token itself is never stored); it ends when unused for
//! `anju_core::auth::IDLE_SECONDS`. Failed logins are kept for the lockout
//! rule of `anju_core::auth`. Times are Unix seconds, given by the caller.

use sm3::{Digest, Sm3};
use sqlx::Row;

use anju_core::auth::{LockScope, LoginHistory};

use crate::users::UserRecord;
use crate::{Store, StoreError, on_pool, sql, write_tx};

/// How long a failed login is kept (with its client address): a day, far
/// more than any lockout rule looks back.
const KEEP_FAILURES: i64 = 24 * 3600;

/// Failed logins (name, address, time) and whether the account has logged
/// in from that address since the time bound first (`?`): what the lockout
/// rules read, for one name or for all.
macro_rules! failures {
    () => {
        "SELECT f.user_name, f.client, f.at, a.client IS NOT NULL FROM login_failures f \
         LEFT JOIN login_addresses a ON a.user_name = f.user_name AND a.client = f.client AND a.last_ok >= ?"
    };
}

/// A live session as a request sees it.
#[derive(Debug, Clone)]
pub struct Session {
    /// Its user.
    pub user: UserRecord,
    /// The store's revision when the session was read (see `Store::revision`).
    pub revision: i64,
    /// The id of the plan file in force then (0: none kept yet).
    pub plan_file: i64,
}

/// A fresh session token: 32 random bytes, in hex.
pub fn new_token() -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::Invalid(format!("无法生成随机令牌:{e}")))?;
    Ok(hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// The SM3 hash of a token, as stored.
pub(crate) fn token_hash(token: &str) -> String {
    hex(&Sm3::digest(token.as_bytes()))
}

impl Store {
    /// Opens a session for a user; returns its token.
    pub async fn create_session(&self, user_id: i64, now: i64) -> Result<String, StoreError> {
        let token = new_token()?;
        let stamp = anju_core::auth::china_stamp(now);
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            sqlx::query(sql("INSERT INTO sessions (token_hash, user_id, created_at, last_seen) VALUES (?, ?, ?, ?)", pg))
                .bind(token_hash(&token))
                .bind(user_id)
                .bind(&stamp)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let name: String = sqlx::query_scalar(sql("SELECT name FROM users WHERE id = ?", pg))
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
            crate::audit::append(
                &mut tx,
                pg,
                crate::audit::Change {
                    at: &stamp,
                    actor: &name,
                    action: "login",
                    subject: format!("user {name}"),
                    before: None,
                    after: None,
                },
            )
            .await?;
            tx.commit().await?;
            Ok(token)
        })
    }

    /// The user of a live session, marking it used now; an idle session ends
    /// here. A disabled user has no session.
    pub async fn session_user(
        &self,
        token: &str,
        now: i64,
    ) -> Result<Option<UserRecord>, StoreError> {
        Ok(self.session(token, now).await?.map(|s| s.user))
    }

    /// A live session's user and the store's revision, read by one query
    /// (the hot path of every request). Its last use is written only when
    /// it is `TOUCH_SECONDS` old or older, so reads stay reads; an idle
    /// session ends here; a disabled user has no session.
    pub async fn session(&self, token: &str, now: i64) -> Result<Option<Session>, StoreError> {
        let hash = token_hash(token);
        on_pool!(self, |pool, pg| {
            let row = sqlx::query(sql(
                "SELECT s.last_seen, u.id, u.name, u.role, u.org_unit, u.password_hash, u.disabled, u.created_at, u.must_change_password, \
                 (SELECT revision FROM anju_revision WHERE id = 1) AS revision, \
                 (SELECT COALESCE(MAX(id), 0) FROM plan_files) AS plan_file \
                 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
                pg,
            ))
            .bind(&hash)
            .fetch_optional(pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let last_seen: i64 = row.try_get("last_seen")?;
            if !anju_core::auth::session_alive(last_seen, now) {
                sqlx::query(sql("DELETE FROM sessions WHERE token_hash = ?", pg))
                    .bind(&hash)
                    .execute(pool)
                    .await?;
                return Ok(None);
            }
            if now - last_seen >= anju_core::auth::TOUCH_SECONDS {
                sqlx::query(sql(
                    "UPDATE sessions SET last_seen = ? WHERE token_hash = ? AND last_seen < ?",
                    pg,
                ))
                .bind(now)
                .bind(&hash)
                .bind(now)
                .execute(pool)
                .await?;
            }
            let user = crate::users::user(&row)?;
            if user.disabled {
                return Ok(None);
            }
            Ok(Some(Session {
                user,
                revision: row.try_get("revision")?,
                plan_file: row.try_get("plan_file")?,
            }))
        })
    }

    /// Ends a session (logout) at `now`. Ending one that does not exist is
    /// no error (and no entry in the audit log).
    pub async fn end_session(&self, token: &str, now: i64) -> Result<(), StoreError> {
        let stamp = anju_core::auth::china_stamp(now);
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let name: Option<String> = sqlx::query_scalar(sql(
                "SELECT u.name FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
                pg,
            ))
            .bind(token_hash(token))
            .fetch_optional(&mut *tx)
            .await?;
            sqlx::query(sql("DELETE FROM sessions WHERE token_hash = ?", pg))
                .bind(token_hash(token))
                .execute(&mut *tx)
                .await?;
            if let Some(name) = name {
                crate::audit::append(
                    &mut tx,
                    pg,
                    crate::audit::Change {
                        at: &stamp,
                        actor: &name,
                        action: "logout",
                        subject: format!("user {name}"),
                        before: None,
                        after: None,
                    },
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Begins a login attempt of `name` from `client` at `at`: the attempt
    /// counts as a failure at once (so that attempts sent together see each
    /// other, and a burst cannot try more passwords than the lockout allows),
    /// and the failures that decide whether it may go on are read (the
    /// attempt's own excluded). Attempts on one name are taken one at a
    /// time. [`Store::end_login`] settles it.
    pub async fn begin_login(
        &self,
        name: &str,
        client: &str,
        at: i64,
    ) -> Result<(i64, LoginHistory), StoreError> {
        use anju_core::auth::{FAILURE_WINDOW, KNOWN_ADDRESS_SECONDS, LOCK_SECONDS};
        crate::plain_text("username", name)?;
        crate::plain_text("client", client)?;
        let name = kept_name(name);
        let since = at - FAILURE_WINDOW - LOCK_SECONDS;
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            if pg {
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext('anju.login:' || $1))")
                    .bind(&name)
                    .execute(&mut *tx)
                    .await?;
            }
            // What no rule needs any longer, for every name (a spray of
            // names tried once each must not pile up addresses forever).
            sqlx::query(sql("DELETE FROM login_failures WHERE at < ?", pg))
                .bind(at - KEEP_FAILURES)
                .execute(&mut *tx)
                .await?;
            let id: i64 = sqlx::query_scalar(sql(
                "INSERT INTO login_failures (user_name, client, at) VALUES (?, ?, ?) RETURNING id",
                pg,
            ))
            .bind(&name)
            .bind(client)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            let rows = sqlx::query(sql(
                concat!(
                    failures!(),
                    " WHERE f.user_name = ? AND f.at >= ? AND f.id <> ? ORDER BY f.at"
                ),
                pg,
            ))
            .bind(at - KNOWN_ADDRESS_SECONDS)
            .bind(&name)
            .bind(since)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            let known: Option<i64> = sqlx::query_scalar(sql(
                "SELECT last_ok FROM login_addresses WHERE user_name = ? AND client = ? AND last_ok >= ?",
                pg,
            ))
            .bind(&name)
            .bind(client)
            .bind(at - KNOWN_ADDRESS_SECONDS)
            .fetch_optional(&mut *tx)
            .await?;
            tx.commit().await?;
            let mut history = LoginHistory {
                known_address: known.is_some(),
                ..LoginHistory::default()
            };
            for r in &rows {
                let (from, t, known): (String, i64, bool) =
                    (r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
                if from == client {
                    history.from_address.push(t);
                }
                if !known {
                    history.from_unknown.push(t);
                }
            }
            Ok((id, history))
        })
    }

    /// Settles a login attempt begun by [`Store::begin_login`]: refused by
    /// the lockout (it does not count), succeeded (it does not count, the
    /// failures from this address before it are forgotten, and the address
    /// becomes one the account knows), or failed (it counts, and
    /// is in the audit log, with the lock it starts if it starts one).
    pub async fn end_login(
        &self,
        attempt: i64,
        name: &str,
        client: &str,
        at: i64,
        outcome: LoginOutcome,
    ) -> Result<(), StoreError> {
        crate::plain_text("username", name)?;
        crate::plain_text("client", client)?;
        let name = kept_name(name);
        let stamp = anju_core::auth::china_stamp(at);
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            match outcome {
                LoginOutcome::Refused => {
                    sqlx::query(sql("DELETE FROM login_failures WHERE id = ?", pg))
                        .bind(attempt)
                        .execute(&mut *tx)
                        .await?;
                }
                // The failures before a success from this address were not
                // "in a row" (连续): they are forgotten, the attempt with them.
                LoginOutcome::Succeeded => {
                    sqlx::query(sql(
                        "DELETE FROM login_failures WHERE user_name = ? AND (client = ? OR id = ?)",
                        pg,
                    ))
                    .bind(&name)
                    .bind(client)
                    .bind(attempt)
                    .execute(&mut *tx)
                    .await?;
                }
                LoginOutcome::Failed { .. } => {}
            }
            match outcome {
                LoginOutcome::Refused => {}
                LoginOutcome::Succeeded => {
                    sqlx::query(sql(
                        "INSERT INTO login_addresses (user_name, client, last_ok) VALUES (?, ?, ?) \
                         ON CONFLICT (user_name, client) DO UPDATE SET last_ok = excluded.last_ok",
                        pg,
                    ))
                    .bind(&name)
                    .bind(client)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                }
                LoginOutcome::Failed { lock } => {
                    crate::audit::append(
                        &mut tx,
                        pg,
                        crate::audit::Change {
                            at: &stamp,
                            actor: &name,
                            action: "login.failed",
                            subject: format!("user {name}"),
                            before: None,
                            after: Some(serde_json::json!({ "client": client })),
                        },
                    )
                    .await?;
                    if let Some((until, scope)) = lock {
                        crate::audit::append(
                            &mut tx,
                            pg,
                            crate::audit::Change {
                                at: &stamp,
                                actor: "system",
                                action: "login.locked",
                                subject: format!("user {name}"),
                                before: None,
                                after: Some(serde_json::json!({
                                    "client": client,
                                    "scope": scope.as_str(),
                                    "until": anju_core::auth::china_stamp(until),
                                })),
                            },
                        )
                        .await?;
                    }
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }
}

/// A live session as the security administrator sees it (never its token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveSession {
    /// Whose.
    pub user: String,
    /// Their role.
    pub role: anju_core::access::Role,
    /// When it began (China time).
    pub created_at: String,
    /// When it was last used (Unix seconds, to within a minute).
    pub last_seen: i64,
}

/// A lock in force on an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountLock {
    /// The name tried (an account or not).
    pub user: String,
    /// The lock.
    pub lock: anju_core::auth::Lock,
}

impl Store {
    /// The login locks in force at `now`, by name.
    pub async fn login_locks(&self, now: i64) -> Result<Vec<AccountLock>, StoreError> {
        use anju_core::auth::{FAILURE_WINDOW, KNOWN_ADDRESS_SECONDS, LOCK_SECONDS};
        let rows: Vec<(String, String, i64, bool)> = on_pool!(self, |pool, pg| {
            let rows = sqlx::query(sql(
                concat!(failures!(), " WHERE f.at >= ? ORDER BY f.user_name, f.at"),
                pg,
            ))
            .bind(now - KNOWN_ADDRESS_SECONDS)
            .bind(now - FAILURE_WINDOW - LOCK_SECONDS)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        let mut out = Vec::new();
        for chunk in rows.chunk_by(|a, b| a.0 == b.0) {
            let failures: Vec<(String, i64, bool)> =
                chunk.iter().map(|r| (r.1.clone(), r.2, r.3)).collect();
            for lock in anju_core::auth::locks_in_force(&failures, now) {
                out.push(AccountLock {
                    user: chunk[0].0.clone(),
                    lock,
                });
            }
        }
        Ok(out)
    }

    /// Lifts the locks of `name` (from one address, or all): its failed
    /// logins are forgotten. In the audit log as `login.unlock` by `by`.
    pub async fn clear_login_lock(
        &self,
        name: &str,
        address: Option<&str>,
        by: &str,
        now: i64,
    ) -> Result<u64, StoreError> {
        crate::plain_text("user", name)?;
        crate::plain_text("address", address.unwrap_or(""))?;
        crate::plain_text("by", by)?;
        let name = kept_name(name);
        let stamp = anju_core::auth::china_stamp(now);
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let done = sqlx::query(sql(
                "DELETE FROM login_failures WHERE user_name = ? AND (? IS NULL OR client = ?)",
                pg,
            ))
            .bind(&name)
            .bind(address)
            .bind(address)
            .execute(&mut *tx)
            .await?;
            crate::audit::append(
                &mut tx,
                pg,
                crate::audit::Change {
                    at: &stamp,
                    actor: by,
                    action: "login.unlock",
                    subject: format!("user {name}"),
                    before: None,
                    after: Some(serde_json::json!({
                        "client": address,
                        "failures_forgotten": done.rows_affected(),
                    })),
                },
            )
            .await?;
            tx.commit().await?;
            Ok(done.rows_affected())
        })
    }

    /// The sessions alive at `now`, newest use first.
    pub async fn live_sessions(&self, now: i64) -> Result<Vec<LiveSession>, StoreError> {
        on_pool!(self, |pool, pg| {
            let rows = sqlx::query(sql(
                "SELECT u.name, u.role, s.created_at, s.last_seen FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.last_seen > ? AND u.disabled = 0 ORDER BY s.last_seen DESC, u.name",
                pg,
            ))
            .bind(now - anju_core::auth::IDLE_SECONDS)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let role: String = r.try_get(1)?;
                out.push(LiveSession {
                    user: r.try_get(0)?,
                    role: anju_core::access::Role::parse(&role)
                        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                    created_at: r.try_get(2)?,
                    last_seen: r.try_get(3)?,
                });
            }
            Ok(out)
        })
    }

    /// Ends every session of `name` (the security administrator's 强制下线);
    /// how many. In the audit log as `session.end` by `by`.
    pub async fn end_sessions_of(&self, name: &str, by: &str, now: i64) -> Result<u64, StoreError> {
        crate::plain_text("user", name)?;
        crate::plain_text("by", by)?;
        let stamp = anju_core::auth::china_stamp(now);
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let id: Option<i64> =
                sqlx::query_scalar(sql("SELECT id FROM users WHERE name = ?", pg))
                    .bind(name.trim())
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(id) = id else {
                return Err(StoreError::NoSuchUser(name.trim().to_string()));
            };
            let done = sqlx::query(sql("DELETE FROM sessions WHERE user_id = ?", pg))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            crate::audit::append(
                &mut tx,
                pg,
                crate::audit::Change {
                    at: &stamp,
                    actor: by,
                    action: "session.end",
                    subject: format!("user {}", name.trim()),
                    before: None,
                    after: Some(serde_json::json!({ "sessions_ended": done.rows_affected() })),
                },
            )
            .await?;
            tx.commit().await?;
            Ok(done.rows_affected())
        })
    }
}

/// How a login attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Refused by the lockout before the password was looked at.
    Refused,
    /// The password was right.
    Succeeded,
    /// The password was wrong (or the account unknown or disabled); the
    /// lock this failure starts, if it starts one.
    Failed {
        /// Until when, and for whom.
        lock: Option<(i64, LockScope)>,
    },
}

/// A name tried, as kept: trimmed, and no longer than a user name may be
/// (an unauthenticated caller must not write long text into the log).
fn kept_name(name: &str) -> String {
    name.trim().chars().take(crate::users::MAX_NAME).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_random_and_stored_only_as_their_hash() {
        let (a, b) = (super::new_token().unwrap(), super::new_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        let h = super::token_hash(&a);
        assert_eq!(h.len(), 64);
        assert_ne!(h, a);
        // SM3 of "abc" (GB/T 32905-2016, example 1).
        assert_eq!(
            super::token_hash("abc"),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }
}

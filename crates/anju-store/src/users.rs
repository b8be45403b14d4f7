//! Users: name, role, unit and password hash. Passwords are hashed with
//! argon2id (PHC strings, salt included); the hash is slow on purpose, so a
//! server hashes off its async threads.

use anju_core::access::Role;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use sqlx::Row;

use crate::{Store, StoreError, on_pool, sql, write_tx};

/// A stored user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    /// Its id.
    pub id: i64,
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The unit's name as the plan writes it.
    pub org_unit: Option<String>,
    /// argon2id PHC string.
    pub password_hash: String,
    /// A disabled user cannot log in.
    pub disabled: bool,
    /// When it was created.
    pub created_at: String,
    /// Its password was set by an administrator: it must be changed before
    /// anything else is done (等保: 首次登录须修改初始口令).
    pub must_change_password: bool,
}

/// The longest user name, in characters.
pub const MAX_NAME: usize = 64;

/// The smallest password length accepted.
pub const MIN_PASSWORD: usize = 8;

/// The longest password accepted, in bytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Hashes a password with argon2id and a fresh salt.
pub fn hash_password(password: &str) -> Result<String, StoreError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(StoreError::Invalid(format!("密码至少 {MIN_PASSWORD} 位")));
    }
    // Hashing is slow on purpose; a huge password must not make it slower.
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(StoreError::Invalid(format!(
            "密码过长(至多 {MAX_PASSWORD_BYTES} 字节)"
        )));
    }
    // A fresh random salt each time; the PHC string carries it and the parameters.
    let hash: PasswordHash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| StoreError::Invalid(format!("无法计算密码摘要:{e}")))?;
    Ok(hash.to_string())
}

/// Whether `password` matches a stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

impl Store {
    /// Adds a user (`by`: who adds it, for the audit log); `temporary`: the
    /// password is one an administrator set, to be changed at first login.
    /// A name already taken is a conflict.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_user(
        &self,
        name: &str,
        role: Role,
        org_unit: Option<&str>,
        password_hash: &str,
        now: &str,
        by: &str,
        temporary: bool,
    ) -> Result<UserRecord, StoreError> {
        let name = name.trim();
        if name.is_empty()
            || name.chars().count() > MAX_NAME
            || name
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '/' || c == '\\')
            || name == "."
            || name == ".."
        {
            return Err(StoreError::Invalid(
                "用户名不能为空,不能是“.”或“..”,也不能含空白、控制字符或斜杠".into(),
            ));
        }
        crate::plain_text("by", by)?;
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let taken: Option<i64> =
                sqlx::query_scalar(sql("SELECT id FROM users WHERE name = ?", pg))
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await?;
            if taken.is_some() {
                return Err(StoreError::UserExists(name.to_string()));
            }
            let row = sqlx::query(sql(
                "INSERT INTO users (name, role, org_unit, password_hash, created_at, must_change_password) VALUES (?, ?, ?, ?, ?, ?) \
                 RETURNING id, name, role, org_unit, password_hash, disabled, created_at, must_change_password",
                pg,
            ))
            .bind(name)
            .bind(role.as_str())
            .bind(org_unit)
            .bind(password_hash)
            .bind(now)
            .bind(i64::from(temporary))
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| match e.as_database_error() {
                // Two adds of one name at once: the second meets the unique name.
                Some(d) if d.is_unique_violation() => StoreError::UserExists(name.to_string()),
                _ => e.into(),
            })?;
            let made = user(&row)?;
            crate::audit::append(
                &mut tx,
                pg,
                crate::audit::Change {
                    at: now,
                    actor: by,
                    action: "user.create",
                    subject: format!("user {}", made.name),
                    before: None,
                    after: Some(serde_json::json!({
                        "name": made.name, "role": made.role.as_str(), "org_unit": made.org_unit,
                        "must_change_password": made.must_change_password,
                    })),
                },
            )
            .await?;
            tx.commit().await?;
            Ok(made)
        })
    }

    /// A user by login name.
    pub async fn user(&self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        if name.contains('\0') {
            return Ok(None);
        }
        on_pool!(self, |pool, pg| {
            let row = sqlx::query(sql(
                "SELECT id, name, role, org_unit, password_hash, disabled, created_at, must_change_password FROM users WHERE name = ?",
                pg,
            ))
            .bind(name.trim())
            .fetch_optional(pool)
            .await?;
            Ok(row.map(|r| user(&r)).transpose()?)
        })
    }

    /// Every user, by name.
    pub async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        on_pool!(self, |pool, pg| {
            let rows = sqlx::query(sql(
                "SELECT id, name, role, org_unit, password_hash, disabled, created_at, must_change_password FROM users ORDER BY name",
                pg,
            ))
            .fetch_all(pool)
            .await?;
            Ok(rows.iter().map(user).collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Disables or enables a user, or gives them a new password hash
    /// (`temporary`: set by an administrator, to be changed at the next
    /// login; otherwise the user's own). A disabled user's sessions end; so
    /// do all sessions of a user whose password changes, but `keep` (the
    /// session that changed it).
    #[allow(clippy::too_many_arguments)]
    pub async fn update_user(
        &self,
        name: &str,
        disabled: Option<bool>,
        password_hash: Option<&str>,
        temporary: bool,
        keep: Option<&str>,
        by: &str,
        now: &str,
    ) -> Result<UserRecord, StoreError> {
        crate::plain_text("by", by)?;
        let name = name.trim();
        if name.contains('\0') {
            return Err(StoreError::NoSuchUser(name.replace('\0', "\\u0000")));
        }
        let keep = keep.map(crate::sessions::token_hash).unwrap_or_default();
        on_pool!(self, |pool, pg| {
            let mut tx = write_tx!(pool, pg);
            let was: Option<i64> =
                sqlx::query_scalar(sql("SELECT disabled FROM users WHERE name = ?", pg))
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await?;
            let row = sqlx::query(sql(
                "UPDATE users SET disabled = COALESCE(?, disabled), password_hash = COALESCE(?, password_hash), \
                 must_change_password = CASE WHEN ? THEN ? ELSE must_change_password END \
                 WHERE name = ? RETURNING id, name, role, org_unit, password_hash, disabled, created_at, must_change_password",
                pg,
            ))
            .bind(disabled.map(i64::from))
            .bind(password_hash)
            .bind(password_hash.is_some())
            .bind(i64::from(temporary))
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NoSuchUser(name.to_string()))?;
            let found = user(&row)?;
            if disabled == Some(true) || password_hash.is_some() {
                sqlx::query(sql(
                    "DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?",
                    pg,
                ))
                .bind(found.id)
                .bind(&keep)
                .execute(&mut *tx)
                .await?;
            }
            crate::audit::append(
                &mut tx,
                pg,
                crate::audit::Change {
                    at: now,
                    actor: by,
                    action: "user.update",
                    subject: format!("user {}", found.name),
                    before: Some(serde_json::json!({ "disabled": was.is_some_and(|d| d != 0) })),
                    after: Some(serde_json::json!({
                        "disabled": found.disabled,
                        "password_changed": password_hash.is_some(),
                        "must_change_password": found.must_change_password,
                    })),
                },
            )
            .await?;
            tx.commit().await?;
            Ok(found)
        })
    }
}

pub(crate) fn user<R>(r: &R) -> Result<UserRecord, sqlx::Error>
where
    R: Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let role: String = r.try_get("role")?;
    Ok(UserRecord {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        role: Role::parse(&role).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        org_unit: r.try_get("org_unit")?,
        password_hash: r.try_get("password_hash")?,
        disabled: r.try_get::<i64, _>("disabled")? != 0,
        created_at: r.try_get("created_at")?,
        must_change_password: r.try_get::<i64, _>("must_change_password")? != 0,
    })
}

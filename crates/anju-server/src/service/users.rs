//! Accounts: added and changed by the system administrator through the API,
//! or by the operator at the command line (`anju user add`, `anju user
//! set`), by the same rules — the role against its unit in the plan, the
//! name, the password policy — and, through the API, the permission table.

use anju_core::access::{Action, Actor, Role};
use anju_core::plan::Plan;
use anju_store::{Store, UserRecord};

use super::Error;

/// Who acts: a user through the service (the permission table decides), or
/// the operator at the command line, who has the database already.
#[derive(Clone, Copy, Debug)]
pub enum Admin<'a> {
    /// A signed-in user.
    User(&'a Actor<'a>),
    /// The command line (recorded as `命令行`).
    Operator,
}

impl Admin<'_> {
    fn name(&self) -> &str {
        match self {
            Admin::User(a) => a.name,
            Admin::Operator => "命令行",
        }
    }

    fn may(&self, plan: &Plan, action: &Action<'_>) -> Result<(), Error> {
        match self {
            Admin::User(a) => Ok(a.may(plan, action)?),
            Admin::Operator => Ok(()),
        }
    }
}

/// What to do on a store with no account yet, in words for the operator:
/// the console of `anju serve` and the login page say it.
pub const FIRST_ADMIN: &str = "还没有任何用户。请在服务器上创建第一个系统管理员:\
anju user add 用户名 --role admin --password-stdin(再输入密码并回车;数据库与 anju serve 相同,\
由 --database、ANJU_DATABASE 或 anju.toml 指定),然后用此账户登录,在“用户”页添加其他用户。";

/// Whether the store has no account at all (a first run).
pub async fn none_yet(store: &Store) -> Result<bool, Error> {
    Ok(store.users().await?.is_empty())
}

/// An account to add.
#[derive(Clone, Debug)]
pub struct NewAccount {
    /// The login name (1–64 characters, no white space).
    pub name: String,
    /// The role.
    pub role: Role,
    /// The unit, by any of its names (as the role needs one, or none).
    pub org_unit: Option<String>,
    /// The first password (checked against the policy, then hashed).
    pub password: String,
    /// Whether the user must change it at the first login.
    pub temporary: bool,
}

/// A password checked against the policy and hashed (off the async threads:
/// argon2 is slow on purpose).
pub async fn new_password(field: &str, user: &str, password: String) -> Result<String, Error> {
    anju_core::auth::check_password_policy(user, &password)
        .map_err(|e| Error::invalid(field, e))?;
    let field = field.to_string();
    tokio::task::spawn_blocking(move || anju_store::hash_password(&password))
        .await
        .map_err(|_| Error::invalid(&field, "无法计算密码摘要"))?
        .map_err(|e| Error::invalid(&field, e.to_string()))
}

/// Adds an account.
pub async fn add(
    store: &Store,
    plan: &Plan,
    by: Admin<'_>,
    account: NewAccount,
    now: &str,
) -> Result<UserRecord, Error> {
    by.may(plan, &Action::ReadUsers)?;
    by.may(plan, &Action::ManageUser { role: account.role })?;
    let org = account
        .org_unit
        .as_deref()
        .filter(|o| !o.trim().is_empty())
        .map(|o| plan.orgs.resolve(o))
        .transpose()
        .map_err(|e| Error::invalid("org_unit", e.to_string()))?;
    account
        .role
        .check_org(plan, org)
        .map_err(|e| Error::invalid("org_unit", e.to_string()))?;
    let name = account.name.trim().to_string();
    if name.is_empty() || name.chars().any(char::is_whitespace) || name.chars().count() > 64 {
        return Err(Error::invalid(
            "username",
            "用户名须为 1–64 个字符,不含空白",
        ));
    }
    let hash = new_password("password", &name, account.password).await?;
    let org_name = org.map(|o| plan.orgs.get(o).name.clone());
    Ok(store
        .create_user(
            &name,
            account.role,
            org_name.as_deref(),
            &hash,
            now,
            by.name(),
            account.temporary,
        )
        .await?)
}

/// A change to an account: disabled or enabled (their sessions end), or a
/// new password (every session of theirs ends).
#[derive(Clone, Debug, Default)]
pub struct AccountChange {
    /// Disable (`true`) or enable (`false`).
    pub disabled: Option<bool>,
    /// A new password.
    pub password: Option<String>,
    /// Whether the user must change the new password at the next login.
    pub temporary: bool,
}

/// Changes an account. A user cannot disable themself, nor set their own
/// password here (that needs the old one).
pub async fn change(
    store: &Store,
    plan: &Plan,
    by: Admin<'_>,
    name: &str,
    change: AccountChange,
    now: &str,
) -> Result<UserRecord, Error> {
    by.may(plan, &Action::ReadUsers)?;
    let name = name.trim();
    if let Admin::User(me) = by {
        if change.password.is_some() && name == me.name {
            return Err(Error::Conflict(
                "修改本人密码请使用 POST /api/v1/me/password(须提供原密码)".into(),
            ));
        }
        if change.disabled == Some(true) && name == me.name {
            return Err(Error::Conflict("不能停用自己的账户".into()));
        }
    }
    if change.disabled.is_none() && change.password.is_none() {
        return Err(Error::invalid("disabled", "须给出 disabled 或 password"));
    }
    match store.user(name).await? {
        Some(u) => by.may(plan, &Action::ManageUser { role: u.role })?,
        None => return Err(Error::NotFound(format!("用户“{name}”不存在"))),
    }
    let hash = match change.password {
        Some(p) => Some(new_password("password", name, p).await?),
        None => None,
    };
    Ok(store
        .update_user(
            name,
            change.disabled,
            hash.as_deref(),
            change.temporary,
            None,
            by.name(),
            now,
        )
        .await?)
}

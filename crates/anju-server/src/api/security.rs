//! The security administrator's desk (安全管理员, 三员分立): the login locks
//! in force and lifting them, the live sessions and ending them, and the
//! password and lockout policy. Only `Action::ManageSecurity` reaches it;
//! every change is in the audit log.

use axum::Json;
use axum::extract::State;

use serde::{Deserialize, Serialize};

use anju_core::access::Action;

use crate::auth::Authed;
use crate::{ApiError, AppState, ErrorDoc, JsonBody, invalid};

fn secadmin_only(state: &AppState, who: &Authed) -> Result<(), ApiError> {
    who.may(&state.plan(), &Action::ManageSecurity)
}

/// A lock in force.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct LockOut {
    /// 被锁定的用户名(或尝试过的名称)。
    pub user: String,
    /// 被锁定的地址(scope 为 unknown_addresses 时为空:所有未曾成功登录过的地址)。
    pub client: Option<String>,
    /// address:该地址;unknown_addresses:所有未曾成功登录过的地址。
    pub scope: &'static str,
    /// 锁定至(北京时间)。
    pub until: String,
}

/// Locks in force.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct LocksOut {
    locks: Vec<LockOut>,
}

/// The locks in force now.
pub(crate) async fn locks_now(state: &AppState) -> Result<Vec<LockOut>, ApiError> {
    let now = (state.clock)();
    Ok(state
        .store
        .login_locks(now)
        .await?
        .into_iter()
        .map(|l| LockOut {
            user: l.user,
            client: l.lock.address,
            scope: l.lock.scope.as_str(),
            until: anju_core::auth::china_stamp(l.lock.until),
        })
        .collect())
}

/// `GET /api/v1/security/locks`: the login locks in force.
#[utoipa::path(
    get,
    path = "/api/v1/security/locks",
    tag = "安全",
    summary = "当前的登录锁定(安全管理员)",
    responses((status = 200, body = LocksOut), (status = 401, description = "未登录或登录已失效", body = ErrorDoc), (status = 403, description = "无权", body = ErrorDoc)),
    security(("bearer" = []))
)]
pub(crate) async fn locks(
    State(state): State<AppState>,
    who: Authed,
) -> Result<Json<LocksOut>, ApiError> {
    secadmin_only(&state, &who)?;
    Ok(Json(LocksOut {
        locks: locks_now(&state).await?,
    }))
}

/// A lock to lift.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnlockIn {
    /// 用户名。
    user: String,
    /// 只解除该地址的锁定;不给出时解除该用户的全部锁定。
    #[serde(default)]
    client: Option<String>,
}

/// How much a change touched.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct CountOut {
    /// 涉及的条数。
    count: u64,
}

/// Lifts the locks of `user` (from `client`, or all) for `who`.
pub(crate) async fn unlock(
    state: &AppState,
    who: &Authed,
    user: &str,
    client: Option<&str>,
) -> Result<u64, ApiError> {
    secadmin_only(state, who)?;
    if user.trim().is_empty() {
        return Err(invalid("user", "须给出用户名"));
    }
    let client = client.map(str::trim).filter(|c| !c.is_empty());
    Ok(state
        .store
        .clear_login_lock(user, client, &who.user.name, (state.clock)())
        .await?)
}

/// `POST /api/v1/security/locks/clear` `{"user","client"?}`: lifts a lock
/// (the failed logins behind it are forgotten).
#[utoipa::path(
    post,
    path = "/api/v1/security/locks/clear",
    tag = "安全",
    summary = "解除登录锁定(安全管理员)",
    request_body = UnlockIn,
    responses((status = 200, body = CountOut), (status = 401, description = "未登录或登录已失效", body = ErrorDoc), (status = 403, description = "无权", body = ErrorDoc), (status = 400, description = "不是有效的 JSON", body = ErrorDoc), (status = 413, description = "请求过大", body = ErrorDoc), (status = 415, description = "须为 application/json", body = ErrorDoc), (status = 422, description = "输入有误,指明字段", body = ErrorDoc)),
    security(("bearer" = []))
)]
pub(crate) async fn clear_lock(
    State(state): State<AppState>,
    who: Authed,
    JsonBody(body): JsonBody<UnlockIn>,
) -> Result<Json<CountOut>, ApiError> {
    let count = unlock(&state, &who, &body.user, body.client.as_deref()).await?;
    Ok(Json(CountOut { count }))
}

/// A live session (never its token).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SessionOut {
    /// 用户名。
    pub user: String,
    /// 角色。
    pub role: &'static str,
    /// 登录时间(北京时间)。
    pub created_at: String,
    /// 最近使用(北京时间,精确到分钟)。
    pub last_seen: String,
}

/// Live sessions.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SessionsOut {
    sessions: Vec<SessionOut>,
}

/// The sessions alive now.
pub(crate) async fn sessions_now(state: &AppState) -> Result<Vec<SessionOut>, ApiError> {
    Ok(state
        .store
        .live_sessions((state.clock)())
        .await?
        .into_iter()
        .map(|s| SessionOut {
            user: s.user,
            role: s.role.as_str(),
            created_at: s.created_at,
            last_seen: anju_core::auth::china_stamp(s.last_seen),
        })
        .collect())
}

/// `GET /api/v1/security/sessions`: the sessions alive now.
#[utoipa::path(
    get,
    path = "/api/v1/security/sessions",
    tag = "安全",
    summary = "在线会话(安全管理员)",
    responses((status = 200, body = SessionsOut), (status = 401, description = "未登录或登录已失效", body = ErrorDoc), (status = 403, description = "无权", body = ErrorDoc)),
    security(("bearer" = []))
)]
pub(crate) async fn sessions(
    State(state): State<AppState>,
    who: Authed,
) -> Result<Json<SessionsOut>, ApiError> {
    secadmin_only(&state, &who)?;
    Ok(Json(SessionsOut {
        sessions: sessions_now(&state).await?,
    }))
}

/// Whose sessions to end.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EndIn {
    /// 用户名。
    user: String,
}

/// Ends every session of `user` for `who`.
pub(crate) async fn end_sessions(
    state: &AppState,
    who: &Authed,
    user: &str,
) -> Result<u64, ApiError> {
    secadmin_only(state, who)?;
    Ok(state
        .store
        .end_sessions_of(user, &who.user.name, (state.clock)())
        .await?)
}

/// `POST /api/v1/security/sessions/end` `{"user"}`: ends every session of a
/// user (强制下线); they log in again.
#[utoipa::path(
    post,
    path = "/api/v1/security/sessions/end",
    tag = "安全",
    summary = "强制下线(安全管理员)",
    request_body = EndIn,
    responses((status = 200, body = CountOut), (status = 401, description = "未登录或登录已失效", body = ErrorDoc), (status = 403, description = "无权", body = ErrorDoc), (status = 400, description = "不是有效的 JSON", body = ErrorDoc), (status = 404, description = "用户不存在", body = ErrorDoc), (status = 413, description = "请求过大", body = ErrorDoc), (status = 415, description = "须为 application/json", body = ErrorDoc), (status = 422, description = "输入有误,指明字段", body = ErrorDoc)),
    security(("bearer" = []))
)]
pub(crate) async fn end(
    State(state): State<AppState>,
    who: Authed,
    JsonBody(body): JsonBody<EndIn>,
) -> Result<Json<CountOut>, ApiError> {
    let count = end_sessions(&state, &who, &body.user).await?;
    Ok(Json(CountOut { count }))
}

/// The password and lockout policy in force.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PolicyOut {
    /// 密码最少字符数。
    pub min_password_chars: usize,
    /// 密码须含的字符种类数(大写、小写、数字、其他符号四类中)。
    pub password_kinds: usize,
    /// 管理员设置的密码须在首次登录时修改。
    pub change_when_set_by_admin: bool,
    /// 同一地址连续失败几次后放慢。
    pub slow_after: usize,
    /// 放慢时每次须间隔的秒数。
    pub slow_seconds: i64,
    /// 同一地址连续失败几次后锁定该地址。
    pub lock_after: usize,
    /// 锁定秒数。
    pub lock_seconds: i64,
    /// 来自未曾成功登录过的地址的失败合计几次后锁定所有这类地址。
    pub unknown_address_failures: usize,
    /// 会话闲置几秒后结束。
    pub idle_seconds: i64,
}

/// The policy.
pub(crate) fn policy() -> PolicyOut {
    use anju_core::auth as a;
    PolicyOut {
        min_password_chars: a::MIN_PASSWORD_CHARS,
        password_kinds: a::PASSWORD_KINDS,
        change_when_set_by_admin: true,
        slow_after: a::SLOW_AFTER,
        slow_seconds: a::SLOW_SECONDS,
        lock_after: a::MAX_FAILURES,
        lock_seconds: a::LOCK_SECONDS,
        unknown_address_failures: a::UNKNOWN_ADDRESS_FAILURES,
        idle_seconds: a::IDLE_SECONDS,
    }
}

/// `GET /api/v1/security/policy`: the password and lockout policy (any login).
#[utoipa::path(
    get,
    path = "/api/v1/security/policy",
    tag = "安全",
    summary = "密码与登录锁定策略",
    responses((status = 200, body = PolicyOut), (status = 401, description = "未登录或登录已失效", body = ErrorDoc), (status = 403, description = "无权", body = ErrorDoc)),
    security(("bearer" = []))
)]
pub(crate) async fn policy_of(_who: Authed) -> Json<PolicyOut> {
    Json(policy())
}

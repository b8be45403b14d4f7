//! Logging in and out, and who is asking. A session token goes back as JSON
//! (for `Authorization: Bearer …`) and as an HttpOnly, SameSite cookie (for
//! the web pages). Failed logins slow and then lock an account for the
//! address they come from, and strangers' failures lock it only for
//! addresses it never logged in from (`anju_core::auth::login_gate`); an
//! unknown user costs the same password check as a known one, so names
//! cannot be probed by timing.

use std::sync::OnceLock;

use anju_core::access::{Action, Actor};
use anju_core::auth::LoginGate;
use anju_core::plan::Plan;
use anju_store::UserRecord;
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::{ApiError, AppState, ErrorDoc, JsonBody};

/// The name of the session cookie.
pub const COOKIE: &str = "anju_session";

/// A login.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct Login {
    username: String,
    password: String,
}

/// A user as the API shows it (never the hash).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct UserView {
    name: String,
    role: &'static str,
    org_unit: Option<String>,
}

impl From<&UserRecord> for UserView {
    fn from(u: &UserRecord) -> UserView {
        UserView {
            name: u.name.clone(),
            role: u.role.as_str(),
            org_unit: u.org_unit.clone(),
        }
    }
}

/// The session token (for `Authorization: Bearer …`) and the user.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct LoginAnswer {
    token: String,
    user: UserView,
}

/// A hash to check passwords of unknown users against (same cost).
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| anju_store::hash_password("not a real password").unwrap_or_default())
}

/// `POST /api/v1/login` `{"username","password"}` → `{"token","user"}`.
#[utoipa::path(
    post,
    path = "/api/v1/login",
    tag = "登录",
    summary = "登录",
    request_body = Login,
    responses((status = 200, description = "令牌;另设 HttpOnly Cookie", body = LoginAnswer), (status = 400, description = "不是有效的 JSON", body = ErrorDoc), (status = 413, description = "请求过大", body = ErrorDoc), (status = 415, description = "须为 application/json", body = ErrorDoc), (status = 422, description = "输入有误,指明字段", body = ErrorDoc), (status = 401, description = "用户名或密码错误", body = ErrorDoc), (status = 429, description = "连续失败,账户锁定 15 分钟", body = ErrorDoc))
)]
pub(crate) async fn login(
    State(state): State<AppState>,
    client: ClientAddress,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Login>,
) -> Result<Response, ApiError> {
    let (token, user) = log_in(&state, &body.username, &client.0, body.password).await?;
    let mut response = Json(LoginAnswer {
        token: token.clone(),
        user: UserView::from(&user),
    })
    .into_response();
    set_session_cookie(&mut response, &token, &headers);
    Ok(response)
}

/// Whether the browser reached the service over HTTPS through a reverse
/// proxy (`X-Forwarded-Proto: https`, or `Forwarded: …proto=https`).
pub(crate) fn over_https(headers: &HeaderMap) -> bool {
    let forwarded_proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    let forwarded = headers
        .get(header::FORWARDED)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split([';', ','])
                .any(|p| p.trim().eq_ignore_ascii_case("proto=https"))
        });
    forwarded_proto || forwarded
}

/// Sets the session cookie on `response` (HttpOnly, SameSite=Strict: never
/// sent with a request another site starts; Secure when the browser came
/// over HTTPS, so it never travels in clear afterwards).
pub(crate) fn set_session_cookie(response: &mut Response, token: &str, request: &HeaderMap) {
    let secure = if over_https(request) { "; Secure" } else { "" };
    let cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/{secure}");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
}

/// Clears the session cookie on `response`.
pub(crate) fn clear_session_cookie(response: &mut Response) {
    let clear = format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    if let Ok(v) = HeaderValue::from_str(&clear) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
}

/// The address a request comes from, as the lockout counts it: the peer of
/// the connection; or, when that peer is a reverse proxy the operator
/// trusts (`anju serve --trust-proxy ADDR,…`), the last address in
/// `X-Forwarded-For` — the one that proxy saw. Only the last entry counts
/// (an entry the client wrote stands before it); one that is not an address
/// (a proxy writing `IP:port` gives the IP) leaves the proxy's own. A header
/// from any other peer is ignored: a client could name any address.
pub(crate) struct ClientAddress(pub String);

/// The client a trusted proxy names last in `X-Forwarded-For`.
fn forwarded_client(headers: &HeaderMap) -> Option<std::net::IpAddr> {
    let last = headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()?
        .to_str()
        .ok()?
        .rsplit(',')
        .next()?
        .trim();
    last.parse::<std::net::IpAddr>()
        .ok()
        .or_else(|| last.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
}

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let address = match peer {
            Some(p) if state.trust_proxy.contains(&p) => {
                forwarded_client(&parts.headers).unwrap_or(p)
            }
            Some(p) => {
                if p.is_loopback() && parts.headers.contains_key("x-forwarded-for") {
                    warn_untrusted_proxy(p);
                }
                p
            }
            None => return Ok(ClientAddress("unknown".into())),
        };
        Ok(ClientAddress(address.to_string()))
    }
}

/// Says once that a proxy on this machine forwards clients the service does
/// not believe: every client then counts as one address for the lockout.
fn warn_untrusted_proxy(peer: std::net::IpAddr) {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        tracing::warn!(
            %peer,
            "收到来自 {peer} 的 X-Forwarded-For,但未设置 --trust-proxy {peer}:\
             登录锁定将把所有经此代理的用户当作同一地址"
        );
    });
}

/// Why a password was not taken.
pub(crate) enum Refusal {
    /// Locked (no password was looked at).
    Locked {
        until: i64,
        scope: anju_core::auth::LockScope,
    },
    /// Too soon after the last failures from this address.
    Slowed { until: i64, now: i64 },
    /// Wrong (or no such user, or disabled): what this failure leaves.
    Wrong { after: LoginGate, now: i64 },
    /// The database.
    Store(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Refusal {
        Refusal::Store(e)
    }
}

impl From<anju_store::StoreError> for Refusal {
    fn from(e: anju_store::StoreError) -> Refusal {
        Refusal::Store(e.into())
    }
}

/// `HH:MM` of a time, China time.
fn clock_time(unix: i64) -> String {
    let at = anju_core::auth::china_stamp(unix);
    at[11..16].to_string()
}

impl Refusal {
    /// What a login answers: 429 while locked or slowed, 401 for a wrong
    /// password (the same for an unknown name), saying how many tries are
    /// left before a lock.
    pub(crate) fn into_login_error(self) -> ApiError {
        use anju_core::auth::LockScope;
        match self {
            Refusal::Locked { until, scope } => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "locked",
                match scope {
                    LockScope::Address => format!(
                        "连续登录失败次数过多,从本地址登录该账户已锁定至 {}",
                        clock_time(until)
                    ),
                    LockScope::UnknownAddresses => format!(
                        "该账户近期从多个地址登录失败过多,从未登录过的地址已锁定至 {};曾成功登录过的电脑不受影响",
                        clock_time(until)
                    ),
                },
            ),
            Refusal::Slowed { until, now } => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "slowed",
                format!("登录失败次数较多,请 {} 秒后再试", (until - now).max(1)),
            ),
            Refusal::Wrong { after, now } => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                match after {
                    LoginGate::Open { remaining } => {
                        format!("用户名或密码错误;再错 {remaining} 次将锁定 15 分钟")
                    }
                    LoginGate::Slowed { until, remaining } => format!(
                        "用户名或密码错误;请 {} 秒后再试,再错 {remaining} 次将锁定 15 分钟",
                        (until - now).max(1)
                    ),
                    LoginGate::Locked { until, .. } => format!(
                        "用户名或密码错误;连续失败次数过多,从本地址登录该账户已锁定至 {}",
                        clock_time(until)
                    ),
                },
            ),
            Refusal::Store(e) => e,
        }
    }
}

/// Password checks running at once: each takes about 19 MiB and a core for
/// a few tens of milliseconds; more would only queue on the two cores, and
/// unbounded they would let anonymous callers exhaust memory.
static PASSWORD_CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// Checks `password` for the account `name` from `client` under the
/// lockout (`anju_core::auth::login_gate`): the one path every password
/// takes, the login's and the change of one's own password's.
pub(crate) async fn check_password(
    state: &AppState,
    name: &str,
    client: &str,
    password: String,
) -> Result<UserRecord, Refusal> {
    use anju_core::auth::login_gate;
    use anju_store::LoginOutcome;
    let now = (state.clock)();
    let (attempt, history) = state.store.begin_login(name, client, now).await?;
    let refused = match login_gate(&history, now) {
        LoginGate::Open { .. } => None,
        LoginGate::Locked { until, scope } => Some(Refusal::Locked { until, scope }),
        LoginGate::Slowed { until, .. } => Some(Refusal::Slowed { until, now }),
    };
    if let Some(refusal) = refused {
        state
            .store
            .end_login(attempt, name, client, now, LoginOutcome::Refused)
            .await?;
        return Err(refusal);
    }
    let user = state.store.user(name.trim()).await?;
    let hash = user
        .as_ref()
        .map_or_else(|| dummy_hash().to_string(), |u| u.password_hash.clone());
    let ok = if password.len() > anju_store::MAX_PASSWORD_BYTES {
        false
    } else {
        let permit = tokio::time::timeout(anju_store::BUSY_WAIT, PASSWORD_CHECKS.acquire()).await;
        let Ok(Ok(_permit)) = permit else {
            state
                .store
                .end_login(attempt, name, client, now, LoginOutcome::Refused)
                .await?;
            return Err(Refusal::Store(anju_store::StoreError::Busy.into()));
        };
        tokio::task::spawn_blocking(move || anju_store::verify_password(&password, &hash))
            .await
            .unwrap_or(false)
    };
    match user {
        Some(u) if ok && !u.disabled => {
            state
                .store
                .end_login(attempt, name, client, now, LoginOutcome::Succeeded)
                .await?;
            Ok(u)
        }
        _ => {
            // What this failure leaves: the history with it.
            let mut after = history;
            after.from_address.push(now);
            if !after.known_address {
                after.from_unknown.push(now);
            }
            let after = login_gate(&after, now);
            let lock = match after {
                LoginGate::Locked { until, scope } => Some((until, scope)),
                _ => None,
            };
            state
                .store
                .end_login(attempt, name, client, now, LoginOutcome::Failed { lock })
                .await?;
            Err(Refusal::Wrong { after, now })
        }
    }
}

/// Checks a login (lockout, password) and opens a session: its token and
/// the user. The API and the web login form both call it.
pub(crate) async fn log_in(
    state: &AppState,
    username: &str,
    client: &str,
    password: String,
) -> Result<(String, UserRecord), ApiError> {
    let user = check_password(state, username, client, password)
        .await
        .map_err(Refusal::into_login_error)?;
    let token = state.store.create_session(user.id, (state.clock)()).await?;
    Ok((token, user))
}

/// How a request says who sends it. Decided here once, for the
/// cross-site check and for [`Authed`] alike.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Credential {
    /// `Authorization: Bearer …` (the scheme in any case): a program, not a
    /// browser page; it cannot be sent by another site's page.
    Bearer(String),
    /// The session cookie: a browser, whose writes must come from this site.
    /// Any other `Authorization` header (`Basic`, `Negotiate`, which a
    /// browser adds by itself behind an intranet proxy or SSO) is ignored,
    /// so it neither authenticates nor lifts the cross-site check.
    Cookie(String),
}

impl Credential {
    /// The session token, however it came.
    pub(crate) fn token(self) -> String {
        match self {
            Credential::Bearer(t) | Credential::Cookie(t) => t,
        }
    }
}

/// The credential of a request: a Bearer token, else the session cookie.
pub(crate) fn credential_of(headers: &HeaderMap) -> Option<Credential> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim_start().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        });
    if let Some(t) = bearer {
        return Some(Credential::Bearer(t.to_string()));
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix(COOKIE)
                .and_then(|r| r.strip_prefix('='))
                .map(|t| Credential::Cookie(t.to_string()))
        })
}

/// The token of a request: `Authorization: Bearer …`, else the cookie.
pub(crate) fn token_of(headers: &HeaderMap) -> Option<String> {
    credential_of(headers).map(Credential::token)
}

/// The code of the answer to a user whose password an administrator set,
/// anywhere but [`FIRST_LOGIN_PATHS`] (403).
pub(crate) const MUST_CHANGE: &str = "password_change_required";

/// What a user whose password an administrator set may reach before
/// changing it: who they are, the change itself, the policy, logging out.
const FIRST_LOGIN_PATHS: [&str; 6] = [
    "/api/v1/me",
    "/api/v1/me/password",
    "/api/v1/security/policy",
    "/api/v1/logout",
    "/account",
    "/logout",
];

/// A logged-in user (401 otherwise; 403 `password_change_required` while
/// the password an administrator set is unchanged).
pub struct Authed {
    /// The user.
    pub user: UserRecord,
    /// The token of the session.
    pub token: String,
    /// The store's revision when the session was read.
    pub revision: i64,
}

impl Authed {
    /// The caller as the permission table sees them.
    pub fn actor<'a>(&'a self, plan: &Plan) -> Actor<'a> {
        Actor::of(
            plan,
            &self.user.name,
            self.user.role,
            self.user.org_unit.as_deref(),
        )
    }

    /// Whether the caller may do `action`: a refusal is 403 with the
    /// table's words.
    pub fn may(&self, plan: &Plan, action: &Action<'_>) -> Result<(), ApiError> {
        self.actor(plan)
            .may(plan, action)
            .map_err(|d| ApiError::new(StatusCode::FORBIDDEN, "forbidden", d.0))
    }

    /// [`Authed::may`] as a yes or no.
    pub fn can(&self, plan: &Plan, action: &Action<'_>) -> bool {
        self.actor(plan).can(plan, action)
    }
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = token_of(&parts.headers)
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "请先登录"))?;
        match state.store.session(&token, (state.clock)()).await? {
            Some(s)
                if s.user.must_change_password
                    && !FIRST_LOGIN_PATHS.contains(&parts.uri.path()) =>
            {
                Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    MUST_CHANGE,
                    "您的密码由管理员设置,请先修改密码(“我的账号”页面,或 POST /api/v1/me/password),之后才能使用其他功能",
                ))
            }
            Some(s) => {
                state.sync_plan(s.plan_file).await?;
                Ok(Authed {
                    user: s.user,
                    token,
                    revision: s.revision,
                })
            }
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "登录已失效,请重新登录",
            )),
        }
    }
}

/// `POST /api/v1/logout`: ends the session; clears the cookie.
#[utoipa::path(
    post,
    path = "/api/v1/logout",
    tag = "登录",
    summary = "退出登录",
    responses((status = 204, description = "已退出"), (status = 401, description = "未登录或登录已失效", body = ErrorDoc), (status = 403, description = "无权", body = ErrorDoc)),
    security(("bearer" = []))
)]
pub(crate) async fn logout(
    State(state): State<AppState>,
    who: Authed,
) -> Result<Response, ApiError> {
    state.store.end_session(&who.token, (state.clock)()).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    clear_session_cookie(&mut response);
    Ok(response)
}

/// `GET /api/v1/me`: who is logged in.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "登录",
    summary = "当前用户",
    responses((status = 200, body = UserView), (status = 401, description = "未登录或登录已失效", body = ErrorDoc), (status = 403, description = "无权", body = ErrorDoc)),
    security(("bearer" = []))
)]
pub(crate) async fn me(who: Authed) -> Json<UserView> {
    Json(UserView::from(&who.user))
}

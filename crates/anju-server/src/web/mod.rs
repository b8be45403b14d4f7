//! The web pages (zh-CN), served at `/`: the public 成效展示, the cockpit,
//! the reporting form, the review queue, targets and users. Pages are HTML
//! written on the server from askama templates (escaped at compile time) over
//! the same service calls as the JSON API; the little JavaScript in
//! `assets/app.js` sends the forms to that API. Every asset is built into the
//! binary, and the Content-Security-Policy lets a page load nothing from any
//! other host.
//!
//! Errors: a page that fails shows an HTML page with the message; a page
//! that needs a login sends the browser to `/login`.

mod cockpit;
pub(crate) mod dispatch;
pub(crate) mod oversight;
pub(crate) mod projects;
mod public;
mod work;

use anju_core::access::{Action, Actor, Role};
use anju_core::period::YearMonth;
use anju_core::plan::Plan;
use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::auth::Authed;
use crate::{ApiError, AppState};

/// The web routes (merged into the service's router).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(public::home))
        .route("/airing/{as_of}", get(public::airing))
        .route("/login", get(login_page).post(login_form))
        .route("/logout", post(logout_form))
        .route("/cockpit", get(cockpit::matrix))
        .route("/indicator/{code}", get(cockpit::indicator))
        .route("/report", get(work::report))
        .route("/review", get(work::review))
        .route("/targets", get(work::targets))
        .route("/dispatch", get(dispatch::board))
        .route("/supervision/{id}", get(dispatch::item))
        .route("/workbench", get(dispatch::workbench))
        .route("/work/{id}", get(dispatch::work_item))
        .route("/projects", get(projects::list))
        .route("/projects/{id}", get(projects::one))
        .route("/users", get(work::users))
        .route("/security", get(oversight::security))
        .route("/audit", get(oversight::audit))
        .route("/account", get(account))
        .route("/assets/app.css", get(css))
        .route("/assets/app.js", get(js))
}

/// What every page shows around its content.
pub(crate) struct Shell {
    /// The page's title.
    pub title: String,
    /// The plan's name.
    pub plan_name: String,
    /// The links of the main navigation.
    pub nav: Vec<Link>,
    /// Who is logged in (name and role, in Chinese), if anyone.
    pub user: Option<String>,
    /// The server runs on demo data.
    pub demo: bool,
    /// The page uses the whole width of the screen (the cockpit's matrix).
    pub wide: bool,
    /// The clock is moved ahead by this many days (a test): said on the page.
    pub clock_shift_days: i64,
}

/// A navigation link.
pub(crate) struct Link {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// A role's name in Chinese, from its code (`secadmin` → 安全管理员).
pub(crate) fn role_label_of(code: &str) -> &'static str {
    Role::parse(code).map_or("未知角色", role_label)
}

/// A role's name in Chinese.
pub(crate) fn role_label(role: Role) -> &'static str {
    role.label()
}

impl Shell {
    /// The frame of a page titled `title` at `here` (a path of the nav).
    pub(crate) fn new(state: &AppState, who: Option<&Authed>, title: &str, here: &str) -> Shell {
        let plan = state.plan();
        let mut links: Vec<(&'static str, &'static str)> = vec![("/", "成效展示")];
        // A user who must first change the password an administrator set
        // is shown no way but to their account (every page leads there).
        if who.is_some_and(|w| w.user.must_change_password) {
            links.clear();
        } else if let Some(w) = who {
            // The navigation is the permission table's: a link for each
            // page the user may open.
            let me = w.actor(&plan);
            let pages: [(&'static str, &'static str, Action<'_>); 10] = [
                ("/cockpit", "驾驶舱", Action::OpenCockpit),
                ("/dispatch", "工作调度", Action::OpenDispatch),
                ("/workbench", "工作台", Action::OpenWorkbench),
                ("/projects", "项目", Action::OpenProjects),
                ("/report", "填报", Action::OpenReporting),
                ("/review", "审核", Action::OpenReview),
                ("/targets", "目标", Action::ReadTargets),
                ("/users", "用户", Action::ReadUsers),
                ("/security", "安全", Action::ManageSecurity),
                ("/audit", "审计", Action::ReadAudit),
            ];
            links.extend(
                pages
                    .iter()
                    .filter(|(_, _, a)| me.can(&plan, a))
                    .map(|&(href, label, _)| (href, label)),
            );
        }
        Shell {
            title: title.to_string(),
            plan_name: plan
                .meta
                .brand
                .clone()
                .unwrap_or_else(|| plan.meta.name.clone()),
            nav: links
                .into_iter()
                .map(|(href, label)| Link {
                    href,
                    label,
                    current: href == here,
                })
                .collect(),
            // "xiashi · 硖石街道", "zhuanban · 专班": no brackets within brackets.
            user: who.map(|w| match w.user.org_unit.as_deref() {
                Some(o) if w.user.role == Role::Town => format!("{} · {o}", w.user.name),
                Some(o) => format!("{} · {o} · {}", w.user.name, role_label(w.user.role)),
                None => format!("{} · {}", w.user.name, role_label(w.user.role)),
            }),
            demo: state.demo,
            wide: false,
            clock_shift_days: state.clock_shift_days,
        }
    }
}

/// An error as a page: its status and message.
pub(crate) struct WebError {
    status: StatusCode,
    message: String,
    /// Send the browser to the login page instead (no or an expired login).
    login: Option<String>,
    /// Send the browser to this page of the site instead.
    to: Option<&'static str>,
}

impl From<crate::service::Error> for WebError {
    fn from(e: crate::service::Error) -> WebError {
        WebError::from(ApiError::from(e))
    }
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> WebError {
        WebError {
            status: e.status(),
            message: e.message().to_string(),
            login: None,
            to: None,
        }
    }
}

impl WebError {
    /// 403 with a message.
    pub(crate) fn forbidden(message: impl Into<String>) -> WebError {
        WebError {
            status: StatusCode::FORBIDDEN,
            message: message.into(),
            login: None,
            to: None,
        }
    }

    /// 404 with a message.
    pub(crate) fn not_found(message: impl Into<String>) -> WebError {
        WebError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
            login: None,
            to: None,
        }
    }

    /// 422 with a message naming the field.
    pub(crate) fn invalid(field: &str, message: impl std::fmt::Display) -> WebError {
        WebError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: format!("{field}:{message}"),
            login: None,
            to: None,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    shell: Shell,
    /// What to do about it, in words (no status code for people).
    hint: &'static str,
    message: String,
}

/// What a person can do about an error page, by its status.
fn error_hint(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "请先登录。",
        403 => "您的账号没有这项权限。如需开通,请联系系统管理员。",
        404 => "您要找的页面或数据不存在。请检查网址,或从上方菜单进入。",
        409 => "数据刚被他人处理或状态已变化。请刷新页面后再试。",
        413 => "文件或内容过大,请分成几份再提交。",
        415 | 400 | 422 => "请按上面的提示修改后再试。",
        429 | 503 => "系统正忙,请稍等片刻再试。",
        _ => "系统暂时出错,请稍后再试;如一再出现,请联系系统管理员。",
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let Some(next) = self.login {
            return Redirect::to(&format!("/login?next={}", url_encode(&next))).into_response();
        }
        if let Some(to) = self.to {
            return Redirect::to(to).into_response();
        }
        let shell = Shell {
            title: "出错了".into(),
            plan_name: "安居潮城".into(),
            nav: vec![Link {
                href: "/",
                label: "成效展示",
                current: false,
            }],
            user: None,
            demo: false,
            wide: false,
            clock_shift_days: 0,
        };
        let page = ErrorPage {
            shell,
            hint: error_hint(self.status),
            message: self.message,
        };
        let mut response = html(&page);
        *response.status_mut() = self.status;
        response
    }
}

/// Percent-encodes a query parameter's value.
pub(crate) fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The headers every page carries: nothing may load from another host,
/// no page may be framed, no inline script runs.
fn page_headers(response: &mut Response) {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// A rendered page.
pub(crate) fn html(page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => {
            let mut r = (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                )],
                body,
            )
                .into_response();
            page_headers(&mut r);
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "页面生成失败");
            (StatusCode::INTERNAL_SERVER_ERROR, "页面生成失败").into_response()
        }
    }
}

/// The logged-in user of a page, if any (an expired session is no login).
pub(crate) struct Viewer(pub Option<Authed>);

impl FromRequestParts<AppState> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        if crate::auth::token_of(&parts.headers).is_none() {
            return Ok(Viewer(None));
        }
        match Authed::from_request_parts(parts, state).await {
            Ok(a) => Ok(Viewer(Some(a))),
            Err(e) if e.status() == StatusCode::UNAUTHORIZED => Ok(Viewer(None)),
            // A password set by an administrator: to the account page first.
            Err(e) if e.code() == crate::auth::MUST_CHANGE => Err(WebError {
                status: StatusCode::SEE_OTHER,
                message: String::new(),
                login: None,
                to: Some("/account"),
            }),
            Err(e) => Err(e.into()),
        }
    }
}

/// A page that needs a login: the user, or a redirect to the login page.
pub(crate) struct Member(pub Authed);

impl FromRequestParts<AppState> for Member {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        match Viewer::from_request_parts(parts, state).await? {
            Viewer(Some(a)) => Ok(Member(a)),
            Viewer(None) => Err(WebError {
                status: StatusCode::SEE_OTHER,
                message: String::new(),
                to: None,
                login: Some(
                    parts
                        .uri
                        .path_and_query()
                        .map_or("/", |p| p.as_str())
                        .to_string(),
                ),
            }),
        }
    }
}

/// The user as the rules see them.
pub(crate) fn actor_of<'a>(plan: &Plan, who: &'a Authed) -> Actor<'a> {
    who.actor(plan)
}

/// A page the user may open, by the permission table (403 with its words).
pub(crate) fn page_may(plan: &Plan, who: &Authed, action: &Action<'_>) -> Result<(), WebError> {
    who.actor(plan)
        .may(plan, action)
        .map_err(|d| WebError::forbidden(d.0))
}

/// The month a page shows by default: the month before this one in China
/// (a month's figures are reported after it ends), kept within the plan's
/// years.
pub(crate) fn default_month(state: &AppState, plan: &Plan) -> Result<YearMonth, WebError> {
    let d = anju_core::auth::china_time((state.clock)()).0;
    let last = YearMonth::new(d.year, d.month).and_then(YearMonth::previous);
    // Within the plan's target years (the window's first month is the
    // baseline, its last year one of grace: neither is a default).
    let first = YearMonth::new(*plan.target_years().start(), 1);
    let end = YearMonth::new(*plan.target_years().end(), 12);
    match (last, first, end) {
        (Some(m), Some(f), _) if m < f => Ok(f),
        (Some(m), _, Some(e)) if m > e => Ok(e),
        (Some(m), _, _) => Ok(m),
        _ => Err(WebError::invalid("月份", "无法确定当前月份")),
    }
}

/// `?as_of=` of a page: the month asked for, or the default.
pub(crate) fn month_param(
    state: &AppState,
    plan: &Plan,
    raw: Option<&str>,
) -> Result<YearMonth, WebError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => default_month(state, plan),
        Some(s) => {
            let m = YearMonth::parse(s).map_err(|e| WebError::invalid("月份", e))?;
            plan.check_as_of(m)
                .map_err(|e| WebError::invalid("月份", e))?;
            Ok(m)
        }
    }
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    shell: Shell,
    name: String,
    role: &'static str,
    unit: String,
    /// The password was set by an administrator and must be changed first.
    must_change: bool,
    /// The password policy, in words.
    policy: String,
}

/// The password policy in a sentence, for the forms that set one.
pub(crate) fn policy_words() -> String {
    format!(
        "至少 {} 个字符,含大写字母、小写字母、数字、其他符号四类中的至少 {} 类,不能包含用户名",
        anju_core::auth::MIN_PASSWORD_CHARS,
        anju_core::auth::PASSWORD_KINDS
    )
}

/// `GET /account`: who is logged in, and changing one's own password.
async fn account(State(state): State<AppState>, Member(who): Member) -> Response {
    html(&AccountPage {
        shell: Shell::new(&state, Some(&who), "我的账号", "/account"),
        name: who.user.name.clone(),
        role: role_label(who.user.role),
        unit: who.user.org_unit.clone().unwrap_or_else(|| "—".into()),
        must_change: who.user.must_change_password,
        policy: policy_words(),
    })
}

#[derive(Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    shell: Shell,
    next: String,
    username: String,
    message: Option<String>,
    /// No account exists yet: how to create the first administrator.
    first_run: Option<&'static str>,
}

/// The first-run hint, when the store has no account.
async fn first_run(state: &AppState) -> Option<&'static str> {
    crate::service::users::none_yet(&state.store)
        .await
        .unwrap_or(false)
        .then_some(crate::service::users::FIRST_ADMIN)
}

/// Only a path of this site may follow a login (no open redirect): it
/// starts with one `/`, and every byte is a visible ASCII character (a
/// browser drops tabs and newlines, so `/\t/evil.example` would become
/// `//evil.example`).
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !matches!(n.as_bytes().get(1), Some(b'/' | b'\\'))
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_string()
        }
        _ => String::new(),
    }
}

/// `GET /login`.
async fn login_page(
    State(state): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<NextQuery>,
) -> Response {
    html(&LoginPage {
        shell: Shell::new(&state, None, "登录", "/login"),
        next: safe_next(q.next.as_deref()),
        username: String::new(),
        message: None,
        first_run: first_run(&state).await,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// Whether a request a browser sent comes from a page of this site:
/// `Sec-Fetch-Site` when the browser sends it (every current one does; it
/// survives a reverse proxy that rewrites `Host`), else `Origin` against this
/// site's own origin, by scheme, host and port; a request with neither is
/// not from a browser page.
pub(crate) fn from_this_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match headers.get(header::ORIGIN).map(|v| v.to_str()) {
        None => true,
        Some(Ok(origin)) => own_origin(headers).is_some_and(|own| same_origin_text(origin, &own)),
        Some(Err(_)) => false,
    }
}

/// This site's own origin as the browser sees it: the scheme (https when a
/// proxy says so, `X-Forwarded-Proto` or `Forwarded`), the host and port
/// (`X-Forwarded-Host` when a proxy passes it, else `Host`).
fn own_origin(headers: &HeaderMap) -> Option<String> {
    let scheme = if crate::auth::over_https(headers) {
        "https"
    } else {
        "http"
    };
    let host = headers
        .get("x-forwarded-host")
        .or_else(|| headers.get(header::HOST))
        .and_then(|v| v.to_str().ok())?;
    let host = host.split(',').next()?.trim();
    Some(format!("{scheme}://{host}"))
}

/// Two origins are the same when scheme, host and port are (a default port
/// written out or left off is the same; host names ignore case).
fn same_origin_text(a: &str, b: &str) -> bool {
    fn parts(o: &str) -> Option<(String, String, u16)> {
        let (scheme, rest) = o.trim().split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        let default = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        if rest.contains(['/', '?', '#', '@']) {
            return None;
        }
        // An IPv6 literal keeps its colons inside brackets.
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !p.contains(']') => (h, p.parse().ok()?),
            _ => (rest, default),
        };
        Some((scheme, host.to_ascii_lowercase(), port))
    }
    matches!((parts(a), parts(b)), (Some(x), Some(y)) if x == y)
}

/// Refuses a form posted from another site.
fn same_origin(headers: &HeaderMap) -> Result<(), WebError> {
    if from_this_site(headers) {
        Ok(())
    } else {
        Err(WebError::forbidden("请求来自其他网站,已拒绝"))
    }
}

/// Where a user goes after logging in, when no page was asked for: the
/// cockpit for those who read everything, else the first desk the
/// permission table opens to them.
fn start_page(plan: &Plan, user: &anju_store::UserRecord) -> &'static str {
    let me = Actor::of(plan, &user.name, user.role, user.org_unit.as_deref());
    if me.reads_everything() {
        return "/cockpit";
    }
    [
        ("/review", Action::OpenReview),
        ("/report", Action::OpenReporting),
        ("/users", Action::ReadUsers),
        ("/security", Action::ManageSecurity),
        ("/audit", Action::ReadAudit),
    ]
    .into_iter()
    .find(|(_, a)| me.can(plan, a))
    .map_or("/", |(page, _)| page)
}

/// `POST /login` (a form): the session cookie and the next page, or the
/// form again with the reason.
async fn login_form(
    State(state): State<AppState>,
    client: crate::auth::ClientAddress,
    headers: HeaderMap,
    axum::extract::Form(form): axum::extract::Form<LoginForm>,
) -> Result<Response, WebError> {
    same_origin(&headers)?;
    let next = safe_next(form.next.as_deref());
    match crate::auth::log_in(&state, &form.username, &client.0, form.password).await {
        Ok((token, user)) => {
            let to = if next.is_empty() {
                start_page(&state.plan(), &user).to_string()
            } else {
                next
            };
            let mut r = Redirect::to(&to).into_response();
            crate::auth::set_session_cookie(&mut r, &token, &headers);
            Ok(r)
        }
        Err(e) => {
            let mut r = html(&LoginPage {
                shell: Shell::new(&state, None, "登录", "/login"),
                next,
                username: form.username,
                message: Some(e.message().to_string()),
                first_run: first_run(&state).await,
            });
            *r.status_mut() = e.status();
            Ok(r)
        }
    }
}

/// `POST /logout` (a form): ends the session, back to the public page.
async fn logout_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Viewer(who): Viewer,
) -> Result<Response, WebError> {
    same_origin(&headers)?;
    if let Some(w) = who {
        state
            .store
            .end_session(&w.token, (state.clock)())
            .await
            .map_err(ApiError::from)?;
    }
    let mut r = Redirect::to("/").into_response();
    crate::auth::clear_session_cookie(&mut r);
    Ok(r)
}

const CSS: &str = include_str!("../../assets/app.css");
const JS: &str = include_str!("../../assets/app.js");

fn asset(body: &'static str, kind: &'static str) -> Response {
    let mut r = (
        [(header::CONTENT_TYPE, HeaderValue::from_static(kind))],
        body,
    )
        .into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

async fn css() -> Response {
    asset(CSS, "text/css; charset=utf-8")
}

async fn js() -> Response {
    asset(JS, "text/javascript; charset=utf-8")
}

/// One row of an evaluation as the pages show it (typed, from the service).
pub(crate) use crate::service::evaluation::ShownRow as EvalRow;

/// A number as shown (its exact digits), or “—”.
pub(crate) fn shown(n: &Option<rust_decimal::Decimal>) -> String {
    n.as_ref()
        .map_or_else(|| "—".to_string(), |d| d.normalize().to_string())
}

/// A share (0.1234) as a percentage (12.34%), exact.
pub(crate) fn percent(n: &Option<rust_decimal::Decimal>) -> String {
    n.as_ref().map_or_else(
        || "—".to_string(),
        |&d| {
            // A share below zero is an actual below its start: said in words.
            if d.is_sign_negative() && !d.is_zero() {
                return "低于起点值".to_string();
            }
            format!(
                "{}%",
                (d * rust_decimal::Decimal::ONE_HUNDRED)
                    .round_dp(2)
                    .normalize()
            )
        },
    )
}

/// A target as written: `≥ 88`, `> 1.48`.
pub(crate) fn target_text(
    value: &Option<rust_decimal::Decimal>,
    comparator: Option<&str>,
) -> String {
    match value.map(|v| v.normalize()) {
        None => "—".into(),
        Some(v) => match comparator {
            Some(">") => format!(">{v}"),
            _ => format!("≥{v}"),
        },
    }
}

/// The CSS class of a light.
pub(crate) fn light_class(light: &anju_core::engine::Light) -> &'static str {
    use anju_core::engine::Light;
    match light {
        Light::Green => "l-green",
        Light::Yellow => "l-yellow",
        Light::Red => "l-red",
        Light::None => "l-none",
    }
}

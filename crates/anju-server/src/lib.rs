//! anju-server: the service. Owns the HTTP routes, the mapping of domain
//! errors to HTTP answers and the shared state (the plan, the store). Every
//! rule lives in `anju-core`, every query in `anju-store`; a handler parses
//! its input, calls them, and presents the result.
//!
//! Error policy: every error is JSON `{"error":{"code":"…","message":"…"}}`
//! with its HTTP status — 404 not found, 409 a step the state does not allow,
//! 422 bad input naming the field, 503 `busy` with `Retry-After` when the
//! database stays locked by other writers past `anju_store::BUSY_WAIT`
//! (nothing was changed), 500 only for the database itself (its details go
//! to the log, not to the user). No input produces a panic.

mod api;
mod auth;
mod cache;
pub mod config;
pub mod demo;
pub mod jobs;
pub mod service;
use api::{
    audit, exports, imports, projects, publications, security, supervision, targets, users, values,
    work,
};
mod web;

use std::sync::Arc;

use anju_core::plan::Plan;
use anju_store::{Store, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

/// Bad input, naming the field: 422 `invalid`, "field: why".
pub(crate) fn invalid(field: impl std::fmt::Display, message: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        format!("{field}: {message}"),
    )
}

/// A `Content-Disposition` for a download: an ASCII name for old clients
/// and the real (Chinese) name for the others (RFC 6266, RFC 5987).
/// An .xlsx workbook as an answer, to be saved as `file` (`ascii` for
/// clients that cannot take a UTF-8 name).
pub(crate) fn xlsx_answer(bytes: Vec<u8>, ascii: &str, file: &str) -> Response {
    use axum::http::{HeaderValue, header};
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    );
    if let Ok(v) = HeaderValue::from_str(&attachment(ascii, file)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// A kept file as a download (never shown inline), named `file`.
pub(crate) fn download_answer(bytes: Vec<u8>, file: &str) -> Response {
    use axum::http::{HeaderValue, header};
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&attachment("file", file)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

pub(crate) fn attachment(ascii: &str, file: &str) -> String {
    let encoded: String = file
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// The clock: seconds since 1970 (UTC). A parameter, so tests can move time.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The wall clock moved `days` days ahead (a test walks due dates with it;
/// the pages then say the clock is moved).
pub fn shifted_clock(days: i64) -> Clock {
    let wall = system_clock();
    Arc::new(move || wall() + days * 86_400)
}

/// The wall clock.
pub fn system_clock() -> Clock {
    // The one reading of the wall clock the service makes.
    #[allow(clippy::disallowed_methods)]
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    })
}

/// The plan a server runs, with the id of its file in the store (0: a plan
/// not kept there, as in tests).
pub type PlanInForce = (i64, Arc<Plan>);

/// What every request can reach.
#[derive(Clone)]
pub struct AppState {
    /// The plan in force, replaced when the store's plan in force changes.
    plan: Arc<std::sync::RwLock<PlanInForce>>,
    /// Only one server task reads a new plan at a time.
    plan_load: Arc<tokio::sync::Mutex<()>>,
    /// The store.
    pub store: Store,
    /// The time now.
    pub clock: Clock,
    /// Approved figures, evaluations and answers kept per store revision.
    pub(crate) cache: Arc<cache::Cache>,
    /// The store holds demo data (`anju serve --demo`): every page says so.
    pub demo: bool,
    /// The reverse proxies the operator trusts (`anju serve --trust-proxy
    /// ADDR,…`): a request from one of them is from the client its
    /// `X-Forwarded-For` names last.
    pub trust_proxy: Vec<std::net::IpAddr>,
    /// The clock runs this many days ahead of the wall clock
    /// (`ANJU_CLOCK_SHIFT_DAYS`, for walking deadlines in a test): every
    /// page says so, as it says demo data.
    pub clock_shift_days: i64,
}

impl AppState {
    /// The state of a service running `plan` (not kept in the store: a
    /// plan kept there later replaces it; see `with_plan_file`).
    pub fn new(plan: Arc<Plan>, store: Store, clock: Clock) -> AppState {
        AppState {
            plan: Arc::new(std::sync::RwLock::new((0, plan))),
            plan_load: Arc::default(),
            store,
            clock,
            cache: Arc::default(),
            demo: false,
            trust_proxy: Vec::new(),
            clock_shift_days: 0,
        }
    }

    /// The same, saying `plan` is the store's plan file `id`.
    pub fn with_plan_file(self, id: i64) -> AppState {
        if let Ok(mut p) = self.plan.write() {
            p.0 = id;
        }
        self
    }

    /// The plan in force (as of the last request that looked).
    pub fn plan(&self) -> Arc<Plan> {
        match self.plan.read() {
            Ok(p) => p.1.clone(),
            Err(poisoned) => poisoned.into_inner().1.clone(),
        }
    }

    /// The plan in force with the id of its file.
    pub fn plan_in_force(&self) -> PlanInForce {
        match self.plan.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The id of the plan file this server runs (0: not from the store).
    pub fn plan_file(&self) -> i64 {
        match self.plan.read() {
            Ok(p) => p.0,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }

    /// Brings the plan up to the store's plan file `file` (newer than the
    /// one running: another server or `anju serve --plan` made it the plan
    /// in force). Every server of one database so runs the same plan from
    /// the request after the change on.
    pub(crate) async fn sync_plan(&self, file: i64) -> Result<(), ApiError> {
        if file <= self.plan_file() {
            return Ok(());
        }
        let _one = self.plan_load.lock().await;
        if file <= self.plan_file() {
            return Ok(());
        }
        let Some(kept) = self.store.current_plan().await? else {
            return Ok(());
        };
        let name = format!("数据库中的计划(第 {} 版)", kept.id);
        match anju_core::plan::load(&name, &kept.text) {
            Ok(plan) => {
                if let Ok(mut p) = self.plan.write() {
                    *p = (kept.id, Arc::new(plan));
                }
            }
            Err(errs) => {
                // A plan this build cannot read (kept by a newer one, say):
                // say so once and keep serving the plan it has, rather than
                // failing every request.
                for e in &errs.0 {
                    tracing::error!("{e}");
                }
                tracing::error!(
                    "{name}无法读取,继续使用当前计划(第 {} 版);请升级或重启服务",
                    self.plan_file()
                );
                if let Ok(mut p) = self.plan.write() {
                    p.0 = kept.id;
                }
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("plan", &self.plan().meta.id)
            .field("store", &self.store.backend())
            .finish()
    }
}

/// An error as the API answers it: `{"error":{"code","message"}}`, and for a
/// file with bad rows `"rows"` naming each (for the API document; `ApiError`
/// writes it).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorDoc {
    error: ErrorDocInner,
}

/// One bad row of a file.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct BadRowDoc {
    /// 文件名。
    file: String,
    /// 工作表(表格文件;CSV 为 null)。
    sheet: Option<String>,
    /// 行号(表头为第 1 行;0 表示整个文件)。
    row: u64,
    /// 列(如有)。
    column: Option<String>,
    /// 原因。
    message: String,
}

/// The error's stable code and its message in Chinese.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorDocInner {
    /// bad_json invalid unauthorized forbidden not_found conflict too_large content_type locked internal …
    code: String,
    /// 中文说明。
    message: String,
    /// 文件中的每一处错误(仅导入时;至多列出前 1000 处)。
    rows: Option<Vec<BadRowDoc>>,
    /// 文件中错误的总数(仅导入时)。
    total: Option<u64>,
}

/// An error as the API answers it.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// What few errors carry (kept apart so that every `Result` stays small).
    extra: Option<Box<Extra>>,
}

/// The parts of an error only some have.
#[derive(Debug, Default)]
struct Extra {
    /// Every bad row of a file (at most [`MAX_ROW_ERRORS`]).
    rows: Option<serde_json::Value>,
    /// How many errors a file had in all (with `rows`).
    total: Option<usize>,
    /// Seconds after which a retry may succeed (503 `busy`).
    retry_after: Option<u32>,
    /// What a month lacks (409 `incomplete`).
    completeness: Option<serde_json::Value>,
    /// Figures submitted with warnings not confirmed (409 `warnings`).
    warnings: Option<serde_json::Value>,
}

/// The most row errors an answer lists (a file of 100,000 bad rows would
/// otherwise answer with 20 MB).
pub const MAX_ROW_ERRORS: usize = 1_000;

impl ApiError {
    /// An error with its status, a stable code and a message in Chinese.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            extra: None,
        }
    }

    /// Its HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Its stable code (`invalid`, `busy`, …).
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Its message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error with another message.
    pub fn with_message(mut self, message: impl Into<String>) -> ApiError {
        self.message = message.into();
        self
    }

    /// The error of a file with bad rows: 422, every row named, up to
    /// [`MAX_ROW_ERRORS`] of them (the message gives the total).
    pub fn bad_rows(errors: &[anju_core::input::InputError], sheet: Option<&str>) -> ApiError {
        let rows: Vec<serde_json::Value> = errors
            .iter()
            .take(MAX_ROW_ERRORS)
            .map(|e| {
                serde_json::json!({
                    "file": e.file, "sheet": sheet, "row": e.line, "column": e.field, "cell": e.cell, "message": e.message,
                })
            })
            .collect();
        let mut error = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_rows",
            if errors.len() > MAX_ROW_ERRORS {
                format!(
                    "文件有 {} 处错误,未导入任何数据;下面列出前 {MAX_ROW_ERRORS} 处",
                    errors.len()
                )
            } else {
                format!("文件有 {} 处错误,未导入任何数据", errors.len())
            },
        );
        error.extra = Some(Box::new(Extra {
            rows: Some(serde_json::Value::Array(rows)),
            total: Some(errors.len()),
            ..Extra::default()
        }));
        error
    }

    /// No such route or resource.
    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", what)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = serde_json::json!({ "code": self.code, "message": self.message });
        let extra = self.extra.map(|e| *e).unwrap_or_default();
        if let Some(rows) = extra.rows {
            error["rows"] = rows;
        }
        if let Some(total) = extra.total {
            error["total"] = total.into();
        }
        if let Some(c) = extra.completeness {
            error["completeness"] = c;
        }
        if let Some(w) = extra.warnings {
            error["warnings"] = w;
        }
        let mut response =
            (self.status, Json(serde_json::json!({ "error": error }))).into_response();
        if let Some(seconds) = extra.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<service::Error> for ApiError {
    fn from(e: service::Error) -> ApiError {
        use service::{Error, FileProblem};
        match e {
            Error::Invalid { field, message } => invalid(field, message),
            Error::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", m),
            Error::NotFound(m) => ApiError::not_found(m),
            Error::Duplicate(m) => ApiError::new(StatusCode::CONFLICT, "duplicate", m),
            Error::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            Error::File(FileProblem::OldExcel, m) => {
                ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_file", m)
            }
            Error::File(FileProblem::Unreadable, m) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_file", m)
            }
            Error::File(FileProblem::Empty, m) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "empty_file", m)
            }
            Error::Rows(rows, sheet) => ApiError::bad_rows(&rows, sheet.as_deref()),
            Error::Unbalanced(rows) => ApiError::bad_rows(&rows, None).with_message(format!(
                "分解后有 {} 处合计不符或分解不全,未下达",
                rows.len()
            )),
            Error::NoUnit => invalid("org_unit", "请指定单位"),
            Error::Incomplete(c) => {
                let mut error = ApiError::new(
                    StatusCode::CONFLICT,
                    "incomplete",
                    format!("{};确需发布请加 \"force\": true 并写明理由", c.summary()),
                );
                error.extra = Some(Box::new(Extra {
                    completeness: serde_json::to_value(&*c).ok(),
                    ..Extra::default()
                }));
                error
            }
            Error::Warned(list) => {
                let mut error = ApiError::new(
                    StatusCode::CONFLICT,
                    "warnings",
                    format!(
                        "有 {} 项数据有提示(如数值是上期的十倍、累计值下降),未报送;核对无误请确认后再报送(\"confirm_warnings\": true)",
                        list.len()
                    ),
                );
                error.extra = Some(Box::new(Extra {
                    warnings: serde_json::to_value(&list).ok(),
                    ..Extra::default()
                }));
                error
            }
            Error::Store(e) => ApiError::from(e),
            Error::Internal(m) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", m),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound(_) | StoreError::NoSuchUser(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
            }
            StoreError::Conflict { .. }
            | StoreError::State(_)
            | StoreError::UserExists(_)
            | StoreError::Published(_) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            StoreError::Invalid(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.to_string())
            }
            StoreError::AuditBlocked(_) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "audit_blocked",
                e.to_string(),
            ),
            StoreError::Busy => {
                let mut error =
                    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", e.to_string());
                error.extra = Some(Box::new(Extra {
                    retry_after: Some(2),
                    ..Extra::default()
                }));
                error
            }
            StoreError::BadUrl(_) | StoreError::Database(_) => {
                tracing::error!(error = %e, "数据库错误");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "服务器内部错误,请稍后重试",
                )
            }
        }
    }
}

/// Largest request body accepted (413 above it): 4 MiB, far more than a
/// month's figures of a city.
pub const MAX_BODY: usize = 4 << 20;

/// serde's English, in words people read: "force: unknown field `x`,
/// expected …" → "force:不认识的字段“x”"; the field's path stays, the rest
/// is said in Chinese (the original kept in brackets when not recognised).
pub(crate) fn serde_words(text: &str) -> String {
    // axum's prefix says nothing a person needs.
    let text = text
        .trim_start_matches("Failed to deserialize the JSON body into the target type: ")
        .trim_start_matches("Failed to parse the request body as JSON: ");
    let (path, rest) = match text.split_once(": ") {
        Some((p, r)) if !p.contains(' ') => (Some(p), r),
        _ => (None, text),
    };
    let quoted = |r: &str| r.split('`').nth(1).map(str::to_string).unwrap_or_default();
    let rest_words = if rest.starts_with("unknown field") {
        format!("不认识的字段“{}”", quoted(rest))
    } else if rest.starts_with("missing field") {
        format!("缺少字段“{}”", quoted(rest))
    } else if rest.starts_with("invalid type") {
        let want = rest
            .split("expected ")
            .nth(1)
            .unwrap_or("")
            .split(" at line")
            .next()
            .unwrap_or("");
        let want = match want {
            w if w.contains("bool") => "true 或 false",
            w if w.contains("string") => "文字(加引号)",
            w if w.contains("integer") || w.contains("i64") || w.contains("u16") => "整数",
            w if w.contains("sequence") => "列表 [...]",
            w if w.contains("map") || w.contains("struct") => "对象 {...}",
            _ => "其他类型",
        };
        format!("类型不对,应为{want}")
    } else if rest.starts_with("EOF while parsing") {
        "内容不完整(缺少结尾)".to_string()
    } else if rest.starts_with("expected")
        || rest.starts_with("trailing")
        || rest.starts_with("key must be")
    {
        format!("格式有误({})", rest)
    } else {
        rest.to_string()
    };
    match path {
        Some(p) if p != "." => format!("{p}:{rest_words}"),
        _ => rest_words,
    }
}

/// A JSON request body whose every failure is a JSON error: malformed JSON or
/// a wrong field is 400 or 422 with serde's words, too large is 413.
pub struct JsonBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::JsonRejection;
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(JsonBody(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("请求内容有误:{}", serde_words(&e.body_text())),
            )),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_json",
                format!("不是有效的 JSON:{}", serde_words(&e.body_text())),
            )),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "content_type",
                "请求须为 application/json",
            )),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("请求内容超过 {} MiB", MAX_BODY >> 20),
            )),
            Err(e) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                e.body_text(),
            )),
        }
    }
}

/// Query parameters whose every failure is a JSON error (422 naming the
/// parameter, in serde's words).
pub struct QueryParams<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for QueryParams<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(QueryParams(v)),
            Err(e) => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("查询参数有误:{}", e.body_text()),
            )),
        }
    }
}

/// A path parameter whose failure is a JSON error (404: no such resource).
pub struct PathParam<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for PathParam<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(PathParam(v)),
            Err(e) => Err(ApiError::not_found(format!(
                "没有这个地址:{}",
                e.body_text()
            ))),
        }
    }
}

/// The routes of the service.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(web::routes())
        .route("/api/v1/health", get(health))
        .route("/api/v1/plan", get(plan))
        .route("/api/v1/login", post(auth::login))
        .route("/api/v1/logout", post(auth::logout))
        .route("/api/v1/me", get(auth::me))
        .route("/api/v1/me/password", post(users::own_password))
        .route("/api/v1/users", get(users::list).post(users::add))
        .route("/api/v1/users/{name}", axum::routing::patch(users::change))
        .route("/api/v1/values", post(values::put).get(values::list))
        .route("/api/v1/values/submit", post(values::submit))
        .route("/api/v1/values/approve", post(values::approve))
        .route("/api/v1/values/return", post(values::give_back))
        .route("/api/v1/values/withdraw", post(values::withdraw))
        .route("/api/v1/values/{id}/correct", post(values::correct))
        .route("/api/v1/evaluation", get(values::evaluation))
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/audit", get(audit::list))
        .route("/api/v1/audit/verify", get(audit::verify))
        .route("/api/v1/audit/export", get(audit::export))
        .route("/api/v1/security/locks", get(security::locks))
        .route("/api/v1/security/locks/clear", post(security::clear_lock))
        .route("/api/v1/security/sessions", get(security::sessions))
        .route("/api/v1/security/sessions/end", post(security::end))
        .route("/api/v1/security/policy", get(security::policy_of))
        .route("/api/v1/imports", post(imports::import))
        .route("/api/v1/templates", get(imports::template))
        .route(
            "/api/v1/publications",
            get(publications::list).post(publications::publish),
        )
        .route("/api/v1/publications/{as_of}", get(publications::one))
        .route(
            "/api/v1/targets/adjustments",
            get(targets::list).post(targets::propose),
        )
        .route(
            "/api/v1/targets/adjustments/{id}/approve",
            post(targets::approve),
        )
        .route(
            "/api/v1/targets/adjustments/{id}/reject",
            post(targets::reject),
        )
        .route("/api/v1/exports/supervision", get(exports::supervision))
        .route("/api/v1/exports/projects", get(exports::projects))
        .route("/api/v1/exports/work-items", get(exports::work_items))
        .route("/api/v1/work-items", get(work::list).post(work::create))
        .route("/api/v1/work-items/{id}", get(work::one))
        .route(
            "/api/v1/work-items/{id}/reports",
            post(work::report).layer(axum::extract::DefaultBodyLimit::max(work::MAX_REPORT_BODY)),
        )
        .route(
            "/api/v1/work-items/{id}/reports/{report}/approve",
            post(work::approve),
        )
        .route(
            "/api/v1/work-items/{id}/reports/{report}/return",
            post(work::give_back),
        )
        .route(
            "/api/v1/work-items/{id}/milestones/{n}",
            post(work::milestone),
        )
        .route("/api/v1/work-items/files/{file}", get(work::file))
        .route(
            "/api/v1/projects",
            get(projects::list).post(projects::create),
        )
        .route("/api/v1/projects/import", post(projects::import))
        .route("/api/v1/projects/templates", get(projects::templates))
        .route(
            "/api/v1/projects/templates/{type}",
            axum::routing::put(projects::set_template),
        )
        .route("/api/v1/work-items/import", post(work::import))
        .route(
            "/api/v1/supervision/{id}/files",
            post(supervision::attach).layer(axum::extract::DefaultBodyLimit::max(12 << 20)),
        )
        .route("/api/v1/supervision/files/{file}", get(supervision::file))
        .route("/api/v1/projects/{id}", get(projects::one))
        .route(
            "/api/v1/projects/{id}/progress",
            post(projects::progress).layer(axum::extract::DefaultBodyLimit::max(
                projects::MAX_PROGRESS_BODY,
            )),
        )
        .route(
            "/api/v1/projects/{id}/progress/{entry}/approve",
            post(projects::approve),
        )
        .route(
            "/api/v1/projects/{id}/progress/{entry}/return",
            post(projects::give_back),
        )
        .route(
            "/api/v1/projects/{id}/milestones/{n}",
            post(projects::milestone),
        )
        .route("/api/v1/projects/{id}/stage", post(projects::stage))
        .route("/api/v1/projects/photos/{photo}", get(projects::photo))
        .route(
            "/api/v1/supervision",
            get(supervision::list).post(supervision::create),
        )
        .route("/api/v1/supervision/{id}", get(supervision::one))
        .route("/api/v1/supervision/{id}/sign", post(supervision::sign))
        .route(
            "/api/v1/supervision/{id}/feedback",
            post(supervision::feedback),
        )
        .route("/api/v1/supervision/{id}/review", post(supervision::review))
        .route(
            "/api/v1/supervision/{id}/extension",
            post(supervision::extension),
        )
        .route(
            "/api/v1/supervision/{id}/extensions/{ext}/approve",
            post(supervision::approve_extension),
        )
        .route(
            "/api/v1/supervision/{id}/extensions/{ext}/reject",
            post(supervision::reject_extension),
        )
        .route(
            "/api/v1/supervision/{id}/instruction",
            post(supervision::instruction),
        )
        .route(
            "/api/v1/targets/decompositions",
            get(targets::decompositions).post(targets::decompose),
        )
        .fallback(|uri: axum::http::Uri| async move {
            // A page for a browser, JSON for the API.
            if uri.path().starts_with("/api/") {
                ApiError::not_found("没有这个地址").into_response()
            } else {
                web::WebError::not_found("没有这个页面").into_response()
            }
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "此地址不支持该请求方法",
            )
        })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(no_cross_site_writes))
        .layer(axum::middleware::from_fn(api_headers))
        .layer(axum::middleware::from_fn(request_ids))
        .with_state(state)
}

/// Every request gets an id: the one a proxy sent in `X-Request-Id` if it
/// is a plain token, else a new one. It names the span every log line of the
/// request is written in and comes back in the answer's `X-Request-Id`, so a
/// user's "请求编号" finds its lines. The request itself is logged at
/// `debug` (the HTTPS proxy keeps the access log), a server error at `error`,
/// a slow answer (over a second) at `warn`.
async fn request_ids(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use axum::http::HeaderValue;
    use tracing::Instrument as _;
    static PREFIX: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let sent = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
        .map(str::to_string);
    let id = sent.unwrap_or_else(|| {
        let prefix = *PREFIX.get_or_init(|| {
            let mut b = [0u8; 4];
            let _ = getrandom::fill(&mut b);
            u32::from_le_bytes(b)
        });
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{prefix:08x}-{n:x}")
    });
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %request.method(),
        path = %request.uri().path()
    );
    // The one wall clock of the service: how long an answer took, for the
    // log only (decisions read the injected `Clock`).
    #[allow(clippy::disallowed_methods)]
    let began = std::time::Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let ms = began.elapsed().as_millis();
    let status = response.status().as_u16();
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(status, ms, "answered");
        } else if ms >= 1000 {
            tracing::warn!(status, ms, "slow answer");
        } else {
            tracing::debug!(status, ms, "answered");
        }
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

/// A change sent with the session cookie (a browser's) must come from a page
/// of this site: the SameSite cookie already keeps other sites out; this also
/// keeps out pages of sibling hosts of the same site. Calls with a Bearer
/// token are not a browser's and pass; which a request is, is decided once,
/// by `auth::credential_of`.
async fn no_cross_site_writes(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    use axum::http::Method;
    let read_only = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let by_cookie = matches!(
        auth::credential_of(request.headers()),
        Some(auth::Credential::Cookie(_))
    );
    if !read_only && by_cookie && !web::from_this_site(request.headers()) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_site",
            "请求来自其他网站,已拒绝",
        )
        .into_response();
    }
    next.run(request).await
}

/// Every API answer: never sniffed as another type, and never kept by a
/// browser or proxy cache unless its handler says otherwise (figures and
/// audit entries must not linger on a shared office computer).
async fn api_headers(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use axum::http::{HeaderValue, header};
    let api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    if api {
        let h = response.headers_mut();
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        if !h.contains_key(header::CACHE_CONTROL) {
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
    response
}

/// The service answers.
#[derive(Serialize, utoipa::ToSchema)]
struct Health {
    status: &'static str,
    backend: &'static str,
    plan: String,
}

/// `GET /api/v1/health`: the service answers, and on which backend and plan.
#[utoipa::path(get, path = "/api/v1/health", tag = "服务", summary = "服务状态",
    responses((status = 200, body = Health)))]
async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        backend: state.store.backend(),
        plan: state.plan().meta.id.clone(),
    })
}

/// `GET /api/v1/plan`: the plan (public: the plan document is public), the
/// same JSON as `anju plan show --format json`.
#[utoipa::path(get, path = "/api/v1/plan", tag = "服务", summary = "现行计划(与 anju plan show --format json 相同)",
    responses((status = 200, body = anju_reports::view::PlanView)))]
async fn plan(
    State(state): State<AppState>,
) -> Result<Json<anju_reports::view::PlanView>, ApiError> {
    state
        .sync_plan(state.store.current_plan_id().await?)
        .await?;
    Ok(Json(anju_reports::view::PlanView::new(&state.plan())))
}

/// The API document: every route of `router`, its input and its answers.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "anju 安居 API",
        description = "海宁市“住有宜居 / 安居潮城”指标与评估系统的接口。错误一律为 JSON {\"error\":{\"code\",\"message\"}}。"
    ),
    paths(
        health, plan, openapi_json,
        auth::login, auth::logout, auth::me,
        users::own_password, users::list, users::add, users::change,
        values::put, values::list, values::submit, values::approve, values::give_back, values::withdraw,
        values::correct, values::evaluation, audit::list, audit::verify, audit::export,
        security::locks, security::clear_lock, security::sessions, security::end, security::policy_of,
        publications::publish, publications::list, publications::one,
        targets::propose, targets::list, targets::approve, targets::reject,
        imports::import, imports::template, targets::decompose, targets::decompositions,
        supervision::create, supervision::list, supervision::one, supervision::sign,
        supervision::feedback, supervision::review, supervision::extension,
        supervision::approve_extension, supervision::reject_extension, supervision::instruction,
        projects::create, projects::list, projects::one, projects::progress, projects::approve,
        projects::give_back, projects::milestone, projects::stage, projects::photo, projects::import,
        work::create, work::list, work::one, work::report, work::approve, work::give_back,
        work::milestone, work::file,
        exports::supervision, exports::projects, exports::work_items,
        projects::templates, projects::set_template, work::import, supervision::attach,
        supervision::file,
    ),
    components(schemas(api::work::WorkMilestoneIn, api::projects::PhaseIo)),
    modifiers(&BearerAuth, &CommonAnswers),
)]
pub struct ApiDoc;

/// Session tokens as `Authorization: Bearer …` (or the `anju_session` cookie).
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "POST /api/v1/login 返回的令牌;网页用 anju_session Cookie",
                    ))
                    .build(),
            ),
        );
    }
}

/// The answers every operation of a kind can give, added where a path's
/// own list leaves them out, so the document says what the service does:
/// a JSON body can be malformed (400), too large (413), of another type
/// (415) or wrong in a field (422), and so can a query (422); an id in the
/// path can name nothing (404); a protected operation can meet no login
/// (401), a role without the right (403, also while a password set by an
/// administrator is unchanged); any operation can meet a database busy past
/// its wait, or an audit log that blocks writes (503).
struct CommonAnswers;

impl utoipa::Modify for CommonAnswers {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |text: &str| {
            ResponseBuilder::new()
                .description(text)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorDoc")))
                        .build(),
                )
                .build()
        };
        for (path, item) in doc.paths.paths.iter_mut() {
            let in_path = path.contains('{');
            let operations = [
                item.get.as_mut(),
                item.post.as_mut(),
                item.patch.as_mut(),
                item.put.as_mut(),
                item.delete.as_mut(),
            ];
            for op in operations.into_iter().flatten() {
                let mut add = |code: &str, text: &str| {
                    op.responses
                        .responses
                        .entry(code.to_string())
                        .or_insert_with(|| error(text).into());
                };
                let body = op.request_body.is_some();
                let protected = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let query = op.parameters.as_ref().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p.parameter_in == utoipa::openapi::path::ParameterIn::Query)
                });
                if in_path {
                    add("404", "不存在(或地址中的编号无效)");
                }
                if query {
                    add("422", "查询参数有误,指明参数");
                }
                if body {
                    add("400", "不是有效的 JSON 或表单");
                    add("413", "请求过大");
                    add("415", "内容类型不对(JSON 接口须为 application/json)");
                    add("422", "输入有误,指明字段");
                }
                if protected {
                    add("401", "未登录或登录已失效");
                    add("403", "无权;或须先修改管理员设置的密码");
                }
                add(
                    "503",
                    "系统正忙(稍后重试,见 Retry-After),或审计日志异常暂停写入",
                );
            }
        }
    }
}

/// The API document as JSON, made once.
pub fn openapi_document() -> &'static str {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        use utoipa::OpenApi;
        let mut doc = ApiDoc::openapi();
        doc.info.version = env!("CARGO_PKG_VERSION").to_string();
        doc.to_pretty_json().unwrap_or_default()
    })
}

/// `GET /api/v1/openapi.json`: the OpenAPI 3 document of this API.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "服务", summary = "本接口的 OpenAPI 3 文档",
    responses((status = 200, description = "OpenAPI 3 文档", content_type = "application/json")))]
async fn openapi_json() -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        openapi_document(),
    )
        .into_response()
}

/// The time of a change now, from the state's clock.
pub(crate) fn now(state: &AppState) -> anju_store::Now {
    let unix = (state.clock)();
    anju_store::Now {
        date: anju_core::auth::china_time(unix).0,
        stamp: anju_core::auth::china_stamp(unix),
    }
}

/// Serves the router on a bound listener until the process is stopped.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await
}

//! The audit log over HTTP: every change with who, when, what, before and
//! after, newest first, with its SM3 chain hash — for the audit
//! administrator (who also verifies and exports it), the task force, and
//! the system administrator without the figures (三员分立). Nothing here
//! changes or removes an entry: the service has no way to.

use anju_store::{AuditEntry, AuditFilter};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use anju_core::access::Action;

use crate::auth::Authed;
use crate::{ApiError, AppState, ErrorDoc, QueryParams};

/// Filters of the audit list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// 操作人。
    actor: Option<String>,
    /// 操作:value.draft value.submit value.approve value.return value.correct
    /// user.create user.update login login.failed logout plan.keep。
    action: Option<String>,
    /// 只要编号小于此数的条目(向前翻页)。
    before_id: Option<i64>,
    /// 至多条数(1–1000,默认 100)。
    limit: Option<i64>,
}

/// One entry as shown: `before` and `after` as JSON.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct EntryOut {
    id: i64,
    at: String,
    actor: String,
    action: String,
    subject: String,
    /// 改动前(JSON,可能为空)。
    #[schema(value_type = Option<serde_json::Value>)]
    before: Option<serde_json::Value>,
    /// 改动后(JSON,可能为空)。
    #[schema(value_type = Option<serde_json::Value>)]
    after: Option<serde_json::Value>,
    prev_hash: String,
    hash: String,
}

impl From<AuditEntry> for EntryOut {
    fn from(e: AuditEntry) -> EntryOut {
        let json = |t: Option<String>| t.and_then(|t| serde_json::from_str(&t).ok());
        EntryOut {
            id: e.id,
            at: e.at,
            actor: e.actor,
            action: e.action,
            subject: e.subject,
            before: json(e.before),
            after: json(e.after),
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

/// Audit entries, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AuditOut {
    entries: Vec<EntryOut>,
}

/// `GET /api/v1/audit?actor=&action=&before_id=&limit=`.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "审计",
    summary = "审计日志(专班、系统管理员)",
    params(AuditQuery),
    responses(
        (status = 200, body = AuditOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 422, description = "筛选条件有误", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    who: Authed,
    QueryParams(q): QueryParams<AuditQuery>,
) -> Result<Json<AuditOut>, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let filter = AuditFilter {
        actor: q.actor,
        action: q.action,
        before_id: q.before_id,
        limit: q.limit.unwrap_or(100),
    };
    let entries = crate::service::audit::entries(&state.store, &plan, &me, &filter).await?;
    Ok(Json(AuditOut {
        entries: entries.into_iter().map(EntryOut::from).collect(),
    }))
}

/// A read that does work and is itself recorded must come from this site's
/// own pages when a browser sends it (a sibling host's `<img src=…>` would
/// otherwise start it with the auditor's cookie).
fn from_own_page(headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    let by_cookie = matches!(
        crate::auth::credential_of(headers),
        Some(crate::auth::Credential::Cookie(_))
    );
    if by_cookie && !crate::web::from_this_site(headers) {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_site",
            "请求来自其他网站,已拒绝",
        ))
    } else {
        Ok(())
    }
}

/// The chain as checked.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ChainOut {
    /// 哈希链是否完整。
    pub whole: bool,
    /// 完整时:条目数。
    pub entries: Option<i64>,
    /// 完整时:末条哈希。
    pub last_hash: Option<String>,
    /// 断裂时:第一条出问题的条目。
    pub broken_at: Option<i64>,
    /// 断裂时:原因。
    pub why: Option<String>,
}

/// A figure that is not as the log recorded.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct MismatchOut {
    /// 数据版本号(value_versions.id)。
    pub id: i64,
    /// 不符之处。
    pub why: String,
}

/// What a verification found.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct VerifyOut {
    pub chain: ChainOut,
    /// 与审计日志不符的数据(至多 1000 条)。
    pub figures: Vec<MismatchOut>,
    /// 不符的数据共几条。
    pub figures_total: usize,
}

/// `GET /api/v1/audit/verify`: the chain, and every stored figure against
/// its record (`anju audit verify`). The check itself is logged; from a
/// browser, only this site's pages may ask.
#[utoipa::path(
    get,
    path = "/api/v1/audit/verify",
    tag = "审计",
    summary = "核验审计日志与数据(审计管理员)",
    responses(
        (status = 200, body = VerifyOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn verify(
    State(state): State<AppState>,
    who: Authed,
    headers: axum::http::HeaderMap,
) -> Result<Json<VerifyOut>, ApiError> {
    from_own_page(&headers)?;
    Ok(Json(verification(&state, &who).await?))
}

/// Verifies the chain and every stored figure for the audit administrator
/// `who`, and records that it was done: the API's and the page's one call.
pub(crate) async fn verification(state: &AppState, who: &Authed) -> Result<VerifyOut, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let found =
        crate::service::audit::verify(&state.store, &plan, &me, &crate::now(state).stamp).await?;
    let figures = found.figures;
    let chain = match found.chain {
        anju_store::AuditCheck::Whole { entries, last_hash } => ChainOut {
            whole: true,
            entries: Some(entries),
            last_hash: Some(last_hash),
            broken_at: None,
            why: None,
        },
        anju_store::AuditCheck::Broken { id, why } => ChainOut {
            whole: false,
            entries: None,
            last_hash: None,
            broken_at: Some(id),
            why: Some(why),
        },
    };
    let total = figures.len();
    Ok(VerifyOut {
        chain,
        figures: figures
            .into_iter()
            .take(1000)
            .map(|m| MismatchOut {
                id: m.id,
                why: m.why,
            })
            .collect(),
        figures_total: total,
    })
}

/// `GET /api/v1/audit/export`: the whole log as CSV (UTF-8 with a BOM, so
/// Excel and WPS read the Chinese), oldest first, with every hash, for
/// keeping outside the system. The export itself is logged.
#[utoipa::path(
    get,
    path = "/api/v1/audit/export",
    tag = "审计",
    summary = "导出审计日志 CSV(审计管理员)",
    responses(
        (status = 200, description = "CSV", content_type = "text/csv"),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn export(
    State(state): State<AppState>,
    who: Authed,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    // Refused from another site before anything is read or recorded; one
    // who may not export is refused by the service.
    let plan = state.plan();
    let me = who.actor(&plan);
    if me.may(&plan, &Action::VerifyAudit).is_ok() {
        from_own_page(&headers)?;
    }
    let now = crate::now(&state);
    let out = crate::service::audit::export(&state.store, &plan, &me, &now.stamp).await?;
    let file = format!("审计日志-{}.csv", &now.stamp[..10]);
    let disposition = crate::attachment("audit-log.csv", &file);
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_string(),
            ),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        out,
    )
        .into_response())
}

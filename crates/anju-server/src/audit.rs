//! The audit log over HTTP, for the task force and admins: every change with
//! who, when, what, before and after, newest first, with its SM3 chain hash.

use anju_core::access::Role;
use anju_store::{AuditEntry, AuditFilter};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

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
    #[schema(value_type = Object)]
    before: Option<serde_json::Value>,
    #[schema(value_type = Object)]
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
    if !matches!(who.user.role, Role::Taskforce | Role::Admin) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "只有专班和系统管理员可以查看审计日志",
        ));
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "limit: 须在 1–1000 之间",
        ));
    }
    let entries = state
        .store
        .audit(&AuditFilter {
            actor: q.actor,
            action: q.action,
            before_id: q.before_id,
            limit,
        })
        .await?;
    // Admins keep the system, not the figures: they see who changed which
    // figure and when, not the figures themselves.
    let admin = who.user.role == Role::Admin;
    Ok(Json(AuditOut {
        entries: entries
            .into_iter()
            .map(EntryOut::from)
            .map(|mut e| {
                if admin && e.action.starts_with("value.") {
                    e.before = None;
                    e.after = None;
                }
                e
            })
            .collect(),
    }))
}

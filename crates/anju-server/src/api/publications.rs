//! Published months (月晾晒) over HTTP. The task force publishes; anyone,
//! without a login, reads what was published — byte for byte as it was
//! published, whatever was corrected later.

use anju_core::period::YearMonth;
use anju_store::Publication;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::auth::Authed;
use crate::{ApiError, AppState, ErrorDoc, JsonBody, PathParam, QueryParams, invalid};

/// What to publish.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PublishIn {
    /// 发布的月份(YYYY-MM)。
    #[schema(example = "2024-06")]
    as_of: String,
    /// 重新发布的理由(该月已发布时必填);数据未齐而发布(force)时也必填。
    #[serde(default)]
    reason: Option<String>,
    /// 数据未齐(有未报、退回未重报、待审核,或报送截止日未到)时仍然发布。
    #[serde(default)]
    force: bool,
}

/// A publication without its contents.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PublicationHead {
    as_of: String,
    version: i64,
    reason: Option<String>,
    published_at: String,
    /// 发布时审计日志末条的 SM3 哈希(公开锚定审计日志)。
    audit_hash: String,
}

impl From<&Publication> for PublicationHead {
    fn from(p: &Publication) -> PublicationHead {
        PublicationHead {
            as_of: p.as_of.clone(),
            version: p.version,
            reason: p.reason.clone(),
            published_at: p.published_at.clone(),
            audit_hash: p.audit_hash.clone(),
        }
    }
}

/// Every publication, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PublicationsOut {
    publications: Vec<PublicationHead>,
}

/// A publication with its contents, as published (for the API document;
/// the answer is written from the stored text itself).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PublicationDoc {
    as_of: String,
    version: i64,
    reason: Option<String>,
    published_at: String,
    revision: i64,
    audit_hash: String,
    rows: Vec<anju_reports::view::RowView<'static>>,
    /// 背后的已审核数据(不含填报人、审核人的登录名)。
    #[schema(value_type = Vec<Object>)]
    values: Vec<serde_json::Value>,
    /// 上次发布以来审核通过的更正。
    #[schema(value_type = Vec<Object>)]
    corrections: Vec<serde_json::Value>,
    /// 发布时的报送完整情况(应报、已审核、未报、退回、待审核,截止日,是否未齐而发布及理由);此前的发布为 null。
    #[schema(value_type = Option<Object>)]
    completeness: Option<serde_json::Value>,
}

/// The body of a publication: its fields, and the stored rows, figures and
/// corrections exactly as stored.
fn body_of(p: &Publication) -> Response {
    let s = |t: &str| serde_json::Value::String(t.to_string()).to_string();
    let reason = p.reason.as_deref().map_or_else(|| "null".to_string(), s);
    let body = format!(
        "{{\"as_of\":{},\"version\":{},\"reason\":{},\"published_at\":{},\"revision\":{},\"audit_hash\":{},\"rows\":{},\"values\":{},\"corrections\":{},\"completeness\":{}}}",
        s(&p.as_of),
        p.version,
        reason,
        s(&p.published_at),
        p.revision,
        s(&p.audit_hash),
        p.rows_json,
        p.values_json,
        p.corrections_json,
        p.completeness_json.as_deref().unwrap_or("null")
    );
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// `POST /api/v1/publications` `{"as_of","reason"?}` (the task force).
#[utoipa::path(
    post,
    path = "/api/v1/publications",
    tag = "发布",
    summary = "发布某月结果(专班);已发布的月份须说明理由才能重新发布",
    request_body = PublishIn,
    responses(
        (status = 201, description = "已发布,内容即此后公开的内容", body = PublicationDoc),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 409, description = "该月已发布而未说明重新发布的理由;或该月数据未齐(error.completeness 列出未报、退回、待审核的数据与截止日),未加 force", body = ErrorDoc),
        (status = 422, description = "输入有误,指明字段", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn publish(
    State(state): State<AppState>,
    who: Authed,
    JsonBody(body): JsonBody<PublishIn>,
) -> Result<Response, ApiError> {
    let as_of = YearMonth::parse(&body.as_of).map_err(|e| invalid("as_of", e))?;
    let plan = state.plan();
    let me = who.actor(&plan);
    let made = crate::service::publications::publish(
        &state,
        &me,
        as_of,
        body.reason.as_deref(),
        body.force,
        &crate::now(&state),
    )
    .await?;
    let mut response = body_of(&made);
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

/// `GET /api/v1/publications`: every publication, newest first (public).
#[utoipa::path(
    get,
    path = "/api/v1/publications",
    tag = "发布",
    summary = "已发布的月份(公开)",
    responses((status = 200, body = PublicationsOut))
)]
pub(crate) async fn list(State(state): State<AppState>) -> Result<Json<PublicationsOut>, ApiError> {
    let all = state.store.publications().await?;
    Ok(Json(PublicationsOut {
        publications: all.iter().map(PublicationHead::from).collect(),
    }))
}

/// Which version.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct VersionQuery {
    /// 版本(默认最新)。
    version: Option<i64>,
}

/// `GET /api/v1/publications/{as_of}[?version=]`: a month as published (public).
#[utoipa::path(
    get,
    path = "/api/v1/publications/{as_of}",
    tag = "发布",
    summary = "某月发布的结果(公开,与发布时一字不差)",
    params(("as_of" = String, Path, description = "YYYY-MM"), VersionQuery),
    responses(
        (status = 200, body = PublicationDoc),
        (status = 404, description = "该月未发布", body = ErrorDoc),
        (status = 422, description = "查询参数有误", body = ErrorDoc)
    )
)]
pub(crate) async fn one(
    State(state): State<AppState>,
    PathParam(as_of): PathParam<String>,
    QueryParams(q): QueryParams<VersionQuery>,
) -> Result<Response, ApiError> {
    let month = YearMonth::parse(&as_of)
        .map(|m| m.to_string())
        .map_err(|_| ApiError::not_found(format!("{as_of} 未发布")))?;
    match state.store.publication(&month, q.version).await? {
        Some(p) => Ok(body_of(&p)),
        None => Err(ApiError::not_found(format!("{month} 未发布"))),
    }
}

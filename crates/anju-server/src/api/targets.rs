//! Target adjustments over HTTP: the task force or the indicator's lead unit
//! proposes (with a reason and the month it takes effect); the task force
//! approves or rejects, never its own proposal. Evaluations as of a month use
//! the adjustments in effect then, and show the original beside the new.

use anju_core::plan::Plan;
use anju_store::Adjustment;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::api::values::number_text;
use crate::auth::Authed;
use crate::service::targets as service;
use crate::{ApiError, AppState, ErrorDoc, JsonBody, PathParam, QueryParams, invalid};

/// A proposal.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProposeIn {
    /// 指标序号。
    #[schema(value_type = u16, example = 6)]
    indicator: serde_json::Value,
    /// 单位(任一别名)。
    #[schema(example = "海宁市")]
    org_unit: String,
    /// 目标年度。
    #[schema(example = 2025)]
    year: i32,
    /// 调整后的目标值(数字或字符串)。
    #[schema(value_type = String, example = "88")]
    target: serde_json::Value,
    /// `>=`(默认)或 `>`。
    #[serde(default)]
    comparator: Option<String>,
    /// 生效月份(YYYY-MM):自该月起的评估采用调整后的目标。
    #[schema(example = "2025-07")]
    effective: String,
    /// 调整理由。
    reason: String,
}

/// An adjustment as shown.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AdjustmentOut {
    id: i64,
    indicator: u16,
    org_unit: String,
    year: i32,
    #[schema(value_type = f64)]
    target: anju_reports::view::Num,
    comparator: String,
    effective: String,
    reason: String,
    /// proposed approved rejected。
    state: String,
    proposed_by: String,
    proposed_at: String,
    decided_by: Option<String>,
    decided_at: Option<String>,
    decision_note: Option<String>,
}

impl From<Adjustment> for AdjustmentOut {
    fn from(a: Adjustment) -> AdjustmentOut {
        AdjustmentOut {
            id: a.id,
            indicator: a.indicator,
            org_unit: a.org_unit,
            year: a.year,
            target: anju_reports::view::Num(a.target.value.normalize()),
            comparator: a.target.comparator.symbol().to_string(),
            effective: a.effective.to_string(),
            reason: a.reason,
            state: a.state.as_str().to_string(),
            proposed_by: a.proposed_by,
            proposed_at: a.proposed_at,
            decided_by: a.decided_by,
            decided_at: a.decided_at,
            decision_note: a.decision_note,
        }
    }
}

/// Adjustments, oldest first.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AdjustmentsOut {
    adjustments: Vec<AdjustmentOut>,
}

/// `POST /api/v1/targets/adjustments`: a proposal (task force, or the lead
/// unit of the indicator).
#[utoipa::path(
    post,
    path = "/api/v1/targets/adjustments",
    tag = "目标",
    summary = "提出目标调整(专班或该指标的牵头单位)",
    request_body = ProposeIn,
    responses(
        (status = 201, body = AdjustmentOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 422, description = "输入有误,指明字段", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn propose(
    State(state): State<AppState>,
    who: Authed,
    JsonBody(body): JsonBody<ProposeIn>,
) -> Result<Response, ApiError> {
    let plan_arc = state.plan();
    let plan = &*plan_arc;
    let proposal = service::Proposal {
        indicator: match &body.indicator {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        },
        org_unit: body.org_unit,
        year: body.year,
        target: number_text("target", &Some(body.target))?,
        comparator: body.comparator,
        effective: body.effective,
        reason: body.reason,
    };
    let me = who.actor(plan);
    let made = service::propose(
        &state.store,
        plan,
        &me,
        &proposal,
        &crate::now(&state).stamp,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(AdjustmentOut::from(made))).into_response())
}

/// Filters of the list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AdjustmentQuery {
    /// proposed approved rejected。
    state: Option<String>,
}

/// `GET /api/v1/targets/adjustments[?state=]`.
#[utoipa::path(
    get,
    path = "/api/v1/targets/adjustments",
    tag = "目标",
    summary = "目标调整列表(专班、市领导;牵头单位只见其牵头的指标)",
    params(AdjustmentQuery),
    responses(
        (status = 200, body = AdjustmentsOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 422, description = "筛选条件有误", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    who: Authed,
    QueryParams(q): QueryParams<AdjustmentQuery>,
) -> Result<Json<AdjustmentsOut>, ApiError> {
    let plan = state.plan();
    let filter = match q.state.as_deref() {
        None => None,
        Some(s) => Some(
            anju_store::AdjustmentState::parse(s)
                .ok_or_else(|| invalid("state", format!("未知的状态“{s}”")))?,
        ),
    };
    let me = who.actor(&plan);
    let all = service::adjustments_for(&state.store, &plan, &me, filter).await?;
    Ok(Json(AdjustmentsOut {
        adjustments: all.into_iter().map(AdjustmentOut::from).collect(),
    }))
}

/// Whether the caller may read an adjustment (`service::targets::readable`).
pub(crate) fn readable(plan: &Plan, who: &Authed, a: &anju_store::Adjustment) -> bool {
    service::readable(plan, &who.actor(plan), a)
}

/// A decision's note.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecideIn {
    #[serde(default)]
    note: Option<String>,
}

async fn decide(
    state: AppState,
    who: Authed,
    id: i64,
    body: DecideIn,
    approve: bool,
) -> Result<Json<AdjustmentOut>, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let decided = service::decide(
        &state.store,
        &plan,
        &me,
        id,
        approve,
        body.note.as_deref(),
        &crate::now(&state).stamp,
    )
    .await?;
    Ok(Json(AdjustmentOut::from(decided)))
}

/// `POST /api/v1/targets/adjustments/{id}/approve` (the task force).
#[utoipa::path(
    post,
    path = "/api/v1/targets/adjustments/{id}/approve",
    tag = "目标",
    summary = "批准目标调整(专班,不能批准本人提出的)",
    params(("id" = i64, Path)),
    request_body = DecideIn,
    responses(
        (status = 200, body = AdjustmentOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 404, description = "不存在", body = ErrorDoc),
        (status = 409, description = "不是待审核状态", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn approve(
    State(state): State<AppState>,
    who: Authed,
    PathParam(id): PathParam<i64>,
    JsonBody(body): JsonBody<DecideIn>,
) -> Result<Json<AdjustmentOut>, ApiError> {
    decide(state, who, id, body, true).await
}

/// `POST /api/v1/targets/adjustments/{id}/reject` (the task force).
#[utoipa::path(
    post,
    path = "/api/v1/targets/adjustments/{id}/reject",
    tag = "目标",
    summary = "驳回目标调整(专班)",
    params(("id" = i64, Path)),
    request_body = DecideIn,
    responses(
        (status = 200, body = AdjustmentOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 404, description = "不存在", body = ErrorDoc),
        (status = 409, description = "不是待审核状态", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn reject(
    State(state): State<AppState>,
    who: Authed,
    PathParam(id): PathParam<i64>,
    JsonBody(body): JsonBody<DecideIn>,
) -> Result<Json<AdjustmentOut>, ApiError> {
    decide(state, who, id, body, false).await
}

/// A stored decomposition, as listed.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct DecompositionOut {
    id: i64,
    name: String,
    rows: i64,
    sm3: String,
    uploaded_by: String,
    uploaded_at: String,
}

impl From<anju_store::Decomposition> for DecompositionOut {
    fn from(d: anju_store::Decomposition) -> DecompositionOut {
        DecompositionOut {
            id: d.id,
            name: d.name,
            rows: d.rows,
            sm3: d.sm3,
            uploaded_by: d.uploaded_by,
            uploaded_at: d.uploaded_at,
        }
    }
}

/// Decompositions in force, in upload order.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct DecompositionsOut {
    decompositions: Vec<DecompositionOut>,
}

/// The form of a decomposition upload (for the API document).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(crate) struct DecompositionForm {
    /// 分解文件(CSV:indicator,org_unit,year,target 或 指标、单位、年份、目标)。
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// `POST /api/v1/targets/decompositions`: a decomposition file (the task
/// force), checked against the plan and the files in force, and refused
/// unless every sum adds up.
#[utoipa::path(
    post,
    path = "/api/v1/targets/decompositions",
    tag = "目标",
    summary = "上传目标分解文件(专班):须与已生效的分解无重复,且各级合计相符",
    request_body(content = DecompositionForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = DecompositionOut),
        (status = 400, description = "表单有误", body = ErrorDoc),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 422, description = "文件有错误的行,或合计不符,逐条列出", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn decompose(
    State(state): State<AppState>,
    who: Authed,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let plan_arc = state.plan();
    let plan = &*plan_arc;
    let me = who.actor(plan);
    // One who may not decompose is refused before the form is read.
    who.may(plan, &anju_core::access::Action::Decompose)?;
    let (name, bytes) = crate::api::imports::read_form(form, "分解文件")
        .await?
        .file
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "bad_form", "缺少 file 字段"))?;
    let kept = service::decompose(
        &state.store,
        plan,
        &me,
        &name,
        &bytes,
        &crate::now(&state).stamp,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(DecompositionOut::from(kept))).into_response())
}

/// `GET /api/v1/targets/decompositions`.
#[utoipa::path(
    get,
    path = "/api/v1/targets/decompositions",
    tag = "目标",
    summary = "已下达的目标分解文件(专班、市领导、牵头单位)",
    responses(
        (status = 200, body = DecompositionsOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn decompositions(
    State(state): State<AppState>,
    who: Authed,
) -> Result<Json<DecompositionsOut>, ApiError> {
    let plan = state.plan();
    let all = service::decompositions_for(&state.store, &plan, &who.actor(&plan)).await?;
    Ok(Json(DecompositionsOut {
        decompositions: all.into_iter().map(DecompositionOut::from).collect(),
    }))
}

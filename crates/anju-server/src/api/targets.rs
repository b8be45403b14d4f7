//! Target adjustments over HTTP: the task force or the indicator's lead unit
//! proposes (with a reason and the month it takes effect); the task force
//! approves or rejects, never its own proposal. Evaluations as of a month use
//! the adjustments in effect then, and show the original beside the new.

use anju_core::access::Action;
use anju_core::num::parse_figure;
use anju_core::period::YearMonth;
use anju_core::plan::Plan;
use anju_store::{Adjustment, NewAdjustment};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::api::values::number_text;
use crate::auth::Authed;
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
    let code = match &body.indicator {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let ix = plan
        .find_indicator(&code)
        .ok_or_else(|| invalid("indicator", format!("未知的指标“{code}”")))?;
    who.may(plan, &Action::ProposeAdjustment { indicator: ix })?;
    let org = plan
        .orgs
        .resolve(&body.org_unit)
        .ok()
        .and_then(|o| plan.reporting_unit(o))
        .ok_or_else(|| {
            invalid(
                "org_unit",
                format!("“{}”不在本计划的填报范围内", body.org_unit),
            )
        })?;
    if !(plan.meta.first_year..=plan.meta.last_year).contains(&body.year) {
        return Err(invalid(
            "year",
            format!(
                "须为计划目标年度 {}–{}",
                plan.meta.first_year, plan.meta.last_year
            ),
        ));
    }
    let percent = plan.indicators[ix].unit == "%";
    let text = number_text("target", &Some(body.target.clone()))?;
    let target = parse_figure(&text, percent).map_err(|e| invalid("target", e))?;
    if target.is_sign_negative() {
        return Err(invalid("target", "不能为负数"));
    }
    let comparator = match body.comparator.as_deref().map(str::trim) {
        None | Some("") | Some(">=") | Some("≥") => anju_core::plan::Comparator::AtLeast,
        Some(">") => anju_core::plan::Comparator::Above,
        Some(other) => return Err(invalid("comparator", format!("应为 >= 或 >,不是“{other}”"))),
    };
    let effective = YearMonth::parse(&body.effective).map_err(|e| invalid("effective", e))?;
    if !(plan.meta.first_year..=plan.meta.last_year).contains(&effective.year()) {
        return Err(invalid("effective", "不在计划年度之内"));
    }
    // The cell must have a target to adjust — the plan's, an inherited one or
    // a decomposition's in force (the book says why not).
    let mut book = anju_core::targets::TargetBook::from_plan(plan);
    let decompositions = state.store.decompositions().await?;
    anju_core::adjustments::apply_decompositions(&mut book, plan, &decompositions);
    book.adjust(
        plan,
        ix,
        org,
        body.year,
        anju_core::plan::Target {
            value: target,
            comparator: anju_core::plan::Comparator::AtLeast,
        },
    )
    .map_err(|e| invalid("org_unit", e))?;
    let made = state
        .store
        .propose_adjustment(
            &NewAdjustment {
                indicator: plan.indicators[ix].code.0,
                org_unit: &plan.orgs.get(org).name,
                year: body.year,
                target: anju_core::plan::Target {
                    value: target,
                    comparator,
                },
                effective,
                reason: &body.reason,
            },
            &who.user.name,
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
    who.may(&plan, &Action::ReadTargets)?;
    let filter = match q.state.as_deref() {
        None => None,
        Some(s) => Some(
            anju_store::AdjustmentState::parse(s)
                .ok_or_else(|| invalid("state", format!("未知的状态“{s}”")))?,
        ),
    };
    let all = state.store.adjustments(filter).await?;
    Ok(Json(AdjustmentsOut {
        adjustments: all
            .into_iter()
            .filter(|a| readable(&plan, &who, a))
            .map(AdjustmentOut::from)
            .collect(),
    }))
}

/// Whether the caller may read an adjustment (of an indicator they lead,
/// for a lead unit; one of an indicator the plan no longer has is the task
/// force's and the leaders').
pub(crate) fn readable(plan: &Plan, who: &Authed, a: &anju_store::Adjustment) -> bool {
    match plan.indicator_index(anju_core::plan::IndicatorCode(a.indicator)) {
        Some(ix) => who.can(plan, &Action::ReadAdjustment { indicator: ix }),
        None => who.actor(plan).reads_everything(),
    }
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
    // One who decides none is refused whether the adjustment exists or not.
    who.may(&plan, &Action::DecideAdjustment { proposer: None })?;
    let proposer = state
        .store
        .adjustment(id)
        .await?
        .ok_or(anju_store::StoreError::NotFound(id))?
        .proposed_by;
    who.may(
        &plan,
        &Action::DecideAdjustment {
            proposer: Some(&proposer),
        },
    )?;
    let decided = state
        .store
        .decide_adjustment(
            id,
            approve,
            body.note.as_deref(),
            &who.user.name,
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
    who.may(&state.plan(), &Action::Decompose)?;
    let (name, bytes) = crate::api::imports::read_form(form, "分解文件")
        .await?
        .file
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "bad_form", "缺少 file 字段"))?;
    let text = anju_core::input::decode(&bytes)
        .map_err(|m| invalid("file", m))?
        .into_owned();
    let plan_arc = state.plan();
    let plan = &*plan_arc;
    let rows = anju_core::input::read_targets(plan, &name, text.as_bytes(), 1)
        .map_err(|e| ApiError::bad_rows(&e.0, None))?;
    if rows.is_empty() {
        return Err(invalid("file", "文件中没有目标"));
    }
    // With the files in force: no cell twice, and every sum adds up.
    let in_force = state.store.decompositions().await?;
    let mut book = anju_core::targets::TargetBook::from_plan(plan);
    let left_out = anju_core::adjustments::apply_decompositions(&mut book, plan, &in_force);
    for l in &left_out {
        tracing::warn!("{l}");
    }
    book.decompose(plan, &name, &rows)
        .map_err(|e| ApiError::bad_rows(&e.0, None))?;
    let sums = book.check_sums(plan);
    if !sums.is_empty() {
        let errors: Vec<anju_core::input::InputError> = sums
            .iter()
            .map(|w| anju_core::input::InputError {
                file: name.clone(),
                line: w.source.map_or(0, |s| u64::from(s.line)),
                field: Some("target".into()),
                message: format!("指标 {}:{}", w.indicator, w.message),
            })
            .collect();
        let mut error = ApiError::bad_rows(&errors, None);
        error = error.with_message(format!(
            "分解后有 {} 处合计不符或分解不全,未下达",
            errors.len()
        ));
        return Err(error);
    }
    let kept = state
        .store
        .add_decomposition(
            &name,
            &text,
            i64::try_from(rows.len()).unwrap_or(i64::MAX),
            &who.user.name,
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
    who.may(&state.plan(), &Action::ReadTargets)?;
    let all = state.store.decompositions().await?;
    Ok(Json(DecompositionsOut {
        decompositions: all.into_iter().map(DecompositionOut::from).collect(),
    }))
}

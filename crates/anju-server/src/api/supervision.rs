//! 督办事项 over HTTP, a contract other tools rely on: the task force
//! records an item and assigns it to a lead unit and co-units; each unit
//! signs for its assignment, answers, asks for more time; the task force
//! reviews (accept or 退办) and decides extensions; a leader adds a 批示.
//! Each item comes with its colour (`light`) for today, and each of its
//! assignments with its own.

use anju_core::plan::Plan;
use anju_core::supervision::Item;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::api::values::number_text;
use crate::auth::Authed;
use crate::service::supervision as service;
use crate::{ApiError, AppState, ErrorDoc, JsonBody, PathParam, QueryParams, invalid};

/// Where an item comes from.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SupervisionSourceIn {
    /// meeting(会议)、instruction(领导批示)或 plan(实施方案)。
    #[schema(example = "meeting")]
    kind: String,
    /// 会议或批示的日期(YYYY-MM-DD);来源为实施方案时可不填。
    #[serde(default)]
    #[schema(example = "2026-11-28")]
    date: Option<String>,
    /// 会议名称、批示文号或方案条目。
    #[serde(default, rename = "ref")]
    #[schema(example = "安居专班第 12 次例会")]
    reference: String,
}

/// A new item.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SupervisionIn {
    /// 督办事项。
    #[schema(example = "加快黄湾镇保障性租赁住房项目开工")]
    title: String,
    source: SupervisionSourceIn,
    /// 牵头单位(任一别名)。
    #[schema(example = "市住建局")]
    lead: String,
    /// 配合单位;也可写成一个用“、”或逗号分隔的字符串。
    #[serde(default)]
    #[schema(schema_with = crate::api::either::units, example = json!(["市资规局", "黄湾镇"]))]
    co_units: Option<serde_json::Value>,
    /// 办理时限(YYYY-MM-DD)。
    #[schema(example = "2026-12-20")]
    due: String,
    /// 一般(默认)、急办或特急。
    #[serde(default)]
    #[schema(example = "急办")]
    urgency: Option<String>,
}

/// The co-units as sent: a list, or one text separated by 、 , ; or spaces.
pub(crate) fn co_units(v: Option<serde_json::Value>) -> Result<Vec<String>, ApiError> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(Vec::new()),
        Some(serde_json::Value::String(s)) => Ok(s
            .split([
                '、', ',', '\u{FF0C}', ';', '\u{FF1B}', ' ', '\u{3000}', '\n',
            ])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()),
        Some(serde_json::Value::Array(list)) => list
            .into_iter()
            .enumerate()
            .map(|(k, x)| match x {
                serde_json::Value::String(s) => Ok(s),
                other => Err(invalid(
                    format!("co_units[{k}]"),
                    format!("应为单位名称,不是 {other}"),
                )),
            })
            .collect(),
        Some(other) => Err(invalid(
            "co_units",
            format!("应为单位名称的列表,不是 {other}"),
        )),
    }
}

/// Where an item comes from, as shown.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SupervisionSourceOut {
    /// meeting instruction plan。
    kind: &'static str,
    /// 会议、领导批示、实施方案。
    label: &'static str,
    date: Option<String>,
    #[serde(rename = "ref")]
    reference: String,
}

/// One unit's assignment.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AssignmentOut {
    unit: String,
    /// 牵头单位为 true,配合单位为 false。
    lead: bool,
    /// assigned(待签收)handling(办理中)answered(待复核)closed(已办结)。
    state: &'static str,
    state_label: &'static str,
    /// 办理时限(含已同意的延期)。
    due: String,
    /// red yellow blue green done。
    light: &'static str,
    light_label: &'static str,
    /// 颜色的原因,如“已逾期 2 天”。
    light_reason: String,
    assigned_at: String,
    signed_at: Option<String>,
    signed_by: Option<String>,
    answered_at: Option<String>,
    closed_at: Option<String>,
    /// 被退办的次数。
    returns: u32,
    /// 最近一次反馈的完成百分比。
    #[schema(value_type = Option<f64>)]
    percent: Option<anju_reports::view::Num>,
}

/// A step of the log.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SupervisionLogOut {
    at: String,
    actor: String,
    unit: Option<String>,
    /// create sign feedback accept return extension extension_approved extension_rejected instruction。
    step: String,
    label: &'static str,
    /// 该步的内容(反馈的办理情况、困难、下一步、百分比;退办或批示的文字)。
    #[schema(value_type = Object)]
    detail: serde_json::Value,
}

/// An extension request.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ExtensionOut {
    id: i64,
    unit: String,
    old_due: String,
    new_due: String,
    reason: String,
    progress: String,
    requested_by: String,
    requested_at: String,
    /// pending approved rejected。
    state: &'static str,
    state_label: &'static str,
    decided_by: Option<String>,
    decided_at: Option<String>,
    note: Option<String>,
}

/// An item with its colours for today.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SupervisionOut {
    id: i64,
    title: String,
    source: SupervisionSourceOut,
    lead: String,
    co_units: Vec<String>,
    /// 交办时的办理时限。
    due: String,
    /// 一般 急办 特急。
    urgency: &'static str,
    /// 最靠前的一个单位的状态(全部办结时为 closed)。
    state: &'static str,
    state_label: &'static str,
    /// 三色督办:red(逾期)yellow(退办或落后序时进度)blue(临近时限)green(正常)done(已办结)。
    light: &'static str,
    light_label: &'static str,
    light_reason: String,
    created_by: String,
    created_at: String,
    closed_at: Option<String>,
    assignments: Vec<AssignmentOut>,
    log: Vec<SupervisionLogOut>,
    extensions: Vec<ExtensionOut>,
    /// 会议纪要等附件。
    files: Vec<SupervisionFileOut>,
}

/// A file kept with an item.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SupervisionFileOut {
    id: i64,
    name: String,
    size: i64,
    sm3: String,
    added_by: String,
    added_at: String,
    url: String,
}

/// Items.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SupervisionListOut {
    /// 今天(各颜色据此计算)。
    today: String,
    items: Vec<SupervisionOut>,
}

pub(crate) fn item_out(item: Item, c: service::Colours) -> SupervisionOut {
    let first = item
        .assignments
        .iter()
        .map(|a| a.state)
        .min()
        .unwrap_or(anju_core::supervision::AssignmentState::Closed);
    let (light, light_reason) = c.item;
    SupervisionOut {
        id: item.id,
        title: item.title.clone(),
        source: SupervisionSourceOut {
            kind: item.source.as_str(),
            label: item.source.label(),
            date: item.source_date.map(|d| d.to_string()),
            reference: item.source_ref.clone(),
        },
        lead: item.lead().to_string(),
        co_units: item
            .assignments
            .iter()
            .filter(|a| !a.lead)
            .map(|a| a.unit.clone())
            .collect(),
        due: item.due.to_string(),
        urgency: item.urgency.label(),
        state: first.as_str(),
        state_label: first.label(),
        light: light.as_str(),
        light_label: light.label(),
        light_reason,
        created_by: item.created_by,
        created_at: item.created_at,
        closed_at: item.closed_at,
        assignments: item
            .assignments
            .into_iter()
            .zip(c.assignments)
            .map(|(a, (l, why))| AssignmentOut {
                unit: a.unit,
                lead: a.lead,
                state: a.state.as_str(),
                state_label: a.state.label(),
                due: a.due.to_string(),
                light: l.as_str(),
                light_label: l.label(),
                light_reason: why,
                assigned_at: a.assigned_at,
                signed_at: a.signed_at,
                signed_by: a.signed_by,
                answered_at: a.answered_at,
                closed_at: a.closed_at,
                returns: a.returns,
                percent: a.percent.map(anju_reports::view::Num),
            })
            .collect(),
        log: item
            .log
            .into_iter()
            .map(|e| SupervisionLogOut {
                label: e.label(),
                at: e.at,
                actor: e.actor,
                unit: e.unit,
                step: e.step,
                detail: e.detail,
            })
            .collect(),
        files: item
            .files
            .into_iter()
            .map(|f| SupervisionFileOut {
                url: format!("/api/v1/supervision/files/{}", f.id),
                id: f.id,
                name: f.name,
                size: f.size,
                sm3: f.sm3,
                added_by: f.added_by,
                added_at: f.added_at,
            })
            .collect(),
        extensions: item
            .extensions
            .into_iter()
            .map(|e| ExtensionOut {
                id: e.id,
                unit: e.unit,
                old_due: e.old_due.to_string(),
                new_due: e.new_due.to_string(),
                reason: e.reason,
                progress: e.progress,
                requested_by: e.requested_by,
                requested_at: e.requested_at,
                state: e.state.as_str(),
                state_label: e.state.label(),
                decided_by: e.decided_by,
                decided_at: e.decided_at,
                note: e.note,
            })
            .collect(),
    }
}

/// An item as answered: with its colours for today.
fn answer(state: &AppState, plan: &Plan, item: Item) -> SupervisionOut {
    let today = crate::now(state).date;
    let c = service::colours(plan, &item, today);
    item_out(item, c)
}

/// `POST /api/v1/supervision`: 立项交办 (the task force).
#[utoipa::path(
    post,
    path = "/api/v1/supervision",
    tag = "督办",
    summary = "立项交办督办事项(专班):每个承办单位各一份交办",
    request_body = SupervisionIn,
    responses(
        (status = 201, body = SupervisionOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 422, description = "输入有误,指明字段", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    who: Authed,
    JsonBody(body): JsonBody<SupervisionIn>,
) -> Result<Response, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let draft = service::Draft {
        title: body.title,
        source_kind: body.source.kind,
        source_date: body.source.date,
        source_ref: body.source.reference,
        lead: body.lead,
        co_units: co_units(body.co_units)?,
        due: body.due,
        urgency: body.urgency,
    };
    let made = service::create(&state.store, &plan, &me, &draft, &crate::now(&state)).await?;
    Ok((StatusCode::CREATED, Json(answer(&state, &plan, made))).into_response())
}

/// Filters of the list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SupervisionQuery {
    /// red yellow blue green done(指定 unit 时按该单位那一份的颜色)。
    light: Option<String>,
    /// 承办单位(任一别名)。
    unit: Option<String>,
}

/// `GET /api/v1/supervision[?light=&unit=]`.
#[utoipa::path(
    get,
    path = "/api/v1/supervision",
    tag = "督办",
    summary = "督办事项列表(专班、市领导看全部;部门和镇(街道)看交办给本单位的),红色在前",
    params(SupervisionQuery),
    responses(
        (status = 200, body = SupervisionListOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 422, description = "筛选条件有误", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    who: Authed,
    QueryParams(q): QueryParams<SupervisionQuery>,
) -> Result<Json<SupervisionListOut>, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let today = crate::now(&state).date;
    let filter = service::Filter {
        light: q.light,
        unit: q.unit,
    };
    let items = service::list(&state.store, &plan, &me, &filter, today).await?;
    Ok(Json(SupervisionListOut {
        today: today.to_string(),
        items: items.into_iter().map(|(i, c)| item_out(i, c)).collect(),
    }))
}

/// `GET /api/v1/supervision/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/supervision/{id}",
    tag = "督办",
    summary = "一个督办事项,含各单位的交办、全部步骤和延期申请",
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = SupervisionOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "未交办给本单位", body = ErrorDoc),
        (status = 404, description = "不存在", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn one(
    State(state): State<AppState>,
    who: Authed,
    PathParam(id): PathParam<i64>,
) -> Result<Json<SupervisionOut>, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let item = service::one(&state.store, &plan, &me, id).await?;
    Ok(Json(answer(&state, &plan, item)))
}

/// No body.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EmptyIn {}

/// `POST /api/v1/supervision/{id}/sign`: 签收 (the unit itself).
#[utoipa::path(
    post,
    path = "/api/v1/supervision/{id}/sign",
    tag = "督办",
    summary = "签收(承办单位本身)",
    params(("id" = i64, Path)),
    request_body = EmptyIn,
    responses(
        (status = 200, body = SupervisionOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "不是承办单位", body = ErrorDoc),
        (status = 404, description = "不存在", body = ErrorDoc),
        (status = 409, description = "已签收或已办结", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn sign(
    State(state): State<AppState>,
    who: Authed,
    PathParam(id): PathParam<i64>,
    JsonBody(_): JsonBody<EmptyIn>,
) -> Result<Json<SupervisionOut>, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let item = service::sign(&state.store, &plan, &me, id, &crate::now(&state)).await?;
    Ok(Json(answer(&state, &plan, item)))
}

/// A unit's feedback.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeedbackIn {
    /// 办理情况。
    progress: String,
    /// 存在的困难。
    #[serde(default)]
    difficulties: String,
    /// 下一步打算。
    #[serde(default)]
    next_steps: String,
    /// 完成百分比(0—100,数字或字符串)。
    #[schema(schema_with = crate::api::either::number_or_null, example = "60")]
    percent: Option<serde_json::Value>,
}

/// `POST /api/v1/supervision/{id}/feedback`: 反馈 (the unit itself).
#[utoipa::path(
    post,
    path = "/api/v1/supervision/{id}/feedback",
    tag = "督办",
    summary = "反馈办理情况(承办单位本身,签收后;被退办后可再次反馈)",
    params(("id" = i64, Path)),
    request_body = FeedbackIn,
    responses(
        (status = 200, body = SupervisionOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "不是承办单位", body = ErrorDoc),
        (status = 404, description = "不存在", body = ErrorDoc),
        (status = 409, description = "未签收、已反馈待复核或已办结", body = ErrorDoc),
        (status = 422, description = "输入有误,指明字段", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn feedback(
    State(state): State<AppState>,
    who: Authed,
    PathParam(id): PathParam<i64>,
    JsonBody(body): JsonBody<FeedbackIn>,
) -> Result<Json<SupervisionOut>, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let f = service::Feedback {
        progress: body.progress,
        difficulties: body.difficulties,
        next_steps: body.next_steps,
        percent: number_text("percent", &body.percent)?,
    };
    let item = service::feedback(&state.store, &plan, &me, id, &f, &crate::now(&state)).await?;
    Ok(Json(answer(&state, &plan, item)))
}

/// A review.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReviewIn {
    /// accept(复核通过,办结)或 return(退办)。
    #[schema(example = "return")]
    decision: String,
    /// 说明;退办时必填。
    #[serde(default)]
    note: Option<String>,
    /// 复核哪个单位的反馈;只有一个单位待复核时可不填。
    #[serde(default)]
    unit: Option<String>,
}

/// `POST /api/v1/supervision/{id}/review`: 复核 (the task force).
#[utoipa::path(
    post,
    path = "/api/v1/supervision/{id}/review",
    tag = "督办",
    summary = "复核反馈(专班):accept 办结,return 退办(须写理由)",
    params(("id" = i64, Path)),
    request_body = ReviewIn,
    responses(
        (status = 200, body = SupervisionOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 404, description = "不存在", body = ErrorDoc),
        (status = 409, description = "没有待复核的反馈", body = ErrorDoc),
        (status = 422, description = "输入有误,指明字段", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn review(
    State(state): State<AppState>,
    who: Authed,
    PathParam(id): PathParam<i64>,
    JsonBody(body): JsonBody<ReviewIn>,
) -> Result<Json<SupervisionOut>, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let accept = match body.decision.trim() {
        "accept" | "通过" | "办结" => true,
        "return" | "退办" => false,
        other => {
            return Err(invalid(
                "decision",
                format!("应为 accept(办结)或 return(退办),不是“{other}”"),
            ));
        }
    };
    let item = service::review(
        &state.store,
        &plan,
        &me,
        id,
        body.unit.as_deref(),
        accept,
        body.note.as_deref(),
        &crate::now(&state),
    )
    .await?;
    Ok(Json(answer(&state, &plan, item)))
}

/// An extension request.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExtensionIn {
    /// 申请延至(YYYY-MM-DD)。
    #[schema(example = "2026-12-31")]
    due: String,
    /// 延期理由。
    reason: String,
    /// 目前进展。
    #[serde(default)]
    progress: Option<String>,
}

/// `POST /api/v1/supervision/{id}/extension`: 申请延期 (the unit, before its due date).
#[utoipa::path(
    post,
    path = "/api/v1/supervision/{id}/extension",
    tag = "督办",
    summary = "申请延期(承办单位本身,须在办理时限之前,写明理由、新时限和目前进展)",
    params(("id" = i64, Path)),
    request_body = ExtensionIn,
    responses(
        (status = 200, body = SupervisionOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "不是承办单位", body = ErrorDoc),
        (status = 404, description = "不存在", body = ErrorDoc),
        (status = 409, description = "已过时限、已有待审批的申请或已办结", body = ErrorDoc),
        (status = 422, description = "输入有误,指明字段", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn extension(
    State(state): State<AppState>,
    who: Authed,
    PathParam(id): PathParam<i64>,
    JsonBody(body): JsonBody<ExtensionIn>,
) -> Result<Json<SupervisionOut>, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let item = service::request_extension(
        &state.store,
        &plan,
        &me,
        id,
        &body.due,
        &body.reason,
        body.progress.as_deref(),
        &crate::now(&state),
    )
    .await?;
    Ok(Json(answer(&state, &plan, item)))
}

/// A decision's note.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SupervisionNoteIn {
    /// 说明;不同意时必填。
    #[serde(default)]
    note: Option<String>,
}

async fn decide(
    state: AppState,
    who: Authed,
    (id, ext): (i64, i64),
    body: SupervisionNoteIn,
    approve: bool,
) -> Result<Json<SupervisionOut>, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let item = service::decide_extension(
        &state.store,
        &plan,
        &me,
        id,
        ext,
        approve,
        body.note.as_deref(),
        &crate::now(&state),
    )
    .await?;
    Ok(Json(answer(&state, &plan, item)))
}

/// `POST /api/v1/supervision/{id}/extensions/{ext}/approve` (the task force).
#[utoipa::path(
    post,
    path = "/api/v1/supervision/{id}/extensions/{ext}/approve",
    tag = "督办",
    summary = "同意延期(专班):该单位的办理时限改为申请的日期",
    params(("id" = i64, Path), ("ext" = i64, Path)),
    request_body = SupervisionNoteIn,
    responses(
        (status = 200, body = SupervisionOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 404, description = "不存在", body = ErrorDoc),
        (status = 409, description = "已审批", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn approve_extension(
    State(state): State<AppState>,
    who: Authed,
    PathParam(ids): PathParam<(i64, i64)>,
    JsonBody(body): JsonBody<SupervisionNoteIn>,
) -> Result<Json<SupervisionOut>, ApiError> {
    decide(state, who, ids, body, true).await
}

/// `POST /api/v1/supervision/{id}/extensions/{ext}/reject` (the task force).
#[utoipa::path(
    post,
    path = "/api/v1/supervision/{id}/extensions/{ext}/reject",
    tag = "督办",
    summary = "不同意延期(专班,须写理由)",
    params(("id" = i64, Path), ("ext" = i64, Path)),
    request_body = SupervisionNoteIn,
    responses(
        (status = 200, body = SupervisionOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 404, description = "不存在", body = ErrorDoc),
        (status = 409, description = "已审批", body = ErrorDoc),
        (status = 422, description = "未写理由", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn reject_extension(
    State(state): State<AppState>,
    who: Authed,
    PathParam(ids): PathParam<(i64, i64)>,
    JsonBody(body): JsonBody<SupervisionNoteIn>,
) -> Result<Json<SupervisionOut>, ApiError> {
    decide(state, who, ids, body, false).await
}

/// A leader's instruction.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InstructionIn {
    /// 批示内容。
    #[schema(example = "请市住建局牵头,本周内拿出解决方案。")]
    text: String,
}

/// `POST /api/v1/supervision/{id}/instruction`: 批示 (a leader).
#[utoipa::path(
    post,
    path = "/api/v1/supervision/{id}/instruction",
    tag = "督办",
    summary = "领导批示(市领导)",
    params(("id" = i64, Path)),
    request_body = InstructionIn,
    responses(
        (status = 200, body = SupervisionOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 404, description = "不存在", body = ErrorDoc),
        (status = 422, description = "未写批示内容", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn instruction(
    State(state): State<AppState>,
    who: Authed,
    PathParam(id): PathParam<i64>,
    JsonBody(body): JsonBody<InstructionIn>,
) -> Result<Json<SupervisionOut>, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let item = service::instruct(
        &state.store,
        &plan,
        &me,
        id,
        &body.text,
        &crate::now(&state),
    )
    .await?;
    Ok(Json(answer(&state, &plan, item)))
}

/// The form of a file.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(crate) struct SupervisionFileForm {
    /// 会议纪要或批示件(PDF、OFD、Word、WPS、图片、文本,至多 10 MB)。
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// `POST /api/v1/supervision/{id}/files` (multipart; the task force).
#[utoipa::path(
    post,
    path = "/api/v1/supervision/{id}/files",
    tag = "督办",
    summary = "附上会议纪要或批示件(专班)",
    params(("id" = i64, Path)),
    request_body(content = SupervisionFileForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = SupervisionOut),
        (status = 400, description = "表单有误", body = ErrorDoc),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 404, description = "不存在", body = ErrorDoc),
        (status = 413, description = "文件过大", body = ErrorDoc),
        (status = 422, description = "类型不支持或过大", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn attach(
    State(state): State<AppState>,
    who: Authed,
    PathParam(id): PathParam<i64>,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let form = crate::api::imports::read_form(form, "会议纪要").await?;
    let Some((name, bytes)) = form.file else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_form",
            "表单中没有 file 字段(会议纪要文件)",
        ));
    };
    let plan = state.plan();
    let me = who.actor(&plan);
    let item = service::attach(
        &state.store,
        &plan,
        &me,
        id,
        &name,
        &bytes,
        &crate::now(&state),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(answer(&state, &plan, item))).into_response())
}

/// `GET /api/v1/supervision/files/{file}`: a file kept with an item.
#[utoipa::path(
    get,
    path = "/api/v1/supervision/files/{file}",
    tag = "督办",
    summary = "下载督办事项的附件(会议纪要等)",
    params(("file" = i64, Path)),
    responses(
        (status = 200, description = "附件", content_type = "application/octet-stream"),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 404, description = "不存在", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn file(
    State(state): State<AppState>,
    who: Authed,
    PathParam(file): PathParam<i64>,
) -> Result<Response, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let (name, bytes) = service::file(&state.store, &plan, &me, file).await?;
    Ok(crate::download_answer(bytes, &name))
}

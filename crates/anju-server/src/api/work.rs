//! 年度工作要点 over HTTP: the task force gives a task its work items for a
//! year; the owner reports monthly with attachments and marks milestones
//! done; the task force reviews. Each item comes with its light for today.

use anju_store::WorkItem;
use axum::Json;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::auth::Authed;
use crate::service::work as service;
use crate::{ApiError, AppState, ErrorDoc, JsonBody, PathParam, QueryParams, invalid};

/// A milestone as sent.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WorkMilestoneIn {
    /// 节点内容。
    name: String,
    /// 节点日期(YYYY-MM-DD)。
    due: String,
}

/// A new work item.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WorkItemIn {
    /// 重点任务序号(1—13)。
    #[schema(example = 1)]
    task: u16,
    /// 年度。
    #[schema(example = 2027)]
    year: i32,
    /// 工作要点。
    #[schema(example = "出台保障性租赁住房运营管理办法")]
    title: String,
    /// 牵头单位(默认为该任务的牵头单位)。
    #[serde(default)]
    owner: Option<String>,
    /// 配合单位(默认为该任务的责任单位);也可写成用“、”分隔的文字。
    #[serde(default)]
    #[schema(schema_with = crate::api::either::units)]
    co_units: Option<serde_json::Value>,
    /// 完成时限(YYYY-MM-DD,当年内)。
    #[schema(example = "2027-06-30")]
    deadline: String,
    /// 时间节点:[{"name","due"}],或每行一个“节点内容 日期”的文字。
    #[serde(default)]
    #[schema(schema_with = crate::api::either::milestones)]
    milestones: Option<serde_json::Value>,
}

/// The milestones as sent: a list, or lines of "内容 2024-09-30".
fn milestones_of(v: Option<serde_json::Value>) -> Result<Vec<(String, String)>, ApiError> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(Vec::new()),
        Some(serde_json::Value::String(text)) => {
            let mut out = Vec::new();
            for (k, line) in text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .enumerate()
            {
                let cut = line
                    .rfind(|c: char| {
                        c.is_whitespace() || matches!(c, ':' | '\u{FF1A}' | ',' | '\u{FF0C}')
                    })
                    .ok_or_else(|| {
                        invalid(
                            format!("milestones[{k}]"),
                            format!("“{line}”应写作“节点内容 2027-06-30”"),
                        )
                    })?;
                let (name, due) = line.split_at(cut);
                let due = due.trim_start_matches(|c: char| {
                    c.is_whitespace() || matches!(c, ':' | '\u{FF1A}' | ',' | '\u{FF0C}')
                });
                out.push((
                    name.trim()
                        .trim_end_matches([':', '\u{FF1A}', ',', '\u{FF0C}'])
                        .trim()
                        .to_string(),
                    due.trim().to_string(),
                ));
            }
            Ok(out)
        }
        Some(v) => serde_json::from_value::<Vec<WorkMilestoneIn>>(v)
            .map(|list| list.into_iter().map(|m| (m.name, m.due)).collect())
            .map_err(|e| invalid("milestones", format!("应为节点列表:{e}"))),
    }
}

/// A milestone as shown.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct WorkStepOut {
    name: String,
    due: String,
    done: Option<String>,
}

/// An attachment.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct WorkFileOut {
    id: i64,
    name: String,
    size: i64,
    sm3: String,
    url: String,
}

/// A report.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct WorkReportOut {
    id: i64,
    month: String,
    #[schema(value_type = f64)]
    percent: anju_reports::view::Num,
    text: String,
    /// submitted approved returned。
    state: String,
    entered_by: String,
    entered_at: String,
    reviewed_by: Option<String>,
    reviewed_at: Option<String>,
    note: Option<String>,
    files: Vec<WorkFileOut>,
}

/// A work item with its light for today.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct WorkItemOut {
    id: i64,
    task: u16,
    task_name: String,
    year: i32,
    title: String,
    owner: String,
    co_units: Vec<String>,
    start: String,
    deadline: String,
    milestones: Vec<WorkStepOut>,
    /// 最近一次已审核的完成百分比。
    #[schema(value_type = Option<f64>)]
    percent: Option<anju_reports::view::Num>,
    /// done green yellow red。
    light: &'static str,
    light_label: &'static str,
    light_reason: String,
    created_by: String,
    created_at: String,
    reports: Vec<WorkReportOut>,
}

/// Items.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct WorkItemsOut {
    today: String,
    items: Vec<WorkItemOut>,
}

pub(crate) fn item_out(
    plan: &anju_core::plan::Plan,
    w: WorkItem,
    percent: Option<rust_decimal::Decimal>,
    light: (anju_core::work::WorkLight, String),
) -> WorkItemOut {
    use anju_reports::view::Num;
    WorkItemOut {
        task_name: plan
            .tasks
            .iter()
            .find(|t| t.code == w.task)
            .map_or_else(String::new, |t| t.name.clone()),
        id: w.id,
        task: w.task,
        year: w.year,
        title: w.title,
        owner: w.owner,
        co_units: w.co_units,
        start: w.start.to_string(),
        deadline: w.deadline.to_string(),
        milestones: w
            .steps
            .into_iter()
            .map(|s| WorkStepOut {
                name: s.name,
                due: s.due.to_string(),
                done: s.done.map(|d| d.to_string()),
            })
            .collect(),
        percent: percent.map(|p| Num(p.normalize())),
        light: light.0.as_str(),
        light_label: light.0.label(),
        light_reason: light.1,
        created_by: w.created_by,
        created_at: w.created_at,
        reports: w
            .reports
            .into_iter()
            .map(|r| WorkReportOut {
                id: r.id,
                month: r.month.to_string(),
                percent: Num(r.percent),
                text: r.text,
                state: r.state,
                entered_by: r.entered_by,
                entered_at: r.entered_at,
                reviewed_by: r.reviewed_by,
                reviewed_at: r.reviewed_at,
                note: r.note,
                files: r
                    .files
                    .into_iter()
                    .map(|f| WorkFileOut {
                        url: format!("/api/v1/work-items/files/{}", f.id),
                        id: f.id,
                        name: f.name,
                        size: f.size,
                        sm3: f.sm3,
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn answer(state: &AppState, plan: &anju_core::plan::Plan, w: WorkItem) -> WorkItemOut {
    let (p, l) = service::standing(plan, &w, crate::now(state).date);
    item_out(plan, w, p, l)
}

/// `POST /api/v1/work-items` (the task force).
#[utoipa::path(
    post,
    path = "/api/v1/work-items",
    tag = "工作要点",
    summary = "下达年度工作要点(专班):任务、年度、牵头与配合单位、完成时限和时间节点",
    request_body = WorkItemIn,
    responses(
        (status = 201, body = WorkItemOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 422, description = "输入有误,指明字段", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    who: Authed,
    JsonBody(body): JsonBody<WorkItemIn>,
) -> Result<Response, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let draft = service::Draft {
        task: body.task,
        year: body.year,
        title: body.title,
        owner: body.owner,
        co_units: match body.co_units {
            None | Some(serde_json::Value::Null) => None,
            v => Some(crate::api::supervision::co_units(v)?),
        },
        deadline: body.deadline,
        milestones: milestones_of(body.milestones)?,
    };
    let w = service::create(&state.store, &plan, &me, &draft, &crate::now(&state)).await?;
    Ok((StatusCode::CREATED, Json(answer(&state, &plan, w))).into_response())
}

/// Filters.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct WorkListQuery {
    /// 重点任务序号。
    task: Option<u16>,
    /// 年度。
    year: Option<i32>,
}

/// `GET /api/v1/work-items[?task=&year=]`.
#[utoipa::path(
    get,
    path = "/api/v1/work-items",
    tag = "工作要点",
    summary = "工作要点列表(专班、市领导看全部;部门看本单位牵头或配合的)",
    params(WorkListQuery),
    responses(
        (status = 200, body = WorkItemsOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    who: Authed,
    QueryParams(q): QueryParams<WorkListQuery>,
) -> Result<Json<WorkItemsOut>, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let today = crate::now(&state).date;
    let all = service::list(&state.store, &plan, &me, q.task, q.year, today).await?;
    Ok(Json(WorkItemsOut {
        today: today.to_string(),
        items: all
            .into_iter()
            .map(|(w, p, l)| item_out(&plan, w, p, l))
            .collect(),
    }))
}

/// `GET /api/v1/work-items/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/work-items/{id}",
    tag = "工作要点",
    summary = "一项工作要点,含节点和每月进展",
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = WorkItemOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 404, description = "不存在", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn one(
    State(state): State<AppState>,
    who: Authed,
    PathParam(id): PathParam<i64>,
) -> Result<Json<WorkItemOut>, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let w = service::one(&state.store, &plan, &me, id).await?;
    Ok(Json(answer(&state, &plan, w)))
}

/// The form of a report (for the document).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(crate) struct WorkReportForm {
    /// 完成百分比(0—100)。
    percent: String,
    /// 本月工作进展。
    text: String,
    /// 月份(YYYY-MM,默认本月)。
    month: Option<String>,
    /// 附件(PDF、OFD、Word、WPS、Excel、图片、文本,每个至多 10 MB,至多 5 个)。
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<String>,
}

/// The largest report form.
pub(crate) const MAX_REPORT_BODY: usize = 60 << 20;

/// `POST /api/v1/work-items/{id}/reports` (multipart; the owner).
#[utoipa::path(
    post,
    path = "/api/v1/work-items/{id}/reports",
    tag = "工作要点",
    summary = "报送本月进展(牵头单位):百分比、说明和附件,待专班审核",
    params(("id" = i64, Path)),
    request_body(content = WorkReportForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = WorkItemOut),
        (status = 400, description = "表单有误", body = ErrorDoc),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "不是牵头单位", body = ErrorDoc),
        (status = 404, description = "不存在", body = ErrorDoc),
        (status = 413, description = "表单过大", body = ErrorDoc),
        (status = 422, description = "输入有误,指明字段", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn report(
    State(state): State<AppState>,
    who: Authed,
    PathParam(id): PathParam<i64>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "bad_form", m);
    let mut form =
        form.map_err(|e| bad(format!("须为 multipart/form-data 表单:{}", e.body_text())))?;
    let (mut percent, mut text, mut month) = (String::new(), String::new(), None);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| bad(format!("表单有误:{}", e.body_text())))?
    {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let file = field.file_name().unwrap_or("附件").to_string();
            let bytes = field.bytes().await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "too_large",
                        format!("附件合计超过 {} MiB", MAX_REPORT_BODY >> 20),
                    )
                } else {
                    bad(format!("无法读取附件:{}", e.body_text()))
                }
            })?;
            if !bytes.is_empty() {
                files.push((file, bytes.to_vec()));
            }
            continue;
        }
        let value = field.text().await.unwrap_or_default();
        match name.as_str() {
            "percent" => percent = value,
            "text" => text = value,
            "month" => month = Some(value),
            other => return Err(invalid(other.to_string(), "不认识的字段")),
        }
    }
    let plan = state.plan();
    let me = who.actor(&plan);
    let w = service::report(
        &state.store,
        &plan,
        &me,
        id,
        month.as_deref(),
        &percent,
        &text,
        &files,
        &crate::now(&state),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(answer(&state, &plan, w))).into_response())
}

/// A review's note.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WorkNoteIn {
    /// 说明;退回时必填。
    #[serde(default)]
    note: Option<String>,
}

async fn review(
    state: AppState,
    who: Authed,
    (id, report): (i64, i64),
    body: WorkNoteIn,
    approve: bool,
) -> Result<Json<WorkItemOut>, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let w = service::review(
        &state.store,
        &plan,
        &me,
        id,
        report,
        approve,
        body.note.as_deref(),
        &crate::now(&state),
    )
    .await?;
    Ok(Json(answer(&state, &plan, w)))
}

/// `POST /api/v1/work-items/{id}/reports/{report}/approve` (the task force).
#[utoipa::path(
    post,
    path = "/api/v1/work-items/{id}/reports/{report}/approve",
    tag = "工作要点",
    summary = "审核通过本月进展(专班)",
    params(("id" = i64, Path), ("report" = i64, Path)),
    request_body = WorkNoteIn,
    responses(
        (status = 200, body = WorkItemOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 404, description = "不存在", body = ErrorDoc),
        (status = 409, description = "已审核", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn approve(
    State(state): State<AppState>,
    who: Authed,
    PathParam(ids): PathParam<(i64, i64)>,
    JsonBody(body): JsonBody<WorkNoteIn>,
) -> Result<Json<WorkItemOut>, ApiError> {
    review(state, who, ids, body, true).await
}

/// `POST /api/v1/work-items/{id}/reports/{report}/return` (the task force).
#[utoipa::path(
    post,
    path = "/api/v1/work-items/{id}/reports/{report}/return",
    tag = "工作要点",
    summary = "退回本月进展(专班,须写理由)",
    params(("id" = i64, Path), ("report" = i64, Path)),
    request_body = WorkNoteIn,
    responses(
        (status = 200, body = WorkItemOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 404, description = "不存在", body = ErrorDoc),
        (status = 409, description = "已审核", body = ErrorDoc),
        (status = 422, description = "未写理由", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn give_back(
    State(state): State<AppState>,
    who: Authed,
    PathParam(ids): PathParam<(i64, i64)>,
    JsonBody(body): JsonBody<WorkNoteIn>,
) -> Result<Json<WorkItemOut>, ApiError> {
    review(state, who, ids, body, false).await
}

/// A milestone done.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WorkDoneIn {
    /// 完成日期(YYYY-MM-DD)。
    done: String,
}

/// `POST /api/v1/work-items/{id}/milestones/{n}` (the owner).
#[utoipa::path(
    post,
    path = "/api/v1/work-items/{id}/milestones/{n}",
    tag = "工作要点",
    summary = "填写第 n 个时间节点的完成日期(牵头单位)",
    params(("id" = i64, Path), ("n" = usize, Path, description = "第几个节点,从 1 起")),
    request_body = WorkDoneIn,
    responses(
        (status = 200, body = WorkItemOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 404, description = "不存在", body = ErrorDoc),
        (status = 422, description = "日期有误", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn milestone(
    State(state): State<AppState>,
    who: Authed,
    PathParam((id, n)): PathParam<(i64, usize)>,
    JsonBody(body): JsonBody<WorkDoneIn>,
) -> Result<Json<WorkItemOut>, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let w = service::milestone(
        &state.store,
        &plan,
        &me,
        id,
        n,
        &body.done,
        &crate::now(&state),
    )
    .await?;
    Ok(Json(answer(&state, &plan, w)))
}

/// `GET /api/v1/work-items/files/{file}`: an attachment, as a download.
#[utoipa::path(
    get,
    path = "/api/v1/work-items/files/{file}",
    tag = "工作要点",
    summary = "下载进展的附件",
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

/// Work items imported.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct WorkItemsImported {
    imported: usize,
    ids: Vec<i64>,
}

/// The form of a work-item list.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(crate) struct WorkImportForm {
    /// 工作要点清单(.xlsx 或 CSV;表头为 重点任务、年度、工作要点、牵头单位、配合单位、完成时限、时间节点)。
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// `POST /api/v1/work-items/import` (the task force): all or none.
#[utoipa::path(
    post,
    path = "/api/v1/work-items/import",
    tag = "工作要点",
    summary = "导入年度工作要点清单(专班,.xlsx 或 CSV):每行按下达检查,整份文件全部导入或一条也不导入",
    request_body(content = WorkImportForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = WorkItemsImported),
        (status = 400, description = "表单有误", body = ErrorDoc),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 413, description = "文件过大", body = ErrorDoc),
        (status = 415, description = "旧版 .xls", body = ErrorDoc),
        (status = 422, description = "有错误的行,每一行都列出", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn import(
    State(state): State<AppState>,
    who: Authed,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let form = crate::api::imports::read_form(form, "工作要点.csv").await?;
    let Some((name, bytes)) = form.file else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_form",
            "表单中没有 file 字段(工作要点清单文件)",
        ));
    };
    let plan = state.plan();
    let me = who.actor(&plan);
    let ids = service::import(&state.store, &plan, &me, &name, &bytes, &crate::now(&state)).await?;
    Ok((
        StatusCode::CREATED,
        Json(WorkItemsImported {
            imported: ids.len(),
            ids,
        }),
    )
        .into_response())
}

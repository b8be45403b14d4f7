//! 项目库 over HTTP, a contract other tools rely on: a town adds a project
//! and gets its milestones counted back (倒排工期); it reports monthly
//! progress with photos (multipart), marks milestones met and moves the
//! stage; the task force reviews the progress. Each project comes with its
//! light and 有效投资 for today.

use anju_store::Project;
use axum::Json;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::api::values::number_text;
use crate::auth::Authed;
use crate::service::projects as service;
use crate::{ApiError, AppState, ErrorDoc, JsonBody, PathParam, QueryParams, invalid};

/// A new project.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProjectIn {
    /// 项目名称。
    #[schema(example = "硖石街道文苑小区加装电梯")]
    name: String,
    /// 项目类型(计划文件中的名称,如 加装电梯、保障性租赁住房)。
    #[serde(rename = "type")]
    #[schema(example = "加装电梯")]
    kind: String,
    /// 所在镇(街道);镇(街道)用户可不填。
    #[serde(default)]
    #[schema(example = "硖石街道")]
    town: Option<String>,
    /// 计划竣工日期(YYYY-MM-DD)。
    #[schema(example = "2027-06-30")]
    planned_completion: String,
    /// 计划总投资(万元,数字或字符串,精确保存)。
    #[schema(schema_with = crate::api::either::number, example = "85.5")]
    planned_investment: serde_json::Value,
    /// 竣工后计入指标的数量(该类型有默认值时可不填)。
    #[serde(default)]
    #[schema(schema_with = crate::api::either::number_or_null, example = "1")]
    contribution: Option<serde_json::Value>,
    /// 储备(默认)、年度实施或在建。
    #[serde(default)]
    stage: Option<String>,
}

/// A milestone.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ProjectMilestoneOut {
    name: String,
    /// 计划日期(倒排)。
    planned: String,
    /// 实际完成日期。
    actual: Option<String>,
}

/// A photo of an entry.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PhotoOut {
    id: i64,
    name: String,
    /// 拍摄时间(照片 EXIF)。
    taken: Option<String>,
    /// 拍摄地点 [纬度, 经度](照片 EXIF)。
    place: Option<[String; 2]>,
    width: u32,
    height: u32,
    /// 照片地址(重新编码,不含原图元数据)。
    url: String,
    thumb_url: String,
}

/// A 形象进度 entry.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ProgressOut {
    id: i64,
    month: String,
    #[schema(value_type = f64)]
    percent: anju_reports::view::Num,
    text: String,
    /// 本月完成投资(万元)。
    #[schema(value_type = f64)]
    invested: anju_reports::view::Num,
    /// submitted(待审核)approved returned。
    state: String,
    /// 提示(照片无拍摄时间、拍摄过早等)。
    flags: Vec<String>,
    entered_by: String,
    entered_at: String,
    reviewed_by: Option<String>,
    reviewed_at: Option<String>,
    note: Option<String>,
    photos: Vec<PhotoOut>,
}

/// A project with its figures for today.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ProjectOut {
    id: i64,
    name: String,
    #[serde(rename = "type")]
    kind: String,
    town: String,
    /// reserve planned building completed delivered。
    stage: &'static str,
    stage_label: &'static str,
    planned_completion: String,
    /// 计划总投资(万元)。
    #[schema(value_type = f64)]
    planned_investment: anju_reports::view::Num,
    /// 竣工后计入的指标序号。
    indicator: Option<u16>,
    #[schema(value_type = Option<f64>)]
    contribution: Option<anju_reports::view::Num>,
    milestones: Vec<ProjectMilestoneOut>,
    /// 各月计划投资(万元)。
    #[schema(value_type = Object)]
    plan: serde_json::Value,
    /// 截至本月计划投资。
    #[schema(value_type = f64)]
    planned_to_date: anju_reports::view::Num,
    /// 已审核的完成投资。
    #[schema(value_type = f64)]
    completed_to_date: anju_reports::view::Num,
    /// 投资完成率(%)。
    #[schema(value_type = Option<f64>)]
    investment_rate: Option<anju_reports::view::Num>,
    /// ahead on_plan behind(超前、正常、滞后)。
    investment_pace: Option<&'static str>,
    /// 最近一次已审核的形象进度(%)。
    #[schema(value_type = Option<f64>)]
    percent: Option<anju_reports::view::Num>,
    /// none green yellow red。
    light: &'static str,
    light_label: &'static str,
    light_reason: String,
    created_by: String,
    created_at: String,
    progress: Vec<ProgressOut>,
}

/// Projects.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ProjectsOut {
    today: String,
    projects: Vec<ProjectOut>,
}

pub(crate) fn project_out(
    plan: &anju_core::plan::Plan,
    p: Project,
    s: service::Standing,
) -> ProjectOut {
    use anju_reports::view::Num;
    let indicator = plan
        .project_type(&p.kind)
        .and_then(|t| t.indicator)
        .map(|c| c.0);
    let mut monthly = serde_json::Map::new();
    for (m, a) in &p.plan {
        monthly.insert(
            m.to_string(),
            serde_json::Value::String(a.normalize().to_string()),
        );
    }
    ProjectOut {
        id: p.id,
        name: p.name,
        kind: p.kind,
        town: p.town,
        stage: p.stage.as_str(),
        stage_label: p.stage.label(),
        planned_completion: p.planned_completion.to_string(),
        planned_investment: Num(p.planned_investment),
        indicator,
        contribution: p.contribution.map(Num),
        milestones: p
            .milestones
            .into_iter()
            .map(|m| ProjectMilestoneOut {
                name: m.name,
                planned: m.planned.to_string(),
                actual: m.actual.map(|d| d.to_string()),
            })
            .collect(),
        plan: serde_json::Value::Object(monthly),
        planned_to_date: Num(s.planned_to_date),
        completed_to_date: Num(s.completed_to_date),
        investment_rate: s.rate.map(Num),
        investment_pace: s.pace.map(|x| x.as_str()),
        percent: s.percent.map(Num),
        light: s.light.0.as_str(),
        light_label: s.light.0.label(),
        light_reason: s.light.1,
        created_by: p.created_by,
        created_at: p.created_at,
        progress: p
            .progress
            .into_iter()
            .map(|e| ProgressOut {
                id: e.id,
                month: e.month.to_string(),
                percent: Num(e.percent),
                text: e.text,
                invested: Num(e.invested),
                state: e.state,
                flags: e.flags,
                entered_by: e.entered_by,
                entered_at: e.entered_at,
                reviewed_by: e.reviewed_by,
                reviewed_at: e.reviewed_at,
                note: e.note,
                photos: e
                    .photos
                    .into_iter()
                    .map(|f| PhotoOut {
                        url: format!("/api/v1/projects/photos/{}", f.id),
                        thumb_url: format!("/api/v1/projects/photos/{}?thumb=1", f.id),
                        id: f.id,
                        name: f.name,
                        taken: f.taken,
                        place: f.place.map(|(a, b)| [a, b]),
                        width: f.width,
                        height: f.height,
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn answer(state: &AppState, plan: &anju_core::plan::Plan, p: Project) -> ProjectOut {
    let s = service::standing(plan, &p, crate::now(state).date);
    project_out(plan, p, s)
}

/// `POST /api/v1/projects`: a project with its 倒排工期.
#[utoipa::path(
    post,
    path = "/api/v1/projects",
    tag = "项目",
    summary = "新增项目(本镇街,或专班代为),按项目类型的阶段从计划竣工日期倒排节点",
    request_body = ProjectIn,
    responses(
        (status = 201, body = ProjectOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 422, description = "输入有误,指明字段", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    who: Authed,
    JsonBody(body): JsonBody<ProjectIn>,
) -> Result<Response, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let draft = service::Draft {
        name: body.name,
        kind: body.kind,
        town: body.town,
        planned_completion: body.planned_completion,
        planned_investment: number_text("planned_investment", &Some(body.planned_investment))?,
        contribution: match body.contribution {
            None => None,
            v => Some(number_text("contribution", &v)?),
        },
        stage: body.stage,
    };
    let p = service::create(&state.store, &plan, &me, &draft, &crate::now(&state)).await?;
    Ok((StatusCode::CREATED, Json(answer(&state, &plan, p))).into_response())
}

/// Filters.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ProjectListQuery {
    /// 镇(街道)。
    town: Option<String>,
}

/// `GET /api/v1/projects[?town=]`.
#[utoipa::path(
    get,
    path = "/api/v1/projects",
    tag = "项目",
    summary = "项目列表(专班、市领导看全部,镇街看本镇街),红灯在前",
    params(ProjectListQuery),
    responses(
        (status = 200, body = ProjectsOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 422, description = "筛选条件有误", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    who: Authed,
    QueryParams(q): QueryParams<ProjectListQuery>,
) -> Result<Json<ProjectsOut>, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let today = crate::now(&state).date;
    let all = service::list(&state.store, &plan, &me, q.town.as_deref(), today).await?;
    Ok(Json(ProjectsOut {
        today: today.to_string(),
        projects: all
            .into_iter()
            .map(|(p, s)| project_out(&plan, p, s))
            .collect(),
    }))
}

/// `GET /api/v1/projects/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/projects/{id}",
    tag = "项目",
    summary = "一个项目:节点、各月计划投资、形象进度与照片",
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = ProjectOut),
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
) -> Result<Json<ProjectOut>, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let p = service::one(&state.store, &plan, &me, id).await?;
    Ok(Json(answer(&state, &plan, p)))
}

/// The form of a progress entry (for the document).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(crate) struct ProjectProgressForm {
    /// 形象进度(%)。
    percent: String,
    /// 本月形象进度说明。
    text: String,
    /// 本月完成投资(万元)。
    invested: Option<String>,
    /// 月份(YYYY-MM,默认本月)。
    month: Option<String>,
    /// 现场照片(JPEG 或 PNG,每张至多 8 MB,至多 9 张)。
    #[schema(value_type = Vec<String>, format = Binary)]
    photo: Vec<String>,
}

/// A progress entry as answered: the project and what was flagged.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ProgressAnswer {
    project: ProjectOut,
    /// 本次填报的提示(如照片无拍摄时间)。
    flags: Vec<String>,
}

/// The largest progress form (several photos).
pub(crate) const MAX_PROGRESS_BODY: usize = 80 << 20;

/// `POST /api/v1/projects/{id}/progress` (multipart).
#[utoipa::path(
    post,
    path = "/api/v1/projects/{id}/progress",
    tag = "项目",
    summary = "填报形象进度(本镇街):百分比、说明、本月完成投资和现场照片,待专班审核",
    params(("id" = i64, Path)),
    request_body(content = ProjectProgressForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = ProgressAnswer),
        (status = 400, description = "表单有误", body = ErrorDoc),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 404, description = "不存在", body = ErrorDoc),
        (status = 413, description = "表单过大", body = ErrorDoc),
        (status = 422, description = "输入有误(照片过大、不是照片等),指明字段", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn progress(
    State(state): State<AppState>,
    who: Authed,
    PathParam(id): PathParam<i64>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "bad_form", m);
    let mut form =
        form.map_err(|e| bad(format!("须为 multipart/form-data 表单:{}", e.body_text())))?;
    let mut entry = service::Entry::default();
    let mut photos: Vec<(String, Vec<u8>)> = Vec::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| bad(format!("表单有误:{}", e.body_text())))?
    {
        let name = field.name().unwrap_or("").to_string();
        if name == "photo" {
            let file = field.file_name().unwrap_or("照片").to_string();
            let bytes = field.bytes().await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "too_large",
                        format!("照片合计超过 {} MiB,请分几次上传", MAX_PROGRESS_BODY >> 20),
                    )
                } else {
                    bad(format!("无法读取照片:{}", e.body_text()))
                }
            })?;
            if !bytes.is_empty() {
                photos.push((file, bytes.to_vec()));
            }
            continue;
        }
        let text = field.text().await.unwrap_or_default();
        match name.as_str() {
            "percent" => entry.percent = text,
            "text" => entry.text = text,
            "invested" => entry.invested = Some(text),
            "month" => entry.month = Some(text),
            other => return Err(invalid(other.to_string(), "不认识的字段")),
        }
    }
    let plan = state.plan();
    let me = who.actor(&plan);
    let (p, flags) = service::progress(
        &state.store,
        &plan,
        &me,
        id,
        &entry,
        &photos,
        &crate::now(&state),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ProgressAnswer {
            project: answer(&state, &plan, p),
            flags,
        }),
    )
        .into_response())
}

/// A review's note.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProjectNoteIn {
    /// 说明;退回时必填。
    #[serde(default)]
    note: Option<String>,
}

async fn review(
    state: AppState,
    who: Authed,
    (id, entry): (i64, i64),
    body: ProjectNoteIn,
    approve: bool,
) -> Result<Json<ProjectOut>, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let p = service::review(
        &state.store,
        &plan,
        &me,
        id,
        entry,
        approve,
        body.note.as_deref(),
        &crate::now(&state),
    )
    .await?;
    Ok(Json(answer(&state, &plan, p)))
}

/// `POST /api/v1/projects/{id}/progress/{entry}/approve` (the task force).
#[utoipa::path(
    post,
    path = "/api/v1/projects/{id}/progress/{entry}/approve",
    tag = "项目",
    summary = "审核通过形象进度(专班)",
    params(("id" = i64, Path), ("entry" = i64, Path)),
    request_body = ProjectNoteIn,
    responses(
        (status = 200, body = ProjectOut),
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
    JsonBody(body): JsonBody<ProjectNoteIn>,
) -> Result<Json<ProjectOut>, ApiError> {
    review(state, who, ids, body, true).await
}

/// `POST /api/v1/projects/{id}/progress/{entry}/return` (the task force).
#[utoipa::path(
    post,
    path = "/api/v1/projects/{id}/progress/{entry}/return",
    tag = "项目",
    summary = "退回形象进度(专班,须写理由)",
    params(("id" = i64, Path), ("entry" = i64, Path)),
    request_body = ProjectNoteIn,
    responses(
        (status = 200, body = ProjectOut),
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
    JsonBody(body): JsonBody<ProjectNoteIn>,
) -> Result<Json<ProjectOut>, ApiError> {
    review(state, who, ids, body, false).await
}

/// A milestone met.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProjectMilestoneIn {
    /// 实际完成日期(YYYY-MM-DD)。
    #[schema(example = "2027-02-28")]
    actual: String,
}

/// `POST /api/v1/projects/{id}/milestones/{n}` (the town): the n-th milestone met.
#[utoipa::path(
    post,
    path = "/api/v1/projects/{id}/milestones/{n}",
    tag = "项目",
    summary = "填写第 n 个节点的实际完成日期(本镇街)",
    params(("id" = i64, Path), ("n" = usize, Path, description = "第几个节点,从 1 起")),
    request_body = ProjectMilestoneIn,
    responses(
        (status = 200, body = ProjectOut),
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
    JsonBody(body): JsonBody<ProjectMilestoneIn>,
) -> Result<Json<ProjectOut>, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let p = service::milestone(
        &state.store,
        &plan,
        &me,
        id,
        n,
        &body.actual,
        &crate::now(&state),
    )
    .await?;
    Ok(Json(answer(&state, &plan, p)))
}

/// A stage.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StageIn {
    /// 储备、年度实施、在建、竣工、交付(或 reserve planned building completed delivered)。
    #[schema(example = "在建")]
    stage: String,
}

/// `POST /api/v1/projects/{id}/stage` (the town): forward only.
#[utoipa::path(
    post,
    path = "/api/v1/projects/{id}/stage",
    tag = "项目",
    summary = "推进项目阶段(本镇街;只能向前,竣工须全部节点已完成)",
    params(("id" = i64, Path)),
    request_body = StageIn,
    responses(
        (status = 200, body = ProjectOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 404, description = "不存在", body = ErrorDoc),
        (status = 409, description = "阶段不能后退,或尚有节点未完成", body = ErrorDoc),
        (status = 422, description = "阶段有误", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn stage(
    State(state): State<AppState>,
    who: Authed,
    PathParam(id): PathParam<i64>,
    JsonBody(body): JsonBody<StageIn>,
) -> Result<Json<ProjectOut>, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let p = service::stage(
        &state.store,
        &plan,
        &me,
        id,
        &body.stage,
        &crate::now(&state),
    )
    .await?;
    Ok(Json(answer(&state, &plan, p)))
}

/// `?thumb=1` for the thumbnail.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PhotoQuery {
    /// 1:缩略图。
    thumb: Option<String>,
}

/// `GET /api/v1/projects/photos/{photo}`: a photo (re-encoded JPEG).
#[utoipa::path(
    get,
    path = "/api/v1/projects/photos/{photo}",
    tag = "项目",
    summary = "项目照片(重新编码的 JPEG;?thumb=1 为缩略图)",
    params(("photo" = i64, Path), PhotoQuery),
    responses(
        (status = 200, description = "JPEG", content_type = "image/jpeg"),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 404, description = "不存在", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn photo(
    State(state): State<AppState>,
    who: Authed,
    PathParam(photo): PathParam<i64>,
    QueryParams(q): QueryParams<PhotoQuery>,
) -> Result<Response, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let thumb = q.thumb.as_deref().is_some_and(|t| t == "1" || t == "true");
    let bytes = service::photo(&state.store, &plan, &me, photo, thumb).await?;
    let mut r = bytes.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    Ok(r)
}

/// The form of a project list.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(crate) struct ProjectImportForm {
    /// 项目清单(.xlsx 或 CSV;表头为 项目名称、项目类型、镇(街道)、计划竣工日期、计划总投资(万元)、竣工后计入数量、阶段)。
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Projects imported.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ProjectsImported {
    /// 导入的项目数。
    imported: usize,
    /// 新项目的编号。
    ids: Vec<i64>,
}

/// `POST /api/v1/projects/import`: a project list (储备库), all or none.
#[utoipa::path(
    post,
    path = "/api/v1/projects/import",
    tag = "项目",
    summary = "导入项目清单(储备库,.xlsx 或 CSV):每行按新增项目检查,整份文件全部导入或一条也不导入",
    request_body(content = ProjectImportForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = ProjectsImported),
        (status = 400, description = "表单有误", body = ErrorDoc),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
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
    let form = crate::api::imports::read_form(form, "项目清单.csv").await?;
    let Some((name, bytes)) = form.file else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_form",
            "表单中没有 file 字段(项目清单文件)",
        ));
    };
    let plan = state.plan();
    let me = who.actor(&plan);
    let ids = service::import(&state.store, &plan, &me, &name, &bytes, &crate::now(&state)).await?;
    Ok((
        StatusCode::CREATED,
        Json(ProjectsImported {
            imported: ids.len(),
            ids,
        }),
    )
        .into_response())
}

/// A phase.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PhaseIo {
    /// 阶段(以其节点命名)。
    name: String,
    /// 工期(天,数字或字符串)。
    #[schema(schema_with = crate::api::either::number)]
    days: serde_json::Value,
}

/// A project type's phases in force.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct TemplateOut {
    #[serde(rename = "type")]
    kind: String,
    phases: Vec<PhaseIo>,
    /// 专班改过的:谁、何时;为空则是计划文件的。
    changed_by: Option<String>,
    changed_at: Option<String>,
}

/// Templates.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct TemplatesOut {
    templates: Vec<TemplateOut>,
}

fn template_out(t: service::Template) -> TemplateOut {
    let (changed_by, changed_at) = t.changed.map_or((None, None), |(b, a)| (Some(b), Some(a)));
    TemplateOut {
        kind: t.kind,
        phases: t
            .phases
            .into_iter()
            .map(|p| PhaseIo {
                name: p.name,
                days: p.days.into(),
            })
            .collect(),
        changed_by,
        changed_at,
    }
}

/// `GET /api/v1/projects/templates`: each type's phases in force (倒排工期的模板).
#[utoipa::path(
    get,
    path = "/api/v1/projects/templates",
    tag = "项目",
    summary = "各项目类型的阶段模板(倒排工期按此计算)",
    responses(
        (status = 200, body = TemplatesOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn templates(
    State(state): State<AppState>,
    who: Authed,
) -> Result<Json<TemplatesOut>, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    me.may(&plan, &anju_core::access::Action::OpenProjects)
        .map_err(crate::service::Error::from)?;
    let all = service::templates_in_force(&state.store, &plan).await?;
    Ok(Json(TemplatesOut {
        templates: all.into_iter().map(template_out).collect(),
    }))
}

/// New phases of a type.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TemplateIn {
    /// 按顺序的阶段;最后一个阶段在计划竣工日期结束。也可写成每行一个“阶段 天数”的文字。
    #[schema(schema_with = crate::api::either::phases)]
    phases: serde_json::Value,
}

/// `PUT /api/v1/projects/templates/{type}` (the task force).
#[utoipa::path(
    put,
    path = "/api/v1/projects/templates/{type}",
    tag = "项目",
    summary = "修改项目类型的阶段模板(专班;此后新增的项目按新模板倒排,已有项目的节点不变)",
    params(("type" = String, Path, description = "项目类型")),
    request_body = TemplateIn,
    responses(
        (status = 200, body = TemplateOut),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权", body = ErrorDoc),
        (status = 404, description = "没有这个项目类型", body = ErrorDoc),
        (status = 422, description = "阶段有误", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn set_template(
    State(state): State<AppState>,
    who: Authed,
    PathParam(kind): PathParam<String>,
    JsonBody(body): JsonBody<TemplateIn>,
) -> Result<Json<TemplateOut>, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let mut phases = Vec::new();
    match body.phases {
        serde_json::Value::String(text) => {
            for (k, line) in text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .enumerate()
            {
                let Some((name, days)) = line.rsplit_once(|c: char| c.is_whitespace()) else {
                    return Err(invalid(
                        format!("phases[{k}]"),
                        format!("“{line}”应写作“阶段 天数”,如“开工 30”"),
                    ));
                };
                phases.push((
                    name.trim().to_string(),
                    days.trim().trim_end_matches('天').to_string(),
                ));
            }
        }
        other => {
            let list: Vec<PhaseIo> = serde_json::from_value(other)
                .map_err(|e| invalid("phases", format!("应为阶段列表:{e}")))?;
            for (k, p) in list.into_iter().enumerate() {
                let days = number_text(&format!("phases[{k}].days"), &Some(p.days))?;
                phases.push((p.name, days));
            }
        }
    }
    let now = crate::now(&state);
    let set = service::set_template(&state.store, &plan, &me, &kind, &phases, &now).await?;
    Ok(Json(template_out(service::Template {
        kind,
        phases: set,
        changed: Some((me.name.to_string(), now.stamp)),
    })))
}

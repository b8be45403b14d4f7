//! The 工作调度 lists as .xlsx, for the 专班's meetings and the units' files:
//! the 督办 items (each unit's part a row), the projects and the work items,
//! as the caller may read them, with their colours for today.

use anju_reports::sheets::{ListCell, list_xlsx};
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use crate::auth::Authed;
use crate::{ApiError, AppState, ErrorDoc, QueryParams, xlsx_answer};

fn text(s: impl Into<String>) -> ListCell {
    ListCell::Text(s.into())
}

fn internal(e: String) -> ApiError {
    tracing::error!(error = %e, "表格生成失败");
    ApiError::from(crate::service::Error::internal())
}

/// Filters of the 督办 export.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExportSupervisionQuery {
    /// red yellow blue green done。
    light: Option<String>,
    /// 承办单位。
    unit: Option<String>,
}

/// `GET /api/v1/exports/supervision`: the 督办 list, a row per unit's part.
#[utoipa::path(
    get,
    path = "/api/v1/exports/supervision",
    tag = "督办",
    summary = "导出督办事项清单(.xlsx,每个承办单位一行)",
    params(ExportSupervisionQuery),
    responses(
        (status = 200, description = "督办清单", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 422, description = "筛选条件有误", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn supervision(
    State(state): State<AppState>,
    who: Authed,
    QueryParams(q): QueryParams<ExportSupervisionQuery>,
) -> Result<Response, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let today = crate::now(&state).date;
    let filter = crate::service::supervision::Filter {
        light: q.light,
        unit: q.unit,
    };
    let items = crate::service::supervision::list(&state.store, &plan, &me, &filter, today).await?;
    let mut rows = Vec::new();
    for (item, c) in &items {
        for (a, (l, why)) in item.assignments.iter().zip(&c.assignments) {
            rows.push(vec![
                ListCell::Number(item.id.into()),
                text(&item.title),
                text(format!(
                    "{}{} {}",
                    item.source.label(),
                    item.source_date
                        .map_or_else(String::new, |d| format!(" {d}")),
                    item.source_ref
                )),
                text(item.urgency.label()),
                text(&a.unit),
                text(if a.lead { "牵头" } else { "配合" }),
                text(a.state.label()),
                text(a.due.to_string()),
                text(l.label()),
                text(why),
                a.percent.map_or(ListCell::Empty, ListCell::Number),
                text(a.signed_at.clone().unwrap_or_default()),
                text(a.closed_at.clone().unwrap_or_default()),
                ListCell::Number(a.returns.into()),
            ]);
        }
    }
    let columns = [
        ("编号", 6.0),
        ("督办事项", 40.0),
        ("来源", 30.0),
        ("紧急程度", 8.0),
        ("承办单位", 14.0),
        ("牵头/配合", 8.0),
        ("状态", 8.0),
        ("办理时限", 12.0),
        ("颜色", 10.0),
        ("说明", 30.0),
        ("完成(%)", 8.0),
        ("签收时间", 20.0),
        ("办结时间", 20.0),
        ("退办次数", 8.0),
    ];
    let bytes = list_xlsx(
        "督办清单",
        &format!("督办事项清单(截至 {today})"),
        &columns,
        &rows,
    )
    .map_err(internal)?;
    Ok(xlsx_answer(
        bytes,
        "supervision.xlsx",
        &format!("督办清单-{today}.xlsx"),
    ))
}

/// Filters of the project export.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ProjectQuery {
    /// 镇(街道)。
    town: Option<String>,
}

/// `GET /api/v1/exports/projects`: the project list.
#[utoipa::path(
    get,
    path = "/api/v1/exports/projects",
    tag = "项目",
    summary = "导出项目清单(.xlsx)",
    params(ProjectQuery),
    responses(
        (status = 200, description = "项目清单", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 422, description = "筛选条件有误", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn projects(
    State(state): State<AppState>,
    who: Authed,
    QueryParams(q): QueryParams<ProjectQuery>,
) -> Result<Response, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let today = crate::now(&state).date;
    let all =
        crate::service::projects::list(&state.store, &plan, &me, q.town.as_deref(), today).await?;
    let rows: Vec<Vec<ListCell>> = all
        .iter()
        .map(|(p, s)| {
            vec![
                ListCell::Number(p.id.into()),
                text(&p.name),
                text(&p.kind),
                text(&p.town),
                text(p.stage.label()),
                text(p.planned_completion.to_string()),
                ListCell::Number(p.planned_investment),
                ListCell::Number(s.planned_to_date),
                ListCell::Number(s.completed_to_date),
                s.rate.map_or(ListCell::Empty, ListCell::Number),
                s.percent.map_or(ListCell::Empty, ListCell::Number),
                text(s.light.0.label()),
                text(&s.light.1),
                text(
                    p.milestones
                        .iter()
                        .map(|m| {
                            format!(
                                "{} {}{}",
                                m.name,
                                m.planned,
                                m.actual.map_or_else(String::new, |a| format!("(实际 {a})"))
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(";"),
                ),
            ]
        })
        .collect();
    let columns = [
        ("编号", 6.0),
        ("项目名称", 34.0),
        ("项目类型", 14.0),
        ("镇(街道)", 12.0),
        ("阶段", 8.0),
        ("计划竣工", 12.0),
        ("计划总投资(万元)", 14.0),
        ("截至本月计划(万元)", 14.0),
        ("已完成(万元)", 12.0),
        ("投资完成率(%)", 12.0),
        ("形象进度(%)", 10.0),
        ("颜色", 10.0),
        ("说明", 30.0),
        ("节点(倒排工期)", 60.0),
    ];
    let bytes = list_xlsx(
        "项目清单",
        &format!("项目清单(截至 {today})"),
        &columns,
        &rows,
    )
    .map_err(internal)?;
    Ok(xlsx_answer(
        bytes,
        "projects.xlsx",
        &format!("项目清单-{today}.xlsx"),
    ))
}

/// Filters of the work-item export.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct WorkQuery {
    /// 重点任务序号。
    task: Option<u16>,
    /// 年度。
    year: Option<i32>,
}

/// `GET /api/v1/exports/work-items`: the work items.
#[utoipa::path(
    get,
    path = "/api/v1/exports/work-items",
    tag = "工作要点",
    summary = "导出年度工作要点清单(.xlsx)",
    params(WorkQuery),
    responses(
        (status = 200, description = "工作要点清单", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn work_items(
    State(state): State<AppState>,
    who: Authed,
    QueryParams(q): QueryParams<WorkQuery>,
) -> Result<Response, ApiError> {
    let plan = state.plan();
    let me = who.actor(&plan);
    let today = crate::now(&state).date;
    let all = crate::service::work::list(&state.store, &plan, &me, q.task, q.year, today).await?;
    let rows: Vec<Vec<ListCell>> = all
        .iter()
        .map(|(w, p, (l, why))| {
            vec![
                ListCell::Number(w.id.into()),
                ListCell::Number(w.task.into()),
                ListCell::Number(w.year.into()),
                text(&w.title),
                text(&w.owner),
                text(w.co_units.join("、")),
                text(w.deadline.to_string()),
                p.map_or(ListCell::Empty, ListCell::Number),
                text(l.label()),
                text(why),
                text(
                    w.steps
                        .iter()
                        .map(|s| {
                            format!(
                                "{} {}{}",
                                s.name,
                                s.due,
                                s.done.map_or_else(String::new, |d| format!("(完成 {d})"))
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(";"),
                ),
            ]
        })
        .collect();
    let columns = [
        ("编号", 6.0),
        ("重点任务", 8.0),
        ("年度", 6.0),
        ("工作要点", 40.0),
        ("牵头单位", 14.0),
        ("配合单位", 30.0),
        ("完成时限", 12.0),
        ("完成(%)", 8.0),
        ("颜色", 10.0),
        ("说明", 30.0),
        ("时间节点", 50.0),
    ];
    let bytes = list_xlsx(
        "工作要点",
        &format!("年度工作要点(截至 {today})"),
        &columns,
        &rows,
    )
    .map_err(internal)?;
    Ok(xlsx_answer(
        bytes,
        "work-items.xlsx",
        &format!("工作要点-{today}.xlsx"),
    ))
}

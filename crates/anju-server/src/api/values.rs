//! The reporting workflow over HTTP: enter figures as drafts, submit, approve
//! or return them, list them, and evaluate the approved ones. Every handler
//! checks the caller's scope (`anju_core::access`) for each figure it touches;
//! input is checked with the rules the files are (`anju_core::input`), and an
//! error names the field (`values[2].period`).

use anju_core::access::{Action, Actor};

use anju_core::period::{Period, YearMonth};
use anju_core::plan::Plan;

use anju_core::workflow::Step;
use anju_reports::view::{Num, RowView};
use anju_store::{StoredValue, ValueFilter};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::auth::Authed;
use crate::cache::{Answer, Found, ViewKey};
use crate::service::evaluation as service;
use crate::{ApiError, AppState, ErrorDoc, JsonBody, PathParam, QueryParams, invalid};

/// A number as sent: a JSON number, or a string of one (read exactly, from its
/// digits), or nothing.
fn number_or_text() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Number))
        .item(ObjectBuilder::new().schema_type(Type::String))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(
            "数字,或写成字符串的数字(按原样的位数读取,至多 6 位小数)",
        ))
        .into()
}

/// An indicator's code as sent: a JSON integer or a string of one.
fn indicator_code() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Integer))
        .item(ObjectBuilder::new().schema_type(Type::String))
        .description(Some("指标序号(数字或字符串)"))
        .into()
}

/// A figure as sent: numbers as JSON numbers or as strings (exact either way:
/// they are read from their text). A ratio indicator takes numerator and
/// denominator (or a rate in value); every other indicator takes value.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct ValueIn {
    /// 指标序号(数字或字符串)。
    #[schema(schema_with = indicator_code, example = 6)]
    indicator: serde_json::Value,
    /// 单位名称(任一别名)。
    #[schema(example = "硖石街道")]
    org_unit: String,
    /// 期间:`2024-06`、`2024年6月`、`2024-Q2`、`2024`。
    #[schema(example = "2024-06")]
    period: String,
    /// 数值(数字或字符串,至多 6 位小数)。
    #[serde(default)]
    #[schema(schema_with = number_or_text, example = "12.5")]
    value: Option<serde_json::Value>,
    /// 分子(比率类指标)。
    #[serde(default)]
    #[schema(schema_with = number_or_text, example = "80")]
    numerator: Option<serde_json::Value>,
    /// 分母(比率类指标)。
    #[serde(default)]
    #[schema(schema_with = number_or_text, example = "100")]
    denominator: Option<serde_json::Value>,
}

/// Figures to enter as drafts.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct ValuesIn {
    values: Vec<ValueIn>,
}

/// A stored version as shown: who, when and why.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ValueOut {
    id: i64,
    indicator: u16,
    org_unit: String,
    period: String,
    version: i64,
    value: Option<Num>,
    numerator: Option<Num>,
    denominator: Option<Num>,
    state: &'static str,
    late: bool,
    correction_reason: Option<String>,
    return_reason: Option<String>,
    created_by: String,
    created_at: String,
    decided_by: Option<String>,
    decided_at: Option<String>,
    /// 报送时服务器给出、填报人确认过的提示(如数值是上期的十倍)。
    warnings: Vec<String>,
}

impl From<StoredValue> for ValueOut {
    fn from(v: StoredValue) -> ValueOut {
        let n = |d: Option<rust_decimal::Decimal>| d.map(|d| Num(d.normalize()));
        let (value, numerator, denominator) = v.parts();
        ValueOut {
            id: v.id,
            indicator: v.indicator,
            org_unit: v.org_unit,
            period: v.period.to_string(),
            version: v.version,
            value: n(value),
            numerator: n(numerator),
            denominator: n(denominator),
            state: v.state.as_str(),
            late: v.late,
            correction_reason: v.correction_reason,
            return_reason: v.return_reason,
            created_by: v.created_by,
            created_at: v.created_at,
            decided_by: v.decided_by,
            decided_at: v.decided_at,
            warnings: v.warnings,
        }
    }
}

/// Stored versions.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ValuesOut {
    values: Vec<ValueOut>,
}

/// The text of a number as sent: a JSON number's own digits, a string as
/// written; nothing (null, missing, "") is empty.
pub(crate) fn number_text(field: &str, v: &Option<serde_json::Value>) -> Result<String, ApiError> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(String::new()),
        Some(serde_json::Value::String(s)) => Ok(s.clone()),
        Some(serde_json::Value::Number(n)) => {
            let text = n.to_string();
            if text.contains(['e', 'E']) {
                // A JSON number may have an exponent (1e2): its exact value.
                rust_decimal::Decimal::from_scientific(&text)
                    .map(|d| d.normalize().to_string())
                    .map_err(|_| invalid(field.to_string(), format!("无法精确读取的数字:{text}")))
            } else {
                Ok(text)
            }
        }
        Some(other) => Err(invalid(field.to_string(), format!("不是数字:{other}"))),
    }
}

/// The most figures one request may enter: a city's month is about 200.
pub(crate) const MAX_BATCH: usize = 5_000;

/// `POST /api/v1/values`: figures as drafts of the caller, within their scope.
#[utoipa::path(
    post,
    path = "/api/v1/values",
    tag = "数据",
    summary = "录入数据(草稿)",
    request_body = ValuesIn,
    responses((status = 200, description = "已存为草稿", body = ValuesOut), (status = 401, description = "未登录或登录已失效", body = ErrorDoc), (status = 403, description = "无权", body = ErrorDoc), (status = 400, description = "不是有效的 JSON", body = ErrorDoc), (status = 413, description = "请求过大", body = ErrorDoc), (status = 415, description = "须为 application/json", body = ErrorDoc), (status = 422, description = "输入有误,指明字段", body = ErrorDoc)),
    security(("bearer" = []))
)]
pub(crate) async fn put(
    State(state): State<AppState>,
    who: Authed,
    JsonBody(body): JsonBody<ValuesIn>,
) -> Result<Json<ValuesOut>, ApiError> {
    let plan = &*state.plan();
    if body.values.len() > MAX_BATCH {
        return Err(invalid(
            "values",
            format!(
                "一次至多 {MAX_BATCH} 条(收到 {} 条),请分批提交",
                body.values.len()
            ),
        ));
    }
    // The JSON as text (a number's digits exactly as sent); the service
    // resolves and checks the rest.
    let mut figures = Vec::with_capacity(body.values.len());
    for (i, v) in body.values.iter().enumerate() {
        let f = |name: &str| format!("values[{i}].{name}");
        figures.push(crate::service::figures::EnteredFigure {
            indicator: match &v.indicator {
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            },
            org_unit: v.org_unit.clone(),
            period: v.period.clone(),
            value: number_text(&f("value"), &v.value)?,
            numerator: number_text(&f("numerator"), &v.numerator)?,
            denominator: number_text(&f("denominator"), &v.denominator)?,
        });
    }
    let me = who.actor(plan);
    let stored =
        crate::service::figures::enter(&state.store, plan, &me, &figures, &crate::now(&state))
            .await?;
    Ok(Json(ValuesOut {
        values: stored.into_iter().map(ValueOut::from).collect(),
    }))
}

/// The versions a step applies to (all or none), and why (needed to return).
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct StepIn {
    ids: Vec<i64>,
    #[serde(default)]
    reason: Option<String>,
    /// 报送时:已核对服务器给出的提示(如数值是上期的十倍),仍然报送。
    #[serde(default)]
    confirm_warnings: bool,
}

async fn step(
    state: AppState,
    who: Authed,
    body: StepIn,
    step: Step,
) -> Result<Json<ValuesOut>, ApiError> {
    let plan = &*state.plan();
    let me = who.actor(plan);
    let done = crate::service::figures::step(
        &state.store,
        plan,
        &me,
        &body.ids,
        step,
        body.reason.as_deref(),
        body.confirm_warnings,
        &crate::now(&state),
    )
    .await?;
    Ok(Json(ValuesOut {
        values: done.into_iter().map(ValueOut::from).collect(),
    }))
}

/// `POST /api/v1/values/submit` `{"ids":[…]}`.
#[utoipa::path(
    post,
    path = "/api/v1/values/submit",
    tag = "数据",
    summary = "报送",
    request_body = StepIn,
    responses((status = 200, body = ValuesOut), (status = 401, description = "未登录或登录已失效", body = ErrorDoc), (status = 403, description = "无权", body = ErrorDoc), (status = 400, description = "不是有效的 JSON", body = ErrorDoc), (status = 413, description = "请求过大", body = ErrorDoc), (status = 415, description = "须为 application/json", body = ErrorDoc), (status = 422, description = "输入有误,指明字段", body = ErrorDoc), (status = 404, description = "数据不存在", body = ErrorDoc), (status = 409, description = "状态不允许此操作;或数据有提示而未确认(code = warnings,error.warnings 逐条列出),核对后加 confirm_warnings 再报送", body = ErrorDoc)),
    security(("bearer" = []))
)]
pub(crate) async fn submit(
    State(state): State<AppState>,
    who: Authed,
    JsonBody(body): JsonBody<StepIn>,
) -> Result<Json<ValuesOut>, ApiError> {
    step(state, who, body, Step::Submit).await
}

/// Which submitted figures a bulk approval takes: each key optional; the
/// unit's whole subtree.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApprovalFilterIn {
    /// 单位(含其下全部单位)。
    #[serde(default)]
    org: Option<String>,
    /// 起始月份 YYYY-MM(按期间的截止月份)。
    #[serde(default)]
    from: Option<String>,
    /// 截止月份 YYYY-MM。
    #[serde(default)]
    to: Option<String>,
    /// 指标序号。
    #[serde(default)]
    #[schema(schema_with = number_or_text)]
    indicator: Option<serde_json::Value>,
}

/// An approval: the versions by id, or every submitted figure a filter takes.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct ApproveIn {
    /// 逐条审核:数据版本编号。
    #[serde(default)]
    ids: Option<Vec<i64>>,
    /// 批量审核(专班):筛选条件,全部通过或一条也不通过。
    #[serde(default)]
    filter: Option<ApprovalFilterIn>,
}

/// How many a bulk approval approved.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ApprovedOut {
    /// 审核通过的条数。
    approved: usize,
}

/// The answer to an approval: the versions (by id), or the count (by filter).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub(crate) enum ApproveOut {
    /// 逐条审核的结果。
    Values(ValuesOut),
    /// 批量审核的条数。
    Count(ApprovedOut),
}

/// `POST /api/v1/values/approve` `{"ids":[…]}` or `{"filter":{"org","from","to","indicator"}}`.
#[utoipa::path(
    post,
    path = "/api/v1/values/approve",
    tag = "数据",
    summary = "审核通过(专班或牵头单位;不能审核本人填报的,403);或按筛选条件批量审核,全部通过或一条也不通过",
    request_body = ApproveIn,
    responses((status = 200, body = ApproveOut), (status = 401, description = "未登录或登录已失效", body = ErrorDoc), (status = 403, description = "无权", body = ErrorDoc), (status = 400, description = "不是有效的 JSON", body = ErrorDoc), (status = 413, description = "请求过大", body = ErrorDoc), (status = 415, description = "须为 application/json", body = ErrorDoc), (status = 422, description = "输入有误,指明字段", body = ErrorDoc), (status = 404, description = "数据不存在", body = ErrorDoc), (status = 409, description = "状态不允许此操作", body = ErrorDoc)),
    security(("bearer" = []))
)]
pub(crate) async fn approve(
    State(state): State<AppState>,
    who: Authed,
    JsonBody(body): JsonBody<ApproveIn>,
) -> Result<Json<ApproveOut>, ApiError> {
    match (body.ids, body.filter) {
        (Some(ids), None) => Ok(Json(ApproveOut::Values(
            step(
                state,
                who,
                StepIn {
                    ids,
                    reason: None,
                    confirm_warnings: false,
                },
                Step::Approve,
            )
            .await?
            .0,
        ))),
        (None, Some(f)) => {
            let plan = state.plan();
            let org = f
                .org
                .as_deref()
                .filter(|o| !o.trim().is_empty())
                .map(|o| plan.orgs.resolve(o))
                .transpose()
                .map_err(|e| invalid("filter.org", e))?;
            let month = |field: &'static str, m: &Option<String>| {
                m.as_deref()
                    .filter(|m| !m.trim().is_empty())
                    .map(YearMonth::parse)
                    .transpose()
                    .map_err(|e| invalid(field, e))
            };
            let indicator = match &f.indicator {
                None | Some(serde_json::Value::Null) => None,
                Some(v) => {
                    let code = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    Some(plan.find_indicator(&code).ok_or_else(|| {
                        invalid("filter.indicator", format!("未知的指标“{code}”"))
                    })?)
                }
            };
            let filter = crate::service::figures::ApprovalFilter {
                org,
                from: month("filter.from", &f.from)?,
                to: month("filter.to", &f.to)?,
                indicator,
            };
            use crate::service::figures::approve_selection;
            let me = who.actor(&plan);
            let n =
                approve_selection(&state.store, &plan, &me, &filter, &crate::now(&state)).await?;
            Ok(Json(ApproveOut::Count(ApprovedOut { approved: n })))
        }
        _ => Err(invalid("ids", "须给出 ids 或 filter 之一")),
    }
}

/// `POST /api/v1/values/return` `{"ids":[…],"reason":"…"}`.
#[utoipa::path(
    post,
    path = "/api/v1/values/return",
    tag = "数据",
    summary = "退回(须写明原因;不能退回本人填报的,403)",
    request_body = StepIn,
    responses((status = 200, body = ValuesOut), (status = 401, description = "未登录或登录已失效", body = ErrorDoc), (status = 403, description = "无权", body = ErrorDoc), (status = 400, description = "不是有效的 JSON", body = ErrorDoc), (status = 413, description = "请求过大", body = ErrorDoc), (status = 415, description = "须为 application/json", body = ErrorDoc), (status = 422, description = "输入有误,指明字段", body = ErrorDoc), (status = 404, description = "数据不存在", body = ErrorDoc), (status = 409, description = "状态不允许此操作", body = ErrorDoc)),
    security(("bearer" = []))
)]
pub(crate) async fn give_back(
    State(state): State<AppState>,
    who: Authed,
    JsonBody(body): JsonBody<StepIn>,
) -> Result<Json<ValuesOut>, ApiError> {
    step(state, who, body, Step::Return).await
}

/// `POST /api/v1/values/withdraw` `{"ids":[…]}`: the reporter takes
/// submissions back before review (撤回).
#[utoipa::path(
    post,
    path = "/api/v1/values/withdraw",
    tag = "数据",
    summary = "撤回(报送后、审核前;撤回后为草稿,可修改后重新报送)",
    request_body = StepIn,
    responses((status = 200, body = ValuesOut), (status = 401, description = "未登录或登录已失效", body = ErrorDoc), (status = 403, description = "无权", body = ErrorDoc), (status = 400, description = "不是有效的 JSON", body = ErrorDoc), (status = 413, description = "请求过大", body = ErrorDoc), (status = 415, description = "须为 application/json", body = ErrorDoc), (status = 422, description = "输入有误,指明字段", body = ErrorDoc), (status = 404, description = "数据不存在", body = ErrorDoc), (status = 409, description = "已审核或已退回的数据不能撤回", body = ErrorDoc)),
    security(("bearer" = []))
)]
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    who: Authed,
    JsonBody(body): JsonBody<StepIn>,
) -> Result<Json<ValuesOut>, ApiError> {
    step(state, who, body, Step::Withdraw).await
}

/// Filters of the list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    state: Option<String>,
    indicator: Option<u16>,
    org_unit: Option<String>,
    period: Option<String>,
}

/// `GET /api/v1/values?state=&indicator=&org_unit=&period=`: the versions the
/// caller may read.
#[utoipa::path(
    get,
    path = "/api/v1/values",
    tag = "数据",
    summary = "查询数据(本人权限范围内)",
    params(ListQuery),
    responses((status = 200, body = ValuesOut), (status = 401, description = "未登录或登录已失效", body = ErrorDoc), (status = 403, description = "无权", body = ErrorDoc), (status = 422, description = "筛选条件有误", body = ErrorDoc)),
    security(("bearer" = []))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    who: Authed,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<ValuesOut>, ApiError> {
    let plan = &*state.plan();
    let filter = ValueFilter {
        state: match &q.state {
            None => None,
            Some(s) => Some(
                anju_core::workflow::State::parse(s)
                    .ok_or_else(|| invalid("state", format!("未知的状态“{s}”")))?,
            ),
        },
        indicator: q.indicator,
        org_unit: match &q.org_unit {
            None => None,
            Some(o) => Some(
                plan.orgs
                    .get(plan.orgs.resolve(o).map_err(|e| invalid("org_unit", e))?)
                    .name
                    .clone(),
            ),
        },
        period: q
            .period
            .as_deref()
            .map(Period::parse)
            .transpose()
            .map_err(|e| invalid("period", e))?,
        scope: None,
    };
    let values = readable(&state, plan, &who, filter)
        .await?
        .into_iter()
        .map(ValueOut::from)
        .collect();
    Ok(Json(ValuesOut { values }))
}

/// The versions matching `filter` that `who` may read, in the order they
/// were stored. The query is narrowed to the caller's units and indicators;
/// the exact rule is checked again on each row.
pub(crate) async fn readable(
    state: &AppState,
    plan: &Plan,
    who: &Authed,
    filter: ValueFilter,
) -> Result<Vec<StoredValue>, ApiError> {
    let me = who.actor(plan);
    let filter = ValueFilter {
        scope: scope_of(plan, &me),
        ..filter
    };
    let may = |v: &StoredValue| {
        let ix = plan.indicator_index(anju_core::plan::IndicatorCode(v.indicator));
        let org = plan.orgs.resolve(&v.org_unit).ok();
        matches!((ix, org), (Some(ix), Some(org)) if me.can(plan, &Action::ReadFigure { indicator: ix, org }))
    };
    Ok(state
        .store
        .list(&filter)
        .await?
        .into_iter()
        .filter(may)
        .collect())
}

/// The units and indicators a caller may read (`None`: everything).
fn scope_of(plan: &Plan, me: &Actor<'_>) -> Option<anju_store::Scope> {
    if me.reads_everything() {
        return None;
    }
    let mut org_units = Vec::new();
    let mut indicators = Vec::new();
    for &org in &plan.reporting {
        for ix in 0..plan.indicators.len() {
            if me.can(plan, &Action::ReadFigure { indicator: ix, org }) {
                let name = &plan.orgs.get(org).name;
                if !org_units.contains(name) {
                    org_units.push(name.clone());
                }
                let code = plan.indicators[ix].code.0;
                if !indicators.contains(&code) {
                    indicators.push(code);
                }
            }
        }
    }
    Some(anju_store::Scope {
        org_units,
        indicators: Some(indicators),
    })
}

/// The month, and which rows if not all.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EvalQuery {
    as_of: String,
    /// 只要这一个单位的行。
    org_unit: Option<String>,
    /// 只要这个单位及其下全部单位的行(如一个县及其各镇)。
    org: Option<String>,
    /// 只要这个指标(序号)的行。
    indicator: Option<String>,
    /// `json`(默认)或 `xlsx`(Excel 工作簿)。
    format: Option<String>,
}

/// `GET /api/v1/evaluation?as_of=YYYY-MM[&org_unit=…][&org=…][&indicator=N]`: the rows of `anju eval
/// --format json`, from approved figures only, that the caller may read (a
/// town reads its own rows and the aggregate of the reporting root).
///
/// Answers are kept per store revision and kind of caller (`cache`): the
/// revision comes with the session in one query, so an approval anywhere is
/// seen by the next request, and an unchanged store costs one query.
#[utoipa::path(
    get,
    path = "/api/v1/evaluation",
    tag = "评估",
    summary = "评估结果(仅已审核数据,本人权限范围内)",
    params(EvalQuery),
    responses((status = 200, description = "与 anju eval --format json 相同的行;请求 gzip 时压缩", body = EvalDoc), (status = 401, description = "未登录或登录已失效", body = ErrorDoc), (status = 403, description = "无权", body = ErrorDoc), (status = 422, description = "月份或单位有误", body = ErrorDoc)),
    security(("bearer" = []))
)]
pub(crate) async fn evaluation(
    State(state): State<AppState>,
    who: Authed,
    headers: axum::http::HeaderMap,
    QueryParams(q): QueryParams<EvalQuery>,
) -> Result<Response, ApiError> {
    let gzip = accepts_gzip(&headers);
    if !matches!(q.format.as_deref(), None | Some("json" | "xlsx")) {
        return Err(invalid("format", "应为 json 或 xlsx"));
    }
    let in_force = state.plan_in_force();
    let plan = &*in_force.1;
    let as_of = YearMonth::parse(&q.as_of).map_err(|e| invalid("as_of", e))?;
    plan.check_as_of(as_of).map_err(|m| invalid("as_of", m))?;
    let unit = |field: &'static str, o: &Option<String>| {
        o.as_deref()
            .filter(|o| !o.trim().is_empty())
            .map(|o| plan.orgs.resolve(o))
            .transpose()
            .map_err(|e| invalid(field, e))
    };
    let only = service::RowFilter {
        only: unit("org_unit", &q.org_unit)?,
        under: unit("org", &q.org)?,
        indicator: match q
            .indicator
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(code) => Some(
                plan.find_indicator(code)
                    .ok_or_else(|| invalid("indicator", format!("未知的指标“{code}”")))?,
            ),
        },
    };
    if q.format.as_deref() == Some("xlsx") {
        return evaluation_workbook(&state, &who, &in_force, as_of, only).await;
    }
    let answer = evaluation_answer(&state, &who, &in_force, as_of, only).await?;
    Ok(json_answer(answer, gzip))
}

/// The rows of the evaluation the caller may read, as an Excel workbook.
async fn evaluation_workbook(
    state: &AppState,
    who: &Authed,
    in_force: &crate::PlanInForce,
    as_of: YearMonth,
    only: service::RowFilter,
) -> Result<Response, ApiError> {
    let eval = service::evaluation(state, who.revision, in_force, as_of).await?;
    let plan = &*in_force.1;
    let me = who.actor(plan);
    let rows: Vec<RowView<'_>> = eval
        .rows
        .iter()
        .filter(|r| service::visible(plan, &me, r) && only.takes(plan, r))
        .map(|r| RowView::new(plan, &eval, r))
        .collect();
    let bytes = anju_reports::sheets::evaluation_xlsx(&format!("评估结果(截至 {as_of})"), &rows)
        .map_err(|m| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", m))?;
    let file = format!("evaluation-{as_of}.xlsx");
    Ok(crate::xlsx_answer(bytes, &file, &file))
}

/// The rows of the evaluation as of `as_of` that `who` may read (of `only`,
/// if given), as JSON: kept per store revision and kind of caller, filled
/// single-flight. The API and the web pages both read it. `in_force` is the
/// plan `only` was resolved in (units are numbered per plan).
pub(crate) async fn evaluation_answer(
    state: &AppState,
    who: &Authed,
    in_force: &crate::PlanInForce,
    as_of: YearMonth,
    only: service::RowFilter,
) -> Result<Answer, ApiError> {
    let (plan_file, plan_in_force) = (in_force.0, in_force.1.clone());
    let plan = &*plan_in_force;
    let me = who.actor(plan);
    let key = ViewKey {
        plan_file,
        as_of,
        role: me.role,
        org: me.org,
        only,
    };
    let filling = match state.cache.get(who.revision, &key, (state.clock)()).await {
        Found::Body(answer) => return Ok(answer),
        Found::Miss(f) => f,
    };
    let (values, eval) = service::fill(state, &plan_in_force, &filling, as_of).await?;
    // The answer is kept per kind of caller (role and unit), never per
    // person: what it holds does not depend on the name.
    let (role, org) = (me.role, me.org);
    let (plan, eval_for) = (plan_in_force.clone(), eval.clone());
    // Writing is CPU work: off the async threads.
    let answer = tokio::task::spawn_blocking(move || {
        let plan = &*plan;
        let me = Actor {
            name: "",
            role,
            org,
        };
        let mut body = Vec::with_capacity(1 << 16);
        body.extend_from_slice(b"{\"rows\":[");
        let mut first = true;
        for r in eval_for
            .rows
            .iter()
            .filter(|r| service::visible(plan, &me, r) && only.takes(plan, r))
        {
            if !first {
                body.push(b',');
            }
            first = false;
            RowView::new(plan, &eval_for, r).write_json(&mut body);
        }
        body.extend_from_slice(b"]}");
        Answer::new(body)
    })
    .await
    .map_err(|_| service::internal())?;
    state.cache.put(filling, key, values, eval, answer.clone());
    Ok(answer)
}

/// Whether a request's `Accept-Encoding` takes gzip (and does not refuse it
/// with `q=0`).
pub(crate) fn accepts_gzip(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get_all(axum::http::header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            coding.eq_ignore_ascii_case("gzip") && !refused
        })
}

/// A JSON answer from bytes already written, gzipped if the caller takes it.
fn json_answer(answer: Answer, gzip: bool) -> Response {
    use axum::http::{HeaderValue, header};
    let json = HeaderValue::from_static("application/json");
    let vary = HeaderValue::from_static("accept-encoding");
    if gzip && !answer.gzip.is_empty() {
        (
            [
                (header::CONTENT_TYPE, json),
                (header::CONTENT_ENCODING, HeaderValue::from_static("gzip")),
                (header::VARY, vary),
            ],
            answer.gzip,
        )
            .into_response()
    } else {
        (
            [(header::CONTENT_TYPE, json), (header::VARY, vary)],
            answer.plain,
        )
            .into_response()
    }
}

/// A correction: the new figure and why.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct CorrectIn {
    #[serde(default)]
    #[schema(schema_with = number_or_text)]
    value: Option<serde_json::Value>,
    #[serde(default)]
    #[schema(schema_with = number_or_text)]
    numerator: Option<serde_json::Value>,
    #[serde(default)]
    #[schema(schema_with = number_or_text)]
    denominator: Option<serde_json::Value>,
    reason: String,
}

/// The evaluation as the API answers it (written by `RowView::write_json`).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct EvalDoc {
    rows: Vec<anju_reports::view::RowView<'static>>,
}

/// `POST /api/v1/values/{id}/correct` `{"value"|"numerator"+"denominator","reason"}`:
/// a correction of an approved figure, by someone who may report it; it waits
/// for review, and the approved figure counts until then.
#[utoipa::path(
    post,
    path = "/api/v1/values/{id}/correct",
    tag = "数据",
    summary = "更正已审核数据(新版本,须写明原因)",
    request_body = CorrectIn,
    params(("id" = i64, Path, description = "已审核版本的编号")),
    responses((status = 200, body = ValueOut), (status = 401, description = "未登录或登录已失效", body = ErrorDoc), (status = 403, description = "无权", body = ErrorDoc), (status = 400, description = "不是有效的 JSON", body = ErrorDoc), (status = 413, description = "请求过大", body = ErrorDoc), (status = 415, description = "须为 application/json", body = ErrorDoc), (status = 422, description = "输入有误,指明字段", body = ErrorDoc), (status = 404, description = "数据不存在", body = ErrorDoc), (status = 409, description = "状态不允许此操作", body = ErrorDoc)),
    security(("bearer" = []))
)]
pub(crate) async fn correct(
    State(state): State<AppState>,
    who: Authed,
    PathParam(id): PathParam<i64>,
    JsonBody(body): JsonBody<CorrectIn>,
) -> Result<Json<ValueOut>, ApiError> {
    let plan = &*state.plan();
    let texts = [
        number_text("value", &body.value)?,
        number_text("numerator", &body.numerator)?,
        number_text("denominator", &body.denominator)?,
    ];
    let me = who.actor(plan);
    let v = crate::service::figures::correct(
        &state.store,
        plan,
        &me,
        id,
        [&texts[0], &texts[1], &texts[2]],
        &body.reason,
        &crate::now(&state),
    )
    .await?;
    Ok(Json(ValueOut::from(v)))
}

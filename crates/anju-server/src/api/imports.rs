//! Importing a file of figures (导入): `POST /api/v1/imports`, multipart, the
//! file in the form field `file` (and `submit=true` to submit them at once).
//! A file is taken whole or not at all; a bad file is answered with every bad
//! row (`anju_core::entries`).

use axum::Json;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::api::values::ValueOut;
use crate::auth::Authed;
use crate::{ApiError, AppState, ErrorDoc};

/// What an import stored.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ImportOut {
    /// 文件名。
    file: String,
    /// 导入的条数。
    count: usize,
    /// 导入后的状态:draft 或 submitted。
    state: &'static str,
    values: Vec<ValueOut>,
}

/// The form of an import (for the API document).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(crate) struct ImportForm {
    /// 数据文件(.csv,UTF-8 / GB18030;表头为 指标、单位、期间、数值、分子、分母 或英文列名)。
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// 为 true 时导入后立即报送。
    submit: Option<bool>,
}

fn bad_form(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_form", message)
}

/// A multipart form as read: the file of the field `file` (its name, or
/// `default_name`, and bytes), and the other fields' text.
pub(crate) struct Form {
    pub file: Option<(String, Vec<u8>)>,
    pub fields: std::collections::HashMap<String, String>,
}

/// Reads a multipart form; every failure is a JSON error (400, or 413 for a
/// file over the body limit).
pub(crate) async fn read_form(
    form: Result<Multipart, MultipartRejection>,
    default_name: &str,
) -> Result<Form, ApiError> {
    let mut form =
        form.map_err(|e| bad_form(format!("须为 multipart/form-data 表单:{}", e.body_text())))?;
    let mut out = Form {
        file: None,
        fields: std::collections::HashMap::new(),
    };
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| bad_form(format!("表单有误:{}", e.body_text())))?
    {
        match field.name().map(str::to_string) {
            Some(n) if n == "file" => {
                if out.file.is_some() {
                    return Err(bad_form("表单中有两个 file 字段:一次只能导入一个文件"));
                }
                let name = field.file_name().unwrap_or(default_name).to_string();
                let bytes = field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        ApiError::new(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "too_large",
                            format!("文件超过 {} MiB", crate::MAX_BODY >> 20),
                        )
                    } else {
                        bad_form(format!("无法读取文件:{}", e.body_text()))
                    }
                })?;
                out.file = Some((name, bytes.to_vec()));
            }
            Some(n) => {
                let text = field.text().await.unwrap_or_default();
                out.fields.insert(n, text);
            }
            None => {}
        }
    }
    Ok(out)
}

/// `POST /api/v1/imports`.
#[utoipa::path(
    post,
    path = "/api/v1/imports",
    tag = "数据",
    summary = "导入数据文件(整份文件要么全部导入,要么一条也不导入)",
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = ImportOut),
        (status = 400, description = "表单有误(缺少 file 字段等)", body = ErrorDoc),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 409, description = "文件中的某条数据当前状态不允许再填报", body = ErrorDoc),
        (status = 413, description = "文件过大", body = ErrorDoc),
        (status = 415, description = "文件类型不支持", body = ErrorDoc),
        (status = 422, description = "文件中有错误的行,每一行都列出", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn import(
    State(state): State<AppState>,
    who: Authed,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let form = read_form(form, "上传文件").await?;
    let submit = form
        .fields
        .get("submit")
        .is_some_and(|t| matches!(t.trim(), "true" | "1" | "是"));
    let file = form.file;
    let (name, bytes) = file.ok_or_else(|| bad_form("缺少 file 字段"))?;
    let now = crate::now(&state);
    use crate::service::figures::import;
    let done = import(
        &state.store,
        state.plan(),
        &who.user,
        name.clone(),
        bytes,
        submit,
        &now,
    )
    .await?;
    let stored = state.store.values_by_ids(&done.ids).await?;
    Ok((
        StatusCode::CREATED,
        Json(ImportOut {
            file: name,
            count: stored.len(),
            state: if submit { "submitted" } else { "draft" },
            values: stored.into_iter().map(ValueOut::from).collect(),
        }),
    )
        .into_response())
}

/// Which template.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TemplateQuery {
    /// 单位(默认:本人所属单位)。
    org_unit: Option<String>,
    /// 期间(YYYY-MM 等)。
    period: String,
}

/// `GET /api/v1/templates?org_unit=&period=`: the .xlsx a unit fills in.
#[utoipa::path(
    get,
    path = "/api/v1/templates",
    tag = "数据",
    summary = "下载填报模板(.xlsx):本人可填报的指标、上期数值参考;填好后原样导入",
    params(TemplateQuery),
    responses(
        (status = 200, description = "填报模板", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, description = "未登录或登录已失效", body = ErrorDoc),
        (status = 403, description = "无权填报该单位", body = ErrorDoc),
        (status = 422, description = "单位或期间有误", body = ErrorDoc)
    ),
    security(("bearer" = []))
)]
pub(crate) async fn template(
    State(state): State<AppState>,
    who: Authed,
    crate::QueryParams(q): crate::QueryParams<TemplateQuery>,
) -> Result<Response, ApiError> {
    use crate::service::figures::template;
    let plan_arc = state.plan();
    let plan = &*plan_arc;
    let me = who.actor(plan);
    let made = template(
        &state.store,
        plan,
        &me,
        who.user.org_unit.as_deref(),
        q.org_unit.as_deref(),
        &q.period,
    )
    .await?;
    Ok(crate::xlsx_answer(made.bytes, "template.xlsx", &made.file))
}

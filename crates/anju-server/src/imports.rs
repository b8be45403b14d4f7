//! Importing a file of figures (导入): `POST /api/v1/imports`, multipart, the
//! file in the form field `file` (and `submit=true` to submit them at once).
//! A file is taken whole or not at all; a bad file is answered with every bad
//! row (`anju_core::entries`).

use anju_core::access::Actor;
use anju_core::workflow::Step;
use anju_store::NewValue;
use axum::Json;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::auth::Authed;
use crate::values::ValueOut;
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
    let mut form =
        form.map_err(|e| bad_form(format!("须为 multipart/form-data 表单:{}", e.body_text())))?;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut submit = false;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| bad_form(format!("表单有误:{}", e.body_text())))?
    {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("上传文件").to_string();
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
                file = Some((name, bytes.to_vec()));
            }
            Some("submit") => {
                let text = field.text().await.unwrap_or_default();
                submit = matches!(text.trim(), "true" | "1" | "是");
            }
            _ => {}
        }
    }
    let (name, bytes) = file.ok_or_else(|| bad_form("缺少 file 字段"))?;
    let lower = name.to_lowercase();
    if lower.ends_with(".xlsx") || lower.ends_with(".xls") || bytes.starts_with(b"PK\x03\x04") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_file",
            "暂不支持直接导入 Excel 文件,请在 Excel/WPS 中另存为 CSV 后导入",
        ));
    }
    let plan_arc = state.plan();
    let plan = &*plan_arc;
    let me = Actor {
        role: who.user.role,
        org: who
            .user
            .org_unit
            .as_deref()
            .and_then(|o| plan.orgs.resolve(o).ok()),
    };
    let entries = anju_core::entries::read_entries(plan, &me, &name, &bytes)
        .map_err(|e| ApiError::bad_rows(&e.0))?;
    if entries.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_file",
            format!("{name}:文件中没有数据"),
        ));
    }
    let values: Vec<NewValue> = entries.iter().map(NewValue::from).collect();
    let now = crate::now(&state);
    let mut stored = state
        .store
        .put_drafts(&values, &who.user.name, &now)
        .await?;
    if submit {
        let ids: Vec<i64> = stored.iter().map(|v| v.id).collect();
        stored = state
            .store
            .step(
                &ids,
                Step::Submit,
                &who.user.name,
                &now,
                None,
                plan.settings.report_deadline_day,
            )
            .await?;
    }
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

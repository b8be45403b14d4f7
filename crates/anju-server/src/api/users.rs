//! User administration (the system administrator): list, add, disable or
//! enable a user, set a new password — one the user must change at the next
//! login. And a user's own password change. Roles and their units are
//! checked by `anju_core::access` as `anju user add` checks them; every new
//! password by `anju_core::auth::check_password_policy`. The three
//! administrators' accounts (三员) are made and reset on the server only
//! (`anju user add`), never here.

use anju_core::access::{Action, Role};
use anju_store::UserRecord;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::auth::Authed;
use crate::{ApiError, AppState, ErrorDoc, JsonBody, PathParam, invalid};

/// Admins only (403 for everyone else).
fn admin(state: &AppState, who: &Authed) -> Result<(), ApiError> {
    who.may(&state.plan(), &Action::ReadUsers)
}

/// A user as an admin sees it (never the password hash).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct UserOut {
    name: String,
    role: &'static str,
    org_unit: Option<String>,
    disabled: bool,
    created_at: String,
    /// 密码由管理员设置,须在下次登录时修改。
    must_change_password: bool,
}

impl From<UserRecord> for UserOut {
    fn from(u: UserRecord) -> UserOut {
        UserOut {
            name: u.name,
            role: u.role.as_str(),
            org_unit: u.org_unit,
            disabled: u.disabled,
            created_at: u.created_at,
            must_change_password: u.must_change_password,
        }
    }
}

/// A new password for `user`, checked against the policy and hashed.
pub(crate) async fn new_password(
    field: &str,
    user: &str,
    password: String,
) -> Result<String, ApiError> {
    Ok(crate::service::users::new_password(field, user, password).await?)
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct UsersOut {
    users: Vec<UserOut>,
}

/// `GET /api/v1/users`: every user.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "用户",
    summary = "用户列表(系统管理员)",
    responses((status = 200, body = UsersOut), (status = 401, description = "未登录或登录已失效", body = ErrorDoc), (status = 403, description = "无权", body = ErrorDoc)),
    security(("bearer" = []))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    who: Authed,
) -> Result<Json<UsersOut>, ApiError> {
    admin(&state, &who)?;
    let users = state.store.users().await?;
    Ok(Json(UsersOut {
        users: users.into_iter().map(UserOut::from).collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUser {
    username: String,
    role: String,
    #[serde(default)]
    org_unit: Option<String>,
    password: String,
}

/// `POST /api/v1/users` `{"username","role","org_unit","password"}` → 201.
#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "用户",
    summary = "新增用户(系统管理员)",
    request_body = NewUser,
    responses((status = 201, body = UserOut), (status = 401, description = "未登录或登录已失效", body = ErrorDoc), (status = 403, description = "无权", body = ErrorDoc), (status = 400, description = "不是有效的 JSON", body = ErrorDoc), (status = 413, description = "请求过大", body = ErrorDoc), (status = 415, description = "须为 application/json", body = ErrorDoc), (status = 422, description = "输入有误,指明字段", body = ErrorDoc), (status = 409, description = "用户名已存在", body = ErrorDoc)),
    security(("bearer" = []))
)]
pub(crate) async fn add(
    State(state): State<AppState>,
    who: Authed,
    JsonBody(body): JsonBody<NewUser>,
) -> Result<Response, ApiError> {
    let plan = &*state.plan();
    let role = Role::parse(&body.role).map_err(|e| invalid("role", e))?;
    let me = who.actor(plan);
    let user = crate::service::users::add(
        &state.store,
        plan,
        crate::service::users::Admin::User(&me),
        crate::service::users::NewAccount {
            name: body.username,
            role,
            org_unit: body.org_unit,
            password: body.password,
            temporary: true,
        },
        &crate::now(&state).stamp,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(UserOut::from(user))).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserChange {
    #[serde(default)]
    disabled: Option<bool>,
    #[serde(default)]
    password: Option<String>,
}

/// `PATCH /api/v1/users/{name}` `{"disabled"?, "password"?}`: disable or
/// enable a user (their sessions end), or set a new password (every session
/// of theirs ends). An admin cannot disable themself.
#[utoipa::path(
    patch,
    path = "/api/v1/users/{name}",
    tag = "用户",
    summary = "停用、启用或重设密码(系统管理员)",
    request_body = UserChange,
    params(("name" = String, Path, description = "用户名")),
    responses((status = 200, body = UserOut), (status = 401, description = "未登录或登录已失效", body = ErrorDoc), (status = 403, description = "无权", body = ErrorDoc), (status = 400, description = "不是有效的 JSON", body = ErrorDoc), (status = 413, description = "请求过大", body = ErrorDoc), (status = 415, description = "须为 application/json", body = ErrorDoc), (status = 422, description = "输入有误,指明字段", body = ErrorDoc), (status = 404, description = "用户不存在", body = ErrorDoc), (status = 409, description = "不能停用自己", body = ErrorDoc)),
    security(("bearer" = []))
)]
pub(crate) async fn change(
    State(state): State<AppState>,
    who: Authed,
    PathParam(name): PathParam<String>,
    JsonBody(body): JsonBody<UserChange>,
) -> Result<Json<UserOut>, ApiError> {
    let plan = &*state.plan();
    let me = who.actor(plan);
    let user = crate::service::users::change(
        &state.store,
        plan,
        crate::service::users::Admin::User(&me),
        &name,
        crate::service::users::AccountChange {
            disabled: body.disabled,
            password: body.password,
            temporary: true,
        },
        &crate::now(&state).stamp,
    )
    .await?;
    Ok(Json(UserOut::from(user)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordChange {
    old_password: String,
    new_password: String,
}

/// `POST /api/v1/me/password` `{"old_password","new_password"}`: a user's own
/// password; their other sessions end. A wrong old password is 403 (and
/// counts as a failed login).
#[utoipa::path(
    post,
    path = "/api/v1/me/password",
    tag = "用户",
    summary = "修改本人密码(其他会话随之结束)",
    request_body = PasswordChange,
    responses((status = 204, description = "已修改"), (status = 401, description = "未登录或登录已失效", body = ErrorDoc), (status = 403, description = "无权", body = ErrorDoc), (status = 400, description = "不是有效的 JSON", body = ErrorDoc), (status = 413, description = "请求过大", body = ErrorDoc), (status = 415, description = "须为 application/json", body = ErrorDoc), (status = 422, description = "输入有误,指明字段", body = ErrorDoc)),
    security(("bearer" = []))
)]
pub(crate) async fn own_password(
    State(state): State<AppState>,
    client: crate::auth::ClientAddress,
    who: Authed,
    JsonBody(body): JsonBody<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    // The lockout of logins holds here too: a stolen session must not
    // become a way to guess the password.
    use crate::auth::Refusal;
    match crate::auth::check_password(&state, &who.user.name, &client.0, body.old_password).await {
        Ok(_) => {}
        Err(Refusal::Wrong { .. }) => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "原密码不正确",
            ));
        }
        Err(Refusal::Store(e)) => return Err(e),
        Err(Refusal::Locked { .. } | Refusal::Slowed { .. }) => {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "locked",
                "原密码连续错误次数过多,请稍后再试",
            ));
        }
    }
    let current = who.user.password_hash.clone();
    let again = body.new_password.clone();
    let same = tokio::task::spawn_blocking(move || anju_store::verify_password(&again, &current))
        .await
        .unwrap_or(false);
    if same {
        return Err(invalid("new_password", "新密码不能与原密码相同"));
    }
    let hash = new_password("new_password", &who.user.name, body.new_password).await?;
    state
        .store
        .update_user(
            &who.user.name,
            None,
            Some(&hash),
            false,
            Some(&who.token),
            &who.user.name,
            &crate::now(&state).stamp,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

//! `/api/v1/users`: accounts managed by the administrators.

use crate::prelude::*;

async fn admins_manage_users_through_the_api(backend: Backend) {
    use anju_core::access::Role;
    use serde_json::json;
    let app = TestApp::new(&backend, "users").await;
    let admin = app.token("root", Role::Admin, None).await;
    let add = |body: Value| app.post("/api/v1/users", &admin, body);

    // Bad input names its field; the unit must fit the role.
    for (body, field) in [
        (
            json!({"username": "a", "role": "mayor", "password": "long enough"}),
            "role",
        ),
        (
            json!({"username": "a", "role": "town", "password": "long enough"}),
            "org_unit",
        ),
        (
            json!({"username": "a", "role": "town", "org_unit": "市住建局", "password": "long enough"}),
            "org_unit",
        ),
        (
            json!({"username": "a", "role": "town", "org_unit": "火星镇", "password": "long enough"}),
            "org_unit",
        ),
        (
            json!({"username": "a b", "role": "leader", "password": "long enough"}),
            "username",
        ),
        (
            json!({"username": "a", "role": "leader", "password": "short"}),
            "password",
        ),
    ] {
        let (status, body) = add(body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(field), "{field}: {message}");
    }
    let (status, body) =
        add(json!({"username": "a", "role": "leader", "password": "long enough", "extra": 1}))
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // A town user by the town's other name; stored under the plan's name.
    let (status, body) = add(json!({"username": "xiashi", "role": "town", "org_unit": "海宁市硖石街道", "password": "Town-pass-1"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        (body["org_unit"].as_str(), body["disabled"].as_bool()),
        (Some("硖石街道"), Some(false))
    );
    assert!(body.get("password_hash").is_none());
    let (status, _) =
        add(json!({"username": "xiashi", "role": "leader", "password": "Long-enough-5"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, list) = app.with_token("GET", "/api/v1/users", &admin).await;
    let names: Vec<&str> = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["root", "xiashi"]);

    // The new user logs in; disabling ends the session and refuses logins.
    let token = app.login("xiashi", "Town-pass-1").await.2["token"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = app
        .patch("/api/v1/users/xiashi", &admin, json!({"disabled": true}))
        .await;
    assert_eq!(
        (status, body["disabled"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    assert_eq!(
        app.with_token("GET", "/api/v1/me", &token).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("xiashi", "Town-pass-1").await.0,
        StatusCode::UNAUTHORIZED
    );
    app.patch("/api/v1/users/xiashi", &admin, json!({"disabled": false}))
        .await;
    let token = app.login("xiashi", "Town-pass-1").await.2["token"]
        .as_str()
        .unwrap()
        .to_string();

    // An admin's new password ends the user's sessions.
    let (status, _) = app
        .patch(
            "/api/v1/users/xiashi",
            &admin,
            json!({"password": "Reset-by-admin-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.with_token("GET", "/api/v1/me", &token).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("xiashi", "Town-pass-1").await.0,
        StatusCode::UNAUTHORIZED
    );
    let token = app.login("xiashi", "Reset-by-admin-1").await.2["token"]
        .as_str()
        .unwrap()
        .to_string();
    let second = app.login("xiashi", "Reset-by-admin-1").await.2["token"]
        .as_str()
        .unwrap()
        .to_string();

    // The user's own change: the old password first; other sessions end, this one stays.
    let wrong = json!({"old_password": "not it at all", "new_password": "My-own-pass-2"});
    assert_eq!(
        app.post("/api/v1/me/password", &token, wrong).await.0,
        StatusCode::FORBIDDEN
    );
    let short = json!({"old_password": "Reset-by-admin-1", "new_password": "short"});
    assert_eq!(
        app.post("/api/v1/me/password", &token, short).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let good = json!({"old_password": "Reset-by-admin-1", "new_password": "My-own-pass-2"});
    assert_eq!(
        app.post("/api/v1/me/password", &token, good).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.with_token("GET", "/api/v1/me", &token).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.with_token("GET", "/api/v1/me", &second).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.login("xiashi", "My-own-pass-2").await.0, StatusCode::OK);

    // Guessing the old password is limited as logins are: after five wrong
    // ones even the right one waits.
    app.advance(20 * 60); // the failures above are out of the 15-minute window
    // (Half a minute apart: after three, each try waits thirty seconds.)
    for _ in 0..5 {
        let wrong = json!({"old_password": "a wrong guess", "new_password": "Whatever-long-4"});
        assert_eq!(
            app.post("/api/v1/me/password", &token, wrong).await.0,
            StatusCode::FORBIDDEN
        );
        app.advance(31);
    }
    let right = json!({"old_password": "My-own-pass-2", "new_password": "Another-pass-3"});
    assert_eq!(
        app.post("/api/v1/me/password", &token, right).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // An admin's own password needs the old one too.
    assert_eq!(
        app.patch(
            "/api/v1/users/root",
            &admin,
            json!({"password": "taken over"})
        )
        .await
        .0,
        StatusCode::CONFLICT
    );

    // No such user; nothing to change; an admin cannot lock themself out.
    assert_eq!(
        app.patch("/api/v1/users/nobody", &admin, json!({"disabled": true}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.patch("/api/v1/users/xiashi", &admin, json!({})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.patch("/api/v1/users/root", &admin, json!({"disabled": true}))
            .await
            .0,
        StatusCode::CONFLICT
    );
}

crate::on_both_backends!(admins_manage_users_through_the_api,);

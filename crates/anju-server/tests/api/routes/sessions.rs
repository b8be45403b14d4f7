//! `POST /api/v1/login`, `GET /api/v1/me`, `POST /api/v1/logout`: sessions, lockout and idle expiry.

use crate::prelude::*;

async fn a_user_logs_in_is_known_by_token_or_cookie_and_logs_out(backend: Backend) {
    use anju_core::access::Role;
    let app = TestApp::new(&backend, "login").await;
    app.add_user("xiashi", Role::Town, Some("硖石街道"), "correct horse")
        .await;
    let (status, headers, body) = app.login("xiashi", "correct horse").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"].as_str().unwrap().to_string();
    assert_eq!(body["user"]["role"], "town");
    assert!(body["user"].get("password_hash").is_none());
    let cookie = headers[axum::http::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.starts_with(&format!("anju_session={token}"))
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
    );
    let (status, me) = app.with_token("GET", "/api/v1/me", &token).await;
    assert_eq!(
        (status, me["name"].as_str()),
        (StatusCode::OK, Some("xiashi"))
    );
    let by_cookie = Request::get("/api/v1/me")
        .header("cookie", format!("other=1; anju_session={token}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(by_cookie).await.0, StatusCode::OK);
    let (status, _) = app.with_token("POST", "/api/v1/logout", &token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.with_token("GET", "/api/v1/me", &token).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    let (status, _) = app.with_token("GET", "/api/v1/me", "not-a-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn wrong_passwords_and_unknown_users_get_the_same_answer(backend: Backend) {
    use anju_core::access::Role;
    let app = TestApp::new(&backend, "wrong").await;
    app.add_user("xiashi", Role::Town, Some("硖石街道"), "correct horse")
        .await;
    let (s1, _, b1) = app.login("xiashi", "wrong horse").await;
    let (s2, _, b2) = app.login("nobody", "wrong horse").await;
    assert_eq!(
        (s1, s2),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(b1, b2);
}

async fn five_failures_in_fifteen_minutes_lock_the_account_for_fifteen_minutes(backend: Backend) {
    use anju_core::access::Role;
    let app = TestApp::new(&backend, "lock").await;
    app.add_user("xiashi", Role::Town, Some("硖石街道"), "correct horse")
        .await;
    for _ in 0..5 {
        assert_eq!(
            app.login("xiashi", "wrong horse").await.0,
            StatusCode::UNAUTHORIZED
        );
        app.advance(60);
    }
    let (status, _, body) = app.login("xiashi", "correct horse").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "locked");
    app.advance(15 * 60);
    assert_eq!(app.login("xiashi", "correct horse").await.0, StatusCode::OK);
}

async fn a_session_ends_after_thirty_idle_minutes(backend: Backend) {
    use anju_core::access::Role;
    let app = TestApp::new(&backend, "idle").await;
    app.add_user("xiashi", Role::Town, Some("硖石街道"), "correct horse")
        .await;
    let token = app.login("xiashi", "correct horse").await.2["token"]
        .as_str()
        .unwrap()
        .to_string();
    app.advance(29 * 60);
    assert_eq!(
        app.with_token("GET", "/api/v1/me", &token).await.0,
        StatusCode::OK,
        "used: the idle time starts again"
    );
    app.advance(29 * 60);
    assert_eq!(
        app.with_token("GET", "/api/v1/me", &token).await.0,
        StatusCode::OK
    );
    app.advance(30 * 60);
    assert_eq!(
        app.with_token("GET", "/api/v1/me", &token).await.0,
        StatusCode::UNAUTHORIZED
    );
}

crate::on_both_backends!(
    a_user_logs_in_is_known_by_token_or_cookie_and_logs_out,
    wrong_passwords_and_unknown_users_get_the_same_answer,
    five_failures_in_fifteen_minutes_lock_the_account_for_fifteen_minutes,
    a_session_ends_after_thirty_idle_minutes,
);

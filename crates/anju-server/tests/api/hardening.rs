//! What a probe of the service as an attacker and as a careless client found
//! (shared/reviews/security-probe-2026-12.md), each kept fixed by a test:
//! repeated figures in one batch, a busy database, the cross-site check with
//! a foreign `Authorization` header, lockouts, headers, odd numbers.

use anju_core::access::Role;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;

use super::TestApp;
use crate::common::Backend;

fn figure(indicator: u16, org: &str, period: &str, value: &str) -> serde_json::Value {
    json!({"indicator": indicator, "org_unit": org, "period": period, "value": value})
}

async fn a_batch_with_the_same_figure_twice_is_refused_naming_both(backend: Backend) {
    let app = TestApp::new(&backend, "dup").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    // The same figure, once by its short name and month, once by another
    // alias and the Chinese month: the same (indicator, unit, period).
    let (status, body) = app
        .post(
            "/api/v1/values",
            &town,
            json!({"values": [
                figure(8, "硖石街道", "2024-06", "7"),
                figure(7, "硖石街道", "2024-06", "3"),
                figure(8, "海宁市硖石街道", "2024年6月", "9"),
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("values[2]") && message.contains("values[0]"),
        "{message}"
    );
    let (_, list) = app.with_token("GET", "/api/v1/values", &town).await;
    assert_eq!(
        list["values"].as_array().unwrap().len(),
        0,
        "nothing stored"
    );
}

async fn a_batch_over_five_thousand_figures_is_refused(backend: Backend) {
    let app = TestApp::new(&backend, "cap").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let values: Vec<_> = (0..5_001)
        .map(|k| {
            figure(
                8,
                "硖石街道",
                &format!("{}-{:02}", 2024 + k / 12, 1 + k % 12),
                "1",
            )
        })
        .collect();
    let (status, body) = app
        .post("/api/v1/values", &town, json!({ "values": values }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("5000"),
        "{body}"
    );
}

/// Replacing a draft many times keeps one live draft and numbers the
/// versions on (the look-up reads the latest version, not all of them).
async fn a_draft_replaced_many_times_keeps_one_draft(backend: Backend) {
    let app = TestApp::new(&backend, "redraft").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    for k in 1..=30 {
        let (status, body) = app
            .post(
                "/api/v1/values",
                &town,
                json!({"values": [figure(8, "硖石街道", "2024-06", &k.to_string())]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["values"][0]["version"], k);
    }
    let (_, list) = app
        .with_token("GET", "/api/v1/values?state=draft", &town)
        .await;
    let drafts = list["values"].as_array().unwrap();
    assert_eq!(drafts.len(), 1, "{list}");
    assert_eq!(drafts[0]["value"].to_string(), "30");
    // Submitted, it can no longer be replaced by a draft.
    let id = drafts[0]["id"].as_i64().unwrap();
    let (status, _) = app
        .post("/api/v1/values/submit", &town, json!({"ids": [id]}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .post(
            "/api/v1/values",
            &town,
            json!({"values": [figure(8, "硖石街道", "2024-06", "31")]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("待审核")
    );
}

/// Another writer holds SQLite's write lock longer than a request may wait:
/// the request answers 503 with `Retry-After`, not 500, and stores nothing.
#[tokio::test]
async fn a_busy_database_answers_503_with_retry_after() {
    let app = TestApp::new(&Backend::Sqlite, "busy").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let anju_store::Store::Sqlite(pool) = &app.state.store else {
        unreachable!("a SQLite store");
    };
    let mut holder = pool.acquire().await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *holder)
        .await
        .unwrap();
    let request = Request::post("/api/v1/values")
        .header("authorization", format!("Bearer {town}"))
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"values": [figure(8, "硖石街道", "2024-06", "7")]}).to_string(),
        ))
        .unwrap();
    let (status, headers, body) = app.send(request).await;
    sqlx::query("ROLLBACK").execute(&mut *holder).await.unwrap();
    drop(holder);
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "busy");
    assert_eq!(headers.get("retry-after").unwrap(), "2");
    let (_, list) = app.with_token("GET", "/api/v1/values", &town).await;
    assert_eq!(list["values"].as_array().unwrap().len(), 0);
}

/// A write with the session cookie from another origin is refused, whatever
/// other `Authorization` header comes with it (a browser adds `Basic` or
/// `Negotiate` by itself behind an intranet proxy); an origin that differs
/// from this site's only by scheme or port is another origin.
async fn a_cookie_write_from_another_origin_is_refused_whatever_the_authorization_header(
    backend: Backend,
) {
    let app = TestApp::new(&backend, "csrf").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let write = |headers: &[(&str, &str)]| {
        let mut r = Request::post("/api/v1/values")
            .header("host", "anju.example:8080")
            .header("cookie", format!("anju_session={town}"))
            .header("content-type", "application/json");
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        r.body(Body::from(
            json!({"values": [figure(8, "硖石街道", "2024-06", "7")]}).to_string(),
        ))
        .unwrap()
    };
    let refused: [&[(&str, &str)]; 8] = [
        &[
            ("origin", "http://evil.example"),
            ("authorization", "Basic dXNlcjpwYXNz"),
        ],
        &[
            ("sec-fetch-site", "cross-site"),
            ("authorization", "Basic dXNlcjpwYXNz"),
        ],
        &[
            ("origin", "http://evil.example"),
            ("authorization", "Negotiate YIIBhw=="),
        ],
        &[("origin", "http://evil.example"), ("authorization", "")],
        &[("origin", "https://anju.example:8080")],
        &[("origin", "http://anju.example:8081")],
        &[("origin", "http://anju.example")],
        &[("origin", "null")],
    ];
    for headers in refused {
        let (status, _, body) = app.send(write(headers)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{headers:?}: {body}");
        assert_eq!(body["error"]["code"], "cross_site", "{headers:?}");
    }
    // This site's own origin, in any case; behind an HTTPS proxy, https.
    let allowed: [&[(&str, &str)]; 3] = [
        &[("origin", "http://ANJU.example:8080")],
        &[
            ("origin", "https://anju.example:8080"),
            ("x-forwarded-proto", "https"),
        ],
        &[
            ("origin", "http://evil.example"),
            ("authorization", format!("Bearer {town}").leak()),
        ],
    ];
    for (k, headers) in allowed.iter().enumerate() {
        let (status, _, body) = app.send(write(headers)).await;
        // The first stores a draft; the later ones replace it.
        assert_eq!(status, StatusCode::OK, "{k} {headers:?}: {body}");
    }
}

/// A statement run on the test's database behind the service.
async fn raw(app: &TestApp, text: &str) {
    match &app.state.store {
        anju_store::Store::Sqlite(pool) => {
            sqlx::query(sqlx::AssertSqlSafe(text.to_string()))
                .execute(pool)
                .await
                .unwrap();
        }
        anju_store::Store::Postgres(pool) => {
            sqlx::query(sqlx::AssertSqlSafe(text.to_string()))
                .execute(pool)
                .await
                .unwrap();
        }
    }
}

/// A row put into the audit log behind the service where its next entry
/// goes: writes (and logins, which are recorded) answer 503 with a clear
/// message, not 500; reading goes on; once the row is gone, writes work.
async fn a_forged_audit_row_blocks_writes_with_a_clear_error_not_500(backend: Backend) {
    let app = TestApp::new(&backend, "forged").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    raw(
        &app,
        "INSERT INTO audit_log (id, at, actor, action, subject, before, after, prev_hash, hash) \
         SELECT seq + 1, 'x', 'x', 'login', 'x', NULL, NULL, 'x', 'x' FROM audit_head WHERE id = 1",
    )
    .await;
    let (status, body) = app
        .post(
            "/api/v1/values",
            &town,
            json!({"values": [figure(8, "硖石街道", "2024-06", "7")]}),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "audit_blocked");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("anju audit verify"),
        "{body}"
    );
    let (status, _, body) = app.login("xiashi", "wrong password").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let (status, _) = app.with_token("GET", "/api/v1/values", &town).await;
    assert_eq!(status, StatusCode::OK, "reading goes on");
    raw(
        &app,
        "DELETE FROM audit_log WHERE id > (SELECT seq FROM audit_head WHERE id = 1)",
    )
    .await;
    let (status, body) = app
        .post(
            "/api/v1/values",
            &town,
            json!({"values": [figure(8, "硖石街道", "2024-06", "7")]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

crate::on_both_backends!(
    a_forged_audit_row_blocks_writes_with_a_clear_error_not_500,
    a_batch_with_the_same_figure_twice_is_refused_naming_both,
    a_batch_over_five_thousand_figures_is_refused,
    a_draft_replaced_many_times_keeps_one_draft,
    a_cookie_write_from_another_origin_is_refused_whatever_the_authorization_header,
);

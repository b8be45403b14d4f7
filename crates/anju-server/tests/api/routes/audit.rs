//! `/api/v1/audit`: the log of every change.

use crate::prelude::*;

/// The audit log through the API: what happened, by whom, newest first,
/// filtered; the chain verifies.
async fn the_audit_log_shows_every_change(backend: Backend) {
    use anju_core::access::Role;
    use serde_json::json;
    let app = TestApp::new(&backend, "audit").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let taskforce = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    assert_eq!(
        app.login("xiashi", "wrong password").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, body) = app
        .post("/api/v1/values", &town, json!({"values": [{"indicator": 8, "org_unit": "硖石街道", "period": "2024-06", "value": 7}]}))
        .await;
    let id = body["values"][0]["id"].as_i64().unwrap();
    app.post("/api/v1/values/submit", &town, json!({"ids": [id]}))
        .await;
    app.post(
        "/api/v1/values/return",
        &taskforce,
        json!({"ids": [id], "reason": "口径不对"}),
    )
    .await;

    let (status, body) = app.with_token("GET", "/api/v1/audit", &taskforce).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let entries = body["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions[..5],
        [
            "value.return",
            "value.submit",
            "value.draft",
            "login.failed",
            "login"
        ],
        "newest first"
    );
    let returned = &entries[0];
    assert_eq!(returned["actor"], "zhuanban");
    assert_eq!(returned["before"][0]["state"], "submitted");
    assert_eq!(returned["after"][0]["state"], "returned");
    assert_eq!(returned["after"][0]["return_reason"], "口径不对");
    assert_eq!(entries[1]["prev_hash"], entries[2]["hash"]);
    let (_, mine) = app
        .with_token(
            "GET",
            "/api/v1/audit?actor=xiashi&action=value.draft",
            &taskforce,
        )
        .await;
    let mine = mine["entries"].as_array().unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["after"][0]["value"], "7");
    let (_, page) = app
        .with_token(
            "GET",
            &format!("/api/v1/audit?limit=2&before_id={}", entries[0]["id"]),
            &taskforce,
        )
        .await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 2);
    assert_eq!(page["entries"][0]["id"], entries[1]["id"]);
    // A long name tried is kept short; an admin sees who changed a figure, not the figure.
    let long = "x".repeat(5000);
    assert_eq!(
        app.login(&long, "whatever").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, failed) = app
        .with_token("GET", "/api/v1/audit?action=login.failed", &taskforce)
        .await;
    assert!(
        failed["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"].as_str().unwrap().chars().count() <= 64)
    );
    let admin = app.token("root", Role::Admin, None).await;
    let (_, seen) = app
        .with_token("GET", "/api/v1/audit?action=value.draft", &admin)
        .await;
    assert_eq!(
        (
            seen["entries"][0]["actor"].as_str(),
            seen["entries"][0]["after"].is_null()
        ),
        (Some("xiashi"), true)
    );
    let (status, _) = app
        .with_token("GET", "/api/v1/audit?limit=0", &taskforce)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(matches!(
        app.state.store.verify_audit().await.unwrap(),
        anju_store::AuditCheck::Whole { .. }
    ));
}

crate::on_both_backends!(the_audit_log_shows_every_change,);

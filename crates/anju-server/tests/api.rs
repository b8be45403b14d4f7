#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]
//! The API through the real router, in process (`oneshot`), on a fresh SQLite
//! database per test.

use std::sync::Arc;

use anju_server::{AppState, router};
use anju_store::Store;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

struct TestApp {
    state: AppState,
}

impl TestApp {
    async fn new(name: &str) -> TestApp {
        let dir = std::env::temp_dir().join(format!("anju-api-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("anju.db");
        let _ = std::fs::remove_file(&path);
        let store = Store::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let plan = Arc::new(anju_core::builtin_plan().unwrap());
        TestApp {
            state: AppState { plan, store },
        }
    }

    async fn get(&self, uri: &str) -> (StatusCode, Value) {
        let response = router(self.state.clone())
            .oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).expect("a JSON body"))
    }
}

#[tokio::test]
async fn health_says_backend_and_plan() {
    let app = TestApp::new("health").await;
    let (status, body) = app.get("/api/v1/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["backend"], "sqlite");
    assert_eq!(body["plan"], "haining-2023-2027");
}

#[tokio::test]
async fn the_plan_is_public_with_its_figures() {
    let app = TestApp::new("plan").await;
    let (status, body) = app.get("/api/v1/plan").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["indicators"].as_array().unwrap().len(), 15);
    assert_eq!(
        body["indicators"][3]["targets"][1]["comparator"], ">",
        "indicator 4 in 2024: >1.48"
    );
    assert_eq!(body["indicators"][1]["baseline"].to_string(), "2.22");
    let towns = body["org_units"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["parent"] == "海宁市" && o["level"] != "department");
    assert_eq!(towns.count(), 12);
    assert_eq!(body["tasks"][12]["lead"], "海宁公积金分中心");
}

#[tokio::test]
async fn an_unknown_address_is_a_json_404() {
    let app = TestApp::new("404").await;
    let (status, body) = app.get("/api/v1/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("没有这个地址")
    );
}

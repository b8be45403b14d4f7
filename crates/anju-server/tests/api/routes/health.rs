//! `GET /api/v1/health` and the answer to an address no route serves.

use crate::prelude::*;

async fn health_says_backend_and_plan(backend: Backend) {
    let app = TestApp::new(&backend, "health").await;
    let (status, body) = app.get("/api/v1/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["backend"], backend.name());
    assert_eq!(body["plan"], "haining-2023-2027");
}

async fn an_unknown_address_is_a_json_404(backend: Backend) {
    let app = TestApp::new(&backend, "404").await;
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

crate::on_both_backends!(
    health_says_backend_and_plan,
    an_unknown_address_is_a_json_404,
);

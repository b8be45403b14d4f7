//! The OpenAPI document: a snapshot (a change to the API shows in review),
//! every route it names is served, and the answers have the fields it says.

use anju_server::{AppState, openapi_document, router};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::common::Backend;

fn doc() -> Value {
    serde_json::from_str(openapi_document()).unwrap()
}

/// Every schema of the document has one type behind it: two types of one
/// name (an `ItemOut` of 督办 and one of 工作要点) would silently share one
/// schema, and the document would lie about one of them.
#[test]
fn no_two_schema_types_share_a_name() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut names: Vec<(String, String)> = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let mut lines = text.lines().peekable();
            while let Some(line) = lines.next() {
                if !(line.contains("derive(") && line.contains("ToSchema")) {
                    continue;
                }
                // The next line declaring a struct or an enum names it.
                for next in lines.by_ref() {
                    let t = next.trim_start();
                    if let Some(rest) = t
                        .strip_prefix("pub(crate) struct ")
                        .or_else(|| t.strip_prefix("pub struct "))
                        .or_else(|| t.strip_prefix("struct "))
                        .or_else(|| t.strip_prefix("pub(crate) enum "))
                        .or_else(|| t.strip_prefix("pub enum "))
                    {
                        let name: String = rest
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        names.push((name, path.display().to_string()));
                        break;
                    }
                }
            }
        }
    }
    names.sort();
    let twice: Vec<&(String, String)> = names
        .windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .map(|w| &w[1])
        .collect();
    assert!(
        names.len() > 40,
        "the scan found the schema types: {}",
        names.len()
    );
    assert!(twice.is_empty(), "schema types sharing a name: {twice:?}");
}

#[test]
fn the_document_is_as_reviewed() {
    insta::assert_snapshot!("openapi", openapi_document());
}

async fn send(
    state: &AppState,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    let request = match body {
        Some(b) => request
            .header("content-type", "application/json")
            .body(Body::from(b.to_string())),
        None => request.body(Body::empty()),
    }
    .unwrap();
    let response = router(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn every_route_in_the_document_is_served(backend: Backend) {
    let app = crate::TestApp::new(&backend, "routes").await;
    let state = app.state.clone();
    let doc = doc();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 15, "{}", paths.len());
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let uri = path.replace("{id}", "1").replace("{name}", "nobody");
            let (status, body) =
                send(&state, &method.to_uppercase(), &uri, None, Some(json!({}))).await;
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
            assert!(
                !(status == StatusCode::NOT_FOUND && body["error"]["message"] == "没有这个地址"),
                "{method} {uri} is in the document but not served"
            );
            // Every route that needs a login says so in the document.
            if status == StatusCode::UNAUTHORIZED && path != "/api/v1/login" {
                assert!(
                    item[method]["security"].is_array(),
                    "{method} {path}: no security"
                );
            }
        }
    }
}

/// The property names of a schema in the document.
fn properties(doc: &Value, schema: &str) -> Vec<String> {
    let mut names: Vec<String> = doc["components"]["schemas"][schema]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("no schema {schema}"))
        .keys()
        .cloned()
        .collect();
    names.sort();
    names
}

/// The required property names of a schema (an import's `rows` is optional).
fn required(doc: &Value, schema: &str) -> Vec<String> {
    let mut names: Vec<String> = doc["components"]["schemas"][schema]["required"]
        .as_array()
        .unwrap_or_else(|| panic!("no required list in {schema}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

fn keys(v: &Value) -> Vec<String> {
    let mut names: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    names.sort();
    names
}

async fn answers_have_the_fields_the_document_names(backend: Backend) {
    use anju_core::access::Role;
    let app = crate::TestApp::new(&backend, "fields").await;
    let state = app.state.clone();
    let hash = anju_store::hash_password("long enough").unwrap();
    for (name, role, org) in [
        ("root", Role::Admin, None),
        ("tf", Role::Taskforce, Some("市住建局")),
    ] {
        state
            .store
            .create_user(
                name,
                role,
                org,
                &hash,
                "2024-07-01T09:00:00+08:00",
                "test",
                false,
            )
            .await
            .unwrap();
    }
    let login = |name: &'static str| {
        let state = state.clone();
        async move {
            let (_, body) = send(
                &state,
                "POST",
                "/api/v1/login",
                None,
                Some(json!({"username": name, "password": "long enough"})),
            )
            .await;
            body
        }
    };
    let doc = doc();
    let answer = login("tf").await;
    assert_eq!(keys(&answer), properties(&doc, "LoginAnswer"));
    assert_eq!(keys(&answer["user"]), properties(&doc, "UserView"));
    let tf = answer["token"].as_str().unwrap().to_string();
    let root = login("root").await["token"].as_str().unwrap().to_string();

    let (_, health) = send(&state, "GET", "/api/v1/health", None, None).await;
    assert_eq!(keys(&health), properties(&doc, "Health"));
    let (_, plan) = send(&state, "GET", "/api/v1/plan", None, None).await;
    assert_eq!(keys(&plan), properties(&doc, "PlanView"));
    assert_eq!(
        keys(&plan["indicators"][0]),
        properties(&doc, "IndicatorView")
    );
    assert_eq!(keys(&plan["tasks"][0]), properties(&doc, "TaskView"));

    let v = json!({"values": [{"indicator": 8, "org_unit": "硖石街道", "period": "2024-06", "value": 3}]});
    let (status, body) = send(&state, "POST", "/api/v1/values", Some(&tf), Some(v)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys(&body), properties(&doc, "ValuesOut"));
    assert_eq!(keys(&body["values"][0]), properties(&doc, "ValueOut"));
    let (_, eval) = send(
        &state,
        "GET",
        "/api/v1/evaluation?as_of=2024-06",
        Some(&tf),
        None,
    )
    .await;
    assert_eq!(keys(&eval), properties(&doc, "EvalDoc"));
    assert_eq!(keys(&eval["rows"][0]), properties(&doc, "RowView"));
    let (_, users) = send(&state, "GET", "/api/v1/users", Some(&root), None).await;
    assert_eq!(keys(&users["users"][0]), properties(&doc, "UserOut"));
    let (status, error) = send(&state, "GET", "/api/v1/users", Some(&tf), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(keys(&error), properties(&doc, "ErrorDoc"));
    assert_eq!(keys(&error["error"]), required(&doc, "ErrorDocInner"));
}

on_both_backends!(
    every_route_in_the_document_is_served,
    answers_have_the_fields_the_document_names,
);

//! One `TestApp` for every test of the service: the real router in process
//! (`oneshot`) on a fresh database (SQLite, or a PostgreSQL schema of its
//! own), with a clock the test moves; and the helpers several routes use.

use crate::prelude::*;

pub(crate) struct TestApp {
    pub(crate) state: AppState,
    pub(crate) now: Arc<std::sync::atomic::AtomicI64>,
    /// Drops the PostgreSQL schema at the end (the first server of a test).
    pub(crate) _guard: Option<crate::common::SchemaGuard>,
}

impl TestApp {
    pub(crate) async fn new(backend: &Backend, name: &str) -> TestApp {
        let (store, guard) = backend.fresh(name).await;
        let plan = Arc::new(anju_core::builtin_plan().unwrap());
        // 2024-07-03 09:00 in China; tests move it.
        let now = Arc::new(std::sync::atomic::AtomicI64::new(1_719_968_400));
        let clock_now = now.clone();
        let clock: anju_server::Clock =
            Arc::new(move || clock_now.load(std::sync::atomic::Ordering::SeqCst));
        TestApp {
            state: AppState::new(plan, store, clock),
            now,
            _guard: guard,
        }
    }

    /// Another server on the same database, with its own memory.
    pub(crate) fn second(&self) -> TestApp {
        TestApp {
            state: AppState::new(
                self.state.plan(),
                self.state.store.clone(),
                self.state.clock.clone(),
            ),
            now: self.now.clone(),
            _guard: None,
        }
    }

    pub(crate) fn advance(&self, seconds: i64) {
        self.now
            .fetch_add(seconds, std::sync::atomic::Ordering::SeqCst);
    }

    pub(crate) async fn add_user(
        &self,
        name: &str,
        role: anju_core::access::Role,
        org: Option<&str>,
        password: &str,
    ) {
        let hash = anju_store::hash_password(password).unwrap();
        self.state
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

    pub(crate) async fn send(
        &self,
        request: Request<Body>,
    ) -> (StatusCode, axum::http::HeaderMap, Value) {
        let response = router(self.state.clone()).oneshot(request).await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("a JSON body")
        };
        (status, headers, body)
    }

    pub(crate) async fn login(
        &self,
        name: &str,
        password: &str,
    ) -> (StatusCode, axum::http::HeaderMap, Value) {
        let body = serde_json::json!({ "username": name, "password": password }).to_string();
        let request = Request::post("/api/v1/login")
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    pub(crate) async fn with_token(
        &self,
        method: &str,
        uri: &str,
        token: &str,
    ) -> (StatusCode, Value) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let (status, _, body) = self.send(request).await;
        (status, body)
    }

    pub(crate) async fn get(&self, uri: &str) -> (StatusCode, Value) {
        let response = router(self.state.clone())
            .oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).expect("a JSON body"))
    }
}

/// 硖石街道's actual for indicator 8, as the evaluation shows it.
pub(crate) async fn xiashi_8(app: &TestApp, token: &str) -> String {
    let (_, body) = app
        .with_token("GET", "/api/v1/evaluation?as_of=2024-06", token)
        .await;
    let rows = body["rows"].as_array().unwrap();
    rows.iter()
        .find(|r| r["indicator"] == 8 && r["org_unit"] == "硖石街道")
        .unwrap()["actual"]
        .to_string()
}

/// Raw bytes of an answer.
pub(crate) async fn raw_get(app: &TestApp, uri: &str) -> (StatusCode, Vec<u8>) {
    let response = router(app.state.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, bytes.to_vec())
}

/// A multipart form with a file (and other fields).
pub(crate) fn form(file_name: &str, content: &[u8], fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "----anjuTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let request = Request::post("/api/v1/imports")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap();
    let (status, _, body) = app.send(request).await;
    (status, body)
}

pub(crate) async fn values_count(app: &TestApp, token: &str) -> usize {
    app.with_token("GET", "/api/v1/values", token).await.1["values"]
        .as_array()
        .unwrap()
        .len()
}

/// Fills cells of an .xlsx without touching its layout: `(column, indicator
/// code in column A, number)`; returns the new file.
pub(crate) fn fill_in(xlsx: &[u8], cells: &[(char, u16, &str)]) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for k in 0..zin.len() {
        let mut entry = zin.by_index(k).unwrap();
        let name = entry.name().to_string();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            let mut xml = String::from_utf8(data).unwrap();
            for (col, code, number) in cells {
                // The row whose column A holds the indicator's code (a
                // number cell, not a shared string).
                let row = xml
                    .match_indices("<c r=\"A")
                    .find_map(|(at, _)| {
                        let cell = &xml[at..at + xml[at..].find("</c>")?];
                        let row: String =
                            cell[7..].chars().take_while(char::is_ascii_digit).collect();
                        (!cell.contains("t=\"s\"") && cell.ends_with(&format!("<v>{code}</v>")))
                            .then_some(row)
                    })
                    .unwrap();
                let blank_start = xml.find(&format!("<c r=\"{col}{row}\"")).unwrap();
                let blank_end = blank_start + xml[blank_start..].find("/>").unwrap();
                let cell = xml[blank_start..blank_end].to_string();
                xml.replace_range(
                    blank_start..blank_end + 2,
                    &format!("{cell}><v>{number}</v></c>"),
                );
            }
            data = xml.into_bytes();
        }
        let options = zip::write::SimpleFileOptions::default();
        out.start_file(name, options).unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

impl TestApp {
    pub(crate) async fn token(
        &self,
        name: &str,
        role: anju_core::access::Role,
        org: Option<&str>,
    ) -> String {
        self.add_user(name, role, org, "correct horse").await;
        self.login(name, "correct horse").await.2["token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub(crate) async fn patch(&self, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let request = Request::patch(uri)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let (status, _, body) = self.send(request).await;
        (status, body)
    }

    pub(crate) async fn post(&self, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let request = Request::post(uri)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let (status, _, body) = self.send(request).await;
        (status, body)
    }
}

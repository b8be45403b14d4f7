#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::disallowed_methods
)]
//! The API through the real router, in process (`oneshot`), on a fresh SQLite
//! database per test.

use std::sync::Arc;

use anju_server::{AppState, router};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

mod common;
use common::Backend;

#[path = "api/web.rs"]
mod web;

#[path = "api/hardening.rs"]
mod hardening;

#[path = "api/jobs.rs"]
mod jobs;

#[path = "api/bulk.rs"]
mod bulk;

struct TestApp {
    state: AppState,
    now: Arc<std::sync::atomic::AtomicI64>,
    /// Drops the PostgreSQL schema at the end (the first server of a test).
    _guard: Option<common::SchemaGuard>,
}

impl TestApp {
    async fn new(backend: &Backend, name: &str) -> TestApp {
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
    fn second(&self) -> TestApp {
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

    fn advance(&self, seconds: i64) {
        self.now
            .fetch_add(seconds, std::sync::atomic::Ordering::SeqCst);
    }

    async fn add_user(
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

    async fn send(&self, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
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

    async fn login(
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

    async fn with_token(&self, method: &str, uri: &str, token: &str) -> (StatusCode, Value) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let (status, _, body) = self.send(request).await;
        (status, body)
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

async fn health_says_backend_and_plan(backend: Backend) {
    let app = TestApp::new(&backend, "health").await;
    let (status, body) = app.get("/api/v1/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["backend"], backend.name());
    assert_eq!(body["plan"], "haining-2023-2027");
}

async fn the_plan_is_public_with_its_figures(backend: Backend) {
    let app = TestApp::new(&backend, "plan").await;
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

impl TestApp {
    async fn token(&self, name: &str, role: anju_core::access::Role, org: Option<&str>) -> String {
        self.add_user(name, role, org, "correct horse").await;
        self.login(name, "correct horse").await.2["token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn patch(&self, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let request = Request::patch(uri)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let (status, _, body) = self.send(request).await;
        (status, body)
    }

    async fn post(&self, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let request = Request::post(uri)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let (status, _, body) = self.send(request).await;
        (status, body)
    }
}

async fn a_town_reports_the_task_force_approves_and_the_evaluation_shows_it(backend: Backend) {
    use anju_core::access::Role;
    use serde_json::json;
    let app = TestApp::new(&backend, "flow").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let taskforce = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    let leader = app.token("shizhang", Role::Leader, None).await;

    // The town enters its figures (a ratio as numerator and denominator; the
    // unit by a qualified name) and submits them.
    let (status, body) = app
        .post(
            "/api/v1/values",
            &town,
            json!({"values": [
                {"indicator": 6, "org_unit": "海宁市硖石街道", "period": "2024-06", "numerator": "45", "denominator": 50},
                {"indicator": "8", "org_unit": "硖石街道", "period": "2024年6月", "value": 7}
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ids: Vec<i64> = body["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_i64().unwrap())
        .collect();
    assert_eq!(body["values"][0]["org_unit"], "硖石街道");
    assert_eq!(body["values"][0]["state"], "draft");
    let (status, body) = app
        .post("/api/v1/values/submit", &town, json!({"ids": ids}))
        .await;
    assert_eq!(
        (status, body["values"][1]["state"].as_str()),
        (StatusCode::OK, Some("submitted"))
    );

    // Not approved yet: the evaluation has no data.
    let (status, body) = app
        .with_token(
            "GET",
            "/api/v1/evaluation?as_of=2024-06&org_unit=硖石街道",
            &leader,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let row8 = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["indicator"] == 8)
        .unwrap();
    assert_eq!(row8["status"], "no_data");

    // The town cannot approve; the task force can.
    let (status, body) = app
        .post("/api/v1/values/approve", &town, json!({"ids": ids}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (status, _) = app
        .post("/api/v1/values/approve", &taskforce, json!({"ids": ids}))
        .await;
    assert_eq!(status, StatusCode::OK);
    // Approving again is a wrong state step.
    let (status, body) = app
        .post("/api/v1/values/approve", &taskforce, json!({"ids": ids}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );

    // The very next request sees it, with the same fields as anju eval.
    let (_, body) = app
        .with_token("GET", "/api/v1/evaluation?as_of=2024-06", &leader)
        .await;
    let rows = body["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 15 * 13);
    let town6 = rows
        .iter()
        .find(|r| r["indicator"] == 6 && r["org_unit"] == "硖石街道")
        .unwrap();
    assert_eq!(town6["actual"].to_string(), "90");
    assert_eq!(town6["numerator"].to_string(), "45");
    let city8 = rows
        .iter()
        .find(|r| r["indicator"] == 8 && r["org_unit"] == "海宁市")
        .unwrap();
    assert_eq!(city8["actual"].to_string(), "7");

    // A town reads its own rows and the city's, not another town's.
    let (_, body) = app
        .with_token("GET", "/api/v1/evaluation?as_of=2024-06", &town)
        .await;
    let units: std::collections::BTreeSet<&str> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["org_unit"].as_str().unwrap())
        .collect();
    assert_eq!(units, ["海宁市", "硖石街道"].into_iter().collect());
    let (_, body) = app.with_token("GET", "/api/v1/values", &town).await;
    assert_eq!(body["values"].as_array().unwrap().len(), 2);
}

async fn scopes_and_bad_input_are_refused_with_the_right_status(backend: Backend) {
    use anju_core::access::Role;
    use serde_json::json;
    let app = TestApp::new(&backend, "scopes").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let leader = app.token("shizhang", Role::Leader, None).await;
    let one = |org: &str, period: &str| json!({"values": [{"indicator": 8, "org_unit": org, "period": period, "value": 1}]});

    let (status, _) = app
        .post("/api/v1/values", &town, one("海洲街道", "2024-06"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another town");
    let (status, _) = app
        .post("/api/v1/values", &leader, one("硖石街道", "2024-06"))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "leaders read, they do not report"
    );
    let (status, body) = app
        .post("/api/v1/values", &town, one("硖石街道", "2024-13"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("values[0].period:"),
        "{body}"
    );
    let (status, _) = app
        .post("/api/v1/values/submit", &town, json!({"ids": [4242]}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let unauthenticated = Request::post("/api/v1/values")
        .header("content-type", "application/json")
        .body(Body::from(one("硖石街道", "2024-06").to_string()))
        .unwrap();
    assert_eq!(app.send(unauthenticated).await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .with_token("GET", "/api/v1/evaluation?as_of=2024-13", &leader)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn malformed_and_oversized_bodies_get_json_errors(backend: Backend) {
    use anju_core::access::Role;
    let app = TestApp::new(&backend, "bodies").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let raw = |body: Vec<u8>, content_type: &str| {
        Request::post("/api/v1/values")
            .header("authorization", format!("Bearer {town}"))
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap()
    };
    let (status, _, body) = app
        .send(raw(b"{\"values\": [".to_vec(), "application/json"))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_json"))
    );
    let (status, _, body) = app
        .send(raw(
            b"{\"values\": [{\"indicator\": 8}]}".to_vec(),
            "application/json",
        ))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("org_unit"),
        "{body}"
    );
    let (status, _, body) = app.send(raw(b"{}".to_vec(), "text/plain")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("content_type"))
    );
    let mut big = b"{\"values\": [], \"pad\": \"".to_vec();
    big.extend(std::iter::repeat_n(b'x', anju_server::MAX_BODY + 1));
    big.extend(b"\"}");
    let (status, _, body) = app.send(raw(big, "application/json")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large"))
    );
}

/// Every role × every endpoint × its own unit and another: each cell an
/// assertion on the status.
/// Every role × every endpoint × its own and another's figure. Each cell is
/// an assertion: `Y` done (2xx; for a read, the figure is in the answer),
/// `e` answered but the figure is not in it (a read outside the scope), `-`
/// refused (403). The expected table is the rule of DESIGN.md (分级分类) as
/// `anju_core::access` states it; docs/STORAGE.md has it in words.
async fn the_permission_matrix(backend: Backend) {
    use anju_core::access::Role;
    use anju_core::period::Period;
    use anju_core::workflow::{Date, Step};
    use anju_store::{NewValue, Now};
    use serde_json::json;
    let app = TestApp::new(&backend, "matrix").await;
    app.add_user("victim", Role::Leader, None, "victim password")
        .await;
    type Cell<'a> = (u16, &'a str);
    // (user, role, unit, its own figure, another's figure)
    let users: [(&str, Role, Option<&str>, Cell, Cell); 6] = [
        ("admin", Role::Admin, None, (8, "硖石街道"), (8, "海洲街道")),
        (
            "taskforce",
            Role::Taskforce,
            Some("市住建局"),
            (8, "硖石街道"),
            (2, "海宁市"),
        ),
        (
            "leader",
            Role::Leader,
            None,
            (8, "硖石街道"),
            (8, "海洲街道"),
        ),
        // The housing fund leads indicator 15; indicator 2 is not its.
        (
            "fund",
            Role::LeadUnit,
            Some("海宁公积金分中心"),
            (15, "海宁市"),
            (2, "海宁市"),
        ),
        // The NDRC co-runs the tasks of indicators 1–5 and 7, not 8.
        (
            "ndrc",
            Role::Unit,
            Some("市发改局"),
            (2, "海宁市"),
            (8, "海宁市"),
        ),
        (
            "xiashi",
            Role::Town,
            Some("硖石街道"),
            (8, "硖石街道"),
            (8, "海洲街道"),
        ),
    ];
    const COLUMNS: [&str; 26] = [
        "enter own",
        "enter other",
        "submit own",
        "submit other",
        "approve own",
        "approve other",
        "return own",
        "return other",
        "correct own",
        "correct other",
        "list own",
        "list other",
        "evaluation own",
        "evaluation other",
        "adjust own",
        "adjust other",
        "adjustments list",
        "decompositions list",
        "approve self-entered",
        "users list",
        "users add",
        "users change",
        "audit",
        "me",
        "own password",
        "logout",
    ];
    // The city's rows of the evaluation are read by every user (results
    // display); the rest of a row follows the read scope.
    let expected = [
        ("admin", "----------eeee-----YYYYYYY"),
        ("taskforce", "YYYYYYYYYYYYYYYYYY----YYYY"),
        ("leader", "----------YYYY--YY-----YYY"),
        ("fund", "Y-Y-Y-Y-Y-YeYYY-YY-----YYY"),
        ("ndrc", "Y-Y-----Y-YeYY---------YYY"),
        ("xiashi", "Y-Y-----Y-YeYe---------YYY"),
    ];
    let now = Now {
        date: Date {
            year: 2024,
            month: 7,
            day: 1,
        },
        stamp: "2024-07-01T09:00:00+08:00".into(),
    };
    let seed = |(indicator, org): Cell, year: i32, month: usize| NewValue {
        indicator,
        org_unit: org.into(),
        period: Period::parse(&format!("{year}-{:02}", month + 1)).unwrap(),
        value: Some(rust_decimal::Decimal::ONE),
        numerator: None,
        denominator: None,
    };
    // A figure of `cell` brought to `upto` by other users; its id.
    let prepared = |cell: Cell, year: i32, k: usize, upto: &'static [Step]| {
        let store = app.state.store.clone();
        let now = now.clone();
        let v = seed(cell, year, k);
        async move {
            let id = store.put_drafts(&[v], "seed", &now).await.unwrap()[0].id;
            for step in upto {
                let by = if *step == Step::Submit {
                    "seed"
                } else {
                    "reviewer"
                };
                store.step(&[id], *step, by, &now, None, 5).await.unwrap();
            }
            id
        }
    };
    let code = |status: StatusCode| match status {
        s if s.is_success() => 'Y',
        StatusCode::FORBIDDEN => '-',
        s => panic!("unexpected status {s}"),
    };
    for (k, ((name, role, org, own, other), (_, want))) in users.iter().zip(expected).enumerate() {
        let password = format!("{name} password");
        app.add_user(name, *role, *org, &password).await;
        let token = app.login(name, &password).await.2["token"]
            .as_str()
            .unwrap()
            .to_string();
        let mut got = String::new();
        for (ix, cell) in [*own, *other].into_iter().enumerate() {
            let v = json!({"values": [{"indicator": cell.0, "org_unit": cell.1, "period": format!("2023-{:02}", 2 * k + ix + 1), "value": 1}]});
            got.push(code(app.post("/api/v1/values", &token, v).await.0));
        }
        for (uri, year, upto) in [
            ("/api/v1/values/submit", 2024, &[][..]),
            ("/api/v1/values/approve", 2025, &[Step::Submit][..]),
            ("/api/v1/values/return", 2026, &[Step::Submit][..]),
        ] {
            for cell in [*own, *other] {
                let id = prepared(cell, year, k, upto).await;
                let body = json!({"ids": [id], "reason": "数据有误"});
                got.push(code(app.post(uri, &token, body).await.0));
            }
        }
        for (ix, cell) in [*own, *other].into_iter().enumerate() {
            let id = prepared(cell, 2027, 2 * k + ix, &[Step::Submit, Step::Approve]).await;
            let uri = format!("/api/v1/values/{id}/correct");
            let body = json!({"value": 2, "reason": "更正"});
            got.push(code(app.post(&uri, &token, body).await.0));
        }
        for cell in [*own, *other] {
            let uri = format!("/api/v1/values?indicator={}&org_unit={}", cell.0, cell.1);
            let (status, body) = app.with_token("GET", &uri, &token).await;
            assert_eq!(status, StatusCode::OK, "{name} {uri}");
            got.push(if body["values"].as_array().unwrap().is_empty() {
                'e'
            } else {
                'Y'
            });
        }
        for cell in [*own, *other] {
            let uri = format!("/api/v1/evaluation?as_of=2024-12&org_unit={}", cell.1);
            let (status, body) = app.with_token("GET", &uri, &token).await;
            assert_eq!(status, StatusCode::OK, "{name} {uri}");
            let seen = body["rows"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["indicator"] == cell.0 && r["org_unit"] == cell.1);
            got.push(if seen { 'Y' } else { 'e' });
        }
        // Target adjustments of the city's target for the indicator of each figure.
        for cell in [*own, *other] {
            let body = json!({"indicator": cell.0, "org_unit": "海宁市", "year": 2025, "target": "1", "effective": "2025-07", "reason": "政策评估后调整"});
            got.push(code(
                app.post("/api/v1/targets/adjustments", &token, body)
                    .await
                    .0,
            ));
        }
        for uri in [
            "/api/v1/targets/adjustments",
            "/api/v1/targets/decompositions",
        ] {
            got.push(code(app.with_token("GET", uri, &token).await.0));
        }
        // A figure the user entered and submitted: never theirs to approve.
        let mine = seed(*own, 2025, 6 + k);
        let store = app.state.store.clone();
        let id = store.put_drafts(&[mine], name, &now).await.unwrap()[0].id;
        store
            .step(&[id], Step::Submit, name, &now, None, 5)
            .await
            .unwrap();
        got.push(code(
            app.post("/api/v1/values/approve", &token, json!({"ids": [id]}))
                .await
                .0,
        ));
        got.push(code(app.with_token("GET", "/api/v1/users", &token).await.0));
        let new = json!({"username": format!("new-{name}"), "role": "leader", "password": "A-new-pass-1"});
        got.push(code(app.post("/api/v1/users", &token, new).await.0));
        got.push(code(
            app.patch("/api/v1/users/victim", &token, json!({"disabled": false}))
                .await
                .0,
        ));
        got.push(code(app.with_token("GET", "/api/v1/audit", &token).await.0));
        got.push(code(app.with_token("GET", "/api/v1/me", &token).await.0));
        let change = json!({"old_password": password, "new_password": format!("Changed-pass-{k}")});
        got.push(code(
            app.post("/api/v1/me/password", &token, change).await.0,
        ));
        got.push(code(
            app.with_token("POST", "/api/v1/logout", &token).await.0,
        ));
        assert_eq!(
            app.with_token("GET", "/api/v1/me", &token).await.0,
            StatusCode::UNAUTHORIZED,
            "{name}: logged out"
        );
        let diff: Vec<String> = COLUMNS
            .iter()
            .zip(got.chars().zip(want.chars()))
            .filter(|(_, (g, w))| g != w)
            .map(|(c, (g, w))| format!("{c}: got {g}, want {w}"))
            .collect();
        assert!(
            diff.is_empty() && got.len() == want.len(),
            "{name}: {diff:?} ({got} vs {want})"
        );
    }
    // Without a login: only the public routes.
    assert_eq!(app.get("/api/v1/plan").await.0, StatusCode::OK);
    assert_eq!(app.get("/api/v1/health").await.0, StatusCode::OK);
    for (method, uri) in [
        ("POST", "/api/v1/values"),
        ("POST", "/api/v1/values/submit"),
        ("POST", "/api/v1/values/approve"),
        ("POST", "/api/v1/values/return"),
        ("POST", "/api/v1/values/1/correct"),
        ("GET", "/api/v1/values"),
        ("GET", "/api/v1/evaluation?as_of=2024-06"),
        ("GET", "/api/v1/users"),
        ("POST", "/api/v1/users"),
        ("PATCH", "/api/v1/users/victim"),
        ("GET", "/api/v1/audit"),
        ("POST", "/api/v1/publications"),
        ("POST", "/api/v1/imports"),
        ("POST", "/api/v1/targets/decompositions"),
        ("GET", "/api/v1/targets/decompositions"),
        ("GET", "/api/v1/targets/adjustments"),
        ("POST", "/api/v1/targets/adjustments"),
        ("POST", "/api/v1/targets/adjustments/1/approve"),
        ("POST", "/api/v1/targets/adjustments/1/reject"),
        ("GET", "/api/v1/me"),
        ("POST", "/api/v1/me/password"),
        ("POST", "/api/v1/logout"),
    ] {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        assert_eq!(
            app.send(request).await.0,
            StatusCode::UNAUTHORIZED,
            "{method} {uri}"
        );
    }
}

async fn an_approved_figure_is_corrected_with_a_reason_and_reviewed_again(backend: Backend) {
    use anju_core::access::Role;
    use serde_json::json;
    let app = TestApp::new(&backend, "correct").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let other = app.token("haizhou", Role::Town, Some("海洲街道")).await;
    let taskforce = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    let (_, body) = app.post("/api/v1/values", &town, json!({"values": [{"indicator": 8, "org_unit": "硖石街道", "period": "2024-06", "value": 7}]})).await;
    let id = body["values"][0]["id"].as_i64().unwrap();
    app.post("/api/v1/values/submit", &town, json!({"ids": [id]}))
        .await;
    app.post("/api/v1/values/approve", &taskforce, json!({"ids": [id]}))
        .await;

    let uri = format!("/api/v1/values/{id}/correct");
    let (status, _) = app
        .post(&uri, &other, json!({"value": 9, "reason": "x"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another town's figure");
    let (status, body) = app
        .post(&uri, &town, json!({"value": 9, "reason": " "}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app
        .post(&uri, &town, json!({"value": "8.5", "reason": "漏报一台"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["state"].as_str(), body["correction_reason"].as_str()),
        (Some("submitted"), Some("漏报一台"))
    );
    let correction = body["id"].as_i64().unwrap();

    assert_eq!(
        xiashi_8(&app, &taskforce).await,
        "7",
        "the approved figure counts until the correction is approved"
    );
    app.post(
        "/api/v1/values/approve",
        &taskforce,
        json!({"ids": [correction]}),
    )
    .await;
    assert_eq!(xiashi_8(&app, &taskforce).await, "8.5");
}

/// 硖石街道's actual for indicator 8, as the evaluation shows it.
async fn xiashi_8(app: &TestApp, token: &str) -> String {
    let (_, body) = app
        .with_token("GET", "/api/v1/evaluation?as_of=2024-06", token)
        .await;
    let rows = body["rows"].as_array().unwrap();
    rows.iter()
        .find(|r| r["indicator"] == 8 && r["org_unit"] == "硖石街道")
        .unwrap()["actual"]
        .to_string()
}

async fn a_server_sees_an_approval_made_by_another_server_at_once(backend: Backend) {
    use anju_core::access::Role;
    use serde_json::json;
    let a = TestApp::new(&backend, "two-servers").await;
    // A second server on the same database, with its own memory.
    let b = a.second();
    let town = a.token("xiashi", Role::Town, Some("硖石街道")).await;
    let taskforce = a.token("zhuanban", Role::Taskforce, Some("市住建局")).await;
    let (_, body) = a.post("/api/v1/values", &town, json!({"values": [{"indicator": 8, "org_unit": "硖石街道", "period": "2024-06", "value": 7}]})).await;
    let id = body["values"][0]["id"].as_i64().unwrap();
    a.post("/api/v1/values/submit", &town, json!({"ids": [id]}))
        .await;
    assert_eq!(
        xiashi_8(&a, &taskforce).await,
        "null",
        "server A keeps an evaluation without it"
    );
    b.post("/api/v1/values/approve", &taskforce, json!({"ids": [id]}))
        .await;
    assert_eq!(
        xiashi_8(&a, &taskforce).await,
        "7",
        "server A sees server B's approval in its next answer"
    );

    // A new plan made the plan in force (by `anju serve --plan` of another
    // server): both servers answer with it from their next request on.
    let text =
        anju_core::BUILTIN_PLAN.replacen("既有住宅加装电梯累计数量", "既有住宅加装电梯累计台数", 1);
    assert_ne!(text, anju_core::BUILTIN_PLAN);
    a.state
        .store
        .keep_plan(
            "haining-2023-2027",
            "修订版.toml",
            &text,
            "2024-07-03T09:00:00+08:00",
        )
        .await
        .unwrap();
    for server in [&a, &b] {
        let (_, body) = server
            .with_token(
                "GET",
                "/api/v1/evaluation?as_of=2024-06&org_unit=硖石街道",
                &taskforce,
            )
            .await;
        let row = body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["indicator"] == 8)
            .unwrap();
        assert_eq!(row["indicator_name"], "既有住宅加装电梯累计台数");
        assert_eq!(row["actual"].to_string(), "7", "the figures stay");
    }
    // A server asked only for the public plan reads the new one too.
    let c = a.second();
    let fresh = TestApp::new(&backend, "third").await;
    let c = TestApp {
        state: AppState::new(
            fresh.state.plan(),
            c.state.store.clone(),
            c.state.clock.clone(),
        ),
        now: c.now.clone(),
        _guard: None,
    };
    assert_eq!(c.state.plan_file(), 0, "starts with the built-in plan");
    assert_eq!(
        c.get("/api/v1/plan").await.1["indicators"][7]["name"],
        "既有住宅加装电梯累计台数"
    );
    assert!(c.state.plan_file() > 0);

    // A plan this build cannot read (kept by a newer one, say) does not stop
    // the servers: they keep the plan they run, and say so in their log.
    a.state
        .store
        .keep_plan(
            "future",
            "未来版.toml",
            "[plan]\nid = 3\n",
            "2024-07-04T09:00:00+08:00",
        )
        .await
        .unwrap();
    let (status, body) = a
        .with_token(
            "GET",
            "/api/v1/evaluation?as_of=2024-06&org_unit=硖石街道",
            &taskforce,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["rows"][7]["indicator_name"],
        "既有住宅加装电梯累计台数"
    );
}

async fn evaluation_answers_are_kept_per_caller_and_gzipped_on_request(backend: Backend) {
    use anju_core::access::Role;
    use serde_json::json;
    use std::io::Read;
    let app = TestApp::new(&backend, "kept").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let other = app.token("zhouwang", Role::Town, Some("周王庙镇")).await;
    let taskforce = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    let (_, body) = app
        .post(
            "/api/v1/values",
            &town,
            json!({"values": [{"indicator": 8, "org_unit": "硖石街道", "period": "2024-06", "value": 7}]}),
        )
        .await;
    let ids = json!([body["values"][0]["id"]]);
    app.post("/api/v1/values/submit", &town, json!({"ids": ids}))
        .await;
    app.post("/api/v1/values/approve", &taskforce, json!({"ids": ids}))
        .await;

    let units = |body: &Value| -> std::collections::BTreeSet<String> {
        body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["org_unit"].as_str().unwrap().to_string())
            .collect()
    };
    // The same month asked by callers of different scopes, twice each, in
    // turns: each gets its own rows every time.
    for _ in 0..2 {
        let (_, a) = app
            .with_token("GET", "/api/v1/evaluation?as_of=2024-06", &town)
            .await;
        let (_, b) = app
            .with_token("GET", "/api/v1/evaluation?as_of=2024-06", &other)
            .await;
        let (_, all) = app
            .with_token("GET", "/api/v1/evaluation?as_of=2024-06", &taskforce)
            .await;
        assert_eq!(units(&a), ["海宁市", "硖石街道"].map(String::from).into());
        assert_eq!(units(&b), ["周王庙镇", "海宁市"].map(String::from).into());
        assert_eq!(all["rows"].as_array().unwrap().len(), 15 * 13);
        let (_, only) = app
            .with_token(
                "GET",
                "/api/v1/evaluation?as_of=2024-06&org_unit=硖石街道",
                &taskforce,
            )
            .await;
        assert_eq!(units(&only), ["硖石街道"].map(String::from).into());
    }

    // Months outside the plan's years are refused, not evaluated.
    for month in ["2099-01", "1999-12"] {
        let (status, body) = app
            .with_token(
                "GET",
                &format!("/api/v1/evaluation?as_of={month}"),
                &taskforce,
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{month}: {body}");
    }

    // gzip when asked for, the same JSON inside; plain otherwise.
    let plain = app
        .with_token("GET", "/api/v1/evaluation?as_of=2024-06", &taskforce)
        .await
        .1;
    for (accept, zipped) in [
        ("gzip", true),
        ("br, gzip;q=0.5", true),
        ("gzip;q=0", false),
        ("identity", false),
    ] {
        let request = Request::get("/api/v1/evaluation?as_of=2024-06")
            .header("authorization", format!("Bearer {taskforce}"))
            .header("accept-encoding", accept)
            .body(Body::empty())
            .unwrap();
        let response = router(app.state.clone()).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["vary"], "accept-encoding");
        assert_eq!(
            response.headers().get("content-encoding").is_some(),
            zipped,
            "{accept}"
        );
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = if zipped {
            let mut s = String::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_string(&mut s)
                .unwrap();
            s
        } else {
            String::from_utf8(bytes.to_vec()).unwrap()
        };
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), plain);
    }
}

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

/// Figures through the API follow the rules of the values file.
async fn figures_follow_the_rules_of_the_values_file(backend: Backend) {
    use anju_core::access::Role;
    use serde_json::json;
    let app = TestApp::new(&backend, "figures").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let one = |fields: Value| {
        let mut v = json!({"org_unit": "硖石街道", "period": "2024-06"});
        for (k, x) in fields.as_object().unwrap() {
            v[k] = x.clone();
        }
        json!({ "values": [v] })
    };
    for (fields, field) in [
        (
            json!({"indicator": 6, "value": "12.5", "numerator": 0, "denominator": "100"}),
            "value",
        ),
        (json!({"indicator": 6, "numerator": 45}), "denominator"),
        (json!({"indicator": 6, "denominator": 50}), "numerator"),
        (
            json!({"indicator": 6, "numerator": 45, "denominator": 0}),
            "denominator",
        ),
        (json!({"indicator": 6}), "value"),
        (json!({"indicator": 8, "value": -3}), "value"),
        (
            json!({"indicator": 8, "value": 3, "numerator": 1, "denominator": 2}),
            "numerator",
        ),
        (json!({"indicator": 8, "value": "1.1234567"}), "value"),
        (json!({"indicator": 8, "value": true}), "value"),
        (json!({"indicator": 8, "value": 1e-7}), "value"),
    ] {
        let (status, body) = app.post("/api/v1/values", &town, one(fields.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{fields}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("values[0].{field}:")),
            "{fields}: {message}"
        );
    }
    // A rate with its parts is kept as the parts (they say more); it must agree.
    let (status, body) = app
        .post(
            "/api/v1/values",
            &town,
            one(json!({"indicator": 6, "value": "90", "numerator": 45, "denominator": 50})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v = &body["values"][0];
    assert_eq!(
        (
            v["value"].is_null(),
            v["numerator"].to_string(),
            v["denominator"].to_string()
        ),
        (true, "45".into(), "50".into())
    );
    // A JSON number with an exponent is read exactly.
    let (status, body) = app
        .post(
            "/api/v1/values",
            &town,
            one(json!({"indicator": 8, "value": 1.25e2})),
        )
        .await;
    assert_eq!(
        (status, body["values"][0]["value"].to_string()),
        (StatusCode::OK, "125".into()),
        "{body}"
    );
    let (_, listed) = app.with_token("GET", "/api/v1/values", &town).await;
    assert_eq!(
        listed["values"].as_array().unwrap().len(),
        2,
        "nothing of the refused ones was stored"
    );
}

/// No input, however malformed, gets a 500 or an answer that is not the JSON
/// error: every route of the API document and a few that are not, with no
/// login and three roles, with broken and hostile bodies, query strings and
/// path parameters, and seeded random bytes.
async fn no_input_gets_a_500_or_a_bare_error(backend: Backend) {
    use anju_core::access::Role;
    let app = TestApp::new(&backend, "garbage").await;
    app.add_user("victim", Role::Leader, None, "victim password")
        .await;
    let tokens = [
        None,
        Some(app.token("xiashi", Role::Town, Some("硖石街道")).await),
        Some(
            app.token("zhuanban", Role::Taskforce, Some("市住建局"))
                .await,
        ),
        Some(app.token("root", Role::Admin, None).await),
    ];
    let doc: Value = serde_json::from_str(anju_server::openapi_document()).unwrap();
    let mut routes: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let path = path.replace("{id}", "1").replace("{name}", "victim");
            routes.push((method.to_uppercase(), path));
        }
    }
    for (method, path) in [
        ("DELETE", "/api/v1/values"),
        ("PUT", "/api/v1/login"),
        ("POST", "/api/v1/values/abc/correct"),
        ("POST", "/api/v1/values/-1/correct"),
        ("POST", "/api/v1/values/99999999999999999999999/correct"),
        ("PATCH", "/api/v1/users/%FF%FE"),
        ("GET", "/api/v1/nope"),
    ] {
        routes.push((method.into(), path.into()));
    }
    let mut bodies: Vec<Vec<u8>> = [
        "",
        "{",
        "[]",
        "null",
        "\"x\"",
        "{}",
        r#"{"values":null}"#,
        r#"{"values":[{}]}"#,
        r#"{"values":[{"indicator":1e400,"org_unit":"","period":"9999-99","value":"1e-999999"}]}"#,
        r#"{"values":[{"indicator":-1,"org_unit":"硖石街道","period":"2024-06","value":"NaN"}]}"#,
        r#"{"values":[{"indicator":6,"org_unit":"硖石街道","period":"2024-06","numerator":"1","denominator":"0"}]}"#,
        r#"{"values":[{"indicator":8,"org_unit":"\u0000","period":"\ud800","value":[1]}]}"#,
        r#"{"ids":[-1,9223372036854775807],"reason":""}"#,
        r#"{"ids":"x"}"#,
        r#"{"ids":[1.5]}"#,
        r#"{"username":"\u0000","password":""}"#,
        r#"{"username":"victim","password":123}"#,
        r#"{"username":"new","role":"admin","org_unit":"硖石街道","password":"long enough"}"#,
        r#"{"disabled":"yes"}"#,
        r#"{"disabled":true,"password":"x"}"#,
        r#"{"old_password":"","new_password":""}"#,
        r#"{"value":"99999999999999999999999999999","reason":""}"#,
    ]
    .iter()
    .map(|b| b.as_bytes().to_vec())
    .collect();
    bodies.push(format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes());
    bodies.push(
        format!(
            r#"{{"values":[{}]}}"#,
            vec![r#"{"indicator":8}"#; 2000].join(",")
        )
        .into_bytes(),
    );
    // Seeded random bytes, and random JSON-ish text.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let pieces = [
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"values\"",
        "\"ids\"",
        "1",
        "-0",
        "1e999",
        "\"硖石街道\"",
        "null",
        "true",
        "\"\\u",
        "\\",
    ];
    for k in 0..24 {
        let len = (next() % 200) as usize;
        let body: Vec<u8> = if k % 2 == 0 {
            (0..len).map(|_| (next() % 256) as u8).collect()
        } else {
            (0..len / 4)
                .map(|_| pieces[(next() as usize) % pieces.len()])
                .collect::<String>()
                .into_bytes()
        };
        bodies.push(body);
    }
    let queries = [
        "",
        "?as_of=",
        "?as_of=2024-13",
        "?as_of=%FF%FE",
        "?as_of=2024-06&org_unit=%00",
        "?as_of=2024-06&org_unit=火星",
        "?indicator=-1",
        "?indicator=99999999999",
        "?state=x&period=2024-99",
        "?as_of=2024-06&as_of=2025-01",
    ];
    let mut asked = 0;
    for (method, path) in &routes {
        for token in &tokens {
            let mut cases: Vec<(String, Option<&[u8]>)> = Vec::new();
            if method == "GET" {
                cases.extend(queries.iter().map(|q| (format!("{path}{q}"), None)));
            } else {
                cases.extend(bodies.iter().map(|b| (path.clone(), Some(&b[..]))));
            }
            for (uri, body) in cases {
                let mut request = Request::builder().method(method.as_str()).uri(&uri);
                if let Some(t) = token {
                    request = request.header("authorization", format!("Bearer {t}"));
                }
                let request = match body {
                    Some(b) => request
                        .header("content-type", "application/json")
                        .body(Body::from(b.to_vec())),
                    None => request.body(Body::empty()),
                }
                .unwrap();
                let response = router(app.state.clone()).oneshot(request).await.unwrap();
                let status = response.status();
                let bytes = response.into_body().collect().await.unwrap().to_bytes();
                asked += 1;
                assert!(status.as_u16() < 500, "{method} {uri}: {status}");
                if !status.is_success() {
                    let error: Value = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                        panic!(
                            "{method} {uri}: {status} is not JSON: {}",
                            String::from_utf8_lossy(&bytes)
                        )
                    });
                    assert!(
                        error["error"]["code"].is_string(),
                        "{method} {uri}: {error}"
                    );
                    assert!(
                        error["error"]["message"].is_string(),
                        "{method} {uri}: {error}"
                    );
                }
            }
        }
    }
    assert!(asked > 2000, "{asked}");
}

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

/// Raw bytes of an answer.
async fn raw_get(app: &TestApp, uri: &str) -> (StatusCode, Vec<u8>) {
    let response = router(app.state.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, bytes.to_vec())
}

/// A published month is public and frozen: a later correction changes the
/// evaluation, not the publication; the next publication lists it.
async fn a_published_month_reads_the_same_after_a_correction(backend: Backend) {
    use anju_core::access::Role;
    use serde_json::json;
    let app = TestApp::new(&backend, "publish").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let other = app.token("haizhou", Role::Town, Some("海洲街道")).await;
    let taskforce = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    let mut ids = Vec::new();
    // A rate (indicator 6): its target holds for every town, so towns rank.
    for (token, unit, n) in [(&town, "硖石街道", 45), (&other, "海洲街道", 40)] {
        let (_, body) = app
            .post("/api/v1/values", token, json!({"values": [{"indicator": 6, "org_unit": unit, "period": "2024-06", "numerator": n, "denominator": 50}]}))
            .await;
        let id = body["values"][0]["id"].as_i64().unwrap();
        app.post("/api/v1/values/submit", token, json!({"ids": [id]}))
            .await;
        app.post("/api/v1/values/approve", &taskforce, json!({"ids": [id]}))
            .await;
        ids.push(id);
    }

    // Only the task force publishes; anyone reads.
    assert_eq!(
        app.post("/api/v1/publications", &town, json!({"as_of": "2024-06"}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, published) = app
        .post(
            "/api/v1/publications",
            &taskforce,
            json!({"as_of": "2024-06"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{published}");
    assert_eq!(
        (published["version"].as_i64(), published["reason"].is_null()),
        (Some(1), true)
    );
    let rows = published["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 15 * 13, "every row of the city");
    let row = |rows: &[Value], unit: &str| {
        rows.iter()
            .find(|r| r["indicator"] == 6 && r["org_unit"] == unit)
            .unwrap()
            .clone()
    };
    let (xiashi, haizhou) = (row(rows, "硖石街道"), row(rows, "海洲街道"));
    assert_eq!(
        (xiashi["actual"].to_string(), xiashi["rank"].to_string()),
        ("90".into(), "1".into())
    );
    assert_eq!(
        haizhou["rank"].to_string(),
        "2",
        "the towns' ranking is published with the rows"
    );
    assert_eq!(published["values"].as_array().unwrap().len(), 2);
    // Public: no login names of who entered, approved or published.
    let text = published.to_string();
    for name in ["xiashi", "haizhou", "zhuanban"] {
        assert!(!text.contains(name), "{name} in a public answer");
    }
    assert_eq!(published["corrections"], json!([]));
    let (status, before) = raw_get(&app, "/api/v1/publications/2024-06").await;
    assert_eq!(status, StatusCode::OK, "public, no login");
    assert_eq!(serde_json::from_slice::<Value>(&before).unwrap(), published);

    // Twice without a reason: refused.
    let (status, body) = app
        .post(
            "/api/v1/publications",
            &taskforce,
            json!({"as_of": "2024-06"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );

    // A correction after publication: the evaluation moves, the publication does not.
    let (status, body) = app
        .post(
            &format!("/api/v1/values/{}/correct", ids[0]),
            &town,
            json!({"numerator": 48, "denominator": 50, "reason": "漏报三户"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.post(
        "/api/v1/values/approve",
        &taskforce,
        json!({"ids": [body["id"]]}),
    )
    .await;
    let (_, now) = app
        .with_token(
            "GET",
            "/api/v1/evaluation?as_of=2024-06&org_unit=硖石街道",
            &taskforce,
        )
        .await;
    assert_eq!(
        row(now["rows"].as_array().unwrap(), "硖石街道")["actual"].to_string(),
        "96"
    );
    let (_, after) = raw_get(&app, "/api/v1/publications/2024-06").await;
    assert_eq!(after, before, "byte for byte as published");

    // The next publication lists the correction.
    let (_, july) = app
        .post(
            "/api/v1/publications",
            &taskforce,
            json!({"as_of": "2024-07"}),
        )
        .await;
    let corrections = july["corrections"].as_array().unwrap();
    assert_eq!(corrections.len(), 1, "{july}");
    assert_eq!(
        (
            corrections[0]["reason"].as_str(),
            corrections[0]["numerator"].as_str()
        ),
        (Some("漏报三户"), Some("48"))
    );

    // A republication with its reason is version 2; version 1 stays.
    let (status, again) = app
        .post(
            "/api/v1/publications",
            &taskforce,
            json!({"as_of": "2024-06", "reason": "更正后重新晾晒"}),
        )
        .await;
    assert_eq!(
        (status, again["version"].as_i64()),
        (StatusCode::CREATED, Some(2))
    );
    let (_, latest) = raw_get(&app, "/api/v1/publications/2024-06").await;
    assert_eq!(
        serde_json::from_slice::<Value>(&latest).unwrap()["version"],
        2
    );
    assert_eq!(
        raw_get(&app, "/api/v1/publications/2024-06?version=1")
            .await
            .1,
        before
    );
    let (status, list) = app.get("/api/v1/publications").await;
    assert_eq!(status, StatusCode::OK);
    let heads: Vec<(String, i64)> = list["publications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["as_of"].as_str().unwrap().to_string(),
                p["version"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        heads,
        [
            ("2024-06".into(), 2),
            ("2024-07".into(), 1),
            ("2024-06".into(), 1)
        ]
    );
    assert_eq!(
        raw_get(&app, "/api/v1/publications/2024-05").await.0,
        StatusCode::NOT_FOUND
    );

    // Each publication anchors the audit log: its hash is an entry's hash.
    let (_, audit) = app
        .with_token(
            "GET",
            "/api/v1/audit?action=publication.publish",
            &taskforce,
        )
        .await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 3);
    let (_, all) = app
        .with_token("GET", "/api/v1/audit?limit=1000", &taskforce)
        .await;
    let hashes: Vec<&str> = all["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["hash"].as_str().unwrap())
        .collect();
    assert!(hashes.contains(&published["audit_hash"].as_str().unwrap()));
}

/// A target adjustment changes the evaluation from its effective month on,
/// and not before; the original is shown beside the new target.
async fn a_target_adjustment_counts_from_its_effective_month(backend: Backend) {
    use anju_core::access::Role;
    use serde_json::json;
    let app = TestApp::new(&backend, "adjust").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let proposer = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    let approver = app
        .token("zuzhang", Role::Taskforce, Some("市住建局"))
        .await;
    let (_, body) = app
        .post("/api/v1/values", &town, json!({"values": [{"indicator": 6, "org_unit": "硖石街道", "period": "2024-06", "numerator": 41, "denominator": 50}]}))
        .await;
    let id = body["values"][0]["id"].as_i64().unwrap();
    app.post("/api/v1/values/submit", &town, json!({"ids": [id]}))
        .await;
    app.post("/api/v1/values/approve", &proposer, json!({"ids": [id]}))
        .await;
    let city = |body: &Value| -> Value {
        body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["indicator"] == 6 && r["org_unit"] == "海宁市")
            .unwrap()
            .clone()
    };
    let (_, june) = app
        .with_token("GET", "/api/v1/evaluation?as_of=2024-06", &proposer)
        .await;
    let original = city(&june)["target"].clone();

    // A town may not propose; bad input names its field.
    let proposal = json!({"indicator": 6, "org_unit": "海宁市", "year": 2024, "target": "80", "effective": "2024-07", "reason": "年度政策评估后调整"});
    assert_eq!(
        app.post("/api/v1/targets/adjustments", &town, proposal.clone())
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    for (field, bad) in [
        ("year", json!(2031)),
        ("effective", json!("2024-13")),
        ("target", json!("-1")),
        ("org_unit", json!("火星")),
    ] {
        let mut p = proposal.clone();
        p[field] = bad;
        let (status, body) = app.post("/api/v1/targets/adjustments", &proposer, p).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(field),
            "{body}"
        );
    }
    let (status, made) = app
        .post("/api/v1/targets/adjustments", &proposer, proposal)
        .await;
    assert_eq!(
        (status, made["state"].as_str()),
        (StatusCode::CREATED, Some("proposed")),
        "{made}"
    );
    let aid = made["id"].as_i64().unwrap();
    let approve = format!("/api/v1/targets/adjustments/{aid}/approve");

    // Proposed is not in force; nor can its proposer approve it.
    let (_, july) = app
        .with_token("GET", "/api/v1/evaluation?as_of=2024-07", &proposer)
        .await;
    assert_eq!(
        city(&july)["target"],
        original,
        "a proposal changes nothing"
    );
    let (status, refused) = app.post(&approve, &proposer, json!({})).await;
    assert_eq!(
        (status, refused["error"]["message"].as_str()),
        (StatusCode::FORBIDDEN, Some("不能审核本人提出的目标调整"))
    );
    assert_eq!(
        app.post(&approve, &town, json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, decided) = app.post(&approve, &approver, json!({"note": "同意"})).await;
    assert_eq!(
        (status, decided["state"].as_str()),
        (StatusCode::OK, Some("approved")),
        "{decided}"
    );
    assert_eq!(
        app.post(&approve, &approver, json!({})).await.0,
        StatusCode::CONFLICT,
        "decided once"
    );

    // Before the effective month: the original. From it on: the new, with the original beside it.
    let (_, june) = app
        .with_token("GET", "/api/v1/evaluation?as_of=2024-06", &proposer)
        .await;
    let row = city(&june);
    assert_eq!(
        (
            row["target"].clone(),
            row["target_origin"].as_str(),
            row["original_target"].is_null()
        ),
        (original.clone(), Some("plan"), true)
    );
    let june_status = row["status"].clone();
    for month in ["2024-07", "2024-12"] {
        let (_, body) = app
            .with_token(
                "GET",
                &format!("/api/v1/evaluation?as_of={month}"),
                &proposer,
            )
            .await;
        let row = city(&body);
        assert_eq!(
            (
                row["target"].to_string(),
                row["target_origin"].as_str(),
                row["original_target"].clone()
            ),
            ("80".into(), Some("adjusted"), original.clone()),
            "{month}"
        );
        assert!(
            row["reason"].as_str().unwrap().contains("目标已调整"),
            "{row}"
        );
        let town_row = body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["indicator"] == 6 && r["org_unit"] == "硖石街道")
            .unwrap();
        assert_eq!(
            (
                town_row["target"].to_string(),
                town_row["original_target"].clone()
            ),
            ("80".into(), original.clone()),
            "the town inherits it"
        );
    }
    // 82% against 87 lags; against 80 it is achieved.
    let (_, july) = app
        .with_token("GET", "/api/v1/evaluation?as_of=2024-07", &proposer)
        .await;
    assert_ne!(city(&july)["status"], june_status);
    assert_eq!(city(&july)["status"], "achieved");
    // Next year's target is the plan's.
    let (_, next) = app
        .with_token("GET", "/api/v1/evaluation?as_of=2025-03", &proposer)
        .await;
    assert_eq!(city(&next)["target_origin"], "plan");

    let (_, listed) = app
        .with_token(
            "GET",
            "/api/v1/targets/adjustments?state=approved",
            &proposer,
        )
        .await;
    assert_eq!(listed["adjustments"].as_array().unwrap().len(), 1);
    // The list is the task force's, the leaders' and the lead units'
    // (docs/RULES.md); a town sees the adjusted target in its evaluation.
    assert_eq!(
        app.with_token("GET", "/api/v1/targets/adjustments", &town)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (_, audit) = app
        .with_token("GET", "/api/v1/audit?action=target.approve", &proposer)
        .await;
    assert_eq!(audit["entries"][0]["actor"], "zuzhang");
}

/// A multipart form with a file (and other fields).
fn form(file_name: &str, content: &[u8], fields: &[(&str, &str)]) -> (String, Vec<u8>) {
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

async fn upload(
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

async fn values_count(app: &TestApp, token: &str) -> usize {
    app.with_token("GET", "/api/v1/values", token).await.1["values"]
        .as_array()
        .unwrap()
        .len()
}

/// A file of figures is imported whole, or not at all with every bad row named.
async fn a_file_is_imported_whole_or_not_at_all(backend: Backend) {
    use anju_core::access::Role;
    let app = TestApp::new(&backend, "import").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;

    // Three bad rows (and one good): nothing is stored, all three are named.
    let bad = "\u{feff}指标,单位,期间,数值,分子,分母\n8,硖石街道,2024-06,7,,\n99,硖石街道,2024-06,1,,\n8,硖石街道,2024-13,1,,\n\n6,海宁市硖石街道,2024-06,,45,0\n".as_bytes();
    let (ct, body) = form("硖石街道-2024年6月.csv", bad, &[]);
    let (status, error) = upload(&app, &town, &ct, body).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_rows")),
        "{error}"
    );
    let rows: Vec<(u64, String)> = error["error"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_u64().unwrap(),
                r["column"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (3, "indicator".to_string()),
            (4, "period".into()),
            (6, "denominator".into())
        ],
        "{error}"
    );
    assert_eq!(values_count(&app, &town).await, 0, "nothing stored");

    // Another town's row is outside the scope: refused the same way.
    let other = "indicator,org_unit,period,value\n8,海洲街道,2024-06,3\n".as_bytes();
    let (ct, body) = form("x.csv", other, &[]);
    let (status, error) = upload(&app, &town, &ct, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error["error"]["rows"][0]["message"]
            .as_str()
            .unwrap()
            .contains("无权填报"),
        "{error}"
    );

    // A unit and period twice in one file.
    let twice = "indicator,org_unit,period,value\n8,硖石街道,2024-06,3\n8,硖石街道,2024年6月,4\n"
        .as_bytes();
    let (ct, body) = form("x.csv", twice, &[]);
    let (status, error) = upload(&app, &town, &ct, body).await;
    assert_eq!(
        (status, error["error"]["rows"][0]["row"].as_u64()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some(3)),
        "{error}"
    );

    // The good file lands, submitted at once when asked.
    let good = "\u{feff}指标,单位,期间,数值,分子,分母\r\n8,硖石街道,2024-06,7,,\r\n6,海宁市硖石街道,2024年6月,,45,50\r\n\r\n".as_bytes();
    let (ct, body) = form("硖石街道-2024年6月.csv", good, &[("submit", "true")]);
    let (status, done) = upload(&app, &town, &ct, body).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(
        (done["count"].as_u64(), done["state"].as_str()),
        (Some(2), Some("submitted"))
    );
    assert_eq!(done["values"][1]["org_unit"], "硖石街道");
    assert_eq!(values_count(&app, &town).await, 2);

    // Excel files are not read yet (save as CSV); a form without a file; not a form.
    let (ct, body) = form("数据.xlsx", b"PK\x03\x04rest", &[]);
    assert_eq!(
        upload(&app, &town, &ct, body).await.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not a readable workbook"
    );
    let (ct, body) = form("旧.xls", b"\xD0\xCF\x11\xE0rest", &[]);
    assert_eq!(
        upload(&app, &town, &ct, body).await.0,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let boundary = "b";
    let no_file = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"submit\"\r\n\r\ntrue\r\n--{boundary}--\r\n"
    );
    let (status, body) = upload(
        &app,
        &town,
        "multipart/form-data; boundary=b",
        no_file.into_bytes(),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_form"))
    );
    let (status, body) = upload(&app, &town, "application/json", b"{}".to_vec()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_form"))
    );
}

/// Fills cells of an .xlsx without touching its layout: `(column, indicator
/// code in column A, number)`; returns the new file.
fn fill_in(xlsx: &[u8], cells: &[(char, u16, &str)]) -> Vec<u8> {
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

/// The template round trip: downloaded for 硖石街道, filled in with no edit to
/// its layout, uploaded back, it lands as values; a bad cell is named by the
/// sheet's own row.
async fn a_filled_in_template_lands_as_values(backend: Backend) {
    use anju_core::access::Role;
    use serde_json::json;
    let app = TestApp::new(&backend, "template").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let taskforce = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    // May's approved figure is shown for reference.
    let (_, body) = app
        .post("/api/v1/values", &town, json!({"values": [{"indicator": 8, "org_unit": "硖石街道", "period": "2024-05", "value": 6}]}))
        .await;
    let id = body["values"][0]["id"].as_i64().unwrap();
    app.post("/api/v1/values/submit", &town, json!({"ids": [id]}))
        .await;
    app.post("/api/v1/values/approve", &taskforce, json!({"ids": [id]}))
        .await;

    let response = router(app.state.clone())
        .oneshot(
            Request::get("/api/v1/templates?period=2024-06")
                .header("authorization", format!("Bearer {town}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''")
    );
    let xlsx = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    {
        use std::io::Read;
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(xlsx.clone())).unwrap();
        let mut sheet = String::new();
        z.by_name("xl/worksheets/sheet1.xml")
            .unwrap()
            .read_to_string(&mut sheet)
            .unwrap();
        assert!(
            sheet.contains("<mergeCell ref=\"A1:J1\""),
            "a merged title row"
        );
        assert!(
            sheet.contains("type=\"decimal\"") && sheet.contains("greaterThanOrEqual"),
            "numeric cells validated"
        );
        let mut strings = String::new();
        z.by_name("xl/sharedStrings.xml")
            .unwrap()
            .read_to_string(&mut strings)
            .unwrap();
        assert!(strings.contains("硖石街道") && strings.contains("2024-06"));
        assert!(
            strings.contains("<t>6</t>"),
            "May's approved figure for reference"
        );
    }
    // Another town's template is not the town's to fill.
    assert_eq!(
        app.with_token(
            "GET",
            "/api/v1/templates?period=2024-06&org_unit=海洲街道",
            &town
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );

    let filled = fill_in(&xlsx, &[('E', 8, "7"), ('F', 6, "45"), ('G', 6, "50")]);
    let (ct, body) = form("硖石街道-2024-06-填报模板.xlsx", &filled, &[]);
    let (status, done) = upload(&app, &town, &ct, body).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(done["count"], 2, "the unfilled rows are not figures");
    let got: Vec<(i64, String, String)> = done["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["indicator"].as_i64().unwrap(),
                v["period"].as_str().unwrap().to_string(),
                format!("{}/{}/{}", v["value"], v["numerator"], v["denominator"]),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (6, "2024-06".into(), "null/45/50".into()),
            (8, "2024-06".into(), "7/null/null".into())
        ]
    );

    // A bad cell: named by the sheet and its row as Excel shows it.
    let bad = fill_in(&xlsx, &[('E', 9, "-3")]);
    let (ct, body) = form("x.xlsx", &bad, &[]);
    let (status, error) = upload(&app, &town, &ct, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let row = &error["error"]["rows"][0];
    // Title, note, header, then indicators 1.. from row 4: indicator 9 is row 12.
    assert_eq!(
        (
            row["sheet"].as_str(),
            row["row"].as_u64(),
            row["column"].as_str()
        ),
        (Some("填报"), Some(12), Some("value")),
        "{error}"
    );

    // The evaluation as a workbook, for Excel and WPS.
    let response = router(app.state.clone())
        .oneshot(
            Request::get("/api/v1/evaluation?as_of=2024-06&format=xlsx")
                .header("authorization", format!("Bearer {taskforce}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let book = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    {
        use std::io::Read;
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(book)).unwrap();
        let mut strings = String::new();
        z.by_name("xl/sharedStrings.xml")
            .unwrap()
            .read_to_string(&mut strings)
            .unwrap();
        for text in [
            "评估结果(截至 2024-06)",
            "指标名称",
            "完成进度",
            "硖石街道",
            "既有住宅加装电梯累计数量",
        ] {
            assert!(strings.contains(text), "{text}");
        }
    }
    assert_eq!(
        app.with_token(
            "GET",
            "/api/v1/evaluation?as_of=2024-06&format=pdf",
            &taskforce
        )
        .await
        .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

/// A decomposition of the city's targets to the towns: refused unless it
/// adds up, then in force for every evaluation.
async fn a_decomposition_is_checked_then_in_force(backend: Backend) {
    use anju_core::access::Role;
    let app = TestApp::new(&backend, "decompose").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let taskforce = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    let sample = include_str!("../../../examples/haining-targets-sample.csv");
    let send = |token: String, name: &'static str, text: String| {
        let app = &app;
        async move {
            let (ct, body) = form(name, text.as_bytes(), &[]);
            let request = Request::post("/api/v1/targets/decompositions")
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", ct)
                .body(Body::from(body))
                .unwrap();
            let (status, _, body) = app.send(request).await;
            (status, body)
        }
    };
    assert_eq!(
        send(town.clone(), "分解.csv", sample.to_string()).await.0,
        StatusCode::FORBIDDEN
    );
    // One town's figure changed: the towns no longer add up to the city.
    let broken = sample.replacen("2,硖石街道,2022,0.1303", "2,硖石街道,2022,0.2303", 1);
    assert_ne!(broken, sample);
    let (status, error) = send(taskforce.clone(), "分解.csv", broken).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("合计不符"),
        "{error}"
    );
    assert!(!error["error"]["rows"].as_array().unwrap().is_empty());
    let (_, listed) = app
        .with_token("GET", "/api/v1/targets/decompositions", &taskforce)
        .await;
    assert_eq!(
        listed["decompositions"],
        serde_json::json!([]),
        "nothing kept"
    );

    let (status, kept) = send(taskforce.clone(), "分解.csv", sample.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{kept}");
    assert_eq!(
        kept["rows"].as_u64(),
        Some(sample.lines().count() as u64 - 1)
    );
    let (_, body) = app
        .with_token(
            "GET",
            "/api/v1/evaluation?as_of=2024-06&org_unit=硖石街道",
            &town,
        )
        .await;
    let row = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["indicator"] == 2)
        .unwrap()
        .clone();
    assert_eq!(row["target_origin"], "decomposed", "{row}");
    // The same cells again: refused, naming the rows.
    let (status, error) = send(taskforce.clone(), "again.csv", sample.to_string()).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_rows")),
        "{error}"
    );
    let (_, audit) = app
        .with_token("GET", "/api/v1/audit?action=target.decompose", &taskforce)
        .await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1);
    // A town's target that exists only by the decomposition can be adjusted.
    let proposal = serde_json::json!({"indicator": 2, "org_unit": "硖石街道", "year": 2024, "target": "0.2", "effective": "2024-07", "reason": "调整"});
    let (status, body) = app
        .post("/api/v1/targets/adjustments", &taskforce, proposal)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

on_both_backends!(
    health_says_backend_and_plan,
    the_plan_is_public_with_its_figures,
    an_unknown_address_is_a_json_404,
    a_user_logs_in_is_known_by_token_or_cookie_and_logs_out,
    wrong_passwords_and_unknown_users_get_the_same_answer,
    five_failures_in_fifteen_minutes_lock_the_account_for_fifteen_minutes,
    a_session_ends_after_thirty_idle_minutes,
    a_town_reports_the_task_force_approves_and_the_evaluation_shows_it,
    scopes_and_bad_input_are_refused_with_the_right_status,
    malformed_and_oversized_bodies_get_json_errors,
    the_permission_matrix,
    an_approved_figure_is_corrected_with_a_reason_and_reviewed_again,
    a_server_sees_an_approval_made_by_another_server_at_once,
    evaluation_answers_are_kept_per_caller_and_gzipped_on_request,
    admins_manage_users_through_the_api,
    no_input_gets_a_500_or_a_bare_error,
    figures_follow_the_rules_of_the_values_file,
    the_audit_log_shows_every_change,
    a_published_month_reads_the_same_after_a_correction,
    a_target_adjustment_counts_from_its_effective_month,
    a_file_is_imported_whole_or_not_at_all,
    a_filled_in_template_lands_as_values,
    a_decomposition_is_checked_then_in_force,
);

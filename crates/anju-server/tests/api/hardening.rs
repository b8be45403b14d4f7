//! What a probe of the service as an attacker and as a careless client found
//! (shared/reviews/security-probe-2026-12.md), each kept fixed by a test:
//! repeated figures in one batch, a busy database, the cross-site check with
//! a foreign `Authorization` header, lockouts, headers, odd numbers.

use anju_core::access::Role;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;
use tower::ServiceExt;

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
/// One figure entered as a draft by `token`: the whole answer.
async fn one_draft(
    app: &TestApp,
    token: &str,
) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
    let request = Request::post("/api/v1/values")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"values": [figure(8, "硖石街道", "2024-06", "7")]}).to_string(),
        ))
        .unwrap();
    app.send(request).await
}

/// On PostgreSQL: another transaction holds the audit log's head longer
/// than a writer may wait (`lock_timeout`): 503 with `Retry-After`.
#[tokio::test]
async fn a_busy_postgres_answers_503_with_retry_after() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = TestApp::new(&backend, "pgbusy").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let anju_store::Store::Postgres(pool) = &app.state.store else {
        unreachable!("a PostgreSQL store");
    };
    let mut holder = pool.begin().await.unwrap();
    sqlx::query("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE")
        .execute(&mut *holder)
        .await
        .unwrap();
    let (status, headers, body) = one_draft(&app, &town).await;
    holder.rollback().await.unwrap();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "busy");
    assert_eq!(headers.get("retry-after").unwrap(), "2");
}

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
    let (status, headers, body) = one_draft(&app, &town).await;
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

impl TestApp {
    /// A request whose answer need not be JSON: status, headers, bytes.
    async fn send_raw(
        &self,
        request: Request<Body>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let response = anju_server::router(self.state.clone())
            .oneshot(request)
            .await
            .unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let bytes = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        (status, headers, bytes)
    }

    /// A login sent from the client address `from`.
    async fn login_from(
        &self,
        from: &str,
        name: &str,
        password: &str,
    ) -> (StatusCode, serde_json::Value) {
        let mut request = Request::post("/api/v1/login")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"username": name, "password": password}).to_string(),
            ))
            .unwrap();
        let addr: std::net::SocketAddr = format!("{from}:40000").parse().unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
        let (status, _, body) = self.send(request).await;
        (status, body)
    }

    /// The audit entries of `action`, newest first.
    async fn audit_of(&self, action: &str) -> Vec<anju_store::AuditEntry> {
        self.state
            .store
            .audit(&anju_store::AuditFilter {
                action: Some(action.into()),
                limit: 1000,
                ..anju_store::AuditFilter::default()
            })
            .await
            .unwrap()
    }
}

/// Five wrong passwords from one address lock the account for that
/// address only; strangers' failures from many addresses lock out every
/// address the account never logged in from, but not the one it did; each
/// lock is in the audit log; a failed login says how many tries are left.
async fn a_stranger_cannot_lock_a_user_out_of_the_address_they_log_in_from(backend: Backend) {
    let app = TestApp::new(&backend, "lockout").await;
    app.add_user(
        "zhuanban",
        Role::Taskforce,
        Some("市住建局"),
        "correct horse",
    )
    .await;
    let office = "10.1.2.3";
    assert_eq!(
        app.login_from(office, "zhuanban", "correct horse").await.0,
        StatusCode::OK
    );
    // One stranger, five tries a minute apart: slowed, then locked.
    let mut said = Vec::new();
    for _ in 0..5 {
        let (status, body) = app.login_from("192.0.2.7", "zhuanban", "guess").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        said.push(body["error"]["message"].as_str().unwrap().to_string());
        app.advance(60);
    }
    assert!(said[0].contains("再错 4 次"), "{said:?}");
    assert!(said[2].contains("秒后再试"), "{said:?}");
    assert!(said[3].contains("再错 1 次"), "{said:?}");
    assert!(said[4].contains("锁定至"), "{said:?}");
    let (status, body) = app
        .login_from("192.0.2.7", "zhuanban", "correct horse")
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "locked");
    assert_eq!(
        app.login_from(office, "zhuanban", "correct horse").await.0,
        StatusCode::OK,
        "the office is not locked out by a stranger"
    );
    // Three tries in a row from one address: the fourth must wait.
    for k in 0..3 {
        assert_eq!(
            app.login_from("192.0.2.8", "zhuanban", "guess").await.0,
            StatusCode::UNAUTHORIZED,
            "try {k}"
        );
    }
    let (status, body) = app.login_from("192.0.2.8", "zhuanban", "guess").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "slowed");
    // Strangers on many addresses: twenty failures in all lock out every
    // address the account never logged in from …
    for k in 0..12 {
        let from = format!("198.51.100.{}", k / 3 + 1);
        let (status, body) = app.login_from(&from, "zhuanban", "guess").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{k}: {body}");
    }
    let (status, body) = app
        .login_from("203.0.113.9", "zhuanban", "correct horse")
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("曾成功登录过"),
        "{body}"
    );
    // … but not the office.
    assert_eq!(
        app.login_from(office, "zhuanban", "correct horse").await.0,
        StatusCode::OK
    );
    let locks = app.audit_of("login.locked").await;
    assert_eq!(locks.len(), 2, "{locks:?}");
    assert!(
        locks[0]
            .after
            .as_deref()
            .unwrap()
            .contains("unknown_addresses")
    );
    assert!(locks[1].after.as_deref().unwrap().contains("192.0.2.7"));
    // Fifteen minutes on, the stranger's own lock is over.
    app.advance(16 * 60);
    assert_eq!(
        app.login_from("192.0.2.7", "zhuanban", "guess").await.0,
        StatusCode::UNAUTHORIZED
    );
}

/// Many wrong passwords sent at once from one address: the lockout counts
/// each as it arrives, so no more passwords are checked than it allows.
async fn a_burst_of_logins_checks_no_more_passwords_than_the_lockout_allows(backend: Backend) {
    let app = TestApp::new(&backend, "burst").await;
    app.add_user("xiashi", Role::Town, Some("硖石街道"), "correct horse")
        .await;
    let tries = (0..30).map(|_| app.login_from("192.0.2.9", "xiashi", "guess"));
    let answers = futures_join_all(tries).await;
    let refused = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    let failed = app.audit_of("login.failed").await.len();
    assert!(failed <= 5, "{failed} passwords checked");
    assert_eq!(refused + failed, 30, "{answers:?}");
}

/// Runs the futures together on this task.
async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let handles: Vec<_> = futures.map(Box::pin).collect();
    let mut out = Vec::with_capacity(handles.len());
    let mut pending: Vec<_> = handles.into_iter().map(Some).collect();
    let mut done: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all = true;
        for (k, slot) in pending.iter_mut().enumerate() {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        done[k] = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => all = false,
                }
            }
        }
        if all {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out.extend(done.into_iter().flatten());
    out
}

/// API answers, figures and errors alike, are never cached nor sniffed.
async fn api_answers_carry_no_store_and_nosniff(backend: Backend) {
    let app = TestApp::new(&backend, "headers").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    for uri in [
        "/api/v1/values",
        "/api/v1/evaluation?as_of=2024-06",
        "/api/v1/nowhere",
    ] {
        let request = Request::get(uri)
            .header("authorization", format!("Bearer {town}"))
            .body(Body::empty())
            .unwrap();
        let (_, headers, _) = app.send(request).await;
        assert_eq!(headers.get("cache-control").unwrap(), "no-store", "{uri}");
        assert_eq!(
            headers.get("x-content-type-options").unwrap(),
            "nosniff",
            "{uri}"
        );
    }
}

/// A file of many bad rows: the answer lists the first thousand and says
/// how many there are; two files in one form are refused.
async fn an_import_lists_at_most_a_thousand_errors_and_takes_one_file(backend: Backend) {
    let app = TestApp::new(&backend, "errcap").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let mut csv = String::from("indicator,org_unit,period,value\n");
    for k in 0..1_500 {
        csv.push_str(&format!("8,硖石街道,2024-{:02},不是数字{k}\n", 1 + k % 12));
    }
    let (content_type, body) = crate::app::form("坏.csv", csv.as_bytes(), &[]);
    let (status, body) = crate::app::upload(&app, &town, &content_type, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let total = body["error"]["total"].as_u64().unwrap();
    assert!(total >= 1_500, "{total}");
    assert_eq!(body["error"]["rows"].as_array().unwrap().len(), 1_000);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("前 1000 处"),
        "{}",
        body["error"]["message"]
    );
    // Two file fields.
    let boundary = "----anjuTwoFiles";
    let part = |name: &str| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\nindicator,org_unit,period,value\n8,硖石街道,2024-06,7\n\r\n"
        )
    };
    let two = format!("{}{}--{boundary}--\r\n", part("a.csv"), part("b.csv"));
    let (status, body) = crate::app::upload(
        &app,
        &town,
        &format!("multipart/form-data; boundary={boundary}"),
        two.into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("两个 file")
    );
    let (_, list) = app.with_token("GET", "/api/v1/values", &town).await;
    assert_eq!(list["values"].as_array().unwrap().len(), 0);
}

/// Odd numbers follow one rule (docs/RULES.md), through the API as in files:
/// white space dropped, full-width digits read, `+`, `_` and exponents in
/// text refused with a reason.
async fn odd_numbers_are_read_or_refused_by_one_rule(backend: Backend) {
    let app = TestApp::new(&backend, "numbers").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let put = |period: &'static str, value: &'static str| {
        let app = &app;
        let town = &town;
        async move {
            app.post(
                "/api/v1/values",
                town,
                json!({"values": [figure(8, "硖石街道", period, value)]}),
            )
            .await
        }
    };
    let (status, body) = put("2024-01", " 1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["values"][0]["value"].to_string(), "1");
    let (status, body) = put("2024-02", "３").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["values"][0]["value"].to_string(), "3");
    for (period, bad, says) in [
        ("2024-03", "+1", "+"),
        ("2024-04", "1_000", "1_000"),
        ("2024-05", "1e3", "科学计数法"),
    ] {
        let (status, body) = put(period, bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("values[0].value"), "{message}");
        assert!(message.contains(says), "{bad}: {message}");
    }
}

/// 三员分立: the system administrator manages users but not the other two
/// administrators, reads the audit log without figures and approves
/// nothing; the security administrator sees and lifts locks and ends
/// sessions, and nothing else; the audit administrator reads, verifies and
/// exports the log, and changes nothing.
async fn the_three_administrators_each_do_only_their_own_part(backend: Backend) {
    let app = TestApp::new(&backend, "sanyuan").await;
    let admin = app.token("root", Role::Admin, None).await;
    let sec = app.token("anquan", Role::SecAdmin, None).await;
    let aud = app.token("shenji", Role::Auditor, None).await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let taskforce = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    let (status, body) = app
        .post(
            "/api/v1/values",
            &town,
            json!({"values": [figure(8, "硖石街道", "2024-06", "7")]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["values"][0]["id"].as_i64().unwrap();
    app.post("/api/v1/values/submit", &town, json!({"ids": [id]}))
        .await;

    // The system administrator.
    for role in ["admin", "secadmin", "auditor"] {
        let (status, body) = app
            .post(
                "/api/v1/users",
                &admin,
                json!({"username": format!("new-{role}"), "role": role, "password": "Strong-pass-1"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("anju user add")
        );
    }
    for (method, uri, body) in [
        (
            "PATCH",
            "/api/v1/users/shenji",
            json!({"password": "Taken-over-1"}),
        ),
        ("PATCH", "/api/v1/users/anquan", json!({"disabled": true})),
    ] {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {admin}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let (status, _, body) = app.send(request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}: {body}");
    }
    let (status, seen) = app
        .with_token("GET", "/api/v1/audit?action=value.draft", &admin)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        seen["entries"][0]["after"].is_null(),
        "no figures for the admin"
    );
    for (method, uri) in [
        ("GET", "/api/v1/audit/verify"),
        ("GET", "/api/v1/audit/export"),
        ("GET", "/api/v1/security/locks"),
        ("GET", "/api/v1/security/sessions"),
    ] {
        assert_eq!(
            app.with_token(method, uri, &admin).await.0,
            StatusCode::FORBIDDEN,
            "{uri}"
        );
    }
    assert_eq!(
        app.post("/api/v1/values/approve", &admin, json!({"ids": [id]}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );

    // The security administrator.
    for (method, uri) in [
        ("GET", "/api/v1/users"),
        ("GET", "/api/v1/audit"),
        ("GET", "/api/v1/audit/verify"),
    ] {
        assert_eq!(
            app.with_token(method, uri, &sec).await.0,
            StatusCode::FORBIDDEN,
            "{uri}"
        );
    }
    let (status, body) = app.with_token("GET", "/api/v1/values", &sec).await;
    assert_eq!(
        (status, body["values"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(0))
    );
    assert_eq!(
        app.post("/api/v1/values/approve", &sec, json!({"ids": [id]}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    for _ in 0..5 {
        app.login_from("192.0.2.50", "xiashi", "guess").await;
        app.advance(31);
    }
    let (status, locks) = app.with_token("GET", "/api/v1/security/locks", &sec).await;
    assert_eq!(status, StatusCode::OK, "{locks}");
    assert_eq!(locks["locks"][0]["user"], "xiashi");
    assert_eq!(locks["locks"][0]["client"], "192.0.2.50");
    assert_eq!(
        app.login_from("192.0.2.50", "xiashi", "correct horse")
            .await
            .0,
        StatusCode::TOO_MANY_REQUESTS
    );
    let (status, body) = app
        .post(
            "/api/v1/security/locks/clear",
            &sec,
            json!({"user": "xiashi", "client": "192.0.2.50"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["count"], 5);
    assert_eq!(
        app.login_from("192.0.2.50", "xiashi", "correct horse")
            .await
            .0,
        StatusCode::OK
    );
    let (status, sessions) = app
        .with_token("GET", "/api/v1/security/sessions", &sec)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        sessions["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["user"] == "xiashi"),
        "{sessions}"
    );
    assert!(!sessions.to_string().contains(&town), "no token is shown");
    let (status, body) = app
        .post(
            "/api/v1/security/sessions/end",
            &sec,
            json!({"user": "xiashi"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["count"].as_u64().unwrap() >= 2);
    assert_eq!(
        app.with_token("GET", "/api/v1/me", &town).await.0,
        StatusCode::UNAUTHORIZED
    );

    // The audit administrator.
    let (status, log) = app
        .with_token("GET", "/api/v1/audit?action=value.draft", &aud)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        log["entries"][0]["after"][0]["value"], "7",
        "the auditor sees figures"
    );
    let (status, verified) = app.with_token("GET", "/api/v1/audit/verify", &aud).await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_eq!(verified["chain"]["whole"], true, "{verified}");
    assert_eq!(verified["figures_total"], 0);
    let request = Request::get("/api/v1/audit/export")
        .header("authorization", format!("Bearer {aud}"))
        .body(Body::empty())
        .unwrap();
    let response = anju_server::router(app.state.clone())
        .oneshot(request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = String::from_utf8(
        http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    assert!(
        csv.starts_with("\u{feff}编号,时间,操作人"),
        "{}",
        &csv[..60]
    );
    for action in [
        "value.draft",
        "login.locked",
        "login.unlock",
        "session.end",
        "audit.verify",
    ] {
        assert!(csv.contains(action), "{action} in the export");
    }
    for (method, uri, body) in [
        (
            "POST",
            "/api/v1/values",
            json!({"values": [figure(8, "硖石街道", "2024-07", "1")]}),
        ),
        ("POST", "/api/v1/values/approve", json!({"ids": [id]})),
        (
            "POST",
            "/api/v1/security/locks/clear",
            json!({"user": "xiashi"}),
        ),
        (
            "POST",
            "/api/v1/users",
            json!({"username": "x", "role": "leader", "password": "Strong-pass-1"}),
        ),
    ] {
        let (status, body) = app.post(uri, &aud, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri}: {body}");
    }
    // The task force reads the record of its figures; it verifies nothing.
    assert_eq!(
        app.with_token("GET", "/api/v1/audit", &taskforce).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.with_token("GET", "/api/v1/audit/verify", &taskforce)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

/// A password an administrator sets must be changed at the first login:
/// until then the user reaches only their account; every new password
/// follows the policy.
async fn a_password_set_by_the_admin_must_be_changed_first(backend: Backend) {
    let app = TestApp::new(&backend, "firstlogin").await;
    let admin = app.token("root", Role::Admin, None).await;
    for (password, says) in [
        ("correct horse", "三类"),
        ("Haizhou-2026", "用户名"),
        ("Ab-1", "8 位"),
    ] {
        let (status, body) = app
            .post(
                "/api/v1/users",
                &admin,
                json!({"username": "haizhou", "role": "town", "org_unit": "海洲街道", "password": password}),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{password}: {body}"
        );
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("password") && message.contains(says),
            "{message}"
        );
    }
    let (status, body) = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "haizhou", "role": "town", "org_unit": "海洲街道", "password": "Hz-初始-2026"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["must_change_password"], true);
    let (status, _, body) = app.login("haizhou", "Hz-初始-2026").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"].as_str().unwrap().to_string();
    let (status, body) = app.with_token("GET", "/api/v1/values", &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "password_change_required");
    assert_eq!(
        app.with_token("GET", "/api/v1/me", &token).await.0,
        StatusCode::OK
    );
    // The pages send the user to their account page, which says why.
    let (status, headers, _) = app.page("/report", Some(&token)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/account");
    let (status, _, page) = app.page("/account", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("请先在下面修改密码"), "{page}");
    // The new password follows the policy too.
    let (status, body) = app
        .post(
            "/api/v1/me/password",
            &token,
            json!({"old_password": "Hz-初始-2026", "new_password": "haizhou123"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app
        .post(
            "/api/v1/me/password",
            &token,
            json!({"old_password": "Hz-初始-2026", "new_password": "My-own-海洲-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        app.with_token("GET", "/api/v1/values", &token).await.0,
        StatusCode::OK
    );
    // A reset by the admin asks again.
    let (status, body) = app
        .patch(
            "/api/v1/users/haizhou",
            &admin,
            json!({"password": "Hz-重设-2027"}),
        )
        .await;
    assert_eq!(
        (status, body["must_change_password"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    let (_, _, body) = app.login("haizhou", "Hz-重设-2027").await;
    let token = body["token"].as_str().unwrap().to_string();
    assert_eq!(
        app.with_token("GET", "/api/v1/values", &token).await.0,
        StatusCode::FORBIDDEN
    );
}

/// The administrators' pages: each for its own role.
async fn the_security_and_audit_pages_are_for_their_roles(backend: Backend) {
    let app = TestApp::new(&backend, "adminpages").await;
    let sec = app.token("anquan", Role::SecAdmin, None).await;
    let aud = app.token("shenji", Role::Auditor, None).await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let admin = app.token("root", Role::Admin, None).await;
    for (token, uri, want) in [
        (&sec, "/security", StatusCode::OK),
        (&sec, "/audit", StatusCode::FORBIDDEN),
        (&sec, "/users", StatusCode::FORBIDDEN),
        (&sec, "/cockpit", StatusCode::FORBIDDEN),
        (&aud, "/audit", StatusCode::OK),
        (&aud, "/audit?verify=1", StatusCode::OK),
        (&aud, "/security", StatusCode::FORBIDDEN),
        (&aud, "/cockpit", StatusCode::FORBIDDEN),
        (&admin, "/audit", StatusCode::OK),
        (&admin, "/security", StatusCode::FORBIDDEN),
        (&town, "/audit", StatusCode::FORBIDDEN),
        (&town, "/security", StatusCode::FORBIDDEN),
    ] {
        let (status, _, _) = app.page(uri, Some(token)).await;
        assert_eq!(status, want, "{uri}");
    }
    let (_, _, page) = app.page("/audit?verify=1", Some(&aud)).await;
    assert!(
        page.contains("核验通过") && page.contains("数据与审计日志一致"),
        "{page}"
    );
    assert!(page.contains("/api/v1/audit/export"));
    let (_, _, page) = app.page("/audit", Some(&admin)).await;
    assert!(
        !page.contains("核验审计日志与数据"),
        "only the auditor verifies"
    );
    let (_, _, page) = app.page("/security", Some(&sec)).await;
    assert!(
        page.contains("在线会话") && page.contains("xiashi"),
        "{page}"
    );
    // The users page offers no button the API would refuse.
    let (_, _, page) = app.page("/users", Some(&admin)).await;
    assert!(page.contains("/api/v1/users/xiashi"), "{page}");
    assert!(!page.contains("/api/v1/users/shenji") && !page.contains("/api/v1/users/root"));
    assert!(page.contains("三员账户"));
}

/// The audit administrator's verification, as the API answers it.
async fn verified(app: &TestApp, aud: &str) -> serde_json::Value {
    let (status, body) = app.with_token("GET", "/api/v1/audit/verify", aud).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Every way a figure is stored — a draft, a step, an approval, a
/// correction waiting for review, its approval — verifies clean; a figure
/// changed behind the service afterwards does not.
async fn every_figure_the_service_stores_verifies_against_its_record(backend: Backend) {
    let app = TestApp::new(&backend, "verifyall").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let taskforce = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    let aud = app.token("shenji", Role::Auditor, None).await;
    let id = app
        .approved(&town, &taskforce, figure(8, "硖石街道", "2024-06", "7"))
        .await;
    assert_eq!(verified(&app, &aud).await["figures_total"], 0);
    let (status, body) = app
        .post(
            &format!("/api/v1/values/{id}/correct"),
            &town,
            json!({"value": "8", "reason": "核实后更正"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let corrected = body["id"]
        .as_i64()
        .or(body["values"][0]["id"].as_i64())
        .unwrap();
    let body = verified(&app, &aud).await;
    assert_eq!(
        body["figures_total"], 0,
        "a correction waiting for review: {body}"
    );
    let (status, _) = app
        .post(
            "/api/v1/values/approve",
            &taskforce,
            json!({"ids": [corrected]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let body = verified(&app, &aud).await;
    assert_eq!(
        body["figures_total"], 0,
        "the correction approved, the first superseded: {body}"
    );
    raw(
        &app,
        &format!("UPDATE value_versions SET value = '9' WHERE id = {corrected}"),
    )
    .await;
    let body = verified(&app, &aud).await;
    assert_eq!(body["figures_total"], 1, "{body}");
    assert_eq!(body["figures"][0]["id"], corrected);
}

/// Behind a proxy the operator trusts, the client is the last address in
/// `X-Forwarded-For` (an `IP:port` gives the IP); from any other peer the
/// header is not believed.
async fn the_client_address_comes_from_a_trusted_proxy_only(backend: Backend) {
    let mut app = TestApp::new(&backend, "proxy").await;
    app.state.trust_proxy = vec!["127.0.0.1".parse().unwrap()];
    app.add_user("xiashi", Role::Town, Some("硖石街道"), "correct horse")
        .await;
    let from = |peer: &str, forwarded: &str| {
        let mut request = Request::post("/api/v1/login")
            .header("content-type", "application/json")
            .header("x-forwarded-for", forwarded)
            .body(Body::from(
                json!({"username": "xiashi", "password": "guess"}).to_string(),
            ))
            .unwrap();
        let addr: std::net::SocketAddr = format!("{peer}:40000").parse().unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(addr));
        request
    };
    app.send(from("127.0.0.1", "10.9.9.9, 192.0.2.60")).await;
    app.send(from("127.0.0.1", "10.9.9.9, 192.0.2.61:51234"))
        .await;
    app.send(from("198.51.100.70", "192.0.2.62")).await;
    let clients: Vec<String> = app
        .audit_of("login.failed")
        .await
        .iter()
        .map(|e| e.after.clone().unwrap())
        .collect();
    assert_eq!(
        clients,
        [
            r#"{"client":"198.51.100.70"}"#,
            r#"{"client":"192.0.2.61"}"#,
            r#"{"client":"192.0.2.60"}"#
        ],
        "newest first"
    );
}

/// A temporary password cannot be "changed" to itself; a browser's request
/// for the export from another page of the same site is refused.
async fn a_temporary_password_must_really_change_and_the_export_is_for_own_pages(backend: Backend) {
    let app = TestApp::new(&backend, "samepass").await;
    let admin = app.token("root", Role::Admin, None).await;
    let (status, _) = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "haizhou", "role": "town", "org_unit": "海洲街道", "password": "Hz-初始-2026"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, _, body) = app.login("haizhou", "Hz-初始-2026").await;
    let token = body["token"].as_str().unwrap().to_string();
    let (status, body) = app
        .post(
            "/api/v1/me/password",
            &token,
            json!({"old_password": "Hz-初始-2026", "new_password": "Hz-初始-2026"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("相同"));
    let aud = app.token("shenji", Role::Auditor, None).await;
    for site in ["same-site", "cross-site"] {
        let request = Request::get("/api/v1/audit/export")
            .header("cookie", format!("anju_session={aud}"))
            .header("sec-fetch-site", site)
            .body(Body::empty())
            .unwrap();
        let (status, _, _) = app.send_raw(request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{site}");
    }
    let request = Request::get("/api/v1/audit/export")
        .header("cookie", format!("anju_session={aud}"))
        .header("sec-fetch-site", "same-origin")
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send_raw(request).await.0, StatusCode::OK);
}

/// A reason is a paragraph, not a file: a return, a correction, an
/// adjustment and a publication take at most 2,000 characters of it.
async fn reasons_are_at_most_two_thousand_characters(backend: Backend) {
    let app = TestApp::new(&backend, "reasons").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let taskforce = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    let (_, body) = app
        .post(
            "/api/v1/values",
            &town,
            json!({"values": [figure(8, "硖石街道", "2024-06", "7")]}),
        )
        .await;
    let id = body["values"][0]["id"].as_i64().unwrap();
    app.post("/api/v1/values/submit", &town, json!({"ids": [id]}))
        .await;
    let long = "退".repeat(2_001);
    for (uri, body) in [
        (
            "/api/v1/values/return".to_string(),
            json!({"ids": [id], "reason": long}),
        ),
        (
            "/api/v1/publications".to_string(),
            json!({"as_of": "2024-06", "reason": long, "force": true}),
        ),
        (
            "/api/v1/targets/adjustments".to_string(),
            json!({"indicator": 8, "org_unit": "海宁市", "year": 2024, "target": "60", "effective": "2024-07", "reason": long}),
        ),
    ] {
        let (status, answer) = app.post(&uri, &taskforce, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}: {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("至多 2000 个字符"),
            "{uri}: {answer}"
        );
    }
    let (status, body) = app
        .post(
            "/api/v1/values/return",
            &taskforce,
            json!({"ids": [id], "reason": "退".repeat(2_000)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

crate::on_both_backends!(
    reasons_are_at_most_two_thousand_characters,
    the_client_address_comes_from_a_trusted_proxy_only,
    a_temporary_password_must_really_change_and_the_export_is_for_own_pages,
    every_figure_the_service_stores_verifies_against_its_record,
    the_security_and_audit_pages_are_for_their_roles,
    the_three_administrators_each_do_only_their_own_part,
    a_password_set_by_the_admin_must_be_changed_first,
    api_answers_carry_no_store_and_nosniff,
    an_import_lists_at_most_a_thousand_errors_and_takes_one_file,
    odd_numbers_are_read_or_refused_by_one_rule,
    a_stranger_cannot_lock_a_user_out_of_the_address_they_log_in_from,
    a_burst_of_logins_checks_no_more_passwords_than_the_lockout_allows,
    a_forged_audit_row_blocks_writes_with_a_clear_error_not_500,
    a_batch_with_the_same_figure_twice_is_refused_naming_both,
    a_batch_over_five_thousand_figures_is_refused,
    a_draft_replaced_many_times_keeps_one_draft,
    a_cookie_write_from_another_origin_is_refused_whatever_the_authorization_header,
);

//! `/api/v1/values`: entering, submitting, reviewing and correcting figures, and the errors bad input gets.

use crate::prelude::*;

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

/// The error answers as reviewed: what a client reads for bad input, a
/// refusal and a missing record (one shape, Chinese messages that name the
/// field).
async fn error_answers_are_as_reviewed(backend: Backend) {
    use anju_core::access::Role;
    use serde_json::json;
    let app = TestApp::new(&backend, "error_snapshots").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let (status, bad) = app
        .post(
            "/api/v1/values",
            &town,
            json!({"values": [{"indicator": 8, "org_unit": "硖石街道", "period": "2024-06", "value": "-3"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, forbidden) = app
        .post(
            "/api/v1/values",
            &town,
            json!({"values": [{"indicator": 8, "org_unit": "海洲街道", "period": "2024-06", "value": "3"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, missing) = app
        .post(
            "/api/v1/values/999999/correct",
            &town,
            json!({"value": "3", "reason": "更正"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    insta::assert_snapshot!(
        "error_answers",
        serde_json::to_string_pretty(
            &json!({"invalid": bad, "forbidden": forbidden, "not_found": missing})
        )
        .unwrap()
    );
}

/// A share (覆盖率, 整治率, 救助率, 比例: `share = true` in the plan) never
/// passes 100 %: refused at entry, in a file and in a correction, naming the
/// field, and nothing is stored.
async fn a_share_over_100_percent_is_refused_at_entry_import_and_correction(backend: Backend) {
    use anju_core::access::Role;
    use serde_json::json;
    let app = TestApp::new(&backend, "share_bound").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let taskforce = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    // Entry: 60 of 50 households, and a bare rate of 244.71 %.
    for (figure, field) in [
        (
            json!({"indicator": 6, "org_unit": "硖石街道", "period": "2024-06", "numerator": 60, "denominator": 50}),
            "values[0].numerator",
        ),
        (
            json!({"indicator": 6, "org_unit": "硖石街道", "period": "2024-06", "value": "244.71"}),
            "values[0].value",
        ),
    ] {
        let (status, body) = app
            .post("/api/v1/values", &town, json!({"values": [figure]}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(field) && message.contains("占比"),
            "{message}"
        );
    }
    // Exactly 100 % is a figure.
    let (status, body) = app
        .post(
            "/api/v1/values",
            &town,
            json!({"values": [{"indicator": 6, "org_unit": "硖石街道", "period": "2024-06", "numerator": 50, "denominator": 50}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["values"][0]["id"].as_i64().unwrap();
    // A file: the row and the field named, nothing stored.
    let csv = "indicator,org_unit,period,value,numerator,denominator\n8,硖石街道,2024-05,3,,\n6,硖石街道,2024-05,,51,50\n";
    let (content_type, form) = crate::app::form("占比.csv", csv.as_bytes(), &[]);
    let (status, body) = crate::app::upload(&app, &town, &content_type, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let rows = body["error"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{body}");
    assert_eq!(
        (rows[0]["row"].as_u64(), rows[0]["column"].as_str()),
        (Some(3), Some("numerator")),
        "{body}"
    );
    assert_eq!(
        crate::app::values_count(&app, &town).await,
        1,
        "all or nothing"
    );
    // A correction of an approved figure.
    app.post("/api/v1/values/submit", &town, json!({"ids": [id]}))
        .await;
    let (status, _) = app
        .post("/api/v1/values/approve", &taskforce, json!({"ids": [id]}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .post(
            &format!("/api/v1/values/{id}/correct"),
            &town,
            json!({"numerator": 70, "denominator": 50, "reason": "更正"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("numerator"),
        "{body}"
    );
    assert_eq!(
        crate::app::values_count(&app, &town).await,
        1,
        "nothing stored"
    );
}

/// How many `value.draft` entries the audit log holds.
async fn draft_entries(app: &TestApp, token: &str) -> usize {
    app.with_token("GET", "/api/v1/audit?action=value.draft", token)
        .await
        .1["entries"]
        .as_array()
        .unwrap()
        .len()
}

/// Saving a draft again unchanged makes no new version (nor an audit
/// entry); a changed figure does.
async fn saving_an_unchanged_draft_makes_no_new_version(backend: Backend) {
    use anju_core::access::Role;
    use serde_json::json;
    let app = TestApp::new(&backend, "unchanged_draft").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let taskforce = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    let save = |value: &'static str| {
        let (app, town) = (&app, town.clone());
        async move {
            let (status, body) = app
                .post(
                    "/api/v1/values",
                    &town,
                    json!({"values": [
                        {"indicator": 8, "org_unit": "硖石街道", "period": "2024-06", "value": value},
                        {"indicator": 6, "org_unit": "硖石街道", "period": "2024-06", "numerator": 45, "denominator": 50}
                    ]}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let v = &body["values"];
            (
                (
                    v[0]["id"].as_i64().unwrap(),
                    v[0]["version"].as_i64().unwrap(),
                ),
                (
                    v[1]["id"].as_i64().unwrap(),
                    v[1]["version"].as_i64().unwrap(),
                ),
            )
        }
    };
    let first = save("7").await;
    assert_eq!((first.0.1, first.1.1), (1, 1));
    // The same figures again (7.0 is 7): the same drafts, no new entry.
    let again = save("7.0").await;
    assert_eq!(again, first);
    assert_eq!(draft_entries(&app, &taskforce).await, 1);
    // A changed figure is a new version; the unchanged one beside it stays.
    let changed = save("8").await;
    assert_eq!((changed.0.1, changed.1), (2, first.1));
    assert_ne!(changed.0.0, first.0.0);
    assert_eq!(draft_entries(&app, &taskforce).await, 2);
}

/// 填报责任: each figure has one owner. A co-unit's city figure, a city
/// figure of an indicator the towns report (the city's is their sum) and a
/// town's figure of a department's indicator are refused, at entry and in a
/// file; the owner reports.
async fn only_the_owner_of_a_figure_reports_it(backend: Backend) {
    use anju_core::access::Role;
    use serde_json::json;
    let app = TestApp::new(&backend, "owners").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let minzheng = app.token("minzheng", Role::Unit, Some("市民政局")).await;
    let fund = app
        .token("fund", Role::LeadUnit, Some("海宁公积金分中心"))
        .await;
    let housing = app.token("zhujian", Role::LeadUnit, Some("市住建局")).await;
    let taskforce = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    let figure = |code: u16, unit: &str| {
        let amount = if code == 1 || code == 14 {
            json!({"numerator": 1, "denominator": 100})
        } else {
            json!({"value": 1})
        };
        let mut f = json!({"indicator": code, "org_unit": unit, "period": "2024-06"});
        f.as_object_mut()
            .unwrap()
            .extend(amount.as_object().unwrap().clone());
        json!({ "values": [f] })
    };
    for (who, token, code, unit, words) in [
        // 市民政局 co-runs task 2 (indicator 1): the city's figure is the towns' sum.
        ("co-unit", &minzheng, 1, "海宁市", "由各镇(街道)填报"),
        ("task force", &taskforce, 1, "海宁市", "下级汇总"),
        // 海宁公积金分中心 co-runs task 10 (indicator 14), which 市住建局 reports.
        ("co-unit", &fund, 14, "海宁市", "由市住建局填报"),
        ("town", &town, 15, "硖石街道", "由海宁公积金分中心填报"),
    ] {
        let (status, body) = app.post("/api/v1/values", token, figure(code, unit)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who} {code} {unit}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{who} {code}: {message}");
    }
    // The owners report: the fund the city's 15, 市住建局 the city's 14, the
    // town its 1; the task force on a town's behalf.
    for (token, code, unit) in [
        (&fund, 15, "海宁市"),
        (&housing, 14, "海宁市"),
        (&town, 1, "硖石街道"),
        (&taskforce, 1, "海洲街道"),
    ] {
        let (status, body) = app.post("/api/v1/values", token, figure(code, unit)).await;
        assert_eq!(status, StatusCode::OK, "{code} {unit}: {body}");
    }
    // A file with a city figure of a town-reported indicator: refused whole,
    // the row named.
    let csv = "indicator,org_unit,period,value,numerator,denominator
2,海宁市,2024-05,3,,
";
    let (content_type, form) = crate::app::form("城市.csv", csv.as_bytes(), &[]);
    let (status, body) = crate::app::upload(&app, &taskforce, &content_type, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let row = &body["error"]["rows"][0];
    assert_eq!(row["row"].as_u64(), Some(2), "{body}");
    assert!(
        row["message"].as_str().unwrap().contains("下级汇总"),
        "{body}"
    );
}

/// A period that has not ended by the service's clock (2024-07-03 here)
/// cannot be entered, imported or corrected.
async fn a_period_not_yet_ended_is_refused(backend: Backend) {
    use anju_core::access::Role;
    use serde_json::json;
    let app = TestApp::new(&backend, "future").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    for period in ["2024-07", "2024-12", "2025-06", "2024-Q3", "2024"] {
        let (status, body) = app
            .post(
                "/api/v1/values",
                &town,
                json!({"values": [{"indicator": 8, "org_unit": "硖石街道", "period": period, "value": 7}]}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{period}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("values[0].period") && message.contains("尚未结束"),
            "{message}"
        );
    }
    // Last month is open.
    let (status, body) = app
        .post(
            "/api/v1/values",
            &town,
            json!({"values": [{"indicator": 8, "org_unit": "硖石街道", "period": "2024-06", "value": 7}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A file with one future row among good ones: refused whole.
    let csv = "indicator,org_unit,period,value,numerator,denominator
8,硖石街道,2024-05,6,,
8,硖石街道,2024-07,8,,
";
    let (content_type, form) = crate::app::form("七月.csv", csv.as_bytes(), &[]);
    let (status, body) = crate::app::upload(&app, &town, &content_type, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let rows = body["error"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{body}");
    assert_eq!(
        (rows[0]["row"].as_u64(), rows[0]["column"].as_str()),
        (Some(3), Some("period")),
        "{body}"
    );
    assert_eq!(
        crate::app::values_count(&app, &town).await,
        1,
        "nothing stored"
    );
    // A figure of a future month stored before the rule (an old database):
    // it cannot be corrected either.
    let now = anju_store::Now {
        date: anju_core::workflow::Date {
            year: 2024,
            month: 7,
            day: 3,
        },
        stamp: "2024-07-03T09:00:00+08:00".into(),
    };
    let store = &app.state.store;
    let old = anju_store::NewValue {
        indicator: 8,
        org_unit: "硖石街道".into(),
        period: anju_core::period::Period::parse("2024-08").unwrap(),
        amount: anju_core::input::Amount::Value(rust_decimal::Decimal::ONE),
    };
    let id = store.put_drafts(&[old], "seed", &now).await.unwrap()[0].id;
    for step in [
        anju_core::workflow::Step::Submit,
        anju_core::workflow::Step::Approve,
    ] {
        let by = if step == anju_core::workflow::Step::Submit {
            "seed"
        } else {
            "reviewer"
        };
        store
            .step(&[id], step, by, &now, None, anju_store::Deadline::Day(5))
            .await
            .unwrap();
    }
    let (status, body) = app
        .post(
            &format!("/api/v1/values/{id}/correct"),
            &town,
            json!({"value": 2, "reason": "更正"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("尚未结束"),
        "{body}"
    );
}

/// A submission the server finds odd (ten times last month) is not
/// submitted until the reporter confirms it; confirmed, its warnings stay
/// with it and the review queue shows it first and flagged. A reporter
/// withdraws (撤回) a submission only before it is reviewed.
async fn warnings_reach_the_review_queue_and_withdrawal_is_before_review(backend: Backend) {
    use anju_core::access::Role;
    use serde_json::json;
    let app = TestApp::new(&backend, "warnings").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let other = app.token("haizhou", Role::Town, Some("海洲街道")).await;
    let taskforce = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    app.approved(
        &town,
        &taskforce,
        json!({"indicator": 8, "org_unit": "硖石街道", "period": "2024-05", "value": 6}),
    )
    .await;
    app.approved(
        &town,
        &taskforce,
        json!({"indicator": 7, "org_unit": "硖石街道", "period": "2024-05", "value": 5}),
    )
    .await;
    let draft = |value: u32, code: u16| {
        let (app, town) = (&app, town.clone());
        async move {
            let (status, body) = app
                .post("/api/v1/values", &town, json!({"values": [{"indicator": code, "org_unit": "硖石街道", "period": "2024-06", "value": value}]}))
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body["values"][0]["id"].as_i64().unwrap()
        }
    };
    let odd = draft(70, 8).await;
    let plain = draft(6, 7).await;
    // Submitted with a warning unconfirmed: nothing submitted, each named.
    let (status, body) = app
        .post("/api/v1/values/submit", &town, json!({"ids": [plain, odd]}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "warnings");
    let warned = body["error"]["warnings"].as_array().unwrap();
    assert_eq!(warned.len(), 1, "{body}");
    assert_eq!(warned[0]["id"].as_i64(), Some(odd));
    assert!(
        warned[0]["warnings"][0]
            .as_str()
            .unwrap()
            .contains("11.7 倍"),
        "{body}"
    );
    let (_, list) = app
        .with_token("GET", "/api/v1/values?state=submitted", &town)
        .await;
    assert!(
        list["values"].as_array().unwrap().is_empty(),
        "all or nothing"
    );
    // Confirmed: submitted, the warning kept with the version.
    let (status, body) = app
        .post(
            "/api/v1/values/submit",
            &town,
            json!({"ids": [plain, odd], "confirm_warnings": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let kept: Vec<usize> = body["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["warnings"].as_array().unwrap().len())
        .collect();
    assert_eq!(kept, [0, 1]);
    // The review queue: the flagged figure first, marked, with its warning.
    let (status, _, page) = app.page("/review", Some(&taskforce)).await;
    assert_eq!(status, StatusCode::OK);
    let flagged = page.find("class=\"flagged\"").expect("a flagged row");
    let first_row = page.find("<tbody>").map(|t| &page[t + 7..]).unwrap();
    let first_tag = &first_row[..first_row.find('>').unwrap()];
    assert!(
        first_tag.contains("class=\"flagged\""),
        "flagged first: {first_tag}"
    );
    assert!(page[flagged..].contains("11.7 倍") && page.contains("id=\"only-flagged\""));
    // Withdrawal: not by another town; by the reporter before review.
    let (status, _) = app
        .post("/api/v1/values/withdraw", &other, json!({"ids": [odd]}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = app
        .post("/api/v1/values/withdraw", &town, json!({"ids": [odd]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (
            body["values"][0]["state"].as_str(),
            body["values"][0]["warnings"].as_array().map(Vec::len)
        ),
        (Some("draft"), Some(0))
    );
    // A draft, an approved figure: nothing to withdraw.
    let (status, _) = app
        .post("/api/v1/values/withdraw", &town, json!({"ids": [odd]}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    app.post(
        "/api/v1/values/approve",
        &taskforce,
        json!({"ids": [plain]}),
    )
    .await;
    let (status, body) = app
        .post("/api/v1/values/withdraw", &town, json!({"ids": [plain]}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("不能撤回"),
        "{body}"
    );
    // The record: the withdrawal is audited.
    let (_, audit) = app
        .with_token("GET", "/api/v1/audit?action=value.withdraw", &taskforce)
        .await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1, "{audit}");
    // A file imported and submitted at once keeps its warnings too.
    app.approved(
        &other,
        &taskforce,
        json!({"indicator": 8, "org_unit": "海洲街道", "period": "2024-05", "value": 6}),
    )
    .await;
    let csv = "indicator,org_unit,period,value,numerator,denominator\n8,海洲街道,2024-06,70,,\n7,海洲街道,2024-06,3,,\n";
    let (content_type, form) = crate::app::form("海洲.csv", csv.as_bytes(), &[("submit", "true")]);
    let (status, body) = crate::app::upload(&app, &other, &content_type, form).await;
    assert!(status.is_success(), "{status} {body}");
    let (_, list) = app
        .with_token(
            "GET",
            "/api/v1/values?state=submitted&org_unit=海洲街道",
            &taskforce,
        )
        .await;
    let flagged: Vec<(u64, usize)> = list["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["indicator"].as_u64().unwrap(),
                v["warnings"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert!(
        flagged.contains(&(8, 1)) && flagged.contains(&(7, 0)),
        "{flagged:?}"
    );
}

crate::on_both_backends!(
    warnings_reach_the_review_queue_and_withdrawal_is_before_review,
    only_the_owner_of_a_figure_reports_it,
    a_period_not_yet_ended_is_refused,
    saving_an_unchanged_draft_makes_no_new_version,
    a_share_over_100_percent_is_refused_at_entry_import_and_correction,
    error_answers_are_as_reviewed,
    a_town_reports_the_task_force_approves_and_the_evaluation_shows_it,
    scopes_and_bad_input_are_refused_with_the_right_status,
    malformed_and_oversized_bodies_get_json_errors,
    an_approved_figure_is_corrected_with_a_reason_and_reviewed_again,
    figures_follow_the_rules_of_the_values_file,
    no_input_gets_a_500_or_a_bare_error,
);

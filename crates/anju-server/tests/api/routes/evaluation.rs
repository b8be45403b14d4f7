//! `GET /api/v1/evaluation`: answers kept per caller, gzipped, and current across servers.

use crate::prelude::*;

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

/// A town's rows as of a month, as reviewed: every field of the answer,
/// its numbers' text and order, a ratio's numerator and denominator, the
/// city's aggregate and the rank, on both backends alike.
async fn a_towns_evaluation_answer_is_as_reviewed(backend: Backend) {
    use anju_core::access::Role;
    use serde_json::json;
    let app = TestApp::new(&backend, "eval_snapshot").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let other = app.token("haizhou", Role::Town, Some("海洲街道")).await;
    let taskforce = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    for (token, unit, n, d, lifts) in [
        (&town, "硖石街道", 45, 50, 7),
        (&other, "海洲街道", 30, 60, 2),
    ] {
        let (status, body) = app
            .post(
                "/api/v1/values",
                token,
                json!({"values": [
                    {"indicator": 6, "org_unit": unit, "period": "2024-06", "numerator": n, "denominator": d},
                    {"indicator": 8, "org_unit": unit, "period": "2024-06", "value": lifts}
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
        let (status, _) = app
            .post("/api/v1/values/submit", token, json!({"ids": ids}))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body) = app
        .post("/api/v1/values/approve", &taskforce, json!({"filter": {}}))
        .await;
    assert_eq!(
        (status, body["approved"].as_u64()),
        (StatusCode::OK, Some(4)),
        "{body}"
    );
    let (status, body) = app
        .with_token(
            "GET",
            "/api/v1/evaluation?as_of=2024-06&org_unit=硖石街道",
            &taskforce,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let rows: Vec<&Value> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["indicator"] == 6 || r["indicator"] == 8)
        .collect();
    assert_eq!(rows.len(), 2, "{body}");
    insta::assert_snapshot!(
        "evaluation_answer_xiashi_2024_06",
        serde_json::to_string_pretty(&rows).unwrap()
    );
}

/// The API, the pages and a publication take the same months: the plan's
/// window (docs/RULES.md), refused outside it with the same words.
async fn the_api_pages_and_publications_take_the_same_months(backend: Backend) {
    use anju_core::access::Role;
    use serde_json::json;
    let app = TestApp::new(&backend, "as_of_window").await;
    let taskforce = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    for (month, inside) in [
        ("2022-11", false),
        ("2022-12", true),
        ("2028-12", true),
        ("2029-01", false),
    ] {
        let (status, body) = app
            .with_token(
                "GET",
                &format!("/api/v1/evaluation?as_of={month}"),
                &taskforce,
            )
            .await;
        let page = app
            .page(&format!("/cockpit?as_of={month}"), Some(&taskforce))
            .await;
        if inside {
            assert_eq!(status, StatusCode::OK, "{month}: {body}");
            assert_eq!(page.0, StatusCode::OK, "{month}");
        } else {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{month}");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(
                message.contains("不在计划期内") && message.contains("as_of"),
                "{message}"
            );
            assert_ne!(page.0, StatusCode::OK, "{month}");
            assert!(page.2.contains("不在计划期内"), "{month}: {}", page.2);
            let (status, body) = app
                .post("/api/v1/publications", &taskforce, json!({"as_of": month}))
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{month}: {body}");
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("不在计划期内"),
                "{body}"
            );
        }
    }
}

/// Each row says where its actual comes from: `carried_from` is the month
/// of an earlier month's figure, and null exactly when the actual is the
/// as-of month's own. The aggregate counts this month's children apart;
/// the cockpit and the airing mark a carried figure, and in the month's
/// standings a town whose figure is carried counts as 未报.
async fn a_carried_figure_is_marked_in_the_answer_the_cockpit_and_the_airing(backend: Backend) {
    use anju_core::access::Role;
    use serde_json::json;
    let app = TestApp::new(&backend, "carried").await;
    let xiashi = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let haizhou = app.token("haizhou", Role::Town, Some("海洲街道")).await;
    let taskforce = app.token("zhuanban", Role::Taskforce, None).await;
    let figure = |unit: &str, period: &str, n: u32| json!({"indicator": 1, "org_unit": unit, "period": period, "numerator": n, "denominator": 10000});
    app.approved(&xiashi, &taskforce, figure("硖石街道", "2024-06", 2500))
        .await;
    app.approved(&haizhou, &taskforce, figure("海洲街道", "2024-04", 2400))
        .await;
    app.approved(&haizhou, &taskforce, figure("海洲街道", "2024-05", 2450))
        .await;
    let rows_of = |as_of: &'static str| {
        let (app, token) = (&app, taskforce.clone());
        async move {
            let (status, body) = app
                .with_token(
                    "GET",
                    &format!("/api/v1/evaluation?as_of={as_of}&indicator=1"),
                    &token,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body["rows"].as_array().unwrap().clone()
        }
    };
    let find = |rows: &[serde_json::Value], unit: &str| {
        rows.iter().find(|r| r["org_unit"] == unit).unwrap().clone()
    };
    let june = rows_of("2024-06").await;
    assert_eq!(
        find(&june, "硖石街道")["carried_from"],
        serde_json::Value::Null
    );
    let hz = find(&june, "海洲街道");
    assert_eq!(hz["carried_from"], "2024-05", "{hz}");
    assert_eq!(hz["actual_period"], "2024-05");
    let city = find(&june, "海宁市");
    assert_eq!(
        (
            &city["carried_from"],
            &city["reported_children"],
            &city["current_children"]
        ),
        (&json!("2024-05"), &json!(2), &json!(1)),
        "{city}"
    );
    // A town without any figure carries nothing.
    assert_eq!(
        find(&june, "斜桥镇")["carried_from"],
        serde_json::Value::Null
    );
    // As of May, 海洲街道's May figure is the month's own.
    let may = rows_of("2024-05").await;
    assert_eq!(
        find(&may, "海洲街道")["carried_from"],
        serde_json::Value::Null
    );
    assert_eq!(
        find(&may, "海宁市")["carried_from"],
        serde_json::Value::Null
    );
    // The cockpit marks it; the city's reason counts this month's apart.
    let (status, _, cockpit) = app.page("/cockpit?as_of=2024-06", Some(&taskforce)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        cockpit.contains("<span class=\"carried\">沿用5月数据</span>"),
        "the carried town is marked"
    );
    assert!(
        cockpit.contains("其中 1/12 个为6月数据"),
        "the city's reason"
    );
    // Published, the airing marks it and counts 海洲街道's carried figure as 未报.
    let (status, body) = app
        .post(
            "/api/v1/publications",
            &taskforce,
            json!({"as_of": "2024-06", "force": true, "reason": "测试"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, _, airing) = app.page("/airing/2024-06", None).await;
    assert!(
        airing.contains("沿用5月数据"),
        "{}",
        &airing[airing.find("<main").unwrap_or(0)..]
    );
    let line = |name: &str| {
        let at = airing
            .find(&format!("<th scope=\"row\">{name}</th>"))
            .unwrap();
        let rest = &airing[at..];
        rest[..rest.find("</tr>").unwrap()].to_string()
    };
    // 硖石街道: indicator 1 counted by its light; 海洲街道: 未报 with the 4 other
    // shares it has not reported.
    assert!(
        line("海洲街道")
            .ends_with("<td class=\"num\">5</td><td class=\"num\">10</td><td class=\"num\"></td>"),
        "{}",
        line("海洲街道")
    );
    assert!(
        line("硖石街道")
            .ends_with("<td class=\"num\">4</td><td class=\"num\">10</td><td class=\"num\"></td>"),
        "{}",
        line("硖石街道")
    );
}

crate::on_both_backends!(
    a_carried_figure_is_marked_in_the_answer_the_cockpit_and_the_airing,
    the_api_pages_and_publications_take_the_same_months,
    a_towns_evaluation_answer_is_as_reviewed,
    a_server_sees_an_approval_made_by_another_server_at_once,
    evaluation_answers_are_kept_per_caller_and_gzipped_on_request,
);

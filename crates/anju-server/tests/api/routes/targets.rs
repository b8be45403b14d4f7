//! `/api/v1/targets`: adjustments and decompositions.

use crate::prelude::*;

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

/// A decomposition of the city's targets to the towns: refused unless it
/// adds up, then in force for every evaluation.
async fn a_decomposition_is_checked_then_in_force(backend: Backend) {
    use anju_core::access::Role;
    let app = TestApp::new(&backend, "decompose").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let taskforce = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    let sample = include_str!("../../../../../examples/haining-targets-sample.csv");
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

crate::on_both_backends!(
    a_target_adjustment_counts_from_its_effective_month,
    a_decomposition_is_checked_then_in_force,
);

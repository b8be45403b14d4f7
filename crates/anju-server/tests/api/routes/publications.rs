//! `/api/v1/publications`: published months, frozen.

use crate::prelude::*;

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
    // A figure behind it: a version's fields, in the API's order, less the
    // login names.
    let keys: Vec<&str> = published["values"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "indicator",
            "org_unit",
            "period",
            "version",
            "value",
            "numerator",
            "denominator",
            "state",
            "late",
            "correction_reason",
            "return_reason",
            "created_at",
            "decided_at"
        ]
    );
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

crate::on_both_backends!(a_published_month_reads_the_same_after_a_correction,);

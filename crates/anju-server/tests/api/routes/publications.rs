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
    // On 3 July the month is incomplete: published by decision, with a reason.
    let (status, published) = app
        .post(
            "/api/v1/publications",
            &taskforce,
            json!({"as_of": "2024-06", "force": true, "reason": "专班例会要求提前晾晒"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{published}");
    assert_eq!(
        (published["version"].as_i64(), published["reason"].as_str()),
        (Some(1), Some("专班例会要求提前晾晒"))
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

    // The next publication lists the correction (in August: July has ended).
    app.advance(34 * 24 * 3600);
    let taskforce = app.login("zhuanban", "correct horse").await.2["token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, july) = app
        .post(
            "/api/v1/publications",
            &taskforce,
            json!({"as_of": "2024-07", "force": true, "reason": "七月各镇未报"}),
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
            json!({"as_of": "2024-06", "reason": "更正后重新晾晒", "force": true}),
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

/// A month is published when it is complete — every figure due approved and
/// the deadline passed — or by decision (`force`, with a reason); either
/// way the publication records its completeness and the public page says it.
async fn an_incomplete_month_is_published_only_by_decision(backend: Backend) {
    use anju_core::access::Role;
    use anju_core::plan::Kind;
    use anju_core::workflow::Step;
    use serde_json::json;
    let app = TestApp::new(&backend, "safeguards").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let other = app.token("haizhou", Role::Town, Some("海洲街道")).await;
    let taskforce = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    // May: every town's 13 figures approved (the store, as an import would).
    let plan = app.state.plan();
    let store = &app.state.store;
    let now = anju_store::Now {
        date: anju_core::workflow::Date {
            year: 2024,
            month: 6,
            day: 3,
        },
        stamp: "2024-06-03T09:00:00+08:00".into(),
    };
    let mut may = Vec::new();
    for (ix, ind) in plan.indicators.iter().enumerate() {
        for &org in &plan.reporting {
            if plan.reporter_of(ix, org) != Some(org) {
                continue;
            }
            may.push(anju_store::NewValue {
                indicator: ind.code.0,
                org_unit: plan.orgs.get(org).name.clone(),
                period: anju_core::period::Period::parse("2024-05").unwrap(),
                amount: if ind.kind == Kind::Ratio {
                    anju_core::input::Amount::Ratio {
                        num: rust_decimal::Decimal::from(40),
                        den: rust_decimal::Decimal::from(50),
                    }
                } else {
                    anju_core::input::Amount::Value(rust_decimal::Decimal::ONE)
                },
            });
        }
    }
    assert_eq!(
        may.len(),
        12 * 13,
        "the towns report 1–13; 14 and 15 are yearly"
    );
    let ids: Vec<i64> = store
        .put_drafts(&may, "seed", &now)
        .await
        .unwrap()
        .iter()
        .map(|v| v.id)
        .collect();
    store
        .step(
            &ids,
            Step::Submit,
            "seed",
            &now,
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();
    store
        .step(
            &ids,
            Step::Approve,
            "reviewer",
            &now,
            None,
            anju_store::Deadline::Day(5),
        )
        .await
        .unwrap();
    // June on 3 July: one figure waiting, one returned, the rest not reported,
    // and the deadline (5 July) not passed.
    let (_, body) = app
        .post("/api/v1/values", &town, json!({"values": [{"indicator": 8, "org_unit": "硖石街道", "period": "2024-06", "value": 7}]}))
        .await;
    let waiting = body["values"][0]["id"].as_i64().unwrap();
    app.post("/api/v1/values/submit", &town, json!({"ids": [waiting]}))
        .await;
    let (_, body) = app
        .post("/api/v1/values", &other, json!({"values": [{"indicator": 8, "org_unit": "海洲街道", "period": "2024-06", "value": 9}]}))
        .await;
    let returned = body["values"][0]["id"].as_i64().unwrap();
    app.post("/api/v1/values/submit", &other, json!({"ids": [returned]}))
        .await;
    let (status, _) = app
        .post(
            "/api/v1/values/return",
            &taskforce,
            json!({"ids": [returned], "reason": "请核实"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .post(
            "/api/v1/publications",
            &taskforce,
            json!({"as_of": "2024-06"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let c = &body["error"]["completeness"];
    assert_eq!(body["error"]["code"], "incomplete");
    assert_eq!(
        (
            c["due"].as_u64(),
            c["approved"].as_u64(),
            c["waiting"].as_u64(),
            c["returned"].as_u64(),
            c["not_reported"].as_u64()
        ),
        (Some(156), Some(0), Some(1), Some(1), Some(154)),
        "{c}"
    );
    assert_eq!(c["deadline"], "2024-07-05");
    assert_eq!(c["deadline_passed"], false);
    assert_eq!(c["returned_list"][0]["org_unit"], "海洲街道");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("1 项退回未重报")
            && message.contains("截止日 2024-07-05 未到")
            && message.contains("force"),
        "{message}"
    );
    assert_eq!(
        app.get("/api/v1/publications/2024-06").await.0,
        StatusCode::NOT_FOUND,
        "nothing published"
    );
    // Anyway, but without a reason: refused, naming the field.
    let (status, body) = app
        .post(
            "/api/v1/publications",
            &taskforce,
            json!({"as_of": "2024-06", "force": true}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("reason"),
        "{body}"
    );
    // A month not yet ended is never published.
    let (status, body) = app
        .post(
            "/api/v1/publications",
            &taskforce,
            json!({"as_of": "2024-07", "force": true, "reason": "试"}),
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
    // Anyway, with a reason: published, its completeness recorded and shown.
    let (status, june) = app
        .post(
            "/api/v1/publications",
            &taskforce,
            json!({"as_of": "2024-06", "force": true, "reason": "市政府常务会议需要"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{june}");
    let c = &june["completeness"];
    assert_eq!(
        (c["forced"].as_bool(), c["force_reason"].as_str()),
        (Some(true), Some("市政府常务会议需要"))
    );
    assert_eq!(
        (
            c["towns"].as_u64(),
            c["towns_on_time"].as_u64(),
            c["towns_complete"].as_u64()
        ),
        (Some(12), Some(0), Some(0))
    );
    let (_, _, airing) = app.page("/airing/2024-06", None).await;
    assert!(
        airing.contains("12 个镇(街道)中 0 个按时报送")
            && airing.contains("数据未齐时经专班决定发布"),
        "the public page says how complete it was"
    );
    // May is complete and its deadline passed: published without force.
    let (status, may) = app
        .post(
            "/api/v1/publications",
            &taskforce,
            json!({"as_of": "2024-05"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{may}");
    let c = &may["completeness"];
    assert_eq!(
        (
            c["due"].as_u64(),
            c["approved"].as_u64(),
            c["forced"].as_bool(),
            c["towns_on_time"].as_u64()
        ),
        (Some(156), Some(156), Some(false), Some(12)),
        "{c}"
    );
    let (_, _, airing) = app.page("/airing/2024-05", None).await;
    assert!(airing.contains("12 个镇(街道)中 12 个按时报送、12 个数据全部审核"));
}

crate::on_both_backends!(
    an_incomplete_month_is_published_only_by_decision,
    a_published_month_reads_the_same_after_a_correction,
);

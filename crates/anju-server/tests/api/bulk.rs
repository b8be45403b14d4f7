//! Figures by the file and by the filter: an import of a whole year for every
//! unit lands in one transaction with its audit in blocks that verify; a
//! bulk approval takes exactly what its filter names, all or nothing, never
//! one's own.

use anju_core::access::Role;
use anju_core::period::Period;
use anju_core::workflow::{Date, State};
use anju_store::{AuditCheck, NewValue, Now, ValueFilter};
use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde_json::json;

use super::TestApp;
use crate::common::Backend;

fn now() -> Now {
    Now {
        date: Date {
            year: 2026,
            month: 1,
            day: 3,
        },
        stamp: "2026-01-03T09:00:00+08:00".into(),
    }
}

fn figure(indicator: u16, org: &str, period: &str, value: i64) -> NewValue {
    NewValue {
        indicator,
        org_unit: org.into(),
        period: Period::parse(period).unwrap(),
        amount: anju_core::input::Amount::Value(Decimal::from(value)),
    }
}

async fn count(app: &TestApp, state: State) -> usize {
    app.state
        .store
        .list(&ValueFilter {
            state: Some(state),
            ..ValueFilter::default()
        })
        .await
        .unwrap()
        .len()
}

async fn an_import_of_thousands_lands_whole_with_an_audit_that_verifies(backend: Backend) {
    let app = TestApp::new(&backend, "bulk_import").await;
    let plan = app.state.plan();
    let towns: Vec<String> = plan
        .orgs
        .get(plan.reporting_root)
        .children
        .iter()
        .map(|&o| plan.orgs.get(o).name.clone())
        .collect();
    // Every indicator for every town, every month of 2023–2025 (the store
    // takes a plain value for any): 15 × 12 × 36 = 6,480 figures, more than
    // one audit block.
    let mut values = Vec::new();
    for code in 1u16..=15 {
        for t in &towns {
            for y in 2023..=2025 {
                for m in 1..=12 {
                    values.push(figure(code, t, &format!("{y}-{m:02}"), i64::from(m)));
                }
            }
        }
    }
    let n = values.len();
    assert!(
        n > anju_store::AUDIT_BLOCK,
        "{n} figures, more than one audit block"
    );
    let store = &app.state.store;
    // A draft already there is superseded, as one at a time would.
    store
        .put_drafts(&[values[0].clone()], "zhuanban", &now())
        .await
        .unwrap();
    let done = store
        .import_values(
            &values,
            "zhuanban",
            &now(),
            Some(anju_store::Deadline::Day(5)),
        )
        .await
        .unwrap();
    assert_eq!(done.ids.len(), n);
    assert_eq!(count(&app, State::Submitted).await, n);
    assert_eq!(count(&app, State::Superseded).await, 1);
    let first = store.value(done.ids[0]).await.unwrap().unwrap();
    assert_eq!((first.version, first.state), (2, State::Submitted));
    // The log is whole and every stored figure is what it recorded.
    assert!(matches!(
        store.verify_audit().await.unwrap(),
        AuditCheck::Whole { .. }
    ));
    assert_eq!(store.verify_figures().await.unwrap(), vec![]);
    // The same file again is refused whole: they wait for review.
    let again = store.import_values(&values, "zhuanban", &now(), None).await;
    assert!(again.is_err());
    assert_eq!(count(&app, State::Submitted).await, n, "nothing changed");
    // The same figure twice in one file is refused.
    let twice = vec![
        figure(8, "硖石街道", "2028-01", 1),
        figure(8, "硖石街道", "2028-01", 2),
    ];
    let e = store
        .import_values(&twice, "zhuanban", &now(), None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("values[1]"), "{e}");
}

async fn a_bulk_approval_takes_what_its_filter_names_all_or_nothing(backend: Backend) {
    let app = TestApp::new(&backend, "bulk_approve").await;
    let approver = app.token("zuzhang", Role::Taskforce, None).await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let fund = app
        .token("fund", Role::LeadUnit, Some("海宁公积金分中心"))
        .await;
    let store = &app.state.store;
    let mut values = Vec::new();
    for t in ["硖石街道", "海洲街道"] {
        for m in 1..=6i64 {
            values.push(figure(8, t, &format!("2024-{m:02}"), m));
            values.push(figure(9, t, &format!("2024-{m:02}"), m));
        }
    }
    store
        .import_values(
            &values,
            "xiashi",
            &now(),
            Some(anju_store::Deadline::Day(5)),
        )
        .await
        .unwrap();
    // Nothing but a filter or ids.
    let (status, body) = app
        .post("/api/v1/values/approve", &approver, json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app
        .post(
            "/api/v1/values/approve",
            &approver,
            json!({"filter": {"from": "2024-13"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("filter.from"),
        "{body}"
    );
    // A town and a lead unit of other indicators may not.
    for who in [&town, &fund] {
        let (status, _) = app
            .post(
                "/api/v1/values/approve",
                who,
                json!({"filter": {"org": "硖石街道"}}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    assert_eq!(count(&app, State::Approved).await, 0);
    // One town, March to May, indicator 8: three figures.
    let (status, body) = app
        .post(
            "/api/v1/values/approve",
            &approver,
            json!({"filter": {"org": "硖石街道", "from": "2024-03", "to": "2024-05", "indicator": 8}}),
        )
        .await;
    assert_eq!(
        (status, body["approved"].as_u64()),
        (StatusCode::OK, Some(3)),
        "{body}"
    );
    let approved = store
        .list(&ValueFilter {
            state: Some(State::Approved),
            ..ValueFilter::default()
        })
        .await
        .unwrap();
    let mut got: Vec<(u16, &str, String)> = approved
        .iter()
        .map(|v| (v.indicator, v.org_unit.as_str(), v.period.to_string()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (8, "硖石街道", "2024-03".to_string()),
            (8, "硖石街道", "2024-04".to_string()),
            (8, "硖石街道", "2024-05".to_string())
        ]
    );
    assert!(
        approved
            .iter()
            .all(|v| v.decided_by.as_deref() == Some("zuzhang"))
    );
    // The evaluation sees them at once.
    let (_, eval) = app
        .with_token(
            "GET",
            "/api/v1/evaluation?as_of=2024-05&org_unit=硖石街道",
            &approver,
        )
        .await;
    let row = eval["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["indicator"] == 8)
        .unwrap()
        .clone();
    assert!(row["actual"].is_number(), "{row}");
    // A filter that takes one figure of the approver's own: nothing at all.
    store
        .import_values(
            &[figure(10, "海洲街道", "2024-01", 1)],
            "zuzhang",
            &now(),
            Some(anju_store::Deadline::Day(5)),
        )
        .await
        .unwrap();
    let before = count(&app, State::Submitted).await;
    let (status, body) = app
        .post(
            "/api/v1/values/approve",
            &approver,
            json!({"filter": {"org": "海洲街道"}}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("本人"),
        "{body}"
    );
    assert_eq!(
        count(&app, State::Submitted).await,
        before,
        "all or nothing"
    );
    // The whole city but indicator 10: everything else waiting.
    let (status, body) = app
        .post(
            "/api/v1/values/approve",
            &approver,
            json!({"filter": {"org": "海宁市", "indicator": 9}}),
        )
        .await;
    assert_eq!(
        (status, body["approved"].as_u64()),
        (StatusCode::OK, Some(12)),
        "{body}"
    );
    // Each approval audited; the figures verify against the log.
    let (_, audit) = app
        .with_token("GET", "/api/v1/audit?action=value.approve", &approver)
        .await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 2);
    assert_eq!(store.verify_figures().await.unwrap(), vec![]);
    // The ids form still answers with the versions.
    let id = store
        .list(&ValueFilter {
            state: Some(State::Submitted),
            indicator: Some(8),
            org_unit: Some("海洲街道".into()),
            ..ValueFilter::default()
        })
        .await
        .unwrap()[0]
        .id;
    let (status, body) = app
        .post("/api/v1/values/approve", &approver, json!({"ids": [id]}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["values"][0]["state"], "approved", "{body}");
    // A correction approved in bulk replaces the approved version it
    // corrects, and the evaluation shows the new figure at once.
    let march = approved
        .iter()
        .find(|v| v.period.to_string() == "2024-03")
        .unwrap()
        .clone();
    let shown = eval_actual(&app, &approver, "2024-03", 8).await;
    let corrected = store
        .correct(
            march.id,
            &figure(8, "硖石街道", "2024-03", 300),
            "笔误,应为 300",
            "xiashi",
            &now(),
        )
        .await
        .unwrap();
    let (status, body) = app
        .post(
            "/api/v1/values/approve",
            &approver,
            json!({"filter": {"org": "硖石街道", "from": "2024-03", "to": "2024-03", "indicator": 8}}),
        )
        .await;
    assert_eq!(
        (status, body["approved"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{body}"
    );
    let old = store.value(march.id).await.unwrap().unwrap();
    let new = store.value(corrected.id).await.unwrap().unwrap();
    assert_eq!((old.state, new.state), (State::Superseded, State::Approved));
    let now_shown = eval_actual(&app, &approver, "2024-03", 8).await;
    assert_ne!(
        now_shown, shown,
        "the evaluation still shows the old figure"
    );
    // March's figure went from 3 to 300 (whether the indicator shows the
    // month's stock or the year's sum so far).
    assert_eq!(
        now_shown.as_f64().zip(shown.as_f64()).map(|(a, b)| a - b),
        Some(297.0),
        "{shown} → {now_shown}"
    );
    assert_eq!(store.verify_figures().await.unwrap(), vec![]);
}

/// The actual of 硖石街道's row of `indicator` as of `as_of`.
async fn eval_actual(app: &TestApp, token: &str, as_of: &str, indicator: u16) -> serde_json::Value {
    let (_, eval) = app
        .with_token(
            "GET",
            &format!("/api/v1/evaluation?as_of={as_of}&org_unit=硖石街道"),
            token,
        )
        .await;
    eval["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["indicator"] == indicator)
        .unwrap()["actual"]
        .clone()
}

crate::on_both_backends!(
    an_import_of_thousands_lands_whole_with_an_audit_that_verifies,
    a_bulk_approval_takes_what_its_filter_names_all_or_nothing,
);

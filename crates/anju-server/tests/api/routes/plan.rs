//! `GET /api/v1/plan`: the plan in force, public.

use crate::prelude::*;

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

/// The whole answer, as reviewed: a change to any figure of the plan, any
/// field or its order shows in review (`cargo insta review`).
async fn the_plan_answer_is_as_reviewed(backend: Backend) {
    let app = TestApp::new(&backend, "plan_snapshot").await;
    let (status, body) = app.get("/api/v1/plan").await;
    assert_eq!(status, StatusCode::OK);
    // As text: the exact decimals as the answer writes them.
    insta::assert_snapshot!("plan_answer", serde_json::to_string_pretty(&body).unwrap());
}

crate::on_both_backends!(
    the_plan_is_public_with_its_figures,
    the_plan_answer_is_as_reviewed,
);

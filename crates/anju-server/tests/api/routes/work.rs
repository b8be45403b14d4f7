//! `/api/v1/work-items`: a task's yearly work items, reported by their owner
//! with attachments, reviewed by the task force, lit by 序时进度 and
//! milestones as the clock moves.

use crate::prelude::*;
use anju_core::access::Role;
use serde_json::json;

const DAY: i64 = 86_400;

fn report_form(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----anjuWorkBoundary4kq";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (name, bytes) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn send(
    app: &TestApp,
    token: &str,
    uri: &str,
    form: (String, Vec<u8>),
) -> (StatusCode, Value) {
    let request = Request::post(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", form.0)
        .body(Body::from(form.1))
        .unwrap();
    let (status, _, body) = app.send(request).await;
    (status, body)
}

/// The owner reports, the task force reviews; co-units read, others do
/// not; a missed milestone is red and behind 序时进度 yellow as days pass.
async fn a_work_item_is_reported_by_its_owner_and_reviewed(backend: Backend) {
    let app = TestApp::new(&backend, "wk_life").await;
    let tf = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    let zj = app.token("zhujian", Role::LeadUnit, Some("市住建局")).await;
    let fgj = app.token("fagai", Role::Unit, Some("市发改局")).await;
    let xs = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let item = json!({"task": 1, "year": 2024, "title": "出台保障性租赁住房运营管理办法", "deadline": "2024-12-31",
        "milestones": [{"name": "出台实施细则", "due": "2024-09-30"}]});
    assert_eq!(
        app.post("/api/v1/work-items", &zj, item.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    for (field, bad) in [
        ("task", json!(14)),
        ("year", json!(2030)),
        ("deadline", json!("2025-01-31")),
        ("deadline", json!("2024-07-01")),
        ("title", json!("")),
        ("owner", json!("火星局")),
    ] {
        let mut body = item.clone();
        body[field] = bad.clone();
        let (status, answer) = app.post("/api/v1/work-items", &tf, body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field} {bad}: {answer}"
        );
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(field),
            "{answer}"
        );
    }
    let mut late = item.clone();
    late["milestones"] = json!([{"name": "x", "due": "2025-01-05"}]);
    let (status, answer) = app.post("/api/v1/work-items", &tf, late).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("milestones[0]")
    );

    let (status, w) = app.post("/api/v1/work-items", &tf, item).await;
    assert_eq!(status, StatusCode::CREATED, "{w}");
    let id = w["id"].as_i64().unwrap();
    assert_eq!(
        (w["owner"].as_str(), w["task_name"].as_str()),
        (Some("市住建局"), Some("扩大保障性租赁住房供给"))
    );
    assert!(
        w["co_units"]
            .as_array()
            .unwrap()
            .contains(&json!("市发改局")),
        "the task's co-units: {w}"
    );
    assert_eq!(w["light"], "green", "{w}");

    // A co-unit reads it but does not report; a town neither.
    assert_eq!(
        app.with_token("GET", &format!("/api/v1/work-items/{id}"), &fgj)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        app.with_token("GET", &format!("/api/v1/work-items/{id}"), &xs)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (_, none) = app.with_token("GET", "/api/v1/work-items", &xs).await;
    assert_eq!(none["items"], json!([]));
    let reports = format!("/api/v1/work-items/{id}/reports");
    let pdf = b"%PDF-1.7 draft of the rules".to_vec();
    assert_eq!(
        send(
            &app,
            &fgj,
            &reports,
            report_form(&[("percent", "30"), ("text", "x")], &[])
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    // Bad reports are refused in words, naming the file.
    let big = vec![b'x'; 11 * 1024 * 1024];
    for (fields, files, words) in [
        (vec![("percent", "150"), ("text", "x")], vec![], "percent"),
        (vec![("percent", "30"), ("text", " ")], vec![], "text"),
        (
            vec![("percent", "30"), ("text", "x")],
            vec![("病毒.exe", b"MZ".as_slice())],
            "病毒.exe",
        ),
        (
            vec![("percent", "30"), ("text", "x")],
            vec![("大.pdf", big.as_slice())],
            "超过 10 MB",
        ),
    ] {
        let (status, body) = send(&app, &zj, &reports, report_form(&fields, &files)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(words),
            "{body}"
        );
    }
    let (status, w) = send(
        &app,
        &zj,
        &reports,
        report_form(
            &[("percent", "30"), ("text", "已形成办法草案,征求部门意见")],
            &[("办法草案.pdf", &pdf)],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{w}");
    assert_eq!(
        w["reports"].as_array().unwrap().len(),
        1,
        "refused reports left nothing"
    );
    assert!(w["percent"].is_null(), "not approved yet");
    let rid = w["reports"][0]["id"].as_i64().unwrap();
    let file_url = w["reports"][0]["files"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();

    // Review.
    let at = |what: &str| format!("/api/v1/work-items/{id}/reports/{rid}/{what}");
    assert_eq!(
        app.post(&at("approve"), &zj, json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(&at("return"), &tf, json!({})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let (status, w) = app.post(&at("approve"), &tf, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{w}");
    assert_eq!(w["percent"], 30);

    // The attachment, as sent, to who may read the item.
    let request = Request::get(&file_url)
        .header("authorization", format!("Bearer {fgj}"))
        .body(Body::empty())
        .unwrap();
    let response = router(app.state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(bytes.as_ref(), pdf.as_slice());
    assert_eq!(
        app.with_token("GET", &file_url, &xs).await.0,
        StatusCode::FORBIDDEN
    );

    // 2024-10-03: the milestone of 09-30 has passed unmet: red.
    app.advance(92 * DAY);
    let login = |name: &'static str| {
        let app = &app;
        async move {
            app.login(name, "correct horse").await.2["token"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let (tf, zj) = (login("zhuanban").await, login("zhujian").await);
    let (_, w) = app
        .with_token("GET", &format!("/api/v1/work-items/{id}"), &tf)
        .await;
    assert_eq!(w["light"], "red", "{w}");
    assert!(
        w["light_reason"]
            .as_str()
            .unwrap()
            .contains("出台实施细则(2024-09-30)"),
        "{w}"
    );
    let (status, w) = app
        .post(
            &format!("/api/v1/work-items/{id}/milestones/1"),
            &zj,
            json!({"done": "2024-09-29"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{w}");
    // 92 of 181 days (50.8 %), 30 % done: about 21 points behind, yellow.
    assert_eq!(w["light"], "yellow", "{w}");
    let (_, audit) = app.with_token("GET", "/api/v1/audit", &tf).await;
    let n = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("work."))
        .count();
    assert_eq!(n, 4, "created, reported, approved, milestone: {audit}");
}

/// The text of a workbook's cells (its shared strings).
fn strings_of(xlsx: &[u8]) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    let mut text = String::new();
    zip.by_name("xl/sharedStrings.xml")
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

async fn download(app: &TestApp, uri: &str, token: &str) -> (StatusCode, String, Vec<u8>) {
    let request = Request::get(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = router(app.state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, kind, bytes.to_vec())
}

/// Every 工作调度 list exports as a workbook of what the caller may read.
async fn the_lists_export_as_workbooks(backend: Backend) {
    let app = TestApp::new(&backend, "wk_export").await;
    let tf = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    let xs = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let hz = app.token("haizhou", Role::Town, Some("海洲街道")).await;
    app.post("/api/v1/supervision", &tf, json!({"title": "核实老旧小区台账", "source": {"kind": "plan", "ref": "任务 3"}, "lead": "硖石街道", "due": "2024-07-30"}))
        .await;
    app.post("/api/v1/projects", &xs, json!({"name": "文苑小区加装电梯", "type": "加装电梯", "planned_completion": "2025-06-30", "planned_investment": "85.5"}))
        .await;
    let (status, body) = app
        .post("/api/v1/work-items", &tf, json!({"task": 3, "year": 2024, "title": "完成老旧小区改造计划", "deadline": "2024-12-31", "milestones": "确定改造清单 2024-09-30\n全部开工:2024-11-30"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["milestones"][1]["name"], "全部开工",
        "lines of text read as milestones: {body}"
    );
    for (uri, words) in [
        ("/api/v1/exports/supervision", "核实老旧小区台账"),
        ("/api/v1/exports/projects", "文苑小区加装电梯"),
        (
            "/api/v1/exports/work-items?year=2024",
            "完成老旧小区改造计划",
        ),
    ] {
        let (status, kind, bytes) = download(&app, uri, &tf).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(kind.contains("spreadsheetml"), "{uri}: {kind}");
        let text = strings_of(&bytes);
        assert!(text.contains(words), "{uri}: {text}");
    }
    let (_, _, bytes) = download(&app, "/api/v1/exports/supervision", &hz).await;
    assert!(
        !strings_of(&bytes).contains("核实老旧小区台账"),
        "another town's item is not exported"
    );
    let (_, _, bytes) = download(&app, "/api/v1/exports/projects", &xs).await;
    assert!(
        strings_of(&bytes).contains("居民协商签约"),
        "the milestones are in the list"
    );
}

/// A work-item list imports all or none, bad rows named by row and column.
async fn a_work_item_list_imports_all_or_none(backend: Backend) {
    let app = TestApp::new(&backend, "wk_import").await;
    let tf = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    let zj = app.token("zhujian", Role::LeadUnit, Some("市住建局")).await;
    let send = |token: String, text: &'static str| {
        let app = &app;
        async move {
            let (kind, body) = form("工作要点.csv", text.as_bytes(), &[]);
            let request = Request::post("/api/v1/work-items/import")
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", kind)
                .body(Body::from(body))
                .unwrap();
            let (status, _, body) = app.send(request).await;
            (status, body)
        }
    };
    let bad = "重点任务,年度,工作要点,牵头单位,配合单位,完成时限,时间节点\n\
               1,2024,出台运营管理办法,,,2024-12-31,形成草案 2024-09-30;印发 2024-12-20\n\
               14,2024,不存在的任务,,,2024-12-31,\n\
               3,2024,老旧小区改造开工,市住建局,市财政局、市发改局,2024-13-01,\n";
    assert_eq!(send(zj.clone(), bad).await.0, StatusCode::FORBIDDEN);
    let (status, body) = send(tf.clone(), bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let rows = body["error"]["rows"].as_array().unwrap();
    let at: Vec<(u64, &str)> = rows
        .iter()
        .map(|r| (r["row"].as_u64().unwrap(), r["column"].as_str().unwrap()))
        .collect();
    assert_eq!(at, [(3, "task"), (4, "deadline")], "{body}");
    let (_, none) = app.with_token("GET", "/api/v1/work-items", &tf).await;
    assert_eq!(none["items"], json!([]), "nothing stored");
    let good = "重点任务,年度,工作要点,牵头单位,配合单位,完成时限,时间节点\n\
                1,2024,出台运营管理办法,,,2024-12-31,形成草案 2024-09-30;印发 2024-12-20\n\
                3,2024,老旧小区改造开工,市住建局,市财政局、市发改局,2024-11-30,\n";
    let (status, body) = send(tf.clone(), good).await;
    assert_eq!(
        (status, body["imported"].as_u64()),
        (StatusCode::CREATED, Some(2)),
        "{body}"
    );
    let (_, all) = app.with_token("GET", "/api/v1/work-items", &tf).await;
    let first = &all["items"][0];
    assert_eq!(first["milestones"].as_array().unwrap().len(), 2, "{all}");
    assert_eq!(
        all["items"][1]["co_units"],
        json!(["市财政局", "市发改局"]),
        "{all}"
    );
}

crate::on_both_backends!(
    a_work_item_list_imports_all_or_none,
    a_work_item_is_reported_by_its_owner_and_reviewed,
    the_lists_export_as_workbooks,
);

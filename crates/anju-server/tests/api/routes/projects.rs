//! `/api/v1/projects`: a town's projects with their 倒排工期, 形象进度 with
//! photos, 有效投资, the task force's review and the light.

use crate::prelude::*;
use anju_core::access::Role;
use serde_json::json;

const DAY: i64 = 86_400;

/// A multipart progress form: fields, then photos (file name, bytes).
fn progress_form(fields: &[(&str, &str)], photos: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----anjuProjectBoundary93kd0";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (name, bytes) in photos {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn send_progress(
    app: &TestApp,
    token: &str,
    id: i64,
    form: (String, Vec<u8>),
) -> (StatusCode, Value) {
    let request = Request::post(format!("/api/v1/projects/{id}/progress"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", form.0)
        .body(Body::from(form.1))
        .unwrap();
    let (status, _, body) = app.send(request).await;
    (status, body)
}

fn elevator(completion: &str) -> Value {
    json!({"name": "文苑小区 3 幢加装电梯", "type": "加装电梯", "planned_completion": completion, "planned_investment": "85.5"})
}

/// The milestones the plan's template gives, counted back by hand: the
/// last on the completion, each earlier one its later phases' days before.
fn counted_back(
    plan: &anju_core::plan::Plan,
    kind: &str,
    completion: &str,
) -> Vec<(String, String)> {
    use anju_core::workflow::Date;
    let t = plan.project_type(kind).unwrap();
    let mut at = Date::parse(completion).unwrap().days();
    let mut out = Vec::new();
    for p in t.phases.iter().rev() {
        out.push((p.name.clone(), Date::from_days(at).to_string()));
        at -= i64::from(p.days);
    }
    out.reverse();
    out
}

/// A town adds its project and sees its 倒排工期; others see it only as
/// their role allows; bad input names its field.
async fn a_project_gets_its_milestones_counted_back_from_its_completion(backend: Backend) {
    let app = TestApp::new(&backend, "pj_make").await;
    let xs = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let hz = app.token("haizhou", Role::Town, Some("海洲街道")).await;
    let leader = app.token("lingdao", Role::Leader, None).await;
    let tf = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    let unit = app.token("fagai", Role::Unit, Some("市发改局")).await;

    let (status, p) = app
        .post("/api/v1/projects", &xs, elevator("2025-06-30"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(
        (p["town"].as_str(), p["stage"].as_str()),
        (Some("硖石街道"), Some("reserve"))
    );
    assert_eq!(
        (p["indicator"].as_u64(), p["contribution"].as_u64()),
        (Some(8), Some(1)),
        "{p}"
    );
    let got: Vec<(String, String)> = p["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert!(m["actual"].is_null());
            (
                m["name"].as_str().unwrap().to_string(),
                m["planned"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let plan = app.state.plan();
    assert_eq!(got, counted_back(&plan, "加装电梯", "2025-06-30"));
    assert_eq!(got.last().unwrap().1, "2025-06-30");
    // The planned investment is spread exactly over the schedule's months.
    let sum: rust_decimal::Decimal = p["plan"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| {
            v.as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(sum.normalize().to_string(), "85.5");
    let id = p["id"].as_i64().unwrap();

    // Another town neither sees nor adds for it; a department neither.
    assert_eq!(
        app.with_token("GET", &format!("/api/v1/projects/{id}"), &hz)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (_, list) = app.with_token("GET", "/api/v1/projects", &hz).await;
    assert_eq!(list["projects"], json!([]));
    let mut theirs = elevator("2025-06-30");
    theirs["town"] = json!("硖石街道");
    for who in [&hz, &leader, &unit] {
        let (status, body) = app.post("/api/v1/projects", who, theirs.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    let (_, list) = app.with_token("GET", "/api/v1/projects", &leader).await;
    assert_eq!(list["projects"].as_array().unwrap().len(), 1);
    // The task force adds one for a town (from its 储备库).
    let (status, body) = app.post("/api/v1/projects", &tf, theirs).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, only) = app
        .with_token("GET", "/api/v1/projects?town=硖石街道", &tf)
        .await;
    assert_eq!(only["projects"].as_array().unwrap().len(), 2);

    for (field, bad) in [
        ("type", json!("盖楼")),
        ("planned_completion", json!("2024-07-01")),
        ("planned_completion", json!("2025-02-30")),
        ("planned_investment", json!("-3")),
        ("planned_investment", json!("很多")),
        ("name", json!(" ")),
        ("stage", json!("竣工")),
    ] {
        let mut body = elevator("2025-06-30");
        body[field] = bad.clone();
        let (status, answer) = app.post("/api/v1/projects", &xs, body).await;
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
    // A type whose size is the project's own needs it said.
    let (status, answer) = app
        .post(
            "/api/v1/projects",
            &xs,
            json!({"name": "东山保障性租赁住房", "type": "保障性租赁住房", "planned_completion": "2026-12-31", "planned_investment": 12000}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("万套"),
        "{answer}"
    );
}

/// Progress comes with photos: their capture time and place are kept, a
/// photo without EXIF or an old one is flagged, a 10 MB photo and a file
/// that is not one are refused in words; the task force reviews, and only
/// approved investment counts, exactly.
async fn progress_photos_are_checked_and_the_taskforce_reviews(backend: Backend) {
    use anju_reports::photo::jpeg_with_exif;
    let app = TestApp::new(&backend, "pj_prog").await;
    let xs = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let hz = app.token("haizhou", Role::Town, Some("海洲街道")).await;
    let tf = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    let (_, p) = app
        .post("/api/v1/projects", &xs, elevator("2025-06-30"))
        .await;
    let id = p["id"].as_i64().unwrap();
    // The clock is 2024-07-03.
    let fresh = jpeg_with_exif(800, 600, "2024:07:01 10:20:30", Some((30.5097, 120.6808)));
    let old = jpeg_with_exif(400, 300, "2024:03:01 09:00:00", None);
    let (status, body) = send_progress(
        &app,
        &xs,
        id,
        progress_form(
            &[
                ("percent", "20"),
                ("text", "完成居民签约"),
                ("invested", "12.34"),
            ],
            &[("现场.jpg", &fresh), ("旧照.jpg", &old)],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let entry = &body["project"]["progress"][0];
    assert_eq!(entry["state"], "submitted");
    assert_eq!(entry["photos"][0]["taken"], "2024-07-01 10:20:30");
    assert_eq!(
        entry["photos"][0]["place"],
        json!(["30.509700", "120.680800"])
    );
    let flags: Vec<&str> = body["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert!(
        flags[0].contains("旧照.jpg") && flags[0].contains("早于本次填报 124 天"),
        "{flags:?}"
    );

    // The photo is served re-encoded, to who may read the project.
    let url = entry["photos"][0]["thumb_url"]
        .as_str()
        .unwrap()
        .to_string();
    let request = Request::get(&url)
        .header("authorization", format!("Bearer {xs}"))
        .body(Body::empty())
        .unwrap();
    let response = router(app.state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    assert!(bytes.starts_with(&[0xFF, 0xD8]) && bytes.len() < fresh.len());
    assert_eq!(
        app.with_token("GET", &url, &hz).await.0,
        StatusCode::FORBIDDEN
    );

    // A photo without EXIF is kept and said; 10 MB and a PDF are refused.
    let plain = {
        let img = image::RgbImage::from_pixel(64, 64, image::Rgb([10, 200, 30]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    };
    let (status, body) = send_progress(
        &app,
        &xs,
        id,
        progress_form(
            &[
                ("percent", "35"),
                ("text", "审批备案"),
                ("invested", "0.66"),
            ],
            &[("截图.png", &plain)],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(
        body["flags"][0].as_str().unwrap().contains("没有拍摄时间"),
        "{body}"
    );
    let mut big = fresh.clone();
    big.resize(10 * 1024 * 1024, 0);
    for (name, bytes, words) in [
        ("大图.jpg", big.as_slice(), "超过 8 MB"),
        (
            "说明.pdf",
            b"%PDF-1.7 not a photo".as_slice(),
            "不是 JPEG 或 PNG",
        ),
    ] {
        let (status, body) = send_progress(
            &app,
            &xs,
            id,
            progress_form(&[("percent", "40"), ("text", "x")], &[(name, bytes)]),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {body}");
        let m = body["error"]["message"].as_str().unwrap();
        assert!(m.contains(name) && m.contains(words), "{m}");
    }
    let (status, body) = send_progress(
        &app,
        &xs,
        id,
        progress_form(&[("percent", "120"), ("text", "x")], &[]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, now) = app
        .with_token("GET", &format!("/api/v1/projects/{id}"), &xs)
        .await;
    assert_eq!(
        now["progress"].as_array().unwrap().len(),
        2,
        "refused entries left nothing"
    );
    assert_eq!(
        send_progress(
            &app,
            &hz,
            id,
            progress_form(&[("percent", "1"), ("text", "x")], &[])
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );

    // Review: the task force only; a return needs its reason; approved
    // investment adds up exactly.
    let e1 = now["progress"][0]["id"].as_i64().unwrap();
    let e2 = now["progress"][1]["id"].as_i64().unwrap();
    let at = |e: i64, what: &str| format!("/api/v1/projects/{id}/progress/{e}/{what}");
    assert_eq!(
        app.post(&at(e1, "approve"), &xs, json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(&at(e1, "return"), &tf, json!({})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(now["completed_to_date"], 0);
    app.post(&at(e1, "approve"), &tf, json!({})).await;
    let (status, body) = app
        .post(&at(e2, "approve"), &tf, json!({"note": "同意"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["completed_to_date"].to_string(),
        "13",
        "12.34 + 0.66: {body}"
    );
    assert_eq!(body["percent"], 35);
    assert_eq!(
        app.post(&at(e2, "approve"), &tf, json!({})).await.0,
        StatusCode::CONFLICT
    );
    let (_, audit) = app
        .with_token("GET", "/api/v1/audit?action=project.progress", &tf)
        .await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 2, "{audit}");
}

/// A milestone passed without its actual date turns the project red; the
/// date met turns it back; the stage moves forward only, and 竣工 only when
/// every milestone is met.
async fn a_missed_milestone_turns_the_project_red(backend: Backend) {
    let app = TestApp::new(&backend, "pj_red").await;
    let xs = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let (_, p) = app
        .post("/api/v1/projects", &xs, json!({"name": "文苑小区加装电梯", "type": "加装电梯", "planned_completion": "2024-11-30", "planned_investment": 60, "stage": "在建"}))
        .await;
    let id = p["id"].as_i64().unwrap();
    let first = p["milestones"][0]["planned"].as_str().unwrap().to_string();
    assert_eq!(first, "2024-08-02", "{p}");
    assert_ne!(p["light"], "red", "{p}");
    // A month later the first milestone has passed.
    app.advance(31 * DAY);
    let xs = app.login("xiashi", "correct horse").await.2["token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, p) = app
        .with_token("GET", &format!("/api/v1/projects/{id}"), &xs)
        .await;
    assert_eq!(p["light"], "red", "{p}");
    assert!(
        p["light_reason"]
            .as_str()
            .unwrap()
            .contains("居民协商签约(计划 2024-08-02)"),
        "{p}"
    );
    let (status, body) = app
        .post(
            &format!("/api/v1/projects/{id}/milestones/1"),
            &xs,
            json!({"actual": "2024-09-30"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a date not yet come: {body}"
    );
    let (status, p) = app
        .post(
            &format!("/api/v1/projects/{id}/milestones/1"),
            &xs,
            json!({"actual": "2024-08-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["milestones"][0]["actual"], "2024-08-01");
    assert_ne!(p["light"], "red", "{p}");
    assert_eq!(
        app.post(
            &format!("/api/v1/projects/{id}/milestones/9"),
            &xs,
            json!({"actual": "2024-08-01"})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = app
        .post(
            &format!("/api/v1/projects/{id}/stage"),
            &xs,
            json!({"stage": "竣工"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("审批备案"),
        "{body}"
    );
    let (status, _) = app
        .post(
            &format!("/api/v1/projects/{id}/stage"),
            &xs,
            json!({"stage": "储备"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "never backwards");
}

/// A completed project's contribution reaches its indicator only through
/// the town's figure, entered, submitted and approved as any other: 竣工
/// changes no figure; the month's form names the project and offers the
/// figure with it.
async fn a_completed_project_adds_to_its_indicator_only_through_review(backend: Backend) {
    let app = TestApp::new(&backend, "pj_done").await;
    let xs = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let tf = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    // May's figure of indicator 8 (加装电梯累计数量): 10.
    app.approved(
        &xs,
        &tf,
        json!({"indicator": 8, "org_unit": "硖石街道", "period": "2024-05", "value": 10}),
    )
    .await;
    let (_, p) = app
        .post("/api/v1/projects", &xs, json!({"name": "文苑小区加装电梯", "type": "加装电梯", "planned_completion": "2024-12-31", "planned_investment": 60, "stage": "在建"}))
        .await;
    let id = p["id"].as_i64().unwrap();
    for (n, day) in [
        (1, "2024-06-03"),
        (2, "2024-06-10"),
        (3, "2024-06-14"),
        (4, "2024-06-28"),
    ] {
        let (status, body) = app
            .post(
                &format!("/api/v1/projects/{id}/milestones/{n}"),
                &xs,
                json!({"actual": day}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = app
        .post(
            &format!("/api/v1/projects/{id}/stage"),
            &xs,
            json!({"stage": "竣工"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["stage"], "completed");
    // No figure was made or changed.
    let (_, values) = app
        .with_token("GET", "/api/v1/values?period=2024-06", &tf)
        .await;
    assert_eq!(values["values"], json!([]), "{values}");
    assert_eq!(xiashi_8(&app, &tf).await, "10");
    // June's form names it and offers 10 + 1.
    let (status, _, html) = app.page("/report?period=2024-06", Some(&xs)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("本月竣工项目 1 个:文苑小区加装电梯(+1台)"),
        "{}",
        &html[..html.len().min(400)]
    );
    assert!(html.contains(r#"data-value="11""#), "the figure with it");
    let (_, _, may) = app.page("/report?period=2024-05", Some(&xs)).await;
    assert!(!may.contains("本月竣工项目"), "May had none");
    // Entered, submitted, approved: now it counts.
    app.approved(
        &xs,
        &tf,
        json!({"indicator": 8, "org_unit": "硖石街道", "period": "2024-06", "value": 11}),
    )
    .await;
    assert_eq!(xiashi_8(&app, &tf).await, "11");
}

/// A project list (储备库) imports all or none: bad rows are named by row
/// and column; a town imports only its own; a workbook exported imports back.
async fn a_project_list_imports_all_or_none(backend: Backend) {
    let app = TestApp::new(&backend, "pj_import").await;
    let xs = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let tf = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    let import = |token: String, name: &'static str, bytes: Vec<u8>| {
        let app = &app;
        async move {
            let (kind, body) = form(name, &bytes, &[]);
            let request = Request::post("/api/v1/projects/import")
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", kind)
                .body(Body::from(body))
                .unwrap();
            let (status, _, body) = app.send(request).await;
            (status, body)
        }
    };
    let csv = "项目名称,项目类型,镇(街道),计划竣工日期,计划总投资(万元),阶段\n\
               文苑小区加装电梯,加装电梯,硖石街道,2025-06-30,85.5,储备\n\
               西山路老旧小区改造,老旧小区改造,海洲街道,2025-02-30,1260,在建\n\
               东山人才公寓,保障性租赁住房,海洲街道,2026-12-31,18500,储备\n";
    let (status, body) = import(tf.clone(), "储备库.csv", csv.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let rows = body["error"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{body}");
    assert_eq!(
        (rows[0]["row"].as_u64(), rows[0]["column"].as_str()),
        (Some(3), Some("planned_completion")),
        "{body}"
    );
    assert_eq!(
        (rows[1]["row"].as_u64(), rows[1]["column"].as_str()),
        (Some(4), Some("contribution")),
        "{body}"
    );
    let (_, list) = app.with_token("GET", "/api/v1/projects", &tf).await;
    assert_eq!(list["projects"], json!([]), "nothing stored");
    let good = csv.replace("2025-02-30", "2025-02-28").replace(
        "项目名称,项目类型,镇(街道),计划竣工日期,计划总投资(万元),阶段",
        "项目名称,项目类型,镇(街道),计划竣工日期,计划总投资(万元),阶段,竣工后计入数量",
    );
    let good: String = good
        .lines()
        .enumerate()
        .map(|(k, l)| {
            if k == 0 {
                format!("{l}\n")
            } else {
                format!("{l},{}\n", if k == 3 { "0.032" } else { "" })
            }
        })
        .collect();
    let (status, body) = import(tf.clone(), "储备库.csv", good.into_bytes()).await;
    assert_eq!(
        (status, body["imported"].as_u64()),
        (StatusCode::CREATED, Some(3)),
        "{body}"
    );
    // A town imports its own rows only.
    let (status, body) = import(xs.clone(), "海洲.csv", "项目名称,项目类型,镇(街道),计划竣工日期,计划总投资\n别人的,加装电梯,海洲街道,2025-06-30,10\n".as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["rows"][0]["column"], "town", "{body}");
    // The exported workbook (a title row above the header) imports back.
    let request = Request::get("/api/v1/exports/projects?town=硖石街道")
        .header("authorization", format!("Bearer {xs}"))
        .body(Body::empty())
        .unwrap();
    let response = router(app.state.clone()).oneshot(request).await.unwrap();
    let xlsx = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    let (status, body) = import(xs.clone(), "项目清单.xlsx", xlsx).await;
    assert_eq!(
        (status, body["imported"].as_u64()),
        (StatusCode::CREATED, Some(1)),
        "{body}"
    );
    let (_, mine) = app.with_token("GET", "/api/v1/projects", &xs).await;
    assert_eq!(mine["projects"].as_array().unwrap().len(), 2);
}

/// The task force changes a type's phases: projects added after are
/// counted back by them, those added before keep their milestones.
async fn the_taskforce_changes_a_type_s_phases_for_new_projects(backend: Backend) {
    let app = TestApp::new(&backend, "pj_tpl").await;
    let xs = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let tf = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    let (_, before) = app
        .post("/api/v1/projects", &xs, elevator("2025-06-30"))
        .await;
    let (status, list) = app
        .with_token("GET", "/api/v1/projects/templates", &xs)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let lift = list["templates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == "加装电梯")
        .unwrap()
        .clone();
    assert_eq!(lift["phases"].as_array().unwrap().len(), 4);
    assert!(lift["changed_by"].is_null(), "the plan's own");
    let url = "/api/v1/projects/templates/加装电梯";
    let request = |token: &str, body: Value| {
        Request::put(url)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let (status, _, _) = app
        .send(request(&xs, json!({"phases": "签约 10\n竣工验收 20"})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = app.send(request(&tf, json!({"phases": "签约 0"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("phases[0]"),
        "{body}"
    );
    let (status, _, body) = app
        .send(request(
            &tf,
            json!({"phases": "居民签约 10\n竣工验收 20天"}),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, after) = app
        .post("/api/v1/projects", &xs, elevator("2025-06-30"))
        .await;
    let dates: Vec<&str> = after["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["planned"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2025-06-10", "2025-06-30"], "{after}");
    let (_, old) = app
        .with_token("GET", &format!("/api/v1/projects/{}", before["id"]), &xs)
        .await;
    assert_eq!(old["milestones"].as_array().unwrap().len(), 4, "kept");
    let (_, audit) = app
        .with_token("GET", "/api/v1/audit?action=project.template", &tf)
        .await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1, "{audit}");
}

crate::on_both_backends!(
    the_taskforce_changes_a_type_s_phases_for_new_projects,
    a_project_list_imports_all_or_none,
    a_completed_project_adds_to_its_indicator_only_through_review,
    a_project_gets_its_milestones_counted_back_from_its_completion,
    progress_photos_are_checked_and_the_taskforce_reviews,
    a_missed_milestone_turns_the_project_red,
);

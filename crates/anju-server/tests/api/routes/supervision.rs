//! `/api/v1/supervision`: 督办事项 from assignment to closure, their colours
//! as the clock moves, extensions, and the words of bad input.

use crate::prelude::*;
use anju_core::access::Role;
use serde_json::json;

const DAY: i64 = 86_400;

/// The item of the task force's meeting for 市发改局 (lead) and 硖石街道,
/// due `due`.
fn meeting(due: &str) -> Value {
    json!({
        "title": "加快推进保障性租赁住房项目前期工作",
        "source": {"kind": "meeting", "date": "2024-07-01", "ref": "安居专班第 3 次例会"},
        "lead": "市发改局",
        "co_units": ["硖石街道"],
        "due": due,
        "urgency": "急办"
    })
}

/// The tokens of the people an item concerns.
struct People {
    taskforce: String,
    leader: String,
    fgj: String,
    xs: String,
    hz: String,
}

async fn people(app: &TestApp) -> People {
    People {
        taskforce: app
            .token("zhuanban", Role::Taskforce, Some("市住建局"))
            .await,
        leader: app.token("lingdao", Role::Leader, None).await,
        fgj: app.token("fagai", Role::Unit, Some("市发改局")).await,
        xs: app.token("xiashi", Role::Town, Some("硖石街道")).await,
        hz: app.token("haizhou", Role::Town, Some("海洲街道")).await,
    }
}

/// Logs everyone in again (moving the clock by days ends sessions).
async fn again(app: &TestApp) -> People {
    let t = |name: &'static str| async move {
        app.login(name, "correct horse").await.2["token"]
            .as_str()
            .unwrap()
            .to_string()
    };
    People {
        taskforce: t("zhuanban").await,
        leader: t("lingdao").await,
        fgj: t("fagai").await,
        xs: t("xiashi").await,
        hz: t("haizhou").await,
    }
}

fn assignment<'a>(item: &'a Value, unit: &str) -> &'a Value {
    item["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["unit"] == unit)
        .unwrap_or_else(|| panic!("no assignment of {unit}: {item}"))
}

/// Every step by the right hands and refused to the others: 签收, 反馈, 退办,
/// a second 反馈, 办结; the log keeps each with who and when, and so does
/// the audit log.
async fn an_item_goes_from_assignment_to_closure_by_the_right_hands(backend: Backend) {
    let app = TestApp::new(&backend, "sv_life").await;
    let p = people(&app).await;
    let url = |id: i64, step: &str| format!("/api/v1/supervision/{id}/{step}");

    // Only the task force records and assigns.
    for who in [&p.leader, &p.fgj, &p.xs] {
        let (status, body) = app
            .post("/api/v1/supervision", who, meeting("2024-07-20"))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    let (status, item) = app
        .post("/api/v1/supervision", &p.taskforce, meeting("2024-07-20"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    let id = item["id"].as_i64().unwrap();
    assert_eq!(item["lead"], "市发改局");
    assert_eq!(item["co_units"], json!(["硖石街道"]));
    assert_eq!(item["urgency"], "急办");
    assert_eq!(item["source"]["kind"], "meeting");
    let units: Vec<&str> = item["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["state"].as_str().unwrap())
        .collect();
    assert_eq!(units, ["assigned", "assigned"], "{item}");

    // A unit it is not assigned to neither reads nor signs it.
    assert_eq!(
        app.with_token("GET", &format!("/api/v1/supervision/{id}"), &p.hz)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (_, list) = app.with_token("GET", "/api/v1/supervision", &p.hz).await;
    assert_eq!(list["items"], json!([]), "{list}");
    for who in [&p.hz, &p.taskforce, &p.leader] {
        let (status, body) = app.post(&url(id, "sign"), who, json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }

    // Feedback comes after signing.
    let done = json!({"progress": "已完成项目建议书编制", "difficulties": "用地指标紧张", "next_steps": "报市政府审定", "percent": 100});
    let (status, body) = app.post(&url(id, "feedback"), &p.fgj, done.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("先签收")
    );
    let (status, signed) = app.post(&url(id, "sign"), &p.fgj, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    let fgj = assignment(&signed, "市发改局");
    assert_eq!(
        (fgj["state"].as_str(), fgj["signed_by"].as_str()),
        (Some("handling"), Some("fagai"))
    );
    assert_eq!(assignment(&signed, "硖石街道")["state"], "assigned");
    assert_eq!(
        app.post(&url(id, "sign"), &p.fgj, json!({})).await.0,
        StatusCode::CONFLICT,
        "signed twice"
    );

    // A progress report (under 100 %) needs no review; 100 % does.
    let (status, body) = app
        .post(
            &url(id, "feedback"),
            &p.fgj,
            json!({"progress": "完成一半", "percent": "50"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(assignment(&body, "市发改局")["state"], "handling");
    assert_eq!(assignment(&body, "市发改局")["percent"], 50);
    let (status, answered) = app.post(&url(id, "feedback"), &p.fgj, done.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(assignment(&answered, "市发改局")["state"], "answered");
    assert_eq!(
        app.post(&url(id, "feedback"), &p.fgj, done.clone()).await.0,
        StatusCode::CONFLICT,
        "waiting for review"
    );

    // Only the task force reviews; a return needs its reason.
    for who in [&p.fgj, &p.leader, &p.xs] {
        let (status, body) = app
            .post(&url(id, "review"), who, json!({"decision": "accept"}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    let (status, body) = app
        .post(
            &url(id, "review"),
            &p.taskforce,
            json!({"decision": "return"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("note")
    );
    let (status, returned) = app
        .post(
            &url(id, "review"),
            &p.taskforce,
            json!({"decision": "return", "note": "请附项目建议书批复文件"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{returned}");
    let fgj = assignment(&returned, "市发改局");
    assert_eq!(
        (
            fgj["state"].as_str(),
            fgj["returns"].as_u64(),
            fgj["light"].as_str()
        ),
        (Some("handling"), Some(1), Some("yellow")),
        "{fgj}"
    );
    assert_eq!(returned["light"], "yellow", "{returned}");

    // A second feedback, then closed; the item is closed with its last unit.
    let (status, _) = app.post(&url(id, "feedback"), &p.fgj, done.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .post(
            &url(id, "review"),
            &p.taskforce,
            json!({"decision": "accept", "note": "同意办结"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(assignment(&body, "市发改局")["state"], "closed");
    assert!(
        body["closed_at"].is_null(),
        "硖石街道 is still open: {body}"
    );
    app.post(&url(id, "sign"), &p.xs, json!({})).await;
    app.post(
        &url(id, "feedback"),
        &p.xs,
        json!({"progress": "已完成", "percent": "100%"}),
    )
    .await;
    let (status, closed) = app
        .post(
            &url(id, "review"),
            &p.taskforce,
            json!({"decision": "accept"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(
        (closed["state"].as_str(), closed["light"].as_str()),
        (Some("closed"), Some("done")),
        "{closed}"
    );
    assert!(closed["closed_at"].is_string());
    assert_eq!(
        app.post(&url(id, "feedback"), &p.xs, done.clone()).await.0,
        StatusCode::CONFLICT,
        "closed"
    );

    // A leader's 批示, not the task force's.
    let (status, _) = app
        .post(&url(id, "instruction"), &p.taskforce, json!({"text": "好"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = app
        .post(
            &url(id, "instruction"),
            &p.leader,
            json!({"text": "办得好,总结经验"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The log, in order, with who; the audit log has each step.
    let steps: Vec<(String, String)> = body["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["step"].as_str().unwrap().to_string(),
                e["actor"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        ("create", "zhuanban"),
        ("sign", "fagai"),
        ("report", "fagai"),
        ("feedback", "fagai"),
        ("return", "zhuanban"),
        ("feedback", "fagai"),
        ("accept", "zhuanban"),
        ("sign", "xiashi"),
        ("feedback", "xiashi"),
        ("accept", "zhuanban"),
        ("instruction", "lingdao"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(steps, want);
    assert_eq!(body["log"][4]["detail"]["note"], "请附项目建议书批复文件");
    let (_, audit) = app
        .with_token(
            "GET",
            "/api/v1/audit?action=supervision.return",
            &p.taskforce,
        )
        .await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1, "{audit}");
    let (_, audit) = app.with_token("GET", "/api/v1/audit", &p.taskforce).await;
    let n = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("supervision."))
        .count();
    assert_eq!(n, want.len(), "{audit}");
}

/// Blue near the due date, yellow behind 序时进度, red when overdue — as
/// the injected clock moves; the list filters by colour and unit, red first.
async fn colours_change_as_the_clock_passes_the_thresholds(backend: Backend) {
    let app = TestApp::new(&backend, "sv_light").await;
    let p = people(&app).await;
    // 2024-07-03, due in 10 days.
    let (_, item) = app
        .post("/api/v1/supervision", &p.taskforce, meeting("2024-07-13"))
        .await;
    let id = item["id"].as_i64().unwrap();
    let light = |body: &Value, unit: &str| {
        assignment(body, unit)["light"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(light(&item, "市发改局"), "green", "{item}");
    app.post(&format!("/api/v1/supervision/{id}/sign"), &p.fgj, json!({}))
        .await;
    app.post(
        &format!("/api/v1/supervision/{id}/feedback"),
        &p.fgj,
        json!({"progress": "已启动", "percent": 30}),
    )
    .await;
    let get = |token: String| {
        let app = &app;
        async move {
            app.with_token("GET", &format!("/api/v1/supervision/{id}"), &token)
                .await
                .1
        }
    };

    // Day 2: 20 % expected, 30 % done.
    app.advance(2 * DAY);
    let p = again(&app).await;
    assert_eq!(light(&get(p.taskforce.clone()).await, "市发改局"), "green");
    // Day 5: 50 % expected, 30 % done: 20 points behind.
    app.advance(3 * DAY);
    let p = again(&app).await;
    let body = get(p.taskforce.clone()).await;
    assert_eq!(light(&body, "市发改局"), "yellow", "{body}");
    assert!(
        assignment(&body, "市发改局")["light_reason"]
            .as_str()
            .unwrap()
            .contains("落后序时进度"),
        "{body}"
    );
    app.post(
        &format!("/api/v1/supervision/{id}/feedback"),
        &p.fgj,
        json!({"progress": "已完成大部分", "percent": 80}),
    )
    .await;
    assert_eq!(light(&get(p.taskforce.clone()).await, "市发改局"), "green");
    // Day 7: 3 days left.
    app.advance(2 * DAY);
    let p = again(&app).await;
    let body = get(p.taskforce.clone()).await;
    assert_eq!(light(&body, "市发改局"), "blue", "{body}");
    assert_eq!(
        assignment(&body, "市发改局")["light_reason"],
        "还剩 3 天到期"
    );
    // Day 11: overdue by one day; both are red, and so is the item.
    app.advance(4 * DAY);
    let p = again(&app).await;
    let body = get(p.taskforce.clone()).await;
    assert_eq!(light(&body, "市发改局"), "red");
    assert_eq!(
        (
            body["light"].as_str(),
            assignment(&body, "硖石街道")["light_reason"].as_str()
        ),
        (Some("red"), Some("已逾期 1 天")),
        "{body}"
    );

    // A second item, due later, is listed after the red one; filters work.
    let (status, later) = app
        .post("/api/v1/supervision", &p.taskforce, meeting("2024-08-30"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{later}");
    let (_, list) = app
        .with_token("GET", "/api/v1/supervision", &p.taskforce)
        .await;
    let ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [id, later["id"].as_i64().unwrap()], "red first");
    assert_eq!(list["today"], "2024-07-14");
    let (_, red) = app
        .with_token("GET", "/api/v1/supervision?light=red", &p.leader)
        .await;
    assert_eq!(red["items"].as_array().unwrap().len(), 1, "{red}");
    let (_, blue) = app
        .with_token(
            "GET",
            "/api/v1/supervision?light=blue&unit=硖石街道",
            &p.taskforce,
        )
        .await;
    assert_eq!(blue["items"], json!([]));
    let (_, mine) = app.with_token("GET", "/api/v1/supervision", &p.xs).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
    let (status, body) = app
        .with_token("GET", "/api/v1/supervision?light=purple", &p.taskforce)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

/// An extension is asked for before the due date, with a reason and a later
/// date, one at a time, and decided by the task force; after the due date it
/// is refused.
async fn an_extension_comes_before_the_due_date_and_the_taskforce_decides(backend: Backend) {
    let app = TestApp::new(&backend, "sv_ext").await;
    let p = people(&app).await;
    let (_, item) = app
        .post("/api/v1/supervision", &p.taskforce, meeting("2024-07-10"))
        .await;
    let id = item["id"].as_i64().unwrap();
    let ask = format!("/api/v1/supervision/{id}/extension");
    let (status, body) = app
        .post(&ask, &p.fgj, json!({"due": "2024-07-31", "reason": " "}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app
        .post(
            &ask,
            &p.fgj,
            json!({"due": "2024-07-09", "reason": "用地未落实"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("晚于"));
    assert_eq!(
        app.post(
            &ask,
            &p.taskforce,
            json!({"due": "2024-07-31", "reason": "x"})
        )
        .await
        .0,
        StatusCode::FORBIDDEN,
        "the task force does not ask for itself"
    );
    let (status, body) = app
        .post(
            &ask,
            &p.fgj,
            json!({"due": "2024-07-31", "reason": "用地指标待省厅下达", "progress": "建议书已编制"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ext = body["extensions"][0]["id"].as_i64().unwrap();
    assert_eq!(body["extensions"][0]["state"], "pending");
    assert_eq!(
        app.post(&ask, &p.fgj, json!({"due": "2024-08-31", "reason": "再延"}))
            .await
            .0,
        StatusCode::CONFLICT,
        "one request at a time"
    );
    let decide = |what: &str| format!("/api/v1/supervision/{id}/extensions/{ext}/{what}");
    assert_eq!(
        app.post(&decide("approve"), &p.fgj, json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = app.post(&decide("reject"), &p.taskforce, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app
        .post(&decide("approve"), &p.taskforce, json!({"note": "同意"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(assignment(&body, "市发改局")["due"], "2024-07-31");
    assert_eq!(
        assignment(&body, "硖石街道")["due"],
        "2024-07-10",
        "its own"
    );
    assert_eq!(
        app.post(&decide("approve"), &p.taskforce, json!({}))
            .await
            .0,
        StatusCode::CONFLICT,
        "decided once"
    );

    // 硖石街道 lets its date pass: red, and too late to ask.
    app.advance(8 * DAY);
    let p = again(&app).await;
    let (status, body) = app
        .post(
            &ask,
            &p.xs,
            json!({"due": "2024-07-31", "reason": "来不及"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("已过"),
        "{body}"
    );
    let (_, body) = app
        .with_token("GET", &format!("/api/v1/supervision/{id}"), &p.taskforce)
        .await;
    assert_eq!(assignment(&body, "硖石街道")["light"], "red");
    assert_ne!(assignment(&body, "市发改局")["light"], "red", "{body}");
}

/// Bad input names its field, in words; nothing is recorded.
async fn a_bad_item_is_refused_naming_its_field(backend: Backend) {
    let app = TestApp::new(&backend, "sv_bad").await;
    let p = people(&app).await;
    let cases = [
        ("title", json!("")),
        ("due", json!("2024-07-02")),
        ("due", json!("2024-02-30")),
        ("due", json!("下周五")),
        ("lead", json!("火星局")),
        ("lead", json!("海宁市")),
        ("urgency", json!("很急")),
    ];
    for (field, bad) in cases {
        let mut body = meeting("2024-07-20");
        body[field] = bad.clone();
        let (status, answer) = app.post("/api/v1/supervision", &p.taskforce, body).await;
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
    let mut body = meeting("2024-07-20");
    body["source"] = json!({"kind": "meeting", "ref": "例会"});
    let (status, answer) = app.post("/api/v1/supervision", &p.taskforce, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("source.date")
    );
    let mut body = meeting("2024-07-20");
    body["co_units"] = json!("硖石街道、市发改局,海洲街道");
    let (status, made) = app.post("/api/v1/supervision", &p.taskforce, body).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(
        made["co_units"],
        json!(["硖石街道", "海洲街道"]),
        "the lead once"
    );
    let (_, list) = app
        .with_token("GET", "/api/v1/supervision", &p.taskforce)
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (status, _) = app
        .with_token("GET", "/api/v1/supervision/999", &p.taskforce)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// A meeting's minutes are kept with its item: by the task force, read by
/// the units it is assigned to, refused to others; a file of another kind
/// is refused in words.
async fn a_meeting_keeps_its_minutes(backend: Backend) {
    let app = TestApp::new(&backend, "sv_minutes").await;
    let p = people(&app).await;
    let (_, item) = app
        .post("/api/v1/supervision", &p.taskforce, meeting("2024-07-20"))
        .await;
    let id = item["id"].as_i64().unwrap();
    let send = |token: String, name: &'static str, bytes: Vec<u8>| {
        let app = &app;
        async move {
            let (kind, body) = form(name, &bytes, &[]);
            let request = Request::post(format!("/api/v1/supervision/{id}/files"))
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", kind)
                .body(Body::from(body))
                .unwrap();
            let (status, _, body) = app.send(request).await;
            (status, body)
        }
    };
    let minutes = b"%PDF-1.7 minutes of the 3rd meeting".to_vec();
    assert_eq!(
        send(p.leader.clone(), "纪要.pdf", minutes.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = send(p.taskforce.clone(), "纪要.exe", b"MZ".to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("纪要.exe"),
        "{body}"
    );
    let (status, body) = send(p.taskforce.clone(), "第3次例会纪要.pdf", minutes.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["files"][0]["name"], "第3次例会纪要.pdf");
    assert_eq!(
        body["log"].as_array().unwrap().last().unwrap()["step"],
        "minutes"
    );
    let url = body["files"][0]["url"].as_str().unwrap().to_string();
    let request = Request::get(&url)
        .header("authorization", format!("Bearer {}", p.xs))
        .body(Body::empty())
        .unwrap();
    let response = router(app.state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(bytes.as_ref(), minutes.as_slice());
    assert_eq!(
        app.with_token("GET", &url, &p.hz).await.0,
        StatusCode::FORBIDDEN
    );
}

crate::on_both_backends!(
    a_meeting_keeps_its_minutes,
    an_item_goes_from_assignment_to_closure_by_the_right_hands,
    colours_change_as_the_clock_passes_the_thresholds,
    an_extension_comes_before_the_due_date_and_the_taskforce_decides,
    a_bad_item_is_refused_naming_its_field,
);

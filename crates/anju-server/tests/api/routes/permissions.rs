//! Every route against every role: the end-to-end proof of the permission table.

use crate::prelude::*;

/// Every role × every endpoint × its own unit and another: each cell an
/// assertion on the status.
/// Every role × every endpoint × its own and another's figure. Each cell is
/// an assertion: `Y` done (2xx; for a read, the figure is in the answer),
/// `e` answered but the figure is not in it (a read outside the scope), `-`
/// refused (403). The expected table is the rule of DESIGN.md (分级分类) as
/// `anju_core::access` states it; docs/STORAGE.md has it in words.
async fn the_permission_matrix(backend: Backend) {
    use anju_core::access::Role;
    use anju_core::period::Period;
    use anju_core::workflow::{Date, Step};
    use anju_store::{NewValue, Now};
    use serde_json::json;
    let app = TestApp::new(&backend, "matrix").await;
    app.add_user("victim", Role::Leader, None, "victim password")
        .await;
    type Cell<'a> = (u16, &'a str);
    // (user, role, unit, its own figure, another's figure)
    let users: [(&str, Role, Option<&str>, Cell, Cell); 6] = [
        ("admin", Role::Admin, None, (8, "硖石街道"), (8, "海洲街道")),
        (
            "taskforce",
            Role::Taskforce,
            Some("市住建局"),
            (8, "硖石街道"),
            (2, "海洲街道"),
        ),
        (
            "leader",
            Role::Leader,
            None,
            (8, "硖石街道"),
            (8, "海洲街道"),
        ),
        // The housing fund leads indicator 15; indicator 2 is not its.
        (
            "fund",
            Role::LeadUnit,
            Some("海宁公积金分中心"),
            (15, "海宁市"),
            (2, "海宁市"),
        ),
        // The NDRC co-runs the tasks of indicators 1–5 and 7, not 8: it reads
        // their figures but reports none (the towns report 2; the city's
        // figure is their sum, 填报责任).
        (
            "ndrc",
            Role::Unit,
            Some("市发改局"),
            (2, "海宁市"),
            (8, "海宁市"),
        ),
        (
            "xiashi",
            Role::Town,
            Some("硖石街道"),
            (8, "硖石街道"),
            (8, "海洲街道"),
        ),
    ];
    const COLUMNS: [&str; 26] = [
        "enter own",
        "enter other",
        "submit own",
        "submit other",
        "approve own",
        "approve other",
        "return own",
        "return other",
        "correct own",
        "correct other",
        "list own",
        "list other",
        "evaluation own",
        "evaluation other",
        "adjust own",
        "adjust other",
        "adjustments list",
        "decompositions list",
        "approve self-entered",
        "users list",
        "users add",
        "users change",
        "audit",
        "me",
        "own password",
        "logout",
    ];
    // The city's rows of the evaluation are read by every user (results
    // display); the rest of a row follows the read scope.
    let expected = [
        ("admin", "----------eeee-----YYYYYYY"),
        ("taskforce", "YYYYYYYYYYYYYYYYYY----YYYY"),
        ("leader", "----------YYYY--YY-----YYY"),
        ("fund", "Y-Y-Y-Y-Y-YeYYY-YY-----YYY"),
        ("ndrc", "----------YeYY---------YYY"),
        ("xiashi", "Y-Y-----Y-YeYe---------YYY"),
    ];
    let now = Now {
        date: Date {
            year: 2024,
            month: 7,
            day: 1,
        },
        stamp: "2024-07-01T09:00:00+08:00".into(),
    };
    let seed = |(indicator, org): Cell, year: i32, month: usize| NewValue {
        indicator,
        org_unit: org.into(),
        period: Period::parse(&format!("{year}-{:02}", month + 1)).unwrap(),
        amount: anju_core::input::Amount::Value(rust_decimal::Decimal::ONE),
    };
    // A figure of `cell` brought to `upto` by other users; its id.
    let prepared = |cell: Cell, year: i32, k: usize, upto: &'static [Step]| {
        let store = app.state.store.clone();
        let now = now.clone();
        let v = seed(cell, year, k);
        async move {
            let id = store.put_drafts(&[v], "seed", &now).await.unwrap()[0].id;
            for step in upto {
                let by = if *step == Step::Submit {
                    "seed"
                } else {
                    "reviewer"
                };
                store
                    .step(&[id], *step, by, &now, None, anju_store::Deadline::Day(5))
                    .await
                    .unwrap();
            }
            id
        }
    };
    let code = |status: StatusCode| match status {
        s if s.is_success() => 'Y',
        StatusCode::FORBIDDEN => '-',
        s => panic!("unexpected status {s}"),
    };
    for (k, ((name, role, org, own, other), (_, want))) in users.iter().zip(expected).enumerate() {
        let password = format!("{name} password");
        app.add_user(name, *role, *org, &password).await;
        let token = app.login(name, &password).await.2["token"]
            .as_str()
            .unwrap()
            .to_string();
        let mut got = String::new();
        for (ix, cell) in [*own, *other].into_iter().enumerate() {
            let v = json!({"values": [{"indicator": cell.0, "org_unit": cell.1, "period": format!("2023-{:02}", 2 * k + ix + 1), "value": 1}]});
            got.push(code(app.post("/api/v1/values", &token, v).await.0));
        }
        for (uri, year, upto) in [
            ("/api/v1/values/submit", 2024, &[][..]),
            ("/api/v1/values/approve", 2025, &[Step::Submit][..]),
            ("/api/v1/values/return", 2026, &[Step::Submit][..]),
        ] {
            for cell in [*own, *other] {
                let id = prepared(cell, year, k, upto).await;
                let body = json!({"ids": [id], "reason": "数据有误"});
                got.push(code(app.post(uri, &token, body).await.0));
            }
        }
        for (ix, cell) in [*own, *other].into_iter().enumerate() {
            let id = prepared(cell, 2022, 2 * k + ix, &[Step::Submit, Step::Approve]).await;
            let uri = format!("/api/v1/values/{id}/correct");
            let body = json!({"value": 2, "reason": "更正"});
            got.push(code(app.post(&uri, &token, body).await.0));
        }
        for cell in [*own, *other] {
            let uri = format!("/api/v1/values?indicator={}&org_unit={}", cell.0, cell.1);
            let (status, body) = app.with_token("GET", &uri, &token).await;
            assert_eq!(status, StatusCode::OK, "{name} {uri}");
            got.push(if body["values"].as_array().unwrap().is_empty() {
                'e'
            } else {
                'Y'
            });
        }
        for cell in [*own, *other] {
            let uri = format!("/api/v1/evaluation?as_of=2024-12&org_unit={}", cell.1);
            let (status, body) = app.with_token("GET", &uri, &token).await;
            assert_eq!(status, StatusCode::OK, "{name} {uri}");
            let seen = body["rows"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["indicator"] == cell.0 && r["org_unit"] == cell.1);
            got.push(if seen { 'Y' } else { 'e' });
        }
        // Target adjustments of the city's target for the indicator of each figure.
        for cell in [*own, *other] {
            let body = json!({"indicator": cell.0, "org_unit": "海宁市", "year": 2025, "target": "1", "effective": "2025-07", "reason": "政策评估后调整"});
            got.push(code(
                app.post("/api/v1/targets/adjustments", &token, body)
                    .await
                    .0,
            ));
        }
        for uri in [
            "/api/v1/targets/adjustments",
            "/api/v1/targets/decompositions",
        ] {
            got.push(code(app.with_token("GET", uri, &token).await.0));
        }
        // A figure the user entered and submitted: never theirs to approve.
        let mine = seed(*own, 2025, 6 + k);
        let store = app.state.store.clone();
        let id = store.put_drafts(&[mine], name, &now).await.unwrap()[0].id;
        store
            .step(
                &[id],
                Step::Submit,
                name,
                &now,
                None,
                anju_store::Deadline::Day(5),
            )
            .await
            .unwrap();
        got.push(code(
            app.post("/api/v1/values/approve", &token, json!({"ids": [id]}))
                .await
                .0,
        ));
        got.push(code(app.with_token("GET", "/api/v1/users", &token).await.0));
        let new = json!({"username": format!("new-{name}"), "role": "leader", "password": "A-new-pass-1"});
        got.push(code(app.post("/api/v1/users", &token, new).await.0));
        got.push(code(
            app.patch("/api/v1/users/victim", &token, json!({"disabled": false}))
                .await
                .0,
        ));
        got.push(code(app.with_token("GET", "/api/v1/audit", &token).await.0));
        got.push(code(app.with_token("GET", "/api/v1/me", &token).await.0));
        let change = json!({"old_password": password, "new_password": format!("Changed-pass-{k}")});
        got.push(code(
            app.post("/api/v1/me/password", &token, change).await.0,
        ));
        got.push(code(
            app.with_token("POST", "/api/v1/logout", &token).await.0,
        ));
        assert_eq!(
            app.with_token("GET", "/api/v1/me", &token).await.0,
            StatusCode::UNAUTHORIZED,
            "{name}: logged out"
        );
        let diff: Vec<String> = COLUMNS
            .iter()
            .zip(got.chars().zip(want.chars()))
            .filter(|(_, (g, w))| g != w)
            .map(|(c, (g, w))| format!("{c}: got {g}, want {w}"))
            .collect();
        assert!(
            diff.is_empty() && got.len() == want.len(),
            "{name}: {diff:?} ({got} vs {want})"
        );
    }
    // Without a login: only the public routes.
    assert_eq!(app.get("/api/v1/plan").await.0, StatusCode::OK);
    assert_eq!(app.get("/api/v1/health").await.0, StatusCode::OK);
    for (method, uri) in [
        ("POST", "/api/v1/values"),
        ("POST", "/api/v1/values/submit"),
        ("POST", "/api/v1/values/approve"),
        ("POST", "/api/v1/values/return"),
        ("POST", "/api/v1/values/1/correct"),
        ("GET", "/api/v1/values"),
        ("GET", "/api/v1/evaluation?as_of=2024-06"),
        ("GET", "/api/v1/users"),
        ("POST", "/api/v1/users"),
        ("PATCH", "/api/v1/users/victim"),
        ("GET", "/api/v1/audit"),
        ("POST", "/api/v1/publications"),
        ("POST", "/api/v1/imports"),
        ("POST", "/api/v1/targets/decompositions"),
        ("GET", "/api/v1/targets/decompositions"),
        ("GET", "/api/v1/targets/adjustments"),
        ("POST", "/api/v1/targets/adjustments"),
        ("POST", "/api/v1/targets/adjustments/1/approve"),
        ("POST", "/api/v1/targets/adjustments/1/reject"),
        ("GET", "/api/v1/me"),
        ("POST", "/api/v1/me/password"),
        ("POST", "/api/v1/logout"),
    ] {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        assert_eq!(
            app.send(request).await.0,
            StatusCode::UNAUTHORIZED,
            "{method} {uri}"
        );
    }
}

crate::on_both_backends!(the_permission_matrix,);

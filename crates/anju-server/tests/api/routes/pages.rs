//! The web pages through the real router: who may see which page, what the
//! public pages show (published figures only, no login names), the login
//! form, and that every page keeps to its own host.

use anju_core::access::Role;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use crate::TestApp;
use crate::common::Backend;

impl TestApp {
    /// A page as `token`'s user sees it (the session cookie), or anonymously.
    pub(crate) async fn page(
        &self,
        uri: &str,
        token: Option<&str>,
    ) -> (StatusCode, HeaderMap, String) {
        let mut request = Request::get(uri);
        if let Some(t) = token {
            request = request.header("cookie", format!("anju_session={t}"));
        }
        let response = anju_server::router(self.state.clone())
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
    }

    /// A figure entered by `town`, submitted and approved by `taskforce`.
    pub(crate) async fn approved(
        &self,
        town: &str,
        taskforce: &str,
        value: serde_json::Value,
    ) -> i64 {
        let (status, body) = self
            .post("/api/v1/values", town, json!({ "values": [value] }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = body["values"][0]["id"].as_i64().unwrap();
        assert_eq!(
            self.post("/api/v1/values/submit", town, json!({"ids": [id]}))
                .await
                .0,
            StatusCode::OK
        );
        assert_eq!(
            self.post("/api/v1/values/approve", taskforce, json!({"ids": [id]}))
                .await
                .0,
            StatusCode::OK
        );
        id
    }
}

/// The text of the public page's row of an indicator.
fn row_of(html: &str, code: u16) -> String {
    let start = html
        .find(&format!("<tr id=\"i{code}\">"))
        .expect("the indicator's row");
    let end = html[start..].find("</tr>").unwrap() + start;
    html[start..end].to_string()
}

async fn the_public_page_shows_published_figures_only_and_no_login_names(backend: Backend) {
    let app = TestApp::new(&backend, "web_public").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let taskforce = app.token("zhuanban", Role::Taskforce, None).await;
    app.approved(&town, &taskforce, json!({"indicator": 1, "org_unit": "硖石街道", "period": "2024-06", "numerator": 2400, "denominator": 10000})).await;

    // Approved, not published: the public sees the plan, not the figure.
    let (status, headers, html) = app.page("/", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(html.contains("尚未发布"), "nothing is published yet");
    assert!(
        html.contains("<td class=\"num actual\" data-label=\"最新实绩\">—<span"),
        "an unpublished figure is not public"
    );
    assert!(!html.contains("data-label=\"最新实绩\">24<span"));
    assert!(
        html.contains("19.9") && html.contains("城镇住房保障受益覆盖率"),
        "the plan's baseline and indicators"
    );
    assert!(
        html.contains("扩大保障性租赁住房供给"),
        "the tasks with their lead units"
    );

    assert_eq!(
        app.post(
            "/api/v1/publications",
            &taskforce,
            json!({"as_of": "2024-06", "force": true, "reason": "提前晾晒"})
        )
        .await
        .0,
        StatusCode::CREATED
    );
    // A figure approved after publishing stays out of the public page.
    app.approved(&town, &taskforce, json!({"indicator": 6, "org_unit": "硖石街道", "period": "2024-06", "numerator": 47, "denominator": 50})).await;

    let (_, _, html) = app.page("/", None).await;
    let row = row_of(&html, 1);
    assert!(
        row.contains("data-label=\"最新实绩\">24<span") && row.contains("已达标"),
        "{row}"
    );
    assert!(
        !row_of(&html, 6).contains("94"),
        "approved after publishing: not public"
    );
    assert!(html.contains("<strong>2024-06</strong> 月晾晒"));
    let (status, _, airing) = app.page("/airing/2024-06", None).await;
    assert_eq!(status, StatusCode::OK);
    // Without a decomposition a town has targets for the six ratios only
    // (inherited): the five it reports count as missing; 14 (市住建局's,
    // yearly) and the other nine do not count.
    let haizhou = &airing[airing.find("<th scope=\"row\">海洲街道</th>").unwrap()..];
    let haizhou = &haizhou[..haizhou.find("</tr>").unwrap()];
    assert!(
        haizhou
            .ends_with("<td class=\"num\">5</td><td class=\"num\">10</td><td class=\"num\"></td>"),
        "{haizhou}"
    );
    assert!(airing.contains("第 1 版") && airing.contains("硖石街道"));
    for page in [&html, &airing] {
        for name in ["xiashi", "zhuanban"] {
            assert!(!page.contains(name), "a public page names {name}");
        }
    }
    assert_eq!(
        app.page("/airing/2024-05", None).await.0,
        StatusCode::NOT_FOUND
    );
}

async fn pages_need_a_login_and_the_right_role(backend: Backend) {
    let app = TestApp::new(&backend, "web_roles").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let admin = app.token("admin", Role::Admin, None).await;
    let leader = app.token("lingdao", Role::Leader, None).await;
    let taskforce = app.token("zhuanban", Role::Taskforce, None).await;

    let (status, headers, _) = app.page("/cockpit?as_of=2024-06", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers["location"],
        "/login?next=%2Fcockpit%3Fas_of%3D2024-06"
    );
    // An expired session is no login.
    assert_eq!(
        app.page("/report", Some("not-a-token")).await.0,
        StatusCode::SEE_OTHER
    );

    for (token, path, want) in [
        (&town, "/report", StatusCode::OK),
        (&town, "/account", StatusCode::OK),
        (&town, "/cockpit", StatusCode::OK),
        (&town, "/review", StatusCode::FORBIDDEN),
        (&town, "/targets", StatusCode::FORBIDDEN),
        (&town, "/users", StatusCode::FORBIDDEN),
        (&leader, "/cockpit", StatusCode::OK),
        (&leader, "/indicator/8?as_of=2024-06", StatusCode::OK),
        (&leader, "/targets", StatusCode::OK),
        (&leader, "/report", StatusCode::FORBIDDEN),
        (&leader, "/review", StatusCode::FORBIDDEN),
        (&admin, "/users", StatusCode::OK),
        (&admin, "/cockpit", StatusCode::FORBIDDEN),
        (&taskforce, "/review", StatusCode::OK),
        (&taskforce, "/report?org=海洲街道", StatusCode::OK),
        (&taskforce, "/targets", StatusCode::OK),
        (&taskforce, "/users", StatusCode::FORBIDDEN),
    ] {
        let (status, _, html) = app.page(path, Some(token)).await;
        assert_eq!(status, want, "{path}: {html}");
        assert!(
            html.contains("<html lang=\"zh-CN\">"),
            "{path} is a page, even when refused"
        );
    }
    // A lead unit reads the adjustments of the indicators it leads and may
    // propose those only; it decides none (docs/RULES.md).
    let fund = app
        .token("fund", Role::LeadUnit, Some("海宁公积金分中心"))
        .await;
    let (status, _, html) = app.page("/targets", Some(&fund)).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"propose-form\""), "{html}");
    assert!(html.contains("<option value=\"15\">"), "its indicator");
    assert!(!html.contains("<option value=\"2\">"), "not another's");
    assert!(!html.contains("id=\"decompose-form\""), "no decompositions");
    // The navigation is the table's: the town has no 目标 or 审核 link.
    let (_, _, html) = app.page("/report", Some(&town)).await;
    assert!(html.contains("href=\"/report\"") && !html.contains("href=\"/targets\""));
    assert!(!html.contains("href=\"/review\""));
    // The cockpit one level down: a town's column alone, the trail back up;
    // a unit outside the plan is named.
    let (status, _, html) = app
        .page("/cockpit?as_of=2024-06&org=硖石街道", Some(&leader))
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("id=\"crumbs\"") && html.contains("海宁市</a> › <strong>硖石街道</strong>"),
        "{html}"
    );
    assert!(
        !html.contains("<th scope=\"col\">海洲街道</th>"),
        "only the town asked for"
    );
    let (status, _, html) = app
        .page("/cockpit?as_of=2024-06&org=嘉兴市", Some(&leader))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("嘉兴市"), "{html}");
    // A town sees its own town's form, not another's.
    let (_, _, html) = app.page("/report?org=海洲街道", Some(&town)).await;
    assert!(
        html.contains("硖石街道 · 2024-06 数据填报"),
        "a town reports for itself"
    );
    // A town's cockpit has the city and its own column only.
    let (_, _, html) = app.page("/cockpit?as_of=2024-06", Some(&town)).await;
    assert!(html.contains(">硖石街道</th>") && !html.contains(">海洲街道</th>"));
    // A town may not open another town's indicator page.
    let (status, _, _) = app.page("/indicator/1?org=海洲街道", Some(&town)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.page("/indicator/99", Some(&leader)).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, headers, html) = app.page("/no-such-page", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
            && html.contains("没有这个页面")
    );
    assert_eq!(
        app.page("/cockpit?as_of=1999-01", Some(&leader)).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

async fn the_reporting_form_shows_exactly_the_units_indicators_and_last_figures(backend: Backend) {
    let app = TestApp::new(&backend, "web_report").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let taskforce = app.token("zhuanban", Role::Taskforce, None).await;
    app.approved(
        &town,
        &taskforce,
        json!({"indicator": 8, "org_unit": "硖石街道", "period": "2024-05", "value": 6}),
    )
    .await;
    let (status, body) = app.post("/api/v1/values", &town, json!({"values": [{"indicator": 8, "org_unit": "硖石街道", "period": "2024-06", "value": 7}]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, html) = app.page("/report", Some(&town)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        html.matches("<fieldset class=\"field").count(),
        13,
        "a town reports the 13 indicators the towns report (14 and 15 are departments')"
    );
    // A ratio has numerator and denominator fields; a count one field.
    assert!(
        html.contains("id=\"n1\"") && html.contains("id=\"d1\"") && !html.contains("id=\"v1\"")
    );
    assert!(html.contains("id=\"v8\""));
    // Indicator 8: the draft is filled in, last month's approved figure beside it.
    let f8 = &html[html.find("id=\"f8\"").unwrap()..];
    let f8 = &f8[..f8.find("</fieldset>").unwrap()];
    assert!(
        f8.contains("data-last=\"6\"") && f8.contains("上期(2024-05)已审核:6"),
        "{f8}"
    );
    assert!(f8.contains("value=\"7\"") && f8.contains("草稿"), "{f8}");
    assert!(html.contains("/api/v1/templates?period=2024-06"));
    // An approved figure is locked, with a way to correct it.
    let (_, body) = app
        .with_token("GET", "/api/v1/values?indicator=8&period=2024-06", &town)
        .await;
    let id = body["values"][0]["id"].as_i64().unwrap();
    app.post("/api/v1/values/submit", &town, json!({"ids": [id]}))
        .await;
    app.post("/api/v1/values/approve", &taskforce, json!({"ids": [id]}))
        .await;
    let (_, _, html) = app.page("/report", Some(&town)).await;
    let f8 = &html[html.find("id=\"f8\"").unwrap()..];
    let f8 = &f8[..f8.find("</fieldset>").unwrap()];
    assert!(
        f8.contains("已审核")
            && f8.contains("readonly")
            && f8.contains(&format!("<details class=\"correct\" data-id=\"{id}\">")),
        "{f8}"
    );
}

async fn the_review_queue_shows_the_change_against_last_period(backend: Backend) {
    let app = TestApp::new(&backend, "web_review").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let taskforce = app.token("zhuanban", Role::Taskforce, None).await;
    app.approved(
        &town,
        &taskforce,
        json!({"indicator": 8, "org_unit": "硖石街道", "period": "2024-05", "value": 8}),
    )
    .await;
    let (_, body) = app.post("/api/v1/values", &town, json!({"values": [{"indicator": 8, "org_unit": "硖石街道", "period": "2024-06", "value": 10}]})).await;
    let id = body["values"][0]["id"].as_i64().unwrap();
    app.post("/api/v1/values/submit", &town, json!({"ids": [id]}))
        .await;
    let (status, _, html) = app.page("/review", Some(&taskforce)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("value=\"{id}\"")),
        "the submitted figure is in the queue"
    );
    assert!(
        html.contains("2024-05:8") && html.contains("+2(+25.0%)"),
        "{html}"
    );
    // A correction is compared with the figure it replaces.
    app.post("/api/v1/values/approve", &taskforce, json!({"ids": [id]}))
        .await;
    let (status, body) = app
        .post(
            &format!("/api/v1/values/{id}/correct"),
            &town,
            json!({"value": 12, "reason": "漏报两台"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, _, html) = app.page("/review", Some(&taskforce)).await;
    assert!(
        html.contains("2024-06:10") && html.contains("+2(+20.0%)") && html.contains("漏报两台"),
        "{html}"
    );
}

async fn the_cockpit_and_indicator_page_show_an_approved_figure(backend: Backend) {
    let app = TestApp::new(&backend, "web_cockpit").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let taskforce = app.token("zhuanban", Role::Taskforce, None).await;
    app.approved(&town, &taskforce, json!({"indicator": 1, "org_unit": "硖石街道", "period": "2024-06", "numerator": 2400, "denominator": 10000})).await;
    let (status, headers, html) = app.page("/cockpit?as_of=2024-06", Some(&taskforce)).await;
    assert_eq!(status, StatusCode::OK);
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    assert!(
        html.contains("<span class=\"st\">已达标</span> <span class=\"v\">24</span>"),
        "the light carries its label"
    );
    assert!(
        html.contains("id=\"publish-form\""),
        "the task force may publish"
    );
    let (status, _, html) = app
        .page("/indicator/1?as_of=2024-06&org=硖石街道", Some(&taskforce))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<svg class=\"chart\""),
        "a chart of the trajectory"
    );
    assert!(html.contains("6月 实绩 24"));
    assert!(
        html.contains("计划期内各年目标与实绩") && html.contains("2024 年实绩 24(2024-06)"),
        "the plan's years at a glance"
    );
    assert!(
        html.contains("xiashi · ") && html.contains("zhuanban · "),
        "who reported and who approved"
    );
}

async fn every_page_keeps_to_its_own_host(backend: Backend) {
    let app = TestApp::new(&backend, "web_hosts").await;
    let taskforce = app.token("zhuanban", Role::Taskforce, None).await;
    let admin = app.token("admin", Role::Admin, None).await;
    for (path, token) in [
        ("/", None),
        ("/login", None),
        ("/cockpit", Some(&taskforce)),
        ("/indicator/8", Some(&taskforce)),
        ("/report", Some(&taskforce)),
        ("/review", Some(&taskforce)),
        ("/targets", Some(&taskforce)),
        ("/users", Some(&admin)),
    ] {
        let (status, headers, html) = app.page(path, token.map(String::as_str)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .starts_with("default-src 'self'"),
            "{path}"
        );
        let outside = html
            .replace("http://www.w3.org/2000/svg", "")
            .matches("//")
            .filter(|_| true)
            .count();
        assert_eq!(outside, 0, "{path} names another host: {html}");
    }
    for asset in ["/assets/app.css", "/assets/app.js"] {
        let (status, _, body) = app.page(asset, None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{asset} names another host"
        );
    }
}

async fn the_login_form_opens_a_session_and_refuses_other_sites(backend: Backend) {
    let app = TestApp::new(&backend, "web_login").await;
    app.add_user("xiashi", Role::Town, Some("硖石街道"), "correct horse")
        .await;
    let form = |body: &str, origin: Option<&str>| {
        let mut r = Request::post("/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("host", "anju.example");
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        r.body(Body::from(body.to_string())).unwrap()
    };
    let send = |request: Request<Body>| async {
        let response = anju_server::router(app.state.clone())
            .oneshot(request)
            .await
            .unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
    };
    let (status, headers, _) = send(form(
        "username=xiashi&password=correct+horse&next=%2Freview",
        Some("http://anju.example"),
    ))
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "/review");
    let cookie = headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && !cookie.contains("Secure"),
        "{cookie}"
    );
    // Behind a proxy that speaks HTTPS to the browser, the cookie is Secure.
    let mut request = form("username=xiashi&password=correct+horse", None);
    request
        .headers_mut()
        .insert("x-forwarded-proto", "https".parse().unwrap());
    let (_, headers, _) = send(request).await;
    assert!(
        headers["set-cookie"]
            .to_str()
            .unwrap()
            .ends_with("; Secure")
    );
    // Only a path of this site may follow a login: a browser drops a tab or
    // newline, so "/\t/evil.example" would be "//evil.example".
    for next in [
        "%2F%2Fevil.example",
        "%2F%09%2Fevil.example",
        "%2F%0A%2Fevil.example",
        "%2F%5Cevil.example",
        "https%3A%2F%2Fevil.example",
    ] {
        let (_, headers, _) = send(form(
            &format!("username=xiashi&password=correct+horse&next={next}"),
            None,
        ))
        .await;
        assert_eq!(
            headers["location"], "/report",
            "next={next}: a town starts at its form"
        );
    }
    let (status, _, html) = send(form("username=xiashi&password=wrong", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("用户名或密码错误") && html.contains("value=\"xiashi\""));
    let (status, _, _) = send(form(
        "username=xiashi&password=correct+horse",
        Some("https://evil.example"),
    ))
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a form posted from another site"
    );
}

async fn a_change_sent_with_the_cookie_must_come_from_this_site(backend: Backend) {
    let app = TestApp::new(&backend, "web_csrf").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    // Each request a different figure: a draft saved unchanged makes no
    // new version, and every one stored must show as one.
    let sent = std::sync::atomic::AtomicU32::new(0);
    let send = |site: Option<&str>, origin: Option<&str>, bearer: bool| {
        let value = 7 + sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let body = json!({"values": [{"indicator": 8, "org_unit": "硖石街道", "period": "2024-06", "value": value}]}).to_string();
        let mut r = Request::post("/api/v1/values")
            .header("content-type", "application/json")
            .header("host", "anju.example");
        r = if bearer {
            r.header("authorization", format!("Bearer {town}"))
        } else {
            r.header("cookie", format!("anju_session={town}"))
        };
        if let Some(s) = site {
            r = r.header("sec-fetch-site", s);
        }
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        let request = r.body(Body::from(body)).unwrap();
        let state = app.state.clone();
        async move {
            anju_server::router(state)
                .oneshot(request)
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        send(Some("cross-site"), None, false).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(Some("same-site"), None, false).await,
        StatusCode::FORBIDDEN,
        "a sibling host of the site"
    );
    assert_eq!(
        send(None, Some("https://evil.example"), false).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(Some("same-origin"), Some("https://proxy.example"), false).await,
        StatusCode::OK,
        "behind a proxy that rewrites Host"
    );
    assert_eq!(
        send(None, Some("http://anju.example"), false).await,
        StatusCode::OK
    );
    assert_eq!(
        send(Some("cross-site"), None, true).await,
        StatusCode::OK,
        "a Bearer token is not a browser's"
    );
    // Nothing of the refused requests was stored: one figure, at version 2.
    let (_, list) = app
        .with_token("GET", "/api/v1/values?indicator=8", &town)
        .await;
    let versions = list["values"].as_array().unwrap();
    assert_eq!(
        versions.len(),
        3,
        "three accepted drafts, each a version: {list}"
    );
}

async fn the_demo_loads_into_an_empty_store_only(backend: Backend) {
    let app = TestApp::new(&backend, "web_demo").await;
    assert!(!anju_server::demo::is_demo(&app.state).await.unwrap());
    // 2024-07-03: figures from 2023-01 to 2024-06.
    let loaded = anju_server::demo::load(&app.state).await.unwrap();
    assert_eq!(loaded.until.unwrap().to_string(), "2024-06");
    assert_eq!(
        loaded.figures,
        12 * 13 * 18 - 13 + 2,
        "the towns' 13 indicators each month, the twelfth town not June; \
         the departments' yearly 14 and 15 for December 2023"
    );
    assert_eq!(
        loaded.published, 12,
        "2023-06 … 2024-05 (2023-12 among them)"
    );
    assert!(anju_server::demo::is_demo(&app.state).await.unwrap());
    // Two 专班 (one decides what the other proposes), a leader, the
    // departments that report a city figure and one that reports none.
    let users = app.state.store.users().await.unwrap();
    let role_of = |n: &str| {
        users
            .iter()
            .find(|u| u.name == n)
            .map(|u| (u.role, u.org_unit.clone()))
    };
    assert_eq!(
        role_of("demo-zhuanban2").map(|r| r.0),
        Some(Role::Taskforce)
    );
    assert_eq!(role_of("demo-lingdao").map(|r| r.0), Some(Role::Leader));
    assert_eq!(
        role_of("demo-gjj"),
        Some((Role::LeadUnit, Some("海宁公积金分中心".into())))
    );
    assert_eq!(
        role_of("demo-zhujian"),
        Some((Role::LeadUnit, Some("市住建局".into())))
    );
    assert_eq!(
        role_of("demo-minzheng"),
        Some((Role::Unit, Some("市民政局".into())))
    );
    // Loading again changes nothing.
    assert_eq!(
        anju_server::demo::load(&app.state).await.unwrap().figures,
        0
    );
    // June is half done: two towns wait for review, one figure was returned.
    let (token, _) = {
        let (status, _, body) = app
            .login(
                anju_server::demo::DEMO_TASKFORCE,
                anju_server::demo::DEMO_PASSWORD,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        (body["token"].as_str().unwrap().to_string(), ())
    };
    let (_, waiting) = app
        .with_token("GET", "/api/v1/values?state=submitted", &token)
        .await;
    assert_eq!(
        waiting["values"].as_array().unwrap().len(),
        2 * 13,
        "two towns' 13 figures"
    );
    let (_, returned) = app
        .with_token("GET", "/api/v1/values?state=returned", &token)
        .await;
    assert_eq!(returned["values"].as_array().unwrap().len(), 1);
    // /targets shows the targets in force (the demo's decomposition gives
    // the towns theirs) and hands the form what a proposal would replace.
    let (status, _, targets) = app.page("/targets", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(targets.contains("id=\"targets-in-force\"") && targets.contains("2024 年现行目标"));
    assert!(
        targets.contains("8|硖石街道|2024") && targets.contains("(分解)"),
        "the form's current targets"
    );
    // The evaluation of May shows every light, from approved figures only.
    let (_, eval) = app
        .with_token("GET", "/api/v1/evaluation?as_of=2024-05", &token)
        .await;
    let lights: std::collections::BTreeSet<String> = eval["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["light"].as_str().unwrap().to_string())
        .collect();
    assert!(
        lights.contains("green") && lights.contains("yellow") && lights.contains("red"),
        "{lights:?}"
    );

    // A store with a user of its own is refused, and keeps what it has.
    let other = TestApp::new(&backend, "web_demo_refused").await;
    other
        .add_user("xiashi", Role::Town, Some("硖石街道"), "correct horse")
        .await;
    let refused = anju_server::demo::load(&other.state).await.unwrap_err();
    assert!(refused.contains("已有用户或数据"), "{refused}");
    assert_eq!(other.state.store.users().await.unwrap().len(), 1);
}

/// On a store with no account, the login page says how to create the first
/// administrator on the server; once one exists it no longer does.
async fn the_login_page_says_how_to_begin_on_a_first_run(backend: Backend) {
    let app = TestApp::new(&backend, "first_run").await;
    let (status, _, page) = app.page("/login", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("id=\"first-run\"")
            && page.contains("anju user add 用户名 --role admin --password-stdin"),
        "{page}"
    );
    app.add_user("root", Role::Admin, None, "Admin-Password-2026")
        .await;
    let (_, _, page) = app.page("/login", None).await;
    assert!(!page.contains("first-run"), "{page}");
}

crate::on_both_backends!(
    the_login_page_says_how_to_begin_on_a_first_run,
    the_demo_loads_into_an_empty_store_only,
    the_public_page_shows_published_figures_only_and_no_login_names,
    pages_need_a_login_and_the_right_role,
    the_reporting_form_shows_exactly_the_units_indicators_and_last_figures,
    the_review_queue_shows_the_change_against_last_period,
    the_cockpit_and_indicator_page_show_an_approved_figure,
    every_page_keeps_to_its_own_host,
    the_login_form_opens_a_session_and_refuses_other_sites,
    a_change_sent_with_the_cookie_must_come_from_this_site,
);

//! `POST /api/v1/values/files` and `GET /api/v1/templates`: files whole or not at all, templates filled in.

use crate::prelude::*;

/// A file of figures is imported whole, or not at all with every bad row named.
async fn a_file_is_imported_whole_or_not_at_all(backend: Backend) {
    use anju_core::access::Role;
    let app = TestApp::new(&backend, "import").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;

    // Three bad rows (and one good): nothing is stored, all three are named.
    let bad = "\u{feff}指标,单位,期间,数值,分子,分母\n8,硖石街道,2024-06,7,,\n99,硖石街道,2024-06,1,,\n8,硖石街道,2024-13,1,,\n\n6,海宁市硖石街道,2024-06,,45,0\n".as_bytes();
    let (ct, body) = form("硖石街道-2024年6月.csv", bad, &[]);
    let (status, error) = upload(&app, &town, &ct, body).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_rows")),
        "{error}"
    );
    let rows: Vec<(u64, String)> = error["error"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_u64().unwrap(),
                r["column"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (3, "indicator".to_string()),
            (4, "period".into()),
            (6, "denominator".into())
        ],
        "{error}"
    );
    assert_eq!(values_count(&app, &town).await, 0, "nothing stored");

    // Another town's row is outside the scope: refused the same way.
    let other = "indicator,org_unit,period,value\n8,海洲街道,2024-06,3\n".as_bytes();
    let (ct, body) = form("x.csv", other, &[]);
    let (status, error) = upload(&app, &town, &ct, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error["error"]["rows"][0]["message"]
            .as_str()
            .unwrap()
            .contains("无权填报"),
        "{error}"
    );

    // A unit and period twice in one file.
    let twice = "indicator,org_unit,period,value\n8,硖石街道,2024-06,3\n8,硖石街道,2024年6月,4\n"
        .as_bytes();
    let (ct, body) = form("x.csv", twice, &[]);
    let (status, error) = upload(&app, &town, &ct, body).await;
    assert_eq!(
        (status, error["error"]["rows"][0]["row"].as_u64()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some(3)),
        "{error}"
    );

    // The good file lands, submitted at once when asked.
    let good = "\u{feff}指标,单位,期间,数值,分子,分母\r\n8,硖石街道,2024-06,7,,\r\n6,海宁市硖石街道,2024年6月,,45,50\r\n\r\n".as_bytes();
    let (ct, body) = form("硖石街道-2024年6月.csv", good, &[("submit", "true")]);
    let (status, done) = upload(&app, &town, &ct, body).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(
        (done["count"].as_u64(), done["state"].as_str()),
        (Some(2), Some("submitted"))
    );
    assert_eq!(done["values"][1]["org_unit"], "硖石街道");
    assert_eq!(values_count(&app, &town).await, 2);

    // Excel files are not read yet (save as CSV); a form without a file; not a form.
    let (ct, body) = form("数据.xlsx", b"PK\x03\x04rest", &[]);
    assert_eq!(
        upload(&app, &town, &ct, body).await.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not a readable workbook"
    );
    let (ct, body) = form("旧.xls", b"\xD0\xCF\x11\xE0rest", &[]);
    assert_eq!(
        upload(&app, &town, &ct, body).await.0,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let boundary = "b";
    let no_file = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"submit\"\r\n\r\ntrue\r\n--{boundary}--\r\n"
    );
    let (status, body) = upload(
        &app,
        &town,
        "multipart/form-data; boundary=b",
        no_file.into_bytes(),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_form"))
    );
    let (status, body) = upload(&app, &town, "application/json", b"{}".to_vec()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_form"))
    );
}

/// The template round trip: downloaded for 硖石街道, filled in with no edit to
/// its layout, uploaded back, it lands as values; a bad cell is named by the
/// sheet's own row.
async fn a_filled_in_template_lands_as_values(backend: Backend) {
    use anju_core::access::Role;
    use serde_json::json;
    let app = TestApp::new(&backend, "template").await;
    let town = app.token("xiashi", Role::Town, Some("硖石街道")).await;
    let taskforce = app
        .token("zhuanban", Role::Taskforce, Some("市住建局"))
        .await;
    // May's approved figures are shown for reference (a ratio with its rate).
    for figure in [
        json!({"indicator": 8, "org_unit": "硖石街道", "period": "2024-05", "value": 6}),
        json!({"indicator": 1, "org_unit": "硖石街道", "period": "2024-05", "numerator": 2114, "denominator": 8648}),
    ] {
        let (_, body) = app
            .post("/api/v1/values", &town, json!({ "values": [figure] }))
            .await;
        let id = body["values"][0]["id"].as_i64().unwrap();
        app.post("/api/v1/values/submit", &town, json!({"ids": [id]}))
            .await;
        app.post("/api/v1/values/approve", &taskforce, json!({"ids": [id]}))
            .await;
    }

    let response = router(app.state.clone())
        .oneshot(
            Request::get("/api/v1/templates?period=2024-06")
                .header("authorization", format!("Bearer {town}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''")
    );
    let xlsx = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    {
        use std::io::Read;
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(xlsx.clone())).unwrap();
        let mut sheet = String::new();
        z.by_name("xl/worksheets/sheet1.xml")
            .unwrap()
            .read_to_string(&mut sheet)
            .unwrap();
        assert!(
            sheet.contains("<mergeCell ref=\"A1:J1\""),
            "a merged title row"
        );
        assert!(
            sheet.contains("type=\"decimal\"") && sheet.contains("greaterThanOrEqual"),
            "numeric cells validated"
        );
        let mut strings = String::new();
        z.by_name("xl/sharedStrings.xml")
            .unwrap()
            .read_to_string(&mut strings)
            .unwrap();
        assert!(strings.contains("硖石街道") && strings.contains("2024-06"));
        assert!(
            strings.contains("<t>6</t>"),
            "May's approved figure for reference"
        );
        assert!(
            strings.contains("2114/8648(24.44%)"),
            "a ratio's last figure with its rate"
        );
        assert!(
            strings.contains("填报单位"),
            "the column of the unit says so"
        );
        assert!(
            sheet.contains("<sheetProtection") && sheet.contains("<pane ySplit=\"3\""),
            "protected outside the input cells, the header frozen"
        );
        // Row 4 is indicator 1 (a ratio): its E (数值) is not an input cell,
        // F and G (分子, 分母) are; row 5 (indicator 2, a count) the reverse.
        let style = |cell: &str| {
            let at = sheet.find(&format!("<c r=\"{cell}\"")).unwrap();
            let rest = &sheet[at..];
            let end = rest.find('>').unwrap();
            rest[..end]
                .split("s=\"")
                .nth(1)
                .map(|s| s.split('"').next().unwrap().to_string())
        };
        assert_ne!(
            style("E4"),
            style("F4"),
            "a ratio's value cell is not its numerator's"
        );
        assert_eq!(style("F4"), style("G4"));
        assert_eq!(
            style("E5"),
            style("F4"),
            "a count's value cell is an input cell"
        );
        assert_eq!(style("F5"), style("E4"), "a count's numerator is not");
    }
    // Another town's template is not the town's to fill.
    assert_eq!(
        app.with_token(
            "GET",
            "/api/v1/templates?period=2024-06&org_unit=海洲街道",
            &town
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );

    let filled = fill_in(&xlsx, &[('E', 8, "7"), ('F', 6, "45"), ('G', 6, "50")]);
    let (ct, body) = form("硖石街道-2024-06-填报模板.xlsx", &filled, &[]);
    let (status, done) = upload(&app, &town, &ct, body).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(done["count"], 2, "the unfilled rows are not figures");
    let got: Vec<(i64, String, String)> = done["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["indicator"].as_i64().unwrap(),
                v["period"].as_str().unwrap().to_string(),
                format!("{}/{}/{}", v["value"], v["numerator"], v["denominator"]),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (6, "2024-06".into(), "null/45/50".into()),
            (8, "2024-06".into(), "7/null/null".into())
        ]
    );

    // A bad cell: named by the sheet and its row as Excel shows it.
    let bad = fill_in(&xlsx, &[('E', 9, "-3")]);
    let (ct, body) = form("x.xlsx", &bad, &[]);
    let (status, error) = upload(&app, &town, &ct, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let row = &error["error"]["rows"][0];
    // Title, note, header, then indicators 1.. from row 4: indicator 9 is row 12.
    assert_eq!(
        (
            row["sheet"].as_str(),
            row["row"].as_u64(),
            row["column"].as_str()
        ),
        (Some("填报"), Some(12), Some("value")),
        "{error}"
    );

    // The evaluation as a workbook, for Excel and WPS.
    let response = router(app.state.clone())
        .oneshot(
            Request::get("/api/v1/evaluation?as_of=2024-06&format=xlsx")
                .header("authorization", format!("Bearer {taskforce}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let book = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    {
        use std::io::Read;
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(book)).unwrap();
        let mut strings = String::new();
        z.by_name("xl/sharedStrings.xml")
            .unwrap()
            .read_to_string(&mut strings)
            .unwrap();
        for text in [
            "评估结果(截至 2024-06)",
            "指标名称",
            "完成进度",
            "硖石街道",
            "既有住宅加装电梯累计数量",
        ] {
            assert!(strings.contains(text), "{text}");
        }
    }
    assert_eq!(
        app.with_token(
            "GET",
            "/api/v1/evaluation?as_of=2024-06&format=pdf",
            &taskforce
        )
        .await
        .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

crate::on_both_backends!(
    a_file_is_imported_whole_or_not_at_all,
    a_filled_in_template_lands_as_values,
);

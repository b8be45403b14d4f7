#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::disallowed_methods
)]
//! The `anju` command as users and other tools call it: the JSON contracts,
//! the plan against the issued document, input as people send it, and bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn anju(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anju"))
        .args(args)
        .env_remove("ANJU_PLAN")
        .env_remove("ANJU_DATABASE")
        .output()
        .expect("run anju")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("anju-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn num(v: &Value) -> String {
    // Numbers are written with their exact digits; compare them as written,
    // without trailing zeros.
    let s = v.to_string();
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn norm(s: &str) -> String {
    let s = s.trim().trim_end_matches('%');
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// The seed's target table, read from the issued document itself.
fn seed_table() -> Vec<(u16, String, Vec<String>)> {
    let text = std::fs::read_to_string(repo().join("plans/source/haining-2023-2027.txt")).unwrap();
    let mut rows = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("“住有宜居”工程五年目标表") {
            inside = true;
            continue;
        }
        if line.starts_with("三、重点任务") {
            break;
        }
        if !inside || line.starts_with("领域") {
            continue;
        }
        let mut cells: Vec<String> = line.split('|').map(|c| c.trim().to_string()).collect();
        if cells[0].parse::<u16>().is_err() {
            cells.remove(0); // the domain column
        }
        let code = cells[0].parse().unwrap();
        rows.push((
            code,
            cells[1].clone(),
            cells[2..].iter().take(6).cloned().collect(),
        ));
    }
    rows
}

#[test]
fn plan_show_json_carries_every_figure_of_the_seed_table() {
    let plan = json(&anju(&["plan", "show", "--format", "json"]));
    let indicators = plan["indicators"].as_array().unwrap();
    let table = seed_table();
    assert_eq!(table.len(), 15);
    assert_eq!(indicators.len(), 15);
    for (code, title, cells) in table {
        let ind = indicators
            .iter()
            .find(|i| i["code"] == code)
            .unwrap_or_else(|| panic!("indicator {code}"));
        let shown = format!(
            "{}({})",
            ind["name"].as_str().unwrap(),
            ind["unit"].as_str().unwrap()
        );
        assert_eq!(shown, title, "name and unit of {code}");
        if code == 11 {
            assert!(cells[0].contains("至2027年至少创建1个"));
            assert_eq!(ind["kind"], "milestone");
            assert_eq!(ind["milestone"]["deadline"], "2027-12");
            assert_eq!(num(&ind["milestone"]["value"]), "1");
            continue;
        }
        let baseline = if cells[0] == "/" {
            "null".to_string()
        } else {
            norm(&cells[0])
        };
        assert_eq!(num(&ind["baseline"]), baseline, "baseline of {code}");
        let targets = ind["targets"].as_array().unwrap();
        assert_eq!(targets.len(), 5);
        for (k, cell) in cells[1..6].iter().enumerate() {
            let t = &targets[k];
            assert_eq!(t["year"], 2023 + k as i64);
            let (cmp, value) = match cell.strip_prefix('>') {
                Some(v) => (">", v),
                None => (">=", cell.as_str()),
            };
            assert_eq!(t["comparator"], cmp, "comparator of {code} in {}", 2023 + k);
            assert_eq!(
                num(&t["value"]),
                norm(value),
                "target of {code} in {}",
                2023 + k
            );
        }
    }
}

#[test]
fn plan_show_json_carries_every_task_with_its_units_as_the_document_lists_them() {
    let plan = json(&anju(&["plan", "show", "--format", "json"]));
    let text = std::fs::read_to_string(repo().join("plans/source/haining-2023-2027.txt")).unwrap();
    let tasks = plan["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 13);
    for t in tasks {
        let code = t["code"].as_u64().unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{code}.")) && l.contains("(责任单位:"))
            .unwrap();
        let units = line
            .rsplit_once("(责任单位:")
            .unwrap()
            .1
            .strip_suffix(')')
            .unwrap();
        let units = units.split(['。', ';']).next().unwrap();
        let mut listed: Vec<String> = Vec::new();
        let mut depth = 0;
        let mut cur = String::new();
        for c in units.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if c == '、' && depth == 0 {
                listed.push(std::mem::take(&mut cur));
            } else {
                cur.push(c);
            }
        }
        listed.push(cur);
        listed.retain(|u| u != "各镇(街道)");
        let mut ours = vec![t["lead"].as_str().unwrap().to_string()];
        ours.extend(
            t["co_units"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u.as_str().unwrap().to_string()),
        );
        assert_eq!(ours, listed, "units of task {code}");
        assert_eq!(t["towns_implement"], true);
    }
    // 12 towns under 海宁市, and every department of 附件2 by its written name.
    let orgs = plan["org_units"].as_array().unwrap();
    let towns: Vec<&str> = orgs
        .iter()
        .filter(|o| o["parent"] == "海宁市" && o["level"] != "department")
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(towns.len(), 12);
    let annex = text
        .lines()
        .skip_while(|l| *l != "市级有关单位名单")
        .nth(1)
        .unwrap();
    let annex: Vec<&str> = annex.trim_end_matches('。').split('、').collect();
    assert_eq!(annex.len(), 29);
    for name in annex {
        let found = orgs.iter().any(|o| {
            o["level"] == "department"
                && (o["name"] == name
                    || o["full_name"] == name
                    || o["aliases"].as_array().unwrap().iter().any(|a| a == name))
        });
        assert!(found, "附件2 unit {name}");
    }
}

#[test]
fn plan_check_names_file_line_and_field() {
    let dir = tmp("plancheck");
    let text = std::fs::read_to_string(repo().join("plans/haining-2023-2027.toml")).unwrap();
    let bad = text
        .replacen("kind = \"stock\"", "kind = \"stok\"", 1)
        .replacen("lead = \"海宁公积金分中心\"", "lead = \"海宁公基金\"", 1);
    let path = dir.join("bad.toml");
    std::fs::write(&path, &bad).unwrap();
    let out = anju(&["plan", "check", "--plan", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let kind_line = bad.lines().position(|l| l == "kind = \"stok\"").unwrap() + 1;
    let lead_line = bad
        .lines()
        .position(|l| l == "lead = \"海宁公基金\"")
        .unwrap()
        + 1;
    assert!(
        err.contains(&format!(
            "bad.toml:{kind_line}: indicator[code=3].kind: 未知的指标类型“stok”"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "bad.toml:{lead_line}: task[code=13].lead: 未知的单位“海宁公基金”"
        )),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    let ok = anju(&["plan", "check"]);
    assert!(ok.status.success());
    assert!(String::from_utf8_lossy(&ok.stdout).contains("15 个指标,13 项重点任务"));
}

const SAMPLE: &str = "indicator,org_unit,period,value,numerator,denominator
8,硖石街道,2023-12,5,,
8,硖石街道,2024-06,7,,
6,海洲街道,2024年6月,,45,50
6,海昌街道,2024-06,,30,40
15,海宁公积金分中心,2024-06,14.2,,
2,市住房和城乡建设局,2024-06,3.0512,,
";

fn eval_file(name: &str, bytes: &[u8], extra: &[&str]) -> Output {
    let dir = tmp(name);
    let path = dir.join("values.csv");
    std::fs::write(&path, bytes).unwrap();
    let mut args = vec![
        "eval",
        "--data",
        path.to_str().unwrap(),
        "--as-of",
        "2024-06",
    ];
    args.extend_from_slice(extra);
    anju(&args)
}

fn row<'a>(rows: &'a [Value], code: u16, org: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["indicator"] == code && r["org_unit"] == org)
        .unwrap()
}

#[test]
fn eval_json_has_one_row_per_indicator_and_unit_with_the_contract_fields() {
    let out = eval_file("contract", SAMPLE.as_bytes(), &[]);
    let rows = json(&out);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 15 * 13);
    let statuses = [
        "achieved",
        "on_track",
        "lagging",
        "severe",
        "missed",
        "pending",
        "no_data",
        "no_target",
    ];
    for r in rows {
        for field in [
            "indicator",
            "org_unit",
            "as_of",
            "actual",
            "target",
            "expected",
            "completion",
            "status",
            "reason",
            "rank",
        ] {
            assert!(r.get(field).is_some(), "{field} in {r}");
        }
        assert!(statuses.contains(&r["status"].as_str().unwrap()));
        assert_eq!(r["as_of"], "2024-06");
    }
    // 海宁市's 物业 coverage is Σnum/Σden = 75/90, not the mean of 90% and 75%.
    let city6 = row(rows, 6, "海宁市");
    assert_eq!(num(&city6["actual"]), "83.33");
    assert_eq!(num(&city6["numerator"]), "75");
    assert_eq!(num(&city6["denominator"]), "90");
    // A department's figure is its city's; the alias 市住房和城乡建设局 resolves.
    assert_eq!(num(&row(rows, 15, "海宁市")["actual"]), "14.2");
    assert_eq!(num(&row(rows, 2, "海宁市")["actual"]), "3.0512");
    // Towns inherit the city's rate target and are ranked among themselves.
    assert_eq!(row(rows, 6, "海洲街道")["target_origin"], "inherited");
    assert_eq!(row(rows, 6, "海洲街道")["rank"], 1);
    assert_eq!(row(rows, 6, "海昌街道")["rank"], 2);
    assert!(row(rows, 1, "海宁市")["status"] == "no_data");
}

#[test]
fn gb18030_and_bom_inputs_read_the_same_as_utf8() {
    let utf8 = json(&eval_file("utf8", SAMPLE.as_bytes(), &[]));
    let (gbk, _, bad) = encoding_rs::GB18030.encode(SAMPLE);
    assert!(!bad);
    assert_ne!(gbk.as_ref(), SAMPLE.as_bytes());
    let from_gbk = json(&eval_file("gbk", &gbk, &[]));
    assert_eq!(utf8, from_gbk);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(SAMPLE.replace('\n', "\r\n").as_bytes());
    assert_eq!(utf8, json(&eval_file("bom", &bom, &[])));
}

#[test]
fn every_bad_line_is_reported_and_nothing_is_printed() {
    let text = "indicator,org_unit,period,value,numerator,denominator
8,硖石街道,2024-06,7,,
99,硖石街道,2024-06,7,,
8,不存在镇,2024-13,7,,
6,海洲街道,2024-06,,45,
8,硖石街道,2024-06,abc,,
8,嘉兴市,2024-06,1,,
8,硖石街道,2024-06,8,,
";
    let out = eval_file("bad", text.as_bytes(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "no result on stdout");
    let err = String::from_utf8_lossy(&out.stderr);
    for expected in [
        ":3: A 列(指标): 未知的指标“99”",
        ":4: B 列(填报单位): 未知的单位“不存在镇”",
        ":4: C 列(期间): 无法识别的期间“2024-13”",
        ":5: F 列(分母): 有分子而缺少分母",
        ":6: D 列(数值): 不是有效的数字“abc”",
        ":7: B 列(填报单位): “嘉兴市”不在本计划的填报范围",
    ] {
        assert!(err.contains(expected), "missing {expected} in\n{err}");
    }
    assert!(err.contains("输入有 6 处错误"), "{err}");
    // A period given twice is named with both lines.
    let dup = "indicator,org_unit,period,value,numerator,denominator\n8,硖石街道,2024-06,7,,\n8,硖石街道,2024年6月,8,,\n";
    let out = eval_file("dup", dup.as_bytes(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(":3: period: 与第 2 行重复"), "{err}");
}

#[test]
fn table_and_csv_formats_are_for_people_and_spreadsheets() {
    let out = eval_file("table", SAMPLE.as_bytes(), &["--format", "table"]);
    assert!(out.status.success());
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.contains("【6】住宅小区专业物业服务覆盖率(%)"));
    assert!(t.contains("单位") && t.contains("完成进度") && t.contains("状态"));
    assert!(!t.contains('\x1b'), "no colour when not on a terminal");
    let out = eval_file("csv", SAMPLE.as_bytes(), &["--format", "csv"]);
    assert!(out.status.success());
    assert!(
        out.stdout
            .starts_with(b"\xEF\xBB\xBFindicator,indicator_name,unit,org_unit,as_of,actual")
    );
    let lines = String::from_utf8_lossy(&out.stdout).lines().count();
    assert_eq!(lines, 1 + 15 * 13);
}

#[test]
fn gen_writes_a_province_that_eval_reads_with_decompositions_that_add_up() {
    let dir = tmp("gen");
    let out = anju(&[
        "gen",
        "--towns",
        "30",
        "--seed",
        "7",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan = dir.join("plan.toml");
    let check = anju(&["plan", "check", "--plan", plan.to_str().unwrap()]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let out = anju(&[
        "eval",
        "--plan",
        plan.to_str().unwrap(),
        "--targets",
        dir.join("targets.csv").to_str().unwrap(),
        "--data",
        dir.join("values.csv").to_str().unwrap(),
        "--as-of",
        "2025-06",
    ]);
    let rows = json(&out);
    let rows = rows.as_array().unwrap();
    // 1 province, 1 city, 3 counties, 30 towns.
    assert_eq!(rows.len(), 15 * 35);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("不一致") && !err.contains("只分解到"),
        "{err}"
    );
    let values = std::fs::read_to_string(dir.join("values.csv")).unwrap();
    assert_eq!(values.lines().count(), 1 + 30 * 15 * 61);
    // The province's figure is the sum of its towns'.
    let town_sum: rust_decimal::Decimal = rows
        .iter()
        .filter(|r| r["indicator"] == 8 && r["org_unit"].as_str().unwrap().starts_with("样例镇"))
        .map(|r| num(&r["actual"]).parse::<rust_decimal::Decimal>().unwrap())
        .sum();
    assert_eq!(
        num(&row(rows, 8, "样例省")["actual"]),
        town_sum.normalize().to_string()
    );
    // The same seed writes the same data.
    let again = tmp("gen2");
    anju(&[
        "gen",
        "--towns",
        "30",
        "--seed",
        "7",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(dir.join("values.csv")).unwrap(),
        std::fs::read(again.join("values.csv")).unwrap()
    );
}

#[test]
fn migrate_creates_the_schema_once() {
    let dir = tmp("migrate");
    let db = dir.join("anju.db");
    let _ = std::fs::remove_file(&db);
    let url = format!("sqlite://{}", db.display());
    let first = anju(&["migrate", "--database", &url]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        String::from_utf8_lossy(&first.stdout)
            .contains("已完成迁移:0001_values、0002_users、0003_sessions、0004_revision")
    );
    let again = anju(&["migrate", "--database", &url]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("无需迁移"));
    let bad = anju(&["migrate", "--database", "mysql://localhost/x"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("不支持的数据库地址"));
}

#[test]
fn eval_reads_the_approved_figures_of_a_database() {
    use anju_core::period::Period;
    use anju_core::workflow::{Date, Step};
    use anju_store::{NewValue, Now, Store};
    let dir = tmp("evaldb");
    let db = dir.join("anju.db");
    let _ = std::fs::remove_file(&db);
    let url = format!("sqlite://{}", db.display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = Store::connect(&url).await.unwrap();
        let now = Now {
            date: Date {
                year: 2024,
                month: 7,
                day: 1,
            },
            stamp: "2024-07-01T09:00:00+08:00".into(),
        };
        let v = |org: &str, x: i64| NewValue {
            indicator: 8,
            org_unit: org.into(),
            period: Period::parse("2024-06").unwrap(),
            amount: anju_core::input::Amount::Value(rust_decimal::Decimal::from(x)),
        };
        let drafts = store
            .put_drafts(&[v("硖石街道", 7), v("海洲街道", 5)], "town", &now)
            .await
            .unwrap();
        let ids: Vec<i64> = drafts.iter().map(|d| d.id).collect();
        store
            .step(
                &ids,
                Step::Submit,
                "town",
                &now,
                None,
                anju_store::Deadline::Day(5),
            )
            .await
            .unwrap();
        store
            .step(
                &ids[..1],
                Step::Approve,
                "zhuanban",
                &now,
                None,
                anju_store::Deadline::Day(5),
            )
            .await
            .unwrap();
    });
    let rows = json(&anju(&["eval", "--database", &url, "--as-of", "2024-06"]));
    let rows = rows.as_array().unwrap();
    assert_eq!(num(&row(rows, 8, "硖石街道")["actual"]), "7");
    assert_eq!(
        row(rows, 8, "海洲街道")["status"],
        "no_data",
        "submitted, not approved"
    );
    assert_eq!(num(&row(rows, 8, "海宁市")["actual"]), "7");
    assert_eq!(
        row(rows, 8, "海宁市")["indicator_name"],
        "既有住宅加装电梯累计数量"
    );
    // The plan in force in the database is the plan of the evaluation.
    let text = anju_core::BUILTIN_PLAN.replacen("既有住宅加装电梯累计数量", "加装电梯(修订)", 1);
    rt.block_on(async {
        let store = Store::connect(&url).await.unwrap();
        store
            .keep_plan(
                "haining-2023-2027",
                "修订.toml",
                &text,
                "2024-07-02T09:00:00+08:00",
            )
            .await
            .unwrap();
    });
    let rows = json(&anju(&["eval", "--database", &url, "--as-of", "2024-06"]));
    let rows = rows.as_array().unwrap();
    assert_eq!(row(rows, 8, "海宁市")["indicator_name"], "加装电梯(修订)");
    assert_eq!(num(&row(rows, 8, "海宁市")["actual"]), "7");
    // An approved target adjustment counts, its original shown beside it.
    rt.block_on(async {
        let store = Store::connect(&url).await.unwrap();
        let a = store
            .propose_adjustment(
                &anju_store::NewAdjustment {
                    indicator: 6,
                    org_unit: "海宁市",
                    year: 2024,
                    target: anju_core::plan::Target {
                        value: rust_decimal::Decimal::from(80),
                        comparator: anju_core::plan::Comparator::AtLeast,
                    },
                    effective: anju_core::period::YearMonth::parse("2024-01").unwrap(),
                    reason: "政策评估后调整",
                },
                "zhuanban",
                "2024-07-02T09:00:00+08:00",
            )
            .await
            .unwrap();
        store
            .decide_adjustment(a.id, true, None, "zuzhang", "2024-07-02T10:00:00+08:00")
            .await
            .unwrap();
    });
    let csv = anju(&[
        "eval",
        "--database",
        &url,
        "--as-of",
        "2024-06",
        "--format",
        "csv",
    ]);
    let text = String::from_utf8_lossy(&csv.stdout);
    assert!(
        text.lines()
            .next()
            .unwrap()
            .contains("target_origin,original_target,original_comparator")
    );
    assert!(
        text.lines().any(|l| l.starts_with("6,")
            && l.contains(",海宁市,")
            && l.contains(",80,>=,adjusted,87,>=,")),
        "{text}"
    );
    let table = anju(&[
        "eval",
        "--database",
        &url,
        "--as-of",
        "2024-06",
        "--format",
        "table",
    ]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("80(原87)"));
    // Without --data or --database there is nothing to evaluate.
    let none = anju(&["eval", "--as-of", "2024-06"]);
    assert_eq!(none.status.code(), Some(2));
}

#[test]
fn user_add_checks_the_unit_and_hashes_the_password_from_stdin() {
    use std::io::Write as _;
    let dir = tmp("useradd");
    let db = dir.join("anju.db");
    let _ = std::fs::remove_file(&db);
    let url = format!("sqlite://{}", db.display());
    let add = |args: &[&str], password: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_anju"))
            .args(["user", "add"])
            .args(args)
            .args(["--password-stdin", "--database", &url])
            .env_remove("ANJU_PLAN")
            .env_remove("ANJU_DATABASE")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let ok = add(
        &["xiashi", "--role", "town", "--org", "海宁市硖石街道"],
        "Correct-horse-1",
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        String::from_utf8_lossy(&ok.stdout).contains("已添加用户 xiashi(角色 town,单位 硖石街道)")
    );
    // A department user given a town, a short password, a taken name: refused.
    let wrong = add(
        &["fagai", "--role", "unit", "--org", "硖石街道"],
        "Correct-horse-1",
    );
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("角色“责任单位”的所属单位须为部门"));
    let short = add(&["fagai", "--role", "unit", "--org", "市发改局"], "short");
    assert!(String::from_utf8_lossy(&short.stderr).contains("密码至少 8 位"));
    let taken = add(&["xiashi", "--role", "leader"], "Correct-horse-1");
    assert_eq!(taken.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&taken.stderr).contains("已存在"));
    // Stored with an argon2id hash and a China timestamp.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let user = rt.block_on(async {
        anju_store::Store::connect(&url)
            .await
            .unwrap()
            .user("xiashi")
            .await
            .unwrap()
            .unwrap()
    });
    assert!(user.password_hash.starts_with("$argon2id$"));
    assert!(anju_store::verify_password(
        "Correct-horse-1",
        &user.password_hash
    ));
    assert!(
        user.created_at.ends_with("+08:00") && user.created_at.len() == 25,
        "{}",
        user.created_at
    );
}

/// Starts `anju serve` on a free port with `args`, asks for the health, stops it.
fn serve_health(db: &std::path::Path, args: &[&str]) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut child = Command::new(env!("CARGO_BIN_EXE_anju"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &format!("sqlite://{}", db.display()),
        ])
        .args(args)
        .env_remove("ANJU_PLAN")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let result = (|| {
        let addr = line.split("http://").nth(1)?.split('(').next()?.to_string();
        let mut conn = std::net::TcpStream::connect(&addr).ok()?;
        conn.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .ok()?;
        let mut answer = String::new();
        conn.read_to_string(&mut answer).ok()?;
        Some(answer)
    })();
    child.kill().unwrap();
    let _ = child.wait();
    result.unwrap_or_else(|| panic!("no answer; the server said: {line}"))
}

/// What `anju serve` prints on the console until it answers its first request.
fn serve_console(db: &std::path::Path) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut child = Command::new(env!("CARGO_BIN_EXE_anju"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &format!("sqlite://{}", db.display()),
        ])
        .env_remove("ANJU_PLAN")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    // Once it answers, everything before serving has been printed.
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split('(')
        .next()
        .unwrap()
        .to_string();
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    conn.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    line + &rest
}

#[test]
fn a_first_run_says_how_to_create_the_first_administrator() {
    use std::io::Write as _;
    let dir = tmp("first-run");
    let db = dir.join("anju.db");
    let _ = std::fs::remove_file(&db);
    let said = serve_console(&db);
    assert!(
        said.contains("还没有任何用户")
            && said.contains("anju user add 用户名 --role admin --password-stdin"),
        "{said}"
    );
    // The command it names works, and then it is not said again.
    let url = format!("sqlite://{}", db.display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_anju"))
        .args([
            "user",
            "add",
            "root",
            "--role",
            "admin",
            "--password-stdin",
            "--database",
            &url,
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Admin-Password-2026\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    let said = serve_console(&db);
    assert!(said.contains("anju 服务已启动"), "{said}");
    assert!(!said.contains("还没有任何用户"), "{said}");
}

#[test]
fn serve_answers_on_the_address_it_prints_and_keeps_its_plan() {
    let dir = tmp("serve");
    let db = dir.join("anju.db");
    let _ = std::fs::remove_file(&db);
    let answer = serve_health(&db, &[]);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("\"status\":\"ok\"")
            && answer.contains("\"backend\":\"sqlite\"")
            && answer.contains("\"plan\":\"haining-2023-2027\""),
        "{answer}"
    );
    assert!(db.exists(), "the database is created on first start");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = format!("sqlite://{}", db.display());
    let current = || {
        rt.block_on(async {
            let store = anju_store::Store::connect(&url).await.unwrap();
            store.current_plan().await.unwrap().unwrap()
        })
    };
    let first = current();
    assert_eq!(
        (first.sm3.as_str(), first.text.as_str()),
        (
            anju_store::plan_hash(anju_core::BUILTIN_PLAN).as_str(),
            anju_core::BUILTIN_PLAN
        ),
        "the built-in plan is kept on first start"
    );
    assert_eq!(current().id, first.id, "a second look adds nothing");

    // `--plan FILE` becomes the plan in force, and stays without it.
    let other = dir.join("other-plan.toml");
    let text = anju_core::BUILTIN_PLAN.replacen(
        "id = \"haining-2023-2027\"",
        "id = \"haining-2023-2027-r2\"",
        1,
    );
    std::fs::write(&other, &text).unwrap();
    let answer = serve_health(&db, &["--plan", other.to_str().unwrap()]);
    assert!(
        answer.contains("\"plan\":\"haining-2023-2027-r2\""),
        "{answer}"
    );
    let answer = serve_health(&db, &[]);
    assert!(
        answer.contains("\"plan\":\"haining-2023-2027-r2\""),
        "{answer}"
    );
    let now = current();
    assert_eq!((now.id > first.id, now.text), (true, text));

    // A broken plan file is refused with its place; the plan in force stays.
    std::fs::write(&other, "[plan]\nid = 3\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_anju"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &url])
        .args(["--plan", other.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("other-plan.toml:2"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(current().id, now.id);
}

#[test]
fn audit_verify_names_the_row_edited_behind_the_service() {
    use std::io::Write as _;
    let dir = tmp("audit");
    let db = dir.join("anju.db");
    let _ = std::fs::remove_file(&db);
    let url = format!("sqlite://{}", db.display());
    for name in ["xiashi", "haizhou"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_anju"))
            .args([
                "user",
                "add",
                name,
                "--role",
                "leader",
                "--password-stdin",
                "--database",
                &url,
            ])
            .env_remove("ANJU_PLAN")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"A-long-pass-1\n")
            .unwrap();
        assert!(child.wait().unwrap().success());
    }
    let ok = anju(&["audit", "verify", "--database", &url]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    // The built-in plan kept on first use, then two users.
    assert!(
        String::from_utf8_lossy(&ok.stdout).contains("审计日志完整:共 3 条"),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let actor: String = rt.block_on(async {
        let store = anju_store::Store::connect(&url).await.unwrap();
        let anju_store::Store::Sqlite(pool) = &store else {
            panic!("sqlite")
        };
        let actor = sqlx::query_scalar("SELECT actor FROM audit_log WHERE id = 2")
            .fetch_one(pool)
            .await
            .unwrap();
        sqlx::query("UPDATE audit_log SET actor = '别人' WHERE id = 2")
            .execute(pool)
            .await
            .unwrap();
        actor
    });
    let bad = anju(&["audit", "verify", "--database", &url]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("审计日志第 2 条"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    assert!(bad.stdout.is_empty());
    // Restored, then a row far beyond the head: reported too.
    rt.block_on(async {
        let store = anju_store::Store::connect(&url).await.unwrap();
        let anju_store::Store::Sqlite(pool) = &store else {
            panic!("sqlite")
        };
        sqlx::query("UPDATE audit_log SET actor = ? WHERE id = 2")
            .bind(&actor)
            .execute(pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO audit_log (id, at, actor, action, subject, before, after, prev_hash, hash) SELECT 100000, at, actor, action, subject, before, after, prev_hash, hash FROM audit_log WHERE id = 1")
            .execute(pool)
            .await
            .unwrap();
    });
    let bad = anju(&["audit", "verify", "--database", &url]);
    let said = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(1), "{said}");
    assert!(
        said.contains("第 100000 条") && said.contains("链外"),
        "{said}"
    );
}

#[test]
fn import_takes_a_file_whole_or_names_every_bad_row() {
    use std::io::Write as _;
    let dir = tmp("import");
    let db = dir.join("anju.db");
    let _ = std::fs::remove_file(&db);
    let url = format!("sqlite://{}", db.display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_anju"))
        .args([
            "user",
            "add",
            "xiashi",
            "--role",
            "town",
            "--org",
            "硖石街道",
            "--password-stdin",
            "--database",
            &url,
        ])
        .env_remove("ANJU_PLAN")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"A-long-pass-1\n")
        .unwrap();
    assert!(child.wait().unwrap().success());

    // GB18030, as Excel and WPS save CSV on Chinese Windows; three bad rows.
    let text = "指标,单位,期间,数值,分子,分母\r\n8,硖石街道,2024-06,7,,\r\n8,海洲街道,2024-06,1,,\r\n8,硖石街道,2024-06x,1,,\r\n8,硖石街道,2024-08,-1,,\r\n";
    let (bytes, _, _) = encoding_rs::GB18030.encode(text);
    let bad = dir.join("坏文件.csv");
    std::fs::write(&bad, &bytes).unwrap();
    let out = anju(&[
        "import",
        bad.to_str().unwrap(),
        "--as",
        "xiashi",
        "--database",
        &url,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for line in [":3: B 列(填报单位):", ":4: C 列(期间):", ":5: D 列(数值):"] {
        assert!(err.contains(line), "{line} in {err}");
    }
    assert!(err.contains("文件有 3 处错误,未导入任何数据"), "{err}");

    let good = dir.join("好文件.csv");
    std::fs::write(
        &good,
        encoding_rs::GB18030
            .encode("指标,单位,期间,数值\r\n8,硖石街道,2024-06,7\r\n8,硖石街道,2024-07,8\r\n")
            .0,
    )
    .unwrap();
    let out = anju(&[
        "import",
        good.to_str().unwrap(),
        "--as",
        "xiashi",
        "--submit",
        "--database",
        &url,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("已导入 2 条数据(已报送)"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let stored = rt.block_on(async {
        anju_store::Store::connect(&url)
            .await
            .unwrap()
            .list(&anju_store::ValueFilter::default())
            .await
            .unwrap()
    });
    assert_eq!(stored.len(), 2, "only the good file");
    assert!(
        stored
            .iter()
            .all(|v| v.created_by == "xiashi" && v.state == anju_core::workflow::State::Submitted)
    );
    // The template for the town, read back: nothing filled in, nothing to import.
    let t = dir.join("模板.xlsx");
    let out = anju(&[
        "template",
        "--as",
        "xiashi",
        "--period",
        "2024-07",
        "--out",
        t.to_str().unwrap(),
        "--database",
        &url,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read(&t).unwrap().starts_with(b"PK\x03\x04"));
    let out = anju(&[
        "import",
        t.to_str().unwrap(),
        "--as",
        "xiashi",
        "--database",
        &url,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("文件中没有数据"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let other = anju(&[
        "template",
        "--as",
        "xiashi",
        "--org",
        "海洲街道",
        "--period",
        "2024-07",
        "--out",
        t.to_str().unwrap(),
        "--database",
        &url,
    ]);
    assert_eq!(other.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&other.stderr).contains("用户 xiashi 无权填报海洲街道的数据"),
        "{}",
        String::from_utf8_lossy(&other.stderr)
    );
    // A month that does not exist: named, nothing written.
    let bad = dir.join("不该有.xlsx");
    let wrong = anju(&[
        "template",
        "--as",
        "xiashi",
        "--period",
        "2024-13",
        "--out",
        bad.to_str().unwrap(),
        "--database",
        &url,
    ]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("--period"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
    assert!(!bad.exists());
    let nobody = anju(&[
        "import",
        good.to_str().unwrap(),
        "--as",
        "nobody",
        "--database",
        &url,
    ]);
    assert_eq!(nobody.status.code(), Some(1));
}

/// The three administrators' accounts are managed on the server: `anju user
/// set` disables, enables and resets them (the service will not).
#[test]
fn user_set_disables_enables_and_resets_an_administrator() {
    use std::io::Write as _;
    let dir = tmp("userset");
    let db = dir.join("anju.db");
    let _ = std::fs::remove_file(&db);
    let url = format!("sqlite://{}", db.display());
    let run = |args: &[&str], input: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_anju"))
            .args(["user"])
            .args(args)
            .args(["--database", &url])
            .env_remove("ANJU_PLAN")
            .env_remove("ANJU_DATABASE")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{input}\n").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let said = |o: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let add = run(
        &["add", "shenji", "--role", "auditor", "--password-stdin"],
        "Sj-审计-2026",
    );
    assert!(add.status.success(), "{}", said(&add));
    let off = run(&["set", "shenji", "--disable"], "");
    assert!(said(&off).contains("已停用"), "{}", said(&off));
    let on = run(&["set", "shenji", "--enable"], "");
    assert!(said(&on).contains("正常"), "{}", said(&on));
    let weak = run(&["set", "shenji", "--password-stdin"], "shenji-2026");
    assert_eq!(weak.status.code(), Some(1), "{}", said(&weak));
    assert!(said(&weak).contains("用户名"), "{}", said(&weak));
    let reset = run(
        &["set", "shenji", "--password-stdin", "--must-change"],
        "Sj-重设-2027",
    );
    assert!(
        said(&reset).contains("下次登录时须修改"),
        "{}",
        said(&reset)
    );
    let nothing = run(&["set", "shenji"], "");
    assert_eq!(nothing.status.code(), Some(1), "{}", said(&nothing));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let user = rt.block_on(async {
        anju_store::Store::connect(&url)
            .await
            .unwrap()
            .user("shenji")
            .await
            .unwrap()
            .unwrap()
    });
    assert!(!user.disabled && user.must_change_password);
    assert!(anju_store::verify_password(
        "Sj-重设-2027",
        &user.password_hash
    ));
}

/// Starts `anju serve` in `dir` with `args` and the variables `env`; its
/// first line on standard output, an answer to `GET path`, and everything it
/// wrote on standard error until stopped.
fn serve_in(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    path: &str,
) -> (String, String, String) {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut child = Command::new(env!("CARGO_BIN_EXE_anju"))
        .current_dir(dir)
        .arg("serve")
        .args(args)
        .env_remove("ANJU_PLAN")
        .env_remove("ANJU_DATABASE")
        .env_remove("ANJU_CONFIG")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let logs = std::thread::spawn(move || {
        let mut all = String::new();
        let _ = stderr.read_to_string(&mut all);
        all
    });
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let answer = (|| {
        let addr = line.split("http://").nth(1)?.split('(').next()?.to_string();
        let mut conn = std::net::TcpStream::connect(&addr).ok()?;
        write!(
            conn,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut answer = String::new();
        conn.read_to_string(&mut answer).ok()?;
        Some(answer)
    })()
    .unwrap_or_default();
    // Let the job runner's first pass be logged too.
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().unwrap();
    let _ = child.wait();
    (line, answer, logs.join().unwrap())
}

#[test]
fn serve_reads_anju_toml_then_variables_then_flags() {
    let dir = tmp("config-file");
    let _ = std::fs::remove_file(dir.join("from-file.db"));
    std::fs::write(
        dir.join("anju.toml"),
        "# 海宁市安居服务\nlisten = \"127.0.0.1:0\"\ndatabase = \"sqlite://from-file.db\"\n\n[log]\nlevel = \"debug\"\nformat = \"json\"\n",
    )
    .unwrap();
    let (line, answer, logs) = serve_in(&dir, &[], &[], "/api/v1/health");
    assert!(line.contains("anju 服务已启动"), "{line}");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(dir.join("from-file.db").exists(), "the file's database");
    // JSON log lines, at debug: the request with its id, the settings with
    // where they came from.
    let request = logs
        .lines()
        .find(|l| l.contains("\"answered\""))
        .unwrap_or_else(|| panic!("no request line in {logs}"));
    let request: Value = serde_json::from_str(request).unwrap();
    assert_eq!(request["span"]["path"], "/api/v1/health", "{request}");
    let id = request["span"]["id"].as_str().unwrap().to_string();
    assert!(
        answer
            .to_ascii_lowercase()
            .contains(&format!("x-request-id: {id}")),
        "{answer}"
    );
    assert!(logs.contains("配置文件"), "{logs}");
    // A variable over the file, a flag over the variable.
    let _ = std::fs::remove_file(dir.join("from-env.db"));
    let (_, answer, logs) = serve_in(
        &dir,
        &["--log-format", "text"],
        &[
            ("ANJU_DATABASE", "sqlite://from-env.db"),
            ("ANJU_LOG_FORMAT", "json"),
        ],
        "/api/v1/health",
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(dir.join("from-env.db").exists());
    assert!(
        logs.contains("from=环境变量 ANJU_DATABASE") && !logs.trim_start().starts_with('{'),
        "text lines, the database from the variable: {logs}"
    );
    // `anju config` says the same; a wrong file is named with its line.
    let out = Command::new(env!("CARGO_BIN_EXE_anju"))
        .current_dir(&dir)
        .args(["config"])
        .env_remove("ANJU_DATABASE")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("database = sqlite://from-file.db    # 配置文件"),
        "{text}"
    );
    std::fs::write(
        dir.join("bad.toml"),
        "listen = \"127.0.0.1:0\"\n[log]\nlevle = \"debug\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_anju"))
        .current_dir(&dir)
        .args(["--config", "bad.toml", "serve"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml 第 3 行") && err.contains("log.levle"),
        "{err}"
    );
}

#[test]
fn no_log_line_shows_the_database_password() {
    const PASSWORD: &str = "Never-Shown-7";
    let dir = tmp("config-secret");
    // `anju config` and a failing connection, without a database at hand.
    let url = format!("postgres://anju:{PASSWORD}@127.0.0.1:1/anju");
    for args in [&["config"][..], &["migrate"][..], &["serve"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_anju"))
            .current_dir(&dir)
            .args(args)
            .env("ANJU_DATABASE", &url)
            .env("ANJU_LOG_LEVEL", "trace")
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains(PASSWORD), "anju {args:?}: {all}");
        if args == ["config"] {
            assert!(
                all.contains("postgres://anju:***@127.0.0.1:1/anju"),
                "{all}"
            );
        } else {
            assert_eq!(out.status.code(), Some(1), "{all}");
        }
    }
    // A server on PostgreSQL (trust authentication: the password is sent and
    // ignored), logging everything.
    let Ok(pg) = std::env::var("ANJU_TEST_PG_URL") else {
        eprintln!(
            "ANJU_TEST_PG_URL is not set: the PostgreSQL part is skipped here (.ci/run sets it)"
        );
        return;
    };
    let schema = format!("anju_cli_secret_{}", std::process::id());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let pool = sqlx::PgPool::connect(&pg).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE"
        )))
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&pool)
            .await
            .unwrap();
    });
    let with_password = pg.replacen("postgres@", &format!("postgres:{PASSWORD}@"), 1);
    assert_ne!(
        with_password, pg,
        "ANJU_TEST_PG_URL names the user postgres"
    );
    let url = format!("{with_password}?options=-c%20search_path%3D{schema}");
    let (line, answer, logs) = serve_in(
        &dir,
        &["--listen", "127.0.0.1:0", "--log-level", "trace"],
        &[("ANJU_DATABASE", &url)],
        "/api/v1/health",
    );
    rt.block_on(async {
        let pool = sqlx::PgPool::connect(&pg).await.unwrap();
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE"
        )))
        .execute(&pool)
        .await;
    });
    assert!(
        answer.contains("\"backend\":\"postgres\""),
        "{line} {answer} {logs}"
    );
    assert!(
        logs.contains("postgres:***@"),
        "the address is logged, redacted: {logs}"
    );
    assert!(
        !logs.contains(PASSWORD) && !line.contains(PASSWORD),
        "{logs}"
    );
}

#[test]
fn a_sqlite_backup_is_a_whole_copy_that_a_server_runs_on() {
    use std::io::Write as _;
    let dir = tmp("backup");
    let (db, copy) = (dir.join("anju.db"), dir.join("anju-backup.db"));
    for f in [&db, &copy] {
        let _ = std::fs::remove_file(f);
    }
    let url = format!("sqlite://{}", db.display());
    for name in ["xiashi", "haizhou"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_anju"))
            .args(["user", "add", name, "--role", "leader", "--password-stdin"])
            .args(["--database", &url])
            .env_remove("ANJU_DATABASE")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"Correct-horse-1\n")
            .unwrap();
        assert!(child.wait().unwrap().success());
    }
    let backup = anju(&["backup", "--database", &url, "--to", copy.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&backup.stdout);
    assert!(
        backup.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    // The copy's audit log is the original's, entry for entry (the plan kept
    // and the two users).
    let head = |url: &str| {
        let out = anju(&["audit", "verify", "--database", url, "--chain-only"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let copy_url = format!("sqlite://{}", copy.display());
    assert_eq!(head(&url), head(&copy_url));
    assert!(said.contains("审计日志完整,共 3 条"), "{said}");
    // Never over an existing file.
    let again = anju(&["backup", "--database", &url, "--to", copy.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("已存在"));
    // Restored as docs/OPERATIONS.md says (the database and its write-ahead
    // log moved away, the copy put in place), a server runs on it.
    std::fs::remove_file(&db).unwrap();
    for side in ["anju.db-wal", "anju.db-shm"] {
        let _ = std::fs::remove_file(dir.join(side));
    }
    std::fs::copy(&copy, &db).unwrap();
    let answer = serve_health(&db, &[]);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(head(&url), head(&copy_url), "a start changes no entry");
}

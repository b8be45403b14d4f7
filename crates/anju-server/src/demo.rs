//! Loading demo data into an empty store (`anju serve --demo`): demo logins,
//! the decomposition of the city's targets to the towns, every town's
//! figures from the first plan month to last month — entered by the town,
//! submitted and approved by the task force, each at a plausible date early in
//! the month after — and the publication of the recent months. Last month is
//! left half done (some towns approved, some waiting, one returned, one not
//! yet reported) so the cockpit and the review queue have something to show.
//! The figures come from `anju_synth::demo`; nothing here is real.

use anju_core::access::Role;
use anju_core::period::{Period, YearMonth};
use anju_core::workflow::{Date, Step};
use anju_store::{NewValue, Now};
use anju_synth::demo::{Amount, Figure};

use crate::AppState;

/// The password of every demo login.
pub const DEMO_PASSWORD: &str = "anju-demo-2026";

/// The task force's demo login (its presence marks a demo store).
pub const DEMO_TASKFORCE: &str = "demo-zhuanban";

/// The demo logins of departments that report a figure: login, unit.
const DEMO_DEPARTMENTS: [(&str, &str); 2] = [
    ("demo-zhujian", "市住建局"),
    ("demo-gjj", "海宁公积金分中心"),
];

/// What was loaded.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Demo logins made: (name, role, unit).
    pub users: Vec<(String, &'static str, Option<String>)>,
    /// Figures stored.
    pub figures: usize,
    /// Months published.
    pub published: usize,
    /// The last month with figures.
    pub until: Option<YearMonth>,
    /// 督办 items recorded.
    pub supervision: usize,
    /// Projects recorded.
    pub projects: usize,
    /// Work items recorded.
    pub work_items: usize,
}

/// A time early in the month after `m` (the 3rd, before the deadline day).
fn reported_at(m: YearMonth, day: u32, hour: u32) -> Now {
    let (y, mo) = if m.month() == 12 {
        (m.year() + 1, 1)
    } else {
        (m.year(), m.month() + 1)
    };
    Now {
        date: Date {
            year: y,
            month: mo,
            day,
        },
        stamp: format!("{y:04}-{mo:02}-{day:02}T{hour:02}:00:00+08:00"),
    }
}

fn new_value(plan: &anju_core::plan::Plan, f: &Figure) -> NewValue {
    NewValue {
        indicator: f.indicator,
        org_unit: plan.orgs.get(f.org).name.clone(),
        period: Period::month(f.month),
        amount: match f.amount {
            Amount::Value(v) => anju_core::input::Amount::Value(v),
            Amount::Ratio { num, den } => anju_core::input::Amount::Ratio { num, den },
        },
    }
}

/// Who reports a demo figure (填报责任).
fn owner_of(plan: &anju_core::plan::Plan, f: &Figure) -> Option<anju_core::plan::OrgId> {
    let ix = plan.indicator_index(anju_core::plan::IndicatorCode(f.indicator))?;
    plan.reporter_of(ix, f.org)
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Whether the store already holds the demo.
pub async fn is_demo(state: &AppState) -> Result<bool, String> {
    Ok(state
        .store
        .user(DEMO_TASKFORCE)
        .await
        .map_err(err)?
        .is_some())
}

/// Loads the demo into an empty store, up to the month before `now` (China
/// time). Refuses a store that holds users or figures of its own.
pub async fn load(state: &AppState) -> Result<Loaded, String> {
    if is_demo(state).await? {
        return Ok(Loaded::default());
    }
    let store = &state.store;
    if !store.users().await.map_err(err)?.is_empty()
        || !store
            .list(&anju_store::ValueFilter::default())
            .await
            .map_err(err)?
            .is_empty()
    {
        return Err(
            "数据库中已有用户或数据,不能载入演示数据;请用 --database 指定一个新的数据库".into(),
        );
    }
    let plan = state.plan();
    let today = anju_core::auth::china_time((state.clock)()).0;
    let until = YearMonth::new(today.year, today.month)
        .and_then(YearMonth::previous)
        .ok_or("无法确定当前月份")?;
    let last_plan_month = YearMonth::new(plan.meta.last_year, 12).ok_or("计划的最后一年有误")?;
    let until = until.min(last_plan_month);
    let first = YearMonth::new(*plan.target_years().start(), 1).ok_or("计划的起始年有误")?;
    if until < first {
        return Err(format!("计划自 {first} 起,尚无可演示的月份"));
    }
    let mut loaded = Loaded {
        until: Some(until),
        ..Loaded::default()
    };
    let now = crate::now(state);
    let hash = tokio::task::spawn_blocking(|| anju_store::hash_password(DEMO_PASSWORD))
        .await
        .map_err(err)?
        .map_err(err)?;
    let towns = plan.orgs.get(plan.reporting_root).children.clone();
    let mut logins: Vec<(String, Role, Option<String>)> = vec![
        (DEMO_TASKFORCE.into(), Role::Taskforce, None),
        // A second 专班 account: an adjustment one proposes, the other decides.
        ("demo-zhuanban2".into(), Role::Taskforce, None),
        ("demo-lingdao".into(), Role::Leader, None),
        ("demo-admin".into(), Role::Admin, None),
        ("demo-anquan".into(), Role::SecAdmin, None),
        ("demo-shenji".into(), Role::Auditor, None),
    ];
    for (k, &t) in towns.iter().enumerate() {
        logins.push((
            format!("demo-town-{:02}", k + 1),
            Role::Town,
            Some(plan.orgs.get(t).name.clone()),
        ));
    }
    // The departments that report a city figure (填报责任), and one that
    // only co-runs tasks (it reads their figures, reports none).
    let mut reporters: Vec<(String, anju_core::plan::OrgId)> = towns
        .iter()
        .enumerate()
        .map(|(k, &t)| (format!("demo-town-{:02}", k + 1), t))
        .collect();
    for ind in &plan.indicators {
        if let anju_core::plan::Reporter::Unit(d) = ind.reporter {
            let login = DEMO_DEPARTMENTS
                .iter()
                .find(|(_, name)| plan.orgs.resolve(name).ok() == Some(d))
                .map_or_else(
                    || format!("demo-dept-{}", ind.code),
                    |(l, _)| (*l).to_string(),
                );
            if !reporters.iter().any(|(_, o)| *o == d) {
                logins.push((
                    login.clone(),
                    Role::LeadUnit,
                    Some(plan.orgs.get(d).name.clone()),
                ));
                reporters.push((login, d));
            }
        }
    }
    logins.push(("demo-minzheng".into(), Role::Unit, Some("市民政局".into())));
    for (name, role, org) in &logins {
        store
            .create_user(
                name,
                *role,
                org.as_deref(),
                &hash,
                &now.stamp,
                "anju serve --demo",
                false,
            )
            .await
            .map_err(err)?;
        loaded
            .users
            .push((name.clone(), role.as_str(), org.clone()));
    }
    // The towns' targets.
    let csv = anju_synth::demo::decomposition_csv(&plan);
    let rows = anju_core::input::read_targets(&plan, "演示分解.csv", csv.as_bytes(), 1)
        .map_err(|e| format!("演示分解文件有误:{}", e.0.len()))?;
    store
        .add_decomposition(
            "演示分解.csv",
            &csv,
            i64::try_from(rows.len()).unwrap_or(i64::MAX),
            DEMO_TASKFORCE,
            &reported_at(first.previous().unwrap_or(first), 1, 9).stamp,
        )
        .await
        .map_err(err)?;
    // The figures, month by month.
    let figures = anju_synth::demo::figures(&plan, until);
    let deadline_day = plan.settings.report_deadline_day;
    let deadline = anju_store::Deadline::Plan(&plan);
    let mut month = first;
    loop {
        let last = month == until;
        for (k, (user, owner)) in reporters.iter().enumerate() {
            // Last month: town 12 has not reported yet.
            if last && k == 11 {
                continue;
            }
            let values: Vec<NewValue> = figures
                .iter()
                .filter(|f| f.month == month && owner_of(&plan, f) == Some(*owner))
                .map(|f| new_value(&plan, f))
                .collect();
            if values.is_empty() {
                continue;
            }
            let user = user.clone();
            // One town reports after the deadline day each month it is late.
            let day = if k == 7 && last {
                u32::from(deadline_day) + 3
            } else {
                3
            };
            // Never later than now (early in a month, last month's figures
            // are being reported today).
            let at = Some(reported_at(month, day, 9))
                .filter(|a| a.stamp <= now.stamp)
                .unwrap_or_else(|| now.clone());
            let stored = store.put_drafts(&values, &user, &at).await.map_err(err)?;
            let ids: Vec<i64> = stored.iter().map(|v| v.id).collect();
            store
                .step(&ids, Step::Submit, &user, &at, None, deadline)
                .await
                .map_err(err)?;
            loaded.figures += ids.len();
            let decided = Some(reported_at(month, day + 1, 15))
                .filter(|a| a.stamp <= now.stamp)
                .unwrap_or_else(|| now.clone());
            // Last month: towns 10 and 11 wait for review, town 9 has one
            // figure returned.
            let (returned, approved): (&[i64], &[i64]) = match (last, k) {
                (true, 9 | 10) => (&[], &[]),
                (true, 8) => ids.split_at(1),
                _ => (&[], &ids),
            };
            if !returned.is_empty() {
                store
                    .step(
                        returned,
                        Step::Return,
                        DEMO_TASKFORCE,
                        &decided,
                        Some("与上月相比变化较大,请核实后重报"),
                        deadline,
                    )
                    .await
                    .map_err(err)?;
            }
            if !approved.is_empty() {
                store
                    .step(
                        approved,
                        Step::Approve,
                        DEMO_TASKFORCE,
                        &decided,
                        None,
                        deadline,
                    )
                    .await
                    .map_err(err)?;
            }
        }
        if last {
            break;
        }
        // Published: every December, and each of the last twelve months
        // before the one under way.
        let recent = {
            let months_back =
                (until.year() - month.year()) * 12 + until.month() as i32 - month.month() as i32;
            months_back <= 12
        };
        if month.month() == 12 || recent {
            let plan = state.plan();
            let me = anju_core::access::Actor::of(&plan, DEMO_TASKFORCE, Role::Taskforce, None);
            crate::service::publications::publish(
                state,
                &me,
                month,
                None,
                false,
                &reported_at(month, 6, 10),
            )
            .await
            .map_err(|e| e.to_string())?;
            loaded.published += 1;
        }
        month = match YearMonth::new(
            month.year() + i32::from(month.month() == 12),
            month.month() % 12 + 1,
        ) {
            Some(m) => m,
            None => break,
        };
    }
    loaded.supervision = supervision(store, &plan, now.date).await?;
    loaded.projects = projects(store, &plan, now.date).await?;
    loaded.work_items = work_items(store, &plan, now.date).await?;
    Ok(loaded)
}

/// A time `days` days before `today`, at `hour` o'clock.
fn days_ago(today: Date, days: i64, hour: u32) -> Now {
    let d = today.plus_days(-days);
    Now {
        date: d,
        stamp: format!("{d}T{hour:02}:00:00+08:00"),
    }
}

/// The demo's 督办 items, one of each colour: overdue (red), returned
/// (yellow), near its date (blue), answered and waiting for review, closed.
async fn supervision(
    store: &anju_store::Store,
    plan: &anju_core::plan::Plan,
    today: Date,
) -> Result<usize, String> {
    use anju_core::supervision::{SourceKind, Step, Urgency};
    let town = |k: usize| {
        let towns = &plan.orgs.get(plan.reporting_root).children;
        towns
            .get(k)
            .map(|&o| plan.orgs.get(o).name.clone())
            .unwrap_or_default()
    };
    let town_user = |k: usize| format!("demo-town-{:02}", k + 1);
    struct Demo<'a> {
        title: &'a str,
        source: SourceKind,
        reference: &'a str,
        urgency: Urgency,
        /// Made this many days ago, due this many days from today.
        made: i64,
        due: i64,
        units: Vec<(String, String)>,
    }
    let meeting = "安居专班第 11 次例会";
    let items = [
        Demo {
            title: "推进保障性租赁住房项目开工,落实用地和审批",
            source: SourceKind::Meeting,
            reference: meeting,
            urgency: Urgency::Urgent,
            made: 20,
            due: -3,
            units: vec![
                ("市住建局".into(), "demo-zhujian".into()),
                (town(4), town_user(4)),
            ],
        },
        Demo {
            title: "核实老旧小区改造台账,补齐 2000 年底前建成小区底数",
            source: SourceKind::Meeting,
            reference: meeting,
            urgency: Urgency::Normal,
            made: 8,
            due: 12,
            units: vec![(town(0), town_user(0))],
        },
        Demo {
            title: "完成公租房保障对象年度复核",
            source: SourceKind::Plan,
            reference: "重点任务 2:提升公租房保障能力",
            urgency: Urgency::Normal,
            made: 10,
            due: 2,
            units: vec![("市民政局".into(), "demo-minzheng".into())],
        },
        Demo {
            title: "报送既有住宅加装电梯年度计划",
            source: SourceKind::Instruction,
            reference: "分管副市长批示(海政办阅〔2026〕15 号)",
            urgency: Urgency::Immediate,
            made: 6,
            due: 9,
            units: vec![(town(1), town_user(1))],
        },
        Demo {
            title: "梳理未来社区创建申报清单",
            source: SourceKind::Meeting,
            reference: "安居专班第 10 次例会",
            urgency: Urgency::Normal,
            made: 40,
            due: -10,
            units: vec![(town(2), town_user(2))],
        },
    ];
    let mut made = 0;
    for (k, d) in items.iter().enumerate() {
        let names: Vec<String> = d.units.iter().map(|(u, _)| u.clone()).collect();
        let at = days_ago(today, d.made, 9);
        let item = store
            .create_supervision(
                &anju_store::NewSupervision {
                    title: d.title,
                    source: d.source,
                    source_date: (d.source != SourceKind::Plan).then_some(at.date),
                    source_ref: d.reference,
                    urgency: d.urgency,
                    due: today.plus_days(d.due),
                    units: &names,
                },
                DEMO_TASKFORCE,
                &at.stamp,
            )
            .await
            .map_err(err)?;
        made += 1;
        let (unit, user) = &d.units[0];
        let step =
            |step: Step, detail: serde_json::Value, percent: Option<i64>, by: String, days: i64| {
                let at = days_ago(today, days, 10);
                async move {
                    store
                        .supervision_step(
                            item.id,
                            unit,
                            step,
                            detail,
                            percent.map(rust_decimal::Decimal::from),
                            &by,
                            &at.stamp,
                        )
                        .await
                        .map_err(err)
                }
            };
        let fb = |text: &str, p: i64| serde_json::json!({"progress": text, "difficulties": "", "next_steps": "", "percent": p.to_string()});
        step(
            Step::Sign,
            serde_json::json!({}),
            None,
            user.clone(),
            d.made - 1,
        )
        .await?;
        match k {
            // Overdue: the lead reported 40 %, the town never signed.
            0 => {
                step(
                    Step::Report,
                    fb("已完成项目选址,正在办理用地预审", 40),
                    Some(40),
                    user.clone(),
                    8,
                )
                .await?;
            }
            // Returned: answered as done, sent back.
            1 => {
                step(
                    Step::Feedback,
                    fb("已完成台账核实", 100),
                    Some(100),
                    user.clone(),
                    3,
                )
                .await?;
                step(
                    Step::Return,
                    serde_json::json!({"note": "台账缺少 2000 年前建成的 6 个小区,请补齐后重新反馈"}),
                    None,
                    DEMO_TASKFORCE.to_string(),
                    2,
                )
                .await?;
            }
            // Near its date, on schedule.
            2 => {
                step(
                    Step::Report,
                    fb("已复核 860 户,剩余 120 户", 88),
                    Some(88),
                    user.clone(),
                    1,
                )
                .await?;
            }
            // Answered, waiting for review.
            3 => {
                step(
                    Step::Feedback,
                    fb("年度计划已报送,共 14 台", 100),
                    Some(100),
                    user.clone(),
                    1,
                )
                .await?;
            }
            // Closed.
            _ => {
                step(
                    Step::Feedback,
                    fb("清单已梳理完成", 100),
                    Some(100),
                    user.clone(),
                    15,
                )
                .await?;
                step(
                    Step::Accept,
                    serde_json::json!({"note": "同意办结"}),
                    None,
                    DEMO_TASKFORCE.to_string(),
                    14,
                )
                .await?;
            }
        }
    }
    Ok(made)
}

/// The demo's projects: an elevator on schedule with an approved photo
/// entry, an old-estate renovation whose first milestone has passed (red),
/// a rental-housing project in the pipeline.
async fn projects(
    store: &anju_store::Store,
    plan: &anju_core::plan::Plan,
    today: Date,
) -> Result<usize, String> {
    use anju_core::projects::{Stage, milestones, schedule_start};
    let town = |k: usize| {
        plan.orgs
            .get(plan.reporting_root)
            .children
            .get(k)
            .map(|&o| plan.orgs.get(o).name.clone())
            .unwrap_or_default()
    };
    let list = [
        (
            "文苑小区 3 幢加装电梯",
            "加装电梯",
            0usize,
            Stage::Building,
            80i64,
            "85.5",
            None,
        ),
        (
            "西山路老旧小区改造",
            "老旧小区改造",
            2,
            Stage::Building,
            200,
            "1260",
            None,
        ),
        (
            "许村镇人才公寓保障性租赁住房",
            "保障性租赁住房",
            4,
            Stage::Reserve,
            600,
            "18500",
            Some("0.032"),
        ),
    ];
    let mut made = 0;
    for (k, (name, kind, t, stage, days_left, invest, contribution)) in list.into_iter().enumerate()
    {
        let Some(ty) = plan.project_type(kind) else {
            continue;
        };
        let completion = today.plus_days(days_left);
        let mut ms = milestones(&ty.phases, completion);
        let start = schedule_start(&ty.phases, completion);
        let months: Vec<YearMonth> = {
            let mut out = Vec::new();
            let mut m = YearMonth::new(start.year, start.month);
            while let Some(x) = m {
                if (x.year(), x.month()) > (completion.year, completion.month) {
                    break;
                }
                out.push(x);
                m = YearMonth::new(x.year() + i32::from(x.month() == 12), x.month() % 12 + 1);
            }
            out
        };
        let total: rust_decimal::Decimal = invest.parse().map_err(err)?;
        let plan_months = crate::service::projects::spread(total, &months);
        let made_at = days_ago(today, 40, 9);
        let town_name = town(t);
        let p = store
            .create_project(
                &anju_store::NewProject {
                    name,
                    kind,
                    town: &town_name,
                    stage,
                    start,
                    planned_completion: completion,
                    planned_investment: total,
                    contribution: contribution
                        .map(str::parse)
                        .transpose()
                        .map_err(err)?
                        .or(ty.adds),
                    milestones: &ms,
                    plan: &plan_months,
                },
                DEMO_TASKFORCE,
                &made_at.stamp,
            )
            .await
            .map_err(err)?;
        made += 1;
        let user = format!("demo-town-{:02}", t + 1);
        // The elevator has met its milestones so far and reported with a photo.
        if k == 0 {
            for (pos, m) in ms.iter_mut().enumerate() {
                if m.planned <= today {
                    let at = days_ago(today, 2, 10);
                    store
                        .meet_project_milestone(p.id, pos, m.planned, &user, &at.stamp)
                        .await
                        .map_err(err)?;
                }
            }
            let taken = today.plus_days(-3);
            let jpeg = anju_reports::photo::jpeg_with_exif(
                960,
                720,
                &format!(
                    "{:04}:{:02}:{:02} 10:15:00",
                    taken.year, taken.month, taken.day
                ),
                Some((30.5306, 120.6881)),
            );
            let photo = anju_reports::photo::take("井道施工.jpg", &jpeg).map_err(err)?;
            let at = days_ago(today, 2, 16);
            let month = YearMonth::new(today.year, today.month).ok_or("无法确定当前月份")?;
            let p = store
                .add_project_progress(
                    p.id,
                    month,
                    rust_decimal::Decimal::from(45),
                    "井道土建完成,电梯设备已进场",
                    rust_decimal::Decimal::new(3850, 2),
                    &[],
                    &[anju_store::NewPhoto {
                        name: "井道施工.jpg",
                        taken: photo.taken.clone(),
                        place: photo.place,
                        width: photo.width,
                        height: photo.height,
                        image: &photo.image,
                        thumb: &photo.thumb,
                    }],
                    &user,
                    &at.stamp,
                )
                .await
                .map_err(err)?;
            if let Some(e) = p.progress.first() {
                store
                    .review_project_progress(
                        p.id,
                        e.id,
                        true,
                        None,
                        DEMO_TASKFORCE,
                        &days_ago(today, 1, 9).stamp,
                    )
                    .await
                    .map_err(err)?;
            }
        }
    }
    Ok(made)
}

/// The demo's work items of this year: one on time, one with a milestone
/// missed, one behind its 序时进度; each owner reported, the 专班 approved.
async fn work_items(
    store: &anju_store::Store,
    plan: &anju_core::plan::Plan,
    today: Date,
) -> Result<usize, String> {
    use anju_core::work::Step as WorkStep;
    let year = today
        .year
        .clamp(*plan.target_years().start(), *plan.target_years().end());
    let day = |m: u32, d: u32| Date {
        year,
        month: m,
        day: d,
    };
    let list = [
        (
            1,
            "出台保障性租赁住房运营管理办法",
            "demo-zhujian",
            vec![
                ("形成办法草案", day(6, 30), Some(day(6, 20))),
                ("印发实施", day(12, 31), None),
            ],
            90,
        ),
        (
            3,
            "完成年度老旧小区改造计划并开工",
            "demo-zhujian",
            vec![
                ("确定改造清单", day(3, 31), Some(day(3, 25))),
                ("全部开工", day(10, 31), None),
            ],
            80,
        ),
        (
            13,
            "扩大灵活就业人员住房公积金缴存覆盖",
            "demo-gjj",
            vec![("出台缴存办法", day(5, 31), Some(day(5, 28)))],
            55,
        ),
    ];
    let mut made = 0;
    for (task, title, user, steps, percent) in list {
        let Some(t) = plan.tasks.iter().find(|x| x.code == task) else {
            continue;
        };
        let owner = plan.orgs.get(t.lead).name.clone();
        let co: Vec<String> = t
            .co_units
            .iter()
            .map(|&o| plan.orgs.get(o).name.clone())
            .collect();
        let ws: Vec<WorkStep> = steps
            .iter()
            .map(|(n, due, _)| WorkStep {
                name: (*n).into(),
                due: *due,
                done: None,
            })
            .collect();
        let at = Now {
            date: day(1, 10),
            stamp: format!("{year:04}-01-10T09:00:00+08:00"),
        };
        let ids = store
            .create_work_items(
                &[anju_store::NewWorkItem {
                    task,
                    year,
                    title,
                    owner: &owner,
                    co_units: &co,
                    start: day(1, 10),
                    deadline: day(12, 31),
                    steps: &ws,
                }],
                DEMO_TASKFORCE,
                &at.stamp,
            )
            .await
            .map_err(err)?;
        let Some(&id) = ids.first() else { continue };
        made += 1;
        for (k, (_, _, done)) in steps.iter().enumerate() {
            if let Some(d) = done {
                store
                    .meet_work_milestone(id, k, *d, user, &format!("{d}T10:00:00+08:00"))
                    .await
                    .map_err(err)?;
            }
        }
        let month = YearMonth::new(today.year, today.month).ok_or("无法确定当前月份")?;
        let w = store
            .add_work_report(
                id,
                month,
                rust_decimal::Decimal::from(percent),
                "按计划推进,详见附件",
                &[],
                user,
                &days_ago(today, 1, 10).stamp,
            )
            .await
            .map_err(err)?;
        if let Some(r) = w.reports.first() {
            store
                .review_work_report(
                    id,
                    r.id,
                    true,
                    None,
                    DEMO_TASKFORCE,
                    &days_ago(today, 1, 18).stamp,
                )
                .await
                .map_err(err)?;
        }
    }
    Ok(made)
}

//! Reading a plan file (TOML) into a [`Plan`]. Owns the file's schema and every
//! check on it; each mistake is reported with the file, the line and the field,
//! and all mistakes are reported at once. Takes the text, never a path to open.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use rust_decimal::Decimal;
use serde::Deserialize;
use toml::Spanned;

use super::org::{Level, OrgId, OrgTree, OrgUnit};
use super::{
    Comparator, Domain, Frequency, Goal, Indicator, IndicatorCode, Kind, Meta, Milestone, Phase,
    Plan, ProjectType, Reporter, Section, Settings, Target, Task,
};
use crate::period::YearMonth;

/// One mistake in a plan file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanError {
    /// The file's name as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// The field, as a path (`indicator[code=4].targets.2024`).
    pub field: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.field, self.message
        )
    }
}

/// Every mistake found in a plan file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct PlanErrors(pub Vec<PlanError>);

impl fmt::Display for PlanErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::error::write_lines(f, &self.0)
    }
}

#[derive(Deserialize, Clone, Debug)]
#[serde(untagged)]
enum NumStr {
    Int(i64),
    Float(f64),
    Str(String),
}

impl NumStr {
    /// The text as written (floats through their shortest round-trip form, which
    /// gives back what was typed for up to 15 significant digits).
    fn text(&self) -> String {
        match self {
            NumStr::Int(i) => i.to_string(),
            NumStr::Float(f) => f.to_string(),
            NumStr::Str(s) => s.clone(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    plan: RawMeta,
    #[serde(default)]
    settings: RawSettings,
    #[serde(default)]
    text: BTreeMap<String, String>,
    #[serde(default)]
    domain: Vec<Spanned<RawDomain>>,
    #[serde(default)]
    indicator: Vec<Spanned<RawIndicator>>,
    #[serde(default)]
    section: Vec<Spanned<RawSection>>,
    #[serde(default)]
    task: Vec<Spanned<RawTask>>,
    #[serde(default)]
    safeguard: Vec<Spanned<RawSection>>,
    #[serde(default)]
    org_unit: Vec<Spanned<RawOrg>>,
    #[serde(default)]
    department: Vec<Spanned<RawDept>>,
    #[serde(default)]
    project_type: Vec<Spanned<RawProjectType>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProjectType {
    name: String,
    indicator: Option<Spanned<i64>>,
    adds: Option<Spanned<NumStr>>,
    #[serde(default)]
    phases: Vec<Spanned<RawPhase>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPhase {
    name: String,
    days: Spanned<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    id: String,
    name: String,
    brand: Option<String>,
    issuer: Option<String>,
    issued: Option<String>,
    baseline_year: Spanned<i32>,
    first_year: Spanned<i32>,
    last_year: Spanned<i32>,
    reporting_root: Spanned<String>,
    taskforce_unit: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    lagging_threshold: Option<Spanned<NumStr>>,
    report_deadline_day: Option<Spanned<i64>>,
    supervision_near_days: Option<Spanned<i64>>,
    behind_yellow_points: Option<Spanned<NumStr>>,
    behind_red_points: Option<Spanned<NumStr>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDomain {
    name: String,
    #[serde(default)]
    goal: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    code: Spanned<i64>,
    domain: Spanned<String>,
    name: String,
    unit: String,
    kind: Spanned<String>,
    multiplier: Option<Spanned<NumStr>>,
    numerator: Option<String>,
    denominator: Option<String>,
    #[serde(default)]
    share: Option<Spanned<bool>>,
    decimals: Option<Spanned<i64>>,
    baseline: Option<Spanned<NumStr>>,
    targets: Option<Spanned<BTreeMap<String, Spanned<NumStr>>>>,
    milestone: Option<Spanned<RawMilestone>>,
    seed_text: Option<String>,
    #[serde(default)]
    notes: Vec<String>,
    reported_by: Option<Spanned<String>>,
    frequency: Option<Spanned<String>>,
    due: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMilestone {
    deadline: Spanned<String>,
    target: Spanned<NumStr>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    code: Spanned<i64>,
    name: String,
    #[serde(default)]
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTask {
    code: Spanned<i64>,
    section: Spanned<i64>,
    name: String,
    lead: Spanned<String>,
    #[serde(default)]
    co_units: Vec<Spanned<String>>,
    #[serde(default = "yes")]
    towns_implement: bool,
    #[serde(default)]
    indicators: Vec<Spanned<i64>>,
    #[serde(default)]
    text: String,
    #[serde(default)]
    goal: Vec<Spanned<RawGoal>>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGoal {
    name: String,
    target: Option<Spanned<NumStr>>,
    unit: Option<String>,
    deadline: Option<Spanned<String>>,
    indicator: Option<Spanned<i64>>,
    #[serde(default)]
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrg {
    name: Spanned<String>,
    parent: Option<Spanned<String>>,
    level: Spanned<String>,
    full_name: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDept {
    name: Spanned<String>,
    full_name: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    parent: Option<Spanned<String>>,
    #[serde(default = "yes")]
    in_annex: bool,
}

/// Collects errors with their place.
struct Errs<'a> {
    file: &'a str,
    line_starts: Vec<usize>,
    list: Vec<PlanError>,
}

impl<'a> Errs<'a> {
    fn new(file: &'a str, src: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Errs {
            file,
            line_starts,
            list: Vec::new(),
        }
    }
    fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset)
    }
    fn at(
        &mut self,
        span: std::ops::Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        let line = self.line(span.start);
        self.list.push(PlanError {
            file: self.file.to_string(),
            line,
            field: field.into(),
            message: message.into(),
        });
    }
}

/// A yearly indicator's due date in the year after: "MM-DD", a day every
/// year has (no 29 February).
fn parse_due(s: &str) -> Option<(u32, u32)> {
    let (m, d) = s.trim().split_once('-')?;
    let (m, d): (u32, u32) = (m.parse().ok()?, d.parse().ok()?);
    const DAYS: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    ((1..=12).contains(&m) && d >= 1 && d <= DAYS[(m - 1) as usize]).then_some((m, d))
}

fn parse_kind(s: &str) -> Option<Kind> {
    Some(match s {
        "cumulative" => Kind::Cumulative,
        "stock" => Kind::Stock,
        "flow" => Kind::Flow,
        "ratio" => Kind::Ratio,
        "milestone" => Kind::Milestone,
        _ => return None,
    })
}

fn parse_level(s: &str) -> Option<Level> {
    Some(match s {
        "province" => Level::Province,
        "city" => Level::City,
        "county" => Level::County,
        "town" => Level::Town,
        "subdistrict" => Level::Subdistrict,
        _ => return None,
    })
}

/// Reads a plan from the text of a plan file. `file` names it in errors.
pub fn load(file: &str, src: &str) -> Result<Plan, PlanErrors> {
    let mut errs = Errs::new(file, src);
    let raw: RawPlan = match toml::from_str(src) {
        Ok(r) => r,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let line = errs.line(span.start);
            let text = src.lines().nth(line.saturating_sub(1)).unwrap_or("").trim();
            let field = text.split('=').next().unwrap_or("").trim().to_string();
            let field = if field.is_empty() {
                "(文件结构)".to_string()
            } else {
                field
            };
            let msg = e.message().replace('\n', " ");
            errs.at(span, field, format!("TOML 格式错误:{msg}"));
            return Err(PlanErrors(errs.list));
        }
    };
    let plan = build(raw, &mut errs);
    if errs.list.is_empty() {
        plan.ok_or(PlanErrors(errs.list))
    } else {
        errs.list.sort_by_key(|e| e.line);
        Err(PlanErrors(errs.list))
    }
}

fn decimal(errs: &mut Errs, v: &Spanned<NumStr>, field: &str) -> Option<Decimal> {
    let text = v.get_ref().text();
    let d = crate::num::parse_plan_decimal(text.trim_end_matches(['%', '%']));
    if d.is_none() {
        errs.at(v.span(), field, format!("不是有效的数字“{text}”"));
    }
    d
}

/// A unit of the geographic tree (not a department) by name.
fn geographic(orgs: &OrgTree, name: &str) -> Option<OrgId> {
    orgs.resolve(name)
        .ok()
        .filter(|&id| orgs.get(id).level != Level::Department)
}

fn build(raw: RawPlan, errs: &mut Errs) -> Option<Plan> {
    let m = &raw.plan;
    let (by, fy, ly) = (
        *m.baseline_year.get_ref(),
        *m.first_year.get_ref(),
        *m.last_year.get_ref(),
    );
    let years_ok = (crate::period::MIN_YEAR..=crate::period::MAX_YEAR).contains(&by)
        && by < fy
        && fy <= ly
        && ly <= crate::period::MAX_YEAR
        && ly - fy < 100;
    if !years_ok {
        errs.at(
            m.baseline_year.span(),
            "plan.baseline_year",
            "须满足 baseline_year < first_year ≤ last_year(年份在 1900—2999 之间)",
        );
    }
    let meta = Meta {
        id: m.id.clone(),
        name: m.name.clone(),
        brand: m.brand.clone(),
        issuer: m.issuer.clone(),
        issued: m.issued.clone(),
        baseline_year: by,
        first_year: fy,
        last_year: ly,
    };

    // Settings.
    let mut settings = Settings {
        lagging_threshold: Decimal::new(10, 2),
        report_deadline_day: 5,
        supervision_near_days: 3,
        behind_yellow_points: Decimal::from(10),
        behind_red_points: Decimal::from(30),
    };
    if let Some(t) = &raw.settings.lagging_threshold
        && let Some(d) = decimal(errs, t, "settings.lagging_threshold")
    {
        if d.is_sign_negative() || d > Decimal::ONE {
            errs.at(
                t.span(),
                "settings.lagging_threshold",
                "须在 0 与 1 之间(0.10 即 10 个百分点)",
            );
        }
        settings.lagging_threshold = d;
    }
    if let Some(d) = &raw.settings.report_deadline_day {
        match u8::try_from(*d.get_ref()) {
            Ok(v) if (1..=28).contains(&v) => settings.report_deadline_day = v,
            _ => errs.at(
                d.span(),
                "settings.report_deadline_day",
                "须为 1—28 之间的日期",
            ),
        }
    }

    if let Some(d) = &raw.settings.supervision_near_days {
        match u8::try_from(*d.get_ref()) {
            Ok(v) if (1..=30).contains(&v) => settings.supervision_near_days = v,
            _ => errs.at(
                d.span(),
                "settings.supervision_near_days",
                "须为 1—30 之间的天数",
            ),
        }
    }
    for (raw_points, field) in [
        (
            &raw.settings.behind_yellow_points,
            "settings.behind_yellow_points",
        ),
        (
            &raw.settings.behind_red_points,
            "settings.behind_red_points",
        ),
    ] {
        if let Some(t) = raw_points
            && let Some(d) = decimal(errs, t, field)
        {
            if d.is_sign_negative() || d > Decimal::from(100) {
                errs.at(t.span(), field, "须在 0 与 100 之间(百分点)");
            } else if field.ends_with("yellow_points") {
                settings.behind_yellow_points = d;
            } else {
                settings.behind_red_points = d;
            }
        }
    }
    if settings.behind_red_points < settings.behind_yellow_points
        && let Some(t) = &raw.settings.behind_red_points
    {
        errs.at(
            t.span(),
            "settings.behind_red_points",
            "红灯的落后百分点不能小于黄灯的",
        );
    }

    // Org units, parents first.
    let mut orgs = OrgTree::default();
    for (i, o) in raw.org_unit.iter().enumerate() {
        let o = o.get_ref();
        let field = format!("org_unit[{}]", o.name.get_ref());
        let Some(level) = parse_level(o.level.get_ref()) else {
            errs.at(
                o.level.span(),
                format!("{field}.level"),
                format!(
                    "未知的层级“{}”(应为 province、city、county、town 或 subdistrict)",
                    o.level.get_ref()
                ),
            );
            continue;
        };
        let parent = match &o.parent {
            None => None,
            Some(p) => match geographic(&orgs, p.get_ref()) {
                Some(id) => Some(id),
                None => {
                    errs.at(
                        p.span(),
                        format!("{field}.parent"),
                        format!("上级单位“{}”未定义(须在本单位之前列出)", p.get_ref()),
                    );
                    continue;
                }
            },
        };
        if o.name.get_ref().trim().is_empty() {
            errs.at(o.name.span(), format!("org_unit[{i}].name"), "名称不能为空");
            continue;
        }
        let dup = parent.is_some_and(|p| {
            orgs.get(p)
                .children
                .iter()
                .any(|&c| orgs.get(c).name == *o.name.get_ref())
        }) || (parent.is_none() && orgs.contains_name(o.name.get_ref()));
        if dup {
            errs.at(o.name.span(), format!("{field}.name"), "单位重复定义");
            continue;
        }
        orgs.push(OrgUnit {
            name: o.name.get_ref().trim().to_string(),
            full_name: o.full_name.clone(),
            aliases: o.aliases.clone(),
            level,
            parent,
            children: Vec::new(),
            in_annex: true,
        });
    }
    let root = match geographic(&orgs, m.reporting_root.get_ref()) {
        Some(id) => Some(id),
        None => {
            errs.at(
                m.reporting_root.span(),
                "plan.reporting_root",
                format!(
                    "填报范围的根单位“{}”不在 org_unit 中",
                    m.reporting_root.get_ref()
                ),
            );
            None
        }
    };
    for d in &raw.department {
        let d = d.get_ref();
        let field = format!("department[{}]", d.name.get_ref());
        let parent = match &d.parent {
            None => root,
            Some(p) => match geographic(&orgs, p.get_ref()) {
                Some(id) => Some(id),
                None => {
                    errs.at(
                        p.span(),
                        format!("{field}.parent"),
                        format!("所属单位“{}”未定义", p.get_ref()),
                    );
                    continue;
                }
            },
        };
        let names = std::iter::once(d.name.get_ref())
            .chain(d.full_name.iter())
            .chain(d.aliases.iter());
        let taken: Vec<&String> = names.filter(|n| orgs.contains_name(n)).collect();
        if !taken.is_empty() {
            let list: Vec<&str> = taken.iter().map(|s| s.as_str()).collect();
            errs.at(
                d.name.span(),
                format!("{field}.name"),
                format!("名称或别名已被其他单位使用:{}", list.join("、")),
            );
            continue;
        }
        orgs.push(OrgUnit {
            name: d.name.get_ref().trim().to_string(),
            full_name: d.full_name.clone(),
            aliases: d.aliases.clone(),
            level: Level::Department,
            parent,
            children: Vec::new(),
            in_annex: d.in_annex,
        });
    }
    let taskforce_unit = m
        .taskforce_unit
        .as_ref()
        .and_then(|t| match orgs.resolve(t.get_ref()) {
            Ok(id) => Some(id),
            Err(e) => {
                errs.at(t.span(), "plan.taskforce_unit", e.to_string());
                None
            }
        });

    // Domains.
    let domains: Vec<Domain> = raw
        .domain
        .iter()
        .map(|d| Domain {
            name: d.get_ref().name.clone(),
            goal: d.get_ref().goal.clone(),
        })
        .collect();
    let mut seen = BTreeSet::new();
    for d in &raw.domain {
        if !seen.insert(d.get_ref().name.clone()) {
            errs.at(
                d.span(),
                format!("domain[{}]", d.get_ref().name),
                "领域重复定义",
            );
        }
    }

    // Sections and safeguards.
    let sections = sections_of(errs, &raw.section, "section");
    let safeguards = sections_of(errs, &raw.safeguard, "safeguard");

    // Indicators.
    let mut indicators = Vec::new();
    let mut codes = BTreeSet::new();
    for ri in &raw.indicator {
        let span = ri.span();
        let r = ri.get_ref();
        let code = match u16::try_from(*r.code.get_ref()) {
            Ok(c) if c >= 1 => c,
            _ => {
                errs.at(r.code.span(), "indicator.code", "指标序号须为正整数");
                continue;
            }
        };
        let f = |name: &str| format!("indicator[code={code}].{name}");
        if !codes.insert(code) {
            errs.at(r.code.span(), f("code"), format!("指标序号 {code} 重复"));
        }
        if !domains.is_empty() && !domains.iter().any(|d| d.name == *r.domain.get_ref()) {
            errs.at(
                r.domain.span(),
                f("domain"),
                format!("未定义的领域“{}”", r.domain.get_ref()),
            );
        }
        let Some(kind) = parse_kind(r.kind.get_ref()) else {
            errs.at(
                r.kind.span(),
                f("kind"),
                format!(
                    "未知的指标类型“{}”(应为 cumulative、stock、flow、ratio 或 milestone)",
                    r.kind.get_ref()
                ),
            );
            continue;
        };
        let multiplier = r
            .multiplier
            .as_ref()
            .and_then(|mu| decimal(errs, mu, &f("multiplier")));
        if kind == Kind::Ratio {
            match (&r.multiplier, multiplier) {
                (None, _) => errs.at(
                    span.clone(),
                    f("multiplier"),
                    "比率指标须写明 multiplier(百分比为 100)",
                ),
                (Some(mu), Some(v)) if v <= Decimal::ZERO => {
                    errs.at(mu.span(), f("multiplier"), "须大于 0")
                }
                _ => {}
            }
        } else if let Some(mu) = &r.multiplier {
            errs.at(
                mu.span(),
                f("multiplier"),
                "只有比率指标(kind = \"ratio\")有 multiplier",
            );
        }
        let share = match &r.share {
            Some(sh) if *sh.get_ref() && !(kind == Kind::Ratio && r.unit == "%") => {
                errs.at(
                    sh.span(),
                    f("share"),
                    "只有百分比的比率指标(kind = \"ratio\",unit = \"%\")可以是占比(share)",
                );
                false
            }
            Some(sh) => *sh.get_ref(),
            None => false,
        };
        let decimals = match &r.decimals {
            None => 2,
            Some(d) => match u32::try_from(*d.get_ref()) {
                Ok(v) if v <= 10 => v,
                _ => {
                    errs.at(d.span(), f("decimals"), "显示小数位须在 0—10 之间");
                    2
                }
            },
        };
        let baseline = match &r.baseline {
            None => None,
            Some(b) => match Target::parse(&b.get_ref().text()) {
                Ok(Some(t)) if t.comparator == Comparator::AtLeast => Some(t.value),
                Ok(None) => None,
                _ => {
                    errs.at(
                        b.span(),
                        f("baseline"),
                        format!("不是有效的现状值“{}”", b.get_ref().text()),
                    );
                    None
                }
            },
        };
        let mut targets = BTreeMap::new();
        if let Some(ts) = &r.targets {
            if kind == Kind::Milestone {
                errs.at(
                    ts.span(),
                    f("targets"),
                    "节点目标指标没有逐年目标,请用 milestone",
                );
            }
            for (year, v) in ts.get_ref() {
                let y = match year.parse::<i32>() {
                    Ok(y) if (fy..=ly).contains(&y) => y,
                    _ => {
                        errs.at(
                            v.span(),
                            f(&format!("targets.{year}")),
                            format!("年份须在 {fy}—{ly} 之间"),
                        );
                        continue;
                    }
                };
                match Target::parse(&v.get_ref().text()) {
                    Ok(t) => {
                        targets.insert(y, t);
                    }
                    Err(msg) => errs.at(v.span(), f(&format!("targets.{year}")), msg),
                }
            }
        } else if kind != Kind::Milestone {
            errs.at(span.clone(), f("targets"), "缺少逐年目标 targets");
        }
        let milestone = match (&r.milestone, kind) {
            (Some(ms), Kind::Milestone) => {
                let ms_ref = ms.get_ref();
                let deadline = match YearMonth::parse(ms_ref.deadline.get_ref()) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        errs.at(
                            ms_ref.deadline.span(),
                            f("milestone.deadline"),
                            e.to_string(),
                        );
                        None
                    }
                };
                let target = match Target::parse(&ms_ref.target.get_ref().text()) {
                    Ok(Some(t)) => Some(t),
                    Ok(None) => {
                        errs.at(
                            ms_ref.target.span(),
                            f("milestone.target"),
                            "节点目标须有目标值",
                        );
                        None
                    }
                    Err(msg) => {
                        errs.at(ms_ref.target.span(), f("milestone.target"), msg);
                        None
                    }
                };
                deadline
                    .zip(target)
                    .map(|(deadline, target)| Milestone { deadline, target })
            }
            (None, Kind::Milestone) => {
                errs.at(
                    span.clone(),
                    f("milestone"),
                    "节点目标指标须写明 milestone = { deadline, target }",
                );
                None
            }
            (Some(ms), _) => {
                errs.at(
                    ms.span(),
                    f("milestone"),
                    "只有 kind = \"milestone\" 的指标有 milestone",
                );
                None
            }
            (None, _) => None,
        };
        let reporter = match &r.reported_by {
            None => Reporter::Towns,
            Some(rb) if rb.get_ref().trim() == "towns" => Reporter::Towns,
            Some(rb) => match orgs.resolve(rb.get_ref()) {
                Ok(d)
                    if orgs.get(d).level == Level::Department
                        && root.is_some_and(|root| {
                            orgs.get(d).parent.is_some_and(|p| orgs.is_within(p, root))
                        }) =>
                {
                    Reporter::Unit(d)
                }
                Ok(_) => {
                    errs.at(
                        rb.span(),
                        f("reported_by"),
                        format!(
                            "“{}”不是填报范围内的部门(reported_by 应为 \"towns\" 或一个部门)",
                            rb.get_ref()
                        ),
                    );
                    Reporter::Towns
                }
                Err(e) => {
                    errs.at(rb.span(), f("reported_by"), e.to_string());
                    Reporter::Towns
                }
            },
        };
        let frequency = match r.frequency.as_ref().map(|x| x.get_ref().trim()) {
            None | Some("monthly") => {
                if let Some(d) = &r.due {
                    errs.at(
                        d.span(),
                        f("due"),
                        "只有每年报送(frequency = \"yearly\")的指标有 due",
                    );
                }
                Frequency::Monthly
            }
            Some("yearly") => match &r.due {
                None => Frequency::Yearly {
                    due_month: 1,
                    due_day: u32::from(settings.report_deadline_day),
                },
                Some(d) => match parse_due(d.get_ref()) {
                    Some((due_month, due_day)) => Frequency::Yearly { due_month, due_day },
                    None => {
                        errs.at(
                            d.span(),
                            f("due"),
                            format!(
                                "不是有效的报送日期“{}”(应为次年的 月-日,如 \"03-31\")",
                                d.get_ref()
                            ),
                        );
                        Frequency::Monthly
                    }
                },
            },
            Some(other) => {
                if let Some(fr) = &r.frequency {
                    errs.at(
                        fr.span(),
                        f("frequency"),
                        format!("未知的报送频次“{other}”(应为 monthly 或 yearly)"),
                    );
                }
                Frequency::Monthly
            }
        };
        indicators.push(Indicator {
            code: IndicatorCode(code),
            domain: r.domain.get_ref().clone(),
            name: r.name.clone(),
            unit: r.unit.clone(),
            kind,
            multiplier,
            numerator: r.numerator.clone(),
            denominator: r.denominator.clone(),
            share,
            decimals,
            tasks: Vec::new(),
            baseline,
            targets,
            milestone,
            seed_text: r.seed_text.clone(),
            notes: r.notes.clone(),
            reporter,
            frequency,
        });
    }
    indicators.sort_by_key(|i| i.code);

    // Tasks.
    let mut tasks: Vec<Task> = Vec::new();
    for rt in &raw.task {
        let r = rt.get_ref();
        let code = match u16::try_from(*r.code.get_ref()) {
            Ok(c) if c >= 1 => c,
            _ => {
                errs.at(r.code.span(), "task.code", "任务序号须为正整数");
                continue;
            }
        };
        let f = |name: &str| format!("task[code={code}].{name}");
        if tasks.iter().any(|t| t.code == code) {
            errs.at(r.code.span(), f("code"), format!("任务序号 {code} 重复"));
        }
        let section = u16::try_from(*r.section.get_ref()).unwrap_or(0);
        if !sections.is_empty() && !sections.iter().any(|s| s.code == section) {
            errs.at(
                r.section.span(),
                f("section"),
                format!("未定义的任务分组 {}", r.section.get_ref()),
            );
        }
        let mut unit = |s: &Spanned<String>, field: String| match orgs.resolve(s.get_ref()) {
            Ok(id) => Some(id),
            Err(e) => {
                errs.at(s.span(), field, e.to_string());
                None
            }
        };
        let lead = unit(&r.lead, f("lead"));
        let co_units: Vec<OrgId> = r
            .co_units
            .iter()
            .enumerate()
            .filter_map(|(i, c)| unit(c, f(&format!("co_units[{i}]"))))
            .collect();
        let mut task_indicators = Vec::new();
        for c in &r.indicators {
            let known = u16::try_from(*c.get_ref())
                .ok()
                .filter(|c| codes.contains(c));
            match known {
                Some(c) => task_indicators.push(IndicatorCode(c)),
                None => errs.at(
                    c.span(),
                    f("indicators"),
                    format!("未定义的指标序号 {}", c.get_ref()),
                ),
            }
        }
        let mut goals = Vec::new();
        for g in &r.goal {
            let g = g.get_ref();
            let gf = |name: &str| f(&format!("goal[{}].{name}", g.name));
            let target = match &g.target {
                None => None,
                Some(t) => match Target::parse(&t.get_ref().text()) {
                    Ok(v) => v,
                    Err(msg) => {
                        errs.at(t.span(), gf("target"), msg);
                        None
                    }
                },
            };
            let deadline = match &g.deadline {
                None => None,
                Some(d) => match YearMonth::parse(d.get_ref()) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        errs.at(d.span(), gf("deadline"), e.to_string());
                        None
                    }
                },
            };
            let indicator = match &g.indicator {
                None => None,
                Some(c) => {
                    let known = u16::try_from(*c.get_ref())
                        .ok()
                        .filter(|c| codes.contains(c));
                    if known.is_none() {
                        errs.at(
                            c.span(),
                            gf("indicator"),
                            format!("未定义的指标序号 {}", c.get_ref()),
                        );
                    }
                    known.map(IndicatorCode)
                }
            };
            goals.push(Goal {
                name: g.name.clone(),
                target,
                unit: g.unit.clone(),
                deadline,
                indicator,
                source: g.source.clone(),
            });
        }
        if let Some(lead) = lead {
            tasks.push(Task {
                code,
                section,
                name: r.name.clone(),
                lead,
                co_units,
                towns_implement: r.towns_implement,
                indicators: task_indicators,
                text: r.text.clone(),
                goals,
            });
        }
    }
    tasks.sort_by_key(|t| t.code);
    for t in &tasks {
        for c in &t.indicators {
            if let Some(i) = indicators.iter_mut().find(|i| i.code == *c) {
                i.tasks.push(t.code);
            }
        }
    }

    let root = root?;
    let reporting = orgs.subtree(root);
    let mut text = raw.text;
    text.retain(|_, v| !v.is_empty());
    let project_types = project_types_of(errs, &raw.project_type, &indicators);
    Some(Plan {
        project_types,
        meta,
        settings,
        text,
        domains,
        indicators,
        sections,
        tasks,
        safeguards,
        orgs,
        reporting_root: root,
        reporting,
        taskforce_unit,
    })
}

fn project_types_of(
    errs: &mut Errs,
    raw: &[Spanned<RawProjectType>],
    indicators: &[Indicator],
) -> Vec<ProjectType> {
    let mut out: Vec<ProjectType> = Vec::new();
    for t in raw {
        let r = t.get_ref();
        let field = format!("project_type[{}]", r.name);
        if r.name.trim().is_empty() || out.iter().any(|x| x.name == r.name.trim()) {
            errs.at(
                t.span(),
                format!("{field}.name"),
                "项目类型须有不重复的名称",
            );
            continue;
        }
        let indicator = match &r.indicator {
            None => None,
            Some(c) => {
                let code = u16::try_from(*c.get_ref()).ok();
                match code.and_then(|k| indicators.iter().find(|i| i.code.0 == k)) {
                    Some(i) if i.kind == Kind::Ratio => {
                        errs.at(
                            c.span(),
                            format!("{field}.indicator"),
                            "比率指标不能由项目竣工直接累加,请不设 indicator",
                        );
                        None
                    }
                    Some(i) => Some(i.code),
                    None => {
                        errs.at(c.span(), format!("{field}.indicator"), "没有这个指标");
                        None
                    }
                }
            }
        };
        let adds = r
            .adds
            .as_ref()
            .and_then(|a| decimal(errs, a, &format!("{field}.adds")));
        if adds.is_some() && indicator.is_none() {
            errs.at(
                t.span(),
                format!("{field}.adds"),
                "设了 adds 须同时设 indicator",
            );
        }
        let mut phases = Vec::new();
        for ph in &r.phases {
            let p = ph.get_ref();
            match u32::try_from(*p.days.get_ref()) {
                Ok(d) if (1..=3650).contains(&d) && !p.name.trim().is_empty() => {
                    phases.push(Phase {
                        name: p.name.trim().to_string(),
                        days: d,
                    })
                }
                _ => errs.at(
                    p.days.span(),
                    format!("{field}.phases"),
                    "每个阶段须有名称和 1—3650 天的工期",
                ),
            }
        }
        if phases.is_empty() {
            errs.at(
                t.span(),
                format!("{field}.phases"),
                "须列出至少一个阶段(倒排工期)",
            );
        }
        out.push(ProjectType {
            name: r.name.trim().to_string(),
            indicator,
            adds,
            phases,
        });
    }
    out
}

fn sections_of(errs: &mut Errs, raw: &[Spanned<RawSection>], what: &str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    for s in raw {
        let r = s.get_ref();
        match u16::try_from(*r.code.get_ref()) {
            Ok(code) if code >= 1 && !out.iter().any(|x| x.code == code) => out.push(Section {
                code,
                name: r.name.clone(),
                text: r.text.clone(),
            }),
            _ => errs.at(
                r.code.span(),
                format!("{what}.code"),
                "序号须为不重复的正整数",
            ),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = r#"
[plan]
id = "t"
name = "测试"
baseline_year = 2022
first_year = 2023
last_year = 2024
reporting_root = "甲市"

[[org_unit]]
name = "甲市"
level = "county"

[[org_unit]]
name = "一镇"
parent = "甲市"
level = "town"

[[department]]
name = "市住建局"

[[indicator]]
code = 1
domain = "住房保障"
name = "测试指标"
unit = "个"
kind = "cumulative"
baseline = 1
targets = { 2023 = "2", 2024 = ">3" }

[[task]]
code = 1
section = 1
name = "任务"
lead = "市住建局"
indicators = [1]
"#;

    #[test]
    fn a_small_plan_loads() {
        let p = load("mini.toml", MINI).unwrap();
        assert_eq!(p.indicators.len(), 1);
        assert_eq!(p.indicators[0].tasks, vec![1]);
        assert_eq!(p.reporting.len(), 2);
        assert_eq!(
            p.indicators[0].targets[&2024].unwrap().comparator,
            Comparator::Above
        );
    }

    fn errors_of(src: &str) -> Vec<String> {
        load("mini.toml", src)
            .unwrap_err()
            .0
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn only_a_percentage_ratio_may_be_a_share() {
        let bad = MINI.replace(
            "kind = \"cumulative\"",
            "kind = \"cumulative\"\nshare = true",
        );
        let errs = errors_of(&bad);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].contains("indicator[code=1].share"), "{errs:?}");
        // The built-in plan's five shares: 1, 6, 10, 12, 13.
        let plan = crate::builtin_plan().unwrap();
        let shares: Vec<u16> = plan
            .indicators
            .iter()
            .filter(|i| i.share)
            .map(|i| i.code.0)
            .collect();
        assert_eq!(shares, [1, 6, 10, 12, 13]);
    }

    #[test]
    fn who_reports_what_is_checked() {
        let with = |extra: &str| {
            MINI.replace(
                "kind = \"cumulative\"",
                &format!("kind = \"cumulative\"\n{extra}"),
            )
        };
        // A department reports the city's figure; the towns report by default.
        let plan = load("mini.toml", &with("reported_by = \"市住建局\"")).unwrap();
        let city = plan.orgs.resolve("甲市").unwrap();
        let town = plan.orgs.resolve("一镇").unwrap();
        let dept = plan.orgs.resolve("市住建局").unwrap();
        assert_eq!(plan.indicators[0].reporter, Reporter::Unit(dept));
        assert_eq!(plan.reporter_of(0, city), Some(dept));
        assert_eq!(plan.reporter_of(0, town), None);
        let towns = load("mini.toml", MINI).unwrap();
        assert_eq!(towns.reporter_of(0, town), Some(town));
        assert_eq!(towns.reporter_of(0, city), None, "the city's is the sum");
        assert!(towns.unreported_why(0, city).unwrap().contains("下级汇总"));
        // Mistakes, each named by its field.
        for (extra, field, words) in [
            (
                "reported_by = \"一镇\"",
                "reported_by",
                "不是填报范围内的部门",
            ),
            ("reported_by = \"市无此局\"", "reported_by", "市无此局"),
            ("frequency = \"weekly\"", "frequency", "未知的报送频次"),
            (
                "frequency = \"yearly\"\ndue = \"02-30\"",
                "due",
                "不是有效的报送日期",
            ),
            ("due = \"03-31\"", "due", "只有每年报送"),
        ] {
            let errs = errors_of(&with(extra));
            assert_eq!(errs.len(), 1, "{extra}: {errs:?}");
            assert!(
                errs[0].contains(&format!("indicator[code=1].{field}")) && errs[0].contains(words),
                "{extra}: {errs:?}"
            );
        }
        // Yearly: due on its own date of the year after, in December only.
        let yearly = load(
            "mini.toml",
            &with("frequency = \"yearly\"\ndue = \"03-31\""),
        )
        .unwrap();
        let period = crate::period::Period::parse("2024-12").unwrap();
        let due = yearly.deadline(0, period);
        assert_eq!((due.year, due.month, due.day), (2025, 3, 31));
        let ym = |m| crate::period::YearMonth::new(2024, m).unwrap();
        assert!(yearly.is_due(0, ym(12)) && !yearly.is_due(0, ym(6)));
        assert!(towns.is_due(0, ym(6)));
        // The built-in plan: the towns report 1–13 monthly; 市住建局 the city's
        // 14 and 海宁公积金分中心 its 15, once a year.
        let plan = crate::builtin_plan().unwrap();
        let owners: Vec<String> = plan
            .indicators
            .iter()
            .enumerate()
            .map(|(ix, i)| {
                format!(
                    "{}:{}:{}",
                    i.code,
                    plan.reporter_name(ix),
                    i.frequency.label()
                )
            })
            .collect();
        assert_eq!(owners[0], "1:各镇(街道):每月");
        assert_eq!(owners[12], "13:各镇(街道):每月");
        assert_eq!(
            &owners[13..],
            ["14:市住建局:每年", "15:海宁公积金分中心:每年"]
        );
    }

    #[test]
    fn a_wrong_kind_names_file_line_and_field() {
        let bad = MINI.replace("kind = \"cumulative\"", "kind = \"cumulativ\"");
        let errs = errors_of(&bad);
        assert_eq!(errs.len(), 1, "{errs:?}");
        let line = MINI.lines().position(|l| l.starts_with("kind =")).unwrap() + 1;
        assert!(
            errs[0].starts_with(&format!(
                "mini.toml:{line}: indicator[code=1].kind: 未知的指标类型"
            )),
            "{errs:?}"
        );
    }

    #[test]
    fn every_mistake_is_reported_at_once() {
        let bad = MINI
            .replace("2024 = \">3\"", "2024 = \"<3\", 2030 = \"5\"")
            .replace("lead = \"市住建局\"", "lead = \"市不存在局\"");
        let errs = errors_of(&bad);
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(
            errs.iter()
                .any(|e| e.contains("targets.2024") && e.contains("不支持的比较符"))
        );
        assert!(
            errs.iter()
                .any(|e| e.contains("targets.2030") && e.contains("年份须在"))
        );
        assert!(
            errs.iter()
                .any(|e| e.contains("task[code=1].lead") && e.contains("市不存在局"))
        );
    }

    #[test]
    fn toml_syntax_errors_and_unknown_fields_have_a_line() {
        let bad = MINI.replace("unit = \"个\"", "unit = \"个\"\nunits = \"x\"");
        let errs = errors_of(&bad);
        let line = bad.lines().position(|l| l.starts_with("units =")).unwrap() + 1;
        assert!(
            errs[0].starts_with(&format!("mini.toml:{line}: units: TOML 格式错误")),
            "{errs:?}"
        );
        let errs = errors_of("[plan\nid=1");
        assert!(errs[0].starts_with("mini.toml:1:"), "{errs:?}");
    }
}

//! The plan (实施方案) as data: its indicators with kinds and yearly targets,
//! tasks with lead and co-units, safeguards, settings and org units. [`load`]
//! builds it from a plan file and checks it: every unit a task names exists,
//! every code is unique, every target parses. Its fields are public to read;
//! code that builds or changes a `Plan` by hand must keep those invariants.

mod file;
pub mod org;

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;

pub use file::{PlanError, PlanErrors, load};
pub use org::{Level, OrgId, OrgTree, OrgUnit, ResolveError};

use crate::num::Exact;
use crate::period::YearMonth;

/// An indicator's code: its 序号 in the plan's target table (1–15 for Haining).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndicatorCode(pub u16);

impl fmt::Display for IndicatorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// How an indicator's value behaves over time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// 累计 — a running total since before the plan.
    Cumulative,
    /// 存量 — a level at a point in time.
    Stock,
    /// 本年累计 — a count within one calendar year, reported year-to-date.
    Flow,
    /// 比率 — numerator / denominator × multiplier.
    Ratio,
    /// 节点目标 — reach a value by a deadline; no yearly targets.
    Milestone,
}

impl Kind {
    /// Whether a higher level's actual is the sum of its children's.
    pub fn sums(self) -> bool {
        !matches!(self, Kind::Ratio)
    }
    /// The Chinese word.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Cumulative => "累计值",
            Kind::Stock => "存量值",
            Kind::Flow => "本年累计值",
            Kind::Ratio => "比率",
            Kind::Milestone => "节点目标",
        }
    }
    /// The name used in plan files and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Cumulative => "cumulative",
            Kind::Stock => "stock",
            Kind::Flow => "flow",
            Kind::Ratio => "ratio",
            Kind::Milestone => "milestone",
        }
    }
}

/// How an actual is compared with its target. Higher is better for every
/// indicator of the plan, so only `>=` and `>` exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparator {
    /// At least the target (the default).
    AtLeast,
    /// Strictly above the target (the seed's `>1.48`).
    Above,
}

impl Comparator {
    /// The symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::AtLeast => ">=",
            Comparator::Above => ">",
        }
    }
    /// The symbol as people read it.
    pub fn label(self) -> &'static str {
        match self {
            Comparator::AtLeast => "≥",
            Comparator::Above => ">",
        }
    }
}

/// A target: a value and how the actual must compare with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// The value, in the indicator's display unit.
    pub value: Decimal,
    /// `>=` or `>`.
    pub comparator: Comparator,
}

impl Target {
    /// Whether `actual` meets this target.
    pub fn is_met_by(&self, actual: &Exact) -> bool {
        let t = Exact::from(self.value);
        match self.comparator {
            Comparator::AtLeast => *actual >= t,
            Comparator::Above => *actual > t,
        }
    }

    /// Parses `2.99`, `>=2.99`, `≥2.99`, `>1.48`; `None` for `/` (no value).
    pub fn parse(s: &str) -> Result<Option<Target>, String> {
        let s = s.trim();
        if matches!(s, "/" | "\u{FF0F}" | "-" | "") {
            return Ok(None);
        }
        let (comparator, rest) =
            if let Some(r) = s.strip_prefix(">=").or_else(|| s.strip_prefix('≥')) {
                (Comparator::AtLeast, r)
            } else if let Some(r) = s.strip_prefix('>').or_else(|| s.strip_prefix('>')) {
                (Comparator::Above, r)
            } else if s.starts_with(['<', '≤', '=']) {
                return Err(format!(
                    "不支持的比较符“{s}”:本系统的指标均为越高越好,只支持 >= 与 >"
                ));
            } else {
                (Comparator::AtLeast, s)
            };
        let rest = rest.trim().trim_end_matches(['%', '%']);
        match crate::num::parse_plan_decimal(rest) {
            Some(value) => match crate::num::check_limits(value, s) {
                Ok(value) => Ok(Some(Target { value, comparator })),
                Err(e) => Err(e.to_string()),
            },
            None => Err(format!("无法识别的目标值“{s}”")),
        }
    }
}

impl Target {
    /// As a plan or decomposition file writes it: `2.99`, `>1.48`.
    pub fn as_written(&self) -> String {
        match self.comparator {
            Comparator::AtLeast => self.value.to_string(),
            Comparator::Above => format!(">{}", self.value),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.comparator {
            Comparator::AtLeast => write!(f, "≥{}", self.value.normalize()),
            Comparator::Above => write!(f, ">{}", self.value.normalize()),
        }
    }
}

/// A deadline target: reach `target` by the end of `deadline`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Milestone {
    /// The last month in which the target may be met.
    pub deadline: YearMonth,
    /// The value to reach.
    pub target: Target,
}

/// One indicator (指标) of the plan.
#[derive(Clone, Debug)]
pub struct Indicator {
    /// 序号.
    pub code: IndicatorCode,
    /// 领域: 住房保障 …
    pub domain: String,
    /// The name without its unit.
    pub name: String,
    /// Display unit: 万套, %, 平方米 …
    pub unit: String,
    /// How it behaves over time.
    pub kind: Kind,
    /// Ratio only: value = numerator / denominator × multiplier.
    pub multiplier: Option<Decimal>,
    /// Ratio only: what the numerator counts.
    pub numerator: Option<String>,
    /// Ratio only: what the denominator counts.
    pub denominator: Option<String>,
    /// A share of a whole (覆盖率, 整治率, 救助率, 比例): the numerator never
    /// exceeds the denominator, the rate never 100 % (a ratio in % only).
    pub share: bool,
    /// Decimal places shown.
    pub decimals: u32,
    /// Codes of the tasks it measures.
    pub tasks: Vec<u16>,
    /// The value in the baseline year (2022 现状值); `None` where the plan has "/".
    pub baseline: Option<Decimal>,
    /// Yearly targets of the reporting root; a year mapped to `None` is "/".
    pub targets: BTreeMap<i32, Option<Target>>,
    /// Milestone kind only.
    pub milestone: Option<Milestone>,
    /// The plan's own words where the table has text instead of figures.
    pub seed_text: Option<String>,
    /// Known inconsistencies and remarks, kept visible.
    pub notes: Vec<String>,
    /// Who reports its figures (填报责任).
    pub reporter: Reporter,
    /// How often they are reported.
    pub frequency: Frequency,
}

/// Who reports an indicator's figures (填报责任): one owner for each figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reporter {
    /// The units at the bottom of the reporting tree (the towns) report their
    /// own; every unit above is only the aggregate of its children.
    Towns,
    /// This department reports the figure of the unit it belongs to (海宁公积金
    /// 分中心 for 海宁市); no other unit has a figure of its own.
    Unit(OrgId),
}

/// How often an indicator's figures are reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frequency {
    /// Every month, by the plan's deadline day of the month after.
    Monthly,
    /// Once a year: the December (or whole-year) figure is due by
    /// `due_month`/`due_day` of the year after (annual statistics come
    /// late). A figure of another month may be reported and counts, but is
    /// never due.
    Yearly {
        /// The month of the next year it is due in.
        due_month: u32,
        /// The day of that month.
        due_day: u32,
    },
}

impl Frequency {
    /// In words: 每月 / 每年.
    pub fn label(self) -> &'static str {
        match self {
            Frequency::Monthly => "每月",
            Frequency::Yearly { .. } => "每年",
        }
    }
}

impl Indicator {
    /// The rate of a ratio indicator: numerator × multiplier ÷ denominator
    /// (`None` for a zero denominator).
    pub fn rate(&self, num: Decimal, den: Decimal) -> Option<Exact> {
        let m = self.multiplier.map(Exact::from).unwrap_or(Exact::ONE);
        Exact::from(num).mul(&m).div(&Exact::from(den))
    }

    /// `name(unit)`, as the plan's table writes it.
    pub fn title(&self) -> String {
        format!("{}({})", self.name, self.unit)
    }
}

/// A dated or valued goal attached to a task (the text's further targets).
#[derive(Clone, Debug)]
pub struct Goal {
    /// What is to be achieved.
    pub name: String,
    /// The value to reach, if the text names one.
    pub target: Option<Target>,
    /// Its unit.
    pub unit: Option<String>,
    /// By when, if the text says.
    pub deadline: Option<YearMonth>,
    /// A related indicator.
    pub indicator: Option<IndicatorCode>,
    /// The plan's words.
    pub source: String,
}

/// A key task (重点任务).
#[derive(Clone, Debug)]
pub struct Task {
    /// 1–13.
    pub code: u16,
    /// The section (一)…(四) it belongs to.
    pub section: u16,
    /// Its title.
    pub name: String,
    /// 牵头单位.
    pub lead: OrgId,
    /// 责任单位 other than the lead.
    pub co_units: Vec<OrgId>,
    /// Whether every town implements it (以下均需镇(街道)落实).
    pub towns_implement: bool,
    /// Indicators that measure it.
    pub indicators: Vec<IndicatorCode>,
    /// The full text.
    pub text: String,
    /// Further dated targets from the text.
    pub goals: Vec<Goal>,
}

/// A section grouping tasks, or a safeguard measure (保障措施).
#[derive(Clone, Debug)]
pub struct Section {
    /// 1–4.
    pub code: u16,
    /// Its title.
    pub name: String,
    /// Its text.
    pub text: String,
}

/// A domain (领域) with its main goal.
#[derive(Clone, Debug)]
pub struct Domain {
    /// 住房保障 …
    pub name: String,
    /// The main goal (主要目标) text.
    pub goal: String,
}

/// Plan settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// A lag at or below this is `lagging`, above it `severe` (default 0.10).
    pub lagging_threshold: Decimal,
    /// Figures for a month are due by this day of the next month.
    pub report_deadline_day: u8,
    /// A 督办 assignment turns blue this many days before it is due (3).
    pub supervision_near_days: u8,
    /// Work behind its 序时进度 by more than this many percentage points is
    /// yellow (10) …
    pub behind_yellow_points: Decimal,
    /// … and by more than this many, red (30).
    pub behind_red_points: Decimal,
}

/// What the plan is.
#[derive(Clone, Debug)]
pub struct Meta {
    /// A short identifier.
    pub id: String,
    /// The title.
    pub name: String,
    /// The brand (安居潮城).
    pub brand: Option<String>,
    /// Who issued it.
    pub issuer: Option<String>,
    /// When (YYYY-MM-DD as written).
    pub issued: Option<String>,
    /// The year of the 现状值.
    pub baseline_year: i32,
    /// First target year.
    pub first_year: i32,
    /// Last target year.
    pub last_year: i32,
}

/// A whole plan.
#[derive(Clone, Debug)]
pub struct Plan {
    /// What it is.
    pub meta: Meta,
    /// Thresholds and deadlines.
    pub settings: Settings,
    /// 指导思想 and 总体目标, as written.
    pub text: BTreeMap<String, String>,
    /// 领域.
    pub domains: Vec<Domain>,
    /// 指标, in code order.
    pub indicators: Vec<Indicator>,
    /// Sections of the key tasks.
    pub sections: Vec<Section>,
    /// 重点任务.
    pub tasks: Vec<Task>,
    /// 保障措施.
    pub safeguards: Vec<Section>,
    /// Every org unit and department.
    pub orgs: OrgTree,
    /// The unit whose subtree is evaluated (海宁市).
    pub reporting_root: OrgId,
    /// The reporting tree: `reporting_root` and every unit below it, parents first.
    pub reporting: Vec<OrgId>,
    /// Where the task force sits.
    pub taskforce_unit: Option<OrgId>,
    /// The kinds of project the towns carry (项目库), with their phases.
    pub project_types: Vec<ProjectType>,
}

/// A kind of project (保障性租赁住房, 加装电梯 …): the indicator a project
/// of it adds to when done, by how much by default, and the phases of its
/// schedule, counted back from the planned completion (倒排工期).
#[derive(Clone, Debug)]
pub struct ProjectType {
    /// Its name.
    pub name: String,
    /// The indicator a completed project adds to (none: it adds to none).
    pub indicator: Option<IndicatorCode>,
    /// What one project adds, in the indicator's unit, unless the project
    /// says (none: each project must say).
    pub adds: Option<Decimal>,
    /// The phases in order; the last ends on the planned completion.
    pub phases: Vec<Phase>,
}

/// A phase of a project type's schedule: it ends with its milestone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phase {
    /// The milestone that ends it (立项, 开工, 主体完工, 竣工验收 …).
    pub name: String,
    /// How many days it takes.
    pub days: u32,
}

impl Plan {
    /// The project type of a name.
    pub fn project_type(&self, name: &str) -> Option<&ProjectType> {
        let n = name.trim();
        self.project_types.iter().find(|t| t.name == n)
    }

    /// The months an evaluation, a page or a publication may be as of: from
    /// the baseline year's December (the month the 现状值 stand for) to the
    /// December after the last target year (a year in which the last
    /// year's figures are still corrected and assessed). The one definition
    /// every caller checks against (docs/RULES.md, "The months a plan covers").
    pub fn as_of_window(&self) -> (crate::period::YearMonth, crate::period::YearMonth) {
        use crate::period::YearMonth;
        // Past the years a period may name, the window stops there.
        let first = YearMonth::new(self.meta.baseline_year, 12).unwrap_or(YearMonth::MIN);
        let last = YearMonth::new(self.meta.last_year + 1, 12).unwrap_or(YearMonth::MAX);
        (first, last)
    }

    /// The years the plan sets targets for (`first_year` to `last_year`).
    pub fn target_years(&self) -> std::ops::RangeInclusive<i32> {
        self.meta.first_year..=self.meta.last_year
    }

    /// `Ok` when `as_of` is within [`Plan::as_of_window`]; else why not, in
    /// words for people.
    pub fn check_as_of(&self, as_of: crate::period::YearMonth) -> Result<(), String> {
        let (first, last) = self.as_of_window();
        if (first..=last).contains(&as_of) {
            Ok(())
        } else {
            Err(format!(
                "{}年{}月不在计划期内:可选 {}年{}月 至 {}年{}月",
                as_of.year(),
                as_of.month(),
                first.year(),
                first.month(),
                last.year(),
                last.month()
            ))
        }
    }
    /// The position of an indicator in `indicators`.
    pub fn indicator_index(&self, code: IndicatorCode) -> Option<usize> {
        self.indicators.iter().position(|i| i.code == code)
    }

    /// Finds an indicator by code (`6`) or by name (`住宅小区专业物业服务覆盖率`,
    /// with or without its unit).
    pub fn find_indicator(&self, s: &str) -> Option<usize> {
        let s = s.trim();
        if let Ok(code) = s.parse::<u16>() {
            return self.indicator_index(IndicatorCode(code));
        }
        let n = org::normalize_name(s);
        self.indicators
            .iter()
            .position(|i| org::normalize_name(&i.name) == n || org::normalize_name(&i.title()) == n)
    }

    /// The lead unit of an indicator: the lead of the first task it measures.
    pub fn indicator_lead(&self, ix: usize) -> Option<OrgId> {
        let code = *self.indicators.get(ix)?.tasks.first()?;
        self.tasks.iter().find(|t| t.code == code).map(|t| t.lead)
    }

    /// The unit whose users report the figure of `org` for indicator `ix`
    /// (填报责任), or `None` when the plan gives that figure no owner: for a
    /// town-reported indicator, the town itself (a unit at the bottom of the
    /// tree; a unit above it is the aggregate of its children); for a
    /// department-reported one, the department, for the unit it belongs to.
    pub fn reporter_of(&self, ix: usize, org: OrgId) -> Option<OrgId> {
        let ind = self.indicators.get(ix)?;
        if !self.orgs.is_within(org, self.reporting_root) {
            return None;
        }
        match ind.reporter {
            Reporter::Towns => self.orgs.get(org).children.is_empty().then_some(org),
            Reporter::Unit(d) => (self.orgs.get(d).parent == Some(org)).then_some(d),
        }
    }

    /// Who reports indicator `ix`, in words: "各镇(街道)" or the department.
    pub fn reporter_name(&self, ix: usize) -> String {
        match self.indicators.get(ix).map(|i| i.reporter) {
            Some(Reporter::Unit(d)) => self.orgs.get(d).name.clone(),
            _ => "各镇(街道)".into(),
        }
    }

    /// Why a figure of `org` for indicator `ix` cannot be entered, when the
    /// plan gives it no owner (in the words a clerk is shown).
    pub fn unreported_why(&self, ix: usize, org: OrgId) -> Option<String> {
        let ind = self.indicators.get(ix)?;
        if self.reporter_of(ix, org).is_some() {
            return None;
        }
        let unit = &self.orgs.get(org).name;
        Some(match ind.reporter {
            Reporter::Towns => format!(
                "指标 {} 由各镇(街道)填报,{unit}的数据是下级汇总,不能直接填报",
                ind.code
            ),
            Reporter::Unit(d) => format!(
                "指标 {} 由{}填报{}的数据,{unit}没有这项数据",
                ind.code,
                self.orgs.get(d).name,
                self.orgs
                    .get(d)
                    .parent
                    .map_or_else(String::new, |p| self.orgs.get(p).name.clone())
            ),
        })
    }

    /// The last day figures of `period` for indicator `ix` are on time: the
    /// deadline day of the month after, or a yearly indicator's own date in
    /// the year after.
    pub fn deadline(&self, ix: usize, period: crate::period::Period) -> crate::workflow::Date {
        match self.indicators.get(ix).map(|i| i.frequency) {
            Some(Frequency::Yearly { due_month, due_day }) => crate::workflow::Date {
                year: period.year() + 1,
                month: due_month,
                day: due_day,
            },
            _ => crate::workflow::deadline(period, self.settings.report_deadline_day),
        }
    }

    /// Whether a figure of indicator `ix` is due for month `month` (what a
    /// month's completeness and its 未报 count): every month for a monthly
    /// indicator, December for a yearly one.
    pub fn is_due(&self, ix: usize, month: crate::period::YearMonth) -> bool {
        match self.indicators.get(ix).map(|i| i.frequency) {
            Some(Frequency::Yearly { .. }) => month.month() == 12,
            Some(Frequency::Monthly) => true,
            None => false,
        }
    }

    /// The unit a value named `org` belongs to in the reporting tree: the unit
    /// itself, or for a department the unit it belongs to.
    pub fn reporting_unit(&self, org: OrgId) -> Option<OrgId> {
        let u = self.orgs.get(org);
        let geo = if u.level == Level::Department {
            u.parent?
        } else {
            org
        };
        self.orgs.is_within(geo, self.reporting_root).then_some(geo)
    }
}

#[cfg(test)]
mod tests {
    use crate::period::YearMonth;

    #[test]
    fn the_months_a_plan_covers_are_one_window() {
        let plan = crate::builtin_plan().unwrap();
        let ym = |y, m| YearMonth::new(y, m).unwrap();
        // Haining: 现状值 of 2022, targets 2023–2027.
        assert_eq!(plan.as_of_window(), (ym(2022, 12), ym(2028, 12)));
        assert_eq!(plan.target_years(), 2023..=2027);
        for ok in [ym(2022, 12), ym(2024, 6), ym(2028, 12)] {
            assert_eq!(plan.check_as_of(ok), Ok(()), "{ok}");
        }
        assert_eq!(
            plan.check_as_of(ym(2022, 11)),
            Err("2022年11月不在计划期内:可选 2022年12月 至 2028年12月".into())
        );
        assert!(plan.check_as_of(ym(2029, 1)).is_err());
    }
}

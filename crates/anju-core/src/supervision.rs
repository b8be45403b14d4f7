//! 督办事项 (items the task force assigns from its meetings, the leaders'
//! instructions or the plan) as rules: the lifecycle of each unit's
//! assignment (交办 → 签收 → 办理 → 反馈 → 复核, 退办 back to 办理, 办结),
//! when an extension may be asked for, and the three-colour ticket (三色督办单)
//! a day gives. Pure: the date is a parameter; the store keeps the records
//! and the service decides who may take a step (`access`).

use std::fmt;

use rust_decimal::Decimal;

use crate::plan::Settings;
use crate::workflow::Date;

/// Where an item comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// 会议 — a meeting of the task force (with its date and minutes).
    Meeting,
    /// 批示 — a leader's instruction.
    Instruction,
    /// 计划 — the plan itself (a task or a goal of it).
    Plan,
}

impl SourceKind {
    /// The name stored and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Meeting => "meeting",
            SourceKind::Instruction => "instruction",
            SourceKind::Plan => "plan",
        }
    }

    /// The word shown.
    pub fn label(self) -> &'static str {
        match self {
            SourceKind::Meeting => "会议",
            SourceKind::Instruction => "领导批示",
            SourceKind::Plan => "实施方案",
        }
    }

    /// The kind of a name (the API's or the Chinese word).
    pub fn parse(s: &str) -> Option<SourceKind> {
        match s.trim() {
            "meeting" | "会议" => Some(SourceKind::Meeting),
            "instruction" | "批示" | "领导批示" => Some(SourceKind::Instruction),
            "plan" | "计划" | "实施方案" => Some(SourceKind::Plan),
            _ => None,
        }
    }
}

/// How urgent an item is (一般、急办、特急).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Urgency {
    /// 一般
    Normal,
    /// 急办
    Urgent,
    /// 特急
    Immediate,
}

impl Urgency {
    /// The word, which is also the name stored and used in the API.
    pub fn label(self) -> &'static str {
        match self {
            Urgency::Normal => "一般",
            Urgency::Urgent => "急办",
            Urgency::Immediate => "特急",
        }
    }

    /// The urgency of a word.
    pub fn parse(s: &str) -> Option<Urgency> {
        match s.trim() {
            "一般" | "normal" => Some(Urgency::Normal),
            "急办" | "urgent" => Some(Urgency::Urgent),
            "特急" | "immediate" => Some(Urgency::Immediate),
            _ => None,
        }
    }
}

/// Where one unit's assignment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AssignmentState {
    /// 已交办, not yet signed for (待签收).
    Assigned,
    /// 办理中: signed for, or returned (退办) to be done again.
    Handling,
    /// 已反馈, waiting for the task force's review (待复核).
    Answered,
    /// 已办结.
    Closed,
}

impl AssignmentState {
    /// The name stored and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentState::Assigned => "assigned",
            AssignmentState::Handling => "handling",
            AssignmentState::Answered => "answered",
            AssignmentState::Closed => "closed",
        }
    }

    /// The state of a stored name.
    pub fn parse(s: &str) -> Option<AssignmentState> {
        [
            AssignmentState::Assigned,
            AssignmentState::Handling,
            AssignmentState::Answered,
            AssignmentState::Closed,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// The word shown.
    pub fn label(self) -> &'static str {
        match self {
            AssignmentState::Assigned => "待签收",
            AssignmentState::Handling => "办理中",
            AssignmentState::Answered => "待复核",
            AssignmentState::Closed => "已办结",
        }
    }
}

impl fmt::Display for AssignmentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A step of an assignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// 签收 — the unit takes the assignment on.
    Sign,
    /// 阶段性反馈 — the unit reports its progress short of done (under 100 %):
    /// it goes on handling it, no review is asked for.
    Report,
    /// 反馈 — the unit reports it done (progress, difficulties, next steps,
    /// 100 %), for the task force to review.
    Feedback,
    /// 复核通过 — the task force accepts the feedback: 办结.
    Accept,
    /// 退办 — the task force sends it back to be done again, with a note.
    Return,
}

impl Step {
    /// The word shown and logged.
    pub fn label(self) -> &'static str {
        match self {
            Step::Sign => "签收",
            Step::Report => "阶段性反馈",
            Step::Feedback => "办结反馈",
            Step::Accept => "复核通过,办结",
            Step::Return => "退办",
        }
    }

    /// The name in the log and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Sign => "sign",
            Step::Report => "report",
            Step::Feedback => "feedback",
            Step::Accept => "accept",
            Step::Return => "return",
        }
    }
}

/// The state a step leads to from `from`, or why it cannot be taken there.
/// A unit feeds back only after signing for the assignment, as often as it
/// is returned; the task force reviews only feedback that waits for it.
pub fn step(from: AssignmentState, step: Step) -> Result<AssignmentState, String> {
    use AssignmentState as S;
    match (from, step) {
        (S::Assigned, Step::Sign) => Ok(S::Handling),
        (S::Handling, Step::Report) => Ok(S::Handling),
        (S::Handling, Step::Feedback) => Ok(S::Answered),
        (S::Answered, Step::Accept) => Ok(S::Closed),
        (S::Answered, Step::Return) => Ok(S::Handling),
        (S::Closed, _) => Err("该事项已办结".into()),
        (_, Step::Sign) => Err("已签收,无需再次签收".into()),
        (S::Assigned, Step::Feedback | Step::Report) => Err("请先签收,再反馈办理情况".into()),
        (S::Answered, Step::Feedback | Step::Report) => Err("已反馈办结,正等待专班复核".into()),
        (_, Step::Accept | Step::Return) => Err(format!("{},没有待复核的反馈", from.label())),
    }
}

/// Whether an assignment due on `due` may ask to be extended to `new_due` on
/// `today`: only up to its due date (an extension is asked for before the
/// time runs out, never after it), to a later date, while it is open.
pub fn check_extension(
    state: AssignmentState,
    due: Date,
    new_due: Date,
    today: Date,
) -> Result<(), String> {
    if state == AssignmentState::Closed {
        return Err("该事项已办结,无需延期".into());
    }
    if today > due {
        return Err(format!(
            "办理时限 {due} 已过,不能再申请延期(延期须在到期前提出);请尽快办理并反馈"
        ));
    }
    if new_due <= due {
        return Err(format!("新的时限须晚于现在的时限 {due}"));
    }
    Ok(())
}

/// The colour of a 督办单 (三色督办单).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Light {
    /// 办结 — nothing to do.
    Done,
    /// 正常 — on time, not near its due date.
    Green,
    /// 蓝色 — due within the plan's `supervision_near_days`.
    Blue,
    /// 黄色 — returned (退办) and not yet answered again, or behind its
    /// 序时进度.
    Yellow,
    /// 红色 — overdue.
    Red,
}

impl Light {
    /// The name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Light::Done => "done",
            Light::Green => "green",
            Light::Blue => "blue",
            Light::Yellow => "yellow",
            Light::Red => "red",
        }
    }

    /// The light of a name (`red`, `红`, `红色` …).
    pub fn parse(s: &str) -> Option<Light> {
        match s.trim() {
            "done" | "办结" | "已办结" => Some(Light::Done),
            "green" | "绿" | "绿色" | "正常" => Some(Light::Green),
            "blue" | "蓝" | "蓝色" => Some(Light::Blue),
            "yellow" | "黄" | "黄色" => Some(Light::Yellow),
            "red" | "红" | "红色" => Some(Light::Red),
            _ => None,
        }
    }

    /// The word shown beside the colour (colour is never the only sign).
    pub fn label(self) -> &'static str {
        match self {
            Light::Done => "已办结",
            Light::Green => "正常",
            Light::Blue => "蓝色督办",
            Light::Yellow => "黄色督办",
            Light::Red => "红色督办",
        }
    }
}

/// What the light of an assignment is made from.
#[derive(Clone, Copy, Debug)]
pub struct Standing {
    /// Where it stands.
    pub state: AssignmentState,
    /// When it was assigned.
    pub assigned: Date,
    /// When it is due (after any extension granted).
    pub due: Date,
    /// When it was closed, if it is.
    pub closed: Option<Date>,
    /// It was returned (退办) and has not been answered since.
    pub returned: bool,
    /// The percent done its last feedback gave (none before the first).
    pub percent: Option<Decimal>,
}

/// 序时进度 of a span, in percent: how far `today` is from `start` to `end`
/// (0 before it, 100 from its end on).
pub fn time_percent(start: Date, end: Date, today: Date) -> Decimal {
    let total = start.days_until(end);
    let gone = start.days_until(today);
    if total <= 0 || gone >= total {
        return Decimal::from(100);
    }
    if gone <= 0 {
        return Decimal::ZERO;
    }
    (Decimal::from(gone) * Decimal::from(100) / Decimal::from(total)).round_dp(1)
}

/// The colour of an assignment on `today`, and why, in words: red when
/// overdue; yellow when returned and not answered again, or when its
/// percent done (0 before any feedback) is more than the plan's
/// `behind_yellow_points` behind its 序时进度 (waiting for review does not
/// count as behind); blue within `supervision_near_days` of the due date;
/// otherwise green. A closed one is done (closed late says so).
pub fn light(a: &Standing, today: Date, settings: &Settings) -> (Light, String) {
    if let Some(closed) = a.closed {
        let late = a.due.days_until(closed);
        return if late > 0 {
            (Light::Done, format!("逾期 {late} 天办结"))
        } else {
            (Light::Done, "按时办结".into())
        };
    }
    let left = today.days_until(a.due);
    if left < 0 {
        return (Light::Red, format!("已逾期 {} 天", -left));
    }
    if a.returned {
        return (Light::Yellow, "被退办,须重新办理并反馈".into());
    }
    if a.state != AssignmentState::Answered {
        let expected = time_percent(a.assigned, a.due, today);
        let done = a.percent.unwrap_or(Decimal::ZERO);
        let behind = expected - done;
        if behind > settings.behind_yellow_points {
            return (
                Light::Yellow,
                format!(
                    "办理进度 {}%,落后序时进度({}%){} 个百分点",
                    done.normalize(),
                    expected.normalize(),
                    behind.normalize()
                ),
            );
        }
    }
    if left <= i64::from(settings.supervision_near_days) {
        let words = if left == 0 {
            "今天到期".to_string()
        } else {
            format!("还剩 {left} 天到期")
        };
        return (Light::Blue, words);
    }
    (Light::Green, format!("还剩 {left} 天"))
}

/// The light of an item: the worst of its assignments' (done only when all
/// are done).
pub fn worst(lights: impl IntoIterator<Item = Light>) -> Light {
    lights.into_iter().max().unwrap_or(Light::Done)
}

/// An item as kept.
#[derive(Clone, Debug)]
pub struct Item {
    /// Its number.
    pub id: i64,
    /// What is to be done.
    pub title: String,
    /// Where it comes from.
    pub source: SourceKind,
    /// The meeting's or the instruction's date.
    pub source_date: Option<Date>,
    /// The meeting, the instruction or the plan's clause, in words.
    pub source_ref: String,
    /// Urgency.
    pub urgency: Urgency,
    /// The due date it was given (each assignment may be extended apart).
    pub due: Date,
    /// Who made it, and when.
    pub created_by: String,
    /// `2026-12-01T09:00:00+08:00`.
    pub created_at: String,
    /// When its last assignment was closed.
    pub closed_at: Option<String>,
    /// One per unit, the lead's first.
    pub assignments: Vec<Assignment>,
    /// Every step, oldest first.
    pub log: Vec<LogEntry>,
    /// Every extension asked for, oldest first.
    pub extensions: Vec<Extension>,
    /// Files kept with it (a meeting's minutes), oldest first.
    pub files: Vec<ItemFile>,
}

/// A file kept with an item (会议纪要, 批示件).
#[derive(Clone, Debug)]
pub struct ItemFile {
    /// Its number.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    pub size: i64,
    /// Its SM3 hash.
    pub sm3: String,
    /// Who added it.
    pub added_by: String,
    /// When.
    pub added_at: String,
}

/// One unit's part of an item.
#[derive(Clone, Debug)]
pub struct Assignment {
    /// The unit (the plan's name).
    pub unit: String,
    /// The lead unit (牵头), or a co-unit (配合).
    pub lead: bool,
    /// Where it stands.
    pub state: AssignmentState,
    /// When it is due (after any extension granted).
    pub due: Date,
    /// When it was assigned (交办).
    pub assigned_at: String,
    /// When it was signed for (签收), and by whom.
    pub signed_at: Option<String>,
    /// Who signed for it.
    pub signed_by: Option<String>,
    /// When its last feedback came (反馈).
    pub answered_at: Option<String>,
    /// When it was closed (办结).
    pub closed_at: Option<String>,
    /// How often it was returned (退办).
    pub returns: u32,
    /// Returned and not answered since.
    pub returned: bool,
    /// The percent done of its last feedback.
    pub percent: Option<Decimal>,
}

/// A step as logged (append-only).
#[derive(Clone, Debug)]
pub struct LogEntry {
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// The unit whose assignment it concerns (none for the item's own steps:
    /// 立项, 批示).
    pub unit: Option<String>,
    /// `create`, `sign`, `feedback`, `accept`, `return`, `extension`,
    /// `extension_approved`, `extension_rejected`, `instruction`.
    pub step: String,
    /// What the step carried (feedback's texts and percent, a note).
    pub detail: serde_json::Value,
}

impl LogEntry {
    /// The step's word.
    pub fn label(&self) -> &'static str {
        match self.step.as_str() {
            "create" => "立项交办",
            "sign" => "签收",
            "report" => "阶段性反馈",
            "feedback" => "办结反馈",
            "accept" => "复核通过,办结",
            "return" => "退办",
            "extension" => "申请延期",
            "extension_approved" => "同意延期",
            "extension_rejected" => "不同意延期",
            "instruction" => "领导批示",
            "minutes" => "附会议纪要",
            _ => "其他",
        }
    }
}

/// Where an extension request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtensionState {
    /// 待审批.
    Pending,
    /// 同意.
    Approved,
    /// 不同意.
    Rejected,
}

impl ExtensionState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExtensionState::Pending => "pending",
            ExtensionState::Approved => "approved",
            ExtensionState::Rejected => "rejected",
        }
    }

    /// The state of a stored name.
    pub fn parse(s: &str) -> Option<ExtensionState> {
        match s {
            "pending" => Some(ExtensionState::Pending),
            "approved" => Some(ExtensionState::Approved),
            "rejected" => Some(ExtensionState::Rejected),
            _ => None,
        }
    }

    /// The word shown.
    pub fn label(self) -> &'static str {
        match self {
            ExtensionState::Pending => "待审批",
            ExtensionState::Approved => "已同意",
            ExtensionState::Rejected => "未同意",
        }
    }
}

/// A request to extend an assignment's due date (延期申请).
#[derive(Clone, Debug)]
pub struct Extension {
    /// Its number.
    pub id: i64,
    /// The unit asking.
    pub unit: String,
    /// The due date it had.
    pub old_due: Date,
    /// The due date asked for.
    pub new_due: Date,
    /// Why.
    pub reason: String,
    /// What has been done so far.
    pub progress: String,
    /// Who asked, and when.
    pub requested_by: String,
    /// When.
    pub requested_at: String,
    /// Where it stands.
    pub state: ExtensionState,
    /// Who decided, when, and the note.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<String>,
    /// The decision's note.
    pub note: Option<String>,
}

impl Item {
    /// The assignment of `unit`.
    pub fn assignment(&self, unit: &str) -> Option<&Assignment> {
        self.assignments.iter().find(|a| a.unit == unit)
    }

    /// The lead unit's name.
    pub fn lead(&self) -> &str {
        self.assignments
            .iter()
            .find(|a| a.lead)
            .map_or("", |a| a.unit.as_str())
    }
}

impl Assignment {
    /// What its light is made from.
    pub fn standing(&self) -> Standing {
        let day = |s: &str| Date::parse(s.get(..10).unwrap_or(s)).ok();
        Standing {
            state: self.state,
            assigned: day(&self.assigned_at).unwrap_or(self.due),
            due: self.due,
            closed: self.closed_at.as_deref().and_then(day),
            returned: self.returned,
            percent: self.percent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(year: i32, month: u32, day: u32) -> Date {
        Date { year, month, day }
    }

    fn settings() -> Settings {
        Settings {
            lagging_threshold: Decimal::new(10, 2),
            report_deadline_day: 5,
            supervision_near_days: 3,
            behind_yellow_points: Decimal::from(10),
            behind_red_points: Decimal::from(30),
        }
    }

    #[test]
    fn the_lifecycle_goes_sign_feedback_review_and_back_on_return() {
        use AssignmentState as S;
        assert_eq!(step(S::Assigned, Step::Sign), Ok(S::Handling));
        assert_eq!(step(S::Handling, Step::Report), Ok(S::Handling));
        assert_eq!(step(S::Handling, Step::Feedback), Ok(S::Answered));
        assert!(
            step(S::Answered, Step::Report)
                .unwrap_err()
                .contains("等待专班复核")
        );
        assert_eq!(step(S::Answered, Step::Return), Ok(S::Handling));
        assert_eq!(step(S::Answered, Step::Accept), Ok(S::Closed));
        assert!(
            step(S::Assigned, Step::Feedback)
                .unwrap_err()
                .contains("先签收")
        );
        assert!(
            step(S::Handling, Step::Accept)
                .unwrap_err()
                .contains("没有待复核")
        );
        assert!(
            step(S::Closed, Step::Feedback)
                .unwrap_err()
                .contains("已办结")
        );
        assert!(step(S::Handling, Step::Sign).is_err());
    }

    #[test]
    fn an_extension_is_asked_for_before_the_due_date_and_for_a_later_one() {
        let due = d(2026, 12, 10);
        let s = AssignmentState::Handling;
        assert!(check_extension(s, due, d(2026, 12, 20), d(2026, 12, 10)).is_ok());
        let late = check_extension(s, due, d(2026, 12, 20), d(2026, 12, 11)).unwrap_err();
        assert!(late.contains("已过"), "{late}");
        assert!(check_extension(s, due, due, d(2026, 12, 1)).is_err());
        assert!(
            check_extension(
                AssignmentState::Closed,
                due,
                d(2026, 12, 20),
                d(2026, 12, 1)
            )
            .is_err()
        );
    }

    #[test]
    fn the_colour_moves_from_green_to_blue_to_red_as_the_days_pass() {
        let a = Standing {
            state: AssignmentState::Handling,
            assigned: d(2026, 12, 1),
            due: d(2026, 12, 11),
            closed: None,
            returned: false,
            percent: Some(Decimal::from(100)),
        };
        let s = settings();
        assert_eq!(light(&a, d(2026, 12, 7), &s).0, Light::Green);
        assert_eq!(light(&a, d(2026, 12, 8), &s).0, Light::Blue, "3 days left");
        assert_eq!(light(&a, d(2026, 12, 11), &s).1, "今天到期");
        let (l, why) = light(&a, d(2026, 12, 13), &s);
        assert_eq!((l, why.as_str()), (Light::Red, "已逾期 2 天"));
        let returned = Standing {
            returned: true,
            ..a
        };
        assert_eq!(light(&returned, d(2026, 12, 2), &s).0, Light::Yellow);
        assert_eq!(
            light(&returned, d(2026, 12, 12), &s).0,
            Light::Red,
            "overdue first"
        );
    }

    #[test]
    fn work_behind_its_time_is_yellow_but_not_while_it_waits_for_review() {
        let s = settings();
        let a = Standing {
            state: AssignmentState::Handling,
            assigned: d(2026, 12, 1),
            due: d(2026, 12, 31),
            closed: None,
            returned: false,
            percent: Some(Decimal::from(30)),
        };
        // Day 15 of 30: 50 % expected, 30 % done: 20 points behind.
        let (l, why) = light(&a, d(2026, 12, 16), &s);
        assert_eq!(l, Light::Yellow);
        assert!(why.contains("落后序时进度(50%)20 个百分点"), "{why}");
        // 10 points behind is within the threshold.
        assert_eq!(light(&a, d(2026, 12, 13), &s).0, Light::Green);
        let waiting = Standing {
            state: AssignmentState::Answered,
            ..a
        };
        assert_eq!(light(&waiting, d(2026, 12, 16), &s).0, Light::Green);
    }

    #[test]
    fn a_closed_assignment_says_whether_it_closed_on_time() {
        let s = settings();
        let a = Standing {
            state: AssignmentState::Closed,
            assigned: d(2026, 12, 1),
            due: d(2026, 12, 5),
            closed: Some(d(2026, 12, 7)),
            returned: false,
            percent: Some(Decimal::from(100)),
        };
        assert_eq!(
            light(&a, d(2027, 1, 1), &s),
            (Light::Done, "逾期 2 天办结".to_string())
        );
        assert_eq!(worst([Light::Done, Light::Blue, Light::Green]), Light::Blue);
        assert_eq!(worst([]), Light::Done);
    }

    #[test]
    fn time_percent_runs_from_zero_to_a_hundred() {
        let (a, b) = (d(2026, 1, 1), d(2026, 1, 11));
        assert_eq!(time_percent(a, b, d(2025, 12, 1)), Decimal::ZERO);
        assert_eq!(time_percent(a, b, d(2026, 1, 6)), Decimal::from(50));
        assert_eq!(time_percent(a, b, d(2026, 2, 1)), Decimal::from(100));
        assert_eq!(time_percent(b, b, b), Decimal::from(100));
    }
}

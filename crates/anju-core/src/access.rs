//! Who may do what (分级分类): the roles of DESIGN.md and the scope of each —
//! which units' figures a user may read, report and approve. Pure rules on the
//! plan; the storage and the service apply them to every query.

use std::fmt;

use crate::plan::{Level, OrgId, Plan};

/// A user's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// 系统管理员 — users, org units, plan files; no figures, no approvals,
    /// not the audit log's figures (三员分立).
    Admin,
    /// 安全管理员 — login locks, sessions, the password policy; no users,
    /// no figures, no audit log.
    SecAdmin,
    /// 审计管理员 — reads, verifies and exports the audit log; changes
    /// nothing else.
    Auditor,
    /// 专班办公室 — everything on the plan; approves, publishes, adjusts targets.
    Taskforce,
    /// 市领导、专班组长 — reads everything, comments, assigns supervision items.
    Leader,
    /// 牵头单位 — reports and reviews the figures of the indicators it leads.
    LeadUnit,
    /// 责任单位 — reports the figures of the indicators of its tasks.
    Unit,
    /// 镇(街道) — reports its own figures; reads its own and the published.
    Town,
}

/// A role given to the wrong kind of unit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RoleError {
    /// The role needs a unit.
    #[error("角色“{}”须指定所属单位", .0.label())]
    NeedsOrg(Role),
    /// The unit does not fit the role.
    #[error("角色“{}”的所属单位须为{want},“{org}”不是", .role.label())]
    WrongOrg {
        /// The role.
        role: Role,
        /// What the role needs.
        want: &'static str,
        /// The unit given.
        org: String,
    },
    /// An unknown role name.
    #[error(
        "未知的角色“{0}”(应为 admin、secadmin、auditor、taskforce、leader、lead_unit、unit 或 town)"
    )]
    Unknown(String),
}

impl Role {
    /// All roles.
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::SecAdmin,
        Role::Auditor,
        Role::Taskforce,
        Role::Leader,
        Role::LeadUnit,
        Role::Unit,
        Role::Town,
    ];

    /// The role's name in Chinese.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::SecAdmin => "安全管理员",
            Role::Auditor => "审计管理员",
            Role::Taskforce => "专班",
            Role::Leader => "市领导",
            Role::LeadUnit => "牵头单位",
            Role::Unit => "责任单位",
            Role::Town => "镇(街道)",
        }
    }

    /// The name stored and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::SecAdmin => "secadmin",
            Role::Auditor => "auditor",
            Role::Taskforce => "taskforce",
            Role::Leader => "leader",
            Role::LeadUnit => "lead_unit",
            Role::Unit => "unit",
            Role::Town => "town",
        }
    }

    /// The role of a name.
    pub fn parse(s: &str) -> Result<Role, RoleError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| RoleError::Unknown(s.trim().to_string()))
    }

    /// One of the three administrators (三员: 系统、安全、审计管理员). Their
    /// accounts are made and reset on the server itself (`anju user add`),
    /// never through the service, so none of them can make or change
    /// another's.
    pub fn is_administrator(self) -> bool {
        matches!(self, Role::Admin | Role::SecAdmin | Role::Auditor)
    }

    /// May manage the users of the plan (add, disable, reset passwords): the
    /// system administrator.
    pub fn may_manage_users(self) -> bool {
        self == Role::Admin
    }

    /// May see and lift login locks and see and end sessions: the security
    /// administrator.
    pub fn may_manage_security(self) -> bool {
        self == Role::SecAdmin
    }

    /// May read the audit log: the audit administrator and the task force
    /// (the record of the figures it approves), and the system
    /// administrator without the figures themselves.
    pub fn may_read_audit(self) -> bool {
        matches!(self, Role::Auditor | Role::Taskforce | Role::Admin)
    }

    /// May read the figures recorded in the audit log.
    pub fn may_read_audit_figures(self) -> bool {
        matches!(self, Role::Auditor | Role::Taskforce)
    }

    /// May verify and export the whole audit log: the audit administrator.
    pub fn may_verify_audit(self) -> bool {
        self == Role::Auditor
    }

    /// Checks that `org` fits the role: a town user belongs to a unit of the
    /// reporting tree below its root, a (lead) unit user to a department;
    /// admins, the task force and leaders need none (their unit, if any, is
    /// only shown).
    pub fn check_org(self, plan: &Plan, org: Option<OrgId>) -> Result<(), RoleError> {
        let name = |o: OrgId| plan.orgs.get(o).name.clone();
        match (self, org) {
            (Role::Town, None) | (Role::Unit, None) | (Role::LeadUnit, None) => {
                Err(RoleError::NeedsOrg(self))
            }
            (Role::Town, Some(o)) => {
                let in_tree = plan.reporting_unit(o) == Some(o) && o != plan.reporting_root;
                if in_tree {
                    Ok(())
                } else {
                    Err(RoleError::WrongOrg {
                        role: self,
                        want: "本计划填报范围内的镇(街道)",
                        org: name(o),
                    })
                }
            }
            (Role::Unit | Role::LeadUnit, Some(o)) => {
                if plan.orgs.get(o).level == Level::Department {
                    Ok(())
                } else {
                    Err(RoleError::WrongOrg {
                        role: self,
                        want: "部门",
                        org: name(o),
                    })
                }
            }
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A user as the rules see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor<'a> {
    /// The login name (to tell one's own entries and proposals).
    pub name: &'a str,
    /// The role.
    pub role: Role,
    /// The unit (a town, or a department).
    pub org: Option<OrgId>,
}

/// Something a user may want to do: one row of the permission table. Every
/// check of the service, the pages, the navigation and the command line asks
/// [`Actor::may`] with one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action<'a> {
    /// Read a figure of `org` for `indicator` before it is published.
    ReadFigure {
        /// The indicator (its index in the plan).
        indicator: usize,
        /// The unit the figure is of.
        org: OrgId,
    },
    /// Enter, submit, correct or import a figure of `org` for `indicator`.
    ReportFigure {
        /// The indicator (its index in the plan).
        indicator: usize,
        /// The unit the figure is of.
        org: OrgId,
    },
    /// Approve or return a version of a figure of `indicator` that `author`
    /// entered (never one's own: 审核与填报分离); with no author, whether
    /// the user reviews the indicator's figures at all (what waits for them).
    ReviewFigure {
        /// The indicator (its index in the plan).
        indicator: usize,
        /// Who entered the version.
        author: Option<&'a str>,
    },
    /// Open the reporting desk (/report, templates, imports).
    OpenReporting,
    /// Open the review desk (/review).
    OpenReview,
    /// Open the cockpit and the indicator pages (the evaluation before
    /// publication, within what the user may read).
    OpenCockpit,
    /// Read the target decompositions and the list of adjustments (/targets,
    /// `GET /api/v1/targets/adjustments`).
    ReadTargets,
    /// Read one target adjustment of `indicator` (proposal, reason, decision).
    ReadAdjustment {
        /// The indicator (its index in the plan).
        indicator: usize,
    },
    /// Propose a target adjustment for `indicator`.
    ProposeAdjustment {
        /// The indicator (its index in the plan).
        indicator: usize,
    },
    /// Approve or reject an adjustment that `proposer` proposed (never
    /// one's own); with no proposer, whether the user decides adjustments
    /// at all.
    DecideAdjustment {
        /// Who proposed it.
        proposer: Option<&'a str>,
    },
    /// Upload a target decomposition (下达目标分解).
    Decompose,
    /// Publish or republish a month (发布).
    Publish,
    /// Read the user list.
    ReadUsers,
    /// Add a user of `role`, or disable, enable or reset one.
    ManageUser {
        /// The role of the user made or changed.
        role: Role,
    },
    /// See and lift login locks, see and end sessions.
    ManageSecurity,
    /// Read the audit log.
    ReadAudit,
    /// Read the figures the audit log records (not only who changed what).
    ReadAuditFigures,
    /// Verify and export the whole audit log.
    VerifyAudit,
    /// Open the dispatch board (工作调度: every 督办 item, its colours).
    OpenDispatch,
    /// Record a 督办 item and assign it to units (立项交办).
    CreateSupervision,
    /// Read a 督办 item assigned to `units` (with its log).
    ReadSupervision {
        /// The units it is assigned to.
        units: &'a [OrgId],
    },
    /// Sign for, answer or ask to extend the assignment of `unit` (签收,
    /// 反馈, 申请延期): the unit itself.
    ActOnAssignment {
        /// The unit the assignment is of.
        unit: OrgId,
    },
    /// Review feedback (复核通过 or 退办) and decide extensions.
    ReviewSupervision,
    /// Add a leader's instruction (批示) to an item.
    InstructSupervision,
    /// Open one's own workbench (a department's or a town's: its 督办, its
    /// figures).
    OpenWorkbench,
    /// Read the projects of `town` (项目库).
    ReadProjects {
        /// The town.
        town: OrgId,
    },
    /// Add a project of `town`, report its progress, milestones and stage.
    EditProject {
        /// The town.
        town: OrgId,
    },
    /// Approve or return a project's progress entry.
    ReviewProject,
    /// Open the project pages (项目库).
    OpenProjects,
    /// Add the year's work items of a task (年度工作要点).
    CreateWorkItem,
    /// Read a work item owned or co-run by `units`.
    ReadWorkItem {
        /// Its owner, then its co-units.
        units: &'a [OrgId],
    },
    /// Report the progress of a work item `owner` owns, and its milestones.
    ReportWorkItem {
        /// The owner (the task's lead unit by default).
        owner: OrgId,
    },
    /// Approve or return a work item's progress report.
    ReviewWorkItem,
}

/// Why an action is refused: the words a user is shown.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub String);

impl Action<'_> {
    /// One action of each kind, for tests and documents that walk the whole
    /// table (the figures' indicator and unit given by the caller).
    pub fn kinds<'b>(indicator: usize, org: OrgId, other: &'b str) -> Vec<Action<'b>> {
        vec![
            Action::ReadFigure { indicator, org },
            Action::ReportFigure { indicator, org },
            Action::ReviewFigure {
                indicator,
                author: Some(other),
            },
            Action::OpenReporting,
            Action::OpenReview,
            Action::OpenCockpit,
            Action::ReadTargets,
            Action::ReadAdjustment { indicator },
            Action::ProposeAdjustment { indicator },
            Action::DecideAdjustment {
                proposer: Some(other),
            },
            Action::Decompose,
            Action::Publish,
            Action::ReadUsers,
            Action::ManageUser { role: Role::Town },
            Action::ManageSecurity,
            Action::ReadAudit,
            Action::ReadAuditFigures,
            Action::VerifyAudit,
            Action::OpenDispatch,
            Action::CreateSupervision,
            Action::ReadSupervision { units: &[] },
            Action::ActOnAssignment { unit: org },
            Action::ReviewSupervision,
            Action::InstructSupervision,
            Action::OpenWorkbench,
            Action::ReadProjects { town: org },
            Action::EditProject { town: org },
            Action::ReviewProject,
            Action::OpenProjects,
            Action::CreateWorkItem,
            Action::ReadWorkItem { units: &[] },
            Action::ReportWorkItem { owner: org },
            Action::ReviewWorkItem,
        ]
    }
}

impl<'a> Actor<'a> {
    /// A user as the rules see them: the login name, the role, and the unit
    /// named (by any alias) resolved in `plan` (a unit the plan does not
    /// have is none).
    pub fn of(plan: &Plan, name: &'a str, role: Role, org_unit: Option<&str>) -> Actor<'a> {
        Actor {
            name,
            role,
            org: org_unit.and_then(|o| plan.orgs.resolve(o).ok()),
        }
    }

    /// Whether the user may do `action` on `plan`, and if not, why: the one
    /// permission table (DESIGN.md "roles", docs/RULES.md "who may do what").
    pub fn may(&self, plan: &Plan, action: &Action<'_>) -> Result<(), Denied> {
        let role = self.role;
        let allowed = match *action {
            Action::ReadFigure { indicator, org } => self.may_read(plan, indicator, org),
            Action::ReportFigure { indicator, org } => self.may_report(plan, indicator, org),
            Action::ReviewFigure { indicator, author } => {
                if !self.may_review(plan, indicator) {
                    false
                } else if author == Some(self.name) {
                    return Err(Denied("不能审核本人填报的数据".into()));
                } else {
                    true
                }
            }
            Action::OpenReporting => matches!(
                role,
                Role::Town | Role::Unit | Role::LeadUnit | Role::Taskforce
            ),
            Action::OpenReview => matches!(role, Role::LeadUnit | Role::Taskforce),
            Action::OpenCockpit => !role.is_administrator(),
            Action::ReadTargets => {
                matches!(role, Role::Taskforce | Role::Leader | Role::LeadUnit)
            }
            Action::ReadAdjustment { indicator } => match role {
                Role::Taskforce | Role::Leader => true,
                Role::LeadUnit => self.may_review(plan, indicator),
                _ => false,
            },
            Action::ProposeAdjustment { indicator } => self.may_review(plan, indicator),
            Action::DecideAdjustment { proposer } => {
                if role != Role::Taskforce {
                    false
                } else if proposer == Some(self.name) {
                    return Err(Denied("不能审核本人提出的目标调整".into()));
                } else {
                    true
                }
            }
            Action::Decompose | Action::Publish => role == Role::Taskforce,
            Action::ReadUsers => role.may_manage_users(),
            Action::ManageUser { role: theirs } => {
                if !role.may_manage_users() {
                    false
                } else if theirs.is_administrator() {
                    return Err(Denied(
                        "系统管理员、安全管理员和审计管理员的账户只能在服务器上用 anju user add 创建和重设(三员分立)".into(),
                    ));
                } else {
                    true
                }
            }
            Action::ManageSecurity => role.may_manage_security(),
            Action::ReadAudit => role.may_read_audit(),
            Action::ReadAuditFigures => role.may_read_audit_figures(),
            Action::VerifyAudit => role.may_verify_audit(),
            Action::OpenDispatch => matches!(role, Role::Taskforce | Role::Leader),
            Action::CreateSupervision | Action::ReviewSupervision => role == Role::Taskforce,
            Action::ReadSupervision { units } => match role {
                Role::Taskforce | Role::Leader => true,
                Role::Town | Role::Unit | Role::LeadUnit => {
                    self.org.is_some_and(|o| units.contains(&o))
                }
                Role::Admin | Role::SecAdmin | Role::Auditor => false,
            },
            Action::ActOnAssignment { unit } => {
                matches!(role, Role::Town | Role::Unit | Role::LeadUnit) && self.org == Some(unit)
            }
            Action::InstructSupervision => role == Role::Leader,
            Action::OpenWorkbench => matches!(role, Role::Town | Role::Unit | Role::LeadUnit),
            Action::ReadProjects { town } => match role {
                Role::Taskforce | Role::Leader => true,
                Role::Town => self.org == Some(town),
                _ => false,
            },
            Action::EditProject { town } => match role {
                Role::Taskforce => true,
                Role::Town => self.org == Some(town),
                _ => false,
            },
            Action::ReviewProject => role == Role::Taskforce,
            Action::OpenProjects => matches!(role, Role::Taskforce | Role::Leader | Role::Town),
            Action::CreateWorkItem | Action::ReviewWorkItem => role == Role::Taskforce,
            Action::ReadWorkItem { units } => match role {
                Role::Taskforce | Role::Leader => true,
                Role::Town | Role::Unit | Role::LeadUnit => {
                    self.org.is_some_and(|o| units.contains(&o))
                }
                Role::Admin | Role::SecAdmin | Role::Auditor => false,
            },
            Action::ReportWorkItem { owner } => {
                matches!(role, Role::Unit | Role::LeadUnit | Role::Town) && self.org == Some(owner)
            }
        };
        if allowed {
            Ok(())
        } else {
            Err(Denied(refusal(plan, action)))
        }
    }

    /// [`Actor::may`] as a yes or no.
    pub fn can(&self, plan: &Plan, action: &Action<'_>) -> bool {
        self.may(plan, action).is_ok()
    }

    /// Whether the user reads every figure of the plan before publication
    /// (the task force and leaders), so that no narrowing is needed.
    pub fn reads_everything(&self) -> bool {
        matches!(self.role, Role::Taskforce | Role::Leader)
    }

    /// Whether the user's department leads or co-runs a task the indicator
    /// measures (and leads it, with `lead`).
    fn works_on(&self, plan: &Plan, indicator: usize, lead: bool) -> bool {
        let (Some(org), Some(ind)) = (self.org, plan.indicators.get(indicator)) else {
            return false;
        };
        plan.tasks
            .iter()
            .filter(|t| ind.tasks.contains(&t.code))
            .any(|t| {
                if lead {
                    t.lead == org && plan.indicator_lead(indicator) == Some(org)
                } else {
                    t.lead == org || t.co_units.contains(&org)
                }
            })
    }

    /// Whether the user may read figures of `org` for `indicator` before they
    /// are published. Towns read their own; departments the indicators of
    /// their tasks; the task force and leaders everything.
    fn may_read(&self, plan: &Plan, indicator: usize, org: OrgId) -> bool {
        match self.role {
            Role::Taskforce | Role::Leader => true,
            Role::Admin | Role::SecAdmin | Role::Auditor => false,
            Role::Town => self.org == Some(org),
            Role::Unit | Role::LeadUnit => self.works_on(plan, indicator, false),
        }
    }

    /// Whether the user may report (enter and submit) a figure of `org` for
    /// `indicator`: only the figure's owner (填报责任, `Plan::reporter_of`) —
    /// a town its own figures of the indicators the towns report, a
    /// department the city figures the plan assigns to it — and the task
    /// force on an owner's behalf; a figure the plan gives no owner (the
    /// city's aggregate of a town-reported indicator) nobody; leaders and
    /// admins nothing.
    fn may_report(&self, plan: &Plan, indicator: usize, org: OrgId) -> bool {
        let Some(owner) = plan.reporter_of(indicator, org) else {
            return false;
        };
        match self.role {
            Role::Taskforce => true,
            Role::Town | Role::Unit | Role::LeadUnit => self.org == Some(owner),
            Role::Leader | Role::Admin | Role::SecAdmin | Role::Auditor => false,
        }
    }

    /// Whether the user may approve or return figures of `indicator`, or
    /// propose its targets: the task force, and the lead unit of the
    /// indicator.
    fn may_review(&self, plan: &Plan, indicator: usize) -> bool {
        match self.role {
            Role::Taskforce => true,
            Role::LeadUnit => self.works_on(plan, indicator, true),
            _ => false,
        }
    }
}

/// The words of a refusal.
fn refusal(plan: &Plan, action: &Action<'_>) -> String {
    let code = |ix: usize| {
        plan.indicators
            .get(ix)
            .map_or_else(|| "?".to_string(), |i| i.code.to_string())
    };
    let unit = |o: OrgId| plan.orgs.get(o).name.clone();
    match *action {
        Action::ReadFigure { indicator, org } => {
            format!("无权查看{}的指标 {} 的数据", unit(org), code(indicator))
        }
        Action::ReportFigure { indicator, org } => match plan.unreported_why(indicator, org) {
            Some(why) => why,
            None => match plan.reporter_of(indicator, org) {
                Some(owner) if owner != org => format!(
                    "无权填报{}的指标 {}(由{}填报)",
                    unit(org),
                    code(indicator),
                    unit(owner)
                ),
                _ => format!("无权填报{}的指标 {}", unit(org), code(indicator)),
            },
        },
        Action::ReviewFigure { indicator, .. } => {
            format!("无权审核指标 {} 的数据", code(indicator))
        }
        Action::OpenReporting => "本角色不填报数据".into(),
        Action::OpenReview => "只有专班和牵头单位审核数据".into(),
        Action::OpenCockpit => "管理员不查看业务数据(三员分立)".into(),
        Action::ReadTargets => "只有专班、市领导和牵头单位查看目标分解与调整".into(),
        Action::ReadAdjustment { indicator } => {
            format!("无权查看指标 {} 的目标调整", code(indicator))
        }
        Action::ProposeAdjustment { indicator } => {
            format!("无权调整指标 {} 的目标", code(indicator))
        }
        Action::DecideAdjustment { .. } => "只有专班可以审核目标调整".into(),
        Action::Decompose => "只有专班可以下达目标分解".into(),
        Action::Publish => "只有专班可以发布".into(),
        Action::ReadUsers | Action::ManageUser { .. } => "只有系统管理员可以管理用户".into(),
        Action::ManageSecurity => "只有安全管理员可以管理登录锁定和会话".into(),
        Action::ReadAudit => "只有审计管理员、专班和系统管理员可以查看审计日志".into(),
        Action::ReadAuditFigures => "无权查看审计日志中的数据".into(),
        Action::VerifyAudit => "只有审计管理员可以核验和导出审计日志".into(),
        Action::OpenDispatch => "工作调度台供专班和市领导使用;部门和镇(街道)请到“工作台”".into(),
        Action::CreateSupervision => "只有专班可以立项交办督办事项".into(),
        Action::ReadSupervision { .. } => "无权查看该督办事项(未交办给本单位)".into(),
        Action::ActOnAssignment { unit: theirs } => {
            format!(
                "该事项交办给{},只能由该单位签收、反馈或申请延期",
                unit(theirs)
            )
        }
        Action::ReviewSupervision => "只有专班可以复核督办事项和审批延期".into(),
        Action::InstructSupervision => "只有市领导可以作出批示".into(),
        Action::OpenWorkbench => "工作台供部门和镇(街道)使用".into(),
        Action::ReadProjects { town } => format!("无权查看{}的项目", unit(town)),
        Action::EditProject { town } => format!("{}的项目由该镇(街道)填报", unit(town)),
        Action::ReviewProject => "只有专班可以审核项目进度".into(),
        Action::OpenProjects => "项目库供专班、市领导和镇(街道)使用".into(),
        Action::CreateWorkItem => "只有专班可以下达年度工作要点".into(),
        Action::ReadWorkItem { .. } => "无权查看该工作要点(本单位不是牵头或配合单位)".into(),
        Action::ReportWorkItem { owner } => format!("该工作要点由{}报送进展", unit(owner)),
        Action::ReviewWorkItem => "只有专班可以审核工作要点的进展".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (Plan, impl Fn(&str) -> OrgId) {
        let plan = crate::builtin_plan().unwrap();
        let p2 = plan.clone();
        (plan, move |n: &str| p2.orgs.resolve(n).unwrap())
    }

    #[test]
    fn roles_need_the_right_kind_of_unit() {
        let (plan, org) = setup();
        assert!(Role::Town.check_org(&plan, Some(org("硖石街道"))).is_ok());
        assert!(
            Role::Town.check_org(&plan, Some(org("海宁市"))).is_err(),
            "the city is not a town"
        );
        assert!(Role::Town.check_org(&plan, Some(org("市住建局"))).is_err());
        assert_eq!(
            Role::Unit.check_org(&plan, None),
            Err(RoleError::NeedsOrg(Role::Unit))
        );
        assert!(
            Role::LeadUnit
                .check_org(&plan, Some(org("海宁公积金分中心")))
                .is_ok()
        );
        assert!(Role::Leader.check_org(&plan, None).is_ok());
        assert_eq!(Role::parse("lead_unit"), Ok(Role::LeadUnit));
        assert!(Role::parse("boss").is_err());
    }

    #[test]
    fn each_role_sees_and_touches_its_own_scope() {
        let (plan, org) = setup();
        let ind = |code: u16| {
            plan.indicator_index(crate::plan::IndicatorCode(code))
                .unwrap()
        };
        let town = Actor {
            name: "xs",
            role: Role::Town,
            org: Some(org("硖石街道")),
        };
        assert!(town.may_report(&plan, ind(8), org("硖石街道")));
        assert!(!town.may_report(&plan, ind(8), org("海洲街道")));
        assert!(!town.may_read(&plan, ind(8), org("海洲街道")));
        assert!(!town.may_review(&plan, ind(8)));
        // 海宁公积金分中心 leads task 13 and reports indicator 15 for the city; it
        // co-runs task 10 (indicator 14), which 市住建局 reports.
        let fund = Actor {
            name: "fund",
            role: Role::LeadUnit,
            org: Some(org("海宁公积金分中心")),
        };
        assert!(fund.may_report(&plan, ind(15), org("海宁市")));
        assert!(fund.may_review(&plan, ind(15)));
        assert!(
            !fund.may_report(&plan, ind(14), org("海宁市")),
            "a co-unit does not report a figure another unit owns"
        );
        assert!(!fund.may_review(&plan, ind(14)), "co-unit, not lead");
        let housing = Actor {
            name: "zj",
            role: Role::LeadUnit,
            org: Some(org("市住建局")),
        };
        assert!(housing.may_report(&plan, ind(14), org("海宁市")));
        assert!(
            !housing.may_report(&plan, ind(1), org("海宁市")),
            "the city's figure of a town-reported indicator is their aggregate"
        );
        assert!(
            !fund.may_report(&plan, ind(2), org("海宁市")),
            "not its task"
        );
        assert!(
            !fund.may_report(&plan, ind(15), org("嘉兴市")),
            "outside the reporting tree"
        );
        assert!(
            !fund.may_report(&plan, ind(15), org("硖石街道")),
            "a town's figure is the town's to report"
        );
        // 市发改局 co-runs task 1 (indicators 1, 2).
        let ndrc = Actor {
            name: "ndrc",
            role: Role::Unit,
            org: Some(org("市发展和改革局")),
        };
        assert!(
            !ndrc.may_report(&plan, ind(2), org("海宁市")),
            "a co-unit's city figure would replace the towns' sum"
        );
        assert!(!ndrc.may_review(&plan, ind(2)));
        let leader = Actor {
            name: "leader",
            role: Role::Leader,
            org: None,
        };
        assert!(leader.may_read(&plan, ind(2), org("硖石街道")));
        assert!(!leader.may_report(&plan, ind(2), org("海宁市")));
        let taskforce = Actor {
            name: "tf",
            role: Role::Taskforce,
            org: Some(org("市住建局")),
        };
        assert!(
            taskforce.may_review(&plan, ind(2))
                && taskforce.may_report(&plan, ind(2), org("硖石街道"))
        );
        assert!(
            !taskforce.may_report(&plan, ind(2), org("海宁市")),
            "not even the task force enters an aggregate"
        );
        assert!(
            !taskforce.may_report(&plan, ind(15), org("硖石街道")),
            "no town has a figure of a department-reported indicator"
        );
        let admin = Actor {
            name: "admin",
            role: Role::Admin,
            org: None,
        };
        assert!(!admin.may_read(&plan, ind(2), org("海宁市")) && !admin.may_review(&plan, ind(2)));
    }

    /// The whole permission table, role by role: Y allowed, n refused. A new
    /// `Action` must be added here (the match below does not compile
    /// without it) and given its row of answers.
    #[test]
    fn the_permission_table_answers_every_action_for_every_role() {
        let (plan, org) = setup();
        let ind = |code: u16| {
            plan.indicator_index(crate::plan::IndicatorCode(code))
                .unwrap()
        };
        let (xs, hz, city) = (org("硖石街道"), org("海洲街道"), org("海宁市"));
        let (xs_only, fgj_only) = ([xs], [org("市发展和改革局")]);
        let columns: Vec<(&str, Action)> = vec![
            (
                "read own town 8",
                Action::ReadFigure {
                    indicator: ind(8),
                    org: xs,
                },
            ),
            (
                "read other town 8",
                Action::ReadFigure {
                    indicator: ind(8),
                    org: hz,
                },
            ),
            (
                "read city 15",
                Action::ReadFigure {
                    indicator: ind(15),
                    org: city,
                },
            ),
            (
                "read city 2",
                Action::ReadFigure {
                    indicator: ind(2),
                    org: city,
                },
            ),
            (
                "report own town 8",
                Action::ReportFigure {
                    indicator: ind(8),
                    org: xs,
                },
            ),
            (
                "report other town 8",
                Action::ReportFigure {
                    indicator: ind(8),
                    org: hz,
                },
            ),
            (
                "report city 15",
                Action::ReportFigure {
                    indicator: ind(15),
                    org: city,
                },
            ),
            (
                "report city 2",
                Action::ReportFigure {
                    indicator: ind(2),
                    org: city,
                },
            ),
            (
                "review 15 another's",
                Action::ReviewFigure {
                    indicator: ind(15),
                    author: Some("other"),
                },
            ),
            (
                "review 15 own",
                Action::ReviewFigure {
                    indicator: ind(15),
                    author: Some("me"),
                },
            ),
            (
                "review 2 another's",
                Action::ReviewFigure {
                    indicator: ind(2),
                    author: Some("other"),
                },
            ),
            ("open reporting", Action::OpenReporting),
            ("open review", Action::OpenReview),
            ("open cockpit", Action::OpenCockpit),
            ("read targets", Action::ReadTargets),
            (
                "read adjustment 15",
                Action::ReadAdjustment { indicator: ind(15) },
            ),
            (
                "read adjustment 2",
                Action::ReadAdjustment { indicator: ind(2) },
            ),
            (
                "propose 15",
                Action::ProposeAdjustment { indicator: ind(15) },
            ),
            ("propose 2", Action::ProposeAdjustment { indicator: ind(2) }),
            (
                "decide another's",
                Action::DecideAdjustment {
                    proposer: Some("other"),
                },
            ),
            (
                "decide own",
                Action::DecideAdjustment {
                    proposer: Some("me"),
                },
            ),
            ("decompose", Action::Decompose),
            ("publish", Action::Publish),
            ("read users", Action::ReadUsers),
            (
                "manage a town user",
                Action::ManageUser { role: Role::Town },
            ),
            (
                "manage an auditor",
                Action::ManageUser {
                    role: Role::Auditor,
                },
            ),
            ("manage security", Action::ManageSecurity),
            ("read audit", Action::ReadAudit),
            ("read audit figures", Action::ReadAuditFigures),
            ("verify audit", Action::VerifyAudit),
            ("open dispatch", Action::OpenDispatch),
            ("create supervision", Action::CreateSupervision),
            (
                "read supervision of xs",
                Action::ReadSupervision { units: &xs_only },
            ),
            (
                "read supervision of 发改",
                Action::ReadSupervision { units: &fgj_only },
            ),
            ("act for xs", Action::ActOnAssignment { unit: xs }),
            (
                "act for 发改",
                Action::ActOnAssignment { unit: fgj_only[0] },
            ),
            ("review supervision", Action::ReviewSupervision),
            ("instruct", Action::InstructSupervision),
            ("open workbench", Action::OpenWorkbench),
            ("read projects of xs", Action::ReadProjects { town: xs }),
            ("edit a project of xs", Action::EditProject { town: xs }),
            ("review a project", Action::ReviewProject),
            ("open projects", Action::OpenProjects),
            ("create a work item", Action::CreateWorkItem),
            (
                "read a work item of 发改",
                Action::ReadWorkItem { units: &fgj_only },
            ),
            (
                "report a work item of 发改",
                Action::ReportWorkItem { owner: fgj_only[0] },
            ),
            ("review a work item", Action::ReviewWorkItem),
        ];
        // Every kind of action has a column.
        let kind = |a: &Action| match a {
            Action::ReadFigure { .. } => "ReadFigure",
            Action::ReportFigure { .. } => "ReportFigure",
            Action::ReviewFigure { .. } => "ReviewFigure",
            Action::OpenReporting => "OpenReporting",
            Action::OpenReview => "OpenReview",
            Action::OpenCockpit => "OpenCockpit",
            Action::ReadTargets => "ReadTargets",
            Action::ReadAdjustment { .. } => "ReadAdjustment",
            Action::ProposeAdjustment { .. } => "ProposeAdjustment",
            Action::DecideAdjustment { .. } => "DecideAdjustment",
            Action::Decompose => "Decompose",
            Action::Publish => "Publish",
            Action::ReadUsers => "ReadUsers",
            Action::ManageUser { .. } => "ManageUser",
            Action::ManageSecurity => "ManageSecurity",
            Action::ReadAudit => "ReadAudit",
            Action::ReadAuditFigures => "ReadAuditFigures",
            Action::VerifyAudit => "VerifyAudit",
            Action::OpenDispatch => "OpenDispatch",
            Action::CreateSupervision => "CreateSupervision",
            Action::ReadSupervision { .. } => "ReadSupervision",
            Action::ActOnAssignment { .. } => "ActOnAssignment",
            Action::ReviewSupervision => "ReviewSupervision",
            Action::InstructSupervision => "InstructSupervision",
            Action::OpenWorkbench => "OpenWorkbench",
            Action::ReadProjects { .. } => "ReadProjects",
            Action::EditProject { .. } => "EditProject",
            Action::ReviewProject => "ReviewProject",
            Action::OpenProjects => "OpenProjects",
            Action::CreateWorkItem => "CreateWorkItem",
            Action::ReadWorkItem { .. } => "ReadWorkItem",
            Action::ReportWorkItem { .. } => "ReportWorkItem",
            Action::ReviewWorkItem => "ReviewWorkItem",
        };
        let mut seen: Vec<&str> = columns.iter().map(|(_, a)| kind(a)).collect();
        seen.dedup();
        let mut all: Vec<&str> = Action::kinds(0, xs, "x").iter().map(kind).collect();
        all.dedup();
        assert_eq!(
            seen, all,
            "every kind of action, in the order of Action::kinds"
        );

        let actors = [
            (Role::Admin, None),
            (Role::SecAdmin, None),
            (Role::Auditor, None),
            (Role::Taskforce, Some(org("市住建局"))),
            (Role::Leader, None),
            (Role::LeadUnit, Some(org("海宁公积金分中心"))),
            (Role::Unit, Some(org("市发展和改革局"))),
            (Role::Town, Some(xs)),
        ];
        // Columns in the order above: read ×4, report ×4, review ×3, open
        // ×3, targets ×7, decompose and publish, users ×3, security, audit ×3,
        // dispatch: board, create, read ×2, act ×2, review, instruct, workbench;
        // projects: read, edit, review, open; work items: create, read,
        // report, review.
        let want = [
            (
                "admin",
                "nnnn nnnn nnn nnn nnnnnnn nn YYn n Ynn nnnnnnnnn nnnn nnnn",
            ),
            (
                "secadmin",
                "nnnn nnnn nnn nnn nnnnnnn nn nnn Y nnn nnnnnnnnn nnnn nnnn",
            ),
            (
                "auditor",
                "nnnn nnnn nnn nnn nnnnnnn nn nnn n YYY nnnnnnnnn nnnn nnnn",
            ),
            (
                "taskforce",
                "YYYY YYYn YnY YYY YYYYYYn YY nnn n YYn YYYYnnYnn YYYY YYnY",
            ),
            (
                "leader",
                "YYYY nnnn nnn nnY YYYnnnn nn nnn n nnn YnYYnnnYn YnnY nYnn",
            ),
            (
                "lead_unit",
                "nnYn nnYn Ynn YYY YYnYnnn nn nnn n nnn nnnnnnnnY nnnn nnnn",
            ),
            (
                "unit",
                "nnnY nnnn nnn YnY nnnnnnn nn nnn n nnn nnnYnYnnY nnnn nYYn",
            ),
            (
                "town",
                "Ynnn Ynnn nnn YnY nnnnnnn nn nnn n nnn nnYnYnnnY YYnY nnnn",
            ),
        ];
        let mut wrong = Vec::new();
        for ((role, unit), (name, row)) in actors.iter().zip(want) {
            assert_eq!(role.as_str(), name);
            let me = Actor {
                name: "me",
                role: *role,
                org: *unit,
            };
            let got: String = columns
                .iter()
                .map(|(_, a)| if me.can(&plan, a) { 'Y' } else { 'n' })
                .collect();
            let want: String = row.chars().filter(|c| !c.is_whitespace()).collect();
            assert_eq!(want.len(), columns.len(), "row of {name}");
            for (k, (g, w)) in got.chars().zip(want.chars()).enumerate() {
                if g != w {
                    wrong.push(format!("{name} × {}: {g}, want {w}", columns[k].0));
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));

        // Refusals are said in words, one's own entries and proposals above all.
        let tf = Actor {
            name: "me",
            role: Role::Taskforce,
            org: None,
        };
        assert_eq!(
            tf.may(
                &plan,
                &Action::ReviewFigure {
                    indicator: ind(2),
                    author: Some("me")
                }
            ),
            Err(Denied("不能审核本人填报的数据".into()))
        );
        assert_eq!(
            tf.may(
                &plan,
                &Action::DecideAdjustment {
                    proposer: Some("me")
                }
            ),
            Err(Denied("不能审核本人提出的目标调整".into()))
        );
        let town = Actor {
            name: "xs",
            role: Role::Town,
            org: Some(xs),
        };
        assert_eq!(
            town.may(
                &plan,
                &Action::ReportFigure {
                    indicator: ind(8),
                    org: hz
                }
            ),
            Err(Denied(format!(
                "无权填报海洲街道的指标 {}",
                plan.indicators[ind(8)].code
            )))
        );
    }
}

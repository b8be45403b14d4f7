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
    #[error("角色 {0} 须指定所属单位(--org)")]
    NeedsOrg(Role),
    /// The unit does not fit the role.
    #[error("角色 {role} 的所属单位须为{want},“{org}”不是")]
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
pub struct Actor {
    /// The role.
    pub role: Role,
    /// The unit (a town, or a department).
    pub org: Option<OrgId>,
}

impl Actor {
    /// A user as the rules see them: the role, and the unit named (by any
    /// alias) resolved in `plan` (a unit the plan does not have is none).
    pub fn of(plan: &Plan, role: Role, org_unit: Option<&str>) -> Actor {
        Actor {
            role,
            org: org_unit.and_then(|o| plan.orgs.resolve(o).ok()),
        }
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
    pub fn may_read(&self, plan: &Plan, indicator: usize, org: OrgId) -> bool {
        match self.role {
            Role::Taskforce | Role::Leader => true,
            Role::Admin | Role::SecAdmin | Role::Auditor => false,
            Role::Town => self.org == Some(org),
            Role::Unit | Role::LeadUnit => self.works_on(plan, indicator, false),
        }
    }

    /// Whether the user may report (enter and submit) a figure of `org` for
    /// `indicator`. Towns report their own town; departments the indicators of
    /// their tasks for the unit they belong to (海宁市), not a town's figures;
    /// the task force anything; leaders and admins nothing.
    pub fn may_report(&self, plan: &Plan, indicator: usize, org: OrgId) -> bool {
        let in_tree = plan.reporting_unit(org) == Some(org);
        match self.role {
            Role::Taskforce => in_tree,
            Role::Town => self.org == Some(org),
            Role::Unit | Role::LeadUnit => {
                let own_unit = self.org.and_then(|d| plan.orgs.get(d).parent) == Some(org);
                in_tree && own_unit && self.works_on(plan, indicator, false)
            }
            Role::Leader | Role::Admin | Role::SecAdmin | Role::Auditor => false,
        }
    }

    /// Whether the user may approve or return figures of `indicator`: the task
    /// force, and the lead unit of the indicator.
    pub fn may_review(&self, plan: &Plan, indicator: usize) -> bool {
        match self.role {
            Role::Taskforce => true,
            Role::LeadUnit => self.works_on(plan, indicator, true),
            _ => false,
        }
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
            role: Role::Town,
            org: Some(org("硖石街道")),
        };
        assert!(town.may_report(&plan, ind(8), org("硖石街道")));
        assert!(!town.may_report(&plan, ind(8), org("海洲街道")));
        assert!(!town.may_read(&plan, ind(8), org("海洲街道")));
        assert!(!town.may_review(&plan, ind(8)));
        // 海宁公积金分中心 leads task 13 (indicator 15) and co-runs task 10 (indicator 14).
        let fund = Actor {
            role: Role::LeadUnit,
            org: Some(org("海宁公积金分中心")),
        };
        assert!(fund.may_report(&plan, ind(15), org("海宁市")));
        assert!(fund.may_review(&plan, ind(15)));
        assert!(fund.may_report(&plan, ind(14), org("海宁市")));
        assert!(!fund.may_review(&plan, ind(14)), "co-unit, not lead");
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
            role: Role::Unit,
            org: Some(org("市发展和改革局")),
        };
        assert!(ndrc.may_report(&plan, ind(2), org("海宁市")));
        assert!(!ndrc.may_review(&plan, ind(2)));
        let leader = Actor {
            role: Role::Leader,
            org: None,
        };
        assert!(leader.may_read(&plan, ind(2), org("硖石街道")));
        assert!(!leader.may_report(&plan, ind(2), org("海宁市")));
        let taskforce = Actor {
            role: Role::Taskforce,
            org: Some(org("市住建局")),
        };
        assert!(
            taskforce.may_review(&plan, ind(2))
                && taskforce.may_report(&plan, ind(2), org("硖石街道"))
        );
        let admin = Actor {
            role: Role::Admin,
            org: None,
        };
        assert!(!admin.may_read(&plan, ind(2), org("海宁市")) && !admin.may_review(&plan, ind(2)));
    }
}

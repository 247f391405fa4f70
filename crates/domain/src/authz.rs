//! Authorization: a pure function of role × action × scope.
//!
//! Rules of thumb, from 等保 and from how a county center works:
//! - 三员分立: 系统管理员 (accounts), 安全管理员 (security: locks, sessions, tokens) and
//!   审计管理员 (audit log) are mutually exclusive and see no business data.
//! - 中心工作人员 maintain the library of their region; 县领导 read everything in their region;
//!   单位用户 read the projects their unit leads, is responsible for or owns; 业主 read their own.
//! - What an actor may not see does not exist for them (404); what they may see but not do is
//!   forbidden (403).

use crate::ids::{UnitId, UserId};
use crate::region::RegionCode;
use serde::Serialize;

crate::keyed_enum!(
    /// What an account may do (三员分立: the three administrator roles stand alone).
    pub enum Role, "角色" {
        SystemAdmin => "system_admin", "系统管理员";
        SecurityAdmin => "security_admin", "安全管理员";
        AuditAdmin => "audit_admin", "审计管理员";
        CenterStaff => "center_staff", "中心工作人员";
        CountyLeader => "county_leader", "县领导";
        UnitUser => "unit_user", "单位用户";
        Owner => "owner", "业主";
    }
);

impl Role {
    /// The three administrator roles of 三员分立.
    pub fn is_admin(self) -> bool {
        matches!(
            self,
            Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin
        )
    }
}

/// Checks a set of roles for one user: at least one, and an administrator role only alone.
pub fn validate_roles(roles: &[Role]) -> Result<(), &'static str> {
    if roles.is_empty() {
        return Err("请至少选择一个角色");
    }
    if roles.iter().any(|r| r.is_admin()) && roles.len() > 1 {
        return Err("三员分立：系统管理员、安全管理员、审计管理员只能单独担任，不能与其他角色兼任");
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Action {
    ViewProject,
    CreateProject,
    EditProject,
    ChangeStage,
    ExportProjects,
    /// Units, leaders, thresholds: the business reference data of a region.
    ViewOrg,
    ManageOrg,
    /// Accounts and their roles.
    ManageUsers,
    /// Unlocking accounts, ending sessions, revoking API tokens.
    ManageSecurity,
    ViewAudit,
    /// Compose, freeze and revise the year's plan.
    ManagePlans,
    /// Report a project's month (owners, the lead unit, center staff).
    SubmitReport,
    /// Approve, return and revise monthly reports; record justified reasons.
    ReviewReports,
    /// Set colour rules and publish colour tables.
    PublishColour,
    /// See the problem list (each actor only the items in their scope).
    ViewProblems,
    /// Raise a problem (owners from their monthly report, units, center staff).
    RaiseProblem,
    /// Register, assign, verify (销号/退回), decide extensions, withdraw, reopen; supervision
    /// rules, the holiday calendar, meetings and patrols.
    ManageProblems,
    /// Create and rename regions (GB/T 2260) within one's own: the system administrator.
    ManageRegions,
}

impl Action {
    pub const ALL: [Action; 18] = [
        Action::ViewProject,
        Action::CreateProject,
        Action::EditProject,
        Action::ChangeStage,
        Action::ExportProjects,
        Action::ViewOrg,
        Action::ManageOrg,
        Action::ManageUsers,
        Action::ManageSecurity,
        Action::ViewAudit,
        Action::ManagePlans,
        Action::SubmitReport,
        Action::ReviewReports,
        Action::PublishColour,
        Action::ViewProblems,
        Action::RaiseProblem,
        Action::ManageProblems,
        Action::ManageRegions,
    ];
}

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// None for the system itself.
    pub user_id: Option<UserId>,
    pub username: String,
    pub roles: Vec<Role>,
    /// None for administrators and the system, who belong to no unit.
    pub unit_id: Option<UnitId>,
    pub region: RegionCode,
}

impl Actor {
    /// Whether the actor may create personal API tokens on the web: everyone but those who only
    /// report (owners and unit users, who work on the pages and the phone). The operator may
    /// still issue one on the command line for an integration.
    pub fn may_create_tokens(&self) -> bool {
        self.user_id.is_some()
            && self
                .roles
                .iter()
                .any(|r| !matches!(r, Role::Owner | Role::UnitUser))
    }
    /// Owners and unit users with no other role: they report, so 本月待报 is their home page.
    pub fn only_reports(&self) -> bool {
        !self.roles.is_empty()
            && self
                .roles
                .iter()
                .all(|r| matches!(r, Role::Owner | Role::UnitUser))
    }
    /// Whether the actor may do `action` at all (scope is checked where the record is known).
    pub fn may(&self, action: Action) -> bool {
        authorize(self, action) == Decision::Allow
    }
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
    /// The system itself (CLI imports, demo loading): full rights in its region.
    pub fn system(region: RegionCode) -> Actor {
        Actor {
            user_id: None,
            username: "system".into(),
            roles: vec![Role::CenterStaff],
            unit_id: None,
            region,
        }
    }
    /// A member of the public answering a survey: no account, no rights, the survey's region.
    pub fn public(region: RegionCode) -> Actor {
        Actor {
            user_id: None,
            username: "public".into(),
            roles: vec![],
            unit_id: None,
            region,
        }
    }
    /// Whether `unit` is the actor's own unit (never true for an actor without one).
    pub fn is_unit(&self, unit: Option<UnitId>) -> bool {
        self.unit_id.is_some() && self.unit_id == unit
    }
    /// Whether the actor's unit is among `units`.
    pub fn unit_among(&self, units: &[UnitId]) -> bool {
        self.unit_id.is_some_and(|u| units.contains(&u))
    }
}

/// The facts about a project that decide who may see it.
#[derive(Debug, Clone, Copy)]
pub struct ProjectScope<'a> {
    pub region: &'a RegionCode,
    pub owner_unit_id: Option<UnitId>,
    pub lead_unit_id: Option<UnitId>,
    pub responsible_unit_ids: &'a [UnitId],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Decision {
    Allow,
    /// May see it, may not do this: 403.
    Forbidden,
    /// May not see it: 404.
    NotFound,
}

pub fn can_see_project(actor: &Actor, p: &ProjectScope) -> bool {
    if !actor.region.contains(p.region) {
        return false;
    }
    actor.roles.iter().any(|r| match r {
        Role::CenterStaff | Role::CountyLeader => true,
        Role::UnitUser => {
            actor.is_unit(p.lead_unit_id)
                || actor.is_unit(p.owner_unit_id)
                || actor.unit_among(p.responsible_unit_ids)
        }
        Role::Owner => actor.is_unit(p.owner_unit_id),
        _ => false,
    })
}

/// The facts about a problem-list item that decide who may see and handle it.
#[derive(Debug, Clone, Copy)]
pub struct ItemScope<'a> {
    pub region: &'a RegionCode,
    /// 承办单位 (none until assigned).
    pub handler_unit_id: Option<UnitId>,
    /// 协办单位.
    pub assisting_unit_ids: &'a [UnitId],
    /// The unit that raised it.
    pub raised_unit_id: UnitId,
}

/// Staff and county leaders see every item of their region; a unit sees what it handles,
/// assists with or raised; an owner what it raised or must handle.
pub fn can_see_item(actor: &Actor, i: &ItemScope) -> bool {
    if !actor.region.contains(i.region) {
        return false;
    }
    actor.roles.iter().any(|r| match r {
        Role::CenterStaff | Role::CountyLeader => true,
        Role::UnitUser => {
            actor.is_unit(i.handler_unit_id)
                || actor.unit_among(i.assisting_unit_ids)
                || actor.is_unit(Some(i.raised_unit_id))
        }
        Role::Owner => actor.is_unit(i.handler_unit_id) || actor.is_unit(Some(i.raised_unit_id)),
        _ => false,
    })
}

/// A workflow step on one item: the center's steps need ManageProblems; the unit's steps
/// (reply, ask for closure or extension) belong to the handling unit alone.
pub fn authorize_item(
    actor: &Actor,
    performer: crate::problem::Performer,
    i: &ItemScope,
) -> Decision {
    if !can_see_item(actor, i) {
        return Decision::NotFound;
    }
    match performer {
        crate::problem::Performer::Center => authorize(actor, Action::ManageProblems),
        crate::problem::Performer::Handler => {
            let unit_role = actor.has(Role::UnitUser) || actor.has(Role::Owner);
            if unit_role && actor.is_unit(i.handler_unit_id) {
                Decision::Allow
            } else {
                Decision::Forbidden
            }
        }
    }
}

/// A function not tied to one record (lists, pages, admin functions).
pub fn authorize(actor: &Actor, action: Action) -> Decision {
    let ok = actor.roles.iter().any(|r| role_may(*r, action));
    if ok {
        Decision::Allow
    } else {
        Decision::Forbidden
    }
}

/// An action on one project.
pub fn authorize_project(actor: &Actor, action: Action, p: &ProjectScope) -> Decision {
    if !can_see_project(actor, p) {
        return Decision::NotFound;
    }
    if action == Action::SubmitReport && !actor.has(Role::CenterStaff) {
        // A month is reported by the owner or the lead unit, not by every responsible unit.
        let own = actor.has(Role::Owner) && actor.is_unit(p.owner_unit_id);
        let lead = actor.has(Role::UnitUser)
            && (actor.is_unit(p.lead_unit_id) || actor.is_unit(p.owner_unit_id));
        return if own || lead {
            Decision::Allow
        } else {
            Decision::Forbidden
        };
    }
    authorize(actor, action)
}

fn role_may(role: Role, action: Action) -> bool {
    use Action::*;
    match role {
        Role::SystemAdmin => matches!(action, ManageUsers | ViewOrg | ManageRegions),
        Role::SecurityAdmin => matches!(action, ManageSecurity),
        Role::AuditAdmin => matches!(action, ViewAudit),
        Role::CenterStaff => matches!(
            action,
            ViewProject
                | CreateProject
                | EditProject
                | ChangeStage
                | ExportProjects
                | ViewOrg
                | ManageOrg
                | ManagePlans
                | SubmitReport
                | ReviewReports
                | PublishColour
                | ViewProblems
                | RaiseProblem
                | ManageProblems
        ),
        Role::CountyLeader => {
            matches!(
                action,
                ViewProject | ExportProjects | ViewOrg | ViewProblems
            )
        }
        Role::UnitUser | Role::Owner => matches!(
            action,
            ViewProject | ExportProjects | SubmitReport | ViewProblems | RaiseProblem
        ),
    }
}

/// Which projects a list query may return for this actor: the SQL layer turns it into WHERE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListScope {
    /// Every project in the region and below.
    Region(RegionCode),
    /// Projects in the region that the unit leads, is responsible for or owns.
    Unit {
        region: RegionCode,
        unit_id: UnitId,
    },
    /// Projects the unit owns.
    Owner {
        region: RegionCode,
        unit_id: UnitId,
    },
    Nothing,
}

pub fn project_list_scope(actor: &Actor) -> ListScope {
    if actor.has(Role::CenterStaff) || actor.has(Role::CountyLeader) {
        ListScope::Region(actor.region.clone())
    } else if let (true, Some(unit_id)) = (actor.has(Role::UnitUser), actor.unit_id) {
        ListScope::Unit {
            region: actor.region.clone(),
            unit_id,
        }
    } else if let (true, Some(unit_id)) = (actor.has(Role::Owner), actor.unit_id) {
        ListScope::Owner {
            region: actor.region.clone(),
            unit_id,
        }
    } else {
        ListScope::Nothing
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn actor(role: Role, unit: i64, region: &str) -> Actor {
        Actor {
            user_id: Some(UserId(1)),
            username: "u".into(),
            roles: vec![role],
            unit_id: (unit != 0).then_some(UnitId(unit)),
            region: RegionCode::parse(region).unwrap(),
        }
    }

    /// The full matrix for one project of 桃江 led by unit 10, owned by unit 30, with unit 20
    /// responsible. Each row: role, the actor's unit, region, and the expected decision for
    /// [view, create, edit, stage, export, view org, manage org, users, security, audit].
    #[test]
    fn matrix() {
        use Decision::*;
        let region = RegionCode::parse("430922").unwrap();
        let p = ProjectScope {
            region: &region,
            owner_unit_id: Some(UnitId(30)),
            lead_unit_id: Some(UnitId(10)),
            responsible_unit_ids: &[UnitId(20)],
        };
        let rows: Vec<(Role, i64, &str, [Decision; 10])> = vec![
            (
                Role::CenterStaff,
                1,
                "430922",
                [
                    Allow, Allow, Allow, Allow, Allow, Allow, Allow, Forbidden, Forbidden,
                    Forbidden,
                ],
            ),
            (Role::CenterStaff, 1, "430921", [NotFound; 10]),
            (
                Role::CenterStaff,
                1,
                "4309",
                [
                    Allow, Allow, Allow, Allow, Allow, Allow, Allow, Forbidden, Forbidden,
                    Forbidden,
                ],
            ),
            (
                Role::CountyLeader,
                2,
                "430922",
                [
                    Allow, Forbidden, Forbidden, Forbidden, Allow, Allow, Forbidden, Forbidden,
                    Forbidden, Forbidden,
                ],
            ),
            (
                Role::UnitUser,
                10,
                "430922",
                [
                    Allow, Forbidden, Forbidden, Forbidden, Allow, Forbidden, Forbidden, Forbidden,
                    Forbidden, Forbidden,
                ],
            ),
            (
                Role::UnitUser,
                20,
                "430922",
                [
                    Allow, Forbidden, Forbidden, Forbidden, Allow, Forbidden, Forbidden, Forbidden,
                    Forbidden, Forbidden,
                ],
            ),
            (Role::UnitUser, 99, "430922", [NotFound; 10]),
            (
                Role::Owner,
                30,
                "430922",
                [
                    Allow, Forbidden, Forbidden, Forbidden, Allow, Forbidden, Forbidden, Forbidden,
                    Forbidden, Forbidden,
                ],
            ),
            (Role::Owner, 10, "430922", [NotFound; 10]),
            (Role::SystemAdmin, 1, "430922", [NotFound; 10]),
            (Role::SecurityAdmin, 1, "430922", [NotFound; 10]),
            (Role::AuditAdmin, 1, "430922", [NotFound; 10]),
        ];
        for (role, unit, reg, expected) in rows {
            let a = actor(role, unit, reg);
            for (action, want) in Action::ALL.iter().take(10).zip(expected) {
                assert_eq!(
                    authorize_project(&a, *action, &p),
                    want,
                    "{role:?} unit {unit} region {reg} {action:?}"
                );
            }
        }
        // functions not tied to a project
        assert_eq!(
            authorize(&actor(Role::SystemAdmin, 1, "430922"), Action::ManageUsers),
            Allow
        );
        assert_eq!(
            authorize(&actor(Role::SystemAdmin, 1, "430922"), Action::ViewAudit),
            Forbidden
        );
        assert_eq!(
            authorize(&actor(Role::AuditAdmin, 1, "430922"), Action::ViewAudit),
            Allow
        );
        assert_eq!(
            authorize(&actor(Role::AuditAdmin, 1, "430922"), Action::ManageUsers),
            Forbidden
        );
        assert_eq!(
            authorize(
                &actor(Role::SecurityAdmin, 1, "430922"),
                Action::ManageSecurity
            ),
            Allow
        );
        assert_eq!(
            authorize(&actor(Role::CenterStaff, 1, "430922"), Action::ManageUsers),
            Forbidden
        );
    }

    #[test]
    fn dispatch_actions() {
        use Decision::*;
        let region = RegionCode::parse("430922").unwrap();
        let p = ProjectScope {
            region: &region,
            owner_unit_id: Some(UnitId(30)),
            lead_unit_id: Some(UnitId(10)),
            responsible_unit_ids: &[UnitId(20)],
        };
        // (role, unit) → [ManagePlans, SubmitReport, ReviewReports, PublishColour]
        let rows = [
            (Role::CenterStaff, 1, [Allow, Allow, Allow, Allow]),
            (Role::CountyLeader, 2, [Forbidden; 4]),
            (Role::UnitUser, 10, [Forbidden, Allow, Forbidden, Forbidden]),
            (Role::UnitUser, 20, [Forbidden; 4]),
            (Role::Owner, 30, [Forbidden, Allow, Forbidden, Forbidden]),
            (Role::Owner, 31, [NotFound; 4]),
            (Role::AuditAdmin, 1, [NotFound; 4]),
        ];
        for (role, unit, want) in rows {
            let a = actor(role, unit, "430922");
            for (action, w) in Action::ALL[10..].iter().zip(want) {
                assert_eq!(
                    authorize_project(&a, *action, &p),
                    w,
                    "{role:?} {unit} {action:?}"
                );
            }
        }
    }

    #[test]
    fn list_scopes() {
        assert_eq!(
            project_list_scope(&actor(Role::CountyLeader, 2, "430922")),
            ListScope::Region(RegionCode::parse("430922").unwrap())
        );
        assert!(matches!(
            project_list_scope(&actor(Role::UnitUser, 10, "430922")),
            ListScope::Unit {
                unit_id: UnitId(10),
                ..
            }
        ));
        assert!(matches!(
            project_list_scope(&actor(Role::Owner, 30, "430922")),
            ListScope::Owner {
                unit_id: UnitId(30),
                ..
            }
        ));
        assert_eq!(
            project_list_scope(&actor(Role::AuditAdmin, 1, "430922")),
            ListScope::Nothing
        );
    }

    #[test]
    fn three_admins_are_exclusive() {
        assert!(validate_roles(&[Role::CenterStaff, Role::CountyLeader]).is_ok());
        assert!(validate_roles(&[Role::SystemAdmin]).is_ok());
        assert!(validate_roles(&[Role::SystemAdmin, Role::AuditAdmin]).is_err());
        assert!(validate_roles(&[Role::SecurityAdmin, Role::CenterStaff]).is_err());
        assert!(validate_roles(&[]).is_err());
    }

    proptest! {
        /// No role combination lets an actor act on a project it cannot see, and administrators
        /// never see business data.
        #[test]
        fn acting_implies_seeing(role_ix in proptest::collection::vec(0usize..7, 1..3), unit in 0i64..40, owner in 0i64..40, lead in 0i64..40) {
            let roles: Vec<Role> = role_ix.into_iter().map(|i| Role::ALL[i]).collect();
            let a = Actor { user_id: Some(UserId(1)), username: "u".into(), roles: roles.clone(), unit_id: Some(UnitId(unit)), region: RegionCode::parse("430922").unwrap() };
            let region = RegionCode::parse("430922").unwrap();
            let p = ProjectScope { region: &region, owner_unit_id: Some(UnitId(owner)), lead_unit_id: Some(UnitId(lead)), responsible_unit_ids: &[] };
            for action in Action::ALL {
                let d = authorize_project(&a, action, &p);
                if d == Decision::Allow { prop_assert!(can_see_project(&a, &p)); }
            }
            if roles.iter().all(|r| r.is_admin()) {
                prop_assert!(!can_see_project(&a, &p));
            }
        }
    }
}

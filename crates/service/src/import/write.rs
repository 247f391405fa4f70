//! The writing half of an import: checked records applied inside one [`Work`] through the same
//! use cases the pages use (`projects::create_in`, `plans::save_plan_in`,
//! `reports::record_approved_in`…), so each record changed writes its own audit row. A record a
//! use case refuses becomes a problem at its row and column; the caller then commits nothing.

use super::check::{
    APPROVAL_FIELDS, ApprovalRecord, PLAN_FIELDS, PROJECT_FIELDS, PlanRecord, ProjectRecord,
    REPORT_FIELDS, Records, ReportRecord, SIGNED_FIELDS, SignedRecord, column_of, value_of,
};
use super::{ImportError, Problem, Problems, Progress, Summary};
use crate::dispatch::plans::{self, PlanSubmission};
use crate::dispatch::reports::{self, Recorded};
use crate::projects::{self, ProjectInput, StageChangeInput};
use crate::work::Work;
use crate::{ServiceError, org};
use keyproj_db::repo::dispatch::plans as plan_repo;
use keyproj_db::repo::dispatch::reports::ReportRow;
use keyproj_domain::ReportMonth;
use keyproj_domain::ids::ProjectId;
use keyproj_domain::org::UnitKind;
use keyproj_office::workbook::{
    APPROVAL_HEADERS, PLAN_HEADERS, PROJECT_HEADERS, REPORT_HEADERS, SHEET_APPROVALS, SHEET_PLANS,
    SHEET_PROJECTS, SHEET_REPORTS, SHEET_SIGNED, SIGNED_HEADERS,
};
use std::collections::HashMap;

/// What the writer remembers across rows: project ids by code, units and leaders by name, the
/// report deadline and the frozen state of each year.
#[derive(Default)]
struct Lookups {
    projects: HashMap<String, ProjectId>,
    units: HashMap<String, keyproj_domain::ids::UnitId>,
    leaders: HashMap<String, keyproj_domain::ids::LeaderId>,
    deadline_days: HashMap<i32, u32>,
    frozen: HashMap<i32, bool>,
    /// Per project the actor may record months of (checked once, not per row): its stored
    /// reports by month, read once; a month is taken out when this import writes it.
    reportable: HashMap<ProjectId, HashMap<ReportMonth, ReportRow>>,
    /// Months this import has written (read again if the file names them twice).
    written: std::collections::HashSet<(ProjectId, ReportMonth)>,
    /// Signing events by (name, day).
    events: HashMap<(String, chrono::NaiveDate), keyproj_domain::ids::SigningEventId>,
    /// The center's staff who may be agents: (login, name), read once.
    agents: Option<Vec<(String, String)>>,
    /// The region's catalogue, read once.
    catalogue: Option<Vec<keyproj_db::repo::pipeline::approvals::CatalogueRow>>,
}

/// A use case's refusal at a row: its field errors become problems at their columns; any
/// other error ends the import.
fn refused(
    pr: &mut Problems<'_>,
    row: usize,
    cells: &[String],
    headers: &[&str],
    map: &[(&str, &str)],
    e: ServiceError,
) -> Result<(), ImportError> {
    match e {
        ServiceError::Validation(v) => {
            for fe in v.0 {
                let col = column_of(&fe.field, headers, map);
                pr.add(row, &col, value_of(cells, headers, &col), fe.message);
            }
            Ok(())
        }
        e => Err(e.into()),
    }
}

/// Applies every record; the problems found on the way are returned, and the caller must then
/// not commit.
pub async fn write(
    w: &mut Work<'_>,
    records: &Records,
    progress: &Progress,
) -> Result<Summary, ImportError> {
    let mut sum = Summary::default();
    let mut problems: Vec<Problem> = vec![];
    let mut seen = Lookups::default();
    {
        let mut pr = Problems {
            sheet: SHEET_PROJECTS,
            list: &mut problems,
        };
        for r in &records.projects {
            progress.tick();
            project(w, r, &mut seen, &mut sum, &mut pr).await?;
        }
    }
    {
        let mut pr = Problems {
            sheet: SHEET_PLANS,
            list: &mut problems,
        };
        for r in &records.plans {
            progress.tick();
            plan(w, r, &mut seen, &mut sum, &mut pr).await?;
        }
    }
    {
        let mut pr = Problems {
            sheet: SHEET_REPORTS,
            list: &mut problems,
        };
        for r in &records.reports {
            progress.tick();
            report(w, r, &mut seen, &mut sum, &mut pr).await?;
        }
    }
    {
        let mut pr = Problems {
            sheet: SHEET_SIGNED,
            list: &mut problems,
        };
        for r in &records.signed {
            progress.tick();
            signed(w, r, &mut seen, &mut sum, &mut pr).await?;
        }
    }
    {
        let mut pr = Problems {
            sheet: SHEET_APPROVALS,
            list: &mut problems,
        };
        for r in &records.approvals {
            progress.tick();
            approval(w, r, &mut seen, &mut sum, &mut pr).await?;
        }
    }
    if problems.is_empty() {
        Ok(sum)
    } else {
        Err(ImportError::Problems(problems))
    }
}

/// A unit named in the sheet, created (of `kind`) when the region has none of that name.
async fn unit(
    w: &mut Work<'_>,
    name: &str,
    kind: UnitKind,
    seen: &mut Lookups,
    sum: &mut Summary,
) -> Result<Option<keyproj_domain::ids::UnitId>, ImportError> {
    if name.is_empty() {
        return Ok(None);
    }
    if let Some(id) = seen.units.get(name) {
        return Ok(Some(*id));
    }
    let named = org::unit_named_in(w, name, kind).await?;
    if named.created {
        sum.units_created.push(name.to_string());
    }
    seen.units.insert(name.to_string(), named.id);
    Ok(Some(named.id))
}

async fn project(
    w: &mut Work<'_>,
    r: &ProjectRecord,
    seen: &mut Lookups,
    sum: &mut Summary,
    pr: &mut Problems<'_>,
) -> Result<(), ImportError> {
    let township = unit(w, &r.township, UnitKind::Township, seen, sum).await?;
    let owner = unit(w, &r.owner, UnitKind::Enterprise, seen, sum).await?;
    let lead = unit(w, &r.lead_unit, UnitKind::Department, seen, sum).await?;
    let mut responsible = vec![];
    for name in &r.responsible {
        if let Some(id) = unit(w, name, UnitKind::Department, seen, sum).await?
            && !responsible.contains(&id)
        {
            responsible.push(id);
        }
    }
    let leader = match r.leader.as_str() {
        "" => None,
        name => Some(match seen.leaders.get(name) {
            Some(id) => *id,
            None => {
                let named = org::leader_named_in(w, name).await?;
                if named.created {
                    sum.leaders_created.push(name.to_string());
                }
                seen.leaders.insert(name.to_string(), named.id);
                named.id
            }
        }),
    };
    let mut input = ProjectInput {
        draft: r.draft.clone(),
        township_unit_id: township,
        owner_unit_id: owner,
        leader_id: leader,
        lead_unit_id: lead,
        responsible_unit_ids: responsible,
        parent_id: None,
    };
    let region = w.ctx.actor.region.clone();
    let existing = keyproj_db::repo::projects::find_by_code(&mut w.tx, &region, &r.code).await?;
    let outcome = match existing {
        None => match projects::create_in(w, &input).await {
            Ok(id) => {
                seen.projects.insert(r.code.clone(), id);
                sum.projects_created += 1;
                Ok(())
            }
            Err(e) => Err(e),
        },
        Some(current) => {
            seen.projects.insert(r.code.clone(), current.id);
            // keep what the sheet does not carry
            input.draft.funding_sources = current.funding_sources.clone();
            input.draft.location = current.location.clone();
            input.draft.tags = current.tags.clone();
            input.parent_id = current.parent_id;
            let mut version = current.version;
            let mut changed = false;
            let mut result = Ok(());
            if current.stage != r.fields.stage {
                let change = StageChangeInput {
                    to_stage: r.fields.stage.key().into(),
                    changed_on: w.today().to_string(),
                    reason: "Excel导入".into(),
                    actual_start: r.draft.actual_start.clone(),
                    actual_completion: r.draft.actual_completion.clone(),
                };
                result = projects::change_stage_in(w, current.id, version, &change).await;
                version += 1;
                changed = true;
            }
            if result.is_ok() {
                match projects::unchanged_in(w, current.id, &input).await {
                    Ok(true) => {}
                    Ok(false) => {
                        result = projects::update_in(w, current.id, version, &input).await;
                        changed = true;
                    }
                    Err(e) => result = Err(e),
                }
            }
            if result.is_ok() {
                if changed {
                    sum.projects_updated += 1;
                } else {
                    sum.projects_unchanged += 1;
                }
            }
            result
        }
    };
    match outcome {
        Ok(()) => Ok(()),
        Err(e) => refused(pr, r.row, &r.cells, &PROJECT_HEADERS, &PROJECT_FIELDS, e),
    }
}

/// A project of the region by its code (created earlier in the same file, or already stored).
async fn project_id(
    w: &mut Work<'_>,
    code: &str,
    seen: &mut Lookups,
) -> Result<Option<ProjectId>, ImportError> {
    if let Some(id) = seen.projects.get(code) {
        return Ok(Some(*id));
    }
    let region = w.ctx.actor.region.clone();
    let found = keyproj_db::repo::projects::find_by_code(&mut w.tx, &region, code)
        .await?
        .map(|p| p.id);
    if let Some(id) = found {
        seen.projects.insert(code.to_string(), id);
    }
    Ok(found)
}

async fn plan(
    w: &mut Work<'_>,
    r: &PlanRecord,
    seen: &mut Lookups,
    sum: &mut Summary,
    pr: &mut Problems<'_>,
) -> Result<(), ImportError> {
    let Some(id) = project_id(w, &r.code, seen).await? else {
        pr.add(
            r.row,
            "项目编号",
            &r.code,
            "项目编号在项目库中不存在（可在同一文件的“项目库”表中一并导入）",
        );
        return Ok(());
    };
    let existing = plan_repo::get_plan(&mut w.tx, id, r.year).await?;
    if existing.as_ref().is_some_and(|p| p.fields == r.fields) {
        sum.plans_unchanged += 1;
        return Ok(());
    }
    let frozen = match seen.frozen.get(&r.year) {
        Some(f) => *f,
        None => {
            let region = w.ctx.actor.region.clone();
            let f = plans::is_frozen(&mut w.tx, &region, r.year).await?;
            seen.frozen.insert(r.year, f);
            f
        }
    };
    if frozen {
        // an adopted plan changes only with a reason, given in the system
        let (column, value, reason) = match &existing {
            None => (
                "年度",
                r.year.to_string(),
                format!("{}年度计划已下达，新增项目请在系统中填写原因后录入", r.year),
            ),
            Some(_) => (
                "年度计划投资（万元）",
                r.fields.annual_plan.wan_2dp(),
                format!("{}年度计划已下达，修改须在系统中填写原因", r.year),
            ),
        };
        pr.add(r.row, column, &value, reason);
        return Ok(());
    }
    let sub = PlanSubmission {
        version: existing.as_ref().map(|p| p.version),
        draft: r.draft.clone(),
        // the sheet has no milestones: those stored stay
        milestones: None,
        reason: String::new(),
    };
    match plans::save_plan_in(w, id, r.year, &sub).await {
        Ok(_) => {
            if existing.is_some() {
                sum.plans_updated += 1;
            } else {
                sum.plans_created += 1;
            }
            Ok(())
        }
        Err(e) => refused(pr, r.row, &r.cells, &PLAN_HEADERS, &PLAN_FIELDS, e),
    }
}

async fn report(
    w: &mut Work<'_>,
    r: &ReportRecord,
    seen: &mut Lookups,
    sum: &mut Summary,
    pr: &mut Problems<'_>,
) -> Result<(), ImportError> {
    let Some(id) = project_id(w, &r.code, seen).await? else {
        pr.add(r.row, "项目编号", &r.code, "项目编号在项目库中不存在");
        return Ok(());
    };
    // without a 报送日期 the month counts as reported on its due date (or today, if sooner)
    let reported_on = match r.reported_on {
        Some(d) => d,
        None => {
            let year = r.month.year();
            let day = match seen.deadline_days.get(&year) {
                Some(d) => *d,
                None => {
                    let region = w.ctx.actor.region.clone();
                    let d = reports::deadline_day(&mut w.tx, &region, year).await?;
                    seen.deadline_days.insert(year, d);
                    d
                }
            };
            keyproj_domain::report::due_date(r.month, day).min(w.today())
        }
    };
    if let std::collections::hash_map::Entry::Vacant(slot) = seen.reportable.entry(id) {
        // a refusal is reported at each of the project's rows, as before
        if let Err(e) = reports::may_record_approved_in(w, id).await {
            return refused(pr, r.row, &r.cells, &REPORT_HEADERS, &REPORT_FIELDS, e);
        }
        slot.insert(reports::months_of_in(w, id).await?);
    }
    let existing = if seen.written.contains(&(id, r.month)) {
        reports::month_in(w, id, r.month).await?
    } else {
        seen.reportable
            .get_mut(&id)
            .and_then(|months| months.remove(&r.month))
    };
    seen.written.insert((id, r.month));
    match reports::record_approved_in(
        w,
        id,
        r.month,
        existing,
        &r.fields,
        reported_on,
        "Excel导入更正",
    )
    .await
    {
        Ok(Recorded::Created | Recorded::Approved) => {
            sum.reports_created += 1;
            Ok(())
        }
        Ok(Recorded::Revised) => {
            sum.reports_revised += 1;
            Ok(())
        }
        Ok(Recorded::Unchanged) => {
            sum.reports_unchanged += 1;
            Ok(())
        }
        Err(e) => refused(pr, r.row, &r.cells, &REPORT_HEADERS, &REPORT_FIELDS, e),
    }
}

async fn signed(
    w: &mut Work<'_>,
    r: &SignedRecord,
    seen: &mut Lookups,
    sum: &mut Summary,
    pr: &mut Problems<'_>,
) -> Result<(), ImportError> {
    use crate::pipeline::signing::{self, SignedRefs};
    use keyproj_db::repo::pipeline::signing as signing_repo;
    let region = w.ctx.actor.region.clone();
    let refuse = |pr: &mut Problems<'_>, e: ServiceError| {
        refused(pr, r.row, &r.cells, &SIGNED_HEADERS, &SIGNED_FIELDS, e)
    };
    if let Some(current) =
        signing_repo::find_by_contract(&mut w.tx, &region, &r.fields.contract_no).await?
    {
        if current.name != r.fields.name {
            pr.add(
                r.row,
                "项目名称",
                &r.fields.name,
                format!(
                    "合同编号 {} 已登记为“{}”，名称不一致；如需更名请在系统中修改",
                    r.fields.contract_no, current.name
                ),
            );
            return Ok(());
        }
        // what identifies a contract does not change by import; only the amount is revised
        let differs = [
            (
                current.contract_on != r.fields.contract_on,
                "签约日期",
                r.fields.contract_on.to_string(),
                current.contract_on.to_string(),
            ),
            (
                current.industry != r.fields.industry,
                "行业类别",
                r.fields.industry.label().to_string(),
                current.industry.label().to_string(),
            ),
            (
                current.investor != r.fields.investor,
                "投资方",
                r.fields.investor.clone(),
                current.investor.clone(),
            ),
        ];
        if let Some((_, col, typed, stored)) = differs.into_iter().find(|d| d.0) {
            pr.add(
                r.row,
                col,
                &typed,
                format!(
                    "合同编号 {} 已登记，{col}为“{stored}”，与文件不一致；如需更正请在系统中修改",
                    r.fields.contract_no
                ),
            );
            return Ok(());
        }
        if let (Some(p), false) = (current.project_id, r.project_code.is_empty()) {
            seen.projects.entry(r.project_code.clone()).or_insert(p);
        }
        if current.agreed_investment == r.fields.agreed_investment {
            sum.signed_unchanged += 1;
            return Ok(());
        }
        let change = keyproj_domain::pipeline::AgreedChange {
            agreed_investment: r.fields.agreed_investment,
            reason: "Excel导入更正".into(),
        };
        return match signing::change_agreed_in(
            w,
            current.id,
            &change,
            current.version,
            &r.project_code,
        )
        .await
        {
            Ok(done) => {
                if let (Some(p), false) = (done.entered, r.project_code.is_empty()) {
                    seen.projects.insert(r.project_code.clone(), p);
                }
                sum.signed_updated += 1;
                Ok(())
            }
            Err(e) => refuse(pr, e),
        };
    }
    let event_id = match &r.event {
        None => None,
        Some((name, day, level)) => {
            let key = (name.clone(), *day);
            match seen.events.get(&key) {
                Some(id) => Some(*id),
                None => {
                    let id = match signing_repo::find_event(&mut w.tx, &region, name, *day).await? {
                        Some(e) => e.id,
                        None => {
                            let f = keyproj_domain::pipeline::EventFields {
                                name: name.clone(),
                                held_on: *day,
                                place: String::new(),
                                organiser: String::new(),
                                level: *level,
                            };
                            sum.events_created += 1;
                            signing::create_event_in(w, &f).await?
                        }
                    };
                    seen.events.insert(key, id);
                    Some(id)
                }
            }
        }
    };
    if !r.project_code.is_empty()
        && keyproj_db::repo::projects::find_by_code(&mut w.tx, &region, &r.project_code)
            .await?
            .is_some()
    {
        pr.add(
            r.row,
            "项目编号",
            &r.project_code,
            "项目编号已被项目库中的其他项目使用",
        );
        return Ok(());
    }
    let refs = SignedRefs {
        event_id,
        project_code: r.project_code.clone(),
        ..Default::default()
    };
    match signing::add_signed_in(w, &r.fields, &refs).await {
        Ok(done) => {
            if let (Some(p), false) = (done.project_id, r.project_code.is_empty()) {
                seen.projects.insert(r.project_code.clone(), p);
            }
            sum.signed_created += 1;
            Ok(())
        }
        Err(e) => refuse(pr, e),
    }
}

/// How far along an item is, to move it only forward.
fn rank(s: keyproj_domain::pipeline::ApprovalState) -> u8 {
    use keyproj_domain::pipeline::ApprovalState as S;
    match s {
        S::NotStarted => 0,
        S::Preparing => 1,
        S::Accepted | S::Correcting => 2,
        S::Done | S::Refused | S::Withdrawn => 3,
    }
}

async fn approval(
    w: &mut Work<'_>,
    r: &ApprovalRecord,
    seen: &mut Lookups,
    sum: &mut Summary,
    pr: &mut Problems<'_>,
) -> Result<(), ImportError> {
    use crate::pipeline::approvals as svc;
    use keyproj_db::repo::pipeline::approvals as repo;
    use keyproj_domain::pipeline::ApprovalState as S;
    use keyproj_domain::pipeline::approvals::{ApprovalDraft, StepDraft};
    let refuse = |pr: &mut Problems<'_>, e: ServiceError| {
        refused(pr, r.row, &r.cells, &APPROVAL_HEADERS, &APPROVAL_FIELDS, e)
    };
    let Some(project) = project_id(w, &r.code, seen).await? else {
        pr.add(
            r.row,
            "项目编号",
            &r.code,
            "项目编号在项目库中不存在（可在同一文件的“项目库”或“签约项目”表中一并导入）",
        );
        return Ok(());
    };
    let region = w.ctx.actor.region.clone();
    if seen.agents.is_none() {
        seen.agents = Some(
            keyproj_db::repo::admin::users::with_role(
                &mut w.tx,
                &region,
                keyproj_domain::authz::Role::CenterStaff,
            )
            .await?,
        );
    }
    let agent = seen
        .agents
        .as_ref()
        .and_then(|a| {
            a.iter()
                .find(|(login, name)| *login == r.agent || *name == r.agent)
        })
        .map(|(login, _)| login.clone());
    let existing = repo::find_item(&mut w.tx, project, &r.name).await?;
    let mut created = false;
    let current = match existing {
        Some(row) => row,
        None => {
            let Some(agent) = agent else {
                pr.add(
                    r.row,
                    "代办员",
                    &r.agent,
                    "代办员须是本中心的工作人员（填写登录名或姓名）",
                );
                return Ok(());
            };
            if seen.catalogue.is_none() {
                seen.catalogue = Some(repo::list_catalogue(&mut w.tx, &region).await?);
            }
            let found = seen
                .catalogue
                .as_ref()
                .and_then(|c| c.iter().find(|c| c.name == r.name && !c.retired))
                .cloned();
            // a catalogue item carries its department and limit: the file must not say otherwise
            if let Some(c) = &found {
                let count = keyproj_domain::problem::calendar::DayCount::from_input(&r.day_count);
                let conflict = if !r.unit.is_empty() && r.unit != c.unit_name {
                    Some(("审批部门", r.unit.clone(), c.unit_name.clone()))
                } else if !r.limit_days.is_empty() && r.limit_days != c.limit_days.to_string() {
                    Some((
                        "承诺时限（天）",
                        r.limit_days.clone(),
                        c.limit_days.to_string(),
                    ))
                } else if count.is_some_and(|d| d != c.day_count) && !r.limit_days.is_empty() {
                    Some((
                        "计算方式",
                        r.day_count.clone(),
                        c.day_count.label().to_string(),
                    ))
                } else {
                    None
                };
                if let Some((col, typed, stored)) = conflict {
                    pr.add(
                        r.row,
                        col,
                        &typed,
                        format!(
                            "目录中“{}”的{col}为“{stored}”，与文件不一致（目录事项按目录办理；临时事项请另取名称）",
                            c.name
                        ),
                    );
                    return Ok(());
                }
            }
            let entry = found.map(|c| c.id);
            let unit_id = match (entry, r.unit.as_str()) {
                (Some(_), _) => None,
                (None, "") => {
                    pr.add(
                        r.row,
                        "审批部门",
                        "",
                        "目录中没有该事项：请填写审批部门和承诺时限（或先在事项目录中增加）",
                    );
                    return Ok(());
                }
                (None, name) => {
                    match keyproj_db::repo::org::find_unit_by_name(&mut w.tx, &region, name).await?
                    {
                        Some(u) => Some(u.id),
                        None => {
                            pr.add(
                                r.row,
                                "审批部门",
                                name,
                                "审批部门不存在（请先在单位中增加）",
                            );
                            return Ok(());
                        }
                    }
                }
            };
            let draft = ApprovalDraft {
                catalogue_id: entry,
                name: if entry.is_some() {
                    String::new()
                } else {
                    r.name.clone()
                },
                unit_id,
                limit_days: r.limit_days.clone(),
                day_count: r.day_count.clone(),
                agent,
                received_on: String::new(),
                note: r.note.clone(),
            };
            let id = match svc::add_item_in(w, project, &draft).await {
                Ok(id) => id,
                Err(e) => return refuse(pr, e),
            };
            created = true;
            repo::get_item(&mut w.tx, id)
                .await?
                .ok_or(ServiceError::NotFound)?
        }
    };
    if !created && !r.unit.is_empty() && r.unit != current.unit_name {
        pr.add(
            r.row,
            "审批部门",
            &r.unit,
            format!(
                "系统中该事项的审批部门为“{}”，与文件不一致；如需更正请在系统中办理",
                current.unit_name
            ),
        );
        return Ok(());
    }
    // dates the system already has must agree with the file's (a correction is made in the
    // system, with its log)
    if !created {
        let stored = [
            ("收件日期", current.received_on, r.received_on),
            ("受理日期", current.accepted_on, r.accepted_on),
            ("办结日期", current.completed_on, r.completed_on),
        ];
        if let Some((col, had, typed)) = stored
            .into_iter()
            .find(|(_, had, typed)| had.is_some() && typed.is_some() && had != typed)
        {
            pr.add(
                r.row,
                col,
                &typed.map(|d| d.to_string()).unwrap_or_default(),
                format!(
                    "{col}与系统中的记录（{}）不一致；如需更正请在系统中办理",
                    had.map(|d| d.to_string()).unwrap_or_default()
                ),
            );
            return Ok(());
        }
    }
    if current.state == r.state {
        if created {
            sum.approvals_created += 1;
        } else {
            sum.approvals_unchanged += 1;
        }
        return Ok(());
    }
    if rank(r.state) < rank(current.state) || rank(current.state) == 3 {
        pr.add(
            r.row,
            "状态",
            r.state.label(),
            format!(
                "系统中该事项为“{}”，不能改为“{}”",
                current.state.label(),
                r.state.label()
            ),
        );
        return Ok(());
    }
    let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let mut steps: Vec<StepDraft> = vec![];
    let mut at = current.state;
    let mut push = |step: &str, on: String, note: &str, no: &str| {
        steps.push(StepDraft {
            step: step.into(),
            on,
            note: note.into(),
            approval_no: no.into(),
        })
    };
    if at == S::NotStarted && r.received_on.is_some() && r.state != S::Withdrawn {
        push("prepare", day(r.received_on), "", "");
        at = S::Preparing;
    }
    match r.state {
        S::Preparing | S::NotStarted | S::Correcting => {}
        S::Accepted | S::Done => {
            if rank(at) < 2 {
                push("accept", day(r.accepted_on), "", "");
            }
            if r.state == S::Done {
                push("complete", day(r.completed_on), &r.note, &r.approval_no);
            }
        }
        S::Refused => {
            if at == S::NotStarted {
                push("accept", day(r.accepted_on), "", "");
            }
            push("refuse", day(r.completed_on.or(r.accepted_on)), &r.note, "");
        }
        S::Withdrawn => push("withdraw", day(r.completed_on), &r.note, ""),
    }
    for st in &steps {
        if let Err(e) = svc::step_in(w, current.id, st, None).await {
            return refuse(pr, e);
        }
    }
    if created {
        sum.approvals_created += 1;
    } else {
        sum.approvals_updated += 1;
    }
    Ok(())
}

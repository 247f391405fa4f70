//! The writing half of an import: checked records applied inside one [`Work`] through the same
//! use cases the pages use (`projects::create_in`, `plans::save_plan_in`,
//! `reports::record_approved_in`…), so each record changed writes its own audit row. A record a
//! use case refuses becomes a problem at its row and column; the caller then commits nothing.

use super::check::{
    PLAN_FIELDS, PROJECT_FIELDS, PlanRecord, ProjectRecord, REPORT_FIELDS, Records, ReportRecord,
    column_of, value_of,
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
    PLAN_HEADERS, PROJECT_HEADERS, REPORT_HEADERS, SHEET_PLANS, SHEET_PROJECTS, SHEET_REPORTS,
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

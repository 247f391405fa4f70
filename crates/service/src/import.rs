//! Importing the canonical workbook: all or nothing. Every cell is checked first; the rows are
//! then written in one transaction, and any problem — a bad cell or an unknown project —
//! leaves the database untouched and comes back as a report of sheet, row, column, value and a
//! Chinese reason. Re-importing the same file changes nothing. Center-staff imports count as
//! approved; a changed approved month becomes a revision.

use crate::{App, Ctx, ServiceError, audit, require};
use keyproj_db::Tx;
use keyproj_db::repo::{dispatch as d, org, projects as p};
use keyproj_domain::authz::Action;
use keyproj_domain::plan::{PlanDraft, check_year};
use keyproj_domain::project::{ProjectDraft, Stage, check_stage_change};
use keyproj_domain::report::ReportDraft;
use keyproj_domain::{RegionCode, ReportMonth};
use keyproj_office::workbook::{
    PLAN_HEADERS, PROJECT_HEADERS, REPORT_HEADERS, SHEET_PLANS, SHEET_PROJECTS, SHEET_REPORTS,
    SheetRows,
};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub sheet: String,
    pub row: usize,
    pub column: String,
    pub value: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub projects_created: usize,
    pub projects_updated: usize,
    pub projects_unchanged: usize,
    pub plans_created: usize,
    pub plans_updated: usize,
    pub plans_unchanged: usize,
    pub reports_created: usize,
    pub reports_revised: usize,
    pub reports_unchanged: usize,
    pub units_created: Vec<String>,
    pub leaders_created: Vec<String>,
}

#[derive(Debug)]
pub enum ImportError {
    /// The whole file was refused (format, limits).
    File(String),
    /// Cells or rows are wrong; nothing was written.
    Problems(Vec<Problem>),
    Service(ServiceError),
}

impl From<ServiceError> for ImportError {
    fn from(e: ServiceError) -> Self {
        ImportError::Service(e)
    }
}
impl From<keyproj_db::DbError> for ImportError {
    fn from(e: keyproj_db::DbError) -> Self {
        ImportError::Service(e.into())
    }
}

/// Reads and applies a workbook.
pub async fn import_bytes(
    app: &App,
    ctx: &Ctx,
    bytes: &[u8],
    limits: &keyproj_office::workbook::Limits,
) -> Result<Summary, ImportError> {
    match keyproj_office::workbook::read(bytes, limits) {
        Ok(sheets) => import(app, ctx, &sheets).await,
        Err(keyproj_office::workbook::ReadError::File(m)) => Err(ImportError::File(m)),
        Err(keyproj_office::workbook::ReadError::Cells(cells)) => Err(ImportError::Problems(
            cells
                .into_iter()
                .map(|c| Problem {
                    sheet: c.sheet,
                    row: c.row,
                    column: c.column,
                    value: c.value,
                    reason: c.reason,
                })
                .collect(),
        )),
    }
}

/// Maps a field error of a draft back to the sheet's column.
fn column_of(field: &str, headers: &[&str], map: &[(&str, &str)]) -> String {
    map.iter()
        .find(|(f, _)| *f == field)
        .map(|(_, c)| c.to_string())
        .or_else(|| {
            field
                .strip_prefix("month_")
                .and_then(|m| m.parse::<usize>().ok())
                .map(|m| format!("{m}月"))
        })
        .unwrap_or_else(|| headers[0].to_string())
}

const PROJECT_FIELDS: [(&str, &str); 13] = [
    ("code", "项目编号"),
    ("name", "项目名称"),
    ("national_code", "项目代码"),
    ("level", "项目级别"),
    ("stage", "建设阶段"),
    ("industry", "行业类别"),
    ("content_scale", "建设内容及规模"),
    ("total_investment_wan", "总投资（万元）"),
    ("planned_start", "计划开工"),
    ("planned_completion", "计划竣工"),
    ("actual_start", "实际开工"),
    ("actual_completion", "实际竣工"),
    ("location", "所属乡镇"),
];
const PLAN_FIELDS: [(&str, &str); 4] = [
    ("category", "年度类别"),
    ("annual_plan_wan", "年度计划投资（万元）"),
    ("targets", "年度目标"),
    ("monthly_wan", "1月"),
];
const REPORT_FIELDS: [(&str, &str); 3] = [
    ("month_investment_wan", "本月完成投资（万元）"),
    ("progress", "形象进度"),
    ("problems", "存在问题"),
];

struct Problems<'a> {
    sheet: &'a str,
    list: &'a mut Vec<Problem>,
}
impl Problems<'_> {
    fn add(&mut self, row: usize, column: &str, value: &str, reason: impl Into<String>) {
        self.list.push(Problem {
            sheet: self.sheet.into(),
            row,
            column: column.into(),
            value: value.chars().take(100).collect(),
            reason: reason.into(),
        });
    }
}

fn value_of<'a>(values: &'a [String], headers: &[&str], column: &str) -> &'a str {
    headers
        .iter()
        .position(|h| *h == column)
        .and_then(|i| values.get(i))
        .map(String::as_str)
        .unwrap_or("")
}

pub async fn import(app: &App, ctx: &Ctx, sheets: &[SheetRows]) -> Result<Summary, ImportError> {
    import_tracked(app, ctx, sheets, &Progress::default(), None).await
}

/// How far an import is: the phase and rows done of rows in all sheets. Checked and written
/// rows are counted separately (the phase says which).
#[derive(Debug, Default)]
pub struct Progress {
    phase: std::sync::Mutex<&'static str>,
    done: AtomicI64,
    total: AtomicI64,
}

impl Progress {
    fn set(&self, phase: &'static str, total: i64) {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner()) = phase;
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }
    fn tick(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }
    /// (phase, done, total)
    pub fn get(&self) -> (&'static str, i64, i64) {
        (
            *self.phase.lock().unwrap_or_else(|e| e.into_inner()),
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }
}

/// The import, reporting progress; with a job id, the job's successful outcome is recorded in
/// the same transaction as the data.
pub async fn import_tracked(
    app: &App,
    ctx: &Ctx,
    sheets: &[SheetRows],
    progress: &Progress,
    job: Option<&str>,
) -> Result<Summary, ImportError> {
    require(ctx, Action::CreateProject)?;
    require(ctx, Action::ManagePlans)?;
    require(ctx, Action::ReviewReports)?;
    let region = ctx.actor.region.clone();
    let mut problems: Vec<Problem> = vec![];
    let sheet = |name: &str| sheets.iter().find(|s| s.name == name);

    // 1. Every cell, before anything is written.
    let rows: usize = sheets.iter().map(|s| s.rows.len()).sum();
    progress.set(PHASE_CHECKING, rows as i64);
    let mut projects = vec![];
    if let Some(s) = sheet(SHEET_PROJECTS) {
        let mut pr = Problems {
            sheet: SHEET_PROJECTS,
            list: &mut problems,
        };
        let mut seen = HashSet::new();
        for (row, v) in &s.rows {
            progress.tick();
            let get = |c: &str| value_of(v, &PROJECT_HEADERS, c).to_string();
            let draft = ProjectDraft {
                code: get("项目编号"),
                name: get("项目名称"),
                national_code: get("项目代码"),
                level: get("项目级别"),
                stage: get("建设阶段"),
                industry: get("行业类别"),
                content_scale: get("建设内容及规模"),
                total_investment_wan: get("总投资（万元）"),
                funding_sources: String::new(),
                planned_start: get("计划开工"),
                planned_completion: get("计划竣工"),
                actual_start: get("实际开工"),
                actual_completion: get("实际竣工"),
                location: String::new(),
                tags: String::new(),
            };
            if draft.code.trim().is_empty() {
                pr.add(
                    *row,
                    "项目编号",
                    "",
                    "导入时须填写项目编号（本地区项目的固定编号，如 TJ2022-001）",
                );
                continue;
            }
            if !seen.insert(draft.code.trim().to_string()) {
                pr.add(*row, "项目编号", &draft.code, "同一文件中项目编号重复");
                continue;
            }
            match draft.validate() {
                Ok(f) => projects.push((
                    *row,
                    f,
                    get("所属乡镇"),
                    get("业主单位"),
                    get("县级联系领导"),
                    get("牵头单位"),
                    get("责任单位"),
                )),
                Err(e) => {
                    for fe in e.0 {
                        let col = column_of(&fe.field, &PROJECT_HEADERS, &PROJECT_FIELDS);
                        let val = value_of(v, &PROJECT_HEADERS, &col).to_string();
                        pr.add(*row, &col, &val, fe.message);
                    }
                }
            }
        }
    }
    let mut plans = vec![];
    if let Some(s) = sheet(SHEET_PLANS) {
        let mut pr = Problems {
            sheet: SHEET_PLANS,
            list: &mut problems,
        };
        let mut seen = HashSet::new();
        for (row, v) in &s.rows {
            progress.tick();
            let get = |c: &str| value_of(v, &PLAN_HEADERS, c).to_string();
            let code = get("项目编号");
            let year = match check_year("year", &get("年度")) {
                Ok(y) => y,
                Err(e) => {
                    pr.add(*row, "年度", &get("年度"), e.message);
                    continue;
                }
            };
            if code.is_empty() {
                pr.add(*row, "项目编号", "", "请填写项目编号");
                continue;
            }
            if !seen.insert((code.clone(), year)) {
                pr.add(
                    *row,
                    "项目编号",
                    &code,
                    format!("同一文件中该项目的{year}年度计划重复"),
                );
                continue;
            }
            let draft = PlanDraft {
                category: get("年度类别"),
                annual_plan_wan: get("年度计划投资（万元）"),
                targets: get("年度目标"),
                monthly_wan: (1..=12).map(|m| get(&format!("{m}月"))).collect(),
            };
            match draft.validate() {
                Ok(f) => plans.push((*row, code, year, f)),
                Err(e) => {
                    for fe in e.0 {
                        let col = column_of(&fe.field, &PLAN_HEADERS, &PLAN_FIELDS);
                        let val = value_of(v, &PLAN_HEADERS, &col).to_string();
                        pr.add(*row, &col, &val, fe.message);
                    }
                }
            }
        }
    }
    let mut reports = vec![];
    if let Some(s) = sheet(SHEET_REPORTS) {
        let mut pr = Problems {
            sheet: SHEET_REPORTS,
            list: &mut problems,
        };
        let mut seen = HashSet::new();
        let this_month = ReportMonth::of(app.local_today());
        for (row, v) in &s.rows {
            progress.tick();
            let get = |c: &str| value_of(v, &REPORT_HEADERS, c).to_string();
            let code = get("项目编号");
            let month = match ReportMonth::parse("month", "报告月份", &get("报告月份")) {
                Ok(m) if m <= this_month => m,
                Ok(_) => {
                    pr.add(*row, "报告月份", &get("报告月份"), "报告月份尚未开始");
                    continue;
                }
                Err(e) => {
                    pr.add(*row, "报告月份", &get("报告月份"), e.message);
                    continue;
                }
            };
            if code.is_empty() {
                pr.add(*row, "项目编号", "", "请填写项目编号");
                continue;
            }
            if !seen.insert((code.clone(), month)) {
                pr.add(
                    *row,
                    "项目编号",
                    &code,
                    format!("同一文件中该项目{}的月报重复", month.chinese()),
                );
                continue;
            }
            let draft = ReportDraft {
                month_investment_wan: get("本月完成投资（万元）"),
                progress: get("形象进度"),
                next_plan: String::new(),
                problems: get("存在问题"),
            };
            // When the month was reported: given, or else on time (history entered by staff
            // must not make every past table say the reports came late).
            let reported_on = match get("报送日期").trim() {
                "" => None,
                text => match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                    Ok(d) if d < month.first_day() => {
                        pr.add(*row, "报送日期", text, "报送日期不能早于报告月份");
                        continue;
                    }
                    Ok(d) if d > app.local_today() => {
                        pr.add(*row, "报送日期", text, "报送日期不能晚于今天");
                        continue;
                    }
                    Ok(d) => Some(d),
                    Err(_) => {
                        pr.add(*row, "报送日期", text, "日期格式应为 2022-03-05");
                        continue;
                    }
                },
            };
            match draft.validate() {
                Ok(f) => reports.push((*row, code, month, f, reported_on)),
                Err(e) => {
                    for fe in e.0 {
                        let col = column_of(&fe.field, &REPORT_HEADERS, &REPORT_FIELDS);
                        let val = value_of(v, &REPORT_HEADERS, &col).to_string();
                        pr.add(*row, &col, &val, fe.message);
                    }
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(ImportError::Problems(problems));
    }

    // 2. One transaction; any problem found while writing rolls everything back.
    progress.set(PHASE_WRITING, rows as i64);
    let mut tx = app.db.begin_write().await?;
    let now = app.now();
    let mut sum = Summary::default();
    let mut ids: HashMap<String, i64> = HashMap::new();
    let mut units: HashMap<String, i64> = HashMap::new();
    {
        let mut pr = Problems {
            sheet: SHEET_PROJECTS,
            list: &mut problems,
        };
        for (row, f, township, owner, leader, lead, responsible) in &projects {
            progress.tick();
            let code = f.code.clone().unwrap_or_default();
            let township_id = unit_id(
                &mut tx, &region, township, "township", &mut units, &mut sum, now,
            )
            .await?;
            let owner_id = unit_id(
                &mut tx,
                &region,
                owner,
                "enterprise",
                &mut units,
                &mut sum,
                now,
            )
            .await?;
            let lead_id = unit_id(
                &mut tx,
                &region,
                lead,
                "department",
                &mut units,
                &mut sum,
                now,
            )
            .await?;
            let mut resp = vec![];
            for name in responsible
                .split(['、', ',', '，', ';', '；'])
                .map(str::trim)
                .filter(|n| !n.is_empty())
            {
                if let Some(id) = unit_id(
                    &mut tx,
                    &region,
                    name,
                    "department",
                    &mut units,
                    &mut sum,
                    now,
                )
                .await?
                    && !resp.contains(&id)
                {
                    resp.push(id);
                }
            }
            let leader_id = match leader.trim() {
                "" => None,
                n => Some(
                    match org::find_leader_by_name(&mut tx, region.as_str(), n).await? {
                        Some(l) => l.id,
                        None => {
                            sum.leaders_created.push(n.to_string());
                            org::insert_leader(&mut tx, region.as_str(), n, "", "", 100, now)
                                .await?
                        }
                    },
                ),
            };
            let threshold = crate::org::thresholds_in(&mut tx, &region)
                .await?
                .into_iter()
                .find(|(c, _)| *c == f.industry.threshold_class())
                .map(|(_, m)| m)
                .unwrap_or_default();
            let mut values = p::ProjectValues {
                region_code: region.to_string(),
                code: Some(code.clone()),
                name: f.name.clone(),
                national_code: f.national_code.clone(),
                level: f.level.key().into(),
                stage: f.stage.key().into(),
                industry: f.industry.key().into(),
                township_unit_id: township_id,
                owner_unit_id: owner_id,
                content_scale: f.content_scale.clone(),
                total_investment_fen: f.total_investment.fen(),
                funding_sources: String::new(),
                planned_start: f.planned_start.map(|m| m.to_string()),
                planned_completion: f.planned_completion.map(|m| m.to_string()),
                actual_start: f.actual_start.map(|m| m.to_string()),
                actual_completion: f.actual_completion.map(|m| m.to_string()),
                leader_id,
                lead_unit_id: lead_id,
                parent_id: None,
                location: String::new(),
                tags: String::new(),
                below_threshold: f.total_investment < threshold,
            };
            if let Some(nc) = &f.national_code
                && let Some(other) = p::national_code_owner(&mut tx, nc).await?
            {
                let mine = p::find_by_code(&mut tx, region.as_str(), &code)
                    .await?
                    .map(|x| x.id);
                if Some(other) != mine {
                    pr.add(*row, "项目代码", nc, "项目代码已被其他项目使用");
                    continue;
                }
            }
            match p::find_by_code(&mut tx, region.as_str(), &code).await? {
                None => {
                    let id = p::insert(&mut tx, &values, now).await?;
                    p::set_responsible_units(&mut tx, id, &resp).await?;
                    p::insert_stage_change(
                        &mut tx,
                        &p::NewStageChange {
                            project_id: id,
                            from_stage: None,
                            to_stage: f.stage.key(),
                            changed_on: &app.local_today().to_string(),
                            reason: "Excel导入入库",
                            user_id: None,
                            username: &ctx.actor.username,
                        },
                        now,
                    )
                    .await?;
                    ids.insert(code, id);
                    sum.projects_created += 1;
                }
                Some(existing) => {
                    // Keep what the sheet does not carry.
                    values.funding_sources = existing.funding_sources.clone();
                    values.location = existing.location.clone();
                    values.tags = existing.tags.clone();
                    values.parent_id = existing.parent_id;
                    let old_resp: Vec<i64> = p::responsible_units(&mut tx, existing.id)
                        .await?
                        .into_iter()
                        .map(|u| u.0)
                        .collect();
                    let from = Stage::from_key(&existing.stage).unwrap_or(Stage::Signed);
                    if from != f.stage {
                        if let Err(e) =
                            check_stage_change(from, f.stage, f.actual_start, f.actual_completion)
                        {
                            pr.add(
                                *row,
                                "建设阶段",
                                f.stage.label(),
                                e.to_field_error().message,
                            );
                            continue;
                        }
                        p::insert_stage_change(
                            &mut tx,
                            &p::NewStageChange {
                                project_id: existing.id,
                                from_stage: Some(from.key()),
                                to_stage: f.stage.key(),
                                changed_on: &app.local_today().to_string(),
                                reason: "Excel导入",
                                user_id: None,
                                username: &ctx.actor.username,
                            },
                            now,
                        )
                        .await?;
                        p::change_stage(
                            &mut tx,
                            existing.id,
                            existing.version,
                            f.stage.key(),
                            values.actual_start.as_deref(),
                            values.actual_completion.as_deref(),
                            now,
                        )
                        .await?;
                    }
                    let current = p::get(&mut tx, existing.id)
                        .await?
                        .ok_or(ServiceError::NotFound)?;
                    let unchanged = crate::projects::values_of_row(&current) == values && {
                        let mut a = old_resp.clone();
                        a.sort();
                        let mut b = resp.clone();
                        b.sort();
                        a == b
                    };
                    if unchanged && from == f.stage {
                        sum.projects_unchanged += 1;
                    } else {
                        if crate::projects::values_of_row(&current) != values {
                            p::update(&mut tx, current.id, current.version, &values, now).await?;
                        }
                        p::set_responsible_units(&mut tx, current.id, &resp).await?;
                        sum.projects_updated += 1;
                    }
                    ids.insert(code, existing.id);
                }
            }
        }
    }
    {
        let mut pr = Problems {
            sheet: SHEET_PLANS,
            list: &mut problems,
        };
        for (row, code, year, f) in &plans {
            progress.tick();
            let Some(id) = project_id(&mut tx, &region, code, &mut ids).await? else {
                pr.add(
                    *row,
                    "项目编号",
                    code,
                    "项目编号在项目库中不存在（可在同一文件的“项目库”表中一并导入）",
                );
                continue;
            };
            let monthly = crate::dispatch::monthly_to_text(&f.monthly);
            let values = d::PlanValues {
                category: f.category.key(),
                annual_plan_fen: f.annual_plan.fen(),
                targets: &f.targets,
                monthly_fen: &monthly,
            };
            match d::get_plan(&mut tx, id, *year as i64).await? {
                None => {
                    if d::plan_year(&mut tx, region.as_str(), *year as i64)
                        .await?
                        .is_some_and(|y| y.frozen_at.is_some())
                    {
                        pr.add(
                            *row,
                            "年度",
                            &year.to_string(),
                            format!("{year}年度计划已下达，新增项目请在系统中填写原因后录入"),
                        );
                        continue;
                    }
                    d::insert_plan(&mut tx, id, *year as i64, &values, now).await?;
                    sum.plans_created += 1;
                }
                Some(old) => {
                    if old.category == values.category
                        && old.annual_plan_fen == values.annual_plan_fen
                        && old.targets == values.targets
                        && old.monthly_fen == values.monthly_fen
                    {
                        sum.plans_unchanged += 1;
                        continue;
                    }
                    if d::plan_year(&mut tx, region.as_str(), *year as i64)
                        .await?
                        .is_some_and(|y| y.frozen_at.is_some())
                    {
                        pr.add(
                            *row,
                            "年度计划投资（万元）",
                            &f.annual_plan.wan_2dp(),
                            format!("{year}年度计划已下达，修改须在系统中填写原因"),
                        );
                        continue;
                    }
                    d::update_plan(&mut tx, old.id, old.version, &values, now).await?;
                    sum.plans_updated += 1;
                }
            }
        }
    }
    {
        let mut pr = Problems {
            sheet: SHEET_REPORTS,
            list: &mut problems,
        };
        let mut deadline_days: HashMap<i32, u32> = HashMap::new();
        for (row, code, month, f, reported_on) in &reports {
            progress.tick();
            let Some(id) = project_id(&mut tx, &region, code, &mut ids).await? else {
                pr.add(*row, "项目编号", code, "项目编号在项目库中不存在");
                continue;
            };
            let values = d::ReportValues {
                month_investment_fen: f.month_investment.fen(),
                progress: &f.progress,
                next_plan: &f.next_plan,
                problems: &f.problems,
            };
            let m = month.to_string();
            match d::get_report(&mut tx, id, &m).await? {
                None => {
                    let reported_on = match reported_on {
                        Some(d) => *d,
                        None => {
                            let day = match deadline_days.get(&month.year()) {
                                Some(d) => *d,
                                None => {
                                    let d =
                                        crate::colour::rules_for_tx(&mut tx, &region, month.year())
                                            .await?
                                            .2;
                                    deadline_days.insert(month.year(), d);
                                    d
                                }
                            };
                            keyproj_domain::report::due_date(*month, day).min(app.local_today())
                        }
                    };
                    d::insert_report(
                        &mut tx,
                        id,
                        &m,
                        "approved",
                        &values,
                        &reported_on.to_string(),
                        &ctx.actor.username,
                        Some(&ctx.actor.username),
                        now,
                    )
                    .await?;
                    sum.reports_created += 1;
                }
                Some(old) => {
                    let same = old.month_investment_fen == values.month_investment_fen
                        && old.progress == f.progress
                        && old.problems == f.problems;
                    if same && old.status == "approved" {
                        sum.reports_unchanged += 1;
                        continue;
                    }
                    if old.status == "approved" {
                        // A change of an approved month is a revision: the old figures are kept.
                        d::insert_report_revision(
                            &mut tx,
                            &old,
                            "Excel导入更正",
                            None,
                            &ctx.actor.username,
                            now,
                        )
                        .await?;
                        d::update_report(
                            &mut tx,
                            old.id,
                            old.version,
                            "approved",
                            &values,
                            &old.submitted_by,
                            old.revision + 1,
                            now,
                        )
                        .await?;
                        sum.reports_revised += 1;
                    } else {
                        d::update_report(
                            &mut tx,
                            old.id,
                            old.version,
                            "approved",
                            &values,
                            &ctx.actor.username,
                            old.revision,
                            now,
                        )
                        .await?;
                        d::review_report(
                            &mut tx,
                            old.id,
                            old.version + 1,
                            "approved",
                            "",
                            &ctx.actor.username,
                            now,
                        )
                        .await?;
                        sum.reports_created += 1;
                    }
                }
            }
        }
    }
    if !problems.is_empty() {
        tx.rollback().await?;
        return Err(ImportError::Problems(problems));
    }
    audit(
        app,
        &mut tx,
        ctx,
        "import",
        "workbook",
        None,
        None::<&()>,
        Some(&sum),
    )
    .await?;
    if let Some(job) = job {
        let result =
            serde_json::to_string(&sum).map_err(|e| ServiceError::internal("内部处理", e))?;
        keyproj_db::repo::jobs::finish(&mut tx, job, OUTCOME_OK, &result, rows as i64, app.now())
            .await?;
    }
    tx.commit().await?;
    Ok(sum)
}

async fn project_id(
    tx: &mut Tx,
    region: &RegionCode,
    code: &str,
    ids: &mut HashMap<String, i64>,
) -> Result<Option<i64>, ImportError> {
    if let Some(id) = ids.get(code) {
        return Ok(Some(*id));
    }
    // Remember what was looked up: a month sheet names the same projects again and again.
    let found = p::find_by_code(tx, region.as_str(), code)
        .await?
        .map(|x| x.id);
    if let Some(id) = found {
        ids.insert(code.to_string(), id);
    }
    Ok(found)
}

/// A unit by name in the region, created (with `kind`) when new.
async fn unit_id(
    tx: &mut Tx,
    region: &RegionCode,
    name: &str,
    kind: &'static str,
    cache: &mut HashMap<String, i64>,
    sum: &mut Summary,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<i64>, ImportError> {
    let name = name.trim();
    if name.is_empty() {
        return Ok(None);
    }
    if let Some(id) = cache.get(name) {
        return Ok(Some(*id));
    }
    let id = match org::find_unit_by_name(tx, region.as_str(), name).await? {
        Some(u) => u.id,
        None => {
            if name.chars().count() > 60 {
                return Err(ImportError::Problems(vec![Problem {
                    sheet: SHEET_PROJECTS.into(),
                    row: 0,
                    column: "单位".into(),
                    value: name.chars().take(60).collect(),
                    reason: "单位名称不能超过60个字".into(),
                }]));
            }
            sum.units_created.push(name.to_string());
            org::insert_unit(
                tx,
                &org::NewUnit {
                    region_code: region.as_str(),
                    name,
                    kind,
                    contact: "",
                    phone: "",
                    sort_order: 100,
                },
                now,
            )
            .await?
        }
    };
    cache.insert(name.to_string(), id);
    Ok(Some(id))
}

// --- jobs --------------------------------------------------------------------------------

pub const PHASE_QUEUED: &str = "queued";
pub const PHASE_READING: &str = "reading";
pub const PHASE_CHECKING: &str = "checking";
pub const PHASE_WRITING: &str = "writing";
pub const OUTCOME_OK: &str = "ok";
pub const OUTCOME_PROBLEMS: &str = "problems";
pub const OUTCOME_REFUSED: &str = "refused";
pub const OUTCOME_FAILED: &str = "failed";

/// The Chinese name of a job phase.
pub fn phase_label(phase: &str) -> &'static str {
    match phase {
        PHASE_QUEUED => "排队中",
        PHASE_READING => "读取文件",
        PHASE_CHECKING => "逐格校验",
        PHASE_WRITING => "写入数据",
        _ => "已结束",
    }
}

/// What a finished job came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum JobOutcome {
    Ok { summary: Summary },
    Problems { problems: Vec<Problem> },
    Refused { message: String },
    Failed { message: String },
}

/// A job as its owner sees it.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    pub id: String,
    pub file_name: String,
    pub phase: String,
    pub phase_label: &'static str,
    pub done: i64,
    pub total: i64,
    pub percent: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub finished: Option<JobOutcome>,
}

/// A running job beats at least this often (its progress rows are its heartbeat)…
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(5);
/// …and one silent for this long belongs to an instance that stopped.
pub const SILENT_AFTER_SECS: i64 = 60;

/// Marks failed the jobs whose instance died: at start-up (on SQLite, every job this process did
/// not start, since one server runs on a database file) and then by heartbeat age. Returns how
/// many were marked.
pub async fn fail_abandoned(app: &App, at_start: bool) -> Result<u64, ServiceError> {
    let now = app.now();
    let mut tx = app.db.begin_write().await?;
    let mut n = keyproj_db::repo::jobs::fail_silent(
        &mut tx,
        now - chrono::Duration::seconds(SILENT_AFTER_SECS),
        now,
    )
    .await?;
    if at_start && app.db.backend() == "sqlite" {
        n += keyproj_db::repo::jobs::fail_others(&mut tx, &app.instance_id, now).await?;
    }
    tx.commit().await?;
    if n > 0 {
        tracing::warn!(
            jobs = n,
            "import jobs left by a stopped instance marked failed"
        );
    }
    Ok(n)
}

/// Registers an upload as a job and starts it in the background; returns the job id at once.
/// The job's row carries its progress and heartbeat, so any instance can show it.
pub async fn start_job(
    app: &App,
    ctx: &Ctx,
    file_name: &str,
    bytes: Vec<u8>,
) -> Result<String, ServiceError> {
    require(ctx, Action::CreateProject)?;
    require(ctx, Action::ManagePlans)?;
    require(ctx, Action::ReviewReports)?;
    fail_abandoned(app, false).await?;
    let id = crate::random_token();
    let name: String = file_name.chars().take(200).collect();
    let mut tx = app.db.begin_write().await?;
    keyproj_db::repo::jobs::create(
        &mut tx,
        &keyproj_db::repo::jobs::NewJob {
            id: &id,
            region: ctx.actor.region.as_str(),
            by: &ctx.actor.username,
            file_name: &name,
            instance_id: &app.instance_id,
        },
        app.now(),
    )
    .await?;
    tx.commit().await?;
    let (app, ctx, job) = (app.clone(), ctx.clone(), id.clone());
    tokio::spawn(async move { run_job(&app, &ctx, &job, bytes).await });
    Ok(id)
}

/// Runs a registered job to its end; every outcome is recorded on the job row. While it runs,
/// its progress is also kept in this process, so its page shows real progress even while the
/// job holds SQLite's only write lock and the row cannot be updated.
pub async fn run_job(app: &App, ctx: &Ctx, job: &str, bytes: Vec<u8>) {
    // One import at a time per process: reading a large workbook holds a few hundred MB, and
    // several at once would multiply that. The others wait, shown as 排队中.
    static RUNNING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
    let progress = std::sync::Arc::new(Progress::default());
    progress.set(PHASE_QUEUED, 0);
    app.running_imports
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(job.to_string(), progress.clone());
    let finished = std::sync::Arc::new(tokio::sync::Notify::new());
    let reporter = {
        let (app, progress, finished, job) = (
            app.clone(),
            progress.clone(),
            finished.clone(),
            job.to_string(),
        );
        tokio::spawn(async move {
            let mut last = (PHASE_QUEUED, -1, -1);
            let mut beat = std::time::Instant::now();
            let mut every = tokio::time::interval(std::time::Duration::from_millis(300));
            loop {
                tokio::select! {
                    _ = finished.notified() => break,
                    _ = every.tick() => {}
                }
                let now = progress.get();
                // SQLite has one writer: while the import writes, the row would only wait.
                let blocked = now.0 == PHASE_WRITING && app.db.backend() == "sqlite";
                let due = now != last || beat.elapsed() >= HEARTBEAT;
                if due
                    && !blocked
                    && let Ok(mut tx) = app.db.begin_write().await
                {
                    let ok = keyproj_db::repo::jobs::progress(
                        &mut tx,
                        &job,
                        now.0,
                        now.1,
                        now.2,
                        app.now(),
                    )
                    .await
                    .is_ok();
                    if ok && tx.commit().await.is_ok() {
                        last = now;
                        beat = std::time::Instant::now();
                    }
                }
            }
        })
    };
    // the reporter beats while the job waits its turn, so a queued job is never taken for dead
    let _turn = RUNNING.acquire().await;
    progress.set(PHASE_READING, 0);
    let read = tokio::task::spawn_blocking(move || {
        keyproj_office::workbook::read(&bytes, &Default::default())
    })
    .await;
    let outcome = match read {
        Err(e) => Err((OUTCOME_FAILED, serde_json::json!(e.to_string()))),
        Ok(Err(keyproj_office::workbook::ReadError::File(m))) => {
            Err((OUTCOME_REFUSED, serde_json::json!(m)))
        }
        Ok(Err(keyproj_office::workbook::ReadError::Cells(cells))) => Err((
            OUTCOME_PROBLEMS,
            serde_json::json!(
                cells
                    .into_iter()
                    .map(|c| Problem {
                        sheet: c.sheet,
                        row: c.row,
                        column: c.column,
                        value: c.value,
                        reason: c.reason,
                    })
                    .collect::<Vec<_>>()
            ),
        )),
        Ok(Ok(sheets)) => match import_tracked(app, ctx, &sheets, &progress, Some(job)).await {
            Ok(_) => Ok(()),
            Err(ImportError::Problems(p)) => Err((OUTCOME_PROBLEMS, serde_json::json!(p))),
            Err(ImportError::File(m)) => Err((OUTCOME_REFUSED, serde_json::json!(m))),
            Err(ImportError::Service(e)) => {
                tracing::error!(job, error = %e, "import job failed");
                Err((OUTCOME_FAILED, serde_json::json!(e.to_string())))
            }
        },
    };
    finished.notify_one();
    let _ = reporter.await;
    app.running_imports
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(job);
    if let Err((outcome, result)) = outcome {
        let write = async {
            let mut tx = app.db.begin_write().await?;
            let rows = progress.get().2;
            keyproj_db::repo::jobs::finish(
                &mut tx,
                job,
                outcome,
                &result.to_string(),
                rows,
                app.now(),
            )
            .await?;
            tx.commit().await
        };
        if let Err(e) = write.await {
            tracing::error!(job, error = %e, "recording the import job's outcome failed");
        }
    }
}

/// A job of the actor (others' jobs are not found).
pub async fn job(app: &App, ctx: &Ctx, id: &str) -> Result<JobView, ServiceError> {
    let mut tx = app.db.begin_read().await?;
    let mut row = keyproj_db::repo::jobs::get(&mut tx, id)
        .await?
        .filter(|r| r.created_by == ctx.actor.username)
        .ok_or(ServiceError::NotFound)?;
    drop(tx);
    if row.outcome.is_none() {
        let local = app
            .running_imports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .map(|p| p.get());
        match local {
            // running here: the live figures, even while the row cannot be written
            Some((phase, done, total)) => {
                row.phase = phase.to_string();
                row.done = done;
                row.total = total;
            }
            // running elsewhere, or nowhere: a silent job is marked failed now
            None => {
                let silent = row.heartbeat_at.unwrap_or(row.created_at)
                    < app.now() - chrono::Duration::seconds(SILENT_AFTER_SECS);
                if silent && fail_abandoned(app, false).await? > 0 {
                    let mut tx = app.db.begin_read().await?;
                    if let Some(r) = keyproj_db::repo::jobs::get(&mut tx, id).await? {
                        row = r;
                    }
                }
            }
        }
    }
    let text = row.result.clone().unwrap_or_default();
    let message = || serde_json::from_str::<String>(&text).unwrap_or_default();
    let finished = match row.outcome.as_deref() {
        None => None,
        Some(OUTCOME_OK) => Some(JobOutcome::Ok {
            summary: serde_json::from_str(&text).unwrap_or_default(),
        }),
        Some(OUTCOME_PROBLEMS) => Some(JobOutcome::Problems {
            problems: serde_json::from_str(&text).unwrap_or_default(),
        }),
        Some(OUTCOME_REFUSED) => Some(JobOutcome::Refused { message: message() }),
        Some(_) => Some(JobOutcome::Failed { message: message() }),
    };
    let percent = if finished.is_some() {
        100
    } else if row.total > 0 {
        // checking is the first half of the bar, writing the second
        let part = row.done.min(row.total) * 50 / row.total;
        if row.phase == PHASE_WRITING {
            50 + part
        } else {
            part
        }
    } else {
        0
    };
    Ok(JobView {
        phase_label: phase_label(if finished.is_some() {
            "done"
        } else {
            &row.phase
        }),
        id: row.id,
        file_name: row.file_name,
        phase: row.phase,
        done: row.done,
        total: row.total,
        percent,
        created_at: row.created_at,
        finished,
    })
}

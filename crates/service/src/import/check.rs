//! The pure half of an import: every cell of every sheet read into typed records, or every
//! problem named (sheet, row, column, value, reason). Owns the column mapping of the canonical
//! workbook; touches no database.

use super::{Problem, Problems, Progress};
use chrono::NaiveDate;
use keyproj_domain::pipeline::{ApprovalState, SignedDraft, SignedFields, SigningLevel};
use keyproj_domain::plan::{PlanDraft, PlanFields, check_year};
use keyproj_domain::problem::calendar::DayCount;
use keyproj_domain::project::{ProjectDraft, ProjectFields};
use keyproj_domain::report::{ReportDraft, ReportFields};
use keyproj_domain::{FieldError, ReportMonth};
use keyproj_office::workbook::{
    APPROVAL_HEADERS, PLAN_HEADERS, PROJECT_HEADERS, REPORT_HEADERS, SHEET_APPROVALS, SHEET_PLANS,
    SHEET_PROJECTS, SHEET_REPORTS, SHEET_SIGNED, SIGNED_HEADERS, SheetRows,
};
use std::collections::HashSet;

/// Which column of the 项目库 sheet a draft's field is read from.
pub const PROJECT_FIELDS: [(&str, &str); 14] = [
    ("code", "项目编号"),
    // a stage change refused by the use case (e.g. 竣工 → 签约)
    ("to_stage", "建设阶段"),
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
/// Which column of the 签约项目 sheet a draft's field is read from.
pub const SIGNED_FIELDS: [(&str, &str); 11] = [
    ("contract_no", "合同编号"),
    ("name", "项目名称"),
    ("investor", "投资方"),
    ("investor_origin", "投资方来源地"),
    ("contract_on", "签约日期"),
    ("agreed_investment_wan", "协议投资（万元）"),
    ("industry", "行业类别"),
    ("expected_start", "预计开工"),
    ("event_id", "签约活动"),
    ("held_on", "活动日期"),
    // the project a signed row enters the library as (its draft names the code `code`)
    ("code", "项目编号"),
];
/// Which column of the 帮代办事项 sheet a use case's field is read from.
pub const APPROVAL_FIELDS: [(&str, &str); 10] = [
    ("catalogue_id", "审批事项"),
    ("name", "审批事项"),
    ("unit_id", "审批部门"),
    ("limit_days", "承诺时限（天）"),
    ("day_count", "计算方式"),
    ("agent", "代办员"),
    ("received_on", "收件日期"),
    ("on", "受理日期"),
    ("approval_no", "批文号"),
    ("note", "备注"),
];
/// Which column of the 年度计划 sheet a draft's field is read from.
pub const PLAN_FIELDS: [(&str, &str); 4] = [
    ("category", "年度类别"),
    ("annual_plan_wan", "年度计划投资（万元）"),
    ("targets", "年度目标"),
    ("monthly_wan", "1月"),
];
/// Which column of the 月度调度 sheet a draft's field is read from.
pub const REPORT_FIELDS: [(&str, &str); 3] = [
    ("month_investment_wan", "本月完成投资（万元）"),
    ("progress", "形象进度"),
    ("problems", "存在问题"),
];

/// The sheet's column of a draft's field (monthly plan fields are 1月…12月).
pub fn column_of(field: &str, headers: &[&str], map: &[(&str, &str)]) -> String {
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

pub(super) fn value_of<'a>(values: &'a [String], headers: &[&str], column: &str) -> &'a str {
    headers
        .iter()
        .position(|h| *h == column)
        .and_then(|i| values.get(i))
        .map(String::as_str)
        .unwrap_or("")
}

/// A 项目库 row: the draft as typed (the use cases check it again), its checked fields, and
/// the units and leader it names.
#[derive(Debug, Clone)]
pub struct ProjectRecord {
    pub row: usize,
    /// The row's cells as read, to quote a value a use case refuses.
    pub cells: Vec<String>,
    pub code: String,
    pub draft: ProjectDraft,
    pub fields: ProjectFields,
    pub township: String,
    pub owner: String,
    pub leader: String,
    pub lead_unit: String,
    /// 责任单位, in the order written, without repeats.
    pub responsible: Vec<String>,
}

/// A 年度计划 row.
#[derive(Debug, Clone)]
pub struct PlanRecord {
    pub row: usize,
    /// The row's cells as read, to quote a value a use case refuses.
    pub cells: Vec<String>,
    pub code: String,
    pub year: i32,
    pub draft: PlanDraft,
    pub fields: PlanFields,
}

/// A 月度调度 row.
#[derive(Debug, Clone)]
pub struct ReportRecord {
    pub row: usize,
    /// The row's cells as read, to quote a value a use case refuses.
    pub cells: Vec<String>,
    pub code: String,
    pub month: ReportMonth,
    pub fields: ReportFields,
    /// 报送日期 when given (else the month counts as reported on time).
    pub reported_on: Option<NaiveDate>,
}

/// A 签约项目 row.
#[derive(Debug, Clone)]
pub struct SignedRecord {
    pub row: usize,
    pub cells: Vec<String>,
    pub draft: SignedDraft,
    pub fields: SignedFields,
    /// The event it was signed at: name, day, level.
    pub event: Option<(String, NaiveDate, SigningLevel)>,
    /// The code its project takes in the library when it reaches the threshold.
    pub project_code: String,
}

/// A 帮代办事项 row.
#[derive(Debug, Clone)]
pub struct ApprovalRecord {
    pub row: usize,
    pub cells: Vec<String>,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub limit_days: String,
    pub day_count: String,
    pub agent: String,
    pub state: ApprovalState,
    pub received_on: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub approval_no: String,
    pub note: String,
}

/// Every record of a workbook, checked.
#[derive(Debug, Clone, Default)]
pub struct Records {
    pub projects: Vec<ProjectRecord>,
    pub plans: Vec<PlanRecord>,
    pub reports: Vec<ReportRecord>,
    pub signed: Vec<SignedRecord>,
    pub approvals: Vec<ApprovalRecord>,
}

/// Names every problem of a draft at its column.
fn at_columns(
    pr: &mut Problems<'_>,
    row: usize,
    values: &[String],
    headers: &[&str],
    map: &[(&str, &str)],
    errors: Vec<FieldError>,
) {
    for fe in errors {
        let col = column_of(&fe.field, headers, map);
        let val = value_of(values, headers, &col).to_string();
        pr.add(row, &col, &val, fe.message);
    }
}

/// Reads every sheet; `today` decides which months have begun.
pub fn check(
    sheets: &[SheetRows],
    today: NaiveDate,
    progress: &Progress,
) -> Result<Records, Vec<Problem>> {
    let mut problems: Vec<Problem> = vec![];
    let sheet = |name: &str| sheets.iter().find(|s| s.name == name);
    let mut out = Records::default();
    if let Some(s) = sheet(SHEET_PROJECTS) {
        let mut pr = Problems {
            sheet: SHEET_PROJECTS,
            list: &mut problems,
        };
        out.projects = projects(s, &mut pr, progress);
    }
    if let Some(s) = sheet(SHEET_PLANS) {
        let mut pr = Problems {
            sheet: SHEET_PLANS,
            list: &mut problems,
        };
        out.plans = plans(s, &mut pr, progress);
    }
    if let Some(s) = sheet(SHEET_REPORTS) {
        let mut pr = Problems {
            sheet: SHEET_REPORTS,
            list: &mut problems,
        };
        out.reports = reports(s, &mut pr, progress, today);
    }
    if let Some(s) = sheet(SHEET_SIGNED) {
        let mut pr = Problems {
            sheet: SHEET_SIGNED,
            list: &mut problems,
        };
        out.signed = signed(s, &mut pr, progress);
    }
    if let Some(s) = sheet(SHEET_APPROVALS) {
        let mut pr = Problems {
            sheet: SHEET_APPROVALS,
            list: &mut problems,
        };
        out.approvals = approvals(s, &mut pr, progress, today);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn projects(s: &SheetRows, pr: &mut Problems<'_>, progress: &Progress) -> Vec<ProjectRecord> {
    let mut out = vec![];
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
        let code = draft.code.trim().to_string();
        if code.is_empty() {
            pr.add(
                *row,
                "项目编号",
                "",
                "导入时须填写项目编号（本地区项目的固定编号，如 TJ2022-001）",
            );
            continue;
        }
        if !seen.insert(code.clone()) {
            pr.add(*row, "项目编号", &code, "同一文件中项目编号重复");
            continue;
        }
        let mut responsible: Vec<String> = vec![];
        for name in get("责任单位")
            .split(keyproj_domain::org::UNIT_NAME_SEPARATORS)
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            if !responsible.iter().any(|r| r == name) {
                responsible.push(name.to_string());
            }
        }
        // every name the row would create is checked here, at its column, so the write never
        // meets a name it refuses
        let mut refused = false;
        let single_units = ["所属乡镇", "业主单位", "牵头单位"].map(|c| (c, get(c)));
        let named_units = single_units
            .iter()
            .map(|(c, n)| (*c, n.as_str()))
            .chain(responsible.iter().map(|n| ("责任单位", n.as_str())));
        for (column, name) in named_units {
            if name.trim().is_empty() {
                continue;
            }
            if let Err(e) = keyproj_domain::org::check_unit_name(name) {
                pr.add(*row, column, name.trim(), e.message);
                refused = true;
            }
        }
        let leader = get("县级联系领导");
        if !leader.trim().is_empty()
            && let Err(e) = keyproj_domain::org::check_leader_name(&leader)
        {
            pr.add(*row, "县级联系领导", leader.trim(), e.message);
            refused = true;
        }
        match draft.validate() {
            Ok(_) if refused => {}
            Ok(fields) => out.push(ProjectRecord {
                cells: v.clone(),
                row: *row,
                code,
                fields,
                township: get("所属乡镇").trim().to_string(),
                owner: get("业主单位").trim().to_string(),
                leader: get("县级联系领导").trim().to_string(),
                lead_unit: get("牵头单位").trim().to_string(),
                responsible,
                draft,
            }),
            Err(e) => at_columns(pr, *row, v, &PROJECT_HEADERS, &PROJECT_FIELDS, e.0),
        }
    }
    out
}

fn plans(s: &SheetRows, pr: &mut Problems<'_>, progress: &Progress) -> Vec<PlanRecord> {
    let mut out = vec![];
    let mut seen = HashSet::new();
    for (row, v) in &s.rows {
        progress.tick();
        let get = |c: &str| value_of(v, &PLAN_HEADERS, c).to_string();
        let code = get("项目编号").trim().to_string();
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
            Ok(fields) => out.push(PlanRecord {
                cells: v.clone(),
                row: *row,
                code,
                year,
                draft,
                fields,
            }),
            Err(e) => at_columns(pr, *row, v, &PLAN_HEADERS, &PLAN_FIELDS, e.0),
        }
    }
    out
}

fn reports(
    s: &SheetRows,
    pr: &mut Problems<'_>,
    progress: &Progress,
    today: NaiveDate,
) -> Vec<ReportRecord> {
    let mut out = vec![];
    let mut seen = HashSet::new();
    let this_month = ReportMonth::of(today);
    for (row, v) in &s.rows {
        progress.tick();
        let get = |c: &str| value_of(v, &REPORT_HEADERS, c).to_string();
        let code = get("项目编号").trim().to_string();
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
        // When the month was reported: given, or else on time (history entered by staff must
        // not make every past table say the reports came late).
        let reported_on = match get("报送日期").trim() {
            "" => None,
            text => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(d) if d < month.first_day() => {
                    pr.add(*row, "报送日期", text, "报送日期不能早于报告月份");
                    continue;
                }
                Ok(d) if d > today => {
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
        let draft = ReportDraft {
            month_investment_wan: get("本月完成投资（万元）"),
            progress: get("形象进度"),
            next_plan: String::new(),
            problems: get("存在问题"),
        };
        match draft.validate() {
            Ok(fields) => out.push(ReportRecord {
                cells: v.clone(),
                row: *row,
                code,
                month,
                fields,
                reported_on,
            }),
            Err(e) => at_columns(pr, *row, v, &REPORT_HEADERS, &REPORT_FIELDS, e.0),
        }
    }
    out
}

fn signed(s: &SheetRows, pr: &mut Problems<'_>, progress: &Progress) -> Vec<SignedRecord> {
    let mut out = vec![];
    let mut seen = HashSet::new();
    let mut codes = HashSet::new();
    for (row, v) in &s.rows {
        progress.tick();
        let get = |c: &str| value_of(v, &SIGNED_HEADERS, c).to_string();
        let draft = SignedDraft {
            name: get("项目名称"),
            investor: get("投资方"),
            investor_origin: get("投资方来源地"),
            contract_no: get("合同编号"),
            contract_on: get("签约日期"),
            agreed_investment_wan: get("协议投资（万元）"),
            industry: get("行业类别"),
            expected_start: get("预计开工"),
        };
        let contract = draft.contract_no.trim().to_string();
        if !contract.is_empty() && !seen.insert(contract.clone()) {
            pr.add(*row, "合同编号", &contract, "同一文件中合同编号重复");
            continue;
        }
        // the event's name is checked as the event form checks it (a control character in it
        // was stored, and pages sent it raw)
        let event_name = match keyproj_domain::error::check_text(
            "event_name",
            "签约活动",
            &get("签约活动"),
            false,
            100,
        ) {
            Ok(name) => name,
            Err(e) => {
                pr.add(*row, "签约活动", &get("签约活动"), e.message);
                if let Err(e) = draft.validate() {
                    at_columns(pr, *row, v, &SIGNED_HEADERS, &SIGNED_FIELDS, e.0);
                }
                continue;
            }
        };
        let event = if event_name.is_empty() {
            None
        } else {
            let day =
                keyproj_domain::problem::draft::parse_date("held_on", "活动日期", &get("活动日期"));
            let level = SigningLevel::parse("level", &get("活动级别"));
            match (day, level) {
                (Ok(d), Ok(l)) => Some((event_name.chars().take(100).collect(), d, l)),
                (d, l) => {
                    if let Err(e) = d {
                        pr.add(*row, "活动日期", &get("活动日期"), e.message);
                    }
                    if let Err(e) = l {
                        pr.add(*row, "活动级别", &get("活动级别"), e.message);
                    }
                    // the row's other cells are still checked, so one upload lists them all
                    if let Err(e) = draft.validate() {
                        at_columns(pr, *row, v, &SIGNED_HEADERS, &SIGNED_FIELDS, e.0);
                    }
                    continue;
                }
            }
        };
        let code = get("项目编号").trim().to_string();
        if code.chars().count() > 40 {
            pr.add(*row, "项目编号", &code, "项目编号不能超过40个字");
            continue;
        }
        if !code.is_empty() && !codes.insert(code.clone()) {
            pr.add(*row, "项目编号", &code, "同一文件中项目编号重复");
            continue;
        }
        match draft.validate() {
            Ok(fields) => out.push(SignedRecord {
                row: *row,
                cells: v.clone(),
                draft,
                fields,
                event,
                project_code: code,
            }),
            Err(e) => at_columns(pr, *row, v, &SIGNED_HEADERS, &SIGNED_FIELDS, e.0),
        }
    }
    out
}

fn approvals(
    s: &SheetRows,
    pr: &mut Problems<'_>,
    progress: &Progress,
    today: NaiveDate,
) -> Vec<ApprovalRecord> {
    use keyproj_domain::problem::draft::parse_date;
    let mut out = vec![];
    let mut seen = HashSet::new();
    'rows: for (row, v) in &s.rows {
        progress.tick();
        let get = |c: &str| value_of(v, &APPROVAL_HEADERS, c).trim().to_string();
        let code = get("项目编号");
        let name = get("审批事项");
        if code.is_empty() {
            pr.add(*row, "项目编号", "", "请填写项目编号");
            continue;
        }
        if name.is_empty() || name.chars().count() > 60 {
            pr.add(*row, "审批事项", &name, "请填写审批事项（60字以内）");
            continue;
        }
        if !seen.insert((code.clone(), name.clone())) {
            pr.add(*row, "审批事项", &name, "同一文件中该项目的这一事项重复");
            continue;
        }
        let state = match get("状态").as_str() {
            "" => ApprovalState::NotStarted,
            t => match ApprovalState::from_input(t) {
                Some(ApprovalState::Correcting) => {
                    pr.add(
                        *row,
                        "状态",
                        t,
                        "“补正”须在系统中办理（记录要求补正的日期和原因）",
                    );
                    continue;
                }
                Some(s) => s,
                None => {
                    pr.add(
                        *row,
                        "状态",
                        t,
                        "状态应为待启动、材料准备、已受理、办结、不予受理或撤回",
                    );
                    continue;
                }
            },
        };
        let mut dates = [None, None, None];
        for (i, col) in ["收件日期", "受理日期", "办结日期"].iter().enumerate() {
            let t = get(col);
            if t.is_empty() {
                continue;
            }
            match parse_date("on", col, &t) {
                Ok(d) if d > today => {
                    pr.add(*row, col, &t, format!("{col}不能晚于今天"));
                    continue 'rows;
                }
                Ok(d) => dates[i] = Some(d),
                Err(e) => {
                    pr.add(*row, col, &t, e.message);
                    continue 'rows;
                }
            }
        }
        let [received_on, accepted_on, completed_on] = dates;
        // what the state needs, and dates in order
        let need = |ok: bool, col: &str, why: &str, pr: &mut Problems<'_>| {
            if !ok {
                pr.add(*row, col, "", why.to_string());
            }
            ok
        };
        let ok = match state {
            ApprovalState::Preparing => need(
                received_on.is_some(),
                "收件日期",
                "“材料准备”须填写收件日期",
                pr,
            ),
            ApprovalState::Accepted => need(
                accepted_on.is_some(),
                "受理日期",
                "“已受理”须填写受理日期",
                pr,
            ),
            ApprovalState::Done => {
                need(
                    accepted_on.is_some(),
                    "受理日期",
                    "“办结”须填写受理日期",
                    pr,
                ) & need(
                    completed_on.is_some(),
                    "办结日期",
                    "“办结”须填写办结日期",
                    pr,
                ) & need(
                    !get("批文号").is_empty(),
                    "批文号",
                    "办结须填写批文号（证照编号）",
                    pr,
                )
            }
            ApprovalState::Refused | ApprovalState::Withdrawn => need(
                !get("备注").is_empty(),
                "备注",
                "不予受理或撤回须在备注中写明原因",
                pr,
            ),
            _ => true,
        };
        if !ok {
            continue;
        }
        if let (Some(r), Some(a)) = (received_on, accepted_on)
            && a < r
        {
            pr.add(*row, "受理日期", &a.to_string(), "受理日期不能早于收件日期");
            continue;
        }
        if let (Some(a), Some(c)) = (accepted_on, completed_on)
            && c < a
        {
            pr.add(*row, "办结日期", &c.to_string(), "办结日期不能早于受理日期");
            continue;
        }
        if get("备注").chars().count() > 500
            || get("批文号").chars().count() > 60
            || get("代办员").chars().count() > 64
        {
            pr.add(
                *row,
                "备注",
                "",
                "备注不能超过500字，批文号不能超过60字，代办员不能超过64字",
            );
            continue;
        }
        let limit = get("承诺时限（天）");
        if !limit.is_empty() && !limit.parse::<u32>().is_ok_and(|n| (1..=365).contains(&n)) {
            pr.add(
                *row,
                "承诺时限（天）",
                &limit,
                "承诺时限应为 1 至 365 之间的整数天数",
            );
            continue;
        }
        let count = get("计算方式");
        if !count.is_empty() && DayCount::from_input(&count).is_none() {
            pr.add(*row, "计算方式", &count, "计算方式应为工作日或自然日");
            continue;
        }
        out.push(ApprovalRecord {
            row: *row,
            cells: v.clone(),
            code,
            name,
            unit: get("审批部门"),
            limit_days: limit,
            day_count: if count.is_empty() {
                DayCount::Working.key().into()
            } else {
                count
            },
            agent: get("代办员"),
            state,
            received_on,
            accepted_on,
            completed_on,
            approval_no: get("批文号"),
            note: get("备注"),
        });
    }
    out
}

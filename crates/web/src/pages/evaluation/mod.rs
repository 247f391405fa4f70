//! 部门整体支出绩效自评 on the pages (issue #13, in progress): the year's score table — every
//! leaf with its weight, points and working, the L1 subtotals, the total and the grade, and the
//! sentence the report states — and its workbook.

use crate::AppState;
use crate::auth::FormData;
use crate::auth::{Signed, query_pairs};
use crate::error::PageError;
use crate::views::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Redirect;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

mod report;
mod template;
use keyproj_domain::assessment::points_text;
use keyproj_domain::evaluation::{Judgement, Ledger, ProjectLine, Tier};
use keyproj_domain::{FieldError, Money, ValidationErrors};
use keyproj_service::ServiceError;
use keyproj_service::evaluation as svc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/self-evaluation", get(index))
        .route("/self-evaluation/score.xlsx", get(score_xlsx))
        .route(
            "/self-evaluation/ledger",
            get(ledger_form)
                .post(save_ledger)
                .layer(axum::extract::DefaultBodyLimit::max(LEDGER_UPLOAD_LIMIT)),
        )
        .route("/self-evaluation/ledger.xlsx", get(ledger_xlsx))
        .route(
            "/self-evaluation/report",
            get(report::show).post(report::save),
        )
        .route("/self-evaluation/report/issue", post(report::issue))
        .route("/self-evaluation/report.docx", get(report::docx))
        .route(
            "/self-evaluation/template",
            get(template::show).post(template::save),
        )
}

struct LeafLine {
    l1: String,
    l2: String,
    name: String,
    weight: String,
    points: String,
    working: String,
    lost: bool,
    review: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "evaluation/index.html")]
struct IndexPage {
    chrome: Chrome,
    year: i32,
    /// None: no ledger for the year yet.
    missing: Option<String>,
    income: String,
    basic: String,
    project: String,
    sangong: String,
    leaves: Vec<LeafLine>,
    l1: Vec<(String, String, String)>,
    total: String,
    grade: String,
    sentence: String,
    needs_review: bool,
    done: String,
    /// The template's basis and grade lines, as in force for the year.
    template_note: String,
}

/// The year asked (last year when none); a year that is not one is a page that does not exist.
pub(super) fn year_in(s: &AppState, q: &crate::auth::FormData) -> Result<i32, PageError> {
    let y = q.get("year");
    if y.trim().is_empty() {
        return Ok(svc::default_year(&s.app));
    }
    y.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or(PageError(ServiceError::NotFound))
}

async fn index(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let year = year_in(&s, &q)?;
    let mut page = IndexPage {
        chrome: Chrome::new(&signed, "self_evaluation"),
        year,
        missing: None,
        income: String::new(),
        basic: String::new(),
        project: String::new(),
        sangong: String::new(),
        leaves: vec![],
        l1: vec![],
        total: String::new(),
        grade: String::new(),
        sentence: String::new(),
        needs_review: false,
        template_note: String::new(),
        done: match q.value("done") {
            d @ ("saved" | "imported") => d.to_string(),
            _ => String::new(),
        },
    };
    let y = match svc::evaluate(&s.app, &signed.ctx, year).await {
        Ok(y) => y,
        Err(ServiceError::Validation(v)) => {
            page.missing = Some(v.to_string());
            return Ok(page.into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let l = &y.ledger.ledger;
    let e = &y.evaluation;
    page.income = l
        .income
        .iter()
        .map(|(_, m)| *m)
        .sum::<keyproj_domain::Money>()
        .wan_grouped();
    page.basic = l.basic.wan_grouped();
    page.project = l.project.wan_grouped();
    page.sangong = l.sangong().wan_grouped();
    page.leaves = e
        .leaves
        .iter()
        .map(|(l1, l2, name, weight, sc)| LeafLine {
            l1: l1.clone(),
            l2: l2.clone(),
            name: name.clone(),
            weight: points_text(*weight),
            points: sc
                .points
                .map(points_text)
                .unwrap_or_else(|| "不适用".into()),
            working: sc.working.clone(),
            lost: sc.points.is_some_and(|p| p < *weight),
            review: sc.review,
        })
        .collect();
    page.l1 =
        e.l1.iter()
            .map(|(n, w, p)| {
                (
                    n.clone(),
                    points_text(*w),
                    p.map(points_text).unwrap_or_else(|| "不适用".into()),
                )
            })
            .collect();
    page.total = points_text(e.total);
    page.grade = e.grade.clone();
    page.needs_review = e.needs_review;
    page.sentence = e.sentence();
    let grades: Vec<String> = y
        .template
        .grades
        .iter()
        .map(|g| format!("{}≥{}", g.name, points_text(g.min)))
        .collect();
    page.template_note = format!(
        "模板：{}（一级指标{}）。无数据的指标记为“不适用”，所在一级指标按其余指标折算回满分；总分保留两位小数后定等次（{}）。",
        y.template.basis,
        y.template
            .roots
            .iter()
            .map(|r| format!("{}{}", r.name, points_text(r.weight)))
            .collect::<Vec<_>>()
            .join("、"),
        grades.join("，")
    );
    Ok(page.into_response())
}

async fn score_xlsx(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let y = svc::evaluate(&s.app, &signed.ctx, year_in(&s, &q)?).await?;
    let file = keyproj_service::exports::self_evaluation_xlsx(&y)?;
    Ok(crate::pages::xlsx_response(&file.name, file.bytes))
}

// ----- the ledger form -----

/// 三公 parts in the order the 决算 table lists them.
const SANGONG: [&str; 4] = [
    "因公出国（境）费",
    "公务用车购置费",
    "公务用车运行维护费",
    "公务接待费",
];
const JUDGED: [(&str, &str); 4] = [
    ("targets_reasonable", "绩效目标合理性"),
    ("targets_clear", "绩效指标明确性"),
    ("social_benefit", "社会效益"),
    ("economic_benefit", "经济效益"),
];

/// One row of a repeated group, as typed.
struct Row {
    a: String,
    b: String,
    c: String,
    d: String,
    e: String,
    /// The row's problem, when refused.
    error: Option<String>,
}

/// A checklist: its field prefix, its label, and each item (index, text, ticked).
type Checklist = (&'static str, &'static str, Vec<(usize, String, bool)>);

struct JudgedRow {
    key: &'static str,
    label: &'static str,
    tier: String,
    points: String,
    reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "evaluation/ledger.html")]
struct LedgerPage {
    chrome: Chrome,
    /// Leaders see the ledger with the form disabled.
    staff: bool,
    year: i32,
    version: String,
    errors: ValidationErrors,
    /// Single fields as typed, by name.
    typed: FormData,
    income: Vec<Row>,
    classes: Vec<Row>,
    projects: Vec<Row>,
    /// (index, name, typed, problem)
    sangong: Vec<(usize, &'static str, String, Option<String>)>,
    class_names: Vec<(u16, String)>,
    checklists: Vec<Checklist>,
    assets_na: bool,
    judged: Vec<JudgedRow>,
}

impl LedgerPage {
    fn v(&self, name: &str) -> String {
        self.typed.get(name)
    }
    fn err(&self, name: &str) -> Option<&str> {
        self.errors.for_field(name)
    }
}

fn wan_text(m: Money) -> String {
    if m == Money::ZERO {
        "0".into()
    } else {
        m.wan_2dp()
    }
}

/// The stored ledger as the form's fields.
fn typed_of(l: &Ledger) -> FormData {
    let mut f: Vec<(String, String)> = vec![];
    let mut put = |k: &str, v: String| f.push((k.to_string(), v));
    let pr = &l.profile;
    put("unit_name", pr.unit_name.clone());
    put("nature", pr.nature.clone());
    put("staffing", pr.staffing.clone());
    put(
        "founded",
        pr.founded
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
    );
    put("internal_units", pr.internal_units.join("\n"));
    put("duties", pr.duties.join("\n"));
    put("meeting_fees", wan_text(l.meeting_fees));
    put("training_fees", wan_text(l.training_fees));
    put("staff_quota", l.staff_quota.to_string());
    put("staff_actual", l.staff_actual.to_string());
    for (k, m) in [
        ("budget_initial", l.budget_initial),
        ("budget_added", l.budget_added),
        ("carried_in", l.carried_in),
        ("carried_out", l.carried_out),
        ("basic", l.basic),
        ("project", l.project),
        ("sangong_budget", l.sangong_budget),
        ("sangong_last_year", l.sangong_last_year),
        ("operating_budget", l.operating_budget),
        ("operating_spent", l.operating_spent),
    ] {
        put(k, wan_text(m));
    }
    put("vehicles", l.vehicles.to_string());
    put("violations", l.violations.to_string());
    put(
        "payment_progress",
        l.payment_progress.map(points_text).unwrap_or_default(),
    );
    for (i, name) in SANGONG.iter().enumerate() {
        let m = l
            .sangong_parts
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, m)| *m)
            .unwrap_or_default();
        put(&format!("sg_{i}"), wan_text(m));
    }
    let mut check = |prefix: &str, v: &[bool]| {
        for (i, b) in v.iter().enumerate() {
            if *b {
                f.push((format!("{prefix}_{i}"), "1".into()));
            }
        }
    };
    check("rules_sound", &l.rules_sound);
    check("disclosure", &l.disclosure);
    match &l.assets_safe {
        Some(v) => check("assets_safe", v),
        None => f.push(("assets_na".into(), "1".into())),
    }
    for (key, _) in JUDGED {
        let j = match key {
            "targets_reasonable" => &l.targets_reasonable,
            "targets_clear" => &l.targets_clear,
            "social_benefit" => &l.social_benefit,
            _ => &l.economic_benefit,
        };
        if let Some(j) = j {
            f.push((
                format!("{key}_tier"),
                match j.tier {
                    Tier::Met => "met",
                    Tier::Partly => "partly",
                    Tier::NotMet => "not_met",
                }
                .into(),
            ));
            f.push((format!("{key}_points"), points_text(j.points)));
            f.push((format!("{key}_reason"), j.reason.clone()));
        }
    }
    for (src, m) in &l.income {
        f.push(("income_source".into(), src.clone()));
        f.push(("income_amount".into(), wan_text(*m)));
    }
    for (c, m) in &l.basic_by_class {
        f.push(("class_code".into(), c.to_string()));
        f.push(("class_amount".into(), wan_text(*m)));
        let note = l
            .class_notes
            .iter()
            .find(|(k, _)| k == c)
            .map(|(_, n)| n.clone())
            .unwrap_or_default();
        f.push(("class_note".into(), note));
    }
    for p in &l.project_lines {
        f.push(("p_name".into(), p.name.clone()));
        f.push(("p_budget".into(), wan_text(p.budget)));
        f.push(("p_spent".into(), wan_text(p.spent)));
        f.push(("p_key".into(), if p.key { "1" } else { "0" }.into()));
        f.push(("p_purpose".into(), p.purpose.clone()));
    }
    FormData(f)
}

fn rows(form: &FormData, names: [&str; 5], blank: usize) -> Vec<Row> {
    let cols: Vec<Vec<String>> = names
        .iter()
        .map(|n| if n.is_empty() { vec![] } else { form.all(n) })
        .collect();
    // one over the most a ledger holds, so the excess is named rather than dropped
    let n = cols.iter().map(Vec::len).max().unwrap_or(0).min(201);
    let at = |c: usize, i: usize| cols[c].get(i).cloned().unwrap_or_default();
    let mut out: Vec<Row> = (0..n)
        .map(|i| Row {
            a: at(0, i),
            b: at(1, i),
            c: at(2, i),
            d: at(3, i),
            e: at(4, i),
            error: None,
        })
        // rows left blank come back as the blank rows below, not on top of them
        .filter(|r| ![&r.a, &r.b, &r.c, &r.e].iter().all(|v| v.trim().is_empty()))
        .collect();
    for _ in 0..blank {
        out.push(Row {
            a: String::new(),
            b: String::new(),
            c: String::new(),
            d: String::new(),
            e: String::new(),
            error: None,
        });
    }
    out
}

fn ledger_page(
    signed: &Signed,
    year: i32,
    version: String,
    typed: FormData,
    errors: ValidationErrors,
) -> LedgerPage {
    let checked = |prefix: &str, labels: [&str; 3]| {
        labels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                (
                    i,
                    l.to_string(),
                    !typed.get(&format!("{prefix}_{i}")).is_empty(),
                )
            })
            .collect::<Vec<_>>()
    };
    let with_errors = |mut rs: Vec<Row>, prefix: &str| {
        for (i, r) in rs.iter_mut().enumerate() {
            r.error = errors
                .for_field(&format!("{prefix}[{i}]"))
                .map(String::from);
        }
        rs
    };
    // "增加一行" asks for one more blank row of its table
    let more = |table: &str| usize::from(typed.get("action") == format!("add_{table}"));
    LedgerPage {
        chrome: Chrome::new(signed, "self_evaluation"),
        staff: crate::pages::is_staff(signed),
        year,
        version,
        income: with_errors(
            rows(
                &typed,
                ["income_source", "income_amount", "", "", ""],
                1 + more("income"),
            ),
            "income",
        ),
        classes: with_errors(
            rows(
                &typed,
                ["class_code", "class_amount", "class_note", "", ""],
                4 + more("class"),
            ),
            "class",
        ),
        projects: with_errors(
            rows(
                &typed,
                ["p_name", "p_budget", "p_spent", "p_key", "p_purpose"],
                3 + more("project"),
            ),
            "project",
        ),
        sangong: SANGONG
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let field = format!("sg_{i}");
                (
                    i,
                    *n,
                    typed.get(&field),
                    errors.for_field(&field).map(String::from),
                )
            })
            .collect(),
        class_names: keyproj_domain::evaluation::ECONOMIC_CLASSES
            .iter()
            .map(|(c, n)| (*c, format!("{c} {n}")))
            .collect(),
        checklists: vec![
            (
                "rules_sound",
                "管理制度健全性",
                checked(
                    "rules_sound",
                    [
                        "已制定预算资金管理办法、内部财务管理制度、会计核算制度",
                        "相关制度合法、合规、完整",
                        "相关制度得到有效执行",
                    ],
                ),
            ),
            (
                "disclosure",
                "预决算信息公开性",
                checked(
                    "disclosure",
                    [
                        "按规定公开部门预算",
                        "按规定公开部门决算",
                        "公开内容完整、及时",
                    ],
                ),
            ),
            (
                "assets_safe",
                "资产管理安全性",
                checked(
                    "assets_safe",
                    ["资产保存完整", "资产配置合理", "资产处置规范"],
                ),
            ),
        ],
        assets_na: !typed.get("assets_na").is_empty(),
        judged: JUDGED
            .iter()
            .map(|(key, label)| JudgedRow {
                key,
                label,
                tier: typed.get(&format!("{key}_tier")),
                points: typed.get(&format!("{key}_points")),
                reason: typed.get(&format!("{key}_reason")),
            })
            .collect(),
        errors,
        typed,
    }
}

async fn ledger_form(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let year = year_in(&s, &q)?;
    // who may not see the ledger does not find the page; leaders read it, the form disabled
    let stored = svc::ledger(&s.app, &signed.ctx, year).await?;
    let (version, typed) = match stored {
        Some(row) => (row.version.to_string(), typed_of(&row.ledger)),
        None => (String::new(), FormData::default()),
    };
    Ok(ledger_page(&signed, year, version, typed, ValidationErrors::new()).into_response())
}

/// The form as a ledger, every field's problem named at its field.
fn ledger_of(form: &FormData) -> Result<Ledger, ValidationErrors> {
    let mut e = ValidationErrors::new();
    // a blank amount is 0; anything else must read as 万元
    fn wan(e: &mut ValidationErrors, field: &str, label: &str, v: &str) -> Money {
        if v.trim().is_empty() {
            return Money::ZERO;
        }
        e.check(Money::parse_wan(field, label, v))
            .unwrap_or_default()
    }
    let mut l = Ledger::default();
    let lines = |k: &str| -> Vec<String> {
        form.get(k)
            .lines()
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect()
    };
    l.profile = keyproj_domain::evaluation::Profile {
        unit_name: form.get("unit_name").trim().to_string(),
        nature: form.get("nature").trim().to_string(),
        staffing: form.get("staffing").trim().to_string(),
        internal_units: lines("internal_units"),
        founded: None,
        duties: lines("duties"),
    };
    let founded = form.get("founded");
    if !founded.trim().is_empty() {
        match keyproj_domain::problem::draft::strict_date(founded.trim()) {
            Some(d) => l.profile.founded = Some(d),
            None => e.add("founded", "date", "成立日期应为年-月-日，例如2022-05-01"),
        }
    }
    for (k, label) in [
        ("budget_initial", "年初预算"),
        ("budget_added", "本年追加"),
        ("carried_in", "上年结转"),
        ("carried_out", "年末结转结余"),
        ("basic", "基本支出"),
        ("project", "项目支出"),
        ("sangong_budget", "“三公”经费预算"),
        ("sangong_last_year", "上年“三公”经费"),
        ("operating_budget", "公用经费预算"),
        ("operating_spent", "公用经费支出"),
        ("meeting_fees", "会议费"),
        ("training_fees", "培训费"),
    ] {
        let m = wan(&mut e, k, label, &form.get(k));
        match k {
            "budget_initial" => l.budget_initial = m,
            "budget_added" => l.budget_added = m,
            "carried_in" => l.carried_in = m,
            "carried_out" => l.carried_out = m,
            "basic" => l.basic = m,
            "project" => l.project = m,
            "sangong_budget" => l.sangong_budget = m,
            "sangong_last_year" => l.sangong_last_year = m,
            "operating_budget" => l.operating_budget = m,
            "meeting_fees" => l.meeting_fees = m,
            "training_fees" => l.training_fees = m,
            _ => l.operating_spent = m,
        }
    }
    for (i, name) in SANGONG.iter().enumerate() {
        let m = wan(
            &mut e,
            &format!("sg_{i}"),
            name,
            &form.get(&format!("sg_{i}")),
        );
        l.sangong_parts.push((name.to_string(), m));
    }
    let incomes = rows(form, ["income_source", "income_amount", "", "", ""], 0);
    for (i, r) in incomes.iter().enumerate() {
        if r.a.trim().is_empty() && r.b.trim().is_empty() {
            continue;
        }
        let m = wan(
            &mut e,
            &format!("income[{i}]"),
            &format!("第{}行收入", i + 1),
            &r.b,
        );
        l.income.push((r.a.trim().to_string(), m));
    }
    let classes = rows(
        form,
        ["class_code", "class_amount", "class_note", "", ""],
        0,
    );
    for (i, r) in classes.iter().enumerate() {
        if r.b.trim().is_empty() {
            continue;
        }
        let m = wan(
            &mut e,
            &format!("class[{i}]"),
            &format!("第{}行经济分类", i + 1),
            &r.b,
        );
        match r
            .a
            .parse::<u16>()
            .ok()
            .filter(|c| keyproj_domain::evaluation::class_name(*c).is_some())
        {
            Some(code) => {
                l.basic_by_class.push((code, m));
                if !r.c.trim().is_empty() {
                    l.class_notes.push((code, r.c.trim().to_string()));
                }
            }
            None => e.push(FieldError::new(
                format!("class[{i}]"),
                "class",
                format!("第{}行请选择经济分类", i + 1),
            )),
        }
    }
    let projects = rows(
        form,
        ["p_name", "p_budget", "p_spent", "p_key", "p_purpose"],
        0,
    );
    for (i, r) in projects.iter().enumerate() {
        if r.a.trim().is_empty() && r.b.trim().is_empty() && r.c.trim().is_empty() {
            continue;
        }
        let label = format!("第{}个项目", i + 1);
        if r.a.trim().is_empty() {
            e.push(FieldError::new(
                format!("project[{i}]"),
                "required",
                format!("{label}请填写项目名称"),
            ));
        }
        let budget = wan(
            &mut e,
            &format!("project[{i}]"),
            &format!("{label}预算"),
            &r.b,
        );
        let spent = wan(
            &mut e,
            &format!("project[{i}]"),
            &format!("{label}支出"),
            &r.c,
        );
        l.project_lines.push(ProjectLine {
            name: r.a.trim().to_string(),
            budget,
            spent,
            key: r.d == "1",
            purpose: r.e.trim().to_string(),
        });
    }
    let mut count = |field: &str, label: &str| -> u32 {
        let v = form.get(field);
        if v.trim().is_empty() {
            return 0;
        }
        match v.trim().parse::<u32>() {
            Ok(n) if n <= 100_000 => n,
            _ => {
                e.add(field, "number", format!("{label}应为0至100000之间的整数"));
                0
            }
        }
    };
    l.staff_quota = count("staff_quota", "核定编制");
    l.staff_actual = count("staff_actual", "实有人数");
    l.vehicles = count("vehicles", "公车保有量");
    l.violations = count("violations", "违规问题数");
    let pp = form.get("payment_progress");
    if !pp.trim().is_empty() {
        match keyproj_domain::assessment::scoring::parse_points(
            "payment_progress",
            "支付进度率",
            &pp,
        ) {
            Ok(p) => l.payment_progress = Some(p),
            Err(f) => e.push(f),
        }
    }
    let checks = |prefix: &str| {
        (0..3)
            .map(|i| !form.get(&format!("{prefix}_{i}")).is_empty())
            .collect::<Vec<bool>>()
    };
    l.rules_sound = checks("rules_sound");
    l.disclosure = checks("disclosure");
    l.assets_safe = if form.get("assets_na").is_empty() {
        Some(checks("assets_safe"))
    } else {
        None
    };
    for (key, label) in JUDGED {
        let tier = match form.get(&format!("{key}_tier")).as_str() {
            "met" => Some(Tier::Met),
            "partly" => Some(Tier::Partly),
            "not_met" => Some(Tier::NotMet),
            _ => None,
        };
        let Some(tier) = tier else { continue };
        let points = match keyproj_domain::assessment::scoring::parse_points(
            key,
            label,
            &form.get(&format!("{key}_points")),
        ) {
            // within its tier: the ledger's own check
            Ok(p) => p,
            Err(f) => {
                e.push(f);
                0
            }
        };
        let j = Some(Judgement {
            tier,
            points,
            reason: form.get(&format!("{key}_reason")).trim().to_string(),
        });
        match key {
            "targets_reasonable" => l.targets_reasonable = j,
            "targets_clear" => l.targets_clear = j,
            "social_benefit" => l.social_benefit = j,
            _ => l.economic_benefit = j,
        }
    }
    e.into_result().map(|_| l)
}

/// A ledger workbook is a few dozen lines; 2 MB is far more than any real one.
const LEDGER_UPLOAD_LIMIT: usize = 2 * 1024 * 1024;

async fn ledger_xlsx(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let (name, bytes) = svc::ledger_workbook(&s.app, &signed.ctx, year_in(&s, &q)?).await?;
    Ok(crate::pages::xlsx_response(&name, bytes))
}

async fn save_ledger(
    State(s): State<AppState>,
    crate::auth::PostedWithFiles {
        signed,
        form,
        files,
    }: crate::auth::PostedWithFiles,
) -> Result<Response, PageError> {
    crate::pages::staff_only(&signed)?;
    let year = year_in(&s, &form)?;
    let version = form.get("version").trim().parse::<i64>().ok();
    let again = |errors: ValidationErrors, status: StatusCode| {
        (
            status,
            ledger_page(&signed, year, form.get("version"), form.clone(), errors),
        )
            .into_response()
    };
    // a row asked for: the form comes back with it, nothing saved
    if form.get("action").starts_with("add_") {
        return Ok(again(ValidationErrors::new(), StatusCode::OK));
    }
    // a workbook imported: saved as a whole, or refused with the form kept as typed
    if form.get("action") == "import" {
        let Some(file) = files.into_iter().find(|f| f.field == "file") else {
            return Ok(again(
                ValidationErrors::single("file", "required", "请选择要导入的账表文件（.xlsx）"),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        };
        return match svc::import_ledger(&s.app, &signed.ctx, year, &file.bytes).await {
            Ok(_) => Ok(
                Redirect::to(&format!("/self-evaluation?year={year}&done=imported"))
                    .into_response(),
            ),
            Err(ServiceError::Validation(v)) => Ok(again(v, StatusCode::UNPROCESSABLE_ENTITY)),
            Err(e) => Err(e.into()),
        };
    }
    let ledger = match ledger_of(&form) {
        Ok(l) => l,
        Err(v) => return Ok(again(v, StatusCode::UNPROCESSABLE_ENTITY)),
    };
    match svc::save_ledger(&s.app, &signed.ctx, year, &ledger, version).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/self-evaluation?year={year}&done=saved")).into_response())
        }
        Err(ServiceError::Validation(v)) => Ok(again(v, StatusCode::UNPROCESSABLE_ENTITY)),
        Err(ServiceError::Stale) => {
            // saving again takes what was typed here over the other change
            let current = svc::ledger(&s.app, &signed.ctx, year)
                .await?
                .map(|r| r.version.to_string())
                .unwrap_or_default();
            Ok((
                StatusCode::CONFLICT,
                ledger_page(
                    &signed,
                    year,
                    current,
                    form.clone(),
                    ValidationErrors::single(
                        "version",
                        "stale",
                        "账表已被他人修改：下方保留了您输入的内容，再次保存将以您的内容为准",
                    ),
                ),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

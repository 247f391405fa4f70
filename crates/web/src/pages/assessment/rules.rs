//! The year's 考核办法: its tables with each indicator's measure (and how it is read) and rule in
//! words; staff start a draft from the example or the version in force, and adopt it under a
//! document number after a confirmation — the adopted version is frozen.

use crate::AppState;
use crate::auth::{FormData, Posted, Signed, query_pairs};
use crate::error::PageError;
use crate::pages::ConfirmPage;
use crate::pages::dispatch::year_or_latest;
use crate::views::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use keyproj_domain::ValidationErrors;
use keyproj_domain::assessment::{
    AssessedKind, Indicator, Measure, RULE_KINDS, Rule, Table, points_text,
};
use keyproj_domain::authz::Role;
use keyproj_service::ServiceError;
use keyproj_service::assessment::rules::{self as svc, Adoption};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/assessment/rules", get(page))
        .route("/assessment/rules/draft", post(start))
        .route("/assessment/rules/adopt", post(adopt))
        .route("/assessment/rules/save", post(save))
}

/// One editable line of a draft table.
struct EditRow {
    /// Field-name prefix: t{table}_{row}
    prefix: String,
    group: String,
    name: String,
    measure: String,
    rule: String,
    param: String,
    max: String,
    bonus: String,
    penalty: String,
}

struct EditTable {
    k: usize,
    kind: &'static str,
    kind_key: &'static str,
    grades: String,
    rows: Vec<EditRow>,
}

/// Blank lines offered under each table for new indicators.
const NEW_ROWS: usize = 2;
/// Bounds on a posted editor form, checked before anything is read from it.
const MAX_TABLES: usize = 4;
const MAX_ROWS: usize = 60;

fn edit_tables_of(tables: &[Table]) -> Vec<EditTable> {
    tables
        .iter()
        .enumerate()
        .map(|(k, t)| {
            let mut rows: Vec<EditRow> = t
                .indicators
                .iter()
                .enumerate()
                .map(|(n, i)| EditRow {
                    prefix: format!("t{k}_{n}"),
                    group: i.group.clone(),
                    name: i.name.clone(),
                    measure: i.measure.key().into(),
                    rule: i.rule.kind_key().into(),
                    param: i.rule.param_text(),
                    max: points_text(i.max),
                    bonus: points_text(i.bonus_cap),
                    penalty: points_text(i.penalty_cap),
                })
                .collect();
            let n = rows.len();
            rows.extend((n..n + NEW_ROWS).map(|n| blank_row(k, n)));
            EditTable {
                k,
                kind: t.kind.label(),
                kind_key: t.kind.key(),
                grades: keyproj_domain::assessment::grades_text(&t.grades),
                rows,
            }
        })
        .collect()
}

fn blank_row(k: usize, n: usize) -> EditRow {
    EditRow {
        prefix: format!("t{k}_{n}"),
        group: String::new(),
        name: String::new(),
        measure: String::new(),
        rule: String::new(),
        param: String::new(),
        max: "0".into(),
        bonus: "0".into(),
        penalty: "0".into(),
    }
}

/// The editor as typed (after a refusal: nothing typed is lost).
fn edit_tables_typed(form: &FormData) -> Vec<EditTable> {
    let count = form
        .get("tables")
        .parse::<usize>()
        .unwrap_or(0)
        .min(MAX_TABLES);
    (0..count)
        .filter_map(|k| {
            let kind = AssessedKind::from_key(&form.get(&format!("t{k}_kind")))?;
            let rows = form
                .get(&format!("t{k}_rows"))
                .parse::<usize>()
                .unwrap_or(0)
                .min(MAX_ROWS);
            let get = |n: usize, f: &str| form.get(&format!("t{k}_{n}_{f}"));
            Some(EditTable {
                k,
                kind: kind.label(),
                kind_key: kind.key(),
                grades: form.get(&format!("t{k}_grades")),
                rows: (0..rows)
                    .map(|n| EditRow {
                        prefix: format!("t{k}_{n}"),
                        group: get(n, "group"),
                        name: get(n, "name"),
                        measure: get(n, "measure"),
                        rule: get(n, "rule"),
                        param: get(n, "param"),
                        max: get(n, "max"),
                        bonus: get(n, "bonus"),
                        penalty: get(n, "penalty"),
                    })
                    .collect(),
            })
        })
        .collect()
}

/// Reads the posted editor into tables; every line's problem is named at once.
fn tables_from(form: &FormData) -> Result<Vec<Table>, ValidationErrors> {
    let mut e = ValidationErrors::new();
    let count = form.get("tables").parse::<usize>().unwrap_or(0);
    if count == 0 || count > MAX_TABLES {
        e.add("tables", "count", "考核表数量不对，请重新打开页面");
        return Err(e);
    }
    let mut tables = vec![];
    for k in 0..count {
        let Some(kind) = AssessedKind::from_key(&form.get(&format!("t{k}_kind"))) else {
            e.add("tables", "kind", "考核对象不对，请重新打开页面");
            continue;
        };
        let rows = form
            .get(&format!("t{k}_rows"))
            .parse::<usize>()
            .unwrap_or(0);
        if rows > MAX_ROWS {
            e.add(
                "tables",
                "rows",
                format!("{}考核表最多{MAX_ROWS}项指标", kind.label()),
            );
            continue;
        }
        let grades =
            match keyproj_domain::assessment::parse_grades(&form.get(&format!("t{k}_grades"))) {
                Ok(g) => g,
                Err(m) => {
                    e.add(
                        &format!("t{k}_grades"),
                        "format",
                        format!("{}：{m}", kind.label()),
                    );
                    vec![]
                }
            };
        let mut indicators = vec![];
        for n in 0..rows {
            let get = |f: &str| form.get(&format!("t{k}_{n}_{f}"));
            let at = |f: &str| format!("t{k}_{n}_{f}");
            if !get("drop").is_empty() || (get("name").trim().is_empty() && get("rule").is_empty())
            {
                continue;
            }
            let line = format!("{}第{}项", kind.label(), n + 1);
            let measure = Measure::from_key(&get("measure"));
            if measure.is_none() {
                e.add(
                    &at("measure"),
                    "required",
                    format!("{line}：请选择数据来源"),
                );
            }
            let rule = match Rule::parse(&get("rule"), &get("param")) {
                Ok(r) => Some(r),
                Err(m) => {
                    e.add(&at("param"), "format", format!("{line}：{m}"));
                    None
                }
            };
            let mut points =
                |f: &str, label: &str| match keyproj_domain::assessment::scoring::parse_points(
                    &at(f),
                    label,
                    &get(f),
                ) {
                    Ok(p) => p,
                    Err(x) => {
                        e.add(&at(f), "format", format!("{line}：{}", x.message));
                        0
                    }
                };
            let (max, bonus_cap, penalty_cap) = (
                points("max", "分值"),
                points("bonus", "加分上限"),
                points("penalty", "扣分上限"),
            );
            if let (Some(measure), Some(rule)) = (measure, rule) {
                indicators.push(Indicator {
                    group: get("group").trim().chars().take(20).collect(),
                    name: get("name").trim().chars().take(60).collect(),
                    measure,
                    rule,
                    max,
                    bonus_cap,
                    penalty_cap,
                });
            }
        }
        tables.push(Table {
            kind,
            indicators,
            grades,
        });
    }
    e.into_result().map(|_| tables)
}

/// Saves the draft's tables as edited on the page; every table is checked at once by the
/// service, and a refusal keeps what was typed.
async fn save(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let year = year_or_latest(&form, &s, &signed).await?;
    let result = match tables_from(&form) {
        Ok(tables) => {
            svc::save_draft(
                &s.app,
                &signed.ctx,
                year,
                &form.get("title"),
                &tables,
                form.edited_version(),
            )
            .await
        }
        Err(v) => Err(ServiceError::Validation(v)),
    };
    match result {
        Ok(()) => {
            Ok(Redirect::to(&format!("/assessment/rules?year={year}&done=saved")).into_response())
        }
        Err(ServiceError::Validation(v)) => {
            let mut page = render(&s, &signed, year, form.clone(), v, None).await?;
            page.editing = edit_tables_typed(&form);
            page.title = form.get("title");
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

struct Line {
    group: String,
    name: String,
    measure: &'static str,
    definition: &'static str,
    rule: String,
    max: String,
}

struct TableView {
    kind: &'static str,
    lines: Vec<Line>,
}

fn views(tables: &[Table]) -> Vec<TableView> {
    tables
        .iter()
        .map(|t| TableView {
            kind: t.kind.label(),
            lines: t
                .indicators
                .iter()
                .map(|i| Line {
                    group: i.group.clone(),
                    name: i.name.clone(),
                    measure: i.measure.label(),
                    definition: i.measure.definition(),
                    rule: i.rule.describe(),
                    max: if i.max > 0 {
                        points_text(i.max)
                    } else if i.penalty_cap > 0 {
                        format!("扣分上限{}", points_text(i.penalty_cap))
                    } else {
                        "—".into()
                    },
                })
                .collect(),
        })
        .collect()
}

struct Version {
    no: i64,
    doc_number: String,
    adopted_on: String,
    reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "assessment/rules.html")]
struct RulesPage {
    chrome: Chrome,
    year: i32,
    title: String,
    /// What the tables shown are: 现行（第N版）, 草稿, or nothing yet.
    status: String,
    tables: Vec<TableView>,
    versions: Vec<Version>,
    has_draft: bool,
    is_staff: bool,
    /// The draft's tables in the editor (staff, while a draft exists).
    editing: Vec<EditTable>,
    draft_version: i64,
    measures: Vec<(&'static str, &'static str)>,
    rule_kinds: Vec<(&'static str, &'static str, &'static str)>,
    typed: FormData,
    errors: ValidationErrors,
    flash: Option<String>,
}

impl RulesPage {
    fn typed(&self, name: &str) -> String {
        self.typed.get(name)
    }
    fn error(&self, name: &str) -> Option<&str> {
        self.errors.for_field(name)
    }
    /// The problems of one editor line (every field of it), joined.
    fn row_errors(&self, prefix: &str) -> String {
        let p = format!("{prefix}_");
        self.errors
            .all()
            .iter()
            .filter(|f| f.field.starts_with(&p))
            .map(|f| f.message.as_str())
            .collect::<Vec<_>>()
            .join("；")
    }
    fn grades_error(&self, k: &usize) -> Option<&str> {
        self.errors.for_field(&format!("t{k}_grades"))
    }
}

async fn render(
    s: &AppState,
    signed: &Signed,
    year: i32,
    typed: FormData,
    errors: ValidationErrors,
    flash: Option<String>,
) -> Result<RulesPage, PageError> {
    let y = svc::year(&s.app, &signed.ctx, year).await?;
    let (title, status, tables) = match (&y.draft, y.adopted.first()) {
        (Some(d), _) => (
            d.title.clone(),
            "草稿（未印发）".to_string(),
            d.tables.clone(),
        ),
        (None, Some(a)) => (
            a.title.clone(),
            format!("现行：第{}版（{}）", a.version_no, a.doc_number),
            a.tables.clone(),
        ),
        (None, None) => (String::new(), "尚未制定".to_string(), vec![]),
    };
    Ok(RulesPage {
        chrome: Chrome::new(signed, "assessment"),
        year,
        title,
        status,
        tables: views(&tables),
        versions: y
            .adopted
            .iter()
            .map(|a| Version {
                no: a.version_no,
                doc_number: a.doc_number.clone(),
                adopted_on: a.adopted_on.to_string(),
                reason: a.reason.clone(),
            })
            .collect(),
        has_draft: y.draft.is_some(),
        editing: match (&y.draft, signed.ctx.actor.has(Role::CenterStaff)) {
            (Some(d), true) => edit_tables_of(&d.tables),
            _ => vec![],
        },
        draft_version: y.draft.as_ref().map(|d| d.version).unwrap_or(0),
        measures: Measure::ALL.iter().map(|m| (m.key(), m.label())).collect(),
        rule_kinds: RULE_KINDS.to_vec(),
        is_staff: signed.ctx.actor.has(Role::CenterStaff),
        typed,
        errors,
        flash,
    })
}

async fn page(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let year = year_or_latest(&q, &s, &signed).await?;
    let flash = match q.get("done").as_str() {
        "draft" => Some("草稿已建立，可按本地实际修改后印发".to_string()),
        "saved" => Some("草稿已保存，各表已通过校验".to_string()),
        "adopted" => {
            Some("考核办法已印发，本版本不再修改；如需调整请另起草稿并写明原因".to_string())
        }
        _ => None,
    };
    Ok(render(
        &s,
        &signed,
        year,
        FormData::default(),
        ValidationErrors::new(),
        flash,
    )
    .await?
    .into_response())
}

async fn start(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let year = year_or_latest(&form, &s, &signed).await?;
    match svc::start_draft(&s.app, &signed.ctx, year).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/assessment/rules?year={year}&done=draft")).into_response())
        }
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&s, &signed, year, form, v, None).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

/// Adopting freezes the version: it asks first.
async fn adopt(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let year = year_or_latest(&form, &s, &signed).await?;
    if ConfirmPage::going_back(&form) {
        return Ok(
            render(&s, &signed, year, form, ValidationErrors::new(), None)
                .await?
                .into_response(),
        );
    }
    let a = Adoption {
        doc_number: form.get("doc_number"),
        adopted_on: form.get("adopted_on"),
        reason: form.get("reason"),
    };
    // a blank or impossible number or date is named at its field before anything is asked
    if let Err(ServiceError::Validation(v)) = svc::check_adoption(&s.app, &signed.ctx, &a) {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&s, &signed, year, form, v, None).await?,
        )
            .into_response());
    }
    if let Some(ask) = ConfirmPage::unless_confirmed(
        &signed,
        &form,
        "/assessment/rules/adopt",
        "确认印发考核办法",
        vec![
            format!("年度：{year}"),
            format!("文号：{}", form.get("doc_number")),
            format!("印发日期：{}", form.get("adopted_on")),
            "印发后本版本冻结，不能再修改；调整须另起草稿并写明原因".into(),
        ],
        "确认印发",
        &format!("/assessment/rules?year={year}"),
    ) {
        return Ok(ask);
    }
    match svc::adopt(&s.app, &signed.ctx, year, &a).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/assessment/rules?year={year}&done=adopted")).into_response(),
        ),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&s, &signed, year, form, v, None).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

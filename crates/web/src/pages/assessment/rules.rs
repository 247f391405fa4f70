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
use keyproj_domain::assessment::{Table, points_text};
use keyproj_domain::authz::Role;
use keyproj_service::ServiceError;
use keyproj_service::assessment::rules::{self as svc, Adoption};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/assessment/rules", get(page))
        .route("/assessment/rules/draft", post(start))
        .route("/assessment/rules/adopt", post(adopt))
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
    let a = Adoption {
        doc_number: form.get("doc_number"),
        adopted_on: form.get("adopted_on"),
        reason: form.get("reason"),
    };
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

//! 部门整体支出绩效自评 on the pages (issue #13, in progress): the year's score table — every
//! leaf with its weight, points and working, the L1 subtotals, the total and the grade, and the
//! sentence the report states — and its workbook.

use crate::AppState;
use crate::auth::{Signed, query_pairs};
use crate::error::PageError;
use crate::views::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use keyproj_domain::assessment::points_text;
use keyproj_service::ServiceError;
use keyproj_service::evaluation as svc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/self-evaluation", get(index))
        .route("/self-evaluation/score.xlsx", get(score_xlsx))
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
}

fn year_in(s: &AppState, q: &crate::auth::FormData) -> i32 {
    q.get("year")
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(|| svc_default_year(s))
}

/// Last year: the self-evaluation is written in the spring for the year before.
fn svc_default_year(s: &AppState) -> i32 {
    use chrono::Datelike;
    s.app.local_today().year() - 1
}

async fn index(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let year = year_in(&s, &q);
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
    Ok(page.into_response())
}

async fn score_xlsx(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let y = svc::evaluate(&s.app, &signed.ctx, year_in(&s, &q)).await?;
    let file = keyproj_service::exports::self_evaluation_xlsx(&y)?;
    Ok(crate::pages::xlsx_response(&file.name, file.bytes))
}

//! 评价模板 on the pages (issue #13): the indicator tree the region scores a year by — every
//! node's weight, every leaf's measure and 评分标准, the grades and the document basis. Staff
//! adopt it for the year with their finance bureau's weights, thresholds and 文号; the rules
//! themselves are changed through the API (`PUT /api/v1/self-evaluation/{year}/template`).

use super::year_in;
use crate::AppState;
use crate::auth::{FormData, Posted, Signed, query_pairs};
use crate::error::PageError;
use crate::pages::is_staff;
use crate::views::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use keyproj_domain::ValidationErrors;
use keyproj_domain::assessment::points_text;
use keyproj_domain::assessment::scoring::parse_points;
use keyproj_service::ServiceError;
use keyproj_service::evaluation as svc;

struct NodeLine {
    key: String,
    depth: usize,
    name: String,
    weight: String,
    measure: String,
    rule: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "evaluation/template.html")]
struct TemplatePage {
    chrome: Chrome,
    year: i32,
    staff: bool,
    adopted: bool,
    version: String,
    basis: String,
    nodes: Vec<NodeLine>,
    /// (index, label, lower bound typed)
    grades: Vec<(usize, String, String)>,
    errors: ValidationErrors,
    done: bool,
}

fn key_of(path: &[usize]) -> String {
    path.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join("-")
}

fn page(
    signed: &Signed,
    year: i32,
    t: &keyproj_domain::evaluation::Template,
    version: Option<i64>,
    typed: Option<&FormData>,
    errors: ValidationErrors,
) -> TemplatePage {
    let typed_or = |k: &str, v: String| typed.map(|f| f.get(k)).unwrap_or(v);
    TemplatePage {
        chrome: Chrome::new(signed, "self_evaluation"),
        year,
        staff: is_staff(signed),
        adopted: version.is_some(),
        version: version.map(|v| v.to_string()).unwrap_or_default(),
        basis: typed_or("basis", t.basis.clone()),
        nodes: t
            .nodes()
            .into_iter()
            .map(|(path, depth, n)| {
                let key = key_of(&path);
                NodeLine {
                    weight: typed_or(&format!("w_{key}"), points_text(n.weight)),
                    key,
                    depth,
                    name: n.name.clone(),
                    measure: n
                        .leaf
                        .as_ref()
                        .map(|l| l.measure.label().to_string())
                        .unwrap_or_default(),
                    rule: n
                        .leaf
                        .as_ref()
                        .map(|l| l.rule.describe())
                        .unwrap_or_default(),
                }
            })
            .collect(),
        grades: t
            .grades
            .iter()
            .enumerate()
            .map(|(i, g)| {
                (
                    i,
                    g.name.clone(),
                    typed_or(&format!("g_{i}"), points_text(g.min)),
                )
            })
            .collect(),
        errors,
        done: false,
    }
}

pub(super) async fn show(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let year = year_in(&s, &q)?;
    let (t, version) = svc::template(&s.app, &signed.ctx, year).await?;
    let mut p = page(&signed, year, &t, version, None, ValidationErrors::new());
    p.done = q.get("done") == "saved";
    Ok(p.into_response())
}

pub(super) async fn save(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    crate::pages::staff_only(&signed)?;
    let year = year_in(&s, &form)?;
    let (mut t, version) = svc::template(&s.app, &signed.ctx, year).await?;
    let shown = t.clone();
    let mut e = ValidationErrors::new();
    t.basis = form.get("basis").trim().to_string();
    let paths: Vec<Vec<usize>> = t.nodes().into_iter().map(|(p, _, _)| p).collect();
    for path in paths {
        let key = key_of(&path);
        let Some(n) = t.node_mut(&path) else { continue };
        let label = format!("「{}」的分值", n.name);
        match parse_points(&format!("w_{key}"), &label, &form.get(&format!("w_{key}"))) {
            Ok(p) => n.weight = p,
            Err(f) => e.push(f),
        }
    }
    for (i, g) in t.grades.iter_mut().enumerate() {
        let label = format!("“{}”的分数线", g.name);
        match parse_points(&format!("g_{i}"), &label, &form.get(&format!("g_{i}"))) {
            Ok(p) => g.min = p,
            Err(f) => e.push(f),
        }
    }
    let again = |errors: ValidationErrors, status: StatusCode| {
        (
            status,
            page(&signed, year, &shown, version, Some(&form), errors),
        )
            .into_response()
    };
    if !e.is_empty() {
        return Ok(again(e, StatusCode::UNPROCESSABLE_ENTITY));
    }
    match svc::save_template(&s.app, &signed.ctx, year, &t, form.version()).await {
        Ok(()) => Ok(
            Redirect::to(&format!("/self-evaluation/template?year={year}&done=saved"))
                .into_response(),
        ),
        Err(ServiceError::Validation(v)) => Ok(again(v, StatusCode::UNPROCESSABLE_ENTITY)),
        Err(ServiceError::Stale) => Ok(again(
            ValidationErrors::single(
                "version",
                "stale",
                "模板已被他人修改：下方保留了您输入的内容，请刷新后重新修改",
            ),
            StatusCode::CONFLICT,
        )),
        Err(e) => Err(e.into()),
    }
}

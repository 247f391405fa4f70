//! The public board (挂图展示): no login. Shows only published colour tables — public fields,
//! no phone numbers, no unpublished figures — with per-leader and per-unit views and a
//! slideshow that advances by itself (a meta refresh: it works without script).

use crate::AppState;
use crate::auth::query_pairs;
use crate::error::PageError;
use crate::pages::{ColourLine, colour_counts, colour_lines};
use crate::params::Path;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use keyproj_domain::ReportMonth;
use keyproj_domain::colour::Colour;
use keyproj_service::colour;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/board", get(latest))
        .route("/board/issues/{id}", get(by_id))
        .route("/board/problems", get(problems))
}

#[derive(Template, WebTemplate)]
#[template(path = "board_problems.html")]
struct ProblemsBoard {
    year: i32,
    units: Vec<keyproj_service::problems::UnitStats>,
    totals: (i64, i64, i64),
}

/// 晒问题交办完成情况: per handling unit, counts and rates only (no people, no item texts).
async fn problems(State(s): State<AppState>, RawQuery(q): RawQuery) -> Result<Response, PageError> {
    use chrono::Datelike;
    let q = query_pairs(q.as_deref());
    let year = q
        .get("year")
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or(s.app.local_today().year());
    let units =
        keyproj_service::problems::public_unit_stats(&s.app, &s.app.cfg.default_region, year)
            .await?;
    let totals = units.iter().fold((0, 0, 0), |t, u| {
        (t.0 + u.assigned, t.1 + u.closed, t.2 + u.overdue)
    });
    Ok(ProblemsBoard {
        year,
        units,
        totals,
    }
    .into_response())
}

/// Rows per slide on a hall screen.
const SLIDE_ROWS: usize = 12;

#[derive(Template, WebTemplate)]
#[template(path = "board.html")]
struct BoardPage {
    title: String,
    as_of: String,
    has_issue: bool,
    view: String,
    base: String,
    counts: Vec<(&'static str, &'static str, usize)>,
    /// (category label, projects, annual plan 万元, done 万元)
    by_category: Vec<(String, usize, String, String)>,
    lines: Vec<ColourLine>,
    /// (name, [red, yellow, green, blue, exempt], total)
    groups: Vec<(String, [usize; 5], usize)>,
    refresh: Option<String>,
    slide: Option<(usize, usize)>,
}

async fn latest(State(s): State<AppState>, RawQuery(q): RawQuery) -> Result<Response, PageError> {
    let region = s.app.cfg.default_region.clone();
    let issue = colour::latest(&s.app, &region).await?;
    render(issue, q.as_deref(), "/board".into())
}

async fn by_id(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let region = s.app.cfg.default_region.clone();
    let issue = colour::issue(&s.app, &region, id).await?;
    render(Some(issue), q.as_deref(), format!("/board/issues/{id}"))
}

fn render(
    issue: Option<colour::Issue>,
    q: Option<&str>,
    base: String,
) -> Result<Response, PageError> {
    let q = query_pairs(q);
    let view = match q.get("view").as_str() {
        v @ ("leaders" | "units") => v.to_string(),
        _ => "table".to_string(),
    };
    let Some(i) = issue else {
        return Ok(BoardPage {
            title: "重点建设项目进度分色表".into(),
            as_of: String::new(),
            has_issue: false,
            view,
            base,
            counts: vec![],
            by_category: vec![],
            lines: vec![],
            groups: vec![],
            refresh: None,
            slide: None,
        }
        .into_response());
    };
    let mut lines = colour_lines(&i.rows);
    let by_category = keyproj_domain::plan::YearCategory::ALL
        .iter()
        .map(|c| {
            let rs: Vec<_> = i.rows.iter().filter(|r| r.category == c.key()).collect();
            (
                format!("{}项目", c.label()),
                rs.len(),
                crate::views::wan(rs.iter().map(|r| r.annual_plan_fen).sum()),
                crate::views::wan(rs.iter().map(|r| r.completed_ytd_fen).sum()),
            )
        })
        .filter(|c| c.1 > 0)
        .collect();
    let group_by = |key: fn(&keyproj_db::repo::dispatch::IssueLine) -> String| {
        let mut g: Vec<(String, [usize; 5], usize)> = vec![];
        for r in &i.rows {
            let k = key(r);
            let k = if k.is_empty() {
                "（未定）".to_string()
            } else {
                k
            };
            let idx = [
                Colour::Red,
                Colour::Yellow,
                Colour::Green,
                Colour::Blue,
                Colour::Exempt,
            ]
            .iter()
            .position(|c| c.key() == r.colour)
            .unwrap_or(2);
            match g.iter_mut().find(|x| x.0 == k) {
                Some(x) => {
                    x.1[idx] += 1;
                    x.2 += 1;
                }
                None => {
                    let mut c = [0; 5];
                    c[idx] = 1;
                    g.push((k, c, 1));
                }
            }
        }
        // Most red first: the board exists to show who is behind.
        g.sort_by(|a, b| (b.1[0], b.1[1]).cmp(&(a.1[0], a.1[1])).then(a.0.cmp(&b.0)));
        g
    };
    let groups = match view.as_str() {
        "leaders" => group_by(|r| r.leader_name.clone()),
        "units" => group_by(|r| r.lead_unit_name.clone()),
        _ => vec![],
    };
    let (refresh, slide) = if q.get("slide") == "1" {
        let pages = lines.len().div_ceil(SLIDE_ROWS).max(1);
        let page = q
            .get("page")
            .parse::<usize>()
            .ok()
            .filter(|p| *p >= 1 && *p <= pages)
            .unwrap_or(1);
        let next = if page >= pages { 1 } else { page + 1 };
        lines = lines
            .into_iter()
            .skip((page - 1) * SLIDE_ROWS)
            .take(SLIDE_ROWS)
            .collect();
        (
            Some(format!("15;url={base}?slide=1&page={next}")),
            Some((page, pages)),
        )
    } else {
        (None, None)
    };
    Ok(BoardPage {
        title: i.title.clone(),
        as_of: ReportMonth::parse("m", "m", &i.issue.as_of_month)
            .map(|m| m.chinese())
            .unwrap_or_default(),
        has_issue: true,
        view,
        base,
        counts: colour_counts(&i.rows),
        by_category,
        lines,
        groups,
        refresh,
        slide,
    }
    .into_response())
}

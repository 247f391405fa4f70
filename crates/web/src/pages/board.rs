//! The public board (挂图展示): no login. Shows only published colour tables — public fields,
//! no phone numbers, no unpublished figures — with per-leader and per-unit views and a
//! slideshow that advances by itself (a meta refresh: it works without script).

use crate::AppState;
use crate::auth::query_pairs;
use crate::error::PageError;
use crate::pages::dispatch::colour::{ColourCount, ColourLine, colour_counts, colour_lines};
use crate::params::Path;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use keyproj_db::repo::dispatch::colour::IssueLine;
use keyproj_domain::Money;
use keyproj_domain::colour::Colour;
use keyproj_domain::ids::IssueId;
use keyproj_domain::keyed::Keyed;
use keyproj_domain::plan::YearCategory;
use keyproj_service::dispatch::colour;
use keyproj_service::problems::stats::{UnitStats, public_unit_stats};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/board", get(latest))
        .route("/board/issues/{id}", get(by_id))
        .route("/board/problems", get(problems))
}

#[derive(Template, WebTemplate)]
#[template(path = "board/problems.html")]
struct ProblemsBoard {
    year: i32,
    units: Vec<UnitStats>,
    totals: ProblemTotals,
}

/// The year's items over all units.
#[derive(Default)]
struct ProblemTotals {
    assigned: i64,
    closed: i64,
    overdue: i64,
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
    let units = public_unit_stats(&s.app, &s.app.cfg.default_region, year).await?;
    let totals = units
        .iter()
        .fold(ProblemTotals::default(), |t, u| ProblemTotals {
            assigned: t.assigned + u.assigned,
            closed: t.closed + u.closed,
            overdue: t.overdue + u.overdue,
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
#[template(path = "board/board.html")]
struct BoardPage {
    title: String,
    as_of: String,
    has_issue: bool,
    view: String,
    base: String,
    counts: Vec<ColourCount>,
    by_category: Vec<CategoryTile>,
    lines: Vec<ColourLine>,
    groups: Vec<ColourGroup>,
    refresh: Option<String>,
    slide: Option<Slide>,
}

/// Projects of a year category: how many, their annual plan and what is done.
struct CategoryTile {
    label: String,
    projects: usize,
    plan_wan: String,
    done_wan: String,
}

/// Projects of one leader or unit by colour.
struct ColourGroup {
    name: String,
    /// Red, yellow, green, blue, exempt.
    by_colour: [usize; 5],
    total: usize,
}

/// Which screen of the slideshow this is.
struct Slide {
    page: usize,
    pages: usize,
}

const COLOURS: [Colour; 5] = [
    Colour::Red,
    Colour::Yellow,
    Colour::Green,
    Colour::Blue,
    Colour::Exempt,
];

async fn latest(State(s): State<AppState>, RawQuery(q): RawQuery) -> Result<Response, PageError> {
    let region = s.app.cfg.default_region.clone();
    let issue = colour::latest(&s.app, &region).await?;
    render(issue, q.as_deref(), "/board".into())
}

async fn by_id(
    State(s): State<AppState>,
    Path(id): Path<IssueId>,
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
    let by_category = YearCategory::all()
        .iter()
        .map(|c| {
            let rs: Vec<&IssueLine> = i.rows.iter().filter(|r| r.category == *c).collect();
            CategoryTile {
                label: format!("{}项目", c.label()),
                projects: rs.len(),
                plan_wan: crate::views::wan(&rs.iter().map(|r| r.annual_plan).sum::<Money>()),
                done_wan: crate::views::wan(&rs.iter().map(|r| r.completed_ytd).sum::<Money>()),
            }
        })
        .filter(|c| c.projects > 0)
        .collect();
    let group_by = |key: fn(&IssueLine) -> String| {
        let mut groups: Vec<ColourGroup> = vec![];
        for r in &i.rows {
            let name = Some(key(r))
                .filter(|k| !k.is_empty())
                .unwrap_or_else(|| "（未定）".to_string());
            let idx = COLOURS.iter().position(|c| *c == r.colour).unwrap_or(2);
            match groups.iter_mut().find(|g| g.name == name) {
                Some(g) => {
                    g.by_colour[idx] += 1;
                    g.total += 1;
                }
                None => {
                    let mut by_colour = [0; 5];
                    by_colour[idx] = 1;
                    groups.push(ColourGroup {
                        name,
                        by_colour,
                        total: 1,
                    });
                }
            }
        }
        // Most red first: the board exists to show who is behind.
        groups.sort_by(|a, b| {
            (b.by_colour[0], b.by_colour[1])
                .cmp(&(a.by_colour[0], a.by_colour[1]))
                .then(a.name.cmp(&b.name))
        });
        groups
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
            Some(Slide { page, pages }),
        )
    } else {
        (None, None)
    };
    Ok(BoardPage {
        title: i.title.clone(),
        as_of: i.issue.as_of_month.chinese(),
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

//! The public board (挂图展示): no login. Shows only published colour tables that are on the
//! wall (published at least `board_delay_minutes` ago) — public fields, no phone numbers, no
//! unpublished figures — with per-leader and per-unit views, and the hall screen: a 1920×1080
//! mode read from 3–5 m that pages through the table by itself (a meta refresh: no script).

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
        .route("/board/screen", get(screen))
        .route("/board/problems", get(problems))
        .route("/board/assessment", get(assessment))
}

struct RankLine {
    rank: u32,
    name: String,
    total: String,
    grade: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "board/assessment.html")]
struct AssessmentBoard {
    title: String,
    number: String,
    issued_on: String,
    kinds: Vec<(&'static str, Vec<RankLine>)>,
}

/// The latest published 考核 ranking, where the deployment shows it (else not found).
async fn assessment(State(s): State<AppState>) -> Result<Response, PageError> {
    let region = s.app.cfg.default_region.clone();
    let Some(r) = keyproj_service::assessment::rounds::published_ranking(&s.app, &region).await?
    else {
        return Err(keyproj_service::ServiceError::NotFound.into());
    };
    Ok(AssessmentBoard {
        title: r.notice.title.clone(),
        number: r.notice.number.clone(),
        issued_on: keyproj_domain::month::chinese_date(r.notice.issued_on),
        kinds: r
            .kinds
            .iter()
            .map(|(k, ranked)| {
                (
                    k.label(),
                    ranked
                        .iter()
                        .map(|x| RankLine {
                            rank: x.rank,
                            name: x.name.clone(),
                            total: keyproj_domain::assessment::points_text(x.total),
                            grade: x.grade.clone(),
                        })
                        .collect(),
                )
            })
            .collect(),
    }
    .into_response())
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

/// The hall screen's fixed bands in CSS pixels (`body.hall` in app.css): the title band,
/// the legend band, the table header and one row. Rows per screen follow from them so that
/// nothing overflows whatever the screen's height.
const HALL_TITLE_PX: usize = 150;
const HALL_LEGEND_PX: usize = 90;
const HALL_ROW_PX: usize = 64;

/// Rows that fit a screen `height` pixels high under the title, header row and legend.
fn hall_rows(height: usize) -> usize {
    (height.saturating_sub(HALL_TITLE_PX + HALL_LEGEND_PX + HALL_ROW_PX + 16) / HALL_ROW_PX).max(3)
}

/// One row of the hall screen: only what is read from a distance.
struct HallLine {
    seq: i64,
    name: String,
    leader: String,
    lead_unit: String,
    completion: String,
    colour_key: &'static str,
    colour: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "board/screen.html")]
struct HallScreen {
    title: String,
    /// "截至2026年10月" (the title carries 第N期), empty before the first issue.
    issue_line: String,
    /// "更正第2期" when this issue corrects another.
    correction: Option<String>,
    counts: Vec<ColourCount>,
    lines: Vec<HallLine>,
    page: usize,
    pages: usize,
    refresh: String,
}

/// The hall screen: `?page=N` (from 1), `?h=` the screen's height in CSS pixels (1080),
/// `?every=` seconds per screen (15).
async fn screen(State(s): State<AppState>, RawQuery(q): RawQuery) -> Result<Response, PageError> {
    let q = query_pairs(q.as_deref());
    let region = s.app.cfg.default_region.clone();
    let asked_h = q.get("h").parse::<usize>().ok().map(|h| h.clamp(480, 4320));
    let asked_every = q.get("every").parse::<u32>().ok().map(|e| e.clamp(5, 600));
    let height = asked_h.unwrap_or(1080);
    let every = asked_every.unwrap_or(15);
    let per = hall_rows(height);
    let Some(i) = colour::on_wall(&s.app, &region).await? else {
        return Ok(HallScreen {
            title: "重点建设项目进度分色表".into(),
            issue_line: String::new(),
            correction: None,
            counts: vec![],
            lines: vec![],
            page: 1,
            pages: 1,
            refresh: format!("{every}"),
        }
        .into_response());
    };
    let pages = i.rows.len().div_ceil(per).max(1);
    let page = q
        .get("page")
        .parse::<usize>()
        .ok()
        .map(|p| p.clamp(1, pages))
        .unwrap_or(1);
    let next = if page >= pages { 1 } else { page + 1 };
    // only the parsed numbers go back into the address: nothing typed is echoed
    let refresh = format!(
        "{every};url=/board/screen?page={next}{}{}",
        asked_h.map(|h| format!("&h={h}")).unwrap_or_default(),
        asked_every
            .map(|e| format!("&every={e}"))
            .unwrap_or_default()
    );
    let lines = colour_lines(&i.rows)
        .into_iter()
        .skip((page - 1) * per)
        .take(per)
        .map(|l| HallLine {
            seq: l.seq,
            name: l.name,
            leader: l.leader,
            lead_unit: l.lead_unit,
            completion: l.completion,
            colour_key: l.colour_key,
            colour: l.colour,
        })
        .collect();
    Ok(HallScreen {
        issue_line: format!("截至{}", i.issue.as_of_month.chinese()),
        correction: i.corrects_number.map(|n| format!("更正第{n}期")),
        counts: colour_counts(&i.rows),
        title: i.title,
        lines,
        page,
        pages,
        refresh,
    }
    .into_response())
}

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
    /// The public table fills only the 评价 cell.
    fill_row: bool,
    /// The issue this one corrects (更正).
    corrects: Option<i64>,
    /// 第N期.
    number: i64,
    /// The deployment shows the published 考核 ranking too.
    ranking: bool,
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

const COLOURS: [Colour; 5] = [
    Colour::Red,
    Colour::Yellow,
    Colour::Green,
    Colour::Blue,
    Colour::Exempt,
];

/// The board links the 考核 ranking when the deployment shows it and one is published.
async fn has_ranking(s: &AppState) -> Result<bool, PageError> {
    let region = &s.app.cfg.default_region;
    Ok(
        keyproj_service::assessment::rounds::published_ranking(&s.app, region)
            .await?
            .is_some(),
    )
}

async fn latest(State(s): State<AppState>, RawQuery(q): RawQuery) -> Result<Response, PageError> {
    let region = s.app.cfg.default_region.clone();
    let issue = colour::on_wall(&s.app, &region).await?;
    render(issue, q.as_deref(), "/board".into(), has_ranking(&s).await?)
}

async fn by_id(
    State(s): State<AppState>,
    Path(id): Path<IssueId>,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let region = s.app.cfg.default_region.clone();
    let issue = colour::issue(&s.app, &region, id).await?;
    if !colour::is_on_wall(&s.app, &issue) {
        return Err(keyproj_service::ServiceError::NotFound.into());
    }
    render(
        Some(issue),
        q.as_deref(),
        format!("/board/issues/{id}"),
        has_ranking(&s).await?,
    )
}

fn render(
    issue: Option<colour::Issue>,
    q: Option<&str>,
    base: String,
    ranking: bool,
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
            fill_row: false,
            corrects: None,
            number: 0,
            ranking,
        }
        .into_response());
    };
    let lines = colour_lines(&i.rows);
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
        fill_row: false,
        corrects: i.corrects_number,
        number: i.issue.number,
        ranking,
    }
    .into_response())
}

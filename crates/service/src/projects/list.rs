//! The list of projects an actor may see: the query of the URL or the API, one page with the
//! totals of the whole filter, every page for an export, and the counts per stage.

use crate::{App, Ctx, Result, require};
use keyproj_db::repo::dispatch::colour as colour_repo;
use keyproj_db::repo::projects::{
    self, ColoursOf, ProjectFilter, ProjectListPage, ProjectRow, ProjectTotals, StageCount,
};
use keyproj_domain::authz::{Action, project_list_scope};
use keyproj_domain::colour::Colour;
use keyproj_domain::ids::{IssueId, LeaderId, UnitId};
use keyproj_domain::project::{Industry, Level, Stage};
use keyproj_domain::{Money, ValidationErrors};
use serde::{Deserialize, Serialize};

/// Count and total investment per stage, over the projects the actor may see (dashboard).
/// Every stage is listed, with zeros where there are no projects.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn stage_summary(app: &App, ctx: &Ctx) -> Result<Vec<StageCount>> {
    require(ctx, Action::ViewProject)?;
    let mut tx = app.db.begin_read().await?;
    let counts = projects::count_by_stage(&mut tx, &project_list_scope(&ctx.actor)).await?;
    Ok(Stage::ALL
        .iter()
        .map(|st| {
            counts
                .iter()
                .find(|c| c.stage == *st)
                .cloned()
                .unwrap_or(StageCount {
                    stage: *st,
                    count: 0,
                    total_investment: Money::ZERO,
                })
        })
        .collect())
}

/// Query parameters of the list (from the URL or the API).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ListQuery {
    pub q: String,
    pub stage: String,
    pub level: String,
    pub industry: String,
    pub township: Option<UnitId>,
    pub lead_unit: Option<UnitId>,
    pub leader: Option<LeaderId>,
    pub below_threshold: Option<bool>,
    /// red | yellow | green | blue | exempt (or 红/黄…): the colour in the newest published
    /// issue of the actor's region (本期).
    pub colour: String,
    pub sort: String,
    pub desc: bool,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProjectPage {
    pub items: Vec<ProjectRow>,
    /// Responsible unit names per item, in the order of `items`.
    pub responsible: Vec<Vec<String>>,
    pub totals: ProjectTotals,
    pub page: i64,
    pub per_page: i64,
    pub pages: i64,
    /// The newest published issue (本期), e.g. "2026年第3期", if any.
    pub issue: Option<String>,
    /// That issue's id.
    pub issue_id: Option<IssueId>,
    /// Each item's colour in that issue, in the order of `items` (None: not in it).
    pub colours: Vec<Option<Colour>>,
}

impl ProjectPage {
    /// What a refused filter lists: nothing, on one empty page.
    pub fn nothing() -> ProjectPage {
        ProjectPage {
            items: vec![],
            responsible: vec![],
            totals: ProjectTotals::default(),
            page: 1,
            per_page: 50,
            pages: 1,
            issue: None,
            issue_id: None,
            colours: vec![],
        }
    }
}

pub const MAX_PER_PAGE: i64 = 500;

/// A search reads at most this many characters; the page echoes no more than it searched.
pub const MAX_SEARCH_CHARS: usize = 100;

pub fn filter_of(ctx: &Ctx, q: &ListQuery) -> Result<ProjectFilter> {
    let mut f = ProjectFilter::new(project_list_scope(&ctx.actor));
    let mut errs = ValidationErrors::new();
    f.q = Some(q.q.chars().take(MAX_SEARCH_CHARS).collect());
    if !q.stage.is_empty() {
        f.stage = errs.check(Stage::parse("stage", &q.stage));
    }
    if !q.level.is_empty() {
        f.level = errs.check(Level::parse("level", &q.level));
    }
    if !q.industry.is_empty() {
        f.industry = errs.check(Industry::parse("industry", &q.industry));
    }
    if !q.colour.is_empty() {
        // the issue is filled in by `list` (it needs the database); none yet matches nothing
        f.colour_in_issue = errs
            .check(Colour::parse("colour", &q.colour))
            .map(|c| (IssueId(0), c));
    }
    errs.into_result()?;
    f.township_unit_id = q.township;
    f.lead_unit_id = q.lead_unit;
    f.leader_id = q.leader;
    f.below_threshold = q.below_threshold;
    f.sort = projects::SortKey::parse(&q.sort);
    f.desc = q.desc;
    // none: the default size; otherwise 1 to the largest
    let per_page = q.per_page.unwrap_or(50).clamp(1, MAX_PER_PAGE);
    let page = q.page.unwrap_or(1).max(1);
    f.limit = per_page;
    f.offset = (page - 1).saturating_mul(per_page);
    Ok(f)
}

/// The units and the leader a filter names must be ones the actor's region has: another
/// county's id, or one that names nothing, is refused at its field like any value no select
/// offers (a query per id given, none without).
async fn known_ids(tx: &mut keyproj_db::Tx, ctx: &Ctx, f: &ProjectFilter) -> Result<()> {
    let region = &ctx.actor.region;
    let mut errs = ValidationErrors::new();
    for (field, label, id) in [
        ("township", "乡镇", f.township_unit_id),
        ("lead_unit", "牵头单位", f.lead_unit_id),
    ] {
        if let Some(id) = id
            && crate::org::unit_in(tx, region, id).await?.is_none()
        {
            errs.add(field, "unknown", format!("{label}“{id}”不存在或不在本辖区"));
        }
    }
    if let Some(id) = f.leader_id
        && crate::org::leader_in(tx, region, id).await?.is_none()
    {
        errs.add(
            "leader",
            "unknown",
            format!("联系领导“{id}”不存在或不在本辖区"),
        );
    }
    Ok(errs.into_result()?)
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn list(app: &App, ctx: &Ctx, q: &ListQuery) -> Result<ProjectPage> {
    require(ctx, Action::ViewProject)?;
    let mut f = filter_of(ctx, q)?;
    // No snapshot needed: the page and its totals are one statement, and it is asked for the
    // colours of the issue read first.
    let mut tx = app.db.read().await?;
    known_ids(&mut tx, ctx, &f).await?;
    // The colours are the newest issue's: a colour filter needs it first, otherwise the page's
    // statement finds it.
    let colours = match f.colour_in_issue {
        Some((id, c)) => {
            let issue = colour_repo::latest_issue(&mut tx, &ctx.actor.region).await?;
            f.colour_in_issue = Some((issue.as_ref().map(|i| i.id).unwrap_or(id), c));
            ColoursOf::Issue(issue.map(|i| i.id))
        }
        None => ColoursOf::NewestIssueOf(&ctx.actor.region),
    };
    let mut page = projects::list_page(&mut tx, &f, colours).await?;
    let last_offset = (page.totals.count - 1).max(0) / f.limit * f.limit;
    if f.offset > last_offset {
        // a page past the end (an old link, a typed number) shows the last page
        f.offset = last_offset;
        page = projects::list_page(&mut tx, &f, colours).await?;
    }
    let ProjectListPage {
        items: listed,
        totals,
        issue,
    } = page;
    let pages = ((totals.count + f.limit - 1) / f.limit).max(1);
    let mut items = Vec::with_capacity(listed.len());
    let mut responsible = Vec::with_capacity(listed.len());
    let mut colours = Vec::with_capacity(listed.len());
    for l in listed {
        items.push(l.project);
        responsible.push(l.responsible);
        colours.push(l.colour);
    }
    Ok(ProjectPage {
        items,
        responsible,
        totals,
        page: f.offset / f.limit + 1,
        per_page: f.limit,
        pages,
        issue_id: issue.map(|i| i.id),
        issue: issue.map(|i| format!("{}年第{}期", i.year, i.number)),
        colours,
    })
}

/// Every page of a filter (exports).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn list_all(app: &App, ctx: &Ctx, query: ListQuery) -> Result<Vec<ProjectPage>> {
    let mut query = query;
    query.page = Some(1);
    query.per_page = Some(MAX_PER_PAGE);
    let mut pages = vec![];
    loop {
        let page = list(app, ctx, &query).await?;
        let done = page.page >= page.pages;
        query.page = Some(page.page + 1);
        pages.push(page);
        if done {
            return Ok(pages);
        }
    }
}

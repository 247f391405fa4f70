//! The filtered, sorted, paged list of projects with totals over the whole filter, and counts.

use super::{COLUMNS, JOINS, ProjectRaw, ProjectRow, project_by_position};
use crate::decode::{self};
use crate::{DbError, Param, Tx, Where, bind_params, direct, run};
use chrono::{DateTime, Utc};
use keyproj_domain::authz::ListScope;
use keyproj_domain::colour::Colour;
use keyproj_domain::ids::{IssueId, LeaderId, ProjectId, UnitId};
use keyproj_domain::project::{Industry, Level, Stage};
use keyproj_domain::region::RegionLevel;
use keyproj_domain::{Money, RegionCode};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Code,
    Name,
    Investment,
    Stage,
    Level,
    Updated,
}

impl SortKey {
    /// The key of a sort link; anything else is the default order (see [`SortKey::from_key`]).
    pub fn parse(s: &str) -> SortKey {
        SortKey::from_key(s).unwrap_or_default()
    }
    /// A sort link's key, or None for a key no link offers.
    pub fn from_key(s: &str) -> Option<SortKey> {
        Some(match s {
            "code" => SortKey::Code,
            "name" => SortKey::Name,
            "investment" => SortKey::Investment,
            "stage" => SortKey::Stage,
            "level" => SortKey::Level,
            "updated" => SortKey::Updated,
            _ => return None,
        })
    }
    pub fn key(self) -> &'static str {
        match self {
            SortKey::Code => "code",
            SortKey::Name => "name",
            SortKey::Investment => "investment",
            SortKey::Stage => "stage",
            SortKey::Level => "level",
            SortKey::Updated => "updated",
        }
    }
    /// What the rows are ordered by. Stages follow their lifecycle (签约 → … → 后扶) and
    /// levels their rank (省 → 市 → 县), as the vocabularies declare them, not their stored keys.
    fn expr(self) -> String {
        fn in_declared_order(col: &str, keys: impl Iterator<Item = &'static str>) -> String {
            let arms: String = keys
                .enumerate()
                .map(|(i, k)| format!(" WHEN '{k}' THEN {i}"))
                .collect();
            format!("CASE {col}{arms} END")
        }
        match self {
            SortKey::Code => "p.code".into(),
            SortKey::Name => "p.name".into(),
            SortKey::Investment => "p.total_investment_fen".into(),
            SortKey::Stage => in_declared_order("p.stage", Stage::ALL.iter().map(|s| s.key())),
            SortKey::Level => in_declared_order("p.level", Level::ALL.iter().map(|l| l.key())),
            SortKey::Updated => "p.updated_at".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ProjectFilter {
    pub scope: ListScope,
    pub q: Option<String>,
    pub stage: Option<Stage>,
    pub level: Option<Level>,
    pub industry: Option<Industry>,
    pub township_unit_id: Option<UnitId>,
    pub lead_unit_id: Option<UnitId>,
    pub leader_id: Option<LeaderId>,
    pub below_threshold: Option<bool>,
    /// Only projects of this colour in this published issue (本期红色/黄色).
    pub colour_in_issue: Option<(IssueId, Colour)>,
    pub sort: SortKey,
    pub desc: bool,
    pub limit: i64,
    pub offset: i64,
}

impl ProjectFilter {
    pub fn new(scope: ListScope) -> Self {
        ProjectFilter {
            scope,
            q: None,
            stage: None,
            level: None,
            industry: None,
            township_unit_id: None,
            lead_unit_id: None,
            leader_id: None,
            below_threshold: None,
            colour_in_issue: None,
            sort: SortKey::Code,
            desc: false,
            limit: 50,
            offset: 0,
        }
    }
}

/// How a province's projects are found (see [`list_page`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum ProvinceBy {
    /// A range of region codes: the planner reads the range (or the matches of a search in
    /// it) by region and sorts them.
    Range,
    /// A prefix of the region code, which no index serves: the planner walks the index in the
    /// page's order (`projects_in_code_order`, migration 0018) and stops after the page's rows.
    Prefix,
}

/// A province whose filter matches more projects than this is read in the page's order; one
/// that matches fewer is found by region and sorted (walking the order would visit every
/// project of the province to find a few).
const WALK_IN_ORDER_FROM: i64 = 500;

fn is_province(f: &ProjectFilter) -> bool {
    matches!(&f.scope, ListScope::Region(r) if r.level() == RegionLevel::Province)
}

fn filter_where(f: &ProjectFilter) -> Where {
    filter_where_by(f, ProvinceBy::Range)
}

fn filter_where_by(f: &ProjectFilter, province_by: ProvinceBy) -> Where {
    let mut w = Where::default();
    match &f.scope {
        ListScope::Region(r) if province_by == ProvinceBy::Prefix && is_province(f) => {
            w.push(
                &format!("substr(p.region_code, 1, {}) = ?", r.as_str().len()),
                vec![Param::Text(r.to_string())],
            );
        }
        ListScope::Region(r) => w.in_region("p.region_code", r),
        ListScope::Unit { region, unit_id } => {
            w.in_region("p.region_code", region);
            w.push(
                "(p.lead_unit_id = ? OR p.owner_unit_id = ? OR EXISTS (SELECT 1 FROM project_units pu WHERE pu.project_id = p.id AND pu.unit_id = ?))",
                vec![Param::I64(unit_id.get()), Param::I64(unit_id.get()), Param::I64(unit_id.get())],
            );
        }
        ListScope::Owner { region, unit_id } => {
            w.in_region("p.region_code", region);
            w.push("p.owner_unit_id = ?", vec![Param::I64(unit_id.get())]);
        }
        ListScope::Nothing => w.push("1 = 0", vec![]),
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        // One column holds the four searched fields, normalised as the typed text is
        // (migration 0017); the typed text matches literally (LIKE's wildcards escaped).
        let esc = keyproj_domain::search::search_key(q)
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pat = format!("%{esc}%");
        w.push("p.search_text LIKE ? ESCAPE '\\'", vec![Param::Text(pat)]);
    }
    for (col, key) in [
        ("p.stage", f.stage.map(|s| s.key())),
        ("p.level", f.level.map(|s| s.key())),
        ("p.industry", f.industry.map(|s| s.key())),
    ] {
        if let Some(k) = key {
            w.push(&format!("{col} = ?"), vec![Param::Text(k.into())]);
        }
    }
    for (col, id) in [
        ("p.township_unit_id", f.township_unit_id.map(|u| u.get())),
        ("p.lead_unit_id", f.lead_unit_id.map(|u| u.get())),
        ("p.leader_id", f.leader_id.map(|l| l.get())),
    ] {
        if let Some(id) = id {
            w.push(&format!("{col} = ?"), vec![Param::I64(id)]);
        }
    }
    if let Some(b) = f.below_threshold {
        w.push("p.below_threshold = ?", vec![Param::Bool(b)]);
    }
    if let Some((issue, colour)) = f.colour_in_issue {
        w.push(
            "EXISTS (SELECT 1 FROM colour_issue_rows cr WHERE cr.issue_id = ? AND cr.project_id = p.id AND cr.colour = ?)",
            vec![Param::I64(issue.get()), Param::Text(colour.key().into())],
        );
    }
    w
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ProjectTotals {
    pub count: i64,
    pub total_investment: Money,
}

/// A project of a list page with what the page shows beside it.
#[derive(Debug, Clone, Serialize)]
pub struct ListedProject {
    pub project: ProjectRow,
    /// Its responsible units, by name, in the units' order.
    pub responsible: Vec<String>,
    /// Its colour in the issue asked for (None: not in it, or no issue asked).
    pub colour: Option<Colour>,
}

/// A row of a list page: the project and the page's values.
struct ListedRaw {
    project: ProjectRaw,
    page: PageValues,
}

/// The page's values of a list row, after the project's: the totals (or the projects' state
/// they are remembered for), the colour in the page's issue, the issue.
struct PageValues {
    total_count: i64,
    total_fen: i64,
    generation: i64,
    issue_colour: Option<String>,
    page_issue_id: Option<i64>,
    page_issue_year: Option<i64>,
    page_issue_number: Option<i64>,
}

/// The page's values after the project's ([`super::COLUMNS`]) in a list row.
const PAGE_COLUMNS: &str =
    "tot.n AS total_count, tot.fen AS total_fen, tot.generation AS generation,
    cr.colour AS issue_colour, cur.id AS page_issue_id, cur.year AS page_issue_year,
    cur.number AS page_issue_number";

impl ListedRaw {
    /// Runs a page's statement: on the caller's thread where it can ([`Tx::on_thread`]),
    /// through sqlx otherwise.
    async fn fetch_all(tx: &mut Tx, sql: &str, params: &[Param]) -> Result<Vec<Self>, DbError> {
        if let Some(on_thread) = tx.on_thread().await? {
            return on_thread.rows(sql, &direct::refs(params), ListedRaw::direct);
        }
        Ok(run!(tx, |c| bind_params!(
            sqlx::query_as::<_, ListedRaw>(sqlx::AssertSqlSafe(sql.to_string())),
            params
        )
        .fetch_all(c)
        .await)?)
    }

    /// Reads a row on the caller's thread by position, in the order of the statement's columns
    /// (a lookup by name for each of 37 values would cost more than reading them).
    fn direct(r: &rusqlite::Row<'_>) -> Result<ListedRaw, DbError> {
        Ok(listed_by_position!(r, direct::at))
    }
}

/// A [`ListedRaw`] from a list row's values in order, each read with `$at`.
macro_rules! listed_by_position {
    ($row:expr, $at:path) => {
        ListedRaw {
            project: project_by_position!($row, $at),
            page: direct::by_position!(
                $row,
                $at,
                ProjectRaw::DIRECT_COLUMNS,
                PageValues {
                    total_count,
                    total_fen,
                    generation,
                    issue_colour,
                    page_issue_id,
                    page_issue_year,
                    page_issue_number,
                }
            ),
        }
    };
}
use listed_by_position;

/// Through sqlx, a list row is read by position too.
impl<'r, R> sqlx::FromRow<'r, R> for ListedRaw
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(r: &'r R) -> Result<Self, sqlx::Error> {
        Ok(listed_by_position!(r, direct::sqlx_at))
    }
}

/// Which colour issue a page shows its projects' colours from.
#[derive(Debug, Clone, Copy)]
pub enum ColoursOf<'a> {
    /// This one (None: no colours).
    Issue(Option<IssueId>),
    /// The newest issue of this region, found by the page's own statement (the usual page:
    /// one statement fewer, each a round trip to SQLite's worker thread or to the server).
    NewestIssueOf(&'a RegionCode),
}

/// The issue a page's colours are from: 2026年第3期.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PageIssue {
    pub id: IssueId,
    pub year: i64,
    pub number: i64,
}

/// One page of projects, the totals over the whole filter and the issue of the colours.
#[derive(Debug, Clone)]
pub struct ProjectListPage {
    pub items: Vec<ListedProject>,
    pub totals: ProjectTotals,
    /// None: no issue (yet), or none was asked for.
    pub issue: Option<PageIssue>,
}

/// One page of projects and the totals over the whole filtered set.
pub async fn list(
    tx: &mut Tx,
    f: &ProjectFilter,
) -> Result<(Vec<ProjectRow>, ProjectTotals), DbError> {
    let page = list_page(tx, f, ColoursOf::Issue(None)).await?;
    Ok((
        page.items.into_iter().map(|i| i.project).collect(),
        page.totals,
    ))
}

/// One page of projects with their responsible units and their colour in the issue `colours`
/// names, the totals over the whole filtered set and that issue, in one statement (each
/// statement is a round trip to SQLite's worker thread or to the PostgreSQL server). A page
/// past the end costs a statement for the totals and one for the issue.
pub async fn list_page(
    tx: &mut Tx,
    f: &ProjectFilter,
    colours: ColoursOf<'_>,
) -> Result<ProjectListPage, DbError> {
    // A province's page: the count decides how its rows are found (`ProvinceBy`), so totals
    // not yet remembered are counted first (a statement of their own, by region).
    let by_range = filter_where(f);
    let key = memo_key(f, &by_range);
    let mut known = key.as_deref().and_then(remembered);
    if known.is_none() && is_province(f) {
        let (totals, generation) = totals(tx, &by_range).await?;
        remember(key.clone(), generation, &totals);
        known = Some((generation, totals));
    }
    let w = match &known {
        Some((_, t)) if is_province(f) && t.count >= WALK_IN_ORDER_FROM => {
            filter_where_by(f, ProvinceBy::Prefix)
        }
        _ => by_range,
    };
    let n = w.next_placeholder();
    let dir = if f.desc { "DESC" } else { "ASC" };
    // NULL codes sort last on both engines; id breaks ties so pages never overlap.
    let order = match f.sort {
        SortKey::Code => {
            format!("CASE WHEN p.code IS NULL THEN 1 ELSE 0 END, p.code {dir}, p.id {dir}")
        }
        k => format!("{} {dir}, p.id {dir}", k.expr()),
    };
    // Deferred join: find the page's ids first (`k`: an index-only scan for the usual sort
    // keys), then join names for those rows only, not for the whole region. The totals are one
    // uncorrelated subquery over the same filter (its placeholders are the same `$N`, bound
    // once); CROSS JOIN keeps it the outer loop on SQLite, evaluated once, and the page's rows
    // the next (an index in the page's order, `projects_in_code_order`, otherwise tempts SQLite
    // to walk every project in order and count the totals again for each: 1.6 s for 2,000).
    // The page's responsible units are a second statement over its ids, unless remembered
    // (`page_units`).
    //
    // Totals remembered for the projects' present state (`TOTALS`) are not counted again: the
    // statement then reads that state's value instead, and the page shows the remembered
    // totals only if it is the one they were counted in.
    let filter = w.sql();
    let tot = if known.is_some() {
        "(SELECT CAST(-1 AS BIGINT) AS n, CAST(0 AS BIGINT) AS fen, g.n AS generation
          FROM projects_list_state g)"
            .to_string()
    } else {
        format!(
            "(SELECT COUNT(*) AS n, CAST(COALESCE(SUM(p.total_investment_fen), 0) AS BIGINT) AS fen,
                {GENERATION} AS generation
              FROM projects p{filter})"
        )
    };
    let (issue_where, issue_param) = which_issue(colours, n + 2);
    let sql = format!(
        "WITH k AS (SELECT p.id FROM projects p{filter} ORDER BY {order} LIMIT ${n} OFFSET ${}),
              cur AS (SELECT ci.id, ci.year, ci.number FROM colour_issues ci WHERE {issue_where})
                           {COLUMNS}, {PAGE_COLUMNS}
         FROM {tot} tot
         CROSS JOIN k
         CROSS JOIN projects p{JOINS}
         LEFT JOIN cur ON 1 = 1
                  LEFT JOIN colour_issue_rows cr ON cr.issue_id = cur.id AND cr.project_id = p.id
         WHERE p.id = k.id
         ORDER BY {order}",
        n + 1,
    );
    let mut params = w.params.clone();
    params.extend([Param::I64(f.limit), Param::I64(f.offset)]);
    params.extend(issue_param);
    let rows = ListedRaw::fetch_all(tx, &sql, &params).await?;
    let issue = match rows.first() {
        Some(r) => match (
            r.page.page_issue_id,
            r.page.page_issue_year,
            r.page.page_issue_number,
        ) {
            (Some(id), Some(year), Some(number)) => Some(PageIssue {
                id: IssueId(id),
                year,
                number,
            }),
            _ => None,
        },
        // no row to carry it
        None => page_issue(tx, colours).await?,
    };
    let totals = match (rows.first(), known) {
        (Some(r), Some((generation, totals))) if r.page.generation == generation => totals,
        (Some(r), None) => {
            let totals = ProjectTotals {
                count: r.page.total_count,
                total_investment: Money::from_fen(r.page.total_fen),
            };
            remember(key, r.page.generation, &totals);
            totals
        }
        // past the last page, or the projects changed since the totals were counted
        _ => {
            let (totals, generation) = totals(tx, &w).await?;
            remember(key, generation, &totals);
            totals
        }
    };
    let ids: Vec<ProjectId> = rows.iter().map(|r| ProjectId(r.project.id)).collect();
    let mut responsible = match rows.first() {
        Some(r) => page_units(tx, r.page.generation, &ids).await?,
        None => HashMap::new(),
    };
    let items = rows
        .into_iter()
        .map(|r| {
            let project = ProjectRow::try_from(r.project)?;
            Ok(ListedProject {
                responsible: responsible.remove(&project.id).unwrap_or_default(),
                project,
                colour: r
                    .page
                    .issue_colour
                    .map(|c| decode::key("colour_issue_rows.colour", &c, Colour::from_key))
                    .transpose()?,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    Ok(ProjectListPage {
        items,
        totals,
        issue,
    })
}

/// The condition that finds the issue of `colours` in `colour_issues ci`, its placeholder
/// numbered `n`, and its value.
fn which_issue(colours: ColoursOf<'_>, n: usize) -> (String, Vec<Param>) {
    match colours {
        ColoursOf::Issue(Some(id)) => (format!("ci.id = ${n}"), vec![Param::I64(id.get())]),
        ColoursOf::Issue(None) => ("1 = 0".into(), vec![]),
        ColoursOf::NewestIssueOf(region) => (
            format!("ci.region_code = ${n} ORDER BY ci.year DESC, ci.number DESC LIMIT 1"),
            vec![Param::Text(region.as_str().into())],
        ),
    }
}

/// The issue of `colours`, on its own (a page without rows).
async fn page_issue(tx: &mut Tx, colours: ColoursOf<'_>) -> Result<Option<PageIssue>, DbError> {
    let (issue_where, issue_param) = which_issue(colours, 1);
    let sql = format!("SELECT ci.id, ci.year, ci.number FROM colour_issues ci WHERE {issue_where}");
    let found = run!(tx, |c| bind_params!(
        sqlx::query_as::<_, (i64, i64, i64)>(sqlx::AssertSqlSafe(sql.clone())),
        issue_param
    )
    .fetch_optional(c)
    .await)?;
    Ok(found.map(|(id, year, number)| PageIssue {
        id: IssueId(id),
        year,
        number,
    }))
}

/// The count and total investment of a filter, and the state of the projects they were
/// counted in (a page past its end has no row to carry them).
async fn totals(tx: &mut Tx, w: &Where) -> Result<(ProjectTotals, i64), DbError> {
    let sql = format!(
        "SELECT COUNT(*), CAST(COALESCE(SUM(p.total_investment_fen), 0) AS BIGINT), {GENERATION}
         FROM projects p{}",
        w.sql()
    );
    let (count, sum, generation) = run!(tx, |c| bind_params!(
        sqlx::query_as::<_, (i64, i64, i64)>(sqlx::AssertSqlSafe(sql.clone())),
        w.params
    )
    .fetch_one(c)
    .await)?;
    let totals = ProjectTotals {
        count,
        total_investment: Money::from_fen(sum),
    };
    Ok((totals, generation))
}

/// The projects' present state: a value every change to `projects` or `project_units` replaces
/// with a new random one in its own transaction (migration 0018; on PostgreSQL at its commit,
/// and read inside a transaction that changed them as a value never seen again, 0021).
const GENERATION: &str = "(SELECT g.n FROM projects_list_state g)";

/// Totals of filtered lists by filter, each with the state of the projects it was counted in.
/// A province-wide search visits every project of the province to total its matches (20,000
/// rows, some milliseconds); paging through it, sorting it or reloading it then costs a page.
/// Remembered per process (instances of a PostgreSQL deployment each keep their own; the state
/// they compare with is the database's), bounded, and emptied when full.
static TOTALS: LazyLock<Mutex<HashMap<String, (i64, ProjectTotals)>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));
const TOTALS_REMEMBERED: usize = 512;

/// What identifies a filter's totals: its SQL and values (scope included). A colour filter
/// reads a colour issue's rows, which are not part of the projects' state, so it is not
/// remembered.
fn memo_key(f: &ProjectFilter, w: &Where) -> Option<String> {
    f.colour_in_issue
        .is_none()
        .then(|| format!("{}{:?}", w.sql(), w.params))
}

fn remembered(key: &str) -> Option<(i64, ProjectTotals)> {
    let memo = TOTALS.lock().unwrap_or_else(|e| e.into_inner());
    memo.get(key).cloned()
}

fn remember(key: Option<String>, generation: i64, totals: &ProjectTotals) {
    let Some(key) = key else { return };
    let mut memo = TOTALS.lock().unwrap_or_else(|e| e.into_inner());
    if memo.len() >= TOTALS_REMEMBERED {
        memo.clear();
    }
    memo.insert(key, (generation, totals.clone()));
}

/// Responsible units of listed projects (names, in the units' order) for the state of the
/// projects they were read in (`list_generations`, which a unit renamed or reordered changes
/// too). Reading them is a statement of its own after the page's: on PostgreSQL a second round
/// trip to the server, 9 % of the project list's CPU, and 25 µs of about 350 on SQLite
/// (BENCHMARKS.md, eleventh pass). Remembered per process like [`TOTALS`], bounded, and
/// emptied when full or when a page shows another state.
static UNITS: LazyLock<Mutex<UnitsMemo>> = LazyLock::new(|| Mutex::new(UnitsMemo::default()));
const UNITS_REMEMBERED: usize = 4096;

#[derive(Default)]
struct UnitsMemo {
    /// The state the units are of; None before the first page.
    generation: Option<i64>,
    of: HashMap<ProjectId, Vec<String>>,
}

/// The responsible units of a page's projects by project, the page read in the state
/// `generation`: those remembered for that state, the others read.
async fn page_units(
    tx: &mut Tx,
    generation: i64,
    ids: &[ProjectId],
) -> Result<HashMap<ProjectId, Vec<String>>, DbError> {
    let mut found = HashMap::with_capacity(ids.len());
    let mut missing = Vec::new();
    {
        let memo = UNITS.lock().unwrap_or_else(|e| e.into_inner());
        let current = memo.generation == Some(generation);
        for id in ids {
            match memo.of.get(id).filter(|_| current) {
                Some(units) => {
                    found.insert(*id, units.clone());
                }
                None => missing.push(*id),
            }
        }
    }
    if missing.is_empty() {
        return Ok(found);
    }
    // a project without units is remembered too, as none
    let mut read: HashMap<ProjectId, Vec<String>> =
        missing.iter().map(|id| (*id, Vec::new())).collect();
    for u in responsible_units_of(tx, &missing).await? {
        read.entry(u.project_id).or_default().push(u.unit_name);
    }
    let mut memo = UNITS.lock().unwrap_or_else(|e| e.into_inner());
    // Read in a later statement, the units may be of a newer state than `generation` on
    // PostgreSQL (each statement sees what was committed when it began): only pages read
    // before that newer state was committed can be shown them, and none after.
    if memo.generation != Some(generation) || memo.of.len() + read.len() > UNITS_REMEMBERED {
        memo.of.clear();
        memo.generation = Some(generation);
    }
    memo.of
        .extend(read.iter().map(|(id, units)| (*id, units.clone())));
    found.extend(read);
    Ok(found)
}

/// A responsible unit of a project, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectUnit {
    pub project_id: ProjectId,
    pub unit_name: String,
}

/// Responsible units of many projects at once (for list pages and exports), by project and
/// then in the units' order. A statement of its own after a page's: grouping them into the
/// page's statement (`string_agg` over the page's ids) cost SQLite more than this statement on
/// the caller's thread, and they are sorted here, not by a temporary b-tree (BENCHMARKS.md,
/// tenth pass).
pub async fn responsible_units_of(
    tx: &mut Tx,
    ids: &[ProjectId],
) -> Result<Vec<ProjectUnit>, DbError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT pu.project_id, u.sort_order, u.name FROM project_units pu JOIN units u ON u.id = pu.unit_id WHERE pu.project_id IN ({})",
        placeholders.join(", ")
    );
    let params: Vec<Param> = ids.iter().map(|i| Param::I64(i.get())).collect();
    let mut units = units_of(tx, &sql, &params).await?;
    units.sort_unstable();
    Ok(units
        .into_iter()
        .map(|(p, _, unit_name)| ProjectUnit {
            project_id: ProjectId(p),
            unit_name,
        })
        .collect())
}

/// The rows of [`responsible_units_of`]'s statement: project, the unit's place, its name.
async fn units_of(
    tx: &mut Tx,
    sql: &str,
    params: &[Param],
) -> Result<Vec<(i64, i64, String)>, DbError> {
    if let Some(on_thread) = tx.on_thread().await? {
        return on_thread.rows(sql, &direct::refs(params), |r| {
            Ok((
                direct::at(r, 0, "project_units.project_id")?,
                direct::at(r, 1, "units.sort_order")?,
                direct::at(r, 2, "units.name")?,
            ))
        });
    }
    Ok(run!(tx, |c| bind_params!(
        sqlx::query_as::<_, (i64, i64, String)>(sqlx::AssertSqlSafe(sql.to_string())),
        params
    )
    .fetch_all(c)
    .await)?)
}

pub async fn count_all(tx: &mut Tx) -> Result<i64, DbError> {
    Ok(run!(tx, |c| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM projects"
    )
    .fetch_one(c)
    .await)?)
}

/// How many projects of a stage, and their total investment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageCount {
    pub stage: Stage,
    pub count: i64,
    pub total_investment: Money,
}

/// Counts by stage in a scope (dashboard).
pub async fn count_by_stage(tx: &mut Tx, scope: &ListScope) -> Result<Vec<StageCount>, DbError> {
    let f = ProjectFilter::new(scope.clone());
    let w = filter_where(&f);
    let sql = format!(
        "SELECT p.stage, COUNT(*), CAST(COALESCE(SUM(p.total_investment_fen), 0) AS BIGINT) FROM projects p{} GROUP BY p.stage",
        w.sql()
    );
    run!(tx, |c| bind_params!(
        sqlx::query_as::<_, (String, i64, i64)>(sqlx::AssertSqlSafe(sql.clone())),
        w.params
    )
    .fetch_all(c)
    .await)?
    .into_iter()
    .map(|(stage, count, fen)| {
        Ok(StageCount {
            stage: decode::key("projects.stage", &stage, Stage::from_key)?,
            count,
            total_investment: Money::from_fen(fen),
        })
    })
    .collect()
}

/// Every project of a region and below with its region and lead unit (benchmark seeding: the
/// lead unit stands for the department deciding its approvals); projects without one are left
/// out.
pub async fn ids_with_lead(
    tx: &mut Tx,
    region: &RegionCode,
) -> Result<Vec<(ProjectId, RegionCode, UnitId)>, DbError> {
    let (lo, hi) = region.subtree_range();
    const SQL: &str = "SELECT id, region_code, lead_unit_id FROM projects
        WHERE region_code >= $1 AND region_code < $2 AND lead_unit_id IS NOT NULL ORDER BY id";
    run!(tx, |c| sqlx::query_as::<_, (i64, String, i64)>(SQL)
        .bind(&lo)
        .bind(&hi)
        .fetch_all(c)
        .await)?
    .into_iter()
    .map(|(id, r, u)| {
        Ok((
            ProjectId(id),
            crate::decode::region("projects.region_code", &r)?,
            UnitId(u),
        ))
    })
    .collect()
}

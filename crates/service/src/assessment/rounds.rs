//! Scoring a period (issue #12): 计算 from approved records under the 考核办法 in force → 征求意见
//! (each unit sees its own scores and may object within N working days) → 审定 (staff decide
//! every objection, with a reason) → 发布 (ranked and graded under a numbered notice whose content
//! is frozen). A correction after publication is a new round and a new notice.

use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, field_error};
use chrono::NaiveDate;
use keyproj_db::Tx;
use keyproj_db::repo::assessment::measures as facts;
use keyproj_db::repo::assessment::rounds::{
    self as repo, EntryRow, NewEntry, NewNotice, NewObjection, NewRound, NoticeRow, ObjectionRow,
    RoundRow, ScoreRow,
};
use keyproj_db::repo::assessment::rules::{self as rules_repo, AdoptedRow};
use keyproj_domain::assessment::scoring::{
    self, ApprovalFact, ColourMark, DueReport, Entry, ItemFact, LetterFact, ObjectionState, Period,
    ProjectFacts, Ranked, RoundState, UnitFacts,
};
use keyproj_domain::assessment::{AssessedKind, Measure, Table};
use keyproj_domain::authz::Role;
use keyproj_domain::pipeline::ApprovalState;
use keyproj_domain::pipeline::approvals::Clock;
use keyproj_domain::problem::{DayCount, State as ItemState};
use keyproj_domain::{FieldError, RegionCode, ReportMonth, ValidationErrors};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Working days a unit has to object, from the day the scores are sent out.
pub const OBJECTION_DAYS: u32 = 5;

fn staff(ctx: &Ctx) -> Result<()> {
    if ctx.actor.has(Role::CenterStaff) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

/// Who reads a round: staff and leaders everything; a unit user its own unit's lines (before
/// publication) or the published ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reader {
    All,
    Unit(i64),
}

fn reader(ctx: &Ctx) -> Result<Reader> {
    let a = &ctx.actor;
    if a.has(Role::CenterStaff) || a.has(Role::CountyLeader) {
        Ok(Reader::All)
    } else if a.has(Role::UnitUser) {
        a.unit_id
            .map(|u| Reader::Unit(u.get()))
            .ok_or(ServiceError::NotFound)
    } else {
        Err(ServiceError::NotFound)
    }
}

/// A round of the actor's region, else not found.
async fn round_in(tx: &mut Tx, ctx: &Ctx, id: i64) -> Result<RoundRow> {
    repo::round(tx, id)
        .await?
        .filter(|r| r.region_code == ctx.actor.region)
        .ok_or(ServiceError::NotFound)
}

async fn rules_of(tx: &mut Tx, r: &RoundRow) -> Result<AdoptedRow> {
    rules_repo::adopted(tx, &r.region_code, r.year)
        .await?
        .into_iter()
        .find(|a| a.id == r.rules_id)
        .ok_or(ServiceError::NotFound)
}

fn table_of(rules: &AdoptedRow, kind: AssessedKind) -> Result<&Table> {
    rules
        .tables
        .iter()
        .find(|t| t.kind == kind)
        .ok_or_else(|| field_error("kind", "unknown", "考核办法中没有这一考核对象"))
}

/// The rounds and notices of a year.
#[derive(Debug, Clone, Serialize)]
pub struct YearRounds {
    pub year: i32,
    pub rounds: Vec<RoundRow>,
    pub notices: Vec<NoticeRow>,
    /// An adopted 考核办法 exists (rounds can be computed).
    pub has_rules: bool,
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn year(app: &App, ctx: &Ctx, year: i32) -> Result<YearRounds> {
    let who = reader(ctx)?;
    let mut tx = app.db.begin_read().await?;
    let region = &ctx.actor.region;
    let mut rounds = repo::rounds(&mut tx, region, year).await?;
    if who != Reader::All {
        // units see the rounds sent to them
        rounds.retain(|r| r.state != RoundState::Draft);
    }
    Ok(YearRounds {
        year,
        notices: repo::notices(&mut tx, region, year).await?,
        has_rules: !rules_repo::adopted(&mut tx, region, year).await?.is_empty(),
        rounds,
    })
}

/// One kind's table with its units' scores, ranked.
#[derive(Debug, Clone, Serialize)]
pub struct KindScores {
    pub table: Table,
    pub scores: Vec<ScoreRow>,
    pub ranked: Vec<Ranked>,
}

/// A round as its reader may see it.
#[derive(Debug, Clone, Serialize)]
pub struct RoundView {
    pub round: RoundRow,
    pub rules: AdoptedRow,
    pub kinds: Vec<KindScores>,
    pub entries: Vec<EntryRow>,
    pub objections: Vec<ObjectionRow>,
    pub notice: Option<NoticeRow>,
    pub reader: Reader,
    /// A unit may object now.
    pub may_object: bool,
    /// Today is past the objection window.
    pub window_over: bool,
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn get(app: &App, ctx: &Ctx, id: i64) -> Result<RoundView> {
    let who = reader(ctx)?;
    let mut tx = app.db.begin_read().await?;
    let round = round_in(&mut tx, ctx, id).await?;
    let own = match who {
        Reader::All => None,
        // a draft is the center's; before publication a unit reads its own lines only
        Reader::Unit(_) if round.state == RoundState::Draft => return Err(ServiceError::NotFound),
        Reader::Unit(_) if round.state == RoundState::Published => None,
        Reader::Unit(u) => Some(u),
    };
    let rules = rules_of(&mut tx, &round).await?;
    // ranks are among every unit of the kind, whoever reads: a unit sees its own line with
    // its true rank, not first of one
    let scores = repo::scores(&mut tx, id, None).await?;
    let kinds = rules
        .tables
        .iter()
        .map(|t| {
            let all: Vec<ScoreRow> = scores
                .iter()
                .filter(|s| s.kind == t.kind)
                .cloned()
                .collect();
            let mut ranked = rank_scores(t, &all);
            let mut scores = all;
            if let Some(u) = own {
                ranked.retain(|r| r.unit_id == u);
                scores.retain(|s| s.unit_id == u);
            }
            KindScores {
                ranked,
                table: t.clone(),
                scores,
            }
        })
        .filter(|k| !k.scores.is_empty() || who == Reader::All)
        .collect();
    let objections = match who {
        Reader::All => repo::objections(&mut tx, id, None).await?,
        Reader::Unit(u) => repo::objections(&mut tx, id, Some(u)).await?,
    };
    let entries = match who {
        Reader::All => repo::entries(&mut tx, id).await?,
        Reader::Unit(_) => vec![],
    };
    let today = app.local_today();
    let window_over = round.objection_until.is_some_and(|u| today > u);
    Ok(RoundView {
        may_object: matches!(who, Reader::Unit(_))
            && round.state == RoundState::Objection
            && !window_over,
        window_over,
        notice: repo::notice_of_round(&mut tx, id).await?,
        round,
        rules,
        kinds,
        entries,
        objections,
        reader: who,
    })
}

/// A published ranking as the public board shows it: the notice and each kind's units in rank
/// order (names, totals, 等次 — not the drill-down).
#[derive(Debug, Clone, Serialize)]
pub struct PublicRanking {
    pub notice: NoticeRow,
    pub kinds: Vec<(AssessedKind, Vec<Ranked>)>,
}

/// The region's latest published 通报 of this year or the last, for the public board (only
/// when the deployment shows it: `board_assessment`).
pub async fn published_ranking(app: &App, region: &RegionCode) -> Result<Option<PublicRanking>> {
    use chrono::Datelike;
    if !app.cfg.board_assessment {
        return Ok(None);
    }
    let mut tx = app.db.begin_read().await?;
    let this = app.local_today().year();
    for year in [this, this - 1] {
        let Some(notice) = repo::notices(&mut tx, region, year)
            .await?
            .into_iter()
            .max_by_key(|n| n.seq)
        else {
            continue;
        };
        let Some(round) = repo::round(&mut tx, notice.round_id).await? else {
            continue;
        };
        let rules = rules_of(&mut tx, &round).await?;
        let scores = repo::scores(&mut tx, round.id, None).await?;
        let kinds = rules
            .tables
            .iter()
            .map(|t| {
                let of: Vec<ScoreRow> = scores
                    .iter()
                    .filter(|s| s.kind == t.kind)
                    .cloned()
                    .collect();
                (t.kind, rank_scores(t, &of))
            })
            .filter(|(_, r)| !r.is_empty())
            .collect();
        return Ok(Some(PublicRanking { notice, kinds }));
    }
    Ok(None)
}

fn rank_scores(t: &Table, scores: &[ScoreRow]) -> Vec<Ranked> {
    let us: Vec<scoring::UnitScore> = scores
        .iter()
        .map(|s| scoring::UnitScore {
            unit_id: s.unit_id,
            name: s.unit_name.clone(),
            lines: s.lines.clone(),
            total: s.total,
        })
        .collect();
    scoring::rank_table(t, &us)
}

/// Computes a period under the 考核办法 in force: a new round, or (`round` given) the same draft
/// computed again with the records as they are now.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn compute(app: &App, ctx: &Ctx, period: &str) -> Result<i64> {
    staff(ctx)?;
    let period = Period::parse("period", period)?;
    let mut w = Work::begin(app, ctx).await?;
    let region = ctx.actor.region.clone();
    let rules = rules_repo::adopted(&mut w.tx, &region, period.year)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            field_error(
                "period",
                "no_rules",
                format!("{}年的考核办法尚未印发，不能计算", period.year),
            )
        })?;
    let same: Vec<RoundRow> = repo::rounds(&mut w.tx, &region, period.year)
        .await?
        .into_iter()
        .filter(|r| r.period == period)
        .collect();
    if let Some(open) = same.iter().find(|r| r.state != RoundState::Published) {
        return Err(field_error(
            "period",
            "open_round",
            format!(
                "{}已有未发布的考核（{}），请打开该考核继续办理（计算稿可重新计算）；发布后方可另行计算更正",
                period.label(),
                open.state.label()
            ),
        ));
    }
    let corrects = same.first().map(|r| r.id);
    let id = repo::insert_round(
        &mut w.tx,
        &NewRound {
            region: &region,
            period,
            rules_id: rules.id,
            corrects_round_id: corrects,
            computed_by: &ctx.actor.username,
        },
        w.now,
    )
    .await?;
    let today = w.today();
    let written = score_round(&mut w.tx, &region, period, &rules, id, today).await?;
    w.audit(
        Audit::create("assessment_round", id).after(&serde_json::json!({
            "period": period.key(), "rules": rules.doc_number, "units": written,
            "corrects_round": corrects,
        })),
    )
    .await?;
    w.commit().await?;
    Ok(id)
}

/// The round a step acts on: the actor's region's, still at `version`, in `state` (else the
/// message).
async fn round_for_step(
    w: &mut Work<'_>,
    ctx: &Ctx,
    id: i64,
    version: i64,
    state: RoundState,
    refused: &'static str,
) -> Result<RoundRow> {
    let round = round_in(&mut w.tx, ctx, id).await?;
    if round.version != version {
        return Err(ServiceError::Stale);
    }
    if round.state != state {
        return Err(field_error("round", "state", refused));
    }
    Ok(round)
}

/// Computes a draft again (records changed, entries typed): its typed entries are kept.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn recompute(app: &App, ctx: &Ctx, id: i64, version: i64) -> Result<()> {
    staff(ctx)?;
    let mut w = Work::begin(app, ctx).await?;
    let round = round_for_step(
        &mut w,
        ctx,
        id,
        version,
        RoundState::Draft,
        "已下发征求意见的考核不能重新计算",
    )
    .await?;
    // computed again under the version in force now (a revision adopted since counts)
    let rules = rules_repo::adopted(&mut w.tx, &round.region_code, round.year)
        .await?
        .into_iter()
        .next()
        .ok_or(ServiceError::NotFound)?;
    if rules.id != round.rules_id {
        repo::set_rules(&mut w.tx, id, rules.id).await?;
    }
    repo::delete_scores(&mut w.tx, id).await?;
    let today = w.today();
    let written = score_round(
        &mut w.tx,
        &round.region_code,
        round.period,
        &rules,
        id,
        today,
    )
    .await?;
    if !repo::update_round(&mut w.tx, &round, Some(&ctx.actor.username), w.now).await? {
        return Err(ServiceError::Stale);
    }
    w.audit(
                Audit::new("recompute", "assessment_round")
            .id(id)
            .before(&serde_json::json!({ "rules_id": round.rules_id }))
            .after(&serde_json::json!({ "units": written, "rules_id": rules.id, "rules": rules.doc_number })),
    )
    .await?;
    w.commit().await
}

/// Reads the period's records and writes every assessed unit's scores; returns how many.
async fn score_round(
    tx: &mut Tx,
    region: &RegionCode,
    period: Period,
    rules: &AdoptedRow,
    round: i64,
    today: NaiveDate,
) -> Result<usize> {
    let f = gather(tx, region, period, today).await?;
    let entries: HashMap<(AssessedKind, i64, usize), EntryRow> = repo::entries(tx, round)
        .await?
        .into_iter()
        .map(|e| ((e.kind, e.unit_id, e.indicator_no), e))
        .collect();
    let mut written = 0;
    for table in &rules.tables {
        let units = f.units_of(table.kind);
        let scores = scoring::score_units(table, &units, &f.projects, |u, n| {
            entries.get(&(table.kind, u, n)).map(entry_of)
        });
        for s in scores {
            repo::insert_score(tx, round, table.kind, s.unit_id, s.total, &s.lines).await?;
            written += 1;
        }
    }
    Ok(written)
}

fn entry_of(e: &EntryRow) -> Entry {
    Entry {
        entry_id: e.id,
        value: e.value,
        reason: e.reason.clone(),
        evidence: e.evidence.clone(),
    }
}

/// A project's units: lead, township, owner and the responsible units.
type Roles = (Option<i64>, Option<i64>, Option<i64>, Vec<i64>);

/// The period's facts: the planned projects and, per unit, what it handled.
struct Facts {
    projects: Vec<ProjectFacts>,
    /// Per project (same order): who is assessed on it.
    links: Vec<Roles>,
    names: HashMap<i64, String>,
    order: HashMap<i64, (i64, i64)>,
    items: HashMap<i64, Vec<ItemFact>>,
    letters: HashMap<i64, Vec<LetterFact>>,
    approvals: HashMap<i64, Vec<ApprovalFact>>,
}

impl Facts {
    /// The units assessed under a kind (those with a planned project in that role), in the
    /// order units are listed.
    fn units_of(&self, kind: AssessedKind) -> Vec<UnitFacts> {
        let mut by_unit: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        for (k, (lead, township, owner, responsible)) in self.links.iter().enumerate() {
            let ids: Vec<i64> = match kind {
                AssessedKind::Lead => lead.iter().copied().collect(),
                AssessedKind::Township => township.iter().copied().collect(),
                AssessedKind::Owner => owner.iter().copied().collect(),
                AssessedKind::Responsible => responsible.clone(),
            };
            for u in ids {
                by_unit.entry(u).or_default().push(k);
            }
        }
        let mut out: Vec<UnitFacts> = by_unit
            .into_iter()
            .filter(|(u, _)| self.names.contains_key(u))
            .map(|(u, projects)| UnitFacts {
                unit_id: u,
                name: self.names.get(&u).cloned().unwrap_or_default(),
                projects,
                items: self.items.get(&u).cloned().unwrap_or_default(),
                letters: self.letters.get(&u).cloned().unwrap_or_default(),
                approvals: self.approvals.get(&u).cloned().unwrap_or_default(),
            })
            .collect();
        out.sort_by_key(|u| {
            self.order
                .get(&u.unit_id)
                .copied()
                .unwrap_or((i64::MAX, u.unit_id))
        });
        out
    }
}

async fn gather(
    tx: &mut Tx,
    region: &RegionCode,
    period: Period,
    today: NaiveDate,
) -> Result<Facts> {
    let year_start = ReportMonth::new(period.year, 1).expect("January");
    let deadline_day = crate::rules::colour_in(tx, region, period.year)
        .await?
        .deadline_day;
    let planned = facts::planned_projects(tx, region, period.year).await?;
    let mut responsible: HashMap<i64, Vec<i64>> = HashMap::new();
    for (p, u) in facts::responsible_units(tx, region, period.year).await? {
        responsible.entry(p).or_default().push(u);
    }
    // investment is measured year to date at the period's end, against the plan to that month
    let done: HashMap<i64, i64> = facts::approved_investment(tx, region, year_start, period.to)
        .await?
        .into_iter()
        .collect();
    let submitted: HashMap<(i64, ReportMonth), facts::SubmittedReport> =
        facts::submitted_reports(tx, region, period.from, period.to)
            .await?
            .into_iter()
            .map(|r| ((r.project_id, r.month), r))
            .collect();
    let exempt: HashSet<(i64, ReportMonth)> = facts::exemptions(tx, region, period.from, period.to)
        .await?
        .into_iter()
        .collect();
    let mut marks: HashMap<i64, Vec<ColourMark>> = HashMap::new();
    for m in facts::colour_marks(tx, region, period.from, period.to).await? {
        if !exempt.contains(&(m.project_id, m.month)) {
            marks.entry(m.project_id).or_default().push(ColourMark {
                issue_id: m.issue_id,
                month: m.month,
                red: m.red,
            });
        }
    }
    let months: Vec<ReportMonth> =
        std::iter::successors(Some(period.from), |m| (*m < period.to).then(|| m.next())).collect();
    let mut projects = Vec::with_capacity(planned.len());
    let mut links = Vec::with_capacity(planned.len());
    for p in planned {
        let target = if period.to.month() == 12 {
            p.annual_plan.fen()
        } else {
            let split: i64 = p
                .monthly
                .iter()
                .take(period.to.month() as usize)
                .map(|m| m.fen())
                .sum();
            if p.monthly.len() == 12 {
                split
            } else {
                p.annual_plan.fen() * period.to.month() as i64 / 12
            }
        };
        let reports = months
            .iter()
            .filter(|m| {
                keyproj_domain::report::due_date(**m, deadline_day) < today
                    && !exempt.contains(&(p.id, **m))
            })
            .map(|m| {
                let r = submitted.get(&(p.id, *m));
                DueReport {
                    month: *m,
                    report_id: r.map(|r| r.id),
                    late: r.is_none_or(|r| {
                        keyproj_domain::report::is_late(*m, deadline_day, r.first_submitted_on)
                    }),
                }
            })
            .collect();
        links.push((
            p.lead_unit_id,
            p.township_unit_id,
            p.owner_unit_id,
            responsible.remove(&p.id).unwrap_or_default(),
        ));
        let in_period = |m: Option<ReportMonth>| m.filter(|m| period.contains_month(*m));
        projects.push(ProjectFacts {
            id: p.id,
            annual_plan_fen: target,
            approved_fen: done.get(&p.id).copied().unwrap_or(0),
            planned_start: in_period(p.planned_start),
            actual_start: p.actual_start,
            planned_completion: in_period(p.planned_completion),
            actual_completion: p.actual_completion,
            reports,
            marks: marks.remove(&p.id).unwrap_or_default(),
            name: p.name,
        });
    }
    let (from, to) = (period.first_day(), period.last_day());
    let mut items: HashMap<i64, Vec<ItemFact>> = HashMap::new();
    for i in facts::handled_items(tx, region, from, to).await? {
        let closed = i.state == ItemState::Closed;
        items.entry(i.handler_unit_id).or_default().push(ItemFact {
            id: i.id,
            number: i.number,
            closed,
            on_time: match (closed, i.closed_on, i.deadline) {
                (true, Some(c), Some(d)) => Some(keyproj_domain::problem::on_time(c, d)),
                (true, _, None) => Some(true),
                _ => None,
            },
        });
    }
    let mut letters: HashMap<i64, Vec<LetterFact>> = HashMap::new();
    for (id, number, kind, unit) in facts::letters(tx, region, from, to).await? {
        let colour = match kind.as_str() {
            "letter_red" => Measure::RedLetters,
            "letter_yellow" => Measure::YellowLetters,
            _ => Measure::BlueLetters,
        };
        letters
            .entry(unit)
            .or_default()
            .push(LetterFact { id, number, colour });
    }
    let done_items = facts::done_approvals(tx, region, from, to).await?;
    let cal_from = done_items
        .iter()
        .filter_map(|a| a.accepted_on)
        .min()
        .unwrap_or(from);
    let cal = crate::rules::calendar_in(tx, region, cal_from).await?;
    let mut approvals: HashMap<i64, Vec<ApprovalFact>> = HashMap::new();
    for a in done_items {
        let clock = Clock {
            state: ApprovalState::Done,
            accepted_on: a.accepted_on,
            completed_on: a.completed_on,
            pauses: &a.pauses,
            limit_days: a.limit_days,
            day_count: a.day_count,
        };
        let on_time = clock.on_time(&cal, today).unwrap_or(false);
        approvals.entry(a.unit_id).or_default().push(ApprovalFact {
            id: a.id,
            name: a.name,
            on_time,
        });
    }
    let units = keyproj_db::repo::org::list_units(tx, region).await?;
    Ok(Facts {
        projects,
        links,
        names: units.iter().map(|u| (u.id.get(), u.name.clone())).collect(),
        order: units
            .iter()
            .map(|u| (u.id.get(), (u.sort_order, u.id.get())))
            .collect(),
        items,
        letters,
        approvals,
    })
}

/// A typed line as posted.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct EntryInput {
    /// The assessed kind's key (lead, responsible, township, owner).
    pub kind: String,
    pub unit_id: i64,
    /// The indicator's position in the kind's table (0-based).
    pub indicator: usize,
    /// Points ("4.5") for a manual line, a count for a veto or 集中开工 line.
    pub value: String,
    pub reason: String,
    pub evidence: String,
}

/// The assessment group types a unit's manual, veto or 集中开工 line (draft rounds only); the
/// unit's total follows at once.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn enter(app: &App, ctx: &Ctx, id: i64, input: &EntryInput) -> Result<()> {
    staff(ctx)?;
    let mut w = Work::begin(app, ctx).await?;
    let round = round_in(&mut w.tx, ctx, id).await?;
    if round.state != RoundState::Draft {
        return Err(field_error(
            "round",
            "state",
            "考核已下发征求意见，不能再录入；如需调整请通过异议审定",
        ));
    }
    let rules = rules_of(&mut w.tx, &round).await?;
    let mut e = ValidationErrors::new();
    let kind = e.check(AssessedKind::parse("kind", &input.kind));
    let reason = e.check(keyproj_domain::error::check_text(
        "reason",
        "理由",
        &input.reason,
        true,
        500,
    ));
    let evidence = e.check(keyproj_domain::error::check_text(
        "evidence",
        "依据",
        &input.evidence,
        true,
        200,
    ));
    let (Some(kind), Some(reason), Some(evidence)) = (kind, reason, evidence) else {
        return Err(e.into());
    };
    let table = table_of(&rules, kind)?;
    let indicator = table
        .indicators
        .get(input.indicator)
        .ok_or_else(|| field_error("indicator", "unknown", "没有这一考核指标"))?;
    let value = if indicator.measure == Measure::Manual {
        scoring::parse_points("value", "分值", &input.value)?
    } else {
        input
            .value
            .trim()
            .parse::<i64>()
            .map_err(|_| field_error("value", "format", "次数应为整数"))?
    };
    scoring::check_entry(table, input.indicator, value)?;
    // the unit must be one this round assesses under the kind (scope: an id from another
    // county or kind is not found)
    let mut score = repo::scores(&mut w.tx, id, Some(input.unit_id))
        .await?
        .into_iter()
        .find(|s| s.kind == kind)
        .ok_or_else(|| field_error("unit_id", "unknown", "该单位不在本次考核范围内"))?;
    let entry_id = repo::put_entry(
        &mut w.tx,
        &NewEntry {
            round: id,
            kind,
            unit_id: input.unit_id,
            indicator_no: input.indicator,
            value,
            reason: &reason,
            evidence: &evidence,
            entered_by: &ctx.actor.username,
        },
        w.now,
    )
    .await?;
    let before = score.lines[input.indicator].clone();
    let entry = Entry {
        entry_id,
        value,
        reason: reason.clone(),
        evidence: evidence.clone(),
    };
    let unit = UnitFacts {
        unit_id: input.unit_id,
        ..Default::default()
    };
    let (v, records) = scoring::measure(indicator.measure, &unit, &[], Some(&entry));
    let input_value = match indicator.measure {
        Measure::Manual => keyproj_domain::assessment::Input::Manual(value),
        _ => keyproj_domain::assessment::Input::Count(value),
    };
    let line = &mut score.lines[input.indicator];
    line.value = v;
    line.records = records;
    line.scored = keyproj_domain::assessment::score(indicator, input_value);
    line.note = reason;
    let total = scoring::total_of(table, &score.lines);
    repo::update_score(&mut w.tx, score.id, total, &score.lines).await?;
    w.audit(
        Audit::new("enter", "assessment_score")
            .id(score.id)
            .before(&serde_json::json!({ "line": before, "total": score.total }))
            .after(&serde_json::json!({
                "round": id, "indicator": indicator.name, "value": value,
                "evidence": evidence, "line": score.lines[input.indicator], "total": total,
            })),
    )
    .await?;
    w.commit().await
}

/// Sends the scores out for objections: units see their own lines until the window closes,
/// `OBJECTION_DAYS` working days from today.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn open_objections(app: &App, ctx: &Ctx, id: i64, version: i64) -> Result<NaiveDate> {
    staff(ctx)?;
    let mut w = Work::begin(app, ctx).await?;
    let round = round_for_step(
        &mut w,
        ctx,
        id,
        version,
        RoundState::Draft,
        "只有计算稿可以下发征求意见",
    )
    .await?;
    let today = w.today();
    let cal = crate::rules::calendar_in(&mut w.tx, &round.region_code, today).await?;
    let until = cal.add_days(today, OBJECTION_DAYS, DayCount::Working);
    let next = RoundRow {
        state: RoundState::Objection,
        opened_on: Some(today),
        objection_until: Some(until),
        ..round.clone()
    };
    if !repo::update_round(&mut w.tx, &next, None, w.now).await? {
        return Err(ServiceError::Stale);
    }
    // each assessed unit hears of it on its 待办, with the window
    let units: std::collections::BTreeSet<i64> = repo::scores(&mut w.tx, id, None)
        .await?
        .iter()
        .map(|s| s.unit_id)
        .collect();
    for u in units {
        crate::notifications::notify_in(
            &mut w,
            &round.region_code,
            &crate::notifications::Notice {
                unit: keyproj_domain::ids::UnitId(u),
                kind: keyproj_domain::notification::NotificationKind::AssessmentOpened,
                item: None,
                document: None,
                link: format!("/assessment/rounds/{id}"),
                text: format!(
                    "{}考核得分已下发，请核对本单位得分，如有异议请于{}前提出",
                    round.period.label(),
                    keyproj_domain::month::chinese_date(until)
                ),
            },
        )
        .await?;
    }
    w.audit(
        Audit::new("open_objections", "assessment_round")
            .id(id)
            .before(&serde_json::json!({ "state": round.state }))
            .after(&serde_json::json!({ "state": next.state, "until": until })),
    )
    .await?;
    w.commit().await?;
    Ok(until)
}

/// An objection as posted by a unit.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ObjectionInput {
    pub kind: String,
    pub indicator: usize,
    pub reason: String,
}

/// A unit objects to one of its lines, within the window, once per line.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn object(app: &App, ctx: &Ctx, id: i64, input: &ObjectionInput) -> Result<i64> {
    let Reader::Unit(unit) = reader(ctx)? else {
        return Err(ServiceError::Forbidden);
    };
    let mut w = Work::begin(app, ctx).await?;
    let round = round_in(&mut w.tx, ctx, id).await?;
    if round.state == RoundState::Draft {
        return Err(ServiceError::NotFound);
    }
    if round.state != RoundState::Objection {
        return Err(field_error(
            "reason",
            "closed",
            "本次考核已审定，不能再提出异议",
        ));
    }
    let today = w.today();
    if round.objection_until.is_some_and(|u| today > u) {
        return Err(field_error(
            "reason",
            "late",
            format!(
                "异议期已于{}截止，不能再提出异议",
                keyproj_domain::month::chinese_date(round.objection_until.unwrap_or(today))
            ),
        ));
    }
    let mut e = ValidationErrors::new();
    let kind = e.check(AssessedKind::parse("kind", &input.kind));
    let reason = e.check(keyproj_domain::error::check_text(
        "reason",
        "异议理由",
        &input.reason,
        true,
        1000,
    ));
    let (Some(kind), Some(reason)) = (kind, reason) else {
        return Err(e.into());
    };
    // the unit's own line of this round, else not found
    let score = repo::scores(&mut w.tx, id, Some(unit))
        .await?
        .into_iter()
        .find(|s| s.kind == kind)
        .ok_or(ServiceError::NotFound)?;
    if input.indicator >= score.lines.len() {
        return Err(field_error("indicator", "unknown", "没有这一考核指标"));
    }
    if let Some(o) = repo::objections(&mut w.tx, id, Some(unit))
        .await?
        .iter()
        .find(|o| o.kind == kind && o.indicator_no == input.indicator)
    {
        return Err(field_error(
            "reason",
            "duplicate",
            match o.state {
                ObjectionState::Pending => "该指标已提出过异议，请等待审定",
                _ => "该指标的异议已审定，每项指标只能提出一次异议",
            },
        ));
    }
    let oid = repo::insert_objection(
        &mut w.tx,
        &NewObjection {
            round: id,
            kind,
            unit_id: unit,
            indicator_no: input.indicator,
            reason: &reason,
            raised_by: &ctx.actor.username,
        },
        w.now,
    )
    .await?;
    w.audit(
        Audit::create("assessment_objection", oid).after(&serde_json::json!({
            "round": id, "kind": kind, "unit": unit, "indicator": input.indicator, "reason": reason,
        })),
    )
    .await?;
    w.commit().await?;
    Ok(oid)
}

/// Staff's decision on an objection.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct DecisionInput {
    /// "accepted" or "rejected".
    pub decision: String,
    /// The line's points when accepted ("12.5").
    #[serde(default)]
    pub points: String,
    pub reason: String,
    pub version: i64,
}

/// Staff decide an objection with a reason; accepted, the line takes the decided points and the
/// unit's total follows.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn decide(app: &App, ctx: &Ctx, objection: i64, input: &DecisionInput) -> Result<i64> {
    staff(ctx)?;
    let mut w = Work::begin(app, ctx).await?;
    let o = repo::objection(&mut w.tx, objection)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let round = round_in(&mut w.tx, ctx, o.round_id).await?;
    if o.version != input.version {
        return Err(ServiceError::Stale);
    }
    if round.state != RoundState::Objection || o.state != ObjectionState::Pending {
        return Err(field_error("decision", "state", "该异议已审定"));
    }
    let rules = rules_of(&mut w.tx, &round).await?;
    let table = table_of(&rules, o.kind)?;
    let indicator = table
        .indicators
        .get(o.indicator_no)
        .ok_or_else(|| field_error("indicator", "unknown", "没有这一考核指标"))?;
    let mut e = ValidationErrors::new();
    let state = match input.decision.as_str() {
        "accepted" => Some(ObjectionState::Accepted),
        "rejected" => Some(ObjectionState::Rejected),
        _ => {
            e.push(FieldError::new(
                "decision",
                "required",
                "请选择采纳或不予采纳",
            ));
            None
        }
    };
    let reason = e.check(keyproj_domain::error::check_text(
        "reason",
        "审定意见",
        &input.reason,
        true,
        1000,
    ));
    let points = match state {
        Some(ObjectionState::Accepted) => {
            match scoring::parse_points("points", "审定分值", &input.points) {
                Ok(p) if p < -indicator.penalty_cap || p > indicator.max + indicator.bonus_cap => {
                    e.add(
                        "points",
                        "range",
                        format!(
                            "“{}”的分值应在{}至{}分之间",
                            indicator.name,
                            keyproj_domain::assessment::points_text(-indicator.penalty_cap),
                            keyproj_domain::assessment::points_text(
                                indicator.max + indicator.bonus_cap
                            )
                        ),
                    );
                    None
                }
                Ok(p) => Some(p),
                Err(f) => {
                    e.push(f);
                    None
                }
            }
        }
        _ => None,
    };
    let (Some(state), Some(reason)) = (state, reason) else {
        return Err(e.into());
    };
    e.into_result()?;
    // an objection is the unit's case for more: accepting it never lowers the line
    let mut score = repo::scores(&mut w.tx, round.id, Some(o.unit_id))
        .await?
        .into_iter()
        .find(|s| s.kind == o.kind)
        .ok_or(ServiceError::NotFound)?;
    let now_points = score.lines[o.indicator_no].points();
    if let Some(p) = points.filter(|p| *p < now_points) {
        return Err(field_error(
            "points",
            "lower",
            format!(
                "采纳异议后的分值（{}分）不能低于原得分（{}分）；异议不成立的请选择不予采纳",
                keyproj_domain::assessment::points_text(p),
                keyproj_domain::assessment::points_text(now_points)
            ),
        ));
    }
    let decided = ObjectionRow {
        state,
        points,
        decision: reason.clone(),
        decided_by: ctx.actor.username.clone(),
        ..o.clone()
    };
    if !repo::decide_objection(&mut w.tx, &decided, w.now).await? {
        return Err(ServiceError::Stale);
    }
    if let Some(p) = points {
        let line = &mut score.lines[o.indicator_no];
        line.adjusted = Some(p);
        line.note = format!("异议采纳：{reason}");
        let total = scoring::total_of(table, &score.lines);
        repo::update_score(&mut w.tx, score.id, total, &score.lines).await?;
        w.audit(
            Audit::new("adjust", "assessment_score")
                .id(score.id)
                .before(&serde_json::json!({ "total": score.total }))
                .after(&serde_json::json!({ "indicator": indicator.name, "points": p, "total": total })),
        )
        .await?;
    }
    w.audit(
        Audit::new("decide", "assessment_objection")
            .id(objection)
            .before(&serde_json::json!({ "state": o.state }))
            .after(&serde_json::json!({ "state": state, "points": points, "reason": reason })),
    )
    .await?;
    w.commit().await?;
    Ok(round.id)
}

/// The round an objection belongs to, if the actor may read it.
pub async fn round_of_objection(app: &App, ctx: &Ctx, objection: i64) -> Result<i64> {
    reader(ctx)?;
    let mut tx = app.db.begin_read().await?;
    let o = repo::objection(&mut tx, objection)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(round_in(&mut tx, ctx, o.round_id).await?.id)
}

/// 审定: the window is over and every objection decided; the scores are final.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn review(app: &App, ctx: &Ctx, id: i64, version: i64) -> Result<()> {
    staff(ctx)?;
    let mut w = Work::begin(app, ctx).await?;
    let round = round_for_step(
        &mut w,
        ctx,
        id,
        version,
        RoundState::Objection,
        "只有征求意见中的考核可以审定",
    )
    .await?;
    let today = w.today();
    if let Some(until) = round.objection_until.filter(|u| today <= *u) {
        return Err(field_error(
            "round",
            "window",
            format!(
                "异议期至{}，期满后方可审定",
                keyproj_domain::month::chinese_date(until)
            ),
        ));
    }
    let pending = repo::objections(&mut w.tx, id, None)
        .await?
        .iter()
        .filter(|o| o.state == ObjectionState::Pending)
        .count();
    if pending > 0 {
        return Err(field_error(
            "round",
            "pending",
            format!("还有{pending}条异议未审定"),
        ));
    }
    let next = RoundRow {
        state: RoundState::Reviewed,
        ..round.clone()
    };
    if !repo::update_round(&mut w.tx, &next, None, w.now).await? {
        return Err(ServiceError::Stale);
    }
    w.audit(
        Audit::new("review", "assessment_round")
            .id(id)
            .before(&serde_json::json!({ "state": round.state }))
            .after(&serde_json::json!({ "state": next.state })),
    )
    .await?;
    w.commit().await
}

/// What a published notice holds: the ranked results per kind with the indicator names and
/// points, frozen as published.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct NoticeContent {
    pub period: String,
    pub rules_title: String,
    pub rules_number: String,
    pub corrects: Option<String>,
    pub kinds: Vec<NoticeKind>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct NoticeKind {
    pub kind: AssessedKind,
    pub groups: Vec<(String, Vec<String>)>,
    pub maxima: Vec<i64>,
    pub ranked: Vec<Ranked>,
}

impl NoticeContent {
    pub fn of(notice: &NoticeRow) -> Option<NoticeContent> {
        serde_json::from_str(&notice.content).ok()
    }
}

/// 发布: writes the numbered notice (frozen) and freezes the scores.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn publish(app: &App, ctx: &Ctx, id: i64, version: i64) -> Result<NoticeRow> {
    staff(ctx)?;
    let mut w = Work::begin(app, ctx).await?;
    let round = round_for_step(
        &mut w,
        ctx,
        id,
        version,
        RoundState::Reviewed,
        "考核须先审定才能发布",
    )
    .await?;
    let rules = rules_of(&mut w.tx, &round).await?;
    let scores = repo::scores(&mut w.tx, id, None).await?;
    let corrected = match round.corrects_round_id {
        Some(r) => repo::notice_of_round(&mut w.tx, r).await?,
        None => None,
    };
    let content = NoticeContent {
        period: round.period.label(),
        rules_title: rules.title.clone(),
        rules_number: rules.doc_number.clone(),
        corrects: corrected.as_ref().map(|n| n.number.clone()),
        kinds: rules
            .tables
            .iter()
            .map(|t| {
                let s: Vec<ScoreRow> = scores
                    .iter()
                    .filter(|s| s.kind == t.kind)
                    .cloned()
                    .collect();
                NoticeKind {
                    kind: t.kind,
                    groups: groups_of(t),
                    maxima: t.indicators.iter().map(|i| i.max).collect(),
                    ranked: rank_scores(t, &s),
                }
            })
            .filter(|k| !k.ranked.is_empty())
            .collect(),
    };
    let (supervision, _) =
        crate::rules::supervision_in(&mut w.tx, &round.region_code, round.year).await?;
    let prefix = format!("{}考", supervision.letter_prefix.trim_end_matches('督'));
    let seq = repo::next_notice_seq(&mut w.tx, &round.region_code, round.year).await?;
    let number = keyproj_domain::problem::document_number(&prefix, round.year, seq);
    let title = format!(
        "关于{}重点项目建设工作考核结果的通报{}",
        round.period.label(),
        if corrected.is_some() {
            "（更正）"
        } else {
            ""
        }
    );
    let json = serde_json::to_string(&content).unwrap_or_default();
    let today = w.today();
    let notice_id = repo::insert_notice(
        &mut w.tx,
        &NewNotice {
            region: &round.region_code,
            year: round.year,
            seq,
            number: &number,
            round_id: id,
            title: &title,
            content: &json,
            corrects_notice_id: corrected.as_ref().map(|n| n.id),
            issued_on: today,
            issued_by: &ctx.actor.username,
        },
        w.now,
    )
    .await
    .map_err(|e| match e {
        keyproj_db::DbError::Duplicate(_) => ServiceError::Stale,
        e => e.into(),
    })?;
    let next = RoundRow {
        state: RoundState::Published,
        ..round.clone()
    };
    if !repo::update_round(&mut w.tx, &next, None, w.now).await? {
        return Err(ServiceError::Stale);
    }
    let units: std::collections::BTreeSet<i64> = scores.iter().map(|s| s.unit_id).collect();
    for u in units {
        crate::notifications::notify_in(
            &mut w,
            &round.region_code,
            &crate::notifications::Notice {
                unit: keyproj_domain::ids::UnitId(u),
                kind: keyproj_domain::notification::NotificationKind::AssessmentPublished,
                item: None,
                document: None,
                link: format!("/assessment/rounds/{id}"),
                text: format!("{}考核结果已通报（{number}）", round.period.label()),
            },
        )
        .await?;
    }
    w.audit(
        Audit::new("publish", "assessment_round")
            .id(id)
            .before(&serde_json::json!({ "state": round.state }))
            .after(&serde_json::json!({ "state": next.state, "notice": number, "notice_id": notice_id })),
    )
    .await?;
    w.commit().await?;
    let mut tx = app.db.begin_read().await?;
    repo::notice_of_round(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// The indicator groups in table order with their indicators' names (merged headers).
pub fn groups_of(t: &Table) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = vec![];
    for i in &t.indicators {
        match out.last_mut() {
            Some((g, names)) if *g == i.group => names.push(i.name.clone()),
            _ => out.push((i.group.clone(), vec![i.name.clone()])),
        }
    }
    out
}

fn points_f64(p: i64) -> f64 {
    p as f64 / 100.0
}

/// The result workbook in the official layout (a sheet per assessed kind).
pub fn result_book(v: &RoundView) -> Result<Vec<u8>> {
    let sheets: Vec<keyproj_office::assessment_sheet::KindSheet> = v
        .kinds
        .iter()
        .filter(|k| !k.ranked.is_empty())
        .map(|k| {
            let mut n = 0;
            let groups = groups_of(&k.table)
                .into_iter()
                .map(|(g, names)| {
                    let items = names
                        .into_iter()
                        .map(|name| {
                            let i = &k.table.indicators[n];
                            n += 1;
                            let max = if i.max > 0 {
                                format!("{}分", keyproj_domain::assessment::points_text(i.max))
                            } else if i.penalty_cap > 0 {
                                format!(
                                    "扣分，上限{}分",
                                    keyproj_domain::assessment::points_text(i.penalty_cap)
                                )
                            } else {
                                "否决".to_string()
                            };
                            (name, max)
                        })
                        .collect();
                    (g, items)
                })
                .collect();
            keyproj_office::assessment_sheet::KindSheet {
                name: k.table.kind.label().to_string(),
                groups,
                rows: k
                    .ranked
                    .iter()
                    .map(|r| keyproj_office::assessment_sheet::ScoreRow {
                        rank: r.rank,
                        unit: r.name.clone(),
                        points: r.points.iter().map(|p| points_f64(*p)).collect(),
                        total: points_f64(r.total),
                        grade: r.grade.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    let title = format!("{}重点项目建设工作考核结果", v.round.period.label());
    let subtitle = match &v.notice {
        Some(n) => format!("依据：{}　通报文号：{}", v.rules.doc_number, n.number),
        None => format!(
            "依据：{}　状态：{}（未发布）",
            v.rules.doc_number,
            v.round.state.label()
        ),
    };
    keyproj_office::assessment_sheet::write(&keyproj_office::assessment_sheet::ResultBook {
        title: &title,
        subtitle: &subtitle,
        sheets: &sheets,
    })
    .map_err(|e| ServiceError::internal("writing the assessment workbook", e))
}

/// The published notice as an official Word document (通报), from its frozen content.
pub fn notice_docx(notice: &NoticeRow) -> Result<keyproj_office::docx::Official> {
    let c = NoticeContent::of(notice)
        .ok_or_else(|| ServiceError::internal("reading a notice", anyhow::anyhow!("content")))?;
    let numerals = ["一", "二", "三", "四", "五", "六"];
    let mut paragraphs = vec![format!(
        "根据《{}》（{}），经数据核算、单位自评和异议审定，现将{}重点项目建设工作考核结果通报如下：",
        c.rules_title, c.rules_number, c.period
    )];
    let mut rows = vec![];
    for (k, kind) in c.kinds.iter().enumerate() {
        let mut counts: Vec<(String, usize)> = vec![];
        for r in &kind.ranked {
            match counts.iter_mut().find(|(g, _)| *g == r.grade) {
                Some((_, n)) => *n += 1,
                None => counts.push((r.grade.clone(), 1)),
            }
        }
        let first: Vec<&str> = kind
            .ranked
            .iter()
            .filter(|r| r.rank == 1)
            .map(|r| r.name.as_str())
            .collect();
        paragraphs.push(format!(
            "（{}）{}。参加考核{}个，其中{}。{}名列第一。",
            numerals.get(k).copied().unwrap_or("…"),
            kind.kind.label(),
            kind.ranked.len(),
            counts
                .iter()
                .map(|(g, n)| format!("{g}{n}个"))
                .collect::<Vec<_>>()
                .join("、"),
            first.join("、")
        ));
        for r in &kind.ranked {
            rows.push(vec![
                kind.kind.label().to_string(),
                r.rank.to_string(),
                r.name.clone(),
                keyproj_domain::assessment::points_text(r.total),
                r.grade.clone(),
            ]);
        }
    }
    if let Some(n) = &c.corrects {
        paragraphs.push(format!(
            "本通报对{n}通报的考核结果予以更正，原通报同时废止。"
        ));
    }
    Ok(keyproj_office::docx::Official {
        issuer: format!("{}重点项目建设事务中心", crate::org::region_name(&notice.region_code)),
        title: notice.title.clone(),
        number: notice.number.clone(),
        recipient: "各牵头单位、责任单位".into(),
        paragraphs,
        table_headers: ["考核对象", "排名", "单位", "得分", "等次"]
            .into_iter()
            .map(String::from)
            .collect(),
        table_rows: rows,
        closing: "希望受到表扬的单位再接再厉，排名靠后的单位认真查找差距、限期整改，确保全年重点项目建设目标任务圆满完成。".into(),
        date: notice.issued_on.to_string(),
        copy_to: "县委、县人大、县政府、县政协主要领导，县重点项目建设领导小组成员".into(),
        contact: String::new(),
    })
}

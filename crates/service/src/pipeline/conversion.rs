//! Conversion: how the year's signings became construction, per signing event and for the year —
//! signed, above the threshold (entered the library), approval items handled for them, started
//! (在建 with an actual start), in 前期 (above the threshold, not started), not moving (未落地) —
//! the figures of the center's sentence, each with its projects for the drill-down.

use crate::{App, Ctx, Result};
use chrono::{Datelike, NaiveDate};
use keyproj_db::Tx;
use keyproj_db::repo::pipeline::approvals as approval_repo;
use keyproj_db::repo::pipeline::signing::{self as repo, SignedRow};
use keyproj_domain::RegionCode;
use keyproj_domain::ids::{ProjectId, SigningEventId};
use keyproj_domain::pipeline::ApprovalState;
use keyproj_domain::project::Stage;
use serde::Serialize;
use std::collections::HashMap;

/// What a drill-down asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Signed,
    AboveThreshold,
    Started,
    Preliminary,
    NotMoving,
}

impl Status {
    pub fn from_key(s: &str) -> Option<Status> {
        Some(match s {
            "signed" => Status::Signed,
            "above_threshold" => Status::AboveThreshold,
            "started" => Status::Started,
            "preliminary" => Status::Preliminary,
            "not_moving" => Status::NotMoving,
            _ => return None,
        })
    }
    pub fn key(self) -> &'static str {
        match self {
            Status::Signed => "signed",
            Status::AboveThreshold => "above_threshold",
            Status::Started => "started",
            Status::Preliminary => "preliminary",
            Status::NotMoving => "not_moving",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Status::Signed => "签约项目",
            Status::AboveThreshold => "达到调度门槛",
            Status::Started => "落地开工",
            Status::Preliminary => "推进前期工作",
            Status::NotMoving => "未落地",
        }
    }
}

/// Whether a signed project started: its project reached 在建 (or beyond) with an actual start.
pub fn started(r: &SignedRow) -> bool {
    r.started
        && matches!(
            r.stage,
            Some(Stage::UnderConstruction | Stage::Completed | Stage::PostSupport)
        )
}

/// The threshold in force for each signed project's region and industry, read once each.
#[derive(Default)]
pub(crate) struct Thresholds(
    HashMap<(RegionCode, keyproj_domain::project::Industry), keyproj_domain::Money>,
);

impl Thresholds {
    async fn load(&mut self, tx: &mut Tx, rows: &[SignedRow]) -> Result<()> {
        for r in rows {
            if let std::collections::hash_map::Entry::Vacant(slot) =
                self.0.entry((r.region_code.clone(), r.industry))
            {
                slot.insert(crate::projects::threshold_in(tx, &r.region_code, r.industry).await?);
            }
        }
        Ok(())
    }
    /// Whether it entered the library and its agreed investment (as it stands now) still
    /// reaches its threshold.
    fn above(&self, r: &SignedRow) -> bool {
        let min = self
            .0
            .get(&(r.region_code.clone(), r.industry))
            .copied()
            .unwrap_or_default();
        r.project_id.is_some() && keyproj_domain::pipeline::enters_library(r.agreed_investment, min)
    }
}

/// Whether a signed project is in `status` on `today`.
fn is(
    r: &SignedRow,
    status: Status,
    today: NaiveDate,
    not_moving_months: u32,
    thresholds: &Thresholds,
) -> bool {
    match status {
        Status::Signed => true,
        // entered the library and still at or above the threshold (an amount revised below it
        // keeps its project, but no longer counts here)
        Status::AboveThreshold => thresholds.above(r),
        Status::Started => started(r),
        // above the threshold and not started yet: 签约 or 前期, pushing the preliminary work
        Status::Preliminary => thresholds.above(r) && !started(r),
        Status::NotMoving => {
            keyproj_domain::pipeline::not_moving(r.contract_on, r.started, today, not_moving_months)
        }
    }
}

/// One line of the conversion table: an event, the projects signed on their own, or the year.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ConversionLine {
    /// None: signed on their own (or the year's total).
    pub event_id: Option<SigningEventId>,
    pub name: String,
    pub held_on: Option<NaiveDate>,
    pub signed: i64,
    pub above_threshold: i64,
    /// Approval items worked on (all but 待启动) for these projects.
    pub approvals_handled: i64,
    pub started: i64,
    pub preliminary: i64,
    pub not_moving: i64,
}

/// The year's conversion.
#[derive(Debug, Clone, Serialize)]
pub struct Conversion {
    pub year: i32,
    /// Signing events held in the year.
    pub events_held: i64,
    pub lines: Vec<ConversionLine>,
    pub total: ConversionLine,
}

/// The conversion of the projects signed in `year` in `region`, read on `today`.
pub(crate) async fn conversion_in(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
    today: NaiveDate,
    not_moving_months: u32,
) -> Result<Conversion> {
    let events = repo::list_events(tx, region).await?;
    let signed: Vec<SignedRow> = repo::list_signed(tx, region, None)
        .await?
        .into_iter()
        .filter(|r| r.contract_on.year() == year)
        .collect();
    let mut thresholds = Thresholds::default();
    thresholds.load(tx, &signed).await?;
    let mut handled: HashMap<ProjectId, i64> = HashMap::new();
    for (p, state, n) in approval_repo::states_by_project(tx, region, None).await? {
        if state != ApprovalState::NotStarted {
            *handled.entry(p).or_default() += n;
        }
    }
    let line_of = |rows: &[&SignedRow], mut line: ConversionLine| {
        for r in rows {
            line.signed += 1;
            let count = |s: Status, n: &mut i64| {
                if is(r, s, today, not_moving_months, &thresholds) {
                    *n += 1;
                }
            };
            count(Status::AboveThreshold, &mut line.above_threshold);
            count(Status::Started, &mut line.started);
            count(Status::Preliminary, &mut line.preliminary);
            count(Status::NotMoving, &mut line.not_moving);
            line.approvals_handled += r
                .project_id
                .and_then(|p| handled.get(&p).copied())
                .unwrap_or(0);
        }
        line
    };
    let mut lines = vec![];
    // events of the year (and older events whose projects were signed this year), oldest first
    let mut shown: Vec<_> = events
        .iter()
        .filter(|e| e.held_on.year() == year || signed.iter().any(|r| r.event_id == Some(e.id)))
        .collect();
    shown.sort_by_key(|e| (e.held_on, e.id));
    for e in &shown {
        let rows: Vec<&SignedRow> = signed.iter().filter(|r| r.event_id == Some(e.id)).collect();
        lines.push(line_of(
            &rows,
            ConversionLine {
                event_id: Some(e.id),
                name: e.name.clone(),
                held_on: Some(e.held_on),
                ..Default::default()
            },
        ));
    }
    let alone: Vec<&SignedRow> = signed.iter().filter(|r| r.event_id.is_none()).collect();
    if !alone.is_empty() {
        lines.push(line_of(
            &alone,
            ConversionLine {
                name: "（单独签约）".into(),
                ..Default::default()
            },
        ));
    }
    let all: Vec<&SignedRow> = signed.iter().collect();
    let total = line_of(
        &all,
        ConversionLine {
            name: "合计".into(),
            ..Default::default()
        },
    );
    Ok(Conversion {
        year,
        events_held: events.iter().filter(|e| e.held_on.year() == year).count() as i64,
        lines,
        total,
    })
}

/// The year's conversion for the actor's region (center staff and county leaders).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn conversion(app: &App, ctx: &Ctx, year: i32) -> Result<Conversion> {
    super::signing::may_view(ctx)?;
    let mut tx = app.db.begin_read().await?;
    conversion_in(
        &mut tx,
        &ctx.actor.region,
        year,
        app.local_today(),
        app.cfg.not_moving_months,
    )
    .await
}

/// The projects behind a figure: signed in `year` (at `event` when given; `alone` for those
/// signed on their own) in `status`.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn drill(
    app: &App,
    ctx: &Ctx,
    year: i32,
    event: Option<SigningEventId>,
    alone: bool,
    status: Status,
) -> Result<Vec<SignedRow>> {
    super::signing::may_view(ctx)?;
    let today = app.local_today();
    let mut tx = app.db.begin_read().await?;
    if let Some(e) = event {
        repo::get_event(&mut tx, e)
            .await?
            .filter(|ev| ctx.actor.region.contains(&ev.region_code))
            .ok_or(crate::ServiceError::NotFound)?;
    }
    let rows: Vec<SignedRow> = repo::list_signed(&mut tx, &ctx.actor.region, event)
        .await?
        .into_iter()
        .filter(|r| r.contract_on.year() == year)
        .filter(|r| !alone || r.event_id.is_none())
        .collect();
    let mut thresholds = Thresholds::default();
    thresholds.load(&mut tx, &rows).await?;
    Ok(rows
        .into_iter()
        .filter(|r| is(r, status, today, app.cfg.not_moving_months, &thresholds))
        .collect())
}

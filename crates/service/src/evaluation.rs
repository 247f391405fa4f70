//! 部门整体支出绩效自评 (issue #13, in progress): the department's ledger of a year, checked and
//! kept with its audit rows, and the year's score — the ledger's figures by the formulas of
//! perf-eval.md §2.2 and keyproj's own records, through the template's rules, to the grade.
//!
//! Who: the ledger is the center's finance work; center staff keep it (no separate 财务 role
//! yet — a staff account is trusted with the center's own accounts) and county leaders read it.

use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, field_error};
use keyproj_db::repo::evaluation::{self as repo, LedgerRow};
use keyproj_domain::RegionCode;
use keyproj_domain::authz::Role;
use keyproj_domain::evaluation::{
    Evaluation, Ledger, RecordFigures, Template, default_template, score,
};
use serde::Serialize;

fn staff(ctx: &Ctx) -> Result<()> {
    if ctx.actor.has(Role::CenterStaff) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

fn reader(ctx: &Ctx) -> Result<()> {
    if ctx.actor.has(Role::CenterStaff) || ctx.actor.has(Role::CountyLeader) {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

fn check_year(year: i32) -> Result<i32> {
    if (2000..=2100).contains(&year) {
        Ok(year)
    } else {
        Err(field_error(
            "year",
            "invalid_year",
            "年度应在2000至2100之间",
        ))
    }
}

/// The year's ledger, if kept.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn ledger(app: &App, ctx: &Ctx, year: i32) -> Result<Option<LedgerRow>> {
    reader(ctx)?;
    let year = check_year(year)?;
    let mut tx = app.db.begin_read().await?;
    Ok(repo::get(&mut tx, &ctx.actor.region, year).await?)
}

/// Keeps the year's ledger: the first one (`version` None) or a change at the version read.
/// Totals that do not reconcile, negative amounts, judgements without reasons: refused with
/// the line named, nothing written.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn save_ledger(
    app: &App,
    ctx: &Ctx,
    year: i32,
    ledger: &Ledger,
    version: Option<i64>,
) -> Result<i64> {
    staff(ctx)?;
    let year = check_year(year)?;
    // 决算 figures exist once the year is over
    let this = {
        use chrono::Datelike;
        app.local_today().year()
    };
    if year >= this {
        return Err(field_error(
            "year",
            "not_ended",
            format!("只能录入已结束年度（{}年及以前）的决算账表", this - 1),
        ));
    }
    ledger.check()?;
    let mut w = Work::begin(app, ctx).await?;
    let region = ctx.actor.region.clone();
    let before = repo::get(&mut w.tx, &region, year).await?;
    let id = match (&before, version) {
        (None, _) => {
            let id = repo::insert(&mut w.tx, &region, year, ledger, &ctx.actor.username, w.now)
                .await
                .map_err(|e| match e {
                    keyproj_db::DbError::Duplicate(_) => ServiceError::Stale,
                    e => e.into(),
                })?;
            w.audit(
                Audit::create("evaluation_ledger", id)
                    .after(&serde_json::json!({"year": year, "ledger": ledger})),
            )
            .await?;
            id
        }
        (Some(b), Some(v)) => {
            if !repo::update(&mut w.tx, b.id, v, ledger, &ctx.actor.username, w.now).await? {
                return Err(ServiceError::Stale);
            }
            w.audit(
                Audit::update("evaluation_ledger", b.id)
                    .before(&b.ledger)
                    .after(ledger),
            )
            .await?;
            b.id
        }
        // someone kept one meanwhile: this form was made before it existed
        (Some(_), None) => return Err(ServiceError::Stale),
    };
    w.commit().await?;
    Ok(id)
}

/// keyproj's own figures of the year for the 产出 and 效果 leaves, and the year's survey.
/// Monthly-report timeliness and the colour tables' cadence are not fed yet: those leaves are
/// not applicable (rescaled) until they are.
pub async fn records(app: &App, region: &RegionCode, year: i32) -> Result<RecordFigures> {
    let a = crate::stats::annual(app, region, year).await?;
    let p = &a.problems;
    Ok(RecordFigures {
        project_investment: a.under_construction.completion_bp,
        task_closure: (p.assigned > 0).then(|| {
            keyproj_domain::assessment::scoring::round_div(
                p.closed as i128 * 10_000,
                p.assigned as i128,
            )
        }),
        reports_on_time: None,
        colour_tables: None,
        satisfaction: crate::survey::satisfaction(app, region, year).await?,
    })
}

/// The year scored: the ledger, keyproj's figures, the template and every leaf's working.
#[derive(Debug, Clone, Serialize)]
pub struct YearEvaluation {
    pub year: i32,
    pub ledger: LedgerRow,
    pub records: RecordFigures,
    pub template: Template,
    pub evaluation: Evaluation,
}

/// The year a self-evaluation is written for by default: last year (决算 figures exist once a
/// year is over).
pub fn default_year(app: &App) -> i32 {
    use chrono::Datelike;
    app.local_today().year() - 1
}

/// Scores the year (without a ledger there is nothing to score: not found).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn evaluate(app: &App, ctx: &Ctx, year: i32) -> Result<YearEvaluation> {
    let ledger = ledger(app, ctx, year).await?.ok_or_else(|| {
        field_error(
            "year",
            "no_ledger",
            format!("{year}年度的部门收支账表尚未录入"),
        )
    })?;
    let records = records(app, &ctx.actor.region, year).await?;
    let template = default_template();
    let evaluation = score(&template, &ledger.ledger.inputs(&records));
    Ok(YearEvaluation {
        year,
        ledger,
        records,
        template,
        evaluation,
    })
}

//! The year's 考核办法: staff draft the tables (starting from the example or the adopted
//! version), adopt them under a document number — the adopted version is frozen in the database
//! — and change them afterwards only as a new version with a reason.

use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, field_error};
use chrono::NaiveDate;
use keyproj_db::repo::assessment::rules::{self as repo, AdoptedRow, DraftRow, NewAdopted};
use keyproj_domain::ValidationErrors;
use keyproj_domain::assessment::{Table, example_tables};
use keyproj_domain::authz::Role;
use serde::Serialize;

fn staff(ctx: &Ctx) -> Result<()> {
    if ctx.actor.has(Role::CenterStaff) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

fn may_read(ctx: &Ctx) -> Result<()> {
    let a = &ctx.actor;
    if a.has(Role::CenterStaff) || a.has(Role::CountyLeader) || a.has(Role::UnitUser) {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// The year's rules as they stand.
#[derive(Debug, Clone, Serialize)]
pub struct YearRules {
    pub year: i32,
    /// The adopted versions, the latest (in force) first.
    pub adopted: Vec<AdoptedRow>,
    pub draft: Option<DraftRow>,
}

impl YearRules {
    /// The tables in force: the latest adopted version's; None before any adoption.
    pub fn in_force(&self) -> Option<&[Table]> {
        self.adopted.first().map(|a| a.tables.as_slice())
    }
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn year(app: &App, ctx: &Ctx, year: i32) -> Result<YearRules> {
    may_read(ctx)?;
    let mut tx = app.db.begin_read().await?;
    let region = &ctx.actor.region;
    Ok(YearRules {
        year,
        adopted: repo::adopted(&mut tx, region, year).await?,
        draft: repo::draft(&mut tx, region, year).await?,
    })
}

fn check(title: &str, tables: &[Table]) -> Result<String> {
    let mut e = ValidationErrors::new();
    let title = match keyproj_domain::error::check_text("title", "考核办法名称", title, true, 100)
    {
        Ok(t) => t,
        Err(f) => {
            e.push(f);
            String::new()
        }
    };
    if tables.is_empty() {
        e.add("tables", "required", "至少需要一张考核表");
    }
    let mut kinds = vec![];
    for t in tables {
        if kinds.contains(&t.kind) {
            e.add(
                "tables",
                "duplicate",
                format!("“{}”的考核表重复", t.kind.label()),
            );
        }
        kinds.push(t.kind);
        if let Err(v) = t.validate() {
            v.all().iter().for_each(|f| e.push(f.clone()));
        }
    }
    if e.is_empty() {
        Ok(title)
    } else {
        Err(e.into())
    }
}

/// Starts the year's draft from its adopted version, or else from the example tables.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn start_draft(app: &App, ctx: &Ctx, year: i32) -> Result<()> {
    staff(ctx)?;
    let mut w = Work::begin(app, ctx).await?;
    let region = ctx.actor.region.clone();
    if repo::draft(&mut w.tx, &region, year).await?.is_some() {
        return Err(field_error("year", "exists", format!("{year}年度已有草稿")));
    }
    let (title, tables) = match repo::adopted(&mut w.tx, &region, year)
        .await?
        .into_iter()
        .next()
    {
        Some(a) => (a.title, a.tables),
        None => (
            format!(
                "{}{year}年重点建设项目工作考核办法（示例，请按本地实际修改）",
                crate::org::region_name(&region)
            ),
            example_tables(),
        ),
    };
    if !repo::save_draft(&mut w.tx, &region, year, &title, &tables, None, w.now).await? {
        return Err(ServiceError::Stale);
    }
    w.audit(
        Audit::create("assessment_draft", format!("{region}:{year}"))
            .after(&serde_json::json!({ "title": title, "tables": tables })),
    )
    .await?;
    w.commit().await
}

/// Saves the draft's tables, checked all at once (weights, bands, rules and their measures).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn save_draft(
    app: &App,
    ctx: &Ctx,
    year: i32,
    title: &str,
    tables: &[Table],
    version: i64,
) -> Result<()> {
    staff(ctx)?;
    let title = check(title, tables)?;
    let mut w = Work::begin(app, ctx).await?;
    let region = ctx.actor.region.clone();
    let before = repo::draft(&mut w.tx, &region, year)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if !repo::save_draft(
        &mut w.tx,
        &region,
        year,
        &title,
        tables,
        Some(version),
        w.now,
    )
    .await?
    {
        return Err(ServiceError::Stale);
    }
    w.audit(
        Audit::update("assessment_draft", format!("{region}:{year}"))
            .before(&before)
            .after(&serde_json::json!({ "title": title, "tables": tables })),
    )
    .await?;
    w.commit().await
}

/// What adopting says.
#[derive(Debug, Clone, Default)]
pub struct Adoption {
    pub doc_number: String,
    pub adopted_on: String,
    /// Owed when a version is already adopted (the change is a revision).
    pub reason: String,
}

/// Adopts the year's draft as the next version, frozen; the draft is consumed.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn adopt(app: &App, ctx: &Ctx, year: i32, a: &Adoption) -> Result<i64> {
    staff(ctx)?;
    let (doc, on, reason) = checked_adoption(app, a)?;
    adopt_checked(app, ctx, year, doc, on, reason).await
}

/// The adoption's own fields, checked before anything is asked or read (the page checks them
/// before its confirmation).
pub fn check_adoption(app: &App, ctx: &Ctx, a: &Adoption) -> Result<()> {
    staff(ctx)?;
    checked_adoption(app, a).map(|_| ())
}

fn checked_adoption(app: &App, a: &Adoption) -> Result<(String, NaiveDate, String)> {
    let mut e = ValidationErrors::new();
    let doc = e.check(keyproj_domain::error::check_text(
        "doc_number",
        "文号",
        &a.doc_number,
        true,
        60,
    ));
    let on = e.check(
        keyproj_domain::problem::draft::parse_date("adopted_on", "印发日期", &a.adopted_on)
            .and_then(|d| {
                if d > app.local_today() {
                    Err(keyproj_domain::FieldError::new(
                        "adopted_on",
                        "future",
                        "印发日期不能晚于今天",
                    ))
                } else {
                    Ok(d)
                }
            }),
    );
    let reason = e.check(keyproj_domain::error::check_text(
        "reason",
        "修订原因",
        &a.reason,
        false,
        500,
    ));
    let (Some(doc), Some(on), Some(reason)) = (doc, on, reason) else {
        return Err(e.refused().into());
    };
    Ok((doc, on, reason))
}

async fn adopt_checked(
    app: &App,
    ctx: &Ctx,
    year: i32,
    doc: String,
    on: NaiveDate,
    reason: String,
) -> Result<i64> {
    let mut w = Work::begin(app, ctx).await?;
    let region = ctx.actor.region.clone();
    let draft = repo::draft(&mut w.tx, &region, year)
        .await?
        .ok_or_else(|| field_error("year", "no_draft", format!("{year}年度没有待印发的草稿")))?;
    check(&draft.title, &draft.tables)?;
    let previous = repo::adopted(&mut w.tx, &region, year).await?;
    if !previous.is_empty() && reason.is_empty() {
        return Err(field_error(
            "reason",
            "required",
            "已印发过考核办法，修订须写明原因",
        ));
    }
    if previous.iter().any(|p| p.doc_number == doc) {
        return Err(field_error(
            "doc_number",
            "duplicate",
            format!(
                "文号“{doc}”已用于第{}版，请核对",
                previous
                    .iter()
                    .find(|p| p.doc_number == doc)
                    .map(|p| p.version_no)
                    .unwrap_or(0)
            ),
        ));
    }
    if let Some(p) = previous.first() {
        if on < p.adopted_on {
            return Err(field_error(
                "adopted_on",
                "before",
                format!(
                    "修订版的印发日期不能早于现行第{}版（{}）",
                    p.version_no, p.adopted_on
                ),
            ));
        }
        if p.tables == draft.tables && p.title == draft.title {
            return Err(field_error(
                "year",
                "unchanged",
                "草稿与现行版本完全相同，无需印发修订版",
            ));
        }
    }
    let version_no = previous.first().map(|p| p.version_no).unwrap_or(0) + 1;
    let id = repo::insert_adopted(
        &mut w.tx,
        &NewAdopted {
            region: &region,
            year,
            version_no,
            title: &draft.title,
            doc_number: &doc,
            adopted_on: on,
            tables: &draft.tables,
            reason: &reason,
            adopted_by: &ctx.actor.username,
        },
        w.now,
    )
    .await
    .map_err(|e| match e {
        keyproj_db::DbError::Duplicate(_) => ServiceError::Stale,
        e => e.into(),
    })?;
    repo::delete_draft(&mut w.tx, &region, year).await?;
    w.audit(
        Audit::new("adopt", "assessment_rules")
            .id(id)
            .after(&serde_json::json!({ "year": year, "version_no": version_no, "doc_number": doc, "reason": reason })),
    )
    .await?;
    w.commit().await?;
    Ok(version_no)
}

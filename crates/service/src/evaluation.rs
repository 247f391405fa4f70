//! 部门整体支出绩效自评 (issue #13, in progress): the department's ledger of a year, checked and
//! kept with its audit rows, and the year's score — the ledger's figures by the formulas of
//! perf-eval.md §2.2 and keyproj's own records, through the template's rules, to the grade.
//!
//! Who: the ledger is the center's finance work; center staff keep it (no separate 财务 role
//! yet — a staff account is trusted with the center's own accounts) and county leaders read it.

use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, field_error};
use keyproj_db::repo::evaluation::{self as repo, LedgerRow, YearDoc};
use keyproj_domain::RegionCode;
use keyproj_domain::authz::Role;
use keyproj_domain::evaluation::report::{
    ReportDoc, ReportInput, ReportTexts, compose, suggested_measures, suggested_problems,
};
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

/// 决算 figures, and a report on them, exist once the year is over.
fn ended(app: &App, year: i32) -> Result<()> {
    let this = {
        use chrono::Datelike;
        app.local_today().year()
    };
    if year >= this {
        return Err(field_error(
            "year",
            "not_ended",
            format!("只能填写已结束年度（{}年及以前）的账表和报告", this - 1),
        ));
    }
    Ok(())
}

/// Keeps a region's document of the year: the first one (`version` None), or a change at the
/// version read; anything else is stale. One audit row either way, in the work's transaction.
async fn keep<T: Serialize + serde::de::DeserializeOwned>(
    w: &mut Work<'_>,
    kind: YearDoc,
    entity: &'static str,
    region: &RegionCode,
    year: i32,
    doc: &T,
    version: Option<i64>,
) -> Result<i64> {
    let by = w.ctx.actor.username.clone();
    let before = repo::kept::<serde_json::Value>(&mut w.tx, kind, region, year).await?;
    match (before, version) {
        (None, None) => {
            let id = repo::insert_kept(&mut w.tx, kind, region, year, doc, &by, w.now)
                .await
                .map_err(|e| match e {
                    keyproj_db::DbError::Duplicate(_) => ServiceError::Stale,
                    e => e.into(),
                })?;
            w.audit(
                Audit::create(entity, id)
                    .after(&serde_json::json!({"year": year, "document": doc})),
            )
            .await?;
            Ok(id)
        }
        (Some(b), Some(v)) => {
            if !repo::update_kept(&mut w.tx, kind, b.id, v, doc, &by, w.now).await? {
                return Err(ServiceError::Stale);
            }
            w.audit(Audit::update(entity, b.id).before(&b.doc).after(doc))
                .await?;
            Ok(b.id)
        }
        // a version for what is not there, or none for what is: the form was made from
        // something else
        _ => Err(ServiceError::Stale),
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
    save_ledger_via(app, ctx, year, ledger, version, None).await
}

async fn save_ledger_via(
    app: &App,
    ctx: &Ctx,
    year: i32,
    ledger: &Ledger,
    version: Option<i64>,
    via: Option<String>,
) -> Result<i64> {
    staff(ctx)?;
    let year = check_year(year)?;
    ended(app, year)?;
    ledger.check_for(
        Some(year),
        &template_of(app, &ctx.actor.region, year).await?.0,
    )?;
    let mut w = Work::begin(app, ctx).await?;
    w.via = via;
    let region = ctx.actor.region.clone();
    let id = keep(
        &mut w,
        YearDoc::Ledger,
        "evaluation_ledger",
        &region,
        year,
        ledger,
        version,
    )
    .await?;
    w.commit().await?;
    Ok(id)
}

/// keyproj's own figures of the year for the 产出 and 效果 leaves, and the year's survey.
/// `from_month` is the first month the unit was due to work (its founding month when founded
/// in the year, else 1): 月报及时率 is the reports first submitted by the due day of the
/// following month (the colour rules' 截止日) over the reports submitted for those months, and
/// the colour tables' cadence is the months with a published table over the months due.
pub async fn records(
    app: &App,
    region: &RegionCode,
    year: i32,
    from_month: u32,
) -> Result<RecordFigures> {
    use keyproj_domain::assessment::scoring::round_div;
    let a = crate::stats::annual(app, region, year).await?;
    let p = &a.problems;
    let mut tx = app.db.begin_read().await?;
    let deadline_day = crate::rules::colour_in(&mut tx, region, year)
        .await?
        .deadline_day;
    let due = |m: &keyproj_domain::ReportMonth| m.month() >= from_month;
    let (mut submitted, mut on_time) = (0i64, 0i64);
    for (month, first) in repo::report_submissions(&mut tx, region, year).await? {
        let (Some(m), Ok(d)) = (
            keyproj_domain::ReportMonth::parse("month", "月份", &month).ok(),
            chrono::NaiveDate::parse_from_str(&first, "%Y-%m-%d"),
        ) else {
            continue;
        };
        if due(&m) {
            submitted += 1;
            if !keyproj_domain::report::is_late(m, deadline_day, d) {
                on_time += 1;
            }
        }
    }
    let published = repo::colour_months(&mut tx, region, year)
        .await?
        .iter()
        .filter_map(|m| keyproj_domain::ReportMonth::parse("month", "月份", m).ok())
        .filter(due)
        .count() as i64;
    let months_due = 12 - from_month.clamp(1, 12) as i64 + 1;
    Ok(RecordFigures {
        project_investment: a.under_construction.completion_bp,
        task_closure: (p.assigned > 0)
            .then(|| round_div(p.closed as i128 * 10_000, p.assigned as i128)),
        reports_on_time: (submitted > 0)
            .then(|| round_div(on_time as i128 * 10_000, submitted as i128)),
        colour_tables: (published > 0).then(|| {
            round_div(
                published.min(months_due) as i128 * 10_000,
                months_due as i128,
            )
        }),
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
    let from_month = {
        use chrono::Datelike;
        let p = &ledger.ledger.profile;
        if p.founded_in(year) {
            p.founded.map(|d| d.month()).unwrap_or(1)
        } else {
            1
        }
    };
    let records = records(app, &ctx.actor.region, year, from_month).await?;
    let (template, _) = template_of(app, &ctx.actor.region, year).await?;
    let evaluation = score(&template, &ledger.ledger.inputs(&records));
    Ok(YearEvaluation {
        year,
        ledger,
        records,
        template,
        evaluation,
    })
}

// ----- the report -----

/// The year's report: issued (frozen as it was) or composed now from the records and the
/// texts typed so far.
#[derive(Debug, Clone, Serialize)]
pub struct YearReport {
    pub year: i32,
    pub texts: ReportTexts,
    /// The texts' version (None before they are first saved).
    pub texts_version: Option<i64>,
    pub doc: ReportDoc,
    pub issued: Option<IssuedSummary>,
    /// 六 and 七 as the lost points suggest them (shown next to the typed text).
    pub suggested_problems: Vec<String>,
    pub suggested_measures: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IssuedSummary {
    pub number: String,
    pub issued_on: String,
    pub issued_by: String,
}

async fn compose_now(
    app: &App,
    ctx: &Ctx,
    year: i32,
    texts: &ReportTexts,
) -> Result<(ReportDoc, Evaluation)> {
    let y = evaluate(app, ctx, year).await?;
    let previous = ledger(app, ctx, year - 1).await?;
    let annual = crate::stats::annual(app, &ctx.actor.region, year).await?;
    let survey = crate::survey::summary(app, &ctx.actor.region, year).await?;
    let mut work = annual.text;
    let tables = {
        let mut tx = app.db.begin_read().await?;
        repo::colour_months(&mut tx, &ctx.actor.region, year)
            .await?
            .len()
    };
    if tables > 0 {
        work.push(format!(
            "每月公示重点项目进度分色表，全年张榜公示{tables}期"
        ));
    }
    let doc = compose(&ReportInput {
        year,
        ledger: &y.ledger.ledger,
        previous: previous.as_ref().map(|r| &r.ledger),
        evaluation: &y.evaluation,
        work: &work,
        survey,
        texts,
    });
    Ok((doc, y.evaluation))
}

/// The year's report as it stands.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn report(app: &App, ctx: &Ctx, year: i32) -> Result<YearReport> {
    reader(ctx)?;
    let year = check_year(year)?;
    let (stored, issued) = {
        let mut tx = app.db.begin_read().await?;
        (
            repo::kept::<ReportTexts>(&mut tx, YearDoc::ReportTexts, &ctx.actor.region, year)
                .await?,
            repo::issued(&mut tx, &ctx.actor.region, year).await?,
        )
    };
    let texts = stored.as_ref().map(|t| t.doc.clone()).unwrap_or_default();
    let (doc, evaluation) = compose_now(app, ctx, year, &texts).await?;
    let (doc, issued) = match issued {
        Some(i) => (
            i.content,
            Some(IssuedSummary {
                number: i.number,
                issued_on: i.issued_on,
                issued_by: i.issued_by,
            }),
        ),
        None => (doc, None),
    };
    Ok(YearReport {
        year,
        texts,
        texts_version: stored.map(|t| t.version),
        suggested_problems: suggested_problems(&evaluation),
        suggested_measures: suggested_measures(&evaluation),
        doc,
        issued,
    })
}

/// Keeps the report's typed words at the version read; an issued report's stay as issued.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn save_texts(
    app: &App,
    ctx: &Ctx,
    year: i32,
    texts: &ReportTexts,
    version: Option<i64>,
) -> Result<()> {
    staff(ctx)?;
    let year = check_year(year)?;
    ended(app, year)?;
    texts.check()?;
    let mut w = Work::begin(app, ctx).await?;
    let region = ctx.actor.region.clone();
    if repo::issued(&mut w.tx, &region, year).await?.is_some() {
        return Err(field_error(
            "report",
            "issued",
            "该年度的自评报告已经印发，不能再修改",
        ));
    }
    keep(
        &mut w,
        YearDoc::ReportTexts,
        "evaluation_report_texts",
        &region,
        year,
        texts,
        version,
    )
    .await?;
    w.commit().await
}

/// Issues the year's report: composed from the records and the saved texts, numbered, and
/// frozen — its figures never move afterwards. Refused while the texts miss what a report
/// must say, or when the texts changed since the page was read.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn issue(
    app: &App,
    ctx: &Ctx,
    year: i32,
    texts_version: Option<i64>,
) -> Result<IssuedSummary> {
    staff(ctx)?;
    let year = check_year(year)?;
    let region = ctx.actor.region.clone();
    let (stored, issued) = {
        let mut tx = app.db.begin_read().await?;
        (
            repo::kept::<ReportTexts>(&mut tx, YearDoc::ReportTexts, &region, year).await?,
            repo::issued(&mut tx, &region, year).await?,
        )
    };
    if let Some(i) = issued {
        return Err(field_error(
            "report",
            "issued",
            format!("该年度的自评报告已经印发（{}）", i.number),
        ));
    }
    if stored.as_ref().map(|t| t.version) != texts_version {
        return Err(ServiceError::Stale);
    }
    let texts = stored.map(|t| t.doc).unwrap_or_default();
    texts.ready()?;
    let (doc, _) = compose_now(app, ctx, year, &texts).await?;
    let mut w = Work::begin(app, ctx).await?;
    // what was composed is what the texts said at issue: checked again inside the write
    if repo::kept::<ReportTexts>(&mut w.tx, YearDoc::ReportTexts, &region, year)
        .await?
        .map(|t| t.version)
        != texts_version
    {
        return Err(ServiceError::Stale);
    }
    let today = app.local_today();
    let issue_year = {
        use chrono::Datelike;
        today.year()
    };
    let seq = repo::next_seq(&mut w.tx, &region, issue_year).await?;
    let number = format!("绩效自评〔{issue_year}〕{seq}号");
    let issued_on = today.format("%Y-%m-%d").to_string();
    let id = repo::insert_issued(
        &mut w.tx,
        &repo::NewReport {
            region: &region,
            year,
            seq,
            number: &number,
            content: &doc,
            issued_on: &issued_on,
            by: &ctx.actor.username,
            now: w.now,
        },
    )
    .await
    .map_err(|e| match e {
        keyproj_db::DbError::Duplicate(m) => field_error("report", "issued", m),
        e => e.into(),
    })?;
    w.audit(
        Audit::new("issue", "evaluation_report")
            .id(id)
            .after(&serde_json::json!({"year": year, "number": number, "total": doc.total, "grade": doc.grade})),
    )
    .await?;
    w.commit().await?;
    Ok(IssuedSummary {
        number,
        issued_on,
        issued_by: ctx.actor.username.clone(),
    })
}

/// The report as a Word file: the issued one as frozen, or a draft marked as such.
pub async fn report_docx(app: &App, ctx: &Ctx, year: i32) -> Result<(String, Vec<u8>)> {
    let r = report(app, ctx, year).await?;
    let (number, date) = match &r.issued {
        Some(i) => (Some(i.number.as_str()), i.issued_on.clone()),
        None => (None, app.local_today().format("%Y-%m-%d").to_string()),
    };
    let bytes = keyproj_office::evaluation_doc::self_evaluation(&r.doc, number, &date)
        .map_err(|e| ServiceError::internal("self-evaluation docx", e))?;
    let name = format!(
        "{}{}年度部门整体支出绩效自评报告{}.docx",
        r.doc.unit,
        year,
        if r.issued.is_some() {
            ""
        } else {
            "（草稿）"
        }
    );
    Ok((name, bytes))
}

// ----- the ledger as a workbook -----

/// The year's ledger as the 部门收支账表 workbook (the empty template before one is kept).
pub async fn ledger_workbook(app: &App, ctx: &Ctx, year: i32) -> Result<(String, Vec<u8>)> {
    let stored = ledger(app, ctx, year).await?;
    let rows =
        keyproj_domain::evaluation::sheet::rows_of(&stored.map(|r| r.ledger).unwrap_or_default());
    let bytes = keyproj_office::ledger_sheet::write(&rows)
        .map_err(|e| ServiceError::internal("ledger workbook", e))?;
    Ok((format!("{year}年部门收支账表.xlsx"), bytes))
}

/// Imports the year's ledger from its workbook: every figure and the profile from the sheet,
/// the checklists and judgements kept as they were. All or nothing — a line that cannot be
/// read, totals that do not reconcile: refused with the row or line named, nothing written.
/// Replaces the ledger as it stands now (the import is the change), with its audit row.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn import_ledger(app: &App, ctx: &Ctx, year: i32, bytes: &[u8]) -> Result<i64> {
    use keyproj_office::workbook::ReadError;
    staff(ctx)?;
    let year = check_year(year)?;
    let sheet = keyproj_office::ledger_sheet::read(bytes).map_err(|e| match e {
        ReadError::File(m) => field_error("file", "file", m),
        ReadError::Cells(problems) => {
            let mut v = keyproj_domain::ValidationErrors::new();
            for p in problems {
                v.add(
                    &format!("row{}", p.row),
                    "cell",
                    format!("第{}行「{}」：{}", p.row, p.column, p.reason),
                );
            }
            ServiceError::Validation(v)
        }
    })?;
    let stored = ledger(app, ctx, year).await?;
    let kept = stored
        .as_ref()
        .map(|r| r.ledger.clone())
        .unwrap_or_else(Ledger::unanswered);
    let l = keyproj_domain::evaluation::sheet::ledger_of(&sheet.rows, &kept)?;
    save_ledger_via(
        app,
        ctx,
        year,
        &l,
        stored.map(|r| r.version),
        Some("import:workbook".into()),
    )
    .await
}

// ----- the indicator template of a region's year -----

/// The template the region scores `year` by: the one it adopted for the year, or the national
/// default (with None for its version).
pub async fn template_of(
    app: &App,
    region: &RegionCode,
    year: i32,
) -> Result<(Template, Option<i64>)> {
    let mut tx = app.db.begin_read().await?;
    Ok(
        match repo::kept::<Template>(&mut tx, YearDoc::Template, region, year).await? {
            Some(t) => (t.doc, Some(t.version)),
            None => (default_template(), None),
        },
    )
}

/// The year's template as the reader sees it.
pub async fn template(app: &App, ctx: &Ctx, year: i32) -> Result<(Template, Option<i64>)> {
    reader(ctx)?;
    let year = check_year(year)?;
    template_of(app, &ctx.actor.region, year).await
}

/// Adopts a template for the year (center staff): weights adding up at every level, rules
/// without gaps, grades in order, each measure once — or refused with the node named and
/// nothing written. A kept ledger must still fit it (its judgements within their tiers), and
/// an issued report keeps the score it was issued with.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn save_template(
    app: &App,
    ctx: &Ctx,
    year: i32,
    template: &Template,
    version: Option<i64>,
) -> Result<()> {
    staff(ctx)?;
    let year = check_year(year)?;
    template.validate()?;
    let region = ctx.actor.region.clone();
    let mut w = Work::begin(app, ctx).await?;
    if let Some(l) = repo::get(&mut w.tx, &region, year).await? {
        l.ledger.check_for(Some(year), template)?;
    }
    keep(
        &mut w,
        YearDoc::Template,
        "evaluation_template",
        &region,
        year,
        template,
        version,
    )
    .await?;
    w.commit().await
}

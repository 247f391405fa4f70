//! Importing the canonical workbook: all or nothing. [`check`] reads every cell into typed
//! records first; [`write`] then applies them in one transaction through the same use cases the
//! pages use, so every record changed writes its own audit row, marked with the import job.
//! Any problem — a bad cell, an unknown project, a refusal by a use case — leaves the database
//! untouched and comes back as a list of sheet, row, column, value and a Chinese reason.
//! Re-importing the same file changes nothing. Center-staff imports count as approved; a
//! changed approved month becomes a revision. [`jobs`] runs uploads in the background.

pub mod check;
pub mod jobs;
pub mod write;

use crate::work::Work;
use crate::{App, Ctx, ServiceError, require};
use keyproj_domain::authz::Action;
use keyproj_office::workbook::SheetRows;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicI64, Ordering};

pub use jobs::{JobOutcome, JobView, fail_abandoned, job, phase_label, run_job, start_job};

/// One thing wrong with the file, where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub sheet: String,
    pub row: usize,
    pub column: String,
    pub value: String,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    pub projects_created: usize,
    pub projects_updated: usize,
    pub projects_unchanged: usize,
    pub plans_created: usize,
    pub plans_updated: usize,
    pub plans_unchanged: usize,
    pub reports_created: usize,
    pub reports_revised: usize,
    pub reports_unchanged: usize,
    pub units_created: Vec<String>,
    pub leaders_created: Vec<String>,
    pub events_created: usize,
    pub signed_created: usize,
    pub signed_updated: usize,
    pub signed_unchanged: usize,
    pub approvals_created: usize,
    pub approvals_updated: usize,
    pub approvals_unchanged: usize,
}

#[derive(Debug)]
pub enum ImportError {
    /// The whole file was refused (format, limits).
    File(String),
    /// Cells or rows are wrong; nothing was written.
    Problems(Vec<Problem>),
    Service(ServiceError),
}

impl From<ServiceError> for ImportError {
    fn from(e: ServiceError) -> Self {
        ImportError::Service(e)
    }
}

impl From<keyproj_db::DbError> for ImportError {
    fn from(e: keyproj_db::DbError) -> Self {
        ImportError::Service(e.into())
    }
}

/// The problems of one sheet, collected as they are found.
pub(crate) struct Problems<'a> {
    pub sheet: &'a str,
    pub list: &'a mut Vec<Problem>,
}

impl Problems<'_> {
    pub fn add(&mut self, row: usize, column: &str, value: &str, reason: impl Into<String>) {
        self.list.push(Problem {
            sheet: self.sheet.into(),
            row,
            column: column.into(),
            // the refused value is shown (page, job result, the operator's terminal): an
            // invisible control in it shows as □, never as itself (an escape sequence)
            value: value
                .chars()
                .take(100)
                .map(|c| {
                    if keyproj_domain::error::invisible_control(c) {
                        '□'
                    } else {
                        c
                    }
                })
                .collect(),
            reason: reason.into(),
        });
    }
}

pub(crate) fn cell_problems(cells: Vec<keyproj_office::workbook::CellProblem>) -> Vec<Problem> {
    cells
        .into_iter()
        .map(|c| Problem {
            sheet: c.sheet,
            row: c.row,
            column: c.column,
            value: c.value,
            reason: c.reason,
        })
        .collect()
}

/// Reads and applies a workbook.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn import_bytes(
    app: &App,
    ctx: &Ctx,
    bytes: &[u8],
    limits: &keyproj_office::workbook::Limits,
) -> Result<Summary, ImportError> {
    match keyproj_office::workbook::read(bytes, limits) {
        Ok(sheets) => import(app, ctx, &sheets).await,
        Err(keyproj_office::workbook::ReadError::File(m)) => Err(ImportError::File(m)),
        Err(keyproj_office::workbook::ReadError::Cells(cells)) => {
            Err(ImportError::Problems(cell_problems(cells)))
        }
    }
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn import(app: &App, ctx: &Ctx, sheets: &[SheetRows]) -> Result<Summary, ImportError> {
    import_tracked(app, ctx, sheets, &Progress::default(), None).await
}

pub const PHASE_QUEUED: &str = "queued";
pub const PHASE_READING: &str = "reading";
pub const PHASE_CHECKING: &str = "checking";
pub const PHASE_WRITING: &str = "writing";

/// How far an import is: the phase and rows done of rows in all sheets. Checked and written
/// rows are counted separately (the phase says which).
#[derive(Debug, Default)]
pub struct Progress {
    phase: std::sync::Mutex<&'static str>,
    done: AtomicI64,
    total: AtomicI64,
}

impl Progress {
    pub(crate) fn set(&self, phase: &'static str, total: i64) {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner()) = phase;
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }
    pub(crate) fn tick(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }
    /// (phase, done, total)
    pub fn get(&self) -> (&'static str, i64, i64) {
        (
            *self.phase.lock().unwrap_or_else(|e| e.into_inner()),
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }
}

/// The import, reporting progress; with a job id, the audit rows name the job and its
/// successful outcome is recorded in the same transaction as the data.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn import_tracked(
    app: &App,
    ctx: &Ctx,
    sheets: &[SheetRows],
    progress: &Progress,
    job: Option<&str>,
) -> Result<Summary, ImportError> {
    require(ctx, Action::CreateProject)?;
    require(ctx, Action::ManagePlans)?;
    require(ctx, Action::ReviewReports)?;
    let rows: usize = sheets.iter().map(|s| s.rows.len()).sum();
    progress.set(PHASE_CHECKING, rows as i64);
    let records =
        check::check(sheets, app.local_today(), progress).map_err(ImportError::Problems)?;
    progress.set(PHASE_WRITING, rows as i64);
    let mut w = Work::begin(app, ctx).await?;
    w.via = Some(format!("import:{}", job.unwrap_or("cli")));
    let sum = write::write(&mut w, &records, progress).await?;
    if let Some(job) = job {
        let result =
            serde_json::to_string(&sum).map_err(|e| ServiceError::internal("import summary", e))?;
        keyproj_db::repo::jobs::finish(
            &mut w.tx,
            job,
            jobs::OUTCOME_OK,
            &result,
            rows as i64,
            w.now,
        )
        .await?;
    }
    w.commit().await?;
    Ok(sum)
}

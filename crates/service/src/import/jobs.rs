//! Import jobs: an upload runs in the background; its row carries its phase, progress and
//! heartbeat, so any instance can show it, and a job whose instance stopped is marked failed.

use super::{
    ImportError, PHASE_CHECKING, PHASE_QUEUED, PHASE_READING, PHASE_WRITING, Problem, Progress,
    Summary, cell_problems, import_tracked,
};
use crate::{App, Ctx, ServiceError, require};
use keyproj_domain::authz::Action;
use serde::Serialize;

pub const OUTCOME_OK: &str = "ok";
pub const OUTCOME_PROBLEMS: &str = "problems";
pub const OUTCOME_REFUSED: &str = "refused";
pub const OUTCOME_FAILED: &str = "failed";

/// The Chinese name of a job phase.
pub fn phase_label(phase: &str) -> &'static str {
    match phase {
        PHASE_QUEUED => "排队中",
        PHASE_READING => "读取文件",
        PHASE_CHECKING => "逐格校验",
        PHASE_WRITING => "写入数据",
        _ => "已结束",
    }
}

/// What a finished job came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum JobOutcome {
    Ok { summary: Summary },
    Problems { problems: Vec<Problem> },
    Refused { message: String },
    Failed { message: String },
}

/// A job as its owner sees it.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    pub id: String,
    pub file_name: String,
    pub phase: String,
    pub phase_label: &'static str,
    pub done: i64,
    pub total: i64,
    pub percent: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub finished: Option<JobOutcome>,
}

/// A running job beats at least this often (its progress rows are its heartbeat)…
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(5);
/// …and one silent for this long belongs to an instance that stopped.
pub const SILENT_AFTER_SECS: i64 = 60;

/// Marks failed the jobs whose instance died: at start-up (on SQLite, every job this process did
/// not start, since one server runs on a database file) and then by heartbeat age. Returns how
/// many were marked.
pub async fn fail_abandoned(app: &App, at_start: bool) -> Result<u64, ServiceError> {
    let now = app.now();
    let mut tx = app.db.begin_write().await?;
    let mut n = keyproj_db::repo::jobs::fail_silent(
        &mut tx,
        now - chrono::Duration::seconds(SILENT_AFTER_SECS),
        now,
    )
    .await?;
    if at_start && app.db.backend() == "sqlite" {
        n += keyproj_db::repo::jobs::fail_others(&mut tx, &app.instance_id, now).await?;
    }
    tx.commit().await?;
    if n > 0 {
        tracing::warn!(
            jobs = n,
            "import jobs left by a stopped instance marked failed"
        );
    }
    Ok(n)
}

/// Registers an upload as a job and starts it in the background; returns the job id at once.
/// The job's row carries its progress and heartbeat, so any instance can show it.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn start_job(
    app: &App,
    ctx: &Ctx,
    file_name: &str,
    bytes: Vec<u8>,
) -> Result<String, ServiceError> {
    require(ctx, Action::CreateProject)?;
    require(ctx, Action::ManagePlans)?;
    require(ctx, Action::ReviewReports)?;
    fail_abandoned(app, false).await?;
    let id = crate::random_token();
    let name: String = file_name.chars().take(200).collect();
    let mut tx = app.db.begin_write().await?;
    keyproj_db::repo::jobs::create(
        &mut tx,
        &keyproj_db::repo::jobs::NewJob {
            id: &id,
            region: ctx.actor.region.as_str(),
            by: &ctx.actor.username,
            file_name: &name,
            instance_id: &app.instance_id,
        },
        app.now(),
    )
    .await?;
    tx.commit().await?;
    let (app, ctx, job) = (app.clone(), ctx.clone(), id.clone());
    tokio::spawn(async move { run_job(&app, &ctx, &job, bytes).await });
    Ok(id)
}

/// Runs a registered job to its end; every outcome is recorded on the job row. While it runs,
/// its progress is also kept in this process, so its page shows real progress even while the
/// job holds SQLite's only write lock and the row cannot be updated.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn run_job(app: &App, ctx: &Ctx, job: &str, bytes: Vec<u8>) {
    // One import at a time per process: reading a large workbook holds a few hundred MB, and
    // several at once would multiply that. The others wait, shown as 排队中.
    static RUNNING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
    let progress = std::sync::Arc::new(Progress::default());
    progress.set(PHASE_QUEUED, 0);
    app.running_imports
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(job.to_string(), progress.clone());
    let finished = std::sync::Arc::new(tokio::sync::Notify::new());
    let reporter = {
        let (app, progress, finished, job) = (
            app.clone(),
            progress.clone(),
            finished.clone(),
            job.to_string(),
        );
        tokio::spawn(async move {
            let mut last = (PHASE_QUEUED, -1, -1);
            let mut beat = std::time::Instant::now();
            let mut every = tokio::time::interval(std::time::Duration::from_millis(300));
            loop {
                tokio::select! {
                    _ = finished.notified() => break,
                    _ = every.tick() => {}
                }
                let now = progress.get();
                // SQLite has one writer: while the import writes, the row would only wait.
                let blocked = now.0 == PHASE_WRITING && app.db.backend() == "sqlite";
                let due = now != last || beat.elapsed() >= HEARTBEAT;
                if due
                    && !blocked
                    && let Ok(mut tx) = app.db.begin_write().await
                {
                    let ok = keyproj_db::repo::jobs::progress(
                        &mut tx,
                        &job,
                        now.0,
                        now.1,
                        now.2,
                        app.now(),
                    )
                    .await
                    .is_ok();
                    if ok && tx.commit().await.is_ok() {
                        last = now;
                        beat = std::time::Instant::now();
                    }
                }
            }
        })
    };
    // the reporter beats while the job waits its turn, so a queued job is never taken for dead
    let _turn = RUNNING.acquire().await;
    progress.set(PHASE_READING, 0);
    let read = tokio::task::spawn_blocking(move || {
        keyproj_office::workbook::read(&bytes, &Default::default())
    })
    .await;
    let outcome = match read {
        Err(e) => Err((OUTCOME_FAILED, serde_json::json!(e.to_string()))),
        Ok(Err(keyproj_office::workbook::ReadError::File(m))) => {
            Err((OUTCOME_REFUSED, serde_json::json!(m)))
        }
        Ok(Err(keyproj_office::workbook::ReadError::Cells(cells))) => {
            Err((OUTCOME_PROBLEMS, serde_json::json!(cell_problems(cells))))
        }
        Ok(Ok(sheets)) => match import_tracked(app, ctx, &sheets, &progress, Some(job)).await {
            Ok(_) => Ok(()),
            Err(ImportError::Problems(p)) => Err((OUTCOME_PROBLEMS, serde_json::json!(p))),
            Err(ImportError::File(m)) => Err((OUTCOME_REFUSED, serde_json::json!(m))),
            // a rule the checks did not name a cell for is still the file's fault, not ours
            Err(ImportError::Service(e @ ServiceError::Validation(_))) => {
                Err((OUTCOME_REFUSED, serde_json::json!(e.to_string())))
            }
            Err(ImportError::Service(e)) => {
                tracing::error!(job, error = %e.chain(), "import job failed");
                Err((OUTCOME_FAILED, serde_json::json!(e.to_string())))
            }
        },
    };
    finished.notify_one();
    let _ = reporter.await;
    app.running_imports
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(job);
    if let Err((outcome, result)) = outcome {
        let write = async {
            let mut tx = app.db.begin_write().await?;
            let rows = progress.get().2;
            keyproj_db::repo::jobs::finish(
                &mut tx,
                job,
                outcome,
                &result.to_string(),
                rows,
                app.now(),
            )
            .await?;
            tx.commit().await
        };
        if let Err(e) = write.await {
            tracing::error!(job, error = %e, "recording the import job's outcome failed");
        }
    }
}

/// A job of the actor (others' jobs are not found).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn job(app: &App, ctx: &Ctx, id: &str) -> Result<JobView, ServiceError> {
    let mut tx = app.db.begin_read().await?;
    let mut row = keyproj_db::repo::jobs::get(&mut tx, id)
        .await?
        .filter(|r| r.created_by == ctx.actor.username)
        .ok_or(ServiceError::NotFound)?;
    drop(tx);
    if row.outcome.is_none() {
        let local = app
            .running_imports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .map(|p| p.get());
        match local {
            // running here: the live figures, even while the row cannot be written
            Some((phase, done, total)) => {
                row.phase = phase.to_string();
                row.done = done;
                row.total = total;
            }
            // running elsewhere, or nowhere: a silent job is marked failed now
            None => {
                let silent = row.heartbeat_at.unwrap_or(row.created_at)
                    < app.now() - chrono::Duration::seconds(SILENT_AFTER_SECS);
                if silent && fail_abandoned(app, false).await? > 0 {
                    let mut tx = app.db.begin_read().await?;
                    if let Some(r) = keyproj_db::repo::jobs::get(&mut tx, id).await? {
                        row = r;
                    }
                }
            }
        }
    }
    let text = row.result.clone().unwrap_or_default();
    let message = || serde_json::from_str::<String>(&text).unwrap_or_default();
    let finished = match row.outcome.as_deref() {
        None => None,
        Some(OUTCOME_OK) => Some(JobOutcome::Ok {
            summary: serde_json::from_str(&text).unwrap_or_default(),
        }),
        Some(OUTCOME_PROBLEMS) => Some(JobOutcome::Problems {
            problems: serde_json::from_str(&text).unwrap_or_default(),
        }),
        Some(OUTCOME_REFUSED) => Some(JobOutcome::Refused { message: message() }),
        Some(_) => Some(JobOutcome::Failed { message: message() }),
    };
    let percent = if finished.is_some() {
        100
    } else if row.total > 0 {
        // checking is the first half of the bar, writing the second
        let part = row.done.min(row.total) * 50 / row.total;
        if row.phase == PHASE_WRITING {
            50 + part
        } else {
            part
        }
    } else {
        0
    };
    Ok(JobView {
        phase_label: phase_label(if finished.is_some() {
            "done"
        } else {
            &row.phase
        }),
        id: row.id,
        file_name: row.file_name,
        phase: row.phase,
        done: row.done,
        total: row.total,
        percent,
        created_at: row.created_at,
        finished,
    })
}

//! Supervision (督办): the daily evaluation of every open item against its deadline — 蓝
//! reminders, 黄 and 红 督办函 with the 约谈 flag — and the delivery of notifications to the
//! webhook with retries. Safe with several instances: the daily run is claimed once per day in
//! the database, a letter exists at most once per item and kind (a unique index), and an outbox
//! entry is claimed before each attempt.

use crate::problems::{DATE, DocContent, DocItem, calendar_tx, center_unit, notify, rules_tx};
use crate::{App, Ctx, Result, ServiceError, audit, require};
use chrono::{Datelike, NaiveDate};
use keyproj_db::repo::problems as repo;
use keyproj_domain::RegionCode;
use keyproj_domain::authz::Action;
use keyproj_domain::problem::{Alert, State, Watched, supervise};
use serde::Serialize;

/// What one evaluation did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Run {
    /// False when another instance already ran today (daily runs only).
    pub ran: bool,
    pub examined: usize,
    pub blue: usize,
    pub yellow: usize,
    pub red: usize,
    /// Items whose notice could not be issued (logged); the others were issued regardless.
    pub failed: usize,
}

/// Items are handled in batches of this many per transaction, each item in its own savepoint.
const BATCH: usize = 500;

/// Staff start an evaluation now ("on demand").
pub async fn run_now(app: &App, ctx: &Ctx) -> Result<Run> {
    require(ctx, Action::ManageProblems)?;
    evaluate(app, &ctx.actor.region, app.local_today(), false).await
}

/// The daily run of a region: only the first instance to claim the day evaluates.
pub async fn run_daily(app: &App, region: &RegionCode) -> Result<Run> {
    evaluate(app, region, app.local_today(), true).await
}

/// Evaluates every open item of the region. One item that cannot be handled never fails the
/// run: it is rolled back to its savepoint, logged and counted in [`Run::failed`]. A daily run
/// that fails as a whole (the database away) gives its day back, so the next tick runs it.
pub async fn evaluate(
    app: &App,
    region: &RegionCode,
    today: NaiveDate,
    daily: bool,
) -> Result<Run> {
    let day = today.format(DATE).to_string();
    let job = format!("supervision:{region}");
    if daily {
        let mut tx = app.db.begin_write().await?;
        let claimed = repo::claim_day(&mut tx, &job, &day, app.now()).await?;
        tx.commit().await?;
        if !claimed {
            return Ok(Run::default());
        }
    }
    let result = evaluate_claimed(app, region, today).await;
    if daily && result.is_err() {
        let give_back = async {
            let mut tx = app.db.begin_write().await?;
            repo::unclaim_day(&mut tx, &job, &day).await?;
            tx.commit().await
        };
        if let Err(e) = give_back.await {
            tracing::error!(error = %e, "giving back the supervision day failed");
        }
    }
    result
}

async fn evaluate_claimed(app: &App, region: &RegionCode, today: NaiveDate) -> Result<Run> {
    let mut run = Run {
        ran: true,
        ..Run::default()
    };
    let day = today.format(DATE).to_string();
    let ctx = Ctx::system(region.clone());
    let (rules, cal, candidates) = {
        let mut tx = app.db.begin_read().await?;
        let (rules, _) = rules_tx(&mut tx, region, today.year()).await?;
        let cal = calendar_tx(&mut tx, region.as_str(), today).await?;
        // only items whose deadline falls inside the reminder window or earlier can earn a notice
        let cutoff = cal.add_days(today, rules.remind_days_before, rules.day_count);
        let rows = repo::watched(&mut tx, region, &cutoff.format(DATE).to_string()).await?;
        (rules, cal, rows)
    };
    run.examined = candidates.len();
    let mut due = vec![];
    for r in candidates {
        let Some(deadline) = NaiveDate::parse_from_str(&r.deadline, DATE).ok() else {
            continue;
        };
        let w = Watched {
            state: State::from_input(&r.state).unwrap_or(State::Assigned),
            deadline,
            blue_sent: !r.alert.is_empty(),
            yellow_reply_by: r
                .yellow_reply_by
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, DATE).ok()),
            red_sent: r.alert == "red",
        };
        if let Some(notice) = supervise(&w, today, &rules, &cal) {
            due.push((r, notice));
        }
    }
    for chunk in due.chunks(BATCH) {
        let mut tx = app.db.begin_write().await?;
        let center = center_unit(&mut tx, region).await?;
        let mut done = vec![];
        for (r, (alert, reply_by)) in chunk {
            tx.savepoint("supervised_item").await?;
            let issued =
                issue_notice(app, &mut tx, &rules, center, r, *alert, *reply_by, &day).await;
            match issued {
                Ok(number) => {
                    tx.release("supervised_item").await?;
                    match alert {
                        Alert::Blue => run.blue += 1,
                        Alert::Yellow => run.yellow += 1,
                        Alert::Red => run.red += 1,
                    }
                    done.push(serde_json::json!({ "item": r.id, "alert": alert.key(), "document": number }));
                }
                Err(e) => {
                    tx.rollback_to("supervised_item").await?;
                    tx.release("supervised_item").await?;
                    run.failed += 1;
                    tracing::error!(item = r.id, number = %r.number, error = %e, "supervision of one item failed; the others go on");
                }
            }
        }
        if !done.is_empty() {
            audit(
                app,
                &mut tx,
                &ctx,
                "supervise",
                "problem_items",
                None,
                None::<&()>,
                Some(&serde_json::json!({ "day": day, "notices": done })),
            )
            .await?;
        }
        tx.commit().await?;
    }
    Ok(run)
}

/// Issues one item's notice: the numbered letter (one per item, kind and deadline), the alert on
/// the item, the notifications and the event. Returns the letter's number.
#[allow(clippy::too_many_arguments)]
async fn issue_notice(
    app: &App,
    tx: &mut keyproj_db::Tx,
    rules: &keyproj_domain::problem::SupervisionRules,
    center: i64,
    r: &repo::WatchedRow,
    alert: Alert,
    reply_by: Option<NaiveDate>,
    day: &str,
) -> Result<String> {
    let reply_by = reply_by.map(|d| d.format(DATE).to_string());
    let item = repo::get_item(tx, r.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let red = alert == Alert::Red;
    let blue = alert == Alert::Blue;
    let content = DocContent {
        recipient: item.handler_unit_name.clone().unwrap_or_default(),
        assisting: String::new(),
        leader: item.leader_name.clone().unwrap_or_default(),
        intro: if blue {
            format!(
                "你单位承办的下列事项办理时限为{}，即将到期。请抓紧办理，按时办结并书面反馈；确需延期的，请在时限届满前提出延期申请。",
                item.deadline.clone().unwrap_or_default()
            )
        } else if red {
            format!(
                "你单位承办的下列事项经黄色督办后仍未办结（答复期限{}），现予红色督办。请立即办理并书面说明原因；县重点项目建设事务中心将提请交办领导约谈你单位主要负责人。",
                item.yellow_reply_by.clone().unwrap_or_default()
            )
        } else {
            format!(
                "你单位承办的下列事项已超过办理时限（{}）仍未办结，现予黄色督办。请于{}前办结并书面反馈；逾期仍未办结的，将发出红色督办函并提请约谈。",
                item.deadline.clone().unwrap_or_default(),
                reply_by.clone().unwrap_or_default()
            )
        },
        items: vec![DocItem::of(&item)],
        closing: if blue {
            "特此提醒。"
        } else {
            "特此督办。"
        }
        .into(),
    };
    let json =
        serde_json::to_string(&content).map_err(|e| ServiceError::internal("内部处理", e))?;
    let year = NaiveDate::parse_from_str(day, DATE)
        .map(|d| d.year())
        .unwrap_or(2000);
    let (doc, number) = repo::insert_document(
        tx,
        &repo::NewDocument {
            region_code: &item.region_code,
            kind: match alert {
                Alert::Blue => "letter_blue",
                Alert::Yellow => "letter_yellow",
                Alert::Red => "letter_red",
            },
            series: "letter",
            year: year as i64,
            prefix: &rules.letter_prefix,
            fixed_number: None,
            item_id: Some(item.id),
            meeting_id: None,
            recipient_unit_id: item.handler_unit_id,
            title: match alert {
                Alert::Blue => "重点项目蓝色提醒函",
                Alert::Yellow => "重点项目黄色督办函",
                Alert::Red => "重点项目红色督办函",
            },
            content: &json,
            reply_by: reply_by.as_deref(),
            issued_on: day,
            issued_by: "system",
            // after an extension the ladder starts again: new letters for the new deadline
            for_deadline: item.deadline.as_deref().unwrap_or(""),
        },
        app.now(),
    )
    .await?;
    repo::set_alert(tx, item.id, alert.key(), reply_by.as_deref(), red).await?;
    if red {
        let leader = item
            .leader_name
            .clone()
            .unwrap_or_else(|| "交办领导".into());
        notify(
            app,
            tx,
            &item.region_code,
            center,
            "interview",
            Some(item.id),
            Some(doc),
            &format!(
                "{}：已发红色督办函，请提请{leader}约谈{}",
                item.number,
                item.handler_unit_name.clone().unwrap_or_default()
            ),
        )
        .await?;
    }
    let text = if blue {
        format!(
            "{}：“{}”将于{}到期，请抓紧办理（{number}）",
            r.number, r.title, r.deadline
        )
    } else {
        format!(
            "{}：收到{}（{number}），事项“{}”",
            r.number,
            alert.label(),
            r.title
        )
    };
    notify(
        app,
        tx,
        &r.region_code,
        r.handler_unit_id,
        alert.key(),
        Some(r.id),
        Some(doc),
        &text,
    )
    .await?;
    repo::insert_event(
        tx,
        r.id,
        "system",
        0,
        &format!("alert_{}", alert.key()),
        &text,
        &r.state,
        &r.state,
        reply_by.as_deref(),
        app.now(),
    )
    .await?;
    Ok(number)
}

// --- webhook -----------------------------------------------------------------------------

/// What one delivery pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub delivered: usize,
    pub failed: usize,
}

/// The wait before the next attempt after `attempts` failures: 30 s doubling, at most 6 hours.
/// Entries are never given up: a receiver that is down gets every message once it is back.
pub fn backoff(attempts: i64) -> chrono::Duration {
    let secs = 30i64.saturating_mul(1i64 << attempts.clamp(0, 20));
    chrono::Duration::seconds(secs.min(6 * 3600))
}

/// The signature header value: `sha256=` and the hex HMAC-SHA256 of the body.
pub fn signature(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Sends every due outbox entry once.
pub async fn deliver_due(app: &App) -> Result<Delivery> {
    let mut out = Delivery::default();
    let Some(hook) = app.cfg.webhook.clone() else {
        return Ok(out);
    };
    crate::install_tls_provider();
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| ServiceError::internal("内部处理", e))?;
    let due = {
        let mut tx = app.db.begin_read().await?;
        repo::outbox_due(&mut tx, app.now(), 100).await?
    };
    for e in due {
        // claim: push the next attempt out so that another instance leaves it alone
        let claimed = {
            let mut tx = app.db.begin_write().await?;
            let ok = repo::claim_outbox(
                &mut tx,
                e.id,
                e.next_attempt_at,
                app.now() + chrono::Duration::minutes(2),
            )
            .await?;
            tx.commit().await?;
            ok
        };
        if !claimed {
            continue;
        }
        let sent = client
            .post(&hook.url)
            .header("content-type", "application/json")
            .header(
                "x-keyproj-signature",
                signature(&hook.secret, e.payload.as_bytes()),
            )
            .header("x-keyproj-delivery", e.id.to_string())
            .body(e.payload.clone())
            .send()
            .await;
        let (status, error) = match sent {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16() as i64), String::new()),
            Ok(r) => (
                Some(r.status().as_u16() as i64),
                format!("HTTP {}", r.status().as_u16()),
            ),
            Err(err) => (None, err.to_string().chars().take(300).collect()),
        };
        let ok = error.is_empty();
        let now = app.now();
        let mut tx = app.db.begin_write().await?;
        repo::record_attempt(
            &mut tx,
            e.id,
            status,
            &error,
            ok,
            now + backoff(e.attempts),
            now,
        )
        .await?;
        tx.commit().await?;
        if ok {
            out.delivered += 1;
        } else {
            out.failed += 1;
        }
    }
    Ok(out)
}

/// The outbox and delivery log for the 安全/系统 pages.
pub async fn deliveries(
    app: &App,
    ctx: &Ctx,
) -> Result<(Vec<repo::OutboxRow>, Vec<repo::AttemptRow>)> {
    require(ctx, Action::ManageProblems)?;
    let mut tx = app.db.begin_read().await?;
    Ok((
        repo::outbox(&mut tx, 100).await?,
        repo::attempts(&mut tx, 200).await?,
    ))
}

/// The background loop of `keyproj serve`: supervision once a day from 08:00 local time (the
/// first instance to claim the day); every 15 seconds webhook deliveries, import jobs whose
/// instance fell silent marked failed, and stale login-failure counts forgotten.
pub fn spawn_background(app: App) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(15));
        // the day this instance last saw claimed (by itself or another): no need to ask again
        let mut settled: Option<NaiveDate> = None;
        loop {
            tick.tick().await;
            let local_hour = (app.clock.now() + chrono::Duration::hours(8)).hour();
            let today = app.local_today();
            if local_hour >= 8 && settled != Some(today) {
                match run_daily(&app, &app.cfg.default_region).await {
                    Ok(_) => settled = Some(today),
                    Err(e) => tracing::error!(error = %e, "supervision run failed"),
                }
            }
            if let Err(e) = deliver_due(&app).await {
                tracing::error!(error = %e, "webhook delivery failed");
            }
            if let Err(e) = crate::import::fail_abandoned(&app, false).await {
                tracing::error!(error = %e, "marking abandoned import jobs failed");
            }
            if let Err(e) = crate::auth::forget_old_failures(&app).await {
                tracing::error!(error = %e, "purging login failure counts");
            }
            if let Err(e) = crate::audit_log::record_anchor(&app).await {
                tracing::error!(error = %e, "recording the audit anchor");
            }
        }
    });
}

use chrono::Timelike;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(0), chrono::Duration::seconds(30));
        assert_eq!(backoff(1), chrono::Duration::seconds(60));
        assert_eq!(backoff(5), chrono::Duration::seconds(960));
        assert_eq!(backoff(40), chrono::Duration::hours(6));
    }

    #[test]
    fn signature_is_hmac_sha256_hex() {
        // RFC 4231 test case 2
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

/// What `keyproj bench-problems` measured.
#[derive(Debug, Clone, Serialize)]
pub struct ProblemBench {
    pub items: usize,
    pub open: usize,
    pub units: usize,
    pub generate_secs: f64,
    pub stats_ms: f64,
    pub first_run: Run,
    pub first_run_secs: f64,
    pub second_run: Run,
    pub second_run_ms: f64,
    pub list_overdue_ms: f64,
}

/// Generates `items` problem-list items in the home region (`open` of them still with their
/// units, deadlines from 30 days ago to 60 days ahead; the rest closed, a tenth of them late),
/// handled by 60 units; then times the per-unit statistics, the first supervision run of the
/// day (letters for every overdue item), a second run the same day, and the overdue list page.
pub async fn bench_problems(app: &App, items: usize, open: usize) -> Result<ProblemBench> {
    use keyproj_db::repo::{org, problems as repo};
    let region = app.cfg.default_region.clone();
    let started = std::time::Instant::now();
    crate::users::bootstrap_admin(app).await?;
    let today = app.local_today();
    let year = today.year();
    let mut tx = app.db.begin_write().await?;
    let center = crate::problems::center_unit(&mut tx, &region).await?;
    let mut units = vec![];
    for i in 0..60 {
        let name = format!("测试承办单位{i:02}");
        let id = match org::find_unit_by_name(&mut tx, region.as_str(), &name).await? {
            Some(u) => u.id,
            None => {
                org::insert_unit(
                    &mut tx,
                    &org::NewUnit {
                        region_code: region.as_str(),
                        name: &name,
                        kind: "department",
                        contact: "",
                        phone: "",
                        sort_order: 100,
                    },
                    app.now(),
                )
                .await?
            }
        };
        units.push(id);
    }
    tx.commit().await?;
    let sources = [
        "topic_meeting",
        "site_meeting",
        "daily_patrol",
        "monthly_report",
        "owner_report",
    ];
    let categories = [
        "land",
        "demolition",
        "approval",
        "funding",
        "utilities",
        "environment",
        "other",
    ];
    let jan1 = NaiveDate::from_ymd_opt(year, 1, 1).expect("date");
    let span = (today - jan1).num_days().max(1);
    let mut rows = Vec::with_capacity(items);
    for i in 0..items {
        let closed = i >= open;
        let (raised, deadline) = if closed {
            let r = jan1 + chrono::Duration::days((i as i64 * 7919) % span);
            (r, r + chrono::Duration::days(14))
        } else {
            let d = today + chrono::Duration::days((i as i64 % 91) - 30);
            (d - chrono::Duration::days(14), d)
        };
        let late = i % 10 == 0;
        let closed_on = closed.then(|| {
            let c = raised + chrono::Duration::days(if late { 20 } else { 9 });
            c.min(today)
        });
        rows.push(repo::BulkItem {
            seq: i as i64 + 1,
            source: sources[i % sources.len()],
            category: categories[i % categories.len()],
            handler_unit_id: units[i % units.len()],
            raised_on: raised.max(jan1).format(DATE).to_string(),
            state: if closed {
                "closed"
            } else if i % 2 == 0 {
                "assigned"
            } else {
                "in_progress"
            },
            deadline: deadline.format(DATE).to_string(),
            close_days: closed_on.map(|c| (c - raised).num_days()),
            closed_on: closed_on.map(|c| c.format(DATE).to_string()),
        });
    }
    for chunk in rows.chunks(20_000) {
        let mut tx = app.db.begin_write().await?;
        repo::insert_items_bulk(
            &mut tx,
            region.as_str(),
            year as i64,
            "桃重项交",
            center,
            chunk,
            app.now(),
        )
        .await?;
        tx.commit().await?;
    }
    app.db.optimize().await?;
    let generate_secs = started.elapsed().as_secs_f64();
    let ctx = Ctx::system(region.clone());
    let t = std::time::Instant::now();
    crate::problems::stats(app, &ctx, year, None).await?;
    let stats_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = std::time::Instant::now();
    let first_run = evaluate(app, &region, today, false).await?;
    let first_run_secs = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let second_run = evaluate(app, &region, today, false).await?;
    let second_run_ms = t.elapsed().as_secs_f64() * 1000.0;
    let mut f = crate::problems::filter_for(&ctx)?;
    f.overdue_on = Some(today.format(DATE).to_string());
    let t = std::time::Instant::now();
    crate::problems::list(app, &ctx, &f).await?;
    let list_overdue_ms = t.elapsed().as_secs_f64() * 1000.0;
    Ok(ProblemBench {
        items,
        open,
        units: units.len(),
        generate_secs,
        stats_ms,
        first_run,
        first_run_secs,
        second_run,
        second_run_ms,
        list_overdue_ms,
    })
}

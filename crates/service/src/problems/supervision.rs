//! Supervision (督办): the daily evaluation of every open item against its deadline — 蓝
//! reminders, 黄 and 红 督办函 with the 约谈 flag — with its rules and working-day calendar,
//! both data per region and year. Safe with several instances: the daily run is claimed once
//! per day in the database, and a letter exists at most once per item, kind and deadline.

use super::documents::{DocContent, DocItem};
use crate::notifications::{Notice, notify_in};
use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, require};
use chrono::{Datelike, NaiveDate};
use keyproj_db::repo::jobs;
use keyproj_db::repo::problems::documents::{self as doc_repo, NewDocument};
use keyproj_db::repo::problems::items::{self as item_repo, WatchedRow};
use keyproj_db::repo::problems::supervision::{self as repo, HolidayRow};
use keyproj_db::repo::problems::workflow::{self as log_repo, NewEvent};
use keyproj_domain::authz::Action;
use keyproj_domain::ids::UnitId;
use keyproj_domain::month::chinese_date;
use keyproj_domain::notification::NotificationKind;
use keyproj_domain::problem::{
    Alert, DocumentKind, EventKind, HolidayKind, SupervisionRules, Watched, default_holidays,
    supervise,
};
use keyproj_domain::{RegionCode, ValidationErrors};
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
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
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
    let job = format!("supervision:{region}");
    if daily {
        let mut tx = app.db.begin_write().await?;
        let claimed = jobs::claim_day(&mut tx, &job, today, app.now()).await?;
        tx.commit().await?;
        if !claimed {
            return Ok(Run::default());
        }
    }
    let result = evaluate_claimed(app, region, today).await;
    if daily && result.is_err() {
        let give_back = async {
            let mut tx = app.db.begin_write().await?;
            jobs::unclaim_day(&mut tx, &job, today).await?;
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
    let ctx = Ctx::system(region.clone());
    let (rules, candidates, due) = {
        let mut tx = app.db.begin_read().await?;
        let (rules, _) = crate::rules::supervision_in(&mut tx, region, today.year()).await?;
        let cal = crate::rules::calendar_in(&mut tx, region, today).await?;
        // only items whose deadline falls inside the reminder window or earlier can earn a notice
        let cutoff = cal.add_days(today, rules.remind_days_before, rules.day_count);
        let rows = item_repo::watched(&mut tx, region, cutoff).await?;
        let n = rows.len();
        let due: Vec<(WatchedRow, (Alert, Option<NaiveDate>))> = rows
            .into_iter()
            .filter_map(|r| {
                let w = Watched {
                    state: r.state,
                    deadline: r.deadline,
                    blue_sent: r.alert.is_some(),
                    yellow_reply_by: r.yellow_reply_by,
                    red_sent: r.alert == Some(Alert::Red),
                };
                supervise(&w, today, &rules, &cal).map(|notice| (r, notice))
            })
            .collect();
        (rules, n, due)
    };
    run.examined = candidates;
    for chunk in due.chunks(BATCH) {
        let mut w = Work::begin(app, &ctx).await?;
        let center = crate::org::center_unit_in(&mut w.tx, region).await?;
        let mut done = vec![];
        for (r, (alert, reply_by)) in chunk {
            w.savepoint("supervised_item").await?;
            let notice = Earned {
                alert: *alert,
                reply_by: *reply_by,
            };
            match issue_notice(&mut w, &rules, center, r, notice).await {
                Ok(number) => {
                    w.release("supervised_item").await?;
                    match alert {
                        Alert::Blue => run.blue += 1,
                        Alert::Yellow => run.yellow += 1,
                        Alert::Red => run.red += 1,
                    }
                    done.push(serde_json::json!({ "item": r.id, "alert": alert.key(), "document": number }));
                }
                Err(e) => {
                    w.roll_back_to("supervised_item").await?;
                    run.failed += 1;
                    tracing::error!(item = %r.id, number = %r.number, error = %e.chain(), "supervision of one item failed; the others go on");
                }
            }
        }
        if !done.is_empty() {
            w.audit(
                Audit::new("supervise", "problem_items")
                    .after(&serde_json::json!({ "day": today, "notices": done })),
            )
            .await?;
        }
        w.commit().await?;
    }
    Ok(run)
}

/// The step of the ladder an item has earned today.
#[derive(Debug, Clone, Copy)]
struct Earned {
    alert: Alert,
    /// A 黄 letter's reply date.
    reply_by: Option<NaiveDate>,
}

fn letter_intro(alert: Alert, deadline: &str, yellow_reply_by: &str, reply_by: &str) -> String {
    match alert {
        Alert::Blue => format!(
            "你单位承办的下列事项办理时限为{deadline}，即将到期。请抓紧办理，按时办结并书面反馈；确需延期的，请在时限届满前提出延期申请。"
        ),
        Alert::Red => format!(
            "你单位承办的下列事项经黄色督办后仍未办结（答复期限{yellow_reply_by}），现予红色督办。请立即办理并书面说明原因；县重点项目建设事务中心将提请交办领导约谈你单位主要负责人。"
        ),
        Alert::Yellow => format!(
            "你单位承办的下列事项已超过办理时限（{deadline}）仍未办结，现予黄色督办。请于{reply_by}前办结并书面反馈；逾期仍未办结的，将发出红色督办函并提请约谈。"
        ),
    }
}

/// Issues one item's notice: the numbered letter (one per item, kind and deadline), the alert on
/// the item, the notifications and the log line. Returns the letter's number.
async fn issue_notice(
    w: &mut Work<'_>,
    rules: &SupervisionRules,
    center: UnitId,
    r: &WatchedRow,
    n: Earned,
) -> Result<String> {
    let item = item_repo::get_item(&mut w.tx, r.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let show = |d: Option<NaiveDate>| d.map(chinese_date).unwrap_or_default();
    let kind = DocumentKind::letter(n.alert);
    let (issuer, contact) =
        crate::problems::documents::issuer_in(&mut w.tx, &item.region_code).await?;
    let content = DocContent {
        issuer,
        contact,
        recipient: item.handler_unit_name.clone().unwrap_or_default(),
        assisting: String::new(),
        leader: item.leader_name.clone().unwrap_or_default(),
        intro: letter_intro(
            n.alert,
            &show(item.deadline),
            &show(item.yellow_reply_by),
            &show(n.reply_by),
        ),
        items: vec![DocItem::of(&item)],
        closing: if n.alert == Alert::Blue {
            "特此提醒。"
        } else {
            "特此督办。"
        }
        .into(),
    };
    let today = w.today();
    let (doc, number) = doc_repo::insert_document(
        &mut w.tx,
        &NewDocument {
            region_code: &item.region_code,
            kind,
            year: today.year(),
            prefix: &rules.letter_prefix,
            fixed_number: None,
            item_id: Some(item.id),
            meeting_id: None,
            recipient_unit_id: item.handler_unit_id,
            title: kind.title(),
            content: &content.to_json(),
            reply_by: n.reply_by,
            issued_on: today,
            issued_by: "system",
            // after an extension the ladder starts again: new letters for the new deadline
            for_deadline: item.deadline,
        },
        w.now,
    )
    .await?;
    let red = n.alert == Alert::Red;
    item_repo::set_alert(&mut w.tx, item.id, n.alert, n.reply_by, red).await?;
    if red {
        let leader = item
            .leader_name
            .clone()
            .unwrap_or_else(|| "交办领导".into());
        let text = format!(
            "{}：已发红色督办函，请提请{leader}约谈{}",
            item.number,
            item.handler_unit_name.clone().unwrap_or_default()
        );
        notify_in(
            w,
            &item.region_code,
            &Notice {
                link: String::new(),
                unit: center,
                kind: NotificationKind::Interview,
                item: Some(item.id),
                document: Some(doc),
                text,
            },
        )
        .await?;
    }
    let text = if n.alert == Alert::Blue {
        format!(
            "{}：“{}”将于{}到期，请抓紧办理（{number}）",
            r.number, r.title, r.deadline
        )
    } else {
        format!(
            "{}：收到{}（{number}），事项“{}”",
            r.number,
            n.alert.label(),
            r.title
        )
    };
    notify_in(
        w,
        &r.region_code,
        &Notice {
            link: String::new(),
            unit: r.handler_unit_id,
            kind: NotificationKind::of_alert(n.alert),
            item: Some(r.id),
            document: Some(doc),
            text: text.clone(),
        },
    )
    .await?;
    log_repo::insert_event(
        &mut w.tx,
        &NewEvent {
            item_id: r.id,
            actor: "system",
            actor_unit_id: None,
            kind: EventKind::Alert(n.alert),
            note: &text,
            from_state: Some(r.state),
            to_state: r.state,
            deadline: n.reply_by,
        },
        w.now,
    )
    .await?;
    Ok(number)
}

// --- rules and calendar ------------------------------------------------------------------

/// The rules in force for the actor's region and a year, and the version of its own stored
/// rules (0: inherited or the defaults).
#[derive(Debug, Clone, Serialize)]
pub struct RulesInForce {
    pub rules: SupervisionRules,
    pub version: i64,
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn rules(app: &App, ctx: &Ctx, year: i32) -> Result<RulesInForce> {
    require(ctx, Action::ViewProblems)?;
    let mut tx = app.db.begin_read().await?;
    let (rules, version) = crate::rules::supervision_in(&mut tx, &ctx.actor.region, year).await?;
    Ok(RulesInForce { rules, version })
}

/// Saves the region's rules of a year if `version` is the one the editor read.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn save_rules(
    app: &App,
    ctx: &Ctx,
    year: i32,
    rules: &SupervisionRules,
    version: i64,
) -> Result<()> {
    require(ctx, Action::ManageProblems)?;
    rules.validate()?;
    let region = &ctx.actor.region;
    let mut w = Work::begin(app, ctx).await?;
    let (before, _) = crate::rules::supervision_in(&mut w.tx, region, year).await?;
    if !repo::save_rules(
        &mut w.tx,
        region,
        year,
        rules,
        version,
        &ctx.actor.username,
        w.now,
    )
    .await?
    {
        return Err(ServiceError::Stale);
    }
    w.audit(
        Audit::new("save", "supervision_rules")
            .id(format!("{region}/{year}"))
            .before(&before)
            .after(rules),
    )
    .await?;
    w.commit().await?;
    Ok(())
}

/// A year's calendar as shown on the page: the stored rows, or the defaults.
#[derive(Debug, Clone, Serialize)]
pub struct YearCalendar {
    pub days: Vec<HolidayRow>,
    /// False: nothing stored, these are the defaults.
    pub stored: bool,
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn holidays(app: &App, ctx: &Ctx, year: i32) -> Result<YearCalendar> {
    require(ctx, Action::ViewProblems)?;
    let mut tx = app.db.begin_read().await?;
    let days = repo::holidays(&mut tx, &ctx.actor.region, year).await?;
    if !days.is_empty() {
        return Ok(YearCalendar { days, stored: true });
    }
    let (h, w) = default_holidays(year);
    let mut days: Vec<HolidayRow> = h
        .into_iter()
        .map(|(day, name)| HolidayRow {
            day,
            kind: HolidayKind::Holiday,
            name: name.into(),
        })
        .chain(w.into_iter().map(|day| HolidayRow {
            day,
            kind: HolidayKind::Workday,
            name: "调休上班".into(),
        }))
        .collect();
    days.sort_by_key(|d| d.day);
    Ok(YearCalendar {
        days,
        stored: false,
    })
}

/// Reads calendar lines `2022-10-01 国庆节` (a holiday) or `2022-10-08 上班` (a makeup working
/// day) of one year; every bad line is named.
pub fn parse_holidays(year: i32, text: &str) -> Result<Vec<HolidayRow>, ValidationErrors> {
    let mut rows = vec![];
    let mut errs = ValidationErrors::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (day, name) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let name = name.trim();
        match NaiveDate::parse_from_str(day, "%Y-%m-%d") {
            Ok(d) if d.year() != year => {
                errs.add("days", "year", format!("第{}行：{day} 不在{year}年", i + 1));
            }
            Ok(d) if seen.insert(d) => rows.push(HolidayRow {
                day: d,
                kind: if name.contains("上班") {
                    HolidayKind::Workday
                } else {
                    HolidayKind::Holiday
                },
                name: if name.is_empty() { "节假日" } else { name }
                    .chars()
                    .filter(|c| !keyproj_domain::error::invisible_control(*c))
                    .take(20)
                    .collect(),
            }),
            Ok(_) => errs.add("days", "duplicate", format!("第{}行：{day} 重复", i + 1)),
            Err(_) => errs.add(
                "days",
                "date",
                format!("第{}行：“{day}”不是日期（格式 2022-10-01 国庆节）", i + 1),
            ),
        }
    }
    errs.into_result().map(|_| rows)
}

/// Replaces a year's calendar of the actor's region.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn save_holidays(app: &App, ctx: &Ctx, year: i32, text: &str) -> Result<usize> {
    require(ctx, Action::ManageProblems)?;
    let rows = parse_holidays(year, text)?;
    let region = &ctx.actor.region;
    let mut w = Work::begin(app, ctx).await?;
    let before = repo::holidays(&mut w.tx, region, year).await?;
    repo::replace_holidays(&mut w.tx, region, year, &rows).await?;
    w.audit(
        Audit::new("save", "holidays")
            .id(format!("{region}/{year}"))
            .before(&before)
            .after(&rows),
    )
    .await?;
    w.commit().await?;
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_lines_are_read_and_every_bad_one_named() {
        let rows = parse_holidays(2022, "2022-10-01 国庆节\n\n2022-10-08 上班\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].kind, HolidayKind::Workday);
        let e = parse_holidays(2022, "2021-10-01 x\n2022-10-01\n2022-10-01\nabc").unwrap_err();
        let msgs: Vec<&str> = e.0.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(
            msgs[0].contains("第1行") && msgs[1].contains("第3行") && msgs[2].contains("第4行")
        );
    }
}

//! 《重点项目建设简报》 (issue #12): staff compose a draft — a head, sections of editorial text
//! and computed blocks, and the tasks it assigns — and issue it. Issuing numbers it (第N期 of
//! the year), snapshots every computed block from the records as they stand, and turns each task
//! into a problem-list item with source 简报, assigned in the same step; the issued row never
//! changes again (the database refuses). Staff and county leaders read every briefing; a unit's
//! users read the issued ones; nobody else finds them.

use crate::problems::items::{self, Origin};
use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, field_error};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use keyproj_db::Tx;
use keyproj_db::repo::briefings::{self as repo, BriefingRow};
use keyproj_db::repo::problems::items as item_repo;
use keyproj_domain::authz::Role;
use keyproj_domain::briefing::{
    self as domain, BlockKind, BriefingState, Content, HeadDraft, IssuedTask, MAX_TASKS, Rendered,
    Section, SectionDraft, TaskDraft,
};
use keyproj_domain::colour::Colour;
use keyproj_domain::ids::UnitId;
use keyproj_domain::problem::{AssignDraft, ItemDraft, Source};
use keyproj_domain::{FieldError, ValidationErrors};
use serde::Serialize;
use std::collections::HashSet;

/// The masthead's name of the publication.
pub const PUBLICATION: &str = "重点项目建设简报";

fn staff(ctx: &Ctx) -> Result<()> {
    if ctx.actor.has(Role::CenterStaff) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

/// Staff and leaders read drafts too; unit users the issued briefings; others nothing.
fn reads_drafts(ctx: &Ctx) -> Result<bool> {
    let a = &ctx.actor;
    if a.has(Role::CenterStaff) || a.has(Role::CountyLeader) {
        Ok(true)
    } else if a.has(Role::UnitUser) {
        Ok(false)
    } else {
        Err(ServiceError::NotFound)
    }
}

/// A briefing of the actor's region that the actor may read, else not found.
async fn visible(tx: &mut Tx, ctx: &Ctx, id: i64) -> Result<BriefingRow> {
    let drafts = reads_drafts(ctx)?;
    repo::get(tx, id)
        .await?
        .filter(|b| b.region_code == ctx.actor.region)
        .filter(|b| drafts || b.state == BriefingState::Issued)
        .ok_or(ServiceError::NotFound)
}

/// What a composer sends: the head, the sections in order and the tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Compose {
    #[serde(flatten)]
    pub head: HeadDraft,
    pub sections: Vec<SectionDraft>,
    #[serde(default)]
    pub tasks: Vec<TaskDraft>,
}

/// Checks a composition at once: the head, the sections, each task's fields, its unit (one of
/// the region's: another county's is unknown) and its deadline (not past).
async fn check(
    tx: &mut Tx,
    ctx: &Ctx,
    c: &Compose,
    today: NaiveDate,
) -> Result<(HeadDraft, Vec<Section>, Vec<TaskDraft>)> {
    let mut e = ValidationErrors::new();
    let head = match c.head.check() {
        Ok(h) => Some(h),
        Err(v) => {
            v.0.into_iter().for_each(|f| e.push(f));
            None
        }
    };
    let sections = match domain::check_sections(&c.sections) {
        Ok(s) => Some(s),
        Err(v) => {
            v.0.into_iter().for_each(|f| e.push(f));
            None
        }
    };
    if c.tasks.len() > MAX_TASKS {
        e.add(
            "tasks",
            "too_many",
            format!("一期简报最多交办{MAX_TASKS}项任务，现有{}项", c.tasks.len()),
        );
        return Err(ServiceError::Validation(e));
    }
    let mut tasks = vec![];
    let mut titles = HashSet::new();
    for (n, t) in c.tasks.iter().enumerate() {
        let field = format!("tasks[{n}]");
        let bad = |msg: String| {
            FieldError::new(
                field.clone(),
                "invalid",
                format!("第{}项任务：{msg}", n + 1),
            )
        };
        let fields = domain::check_task(n, t);
        let ok = fields.is_empty();
        fields.into_iter().for_each(|f| e.push(f));
        if ok
            && !titles.insert((
                t.title.trim().to_string(),
                t.handler_unit_id.trim().to_string(),
            ))
        {
            e.push(bad("与前面的任务重复（同一事项、同一承办单位）".into()));
        }
        let unit = match t.handler_unit_id.trim().parse::<i64>() {
            Ok(u) if u > 0 => crate::org::unit_in(tx, &ctx.actor.region, UnitId(u)).await?,
            _ => None,
        };
        if unit.is_none() {
            e.push(bad(if t.handler_unit_id.trim().is_empty() {
                "请选择承办单位".into()
            } else {
                "承办单位不存在".into()
            }));
        }
        let deadline = t.deadline.trim();
        if !deadline.is_empty() {
            let latest = keyproj_domain::problem::draft::latest_deadline(today);
            match keyproj_domain::problem::draft::strict_date(deadline).ok_or(()) {
                Ok(d) if d < today => e.push(bad("办理时限早于今天".into())),
                Ok(d) if d > latest => e.push(bad(format!("办理时限不应晚于一年之后（{latest}）"))),
                Ok(_) => {}
                Err(_) => e.push(bad("办理时限应为日期，如2022-12-31".into())),
            }
        }
        tasks.push(TaskDraft {
            title: t.title.trim().to_string(),
            description: t.description.trim().to_string(),
            handler_unit_id: t.handler_unit_id.trim().to_string(),
            deadline: deadline.to_string(),
        });
    }
    match (e.into_result(), head, sections) {
        (Ok(()), Some(h), Some(s)) => Ok((h, s, tasks)),
        (Err(v), ..) => Err(ServiceError::Validation(v)),
        _ => Err(field_error("sections", "invalid", "简报内容有误")),
    }
}

/// Briefings are numbered by the year they are issued in: a new one is of this year.
fn check_year(app: &App, year: i32) -> Result<i32> {
    let this = app.local_today().year();
    if year == this {
        Ok(year)
    } else {
        Err(field_error(
            "year",
            "not_this_year",
            format!("简报按印发年度编号，只能编写本年度（{this}年）的简报"),
        ))
    }
}

/// Checks a composition without writing anything (a page names every field at once, even when
/// its text could not be split into sections).
pub async fn check_only(app: &App, ctx: &Ctx, c: &Compose) -> Result<()> {
    staff(ctx)?;
    let mut tx = app.db.begin_read().await?;
    check(&mut tx, ctx, c, app.local_today()).await.map(|_| ())
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn create(app: &App, ctx: &Ctx, year: i32, c: &Compose) -> Result<i64> {
    staff(ctx)?;
    let year = check_year(app, year)?;
    let mut w = Work::begin(app, ctx).await?;
    let today = w.today();
    let (head, sections, tasks) = check(&mut w.tx, ctx, c, today).await?;
    let draft = repo::Draft {
        head: &head,
        sections: &sections,
        tasks: &tasks,
    };
    let id = repo::insert_draft(
        &mut w.tx,
        &ctx.actor.region,
        year,
        &draft,
        &ctx.actor.username,
        w.now,
    )
    .await?;
    w.audit(Audit::create("briefing", id).after(&serde_json::json!({
        "year": year, "head": head, "sections": sections, "tasks": tasks,
    })))
    .await?;
    w.commit().await?;
    Ok(id)
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn update(app: &App, ctx: &Ctx, id: i64, version: i64, c: &Compose) -> Result<()> {
    staff(ctx)?;
    let mut w = Work::begin(app, ctx).await?;
    let before = visible(&mut w.tx, ctx, id).await?;
    if before.state == BriefingState::Issued {
        return Err(field_error("state", "issued", "该期简报已印发，不能再修改"));
    }
    let today = w.today();
    let (head, sections, tasks) = check(&mut w.tx, ctx, c, today).await?;
    let draft = repo::Draft {
        head: &head,
        sections: &sections,
        tasks: &tasks,
    };
    if !repo::update_draft(&mut w.tx, id, version, &draft, w.now).await? {
        return Err(ServiceError::Stale);
    }
    w.audit(
        Audit::update("briefing", id)
            .before(&serde_json::json!({"head": before.head, "sections": before.sections, "tasks": before.tasks}))
            .after(&serde_json::json!({"head": head, "sections": sections, "tasks": tasks})),
    )
    .await?;
    w.commit().await?;
    Ok(())
}

/// Discards a draft.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn discard(app: &App, ctx: &Ctx, id: i64, version: i64) -> Result<()> {
    staff(ctx)?;
    let mut w = Work::begin(app, ctx).await?;
    let before = visible(&mut w.tx, ctx, id).await?;
    if before.state == BriefingState::Issued {
        return Err(field_error("state", "issued", "该期简报已印发，不能删除"));
    }
    if !repo::delete_draft(&mut w.tx, id, version).await? {
        return Err(ServiceError::Stale);
    }
    w.audit(
        Audit::new("discard", "briefing")
            .id(id)
            .before(&serde_json::json!({"head": before.head, "year": before.year})),
    )
    .await?;
    w.commit().await?;
    Ok(())
}

/// A briefing as its reader sees it: an issued one as frozen; a draft with its blocks computed
/// now, as they would be issued.
#[derive(Debug, Clone, Serialize)]
pub struct BriefingView {
    pub briefing: BriefingRow,
    /// 2022年第4期 (issued) or 草稿.
    pub label: String,
    pub content: Content,
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn get(app: &App, ctx: &Ctx, id: i64) -> Result<BriefingView> {
    let b = {
        let mut tx = app.db.begin_read().await?;
        visible(&mut tx, ctx, id).await?
    };
    let (label, content) = match b.seq {
        Some(seq) if b.state == BriefingState::Issued => {
            (domain::issue_label(b.year, seq), b.content.clone())
        }
        _ => (
            "草稿".to_string(),
            Content {
                sections: render(app, ctx, b.year, &b.sections, app.now()).await?,
                tasks: vec![],
            },
        ),
    };
    Ok(BriefingView {
        briefing: b,
        label,
        content,
    })
}

/// A region's briefings of a year (units: the issued ones).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn of_year(app: &App, ctx: &Ctx, year: i32) -> Result<Vec<BriefingRow>> {
    let drafts = reads_drafts(ctx)?;
    let mut tx = app.db.begin_read().await?;
    let mut rows = repo::of_year(&mut tx, &ctx.actor.region, year).await?;
    rows.retain(|b| drafts || b.state == BriefingState::Issued);
    Ok(rows)
}

/// Issues a draft still at `version`: numbers it, snapshots its blocks, assigns its tasks.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn issue(app: &App, ctx: &Ctx, id: i64, version: i64) -> Result<BriefingRow> {
    staff(ctx)?;
    // the snapshot is read before the writing work starts (its reads are the features' own)
    let draft = {
        let mut tx = app.db.begin_read().await?;
        visible(&mut tx, ctx, id).await?
    };
    if draft.state == BriefingState::Issued {
        return Err(field_error(
            "state",
            "issued",
            "该期简报已印发，不能重复印发",
        ));
    }
    if draft.version != version {
        return Err(ServiceError::Stale);
    }
    let sections = render(app, ctx, draft.year, &draft.sections, app.now()).await?;
    let mut w = Work::begin(app, ctx).await?;
    let b = visible(&mut w.tx, ctx, id).await?;
    if b.state == BriefingState::Issued {
        return Err(field_error(
            "state",
            "issued",
            "该期简报已印发，不能重复印发",
        ));
    }
    if b.version != version {
        return Err(ServiceError::Stale);
    }
    let this = w.today().year();
    if b.year != this {
        return Err(field_error(
            "year",
            "not_this_year",
            format!(
                "该草稿属于{}年，已跨年度，不能作为{this}年的简报印发；请另行编写本年度简报",
                b.year
            ),
        ));
    }
    let seq = repo::next_seq(&mut w.tx, &b.region_code, b.year).await?;
    let label = domain::issue_label(b.year, seq);
    let mut tasks = vec![];
    for (n, t) in b.tasks.iter().enumerate() {
        let input = ItemDraft {
            kind: "task".into(),
            project_id: None,
            source: Source::Briefing.key().into(),
            category: "other".into(),
            level: "2".into(),
            title: t.title.clone(),
            description: if t.description.is_empty() {
                format!("《{PUBLICATION}》{label}交办事项。")
            } else {
                t.description.clone()
            },
            raised_on: String::new(),
        };
        let assign = AssignDraft {
            handler_unit_id: t.handler_unit_id.parse::<i64>().ok().map(UnitId),
            deadline: t.deadline.clone(),
            ..AssignDraft::default()
        };
        let item = items::register_in(
            &mut w,
            &input,
            Some(&assign),
            Origin {
                briefing_id: Some(id),
                ..Origin::default()
            },
        )
        .await
        .map_err(|e| match e {
            // a task that became impossible since it was saved is named with its number
            ServiceError::Validation(v) => ServiceError::Validation(ValidationErrors(
                v.0.into_iter()
                    .map(|f| {
                        FieldError::new(
                            format!("tasks[{n}]"),
                            f.code,
                            format!("第{}项任务：{}", n + 1, f.message),
                        )
                    })
                    .collect(),
            )),
            e => e,
        })?;
        let row = item_repo::get_item(&mut w.tx, item.id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let unit = match row.handler_unit_id {
            Some(u) => crate::org::unit_in(&mut w.tx, &b.region_code, u)
                .await?
                .map(|u| u.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        tasks.push(IssuedTask {
            item_id: item.id.get(),
            number: item.number,
            title: t.title.clone(),
            description: t.description.clone(),
            unit_id: row.handler_unit_id.map(|u| u.get()).unwrap_or_default(),
            unit,
            deadline: row.deadline.map(|d| d.to_string()).unwrap_or_default(),
        });
    }
    let content = Content { sections, tasks };
    let today = w.today();
    let issue = repo::Issue {
        seq,
        content: &content,
        on: today,
        by: &ctx.actor.username,
    };
    // a number taken meanwhile by another issue is a stale read: try again
    let issued = repo::issue(&mut w.tx, id, version, &issue, w.now)
        .await
        .map_err(|e| match e {
            keyproj_db::DbError::Duplicate(_) => ServiceError::Stale,
            e => e.into(),
        })?;
    if !issued {
        return Err(ServiceError::Stale);
    }
    w.audit(
        Audit::new("issue", "briefing")
            .id(id)
            .after(&serde_json::json!({
                "number": label,
                "tasks": content.tasks.iter().map(|t| &t.number).collect::<Vec<_>>(),
            })),
    )
    .await?;
    let issued = repo::get(&mut w.tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    w.commit().await?;
    Ok(issued)
}

/// The .docx of a briefing (a draft's carries 草稿 in place of the 期号).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn docx(app: &App, ctx: &Ctx, id: i64) -> Result<(String, Vec<u8>)> {
    let v = get(app, ctx, id).await?;
    let b = &v.briefing;
    let m = keyproj_office::briefing_doc::Masthead {
        name: PUBLICATION.into(),
        issue: match b.seq {
            Some(seq) => format!("第{seq}期"),
            None => "（草稿）".into(),
        },
        editor: b.head.editor.clone(),
        date: b.issued_on.unwrap_or_else(|| app.local_today()).to_string(),
        title: b.head.title.clone(),
        signer: b.head.signer.clone(),
        send_to: b.head.send_to.clone(),
        copy_to: b.head.copy_to.clone(),
    };
    let bytes = keyproj_office::briefing_doc::briefing(&m, &v.content)
        .map_err(|e| ServiceError::internal("briefing docx", e))?;
    Ok((format!("{PUBLICATION}{}.docx", v.label), bytes))
}

/// Briefings issued in a year and the tasks they assigned.
pub async fn issued_counts(
    app: &App,
    region: &keyproj_domain::RegionCode,
    year: i32,
) -> Result<(i64, i64)> {
    let mut tx = app.db.begin_read().await?;
    Ok(repo::issued_counts(&mut tx, region, year).await?)
}

// --- computed blocks ----------------------------------------------------------------------

/// Every section as it reads now: text as parsed, each computed block from the records.
pub async fn render(
    app: &App,
    ctx: &Ctx,
    year: i32,
    sections: &[Section],
    now: DateTime<Utc>,
) -> Result<Vec<Rendered>> {
    let mut out = vec![];
    for s in sections {
        out.push(match s {
            Section::Text { blocks, .. } => Rendered::Text {
                blocks: blocks.clone(),
            },
            Section::Computed { block, top } => block_of(app, ctx, year, *block, *top, now).await?,
        });
    }
    Ok(out)
}

fn computed(
    block: BlockKind,
    paragraphs: Vec<String>,
    head: &[&str],
    rows: Vec<Vec<String>>,
) -> Rendered {
    Rendered::Computed {
        block,
        title: block.label().into(),
        paragraphs,
        head: head.iter().map(|h| h.to_string()).collect(),
        rows,
    }
}

fn pct(bp: Option<i64>) -> String {
    bp.map(|b| format!("{:.1}%", b as f64 / 100.0))
        .unwrap_or_else(|| "—".into())
}

/// The latest colour table of the year published by `now`.
async fn latest_issue(
    app: &App,
    ctx: &Ctx,
    year: i32,
    now: DateTime<Utc>,
) -> Result<Option<crate::dispatch::colour::Issue>> {
    let region = &ctx.actor.region;
    let latest = crate::dispatch::colour::issues(app, region)
        .await?
        .into_iter()
        // published by then; a history loaded later (the demo's) counts by the month it is of
        .filter(|i| {
            i.year == year
                && (i.published_at <= now
                    || i.as_of_month
                        < keyproj_domain::ReportMonth::of(
                            (now + chrono::Duration::hours(8)).date_naive(),
                        ))
        })
        .max_by_key(|i| i.number);
    Ok(match latest {
        Some(i) => Some(crate::dispatch::colour::issue(app, region, i.id).await?),
        None => None,
    })
}

async fn block_of(
    app: &App,
    ctx: &Ctx,
    year: i32,
    block: BlockKind,
    top: u32,
    now: DateTime<Utc>,
) -> Result<Rendered> {
    Ok(match block {
        BlockKind::YearFigures => {
            let a = crate::stats::annual(app, &ctx.actor.region, year).await?;
            computed(
                block,
                vec![format!("{year}年，{}。", a.text.join("；"))],
                &[],
                vec![],
            )
        }
        BlockKind::PlanByCategory => {
            let d = crate::stats::dashboard(app, ctx, Some(year)).await?;
            let rows = d
                .by_category
                .iter()
                .map(|g| {
                    vec![
                        g.label.clone(),
                        g.projects.to_string(),
                        g.annual_plan.wan_grouped(),
                        g.approved.wan_grouped(),
                        keyproj_domain::money::percent_1dp(g.approved.fen(), g.annual_plan.fen())
                            .map(|p| format!("{p}%"))
                            .unwrap_or_else(|| "—".into()),
                    ]
                })
                .collect::<Vec<_>>();
            let para = if rows.is_empty() {
                format!("{year}年尚无年度计划。")
            } else {
                format!("{year}年度计划按类别执行情况如下（万元）。")
            };
            computed(
                block,
                vec![para],
                &["类别", "项目数", "年度计划", "已完成", "完成率"],
                rows,
            )
        }
        BlockKind::ColourLists => match latest_issue(app, ctx, year, now).await? {
            None => computed(
                block,
                vec![format!("{year}年尚未发布项目进度评价表。")],
                &[],
                vec![],
            ),
            Some(issue) => {
                let of = |c: Colour| issue.rows.iter().filter(move |r| r.colour == c);
                let (red, yellow) = (of(Colour::Red).count(), of(Colour::Yellow).count());
                let rows = of(Colour::Red)
                    .chain(of(Colour::Yellow))
                    .map(|r| {
                        vec![
                            r.colour.label().to_string(),
                            r.name.clone(),
                            r.lead_unit_name.clone(),
                            r.completed_ytd.wan_grouped(),
                            pct(r.completion_bp),
                            r.reasons.clone(),
                        ]
                    })
                    .collect();
                computed(
                    block,
                    vec![format!(
                        "据{}（截至{}），红色项目{red}个、黄色项目{yellow}个。",
                        issue.title,
                        issue.issue.as_of_month.chinese()
                    )],
                    &[
                        "评价",
                        "项目名称",
                        "牵头单位",
                        "累计完成（万元）",
                        "完成率",
                        "原因",
                    ],
                    rows,
                )
            }
        },
        BlockKind::TopProjects => match latest_issue(app, ctx, year, now).await? {
            None => computed(
                block,
                vec![format!("{year}年尚未发布项目进度评价表。")],
                &[],
                vec![],
            ),
            Some(issue) => {
                let mut rows: Vec<_> = issue.rows.iter().collect();
                rows.sort_by(|a, b| {
                    b.completed_ytd
                        .cmp(&a.completed_ytd)
                        .then(a.seq.cmp(&b.seq))
                });
                let rows = rows
                    .into_iter()
                    .take(top as usize)
                    .enumerate()
                    .map(|(n, r)| {
                        vec![
                            (n + 1).to_string(),
                            r.name.clone(),
                            r.annual_plan.wan_grouped(),
                            r.completed_ytd.wan_grouped(),
                            pct(r.completion_bp),
                        ]
                    })
                    .collect();
                computed(
                    block,
                    vec![format!(
                        "截至{}，累计完成投资前{top}位的项目如下（万元）。",
                        issue.issue.as_of_month.chinese()
                    )],
                    &["序号", "项目名称", "年度计划", "累计完成", "完成率"],
                    rows,
                )
            }
        },
        BlockKind::ProblemsByUnit => {
            let s = crate::problems::stats::stats(app, ctx, year, None).await?;
            let rows = s
                .units
                .iter()
                .filter(|u| u.assigned > 0)
                .map(|u| {
                    vec![
                        u.unit_name.clone(),
                        u.assigned.to_string(),
                        u.closed.to_string(),
                        format!("{:.1}%", u.closure_rate_pct),
                        format!("{:.1}%", u.on_time_rate_pct),
                        u.overdue.to_string(),
                        u.letters.to_string(),
                    ]
                })
                .collect::<Vec<_>>();
            let (assigned, closed): (i64, i64) = s
                .units
                .iter()
                .fold((0, 0), |(a, c), u| (a + u.assigned, c + u.closed));
            computed(
                block,
                vec![format!(
                    "{year}年各单位承办交办事项{assigned}项，已办结{closed}项。"
                )],
                &[
                    "单位",
                    "交办",
                    "办结",
                    "办结率",
                    "按期办结率",
                    "逾期",
                    "督办函",
                ],
                rows,
            )
        }
        BlockKind::AssessmentRanking => {
            let y = crate::assessment::rounds::year(app, ctx, year).await?;
            let latest = y
                .notices
                .iter()
                .filter(|n| n.issued_on <= now.date_naive())
                .max_by_key(|n| n.seq);
            match latest {
                None => computed(
                    block,
                    vec![format!("{year}年尚未发布考核结果。")],
                    &[],
                    vec![],
                ),
                Some(n) => {
                    let v = crate::assessment::rounds::get(app, ctx, n.round_id).await?;
                    let mut rows = vec![];
                    for k in &v.kinds {
                        for r in &k.ranked {
                            rows.push(vec![
                                k.table.kind.label().to_string(),
                                r.rank.to_string(),
                                r.name.clone(),
                                keyproj_domain::assessment::points_text(r.total),
                                r.grade.clone(),
                            ]);
                        }
                    }
                    computed(
                        block,
                        vec![format!("据{}（{}），考核结果如下。", n.title, n.number)],
                        &["考核对象", "名次", "单位", "得分", "等次"],
                        rows,
                    )
                }
            }
        }
        BlockKind::SignedAndStarted => {
            let a = crate::stats::annual(app, &ctx.actor.region, year).await?;
            let s = &a.signing;
            computed(
                block,
                vec![format!(
                    "{year}年举办签约活动{}次，签约项目{}个，其中达到入库标准{}个；已开工{}个，正在推进前期工作{}个。",
                    s.events, s.signed, s.above_threshold, s.started, s.preliminary
                )],
                &[],
                vec![],
            )
        }
    })
}

/// The year a new briefing is of by default: the year of today.
pub fn default_year(app: &App) -> i32 {
    app.local_today().year()
}

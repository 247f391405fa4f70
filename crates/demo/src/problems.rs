//! The problem list of the demo county: 2022 as the reference states it — 72 调度会议 (专题调度会,
//! 现场办公会, 周碰头, 月调度会), 4 简报, 52 tasks assigned by them, 16 problems solved for the
//! five 后扶 projects, patrol findings — all closed within the year (a few late); and a handful
//! of current items in every state so that 待办, supervision and the board have something to
//! show. Everything goes through the use cases, the history on a clock set to the day it
//! happened, so it is logged, audited and numbered like real work.

use crate::DemoProject;
use chrono::{DateTime, NaiveDate, Utc};
use keyproj_domain::authz::{Actor, Role};
use keyproj_domain::ids::{ItemId, LeaderId, MeetingId, ProjectId, UnitId};
use keyproj_domain::problem::{
    AssignDraft, Calendar, DayCount, ItemDraft, MeetingDraft, Source, default_holidays,
};
use keyproj_service::problems::{items, meetings, workflow};
use keyproj_service::{App, Ctx, Result};

/// 09:00 in the county (UTC+8) on a day.
fn morning(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(1, 0, 0).expect("time").and_utc()
}

const TOPICS: [(&str, &str); 8] = [
    ("land", "建设用地报批进度滞后"),
    ("demolition", "红线内房屋征收协议未签订"),
    ("approval", "施工许可办理需并联审批"),
    ("funding", "专项债资金拨付滞后"),
    ("utilities", "施工用电线路需迁改"),
    ("environment", "周边群众阻工"),
    ("utilities", "供水管网接入方案待确定"),
    ("other", "设计变更需专家论证"),
];

const MEETING_KINDS: [Source; 9] = [
    Source::TopicMeeting,
    Source::SiteMeeting,
    Source::TopicMeeting,
    Source::SiteMeeting,
    Source::WeeklyHuddle,
    Source::TopicMeeting,
    Source::MonthlyDispatch,
    Source::SiteMeeting,
    Source::TopicMeeting,
];

/// A 2022 item: raised on a day, handled by a unit, closed some days later.
struct PastItem {
    raised: NaiveDate,
    source: Source,
    meeting: Option<MeetingId>,
    project: Option<ProjectId>,
    category: &'static str,
    title: String,
    handler: UnitId,
    leader: Option<LeaderId>,
    close_after_days: i64,
}

/// The actor of a unit (its liaison), to take the unit's steps.
fn unit_ctx(ctx: &Ctx, unit: UnitId) -> Ctx {
    Ctx {
        actor: Actor {
            roles: vec![Role::UnitUser],
            unit_id: Some(unit),
            username: "demo-unit".into(),
            ..ctx.actor.clone()
        },
        ..ctx.clone()
    }
}

async fn version(app: &App, ctx: &Ctx, id: ItemId) -> Result<i64> {
    Ok(items::get(app, ctx, id).await?.item.version)
}

/// Takes a step as `ctx` on the app's clock.
async fn step(app: &App, ctx: &Ctx, id: ItemId, step: &str, note: &str) -> Result<()> {
    let v = version(app, ctx, id).await?;
    workflow::act(
        app,
        ctx,
        id,
        &workflow::StepInput {
            step: step.into(),
            version: v,
            note: note.into(),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

pub(crate) async fn load(
    app: &App,
    ctx: &Ctx,
    projects: &[DemoProject],
    depts: &[UnitId],
    leaders: &[LeaderId],
) -> Result<()> {
    let (holidays, makeup) = default_holidays(2022);
    let cal = Calendar {
        holidays: holidays.into_iter().map(|(d, _)| d).collect(),
        makeup_workdays: makeup.into_iter().collect(),
    };
    let building: Vec<ProjectId> = projects
        .iter()
        .filter(|p| p.stage == "在建")
        .map(|p| p.id)
        .collect();
    let post: Vec<ProjectId> = projects
        .iter()
        .filter(|p| p.stage == "后扶")
        .map(|p| p.id)
        .take(5)
        .collect();
    let mut past: Vec<PastItem> = vec![];
    let start = NaiveDate::from_ymd_opt(2022, 1, 6).expect("date");
    for i in 0..72usize {
        let held = cal.add_days(
            start + chrono::Duration::days(i as i64 * 5),
            0,
            DayCount::Working,
        );
        let kind = MEETING_KINDS[i % MEETING_KINDS.len()];
        let chair = leaders.get(i % leaders.len().max(1)).copied();
        let project = building.get(i % building.len().max(1)).copied();
        let id = meetings::create_meeting(
            &app.at(morning(held)),
            ctx,
            &MeetingDraft {
                kind: kind.key().into(),
                held_on: held.to_string(),
                place: if kind == Source::SiteMeeting {
                    "项目现场"
                } else {
                    "县政府会议室"
                }
                .into(),
                chair_leader_id: chair,
                attending_units: "县发改局、县住建局、县自然资源局".into(),
                project_ids: project.into_iter().collect(),
                minutes: "研究项目推进中的困难和问题，明确责任单位和完成时限。".into(),
            },
        )
        .await?;
        if i % 3 == 0 {
            for k in 0..2 {
                let (category, title) = TOPICS[(i + k) % TOPICS.len()];
                past.push(PastItem {
                    raised: held,
                    source: kind,
                    meeting: Some(id),
                    project,
                    category,
                    title: title.to_string(),
                    handler: depts[(i + k) % depts.len()],
                    leader: chair,
                    close_after_days: 6 + (i as i64 + k as i64 * 7) % 14,
                });
            }
        }
    }
    for (k, p) in (0..16usize).zip(post.iter().cycle()) {
        let (category, title) = TOPICS[k % TOPICS.len()];
        past.push(PastItem {
            raised: NaiveDate::from_ymd_opt(2022, 2 + (k as u32 % 10), 8 + k as u32).expect("date"),
            source: Source::OwnerReport,
            meeting: None,
            project: Some(*p),
            category,
            title: format!("投产运营：{title}"),
            handler: depts[k % depts.len()],
            leader: None,
            close_after_days: 8 + k as i64 % 9,
        });
    }
    for k in 0..10usize {
        let (category, title) = TOPICS[(k + 3) % TOPICS.len()];
        past.push(PastItem {
            raised: NaiveDate::from_ymd_opt(2022, 2 + k as u32, 20).expect("date"),
            source: Source::DailyPatrol,
            meeting: None,
            project: building.get(k + 5).copied(),
            category,
            title: format!("巡查发现：{title}"),
            handler: depts[(k + 1) % depts.len()],
            leader: None,
            close_after_days: 5 + k as i64,
        });
    }
    for p in past {
        let on = app.at(morning(p.raised));
        let draft = ItemDraft {
            kind: if matches!(p.source, Source::OwnerReport | Source::DailyPatrol) {
                "problem"
            } else {
                "task"
            }
            .into(),
            project_id: p.project,
            source: p.source.key().into(),
            category: p.category.into(),
            level: if p.meeting.is_some() { "3" } else { "2" }.into(),
            title: p.title,
            description: "按会议和调度要求限期办结。".into(),
            raised_on: p.raised.to_string(),
        };
        let assign = AssignDraft {
            handler_unit_id: Some(p.handler),
            leader_id: p.leader,
            ..Default::default()
        };
        let item = match p.meeting {
            Some(m) => meetings::add_decision(&on, ctx, m, &draft, &assign).await?,
            None => {
                items::register(&on, ctx, &draft, Some(&assign), items::Origin::default()).await?
            }
        };
        let closed = p.raised + chrono::Duration::days(p.close_after_days);
        let done = app.at(morning(closed));
        step(
            &done,
            &unit_ctx(ctx, p.handler),
            item.id,
            "request_closure",
            "已协调解决，请核验销号。",
        )
        .await?;
        step(&done, ctx, item.id, "close", "").await?;
    }
    current(app, ctx, &building, depts, leaders).await
}

/// The four 《重点项目建设简报》 of 2022 (the reference: "共计编发《重点项目建设简报》四期"), each
/// with a text section, a computed block and one task; the tasks are closed in time. Loaded
/// last, so their blocks read the year's colour tables and signings.
pub(crate) async fn briefings(app: &App, ctx: &Ctx, depts: &[UnitId]) -> Result<()> {
    use keyproj_domain::briefing::{HeadDraft, SectionDraft, TaskDraft};
    use keyproj_service::briefings::{self as svc, Compose};
    const TOPICS: [(&str, &str, &str); 4] = [
        (
            "一季度重点项目开局情况",
            "# 一、总体情况\n全县重点项目建设**开局良好**，各牵头单位按月调度、按旬推进。\n\n# 二、下步工作\n- 加快前期项目手续办理\n- 落实开工项目用地保障",
            "加快一季度未开工项目手续办理",
        ),
        (
            "上半年重点项目建设进展",
            "# 一、总体情况\n上半年全县重点项目完成投资稳步增长，**红黄项目**已逐一交办。",
            "红色项目限期整改销号",
        ),
        (
            "三季度重点项目攻坚情况",
            "# 一、总体情况\n三季度全县重点项目开展“大干一百天”攻坚，进度整体加快。",
            "落实三季度攻坚项目要素保障",
        ),
        (
            "重点项目建设冲刺全年目标",
            "# 一、总体情况\n各单位对照年度目标**倒排工期**，确保全年任务完成。",
            "冲刺全年投资目标",
        ),
    ];
    for (b, (title, text, task)) in TOPICS.iter().enumerate() {
        let day = NaiveDate::from_ymd_opt(2022, 3 + b as u32 * 3, 15).expect("date");
        let on = app.at(morning(day));
        let compose = Compose {
            head: HeadDraft {
                title: title.to_string(),
                editor: "桃江县重点项目建设事务中心".into(),
                signer: "县重点项目建设事务中心主任".into(),
                send_to: "县委、县人大、县政府、县政协主要领导".into(),
                copy_to: "各重点项目牵头单位、责任单位".into(),
            },
            sections: vec![
                SectionDraft::Text {
                    markup: text.to_string(),
                },
                SectionDraft::Computed {
                    block: if b == 0 {
                        "signed_and_started"
                    } else {
                        "colour_lists"
                    }
                    .into(),
                    top: None,
                },
            ],
            tasks: vec![TaskDraft {
                title: format!("《重点项目建设简报》第{}期：{task}", b + 1),
                description: "请牵头单位按简报要求限期办结并反馈。".into(),
                handler_unit_id: depts[b % depts.len()].to_string(),
                deadline: (day + chrono::Duration::days(20)).to_string(),
            }],
        };
        let id = svc::create(&on, ctx, 2022, &compose).await?;
        let issued = svc::issue(&on, ctx, id, 1).await?;
        for t in &issued.content.tasks {
            let item = ItemId(t.item_id);
            let done = app.at(morning(day + chrono::Duration::days(12)));
            step(
                &done,
                &unit_ctx(ctx, depts[b % depts.len()]),
                item,
                "request_closure",
                "已按简报要求办结，请核验销号。",
            )
            .await?;
            step(&done, ctx, item, "close", "").await?;
        }
    }
    Ok(())
}

/// Items of today in every state: to assign, assigned, replied, asking closure, asking time.
async fn current(
    app: &App,
    ctx: &Ctx,
    building: &[ProjectId],
    depts: &[UnitId],
    leaders: &[LeaderId],
) -> Result<()> {
    let today = app.local_today();
    let input = |title: &str, category: &str, project: Option<ProjectId>| ItemDraft {
        kind: "problem".into(),
        project_id: project,
        source: Source::SiteMeeting.key().into(),
        category: category.into(),
        level: "2".into(),
        title: title.into(),
        description: "现场办公会确定事项。".into(),
        raised_on: String::new(),
    };
    let assign = |u: UnitId, days: i64| AssignDraft {
        handler_unit_id: Some(u),
        leader_id: leaders.first().copied(),
        deadline: (today + chrono::Duration::days(days)).to_string(),
        ..Default::default()
    };
    let p = |i: usize| building.get(i).copied();
    let dept = |i: usize| depts[i % depts.len()];
    let none = items::Origin::default();
    items::register(
        app,
        ctx,
        &input("桃花江大道改造段管线迁改", "utilities", p(0)),
        None,
        none,
    )
    .await?;
    items::register(
        app,
        ctx,
        &input("高新区标准厂房用地报批", "land", p(1)),
        Some(&assign(dept(0), 20)),
        none,
    )
    .await?;
    let reply = items::register(
        app,
        ctx,
        &input("城北安置小区征拆扫尾", "demolition", p(2)),
        Some(&assign(dept(1), 2)),
        none,
    )
    .await?;
    step(
        app,
        &unit_ctx(ctx, dept(1)),
        reply.id,
        "reply",
        "剩余2户正在协商补偿方案",
    )
    .await?;
    let verify = items::register(
        app,
        ctx,
        &input("污水处理厂进场道路硬化", "environment", p(3)),
        Some(&assign(dept(2), 10)),
        none,
    )
    .await?;
    step(
        app,
        &unit_ctx(ctx, dept(2)),
        verify.id,
        "request_closure",
        "道路已硬化完成，附验收记录",
    )
    .await?;
    let ext = items::register(
        app,
        ctx,
        &input("文旅综合体消防审验", "approval", p(4)),
        Some(&assign(dept(3), 5)),
        none,
    )
    .await?;
    let unit = unit_ctx(ctx, dept(3));
    let v = version(app, &unit, ext.id).await?;
    workflow::act(
        app,
        &unit,
        ext.id,
        &workflow::StepInput {
            step: "request_extension".into(),
            version: v,
            note: "需等待省级专家评审".into(),
            new_deadline: (today + chrono::Duration::days(25)).to_string(),
            assign: None,
        },
    )
    .await?;
    Ok(())
}

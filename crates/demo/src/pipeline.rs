//! The demo county's 2022 pipeline, as the center reported it: 3 集中签约 events with 40 signed
//! projects, 28 of them at or above the threshold (they enter the library at 签约), 130-odd
//! approval items handled for those 28, 12 of them started (签约 → 前期 → 在建 in 2022) and 16
//! still in their preliminary work; support measures for the five 后扶 projects. Written through
//! the service's use cases on a clock standing on the day each thing happened.

use crate::county::Lcg;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use keyproj_domain::authz::Role;
use keyproj_domain::ids::{ProjectId, UnitId};
use keyproj_domain::pipeline::approvals::{ApprovalDraft, StepDraft};
use keyproj_domain::pipeline::{EventDraft, MeasureDraft, SignedDraft};
use keyproj_domain::problem::{Calendar, DayCount, default_holidays};
use keyproj_service::admin::users::{self, NewAccount};
use keyproj_service::pipeline::approvals;
use keyproj_service::pipeline::signing::{self, SignedRefs};
use keyproj_service::pipeline::support;
use keyproj_service::projects::{self, StageChangeInput};
use keyproj_service::{App, Ctx, Result};

fn morning(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(1, 0, 0).expect("time").and_utc()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// (name, day, place, organiser, level, projects signed, of them above the threshold)
type Event = (
    &'static str,
    (i32, u32, u32),
    &'static str,
    &'static str,
    &'static str,
    usize,
    usize,
);

const EVENTS: [Event; 3] = [
    (
        "2022年桃江县重点项目春季集中签约",
        (2022, 3, 18),
        "桃江县会议中心",
        "桃江县人民政府",
        "县级",
        14,
        10,
    ),
    (
        "益阳市2022年重点项目集中签约桃江分会场",
        (2022, 6, 28),
        "桃江县竹产业园",
        "益阳市人民政府",
        "市级",
        13,
        9,
    ),
    (
        "第二届湘商大会桃江县招商项目集中签约",
        (2022, 10, 26),
        "长沙国际会议中心",
        "湖南省人民政府",
        "省级",
        13,
        9,
    ),
];

const SUBJECTS: [(&str, &str, i64); 10] = [
    ("竹木精深加工", "工业制造", 5200),
    ("新型建材生产线", "工业制造", 6800),
    ("电子元器件制造", "工业制造", 12000),
    ("农产品冷链物流中心", "现代服务业", 3200),
    ("乡村旅游综合体", "文化旅游", 2500),
    ("分布式光伏电站", "能源", 8600),
    ("有机茶叶加工", "农业农村", 1500),
    ("康养服务中心", "社会民生", 4200),
    ("商贸综合体", "现代服务业", 15000),
    ("再生资源回收利用", "生态环保", 2100),
];

const INVESTORS: [(&str, &str); 8] = [
    ("湖南竹海实业有限公司", "长沙"),
    ("广东华粤投资集团有限公司", "深圳"),
    ("浙江绿源新能源有限公司", "杭州"),
    ("益阳资江投资有限公司", "益阳"),
    ("湖南楚丰农业发展有限公司", "长沙"),
    ("江苏恒远新材料有限公司", "苏州"),
    ("湖南桃花江文旅发展有限公司", "桃江"),
    ("北京中科智造科技有限公司", "北京"),
];

/// The approval chain a project runs, by index in the seeded catalogue.
const CHAIN: [&str; 7] = [
    "立项审批/核准/备案",
    "用地预审与选址",
    "环境影响评价审批",
    "建设用地规划许可",
    "节能审查",
    "工程规划许可",
    "施工许可",
];

pub async fn load(app: &App, ctx: &Ctx, center: UnitId) -> Result<()> {
    let (holidays, makeup) = default_holidays(2022);
    let cal = Calendar {
        holidays: holidays.into_iter().map(|(d, _)| d).collect(),
        makeup_workdays: makeup.into_iter().collect(),
    };
    // two agents of the center (their passwords are set by the administrator when they start)
    let mut operator = ctx.clone();
    operator.actor.roles = vec![Role::SystemAdmin];
    let agents = ["daiban1", "daiban2"];
    for (login, name) in agents.iter().zip(["李晓红", "周建军"]) {
        users::create(
            app,
            &operator,
            &NewAccount {
                username: login,
                display_name: name,
                unit_id: center,
                roles: &[Role::CenterStaff],
            },
        )
        .await?;
    }
    approvals::seed_usual(&app.at(morning(day(2022, 1, 4))), ctx).await?;
    let catalogue = approvals::catalogue(app, ctx).await?;
    let entry = |name: &str| catalogue.iter().find(|c| c.name == name).map(|c| c.id);

    let mut rng = Lcg(2022_1118);
    let mut entered: Vec<(ProjectId, NaiveDate)> = vec![];
    let mut n = 0usize;
    for (name, (y, m, d), place, organiser, level, count, above) in EVENTS {
        let held = day(y, m, d);
        let at = app.at(morning(held));
        let event = signing::create_event(
            &at,
            ctx,
            &EventDraft {
                name: name.into(),
                held_on: held.to_string(),
                place: place.into(),
                organiser: organiser.into(),
                level: level.into(),
            },
        )
        .await?;
        for k in 0..count {
            n += 1;
            let (subject, industry, base) = SUBJECTS[(n * 3 + k) % SUBJECTS.len()];
            let (investor, origin) = INVESTORS[n % INVESTORS.len()];
            // the first `above` of each event reach the threshold; the others are small
            let threshold = if industry == "工业制造" {
                5000
            } else {
                1000
            };
            let wan = if k < above {
                threshold.max(base) + (rng.below(40) as i64) * 100
            } else {
                (threshold / 2).min(base / 3) + (rng.below(5) as i64) * 50
            };
            let start = held + chrono::Duration::days(90 + (k as i64 % 4) * 30);
            let signed = signing::add_signed(
                &at,
                ctx,
                &SignedDraft {
                    name: format!(
                        "{subject}项目（{}）",
                        ["一期", "二期", "扩建", "新建"][n % 4]
                    ),
                    investor: investor.into(),
                    investor_origin: origin.into(),
                    contract_no: format!("TJZS-2022-{n:03}"),
                    contract_on: held.to_string(),
                    agreed_investment_wan: wan.to_string(),
                    industry: industry.into(),
                    expected_start: format!("{}-{:02}", start.year(), start.month()),
                },
                &SignedRefs {
                    event_id: Some(event),
                    ..Default::default()
                },
            )
            .await?;
            if let Some(p) = signed.project_id {
                entered.push((p, held));
            }
        }
    }

    // 帮代办: 12 projects run the whole chain and start; 16 are part of the way
    let mut handled = 0usize;
    for (i, (project, signed_on)) in entered.iter().enumerate() {
        let starts = starts_in_2022(i);
        let steps = if starts { CHAIN.len() } else { 3 };
        let mut received =
            cal.add_days(*signed_on + chrono::Duration::days(7), 0, DayCount::Working);
        for (k, name) in CHAIN.iter().take(steps).enumerate() {
            let Some(cat) = entry(name) else { continue };
            let limit = catalogue
                .iter()
                .find(|c| c.id == cat)
                .map(|c| c.limit_days)
                .unwrap_or(10);
            let agent = agents[(i + k) % 2];
            let last = k + 1 == steps;
            let received_on = received;
            // 2022 ends: nothing is received after December 20
            if received_on > day(2022, 12, 20) {
                break;
            }
            let id = approvals::add_item(
                &app.at(morning(received_on)),
                ctx,
                *project,
                &ApprovalDraft {
                    catalogue_id: Some(cat),
                    agent: agent.into(),
                    received_on: received_on.to_string(),
                    ..Default::default()
                },
            )
            .await?;
            handled += 1;
            let accepted = cal.add_days(received_on, 2, DayCount::Working);
            // most within the limit, every ninth a little late; the last of an unstarted
            // project is still with the department (a few of them overdue now)
            let late = handled.is_multiple_of(9);
            let used = if late {
                limit + 2
            } else {
                (limit * 2 / 3).max(1)
            };
            let done = cal.add_days(accepted, used, DayCount::Working);
            let still_open = last && !starts && (i % 3 == 1 || done > day(2022, 12, 28));
            let step = |s: &str, on: NaiveDate, no: &str, note: &str| {
                let at = app.at(morning(on));
                let d = StepDraft {
                    step: s.into(),
                    on: on.to_string(),
                    note: note.into(),
                    approval_no: no.into(),
                };
                async move {
                    let v = approvals::get(&at, ctx, id).await?.item.row.version;
                    approvals::step(&at, ctx, id, &d, v).await
                }
            };
            step("accept", accepted, "", "").await?;
            if still_open {
                if i % 4 == 1 {
                    // asked for corrections, resubmitted: the clock stood still meanwhile
                    let asked = cal.add_days(accepted, 2, DayCount::Working);
                    step("correct", asked, "", "补充用地红线图和权属证明").await?;
                    step(
                        "resubmit",
                        cal.add_days(asked, 3, DayCount::Working),
                        "",
                        "",
                    )
                    .await?;
                }
                break;
            }
            let number = format!(
                "桃{}〔2022〕{}号",
                &name.chars().take(2).collect::<String>(),
                10 + handled
            );
            step("complete", done, &number, "").await?;
            received = cal.add_days(done, 1, DayCount::Working);
        }
        let (mut version, stage_changes) = (
            projects::get(app, ctx, *project).await?.project.version,
            if starts {
                vec!["前期", "在建"]
            } else if i % 2 == 0 {
                vec!["前期"]
            } else {
                vec![]
            },
        );
        for to in stage_changes {
            let on = if to == "在建" {
                received.min(day(2022, 12, 15))
            } else {
                *signed_on + chrono::Duration::days(20)
            };
            projects::change_stage(
                &app.at(morning(on)),
                ctx,
                *project,
                version,
                &StageChangeInput {
                    to_stage: to.into(),
                    changed_on: on.to_string(),
                    reason: if to == "在建" {
                        "施工许可已办结，项目开工".into()
                    } else {
                        "签约后进入前期工作".into()
                    },
                    actual_start: if to == "在建" {
                        format!("{}-{:02}", on.year(), on.month())
                    } else {
                        String::new()
                    },
                    actual_completion: String::new(),
                },
            )
            .await?;
            version += 1;
        }
    }

    // 后扶: measures for the year's supported projects
    let year = support::support(app, ctx, 2022).await?;
    let units = keyproj_service::org::units(app, ctx).await?;
    let unit = |name: &str| units.iter().find(|u| u.name == name).map(|u| u.id);
    const MEASURES: [(&str, &str); 4] = [
        (
            "协调电力部门完成专线增容，保障满负荷生产用电",
            "县发展和改革局",
        ),
        (
            "落实企业技改补助资金申报，帮助争取上级专项资金",
            "县工业和信息化局",
        ),
        ("协调银行开展银企对接，解决流动资金周转困难", "县财政局"),
        (
            "协助办理排污许可证延续，指导完善环保设施",
            "市生态环境局桃江分局",
        ),
    ];
    for (i, p) in year.projects.iter().enumerate() {
        for k in 0..2 {
            let (text, who) = MEASURES[(i + k) % MEASURES.len()];
            let on = day(2022, 3 + (i as u32 * 2 + k as u32 * 5) % 9, 10 + i as u32);
            if let Some(u) = unit(who) {
                support::add_measure(
                    &app.at(morning(on)),
                    ctx,
                    &MeasureDraft {
                        project_id: Some(p.project_id),
                        text: text.into(),
                        unit_id: Some(u),
                        measure_on: on.to_string(),
                    },
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// Which of the 28 start in 2022: twelve, of the spring and summer signings (the autumn's are
/// still in their approvals at the end of the year).
fn starts_in_2022(i: usize) -> bool {
    [0, 1, 3, 4, 7, 9, 10, 11, 12, 14, 16, 18].contains(&i)
}

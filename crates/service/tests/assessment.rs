// Points are written as whole_hundredths (40_00 is 40.00 分), as the tables read.
#![allow(clippy::inconsistent_digit_grouping)]

//! 考核办法 rules on both engines: a draft from the example, checked tables, adoption as a frozen
//! version (the database refuses changes), a revision only with a reason, and who may do what.

use keyproj_db::testing::TestDb;
use keyproj_domain::RegionCode;
use keyproj_domain::authz::{Actor, Role};
use keyproj_domain::ids::UnitId;
use keyproj_service::assessment::rules::{self, Adoption};
use keyproj_service::{App, Config, Ctx, ServiceError};

async fn audit_rows(app: &App) -> i64 {
    let mut tx = app.db.begin_read().await.unwrap();
    keyproj_db::schema::row_count(&mut tx, "audit_log")
        .await
        .unwrap()
}

fn as_role(role: Role) -> Ctx {
    Ctx {
        actor: Actor {
            user_id: None,
            username: "someone".into(),
            roles: vec![role],
            unit_id: None,
            region: RegionCode::parse("430922").unwrap(),
        },
        ip: "test".into(),
    }
}

#[tokio::test]
async fn rules_are_drafted_adopted_frozen_and_revised_with_a_reason() {
    for t in TestDb::all().await {
        let app = App::new(t.db.clone(), Config::default());
        keyproj_service::admin::users::bootstrap_admin(&app)
            .await
            .unwrap();
        let staff = Ctx::system(RegionCode::parse("430922").unwrap());
        rules::start_draft(&app, &staff, 2022).await.unwrap();
        let y = rules::year(&app, &staff, 2022).await.unwrap();
        let draft = y.draft.clone().unwrap();
        assert!(draft.title.contains("示例"));
        assert_eq!(draft.tables.len(), 2);
        assert!(y.in_force().is_none());

        // weights that do not add up: refused, nothing written
        let before = audit_rows(&app).await;
        let mut bad = draft.tables.clone();
        bad[0].indicators[0].max -= 10_00;
        let r = rules::save_draft(&app, &staff, 2022, &draft.title, &bad, draft.version).await;
        assert!(
            matches!(&r, Err(ServiceError::Validation(v)) if v.all().iter().any(|f| f.message.contains("合计应为100分"))),
            "{r:?}"
        );
        assert_eq!(audit_rows(&app).await, before);
        // adoption needs a number and a date that happened
        let r = rules::adopt(&app, &staff, 2022, &Adoption::default()).await;
        assert!(
            matches!(&r, Err(ServiceError::Validation(v)) if v.for_field("doc_number").is_some())
        );
        let v1 = rules::adopt(
            &app,
            &staff,
            2022,
            &Adoption {
                doc_number: "桃重项办发〔2022〕3号".into(),
                adopted_on: "2022-03-01".into(),
                reason: String::new(),
            },
        )
        .await
        .unwrap();
        assert_eq!(v1, 1);
        let y = rules::year(&app, &staff, 2022).await.unwrap();
        assert!(y.draft.is_none() && y.in_force().is_some());
        // the database itself refuses to change an adopted version
        let mut tx = app.db.begin_write().await.unwrap();
        let changed =
            keyproj_db::schema::exec_raw(&mut tx, "UPDATE assessment_rules SET title = 'x'").await;
        assert!(changed.is_err(), "adopted rules are frozen");
        drop(tx);
        let mut tx = app.db.begin_write().await.unwrap();
        let deleted = keyproj_db::schema::exec_raw(&mut tx, "DELETE FROM assessment_rules").await;
        assert!(deleted.is_err());
        drop(tx);

        // a revision starts from the adopted tables and is adopted only with a reason, and only
        // when it changes something
        rules::start_draft(&app, &staff, 2022).await.unwrap();
        let unchanged = rules::adopt(
            &app,
            &staff,
            2022,
            &Adoption {
                doc_number: "桃重项办发〔2022〕8号".into(),
                adopted_on: "2022-07-01".into(),
                reason: "无".into(),
            },
        )
        .await;
        assert!(
            matches!(&unchanged, Err(ServiceError::Validation(v)) if v.all().iter().any(|f| f.message.contains("完全相同"))),
            "{unchanged:?}"
        );
        let same_number = rules::adopt(
            &app,
            &staff,
            2022,
            &Adoption {
                doc_number: "桃重项办发〔2022〕3号".into(),
                adopted_on: "2022-07-01".into(),
                reason: "重复文号".into(),
            },
        )
        .await;
        assert!(
            matches!(&same_number, Err(ServiceError::Validation(v)) if v.for_field("doc_number").is_some())
        );
        let d = rules::year(&app, &staff, 2022)
            .await
            .unwrap()
            .draft
            .unwrap();
        let mut revised = d.tables.clone();
        revised[0].indicators[5].name = "考核组综合评价".into();
        rules::save_draft(&app, &staff, 2022, &d.title, &revised, d.version)
            .await
            .unwrap();
        let r = rules::adopt(
            &app,
            &staff,
            2022,
            &Adoption {
                doc_number: "桃重项办发〔2022〕9号".into(),
                adopted_on: "2022-07-01".into(),
                reason: String::new(),
            },
        )
        .await;
        assert!(matches!(&r, Err(ServiceError::Validation(v)) if v.for_field("reason").is_some()));
        let v2 = rules::adopt(
            &app,
            &staff,
            2022,
            &Adoption {
                doc_number: "桃重项办发〔2022〕9号".into(),
                adopted_on: "2022-07-01".into(),
                reason: "增加帮代办办结及时率指标".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(v2, 2);
        let y = rules::year(&app, &staff, 2022).await.unwrap();
        assert_eq!(y.adopted.len(), 2);
        assert_eq!(y.adopted[0].doc_number, "桃重项办发〔2022〕9号");

        // units read, owners do not see, only staff draft and adopt
        let unit = as_role(Role::UnitUser);
        assert!(rules::year(&app, &unit, 2022).await.is_ok());
        assert!(matches!(
            rules::start_draft(&app, &unit, 2023).await,
            Err(ServiceError::Forbidden)
        ));
        assert!(matches!(
            rules::year(&app, &as_role(Role::Owner), 2022).await,
            Err(ServiceError::NotFound)
        ));
    }
}

mod rounds_world {
    use chrono::{TimeZone, Utc};
    use keyproj_domain::authz::{Actor, Role};
    use keyproj_domain::ids::{ProjectId, UnitId};
    use keyproj_domain::org::UnitDraft;
    use keyproj_domain::plan::PlanDraft;
    use keyproj_domain::report::ReportDraft;
    use keyproj_domain::{RegionCode, ReportMonth};
    use keyproj_service::dispatch::{plans, reports};
    use keyproj_service::projects::ProjectInput;
    use keyproj_service::{App, Config, Ctx, TestClock};
    use std::sync::{Arc, Mutex};

    pub struct World {
        pub app: App,
        pub clock: Arc<TestClock>,
        pub staff: Ctx,
        pub leader: Ctx,
        /// unit users of 甲局 and 乙局
        pub jia: Ctx,
        pub yi: Ctx,
        pub owner_unit: UnitId,
        pub units: (UnitId, UnitId),
        pub projects: (ProjectId, ProjectId),
    }

    pub fn actor(role: Role, unit: Option<UnitId>, name: &str) -> Ctx {
        Ctx {
            actor: Actor {
                user_id: None,
                username: name.into(),
                roles: vec![role],
                unit_id: unit,
                region: RegionCode::parse("430922").unwrap(),
            },
            ip: "t".into(),
        }
    }

    fn at(app: &App, y: i32, m: u32, d: u32) -> App {
        app.at(Utc.with_ymd_and_hms(y, m, d, 2, 0, 0).unwrap())
    }

    /// Two lead units: 甲局's project A reports 150 万元 a month on time from January to August
    /// and started on time; 乙局's project B reports 50 万元 a month, all late, and started two
    /// months late. Both plan 1,000 万元 in 2022. Today is 2022-09-30 (Friday before 国庆).
    pub async fn world(t: &keyproj_db::testing::TestDb) -> World {
        let clock = Arc::new(TestClock(Mutex::new(
            Utc.with_ymd_and_hms(2022, 9, 30, 2, 0, 0).unwrap(),
        )));
        let app = App::with_clock(t.db.clone(), Config::default(), clock.clone());
        keyproj_service::admin::users::bootstrap_admin(&app)
            .await
            .unwrap();
        let sys = Ctx::system(RegionCode::parse("430922").unwrap());
        let mut ids = vec![];
        for (name, kind) in [
            ("甲局", "department"),
            ("乙局", "department"),
            ("甲公司", "enterprise"),
        ] {
            ids.push(
                keyproj_service::org::create_unit(
                    &app,
                    &sys,
                    &UnitDraft {
                        name: name.into(),
                        kind: kind.into(),
                        ..Default::default()
                    },
                )
                .await
                .unwrap(),
            );
        }
        let mut projects = vec![];
        for (k, (name, actual)) in [("项目A", "2022-03"), ("项目B", "2022-05")]
            .iter()
            .enumerate()
        {
            let input = ProjectInput {
                draft: keyproj_domain::project::ProjectDraft {
                    code: format!("K-{k}"),
                    name: name.to_string(),
                    level: "县重点".into(),
                    stage: "在建".into(),
                    industry: "交通".into(),
                    total_investment_wan: "50000".into(),
                    planned_start: "2022-03".into(),
                    actual_start: actual.to_string(),
                    ..Default::default()
                },
                owner_unit_id: Some(ids[2]),
                lead_unit_id: Some(ids[k]),
                ..Default::default()
            };
            projects.push(
                keyproj_service::projects::create(&app, &sys, &input)
                    .await
                    .unwrap(),
            );
        }
        let staff = actor(Role::CenterStaff, None, "staff");
        let owner = actor(Role::Owner, Some(ids[2]), "owner");
        for p in &projects {
            plans::save_plan(
                &app,
                &staff,
                *p,
                2022,
                &plans::PlanSubmission {
                    version: None,
                    draft: PlanDraft {
                        category: "在建".into(),
                        annual_plan_wan: "1000".into(),
                        targets: "年度目标".into(),
                        monthly_wan: vec![],
                    },
                    milestones: Some(vec![]),
                    reason: String::new(),
                },
            )
            .await
            .unwrap();
        }
        for mo in 1..=8u32 {
            let month = ReportMonth::new(2022, mo).unwrap();
            for (p, wan, when) in [
                (projects[0], "150", at(&app, 2022, mo + 1, 1)),
                (projects[1], "50", at(&app, 2022, 9, 29)),
            ] {
                let draft = ReportDraft {
                    month_investment_wan: wan.into(),
                    progress: "主体施工".into(),
                    ..Default::default()
                };
                let id = reports::submit(&when, &owner, p, month, None, &draft)
                    .await
                    .unwrap();
                let r = reports::report(&when, &staff, p, month)
                    .await
                    .unwrap()
                    .report
                    .unwrap();
                reports::review(&when, &staff, id, r.version, true, "")
                    .await
                    .unwrap();
            }
        }
        World {
            leader: actor(Role::CountyLeader, None, "leader"),
            jia: actor(Role::UnitUser, Some(ids[0]), "jia"),
            yi: actor(Role::UnitUser, Some(ids[1]), "yi"),
            owner_unit: ids[2],
            units: (ids[0], ids[1]),
            projects: (projects[0], projects[1]),
            staff,
            clock,
            app,
        }
    }
}

#[tokio::test]
async fn a_year_is_scored_objected_to_reviewed_and_published_under_a_frozen_notice() {
    use keyproj_domain::assessment::scoring::{RecordKind, RoundState};
    use keyproj_service::assessment::rounds::{self, DecisionInput, EntryInput, ObjectionInput};
    for t in TestDb::all().await {
        let w = rounds_world::world(&t).await;
        let (app, staff) = (&w.app, &w.staff);
        // no 考核办法 adopted: nothing to compute with
        let r = rounds::compute(app, staff, "2022").await;
        assert!(
            matches!(&r, Err(ServiceError::Validation(v)) if v.for_field("period").is_some()),
            "{r:?}"
        );
        rules::start_draft(app, staff, 2022).await.unwrap();
        rules::adopt(
            app,
            staff,
            2022,
            &Adoption {
                doc_number: "桃重项办发〔2022〕3号".into(),
                adopted_on: "2022-03-01".into(),
                reason: String::new(),
            },
        )
        .await
        .unwrap();
        assert!(matches!(
            rounds::compute(app, &w.jia, "2022").await,
            Err(ServiceError::Forbidden)
        ));
        let id = rounds::compute(app, staff, "2022").await.unwrap();
        // a second open round of the same period is refused
        assert!(rounds::compute(app, staff, "2022").await.is_err());
        let v = rounds::get(app, staff, id).await.unwrap();
        let lead = &v.kinds[0];
        let score = |name: &str| {
            lead.scores
                .iter()
                .find(|s| s.unit_name == name)
                .unwrap()
                .clone()
        };
        // 甲局: 1,200 of 1,000 → 40 + 20 × 0.2 = 44; started on time 20; nothing to complete 10;
        // no items 15; 8 of 8 reports on time 10; manual not entered 0
        let jia = score("甲局");
        assert_eq!(
            jia.lines.iter().map(|l| l.points()).collect::<Vec<_>>()[..6],
            [44_00, 20_00, 10_00, 15_00, 10_00, 0]
        );
        assert_eq!(jia.total, 99_00);
        // 乙局: 400 of 1,000 → 16; 0 of 1 on time → band 0–50 % 5; reports all late 0
        let yi = score("乙局");
        assert_eq!(yi.total, 16_00 + 5_00 + 10_00 + 15_00);
        // the drill-down names the records: the project, and each late report
        assert_eq!(yi.lines[0].records[0].kind, RecordKind::Project);
        assert_eq!(yi.lines[0].records[0].id, w.projects.1.get());
        assert_eq!(yi.lines[4].records.len(), 8);
        assert!(
            yi.lines[4]
                .records
                .iter()
                .all(|r| r.kind == RecordKind::Report && r.note == "逾期")
        );

        // typed lines: checked against the indicator, the unit must be assessed, nothing
        // written when refused
        let before = audit_rows(app).await;
        let entry = |unit: UnitId, value: &str| EntryInput {
            kind: "lead".into(),
            unit_id: unit.get(),
            indicator: 5,
            value: value.into(),
            reason: "考核组评定".into(),
            evidence: "评分记录表".into(),
        };
        let r = rounds::enter(app, staff, id, &entry(w.units.0, "6")).await;
        assert!(
            matches!(&r, Err(ServiceError::Validation(v)) if v.for_field("value").is_some()),
            "{r:?}"
        );
        let r = rounds::enter(app, staff, id, &entry(w.owner_unit, "4")).await;
        assert!(
            matches!(&r, Err(ServiceError::Validation(v)) if v.for_field("unit_id").is_some()),
            "{r:?}"
        );
        let r = rounds::enter(
            app,
            staff,
            id,
            &EntryInput {
                indicator: 0,
                ..entry(w.units.0, "4")
            },
        )
        .await;
        assert!(
            matches!(&r, Err(ServiceError::Validation(v)) if v.for_field("indicator").is_some()),
            "{r:?}"
        );
        assert_eq!(audit_rows(app).await, before);
        rounds::enter(app, staff, id, &entry(w.units.0, "4.5"))
            .await
            .unwrap();
        rounds::enter(app, staff, id, &entry(w.units.1, "3"))
            .await
            .unwrap();
        let v = rounds::get(app, staff, id).await.unwrap();
        assert_eq!(v.kinds[0].ranked[0].name, "甲局");
        assert_eq!(v.kinds[0].ranked[0].total, 103_50);
        // computing the draft again keeps what was typed
        rounds::recompute(app, staff, id, v.round.version)
            .await
            .unwrap();
        let v = rounds::get(app, staff, id).await.unwrap();
        assert_eq!(v.kinds[0].ranked[0].total, 103_50);

        // units do not see a draft
        assert!(matches!(
            rounds::get(app, &w.yi, id).await,
            Err(ServiceError::NotFound)
        ));
        // sent out on Friday 30 September: five working days across 国庆 (1–7 October off,
        // 8 and 9 October worked) end on 12 October
        let until = rounds::open_objections(app, staff, id, v.round.version)
            .await
            .unwrap();
        assert_eq!(
            until,
            chrono::NaiveDate::from_ymd_opt(2022, 10, 12).unwrap()
        );
        // each assessed unit is told on its 待办
        let mut tx = app.db.begin_read().await.unwrap();
        assert_eq!(
            keyproj_db::schema::row_count(&mut tx, "notifications")
                .await
                .unwrap(),
            2
        );
        drop(tx);
        // a unit sees its own lines only
        let mine = rounds::get(app, &w.yi, id).await.unwrap();
        assert!(mine.may_object);
        // its true rank among all, not first of the one line it sees
        assert_eq!(mine.kinds[0].ranked.len(), 1);
        assert_eq!(mine.kinds[0].ranked[0].rank, 2);
        assert!(
            mine.kinds
                .iter()
                .all(|k| k.scores.iter().all(|s| s.unit_name == "乙局"))
        );
        let objection = |indicator, reason: &str| ObjectionInput {
            kind: "lead".into(),
            indicator,
            reason: reason.into(),
        };
        let oid = rounds::object(
            app,
            &w.yi,
            id,
            &objection(1, "项目B因征拆延期开工，已报县政府同意"),
        )
        .await
        .unwrap();
        let r = rounds::object(app, &w.yi, id, &objection(1, "再次")).await;
        assert!(matches!(&r, Err(ServiceError::Validation(v)) if v.for_field("reason").is_some()));
        let r = rounds::object(app, &w.yi, id, &objection(1, "  ")).await;
        assert!(r.is_err());
        // staff do not object; 乙局 cannot object under a table it is not assessed by
        assert!(matches!(
            rounds::object(app, staff, id, &objection(2, "x")).await,
            Err(ServiceError::Forbidden)
        ));
        let r = rounds::object(
            app,
            &w.yi,
            id,
            &ObjectionInput {
                kind: "responsible".into(),
                ..objection(0, "x")
            },
        )
        .await;
        assert!(matches!(r, Err(ServiceError::NotFound)));
        // 审定 before the window is over is refused
        let v = rounds::get(app, staff, id).await.unwrap();
        assert!(
            rounds::review(app, staff, id, v.round.version)
                .await
                .is_err()
        );
        // a decision over the line's maximum is refused; accepted at 20 the total follows
        let o = v.objections.iter().find(|o| o.id == oid).unwrap().clone();
        let decision = |points: &str| DecisionInput {
            decision: "accepted".into(),
            points: points.into(),
            reason: "经核实，延期开工经县政府同意".into(),
            version: o.version,
        };
        // accepting never lowers the line (乙局 has 5 on it)
        let r = rounds::decide(app, staff, oid, &decision("4")).await;
        assert!(
            matches!(&r, Err(ServiceError::Validation(v)) if v.for_field("points").is_some_and(|m| m.contains("不能低于"))),
            "{r:?}"
        );
        let r = rounds::decide(app, staff, oid, &decision("21")).await;
        assert!(
            matches!(&r, Err(ServiceError::Validation(v)) if v.for_field("points").is_some()),
            "{r:?}"
        );
        assert!(matches!(
            rounds::decide(app, &w.yi, oid, &decision("20")).await,
            Err(ServiceError::Forbidden)
        ));
        rounds::decide(app, staff, oid, &decision("20"))
            .await
            .unwrap();
        let v = rounds::get(app, staff, id).await.unwrap();
        let yi = v.kinds[0]
            .scores
            .iter()
            .find(|s| s.unit_name == "乙局")
            .unwrap();
        assert_eq!(yi.total, 46_00 + 3_00 - 5_00 + 20_00);

        // after the window (13 October): objections refused, 审定 allowed
        w.clock.advance(chrono::Duration::days(13));
        let r = rounds::object(app, &w.jia, id, &objection(0, "迟到的异议")).await;
        assert!(
            matches!(&r, Err(ServiceError::Validation(v)) if v.all().iter().any(|f| f.message.contains("异议期已于"))),
            "{r:?}"
        );
        rounds::review(app, staff, id, v.round.version)
            .await
            .unwrap();
        let v = rounds::get(app, staff, id).await.unwrap();
        let notice = rounds::publish(app, staff, id, v.round.version)
            .await
            .unwrap();
        assert_eq!(notice.number, "桃重项考〔2022〕1号");
        let v = rounds::get(app, &w.yi, id).await.unwrap();
        assert_eq!(v.round.state, RoundState::Published);
        // published: everyone with access sees the whole ranking, graded
        assert_eq!(v.kinds[0].ranked.len(), 2);
        assert_eq!(v.kinds[0].ranked[0].grade, "优秀");
        assert!(rounds::get(app, &w.leader, id).await.is_ok());
        // the database refuses to change the notice or the published scores
        for sql in [
            "UPDATE assessment_notices SET title = 'x'",
            "DELETE FROM assessment_notices",
            "UPDATE assessment_scores SET total = 0",
            "DELETE FROM assessment_scores",
        ] {
            let mut tx = app.db.begin_write().await.unwrap();
            assert!(
                keyproj_db::schema::exec_raw(&mut tx, sql).await.is_err(),
                "{sql}"
            );
        }
        // a correction is a new round and a new notice that names the one it corrects
        let id2 = rounds::compute(app, staff, "2022").await.unwrap();
        let v2 = rounds::get(app, staff, id2).await.unwrap();
        assert_eq!(v2.round.corrects_round_id, Some(id));
        rounds::open_objections(app, staff, id2, v2.round.version)
            .await
            .unwrap();
        w.clock.advance(chrono::Duration::days(10));
        let v2 = rounds::get(app, staff, id2).await.unwrap();
        rounds::review(app, staff, id2, v2.round.version)
            .await
            .unwrap();
        let v2 = rounds::get(app, staff, id2).await.unwrap();
        let n2 = rounds::publish(app, staff, id2, v2.round.version)
            .await
            .unwrap();
        assert_eq!(n2.number, "桃重项考〔2022〕2号");
        assert_eq!(n2.corrects_notice_id, Some(notice.id));
        assert!(n2.title.contains("更正"));
        // the public board shows the latest 通报's ranking only where the deployment says so
        let region = RegionCode::parse("430922").unwrap();
        assert!(
            rounds::published_ranking(app, &region)
                .await
                .unwrap()
                .is_none()
        );
        let shown = App::with_clock(
            app.db.clone(),
            Config {
                board_assessment: true,
                ..Config::default()
            },
            w.clock.clone(),
        );
        let r = rounds::published_ranking(&shown, &region)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.notice.number, "桃重项考〔2022〕2号");
        assert_eq!(r.kinds[0].1[0].grade, "优秀");
    }
}

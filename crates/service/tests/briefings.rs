//! 《重点项目建设简报》 on both engines: a draft composed and checked at its fields (nothing
//! written on bad input), read by staff but not by units, issued as 第N期 with its computed
//! blocks snapshotted and its tasks assigned as problem-list items in the same step, frozen
//! (the service and the database refuse changes), its Word file read back, and counted in the
//! year's figures.

use chrono::{TimeZone, Utc};
use keyproj_db::testing::TestDb;
use keyproj_domain::RegionCode;
use keyproj_domain::authz::{Actor, Role};
use keyproj_domain::briefing::{BriefingState, HeadDraft, Rendered, SectionDraft, TaskDraft};
use keyproj_domain::ids::{ItemId, UnitId, UserId};
use keyproj_domain::org::UnitDraft;
use keyproj_service::briefings::{self as svc, Compose};
use keyproj_service::problems::{items, todo};
use keyproj_service::{App, Config, Ctx, ServiceError};

fn region() -> RegionCode {
    RegionCode::parse("430922").unwrap()
}

fn as_unit(unit: UnitId, role: Role) -> Ctx {
    Ctx {
        actor: Actor {
            user_id: Some(UserId(unit.0 + 1000)),
            username: "unit".into(),
            roles: vec![role],
            unit_id: Some(unit),
            region: region(),
        },
        ip: "test".into(),
    }
}

async fn audit_rows(app: &App) -> i64 {
    let mut tx = app.db.begin_read().await.unwrap();
    keyproj_db::schema::row_count(&mut tx, "audit_log")
        .await
        .unwrap()
}

async fn unit(app: &App, region: RegionCode, name: &str) -> UnitId {
    let mut tx = app.db.begin_write().await.unwrap();
    keyproj_service::org::ensure_regions(&mut tx, &region)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    keyproj_service::org::create_unit(
        app,
        &Ctx::system(region),
        &UnitDraft {
            name: name.into(),
            kind: "department".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

fn compose(handler: UnitId) -> Compose {
    Compose {
        head: HeadDraft {
            title: "全县重点项目建设进展".into(),
            editor: "桃江县重点项目建设事务中心".into(),
            signer: "王主任".into(),
            send_to: "县委、县政府主要领导".into(),
            copy_to: "各牵头单位".into(),
        },
        sections: vec![
            SectionDraft::Text {
                markup: "# 一、总体情况\n全县**稳步推进**<b>。".into(),
            },
            SectionDraft::Computed {
                block: "year_figures".into(),
                top: None,
            },
            SectionDraft::Computed {
                block: "problems_by_unit".into(),
                top: None,
            },
        ],
        tasks: vec![TaskDraft {
            title: "加快城南片区征拆".into(),
            description: String::new(),
            handler_unit_id: handler.to_string(),
            deadline: "2022-12-20".into(),
        }],
    }
}

#[tokio::test]
async fn a_briefing_is_composed_issued_with_its_tasks_and_frozen() {
    for t in TestDb::all().await {
        let app = App::new(t.db.clone(), Config::default())
            .at(Utc.with_ymd_and_hms(2022, 11, 14, 2, 0, 0).unwrap());
        keyproj_service::admin::users::bootstrap_admin(&app)
            .await
            .unwrap();
        let staff = Ctx::system(region());
        let zj = unit(&app, region(), "县住建局").await;
        let foreign = unit(&app, RegionCode::parse("430921").unwrap(), "南县住建局").await;
        let unit_user = as_unit(zj, Role::UnitUser);
        let leader = as_unit(zj, Role::CountyLeader);
        let owner = as_unit(zj, Role::Owner);

        // bad input: each named at its field, nothing written
        let before = audit_rows(&app).await;
        let mut bad = compose(foreign);
        bad.head.signer.clear();
        bad.sections.push(SectionDraft::Computed {
            block: "no_such_block".into(),
            top: None,
        });
        bad.tasks.push(TaskDraft {
            title: "过期任务".into(),
            handler_unit_id: zj.to_string(),
            deadline: "2022-01-01".into(),
            ..Default::default()
        });
        bad.tasks.push(TaskDraft {
            title: "过期任务".into(),
            handler_unit_id: zj.to_string(),
            ..Default::default()
        });
        bad.tasks.push(TaskDraft {
            title: "五位数年份".into(),
            handler_unit_id: zj.to_string(),
            deadline: "+99999-01-01".into(),
            ..Default::default()
        });
        let Err(ServiceError::Validation(v)) = svc::create(&app, &staff, 2022, &bad).await else {
            panic!("bad input accepted");
        };
        let messages: Vec<&str> = v.all().iter().map(|f| f.message.as_str()).collect();
        assert!(v.for_field("signer").is_some(), "{messages:?}");
        assert!(v.for_field("sections[3]").is_some(), "{messages:?}");
        // another county's unit is as unknown as a missing one
        assert!(
            v.for_field("tasks[0]").unwrap().contains("承办单位不存在"),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("早于今天")),
            "{messages:?}"
        );
        assert!(messages.iter().any(|m| m.contains("重复")), "{messages:?}");
        assert!(
            v.for_field("tasks[3]").unwrap().contains("应为日期"),
            "{messages:?}"
        );
        assert_eq!(audit_rows(&app).await, before);
        // briefings are numbered by the year they are issued in
        let r = svc::create(&app, &staff, 2100, &compose(zj)).await;
        assert!(
            matches!(&r, Err(ServiceError::Validation(v)) if v.for_field("year").is_some()),
            "{r:?}"
        );
        // only staff compose
        assert!(matches!(
            svc::create(&app, &leader, 2022, &compose(zj)).await,
            Err(ServiceError::Forbidden)
        ));

        let id = svc::create(&app, &staff, 2022, &compose(zj)).await.unwrap();
        assert_eq!(audit_rows(&app).await, before + 1);
        // a draft: staff and leaders read it with its blocks computed now; units and owners
        // do not find it
        let v = svc::get(&app, &leader, id).await.unwrap();
        assert_eq!(v.label, "草稿");
        assert!(
            matches!(&v.content.sections[1], Rendered::Computed { paragraphs, .. } if paragraphs[0].starts_with("2022年"))
        );
        for who in [&unit_user, &owner] {
            assert!(matches!(
                svc::get(&app, who, id).await,
                Err(ServiceError::NotFound)
            ));
        }
        assert!(
            svc::of_year(&app, &unit_user, 2022)
                .await
                .unwrap()
                .is_empty()
        );
        // a stale version is refused
        assert!(matches!(
            svc::issue(&app, &staff, id, 7).await,
            Err(ServiceError::Stale)
        ));

        let issued = svc::issue(&app, &staff, id, 1).await.unwrap();
        assert_eq!(issued.state, BriefingState::Issued);
        assert_eq!(issued.seq, Some(1));
        assert_eq!(issued.content.tasks.len(), 1);
        let task = &issued.content.tasks[0];
        assert_eq!(task.unit, "县住建局");
        assert_eq!(task.deadline, "2022-12-20");
        // the task is an assigned item with source 简报, on the unit's 待办
        let item = items::get(&app, &staff, ItemId(task.item_id))
            .await
            .unwrap()
            .item;
        assert_eq!(item.source.key(), "briefing");
        assert_eq!(item.briefing_id, Some(id));
        assert_eq!(item.handler_unit_id, Some(zj));
        assert_eq!(item.state.key(), "assigned");
        let todo = todo::todo(&app, &unit_user).await.unwrap();
        assert!(
            todo.to_handle.iter().any(|i| i.title == "加快城南片区征拆"),
            "on the unit's 待办"
        );
        // a far limit cannot come in through 延期 either
        let r = keyproj_service::problems::workflow::act(
            &app,
            &unit_user,
            ItemId(task.item_id),
            &keyproj_service::problems::workflow::StepInput {
                step: "request_extension".into(),
                version: item.version,
                note: "需要更多时间".into(),
                new_deadline: "9999-12-31".into(),
                assign: None,
            },
        )
        .await;
        assert!(
            matches!(&r, Err(ServiceError::Validation(v)) if v.for_field("new_deadline").is_some_and(|m| m.contains("一年"))),
            "{r:?}"
        );
        // the unit reads the issued briefing now
        let v = svc::get(&app, &unit_user, id).await.unwrap();
        assert_eq!(v.label, "2022年第1期");

        // frozen: the service refuses, and so does the database
        let before = audit_rows(&app).await;
        assert!(matches!(
            svc::update(&app, &staff, id, issued.version, &compose(zj)).await,
            Err(ServiceError::Validation(_))
        ));
        assert!(matches!(
            svc::discard(&app, &staff, id, issued.version).await,
            Err(ServiceError::Validation(_))
        ));
        assert!(matches!(
            svc::issue(&app, &staff, id, issued.version).await,
            Err(ServiceError::Validation(_))
        ));
        assert_eq!(audit_rows(&app).await, before);
        for sql in ["UPDATE briefings SET title = 'x'", "DELETE FROM briefings"] {
            let mut tx = app.db.begin_write().await.unwrap();
            let r = keyproj_db::schema::exec_raw(&mut tx, sql).await;
            assert!(r.is_err(), "{sql} on an issued briefing");
        }

        // the Word file reads back with its masthead, blocks and task
        let (name, bytes) = svc::docx(&app, &unit_user, id).await.unwrap();
        assert!(name.contains("2022年第1期"), "{name}");
        let text = keyproj_office::docx::text_of(&bytes).unwrap();
        for want in [
            "重点项目建设简报",
            "第1期",
            "全县重点项目建设进展",
            "稳步推进",
            "<b>。",
            "年度投资完成情况",
            "各单位问题办理情况",
            &task.number,
            "报送：县委、县政府主要领导。",
        ] {
            assert!(text.contains(want), "{want} in {text}");
        }

        // the next issue is 第2期; a draft is discarded
        // the same task to another unit a moment later is a task of its own, not a form sent twice
        let jt = unit(&app, region(), "县交通运输局").await;
        let mut c = compose(jt);
        c.tasks[0].title = "加快城南片区征拆".into();
        let second = svc::create(&app, &staff, 2022, &c).await.unwrap();
        let row = svc::issue(&app, &staff, second, 1).await.unwrap();
        assert_eq!(row.seq, Some(2));
        let mut c = compose(zj);
        c.tasks.clear();
        let third = svc::create(&app, &staff, 2022, &c).await.unwrap();
        svc::discard(&app, &staff, third, 1).await.unwrap();
        assert!(matches!(
            svc::get(&app, &staff, third).await,
            Err(ServiceError::NotFound)
        ));
        // the year's figures count them
        let a = keyproj_service::stats::annual(&app, &region(), 2022)
            .await
            .unwrap();
        assert_eq!((a.briefings.count, a.briefings.tasks_assigned), (2, 2));
        assert_eq!(row.content.tasks[0].unit, "县交通运输局");
        // two issues at once (several instances on PostgreSQL): never the same number; the
        // loser is told to try again
        let mut c = compose(zj);
        c.tasks.clear();
        let a = svc::create(&app, &staff, 2022, &c).await.unwrap();
        let b = svc::create(&app, &staff, 2022, &c).await.unwrap();
        let (ra, rb) = tokio::join!(
            svc::issue(&app, &staff, a, 1),
            svc::issue(&app, &staff, b, 1)
        );
        let seqs: Vec<i64> = [&ra, &rb]
            .iter()
            .filter_map(|r| r.as_ref().ok().and_then(|b| b.seq))
            .collect();
        assert!(!seqs.is_empty());
        assert!(seqs.len() == 1 || seqs[0] != seqs[1], "{seqs:?}");
        for r in [&ra, &rb] {
            assert!(
                matches!(r, Ok(_) | Err(ServiceError::Stale)),
                "{:?}",
                r.as_ref().err()
            );
        }
        // another county's staff does not find them
        let other = Ctx::system(RegionCode::parse("430921").unwrap());
        assert!(matches!(
            svc::get(&app, &other, id).await,
            Err(ServiceError::NotFound)
        ));
    }
}

//! 帮代办 on both engines: the catalogue and its seeding, items on the working-day clock with 补正
//! pauses, overdue → the problem list once, who may see and do what, the statistics, the
//! conversion figures and the annual sentence on a hand-computed dataset.

use chrono::{TimeZone, Utc};
use keyproj_db::testing::TestDb;
use keyproj_domain::RegionCode;
use keyproj_domain::authz::{Actor, Role};
use keyproj_domain::ids::{ApprovalItemId, CatalogueEntryId, ProjectId, UnitId, UserId};
use keyproj_domain::org::UnitDraft;
use keyproj_domain::pipeline::approvals::{ApprovalDraft, CatalogueDraft, StepDraft};
use keyproj_domain::pipeline::{ApprovalState, SignedDraft};
use keyproj_service::admin::users::{self, NewAccount};
use keyproj_service::pipeline::approvals::{self as approvals, ListQuery};
use keyproj_service::pipeline::signing::{self, SignedRefs};
use keyproj_service::pipeline::{conversion, support};
use keyproj_service::{App, Config, Ctx, ServiceError, TestClock};
use std::sync::{Arc, Mutex};

fn ctx(unit: UnitId, role: Role, name: &str) -> Ctx {
    Ctx {
        actor: Actor {
            user_id: Some(UserId(unit.0 + 1000)),
            username: name.into(),
            roles: vec![role],
            unit_id: Some(unit),
            region: RegionCode::parse("430922").unwrap(),
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

async fn step(
    app: &App,
    who: &Ctx,
    id: ApprovalItemId,
    s: &str,
    on: &str,
    note: &str,
    no: &str,
) -> Result<ApprovalState, ServiceError> {
    let version = approvals::get(app, &Ctx::system(RegionCode::parse("430922").unwrap()), id)
        .await
        .unwrap()
        .item
        .row
        .version;
    approvals::step(
        app,
        who,
        id,
        &StepDraft {
            step: s.into(),
            on: on.into(),
            note: note.into(),
            approval_no: no.into(),
        },
        version,
    )
    .await
}

struct World {
    app: App,
    staff: Ctx,
    fg: UnitId,
    zr: UnitId,
    project: ProjectId,
}

/// Monday 2022-11-14, 10:00 in the county: three departments, an agent, a project signed above
/// the threshold.
async fn world(t: &TestDb) -> World {
    let clock = Arc::new(TestClock(Mutex::new(
        Utc.with_ymd_and_hms(2022, 11, 14, 2, 0, 0).unwrap(),
    )));
    let app = App::with_clock(t.db.clone(), Config::default(), clock);
    keyproj_service::admin::users::bootstrap_admin(&app)
        .await
        .unwrap();
    let county = RegionCode::parse("430922").unwrap();
    let sys = Ctx::system(county.clone());
    let mut ids = vec![];
    for name in ["县发展和改革局", "县自然资源局", "县住房和城乡建设局"] {
        ids.push(
            keyproj_service::org::create_unit(
                &app,
                &sys,
                &UnitDraft {
                    name: name.into(),
                    kind: "department".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap(),
        );
    }
    let center = keyproj_service::org::unit_by_name(&app, &county, "桃江县重点项目建设事务中心")
        .await
        .unwrap()
        .unwrap()
        .id;
    let admin = Ctx {
        actor: Actor {
            roles: vec![Role::SystemAdmin],
            ..Actor::system(county.clone())
        },
        ip: "test".into(),
    };
    users::create(
        &app,
        &admin,
        &NewAccount {
            username: "daiban",
            display_name: "李代办",
            unit_id: center,
            roles: &[Role::CenterStaff],
        },
    )
    .await
    .unwrap();
    users::create(
        &app,
        &admin,
        &NewAccount {
            username: "fgju",
            display_name: "王科长",
            unit_id: ids[0],
            roles: &[Role::UnitUser],
        },
    )
    .await
    .unwrap();
    let s = signing::add_signed(
        &app,
        &sys,
        &SignedDraft {
            name: "锑业技改扩能项目".into(),
            investor: "湖南久通锑业有限公司".into(),
            investor_origin: "长沙".into(),
            contract_no: "QY-2022-001".into(),
            contract_on: "2022-03-18".into(),
            agreed_investment_wan: "40000".into(),
            industry: "工业制造".into(),
            expected_start: "2022-09".into(),
        },
        &SignedRefs::default(),
    )
    .await
    .unwrap();
    World {
        app,
        staff: ctx(center, Role::CenterStaff, "daiban"),
        fg: ids[0],
        zr: ids[1],
        project: s.project_id.unwrap(),
    }
}

fn from_catalogue(id: CatalogueEntryId, received: &str) -> ApprovalDraft {
    ApprovalDraft {
        catalogue_id: Some(id),
        agent: "daiban".into(),
        received_on: received.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn approvals_run_on_the_working_day_clock_and_raise_into_the_problem_list_once() {
    for t in TestDb::all().await {
        let w = world(&t).await;
        let (app, staff) = (&w.app, &w.staff);

        // the usual chain: departments found by name; the others are named, not guessed
        let seeded = approvals::seed_usual(app, staff).await.unwrap();
        assert_eq!(seeded.added.len(), 10, "{seeded:?}");
        assert!(seeded.skipped.iter().any(|s| s.contains("生态环境分局")));
        assert!(
            approvals::seed_usual(app, staff)
                .await
                .unwrap()
                .added
                .is_empty(),
            "twice adds nothing"
        );
        let cat = approvals::catalogue(app, staff).await.unwrap();
        let entry = |name: &str| cat.iter().find(|c| c.name == name).unwrap();
        assert_eq!(entry("立项审批/核准/备案").unit_id, w.fg);
        assert_eq!(entry("用地预审与选址").unit_id, w.zr);

        // 立项: received, accepted, done within its 5 working days
        let a = approvals::add_item(
            app,
            staff,
            w.project,
            &from_catalogue(entry("立项审批/核准/备案").id, "2022-10-31"),
        )
        .await
        .unwrap();
        assert_eq!(
            step(app, staff, a, "accept", "2022-11-01", "", "")
                .await
                .unwrap(),
            ApprovalState::Accepted
        );
        // the department completes its own item, with the permit number
        let fg = ctx(w.fg, Role::UnitUser, "fgju");
        assert_eq!(
            step(
                app,
                &fg,
                a,
                "complete",
                "2022-11-04",
                "",
                "桃发改备〔2022〕88号"
            )
            .await
            .unwrap(),
            ApprovalState::Done
        );

        // the same approval twice for one project is refused while the first is alive
        let twice = approvals::add_item(
            app,
            staff,
            w.project,
            &from_catalogue(entry("立项审批/核准/备案").id, ""),
        )
        .await;
        assert!(
            matches!(&twice, Err(ServiceError::Validation(v)) if v.for_field("catalogue_id").is_some_and(|m| m.contains("不重复添加"))),
            "{twice:?}"
        );

        // 用地预审: accepted Mon 10-24, 补正 10-26 to 10-31: 15 working days to 11-14, 3 paused,
        // 12 used of 10 promised → overdue
        let b = approvals::add_item(
            app,
            staff,
            w.project,
            &from_catalogue(entry("用地预审与选址").id, "2022-10-20"),
        )
        .await
        .unwrap();
        step(app, staff, b, "accept", "2022-10-24", "", "")
            .await
            .unwrap();
        let no_reason = step(app, staff, b, "correct", "2022-10-26", "", "").await;
        assert!(
            matches!(&no_reason, Err(ServiceError::Validation(v)) if v.for_field("note").is_some())
        );
        step(app, staff, b, "correct", "2022-10-26", "缺少勘测定界图", "")
            .await
            .unwrap();
        step(app, staff, b, "resubmit", "2022-10-31", "", "")
            .await
            .unwrap();
        let d = approvals::get(app, staff, b).await.unwrap();
        assert_eq!(d.item.used_days, Some(12));
        assert!(d.item.overdue && d.may_raise);

        // an ad hoc item not started yet
        approvals::add_item(
            app,
            staff,
            w.project,
            &ApprovalDraft {
                name: "压覆矿产资源查询".into(),
                unit_id: Some(w.zr),
                limit_days: "20".into(),
                day_count: "calendar".into(),
                agent: "daiban".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();

        // bad input: a message at the field, nothing written
        let before = audit_rows(app).await;
        let early = step(app, staff, b, "complete", "2022-10-20", "", "X-1").await;
        assert!(
            matches!(&early, Err(ServiceError::Validation(v)) if v.for_field("on").is_some_and(|m| m.contains("办结日期不能早于受理日期"))),
            "{early:?}"
        );
        let unknown = approvals::add_item(
            app,
            staff,
            w.project,
            &from_catalogue(CatalogueEntryId(999_999), ""),
        )
        .await;
        assert!(
            matches!(&unknown, Err(ServiceError::Validation(v)) if v.for_field("catalogue_id").is_some())
        );
        let foreign = approvals::add_item(
            app,
            staff,
            ProjectId(999_999),
            &from_catalogue(entry("施工许可").id, ""),
        )
        .await;
        assert!(
            matches!(&foreign, Err(ServiceError::Validation(v)) if v.for_field("project_id").is_some())
        );
        let not_staff = approvals::add_item(
            app,
            staff,
            w.project,
            &ApprovalDraft {
                agent: "fgju".into(),
                ..from_catalogue(entry("施工许可").id, "")
            },
        )
        .await;
        assert!(
            matches!(&not_staff, Err(ServiceError::Validation(v)) if v.for_field("agent").is_some())
        );
        let foreign_unit = approvals::add_entry(
            app,
            staff,
            &CatalogueDraft {
                name: "某事项".into(),
                unit_id: Some(UnitId(999_999)),
                limit_days: "5".into(),
                day_count: "working".into(),
            },
        )
        .await;
        assert!(
            matches!(&foreign_unit, Err(ServiceError::Validation(v)) if v.for_field("unit_id").is_some())
        );
        // a second entry of the same name by renaming, an enterprise as the department
        let renamed = approvals::update_entry(
            app,
            staff,
            entry("施工许可").id,
            &CatalogueDraft {
                name: "用地预审与选址".into(),
                unit_id: Some(w.zr),
                limit_days: "10".into(),
                day_count: "working".into(),
            },
            false,
            1,
        )
        .await;
        assert!(
            matches!(&renamed, Err(ServiceError::Validation(v)) if v.for_field("name").is_some()),
            "{renamed:?}"
        );
        let firm = keyproj_service::org::create_unit(
            app,
            &Ctx::system(RegionCode::parse("430922").unwrap()),
            &UnitDraft {
                name: "某建设有限公司".into(),
                kind: "enterprise".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let before_firm = audit_rows(app).await;
        let firm_entry = approvals::add_entry(
            app,
            staff,
            &CatalogueDraft {
                name: "企业事项".into(),
                unit_id: Some(firm),
                limit_days: "5".into(),
                day_count: "working".into(),
            },
        )
        .await;
        assert!(
            matches!(&firm_entry, Err(ServiceError::Validation(v)) if v.for_field("unit_id").is_some_and(|m| m.contains("企业")))
        );
        assert_eq!(audit_rows(app).await, before_firm);
        assert_eq!(before_firm, before + 1, "only the firm itself was written");

        // permissions: another department neither sees nor steps the item (404); an owner of
        // another project sees none; the department may not add items (403)
        let other = ctx(w.fg, Role::UnitUser, "fgju");
        assert!(matches!(
            approvals::get(app, &other, b).await,
            Err(ServiceError::NotFound)
        ));
        assert!(matches!(
            step(app, &other, b, "complete", "", "", "X").await,
            Err(ServiceError::NotFound)
        ));
        let zr = ctx(w.zr, Role::UnitUser, "zrju");
        let mine = approvals::list(app, &zr, &ListQuery::default())
            .await
            .unwrap();
        assert_eq!(mine.total, 2, "the department sees the items it decides");
        assert!(matches!(
            approvals::add_item(
                app,
                &zr,
                w.project,
                &from_catalogue(entry("施工许可").id, "")
            )
            .await,
            Err(ServiceError::Forbidden)
        ));
        // the department may not withdraw (the center's step)
        assert!(matches!(
            step(app, &zr, b, "withdraw", "", "项目调整", "").await,
            Err(ServiceError::Forbidden)
        ));
        let owner = ctx(w.fg, Role::Owner, "yezhu");
        assert_eq!(
            approvals::list(app, &owner, &ListQuery::default())
                .await
                .unwrap()
                .total,
            0
        );
        assert!(matches!(
            approvals::raise_problem(app, &zr, b).await,
            Err(ServiceError::Forbidden)
        ));

        // overdue → the problem list once, assigned to the department
        let raised = approvals::raise_problem(app, staff, b).await.unwrap();
        let item = keyproj_service::problems::items::get(app, staff, raised.id)
            .await
            .unwrap();
        assert_eq!(item.item.source, keyproj_domain::problem::Source::Approval);
        assert_eq!(item.item.handler_unit_id, Some(w.zr));
        let before = audit_rows(app).await;
        let again = approvals::raise_problem(app, staff, b).await;
        assert!(
            matches!(&again, Err(ServiceError::Validation(v)) if v.for_field("item").is_some()),
            "{again:?}"
        );
        let done = approvals::raise_problem(app, staff, a).await;
        assert!(
            matches!(&done, Err(ServiceError::Validation(v)) if v.for_field("item").is_some_and(|m| m.contains("已办结"))),
            "{done:?}"
        );
        assert_eq!(audit_rows(app).await, before);
        assert!(!approvals::get(app, staff, b).await.unwrap().may_raise);

        // statistics: 发改局 one done on time; 自然资源局 one overdue, one not started
        let st = approvals::stats(app, staff).await.unwrap();
        let fgl = st
            .by_unit
            .iter()
            .find(|l| l.key == w.fg.to_string())
            .unwrap();
        assert_eq!(
            (fgl.handled, fgl.completed, fgl.on_time, fgl.overdue_now),
            (1, 1, 1, 0)
        );
        assert_eq!(fgl.average_days, Some(3.0));
        let zrl = st
            .by_unit
            .iter()
            .find(|l| l.key == w.zr.to_string())
            .unwrap();
        assert_eq!((zrl.handled, zrl.completed, zrl.overdue_now), (1, 0, 1));
        assert_eq!(
            st.by_unit[0].key,
            w.zr.to_string(),
            "the most overdue first"
        );
        assert_eq!(st.total.handled, 2);
        let overdue = approvals::list(
            app,
            staff,
            &ListQuery {
                overdue_only: true,
                limit: Some(10),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(overdue.total, 1);
        assert_eq!(overdue.items[0].row.id, b);

        // the progress strip: 1 done, 1 in hand, 1 not started
        let p = approvals::progress(app, staff, w.project)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((p.done, p.in_hand, p.not_started), (1, 1, 1));

        // conversion and the annual figures: 1 signed, above the threshold, 2 handled, in 前期
        let c = conversion::conversion(app, staff, 2022).await.unwrap();
        assert_eq!(
            (
                c.total.signed,
                c.total.above_threshold,
                c.total.approvals_handled,
                c.total.started,
                c.total.preliminary
            ),
            (1, 1, 2, 0, 1)
        );
        let annual = keyproj_service::stats::annual(app, &staff.actor.region, 2022)
            .await
            .unwrap();
        assert_eq!(
            (
                annual.signing.signed,
                annual.signing.above_threshold,
                annual.signing.preliminary
            ),
            (1, 1, 1)
        );
        assert_eq!(
            (
                annual.approvals.handled,
                annual.approvals.completed,
                annual.approvals.overdue
            ),
            (2, 1, 1)
        );
        assert_eq!(annual.approvals.on_time_pct.as_deref(), Some("100.0"));
        assert!(
            annual.text.iter().any(|s| s.contains("共签约项目1个")
                && s.contains("累计为各重点项目办理政务服务事项2项")),
            "{:?}",
            annual.text
        );

        // 后扶 measures only for operating projects
        let m = support::add_measure(
            app,
            staff,
            &keyproj_domain::pipeline::MeasureDraft {
                project_id: Some(w.project),
                text: "协调用电增容".into(),
                unit_id: Some(w.fg),
                measure_on: String::new(),
            },
        )
        .await;
        assert!(
            matches!(&m, Err(ServiceError::Validation(v)) if v.for_field("project_id").is_some_and(|m| m.contains("签约")))
        );
    }
}

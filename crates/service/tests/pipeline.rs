//! The pipeline on both engines: signing events and signed projects, entry into the library at
//! the inclusion threshold, and what bad input changes (nothing).

use keyproj_db::testing::TestDb;
use keyproj_domain::RegionCode;
use keyproj_domain::authz::{Actor, Role};
use keyproj_domain::pipeline::{EventDraft, SignedDraft};
use keyproj_domain::project::Stage;
use keyproj_service::pipeline::signing::{self, SignedRefs};
use keyproj_service::{App, Config, Ctx, ServiceError};

fn signed(name: &str, contract: &str, wan: &str, industry: &str) -> SignedDraft {
    SignedDraft {
        name: name.into(),
        investor: format!("{name}投资有限公司"),
        investor_origin: "长沙".into(),
        contract_no: contract.into(),
        contract_on: "2022-03-18".into(),
        agreed_investment_wan: wan.into(),
        industry: industry.into(),
        expected_start: "2022-09".into(),
    }
}

async fn audit_rows(app: &App) -> i64 {
    let mut tx = app.db.begin_read().await.unwrap();
    keyproj_db::schema::row_count(&mut tx, "audit_log")
        .await
        .unwrap()
}

#[tokio::test]
async fn signed_projects_enter_the_library_at_the_threshold() {
    for t in TestDb::all().await {
        let app = App::new(t.db.clone(), Config::default());
        keyproj_service::admin::users::bootstrap_admin(&app)
            .await
            .unwrap();
        let county = RegionCode::parse("430922").unwrap();
        let staff = Ctx::system(county.clone());
        let event = signing::create_event(
            &app,
            &staff,
            &EventDraft {
                name: "2022年第一次重点项目集中签约".into(),
                held_on: "2022-03-18".into(),
                place: "县会议中心".into(),
                organiser: "县人民政府".into(),
                level: "县级".into(),
            },
        )
        .await
        .unwrap();
        let refs = SignedRefs {
            event_id: Some(event),
            ..Default::default()
        };
        // industrial threshold 5000万元, others 1000万元 (the reference county's defaults)
        let a = signing::add_signed(
            &app,
            &staff,
            &signed("锑业技改扩能", "QY-001", "40000", "工业制造"),
            &refs,
        )
        .await
        .unwrap();
        let b = signing::add_signed(
            &app,
            &staff,
            &signed("小型农机装配", "QY-002", "3000", "工业制造"),
            &refs,
        )
        .await
        .unwrap();
        let c = signing::add_signed(
            &app,
            &staff,
            &signed("竹海旅游度假区", "QY-003", "12000", "文化旅游"),
            &refs,
        )
        .await
        .unwrap();
        assert!(a.project_id.is_some() && c.project_id.is_some());
        assert_eq!(
            b.project_id, None,
            "below the threshold: counted, not dispatched"
        );
        let p = keyproj_service::projects::get(&app, &staff, a.project_id.unwrap())
            .await
            .unwrap();
        assert_eq!(p.project.stage, Stage::Signed);
        assert_eq!(p.project.total_investment.fen(), 40_000 * 1_000_000);
        assert_eq!(
            signing::signed(&app, &staff, Some(event))
                .await
                .unwrap()
                .len(),
            3
        );
        assert_eq!(signing::events(&app, &staff).await.unwrap().len(), 1);
        // 未落地: signed six months ago or more and not started; a fresh signing is not
        let mut fresh = signed("新签项目", "QY-004", "9000", "文化旅游");
        fresh.contract_on = app.local_today().to_string();
        // (signed on its own: a contract of today does not belong to an event of March)
        let early = signing::add_signed(&app, &staff, &fresh, &refs).await;
        assert!(
            matches!(&early, Err(ServiceError::Validation(v)) if v.for_field("contract_on").is_some()),
            "{early:?}"
        );
        signing::add_signed(&app, &staff, &fresh, &SignedRefs::default())
            .await
            .unwrap();
        let mut future = signed("未来项目", "QY-005", "9000", "文化旅游");
        future.contract_on = "2999-01-01".into();
        let future = signing::add_signed(&app, &staff, &future, &SignedRefs::default()).await;
        assert!(
            matches!(&future, Err(ServiceError::Validation(v)) if v.for_field("contract_on").is_some_and(|m| m.contains("不能晚于今天")))
        );
        let rows = signing::signed(&app, &staff, None).await.unwrap();
        let flagged: Vec<&str> = rows
            .iter()
            .filter(|r| signing::not_moving(&app, r))
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(flagged, ["锑业技改扩能", "小型农机装配", "竹海旅游度假区"]);
        assert!(rows.iter().all(|r| !r.started));

        // bad input: a Chinese message at the field and nothing written
        let before = audit_rows(&app).await;
        let dup = signing::add_signed(
            &app,
            &staff,
            &signed("另一个项目", "qy-001", "8000", "工业制造"),
            &refs,
        )
        .await;
        assert!(
            matches!(&dup, Err(ServiceError::Validation(v)) if v.for_field("contract_no").is_some()),
            "{dup:?}"
        );
        let unknown = signing::add_signed(
            &app,
            &staff,
            &signed("某项目", "QY-009", "8000", "工业制造"),
            &SignedRefs {
                event_id: Some(keyproj_domain::ids::SigningEventId(999_999)),
                ..Default::default()
            },
        )
        .await;
        assert!(
            matches!(&unknown, Err(ServiceError::Validation(v)) if v.for_field("event_id").is_some())
        );
        let bad =
            signing::add_signed(&app, &staff, &signed("负数", "QY-010", "-5", "能源"), &refs).await;
        assert!(matches!(bad, Err(ServiceError::Validation(_))));
        assert_eq!(audit_rows(&app).await, before);
        assert_eq!(signing::signed(&app, &staff, None).await.unwrap().len(), 4);

        // a later change of the agreed investment checks the threshold again: 3000 → 6000万元
        // (industrial, threshold 5000) enters the library at 签约; a reason is owed
        let rows = signing::signed(&app, &staff, None).await.unwrap();
        let small = rows.iter().find(|r| r.contract_no == "QY-002").unwrap();
        let change = |wan: &str, reason: &str| keyproj_domain::pipeline::AgreedChangeDraft {
            agreed_investment_wan: wan.into(),
            reason: reason.into(),
        };
        let before = audit_rows(&app).await;
        let no_reason =
            signing::change_agreed(&app, &staff, small.id, &change("6000", ""), small.version)
                .await;
        assert!(
            matches!(&no_reason, Err(ServiceError::Validation(v)) if v.for_field("reason").is_some())
        );
        let absurd =
            signing::change_agreed(&app, &staff, small.id, &change("-1", "核对"), small.version)
                .await;
        assert!(
            matches!(&absurd, Err(ServiceError::Validation(v)) if v.for_field("agreed_investment_wan").is_some())
        );
        assert_eq!(audit_rows(&app).await, before);
        let r = signing::change_agreed(
            &app,
            &staff,
            small.id,
            &change("6000", "补充协议增资"),
            small.version,
        )
        .await
        .unwrap();
        let entered = r.entered.expect("reached the threshold");
        assert_eq!(
            keyproj_service::projects::get(&app, &staff, entered)
                .await
                .unwrap()
                .project
                .stage,
            Stage::Signed
        );
        // a stale version changes nothing
        assert!(matches!(
            signing::change_agreed(
                &app,
                &staff,
                small.id,
                &change("7000", "再增资"),
                small.version
            )
            .await,
            Err(ServiceError::Stale)
        ));
        // falling below keeps the project it already became
        let now = signing::get_signed(&app, &staff, small.id).await.unwrap();
        let r =
            signing::change_agreed(&app, &staff, small.id, &change("2000", "减资"), now.version)
                .await
                .unwrap();
        assert!(r.below_but_kept && r.entered.is_none());
        assert_eq!(
            signing::get_signed(&app, &staff, small.id)
                .await
                .unwrap()
                .project_id,
            Some(entered)
        );

        // an owner may not record signings
        let owner = Ctx {
            actor: Actor {
                user_id: None,
                username: "owner".into(),
                roles: vec![Role::Owner],
                unit_id: None,
                region: county.clone(),
            },
            ..staff.clone()
        };
        assert!(matches!(
            signing::add_signed(&app, &owner, &signed("x", "QY-011", "8000", "能源"), &refs).await,
            Err(ServiceError::Forbidden)
        ));
        // nor read them: contracts and investors are the center's
        assert!(matches!(
            signing::signed(&app, &owner, None).await,
            Err(ServiceError::NotFound)
        ));
        assert!(matches!(
            signing::events(&app, &owner).await,
            Err(ServiceError::NotFound)
        ));
    }
}

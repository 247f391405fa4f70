// Points are written as whole_hundredths (10_00 is 10 分).
#![allow(clippy::inconsistent_digit_grouping)]

//! 部门整体支出绩效自评 on both engines: the ledger kept only when it reconciles (the line that
//! is off named, nothing written), changed at the version read with its audit rows, read by
//! staff and leaders only, and the reference year scored 100 → 优.

use keyproj_db::testing::TestDb;
use keyproj_domain::Money;
use keyproj_domain::RegionCode;
use keyproj_domain::authz::{Actor, Role};
use keyproj_domain::evaluation::reference_ledger;
use keyproj_domain::ids::{UnitId, UserId};
use keyproj_service::evaluation as svc;
use keyproj_service::{App, Config, Ctx, ServiceError};

fn as_role(role: Role) -> Ctx {
    Ctx {
        actor: Actor {
            user_id: Some(UserId(99)),
            username: "someone".into(),
            roles: vec![role],
            unit_id: Some(UnitId(1)),
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

#[tokio::test]
async fn the_ledger_is_kept_when_it_reconciles_and_the_year_scores() {
    for t in TestDb::all().await {
        let app = App::new(t.db.clone(), Config::default());
        keyproj_service::admin::users::bootstrap_admin(&app)
            .await
            .unwrap();
        let staff = Ctx::system(RegionCode::parse("430922").unwrap());
        let before = audit_rows(&app).await;
        // a class that does not add up to 基本支出: named with how far off, nothing written
        let mut bad = reference_ledger();
        bad.basic_by_class[0].1 = Money::parse_wan("x", "x", "30.00").unwrap();
        let r = svc::save_ledger(&app, &staff, 2022, &bad, None).await;
        assert!(
            matches!(&r, Err(ServiceError::Validation(v)) if v.for_field("basic").is_some_and(|m| m.contains("少了0.18万元"))),
            "{r:?}"
        );
        assert_eq!(audit_rows(&app).await, before);
        // only staff keep it; units and owners do not find it
        for role in [Role::CountyLeader, Role::UnitUser] {
            assert!(matches!(
                svc::save_ledger(&app, &as_role(role), 2022, &reference_ledger(), None).await,
                Err(ServiceError::Forbidden)
            ));
        }
        svc::save_ledger(&app, &staff, 2022, &reference_ledger(), None)
            .await
            .unwrap();
        assert_eq!(audit_rows(&app).await, before + 1);
        for role in [Role::UnitUser, Role::Owner] {
            assert!(matches!(
                svc::ledger(&app, &as_role(role), 2022).await,
                Err(ServiceError::NotFound)
            ));
        }
        let row = svc::ledger(&app, &as_role(Role::CountyLeader), 2022)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.version, 1);
        // a second first ledger, or a change at an old version: stale, nothing written
        assert!(matches!(
            svc::save_ledger(&app, &staff, 2022, &reference_ledger(), None).await,
            Err(ServiceError::Stale)
        ));
        let mut changed = reference_ledger();
        changed.violations = 1;
        assert!(matches!(
            svc::save_ledger(&app, &staff, 2022, &changed, Some(7)).await,
            Err(ServiceError::Stale)
        ));
        assert_eq!(audit_rows(&app).await, before + 1);
        // the reference year: 10 / 30 / 30 / 30 = 100 → 优 (the 产出 leaves this empty county
        // has no records for are not applicable, so its group is scaled back)
        let y = svc::evaluate(&app, &staff, 2022).await.unwrap();
        assert_eq!(y.evaluation.total, 100_00);
        assert_eq!(y.evaluation.grade, "优");
        // one violation found: 1 point off 资金使用合规性 (and, with 产出 not applicable here,
        // the 69 of 70 applicable points scaled back to 100: 98.571… → 98.57)
        svc::save_ledger(&app, &staff, 2022, &changed, Some(1))
            .await
            .unwrap();
        assert_eq!(audit_rows(&app).await, before + 2);
        let y = svc::evaluate(&app, &staff, 2022).await.unwrap();
        assert_eq!(y.evaluation.l1[1].2, Some(29_00));
        assert!(y.evaluation.sentence().contains("产出指标本年度不适用"));
        assert_eq!(y.evaluation.total, 98_57);
        // a year without a ledger has nothing to score
        let r = svc::evaluate(&app, &staff, 2023).await;
        assert!(
            matches!(&r, Err(ServiceError::Validation(v)) if v.for_field("year").is_some_and(|m| m.contains("尚未录入"))),
            "{r:?}"
        );
    }
}

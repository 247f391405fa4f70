//! 考核办法 rules on both engines: a draft from the example, checked tables, adoption as a frozen
//! version (the database refuses changes), a revision only with a reason, and who may do what.

use keyproj_db::testing::TestDb;
use keyproj_domain::RegionCode;
use keyproj_domain::authz::{Actor, Role};
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

        // a revision starts from the adopted tables and is adopted only with a reason
        rules::start_draft(&app, &staff, 2022).await.unwrap();
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

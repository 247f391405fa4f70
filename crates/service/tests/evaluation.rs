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

#[tokio::test]
async fn the_report_is_kept_issued_once_and_frozen() {
    use keyproj_domain::evaluation::report::ReportTexts;
    for t in TestDb::all().await {
        let app = App::new(t.db.clone(), Config::default());
        keyproj_service::admin::users::bootstrap_admin(&app)
            .await
            .unwrap();
        let staff = Ctx::system(RegionCode::parse("430922").unwrap());
        svc::save_ledger(&app, &staff, 2022, &reference_ledger(), None)
            .await
            .unwrap();
        let r = svc::report(&app, &staff, 2022).await.unwrap();
        assert!(r.issued.is_none() && r.texts_version.is_none());
        let before = audit_rows(&app).await;

        // without goals and basis it is not issued; nothing written
        let Err(ServiceError::Validation(v)) = svc::issue(&app, &staff, 2022, None).await else {
            panic!("issued without goals on {}", t.url)
        };
        assert!(v.for_field("goals").is_some() && v.for_field("basis").is_some());
        assert_eq!(audit_rows(&app).await, before);

        // units do not find it, leaders read but do not write
        assert!(matches!(
            svc::report(&app, &as_role(Role::UnitUser), 2022).await,
            Err(ServiceError::NotFound)
        ));
        let texts = ReportTexts {
            goals: "一是完成市定重点项目建设目标任务。\n二是每月通报项目进展情况。".into(),
            basis: "《桃江县财政局关于开展2022年度财政资金绩效自评工作的通知》（桃财监〔2023〕63号）文件".into(),
            work: "坚持党建引领，各项工作任务全面完成。".into(),
            ..Default::default()
        };
        assert!(matches!(
            svc::save_texts(&app, &as_role(Role::CountyLeader), 2022, &texts, None).await,
            Err(ServiceError::Forbidden)
        ));
        // too long: refused at its field
        let long = ReportTexts {
            problems: "问".repeat(ReportTexts::MAX_CHARS + 1),
            ..texts.clone()
        };
        assert!(matches!(
            svc::save_texts(&app, &staff, 2022, &long, None).await,
            Err(ServiceError::Validation(v)) if v.for_field("problems").is_some()
        ));
        svc::save_texts(&app, &staff, 2022, &texts, None)
            .await
            .unwrap();
        assert_eq!(audit_rows(&app).await, before + 1);

        // issuing with the version read before the texts changed: stale
        assert!(matches!(
            svc::issue(&app, &staff, 2022, None).await,
            Err(ServiceError::Stale)
        ));
        let r = svc::report(&app, &staff, 2022).await.unwrap();
        let text = serde_json::to_string(&r.doc.blocks).unwrap();
        assert!(text.contains("二是每月通报项目进展情况。"));
        assert!(text.contains("（二）其他重点工作"));
        let issued = svc::issue(&app, &staff, 2022, r.texts_version)
            .await
            .unwrap();
        assert!(issued.number.starts_with("绩效自评〔") && issued.number.ends_with("〕1号"));
        assert_eq!(audit_rows(&app).await, before + 2);

        // frozen: the ledger changes, the issued report does not; texts and a second issue refused
        let mut changed = reference_ledger();
        changed.violations = 2;
        svc::save_ledger(&app, &staff, 2022, &changed, Some(1))
            .await
            .unwrap();
        let after = svc::report(&app, &staff, 2022).await.unwrap();
        assert_eq!(after.doc, r.doc);
        assert_eq!(after.issued.as_ref().unwrap().number, issued.number);
        assert!(
            svc::evaluate(&app, &staff, 2022)
                .await
                .unwrap()
                .evaluation
                .total
                < 100_00
        );
        let n = audit_rows(&app).await;
        assert!(matches!(
            svc::save_texts(&app, &staff, 2022, &texts, r.texts_version).await,
            Err(ServiceError::Validation(v)) if v.for_field("report").is_some()
        ));
        assert!(matches!(
            svc::issue(&app, &staff, 2022, r.texts_version).await,
            Err(ServiceError::Validation(v)) if v.for_field("report").is_some()
        ));
        assert_eq!(audit_rows(&app).await, n);
        // the database itself refuses to change an issued report
        let mut tx = app.db.begin_write().await.unwrap();
        assert!(
            keyproj_db::schema::exec_raw(&mut tx, "UPDATE evaluation_reports SET number = 'x'")
                .await
                .is_err()
        );
        drop(tx);
        // the Word file is the issued one
        let (name, bytes) = svc::report_docx(&app, &staff, 2022).await.unwrap();
        assert!(!name.contains("草稿"));
        let docx = keyproj_office::docx::text_of(&bytes).unwrap();
        assert!(docx.contains(&issued.number));
        assert!(docx.contains("总绩效为100分"));
    }
}

#[tokio::test]
async fn the_ledger_goes_out_and_back_in_as_a_workbook_all_or_nothing() {
    use keyproj_domain::evaluation::sheet::rows_of;
    for t in TestDb::all().await {
        let app = App::new(t.db.clone(), Config::default());
        keyproj_service::admin::users::bootstrap_admin(&app)
            .await
            .unwrap();
        let staff = Ctx::system(RegionCode::parse("430922").unwrap());
        svc::save_ledger(&app, &staff, 2022, &reference_ledger(), None)
            .await
            .unwrap();
        let (name, bytes) = svc::ledger_workbook(&app, &staff, 2022).await.unwrap();
        assert_eq!(name, "2022年部门收支账表.xlsx");
        let before = audit_rows(&app).await;

        // garbage, a line it does not know, totals that do not add up: nothing written
        let r = svc::import_ledger(&app, &staff, 2023, b"not a workbook").await;
        assert!(
            matches!(&r, Err(ServiceError::Validation(v)) if v.for_field("file").is_some()),
            "{r:?}"
        );
        let mut rows = rows_of(&reference_ledger());
        rows.push([
            "支出".into(),
            "奖金".into(),
            "".into(),
            "1".into(),
            "".into(),
            "".into(),
        ]);
        let bad = keyproj_office::ledger_sheet::write(&rows).unwrap();
        let r = svc::import_ledger(&app, &staff, 2023, &bad).await;
        assert!(
            matches!(&r, Err(ServiceError::Validation(v)) if v.all().iter().any(|e| e.message.contains("不认识的类别"))),
            "{r:?}"
        );
        let mut off = reference_ledger();
        off.basic_by_class[0].1 = Money::parse_wan("x", "x", "31.18").unwrap();
        let r = svc::import_ledger(
            &app,
            &staff,
            2023,
            &keyproj_office::ledger_sheet::write(&rows_of(&off)).unwrap(),
        )
        .await;
        assert!(
            matches!(&r, Err(ServiceError::Validation(v)) if v.for_field("basic").is_some_and(|m| m.contains("多了1.00万元"))),
            "{r:?}"
        );
        assert!(svc::ledger(&app, &staff, 2023).await.unwrap().is_none());
        assert_eq!(audit_rows(&app).await, before);
        // leaders do not import
        assert!(matches!(
            svc::import_ledger(&app, &as_role(Role::CountyLeader), 2023, &bytes).await,
            Err(ServiceError::Forbidden)
        ));

        // the 2022 workbook imported as 2023: the same figures, one audit row marked as import
        svc::import_ledger(&app, &staff, 2023, &bytes)
            .await
            .unwrap();
        let l = svc::ledger(&app, &staff, 2023)
            .await
            .unwrap()
            .unwrap()
            .ledger;
        let r = reference_ledger();
        assert_eq!(
            (
                &l.income,
                l.basic,
                &l.basic_by_class,
                &l.project_lines,
                &l.profile
            ),
            (
                &r.income,
                r.basic,
                &r.basic_by_class,
                &r.project_lines,
                &r.profile
            )
        );
        assert_eq!(audit_rows(&app).await, before + 1);
        // imported again over the kept one: the judgements answered on the page stay
        let mut judged = l.clone();
        judged.targets_clear = r.targets_clear.clone();
        svc::save_ledger(&app, &staff, 2023, &judged, Some(1))
            .await
            .unwrap();
        svc::import_ledger(&app, &staff, 2023, &bytes)
            .await
            .unwrap();
        let again = svc::ledger(&app, &staff, 2023).await.unwrap().unwrap();
        assert_eq!(again.version, 3);
        assert_eq!(again.ledger.targets_clear, r.targets_clear);
    }
}

#[tokio::test]
async fn a_county_adopts_its_own_template_for_a_year() {
    for t in TestDb::all().await {
        let app = App::new(t.db.clone(), Config::default());
        keyproj_service::admin::users::bootstrap_admin(&app)
            .await
            .unwrap();
        let staff = Ctx::system(RegionCode::parse("430922").unwrap());
        let mut changed = reference_ledger();
        changed.violations = 1;
        svc::save_ledger(&app, &staff, 2022, &changed, None)
            .await
            .unwrap();
        let (mut tpl, version) = svc::template(&app, &staff, 2022).await.unwrap();
        assert_eq!(version, None, "the national default until adopted");
        assert_eq!(
            svc::evaluate(&app, &staff, 2022)
                .await
                .unwrap()
                .evaluation
                .grade,
            "优"
        );
        let before = audit_rows(&app).await;

        // weights that do not add up: the node named, nothing written
        let mut bad = tpl.clone();
        bad.roots[0].weight = 15_00;
        let r = svc::save_template(&app, &staff, 2022, &bad, None).await;
        assert!(
            matches!(&r, Err(ServiceError::Validation(v)) if v.all().iter().any(|e| e.message.contains("合计应为100分"))),
            "{r:?}"
        );
        // a judgement kept in the ledger no longer within its tier: refused
        let mut narrow = tpl.clone();
        let leaves = narrow.roots[0].children[0].children.clone();
        assert_eq!(leaves.len(), 2);
        narrow.roots[0].children[0].children[0].weight = 1_00;
        narrow.roots[0].children[0].children[1].weight = 3_00;
        let r = svc::save_template(&app, &staff, 2022, &narrow, None).await;
        assert!(
            matches!(&r, Err(ServiceError::Validation(v)) if v.all().iter().any(|e| e.message.contains("评分应在"))),
            "{r:?}"
        );
        // leaders do not adopt templates
        assert!(matches!(
            svc::save_template(&app, &as_role(Role::CountyLeader), 2022, &tpl, None).await,
            Err(ServiceError::Forbidden)
        ));
        assert_eq!(audit_rows(&app).await, before);

        // 优 from 99 and the county's 文号: the year (98.57) is now 良
        tpl.grades[0].min = 99_00;
        tpl.basis = "桃财监〔2023〕63号".into();
        svc::save_template(&app, &staff, 2022, &tpl, None)
            .await
            .unwrap();
        assert_eq!(audit_rows(&app).await, before + 1);
        let y = svc::evaluate(&app, &staff, 2022).await.unwrap();
        assert_eq!(
            (y.evaluation.total, y.evaluation.grade.as_str()),
            (98_57, "良")
        );
        assert_eq!(y.template.basis, "桃财监〔2023〕63号");
        // another year keeps the default; a stale version is refused
        assert_eq!(svc::template(&app, &staff, 2021).await.unwrap().1, None);
        assert!(matches!(
            svc::save_template(&app, &staff, 2022, &tpl, Some(7)).await,
            Err(ServiceError::Stale)
        ));
    }
}

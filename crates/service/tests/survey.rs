//! 满意度调查 on both engines: one answer per slip (a used, forged or not-yet-handed-out slip
//! refused, nothing written), closed surveys refuse answers, questions fixed once answered,
//! other regions' surveys not found, and the year's 满意度 feeding the self-evaluation.

use keyproj_db::testing::TestDb;
use keyproj_domain::RegionCode;
use keyproj_domain::authz::{Actor, Role};
use keyproj_domain::ids::{UnitId, UserId};
use keyproj_domain::survey::Questionnaire;
use keyproj_service::survey::{self as svc, SurveyDraft};
use keyproj_service::{App, Config, Ctx, ServiceError};

fn as_role(role: Role, region: &str) -> Ctx {
    Ctx {
        actor: Actor {
            user_id: Some(UserId(99)),
            username: "someone".into(),
            roles: vec![role],
            unit_id: Some(UnitId(1)),
            region: RegionCode::parse(region).unwrap(),
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

fn answers(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Vec<String> {
    move |k| {
        pairs
            .iter()
            .filter(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
            .collect()
    }
}

const GOOD: &[(&str, &str)] = &[
    ("q1", "1"),
    ("q2", "2"),
    ("q3", "3"),
    ("q4", "4"),
    ("q5", "2"),
    ("q6", "<script>alert(1)</script>"),
];

#[tokio::test]
async fn one_answer_per_slip_and_the_year_is_fed() {
    for t in TestDb::all().await {
        let app = App::new(t.db.clone(), Config::default());
        keyproj_service::admin::users::bootstrap_admin(&app)
            .await
            .unwrap();
        let staff = Ctx::system(RegionCode::parse("430922").unwrap());
        let today = app.local_today();
        let mut draft = SurveyDraft {
            year: 2022,
            questionnaire: Questionnaire::reference("中心"),
            opens_on: today - chrono::Duration::days(1),
            closes_on: today + chrono::Duration::days(10),
        };

        // a questionnaire with a problem, a period backwards: nothing written
        let before = audit_rows(&app).await;
        let mut bad = draft.clone();
        bad.questionnaire.questions[4].options.truncate(1);
        bad.closes_on = today - chrono::Duration::days(3);
        let Err(ServiceError::Validation(v)) = svc::create(&app, &staff, &bad).await else {
            panic!("bad questionnaire kept on {}", t.url)
        };
        assert!(v.for_field("q5.options").is_some());
        assert_eq!(v.for_field("closes_on"), Some("结束日期不能早于开始日期"));
        let mut over = draft.clone();
        over.opens_on = today - chrono::Duration::days(9);
        over.closes_on = today - chrono::Duration::days(2);
        let Err(ServiceError::Validation(v)) = svc::create(&app, &staff, &over).await else {
            panic!("an ended survey created on {}", t.url)
        };
        assert_eq!(v.for_field("closes_on"), Some("结束日期不能早于今天"));
        assert_eq!(audit_rows(&app).await, before);

        // only staff build and hand out; units do not find surveys
        let unit = as_role(Role::UnitUser, "430922");
        let leader = as_role(Role::CountyLeader, "430922");
        assert!(matches!(
            svc::create(&app, &leader, &draft).await,
            Err(ServiceError::Forbidden)
        ));
        assert!(matches!(
            svc::list(&app, &unit, None).await,
            Err(ServiceError::NotFound)
        ));

        let id = svc::create(&app, &staff, &draft).await.unwrap();
        assert!(matches!(
            svc::add_slips(&app, &leader, id, 1, 3).await,
            Err(ServiceError::Forbidden)
        ));
        assert!(matches!(
            svc::add_slips(&app, &staff, id, 1, 501).await,
            Err(ServiceError::Validation(_))
        ));
        assert_eq!(svc::add_slips(&app, &staff, id, 1, 3).await.unwrap(), 1);
        let (row, slips) = svc::slips(&app, &staff, id, 1, 10).await.unwrap();
        assert_eq!(slips.len(), 3);

        // another county's staff do not find it
        let neighbour = Ctx::system(RegionCode::parse("430921").unwrap());
        assert!(matches!(
            svc::get(&app, &neighbour, id).await,
            Err(ServiceError::NotFound)
        ));
        assert!(matches!(
            svc::add_slips(&app, &neighbour, id, row.version, 3).await,
            Err(ServiceError::NotFound)
        ));

        // the first answer of a slip is taken, the second refused, nothing more written
        let token = &slips[0].1;
        svc::answer(&app, token, answers(GOOD)).await.unwrap();
        let after_one = audit_rows(&app).await;
        let Err(ServiceError::Validation(v)) = svc::answer(&app, token, answers(GOOD)).await else {
            panic!("a slip answered twice on {}", t.url)
        };
        assert_eq!(
            v.for_field("survey"),
            Some("这张问卷已经提交过，每张问卷只能提交一次")
        );
        assert_eq!(audit_rows(&app).await, after_one);
        assert!(svc::slip(&app, token).await.unwrap().answered);

        // forged, altered and not-yet-handed-out slips are not found
        let mut altered = token.clone();
        let last = altered.pop().unwrap();
        altered.push(if last == '0' { '1' } else { '0' });
        let beyond = svc::slip_token(&row, 4);
        // the same slip spelled otherwise is another link
        let upper = slips[2].1.to_uppercase();
        let padded = format!("0{}", slips[2].1);
        for bad in [
            altered.as_str(),
            beyond.as_str(),
            upper.as_str(),
            padded.as_str(),
            "1-1-zz",
            "x",
            "",
            "1-1-",
        ] {
            assert!(
                matches!(
                    svc::answer(&app, bad, answers(GOOD)).await,
                    Err(ServiceError::NotFound)
                ),
                "{bad} accepted on {}",
                t.url
            );
        }

        // a robot filling the hidden field, a spam link: refused
        let spam: &[(&str, &str)] = &[("website", "x")];
        assert!(matches!(
            svc::answer(&app, &slips[1].1, answers(spam)).await,
            Err(ServiceError::Validation(_))
        ));
        assert_eq!(audit_rows(&app).await, after_one);

        // once answered, the questions stay; the period may move
        let v = svc::get(&app, &staff, id).await.unwrap();
        let mut changed = draft.clone();
        changed.questionnaire.questions[0].text = "改过的题目".into();
        let Err(ServiceError::Validation(e)) =
            svc::update(&app, &staff, id, v.survey.version, &changed).await
        else {
            panic!("answered questions changed on {}", t.url)
        };
        assert!(e.for_field("questions").unwrap().contains("已收到1份答卷"));
        draft.closes_on = today + chrono::Duration::days(20);
        svc::update(&app, &staff, id, v.survey.version, &draft)
            .await
            .unwrap();

        // a second answer, then the year's 满意度: 5,4,3,2 points twice → 6 of 8 satisfied
        svc::answer(&app, &slips[1].1, answers(GOOD)).await.unwrap();
        let v = svc::get(&app, &staff, id).await.unwrap();
        assert_eq!(v.tally.answers, 2);
        assert_eq!(v.tally.questions[5].texts[0], "<script>alert(1)</script>");
        let region = RegionCode::parse("430922").unwrap();
        assert_eq!(
            svc::satisfaction(&app, &region, 2022).await.unwrap(),
            Some(75_00)
        );
        assert_eq!(svc::satisfaction(&app, &region, 2021).await.unwrap(), None);

        // closed early: the third slip is refused
        svc::close(&app, &staff, id, v.survey.version)
            .await
            .unwrap();
        let Err(ServiceError::Validation(v)) = svc::answer(&app, &slips[2].1, answers(GOOD)).await
        else {
            panic!("a closed survey answered on {}", t.url)
        };
        assert_eq!(v.for_field("survey"), Some("本次调查已结束，感谢您的关注"));
    }
}

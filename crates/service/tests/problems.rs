//! The problem list on both engines: the workflow with its permissions, the escalation job on a
//! fixed clock, webhook retries against a local receiver that fails first, and statistics on a
//! hand-computed dataset.

use chrono::{TimeZone, Utc};
use keyproj_db::testing::TestDb;
use keyproj_domain::RegionCode;
use keyproj_domain::authz::{Actor, Role};
use keyproj_domain::ids::{ItemId, LeaderId, UnitId, UserId};
use keyproj_domain::org::{LeaderDraft, UnitDraft};
use keyproj_domain::problem::{AssignDraft as AssignInput, ItemDraft as ItemInput};
use keyproj_service::notifications;
use keyproj_service::problems::items::{self, Origin};
use keyproj_service::problems::workflow::{self, StepInput};
use keyproj_service::problems::{stats, supervision, todo};
use keyproj_service::{App, Config, Ctx, ServiceError, TestClock, WebhookConfig};
use std::sync::{Arc, Mutex};

struct World {
    app: App,
    clock: Arc<TestClock>,
    staff: Ctx,
    zj: Ctx,
    jt: Ctx,
    zj_unit: UnitId,
    jt_unit: UnitId,
    leader: LeaderId,
}

fn ctx(unit: UnitId, role: Role, name: &str) -> Ctx {
    Ctx {
        actor: Actor {
            // a user of its own, so that it reads its unit's notifications
            user_id: Some(UserId(unit.0 + 1000)),
            username: name.into(),
            roles: vec![role],
            unit_id: Some(unit),
            region: RegionCode::parse("430922").unwrap(),
        },
        ip: "test".into(),
    }
}

/// Monday 2022-11-14, 10:00 in the county.
async fn world(t: &TestDb, webhook: Option<WebhookConfig>) -> World {
    let clock = Arc::new(TestClock(Mutex::new(
        Utc.with_ymd_and_hms(2022, 11, 14, 2, 0, 0).unwrap(),
    )));
    let cfg = Config {
        webhook,
        ..Config::default()
    };
    let app = App::with_clock(t.db.clone(), cfg, clock.clone());
    keyproj_service::admin::users::bootstrap_admin(&app)
        .await
        .unwrap();
    let sys = Ctx::system(RegionCode::parse("430922").unwrap());
    let mut ids = vec![];
    for name in ["县住建局", "县交通运输局"] {
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
    let leader = keyproj_service::org::create_leader(
        &app,
        &sys,
        &LeaderDraft {
            name: "张副县长".into(),
            title: "副县长".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let center =
        keyproj_service::org::unit_by_name(&app, &sys.actor.region, "桃江县重点项目建设事务中心")
            .await
            .unwrap()
            .unwrap()
            .id;
    World {
        staff: ctx(center, Role::CenterStaff, "staff"),
        zj: ctx(ids[0], Role::UnitUser, "zjju"),
        jt: ctx(ids[1], Role::UnitUser, "jtju"),
        zj_unit: ids[0],
        jt_unit: ids[1],
        leader,
        app,
        clock,
    }
}

fn input(title: &str) -> ItemInput {
    ItemInput {
        kind: "problem".into(),
        source: "专题调度会".into(),
        category: "征拆".into(),
        level: "2".into(),
        project_id: None,
        title: title.into(),
        description: "房屋征收协议尚有3户未签".into(),
        raised_on: String::new(),
    }
}

async fn step(
    w: &World,
    who: &Ctx,
    id: ItemId,
    step: &str,
    note: &str,
) -> Result<(), ServiceError> {
    let version = items::get(&w.app, &w.staff, id).await.unwrap().item.version;
    workflow::act(
        &w.app,
        who,
        id,
        &StepInput {
            step: step.into(),
            version,
            note: note.into(),
            ..Default::default()
        },
    )
    .await
    .map(|_| ())
}

async fn assigned(w: &World, title: &str, deadline: &str) -> ItemId {
    items::register(
        &w.app,
        &w.staff,
        &input(title),
        Some(&AssignInput {
            handler_unit_id: Some(w.zj_unit),
            assisting_unit_ids: vec![w.jt_unit],
            leader_id: Some(w.leader),
            deadline: deadline.into(),
        }),
        Origin::default(),
    )
    .await
    .unwrap()
    .id
}

#[tokio::test]
async fn an_item_goes_from_assignment_through_a_return_to_closure() {
    for t in TestDb::all().await {
        let w = world(&t, None).await;
        let items::ItemRef { id, number } = items::register(
            &w.app,
            &w.staff,
            &input("城南路征拆"),
            Some(&AssignInput {
                handler_unit_id: Some(w.zj_unit),
                assisting_unit_ids: vec![],
                leader_id: Some(w.leader),
                deadline: String::new(),
            }),
            Origin::default(),
        )
        .await
        .unwrap();
        assert_eq!(number, "桃重项交〔2022〕1号");
        let d = items::get(&w.app, &w.staff, id).await.unwrap();
        assert_eq!(d.item.state.key(), "assigned");
        // 10 working days from Monday 2022-11-14
        assert_eq!(
            d.item.deadline.map(|d| d.to_string()).as_deref(),
            Some("2022-11-28")
        );
        assert_eq!(d.documents.len(), 1);
        assert_eq!(d.documents[0].kind.key(), "assign");
        assert_eq!(d.documents[0].number, number);

        // a unit that has nothing to do with it does not see it
        assert!(matches!(
            items::get(&w.app, &w.jt, id).await,
            Err(ServiceError::NotFound)
        ));
        assert!(matches!(
            step(&w, &w.jt, id, "reply", "x").await,
            Err(ServiceError::NotFound)
        ));
        // the handling unit may not verify its own item; staff may not reply for it
        assert!(matches!(
            step(&w, &w.zj, id, "close", "").await,
            Err(ServiceError::Forbidden)
        ));
        assert!(matches!(
            step(&w, &w.staff, id, "reply", "x").await,
            Err(ServiceError::Forbidden)
        ));
        // a closure request needs a resolution
        assert!(matches!(
            step(&w, &w.zj, id, "request_closure", " ").await,
            Err(ServiceError::Validation(_))
        ));
        step(&w, &w.zj, id, "reply", "已约谈3户，2户同意签约")
            .await
            .unwrap();
        step(&w, &w.zj, id, "request_closure", "3户全部签约，已腾地")
            .await
            .unwrap();
        // returned once: back to 办理中
        assert!(matches!(
            step(&w, &w.staff, id, "return", "").await,
            Err(ServiceError::Validation(_))
        ));
        step(&w, &w.staff, id, "return", "缺少腾地照片")
            .await
            .unwrap();
        assert_eq!(
            items::get(&w.app, &w.zj, id)
                .await
                .unwrap()
                .item
                .state
                .key(),
            "in_progress"
        );
        w.clock.advance(chrono::Duration::days(2));
        step(&w, &w.zj, id, "request_closure", "补充腾地照片")
            .await
            .unwrap();
        step(&w, &w.staff, id, "close", "").await.unwrap();
        let d = items::get(&w.app, &w.zj, id).await.unwrap();
        assert_eq!(d.item.state.key(), "closed");
        assert!(d.item.verified);
        assert_eq!(
            d.item.closed_on.map(|d| d.to_string()).as_deref(),
            Some("2022-11-16")
        );
        assert_eq!(d.item.close_days, Some(2));
        assert_eq!(d.item.resolution, "补充腾地照片");
        let steps: Vec<String> = d.events.iter().map(|e| e.kind.key()).collect();
        assert_eq!(
            steps,
            [
                "register",
                "assign",
                "reply",
                "request_closure",
                "return",
                "request_closure",
                "close"
            ]
        );
        // a closed item cannot be handled again; a stale form changes nothing
        let err = step(&w, &w.staff, id, "close", "").await.unwrap_err();
        assert!(err.to_string().contains("已办结"), "{err}");
        let stale = workflow::act(
            &w.app,
            &w.staff,
            id,
            &StepInput {
                step: "reopen".into(),
                version: d.item.version - 1,
                note: "x".into(),
                ..Default::default()
            },
        )
        .await;
        assert!(matches!(stale, Err(ServiceError::Stale)));
        // re-opened by a new instruction: a linked child item
        let out = workflow::act(
            &w.app,
            &w.staff,
            id,
            &StepInput {
                step: "reopen".into(),
                version: d.item.version,
                note: "县长批示：补偿款须于月底前发放到位".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let items::ItemRef {
            id: child,
            number: child_number,
        } = out.child.unwrap();
        assert_eq!(child_number, "桃重项交〔2022〕2号");
        let c = items::get(&w.app, &w.staff, child).await.unwrap();
        assert_eq!(c.item.parent_id, Some(id));
        assert_eq!(c.item.state.key(), "registered");
        assert_eq!(c.item.source.key(), "leader_instruction");
        // an issued document never changes
        let mut tx = w.app.db.begin_write().await.unwrap();
        let changed =
            keyproj_db::schema::exec_raw(&mut tx, "UPDATE documents SET title = 'x'").await;
        assert!(changed.is_err(), "documents are frozen");
        drop(tx);
        // the unit has notifications: assigned, returned, closed
        let todo = todo::todo(&w.app, &w.zj).await.unwrap();
        let kinds: Vec<&str> = todo.notifications.iter().map(|n| n.kind.key()).collect();
        assert_eq!(kinds, ["closed", "returned", "assigned"]);
    }
}

#[tokio::test]
async fn extensions_are_asked_before_the_deadline_and_decided_by_the_center() {
    for t in TestDb::all().await {
        let w = world(&t, None).await;
        let id = assigned(&w, "用地报批", "2022-11-18").await;
        let version = items::get(&w.app, &w.staff, id).await.unwrap().item.version;
        let ask = |d: &str, v: i64| StepInput {
            step: "request_extension".into(),
            version: v,
            note: "需省厅审批".into(),
            new_deadline: d.into(),
            assign: None,
        };
        let early = workflow::act(&w.app, &w.zj, id, &ask("2022-11-17", version)).await;
        assert!(early.is_err(), "an extension must move the deadline later");
        workflow::act(&w.app, &w.zj, id, &ask("2022-12-09", version))
            .await
            .unwrap();
        let d = items::get(&w.app, &w.staff, id).await.unwrap();
        assert!(d.item.extension_pending);
        assert!(d.steps.iter().any(|s| s.key() == "grant_extension"));
        step(&w, &w.staff, id, "grant_extension", "").await.unwrap();
        let d = items::get(&w.app, &w.staff, id).await.unwrap();
        assert_eq!(
            d.item.deadline.map(|d| d.to_string()).as_deref(),
            Some("2022-12-09")
        );
        assert!(!d.item.extension_pending);
        // after the deadline no extension can be asked
        w.clock.advance(chrono::Duration::days(30));
        let late = workflow::act(&w.app, &w.zj, id, &ask("2023-01-09", d.item.version)).await;
        assert!(late.unwrap_err().to_string().contains("不能再申请延期"));
        // withdrawn with a reason
        step(&w, &w.staff, id, "withdraw", "项目调整，不再实施")
            .await
            .unwrap();
        assert_eq!(
            items::get(&w.app, &w.staff, id)
                .await
                .unwrap()
                .item
                .state
                .key(),
            "withdrawn"
        );
    }
}

#[tokio::test]
async fn an_overdue_item_earns_a_yellow_then_a_red_letter() {
    for t in TestDb::all().await {
        let w = world(&t, None).await;
        let id = assigned(&w, "电力杆线迁改", "2022-11-18").await;
        let region = RegionCode::parse("430922").unwrap();
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let eval = |d: &'static str| {
            let (app, region) = (w.app.clone(), region.clone());
            async move {
                supervision::evaluate(&app, &region, day(d), false)
                    .await
                    .unwrap()
            }
        };
        let counts = |r: supervision::Run| (r.blue, r.yellow, r.red);
        assert_eq!(counts(eval("2022-11-14").await), (0, 0, 0));
        assert_eq!(counts(eval("2022-11-15").await), (1, 0, 0));
        assert_eq!(counts(eval("2022-11-15").await), (0, 0, 0), "nothing twice");
        assert_eq!(counts(eval("2022-11-18").await), (0, 0, 0));
        assert_eq!(counts(eval("2022-11-21").await), (0, 1, 0));
        let d = items::get(&w.app, &w.staff, id).await.unwrap();
        assert_eq!(d.item.alert.map(|a| a.key()), Some("yellow"));
        assert_eq!(
            d.item.yellow_reply_by.map(|d| d.to_string()).as_deref(),
            Some("2022-11-28")
        );
        assert_eq!(counts(eval("2022-11-28").await), (0, 0, 0));
        assert_eq!(counts(eval("2022-11-29").await), (0, 0, 1));
        assert_eq!(
            counts(eval("2022-12-30").await),
            (0, 0, 0),
            "red is the end of the ladder"
        );
        let d = items::get(&w.app, &w.zj, id).await.unwrap();
        assert_eq!(d.item.alert.map(|a| a.key()), Some("red"));
        assert!(d.item.interview, "约谈 flag for the assigning leader");
        let letters: Vec<(&str, &str)> = d
            .documents
            .iter()
            .map(|d| (d.kind.key(), d.number.as_str()))
            .collect();
        assert_eq!(
            letters,
            [
                ("assign", "桃重项交〔2022〕1号"),
                ("letter_blue", "桃重项督〔2022〕1号"),
                ("letter_yellow", "桃重项督〔2022〕2号"),
                ("letter_red", "桃重项督〔2022〕3号")
            ]
        );
        // a daily run happens once per day whichever instance asks
        let a = supervision::evaluate(&w.app, &region, day("2022-12-31"), true)
            .await
            .unwrap();
        let b = supervision::evaluate(&w.app, &region, day("2022-12-31"), true)
            .await
            .unwrap();
        assert!(a.ran && !b.ran);
        // the handling unit sees the letters; the center got the 约谈 notice
        let todo = todo::todo(&w.app, &w.zj).await.unwrap();
        assert!(
            todo.notifications
                .iter()
                .any(|n| n.kind.key() == "red" && n.document_id.is_some())
        );
        // per leader: the same figures as per unit (the app's clock is still 2022-11-14, so the
        // item is not overdue "now"; the letters count the 黄 and the 红)
        let st = stats::stats(&w.app, &w.staff, 2022, None).await.unwrap();
        let l = st
            .leaders
            .iter()
            .find(|l| l.unit_name == "张副县长")
            .unwrap();
        assert_eq!((l.assigned, l.closed, l.overdue, l.letters), (1, 0, 0, 2));
        let u = st.units.iter().find(|u| u.unit_id == w.zj_unit.0).unwrap();
        assert_eq!((u.assigned, u.overdue, u.letters), (1, 0, 2));
        let center = todo::todo(&w.app, &w.staff).await.unwrap();
        assert!(
            center
                .notifications
                .iter()
                .any(|n| n.kind.key() == "interview" && n.text.contains("张副县长"))
        );
    }
}

/// After an extension the ladder starts again from the new deadline with new numbered letters; a
/// 黄 given while the request was pending does not turn red before the granted deadline; one
/// item that cannot be handled does not fail the day's run; letters received are counted from
/// the letters issued, not from the item's current alert.
#[tokio::test]
async fn after_an_extension_the_ladder_starts_again_and_one_bad_item_fails_alone() {
    for t in TestDb::all().await {
        let w = world(&t, None).await;
        let region = RegionCode::parse("430922").unwrap();
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let eval = |d: &'static str| {
            let (app, region) = (w.app.clone(), region.clone());
            async move {
                supervision::evaluate(&app, &region, day(d), false)
                    .await
                    .unwrap()
            }
        };
        let counts = |r: &supervision::Run| (r.blue, r.yellow, r.red, r.failed);
        let grant = |id: ItemId, new_deadline: &'static str| {
            let w = &w;
            async move {
                let v = items::get(&w.app, &w.staff, id).await.unwrap().item.version;
                workflow::act(
                    &w.app,
                    &w.staff,
                    id,
                    &StepInput {
                        step: "grant_extension".into(),
                        version: v,
                        new_deadline: new_deadline.into(),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            }
        };
        let ask = |id: ItemId, new_deadline: &'static str| {
            let w = &w;
            async move {
                let v = items::get(&w.app, &w.staff, id).await.unwrap().item.version;
                workflow::act(
                    &w.app,
                    &w.zj,
                    id,
                    &StepInput {
                        step: "request_extension".into(),
                        version: v,
                        note: "需省厅审批".into(),
                        new_deadline: new_deadline.into(),
                        assign: None,
                    },
                )
                .await
                .unwrap();
            }
        };
        // A: a reminder, then an extension: a second reminder for the new deadline
        let a = assigned(&w, "用地报批", "2022-11-18").await;
        assert_eq!(counts(&eval("2022-11-15").await), (1, 0, 0, 0));
        ask(a, "2022-12-09").await;
        grant(a, "").await;
        let r = eval("2022-12-06").await;
        assert_eq!(
            counts(&r),
            (1, 0, 0, 0),
            "a new 提醒函 for the new deadline"
        );
        let d = items::get(&w.app, &w.staff, a).await.unwrap();
        let blues: Vec<&str> = d
            .documents
            .iter()
            .filter(|x| x.kind.key() == "letter_blue")
            .map(|x| x.number.as_str())
            .collect();
        assert_eq!(blues, ["桃重项督〔2022〕1号", "桃重项督〔2022〕2号"]);

        // B: asked in time, but the center decided late: a 黄 came meanwhile
        let b = assigned(&w, "电力迁改", "2022-12-16").await;
        ask(b, "2023-01-20").await;
        eval("2022-12-19").await;
        let d = items::get(&w.app, &w.staff, b).await.unwrap();
        assert_eq!(
            d.item.alert.map(|a| a.key()),
            Some("yellow"),
            "黄 while the request was pending"
        );
        grant(b, "").await;
        let d = items::get(&w.app, &w.staff, b).await.unwrap();
        assert_eq!((d.item.alert, d.item.yellow_reply_by), (None, None));
        // the old 黄 reply date (2022-12-26) passes: no 红 before the granted deadline
        eval("2022-12-28").await;
        let d = items::get(&w.app, &w.staff, b).await.unwrap();
        assert!(
            !d.documents.iter().any(|x| x.kind.key() == "letter_red") && !d.item.interview,
            "no 红 督办函 and no 约谈 before the granted deadline"
        );

        // C: an item whose letter cannot be written (its number is taken by a stray row)
        // fails alone; the others of the same run are issued
        let c = assigned(&w, "管网迁改", "2022-11-25").await;
        let e = assigned(&w, "林地报批", "2022-11-25").await;
        {
            let mut tx = w.app.db.begin_write().await.unwrap();
            keyproj_db::repo::problems::documents::insert_document(
                &mut tx,
                &keyproj_db::repo::problems::documents::NewDocument {
                    region_code: &region,
                    kind: keyproj_domain::problem::DocumentKind::LetterYellow,
                    year: 2022,
                    prefix: "x",
                    fixed_number: None,
                    item_id: Some(c),
                    meeting_id: None,
                    recipient_unit_id: None,
                    title: "x",
                    content: "{}",
                    reply_by: None,
                    issued_on: day("2022-11-20"),
                    issued_by: "test",
                    for_deadline: Some(day("2022-11-25")),
                },
                w.app.now(),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        let r = eval("2022-11-28").await;
        assert_eq!(r.failed, 1, "{r:?}");
        assert!(
            r.yellow >= 1,
            "the other overdue items got their letters: {r:?}"
        );
        let d = items::get(&w.app, &w.staff, e).await.unwrap();
        assert_eq!(d.item.alert.map(|a| a.key()), Some("yellow"));
        let d = items::get(&w.app, &w.staff, c).await.unwrap();
        assert_eq!(
            d.item.alert, None,
            "the failed item was rolled back as a whole"
        );
        // a daily run with a failing item still completes its day
        let daily = supervision::evaluate(&w.app, &region, day("2022-11-29"), true)
            .await
            .unwrap();
        assert!(daily.ran);

        // letters received count the letters issued: A got two 提醒函 (not counted) and no
        // 督办函; B keeps its 黄 督办函 although the grant cleared its alert
        let st = stats::stats(&w.app, &w.staff, 2022, None).await.unwrap();
        let u = st.units.iter().find(|u| u.unit_id == w.zj_unit.0).unwrap();
        let issued: i64 = {
            let mut n = 0;
            for id in [a, b, c, e] {
                n += items::get(&w.app, &w.staff, id)
                    .await
                    .unwrap()
                    .documents
                    .iter()
                    .filter(|d| matches!(d.kind.key(), "letter_yellow" | "letter_red"))
                    .count() as i64;
            }
            n
        };
        assert_eq!(u.letters, issued);
        assert!(
            u.letters >= 2,
            "B's 黄 still counts after the grant: {}",
            u.letters
        );
    }
}

/// A receiver that answers 500 to its first request and 200 afterwards, keeping what it got.
async fn flaky_receiver() -> (String, Arc<Mutex<Vec<(u16, String, String)>>>) {
    use axum::extract::{Request, State};
    type Log = Arc<Mutex<Vec<(u16, String, String)>>>;
    async fn handle(State(log): State<Log>, req: Request) -> axum::http::StatusCode {
        let sig = req
            .headers()
            .get("x-keyproj-signature")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = axum::body::to_bytes(req.into_body(), 1 << 20)
            .await
            .unwrap();
        let mut log = log.lock().unwrap();
        let status = if log.is_empty() { 500 } else { 200 };
        log.push((status, sig, String::from_utf8_lossy(&body).to_string()));
        axum::http::StatusCode::from_u16(status).unwrap()
    }
    let log: Log = Default::default();
    let app = axum::Router::new().fallback(handle).with_state(log.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, log)
}

#[tokio::test]
async fn webhook_notifications_are_signed_and_retried_until_delivered() {
    for t in TestDb::all().await {
        let (url, log) = flaky_receiver().await;
        let secret = "webhook-secret-0123456789".to_string();
        let w = world(
            &t,
            Some(WebhookConfig {
                url,
                secret: secret.clone(),
            }),
        )
        .await;
        assigned(&w, "供水管网接入", "2022-11-30").await;
        // one notification each for the handling and the assisting unit
        let first = notifications::deliver_due(&w.app).await.unwrap();
        assert_eq!((first.delivered, first.failed), (1, 1));
        // nothing is due again before the backoff has passed
        let idle = notifications::deliver_due(&w.app).await.unwrap();
        assert_eq!((idle.delivered, idle.failed), (0, 0));
        w.clock.advance(chrono::Duration::seconds(31));
        let second = notifications::deliver_due(&w.app).await.unwrap();
        assert_eq!((second.delivered, second.failed), (1, 0));
        let log = log.lock().unwrap().clone();
        assert_eq!(log.len(), 3);
        for (_, sig, body) in &log {
            assert_eq!(sig, &notifications::signature(&secret, body.as_bytes()));
            let v: serde_json::Value = serde_json::from_str(body).unwrap();
            assert!(v["text"].as_str().unwrap().contains("供水管网接入"));
        }
        let d = notifications::deliveries(&w.app, &w.staff).await.unwrap();
        let (outbox, attempts) = (d.outbox, d.attempts);
        assert!(outbox.iter().all(|o| o.delivered_at.is_some()));
        assert_eq!(attempts.len(), 3);
        assert_eq!(attempts.iter().filter(|a| a.status == Some(500)).count(), 1);
    }
}

/// The list's "共 N 条" for a whole region comes from counts the database keeps per region, year
/// and state as items change; after registering, assigning, replying and closing they agree with
/// the items themselves for every filter the counts answer, and a filtered list still counts.
#[tokio::test]
async fn the_kept_counts_agree_with_the_items_through_the_workflow() {
    use keyproj_domain::problem::State;
    for t in TestDb::all().await {
        let w = world(&t, None).await;
        let mut ids = vec![];
        for k in 0..4 {
            ids.push(assigned(&w, &format!("计数事项{k}"), "2022-12-30").await);
        }
        items::register(
            &w.app,
            &w.staff,
            &input("未交办事项"),
            None,
            Origin::default(),
        )
        .await
        .unwrap();
        step(&w, &w.zj, ids[0], "reply", "已约谈").await.unwrap();
        step(&w, &w.zj, ids[1], "request_closure", "已解决")
            .await
            .unwrap();
        step(&w, &w.staff, ids[1], "close", "").await.unwrap();
        let total = |f: &dyn Fn(&mut keyproj_db::repo::problems::items::ItemFilter)| {
            let mut filter = items::filter_for(&w.staff).unwrap();
            f(&mut filter);
            let app = w.app.clone();
            let staff = w.staff.clone();
            async move { items::list(&app, &staff, &filter).await.unwrap() }
        };
        let all = total(&|_| {}).await;
        assert_eq!(all.total, 5, "{}", t.db.backend());
        assert_eq!(all.items.len(), 5);
        let open = total(&|f| f.open_only = true).await;
        assert_eq!(open.total, 4, "{}", t.db.backend());
        assert!(open.items.iter().all(|i| i.state != State::Closed));
        for (state, n) in [
            (State::Registered, 1),
            (State::Assigned, 2),
            (State::InProgress, 1),
            (State::Closed, 1),
        ] {
            let page = total(&|f| f.state = Some(state)).await;
            assert_eq!(
                (page.total, page.items.len() as i64),
                (n, n),
                "{state:?} on {}",
                t.db.backend()
            );
        }
        assert_eq!(total(&|f| f.year = Some(2022)).await.total, 5);
        assert_eq!(total(&|f| f.year = Some(2021)).await.total, 0);
        // filters the counts cannot answer count the items; typed text is matched literally
        assert_eq!(total(&|f| f.q = Some("计数".into())).await.total, 4);
        assert_eq!(
            total(&|f| f.q = Some("%".into())).await.total,
            0,
            "{}",
            t.db.backend()
        );
        assert_eq!(total(&|f| f.q = Some("_".into())).await.total, 0);
        let by_unit = total(&|f| f.handler_unit_id = Some(w.zj_unit)).await;
        assert_eq!(by_unit.total, 4, "{}", t.db.backend());
        // a unit's own view is its items only
        let mine = items::list(&w.app, &w.jt, &items::filter_for(&w.jt).unwrap())
            .await
            .unwrap();
        assert_eq!(
            mine.total,
            4,
            "assisting on the four assigned: {}",
            t.db.backend()
        );
    }
}

/// 待办 shows at most [`todo::LIMIT`] items a list but counts them all: a center with more items
/// to assign than a list shows is told how many, not the list's cap.
#[tokio::test]
async fn the_to_do_lists_count_beyond_what_they_show() {
    for t in TestDb::all().await {
        let w = world(&t, None).await;
        let waiting = todo::LIMIT + 3;
        for n in 0..waiting {
            items::register(
                &w.app,
                &w.staff,
                &input(&format!("待交办问题{n}")),
                None,
                Origin::default(),
            )
            .await
            .unwrap();
        }
        assigned(&w, "已交办问题一", "2022-12-31").await;
        assigned(&w, "已交办问题二", "2022-12-20").await;
        let center = todo::todo(&w.app, &w.staff).await.unwrap();
        assert_eq!(
            center.to_assign.len() as i64,
            todo::LIMIT,
            "{}",
            w.app.db.backend()
        );
        assert_eq!(center.totals.to_assign, waiting, "{}", w.app.db.backend());
        let unit = todo::todo(&w.app, &w.zj).await.unwrap();
        assert_eq!(unit.totals.to_handle, 2);
        // nearest deadline first
        assert_eq!(unit.to_handle[0].title, "已交办问题二");
        assert_eq!(unit.totals.to_assign, 0, "a unit assigns nothing");
    }
}

/// A county set up without a center of its own (and none above it) cannot issue in the
/// center's name: assigning a problem there is refused at the form, saying what to set up, and
/// nothing is written (it was a 500).
#[tokio::test]
async fn a_county_without_a_center_is_told_what_to_set_up() {
    use keyproj_db::repo::problems::items::{ItemFilter, ItemScope};
    for t in TestDb::all().await {
        let w = world(&t, None).await;
        let nanxian = RegionCode::parse("430921").unwrap();
        let mut province = Ctx::system(RegionCode::parse("43").unwrap());
        province.actor.roles = vec![Role::SystemAdmin];
        keyproj_service::org::save_region(&w.app, &province, "430921", "南县")
            .await
            .unwrap();
        let sys = Ctx::system(nanxian.clone());
        let unit = keyproj_service::org::create_unit(
            &w.app,
            &sys,
            &UnitDraft {
                name: "南县住建局".into(),
                kind: "department".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let leader = keyproj_service::org::create_leader(
            &w.app,
            &sys,
            &LeaderDraft {
                name: "李副县长".into(),
                title: "副县长".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let mut staff = ctx(unit, Role::CenterStaff, "nxstaff");
        staff.actor.region = nanxian.clone();
        let refused = items::register(
            &w.app,
            &staff,
            &input("南县问题"),
            Some(&AssignInput {
                handler_unit_id: Some(unit),
                assisting_unit_ids: vec![],
                leader_id: Some(leader),
                deadline: "2022-12-01".into(),
            }),
            Origin::default(),
        )
        .await
        .unwrap_err();
        match refused {
            ServiceError::Validation(e) => {
                let m = e.for_field("center_unit").unwrap();
                assert!(m.contains("单位与领导"), "{m}");
            }
            other => panic!("{other:?}"),
        }
        let page = items::list(
            &w.app,
            &staff,
            &ItemFilter::new(nanxian.clone(), ItemScope::Region),
        )
        .await
        .unwrap();
        assert_eq!(page.total, 0, "{}", t.db.backend());
    }
}

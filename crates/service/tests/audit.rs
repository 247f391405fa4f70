//! The audit chain is anchored outside the table it protects: deleting its newest rows, or all of
//! them, even after dropping the append-only triggers, is reported by `verify`, with an exact
//! count of the rows that verified. On both engines.

use keyproj_db::Tx;
use keyproj_db::schema::exec_raw;
use keyproj_db::testing::TestDb;
use keyproj_domain::RegionCode;
use keyproj_domain::org::UnitDraft;
use keyproj_service::admin::audit as audit_log;
use keyproj_service::{App, Config, Ctx, org};

async fn app_with_rows(t: &TestDb, rows: usize) -> App {
    let app = App::new(t.db.clone(), Config::default());
    keyproj_service::admin::users::bootstrap_admin(&app)
        .await
        .unwrap();
    let sys = Ctx::system(RegionCode::parse("430922").unwrap());
    for i in 0..rows {
        let name = format!("单位{i:03}");
        org::create_unit(
            &app,
            &sys,
            &UnitDraft {
                name: name.clone(),
                kind: "department".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    app
}

/// What an attacker with database access does first: drop the append-only triggers.
async fn drop_triggers(tx: &mut Tx) {
    if tx.is_postgres() {
        exec_raw(tx, "DROP TRIGGER audit_log_no_update ON audit_log")
            .await
            .unwrap();
    } else {
        exec_raw(tx, "DROP TRIGGER audit_log_no_delete")
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_deleted_tail_or_an_emptied_log_is_reported() {
    for t in TestDb::all().await {
        let app = app_with_rows(&t, 80).await;
        let ok = audit_log::verify(&app).await.unwrap();
        assert!(ok.ok(), "{:?}", ok.problems);
        let total = ok.rows;
        assert!(total > 80);
        let head = ok.head.clone().unwrap();
        assert_eq!(head.row_count as u64, total);
        assert!(
            ok.checkpoints >= 1,
            "a checkpoint on the first row of the day"
        );

        // the newest 50 rows go
        let mut tx = app.db.begin_write().await.unwrap();
        drop_triggers(&mut tx).await;
        exec_raw(
            &mut tx,
            "DELETE FROM audit_log WHERE id > (SELECT MAX(id) - 50 FROM audit_log)",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let r = audit_log::verify(&app).await.unwrap();
        assert!(!r.ok());
        assert!(r.broken.is_none(), "what is left still links");
        assert_eq!(r.rows, total - 50, "exact count of what verified");
        assert!(
            r.problems.iter().any(|p| p.contains("缺少记录")),
            "{:?}",
            r.problems
        );

        // every row goes
        let mut tx = app.db.begin_write().await.unwrap();
        exec_raw(&mut tx, "DELETE FROM audit_log").await.unwrap();
        tx.commit().await.unwrap();
        let r = audit_log::verify(&app).await.unwrap();
        assert!(!r.ok());
        assert_eq!(r.rows, 0);
        assert!(
            r.problems.iter().any(|p| p.contains("缺少记录")),
            "{:?}",
            r.problems
        );
        assert!(
            r.problems.iter().any(|p| p.contains("日志被清空")),
            "{:?}",
            r.problems
        );
    }
}

#[tokio::test]
async fn a_tampered_row_is_named_with_the_exact_count_before_it() {
    for t in TestDb::all().await {
        let app = app_with_rows(&t, 30).await;
        let mut tx = app.db.begin_write().await.unwrap();
        if tx.is_postgres() {
            exec_raw(&mut tx, "DROP TRIGGER audit_log_no_update ON audit_log")
                .await
                .unwrap();
        } else {
            exec_raw(&mut tx, "DROP TRIGGER audit_log_no_update")
                .await
                .unwrap();
        }
        // the 7th row says something else now
        exec_raw(
            &mut tx,
            "UPDATE audit_log SET action = 'view' WHERE id = (SELECT MIN(id) + 6 FROM audit_log)",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let r = audit_log::verify(&app).await.unwrap();
        let b = r.broken.clone().unwrap();
        assert_eq!(b.verified_before, 6);
        assert_eq!(r.rows, 6, "not rounded to a whole batch");
    }
}

#[tokio::test]
async fn anchors_cannot_be_moved_back_without_the_key() {
    for t in TestDb::all().await {
        let app = app_with_rows(&t, 10).await;
        let before = audit_log::verify(&app).await.unwrap().head.unwrap();
        // someone with database access edits the head (to hide rows cut from the tail):
        // without the audit key its signature no longer matches
        let mut tx = app.db.begin_write().await.unwrap();
        exec_raw(&mut tx, "UPDATE audit_head SET row_count = row_count + 1")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let r = audit_log::verify(&app).await.unwrap();
        assert!(
            r.problems.iter().any(|p| p.contains("锚点被改写")),
            "{:?}",
            r.problems
        );
        assert_eq!(r.head.unwrap().audit_id, before.audit_id);
    }
}

/// Found in review: saving the signed head, cutting the rows written since and putting the old
/// head back passed `verify`. The anchor file outside the database (appended by the background
/// loop) and the checkpoints catch it.
#[tokio::test]
async fn a_replayed_old_head_is_caught_by_the_anchor_file() {
    for t in TestDb::all().await {
        let dir = tempfile::tempdir().unwrap();
        let cfg = Config {
            audit_anchor_file: Some(dir.path().join("keyproj-audit.anchors")),
            ..Config::default()
        };
        let app = App::new(t.db.clone(), cfg);
        keyproj_service::admin::users::bootstrap_admin(&app)
            .await
            .unwrap();
        let sys = Ctx::system(RegionCode::parse("430922").unwrap());
        let unit = |name: &'static str| {
            let (app, sys) = (app.clone(), sys.clone());
            async move {
                org::create_unit(
                    &app,
                    &sys,
                    &UnitDraft {
                        name: name.into(),
                        kind: "department".into(),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            }
        };
        unit("县住建局").await;
        assert!(audit_log::record_anchor(&app).await.unwrap());
        let old_head = audit_log::verify(&app).await.unwrap().head.unwrap();
        // an insider adds an account, then hides it: rows cut, the old head put back
        unit("内鬼单位").await;
        assert!(
            audit_log::record_anchor(&app).await.unwrap(),
            "the head moved"
        );
        let mut tx = app.db.begin_write().await.unwrap();
        drop_triggers(&mut tx).await;
        let cut = format!("DELETE FROM audit_log WHERE id > {}", old_head.audit_id);
        let put_back = format!(
            "UPDATE audit_head SET last_id = {}, last_hash = '{}', row_count = {}, signature = '{}'",
            old_head.audit_id, old_head.hash, old_head.row_count, old_head.signature
        );
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        exec_raw(&mut tx, leak(cut)).await.unwrap();
        exec_raw(&mut tx, leak(put_back)).await.unwrap();
        tx.commit().await.unwrap();
        let r = audit_log::verify(&app).await.unwrap();
        assert!(!r.ok(), "the replay is caught");
        assert!(
            r.problems.iter().any(|p| p.contains("锚点文件记载到第")),
            "{:?}",
            r.problems
        );
        // without the file, an anchor noted from the server log does the same
        let noted = audit_log::verify(&App::new(t.db.clone(), Config::default()))
            .await
            .unwrap();
        assert!(
            noted.ok(),
            "the database alone cannot tell: {:?}",
            noted.problems
        );
        let given = [(old_head.audit_id + 1, "x".to_string())];
        let r = audit_log::verify_with(&App::new(t.db.clone(), Config::default()), &given)
            .await
            .unwrap();
        assert!(
            r.problems.iter().any(|p| p.contains("命令行给出的锚点")),
            "{:?}",
            r.problems
        );
    }
}

//! Repository tests, each on SQLite and (when configured) PostgreSQL.

use chrono::Utc;
use keyproj_db::repo::admin::audit;
use keyproj_db::repo::projects::ColoursOf;
use keyproj_db::repo::{org, projects};
use keyproj_db::testing::TestDb;
use keyproj_db::{Db, DbError};
use keyproj_domain::audit::{AuditFields, storable_time};
use keyproj_domain::authz::ListScope;
use keyproj_domain::ids::UnitId;
use keyproj_domain::org::UnitKind;
use keyproj_domain::project::{Industry, Level, Stage};
use keyproj_domain::{Money, RegionCode, ReportMonth};

fn region(c: &str) -> RegionCode {
    RegionCode::parse(c).unwrap()
}

async fn seed(db: &Db) -> (UnitId, UnitId, UnitId) {
    let now = storable_time(Utc::now());
    let mut tx = db.begin_write().await.unwrap();
    org::upsert_region(&mut tx, &region("43"), "湖南省", None)
        .await
        .unwrap();
    org::upsert_region(&mut tx, &region("4309"), "益阳市", Some(&region("43")))
        .await
        .unwrap();
    org::upsert_region(&mut tx, &region("430922"), "桃江县", Some(&region("4309")))
        .await
        .unwrap();
    org::upsert_region(&mut tx, &region("430921"), "南县", Some(&region("4309")))
        .await
        .unwrap();
    let u1 = org::insert_unit(
        &mut tx,
        &org::NewUnit {
            region_code: &region("430922"),
            name: "县住建局",
            kind: UnitKind::Department,
            contact: "",
            phone: "",
            sort_order: 0,
        },
        now,
    )
    .await
    .unwrap();
    let u2 = org::insert_unit(
        &mut tx,
        &org::NewUnit {
            region_code: &region("430922"),
            name: "桃花江镇",
            kind: UnitKind::Township,
            contact: "",
            phone: "",
            sort_order: 0,
        },
        now,
    )
    .await
    .unwrap();
    let u3 = org::insert_unit(
        &mut tx,
        &org::NewUnit {
            region_code: &region("430921"),
            name: "南县住建局",
            kind: UnitKind::Department,
            contact: "",
            phone: "",
            sort_order: 0,
        },
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (u1, u2, u3)
}

fn project(
    region_code: &str,
    name: &str,
    code: &str,
    fen: i64,
    lead: Option<UnitId>,
) -> projects::ProjectValues {
    projects::ProjectValues {
        region_code: self::region(region_code),
        code: Some(code.into()),
        name: name.into(),
        national_code: None,
        level: Level::County,
        stage: Stage::UnderConstruction,
        industry: Industry::Transport,
        township_unit_id: None,
        owner_unit_id: None,
        content_scale: String::new(),
        total_investment: Money::from_fen(fen),
        funding_sources: String::new(),
        planned_start: None,
        planned_completion: None,
        actual_start: Some(ReportMonth::new(2022, 3).unwrap()),
        actual_completion: None,
        leader_id: None,
        lead_unit_id: lead,
        parent_id: None,
        location: String::new(),
        tags: "民生".into(),
        below_threshold: false,
    }
}

#[tokio::test]
async fn schema_parity_between_engines() {
    let sqlite = TestDb::sqlite().await;
    let mut tx = sqlite.db.begin_read().await.unwrap();
    let s_cols = keyproj_db::schema::columns(&mut tx).await.unwrap();
    assert!(s_cols.len() > 50, "schema looks empty: {}", s_cols.len());
    // The copy spec covers every table and column with the right nullability.
    let mut spec_cols = vec![];
    for t in keyproj_db::copy::TABLES {
        for (c, _, nullable) in t.columns {
            spec_cols.push(keyproj_db::schema::ColumnInfo {
                table: t.name.into(),
                column: (*c).into(),
                nullable: *nullable,
            });
        }
    }
    spec_cols.sort();
    let copied: Vec<_> = s_cols
        .iter()
        .filter(|c| !keyproj_db::copy::DERIVED.contains(&c.table.as_str()))
        .cloned()
        .collect();
    assert_eq!(
        spec_cols, copied,
        "copy::TABLES must list exactly the schema's columns"
    );
    if let Some(pg) = TestDb::postgres().await {
        let mut tx = pg.db.begin_read().await.unwrap();
        let p_cols = keyproj_db::schema::columns(&mut tx).await.unwrap();
        assert_eq!(s_cols, p_cols, "SQLite and PostgreSQL schemas differ");
    }
}

#[tokio::test]
async fn list_filters_scopes_and_totals() {
    for t in TestDb::all().await {
        let db = &t.db;
        let (u1, _u2, u3) = seed(db).await;
        let now = storable_time(Utc::now());
        let mut tx = db.begin_write().await.unwrap();
        let a = projects::insert(
            &mut tx,
            &project(
                "430922",
                "桃花江大道提质改造",
                "TJ-001",
                15_000_000_000,
                Some(u1),
            ),
            now,
        )
        .await
        .unwrap();
        let _b = projects::insert(
            &mut tx,
            &project("430922", "城区供水工程_100%", "TJ-002", 5_000_000_000, None),
            now,
        )
        .await
        .unwrap();
        let _c = projects::insert(
            &mut tx,
            &project("430921", "南县大桥", "NX-001", 7_000_000_000, Some(u3)),
            now,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        let mut tx = db.begin_read().await.unwrap();
        let tj = RegionCode::parse("430922").unwrap();
        let f = projects::ProjectFilter::new(ListScope::Region(tj.clone()));
        let (rows, totals) = projects::list(&mut tx, &f).await.unwrap();
        assert_eq!(rows.len(), 2, "{}", db.backend());
        assert_eq!(totals.count, 2);
        assert_eq!(totals.total_investment, Money::from_fen(20_000_000_000));

        let city =
            projects::ProjectFilter::new(ListScope::Region(RegionCode::parse("4309").unwrap()));
        assert_eq!(
            projects::list(&mut tx, &city).await.unwrap().1.count,
            3,
            "a city sees the counties below it"
        );

        let unit = projects::ProjectFilter::new(ListScope::Unit {
            region: tj.clone(),
            unit_id: u1,
        });
        let (rows, _) = projects::list(&mut tx, &unit).await.unwrap();
        assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), vec![a]);

        // LIKE wildcards typed by a user are literal
        let mut q = projects::ProjectFilter::new(ListScope::Region(tj.clone()));
        q.q = Some("_100%".into());
        assert_eq!(projects::list(&mut tx, &q).await.unwrap().1.count, 1);
        q.q = Some("%".into());
        assert_eq!(projects::list(&mut tx, &q).await.unwrap().1.count, 1);
        // the search column holds the name, the code (any case) and the tags, kept as they change
        for (typed, found) in [("桃花江", 1), ("tj-00", 2), ("民生", 2), ("大道tj", 0)] {
            q.q = Some(typed.into());
            assert_eq!(
                projects::list(&mut tx, &q).await.unwrap().1.count,
                found,
                "{typed} on {}",
                db.backend()
            );
        }
        tx.rollback().await.unwrap();
        let mut w = db.begin_write().await.unwrap();
        // letters beyond A–Z and full-width ones fold alike on both engines
        let mut renamed = project(
            "430922",
            "资江大道ÄÖ ＡＢＣ",
            "ZJ-009",
            15_000_000_000,
            Some(u1),
        );
        renamed.tags = "交通、Ωmega".into();
        projects::update(&mut w, a, 1, &renamed, now).await.unwrap();
        // a row from before the column (empty) is filled when the database is migrated
        keyproj_db::run!(&mut w, |c| sqlx::query(
            "UPDATE projects SET search_text = '' WHERE id = $1"
        )
        .bind(a.get())
        .execute(c)
        .await
        .map(|_| ()))
        .unwrap();
        assert_eq!(projects::fill_search_text(&mut w).await.unwrap(), 1);
        assert_eq!(projects::fill_search_text(&mut w).await.unwrap(), 0);
        w.commit().await.unwrap();
        let mut tx = db.begin_read().await.unwrap();
        for (typed, found) in [
            ("桃花江", 0),
            ("资江", 1),
            ("zj-009", 1),
            ("ＺＪ－００９", 1),
            ("交通", 1),
            ("民生", 1),
            ("ÄÖ", 1),
            ("äö", 1),
            ("ωmega", 1),
            ("ａｂｃ", 1),
        ] {
            q.q = Some(typed.into());
            assert_eq!(
                projects::list(&mut tx, &q).await.unwrap().1.count,
                found,
                "after the edit: {typed} on {}",
                db.backend()
            );
        }

        let mut sorted = projects::ProjectFilter::new(ListScope::Region(tj.clone()));
        sorted.sort = projects::SortKey::Investment;
        sorted.desc = true;
        let (rows, _) = projects::list(&mut tx, &sorted).await.unwrap();
        assert_eq!(rows[0].id, a);
        sorted.limit = 1;
        sorted.offset = 1;
        let (rows, totals) = projects::list(&mut tx, &sorted).await.unwrap();
        assert_eq!(
            (rows.len(), totals.count),
            (1, 2),
            "totals cover the whole filter, not the page"
        );

        assert_eq!(
            projects::list(&mut tx, &projects::ProjectFilter::new(ListScope::Nothing))
                .await
                .unwrap()
                .1
                .count,
            0
        );
    }
}

/// The totals of a filter are remembered for the projects' state (migration 0018); every kind of
/// change, and a change rolled back after the list was read inside it, still shows true totals.
#[tokio::test]
async fn remembered_totals_follow_every_change() {
    for t in TestDb::all().await {
        let db = &t.db;
        let be = db.backend();
        let (u1, u2, _u3) = seed(db).await;
        let now = storable_time(Utc::now());
        let province = RegionCode::parse("43").unwrap();
        let mut search = projects::ProjectFilter::new(ListScope::Region(province.clone()));
        search.q = Some("大桥".into());
        let by_unit = projects::ProjectFilter::new(ListScope::Unit {
            region: region("430922"),
            unit_id: u2,
        });
        let totals = |f: projects::ProjectFilter| async move {
            let mut tx = db.begin_read().await.unwrap();
            let (rows, totals) = projects::list(&mut tx, &f).await.unwrap();
            tx.rollback().await.unwrap();
            (
                rows.len() as i64,
                totals.count,
                totals.total_investment.fen(),
            )
        };
        let mut w = db.begin_write().await.unwrap();
        let a = projects::insert(
            &mut w,
            &project("430922", "资江大桥", "A-1", 100, Some(u1)),
            now,
        )
        .await
        .unwrap();
        w.commit().await.unwrap();
        assert_eq!(totals(search.clone()).await, (1, 1, 100), "{be}");
        assert_eq!(
            totals(search.clone()).await,
            (1, 1, 100),
            "remembered, {be}"
        );

        // another match
        let mut w = db.begin_write().await.unwrap();
        let b = projects::insert(&mut w, &project("430921", "南县大桥", "B-1", 50, None), now)
            .await
            .unwrap();
        w.commit().await.unwrap();
        assert_eq!(totals(search.clone()).await, (2, 2, 150), "an insert, {be}");

        // an edit of the amount
        let mut w = db.begin_write().await.unwrap();
        projects::update(
            &mut w,
            b,
            1,
            &project("430921", "南县大桥", "B-1", 70, None),
            now,
        )
        .await
        .unwrap();
        w.commit().await.unwrap();
        assert_eq!(totals(search.clone()).await, (2, 2, 170), "an edit, {be}");

        // a change read inside its own transaction and then rolled back
        let mut w = db.begin_write().await.unwrap();
        projects::insert(&mut w, &project("430922", "三号大桥", "C-1", 1, None), now)
            .await
            .unwrap();
        let (_, inside) = projects::list(&mut w, &search).await.unwrap();
        assert_eq!(inside.count, 3, "{be}");
        w.rollback().await.unwrap();
        assert_eq!(
            totals(search.clone()).await,
            (2, 2, 170),
            "rolled back, {be}"
        );
        // and a different change committed after it
        let mut w = db.begin_write().await.unwrap();
        projects::update(
            &mut w,
            b,
            2,
            &project("430921", "南县桥", "B-1", 70, None),
            now,
        )
        .await
        .unwrap();
        w.commit().await.unwrap();
        assert_eq!(
            totals(search.clone()).await,
            (1, 1, 100),
            "renamed away, {be}"
        );

        // a page past the end still carries the totals
        let mut past = search.clone();
        past.offset = 50;
        assert_eq!(totals(past).await, (0, 1, 100), "{be}");

        // responsible units decide a unit's list
        assert_eq!(totals(by_unit.clone()).await.1, 0, "{be}");
        let mut w = db.begin_write().await.unwrap();
        projects::set_responsible_units(&mut w, a, &[u2])
            .await
            .unwrap();
        w.commit().await.unwrap();
        assert_eq!(
            totals(by_unit.clone()).await,
            (1, 1, 100),
            "a unit added, {be}"
        );
        let mut w = db.begin_write().await.unwrap();
        projects::set_responsible_units(&mut w, a, &[])
            .await
            .unwrap();
        w.commit().await.unwrap();
        assert_eq!(totals(by_unit).await.1, 0, "a unit removed, {be}");
    }
}

/// A province whose filter matches many projects is read in the page's order by a prefix of the
/// region code; its pages are the same as a city's, which reads them by region and sorts them.
#[tokio::test]
async fn a_province_page_walked_in_order_is_the_page_sorted() {
    for t in TestDb::all().await {
        let db = &t.db;
        let be = db.backend();
        let (u1, _u2, _u3) = seed(db).await;
        let now = storable_time(Utc::now());
        let mut w = db.begin_write().await.unwrap();
        for i in 0..600 {
            let county = if i % 2 == 0 { "430922" } else { "430921" };
            let mut v = project(
                county,
                &format!("道路{i}"),
                &format!("R-{:04}", 600 - i),
                i,
                Some(u1),
            );
            if i % 97 == 0 {
                v.code = None;
            }
            projects::insert(&mut w, &v, now).await.unwrap();
        }
        w.commit().await.unwrap();
        let page = |scope: &str, offset: i64| {
            let mut f = projects::ProjectFilter::new(ListScope::Region(region(scope)));
            f.q = Some("道路".into());
            f.offset = offset;
            async move {
                let mut tx = db.begin_read().await.unwrap();
                let (rows, totals) = projects::list(&mut tx, &f).await.unwrap();
                tx.rollback().await.unwrap();
                let codes: Vec<_> = rows.into_iter().map(|r| (r.code, r.id)).collect();
                (codes, totals.count, totals.total_investment.fen())
            }
        };
        for offset in [0, 50, 550] {
            // twice: counted, then remembered
            for _ in 0..2 {
                let (province, n, fen) = page("43", offset).await;
                let (city, ..) = page("4309", offset).await;
                assert_eq!((n, fen), (600, (0..600).sum::<i64>()), "{be}");
                assert_eq!(province.len(), 50, "{be}");
                assert_eq!(province, city, "offset {offset} on {be}");
            }
        }
        let (last, ..) = page("43", 550).await;
        assert!(
            last.last().unwrap().0.is_none(),
            "codes missing come last, {be}"
        );
    }
}

#[tokio::test]
async fn a_list_page_carries_its_units_and_totals_in_one_statement() {
    for t in TestDb::all().await {
        let db = &t.db;
        let (u1, u2, _u3) = seed(db).await;
        let now = storable_time(Utc::now());
        let mut w = db.begin_write().await.unwrap();
        // a unit name with a line break (allowed in text fields) stays one name
        let u4 = org::insert_unit(
            &mut w,
            &org::NewUnit {
                region_code: &region("430922"),
                name: "县交通\n运输局",
                kind: UnitKind::Department,
                contact: "",
                phone: "",
                sort_order: -1,
            },
            now,
        )
        .await
        .unwrap();
        let mut first = project("430922", "甲", "TJ-001", 100, Some(u1));
        (first.stage, first.level) = (Stage::Completed, Level::Provincial);
        let a = projects::insert(&mut w, &first, now).await.unwrap();
        let mut second = project("430922", "乙", "TJ-002", 200, None);
        (second.stage, second.level) = (Stage::Signed, Level::County);
        projects::insert(&mut w, &second, now).await.unwrap();
        projects::set_responsible_units(&mut w, a, &[u2, u1, u4])
            .await
            .unwrap();
        w.commit().await.unwrap();

        let mut tx = db.begin_read().await.unwrap();
        let mut f = projects::ProjectFilter::new(ListScope::Region(region("430922")));
        let page = projects::list_page(&mut tx, &f, ColoursOf::Issue(None))
            .await
            .unwrap();
        let (rows, totals) = (page.items, page.totals);
        let b = db.backend();
        assert_eq!(rows.len(), 2, "{b}");
        assert_eq!((totals.count, totals.total_investment.fen()), (2, 300));
        // the units' order (sort order, then name), names kept whole
        assert_eq!(
            rows[0].responsible,
            vec!["县交通\n运输局", "县住建局", "桃花江镇"],
            "{b}"
        );
        assert!(rows[1].responsible.is_empty(), "{b}");
        assert_eq!(rows[0].colour, None);
        // stages sort by their lifecycle (签约 before 竣工), levels by rank (省 before 县), not
        // by their stored keys
        let names = |rows: &[projects::ListedProject]| -> Vec<String> {
            rows.iter().map(|r| r.project.name.clone()).collect()
        };
        f.sort = projects::SortKey::Stage;
        let rows = projects::list_page(&mut tx, &f, ColoursOf::Issue(None))
            .await
            .unwrap()
            .items;
        assert_eq!(names(&rows), ["乙", "甲"], "{b}");
        f.sort = projects::SortKey::Level;
        let rows = projects::list_page(&mut tx, &f, ColoursOf::Issue(None))
            .await
            .unwrap()
            .items;
        assert_eq!(names(&rows), ["甲", "乙"], "{b}");
        f.desc = true;
        let rows = projects::list_page(&mut tx, &f, ColoursOf::Issue(None))
            .await
            .unwrap()
            .items;
        assert_eq!(names(&rows), ["乙", "甲"], "{b}");
        f.desc = false;
        // a page past the end has no row to carry the totals: they are asked for apart
        f.offset = 10;
        let page = projects::list_page(&mut tx, &f, ColoursOf::Issue(None))
            .await
            .unwrap();
        let (rows, totals) = (page.items, page.totals);
        assert!(rows.is_empty());
        assert_eq!(
            (totals.count, totals.total_investment.fen()),
            (2, 300),
            "{b}"
        );
        tx.rollback().await.unwrap();
    }
}

/// The list remembers each project's responsible units for the state it read them in; a unit
/// renamed or reordered, or a project's units changed, is a new state the next page shows.
#[tokio::test]
async fn remembered_units_follow_renames_reorders_and_assignments() {
    for t in TestDb::all().await {
        let db = &t.db;
        let b = db.backend();
        let (u1, u2, _u3) = seed(db).await;
        let now = storable_time(Utc::now());
        let mut w = db.begin_write().await.unwrap();
        let a = projects::insert(&mut w, &project("430922", "甲", "TJ-001", 100, None), now)
            .await
            .unwrap();
        projects::set_responsible_units(&mut w, a, &[u1, u2])
            .await
            .unwrap();
        w.commit().await.unwrap();
        let units = || async {
            let mut tx = db.begin_read().await.unwrap();
            let f = projects::ProjectFilter::new(ListScope::Region(region("430922")));
            let page = projects::list_page(&mut tx, &f, ColoursOf::Issue(None))
                .await
                .unwrap();
            tx.rollback().await.unwrap();
            page.items[0].responsible.clone()
        };
        let before = units().await;
        assert_eq!(before, vec!["县住建局", "桃花江镇"], "{b}");
        // remembered: the same page again reads the same
        assert_eq!(units().await, before, "{b}");

        let edit = |id: UnitId, name: &'static str, sort_order: i64| async move {
            let mut w = db.begin_write().await.unwrap();
            let u = org::get_unit(&mut w, id).await.unwrap().unwrap();
            let values = org::NewUnit {
                region_code: &u.region_code,
                name,
                kind: u.kind,
                contact: &u.contact,
                phone: &u.phone,
                sort_order,
            };
            org::update_unit(&mut w, id, u.version, &values, now)
                .await
                .unwrap();
            w.commit().await.unwrap();
        };
        // seeded with sort order 0: renamed in place
        edit(u1, "县住房和城乡建设局", 0).await;
        assert_eq!(units().await, vec!["县住房和城乡建设局", "桃花江镇"], "{b}");
        edit(u1, "县住房和城乡建设局", 1000).await;
        assert_eq!(units().await, vec!["桃花江镇", "县住房和城乡建设局"], "{b}");

        let mut w = db.begin_write().await.unwrap();
        projects::set_responsible_units(&mut w, a, &[u2])
            .await
            .unwrap();
        w.commit().await.unwrap();
        assert_eq!(units().await, vec!["桃花江镇"], "{b}");
    }
}

/// A list page's rows are read by position on SQLite's caller's thread and by name through
/// sqlx: every value, present or absent, with text that looks like a separator, reads back as
/// the project's own read returns it.
#[tokio::test]
async fn a_list_row_reads_back_every_value_of_the_project() {
    for t in TestDb::all().await {
        let db = &t.db;
        let (u1, u2, _u3) = seed(db).await;
        let now = storable_time(Utc::now());
        let mut w = db.begin_write().await.unwrap();
        let leader = org::insert_leader(
            &mut w,
            &org::NewLeader {
                region_code: &region("430922"),
                name: "=张三",
                title: "副县长",
                phone: "",
                sort_order: 0,
            },
            now,
        )
        .await
        .unwrap();
        let bare = project("430922", "无可选值", "TJ-100", 0, None);
        let bare = projects::ProjectValues {
            code: None,
            actual_start: None,
            tags: String::new(),
            ..bare
        };
        let bare_id = projects::insert(&mut w, &bare, now).await.unwrap();
        let full = projects::ProjectValues {
            national_code: Some("2201-430922-04-01-000001".into()),
            level: Level::Provincial,
            stage: Stage::Completed,
            industry: Industry::WaterConservancy,
            township_unit_id: Some(u2),
            owner_unit_id: Some(u1),
            content_scale: "=新建\n道路\t12 公里\n\n配套".into(),
            funding_sources: "".into(),
            planned_start: Some(ReportMonth::new(2021, 1).unwrap()),
            planned_completion: Some(ReportMonth::new(2023, 12).unwrap()),
            actual_completion: Some(ReportMonth::new(2024, 6).unwrap()),
            leader_id: Some(leader),
            parent_id: Some(bare_id),
            location: "=".into(),
            tags: "民生、=重点".into(),
            below_threshold: true,
            ..project("430922", "全部可选值", "", -12_345_678_901, Some(u1))
        };
        let full_id = projects::insert(&mut w, &full, now).await.unwrap();
        projects::set_responsible_units(&mut w, full_id, &[u1, u2])
            .await
            .unwrap();
        w.commit().await.unwrap();

        let b = db.backend();
        let mut tx = db.begin_read().await.unwrap();
        let f = projects::ProjectFilter::new(ListScope::Region(region("430922")));
        let page = projects::list_page(&mut tx, &f, ColoursOf::Issue(None))
            .await
            .unwrap();
        assert_eq!(page.items.len(), 2, "{b}");
        for id in [bare_id, full_id] {
            let listed = page.items.iter().find(|i| i.project.id == id).unwrap();
            let read = projects::get(&mut tx, id).await.unwrap().unwrap();
            assert_eq!(format!("{:?}", listed.project), format!("{read:?}"), "{b}");
        }
        let full_row = page.items.iter().find(|i| i.project.id == full_id).unwrap();
        assert_eq!(full_row.project.code.as_deref(), Some(""), "{b}");
        assert_eq!(
            full_row.project.leader_name.as_deref(),
            Some("=张三"),
            "{b}"
        );
        assert!(full_row.project.content_scale.contains('\n'), "{b}");
        assert_eq!(full_row.responsible, vec!["县住建局", "桃花江镇"], "{b}");
        let bare_row = page.items.iter().find(|i| i.project.id == bare_id).unwrap();
        assert_eq!(bare_row.project.code, None, "{b}");
        assert_eq!(bare_row.project.township_name, None, "{b}");
        assert!(bare_row.responsible.is_empty(), "{b}");
        tx.rollback().await.unwrap();
        // a read outside a transaction runs the statement on the caller's thread (SQLite)
        let mut plain = db.read().await.unwrap();
        let again = projects::list_page(&mut plain, &f, ColoursOf::Issue(None))
            .await
            .unwrap();
        assert_eq!(
            format!("{:?}", again.items),
            format!("{:?}", page.items),
            "{b}"
        );
    }
}

async fn count_projects(tx: &mut keyproj_db::Tx) -> i64 {
    keyproj_db::run!(tx, |c| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM projects"
    )
    .fetch_one(c)
    .await)
    .unwrap()
}

/// `Db::read` runs each statement on its own: a commit between two of them is seen by the
/// second (a read transaction on SQLite keeps its snapshot; PostgreSQL's READ COMMITTED
/// does not), and ending it changes nothing.
#[tokio::test]
async fn a_plain_read_sees_each_commit() {
    for t in TestDb::all().await {
        let db = &t.db;
        seed(db).await;
        let count = count_projects;
        let mut read = db.read().await.unwrap();
        let mut snapshot = db.begin_read().await.unwrap();
        assert_eq!((count(&mut read).await, count(&mut snapshot).await), (0, 0));
        let mut w = db.begin_write().await.unwrap();
        projects::insert(
            &mut w,
            &project("430922", "甲", "TJ-001", 100, None),
            storable_time(Utc::now()),
        )
        .await
        .unwrap();
        w.commit().await.unwrap();
        assert_eq!(count(&mut read).await, 1, "{}", db.backend());
        let in_snapshot = if db.backend() == "sqlite" { 0 } else { 1 };
        assert_eq!(count(&mut snapshot).await, in_snapshot, "{}", db.backend());
        read.commit().await.unwrap();
        snapshot.rollback().await.unwrap();
    }
}

#[tokio::test]
async fn stale_update_writes_nothing() {
    for t in TestDb::all().await {
        let db = &t.db;
        seed(db).await;
        let now = storable_time(Utc::now());
        let mut tx = db.begin_write().await.unwrap();
        let id = projects::insert(
            &mut tx,
            &project("430922", "原名", "TJ-009", 100, None),
            now,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut tx = db.begin_write().await.unwrap();
        projects::update(
            &mut tx,
            id,
            1,
            &project("430922", "新名", "TJ-009", 100, None),
            now,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut tx = db.begin_write().await.unwrap();
        let err = projects::update(
            &mut tx,
            id,
            1,
            &project("430922", "又一个名", "TJ-009", 100, None),
            now,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, DbError::Stale), "{err:?}");
        tx.rollback().await.unwrap();
        let mut tx = db.begin_read().await.unwrap();
        let row = projects::get(&mut tx, id).await.unwrap().unwrap();
        assert_eq!((row.name.as_str(), row.version), ("新名", 2));
    }
}

#[tokio::test]
async fn duplicate_codes_are_named() {
    for t in TestDb::all().await {
        let db = &t.db;
        seed(db).await;
        let now = storable_time(Utc::now());
        let mut tx = db.begin_write().await.unwrap();
        let mut p = project("430922", "甲", "TJ-1", 100, None);
        p.national_code = Some("2022-430922-04-01-123456".into());
        projects::insert(&mut tx, &p, now).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = db.begin_write().await.unwrap();
        let mut q = project("430922", "乙", "TJ-2", 100, None);
        q.national_code = Some("2022-430922-04-01-123456".into());
        match projects::insert(&mut tx, &q, now).await {
            Err(DbError::Duplicate(m)) => assert!(m.contains("项目代码"), "{m}"),
            other => panic!("expected duplicate on {}: {other:?}", db.backend()),
        }
    }
}

fn fields(action: &str) -> AuditFields {
    AuditFields {
        at: storable_time(Utc::now()),
        user_id: Some(1),
        username: "staff".into(),
        unit_id: None,
        ip: "127.0.0.1".into(),
        action: action.into(),
        entity_type: "project".into(),
        entity_id: Some("1".into()),
        before_json: None,
        after_json: Some("{\"a\":1}".into()),
    }
}

#[tokio::test]
async fn audit_log_is_append_only_and_chained() {
    for t in TestDb::all().await {
        let db = &t.db;
        let key = b"k";
        let mut tx = db.begin_write().await.unwrap();
        audit::append(&mut tx, key, &fields("create"))
            .await
            .unwrap();
        audit::append(&mut tx, key, &fields("update"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut tx = db.begin_read().await.unwrap();
        let rows = audit::batch(&mut tx, 0, 10).await.unwrap();
        tx.rollback().await.unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].prev_hash, rows[0].hash, "rows are chained");
        let fs: Vec<_> = rows.iter().map(|r| r.fields()).collect();
        keyproj_domain::audit::verify_chain(
            key,
            keyproj_domain::audit::GENESIS,
            rows.iter()
                .zip(fs.iter())
                .map(|(r, f)| (r.id, f, r.prev_hash.as_str(), r.hash.as_str())),
        )
        .unwrap();
        assert_eq!(
            fs[0],
            fields("create").clone().with_at(fs[0].at),
            "round trip keeps every field"
        );

        for sql in ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"] {
            let mut tx = db.begin_write().await.unwrap();
            let r = keyproj_db::run!(&mut tx, |c| sqlx::query(sql).execute(c).await.map(|_| ()));
            assert!(r.is_err(), "{sql} must fail on {}", db.backend());
        }
    }
}

trait WithAt {
    fn with_at(self, at: chrono::DateTime<Utc>) -> Self;
}
impl WithAt for AuditFields {
    fn with_at(mut self, at: chrono::DateTime<Utc>) -> Self {
        self.at = at;
        self
    }
}

#[tokio::test]
async fn copy_moves_everything_with_ids() {
    let src = TestDb::sqlite().await;
    let (u1, _, _) = seed(&src.db).await;
    let now = storable_time(Utc::now());
    let mut tx = src.db.begin_write().await.unwrap();
    let parent = projects::insert(
        &mut tx,
        &project("430922", "打包项目", "P-1", 100, Some(u1)),
        now,
    )
    .await
    .unwrap();
    let child = projects::insert(&mut tx, &project("430922", "子项目", "P-2", 100, None), now)
        .await
        .unwrap();
    let mut p = project("430922", "打包项目", "P-1", 100, Some(u1));
    // the parent points at a later id: the copy must cope with self-references in any order
    p.parent_id = Some(child);
    projects::update(&mut tx, parent, 1, &p, now).await.unwrap();
    audit::append(&mut tx, b"k", &fields("create"))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let dst = match TestDb::postgres().await {
        Some(pg) => pg,
        None => TestDb::sqlite().await,
    };
    let report = keyproj_db::copy::copy_all(&src.db, &dst.db).await.unwrap();
    assert!(report.iter().any(|(t, n)| *t == "projects" && *n == 2));
    let mut tx = dst.db.begin_write().await.unwrap();
    let copied = projects::get(&mut tx, parent).await.unwrap().unwrap();
    assert_eq!(copied.parent_id, Some(child));
    assert_eq!(copied.lead_unit_name.as_deref(), Some("县住建局"));
    // identities continue after the copied ids
    let next = projects::insert(&mut tx, &project("430922", "新项目", "P-3", 100, None), now)
        .await
        .unwrap();
    assert!(next > child);
    tx.commit().await.unwrap();
    // a second copy into a non-empty database is refused
    assert!(keyproj_db::copy::copy_all(&src.db, &dst.db).await.is_err());
}

/// Several app instances starting at once on one PostgreSQL database apply each migration
/// exactly once (sqlx holds an advisory lock while migrating).
#[tokio::test]
async fn concurrent_migrations_on_postgres() {
    let Some(t) = TestDb::postgres_unmigrated().await else {
        return;
    };
    let opts = keyproj_db::DbOptions { max_connections: 2 };
    let (a, b, c, d) = (
        Db::connect(&t.url, &opts).await.unwrap(),
        Db::connect(&t.url, &opts).await.unwrap(),
        Db::connect(&t.url, &opts).await.unwrap(),
        Db::connect(&t.url, &opts).await.unwrap(),
    );
    let results = tokio::join!(a.migrate(), b.migrate(), c.migrate(), d.migrate());
    for r in [results.0, results.1, results.2, results.3] {
        r.unwrap();
    }
    let mut tx = t.db.begin_read().await.unwrap();
    let applied = keyproj_db::run!(&mut tx, |c| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM _sqlx_migrations"
    )
    .fetch_one(c)
    .await)
    .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count() as i64;
    assert_eq!(applied, files);
}

async fn codes(db: &Db) -> Vec<String> {
    let mut tx = db.read().await.unwrap();
    let codes = keyproj_db::run!(&mut tx, |c| sqlx::query_scalar::<_, String>(
        "SELECT code FROM projects ORDER BY code"
    )
    .fetch_all(c)
    .await)
    .unwrap();
    tx.commit().await.unwrap();
    codes
}

/// Writers queued behind a write share its transaction on SQLite (group commit), each in a
/// savepoint of its own: one that commits keeps its work, one that rolls back, is dropped
/// unfinished or meets a failing statement loses only its own, and every commit answers
/// once the group is committed. PostgreSQL runs the same writers side by side.
#[tokio::test]
async fn queued_writers_keep_or_undo_only_their_own_work() {
    for t in TestDb::all().await {
        let db = t.db.clone();
        seed(&db).await;
        let now = storable_time(Utc::now());
        let before = db.group_commits().unwrap_or_default();
        let mut first = db.begin_write().await.unwrap();
        projects::insert(&mut first, &project("430922", "甲", "G-A", 1, None), now)
            .await
            .unwrap();
        let writer = |code: &'static str, end: &'static str| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut w = db.begin_write().await?;
                projects::insert(&mut w, &project("430922", code, code, 1, None), now).await?;
                match end {
                    "commit" => w.commit().await,
                    "rollback" => w.rollback().await,
                    "failed statement" => {
                        // in a savepoint of its own, as a batch's item is (a failed statement
                        // ends a PostgreSQL transaction otherwise)
                        w.savepoint("again").await?;
                        let again =
                            projects::insert(&mut w, &project("430922", "重", code, 1, None), now)
                                .await;
                        assert!(matches!(again, Err(DbError::Duplicate(_))), "{again:?}");
                        w.rollback_to("again").await?;
                        w.release("again").await?;
                        w.commit().await
                    }
                    _ => {
                        drop(w);
                        Ok(())
                    }
                }
            })
        };
        let sqlite = db.backend() == "sqlite";
        // two writers dropped in one group (two forms refused after their first statement):
        // each is undone alone, and the writers after them commit
        let tasks = vec![
            writer("G-B", "commit"),
            writer("G-C", "rollback"),
            writer("G-D", "dropped"),
            writer("G-E", "failed statement"),
            writer("G-H", "dropped"),
            writer("G-F", "commit"),
        ];
        if sqlite {
            // bounded wait until all six are queued behind `first`
            for _ in 0..500 {
                if db.writers_waiting() == 6 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            assert_eq!(db.writers_waiting(), 6);
        }
        first.commit().await.unwrap();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(
            codes(&db).await,
            ["G-A", "G-B", "G-E", "G-F"],
            "{}",
            db.backend()
        );
        if sqlite {
            // `first` left its transaction to the six: one commit for the seven
            let (groups, writers) = db.group_commits().unwrap();
            assert_eq!((groups - before.0, writers - before.1), (1, 7));
        }
        // the queue goes on after the group: a new writer commits on its own
        let mut w = db.begin_write().await.unwrap();
        projects::insert(&mut w, &project("430922", "乙", "G-G", 1, None), now)
            .await
            .unwrap();
        w.commit().await.unwrap();
        assert_eq!(codes(&db).await.len(), 5);
    }
}

/// A write's statements run on the writer's own thread on SQLite (its group's connection taken
/// from sqlx's worker thread) and through sqlx for the repositories not moved there: both are
/// one transaction. What one writes the other reads, a writer that rolls back loses both kinds,
/// the group's other writers keep theirs, and the audit chain over them verifies.
#[tokio::test]
async fn a_writes_statements_on_its_thread_and_through_sqlx_are_one_transaction() {
    use keyproj_db::repo::problems::{items, workflow};
    use keyproj_domain::problem::{Category, DayCount, EventKind, ItemKind, Level, Source, State};
    for t in TestDb::all().await {
        let db = t.db.clone();
        let (u1, _, _) = seed(&db).await;
        let b = db.backend();
        let now = storable_time(Utc::now());
        let county = region("430922");
        fn item<'a>(county: &'a RegionCode, unit: UnitId, title: &'a str) -> items::NewItem<'a> {
            items::NewItem {
                region_code: county,
                year: 2026,
                number_prefix: "桃重问",
                kind: ItemKind::Problem,
                source: Source::DailyPatrol,
                category: Category::Land,
                level: Level::Unit,
                project_id: None,
                title,
                description: "",
                raised_by: "staff",
                raised_unit_id: unit,
                raised_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
                day_count: DayCount::Working,
                parent_id: None,
                meeting_id: None,
                briefing_id: None,
                patrol_id: None,
                report_month: None,
            }
        }
        let event = move |item_id| workflow::NewEvent {
            item_id,
            actor: "staff",
            actor_unit_id: Some(u1),
            kind: EventKind::Register,
            note: "登记",
            from_state: None,
            to_state: State::Registered,
            deadline: None,
        };
        let titles = |db: Db| async move {
            let mut tx = db.read().await.unwrap();
            keyproj_db::run!(&mut tx, |c| sqlx::query_scalar::<_, String>(
                "SELECT title FROM problem_items ORDER BY id"
            )
            .fetch_all(c)
            .await)
            .unwrap()
        };

        // the first writer mixes the two kinds, and the group waits behind it
        let mut first = db.begin_write().await.unwrap();
        // as every registration does: numbers are taken one writer at a time on PostgreSQL too
        items::lock_registration(&mut first, &county).await.unwrap();
        let (a, number) = items::insert_item(&mut first, &item(&county, u1, "甲"), now)
            .await
            .unwrap();
        let seen = keyproj_db::run!(&mut first, |c| sqlx::query_scalar::<_, String>(
            "SELECT number FROM problem_items WHERE id = $1"
        )
        .bind(a.get())
        .fetch_one(c)
        .await)
        .unwrap();
        assert_eq!(
            seen, number,
            "{b}: sqlx reads the row written on the thread"
        );
        projects::insert(
            &mut first,
            &project("430922", "甲项目", "DW-1", 1, None),
            now,
        )
        .await
        .unwrap();
        workflow::insert_event(&mut first, &event(a), now)
            .await
            .unwrap();
        audit::append(&mut first, b"k", &fields("register"))
            .await
            .unwrap();
        let writer = |title: &'static str, keep: bool| {
            let db = db.clone();
            let county = county.clone();
            tokio::spawn(async move {
                let mut w = db.begin_write().await?;
                items::lock_registration(&mut w, &county).await?;
                let (id, _) = items::insert_item(&mut w, &item(&county, u1, title), now).await?;
                projects::insert(&mut w, &project("430922", title, title, 1, None), now).await?;
                workflow::insert_event(&mut w, &event(id), now).await?;
                audit::append(&mut w, b"k", &fields("register")).await?;
                if keep {
                    w.commit().await
                } else {
                    w.rollback().await
                }
            })
        };
        let tasks = [writer("乙", true), writer("丙", false), writer("丁", true)];
        if b == "sqlite" {
            for _ in 0..500 {
                if db.writers_waiting() == 3 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            assert_eq!(db.writers_waiting(), 3);
        }
        first.commit().await.unwrap();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        // PostgreSQL's writers run side by side: their order is the lock's
        let mut kept = titles(db.clone()).await;
        kept.sort();
        assert_eq!(kept, ["丁", "乙", "甲"], "{b}");
        let mut stored = codes(&db).await;
        stored.sort();
        assert_eq!(stored, ["DW-1", "丁", "乙"], "{b}");
        let mut tx = db.begin_read().await.unwrap();
        let events = keyproj_db::run!(&mut tx, |c| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM problem_events"
        )
        .fetch_one(c)
        .await)
        .unwrap();
        assert_eq!(events, 3, "{b}: the rolled-back writer's event is gone");
        let rows = audit::batch(&mut tx, 0, 10).await.unwrap();
        assert_eq!(rows.len(), 3, "{b}: one audit row per kept writer");
        let fs: Vec<_> = rows.iter().map(|r| r.fields()).collect();
        keyproj_domain::audit::verify_chain(
            b"k",
            keyproj_domain::audit::GENESIS,
            rows.iter()
                .zip(fs.iter())
                .map(|(r, f)| (r.id, f, r.prev_hash.as_str(), r.hash.as_str())),
        )
        .unwrap();
        let head = audit::head(&mut tx).await.unwrap().unwrap();
        assert_eq!((head.audit_id, head.row_count), (rows[2].id, 3), "{b}");
        tx.rollback().await.unwrap();
    }
}

/// Runs `fut`, dropping it at its `polls`-th await if it has not finished by then: a request
/// cancelled there (its client went away).
async fn cancelled_at<F: std::future::Future>(polls: usize, fut: F) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    let mut n = 0;
    std::future::poll_fn(move |cx| match fut.as_mut().poll(cx) {
        std::task::Poll::Ready(v) => std::task::Poll::Ready(Some(v)),
        std::task::Poll::Pending if n >= polls => std::task::Poll::Ready(None),
        std::task::Poll::Pending => {
            n += 1;
            std::task::Poll::Pending
        }
    })
    .await
}

/// Writers cancelled anywhere (a client that goes away mid-request drops the request's
/// future at whichever await it is in) leave neither a transaction open nor another writer
/// waiting: every writer that was answered "committed" has its row, and the queue goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_writers_leave_the_queue_working() {
    for t in TestDb::all().await {
        let db = t.db.clone();
        seed(&db).await;
        let now = storable_time(Utc::now());
        let (mut committed, mut cancelled) = (vec![], 0);
        for round in 0..30 {
            let mut tasks = vec![];
            for i in 0..8 {
                let db = db.clone();
                let code = format!("C-{round:02}-{i}");
                // half the writers are cancelled at one await or another; every third round
                // while they wait for their turn or open a group (a group left open before its
                // BEGIN ran once answered a committed write as failed)
                let polls = if i % 2 == 0 {
                    usize::MAX
                } else if round % 3 == 0 {
                    (round + i) % 4
                } else {
                    (round * 5 + i * 3) % 24
                };
                let c = code.clone();
                let write = async move {
                    let mut w = db.begin_write().await?;
                    // through sqlx, then on the writer's thread (SQLite): cancelled at either
                    projects::insert(&mut w, &project("430922", &c, &c, 1, None), now).await?;
                    audit::append(&mut w, b"k", &fields("create")).await?;
                    w.commit().await
                };
                tasks.push((code, tokio::spawn(cancelled_at(polls, write))));
            }
            for (code, task) in tasks {
                match task.await.unwrap() {
                    Some(r) => {
                        r.unwrap_or_else(|e| panic!("{code}: {e}"));
                        committed.push(code);
                    }
                    None => cancelled += 1,
                }
            }
        }
        let stored = codes(&db).await;
        for code in &committed {
            assert!(
                stored.contains(code),
                "{code} answered committed but missing"
            );
        }
        assert!(
            cancelled > 0 && committed.len() >= 120,
            "{cancelled} {}",
            committed.len()
        );
        // the audit chain over what was kept is whole: every row follows the one before
        let mut tx = db.begin_read().await.unwrap();
        let rows = audit::batch(&mut tx, 0, 1000).await.unwrap();
        tx.rollback().await.unwrap();
        assert!(rows.len() >= committed.len(), "{}", rows.len());
        let fs: Vec<_> = rows.iter().map(|r| r.fields()).collect();
        keyproj_domain::audit::verify_chain(
            b"k",
            keyproj_domain::audit::GENESIS,
            rows.iter()
                .zip(fs.iter())
                .map(|(r, f)| (r.id, f, r.prev_hash.as_str(), r.hash.as_str())),
        )
        .unwrap_or_else(|e| panic!("{}: {e:?}", db.backend()));
        // and the queue still serves a writer
        let mut w = db.begin_write().await.unwrap();
        projects::insert(&mut w, &project("430922", "后", "Z-LAST", 1, None), now)
            .await
            .unwrap();
        w.commit().await.unwrap();
        assert!(codes(&db).await.contains(&"Z-LAST".to_string()));
    }
}

/// A write dropped unfinished just before the runtime shuts down (a CLI command that fails
/// and exits): its rollback task never runs, and dropping that task closes the connection
/// (SQLite rolls back) instead of spawning another rollback task forever (which overflowed
/// the stack of `keyproj user token` refusing a demo account). The next process writes at once.
#[test]
fn a_write_dropped_at_shutdown_leaves_the_file_writable() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("k.db").display());
    let opts = keyproj_db::DbOptions::default();
    // one thread: the rollback task spawned by the drop has not run when `block_on` returns
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // the pool outlives the runtime, as a process's does until it exits
    let _db = rt.block_on(async {
        let db = Db::connect(&url, &opts).await.unwrap();
        db.migrate().await.unwrap();
        seed(&db).await;
        let mut w = db.begin_write().await.unwrap();
        projects::insert(
            &mut w,
            &project("430922", "甲", "S-1", 1, None),
            storable_time(Utc::now()),
        )
        .await
        .unwrap();
        drop(w);
        db
    });
    drop(rt);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = Db::connect(&url, &opts).await.unwrap();
        let mut w = db.begin_write().await.unwrap();
        projects::insert(
            &mut w,
            &project("430922", "乙", "S-2", 1, None),
            storable_time(Utc::now()),
        )
        .await
        .unwrap();
        w.commit().await.unwrap();
        assert_eq!(codes(&db).await, ["S-2"]);
    });
}

/// The item list's rows are read by position on SQLite's caller's thread: a bare item and one
/// with its optional references read back from the list as the item's own read returns them.
#[tokio::test]
async fn an_item_list_row_reads_back_every_value_of_the_item() {
    use keyproj_db::repo::problems::items;
    use keyproj_domain::problem::{Category, DayCount, ItemKind, Level as ItemLevel, Source};
    for t in TestDb::all().await {
        let db = &t.db;
        let (u1, _u2, _u3) = seed(db).await;
        let now = storable_time(Utc::now());
        let county = region("430922");
        let mut w = db.begin_write().await.unwrap();
        let project_id = projects::insert(&mut w, &project("430922", "甲", "TJ-1", 1, None), now)
            .await
            .unwrap();
        let item = |title: &'static str| items::NewItem {
            region_code: &county,
            year: 2026,
            number_prefix: "桃重问",
            kind: ItemKind::Problem,
            source: Source::DailyPatrol,
            category: Category::Land,
            level: ItemLevel::Unit,
            project_id: None,
            title,
            description: "",
            raised_by: "=李四",
            raised_unit_id: u1,
            raised_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            day_count: DayCount::Working,
            parent_id: None,
            meeting_id: None,
            briefing_id: None,
            patrol_id: None,
            report_month: None,
        };
        let (bare, _) = items::insert_item(&mut w, &item("无引用"), now)
            .await
            .unwrap();
        let full = items::NewItem {
            project_id: Some(project_id),
            description: "=征地\n未完成",
            parent_id: Some(bare),
            report_month: Some(ReportMonth::new(2026, 10).unwrap()),
            ..item("有引用")
        };
        let (full, _) = items::insert_item(&mut w, &full, now).await.unwrap();
        w.commit().await.unwrap();

        let b = db.backend();
        let mut tx = db.begin_read().await.unwrap();
        let f = items::ItemFilter::new(county.clone(), items::ItemScope::Region);
        let (rows, count) = items::list_items(&mut tx, &f).await.unwrap();
        assert_eq!((rows.len(), count), (2, 2), "{b}");
        for id in [bare, full] {
            let listed = rows.iter().find(|r| r.id == id).unwrap();
            let read = items::get_item(&mut tx, id).await.unwrap().unwrap();
            assert_eq!(format!("{listed:?}"), format!("{read:?}"), "{b}");
        }
        let listed = rows.iter().find(|r| r.id == full).unwrap();
        assert_eq!(listed.project_name.as_deref(), Some("甲"), "{b}");
        assert_eq!(listed.description, "=征地\n未完成", "{b}");
        assert_eq!(listed.raised_by, "=李四", "{b}");
        tx.rollback().await.unwrap();
        // a read outside a transaction runs the statements on the caller's thread (SQLite)
        let mut plain = db.read().await.unwrap();
        let again = items::list_items(&mut plain, &f).await.unwrap();
        assert_eq!(format!("{again:?}"), format!("{:?}", (&rows, count)), "{b}");
    }
}

/// The sign-in's lookups (a session, a token) read the same through a plain read, which on
/// SQLite runs on the caller's own connection (`Readers`), as in a read transaction (sqlx):
/// every column, times present and absent, several roles, and nothing for an unknown token.
#[tokio::test]
async fn a_sign_in_reads_the_same_on_the_callers_thread() {
    use keyproj_db::repo::account::{sessions, tokens};
    use keyproj_db::repo::admin::users;
    use keyproj_domain::authz::Role;
    for t in TestDb::all().await {
        let db = &t.db;
        let (u1, _, _) = seed(db).await;
        let now = storable_time(Utc::now());
        let mut w = db.begin_write().await.unwrap();
        let user = users::insert_user(
            &mut w,
            &users::NewUser {
                username: "zhang",
                display_name: "=张三",
                unit_id: u1,
                password_hash: "$argon2id$x",
                must_change_password: true,
            },
            now,
        )
        .await
        .unwrap();
        users::set_roles(&mut w, user, &[Role::CenterStaff, Role::CountyLeader])
            .await
            .unwrap();
        users::record_login_failure(&mut w, user, 2, Some(now), now)
            .await
            .unwrap();
        sessions::insert_session(
            &mut w,
            &sessions::NewSession {
                token_hash: "s-hash",
                user_id: user,
                csrf: "csrf",
                ip: "127.0.0.1",
                user_agent: "浏览器",
            },
            now,
        )
        .await
        .unwrap();
        let token = tokens::insert_token(&mut w, user, "报表", "t-hash", now)
            .await
            .unwrap();
        tokens::touch_token(&mut w, token, now).await.unwrap();
        w.commit().await.unwrap();

        let b = db.backend();
        let mut plain = db.read().await.unwrap();
        let mut snapshot = db.begin_read().await.unwrap();
        for hash in ["s-hash", "unknown"] {
            let direct = sessions::find_session_user(&mut plain, hash).await.unwrap();
            let sqlx = sessions::find_session_user(&mut snapshot, hash)
                .await
                .unwrap();
            assert_eq!(format!("{direct:?}"), format!("{sqlx:?}"), "{b}");
            assert_eq!(direct.is_some(), hash == "s-hash", "{b}");
        }
        for hash in ["t-hash", "unknown"] {
            let direct = tokens::find_token_user(&mut plain, hash).await.unwrap();
            let sqlx = tokens::find_token_user(&mut snapshot, hash).await.unwrap();
            assert_eq!(format!("{direct:?}"), format!("{sqlx:?}"), "{b}");
        }
        let (_, found, roles) = sessions::find_session_user(&mut plain, "s-hash")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                found.display_name.as_str(),
                found.failed_logins,
                roles.len()
            ),
            ("=张三", 2, 2),
            "{b}"
        );
        assert_eq!(found.locked_until, Some(now), "{b}");
        plain.rollback().await.unwrap();
        snapshot.rollback().await.unwrap();
    }
}

/// A list page's filters (the units and leaders of a region) read the same through a plain
/// read, on the caller's own connection on SQLite, as in a read transaction.
#[tokio::test]
async fn a_list_pages_filters_read_the_same_on_the_callers_thread() {
    for t in TestDb::all().await {
        let db = &t.db;
        seed(db).await;
        let mut w = db.begin_write().await.unwrap();
        org::insert_leader(
            &mut w,
            &org::NewLeader {
                region_code: &region("430922"),
                name: "=张三",
                title: "副县长",
                phone: "",
                sort_order: 2,
            },
            storable_time(Utc::now()),
        )
        .await
        .unwrap();
        w.commit().await.unwrap();
        let b = db.backend();
        let mut plain = db.read().await.unwrap();
        let mut snapshot = db.begin_read().await.unwrap();
        for code in ["430922", "43"] {
            let r = region(code);
            let direct = org::list_units(&mut plain, &r).await.unwrap();
            let sqlx = org::list_units(&mut snapshot, &r).await.unwrap();
            assert!(!direct.is_empty(), "{b}");
            assert_eq!(format!("{direct:?}"), format!("{sqlx:?}"), "{b}");
            let direct = org::list_leaders(&mut plain, &r).await.unwrap();
            let sqlx = org::list_leaders(&mut snapshot, &r).await.unwrap();
            assert_eq!(direct.len(), 1, "{b}");
            assert_eq!(format!("{direct:?}"), format!("{sqlx:?}"), "{b}");
        }
        snapshot.rollback().await.unwrap();
    }
}

async fn projects_generation(db: &Db) -> i64 {
    let mut tx = db.read().await.unwrap();
    keyproj_db::run!(&mut tx, |c| sqlx::query_scalar::<_, i64>(
        "SELECT n FROM list_generations WHERE name = 'projects'"
    )
    .fetch_one(c)
    .await)
    .unwrap()
}

/// PostgreSQL: a long transaction that changed projects (an import) holds no lock that another
/// project write needs; the projects' list state still changes with each commit. (Changed by
/// each statement, it held the state's row to its end, and every project write waited.)
#[tokio::test]
async fn a_long_project_transaction_does_not_hold_up_other_project_writes() {
    for t in TestDb::all().await {
        if !matches!(t.db, Db::Postgres(_)) {
            continue; // SQLite's writers take turns in the process's queue
        }
        let db = t.db.clone();
        seed(&db).await;
        let now = storable_time(Utc::now());
        let before = projects_generation(&db).await;
        let mut long = db.begin_write().await.unwrap();
        projects::insert(&mut long, &project("430922", "长事务", "L-1", 1, None), now)
            .await
            .unwrap();
        let mut short = db.begin_write().await.unwrap();
        // a lock held by `long` fails this transaction at once instead of making it wait
        keyproj_db::run!(&mut short, |c| sqlx::query(
            "SET LOCAL lock_timeout = '1ms'"
        )
        .execute(c)
        .await
        .map(|_| ()))
        .unwrap();
        projects::insert(
            &mut short,
            &project("430922", "短事务", "S-1", 1, None),
            now,
        )
        .await
        .unwrap();
        short.commit().await.unwrap();
        let after_short = projects_generation(&db).await;
        assert_ne!(before, after_short, "a commit changes the state");
        long.commit().await.unwrap();
        let after_long = projects_generation(&db).await;
        assert_ne!(after_short, after_long, "so does the long one's");
        let stored = codes(&db).await;
        assert!(stored.contains(&"L-1".to_string()) && stored.contains(&"S-1".to_string()));
    }
}

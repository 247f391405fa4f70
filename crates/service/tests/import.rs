//! Importing the canonical workbook on both engines: all or nothing, idempotent, revisions for
//! changed approved months, and a report of every bad cell.

use chrono::{TimeZone, Utc};
use keyproj_db::testing::TestDb;
use keyproj_domain::RegionCode;
use keyproj_office::workbook::{Limits, PLAN_HEADERS, PROJECT_HEADERS, REPORT_HEADERS};
use keyproj_service::import::{ImportError, import_bytes};
use keyproj_service::{App, Config, Ctx, TestClock, stats};
use rust_xlsxwriter::Workbook;
use std::sync::{Arc, Mutex};

fn workbook(projects: &[Vec<&str>], plans: &[Vec<&str>], reports: &[Vec<&str>]) -> Vec<u8> {
    let mut wb = Workbook::new();
    for (name, headers, rows) in [
        ("项目库", &PROJECT_HEADERS[..], projects),
        ("年度计划", &PLAN_HEADERS[..], plans),
        ("月度调度", &REPORT_HEADERS[..], reports),
    ] {
        if rows.is_empty() {
            continue;
        }
        let ws = wb.add_worksheet();
        ws.set_name(name).unwrap();
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                // amounts as numbers, like a person's sheet
                if let Ok(n) = v.parse::<f64>()
                    && headers[c].contains("万元")
                {
                    ws.write_number(r as u32 + 1, c as u16, n).unwrap();
                    continue;
                }
                ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

fn project(code: &str, name: &str, stage: &str, start: &str) -> Vec<&'static str> {
    let s = |x: &str| -> &'static str { Box::leak(x.to_string().into_boxed_str()) };
    vec![
        s(code),
        s(name),
        "",
        "县重点",
        s(stage),
        "交通",
        "桃花江镇",
        "桃江城投公司",
        "道路提质改造",
        "12000.5",
        "2022-01",
        "2023-12",
        s(start),
        "",
        "李文华",
        "县交通运输局",
        "县住建局、桃花江镇",
    ]
}

async fn app(t: &TestDb) -> (App, Ctx) {
    let clock = Arc::new(TestClock(Mutex::new(
        Utc.with_ymd_and_hms(2023, 1, 20, 2, 0, 0).unwrap(),
    )));
    let app = App::with_clock(t.db.clone(), Config::default(), clock);
    keyproj_service::admin::users::bootstrap_admin(&app)
        .await
        .unwrap();
    (app, Ctx::system(RegionCode::parse("430922").unwrap()))
}

async fn last_audit_id(app: &App) -> i64 {
    audit_since(app, 0).await.last().map_or(0, |r| r.id)
}

async fn audit_since(app: &App, after: i64) -> Vec<keyproj_db::repo::admin::audit::AuditRow> {
    let mut tx = app.db.begin_read().await.unwrap();
    keyproj_db::repo::admin::audit::batch(&mut tx, after, 100_000)
        .await
        .unwrap()
}

async fn count(app: &App, table: &str) -> i64 {
    let mut tx = app.db.begin_read().await.unwrap();
    keyproj_db::schema::row_count(&mut tx, table).await.unwrap()
}

#[tokio::test]
async fn import_is_all_or_nothing_and_idempotent() {
    for t in TestDb::all().await {
        let (app, ctx) = app(&t).await;
        let limits = Limits::default();
        let projects = vec![
            project("TJ2022-001", "城北大道", "在建", "2022-02"),
            project("TJ2022-002", "资江大桥", "前期", ""),
        ];
        let plans = vec![
            vec![
                "TJ2022-001",
                "2022",
                "在建",
                "1000",
                "主体完工",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            vec![
                "TJ2022-002",
                "2022",
                "前期",
                "0",
                "完成立项",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
        ];
        let reports = vec![
            vec!["TJ2022-001", "2022-01", "300", "路基施工", ""],
            vec!["TJ2022-001", "2022-02", "200.5", "路面施工", "征拆未完成"],
        ];
        let file = workbook(&projects, &plans, &reports);
        let audit_start = last_audit_id(&app).await;
        let s = import_bytes(&app, &ctx, &file, &limits).await.unwrap();
        // one audit row per record written, each marked with the import that wrote it
        let rows = audit_since(&app, audit_start).await;
        let per = |entity: &str| rows.iter().filter(|r| r.entity_type == entity).count();
        assert_eq!(
            (per("project"), per("plan"), per("monthly_report")),
            (2, 2, 2),
            "{:?}",
            rows.iter()
                .map(|r| (r.action.as_str(), r.entity_type.as_str()))
                .collect::<Vec<_>>()
        );
        assert_eq!(
            per("unit"),
            4,
            "县交通运输局, 县住建局, 桃花江镇 and the owner"
        );
        assert_eq!(per("leader"), 1);
        assert!(
            rows.iter().all(|r| r
                .after_json
                .as_deref()
                .is_some_and(|j| j.contains("\"via\":\"import:cli\""))),
            "every row names the import"
        );
        let mut ids: Vec<_> = rows
            .iter()
            .filter(|r| r.entity_type == "project")
            .map(|r| r.entity_id.clone())
            .collect();
        ids.dedup();
        assert_eq!(
            ids.len(),
            2,
            "one row for each project, not one for the file"
        );
        assert_eq!(
            (s.projects_created, s.plans_created, s.reports_created),
            (2, 2, 2)
        );
        assert_eq!(s.leaders_created, vec!["李文华"]);
        assert!(
            s.units_created.contains(&"县交通运输局".to_string())
                && s.units_created.contains(&"桃花江镇".to_string())
        );
        let st = stats::annual(&app, &RegionCode::parse("430922").unwrap(), 2022)
            .await
            .unwrap();
        assert_eq!(
            st.under_construction.completed_wan, "500.50",
            "imported months count as approved"
        );

        // the same file again changes nothing
        let versions = count(&app, "report_revisions").await;
        let again = import_bytes(&app, &ctx, &file, &limits).await.unwrap();
        assert_eq!(
            (
                again.projects_unchanged,
                again.plans_unchanged,
                again.reports_unchanged
            ),
            (2, 2, 2)
        );
        assert_eq!(
            (
                again.projects_created,
                again.projects_updated,
                again.reports_revised
            ),
            (0, 0, 0)
        );
        assert_eq!(count(&app, "report_revisions").await, versions);
        assert_eq!(count(&app, "units").await, 1 + 4, "no duplicate units");

        // a changed approved month becomes a revision, the old figure kept
        let changed = workbook(
            &[],
            &[],
            &[vec![
                "TJ2022-001",
                "2022-02",
                "250",
                "路面施工",
                "征拆未完成",
            ]],
        );
        let s = import_bytes(&app, &ctx, &changed, &limits).await.unwrap();
        assert_eq!(s.reports_revised, 1);
        assert_eq!(count(&app, "report_revisions").await, versions + 1);

        // one bad cell among good rows: nothing is written, every problem is reported
        let projects_before = count(&app, "projects").await;
        let audit_before = count(&app, "audit_log").await;
        let bad = workbook(
            &[
                project("TJ2022-003", "新项目", "签约", ""),
                vec![
                    "TJ2022-004",
                    "",
                    "",
                    "国家级",
                    "在建",
                    "交通",
                    "",
                    "",
                    "",
                    "-1",
                    "2022-13",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ],
            ],
            &[],
            &[
                vec!["TJ2022-003", "2022-03", "abc", "施工", ""],
                vec!["TJ2099-999", "2022-03", "1", "施工", ""],
            ],
        );
        match import_bytes(&app, &ctx, &bad, &limits).await {
            Err(ImportError::Problems(p)) => {
                let has = |sheet: &str, row: usize, col: &str| {
                    p.iter()
                        .any(|x| x.sheet == sheet && x.row == row && x.column == col)
                };
                assert!(
                    has("项目库", 3, "项目名称")
                        && has("项目库", 3, "项目级别")
                        && has("项目库", 3, "总投资（万元）")
                        && has("项目库", 3, "计划开工"),
                    "{p:#?}"
                );
                assert!(has("月度调度", 2, "本月完成投资（万元）"));
                let level = p.iter().find(|x| x.column == "项目级别").unwrap();
                assert_eq!(level.value, "国家级");
                assert!(level.reason.contains("省重点、市重点、县重点"));
            }
            other => panic!("expected problems, got {other:?}"),
        }
        assert_eq!(count(&app, "projects").await, projects_before);
        // a good sheet with an unknown project code also writes nothing, not even the good rows
        let unknown = workbook(
            &[project("TJ2022-005", "又一个项目", "签约", "")],
            &[],
            &[vec!["TJ2099-999", "2022-03", "1", "施工", ""]],
        );
        match import_bytes(&app, &ctx, &unknown, &limits).await {
            Err(ImportError::Problems(p)) => {
                assert!(p[0].reason.contains("不存在") && p[0].row == 2 && p[0].sheet == "月度调度")
            }
            other => panic!("expected problems, got {other:?}"),
        }
        assert_eq!(count(&app, "projects").await, projects_before);
        assert_eq!(
            count(&app, "audit_log").await,
            audit_before,
            "a refused import writes nothing"
        );
        // a name that would read as several units or leaders, or that is too long, is named
        // at its column on every row, before anything is written
        let mut two_leads = project("TJ2022-006", "两个牵头单位", "签约", "");
        two_leads[15] = "县水利局、县财政局";
        let mut two_leaders = project("TJ2022-007", "两位领导", "签约", "");
        two_leaders[14] = "周建国、李文华";
        two_leaders[7] = "甲公司，乙公司";
        let mut long_unit = project("TJ2022-008", "长单位名", "签约", "");
        let long: &'static str = Box::leak("长".repeat(70).into_boxed_str());
        long_unit[16] = long;
        let names = workbook(&[two_leads, two_leaders, long_unit], &[], &[]);
        match import_bytes(&app, &ctx, &names, &limits).await {
            Err(ImportError::Problems(p)) => {
                let at = |row: usize, col: &str| {
                    p.iter()
                        .find(|x| x.sheet == "项目库" && x.row == row && x.column == col)
                        .unwrap_or_else(|| panic!("{row} {col}: {p:#?}"))
                };
                assert!(at(2, "牵头单位").reason.contains("顿号"));
                assert_eq!(at(3, "县级联系领导").value, "周建国、李文华");
                assert!(at(3, "业主单位").reason.contains("顿号"));
                assert!(at(4, "责任单位").reason.contains("60"));
            }
            other => panic!("expected problems, got {other:?}"),
        }
        assert_eq!(count(&app, "projects").await, projects_before);
        assert_eq!(count(&app, "audit_log").await, audit_before);
        // a row the use case refuses (在建 back to 签约) is named at its column, with its value
        let backwards = workbook(&[project("TJ2022-001", "城北大道", "签约", "")], &[], &[]);
        match import_bytes(&app, &ctx, &backwards, &limits).await {
            Err(ImportError::Problems(p)) => {
                assert_eq!(
                    (p[0].column.as_str(), p[0].value.as_str(), p[0].row),
                    ("建设阶段", "签约", 2),
                    "{p:#?}"
                );
            }
            other => panic!("expected problems, got {other:?}"),
        }
        // not a workbook at all
        assert!(matches!(
            import_bytes(&app, &ctx, b"PK\x03\x04 nope", &limits).await,
            Err(ImportError::File(_))
        ));
        // an owner may not import
        let owner = Ctx {
            actor: keyproj_domain::authz::Actor {
                user_id: Some(9.into()),
                username: "o".into(),
                roles: vec![keyproj_domain::authz::Role::Owner],
                unit_id: Some(1.into()),
                region: RegionCode::parse("430922").unwrap(),
            },
            ip: "t".into(),
        };
        assert!(matches!(
            import_bytes(&app, &owner, &file, &limits).await,
            Err(ImportError::Service(
                keyproj_service::ServiceError::Forbidden
            ))
        ));
    }
}

//! The 签约项目 and 帮代办事项 sheets on both engines: a good file (events, entry at the threshold,
//! items run to their state), re-importing it (nothing changes), moving an item forward, and a
//! bad file with every kind of error (nothing written).

use chrono::{TimeZone, Utc};
use keyproj_db::testing::TestDb;
use keyproj_domain::RegionCode;
use keyproj_domain::authz::{Actor, Role};
use keyproj_domain::org::UnitDraft;
use keyproj_office::workbook::{APPROVAL_HEADERS, Limits, SIGNED_HEADERS};
use keyproj_service::admin::users::{self, NewAccount};
use keyproj_service::import::{ImportError, Summary, import_bytes};
use keyproj_service::pipeline::approvals::{self, ListQuery};
use keyproj_service::pipeline::signing;
use keyproj_service::{App, Config, Ctx, TestClock};
use std::sync::{Arc, Mutex};

fn workbook(signed: &[Vec<&str>], items: &[Vec<&str>]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, headers, rows) in [
        ("签约项目", &SIGNED_HEADERS[..], signed),
        ("帮代办事项", &APPROVAL_HEADERS[..], items),
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

async fn world(t: &TestDb) -> (App, Ctx) {
    let clock = Arc::new(TestClock(Mutex::new(
        Utc.with_ymd_and_hms(2022, 11, 14, 2, 0, 0).unwrap(),
    )));
    let app = App::with_clock(t.db.clone(), Config::default(), clock);
    users::bootstrap_admin(&app).await.unwrap();
    let county = RegionCode::parse("430922").unwrap();
    let sys = Ctx::system(county.clone());
    for name in ["县发展和改革局", "县自然资源局"] {
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
        .unwrap();
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
    approvals::seed_usual(&app, &sys).await.unwrap();
    (app, sys)
}

async fn count(app: &App, table: &str) -> i64 {
    let mut tx = app.db.begin_read().await.unwrap();
    keyproj_db::schema::row_count(&mut tx, table).await.unwrap()
}

const EVENT: &str = "2022年第一次重点项目集中签约";

fn good_signed() -> Vec<Vec<&'static str>> {
    vec![
        vec![
            "QY-001",
            "锑业技改扩能项目",
            "湖南久通锑业有限公司",
            "长沙",
            "2022-03-18",
            "40000",
            "工业制造",
            "2022-09",
            EVENT,
            "2022-03-18",
            "县级",
            "TJ-QY-001",
        ],
        vec![
            "QY-002",
            "小型农机装配项目",
            "桃江农机有限公司",
            "益阳",
            "2022-03-18",
            "3000",
            "工业制造",
            "",
            EVENT,
            "2022-03-18",
            "县级",
            "",
        ],
        vec![
            "QY-003",
            "竹海旅游度假区",
            "湖南竹海文旅有限公司",
            "长沙",
            "2022-05-06",
            "12000",
            "文化旅游",
            "2022-10",
            "",
            "",
            "",
            "TJ-QY-003",
        ],
    ]
}

fn good_items(
    second_state: &'static str,
    second_done: &'static str,
    second_no: &'static str,
) -> Vec<Vec<&'static str>> {
    vec![
        vec![
            "TJ-QY-001",
            "立项审批/核准/备案",
            "",
            "",
            "",
            "李代办",
            "办结",
            "2022-10-31",
            "2022-11-01",
            "2022-11-04",
            "桃发改备〔2022〕88号",
            "",
        ],
        vec![
            "TJ-QY-001",
            "用地预审与选址",
            "",
            "",
            "",
            "daiban",
            second_state,
            "2022-10-20",
            "2022-10-24",
            second_done,
            second_no,
            "",
        ],
        vec![
            "TJ-QY-003",
            "压覆矿产资源查询",
            "县自然资源局",
            "20",
            "自然日",
            "daiban",
            "待启动",
            "",
            "",
            "",
            "",
            "",
        ],
    ]
}

#[tokio::test]
async fn the_pipeline_sheets_import_all_or_nothing_and_again_change_nothing() {
    for t in TestDb::all().await {
        let (app, sys) = world(&t).await;
        let limits = Limits::default();
        let file = workbook(&good_signed(), &good_items("已受理", "", ""));
        let s: Summary = import_bytes(&app, &sys, &file, &limits).await.unwrap();
        assert_eq!(
            (s.events_created, s.signed_created, s.approvals_created),
            (1, 3, 3),
            "{s:?}"
        );
        let signed = signing::signed(&app, &sys, None).await.unwrap();
        assert_eq!(
            signed.iter().filter(|r| r.project_id.is_some()).count(),
            2,
            "two reach the threshold"
        );
        assert_eq!(signing::events(&app, &sys).await.unwrap().len(), 1);
        let items = approvals::list(&app, &sys, &ListQuery::default())
            .await
            .unwrap()
            .items;
        let state = |name: &str| {
            items
                .iter()
                .find(|v| v.row.name == name)
                .unwrap()
                .row
                .state
                .label()
        };
        assert_eq!(state("立项审批/核准/备案"), "办结");
        assert_eq!(state("用地预审与选址"), "已受理");
        assert_eq!(state("压覆矿产资源查询"), "待启动");
        // the clock reads the imported dates: 用地预审 is overdue on Monday 11-14
        assert!(
            items
                .iter()
                .find(|v| v.row.name == "用地预审与选址")
                .unwrap()
                .overdue
        );

        // again: nothing changes, not even the audit log
        let audit = count(&app, "audit_log").await;
        let again = import_bytes(&app, &sys, &file, &limits).await.unwrap();
        assert_eq!(
            (
                again.signed_unchanged,
                again.approvals_unchanged,
                again.signed_created,
                again.approvals_created
            ),
            (3, 3, 0, 0),
            "{again:?}"
        );
        assert_eq!(count(&app, "audit_log").await, audit);

        // the file moves an item forward: it is completed through its step, audited
        let forward = workbook(
            &good_signed(),
            &good_items("办结", "2022-11-10", "桃自然资预〔2022〕7号"),
        );
        let f = import_bytes(&app, &sys, &forward, &limits).await.unwrap();
        assert_eq!(
            (f.approvals_updated, f.approvals_unchanged),
            (1, 2),
            "{f:?}"
        );
        assert!(count(&app, "audit_log").await > audit);

        // a catalogue item with another department, a known contract with another date: named
        let mut moved = good_signed();
        moved[2][4] = "2022-05-07";
        let mut other_dept = good_items("办结", "2022-11-10", "桃自然资预〔2022〕7号");
        other_dept[0][2] = "县自然资源局";
        other_dept.push(vec![
            "TJ-QY-003",
            "用地预审与选址",
            "县发展和改革局",
            "",
            "",
            "daiban",
            "待启动",
            "",
            "",
            "",
            "",
            "",
        ]);
        let Err(ImportError::Problems(ps)) =
            import_bytes(&app, &sys, &workbook(&moved, &other_dept), &limits).await
        else {
            panic!("conflicts are refused");
        };
        assert!(
            ps.iter()
                .any(|p| p.column == "签约日期" && p.reason.contains("已登记")),
            "{ps:#?}"
        );
        assert!(
            ps.iter()
                .any(|p| p.column == "审批部门" && p.reason.contains("不一致")),
            "{ps:#?}"
        );
        assert!(
            ps.iter()
                .any(|p| p.column == "审批部门" && p.reason.contains("目录中")),
            "{ps:#?}"
        );

        // a bad file: every kind of error named at its cell, nothing written
        let before = (
            count(&app, "audit_log").await,
            count(&app, "signed_projects").await,
            count(&app, "approval_items").await,
        );
        let bad_signed = vec![
            vec![
                "QY-101",
                "甲项目",
                "甲公司",
                "",
                "2022-13-01",
                "5000",
                "工业制造",
                "",
                "",
                "",
                "",
                "",
            ],
            vec![
                "QY-102",
                "乙项目",
                "乙公司",
                "",
                "2022-04-01",
                "-5",
                "工业制造",
                "",
                "",
                "",
                "",
                "",
            ],
            vec![
                "QY-103",
                "丙项目",
                "丙公司",
                "",
                "2022-04-01",
                "5000",
                "造船",
                "",
                "",
                "",
                "",
                "",
            ],
            vec![
                "QY-104",
                "丁项目",
                "丁公司",
                "",
                "2022-04-01",
                "5000",
                "工业制造",
                "",
                "某签约会",
                "",
                "",
                "",
            ],
            vec![
                "QY-104",
                "戊项目",
                "戊公司",
                "",
                "2022-04-01",
                "5000",
                "工业制造",
                "",
                "",
                "",
                "",
                "",
            ],
            vec![
                "QY-001",
                "改了名的项目",
                "湖南久通锑业有限公司",
                "长沙",
                "2022-03-18",
                "40000",
                "工业制造",
                "",
                "",
                "",
                "",
                "",
            ],
        ];
        let bad_items = vec![
            vec![
                "TJ-NONE",
                "立项审批/核准/备案",
                "",
                "",
                "",
                "daiban",
                "待启动",
                "",
                "",
                "",
                "",
                "",
            ],
            vec![
                "TJ-QY-003",
                "施工许可",
                "",
                "",
                "",
                "daiban",
                "补正",
                "",
                "",
                "",
                "",
                "",
            ],
            vec![
                "TJ-QY-003",
                "节能审查",
                "",
                "",
                "",
                "daiban",
                "审批中",
                "",
                "",
                "",
                "",
                "",
            ],
            vec![
                "TJ-QY-003",
                "工程规划许可",
                "",
                "",
                "",
                "daiban",
                "办结",
                "2022-10-01",
                "2022-10-10",
                "2022-10-05",
                "X-1",
                "",
            ],
            vec![
                "TJ-QY-003",
                "建设用地规划许可",
                "",
                "",
                "",
                "daiban",
                "办结",
                "2022-10-01",
                "2022-10-10",
                "2022-10-12",
                "",
                "",
            ],
            vec![
                "TJ-QY-003",
                "土地出让/划拨",
                "",
                "",
                "",
                "张三",
                "待启动",
                "",
                "",
                "",
                "",
                "",
            ],
            vec![
                "TJ-QY-003",
                "临时用地审批",
                "县林业局",
                "10",
                "",
                "daiban",
                "待启动",
                "",
                "",
                "",
                "",
                "",
            ],
            vec![
                "TJ-QY-003",
                "取水许可",
                "县自然资源局",
                "0",
                "",
                "daiban",
                "待启动",
                "",
                "",
                "",
                "",
                "",
            ],
            vec![
                "TJ-QY-001",
                "立项审批/核准/备案",
                "",
                "",
                "",
                "daiban",
                "已受理",
                "2022-10-31",
                "2022-11-01",
                "",
                "",
                "",
            ],
        ];
        let Err(ImportError::Problems(ps)) =
            import_bytes(&app, &sys, &workbook(&bad_signed, &bad_items), &limits).await
        else {
            panic!("a bad file is refused");
        };
        let has = |sheet: &str, col: &str, needle: &str| {
            ps.iter()
                .any(|p| p.sheet == sheet && p.column == col && p.reason.contains(needle))
        };
        assert!(has("签约项目", "签约日期", "月份应为"), "{ps:#?}");
        assert!(has("签约项目", "协议投资（万元）", "负数"), "{ps:#?}");
        assert!(has("签约项目", "行业类别", ""), "{ps:#?}");
        assert!(has("签约项目", "活动日期", "活动日期"), "{ps:#?}");
        assert!(has("签约项目", "合同编号", "重复"), "{ps:#?}");
        assert!(has("帮代办事项", "状态", "补正"), "{ps:#?}");
        assert!(has("帮代办事项", "状态", "状态应为"), "{ps:#?}");
        assert!(has("帮代办事项", "办结日期", "不能早于受理日期"), "{ps:#?}");
        assert!(has("帮代办事项", "批文号", "批文号"), "{ps:#?}");
        assert!(has("帮代办事项", "承诺时限（天）", "1 至 365"), "{ps:#?}");
        // found while writing (the file's checks passed): rolled back all the same
        let bad_write = workbook(
            &[vec![
                "QY-001",
                "改了名的项目",
                "湖南久通锑业有限公司",
                "长沙",
                "2022-03-18",
                "40000",
                "工业制造",
                "",
                "",
                "",
                "",
                "",
            ]],
            &bad_items[..1]
                .iter()
                .chain(&bad_items[5..7])
                .chain(&bad_items[8..])
                .cloned()
                .collect::<Vec<_>>(),
        );
        let Err(ImportError::Problems(ps)) = import_bytes(&app, &sys, &bad_write, &limits).await
        else {
            panic!("refused while writing");
        };
        let has = |sheet: &str, col: &str, needle: &str| {
            ps.iter()
                .any(|p| p.sheet == sheet && p.column == col && p.reason.contains(needle))
        };
        assert!(has("签约项目", "项目名称", "名称不一致"), "{ps:#?}");
        assert!(has("帮代办事项", "项目编号", "不存在"), "{ps:#?}");
        assert!(has("帮代办事项", "代办员", "工作人员"), "{ps:#?}");
        assert!(has("帮代办事项", "审批部门", "不存在"), "{ps:#?}");
        assert!(has("帮代办事项", "状态", "不能改为"), "{ps:#?}");
        assert_eq!(
            (
                count(&app, "audit_log").await,
                count(&app, "signed_projects").await,
                count(&app, "approval_items").await
            ),
            before
        );
    }
}

/// The 签约活动 column names an event the import creates: its name is checked as the event
/// form checks it (a control character in it was stored, and pages sent it raw).
#[tokio::test]
async fn an_event_name_or_a_project_code_is_refused_at_its_own_cell() {
    for t in TestDb::all().await {
        let (app, sys) = world(&t).await;
        let limits = Limits::default();
        let mut rows = good_signed();
        rows.truncate(1);
        rows[0][8] = "签约\u{1f}活动";
        let before = count(&app, "audit_log").await;
        let Err(ImportError::Problems(ps)) =
            import_bytes(&app, &sys, &workbook(&rows, &[]), &limits).await
        else {
            panic!("a control character in 签约活动 is refused");
        };
        assert!(
            ps.iter().any(|p| p.column == "签约活动"
                && p.reason.contains("控制字符")
                && p.value == "签约□活动"),
            "{ps:#?}"
        );
        assert_eq!(count(&app, "audit_log").await, before);
        assert!(signing::events(&app, &sys).await.unwrap().is_empty());

        // a project code the library refuses is named at 项目编号, not at the first column
        let mut rows = good_signed();
        rows.truncate(1);
        rows[0][11] = "TJ QY 001";
        let Err(ImportError::Problems(ps)) =
            import_bytes(&app, &sys, &workbook(&rows, &[]), &limits).await
        else {
            panic!("a project code with spaces is refused");
        };
        assert!(
            ps.iter()
                .any(|p| p.column == "项目编号" && p.value == "TJ QY 001"),
            "{ps:#?}"
        );
    }
}

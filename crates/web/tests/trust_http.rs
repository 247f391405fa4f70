//! Trust before a pilot, over HTTP on both engines: hostile files get a Chinese answer and the
//! server lives; redirects stay on this site; every id in every input is scope-checked; a known
//! account cannot be locked at will; password changes revoke tokens; jobs of a dead instance are
//! failed; a long import makes other writes wait instead of failing; bad input is refused with
//! Chinese messages; official acts ask first; a photo upload keeps what was typed.

mod common;

use common::*;
use keyproj_db::testing::TestDb;
use reqwest::StatusCode;
use std::io::{Read, Write};

/// The canonical workbook with one 月度调度 row and one part of the package rewritten.
fn workbook_with(part: &str, edit: impl Fn(String) -> String) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(keyproj_office::workbook::SHEET_REPORTS)
        .unwrap();
    for (c, h) in keyproj_office::workbook::REPORT_HEADERS.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (c, v) in ["TJ-1", "2022-01", "1", "主体施工"].iter().enumerate() {
        ws.write_string(1, c as u16, *v).unwrap();
    }
    let original = wb.save_to_buffer().unwrap();
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(original)).unwrap();
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zout = zip::ZipWriter::new(&mut buf);
        for i in 0..zin.len() {
            let mut f = zin.by_index(i).unwrap();
            let name = f.name().unwrap().to_string();
            let mut text = String::new();
            f.read_to_string(&mut text).unwrap();
            if name == part {
                text = edit(text);
            }
            zout.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zout.write_all(text.as_bytes()).unwrap();
        }
        zout.finish().unwrap();
    }
    buf.into_inner()
}

fn package(parts: &[(&str, &str)]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        for (name, text) in parts {
            z.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(text.as_bytes()).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

/// Waits (bounded) until an import job has finished; returns its view.
async fn finished_job(h: &Harness, token: &str, status_url: &str) -> serde_json::Value {
    for _ in 0..600 {
        let v: serde_json::Value = client()
            .get(format!("{}{status_url}", h.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if !v["outcome"].is_null() {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the job did not finish");
}

async fn import_file(h: &Harness, token: &str, bytes: Vec<u8>) -> serde_json::Value {
    let r = client()
        .post(format!("{}/api/v1/import", h.base))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("月报.xlsx"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let v: serde_json::Value = r.json().await.unwrap();
    finished_job(h, token, v["status_url"].as_str().unwrap()).await
}

#[tokio::test]
async fn hostile_files_get_a_chinese_answer_and_the_server_lives() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let staff = h.token("staff").await;
        // 7 KB that declared 100 billion shared strings and aborted the process
        let strings = workbook_with("xl/sharedStrings.xml", |t| {
            t.replacen("uniqueCount=\"", "uniqueCount=\"100000000000\" x=\"", 1)
        });
        assert!(strings.len() < 10_000);
        let job = import_file(&h, &staff, strings).await;
        assert_eq!(job["outcome"], "refused", "{job}");
        assert!(
            job["message"]
                .as_str()
                .unwrap()
                .contains("共享字符串数超过上限")
        );
        // one cell at XFD1048576
        let far = workbook_with("xl/worksheets/sheet1.xml", |t| {
            t.replacen(
                "</sheetData>",
                "<row r=\"1048576\"><c r=\"XFD1048576\"><v>1</v></c></row></sheetData>",
                1,
            )
        });
        let job = import_file(&h, &staff, far).await;
        assert_eq!(job["outcome"], "refused", "{job}");
        assert!(job["message"].as_str().unwrap().contains("行上限"));

        // a 12000×12000 PNG of zeros (560 KB, 576 MB decoded), open to the 业主 role
        let [p1, _] = h.projects;
        h.plan(p1, 2026).await;
        let owner = h.token("owner").await;
        let bomb = png_of_zeros(12_000, 12_000);
        let r = client()
            .post(format!("{}/api/v1/reports/{p1}/2026-10/photos", h.base))
            .bearer_auth(&owner)
            .multipart(reqwest::multipart::Form::new().part(
                "photo",
                reqwest::multipart::Part::bytes(bomb).file_name("现场.png"),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(
            body["message"].as_str().unwrap().contains("像素过多"),
            "{body}"
        );

        // attachments: a ZIP of HTML and a macro workbook are not Word or Excel files
        let r = client()
            .post(format!("{}/api/v1/problems", h.base))
            .bearer_auth(&staff)
            .json(
                &serde_json::json!({"kind": "problem", "source": "专题调度会", "category": "征拆",
                "level": "2", "title": "附件检查", "assign": {"handler_unit_id": h.units[1]}}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let id = r.json::<serde_json::Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();
        let zjju = h.signed_in("zjju").await;
        let csrf = h.csrf_of(&zjju, &format!("/problems/{id}")).await;
        for (bytes, expect) in [
            (
                package(&[("xl/index.html", "<script>alert(1)</script>")]),
                "不应出现的文件",
            ),
            (
                package(&[
                    (
                        "[Content_Types].xml",
                        r#"<Types><Override PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>"#,
                    ),
                    ("xl/workbook.xml", "<workbook/>"),
                    ("xl/vbaProject.bin", "x"),
                ]),
                "宏",
            ),
        ] {
            let r = zjju
                .post(format!("{}/problems/{id}/attachments", h.base))
                .multipart(
                    reqwest::multipart::Form::new()
                        .text("csrf", csrf.clone())
                        .part(
                            "file",
                            reqwest::multipart::Part::bytes(bytes).file_name("进度表.xlsx"),
                        ),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
            assert!(r.text().await.unwrap().contains(expect), "{expect}");
        }
        assert_eq!(
            status(&client(), &format!("{}/healthz", h.base)).await,
            StatusCode::OK,
            "the server lives"
        );
    }
}

#[tokio::test]
async fn redirects_after_login_stay_on_this_site() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        for (next, to) in [
            ("/\t/evil.example", "/"),
            ("/\n/x", "/"),
            ("//evil.example", "/"),
            ("/\\evil.example", "/"),
            ("/problems?state=assigned", "/problems?state=assigned"),
        ] {
            let c = client();
            let page = c
                .get(format!("{}/login", h.base))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let csrf = hidden(&page, "csrf");
            let r = c
                .post(format!("{}/login", h.base))
                .form(&[
                    ("username", "staff"),
                    ("password", PW),
                    ("csrf", &csrf),
                    ("next", next),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next:?}");
            assert_eq!(r.headers()["location"], to, "{next:?}");
        }
        // through the query string as a browser sends it
        let r = client()
            .get(format!("{}/login?next=/%09/evil.example", h.base))
            .send()
            .await
            .unwrap();
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("name=\"next\" value=\"/\"")
        );
    }
}

#[tokio::test]
async fn every_id_in_an_input_is_scope_checked() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        // 南县, a neighbouring county, with its own unit, leader and patrol
        let (nx_unit, nx_leader, nx_patrol) = {
            let n = neighbour_county(&h).await;
            (n.unit, n.leader, n.patrol)
        };
        let staff = h.token("staff").await;
        let before = h.audit_count().await;
        for (assign, field) in [
            (
                serde_json::json!({"handler_unit_id": h.units[1], "assisting_unit_ids": [nx_unit]}),
                "assisting_unit_ids",
            ),
            (
                serde_json::json!({"handler_unit_id": nx_unit}),
                "handler_unit_id",
            ),
            (
                serde_json::json!({"handler_unit_id": h.units[1], "leader_id": nx_leader}),
                "leader_id",
            ),
        ] {
            let r = client()
                .post(format!("{}/api/v1/problems", h.base))
                .bearer_auth(&staff)
                .json(&serde_json::json!({"kind": "problem", "source": "专题调度会", "category": "征拆",
                    "level": "2", "title": "跨县", "assign": assign}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
            let body: serde_json::Value = r.json().await.unwrap();
            assert_eq!(body["fields"][0]["field"], field, "{body}");
        }
        assert_eq!(h.audit_count().await, before, "nothing written");
        let mut tx = h.app.db.begin_read().await.unwrap();
        assert_eq!(
            keyproj_db::repo::notifications::unread_count(&mut tx, nx_unit.into(), 0.into())
                .await
                .unwrap(),
            0,
            "南县's users were told nothing"
        );
        drop(tx);
        // another county's patrol is not found, for a finding or its attachments
        let r = client()
            .post(format!("{}/api/v1/patrols/{nx_patrol}/items", h.base))
            .bearer_auth(&staff)
            .json(&serde_json::json!({"kind": "problem", "category": "征拆", "level": "2", "title": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn a_known_account_cannot_be_locked_out_by_others_and_names_are_not_told_apart() {
    for t in TestDb::all().await {
        let h = harness_behind_proxy(t).await;
        let c = client();
        // an attacker at 10.0.0.1 guesses staff's password; at 10.0.0.2 a name that does not exist
        let mut known = vec![];
        let mut unknown = vec![];
        for _ in 0..6 {
            let r = h
                .login_from(&c, "10.0.0.1", "staff", "Wrong-Guess-2022")
                .await;
            known.push((r.status(), error_of(&r.text().await.unwrap())));
            let r = h
                .login_from(&c, "10.0.0.2", "nobody", "Wrong-Guess-2022")
                .await;
            unknown.push((r.status(), error_of(&r.text().await.unwrap())));
        }
        assert_eq!(
            known, unknown,
            "the same answers for a real and an unknown name"
        );
        assert!(known[0].1.contains("用户名或密码错误"));
        assert!(known[5].1.contains("登录失败次数过多"));
        // the attacker's address is blocked even with the right password…
        let r = h.login_from(&c, "10.0.0.1", "staff", PW).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        // …but the owner of the account, elsewhere, signs in
        let r = h.login_from(&client(), "10.0.0.9", "staff", PW).await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "not locked out by others"
        );
    }
}

fn error_of(page: &str) -> String {
    page.split("id=\"login-error\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn password_changes_and_resets_revoke_tokens_and_guesses_count() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let me = |token: String| {
            let base = h.base.clone();
            async move {
                client()
                    .get(format!("{base}/api/v1/me"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        // a change of one's own password
        let token = h.token("zjju").await;
        assert_eq!(me(token.clone()).await, StatusCode::OK);
        let zjju = h.signed_in("zjju").await;
        let csrf = h.csrf_of(&zjju, "/password").await;
        let change = |old: &'static str, new: &'static str| {
            let (zjju, base, csrf) = (zjju.clone(), h.base.clone(), csrf.clone());
            async move {
                zjju.post(format!("{base}/password"))
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("old_password", old),
                        ("new_password", new),
                        ("confirm_password", new),
                    ])
                    .send()
                    .await
                    .unwrap()
            }
        };
        // a common password with digits appended is refused
        let r = change(PW, "Password1234").await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("过于常见"));
        let r = change(PW, "Bridge-Over-Zishui-9").await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            me(token).await,
            StatusCode::UNAUTHORIZED,
            "revoked by the change"
        );
        // an administrator's reset
        let token = h.token("jtju").await;
        let mut tx = h.app.db.begin_read().await.unwrap();
        let jt = keyproj_db::repo::admin::users::find_user(&mut tx, "jtju")
            .await
            .unwrap()
            .unwrap()
            .id;
        drop(tx);
        let admin = h.signed_in("admin").await;
        let csrf = h.csrf_of(&admin, "/admin/users").await;
        let r = admin
            .post(format!("{}/admin/users/{jt}/reset", h.base))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success() || r.status() == StatusCode::SEE_OTHER);
        assert_eq!(
            me(token).await,
            StatusCode::UNAUTHORIZED,
            "revoked by the reset"
        );
        // and a token cannot be made for an account that must still change its password
        let ctx = keyproj_service::account::acting_as(&h.app, "jtju", "cli")
            .await
            .unwrap();
        let Err(e) = keyproj_service::account::tokens::create_token(&h.app, &ctx, "对接").await
        else {
            panic!("a unit user made a token on the web")
        };
        assert!(
            matches!(e, keyproj_service::ServiceError::Forbidden),
            "those who only report make no tokens on the web: {e}"
        );
        let Err(e) =
            keyproj_service::account::tokens::create_token_for(&h.app, "jtju", "对接").await
        else {
            panic!("a token was made for an account that must change its password")
        };
        assert!(e.to_string().contains("尚未修改初始密码"), "{e}");

        // guessing the current password on /password counts as failed logins
        let staff = h.signed_in("staff").await;
        let csrf = h.csrf_of(&staff, "/password").await;
        let mut last = StatusCode::OK;
        for _ in 0..5 {
            last = staff
                .post(format!("{}/password", h.base))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("old_password", "Guess-Guess-2022"),
                    ("new_password", "Another-Zishui-77"),
                    ("confirm_password", "Another-Zishui-77"),
                ])
                .send()
                .await
                .unwrap()
                .status();
        }
        assert_eq!(last, StatusCode::UNAUTHORIZED);
        let r = staff.get(format!("{}/", h.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "the session was ended");
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/login")
        );
    }
}

#[tokio::test]
async fn jobs_left_by_a_stopped_instance_are_marked_failed() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let staff = h.token("staff").await;
        let now = h.app.now();
        let mut tx = h.app.db.begin_write().await.unwrap();
        for (id, instance, beat) in [
            // killed a minute ago by another instance: silent
            ("dead-1", "gone", now - chrono::Duration::minutes(2)),
            // a process of this machine that died a moment ago (SQLite: failed at start-up)
            ("dead-2", "gone", now),
        ] {
            keyproj_db::repo::jobs::create(
                &mut tx,
                &keyproj_db::repo::jobs::NewJob {
                    id,
                    region: "430922",
                    by: "staff",
                    file_name: "大表.xlsx",
                    instance_id: instance,
                },
                beat,
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        // viewing a silent job fails it at once
        let v: serde_json::Value = client()
            .get(format!("{}/api/v1/import/jobs/dead-1", h.base))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["outcome"], "failed", "{v}");
        assert!(v["message"].as_str().unwrap().contains("导入中断"));
        // start-up: on SQLite every job of another process is failed; on PostgreSQL (several
        // instances) only by heartbeat age
        keyproj_service::import::fail_abandoned(&h.app, true)
            .await
            .unwrap();
        let mut tx = h.app.db.begin_read().await.unwrap();
        let d2 = keyproj_db::repo::jobs::get(&mut tx, "dead-2")
            .await
            .unwrap()
            .unwrap();
        drop(tx);
        if h.app.db.backend() == "sqlite" {
            assert_eq!(d2.outcome.as_deref(), Some("failed"));
        } else {
            assert_eq!(
                d2.outcome, None,
                "a live heartbeat of another instance is left alone"
            );
            h.clock.advance(chrono::Duration::minutes(2));
            keyproj_service::import::fail_abandoned(&h.app, false)
                .await
                .unwrap();
            let mut tx = h.app.db.begin_read().await.unwrap();
            let d2 = keyproj_db::repo::jobs::get(&mut tx, "dead-2")
                .await
                .unwrap()
                .unwrap();
            assert_eq!(d2.outcome.as_deref(), Some("failed"));
        }
    }
}

/// SQLite has one writer. While a long import holds it, a login and an API write wait their turn
/// and succeed (they used to get HTTP 500 "database is locked" after the busy timeout), and the
/// import's page shows its real progress from memory although its row cannot be written.
#[tokio::test]
async fn on_sqlite_a_long_write_makes_others_wait_not_fail() {
    let h = harness(TestDb::sqlite().await).await;
    let staff = h.token("staff").await;
    // a write transaction held as a long import would hold it
    let held = h.app.db.begin_write().await.unwrap();
    let login = {
        let h_base = h.base.clone();
        tokio::spawn(async move {
            let c = client();
            let page = c
                .get(format!("{h_base}/login"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let csrf = hidden(&page, "csrf");
            c.post(format!("{h_base}/login"))
                .form(&[
                    ("username", "owner"),
                    ("password", PW),
                    ("csrf", &csrf),
                    ("next", "/"),
                ])
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    let write = {
        let (base, staff) = (h.base.clone(), staff.clone());
        let unit = h.units[1];
        tokio::spawn(async move {
            client()
                .put(format!("{base}/api/v1/units/{unit}"))
                .bearer_auth(staff)
                .json(&serde_json::json!({"version": 1, "name": "县住房和城乡建设局", "kind": "department",
                    "contact": "李四", "phone": "", "sort_order": 0}))
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    // wait (bounded) until both are queued behind the held write
    for _ in 0..500 {
        if h.app.db.writers_waiting() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        h.app.db.writers_waiting(),
        2,
        "login and write wait their turn"
    );
    held.rollback().await.unwrap();
    assert_eq!(login.await.unwrap(), StatusCode::SEE_OTHER);
    assert_eq!(write.await.unwrap(), StatusCode::OK);

    // an import that reaches its write phase while another write holds the lock: its page
    // shows "写入数据 0/40" from this process's memory, while its row still says "排队中"
    let ctx = keyproj_service::account::acting_as(&h.app, "staff", "t")
        .await
        .unwrap();
    let mut tx = h.app.db.begin_write().await.unwrap();
    keyproj_db::repo::jobs::create(
        &mut tx,
        &keyproj_db::repo::jobs::NewJob {
            id: "long-import",
            region: "430922",
            by: "staff",
            file_name: "项目.xlsx",
            instance_id: &h.app.instance_id,
        },
        h.app.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(keyproj_office::workbook::SHEET_PROJECTS)
        .unwrap();
    for (c, head) in keyproj_office::workbook::PROJECT_HEADERS.iter().enumerate() {
        ws.write_string(0, c as u16, *head).unwrap();
    }
    for r in 1..=40u32 {
        for (c, v) in [
            format!("TJ-{r}"),
            format!("导入项目{r}"),
            String::new(),
            "县重点".into(),
            "前期".into(),
            "交通".into(),
        ]
        .iter()
        .enumerate()
        {
            ws.write_string(r, c as u16, v).unwrap();
        }
        ws.write_string(r, 9, "5000").unwrap();
    }
    let bytes = wb.save_to_buffer().unwrap();
    let held = h.app.db.begin_write().await.unwrap();
    let run = {
        let (app, ctx) = (h.app.clone(), ctx.clone());
        tokio::spawn(async move {
            keyproj_service::import::run_job(&app, &ctx, "long-import", bytes).await
        })
    };
    let mut seen = None;
    for _ in 0..500 {
        let v = keyproj_service::import::job(&h.app, &ctx, "long-import")
            .await
            .unwrap();
        if v.phase == "writing" {
            seen = Some(v);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let seen = seen.expect("the import reached its write phase");
    assert_eq!((seen.done, seen.total), (0, 40), "real figures, not 0/0");
    let mut tx = h.app.db.begin_read().await.unwrap();
    let row = keyproj_db::repo::jobs::get(&mut tx, "long-import")
        .await
        .unwrap()
        .unwrap();
    drop(tx);
    assert_ne!(
        row.phase, "writing",
        "the row could not be written meanwhile"
    );
    held.rollback().await.unwrap();
    run.await.unwrap();
    let done = client()
        .get(format!("{}/api/v1/import/jobs/long-import", h.base))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(done["outcome"], "ok", "{done}");
}

#[tokio::test]
async fn bad_input_is_refused_in_chinese_and_changes_nothing() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let staff_c = h.signed_in("staff").await;
        let csrf = h.csrf_of(&staff_c, "/org").await;
        let staff = h.token("staff").await;
        let before = h.audit_count().await;
        // invalid UTF-8 in a form
        let body = format!("csrf={csrf}&name=%FF%FE%E6%A1&kind=department&sort_order=1");
        let r = staff_c
            .post(format!("{}/org/units", h.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(r.text().await.unwrap().contains("不是 UTF-8 编码"));
        assert_eq!(h.audit_count().await, before, "nothing stored");
        let [p1, _] = h.projects;
        // a monthly split of 11 values is not padded
        let months: Vec<String> = (0..11).map(|_| "100".to_string()).collect();
        let r = client()
            .put(format!("{}/api/v1/plans/{p1}/2026", h.base))
            .bearer_auth(&staff)
            .json(
                &serde_json::json!({"category": "在建", "annual_plan_wan": "1100",
                "targets": "", "monthly_wan": months, "milestones": [], "reason": ""}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(
            body["message"].as_str().unwrap().contains("收到11个"),
            "{body}"
        );
        // an unknown JSON field is named
        let r = client()
            .post(format!("{}/api/v1/projects", h.base))
            .bearer_auth(&staff)
            .json(&serde_json::json!({"name": "新项目", "colour": "red"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("未知字段“colour”"),
            "{body}"
        );
        assert_eq!(body["fields"][0]["field"], "colour");
        // also beside the version of an edit (a flattened body used to drop it silently)
        let r = client()
            .put(format!("{}/api/v1/projects/{}", h.base, h.projects[0]))
            .bearer_auth(&staff)
            .json(&serde_json::json!({"version": 1, "name": "改名", "colour": "red"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["fields"][0]["field"], "colour", "{body}");
        // a path id that is not a number: the Chinese 404, not axum's English
        let r = client()
            .get(format!("{}/api/v1/projects/abc", h.base))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["code"], "not_found");
        let r = staff_c
            .get(format!("{}/projects/abc", h.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let page = r.text().await.unwrap();
        assert!(page.contains("页面不存在") && !page.contains("Cannot parse"));
        assert_eq!(h.audit_count().await, before);
    }
}

#[tokio::test]
async fn official_acts_ask_first_and_a_photo_upload_keeps_the_typed_report() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let staff = h.signed_in("staff").await;
        let csrf = h.csrf_of(&staff, "/colour").await;
        let before = h.audit_count().await;
        // publishing without the confirmation only asks
        let r = staff
            .post(format!("{}/colour/publish", h.base))
            .form(&[("csrf", csrf.as_str()), ("month", "2026-01"), ("note", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("确认发布进度分色表") && page.contains("name=\"confirmed\" value=\"1\"")
        );
        // freezing the plan year too
        let r = staff
            .post(format!("{}/plans/op/freeze", h.base))
            .form(&[("csrf", csrf.as_str()), ("year", "2026")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap().contains("确认下达2026年度计划"));
        assert_eq!(h.audit_count().await, before, "nothing official happened");

        // an owner types the month's report, then uploads a photo: nothing typed is lost
        let [p1, _] = h.projects;
        h.plan(p1, 2026).await;
        let owner = h.signed_in("owner").await;
        let csrf = h.csrf_of(&owner, &format!("/reports/{p1}/2026-10")).await;
        let mut png = vec![];
        png.extend_from_slice(&png_of_zeros(64, 48));
        let r = owner
            .post(format!("{}/reports/{p1}/2026-10", h.base))
            .multipart(
                reqwest::multipart::Form::new()
                    .text("csrf", csrf.clone())
                    .text("month_investment_wan", "356.78")
                    .text("progress", "主桥墩浇筑完成80%")
                    .text("problems", "征拆尚有2户")
                    .text("op", "photo")
                    .part(
                        "photo",
                        reqwest::multipart::Part::bytes(png).file_name("现场.png"),
                    ),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let page = r.text().await.unwrap();
        assert!(page.contains("照片已上传"));
        assert!(
            page.contains("value=\"356.78\""),
            "the amount is still in the form"
        );
        assert!(page.contains("主桥墩浇筑完成80%") && page.contains("征拆尚有2户"));
        assert!(page.contains("/photos/"), "the photo is shown");
        // the report itself was not submitted by the upload
        assert!(page.contains("id=\"report-status\">未报"));
        // a bad photo keeps the form too
        let r = owner
            .post(format!("{}/reports/{p1}/2026-10", h.base))
            .multipart(
                reqwest::multipart::Form::new()
                    .text("csrf", csrf)
                    .text("month_investment_wan", "356.78")
                    .text("progress", "主桥墩浇筑完成80%")
                    .text("op", "submit")
                    .part(
                        "photo",
                        reqwest::multipart::Part::bytes(b"%PDF-1.4".to_vec()).file_name("a.jpg"),
                    ),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = r.text().await.unwrap();
        assert!(page.contains("只能上传 JPEG") && page.contains("value=\"356.78\""));
    }
}

/// What the fresh-eyes review of this work found, each kept fixed: 返回修改 keeps the form; a
/// step's note survives an attachment upload and a refused file; a month is published once
/// (then corrected); a report's problem is raised once; approval with changed figures is
/// refused; control characters and misplaced separators are refused; another county numbers its
/// documents in its own name; out-of-range months and pages are answered, not 500.
#[tokio::test]
async fn nothing_typed_is_lost_and_nothing_happens_twice() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let staff = h.signed_in("staff").await;
        let csrf = h.csrf_of(&staff, "/problems/new").await;
        let zj = h.units[1].to_string();
        let deadline = (h.app.local_today() + chrono::Duration::days(90)).to_string();
        let form = [
            ("csrf", csrf.as_str()),
            ("title", "南门桥临时用地"),
            ("kind", "problem"),
            ("source", "site_meeting"),
            ("category", "land"),
            ("level", "2"),
            ("description", "需县自然资源局出具意见"),
            ("handler", &zj),
            ("deadline", deadline.as_str()),
        ];
        // 返回修改 on the confirmation page: the form comes back filled in
        let mut back = form.to_vec();
        back.push(("confirmed", "back"));
        let r = staff
            .post(format!("{}/problems", h.base))
            .form(&back)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let page = r.text().await.unwrap();
        assert!(page.contains("南门桥临时用地") && page.contains("需县自然资源局出具意见"));
        assert!(
            page.contains(&format!("value=\"{zj}\" selected")),
            "the unit stays chosen"
        );
        assert!(page.contains(&deadline));
        // a deadline without a unit is not dropped silently
        let no_unit: Vec<_> = form
            .iter()
            .filter(|(k, _)| *k != "handler")
            .cloned()
            .collect();
        let r = staff
            .post(format!("{}/problems", h.base))
            .form(&no_unit)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("请同时选择承办单位"));
        let mut confirmed = form.to_vec();
        confirmed.push(("confirmed", "1"));
        let r = staff
            .post(format!("{}/problems", h.base))
            .form(&confirmed)
            .send()
            .await
            .unwrap();
        let id: i64 = r.headers()["location"]
            .to_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();

        // the unit types a reply, then uploads evidence in the same form: the reply stays
        let zjju = h.signed_in("zjju").await;
        let csrf = h.csrf_of(&zjju, &format!("/problems/{id}")).await;
        let version = {
            let mut tx = h.app.db.begin_read().await.unwrap();
            keyproj_db::repo::problems::items::get_item(&mut tx, id.into())
                .await
                .unwrap()
                .unwrap()
                .version
                .to_string()
        };
        let step = |step: &'static str, file: Option<(Vec<u8>, &'static str)>| {
            let mut f = reqwest::multipart::Form::new()
                .text("csrf", csrf.clone())
                .text("version", version.clone())
                .text("note", "已与自然资源局对接，意见本周出具")
                .text("step", step);
            if let Some((bytes, name)) = file {
                f = f.part(
                    "file",
                    reqwest::multipart::Part::bytes(bytes).file_name(name),
                );
            }
            zjju.post(format!("{}/problems/{id}/step", h.base))
                .multipart(f)
                .send()
        };
        let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF".to_vec();
        let r = step("attach", Some((pdf, "意见函.pdf"))).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("已上传1个附件") && page.contains("已与自然资源局对接，意见本周出具")
        );
        assert!(page.contains("意见函.pdf"));
        let r = step("reply", Some((b"MZ not a document".to_vec(), "x.docx")))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = r.text().await.unwrap();
        assert!(page.contains("“x.docx”") && page.contains("已与自然资源局对接，意见本周出具"));
        assert!(!page.contains("file："), "no field names reach a page");

        // a month is published once; afterwards only as a correction of its issue
        let api_staff = h.token("staff").await;
        let [p1, p2] = h.projects;
        for p in [p1, p2] {
            let r = client()
                .put(format!("{}/api/v1/plans/{p}/2026", h.base))
                .bearer_auth(&api_staff)
                .json(&serde_json::json!({"category": "在建", "annual_plan_wan": "1200"}))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        }
        // a month is published only once something is approved for it
        let r = client()
            .put(format!("{}/api/v1/reports/{p2}/2026-01", h.base))
            .bearer_auth(&api_staff)
            .json(&serde_json::json!({"month_investment_wan": "100", "progress": "开工"}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        let rep: serde_json::Value = client()
            .get(format!("{}/api/v1/reports/{p2}/2026-01", h.base))
            .bearer_auth(&api_staff)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if rep["status"] != "approved" {
            let r = client()
                .post(format!(
                    "{}/api/v1/reports/{}/review",
                    h.base, rep["report_id"]
                ))
                .bearer_auth(&api_staff)
                .json(&serde_json::json!({"version": rep["version"], "approve": true}))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        }
        let csrf = h.csrf_of(&staff, "/colour?month=2026-01").await;
        let publish = |note: &'static str, corrects: String| {
            staff
                .post(format!("{}/colour/publish", h.base))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("month", "2026-01"),
                    ("note", note),
                    ("corrects", corrects.as_str()),
                    ("confirmed", "1"),
                ])
                .send()
        };
        let first = publish("", String::new()).await.unwrap();
        assert_eq!(first.status(), StatusCode::SEE_OTHER);
        let issue = first.headers()["location"]
            .to_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        let again = publish("", String::new()).await.unwrap();
        assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.text().await.unwrap().contains("已发布为2026年第1期"));
        let fixed = publish("更正项目名称", issue).await.unwrap();
        assert_eq!(
            fixed.status(),
            StatusCode::SEE_OTHER,
            "a correction is allowed"
        );

        // a monthly report: figures changed before 审核通过 are not approved silently
        let owner = h.token("owner").await;
        let r = client()
            .put(format!("{}/api/v1/reports/{p1}/2026-01", h.base))
            .bearer_auth(&owner)
            .json(&serde_json::json!({"month_investment_wan": "256.78", "progress": "桩基完成", "problems": "电力迁改未完成"}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        let page = staff
            .get(format!("{}/reports/{p1}/2026-01", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&page, "csrf");
        let approve = |amount: &'static str| {
            staff
                .post(format!("{}/reports/{p1}/2026-01", h.base))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("version", hidden(&page, "version").as_str()),
                    ("report_id", hidden(&page, "report_id").as_str()),
                    ("month_investment_wan", amount),
                    ("progress", "桩基完成"),
                    ("problems", "电力迁改未完成"),
                    ("op", "approve"),
                ])
                .send()
        };
        let r = approve("999").await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("只确认报送的原数据"));
        assert_eq!(
            approve("256.78").await.unwrap().status(),
            StatusCode::SEE_OTHER
        );
        // its problem is raised once
        let owner_c = h.signed_in("owner").await;
        let csrf = h.csrf_of(&owner_c, &format!("/reports/{p1}/2026-01")).await;
        let raise = || {
            owner_c
                .post(format!("{}/reports/{p1}/2026-01/raise", h.base))
                .form(&[("csrf", csrf.as_str())])
                .send()
        };
        assert_eq!(raise().await.unwrap().status(), StatusCode::SEE_OTHER);
        let r = raise().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("不能重复提交"));
        // an approved month takes no more photos
        let r = client()
            .post(format!("{}/api/v1/reports/{p1}/2026-01/photos", h.base))
            .bearer_auth(&owner)
            .multipart(reqwest::multipart::Form::new().part(
                "photo",
                reqwest::multipart::Part::bytes(png_of_zeros(4, 4)).file_name("补.png"),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

        // control characters and misplaced separators
        let r = client()
            .post(format!("{}/api/v1/problems", h.base))
            .bearer_auth(&api_staff)
            .json(
                &serde_json::json!({"kind": "problem", "source": "专题调度会", "category": "征拆",
                "level": "2", "title": "标题\u{0}含空字符"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            r.json::<serde_json::Value>().await.unwrap()["fields"][0]["field"],
            "title"
        );
        // a bidirectional override reorders the text around it on every page: refused in any
        // JSON text, nested free text included
        let r = client()
            .post(format!("{}/api/v1/problems", h.base))
            .bearer_auth(&api_staff)
            .json(
                &serde_json::json!({"kind": "problem", "source": "专题调度会", "category": "征拆",
                "level": "2", "title": "标题", "description": "说明\u{202e}倒置"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            r.json::<serde_json::Value>().await.unwrap()["fields"][0]["field"],
            "description"
        );
        let csrf = h.csrf_of(&staff, "/problems/new").await;
        let r = staff
            .post(format!("{}/problems", h.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={csrf}&title=a%0Bb&kind=problem"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let r = client()
            .post(format!("{}/api/v1/projects", h.base))
            .bearer_auth(&api_staff)
            .json(
                &serde_json::json!({"name": "分隔符", "level": "县重点", "stage": "前期",
                "industry": "交通", "total_investment_wan": "1,50"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("千位分隔符"));
        // out-of-range figures in queries are answered
        let r = client()
            .get(format!("{}/api/v1/problems/stats?month=2026-99", h.base))
            .bearer_auth(&api_staff)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let auditor = h.token("auditor").await;
        let r = client()
            .get(format!("{}/api/v1/audit?page=100000000000000000", h.base))
            .bearer_auth(&auditor)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}

/// Another county numbers its documents in its own name (南县 → 南重项交), not the reference
/// county's.
#[tokio::test]
async fn another_county_numbers_its_documents_in_its_own_name() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let mut tx = h.app.db.begin_write().await.unwrap();
        let code = |c: &str| keyproj_domain::RegionCode::parse(c).unwrap();
        keyproj_db::repo::org::upsert_region(&mut tx, &code("430921"), "南县", Some(&code("4309")))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let rules = keyproj_service::problems::supervision::rules(
            &h.app,
            &keyproj_service::Ctx::system(keyproj_domain::RegionCode::parse("430921").unwrap()),
            2026,
        )
        .await
        .unwrap();
        assert_eq!(rules.rules.assign_prefix, "南重项交");
        assert_eq!(rules.rules.letter_prefix, "南重项督");
        let ours = keyproj_service::problems::supervision::rules(
            &h.app,
            &keyproj_service::Ctx::system(keyproj_domain::RegionCode::parse("430922").unwrap()),
            2026,
        )
        .await
        .unwrap();
        assert_eq!(ours.rules.assign_prefix, "桃重项交");

        // rules stored for the city (4309) are in force in its counties that have none, as
        // inherited (version 0: saving creates the county's own); a county's own come first
        let in_force = |region: &'static str| {
            let app = h.app.clone();
            async move {
                let mut tx = app.db.begin_read().await.unwrap();
                keyproj_service::rules::supervision_in(
                    &mut tx,
                    &keyproj_domain::RegionCode::parse(region).unwrap(),
                    2026,
                )
                .await
                .unwrap()
            }
        };
        let city = keyproj_service::Ctx::system(code("4309"));
        let mut city_rules = in_force("4309").await.0;
        city_rules.default_limit_days = 21;
        keyproj_service::problems::supervision::save_rules(&h.app, &city, 2026, &city_rules, 0)
            .await
            .unwrap();
        let (nan, version) = in_force("430921").await;
        assert_eq!(
            (nan.default_limit_days, version),
            (21, 0),
            "inherited from the city"
        );
        let county = keyproj_service::Ctx::system(code("430921"));
        let mut own = nan.clone();
        own.default_limit_days = 9;
        keyproj_service::problems::supervision::save_rules(&h.app, &county, 2026, &own, 0)
            .await
            .unwrap();
        let (nan, version) = in_force("430921").await;
        assert_eq!(
            nan.default_limit_days, 9,
            "the county's own before the city's"
        );
        assert!(version >= 1);
        assert_eq!(in_force("4309").await.0.default_limit_days, 21);
        assert_eq!(
            in_force("430921").await.0.default_limit_days,
            9,
            "read again, the same"
        );
    }
}

/// Guesses sent all at once meet the same limit as guesses sent one by one: each attempt is
/// counted before its password is checked, so of ten parallel wrong passwords for one name
/// from one address five are checked and the rest refused unchecked; a right password among
/// later ones does not get through, and a success gives the address's count back.
#[tokio::test]
async fn parallel_guesses_meet_the_limit() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let mut sent = vec![];
        for i in 0..10 {
            let c = client();
            let csrf = h.csrf_of(&c, "/login").await;
            let base = h.base.clone();
            let pw = if i == 9 { PW } else { "Wrong-Guess-2022" };
            sent.push(tokio::spawn(async move {
                c.post(format!("{base}/login"))
                    .form(&[
                        ("username", "staff"),
                        ("password", pw),
                        ("csrf", &csrf),
                        ("next", "/"),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .status()
            }));
        }
        let mut statuses = vec![];
        for s in sent {
            statuses.push(s.await.unwrap());
        }
        let mut tx = h.app.db.read().await.unwrap();
        let checked: i64 = keyproj_db::run!(&mut tx, |c| sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed' AND after_json LIKE '%wrong_password%'"
        )
        .fetch_one(c)
        .await)
        .unwrap();
        drop(tx);
        let signed_in = statuses
            .iter()
            .filter(|s| **s == StatusCode::SEE_OTHER)
            .count();
        // the right password, sent last, is checked only if it came before the limit
        assert!(
            checked + signed_in as i64 <= 5,
            "{checked} checked, {signed_in} signed in: {statuses:?}"
        );
        assert!(checked >= 4, "{checked}");
    }
}

/// A multipart form whose file name carries a control character is a form that cannot be
/// read (400, in Chinese, naming the file name), not "too large".
#[tokio::test]
async fn a_control_character_in_a_file_name_is_not_called_too_large() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let staff = h.signed_in("staff").await;
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\u{1f}b.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--XyZ--\r\n";
        let r = staff
            .post(format!("{}/problems/1/attachments", h.base))
            .header("Content-Type", "multipart/form-data; boundary=XyZ")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let html = r.text().await.unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{html}");
        assert!(html.contains("文件名"), "{html}");
    }
}

//! Monthly dispatch over HTTP on both engines: plan, report as the owner, review, publish,
//! the public board, exports and permissions.

mod common;

use common::*;
use keyproj_db::testing::TestDb;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn plan_report_review_publish_and_board() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let api = reqwest::Client::new();
        let staff = h.token("staff").await;
        let [p1, p2] = h.projects;
        // the year's plan through the API
        for (p, wan) in [(p1, "1200"), (p2, "600")] {
            let r = api
                .put(format!("{}/api/v1/plans/{p}/2026", h.base))
                .bearer_auth(&staff)
                .json(&json!({"category": "在建", "annual_plan_wan": wan, "targets": "主体完工", "milestones": [{"name": "主体完工", "planned_month": "2026-09"}]}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
        }
        let bad = api.put(format!("{}/api/v1/plans/{p1}/2026", h.base)).bearer_auth(&staff).json(&json!({"version": 1, "category": "在建", "annual_plan_wan": "1200", "monthly_wan": ["100"]})).send().await.unwrap();
        assert_eq!(
            bad.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "a monthly split must add up"
        );
        let owner_token = h.token("owner").await;
        assert_eq!(
            api.put(format!("{}/api/v1/plans/{p1}/2026", h.base))
                .bearer_auth(&owner_token)
                .json(&json!({"version": 1, "category": "在建", "annual_plan_wan": "1"}))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN
        );

        // the owner reports October on the page (本月待报), first with a bad amount
        let owner = h.signed_in("owner").await;
        let page = owner
            .get(format!("{}/reports?month=2026-10", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("本月待报")
                && page.contains("城区道路提质改造")
                && !page.contains("桃花江大桥"),
            "owners see only their projects"
        );
        let form_page = owner
            .get(format!("{}/reports/{p1}/2026-10", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&form_page, "csrf");
        let post = |amount: &'static str| {
            let (owner, csrf, url) = (
                &owner,
                csrf.clone(),
                format!("{}/reports/{p1}/2026-10", h.base),
            );
            async move {
                owner
                    .post(url)
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("op", "submit"),
                        ("month_investment_wan", amount),
                        ("progress", "主体结构施工至5层"),
                    ])
                    .send()
                    .await
                    .unwrap()
            }
        };
        let r = post("-3").await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("本月完成投资不能为负数"));
        assert_eq!(post("700").await.status(), StatusCode::SEE_OTHER);
        // nothing approved for the month yet: publishing is refused with the reason
        let r = api
            .post(format!("{}/api/v1/colour/publish", h.base))
            .bearer_auth(&staff)
            .json(&json!({"month": "2026-10"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("尚无审核通过的月报"));

        // the owner may not review; another unit may not even see the report
        let rep: serde_json::Value = api
            .get(format!("{}/api/v1/reports/{p1}/2026-10", h.base))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(rep["status"], "submitted");
        let (rid, ver) = (
            rep["report_id"].as_i64().unwrap(),
            rep["version"].as_i64().unwrap(),
        );
        let review = |tok: String, approve: bool, reason: &'static str, v: i64| {
            let (api, url) = (
                api.clone(),
                format!("{}/api/v1/reports/{rid}/review", h.base),
            );
            async move {
                api.post(url)
                    .bearer_auth(tok)
                    .json(&json!({"version": v, "approve": approve, "reason": reason}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        assert_eq!(
            review(owner_token.clone(), true, "", ver).await,
            StatusCode::FORBIDDEN
        );
        let jt = h.token("jtju").await;
        assert_eq!(
            review(jt.clone(), true, "", ver).await,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            api.get(format!("{}/api/v1/reports/{p1}/2026-10", h.base))
                .bearer_auth(&jt)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            review(staff.clone(), true, "", ver + 7).await,
            StatusCode::CONFLICT,
            "stale review"
        );
        assert_eq!(
            review(staff.clone(), true, "", ver).await,
            StatusCode::NO_CONTENT
        );
        // approved: the owner cannot change it any more
        let r = api
            .put(format!("{}/api/v1/reports/{p1}/2026-10", h.base))
            .bearer_auth(&owner_token)
            .json(&json!({"version": ver + 1, "month_investment_wan": "1", "progress": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

        // nothing published yet: the public board says so and shows no figures
        let anon = reqwest::Client::new();
        let board = anon
            .get(format!("{}/board", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(board.contains("尚未发布") && !board.contains("城区道路提质改造"));

        // publish October
        let r = api
            .post(format!("{}/api/v1/colour/publish", h.base))
            .bearer_auth(&staff)
            .json(&json!({"month": "2026-10"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let issue = r.json::<serde_json::Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();
        assert_eq!(
            api.post(format!("{}/api/v1/colour/publish", h.base))
                .bearer_auth(&owner_token)
                .json(&json!({"month": "2026-10"}))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN
        );
        let out: serde_json::Value = api
            .get(format!("{}/api/v1/colour/issues/{issue}", h.base))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(out["number"], 1);
        let row = out["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["project_id"] == p1)
            .unwrap()
            .clone();
        // October: 序时 83.3%; 700/1200 = 58.3% → 25 points behind → 红; the milestone is a month late too
        assert_eq!(
            (
                row["colour"].as_str(),
                row["completion_pct"].as_str(),
                row["baseline_pct"].as_str()
            ),
            (Some("red"), Some("58.3"), Some("83.3"))
        );
        // the project list carries each project's colour in that issue
        let list: serde_json::Value = api
            .get(format!("{}/api/v1/projects", h.base))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            (&list["issue"], &list["issue_id"]),
            (&json!("2026年第1期"), &json!(issue))
        );
        let listed = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == p1)
            .unwrap();
        assert_eq!(
            (listed["colour"].as_str(), listed["colour_label"].as_str()),
            (Some("red"), Some("红"))
        );
        // the page's own statement finds the issue; a page with no rows, and one filtered by
        // the issue's colours, name it too
        for (query, has_p1) in [("q=没有这个项目", false), ("colour=red", true)] {
            let list: serde_json::Value = api
                .get(format!("{}/api/v1/projects?{query}", h.base))
                .bearer_auth(&staff)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(
                (&list["issue"], &list["issue_id"]),
                (&json!("2026年第1期"), &json!(issue)),
                "{query}"
            );
            let found = list["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["id"] == p1);
            assert_eq!(found, has_p1, "{query}");
        }
        // the export is the list as shown: its colours, the issue they are from, the filter
        let web = h.signed_in("staff").await;
        let export = |query: String| {
            let (web, url) = (web.clone(), format!("{}/projects.xlsx?{query}", h.base));
            async move {
                let bytes = web.get(url).send().await.unwrap().bytes().await.unwrap();
                xlsx_sheet(&bytes, "项目库")
            }
        };
        let sheet = export("colour=red".into()).await;
        let subtitle = sheet.get_value((1, 0)).unwrap().to_string();
        assert!(
            subtitle.contains("筛选：本期评价 红")
                && subtitle.contains("本期评价取自2026年第1期分色表"),
            "{subtitle}"
        );
        let header = sheet.get_value((2, 18)).unwrap().to_string();
        assert_eq!(header, "本期评价");
        assert_eq!(sheet.get_value((3, 18)).unwrap().to_string(), "红");
        // a unit filtered by is named even when no row is left to carry its name
        let sheet = export(format!("q=%E6%B2%A1%E6%9C%89&lead_unit={}", h.units[1])).await;
        let subtitle = sheet.get_value((1, 0)).unwrap().to_string();
        assert!(
            subtitle.contains("共0个项目") && subtitle.contains("牵头单位 县住房和城乡建设局"),
            "{subtitle}"
        );

        // a correction of the figures after publishing does not change the board
        let rep: serde_json::Value = api
            .get(format!("{}/api/v1/reports/{p1}/2026-10", h.base))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let r = api
            .post(format!("{}/api/v1/reports/{rid}/revise", h.base))
            .bearer_auth(&staff)
            .json(&json!({"version": rep["version"], "month_investment_wan": "1100", "progress": "主体封顶", "reason": "业主补报9月漏报投资"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let board = anon
            .get(format!("{}/board", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            board.contains("城区道路提质改造")
                && board.contains("700.00")
                && !board.contains("1100.00"),
            "the board shows the published figures only"
        );
        assert!(board.contains("第1期"));
        let leaders = anon
            .get(format!("{}/board?view=units", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(leaders.contains("县住房和城乡建设局"));
        // the hall screen pages by itself, shows the issue and only the six columns
        let screen = anon
            .get(format!("{}/board/screen?h=600", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(screen.contains("http-equiv=\"refresh\""), "{screen}");
        assert!(screen.contains("url=/board/screen?page="), "{screen}");
        assert!(screen.contains("（第1期）") && screen.contains("截至2026年10月"));
        assert!(!screen.contains("建设内容及规模") && !screen.contains("<nav"));
        assert!(
            screen.contains("class=\"c-"),
            "rows carry their colour band"
        );
        // what is typed in the address never reaches the refresh target
        let crafted = anon
            .get(format!(
                "{}/board/screen?every=1%26page%3D999&h=%3Burl%3Dhttps://evil.example",
                h.base
            ))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            !crafted.contains("999") && !crafted.contains("evil"),
            "{crafted}"
        );
        // the board never shows a leader's phone number
        let tok = h.token("staff").await;
        let l = api
            .post(format!("{}/api/v1/leaders", h.base))
            .bearer_auth(&tok)
            .json(&json!({"name": "周县长", "phone": "13800001234"}))
            .send()
            .await
            .unwrap();
        assert_eq!(l.status(), StatusCode::CREATED);
        assert!(
            !anon
                .get(format!("{}/board", h.base))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
                .contains("13800001234")
        );

        // exports and pages
        let leader = h.signed_in("leader").await;
        let x = leader
            .get(format!("{}/colour/issues/{issue}/xlsx", h.base))
            .send()
            .await
            .unwrap();
        assert_eq!(x.status(), StatusCode::OK);
        assert!(
            x.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("filename*=UTF-8''")
        );
        assert_eq!(&x.bytes().await.unwrap()[..2], b"PK");
        // the PDF of the issue, when the server has LibreOffice; else a Chinese 503
        let pdf = leader
            .get(format!("{}/colour/issues/{issue}/pdf", h.base))
            .send()
            .await
            .unwrap();
        if std::process::Command::new("soffice")
            .arg("--version")
            .output()
            .is_ok()
        {
            assert_eq!(pdf.status(), StatusCode::OK);
            assert_eq!(pdf.headers()["content-type"], "application/pdf");
            let first = pdf.bytes().await.unwrap();
            assert_eq!(&first[..4], b"%PDF");
            // made once and kept: the frozen issue's PDF is served from the file store after
            let kept =
                keyproj_service::files::get(&h.app, &format!("pdf/colour-issue-{issue}.pdf")).await;
            assert!(kept.is_ok());
            let again = leader
                .get(format!("{}/colour/issues/{issue}/pdf", h.base))
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            assert_eq!(again, first, "the same bytes, not a new conversion");
        } else {
            assert_eq!(pdf.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert!(pdf.text().await.unwrap().contains("未安装 LibreOffice"));
        }
        let st: serde_json::Value = api
            .get(format!("{}/api/v1/stats/annual?year=2026", h.base))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(st["under_construction"]["count"], 2);
        assert_eq!(st["under_construction"]["annual_plan_wan"], "1800.00");
        assert_eq!(st["under_construction"]["completed_wan"], "1100.00");
        assert_eq!(
            api.get(format!("{}/api/v1/stats/annual?year=20", h.base))
                .bearer_auth(&staff)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let c = h.signed_in("staff").await;
        for (path, must) in [
            ("/plans?year=2026".to_string(), "2026年度重点项目计划"),
            (format!("/plans/{p1}/2026"), "节点目标"),
            ("/reports?month=2026-10".to_string(), "未报送情况"),
            (format!("/reports/{p1}/2026-10"), "修订记录"),
            ("/colour?month=2026-10".to_string(), "已发布为2026年第1期"),
            (
                format!("/colour/issues/{issue}"),
                "桃江县2026年重点建设项目进度分色表（第1期）",
            ),
            ("/colour/rules?year=2026".to_string(), "分色规则"),
            // the project's page: its colour in the issue, its report, its plan
            (format!("/projects/{p1}"), "2026年第1期"),
            (
                "/stats/annual?year=2026".to_string(),
                "2个在建重点项目完成投资0.11亿元",
            ),
        ] {
            let r = c.get(format!("{}{path}", h.base)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert!(
                r.text().await.unwrap().contains(must),
                "{path} should show {must}"
            );
        }
        for path in ["/plans.xlsx?year=2026", "/reports.xlsx?month=2026-10"] {
            let r = c.get(format!("{}{path}", h.base)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert_eq!(&r.bytes().await.unwrap()[..2], b"PK");
        }
        // a unit sees published issues, not the center's unpublished table
        let unit = h.signed_in("zjju").await;
        let page = unit
            .get(format!("{}/colour?month=2026-10", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!page.contains("未发布") && page.contains("2026年第1期"));
        assert_eq!(
            status(&unit, &format!("{}/colour/rules?year=2026", h.base)).await,
            StatusCode::OK
        );
    }
}

fn upload(csrf: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("csrf", csrf.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("导入.xlsx"),
        )
}

/// Uploads on the import page, follows the redirect to the job and waits for its end; returns
/// the job page as it finally stands.
async fn import_through_page(
    c: &reqwest::Client,
    base: &str,
    form: reqwest::multipart::Form,
) -> reqwest::Response {
    let r = c
        .post(format!("{base}/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let job = r.headers()["location"].to_str().unwrap().to_string();
    assert!(job.starts_with("/import/jobs/"), "{job}");
    for _ in 0..3000 {
        let page = c.get(format!("{base}{job}")).send().await.unwrap();
        let status = page.status();
        let body = page.text().await.unwrap();
        // a running job's page refreshes itself
        if !body.contains("http-equiv=\"refresh\"") {
            assert!(body.contains("id=\"import-progress\""), "{body}");
            return c.get(format!("{base}{job}")).send().await.unwrap();
        }
        assert_eq!(status, StatusCode::OK);
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the import job did not finish");
}

#[tokio::test]
async fn import_page_reports_every_problem_and_writes_nothing() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let c = h.signed_in("staff").await;
        // the template is what the page hands out
        let tpl = c
            .get(format!("{}/import/template.xlsx", h.base))
            .send()
            .await
            .unwrap();
        assert_eq!(tpl.status(), StatusCode::OK);
        let page = c
            .get(format!("{}/import", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&page, "csrf");
        // a workbook with one bad cell and a long instruction sheet the import ignores
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("月度调度").unwrap();
        for (i, hd) in keyproj_office::workbook::REPORT_HEADERS.iter().enumerate() {
            ws.write_string(0, i as u16, *hd).unwrap();
        }
        let mut tx = h.app.db.begin_read().await.unwrap();
        let code = keyproj_db::repo::projects::get(&mut tx, h.projects[0].into())
            .await
            .unwrap()
            .unwrap()
            .code;
        drop(tx);
        assert!(code.is_none(), "harness projects have no 项目编号");
        ws.write_string(1, 0, "TJ-NONE").unwrap();
        ws.write_string(1, 1, "2026-10").unwrap();
        ws.write_string(1, 2, "-5").unwrap();
        ws.write_string(1, 3, "施工").unwrap();
        let pad = wb.add_worksheet();
        pad.set_name("说明").unwrap();
        for r in 0..20_000u32 {
            pad.write_string(r, 0, format!("填写说明第{r}行：{}", "x".repeat(80)))
                .unwrap();
        }
        let bytes = wb.save_to_buffer().unwrap();
        let before = {
            let mut tx = h.app.db.begin_read().await.unwrap();
            keyproj_db::schema::row_count(&mut tx, "monthly_reports")
                .await
                .unwrap()
        };
        let r = import_through_page(&c, &h.base, upload(&csrf, bytes)).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("import-problems")
                && body.contains("本月完成投资不能为负数")
                && body.contains("月度调度"),
            "{body}"
        );
        // not a workbook
        let r = import_through_page(&c, &h.base, upload(&csrf, b"hello".to_vec())).await;
        assert!(r.text().await.unwrap().contains("不是有效的 .xlsx 工作簿"));
        // a forged form is refused
        let r = c
            .post(format!("{}/import", h.base))
            .multipart(upload("forged", b"x".to_vec()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let after = {
            let mut tx = h.app.db.begin_read().await.unwrap();
            keyproj_db::schema::row_count(&mut tx, "monthly_reports")
                .await
                .unwrap()
        };
        assert_eq!(before, after);
        // a good project sheet imports
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("项目库").unwrap();
        let row = [
            "TJ2026-001",
            "城南污水管网",
            "",
            "县重点",
            "前期",
            "城建市政",
            "",
            "",
            "管网20公里",
            "3000",
            "2027-03",
            "2028-12",
            "",
            "",
            "",
            "",
            "",
        ];
        for (i, hd) in keyproj_office::workbook::PROJECT_HEADERS.iter().enumerate() {
            ws.write_string(0, i as u16, *hd).unwrap();
            ws.write_string(1, i as u16, row[i]).unwrap();
        }
        let r = import_through_page(&c, &h.base, upload(&csrf, wb.save_to_buffer().unwrap())).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap().contains("项目 新增1"));
        // owners may not import
        let owner = h.signed_in("owner").await;
        assert_eq!(
            status(&owner, &format!("{}/import", h.base)).await,
            StatusCode::FORBIDDEN
        );
    }
}

#[tokio::test]
async fn site_photos_are_checked_re_encoded_and_private() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let [p1, _] = h.projects;
        plan_2026(&h, p1).await;
        let owner = h.signed_in("owner").await;
        let page = owner
            .get(format!("{}/reports/{p1}/2026-10", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&page, "csrf");
        let form = |bytes: Vec<u8>, name: &str| {
            reqwest::multipart::Form::new()
                .text("csrf", csrf.clone())
                .text("op", "photo")
                .part(
                    "photo",
                    reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
                )
        };
        // a PDF named like a photo is refused by its content
        let r = owner
            .post(format!("{}/reports/{p1}/2026-10", h.base))
            .multipart(form(b"%PDF-1.7 ...".to_vec(), "site.jpg"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("只能上传 JPEG、PNG 或 WebP 格式的照片")
        );
        // a real PNG is stored as a JPEG
        let mut png = std::io::Cursor::new(vec![]);
        image_png(&mut png);
        let r = owner
            .post(format!("{}/reports/{p1}/2026-10", h.base))
            .multipart(form(png.into_inner(), "现场.png"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap().contains("照片已上传"));
        let page = owner
            .get(format!("{}/reports/{p1}/2026-10", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let id: i64 = page
            .split("/photos/")
            .nth(1)
            .unwrap()
            .split(['"', '?'])
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let img = owner
            .get(format!("{}/photos/{id}", h.base))
            .send()
            .await
            .unwrap();
        assert_eq!(img.headers()["content-type"], "image/jpeg");
        let bytes = img.bytes().await.unwrap();
        assert_eq!(&bytes[..3], &[0xFF, 0xD8, 0xFF]);
        assert_eq!(
            status(&owner, &format!("{}/photos/{id}?thumb=1", h.base)).await,
            StatusCode::OK
        );
        // another unit cannot see it, nor anyone signed out
        let jt = h.signed_in("jtju").await;
        assert_eq!(
            status(&jt, &format!("{}/photos/{id}", h.base)).await,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            status(&client(), &format!("{}/photos/{id}", h.base)).await,
            StatusCode::SEE_OTHER
        );
        // through the API too
        let tok = h.token("owner").await;
        // another picture: the same one twice is refused as a duplicate
        let f = reqwest::multipart::Form::new().part(
            "photo",
            reqwest::multipart::Part::bytes(png_of_zeros(3, 2)).file_name("a.png"),
        );
        let r = reqwest::Client::new()
            .post(format!("{}/api/v1/reports/{p1}/2026-10/photos", h.base))
            .bearer_auth(&tok)
            .multipart(f)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let rep: serde_json::Value = reqwest::Client::new()
            .get(format!("{}/api/v1/reports/{p1}/2026-10", h.base))
            .bearer_auth(&tok)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(rep["photo_ids"].as_array().unwrap().len(), 2);
        let f = reqwest::multipart::Form::new().part(
            "photo",
            reqwest::multipart::Part::bytes(b"GIF89a....".to_vec()).file_name("a.gif"),
        );
        let r = reqwest::Client::new()
            .post(format!("{}/api/v1/reports/{p1}/2026-10/photos", h.base))
            .bearer_auth(&tok)
            .multipart(f)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // and may not upload to it
        let page = jt
            .get(format!("{}/reports?month=2026-10", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let jt_csrf = hidden(&page, "csrf");
        let f = reqwest::multipart::Form::new().text("csrf", jt_csrf).part(
            "photo",
            reqwest::multipart::Part::bytes(vec![0xFF, 0xD8, 0xFF, 0]).file_name("x.jpg"),
        );
        assert_eq!(
            jt.post(format!("{}/reports/{p1}/2026-10", h.base))
                .multipart(f)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::NOT_FOUND
        );
        // deleting a photo: another unit's attempt is 404 and changes nothing; the owner's
        // removes it (audited) while the month is not approved
        let del = |c: reqwest::Client, csrf: String, project: i64, photo: i64| {
            let url = format!("{}/reports/{project}/2026-10", h.base);
            async move {
                c.post(url)
                    .multipart(
                        reqwest::multipart::Form::new()
                            .text("csrf", csrf)
                            .text("op", format!("delete-photo-{photo}"))
                            .text("month_investment_wan", "5"),
                    )
                    .send()
                    .await
                    .unwrap()
            }
        };
        let page = jt
            .get(format!("{}/reports?month=2026-10", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let before = h.audit_count().await;
        let r = del(jt.clone(), hidden(&page, "csrf"), p1, id).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        // a photo id of this project asked through another project's form is not there
        let [_, p2] = h.projects;
        let staff = h.signed_in("staff").await;
        let staff_csrf = h.csrf_of(&staff, "/reports").await;
        let before = before + 1; // the staff sign-in
        let r = del(staff.clone(), staff_csrf, p2, id).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(h.audit_count().await, before);
        let r = del(owner.clone(), csrf.clone(), p1, id).await;
        assert_eq!(r.status(), StatusCode::OK);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("照片已删除") && page.contains("value=\"5\""),
            "typed kept"
        );
        assert_eq!(h.audit_count().await, before + 1);
        assert_eq!(
            status(&owner, &format!("{}/photos/{id}", h.base)).await,
            StatusCode::NOT_FOUND
        );
    }
}

/// A 2026 plan for a project: its months may then be reported (and carry photos).
async fn plan_2026(h: &Harness, p: i64) {
    let staff = h.token("staff").await;
    let r = reqwest::Client::new()
        .put(format!("{}/api/v1/plans/{p}/2026", h.base))
        .bearer_auth(&staff)
        .json(&json!({"category": "在建", "annual_plan_wan": "1000"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

fn image_png(out: &mut std::io::Cursor<Vec<u8>>) {
    // The smallest real image: a valid 1×1 PNG.
    const PNG_1X1: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90,
        0x77, 0x53, 0xDE, 0x00, 0x00, 0x00, 0x0C, 0x49, 0x44, 0x41, 0x54, 0x08, 0xD7, 0x63, 0xF8,
        0xCF, 0xC0, 0x00, 0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xDD, 0x8D, 0xB0, 0x00, 0x00, 0x00,
        0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];
    out.get_mut().extend_from_slice(PNG_1X1);
}

/// A minimal S3-compatible server: objects in memory, and every request must carry an AWS
/// SigV4 authorization header (the signature itself is not verified here).
async fn fake_s3() -> (
    String,
    std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Vec<u8>>>>,
) {
    use axum::body::Bytes;
    use axum::extract::{Request, State};
    use axum::http::{Method, StatusCode};
    type Objects = std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Vec<u8>>>>;
    async fn handle(
        State(objects): State<Objects>,
        req: Request,
    ) -> (StatusCode, [(&'static str, String); 1], Vec<u8>) {
        let etag = |b: &[u8]| {
            [(
                "etag",
                format!(
                    "\"{}-{}\"",
                    b.len(),
                    b.iter().map(|x| *x as u64).sum::<u64>()
                ),
            )]
        };
        let signed = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256 Credential=test-key/"));
        if !signed {
            return (StatusCode::FORBIDDEN, etag(&[]), vec![]);
        }
        let key = req.uri().path().to_string();
        let method = req.method().clone();
        let body: Bytes = axum::body::to_bytes(req.into_body(), 64 << 20)
            .await
            .unwrap();
        let mut objects = objects.lock().unwrap();
        match method {
            Method::PUT => {
                let tag = etag(&body);
                objects.insert(key, body.to_vec());
                (StatusCode::OK, tag, vec![])
            }
            Method::GET | Method::HEAD => match objects.get(&key) {
                Some(b) => (StatusCode::OK, etag(b), b.clone()),
                None => (StatusCode::NOT_FOUND, etag(&[]), vec![]),
            },
            Method::DELETE => {
                objects.remove(&key);
                (StatusCode::NO_CONTENT, etag(&[]), vec![])
            }
            _ => (StatusCode::METHOD_NOT_ALLOWED, etag(&[]), vec![]),
        }
    }
    let objects: Objects = Default::default();
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(objects.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, objects)
}

#[tokio::test]
async fn photos_go_to_the_s3_store_when_one_is_configured() {
    for t in TestDb::all().await {
        let (endpoint, objects) = fake_s3().await;
        let h = harness_with(t, |cfg| {
            cfg.s3 = Some(keyproj_service::S3Config {
                endpoint,
                bucket: "keyproj".into(),
                region: "cn-central-1".into(),
                access_key_id: "test-key".into(),
                secret_access_key: "test-secret".into(),
            })
        })
        .await;
        let [p1, _] = h.projects;
        plan_2026(&h, p1).await;
        let owner = h.signed_in("owner").await;
        let page = owner
            .get(format!("{}/reports/{p1}/2026-10", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut png = std::io::Cursor::new(vec![]);
        image_png(&mut png);
        let form = reqwest::multipart::Form::new()
            .text("csrf", hidden(&page, "csrf"))
            .text("op", "photo")
            .part(
                "photo",
                reqwest::multipart::Part::bytes(png.into_inner()).file_name("现场.png"),
            );
        let r = owner
            .post(format!("{}/reports/{p1}/2026-10", h.base))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let st = r.status();
        assert_eq!(st, StatusCode::OK, "{}", r.text().await.unwrap());
        // the photo and its thumbnail are in the bucket, nothing in the local directory
        let keys: Vec<String> = objects.lock().unwrap().keys().cloned().collect();
        assert_eq!(keys.len(), 2, "{keys:?}");
        assert!(
            keys.iter()
                .all(|k| k.starts_with(&format!("/keyproj/photos/{p1}/")))
        );
        assert!(!h.app.cfg.files_dir.exists());
        // and it is served back from there
        let page = owner
            .get(format!("{}/reports/{p1}/2026-10", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let id = page
            .split("/photos/")
            .nth(1)
            .unwrap()
            .split(['"', '?'])
            .next()
            .unwrap()
            .to_string();
        let served = owner
            .get(format!("{}/photos/{id}", h.base))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let stored = objects
            .lock()
            .unwrap()
            .iter()
            .find(|(k, _)| !k.ends_with("_thumb.jpg"))
            .map(|(_, v)| v.clone())
            .unwrap();
        assert_eq!(served.to_vec(), stored);
    }
}

#[tokio::test]
async fn imports_through_the_api_run_as_jobs_only_their_owner_sees() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let token = h.token("staff").await;
        let api = client();
        // 300 project rows
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("项目库").unwrap();
        for (i, hd) in keyproj_office::workbook::PROJECT_HEADERS.iter().enumerate() {
            ws.write_string(0, i as u16, *hd).unwrap();
        }
        for r in 1..=300u32 {
            ws.write_string(r, 0, format!("TJ2026-{r:03}")).unwrap();
            ws.write_string(r, 1, format!("项目{r}")).unwrap();
            ws.write_string(r, 3, "县重点").unwrap();
            ws.write_string(r, 4, "前期").unwrap();
            ws.write_string(r, 5, "交通").unwrap();
            ws.write_string(r, 9, "100").unwrap();
        }
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(wb.save_to_buffer().unwrap()).file_name("项目.xlsx"),
        );
        let r = api
            .post(format!("{}/api/v1/import", h.base))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let started: serde_json::Value = r.json().await.unwrap();
        let url = format!("{}{}", h.base, started["status_url"].as_str().unwrap());
        let mut job = serde_json::Value::Null;
        for _ in 0..3000 {
            job = api
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if !job["outcome"].is_null() {
                break;
            }
            let (done, total) = (
                job["done"].as_i64().unwrap(),
                job["total"].as_i64().unwrap(),
            );
            assert!(done <= total, "{job}");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(
            job["outcome"],
            "ok",
            "{}",
            &job.to_string()[..job.to_string().len().min(600)]
        );
        assert_eq!(job["percent"], 100);
        assert_eq!(job["total"], 300);
        assert_eq!(job["file_name"], "项目.xlsx");
        assert_eq!(job["summary"]["projects_created"], 300);
        // another user does not find the job, through the API or the page
        let other = h.token("leader").await;
        let r = api.get(&url).bearer_auth(&other).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let zj = h.signed_in("zjju").await;
        let page = format!("{}/import/jobs/{}", h.base, started["id"].as_str().unwrap());
        assert_eq!(status(&zj, &page).await, StatusCode::NOT_FOUND);
        // a unit user may not import at all, and nothing is registered
        let r = api
            .post(format!("{}/api/v1/import", h.base))
            .bearer_auth(h.token("zjju").await)
            .multipart(reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("x.xlsx"),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let mut tx = h.app.db.begin_read().await.unwrap();
        assert_eq!(
            keyproj_db::schema::row_count(&mut tx, "import_jobs")
                .await
                .unwrap(),
            1
        );
    }
}

/// The work reaches the person who must act: a returned report and a 催报 each become a to-do
/// entry for the owner (opening it clears the badge and opens the report), pending reports are
/// on the staff 待办, and an owner lands on 本月待报 with no API token menu.
#[tokio::test]
async fn returned_reports_and_reminders_reach_the_owner() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let api = reqwest::Client::new();
        let staff = h.token("staff").await;
        let [p1, p2] = h.projects;
        for p in [p1, p2] {
            let r = api
                .put(format!("{}/api/v1/plans/{p}/2026", h.base))
                .bearer_auth(&staff)
                .json(&json!({"category": "在建", "annual_plan_wan": "1000"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
        }
        let owner_token = h.token("owner").await;
        let r = api
            .put(format!("{}/api/v1/reports/{p1}/2026-10", h.base))
            .bearer_auth(&owner_token)
            .json(&json!({"month_investment_wan": "100", "progress": "基础施工"}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());

        // the staff 待办 lists the report waiting for review
        let staff_web = h.signed_in("staff").await;
        let (_, todo) = h.page(&staff_web, "/todo").await;
        assert!(
            todo.contains("待审核月报（1）") && todo.contains("城区道路提质改造"),
            "{todo}"
        );
        let todo_json: serde_json::Value = api
            .get(format!("{}/api/v1/todo", h.base))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(todo_json["to_review"].as_array().unwrap().len(), 1);

        // returned: the owner's unit gets a to-do entry that opens the report
        let rep: serde_json::Value = api
            .get(format!("{}/api/v1/reports/{p1}/2026-10", h.base))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let r = api
            .post(format!("{}/api/v1/reports/{}/review", h.base, rep["report_id"]))
            .bearer_auth(&staff)
            .json(&json!({"version": rep["version"], "approve": false, "reason": "投资额与形象进度不符"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let owner = h.signed_in("owner").await;
        let (_, todo) = h.page(&owner, "/todo").await;
        assert!(
            todo.contains("月报被退回") && todo.contains("投资额与形象进度不符"),
            "{todo}"
        );
        assert!(
            todo.contains("退回待重报的月报（1）"),
            "a to-do entry, not only a message"
        );
        assert!(
            todo.contains("id=\"unread-badge\">1<"),
            "the badge counts it: {todo}"
        );
        let open = todo
            .split("href=\"/todo/open/")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .to_string();
        let no_redirect = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        h.login(&no_redirect, "owner", PW).await;
        let r = no_redirect
            .get(format!("{}/todo/open/{open}", h.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], format!("/reports/{p1}/2026-10"));
        let (_, todo) = h.page(&owner, "/todo").await;
        assert!(!todo.contains("unread-badge"), "opened: the badge clears");
        // another unit cannot open it
        let jt = h.signed_in("jtju").await;
        let (status, _) = h.page(&jt, &format!("/todo/open/{open}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // 催报: owners and lead units of projects not reported get one message each
        let r = api
            .post(format!("{}/api/v1/reports/remind", h.base))
            .bearer_auth(&owner_token)
            .json(&json!({"month": "2026-10"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let before = h.audit_count().await;
        let r: serde_json::Value = api
            .post(format!("{}/api/v1/reports/remind", h.base))
            .bearer_auth(&staff)
            .json(&json!({"month": "2026-10"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            r["projects"], 1,
            "p1 was returned (it has a report), p2 never reported"
        );
        assert!(r["units"].as_u64().unwrap() >= 1);
        assert_eq!(h.audit_count().await, before + 1, "the reminder is audited");
        // a second click within the hour sends nothing
        let r = api
            .post(format!("{}/api/v1/reports/remind", h.base))
            .bearer_auth(&staff)
            .json(&json!({"month": "2026-10"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("一小时内已催报过"));
        assert_eq!(h.audit_count().await, before + 1);
        // a crafted link claims nothing
        let (_, page) = h
            .page(&staff_web, "/reports?month=2026-10&reminded=5-3")
            .await;
        assert!(!page.contains("已向5个单位"));
        let (_, todo) = h.page(&jt, "/todo").await;
        assert!(
            todo.contains("催报") && todo.contains("桃花江大桥"),
            "{todo}"
        );
        let r = api
            .post(format!("{}/api/v1/reports/remind", h.base))
            .bearer_auth(&staff)
            .json(&json!({"month": "2099-10"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

        // the owner's home is 本月待报; no API token menu, and the token page is not theirs
        let r = no_redirect
            .get(format!("{}/", h.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["location"], "/reports");
        let (_, reports) = h.page(&owner, "/reports").await;
        assert!(!reports.contains("/tokens") && !reports.contains("一键催报"));
        let (status, _) = h.page(&owner, "/tokens").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, staff_reports) = h.page(&staff_web, "/reports?month=2026-10").await;
        assert!(staff_reports.contains("一键催报") && staff_reports.contains("/tokens"));

        // a month outside the project's plans is not reported; an unknown step is refused
        let r = api
            .put(format!("{}/api/v1/reports/{p1}/2025-05", h.base))
            .bearer_auth(&owner_token)
            .json(&json!({"month_investment_wan": "5", "progress": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("未纳入2025年度计划"));
        let csrf = h.csrf_of(&owner, &format!("/reports/{p1}/2026-10")).await;
        let before = h.audit_count().await;
        let r = owner
            .post(format!("{}/reports/{p1}/2026-10", h.base))
            .multipart(
                reqwest::multipart::Form::new()
                    .text("csrf", csrf)
                    .text("op", "xx")
                    .text("month_investment_wan", "5")
                    .text("progress", "x"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(h.audit_count().await, before);

        // a month keeps at most 12 photos
        let upload = |n: u32| {
            let (api, url, tok) = (
                api.clone(),
                format!("{}/api/v1/reports/{p1}/2026-10/photos", h.base),
                owner_token.clone(),
            );
            async move {
                api.post(url)
                    .bearer_auth(tok)
                    .multipart(
                        reqwest::multipart::Form::new().part(
                            "photo",
                            reqwest::multipart::Part::bytes(png_of_zeros(8 + n, 6))
                                .file_name(format!("p{n}.png")),
                        ),
                    )
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        for n in 0..12 {
            assert_eq!(upload(n).await, StatusCode::CREATED, "photo {n}");
        }
        assert_eq!(upload(12).await, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

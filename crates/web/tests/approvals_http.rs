//! 帮代办 over HTTP on both engines: the catalogue, a project's list, steps by the competent
//! department, the overdue item raised once (after a confirmation), the statistics and exports,
//! and who may see and do what (404 unseen, 403 not allowed, nothing changed).

mod common;

use common::*;
use keyproj_db::testing::TestDb;
use reqwest::StatusCode;

async fn post(c: &reqwest::Client, url: String, fields: &[(&str, &str)]) -> reqwest::Response {
    c.post(url).form(fields).send().await.unwrap()
}

#[tokio::test]
async fn approvals_through_the_pages() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let [_, zj, _, _] = h.units;
        let [p1, p2] = h.projects;
        let staff = h.signed_in("staff").await;
        let csrf = h.csrf_of(&staff, "/approvals/catalogue").await;
        let r = post(
            &staff,
            format!("{}/approvals/catalogue/seed", h.base),
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        let (_, page) = h.page(&staff, "/approvals/catalogue").await;
        assert!(
            page.contains("施工许可") && page.contains("县住房和城乡建设局"),
            "the harness has 住建局"
        );
        let api = reqwest::Client::new();
        let token = h.token("staff").await;
        let catalogue: serde_json::Value = api
            .get(format!("{}/api/v1/approvals/catalogue", h.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let permit = catalogue
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "施工许可")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        assert_eq!(
            catalogue
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == "施工许可")
                .unwrap()["unit_id"],
            zj
        );

        // a catalogue entry of another county is not there: 422 at the field, nothing written
        let n = neighbour_county(&h).await;
        let foreign = keyproj_service::pipeline::approvals::add_entry(
            &h.app,
            &keyproj_service::Ctx::system(keyproj_domain::RegionCode::parse("430921").unwrap()),
            &keyproj_domain::pipeline::approvals::CatalogueDraft {
                name: "南县事项".into(),
                unit_id: Some(n.unit.into()),
                limit_days: "5".into(),
                day_count: "working".into(),
            },
        )
        .await
        .unwrap();
        let before = h.audit_count().await;
        let add = |cat: String| {
            let (staff, csrf, url) = (
                &staff,
                csrf.clone(),
                format!("{}/projects/{p1}/approvals", h.base),
            );
            async move {
                post(
                    staff,
                    url,
                    &[
                        ("csrf", &csrf),
                        ("catalogue_id", &cat),
                        ("agent", "staff"),
                        ("received_on", "2026-01-05"),
                        ("note", "业主已提交全部申请材料"),
                    ],
                )
                .await
            }
        };
        let r = add(foreign.get().to_string()).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("目录中没有该事项") && body.contains("业主已提交全部申请材料"),
            "typed input kept"
        );
        assert_eq!(h.audit_count().await, before);
        // the same through a crafted agent: only center staff act as agents
        let r = post(
            &staff,
            format!("{}/projects/{p1}/approvals", h.base),
            &[
                ("csrf", &csrf),
                ("catalogue_id", &permit.to_string()),
                ("agent", "zjju"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("代办员须是本中心的工作人员")
        );

        let r = add(permit.to_string()).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            r.headers()["location"],
            format!("/projects/{p1}/approvals?done=added")
        );
        let (_, page) = h.page(&staff, &format!("/projects/{p1}/approvals")).await;
        let id: i64 = page
            .split("href=\"/approvals/")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse().ok())
            .expect("the item's link");
        assert!(page.contains("approval-strip"));

        // who sees the item: the department deciding it, the owner of the project, staff and
        // leaders; not another department (404)
        let zjju = h.signed_in("zjju").await;
        let jtju = h.signed_in("jtju").await;
        let owner = h.signed_in("owner").await;
        let leader = h.signed_in("leader").await;
        let auditor = h.signed_in("auditor").await;
        let item = format!("/approvals/{id}");
        for (who, c, want) in [
            ("zjju", &zjju, StatusCode::OK),
            ("owner", &owner, StatusCode::OK),
            ("leader", &leader, StatusCode::OK),
            ("jtju", &jtju, StatusCode::NOT_FOUND),
        ] {
            assert_eq!(h.page(c, &item).await.0, want, "{who}");
        }
        assert_eq!(
            h.page(&auditor, "/approvals").await.0,
            StatusCode::FORBIDDEN
        );
        let (_, mine) = h.page(&jtju, "/approvals").await;
        assert!(
            !mine.contains(&format!("/approvals/{id}\"")),
            "another department's list"
        );
        // the department accepts its item; the owner and a leader may not step (403); another
        // department gets 404; none of them changes anything
        let version = |page: &str| hidden(page, "version");
        let (_, zpage) = h.page(&zjju, &item).await;
        let zcsrf = hidden(&zpage, "csrf");
        let step_url = format!("{}/approvals/{id}/step", h.base);
        let before = h.audit_count().await;
        for (c, want) in [
            (&owner, StatusCode::FORBIDDEN),
            (&leader, StatusCode::FORBIDDEN),
            (&jtju, StatusCode::NOT_FOUND),
        ] {
            let (_, p) = h.page(c, "/approvals").await;
            let cs = hidden(&p, "csrf");
            let cs = if cs.is_empty() {
                h.csrf_of(c, "/").await
            } else {
                cs
            };
            let r = post(
                c,
                step_url.clone(),
                &[
                    ("csrf", &cs),
                    ("step", "accept"),
                    ("version", &version(&zpage)),
                ],
            )
            .await;
            assert_eq!(r.status(), want);
        }
        assert_eq!(h.audit_count().await, before);
        let r = post(
            &zjju,
            step_url.clone(),
            &[
                ("csrf", &zcsrf),
                ("step", "accept"),
                ("on", "2026-01-06"),
                ("version", &version(&zpage)),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        // 办结 before 受理: refused at the field, the typed number kept
        let (_, zpage) = h.page(&zjju, &item).await;
        let r = post(
            &zjju,
            step_url.clone(),
            &[
                ("csrf", &zcsrf),
                ("step", "complete"),
                ("on", "2026-01-02"),
                ("approval_no", "桃建施〔2026〕3号"),
                ("version", &version(&zpage)),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = r.text().await.unwrap();
        assert!(body.contains("办结日期不能早于受理日期") && body.contains("桃建施〔2026〕3号"));
        assert!(
            body.contains("<small class=\"err\">办结日期不能早于受理日期"),
            "at the field"
        );
        // a stale version changes nothing
        let r = post(
            &zjju,
            step_url.clone(),
            &[
                ("csrf", &zcsrf),
                ("step", "correct"),
                ("note", "缺图纸"),
                ("version", "1"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert!(r.text().await.unwrap().contains("刚被他人办理过"));

        // accepted in January, it is long past its five working days: raising asks first, then
        // registers once
        let (_, page) = h.page(&staff, &item).await;
        assert!(
            page.contains("approval-overdue") && page.contains("id=\"raise\""),
            "{page}"
        );
        let raise = format!("{}/approvals/{id}/raise", h.base);
        let scsrf = hidden(&page, "csrf");
        let before = h.audit_count().await;
        let r = post(&staff, raise.clone(), &[("csrf", &scsrf)]).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap().contains("确认提交并交办"));
        assert_eq!(h.audit_count().await, before, "asking changes nothing");
        // only staff raise
        let r = post(
            &zjju,
            raise.clone(),
            &[("csrf", &zcsrf), ("confirmed", "1")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = post(
            &staff,
            raise.clone(),
            &[("csrf", &scsrf), ("confirmed", "1")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let again = post(
            &staff,
            raise.clone(),
            &[("csrf", &scsrf), ("confirmed", "1")],
        )
        .await;
        assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.text().await.unwrap().contains("不重复提交"));
        let (_, problems) = h.page(&staff, "/problems?source=approval").await;
        assert!(
            problems.contains("施工许可超时未办结"),
            "on the problem list with source 帮代办"
        );

        // the lists, statistics and exports
        let (_, overdue) = h.page(&staff, "/approvals?overdue=1").await;
        assert!(overdue.contains("overdue-by-unit") && overdue.contains("县住房和城乡建设局"));
        let (_, stats) = h.page(&staff, "/approvals/stats").await;
        assert!(stats.contains("by-unit") && stats.contains("by-agent"));
        for path in [
            "/approvals.xlsx",
            "/approvals/stats.xlsx",
            "/approvals.xlsx?overdue=1",
        ] {
            let r = staff.get(format!("{}{path}", h.base)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert!(r.bytes().await.unwrap().starts_with(b"PK"));
        }
        // the department completes it with the permit in the same form: a disguised file is
        // refused with the step undone and the typed number kept; a real PDF is kept
        let (_, zpage) = h.page(&zjju, &item).await;
        let form = |bytes: Vec<u8>, name: &'static str, v: String| {
            reqwest::multipart::Form::new()
                .text("csrf", zcsrf.clone())
                .text("step", "complete")
                .text("approval_no", "桃建施〔2026〕3号")
                .text("version", v)
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(bytes).file_name(name),
                )
        };
        let r = zjju
            .post(step_url.clone())
            .multipart(form(
                b"<script>alert(1)</script>".to_vec(),
                "permit.pdf",
                version(&zpage),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("只能上传") && body.contains("桃建施〔2026〕3号"),
            "typed kept"
        );
        let (_, zpage) = h.page(&zjju, &item).await;
        assert!(
            zpage.contains("id=\"step-complete\""),
            "the step was not taken"
        );
        // an image that declares 60000×60000 pixels is refused before the step is taken
        let mut bomb = png_of_zeros(1, 1);
        bomb[16..20].copy_from_slice(&60_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&60_000u32.to_be_bytes());
        let crc = crc32fast::hash(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        let r = zjju
            .post(step_url.clone())
            .multipart(form(bomb, "permit.png", version(&zpage)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("“permit.png”：图片像素过多") && body.contains("请重新选择"),
            "{body}"
        );
        let (_, zpage) = h.page(&zjju, &item).await;
        assert!(
            zpage.contains("id=\"step-complete\""),
            "still not completed"
        );
        // an empty chosen file refuses the step too (it is not silently left out)
        let r = zjju
            .post(step_url.clone())
            .multipart(form(vec![], "空.pdf", version(&zpage)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("“空.pdf”：是空文件"));
        // a reader may not step, whatever the file: 403 before any word about it
        let lpage = h.page(&leader, &item).await.1;
        let r = leader
            .post(step_url.clone())
            .multipart(
                reqwest::multipart::Form::new()
                    .text("csrf", hidden(&lpage, "csrf"))
                    .text("step", "complete")
                    .text("version", version(&zpage))
                    .part(
                        "file",
                        reqwest::multipart::Part::bytes(b"<html>".to_vec()).file_name("x.pdf"),
                    ),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
        let r = zjju
            .post(step_url.clone())
            .multipart(form(pdf, "施工许可证.pdf", version(&zpage)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, page) = h.page(&owner, &item).await;
        assert!(
            page.contains("施工许可证.pdf") && page.contains("办结"),
            "the owner reads the permit"
        );
        let file = page
            .split("href=\"/attachments/")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .to_string();
        assert_eq!(
            h.page(&owner, &format!("/attachments/{file}")).await.0,
            StatusCode::OK
        );
        assert_eq!(
            h.page(&jtju, &format!("/attachments/{file}")).await.0,
            StatusCode::NOT_FOUND
        );

        // the pipeline's own pages are the center's and the leaders'
        for path in [
            "/pipeline/conversion",
            "/pipeline/support",
            "/pipeline/conversion/projects?status=started",
        ] {
            assert_eq!(h.page(&staff, path).await.0, StatusCode::OK, "{path}");
            assert_eq!(h.page(&leader, path).await.0, StatusCode::OK, "{path}");
            assert_eq!(
                h.page(&owner, path).await.0,
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        // the project page shows the strip to those who see approvals; the public board not
        let (_, project) = h.page(&owner, &format!("/projects/{p1}")).await;
        assert!(project.contains("approval-strip"));
        let (_, board) = h.page(&reqwest::Client::new(), "/board").await;
        assert!(!board.contains("帮代办") && !board.contains("approval-strip"));
        // an item for a project of another department's list: the unit user may not add
        let (_, zpage) = h.page(&zjju, &format!("/projects/{p1}/approvals")).await;
        assert!(!zpage.contains("id=\"item-form\""));
        let r = post(
            &zjju,
            format!("{}/projects/{p1}/approvals", h.base),
            &[
                ("csrf", &zcsrf),
                ("catalogue_id", &permit.to_string()),
                ("agent", "staff"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        // a project the department does not see at all
        assert_eq!(
            h.page(&zjju, &format!("/projects/{p2}/approvals")).await.0,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn approvals_through_the_api() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let [_, zj, _, _] = h.units;
        let [p1, _] = h.projects;
        let api = reqwest::Client::new();
        let staff = h.token("staff").await;
        let call = |m: reqwest::Method, path: &str, token: &str| {
            api.request(m, format!("{}/api/v1{path}", h.base))
                .bearer_auth(token.to_string())
        };
        let r = call(reqwest::Method::POST, "/approvals/catalogue", &staff)
            .json(&serde_json::json!({"name": "临时用地审批", "unit_id": zj, "limit_days": "8", "day_count": "工作日"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let cat = r.json::<serde_json::Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();
        let r = call(reqwest::Method::POST, "/approvals/items", &staff)
            .json(&serde_json::json!({"project_id": p1, "catalogue_id": cat, "agent": "staff", "received_on": "2026-01-05"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let id = r.json::<serde_json::Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();
        // bad input in Chinese at the field; unknown fields refused
        for (body, field) in [
            (
                serde_json::json!({"project_id": 999999, "catalogue_id": cat, "agent": "staff"}),
                "project_id",
            ),
            (
                serde_json::json!({"project_id": p1, "catalogue_id": 999999, "agent": "staff"}),
                "catalogue_id",
            ),
            (
                serde_json::json!({"project_id": p1, "name": "x", "unit_id": zj, "limit_days": "999", "day_count": "working", "agent": "staff"}),
                "limit_days",
            ),
        ] {
            let r = call(reqwest::Method::POST, "/approvals/items", &staff)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            let e: serde_json::Value = r.json().await.unwrap();
            assert_eq!(e["fields"][0]["field"], field, "{e}");
        }
        let r = call(
            reqwest::Method::GET,
            "/approvals/items?state=nonsense",
            &staff,
        )
        .send()
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // steps: accept, then complete with the number
        let detail: serde_json::Value = call(
            reqwest::Method::GET,
            &format!("/approvals/items/{id}"),
            &staff,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        let v = detail["item"]["version"].as_i64().unwrap();
        assert!(
            detail["steps"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s == "accept")
        );
        let r = call(
            reqwest::Method::POST,
            &format!("/approvals/items/{id}/steps"),
            &staff,
        )
        .json(&serde_json::json!({"step": "accept", "on": "2026-01-06", "version": v}))
        .send()
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let r = call(reqwest::Method::POST, &format!("/approvals/items/{id}/steps"), &staff)
            .json(&serde_json::json!({"step": "complete", "on": "2026-01-08", "approval_no": "桃自然资临〔2026〕1号", "version": v + 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.json::<serde_json::Value>().await.unwrap()["state"],
            "done"
        );
        // not overdue: raising is refused
        let r = call(
            reqwest::Method::POST,
            &format!("/approvals/items/{id}/problem"),
            &staff,
        )
        .send()
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let list: serde_json::Value = call(
            reqwest::Method::GET,
            &format!("/approvals/items?project_id={p1}&per_page=1000"),
            &staff,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        assert_eq!(list["total"], 1);
        assert_eq!(list["items"][0]["on_time"], true);
        let stats: serde_json::Value = call(reqwest::Method::GET, "/approvals/stats", &staff)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(stats["total"]["completed"], 1);
        let conv = call(
            reqwest::Method::GET,
            "/signing/conversion?year=2026",
            &staff,
        )
        .send()
        .await
        .unwrap();
        assert_eq!(conv.status(), StatusCode::OK);
        let owner = h.token("owner").await;
        let r = call(
            reqwest::Method::GET,
            "/signing/conversion?year=2026",
            &owner,
        )
        .send()
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = call(reqwest::Method::POST, "/support/measures", &staff)
            .json(&serde_json::json!({"project_id": p1, "text": "协调用电", "unit_id": zj}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "a 前期 project is not supported (后扶)"
        );
        // the OpenAPI names the new paths
        let doc = reqwest::get(format!("{}/api/v1/openapi.json", h.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for p in [
            "/api/v1/approvals/items/{id}/steps",
            "/api/v1/signing/conversion",
            "/api/v1/support/measures",
        ] {
            assert!(doc.contains(p), "{p}");
        }
    }
}

//! 《重点项目建设简报》 over HTTP on both engines: composed through the page (the block menu and
//! the extra task row keep what was typed), bad input named at its field with nothing written,
//! another county's unit refused, issued only after a confirmation, frozen, read by units once
//! issued and never by owners; the API and the Word file.

mod common;

use common::*;
use keyproj_db::testing::TestDb;
use reqwest::StatusCode;

#[tokio::test]
async fn a_briefing_is_composed_and_issued_through_the_pages() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let n = neighbour_county(&h).await;
        let staff = h.signed_in("staff").await;
        let csrf = h.csrf_of(&staff, "/briefings/new").await;
        let year = h.app.local_today().format("%Y").to_string();
        let deadline = (h.app.local_today() + chrono::Duration::days(30)).to_string();
        let zj = h.units[1].to_string();
        let post = |path: &str, fields: Vec<(&str, String)>| {
            let (staff, url) = (&staff, format!("{}{path}", h.base));
            let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf.clone())];
            form.extend(fields.into_iter().map(|(k, v)| (k.to_string(), v)));
            async move { staff.post(url).form(&form).send().await.unwrap() }
        };
        let fields = |body: &str, unit: &str, action: &str| {
            vec![
                ("year", year.clone()),
                ("version", "0".into()),
                ("title", "全县重点项目建设进展".into()),
                ("editor", "桃江县重点项目建设事务中心".into()),
                ("signer", "王主任".into()),
                ("send_to", "县委、县政府主要领导".into()),
                ("copy_to", "".into()),
                ("body", body.into()),
                ("task_title", "加快城南片区征拆".into()),
                ("task_unit", unit.into()),
                ("task_deadline", deadline.clone()),
                ("task_description", "".into()),
                ("task_title", "".into()),
                ("task_unit", "".into()),
                ("task_deadline", "".into()),
                ("task_description", "".into()),
                ("add_block", "colour_lists".into()),
                ("add_top", "10".into()),
                ("action", action.into()),
            ]
        };
        let before = h.audit_count().await;
        // the block menu appends a block line and keeps everything typed; nothing is saved
        let r = post(
            "/briefings",
            fields("# 一、总体情况\n<script>x</script>", &zj, "add_block"),
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        let page = r.text().await.unwrap();
        assert!(page.contains("【数据块：红黄项目名单】"), "block inserted");
        assert!(
            page.contains("script&#62;x") && !page.contains("<script>x"),
            "typed text comes back escaped"
        );
        assert!(page.contains("加快城南片区征拆"), "task kept");
        assert_eq!(h.audit_count().await, before);
        // the menu with nothing chosen says so, and keeps the text
        let mut nothing = fields("保留的正文", &zj, "add_block");
        nothing.retain(|(k, _)| *k != "add_block");
        nothing.push(("add_block", "".into()));
        let r = post("/briefings", nothing).await;
        let page = r.text().await.unwrap();
        assert!(page.contains("请先选择要插入的数据块") && page.contains("保留的正文"));
        // an unknown block line and another county's unit: named, nothing written
        let r = post(
            "/briefings",
            fields("正文\n【数据块：不存在】", &n.unit.to_string(), "save"),
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = r.text().await.unwrap();
        assert!(page.contains("第2行的数据块「不存在」不存在"), "{page}");
        assert!(page.contains("第1项任务：承办单位不存在"), "{page}");
        assert_eq!(h.audit_count().await, before);
        // saved as a draft
        let body = "# 一、总体情况\n全县**稳步推进**。\n【数据块：年度投资完成情况】\n【数据块：红黄项目名单】";
        let r = post("/briefings", fields(body, &zj, "save")).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let at = r.headers()["location"].to_str().unwrap().to_string();
        assert!(at.starts_with("/briefings/"), "{at}");
        let id: i64 = at
            .trim_start_matches("/briefings/")
            .split('?')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let (_, page) = h.page(&staff, &format!("/briefings/{id}")).await;
        assert!(page.contains("（草稿）") && page.contains("年度投资完成情况"));
        assert!(page.contains("<b>稳步推进</b>"));
        // units and owners do not find a draft; units may not compose
        let unit = h.signed_in("zjju").await;
        assert_eq!(
            h.page(&unit, &format!("/briefings/{id}")).await.0,
            StatusCode::NOT_FOUND
        );
        let owner = h.signed_in("owner").await;
        assert_eq!(h.page(&owner, "/briefings").await.0, StatusCode::NOT_FOUND);
        let ucsrf = h.csrf_of(&unit, "/briefings").await;
        let r = unit
            .post(format!("{}/briefings", h.base))
            .form(&[("csrf", ucsrf.as_str()), ("title", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = unit
            .post(format!("{}/briefings/{id}/issue", h.base))
            .form(&[
                ("csrf", ucsrf.as_str()),
                ("version", "1"),
                ("confirmed", "1"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);

        // the address never puts words on the page
        let (_, page) = h
            .page(
                &staff,
                &format!("/briefings/{id}?done=请访问evil.example重新登录"),
            )
            .await;
        assert!(!page.contains("evil.example"));
        // an edit over someone else's save keeps what was typed and says why
        let mut stale = fields(body, &zj, "save");
        stale.retain(|(k, _)| *k != "title");
        stale.push(("title", "我刚改的标题".into()));
        let r = post(&format!("/briefings/{id}/edit"), stale).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let page = r.text().await.unwrap();
        assert!(
            page.contains("已被他人修改") && page.contains("我刚改的标题"),
            "{page}"
        );
        // 返回修改 on the confirmation goes back without issuing
        let before = h.audit_count().await;
        let r = post(
            &format!("/briefings/{id}/issue"),
            vec![("version", "1".into()), ("confirmed", "back".into())],
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(h.audit_count().await, before);
        // issuing asks first and changes nothing until confirmed
        let before = h.audit_count().await;
        let r = post(
            &format!("/briefings/{id}/issue"),
            vec![("version", "1".into())],
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap().contains("确认印发简报"));
        assert_eq!(h.audit_count().await, before);
        let r = post(
            &format!("/briefings/{id}/issue"),
            vec![("version", "1".into()), ("confirmed", "1".into())],
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, page) = h.page(&staff, &format!("/briefings/{id}")).await;
        assert!(
            page.contains("第1期") && page.contains("本期交办事项（1项）"),
            "{page}"
        );
        // the unit reads it and has the task to do
        let (s, page) = h.page(&unit, &format!("/briefings/{id}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains("加快城南片区征拆"));
        let (_, todo) = h.page(&unit, "/todo").await;
        assert!(todo.contains("加快城南片区征拆"), "on the unit's 待办");
        // frozen: editing goes back to the page, posting a change is refused
        let r = post(&format!("/briefings/{id}/edit"), fields(body, &zj, "save")).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("已印发"));
        // the list, its export and the Word file
        let (_, list) = h.page(&staff, &format!("/briefings?year={year}")).await;
        assert!(list.contains("第1期") && list.contains("全县重点项目建设进展"));
        let r = staff
            .get(format!("{}/briefings.xlsx?year={year}", h.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let r = unit
            .get(format!("{}/briefings/{id}/docx", h.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let text = keyproj_office::docx::text_of(&r.bytes().await.unwrap()).unwrap();
        assert!(text.contains("重点项目建设简报") && text.contains("加快城南片区征拆"));
        // ids that are not ids are not found
        assert_eq!(
            h.page(&staff, "/briefings/abc").await.0,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn briefings_through_the_api() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let n = neighbour_county(&h).await;
        let api = reqwest::Client::new();
        let staff = h.token("staff").await;
        let unit = h.token("zjju").await;
        let url = |p: &str| format!("{}/api/v1/briefings{p}", h.base);
        let deadline = (h.app.local_today() + chrono::Duration::days(30)).to_string();
        let body = |handler: i64| {
            serde_json::json!({
                "title": "重点项目建设进展",
                "editor": "桃江县重点项目建设事务中心",
                "signer": "王主任",
                "send_to": "县委、县政府主要领导",
                "sections": [
                    {"kind": "text", "markup": "# 综述\n稳步推进。"},
                    {"kind": "computed", "block": "top_projects", "top": 5}
                ],
                "tasks": [{"title": "API任务", "handler_unit_id": handler, "deadline": deadline}]
            })
        };
        // another county's unit: a Chinese message, nothing written
        let before = h.audit_count().await;
        let r = api
            .post(url(""))
            .bearer_auth(&staff)
            .json(&body(n.unit))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("承办单位不存在"));
        assert_eq!(h.audit_count().await, before);
        // units may not compose
        let r = api
            .post(url(""))
            .bearer_auth(&unit)
            .json(&body(h.units[1]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = api
            .post(url(""))
            .bearer_auth(&staff)
            .json(&body(h.units[1]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let id = r.json::<serde_json::Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();
        let got: serde_json::Value = api
            .get(url(&format!("/{id}")))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(got["label"], "草稿");
        assert_eq!(got["content"]["sections"][1]["block"], "top_projects");
        let r = api
            .get(url(&format!("/{id}")))
            .bearer_auth(&unit)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = api
            .post(url(&format!("/{id}/issue")))
            .bearer_auth(&staff)
            .json(&serde_json::json!({"version": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let issued: serde_json::Value = r.json().await.unwrap();
        assert_eq!(issued["seq"], 1);
        assert_eq!(issued["content"]["tasks"][0]["title"], "API任务");
        // frozen
        let r = api
            .put(url(&format!("/{id}")))
            .bearer_auth(&staff)
            .json(&body(h.units[1]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let list: serde_json::Value = api
            .get(url(""))
            .bearer_auth(&unit)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list[0]["state"], "issued");
        assert_eq!(list[0]["tasks"], 1);
        let r = api
            .get(url(&format!("/{id}/docx")))
            .bearer_auth(&unit)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}

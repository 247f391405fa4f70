//! The problem list over HTTP on both engines: the page flow, the permission matrix (a unit
//! sees only its items; out-of-scope ids are 404, steps of the other side are 403, and nothing
//! changes), documents read back from the .docx, the API, raising from a monthly report, and
//! statistics on a hand-computed dataset.

mod common;

use common::*;
use keyproj_db::testing::TestDb;
use reqwest::StatusCode;

async fn post_form(c: &reqwest::Client, url: String, form: &[(&str, &str)]) -> reqwest::Response {
    c.post(url).form(form).send().await.unwrap()
}

fn location_id(r: &reqwest::Response) -> i64 {
    r.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn version_of(h: &Harness, id: i64) -> String {
    let mut tx = h.app.db.begin_read().await.unwrap();
    keyproj_db::repo::problems::items::get_item(&mut tx, id.into())
        .await
        .unwrap()
        .unwrap()
        .version
        .to_string()
}

async fn state_of(h: &Harness, id: i64) -> String {
    let mut tx = h.app.db.begin_read().await.unwrap();
    keyproj_db::repo::problems::items::get_item(&mut tx, id.into())
        .await
        .unwrap()
        .unwrap()
        .state
        .key()
        .to_string()
}

async fn step(h: &Harness, c: &reqwest::Client, id: i64, step: &str, note: &str) -> StatusCode {
    let csrf = h.csrf_of(c, "/todo").await;
    let version = version_of(h, id).await;
    post_form(
        c,
        format!("{}/problems/{id}/step", h.base),
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("step", step),
            ("note", note),
        ],
    )
    .await
    .status()
}

/// The confirmation page of an assignment promises a numbered 交办单: it is shown only to who
/// may assign that item now, and only for units and leaders they can choose. Anyone else gets
/// the refusal at once (404 for an item they cannot see, 403 for a step they may not take,
/// the field for an unknown unit or leader), and nothing changes.
#[tokio::test]
async fn an_assignment_is_checked_before_its_confirmation_page() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let [_, zj, _, _] = h.units;
        let zj_s = zj.to_string();
        let staff = h.signed_in("staff").await;
        let csrf = h.csrf_of(&staff, "/problems/new").await;
        let r = post_form(
            &staff,
            format!("{}/problems", h.base),
            &[
                ("csrf", &csrf),
                ("title", "城北路管线迁改"),
                ("kind", "problem"),
                ("source", "topic_meeting"),
                ("category", "demolition"),
                ("level", "2"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let id = location_id(&r);
        let leader = h.signed_in("leader").await; // signing in is audited: before counting
        let before = (h.audit_count().await, version_of(&h, id).await);
        let assign = |c: &reqwest::Client, id: i64, handler: &str, leader: &str| {
            let (h, c, handler, leader) = (&h, c.clone(), handler.to_string(), leader.to_string());
            async move {
                let csrf = h.csrf_of(&c, "/todo").await;
                let version = if id > 0 {
                    version_of(h, id).await
                } else {
                    "1".into()
                };
                let r = post_form(
                    &c,
                    format!("{}/problems/{}/step", h.base, id.abs()),
                    &[
                        ("csrf", &csrf),
                        ("version", &version),
                        ("step", "assign"),
                        ("handler", &handler),
                        ("leader", &leader),
                    ],
                )
                .await;
                let status = r.status();
                (status, r.text().await.unwrap())
            }
        };
        // the county leader may not assign: refused, no confirmation page
        let (status, page) = assign(&leader, id, &zj_s, "").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
        assert!(!page.contains("确认交办并签发交办单"));
        // an item that does not exist is not found
        let (status, page) = assign(&staff, -99_999_999, &zj_s, "").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(!page.contains("确认交办并签发交办单"));
        // a unit or a leader the staff member cannot choose is named at its field
        let (status, page) = assign(&staff, id, "99999999", "").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("承办单位不存在") && !page.contains("确认交办并签发交办单"));
        let (status, page) = assign(&staff, id, &zj_s, "99999999").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("交办领导不存在") && !page.contains("确认交办并签发交办单"));
        // and no 承办单位 at all is said before any confirmation too
        let (status, page) = assign(&staff, id, "", "").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("请选择承办单位") && !page.contains("确认交办并签发交办单"));
        assert_eq!((h.audit_count().await, version_of(&h, id).await), before);
        assert_eq!(state_of(&h, id).await, "registered");
        // and who may, with what they may choose, is asked to confirm
        let (status, page) = assign(&staff, id, &zj_s, "").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("确认交办并签发交办单") && page.contains("县住房和城乡建设局"));
        assert_eq!(h.audit_count().await, before.0);
    }
}

#[tokio::test]
async fn register_assign_reply_return_and_close_with_permissions() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let [_, zj, _, _] = h.units;
        let [p1, _] = h.projects;
        let staff = h.signed_in("staff").await;
        let csrf = h.csrf_of(&staff, "/problems/new").await;
        // a missing category is reported at the field and nothing is written
        let bad = post_form(
            &staff,
            format!("{}/problems", h.base),
            &[
                ("csrf", &csrf),
                ("title", "城南路征拆"),
                ("kind", "problem"),
                ("source", "topic_meeting"),
                ("level", "2"),
            ],
        )
        .await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.text().await.unwrap().contains("请选择问题类别"));
        let zj_s = zj.to_string();
        let p1_s = p1.to_string();
        // a limit within the year ahead
        let deadline = (h.app.local_today() + chrono::Duration::days(60)).to_string();
        let fields = [
            ("csrf", csrf.as_str()),
            ("title", "城南路征拆"),
            ("kind", "problem"),
            ("source", "topic_meeting"),
            ("category", "demolition"),
            ("level", "2"),
            ("project", &p1_s),
            ("description", "3户未签协议"),
            ("handler", &zj_s),
            ("deadline", deadline.as_str()),
        ];
        // a form with a mistake is shown again with its message before any confirmation
        let mut no_title = fields.to_vec();
        no_title[1] = ("title", "");
        let r = post_form(&staff, format!("{}/problems", h.base), &no_title).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = r.text().await.unwrap();
        assert!(!page.contains("确认交办并签发交办单"), "validated first");
        assert!(page.contains("has-error") || page.contains("err"), "{page}");
        // assigning issues a frozen 交办单: the first post only asks, and changes nothing
        let audit_before = h.audit_count().await;
        let ask = post_form(&staff, format!("{}/problems", h.base), &fields).await;
        assert_eq!(ask.status(), StatusCode::OK);
        let page = ask.text().await.unwrap();
        assert!(page.contains("确认交办并签发交办单") && page.contains("县住房和城乡建设局"));
        assert!(
            page.contains("name=\"title\" value=\"城南路征拆\""),
            "typed values carried"
        );
        assert_eq!(
            h.audit_count().await,
            audit_before,
            "nothing written before confirming"
        );
        let mut confirmed = fields.to_vec();
        confirmed.push(("confirmed", "1"));
        let r = post_form(&staff, format!("{}/problems", h.base), &confirmed).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let id = location_id(&r);
        assert_eq!(state_of(&h, id).await, "assigned");
        // the confirmation sent again (a double click, a reload) issues no second 交办单
        let before = h.audit_count().await;
        let again = post_form(&staff, format!("{}/problems", h.base), &confirmed).await;
        assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.text().await.unwrap().contains("同一事项刚刚已登记"));
        assert_eq!(h.audit_count().await, before);

        let zjju = h.signed_in("zjju").await;
        let jtju = h.signed_in("jtju").await;
        let owner = h.signed_in("owner").await;
        let leader = h.signed_in("leader").await;
        let url = format!("{}/problems/{id}", h.base);
        assert_eq!(status(&zjju, &url).await, StatusCode::OK);
        assert_eq!(status(&leader, &url).await, StatusCode::OK);
        assert_eq!(status(&jtju, &url).await, StatusCode::NOT_FOUND);
        assert_eq!(status(&owner, &url).await, StatusCode::NOT_FOUND);
        // the other side's steps: 404 out of scope, 403 in scope; nothing changes
        assert_eq!(
            step(&h, &jtju, id, "reply", "x").await,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            step(&h, &zjju, id, "close", "").await,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            step(&h, &leader, id, "withdraw", "x").await,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            step(&h, &staff, id, "reply", "x").await,
            StatusCode::FORBIDDEN
        );
        assert_eq!(state_of(&h, id).await, "assigned");
        // the unit sees the assignment as unread in its navigation
        let todo = zjju
            .get(format!("{}/todo", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            todo.contains("unread-badge") && todo.contains("城南路征拆"),
            "{todo}"
        );

        assert_eq!(
            step(&h, &zjju, id, "reply", "已约谈2户").await,
            StatusCode::SEE_OTHER
        );
        assert_eq!(
            step(&h, &zjju, id, "request_closure", "3户全部签约").await,
            StatusCode::SEE_OTHER
        );
        // returning needs a reason, given at the form
        assert_eq!(
            step(&h, &staff, id, "return", "").await,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            step(&h, &staff, id, "return", "缺少签约材料").await,
            StatusCode::SEE_OTHER
        );
        assert_eq!(state_of(&h, id).await, "in_progress");
        assert_eq!(
            step(&h, &zjju, id, "request_closure", "补充签约材料").await,
            StatusCode::SEE_OTHER
        );
        assert_eq!(
            step(&h, &staff, id, "close", "").await,
            StatusCode::SEE_OTHER
        );
        assert_eq!(state_of(&h, id).await, "closed");
        // a stale form changes nothing
        let csrf = h.csrf_of(&staff, "/todo").await;
        let r = post_form(
            &staff,
            format!("{}/problems/{id}/step", h.base),
            &[
                ("csrf", &csrf),
                ("version", "1"),
                ("step", "reopen"),
                ("note", "x"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::CONFLICT);

        // the 交办单 as Word: the handling unit may read it, another unit not
        let mut tx = h.app.db.begin_read().await.unwrap();
        let docs = keyproj_db::repo::problems::documents::documents_of_item(&mut tx, id.into())
            .await
            .unwrap();
        drop(tx);
        assert_eq!(docs.len(), 1);
        let docx = zjju
            .get(format!("{}/documents/{}.docx", h.base, docs[0].id))
            .send()
            .await
            .unwrap();
        assert_eq!(docx.status(), StatusCode::OK);
        let text = keyproj_office::docx::text_of(&docx.bytes().await.unwrap()).unwrap();
        assert!(text.contains("重点项目问题交办单"), "{text}");
        assert!(
            text.contains(&docs[0].number)
                && text.contains("城南路征拆")
                && text.contains("县住房和城乡建设局："),
            "{text}"
        );
        let fonts = keyproj_office::docx::east_asian_fonts(
            &zjju
                .get(format!("{}/documents/{}.docx", h.base, docs[0].id))
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap(),
        )
        .unwrap();
        assert!(
            fonts.iter().any(|f| f == "方正小标宋简体") && fonts.iter().any(|f| f == "仿宋_GB2312")
        );
        assert_eq!(
            status(&jtju, &format!("{}/documents/{}.docx", h.base, docs[0].id)).await,
            StatusCode::NOT_FOUND
        );
        let page = zjju
            .get(format!("{}/documents/{}", h.base, docs[0].id))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("id=\"doc-number\"") && page.contains(&docs[0].number));

        // the API: each unit lists only its items
        let api = client();
        let list = |token: String| {
            let api = api.clone();
            let url = format!("{}/api/v1/problems", h.base);
            async move {
                api.get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .json::<serde_json::Value>()
                    .await
                    .unwrap()
            }
        };
        assert_eq!(
            list(h.token("zjju").await).await.as_array().unwrap().len(),
            1
        );
        assert_eq!(
            list(h.token("jtju").await).await.as_array().unwrap().len(),
            0
        );
        let r = api
            .get(format!("{}/api/v1/problems/{id}", h.base))
            .bearer_auth(h.token("jtju").await)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        // pages of the center are not for units
        assert_eq!(
            status(&zjju, &format!("{}/problems/settings", h.base)).await,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            status(&zjju, &format!("{}/meetings", h.base)).await,
            StatusCode::FORBIDDEN
        );
    }
}

#[tokio::test]
async fn the_api_runs_the_workflow_and_an_owner_raises_from_a_report() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let [_, zj, jt, _] = h.units;
        let [p1, _] = h.projects;
        let api = client();
        let staff = h.token("staff").await;
        // a filter value no select offers is refused at its field, on the API and the page,
        // instead of quietly listing everything
        for (query, field) in [
            ("state=foo", "state"),
            ("year=abc", "year"),
            ("unit=-3", "unit"),
            ("source=%E6%97%A0", "source"),
            ("open=yes", "open"),
            ("per_page=abc", "per_page"),
            ("open=2", "open"),
            ("year=1999", "year"),
            ("unit=99999", "unit"),
            ("project=99999", "project"),
        ] {
            let r = api
                .get(format!("{}/api/v1/problems?{query}", h.base))
                .bearer_auth(&staff)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
            let body = r.text().await.unwrap();
            assert!(body.contains(&format!("\"{field}\"")), "{query}: {body}");
        }
        // a page number out of range is clamped, not refused: 0 and below are the first page, a
        // number too long to read the last; a size of 0 is one item
        for (query, page, size) in [
            ("page=0&per_page=0", "1", 1),
            ("page=-5", "1", 50),
            ("page=99999999999999999999&per_page=2", "last", 2),
        ] {
            let r = api
                .get(format!("{}/api/v1/problems?{query}", h.base))
                .bearer_auth(&staff)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{query}");
            let total: i64 = r.headers()["x-total-count"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            let shown = r.headers()["x-page"].to_str().unwrap().to_string();
            let expected = match page {
                "last" => ((total + size - 1) / size).max(1).to_string(),
                p => p.to_string(),
            };
            assert_eq!(shown, expected, "{query}");
            let items: Vec<serde_json::Value> = r.json().await.unwrap();
            assert!(items.len() as i64 <= size, "{query}");
        }
        let r = api
            .get(format!("{}/api/v1/problems?state=foo&kind=k", h.base))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap();
        let e: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            e["fields"].as_array().unwrap().len(),
            2,
            "both at once: {e}"
        );
        let page = h.signed_in("staff").await;
        let r = page
            .get(format!("{}/problems?state=foo&q=hello&overdue=1", h.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = r.text().await.unwrap();
        assert!(body.contains("“foo”无效"), "{body}");
        // the list page comes back with the form as sent, not a bare error page
        assert!(body.contains("id=\"problem-filters\""));
        assert!(body.contains("value=\"hello\""));
        assert!(body.contains("name=\"overdue\" value=\"1\" checked"));
        assert!(body.contains("未列出任何事项") && !body.contains("共 0 项"));
        assert!(
            !body.contains("暂无") && !body.contains("<th>编号</th>"),
            "no table"
        );
        // an id that names no unit of the county comes back the same way
        let r = page
            .get(format!("{}/problems?unit=99999", h.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = r.text().await.unwrap();
        assert!(body.contains("承办单位“99999”不存在或不在本辖区"), "{body}");
        // filters only a link sets are kept in the form and named
        let body = page
            .get(format!("{}/problems?year=2026&alert=%E7%BA%A2", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(body.contains("<input type=\"hidden\" name=\"year\" value=\"2026\">"));
        assert!(
            body.contains("督办等级：红色督办函"),
            "红 is accepted and named"
        );
        let ok = api
            .get(format!(
                "{}/api/v1/problems?state=%E5%B7%B2%E4%BA%A4%E5%8A%9E&year=2026",
                h.base
            ))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK, "a Chinese label is accepted");
        let r = api
            .post(format!("{}/api/v1/problems", h.base))
            .bearer_auth(&staff)
            .json(&serde_json::json!({
                "kind": "task", "source": "领导批示", "category": "资金", "level": "3",
                "title": "协调专项债资金", "assign": {"handler_unit_id": jt, "assisting_unit_ids": [zj]}
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let reg: serde_json::Value = r.json().await.unwrap();
        let id = reg["id"].as_i64().unwrap();
        assert!(reg["number"].as_str().unwrap().starts_with("桃重项交〔"));
        // a page past the end shows the last page and says which
        let r = api
            .get(format!("{}/api/v1/problems?per_page=1&page=9999", h.base))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap();
        let total: i64 = r.headers()["x-total-count"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(total >= 1);
        assert_eq!(r.headers()["x-page"].to_str().unwrap(), total.to_string());
        let last: Vec<serde_json::Value> = r.json().await.unwrap();
        assert_eq!(last.len(), 1, "the last page's item, not an empty list");
        // the assisting unit sees it too, but may not reply for the handler
        let zj_token = h.token("zjju").await;
        let item: serde_json::Value = api
            .get(format!("{}/api/v1/problems/{id}", h.base))
            .bearer_auth(&zj_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(item["state"], "assigned");
        assert!(item["steps"].as_array().unwrap().is_empty());
        let r = api
            .post(format!("{}/api/v1/problems/{id}/steps", h.base))
            .bearer_auth(&zj_token)
            .json(&serde_json::json!({"step": "reply", "version": item["version"], "note": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = api
            .post(format!("{}/api/v1/problems/{id}/steps", h.base))
            .bearer_auth(h.token("jtju").await)
            .json(&serde_json::json!({"step": "request_closure", "version": item["version"], "note": "资金已到位"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.json::<serde_json::Value>().await.unwrap()["state"],
            "closure_requested"
        );

        // an owner's report problem becomes an item in one click
        h.plan(p1, 2026).await;
        let owner = h.signed_in("owner").await;
        let csrf = h.csrf_of(&owner, &format!("/reports/{p1}/2026-10")).await;
        let r = post_form(
            &owner,
            format!("{}/reports/{p1}/2026-10", h.base),
            &[
                ("csrf", &csrf),
                ("op", "submit"),
                ("month_investment_wan", "100"),
                ("progress", "基础施工"),
                ("problems", "施工用电未接通，需供电公司协调"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let form = owner
            .get(format!("{}/reports/{p1}/2026-10", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(form.contains("raise-problem"));
        let r = post_form(
            &owner,
            format!("{}/reports/{p1}/2026-10/raise", h.base),
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let raised = location_id(&r);
        let page = owner
            .get(format!("{}/problems/{raised}", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("施工用电未接通") && page.contains("月报存在问题"));
        // the center finds it waiting to be assigned
        let todo: serde_json::Value = api
            .get(format!("{}/api/v1/todo", h.base))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            todo["to_assign"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == raised)
        );
        assert!(
            todo["to_verify"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == id)
        );
        // the annual figures count the items
        let annual: serde_json::Value = api
            .get(format!("{}/api/v1/stats/annual?year=2026", h.base))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(annual["problems"]["raised"], 2, "{annual}");
        assert_eq!(annual["problems"]["assigned"], 1);
        assert_eq!(annual["meetings"]["count"], 0);
    }
}

#[tokio::test]
async fn statistics_per_unit_on_a_hand_computed_dataset() {
    use keyproj_domain::problem::{AssignDraft as AssignInput, ItemDraft as ItemInput};
    use keyproj_service::problems::items as svc;
    use keyproj_service::problems::workflow::{StepInput, act};
    for t in TestDb::all().await {
        let h = harness(t).await;
        let [center, zj, jt, _] = h.units;
        let staff = keyproj_service::Ctx {
            actor: keyproj_domain::authz::Actor {
                user_id: None,
                username: "staff".into(),
                roles: vec![keyproj_domain::authz::Role::CenterStaff],
                unit_id: Some(center.into()),
                region: keyproj_domain::RegionCode::parse("430922").unwrap(),
            },
            ip: "t".into(),
        };
        let unit = |u: i64| keyproj_service::Ctx {
            actor: keyproj_domain::authz::Actor {
                roles: vec![keyproj_domain::authz::Role::UnitUser],
                unit_id: Some(u.into()),
                ..staff.actor.clone()
            },
            ..staff.clone()
        };
        let today = h.app.local_today();
        let far = (today + chrono::Duration::days(60))
            .format("%Y-%m-%d")
            .to_string();
        let input = |t: &str, c: &str| ItemInput {
            kind: "problem".into(),
            source: "site_meeting".into(),
            category: c.into(),
            level: "1".into(),
            title: t.into(),
            ..Default::default()
        };
        let assign = |u: i64| AssignInput {
            handler_unit_id: Some(u.into()),
            deadline: far.clone(),
            ..Default::default()
        };
        // 住建局: 3 assigned, 2 closed; 交通局: 1 assigned, 0 closed; 1 registered only
        let mut zj_items = vec![];
        for (i, c) in ["land", "land", "funding"].iter().enumerate() {
            zj_items.push(
                svc::register(
                    &h.app,
                    &staff,
                    &input(&format!("住建{i}"), c),
                    Some(&assign(zj)),
                    Default::default(),
                )
                .await
                .unwrap()
                .id,
            );
        }
        svc::register(
            &h.app,
            &staff,
            &input("交通0", "utilities"),
            Some(&assign(jt)),
            Default::default(),
        )
        .await
        .unwrap();
        svc::register(
            &h.app,
            &staff,
            &input("未交办", "other"),
            None,
            Default::default(),
        )
        .await
        .unwrap();
        for id in &zj_items[..2] {
            let v = |h: &Harness| {
                let app = h.app.clone();
                let id = *id;
                async move {
                    svc::get(&app, &staff_ctx(&app).await, id)
                        .await
                        .unwrap()
                        .item
                        .version
                }
            };
            let s = |step: &str, note: &str, version: i64| StepInput {
                step: step.into(),
                version,
                note: note.into(),
                ..Default::default()
            };
            act(
                &h.app,
                &unit(zj),
                *id,
                &s("request_closure", "已解决", v(&h).await),
            )
            .await
            .unwrap();
            act(&h.app, &staff, *id, &s("close", "", v(&h).await))
                .await
                .unwrap();
        }
        use chrono::Datelike;
        let st = keyproj_service::problems::stats::stats(&h.app, &staff, today.year(), None)
            .await
            .unwrap();
        let zj_row = st.units.iter().find(|u| u.unit_id == zj).unwrap();
        assert_eq!((zj_row.assigned, zj_row.closed, zj_row.overdue), (3, 2, 0));
        assert_eq!(zj_row.closure_rate_pct, 66.7);
        assert_eq!(zj_row.on_time_rate_pct, 100.0);
        assert_eq!(zj_row.avg_days, 0.0);
        let jt_row = st.units.iter().find(|u| u.unit_id == jt).unwrap();
        assert_eq!(
            (jt_row.assigned, jt_row.closed, jt_row.closure_rate_pct),
            (1, 0, 0.0)
        );
        let land = st.by_category.iter().find(|g| g.label == "用地").unwrap();
        assert_eq!((land.raised, land.closed), (2, 2));
        let total_raised: i64 = st.by_source.iter().map(|r| r.raised).sum();
        assert_eq!(total_raised, 5);
        // the page and its export show the same
        let c = h.signed_in("staff").await;
        let page = c
            .get(format!("{}/problems/stats", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("66.7%"), "{page}");
        let x = c
            .get(format!("{}/problems/stats.xlsx", h.base))
            .send()
            .await
            .unwrap();
        assert_eq!(x.status(), StatusCode::OK);
        let bytes = x.bytes().await.unwrap();
        assert_eq!(&bytes[..2], b"PK");
        // rates are numbers formatted as percentages (WPS can sum them), not text
        {
            use calamine::{Data, Reader, Xlsx};
            let mut book = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
            let sheet = book.worksheet_range_at(0).unwrap().unwrap();
            let rates: Vec<&Data> = sheet.rows().skip(2).map(|r| &r[3]).collect();
            assert!(!rates.is_empty());
            assert!(
                rates
                    .iter()
                    .all(|d| matches!(d, Data::Float(v) if (0.0..=1.0).contains(v))),
                "{rates:?}"
            );
        }
        // the public board shows the units' figures without login, and no item texts or people
        let board = client()
            .get(format!("{}/board/problems", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            board.contains("board-units") && board.contains("66.7%"),
            "{board}"
        );
        assert!(!board.contains("住建0") && !board.contains("staff"));
    }
}

/// A center-staff context for reading in helpers.
async fn staff_ctx(app: &keyproj_service::App) -> keyproj_service::Ctx {
    keyproj_service::Ctx::system(app.cfg.default_region.clone())
}

#[tokio::test]
async fn attachments_are_checked_by_content_and_private_to_the_item() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let [_, zj, _, _] = h.units;
        let staff = h.signed_in("staff").await;
        let csrf = h.csrf_of(&staff, "/problems/new").await;
        let zj_s = zj.to_string();
        let r = post_form(
            &staff,
            format!("{}/problems", h.base),
            &[
                ("csrf", &csrf),
                ("title", "用地报批"),
                ("kind", "problem"),
                ("source", "site_meeting"),
                ("category", "land"),
                ("level", "2"),
                ("handler", &zj_s),
                ("confirmed", "1"),
            ],
        )
        .await;
        let id = location_id(&r);
        let zjju = h.signed_in("zjju").await;
        let csrf = h.csrf_of(&zjju, &format!("/problems/{id}")).await;
        let upload = |bytes: Vec<u8>, name: &str| {
            reqwest::multipart::Form::new()
                .text("csrf", csrf.clone())
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
                )
        };
        let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF".to_vec();
        let r = zjju
            .post(format!("{}/problems/{id}/attachments", h.base))
            .multipart(upload(pdf.clone(), "../../批复文件.pdf"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        // a script named like a PDF is refused by its content
        let r = zjju
            .post(format!("{}/problems/{id}/attachments", h.base))
            .multipart(upload(b"<script>alert(1)</script>".to_vec(), "x.pdf"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("“x.pdf”：只能上传 PDF"));
        // four files at once are refused as a whole (none stored), an empty chosen file is named
        let mut four = reqwest::multipart::Form::new().text("csrf", csrf.clone());
        for k in 0..4 {
            four = four.part(
                "file",
                reqwest::multipart::Part::bytes(pdf.clone()).file_name(format!("a{k}.pdf")),
            );
        }
        let r = zjju
            .post(format!("{}/problems/{id}/attachments", h.base))
            .multipart(four)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("一次最多上传3个附件"));
        let r = zjju
            .post(format!("{}/problems/{id}/attachments", h.base))
            .multipart(upload(vec![], "空.pdf"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("“空.pdf”：是空文件"));
        let mut tx = h.app.db.begin_read().await.unwrap();
        let files = keyproj_db::repo::attachments::attachments_of(
            &mut tx,
            keyproj_domain::attachment::Owner::Item(id.into()),
        )
        .await
        .unwrap();
        drop(tx);
        assert_eq!(files.len(), 1);
        assert_eq!(
            files[0].file_name, "批复文件.pdf",
            "no path from the client"
        );
        let url = format!("{}/attachments/{}", h.base, files[0].id);
        let got = staff.get(&url).send().await.unwrap();
        assert_eq!(got.headers()["content-type"], "application/pdf");
        assert_eq!(got.bytes().await.unwrap().to_vec(), pdf);
        assert_eq!(
            status(&h.signed_in("jtju").await, &url).await,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            status(&h.signed_in("owner").await, &url).await,
            StatusCode::NOT_FOUND
        );
        // another unit cannot attach to it
        let jt = h.signed_in("jtju").await;
        let r = jt
            .post(format!("{}/problems/{id}/attachments", h.base))
            .multipart(
                reqwest::multipart::Form::new()
                    .text("csrf", h.csrf_of(&jt, "/todo").await)
                    .part(
                        "file",
                        reqwest::multipart::Part::bytes(pdf.clone()).file_name("x.pdf"),
                    ),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn meetings_through_the_api_assign_their_decisions_and_issue_minutes() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let [_, zj, _, _] = h.units;
        let api = client();
        let staff = h.token("staff").await;
        let post = |path: &str, body: serde_json::Value, token: &str| {
            api.post(format!("{}/api/v1{path}", h.base))
                .bearer_auth(token.to_string())
                .json(&body)
                .send()
        };
        let r = post("/meetings", serde_json::json!({"kind": "现场办公会", "held_on": "2026-01-05", "place": "项目现场", "minutes": "研究征拆"}), &staff).await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let m = r.json::<serde_json::Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();
        let bad = post(
            "/meetings",
            serde_json::json!({"kind": "茶话会", "held_on": "2026-13-01"}),
            &staff,
        )
        .await
        .unwrap();
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let r = post(&format!("/meetings/{m}/items"), serde_json::json!({"kind": "task", "category": "征拆", "level": "3", "title": "一周内完成签约", "assign": {"handler_unit_id": zj}}), &staff).await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let r = post(
            &format!("/meetings/{m}/minutes"),
            serde_json::json!({}),
            &staff,
        )
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let again = post(
            &format!("/meetings/{m}/minutes"),
            serde_json::json!({}),
            &staff,
        )
        .await
        .unwrap();
        assert_eq!(
            again.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "minutes are issued once"
        );
        let d: serde_json::Value = api
            .get(format!("{}/api/v1/meetings/{m}", h.base))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(d["items"][0]["source"], "site_meeting");
        assert_eq!(d["items"][0]["state"], "assigned");
        assert_eq!(d["items"][0]["raised_on"], "2026-01-05");
        assert_eq!(d["documents"][0]["kind"], "minutes");
        // units neither list nor read meetings
        let unit = h.token("zjju").await;
        let r = api
            .get(format!("{}/api/v1/meetings", h.base))
            .bearer_auth(&unit)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = api
            .get(format!("{}/api/v1/meetings/{m}", h.base))
            .bearer_auth(&unit)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = post("/patrols", serde_json::json!({"patrol_on": "2026-01-06", "inspector": "李工", "findings": "围挡缺失"}), &unit).await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
}

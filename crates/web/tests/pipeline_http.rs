//! 招商签约 over HTTP on both engines: events and signed projects through the page, entry into
//! the project library at the threshold, bad input at the field, and who may see it.

mod common;

use common::*;
use keyproj_db::testing::TestDb;
use reqwest::StatusCode;

#[tokio::test]
async fn signing_through_the_page() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let staff = h.signed_in("staff").await;
        let csrf = h.csrf_of(&staff, "/pipeline").await;
        let post = |path: &'static str, fields: Vec<(&'static str, String)>| {
            let (staff, csrf, url) = (&staff, csrf.clone(), format!("{}{path}", h.base));
            async move {
                let mut form = vec![("csrf", csrf)];
                form.extend(fields);
                staff.post(url).form(&form).send().await.unwrap()
            }
        };
        let r = post(
            "/pipeline/events",
            vec![
                ("name", "2026年第一次集中签约".into()),
                ("held_on", "2026-03-18".into()),
                ("place", "县会议中心".into()),
                ("organiser", "县人民政府".into()),
                ("level", "county".into()),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, page) = h.page(&staff, "/pipeline").await;
        let event = page
            .split("/pipeline?event=")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .to_string();
        let signed = |name: &'static str, no: &'static str, wan: &'static str| {
            vec![
                ("event_id", event.clone()),
                ("name", name.to_string()),
                ("investor", format!("{name}公司")),
                ("contract_no", no.to_string()),
                ("contract_on", "2026-03-18".to_string()),
                ("agreed_investment_wan", wan.to_string()),
                ("industry", "manufacturing".to_string()),
                ("expected_start", "2026-09".to_string()),
            ]
        };
        let r = post("/pipeline/signed", signed("锑业技改扩能", "QY-1", "40000")).await;
        assert_eq!(r.headers()["location"], "/pipeline?done=entered");
        let r = post("/pipeline/signed", signed("农机装配", "QY-2", "3000")).await;
        assert_eq!(r.headers()["location"], "/pipeline?done=pipeline");
        let (_, page) = h.page(&staff, "/pipeline").await;
        assert!(
            page.contains("id=\"signed-count\">2<") && page.contains("id=\"entered-count\">1<")
        );
        let (_, projects) = h.page(&staff, "/projects?q=锑业").await;
        assert!(projects.contains("锑业技改扩能") && projects.contains("签约"));

        // bad input: the message at the field, what was typed kept, nothing written
        let before = h.audit_count().await;
        let r = post("/pipeline/signed", signed("另一项目", "QY-1", "-5")).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = r.text().await.unwrap();
        assert!(page.contains("另一项目") && page.contains("has-error"));
        let mut crafted = signed("越界", "QY-9", "8000");
        crafted[0].1 = "999999".into();
        let r = post("/pipeline/signed", crafted).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("签约活动不存在"));
        assert_eq!(h.audit_count().await, before);

        // owners and departments do not see the pipeline; the leader does
        for user in ["owner", "zjju"] {
            let c = h.signed_in(user).await;
            assert_eq!(
                h.page(&c, "/pipeline").await.0,
                StatusCode::NOT_FOUND,
                "{user}"
            );
        }
        let leader = h.signed_in("leader").await;
        let (status, page) = h.page(&leader, "/pipeline").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            !page.contains("signed-form"),
            "the leader reads, staff record"
        );
    }
}

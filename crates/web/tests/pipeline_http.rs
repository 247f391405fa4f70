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

        // the list as a workbook, with the amounts as numbers
        let x = staff
            .get(format!("{}/pipeline.xlsx", h.base))
            .send()
            .await
            .unwrap();
        assert_eq!(x.status(), StatusCode::OK);
        let bytes = x.bytes().await.unwrap();
        {
            use calamine::{Data, Reader, Xlsx};
            let mut book = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
            let sheet = book.worksheet_range_at(0).unwrap().unwrap();
            let amounts: Vec<f64> = sheet
                .rows()
                .filter_map(|r| match &r[6] {
                    Data::Float(v) => Some(*v),
                    _ => None,
                })
                .collect();
            assert_eq!(amounts, [40000.0, 3000.0, 43000.0], "rows and the total");
        }

        // owners and departments do not see the pipeline, nor its export; the leader does
        for user in ["owner", "zjju"] {
            let c = h.signed_in(user).await;
            for path in ["/pipeline", "/pipeline.xlsx"] {
                assert_eq!(
                    h.page(&c, path).await.0,
                    StatusCode::NOT_FOUND,
                    "{user} {path}"
                );
            }
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

#[tokio::test]
async fn signing_through_the_api() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let api = reqwest::Client::new();
        let staff = h.token("staff").await;
        let r = api
            .post(format!("{}/api/v1/signing/events", h.base))
            .bearer_auth(&staff)
            .json(
                &serde_json::json!({"name": "集中签约", "held_on": "2026-03-18", "level": "县级"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let event = r.json::<serde_json::Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();
        let body = |no: &str, wan: &str| {
            serde_json::json!({"event_id": event, "name": "风电项目", "investor": "某能源公司",
                "contract_no": no, "contract_on": "2026-03-18", "agreed_investment_wan": wan,
                "industry": "能源"})
        };
        let r = api
            .post(format!("{}/api/v1/signing/projects", h.base))
            .bearer_auth(&staff)
            .json(&body("API-1", "160000"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let created: serde_json::Value = r.json().await.unwrap();
        assert!(created["project_id"].as_i64().is_some(), "{created}");
        // unknown fields, a duplicate contract and an absurd amount are refused in Chinese
        let mut extra = body("API-2", "100");
        extra["surprise"] = serde_json::json!(1);
        for (b, field, status) in [
            (extra, "", StatusCode::BAD_REQUEST),
            (
                body("API-1", "100"),
                "contract_no",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                body("API-3", "99999999999"),
                "agreed_investment_wan",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
        ] {
            let r = api
                .post(format!("{}/api/v1/signing/projects", h.base))
                .bearer_auth(&staff)
                .json(&b)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), status);
            let e: serde_json::Value = r.json().await.unwrap();
            assert!(
                e["message"]
                    .as_str()
                    .unwrap()
                    .chars()
                    .any(|c| c > '\u{4e00}'),
                "{e}"
            );
            if !field.is_empty() {
                assert_eq!(e["fields"][0]["field"], field, "{e}");
            }
        }
        let list: serde_json::Value = api
            .get(format!(
                "{}/api/v1/signing/projects?event_id={event}",
                h.base
            ))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list.as_array().unwrap().len(), 1);
        let r = api
            .get(format!("{}/api/v1/signing/projects?event_id=abc", h.base))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // an owner's token: the pipeline is not theirs (404), recording is not theirs (403)
        let owner = h.token("owner").await;
        let r = api
            .get(format!("{}/api/v1/signing/projects", h.base))
            .bearer_auth(&owner)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = api
            .post(format!("{}/api/v1/signing/projects", h.base))
            .bearer_auth(&owner)
            .json(&body("API-9", "100"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
}

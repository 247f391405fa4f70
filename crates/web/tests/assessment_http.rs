//! 考核办法 over HTTP on both engines: the example drafted, adopted after a confirmation and
//! frozen; who may see and do it.

mod common;

use common::*;
use keyproj_db::testing::TestDb;
use reqwest::StatusCode;

#[tokio::test]
async fn rules_are_drafted_and_adopted_through_the_page() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let staff = h.signed_in("staff").await;
        let csrf = h.csrf_of(&staff, "/assessment/rules?year=2026").await;
        let post = |path: &str, fields: Vec<(&str, &str)>| {
            let (staff, url) = (&staff, format!("{}{path}", h.base));
            let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf.clone())];
            form.extend(
                fields
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            );
            async move { staff.post(url).form(&form).send().await.unwrap() }
        };
        let r = post("/assessment/rules/draft", vec![("year", "2026")]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, page) = h.page(&staff, "/assessment/rules?year=2026").await;
        assert!(
            page.contains("示例") && page.contains("年度投资完成率") && page.contains("一票否决")
        );
        // adopting asks first and changes nothing until confirmed
        let before = h.audit_count().await;
        let fields = vec![
            ("year", "2026"),
            ("doc_number", "桃重项办发〔2026〕3号"),
            ("adopted_on", "2026-03-01"),
        ];
        let r = post("/assessment/rules/adopt", fields.clone()).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap().contains("确认印发"));
        assert_eq!(h.audit_count().await, before);
        let mut confirmed = fields.clone();
        confirmed.push(("confirmed", "1"));
        let r = post("/assessment/rules/adopt", confirmed.clone()).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, page) = h.page(&staff, "/assessment/rules?year=2026").await;
        assert!(page.contains("现行：第1版") && page.contains("桃重项办发〔2026〕3号"));
        // nothing left to adopt: a Chinese message, nothing written
        let before = h.audit_count().await;
        let r = post("/assessment/rules/adopt", confirmed).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("没有待印发的草稿"));
        assert_eq!(h.audit_count().await, before);
        // units read the rules; only staff draft; owners do not see them
        let unit = h.signed_in("zjju").await;
        assert_eq!(
            h.page(&unit, "/assessment/rules?year=2026").await.0,
            StatusCode::OK
        );
        let ucsrf = h.csrf_of(&unit, "/assessment/rules?year=2026").await;
        let r = unit
            .post(format!("{}/assessment/rules/draft", h.base))
            .form(&[("csrf", ucsrf.as_str()), ("year", "2027")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let owner = h.signed_in("owner").await;
        assert_eq!(
            h.page(&owner, "/assessment/rules?year=2026").await.0,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn rules_through_the_api() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let api = reqwest::Client::new();
        let staff = h.token("staff").await;
        let url = |p: &str| format!("{}/api/v1/assessment/rules{p}", h.base);
        let r = api
            .post(url("/draft"))
            .bearer_auth(&staff)
            .json(&serde_json::json!({"year": 2026}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let got: serde_json::Value = api
            .get(url("?year=2026"))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let draft = &got["draft"];
        let version = draft["version"].as_i64().unwrap();
        let mut tables = draft["tables"].clone();
        // weights that do not add up: a Chinese message, nothing written
        tables[0]["indicators"][0]["max"] = serde_json::json!(3000);
        let r = api
            .put(url("/draft"))
            .bearer_auth(&staff)
            .json(&serde_json::json!({"year": 2026, "title": "考核办法", "tables": tables, "version": version}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let e: serde_json::Value = r.json().await.unwrap();
        assert!(
            e["message"].as_str().unwrap().contains("合计应为100分"),
            "{e}"
        );
        // a rule of an unknown kind is refused before anything is read
        let mut odd = draft["tables"].clone();
        odd[0]["indicators"][0]["rule"] = serde_json::json!({"kind": "formula", "text": "x*2"});
        let r = api
            .put(url("/draft"))
            .bearer_auth(&staff)
            .json(&serde_json::json!({"year": 2026, "title": "考核办法", "tables": odd, "version": version}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let r = api
            .post(url("/adopt"))
            .bearer_auth(&staff)
            .json(&serde_json::json!({"year": 2026, "doc_number": "桃重项办发〔2026〕3号", "adopted_on": "2026-03-01"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let got: serde_json::Value = api
            .get(url("?year=2026"))
            .bearer_auth(&h.token("leader").await)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(got["versions"][0]["version_no"], 1);
        assert!(got["draft"].is_null());
    }
}

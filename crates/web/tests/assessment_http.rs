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

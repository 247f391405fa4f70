//! 部门整体支出绩效自评 over the API on both engines: the ledger kept by staff when it
//! reconciles, refused in Chinese with nothing written when it does not, not found for units,
//! and the year's score with its grade.

mod common;

use common::*;
use keyproj_db::testing::TestDb;
use reqwest::StatusCode;

#[tokio::test]
async fn the_ledger_and_the_score_through_the_api() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let api = reqwest::Client::new();
        let staff = h.token("staff").await;
        let unit = h.token("zjju").await;
        let url = |p: &str| format!("{}/api/v1/self-evaluation{p}", h.base);
        let ledger = serde_json::to_value(keyproj_domain::evaluation::reference_ledger()).unwrap();
        // a line off: Chinese, nothing written
        let mut bad = ledger.clone();
        bad["project"] = serde_json::json!(1_000_000);
        let before = h.audit_count().await;
        let r = api
            .put(url("/2022/ledger"))
            .bearer_auth(&staff)
            .json(&serde_json::json!({"ledger": bad}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("项目支出"));
        assert_eq!(h.audit_count().await, before);
        // the page says what is missing before the ledger is kept
        let staff_page = h.signed_in("staff").await;
        let (_, page) = h.page(&staff_page, "/self-evaluation?year=2022").await;
        assert!(page.contains("尚未录入"), "{page}");
        // units may not keep it, nor read it
        let r = api
            .put(url("/2022/ledger"))
            .bearer_auth(&unit)
            .json(&serde_json::json!({"ledger": ledger}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = api
            .put(url("/2022/ledger"))
            .bearer_auth(&staff)
            .json(&serde_json::json!({"ledger": ledger}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let r = api
            .get(url("/2022/ledger"))
            .bearer_auth(&unit)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let got: serde_json::Value = api
            .get(url("/2022"))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(got["evaluation"]["grade"], "优", "{got}");
        assert_eq!(got["evaluation"]["total"], 10000);
        // the page: the score table, the report's sentence, the workbook; not for units
        let (_, page) = h.page(&staff_page, "/self-evaluation?year=2022").await;
        assert!(
            page.contains("投入绩效为10分，过程绩效为30分，产出指标本年度不适用，效果绩效为30分，总绩效为100分。评价结果等次为“优”。"),
            "{page}"
        );
        let r = staff_page
            .get(format!("{}/self-evaluation/score.xlsx?year=2022", h.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let unit_page = h.signed_in("zjju").await;
        assert_eq!(
            h.page(&unit_page, "/self-evaluation?year=2022").await.0,
            StatusCode::NOT_FOUND
        );
        // a year that is not one is not found
        let r = api
            .get(url("/abc"))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
}

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

/// The ledger through its page: every amount in 万元 at its field, the totals checked, what was
/// typed kept on a refusal; then the score page grades the year.
#[tokio::test]
async fn the_ledger_through_its_page() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let staff = h.signed_in("staff").await;
        let csrf = h.csrf_of(&staff, "/self-evaluation/ledger?year=2022").await;
        let form = |basic_302: &str| {
            let mut f: Vec<(&str, String)> = vec![
                ("csrf", csrf.clone()),
                ("year", "2022".into()),
                ("version", "".into()),
                ("staff_quota", "10".into()),
                ("staff_actual", "9".into()),
                ("income_source", "一般公共预算财政拨款".into()),
                ("income_amount", "92.67".into()),
                ("budget_initial", "92.67".into()),
                ("basic", "74.68".into()),
                ("class_code", "301".into()),
                ("class_amount", "30.18".into()),
                ("class_code", "302".into()),
                ("class_amount", basic_302.into()),
                ("class_code", "310".into()),
                ("class_amount", "20.62".into()),
                ("project", "17.99".into()),
                ("p_name", "重点项目建设工作经费".into()),
                ("p_budget", "17.99".into()),
                ("p_spent", "17.99".into()),
                ("p_key", "1".into()),
                ("p_purpose", "调度与督查".into()),
                ("sg_0", "0".into()),
                ("operating_budget", "23.88".into()),
                ("operating_spent", "23.88".into()),
                ("payment_progress", "100".into()),
                ("violations", "0".into()),
            ];
            for k in ["rules_sound", "disclosure", "assets_safe"] {
                for i in 0..3 {
                    f.push((Box::leak(format!("{k}_{i}").into_boxed_str()), "1".into()));
                }
            }
            for (k, p) in [
                ("targets_reasonable", "2"),
                ("targets_clear", "2"),
                ("social_benefit", "10"),
                ("economic_benefit", "10"),
            ] {
                f.push((
                    Box::leak(format!("{k}_tier").into_boxed_str()),
                    "met".into(),
                ));
                f.push((Box::leak(format!("{k}_points").into_boxed_str()), p.into()));
                f.push((
                    Box::leak(format!("{k}_reason").into_boxed_str()),
                    "年度目标全部完成".into(),
                ));
            }
            f
        };
        let before = h.audit_count().await;
        // 增加一行: the form comes back with one more class row and what was typed, nothing saved
        let mut more = form("23.88");
        more.push(("action", "add_class".into()));
        let r = staff
            .post(format!("{}/self-evaluation/ledger", h.base))
            .form(&more)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let page = r.text().await.unwrap();
        assert_eq!(
            page.matches("class=\"class-code\"").count(),
            3 + 5,
            "three typed, five blank"
        );
        assert!(page.contains("重点项目建设工作经费"));
        assert_eq!(h.audit_count().await, before);
        // 302 typed short by 0.88: named, nothing written, what was typed still there
        let r = staff
            .post(format!("{}/self-evaluation/ledger", h.base))
            .form(&form("23.00"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = r.text().await.unwrap();
        assert!(page.contains("少了0.88万元"), "{page}");
        assert!(page.contains("重点项目建设工作经费") && page.contains("23.00"));
        assert_eq!(h.audit_count().await, before);
        // an amount that is not one is named at its field
        let mut bad = form("23.88");
        bad.push(("sangong_budget", "三万".into()));
        let r = staff
            .post(format!("{}/self-evaluation/ledger", h.base))
            .form(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("“三公”经费预算"));
        let r = staff
            .post(format!("{}/self-evaluation/ledger", h.base))
            .form(&form("23.88"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(h.audit_count().await, before + 1);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let (_, page) = h.page(&staff, &to).await;
        assert!(
            page.contains("账表已保存") && page.contains("评价结果等次为“优”"),
            "{page}"
        );
        // the form comes back filled from what was kept
        let (_, page) = h.page(&staff, "/self-evaluation/ledger?year=2022").await;
        assert!(page.contains("value=\"74.68\"") && page.contains("调度与督查"));
        // units do not find it; leaders read it but may not save it
        let unit = h.signed_in("zjju").await;
        assert_eq!(
            h.page(&unit, "/self-evaluation/ledger?year=2022").await.0,
            StatusCode::NOT_FOUND
        );
        let leader = h.signed_in("leader").await;
        assert_eq!(
            h.page(&leader, "/self-evaluation/ledger?year=2022").await.0,
            StatusCode::OK
        );
        let r = leader
            .post(format!("{}/self-evaluation/ledger", h.base))
            .form(&[
                (
                    "csrf",
                    h.csrf_of(&leader, "/self-evaluation/ledger?year=2022")
                        .await,
                ),
                ("year", "2022".into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        // a year that is not one, or not over yet
        assert_eq!(
            h.page(&staff, "/self-evaluation?year=abc").await.0,
            StatusCode::NOT_FOUND
        );
        let mut this_year = form("23.88");
        this_year.retain(|(k, _)| *k != "year");
        this_year.push(("year", h.app.local_today().format("%Y").to_string()));
        let r = staff
            .post(format!("{}/self-evaluation/ledger", h.base))
            .form(&this_year)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("已结束年度"));
    }
}

/// The template through its page: weights shown per node; a total that is not 100 refused with
/// what was typed kept; grades and basis saved; leaders read, units do not find it.
#[tokio::test]
async fn the_template_through_its_page() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let staff = h.signed_in("staff").await;
        let (status, page) = h.page(&staff, "/self-evaluation/template?year=2022").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("name=\"w_0\" value=\"10\""), "{page}");
        assert!(page.contains("尚未保存本县模板"));
        let csrf = h
            .csrf_of(&staff, "/self-evaluation/template?year=2022")
            .await;
        // every field as shown, with 投入 typed as 12
        let html = page.clone();
        let mut form: Vec<(String, String)> = vec![
            ("csrf".into(), csrf.clone()),
            ("year".into(), "2022".into()),
            ("version".into(), String::new()),
            ("basis".into(), "桃财监〔2023〕63号".into()),
        ];
        for (i, _) in html.match_indices("name=\"w_") {
            let rest = &html[i + 6..];
            let name: String = rest.chars().take_while(|c| *c != '"').collect();
            let v = rest.split("value=\"").nth(1).unwrap();
            let value: String = v.chars().take_while(|c| *c != '"').collect();
            form.push((name, value));
        }
        for (i, v) in ["90", "80", "60", "0"].iter().enumerate() {
            form.push((format!("g_{i}"), v.to_string()));
        }
        let mut bad = form.clone();
        bad.iter_mut().find(|(k, _)| k == "w_0").unwrap().1 = "12".into();
        let before = h.audit_count().await;
        let r = staff
            .post(format!("{}/self-evaluation/template", h.base))
            .form(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("合计应为100分") && html.contains("value=\"12\""),
            "{html}"
        );
        assert_eq!(h.audit_count().await, before);
        let r = staff
            .post(format!("{}/self-evaluation/template", h.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, page) = h.page(&staff, "/self-evaluation/template?year=2022").await;
        assert!(page.contains("已采用本县的评价模板") && page.contains("桃财监〔2023〕63号"));
        let leader = h.signed_in("leader").await;
        assert_eq!(
            h.page(&leader, "/self-evaluation/template?year=2022")
                .await
                .0,
            StatusCode::OK
        );
        let r = leader
            .post(format!("{}/self-evaluation/template", h.base))
            .form(&[
                (
                    "csrf",
                    h.csrf_of(&leader, "/self-evaluation/template?year=2022")
                        .await,
                ),
                ("year", "2022".into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let unit = h.signed_in("zjju").await;
        assert_eq!(
            h.page(&unit, "/self-evaluation/template?year=2022").await.0,
            StatusCode::NOT_FOUND
        );
    }
}

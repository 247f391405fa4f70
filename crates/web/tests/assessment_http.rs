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
        // blank fields are named before any confirmation is asked
        let r = post(
            "/assessment/rules/adopt",
            vec![("year", "2026"), ("doc_number", " "), ("adopted_on", "")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("请填写文号") && !body.contains("确认印发考核办法"),
            "{body}"
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
        // the public board shows no ranking unless the deployment says so
        assert_eq!(
            h.page(&reqwest::Client::new(), "/board/assessment").await.0,
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

/// Adopts the example rules of `year` in a region through its own system context.
async fn adopt_example(h: &Harness, region: &str, year: i32) {
    use keyproj_service::assessment::rules;
    let sys = keyproj_service::Ctx::system(keyproj_domain::RegionCode::parse(region).unwrap());
    rules::start_draft(&h.app, &sys, year).await.unwrap();
    rules::adopt(
        &h.app,
        &sys,
        year,
        &rules::Adoption {
            doc_number: format!("重项办发〔{year}〕1号"),
            adopted_on: format!("{year}-03-01"),
            reason: String::new(),
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn scoring_through_the_api_with_scopes_and_hostile_input() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        h.plan(h.projects[0], 2026).await;
        h.plan(h.projects[1], 2026).await;
        adopt_example(&h, "430922", 2026).await;
        let api = reqwest::Client::new();
        let (staff, unit, leader) = (
            h.token("staff").await,
            h.token("zjju").await,
            h.token("leader").await,
        );
        let url = |p: &str| format!("{}/api/v1/assessment{p}", h.base);
        let post = |p: String, token: String, body: serde_json::Value| {
            let api = api.clone();
            async move {
                api.post(p)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
            }
        };
        // a period that is not one: a Chinese message at the field, nothing written
        let before = h.audit_count().await;
        for bad in ["2026-Q9", "2026-13", "二〇二六", ""] {
            let r = post(
                url("/rounds"),
                staff.clone(),
                serde_json::json!({ "period": bad }),
            )
            .await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
            assert!(r.text().await.unwrap().contains("考核期间"));
        }
        assert_eq!(h.audit_count().await, before);
        // units do not compute
        let r = post(
            url("/rounds"),
            unit.clone(),
            serde_json::json!({ "period": "2026" }),
        )
        .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = post(
            url("/rounds"),
            staff.clone(),
            serde_json::json!({ "period": "2026" }),
        )
        .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let id = r.json::<serde_json::Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();
        let round: serde_json::Value = api
            .get(url(&format!("/rounds/{id}")))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(round["round"]["state"], "draft");
        assert_eq!(round["kinds"][0]["scores"].as_array().unwrap().len(), 2);
        // a unit does not see the draft; a leader does
        let status = |token: String, p: String| {
            let api = api.clone();
            async move { api.get(p).bearer_auth(token).send().await.unwrap().status() }
        };
        assert_eq!(
            status(unit.clone(), url(&format!("/rounds/{id}"))).await,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            status(leader.clone(), url(&format!("/rounds/{id}"))).await,
            StatusCode::OK
        );

        // typed lines: a unit of another county, a score over the maximum, an unknown kind
        let n = neighbour_county(&h).await;
        let before = h.audit_count().await;
        let entry = |unit_id: i64, value: &str, kind: &str| {
            serde_json::json!({"kind": kind, "unit_id": unit_id, "indicator": 5, "value": value,
                "reason": "考核组评定", "evidence": "评分表"})
        };
        for body in [
            entry(n.unit, "4", "lead"),
            entry(h.units[1], "5.01", "lead"),
            entry(h.units[1], "4", "nobody"),
            entry(h.units[1], "1e9", "lead"),
        ] {
            let r = post(
                url(&format!("/rounds/{id}/entries")),
                staff.clone(),
                body.clone(),
            )
            .await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        }
        assert_eq!(h.audit_count().await, before);
        let r = post(
            url(&format!("/rounds/{id}/entries")),
            staff.clone(),
            entry(h.units[1], "4", "lead"),
        )
        .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);

        // another county's round is not found, on the API and the pages
        adopt_example(&h, "430921", 2026).await;
        let south =
            keyproj_service::Ctx::system(keyproj_domain::RegionCode::parse("430921").unwrap());
        let foreign = keyproj_service::assessment::rounds::compute(&h.app, &south, "2026")
            .await
            .unwrap();
        assert_eq!(
            status(staff.clone(), url(&format!("/rounds/{foreign}"))).await,
            StatusCode::NOT_FOUND
        );
        let r = post(
            url(&format!("/rounds/{foreign}/recompute")),
            staff.clone(),
            serde_json::json!({"version": 1}),
        )
        .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let page_client = h.signed_in("staff").await;
        assert_eq!(
            h.page(&page_client, &format!("/assessment/rounds/{foreign}"))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            h.page(&page_client, "/assessment/rounds/abc").await.0,
            StatusCode::NOT_FOUND
        );

        // the steps: publishing a draft is refused; an unknown step is not found
        let version = |v: &serde_json::Value| v["round"]["version"].as_i64().unwrap();
        let v = version(&round) + 1; // the entry did not move the round; recompute below does
        let r = post(
            url(&format!("/rounds/{id}/publish")),
            staff.clone(),
            serde_json::json!({"version": v - 1}),
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let r = post(
            url(&format!("/rounds/{id}/explode")),
            staff.clone(),
            serde_json::json!({"version": 1}),
        )
        .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        // a stale version is a conflict
        let r = post(
            url(&format!("/rounds/{id}/open")),
            staff.clone(),
            serde_json::json!({"version": 99}),
        )
        .await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let r = post(
            url(&format!("/rounds/{id}/open")),
            staff.clone(),
            serde_json::json!({"version": v - 1}),
        )
        .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        // the unit objects to its own line; a second unit's token cannot decide
        let r = post(
            url(&format!("/rounds/{id}/objections")),
            unit.clone(),
            serde_json::json!({"kind": "lead", "indicator": 4, "reason": "前期项目免报月报"}),
        )
        .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let oid = r.json::<serde_json::Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();
        let mine: serde_json::Value = api
            .get(url(&format!("/rounds/{id}")))
            .bearer_auth(&unit)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            mine["kinds"][0]["scores"].as_array().unwrap().len(),
            1,
            "its own line only"
        );
        let decision = serde_json::json!({"decision": "accepted", "points": "10", "reason": "属实", "version": 1});
        let r = post(
            url(&format!("/objections/{oid}/decision")),
            unit.clone(),
            decision.clone(),
        )
        .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = post(
            url(&format!("/objections/{oid}/decision")),
            staff.clone(),
            decision,
        )
        .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        // the unit page of a unit user: forms post only for itself
        let unit_page = h.signed_in("zjju").await;
        let csrf = h
            .csrf_of(
                &unit_page,
                &format!("/assessment/rounds/{id}/units/{}?kind=lead", h.units[1]),
            )
            .await;
        let r = unit_page
            .post(format!("{}/assessment/rounds/{id}/entries", h.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("kind", "lead"),
                ("unit_id", &h.units[1].to_string()),
                ("indicator", "5"),
                ("value", "5"),
                ("reason", "x"),
                ("evidence", "y"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        // another unit's drill-down is not found for it
        assert_eq!(
            h.page(
                &unit_page,
                &format!("/assessment/rounds/{id}/units/{}?kind=lead", h.units[2])
            )
            .await
            .0,
            StatusCode::NOT_FOUND
        );
        // owners see no assessment
        let owner = h.signed_in("owner").await;
        assert_eq!(h.page(&owner, "/assessment").await.0, StatusCode::NOT_FOUND);
    }
}

//! 满意度调查 and the 自评报告 over HTTP on both engines: a survey built on its page, slips
//! printed with their QR codes, answered once each on the public page without logging in
//! (forged slips not found, oversized answers refused before they are read, free text shown
//! escaped), other roles kept out; the report's texts kept, issued only after confirmation,
//! numbered, frozen, and downloaded as Word.

mod common;

use common::*;
use keyproj_db::testing::TestDb;
use reqwest::StatusCode;

fn slip_links(html: &str) -> Vec<String> {
    html.match_indices("/survey/")
        .map(|(i, _)| {
            html[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "/-".contains(*c))
                .collect::<String>()
        })
        .filter(|l| l.len() > "/survey/".len())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

#[tokio::test]
async fn a_survey_from_its_page_to_the_public_and_back() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let staff = h.signed_in("staff").await;
        let csrf = h.csrf_of(&staff, "/self-evaluation/surveys/new").await;
        let today = h.app.local_today();
        let mut form: Vec<(&str, String)> = vec![
            ("csrf", csrf.clone()),
            ("year", "2022".into()),
            ("title", "中心履职满意度调查".into()),
            ("intro", "匿名填写".into()),
            ("opens_on", today.format("%Y-%m-%d").to_string()),
            (
                "closes_on",
                (today + chrono::Duration::days(10))
                    .format("%Y-%m-%d")
                    .to_string(),
            ),
            ("q_text", "您对服务态度的评价".into()),
            ("q_kind", "scale".into()),
            ("q_options", "".into()),
            ("q_text", "意见建议".into()),
            ("q_kind", "text".into()),
            ("q_options", "".into()),
            ("action", "save".into()),
        ];
        // a choice question without options: refused at the question, the form kept
        let mut bad = form.clone();
        bad.push(("q_text", "最需改进的方面".into()));
        bad.push(("q_kind", "multiple".into()));
        bad.push(("q_options", "只有一项".into()));
        let before = h.audit_count().await;
        let r = staff
            .post(format!("{}/self-evaluation/surveys/new", h.base))
            .form(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.unwrap();
        assert!(html.contains("第3题的选项应为2至8个"), "{html}");
        assert!(html.contains("中心履职满意度调查") && html.contains("只有一项"));
        assert_eq!(h.audit_count().await, before);

        let r = staff
            .post(format!("{}/self-evaluation/surveys/new", h.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let at = r.headers()["location"].to_str().unwrap().to_string();
        let id: i64 = at
            .trim_start_matches("/self-evaluation/surveys/")
            .split('?')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        // hand out three slips: the print sheet carries a link and a QR code per slip
        let r = staff
            .post(format!("{}/self-evaluation/surveys/{id}/slips", h.base))
            .form(&[("csrf", csrf.as_str()), ("version", "1"), ("count", "3")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let sheet_at = r.headers()["location"].to_str().unwrap().to_string();
        let (status, sheet) = h.page(&staff, &sheet_at).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(sheet.matches("<svg class=\"qr\"").count(), 3);
        let links = slip_links(&sheet);
        assert_eq!(links.len(), 3, "{links:?}");

        // the public page, no login: answered once
        let public = client();
        let (status, page) = h.page(&public, &links[0]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("您对服务态度的评价") && page.contains("非常满意"));
        let post = |link: &str, pairs: Vec<(&'static str, String)>| {
            let public = public.clone();
            let url = format!("{}{link}", h.base);
            async move { public.post(url).form(&pairs).send().await.unwrap() }
        };
        let answer = vec![
            ("website", String::new()),
            ("q1", "2".to_string()),
            ("q2", "<img src=x onerror=alert(1)>".to_string()),
        ];
        let r = post(&links[0], answer.clone()).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, done) = h.page(&public, &format!("{}?done=1", links[0])).await;
        assert!(done.contains("提交成功"));
        let n = h.audit_count().await;
        let r = post(&links[0], answer.clone()).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("已经提交过"));
        // an unanswered question, then a link in the text: refused, the choice kept
        let r = post(&links[1], vec![("q2", "很好".into())]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("请回答第1题") && html.contains("很好"),
            "{html}"
        );
        let r = post(
            &links[1],
            vec![("q1", "1".into()), ("q2", "看 www.spam.cn".into())],
        )
        .await;
        assert!(r.text().await.unwrap().contains("请勿填写网址或链接"));
        // forged and altered slips are not found; an oversized answer is refused unread
        let mut forged = links[2].clone();
        forged.pop();
        forged.push('x');
        let (status, page) = h.page(&public, &forged).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(
            page.contains("问卷链接无效") && !page.contains("/login"),
            "{page}"
        );
        assert_eq!(
            h.page(&public, "/survey/1-999-00000000000000000000")
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        let r = post(
            &links[2],
            vec![("q1", "1".into()), ("q2", "长".repeat(20_000))],
        )
        .await;
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(h.audit_count().await, n);

        // the results page counts it, the free text escaped
        let (_, results) = h
            .page(&staff, &format!("/self-evaluation/surveys/{id}"))
            .await;
        assert!(
            results.contains("&lt;img src=x onerror=alert(1)&gt;") || results.contains("&#60;img"),
            "{results}"
        );
        assert!(!results.contains("<img src=x"));
        assert!(results.contains("100%"));
        // a unit finds no surveys; a leader reads results but may not print slips
        let unit = h.signed_in("zjju").await;
        assert_eq!(
            h.page(&unit, "/self-evaluation/surveys").await.0,
            StatusCode::NOT_FOUND
        );
        // a unit's post gets the same 404 as its GET: nothing says the page exists
        let unit_csrf = h.csrf_of(&unit, "/todo").await;
        let r = unit
            .post(format!("{}/self-evaluation/surveys/{id}/slips", h.base))
            .form(&[
                ("csrf", unit_csrf.as_str()),
                ("version", "2"),
                ("count", "3"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            h.page(&unit, &format!("/self-evaluation/surveys/{id}"))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        let leader = h.signed_in("leader").await;
        assert_eq!(
            h.page(&leader, &format!("/self-evaluation/surveys/{id}"))
                .await
                .0,
            StatusCode::OK
        );
        assert_eq!(h.page(&leader, &sheet_at).await.0, StatusCode::FORBIDDEN);
        // another county's survey is not found here, nor its slips handed out from here
        neighbour_county(&h).await;
        let theirs = keyproj_service::survey::create(
            &h.app,
            &keyproj_service::Ctx::system(keyproj_domain::RegionCode::parse("430921").unwrap()),
            &keyproj_service::survey::SurveyDraft {
                year: 2022,
                questionnaire: keyproj_domain::survey::Questionnaire::reference("南县中心"),
                opens_on: today,
                closes_on: today,
            },
        )
        .await
        .unwrap();
        assert_eq!(
            h.page(&staff, &format!("/self-evaluation/surveys/{theirs}"))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        let r = staff
            .post(format!("{}/self-evaluation/surveys/{theirs}/slips", h.base))
            .form(&[("csrf", csrf.as_str()), ("version", "1"), ("count", "3")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);

        // closing asks first, then the public is told
        let r = staff
            .post(format!("{}/self-evaluation/surveys/{id}/close", h.base))
            .form(&[("csrf", csrf.as_str()), ("version", "2")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap().contains("确认结束调查"));
        let r = staff
            .post(format!("{}/self-evaluation/surveys/{id}/close", h.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("version", "2"),
                ("confirmed", "1"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, page) = h.page(&public, &links[1]).await;
        assert!(page.contains("本次调查已结束"));
        form.clear();
    }
}

#[tokio::test]
async fn the_report_from_its_page_issued_after_confirmation() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let api = reqwest::Client::new();
        let token = h.token("staff").await;
        let ledger = serde_json::to_value(keyproj_domain::evaluation::reference_ledger()).unwrap();
        let r = api
            .put(format!("{}/api/v1/self-evaluation/2022/ledger", h.base))
            .bearer_auth(&token)
            .json(&serde_json::json!({"ledger": ledger}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let staff = h.signed_in("staff").await;
        let (_, page) = h.page(&staff, "/self-evaluation/report?year=2022").await;
        assert!(page.contains("一、部门概况") && page.contains("七、改进措施和有关建议"));
        assert!(page.contains("2022年度收入92.67万元，其中一般公共预算财政拨款92.67万元。"));
        assert!(page.contains("草稿"));
        let csrf = h.csrf_of(&staff, "/self-evaluation/report?year=2022").await;
        // issuing before the goals are written: refused in Chinese before any confirmation
        let before = h.audit_count().await;
        let r = staff
            .post(format!("{}/self-evaluation/report/issue", h.base))
            .form(&[("csrf", csrf.as_str()), ("year", "2022"), ("version", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("印发前请填写“绩效目标设立情况”")
        );
        // pressed with goals typed but not saved: refused, the typed goals kept
        let r = staff
            .post(format!("{}/self-evaluation/report/issue", h.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("year", "2022"),
                ("version", ""),
                ("goals", "未保存的目标"),
                ("basis", ""),
                ("work", ""),
                ("problems", ""),
                ("suggestions", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("尚未保存") && html.contains("未保存的目标"),
            "{html}"
        );
        assert_eq!(h.audit_count().await, before);
        // the texts saved, then issued
        let r = staff
            .post(format!("{}/self-evaluation/report", h.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("year", "2022"),
                ("version", ""),
                ("goals", "一是完成市定重点项目建设目标任务。"),
                ("basis", "《桃江县财政局关于开展2022年度财政资金绩效自评工作的通知》（桃财监〔2023〕63号）文件"),
                ("work", ""),
                ("problems", ""),
                ("suggestions", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        // asked first; 返回修改 goes back to the report, nothing issued
        let r = staff
            .post(format!("{}/self-evaluation/report/issue", h.base))
            .form(&[("csrf", csrf.as_str()), ("year", "2022"), ("version", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap().contains("确认印发"));
        let r = staff
            .post(format!("{}/self-evaluation/report/issue", h.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("year", "2022"),
                ("version", "1"),
                ("confirmed", "back"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/self-evaluation/report?year=2022");
        let r = staff
            .post(format!("{}/self-evaluation/report/issue", h.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("year", "2022"),
                ("version", "1"),
                ("confirmed", "1"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, page) = h.page(&staff, "/self-evaluation/report?year=2022").await;
        assert!(page.contains("已印发：绩效自评〔"), "{page}");
        assert!(page.contains("桃财监〔2023〕63号"));
        assert!(!page.contains("id=\"texts-form\""));
        // the Word file; leaders read it; units do not find it
        let r = staff
            .get(format!("{}/self-evaluation/report.docx?year=2022", h.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let bytes = r.bytes().await.unwrap();
        assert!(
            keyproj_office::docx::text_of(&bytes)
                .unwrap()
                .contains("总绩效为100分")
        );
        let leader = h.signed_in("leader").await;
        assert_eq!(
            h.page(&leader, "/self-evaluation/report?year=2022").await.0,
            StatusCode::OK
        );
        // the ledger is read by leaders, its form disabled
        let (status, page) = h.page(&leader, "/self-evaluation/ledger?year=2022").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("fieldset class=\"plain\" disabled")
                && !page.contains("id=\"save-ledger\"")
        );
        let r = leader
            .post(format!("{}/self-evaluation/report", h.base))
            .form(&[
                (
                    "csrf",
                    h.csrf_of(&leader, "/self-evaluation/report?year=2022")
                        .await
                        .as_str(),
                ),
                ("year", "2022"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let unit = h.signed_in("zjju").await;
        assert_eq!(
            h.page(&unit, "/self-evaluation/report?year=2022").await.0,
            StatusCode::NOT_FOUND
        );
        // the API gives the same issued report
        let got: serde_json::Value = api
            .get(format!("{}/api/v1/self-evaluation/2022/report", h.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(got["doc"]["grade"], "优");
        assert!(got["issued"]["number"].as_str().unwrap().ends_with("1号"));
    }
}

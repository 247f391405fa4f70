//! Black-box tests: the real app on 127.0.0.1:0 with a real database (SQLite, and PostgreSQL
//! when configured), driven over HTTP like a browser or an integration would.

mod common;

use chrono::Utc;
use common::*;
use keyproj_db::testing::TestDb;
use keyproj_service::Ctx;
use reqwest::StatusCode;

#[tokio::test]
async fn login_lockout_and_password_change() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let c = client();
        // unknown user and wrong password get the same message
        let a = h.login(&c, "nobody", "x").await.text().await.unwrap();
        let b = h
            .login(&c, "staff", "wrong-password")
            .await
            .text()
            .await
            .unwrap();
        assert!(a.contains("用户名或密码错误") && b.contains("用户名或密码错误"));
        // five failures of a name from one address block that address, even for the right
        // password (more in trust_http.rs: other addresses are not locked out)
        for _ in 0..4 {
            h.login(&c, "staff", "wrong-password").await;
        }
        let r = h.login(&c, "staff", PW).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("登录失败次数过多，请15分钟后再试")
        );
        h.clock.advance(chrono::Duration::minutes(16));
        let r = h.login(&c, "staff", PW).await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "lock expires after 15 minutes"
        );
        // a one-time password forces a change first
        let pw = keyproj_service::admin::users::set_password_cli(&h.app, "leader", None)
            .await
            .unwrap();
        let c2 = client();
        let r = h.login(&c2, "leader", &pw).await;
        assert_eq!(r.headers()["location"], "/password");
        let r = c2.get(format!("{}/projects", h.base)).send().await.unwrap();
        assert_eq!(
            r.headers()["location"],
            "/password",
            "nothing else until the password is changed"
        );
        let csrf = h.csrf_of(&c2, "/password").await;
        let weak = c2
            .post(format!("{}/password", h.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("old_password", &pw),
                ("new_password", "short"),
                ("confirm_password", "short"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(weak.text().await.unwrap().contains("密码长度至少12位"));
        let ok = c2
            .post(format!("{}/password", h.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("old_password", &pw),
                ("new_password", "Xin-Mima-Qiang-9"),
                ("confirm_password", "Xin-Mima-Qiang-9"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            status(&c2, &format!("{}/projects", h.base)).await,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn sessions_expire_and_end() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let c = h.signed_in("staff").await;
        assert_eq!(
            status(&c, &format!("{}/projects", h.base)).await,
            StatusCode::OK
        );
        h.clock.advance(chrono::Duration::minutes(31));
        let r = c.get(format!("{}/projects", h.base)).send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "idle 31 minutes: back to login"
        );
        // logout ends the session on the server
        let c = h.signed_in("staff").await;
        let csrf = h.csrf_of(&c, "/projects").await;
        c.post(format!("{}/logout", h.base))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(
            status(&c, &format!("{}/projects", h.base)).await,
            StatusCode::SEE_OTHER
        );
    }
}

#[tokio::test]
async fn csrf_and_origin_are_enforced() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let c = h.signed_in("staff").await;
        let before = h.project_name(h.projects[0]).await;
        let form = [
            ("name", "被篡改"),
            ("level", "county"),
            ("industry", "transport"),
            ("total_investment_wan", "1"),
            ("version", "1"),
            ("csrf", "forged"),
        ];
        let r = c
            .post(format!("{}/projects/{}/edit", h.base, h.projects[0]))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let csrf = h.csrf_of(&c, "/projects/new").await;
        let r = c
            .post(format!("{}/projects/{}/edit", h.base, h.projects[0]))
            .header("Origin", "http://evil.example")
            .form(&[("csrf", csrf.as_str()), ("name", "被篡改")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            h.project_name(h.projects[0]).await,
            before,
            "nothing changed"
        );
        // an edit of a project someone saved meanwhile is refused and shows what was typed,
        // not saved over their change
        let csrf = h.csrf_of(&c, "/projects/new").await;
        let r = c
            .post(format!("{}/projects/{}/edit", h.base, h.projects[0]))
            .form(&[
                ("csrf", csrf.as_str()),
                ("name", "过期的修改"),
                ("level", "county"),
                ("industry", "transport"),
                ("total_investment_wan", "1"),
                ("version", "999"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let body = r.text().await.unwrap();
        assert!(body.contains("value=\"过期的修改\""), "{body}");
        assert!(body.contains("该项目已被他人修改"), "{body}");
        assert_eq!(h.project_name(h.projects[0]).await, before);
        // headers on every response
        let r = c.get(format!("{}/projects", h.base)).send().await.unwrap();
        let csp = r.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        // the session cookie is HttpOnly and SameSite
        let r = h.login(&client(), "staff", PW).await;
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|v| v.starts_with("kp_session="))
            .unwrap();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    }
}

#[tokio::test]
async fn permission_matrix_over_http() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let [p_zj, p_jt] = h.projects;
        // (user, may see p_zj, may see p_jt, may edit)
        let matrix = [
            ("staff", true, true, true),
            ("leader", true, true, false),
            ("zjju", true, false, false),
            ("jtju", false, true, false),
            ("owner", true, false, false),
            ("auditor", false, false, false),
            ("admin", false, false, false),
        ];
        for (user, see1, see2, edit) in matrix {
            let token = h.token(user).await;
            let api = reqwest::Client::new();
            for (p, see) in [(p_zj, see1), (p_jt, see2)] {
                let r = api
                    .get(format!("{}/api/v1/projects/{p}", h.base))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    r.status(),
                    if see {
                        StatusCode::OK
                    } else {
                        StatusCode::NOT_FOUND
                    },
                    "{user} GET project {p}"
                );
                let c = h.signed_in(user).await;
                let page = c
                    .get(format!("{}/projects/{p}", h.base))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    page.status(),
                    if see {
                        StatusCode::OK
                    } else {
                        StatusCode::NOT_FOUND
                    },
                    "{user} page {p}"
                );
                let body = serde_json::json!({"version": 1, "name": "改名", "level": "county", "industry": "transport", "total_investment_wan": "1"});
                let r = api
                    .put(format!("{}/api/v1/projects/{p}", h.base))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let want = if !see {
                    StatusCode::NOT_FOUND
                } else if edit {
                    StatusCode::OK
                } else {
                    StatusCode::FORBIDDEN
                };
                assert_eq!(r.status(), want, "{user} PUT project {p}");
                if edit {
                    // put the name back through the API for the next rows
                    let back = serde_json::json!({"version": 2, "name": if p == p_zj { "城区道路提质改造" } else { "桃花江大桥" }, "level": "county", "industry": "transport", "total_investment_wan": "12000", "lead_unit_id": if p == p_zj { h.units[1] } else { h.units[2] }, "owner_unit_id": if p == p_zj { Some(h.units[3]) } else { None }});
                    assert_eq!(
                        api.put(format!("{}/api/v1/projects/{p}", h.base))
                            .bearer_auth(&token)
                            .json(&back)
                            .send()
                            .await
                            .unwrap()
                            .status(),
                        StatusCode::OK
                    );
                }
            }
            // lists only show what the user may see
            let list: serde_json::Value = api
                .get(format!("{}/api/v1/projects", h.base))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap_or_default();
            let n = list["total_count"].as_i64().unwrap_or(0);
            assert_eq!(n, see1 as i64 + see2 as i64, "{user} list count");
        }
        assert_eq!(h.project_name(p_zj).await, "城区道路提质改造");
        assert_eq!(h.project_name(p_jt).await, "桃花江大桥");
        // a page past the end shows the last page, whatever number was typed
        let staff = h.token("staff").await;
        for page in ["999", "9223372036854775807"] {
            let list: serde_json::Value = reqwest::Client::new()
                .get(format!("{}/api/v1/projects?per_page=1&page={page}", h.base))
                .bearer_auth(&staff)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(list["page"], list["pages"], "{list}");
            assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
        }
        // the audit log is for the 审计管理员 only
        assert_eq!(
            reqwest::Client::new()
                .get(format!("{}/api/v1/audit", h.base))
                .bearer_auth(&staff)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN
        );
        let aud = h.token("auditor").await;
        assert_eq!(
            reqwest::Client::new()
                .get(format!("{}/api/v1/audit", h.base))
                .bearer_auth(&aud)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn stale_edit_gets_409_and_bad_input_changes_nothing() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let token = h.token("staff").await;
        let api = reqwest::Client::new();
        let p = h.projects[1];
        let url = format!("{}/api/v1/projects/{p}", h.base);
        let body = |v: i64, name: &str| serde_json::json!({"version": v, "name": name, "level": "county", "industry": "transport", "total_investment_wan": "12000"});
        assert_eq!(
            api.put(&url)
                .bearer_auth(&token)
                .json(&body(1, "第一次修改"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
        let r = api
            .put(&url)
            .bearer_auth(&token)
            .json(&body(1, "过期的修改"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let e: serde_json::Value = r.json().await.unwrap();
        assert_eq!(e["message"], "该记录已被他人修改，请刷新后重试");
        assert_eq!(h.project_name(p).await, "第一次修改");

        let audits = h.audit_count().await;
        let create = format!("{}/api/v1/projects", h.base);
        for (json, field, code) in [
            (
                serde_json::json!({"name": "x", "level": "county", "stage": "前期", "industry": "交通", "total_investment_wan": "-5"}),
                "total_investment_wan",
                "negative",
            ),
            (
                serde_json::json!({"name": "x", "level": "county", "stage": "前期", "industry": "交通", "total_investment_wan": "1.234"}),
                "total_investment_wan",
                "too_many_decimals",
            ),
            (
                serde_json::json!({"name": "x", "level": "county", "stage": "前期", "industry": "交通", "total_investment_wan": "100000001"}),
                "total_investment_wan",
                "too_large",
            ),
            (
                serde_json::json!({"name": "x", "level": "国家级", "stage": "前期", "industry": "交通", "total_investment_wan": "1"}),
                "level",
                "unknown_value",
            ),
            (
                serde_json::json!({"name": "x", "level": "county", "stage": "前期", "industry": "交通", "total_investment_wan": "1", "planned_start": "2022-13"}),
                "planned_start",
                "invalid_month",
            ),
            (
                serde_json::json!({"name": "桃".repeat(101), "level": "county", "stage": "前期", "industry": "交通", "total_investment_wan": "1"}),
                "name",
                "too_long",
            ),
            (
                serde_json::json!({"name": "x", "level": "county", "stage": "前期", "industry": "交通", "total_investment_wan": "1", "lead_unit_id": 999999}),
                "lead_unit_id",
                "unknown_unit",
            ),
            (
                serde_json::json!({"name": "x", "level": "county", "stage": "前期", "industry": "交通", "total_investment_wan": "1", "national_code": "2022-43"}),
                "national_code",
                "invalid_national_code",
            ),
        ] {
            let r = api
                .post(&create)
                .bearer_auth(&token)
                .json(&json)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
            let e: serde_json::Value = r.json().await.unwrap();
            assert_eq!(e["code"], "validation");
            let f = e["fields"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["field"] == field)
                .unwrap_or_else(|| panic!("no error for {field}: {e}"));
            assert_eq!(f["code"], code);
            assert!(!f["message"].as_str().unwrap().is_ascii());
        }
        let r = api
            .post(&create)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body("{\"name\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            r.json::<serde_json::Value>().await.unwrap()["code"],
            "malformed_json"
        );
        let r = api
            .post(&create)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(vec![b' '; 2 * 1024 * 1024])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        // duplicate national code is named at the field
        let ok = serde_json::json!({"name": "有代码的项目", "level": "county", "stage": "前期", "industry": "交通", "total_investment_wan": "1", "national_code": "2022-430922-04-01-123456"});
        assert_eq!(
            api.post(&create)
                .bearer_auth(&token)
                .json(&ok)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::CREATED
        );
        let r = api
            .post(&create)
            .bearer_auth(&token)
            .json(&ok)
            .send()
            .await
            .unwrap();
        let e: serde_json::Value = r.json().await.unwrap();
        assert_eq!(e["fields"][0]["field"], "national_code");
        assert_eq!(
            h.audit_count().await,
            audits + 1,
            "only the one good create was written and audited"
        );
        // the form shows the error at the field
        let c = h.signed_in("staff").await;
        let csrf = h.csrf_of(&c, "/projects/new").await;
        let r = c
            .post(format!("{}/projects/new", h.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("name", "表单项目"),
                ("level", "county"),
                ("stage", "signed"),
                ("industry", "transport"),
                ("total_investment_wan", "abc"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("总投资应为数字"));
    }
}

#[tokio::test]
async fn stage_changes_and_audit_chain_verification() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let token = h.token("staff").await;
        let api = reqwest::Client::new();
        let url = format!("{}/api/v1/projects/{}/stage", h.base, h.projects[0]);
        let today = (Utc::now() + chrono::Duration::hours(8))
            .date_naive()
            .to_string();
        // 前期 → 竣工 is an illegal jump
        let r = api.post(&url).bearer_auth(&token).json(&serde_json::json!({"version": 1, "to_stage": "竣工", "changed_on": today, "reason": "测试", "actual_start": "2022-01", "actual_completion": "2022-12"})).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("不能从「前期」直接变更为「竣工」")
        );
        // 在建 needs the actual start
        let r = api.post(&url).bearer_auth(&token).json(&serde_json::json!({"version": 1, "to_stage": "在建", "changed_on": today, "reason": "开工"})).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let r = api.post(&url).bearer_auth(&token).json(&serde_json::json!({"version": 1, "to_stage": "在建", "changed_on": today, "reason": "开工仪式", "actual_start": "2022-05"})).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let p: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            (p["stage"].as_str(), p["actual_start"].as_str()),
            (Some("under_construction"), Some("2022-05"))
        );
        let d = keyproj_service::projects::get(
            &h.app,
            &Ctx::system(h.app.cfg.default_region.clone()),
            h.projects[0].into(),
        )
        .await
        .unwrap();
        assert_eq!(d.stage_history.len(), 2);
        assert_eq!(d.stage_history[1].reason, "开工仪式");

        let ok = keyproj_service::admin::audit::verify(&h.app).await.unwrap();
        assert!(ok.broken.is_none() && ok.rows > 10);
        // tamper with one row behind keyproj's back (dropping the guard first, as an attacker with DB access could)
        let mut tx = h.app.db.begin_write().await.unwrap();
        let target = 5i64;
        match &mut tx {
            keyproj_db::Tx::SqliteWrite(m) => {
                let c = m.connection();
                sqlx::query("DROP TRIGGER audit_log_no_update")
                    .execute(&mut *c)
                    .await
                    .unwrap();
                sqlx::query("UPDATE audit_log SET ip = '10.0.0.1' WHERE id = $1")
                    .bind(target)
                    .execute(&mut *c)
                    .await
                    .unwrap();
            }
            keyproj_db::Tx::Postgres(c) => {
                sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
                    .execute(&mut **c)
                    .await
                    .unwrap();
                sqlx::query("UPDATE audit_log SET ip = '10.0.0.1' WHERE id = $1")
                    .bind(target)
                    .execute(&mut **c)
                    .await
                    .unwrap();
            }
            keyproj_db::Tx::Sqlite(_) | keyproj_db::Tx::SqliteRead(_) => {
                unreachable!("begin_write gives a write")
            }
        }
        tx.commit().await.unwrap();
        let bad = keyproj_service::admin::audit::verify(&h.app).await.unwrap();
        assert_eq!(bad.broken.map(|b| b.id), Some(target));
    }
}

#[tokio::test]
async fn pages_render_for_each_role() {
    let h = harness(TestDb::sqlite().await).await;
    for (user, path, must) in [
        ("staff", "/", "在库项目"),
        (
            "staff",
            "/projects?stage=preliminary&sort=name",
            "城区道路提质改造",
        ),
        ("staff", "/projects/new", "新增项目"),
        ("staff", "/org", "调度门槛"),
        ("leader", "/projects", "桃花江大桥"),
        ("admin", "/admin/users", "新建账号"),
        ("secadmin", "/admin/users", "当前会话"),
        ("auditor", "/audit", "审计日志"),
        ("staff", "/tokens", "API 令牌"),
    ] {
        let c = h.signed_in(user).await;
        let r = c.get(format!("{}{path}", h.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{user} {path}");
        let body = r.text().await.unwrap();
        assert!(body.contains(must), "{user} {path} should show {must}");
        assert!(body.contains("lang=\"zh-CN\""));
    }
    // people by name: the project's 修改记录 says who, not the login name
    let c = h.signed_in("staff").await;
    let (_, detail) = h.page(&c, &format!("/projects/{}", h.projects[0])).await;
    assert!(detail.contains("<td>系统</td>"), "{detail}");
    assert!(!detail.contains("<td>system</td>"));
    // the export is a real workbook
    let r = c
        .get(format!("{}/projects.xlsx", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK");
    // the OpenAPI document lists the project endpoints
    let doc: serde_json::Value = reqwest::get(format!("{}/api/v1/openapi.json", h.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/v1/projects/{id}"]["put"].is_object());
    // types of the same Rust name in two features are two schemas, neither hiding the other
    let schemas = &doc["components"]["schemas"];
    for (schema, field) in [
        ("ProblemItemIn", "kind"),
        ("ApprovalItemIn", "catalogue_id"),
        ("ProblemStepIn", "note"),
        ("ApprovalStepIn", "approval_no"),
        ("ProblemItemOut", "number"),
        ("ApprovalItemOut", "project_id"),
    ] {
        assert!(
            schemas[schema]["properties"][field].is_object(),
            "{schema}.{field} missing from the OpenAPI document"
        );
    }
    // a filter value that cannot be read is refused at its field: the page comes back with the
    // form as sent and lists nothing; the API answers 422
    let r = c
        .get(format!(
            "{}/projects?q=%E5%A4%A7%E6%A1%A5&township=x&stage=bogus",
            h.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("id=\"filter-errors\"") && body.contains("乡镇“x”无效"),
        "{body}"
    );
    assert!(body.contains("value=\"大桥\""), "the typed search is kept");
    assert!(
        body.contains("“bogus”无效"),
        "every refused value is named, not the first"
    );
    // a refused filter lists nothing and states no count or colour table as if it were a result
    assert!(body.contains("未列出任何项目"));
    assert!(!body.contains("共 0 个项目") && !body.contains("尚未发布分色表"));
    assert!(!body.contains("id=\"projects\"") && !body.contains("合计（0个）"));
    // a control character or a bidirectional override typed into the search is dropped, as no
    // stored text holds one: the search finds what it shows
    let mut counts = vec![];
    for q in [
        "%E5%A4%A7%E6%A1%A5",
        "%E5%A4%A7%E2%80%AE%E6%A1%A5",
        "%E5%A4%A7%01%E6%A1%A5%E2%81%A6",
    ] {
        let r = c
            .get(format!("{}/projects?q={q}", h.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{q}");
        let body = r.text().await.unwrap();
        assert!(body.contains("value=\"大桥\""), "{q}");
        let count = body
            .split("共 ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .map(str::to_string);
        counts.push(count);
    }
    assert!(
        counts[0].is_some() && counts.iter().all(|c| *c == counts[0]),
        "{counts:?}"
    );
    // a refused order is not sent again by the form shown back
    let r = c
        .get(format!(
            "{}/projects?sort=bogus&stage=under_construction",
            h.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("排序“bogus”无效"), "{body}");
    assert!(!body.contains("value=\"bogus\""), "{body}");
    // 低于门槛, the page size and the order (set by links, not by a control) survive the form
    // and the list's links
    let (_, body) = h
        .page(
            &c,
            "/projects?below_threshold=1&per_page=5&sort=name&desc=1",
        )
        .await;
    for kept in [
        "<input type=\"hidden\" name=\"below_threshold\" value=\"1\">",
        "<input type=\"hidden\" name=\"per_page\" value=\"5\">",
        "<input type=\"hidden\" name=\"sort\" value=\"name\">",
        "id=\"kept-filters\"",
        "projects.xlsx?below_threshold=1&#38;sort=name&#38;desc=1",
    ] {
        assert!(body.contains(kept), "{kept} missing");
    }
    assert!(body.contains("共 0 个项目"));
    let staff_token = h.token("staff").await;
    for (query, field) in [
        ("page=abc", "page"),
        ("below_threshold=maybe", "below_threshold"),
        ("stage=bogus", "stage"),
        ("sort=bogus", "sort"),
        ("desc=yes", "desc"),
        // an id that names nothing the caller's region has
        ("township=99999", "township"),
        ("lead_unit=99999", "lead_unit"),
        ("leader=99999", "leader"),
    ] {
        let r = reqwest::Client::new()
            .get(format!("{}/api/v1/projects?{query}", h.base))
            .bearer_auth(&staff_token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let e: serde_json::Value = r.json().await.unwrap();
        assert_eq!(e["fields"][0]["field"], field, "{query}: {e}");
    }
    let r = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/projects?stage=foo&level=x&page=abc",
            h.base
        ))
        .bearer_auth(&staff_token)
        .send()
        .await
        .unwrap();
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        e["fields"].as_array().unwrap().len(),
        3,
        "all three at once: {e}"
    );
    for gone in ["ItemIn", "StepIn", "ItemOut", "EventOut"] {
        assert!(schemas[gone].is_null(), "ambiguous schema name {gone}");
    }
    // the item's detail is documented as what it returns: the item, its steps, log and documents
    let detail = &doc["paths"]["/api/v1/problems/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"]["$ref"];
    assert_eq!(detail, "#/components/schemas/ProblemItemDetailOut");
    let detail_schema = schemas["ProblemItemDetailOut"].to_string();
    for part in ["ProblemItemOut", "steps", "events", "ProblemDocumentOut"] {
        assert!(
            detail_schema.contains(part),
            "{part} missing: {detail_schema}"
        );
    }
    let problem_body = &doc["paths"]["/api/v1/problems"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"]["$ref"];
    assert_eq!(problem_body, "#/components/schemas/ProblemItemIn");
}

#[tokio::test]
async fn accounts_tokens_and_organisation_edits() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let api = reqwest::Client::new();
        // disabling an account ends its sessions and revokes its tokens at once
        let victim = h.signed_in("jtju").await;
        let victim_token = h.token("jtju").await;
        let admin = h.signed_in("admin").await;
        let jt_id = {
            let mut tx = h.app.db.begin_read().await.unwrap();
            keyproj_db::repo::admin::users::find_user(&mut tx, "jtju")
                .await
                .unwrap()
                .unwrap()
                .id
        };
        let csrf = h.csrf_of(&admin, "/admin/users").await;
        let r = admin
            .post(format!("{}/admin/users/{jt_id}/disable", h.base))
            .form(&[("csrf", csrf.as_str()), ("version", "2")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            status(&victim, &format!("{}/projects", h.base)).await,
            StatusCode::SEE_OTHER
        );
        assert_eq!(
            h.login(&client(), "jtju", PW).await.status(),
            StatusCode::UNAUTHORIZED
        );
        // enabling it again lets its password in, not a token handed out before
        let r = admin
            .post(format!("{}/admin/users/{jt_id}/enable", h.base))
            .form(&[("csrf", csrf.as_str()), ("version", "3")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            api.get(format!("{}/api/v1/me", h.base))
                .bearer_auth(&victim_token)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            h.login(&client(), "jtju", PW).await.status(),
            StatusCode::SEE_OTHER
        );

        // a revoked token stops working; the 安全管理员 can revoke anyone's
        let token = h.token("staff").await;
        assert_eq!(
            api.get(format!("{}/api/v1/me", h.base))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
        // the scheme's name in any case; another scheme is refused
        for (header, want) in [
            (format!("bearer {token}"), StatusCode::OK),
            (format!("BEARER {token}"), StatusCode::OK),
            (format!("Basic {token}"), StatusCode::UNAUTHORIZED),
            (format!("Bearer{token}"), StatusCode::UNAUTHORIZED),
        ] {
            let r = api
                .get(format!("{}/api/v1/me", h.base))
                .header("Authorization", &header)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), want, "{header}");
        }
        let sec = h.signed_in("secadmin").await;
        let page = sec
            .get(format!("{}/admin/users", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("id=\"all-tokens\""));
        let token_id = {
            let mut tx = h.app.db.begin_read().await.unwrap();
            keyproj_db::repo::account::tokens::list_tokens(&mut tx, None)
                .await
                .unwrap()[0]
                .id
        };
        let csrf = hidden(&page, "csrf");
        let r = sec
            .post(format!("{}/tokens/{token_id}/revoke", h.base))
            .form(&[("csrf", csrf.as_str()), ("back", "users")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            api.get(format!("{}/api/v1/me", h.base))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::UNAUTHORIZED
        );

        // units and leaders: staff edit, others may not; stale edits get 409
        let staff = h.token("staff").await;
        let r = api
            .post(format!("{}/api/v1/leaders", h.base))
            .bearer_auth(&staff)
            .json(&serde_json::json!({"name": "钱副县长", "title": "副县长", "phone": "0737-1234567"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let leader_id = r.json::<serde_json::Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();
        let url = format!("{}/api/v1/leaders/{leader_id}", h.base);
        let upd = |v: i64, title: &str| serde_json::json!({"version": v, "name": "钱副县长", "title": title});
        assert_eq!(
            api.put(&url)
                .bearer_auth(&staff)
                .json(&upd(1, "常务副县长"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
        assert_eq!(
            api.put(&url)
                .bearer_auth(&staff)
                .json(&upd(1, "过期"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::CONFLICT
        );
        let bad = api
            .post(format!("{}/api/v1/leaders", h.base))
            .bearer_auth(&staff)
            .json(&serde_json::json!({"name": "孙某", "phone": "call me"}))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let leader_token = h.token("leader").await;
        assert_eq!(
            api.put(&url)
                .bearer_auth(&leader_token)
                .json(&upd(2, "x"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN
        );
        // the leaders list never carries phone numbers
        let list = api
            .get(format!("{}/api/v1/leaders", h.base))
            .bearer_auth(&leader_token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(list.contains("常务副县长") && !list.contains("1234567"));

        // the unit edit page
        let c = h.signed_in("staff").await;
        // the edits above left out the phone the API never gives out: it is kept, not erased
        let (_, html) = h.page(&c, &format!("/org/leaders/{leader_id}")).await;
        assert!(html.contains(r#"value="0737-1234567""#), "{html}");
        let unit = h.units[1];
        let page = c
            .get(format!("{}/org/units/{unit}", h.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&page, "csrf");
        let version = hidden(&page, "version");
        let post = |name: &'static str, order: &'static str, version: String| {
            let (c, csrf, url) = (&c, csrf.clone(), format!("{}/org/units/{unit}", h.base));
            async move {
                c.post(url)
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("version", version.as_str()),
                        ("name", name),
                        ("kind", "department"),
                        ("sort_order", order),
                    ])
                    .send()
                    .await
                    .unwrap()
            }
        };
        let r = post("县住建局", "abc", version.clone()).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("排序号应为0到9999之间的整数")
        );
        assert_eq!(
            post("县住建局", "3", version.clone()).await.status(),
            StatusCode::SEE_OTHER
        );
        assert_eq!(
            post("县住建局（改）", "3", version).await.status(),
            StatusCode::CONFLICT
        );
        assert!(
            c.get(format!("{}/org", h.base))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
                .contains("县住建局")
        );
        let unit_user = h.signed_in("zjju").await;
        assert_eq!(
            status(&unit_user, &format!("{}/org", h.base)).await,
            StatusCode::FORBIDDEN
        );
        let leader = h.signed_in("leader").await;
        assert_eq!(
            status(&leader, &format!("{}/org/units/{unit}", h.base)).await,
            StatusCode::FORBIDDEN
        );
    }
}

/// The CSP forbids inline styles (`style-src 'self'`): no page may carry a `style` attribute,
/// or the browser drops it and reports a violation. Every page a staff member reaches, with
/// data on it.
#[tokio::test]
async fn no_page_carries_an_inline_style() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let staff = h.signed_in("staff").await;
        let pages = [
            "/".to_string(),
            "/projects".into(),
            format!("/projects/{}", h.projects[0]),
            format!("/projects/{}/edit", h.projects[0]),
            "/projects/new".into(),
            "/plans".into(),
            format!("/plans/{}/2026", h.projects[0]),
            "/reports".into(),
            "/colour".into(),
            "/colour/rules".into(),
            "/stats/annual".into(),
            "/problems".into(),
            "/problems/new".into(),
            "/problems/stats".into(),
            "/problems/settings".into(),
            "/meetings".into(),
            "/todo".into(),
            "/org".into(),
            "/import".into(),
            "/board".into(),
            "/board?view=leaders".into(),
            "/board?view=units".into(),
            "/board/problems".into(),
            "/tokens".into(),
            "/password".into(),
        ];
        for path in pages {
            let r = staff.get(format!("{}{path}", h.base)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            let html = r.text().await.unwrap();
            assert!(!html.contains(" style="), "inline style on {path}");
        }
    }
}

/// A month or year in the address that is not one is refused in Chinese (422), never silently
/// replaced by the default period's figures; an empty one still means the default.
#[tokio::test]
async fn an_invalid_month_or_year_is_refused_on_pages() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let staff = h.signed_in("staff").await;
        for (path, ok) in [
            ("/reports?month=2022-13", false),
            ("/reports?month=abc", false),
            ("/reports?month=", true),
            ("/reports?month=2022-06", true),
            ("/colour?month=99999-01", false),
            ("/stats/annual?year=99999", false),
            ("/stats/annual?year=2022", true),
            ("/plans?year=-1", false),
            ("/?year=abc", false),
            ("/?year=2022", true),
            ("/problems/stats?year=2022&month=13", false),
            ("/problems/stats?year=2022&month=12", true),
            ("/problems/settings?year=abc", false),
        ] {
            let r = staff.get(format!("{}{path}", h.base)).send().await.unwrap();
            let status = r.status();
            let html = r.text().await.unwrap();
            if ok {
                assert_eq!(status, StatusCode::OK, "{path}");
            } else {
                assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
                assert!(
                    html.contains("月份") || html.contains("年度"),
                    "{path}: {html}"
                );
            }
        }
    }
}

/// The audit trail reads in Chinese: actions and entities by their labels, and the action
/// filter takes the label a person types.
#[tokio::test]
async fn the_audit_trail_reads_in_chinese() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        h.signed_in("staff").await; // a login to find
        let auditor = h.signed_in("auditor").await;
        let (_, html) = h.page(&auditor, "/audit?action=登录").await;
        assert!(html.contains("<td>登录</td>"), "{html}");
        assert!(!html.contains("<td>login</td>"));
        assert!(html.contains("<td>会话 "), "the entity in Chinese");
        // the entity filter takes the label as well
        let (_, by_entity) = h.page(&auditor, "/audit?entity_type=会话").await;
        assert!(by_entity.contains("<td>登录</td>"), "{by_entity}");
        assert!(
            !html.contains("<td>创建</td>") && !html.contains("<td>新增</td>"),
            "the filter kept only logins"
        );
    }
}

/// A known address asked with a method it does not take answers 405 in Chinese: a page for
/// pages, the API's JSON error for the API (it used to be an empty body).
#[tokio::test]
async fn a_method_an_address_does_not_take_is_answered_in_chinese() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let staff = h.signed_in("staff").await;
        let r = staff
            .delete(format!("{}/projects/{}", h.base, h.projects[0]))
            .header("origin", h.base.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert!(r.text().await.unwrap().contains("不支持此请求方法"));
        let token = h.token("staff").await;
        let r = reqwest::Client::new()
            .patch(format!("{}/api/v1/projects/{}", h.base, h.projects[0]))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["code"], "method_not_allowed", "{body}");
    }
}

/// Regions: the 系统管理员 adds and renames them on a page, within the deployment's region;
/// others do not see the page.
#[tokio::test]
async fn regions_are_managed_by_the_system_administrator() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let admin = h.signed_in("admin").await;
        let (status, page) = h.page(&admin, "/admin/regions").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("430922") && page.contains("行政区划"));
        let csrf = h.csrf_of(&admin, "/admin/regions").await;
        let post = |code: &'static str, name: &'static str| {
            let (admin, csrf, url) = (&admin, csrf.clone(), format!("{}/admin/regions", h.base));
            async move {
                admin
                    .post(url)
                    .form(&[("csrf", csrf.as_str()), ("code", code), ("name", name)])
                    .send()
                    .await
                    .unwrap()
            }
        };
        // outside the county: refused at the field, nothing written
        let before = h.audit_count().await;
        let r = post("4310", "郴州市").await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("只能建立本辖区"));
        let r = post("43092x", "x").await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("行政区划代码应为"));
        assert_eq!(h.audit_count().await, before);
        // renaming the county: saved and audited
        let r = post("430922", "桃江县（试点）").await;
        assert!(r.status().is_redirection() || r.status().is_success());
        assert_eq!(h.audit_count().await, before + 1);
        let (_, page) = h.page(&admin, "/admin/regions").await;
        assert!(page.contains("桃江县（试点）"));
        // others: not their page, not their action
        let staff = h.signed_in("staff").await;
        assert_eq!(
            h.page(&staff, "/admin/regions").await.0,
            StatusCode::NOT_FOUND
        );
        let csrf = h.csrf_of(&staff, "/projects").await;
        let before = h.audit_count().await;
        let r = staff
            .post(format!("{}/admin/regions", h.base))
            .form(&[("csrf", csrf.as_str()), ("code", "430922"), ("name", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(h.audit_count().await, before, "nothing changes");
    }
}

/// A unit's name cannot read as several units (imports and lists split on 、，；), a sort order
/// stays within 0–9999 through the API as on the page, a search echoes only what it searched,
/// the problem list keeps a page size, and the meetings API refuses a year that is not one.
#[tokio::test]
async fn unit_names_sort_orders_page_sizes_and_years_are_checked() {
    for t in TestDb::all().await {
        let h = harness(t).await;
        let token = h.token("staff").await;
        let c = client();
        let before = c
            .get(format!("{}/api/v1/units", h.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let unit = h.units[1];
        let edit = |name: &str, sort_order: i64| {
            serde_json::json!({"version": 1, "name": name, "kind": "department",
                "contact": "", "phone": "", "sort_order": sort_order})
        };
        for (body, field) in [
            (edit("县住建局", -1), "sort_order"),
            (edit("县住建局", 10_000), "sort_order"),
            (edit("县住建局", i64::MAX), "sort_order"),
            (edit("测试、单位", 0), "name"),
            (edit("住建局，规划局", 0), "name"),
        ] {
            let r = c
                .put(format!("{}/api/v1/units/{unit}", h.base))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            let text = r.text().await.unwrap();
            assert!(text.contains(&format!("\"field\":\"{field}\"")), "{text}");
        }
        let r = c
            .post(format!("{}/api/v1/units", h.base))
            .bearer_auth(&token)
            .json(
                &serde_json::json!({"name": "县新单位", "kind": "department", "sort_order": -100}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let after = c
            .get(format!("{}/api/v1/units", h.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(before, after, "nothing changed");
        // the list gives what an edit needs: its version
        let listed: serde_json::Value = serde_json::from_str(&after).unwrap();
        let this = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == unit)
            .unwrap();
        assert_eq!(this["version"], 1, "{this}");

        let staff = h.signed_in("staff").await;
        // on the page the refusal stands beside the add-a-unit form too, what was typed kept
        let csrf = h.csrf_of(&staff, "/org").await;
        let r = staff
            .post(format!("{}/org/units", h.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("name", "测试、单位"),
                ("kind", "department"),
                ("sort_order", "50"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.unwrap();
        assert!(
            html.contains(r#"<p class="err" id="new-unit-errors">"#),
            "{html}"
        );
        assert!(html.contains(r#"value="测试、单位""#));
        assert!(!html.contains("new-leader-errors"));

        // a unit's kind is chosen, not defaulted: the empty form selects none, and a form sent
        // without one is refused at it with what was typed kept
        let (_, html) = h.page(&staff, "/org").await;
        let select = &html[html.find(r#"id="new-unit-kind""#).unwrap()..];
        let select = &select[..select.find("</select>").unwrap()];
        assert!(
            select.contains(r#"<option value="">请选择</option>"#),
            "{select}"
        );
        assert!(!select.contains(" selected"), "{select}");
        let r = staff
            .post(format!("{}/org/units", h.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("name", "未选类型的单位"),
                ("kind", ""),
                ("sort_order", "51"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.unwrap();
        assert!(html.contains("请选择单位类型"), "{html}");
        assert!(html.contains(r#"value="未选类型的单位""#));
        // marked where it is chosen, not only listed under the form
        assert!(
            html.contains(r#"<select name="kind" id="new-unit-kind" required aria-invalid="true""#),
            "{html}"
        );

        // a 排序号 that is not a number is refused with the form's other errors, not before them
        let r = staff
            .post(format!("{}/org/leaders", h.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("name", ""),
                ("phone", "12ab"),
                ("sort_order", "五十"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.unwrap();
        let shown = &html[html.find(r#"id="new-leader-errors""#).unwrap()..];
        let shown = &shown[..shown.find("</p>").unwrap()];
        assert!(shown.contains("排序号应为0到9999之间的整数"), "{shown}");
        assert!(shown.contains("请填写姓名"), "{shown}");
        assert!(shown.contains("联系电话只能包含"), "{shown}");
        assert!(
            html.contains(r#"value="五十" aria-invalid="true""#),
            "{html}"
        );

        // a refused edit keeps the record's name in its heading, and what was typed in the form
        let edit = format!("{}/org/units/{unit}", h.base);
        let (_, html) = h.page(&staff, &format!("/org/units/{unit}")).await;
        let heading = &html[html.find("<h1>").unwrap()..];
        let heading = heading[4..heading.find("</h1>").unwrap()].to_string();
        assert!(heading.starts_with("编辑单位："), "{heading}");
        let csrf = h.csrf_of(&staff, &format!("/org/units/{unit}")).await;
        let version = this["version"].to_string();
        let r = staff
            .post(&edit)
            .form(&[
                ("csrf", csrf.as_str()),
                ("version", version.as_str()),
                ("name", ""),
                ("kind", "department"),
                ("sort_order", "x"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!("<h1>{heading}</h1>")), "{html}");
        assert!(html.contains("排序号应为0到9999之间的整数"), "{html}");
        assert!(html.contains("请填写单位名称"), "{html}");
        // sent without a kind, the form offers none chosen, not the first as if chosen
        let r = staff
            .post(&edit)
            .form(&[
                ("csrf", csrf.as_str()),
                ("version", version.as_str()),
                ("name", "县住建局"),
                ("kind", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.unwrap();
        assert!(
            html.contains(r#"<option value="" selected>请选择</option>"#),
            "{html}"
        );

        let page = staff
            .get(format!("{}/projects?q={}", h.base, "测".repeat(5_000)))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(html.contains(&"测".repeat(100)));
        assert!(!html.contains(&"测".repeat(101)), "the echo is bounded");

        // the problem list takes a page size as the project list does, and keeps it
        let (status, html) = h.page(&staff, "/problems?per_page=abc").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains("每页条数"), "{html}");
        let (status, html) = h.page(&staff, "/problems?per_page=5&open=1").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(r#"<input type="hidden" name="per_page" value="5">"#));
        assert!(html.contains(r#"<span class="cur">5</span>"#), "{html}");

        // a year that is not one is refused, not read as "every year"
        for (q, status) in [
            ("year=abc", StatusCode::UNPROCESSABLE_ENTITY),
            ("year=99999", StatusCode::UNPROCESSABLE_ENTITY),
            ("year=2022", StatusCode::OK),
            ("", StatusCode::OK),
        ] {
            let r = c
                .get(format!("{}/api/v1/meetings?{q}", h.base))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), status, "{q}");
        }

        // a unit's contact and phone, which the API never gives out, are kept by an edit that
        // leaves them out and replaced by one that sends them
        let put = |body: serde_json::Value| {
            c.put(format!("{}/api/v1/units/{unit}", h.base))
                .bearer_auth(&token)
                .json(&body)
                .send()
        };
        let r = put(
            serde_json::json!({"version": 1, "name": "县住建局", "kind": "department",
            "contact": "周联络", "phone": "0737-7654321", "sort_order": 2}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        // every field left out keeps its value (the kind and the sort order too)
        let r = put(serde_json::json!({"version": 2, "name": "县住房和城乡建设局"}))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let out: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            (&out["kind"], &out["sort_order"], &out["version"]),
            (
                &serde_json::json!("department"),
                &serde_json::json!(2),
                &serde_json::json!(3)
            ),
            "{out}"
        );
        let (_, html) = h.page(&staff, &format!("/org/units/{unit}")).await;
        assert!(html.contains(r#"value="县住房和城乡建设局""#), "{html}");
        assert!(html.contains(r#"value="周联络""#) && html.contains(r#"value="0737-7654321""#));
        // an edit without its version is refused at it, not answered as stale; a line break
        // or a tab in a name or a contact is refused
        for (body, field) in [
            (serde_json::json!({"name": "县住建局"}), "version"),
            (
                serde_json::json!({"version": 3, "name": "县住房\n和城乡建设局"}),
                "name",
            ),
            (
                serde_json::json!({"version": 3, "name": "县住房\t和城乡建设局"}),
                "name",
            ),
            (
                serde_json::json!({"version": 3, "contact": "周\n联络"}),
                "contact",
            ),
        ] {
            let r = put(body.clone()).await.unwrap();
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            let text = r.text().await.unwrap();
            assert!(text.contains(&format!("\"field\":\"{field}\"")), "{text}");
        }
        let (_, html) = h.page(&staff, &format!("/org/units/{unit}")).await;
        assert!(
            html.contains(r#"value="县住房和城乡建设局""#),
            "nothing changed"
        );

        // saved by someone else meanwhile: the form comes back with what was typed, saying so,
        // and nothing of it is saved
        let stored_name = "县住房和城乡建设局";
        let version = {
            let v = &html[html.find(r#"name="version" value=""#).unwrap() + 22..];
            v[..v.find('"').unwrap()].to_string()
        };
        let csrf = h.csrf_of(&staff, &format!("/org/units/{unit}")).await;
        let edit = format!("{}/org/units/{unit}", h.base);
        let r = staff
            .post(&edit)
            .form(&[
                ("csrf", csrf.as_str()),
                ("version", version.as_str()),
                ("name", stored_name),
                ("kind", "department"),
                ("sort_order", "7"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = staff
            .post(&edit)
            .form(&[
                ("csrf", csrf.as_str()),
                ("version", version.as_str()),
                ("name", "过期表单里的名称"),
                ("kind", "department"),
                ("sort_order", "8"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("该单位已被他人修改：下方保留了您输入的内容"),
            "{html}"
        );
        assert!(html.contains(r#"value="过期表单里的名称""#), "{html}");
        assert!(html.contains(&format!("<h1>编辑单位：{stored_name}</h1>")));
        let (_, html) = h.page(&staff, "/org").await;
        assert!(!html.contains("过期表单里的名称"));
    }
}

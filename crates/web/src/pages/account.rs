//! Login, logout, password change and the dashboard.

use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub(super) struct LoginPage {
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

/// Where to go after login: only a path on this site. Browsers drop tabs and newlines from a
/// URL and read `\\` as `/`, so `/\t/evil.example` would become `//evil.example`; a value is
/// therefore accepted only if every character is visible ASCII without a backslash, it starts
/// with one `/`, and it is not protocol-relative. Anything else goes to the dashboard.
pub(super) fn safe_next(next: &str) -> String {
    let visible = next
        .bytes()
        .all(|b| (0x21..=0x7e).contains(&b) && b != b'\\');
    let local = next.starts_with('/') && !next.starts_with("//");
    if visible && local && next.len() <= 2048 {
        next.to_string()
    } else {
        "/".into()
    }
}

pub(super) async fn login_page(State(s): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let csrf = keyproj_service::random_token();
    let next = safe_next(&query_pairs(q.as_deref()).get("next"));
    let page = LoginPage {
        csrf: csrf.clone(),
        next,
        username: String::new(),
        error: None,
    };
    (
        [(
            header::SET_COOKIE,
            set_cookie(auth::LOGIN_CSRF_COOKIE, &csrf, s.secure_cookies, Some(1800)),
        )],
        page,
    )
        .into_response()
}

pub(super) async fn login_submit(
    State(s): State<AppState>,
    parts: Parts,
    form: FormData,
) -> Response {
    let cookie_csrf = auth::cookie(&parts, auth::LOGIN_CSRF_COOKIE).unwrap_or_default();
    let next = safe_next(&form.get("next"));
    let username = form.get("username");
    let rerender = |msg: &str, status: StatusCode| {
        let csrf = keyproj_service::random_token();
        let page = LoginPage {
            csrf: csrf.clone(),
            next: next.clone(),
            username: username.chars().take(64).collect(),
            error: Some(msg.to_string()),
        };
        (
            status,
            [(
                header::SET_COOKIE,
                set_cookie(auth::LOGIN_CSRF_COOKIE, &csrf, s.secure_cookies, Some(1800)),
            )],
            page,
        )
            .into_response()
    };
    if cookie_csrf.is_empty() || !auth::same_secret(&cookie_csrf, &form.get("csrf")) {
        return rerender("页面已过期，请重新登录", StatusCode::FORBIDDEN);
    }
    let ip = auth::client_ip(&parts, s.trust_proxy);
    match auth_svc::login(
        &s.app,
        &username,
        &form.get("password"),
        &ip,
        &auth::user_agent(&parts),
    )
    .await
    {
        Ok(li) => {
            let to = if li.user.must_change_password {
                "/password".to_string()
            } else {
                next.clone()
            };
            let mut res = Redirect::to(&to).into_response();
            let h = res.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(
                    session_cookie_name(s.secure_cookies),
                    &li.token,
                    s.secure_cookies,
                    None,
                )
                .parse()
                .expect("cookie"),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(auth::LOGIN_CSRF_COOKIE, "", s.secure_cookies, Some(0))
                    .parse()
                    .expect("cookie"),
            );
            res
        }
        Err(ServiceError::Unauthorized(m)) => rerender(&m, StatusCode::UNAUTHORIZED),
        Err(e) => PageError(e).into_response(),
    }
}

pub(super) async fn logout(State(s): State<AppState>, Posted { signed, .. }: Posted) -> Response {
    if let Err(e) = auth_svc::logout(&s.app, &signed.ctx, signed.info.session.id).await {
        return PageError(e).into_response();
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(
            session_cookie_name(s.secure_cookies),
            "",
            s.secure_cookies,
            Some(0),
        )
        .parse()
        .expect("cookie"),
    );
    res.headers_mut().insert(
        "clear-site-data",
        "\"cache\", \"storage\"".parse().expect("header"),
    );
    res
}

#[derive(Template, WebTemplate)]
#[template(path = "password.html")]
pub(super) struct PasswordPage {
    chrome: Chrome,
    forced: bool,
    done: bool,
    errors: ValidationErrors,
    min_length: usize,
    min_classes: usize,
}

pub(super) async fn password_page(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> PasswordPage {
    let p = s.app.cfg.password;
    PasswordPage {
        forced: signed.info.user.must_change_password,
        done: query_pairs(q.as_deref()).get("done") == "1",
        chrome: Chrome::new(&signed, "password"),
        errors: ValidationErrors::new(),
        min_length: p.min_length,
        min_classes: p.min_classes,
    }
}

pub(super) async fn password_submit(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Response {
    match auth_svc::change_password(
        &s.app,
        &signed.ctx,
        Some(signed.info.session.id),
        &form.get("old_password"),
        &form.get("new_password"),
        &form.get("confirm_password"),
    )
    .await
    {
        Ok(()) => Redirect::to("/password?done=1").into_response(),
        Err(ServiceError::Validation(errors)) => {
            let p = s.app.cfg.password;
            let page = PasswordPage {
                forced: signed.info.user.must_change_password,
                done: false,
                chrome: Chrome::new(&signed, "password"),
                errors,
                min_length: p.min_length,
                min_classes: p.min_classes,
            };
            (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
        }
        Err(e) => PageError(e).into_response(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
pub(super) struct DashboardPage {
    chrome: Chrome,
    total_count: i64,
    total_wan: String,
    /// (key, count, label, 万元)
    stages: Vec<(&'static str, i64, &'static str, String)>,
    by_stage_svg: String,
    year: i32,
    /// (label, projects, plan 万元, done 万元, rate)
    by_category: Vec<(String, usize, String, String, String)>,
    by_level: Vec<(String, usize, String, String, String)>,
    monthly_svg: String,
    industry_svg: String,
    township_svg: String,
    red_list: Vec<(String, String)>,
    red_issue: String,
    missing_month: String,
    missing: Vec<(String, usize)>,
    baseline: String,
    done_rate: String,
    /// Problem list of the year: (raised, closed, closure rate, overdue now), and the units
    /// with most items overdue.
    problems: Option<(i64, i64, String, i64)>,
    overdue_units: Vec<(String, i64, String)>,
}

pub(super) async fn dashboard(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    if !allowed(&signed, Action::ViewProject) {
        // Administrators have no business data: send them to their own page.
        let a = &signed.info.actor;
        let to = if a.has(Role::AuditAdmin) {
            "/audit"
        } else if a.has(Role::SystemAdmin) || a.has(Role::SecurityAdmin) {
            "/admin/users"
        } else {
            "/tokens"
        };
        return Ok(Redirect::to(to).into_response());
    }
    let year = query_pairs(q.as_deref())
        .get("year")
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y));
    let summary = projects::stage_summary(&s.app, &signed.ctx).await?;
    let n: i64 = summary.iter().map(|x| x.1).sum();
    let fen: i64 = summary.iter().map(|x| x.2.fen()).sum();
    let stages: Vec<_> = summary
        .iter()
        .map(|(st, c, m)| (st.key(), *c, st.label(), m.wan_2dp()))
        .collect();
    let bars: Vec<(String, f64)> = stages
        .iter()
        .map(|s| (s.2.to_string(), s.1 as f64))
        .collect();
    let d = keyproj_service::stats::dashboard(&s.app, &signed.ctx, year).await?;
    let rate = |plan: keyproj_domain::Money, done: keyproj_domain::Money| {
        keyproj_domain::money::percent_1dp(done.fen(), plan.fen())
            .map(|r| format!("{r}%"))
            .unwrap_or_else(|| "—".into())
    };
    let rows = |g: &[(String, usize, keyproj_domain::Money, keyproj_domain::Money)]| {
        g.iter()
            .map(|(l, n, p, d)| (l.clone(), *n, p.wan_2dp(), d.wan_2dp(), rate(*p, *d)))
            .collect()
    };
    let labels: Vec<String> = (1..=12).map(|m| format!("{m}月")).collect();
    let yi = |m: &keyproj_domain::Money| m.fen() as f64 / 10_000_000_000.0;
    let plan: Vec<Option<f64>> = d.monthly.iter().map(|(p, _)| Some(yi(p))).collect();
    let actual: Vec<Option<f64>> = d.monthly.iter().map(|(_, a)| a.as_ref().map(yi)).collect();
    let monthly_svg = keyproj_office::chart::line_svg(
        &labels,
        &[
            ("计划累计", "#9e9e9e", true, plan),
            ("完成累计（已审核）", "#1f4e8c", false, actual),
        ],
        "亿元",
    );
    let industry: Vec<(String, f64)> = d
        .by_industry
        .iter()
        .map(|(l, m)| (l.clone(), (m.fen() / 1_000_000) as f64))
        .collect();
    let township: Vec<(String, f64)> = d
        .by_township
        .iter()
        .map(|(l, n)| (l.clone(), *n as f64))
        .collect();
    let uc = d.by_category.iter().find(|c| c.0 == "在建");
    let (baseline, done_rate) = match (d.last_approved_month, uc) {
        (Some(m), Some(c)) => (
            format!(
                "{}%",
                keyproj_domain::colour::bp_percent((m as i64 * 10000 + 6) / 12)
            ),
            rate(c.2, c.3),
        ),
        _ => ("—".into(), "—".into()),
    };
    let (problems, overdue_units) = if allowed(&signed, Action::ViewProblems) {
        use chrono::Datelike;
        let y = year.unwrap_or(s.app.local_today().year());
        let st = keyproj_service::problems::stats(&s.app, &signed.ctx, y, None).await?;
        let raised: i64 = st.by_source.iter().map(|r| r.1.raised).sum();
        let assigned: i64 = st.units.iter().map(|u| u.assigned).sum();
        let closed: i64 = st.units.iter().map(|u| u.closed).sum();
        let overdue: i64 = st.units.iter().map(|u| u.overdue).sum();
        let mut worst: Vec<_> = st
            .units
            .iter()
            .filter(|u| u.overdue > 0)
            .map(|u| {
                (
                    u.unit_name.clone(),
                    u.overdue,
                    format!("{:.1}%", u.closure_rate_pct),
                )
            })
            .collect();
        worst.sort_by_key(|w| std::cmp::Reverse(w.1));
        worst.truncate(8);
        (
            Some((
                raised,
                closed,
                keyproj_domain::money::percent_1dp(closed, assigned)
                    .map(|r| format!("{r}%"))
                    .unwrap_or_else(|| "—".into()),
                overdue,
            )),
            worst,
        )
    } else {
        (None, vec![])
    };
    Ok(DashboardPage {
        problems,
        overdue_units,
        chrome: Chrome::new(&signed, "home"),
        total_count: n,
        total_wan: views::wan(fen),
        by_stage_svg: keyproj_office::chart::bar_svg(&bars, "个"),
        stages,
        year: d.year,
        by_category: rows(&d.by_category),
        by_level: rows(&d.by_level),
        monthly_svg,
        industry_svg: if industry.is_empty() {
            String::new()
        } else {
            keyproj_office::chart::bar_svg(&industry, "万元")
        },
        township_svg: if township.is_empty() {
            String::new()
        } else {
            keyproj_office::chart::bar_svg(&township, "个")
        },
        red_list: d.red_list,
        red_issue: d.red_issue.unwrap_or_default(),
        missing_month: d.missing_month.0,
        missing: d.missing,
        baseline,
        done_rate,
    }
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_same_site_paths_survive() {
        assert_eq!(
            safe_next("/problems?state=open&page=2"),
            "/problems?state=open&page=2"
        );
        for hostile in [
            "//evil.example",
            "/\t/evil.example",
            "/\n/x",
            "/\r\n/x",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example",
            "/ /evil.example",
            "/\u{3000}/evil.example",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(safe_next(hostile), "/", "{hostile:?}");
        }
    }
}

//! Server-rendered pages. Post/Redirect/Get for successful forms; forms with errors are
//! re-rendered with the message at each field.

use crate::AppState;
use crate::auth::{self, FormData, Posted, Signed, query_pairs, session_cookie_name, set_cookie};
use crate::error::{PageError, page_error};
use crate::views::{self, Chrome};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use keyproj_db::repo::audit::AuditFilter;
use keyproj_domain::ValidationErrors;
use keyproj_domain::authz::{Action, Decision, Role};
use keyproj_domain::org::UnitKind;
use keyproj_domain::project::{Industry, Level, ProjectDraft, Stage, allowed_next};
use keyproj_office::xlsx::{self, Cell};
use keyproj_service::projects::{ListQuery, ProjectInput, StageChangeInput};
use keyproj_service::{ServiceError, audit_log, auth as auth_svc, org, projects, users};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/password", get(password_page).post(password_submit))
        .route("/", get(dashboard))
        .route("/projects", get(project_list))
        .route("/projects.xlsx", get(project_export))
        .route("/projects/new", get(project_new).post(project_create))
        .route("/projects/{id}", get(project_detail))
        .route(
            "/projects/{id}/edit",
            get(project_edit).post(project_update),
        )
        .route("/projects/{id}/stage", post(project_stage))
        .route("/org", get(org_page))
        .route("/org/units", post(org_unit_create))
        .route("/org/leaders", post(org_leader_create))
        .route("/org/thresholds", post(org_threshold))
        .route("/admin/users", get(users_page).post(user_create))
        .route("/admin/users/{id}/{op}", post(user_op))
        .route("/audit", get(audit_page))
        .route("/audit.xlsx", get(audit_export))
        .route("/tokens", get(tokens_page).post(token_create))
        .route("/tokens/{id}/revoke", post(token_revoke))
}

fn allowed(s: &Signed, a: Action) -> bool {
    keyproj_domain::authz::authorize(&s.info.actor, a) == Decision::Allow
}

fn xlsx_response(name: &str, bytes: Vec<u8>) -> Response {
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"export.xlsx\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response()
}

// --- login -----------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

fn safe_next(next: &str) -> String {
    // Only local paths: never redirect to another site after login.
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_string()
    } else {
        "/".into()
    }
}

async fn login_page(State(s): State<AppState>, RawQuery(q): RawQuery) -> Response {
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

async fn login_submit(State(s): State<AppState>, parts: Parts, form: FormData) -> Response {
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

async fn logout(State(s): State<AppState>, Posted { signed, .. }: Posted) -> Response {
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
struct PasswordPage {
    chrome: Chrome,
    forced: bool,
    done: bool,
    errors: ValidationErrors,
    min_length: usize,
    min_classes: usize,
}

async fn password_page(
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

async fn password_submit(State(s): State<AppState>, Posted { signed, form }: Posted) -> Response {
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

// --- dashboard --------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    total_count: i64,
    total_wan: String,
    /// (key, count, label, 万元)
    stages: Vec<(&'static str, i64, &'static str, String)>,
    by_stage_svg: String,
}

async fn dashboard(State(s): State<AppState>, signed: Signed) -> Result<Response, PageError> {
    if !allowed(&signed, Action::ViewProject) {
        // Administrators have no business data: send them to their own page.
        let to = if signed.info.actor.has(Role::AuditAdmin) {
            "/audit"
        } else if signed.info.actor.has(Role::SystemAdmin)
            || signed.info.actor.has(Role::SecurityAdmin)
        {
            "/admin/users"
        } else {
            "/tokens"
        };
        return Ok(Redirect::to(to).into_response());
    }
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
    Ok(DashboardPage {
        chrome: Chrome::new(&signed, "home"),
        total_count: n,
        total_wan: views::wan(fen),
        by_stage_svg: keyproj_office::chart::bar_svg(&bars, "个"),
        stages,
    }
    .into_response())
}

// --- projects ---------------------------------------------------------------------------

pub struct ProjectLine {
    seq: i64,
    id: i64,
    code: String,
    name: String,
    level: &'static str,
    stage_key: String,
    stage: &'static str,
    industry: &'static str,
    township: String,
    total_wan: String,
    leader: String,
    lead_unit: String,
    responsible: String,
    below_threshold: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "projects/list.html")]
struct ProjectListPage {
    chrome: Chrome,
    q: ListQuery,
    page: projects::ProjectPage,
    rows: Vec<ProjectLine>,
    total_wan: String,
    stages: Vec<(&'static str, &'static str)>,
    levels: Vec<(&'static str, &'static str)>,
    industries: Vec<(&'static str, &'static str)>,
    townships: Vec<(i64, String, bool)>,
    units: Vec<(i64, String, bool)>,
    leaders: Vec<(i64, String, bool)>,
    can_create: bool,
    export_href: String,
}

pub(crate) fn list_query_of(q: Option<&str>) -> ListQuery {
    let p = query_pairs(q);
    let num = |k: &str| p.get(k).trim().parse::<i64>().ok();
    ListQuery {
        q: p.get("q"),
        stage: p.get("stage"),
        level: p.get("level"),
        industry: p.get("industry"),
        township: num("township"),
        lead_unit: num("lead_unit"),
        leader: num("leader"),
        below_threshold: match p.get("below_threshold").as_str() {
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            _ => None,
        },
        sort: p.get("sort"),
        desc: p.get("desc") == "1",
        page: num("page"),
        per_page: num("per_page"),
    }
}

fn query_string(q: &ListQuery, sort: Option<(&str, bool)>, page: Option<i64>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("q", &q.q),
        ("stage", &q.stage),
        ("level", &q.level),
        ("industry", &q.industry),
    ] {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    for (k, v) in [
        ("township", q.township),
        ("lead_unit", q.lead_unit),
        ("leader", q.leader),
    ] {
        if let Some(v) = v {
            s.append_pair(k, &v.to_string());
        }
    }
    let (sort, desc) = sort
        .map(|(k, d)| (k.to_string(), d))
        .unwrap_or((q.sort.clone(), q.desc));
    if !sort.is_empty() {
        s.append_pair("sort", &sort);
    }
    if desc {
        s.append_pair("desc", "1");
    }
    if let Some(p) = page {
        s.append_pair("page", &p.to_string());
    }
    s.finish()
}

impl ProjectListPage {
    fn sort_href(&self, key: &str) -> String {
        let desc = self.q.sort == key && !self.q.desc;
        format!(
            "/projects?{}",
            query_string(&self.q, Some((key, desc)), None)
        )
    }
    fn sort_mark(&self, key: &str) -> &'static str {
        if self.q.sort == key || (self.q.sort.is_empty() && key == "code") {
            if self.q.desc { " ↓" } else { " ↑" }
        } else {
            ""
        }
    }
    fn page_href(&self, page: i64) -> String {
        format!("/projects?{}", query_string(&self.q, None, Some(page)))
    }
}

fn enum_options<T: Copy>(
    all: &[T],
    key: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(&'static str, &'static str)> {
    all.iter().map(|v| (key(*v), label(*v))).collect()
}

async fn project_list(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let query = list_query_of(q.as_deref());
    let page = match projects::list(&s.app, &signed.ctx, &query).await {
        Ok(p) => p,
        Err(ServiceError::Validation(v)) => {
            return Ok(page_error(StatusCode::BAD_REQUEST, &v.to_string()));
        }
        Err(e) => return Err(e.into()),
    };
    let units = org::units(&s.app, &signed.ctx).await?;
    let leaders = org::leaders(&s.app, &signed.ctx).await?;
    let first = (page.page - 1) * page.per_page;
    let rows = page
        .items
        .iter()
        .zip(page.responsible.iter())
        .enumerate()
        .map(|(i, (p, r))| ProjectLine {
            seq: first + i as i64 + 1,
            id: p.id,
            code: p.code.clone().unwrap_or_default(),
            name: p.name.clone(),
            level: views::level_label(&p.level),
            stage_key: p.stage.clone(),
            stage: views::stage_label(&p.stage),
            industry: views::industry_label(&p.industry),
            township: p.township_name.clone().unwrap_or_default(),
            total_wan: views::wan(p.total_investment_fen),
            leader: p.leader_name.clone().unwrap_or_default(),
            lead_unit: p.lead_unit_name.clone().unwrap_or_default(),
            responsible: r.join("、"),
            below_threshold: p.below_threshold,
        })
        .collect();
    let export_href = format!("/projects.xlsx?{}", query_string(&query, None, None));
    Ok(ProjectListPage {
        chrome: Chrome::new(&signed, "projects"),
        total_wan: views::wan(page.totals.total_investment_fen),
        rows,
        page,
        stages: enum_options(Stage::ALL, Stage::key, Stage::label),
        levels: enum_options(Level::ALL, Level::key, Level::label),
        industries: enum_options(Industry::ALL, Industry::key, Industry::label),
        townships: units
            .iter()
            .filter(|u| UnitKind::from_key(&u.kind).is_some_and(|k| k.is_place()))
            .map(|u| (u.id, u.name.clone(), query.township == Some(u.id)))
            .collect(),
        units: units
            .iter()
            .filter(|u| u.kind != "enterprise")
            .map(|u| (u.id, u.name.clone(), query.lead_unit == Some(u.id)))
            .collect(),
        leaders: leaders
            .iter()
            .map(|l| (l.id, l.name.clone(), query.leader == Some(l.id)))
            .collect(),
        can_create: allowed(&signed, Action::CreateProject),
        export_href,
        q: query,
    }
    .into_response())
}

async fn project_export(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let mut query = list_query_of(q.as_deref());
    query.page = Some(1);
    query.per_page = Some(projects::MAX_PER_PAGE);
    let mut items = vec![];
    let mut responsible = vec![];
    let mut totals;
    // Page through the whole filtered set.
    loop {
        let page = projects::list(&s.app, &signed.ctx, &query).await?;
        let done = page.page >= page.pages;
        items.extend(page.items);
        responsible.extend(page.responsible);
        totals = Some(page.totals);
        if done {
            break;
        }
        query.page = Some(page.page + 1);
    }
    let totals = totals.unwrap_or_default();
    let rows: Vec<Vec<Cell>> = items
        .iter()
        .zip(responsible.iter())
        .enumerate()
        .map(|(i, (p, r))| {
            vec![
                Cell::Int(i as i64 + 1),
                p.code.clone().unwrap_or_default().into(),
                p.name.clone().into(),
                p.national_code.clone().unwrap_or_default().into(),
                views::level_label(&p.level).into(),
                views::stage_label(&p.stage).into(),
                views::industry_label(&p.industry).into(),
                p.township_name.clone().unwrap_or_default().into(),
                p.owner_name.clone().unwrap_or_default().into(),
                p.content_scale.clone().into(),
                Cell::Wan(keyproj_domain::Money::from_fen(p.total_investment_fen).wan_for_sheet()),
                p.planned_start.clone().unwrap_or_default().into(),
                p.planned_completion.clone().unwrap_or_default().into(),
                p.actual_start.clone().unwrap_or_default().into(),
                p.actual_completion.clone().unwrap_or_default().into(),
                p.leader_name.clone().unwrap_or_default().into(),
                p.lead_unit_name.clone().unwrap_or_default().into(),
                r.join("、").into(),
            ]
        })
        .collect();
    let region = org::region_name(&signed.info.actor.region);
    let title = format!("{region}重点建设项目库");
    let subtitle = format!(
        "导出时间：{}　共{}个项目",
        views::local_time(&s.app.now()),
        totals.count
    );
    let headers: &[(&str, f64)] = &[
        ("序号", 6.0),
        ("项目编号", 12.0),
        ("项目名称", 32.0),
        ("项目代码", 26.0),
        ("项目级别", 9.0),
        ("建设阶段", 9.0),
        ("行业类别", 11.0),
        ("所属乡镇", 12.0),
        ("业主单位", 24.0),
        ("建设内容及规模", 40.0),
        ("总投资（万元）", 14.0),
        ("计划开工", 10.0),
        ("计划竣工", 10.0),
        ("实际开工", 10.0),
        ("实际竣工", 10.0),
        ("县级联系领导", 12.0),
        ("牵头单位", 18.0),
        ("责任单位", 24.0),
    ];
    let mut total_row = vec![Cell::Text("合计".into())];
    total_row.extend((1..10).map(|_| Cell::Empty));
    total_row.push(Cell::Wan(
        keyproj_domain::Money::from_fen(totals.total_investment_fen).wan_for_sheet(),
    ));
    total_row.extend((11..18).map(|_| Cell::Empty));
    let bytes = xlsx::write(&xlsx::Sheet {
        name: "项目库",
        title: &title,
        subtitle: Some(&subtitle),
        headers,
        rows,
        totals: Some(total_row),
    })
    .map_err(|e| ServiceError::Internal(e.to_string()))?;
    projects::record_export(&s.app, &signed.ctx, "project_list", items.len()).await?;
    Ok(xlsx_response(&format!("{title}.xlsx"), bytes))
}

pub struct TextField {
    name: &'static str,
    label: &'static str,
    value: String,
    hint: &'static str,
    required: bool,
    wide: bool,
    error: Option<String>,
}

pub struct SelectField {
    name: &'static str,
    label: &'static str,
    options: Vec<(String, String, bool)>,
    required: bool,
    multiple: bool,
    disabled: bool,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "projects/form.html")]
struct ProjectFormPage {
    chrome: Chrome,
    id: Option<i64>,
    version: i64,
    action: String,
    errors: ValidationErrors,
    text_fields: Vec<TextField>,
    selects: Vec<SelectField>,
}

fn input_from_form(f: &FormData) -> ProjectInput {
    ProjectInput {
        draft: ProjectDraft {
            code: f.get("code"),
            name: f.get("name"),
            national_code: f.get("national_code"),
            level: f.get("level"),
            stage: f.get("stage"),
            industry: f.get("industry"),
            content_scale: f.get("content_scale"),
            total_investment_wan: f.get("total_investment_wan"),
            funding_sources: f.get("funding_sources"),
            planned_start: f.get("planned_start"),
            planned_completion: f.get("planned_completion"),
            actual_start: f.get("actual_start"),
            actual_completion: f.get("actual_completion"),
            location: f.get("location"),
            tags: f.get("tags"),
        },
        township_unit_id: f.id("township_unit_id"),
        owner_unit_id: f.id("owner_unit_id"),
        leader_id: f.id("leader_id"),
        lead_unit_id: f.id("lead_unit_id"),
        responsible_unit_ids: f
            .all("responsible_unit_ids")
            .iter()
            .filter_map(|v| auth::parse_id(v))
            .collect(),
        parent_id: f.id("parent_id"),
    }
}

fn input_from_row(
    p: &keyproj_db::repo::projects::ProjectRow,
    responsible: &[(i64, String)],
) -> ProjectInput {
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    ProjectInput {
        draft: ProjectDraft {
            code: o(&p.code),
            name: p.name.clone(),
            national_code: o(&p.national_code),
            level: p.level.clone(),
            stage: p.stage.clone(),
            industry: p.industry.clone(),
            content_scale: p.content_scale.clone(),
            total_investment_wan: views::wan(p.total_investment_fen),
            funding_sources: p.funding_sources.clone(),
            planned_start: o(&p.planned_start),
            planned_completion: o(&p.planned_completion),
            actual_start: o(&p.actual_start),
            actual_completion: o(&p.actual_completion),
            location: p.location.clone(),
            tags: p.tags.clone(),
        },
        township_unit_id: p.township_unit_id,
        owner_unit_id: p.owner_unit_id,
        leader_id: p.leader_id,
        lead_unit_id: p.lead_unit_id,
        responsible_unit_ids: responsible.iter().map(|r| r.0).collect(),
        parent_id: p.parent_id,
    }
}

async fn form_page(
    s: &AppState,
    signed: &Signed,
    id: Option<i64>,
    version: i64,
    input: &ProjectInput,
    errors: ValidationErrors,
) -> Result<ProjectFormPage, PageError> {
    let units = org::units(&s.app, &signed.ctx).await?;
    let leaders = org::leaders(&s.app, &signed.ctx).await?;
    let e = |k: &str| errors.for_field(k).map(String::from);
    let d = &input.draft;
    let t = |name: &'static str,
             label: &'static str,
             value: &str,
             hint: &'static str,
             required: bool,
             wide: bool| TextField {
        name,
        label,
        value: value.to_string(),
        hint,
        required,
        wide,
        error: e(name),
    };
    let text_fields = vec![
        t("name", "项目名称", &d.name, "", true, false),
        t("code", "项目编号", &d.code, "如 TJ2022-001", false, false),
        t(
            "national_code",
            "项目代码（24位）",
            &d.national_code,
            "2022-430922-04-01-123456",
            false,
            false,
        ),
        t(
            "total_investment_wan",
            "总投资（万元）",
            &d.total_investment_wan,
            "如 12345.67",
            true,
            false,
        ),
        t(
            "funding_sources",
            "资金来源",
            &d.funding_sources,
            "如 企业自筹",
            false,
            false,
        ),
        t(
            "planned_start",
            "计划开工（年-月）",
            &d.planned_start,
            "2022-03",
            false,
            false,
        ),
        t(
            "planned_completion",
            "计划竣工（年-月）",
            &d.planned_completion,
            "2023-12",
            false,
            false,
        ),
        t(
            "actual_start",
            "实际开工（年-月）",
            &d.actual_start,
            "2022-03",
            false,
            false,
        ),
        t(
            "actual_completion",
            "实际竣工（年-月）",
            &d.actual_completion,
            "",
            false,
            false,
        ),
        t("location", "建设地点", &d.location, "", false, false),
        t(
            "tags",
            "标签（用、分隔）",
            &d.tags,
            "招商引资、民生实事",
            false,
            false,
        ),
        t(
            "content_scale",
            "建设内容及规模",
            &d.content_scale,
            "",
            false,
            true,
        ),
    ];
    let enum_sel = |name: &'static str,
                    label: &'static str,
                    opts: Vec<(&'static str, &'static str)>,
                    cur: &str,
                    disabled: bool| SelectField {
        name,
        label,
        options: opts
            .into_iter()
            .map(|(k, l)| (k.to_string(), l.to_string(), k == cur || l == cur))
            .collect(),
        required: true,
        multiple: false,
        disabled,
        error: e(name),
    };
    let unit_sel = |name: &'static str,
                    label: &'static str,
                    filter: &dyn Fn(&str) -> bool,
                    cur: &[i64],
                    multiple: bool| SelectField {
        name,
        label,
        options: units
            .iter()
            .filter(|u| filter(&u.kind))
            .map(|u| (u.id.to_string(), u.name.clone(), cur.contains(&u.id)))
            .collect(),
        required: false,
        multiple,
        disabled: false,
        error: e(name),
    };
    let opt = |v: Option<i64>| v.into_iter().collect::<Vec<_>>();
    let is_place = |k: &str| UnitKind::from_key(k).is_some_and(|k| k.is_place());
    let selects = vec![
        enum_sel(
            "level",
            "项目级别",
            enum_options(Level::ALL, Level::key, Level::label),
            &d.level,
            false,
        ),
        enum_sel(
            "stage",
            "建设阶段",
            enum_options(Stage::ALL, Stage::key, Stage::label),
            &d.stage,
            id.is_some(),
        ),
        enum_sel(
            "industry",
            "行业类别",
            enum_options(Industry::ALL, Industry::key, Industry::label),
            &d.industry,
            false,
        ),
        unit_sel(
            "township_unit_id",
            "所属乡镇/园区",
            &is_place,
            &opt(input.township_unit_id),
            false,
        ),
        unit_sel(
            "owner_unit_id",
            "业主单位",
            &|k| k == "enterprise" || k == "department",
            &opt(input.owner_unit_id),
            false,
        ),
        SelectField {
            name: "leader_id",
            label: "县级联系领导",
            options: leaders
                .iter()
                .map(|l| {
                    (
                        l.id.to_string(),
                        format!("{}（{}）", l.name, l.title),
                        input.leader_id == Some(l.id),
                    )
                })
                .collect(),
            required: false,
            multiple: false,
            disabled: false,
            error: e("leader_id"),
        },
        unit_sel(
            "lead_unit_id",
            "牵头单位",
            &|k| k != "enterprise",
            &opt(input.lead_unit_id),
            false,
        ),
        unit_sel(
            "responsible_unit_ids",
            "责任单位（可多选）",
            &|k| k != "enterprise",
            &input.responsible_unit_ids,
            true,
        ),
    ];
    let action = match id {
        Some(i) => format!("/projects/{i}/edit"),
        None => "/projects/new".into(),
    };
    Ok(ProjectFormPage {
        chrome: Chrome::new(signed, "projects"),
        id,
        version,
        action,
        errors,
        text_fields,
        selects,
    })
}

async fn project_new(State(s): State<AppState>, signed: Signed) -> Result<Response, PageError> {
    if !allowed(&signed, Action::CreateProject) {
        return Err(ServiceError::Forbidden.into());
    }
    let input = ProjectInput {
        draft: ProjectDraft {
            level: "county".into(),
            stage: "signed".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    Ok(
        form_page(&s, &signed, None, 0, &input, ValidationErrors::new())
            .await?
            .into_response(),
    )
}

async fn project_create(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let input = input_from_form(&form);
    match projects::create(&s.app, &signed.ctx, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/projects/{id}?saved=1")).into_response()),
        Err(ServiceError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(&s, &signed, None, 0, &input, errors).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

async fn project_edit(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let d = projects::get(&s.app, &signed.ctx, id).await?;
    if !allowed(&signed, Action::EditProject) {
        return Err(ServiceError::Forbidden.into());
    }
    let input = input_from_row(&d.project, &d.responsible_units);
    Ok(form_page(
        &s,
        &signed,
        Some(id),
        d.project.version,
        &input,
        ValidationErrors::new(),
    )
    .await?
    .into_response())
}

async fn project_update(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let input = input_from_form(&form);
    let version = form.get("version").parse().unwrap_or(-1);
    match projects::update(&s.app, &signed.ctx, id, version, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/projects/{id}?saved=1")).into_response()),
        Err(ServiceError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(&s, &signed, Some(id), version, &input, errors).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "projects/detail.html")]
struct ProjectDetailPage {
    chrome: Chrome,
    p: keyproj_db::repo::projects::ProjectRow,
    stage: &'static str,
    level: &'static str,
    industry: &'static str,
    total_wan: String,
    threshold_wan: String,
    responsible: String,
    parent_name: Option<String>,
    children: Vec<(i64, String)>,
    history: Vec<(String, &'static str, &'static str, String, String)>,
    audit: Vec<(String, String, String, String)>,
    can_edit: bool,
    can_stage: bool,
    next_stages: Vec<(&'static str, &'static str)>,
    today: String,
    errors: ValidationErrors,
    flash: Option<String>,
}

impl ProjectDetailPage {
    fn o<'a>(&self, s: &'a Option<String>) -> &'a str {
        views::opt(s)
    }
    fn parent_id(&self) -> i64 {
        self.p.parent_id.unwrap_or(0)
    }
}

async fn detail_page(
    s: &AppState,
    signed: &Signed,
    id: i64,
    errors: ValidationErrors,
    flash: Option<String>,
) -> Result<ProjectDetailPage, PageError> {
    let d = projects::get(&s.app, &signed.ctx, id).await?;
    let p = d.project;
    let cur = Stage::from_key(&p.stage).unwrap_or(Stage::Signed);
    Ok(ProjectDetailPage {
        chrome: Chrome::new(signed, "projects"),
        stage: views::stage_label(&p.stage),
        level: views::level_label(&p.level),
        industry: views::industry_label(&p.industry),
        total_wan: views::wan(p.total_investment_fen),
        threshold_wan: d.threshold.wan_2dp(),
        responsible: d
            .responsible_units
            .iter()
            .map(|u| u.1.as_str())
            .collect::<Vec<_>>()
            .join("、"),
        parent_name: d.parent_name,
        children: d.children,
        history: d
            .stage_history
            .iter()
            .map(|h| {
                (
                    h.changed_on.clone(),
                    h.from_stage
                        .as_deref()
                        .map(views::stage_label)
                        .unwrap_or("—"),
                    views::stage_label(&h.to_stage),
                    h.reason.clone(),
                    h.username.clone(),
                )
            })
            .collect(),
        audit: d
            .audit
            .iter()
            .map(|a| {
                (
                    views::local_time(&a.at),
                    a.username.clone(),
                    a.action.clone(),
                    a.ip.clone(),
                )
            })
            .collect(),
        can_edit: allowed(signed, Action::EditProject),
        can_stage: allowed(signed, Action::ChangeStage),
        next_stages: allowed_next(cur)
            .iter()
            .map(|s| (s.key(), s.label()))
            .collect(),
        today: (s.app.now() + chrono::Duration::hours(8))
            .date_naive()
            .to_string(),
        errors,
        flash,
        p,
    })
}

async fn project_detail(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let qp = query_pairs(q.as_deref());
    let flash = if qp.get("saved") == "1" {
        Some("已保存".to_string())
    } else if qp.get("staged") == "1" {
        Some("阶段已变更".to_string())
    } else {
        None
    };
    Ok(detail_page(&s, &signed, id, ValidationErrors::new(), flash)
        .await?
        .into_response())
}

async fn project_stage(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let input = StageChangeInput {
        to_stage: form.get("to_stage"),
        changed_on: form.get("changed_on"),
        reason: form.get("reason"),
        actual_start: form.get("actual_start"),
        actual_completion: form.get("actual_completion"),
    };
    let version = form.get("version").parse().unwrap_or(-1);
    match projects::change_stage(&s.app, &signed.ctx, id, version, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/projects/{id}?staged=1")).into_response()),
        Err(ServiceError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            detail_page(&s, &signed, id, errors, None).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

// --- organisation -----------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "org.html")]
struct OrgPage {
    chrome: Chrome,
    units: Vec<(String, &'static str)>,
    leaders: Vec<(String, String)>,
    thresholds: Vec<(&'static str, &'static str, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    can_manage: bool,
    errors: ValidationErrors,
    flash: Option<String>,
}

async fn org_render(
    s: &AppState,
    signed: &Signed,
    errors: ValidationErrors,
    flash: Option<String>,
) -> Result<OrgPage, PageError> {
    if !allowed(signed, Action::ViewOrg) {
        return Err(ServiceError::Forbidden.into());
    }
    let units = org::units(&s.app, &signed.ctx).await?;
    let leaders = org::leaders(&s.app, &signed.ctx).await?;
    let th = org::thresholds(&s.app, &signed.info.actor.region).await?;
    Ok(OrgPage {
        chrome: Chrome::new(signed, "org"),
        units: units
            .iter()
            .map(|u| {
                (
                    u.name.clone(),
                    UnitKind::from_key(&u.kind).map(|k| k.label()).unwrap_or(""),
                )
            })
            .collect(),
        leaders: leaders
            .iter()
            .map(|l| (l.name.clone(), l.title.clone()))
            .collect(),
        thresholds: th
            .iter()
            .map(|(c, m)| (c.key(), c.label(), m.wan_2dp()))
            .collect(),
        kinds: UnitKind::ALL.iter().map(|k| (k.key(), k.label())).collect(),
        can_manage: allowed(signed, Action::ManageOrg),
        errors,
        flash,
    })
}

async fn org_page(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let flash = (query_pairs(q.as_deref()).get("saved") == "1").then(|| "已保存".to_string());
    Ok(org_render(&s, &signed, ValidationErrors::new(), flash)
        .await?
        .into_response())
}

async fn org_result(
    s: &AppState,
    signed: &Signed,
    r: keyproj_service::Result<()>,
) -> Result<Response, PageError> {
    match r {
        Ok(()) => Ok(Redirect::to("/org?saved=1").into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            org_render(s, signed, v, None).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

async fn org_unit_create(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let r = org::create_unit(
        &s.app,
        &signed.ctx,
        &org::UnitInput {
            name: &form.get("name"),
            kind: &form.get("kind"),
            contact: "",
            phone: "",
            sort_order: 50,
        },
    )
    .await
    .map(|_| ());
    org_result(&s, &signed, r).await
}

async fn org_leader_create(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let r = org::create_leader(
        &s.app,
        &signed.ctx,
        &form.get("name"),
        &form.get("title"),
        "",
        50,
    )
    .await
    .map(|_| ());
    org_result(&s, &signed, r).await
}

async fn org_threshold(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let r = org::set_threshold(
        &s.app,
        &signed.ctx,
        &form.get("class"),
        &form.get("min_wan"),
    )
    .await;
    org_result(&s, &signed, r).await
}

// --- accounts ---------------------------------------------------------------------------

pub struct UserLine {
    id: i64,
    version: i64,
    username: String,
    display_name: String,
    unit: String,
    roles: String,
    role_opts: Vec<(&'static str, &'static str, bool)>,
    status: String,
    last_login: String,
    disabled: bool,
    is_self: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserLine>,
    units: Vec<(i64, String)>,
    roles: Vec<(&'static str, &'static str)>,
    sessions: Vec<(String, String, String, String)>,
    is_sysadmin: bool,
    is_secadmin: bool,
    flash: Option<String>,
    secret: Option<String>,
    errors: ValidationErrors,
}

async fn users_render(
    s: &AppState,
    signed: &Signed,
    flash: Option<String>,
    secret: Option<String>,
    errors: ValidationErrors,
) -> Result<UsersPage, PageError> {
    let list = users::list(&s.app, &signed.ctx).await?;
    let now = s.app.now();
    let is_secadmin = signed.info.actor.has(Role::SecurityAdmin);
    let sessions = if is_secadmin {
        let (ss, _) = users::sessions_and_tokens(&s.app, &signed.ctx).await?;
        ss.iter()
            .map(|x| {
                (
                    list.iter()
                        .find(|u| u.user.id == x.user_id)
                        .map(|u| u.user.username.clone())
                        .unwrap_or_default(),
                    views::local_time(&x.created_at),
                    views::local_time(&x.last_seen_at),
                    x.ip.clone(),
                )
            })
            .collect()
    } else {
        vec![]
    };
    let units = org::units(&s.app, &signed.ctx).await?;
    Ok(UsersPage {
        chrome: Chrome::new(signed, "users"),
        users: list
            .iter()
            .map(|u| UserLine {
                id: u.user.id,
                version: u.user.version,
                username: u.user.username.clone(),
                display_name: u.user.display_name.clone(),
                unit: u.user.unit_name.clone(),
                roles: u
                    .roles
                    .iter()
                    .map(|r| views::role_label(r))
                    .collect::<Vec<_>>()
                    .join("、"),
                role_opts: Role::ALL
                    .iter()
                    .map(|r| (r.key(), r.label(), u.roles.iter().any(|x| x == r.key())))
                    .collect(),
                status: if u.user.disabled {
                    "已停用".into()
                } else if s.app.cfg.session.is_locked(u.user.locked_until, now) {
                    "已锁定".into()
                } else if u.user.must_change_password {
                    "待改初始密码".into()
                } else {
                    "正常".into()
                },
                last_login: u
                    .user
                    .last_login_at
                    .as_ref()
                    .map(views::local_time)
                    .unwrap_or_default(),
                disabled: u.user.disabled,
                is_self: u.user.id == signed.info.user.id,
            })
            .collect(),
        units: units.iter().map(|u| (u.id, u.name.clone())).collect(),
        roles: Role::ALL.iter().map(|r| (r.key(), r.label())).collect(),
        sessions,
        is_sysadmin: signed.info.actor.has(Role::SystemAdmin),
        is_secadmin,
        flash,
        secret,
        errors,
    })
}

async fn users_page(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let flash = match query_pairs(q.as_deref()).get("done").as_str() {
        "" => None,
        _ => Some("操作已完成".to_string()),
    };
    Ok(
        users_render(&s, &signed, flash, None, ValidationErrors::new())
            .await?
            .into_response(),
    )
}

fn roles_from(form: &FormData) -> Vec<Role> {
    form.all("roles")
        .iter()
        .filter_map(|r| Role::from_key(r))
        .collect()
}

async fn user_create(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let roles = roles_from(&form);
    let unit_id = form.id("unit_id").unwrap_or(-1);
    match users::create(
        &s.app,
        &signed.ctx,
        &users::NewAccount {
            username: &form.get("username"),
            display_name: &form.get("display_name"),
            unit_id,
            roles: &roles,
        },
    )
    .await
    {
        Ok((_, pw)) => Ok(users_render(
            &s,
            &signed,
            Some(format!("已创建账号 {}", form.get("username").trim())),
            Some(pw),
            ValidationErrors::new(),
        )
        .await?
        .into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            users_render(&s, &signed, None, None, v).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

async fn user_op(
    State(s): State<AppState>,
    Path((id, op)): Path<(i64, String)>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let version = form.get("version").parse().unwrap_or(-1);
    let r = match op.as_str() {
        "roles" => users::set_roles(&s.app, &signed.ctx, id, version, &roles_from(&form)).await,
        "disable" => users::set_disabled(&s.app, &signed.ctx, id, version, true).await,
        "enable" => users::set_disabled(&s.app, &signed.ctx, id, version, false).await,
        "unlock" => users::unlock(&s.app, &signed.ctx, id).await,
        "end-sessions" => users::end_sessions(&s.app, &signed.ctx, id)
            .await
            .map(|_| ()),
        "reset" => {
            return match users::reset_password(&s.app, &signed.ctx, id).await {
                Ok(pw) => Ok(users_render(
                    &s,
                    &signed,
                    Some("密码已重置".into()),
                    Some(pw),
                    ValidationErrors::new(),
                )
                .await?
                .into_response()),
                Err(e) => Err(e.into()),
            };
        }
        _ => return Err(ServiceError::NotFound.into()),
    };
    match r {
        Ok(()) => Ok(Redirect::to("/admin/users?done=1").into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            users_render(&s, &signed, None, None, v).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

// --- audit ------------------------------------------------------------------------------

pub struct AuditLine {
    id: i64,
    at: String,
    user: String,
    ip: String,
    action: String,
    entity: String,
    before: String,
    after: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    rows: Vec<AuditLine>,
    total: i64,
    page: i64,
    pages: i64,
    f_user: String,
    f_entity: String,
    f_entity_id: String,
    f_action: String,
    f_from: String,
    f_to: String,
    error: Option<String>,
    export_href: String,
    base_query: String,
}

impl AuditPage {
    fn page_href(&self, p: i64) -> String {
        format!("/audit?{}&page={p}", self.base_query)
    }
}

pub(crate) fn audit_filter_of(q: &FormData) -> (AuditFilter, Option<String>) {
    let nonempty = |k: &str| Some(q.get(k).trim().to_string()).filter(|s| !s.is_empty());
    let mut err = None;
    let mut date = |k: &str, label: &str| {
        let v = q.get(k);
        if v.trim().is_empty() {
            return None;
        }
        match chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d") {
            // Dates are Beijing dates: 00:00 +08:00.
            Ok(d) => Some(
                d.and_hms_opt(0, 0, 0).expect("midnight").and_utc() - chrono::Duration::hours(8),
            ),
            Err(_) => {
                err = Some(format!("{label}格式应为 年-月-日，如 2022-01-01"));
                None
            }
        }
    };
    let from = date("from", "起始日期");
    let to = date("to", "截止日期").map(|t| t + chrono::Duration::days(1));
    (
        AuditFilter {
            user: nonempty("user"),
            entity_type: nonempty("entity_type"),
            entity_id: nonempty("entity_id"),
            action: nonempty("action"),
            from,
            to,
            limit: 100,
            offset: 0,
        },
        err,
    )
}

async fn audit_page(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let qp = query_pairs(q.as_deref());
    let (mut f, error) = audit_filter_of(&qp);
    let page = qp.get("page").parse::<i64>().unwrap_or(1).max(1);
    f.offset = (page - 1) * f.limit;
    let (rows, total) = audit_log::list(&s.app, &signed.ctx, &f).await?;
    let mut base = form_urlencoded::Serializer::new(String::new());
    for k in ["user", "entity_type", "entity_id", "action", "from", "to"] {
        let v = qp.get(k);
        if !v.is_empty() {
            base.append_pair(k, &v);
        }
    }
    let base_query = base.finish();
    Ok(AuditPage {
        chrome: Chrome::new(&signed, "audit"),
        rows: rows
            .into_iter()
            .map(|r| AuditLine {
                id: r.id,
                at: views::local_time(&r.at),
                user: r.username,
                ip: r.ip,
                action: r.action,
                entity: format!("{} {}", r.entity_type, r.entity_id.unwrap_or_default()),
                before: r.before_json.unwrap_or_default(),
                after: r.after_json.unwrap_or_default(),
            })
            .collect(),
        total,
        page,
        pages: ((total + f.limit - 1) / f.limit).max(1),
        f_user: qp.get("user"),
        f_entity: qp.get("entity_type"),
        f_entity_id: qp.get("entity_id"),
        f_action: qp.get("action"),
        f_from: qp.get("from"),
        f_to: qp.get("to"),
        error,
        export_href: format!("/audit.xlsx?{base_query}"),
        base_query,
    }
    .into_response())
}

async fn audit_export(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let (mut f, _) = audit_filter_of(&query_pairs(q.as_deref()));
    f.limit = 100_000;
    let (rows, _) = audit_log::list(&s.app, &signed.ctx, &f).await?;
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| {
            vec![
                Cell::Int(r.id),
                views::local_time(&r.at).into(),
                r.username.clone().into(),
                r.ip.clone().into(),
                r.action.clone().into(),
                r.entity_type.clone().into(),
                r.entity_id.clone().unwrap_or_default().into(),
                r.before_json.clone().unwrap_or_default().into(),
                r.after_json.clone().unwrap_or_default().into(),
                r.hash.clone().into(),
            ]
        })
        .collect();
    let headers: &[(&str, f64)] = &[
        ("编号", 8.0),
        ("时间（北京时间）", 20.0),
        ("用户", 12.0),
        ("IP", 14.0),
        ("操作", 14.0),
        ("对象类型", 12.0),
        ("对象编号", 10.0),
        ("修改前", 50.0),
        ("修改后", 50.0),
        ("校验值", 30.0),
    ];
    let bytes = xlsx::write(&xlsx::Sheet {
        name: "审计日志",
        title: "审计日志",
        subtitle: Some(&format!("导出时间：{}", views::local_time(&s.app.now()))),
        headers,
        rows: cells,
        totals: None,
    })
    .map_err(|e| ServiceError::Internal(e.to_string()))?;
    audit_log::record_export(&s.app, &signed.ctx, rows.len()).await?;
    Ok(xlsx_response("审计日志.xlsx", bytes))
}

// --- API tokens -------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "tokens.html")]
struct TokensPage {
    chrome: Chrome,
    /// (id, name, created, last used, status, revocable)
    tokens: Vec<(i64, String, String, String, &'static str, bool)>,
    secret: Option<String>,
    error: Option<String>,
}

async fn tokens_render(
    s: &AppState,
    signed: &Signed,
    secret: Option<String>,
    error: Option<String>,
) -> Result<TokensPage, PageError> {
    let list = auth_svc::my_tokens(&s.app, &signed.ctx).await?;
    Ok(TokensPage {
        chrome: Chrome::new(signed, "tokens"),
        tokens: list
            .iter()
            .map(|t| {
                (
                    t.id,
                    t.name.clone(),
                    views::local_time(&t.created_at),
                    t.last_used_at
                        .as_ref()
                        .map(views::local_time)
                        .unwrap_or_default(),
                    if t.revoked_at.is_some() {
                        "已吊销"
                    } else {
                        "有效"
                    },
                    t.revoked_at.is_none(),
                )
            })
            .collect(),
        secret,
        error,
    })
}

async fn tokens_page(State(s): State<AppState>, signed: Signed) -> Result<Response, PageError> {
    Ok(tokens_render(&s, &signed, None, None)
        .await?
        .into_response())
}

async fn token_create(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    match auth_svc::create_token(&s.app, &signed.ctx, &form.get("name")).await {
        Ok((_, t)) => Ok(tokens_render(&s, &signed, Some(t), None)
            .await?
            .into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            tokens_render(&s, &signed, None, Some(v.to_string())).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

async fn token_revoke(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { signed, .. }: Posted,
) -> Result<Response, PageError> {
    auth_svc::revoke_token(&s.app, &signed.ctx, id).await?;
    Ok(Redirect::to("/tokens").into_response())
}

//! The project library: the list (filters in the URL, sorting, pages, .xlsx), one project
//! with its stage history and audit, creating and editing, and stage changes.

use super::{SelectField, TextField, allowed, xlsx_response};
use crate::AppState;
use crate::auth::{self, FormData, Posted, Signed, query_pairs};
use crate::error::{PageError, page_error};
use crate::params::{Path, list_query_of};
use crate::views::{self, Choice, Chrome, choices, named_choices};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use keyproj_db::repo::projects::{NameRef, ProjectRow};
use keyproj_domain::ValidationErrors;
use keyproj_domain::authz::Action;
use keyproj_domain::ids::{LeaderId, ProjectId, UnitId};
use keyproj_domain::org::UnitKind;
use keyproj_domain::project::{Industry, Level, ProjectDraft, Stage, allowed_next};
use keyproj_service::projects::{self, ListQuery, ProjectInput, StageChangeInput};
use keyproj_service::{ServiceError, org};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects", get(project_list))
        .route("/projects.xlsx", get(project_export))
        .route("/projects/new", get(project_new).post(project_create))
        .route("/projects/{id}", get(project_detail))
        .route(
            "/projects/{id}/edit",
            get(project_edit).post(project_update),
        )
        .route("/projects/{id}/stage", post(project_stage))
}

pub(super) struct ProjectLine {
    seq: i64,
    id: ProjectId,
    code: String,
    name: String,
    level: &'static str,
    stage_key: &'static str,
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
pub(super) struct ProjectListPage {
    chrome: Chrome,
    q: ListQuery,
    page: projects::ProjectPage,
    rows: Vec<ProjectLine>,
    total_wan: String,
    stages: Vec<Choice>,
    levels: Vec<Choice>,
    industries: Vec<Choice>,
    townships: Vec<Choice>,
    units: Vec<Choice>,
    leaders: Vec<Choice>,
    can_create: bool,
    export_href: String,
}

pub(super) fn query_string(q: &ListQuery, sort: Option<(&str, bool)>, page: Option<i64>) -> String {
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
        ("township", q.township.map(i64::from)),
        ("lead_unit", q.lead_unit.map(i64::from)),
        ("leader", q.leader.map(i64::from)),
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
            level: p.level.label(),
            stage_key: p.stage.key(),
            stage: p.stage.label(),
            industry: p.industry.label(),
            township: p.township_name.clone().unwrap_or_default(),
            total_wan: p.total_investment.wan_2dp(),
            leader: p.leader_name.clone().unwrap_or_default(),
            lead_unit: p.lead_unit_name.clone().unwrap_or_default(),
            responsible: r.join("、"),
            below_threshold: p.below_threshold,
        })
        .collect();
    let export_href = format!("/projects.xlsx?{}", query_string(&query, None, None));
    Ok(ProjectListPage {
        chrome: Chrome::new(&signed, "projects"),
        total_wan: page.totals.total_investment.wan_2dp(),
        rows,
        page,
        stages: choices::<Stage>(&query.stage),
        levels: choices::<Level>(&query.level),
        industries: choices::<Industry>(&query.industry),
        townships: named_choices(
            units
                .iter()
                .filter(|u| u.kind.is_place())
                .map(|u| (u.id, u.name.clone())),
            &query.township.into_iter().collect::<Vec<_>>(),
        ),
        units: named_choices(
            units
                .iter()
                .filter(|u| u.kind != UnitKind::Enterprise)
                .map(|u| (u.id, u.name.clone())),
            &query.lead_unit.into_iter().collect::<Vec<_>>(),
        ),
        leaders: named_choices(
            leaders.iter().map(|l| (l.id, l.name.clone())),
            &query.leader.into_iter().collect::<Vec<_>>(),
        ),
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
    let all = projects::list_all(&s.app, &signed.ctx, list_query_of(q.as_deref())).await?;
    let file = keyproj_service::exports::projects_xlsx(&s.app, &signed.ctx.actor.region, &all)?;
    let rows = all.iter().map(|p| p.items.len()).sum();
    projects::record_export(&s.app, &signed.ctx, "project_list", rows).await?;
    Ok(xlsx_response(&file.name, file.bytes))
}

#[derive(Template, WebTemplate)]
#[template(path = "projects/form.html")]
pub(super) struct ProjectFormPage {
    chrome: Chrome,
    id: Option<ProjectId>,
    version: i64,
    action: String,
    errors: ValidationErrors,
    text_fields: Vec<TextField>,
    selects: Vec<SelectField>,
}

pub(super) fn input_from_form(f: &FormData) -> ProjectInput {
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
        township_unit_id: f.typed("township_unit_id"),
        owner_unit_id: f.typed("owner_unit_id"),
        leader_id: f.typed("leader_id"),
        lead_unit_id: f.typed("lead_unit_id"),
        responsible_unit_ids: f
            .all("responsible_unit_ids")
            .iter()
            .filter_map(|v| auth::parse_id(v))
            .map(UnitId)
            .collect(),
        parent_id: f.typed("parent_id"),
    }
}

pub(super) fn input_from_row(p: &ProjectRow, responsible: &[NameRef<UnitId>]) -> ProjectInput {
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    ProjectInput {
        draft: ProjectDraft {
            code: o(&p.code),
            name: p.name.clone(),
            national_code: o(&p.national_code),
            level: p.level.key().into(),
            stage: p.stage.key().into(),
            industry: p.industry.key().into(),
            content_scale: p.content_scale.clone(),
            total_investment_wan: p.total_investment.wan_2dp(),
            funding_sources: p.funding_sources.clone(),
            planned_start: views::shown(&p.planned_start),
            planned_completion: views::shown(&p.planned_completion),
            actual_start: views::shown(&p.actual_start),
            actual_completion: views::shown(&p.actual_completion),
            location: p.location.clone(),
            tags: p.tags.clone(),
        },
        township_unit_id: p.township_unit_id,
        owner_unit_id: p.owner_unit_id,
        leader_id: p.leader_id,
        lead_unit_id: p.lead_unit_id,
        responsible_unit_ids: responsible.iter().map(|r| r.id).collect(),
        parent_id: p.parent_id,
    }
}

pub(super) async fn form_page(
    s: &AppState,
    signed: &Signed,
    id: Option<ProjectId>,
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
                    options: Vec<Choice>,
                    disabled: bool| SelectField {
        name,
        label,
        options,
        required: true,
        multiple: false,
        disabled,
        error: e(name),
    };
    let unit_sel = |name: &'static str,
                    label: &'static str,
                    filter: &dyn Fn(UnitKind) -> bool,
                    cur: &[UnitId],
                    multiple: bool| SelectField {
        name,
        label,
        options: named_choices(
            units
                .iter()
                .filter(|u| filter(u.kind))
                .map(|u| (u.id, u.name.clone())),
            cur,
        ),
        required: false,
        multiple,
        disabled: false,
        error: e(name),
    };
    let opt = |v: Option<UnitId>| v.into_iter().collect::<Vec<_>>();
    let leader: Vec<LeaderId> = input.leader_id.into_iter().collect();
    let selects = vec![
        enum_sel("level", "项目级别", choices::<Level>(&d.level), false),
        enum_sel(
            "stage",
            "建设阶段",
            choices::<Stage>(&d.stage),
            id.is_some(),
        ),
        enum_sel(
            "industry",
            "行业类别",
            choices::<Industry>(&d.industry),
            false,
        ),
        unit_sel(
            "township_unit_id",
            "所属乡镇/园区",
            &|k| k.is_place(),
            &opt(input.township_unit_id),
            false,
        ),
        unit_sel(
            "owner_unit_id",
            "业主单位",
            &|k| matches!(k, UnitKind::Enterprise | UnitKind::Department),
            &opt(input.owner_unit_id),
            false,
        ),
        SelectField {
            name: "leader_id",
            label: "县级联系领导",
            options: named_choices(
                leaders
                    .iter()
                    .map(|l| (l.id, format!("{}（{}）", l.name, l.title))),
                &leader,
            ),
            required: false,
            multiple: false,
            disabled: false,
            error: e("leader_id"),
        },
        unit_sel(
            "lead_unit_id",
            "牵头单位",
            &|k| k != UnitKind::Enterprise,
            &opt(input.lead_unit_id),
            false,
        ),
        unit_sel(
            "responsible_unit_ids",
            "责任单位（可多选）",
            &|k| k != UnitKind::Enterprise,
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
            level: Level::County.key().into(),
            stage: Stage::Signed.key().into(),
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
    Path(id): Path<ProjectId>,
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
    Path(id): Path<ProjectId>,
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
pub(super) struct ProjectDetailPage {
    chrome: Chrome,
    p: ProjectRow,
    total_wan: String,
    threshold_wan: String,
    responsible: String,
    parent_name: Option<String>,
    children: Vec<NameRef<ProjectId>>,
    history: Vec<StageLine>,
    audit: Vec<AuditLine>,
    can_edit: bool,
    can_stage: bool,
    next_stages: Vec<Choice>,
    today: String,
    this_year: i32,
    last_month: String,
    errors: ValidationErrors,
    flash: Option<String>,
    /// The stage form as posted (kept after an error).
    typed: FormData,
}

/// A stage change of the project.
pub(super) struct StageLine {
    on: String,
    from: &'static str,
    to: &'static str,
    reason: String,
    by: String,
}

/// A change of the project in the audit log.
pub(super) struct AuditLine {
    at: String,
    by: String,
    action: String,
    ip: String,
}

impl ProjectDetailPage {
    fn typed_or(&self, name: &str, stored: &str) -> String {
        if self.typed.0.iter().any(|(k, _)| k == name) {
            self.typed.get(name)
        } else {
            stored.to_string()
        }
    }
    fn o<'a>(&self, s: &'a Option<String>) -> &'a str {
        views::opt(s)
    }
    fn month(&self, m: &Option<keyproj_domain::ReportMonth>) -> String {
        views::shown(m)
    }
    fn parent_id(&self) -> String {
        views::shown(&self.p.parent_id)
    }
}

pub(super) async fn detail_page(
    s: &AppState,
    signed: &Signed,
    id: ProjectId,
    errors: ValidationErrors,
    flash: Option<String>,
    typed: FormData,
) -> Result<ProjectDetailPage, PageError> {
    let d = projects::get(&s.app, &signed.ctx, id).await?;
    let p = d.project;
    let chosen = typed.get("to_stage");
    Ok(ProjectDetailPage {
        chrome: Chrome::new(signed, "projects"),
        total_wan: p.total_investment.wan_2dp(),
        threshold_wan: d.threshold.wan_2dp(),
        responsible: d
            .responsible_units
            .iter()
            .map(|u| u.name.as_str())
            .collect::<Vec<_>>()
            .join("、"),
        parent_name: d.parent_name,
        children: d.children,
        history: d
            .stage_history
            .iter()
            .map(|h| StageLine {
                on: h.changed_on.to_string(),
                from: h.from_stage.map(|s| s.label()).unwrap_or("—"),
                to: h.to_stage.label(),
                reason: h.reason.clone(),
                by: h.username.clone(),
            })
            .collect(),
        audit: d
            .audit
            .iter()
            .map(|a| AuditLine {
                at: views::local_time(&a.at),
                by: a.username.clone(),
                action: a.action.clone(),
                ip: a.ip.clone(),
            })
            .collect(),
        can_edit: allowed(signed, Action::EditProject),
        can_stage: allowed(signed, Action::ChangeStage),
        next_stages: allowed_next(p.stage)
            .iter()
            .map(|s| Choice::new(s.key(), s.label(), s.key() == chosen))
            .collect(),
        today: s.app.local_today().to_string(),
        this_year: keyproj_domain::ReportMonth::of(s.app.local_today()).year(),
        last_month: keyproj_domain::ReportMonth::of(s.app.local_today())
            .prev()
            .to_string(),
        errors,
        flash,
        typed,
        p,
    })
}

async fn project_detail(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<ProjectId>,
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
    Ok(detail_page(
        &s,
        &signed,
        id,
        ValidationErrors::new(),
        flash,
        FormData::default(),
    )
    .await?
    .into_response())
}

async fn project_stage(
    State(s): State<AppState>,
    Path(id): Path<ProjectId>,
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
            detail_page(&s, &signed, id, errors, None, form).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

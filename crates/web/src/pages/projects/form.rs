//! Creating and editing a project: the form, its choices and its field messages.

use crate::AppState;
use crate::auth::{self, FormData, Posted, Signed};
use crate::error::PageError;
use crate::pages::{SelectField, TextField, allowed};
use crate::params::Path;
use crate::views::{self, Choice, Chrome, choices, named_choices};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use keyproj_db::repo::projects::{NameRef, ProjectRow};
use keyproj_domain::ValidationErrors;
use keyproj_domain::authz::Action;
use keyproj_domain::ids::{LeaderId, ProjectId, UnitId};
use keyproj_domain::org::UnitKind;
use keyproj_domain::project::{Industry, Level, ProjectDraft, Stage};
use keyproj_service::projects::{self, ProjectInput};
use keyproj_service::{ServiceError, org};
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

pub(super) async fn project_new(
    State(s): State<AppState>,
    signed: Signed,
) -> Result<Response, PageError> {
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

pub(super) async fn project_create(
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

pub(super) async fn project_edit(
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

pub(super) async fn project_update(
    State(s): State<AppState>,
    Path(id): Path<ProjectId>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let input = input_from_form(&form);
    let version = form.edited_version();
    match projects::update(&s.app, &signed.ctx, id, version, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/projects/{id}?saved=1")).into_response()),
        Err(ServiceError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(&s, &signed, Some(id), version, &input, errors).await?,
        )
            .into_response()),
        // someone saved the project meanwhile: what was typed is shown back, not lost, and is
        // not saved over their change (the form keeps the version it was opened at)
        Err(ServiceError::Stale) => Ok((
            StatusCode::CONFLICT,
            form_page(
                &s,
                &signed,
                Some(id),
                version,
                &input,
                ValidationErrors::single(
                    "version",
                    "stale",
                    "该项目已被他人修改：下方保留了您输入的内容，请复制需要的内容后刷新页面再修改",
                ),
            )
            .await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

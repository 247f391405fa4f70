//! The project library pages.

use super::*;

pub(super) struct ProjectLine {
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
pub(super) struct ProjectListPage {
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

pub(super) fn enum_options<T: Copy>(
    all: &[T],
    key: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(&'static str, &'static str)> {
    all.iter().map(|v| (key(*v), label(*v))).collect()
}

pub(super) async fn project_list(
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

pub(super) async fn project_export(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let (title, bytes, rows) =
        crate::export::projects_xlsx(&s.app, &signed.ctx, list_query_of(q.as_deref())).await?;
    projects::record_export(&s.app, &signed.ctx, "project_list", rows).await?;
    Ok(xlsx_response(&format!("{title}.xlsx"), bytes))
}

#[derive(Template, WebTemplate)]
#[template(path = "projects/form.html")]
pub(super) struct ProjectFormPage {
    chrome: Chrome,
    id: Option<i64>,
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

pub(super) fn input_from_row(
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

pub(super) async fn form_page(
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

pub(super) async fn project_new(
    State(s): State<AppState>,
    signed: Signed,
) -> Result<Response, PageError> {
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

pub(super) async fn project_update(
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
pub(super) struct ProjectDetailPage {
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
    this_year: i32,
    last_month: String,
    errors: ValidationErrors,
    flash: Option<String>,
    /// The stage form as posted (kept after an error).
    typed: FormData,
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
    fn parent_id(&self) -> i64 {
        self.p.parent_id.unwrap_or(0)
    }
}

pub(super) async fn detail_page(
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
        today: s.app.local_today().to_string(),
        this_year: keyproj_domain::ReportMonth::of(s.app.local_today()).year(),
        last_month: keyproj_domain::ReportMonth::of(s.app.local_today())
            .prev()
            .to_string(),
        errors,
        flash,
        typed: FormData::default(),
        p,
    })
}

pub(super) async fn project_detail(
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

pub(super) async fn project_stage(
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
            detail_page(&s, &signed, id, errors, None)
                .await
                .map(|mut p| {
                    p.typed = form;
                    p
                })?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

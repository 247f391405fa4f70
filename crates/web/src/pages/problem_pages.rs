//! The problem list pages: list with filters and export, register (and assign in one step),
//! the item with its timeline and the steps the user may take, documents (print and .docx),
//! 待办, supervision settings, meetings, patrols and statistics.

use super::*;
use keyproj_db::repo::problems::{
    DocumentRow, EventRow, ItemFilter, ItemRow, MeetingRow, PatrolRow,
};
use keyproj_domain::problem::{
    Category, ItemKind, Level as ItemLevel, Source, State as ItemState, Step,
};
use keyproj_service::problems::{self as svc, AssignInput, DocContent, ItemInput, StepInput};

const PAGE: i64 = 50;

fn opts(list: &[(&'static str, &'static str)], selected: &str) -> Vec<(String, String, bool)> {
    list.iter()
        .map(|(k, l)| (k.to_string(), l.to_string(), *k == selected))
        .collect()
}
fn kinds() -> Vec<(&'static str, &'static str)> {
    ItemKind::ALL.iter().map(|k| (k.key(), k.label())).collect()
}
fn sources() -> Vec<(&'static str, &'static str)> {
    Source::ALL.iter().map(|k| (k.key(), k.label())).collect()
}
fn categories() -> Vec<(&'static str, &'static str)> {
    Category::ALL.iter().map(|k| (k.key(), k.label())).collect()
}
fn levels() -> Vec<(&'static str, &'static str)> {
    ItemLevel::ALL
        .iter()
        .map(|k| (k.key(), k.label()))
        .collect()
}
fn states() -> Vec<(&'static str, &'static str)> {
    ItemState::ALL
        .iter()
        .map(|k| (k.key(), k.label()))
        .collect()
}

pub(crate) fn state_label(k: &str) -> &'static str {
    ItemState::from_input(k)
        .map(|s| s.label())
        .unwrap_or("未知")
}
fn source_label(k: &str) -> &'static str {
    Source::from_input(k).map(|s| s.label()).unwrap_or("其他")
}
fn category_label(k: &str) -> &'static str {
    Category::from_input(k).map(|s| s.label()).unwrap_or("其他")
}
fn alert_chip(k: &str) -> (&'static str, &'static str) {
    match k {
        "blue" => ("blue", "蓝"),
        "yellow" => ("yellow", "黄"),
        "red" => ("red", "红"),
        _ => ("", ""),
    }
}

/// One row of an item list, ready to show.
pub(super) struct ItemLine {
    id: i64,
    number: String,
    title: String,
    kind: &'static str,
    source: &'static str,
    category: &'static str,
    project: String,
    handler: String,
    deadline: String,
    state: &'static str,
    state_key: String,
    alert: (&'static str, &'static str),
    overdue: bool,
    pending_extension: bool,
}

fn line(r: &ItemRow, today: &str) -> ItemLine {
    let open_with_unit = matches!(r.state.as_str(), "assigned" | "in_progress");
    ItemLine {
        id: r.id,
        number: r.number.clone(),
        title: r.title.clone(),
        kind: ItemKind::from_input(&r.kind)
            .map(|k| k.label())
            .unwrap_or(""),
        source: source_label(&r.source),
        category: category_label(&r.category),
        project: r.project_name.clone().unwrap_or_default(),
        handler: r.handler_unit_name.clone().unwrap_or_default(),
        deadline: r.deadline.clone().unwrap_or_default(),
        state: state_label(&r.state),
        state_key: r.state.clone(),
        alert: alert_chip(&r.alert),
        overdue: open_with_unit && r.deadline.as_deref().is_some_and(|d| d < today),
        pending_extension: r.extension_pending,
    }
}

fn filter_of(s: &AppState, signed: &Signed, q: &FormData) -> Result<(ItemFilter, i64), PageError> {
    Ok(svc::filter_from_query(
        &s.app,
        &signed.ctx,
        |k| q.get(k),
        PAGE,
    )?)
}

#[derive(Template, WebTemplate)]
#[template(path = "problems/list.html")]
pub(super) struct ListPage {
    chrome: Chrome,
    lines: Vec<ItemLine>,
    total: i64,
    page: i64,
    pages: i64,
    query: String,
    q: String,
    states: Vec<(String, String, bool)>,
    sources: Vec<(String, String, bool)>,
    categories: Vec<(String, String, bool)>,
    kinds: Vec<(String, String, bool)>,
    units: Vec<(i64, String, bool)>,
    open: bool,
    overdue: bool,
    can_raise: bool,
}

fn query_without_page(q: &FormData) -> String {
    let keys = [
        "q", "state", "source", "category", "kind", "alert", "open", "overdue", "unit", "project",
        "year",
    ];
    let mut s = form_urlencoded::Serializer::new(String::new());
    for k in keys {
        let v = q.get(k);
        if !v.is_empty() {
            s.append_pair(k, &v);
        }
    }
    s.finish()
}

pub(super) async fn problem_list(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let today = s.app.local_today().format(svc::DATE).to_string();
    let (f, page) = filter_of(&s, &signed, &q)?;
    let (rows, total) = svc::list(&s.app, &signed.ctx, &f).await?;
    let units =
        if allowed(&signed, Action::ManageProblems) || signed.ctx.actor.has(Role::CountyLeader) {
            org::units(&s.app, &signed.ctx)
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|u| (u.id, u.name, Some(u.id) == f.handler_unit_id))
                .collect()
        } else {
            vec![]
        };
    Ok(ListPage {
        chrome: Chrome::new(&signed, "problems"),
        lines: rows.iter().map(|r| line(r, &today)).collect(),
        total,
        page,
        pages: ((total + PAGE - 1) / PAGE).max(1),
        query: query_without_page(&q),
        q: q.get("q"),
        states: opts(&states(), &q.get("state")),
        sources: opts(&sources(), &q.get("source")),
        categories: opts(&categories(), &q.get("category")),
        kinds: opts(&kinds(), &q.get("kind")),
        units,
        open: q.get("open") == "1",
        overdue: q.get("overdue") == "1",
        can_raise: allowed(&signed, Action::RaiseProblem),
    }
    .into_response())
}

pub(super) async fn problem_export(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let today = s.app.local_today().format(svc::DATE).to_string();
    let (mut f, _) = filter_of(&s, &signed, &q)?;
    f.limit = 200_000;
    f.offset = 0;
    let (rows, _) = svc::list(&s.app, &signed.ctx, &f).await?;
    let headers: &[(&str, f64)] = &[
        ("编号", 22.0),
        ("类型", 6.0),
        ("来源", 12.0),
        ("类别", 10.0),
        ("事项", 40.0),
        ("项目", 30.0),
        ("承办单位", 20.0),
        ("交办领导", 10.0),
        ("提出日期", 12.0),
        ("办理时限", 12.0),
        ("状态", 10.0),
        ("督办", 6.0),
        ("办结日期", 12.0),
    ];
    let rows = rows
        .iter()
        .map(|r| {
            let l = line(r, &today);
            vec![
                Cell::from(r.number.clone()),
                l.kind.into(),
                l.source.into(),
                l.category.into(),
                r.title.clone().into(),
                l.project.into(),
                l.handler.into(),
                r.leader_name.clone().unwrap_or_default().into(),
                r.raised_on.clone().into(),
                l.deadline.into(),
                l.state.into(),
                l.alert.1.into(),
                r.closed_on.clone().unwrap_or_default().into(),
            ]
        })
        .collect();
    let subtitle = format!("导出时间：{}", views::local_time(&s.app.now()));
    let bytes = xlsx::write(&xlsx::Sheet {
        name: "问题清单",
        title: "重点项目问题清单",
        subtitle: Some(&subtitle),
        headers,
        rows,
        totals: None,
    })
    .map_err(|e| ServiceError::internal("内部处理", e))?;
    Ok(xlsx_response("重点项目问题清单.xlsx", bytes))
}

// --- new item ------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "problems/new.html")]
pub(super) struct NewPage {
    chrome: Chrome,
    errors: ValidationErrors,
    action: String,
    heading: String,
    title: String,
    description: String,
    raised_on: String,
    deadline: String,
    kinds: Vec<(String, String, bool)>,
    sources: Vec<(String, String, bool)>,
    categories: Vec<(String, String, bool)>,
    levels: Vec<(String, String, bool)>,
    projects: Vec<(i64, String, bool)>,
    units: Vec<(i64, String, bool, bool)>,
    leaders: Vec<(i64, String, bool)>,
    can_assign: bool,
    show_source: bool,
    /// On a patrol's page: its id and photos/attachments.
    patrol: Option<(i64, Vec<(i64, String)>)>,
}

async fn new_page(
    s: &AppState,
    signed: &Signed,
    form: &FormData,
    errors: ValidationErrors,
    action: String,
    heading: String,
    show_source: bool,
) -> Result<NewPage, PageError> {
    let can_assign = allowed(signed, Action::ManageProblems);
    let (units, leaders) = if can_assign {
        let assisting: Vec<i64> = form
            .all("assisting")
            .iter()
            .filter_map(|x| x.parse().ok())
            .collect();
        (
            org::units(&s.app, &signed.ctx)
                .await?
                .into_iter()
                .map(|u| {
                    (
                        u.id,
                        u.name,
                        Some(u.id) == form.id("handler"),
                        assisting.contains(&u.id),
                    )
                })
                .collect(),
            org::leaders(&s.app, &signed.ctx)
                .await?
                .into_iter()
                .map(|l| (l.id, l.name, Some(l.id) == form.id("leader")))
                .collect(),
        )
    } else {
        (vec![], vec![])
    };
    let projects = projects::choices(&s.app, &signed.ctx)
        .await?
        .into_iter()
        .map(|(id, name)| (id, name, Some(id) == form.id("project")))
        .collect();
    let or = |k: &str, d: &str| {
        let v = form.get(k);
        if v.is_empty() { d.to_string() } else { v }
    };
    Ok(NewPage {
        chrome: Chrome::new(signed, "problems"),
        errors,
        action,
        heading,
        title: form.get("title"),
        description: form.get("description"),
        raised_on: form.get("raised_on"),
        deadline: form.get("deadline"),
        kinds: opts(&kinds(), &or("kind", "problem")),
        sources: opts(&sources(), &or("source", "owner_report")),
        categories: opts(&categories(), &form.get("category")),
        levels: opts(&levels(), &or("level", "1")),
        projects,
        units,
        leaders,
        can_assign,
        show_source,
        patrol: None,
    })
}

pub(super) async fn problem_new(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    if !allowed(&signed, Action::RaiseProblem) {
        return Err(ServiceError::Forbidden.into());
    }
    let q = query_pairs(raw.as_deref());
    Ok(new_page(
        &s,
        &signed,
        &q,
        ValidationErrors::new(),
        "/problems".into(),
        "登记问题或任务".into(),
        true,
    )
    .await?
    .into_response())
}

fn item_input(form: &FormData) -> ItemInput {
    ItemInput {
        kind: form.get("kind"),
        source: form.get("source"),
        category: form.get("category"),
        level: form.get("level"),
        project_id: form.id("project"),
        title: form.get("title"),
        description: form.get("description"),
        raised_on: form.get("raised_on"),
    }
}

fn assign_input(form: &FormData) -> Option<AssignInput> {
    form.id("handler").map(|h| AssignInput {
        handler_unit_id: Some(h),
        assisting_unit_ids: form
            .all("assisting")
            .iter()
            .filter_map(|x| x.parse().ok())
            .collect(),
        leader_id: form.id("leader"),
        deadline: form.get("deadline"),
    })
}

/// What an assignment will do, for the confirmation page.
async fn assign_lines(s: &AppState, signed: &Signed, form: &FormData) -> Vec<String> {
    let mut lines = vec![];
    if !form.get("title").trim().is_empty() {
        lines.push(format!("事项：{}", form.get("title").trim()));
    }
    if let Some(id) = form.id("handler") {
        let name = org::unit(&s.app, &signed.ctx, id)
            .await
            .map(|u| u.name)
            .unwrap_or_else(|_| "（所选单位）".into());
        lines.push(format!("承办单位：{name}"));
    }
    let assisting = form.all("assisting");
    if !assisting.is_empty() {
        let mut names = vec![];
        for id in assisting.iter().filter_map(|a| a.parse::<i64>().ok()) {
            if let Ok(u) = org::unit(&s.app, &signed.ctx, id).await {
                names.push(u.name);
            }
        }
        lines.push(format!("协办单位：{}", names.join("、")));
    }
    if let Some(id) = form.id("leader")
        && let Ok(l) = org::leader(&s.app, &signed.ctx, id).await
    {
        lines.push(format!("交办领导：{}", l.name));
    }
    let deadline = form.get("deadline");
    lines.push(format!(
        "办理时限：{}",
        if deadline.trim().is_empty() {
            "按督办规则的默认时限".to_string()
        } else {
            deadline
        }
    ));
    lines.push("确认后将签发编号的交办单并通知承办单位。".into());
    lines
}

pub(super) async fn problem_create(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let assign = assign_input(&form);
    if ConfirmPage::going_back(&form) {
        return Ok(new_page(
            &s,
            &signed,
            &form,
            ValidationErrors::new(),
            "/problems".into(),
            "登记问题或任务".into(),
            true,
        )
        .await?
        .into_response());
    }
    // a deadline or 协办 without a 承办单位 would be dropped: ask for the unit instead
    if assign.is_none()
        && (!form.get("deadline").trim().is_empty()
            || !form.all("assisting").is_empty()
            || form.id("leader").is_some())
    {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            new_page(
                &s,
                &signed,
                &form,
                ValidationErrors::single(
                    "handler",
                    "required",
                    "已填写办理时限、协办单位或交办领导，请同时选择承办单位（只登记不交办请清空这几项）",
                ),
                "/problems".into(),
                "登记问题或任务".into(),
                true,
            )
            .await?,
        )
            .into_response());
    }
    if assign.is_some()
        && let Some(ask) = ConfirmPage::unless_confirmed(
            &signed,
            &form,
            "/problems",
            "确认登记并交办",
            assign_lines(&s, &signed, &form).await,
            "确认交办并签发交办单",
            "/problems/new",
        )
    {
        return Ok(ask);
    }
    match svc::register(
        &s.app,
        &signed.ctx,
        &item_input(&form),
        assign.as_ref(),
        Default::default(),
    )
    .await
    {
        Ok((id, _)) => Ok(Redirect::to(&format!("/problems/{id}")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            new_page(
                &s,
                &signed,
                &form,
                v,
                "/problems".into(),
                "登记问题或任务".into(),
                true,
            )
            .await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

// --- one item ----------------------------------------------------------------------------

pub(super) struct EventLine {
    at: String,
    actor: String,
    step: String,
    note: String,
    change: String,
    deadline: String,
}

pub(super) struct DocLine {
    id: i64,
    number: String,
    title: String,
    issued_on: String,
    kind_class: &'static str,
}

fn doc_line(d: &DocumentRow) -> DocLine {
    DocLine {
        id: d.id,
        number: d.number.clone(),
        title: d.title.clone(),
        issued_on: d.issued_on.clone(),
        kind_class: match d.kind.as_str() {
            "letter_blue" => "blue",
            "letter_yellow" => "yellow",
            "letter_red" => "red",
            _ => "",
        },
    }
}

fn event_line(e: &EventRow) -> EventLine {
    let step = match e.step.as_str() {
        "register" => "登记".to_string(),
        "alert_blue" => "蓝色提醒".into(),
        "alert_yellow" => "黄色督办".into(),
        "alert_red" => "红色督办".into(),
        k => Step::from_input(k)
            .map(|s| s.label().to_string())
            .unwrap_or_else(|| k.into()),
    };
    EventLine {
        at: views::local_time(&e.at),
        actor: e.actor.clone(),
        step,
        note: e.note.clone(),
        change: if e.from_state != e.to_state && !e.from_state.is_empty() {
            format!(
                "{} → {}",
                state_label(&e.from_state),
                state_label(&e.to_state)
            )
        } else {
            String::new()
        },
        deadline: e.deadline.clone().unwrap_or_default(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "problems/detail.html")]
pub(super) struct DetailPage {
    chrome: Chrome,
    item: ItemRow,
    l: ItemLine,
    level: &'static str,
    assisting: String,
    parent: Option<(i64, String)>,
    events: Vec<EventLine>,
    documents: Vec<DocLine>,
    steps: Vec<(String, String)>,
    can_assign: bool,
    units: Vec<(i64, String)>,
    leaders: Vec<(i64, String)>,
    error: Option<String>,
    flash: Option<String>,
    attachments: Vec<(i64, String, String, String)>,
    can_attach: bool,
    /// What was typed, shown again after an error, an upload or 返回修改.
    typed: Typed,
}

/// The detail page's forms as they were submitted.
#[derive(Default)]
pub(super) struct Typed {
    note: String,
    new_deadline: String,
    handler: Option<i64>,
    assisting: Vec<i64>,
    leader: Option<i64>,
    deadline: String,
}

impl Typed {
    fn handler_is(&self, id: &i64) -> bool {
        self.handler == Some(*id)
    }
    fn assisting_has(&self, id: &i64) -> bool {
        self.assisting.contains(id)
    }
    fn leader_is(&self, id: &i64) -> bool {
        self.leader == Some(*id)
    }
    fn of(form: &FormData) -> Typed {
        Typed {
            note: form.get("note"),
            new_deadline: form.get("new_deadline"),
            handler: form.id("handler"),
            assisting: form
                .all("assisting")
                .iter()
                .filter_map(|x| x.parse().ok())
                .collect(),
            leader: form.id("leader"),
            deadline: form.get("deadline"),
        }
    }
}

async fn detail_page(
    s: &AppState,
    signed: &Signed,
    id: i64,
    error: Option<String>,
) -> Result<DetailPage, PageError> {
    detail_page_with(s, signed, id, error, None, Typed::default()).await
}

async fn detail_page_with(
    s: &AppState,
    signed: &Signed,
    id: i64,
    error: Option<String>,
    flash: Option<String>,
    typed: Typed,
) -> Result<DetailPage, PageError> {
    let d = svc::get(&s.app, &signed.ctx, id).await?;
    let today = s.app.local_today().format(svc::DATE).to_string();
    let can_assign = d.steps.contains(&Step::Assign);
    let (units, leaders) = if can_assign {
        (
            org::units(&s.app, &signed.ctx)
                .await?
                .into_iter()
                .map(|u| (u.id, u.name))
                .collect(),
            org::leaders(&s.app, &signed.ctx)
                .await?
                .into_iter()
                .map(|l| (l.id, l.name))
                .collect(),
        )
    } else {
        (vec![], vec![])
    };
    let attachments = keyproj_service::attachments::list(
        &s.app,
        &signed.ctx,
        keyproj_service::attachments::Owner::Item(id),
    )
    .await?
    .into_iter()
    .map(|a| {
        (
            a.id,
            a.file_name,
            format!("{:.1} KB", a.size_bytes as f64 / 1024.0),
            a.uploaded_by,
        )
    })
    .collect();
    let unit = signed.ctx.actor.unit_id;
    let can_attach = matches!(
        d.item.state.as_str(),
        "registered" | "assigned" | "in_progress" | "closure_requested"
    ) && (signed.ctx.actor.has(Role::CenterStaff)
        || d.item.handler_unit_id == Some(unit)
        || d.item.raised_unit_id == unit);
    Ok(DetailPage {
        attachments,
        can_attach,
        chrome: Chrome::new(signed, "problems"),
        l: line(&d.item, &today),
        level: ItemLevel::from_input(&d.item.level)
            .map(|l| l.label())
            .unwrap_or(""),
        assisting: d.assisting_units.join("、"),
        parent: d.parent.clone(),
        events: d.events.iter().map(event_line).collect(),
        documents: d.documents.iter().map(doc_line).collect(),
        steps: d
            .steps
            .iter()
            .filter(|s| **s != Step::Assign)
            .map(|s| (s.key().to_string(), s.label().to_string()))
            .collect(),
        can_assign,
        units,
        leaders,
        error,
        flash,
        typed,
        item: d.item,
    })
}

pub(super) async fn problem_detail(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    // after a step: say what was done (Post/Redirect/Get)
    let flash = Step::from_key(&query_pairs(q.as_deref()).get("done"))
        .map(|st| format!("已{}", st.label()));
    Ok(
        detail_page_with(&s, &signed, id, None, flash, Typed::default())
            .await?
            .into_response(),
    )
}

/// The step form carries the note, the new deadline and attachments together: an attachment
/// is uploaded first whatever button was pressed, and "上传附件" only uploads and shows the form
/// again with the note still in it, so nothing typed is lost.
pub(super) async fn problem_step(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    PostedWithFiles {
        signed,
        form,
        files,
    }: PostedWithFiles,
) -> Result<Response, PageError> {
    let step = form.get("step");
    let again = |error: Option<String>, flash: Option<String>, status: StatusCode| {
        let (s, signed, form) = (&s, &signed, &form);
        async move {
            Ok::<Response, PageError>(
                (
                    status,
                    detail_page_with(s, signed, id, error, flash, Typed::of(form)).await?,
                )
                    .into_response(),
            )
        }
    };
    if step == "assign" {
        if ConfirmPage::going_back(&form) {
            return again(None, None, StatusCode::OK).await;
        }
        if let Some(ask) = ConfirmPage::unless_confirmed(
            &signed,
            &form,
            &format!("/problems/{id}/step"),
            "确认交办",
            assign_lines(&s, &signed, &form).await,
            "确认交办并签发交办单",
            &format!("/problems/{id}"),
        ) {
            return Ok(ask);
        }
    }
    let uploads: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .filter(|f| f.0 == "file")
        .map(|f| (f.1, f.2))
        .collect();
    let uploaded = uploads.len();
    if uploaded > 0 {
        use keyproj_service::attachments::{Owner, attach_all};
        match attach_all(&s.app, &signed.ctx, Owner::Item(id), uploads).await {
            Ok(_) => {}
            Err(ServiceError::Validation(v)) => {
                return again(Some(v.to_string()), None, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    if step == "attach" {
        return if uploaded == 0 {
            again(
                Some("请先选择要上传的文件".into()),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        } else {
            again(
                None,
                Some(format!(
                    "已上传{uploaded}个附件。上方填写的说明尚未提交，请选择要办理的操作"
                )),
                StatusCode::OK,
            )
            .await
        };
    }
    let input = StepInput {
        step,
        version: form.id("version").unwrap_or(0),
        note: form.get("note"),
        new_deadline: form.get("new_deadline"),
        assign: assign_input(&form)
            .or_else(|| (form.get("step") == "assign").then(AssignInput::default)),
    };
    match svc::act(&s.app, &signed.ctx, id, &input).await {
        Ok(out) => {
            let to = match out.child {
                Some((child, _)) => format!("/problems/{child}"),
                None => format!("/problems/{id}?done={}", form.get("step")),
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(ServiceError::Validation(v)) => {
            again(Some(v.to_string()), None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

/// 月报存在问题 → a problem, in one click (owners and the lead unit).
pub(super) async fn raise_from_report(
    State(s): State<AppState>,
    Path((project, month)): Path<(i64, String)>,
    Posted { signed, .. }: Posted,
) -> Result<Response, PageError> {
    let month =
        keyproj_domain::ReportMonth::parse("month", "月份", &month).map_err(ServiceError::from)?;
    match svc::raise_from_report(&s.app, &signed.ctx, project, month).await {
        Ok((id, _)) => Ok(Redirect::to(&format!("/problems/{id}")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            super::dispatch_pages::report_page(&s, &signed, project, month, None, v, None).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

// --- documents ---------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "problems/document.html")]
pub(super) struct DocumentPage {
    chrome: Chrome,
    doc: DocumentRow,
    content: DocContent,
    colour: &'static str,
}

pub(super) async fn document_page(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    if let Some(id) = id.strip_suffix(".docx") {
        let id: i64 = id.parse().map_err(|_| ServiceError::NotFound)?;
        let doc = svc::document(&s.app, &signed.ctx, id).await?;
        let content: DocContent = serde_json::from_str(&doc.content).unwrap_or_default();
        let bytes = keyproj_office::docx::official(&svc::docx_of(&doc, &content))
            .map_err(|e| ServiceError::internal("内部处理", e))?;
        let name = format!("{}.docx", doc.number);
        let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
        return Ok((
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                        .to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename*=UTF-8''{encoded}"),
                ),
            ],
            bytes,
        )
            .into_response());
    }
    let id: i64 = id.parse().map_err(|_| ServiceError::NotFound)?;
    let doc = svc::document(&s.app, &signed.ctx, id).await?;
    let content: DocContent = serde_json::from_str(&doc.content).unwrap_or_default();
    Ok(DocumentPage {
        chrome: Chrome::new(&signed, "problems"),
        colour: match doc.kind.as_str() {
            "letter_blue" => "blue",
            "letter_yellow" => "yellow",
            "letter_red" => "red",
            _ => "",
        },
        doc,
        content,
    }
    .into_response())
}

// --- to-do -------------------------------------------------------------------------------

pub(super) struct NoteLine {
    text: String,
    at: String,
    read: bool,
    href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "problems/todo.html")]
pub(super) struct TodoPage {
    chrome: Chrome,
    to_handle: Vec<ItemLine>,
    to_assign: Vec<ItemLine>,
    to_verify: Vec<ItemLine>,
    extensions: Vec<ItemLine>,
    notes: Vec<NoteLine>,
    unread: i64,
    newest: i64,
}

pub(super) async fn todo_page(
    State(s): State<AppState>,
    signed: Signed,
) -> Result<Response, PageError> {
    let t = svc::todo(&s.app, &signed.ctx).await?;
    let today = s.app.local_today().format(svc::DATE).to_string();
    let lines = |v: &[ItemRow]| v.iter().map(|r| line(r, &today)).collect();
    Ok(TodoPage {
        chrome: Chrome::new(&signed, "todo"),
        to_handle: lines(&t.to_handle),
        to_assign: lines(&t.to_assign),
        to_verify: lines(&t.to_verify),
        extensions: lines(&t.extensions),
        newest: t.notifications.first().map(|n| n.id).unwrap_or(0),
        notes: t
            .notifications
            .iter()
            .map(|n| NoteLine {
                text: n.text.clone(),
                at: views::local_time(&n.created_at),
                read: n.read,
                href: match (n.document_id, n.item_id) {
                    (Some(d), _) => format!("/documents/{d}"),
                    (None, Some(i)) => format!("/problems/{i}"),
                    _ => String::new(),
                },
            })
            .collect(),
        unread: t.unread,
    }
    .into_response())
}

pub(super) async fn todo_read(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    svc::mark_read(&s.app, &signed.ctx, form.id("up_to").unwrap_or(0)).await?;
    Ok(Redirect::to("/todo").into_response())
}

// --- supervision settings ----------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "problems/settings.html")]
pub(super) struct SettingsPage {
    chrome: Chrome,
    year: i32,
    rules: keyproj_domain::problem::SupervisionRules,
    version: i64,
    working: bool,
    days: String,
    stored: bool,
    errors: ValidationErrors,
    flash: Option<String>,
    deliveries: Vec<(String, String, String, String)>,
    webhook: bool,
    /// The rules or holidays form as posted (kept after an error).
    typed: FormData,
}

impl SettingsPage {
    /// What was typed in `name` of the form `what`, or the stored value.
    fn typed_or(&self, what: &str, name: &str, stored: String) -> String {
        if self.typed.get("what") == what {
            self.typed.get(name)
        } else {
            stored
        }
    }
}

async fn settings_page(
    s: &AppState,
    signed: &Signed,
    year: i32,
    errors: ValidationErrors,
    flash: Option<String>,
) -> Result<SettingsPage, PageError> {
    settings_page_typed(s, signed, year, errors, flash, FormData::default()).await
}

async fn settings_page_typed(
    s: &AppState,
    signed: &Signed,
    year: i32,
    errors: ValidationErrors,
    flash: Option<String>,
    typed: FormData,
) -> Result<SettingsPage, PageError> {
    if !allowed(signed, Action::ManageProblems) {
        return Err(ServiceError::Forbidden.into());
    }
    let (rules, version) = svc::rules(&s.app, &signed.ctx, year).await?;
    let (days, stored) = svc::holidays(&s.app, &signed.ctx, year).await?;
    let (_, attempts) = keyproj_service::supervision::deliveries(&s.app, &signed.ctx).await?;
    Ok(SettingsPage {
        chrome: Chrome::new(signed, "problem_settings"),
        year,
        working: rules.day_count == keyproj_domain::problem::DayCount::Working,
        rules,
        version,
        days: days
            .iter()
            .map(|d| {
                format!(
                    "{} {}",
                    d.day,
                    if d.kind == "workday" {
                        "上班"
                    } else {
                        d.name.as_str()
                    }
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
        stored,
        errors,
        flash,
        deliveries: attempts
            .iter()
            .map(|a| {
                (
                    views::local_time(&a.at),
                    a.outbox_id.to_string(),
                    a.status
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "—".into()),
                    if a.error.is_empty() {
                        "已送达".into()
                    } else {
                        a.error.clone()
                    },
                )
            })
            .collect(),
        webhook: s.app.cfg.webhook.is_some(),
        typed,
    })
}

fn year_of(q: &FormData, s: &AppState) -> i32 {
    use chrono::Datelike;
    q.id("year")
        .map(|y| y as i32)
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or(s.app.local_today().year())
}

pub(super) async fn problem_settings(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let year = year_of(&q, &s);
    Ok(
        settings_page(&s, &signed, year, ValidationErrors::new(), None)
            .await?
            .into_response(),
    )
}

pub(super) async fn problem_settings_save(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let year = year_of(&form, &s);
    let num = |k: &str| form.get(k).trim().parse::<u32>().unwrap_or(u32::MAX);
    let result = match form.get("what").as_str() {
        "rules" => {
            let rules = keyproj_domain::problem::SupervisionRules {
                day_count: keyproj_domain::problem::DayCount::from_input(&form.get("day_count"))
                    .unwrap_or(keyproj_domain::problem::DayCount::Working),
                default_limit_days: num("default_limit_days"),
                remind_days_before: num("remind_days_before"),
                yellow_reply_days: num("yellow_reply_days"),
                assign_prefix: form.get("assign_prefix").trim().to_string(),
                letter_prefix: form.get("letter_prefix").trim().to_string(),
                minutes_prefix: form.get("minutes_prefix").trim().to_string(),
            };
            svc::save_rules(
                &s.app,
                &signed.ctx,
                year,
                &rules,
                form.id("version").unwrap_or(0),
            )
            .await
            .map(|_| "督办规则已保存".to_string())
        }
        "holidays" => svc::save_holidays(&s.app, &signed.ctx, year, &form.get("days"))
            .await
            .map(|n| format!("{year}年节假日已保存（{n}天）")),
        "run" => {
            if let Some(ask) = ConfirmPage::unless_confirmed(
                &signed,
                &form,
                "/problems/settings",
                "确认立即督办",
                vec![
                    "将立即评估所有在办事项：临近时限的发蓝色提醒函，逾期的发黄色或红色督办函，并通知承办单位。".into(),
                ],
                "确认立即督办",
                "/problems/settings",
            ) {
                return Ok(ask);
            }
            keyproj_service::supervision::run_now(&s.app, &signed.ctx)
                .await
                .map(|r| {
                    let mut m = format!(
                        "督办评估完成：检查{}项，蓝色提醒{}，黄色督办函{}，红色督办函{}",
                        r.examined, r.blue, r.yellow, r.red
                    );
                    if r.failed > 0 {
                        m.push_str(&format!("；{}项未能处理，已记入系统日志", r.failed));
                    }
                    m
                })
        }
        _ => Err(ServiceError::NotFound),
    };
    match result {
        Ok(msg) => Ok(
            settings_page(&s, &signed, year, ValidationErrors::new(), Some(msg))
                .await?
                .into_response(),
        ),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            settings_page_typed(&s, &signed, year, v, None, form).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

// --- meetings and patrols ----------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "problems/meetings.html")]
pub(super) struct MeetingsPage {
    chrome: Chrome,
    meetings: Vec<(MeetingRow, &'static str)>,
    patrols: Vec<PatrolRow>,
    total: i64,
    kinds: Vec<(String, String, bool)>,
    leaders: Vec<(i64, String)>,
    projects: Vec<(i64, String)>,
    errors: ValidationErrors,
    can_manage: bool,
    today: String,
    /// The meeting or patrol form as posted (kept after an error).
    typed: FormData,
}

impl MeetingsPage {
    /// What was typed in `name`, or `default` on a fresh page.
    fn typed_or(&self, name: &str, default: &str) -> String {
        if self.typed.0.iter().any(|(k, _)| k == name) {
            self.typed.get(name)
        } else {
            default.to_string()
        }
    }
    fn chosen(&self, name: &str, id: &i64) -> bool {
        self.typed.all(name).contains(&id.to_string())
    }
}

async fn meetings_page(
    s: &AppState,
    signed: &Signed,
    errors: ValidationErrors,
) -> Result<MeetingsPage, PageError> {
    meetings_page_typed(s, signed, errors, FormData::default()).await
}

async fn meetings_page_typed(
    s: &AppState,
    signed: &Signed,
    errors: ValidationErrors,
    typed: FormData,
) -> Result<MeetingsPage, PageError> {
    let (rows, total) = svc::meetings(&s.app, &signed.ctx, None, 200, 0).await?;
    let can_manage = allowed(signed, Action::ManageProblems);
    let patrols = if can_manage {
        svc::patrols(&s.app, &signed.ctx, 100, 0).await?.0
    } else {
        vec![]
    };
    Ok(MeetingsPage {
        chrome: Chrome::new(signed, "meetings"),
        meetings: rows
            .into_iter()
            .map(|m| {
                let k = source_label(&m.kind);
                (m, k)
            })
            .collect(),
        patrols,
        total,
        kinds: svc::MEETING_KINDS
            .iter()
            .map(|k| {
                (
                    k.key().to_string(),
                    k.label().to_string(),
                    *k == Source::TopicMeeting,
                )
            })
            .collect(),
        leaders: org::leaders(&s.app, &signed.ctx)
            .await?
            .into_iter()
            .map(|l| (l.id, l.name))
            .collect(),
        projects: projects::choices(&s.app, &signed.ctx).await?,
        errors,
        can_manage,
        typed,
        today: s.app.local_today().format(svc::DATE).to_string(),
    })
}

pub(super) async fn meeting_list(
    State(s): State<AppState>,
    signed: Signed,
) -> Result<Response, PageError> {
    Ok(meetings_page(&s, &signed, ValidationErrors::new())
        .await?
        .into_response())
}

pub(super) async fn meeting_create(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let input = svc::MeetingInput {
        kind: form.get("kind"),
        held_on: form.get("held_on"),
        place: form.get("place"),
        chair_leader_id: form.id("chair"),
        attending_units: form.get("attending_units"),
        project_ids: form
            .all("projects")
            .iter()
            .filter_map(|x| x.parse().ok())
            .collect(),
        minutes: form.get("minutes"),
    };
    match svc::create_meeting(&s.app, &signed.ctx, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/meetings/{id}")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            meetings_page_typed(&s, &signed, v, form).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn patrol_create(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let input = svc::PatrolInput {
        patrol_on: form.get("patrol_on"),
        inspector: form.get("inspector"),
        project_ids: form
            .all("projects")
            .iter()
            .filter_map(|x| x.parse().ok())
            .collect(),
        findings: form.get("findings"),
    };
    match svc::create_patrol(&s.app, &signed.ctx, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/patrols/{id}/finding")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            meetings_page_typed(&s, &signed, v, form).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "problems/meeting.html")]
pub(super) struct MeetingPage {
    chrome: Chrome,
    m: MeetingRow,
    kind: &'static str,
    projects: Vec<(i64, String)>,
    items: Vec<ItemLine>,
    documents: Vec<DocLine>,
    form: NewPage,
    can_manage: bool,
    minutes_issued: bool,
}

async fn meeting_page(
    s: &AppState,
    signed: &Signed,
    id: i64,
    form: &FormData,
    errors: ValidationErrors,
) -> Result<MeetingPage, PageError> {
    let d = svc::meeting(&s.app, &signed.ctx, id).await?;
    let today = s.app.local_today().format(svc::DATE).to_string();
    let mut f = new_page(
        s,
        signed,
        form,
        errors,
        format!("/meetings/{id}/items"),
        "会议确定事项（登记并交办）".into(),
        false,
    )
    .await?;
    f.categories = opts(&categories(), &form.get("category"));
    Ok(MeetingPage {
        chrome: Chrome::new(signed, "meetings"),
        kind: source_label(&d.meeting.kind),
        projects: d.projects,
        items: d.items.iter().map(|r| line(r, &today)).collect(),
        minutes_issued: d.documents.iter().any(|x| x.kind == "minutes"),
        documents: d.documents.iter().map(doc_line).collect(),
        form: f,
        can_manage: allowed(signed, Action::ManageProblems),
        m: d.meeting,
    })
}

pub(super) async fn meeting_detail(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    Ok(meeting_page(
        &s,
        &signed,
        id,
        &FormData::default(),
        ValidationErrors::new(),
    )
    .await?
    .into_response())
}

pub(super) async fn meeting_item(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    if ConfirmPage::going_back(&form) {
        return Ok(
            meeting_page(&s, &signed, id, &form, ValidationErrors::new())
                .await?
                .into_response(),
        );
    }
    if let Some(ask) = ConfirmPage::unless_confirmed(
        &signed,
        &form,
        &format!("/meetings/{id}/items"),
        "确认交办会议议定事项",
        assign_lines(&s, &signed, &form).await,
        "确认交办并签发交办单",
        &format!("/meetings/{id}"),
    ) {
        return Ok(ask);
    }
    let assign = assign_input(&form).unwrap_or_default();
    match svc::add_decision(&s.app, &signed.ctx, id, &item_input(&form), &assign).await {
        Ok(_) => Ok(Redirect::to(&format!("/meetings/{id}")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            meeting_page(&s, &signed, id, &form, v).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn meeting_minutes(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    if let Some(ask) = ConfirmPage::unless_confirmed(
        &signed,
        &form,
        &format!("/meetings/{id}/minutes"),
        "确认印发会议纪要",
        vec!["将印发编号的会议纪要，列出本次会议交办的全部事项。印发后不能再修改。".into()],
        "确认印发",
        &format!("/meetings/{id}"),
    ) {
        return Ok(ask);
    }
    let doc = svc::issue_minutes(&s.app, &signed.ctx, id).await?;
    Ok(Redirect::to(&format!("/documents/{doc}")).into_response())
}

pub(super) async fn patrol_finding_page(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    if !allowed(&signed, Action::ManageProblems) {
        return Err(ServiceError::Forbidden.into());
    }
    Ok(new_page(
        &s,
        &signed,
        &FormData::default(),
        ValidationErrors::new(),
        format!("/patrols/{id}/finding"),
        "巡查发现（登记为问题，可同时交办）".into(),
        false,
    )
    .await?
    .into_response())
}

pub(super) async fn patrol_finding(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    if ConfirmPage::going_back(&form) {
        return Ok(new_page(
            &s,
            &signed,
            &form,
            ValidationErrors::new(),
            format!("/patrols/{id}/finding"),
            "巡查发现（登记为问题，可同时交办）".into(),
            false,
        )
        .await?
        .into_response());
    }
    if assign_input(&form).is_some()
        && let Some(ask) = ConfirmPage::unless_confirmed(
            &signed,
            &form,
            &format!("/patrols/{id}/finding"),
            "确认登记并交办巡查发现",
            assign_lines(&s, &signed, &form).await,
            "确认交办并签发交办单",
            &format!("/patrols/{id}/finding"),
        )
    {
        return Ok(ask);
    }
    match svc::add_finding(
        &s.app,
        &signed.ctx,
        id,
        &item_input(&form),
        assign_input(&form).as_ref(),
    )
    .await
    {
        Ok((item, _)) => Ok(Redirect::to(&format!("/problems/{item}")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            new_page(
                &s,
                &signed,
                &form,
                v,
                format!("/patrols/{id}/finding"),
                "巡查发现（登记为问题，可同时交办）".into(),
                false,
            )
            .await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

// --- statistics --------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "problems/stats.html")]
pub(super) struct StatsPage {
    chrome: Chrome,
    st: svc::ProblemStats,
    query: String,
    months: Vec<(u32, bool)>,
    chart: String,
}

fn stats_query(q: &FormData, s: &AppState) -> (i32, Option<u32>) {
    (
        year_of(q, s),
        q.id("month")
            .map(|m| m as u32)
            .filter(|m| (1..=12).contains(m)),
    )
}

pub(super) async fn problem_stats(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let (year, month) = stats_query(&q, &s);
    let st = svc::stats(&s.app, &signed.ctx, year, month).await?;
    let bars: Vec<(String, f64)> = st
        .units
        .iter()
        .take(15)
        .map(|u| (u.unit_name.clone(), u.closure_rate_pct))
        .collect();
    let chart = keyproj_office::chart::bar_svg(&bars, "%");
    Ok(StatsPage {
        chrome: Chrome::new(&signed, "problem_stats"),
        query: format!(
            "year={year}{}",
            month.map(|m| format!("&month={m}")).unwrap_or_default()
        ),
        months: (1..=12).map(|m| (m, Some(m) == month)).collect(),
        chart,
        st,
    }
    .into_response())
}

pub(super) async fn problem_stats_xlsx(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let (year, month) = stats_query(&q, &s);
    let st = svc::stats(&s.app, &signed.ctx, year, month).await?;
    let headers: &[(&str, f64)] = &[
        ("承办单位", 28.0),
        ("交办", 8.0),
        ("办结", 8.0),
        ("办结率%", 10.0),
        ("按期办结率%", 12.0),
        ("逾期未办结", 10.0),
        ("平均办理天数", 12.0),
        ("收到督办函", 10.0),
    ];
    let rows = st
        .units
        .iter()
        .map(|u| {
            vec![
                Cell::from(u.unit_name.clone()),
                Cell::Int(u.assigned),
                Cell::Int(u.closed),
                Cell::from(format!("{:.1}", u.closure_rate_pct)),
                Cell::from(format!("{:.1}", u.on_time_rate_pct)),
                Cell::Int(u.overdue),
                Cell::from(format!("{:.1}", u.avg_days)),
                Cell::Int(u.letters),
            ]
        })
        .collect();
    let title = format!(
        "{year}年{}重点项目问题交办办理情况",
        month.map(|m| format!("{m}月")).unwrap_or_default()
    );
    let bytes = xlsx::write(&xlsx::Sheet {
        name: "办理情况",
        title: &title,
        subtitle: None,
        headers,
        rows,
        totals: None,
    })
    .map_err(|e| ServiceError::internal("内部处理", e))?;
    Ok(xlsx_response(&format!("{title}.xlsx"), bytes))
}

// --- attachments -------------------------------------------------------------------------

/// The CSRF token, the file's name and its bytes of a multipart upload (field `file`).
async fn upload_of(
    signed: &Signed,
    mut multipart: axum::extract::Multipart,
) -> Result<(String, Vec<u8>), Response> {
    let (mut csrf, mut name, mut file) = (String::new(), String::new(), vec![]);
    while let Ok(Some(field)) = multipart.next_field().await {
        let key = field.name().unwrap_or("").to_string();
        if key == "file" {
            name = field.file_name().unwrap_or("").to_string();
        }
        let Ok(data) = field.bytes().await else {
            return Err(page_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "附件不能超过20 MB",
            ));
        };
        match key.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&data).to_string(),
            "file" => file = data.to_vec(),
            _ => {}
        }
    }
    if !auth::same_secret(&csrf, signed.csrf()) {
        return Err(page_error(
            StatusCode::FORBIDDEN,
            "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试",
        ));
    }
    Ok((name, file))
}

pub(super) async fn item_attach(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    multipart: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let (name, data) = match upload_of(&signed, multipart).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    use keyproj_service::attachments::{Owner, attach};
    match attach(&s.app, &signed.ctx, Owner::Item(id), &name, data).await {
        Ok(_) => Ok(Redirect::to(&format!("/problems/{id}")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            detail_page(&s, &signed, id, Some(v.to_string())).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn patrol_attach(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    multipart: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let (name, data) = match upload_of(&signed, multipart).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    use keyproj_service::attachments::{Owner, attach};
    attach(&s.app, &signed.ctx, Owner::Patrol(id), &name, data).await?;
    Ok(Redirect::to(&format!("/patrols/{id}/finding")).into_response())
}

pub(super) async fn attachment_file(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (row, bytes) = keyproj_service::attachments::read(&s.app, &signed.ctx, id).await?;
    let encoded: String = form_urlencoded::byte_serialize(row.file_name.as_bytes()).collect();
    let disposition = if row.content_type.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    Ok((
        [
            (header::CONTENT_TYPE, row.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response())
}

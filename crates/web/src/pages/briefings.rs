//! 《重点项目建设简报》 on the pages: the year's issues (search, .xlsx), composing a draft (the
//! head, one text with computed-block lines inserted from a menu, the tasks), a briefing's page
//! in the official layout (a draft's blocks computed now), issuing and discarding after a
//! confirmation, and the Word file.

use crate::AppState;
use crate::auth::{FormData, Posted, Signed, query_pairs};
use crate::error::PageError;
use crate::pages::ConfirmPage;
use crate::views::{Chrome, UnitGroup, unit_groups};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use keyproj_domain::ValidationErrors;
use keyproj_domain::authz::Role;
use keyproj_domain::briefing::{
    BlockKind, BriefingState, Content, HeadDraft, MAX_TOP_N, Rendered, Span, TaskDraft, body_of,
    directive, parse_body,
};
use keyproj_domain::ids::UnitId;
use keyproj_service::ServiceError;
use keyproj_service::briefings::{self as svc, Compose};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/briefings", get(index).post(create))
        .route("/briefings.xlsx", get(index_xlsx))
        .route("/briefings/new", get(new_form))
        .route("/briefings/{id}", get(detail))
        .route("/briefings/{id}/edit", get(edit_form).post(save))
        .route("/briefings/{id}/issue", post(issue))
        .route("/briefings/{id}/discard", post(discard))
        .route("/briefings/{id}/docx", get(docx))
}

use crate::pages::{id_of, is_staff};

fn year_in(q: &FormData, s: &AppState) -> Result<i32, PageError> {
    let y = q.get("year");
    if y.trim().is_empty() {
        return Ok(svc::default_year(&s.app));
    }
    y.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| {
            PageError(ServiceError::Validation(ValidationErrors::single(
                "year",
                "invalid_year",
                "年度应为2000至2100之间的年份",
            )))
        })
}

// ----- the year's issues -----

struct Line {
    id: i64,
    label: String,
    title: String,
    state: &'static str,
    draft: bool,
    signer: String,
    issued_on: String,
    tasks: usize,
    updated: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "briefings/index.html")]
struct IndexPage {
    chrome: Chrome,
    year: i32,
    q: String,
    lines: Vec<Line>,
    issued: usize,
    tasks: usize,
    is_staff: bool,
    export: String,
    done: String,
}

async fn lines_of(
    s: &AppState,
    signed: &Signed,
    q: &FormData,
) -> Result<(i32, Vec<Line>), PageError> {
    let year = year_in(q, s)?;
    let rows = svc::of_year(&s.app, &signed.ctx, year).await?;
    let lines = rows
        .into_iter()
        .map(|b| Line {
            id: b.id,
            label: match b.seq {
                Some(seq) => format!("第{seq}期"),
                None => "草稿".into(),
            },
            draft: b.state == BriefingState::Draft,
            state: b.state.label(),
            title: b.head.title,
            signer: b.head.signer,
            issued_on: b.issued_on.map(|d| d.to_string()).unwrap_or_default(),
            tasks: if b.state == BriefingState::Issued {
                b.content.tasks.len()
            } else {
                b.tasks.len()
            },
            updated: crate::views::local_time(&b.updated_at),
        })
        .collect::<Vec<_>>();
    Ok((year, lines))
}

/// The lines whose title holds the search words.
fn matching(lines: Vec<Line>, q: &FormData) -> Vec<Line> {
    let needle = q.get("q").trim().to_string();
    lines
        .into_iter()
        .filter(|l| needle.is_empty() || l.title.contains(&needle))
        .collect()
}

async fn index(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let (year, all) = lines_of(&s, &signed, &q).await?;
    // the year's counts, whatever the search
    let issued: Vec<&Line> = all.iter().filter(|l| !l.draft).collect();
    let (issued_n, tasks_n) = (issued.len(), issued.iter().map(|l| l.tasks).sum());
    let lines = matching(all, &q);
    Ok(IndexPage {
        chrome: Chrome::new(&signed, "briefings"),
        issued: issued_n,
        tasks: tasks_n,
        export: crate::views::query_of(&q, &["year", "q"]),
        year,
        q: q.get("q"),
        lines,
        is_staff: is_staff(&signed),
        done: q.get("done"),
    }
    .into_response())
}

async fn index_xlsx(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let (year, lines) = lines_of(&s, &signed, &q).await?;
    let rows = matching(lines, &q)
        .iter()
        .map(|l| {
            vec![
                l.label.clone(),
                l.title.clone(),
                l.state.to_string(),
                l.signer.clone(),
                l.issued_on.clone(),
                l.tasks.to_string(),
            ]
        })
        .collect::<Vec<_>>();
    let file = keyproj_service::exports::briefings_xlsx(&s.app, year, &rows)?;
    Ok(crate::pages::xlsx_response(&file.name, file.bytes))
}

// ----- composing -----

struct TaskRow {
    title: String,
    description: String,
    deadline: String,
    units: Vec<UnitGroup>,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "briefings/form.html")]
struct FormPage {
    chrome: Chrome,
    /// None: a new draft.
    id: Option<i64>,
    version: i64,
    year: i32,
    head: HeadDraft,
    body: String,
    tasks: Vec<TaskRow>,
    blocks: Vec<(&'static str, String)>,
    errors: ValidationErrors,
    /// The menu's choice, kept when it was refused.
    chosen_block: String,
    top: String,
}

impl FormPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors.for_field(field)
    }
    fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/briefings/{id}/edit"),
            None => "/briefings".into(),
        }
    }
}

/// The tasks typed in the form: rows left blank are not tasks. At most one more than a
/// briefing may hold is kept (enough for the service to name the excess), so a flood of rows
/// costs nothing.
fn tasks_of(form: &FormData) -> Vec<TaskDraft> {
    let (t, u, d, x) = (
        form.all("task_title"),
        form.all("task_unit"),
        form.all("task_deadline"),
        form.all("task_description"),
    );
    let n = t.len().max(u.len()).max(d.len()).max(x.len());
    let at = |v: &Vec<String>, i: usize| v.get(i).cloned().unwrap_or_default();
    (0..n)
        .map(|i| TaskDraft {
            title: at(&t, i),
            handler_unit_id: at(&u, i),
            deadline: at(&d, i),
            description: at(&x, i),
        })
        .filter(|t| {
            !(t.title.trim().is_empty()
                && t.deadline.trim().is_empty()
                && t.description.trim().is_empty())
        })
        .take(keyproj_domain::briefing::MAX_TASKS + 1)
        .collect()
}

fn head_of(form: &FormData) -> HeadDraft {
    HeadDraft {
        title: form.get("title"),
        editor: form.get("editor"),
        signer: form.get("signer"),
        send_to: form.get("send_to"),
        copy_to: form.get("copy_to"),
    }
}

/// A composition as typed (or as stored), with the blank task rows to offer.
struct Typed {
    id: Option<i64>,
    version: i64,
    year: i32,
    head: HeadDraft,
    body: String,
    tasks: Vec<TaskDraft>,
    blank_rows: usize,
}

async fn form_page(
    s: &AppState,
    signed: &Signed,
    t: Typed,
    errors: ValidationErrors,
) -> Result<FormPage, PageError> {
    let Typed {
        id,
        version,
        year,
        head,
        body,
        tasks,
        blank_rows,
    } = t;
    let units = keyproj_service::org::units(&s.app, &signed.ctx).await?;
    let mut rows: Vec<TaskRow> = tasks
        .iter()
        .enumerate()
        .map(|(n, t)| {
            let chosen: Vec<UnitId> = t
                .handler_unit_id
                .parse::<i64>()
                .ok()
                .map(UnitId)
                .into_iter()
                .collect();
            TaskRow {
                title: t.title.clone(),
                description: t.description.clone(),
                deadline: t.deadline.clone(),
                units: unit_groups(&units, &chosen),
                error: errors.for_field(&format!("tasks[{n}]")).map(String::from),
            }
        })
        .collect();
    for _ in 0..blank_rows {
        rows.push(TaskRow {
            title: String::new(),
            description: String::new(),
            deadline: String::new(),
            units: unit_groups(&units, &[]),
            error: None,
        });
    }
    Ok(FormPage {
        chrome: Chrome::new(signed, "briefings"),
        id,
        version,
        year,
        head,
        body,
        tasks: rows,
        blocks: BlockKind::ALL
            .iter()
            .map(|k| (k.key(), k.label().to_string()))
            .collect(),
        errors,
        chosen_block: String::new(),
        top: "10".into(),
    })
}

async fn new_form(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    if !is_staff(&signed) {
        return Err(ServiceError::Forbidden.into());
    }
    let _ = raw;
    // a briefing is of the year it is issued in
    let year = svc::default_year(&s.app);
    let region = keyproj_service::org::region_name(&signed.ctx.actor.region);
    let head = HeadDraft {
        title: String::new(),
        editor: format!("{region}重点项目建设事务中心"),
        signer: String::new(),
        send_to: "县委、县人大、县政府、县政协主要领导".into(),
        copy_to: "各重点项目牵头单位、责任单位".into(),
    };
    let body = format!(
        "# 一、总体情况\n\n{}\n\n# 二、存在问题\n\n# 三、下步工作\n",
        directive(BlockKind::YearFigures, 10)
    );
    Ok(form_page(
        &s,
        &signed,
        Typed {
            id: None,
            version: 0,
            year,
            head,
            body,
            tasks: vec![],
            blank_rows: 3,
        },
        ValidationErrors::new(),
    )
    .await?
    .into_response())
}

async fn edit_form(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    if !is_staff(&signed) {
        return Err(ServiceError::Forbidden.into());
    }
    let v = svc::get(&s.app, &signed.ctx, id_of(&id)?).await?;
    let b = v.briefing;
    if b.state == BriefingState::Issued {
        return Ok(Redirect::to(&format!("/briefings/{}", b.id)).into_response());
    }
    Ok(form_page(
        &s,
        &signed,
        Typed {
            id: Some(b.id),
            version: b.version,
            year: b.year,
            head: b.head,
            body: body_of(&b.sections),
            tasks: b.tasks,
            blank_rows: 2,
        },
        ValidationErrors::new(),
    )
    .await?
    .into_response())
}

/// What a posted form asks besides saving: a block appended, a task row added.
fn side_action(form: &FormData) -> Option<&'static str> {
    match form.get("action").as_str() {
        "add_block" => Some("add_block"),
        "add_task" => Some("add_task"),
        _ => None,
    }
}

/// Saves (creates or changes) a draft; the menu's block and the extra task row come back in
/// the form without saving, so nothing typed is lost either way.
async fn compose(
    s: &AppState,
    signed: &Signed,
    id: Option<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    let mut typed = Typed {
        id,
        version: form.edited_version(),
        year: match id {
            Some(_) => form.get("year").parse::<i32>().unwrap_or_default(),
            None => svc::default_year(&s.app),
        },
        head: head_of(&form),
        body: form.get("body"),
        tasks: tasks_of(&form),
        blank_rows: 1,
    };
    let again = |typed: Typed, errors: ValidationErrors, status: StatusCode| async move {
        Ok::<Response, PageError>(
            (status, form_page(s, signed, typed, errors).await?).into_response(),
        )
    };
    if let Some(side) = side_action(&form) {
        let mut told = ValidationErrors::new();
        if side == "add_block" {
            let top = form.get("add_top").trim().parse::<u32>().ok();
            match (BlockKind::from_key(&form.get("add_block")), top) {
                (None, _) => told.add("add_block", "required", "请先选择要插入的数据块"),
                // the count matters to the top-N block only
                (Some(BlockKind::TopProjects), t)
                    if !t.is_some_and(|t| (1..=MAX_TOP_N).contains(&t)) =>
                {
                    told.add(
                        "add_block",
                        "range",
                        format!("项目个数应为1至{MAX_TOP_N}之间的整数"),
                    )
                }
                (Some(kind), t) => {
                    let body = &mut typed.body;
                    if !body.ends_with('\n') && !body.is_empty() {
                        body.push('\n');
                    }
                    body.push_str(&directive(kind, t.unwrap_or(10)));
                    body.push('\n');
                }
            }
        } else if side == "add_task" {
            typed.blank_rows = 2;
        }
        let keep = !told.is_empty();
        let mut page = form_page(s, signed, typed, told).await?;
        if keep {
            page.chosen_block = form.get("add_block");
            page.top = form.get("add_top");
        }
        return Ok(page.into_response());
    }
    let sections = match parse_body(&typed.body) {
        Ok(s) => s,
        Err(mut v) => {
            // the other fields are named too, in the same answer
            let rest = Compose {
                head: typed.head.clone(),
                sections: vec![keyproj_domain::briefing::SectionDraft::Text {
                    markup: "—".into()
                }],
                tasks: typed.tasks.clone(),
            };
            match svc::check_only(&s.app, &signed.ctx, &rest).await {
                Ok(()) => {}
                Err(ServiceError::Validation(more)) => v.0.extend(more.0),
                Err(e) => return Err(e.into()),
            }
            return again(typed, v, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let c = Compose {
        head: typed.head.clone(),
        sections,
        tasks: typed.tasks.clone(),
    };
    let done = match id {
        None => svc::create(&s.app, &signed.ctx, typed.year, &c).await,
        Some(id) => svc::update(&s.app, &signed.ctx, id, typed.version, &c)
            .await
            .map(|_| id),
    };
    match (done, id) {
        (Ok(id), _) => Ok(Redirect::to(&format!("/briefings/{id}?done=saved")).into_response()),
        (Err(ServiceError::Validation(v)), _) => {
            again(typed, v, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        (Err(ServiceError::Stale), Some(id)) => {
            // someone saved it meanwhile: what was typed stays, and saving again takes it
            typed.version = svc::get(&s.app, &signed.ctx, id).await?.briefing.version;
            let told = ValidationErrors::single(
                "version",
                "stale",
                "该草稿已被他人修改：下方保留了您输入的内容，再次保存将以您的内容为准",
            );
            again(typed, told, StatusCode::CONFLICT).await
        }
        (Err(e), _) => Err(e.into()),
    }
}

async fn create(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    compose(&s, &signed, None, form).await
}

async fn save(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let id = id_of(&id)?;
    compose(&s, &signed, Some(id), form).await
}

// ----- a briefing -----

/// One piece of the body as the page shows it.
struct Piece {
    /// "h", "p", "ul" or "block"
    tag: &'static str,
    spans: Vec<Span>,
    items: Vec<Vec<Span>>,
    title: String,
    paragraphs: Vec<String>,
    head: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Piece {
    fn text(tag: &'static str, spans: Vec<Span>, items: Vec<Vec<Span>>) -> Piece {
        Piece {
            tag,
            spans,
            items,
            title: String::new(),
            paragraphs: vec![],
            head: vec![],
            rows: vec![],
        }
    }
}

fn pieces(content: &Content) -> Vec<Piece> {
    use keyproj_domain::briefing::Block;
    let mut out = vec![];
    for s in &content.sections {
        match s {
            Rendered::Text { blocks } => {
                for b in blocks {
                    out.push(match b {
                        Block::Heading(s) => Piece::text("h", s.clone(), vec![]),
                        Block::Paragraph(s) => Piece::text("p", s.clone(), vec![]),
                        Block::List(items) => Piece::text("ul", vec![], items.clone()),
                    });
                }
            }
            Rendered::Computed {
                title,
                paragraphs,
                head,
                rows,
                ..
            } => out.push(Piece {
                tag: "block",
                spans: vec![],
                items: vec![],
                title: title.clone(),
                paragraphs: paragraphs.clone(),
                head: head.clone(),
                rows: rows.clone(),
            }),
        }
    }
    out
}

struct PlannedTask {
    title: String,
    description: String,
    unit: String,
    deadline: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "briefings/briefing.html")]
struct BriefingPage {
    chrome: Chrome,
    id: i64,
    version: i64,
    year: i32,
    label: String,
    issue_no: String,
    draft: bool,
    head: HeadDraft,
    date: String,
    pieces: Vec<Piece>,
    issued_tasks: Vec<keyproj_domain::briefing::IssuedTask>,
    planned: Vec<PlannedTask>,
    is_staff: bool,
    done: String,
    /// Why issuing was refused.
    error: String,
    issued_by: String,
    reads_all: bool,
    own_unit: Option<i64>,
}

impl BriefingPage {
    /// Staff and leaders follow every task to its item; a unit's users their own ones.
    fn links_task(&self, unit_id: &i64) -> bool {
        self.reads_all || self.own_unit == Some(*unit_id)
    }
}

async fn briefing_page(
    s: &AppState,
    signed: &Signed,
    id: i64,
    done: String,
) -> Result<BriefingPage, PageError> {
    let v = svc::get(&s.app, &signed.ctx, id).await?;
    let b = &v.briefing;
    let draft = b.state == BriefingState::Draft;
    let mut planned = vec![];
    if draft {
        let units = keyproj_service::org::units(&s.app, &signed.ctx).await?;
        for t in &b.tasks {
            planned.push(PlannedTask {
                title: t.title.clone(),
                description: t.description.clone(),
                unit: units
                    .iter()
                    .find(|u| u.id.get().to_string() == t.handler_unit_id)
                    .map(|u| u.name.clone())
                    .unwrap_or_default(),
                deadline: if t.deadline.is_empty() {
                    "按督办设置的默认时限".into()
                } else {
                    t.deadline.clone()
                },
            });
        }
    }
    let people = keyproj_service::account::People::of(&s.app, [b.issued_by.clone()]).await?;
    Ok(BriefingPage {
        chrome: Chrome::new(signed, "briefings"),
        id: b.id,
        version: b.version,
        year: b.year,
        issue_no: match b.seq {
            Some(seq) => format!("第{seq}期"),
            None => "（草稿）".into(),
        },
        label: v.label.clone(),
        draft,
        head: b.head.clone(),
        date: keyproj_domain::month::chinese_date(
            b.issued_on.unwrap_or_else(|| s.app.local_today()),
        ),
        pieces: pieces(&v.content),
        issued_tasks: v.content.tasks.clone(),
        planned,
        is_staff: is_staff(signed),
        done,
        error: String::new(),
        issued_by: people.name(&b.issued_by),
        reads_all: signed.ctx.actor.has(Role::CenterStaff)
            || signed.ctx.actor.has(Role::CountyLeader),
        own_unit: signed.ctx.actor.unit_id.map(|u| u.get()),
    })
}

async fn detail(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    // only the known outcomes: the address never puts words on the page
    let done = match q.get("done").as_str() {
        d @ ("saved" | "issued") => d.to_string(),
        _ => String::new(),
    };
    Ok(briefing_page(&s, &signed, id_of(&id)?, done)
        .await?
        .into_response())
}

async fn issue(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let id = id_of(&id)?;
    if !is_staff(&signed) {
        return Err(ServiceError::Forbidden.into());
    }
    if ConfirmPage::going_back(&form) {
        return Ok(Redirect::to(&format!("/briefings/{id}")).into_response());
    }
    let v = svc::get(&s.app, &signed.ctx, id).await?;
    let b = &v.briefing;
    if let Some(ask) = ConfirmPage::unless_confirmed(
        &signed,
        &form,
        &format!("/briefings/{id}/issue"),
        "确认印发简报",
        vec![
            format!(
                "《{}》{}年度下一期：{}",
                svc::PUBLICATION,
                b.year,
                b.head.title
            ),
            format!(
                "印发后编号、数据块按当前数据定稿，{}项任务登记为问题清单事项并交办承办单位。",
                b.tasks.len()
            ),
            "印发后不能再修改或删除。".into(),
        ],
        "确认印发",
        &format!("/briefings/{id}"),
    ) {
        return Ok(ask);
    }
    match svc::issue(&s.app, &signed.ctx, id, form.edited_version()).await {
        Ok(_) => Ok(Redirect::to(&format!("/briefings/{id}?done=issued")).into_response()),
        Err(ServiceError::Validation(v)) => {
            let mut page = briefing_page(&s, &signed, id, String::new()).await?;
            page.error = v
                .all()
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("；");
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn discard(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let id = id_of(&id)?;
    if !is_staff(&signed) {
        return Err(ServiceError::Forbidden.into());
    }
    if ConfirmPage::going_back(&form) {
        return Ok(Redirect::to(&format!("/briefings/{id}")).into_response());
    }
    let v = svc::get(&s.app, &signed.ctx, id).await?;
    if let Some(ask) = ConfirmPage::unless_confirmed(
        &signed,
        &form,
        &format!("/briefings/{id}/discard"),
        "确认删除简报草稿",
        vec![format!("删除草稿：{}", v.briefing.head.title)],
        "确认删除",
        &format!("/briefings/{id}"),
    ) {
        return Ok(ask);
    }
    svc::discard(&s.app, &signed.ctx, id, form.edited_version()).await?;
    Ok(Redirect::to(&format!(
        "/briefings?year={}&done=discarded",
        v.briefing.year
    ))
    .into_response())
}

async fn docx(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (name, bytes) = svc::docx(&s.app, &signed.ctx, id_of(&id)?).await?;
    Ok(crate::pages::docx_response(&name, bytes))
}

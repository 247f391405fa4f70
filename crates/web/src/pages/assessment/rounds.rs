//! Scoring rounds on the pages: the year's rounds and notices with the compute form; a round's
//! ranking per assessed kind (merged group headers, total, rank, 等次) with its objections and
//! the steps staff take (each official step after a confirmation); a unit's drill-down with the
//! records behind every point, the assessment group's typed lines, and the unit's objections.
//! Downloads: the result workbook and the published 通报 as a Word file.

use crate::AppState;
use crate::auth::{FormData, Posted, Signed, query_pairs};
use crate::error::PageError;
use crate::pages::ConfirmPage;
use crate::pages::dispatch::year_or_latest;
use crate::views::{Choice, Chrome};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use keyproj_domain::ValidationErrors;
use keyproj_domain::assessment::scoring::{ObjectionState, RecordKind, RoundState};
use keyproj_domain::assessment::{AssessedKind, points_text};
use keyproj_service::ServiceError;
use keyproj_service::assessment::rounds::{
    self as svc, DecisionInput, EntryInput, ObjectionInput, Reader, RoundView,
};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/assessment", get(index))
        .route("/assessment/rounds", post(compute))
        .route("/assessment/rounds/{id}", get(round))
        .route("/assessment/rounds/{id}/result.xlsx", get(result_xlsx))
        .route("/assessment/rounds/{id}/notice.docx", get(notice_docx))
        .route("/assessment/rounds/{id}/units/{unit}", get(unit))
        .route("/assessment/rounds/{id}/{step}", post(round_step))
        .route("/assessment/rounds/{id}/entries", post(enter))
        .route("/assessment/rounds/{id}/objections", post(object))
        .route("/assessment/objections/{id}", post(decide))
}

use crate::pages::{id_of, is_staff};

fn state_class(s: RoundState) -> &'static str {
    match s {
        RoundState::Draft => "state-registered",
        RoundState::Objection => "state-closure_requested",
        RoundState::Reviewed => "state-assigned",
        RoundState::Published => "state-closed",
    }
}

// ----- the year's rounds -----

struct RoundLine {
    id: i64,
    period: String,
    state: &'static str,
    state_class: &'static str,
    computed_at: String,
    computed_by: String,
    notice: String,
}

struct NoticeLine {
    round_id: i64,
    number: String,
    title: String,
    issued_on: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "assessment/index.html")]
struct IndexPage {
    chrome: Chrome,
    year: i32,
    rounds: Vec<RoundLine>,
    notices: Vec<NoticeLine>,
    periods: Vec<Choice>,
    is_staff: bool,
    has_rules: bool,
    errors: ValidationErrors,
}

async fn render_index(
    s: &AppState,
    signed: &Signed,
    year: i32,
    chosen: &str,
    errors: ValidationErrors,
) -> Result<IndexPage, PageError> {
    let y = svc::year(&s.app, &signed.ctx, year).await?;
    let people = keyproj_service::account::People::of(
        &s.app,
        y.rounds.iter().map(|r| r.computed_by.clone()),
    )
    .await?;
    let mut periods = vec![Choice::new(
        year,
        format!("{year}年度"),
        chosen == year.to_string(),
    )];
    for q in 1..=4 {
        let key = format!("{year}-Q{q}");
        let label = keyproj_domain::assessment::scoring::Period::parse("p", &key)
            .map(|p| p.label())
            .unwrap_or_default();
        periods.push(Choice::new(&key, label, chosen == key));
    }
    for m in 1..=12 {
        let key = format!("{year}-{m:02}");
        periods.push(Choice::new(&key, format!("{year}年{m}月"), chosen == key));
    }
    let notice_of = |id: i64| {
        y.notices
            .iter()
            .find(|n| n.round_id == id)
            .map(|n| n.number.clone())
            .unwrap_or_default()
    };
    Ok(IndexPage {
        chrome: Chrome::new(signed, "assessment"),
        year,
        rounds: y
            .rounds
            .iter()
            .map(|r| RoundLine {
                id: r.id,
                period: r.period.label(),
                state: r.state.label(),
                state_class: state_class(r.state),
                computed_at: crate::views::local_time(&r.computed_at),
                computed_by: people.name(&r.computed_by),
                notice: notice_of(r.id),
            })
            .collect(),
        notices: y
            .notices
            .iter()
            .map(|n| NoticeLine {
                round_id: n.round_id,
                number: n.number.clone(),
                title: n.title.clone(),
                issued_on: n.issued_on.to_string(),
            })
            .collect(),
        periods,
        is_staff: is_staff(signed),
        has_rules: y.has_rules,
        errors,
    })
}

async fn index(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let year = year_or_latest(&q, &s, &signed).await?;
    Ok(render_index(
        &s,
        &signed,
        year,
        &year.to_string(),
        ValidationErrors::new(),
    )
    .await?
    .into_response())
}

async fn compute(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let period = form.get("period");
    match svc::compute(&s.app, &signed.ctx, &period).await {
        Ok(id) => {
            Ok(Redirect::to(&format!("/assessment/rounds/{id}?done=computed")).into_response())
        }
        Err(ServiceError::Validation(v)) => {
            let year = year_or_latest(&form, &s, &signed).await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render_index(&s, &signed, year, &period, v).await?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ----- a round -----

struct Header {
    name: String,
    span: usize,
}

struct RankRow {
    rank: u32,
    unit_id: i64,
    name: String,
    points: Vec<String>,
    total: String,
    grade: String,
}

struct KindView {
    key: &'static str,
    label: &'static str,
    groups: Vec<Header>,
    indicators: Vec<(String, String)>,
    rows: Vec<RankRow>,
}

struct ObjectionView {
    id: i64,
    version: i64,
    unit_id: i64,
    unit: String,
    kind_key: &'static str,
    indicator: String,
    reason: String,
    raised_by: String,
    state: &'static str,
    state_key: &'static str,
    decision: String,
    points: String,
    pending: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "assessment/round.html")]
struct RoundPage {
    chrome: Chrome,
    id: i64,
    version: i64,
    year: i32,
    period: String,
    state: &'static str,
    state_class: &'static str,
    rules: String,
    until: String,
    notice_number: String,
    notice_title: String,
    corrects: String,
    kinds: Vec<KindView>,
    objections: Vec<ObjectionView>,
    pending: usize,
    is_staff: bool,
    /// A unit user before publication: its own lines only.
    own_only: bool,
    draft: bool,
    objecting: bool,
    reviewed: bool,
    published: bool,
    window_over: bool,
    flash: Option<String>,
    errors: ValidationErrors,
    typed: FormData,
}

impl RoundPage {
    fn typed_for(&self, objection: &i64, name: &str) -> String {
        if self.typed.get("objection") == objection.to_string() {
            self.typed.get(name)
        } else {
            String::new()
        }
    }
    fn chose(&self, objection: &i64, value: &str) -> bool {
        self.typed_for(objection, "decision") == value
    }
}

fn max_text(i: &keyproj_domain::assessment::Indicator) -> String {
    if i.max > 0 {
        format!("{}分", points_text(i.max))
    } else if i.penalty_cap > 0 {
        format!("扣分≤{}", points_text(i.penalty_cap))
    } else {
        "否决".into()
    }
}

fn kind_views(v: &RoundView) -> Vec<KindView> {
    v.kinds
        .iter()
        .map(|k| KindView {
            key: k.table.kind.key(),
            label: k.table.kind.label(),
            groups: svc::groups_of(&k.table)
                .into_iter()
                .map(|(name, items)| Header {
                    name,
                    span: items.len(),
                })
                .collect(),
            indicators: k
                .table
                .indicators
                .iter()
                .map(|i| (i.name.clone(), max_text(i)))
                .collect(),
            rows: k
                .ranked
                .iter()
                .map(|r| RankRow {
                    rank: r.rank,
                    unit_id: r.unit_id,
                    name: r.name.clone(),
                    points: r.points.iter().map(|p| points_text(*p)).collect(),
                    total: points_text(r.total),
                    grade: r.grade.clone(),
                })
                .collect(),
        })
        .collect()
}

async fn render_round(
    s: &AppState,
    signed: &Signed,
    id: i64,
    flash: Option<String>,
    errors: ValidationErrors,
    typed: FormData,
) -> Result<RoundPage, PageError> {
    let v = svc::get(&s.app, &signed.ctx, id).await?;
    let people = keyproj_service::account::People::of(
        &s.app,
        v.objections.iter().map(|o| o.raised_by.clone()),
    )
    .await?;
    let indicator_name = |kind: AssessedKind, n: usize| {
        v.rules
            .tables
            .iter()
            .find(|t| t.kind == kind)
            .and_then(|t| t.indicators.get(n))
            .map(|i| i.name.clone())
            .unwrap_or_default()
    };
    let content = v.notice.as_ref().and_then(svc::NoticeContent::of);
    Ok(RoundPage {
        chrome: Chrome::new(signed, "assessment"),
        id,
        version: v.round.version,
        year: v.round.year,
        period: v.round.period.label(),
        state: v.round.state.label(),
        state_class: state_class(v.round.state),
        rules: format!("{}（{}）", v.rules.title, v.rules.doc_number),
        until: v
            .round
            .objection_until
            .map(keyproj_domain::month::chinese_date)
            .unwrap_or_default(),
        notice_number: v
            .notice
            .as_ref()
            .map(|n| n.number.clone())
            .unwrap_or_default(),
        notice_title: v
            .notice
            .as_ref()
            .map(|n| n.title.clone())
            .unwrap_or_default(),
        corrects: content.and_then(|c| c.corrects).unwrap_or_default(),
        kinds: kind_views(&v),
        pending: v
            .objections
            .iter()
            .filter(|o| o.state == ObjectionState::Pending)
            .count(),
        objections: v
            .objections
            .iter()
            .map(|o| ObjectionView {
                id: o.id,
                version: o.version,
                unit_id: o.unit_id,
                unit: o.unit_name.clone(),
                kind_key: o.kind.key(),
                indicator: indicator_name(o.kind, o.indicator_no),
                reason: o.reason.clone(),
                raised_by: people.name(&o.raised_by),
                state: o.state.label(),
                state_key: o.state.key(),
                decision: o.decision.clone(),
                points: o.points.map(points_text).unwrap_or_default(),
                pending: o.state == ObjectionState::Pending,
            })
            .collect(),
        is_staff: is_staff(signed),
        own_only: matches!(v.reader, Reader::Unit(_)) && v.round.state != RoundState::Published,
        draft: v.round.state == RoundState::Draft,
        objecting: v.round.state == RoundState::Objection,
        reviewed: v.round.state == RoundState::Reviewed,
        published: v.round.state == RoundState::Published,
        window_over: v.window_over,
        flash,
        errors,
        typed,
    })
}

async fn round(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let id = id_of(&id)?;
    let q = query_pairs(raw.as_deref());
    let flash = match q.get("done").as_str() {
        "computed" => {
            Some("已按已审核的记录计算完成；请核对并录入考核组评分，再下发征求意见".into())
        }
        "recomputed" => Some("已重新计算，考核组录入的评分保留".into()),
        "opened" => Some("已下发征求意见，各单位可在异议期内查看本单位得分并提出异议".into()),
        "decided" => Some("异议已审定".into()),
        "reviewed" => Some("考核结果已审定，可以发布".into()),
        "published" => Some("考核结果已发布，通报已编号并冻结".into()),
        _ => None,
    };
    Ok(render_round(
        &s,
        &signed,
        id,
        flash,
        ValidationErrors::new(),
        FormData::default(),
    )
    .await?
    .into_response())
}

/// A step of the round, after a confirmation where it is official.
async fn step(
    s: &AppState,
    signed: &Signed,
    form: FormData,
    id: i64,
    which: &'static str,
) -> Result<Response, PageError> {
    let back = format!("/assessment/rounds/{id}");
    if which != "recompute" {
        if ConfirmPage::going_back(&form) {
            return Ok(
                render_round(s, signed, id, None, ValidationErrors::new(), form)
                    .await?
                    .into_response(),
            );
        }
        let (title, lines, button) = match which {
            "open" => (
                "确认下发征求意见",
                vec![
                    format!(
                        "各单位可查看本单位得分，并在{}个工作日内提出异议",
                        svc::OBJECTION_DAYS
                    ),
                    "下发后不能再重新计算或录入考核组评分".to_string(),
                ],
                "确认下发",
            ),
            "review" => (
                "确认审定考核结果",
                vec!["审定后得分不再调整，下一步为发布通报".to_string()],
                "确认审定",
            ),
            _ => (
                "确认发布考核结果",
                vec![
                    "发布后生成编号通报，排名和得分冻结，不能修改".to_string(),
                    "如需更正，须重新计算并另发更正通报".to_string(),
                ],
                "确认发布",
            ),
        };
        if let Some(ask) = ConfirmPage::unless_confirmed(
            signed,
            &form,
            &format!("{back}/{which}"),
            title,
            lines,
            button,
            &back,
        ) {
            return Ok(ask);
        }
    }
    let version = form.edited_version();
    let r = match which {
        "recompute" => svc::recompute(&s.app, &signed.ctx, id, version)
            .await
            .map(|_| "recomputed"),
        "open" => svc::open_objections(&s.app, &signed.ctx, id, version)
            .await
            .map(|_| "opened"),
        "review" => svc::review(&s.app, &signed.ctx, id, version)
            .await
            .map(|_| "reviewed"),
        _ => svc::publish(&s.app, &signed.ctx, id, version)
            .await
            .map(|_| "published"),
    };
    match r {
        Ok(done) => Ok(Redirect::to(&format!("{back}?done={done}")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render_round(s, signed, id, None, v, FormData::default()).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

/// The round's steps share one route: `recompute`, `open`, `review`, `publish`.
async fn round_step(
    State(s): State<AppState>,
    Path((id, which)): Path<(String, String)>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let which = ["recompute", "open", "review", "publish"]
        .into_iter()
        .find(|w| *w == which)
        .ok_or(PageError(ServiceError::NotFound))?;
    step(&s, &signed, form, id_of(&id)?, which).await
}

async fn decide(
    State(s): State<AppState>,
    Path(oid): Path<String>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let oid = id_of(&oid)?;
    // the objection names its round; a posted round id is never trusted
    let round_id = svc::round_of_objection(&s.app, &signed.ctx, oid).await?;
    let input = DecisionInput {
        decision: form.get("decision"),
        points: form.get("points"),
        reason: form.get("reason"),
        version: form.edited_version(),
    };
    match svc::decide(&s.app, &signed.ctx, oid, &input).await {
        Ok(round_id) => Ok(Redirect::to(&format!(
            "/assessment/rounds/{round_id}?done=decided#objections"
        ))
        .into_response()),
        Err(ServiceError::Validation(v)) => {
            let mut typed = form;
            typed.0.push(("objection".into(), oid.to_string()));
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render_round(&s, &signed, round_id, None, v, typed).await?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn result_xlsx(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let v = svc::get(&s.app, &signed.ctx, id_of(&id)?).await?;
    let bytes = svc::result_book(&v)?;
    let name = match &v.notice {
        Some(n) => format!("{}考核结果.xlsx", n.number),
        None => format!(
            "{}考核结果（{}）.xlsx",
            v.round.period.label(),
            v.round.state.label()
        ),
    };
    Ok(crate::pages::xlsx_response(&name, bytes))
}

async fn notice_docx(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let v = svc::get(&s.app, &signed.ctx, id_of(&id)?).await?;
    let notice = v.notice.ok_or(ServiceError::NotFound)?;
    let bytes = keyproj_office::docx::official(&svc::notice_docx(&notice)?)
        .map_err(|e| ServiceError::internal("writing a Word document", e))?;
    Ok(crate::pages::docx_response(
        &format!("{}.docx", notice.number),
        bytes,
    ))
}

// ----- a unit's drill-down -----

struct RecordView {
    href: Option<String>,
    label: String,
    note: String,
}

struct LineView {
    n: usize,
    group: String,
    name: String,
    measure: &'static str,
    definition: &'static str,
    rule: String,
    max: String,
    value: String,
    points: String,
    /// The rule's points when an accepted objection replaced them.
    scored: Option<String>,
    note: String,
    records: Vec<RecordView>,
    typed: bool,
    counts: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "assessment/unit.html")]
struct UnitPage {
    chrome: Chrome,
    id: i64,
    period: String,
    state: &'static str,
    state_class: &'static str,
    kind_key: &'static str,
    kind: &'static str,
    unit_id: i64,
    unit: String,
    total: String,
    rank: String,
    grade: String,
    lines: Vec<LineView>,
    objections: Vec<(String, String, &'static str, String)>,
    may_enter: bool,
    may_object: bool,
    until: String,
    flash: Option<String>,
    errors: ValidationErrors,
    typed: FormData,
}

impl UnitPage {
    fn typed_for(&self, n: &usize, name: &str) -> String {
        if self.typed.get("indicator") == n.to_string() {
            self.typed.get(name)
        } else {
            String::new()
        }
    }
    fn typed(&self, name: &str) -> String {
        self.typed.get(name)
    }
    fn error(&self, name: &str) -> Option<&str> {
        self.errors.for_field(name)
    }
    /// The entry form of line `n` was the one posted (its errors are shown there).
    fn typed_here(&self, n: &usize) -> bool {
        !self.may_object && self.typed.get("indicator") == n.to_string()
    }
    fn objection_chosen(&self, n: &usize) -> bool {
        self.typed.get("indicator") == n.to_string()
    }
}

fn href_of(r: &keyproj_domain::assessment::scoring::RecordRef) -> Option<String> {
    Some(match r.kind {
        RecordKind::Project => format!("/projects/{}", r.id),
        RecordKind::Report => format!("/reports/{}/{}", r.id, r.month?),
        RecordKind::Item => format!("/problems/{}", r.id),
        RecordKind::Document => format!("/documents/{}", r.id),
        RecordKind::ColourIssue => format!("/colour/issues/{}", r.id),
        RecordKind::Approval => format!("/approvals/{}", r.id),
        RecordKind::Entry => return None,
    })
}

/// Which drill-down: a round, a unit, and the kind it is assessed under (empty: its first).
struct UnitAt<'a> {
    round: i64,
    unit: i64,
    kind: &'a str,
}

async fn render_unit(
    s: &AppState,
    signed: &Signed,
    at: UnitAt<'_>,
    flash: Option<String>,
    errors: ValidationErrors,
    typed: FormData,
) -> Result<UnitPage, PageError> {
    let UnitAt {
        round: id,
        unit: unit_id,
        kind,
    } = at;
    let v = svc::get(&s.app, &signed.ctx, id).await?;
    let k = v
        .kinds
        .iter()
        .filter(|k| kind.is_empty() || k.table.kind.key() == kind)
        .find(|k| k.scores.iter().any(|x| x.unit_id == unit_id))
        .ok_or(ServiceError::NotFound)?;
    let score = k
        .scores
        .iter()
        .find(|x| x.unit_id == unit_id)
        .ok_or(ServiceError::NotFound)?;
    let ranked = k.ranked.iter().find(|r| r.unit_id == unit_id);
    let own = matches!(v.reader, Reader::Unit(u) if u == unit_id);
    Ok(UnitPage {
        chrome: Chrome::new(signed, "assessment"),
        id,
        period: v.round.period.label(),
        state: v.round.state.label(),
        state_class: state_class(v.round.state),
        kind_key: k.table.kind.key(),
        kind: k.table.kind.label(),
        unit_id,
        unit: score.unit_name.clone(),
        total: points_text(score.total),
        rank: ranked.map(|r| r.rank.to_string()).unwrap_or_default(),
        grade: ranked.map(|r| r.grade.clone()).unwrap_or_default(),
        lines: k
            .table
            .indicators
            .iter()
            .zip(&score.lines)
            .enumerate()
            .map(|(n, (i, l))| LineView {
                n,
                group: i.group.clone(),
                name: i.name.clone(),
                measure: i.measure.label(),
                definition: i.measure.definition(),
                rule: i.rule.describe(),
                max: max_text(i),
                value: l.value.text(i.measure),
                points: points_text(l.points()),
                scored: l.adjusted.map(|_| points_text(l.scored)),
                note: l.note.clone(),
                records: l
                    .records
                    .iter()
                    .map(|r| RecordView {
                        href: href_of(r),
                        label: r.label.clone(),
                        note: r.note.clone(),
                    })
                    .collect(),
                typed: i.measure.typed(),
                counts: i.measure != keyproj_domain::assessment::Measure::Manual,
            })
            .collect(),
        objections: v
            .objections
            .iter()
            .filter(|o| o.unit_id == unit_id && o.kind == k.table.kind)
            .map(|o| {
                let name = k
                    .table
                    .indicators
                    .get(o.indicator_no)
                    .map(|i| i.name.clone())
                    .unwrap_or_default();
                let decision = match (o.state, o.points) {
                    (ObjectionState::Accepted, Some(p)) => {
                        format!("{}（调整为{}分）", o.decision, points_text(p))
                    }
                    _ => o.decision.clone(),
                };
                (name, o.reason.clone(), o.state.label(), decision)
            })
            .collect(),
        may_enter: is_staff(signed) && v.round.state == RoundState::Draft,
        may_object: own && v.may_object,
        until: v
            .round
            .objection_until
            .map(keyproj_domain::month::chinese_date)
            .unwrap_or_default(),
        flash,
        errors,
        typed,
    })
}

async fn unit(
    State(s): State<AppState>,
    signed: Signed,
    Path((id, unit)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let flash = match q.get("done").as_str() {
        "entered" => Some("已录入，得分已重新合计".into()),
        "objected" => Some("异议已提交，等待审定".into()),
        _ => None,
    };
    Ok(render_unit(
        &s,
        &signed,
        UnitAt {
            round: id_of(&id)?,
            unit: id_of(&unit)?,
            kind: &q.get("kind"),
        },
        flash,
        ValidationErrors::new(),
        FormData::default(),
    )
    .await?
    .into_response())
}

async fn enter(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let id = id_of(&id)?;
    let unit = id_of(&form.get("unit_id"))?;
    let indicator: usize = form
        .get("indicator")
        .parse()
        .map_err(|_| PageError(ServiceError::NotFound))?;
    let input = EntryInput {
        kind: form.get("kind"),
        unit_id: unit,
        indicator,
        value: form.get("value"),
        reason: form.get("reason"),
        evidence: form.get("evidence"),
    };
    let done = svc::enter(&s.app, &signed.ctx, id, &input).await;
    unit_outcome(
        &s,
        &signed,
        UnitAt {
            round: id,
            unit,
            kind: &input.kind,
        },
        form,
        done,
        "entered",
    )
    .await
}

/// After a post on a unit's page: back to it with a flash, or the page again with the refusal
/// at its field and what was typed. The kind in the address is the parsed key, never the input.
async fn unit_outcome(
    s: &AppState,
    signed: &Signed,
    at: UnitAt<'_>,
    form: FormData,
    result: Result<(), ServiceError>,
    done: &str,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => {
            let kind = AssessedKind::from_input(at.kind)
                .map(|k| k.key())
                .unwrap_or("");
            Ok(Redirect::to(&format!(
                "/assessment/rounds/{}/units/{}?kind={kind}&done={done}",
                at.round, at.unit
            ))
            .into_response())
        }
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render_unit(s, signed, at, None, v, form).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

async fn object(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let id = id_of(&id)?;
    let unit = signed
        .ctx
        .actor
        .unit_id
        .map(|u| u.get())
        .ok_or(PageError(ServiceError::Forbidden))?;
    let input = ObjectionInput {
        kind: form.get("kind"),
        indicator: form.get("indicator").parse().unwrap_or(usize::MAX),
        reason: form.get("reason"),
    };
    let done = svc::object(&s.app, &signed.ctx, id, &input)
        .await
        .map(|_| ());
    unit_outcome(
        &s,
        &signed,
        UnitAt {
            round: id,
            unit,
            kind: &input.kind,
        },
        form,
        done,
        "objected",
    )
    .await
}

//! 满意度调查 on the pages (issue #13): staff build a questionnaire and open it for a period,
//! print numbered slips with QR codes, read the answers counted; the public answers on a phone
//! page without logging in (`/survey/{slip}`), once per slip.

use crate::AppState;
use crate::auth::{FormData, Posted, Signed, query_pairs};
use crate::error::PageError;
use crate::pages::{ConfirmPage, id_of, is_staff};
use crate::views::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::NaiveDate;
use keyproj_domain::ValidationErrors;
use keyproj_domain::assessment::points_text;
use keyproj_domain::survey::{Question, QuestionKind, Questionnaire};
use keyproj_service::ServiceError;
use keyproj_service::survey::{self as svc, SurveyDraft, SurveyState, SurveyView};

/// A public answer is a few hundred characters; anything much larger is not one.
const ANSWER_BODY_LIMIT: usize = 32 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/self-evaluation/surveys", get(index))
        .route("/self-evaluation/surveys/new", get(new_form).post(create))
        .route("/self-evaluation/surveys/{id}", get(show))
        .route(
            "/self-evaluation/surveys/{id}/edit",
            get(edit_form).post(update),
        )
        .route(
            "/self-evaluation/surveys/{id}/slips",
            get(slips).post(hand_out),
        )
        .route(
            "/self-evaluation/surveys/{id}/close",
            axum::routing::post(close),
        )
        .route(
            "/survey/{token}",
            get(public_form)
                .post(public_answer)
                .layer(DefaultBodyLimit::max(ANSWER_BODY_LIMIT)),
        )
}

fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn pct(bp: Option<i64>) -> String {
    bp.map(|b| format!("{}%", points_text(b)))
        .unwrap_or_else(|| "—".into())
}

struct SurveyLine {
    id: i64,
    title: String,
    year: i32,
    period: String,
    state: &'static str,
    slips: i64,
    answers: u32,
    satisfaction: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "survey/index.html")]
struct IndexPage {
    chrome: Chrome,
    year: String,
    staff: bool,
    surveys: Vec<SurveyLine>,
}

async fn index(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let year = q.get("year").trim().parse::<i32>().ok();
    let surveys = svc::list(&s.app, &signed.ctx, year)
        .await?
        .into_iter()
        .map(|v| SurveyLine {
            id: v.survey.id,
            title: v.survey.questionnaire.title.clone(),
            year: v.survey.year,
            period: format!(
                "{} 至 {}",
                date_text(v.survey.opens_on),
                date_text(v.survey.closes_on)
            ),
            state: v.state.label(),
            slips: v.survey.slips,
            answers: v.tally.answers,
            satisfaction: pct(v.tally.satisfaction_bp()),
        })
        .collect();
    Ok(IndexPage {
        chrome: Chrome::new(&signed, "self_evaluation"),
        year: year.map(|y| y.to_string()).unwrap_or_default(),
        staff: is_staff(&signed),
        surveys,
    }
    .into_response())
}

// ----- building a questionnaire -----

struct QuestionRow {
    text: String,
    kind: String,
    options: String,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "survey/form.html")]
struct FormPage {
    chrome: Chrome,
    /// None: a new survey.
    id: Option<i64>,
    version: String,
    answered: i64,
    year: String,
    title: String,
    intro: String,
    opens_on: String,
    closes_on: String,
    questions: Vec<QuestionRow>,
    kinds: Vec<(&'static str, &'static str)>,
    errors: ValidationErrors,
}

impl FormPage {
    fn err(&self, name: &str) -> Option<&str> {
        self.errors.for_field(name)
    }
}

fn form_page(
    signed: &Signed,
    id: Option<i64>,
    answered: i64,
    form: &FormData,
    errors: ValidationErrors,
) -> FormPage {
    let texts = form.all("q_text");
    let kinds = form.all("q_kind");
    let options = form.all("q_options");
    let mut questions: Vec<QuestionRow> = (0..texts.len().max(kinds.len()).min(40))
        .map(|i| QuestionRow {
            text: texts.get(i).cloned().unwrap_or_default(),
            kind: kinds.get(i).cloned().unwrap_or_default(),
            options: options.get(i).cloned().unwrap_or_default(),
            error: None,
        })
        .collect();
    if form.get("action") == "add_question" || questions.is_empty() {
        questions.push(QuestionRow {
            text: String::new(),
            kind: "scale".into(),
            options: String::new(),
            error: None,
        });
    }
    for (i, q) in questions.iter_mut().enumerate() {
        let n = i + 1;
        q.error = [format!("q{n}.text"), format!("q{n}.options")]
            .iter()
            .find_map(|f| errors.for_field(f))
            .map(String::from);
    }
    FormPage {
        chrome: Chrome::new(signed, "self_evaluation"),
        id,
        version: form.get("version"),
        answered,
        year: form.get("year"),
        title: form.get("title"),
        intro: form.get("intro"),
        opens_on: form.get("opens_on"),
        closes_on: form.get("closes_on"),
        questions,
        kinds: QuestionKind::ALL
            .iter()
            .map(|k| (k.key(), k.label()))
            .collect(),
        errors,
    }
}

/// The questionnaire as form fields (options one per line).
fn fields_of(q: &Questionnaire, year: i32, opens: NaiveDate, closes: NaiveDate) -> FormData {
    let mut f = vec![
        ("year".to_string(), year.to_string()),
        ("title".to_string(), q.title.clone()),
        ("intro".to_string(), q.intro.clone()),
        ("opens_on".to_string(), date_text(opens)),
        ("closes_on".to_string(), date_text(closes)),
    ];
    for x in &q.questions {
        f.push(("q_text".into(), x.text.clone()));
        f.push(("q_kind".into(), x.kind.key().into()));
        f.push(("q_options".into(), x.options.join("\n")));
    }
    FormData(f)
}

/// The form as a survey, each problem at its field.
fn draft_of(form: &FormData) -> Result<SurveyDraft, ValidationErrors> {
    let mut e = ValidationErrors::new();
    let year = form.get("year").trim().parse::<i32>().unwrap_or_else(|_| {
        e.add("year", "invalid_year", "请填写调查年度（如2022）");
        0
    });
    let date = |e: &mut ValidationErrors, k: &str, label: &str| {
        let d = keyproj_domain::problem::draft::strict_date(form.get(k).trim());
        if d.is_none() {
            e.add(k, "date", format!("请填写{label}（年-月-日）"));
        }
        d
    };
    let opens = date(&mut e, "opens_on", "开始日期");
    let closes = date(&mut e, "closes_on", "结束日期");
    let texts = form.all("q_text");
    let kinds = form.all("q_kind");
    let options = form.all("q_options");
    let mut questions = vec![];
    for (i, text) in texts
        .iter()
        .enumerate()
        .take(keyproj_domain::survey::MAX_QUESTIONS + 1)
    {
        let text = text.trim().to_string();
        let opts: Vec<String> = options
            .get(i)
            .map(|o| {
                o.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        if text.is_empty() && opts.is_empty() {
            continue;
        }
        let n = questions.len() + 1;
        let Some(kind) = kinds.get(i).and_then(|k| QuestionKind::parse(k)) else {
            e.add(&format!("q{n}.text"), "kind", format!("第{n}题请选择题型"));
            continue;
        };
        questions.push(Question {
            text,
            kind,
            options: opts,
        });
    }
    let q = Questionnaire {
        title: form.get("title").trim().to_string(),
        intro: form.get("intro").trim().to_string(),
        questions,
    };
    if let Err(v) = q.check() {
        v.0.into_iter().for_each(|f| e.push(f));
    }
    match (opens, closes) {
        (Some(opens_on), Some(closes_on)) if e.is_empty() => Ok(SurveyDraft {
            year,
            questionnaire: q,
            opens_on,
            closes_on,
        }),
        _ => Err(e.refused()),
    }
}

async fn new_form(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    crate::pages::staff_only(&signed)?;
    let today = s.app.local_today();
    let unit = match signed.info.user.unit_name.trim() {
        "" => "本中心",
        u => u,
    };
    let form = fields_of(
        &Questionnaire::reference(unit),
        query_pairs(raw.as_deref())
            .get("year")
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .unwrap_or_else(|| keyproj_service::evaluation::default_year(&s.app)),
        today,
        today + chrono::Duration::days(30),
    );
    Ok(form_page(&signed, None, 0, &form, ValidationErrors::new()).into_response())
}

async fn create(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    crate::pages::staff_only(&signed)?;
    if form.get("action") == "add_question" {
        return Ok(form_page(&signed, None, 0, &form, ValidationErrors::new()).into_response());
    }
    let again = |e: ValidationErrors| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(&signed, None, 0, &form, e),
        )
            .into_response()
    };
    let draft = match draft_of(&form) {
        Ok(d) => d,
        Err(e) => return Ok(again(e)),
    };
    match svc::create(&s.app, &signed.ctx, &draft).await {
        Ok(id) => Ok(
            Redirect::to(&format!("/self-evaluation/surveys/{id}?done=created")).into_response(),
        ),
        Err(ServiceError::Validation(e)) => Ok(again(e)),
        Err(e) => Err(e.into()),
    }
}

async fn edit_form(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let v = svc::get(&s.app, &signed.ctx, id_of(&id)?).await?;
    crate::pages::staff_only(&signed)?;
    if v.state == SurveyState::Ended {
        return Ok(
            Redirect::to(&format!("/self-evaluation/surveys/{}", v.survey.id)).into_response(),
        );
    }
    let sv = &v.survey;
    let mut form = fields_of(&sv.questionnaire, sv.year, sv.opens_on, sv.closes_on);
    form.0.push(("version".into(), sv.version.to_string()));
    Ok(form_page(
        &signed,
        Some(sv.id),
        sv.answers,
        &form,
        ValidationErrors::new(),
    )
    .into_response())
}

async fn update(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let id = id_of(&id)?;
    let v = svc::get(&s.app, &signed.ctx, id).await?;
    crate::pages::staff_only(&signed)?;
    let answered = v.survey.answers;
    if form.get("action") == "add_question" {
        return Ok(
            form_page(&signed, Some(id), answered, &form, ValidationErrors::new()).into_response(),
        );
    }
    let again = |e: ValidationErrors, status: StatusCode| {
        (status, form_page(&signed, Some(id), answered, &form, e)).into_response()
    };
    let draft = match draft_of(&form) {
        Ok(d) => d,
        Err(e) => return Ok(again(e, StatusCode::UNPROCESSABLE_ENTITY)),
    };
    match svc::update(&s.app, &signed.ctx, id, form.edited_version(), &draft).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/self-evaluation/surveys/{id}?done=saved")).into_response())
        }
        Err(ServiceError::Validation(e)) => Ok(again(e, StatusCode::UNPROCESSABLE_ENTITY)),
        Err(ServiceError::Stale) => Ok(again(
            ValidationErrors::single(
                "version",
                "stale",
                "问卷已被他人修改：下方保留了您输入的内容，请刷新后重新修改",
            ),
            StatusCode::CONFLICT,
        )),
        Err(e) => Err(e.into()),
    }
}

// ----- one survey: answers counted, slips handed out -----

struct TallyLine {
    text: String,
    kind: &'static str,
    counts: Vec<(String, u32, String)>,
    texts: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "survey/show.html")]
struct ShowPage {
    chrome: Chrome,
    staff: bool,
    id: i64,
    version: i64,
    title: String,
    year: i32,
    period: String,
    state: &'static str,
    ended: bool,
    slips: i64,
    answers: u32,
    satisfaction: String,
    satisfied: u32,
    scale_replies: u32,
    lines: Vec<TallyLine>,
    done: String,
    errors: ValidationErrors,
    count: String,
}

fn show_page(
    signed: &Signed,
    v: SurveyView,
    done: String,
    errors: ValidationErrors,
    count: String,
) -> ShowPage {
    let t = &v.tally;
    let lines = t
        .questions
        .iter()
        .map(|q| {
            let total: u32 = q.counts.iter().map(|c| c.1).sum();
            TallyLine {
                text: q.text.clone(),
                kind: q.kind.label(),
                counts: q
                    .counts
                    .iter()
                    .map(|(c, n)| {
                        let share = if total > 0 {
                            format!(
                                "{}%",
                                points_text(keyproj_domain::assessment::scoring::round_div(
                                    *n as i128 * 10_000,
                                    total as i128
                                ))
                            )
                        } else {
                            "—".into()
                        };
                        (c.clone(), *n, share)
                    })
                    .collect(),
                texts: q.texts.clone(),
            }
        })
        .collect();
    ShowPage {
        chrome: Chrome::new(signed, "self_evaluation"),
        staff: is_staff(signed),
        id: v.survey.id,
        version: v.survey.version,
        title: v.survey.questionnaire.title.clone(),
        year: v.survey.year,
        period: format!(
            "{} 至 {}",
            date_text(v.survey.opens_on),
            date_text(v.survey.closes_on)
        ),
        state: v.state.label(),
        ended: v.state == SurveyState::Ended,
        slips: v.survey.slips,
        answers: t.answers,
        satisfaction: pct(t.satisfaction_bp()),
        satisfied: t.satisfied,
        scale_replies: t.scale_replies,
        lines,
        done,
        errors,
        count,
    }
}

async fn show(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let v = svc::get(&s.app, &signed.ctx, id_of(&id)?).await?;
    let q = query_pairs(raw.as_deref());
    let done = match q.value("done") {
        d @ ("created" | "saved" | "closed") => d.to_string(),
        _ => String::new(),
    };
    Ok(show_page(&signed, v, done, ValidationErrors::new(), "50".into()).into_response())
}

async fn hand_out(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let id = id_of(&id)?;
    crate::pages::staff_only(&signed)?;
    let count = form.get("count");
    let refuse = |e: ValidationErrors, v: SurveyView, status: StatusCode| {
        (
            status,
            show_page(&signed, v, String::new(), e, count.clone()),
        )
            .into_response()
    };
    let Ok(n) = count.trim().parse::<i64>() else {
        let v = svc::get(&s.app, &signed.ctx, id).await?;
        return Ok(refuse(
            ValidationErrors::single("count", "number", "请填写要生成的问卷张数（1至500）"),
            v,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    match svc::add_slips(&s.app, &signed.ctx, id, form.edited_version(), n).await {
        Ok(from) => Ok(Redirect::to(&format!(
            "/self-evaluation/surveys/{id}/slips?from={from}&count={n}"
        ))
        .into_response()),
        Err(ServiceError::Validation(e)) => {
            let v = svc::get(&s.app, &signed.ctx, id).await?;
            Ok(refuse(e, v, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(ServiceError::Stale) => {
            let v = svc::get(&s.app, &signed.ctx, id).await?;
            Ok(refuse(
                ValidationErrors::single(
                    "count",
                    "stale",
                    "问卷刚被他人修改或发放，请确认张数后再生成",
                ),
                v,
                StatusCode::CONFLICT,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

async fn close(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let id = id_of(&id)?;
    let v = svc::get(&s.app, &signed.ctx, id).await?;
    crate::pages::staff_only(&signed)?;
    if ConfirmPage::going_back(&form) || v.state == SurveyState::Ended {
        return Ok(Redirect::to(&format!("/self-evaluation/surveys/{id}")).into_response());
    }
    if let Some(ask) = ConfirmPage::unless_confirmed(
        &signed,
        &form,
        &format!("/self-evaluation/surveys/{id}/close"),
        "提前结束调查",
        vec![
            format!("问卷：{}", v.survey.questionnaire.title),
            format!(
                "已收到{}份答卷；结束后，未填写的问卷不能再提交。",
                v.tally.answers
            ),
        ],
        "确认结束调查",
        &format!("/self-evaluation/surveys/{id}"),
    ) {
        return Ok(ask);
    }
    svc::close(&s.app, &signed.ctx, id, form.edited_version()).await?;
    Ok(Redirect::to(&format!("/self-evaluation/surveys/{id}?done=closed")).into_response())
}

// ----- the printed slips -----

struct SlipCard {
    serial: i64,
    link: String,
    qr: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "survey/slips.html")]
struct SlipsPage {
    chrome: Chrome,
    id: i64,
    title: String,
    intro: String,
    from: i64,
    to: i64,
    slips: i64,
    /// Slips per sheet, and where the batch before this one starts.
    batch: i64,
    prev_from: i64,
    cards: Vec<SlipCard>,
}

/// The address people reach this server at, from the request (staff print from the address
/// they use); anything that is not a plain host name falls back to localhost.
fn site_of(headers: &HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        == Some("https");
    format!("{}://{host}", if https { "https" } else { "http" })
}

async fn slips(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let id = id_of(&id)?;
    // readers do not find slips: a slip is a ballot
    svc::get(&s.app, &signed.ctx, id).await?;
    crate::pages::staff_only(&signed)?;
    let q = query_pairs(raw.as_deref());
    let from = q.get("from").trim().parse::<i64>().unwrap_or(1);
    let count = q
        .get("count")
        .trim()
        .parse::<i64>()
        .unwrap_or(50)
        .clamp(1, keyproj_service::survey::MAX_SLIPS_AT_ONCE);
    let (survey, tokens) = svc::slips(&s.app, &signed.ctx, id, from, count).await?;
    let site = s
        .app
        .cfg
        .public_url
        .clone()
        .unwrap_or_else(|| site_of(&headers));
    let cards: Vec<SlipCard> = tokens
        .into_iter()
        .map(|(serial, token)| {
            let link = format!("{site}/survey/{token}");
            SlipCard {
                serial,
                qr: keyproj_office::qr::qr_svg(&link).unwrap_or_default(),
                link,
            }
        })
        .collect();
    Ok(SlipsPage {
        chrome: Chrome::new(&signed, "self_evaluation"),
        id,
        title: survey.questionnaire.title.clone(),
        intro: survey.questionnaire.intro.clone(),
        from: cards.first().map(|c| c.serial).unwrap_or(0),
        to: cards.last().map(|c| c.serial).unwrap_or(0),
        slips: survey.slips,
        batch: count,
        prev_from: (from - count).max(1),
        cards,
    }
    .into_response())
}

// ----- the public page -----

struct PublicQuestion {
    n: usize,
    text: String,
    multiple: bool,
    text_answer: bool,
    /// (value, label, chosen)
    choices: Vec<(usize, String, bool)>,
    typed: String,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "survey/public.html")]
struct PublicPage {
    title: String,
    intro: String,
    /// "open", "answered", "done", "not_open", "ended", "invalid"
    state: &'static str,
    opens_on: String,
    message: String,
    questions: Vec<PublicQuestion>,
    errors: ValidationErrors,
    max_text: usize,
}

fn public_page(
    slip: keyproj_service::survey::Slip,
    form: &FormData,
    errors: ValidationErrors,
    done: bool,
) -> PublicPage {
    let state = match (slip.state, slip.answered, done) {
        (_, true, true) => "done",
        (_, true, false) => "answered",
        (SurveyState::Ended, _, _) => "ended",
        (SurveyState::NotYetOpen, _, _) => "not_open",
        (SurveyState::Open, false, _) => "open",
    };
    let q = &slip.questionnaire;
    let questions = q
        .questions
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let name = format!("q{}", i + 1);
            let chosen = form.all(&name);
            PublicQuestion {
                n: i + 1,
                text: x.text.clone(),
                multiple: x.kind == QuestionKind::Multiple,
                text_answer: x.kind == QuestionKind::Text,
                choices: x
                    .choices()
                    .into_iter()
                    .enumerate()
                    .map(|(j, c)| (j + 1, c, chosen.contains(&(j + 1).to_string())))
                    .collect(),
                typed: if x.kind == QuestionKind::Text {
                    form.get(&name)
                } else {
                    String::new()
                },
                error: errors.for_field(&name).map(String::from),
            }
        })
        .collect();
    PublicPage {
        opens_on: slip.opens_on.format("%Y年%-m月%-d日").to_string(),
        title: q.title.clone(),
        intro: q.intro.clone(),
        state,
        message: errors
            .for_field("survey")
            .map(String::from)
            .unwrap_or_default(),
        questions,
        errors,
        max_text: keyproj_domain::survey::MAX_TEXT_CHARS,
    }
}

/// The public's own answer for a link that is not a slip (no staff page, no login link).
fn public_message(status: StatusCode, message: &str) -> Response {
    (
        status,
        PublicPage {
            title: "问卷调查".into(),
            intro: String::new(),
            state: "invalid",
            opens_on: String::new(),
            message: message.into(),
            questions: vec![],
            errors: ValidationErrors::new(),
            max_text: keyproj_domain::survey::MAX_TEXT_CHARS,
        },
    )
        .into_response()
}

const NOT_A_SLIP: &str = "问卷链接无效：请核对问卷上的二维码或链接，重新扫码后再填写。";

async fn public_form(
    State(s): State<AppState>,
    Path(token): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let slip = match svc::slip(&s.app, &token).await {
        Ok(slip) => slip,
        Err(ServiceError::NotFound) => {
            return Ok(public_message(StatusCode::NOT_FOUND, NOT_A_SLIP));
        }
        Err(e) => return Err(e.into()),
    };
    let done = query_pairs(raw.as_deref()).get("done") == "1";
    Ok(public_page(slip, &FormData::default(), ValidationErrors::new(), done).into_response())
}

async fn public_answer(
    State(s): State<AppState>,
    Path(token): Path<String>,
    req: Request,
) -> Result<Response, PageError> {
    // a declared size over the limit is refused before anything is read
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > ANSWER_BODY_LIMIT) {
        return Ok(public_message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "提交的内容过长，请删减意见建议后重新提交。",
        ));
    }
    let form = match FormData::from_request(req, &s).await {
        Ok(f) => f,
        Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Ok(public_message(
                StatusCode::PAYLOAD_TOO_LARGE,
                "提交的内容过长，请删减意见建议后重新提交。",
            ));
        }
        Err(_) => {
            return Ok(public_message(
                StatusCode::BAD_REQUEST,
                "提交的内容无法读取，请返回问卷重新填写。",
            ));
        }
    };
    match svc::answer(&s.app, &token, |k| form.all(k)).await {
        Ok(()) => Ok(Redirect::to(&format!("/survey/{token}?done=1")).into_response()),
        Err(ServiceError::NotFound) => Ok(public_message(StatusCode::NOT_FOUND, NOT_A_SLIP)),
        Err(ServiceError::Validation(e)) => {
            let slip = svc::slip(&s.app, &token).await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                public_page(slip, &form, e, false),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

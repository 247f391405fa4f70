//! 自评报告 on the pages (issue #13): the seven chapters composed from the year's records, the
//! words only people can write (目标, further work, 问题, 建议 — the last two suggested from
//! the leaves that lost points), issued with a confirmation, numbered and frozen; .docx and
//! print.

use super::year_in;
use crate::AppState;
use crate::auth::{FormData, Posted, Signed, query_pairs};
use crate::error::PageError;
use crate::pages::{ConfirmPage, docx_response, is_staff};
use crate::views::Chrome;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use keyproj_domain::ValidationErrors;
use keyproj_domain::evaluation::report::{Block, ReportDoc, ReportTexts};
use keyproj_service::ServiceError;
use keyproj_service::evaluation::{self as svc, YearReport};

#[derive(Template, WebTemplate)]
#[template(path = "evaluation/report.html")]
struct ReportPage {
    chrome: Chrome,
    year: i32,
    staff: bool,
    /// None: no ledger yet (the message says so).
    missing: Option<String>,
    doc: Option<ReportDoc>,
    issued: Option<(String, String, String)>,
    version: String,
    typed: FormData,
    suggested_problems: String,
    suggested_measures: String,
    errors: ValidationErrors,
    done: String,
    date: String,
}

impl ReportPage {
    fn v(&self, name: &str) -> String {
        self.typed.get(name)
    }
    fn err(&self, name: &str) -> Option<&str> {
        self.errors.for_field(name)
    }
    fn blocks(&self) -> Vec<(&'static str, String)> {
        self.doc
            .as_ref()
            .map(|d| {
                d.blocks
                    .iter()
                    .map(|b| match b {
                        Block::Chapter(t) => ("chapter", t.clone()),
                        Block::Section(t) => ("section", t.clone()),
                        Block::Para(t) => ("para", t.clone()),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn typed_of(t: &ReportTexts) -> FormData {
    FormData(vec![
        ("goals".into(), t.goals.clone()),
        ("work".into(), t.work.clone()),
        ("basis".into(), t.basis.clone()),
        ("problems".into(), t.problems.clone()),
        ("suggestions".into(), t.suggestions.clone()),
    ])
}

fn texts_of(f: &FormData) -> ReportTexts {
    let t = |k: &str| f.get(k).replace("\r\n", "\n").trim().to_string();
    ReportTexts {
        goals: t("goals"),
        work: t("work"),
        basis: t("basis"),
        problems: t("problems"),
        suggestions: t("suggestions"),
    }
}

async fn page(
    s: &AppState,
    signed: &Signed,
    year: i32,
    typed: Option<FormData>,
    errors: ValidationErrors,
    done: String,
) -> Result<ReportPage, PageError> {
    let mut p = ReportPage {
        chrome: Chrome::new(signed, "self_evaluation"),
        year,
        staff: is_staff(signed),
        missing: None,
        doc: None,
        issued: None,
        version: String::new(),
        typed: typed.clone().unwrap_or_default(),
        suggested_problems: String::new(),
        suggested_measures: String::new(),
        errors,
        done,
        date: s.app.local_today().format("%Y年%-m月%-d日").to_string(),
    };
    let r: YearReport = match svc::report(&s.app, &signed.ctx, year).await {
        Ok(r) => r,
        Err(ServiceError::Validation(v)) => {
            p.missing = Some(v.to_string());
            return Ok(p);
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(i) = &r.issued {
        let people = keyproj_service::account::People::of(&s.app, [i.issued_by.clone()]).await?;
        p.issued = Some((
            i.number.clone(),
            i.issued_on.clone(),
            people.name(&i.issued_by).to_string(),
        ));
        if let Ok(d) = chrono::NaiveDate::parse_from_str(&i.issued_on, "%Y-%m-%d") {
            p.date = d.format("%Y年%-m月%-d日").to_string();
        }
    }
    p.version = r.texts_version.map(|v| v.to_string()).unwrap_or_default();
    if typed.is_none() {
        p.typed = typed_of(&r.texts);
    }
    p.suggested_problems = r.suggested_problems.join("\n");
    p.suggested_measures = r.suggested_measures.join("\n");
    p.doc = Some(r.doc);
    Ok(p)
}

pub(super) async fn show(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let year = year_in(&s, &q)?;
    let done = match q.value("done") {
        d @ ("saved" | "issued") => d.to_string(),
        _ => String::new(),
    };
    Ok(page(&s, &signed, year, None, ValidationErrors::new(), done)
        .await?
        .into_response())
}

pub(super) async fn save(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    crate::pages::staff_only(&signed)?;
    let year = year_in(&s, &form)?;
    let texts = texts_of(&form);
    match svc::save_texts(&s.app, &signed.ctx, year, &texts, form.version()).await {
        Ok(()) => Ok(
            Redirect::to(&format!("/self-evaluation/report?year={year}&done=saved"))
                .into_response(),
        ),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page(&s, &signed, year, Some(form.clone()), v, String::new()).await?,
        )
            .into_response()),
        Err(ServiceError::Stale) => Ok((
            StatusCode::CONFLICT,
            page(
                &s,
                &signed,
                year,
                Some(form.clone()),
                ValidationErrors::single(
                    "version",
                    "stale",
                    "报告内容已被他人修改：下方保留了您输入的内容，请复制后刷新页面再修改",
                ),
                String::new(),
            )
            .await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn issue(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    crate::pages::staff_only(&signed)?;
    let year = year_in(&s, &form)?;
    let back = format!("/self-evaluation/report?year={year}");
    if ConfirmPage::going_back(&form) {
        return Ok(Redirect::to(&back).into_response());
    }
    let r = svc::report(&s.app, &signed.ctx, year).await?;
    let refuse = |e: ValidationErrors, typed: Option<FormData>| async {
        Ok::<Response, PageError>(
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                page(&s, &signed, year, typed, e, String::new()).await?,
            )
                .into_response(),
        )
    };
    // pressed from the texts form: what is typed must be what is saved, or it would be lost
    if r.issued.is_none() && form.0.iter().any(|(k, _)| k == "goals") && texts_of(&form) != r.texts
    {
        return refuse(
            ValidationErrors::single(
                "version",
                "unsaved",
                "报告内容有改动尚未保存：请先点“保存”，再印发",
            ),
            Some(form.clone()),
        )
        .await;
    }
    // what a report cannot go without is said before asking, not after
    if r.issued.is_none()
        && let Err(v) = r.texts.ready()
    {
        return refuse(v, None).await;
    }
    if let Some(ask) = ConfirmPage::unless_confirmed(
        &signed,
        &form,
        "/self-evaluation/report/issue",
        &format!("印发{year}年度部门整体支出绩效自评报告"),
        vec![
            format!("总绩效{}分，等次“{}”。", r.doc.total, r.doc.grade),
            "印发后报告编号、内容和数字全部冻结，不能再修改。".into(),
        ],
        "确认印发",
        &back,
    ) {
        return Ok(ask);
    }
    match svc::issue(&s.app, &signed.ctx, year, form.version()).await {
        Ok(_) => Ok(Redirect::to(&format!("{back}&done=issued")).into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page(&s, &signed, year, None, v, String::new()).await?,
        )
            .into_response()),
        Err(ServiceError::Stale) => Ok((
            StatusCode::CONFLICT,
            page(
                &s,
                &signed,
                year,
                None,
                ValidationErrors::single(
                    "version",
                    "stale",
                    "报告内容在您查看后被修改过，请核对下方内容后再印发",
                ),
                String::new(),
            )
            .await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn docx(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let (name, bytes) = svc::report_docx(&s.app, &signed.ctx, year_in(&s, &q)?).await?;
    Ok(docx_response(&name, bytes))
}

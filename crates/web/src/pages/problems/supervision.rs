//! 督办设置: the year's supervision rules and holiday calendar, the webhook's delivery log, and
//! an on-demand run (after confirmation).

use crate::AppState;
use crate::auth::{FormData, Posted, Signed, query_pairs};
use crate::error::PageError;
use crate::pages::dispatch::year_of;
use crate::pages::{ConfirmPage, allowed};
use crate::views::{self, Chrome};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use keyproj_domain::ValidationErrors;
use keyproj_domain::authz::Action;
use keyproj_domain::problem::{DayCount, HolidayKind, SupervisionRules};
use keyproj_service::problems::supervision as svc;
use keyproj_service::{ServiceError, notifications};

/// One attempt of the webhook.
pub(super) struct DeliveryLine {
    at: String,
    message: String,
    status: String,
    result: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "problems/settings.html")]
pub(super) struct SettingsPage {
    chrome: Chrome,
    year: i32,
    rules: SupervisionRules,
    version: i64,
    working: bool,
    days: String,
    stored: bool,
    errors: ValidationErrors,
    flash: Option<String>,
    deliveries: Vec<DeliveryLine>,
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
    typed: FormData,
) -> Result<SettingsPage, PageError> {
    if !allowed(signed, Action::ManageProblems) {
        return Err(ServiceError::Forbidden.into());
    }
    let r = svc::rules(&s.app, &signed.ctx, year).await?;
    let cal = svc::holidays(&s.app, &signed.ctx, year).await?;
    let log = notifications::deliveries(&s.app, &signed.ctx).await?;
    Ok(SettingsPage {
        chrome: Chrome::new(signed, "problem_settings"),
        year,
        working: r.rules.day_count == DayCount::Working,
        rules: r.rules,
        version: r.version,
        days: cal
            .days
            .iter()
            .map(|d| match d.kind {
                HolidayKind::Workday => format!("{} 上班", d.day),
                HolidayKind::Holiday => format!("{} {}", d.day, d.name),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        stored: cal.stored,
        errors,
        flash,
        deliveries: log
            .attempts
            .iter()
            .map(|a| DeliveryLine {
                at: views::local_time(&a.at),
                message: a.outbox_id.to_string(),
                status: a
                    .status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "—".into()),
                result: if a.error.is_empty() {
                    "已送达".into()
                } else {
                    a.error.clone()
                },
            })
            .collect(),
        webhook: s.app.cfg.webhook.is_some(),
        typed,
    })
}

pub(super) async fn page(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(raw.as_deref());
    let year = year_of(&q, &s)?;
    Ok(settings_page(
        &s,
        &signed,
        year,
        ValidationErrors::new(),
        None,
        FormData::default(),
    )
    .await?
    .into_response())
}

fn rules_of(form: &FormData) -> SupervisionRules {
    let num = |k: &str| form.get(k).trim().parse::<u32>().unwrap_or(u32::MAX);
    SupervisionRules {
        day_count: DayCount::from_input(&form.get("day_count")).unwrap_or(DayCount::Working),
        default_limit_days: num("default_limit_days"),
        remind_days_before: num("remind_days_before"),
        yellow_reply_days: num("yellow_reply_days"),
        assign_prefix: form.get("assign_prefix").trim().to_string(),
        letter_prefix: form.get("letter_prefix").trim().to_string(),
        minutes_prefix: form.get("minutes_prefix").trim().to_string(),
    }
}

pub(super) async fn save(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let year = year_of(&form, &s)?;
    let result = match form.value("what") {
        "rules" => svc::save_rules(
            &s.app,
            &signed.ctx,
            year,
            &rules_of(&form),
            form.edited_version(),
        )
        .await
        .map(|_| "督办规则已保存".to_string()),
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
            svc::run_now(&s.app, &signed.ctx).await.map(|r| {
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
        Ok(msg) => Ok(settings_page(
            &s,
            &signed,
            year,
            ValidationErrors::new(),
            Some(msg),
            FormData::default(),
        )
        .await?
        .into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            settings_page(&s, &signed, year, v, None, form).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

//! 招商签约 (issue #11): signing events and the projects signed at them; a signed project at or
//! above the inclusion threshold enters the project library at 签约 when it is recorded.

use crate::AppState;
use crate::auth::{FormData, Posted, Signed, query_pairs};
use crate::error::PageError;
use crate::pages::allowed;
use crate::views::{Choice, Chrome, choices, named_choices};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use keyproj_domain::ValidationErrors;
use keyproj_domain::authz::Action;
use keyproj_domain::ids::{ProjectId, SigningEventId, UnitId};
use keyproj_domain::org::UnitKind;
use keyproj_domain::pipeline::{EventDraft, SignedDraft, SigningLevel};
use keyproj_domain::project::Industry;
use keyproj_service::pipeline::signing::{self as svc, SignedRefs};
use keyproj_service::{ServiceError, org};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/pipeline", get(page))
        .route("/pipeline/events", axum::routing::post(create_event))
        .route("/pipeline/signed", axum::routing::post(add_signed))
        .route("/pipeline.xlsx", get(export))
        .route("/pipeline/signed/{id}", get(edit_page).post(change_agreed))
}

/// A signing event as listed.
struct EventLine {
    id: SigningEventId,
    name: String,
    held_on: String,
    level: &'static str,
    place: String,
    signed: usize,
    entered: usize,
    agreed_wan: String,
}

/// A signed project as listed.
struct SignedLine {
    id: keyproj_domain::ids::SignedId,
    name: String,
    investor: String,
    contract_no: String,
    contract_on: String,
    agreed_wan: String,
    industry: &'static str,
    event: String,
    project_id: Option<ProjectId>,
    /// 未落地: signed long ago and not started.
    not_moving: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pipeline/signing.html")]
struct SigningPage {
    chrome: Chrome,
    events: Vec<EventLine>,
    lines: Vec<SignedLine>,
    /// The event the list is filtered by ("" for all).
    event_filter: String,
    event_choices: Vec<Choice>,
    levels: Vec<Choice>,
    industries: Vec<Choice>,
    townships: Vec<Choice>,
    units: Vec<Choice>,
    leaders: Vec<Choice>,
    can_manage: bool,
    /// Which form the errors and typed values belong to: "event" or "signed".
    form: &'static str,
    typed: FormData,
    errors: ValidationErrors,
    flash: Option<String>,
    total_signed: usize,
    total_entered: usize,
    total_not_moving: usize,
    not_moving_months: u32,
}

impl SigningPage {
    fn typed(&self, form: &str, name: &str) -> String {
        if self.form == form {
            self.typed.get(name)
        } else {
            String::new()
        }
    }
    fn error(&self, form: &str, name: &str) -> Option<&str> {
        if self.form == form {
            self.errors.for_field(name)
        } else {
            None
        }
    }
}

/// The name of a signed project's event, or that it was signed on its own.
fn event_name(
    events: &[keyproj_db::repo::pipeline::signing::EventRow],
    id: Option<SigningEventId>,
) -> String {
    id.and_then(|id| events.iter().find(|e| e.id == id))
        .map(|e| e.name.clone())
        .unwrap_or_else(|| "（单独签约）".into())
}

async fn render(
    s: &AppState,
    signed: &Signed,
    event_filter: Option<SigningEventId>,
    form: &'static str,
    typed: FormData,
    errors: ValidationErrors,
    flash: Option<String>,
) -> Result<SigningPage, PageError> {
    let events = svc::events(&s.app, &signed.ctx).await?;
    let all = svc::signed(&s.app, &signed.ctx, None).await?;
    let units = org::units(&s.app, &signed.ctx).await?;
    let leaders = org::leaders(&s.app, &signed.ctx).await?;
    let event_name = |id| event_name(&events, id);
    let lines = all
        .iter()
        .filter(|r| event_filter.is_none() || r.event_id == event_filter)
        .map(|r| SignedLine {
            id: r.id,
            name: r.name.clone(),
            investor: r.investor.clone(),
            contract_no: r.contract_no.clone(),
            contract_on: keyproj_domain::month::chinese_date(r.contract_on),
            agreed_wan: r.agreed_investment.wan_grouped(),
            industry: r.industry.label(),
            event: event_name(r.event_id),
            project_id: r.project_id,
            not_moving: svc::not_moving(&s.app, r),
        })
        .collect();
    let chosen_event: Vec<SigningEventId> = typed.typed("event_id").into_iter().collect();
    Ok(SigningPage {
        chrome: Chrome::new(signed, "pipeline"),
        events: events
            .iter()
            .map(|e| {
                let of: Vec<_> = all.iter().filter(|r| r.event_id == Some(e.id)).collect();
                EventLine {
                    id: e.id,
                    name: e.name.clone(),
                    held_on: keyproj_domain::month::chinese_date(e.held_on),
                    level: e.level.label(),
                    place: e.place.clone(),
                    signed: of.len(),
                    entered: of.iter().filter(|r| r.project_id.is_some()).count(),
                    agreed_wan: of
                        .iter()
                        .map(|r| r.agreed_investment)
                        .sum::<keyproj_domain::Money>()
                        .wan_grouped(),
                }
            })
            .collect(),
        total_signed: all.len(),
        total_entered: all.iter().filter(|r| r.project_id.is_some()).count(),
        total_not_moving: all.iter().filter(|r| svc::not_moving(&s.app, r)).count(),
        not_moving_months: s.app.cfg.not_moving_months,
        lines,
        event_filter: event_filter.map(|e| e.to_string()).unwrap_or_default(),
        event_choices: named_choices(events.iter().map(|e| (e.id, e.name.clone())), &chosen_event),
        levels: choices::<SigningLevel>(&typed.get("level")),
        industries: choices::<Industry>(&typed.get("industry")),
        townships: named_choices(
            units
                .iter()
                .filter(|u| u.kind.is_place())
                .map(|u| (u.id, u.name.clone())),
            &typed
                .typed::<UnitId>("township")
                .into_iter()
                .collect::<Vec<_>>(),
        ),
        units: named_choices(
            units
                .iter()
                .filter(|u| u.kind != UnitKind::Enterprise)
                .map(|u| (u.id, u.name.clone())),
            &typed
                .typed::<UnitId>("lead_unit")
                .into_iter()
                .collect::<Vec<_>>(),
        ),
        leaders: named_choices(
            leaders.iter().map(|l| (l.id, l.name.clone())),
            &typed.typed("leader").into_iter().collect::<Vec<_>>(),
        ),
        can_manage: allowed(signed, Action::CreateProject),
        form,
        typed,
        errors,
        flash,
    })
}

async fn page(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let q = query_pairs(q.as_deref());
    let flash = match q.get("done").as_str() {
        "event" => Some("签约活动已登记".to_string()),
        "entered" => Some("签约项目已登记，并已达到调度门槛，纳入项目库（签约阶段）".to_string()),
        "pipeline" => Some("签约项目已登记；未达到调度门槛，暂不纳入项目库调度".to_string()),
        "reentered" => Some("协议投资已修改，达到调度门槛，已纳入项目库（签约阶段）".to_string()),
        "below_kept" => Some(
            "协议投资已修改，已低于调度门槛；该项目此前已纳入项目库，保留其记录，如需调出请在项目库办理"
                .to_string(),
        ),
        "changed" => Some("协议投资已修改".to_string()),
        _ => None,
    };
    let filter = q.typed::<SigningEventId>("event");
    Ok(render(
        &s,
        &signed,
        filter,
        "",
        FormData::default(),
        ValidationErrors::new(),
        flash,
    )
    .await?
    .into_response())
}

/// The signed projects as .xlsx (of one event with `?event=`); the export is recorded.
async fn export(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let filter = query_pairs(q.as_deref()).typed::<SigningEventId>("event");
    let events = svc::events(&s.app, &signed.ctx).await?;
    let rows = svc::signed(&s.app, &signed.ctx, filter).await?;
    let file = keyproj_service::exports::signed_xlsx(&s.app, &rows, |id| event_name(&events, id))?;
    keyproj_service::projects::record_export(&s.app, &signed.ctx, "signed_projects", rows.len())
        .await?;
    Ok(crate::pages::xlsx_response(&file.name, file.bytes))
}

async fn create_event(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let draft = EventDraft {
        name: form.get("name"),
        held_on: form.get("held_on"),
        place: form.get("place"),
        organiser: form.get("organiser"),
        level: form.get("level"),
    };
    match svc::create_event(&s.app, &signed.ctx, &draft).await {
        Ok(_) => Ok(Redirect::to("/pipeline?done=event").into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&s, &signed, None, "event", form, v, None).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

async fn add_signed(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let draft = SignedDraft {
        name: form.get("name"),
        investor: form.get("investor"),
        investor_origin: form.get("investor_origin"),
        contract_no: form.get("contract_no"),
        contract_on: form.get("contract_on"),
        agreed_investment_wan: form.get("agreed_investment_wan"),
        industry: form.get("industry"),
        expected_start: form.get("expected_start"),
    };
    let refs = SignedRefs {
        event_id: form.typed("event_id"),
        township_unit_id: form.typed("township"),
        leader_id: form.typed("leader"),
        lead_unit_id: form.typed("lead_unit"),
        project_code: String::new(),
    };
    match svc::add_signed(&s.app, &signed.ctx, &draft, &refs).await {
        Ok(r) => Ok(Redirect::to(if r.project_id.is_some() {
            "/pipeline?done=entered"
        } else {
            "/pipeline?done=pipeline"
        })
        .into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&s, &signed, None, "signed", form, v, None).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pipeline/signed_edit.html")]
struct EditPage {
    chrome: Chrome,
    id: keyproj_domain::ids::SignedId,
    name: String,
    contract_no: String,
    agreed_wan: String,
    industry: &'static str,
    threshold_wan: String,
    project_id: Option<ProjectId>,
    version: i64,
    typed: FormData,
    errors: ValidationErrors,
}

impl EditPage {
    fn typed(&self, name: &str) -> String {
        self.typed.get(name)
    }
    fn error(&self, name: &str) -> Option<&str> {
        self.errors.for_field(name)
    }
}

async fn edit(
    s: &AppState,
    signed: &Signed,
    id: keyproj_domain::ids::SignedId,
    typed: Option<FormData>,
    errors: ValidationErrors,
) -> Result<EditPage, PageError> {
    if !allowed(signed, Action::CreateProject) {
        // county leaders read the pipeline; changing a contract's amount is the center's
        return Err(keyproj_service::ServiceError::Forbidden.into());
    }
    let r = svc::get_signed(&s.app, &signed.ctx, id).await?;
    let threshold = org::thresholds(&s.app, &signed.ctx.actor.region)
        .await?
        .into_iter()
        .find(|t| t.class == r.industry.threshold_class())
        .map(|t| t.min.wan_grouped())
        .unwrap_or_default();
    Ok(EditPage {
        chrome: Chrome::new(signed, "pipeline"),
        id,
        name: r.name.clone(),
        contract_no: r.contract_no.clone(),
        agreed_wan: r.agreed_investment.wan_grouped(),
        industry: r.industry.label(),
        threshold_wan: threshold,
        project_id: r.project_id,
        version: r.version,
        typed: typed.unwrap_or_else(|| {
            FormData(vec![(
                "agreed_investment_wan".into(),
                r.agreed_investment.wan_2dp(),
            )])
        }),
        errors,
    })
}

async fn edit_page(
    State(s): State<AppState>,
    signed: Signed,
    crate::params::Path(id): crate::params::Path<keyproj_domain::ids::SignedId>,
) -> Result<Response, PageError> {
    Ok(edit(&s, &signed, id, None, ValidationErrors::new())
        .await?
        .into_response())
}

async fn change_agreed(
    State(s): State<AppState>,
    crate::params::Path(id): crate::params::Path<keyproj_domain::ids::SignedId>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let draft = keyproj_domain::pipeline::AgreedChangeDraft {
        agreed_investment_wan: form.get("agreed_investment_wan"),
        reason: form.get("reason"),
    };
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    match svc::change_agreed(&s.app, &signed.ctx, id, &draft, version).await {
        Ok(r) => Ok(Redirect::to(if r.entered.is_some() {
            "/pipeline?done=reentered"
        } else if r.below_but_kept {
            "/pipeline?done=below_kept"
        } else {
            "/pipeline?done=changed"
        })
        .into_response()),
        Err(ServiceError::Validation(v)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            edit(&s, &signed, id, Some(form), v).await?,
        )
            .into_response()),
        Err(ServiceError::Stale) => Ok((
            StatusCode::CONFLICT,
            edit(
                &s,
                &signed,
                id,
                Some(form),
                ValidationErrors::single(
                    "agreed_investment_wan",
                    "stale",
                    "该签约项目刚被他人修改过，请核对后重新提交",
                ),
            )
            .await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

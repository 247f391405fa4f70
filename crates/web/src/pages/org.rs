//! Units, county leaders and the inclusion threshold.

use super::{SelectField, TextField, allowed};
use crate::AppState;
use crate::auth::{FormData, Posted, Signed, query_pairs};
use crate::error::PageError;
use crate::params::Path;
use crate::views::{Choice, Chrome, choices};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use keyproj_db::repo::org::{LeaderRow, UnitRow};
use keyproj_domain::ValidationErrors;
use keyproj_domain::authz::Action;
use keyproj_domain::ids::{LeaderId, UnitId};
use keyproj_domain::org::{LeaderDraft, UnitDraft, UnitKind};
use keyproj_service::{ServiceError, org};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/org", get(org_page))
        .route("/org/units", post(org_unit_create))
        .route("/org/units/{id}", get(org_unit_edit).post(org_unit_update))
        .route("/org/leaders", post(org_leader_create))
        .route(
            "/org/leaders/{id}",
            get(org_leader_edit).post(org_leader_update),
        )
        .route("/org/thresholds", post(org_threshold))
}

/// A threshold in force, with its class.
pub(super) struct ThresholdLine {
    class: &'static str,
    label: &'static str,
    min_wan: String,
    /// The same figure as read (thousands separators).
    min_shown: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "org/list.html")]
pub(super) struct OrgPage {
    chrome: Chrome,
    units: Vec<UnitRow>,
    leaders: Vec<LeaderRow>,
    thresholds: Vec<ThresholdLine>,
    /// 单位类型 of the add-a-unit form.
    kinds: Vec<Choice>,
    can_manage: bool,
    errors: ValidationErrors,
    flash: Option<String>,
    /// What was typed into the add-a-unit and add-a-leader forms (kept after an error).
    new_unit: OrgTyped,
    new_leader: OrgTyped,
}

#[derive(Default)]
pub(super) struct OrgTyped {
    name: String,
    title: String,
    kind: String,
    contact: String,
    phone: String,
    sort_order: String,
    /// This form was the one sent: its refusal is shown beside it as well as at the top.
    sent: bool,
}

impl OrgTyped {
    fn of(form: &FormData) -> OrgTyped {
        OrgTyped {
            sent: true,
            name: form.get("name"),
            title: form.get("title"),
            kind: form.get("kind"),
            contact: form.get("contact"),
            phone: form.get("phone"),
            sort_order: form.get("sort_order"),
        }
    }
    fn blank() -> OrgTyped {
        OrgTyped {
            sort_order: "50".into(),
            ..OrgTyped::default()
        }
    }
}

impl OrgPage {
    /// The add-a-unit form was sent and `field` of it was refused: marked where it is typed.
    fn unit_bad(&self, field: &str) -> bool {
        self.new_unit.sent && self.errors.for_field(field).is_some()
    }
    fn leader_bad(&self, field: &str) -> bool {
        self.new_leader.sent && self.errors.for_field(field).is_some()
    }
}

async fn org_render(
    s: &AppState,
    signed: &Signed,
    errors: ValidationErrors,
    flash: Option<String>,
) -> Result<OrgPage, PageError> {
    org_render_typed(
        s,
        signed,
        errors,
        flash,
        OrgTyped::blank(),
        OrgTyped::blank(),
    )
    .await
}

async fn org_render_typed(
    s: &AppState,
    signed: &Signed,
    errors: ValidationErrors,
    flash: Option<String>,
    new_unit: OrgTyped,
    new_leader: OrgTyped,
) -> Result<OrgPage, PageError> {
    if !allowed(signed, Action::ViewOrg) {
        return Err(ServiceError::Forbidden.into());
    }
    let units = org::units(&s.app, &signed.ctx).await?;
    let leaders = org::leaders(&s.app, &signed.ctx).await?;
    let th = org::thresholds(&s.app, &signed.info.actor.region).await?;
    Ok(OrgPage {
        chrome: Chrome::new(signed, "org"),
        units,
        leaders,
        thresholds: th
            .iter()
            .map(|t| ThresholdLine {
                class: t.class.key(),
                label: t.class.label(),
                min_wan: t.min.wan_2dp(),
                min_shown: t.min.wan_grouped(),
            })
            .collect(),
        kinds: choices::<UnitKind>(&new_unit.kind),
        can_manage: allowed(signed, Action::ManageOrg),
        errors,
        flash,
        new_unit,
        new_leader,
    })
}

async fn org_page(
    State(s): State<AppState>,
    signed: Signed,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let flash = (query_pairs(q.as_deref()).get("saved") == "1").then(|| "已保存".to_string());
    Ok(org_render(&s, &signed, ValidationErrors::new(), flash)
        .await?
        .into_response())
}

/// Which add-form was posted, so that it comes back with what was typed.
#[derive(Clone, Copy)]
enum OrgForm {
    Unit,
    Leader,
    Threshold,
}

async fn org_result(
    s: &AppState,
    signed: &Signed,
    r: keyproj_service::Result<()>,
    which: OrgForm,
    form: &FormData,
) -> Result<Response, PageError> {
    match r {
        Ok(()) => Ok(Redirect::to("/org?saved=1").into_response()),
        Err(ServiceError::Validation(v)) => {
            let (unit, leader) = match which {
                OrgForm::Unit => (OrgTyped::of(form), OrgTyped::blank()),
                OrgForm::Leader => (OrgTyped::blank(), OrgTyped::of(form)),
                OrgForm::Threshold => (OrgTyped::blank(), OrgTyped::blank()),
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                org_render_typed(s, signed, v, None, unit, leader).await?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// 排序号: empty means 0; its range is the domain's rule (`check_sort_order`). One that is not
/// a number is refused with what `others` finds wrong in the rest of the form (checked as if
/// it were 0), so every message shows at once.
fn sort_order(
    form: &FormData,
    others: impl FnOnce(i64) -> Option<ValidationErrors>,
) -> Result<i64, ServiceError> {
    let v = form.get("sort_order");
    if v.trim().is_empty() {
        return Ok(0);
    }
    v.trim().parse::<i64>().ok().ok_or_else(|| {
        let mut e = others(0).unwrap_or_default();
        e.0.retain(|f| f.field != "sort_order");
        e.add(
            "sort_order",
            "invalid_number",
            "排序号应为0到9999之间的整数",
        );
        ServiceError::Validation(e)
    })
}

fn unit_errors(form: &FormData) -> impl FnOnce(i64) -> Option<ValidationErrors> + '_ {
    |n| unit_input(form, n).validate().err()
}

fn leader_errors(form: &FormData) -> impl FnOnce(i64) -> Option<ValidationErrors> + '_ {
    |n| leader_input(form, n).validate().err()
}

async fn org_unit_create(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let r = match sort_order(&form, unit_errors(&form)) {
        Ok(n) => org::create_unit(&s.app, &signed.ctx, &unit_input(&form, n))
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    org_result(&s, &signed, r, OrgForm::Unit, &form).await
}

fn unit_input(form: &FormData, sort_order: i64) -> UnitDraft {
    UnitDraft {
        name: form.get("name"),
        kind: form.get("kind"),
        contact: form.get("contact"),
        phone: form.get("phone"),
        sort_order,
    }
}

fn leader_input(form: &FormData, sort_order: i64) -> LeaderDraft {
    LeaderDraft {
        name: form.get("name"),
        title: form.get("title"),
        phone: form.get("phone"),
        sort_order,
    }
}

async fn org_leader_create(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let r = match sort_order(&form, leader_errors(&form)) {
        Ok(n) => org::create_leader(&s.app, &signed.ctx, &leader_input(&form, n))
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    org_result(&s, &signed, r, OrgForm::Leader, &form).await
}

async fn org_threshold(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let r = org::set_threshold(
        &s.app,
        &signed.ctx,
        &form.get("class"),
        &form.get("min_wan"),
    )
    .await
    .map(|_| ());
    org_result(&s, &signed, r, OrgForm::Threshold, &form).await
}

const STALE_UNIT: &str =
    "该单位已被他人修改：下方保留了您输入的内容，请复制需要的内容后刷新页面再修改";
const STALE_LEADER: &str =
    "该领导的信息已被他人修改：下方保留了您输入的内容，请复制需要的内容后刷新页面再修改";

#[derive(Template, WebTemplate)]
#[template(path = "org/edit.html")]
pub(super) struct OrgEditPage {
    chrome: Chrome,
    heading: String,
    action: String,
    version: i64,
    text_fields: Vec<TextField>,
    selects: Vec<SelectField>,
    errors: ValidationErrors,
}

fn text(
    errors: &ValidationErrors,
    name: &'static str,
    label: &'static str,
    value: &str,
    required: bool,
) -> TextField {
    TextField {
        name,
        label,
        value: value.to_string(),
        hint: "",
        required,
        wide: false,
        error: errors.for_field(name).map(String::from),
    }
}

/// `stored_name` is the record's name as saved (the heading's), not what was typed.
fn unit_page(
    signed: &Signed,
    stored_name: &str,
    id: UnitId,
    version: i64,
    form: &FormData,
    errors: ValidationErrors,
) -> OrgEditPage {
    let kind = form.get("kind");
    OrgEditPage {
        chrome: Chrome::new(signed, "org"),
        heading: format!("编辑单位：{stored_name}"),
        action: format!("/org/units/{id}"),
        version,
        text_fields: vec![
            text(&errors, "name", "单位名称", form.value("name"), true),
            text(&errors, "contact", "联系人", form.value("contact"), false),
            text(&errors, "phone", "联系电话", form.value("phone"), false),
            text(
                &errors,
                "sort_order",
                "排序号",
                form.value("sort_order"),
                false,
            ),
        ],
        selects: vec![SelectField {
            name: "kind",
            label: "单位类型",
            options: {
                // none chosen (a refused form sent without one): the browser would show, and
                // send back, the first kind as if it were chosen
                let mut options = choices::<UnitKind>(&kind);
                if !options.iter().any(|o| o.selected) {
                    options.insert(0, Choice::new("", "请选择", true));
                }
                options
            },
            required: true,
            multiple: false,
            disabled: false,
            error: errors.for_field("kind").map(String::from),
        }],
        errors,
    }
}

fn leader_page(
    signed: &Signed,
    stored_name: &str,
    id: LeaderId,
    version: i64,
    form: &FormData,
    errors: ValidationErrors,
) -> OrgEditPage {
    OrgEditPage {
        chrome: Chrome::new(signed, "org"),
        heading: format!("编辑县级领导：{stored_name}"),
        action: format!("/org/leaders/{id}"),
        version,
        text_fields: vec![
            text(&errors, "name", "姓名", form.value("name"), true),
            text(&errors, "title", "职务", form.value("title"), false),
            text(&errors, "phone", "联系电话", form.value("phone"), false),
            text(
                &errors,
                "sort_order",
                "排序号",
                form.value("sort_order"),
                false,
            ),
        ],
        selects: vec![],
        errors,
    }
}

async fn org_unit_edit(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<UnitId>,
) -> Result<Response, PageError> {
    if !allowed(&signed, Action::ManageOrg) {
        return Err(ServiceError::Forbidden.into());
    }
    let u = org::unit(&s.app, &signed.ctx, id).await?;
    let form = FormData(vec![
        ("name".into(), u.name.clone()),
        ("kind".into(), u.kind.key().into()),
        ("contact".into(), u.contact),
        ("phone".into(), u.phone),
        ("sort_order".into(), u.sort_order.to_string()),
    ]);
    Ok(unit_page(
        &signed,
        &u.name,
        id,
        u.version,
        &form,
        ValidationErrors::new(),
    )
    .into_response())
}

async fn org_unit_update(
    State(s): State<AppState>,
    Path(id): Path<UnitId>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let version = form.edited_version();
    let r = match sort_order(&form, unit_errors(&form)) {
        Ok(n) => org::update_unit(&s.app, &signed.ctx, id, version, &unit_input(&form, n)).await,
        Err(e) => Err(e),
    };
    let Some((status, errors)) = refusal(r, STALE_UNIT)? else {
        return Ok(Redirect::to("/org?saved=1").into_response());
    };
    let stored = org::unit(&s.app, &signed.ctx, id).await?;
    Ok((
        status,
        unit_page(&signed, &stored.name, id, version, &form, errors),
    )
        .into_response())
}

async fn org_leader_edit(
    State(s): State<AppState>,
    signed: Signed,
    Path(id): Path<LeaderId>,
) -> Result<Response, PageError> {
    if !allowed(&signed, Action::ManageOrg) {
        return Err(ServiceError::Forbidden.into());
    }
    let l = org::leader(&s.app, &signed.ctx, id).await?;
    let form = FormData(vec![
        ("name".into(), l.name.clone()),
        ("title".into(), l.title),
        ("phone".into(), l.phone),
        ("sort_order".into(), l.sort_order.to_string()),
    ]);
    Ok(leader_page(
        &signed,
        &l.name,
        id,
        l.version,
        &form,
        ValidationErrors::new(),
    )
    .into_response())
}

async fn org_leader_update(
    State(s): State<AppState>,
    Path(id): Path<LeaderId>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let version = form.edited_version();
    let r = match sort_order(&form, leader_errors(&form)) {
        Ok(n) => {
            org::update_leader(&s.app, &signed.ctx, id, version, &leader_input(&form, n)).await
        }
        Err(e) => Err(e),
    };
    let Some((status, errors)) = refusal(r, STALE_LEADER)? else {
        return Ok(Redirect::to("/org?saved=1").into_response());
    };
    let stored = org::leader(&s.app, &signed.ctx, id).await?;
    Ok((
        status,
        leader_page(&signed, &stored.name, id, version, &form, errors),
    )
        .into_response())
}

/// An edit's outcome: None when saved, else how its form comes back. Saved by someone else
/// meanwhile, what was typed comes back with `stale` and is not saved over theirs (the form
/// keeps the version it was opened at).
fn refusal(
    r: keyproj_service::Result<()>,
    stale: &'static str,
) -> Result<Option<(StatusCode, ValidationErrors)>, PageError> {
    match r {
        Ok(()) => Ok(None),
        Err(ServiceError::Validation(v)) => Ok(Some((StatusCode::UNPROCESSABLE_ENTITY, v))),
        Err(ServiceError::Stale) => Ok(Some((
            StatusCode::CONFLICT,
            ValidationErrors::single("version", "stale", stale),
        ))),
        Err(e) => Err(e.into()),
    }
}

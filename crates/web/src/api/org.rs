//! Units and county leaders over JSON.

use super::Created;
use crate::AppState;
use crate::auth::{ApiCaller, JsonBody, VersionedBody};
use crate::error::{ApiError, ApiErrorBody};
use crate::params::Path;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, put};
use axum::{Json, Router};
use keyproj_db::repo::org::{LeaderRow, UnitRow};
use keyproj_domain::ids::{LeaderId, UnitId};
use keyproj_domain::org::{LeaderDraft, UnitDraft};
use keyproj_service::org;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/units", get(units).post(create_unit))
        .route("/units/{id}", put(update_unit))
        .route("/leaders", get(leaders).post(create_leader))
        .route("/leaders/{id}", put(update_leader))
}

#[derive(OpenApi)]
#[openapi(
    paths(units, create_unit, update_unit, leaders, create_leader, update_leader),
    components(schemas(UnitIn, UnitOut, LeaderIn, LeaderOut))
)]
pub(super) struct Doc;

#[derive(Serialize, ToSchema)]
struct UnitOut {
    id: i64,
    region_code: String,
    name: String,
    kind: String,
    sort_order: i64,
    /// what an edit (PUT) sends back as `version`
    version: i64,
}

impl From<UnitRow> for UnitOut {
    fn from(u: UnitRow) -> UnitOut {
        UnitOut {
            id: u.id.into(),
            region_code: u.region_code.to_string(),
            name: u.name,
            kind: u.kind.key().into(),
            sort_order: u.sort_order,
            version: u.version,
        }
    }
}

/// Units of the caller's region.
#[utoipa::path(get, path = "/api/v1/units", responses((status = 200, body = Vec<UnitOut>)))]
async fn units(State(s): State<AppState>, c: ApiCaller) -> Result<Json<Vec<UnitOut>>, ApiError> {
    Ok(Json(
        org::units(&s.app, &c.ctx)
            .await?
            .into_iter()
            .map(UnitOut::from)
            .collect(),
    ))
}

/// A unit as submitted. `kind`: county_government | center | department | township | park | enterprise (or the Chinese label).
/// On update (PUT) a field left out keeps its stored value; `version` is required there.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct UnitIn {
    /// Required on update: the version the client read (taken by `VersionedBody`).
    version: Option<i64>,
    name: Option<String>,
    kind: Option<String>,
    /// Not given out by the API; left out on update, the stored contact stays.
    contact: Option<String>,
    /// Not given out by the API; left out on update, the stored phone stays.
    phone: Option<String>,
    sort_order: Option<i64>,
}

impl UnitIn {
    /// The draft this body makes over `stored` (a new unit: over nothing).
    fn over(self, stored: Option<UnitRow>) -> UnitDraft {
        let (name, kind, contact, phone, sort_order) = match stored {
            Some(u) => (
                u.name,
                u.kind.key().to_string(),
                u.contact,
                u.phone,
                u.sort_order,
            ),
            None => Default::default(),
        };
        UnitDraft {
            name: self.name.unwrap_or(name),
            kind: self.kind.unwrap_or(kind),
            contact: self.contact.unwrap_or(contact),
            phone: self.phone.unwrap_or(phone),
            sort_order: self.sort_order.unwrap_or(sort_order),
        }
    }
}

/// Creates a unit in the caller's region (中心工作人员).
#[utoipa::path(post, path = "/api/v1/units", request_body = UnitIn, responses((status = 201, body = Created), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn create_unit(
    State(s): State<AppState>,
    c: ApiCaller,
    JsonBody(b): JsonBody<UnitIn>,
) -> Result<Response, ApiError> {
    let id = org::create_unit(&s.app, &c.ctx, &b.over(None)).await?;
    Ok(Created::response(id))
}

/// Edits a unit; a stale `version` gets 409. A field left out keeps its value.
#[utoipa::path(put, path = "/api/v1/units/{id}", params(("id" = i64, Path)), request_body = UnitIn,
    responses((status = 200, body = UnitOut), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn update_unit(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<UnitId>,
    VersionedBody(version, b): VersionedBody<UnitIn>,
) -> Result<Json<UnitOut>, ApiError> {
    // what is left out is read first; a change made meanwhile is caught by `version` all the same
    let stored = org::unit(&s.app, &c.ctx, id).await?;
    org::update_unit(&s.app, &c.ctx, id, version, &b.over(Some(stored))).await?;
    Ok(Json(org::unit(&s.app, &c.ctx, id).await?.into()))
}

/// A county leader as submitted. On update (PUT) a field left out keeps its stored value;
/// `version` is required there.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default, deny_unknown_fields)]
struct LeaderIn {
    /// Required on update: the version the client read (taken by `VersionedBody`).
    version: Option<i64>,
    name: Option<String>,
    title: Option<String>,
    /// Not given out by the API; left out on update, the stored phone stays.
    phone: Option<String>,
    sort_order: Option<i64>,
}

impl LeaderIn {
    /// The draft this body makes over `stored` (a new leader: over nothing).
    fn over(self, stored: Option<LeaderRow>) -> LeaderDraft {
        let (name, title, phone, sort_order) = match stored {
            Some(l) => (l.name, l.title, l.phone, l.sort_order),
            None => Default::default(),
        };
        LeaderDraft {
            name: self.name.unwrap_or(name),
            title: self.title.unwrap_or(title),
            phone: self.phone.unwrap_or(phone),
            sort_order: self.sort_order.unwrap_or(sort_order),
        }
    }
}

/// Creates a county leader in the caller's region (中心工作人员).
#[utoipa::path(post, path = "/api/v1/leaders", request_body = LeaderIn, responses((status = 201, body = Created), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn create_leader(
    State(s): State<AppState>,
    c: ApiCaller,
    JsonBody(b): JsonBody<LeaderIn>,
) -> Result<Response, ApiError> {
    let id = org::create_leader(&s.app, &c.ctx, &b.over(None)).await?;
    Ok(Created::response(id))
}

/// Edits a county leader; a stale `version` gets 409. A field left out keeps its value.
#[utoipa::path(put, path = "/api/v1/leaders/{id}", params(("id" = i64, Path)), request_body = LeaderIn,
    responses((status = 200, body = LeaderOut), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn update_leader(
    State(s): State<AppState>,
    c: ApiCaller,
    Path(id): Path<LeaderId>,
    VersionedBody(version, b): VersionedBody<LeaderIn>,
) -> Result<Json<LeaderOut>, ApiError> {
    let stored = org::leader(&s.app, &c.ctx, id).await?;
    org::update_leader(&s.app, &c.ctx, id, version, &b.over(Some(stored))).await?;
    Ok(Json(org::leader(&s.app, &c.ctx, id).await?.into()))
}

#[derive(Serialize, ToSchema)]
struct LeaderOut {
    id: i64,
    name: String,
    title: String,
    sort_order: i64,
    /// what an edit (PUT) sends back as `version`
    version: i64,
}

impl From<LeaderRow> for LeaderOut {
    fn from(l: LeaderRow) -> LeaderOut {
        LeaderOut {
            id: l.id.into(),
            name: l.name,
            title: l.title,
            sort_order: l.sort_order,
            version: l.version,
        }
    }
}

/// County leaders of the caller's region (no phone numbers).
#[utoipa::path(get, path = "/api/v1/leaders", responses((status = 200, body = Vec<LeaderOut>)))]
async fn leaders(
    State(s): State<AppState>,
    c: ApiCaller,
) -> Result<Json<Vec<LeaderOut>>, ApiError> {
    Ok(Json(
        org::leaders(&s.app, &c.ctx)
            .await?
            .into_iter()
            .map(LeaderOut::from)
            .collect(),
    ))
}

//! The JSON API of the annual figures (the 年度工作总结's numbers) of the caller's region.

use super::{YearParam, year_of};
use crate::AppState;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiErrorBody};
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use keyproj_service::stats;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new().route("/stats/annual", get(annual))
}

#[derive(OpenApi)]
#[openapi(
    paths(annual),
    components(schemas(
        AnnualOut,
        PostSupportOut,
        ProblemsOut,
        MeetingsOut,
        UnderConstructionOut,
        PreliminaryOut,
        SigningOut,
        ApprovalsOut
    ))
)]
pub(super) struct Doc;

#[derive(Serialize, ToSchema)]
struct UnderConstructionOut {
    count: i64,
    annual_plan_wan: String,
    completed_wan: String,
    completion_rate_pct: Option<String>,
    completed_projects: i64,
}

#[derive(Serialize, ToSchema)]
struct PreliminaryOut {
    count: i64,
    total_investment_wan: String,
    started: i64,
}

/// The year's figures: 在建 and 前期 plan entries, approved reports only.
#[derive(Serialize, ToSchema)]
struct AnnualOut {
    year: i32,
    region_code: String,
    under_construction: UnderConstructionOut,
    preliminary: PreliminaryOut,
    post_support_count: i64,
    post_support: PostSupportOut,
    problems: ProblemsOut,
    meetings: MeetingsOut,
    briefings: BriefingsOut,
    signing: SigningOut,
    approvals: ApprovalsOut,
    /// The sentences of the report, e.g. "45个在建重点项目完成投资38.2亿元，占年投资计划98%"
    text: Vec<String>,
}

/// 后扶 plan entries and the problem-list items of those projects closed in the year.
#[derive(Serialize, ToSchema)]
struct PostSupportOut {
    count: i64,
    problems_closed: i64,
}

/// The year's problem list: items raised, assigned, closed, 办结率 and overdue now.
#[derive(Serialize, ToSchema)]
struct ProblemsOut {
    raised: i64,
    assigned: i64,
    closed: i64,
    closure_rate_pct: Option<String>,
    overdue: i64,
    /// assigned from meetings and briefings
    assigned_by_meetings: i64,
}

/// 招商签约: events held in the year, projects signed in it, of them at or above the inclusion
/// threshold, started (在建 with an actual start) and still in their preliminary work.
#[derive(Serialize, ToSchema)]
struct SigningOut {
    events: i64,
    signed: i64,
    above_threshold: i64,
    started: i64,
    preliminary: i64,
}

/// 帮代办: items received in the year and worked on, completed in the year, of those on time
/// (percent), and past their promised limit today.
#[derive(Serialize, ToSchema)]
struct ApprovalsOut {
    handled: i64,
    completed: i64,
    on_time_pct: Option<String>,
    overdue: i64,
}

#[derive(Serialize, ToSchema)]
struct MeetingsOut {
    count: i64,
}

/// 《重点项目建设简报》 issued in the year and the tasks they assigned.
#[derive(Serialize, ToSchema)]
struct BriefingsOut {
    count: i64,
    tasks_assigned: i64,
}

/// Annual statistics of the caller's region.
#[utoipa::path(get, path = "/api/v1/stats/annual", params(YearParam), responses((status = 200, body = AnnualOut), (status = 422, body = ApiErrorBody)))]
async fn annual(
    State(s): State<AppState>,
    c: ApiCaller,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let year = year_of(q.as_deref())?;
    let a = stats::annual_for(&s.app, &c.ctx, year).await?;
    Ok(Json(AnnualOut {
        year: a.year,
        region_code: a.region_code.to_string(),
        under_construction: UnderConstructionOut {
            count: a.under_construction.count,
            annual_plan_wan: a.under_construction.annual_plan_wan,
            completed_wan: a.under_construction.completed_wan,
            completion_rate_pct: a.under_construction.completion_rate_pct,
            completed_projects: a.under_construction.completed_projects,
        },
        preliminary: PreliminaryOut {
            count: a.preliminary.count,
            total_investment_wan: a.preliminary.total_investment_wan,
            started: a.preliminary.started,
        },
        post_support_count: a.post_support.count,
        post_support: PostSupportOut {
            count: a.post_support.count,
            problems_closed: a.post_support.problems_closed,
        },
        problems: ProblemsOut {
            raised: a.problems.raised,
            assigned: a.problems.assigned,
            closed: a.problems.closed,
            closure_rate_pct: a.problems.closure_rate_pct,
            overdue: a.problems.overdue,
            assigned_by_meetings: a.problems.assigned_by_meetings,
        },
        meetings: MeetingsOut {
            count: a.meetings.count,
        },
        briefings: BriefingsOut {
            count: a.briefings.count,
            tasks_assigned: a.briefings.tasks_assigned,
        },
        signing: SigningOut {
            events: a.signing.events,
            signed: a.signing.signed,
            above_threshold: a.signing.above_threshold,
            started: a.signing.started,
            preliminary: a.signing.preliminary,
        },
        approvals: ApprovalsOut {
            handled: a.approvals.handled,
            completed: a.approvals.completed,
            on_time_pct: a.approvals.on_time_pct,
            overdue: a.approvals.overdue,
        },
        text: a.text,
    })
    .into_response())
}

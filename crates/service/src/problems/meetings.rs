//! Meetings (专题调度会, 现场办公会, 周碰头, 月调度会) and patrols (日巡查): records of their own
//! whose decisions and findings become items in one step; a meeting's 会议纪要 lists every item
//! it assigned.

use super::documents::{DocContent, DocItem};
use super::items::{self, ItemRef, Origin};
use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, field_error, require};
use keyproj_db::Tx;
use keyproj_db::repo::problems::documents::{self as doc_repo, DocumentRow, NewDocument};
use keyproj_db::repo::problems::items::{self as item_repo, ItemRow};
use keyproj_db::repo::problems::meetings::{self as repo, MeetingRow, PatrolRow};
use keyproj_domain::authz::{Action, Role};
use keyproj_domain::ids::{DocumentId, MeetingId, PatrolId, ProjectId};
use keyproj_domain::month::chinese_date;
use keyproj_domain::problem::{
    AssignDraft, DocumentKind, ItemDraft, MeetingDraft, PatrolDraft, Source,
};
use serde::Serialize;

fn staff_or_leader(ctx: &Ctx) -> bool {
    ctx.actor.has(Role::CenterStaff) || ctx.actor.has(Role::CountyLeader)
}

/// Every project id must be one the actor may see: another county's is unknown.
async fn check_projects(tx: &mut Tx, ctx: &Ctx, ids: &[ProjectId]) -> Result<()> {
    for p in ids {
        crate::projects::visible(tx, ctx, *p, Action::ViewProject)
            .await
            .map_err(|e| match e {
                ServiceError::NotFound => field_error("project_ids", "unknown", "项目不存在"),
                e => e,
            })?;
    }
    Ok(())
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn create_meeting(app: &App, ctx: &Ctx, m: &MeetingDraft) -> Result<MeetingId> {
    require(ctx, Action::ManageProblems)?;
    let fields = m.validate(app.local_today())?;
    let mut w = Work::begin(app, ctx).await?;
    if let Some(l) = fields.chair_leader_id
        && crate::org::leader_in(&mut w.tx, &ctx.actor.region, l)
            .await?
            .is_none()
    {
        return Err(field_error("chair_leader_id", "unknown", "主持领导不存在"));
    }
    check_projects(&mut w.tx, ctx, &fields.project_ids).await?;
    let id = repo::insert_meeting(
        &mut w.tx,
        &ctx.actor.region,
        &fields,
        &ctx.actor.username,
        w.now,
    )
    .await?;
    w.audit(Audit::create("meeting", id).after(&fields)).await?;
    w.commit().await?;
    Ok(id)
}

/// A project a record concerns, by name.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectRef {
    pub id: ProjectId,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MeetingDetail {
    pub meeting: MeetingRow,
    pub projects: Vec<ProjectRef>,
    pub items: Vec<ItemRow>,
    pub documents: Vec<DocumentRow>,
}

impl MeetingDetail {
    pub fn minutes_issued(&self) -> bool {
        self.documents
            .iter()
            .any(|d| d.kind == DocumentKind::Minutes)
    }
}

/// A meeting of the actor's region (staff and county leaders only; others do not find it).
async fn meeting_in(tx: &mut Tx, ctx: &Ctx, id: MeetingId) -> Result<MeetingDetail> {
    require(ctx, Action::ViewProblems)?;
    if !staff_or_leader(ctx) {
        return Err(ServiceError::NotFound);
    }
    let meeting = repo::get_meeting(tx, id)
        .await?
        .filter(|m| ctx.actor.region.contains(&m.region_code))
        .ok_or(ServiceError::NotFound)?;
    let mut projects = vec![];
    for p in &meeting.project_ids {
        if let Some(r) = keyproj_db::repo::projects::get(tx, *p).await? {
            projects.push(ProjectRef {
                id: *p,
                name: r.name,
            });
        }
    }
    let mut f = items::filter_for(ctx)?;
    f.meeting_id = Some(id);
    f.limit = 500;
    let items = item_repo::list_items(tx, &f).await?.0;
    let documents = doc_repo::documents_of_meeting(tx, id).await?;
    Ok(MeetingDetail {
        meeting,
        projects,
        items,
        documents,
    })
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn meeting(app: &App, ctx: &Ctx, id: MeetingId) -> Result<MeetingDetail> {
    let mut tx = app.db.begin_read().await?;
    meeting_in(&mut tx, ctx, id).await
}

/// A page of meetings and the count of all.
#[derive(Debug, Clone, Serialize)]
pub struct MeetingPage {
    pub meetings: Vec<MeetingRow>,
    pub total: i64,
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn meetings(
    app: &App,
    ctx: &Ctx,
    year: Option<i32>,
    limit: i64,
    offset: i64,
) -> Result<MeetingPage> {
    require(ctx, Action::ViewProblems)?;
    if !staff_or_leader(ctx) {
        return Err(ServiceError::Forbidden);
    }
    let mut tx = app.db.begin_read().await?;
    let (meetings, total) =
        repo::list_meetings(&mut tx, &ctx.actor.region, year, limit, offset).await?;
    Ok(MeetingPage { meetings, total })
}

/// A meeting decision becomes an assigned item in one step.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn add_decision(
    app: &App,
    ctx: &Ctx,
    meeting_id: MeetingId,
    input: &ItemDraft,
    assign: &AssignDraft,
) -> Result<ItemRef> {
    let mut w = Work::begin(app, ctx).await?;
    let m = meeting_in(&mut w.tx, ctx, meeting_id).await?.meeting;
    let mut input = input.clone();
    input.source = m.kind.key().into();
    if input.raised_on.trim().is_empty() {
        input.raised_on = m.held_on.to_string();
    }
    let item = items::register_in(
        &mut w,
        &input,
        Some(assign),
        Origin {
            meeting_id: Some(meeting_id),
            ..Origin::default()
        },
    )
    .await?;
    w.commit().await?;
    Ok(item)
}

/// Issues the 会议纪要: the minutes and every item the meeting assigned, frozen and numbered.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn issue_minutes(app: &App, ctx: &Ctx, meeting_id: MeetingId) -> Result<DocumentId> {
    require(ctx, Action::ManageProblems)?;
    let mut w = Work::begin(app, ctx).await?;
    let d = meeting_in(&mut w.tx, ctx, meeting_id).await?;
    if d.minutes_issued() {
        return Err(field_error(
            "minutes",
            "issued",
            "该会议的纪要已印发，不能重复印发",
        ));
    }
    let m = &d.meeting;
    let kind = m.kind.label();
    let chair = m.chair_name.clone().unwrap_or_default();
    let (issuer, contact) =
        crate::problems::documents::issuer_in(&mut w.tx, &m.region_code).await?;
    let content = DocContent {
        issuer,
        contact,
        recipient: m.attending_units.clone(),
        assisting: String::new(),
        leader: chair.clone(),
        intro: format!(
            "{}，{chair}在{}主持召开{kind}，研究重点项目建设有关问题。{}",
            chinese_date(m.held_on),
            m.place,
            m.minutes
        ),
        items: d.items.iter().map(DocItem::of).collect(),
        closing: "以上事项请各责任单位按时限办结，并将办理结果反馈县重点项目建设事务中心。".into(),
    };
    use chrono::Datelike;
    let year = m.held_on.year();
    let (rules, _) = crate::rules::supervision_in(&mut w.tx, &ctx.actor.region, year).await?;
    let today = w.today();
    let (id, number) = doc_repo::insert_document(
        &mut w.tx,
        &NewDocument {
            region_code: &m.region_code,
            kind: DocumentKind::Minutes,
            year,
            prefix: &rules.minutes_prefix,
            fixed_number: None,
            item_id: None,
            meeting_id: Some(meeting_id),
            recipient_unit_id: None,
            title: &format!("{kind}会议纪要"),
            content: &content.to_json(),
            reply_by: None,
            issued_on: today,
            issued_by: &ctx.actor.username,
            for_deadline: None,
        },
        w.now,
    )
    .await?;
    w.audit(Audit::new("issue", "document").id(id).after(
        &serde_json::json!({"kind": DocumentKind::Minutes.key(), "number": number, "meeting": meeting_id}),
    ))
    .await?;
    w.commit().await?;
    Ok(id)
}

// --- patrols -----------------------------------------------------------------------------

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn create_patrol(app: &App, ctx: &Ctx, p: &PatrolDraft) -> Result<PatrolId> {
    require(ctx, Action::ManageProblems)?;
    let fields = p.validate(app.local_today())?;
    let mut w = Work::begin(app, ctx).await?;
    check_projects(&mut w.tx, ctx, &fields.project_ids).await?;
    let id = repo::insert_patrol(
        &mut w.tx,
        &ctx.actor.region,
        &fields,
        &ctx.actor.username,
        w.now,
    )
    .await?;
    w.audit(Audit::create("patrol", id).after(&fields)).await?;
    w.commit().await?;
    Ok(id)
}

/// A patrol of the actor's region (others' are not found).
pub(crate) async fn visible_patrol(tx: &mut Tx, ctx: &Ctx, id: PatrolId) -> Result<PatrolRow> {
    repo::get_patrol(tx, id)
        .await?
        .filter(|p| ctx.actor.region.contains(&p.region_code))
        .ok_or(ServiceError::NotFound)
}

/// A page of patrols and the count of all.
#[derive(Debug, Clone, Serialize)]
pub struct PatrolPage {
    pub patrols: Vec<PatrolRow>,
    pub total: i64,
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn patrols(app: &App, ctx: &Ctx, limit: i64, offset: i64) -> Result<PatrolPage> {
    require(ctx, Action::ManageProblems)?;
    let mut tx = app.db.begin_read().await?;
    let (patrols, total) = repo::list_patrols(&mut tx, &ctx.actor.region, limit, offset).await?;
    Ok(PatrolPage { patrols, total })
}

/// A patrol finding becomes an item (assigned at once when a unit is chosen).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn add_finding(
    app: &App,
    ctx: &Ctx,
    patrol_id: PatrolId,
    input: &ItemDraft,
    assign: Option<&AssignDraft>,
) -> Result<ItemRef> {
    require(ctx, Action::ManageProblems)?;
    let mut w = Work::begin(app, ctx).await?;
    let p = visible_patrol(&mut w.tx, ctx, patrol_id).await?;
    let mut input = input.clone();
    input.source = Source::DailyPatrol.key().into();
    if input.raised_on.trim().is_empty() {
        input.raised_on = p.patrol_on.to_string();
    }
    let item = items::register_in(
        &mut w,
        &input,
        assign,
        Origin {
            patrol_id: Some(patrol_id),
            ..Origin::default()
        },
    )
    .await?;
    w.commit().await?;
    Ok(item)
}

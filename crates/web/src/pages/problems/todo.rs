//! 待办: what waits for the actor's unit or the center, and the unit's notifications.

use super::{ItemLine, line};
use crate::AppState;
use crate::auth::{Posted, Signed};
use crate::error::PageError;
use crate::views::{self, Chrome};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use keyproj_db::repo::problems::items::ItemRow;
use keyproj_domain::ids::NotificationId;
use keyproj_service::notifications;
use keyproj_service::problems::todo as svc;

/// A monthly report waiting for review.
pub(super) struct ReviewLine {
    project: String,
    month: String,
    href: String,
    at: String,
}

fn review_line(r: &keyproj_db::repo::dispatch::reports::PendingReport) -> ReviewLine {
    ReviewLine {
        project: r.project_name.clone(),
        month: r.month.chinese(),
        href: format!("/reports/{}/{}", r.project_id, r.month),
        at: views::local_time(&r.submitted_at),
    }
}

pub(super) struct NoteLine {
    text: String,
    at: String,
    read: bool,
    href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "problems/todo.html")]
pub(super) struct TodoPage {
    chrome: Chrome,
    to_handle: Vec<ItemLine>,
    to_assign: Vec<ItemLine>,
    to_verify: Vec<ItemLine>,
    extensions: Vec<ItemLine>,
    to_review: Vec<ReviewLine>,
    to_resubmit: Vec<ReviewLine>,
    notes: Vec<NoteLine>,
    unread: i64,
    newest: i64,
    totals: svc::WaitingTotals,
    /// The most rows a list shows.
    limit: i64,
}

pub(super) async fn page(State(s): State<AppState>, signed: Signed) -> Result<Response, PageError> {
    let t = svc::todo(&s.app, &signed.ctx).await?;
    let today = s.app.local_today();
    let lines = |v: &[ItemRow]| v.iter().map(|r| line(r, today)).collect();
    Ok(TodoPage {
        chrome: Chrome::new(&signed, "todo"),
        to_handle: lines(&t.to_handle),
        to_assign: lines(&t.to_assign),
        to_verify: lines(&t.to_verify),
        extensions: lines(&t.extensions),
        to_review: t.to_review.iter().map(review_line).collect(),
        to_resubmit: t.to_resubmit.iter().map(review_line).collect(),
        newest: t.notifications.first().map(|n| n.id.get()).unwrap_or(0),
        notes: t
            .notifications
            .iter()
            .map(|n| NoteLine {
                text: n.text.clone(),
                at: views::local_time(&n.created_at),
                read: n.read,
                // opening it marks it read, then goes to its page
                href: format!("/todo/open/{}", n.id),
            })
            .collect(),
        unread: t.unread,
        totals: t.totals,
        limit: svc::LIMIT,
    }
    .into_response())
}

/// Opens a notification: read for the user (the badge clears), then its page.
pub(super) async fn open(
    State(s): State<AppState>,
    signed: Signed,
    crate::params::Path(id): crate::params::Path<NotificationId>,
) -> Result<Response, PageError> {
    let to = notifications::open(&s.app, &signed.ctx, id).await?;
    Ok(Redirect::to(&to).into_response())
}

pub(super) async fn read(
    State(s): State<AppState>,
    Posted { signed, form }: Posted,
) -> Result<Response, PageError> {
    let up_to = form
        .typed::<NotificationId>("up_to")
        .unwrap_or(NotificationId(0));
    notifications::mark_read(&s.app, &signed.ctx, up_to).await?;
    Ok(Redirect::to("/todo").into_response())
}

//! Stage changes: the only way a project moves between 签约, 前期, 在建, 竣工 and 后扶, with
//! the actual months each stage needs, a reason, and its own audit row.

use super::visible;
use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, field_error};
use keyproj_db::repo::projects::{self, NewStageChange, StageValues};
use keyproj_domain::authz::Action;
use keyproj_domain::error::check_text;
use keyproj_domain::ids::ProjectId;
use keyproj_domain::project::{Stage, check_stage_change};
use keyproj_domain::{ReportMonth, ValidationErrors};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct StageChangeInput {
    pub to_stage: String,
    /// The date of the change, `YYYY-MM-DD`.
    pub changed_on: String,
    pub reason: String,
    pub actual_start: String,
    pub actual_completion: String,
}

#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn change_stage(
    app: &App,
    ctx: &Ctx,
    id: ProjectId,
    version: i64,
    input: &StageChangeInput,
) -> Result<()> {
    let mut w = Work::begin(app, ctx).await?;
    change_stage_in(&mut w, id, version, input).await?;
    w.commit().await
}

/// [`change_stage`] inside a caller's work (the import changes stages this way).
pub(crate) async fn change_stage_in(
    w: &mut Work<'_>,
    id: ProjectId,
    version: i64,
    input: &StageChangeInput,
) -> Result<()> {
    let ctx = w.ctx;
    let (before, _) = visible(&mut w.tx, ctx, id, Action::ChangeStage).await?;
    let mut errs = ValidationErrors::new();
    let to = errs.check(Stage::parse("to_stage", &input.to_stage));
    let on = errs.check(keyproj_domain::problem::draft::parse_date(
        "changed_on",
        "变更日期",
        &input.changed_on,
    ));
    let reason = errs.check(check_text("reason", "变更原因", &input.reason, true, 500));
    let given_start = errs.check(ReportMonth::parse_opt(
        "actual_start",
        "实际开工",
        &input.actual_start,
    ));
    let given_completion = errs.check(ReportMonth::parse_opt(
        "actual_completion",
        "实际竣工",
        &input.actual_completion,
    ));
    let (Some(to), Some(on), Some(reason), Some(given_start), Some(given_completion)) =
        (to, on, reason, given_start, given_completion)
    else {
        return Err(errs.into());
    };
    errs.into_result()?;
    let from = before.stage;
    let start = given_start.or(before.actual_start);
    let completion = given_completion.or(before.actual_completion);
    check_stage_change(from, to, start, completion)
        .map_err(|e| ServiceError::Validation(ValidationErrors(vec![e.to_field_error()])))?;
    if let (Some(s), Some(c)) = (start, completion)
        && c < s
    {
        return Err(field_error(
            "actual_completion",
            "before_start",
            "实际竣工不能早于实际开工",
        ));
    }
    if on > w.today() {
        return Err(field_error("changed_on", "future", "变更日期不能晚于今天"));
    }
    projects::change_stage(
        &mut w.tx,
        id,
        version,
        &StageValues {
            stage: to,
            actual_start: start,
            actual_completion: completion,
        },
        w.now,
    )
    .await?;
    projects::insert_stage_change(
        &mut w.tx,
        &NewStageChange {
            project_id: id,
            from_stage: Some(from),
            to_stage: to,
            changed_on: on,
            reason: &reason,
            user_id: ctx.actor.user_id,
            username: &ctx.actor.username,
        },
        w.now,
    )
    .await?;
    w.audit(
        Audit::new("stage_change", "project")
            .id(id)
            .before(&serde_json::json!({ "stage": from.key(), "actual_start": before.actual_start, "actual_completion": before.actual_completion }))
            .after(&serde_json::json!({ "stage": to.key(), "actual_start": start, "actual_completion": completion, "changed_on": on, "reason": reason })),
    )
    .await
}

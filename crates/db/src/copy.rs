//! Moves a whole deployment from one database to another (e.g. SQLite → PostgreSQL),
//! table by table with typed columns, keeping every id, so history and the audit chain
//! survive intact. The destination must be migrated and empty.

use crate::{Db, DbError, Tx, run};
use chrono::{DateTime, Utc};
use sqlx::Row;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    I64,
    Text,
    Bool,
    Time,
}

pub struct TableSpec {
    pub name: &'static str,
    /// (column, kind, nullable)
    pub columns: &'static [(&'static str, Kind, bool)],
    pub order_by: &'static str,
    /// Columns that point into the same table: written NULL first, set in a second pass.
    pub self_refs: &'static [&'static str],
    pub identity: bool,
}

use Kind::*;

/// Tables derived from others by triggers (counts kept as rows change): not copied, since the
/// destination's triggers rebuild them while the source rows go in.
pub const DERIVED: &[&str] = &["problem_item_counts", "list_generations"];

/// In dependency order. The schema-parity test checks this list (with [`DERIVED`]) against the
/// schema.
pub const TABLES: &[TableSpec] = &[
    TableSpec {
        name: "regions",
        columns: &[
            ("code", Text, false),
            ("name", Text, false),
            ("parent_code", Text, true),
        ],
        order_by: "code",
        self_refs: &[],
        identity: false,
    },
    TableSpec {
        name: "units",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("name", Text, false),
            ("kind", Text, false),
            ("contact", Text, false),
            ("phone", Text, false),
            ("sort_order", I64, false),
            ("version", I64, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "leaders",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("name", Text, false),
            ("title", Text, false),
            ("phone", Text, false),
            ("sort_order", I64, false),
            ("version", I64, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "users",
        columns: &[
            ("id", I64, false),
            ("username", Text, false),
            ("display_name", Text, false),
            ("unit_id", I64, false),
            ("password_hash", Text, false),
            ("must_change_password", Bool, false),
            ("disabled", Bool, false),
            ("failed_logins", I64, false),
            ("locked_until", Time, true),
            ("password_changed_at", Time, false),
            ("last_login_at", Time, true),
            ("version", I64, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "user_roles",
        columns: &[("user_id", I64, false), ("role", Text, false)],
        order_by: "user_id, role",
        self_refs: &[],
        identity: false,
    },
    TableSpec {
        name: "sessions",
        columns: &[
            ("id", I64, false),
            ("token_hash", Text, false),
            ("user_id", I64, false),
            ("csrf_token", Text, false),
            ("created_at", Time, false),
            ("last_seen_at", Time, false),
            ("ip", Text, false),
            ("user_agent", Text, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "api_tokens",
        columns: &[
            ("id", I64, false),
            ("user_id", I64, false),
            ("name", Text, false),
            ("token_hash", Text, false),
            ("created_at", Time, false),
            ("last_used_at", Time, true),
            ("revoked_at", Time, true),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "audit_log",
        columns: &[
            ("id", I64, false),
            ("at", Time, false),
            ("user_id", I64, true),
            ("username", Text, false),
            ("unit_id", I64, true),
            ("ip", Text, false),
            ("action", Text, false),
            ("entity_type", Text, false),
            ("entity_id", Text, true),
            ("before_json", Text, true),
            ("after_json", Text, true),
            ("prev_hash", Text, false),
            ("hash", Text, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "audit_head",
        columns: &[
            ("id", I64, false),
            ("last_id", I64, false),
            ("last_hash", Text, false),
            ("row_count", I64, false),
            ("signature", Text, false),
            ("updated_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: false,
    },
    TableSpec {
        name: "audit_checkpoints",
        columns: &[
            ("id", I64, false),
            ("audit_id", I64, false),
            ("hash", Text, false),
            ("row_count", I64, false),
            ("at", Time, false),
            ("signature", Text, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "login_throttle",
        columns: &[
            ("key", Text, false),
            ("username", Text, false),
            ("failures", I64, false),
            ("window_start", Time, false),
            ("locked_until", Time, true),
            ("updated_at", Time, false),
        ],
        order_by: "key",
        self_refs: &[],
        identity: false,
    },
    TableSpec {
        name: "inclusion_thresholds",
        columns: &[
            ("region_code", Text, false),
            ("class", Text, false),
            ("min_fen", I64, false),
            ("version", I64, false),
            ("updated_at", Time, false),
        ],
        order_by: "region_code, class",
        self_refs: &[],
        identity: false,
    },
    TableSpec {
        name: "projects",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("code", Text, true),
            ("name", Text, false),
            ("national_code", Text, true),
            ("level", Text, false),
            ("stage", Text, false),
            ("industry", Text, false),
            ("township_unit_id", I64, true),
            ("owner_unit_id", I64, true),
            ("content_scale", Text, false),
            ("total_investment_fen", I64, false),
            ("funding_sources", Text, false),
            ("planned_start", Text, true),
            ("planned_completion", Text, true),
            ("actual_start", Text, true),
            ("actual_completion", Text, true),
            ("leader_id", I64, true),
            ("lead_unit_id", I64, true),
            ("parent_id", I64, true),
            ("location", Text, false),
            ("tags", Text, false),
            ("below_threshold", Bool, false),
            ("version", I64, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
            ("search_text", Text, false),
        ],
        order_by: "id",
        self_refs: &["parent_id"],
        identity: true,
    },
    TableSpec {
        name: "project_units",
        columns: &[("project_id", I64, false), ("unit_id", I64, false)],
        order_by: "project_id, unit_id",
        self_refs: &[],
        identity: false,
    },
    TableSpec {
        name: "project_stage_changes",
        columns: &[
            ("id", I64, false),
            ("project_id", I64, false),
            ("from_stage", Text, true),
            ("to_stage", Text, false),
            ("changed_on", Text, false),
            ("reason", Text, false),
            ("user_id", I64, true),
            ("username", Text, false),
            ("at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "plan_years",
        columns: &[
            ("region_code", Text, false),
            ("year", I64, false),
            ("frozen_at", Time, true),
            ("frozen_by", Text, false),
            ("version", I64, false),
        ],
        order_by: "region_code, year",
        self_refs: &[],
        identity: false,
    },
    TableSpec {
        name: "plans",
        columns: &[
            ("id", I64, false),
            ("project_id", I64, false),
            ("year", I64, false),
            ("category", Text, false),
            ("annual_plan_fen", I64, false),
            ("targets", Text, false),
            ("monthly_fen", Text, false),
            ("version", I64, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "plan_revisions",
        columns: &[
            ("id", I64, false),
            ("plan_id", I64, false),
            ("before_json", Text, false),
            ("after_json", Text, false),
            ("reason", Text, false),
            ("user_id", I64, true),
            ("username", Text, false),
            ("at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "plan_milestones",
        columns: &[
            ("id", I64, false),
            ("plan_id", I64, false),
            ("name", Text, false),
            ("planned_month", Text, false),
            ("actual_month", Text, true),
            ("sort_order", I64, false),
            ("version", I64, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "monthly_reports",
        columns: &[
            ("id", I64, false),
            ("project_id", I64, false),
            ("month", Text, false),
            ("status", Text, false),
            ("month_investment_fen", I64, false),
            ("progress", Text, false),
            ("next_plan", Text, false),
            ("problems", Text, false),
            ("first_submitted_on", Text, false),
            ("submitted_by", Text, false),
            ("submitted_at", Time, false),
            ("reviewed_by", Text, true),
            ("reviewed_at", Time, true),
            ("return_reason", Text, false),
            ("revision", I64, false),
            ("version", I64, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "report_revisions",
        columns: &[
            ("id", I64, false),
            ("report_id", I64, false),
            ("revision", I64, false),
            ("month_investment_fen", I64, false),
            ("progress", Text, false),
            ("next_plan", Text, false),
            ("problems", Text, false),
            ("reason", Text, false),
            ("user_id", I64, true),
            ("username", Text, false),
            ("at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "colour_rules",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("year", I64, false),
            ("version_no", I64, false),
            ("rules_json", Text, false),
            ("deadline_day", I64, false),
            ("reason", Text, false),
            ("username", Text, false),
            ("created_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "colour_exemptions",
        columns: &[
            ("id", I64, false),
            ("project_id", I64, false),
            ("month", Text, false),
            ("reason", Text, false),
            ("username", Text, false),
            ("at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    // An issue only ever corrects an earlier one, so id order satisfies its self-reference
    // (and published issues may not be updated, so no second pass is possible).
    TableSpec {
        name: "colour_issues",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("year", I64, false),
            ("number", I64, false),
            ("as_of_month", Text, false),
            ("rules_id", I64, false),
            ("corrects_issue_id", I64, true),
            ("note", Text, false),
            ("published_by", Text, false),
            ("published_at", Time, false),
            ("region_name", Text, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "colour_issue_rows",
        columns: &[
            ("id", I64, false),
            ("issue_id", I64, false),
            ("seq", I64, false),
            ("project_id", I64, false),
            ("category", Text, false),
            ("level", Text, false),
            ("name", Text, false),
            ("content_scale", Text, false),
            ("total_investment_fen", I64, false),
            ("annual_plan_fen", I64, false),
            ("completed_ytd_fen", I64, false),
            ("completion_bp", I64, true),
            ("baseline_bp", I64, false),
            ("progress", Text, false),
            ("leader_name", Text, false),
            ("lead_unit_name", Text, false),
            ("responsible_units", Text, false),
            ("colour", Text, false),
            ("reasons", Text, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "report_photos",
        columns: &[
            ("id", I64, false),
            ("project_id", I64, false),
            ("month", Text, false),
            ("object_key", Text, false),
            ("thumb_key", Text, false),
            ("width", I64, false),
            ("height", I64, false),
            ("size_bytes", I64, false),
            ("uploaded_by", Text, false),
            ("at", Time, false),
            ("content_hash", Text, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "import_jobs",
        columns: &[
            ("id", Text, false),
            ("region_code", Text, false),
            ("created_by", Text, false),
            ("file_name", Text, false),
            ("phase", Text, false),
            ("done", I64, false),
            ("total", I64, false),
            ("outcome", Text, true),
            ("result", Text, true),
            ("created_at", Time, false),
            ("finished_at", Time, true),
            ("instance_id", Text, false),
            ("heartbeat_at", Time, true),
        ],
        order_by: "id",
        self_refs: &[],
        identity: false,
    },
    TableSpec {
        name: "meetings",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("kind", Text, false),
            ("held_on", Text, false),
            ("place", Text, false),
            ("chair_leader_id", I64, true),
            ("attending_units", Text, false),
            ("project_ids", Text, false),
            ("minutes", Text, false),
            ("created_by", Text, false),
            ("created_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "patrols",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("patrol_on", Text, false),
            ("inspector", Text, false),
            ("project_ids", Text, false),
            ("findings", Text, false),
            ("created_by", Text, false),
            ("created_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "briefings",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("year", I64, false),
            ("seq", I64, true),
            ("state", Text, false),
            ("title", Text, false),
            ("editor", Text, false),
            ("signer", Text, false),
            ("send_to", Text, false),
            ("copy_to", Text, false),
            ("sections", Text, false),
            ("tasks", Text, false),
            ("content", Text, false),
            ("issued_on", Text, true),
            ("issued_by", Text, false),
            ("created_by", Text, false),
            ("version", I64, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "problem_items",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("year", I64, false),
            ("seq", I64, false),
            ("number", Text, false),
            ("kind", Text, false),
            ("source", Text, false),
            ("category", Text, false),
            ("level", Text, false),
            ("project_id", I64, true),
            ("title", Text, false),
            ("description", Text, false),
            ("raised_by", Text, false),
            ("raised_unit_id", I64, false),
            ("raised_on", Text, false),
            ("state", Text, false),
            ("extension_pending", Bool, false),
            ("verified", Bool, false),
            ("handler_unit_id", I64, true),
            ("assisting_unit_ids", Text, false),
            ("assigning_leader_id", I64, true),
            ("assigned_on", Text, true),
            ("deadline", Text, true),
            ("day_count", Text, false),
            ("requested_deadline", Text, true),
            ("resolution", Text, false),
            ("closed_on", Text, true),
            ("close_days", I64, true),
            ("alert", Text, false),
            ("yellow_reply_by", Text, true),
            ("interview", Bool, false),
            ("parent_id", I64, true),
            ("meeting_id", I64, true),
            ("patrol_id", I64, true),
            ("report_month", Text, true),
            ("briefing_id", I64, true),
            ("version", I64, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        order_by: "id",
        self_refs: &["parent_id"],
        identity: true,
    },
    TableSpec {
        name: "attachments",
        columns: &[
            ("id", I64, false),
            ("owner_type", Text, false),
            ("owner_id", I64, false),
            ("file_name", Text, false),
            ("content_type", Text, false),
            ("object_key", Text, false),
            ("size_bytes", I64, false),
            ("uploaded_by", Text, false),
            ("at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "problem_events",
        columns: &[
            ("id", I64, false),
            ("item_id", I64, false),
            ("at", Time, false),
            ("actor", Text, false),
            ("actor_unit_id", I64, false),
            ("step", Text, false),
            ("note", Text, false),
            ("from_state", Text, false),
            ("to_state", Text, false),
            ("deadline", Text, true),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "documents",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("kind", Text, false),
            ("series", Text, false),
            ("year", I64, false),
            ("seq", I64, false),
            ("number", Text, false),
            ("item_id", I64, true),
            ("meeting_id", I64, true),
            ("recipient_unit_id", I64, true),
            ("title", Text, false),
            ("content", Text, false),
            ("reply_by", Text, true),
            ("issued_on", Text, false),
            ("issued_by", Text, false),
            ("created_at", Time, false),
            ("for_deadline", Text, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "holidays",
        columns: &[
            ("region_code", Text, false),
            ("day", Text, false),
            ("kind", Text, false),
            ("name", Text, false),
        ],
        order_by: "region_code, day",
        self_refs: &[],
        identity: false,
    },
    TableSpec {
        name: "supervision_rules",
        columns: &[
            ("region_code", Text, false),
            ("year", I64, false),
            ("rules", Text, false),
            ("version", I64, false),
            ("updated_by", Text, false),
            ("updated_at", Time, false),
        ],
        order_by: "region_code, year",
        self_refs: &[],
        identity: false,
    },
    TableSpec {
        name: "notifications",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("unit_id", I64, false),
            ("kind", Text, false),
            ("item_id", I64, true),
            ("document_id", I64, true),
            ("text", Text, false),
            ("created_at", Time, false),
            ("link", Text, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "notification_reads",
        columns: &[
            ("notification_id", I64, false),
            ("user_id", I64, false),
            ("read_at", Time, false),
        ],
        order_by: "notification_id, user_id",
        self_refs: &[],
        identity: false,
    },
    TableSpec {
        name: "webhook_outbox",
        columns: &[
            ("id", I64, false),
            ("notification_id", I64, false),
            ("payload", Text, false),
            ("attempts", I64, false),
            ("next_attempt_at", Time, false),
            ("delivered_at", Time, true),
            ("last_error", Text, false),
            ("created_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "webhook_attempts",
        columns: &[
            ("id", I64, false),
            ("outbox_id", I64, false),
            ("at", Time, false),
            ("status", I64, true),
            ("error", Text, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "job_runs",
        columns: &[
            ("name", Text, false),
            ("last_day", Text, false),
            ("run_at", Time, false),
        ],
        order_by: "name",
        self_refs: &[],
        identity: false,
    },
    TableSpec {
        name: "signing_events",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("name", Text, false),
            ("held_on", Text, false),
            ("place", Text, false),
            ("organiser", Text, false),
            ("level", Text, false),
            ("version", I64, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "signed_projects",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("event_id", I64, true),
            ("name", Text, false),
            ("investor", Text, false),
            ("investor_origin", Text, false),
            ("contract_no", Text, false),
            ("contract_on", Text, false),
            ("agreed_investment_fen", I64, false),
            ("industry", Text, false),
            ("expected_start", Text, true),
            ("project_id", I64, true),
            ("version", I64, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "approval_catalogue",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("name", Text, false),
            ("unit_id", I64, false),
            ("limit_days", I64, false),
            ("day_count", Text, false),
            ("seq", I64, false),
            ("retired", Bool, false),
            ("version", I64, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "approval_items",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("project_id", I64, false),
            ("catalogue_id", I64, true),
            ("name", Text, false),
            ("unit_id", I64, false),
            ("limit_days", I64, false),
            ("day_count", Text, false),
            ("agent", Text, false),
            ("state", Text, false),
            ("received_on", Text, true),
            ("accepted_on", Text, true),
            ("completed_on", Text, true),
            ("pauses", Text, false),
            ("approval_no", Text, true),
            ("note", Text, false),
            ("problem_item_id", I64, true),
            ("version", I64, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "approval_events",
        columns: &[
            ("id", I64, false),
            ("item_id", I64, false),
            ("step", Text, false),
            ("on_day", Text, false),
            ("from_state", Text, false),
            ("to_state", Text, false),
            ("note", Text, false),
            ("approval_no", Text, true),
            ("actor", Text, false),
            ("at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "support_measures",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("project_id", I64, false),
            ("text", Text, false),
            ("unit_id", I64, false),
            ("measure_on", Text, false),
            ("actor", Text, false),
            ("created_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "assessment_drafts",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("year", I64, false),
            ("title", Text, false),
            ("tables", Text, false),
            ("version", I64, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "assessment_rules",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("year", I64, false),
            ("version_no", I64, false),
            ("title", Text, false),
            ("doc_number", Text, false),
            ("adopted_on", Text, false),
            ("tables", Text, false),
            ("reason", Text, false),
            ("adopted_by", Text, false),
            ("created_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "assessment_rounds",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("year", I64, false),
            ("period", Text, false),
            ("rules_id", I64, false),
            ("state", Text, false),
            ("opened_on", Text, true),
            ("objection_until", Text, true),
            ("corrects_round_id", I64, true),
            ("computed_by", Text, false),
            ("computed_at", Time, false),
            ("version", I64, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        order_by: "id",
        self_refs: &["corrects_round_id"],
        identity: true,
    },
    TableSpec {
        name: "assessment_scores",
        columns: &[
            ("id", I64, false),
            ("round_id", I64, false),
            ("kind", Text, false),
            ("unit_id", I64, false),
            ("total", I64, false),
            ("lines", Text, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "assessment_entries",
        columns: &[
            ("id", I64, false),
            ("round_id", I64, false),
            ("kind", Text, false),
            ("unit_id", I64, false),
            ("indicator_no", I64, false),
            ("value", I64, false),
            ("reason", Text, false),
            ("evidence", Text, false),
            ("entered_by", Text, false),
            ("at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "assessment_objections",
        columns: &[
            ("id", I64, false),
            ("round_id", I64, false),
            ("kind", Text, false),
            ("unit_id", I64, false),
            ("indicator_no", I64, false),
            ("reason", Text, false),
            ("raised_by", Text, false),
            ("raised_at", Time, false),
            ("state", Text, false),
            ("points", I64, true),
            ("decision", Text, false),
            ("decided_by", Text, false),
            ("decided_at", Time, true),
            ("version", I64, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "assessment_notices",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("year", I64, false),
            ("seq", I64, false),
            ("number", Text, false),
            ("round_id", I64, false),
            ("title", Text, false),
            ("content", Text, false),
            ("corrects_notice_id", I64, true),
            ("issued_on", Text, false),
            ("issued_by", Text, false),
            ("created_at", Time, false),
        ],
        order_by: "id",
        self_refs: &["corrects_notice_id"],
        identity: true,
    },
    TableSpec {
        name: "evaluation_ledgers",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("year", I64, false),
            ("ledger", Text, false),
            ("version", I64, false),
            ("updated_by", Text, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "evaluation_templates",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("year", I64, false),
            ("template", Text, false),
            ("version", I64, false),
            ("updated_by", Text, false),
            ("updated_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "surveys",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("year", I64, false),
            ("questionnaire", Text, false),
            ("opens_on", Text, false),
            ("closes_on", Text, false),
            ("link_key", Text, false),
            ("slips", I64, false),
            ("closed_at", Time, true),
            ("version", I64, false),
            ("created_by", Text, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "survey_answers",
        columns: &[
            ("id", I64, false),
            ("survey_id", I64, false),
            ("serial", I64, false),
            ("answer", Text, false),
            ("answered_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "evaluation_report_texts",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("year", I64, false),
            ("texts", Text, false),
            ("version", I64, false),
            ("updated_by", Text, false),
            ("updated_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
    TableSpec {
        name: "evaluation_reports",
        columns: &[
            ("id", I64, false),
            ("region_code", Text, false),
            ("year", I64, false),
            ("seq", I64, false),
            ("number", Text, false),
            ("content", Text, false),
            ("issued_on", Text, false),
            ("issued_by", Text, false),
            ("created_at", Time, false),
        ],
        order_by: "id",
        self_refs: &[],
        identity: true,
    },
];

#[derive(Debug, Clone)]
enum Value {
    I64(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Time(Option<DateTime<Utc>>),
}

macro_rules! decode_row {
    ($row:expr, $spec:expr) => {{
        let mut vals = Vec::with_capacity($spec.columns.len());
        for (i, (_, kind, _)) in $spec.columns.iter().enumerate() {
            vals.push(match kind {
                Kind::I64 => Value::I64($row.try_get::<Option<i64>, _>(i)?),
                Kind::Text => Value::Text($row.try_get::<Option<String>, _>(i)?),
                Kind::Bool => Value::Bool($row.try_get::<Option<bool>, _>(i)?),
                Kind::Time => Value::Time($row.try_get::<Option<DateTime<Utc>>, _>(i)?),
            });
        }
        vals
    }};
}

const BATCH: i64 = 2000;

/// Copies every table; returns (table, rows) in order.
pub async fn copy_all(from: &Db, to: &Db) -> Result<Vec<(&'static str, i64)>, DbError> {
    let mut check = to.begin_read().await?;
    for spec in TABLES {
        if crate::schema::row_count(&mut check, spec.name).await? > 0 {
            return Err(DbError::Config(format!(
                "目标数据库不是空的（表 {} 已有数据）",
                spec.name
            )));
        }
    }
    check.rollback().await?;

    let mut src = from.begin_read().await?;
    let mut dst = to.begin_write().await?;
    let mut report = vec![];
    for spec in TABLES {
        let cols: Vec<&str> = spec.columns.iter().map(|c| c.0).collect();
        let select = format!(
            "SELECT {} FROM {} ORDER BY {} LIMIT $1 OFFSET $2",
            cols.join(", "),
            spec.name,
            spec.order_by
        );
        let placeholders: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
        let insert = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            spec.name,
            cols.join(", "),
            placeholders.join(", ")
        );
        let mut offset = 0i64;
        let mut deferred: Vec<(i64, Vec<Option<i64>>)> = vec![];
        loop {
            let sel = select.clone();
            let rows: Vec<Vec<Value>> = match &mut src {
                Tx::Postgres(t) => {
                    let rs = sqlx::query(sqlx::AssertSqlSafe(sel))
                        .bind(BATCH)
                        .bind(offset)
                        .fetch_all(&mut **t)
                        .await?;
                    let mut v = vec![];
                    for r in rs {
                        v.push(decode_row!(r, spec));
                    }
                    v
                }
                sqlite => {
                    let Some(t) = sqlite.sqlite().await? else {
                        return Err(DbError::Config("未知的数据库连接".into()));
                    };
                    let rs = sqlx::query(sqlx::AssertSqlSafe(sel))
                        .bind(BATCH)
                        .bind(offset)
                        .fetch_all(t)
                        .await?;
                    let mut v = vec![];
                    for r in rs {
                        v.push(decode_row!(r, spec));
                    }
                    v
                }
            };
            let n = rows.len() as i64;
            for mut vals in rows {
                if !spec.self_refs.is_empty() {
                    let id = match &vals[0] {
                        Value::I64(Some(id)) => *id,
                        _ => return Err(DbError::Config(format!("表 {} 缺少 id", spec.name))),
                    };
                    let mut refs = vec![];
                    for r in spec.self_refs {
                        let ix = cols
                            .iter()
                            .position(|c| c == r)
                            .expect("self ref is a column");
                        if let Value::I64(v) = vals[ix] {
                            refs.push(v);
                        }
                        vals[ix] = Value::I64(None);
                    }
                    deferred.push((id, refs));
                }
                let ins = insert.clone();
                run!(&mut dst, |c| {
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(ins));
                    for v in &vals {
                        q = match v {
                            Value::I64(x) => q.bind(*x),
                            Value::Text(x) => q.bind(x.clone()),
                            Value::Bool(x) => q.bind(*x),
                            Value::Time(x) => q.bind(*x),
                        };
                    }
                    q.execute(c).await.map(|r| r.rows_affected())
                })?;
            }
            offset += n;
            if n < BATCH {
                break;
            }
        }
        for (id, refs) in deferred {
            for (col, v) in spec.self_refs.iter().zip(refs) {
                if v.is_some() {
                    let sql = format!("UPDATE {} SET {col} = $1 WHERE id = $2", spec.name);
                    run!(&mut dst, |c| sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(v)
                        .bind(id)
                        .execute(c)
                        .await
                        .map(|r| r.rows_affected()))?;
                }
            }
        }
        if spec.identity
            && let Tx::Postgres(t) = &mut dst
        {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{0}', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM {0}), false)",
                spec.name
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut **t)
                .await?;
        }
        report.push((spec.name, offset));
    }
    dst.commit().await?;
    src.rollback().await?;
    Ok(report)
}

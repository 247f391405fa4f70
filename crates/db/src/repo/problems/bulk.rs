//! Generated items for benchmark datasets, hundreds per statement (the demo crate's seeding;
//! no production path writes items this way).

use crate::decode::{day, opt_day};
use crate::{DbError, Param, Tx, bind_params, run};
use chrono::{DateTime, NaiveDate, Utc};
use keyproj_domain::RegionCode;
use keyproj_domain::ids::{ProjectId, UnitId};
use keyproj_domain::problem::{Category, Source, State};

/// One generated item for benchmark datasets.
#[derive(Debug, Clone)]
pub struct BulkItem {
    pub seq: i64,
    pub source: Source,
    pub category: Category,
    pub handler_unit_id: UnitId,
    /// The project the item is about, if any.
    pub project_id: Option<ProjectId>,
    pub raised_on: NaiveDate,
    pub state: State,
    pub deadline: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub close_days: Option<i64>,
}

/// Where bulk items go: the region, year, number prefix and raising unit they share.
pub struct BulkTarget<'a> {
    pub region: &'a RegionCode,
    pub year: i32,
    pub prefix: &'a str,
    pub raised_unit_id: UnitId,
}

/// Items in bulk (benchmark datasets): many rows per statement, all assigned.
pub async fn insert_items_bulk(
    tx: &mut Tx,
    target: &BulkTarget<'_>,
    rows: &[BulkItem],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    for chunk in rows.chunks(400) {
        let mut sql = String::from(
            "INSERT INTO problem_items (region_code, year, seq, number, kind, source, category, level, project_id,
            title, description, raised_by, raised_unit_id, raised_on, state, extension_pending, verified, handler_unit_id,
            assisting_unit_ids, assigning_leader_id, assigned_on, deadline, day_count, requested_deadline, resolution,
            closed_on, close_days, alert, yellow_reply_by, interview, parent_id, meeting_id, patrol_id, report_month, version,
            created_at, updated_at) VALUES ",
        );
        let mut params: Vec<Param> = vec![];
        for (k, r) in chunk.iter().enumerate() {
            let b = 5 + k * 11;
            if k > 0 {
                sql.push_str(", ");
            }
            let closed = if r.state == State::Closed {
                "TRUE"
            } else {
                "FALSE"
            };
            sql.push_str(&format!(
                "($1, $2, ${b}, ${n}, 'problem', ${src}, ${cat}, '1', NULLIF(${pr}, 0), '生成的事项', '', 'bench', $3, ${on}, ${st}, FALSE, {closed}, ${h},
                '', NULL, ${on}, ${dl}, 'working', NULL, '', NULLIF(${co}, ''), NULLIF(${cd}, -1), '', NULL, FALSE, NULL, NULL, NULL, NULL, 1, $4, $4)",
                n = b + 1,
                src = b + 2,
                cat = b + 3,
                on = b + 4,
                st = b + 5,
                h = b + 6,
                dl = b + 7,
                co = b + 8,
                cd = b + 9,
                pr = b + 10,
            ));
            params.push(Param::I64(r.seq));
            params.push(Param::Text(keyproj_domain::problem::document_number(
                target.prefix,
                target.year,
                r.seq,
            )));
            params.push(Param::Text(r.source.key().into()));
            params.push(Param::Text(r.category.key().into()));
            params.push(Param::Text(day(r.raised_on)));
            params.push(Param::Text(r.state.key().into()));
            params.push(Param::I64(r.handler_unit_id.get()));
            params.push(Param::Text(day(r.deadline)));
            params.push(Param::Text(opt_day(r.closed_on).unwrap_or_default()));
            params.push(Param::I64(r.close_days.unwrap_or(-1)));
            params.push(Param::I64(r.project_id.map_or(0, |p| p.get())));
        }
        run!(tx, |c| bind_params!(
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(target.region.as_str())
                .bind(target.year as i64)
                .bind(target.raised_unit_id.get())
                .bind(now),
            params
        )
        .execute(c)
        .await
        .map(|_| ()))?;
    }
    Ok(())
}

//! Rules that differ by county and year are data: a region's own, else its parent's (a city's
//! rules cover its counties), else the reference county's defaults. Every rules reader walks the
//! same [`lineage`]; the working-day calendar is read the same way.

use crate::Result;
use chrono::{Datelike, NaiveDate};
use keyproj_db::Tx;
use keyproj_db::repo::dispatch::colour as colour_repo;
use keyproj_db::repo::{org, problems::supervision as repo};
use keyproj_domain::RegionCode;
use keyproj_domain::colour::ColourRules;
use keyproj_domain::ids::RulesId;
use keyproj_domain::problem::{Calendar, HolidayKind, SupervisionRules, default_holidays};

/// The region, then each region above it, nearest first.
pub fn lineage(region: &RegionCode) -> impl Iterator<Item = RegionCode> {
    std::iter::successors(Some(region.clone()), |r| r.parent())
}

/// The supervision rules in force for a region and year, with the version of the region's own
/// stored rules (0 when they are inherited or the defaults: saving creates the region's own).
pub async fn supervision_in(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
) -> Result<(SupervisionRules, i64)> {
    // one query for the region and those above it (every registration reads this)
    let codes: Vec<RegionCode> = lineage(region).collect();
    let mut stored = repo::rules_of_any(tx, &codes, year).await?;
    for code in &codes {
        if let Some(i) = stored.iter().position(|(r, _, _)| r == code.as_str()) {
            let (_, rules, version) = stored.swap_remove(i);
            let own = if code == region { version } else { 0 };
            return Ok((rules, own));
        }
    }
    // nothing configured: the defaults, numbered in the region's own name
    let named = org::get_region(tx, region)
        .await?
        .map(|r| r.name)
        .filter(|n| !n.starts_with("地区"));
    Ok((
        named
            .map(|n| SupervisionRules::for_region_named(&n))
            .unwrap_or_default(),
        0,
    ))
}

/// Reports are due on this day of the following month unless the rules say otherwise.
pub const DEFAULT_DEADLINE_DAY: u32 = 5;

/// The colour rules in force for a region and year.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ColourRulesInForce {
    /// The stored version used (none: the defaults, recorded when a table is published).
    pub id: Option<RulesId>,
    pub rules: ColourRules,
    /// Reports are due on this day of the following month.
    pub deadline_day: u32,
}

/// The colour rules in force for a region and year: the newest of its own, else inherited,
/// else the reference county's defaults.
pub async fn colour_in(tx: &mut Tx, region: &RegionCode, year: i32) -> Result<ColourRulesInForce> {
    for code in lineage(region) {
        if let Some(row) = colour_repo::latest_rules(tx, &code, year).await? {
            return Ok(ColourRulesInForce {
                id: Some(row.id),
                rules: row.rules,
                deadline_day: row.deadline_day,
            });
        }
    }
    Ok(ColourRulesInForce {
        id: None,
        rules: ColourRules::default(),
        deadline_day: DEFAULT_DEADLINE_DAY,
    })
}

/// The working-day calendar from `from` on for a region: its stored holidays, and for the years
/// it has none stored (this one and the next, as deadlines may run into it), the defaults.
pub async fn calendar_in(tx: &mut Tx, region: &RegionCode, from: NaiveDate) -> Result<Calendar> {
    let rows = repo::holidays_from(tx, region, from).await?;
    let mut cal = Calendar::default();
    let stored_years: std::collections::BTreeSet<i32> = rows.iter().map(|r| r.day.year()).collect();
    for r in rows {
        match r.kind {
            HolidayKind::Workday => cal.makeup_workdays.insert(r.day),
            HolidayKind::Holiday => cal.holidays.insert(r.day),
        };
    }
    for y in from.year()..=from.year() + 1 {
        if !stored_years.contains(&y) {
            let (h, w) = default_holidays(y);
            cal.holidays.extend(h.into_iter().map(|(d, _)| d));
            cal.makeup_workdays.extend(w);
        }
    }
    Ok(cal)
}

#[cfg(test)]
mod tests {
    use super::lineage;
    use keyproj_domain::RegionCode;

    #[test]
    fn a_county_inherits_from_its_city_then_its_province() {
        let codes: Vec<String> = lineage(&RegionCode::parse("430922").unwrap())
            .map(|r| r.as_str().to_string())
            .collect();
        assert_eq!(codes, ["430922", "4309", "43"]);
    }
}

//! Turning stored columns into domain values and back. Rows are read into private raw structs
//! (plain numbers and text, as both engines store them) and converted with `TryFrom` into the
//! public rows the repositories return, whose fields are domain types. A stored value that does
//! not read back (a date that is not a date, an unknown key) is a [`DbError::Decode`]: our own
//! data is broken, never the user's input.

use crate::DbError;
use chrono::NaiveDate;
use keyproj_domain::{Money, RegionCode, ReportMonth};

/// Dates are stored as `YYYY-MM-DD` text on both engines (they compare as text).
pub const DATE: &str = "%Y-%m-%d";

/// A stored date.
pub fn date(column: &'static str, s: &str) -> Result<NaiveDate, DbError> {
    NaiveDate::parse_from_str(s, DATE).map_err(|_| DbError::Decode(column, s.to_string()))
}

pub fn opt_date(column: &'static str, s: Option<String>) -> Result<Option<NaiveDate>, DbError> {
    s.filter(|s| !s.is_empty())
        .map(|s| date(column, &s))
        .transpose()
}

/// A date as stored.
pub fn day(d: NaiveDate) -> String {
    d.format(DATE).to_string()
}

pub fn opt_day(d: Option<NaiveDate>) -> Option<String> {
    d.map(day)
}

/// A stored month (`YYYY-MM`).
pub fn month(column: &'static str, s: &str) -> Result<ReportMonth, DbError> {
    ReportMonth::parse("m", "m", s).map_err(|_| DbError::Decode(column, s.to_string()))
}

pub fn opt_month(column: &'static str, s: Option<String>) -> Result<Option<ReportMonth>, DbError> {
    s.filter(|s| !s.is_empty())
        .map(|s| month(column, &s))
        .transpose()
}

/// A stored region code.
pub fn region(column: &'static str, s: &str) -> Result<RegionCode, DbError> {
    RegionCode::parse(s).map_err(|_| DbError::Decode(column, s.to_string()))
}

/// A stored vocabulary key.
pub fn key<T>(
    column: &'static str,
    s: &str,
    from_key: fn(&str) -> Option<T>,
) -> Result<T, DbError> {
    from_key(s).ok_or_else(|| DbError::Decode(column, s.to_string()))
}

/// An optional vocabulary key: empty text is none.
pub fn opt_key<T>(
    column: &'static str,
    s: &str,
    from_key: fn(&str) -> Option<T>,
) -> Result<Option<T>, DbError> {
    if s.is_empty() {
        Ok(None)
    } else {
        key(column, s, from_key).map(Some)
    }
}

/// Money stored as fen.
pub fn money(fen: i64) -> Money {
    Money::from_fen(fen)
}

/// Id lists are stored as `,3,7,` (so that `LIKE '%,7,%'` finds a member on both engines).
pub fn ids<T: From<i64>>(column: &'static str, s: &str) -> Result<Vec<T>, DbError> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(|x| {
            x.parse::<i64>()
                .map(T::from)
                .map_err(|_| DbError::Decode(column, s.to_string()))
        })
        .collect()
}

/// An id list as stored.
pub fn id_list<T: Copy + Into<i64>>(ids: &[T]) -> String {
    if ids.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = ids.iter().map(|i| (*i).into().to_string()).collect();
    format!(",{},", inner.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyproj_domain::ids::UnitId;

    #[test]
    fn id_lists_round_trip() {
        let v = vec![UnitId(3), UnitId(7)];
        assert_eq!(id_list(&v), ",3,7,");
        assert_eq!(ids::<UnitId>("c", ",3,7,").unwrap(), v);
        assert_eq!(ids::<UnitId>("c", "").unwrap(), vec![]);
        assert!(matches!(
            ids::<UnitId>("c", ",x,"),
            Err(DbError::Decode("c", _))
        ));
        assert_eq!(id_list::<UnitId>(&[]), "");
    }

    #[test]
    fn dates_and_keys() {
        let d = date("d", "2022-03-01").unwrap();
        assert_eq!(day(d), "2022-03-01");
        assert!(date("d", "2022-13-01").is_err());
        assert_eq!(opt_date("d", Some(String::new())).unwrap(), None);
        assert_eq!(
            key(
                "stage",
                "preliminary",
                keyproj_domain::project::Stage::from_key
            )
            .unwrap(),
            keyproj_domain::project::Stage::Preliminary
        );
        assert!(key("stage", "前期", keyproj_domain::project::Stage::from_key).is_err());
    }
}

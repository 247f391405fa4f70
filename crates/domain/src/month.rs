//! A calendar month, the unit of every report and plan: `YYYY-MM`.

use crate::error::FieldError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReportMonth {
    year: i32,
    month: u32,
}

pub const MIN_YEAR: i32 = 1990;
pub const MAX_YEAR: i32 = 2100;

impl ReportMonth {
    pub fn new(year: i32, month: u32) -> Option<ReportMonth> {
        ((MIN_YEAR..=MAX_YEAR).contains(&year) && (1..=12).contains(&month))
            .then_some(ReportMonth { year, month })
    }
    pub fn year(self) -> i32 {
        self.year
    }
    pub fn month(self) -> u32 {
        self.month
    }
    /// The first day of the month.
    pub fn first_day(self) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(self.year(), self.month(), 1).expect("valid month")
    }
    pub fn of(date: chrono::NaiveDate) -> ReportMonth {
        use chrono::Datelike;
        ReportMonth {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Accepts `2022-03`, `2022-3`, `2022/03`, `2022年3月` and `2022-03-15` (a date: its month).
    pub fn parse(field: &str, label: &str, input: &str) -> Result<ReportMonth, FieldError> {
        let bad = || {
            FieldError::new(
                field,
                "invalid_month",
                format!("{label}格式应为“年-月”，如 2022-03"),
            )
        };
        let s = input
            .trim()
            .trim_end_matches('月')
            .replace(['年', '/', '.'], "-");
        let mut parts = s.split('-');
        let y = parts.next().ok_or_else(bad)?;
        let m = parts.next().ok_or_else(bad)?;
        if let Some(d) = parts.next()
            && (d.is_empty()
                || d.len() > 2
                || !d.chars().all(|c| c.is_ascii_digit())
                || parts.next().is_some())
        {
            return Err(bad());
        }
        if y.len() != 4
            || !y.chars().all(|c| c.is_ascii_digit())
            || m.is_empty()
            || m.len() > 2
            || !m.chars().all(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) {
            return Err(FieldError::new(
                field,
                "invalid_month",
                format!("{label}有误：月份应在1到12之间"),
            ));
        }
        ReportMonth::new(year, month).ok_or_else(|| {
            FieldError::new(
                field,
                "invalid_month",
                format!("{label}有误：年份应在{MIN_YEAR}到{MAX_YEAR}之间"),
            )
        })
    }

    pub fn parse_opt(
        field: &str,
        label: &str,
        input: &str,
    ) -> Result<Option<ReportMonth>, FieldError> {
        if input.trim().is_empty() {
            Ok(None)
        } else {
            Self::parse(field, label, input).map(Some)
        }
    }

    pub fn next(self) -> ReportMonth {
        if self.month == 12 {
            ReportMonth {
                year: self.year + 1,
                month: 1,
            }
        } else {
            ReportMonth {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
    pub fn prev(self) -> ReportMonth {
        if self.month == 1 {
            ReportMonth {
                year: self.year - 1,
                month: 12,
            }
        } else {
            ReportMonth {
                year: self.year,
                month: self.month - 1,
            }
        }
    }
    /// Months from `self` to `later` (negative when `later` is earlier).
    pub fn months_until(self, later: ReportMonth) -> i32 {
        (later.year - self.year) * 12 + later.month as i32 - self.month as i32
    }
    pub fn chinese(self) -> String {
        format!("{}年{}月", self.year, self.month)
    }
}

impl std::fmt::Display for ReportMonth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl std::str::FromStr for ReportMonth {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReportMonth::parse("month", "月份", s)
    }
}

impl Serialize for ReportMonth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ReportMonth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse()
            .map_err(|e: FieldError| serde::de::Error::custom(e.message))
    }
}

/// A date as official documents write it: 2026年12月14日 (no leading zeros).
pub fn chinese_date(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_common_spellings() {
        let m = ReportMonth::new(2022, 3).unwrap();
        for s in [
            "2022-03",
            "2022-3",
            "2022/03",
            "2022年3月",
            "2022.03",
            "2022-03-15",
        ] {
            assert_eq!(ReportMonth::parse("m", "月份", s).unwrap(), m, "{s}");
        }
        assert_eq!(m.to_string(), "2022-03");
        assert_eq!(m.chinese(), "2022年3月");
    }

    #[test]
    fn rejects_impossible_months() {
        for s in [
            "2022-13",
            "2022-00",
            "22-03",
            "abcd-ef",
            "2022",
            "3000-01",
            "2022-03-15-1",
            "2022-1x",
        ] {
            let e = ReportMonth::parse("m", "计划开工", s).unwrap_err();
            assert_eq!(e.code, "invalid_month", "{s}");
            assert!(e.message.contains("计划开工"));
        }
    }

    #[test]
    fn arithmetic() {
        let a = ReportMonth::new(2022, 11).unwrap();
        assert_eq!(a.next().next(), ReportMonth::new(2023, 1).unwrap());
        assert_eq!(
            ReportMonth::new(2023, 1).unwrap().prev(),
            ReportMonth::new(2022, 12).unwrap()
        );
        assert_eq!(a.months_until(ReportMonth::new(2023, 2).unwrap()), 3);
    }

    proptest! {
        #[test]
        fn display_round_trips(y in MIN_YEAR..=MAX_YEAR, m in 1u32..=12) {
            let rm = ReportMonth::new(y, m).unwrap();
            prop_assert_eq!(rm.to_string().parse::<ReportMonth>().unwrap(), rm);
        }
        #[test]
        fn order_matches_text_order(a in (MIN_YEAR..=MAX_YEAR, 1u32..=12), b in (MIN_YEAR..=MAX_YEAR, 1u32..=12)) {
            let x = ReportMonth::new(a.0, a.1).unwrap();
            let y = ReportMonth::new(b.0, b.1).unwrap();
            // stored as TEXT, compared in SQL: text order must equal month order
            prop_assert_eq!(x.cmp(&y), x.to_string().cmp(&y.to_string()));
        }
    }
}

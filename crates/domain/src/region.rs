//! Regions by GB/T 2260 code, written short: 43 (省), 4309 (市), 430922 (县).

use crate::error::FieldError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RegionLevel {
    Province,
    City,
    County,
}

impl RegionCode {
    pub fn parse(input: &str) -> Result<RegionCode, FieldError> {
        let s = input.trim();
        // Full 6-digit codes of provinces and cities end in zeros; keep the short form.
        let s = if s.len() == 6 && s.ends_with("0000") {
            &s[..2]
        } else if s.len() == 6 && s.ends_with("00") {
            &s[..4]
        } else {
            s
        };
        if !matches!(s.len(), 2 | 4 | 6)
            || !s.chars().all(|c| c.is_ascii_digit())
            || s.starts_with('0')
        {
            return Err(FieldError::new(
                "region_code",
                "invalid_region",
                "行政区划代码应为2、4或6位数字（GB/T 2260），如 430922",
            ));
        }
        Ok(RegionCode(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn level(&self) -> RegionLevel {
        match self.0.len() {
            2 => RegionLevel::Province,
            4 => RegionLevel::City,
            _ => RegionLevel::County,
        }
    }
    /// True when `other` is this region or lies below it.
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0.starts_with(&self.0)
    }
    pub fn parent(&self) -> Option<RegionCode> {
        match self.0.len() {
            6 => Some(RegionCode(self.0[..4].to_string())),
            4 => Some(RegionCode(self.0[..2].to_string())),
            _ => None,
        }
    }
    /// The half-open range of codes `[low, high)` that holds this region and every region below
    /// it. Codes are digit strings, so `code >= low AND code < high` selects the subtree and, unlike
    /// `LIKE 'x%'`, can use an index on both engines. `high` is the code incremented in place
    /// (4309 → 4310); the first digit is never 9 in GB/T 2260, so it never overflows.
    pub fn subtree_range(&self) -> (String, String) {
        let n: u64 = self.0.parse().expect("digits");
        let high = format!("{:0width$}", n + 1, width = self.0.len());
        (self.0.clone(), high)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RegionCode::parse(&s).map_err(|e| e.message)
    }
}
impl From<RegionCode> for String {
    fn from(r: RegionCode) -> String {
        r.0
    }
}
impl std::fmt::Display for RegionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hierarchy() {
        let hunan = RegionCode::parse("43").unwrap();
        let yiyang = RegionCode::parse("4309").unwrap();
        let taojiang = RegionCode::parse("430922").unwrap();
        assert_eq!(RegionCode::parse("430000").unwrap(), hunan);
        assert_eq!(RegionCode::parse("430900").unwrap(), yiyang);
        assert!(
            hunan.contains(&taojiang) && yiyang.contains(&taojiang) && taojiang.contains(&taojiang)
        );
        assert!(!taojiang.contains(&yiyang));
        assert!(!RegionCode::parse("4301").unwrap().contains(&taojiang));
        assert_eq!(taojiang.parent(), Some(yiyang.clone()));
        assert_eq!(yiyang.parent(), Some(hunan.clone()));
        assert_eq!(taojiang.level(), RegionLevel::County);
        assert_eq!(taojiang.subtree_range(), ("430922".into(), "430923".into()));
        assert_eq!(
            RegionCode::parse("4309").unwrap().subtree_range(),
            ("4309".into(), "4310".into())
        );
        assert_eq!(
            RegionCode::parse("39").unwrap().subtree_range(),
            ("39".into(), "40".into())
        );
        // the range holds exactly the subtree
        let (lo, hi) = yiyang.subtree_range();
        for (code, inside) in [
            ("4309", true),
            ("430922", true),
            ("430999", true),
            ("4310", false),
            ("431001", false),
            ("4308", false),
            ("430899", false),
        ] {
            assert_eq!(code >= lo.as_str() && code < hi.as_str(), inside, "{code}");
        }
    }

    #[test]
    fn rejects_malformed() {
        for s in ["", "4", "43092", "4309221", "43a922", "030922"] {
            assert!(RegionCode::parse(s).is_err(), "{s}");
        }
    }
}

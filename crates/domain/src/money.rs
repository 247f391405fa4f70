//! Money is an integer number of fen (分). Never a float: figures are sacred.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};

/// An amount in fen. 1 元 = 100 分, 1 万元 = 1,000,000 分, 1 亿元 = 10,000,000,000 分.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

pub const FEN_PER_YUAN: i64 = 100;
pub const FEN_PER_WAN: i64 = 1_000_000;
pub const FEN_PER_YI: i64 = 10_000_000_000;
/// The largest amount keyproj accepts for one figure: 1e12 元 (一万亿元).
pub const MAX_FEN: i64 = 1_000_000_000_000 * FEN_PER_YUAN;

impl std::ops::Add for Money {
    type Output = Money;
    /// Sums of real figures stay far below i64 fen (9.2 × 10¹⁶ 元).
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl std::ops::AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_fen(fen: i64) -> Money {
        Money(fen)
    }
    pub const fn fen(self) -> i64 {
        self.0
    }
    pub fn from_wan_int(wan: i64) -> Money {
        Money(wan * FEN_PER_WAN)
    }
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Parses an amount typed in 万元, e.g. "12345.67" or "1,234.5". At most two decimals
    /// (a resolution of 100 元), not negative, not more than 1e12 元.
    pub fn parse_wan(field: &str, label: &str, input: &str) -> Result<Money, FieldError> {
        // full-width digits and points (Chinese phone keyboards: １２３．４) read as their
        // ASCII forms
        let compact: String = input
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
                '．' => '.',
                '－' => '-',
                c => c,
            })
            .collect();
        // Thousands separators only where they belong (1,234,567.89): "1,50" is a typo for
        // 1.50 or 150, and guessing either would change a figure.
        let int_end = compact.find('.').unwrap_or(compact.len());
        let (grouped, rest) = compact.split_at(int_end);
        let grouped = grouped.trim_end_matches("万元");
        if grouped.contains([',', '，']) {
            let groups: Vec<&str> = grouped
                .trim_start_matches(['+', '-'])
                .split([',', '，'])
                .collect();
            let well_formed = groups.len() > 1
                && (1..=3).contains(&groups[0].len())
                && groups[1..].iter().all(|g| g.len() == 3);
            if !well_formed || rest.contains([',', '，']) {
                return Err(FieldError::new(
                    field,
                    "not_a_number",
                    format!("{label}的千位分隔符位置不对，请写成 1234.56 或 1,234.56"),
                ));
            }
        }
        let s: String = compact
            .chars()
            .filter(|c| *c != ',' && *c != '，')
            .collect();
        let s = s.strip_suffix("万元").unwrap_or(&s);
        if s.is_empty() {
            return Err(FieldError::new(
                field,
                "required",
                format!("请填写{label}（万元）"),
            ));
        }
        if s.starts_with('-') {
            return Err(FieldError::new(
                field,
                "negative",
                format!("{label}不能为负数"),
            ));
        }
        let s = s.strip_prefix('+').unwrap_or(s);
        let (int_part, frac_part) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        let digits_ok = |p: &str| p.chars().all(|c| c.is_ascii_digit());
        if (int_part.is_empty() && frac_part.is_empty())
            || !digits_ok(int_part)
            || !digits_ok(frac_part)
            || s.ends_with('.') && frac_part.is_empty() && int_part.is_empty()
        {
            return Err(FieldError::new(
                field,
                "not_a_number",
                format!("{label}应为数字，单位万元，如 1234.56"),
            ));
        }
        if frac_part.len() > 2 {
            return Err(FieldError::new(
                field,
                "too_many_decimals",
                format!("{label}最多保留两位小数（万元）"),
            ));
        }
        let too_big = || FieldError::new(field, "too_large", format!("{label}超过上限（1万亿元）"));
        let int_digits = int_part.trim_start_matches('0');
        if int_digits.len() > 9 {
            return Err(too_big());
        }
        let int_val: i64 = if int_digits.is_empty() {
            0
        } else {
            int_digits.parse().map_err(|_| too_big())?
        };
        let mut frac_val: i64 = 0;
        for (i, c) in frac_part.chars().enumerate() {
            let d = c as i64 - '0' as i64;
            frac_val += d * if i == 0 { 10 } else { 1 };
        }
        // 0.01 万元 = 100 元 = 10,000 分
        let fen = int_val * FEN_PER_WAN + frac_val * (FEN_PER_WAN / 100);
        if fen > MAX_FEN {
            return Err(too_big());
        }
        Ok(Money(fen))
    }

    /// Checks an amount given in fen (API input) against the same rules as `parse_wan`.
    pub fn validate_fen(field: &str, label: &str, fen: i64) -> Result<Money, FieldError> {
        if fen < 0 {
            return Err(FieldError::new(
                field,
                "negative",
                format!("{label}不能为负数"),
            ));
        }
        if fen > MAX_FEN {
            return Err(FieldError::new(
                field,
                "too_large",
                format!("{label}超过上限（1万亿元）"),
            ));
        }
        if fen % (FEN_PER_WAN / 100) != 0 {
            return Err(FieldError::new(
                field,
                "too_many_decimals",
                format!("{label}最多保留两位小数（万元）"),
            ));
        }
        Ok(Money(fen))
    }

    /// 万元 with two decimals, rounded half away from zero: "12345.67".
    pub fn wan_2dp(self) -> String {
        fixed(self.0, FEN_PER_WAN, 2)
    }
    /// 万元 with two decimals and thousands separators, for reading: "4,953,507.97".
    pub fn wan_grouped(self) -> String {
        let plain = self.wan_2dp();
        let (sign, digits) = match plain.strip_prefix('-') {
            Some(d) => ("-", d),
            None => ("", plain.as_str()),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let mut grouped = String::with_capacity(int.len() + int.len() / 3);
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if frac.is_empty() {
            format!("{sign}{grouped}")
        } else {
            format!("{sign}{grouped}.{frac}")
        }
    }
    /// 亿元 with `dp` decimals: "38.2".
    pub fn yi(self, dp: u32) -> String {
        fixed(self.0, FEN_PER_YI, dp)
    }
    /// The 万元 figure as a plain value for spreadsheets (display only, never stored back).
    pub fn wan_for_sheet(self) -> f64 {
        self.0 as f64 / FEN_PER_WAN as f64
    }
}

/// `value / unit` with `dp` decimals, rounded half away from zero, in integer arithmetic.
fn fixed(value: i64, unit: i64, dp: u32) -> String {
    let scale = 10i128.pow(dp);
    let v = value as i128 * scale;
    let u = unit as i128;
    let q = (v.abs() + u / 2) / u;
    let sign = if value < 0 && q != 0 { "-" } else { "" };
    if dp == 0 {
        return format!("{sign}{q}");
    }
    format!(
        "{sign}{}.{:0width$}",
        q / scale,
        q % scale,
        width = dp as usize
    )
}

/// A percentage with one decimal from a ratio of two integers, e.g. 98.0.
pub fn percent_1dp(numerator: i64, denominator: i64) -> Option<String> {
    if denominator == 0 {
        return None;
    }
    Some(fixed_ratio(
        numerator as i128 * 1000,
        denominator as i128,
        1,
    ))
}

fn fixed_ratio(n: i128, d: i128, dp: u32) -> String {
    let scale = 10i128.pow(dp);
    let neg = (n < 0) != (d < 0) && n != 0;
    let q = (n.abs() * 2 + d.abs()) / (d.abs() * 2);
    format!("{}{}.{}", if neg { "-" } else { "" }, q / scale, q % scale)
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}万元", self.wan_2dp())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn grouped_wan_for_reading() {
        // fen: 万元 × 1,000,000
        let m = |fen: i64| Money::from_fen(fen).wan_grouped();
        assert_eq!(m(4_953_507_970_000), "4,953,507.97");
        assert_eq!(m(123_450_000), "123.45");
        assert_eq!(m(1_000_000_000), "1,000.00");
        assert_eq!(m(-12_345_678_900_000), "-12,345,678.90");
        assert_eq!(m(0), "0.00");
    }
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn full_width_digits_read_as_digits() {
        assert_eq!(
            Money::parse_wan("a", "金额", "１２３．４").unwrap(),
            Money::parse_wan("a", "金额", "123.4").unwrap()
        );
    }

    #[test]
    fn parses_wan_with_two_decimals() {
        assert_eq!(
            Money::parse_wan("a", "总投资", "12345.67").unwrap().fen(),
            12_345_670_000
        );
        assert_eq!(
            Money::parse_wan("a", "总投资", "1,234.5").unwrap().fen(),
            1_234_500_000
        );
        assert_eq!(Money::parse_wan("a", "总投资", "0").unwrap().fen(), 0);
        assert_eq!(
            Money::parse_wan("a", "总投资", "1,234,567.89")
                .unwrap()
                .fen(),
            1_234_567_890_000
        );
        assert_eq!(
            Money::parse_wan("a", "总投资", "1，234").unwrap(),
            Money::from_wan_int(1234)
        );
        assert_eq!(
            Money::parse_wan("a", "总投资", ".5").unwrap().fen(),
            500_000
        );
        assert_eq!(
            Money::parse_wan("a", "总投资", "5000万元").unwrap(),
            Money::from_wan_int(5000)
        );
    }

    #[test]
    fn rejects_bad_amounts_with_chinese_messages() {
        for (input, code) in [
            ("-1", "negative"),
            ("1.234", "too_many_decimals"),
            ("abc", "not_a_number"),
            ("1e5", "not_a_number"),
            ("1,50", "not_a_number"),
            ("1,,0", "not_a_number"),
            ("12,34,56", "not_a_number"),
            ("1,234.5,6", "not_a_number"),
            ("", "required"),
            ("100000001", "too_large"),
            ("99999999999999999999", "too_large"),
            ("1.2.3", "not_a_number"),
            (".", "not_a_number"),
        ] {
            let e = Money::parse_wan("total", "总投资", input).unwrap_err();
            assert_eq!(e.code, code, "input {input:?}");
            assert_eq!(e.field, "total");
            assert!(
                !e.message.is_ascii(),
                "message should be Chinese: {}",
                e.message
            );
        }
        // exactly 1e12 元 = 1e8 万元 is allowed
        assert!(Money::parse_wan("t", "总投资", "100000000").is_ok());
    }

    #[test]
    fn formats_wan_and_yi() {
        assert_eq!(Money::from_fen(12_345_670_000).wan_2dp(), "12345.67");
        assert_eq!(Money::from_fen(0).wan_2dp(), "0.00");
        assert_eq!(Money::from_fen(5_000).wan_2dp(), "0.01"); // half rounds away from zero
        assert_eq!(Money::from_fen(4_999).wan_2dp(), "0.00");
        assert_eq!(Money::from_fen(-5_000).wan_2dp(), "-0.01");
        assert_eq!(Money::from_wan_int(382_000).yi(1), "38.2");
        assert_eq!(Money::from_fen(1_942_778 * FEN_PER_WAN).yi(4), "194.2778");
        assert_eq!(Money::from_wan_int(92).to_string(), "92.00万元");
    }

    #[test]
    fn percent_has_one_decimal() {
        assert_eq!(percent_1dp(98, 100).unwrap(), "98.0");
        assert_eq!(percent_1dp(1, 3).unwrap(), "33.3");
        assert_eq!(percent_1dp(2, 3).unwrap(), "66.7");
        assert_eq!(percent_1dp(1, 0), None);
    }

    proptest! {
        #[test]
        fn wan_round_trips(fen_hundreds in 0i64..=10_000_000_000) {
            // every amount with at most two decimals of 万元 survives format → parse
            let m = Money::from_fen(fen_hundreds * 10_000);
            let back = Money::parse_wan("x", "金额", &m.wan_2dp()).unwrap();
            prop_assert_eq!(back, m);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,30}") {
            let _ = Money::parse_wan("x", "金额", &s);
        }

        #[test]
        fn accepted_amounts_are_in_range(s in "[0-9]{0,12}(\\.[0-9]{0,3})?") {
            if let Ok(m) = Money::parse_wan("x", "金额", &s) {
                prop_assert!(m.fen() >= 0 && m.fen() <= MAX_FEN);
                prop_assert_eq!(m.fen() % 10_000, 0);
            }
        }
    }
}

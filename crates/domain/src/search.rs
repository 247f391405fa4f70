//! How typed search text and the fields searched are compared: both go through [`search_key`]
//! in Rust, so a search finds the same rows on both engines and in any script (SQLite's
//! `lower()` folds only A–Z; PostgreSQL's follows the locale).

use unicode_normalization::UnicodeNormalization;

/// The form text is searched in: compatibility-normalised (full-width ＡＢＣ and １２３ read as
/// ABC and 123, ① as 1) and lower-cased by Unicode's rules (Ä as ä, Ω as ω).
pub fn search_key(text: &str) -> String {
    text.nfkc().collect::<String>().to_lowercase()
}

/// Several fields in one searchable text, one per line: a query is one line, so it never
/// matches across two fields.
pub fn joined_key(fields: &[&str]) -> String {
    search_key(&fields.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_width_and_script_fold_alike() {
        assert_eq!(
            search_key("ÄÖ İstanbul Ωmega"),
            search_key("äö i̇stanbul ωMEGA")
        );
        assert_eq!(search_key("页面编辑名称ＡＢＣ全角"), "页面编辑名称abc全角");
        assert_eq!(search_key("ＴＲＹ－１２３"), "try-123");
        assert_eq!(search_key("桃花江大道"), "桃花江大道");
        assert!(joined_key(&["资江大道", "ZJ-009", "", "交通"]).contains("zj-009"));
        assert!(!joined_key(&["资江大道", "ZJ-009"]).contains("大道zj"));
    }
}

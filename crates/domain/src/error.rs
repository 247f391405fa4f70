use serde::Serialize;

/// One problem with one input field: a machine-readable code and a Chinese message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// All field errors of one submission, so a form can show every message at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    /// Every problem, in the order found.
    pub fn all(&self) -> &[FieldError] {
        &self.0
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn new() -> Self {
        Self::default()
    }
    pub fn single(
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self(vec![FieldError::new(field, code, message)])
    }
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }
    pub fn add(&mut self, field: &str, code: &'static str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
    /// Collects the error of a fallible parse and returns its value if it succeeded.
    pub fn check<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }
    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
    /// The errors found, never empty: a value missing without a recorded reason still refuses
    /// the input instead of panicking.
    pub fn refused(mut self) -> ValidationErrors {
        if self.is_empty() {
            self.add("", "invalid", "输入有误，请检查后重试");
        }
        self
    }
}

/// The messages only, joined: what a person reads. Field names are for machines (the API's
/// `fields`), never for a page.
impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<&str> = self.0.iter().map(|e| e.message.as_str()).collect();
        f.write_str(&parts.join("；"))
    }
}

impl std::error::Error for ValidationErrors {}

/// A character no stored text may hold: control characters other than line breaks and tabs
/// (pages and documents would send them raw), and the
/// bidirectional overrides, embeddings and isolates, which make the text around them display
/// reversed (a unit name that reorders its neighbours in a 责任单位 cell); and the characters
/// that show nothing at all — the zero-width space, the word joiner, the byte-order mark — or
/// break lines where no line break is expected (U+2028, U+2029), and the noncharacters: a
/// title of zero-width spaces looked blank, and one more of them made a title that looks the
/// same as one registered a moment ago pass as different. So are the other characters that
/// show nothing in a name — the joiners and the direction marks (a unit 「县财政局」 with one
/// inside sat beside the real one, looking the same), the soft hyphen, the Hangul fillers, the
/// tag characters — and the noncharacters. Emoji variation selectors are kept (a phone adds
/// them to a typed ❤).
pub fn invisible_control(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        || matches!(
            c,
            '\u{00ad}'
                | '\u{061c}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{fdd0}'..='\u{fdef}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{e0000}'..='\u{e007f}'
        )
        // U+FFFE and U+FFFF of every plane
        || (c as u32) & 0xfffe == 0xfffe
}

/// The first text anywhere in `value` (its strings and map keys as it serialises) holding an
/// [`invisible_control`], refused at `field`: for documents of many free-text fields (the
/// self-evaluation ledger), which a check per field would miss the next field added to.
pub fn no_invisible_controls<T: serde::Serialize>(
    field: &str,
    label: &str,
    value: &T,
) -> Result<(), FieldError> {
    fn first(v: &serde_json::Value) -> Option<&str> {
        match v {
            serde_json::Value::String(s) => s.chars().any(invisible_control).then_some(s),
            serde_json::Value::Array(items) => items.iter().find_map(first),
            serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
                if k.chars().any(invisible_control) {
                    Some(k.as_str())
                } else {
                    first(v)
                }
            }),
            _ => None,
        }
    }
    let Ok(v) = serde_json::to_value(value) else {
        return Ok(());
    };
    match first(&v) {
        None => Ok(()),
        Some(text) => {
            let shown: String = text
                .chars()
                .map(|c| if invisible_control(c) { '□' } else { c })
                .collect();
            Err(FieldError::new(
                field,
                "invalid_chars",
                format!(
                    "{label}中“{}”含有不可见的控制字符（□处），请删去后再保存",
                    echoed(&shown)
                ),
            ))
        }
    }
}

/// A refused value as a message quotes it: its first 20 characters, then “…” (an edited
/// link can carry thousands, and the message should not repeat them).
pub fn echoed(value: &str) -> String {
    const SHOWN: usize = 20;
    let value = value.trim();
    match value.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_string(),
    }
}

/// A positive whole number typed into a filter or a link (an id, a year): none when empty, a
/// message at `field` when it is not one.
pub fn positive_number(field: &str, label: &str, text: &str) -> Result<Option<i64>, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i64>() {
        Ok(n) if n >= 1 => Ok(Some(n)),
        _ => Err(FieldError::new(
            field,
            "invalid_number",
            format!("{label}“{}”无效", echoed(text)),
        )),
    }
}

/// A page number or page size from a link: none when empty; a whole number is kept, 0 and
/// below as 1 and one too long to read as the largest (the list then clamps it to its last
/// page or its largest size); anything else is a message at `field`.
pub fn page_number(field: &str, label: &str, text: &str) -> Result<Option<i64>, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new(
            field,
            "invalid_number",
            format!("{label}“{}”无效，应为数字", echoed(text)),
        ));
    }
    Ok(Some(match text.parse::<i64>() {
        Ok(n) => n.max(1),
        Err(_) if text.starts_with('-') => 1,
        Err(_) => i64::MAX,
    }))
}

/// Checks a required or optional text field's length in characters (not bytes).
pub fn check_text(
    field: &str,
    label: &str,
    value: &str,
    required: bool,
    max_chars: usize,
) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        if required {
            return Err(FieldError::new(field, "required", format!("请填写{label}")));
        }
        return Ok(String::new());
    }
    let n = v.chars().count();
    if n > max_chars {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("{label}不能超过{max_chars}个字（现为{n}个字）"),
        ));
    }
    if v.chars().any(invisible_control) {
        return Err(FieldError::new(
            field,
            "invalid_chars",
            format!("{label}含有不可见的控制字符"),
        ));
    }
    Ok(v.to_string())
}

/// A one-line text field (a name, a title): [`check_text`], and no line break or tab inside, which
/// a select, a cell or a heading would show broken and which makes 「县\n财政局」 pass as other
/// than 「县财政局」.
pub fn check_line(
    field: &str,
    label: &str,
    value: &str,
    required: bool,
    max_chars: usize,
) -> Result<String, FieldError> {
    let v = check_text(field, label, value, required, max_chars)?;
    if v.contains(['\n', '\r', '\t']) {
        return Err(FieldError::new(
            field,
            "invalid_chars",
            format!("{label}不能含有换行或制表符"),
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_has_no_break_or_tab_inside() {
        assert_eq!(
            check_line("name", "单位名称", " 县财政局\n", true, 60).unwrap(),
            "县财政局"
        );
        for v in ["县\n财政局", "县\r\n财政局", "县\t财政局"] {
            let e = check_line("name", "单位名称", v, true, 60).unwrap_err();
            assert_eq!(
                (e.code, e.message.as_str()),
                ("invalid_chars", "单位名称不能含有换行或制表符")
            );
        }
    }

    #[test]
    fn text_length_is_counted_in_characters() {
        assert!(check_text("name", "项目名称", &"桃".repeat(100), true, 100).is_ok());
        let e = check_text("name", "项目名称", &"桃".repeat(101), true, 100).unwrap_err();
        assert_eq!(e.code, "too_long");
        assert!(e.message.contains("100"));
        assert_eq!(
            check_text("name", "项目名称", "  ", true, 10)
                .unwrap_err()
                .code,
            "required"
        );
        assert_eq!(check_text("x", "备注", "", false, 10).unwrap(), "");
        assert_eq!(
            check_text("x", "备注", "a\u{0}b", false, 10)
                .unwrap_err()
                .code,
            "invalid_chars"
        );
    }
}

#[cfg(test)]
mod page_and_echo_tests {
    use super::*;

    #[test]
    fn bidirectional_overrides_and_controls_are_refused_line_breaks_kept() {
        for bad in [
            "a\u{1f}b",
            "a\u{1e}",
            "\u{0}",
            "a\u{85}b",
            "r\u{202e}qt",
            "\u{2066}x\u{2069}",
            "\u{200b}\u{200b}",
            "城南路\u{200b}征拆",
            "\u{feff}标题",
            "a\u{2028}b",
            "a\u{ffff}",
            "a\u{1ffff}",
            "a\u{fdd0}",
            "县财\u{200e}政局",
            "县财\u{200d}政局",
            "县财\u{ad}政局",
            "\u{3164}\u{3164}",
            "a\u{e0041}",
        ] {
            assert_eq!(
                check_text("name", "名称", bad, true, 60).unwrap_err().code,
                "invalid_chars",
                "{bad:?}"
            );
        }
        assert!(check_text("name", "名称", "第一行\n第二行\t完", true, 60).is_ok());
        // an emoji with its variation selector, as a phone types it
        assert!(check_text("name", "名称", "点赞\u{2764}\u{fe0f}", true, 60).is_ok());
    }

    #[test]
    fn a_document_names_its_first_text_with_a_control_character() {
        #[derive(serde::Serialize)]
        struct Doc {
            name: String,
            parts: Vec<(String, i64)>,
        }
        let clean = Doc {
            name: "中心\n办公室".into(),
            parts: vec![("甲".into(), 1)],
        };
        assert!(no_invisible_controls("ledger", "账表", &clean).is_ok());
        let dirty = Doc {
            parts: vec![("甲".into(), 1), ("内设\u{1e}机构".into(), 2)],
            ..clean
        };
        let e = no_invisible_controls("ledger", "账表", &dirty).unwrap_err();
        assert_eq!((e.field.as_str(), e.code), ("ledger", "invalid_chars"));
        assert!(e.message.contains("“内设□机构”"), "{}", e.message);
        let mut keyed = std::collections::BTreeMap::new();
        keyed.insert("说明\u{0}", 1);
        assert!(no_invisible_controls("ledger", "账表", &keyed).is_err());
    }

    #[test]
    fn page_numbers_are_clamped_not_refused() {
        let page = |s: &str| page_number("page", "页码", s);
        assert_eq!(page(""), Ok(None));
        assert_eq!(page(" 3 "), Ok(Some(3)));
        assert_eq!(page("0"), Ok(Some(1)));
        assert_eq!(page("-7"), Ok(Some(1)));
        assert_eq!(page("+2"), Ok(Some(2)));
        assert_eq!(page("99999999999999999999"), Ok(Some(i64::MAX)));
        assert_eq!(page("-99999999999999999999"), Ok(Some(1)));
        for bad in ["abc", "1.5", "-", "二", "1e3"] {
            let e = page(bad).unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.code),
                ("page", "invalid_number"),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_refused_value_is_quoted_short() {
        assert_eq!(echoed(" 红 "), "红");
        let long = "a".repeat(5000);
        assert_eq!(echoed(&long), format!("{}…", "a".repeat(20)));
        let chinese = "很".repeat(21);
        assert_eq!(echoed(&chinese), format!("{}…", "很".repeat(20)));
        let e = positive_number("unit", "承办单位", &long).unwrap_err();
        assert!(e.message.chars().count() < 40, "{}", e.message);
    }
}

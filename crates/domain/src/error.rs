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
    if v.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(FieldError::new(
            field,
            "invalid_chars",
            format!("{label}含有不可见的控制字符"),
        ));
    }
    Ok(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

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

//! Password policy (等保 2.0 身份鉴别): length and character classes, configurable.

use crate::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_length: usize,
    /// How many of the four classes (lower, upper, digit, symbol) are required.
    pub min_classes: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_length: 12,
            min_classes: 3,
        }
    }
}

/// Longest password accepted: long passphrases are fine, unbounded input is not.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// The 10,000 passwords guessers try first (see `data/README.md`), one per line, lower case.
static COMMON_LIST: &str = include_str!("../data/common-passwords.txt");

fn common() -> &'static std::collections::HashSet<&'static str> {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    SET.get_or_init(|| COMMON_LIST.lines().filter(|l| !l.is_empty()).collect())
}

/// Undoes the usual substitutions (`P@ssw0rd` → `password`).
fn unleet(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '@' | '4' => 'a',
            '0' => 'o',
            '1' | '!' | '|' => 'i',
            '3' => 'e',
            '$' | '5' => 's',
            '7' | '+' => 't',
            '8' => 'b',
            '9' => 'g',
            c => c,
        })
        .collect()
}

/// Whether a password is a common one dressed up to pass the class rule: the password itself,
/// or its letters once the digits and symbols before and after them are cut off (`Password1234`,
/// `!Qwerty2022`), with the usual substitutions undone, is on the list.
pub fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    let candidates = [
        lower.clone(),
        core.to_string(),
        unleet(&lower),
        unleet(&lower)
            .trim_matches(|c: char| !c.is_alphabetic())
            .to_string(),
    ];
    candidates
        .iter()
        .any(|c| c.chars().count() >= 4 && common().contains(c.as_str()))
}

/// Keyboard rows and columns people walk along (`qwerty`, `1qaz2wsx`…).
const WALKS: [&str; 6] = [
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1234567890",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "zaq1xsw2cde3vfr4bgt5nhy6mju7ki8lo9p0",
];

/// The digit under each shifted symbol of a keyboard (`!@#` → `123`).
fn unshift(c: char) -> char {
    match c {
        '!' => '1',
        '@' => '2',
        '#' => '3',
        '$' => '4',
        '%' => '5',
        '^' => '6',
        '&' => '7',
        '*' => '8',
        '(' => '9',
        ')' => '0',
        c => c,
    }
}

/// A piece that adds nothing to a guesser's work: short, common, repeated, a run of letters or
/// digits, a keyboard walk, or a year.
fn trivial_piece(t: &str) -> bool {
    let chars: Vec<char> = t.chars().collect();
    let n = chars.len();
    if n <= 2 || common().contains(t) || common().contains(unleet(t).as_str()) {
        return true;
    }
    if chars.iter().all(|c| *c == chars[0]) {
        return true;
    }
    let up = chars
        .windows(2)
        .all(|w| w[1] as i32 - w[0] as i32 == 1 || (w[0] == '9' && w[1] == '0'));
    let down = chars.windows(2).all(|w| w[0] as i32 - w[1] as i32 == 1);
    if up || down {
        return true;
    }
    if n == 4 && t.parse::<u32>().is_ok_and(|y| (1950..=2049).contains(&y)) {
        return true;
    }
    let walked: String = chars.iter().map(|c| unshift(*c)).collect();
    WALKS.iter().any(|w| {
        let back: String = w.chars().rev().collect();
        w.contains(&walked) || back.contains(&walked)
    })
}

/// Whether every piece of the password (runs of letters, of digits, of symbols) is trivial, or
/// the whole is a keyboard walk: `Aa123456789!`, `Abc123456789`, `1qaz@WSX3edc`, `Taojiang@2022`.
pub fn is_trivial(password: &str) -> bool {
    let lower = password.to_lowercase();
    let walked: String = lower.chars().map(unshift).collect();
    if WALKS.iter().any(|w| w.contains(&walked)) {
        return true;
    }
    let class = |c: char| {
        if c.is_alphabetic() {
            0
        } else if c.is_ascii_digit() {
            1
        } else {
            2
        }
    };
    let mut pieces: Vec<String> = vec![];
    for c in lower.chars() {
        match pieces.last_mut() {
            Some(p) if p.chars().last().map(class) == Some(class(c)) => p.push(c),
            _ => pieces.push(c.to_string()),
        }
    }
    pieces.iter().all(|p| trivial_piece(p))
}

/// Whether the password contains a name of the account (forwards or backwards), ignoring case.
fn contains_name(password: &str, name: &str) -> bool {
    let p = password.to_lowercase();
    let n = name.trim().to_lowercase();
    // Two Chinese characters are a name; two Latin letters are in too many passwords.
    let shortest = if n.is_ascii() { 3 } else { 2 };
    if n.chars().count() < shortest {
        return false;
    }
    let reversed: String = n.chars().rev().collect();
    p.contains(&n) || p.contains(&reversed)
}

impl PasswordPolicy {
    /// Checks a new password; `names` are the account's username and display name.
    pub fn check(&self, password: &str, names: &[&str]) -> Result<(), FieldError> {
        let n = password.chars().count();
        if n < self.min_length {
            return Err(FieldError::new(
                "new_password",
                "too_short",
                format!("密码长度至少{}位", self.min_length),
            ));
        }
        if n > MAX_PASSWORD_CHARS {
            return Err(FieldError::new(
                "new_password",
                "too_long",
                format!("密码长度不能超过{MAX_PASSWORD_CHARS}位"),
            ));
        }
        let classes = [
            password.chars().any(|c| c.is_ascii_lowercase()),
            password.chars().any(|c| c.is_ascii_uppercase()),
            password.chars().any(|c| c.is_ascii_digit()),
            password.chars().any(|c| !c.is_ascii_alphanumeric()),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if classes < self.min_classes {
            return Err(FieldError::new(
                "new_password",
                "too_simple",
                format!(
                    "密码须包含小写字母、大写字母、数字、符号中的至少{}类",
                    self.min_classes
                ),
            ));
        }
        if names.iter().any(|name| contains_name(password, name)) {
            return Err(FieldError::new(
                "new_password",
                "contains_username",
                "密码不能包含用户名或姓名",
            ));
        }
        if is_common(password) {
            return Err(FieldError::new(
                "new_password",
                "common",
                "该密码过于常见（常用密码加数字或符号也容易被猜中），请换一个",
            ));
        }
        if is_trivial(password) {
            return Err(FieldError::new(
                "new_password",
                "common",
                "该密码由常用词、连续或重复的字符、键盘顺序或年份拼成，容易被猜中，请换一个",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        let p = PasswordPolicy::default();
        assert!(p.check("Zishui-Bridge-7391", &["staff"]).is_ok());
        assert_eq!(p.check("Short1!", &["x"]).unwrap_err().code, "too_short");
        assert_eq!(
            p.check("alllowercaseletters", &["x"]).unwrap_err().code,
            "too_simple"
        );
        assert_eq!(
            p.check("lowercase12345678", &["x"]).unwrap_err().code,
            "too_simple"
        );
        assert!(p.check("lowercase1234567!", &["x"]).is_ok());
        assert_eq!(
            p.check("Staff-Taojiang-1", &["staff"]).unwrap_err().code,
            "contains_username"
        );
        assert_eq!(p.check("Password@123", &["x"]).unwrap_err().code, "common");
        assert_eq!(
            p.check(&"Aa1!".repeat(40), &["x"]).unwrap_err().code,
            "too_long"
        );
        let lax = PasswordPolicy {
            min_length: 8,
            min_classes: 2,
        };
        assert!(lax.check("kxqzvbnw1", &["x"]).is_ok());
    }

    #[test]
    fn common_passwords_in_disguise() {
        let p = PasswordPolicy::default();
        for weak in [
            "Password1234",
            "P@ssw0rd2022!",
            "Qwerty123456!",
            "!!Iloveyou2022",
            "Woaini1314@@",
            "Dragon-202212",
            "Baseball#1990",
        ] {
            assert_eq!(p.check(weak, &["x"]).unwrap_err().code, "common", "{weak}");
        }
        assert!(is_common("123456"));
        assert!(!is_common("Zishui-Bridge-7391"));
        assert!(p.check("Blue-Bridge-Over-9", &["x"]).is_ok());
        // found in review: made of trivial pieces, each alone would pass the list
        for weak in [
            "1qaz@WSX3edc",
            "Aa123456789!",
            "Aa1234567890",
            "Abc123456789",
            "Abcdefghijk1",
            "ABCDEFGH123!",
            "Aaaaaaaaaaa1",
            "12345678Abc!",
            "Huawei@12345",
            "Taojiang@2022",
            "Qwer1234!@#$",
        ] {
            assert_eq!(p.check(weak, &["x"]).unwrap_err().code, "common", "{weak}");
        }
    }

    #[test]
    fn names_of_the_account() {
        let p = PasswordPolicy::default();
        assert_eq!(
            p.check("Ffats-Taojiang-9", &["staff", "张三"])
                .unwrap_err()
                .code,
            "contains_username"
        );
        assert_eq!(
            p.check("张三-Taojiang-2022", &["zs", "张三"])
                .unwrap_err()
                .code,
            "contains_username"
        );
        // short ASCII names are too common a substring to refuse on
        assert!(p.check("Kx-Zishui-Bridge-9", &["kx", "王"]).is_ok());
    }
}

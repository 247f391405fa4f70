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

/// Passwords that meet the class rule but every guesser tries first.
const COMMON: &[&str] = &[
    "Password@123",
    "P@ssw0rd1234",
    "Admin@123456",
    "Qwer1234!@#$",
    "Aa123456789!",
    "Abcd@1234567",
];

impl PasswordPolicy {
    pub fn check(&self, password: &str, username: &str) -> Result<(), FieldError> {
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
        if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
            return Err(FieldError::new(
                "new_password",
                "contains_username",
                "密码不能包含用户名",
            ));
        }
        if COMMON.iter().any(|c| c.eq_ignore_ascii_case(password)) {
            return Err(FieldError::new(
                "new_password",
                "common",
                "该密码过于常见，请换一个",
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
        assert!(p.check("Taojiang-2022-ok", "staff").is_ok());
        assert_eq!(p.check("Short1!", "x").unwrap_err().code, "too_short");
        assert_eq!(
            p.check("alllowercaseletters", "x").unwrap_err().code,
            "too_simple"
        );
        assert_eq!(
            p.check("lowercase12345678", "x").unwrap_err().code,
            "too_simple"
        );
        assert!(p.check("lowercase1234567!", "x").is_ok());
        assert_eq!(
            p.check("Staff-Taojiang-1", "staff").unwrap_err().code,
            "contains_username"
        );
        assert_eq!(p.check("Password@123", "x").unwrap_err().code, "common");
        assert_eq!(
            p.check(&"Aa1!".repeat(40), "x").unwrap_err().code,
            "too_long"
        );
        let lax = PasswordPolicy {
            min_length: 8,
            min_classes: 2,
        };
        assert!(lax.check("abcdefg1", "x").is_ok());
    }
}

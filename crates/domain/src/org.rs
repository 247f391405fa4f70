//! The organisation model: kinds of units.

crate::keyed_enum!(
    /// A unit (单位) by its kind. Stored as the stable English key; shown in Chinese.
    pub enum UnitKind, "单位类型" {
        CountyGovernment => "county_government", "县委县政府";
        Center => "center", "重点项目建设事务中心";
        Department => "department", "部门";
        Township => "township", "乡镇/街道";
        Park => "park", "园区";
        Enterprise => "enterprise", "企业/业主";
    }
);

impl UnitKind {
    /// Townships and parks are where projects are located.
    pub fn is_place(self) -> bool {
        matches!(self, UnitKind::Township | UnitKind::Park)
    }
}

use crate::error::{FieldError, ValidationErrors, check_text};
use serde::{Deserialize, Serialize};

/// A telephone number as people write them (digits, spaces, + and -).
pub fn check_phone(phone: &str) -> Result<String, FieldError> {
    let p = check_text("phone", "联系电话", phone, false, 30)?;
    if !p
        .chars()
        .all(|c| c.is_ascii_digit() || c == '-' || c == ' ' || c == '+')
    {
        return Err(FieldError::new(
            "phone",
            "invalid_phone",
            "联系电话只能包含数字、空格、+ 和 -",
        ));
    }
    Ok(p)
}

/// A unit as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UnitDraft {
    pub name: String,
    pub kind: String,
    pub contact: String,
    pub phone: String,
    pub sort_order: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitFields {
    pub name: String,
    pub kind: UnitKind,
    pub contact: String,
    pub phone: String,
    pub sort_order: i64,
}

impl UnitDraft {
    pub fn validate(&self) -> Result<UnitFields, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = e.check(check_text("name", "单位名称", &self.name, true, 60));
        let kind = UnitKind::from_input(&self.kind);
        if kind.is_none() {
            e.add(
                "kind",
                "unknown_value",
                format!("单位类型“{}”无效", self.kind),
            );
        }
        let contact = e.check(check_text("contact", "联系人", &self.contact, false, 30));
        let phone = e.check(check_phone(&self.phone));
        match (name, kind, contact, phone) {
            (Some(name), Some(kind), Some(contact), Some(phone)) if e.is_empty() => {
                Ok(UnitFields {
                    name,
                    kind,
                    contact,
                    phone,
                    sort_order: self.sort_order,
                })
            }
            _ => Err(e),
        }
    }
}

/// A county leader as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LeaderDraft {
    pub name: String,
    pub title: String,
    pub phone: String,
    pub sort_order: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaderFields {
    pub name: String,
    pub title: String,
    pub phone: String,
    pub sort_order: i64,
}

impl LeaderDraft {
    pub fn validate(&self) -> Result<LeaderFields, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = e.check(check_text("name", "姓名", &self.name, true, 30));
        let title = e.check(check_text("title", "职务", &self.title, false, 60));
        let phone = e.check(check_phone(&self.phone));
        match (name, title, phone) {
            (Some(name), Some(title), Some(phone)) if e.is_empty() => Ok(LeaderFields {
                name,
                title,
                phone,
                sort_order: self.sort_order,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_leaders_are_checked_field_by_field() {
        let u = UnitDraft {
            name: " 县自然资源局 ".into(),
            kind: "部门".into(),
            phone: "0737-8888888".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(
            (u.name.as_str(), u.kind),
            ("县自然资源局", UnitKind::Department)
        );
        let e = UnitDraft {
            kind: "公司".into(),
            phone: "电话".into(),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        for f in ["name", "kind", "phone"] {
            assert!(e.for_field(f).is_some(), "{f}");
        }
        assert!(LeaderDraft::default().validate().is_err());
    }
}

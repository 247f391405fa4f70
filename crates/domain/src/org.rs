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

use crate::error::{FieldError, ValidationErrors, check_line, check_text};
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

/// The characters that separate several units in one cell of an import or a list (责任单位
/// “住建局、规划局”), so no single unit's name may contain them.
pub const UNIT_NAME_SEPARATORS: [char; 5] = ['、', ',', '，', ';', '；'];

/// A unit's name: required, at most 60 characters, and never readable as several units.
pub fn check_unit_name(name: &str) -> Result<String, FieldError> {
    let n = check_line("name", "单位名称", name, true, 60)?;
    if n.contains(UNIT_NAME_SEPARATORS) {
        return Err(FieldError::new(
            "name",
            "invalid_chars",
            "单位名称不能包含顿号、逗号或分号（导入和列表用它们分隔多个单位）",
        ));
    }
    Ok(n)
}

/// A county leader's name: required, at most 30 characters, and one person (an import's
/// 县级联系领导 「周建国、李文华」 is two leaders, not one named so).
pub fn check_leader_name(name: &str) -> Result<String, FieldError> {
    let n = check_line("name", "姓名", name, true, 30)?;
    if n.contains(UNIT_NAME_SEPARATORS) {
        return Err(FieldError::new(
            "name",
            "invalid_chars",
            "姓名不能包含顿号、逗号或分号（一栏只填一位领导）",
        ));
    }
    Ok(n)
}

/// The place in a list: a small whole number, so every form and the API agree on its range.
pub fn check_sort_order(sort_order: i64) -> Result<i64, FieldError> {
    if (0..=9999).contains(&sort_order) {
        Ok(sort_order)
    } else {
        Err(FieldError::new(
            "sort_order",
            "out_of_range",
            "排序号应为0到9999之间的整数",
        ))
    }
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
        let name = e.check(check_unit_name(&self.name));
        let kind = e.check(UnitKind::parse("kind", &self.kind));
        let contact = e.check(check_line("contact", "联系人", &self.contact, false, 30));
        let phone = e.check(check_phone(&self.phone));
        let sort_order = e.check(check_sort_order(self.sort_order));
        match (name, kind, contact, phone, sort_order) {
            (Some(name), Some(kind), Some(contact), Some(phone), Some(sort_order))
                if e.is_empty() =>
            {
                Ok(UnitFields {
                    name,
                    kind,
                    contact,
                    phone,
                    sort_order,
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
        let name = e.check(check_leader_name(&self.name));
        let title = e.check(check_line("title", "职务", &self.title, false, 60));
        let phone = e.check(check_phone(&self.phone));
        let sort_order = e.check(check_sort_order(self.sort_order));
        match (name, title, phone, sort_order) {
            (Some(name), Some(title), Some(phone), Some(sort_order)) if e.is_empty() => {
                Ok(LeaderFields {
                    name,
                    title,
                    phone,
                    sort_order,
                })
            }
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

    #[test]
    fn a_unit_name_cannot_read_as_several_units_and_sort_orders_are_bounded() {
        for name in [
            "住建局、规划局",
            "住建局,规划局",
            "住建局，规划局",
            "住建局;规划局",
            "住建局；规划局",
        ] {
            let e = UnitDraft {
                name: name.into(),
                kind: "部门".into(),
                ..Default::default()
            }
            .validate()
            .unwrap_err();
            assert!(e.for_field("name").is_some(), "{name}");
        }
        let e = LeaderDraft {
            name: "周建国、李文华".into(),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.for_field("name").is_some());
        for sort_order in [-1, 10_000, i64::MAX, i64::MIN] {
            let unit = UnitDraft {
                name: "县住建局".into(),
                kind: "部门".into(),
                sort_order,
                ..Default::default()
            };
            assert!(
                unit.validate()
                    .unwrap_err()
                    .for_field("sort_order")
                    .is_some()
            );
            let leader = LeaderDraft {
                name: "张三".into(),
                sort_order,
                ..Default::default()
            };
            assert!(
                leader
                    .validate()
                    .unwrap_err()
                    .for_field("sort_order")
                    .is_some()
            );
        }
        let edge = UnitDraft {
            name: "县住建局".into(),
            kind: "部门".into(),
            sort_order: 9999,
            ..Default::default()
        };
        assert_eq!(edge.validate().unwrap().sort_order, 9999);
    }
}

//! The organisation model: kinds of units.

use serde::{Deserialize, Serialize};

/// A unit (单位) by its kind. Stored as the stable English key; shown in Chinese.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// 县委县政府
    CountyGovernment,
    /// 重点项目建设事务中心
    Center,
    /// 部门
    Department,
    /// 乡镇/街道
    Township,
    /// 园区
    Park,
    /// 企业/业主
    Enterprise,
}

impl UnitKind {
    pub const ALL: [UnitKind; 6] = [
        UnitKind::CountyGovernment,
        UnitKind::Center,
        UnitKind::Department,
        UnitKind::Township,
        UnitKind::Park,
        UnitKind::Enterprise,
    ];
    pub fn key(self) -> &'static str {
        match self {
            UnitKind::CountyGovernment => "county_government",
            UnitKind::Center => "center",
            UnitKind::Department => "department",
            UnitKind::Township => "township",
            UnitKind::Park => "park",
            UnitKind::Enterprise => "enterprise",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            UnitKind::CountyGovernment => "县委县政府",
            UnitKind::Center => "重点项目建设事务中心",
            UnitKind::Department => "部门",
            UnitKind::Township => "乡镇/街道",
            UnitKind::Park => "园区",
            UnitKind::Enterprise => "企业/业主",
        }
    }
    pub fn from_key(s: &str) -> Option<UnitKind> {
        UnitKind::ALL
            .into_iter()
            .find(|k| k.key() == s || k.label() == s)
    }
    /// Townships and parks are where projects are located.
    pub fn is_place(self) -> bool {
        matches!(self, UnitKind::Township | UnitKind::Park)
    }
}

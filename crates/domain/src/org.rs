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

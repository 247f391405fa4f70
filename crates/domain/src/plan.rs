//! The annual key-project plan (年度计划): per project and year, the category, the planned
//! investment with an optional monthly split, targets and milestone nodes.

use crate::error::{FieldError, ValidationErrors, check_text};
use crate::money::Money;
use crate::month::ReportMonth;
use serde::{Deserialize, Serialize};

crate::keyed_enum!(
    /// 年度类别: how the project counts in this year's plan.
    pub enum YearCategory, "年度类别" {
        UnderConstruction => "under_construction", "在建" | "在建项目";
        Preliminary => "preliminary", "前期" | "前期项目";
        PostSupport => "post_support", "后扶" | "后扶项目";
    }
);

pub const MIN_PLAN_YEAR: i32 = 2000;
pub const MAX_PLAN_YEAR: i32 = 2100;

pub fn check_year(field: &str, s: &str) -> Result<i32, FieldError> {
    let t = s.trim().trim_end_matches('年');
    t.parse::<i32>()
        .ok()
        .filter(|y| (MIN_PLAN_YEAR..=MAX_PLAN_YEAR).contains(y))
        .ok_or_else(|| {
            FieldError::new(
                field,
                "invalid_year",
                format!("年度应为{MIN_PLAN_YEAR}到{MAX_PLAN_YEAR}之间的年份，如 2022"),
            )
        })
}

/// A plan entry as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PlanDraft {
    pub category: String,
    pub annual_plan_wan: String,
    pub targets: String,
    /// 1月 … 12月 planned investment (万元); all empty means no split.
    pub monthly_wan: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFields {
    pub category: YearCategory,
    pub annual_plan: Money,
    pub targets: String,
    /// Either empty (no split) or exactly 12 amounts that add up to `annual_plan`.
    pub monthly: Vec<Money>,
}

impl PlanFields {
    /// Planned investment from January to `month` (own plan baseline), if the plan is split.
    pub fn cumulative_to(&self, month: u32) -> Option<Money> {
        if self.monthly.len() != 12 {
            return None;
        }
        Some(Money::from_fen(
            self.monthly
                .iter()
                .take(month.clamp(1, 12) as usize)
                .map(|m| m.fen())
                .sum(),
        ))
    }
}

impl PlanDraft {
    pub fn validate(&self) -> Result<PlanFields, ValidationErrors> {
        let mut errs = ValidationErrors::new();
        let category = errs.check(YearCategory::parse("category", &self.category));
        let annual = errs.check(Money::parse_wan(
            "annual_plan_wan",
            "年度计划投资",
            &self.annual_plan_wan,
        ));
        let targets = errs.check(check_text(
            "targets",
            "年度目标",
            &self.targets,
            false,
            1000,
        ));
        let mut monthly = vec![];
        if self.monthly_wan.iter().any(|m| !m.trim().is_empty()) {
            // Exactly twelve values or none: a short list is not padded with zeros, because
            // a sender who gave 11 months has most likely shifted every month by one.
            if self.monthly_wan.len() != 12 {
                errs.add(
                    "monthly_wan",
                    "twelve_months",
                    format!(
                        "月度计划须为1–12月共12个数（收到{}个）；不分月请留空",
                        self.monthly_wan.len()
                    ),
                );
            }
            for i in 0..12 {
                let v = self.monthly_wan.get(i).map(String::as_str).unwrap_or("");
                let field = format!("month_{}", i + 1);
                let label = format!("{}月计划投资", i + 1);
                if v.trim().is_empty() {
                    monthly.push(Money::ZERO);
                } else if let Some(m) = errs.check(Money::parse_wan(&field, &label, v)) {
                    monthly.push(m);
                }
            }
            if monthly.len() == 12
                && let Some(a) = annual
            {
                let sum: i64 = monthly.iter().map(|m| m.fen()).sum();
                if sum != a.fen() {
                    errs.add(
                        "monthly_wan",
                        "split_mismatch",
                        format!(
                            "1–12月计划之和（{}万元）应等于年度计划投资（{}万元）",
                            Money::from_fen(sum).wan_2dp(),
                            a.wan_2dp()
                        ),
                    );
                }
            }
        }
        let (Some(category), Some(annual)) = (category, annual) else {
            return Err(errs.refused());
        };
        errs.into_result()?;
        Ok(PlanFields {
            category,
            annual_plan: annual,
            targets: targets.unwrap_or_default(),
            monthly,
        })
    }
}

/// A milestone node (节点目标) of a plan.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MilestoneDraft {
    pub name: String,
    pub planned_month: String,
    pub actual_month: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneFields {
    pub name: String,
    pub planned_month: ReportMonth,
    pub actual_month: Option<ReportMonth>,
}

impl MilestoneDraft {
    pub fn validate(&self) -> Result<MilestoneFields, ValidationErrors> {
        let mut errs = ValidationErrors::new();
        let name = errs.check(check_text("name", "节点名称", &self.name, true, 60));
        let planned = errs.check(ReportMonth::parse(
            "planned_month",
            "计划完成月份",
            &self.planned_month,
        ));
        let actual = errs.check(ReportMonth::parse_opt(
            "actual_month",
            "实际完成月份",
            &self.actual_month,
        ));
        let Some(planned) = planned else {
            return Err(errs.refused());
        };
        errs.into_result()?;
        Ok(MilestoneFields {
            name: name.unwrap_or_default(),
            planned_month: planned,
            actual_month: actual.flatten(),
        })
    }
}

/// Months a milestone is overdue at `as_of` (0 when done or not yet due).
pub fn milestone_months_late(m: &MilestoneFields, as_of: ReportMonth) -> i32 {
    if m.actual_month.is_some() {
        return 0;
    }
    m.planned_month.months_until(as_of).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(annual: &str, months: &[&str]) -> PlanDraft {
        PlanDraft {
            category: "在建".into(),
            annual_plan_wan: annual.into(),
            targets: "主体完工".into(),
            monthly_wan: months.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn split_must_add_up() {
        let ok = draft("1200", &["100"; 12]).validate().unwrap();
        assert_eq!(ok.cumulative_to(3), Some(Money::from_wan_int(300)));
        assert_eq!(ok.category, YearCategory::UnderConstruction);
        let e = draft("1000", &["100"; 12]).validate().unwrap_err();
        assert!(e.for_field("monthly_wan").unwrap().contains("1200.00万元"));
        let none = draft("1000", &[]).validate().unwrap();
        assert_eq!(none.cumulative_to(6), None);
        let mut partial = vec![""; 12];
        partial[11] = "1000";
        assert_eq!(
            draft("1000", &partial)
                .validate()
                .unwrap()
                .cumulative_to(11),
            Some(Money::ZERO)
        );
        let e = draft("x", &["a"]).validate().unwrap_err();
        assert!(e.for_field("annual_plan_wan").is_some() && e.for_field("month_1").is_some());
        // one or eleven months are refused, not padded with zeros
        for n in [1, 11, 13] {
            let months = vec!["100"; n];
            let e = draft("1200", &months).validate().unwrap_err();
            assert!(
                e.for_field("monthly_wan")
                    .unwrap()
                    .contains(&format!("收到{n}个")),
                "{n} months"
            );
        }
        // twelve fields of which all are empty: no split
        assert_eq!(
            draft("1000", &[""; 12]).validate().unwrap().monthly.len(),
            0
        );
    }

    #[test]
    fn categories_and_years() {
        assert_eq!(
            YearCategory::from_input("前期项目"),
            Some(YearCategory::Preliminary)
        );
        assert_eq!(
            YearCategory::parse("c", "储备").unwrap_err().code,
            "unknown_value"
        );
        assert_eq!(check_year("y", "2022年").unwrap(), 2022);
        assert!(check_year("y", "22").is_err());
    }

    #[test]
    fn milestone_lateness() {
        let m = MilestoneDraft {
            name: "主体完工".into(),
            planned_month: "2022-05".into(),
            actual_month: "".into(),
        }
        .validate()
        .unwrap();
        assert_eq!(
            milestone_months_late(&m, ReportMonth::new(2022, 4).unwrap()),
            0
        );
        assert_eq!(
            milestone_months_late(&m, ReportMonth::new(2022, 7).unwrap()),
            2
        );
        let done = MilestoneFields {
            actual_month: ReportMonth::new(2022, 8),
            ..m
        };
        assert_eq!(
            milestone_months_late(&done, ReportMonth::new(2022, 9).unwrap()),
            0
        );
    }
}

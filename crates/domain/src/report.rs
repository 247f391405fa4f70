//! Monthly reports (月报): what an owner reports, the review workflow, deadlines and the
//! cumulative figures computed from approved months only.

use crate::error::{FieldError, ValidationErrors, check_text};
use crate::money::Money;
use crate::month::ReportMonth;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

crate::keyed_enum!(
    /// Where a monthly report stands: 已报送 waiting for review, 审核通过 (the figures count),
    /// or 已退回 with a reason (the reporter corrects and submits again).
    pub enum ReportStatus, "月报状态" {
        Submitted => "submitted", "待审核";
        Approved => "approved", "审核通过";
        Returned => "returned", "已退回";
    }
);

/// What can happen to a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportAction {
    /// The reporter saves figures (first time, or again while not approved).
    Submit,
    Approve,
    Return,
    /// Staff correct an approved report: a new revision with a reason; it stays approved.
    Revise,
}

/// The state after `action`, or a Chinese reason why it may not happen.
pub fn next_status(
    current: Option<ReportStatus>,
    action: ReportAction,
) -> Result<ReportStatus, &'static str> {
    use ReportAction::*;
    use ReportStatus::*;
    match (current, action) {
        (None | Some(Submitted) | Some(Returned), Submit) => Ok(Submitted),
        (Some(Approved), Submit) => {
            Err("该月报已审核通过，如需更正请联系中心工作人员修订（须填写原因）")
        }
        (Some(Submitted), Approve) => Ok(Approved),
        (Some(Submitted), Return) => Ok(Returned),
        (None, Approve | Return | Revise) => Err("该月报尚未报送"),
        (Some(Approved), Approve | Return) => Err("该月报已审核通过"),
        (Some(Returned), Approve | Return) => Err("该月报已退回，等待重新报送"),
        (Some(Approved), Revise) => Ok(Approved),
        (Some(Submitted | Returned), Revise) => {
            Err("只有审核通过的月报需要修订，未审核的月报可直接修改")
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportDraft {
    pub month_investment_wan: String,
    pub progress: String,
    pub next_plan: String,
    pub problems: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportFields {
    pub month_investment: Money,
    pub progress: String,
    pub next_plan: String,
    pub problems: String,
}

impl ReportDraft {
    /// Whether the form still shows what was reported: 审核通过 confirms the reported figures,
    /// so figures changed on the page must not be approved silently.
    pub fn shows(&self, stored: &ReportFields) -> bool {
        Money::parse_wan(
            "month_investment_wan",
            "本月完成投资",
            &self.month_investment_wan,
        )
        .ok()
            == Some(stored.month_investment)
            && self.progress.trim() == stored.progress.trim()
            && self.next_plan.trim() == stored.next_plan.trim()
            && self.problems.trim() == stored.problems.trim()
    }
    pub fn validate(&self) -> Result<ReportFields, ValidationErrors> {
        let mut errs = ValidationErrors::new();
        let inv = errs.check(Money::parse_wan(
            "month_investment_wan",
            "本月完成投资",
            &self.month_investment_wan,
        ));
        let progress = errs.check(check_text(
            "progress",
            "形象进度",
            &self.progress,
            true,
            2000,
        ));
        let next_plan = errs.check(check_text(
            "next_plan",
            "下月计划",
            &self.next_plan,
            false,
            2000,
        ));
        let problems = errs.check(check_text(
            "problems",
            "存在问题及需协调事项",
            &self.problems,
            false,
            2000,
        ));
        let Some(inv) = inv else {
            return Err(errs.refused());
        };
        errs.into_result()?;
        Ok(ReportFields {
            month_investment: inv,
            progress: progress.unwrap_or_default(),
            next_plan: next_plan.unwrap_or_default(),
            problems: problems.unwrap_or_default(),
        })
    }
}

/// A correction needs its reason.
pub fn check_revision_reason(reason: &str) -> Result<String, FieldError> {
    check_text("reason", "修订原因", reason, true, 500)
}

/// The day the report of `month` is due: `deadline_day` of the following month (clamped to the
/// month's length).
pub fn due_date(month: ReportMonth, deadline_day: u32) -> NaiveDate {
    let next = month.next();
    let day = deadline_day.clamp(1, 28);
    NaiveDate::from_ymd_opt(next.year(), next.month(), day).expect("valid day")
}

/// Late when first submitted after its due date (local dates).
pub fn is_late(month: ReportMonth, deadline_day: u32, first_submitted_on: NaiveDate) -> bool {
    first_submitted_on > due_date(month, deadline_day)
}

/// Year-to-date and since-start totals for `month`, from approved monthly amounts
/// `(month, amount)` of one project (any order, any years).
pub fn cumulative(approved: &[(ReportMonth, Money)], month: ReportMonth) -> (Money, Money) {
    let mut ytd = 0i64;
    let mut all = 0i64;
    for (m, a) in approved {
        if *m <= month {
            all += a.fen();
            if m.year() == month.year() {
                ytd += a.fen();
            }
        }
    }
    (Money::from_fen(ytd), Money::from_fen(all))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(y: i32, mo: u32) -> ReportMonth {
        ReportMonth::new(y, mo).unwrap()
    }

    #[test]
    fn workflow() {
        use ReportAction::*;
        use ReportStatus::*;
        assert_eq!(next_status(None, Submit), Ok(Submitted));
        assert_eq!(next_status(Some(Submitted), Return), Ok(Returned));
        assert_eq!(next_status(Some(Returned), Submit), Ok(Submitted));
        assert_eq!(next_status(Some(Submitted), Approve), Ok(Approved));
        assert!(
            next_status(Some(Approved), Submit)
                .unwrap_err()
                .contains("修订")
        );
        assert_eq!(next_status(Some(Approved), Revise), Ok(Approved));
        assert!(next_status(None, Approve).is_err());
        assert!(next_status(Some(Returned), Approve).is_err());
    }

    proptest! {
        /// A report only becomes approved through an approval of a submitted report, and once
        /// approved nothing but a revision touches it.
        #[test]
        fn approval_needs_review(actions in proptest::collection::vec(0usize..4, 0..30)) {
            let all = [ReportAction::Submit, ReportAction::Approve, ReportAction::Return, ReportAction::Revise];
            let mut state: Option<ReportStatus> = None;
            for a in actions.into_iter().map(|i| all[i]) {
                let before = state;
                if let Ok(s) = next_status(state, a) {
                    if s == ReportStatus::Approved && before != Some(ReportStatus::Approved) {
                        prop_assert_eq!(before, Some(ReportStatus::Submitted));
                        prop_assert_eq!(a, ReportAction::Approve);
                    }
                    if before == Some(ReportStatus::Approved) {
                        prop_assert_eq!(s, ReportStatus::Approved);
                    }
                    state = Some(s);
                }
            }
        }
    }

    #[test]
    fn deadlines() {
        assert_eq!(
            due_date(m(2022, 3), 5),
            NaiveDate::from_ymd_opt(2022, 4, 5).unwrap()
        );
        assert_eq!(
            due_date(m(2022, 12), 5),
            NaiveDate::from_ymd_opt(2023, 1, 5).unwrap()
        );
        assert!(!is_late(
            m(2022, 3),
            5,
            NaiveDate::from_ymd_opt(2022, 4, 5).unwrap()
        ));
        assert!(is_late(
            m(2022, 3),
            5,
            NaiveDate::from_ymd_opt(2022, 4, 6).unwrap()
        ));
        assert_eq!(
            due_date(m(2022, 1), 31),
            NaiveDate::from_ymd_opt(2022, 2, 28).unwrap()
        );
    }

    #[test]
    fn cumulative_counts_only_up_to_the_month() {
        let w = Money::from_wan_int;
        let approved = [
            (m(2021, 11), w(50)),
            (m(2022, 1), w(100)),
            (m(2022, 2), w(200)),
            (m(2022, 4), w(400)),
        ];
        assert_eq!(cumulative(&approved, m(2022, 3)), (w(300), w(350)));
        assert_eq!(cumulative(&approved, m(2022, 12)), (w(700), w(750)));
        assert_eq!(cumulative(&approved, m(2021, 12)), (w(50), w(50)));
    }

    #[test]
    fn draft_errors() {
        let e = ReportDraft {
            month_investment_wan: "-1".into(),
            progress: "".into(),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.for_field("month_investment_wan").is_some() && e.for_field("progress").is_some());
    }
}

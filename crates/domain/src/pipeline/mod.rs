//! The pipeline (issue #11): 招商签约 — signing events and the projects signed at them, which
//! enter the project library when they reach the inclusion threshold — and 帮代办, the approval
//! items the center runs on a project's behalf, with their state machine and the working-day
//! clock that 补正 stops. Pure rules; the service stores and authorizes.

pub mod approvals;

use crate::error::{FieldError, ValidationErrors, check_text};
use crate::problem::calendar::{Calendar, DayCount};
use crate::problem::draft::parse_date;
use crate::project::Industry;
use crate::{Money, ReportMonth};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

crate::keyed_enum!(
    /// Who held a signing event (集中签约活动).
    pub enum SigningLevel, "签约活动级别" {
        Province => "province", "省级";
        City => "city", "市级";
        County => "county", "县级";
    }
);

/// A signing event as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EventDraft {
    pub name: String,
    /// 年-月-日
    pub held_on: String,
    pub place: String,
    pub organiser: String,
    pub level: String,
}

/// A signing event, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventFields {
    pub name: String,
    pub held_on: NaiveDate,
    pub place: String,
    pub organiser: String,
    pub level: SigningLevel,
}

impl EventDraft {
    pub fn validate(&self) -> Result<EventFields, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = e.check(check_text("name", "活动名称", &self.name, true, 100));
        let held_on = e.check(parse_date("held_on", "签约日期", &self.held_on));
        let place = e.check(check_text("place", "地点", &self.place, false, 100));
        let organiser = e.check(check_text(
            "organiser",
            "主办单位",
            &self.organiser,
            false,
            100,
        ));
        let level = e.check(SigningLevel::parse("level", &self.level));
        match (name, held_on, place, organiser, level) {
            (Some(name), Some(held_on), Some(place), Some(organiser), Some(level))
                if e.is_empty() =>
            {
                Ok(EventFields {
                    name,
                    held_on,
                    place,
                    organiser,
                    level,
                })
            }
            _ => Err(e),
        }
    }
}

/// A signed project (签约项目) as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SignedDraft {
    pub name: String,
    /// 投资方 (company)
    pub investor: String,
    /// 投资方来源地
    pub investor_origin: String,
    pub contract_no: String,
    /// 年-月-日
    pub contract_on: String,
    /// 协议投资（万元）
    pub agreed_investment_wan: String,
    pub industry: String,
    /// 预计开工 年-月 (may be empty)
    pub expected_start: String,
}

/// A signed project, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignedFields {
    pub name: String,
    pub investor: String,
    pub investor_origin: String,
    pub contract_no: String,
    pub contract_on: NaiveDate,
    pub agreed_investment: Money,
    pub industry: Industry,
    pub expected_start: Option<ReportMonth>,
}

/// Agreed investments above this are a typing error, not a county's project (1,000 亿元).
pub const MAX_AGREED_WAN: i64 = 10_000_000;

impl SignedDraft {
    pub fn validate(&self) -> Result<SignedFields, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = e.check(check_text("name", "项目名称", &self.name, true, 100));
        let investor = e.check(check_text("investor", "投资方", &self.investor, true, 100));
        let investor_origin = e.check(check_text(
            "investor_origin",
            "投资方来源地",
            &self.investor_origin,
            false,
            60,
        ));
        // a number typed in full width (ＴＪＺＳ－００１) is the same number
        let contract_no = e.check(check_text(
            "contract_no",
            "合同编号",
            &fold_width(&self.contract_no),
            true,
            60,
        ));
        let contract_on = e.check(parse_date("contract_on", "签约日期", &self.contract_on));
        let agreed = e.check(parse_agreed(&self.agreed_investment_wan));
        let industry = e.check(Industry::parse("industry", &self.industry));
        let expected_start = e
            .check(ReportMonth::parse_opt(
                "expected_start",
                "预计开工",
                &self.expected_start,
            ))
            .flatten();
        match (
            name,
            investor,
            investor_origin,
            contract_no,
            contract_on,
            agreed,
            industry,
        ) {
            (
                Some(name),
                Some(investor),
                Some(investor_origin),
                Some(contract_no),
                Some(contract_on),
                Some(agreed_investment),
                Some(industry),
            ) if e.is_empty() => Ok(SignedFields {
                name,
                investor,
                investor_origin,
                contract_no,
                contract_on,
                agreed_investment,
                industry,
                expected_start,
            }),
            _ => Err(e),
        }
    }
}

/// Whether a signed project enters the project library (at stage 签约): its agreed investment
/// reaches the region's inclusion threshold for its industry.
pub fn enters_library(agreed: Money, threshold: Money) -> bool {
    agreed >= threshold
}

/// Full-width letters, digits and signs (ＴＪＺＳ－００１) as their ASCII forms, so the same number
/// typed on a Chinese keyboard is the same number.
pub fn fold_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

/// An agreed investment typed in 万元: positive and below 1000亿元 (a unit mistake otherwise).
pub fn parse_agreed(s: &str) -> Result<Money, FieldError> {
    Money::parse_wan("agreed_investment_wan", "协议投资", s).and_then(|m| {
        if m.fen() <= 0 {
            Err(FieldError::new(
                "agreed_investment_wan",
                "not_positive",
                "协议投资应大于0",
            ))
        } else if m.fen() > MAX_AGREED_WAN * 1_000_000 {
            Err(FieldError::new(
                "agreed_investment_wan",
                "too_large",
                "协议投资超过1000亿元，请核对单位（万元）",
            ))
        } else {
            Ok(m)
        }
    })
}

/// A change of a signed project's agreed investment, with its reason (a revision, not an
/// overwrite).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AgreedChangeDraft {
    pub agreed_investment_wan: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgreedChange {
    pub agreed_investment: Money,
    pub reason: String,
}

impl AgreedChangeDraft {
    pub fn validate(&self) -> Result<AgreedChange, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let agreed = e.check(parse_agreed(&self.agreed_investment_wan));
        let reason = e.check(check_text("reason", "修改原因", &self.reason, true, 200));
        match (agreed, reason) {
            (Some(agreed_investment), Some(reason)) if e.is_empty() => Ok(AgreedChange {
                agreed_investment,
                reason,
            }),
            _ => Err(e.refused()),
        }
    }
}

/// A support measure (帮扶措施) for an operating project, as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MeasureDraft {
    pub project_id: Option<crate::ids::ProjectId>,
    pub text: String,
    /// The responsible unit.
    pub unit_id: Option<crate::ids::UnitId>,
    /// 年-月-日; empty: today.
    pub measure_on: String,
}

/// A support measure, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeasureFields {
    pub project_id: crate::ids::ProjectId,
    pub text: String,
    pub unit_id: crate::ids::UnitId,
    pub measure_on: NaiveDate,
}

impl MeasureDraft {
    pub fn validate(&self, today: NaiveDate) -> Result<MeasureFields, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let project_id = e.check(
            self.project_id
                .ok_or_else(|| FieldError::new("project_id", "choice", "请选择项目")),
        );
        let text = e.check(check_text("text", "帮扶措施", &self.text, true, 500));
        let unit_id = e.check(
            self.unit_id
                .ok_or_else(|| FieldError::new("unit_id", "choice", "请选择责任单位")),
        );
        let measure_on = if self.measure_on.trim().is_empty() {
            Some(today)
        } else {
            e.check(
                parse_date("measure_on", "日期", &self.measure_on).and_then(|d| {
                    if d > today {
                        Err(FieldError::new("measure_on", "future", "日期不能晚于今天"))
                    } else {
                        Ok(d)
                    }
                }),
            )
        };
        match (project_id, text, unit_id, measure_on) {
            (Some(project_id), Some(text), Some(unit_id), Some(measure_on)) if e.is_empty() => {
                Ok(MeasureFields {
                    project_id,
                    text,
                    unit_id,
                    measure_on,
                })
            }
            _ => Err(e.refused()),
        }
    }
}

/// Whether a signed project has not moved (未落地): `months` or more since signing and still
/// not started.
pub fn not_moving(contract_on: NaiveDate, started: bool, today: NaiveDate, months: u32) -> bool {
    if started {
        return false;
    }
    ReportMonth::of(contract_on).months_until(ReportMonth::of(today)) >= months as i32
}

crate::keyed_enum!(
    /// Where an approval item (帮代办事项) stands.
    pub enum ApprovalState, "办理状态" {
        NotStarted => "not_started", "待启动";
        Preparing => "preparing", "材料准备";
        Accepted => "accepted", "已受理";
        Correcting => "correcting", "补正";
        Done => "done", "办结";
        Refused => "refused", "不予受理";
        Withdrawn => "withdrawn", "撤回";
    }
);

crate::keyed_enum!(
    /// What may be done to an approval item.
    pub enum ApprovalStep, "办理操作" {
        Prepare => "prepare", "准备材料";
        Accept => "accept", "受理";
        Correct => "correct", "要求补正";
        Resubmit => "resubmit", "补正后重新提交";
        Complete => "complete", "办结";
        Refuse => "refuse", "不予受理";
        Withdraw => "withdraw", "撤回";
    }
);

impl ApprovalState {
    /// Done, refused and withdrawn items are closed: nothing more happens to them.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            ApprovalState::Done | ApprovalState::Refused | ApprovalState::Withdrawn
        )
    }
    /// The promised time limit runs while the department has the file.
    pub fn clock_runs(self) -> bool {
        matches!(self, ApprovalState::Accepted)
    }
}

/// The state an item moves to by a step, or a Chinese reason why it may not.
pub fn next_approval_state(
    from: ApprovalState,
    step: ApprovalStep,
) -> Result<ApprovalState, String> {
    use ApprovalState as S;
    use ApprovalStep as A;
    match (from, step) {
        (S::NotStarted, A::Prepare) => Ok(S::Preparing),
        (S::NotStarted | S::Preparing, A::Accept) => Ok(S::Accepted),
        (S::Accepted, A::Correct) => Ok(S::Correcting),
        (S::Correcting, A::Resubmit) => Ok(S::Accepted),
        (S::Accepted, A::Complete) => Ok(S::Done),
        (S::Accepted | S::Preparing, A::Refuse) => Ok(S::Refused),
        (s, A::Withdraw) if !s.is_closed() => Ok(S::Withdrawn),
        (s, _) if s.is_closed() => Err(format!("该事项已{}，不能再办理", s.label())),
        (s, a) => Err(format!("“{}”状态下不能“{}”", s.label(), a.label())),
    }
}

/// The days an item has run against its promised limit: from 受理 to 办结 (or `today`), in
/// working or calendar days, without the spells of 补正 (`pauses`: from the day 补正 was asked
/// to the day it was resubmitted). Never negative.
pub fn days_running(
    cal: &Calendar,
    count: DayCount,
    accepted_on: NaiveDate,
    until: NaiveDate,
    pauses: &[(NaiveDate, Option<NaiveDate>)],
) -> i64 {
    if until <= accepted_on {
        return 0;
    }
    let total = cal.days_between(accepted_on, until, count);
    let paused: i64 = pauses
        .iter()
        .map(|(from, to)| {
            let from = (*from).clamp(accepted_on, until);
            let to = to.unwrap_or(until).clamp(from, until);
            cal.days_between(from, to, count)
        })
        .sum();
    (total - paused).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_signed_project_is_checked_at_each_field() {
        let e = SignedDraft {
            agreed_investment_wan: "-5".into(),
            contract_on: "2022-13-01".into(),
            industry: "造船".into(),
            expected_start: "2022-00".into(),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        for f in [
            "name",
            "investor",
            "contract_no",
            "contract_on",
            "agreed_investment_wan",
            "industry",
            "expected_start",
        ] {
            assert!(e.for_field(f).is_some(), "{f}: {e:?}");
        }
        let ok = SignedDraft {
            name: "久通锑业技改扩能项目".into(),
            investor: "湖南久通锑业有限公司".into(),
            investor_origin: "长沙".into(),
            contract_no: "TJ-QY-2022-001".into(),
            contract_on: "2022-03-18".into(),
            agreed_investment_wan: "40,000".into(),
            industry: "工业制造".into(),
            expected_start: "2022-06".into(),
        }
        .validate()
        .unwrap();
        assert_eq!(ok.agreed_investment.fen(), 40_000 * 1_000_000);
        assert!(
            SignedDraft {
                agreed_investment_wan: "20000000".into(),
                ..Default::default()
            }
            .validate()
            .unwrap_err()
            .for_field("agreed_investment_wan")
            .is_some_and(|m| m.contains("1000亿元"))
        );
    }

    #[test]
    fn threshold_and_not_moving() {
        let wan = |w: i64| Money::from_fen(w * 1_000_000);
        assert!(enters_library(wan(5000), wan(5000)));
        assert!(!enters_library(wan(4999), wan(5000)));
        assert!(not_moving(day("2022-01-10"), false, day("2022-07-01"), 6));
        assert!(!not_moving(day("2022-01-10"), false, day("2022-06-30"), 6));
        assert!(!not_moving(day("2022-01-10"), true, day("2023-01-01"), 6));
    }

    #[test]
    fn approval_steps() {
        use ApprovalState as S;
        use ApprovalStep as A;
        assert_eq!(
            next_approval_state(S::NotStarted, A::Prepare),
            Ok(S::Preparing)
        );
        assert_eq!(
            next_approval_state(S::Preparing, A::Accept),
            Ok(S::Accepted)
        );
        assert_eq!(
            next_approval_state(S::Accepted, A::Correct),
            Ok(S::Correcting)
        );
        assert_eq!(
            next_approval_state(S::Correcting, A::Resubmit),
            Ok(S::Accepted)
        );
        assert_eq!(next_approval_state(S::Accepted, A::Complete), Ok(S::Done));
        assert!(next_approval_state(S::Done, A::Withdraw).is_err());
        assert!(next_approval_state(S::Preparing, A::Complete).is_err());
        assert!(
            next_approval_state(S::Refused, A::Accept)
                .unwrap_err()
                .contains("不予受理")
        );
    }

    #[test]
    fn correction_stops_the_clock() {
        let cal = Calendar::default();
        // Mon 2022-11-07 accepted; 补正 Wed 11-09 to Mon 11-14; done Fri 11-18
        let ran = days_running(
            &cal,
            DayCount::Working,
            day("2022-11-07"),
            day("2022-11-18"),
            &[(day("2022-11-09"), Some(day("2022-11-14")))],
        );
        // 9 working days in all, 3 of them (10, 11, 14) paused
        assert_eq!(ran, 6);
        assert_eq!(
            days_running(
                &cal,
                DayCount::Calendar,
                day("2022-11-07"),
                day("2022-11-07"),
                &[]
            ),
            0
        );
    }

    proptest! {
        /// The clock never runs backwards as days pass, never counts more than the calendar
        /// allows, and a holiday adds nothing.
        #[test]
        fn the_clock_is_monotone_and_skips_holidays(
            start in 0i64..400, len in 0i64..120, pause_at in 0i64..120, pause_len in 0i64..30,
            holiday in 0i64..120,
        ) {
            let base = day("2022-01-03");
            let accepted = base + chrono::Duration::days(start);
            let pause_from = accepted + chrono::Duration::days(pause_at);
            let pauses = [(pause_from, Some(pause_from + chrono::Duration::days(pause_len)))];
            let mut cal = Calendar::default();
            let mut prev = 0;
            for d in 0..=len {
                let until = accepted + chrono::Duration::days(d);
                let n = days_running(&cal, DayCount::Working, accepted, until, &pauses);
                prop_assert!(n >= prev, "monotone");
                prop_assert!(n <= d, "at most the calendar days");
                prev = n;
            }
            let until = accepted + chrono::Duration::days(len);
            let before = days_running(&cal, DayCount::Working, accepted, until, &[]);
            cal.holidays.insert(accepted + chrono::Duration::days(holiday));
            let after = days_running(&cal, DayCount::Working, accepted, until, &[]);
            prop_assert!(after <= before, "a holiday never adds a day");
        }
    }
}

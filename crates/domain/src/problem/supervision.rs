//! The supervision ladder: a 蓝 reminder before the deadline, a 黄 督办函 after it, a 红 督办函
//! and a 约谈 when the 黄 letter's reply date passes.

use super::State;
use super::calendar::{Calendar, DayCount};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

crate::keyed_enum!(
    /// The supervision ladder: a reminder before the deadline, then letters.
    pub enum Alert, "督办等级" {
                Blue => "blue", "蓝色提醒" | "蓝" | "蓝色";
        Yellow => "yellow", "黄色督办函" | "黄" | "黄色";
        Red => "red", "红色督办函" | "红" | "红色";
    }
);

/// The ladder's numbers, per region and year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisionRules {
    /// How deadlines are counted.
    pub day_count: DayCount,
    /// Default time limit when an item is assigned.
    pub default_limit_days: u32,
    /// 蓝: remind the unit this many days before the deadline.
    pub remind_days_before: u32,
    /// 黄 督办函 gives this many days for a reply; past it comes the 红 letter and 约谈.
    pub yellow_reply_days: u32,
    /// Prefixes of document numbers.
    pub assign_prefix: String,
    pub letter_prefix: String,
    pub minutes_prefix: String,
}

impl SupervisionRules {
    /// The default rules for a county known by its name: the reference county's limits, with
    /// document prefixes from the first character of the name (南县 → 南重项交), so that two
    /// counties' documents never read alike.
    pub fn for_region_named(name: &str) -> SupervisionRules {
        let first: String = name.chars().take(1).collect();
        if first.is_empty() {
            return SupervisionRules::default();
        }
        SupervisionRules {
            assign_prefix: format!("{first}重项交"),
            letter_prefix: format!("{first}重项督"),
            minutes_prefix: format!("{first}重项纪"),
            ..SupervisionRules::default()
        }
    }
}

impl Default for SupervisionRules {
    /// The reference county: 10 working days to handle, a reminder 3 days before, 5 working days
    /// to answer a 黄 letter.
    fn default() -> Self {
        SupervisionRules {
            day_count: DayCount::Working,
            default_limit_days: 10,
            remind_days_before: 3,
            yellow_reply_days: 5,
            assign_prefix: "桃重项交".into(),
            letter_prefix: "桃重项督".into(),
            minutes_prefix: "桃重项纪".into(),
        }
    }
}

impl SupervisionRules {
    pub fn validate(&self) -> Result<(), crate::ValidationErrors> {
        let mut e = crate::ValidationErrors::new();
        // the prefixes become document numbers (桃重项交〔2026〕3号)
        e.check(crate::error::no_invisible_controls(
            "rules",
            "督办设置",
            self,
        ));
        if !(1..=365).contains(&self.default_limit_days) {
            e.add("default_limit_days", "range", "办理时限须在1至365天之间");
        }
        if self.remind_days_before > 30 {
            e.add("remind_days_before", "range", "提前提醒天数须在0至30天之间");
        }
        if !(1..=60).contains(&self.yellow_reply_days) {
            e.add(
                "yellow_reply_days",
                "range",
                "黄色督办函答复时限须在1至60天之间",
            );
        }
        for (f, v) in [
            ("assign_prefix", &self.assign_prefix),
            ("letter_prefix", &self.letter_prefix),
            ("minutes_prefix", &self.minutes_prefix),
        ] {
            if v.trim().is_empty() || v.chars().count() > 12 {
                e.add(f, "length", "文号前缀须为1至12个字");
            }
        }
        e.into_result()
    }
}

/// What supervision knows about one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watched {
    pub state: State,
    pub deadline: NaiveDate,
    pub blue_sent: bool,
    /// The reply deadline of the 黄 letter, once sent.
    pub yellow_reply_by: Option<NaiveDate>,
    pub red_sent: bool,
}

/// The next notice an item earns today, if any (at most one per evaluation; running it again
/// the same day gives nothing new once the notice is recorded).
pub fn supervise(
    w: &Watched,
    today: NaiveDate,
    rules: &SupervisionRules,
    cal: &Calendar,
) -> Option<(Alert, Option<NaiveDate>)> {
    if !w.state.with_unit() || w.red_sent {
        return None;
    }
    if let Some(reply_by) = w.yellow_reply_by {
        return (today > reply_by).then_some((Alert::Red, None));
    }
    if today > w.deadline {
        let reply_by = cal.add_days(today, rules.yellow_reply_days, rules.day_count);
        return Some((Alert::Yellow, Some(reply_by)));
    }
    let left = cal.days_between(today, w.deadline, rules.day_count);
    (!w.blue_sent && left <= rules.remind_days_before as i64).then_some((Alert::Blue, None))
}

/// Closed on time: the closure date is not after the deadline in force.
pub fn on_time(closed_on: NaiveDate, deadline: NaiveDate) -> bool {
    closed_on <= deadline
}

#[cfg(test)]
mod override_tests {
    #[test]
    fn a_prefix_with_an_override_is_refused() {
        let mut r = super::SupervisionRules::default();
        assert!(r.validate().is_ok());
        r.assign_prefix = "桃重\u{202e}项交".into();
        assert!(r.validate().is_err());
    }
}

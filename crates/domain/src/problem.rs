//! The problem list (一单三制): items (问题 and 交办任务), their workflow from 登记 to 销号, the
//! working-day calendar, and the supervision ladder (蓝 reminder → 黄 督办函 → 红 督办函 + 约谈).
//! Everything here is a pure function of values.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

crate::keyed_enum!(
    /// Problems and assigned tasks share one workflow.
    pub enum ItemKind, "类型" {
        Problem => "problem", "问题";
        Task => "task", "任务";
    }
);

crate::keyed_enum!(
    /// Where an item came from (来源).
    pub enum Source, "来源" {
        DailyPatrol => "daily_patrol", "日巡查";
        WeeklyHuddle => "weekly_huddle", "周碰头";
        MonthlyDispatch => "monthly_dispatch", "月调度";
        TopicMeeting => "topic_meeting", "专题调度会";
        SiteMeeting => "site_meeting", "现场办公会";
        Briefing => "briefing", "简报";
        LeaderInstruction => "leader_instruction", "领导批示";
        OwnerReport => "owner_report", "业主反映";
        MonthlyReport => "monthly_report", "月报存在问题";
    }
);

crate::keyed_enum!(
    /// What kind of obstacle it is.
    pub enum Category, "问题类别" {
        Land => "land", "用地";
        Demolition => "demolition", "征拆";
        Approval => "approval", "审批手续";
        Funding => "funding", "资金";
        Utilities => "utilities", "水电路气讯";
        Environment => "environment", "施工环境";
        Other => "other", "其他";
    }
);

crate::keyed_enum!(
    /// Who must handle it (四级协调).
    pub enum Level, "协调层级" {
        Unit => "1", "一级（责任单位）";
        LeadUnit => "2", "二级（牵头单位）";
        CountyLeader => "3", "三级（县级联系领导）";
        CountyGovernment => "4", "四级（县政府）";
    }
);

crate::keyed_enum!(
    /// Where an item stands.
    pub enum State, "办理状态" {
        Registered => "registered", "登记";
        Assigned => "assigned", "已交办";
        InProgress => "in_progress", "办理中";
        ClosureRequested => "closure_requested", "申请销号";
        Closed => "closed", "已销号";
        Withdrawn => "withdrawn", "已撤销";
    }
);

impl State {
    /// Still to be handled (counts as open in statistics and supervision).
    pub fn is_open(self) -> bool {
        !matches!(self, State::Closed | State::Withdrawn)
    }
    /// The unit holds the ball: deadlines run and supervision applies.
    pub fn with_unit(self) -> bool {
        matches!(self, State::Assigned | State::InProgress)
    }
}

crate::keyed_enum!(
    /// What can happen to an item.
    pub enum Step, "操作" {
        Assign => "assign", "交办";
        Reply => "reply", "反馈进展";
        RequestClosure => "request_closure", "申请销号";
        Close => "close", "销号";
        Return => "return", "退回";
        RequestExtension => "request_extension", "申请延期";
        GrantExtension => "grant_extension", "同意延期";
        RefuseExtension => "refuse_extension", "不同意延期";
        Withdraw => "withdraw", "撤销";
        Reopen => "reopen", "重开";
    }
);

/// Who takes a step: the center (staff) or the unit the item is assigned to (承办单位).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Performer {
    Center,
    Handler,
}

impl Step {
    pub fn performer(self) -> Performer {
        match self {
            Step::Reply | Step::RequestClosure | Step::RequestExtension => Performer::Handler,
            _ => Performer::Center,
        }
    }
    /// Steps whose note is required (a reason, a progress text or a resolution).
    pub fn needs_note(self) -> bool {
        !matches!(self, Step::Assign | Step::Close | Step::GrantExtension)
    }
}

/// The workflow facts of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Status {
    pub state: State,
    /// An extension request waits for the center's decision.
    pub extension_pending: bool,
    /// Set only by 销号: the center verified the facts and the solution.
    pub verified: bool,
}

impl Status {
    pub fn registered() -> Status {
        Status {
            state: State::Registered,
            extension_pending: false,
            verified: false,
        }
    }
}

/// The status after `step`, or the Chinese reason why it may not happen now. 重开 leaves the
/// closed item as it is (the new instruction becomes a linked child item).
pub fn next(s: Status, step: Step) -> Result<Status, &'static str> {
    use State::*;
    use Step::*;
    let open_with_unit = s.state.with_unit();
    let to = |state: State| Status {
        state,
        extension_pending: s.extension_pending && state.with_unit(),
        verified: state == Closed,
    };
    match (s.state, step) {
        (Closed, Reopen) => Ok(s),
        (Closed | Withdrawn, _) => {
            Err("该事项已办结或已撤销，不能再办理；如有新的指示，请重开为新事项")
        }
        (_, Reopen) => Err("只有已销号的事项才能重开"),
        (Registered, Assign) => Ok(to(Assigned)),
        (_, Assign) => Err("该事项已交办"),
        (Registered, _) if step != Withdraw => Err("该事项尚未交办"),
        (_, Withdraw) => Ok(to(Withdrawn)),
        (Assigned | InProgress, Reply) => Ok(to(InProgress)),
        (Assigned | InProgress, RequestClosure) => {
            if s.extension_pending {
                Err("延期申请尚待中心答复")
            } else {
                Ok(Status {
                    extension_pending: false,
                    ..to(ClosureRequested)
                })
            }
        }
        (ClosureRequested, Close) => Ok(to(Closed)),
        (ClosureRequested, Return) => Ok(to(InProgress)),
        (_, Close | Return) => Err("只有申请销号的事项才能销号或退回"),
        (ClosureRequested, Reply | RequestClosure | RequestExtension) => {
            Err("已申请销号，等待中心核验")
        }
        (_, RequestExtension) if open_with_unit => {
            if s.extension_pending {
                Err("已有一份延期申请等待答复")
            } else {
                Ok(Status {
                    extension_pending: true,
                    ..s
                })
            }
        }
        (_, GrantExtension | RefuseExtension) if s.extension_pending => Ok(Status {
            extension_pending: false,
            ..s
        }),
        (_, GrantExtension | RefuseExtension) => Err("没有待答复的延期申请"),
        _ => Err("当前状态下不能进行此操作"),
    }
}

/// Is the status one the workflow can reach? (Used by the property test.)
pub fn is_consistent(s: Status) -> bool {
    (s.state == State::Closed) == s.verified && (!s.extension_pending || s.state.with_unit())
}

// --- numbers -----------------------------------------------------------------------------

/// An official document number, e.g. 桃重项交〔2022〕17号.
pub fn document_number(prefix: &str, year: i32, seq: i64) -> String {
    format!("{prefix}〔{year}〕{seq}号")
}

// --- calendar ----------------------------------------------------------------------------

crate::keyed_enum!(
    /// How a time limit is counted: working days skip weekends and holidays, except makeup
    /// working days.
    pub enum DayCount, "时限计算方式" {
        Working => "working", "工作日";
        Calendar => "calendar", "自然日";
    }
);

/// A year's official holidays and the weekend days made working days (调休).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    pub holidays: BTreeSet<NaiveDate>,
    pub makeup_workdays: BTreeSet<NaiveDate>,
}

impl Calendar {
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.makeup_workdays.contains(&d) {
            return true;
        }
        if self.holidays.contains(&d) {
            return false;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The day `n` days after `from` (working or calendar days); with working days the result
    /// is always a working day, and 0 working days from a holiday is the next working day.
    pub fn add_days(&self, from: NaiveDate, n: u32, count: DayCount) -> NaiveDate {
        match count {
            DayCount::Calendar => from + chrono::Duration::days(n as i64),
            DayCount::Working => {
                let mut d = from;
                let mut left = n;
                while !self.is_working_day(d) {
                    d = d.succ_opt().expect("date in range");
                }
                while left > 0 {
                    d = d.succ_opt().expect("date in range");
                    if self.is_working_day(d) {
                        left -= 1;
                    }
                }
                d
            }
        }
    }

    /// Days from `from` to `to` (positive when `to` is later), counted as `count`.
    pub fn days_between(&self, from: NaiveDate, to: NaiveDate, count: DayCount) -> i64 {
        match count {
            DayCount::Calendar => (to - from).num_days(),
            DayCount::Working => {
                let (a, b, sign) = if from <= to {
                    (from, to, 1)
                } else {
                    (to, from, -1)
                };
                let mut n = 0;
                let mut d = a;
                while d < b {
                    d = d.succ_opt().expect("date in range");
                    if self.is_working_day(d) {
                        n += 1;
                    }
                }
                sign * n
            }
        }
    }
}

/// The official holidays of a year (国务院办公厅 notices), for the reference county's default
/// calendar. Staff edit the calendar per year on a page; this is only the starting point.
pub fn default_holidays(year: i32) -> (Vec<(NaiveDate, &'static str)>, Vec<NaiveDate>) {
    let d = |m, day| NaiveDate::from_ymd_opt(year, m, day).expect("valid date");
    let range = |m, from, to, name| (from..=to).map(move |day| (d(m, day), name));
    match year {
        2022 => (
            std::iter::empty()
                .chain(range(1, 1, 3, "元旦"))
                .chain(range(1, 31, 31, "春节"))
                .chain(range(2, 1, 6, "春节"))
                .chain(range(4, 3, 5, "清明节"))
                .chain(range(4, 30, 30, "劳动节"))
                .chain(range(5, 1, 4, "劳动节"))
                .chain(range(6, 3, 5, "端午节"))
                .chain(range(9, 10, 12, "中秋节"))
                .chain(range(10, 1, 7, "国庆节"))
                .collect(),
            vec![
                d(1, 29),
                d(1, 30),
                d(4, 2),
                d(4, 24),
                d(5, 7),
                d(10, 8),
                d(10, 9),
            ],
        ),
        _ => (vec![], vec![]),
    }
}

// --- supervision -------------------------------------------------------------------------

crate::keyed_enum!(
    /// The supervision ladder: a reminder before the deadline, then letters.
    pub enum Alert, "督办等级" {
        Blue => "blue", "蓝色提醒";
        Yellow => "yellow", "黄色督办函";
        Red => "red", "红色督办函";
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
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_main_path_and_a_return() {
        let mut s = Status::registered();
        for step in [
            Step::Assign,
            Step::Reply,
            Step::RequestClosure,
            Step::Return,
            Step::Reply,
            Step::RequestClosure,
            Step::Close,
        ] {
            s = next(s, step).unwrap();
        }
        assert_eq!(s.state, State::Closed);
        assert!(s.verified);
        assert_eq!(next(s, Step::Reopen), Ok(s));
        assert!(next(s, Step::Reply).is_err());
    }

    #[test]
    fn illegal_steps_say_why() {
        let r = Status::registered();
        assert_eq!(next(r, Step::Reply), Err("该事项尚未交办"));
        assert_eq!(next(r, Step::Reopen), Err("只有已销号的事项才能重开"));
        let a = next(r, Step::Assign).unwrap();
        assert_eq!(
            next(a, Step::Close),
            Err("只有申请销号的事项才能销号或退回")
        );
        let e = next(a, Step::RequestExtension).unwrap();
        assert!(e.extension_pending);
        assert_eq!(
            next(e, Step::RequestExtension),
            Err("已有一份延期申请等待答复")
        );
        assert_eq!(next(e, Step::RequestClosure), Err("延期申请尚待中心答复"));
        let g = next(e, Step::GrantExtension).unwrap();
        assert!(!g.extension_pending);
        assert_eq!(next(g, Step::RefuseExtension), Err("没有待答复的延期申请"));
        let w = next(g, Step::Withdraw).unwrap();
        assert_eq!(w.state, State::Withdrawn);
        assert!(next(w, Step::Assign).is_err());
    }

    #[test]
    fn vocabularies_parse_by_key_and_label() {
        assert_eq!(Source::from_input("专题调度会"), Some(Source::TopicMeeting));
        assert_eq!(Category::from_input("funding"), Some(Category::Funding));
        assert_eq!(Level::from_input("3"), Some(Level::CountyLeader));
        assert_eq!(State::from_input("已销号"), Some(State::Closed));
        assert_eq!(Source::from_input("微信群"), None);
        assert_eq!(
            document_number("桃重项交", 2022, 17),
            "桃重项交〔2022〕17号"
        );
    }

    #[test]
    fn working_days_skip_weekends_and_holidays_but_not_makeup_days() {
        let (h, w) = default_holidays(2022);
        let cal = Calendar {
            holidays: h.into_iter().map(|(d, _)| d).collect(),
            makeup_workdays: w.into_iter().collect(),
        };
        // Thu 2022-09-29 + 3 working days: Fri 30, (国庆 1–7), Sat 8 and Sun 9 are makeup days
        assert_eq!(
            cal.add_days(day("2022-09-29"), 3, DayCount::Working),
            day("2022-10-09")
        );
        assert_eq!(
            cal.add_days(day("2022-09-29"), 3, DayCount::Calendar),
            day("2022-10-02")
        );
        // a plain week: Fri + 1 working day = Mon
        assert_eq!(
            cal.add_days(day("2022-11-04"), 1, DayCount::Working),
            day("2022-11-07")
        );
        assert_eq!(
            cal.days_between(day("2022-11-04"), day("2022-11-07"), DayCount::Working),
            1
        );
        assert_eq!(
            cal.days_between(day("2022-11-07"), day("2022-11-04"), DayCount::Working),
            -1
        );
    }

    #[test]
    fn the_ladder_blue_yellow_red() {
        let rules = SupervisionRules::default();
        let cal = Calendar::default();
        let mut w = Watched {
            state: State::Assigned,
            deadline: day("2022-11-18"), // Friday
            blue_sent: false,
            yellow_reply_by: None,
            red_sent: false,
        };
        // a week before: nothing; 3 working days before: blue
        assert_eq!(supervise(&w, day("2022-11-11"), &rules, &cal), None);
        assert_eq!(
            supervise(&w, day("2022-11-15"), &rules, &cal),
            Some((Alert::Blue, None))
        );
        w.blue_sent = true;
        assert_eq!(supervise(&w, day("2022-11-16"), &rules, &cal), None);
        // on the deadline day nothing new; the next day a yellow letter with 5 working days
        assert_eq!(supervise(&w, day("2022-11-18"), &rules, &cal), None);
        assert_eq!(
            supervise(&w, day("2022-11-21"), &rules, &cal),
            Some((Alert::Yellow, Some(day("2022-11-28"))))
        );
        w.yellow_reply_by = Some(day("2022-11-28"));
        assert_eq!(supervise(&w, day("2022-11-28"), &rules, &cal), None);
        assert_eq!(
            supervise(&w, day("2022-11-29"), &rules, &cal),
            Some((Alert::Red, None))
        );
        w.red_sent = true;
        assert_eq!(supervise(&w, day("2022-12-30"), &rules, &cal), None);
        // an item waiting for verification is not chased
        w = Watched {
            state: State::ClosureRequested,
            red_sent: false,
            yellow_reply_by: None,
            ..w
        };
        assert_eq!(supervise(&w, day("2022-12-30"), &rules, &cal), None);
    }

    #[test]
    fn rules_are_validated() {
        let mut r = SupervisionRules::default();
        assert!(r.validate().is_ok());
        r.default_limit_days = 0;
        r.letter_prefix = String::new();
        let e = r.validate().unwrap_err();
        assert!(e.for_field("default_limit_days").is_some());
        assert!(e.for_field("letter_prefix").is_some());
    }

    fn any_step() -> impl Strategy<Value = Step> {
        prop::sample::select(Step::ALL.to_vec())
    }

    proptest! {
        /// No sequence of steps reaches an inconsistent status; every closed item passed
        /// through 申请销号 and the center's verification; refused steps change nothing.
        #[test]
        fn no_sequence_reaches_an_illegal_state(steps in prop::collection::vec(any_step(), 0..40)) {
            let mut s = Status::registered();
            let mut closure_requested_then_closed = false;
            let mut last_state = s.state;
            for step in steps {
                match next(s, step) {
                    Ok(n) => {
                        if n.state == State::Closed && last_state != State::Closed {
                            prop_assert_eq!(last_state, State::ClosureRequested);
                            prop_assert_eq!(step, Step::Close);
                            closure_requested_then_closed = true;
                        }
                        s = n;
                    }
                    Err(msg) => prop_assert!(!msg.is_empty()),
                }
                prop_assert!(is_consistent(s), "{:?}", s);
                last_state = s.state;
            }
            if s.state == State::Closed {
                prop_assert!(closure_requested_then_closed && s.verified);
            }
        }

        /// Adding working days always lands on a working day, never earlier than the start.
        #[test]
        fn working_days_land_on_working_days(offset in 0i64..3000, n in 0u32..40) {
            let (h, w) = default_holidays(2022);
            let cal = Calendar {
                holidays: h.into_iter().map(|(d, _)| d).collect(),
                makeup_workdays: w.into_iter().collect(),
            };
            let from = day("2021-06-01") + chrono::Duration::days(offset);
            let to = cal.add_days(from, n, DayCount::Working);
            prop_assert!(cal.is_working_day(to));
            prop_assert!(to >= from);
            // from a non-working day the first working day is reached without being counted
            let extra = if cal.is_working_day(from) { 0 } else { 1 };
            prop_assert_eq!(cal.days_between(from, to, DayCount::Working), n as i64 + extra);
        }
    }
}

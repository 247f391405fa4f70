//! The problem list (一单三制): items (问题 and 交办任务), their workflow from 登记 to 销号, the
//! working-day calendar, and the supervision ladder (蓝 reminder → 黄 督办函 → 红 督办函 + 约谈).
//! Everything here is a pure function of values. The files mirror the problem list's folders
//! in `db`, `service` and `web`:
//!
//! - this file: the vocabularies and document numbers;
//! - [`workflow`]: the state machine of steps;
//! - [`draft`]: what a form or a workbook says, checked into fields;
//! - [`calendar`]: working days and holidays;
//! - [`supervision`]: the ladder of notices.

pub mod calendar;
pub mod draft;
pub mod supervision;
pub mod workflow;

pub use calendar::{Calendar, DayCount, HolidayKind, default_holidays};
pub use draft::{
    AssignDraft, AssignFields, ItemDraft, ItemFields, MeetingDraft, MeetingFields, PatrolDraft,
    PatrolFields,
};
pub use supervision::{Alert, SupervisionRules, Watched, on_time, supervise};
pub use workflow::{EventKind, Performer, Status, Step, is_consistent, next};

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
        Approval => "approval", "帮代办";
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
    /// The documents the problem list issues.
    pub enum DocumentKind, "文书类型" {
        Assign => "assign", "交办单";
        LetterBlue => "letter_blue", "蓝色提醒函";
        LetterYellow => "letter_yellow", "黄色督办函";
        LetterRed => "letter_red", "红色督办函";
        Minutes => "minutes", "会议纪要";
    }
);

impl DocumentKind {
    /// The numbering series: the letters share one (桃重项督〔2022〕N号).
    pub fn series(self) -> &'static str {
        match self {
            DocumentKind::Assign => "assign",
            DocumentKind::LetterBlue | DocumentKind::LetterYellow | DocumentKind::LetterRed => {
                "letter"
            }
            DocumentKind::Minutes => "minutes",
        }
    }
    /// The letter of a supervision step.
    pub fn letter(alert: Alert) -> DocumentKind {
        match alert {
            Alert::Blue => DocumentKind::LetterBlue,
            Alert::Yellow => DocumentKind::LetterYellow,
            Alert::Red => DocumentKind::LetterRed,
        }
    }
    /// The title it is issued under.
    pub fn title(self) -> &'static str {
        match self {
            DocumentKind::Assign => "重点项目问题交办单",
            DocumentKind::LetterBlue => "重点项目蓝色提醒函",
            DocumentKind::LetterYellow => "重点项目黄色督办函",
            DocumentKind::LetterRed => "重点项目红色督办函",
            DocumentKind::Minutes => "会议纪要",
        }
    }
}

/// An official document number, e.g. 桃重项交〔2022〕17号.
pub fn document_number(prefix: &str, year: i32, seq: i64) -> String {
    format!("{prefix}〔{year}〕{seq}号")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
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

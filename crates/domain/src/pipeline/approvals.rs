//! 帮代办: the approval items the center runs on a project's behalf. A region's catalogue says
//! which department decides each item and in how many days it promised to (承诺时限); each
//! project's list says where its items stand. The clock runs from 受理 while the department has
//! the file; 补正 stops it. Pure rules; the service stores and authorizes.

use super::{ApprovalState, ApprovalStep};
use crate::error::{FieldError, ValidationErrors, check_text};
use crate::ids::{CatalogueEntryId, UnitId};
use crate::problem::calendar::{Calendar, DayCount};
use crate::problem::draft::parse_date;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The longest promised limit accepted: a year.
pub const MAX_LIMIT_DAYS: u32 = 365;

/// The usual chain of a construction project's approvals, with the department that commonly
/// decides each (matched by name against the region's units when the catalogue is seeded) and
/// the limit commonly promised, in working days. A county edits its own.
pub const USUAL_CHAIN: [(&str, &str, u32); 12] = [
    ("立项审批/核准/备案", "发展和改革局", 5),
    ("用地预审与选址", "自然资源局", 10),
    ("建设用地规划许可", "自然资源局", 10),
    ("土地出让/划拨", "自然资源局", 20),
    ("工程规划许可", "自然资源局", 10),
    ("环境影响评价审批", "生态环境分局", 15),
    ("节能审查", "发展和改革局", 10),
    ("水土保持方案审批", "水利局", 10),
    ("施工图审查", "住房和城乡建设局", 10),
    ("消防设计审查", "住房和城乡建设局", 10),
    ("施工许可", "住房和城乡建设局", 5),
    ("竣工验收/备案", "住房和城乡建设局", 10),
];

/// A catalogue entry as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CatalogueDraft {
    pub name: String,
    /// The competent department (whether it is a unit of the region is the service's check).
    pub unit_id: Option<UnitId>,
    pub limit_days: String,
    pub day_count: String,
}

/// A catalogue entry, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogueFields {
    pub name: String,
    pub unit_id: UnitId,
    pub limit_days: u32,
    pub day_count: DayCount,
}

fn parse_limit(field: &str, s: &str) -> Result<u32, FieldError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, "required", "请填写承诺时限（天数）"));
    }
    match t.parse::<u32>() {
        Ok(n) if (1..=MAX_LIMIT_DAYS).contains(&n) => Ok(n),
        _ => Err(FieldError::new(
            field,
            "range",
            format!("承诺时限应为 1 至 {MAX_LIMIT_DAYS} 之间的整数天数"),
        )),
    }
}

impl CatalogueDraft {
    pub fn validate(&self) -> Result<CatalogueFields, ValidationErrors> {
        let mut e = ValidationErrors::new();
        // full-width signs folded (／ is /), so a name cannot pass for another by its width
        let name = e.check(check_text(
            "name",
            "事项名称",
            &super::fold_width(&self.name),
            true,
            60,
        ));
        let unit_id = e.check(
            self.unit_id
                .ok_or_else(|| FieldError::new("unit_id", "choice", "请选择审批部门")),
        );
        let limit_days = e.check(parse_limit("limit_days", &self.limit_days));
        let day_count = e.check(DayCount::parse("day_count", &self.day_count));
        match (name, unit_id, limit_days, day_count) {
            (Some(name), Some(unit_id), Some(limit_days), Some(day_count)) if e.is_empty() => {
                Ok(CatalogueFields {
                    name,
                    unit_id,
                    limit_days,
                    day_count,
                })
            }
            _ => Err(e.refused()),
        }
    }
}

/// A project's approval item as typed: from the catalogue (its id) or ad hoc (name, department
/// and limit typed).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ApprovalDraft {
    pub catalogue_id: Option<CatalogueEntryId>,
    pub name: String,
    pub unit_id: Option<UnitId>,
    pub limit_days: String,
    pub day_count: String,
    /// The agent (代办员): a center staff member's login.
    pub agent: String,
    /// 收件日期; empty: not received yet.
    pub received_on: String,
    pub note: String,
}

/// What the item is: a catalogue entry, or typed here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApprovalKind {
    Catalogue { id: CatalogueEntryId },
    AdHoc(CatalogueFields),
}

/// A project's approval item, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalFields {
    pub kind: ApprovalKind,
    pub agent: String,
    pub received_on: Option<NaiveDate>,
    pub note: String,
}

impl ApprovalDraft {
    pub fn validate(&self, today: NaiveDate) -> Result<ApprovalFields, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let kind = match self.catalogue_id {
            Some(_)
                if !self.name.trim().is_empty()
                    || self.unit_id.is_some()
                    || !self.limit_days.trim().is_empty() =>
            {
                e.add(
                    "catalogue_id",
                    "both",
                    "请只选择目录事项，或只填写临时事项（名称、部门、时限），不能同时填写",
                );
                None
            }
            Some(id) => Some(ApprovalKind::Catalogue { id }),
            None => {
                if self.name.trim().is_empty() && self.unit_id.is_none() {
                    e.add(
                        "catalogue_id",
                        "choice",
                        "请从目录选择事项，或填写临时事项的名称、审批部门和承诺时限",
                    );
                    None
                } else {
                    let d = CatalogueDraft {
                        name: self.name.clone(),
                        unit_id: self.unit_id,
                        limit_days: self.limit_days.clone(),
                        day_count: self.day_count.clone(),
                    };
                    match d.validate() {
                        Ok(f) => Some(ApprovalKind::AdHoc(f)),
                        Err(v) => {
                            v.all().iter().for_each(|f| e.push(f.clone()));
                            None
                        }
                    }
                }
            }
        };
        let agent = e.check(check_text("agent", "代办员", &self.agent, true, 64));
        let received_on = if self.received_on.trim().is_empty() {
            Some(None)
        } else {
            e.check(
                parse_date("received_on", "收件日期", &self.received_on)
                    .and_then(|d| not_future("received_on", "收件日期", d, today)),
            )
            .map(Some)
        };
        let note = e.check(check_text("note", "备注", &self.note, false, 500));
        match (kind, agent, received_on, note) {
            (Some(kind), Some(agent), Some(received_on), Some(note)) if e.is_empty() => {
                Ok(ApprovalFields {
                    kind,
                    agent,
                    received_on,
                    note,
                })
            }
            _ => Err(e.refused()),
        }
    }
}

fn not_future(
    field: &str,
    label: &str,
    d: NaiveDate,
    today: NaiveDate,
) -> Result<NaiveDate, FieldError> {
    if d > today {
        Err(FieldError::new(
            field,
            "future",
            format!("{label}不能晚于今天"),
        ))
    } else if d < NaiveDate::from_ymd_opt(2000, 1, 1).expect("date") {
        Err(FieldError::new(
            field,
            "too_early",
            format!("{label}不能早于2000年"),
        ))
    } else {
        Ok(d)
    }
}

/// A step on an item as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StepDraft {
    pub step: String,
    /// The day it happened; empty: today.
    pub on: String,
    /// The reason (补正, 不予受理, 撤回) or a remark.
    pub note: String,
    /// 批文号, asked for at 办结.
    pub approval_no: String,
}

/// A step, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepFields {
    pub step: ApprovalStep,
    pub on: NaiveDate,
    pub note: String,
    pub approval_no: Option<String>,
}

/// What an item's dates are, to check a step's date against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ItemDates {
    pub received_on: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    /// The day the current 补正 was asked.
    pub correcting_since: Option<NaiveDate>,
    /// The day of the item's latest step: no step may be dated before it (the log reads in
    /// order and the clock never runs backwards).
    pub last_step_on: Option<NaiveDate>,
}

impl StepDraft {
    /// Checks the step against the item's state and dates: the state machine, a reason where one
    /// is owed, the approval number at 办结, and dates in order (办结 not before 受理, 受理 not
    /// before 收件, none in the future).
    pub fn validate(
        &self,
        state: ApprovalState,
        dates: ItemDates,
        today: NaiveDate,
    ) -> Result<(StepFields, ApprovalState), ValidationErrors> {
        let mut e = ValidationErrors::new();
        let step = e.check(ApprovalStep::parse("step", &self.step));
        let on = if self.on.trim().is_empty() {
            Some(today)
        } else {
            e.check(
                parse_date("on", "办理日期", &self.on)
                    .and_then(|d| not_future("on", "办理日期", d, today)),
            )
        };
        let note = e.check(check_text("note", "说明", &self.note, false, 500));
        let no = e.check(check_text(
            "approval_no",
            "批文号",
            &self.approval_no,
            false,
            60,
        ));
        let (Some(step), Some(on), Some(note), Some(no)) = (step, on, note, no) else {
            return Err(e.refused());
        };
        let to = match super::next_approval_state(state, step) {
            Ok(to) => to,
            Err(m) => {
                e.add("step", "state", m);
                return Err(e);
            }
        };
        use ApprovalStep as A;
        if matches!(step, A::Correct | A::Refuse | A::Withdraw) && note.is_empty() {
            e.add("note", "required", format!("“{}”须写明原因", step.label()));
        }
        if step == A::Complete && no.is_empty() {
            e.add("approval_no", "required", "办结须填写批文号（证照编号）");
        }
        let before = |label: &str, d: Option<NaiveDate>, what: &str| -> Option<String> {
            d.filter(|d| on < *d)
                .map(|d| format!("{label}不能早于{what}（{d}）"))
        };
        let order = match step {
            A::Accept => before("受理日期", dates.received_on, "收件日期"),
            A::Complete | A::Correct | A::Refuse => {
                before("办理日期", dates.accepted_on, "受理日期").map(|m| {
                    if step == A::Complete {
                        m.replace("办理日期", "办结日期")
                    } else {
                        m
                    }
                })
            }
            A::Resubmit => before("重新提交日期", dates.correcting_since, "要求补正日期"),
            _ => None,
        };
        if let Some(m) = order {
            e.add("on", "order", m);
        } else if let Some(last) = dates.last_step_on.filter(|d| on < *d) {
            e.add(
                "on",
                "order",
                format!("办理日期不能早于上一步的日期（{last}）"),
            );
        }
        if !e.is_empty() {
            return Err(e);
        }
        Ok((
            StepFields {
                step,
                on,
                note,
                approval_no: Some(no).filter(|n| !n.is_empty()),
            },
            to,
        ))
    }
}

/// The spells of 补正 of an item: from the day it was asked to the day it was resubmitted
/// (None: still being corrected).
pub type Pauses = Vec<(NaiveDate, Option<NaiveDate>)>;

/// Pauses as stored: `2022-11-09~2022-11-14;2022-11-20~`.
pub fn encode_pauses(p: &[(NaiveDate, Option<NaiveDate>)]) -> String {
    p.iter()
        .map(|(a, b)| format!("{a}~{}", b.map(|b| b.to_string()).unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(";")
}

/// Pauses from their stored form; None when it does not read (a corrupt row is reported, not
/// guessed).
pub fn decode_pauses(s: &str) -> Option<Pauses> {
    if s.is_empty() {
        return Some(vec![]);
    }
    s.split(';')
        .map(|spell| {
            let (a, b) = spell.split_once('~')?;
            let a = NaiveDate::parse_from_str(a, "%Y-%m-%d").ok()?;
            let b = if b.is_empty() {
                None
            } else {
                Some(NaiveDate::parse_from_str(b, "%Y-%m-%d").ok()?)
            };
            Some((a, b))
        })
        .collect()
}

/// The pauses after a step on `on`: 补正 opens a spell, resubmitting closes it.
pub fn pauses_after(mut p: Pauses, step: ApprovalStep, on: NaiveDate) -> Pauses {
    match step {
        ApprovalStep::Correct => p.push((on, None)),
        ApprovalStep::Resubmit => {
            if let Some(last) = p.last_mut().filter(|l| l.1.is_none()) {
                last.1 = Some(on);
            }
        }
        _ => {}
    }
    p
}

/// What decides an item's clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock<'a> {
    pub state: ApprovalState,
    pub accepted_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub pauses: &'a [(NaiveDate, Option<NaiveDate>)],
    pub limit_days: u32,
    pub day_count: DayCount,
}

impl Clock<'_> {
    /// Days used against the limit (None before 受理): to 办结, or to `today` while open.
    pub fn used(&self, cal: &Calendar, today: NaiveDate) -> Option<i64> {
        let from = self.accepted_on?;
        let until = match self.state {
            ApprovalState::Done => self.completed_on.unwrap_or(today),
            ApprovalState::Accepted | ApprovalState::Correcting => today,
            // refused or withdrawn: the clock stopped when it closed (not kept): count nothing
            _ => return None,
        };
        Some(super::days_running(
            cal,
            self.day_count,
            from,
            until,
            self.pauses,
        ))
    }
    /// In the department's hands past the promised limit, now.
    pub fn overdue(&self, cal: &Calendar, today: NaiveDate) -> bool {
        self.state == ApprovalState::Accepted
            && self
                .used(cal, today)
                .is_some_and(|n| n > self.limit_days as i64)
    }
    /// Done within the limit (None unless done).
    pub fn on_time(&self, cal: &Calendar, today: NaiveDate) -> Option<bool> {
        (self.state == ApprovalState::Done).then(|| {
            self.used(cal, today)
                .is_some_and(|n| n <= self.limit_days as i64)
        })
    }
}

/// Where a project's approvals stand, for its progress strip.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub done: u32,
    pub in_hand: u32,
    pub not_started: u32,
    /// Refused or withdrawn: shown apart, not in the strip.
    pub closed_otherwise: u32,
}

impl Progress {
    pub fn add(&mut self, s: ApprovalState) {
        self.add_many(s, 1);
    }
    /// `n` items in state `s` (counts read grouped by state).
    pub fn add_many(&mut self, s: ApprovalState, n: i64) {
        let n = u32::try_from(n.max(0)).unwrap_or(u32::MAX);
        let part = match s {
            ApprovalState::Done => &mut self.done,
            ApprovalState::NotStarted => &mut self.not_started,
            ApprovalState::Preparing | ApprovalState::Accepted | ApprovalState::Correcting => {
                &mut self.in_hand
            }
            ApprovalState::Refused | ApprovalState::Withdrawn => &mut self.closed_otherwise,
        };
        *part = part.saturating_add(n);
    }
    pub fn total(&self) -> u32 {
        self.done + self.in_hand + self.not_started
    }
    /// Percent of the strip each part takes (done, in hand, not started), summing to 100 when
    /// there is anything; in steps of 5 so the stylesheet can size them.
    pub fn widths(&self) -> (u32, u32, u32) {
        let t = self.total();
        if t == 0 {
            return (0, 0, 0);
        }
        let step = |n: u32| (n * 20 + t / 2) / t * 5;
        let d = step(self.done);
        let h = step(self.in_hand).min(100 - d);
        (d, h, 100 - d - h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn items_are_checked_at_each_field() {
        let today = day("2022-11-30");
        let e = ApprovalDraft::default().validate(today).unwrap_err();
        assert!(e.for_field("catalogue_id").is_some());
        assert!(e.for_field("agent").is_some());
        let e = ApprovalDraft {
            name: "临时事项".into(),
            limit_days: "0".into(),
            day_count: "working".into(),
            agent: "zhang".into(),
            received_on: "2022-12-05".into(),
            ..Default::default()
        }
        .validate(today)
        .unwrap_err();
        assert!(e.for_field("unit_id").is_some());
        assert!(e.for_field("limit_days").unwrap().contains("1 至 365"));
        assert!(e.for_field("received_on").unwrap().contains("不能晚于今天"));
        let ok = ApprovalDraft {
            catalogue_id: Some(CatalogueEntryId(3)),
            agent: "zhang".into(),
            ..Default::default()
        }
        .validate(today)
        .unwrap();
        assert_eq!(
            ok.kind,
            ApprovalKind::Catalogue {
                id: CatalogueEntryId(3)
            }
        );
        assert_eq!(ok.received_on, None);
    }

    #[test]
    fn steps_keep_dates_in_order_and_ask_for_what_they_owe() {
        let today = day("2022-11-30");
        let dates = ItemDates {
            received_on: Some(day("2022-11-01")),
            accepted_on: Some(day("2022-11-03")),
            correcting_since: None,
            last_step_on: Some(day("2022-11-03")),
        };
        let e = StepDraft {
            step: "complete".into(),
            on: "2022-11-02".into(),
            ..Default::default()
        }
        .validate(ApprovalState::Accepted, dates, today)
        .unwrap_err();
        assert!(
            e.for_field("on")
                .unwrap()
                .contains("办结日期不能早于受理日期")
        );
        assert!(e.for_field("approval_no").is_some());
        let e = StepDraft {
            step: "correct".into(),
            ..Default::default()
        }
        .validate(ApprovalState::Accepted, dates, today)
        .unwrap_err();
        assert!(e.for_field("note").unwrap().contains("原因"));
        let e = StepDraft {
            step: "complete".into(),
            approval_no: "X".into(),
            ..Default::default()
        }
        .validate(ApprovalState::Done, dates, today)
        .unwrap_err();
        assert!(e.for_field("step").unwrap().contains("办结"));
        let (f, to) = StepDraft {
            step: "complete".into(),
            on: "2022-11-10".into(),
            approval_no: "桃发改审〔2022〕12号".into(),
            ..Default::default()
        }
        .validate(ApprovalState::Accepted, dates, today)
        .unwrap();
        assert_eq!(to, ApprovalState::Done);
        // after a resubmission on the 8th, nothing may be dated before it
        let later = ItemDates {
            last_step_on: Some(day("2022-11-08")),
            ..dates
        };
        let e = StepDraft {
            step: "complete".into(),
            on: "2022-11-07".into(),
            approval_no: "X".into(),
            ..Default::default()
        }
        .validate(ApprovalState::Accepted, later, today)
        .unwrap_err();
        assert!(e.for_field("on").unwrap().contains("上一步"));
        let e = StepDraft {
            step: "accept".into(),
            on: "1999-12-31".into(),
            ..Default::default()
        }
        .validate(ApprovalState::NotStarted, ItemDates::default(), today)
        .unwrap_err();
        assert!(e.for_field("on").unwrap().contains("2000"));
        assert_eq!(f.approval_no.as_deref(), Some("桃发改审〔2022〕12号"));
    }

    #[test]
    fn pauses_round_trip_and_stop_the_clock() {
        let p = pauses_after(vec![], ApprovalStep::Correct, day("2022-11-09"));
        assert_eq!(encode_pauses(&p), "2022-11-09~");
        let p = pauses_after(p, ApprovalStep::Resubmit, day("2022-11-14"));
        let s = encode_pauses(&p);
        assert_eq!(decode_pauses(&s), Some(p.clone()));
        assert_eq!(decode_pauses("junk"), None);
        let cal = Calendar::default();
        let clock = Clock {
            state: ApprovalState::Accepted,
            accepted_on: Some(day("2022-11-07")),
            completed_on: None,
            pauses: &p,
            limit_days: 5,
            day_count: DayCount::Working,
        };
        // 9 working days to Fri 11-18, 3 paused: 6 used, past the 5 promised
        assert_eq!(clock.used(&cal, day("2022-11-18")), Some(6));
        assert!(clock.overdue(&cal, day("2022-11-18")));
        assert!(!clock.overdue(&cal, day("2022-11-17")));
        let done = Clock {
            state: ApprovalState::Done,
            completed_on: Some(day("2022-11-17")),
            ..clock
        };
        assert_eq!(done.on_time(&cal, day("2023-01-01")), Some(true));
        assert!(!done.overdue(&cal, day("2023-01-01")));
    }

    #[test]
    fn the_strip_sums_to_a_hundred() {
        let mut p = Progress::default();
        for s in [
            ApprovalState::Done,
            ApprovalState::Done,
            ApprovalState::Accepted,
            ApprovalState::NotStarted,
            ApprovalState::Withdrawn,
        ] {
            p.add(s);
        }
        assert_eq!(p.total(), 4);
        let (a, b, c) = p.widths();
        assert_eq!(a + b + c, 100);
        assert_eq!((a, b, c), (50, 25, 25));
        assert_eq!(Progress::default().widths(), (0, 0, 0));
    }
}

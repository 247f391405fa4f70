//! What a form, an API call or a workbook says about an item, a meeting or a patrol, checked
//! into typed fields (parse, don't validate): every problem is a Chinese message at its field,
//! all of them at once.

use super::{Category, ItemKind, Level, Source};
use crate::error::{FieldError, ValidationErrors, check_text};
use crate::ids::{LeaderId, ProjectId, UnitId};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A date typed as 年-月-日; a missing one is asked for by its label.
/// A date of something that happened: not after today, and not before 1 January of last year.
/// Items, 交办单 and 会议纪要 are numbered in the year of their date: a mistyped year (1900 or
/// year 1) started a number series of its own that no list's year filter reaches, and froze
/// minutes numbered 〔1〕1号.
pub fn recent_date(
    field: &str,
    label: &str,
    s: &str,
    today: NaiveDate,
) -> Result<NaiveDate, FieldError> {
    let d = parse_date(field, label, s)?;
    let earliest = NaiveDate::from_ymd_opt(today.year() - 1, 1, 1).unwrap_or(today);
    if d > today {
        Err(FieldError::new(
            field,
            "future",
            format!("{label}不能晚于今天"),
        ))
    } else if d < earliest {
        Err(FieldError::new(
            field,
            "too_early",
            format!("{label}不能早于{}年1月1日，请核对年份", earliest.year()),
        ))
    } else {
        Ok(d)
    }
}

pub fn parse_date(field: &str, label: &str, s: &str) -> Result<NaiveDate, FieldError> {
    if s.trim().is_empty() {
        return Err(FieldError::new(field, "required", format!("请填写{label}")));
    }
    strict_date(s).ok_or_else(|| {
        let message = if date_shaped(s) {
            // the format is right; the date is not on the calendar (2027-02-30, 2022-13-01)
            let s = s.trim();
            let why = match s[5..7].parse::<u32>() {
                Ok(1..=12) => "该月没有这一天",
                _ => "月份应为 01–12",
            };
            format!("{label}“{s}”不是日历上的日期：{why}")
        } else {
            format!("{label}格式应为 2022-03-15（年-月-日）")
        };
        FieldError::new(field, "date", message)
    })
}

/// Written as YYYY-MM-DD: four, two and two digits.
fn date_shaped(s: &str) -> bool {
    let b = s.trim().as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// A calendar date written YYYY-MM-DD with a four-digit year: chrono alone also reads
/// `+99999-01-01`, which then sorts before every real date where dates are compared as text.
pub fn strict_date(s: &str) -> Option<NaiveDate> {
    if !date_shaped(s) {
        return None;
    }
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// The latest 办理时限 that may be set on `today`: a year ahead. A limit further away is a typo
/// (9999-12-31) that would keep an item out of supervision for good.
pub fn latest_deadline(today: NaiveDate) -> NaiveDate {
    today
        .checked_add_months(chrono::Months::new(12))
        .unwrap_or(today)
}

/// A limit no later than a year ahead, else the message at `field`.
pub fn within_a_year(field: &str, d: NaiveDate, today: NaiveDate) -> Result<NaiveDate, FieldError> {
    let latest = latest_deadline(today);
    if d > latest {
        Err(FieldError::new(
            field,
            "far",
            format!("办理时限不应晚于一年之后（{latest}）"),
        ))
    } else {
        Ok(d)
    }
}

/// A new item as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemDraft {
    pub kind: String,
    /// The project it concerns (whether the actor may see it is for the service to check).
    pub project_id: Option<ProjectId>,
    pub source: String,
    pub category: String,
    pub level: String,
    pub title: String,
    pub description: String,
    /// Empty: today.
    pub raised_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemFields {
    pub kind: ItemKind,
    pub project_id: Option<ProjectId>,
    pub source: Source,
    pub category: Category,
    pub level: Level,
    pub title: String,
    pub description: String,
    pub raised_on: NaiveDate,
}

impl ItemDraft {
    pub fn validate(&self, today: NaiveDate) -> Result<ItemFields, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let choose = |field: &str, msg: &str| FieldError::new(field, "choice", msg);
        let kind = e.check(
            ItemKind::from_input(&self.kind)
                .ok_or_else(|| choose("kind", "请选择类型（问题或任务）")),
        );
        let source =
            e.check(Source::from_input(&self.source).ok_or_else(|| choose("source", "请选择来源")));
        let category = e.check(
            Category::from_input(&self.category)
                .ok_or_else(|| choose("category", "请选择问题类别")),
        );
        let level = e.check(
            Level::from_input(&self.level)
                .ok_or_else(|| choose("level", "请选择协调层级（1–4级）")),
        );
        // lengths and control characters (a \x0b in a title once froze an unreadable 交办单)
        let title = e.check(check_text("title", "事项标题", &self.title, true, 100));
        let description = e.check(check_text(
            "description",
            "具体情况",
            &self.description,
            false,
            4000,
        ));
        let raised_on = if self.raised_on.trim().is_empty() {
            Some(today)
        } else {
            e.check(recent_date("raised_on", "提出日期", &self.raised_on, today))
        };
        match (kind, source, category, level, title, description, raised_on) {
            (
                Some(kind),
                Some(source),
                Some(category),
                Some(level),
                Some(title),
                Some(description),
                Some(raised_on),
            ) if e.is_empty() => Ok(ItemFields {
                kind,
                project_id: self.project_id,
                source,
                category,
                level,
                title,
                description,
                raised_on,
            }),
            _ => Err(e),
        }
    }
}

/// Assigning an item (交办) as typed: the handling unit, assisting units, the assigning leader
/// and a deadline (empty: the rules' default limit from today).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AssignDraft {
    pub handler_unit_id: Option<UnitId>,
    pub assisting_unit_ids: Vec<UnitId>,
    pub leader_id: Option<LeaderId>,
    pub deadline: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssignFields {
    pub handler: UnitId,
    /// Without the handler, without repeats, in id order.
    pub assisting: Vec<UnitId>,
    pub leader: Option<LeaderId>,
    /// None: the default limit of the rules.
    pub deadline: Option<NaiveDate>,
}

/// More 协办 units than a county has departments is not a real assignment.
pub const MAX_ASSISTING: usize = 30;

impl AssignDraft {
    pub fn validate(&self, today: NaiveDate) -> Result<AssignFields, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let handler = self.handler_unit_id;
        if handler.is_none() {
            e.add("handler_unit_id", "required", "请选择承办单位");
        }
        let mut assisting: Vec<UnitId> = self
            .assisting_unit_ids
            .iter()
            .copied()
            .filter(|u| Some(*u) != handler)
            .collect();
        assisting.sort_unstable();
        assisting.dedup();
        if assisting.len() > MAX_ASSISTING {
            e.add(
                "assisting_unit_ids",
                "too_many",
                format!("协办单位不能超过{MAX_ASSISTING}个"),
            );
        }
        let deadline = if self.deadline.trim().is_empty() {
            None
        } else {
            match parse_date("deadline", "办理时限", &self.deadline) {
                Ok(d) if d < today => {
                    e.add("deadline", "past", "办理时限不能早于今天");
                    None
                }
                Ok(d) if d > latest_deadline(today) => {
                    e.check(within_a_year("deadline", d, today));
                    None
                }
                Ok(d) => Some(d),
                Err(fe) => {
                    e.push(fe);
                    None
                }
            }
        };
        e.into_result()?;
        Ok(AssignFields {
            handler: handler.ok_or_else(|| {
                ValidationErrors::single("handler_unit_id", "required", "请选择承办单位")
            })?,
            assisting,
            leader: self.leader_id,
            deadline,
        })
    }
}

/// The meeting kinds that feed the problem list (their source tags).
pub const MEETING_KINDS: [Source; 4] = [
    Source::TopicMeeting,
    Source::SiteMeeting,
    Source::WeeklyHuddle,
    Source::MonthlyDispatch,
];

/// A meeting (专题调度会, 现场办公会, 周碰头, 月调度会) as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MeetingDraft {
    pub kind: String,
    pub held_on: String,
    pub place: String,
    pub chair_leader_id: Option<LeaderId>,
    pub attending_units: String,
    pub project_ids: Vec<ProjectId>,
    pub minutes: String,
}

/// A checked meeting. The ids are passed through: whether they exist in the actor's region is
/// for the service to check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeetingFields {
    pub kind: Source,
    pub held_on: NaiveDate,
    pub place: String,
    pub chair_leader_id: Option<LeaderId>,
    pub attending_units: String,
    pub project_ids: Vec<ProjectId>,
    pub minutes: String,
}

impl MeetingDraft {
    pub fn validate(&self, today: NaiveDate) -> Result<MeetingFields, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let kind = Source::from_input(&self.kind).filter(|k| MEETING_KINDS.contains(k));
        if kind.is_none() {
            e.add("kind", "choice", "请选择会议类型");
        }
        let held_on = e.check(recent_date("held_on", "会议日期", &self.held_on, today));
        let place = e.check(check_text("place", "地点", &self.place, false, 100));
        let attending_units = e.check(check_text(
            "attending_units",
            "参会单位",
            &self.attending_units,
            false,
            500,
        ));
        let minutes = e.check(check_text(
            "minutes",
            "会议纪要",
            &self.minutes,
            false,
            20000,
        ));
        if self.project_ids.len() > MAX_PROJECTS {
            e.add(
                "project_ids",
                "too_many",
                format!("涉及项目不能超过{MAX_PROJECTS}个"),
            );
        }
        match (kind, held_on, place, attending_units, minutes) {
            (Some(kind), Some(held_on), Some(place), Some(attending_units), Some(minutes))
                if e.is_empty() =>
            {
                Ok(MeetingFields {
                    kind,
                    held_on,
                    place,
                    chair_leader_id: self.chair_leader_id,
                    attending_units,
                    project_ids: dedup(&self.project_ids),
                    minutes,
                })
            }
            _ => Err(e),
        }
    }
}

/// A patrol (日巡查) as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PatrolDraft {
    pub patrol_on: String,
    pub inspector: String,
    pub project_ids: Vec<ProjectId>,
    pub findings: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatrolFields {
    pub patrol_on: NaiveDate,
    pub inspector: String,
    pub project_ids: Vec<ProjectId>,
    pub findings: String,
}

/// More projects than a meeting or a patrol can cover is not a real record.
pub const MAX_PROJECTS: usize = 200;

fn dedup(ids: &[ProjectId]) -> Vec<ProjectId> {
    let mut v = ids.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}

impl PatrolDraft {
    pub fn validate(&self, today: NaiveDate) -> Result<PatrolFields, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let patrol_on = e.check(recent_date("patrol_on", "巡查日期", &self.patrol_on, today));
        let inspector = e.check(check_text("inspector", "巡查人", &self.inspector, true, 50));
        let findings = e.check(check_text(
            "findings",
            "巡查发现",
            &self.findings,
            true,
            4000,
        ));
        if self.project_ids.len() > MAX_PROJECTS {
            e.add(
                "project_ids",
                "too_many",
                format!("巡查项目不能超过{MAX_PROJECTS}个"),
            );
        }
        match (patrol_on, inspector, findings) {
            (Some(patrol_on), Some(inspector), Some(findings)) if e.is_empty() => {
                Ok(PatrolFields {
                    patrol_on,
                    inspector,
                    project_ids: dedup(&self.project_ids),
                    findings,
                })
            }
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A date in the right format that is not on the calendar is told so, not "wrong format".
    #[test]
    fn a_day_the_month_has_not_is_named_as_such() {
        let e = parse_date("deadline", "办理时限", "2027-02-30").unwrap_err();
        assert_eq!(
            e.message,
            "办理时限“2027-02-30”不是日历上的日期：该月没有这一天"
        );
        let e = parse_date("deadline", "办理时限", "2026-12-32").unwrap_err();
        assert!(e.message.contains("该月没有这一天"), "{}", e.message);
        let e = parse_date("deadline", "办理时限", "2022-13-01").unwrap_err();
        assert_eq!(
            e.message,
            "办理时限“2022-13-01”不是日历上的日期：月份应为 01–12"
        );
        let e = parse_date("deadline", "办理时限", "2027/02/03").unwrap_err();
        assert_eq!(e.message, "办理时限格式应为 2022-03-15（年-月-日）");
        assert_eq!(
            parse_date("deadline", "办理时限", " 2028-02-29 ").unwrap(),
            NaiveDate::from_ymd_opt(2028, 2, 29).unwrap()
        );
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn an_item_is_checked_field_by_field() {
        let today = day("2022-11-14");
        let ok = ItemDraft {
            kind: "问题".into(),
            source: "专题调度会".into(),
            category: "land".into(),
            level: "2".into(),
            title: " 城南路征拆 ".into(),
            ..Default::default()
        }
        .validate(today)
        .unwrap();
        assert_eq!(ok.title, "城南路征拆");
        assert_eq!(ok.raised_on, today);
        let e = ItemDraft {
            title: "标\u{b}题".into(),
            raised_on: "2022-11-15".into(),
            ..Default::default()
        }
        .validate(today)
        .unwrap_err();
        for f in ["kind", "source", "category", "level", "title", "raised_on"] {
            assert!(e.for_field(f).is_some(), "{f}: {e:?}");
        }
        // last year's items may still be registered; a mistyped year may not
        let on = |d: &str| {
            ItemDraft {
                kind: "问题".into(),
                source: "专题调度会".into(),
                category: "land".into(),
                level: "2".into(),
                title: "城南路征拆".into(),
                raised_on: d.into(),
                ..Default::default()
            }
            .validate(today)
        };
        assert_eq!(on("2021-01-01").unwrap().raised_on, day("2021-01-01"));
        for d in ["2020-12-31", "1900-01-01", "0001-01-01"] {
            let e = on(d).unwrap_err();
            let m = e.for_field("raised_on").expect(d);
            assert!(m.contains("2021年1月1日"), "{d}: {m}");
        }
    }

    /// Meetings and patrols are dated this year or last, as items are: the minutes of a meeting
    /// dated 0001 were issued and frozen as 〔1〕1号.
    #[test]
    fn a_meeting_and_a_patrol_are_dated_this_year_or_last() {
        let today = day("2022-11-14");
        for (d, ok) in [
            ("2021-01-01", true),
            ("2022-11-14", true),
            ("2020-12-31", false),
            ("0001-01-01", false),
            ("2022-11-15", false),
        ] {
            let meeting = MeetingDraft {
                kind: "专题调度会".into(),
                held_on: d.into(),
                ..Default::default()
            }
            .validate(today);
            let patrol = PatrolDraft {
                patrol_on: d.into(),
                inspector: "李工".into(),
                findings: "围挡缺失".into(),
                ..Default::default()
            }
            .validate(today);
            assert_eq!(meeting.is_ok(), ok, "{d}: {meeting:?}");
            assert_eq!(patrol.is_ok(), ok, "{d}: {patrol:?}");
            if !ok && d < "2022" {
                let m = meeting.unwrap_err();
                assert!(m.for_field("held_on").unwrap().contains("2021年1月1日"));
            }
        }
    }

    #[test]
    fn an_assignment_names_a_unit_and_a_future_deadline() {
        let today = day("2022-11-14");
        let a = AssignDraft {
            handler_unit_id: Some(UnitId(3)),
            assisting_unit_ids: vec![UnitId(5), UnitId(3), UnitId(5), UnitId(4)],
            leader_id: None,
            deadline: String::new(),
        }
        .validate(today)
        .unwrap();
        assert_eq!(a.assisting, [UnitId(4), UnitId(5)]);
        assert_eq!(a.deadline, None);
        let e = AssignDraft {
            deadline: "2022-11-13".into(),
            ..Default::default()
        }
        .validate(today)
        .unwrap_err();
        assert!(e.for_field("handler_unit_id").is_some() && e.for_field("deadline").is_some());
        // a year of five digits is not a date, and a limit over a year away is refused
        for far in ["+99999-01-01", "99999-01-01", "2023-1-5", "2099-12-31"] {
            let e = AssignDraft {
                handler_unit_id: Some(UnitId(1)),
                deadline: far.into(),
                ..Default::default()
            }
            .validate(day("2022-11-14"))
            .unwrap_err();
            assert!(e.for_field("deadline").is_some(), "{far}");
        }
    }

    #[test]
    fn meetings_and_patrols() {
        let today = day("2022-11-14");
        let m = MeetingDraft {
            kind: "现场办公会".into(),
            held_on: "2022-11-10".into(),
            ..Default::default()
        }
        .validate(today)
        .unwrap();
        assert_eq!(m.kind, Source::SiteMeeting);
        let e = MeetingDraft {
            kind: "业主反映".into(),
            held_on: "".into(),
            ..Default::default()
        }
        .validate(today)
        .unwrap_err();
        assert_eq!(e.for_field("held_on"), Some("请填写会议日期"));
        assert!(e.for_field("kind").is_some());
        let e = PatrolDraft::default().validate(today).unwrap_err();
        assert_eq!(e.0.len(), 3);
    }
}

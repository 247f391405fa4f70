//! Scoring a period (issue #12): the facts the service reads from approved records, turned into
//! each indicator's measured value with the records behind it, then into points, totals, ranks
//! and 等次. Pure: the same facts always give the same scores, so a drill-down can show why.

use super::{AssessedKind, FULL, Input, Measure, Points, Ratio, Rule, Table, grade_of};
use crate::month::ReportMonth;
use crate::{FieldError, keyed_enum};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The months a score covers: a year, a quarter or a month of one year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub year: i32,
    pub from: ReportMonth,
    pub to: ReportMonth,
}

impl Period {
    pub fn year(year: i32) -> Option<Period> {
        Some(Period {
            year,
            from: ReportMonth::new(year, 1)?,
            to: ReportMonth::new(year, 12)?,
        })
    }
    /// "2022" (the year), "2022-Q3" (a quarter) or "2022-07" (a month).
    pub fn parse(field: &str, input: &str) -> Result<Period, FieldError> {
        let bad = || {
            FieldError::new(
                field,
                "format",
                "考核期间应为年度（如2022）、季度（如2022-Q3）或月份（如2022-07）",
            )
        };
        let t = input.trim();
        let (y, rest) = t.split_at(t.find('-').unwrap_or(t.len()));
        let year: i32 = y.parse().map_err(|_| bad())?;
        if !(2000..=2100).contains(&year) {
            return Err(bad());
        }
        let rest = match rest.strip_prefix('-') {
            Some("") => return Err(bad()),
            Some(r) => r,
            None => rest,
        };
        let (from, to) = if rest.is_empty() {
            (1, 12)
        } else if let Some(q) = rest.strip_prefix(['Q', 'q']) {
            let q: u32 = q.parse().map_err(|_| bad())?;
            if !(1..=4).contains(&q) {
                return Err(bad());
            }
            (q * 3 - 2, q * 3)
        } else {
            let m: u32 = rest.parse().map_err(|_| bad())?;
            if !(1..=12).contains(&m) {
                return Err(bad());
            }
            (m, m)
        };
        Ok(Period {
            year,
            from: ReportMonth::new(year, from).ok_or_else(bad)?,
            to: ReportMonth::new(year, to).ok_or_else(bad)?,
        })
    }
    pub fn key(&self) -> String {
        match (self.from.month(), self.to.month()) {
            (1, 12) => self.year.to_string(),
            (f, t) if f == t => format!("{}-{:02}", self.year, f),
            (f, _) => format!("{}-Q{}", self.year, f.div_ceil(3)),
        }
    }
    pub fn label(&self) -> String {
        match (self.from.month(), self.to.month()) {
            (1, 12) => format!("{}年度", self.year),
            (f, t) if f == t => format!("{}年{}月", self.year, f),
            (f, _) => format!(
                "{}年第{}季度",
                self.year,
                ["一", "二", "三", "四"][(f / 3) as usize]
            ),
        }
    }
    pub fn first_day(&self) -> NaiveDate {
        self.from.first_day()
    }
    /// The last day of the period.
    pub fn last_day(&self) -> NaiveDate {
        self.to
            .next()
            .first_day()
            .pred_opt()
            .expect("date in range")
    }
    pub fn contains_month(&self, m: ReportMonth) -> bool {
        self.from <= m && m <= self.to
    }
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.first_day() <= d && d <= self.last_day()
    }
}

keyed_enum!(
    /// Where a round of scoring stands.
    pub enum RoundState, "考核状态" {
        Draft => "draft", "计算稿";
        Objection => "objection", "征求意见";
        Reviewed => "reviewed", "已审定";
        Published => "published", "已发布";
    }
);

keyed_enum!(
    /// A unit's objection to a line of its score.
    pub enum ObjectionState, "异议状态" {
        Pending => "pending", "待审定";
        Accepted => "accepted", "采纳";
        Rejected => "rejected", "不予采纳";
    }
);

keyed_enum!(
    /// What a drill-down link opens.
    pub enum RecordKind, "记录类型" {
        Project => "project", "项目";
        Report => "report", "月报";
        Item => "item", "问题事项";
        Document => "document", "督办函";
        ColourIssue => "colour_issue", "分色表";
        Approval => "approval", "帮代办事项";
        Entry => "entry", "考核组录入";
    }
);

/// One record behind a measured value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRef {
    pub kind: RecordKind,
    pub id: i64,
    pub label: String,
    /// What the record counted as: 按期, 逾期, 红 …
    pub note: String,
    /// A report is found by its project (`id`) and month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<ReportMonth>,
}

/// A measured value, as the drill-down shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Value {
    /// `num` of `den` (fen of fen, or records of records); nothing to measure when den is 0.
    Ratio {
        num: i64,
        den: i64,
    },
    /// The mean of the unit's projects' ratios (basis points) over `projects` projects.
    Mean {
        mean: Option<Ratio>,
        projects: i64,
    },
    Count {
        n: i64,
    },
    /// Typed by the assessment group (None: not yet entered).
    Typed {
        points: Option<Points>,
        count: Option<i64>,
    },
}

impl Value {
    pub fn ratio(&self) -> Option<Ratio> {
        match self {
            Value::Ratio { num, den } if *den > 0 => {
                Some(round_div(*num as i128 * FULL as i128, *den as i128))
            }
            Value::Mean { mean, .. } => *mean,
            _ => None,
        }
    }
    /// The value in words: "85.3%（1,200 / 1,406）", "3件", "未录入".
    pub fn text(&self, m: Measure) -> String {
        let pct = |r: Ratio| format!("{}%", super::points_text(r));
        match self {
            Value::Ratio { num, den } if *den == 0 => "无考核对象（按满分计）".into(),
            Value::Ratio { num, den } => {
                let r = pct(self.ratio().unwrap_or(0));
                if m == Measure::InvestmentRate {
                    let wan = |f: i64| crate::Money::from_fen(f.max(0)).wan_grouped();
                    format!("{r}（{}万元 / {}万元）", wan(*num), wan(*den))
                } else {
                    format!("{r}（{num} / {den}）")
                }
            }
            Value::Mean { mean: None, .. } => "无考核对象（按满分计）".into(),
            Value::Mean {
                mean: Some(r),
                projects,
            } => format!("{}（{projects}个项目平均）", pct(*r)),
            Value::Count { n } => format!(
                "{n}{}",
                match m {
                    Measure::RedMonths | Measure::YellowMonths => "项·期",
                    Measure::BlueLetters | Measure::YellowLetters | Measure::RedLetters => "件",
                    Measure::StartedOnTime => "个",
                    Measure::LateReports => "份",
                    _ => "次",
                }
            ),
            Value::Typed {
                points: Some(p), ..
            } => format!("{}分", super::points_text(*p)),
            Value::Typed { count: Some(n), .. } => format!("{n}次"),
            Value::Typed { .. } => "未录入".into(),
        }
    }
}

/// a ÷ b rounded half away from zero (b > 0), as the tables round: 11 of 12 is 91.67 %.
pub fn round_div(a: i128, b: i128) -> i64 {
    let q = (a.abs() * 2 + b) / (2 * b);
    (if a < 0 { -q } else { q }) as i64
}

/// One indicator's result for one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub value: Value,
    /// Points by the rule (before any accepted objection).
    pub scored: Points,
    pub records: Vec<RecordRef>,
    /// An accepted objection's points, which replace the scored ones.
    pub adjusted: Option<Points>,
    /// The entry's reason and evidence, or the objection decision.
    pub note: String,
}

impl Line {
    pub fn points(&self) -> Points {
        self.adjusted.unwrap_or(self.scored)
    }
}

/// A project as the measures read it (for the period, approved records only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectFacts {
    pub id: i64,
    pub name: String,
    pub annual_plan_fen: i64,
    pub approved_fen: i64,
    pub planned_start: Option<ReportMonth>,
    pub actual_start: Option<ReportMonth>,
    pub planned_completion: Option<ReportMonth>,
    pub actual_completion: Option<ReportMonth>,
    /// Reports due in the period (exempted months left out): (month, report id, late).
    pub reports: Vec<DueReport>,
    /// Red and yellow marks in the period's published colour tables (exempt rows are not marks).
    pub marks: Vec<ColourMark>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueReport {
    pub month: ReportMonth,
    /// None: never submitted (late by definition).
    pub report_id: Option<i64>,
    pub late: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColourMark {
    pub issue_id: i64,
    pub month: ReportMonth,
    pub red: bool,
}

/// A problem item the unit handles, assigned in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFact {
    pub id: i64,
    pub number: String,
    pub closed: bool,
    /// Closed within its deadline (None while open).
    pub on_time: Option<bool>,
}

/// A supervision letter the unit received in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterFact {
    pub id: i64,
    pub number: String,
    pub colour: Measure,
}

/// A 帮代办 item the unit completed in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalFact {
    pub id: i64,
    pub name: String,
    pub on_time: bool,
}

/// Everything a unit is measured on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitFacts {
    pub unit_id: i64,
    pub name: String,
    /// Indices into the period's projects.
    pub projects: Vec<usize>,
    pub items: Vec<ItemFact>,
    pub letters: Vec<LetterFact>,
    pub approvals: Vec<ApprovalFact>,
}

/// What the assessment group typed for a unit's line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub entry_id: i64,
    /// Points for a manual line, a count for a typed count.
    pub value: i64,
    pub reason: String,
    pub evidence: String,
}

fn rec(kind: RecordKind, id: i64, label: &str, note: &str) -> RecordRef {
    RecordRef {
        kind,
        id,
        label: label.into(),
        note: note.into(),
        month: None,
    }
}

/// A ratio of records: how many of `all` satisfy `ok`, each listed with its verdict.
fn ratio_of<T>(
    all: impl Iterator<Item = T>,
    ok: impl Fn(&T) -> bool,
    refer: impl Fn(&T, bool) -> RecordRef,
) -> (Value, Vec<RecordRef>) {
    let (mut num, mut den, mut records) = (0, 0, Vec::new());
    for x in all {
        let good = ok(&x);
        den += 1;
        num += good as i64;
        records.push(refer(&x, good));
    }
    (Value::Ratio { num, den }, records)
}

/// A unit's value of `m` with the records behind it. Typed measures come from `entry`.
pub fn measure(
    m: Measure,
    unit: &UnitFacts,
    projects: &[ProjectFacts],
    entry: Option<&Entry>,
) -> (Value, Vec<RecordRef>) {
    use Measure as M;
    let ps = || unit.projects.iter().filter_map(|i| projects.get(*i));
    let project_ref =
        |p: &ProjectFacts, note: String| rec(RecordKind::Project, p.id, &p.name, &note);
    let verdict = |ok: bool, yes: &str, no: &str| if ok { yes.to_string() } else { no.to_string() };
    match m {
        M::InvestmentRate => {
            let (mut num, mut den, mut records) = (0i64, 0i64, Vec::new());
            for p in ps().filter(|p| p.annual_plan_fen > 0) {
                num = num.saturating_add(p.approved_fen);
                den = den.saturating_add(p.annual_plan_fen);
                let r = round_div(
                    p.approved_fen as i128 * FULL as i128,
                    p.annual_plan_fen as i128,
                );
                records.push(project_ref(p, format!("完成{}%", super::points_text(r))));
            }
            (Value::Ratio { num, den }, records)
        }
        M::StartOnTimeRate | M::StartedOnTime => {
            let (v, r) = ratio_of(
                ps().filter(|p| p.planned_start.is_some()),
                |p| p.actual_start.is_some_and(|a| Some(a) <= p.planned_start),
                |p, ok| project_ref(p, verdict(ok, "按期开工", "未按期开工")),
            );
            match (m, v) {
                (M::StartedOnTime, Value::Ratio { num, .. }) => (
                    Value::Count { n: num },
                    r.into_iter().filter(|x| x.note == "按期开工").collect(),
                ),
                (_, v) => (v, r),
            }
        }
        M::CompletionOnTimeRate => ratio_of(
            ps().filter(|p| p.planned_completion.is_some()),
            |p| {
                p.actual_completion
                    .is_some_and(|a| Some(a) <= p.planned_completion)
            },
            |p, ok| project_ref(p, verdict(ok, "按期竣工", "未按期竣工")),
        ),
        M::ReportTimelyRate | M::LateReports => {
            let due: Vec<(&ProjectFacts, DueReport)> = ps()
                .flat_map(|p| p.reports.iter().map(move |r| (p, *r)))
                .collect();
            let refer = |(p, r): &(&ProjectFacts, DueReport), ok: bool| RecordRef {
                month: Some(r.month),
                ..rec(
                    RecordKind::Report,
                    p.id,
                    &format!("{} {}月报", p.name, r.month.chinese()),
                    &match r.report_id {
                        Some(_) => verdict(ok, "按时", "逾期"),
                        None => "未报送".to_string(),
                    },
                )
            };
            let (v, records) =
                ratio_of(due.iter().copied(), |(_, r)| !r.late, |x, ok| refer(x, ok));
            match (m, v) {
                (M::LateReports, Value::Ratio { num, den }) => (
                    Value::Count { n: den - num },
                    records.into_iter().filter(|x| x.note != "按时").collect(),
                ),
                (_, v) => (v, records),
            }
        }
        M::ProblemClosureRate => ratio_of(
            unit.items.iter(),
            |i| i.closed,
            |i, ok| {
                rec(
                    RecordKind::Item,
                    i.id,
                    &i.number,
                    &verdict(ok, "已销号", "未销号"),
                )
            },
        ),
        M::ClosedOnTimeRate => ratio_of(
            unit.items.iter().filter(|i| i.closed),
            |i| i.on_time == Some(true),
            |i, ok| {
                rec(
                    RecordKind::Item,
                    i.id,
                    &i.number,
                    &verdict(ok, "按期办结", "逾期办结"),
                )
            },
        ),
        M::ApprovalOnTimeRate => ratio_of(
            unit.approvals.iter(),
            |a| a.on_time,
            |a, ok| {
                rec(
                    RecordKind::Approval,
                    a.id,
                    &a.name,
                    &verdict(ok, "按时办结", "超时办结"),
                )
            },
        ),
        M::BlueLetters | M::YellowLetters | M::RedLetters => {
            let records: Vec<RecordRef> = unit
                .letters
                .iter()
                .filter(|l| l.colour == m)
                .map(|l| rec(RecordKind::Document, l.id, &l.number, m.label()))
                .collect();
            (
                Value::Count {
                    n: records.len() as i64,
                },
                records,
            )
        }
        M::RedMonths | M::YellowMonths => {
            let red = m == M::RedMonths;
            let records: Vec<RecordRef> = ps()
                .flat_map(|p| {
                    p.marks.iter().filter(move |k| k.red == red).map(move |k| {
                        rec(
                            RecordKind::ColourIssue,
                            k.issue_id,
                            &format!("{} {}", p.name, k.month.chinese()),
                            if red { "红" } else { "黄" },
                        )
                    })
                })
                .collect();
            (
                Value::Count {
                    n: records.len() as i64,
                },
                records,
            )
        }
        M::Manual | M::VetoEvent | M::GroupStarts => {
            let records = entry
                .map(|e| vec![rec(RecordKind::Entry, e.entry_id, &e.reason, &e.evidence)])
                .unwrap_or_default();
            let v = match m {
                M::Manual => Value::Typed {
                    points: entry.map(|e| e.value),
                    count: None,
                },
                _ => Value::Typed {
                    points: None,
                    count: entry.map(|e| e.value),
                },
            };
            (v, records)
        }
    }
}

/// The mean of a unit's projects' investment ratios (AverageOfProjects): projects without a
/// plan are left out; no project, nothing to measure.
pub fn mean_of_projects(unit: &UnitFacts, projects: &[ProjectFacts]) -> Value {
    let ratios: Vec<i64> = unit
        .projects
        .iter()
        .filter_map(|i| projects.get(*i))
        .filter(|p| p.annual_plan_fen > 0)
        .map(|p| {
            round_div(
                p.approved_fen as i128 * FULL as i128,
                p.annual_plan_fen as i128,
            )
        })
        .collect();
    Value::Mean {
        mean: (!ratios.is_empty()).then(|| ratios.iter().sum::<i64>() / ratios.len() as i64),
        projects: ratios.len() as i64,
    }
}

/// Competition ranks of `values`, higher first (1, 2, 2, 4).
pub fn ranks_desc(values: &[i64]) -> Vec<u32> {
    values
        .iter()
        .map(|v| 1 + values.iter().filter(|w| *w > v).count() as u32)
        .collect()
}

/// One unit's scored lines for a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitScore {
    pub unit_id: i64,
    pub name: String,
    pub lines: Vec<Line>,
    pub total: Points,
}

/// Scores every unit assessed under `table`: values from the facts and entries, rank rules
/// among the units, then the totals (a veto caps). `entries(unit, indicator)` gives what was
/// typed.
pub fn score_units(
    table: &Table,
    units: &[UnitFacts],
    projects: &[ProjectFacts],
    entries: impl Fn(i64, usize) -> Option<Entry>,
) -> Vec<UnitScore> {
    let mut values: Vec<Vec<(Value, Vec<RecordRef>)>> = units
        .iter()
        .map(|u| {
            table
                .indicators
                .iter()
                .enumerate()
                .map(|(n, i)| match i.rule {
                    Rule::AverageOfProjects { .. } => (
                        mean_of_projects(u, projects),
                        measure(i.measure, u, projects, None).1,
                    ),
                    _ => measure(i.measure, u, projects, entries(u.unit_id, n).as_ref()),
                })
                .collect()
        })
        .collect();
    // rank rules: rank the units on the line's ratio (nothing to measure counts as 100 %)
    let ranks: Vec<Vec<u32>> = (0..table.indicators.len())
        .map(|n| {
            let vals: Vec<i64> = values
                .iter()
                .map(|v| v[n].0.ratio().unwrap_or(FULL))
                .collect();
            ranks_desc(&vals)
        })
        .collect();
    units
        .iter()
        .enumerate()
        .map(|(k, u)| {
            let lines: Vec<Line> = std::mem::take(&mut values[k])
                .into_iter()
                .enumerate()
                .map(|(n, (value, records))| {
                    let i = &table.indicators[n];
                    let input = input_of(&i.rule, &value, ranks[n][k]);
                    let note = entries(u.unit_id, n).map(|e| e.reason).unwrap_or_default();
                    Line {
                        scored: input.map(|x| super::score(i, x)).unwrap_or(0),
                        value,
                        records,
                        adjusted: None,
                        note,
                    }
                })
                .collect();
            let total = total_of(table, &lines);
            UnitScore {
                unit_id: u.unit_id,
                name: u.name.clone(),
                lines,
                total,
            }
        })
        .collect()
}

/// What the rule is given for a value (None: a typed line not entered yet scores 0).
fn input_of(rule: &Rule, v: &Value, rank: u32) -> Option<Input> {
    Some(match (rule, v) {
        (Rule::Rank { .. }, _) => Input::Rank(rank),
        (_, Value::Ratio { .. } | Value::Mean { .. }) => Input::Ratio(v.ratio()),
        (_, Value::Count { n }) => Input::Count(*n),
        (Rule::Manual, Value::Typed { points, .. }) => Input::Manual((*points)?),
        (_, Value::Typed { count, .. }) => Input::Count((*count)?),
    })
}

/// The total of lines (adjusted points where an objection was accepted), a veto capping it.
pub fn total_of(table: &Table, lines: &[Line]) -> Points {
    let mut sum: Points = lines.iter().map(Line::points).sum();
    for (i, l) in table.indicators.iter().zip(lines) {
        let happened = match l.value {
            Value::Count { n } => n > 0,
            Value::Typed { count: Some(n), .. } => n > 0,
            _ => false,
        };
        if let (Rule::Veto { cap }, true) = (&i.rule, happened) {
            sum = sum.min(*cap);
        }
    }
    sum
}

/// A ranked, graded result line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranked {
    pub kind: AssessedKind,
    pub unit_id: i64,
    pub name: String,
    pub total: Points,
    pub rank: u32,
    pub grade: String,
    /// Points per indicator, in the table's order.
    pub points: Vec<Points>,
}

/// The units of one table in rank order with their 等次.
pub fn rank_table(table: &Table, scores: &[UnitScore]) -> Vec<Ranked> {
    let totals: Vec<i64> = scores.iter().map(|s| s.total).collect();
    let ranks = ranks_desc(&totals);
    let mut out: Vec<Ranked> = scores
        .iter()
        .zip(ranks)
        .map(|(s, rank)| Ranked {
            kind: table.kind,
            unit_id: s.unit_id,
            name: s.name.clone(),
            total: s.total,
            rank,
            grade: grade_of(&table.grades, s.total).to_string(),
            points: s.lines.iter().map(Line::points).collect(),
        })
        .collect();
    out.sort_by(|a, b| a.rank.cmp(&b.rank).then(a.name.cmp(&b.name)));
    out
}

/// Checks a typed value against its indicator: points within [−penalty cap, max + bonus cap],
/// counts not negative.
pub fn check_entry(table: &Table, indicator: usize, value: i64) -> Result<(), FieldError> {
    let i = table
        .indicators
        .get(indicator)
        .ok_or_else(|| FieldError::new("indicator", "unknown", "没有这一考核指标"))?;
    if !i.measure.typed() {
        return Err(FieldError::new(
            "indicator",
            "computed",
            format!("“{}”由系统按记录计算，不能录入", i.name),
        ));
    }
    if i.measure == Measure::Manual {
        let (lo, hi) = (-i.penalty_cap, i.max + i.bonus_cap);
        if value < lo || value > hi {
            return Err(FieldError::new(
                "value",
                "range",
                format!(
                    "“{}”的分值应在{}至{}分之间",
                    i.name,
                    super::points_text(lo),
                    super::points_text(hi)
                ),
            ));
        }
    } else if !(0..=999).contains(&value) {
        return Err(FieldError::new("value", "range", "次数应在0至999之间"));
    }
    Ok(())
}

/// Points as typed: "4.5", "-2", "０.25" → hundredths; at most two decimals.
pub fn parse_points(field: &str, label: &str, input: &str) -> Result<Points, FieldError> {
    let bad = || FieldError::new(field, "format", format!("{label}应为数字，最多两位小数"));
    let t: String = input
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '．' => '.',
            '－' => '-',
            c => c,
        })
        .collect();
    if t.is_empty() {
        return Err(FieldError::new(field, "required", format!("请填写{label}")));
    }
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.as_str()),
    };
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() && frac.is_empty()
        || frac.len() > 2
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || whole.len() > 6
    {
        return Err(bad());
    }
    let w: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let f: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    let p = w * 100 + f;
    Ok(if neg { -p } else { p })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assessment::example_tables;

    fn month(y: i32, m: u32) -> Option<ReportMonth> {
        ReportMonth::new(y, m)
    }

    #[test]
    fn periods_parse_and_name_themselves() {
        let y = Period::parse("p", "2022").unwrap();
        assert_eq!((y.key(), y.label()), ("2022".into(), "2022年度".into()));
        let q = Period::parse("p", "2022-Q3").unwrap();
        assert_eq!(q.label(), "2022年第三季度");
        assert_eq!(q.last_day(), NaiveDate::from_ymd_opt(2022, 9, 30).unwrap());
        let m = Period::parse("p", "2022-02").unwrap();
        assert_eq!((m.key(), m.label()), ("2022-02".into(), "2022年2月".into()));
        for bad in ["", "22", "2022-Q5", "2022-13", "abc", "2022-", "1999"] {
            assert!(Period::parse("p", bad).is_err(), "{bad}");
        }
    }

    /// A small county scored by hand: two lead units under the example 牵头单位 table.
    #[test]
    fn a_small_county_scored_by_hand() {
        let table = &example_tables()[0];
        let p = |id, plan, done, ps, as_| ProjectFacts {
            id,
            name: format!("项目{id}"),
            annual_plan_fen: plan,
            approved_fen: done,
            planned_start: ps,
            actual_start: as_,
            ..Default::default()
        };
        let projects = vec![
            // unit 1: 120 of 100 → linear 40 + 20 × 0.2 = 44 (cap 45); started on time
            p(1, 100_00, 120_00, month(2022, 3), month(2022, 3)),
            // unit 2: 50 of 100 → 20; started late
            p(2, 100_00, 50_00, month(2022, 3), month(2022, 5)),
        ];
        let units = vec![
            UnitFacts {
                unit_id: 1,
                name: "甲局".into(),
                projects: vec![0],
                items: vec![ItemFact {
                    id: 9,
                    number: "2022-001".into(),
                    closed: true,
                    on_time: Some(true),
                }],
                ..Default::default()
            },
            UnitFacts {
                unit_id: 2,
                name: "乙局".into(),
                projects: vec![1],
                items: vec![ItemFact {
                    id: 10,
                    number: "2022-002".into(),
                    closed: true,
                    on_time: Some(false),
                }],
                letters: vec![LetterFact {
                    id: 4,
                    number: "桃重项督〔2022〕1号".into(),
                    colour: Measure::RedLetters,
                }],
                ..Default::default()
            },
        ];
        let entries = |unit: i64, n: usize| {
            let typed = |value| {
                Some(Entry {
                    entry_id: 1,
                    value,
                    reason: "考核组评定".into(),
                    evidence: "评分表".into(),
                })
            };
            match (unit, n) {
                (1, 5) => typed(5_00),
                (2, 5) => typed(3_50),
                // 乙局 had a veto event: total capped at 59
                (2, 8) => typed(1),
                _ => None,
            }
        };
        let s = score_units(table, &units, &projects, entries);
        // 甲局: 44 + 20 (banded ≥100 %) + 10 (no completion planned) + 15 + 10 (no reports due) + 5
        assert_eq!(s[0].lines[0].scored, 44_00);
        assert_eq!(s[0].total, 44_00 + 20_00 + 10_00 + 15_00 + 10_00 + 5_00);
        // 乙局: 20 + 5 (band 0–50 %) + 10 + 0 + 10 + 3.5 − 2 (one red letter) = 46.5, under the cap
        assert_eq!(s[1].lines[6].scored, -2_00);
        assert_eq!(s[1].total, 46_50);
        assert_eq!(s[1].lines[6].records[0].kind, RecordKind::Document);
        let ranked = rank_table(table, &s);
        assert_eq!(
            ranked
                .iter()
                .map(|r| (r.name.as_str(), r.rank, r.grade.as_str()))
                .collect::<Vec<_>>(),
            vec![("甲局", 1, "优秀"), ("乙局", 2, "不合格")]
        );
        // an accepted objection replaces a line's points and the total follows
        let mut lines = s[1].lines.clone();
        lines[1].adjusted = Some(12_00);
        assert_eq!(total_of(table, &lines), 46_50 + 7_00);
    }

    #[test]
    fn a_veto_caps_and_ranks_tie() {
        let table = &example_tables()[0];
        let units = vec![UnitFacts {
            unit_id: 1,
            name: "甲".into(),
            ..Default::default()
        }];
        let s = score_units(table, &units, &[], |_, n| {
            (n == 8).then(|| Entry {
                entry_id: 2,
                value: 1,
                reason: "安全事故".into(),
                evidence: "通报".into(),
            })
        });
        // everything else full (nothing to measure) except the manual line not entered: 95 → 59
        assert_eq!(s[0].total, 59_00);
        assert_eq!(ranks_desc(&[5, 9, 9, 1]), vec![3, 1, 1, 4]);
    }

    #[test]
    fn points_parse_as_typed() {
        assert_eq!(parse_points("v", "分值", "4.5"), Ok(4_50));
        assert_eq!(parse_points("v", "分值", "-2"), Ok(-2_00));
        assert_eq!(parse_points("v", "分值", "０.２５"), Ok(25));
        assert_eq!(parse_points("v", "分值", "10"), Ok(10_00));
        for bad in ["", "1.234", "abc", "1e3", "--1", ".", "9999999"] {
            assert!(parse_points("v", "分值", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn typed_values_are_checked_against_the_indicator() {
        let table = &example_tables()[0];
        assert!(check_entry(table, 5, 5_00).is_ok());
        assert!(check_entry(table, 5, 5_01).is_err());
        assert!(check_entry(table, 5, -1).is_err());
        assert!(
            check_entry(table, 0, 1).is_err(),
            "computed lines are not typed"
        );
        assert!(check_entry(table, 8, -1).is_err());
        assert!(check_entry(table, 99, 1).is_err());
    }
}

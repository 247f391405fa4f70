//! 考核办法 (issue #12): assessment tables as data. Each assessed kind (牵头单位, 责任单位, 乡镇/园区,
//! 项目业主) has indicators; each indicator reads one measure keyproj records and scores it with
//! one rule from a closed set (linear, banded, per occurrence, rank, average of projects, manual,
//! veto) — no formulas, no script. Points are kept in hundredths (0.01 分) and ratios in basis
//! points (1/10,000), so every score is exact. Pure rules; the service computes the measures.

// Points are written as whole_hundredths (40_00 is 40.00 分), which reads like the tables do.
#![allow(clippy::inconsistent_digit_grouping)]

use crate::error::ValidationErrors;
use serde::{Deserialize, Serialize};

pub mod scoring;

/// Hundredths of a point: 25.5 分 is 2550.
pub type Points = i64;
/// A ratio in basis points: 98.5 % is 9850.
pub type Ratio = i64;

pub const FULL: Ratio = 10_000;

crate::keyed_enum!(
    /// Who is assessed by a table.
    pub enum AssessedKind, "考核对象" {
        Lead => "lead", "牵头单位";
        Responsible => "responsible", "责任单位";
        Township => "township", "乡镇/园区";
        Owner => "owner", "项目业主";
    }
);

/// What a measure counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MeasureUnit {
    /// A share of 100 % (basis points).
    Ratio,
    /// A number of events.
    Count,
    /// Points typed by staff.
    Manual,
}

crate::keyed_enum!(
    /// The records a rule reads: only what keyproj already records.
    pub enum Measure, "考核指标数据" {
        InvestmentRate => "investment_rate", "年度投资完成率";
        StartOnTimeRate => "start_on_time_rate", "按期开工率";
        CompletionOnTimeRate => "completion_on_time_rate", "按期竣工率";
        ReportTimelyRate => "report_timely_rate", "月报及时率";
        ProblemClosureRate => "problem_closure_rate", "问题办结率";
        ClosedOnTimeRate => "closed_on_time_rate", "问题按期办结率";
        ApprovalOnTimeRate => "approval_on_time_rate", "帮代办办结及时率";
        BlueLetters => "blue_letters", "蓝色督办函（件）";
        YellowLetters => "yellow_letters", "黄色督办函（件）";
        RedLetters => "red_letters", "红色督办函（件）";
        RedMonths => "red_months", "分色表红色（项·期）";
        YellowMonths => "yellow_months", "分色表黄色（项·期）";
        StartedOnTime => "started_on_time", "按期开工项目（个）";
        LateReports => "late_reports", "逾期月报（份）";
        GroupStarts => "group_starts", "参加集中开工（次）";
        Manual => "manual", "人工评分";
        VetoEvent => "veto_event", "一票否决事项（起）";
    }
);

impl Measure {
    pub fn unit(self) -> MeasureUnit {
        use Measure as M;
        match self {
            M::InvestmentRate
            | M::StartOnTimeRate
            | M::CompletionOnTimeRate
            | M::ReportTimelyRate
            | M::ProblemClosureRate
            | M::ClosedOnTimeRate
            | M::ApprovalOnTimeRate => MeasureUnit::Ratio,
            M::Manual => MeasureUnit::Manual,
            _ => MeasureUnit::Count,
        }
    }
    /// Entered by the assessment group for each unit (with a reason and the evidence) rather
    /// than read from the records: typed points, veto events, 集中开工 (not yet recorded).
    pub fn typed(self) -> bool {
        matches!(
            self,
            Measure::Manual | Measure::VetoEvent | Measure::GroupStarts
        )
    }
    /// How the measure is read from the records, as the page explains it.
    pub fn definition(self) -> &'static str {
        use Measure as M;
        match self {
            M::InvestmentRate => "已审核月报的本年完成投资 ÷ 年度计划投资（在建项目）",
            M::StartOnTimeRate => "计划本年开工的项目中，实际开工月份不晚于计划月份的比例",
            M::CompletionOnTimeRate => "计划本年竣工的项目中，实际竣工月份不晚于计划月份的比例",
            M::ReportTimelyRate => "应报月报中在截止日前报送的比例（正当理由免报的不计）",
            M::ProblemClosureRate => "本年交办事项中已销号的比例",
            M::ClosedOnTimeRate => "本年销号事项中在办理时限内办结的比例",
            M::ApprovalOnTimeRate => "本年办结的帮代办事项中在承诺时限内办结的比例",
            M::BlueLetters | M::YellowLetters | M::RedLetters => "本年收到的该色督办函件数",
            M::RedMonths | M::YellowMonths => "已发布分色表中该色出现的项目·期数（豁免的不计）",
            M::StartedOnTime => "本年按计划月份开工的项目个数",
            M::LateReports => "本年逾期报送的月报份数",
            M::GroupStarts => "参加县集中开工活动的次数（活动尚无台账，由考核组录入并写明依据）",
            M::Manual => "考核组评定的分值（须写明理由并附依据）",
            M::VetoEvent => "发生一票否决情形的次数（如重大安全质量事故）",
        }
    }
}

/// A range of a banded rule: [from, to) in basis points (to None: and above).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Band {
    pub from: Ratio,
    pub to: Option<Ratio>,
    pub points: Points,
}

/// A rank range: ranks up to `up_to` (after the previous range) get `points`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankBand {
    pub up_to: u32,
    pub points: Points,
}

/// How an indicator turns its measure into points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rule {
    /// points = at_full × ratio; above 100 % each further 100 % adds `bonus_per_full`.
    Linear {
        at_full: Points,
        bonus_per_full: Points,
    },
    /// The points of the band the ratio falls in.
    Banded { bands: Vec<Band> },
    /// ± points for each event (negative for penalties).
    PerOccurrence { each: Points },
    /// Points by the unit's rank among those assessed on the same measure (higher is better).
    Rank { bands: Vec<RankBand> },
    /// at_full × the mean ratio of the unit's projects.
    AverageOfProjects { at_full: Points },
    /// Typed by staff, with a reason.
    Manual,
    /// Any event: the total is capped at `cap` (0: zeroed).
    Veto { cap: Points },
}

impl Rule {
    pub fn label(&self) -> &'static str {
        match self {
            Rule::Linear { .. } => "按比例计分",
            Rule::Banded { .. } => "分档计分",
            Rule::PerOccurrence { .. } => "按次加减分",
            Rule::Rank { .. } => "按排名计分",
            Rule::AverageOfProjects { .. } => "项目平均",
            Rule::Manual => "人工评分",
            Rule::Veto { .. } => "一票否决",
        }
    }
    /// The rule in words, as a table prints it.
    pub fn describe(&self) -> String {
        match self {
            Rule::Linear {
                at_full,
                bonus_per_full,
            } => {
                let mut t = format!("完成100%得{}分，按比例计", points_text(*at_full));
                if *bonus_per_full > 0 {
                    t.push_str(&format!(
                        "；超过100%的部分每100%加{}分",
                        points_text(*bonus_per_full)
                    ));
                }
                t
            }
            Rule::Banded { bands } => bands
                .iter()
                .map(|b| match b.to {
                    Some(to) => {
                        format!("{}%–{}%：{}分", pts(b.from), pts(to), points_text(b.points))
                    }
                    None => format!("{}%及以上：{}分", pts(b.from), points_text(b.points)),
                })
                .collect::<Vec<_>>()
                .join("；"),
            Rule::PerOccurrence { each } => format!("每次{}分", signed_points(*each)),
            Rule::Rank { bands } => {
                let mut from = 1;
                bands
                    .iter()
                    .map(|b| {
                        let t = format!("第{from}–{}名：{}分", b.up_to, points_text(b.points));
                        from = b.up_to + 1;
                        t
                    })
                    .collect::<Vec<_>>()
                    .join("；")
            }
            Rule::AverageOfProjects { at_full } => {
                format!("所联系项目的平均值×{}分", points_text(*at_full))
            }
            Rule::Manual => "考核组评定（写明理由）".into(),
            Rule::Veto { cap } => format!("发生即总分不超过{}分", points_text(*cap)),
        }
    }
    /// The measure units the rule can read.
    fn reads(&self, u: MeasureUnit) -> bool {
        match self {
            Rule::Linear { .. }
            | Rule::Banded { .. }
            | Rule::Rank { .. }
            | Rule::AverageOfProjects { .. } => u == MeasureUnit::Ratio,
            Rule::PerOccurrence { .. } | Rule::Veto { .. } => u == MeasureUnit::Count,
            Rule::Manual => u == MeasureUnit::Manual,
        }
    }
}

/// The rule kinds as a form offers them: (key, label, what the parameter text says).
pub const RULE_KINDS: [(&str, &str, &str); 7] = [
    ("linear", "按比例计分", "满分值，超额每100%加分（如 40,20）"),
    (
        "banded",
        "分档计分",
        "区间%:分值，分号隔开（如 0-50:5;50-80:12;80-100:16;100-:20）",
    ),
    (
        "per_occurrence",
        "按次加减分",
        "每次分值（扣分写负数，如 -2）",
    ),
    ("rank", "按排名计分", "至第N名:分值（如 3:7;6:5;10:3）"),
    ("average_of_projects", "项目平均", "满分值（如 50）"),
    ("manual", "人工评分", "不填"),
    ("veto", "一票否决", "否决后封顶分（如 59，0为总分清零）"),
];

impl Rule {
    /// The rule's kind key (as `RULE_KINDS` lists it).
    pub fn kind_key(&self) -> &'static str {
        match self {
            Rule::Linear { .. } => "linear",
            Rule::Banded { .. } => "banded",
            Rule::PerOccurrence { .. } => "per_occurrence",
            Rule::Rank { .. } => "rank",
            Rule::AverageOfProjects { .. } => "average_of_projects",
            Rule::Manual => "manual",
            Rule::Veto { .. } => "veto",
        }
    }
    /// The rule's parameters as the form shows them (the inverse of [`Rule::parse`]).
    pub fn param_text(&self) -> String {
        match self {
            Rule::Linear {
                at_full,
                bonus_per_full,
            } => {
                if *bonus_per_full == 0 {
                    pts(*at_full)
                } else {
                    format!("{},{}", pts(*at_full), pts(*bonus_per_full))
                }
            }
            Rule::Banded { bands } => bands
                .iter()
                .map(|b| {
                    let to = b.to.map(pts).unwrap_or_default();
                    format!("{}-{to}:{}", pts(b.from), pts(b.points))
                })
                .collect::<Vec<_>>()
                .join(";"),
            Rule::PerOccurrence { each } => pts(*each),
            Rule::Rank { bands } => bands
                .iter()
                .map(|b| format!("{}:{}", b.up_to, pts(b.points)))
                .collect::<Vec<_>>()
                .join(";"),
            Rule::AverageOfProjects { at_full } => pts(*at_full),
            Rule::Manual => String::new(),
            Rule::Veto { cap } => pts(*cap),
        }
    }
    /// A rule from its kind key and parameter text; the message says what was expected.
    pub fn parse(kind: &str, param: &str) -> Result<Rule, String> {
        let num = |t: &str| -> Result<Points, String> {
            scoring::parse_points("p", "参数", t).map_err(|_| format!("“{}”不是数字", t.trim()))
        };
        let hint = RULE_KINDS
            .iter()
            .find(|k| k.0 == kind)
            .map(|k| k.2)
            .ok_or_else(|| "计分办法不在可选范围内".to_string())?;
        let bad = |m: String| format!("{m}；应填：{hint}");
        // full-width punctuation typed by an input method reads as the ASCII one
        let p: String = param
            .trim()
            .chars()
            .map(|c| match c {
                '；' => ';',
                '，' => ',',
                '：' => ':',
                c => c,
            })
            .collect();
        let parts = |sep: char| -> Vec<String> {
            p.split(sep)
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect()
        };
        if p.chars().count() > 300 {
            return Err(bad("参数过长".into()));
        }
        Ok(match kind {
            "linear" => {
                let v = parts(',');
                match v.as_slice() {
                    [a] => Rule::Linear {
                        at_full: num(a).map_err(bad)?,
                        bonus_per_full: 0,
                    },
                    [a, b] => Rule::Linear {
                        at_full: num(a).map_err(bad)?,
                        bonus_per_full: num(b).map_err(bad)?,
                    },
                    _ => return Err(bad("参数个数不对".into())),
                }
            }
            "banded" => {
                let mut bands = vec![];
                for seg in parts(';') {
                    let (range, points) = seg
                        .split_once(':')
                        .ok_or_else(|| bad(format!("“{seg}”缺少分值")))?;
                    let (from, to) = range
                        .split_once('-')
                        .ok_or_else(|| bad(format!("“{range}”不是区间")))?;
                    bands.push(Band {
                        from: num(from).map_err(bad)?,
                        to: if to.trim().is_empty() {
                            None
                        } else {
                            Some(num(to).map_err(bad)?)
                        },
                        points: num(points).map_err(bad)?,
                    });
                    if bands.len() > 20 {
                        return Err(bad("分档不能超过20档".into()));
                    }
                }
                if bands.is_empty() {
                    return Err(bad("没有分档".into()));
                }
                Rule::Banded { bands }
            }
            "per_occurrence" => Rule::PerOccurrence {
                each: num(&p).map_err(bad)?,
            },
            "rank" => {
                let mut bands = vec![];
                for seg in parts(';') {
                    let (n, points) = seg
                        .split_once(':')
                        .ok_or_else(|| bad(format!("“{seg}”缺少分值")))?;
                    let up_to: u32 = n
                        .trim()
                        .parse()
                        .map_err(|_| bad(format!("“{n}”不是名次")))?;
                    bands.push(RankBand {
                        up_to,
                        points: num(points).map_err(bad)?,
                    });
                    if bands.len() > 20 {
                        return Err(bad("名次档次不能超过20档".into()));
                    }
                }
                Rule::Rank { bands }
            }
            "average_of_projects" => Rule::AverageOfProjects {
                at_full: num(&p).map_err(bad)?,
            },
            "manual" => Rule::Manual,
            _ => Rule::Veto {
                cap: num(&p).map_err(bad)?,
            },
        })
    }
}

/// 等次 as a form shows them: "优秀:90;良好:80;合格:60;不合格:0".
pub fn grades_text(g: &[Grade]) -> String {
    g.iter()
        .map(|g| format!("{}:{}", g.name, pts(g.min)))
        .collect::<Vec<_>>()
        .join(";")
}

/// 等次 from their text (checked with the table).
pub fn parse_grades(text: &str) -> Result<Vec<Grade>, String> {
    let t = text.replace('；', ";").replace('：', ":");
    let mut out = vec![];
    for seg in t.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let (name, min) = seg
            .split_once(':')
            .ok_or_else(|| format!("等次“{seg}”应写成 名称:分数线"))?;
        out.push(Grade {
            name: name.trim().chars().take(10).collect(),
            min: scoring::parse_points("grades", "分数线", min).map_err(|e| e.message)?,
        });
        if out.len() > 10 {
            return Err("等次不能超过10档".into());
        }
    }
    Ok(out)
}

/// One line of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    pub group: String,
    pub name: String,
    pub measure: Measure,
    pub rule: Rule,
    /// The points the indicator is worth (its weight; a penalty-only line has 0).
    pub max: Points,
    /// How far above `max` a bonus may go.
    pub bonus_cap: Points,
    /// How far below 0 a penalty may go (a positive number).
    pub penalty_cap: Points,
}

/// An assessed kind's table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub kind: AssessedKind,
    pub indicators: Vec<Indicator>,
    /// 等次: the lowest total of each grade, best first (the last starts at 0).
    #[serde(default = "default_grades")]
    pub grades: Vec<Grade>,
}

/// An 等次 band: totals from `min` up (until the better grade) are graded `name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grade {
    pub name: String,
    pub min: Points,
}

/// 优秀 ≥ 90, 良好 ≥ 80, 合格 ≥ 60, 不合格 below: the bands most published schemes use.
pub fn default_grades() -> Vec<Grade> {
    [
        ("优秀", 90_00),
        ("良好", 80_00),
        ("合格", 60_00),
        ("不合格", 0),
    ]
    .into_iter()
    .map(|(name, min)| Grade {
        name: name.into(),
        min,
    })
    .collect()
}

/// The grade of a total under `grades` (best first).
pub fn grade_of(grades: &[Grade], total: Points) -> &str {
    grades
        .iter()
        .find(|g| total >= g.min)
        .or(grades.last())
        .map(|g| g.name.as_str())
        .unwrap_or("")
}

/// A table's weights add up to 100 points.
pub const TOTAL: Points = 100_00;

/// Points as a table prints them: 40, 13.5, 0.25.
pub fn points_text(p: Points) -> String {
    pts(p)
}

fn signed_points(p: Points) -> String {
    if p > 0 {
        format!("+{}", pts(p))
    } else {
        pts(p)
    }
}

fn pts(p: Points) -> String {
    let sign = if p < 0 { "-" } else { "" };
    let s = format!("{sign}{}.{:02}", (p / 100).abs(), (p % 100).abs());
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl Table {
    /// Every problem of the table at once: weights that do not add up to 100, bands with gaps or
    /// overlaps, a rule that cannot read its measure, caps that are negative.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        e.check(crate::error::no_invisible_controls(
            "table",
            "考核细则",
            self,
        ));
        let sum: Points = self.indicators.iter().map(|i| i.max).sum();
        if sum != TOTAL {
            e.add(
                "indicators",
                "weights",
                format!(
                    "{}各指标分值合计应为100分，现为{}分",
                    self.kind.label(),
                    pts(sum)
                ),
            );
        }
        let grades_ok = !self.grades.is_empty()
            && self.grades.iter().all(|g| !g.name.trim().is_empty())
            && self.grades.windows(2).all(|w| w[0].min > w[1].min)
            && self.grades.last().is_some_and(|g| g.min == 0);
        if !grades_ok {
            e.add(
                "grades",
                "bands",
                format!(
                    "{}的等次须有名称，分数线从高到低排列，最低一档从0分起",
                    self.kind.label()
                ),
            );
        }
        for (n, i) in self.indicators.iter().enumerate() {
            let at = format!("第{}项“{}”", n + 1, i.name);
            let field = format!("indicators[{n}]");
            if i.name.trim().is_empty() {
                e.add(&field, "required", format!("第{}项指标须有名称", n + 1));
            }
            if i.max < 0 || i.bonus_cap < 0 || i.penalty_cap < 0 {
                e.add(
                    &field,
                    "negative",
                    format!("{at}的分值和加减分上限不能为负数"),
                );
            }
            if !i.rule.reads(i.measure.unit()) {
                e.add(
                    &field,
                    "measure",
                    format!("{at}：“{}”不能用于“{}”", i.rule.label(), i.measure.label()),
                );
            }
            match &i.rule {
                Rule::Banded { bands } => {
                    if let Some(m) = band_problem(bands) {
                        e.add(&field, "bands", format!("{at}：{m}"));
                    }
                }
                Rule::Rank { bands }
                    if bands.is_empty() || bands.windows(2).any(|w| w[0].up_to >= w[1].up_to) =>
                {
                    e.add(&field, "ranks", format!("{at}：名次档次须从小到大排列"));
                }
                Rule::Veto { cap } if *cap < 0 || *cap > TOTAL => {
                    e.add(
                        &field,
                        "cap",
                        format!("{at}：否决后的封顶分应在0至100分之间"),
                    );
                }
                _ => {}
            }
        }
        e.into_result()
    }
}

/// Basis points as a percent (5000 → 50, 8550 → 85.5).
fn pct(r: Ratio) -> String {
    pts(r)
}

/// Bands must start at 0 %, follow each other without gap or overlap, and end open.
fn band_problem(bands: &[Band]) -> Option<String> {
    let first = bands.first()?;
    if first.from != 0 {
        return Some("分档须从0%起".into());
    }
    for w in bands.windows(2) {
        match w[0].to {
            Some(to) if to == w[1].from && to > w[0].from => {}
            Some(to) if to < w[1].from => {
                return Some(format!(
                    "分档之间有空缺（{}%至{}%）",
                    pct(to),
                    pct(w[1].from)
                ));
            }
            _ => return Some("分档有重叠或次序颠倒".into()),
        }
    }
    if bands.last().is_some_and(|b| b.to.is_some()) {
        return Some("最高一档须不设上限".into());
    }
    None
}

/// What one indicator is given to score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Input {
    /// A ratio (basis points); None when the unit has nothing to measure (no project planned to
    /// start, say): the indicator scores its full weight, as the schemes do.
    Ratio(Option<Ratio>),
    Count(i64),
    /// Points typed by staff (hundredths).
    Manual(Points),
    /// The unit's rank among those assessed (1 = best) and how many were ranked.
    Rank(u32),
}

/// An indicator's points, clamped to [−penalty_cap, max + bonus_cap].
pub fn score(i: &Indicator, input: Input) -> Points {
    let raw = match (&i.rule, input) {
        (Rule::Linear { .. } | Rule::AverageOfProjects { .. }, Input::Ratio(None)) => i.max,
        (Rule::Banded { .. }, Input::Ratio(None)) => i.max,
        (
            Rule::Linear {
                at_full,
                bonus_per_full,
            },
            Input::Ratio(Some(r)),
        ) => {
            let r = r.max(0) as i128;
            let full = FULL as i128;
            if r <= full {
                scoring::round_div(*at_full as i128 * r, full)
            } else {
                at_full + scoring::round_div(*bonus_per_full as i128 * (r - full), full)
            }
        }
        (Rule::AverageOfProjects { at_full }, Input::Ratio(Some(r))) => {
            scoring::round_div(*at_full as i128 * r.max(0) as i128, FULL as i128)
        }
        (Rule::Banded { bands }, Input::Ratio(Some(r))) => bands
            .iter()
            .rev()
            .find(|b| r >= b.from)
            .map(|b| b.points)
            .unwrap_or(0),
        (Rule::PerOccurrence { each }, Input::Count(n)) => each.saturating_mul(n.max(0)),
        (Rule::Rank { bands }, Input::Rank(rank)) => bands
            .iter()
            .find(|b| rank <= b.up_to)
            .map(|b| b.points)
            .unwrap_or(0),
        (Rule::Manual, Input::Manual(p)) => p,
        // a veto scores nothing itself; it caps the total
        (Rule::Veto { .. }, _) => 0,
        // an input of the wrong kind scores nothing (the service never builds one)
        _ => 0,
    };
    raw.clamp(-i.penalty_cap, i.max + i.bonus_cap)
}

/// A unit's total: the indicators' points summed, then capped by any veto whose event happened.
pub fn total(table: &Table, inputs: &[Input]) -> (Vec<Points>, Points) {
    let each: Vec<Points> = table
        .indicators
        .iter()
        .zip(inputs)
        .map(|(i, x)| score(i, *x))
        .collect();
    let mut sum: Points = each.iter().sum();
    for (i, x) in table.indicators.iter().zip(inputs) {
        if let (Rule::Veto { cap }, Input::Count(n)) = (&i.rule, x)
            && *n > 0
        {
            sum = sum.min(*cap);
        }
    }
    (each, sum)
}

/// The example tables the reference county's rules are not public for: plausible 100-point
/// tables built from published schemes (research §4), to be replaced by the county's own.
pub fn example_tables() -> Vec<Table> {
    let ind = |group: &str, name: &str, measure, rule, max, bonus_cap, penalty_cap| Indicator {
        group: group.into(),
        name: name.into(),
        measure,
        rule,
        max,
        bonus_cap,
        penalty_cap,
    };
    let band = |from, to, points| Band { from, to, points };
    vec![
        Table {
            kind: AssessedKind::Lead,
            grades: default_grades(),
            indicators: vec![
                ind(
                    "投资完成",
                    "年度投资完成率",
                    Measure::InvestmentRate,
                    Rule::Linear {
                        at_full: 40_00,
                        bonus_per_full: 20_00,
                    },
                    40_00,
                    5_00,
                    0,
                ),
                ind(
                    "项目推进",
                    "按期开工率",
                    Measure::StartOnTimeRate,
                    Rule::Banded {
                        bands: vec![
                            band(0, Some(5000), 5_00),
                            band(5000, Some(8000), 12_00),
                            band(8000, Some(FULL), 16_00),
                            band(FULL, None, 20_00),
                        ],
                    },
                    20_00,
                    0,
                    0,
                ),
                ind(
                    "项目推进",
                    "按期竣工率",
                    Measure::CompletionOnTimeRate,
                    Rule::Linear {
                        at_full: 10_00,
                        bonus_per_full: 0,
                    },
                    10_00,
                    0,
                    0,
                ),
                ind(
                    "问题办理",
                    "问题按期办结率",
                    Measure::ClosedOnTimeRate,
                    Rule::Linear {
                        at_full: 15_00,
                        bonus_per_full: 0,
                    },
                    15_00,
                    0,
                    0,
                ),
                ind(
                    "信息报送",
                    "月报及时率",
                    Measure::ReportTimelyRate,
                    Rule::Linear {
                        at_full: 10_00,
                        bonus_per_full: 0,
                    },
                    10_00,
                    0,
                    0,
                ),
                ind(
                    "综合评价",
                    "考核组评价",
                    Measure::Manual,
                    Rule::Manual,
                    5_00,
                    0,
                    0,
                ),
                ind(
                    "扣分项",
                    "红色督办函",
                    Measure::RedLetters,
                    Rule::PerOccurrence { each: -2_00 },
                    0,
                    0,
                    10_00,
                ),
                ind(
                    "扣分项",
                    "分色表红色",
                    Measure::RedMonths,
                    Rule::PerOccurrence { each: -1_00 },
                    0,
                    0,
                    10_00,
                ),
                ind(
                    "一票否决",
                    "重大安全质量事故",
                    Measure::VetoEvent,
                    Rule::Veto { cap: 59_00 },
                    0,
                    0,
                    0,
                ),
            ],
        },
        Table {
            kind: AssessedKind::Responsible,
            grades: default_grades(),
            indicators: vec![
                ind(
                    "项目推进",
                    "所联系项目投资完成率（项目平均）",
                    Measure::InvestmentRate,
                    Rule::AverageOfProjects { at_full: 50_00 },
                    50_00,
                    0,
                    0,
                ),
                ind(
                    "问题办理",
                    "问题办结率",
                    Measure::ProblemClosureRate,
                    Rule::Linear {
                        at_full: 20_00,
                        bonus_per_full: 0,
                    },
                    20_00,
                    0,
                    0,
                ),
                ind(
                    "问题办理",
                    "问题按期办结率",
                    Measure::ClosedOnTimeRate,
                    Rule::Linear {
                        at_full: 15_00,
                        bonus_per_full: 0,
                    },
                    15_00,
                    0,
                    0,
                ),
                ind(
                    "审批服务",
                    "帮代办办结及时率",
                    Measure::ApprovalOnTimeRate,
                    Rule::Linear {
                        at_full: 10_00,
                        bonus_per_full: 0,
                    },
                    10_00,
                    0,
                    0,
                ),
                ind(
                    "综合评价",
                    "考核组评价",
                    Measure::Manual,
                    Rule::Manual,
                    5_00,
                    0,
                    0,
                ),
                ind(
                    "扣分项",
                    "黄色督办函",
                    Measure::YellowLetters,
                    Rule::PerOccurrence { each: -1_00 },
                    0,
                    0,
                    5_00,
                ),
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn linear(at_full: Points, bonus: Points, max: Points, bonus_cap: Points) -> Indicator {
        Indicator {
            group: "g".into(),
            name: "投资".into(),
            measure: Measure::InvestmentRate,
            rule: Rule::Linear {
                at_full,
                bonus_per_full: bonus,
            },
            max,
            bonus_cap,
            penalty_cap: 0,
        }
    }

    #[test]
    fn the_example_tables_are_valid_and_add_up() {
        for t in example_tables() {
            t.validate().unwrap();
        }
    }

    #[test]
    fn a_bidirectional_override_in_a_table_is_refused() {
        let mut t = example_tables().remove(0);
        t.indicators[0].name.push('\u{202e}');
        let e = t.validate().unwrap_err();
        assert!(e.0.iter().any(|f| f.code == "invalid_chars"), "{e:?}");
    }

    #[test]
    fn rules_and_grades_read_back_from_their_text() {
        for t in example_tables() {
            for i in &t.indicators {
                assert_eq!(
                    Rule::parse(i.rule.kind_key(), &i.rule.param_text()),
                    Ok(i.rule.clone())
                );
            }
            assert_eq!(parse_grades(&grades_text(&t.grades)), Ok(t.grades.clone()));
        }
        assert_eq!(
            Rule::parse("linear", "４０，２０"),
            Ok(Rule::Linear {
                at_full: 40_00,
                bonus_per_full: 20_00
            })
        );
        for (kind, bad) in [
            ("linear", "x"),
            ("banded", "0-50"),
            ("rank", "a:1"),
            ("nope", "1"),
            ("banded", ""),
        ] {
            let e = Rule::parse(kind, bad).unwrap_err();
            assert!(!e.is_empty() && !e.is_ascii(), "{kind} {bad}: {e}");
        }
        assert!(parse_grades("优秀").is_err());
    }

    #[test]
    fn bad_tables_are_named_at_once() {
        let mut t = example_tables().remove(0);
        t.indicators[0].max = 30_00;
        t.indicators[1].rule = Rule::Banded {
            bands: vec![
                Band {
                    from: 0,
                    to: Some(5000),
                    points: 1,
                },
                Band {
                    from: 6000,
                    to: None,
                    points: 2,
                },
            ],
        };
        t.indicators[6].rule = Rule::Linear {
            at_full: 1,
            bonus_per_full: 0,
        };
        let e = t.validate().unwrap_err();
        let all: Vec<&str> = e.all().iter().map(|f| f.message.as_str()).collect();
        assert!(
            all.iter().any(|m| m.contains("合计应为100分，现为90分")),
            "{all:?}"
        );
        assert!(all.iter().any(|m| m.contains("空缺")), "{all:?}");
        assert!(all.iter().any(|m| m.contains("不能用于")), "{all:?}");
    }

    #[test]
    fn hand_computed_scores() {
        let tables = example_tables();
        let lead = &tables[0];
        // 98 % investment → 39.2; start 85 % → 16; completion 50 % → 5; closed on time 90 % → 13.5;
        // reports 100 % → 10; manual 4.5; two red letters → −4; three red months → −3; no veto
        let inputs = [
            Input::Ratio(Some(9800)),
            Input::Ratio(Some(8500)),
            Input::Ratio(Some(5000)),
            Input::Ratio(Some(9000)),
            Input::Ratio(Some(FULL)),
            Input::Manual(4_50),
            Input::Count(2),
            Input::Count(3),
            Input::Count(0),
        ];
        let (each, sum) = total(lead, &inputs);
        assert_eq!(
            each,
            vec![39_20, 16_00, 5_00, 13_50, 10_00, 4_50, -4_00, -3_00, 0]
        );
        assert_eq!(sum, 81_20);
        // a veto caps it at 59
        let mut vetoed = inputs;
        vetoed[8] = Input::Count(1);
        assert_eq!(total(lead, &vetoed).1, 59_00);
        // nothing to measure scores the full weight
        assert_eq!(score(&lead.indicators[1], Input::Ratio(None)), 20_00);
        // bonus above 100 %: 120 % → 40 + 20 × 0.2 = 44, within the 5-point cap
        assert_eq!(
            score(&lead.indicators[0], Input::Ratio(Some(12_000))),
            44_00
        );
        assert_eq!(
            score(&lead.indicators[0], Input::Ratio(Some(30_000))),
            45_00
        );
    }

    proptest! {
        /// A linear rule never decreases as the ratio grows, and stays within its caps.
        #[test]
        fn linear_is_monotone_and_capped(a in 0i64..40_000, b in 0i64..40_000, at_full in 0i64..10_000, bonus in 0i64..5_000, cap in 0i64..1_000) {
            let i = linear(at_full, bonus, at_full, cap);
            let (lo, hi) = (a.min(b), a.max(b));
            let (x, y) = (score(&i, Input::Ratio(Some(lo))), score(&i, Input::Ratio(Some(hi))));
            prop_assert!(x <= y);
            prop_assert!(y <= i.max + i.bonus_cap && x >= -i.penalty_cap);
        }

        /// A banded rule whose points rise band by band never decreases as the ratio grows.
        #[test]
        fn banded_is_monotone(a in 0i64..20_000, b in 0i64..20_000, p in proptest::collection::vec(0i64..1_000, 1..6)) {
            let mut points: Vec<i64> = p.clone();
            points.sort();
            let n = points.len() as i64;
            let bands: Vec<Band> = points.iter().enumerate().map(|(k, pt)| Band {
                from: k as i64 * FULL / n,
                to: if k as i64 + 1 == n { None } else { Some((k as i64 + 1) * FULL / n) },
                points: *pt,
            }).collect();
            let i = Indicator { rule: Rule::Banded { bands }, max: 1_000, ..linear(0, 0, 0, 0) };
            prop_assert!(i.validate_rule_for_tests().is_none());
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert!(score(&i, Input::Ratio(Some(lo))) <= score(&i, Input::Ratio(Some(hi))));
        }

        /// Penalties per occurrence stop at their cap; a veto caps the total whatever else.
        #[test]
        fn caps_hold(n in 0i64..1_000, each in -500i64..0, cap in 0i64..2_000, veto_cap in 0i64..10_000) {
            let pen = Indicator {
                measure: Measure::RedLetters,
                rule: Rule::PerOccurrence { each },
                max: 0,
                penalty_cap: cap,
                ..linear(0, 0, 0, 0)
            };
            prop_assert!(score(&pen, Input::Count(n)) >= -cap);
            let t = Table {
                kind: AssessedKind::Lead,
                grades: default_grades(),
                indicators: vec![
                    linear(100_00, 0, 100_00, 0),
                    Indicator { measure: Measure::VetoEvent, rule: Rule::Veto { cap: veto_cap }, max: 0, ..linear(0, 0, 0, 0) },
                ],
            };
            let (_, sum) = total(&t, &[Input::Ratio(Some(FULL)), Input::Count(1)]);
            prop_assert!(sum <= veto_cap);
        }
    }

    impl Indicator {
        fn validate_rule_for_tests(&self) -> Option<String> {
            match &self.rule {
                Rule::Banded { bands } => band_problem(bands),
                _ => None,
            }
        }
    }
}

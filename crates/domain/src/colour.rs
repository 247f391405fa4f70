//! The colour of a project-month (进度分色): pure rules over a project's facts for one month.
//! Rules differ by county and year, so they are data (`ColourRules`), validated here and
//! versioned in storage; the reference county's are the default.

use crate::error::{FieldError, ValidationErrors};
use crate::money::Money;
use crate::month::ReportMonth;
use crate::plan::YearCategory;
use serde::{Deserialize, Serialize};

crate::keyed_enum!(
    /// The colour of one project in one month. Exactly one per project-month: 蓝 ahead of
    /// schedule (four-colour rules only), 绿, 黄, 红, or 免评 (suspended for a recorded
    /// justified reason, 正当理由).
    pub enum Colour, "颜色" {
        Blue => "blue", "蓝";
        Green => "green", "绿";
        Yellow => "yellow", "黄";
        Red => "red", "红";
        Exempt => "exempt", "免评";
    }
);

impl Colour {
    /// Worse is larger. Exempt stands outside the scale.
    pub fn severity(self) -> u8 {
        match self {
            Colour::Exempt => 0,
            Colour::Blue => 1,
            Colour::Green => 2,
            Colour::Yellow => 3,
            Colour::Red => 4,
        }
    }
    /// RGB for fills (tables, xlsx, charts).
    pub fn rgb(self) -> u32 {
        match self {
            Colour::Blue => 0x1565C0,
            Colour::Green => 0x2E7D32,
            Colour::Yellow => 0xF2C200,
            Colour::Red => 0xC62828,
            Colour::Exempt => 0x9E9E9E,
        }
    }
}

crate::keyed_enum!(
    /// Why a project-month has its colour.
    pub enum Reason, "分色原因" {
        InvestmentLag => "investment_lag", "投资滞后";
        StartLag => "start_lag", "开工滞后";
        MilestoneLag => "milestone_lag", "节点滞后";
        NotReported => "not_reported", "未报送";
        LateReport => "late_report", "逾期报送";
        Escalated => "escalated", "连续黄灯升级";
        Ahead => "ahead", "超序时";
    }
);

/// 序时进度: what share of the annual plan should be done by the month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Baseline {
    /// month ÷ 12
    Linear,
    /// month ÷ 12 × coefficient (in thousandths: 1200 = ×1.2)
    LinearTimes { permille: i64 },
    /// the project's own cumulative monthly plan (falls back to month ÷ 12 without a split)
    OwnPlan,
}

/// How "behind" is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapKind {
    /// percentage points: 序时 50%, done 35% → 15 points behind
    Points,
    /// relative to 序时: 序时 50%, done 35% → 30% behind
    Relative,
}

/// Rates and gaps are basis points: 1% = 100.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColourRules {
    pub baseline: Baseline,
    pub gap: GapKind,
    /// Behind by more than 0 and at most this → 黄; more → 红.
    pub yellow_within_bp: i64,
    /// Four colours: ahead by at least this → 蓝.
    pub blue_ahead_bp: Option<i64>,
    /// Planned start month passed without a start: this many months → 黄, `start_red_months` → 红.
    pub start_yellow_months: i32,
    pub start_red_months: i32,
    pub milestone_yellow_months: i32,
    pub milestone_red_months: i32,
    /// The colour a missing report counts as (未报).
    pub missing_report: Colour,
    /// The colour a late report counts as; None: only marked.
    pub late_report: Option<Colour>,
    /// N consecutive 黄 → 红.
    pub escalate_after_yellows: Option<u32>,
}

impl ColourRules {
    /// The colour of a completion against 序时 alone (basis points of the annual plan): what
    /// the table gives for investment, and what the dashboard gives the county's total.
    pub fn investment_colour(&self, done_bp: i64, baseline_bp: i64) -> Colour {
        let gap = match self.gap {
            GapKind::Points => baseline_bp - done_bp,
            GapKind::Relative if baseline_bp > 0 => {
                bp((baseline_bp - done_bp) as i128, baseline_bp as i128)
            }
            GapKind::Relative => 0,
        };
        if gap > self.yellow_within_bp {
            Colour::Red
        } else if gap > 0 {
            Colour::Yellow
        } else if self.blue_ahead_bp.is_some_and(|ahead| -gap >= ahead) {
            Colour::Blue
        } else {
            Colour::Green
        }
    }
}

impl Default for ColourRules {
    /// The reference county (430922): month ÷ 12; 绿 at or above; 黄 behind by up to 20
    /// percentage points; 红 beyond; start 黄 at 1 month late, 红 at 3; 未报 counts as 黄.
    fn default() -> Self {
        ColourRules {
            baseline: Baseline::Linear,
            gap: GapKind::Points,
            yellow_within_bp: 2000,
            blue_ahead_bp: None,
            start_yellow_months: 1,
            start_red_months: 3,
            milestone_yellow_months: 1,
            milestone_red_months: 3,
            missing_report: Colour::Yellow,
            late_report: None,
            escalate_after_yellows: None,
        }
    }
}

/// Whether and how the month was reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reporting {
    OnTime,
    Late,
    Missing,
}

/// Everything the colour of one project-month depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthFacts {
    pub category: YearCategory,
    pub month: ReportMonth,
    pub annual_plan: Money,
    /// Cumulative own plan January..month, if the plan is split by month.
    pub own_plan_to_month: Option<Money>,
    /// Approved investment January..month.
    pub completed_ytd: Money,
    pub planned_start: Option<ReportMonth>,
    pub actual_start: Option<ReportMonth>,
    /// For each open milestone, months overdue at `month`.
    pub milestone_months_late: Vec<i32>,
    pub reporting: Reporting,
    pub exempt: bool,
    /// Consecutive 黄 months right before this one.
    pub yellow_streak_before: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    pub colour: Colour,
    pub reasons: Vec<Reason>,
    /// 序时进度 in basis points.
    pub baseline_bp: i64,
    /// 占年度计划 in basis points (None without an annual plan).
    pub completion_bp: Option<i64>,
}

/// `num / den` in basis points, rounded half up (den > 0).
fn bp(num: i128, den: i128) -> i64 {
    ((num * 20000 + den) / (den * 2)) as i64
}

pub fn baseline_bp(rules: &ColourRules, f: &MonthFacts) -> i64 {
    let m = f.month.month() as i128;
    match rules.baseline {
        Baseline::Linear => bp(m, 12),
        Baseline::LinearTimes { permille } => bp(m * permille as i128, 12 * 1000),
        Baseline::OwnPlan => match (f.own_plan_to_month, f.annual_plan.fen()) {
            (Some(p), a) if a > 0 => bp(p.fen() as i128, a as i128),
            _ => bp(m, 12),
        },
    }
}

fn worst(a: Colour, b: Colour) -> Colour {
    if b.severity() > a.severity() { b } else { a }
}

/// The colour of one project-month, with its reasons.
pub fn evaluate(rules: &ColourRules, f: &MonthFacts) -> Evaluation {
    let baseline = baseline_bp(rules, f);
    let completion = (f.annual_plan.fen() > 0)
        .then(|| bp(f.completed_ytd.fen() as i128, f.annual_plan.fen() as i128));
    if f.exempt {
        return Evaluation {
            colour: Colour::Exempt,
            reasons: vec![],
            baseline_bp: baseline,
            completion_bp: completion,
        };
    }
    let mut colour = Colour::Green;
    let mut reasons = vec![];

    // Investment against 序时, for projects under construction with a plan.
    if let (YearCategory::UnderConstruction, Some(done)) = (f.category, completion) {
        match rules.investment_colour(done, baseline) {
            Colour::Red => {
                colour = worst(colour, Colour::Red);
                reasons.push(Reason::InvestmentLag);
            }
            Colour::Yellow => {
                colour = worst(colour, Colour::Yellow);
                reasons.push(Reason::InvestmentLag);
            }
            Colour::Blue => {
                colour = Colour::Blue;
                reasons.push(Reason::Ahead);
            }
            _ => {}
        }
    }

    // Start: the planned start month has passed and the project has not started.
    if let (None, Some(ps)) = (f.actual_start, f.planned_start) {
        let late = ps.months_until(f.month);
        if late >= rules.start_red_months {
            colour = worst(colour, Colour::Red);
            reasons.push(Reason::StartLag);
        } else if late >= rules.start_yellow_months {
            colour = worst(colour, Colour::Yellow);
            reasons.push(Reason::StartLag);
        }
    }

    // Milestones past their planned month without an actual month.
    if let Some(late) = f.milestone_months_late.iter().copied().max() {
        if late >= rules.milestone_red_months {
            colour = worst(colour, Colour::Red);
            reasons.push(Reason::MilestoneLag);
        } else if late >= rules.milestone_yellow_months {
            colour = worst(colour, Colour::Yellow);
            reasons.push(Reason::MilestoneLag);
        }
    }

    match f.reporting {
        Reporting::Missing => {
            colour = worst(colour, rules.missing_report);
            reasons.push(Reason::NotReported);
        }
        Reporting::Late => {
            if let Some(c) = rules.late_report {
                colour = worst(colour, c);
            }
            reasons.push(Reason::LateReport);
        }
        Reporting::OnTime => {}
    }

    if colour == Colour::Yellow
        && rules
            .escalate_after_yellows
            .is_some_and(|n| f.yellow_streak_before + 1 >= n)
    {
        colour = Colour::Red;
        reasons.push(Reason::Escalated);
    }
    // A blue project with any problem is not blue.
    if colour == Colour::Blue && reasons.iter().any(|r| *r != Reason::Ahead) {
        colour = Colour::Green;
    }
    Evaluation {
        colour,
        reasons,
        baseline_bp: baseline,
        completion_bp: completion,
    }
}

/// Basis points as a percentage with one decimal: 8333 → "83.3".
pub fn bp_percent(v: i64) -> String {
    let tenths = (v.abs() + 5) / 10;
    format!(
        "{}{}.{}",
        if v < 0 { "-" } else { "" },
        tenths / 10,
        tenths % 10
    )
}

/// Rules as typed on the settings page (percentages and months as text).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RulesDraft {
    /// linear | linear_times | own_plan
    pub baseline: String,
    /// e.g. "1.2" for linear_times
    pub coefficient: String,
    /// points | relative
    pub gap: String,
    /// percentage, e.g. "20"
    pub yellow_within: String,
    /// percentage; empty = three colours
    pub blue_ahead: String,
    pub start_yellow_months: String,
    pub start_red_months: String,
    pub milestone_yellow_months: String,
    pub milestone_red_months: String,
    /// yellow | red
    pub missing_report: String,
    /// "" | yellow | red
    pub late_report: String,
    /// "" or N ≥ 2
    pub escalate_after_yellows: String,
}

/// "20" or "12.5" (percent, ≤ 2 decimals, 0 < x ≤ 100) → basis points.
fn parse_percent(field: &str, label: &str, s: &str) -> Result<i64, FieldError> {
    let bad = || {
        FieldError::new(
            field,
            "invalid_percent",
            format!("{label}应为0到100之间的百分数，最多两位小数，如 20"),
        )
    };
    let t = s.trim().trim_end_matches('%');
    let (i, f) = t.split_once('.').unwrap_or((t, ""));
    if i.is_empty()
        || !i.chars().all(|c| c.is_ascii_digit())
        || !f.chars().all(|c| c.is_ascii_digit())
        || f.len() > 2
        || i.len() > 3
    {
        return Err(bad());
    }
    let v = i.parse::<i64>().map_err(|_| bad())? * 100
        + format!("{f:0<2}").parse::<i64>().map_err(|_| bad())?;
    if v <= 0 || v > 10000 {
        return Err(bad());
    }
    Ok(v)
}

fn parse_months(field: &str, label: &str, s: &str) -> Result<i32, FieldError> {
    s.trim()
        .parse::<i32>()
        .ok()
        .filter(|n| (1..=24).contains(n))
        .ok_or_else(|| {
            FieldError::new(
                field,
                "invalid_months",
                format!("{label}应为1到24之间的整数（月）"),
            )
        })
}

impl RulesDraft {
    pub fn from_rules(r: &ColourRules) -> RulesDraft {
        let pct = |bp: i64| {
            if bp % 100 == 0 {
                (bp / 100).to_string()
            } else {
                format!("{}.{:02}", bp / 100, bp % 100)
            }
        };
        RulesDraft {
            baseline: match r.baseline {
                Baseline::Linear => "linear",
                Baseline::LinearTimes { .. } => "linear_times",
                Baseline::OwnPlan => "own_plan",
            }
            .into(),
            coefficient: match r.baseline {
                Baseline::LinearTimes { permille } => {
                    format!("{}.{:03}", permille / 1000, permille % 1000)
                        .trim_end_matches('0')
                        .trim_end_matches('.')
                        .to_string()
                }
                _ => String::new(),
            },
            gap: match r.gap {
                GapKind::Points => "points",
                GapKind::Relative => "relative",
            }
            .into(),
            yellow_within: pct(r.yellow_within_bp),
            blue_ahead: r.blue_ahead_bp.map(pct).unwrap_or_default(),
            start_yellow_months: r.start_yellow_months.to_string(),
            start_red_months: r.start_red_months.to_string(),
            milestone_yellow_months: r.milestone_yellow_months.to_string(),
            milestone_red_months: r.milestone_red_months.to_string(),
            missing_report: r.missing_report.key().into(),
            late_report: r
                .late_report
                .map(|c| c.key().to_string())
                .unwrap_or_default(),
            escalate_after_yellows: r
                .escalate_after_yellows
                .map(|n| n.to_string())
                .unwrap_or_default(),
        }
    }

    pub fn validate(&self) -> Result<ColourRules, ValidationErrors> {
        let mut errs = ValidationErrors::new();
        let baseline = match self.baseline.trim() {
            "linear" | "" => Some(Baseline::Linear),
            "own_plan" => Some(Baseline::OwnPlan),
            "linear_times" => {
                let c = self.coefficient.trim();
                let permille = c
                    .split_once('.')
                    .map_or(Some((c, "")), Some)
                    .and_then(|(i, f)| {
                        let ok = !i.is_empty()
                            && i.len() <= 1
                            && i.chars().all(|ch| ch.is_ascii_digit())
                            && f.len() <= 3
                            && f.chars().all(|ch| ch.is_ascii_digit());
                        ok.then(|| {
                            i.parse::<i64>()
                                .ok()
                                .map(|i| i * 1000 + format!("{f:0<3}").parse::<i64>().unwrap_or(0))
                        })
                        .flatten()
                    });
                match permille.filter(|p| (500..=2000).contains(p)) {
                    Some(p) => Some(Baseline::LinearTimes { permille: p }),
                    None => {
                        errs.add(
                            "coefficient",
                            "invalid_coefficient",
                            "序时系数应在0.5到2之间，最多三位小数，如 1.2",
                        );
                        None
                    }
                }
            }
            other => {
                errs.add(
                    "baseline",
                    "unknown_value",
                    format!("序时进度口径“{other}”无效"),
                );
                None
            }
        };
        let gap = match self.gap.trim() {
            "points" | "" => Some(GapKind::Points),
            "relative" => Some(GapKind::Relative),
            other => {
                errs.add("gap", "unknown_value", format!("滞后口径“{other}”无效"));
                None
            }
        };
        let yellow = errs.check(parse_percent(
            "yellow_within",
            "黄色区间",
            &self.yellow_within,
        ));
        let blue = if self.blue_ahead.trim().is_empty() {
            Some(None)
        } else {
            errs.check(parse_percent(
                "blue_ahead",
                "蓝色（超前）门槛",
                &self.blue_ahead,
            ))
            .map(Some)
        };
        let sy = errs.check(parse_months(
            "start_yellow_months",
            "开工滞后黄色月数",
            &self.start_yellow_months,
        ));
        let sr = errs.check(parse_months(
            "start_red_months",
            "开工滞后红色月数",
            &self.start_red_months,
        ));
        let my = errs.check(parse_months(
            "milestone_yellow_months",
            "节点滞后黄色月数",
            &self.milestone_yellow_months,
        ));
        let mr = errs.check(parse_months(
            "milestone_red_months",
            "节点滞后红色月数",
            &self.milestone_red_months,
        ));
        if let (Some(a), Some(b)) = (sy, sr)
            && b <= a
        {
            errs.add(
                "start_red_months",
                "order",
                "开工滞后红色月数应大于黄色月数",
            );
        }
        if let (Some(a), Some(b)) = (my, mr)
            && b <= a
        {
            errs.add(
                "milestone_red_months",
                "order",
                "节点滞后红色月数应大于黄色月数",
            );
        }
        let missing = match Colour::from_key(self.missing_report.trim()) {
            Some(c @ (Colour::Yellow | Colour::Red)) => Some(c),
            _ => {
                errs.add("missing_report", "unknown_value", "未报送应计为黄或红");
                None
            }
        };
        let late = match self.late_report.trim() {
            "" => Some(None),
            s => match Colour::from_key(s) {
                Some(c @ (Colour::Yellow | Colour::Red)) => Some(Some(c)),
                _ => {
                    errs.add("late_report", "unknown_value", "逾期报送应计为黄、红或不计");
                    None
                }
            },
        };
        let esc = match self.escalate_after_yellows.trim() {
            "" => Some(None),
            s => match s.parse::<u32>().ok().filter(|n| (2..=12).contains(n)) {
                Some(n) => Some(Some(n)),
                None => {
                    errs.add(
                        "escalate_after_yellows",
                        "invalid_number",
                        "连续黄灯升级次数应为2到12之间的整数，或留空不升级",
                    );
                    None
                }
            },
        };
        let (
            Some(baseline),
            Some(gap),
            Some(yellow),
            Some(blue),
            Some(sy),
            Some(sr),
            Some(my),
            Some(mr),
            Some(missing),
            Some(late),
            Some(esc),
        ) = (
            baseline, gap, yellow, blue, sy, sr, my, mr, missing, late, esc,
        )
        else {
            return Err(errs.refused());
        };
        errs.into_result()?;
        Ok(ColourRules {
            baseline,
            gap,
            yellow_within_bp: yellow,
            blue_ahead_bp: blue,
            start_yellow_months: sy,
            start_red_months: sr,
            milestone_yellow_months: my,
            milestone_red_months: mr,
            missing_report: missing,
            late_report: late,
            escalate_after_yellows: esc,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn facts(month: u32, plan_wan: i64, done_wan: i64) -> MonthFacts {
        MonthFacts {
            category: YearCategory::UnderConstruction,
            month: ReportMonth::new(2022, month).unwrap(),
            annual_plan: Money::from_wan_int(plan_wan),
            own_plan_to_month: None,
            completed_ytd: Money::from_wan_int(done_wan),
            planned_start: None,
            actual_start: ReportMonth::new(2021, 3),
            milestone_months_late: vec![],
            reporting: Reporting::OnTime,
            exempt: false,
            yellow_streak_before: 0,
        }
    }

    #[test]
    fn reference_county_defaults() {
        let r = ColourRules::default();
        // June: 序时 50%
        assert_eq!(evaluate(&r, &facts(6, 1000, 500)).colour, Colour::Green);
        assert_eq!(evaluate(&r, &facts(6, 1000, 300)).colour, Colour::Yellow); // 20 points behind
        let red = evaluate(&r, &facts(6, 1000, 299));
        assert_eq!(red.colour, Colour::Red);
        assert_eq!(red.reasons, vec![Reason::InvestmentLag]);
        assert_eq!(bp_percent(red.baseline_bp), "50.0");
        assert_eq!(
            bp_percent(evaluate(&r, &facts(8, 1000, 0)).baseline_bp),
            "66.7"
        );
        // the reference year: 98% of the annual plan in December is 2 points behind → yellow
        let dec = evaluate(&r, &facts(12, 100, 98));
        assert_eq!(
            (dec.colour, dec.completion_bp),
            (Colour::Yellow, Some(9800))
        );
    }

    #[test]
    fn variants() {
        let mut r = ColourRules {
            baseline: Baseline::LinearTimes { permille: 1200 },
            ..Default::default()
        };
        // August × 1.2 = 80%
        assert_eq!(evaluate(&r, &facts(8, 1000, 800)).colour, Colour::Green);
        assert_eq!(evaluate(&r, &facts(8, 1000, 700)).colour, Colour::Yellow);
        r = ColourRules {
            gap: GapKind::Relative,
            yellow_within_bp: 5000,
            ..Default::default()
        };
        // June 序时 50%: 30% done is 40% behind (relative) → yellow; 20% done is 60% behind → red
        assert_eq!(evaluate(&r, &facts(6, 1000, 300)).colour, Colour::Yellow);
        assert_eq!(evaluate(&r, &facts(6, 1000, 200)).colour, Colour::Red);
        r = ColourRules {
            blue_ahead_bp: Some(1000),
            ..Default::default()
        };
        let blue = evaluate(&r, &facts(6, 1000, 600));
        assert_eq!(
            (blue.colour, blue.reasons.clone()),
            (Colour::Blue, vec![Reason::Ahead])
        );
        // ahead but not reported is not blue
        let mut f = facts(6, 1000, 600);
        f.reporting = Reporting::Missing;
        assert_eq!(evaluate(&r, &f).colour, Colour::Yellow);
        // own plan
        r = ColourRules {
            baseline: Baseline::OwnPlan,
            ..Default::default()
        };
        let mut f = facts(6, 1200, 100);
        f.own_plan_to_month = Some(Money::from_wan_int(120)); // 10% planned by June
        assert_eq!(evaluate(&r, &f).colour, Colour::Yellow);
        f.completed_ytd = Money::from_wan_int(120);
        assert_eq!(evaluate(&r, &f).colour, Colour::Green);
    }

    #[test]
    fn start_milestones_reports_escalation_exemption() {
        let r = ColourRules::default();
        let mut f = facts(6, 1000, 500);
        f.category = YearCategory::Preliminary;
        f.actual_start = None;
        f.planned_start = ReportMonth::new(2022, 5);
        let e = evaluate(&r, &f);
        assert_eq!(
            (e.colour, e.reasons.clone()),
            (Colour::Yellow, vec![Reason::StartLag])
        );
        f.planned_start = ReportMonth::new(2022, 3);
        assert_eq!(evaluate(&r, &f).colour, Colour::Red);
        f.planned_start = ReportMonth::new(2022, 6);
        assert_eq!(
            evaluate(&r, &f).colour,
            Colour::Green,
            "not late within the planned month"
        );

        let mut f = facts(6, 1000, 500);
        f.milestone_months_late = vec![0, 2];
        assert_eq!(evaluate(&r, &f).reasons, vec![Reason::MilestoneLag]);
        f.milestone_months_late = vec![3];
        assert_eq!(evaluate(&r, &f).colour, Colour::Red);

        let mut f = facts(6, 1000, 500);
        f.reporting = Reporting::Late;
        assert_eq!(
            (evaluate(&r, &f).colour, evaluate(&r, &f).reasons),
            (Colour::Green, vec![Reason::LateReport])
        );
        f.reporting = Reporting::Missing;
        assert_eq!(evaluate(&r, &f).colour, Colour::Yellow);

        let esc = ColourRules {
            escalate_after_yellows: Some(2),
            ..Default::default()
        };
        let mut f = facts(6, 1000, 400);
        assert_eq!(evaluate(&esc, &f).colour, Colour::Yellow);
        f.yellow_streak_before = 1;
        let e = evaluate(&esc, &f);
        assert_eq!(e.colour, Colour::Red);
        assert!(e.reasons.contains(&Reason::Escalated));

        let mut f = facts(6, 1000, 0);
        f.exempt = true;
        assert_eq!(evaluate(&r, &f).colour, Colour::Exempt);
    }

    #[test]
    fn rules_form_round_trip_and_errors() {
        for r in [
            ColourRules::default(),
            ColourRules {
                baseline: Baseline::LinearTimes { permille: 1200 },
                gap: GapKind::Relative,
                yellow_within_bp: 1250,
                blue_ahead_bp: Some(500),
                late_report: Some(Colour::Red),
                escalate_after_yellows: Some(2),
                ..Default::default()
            },
        ] {
            assert_eq!(RulesDraft::from_rules(&r).validate().unwrap(), r);
        }
        let bad = RulesDraft {
            baseline: "linear_times".into(),
            coefficient: "3".into(),
            yellow_within: "120".into(),
            start_yellow_months: "3".into(),
            start_red_months: "2".into(),
            milestone_yellow_months: "x".into(),
            missing_report: "green".into(),
            ..Default::default()
        };
        let e = bad.validate().unwrap_err();
        for f in [
            "coefficient",
            "yellow_within",
            "start_red_months",
            "milestone_yellow_months",
            "missing_report",
        ] {
            assert!(e.for_field(f).is_some(), "{f}: {e:?}");
        }
    }

    fn any_rules() -> impl Strategy<Value = ColourRules> {
        (
            0usize..3,
            500i64..2000,
            any::<bool>(),
            1i64..10000,
            proptest::option::of(1i64..5000),
            1i32..4,
            proptest::option::of(2u32..5),
        )
            .prop_map(|(b, k, rel, y, blue, sy, esc)| ColourRules {
                baseline: [
                    Baseline::Linear,
                    Baseline::LinearTimes { permille: k },
                    Baseline::OwnPlan,
                ][b],
                gap: if rel {
                    GapKind::Relative
                } else {
                    GapKind::Points
                },
                yellow_within_bp: y,
                blue_ahead_bp: blue,
                start_yellow_months: sy,
                start_red_months: sy + 2,
                milestone_yellow_months: sy,
                milestone_red_months: sy + 2,
                missing_report: Colour::Yellow,
                late_report: None,
                escalate_after_yellows: esc,
            })
    }

    proptest! {
        /// More investment never makes a colour worse (Blue < Green < Yellow < Red).
        #[test]
        fn monotonic_in_completion(rules in any_rules(), month in 1u32..=12, plan in 1i64..100_000, a in 0i64..200_000, b in 0i64..200_000, own in 0i64..100_000, streak in 0u32..4) {
            let (lo, hi) = (a.min(b), a.max(b));
            let mut f = facts(month, plan, lo);
            f.own_plan_to_month = Some(Money::from_wan_int(own.min(plan)));
            f.yellow_streak_before = streak;
            let worse = evaluate(&rules, &f).colour;
            f.completed_ytd = Money::from_wan_int(hi);
            let better = evaluate(&rules, &f).colour;
            prop_assert!(better.severity() <= worse.severity(), "{:?} then {:?}", worse, better);
        }

        /// Every project-month gets exactly one colour, Exempt exactly when exempt, and a
        /// missing report is never shown green or blue.
        #[test]
        fn one_colour_per_month(rules in any_rules(), month in 1u32..=12, cat in 0usize..3, plan in 0i64..1000, done in 0i64..2000, rep in 0usize..3, exempt in any::<bool>(), late in proptest::collection::vec(-3i32..6, 0..3)) {
            let mut f = facts(month, plan, done);
            f.category = YearCategory::ALL[cat];
            f.reporting = [Reporting::OnTime, Reporting::Late, Reporting::Missing][rep];
            f.exempt = exempt;
            f.milestone_months_late = late;
            let e = evaluate(&rules, &f);
            prop_assert_eq!(e.colour == Colour::Exempt, exempt);
            if !exempt && f.reporting == Reporting::Missing {
                prop_assert!(e.colour.severity() >= Colour::Yellow.severity());
                prop_assert!(e.reasons.contains(&Reason::NotReported));
            }
            if e.colour == Colour::Green || e.colour == Colour::Blue {
                prop_assert!(!e.reasons.contains(&Reason::InvestmentLag));
            }
        }
    }
}

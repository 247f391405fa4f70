//! 部门整体支出绩效自评 (issue #13, first part): the indicator tree a template holds, the closed
//! set of scoring rules the published schemes use (perf-eval.md §2.4), the edge cases of the
//! reference year (§2.5: 三公 0 and 0, not applicable), the score with its working, the grade,
//! and the budget ledger's reconciliation. Points are hundredths (`10_00` is 10 分) and ratios
//! basis points (`100_00` is 100 %), as in 单位考核.

// Points and ratios are written as whole_hundredths (10_00 is 10 分, 100_00 is 100 %).
#![allow(clippy::inconsistent_digit_grouping)]

use crate::Money;
use crate::assessment::scoring::round_div;
use crate::assessment::{Grade, Points, Ratio, grade_of, points_text};
use crate::error::ValidationErrors;
use crate::keyed_enum;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub mod report;
pub mod sheet;

/// The L1 weights add up to this.
pub const TOTAL: Points = 100_00;

keyed_enum!(
    /// What a leaf reads: figures of the ledger, keyproj's own records, the survey, or an answer
    /// entered with its evidence.
    pub enum EvalMeasure, "绩效指标数据" {
        TargetsReasonable => "targets_reasonable", "绩效目标合理性（评定）";
        TargetsClear => "targets_clear", "绩效指标明确性（评定）";
        StaffControl => "staff_control", "在职人员控制率";
        SangongChange => "sangong_change", "“三公”经费变动率";
        KeySpending => "key_spending", "重点支出安排率";
        BudgetCompletion => "budget_completion", "预算完成率";
        BudgetAdjustment => "budget_adjustment", "预算调整率";
        PaymentProgress => "payment_progress", "支付进度率";
        CarryOver => "carry_over", "结转结余率";
        OperatingControl => "operating_control", "公用经费控制率";
        SangongControl => "sangong_control", "“三公”经费控制率";
        RulesSound => "rules_sound", "管理制度健全性（清单）";
        FundsCompliant => "funds_compliant", "资金使用合规性（违规次数）";
        Disclosure => "disclosure", "预决算信息公开性（清单）";
        AssetsSafe => "assets_safe", "资产管理安全性（清单）";
        ProjectInvestment => "project_investment", "重点项目投资完成率";
        TaskClosure => "task_closure", "重点工作办结率";
        ReportsOnTime => "reports_on_time", "月报及时率";
        ColourTables => "colour_tables", "进度分色表按月发布率";
        SocialBenefit => "social_benefit", "社会效益（评定）";
        EconomicBenefit => "economic_benefit", "经济效益（评定）";
        Satisfaction => "satisfaction", "社会公众满意度";
    }
);

/// The department economic classes (部门预算支出经济分类, 类级) a ledger may use.
pub const ECONOMIC_CLASSES: [(u16, &str); 10] = [
    (301, "工资福利支出"),
    (302, "商品和服务支出"),
    (303, "对个人和家庭的补助"),
    (307, "债务利息及费用支出"),
    (309, "资本性支出（基本建设）"),
    (310, "资本性支出"),
    (311, "对企业补助（基本建设）"),
    (312, "对企业补助"),
    (313, "对社会保障基金补助"),
    (399, "其他支出"),
];

/// The class's name, or None for a code that is not one.
pub fn class_name(code: u16) -> Option<&'static str> {
    ECONOMIC_CLASSES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| *n)
}

/// Which side of a benchmark is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    /// At or under the benchmark (控制率, 变动率).
    Lower,
    /// At or over it (完成率, 满意度).
    Higher,
}

/// A band of a banded rule. Bands read [from, to) — or (from, to] when the rule says the upper
/// ends are closed (预算调整率: "(0, 10%] → 2"); `None` is open-ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub from: Option<Ratio>,
    pub to: Option<Ratio>,
    pub points: Points,
}

/// The closed set of scoring rules (perf-eval.md §2.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rule {
    /// Full marks on the good side of `benchmark`; `per_step` points off for every `step` beyond
    /// it (a started step counts), never below 0 (扣完为止).
    Threshold {
        benchmark: Ratio,
        better: Better,
        step: Ratio,
        per_step: Points,
    },
    /// Bands covering every value without gaps or overlaps.
    Banded {
        bands: Vec<Band>,
        upper_closed: bool,
    },
    /// Each item met earns its share of the weight.
    Checklist { items: Vec<String> },
    /// `each` points off per incident, never below 0.
    PerIncident { each: Points },
    /// weight × min(actual ÷ target, 1), or × min(target ÷ actual, 1) when lower is better.
    Proportional { target: Ratio, better: Better },
    /// 达成 80–100 %, 部分达成 60–80 %, 未达成 0–60 % of the weight, the points entered within
    /// the tier (a qualitative judgement with its reason).
    Tiers,
}

/// A node of the tree: a group with children, or a leaf with its measure and rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    pub name: String,
    pub weight: Points,
    #[serde(default)]
    pub children: Vec<Node>,
    #[serde(default)]
    pub leaf: Option<Leaf>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Leaf {
    pub measure: EvalMeasure,
    pub rule: Rule,
}

/// What a leaf that does not apply (no procurement budget, no fixed assets) does to the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotApplicable {
    /// Left out, the rest scaled back to 100.
    Rescale,
    /// Full marks.
    FullMarks,
}

/// A template: the tree (L1 nodes), its basis, the grades and the not-applicable policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// 文件依据, e.g. 桃财监〔2023〕63号.
    pub basis: String,
    pub roots: Vec<Node>,
    pub grades: Vec<Grade>,
    pub not_applicable: NotApplicable,
}

/// 优 ≥ 90, 良 ≥ 80, 中 ≥ 60, 差 below: inclusive lower bounds (财预〔2020〕10号).
pub fn default_grades() -> Vec<Grade> {
    [("优", 90_00), ("良", 80_00), ("中", 60_00), ("差", 0)]
        .into_iter()
        .map(|(name, min)| Grade {
            name: name.into(),
            min,
        })
        .collect()
}

fn leaf(name: &str, weight: Points, measure: EvalMeasure, rule: Rule) -> Node {
    Node {
        name: name.into(),
        weight,
        children: vec![],
        leaf: Some(Leaf { measure, rule }),
    }
}

fn group(name: &str, children: Vec<Node>) -> Node {
    Node {
        name: name.into(),
        weight: children.iter().map(|c| c.weight).sum(),
        children,
        leaf: None,
    }
}

fn threshold(benchmark: Ratio, better: Better, per_pp: Points) -> Rule {
    Rule::Threshold {
        benchmark,
        better,
        step: 1_00,
        per_step: per_pp,
    }
}

/// weight × min(actual ÷ 100 %, 1): a completion rate.
fn up_to_target() -> Rule {
    Rule::Proportional {
        target: 100_00,
        better: Better::Higher,
    }
}

fn checklist(items: &[&str]) -> Rule {
    Rule::Checklist {
        items: items.iter().map(|s| s.to_string()).collect(),
    }
}

fn band(from: Option<Ratio>, to: Option<Ratio>, points: Points) -> Band {
    Band { from, to, points }
}

/// The national framework (财预〔2013〕53号 annex 2) with the reference county's L1 weights
/// 投入 10 / 过程 30 / 产出 30 / 效果 30, and rules after the published Hunan examples scaled to
/// each leaf's weight. An example to adopt or change: the county's own notice decides.
pub fn default_template() -> Template {
    use Better::*;
    use EvalMeasure as M;
    let roots = vec![
        group(
            "投入",
            vec![
                group(
                    "目标设定",
                    vec![
                        leaf("绩效目标合理性", 2_00, M::TargetsReasonable, Rule::Tiers),
                        leaf("绩效指标明确性", 2_00, M::TargetsClear, Rule::Tiers),
                    ],
                ),
                group(
                    "预算配置",
                    vec![
                        leaf(
                            "在职人员控制率",
                            2_00,
                            M::StaffControl,
                            threshold(100_00, Lower, 50),
                        ),
                        leaf(
                            "“三公”经费变动率",
                            2_00,
                            M::SangongChange,
                            threshold(0, Lower, 50),
                        ),
                        leaf(
                            "重点支出安排率",
                            2_00,
                            M::KeySpending,
                            Rule::Banded {
                                bands: vec![
                                    band(None, Some(60_00), 0),
                                    band(Some(60_00), Some(70_00), 80),
                                    band(Some(70_00), Some(80_00), 1_20),
                                    band(Some(80_00), Some(90_00), 1_60),
                                    band(Some(90_00), None, 2_00),
                                ],
                                upper_closed: false,
                            },
                        ),
                    ],
                ),
            ],
        ),
        group(
            "过程",
            vec![
                group(
                    "预算执行",
                    vec![
                        leaf("预算完成率", 4_00, M::BudgetCompletion, up_to_target()),
                        leaf(
                            "预算调整率",
                            3_00,
                            M::BudgetAdjustment,
                            Rule::Banded {
                                bands: vec![
                                    band(None, Some(0), 3_00),
                                    band(Some(0), Some(10_00), 2_00),
                                    band(Some(10_00), Some(20_00), 1_00),
                                    band(Some(20_00), Some(30_00), 50),
                                    band(Some(30_00), None, 0),
                                ],
                                upper_closed: true,
                            },
                        ),
                        leaf("支付进度率", 3_00, M::PaymentProgress, up_to_target()),
                        leaf("结转结余率", 3_00, M::CarryOver, threshold(0, Lower, 50)),
                        leaf(
                            "公用经费控制率",
                            2_00,
                            M::OperatingControl,
                            threshold(100_00, Lower, 50),
                        ),
                        leaf(
                            "“三公”经费控制率",
                            3_00,
                            M::SangongControl,
                            threshold(100_00, Lower, 1_00),
                        ),
                    ],
                ),
                group(
                    "预算管理",
                    vec![
                        leaf(
                            "管理制度健全性",
                            3_00,
                            M::RulesSound,
                            checklist(&[
                                "已制定预算资金管理办法、内部财务管理制度、会计核算制度",
                                "相关制度合法、合规、完整",
                                "相关制度得到有效执行",
                            ]),
                        ),
                        leaf(
                            "资金使用合规性",
                            3_00,
                            M::FundsCompliant,
                            Rule::PerIncident { each: 1_00 },
                        ),
                        leaf(
                            "预决算信息公开性",
                            3_00,
                            M::Disclosure,
                            checklist(&[
                                "按规定公开部门预算",
                                "按规定公开部门决算",
                                "公开内容完整、及时",
                            ]),
                        ),
                    ],
                ),
                group(
                    "资产管理",
                    vec![leaf(
                        "资产管理安全性",
                        3_00,
                        M::AssetsSafe,
                        checklist(&["资产保存完整", "资产配置合理", "资产处置规范"]),
                    )],
                ),
            ],
        ),
        group(
            "产出",
            vec![group(
                "职责履行",
                vec![
                    // 年度投资计划 is met at 95 % (the plan is a target, not a ceiling); 0.5 off
                    // per point below
                    leaf(
                        "重点项目投资完成率",
                        10_00,
                        M::ProjectInvestment,
                        threshold(95_00, Higher, 50),
                    ),
                    leaf("重点工作办结率", 10_00, M::TaskClosure, up_to_target()),
                    leaf("月报及时率", 5_00, M::ReportsOnTime, up_to_target()),
                    leaf(
                        "进度分色表按月发布率",
                        5_00,
                        M::ColourTables,
                        up_to_target(),
                    ),
                ],
            )],
        ),
        group(
            "效果",
            vec![group(
                "履职效益",
                vec![
                    leaf("社会效益", 10_00, M::SocialBenefit, Rule::Tiers),
                    leaf("经济效益", 10_00, M::EconomicBenefit, Rule::Tiers),
                    leaf(
                        "社会公众满意度",
                        10_00,
                        M::Satisfaction,
                        threshold(90_00, Higher, 50),
                    ),
                ],
            )],
        ),
    ];
    Template {
        basis: "财预〔2020〕10号；示例模板，请按本地财政部门通知调整".into(),
        roots,
        grades: default_grades(),
        not_applicable: NotApplicable::Rescale,
    }
}

/// A tier of a qualitative judgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Met,
    Partly,
    NotMet,
}

impl Tier {
    /// The share of the weight the tier spans, in basis points: [low, high].
    fn span(self) -> (i64, i64) {
        match self {
            Tier::Met => (80_00, 100_00),
            Tier::Partly => (60_00, 80_00),
            Tier::NotMet => (0, 60_00),
        }
    }
    fn label(self) -> &'static str {
        match self {
            Tier::Met => "达成年度指标",
            Tier::Partly => "部分达成并具有一定效果",
            Tier::NotMet => "未达成且效果较差",
        }
    }
}

/// What a leaf's measure reads for the year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Input {
    Ratio {
        value: Ratio,
    },
    /// A rate without a base (last year 0, this year more): scored 0 and flagged for review.
    Undefined {
        why: String,
    },
    Count {
        n: u32,
    },
    Checked {
        met: Vec<bool>,
    },
    Judged {
        tier: Tier,
        points: Points,
    },
    NotApplicable,
}

/// A change rate, this year against last: both 0 is no change (full marks under "≤ 0"); last
/// year 0 and this year more has no base (perf-eval.md §2.5).
pub fn change_rate(this: Money, last: Money) -> Input {
    match (this.fen(), last.fen()) {
        (0, 0) => Input::Ratio { value: 0 },
        (_, 0) => Input::Undefined {
            why: "上年为0、本年大于0，变动率无法计算，须人工复核".into(),
        },
        (t, l) => Input::Ratio {
            value: round_div((t - l) as i128 * 100_00, l as i128),
        },
    }
}

/// A control rate, actual against budget: 0 of 0 is within budget (100 %); spending without a
/// budget is over it (full deduction).
pub fn control_rate(actual: Money, budget: Money) -> Input {
    match (actual.fen(), budget.fen()) {
        (0, 0) => Input::Ratio { value: 100_00 },
        (_, 0) => Input::Ratio {
            value: i64::MAX / 4,
        },
        (a, b) => Input::Ratio {
            value: round_div(a as i128 * 100_00, b as i128),
        },
    }
}

/// Percent as the working writes it: 98.5%.
fn pct(r: Ratio) -> String {
    format!("{}%", points_text(r))
}

/// A leaf's points and how they were reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scored {
    /// None: not applicable.
    pub points: Option<Points>,
    pub working: String,
    /// Scored 0 until someone looks (a rate without a base).
    pub review: bool,
}

fn scored(points: Points, working: String) -> Scored {
    Scored {
        points: Some(points),
        working,
        review: false,
    }
}

/// One leaf: the rule applied to the input, within 0 and the weight.
pub fn score_leaf(weight: Points, rule: &Rule, input: &Input) -> Scored {
    let clamp = |p: Points| p.clamp(0, weight);
    match (rule, input) {
        (_, Input::NotApplicable) => Scored {
            points: None,
            working: "不适用".into(),
            review: false,
        },
        (_, Input::Undefined { why }) => Scored {
            points: Some(0),
            working: why.clone(),
            review: true,
        },
        (
            Rule::Threshold {
                benchmark,
                better,
                step,
                per_step,
            },
            Input::Ratio { value },
        ) => {
            let beyond = match better {
                Better::Lower => value - benchmark,
                Better::Higher => benchmark - value,
            };
            if beyond <= 0 {
                return scored(
                    weight,
                    format!("{}，达到标准{}，得满分", pct(*value), pct(*benchmark)),
                );
            }
            let steps = (beyond as i128 + *step as i128 - 1) / (*step).max(1) as i128;
            let off = (steps * *per_step as i128).min(weight as i128) as i64;
            scored(
                clamp(weight - off),
                format!(
                    "{}，{}标准{}，扣{}分",
                    pct(*value),
                    if *better == Better::Lower {
                        "超出"
                    } else {
                        "低于"
                    },
                    pct(*benchmark),
                    points_text(off)
                ),
            )
        }
        (
            Rule::Banded {
                bands,
                upper_closed,
            },
            Input::Ratio { value },
        ) => {
            let inside = |b: &Band| {
                let v = *value;
                if *upper_closed {
                    b.from.is_none_or(|f| v > f) && b.to.is_none_or(|t| v <= t)
                } else {
                    b.from.is_none_or(|f| v >= f) && b.to.is_none_or(|t| v < t)
                }
            };
            let p = bands
                .iter()
                .find(|b| inside(b))
                .map(|b| b.points)
                .unwrap_or(0);
            scored(
                clamp(p),
                format!("{}，按分档得{}分", pct(*value), points_text(p)),
            )
        }
        (Rule::Checklist { items }, Input::Checked { met }) => {
            let n = items.len().max(1) as i128;
            let ok = met.iter().take(items.len()).filter(|m| **m).count() as i128;
            let p = round_div(weight as i128 * ok, n);
            scored(clamp(p), format!("{}项中符合{}项", items.len(), ok))
        }
        (Rule::PerIncident { each }, Input::Count { n }) => {
            let off = (*each as i128 * *n as i128).min(weight as i128) as i64;
            scored(
                clamp(weight - off),
                if *n == 0 {
                    "未发现问题，得满分".into()
                } else {
                    format!("发现{n}项问题，扣{}分", points_text(off))
                },
            )
        }
        (Rule::Proportional { target, better }, Input::Ratio { value }) => {
            let (num, den) = match better {
                Better::Higher => (*value, *target),
                Better::Lower => (*target, *value),
            };
            let p = if den <= 0 {
                weight
            } else {
                round_div(weight as i128 * num.min(den).max(0) as i128, den as i128)
            };
            scored(clamp(p), format!("{}（目标{}）", pct(*value), pct(*target)))
        }
        (Rule::Tiers, Input::Judged { tier, points }) => {
            let (lo, hi) = tier.span();
            let (lo, hi) = (
                round_div(weight as i128 * lo as i128, 100_00),
                round_div(weight as i128 * hi as i128, 100_00),
            );
            scored(
                (*points).clamp(lo, hi),
                format!(
                    "{}，评定{}分",
                    tier.label(),
                    points_text((*points).clamp(lo, hi))
                ),
            )
        }
        _ => Scored {
            points: Some(0),
            working: "数据与计分规则不符，须人工复核".into(),
            review: true,
        },
    }
}

/// The year's score: every leaf with its working, the L1 scores, the total rounded to two
/// decimals (hundredths, half up) before grading, and the grade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// (L1, L2, leaf name, weight, scored)
    pub leaves: Vec<(String, String, String, Points, Scored)>,
    /// (L1 name, weight, points; None when none of its leaves applies)
    pub l1: Vec<(String, Points, Option<Points>)>,
    pub total: Points,
    pub grade: String,
    /// Some leaf waits for someone to look.
    pub needs_review: bool,
}

impl Evaluation {
    /// The report's sentence: "投入绩效为10分，过程绩效为30分…总绩效为100分。评价结果等次为“优”。"
    pub fn sentence(&self) -> String {
        let parts: Vec<String> = self
            .l1
            .iter()
            .map(|(n, _, p)| match p {
                Some(p) => format!("{n}绩效为{}分", points_text(*p)),
                None => format!("{n}指标本年度不适用"),
            })
            .collect();
        format!(
            "{}，总绩效为{}分。评价结果等次为“{}”。",
            parts.join("，"),
            points_text(self.total),
            self.grade
        )
    }
}

fn walk<'a>(
    n: &'a Node,
    path: &mut Vec<&'a str>,
    out: &mut Vec<(Vec<&'a str>, &'a Node, &'a Leaf)>,
) {
    path.push(&n.name);
    if let Some(l) = &n.leaf {
        out.push((path.clone(), n, l));
    }
    for c in &n.children {
        walk(c, path, out);
    }
    path.pop();
}

/// Scores the tree with the year's inputs by measure (a missing input is not applicable).
pub fn score(t: &Template, inputs: &HashMap<EvalMeasure, Input>) -> Evaluation {
    let mut leaves = vec![];
    let mut l1 = vec![];
    // L1 groups with no applicable leaf at all
    let mut na_weight: Points = 0;
    let mut sum: Points = 0;
    for root in &t.roots {
        let mut found = vec![];
        walk(root, &mut vec![], &mut found);
        let mut root_points = 0;
        let mut root_na: Points = 0;
        for (path, node, leaf) in found {
            let input = inputs
                .get(&leaf.measure)
                .cloned()
                .unwrap_or(Input::NotApplicable);
            let mut s = score_leaf(node.weight, &leaf.rule, &input);
            if s.points.is_none() && t.not_applicable == NotApplicable::FullMarks {
                s.points = Some(node.weight);
                s.working = "不适用，按规定得满分".into();
            }
            match s.points {
                Some(p) => root_points += p,
                None => root_na += node.weight,
            }
            leaves.push((
                path.first().unwrap_or(&"").to_string(),
                path.get(1).unwrap_or(&"").to_string(),
                node.name.clone(),
                node.weight,
                s,
            ));
        }
        // not applicable leaves: the rest of the L1 group scaled back to its weight (so the
        // report can say "产出绩效为30分"), rounded half up to hundredths
        let applicable = root.weight - root_na;
        let root_points = if root_na == 0 {
            Some(root_points)
        } else if applicable > 0 {
            Some(round_div(
                root_points as i128 * root.weight as i128,
                applicable as i128,
            ))
        } else {
            na_weight += root.weight;
            None
        };
        sum += root_points.unwrap_or(0);
        l1.push((root.name.clone(), root.weight, root_points));
    }
    // a whole L1 group not applicable: the others scaled back to 100
    let total = if na_weight > 0 && na_weight < TOTAL {
        round_div(sum as i128 * TOTAL as i128, (TOTAL - na_weight) as i128)
    } else {
        sum
    };
    Evaluation {
        needs_review: leaves.iter().any(|l| l.4.review),
        grade: grade_of(&t.grades, total).to_string(),
        leaves,
        l1,
        total,
    }
}

impl Template {
    /// The weight of the leaf reading `measure`.
    pub fn weight_of(&self, measure: EvalMeasure) -> Option<Points> {
        fn find(n: &Node, m: EvalMeasure) -> Option<Points> {
            match &n.leaf {
                Some(l) if l.measure == m => Some(n.weight),
                _ => n.children.iter().find_map(|c| find(c, m)),
            }
        }
        self.roots.iter().find_map(|r| find(r, measure))
    }

    /// Every problem at once: L1 weights that do not add up to 100, children that do not add up
    /// to their parent, a node both group and leaf (or neither), bands with gaps or overlaps or
    /// over the weight, negative deductions, empty checklists, grades not best first.
    pub fn validate(&self) -> std::result::Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        e.check(crate::error::no_invisible_controls(
            "template",
            "指标体系",
            self,
        ));
        let l1: Points = self.roots.iter().map(|r| r.weight).sum();
        if l1 != TOTAL {
            e.add(
                "roots",
                "weights",
                format!("一级指标分值合计应为100分，现为{}分", points_text(l1)),
            );
        }
        for r in &self.roots {
            check_node(r, &mut e);
        }
        if chars_over(&self.basis, 200) {
            e.add("basis", "too_long", "文件依据不超过200字");
        }
        let mut seen = std::collections::HashSet::new();
        for (path, n, l) in self.leaves() {
            if !seen.insert(l.measure) {
                e.add(
                    &format!("node:{}", n.name),
                    "twice",
                    format!(
                        "「{}」的计量指标与其他指标重复（{}）",
                        path.join("/"),
                        l.measure.label()
                    ),
                );
            }
        }
        let mins: Vec<Points> = self.grades.iter().map(|g| g.min).collect();
        if mins.len() < 2 || mins.windows(2).any(|w| w[0] <= w[1]) {
            e.add(
                "grades",
                "order",
                "等级至少两档，应按分数线从高到低排列，且分数线各不相同",
            );
        }
        if mins.iter().any(|m| !(0..=TOTAL).contains(m)) {
            e.add("grades", "range", "分数线应在0至100分之间");
        }
        if mins.last().is_some_and(|m| *m != 0) {
            e.add(
                "grades",
                "floor",
                "最低一档的分数线应为0分（低于上一档的都评为这一档）",
            );
        }
        if self
            .grades
            .iter()
            .any(|g| g.name.trim().is_empty() || g.name.chars().count() > 10)
        {
            e.add("grades", "name", "每档等级须有名称（不超过10字）");
        }
        fn depth(n: &Node) -> usize {
            1 + n.children.iter().map(depth).max().unwrap_or(0)
        }
        if self.roots.iter().any(|r| depth(r) > 3) {
            e.add("roots", "depth", "指标最多三级（一级、二级、三级）");
        }
        e.into_result()
    }
}

fn chars_over(s: &str, max: usize) -> bool {
    s.chars().count() > max
}

impl Template {
    /// Every leaf with its path of names, in order.
    pub fn leaves(&self) -> Vec<(Vec<&str>, &Node, &Leaf)> {
        let mut out = vec![];
        for r in &self.roots {
            walk(r, &mut vec![], &mut out);
        }
        out
    }

    /// Every node as (path of child indexes, depth from 1, node), in order: how a page lists
    /// and addresses them.
    pub fn nodes(&self) -> Vec<(Vec<usize>, usize, &Node)> {
        fn go<'a>(n: &'a Node, at: Vec<usize>, out: &mut Vec<(Vec<usize>, usize, &'a Node)>) {
            out.push((at.clone(), at.len(), n));
            for (i, c) in n.children.iter().enumerate() {
                let mut p = at.clone();
                p.push(i);
                go(c, p, out);
            }
        }
        let mut out = vec![];
        for (i, r) in self.roots.iter().enumerate() {
            go(r, vec![i], &mut out);
        }
        out
    }

    /// The node at a path of child indexes.
    pub fn node_mut(&mut self, path: &[usize]) -> Option<&mut Node> {
        let (first, rest) = path.split_first()?;
        let mut n = self.roots.get_mut(*first)?;
        for i in rest {
            n = n.children.get_mut(*i)?;
        }
        Some(n)
    }
}

impl Rule {
    /// The rule as a scoring table's 评分标准 says it.
    pub fn describe(&self) -> String {
        let pct = |r: Ratio| format!("{}%", points_text(r));
        match self {
            Rule::Threshold {
                benchmark,
                better,
                step,
                per_step,
            } => format!(
                "{}{}得满分，每{}{}个百分点扣{}分，扣完为止",
                match better {
                    Better::Higher => "≥",
                    Better::Lower => "≤",
                },
                pct(*benchmark),
                match better {
                    Better::Higher => "低",
                    Better::Lower => "高",
                },
                points_text(*step),
                points_text(*per_step)
            ),
            Rule::Banded {
                bands,
                upper_closed,
            } => bands
                .iter()
                .map(|b| {
                    // [from, to) or, with closed upper ends, (from, to]
                    let range = match (b.from, b.to, upper_closed) {
                        (None, Some(t), false) => format!("低于{}", pct(t)),
                        (None, Some(t), true) => format!("不高于{}", pct(t)),
                        (Some(f), None, false) => format!("{}及以上", pct(f)),
                        (Some(f), None, true) => format!("高于{}", pct(f)),
                        (Some(f), Some(t), false) => format!("{}（含）至{}", pct(f), pct(t)),
                        (Some(f), Some(t), true) => format!("高于{}至{}（含）", pct(f), pct(t)),
                        (None, None, _) => "任意值".into(),
                    };
                    format!("{range}得{}分", points_text(b.points))
                })
                .collect::<Vec<_>>()
                .join("；"),
            Rule::Checklist { items } => format!("共{}项，每项满足得相应分值", items.len()),
            Rule::PerIncident { each } => format!("每发现一起扣{}分，扣完为止", points_text(*each)),
            Rule::Proportional { target, better } => format!(
                "{}按比例得分（目标{}）",
                match better {
                    Better::Higher => "实际÷目标",
                    Better::Lower => "目标÷实际",
                },
                pct(*target)
            ),
            Rule::Tiers => "达成得80%–100%，部分达成得60%–80%，未达成得0–60%（须写明理由）".into(),
        }
    }
}

fn check_node(n: &Node, e: &mut ValidationErrors) {
    let field = format!("node:{}", n.name);
    if n.weight <= 0 {
        e.add(&field, "weight", format!("「{}」的分值应大于0", n.name));
    }
    match (&n.leaf, n.children.is_empty()) {
        (Some(_), false) => e.add(
            &field,
            "shape",
            format!("「{}」不能既有下级指标又有计分规则", n.name),
        ),
        (None, true) => e.add(
            &field,
            "shape",
            format!("「{}」没有下级指标，也没有计分规则", n.name),
        ),
        (None, false) => {
            let sum: Points = n.children.iter().map(|c| c.weight).sum();
            if sum != n.weight {
                e.add(
                    &field,
                    "weights",
                    format!(
                        "「{}」的下级指标分值合计{}分，与其分值{}分不符",
                        n.name,
                        points_text(sum),
                        points_text(n.weight)
                    ),
                );
            }
            for c in &n.children {
                check_node(c, e);
            }
        }
        (Some(l), true) => check_rule(n, &l.rule, &field, e),
    }
}

fn check_rule(n: &Node, rule: &Rule, field: &str, e: &mut ValidationErrors) {
    match rule {
        Rule::Threshold { step, per_step, .. } => {
            if *step <= 0 || *per_step < 0 {
                e.add(
                    field,
                    "rule",
                    format!("「{}」的扣分步长和扣分值应为正数", n.name),
                );
            }
        }
        Rule::Banded { bands, .. } => {
            let mut sorted = bands.clone();
            sorted.sort_by_key(|b| b.from.unwrap_or(i64::MIN));
            let contiguous = !sorted.is_empty()
                && sorted[0].from.is_none()
                && sorted.last().is_some_and(|b| b.to.is_none())
                && sorted
                    .windows(2)
                    .all(|w| w[0].to.is_some() && w[0].to == w[1].from)
                && sorted.iter().all(|b| match (b.from, b.to) {
                    (Some(f), Some(t)) => f < t,
                    _ => true,
                });
            if !contiguous {
                e.add(
                    field,
                    "bands",
                    format!("「{}」的分档有缺口或重叠，应覆盖全部取值且首尾相接", n.name),
                );
            }
            if bands.iter().any(|b| b.points < 0 || b.points > n.weight) {
                e.add(
                    field,
                    "bands",
                    format!(
                        "「{}」的分档得分应在0至{}分之间",
                        n.name,
                        points_text(n.weight)
                    ),
                );
            }
        }
        Rule::Checklist { items } => {
            if items.is_empty() || items.iter().any(|i| i.trim().is_empty()) {
                e.add(field, "rule", format!("「{}」的清单不能为空", n.name));
            }
        }
        Rule::PerIncident { each } => {
            if *each <= 0 {
                e.add(field, "rule", format!("「{}」每次扣分应为正数", n.name));
            }
        }
        Rule::Proportional { target, .. } => {
            if *target <= 0 {
                e.add(field, "rule", format!("「{}」的目标值应为正数", n.name));
            }
        }
        Rule::Tiers => {}
    }
}

// --- the budget ledger ------------------------------------------------------------------------

/// The year's income and expenditure as the ledger holds them, for reconciliation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerTotals {
    /// Income by source (一般公共预算财政拨款, 政府性基金 …).
    pub income: Vec<(String, Money)>,
    /// 基本支出 as declared, and by department economic class (301, 302, 303, 310 …).
    pub basic: Money,
    pub basic_by_class: Vec<(u16, Money)>,
    /// 项目支出 as declared, and its lines.
    pub project: Money,
    pub project_lines: Vec<(String, Money)>,
    /// 年末结转结余.
    pub carried: Money,
    /// 三公经费 as declared, and its parts.
    pub sangong: Money,
    pub sangong_parts: Vec<(String, Money)>,
}

fn wan(m: Money) -> String {
    m.wan_2dp()
}

impl LedgerTotals {
    /// Totals that do not add up are named with the line and how far off they are; negative
    /// amounts are refused. Nothing is assumed: each sum is checked against its declared total.
    pub fn reconcile(&self) -> std::result::Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        let all = self
            .income
            .iter()
            .map(|(n, m)| (n.as_str(), *m))
            .chain(self.basic_by_class.iter().map(|(_, m)| ("基本支出", *m)))
            .chain(self.project_lines.iter().map(|(n, m)| (n.as_str(), *m)))
            .chain(self.sangong_parts.iter().map(|(n, m)| (n.as_str(), *m)));
        for (name, m) in all {
            if m.is_negative() {
                e.add("ledger", "negative", format!("「{name}」的金额不能为负数"));
            }
        }
        let mut off = |field: &str, what: &str, declared: Money, sum: Money, of: &str| {
            if declared != sum {
                let diff = Money::from_fen((declared.fen() - sum.fen()).abs());
                e.add(
                    field,
                    "reconcile",
                    format!(
                        "{what}{}万元，而{of}之和为{}万元，{}{}万元",
                        wan(declared),
                        wan(sum),
                        if declared.fen() > sum.fen() {
                            "少了"
                        } else {
                            "多了"
                        },
                        wan(diff)
                    ),
                );
            }
        };
        let classes: Money = self.basic_by_class.iter().map(|(_, m)| *m).sum();
        off("basic", "基本支出", self.basic, classes, "各经济分类");
        let lines: Money = self.project_lines.iter().map(|(_, m)| *m).sum();
        off("project", "项目支出", self.project, lines, "各项目");
        let parts: Money = self.sangong_parts.iter().map(|(_, m)| *m).sum();
        off("sangong", "“三公”经费", self.sangong, parts, "各分项");
        let income: Money = self.income.iter().map(|(_, m)| *m).sum();
        off(
            "income",
            "收入合计",
            income,
            self.basic + self.project + self.carried,
            "支出与结转结余",
        );
        e.into_result()
    }
}

/// A project expenditure line: its budget, what was spent, and whether it is a key item
/// (重点支出).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectLine {
    pub name: String,
    pub budget: Money,
    pub spent: Money,
    #[serde(default)]
    pub key: bool,
    /// 用途 as the report states it.
    #[serde(default)]
    pub purpose: String,
}

/// A judgement entered with its reason (the qualitative leaves).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Judgement {
    pub tier: Tier,
    pub points: Points,
    pub reason: String,
}

/// The department's year as the ledger holds it (决算 figures), with what is answered rather
/// than computed: checklists, incidents, judgements, and figures kept elsewhere.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct Ledger {
    /// The unit as the report introduces it (一、部门概况).
    pub profile: Profile,
    /// 会议费 and 培训费, reported next to 三公.
    pub meeting_fees: Money,
    pub training_fees: Money,
    /// What each economic class mainly paid for (主要包括…), in the report's words.
    pub class_notes: Vec<(u16, String)>,
    /// 核定编制 and 实有人数.
    pub staff_quota: u32,
    pub staff_actual: u32,
    /// Income by source.
    pub income: Vec<(String, Money)>,
    /// 年初预算, 本年追加, 上年结转.
    pub budget_initial: Money,
    pub budget_added: Money,
    pub carried_in: Money,
    /// 基本支出 and its economic classes (301, 302, 303, 310 …).
    pub basic: Money,
    pub basic_by_class: Vec<(u16, Money)>,
    /// 项目支出 and its lines.
    pub project: Money,
    pub project_lines: Vec<ProjectLine>,
    /// 年末结转结余.
    pub carried_out: Money,
    /// 三公经费: this year's parts, its budget, last year's total.
    pub sangong_parts: Vec<(String, Money)>,
    pub sangong_budget: Money,
    pub sangong_last_year: Money,
    /// 公车保有量 (vehicles held).
    pub vehicles: u32,
    /// 公用经费: budget and spent.
    pub operating_budget: Money,
    pub operating_spent: Money,
    /// 支付进度率 where the finance bureau reports it.
    pub payment_progress: Option<Ratio>,
    /// Checklists answered (None: not applicable, e.g. no fixed assets).
    pub rules_sound: Vec<bool>,
    pub disclosure: Vec<bool>,
    pub assets_safe: Option<Vec<bool>>,
    /// 资金使用违规 found.
    pub violations: u32,
    pub targets_reasonable: Option<Judgement>,
    pub targets_clear: Option<Judgement>,
    pub social_benefit: Option<Judgement>,
    pub economic_benefit: Option<Judgement>,
}

/// The unit of the year: what the report's first chapter says of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// 桃江县重点项目建设事务中心.
    pub unit_name: String,
    /// 县人民政府直属正科级公益一类事业单位.
    pub nature: String,
    /// 全额拨款事业编制 (what the 编制 are).
    pub staffing: String,
    /// 内设机构.
    pub internal_units: Vec<String>,
    /// Founded in the year evaluated: no earlier year to compare with.
    pub founded: Option<chrono::NaiveDate>,
    /// 主要职责, one per item.
    pub duties: Vec<String>,
}

impl Profile {
    /// Founded within `year` (the report then says there is no earlier year to compare).
    pub fn founded_in(&self, year: i32) -> bool {
        use chrono::Datelike;
        self.founded.is_some_and(|d| d.year() == year)
    }

    fn check(&self, year_end: Option<chrono::NaiveDate>, e: &mut ValidationErrors) {
        let long = |e: &mut ValidationErrors, field: &str, label: &str, v: &str, max: usize| {
            if v.chars().count() > max {
                e.add(field, "too_long", format!("{label}不超过{max}字"));
            }
        };
        long(e, "unit_name", "单位名称", &self.unit_name, 60);
        long(e, "nature", "单位性质", &self.nature, 60);
        long(e, "staffing", "编制类型", &self.staffing, 30);
        if self.internal_units.len() > 30 {
            e.add("internal_units", "too_many", "内设机构最多30个");
        }
        for u in &self.internal_units {
            long(e, "internal_units", "每个内设机构名称", u, 30);
        }
        if self.duties.len() > 30 {
            e.add("duties", "too_many", "主要职责最多30条");
        }
        for d in &self.duties {
            long(e, "duties", "每条职责", d, 500);
        }
        if let (Some(f), Some(end)) = (self.founded, year_end)
            && f > end
        {
            e.add("founded", "after_year", "成立日期不能晚于评价年度的年末");
        }
    }
}

/// keyproj's own figures of the year that feed the 产出 leaves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordFigures {
    /// 在建 projects' approved investment against the annual plan.
    pub project_investment: Option<Ratio>,
    /// Items assigned in the year and closed.
    pub task_closure: Option<Ratio>,
    /// Monthly reports on time.
    pub reports_on_time: Option<Ratio>,
    /// Colour tables published against the months they were due.
    pub colour_tables: Option<Ratio>,
    /// The survey's 满意度.
    pub satisfaction: Option<Ratio>,
}

fn ratio_of(n: i64, d: i64) -> Input {
    if d <= 0 {
        Input::NotApplicable
    } else {
        Input::Ratio {
            value: round_div(n as i128 * 100_00, d as i128),
        }
    }
}

impl Ledger {
    /// Everything wrong at once, before anything is summed: every amount within 0 and 1万亿元
    /// in whole 百元 (what a page can show and save back); names present and bounded; no class
    /// twice; lines bounded; judgements with their tier, points inside the tier and a reason;
    /// checklists answered item by item; then the totals reconciled.
    pub fn check(&self) -> std::result::Result<(), ValidationErrors> {
        self.check_for(None, &default_template())
    }

    /// A ledger with its checklists not yet ticked (what an import starts from when none is
    /// kept): the figures come from elsewhere, the answers from the page later.
    pub fn unanswered() -> Ledger {
        Ledger {
            rules_sound: vec![false; 3],
            disclosure: vec![false; 3],
            assets_safe: Some(vec![false; 3]),
            ..Ledger::default()
        }
    }

    /// [`Ledger::check`] for a year and the template it is scored by: the unit cannot be
    /// founded after the year ended, and a judgement's points fall in its tier of the
    /// template's weight.
    pub fn check_for(
        &self,
        year: Option<i32>,
        template: &Template,
    ) -> std::result::Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        // every text of the ledger, the ones added later included
        e.check(crate::error::no_invisible_controls("ledger", "账表", self));
        self.profile.check(
            year.and_then(|y| chrono::NaiveDate::from_ymd_opt(y, 12, 31)),
            &mut e,
        );
        let mut amount = |field: &str, label: &str, m: Money| {
            e.check(Money::validate_fen(field, label, m.fen()));
        };
        for (field, label, m) in [
            ("budget_initial", "年初预算", self.budget_initial),
            ("budget_added", "本年追加", self.budget_added),
            ("carried_in", "上年结转", self.carried_in),
            ("carried_out", "年末结转结余", self.carried_out),
            ("basic", "基本支出", self.basic),
            ("project", "项目支出", self.project),
            ("sangong_budget", "“三公”经费预算", self.sangong_budget),
            (
                "sangong_last_year",
                "上年“三公”经费",
                self.sangong_last_year,
            ),
            ("operating_budget", "公用经费预算", self.operating_budget),
            ("operating_spent", "公用经费支出", self.operating_spent),
            ("meeting_fees", "会议费", self.meeting_fees),
            ("training_fees", "培训费", self.training_fees),
        ] {
            amount(field, label, m);
        }
        for (i, (name, m)) in self.income.iter().enumerate() {
            amount(&format!("income[{i}]"), &format!("收入「{name}」"), *m);
        }
        for (i, (code, m)) in self.basic_by_class.iter().enumerate() {
            amount(&format!("class[{i}]"), &format!("经济分类{code}的金额"), *m);
        }
        for (i, p) in self.project_lines.iter().enumerate() {
            amount(
                &format!("project[{i}]"),
                &format!("项目「{}」的预算", p.name),
                p.budget,
            );
            amount(
                &format!("project[{i}]"),
                &format!("项目「{}」的支出", p.name),
                p.spent,
            );
        }
        for (i, (name, m)) in self.sangong_parts.iter().enumerate() {
            amount(&format!("sg_{i}"), name, *m);
        }
        for (field, label, n, max) in [
            ("income", "收入来源", self.income.len(), 20),
            ("class", "经济分类", self.basic_by_class.len(), 20),
            ("project", "项目支出", self.project_lines.len(), 200),
            ("sangong", "“三公”经费分项", self.sangong_parts.len(), 10),
        ] {
            if n > max {
                e.add(field, "too_many", format!("{label}最多{max}行，现有{n}行"));
            }
        }
        let named = |e: &mut ValidationErrors, field: String, label: &str, v: &str, max: usize| {
            if v.trim().is_empty() {
                e.add(&field, "required", format!("请填写{label}"));
            } else if v.chars().count() > max {
                e.add(&field, "too_long", format!("{label}不超过{max}字"));
            }
        };
        for (i, (name, _)) in self.income.iter().enumerate() {
            named(
                &mut e,
                format!("income[{i}]"),
                &format!("第{}行收入来源", i + 1),
                name,
                50,
            );
        }
        for (i, p) in self.project_lines.iter().enumerate() {
            named(
                &mut e,
                format!("project[{i}]"),
                &format!("第{}个项目的名称", i + 1),
                &p.name,
                100,
            );
            if p.purpose.chars().count() > 500 {
                e.add(
                    &format!("project[{i}]"),
                    "too_long",
                    format!("第{}个项目的用途不超过500字", i + 1),
                );
            }
        }
        for (code, note) in &self.class_notes {
            if !self.basic_by_class.iter().any(|(c, _)| c == code) {
                e.add(
                    "class_notes",
                    "class",
                    format!("经济分类{code}没有金额，不能填写其主要内容"),
                );
            } else if note.chars().count() > 200 {
                e.add(
                    "class_notes",
                    "too_long",
                    format!("经济分类{code}的主要内容不超过200字"),
                );
            }
        }
        for (i, (code, _)) in self.basic_by_class.iter().enumerate() {
            if class_name(*code).is_none() {
                e.add(
                    &format!("class[{i}]"),
                    "class",
                    format!("{code}不是部门预算支出经济分类的类级科目（应为301、302、303、307、309、310、311、312、313或399）"),
                );
            }
        }
        let mut sources = std::collections::HashSet::new();
        for (i, (name, _)) in self.income.iter().enumerate() {
            if !sources.insert(name.trim()) {
                e.add(
                    &format!("income[{i}]"),
                    "twice",
                    format!("收入来源「{name}」重复填写，请合并为一行"),
                );
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (i, (code, _)) in self.basic_by_class.iter().enumerate() {
            if !seen.insert(*code) {
                e.add(
                    &format!("class[{i}]"),
                    "twice",
                    format!("经济分类{code}重复填写，请合并为一行"),
                );
            }
        }
        let t = template;
        for (field, label, measure, j) in [
            (
                "targets_reasonable",
                "绩效目标合理性",
                EvalMeasure::TargetsReasonable,
                &self.targets_reasonable,
            ),
            (
                "targets_clear",
                "绩效指标明确性",
                EvalMeasure::TargetsClear,
                &self.targets_clear,
            ),
            (
                "social_benefit",
                "社会效益",
                EvalMeasure::SocialBenefit,
                &self.social_benefit,
            ),
            (
                "economic_benefit",
                "经济效益",
                EvalMeasure::EconomicBenefit,
                &self.economic_benefit,
            ),
        ] {
            let Some(j) = j else { continue };
            if j.reason.trim().is_empty() {
                e.add(field, "reason", format!("「{label}」的评定须写明理由"));
            } else if j.reason.chars().count() > 500 {
                e.add(field, "too_long", format!("「{label}」的理由不超过500字"));
            }
            if let Some(weight) = t.weight_of(measure) {
                let (lo, hi) = j.tier.span();
                let (lo, hi) = (
                    round_div(weight as i128 * lo as i128, 100_00),
                    round_div(weight as i128 * hi as i128, 100_00),
                );
                if !(lo..=hi).contains(&j.points) {
                    e.add(
                        field,
                        "tier",
                        format!(
                            "「{label}」评定为“{}”时，评分应在{}至{}分之间",
                            j.tier.label(),
                            points_text(lo),
                            points_text(hi)
                        ),
                    );
                }
            }
        }
        for (field, label, v) in [
            ("rules_sound", "管理制度健全性", Some(&self.rules_sound)),
            ("disclosure", "预决算信息公开性", Some(&self.disclosure)),
            ("assets_safe", "资产管理安全性", self.assets_safe.as_ref()),
        ] {
            if let Some(v) = v
                && v.len() != 3
            {
                e.add(
                    field,
                    "items",
                    format!("「{label}」的清单应逐项回答（3项）"),
                );
            }
        }
        if self
            .payment_progress
            .is_some_and(|p| !(0..=100_00).contains(&p))
        {
            e.add("payment_progress", "range", "支付进度率应在0至100%之间");
        }
        if self.staff_actual > 0 && self.staff_quota == 0 {
            e.add("staff_quota", "required", "有在职人员时须填写核定编制数");
        }
        if self.income.is_empty() || (self.basic + self.project) == Money::ZERO {
            e.add("income", "empty", "请填写本年度的收入和支出（决算数）");
        }
        // sums only of amounts that are in range (no overflow, no nonsense)
        if e.is_empty()
            && let Err(r) = self.totals().reconcile()
        {
            r.0.into_iter().for_each(|f| e.push(f));
        }
        e.into_result()
    }

    /// The totals the reconciliation checks.
    pub fn totals(&self) -> LedgerTotals {
        LedgerTotals {
            income: self.income.clone(),
            basic: self.basic,
            basic_by_class: self.basic_by_class.clone(),
            project: self.project,
            project_lines: self
                .project_lines
                .iter()
                .map(|l| (l.name.clone(), l.spent))
                .collect(),
            carried: self.carried_out,
            sangong: self.sangong(),
            sangong_parts: self.sangong_parts.clone(),
        }
    }

    pub fn sangong(&self) -> Money {
        self.sangong_parts.iter().map(|(_, m)| *m).sum()
    }

    /// Every leaf's input the ledger and the records give (perf-eval.md §2.2 formulas).
    pub fn inputs(&self, records: &RecordFigures) -> HashMap<EvalMeasure, Input> {
        use EvalMeasure as M;
        let mut m = HashMap::new();
        m.insert(
            M::StaffControl,
            ratio_of(self.staff_actual as i64, self.staff_quota as i64),
        );
        m.insert(
            M::SangongChange,
            change_rate(self.sangong(), self.sangong_last_year),
        );
        let key: Money = self
            .project_lines
            .iter()
            .filter(|l| l.key)
            .map(|l| l.spent)
            .sum();
        m.insert(M::KeySpending, ratio_of(key.fen(), self.project.fen()));
        // (上年结转 + 年初预算 + 追加 − 年末结余) ÷ (上年结转 + 年初预算 + 追加)
        let available = self.carried_in + self.budget_initial + self.budget_added;
        m.insert(
            M::BudgetCompletion,
            ratio_of(available.fen() - self.carried_out.fen(), available.fen()),
        );
        m.insert(
            M::BudgetAdjustment,
            ratio_of(self.budget_added.fen(), self.budget_initial.fen()),
        );
        if let Some(p) = self.payment_progress {
            m.insert(M::PaymentProgress, Input::Ratio { value: p });
        }
        m.insert(
            M::CarryOver,
            ratio_of(self.carried_out.fen(), available.fen()),
        );
        // no 公用经费 at all is not a control achieved: not applicable
        m.insert(
            M::OperatingControl,
            if self.operating_budget == Money::ZERO && self.operating_spent == Money::ZERO {
                Input::NotApplicable
            } else {
                control_rate(self.operating_spent, self.operating_budget)
            },
        );
        m.insert(
            M::SangongControl,
            control_rate(self.sangong(), self.sangong_budget),
        );
        let checked = |v: &Vec<bool>| Input::Checked { met: v.clone() };
        m.insert(M::RulesSound, checked(&self.rules_sound));
        m.insert(M::Disclosure, checked(&self.disclosure));
        m.insert(
            M::AssetsSafe,
            self.assets_safe
                .as_ref()
                .map(checked)
                .unwrap_or(Input::NotApplicable),
        );
        m.insert(M::FundsCompliant, Input::Count { n: self.violations });
        for (measure, j) in [
            (M::TargetsReasonable, &self.targets_reasonable),
            (M::TargetsClear, &self.targets_clear),
            (M::SocialBenefit, &self.social_benefit),
            (M::EconomicBenefit, &self.economic_benefit),
        ] {
            // a judgement left out is 0 and waits for someone, never "not applicable" (leaving
            // it out must not pay)
            m.insert(
                measure,
                match j {
                    Some(j) => Input::Judged {
                        tier: j.tier,
                        points: j.points,
                    },
                    None => Input::Undefined {
                        why: "尚未评定，须人工评定".into(),
                    },
                },
            );
        }
        for (measure, r) in [
            (M::ProjectInvestment, records.project_investment),
            (M::TaskClosure, records.task_closure),
            (M::ReportsOnTime, records.reports_on_time),
            (M::ColourTables, records.colour_tables),
            (M::Satisfaction, records.satisfaction),
        ] {
            if let Some(v) = r {
                m.insert(measure, Input::Ratio { value: v });
            }
        }
        m
    }
}

/// The reference county's 2022 ledger (部门整体支出绩效自评报告): income 92.67万元 all
/// 一般公共预算财政拨款, expenditure 92.67 = basic 74.68 (301 30.18 + 302 23.88 + 310 20.62) +
/// project 17.99, 三公 0.00 with no vehicles. Staffing and the answered items are the demo's.
pub fn reference_ledger() -> Ledger {
    let wan = |w: &str| Money::parse_wan("x", "x", w).unwrap_or_default();
    let judged = |weight: Points| {
        Some(Judgement {
            tier: Tier::Met,
            points: weight,
            reason: "年度目标全部完成".into(),
        })
    };
    Ledger {
        profile: Profile {
            unit_name: "桃江县重点项目建设事务中心".into(),
            nature: "县人民政府直属正科级公益一类事业单位".into(),
            staffing: "全额拨款事业编制".into(),
            internal_units: ["办公室", "项目前期股", "重点项目全程服务股", "项目协调股"]
                .map(String::from)
                .to_vec(),
            founded: chrono::NaiveDate::from_ymd_opt(2022, 5, 1),
            duties: [
                "负责研究提出全县重点项目管理的政策、制度和建议，经审定同意后组织实施；统筹协调解决重点项目建设中的重大问题。",
                "负责提出全县年度重点建设项目计划，调度、督促重点项目建设计划执行；建设、维护全县重点建设项目库。",
                "负责统筹协调重点项目前期条件的落实，拟订前期工作经费管理的政策及计划，督促和指导前期工作开展；负责县内重大项目的前期工作对接、争取、联络。",
                "参与重点项目的招商论证和项目可行性论证，负责牵头组织重点项目制约性因素排查，提出项目建设的意见、建议。",
                "负责统筹推进重点项目建设。全程代办社会投资重点项目相关手续；会同相关部门统筹拟订并组织落实政府投资项目实施方案和资金组织方案。",
                "负责政府投资代建制项目的组织、招标、协调和监督实施。",
                "负责全县重点项目指挥协调机构和政府投资建设项目公司的协调、服务与归口管理。",
                "完成县委、县政府交办的其他任务。",
            ]
            .map(String::from)
            .to_vec(),
        },
        meeting_fees: Money::ZERO,
        training_fees: Money::ZERO,
        class_notes: vec![
            (301, "基本工资、津贴补贴、伙食补助费、机关事业单位基本养老保险缴费、职业年金缴费、职工基本医疗保险缴费、其他社会保障缴费、住房公积金".into()),
            (302, "办公费、水费、电费、邮电费、差旅费、维修（护）费、劳务费等日常经费支出".into()),
            (310, "办公设备购置、家具购置".into()),
        ],
        staff_quota: 21,
        staff_actual: 14,
        income: vec![("一般公共预算财政拨款".into(), wan("92.67"))],
        budget_initial: wan("92.67"),
        budget_added: Money::ZERO,
        carried_in: Money::ZERO,
        basic: wan("74.68"),
        basic_by_class: vec![
            (301, wan("30.18")),
            (302, wan("23.88")),
            (310, wan("20.62")),
        ],
        project: wan("17.99"),
        project_lines: vec![ProjectLine {
            name: "经费补助缺口".into(),
            budget: wan("17.99"),
            spent: wan("17.99"),
            key: true,
            purpose: "保障单位正常运转，完成日常工作任务，主要用于中心重点项目协调服务经费等".into(),
        }],
        carried_out: Money::ZERO,
        sangong_parts: vec![
            ("因公出国（境）费".into(), Money::ZERO),
            ("公务用车购置费".into(), Money::ZERO),
            ("公务用车运行维护费".into(), Money::ZERO),
            ("公务接待费".into(), Money::ZERO),
        ],
        sangong_budget: Money::ZERO,
        sangong_last_year: Money::ZERO,
        vehicles: 0,
        operating_budget: wan("23.88"),
        operating_spent: wan("23.88"),
        payment_progress: Some(100_00),
        rules_sound: vec![true; 3],
        disclosure: vec![true; 3],
        assets_safe: Some(vec![true; 3]),
        violations: 0,
        targets_reasonable: judged(2_00),
        targets_clear: judged(2_00),
        social_benefit: judged(10_00),
        economic_benefit: judged(10_00),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn wan(w: &str) -> Money {
        Money::parse_wan("x", "x", w).unwrap()
    }

    fn all_full() -> HashMap<EvalMeasure, Input> {
        use EvalMeasure as M;
        let ratio = |v| Input::Ratio { value: v };
        let judged = |p| Input::Judged {
            tier: Tier::Met,
            points: p,
        };
        HashMap::from([
            (M::TargetsReasonable, judged(2_00)),
            (M::TargetsClear, judged(2_00)),
            (M::StaffControl, ratio(95_00)),
            (M::SangongChange, change_rate(Money::ZERO, Money::ZERO)),
            (M::KeySpending, ratio(100_00)),
            (M::BudgetCompletion, ratio(100_00)),
            (M::BudgetAdjustment, ratio(0)),
            (M::PaymentProgress, ratio(100_00)),
            (M::CarryOver, ratio(0)),
            (M::OperatingControl, ratio(98_00)),
            (M::SangongControl, control_rate(Money::ZERO, Money::ZERO)),
            (M::RulesSound, Input::Checked { met: vec![true; 3] }),
            (M::FundsCompliant, Input::Count { n: 0 }),
            (M::Disclosure, Input::Checked { met: vec![true; 3] }),
            (M::AssetsSafe, Input::Checked { met: vec![true; 3] }),
            (M::ProjectInvestment, ratio(101_00)),
            (M::TaskClosure, ratio(100_00)),
            (M::ReportsOnTime, ratio(100_00)),
            (M::ColourTables, ratio(100_00)),
            (M::SocialBenefit, judged(10_00)),
            (M::EconomicBenefit, judged(10_00)),
            (M::Satisfaction, ratio(96_50)),
        ])
    }

    #[test]
    fn the_default_template_holds_and_the_reference_year_scores_100() {
        let t = default_template();
        t.validate().unwrap();
        let weights: Vec<Points> = t.roots.iter().map(|r| r.weight).collect();
        assert_eq!(weights, [10_00, 30_00, 30_00, 30_00]);
        let r = score(&t, &all_full());
        let l1: Vec<Points> = r.l1.iter().filter_map(|l| l.2).collect();
        assert_eq!(l1, [10_00, 30_00, 30_00, 30_00], "{:#?}", r.leaves);
        assert_eq!(
            (r.total, r.grade.as_str(), r.needs_review),
            (100_00, "优", false)
        );
        // 三公 0 and 0: no change, within budget, full marks with the working shown
        let sangong = r.leaves.iter().find(|l| l.2 == "“三公”经费变动率").unwrap();
        assert_eq!(sangong.4.points, Some(2_00));
        assert!(sangong.4.working.contains("得满分"));
    }

    #[test]
    fn the_reference_ledger_and_records_score_100_excellent() {
        let l = reference_ledger();
        l.check().unwrap();
        let mut bad = l.clone();
        bad.targets_clear.as_mut().unwrap().reason.clear();
        bad.rules_sound.pop();
        bad.budget_added = Money::from_fen(-1);
        let e = bad.check().unwrap_err();
        for f in ["targets_clear", "rules_sound", "budget_added"] {
            assert!(e.for_field(f).is_some(), "{f}: {e:?}");
        }
        // a tier and points that contradict each other, an amount past the ceiling, a class
        // twice, an empty year: each named, no sum attempted
        let mut bad = l.clone();
        bad.social_benefit.as_mut().unwrap().tier = Tier::NotMet;
        bad.sangong_parts[0].1 = Money::from_fen(i64::MAX);
        bad.basic_by_class.push((301, Money::ZERO));
        let e = bad.check().unwrap_err();
        assert!(
            e.for_field("social_benefit").unwrap().contains("0至6分"),
            "{e:?}"
        );
        assert!(e.for_field("sg_0").unwrap().contains("上限"), "{e:?}");
        assert!(e.for_field("class[3]").unwrap().contains("重复"), "{e:?}");
        assert!(
            Ledger::default()
                .check()
                .unwrap_err()
                .for_field("income")
                .is_some()
        );
        // a judgement left out is 0 and flagged, never not applicable
        let mut unjudged = l.clone();
        unjudged.social_benefit = None;
        let r = score(
            &default_template(),
            &unjudged.inputs(&RecordFigures::default()),
        );
        assert!(r.needs_review);
        let records = RecordFigures {
            project_investment: Some(98_00),
            task_closure: Some(100_00),
            reports_on_time: Some(100_00),
            colour_tables: Some(100_00),
            satisfaction: Some(97_00),
        };
        // the reference year: 98 % of the plan meets the 95 % mark
        let r = score(&default_template(), &l.inputs(&records));
        let invest = r
            .leaves
            .iter()
            .find(|x| x.2 == "重点项目投资完成率")
            .unwrap();
        assert_eq!(invest.4.points, Some(10_00));
        assert_eq!(
            (r.total, r.grade.as_str(), r.needs_review),
            (100_00, "优", false)
        );
        let l1: Vec<Points> = r.l1.iter().filter_map(|x| x.2).collect();
        assert_eq!(l1, [10_00, 30_00, 30_00, 30_00]);
        assert_eq!(
            r.sentence(),
            "投入绩效为10分，过程绩效为30分，产出绩效为30分，效果绩效为30分，总绩效为100分。评价结果等次为“优”。"
        );
    }

    #[test]
    fn each_rule_kind() {
        let th = threshold(100_00, Better::Lower, 50);
        // 103.2 %: four started percentage points over, 0.5 each
        assert_eq!(
            score_leaf(5_00, &th, &Input::Ratio { value: 103_20 }).points,
            Some(3_00)
        );
        assert_eq!(
            score_leaf(5_00, &th, &Input::Ratio { value: 100_00 }).points,
            Some(5_00)
        );
        assert_eq!(
            score_leaf(5_00, &th, &Input::Ratio { value: 250_00 }).points,
            Some(0)
        );
        // 雨花区 预算完成率: −2 for every 5 % below
        let every5 = Rule::Threshold {
            benchmark: 100_00,
            better: Better::Higher,
            step: 5_00,
            per_step: 2_00,
        };
        assert_eq!(
            score_leaf(5_00, &every5, &Input::Ratio { value: 93_00 }).points,
            Some(1_00)
        );
        let banded = default_template().roots[1].children[0].children[1]
            .leaf
            .clone()
            .unwrap()
            .rule;
        let at = |v| score_leaf(3_00, &banded, &Input::Ratio { value: v }).points;
        assert_eq!(
            (at(0), at(1), at(10_00), at(10_01), at(30_00), at(30_01)),
            (
                Some(3_00),
                Some(2_00),
                Some(2_00),
                Some(1_00),
                Some(50),
                Some(0)
            )
        );
        let list = checklist(&["a", "b", "c"]);
        assert_eq!(
            score_leaf(
                3_00,
                &list,
                &Input::Checked {
                    met: vec![true, false, true]
                }
            )
            .points,
            Some(2_00)
        );
        let per = Rule::PerIncident { each: 1_00 };
        assert_eq!(
            score_leaf(3_00, &per, &Input::Count { n: 2 }).points,
            Some(1_00)
        );
        assert_eq!(
            score_leaf(3_00, &per, &Input::Count { n: 9 }).points,
            Some(0)
        );
        let prop = Rule::Proportional {
            target: 100_00,
            better: Better::Higher,
        };
        assert_eq!(
            score_leaf(10_00, &prop, &Input::Ratio { value: 98_00 }).points,
            Some(9_80)
        );
        let reverse = Rule::Proportional {
            target: 100_00,
            better: Better::Lower,
        };
        assert_eq!(
            score_leaf(10_00, &reverse, &Input::Ratio { value: 125_00 }).points,
            Some(8_00)
        );
        // a judgement is held inside its tier
        let tiers =
            |tier, points| score_leaf(10_00, &Rule::Tiers, &Input::Judged { tier, points }).points;
        assert_eq!(tiers(Tier::Met, 10_00), Some(10_00));
        assert_eq!(tiers(Tier::Partly, 9_50), Some(8_00));
        assert_eq!(tiers(Tier::NotMet, 7_00), Some(6_00));
        // a rate without a base is 0 until someone looks
        let s = score_leaf(2_00, &th, &change_rate(wan("1"), Money::ZERO));
        assert_eq!((s.points, s.review), (Some(0), true));
        // spending without a budget is over it
        assert_eq!(
            score_leaf(
                3_00,
                &threshold(100_00, Better::Lower, 1_00),
                &control_rate(wan("0.5"), Money::ZERO)
            )
            .points,
            Some(0)
        );
        // an input that does not fit the rule is flagged, not guessed
        assert!(score_leaf(3_00, &list, &Input::Count { n: 1 }).review);
    }

    #[test]
    fn not_applicable_rescales_or_gives_full_marks() {
        let mut t = default_template();
        let mut inputs = all_full();
        inputs.remove(&EvalMeasure::AssetsSafe); // no fixed assets
        inputs.insert(EvalMeasure::KeySpending, Input::Ratio { value: 75_00 }); // 1.2 of 2
        let r = score(&t, &inputs);
        // 过程 has 27 applicable points, all earned: scaled back to its 30; 投入 lost 0.8
        assert_eq!(r.l1[1].2, Some(30_00));
        assert_eq!(r.total, 99_20);
        // rounding within the group: 26.5 of 27 is 29.444… → 29.44
        inputs.insert(
            EvalMeasure::OperatingControl,
            Input::Ratio { value: 101_00 },
        );
        let r = score(&t, &inputs);
        assert_eq!(r.l1[1].2, Some(29_44));
        assert_eq!(r.total, 9864);
        t.not_applicable = NotApplicable::FullMarks;
        assert_eq!(score(&t, &inputs).total, 98_70);
    }

    #[test]
    fn grades_use_inclusive_lower_bounds_after_rounding_to_hundredths() {
        let g = default_grades();
        assert_eq!(grade_of(&g, 90_00), "优");
        assert_eq!(grade_of(&g, 89_99), "良");
        assert_eq!(grade_of(&g, 60_00), "中");
        assert_eq!(grade_of(&g, 59_99), "差");
        // 89.995 rounds half up to 90.00 before grading: the documented choice
        assert_eq!(round_div(89_995, 1_000), 90);
        let t = default_template();
        let mut inputs = all_full();
        // exactly 90 is 优: 产出 loses its 10-point leaf, 过程 is whole without its assets leaf
        inputs.remove(&EvalMeasure::AssetsSafe);
        inputs.insert(EvalMeasure::TaskClosure, Input::Ratio { value: 0 });
        let r = score(&t, &inputs);
        assert_eq!((r.total, r.grade.as_str()), (90_00, "优"));
        // and 0.8 less is 良
        inputs.insert(EvalMeasure::KeySpending, Input::Ratio { value: 75_00 });
        let r = score(&t, &inputs);
        assert_eq!((r.total, r.grade.as_str()), (89_20, "良"));
    }

    #[test]
    fn a_broken_template_is_named_at_once() {
        let mut t = default_template();
        t.roots[0].weight = 15_00;
        t.roots[1].children[0].children[1].leaf = Some(Leaf {
            measure: EvalMeasure::BudgetAdjustment,
            rule: Rule::Banded {
                bands: vec![band(None, Some(10_00), 3_00), band(Some(20_00), None, 0)],
                upper_closed: true,
            },
        });
        t.roots[1].children[1].children[1].leaf = Some(Leaf {
            measure: EvalMeasure::FundsCompliant,
            rule: Rule::PerIncident { each: 0 },
        });
        let e = t.validate().unwrap_err();
        let all: Vec<&str> = e.all().iter().map(|f| f.message.as_str()).collect();
        assert!(
            all.iter().any(|m| m.contains("一级指标分值合计应为100分")),
            "{all:?}"
        );
        assert!(
            all.iter().any(|m| m.contains("「投入」的下级指标分值合计")),
            "{all:?}"
        );
        assert!(all.iter().any(|m| m.contains("缺口或重叠")), "{all:?}");
        assert!(
            all.iter().any(|m| m.contains("每次扣分应为正数")),
            "{all:?}"
        );
    }

    #[test]
    fn a_control_character_anywhere_in_the_ledger_or_template_is_refused() {
        let template = default_template();
        let mut l = reference_ledger();
        assert!(l.check_for(Some(2022), &template).is_ok());
        l.profile.internal_units.push("办公\u{1e}室".into());
        let e = l.check_for(Some(2022), &template).unwrap_err();
        assert!(e.0.iter().any(|f| f.code == "invalid_chars"), "{e:?}");
        let mut l = reference_ledger();
        l.profile.unit_name = "中心\u{1f}名".into();
        assert!(l.check_for(Some(2022), &template).is_err());
        let mut t = default_template();
        t.basis = "依据\u{202e}".into();
        let e = t.validate().unwrap_err();
        assert!(e.0.iter().any(|f| f.code == "invalid_chars"), "{e:?}");
    }

    #[test]
    fn the_reference_ledger_reconciles_and_a_wrong_line_is_named() {
        let mut l = LedgerTotals {
            income: vec![("一般公共预算财政拨款".into(), wan("92.67"))],
            basic: wan("74.68"),
            basic_by_class: vec![
                (301, wan("30.18")),
                (302, wan("23.88")),
                (310, wan("20.62")),
            ],
            project: wan("17.99"),
            project_lines: vec![("重点项目建设工作经费".into(), wan("17.99"))],
            carried: Money::ZERO,
            sangong: Money::ZERO,
            sangong_parts: vec![("公务接待费".into(), Money::ZERO)],
        };
        l.reconcile().unwrap();
        l.basic_by_class[1].1 = wan("23.00");
        l.project_lines.push(("退回".into(), Money::from_fen(-100)));
        let e = l.reconcile().unwrap_err();
        assert!(
            e.for_field("basic")
                .unwrap()
                .contains("基本支出74.68万元，而各经济分类之和为73.80万元，少了0.88万元"),
            "{e:?}"
        );
        assert!(e.all().iter().any(|f| f.message.contains("不能为负数")));
    }

    proptest! {
        /// Every rule stays within 0 and the weight, and a threshold or proportional rule never
        /// gives more for a worse value.
        #[test]
        fn rules_are_bounded_and_monotone(w in 1i64..=30_00, v in 0i64..=300_00, d in 0i64..=50_00, per in 1i64..=3_00) {
            for rule in [
                threshold(100_00, Better::Lower, per),
                Rule::Proportional { target: 100_00, better: Better::Higher },
                Rule::Proportional { target: 100_00, better: Better::Lower },
            ] {
                let p = |v| score_leaf(w, &rule, &Input::Ratio { value: v }).points.unwrap();
                prop_assert!((0..=w).contains(&p(v)));
                match &rule {
                    Rule::Proportional { better: Better::Higher, .. } => prop_assert!(p(v + d) >= p(v)),
                    _ => prop_assert!(p(v + d) <= p(v)),
                }
            }
        }
    }

    #[test]
    fn try_out_refusals_grades_depth_classes_and_sources() {
        let mut t = default_template();
        t.grades[0].min = 120_00;
        let e = t.validate().unwrap_err();
        assert!(e.for_field("grades").is_some());
        let mut t = default_template();
        t.grades.last_mut().unwrap().min = 10_00;
        assert!(
            t.validate()
                .unwrap_err()
                .all()
                .iter()
                .any(|f| f.message.contains("最低一档"))
        );
        let mut t = default_template();
        t.grades[1].name = " ".into();
        assert!(t.validate().is_err());
        // a fourth level under a leaf's parent
        let mut t = default_template();
        let leaf = t.roots[0].children[0].children[0].clone();
        t.roots[0].children[0].children[0] = Node {
            name: "第四级".into(),
            weight: leaf.weight,
            children: vec![leaf],
            leaf: None,
        };
        assert!(
            t.validate()
                .unwrap_err()
                .all()
                .iter()
                .any(|f| f.message.contains("最多三级"))
        );
        let mut l = reference_ledger();
        l.basic_by_class[0].0 = 305;
        l.income.push(("一般公共预算财政拨款".into(), Money::ZERO));
        let e = l.check().unwrap_err();
        assert!(e.for_field("class[0]").unwrap().contains("305不是"));
        assert!(e.for_field("income[1]").unwrap().contains("重复"));
        // (0, 10%] reads as closed at the top
        let adjust = default_template()
            .leaves()
            .into_iter()
            .find(|(_, _, l)| {
                matches!(
                    l.rule,
                    Rule::Banded {
                        upper_closed: true,
                        ..
                    }
                )
            })
            .map(|(_, _, l)| l.rule.describe())
            .unwrap();
        assert!(adjust.starts_with("不高于0%"), "{adjust}");
        // unknown fields are refused, not dropped
        assert!(serde_json::from_str::<Ledger>(r#"{"staff_quota": 1, "extra": 2}"#).is_err());
    }
}

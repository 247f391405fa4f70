//! 部门整体支出绩效自评报告: the seven chapters of the reference report written from the
//! ledger, the score, keyproj's records of the year and the survey, with the unit's own words
//! where only people can say it (目标, further work, 问题, 建议). Pure: the same inputs give
//! the same report, so an issued report can be frozen as composed.

use super::{Evaluation, Ledger, points_text};
use crate::Money;
use serde::{Deserialize, Serialize};

/// What the unit writes itself; empty 问题 and 建议 are suggested from the leaves that lost
/// points.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportTexts {
    /// (三) 绩效目标设立情况.
    pub goals: String,
    /// 四: the year's work beyond what keyproj's records say (党建, 安全 …).
    pub work: String,
    /// 五 (二): the notice the evaluation follows, e.g.
    /// 《桃江县财政局关于开展2022年度财政资金绩效自评工作的通知》（桃财监〔2023〕63号）.
    pub basis: String,
    /// 六 and 七.
    pub problems: String,
    pub suggestions: String,
}

impl ReportTexts {
    pub const MAX_CHARS: usize = 20_000;

    /// Lengths bounded; what must be said before issuing is asked by [`ReportTexts::ready`].
    pub fn check(&self) -> Result<(), crate::ValidationErrors> {
        let mut e = crate::ValidationErrors::new();
        e.check(crate::error::no_invisible_controls(
            "texts",
            "报告文字",
            self,
        ));
        for (field, label, v) in [
            ("goals", "绩效目标设立情况", &self.goals),
            ("work", "工作情况", &self.work),
            ("basis", "评价依据", &self.basis),
            ("problems", "存在的主要问题", &self.problems),
            ("suggestions", "改进措施和有关建议", &self.suggestions),
        ] {
            let n = v.chars().count();
            if n > Self::MAX_CHARS {
                e.add(
                    field,
                    "too_long",
                    format!("「{label}」不超过{}字（现有{n}字）", Self::MAX_CHARS),
                );
            }
        }
        e.into_result()
    }

    /// What an issued report cannot go without.
    pub fn ready(&self) -> Result<(), crate::ValidationErrors> {
        let mut e = crate::ValidationErrors::new();
        if self.goals.trim().is_empty() {
            e.add("goals", "required", "印发前请填写“绩效目标设立情况”");
        }
        if self.basis.trim().is_empty() {
            e.add(
                "basis",
                "required",
                "印发前请填写评价依据（财政部门的通知及文号）",
            );
        }
        e.into_result()
    }
}

/// The survey as chapter 五 reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveySummary {
    pub slips: i64,
    pub answers: i64,
    /// Basis points.
    pub satisfaction: Option<i64>,
}

pub struct ReportInput<'a> {
    pub year: i32,
    pub ledger: &'a Ledger,
    /// Last year's ledger, when kept: the comparisons.
    pub previous: Option<&'a Ledger>,
    pub evaluation: &'a Evaluation,
    /// keyproj's sentences of the year (在建 / 前期 / 后扶 / 签约, meetings, briefings …).
    pub work: &'a [String],
    pub survey: Option<SurveySummary>,
    pub texts: &'a ReportTexts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "text")]
pub enum Block {
    /// 一、部门概况
    Chapter(String),
    /// （一）部门基本情况
    Section(String),
    Para(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreRow {
    pub l1: String,
    pub l2: String,
    pub name: String,
    pub weight: String,
    pub points: String,
    pub working: String,
}

/// 项目支出绩效自评表 of one project line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectSheet {
    pub name: String,
    pub unit: String,
    pub budget_wan: String,
    pub spent_wan: String,
    /// 执行率 as written (100.00%).
    pub rate: String,
    /// 预算执行率 points of 10.
    pub points: String,
    pub target: String,
    pub deviation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportDoc {
    pub year: i32,
    pub unit: String,
    /// The two title lines: the unit, and 2022年度部门整体支出绩效自评报告.
    pub title: [String; 2],
    pub blocks: Vec<Block>,
    pub score_rows: Vec<ScoreRow>,
    /// (L1, weight, points)
    pub l1: Vec<(String, String, String)>,
    pub total: String,
    pub grade: String,
    pub projects: Vec<ProjectSheet>,
}

/// The official line for a section without figures.
pub const NONE_HERE: &str = "本单位无此项收支。";

fn wan(m: Money) -> String {
    m.wan_2dp()
}

fn class_name(code: u16) -> &'static str {
    super::class_name(code).unwrap_or("其他支出")
}

fn numbered(items: &[String]) -> Vec<String> {
    items
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{}. {}", i + 1, t.trim()))
        .collect()
}

/// Paragraphs of typed text (blank lines and line breaks alike end one).
fn paragraphs(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// A figure against last year's: "比上年增加1.20万元" — or nothing to compare with.
fn against(now: Money, before: Option<Money>, new_unit: bool) -> String {
    if new_unit {
        return "（因单位年中成立，无往年数据对比）".into();
    }
    match before {
        Some(b) if b == now => "，与上年持平".into(),
        Some(b) if now > b => format!(
            "，比上年增加{}万元",
            wan(Money::from_fen(now.fen() - b.fen()))
        ),
        Some(b) => format!(
            "，比上年减少{}万元",
            wan(Money::from_fen(b.fen() - now.fen()))
        ),
        None => String::new(),
    }
}

/// What the unit should say it did wrong, and do next, for a leaf that lost points.
fn advice(leaf: &str) -> (&'static str, &'static str) {
    let has = |k: &str| leaf.contains(k);
    if has("三公") || has("公用经费") {
        (
            "一般性支出控制需进一步加强",
            "严格执行“三公”经费和公用经费预算，厉行节约，从严控制一般性支出。",
        )
    } else if has("预算") || has("支付") || has("结转") {
        (
            "预算编制的科学性和执行进度需进一步提高",
            "细化预算编制，加快预算执行进度，减少结转结余，提高财政资金使用效率。",
        )
    } else if has("制度") || has("合规") || has("资产") || has("公开") {
        (
            "财务和资产管理制度执行需进一步强化",
            "建立健全财务管理和内部控制制度，规范资金使用和资产管理，按规定及时公开预决算信息。",
        )
    } else if has("投资") || has("办结") || has("月报") || has("分色") {
        (
            "重点项目调度和问题办结的时效需进一步提高",
            "加强重点项目调度和问题交办督办，督促按月报送进度、按期办结销号，按月发布进度分色表。",
        )
    } else if has("满意") {
        (
            "服务对象满意度有待进一步提升",
            "改进服务方式，提高帮代办和协调服务的效率和质量，认真回应问卷中反映的意见建议。",
        )
    } else if has("人员") {
        (
            "人员编制管理需进一步规范",
            "严格按核定编制配备人员，规范人员经费管理。",
        )
    } else {
        (
            "绩效目标设定和管理需进一步完善",
            "科学设定绩效目标和指标，加强绩效运行监控，确保目标按期完成。",
        )
    }
}

/// The leaves that lost points: (name, points, weight).
fn lost(e: &Evaluation) -> Vec<(String, String, String)> {
    e.leaves
        .iter()
        .filter_map(|(_, _, name, weight, sc)| {
            sc.points
                .filter(|p| p < weight)
                .map(|p| (name.clone(), points_text(p), points_text(*weight)))
        })
        .collect()
}

/// 六 as the leaves say it, when the unit has not written it.
pub fn suggested_problems(e: &Evaluation) -> Vec<String> {
    let lost = lost(e);
    if lost.is_empty() {
        return vec!["制度执行总体较为有效，但仍需进一步强化，资金使用管理需进一步加强。".into()];
    }
    let mut out = vec![];
    for (name, p, w) in &lost {
        let (problem, _) = advice(name);
        out.push(format!("“{name}”指标得分{p}分（满分{w}分），{problem}。"));
    }
    numbered(&out)
}

/// 七 as the leaves say it, when the unit has not written it.
pub fn suggested_measures(e: &Evaluation) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for (name, _, _) in lost(e) {
        let (_, measure) = advice(&name);
        if !out.iter().any(|m| m == measure) {
            out.push(measure.to_string());
        }
    }
    if out.is_empty() {
        out = vec![
            "细化预算编制工作，严格按照预算编制的相关制度和要求做好预算的编制，进一步提高预算编制的科学性、严谨性和可控性。".into(),
            "建立健全财务管理制度及内部控制制度，严格财务审核，按照预算规定的费用项目和用途进行资金审核、列报支付、财务核算。".into(),
            "按照财政支出绩效管理的要求，牢固树立行政成本意识，不断提高财政资金使用管理的水平和效率。".into(),
        ];
    }
    numbered(&out)
}

/// The report, composed.
pub fn compose(i: &ReportInput<'_>) -> ReportDoc {
    let l = i.ledger;
    let y = i.year;
    let p = &l.profile;
    let unit = if p.unit_name.trim().is_empty() {
        "本单位".to_string()
    } else {
        p.unit_name.trim().to_string()
    };
    let new_unit = p.founded_in(y);
    let prev = i.previous;
    let mut b: Vec<Block> = vec![];
    let chapter = |b: &mut Vec<Block>, t: &str| b.push(Block::Chapter(t.into()));
    let section = |b: &mut Vec<Block>, t: &str| b.push(Block::Section(t.into()));
    let para = |b: &mut Vec<Block>, t: String| b.push(Block::Para(t));

    // 一、部门概况
    chapter(&mut b, "一、部门概况");
    section(&mut b, "（一）部门基本情况");
    let mut intro = unit.clone();
    if let Some(f) = p.founded {
        use chrono::Datelike;
        intro.push_str(&format!("成立于{}年{}月，", f.year(), f.month()));
    }
    if !p.nature.trim().is_empty() {
        intro.push_str(&format!("是{}。", p.nature.trim()));
    } else if intro.ends_with('，') {
        intro.pop();
        intro.push('。');
    } else {
        intro.push('。');
    }
    if !p.internal_units.is_empty() {
        intro.push_str(&format!("内设机构包括：{}。", p.internal_units.join("、")));
    }
    intro.push_str(&format!(
        "截止至{y}年12月31日，核定{}{}名，实有人数{}人。",
        if p.staffing.trim().is_empty() {
            "编制"
        } else {
            p.staffing.trim()
        },
        l.staff_quota,
        l.staff_actual
    ));
    para(&mut b, intro);
    if !p.duties.is_empty() {
        para(&mut b, "主要职责为：".into());
        for d in numbered(&p.duties) {
            para(&mut b, d);
        }
    }
    section(
        &mut b,
        "（二）部门整体支出规模、使用方向和主要内容、涉及范围等",
    );
    let income: Money = l.income.iter().map(|(_, m)| *m).sum();
    let spent = l.basic + l.project;
    if income == Money::ZERO && spent == Money::ZERO {
        para(&mut b, NONE_HERE.into());
    } else {
        let parts: Vec<String> = l
            .income
            .iter()
            .filter(|(_, m)| *m != Money::ZERO)
            .map(|(n, m)| format!("{n}{}万元", wan(*m)))
            .collect();
        let mut s = format!("{y}年度收入{}万元", wan(income));
        if !parts.is_empty() {
            s.push_str(&format!("，其中{}", parts.join("，")));
        }
        s.push('。');
        para(&mut b, s);
        para(
            &mut b,
            format!(
                "{y}年度支出{}万元，其中基本支出{}万元。项目支出{}万元。",
                wan(spent),
                wan(l.basic),
                wan(l.project)
            ),
        );
    }
    section(
        &mut b,
        "（三）绩效目标设立情况，主要包括部门中长期绩效目标和年度绩效目标",
    );
    let goals = paragraphs(&i.texts.goals);
    if goals.is_empty() {
        para(&mut b, "（尚未填写）".into());
    }
    for g in goals {
        para(&mut b, g);
    }

    // 二、部门整体支出管理及使用情况分析
    chapter(&mut b, "二、部门整体支出管理及使用情况分析");
    section(&mut b, "（一）基本支出");
    if l.basic == Money::ZERO {
        para(&mut b, NONE_HERE.into());
    } else {
        let classes: Vec<String> = l
            .basic_by_class
            .iter()
            .filter(|(_, m)| *m != Money::ZERO)
            .map(|(code, m)| {
                let note = l
                    .class_notes
                    .iter()
                    .find(|(c, _)| c == code)
                    .map(|(_, n)| n.trim())
                    .filter(|n| !n.is_empty());
                match note {
                    Some(n) => format!("{}{}万元，主要包括：{n}", class_name(*code), wan(*m)),
                    None => format!("{}{}万元", class_name(*code), wan(*m)),
                }
            })
            .collect();
        let mut s = format!(
            "基本支出{}万元{}",
            wan(l.basic),
            against(l.basic, prev.map(|p| p.basic), new_unit)
        );
        if !classes.is_empty() {
            s.push_str(&format!("，其中{}", classes.join("；")));
        }
        s.push('。');
        para(&mut b, s);
    }
    let part = |name: &str| {
        l.sangong_parts
            .iter()
            .find(|(n, _)| n.contains(name))
            .map(|(_, m)| *m)
            .unwrap_or_default()
    };
    let sangong = l.sangong();
    let mut s = format!(
        "{y}年度三公经费支出为{}万元{}，其中：因公出国（境）费{}万元，公车保有量{}辆，公务用车购置费{}万元，公务用车运行费{}万元，公务接待费{}万元",
        wan(sangong),
        if new_unit {
            String::new()
        } else {
            against(sangong, prev.map(|p| p.sangong()), false)
        },
        wan(part("出国")),
        l.vehicles,
        wan(part("购置")),
        wan(part("运行")),
        wan(part("接待")),
    );
    if sangong == Money::ZERO {
        s.push_str(if new_unit {
            "，因单位为年中成立，厉行节约，暂未产生“三公”经费支出。"
        } else {
            "，厉行节约，未产生“三公”经费支出。"
        });
    } else {
        s.push('。');
    }
    para(&mut b, s);
    para(
        &mut b,
        format!(
            "{y}年度会议费{}万元，培训费{}万元。",
            wan(l.meeting_fees),
            wan(l.training_fees)
        ),
    );
    section(&mut b, "（二）项目支出");
    if l.project == Money::ZERO {
        para(&mut b, NONE_HERE.into());
    } else {
        para(
            &mut b,
            format!(
                "项目支出{}万元，是单位为完成特定行政工作任务或事业发展目标而发生的支出{}",
                wan(l.project),
                if new_unit {
                    "。因单位年中成立，无上年度数据可比。".to_string()
                } else {
                    format!("{}。", against(l.project, prev.map(|p| p.project), false))
                }
            ),
        );
        for line in &l.project_lines {
            let purpose = line.purpose.trim();
            para(
                &mut b,
                if purpose.is_empty() {
                    format!("“{}”项目支出{}万元。", line.name, wan(line.spent))
                } else {
                    format!(
                        "“{}”项目支出{}万元，用于{}。",
                        line.name,
                        wan(line.spent),
                        purpose.trim_end_matches('。')
                    )
                },
            );
        }
        para(&mut b, "在资金使用管理方面严格按照财政相关规定及会计制度规定和财政下达资金的使用范围管理和使用项目经费，做到专款专用，确保资金支出的真实性、安全性、合理性。".into());
    }

    // 三、项目组织实施情况分析
    chapter(&mut b, "三、项目组织实施情况分析");
    section(&mut b, "（一）项目资金安排落实、使用等情况分析");
    if l.project == Money::ZERO {
        para(&mut b, NONE_HERE.into());
    } else {
        let names: Vec<String> = l
            .project_lines
            .iter()
            .map(|p| format!("“{}”", p.name))
            .collect();
        para(
            &mut b,
            format!(
                "{y}年度项目支出{}万元，预算{}万元，执行率{}，资金主要用于{}等。",
                wan(l.project),
                wan(l.project_lines.iter().map(|p| p.budget).sum()),
                rate_text(l.project, l.project_lines.iter().map(|p| p.budget).sum()),
                names.join("、")
            ),
        );
    }
    section(&mut b, "（二）项目资金管理情况分析");
    if l.project == Money::ZERO {
        para(&mut b, NONE_HERE.into());
    } else {
        para(&mut b, "严格按照国家政策法规规定和本部门实际，建立健全财务基础制度和约束机制，依法、有效地使用财政资金，提高财政资金使用效率，在完成部门职能目标中合理分配人、财、物。".into());
    }

    // 四、部门整体支出绩效情况分析
    chapter(&mut b, "四、部门整体支出绩效情况分析");
    section(&mut b, "（一）聚焦主责主业，全力以赴推进项目建设");
    if i.work.is_empty() {
        para(&mut b, "本年度无重点项目调度记录。".into());
    } else {
        const ORDINALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
        let points: Vec<String> = i
            .work
            .iter()
            .enumerate()
            .map(|(n, w)| match ORDINALS.get(n) {
                Some(o) => format!("{o}是{w}"),
                None => w.clone(),
            })
            .collect();
        para(&mut b, format!("{y}年，{}。", points.join("；")));
    }
    let work = paragraphs(&i.texts.work);
    if !work.is_empty() {
        section(&mut b, "（二）其他重点工作");
        for w in work {
            para(&mut b, w);
        }
    }
    para(&mut b, "从整体情况来看，严格按照预算进行部门整体支出。在支出过程中，严格遵守了各项规章制度，在项目经费上按项目实施计划的进度情况进行资金拨付，无截留、无挪用等现象。".into());

    // 五、绩效评价工作开展情况
    chapter(&mut b, "五、绩效评价工作开展情况");
    section(&mut b, "（一）绩效评价目的");
    para(&mut b, "进一步加强财政支出的监督管理，规范支出预算执行，提高财政资金使用效益，强化财政支出绩效理念，科学合理编制年度预算，切实发挥财政资金资源配置作用，提升部门责任意识，促进事业发展。".into());
    section(&mut b, "（二）绩效评价工作过程");
    let basis = i.texts.basis.trim();
    para(
        &mut b,
        format!(
            "根据{}的要求，成立了工作小组，对照自评方案进行研究部署，班子成员及各股室全程参与，对照各实施项目的内容逐条逐项自评，及时发现问题，查找原因，纠正偏差。绩效评价工作主要如下：",
            if basis.is_empty() {
                "财政部门关于开展财政资金绩效自评工作的通知"
            } else {
                basis
            }
        ),
    );
    let survey = match i.survey {
        Some(s) if s.answers > 0 => format!(
            "发放调查问卷。对部门履行职责情况的公众满意度进行调查，共发放问卷{}份，收回{}份，满意度{}%。",
            s.slips,
            s.answers,
            s.satisfaction
                .map(points_text)
                .unwrap_or_else(|| "—".into())
        ),
        _ => "发放调查问卷。对部门履行职责情况的公众满意度进行调查。".into(),
    };
    let steps = [
        format!("核实数据。对{y}年度部门整体支出数据的准确性、真实性进行核实，分析。"),
        format!(
            "查阅资料。查阅{y}年度预算追加、资金管理、经费支出、资产管理等相关文件资料和财务凭证。"
        ),
        "实地查看。现场查看实物资产等。".into(),
        survey,
        "归纳汇总。对提供的材料及自评报告，结合现场评价情况进行综合分析、归纳汇总。".into(),
        "评价组对各项评价指标进行分析讨论。".into(),
        "形成绩效评价报告。".into(),
    ];
    for s in numbered(&steps) {
        para(&mut b, s);
    }
    para(
        &mut b,
        format!(
            "根据评价指标体系测算，本单位部门整体支出绩效自评得分是：{}",
            i.evaluation.sentence()
        ),
    );

    // 六、七
    chapter(&mut b, "六、存在的主要问题");
    let problems = paragraphs(&i.texts.problems);
    for p in if problems.is_empty() {
        suggested_problems(i.evaluation)
    } else {
        problems
    } {
        para(&mut b, p);
    }
    chapter(&mut b, "七、改进措施和有关建议");
    let measures = paragraphs(&i.texts.suggestions);
    for m in if measures.is_empty() {
        suggested_measures(i.evaluation)
    } else {
        measures
    } {
        para(&mut b, m);
    }

    let e = i.evaluation;
    ReportDoc {
        year: y,
        unit: unit.clone(),
        title: [unit.clone(), format!("{y}年度部门整体支出绩效自评报告")],
        blocks: b,
        score_rows: e
            .leaves
            .iter()
            .map(|(l1, l2, name, weight, sc)| ScoreRow {
                l1: l1.clone(),
                l2: l2.clone(),
                name: name.clone(),
                weight: points_text(*weight),
                points: sc
                    .points
                    .map(points_text)
                    .unwrap_or_else(|| "不适用".into()),
                working: sc.working.clone(),
            })
            .collect(),
        l1: e
            .l1
            .iter()
            .map(|(n, w, p)| {
                (
                    n.clone(),
                    points_text(*w),
                    p.map(points_text).unwrap_or_else(|| "不适用".into()),
                )
            })
            .collect(),
        total: points_text(e.total),
        grade: e.grade.clone(),
        projects: l
            .project_lines
            .iter()
            .map(|line| {
                let full = line.budget > Money::ZERO && line.spent >= line.budget;
                ProjectSheet {
                    name: line.name.clone(),
                    unit: unit.clone(),
                    budget_wan: wan(line.budget),
                    spent_wan: wan(line.spent),
                    rate: rate_text(line.spent, line.budget),
                    points: execution_points(line.spent, line.budget),
                    target: line.purpose.clone(),
                    deviation: if full || line.budget == Money::ZERO {
                        String::new()
                    } else {
                        "预算未全部执行".into()
                    },
                }
            })
            .collect(),
    }
}

/// 执行率 "100.00%" (or "—" without a budget).
fn rate_text(spent: Money, budget: Money) -> String {
    if budget <= Money::ZERO {
        return "—".into();
    }
    let bp =
        crate::assessment::scoring::round_div(spent.fen() as i128 * 10_000, budget.fen() as i128);
    format!("{}.{:02}%", bp / 100, bp % 100)
}

/// 预算执行率 points of 10: spent ÷ budget × 10, capped at 10 (财预〔2020〕10号).
fn execution_points(spent: Money, budget: Money) -> String {
    if budget <= Money::ZERO {
        return "—".into();
    }
    let p =
        crate::assessment::scoring::round_div(spent.fen() as i128 * 10_00, budget.fen() as i128)
            .min(10_00);
    points_text(p)
}

#[cfg(test)]
mod tests {
    #[test]
    fn report_texts_with_an_override_are_refused() {
        let mut t = super::ReportTexts::default();
        assert!(t.check().is_ok());
        t.problems = "问题\u{202e}一".into();
        assert!(t.check().is_err());
    }

    use super::*;
    use crate::evaluation::{RecordFigures, default_template, reference_ledger, score};

    fn reference_report(texts: &ReportTexts) -> ReportDoc {
        let l = reference_ledger();
        let records = RecordFigures {
            project_investment: Some(98_00),
            task_closure: Some(100_00),
            reports_on_time: None,
            colour_tables: None,
            satisfaction: Some(100_00),
        };
        let e = score(&default_template(), &l.inputs(&records));
        compose(&ReportInput {
            year: 2022,
            ledger: &l,
            previous: None,
            evaluation: &e,
            work: &["45个在建重点项目完成投资38.2亿元，占年投资计划98%".to_string()],
            survey: Some(SurveySummary {
                slips: 30,
                answers: 12,
                satisfaction: Some(100_00),
            }),
            texts,
        })
    }

    fn text(d: &ReportDoc) -> String {
        d.blocks
            .iter()
            .map(|b| match b {
                Block::Chapter(t) | Block::Section(t) | Block::Para(t) => t.as_str(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_reference_report_says_the_reference_sentences() {
        let d = reference_report(&ReportTexts {
            goals: "一是完成全国文明城市创建工作。".into(),
            basis: "《桃江县财政局关于开展2022年度财政资金绩效自评工作的通知》（桃财监〔2023〕63号）文件".into(),
            ..Default::default()
        });
        let t = text(&d);
        for s in [
            "桃江县重点项目建设事务中心成立于2022年5月，是县人民政府直属正科级公益一类事业单位。",
            "内设机构包括：办公室、项目前期股、重点项目全程服务股、项目协调股。",
            "截止至2022年12月31日，核定全额拨款事业编制21名，实有人数14人。",
            "2022年度收入92.67万元，其中一般公共预算财政拨款92.67万元。",
            "2022年度支出92.67万元，其中基本支出74.68万元。项目支出17.99万元。",
            "基本支出74.68万元（因单位年中成立，无往年数据对比），其中工资福利支出30.18万元，主要包括：基本工资",
            "商品和服务支出23.88万元",
            "资本性支出20.62万元，主要包括：办公设备购置、家具购置",
            "2022年度三公经费支出为0.00万元，其中：因公出国（境）费0.00万元，公车保有量0辆，公务用车购置费0.00万元，公务用车运行费0.00万元，公务接待费0.00万元",
            "项目支出17.99万元，是单位为完成特定行政工作任务或事业发展目标而发生的支出。因单位年中成立，无上年度数据可比。",
            "2022年，一是45个在建重点项目完成投资38.2亿元，占年投资计划98%。",
            "根据《桃江县财政局关于开展2022年度财政资金绩效自评工作的通知》（桃财监〔2023〕63号）文件的要求",
            "共发放问卷30份，收回12份，满意度100%",
            "投入绩效为10分，过程绩效为30分，产出绩效为30分，效果绩效为30分，总绩效为100分。评价结果等次为“优”。",
            "制度执行总体较为有效，但仍需进一步强化，资金使用管理需进一步加强。",
        ] {
            assert!(t.contains(s), "missing: {s}\n{t}");
        }
        assert_eq!(d.title[1], "2022年度部门整体支出绩效自评报告");
        assert_eq!(d.total, "100");
        assert_eq!(d.projects[0].rate, "100.00%");
        assert_eq!(d.projects[0].points, "10");
        // seven chapters, in order
        let chapters: Vec<&str> = d
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Chapter(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(chapters.len(), 7);
        assert!(chapters[6].starts_with("七、"));
    }

    #[test]
    fn empty_sections_say_none_and_lost_points_suggest() {
        let mut l = reference_ledger();
        l.project = Money::ZERO;
        l.project_lines.clear();
        l.basic = Money::ZERO;
        l.basic_by_class.clear();
        l.class_notes.clear();
        l.sangong_budget = Money::from_fen(1_000_000);
        l.sangong_last_year = Money::from_fen(1_000_000);
        l.sangong_parts[3].1 = Money::from_fen(1_500_000);
        let records = RecordFigures {
            satisfaction: Some(80_00),
            ..Default::default()
        };
        let e = score(&default_template(), &l.inputs(&records));
        let d = compose(&ReportInput {
            year: 2022,
            ledger: &l,
            previous: None,
            evaluation: &e,
            work: &[],
            survey: None,
            texts: &ReportTexts::default(),
        });
        let t = text(&d);
        assert!(t.matches(NONE_HERE).count() >= 4, "{t}");
        assert!(t.contains("满意度有待进一步提升"), "{t}");
        assert!(t.contains("从严控制一般性支出"), "{t}");
        assert!(t.contains("公务接待费1.50万元"), "{t}");
    }

    #[test]
    fn issuing_needs_goals_and_basis() {
        let e = ReportTexts::default().ready().unwrap_err();
        assert!(e.for_field("goals").is_some());
        assert!(e.for_field("basis").is_some());
        let long = ReportTexts {
            work: "字".repeat(ReportTexts::MAX_CHARS + 1),
            ..Default::default()
        };
        assert!(long.check().unwrap_err().for_field("work").is_some());
    }
}

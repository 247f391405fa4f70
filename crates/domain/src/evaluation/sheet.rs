//! The ledger as a workbook sheet (部门收支账表), both ways: the figures a finance office keeps
//! in its own tables, one line each, under canonical headers. Reading is all-or-nothing: every
//! line that cannot be read is named with its row, and what the sheet does not carry (the
//! checklists and judgements answered on the page) is kept from the stored ledger.

use super::{Ledger, ProjectLine};
use crate::{Money, ValidationErrors};

pub const SHEET: &str = "部门收支账表";
pub const HEADERS: [&str; 6] = [
    "类别",
    "名称",
    "预算数（万元）",
    "决算数（万元）",
    "重点支出",
    "说明",
];

const PROFILE: &str = "单位概况";
const STAFF: &str = "人员";
const INCOME: &str = "收入";
const BUDGET: &str = "预算执行";
const BASIC: &str = "基本支出";
const PROJECT: &str = "项目支出";
const SANGONG: &str = "三公经费";
const OTHER: &str = "其他支出";
const TOTAL: &str = "合计";

const SANGONG_PARTS: [&str; 4] = [
    "因公出国（境）费",
    "公务用车购置费",
    "公务用车运行维护费",
    "公务接待费",
];

fn wan(m: Money) -> String {
    m.wan_2dp()
}

/// A number a formula left with binary noise (=D20-D25 → 17.989999999999995, shown as 17.99)
/// as the two-decimal figure Excel shows; anything else as typed.
fn excel_decimal(v: &str) -> String {
    match v.parse::<f64>() {
        Ok(f) if f.is_finite() && v.split('.').nth(1).is_some_and(|d| d.len() > 2) => {
            let cents = (f * 100.0).round();
            if (f * 100.0 - cents).abs() < 1e-6 {
                format!("{:.2}", cents / 100.0)
            } else {
                v.to_string()
            }
        }
        _ => v.to_string(),
    }
}

/// A date typed into Excel and stored as its serial number (44682 is 2022-05-01).
fn excel_serial_date(v: &str) -> Option<chrono::NaiveDate> {
    let n = v
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=2_958_465).contains(n))?;
    chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(chrono::Duration::days(n))
}

/// The ledger's figures as the sheet's lines (the template, filled in).
pub fn rows_of(l: &Ledger) -> Vec<[String; 6]> {
    let row = |a: &str, b: &str, c: String, d: String, e: &str, f: &str| {
        [a.into(), b.into(), c, d, e.into(), f.into()]
    };
    let p = &l.profile;
    let mut out = vec![
        row(
            PROFILE,
            "单位名称",
            String::new(),
            String::new(),
            "",
            &p.unit_name,
        ),
        row(
            PROFILE,
            "单位性质",
            String::new(),
            String::new(),
            "",
            &p.nature,
        ),
        row(
            PROFILE,
            "编制类型",
            String::new(),
            String::new(),
            "",
            &p.staffing,
        ),
        row(
            PROFILE,
            "成立日期",
            String::new(),
            String::new(),
            "",
            &p.founded
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        ),
    ];
    for u in &p.internal_units {
        out.push(row(
            PROFILE,
            "内设机构",
            String::new(),
            String::new(),
            "",
            u,
        ));
    }
    for d in &p.duties {
        out.push(row(
            PROFILE,
            "主要职责",
            String::new(),
            String::new(),
            "",
            d,
        ));
    }
    out.push(row(
        STAFF,
        "核定编制",
        String::new(),
        l.staff_quota.to_string(),
        "",
        "",
    ));
    out.push(row(
        STAFF,
        "实有人数",
        String::new(),
        l.staff_actual.to_string(),
        "",
        "",
    ));
    for (src, m) in &l.income {
        out.push(row(INCOME, src, String::new(), wan(*m), "", ""));
    }
    for (name, m) in [
        ("年初预算", l.budget_initial),
        ("本年追加", l.budget_added),
        ("上年结转", l.carried_in),
        ("年末结转结余", l.carried_out),
    ] {
        out.push(row(BUDGET, name, String::new(), wan(m), "", ""));
    }
    out.push(row(BASIC, TOTAL, String::new(), wan(l.basic), "", ""));
    for (code, m) in &l.basic_by_class {
        let note = l
            .class_notes
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, n)| n.as_str())
            .unwrap_or("");
        out.push(row(
            BASIC,
            &code.to_string(),
            String::new(),
            wan(*m),
            "",
            note,
        ));
    }
    out.push(row(PROJECT, TOTAL, String::new(), wan(l.project), "", ""));
    for line in &l.project_lines {
        out.push(row(
            PROJECT,
            &line.name,
            wan(line.budget),
            wan(line.spent),
            if line.key { "是" } else { "否" },
            &line.purpose,
        ));
    }
    for name in SANGONG_PARTS {
        let m = l
            .sangong_parts
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, m)| *m)
            .unwrap_or_default();
        out.push(row(SANGONG, name, String::new(), wan(m), "", ""));
    }
    out.push(row(
        SANGONG,
        TOTAL,
        wan(l.sangong_budget),
        wan(l.sangong()),
        "",
        "",
    ));
    out.push(row(
        SANGONG,
        "上年决算",
        String::new(),
        wan(l.sangong_last_year),
        "",
        "",
    ));
    out.push(row(
        SANGONG,
        "公车保有量（辆）",
        String::new(),
        l.vehicles.to_string(),
        "",
        "",
    ));
    out.push(row(
        OTHER,
        "公用经费",
        wan(l.operating_budget),
        wan(l.operating_spent),
        "",
        "",
    ));
    out.push(row(
        OTHER,
        "会议费",
        String::new(),
        wan(l.meeting_fees),
        "",
        "",
    ));
    out.push(row(
        OTHER,
        "培训费",
        String::new(),
        wan(l.training_fees),
        "",
        "",
    ));
    out
}

/// Reads the sheet's lines (1-based row numbers, six columns) over `kept`: the figures and the
/// profile come from the sheet, the checklists and judgements stay as kept. Every line that
/// cannot be read is named; nothing is half-read.
pub fn ledger_of(rows: &[(usize, Vec<String>)], kept: &Ledger) -> Result<Ledger, ValidationErrors> {
    let mut e = ValidationErrors::new();
    // what the sheet leaves out stays as kept: a list is replaced only when the sheet has it
    let has = |kind: &str, name: Option<&str>| {
        rows.iter().any(|(_, c)| {
            c.first().map(|s| s.trim()) == Some(kind)
                && name.is_none_or(|n| c.get(1).map(|s| s.trim()) == Some(n))
        })
    };
    let mut profile = kept.profile.clone();
    if has(PROFILE, Some("内设机构")) {
        profile.internal_units.clear();
    }
    if has(PROFILE, Some("主要职责")) {
        profile.duties.clear();
    }
    let mut l = Ledger {
        profile,
        income: vec![],
        basic_by_class: vec![],
        class_notes: vec![],
        project_lines: vec![],
        sangong_parts: if SANGONG_PARTS.iter().any(|p| has(SANGONG, Some(p))) {
            vec![]
        } else {
            kept.sangong_parts.clone()
        },
        ..kept.clone()
    };
    if !has(INCOME, None) {
        l.income = kept.income.clone();
    }
    if !rows.iter().any(|(_, c)| {
        c.first().map(|s| s.trim()) == Some(BASIC) && c.get(1).map(|s| s.trim()) != Some(TOTAL)
    }) {
        l.basic_by_class = kept.basic_by_class.clone();
        l.class_notes = kept.class_notes.clone();
    }
    if !rows.iter().any(|(_, c)| {
        c.first().map(|s| s.trim()) == Some(PROJECT) && c.get(1).map(|s| s.trim()) != Some(TOTAL)
    }) {
        l.project_lines = kept.project_lines.clone();
    }
    // the sheet's own totals, checked against their lines after reading
    let mut sangong_total: Option<Money> = None;
    for (n, cells) in rows {
        let cell = |i: usize| cells.get(i).map(|s| s.trim()).unwrap_or("");
        let (kind, name, budget, amount, key, note) =
            (cell(0), cell(1), cell(2), cell(3), cell(4), cell(5));
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let field = format!("row{n}");
        let at = |what: &str| format!("第{n}行（{kind} {name}）{what}");
        let money = |e: &mut ValidationErrors, v: &str, label: &str| -> Money {
            if v.is_empty() {
                return Money::ZERO;
            }
            match Money::parse_wan(&field, &at(label), &excel_decimal(v)) {
                Ok(m) => m,
                Err(f) => {
                    e.push(f);
                    Money::ZERO
                }
            }
        };
        let count = |e: &mut ValidationErrors, v: &str| -> u32 {
            match v.parse::<u32>() {
                Ok(c) if c <= 100_000 => c,
                _ if v.is_empty() => 0,
                _ => {
                    e.add(&field, "number", at("应为0至100000之间的整数"));
                    0
                }
            }
        };
        match (kind, name) {
            (PROFILE, "单位名称") => l.profile.unit_name = note.into(),
            (PROFILE, "单位性质") => l.profile.nature = note.into(),
            (PROFILE, "编制类型") => l.profile.staffing = note.into(),
            (PROFILE, "成立日期") if note.is_empty() => l.profile.founded = None,
            (PROFILE, "成立日期") => match crate::problem::draft::strict_date(note)
                .or_else(|| excel_serial_date(note))
            {
                Some(d) => l.profile.founded = Some(d),
                None => e.add(&field, "date", at("的说明应为日期，例如2022-05-01")),
            },
            (PROFILE, "内设机构") if !note.is_empty() => l.profile.internal_units.push(note.into()),
            (PROFILE, "主要职责") if !note.is_empty() => l.profile.duties.push(note.into()),
            (PROFILE, "内设机构" | "主要职责") => {}
            (STAFF, "核定编制") => l.staff_quota = count(&mut e, amount),
            (STAFF, "实有人数") => l.staff_actual = count(&mut e, amount),
            (INCOME, src) if !src.is_empty() => {
                let m = money(&mut e, amount, "决算数");
                l.income.push((src.into(), m));
            }
            (BUDGET, "年初预算") => l.budget_initial = money(&mut e, amount, "决算数"),
            (BUDGET, "本年追加") => l.budget_added = money(&mut e, amount, "决算数"),
            (BUDGET, "上年结转") => l.carried_in = money(&mut e, amount, "决算数"),
            (BUDGET, "年末结转结余") => l.carried_out = money(&mut e, amount, "决算数"),
            (BASIC, TOTAL) => l.basic = money(&mut e, amount, "决算数"),
            (BASIC, class) => {
                // "301" or "301 工资福利支出"
                let code = class
                    .split_whitespace()
                    .next()
                    .and_then(|c| c.parse::<u16>().ok())
                    .filter(|c| (301..=399).contains(c));
                let m = money(&mut e, amount, "决算数");
                match code {
                    Some(c) => {
                        l.basic_by_class.push((c, m));
                        if !note.is_empty() {
                            l.class_notes.push((c, note.into()));
                        }
                    }
                    None => e.add(
                        &field,
                        "class",
                        at("的名称应为部门经济分类代码（301至399，如“301 工资福利支出”）"),
                    ),
                }
            }
            (PROJECT, TOTAL) => l.project = money(&mut e, amount, "决算数"),
            (PROJECT, line) if !line.is_empty() => {
                let budget = money(&mut e, budget, "预算数");
                let spent = money(&mut e, amount, "决算数");
                let key = match key {
                    "是" => true,
                    "否" | "" => false,
                    _ => {
                        e.add(&field, "key", at("的“重点支出”应填“是”或“否”"));
                        false
                    }
                };
                l.project_lines.push(ProjectLine {
                    name: line.into(),
                    budget,
                    spent,
                    key,
                    purpose: note.into(),
                });
            }
            (SANGONG, TOTAL) => {
                l.sangong_budget = money(&mut e, budget, "预算数");
                if !amount.is_empty() {
                    sangong_total = Some(money(&mut e, amount, "决算数"));
                }
            }
            (SANGONG, "上年决算") => l.sangong_last_year = money(&mut e, amount, "决算数"),
            (SANGONG, "公车保有量（辆）") => l.vehicles = count(&mut e, amount),
            (SANGONG, part) if SANGONG_PARTS.contains(&part) => {
                let m = money(&mut e, amount, "决算数");
                l.sangong_parts.push((part.into(), m));
            }
            (OTHER, "公用经费") => {
                l.operating_budget = money(&mut e, budget, "预算数");
                l.operating_spent = money(&mut e, amount, "决算数");
            }
            (OTHER, "会议费") => l.meeting_fees = money(&mut e, amount, "决算数"),
            (OTHER, "培训费") => l.training_fees = money(&mut e, amount, "决算数"),
            _ => e.add(
                &field,
                "unknown",
                format!(
                    "第{n}行：不认识的类别或名称「{kind} {name}」（请使用系统下载的账表模板，类别为{}）",
                    [PROFILE, STAFF, INCOME, BUDGET, BASIC, PROJECT, SANGONG, OTHER].join("、")
                ),
            ),
        }
    }
    if let Some(t) = sangong_total
        && e.is_empty()
        && t != l.sangong()
    {
        e.add(
            "sangong",
            "reconcile",
            format!(
                "“三公”经费合计{}万元，而各分项之和为{}万元",
                wan(t),
                wan(l.sangong())
            ),
        );
    }
    e.into_result().map(|_| l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation::reference_ledger;

    fn numbered(rows: Vec<[String; 6]>) -> Vec<(usize, Vec<String>)> {
        rows.into_iter()
            .enumerate()
            .map(|(i, r)| (i + 2, r.to_vec()))
            .collect()
    }

    #[test]
    fn the_reference_ledger_goes_round_the_sheet() {
        let l = reference_ledger();
        let back = ledger_of(&numbered(rows_of(&l)), &l).unwrap();
        assert_eq!(back, l);
        // what the sheet does not carry is kept
        let mut kept = l.clone();
        kept.violations = 3;
        assert_eq!(
            ledger_of(&numbered(rows_of(&l)), &kept).unwrap().violations,
            3
        );
    }

    #[test]
    fn unreadable_lines_are_named_and_nothing_is_read() {
        let l = reference_ledger();
        let mut rows = numbered(rows_of(&l));
        rows.push((
            90,
            vec![
                "支出".into(),
                "奖金".into(),
                "".into(),
                "1".into(),
                "".into(),
                "".into(),
            ],
        ));
        rows.push((
            91,
            vec![
                "基本支出".into(),
                "工资".into(),
                "".into(),
                "1".into(),
                "".into(),
                "".into(),
            ],
        ));
        rows.push((
            92,
            vec![
                "收入".into(),
                "事业收入".into(),
                "".into(),
                "-3".into(),
                "".into(),
                "".into(),
            ],
        ));
        rows.push((
            93,
            vec![
                "项目支出".into(),
                "甲".into(),
                "1".into(),
                "1".into(),
                "也许".into(),
                "".into(),
            ],
        ));
        let e = ledger_of(&rows, &l).unwrap_err();
        assert!(e.for_field("row90").unwrap().contains("不认识的类别或名称"));
        assert!(e.for_field("row91").unwrap().contains("部门经济分类代码"));
        assert!(e.for_field("row92").is_some());
        assert!(e.for_field("row93").unwrap().contains("“是”或“否”"));
    }

    #[test]
    fn excel_formulas_dates_and_left_out_lines() {
        let l = reference_ledger();
        let rows: Vec<(usize, Vec<String>)> = numbered(rows_of(&l))
            .into_iter()
            .filter(|(_, r)| !(r[0] == PROFILE && r[1] == "单位名称") && r[0] != SANGONG)
            .map(|(n, mut r)| {
                if r[0] == PROJECT && r[1] == TOTAL {
                    r[3] = "17.989999999999995".into();
                }
                if r[1] == "成立日期" {
                    r[5] = "44682".into();
                }
                (n, r)
            })
            .collect();
        let back = ledger_of(&rows, &l).unwrap();
        assert_eq!(
            back, l,
            "the formula's 17.99, the serial date, the left-out lines kept"
        );
        assert_eq!(
            excel_decimal("17.985"),
            "17.985",
            "a real third decimal stays refused"
        );
    }

    #[test]
    fn a_sangong_total_that_does_not_add_up_is_named() {
        let l = reference_ledger();
        let rows: Vec<(usize, Vec<String>)> = numbered(rows_of(&l))
            .into_iter()
            .map(|(n, mut r)| {
                if r[0] == SANGONG && r[1] == TOTAL {
                    r[3] = "1.00".into();
                }
                (n, r)
            })
            .collect();
        let e = ledger_of(&rows, &l).unwrap_err();
        assert!(
            e.for_field("sangong")
                .unwrap()
                .contains("各分项之和为0.00万元")
        );
    }
}

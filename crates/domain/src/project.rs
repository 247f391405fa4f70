//! The project library: levels, stages and their transitions, industries, the national
//! project code, the inclusion threshold and validation of a project record.

use crate::error::{FieldError, ValidationErrors, check_text};
use crate::money::Money;
use crate::month::ReportMonth;
use serde::{Deserialize, Serialize};

crate::keyed_enum!(
    /// 项目级别
    pub enum Level, "项目级别" {
        Provincial => "provincial", "省重点";
        City => "city", "市重点";
        County => "county", "县重点";
    }
);

crate::keyed_enum!(
    /// 建设阶段: 签约 → 前期 → 在建 → 竣工 → 后扶
    pub enum Stage, "建设阶段" {
        Signed => "signed", "签约";
        Preliminary => "preliminary", "前期";
        UnderConstruction => "under_construction", "在建";
        Completed => "completed", "竣工";
        PostSupport => "post_support", "后扶";
    }
);

crate::keyed_enum!(
    /// 行业类别
    pub enum Industry, "行业类别" {
        Manufacturing => "manufacturing", "工业制造";
        Mining => "mining", "矿产资源";
        Energy => "energy", "能源";
        Transport => "transport", "交通";
        WaterConservancy => "water", "水利";
        UrbanInfrastructure => "urban", "城建市政";
        SocialWelfare => "social", "社会民生";
        Agriculture => "agriculture", "农业农村";
        Tourism => "tourism", "文化旅游";
        ModernServices => "services", "现代服务业";
        Ecology => "ecology", "生态环保";
    }
);

impl Industry {
    /// The class that decides the inclusion threshold.
    pub fn threshold_class(self) -> ThresholdClass {
        match self {
            Industry::Manufacturing | Industry::Mining | Industry::Energy => {
                ThresholdClass::Industrial
            }
            _ => ThresholdClass::Other,
        }
    }
}

crate::keyed_enum!(
    /// Classes of the inclusion threshold (调度门槛).
    pub enum ThresholdClass, "门槛类别" {
        Industrial => "industrial", "工业项目";
        Other => "other", "基础设施及其他项目";
    }
);

/// Default 调度门槛 of the reference county: industrial ≥ 5000万元, others ≥ 1000万元.
pub fn default_threshold(class: ThresholdClass) -> Money {
    match class {
        ThresholdClass::Industrial => Money::from_wan_int(5000),
        ThresholdClass::Other => Money::from_wan_int(1000),
    }
}

/// A project below its threshold is flagged (not refused): the leader may still include it.
pub fn below_threshold(total: Money, threshold: Money) -> bool {
    total < threshold
}

/// Why a stage change is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageChangeError {
    Same,
    IllegalJump { from: Stage, to: Stage },
    MissingActualStart,
    MissingActualCompletion,
}

impl StageChangeError {
    pub fn to_field_error(&self) -> FieldError {
        match self {
            StageChangeError::Same => FieldError::new("to_stage", "same_stage", "项目已处于该阶段"),
            StageChangeError::IllegalJump { from, to } => {
                let allowed: Vec<&str> = allowed_next(*from).iter().map(|s| s.label()).collect();
                let hint = if allowed.is_empty() {
                    "该阶段已是最后阶段".to_string()
                } else {
                    format!("只能变更为：{}", allowed.join("、"))
                };
                FieldError::new(
                    "to_stage",
                    "illegal_transition",
                    format!(
                        "不能从「{}」直接变更为「{}」，{}",
                        from.label(),
                        to.label(),
                        hint
                    ),
                )
            }
            StageChangeError::MissingActualStart => {
                FieldError::new("actual_start", "required", "转入「在建」须填写实际开工月份")
            }
            StageChangeError::MissingActualCompletion => FieldError::new(
                "actual_completion",
                "required",
                "转入「竣工」须填写实际竣工月份",
            ),
        }
    }
}

/// The stages a project may move to from `from`. 签约 may go straight to 在建 when a
/// signed project starts without a separate preliminary phase in the library.
pub fn allowed_next(from: Stage) -> &'static [Stage] {
    match from {
        Stage::Signed => &[Stage::Preliminary, Stage::UnderConstruction],
        Stage::Preliminary => &[Stage::UnderConstruction],
        Stage::UnderConstruction => &[Stage::Completed],
        Stage::Completed => &[Stage::PostSupport],
        Stage::PostSupport => &[],
    }
}

/// Checks a stage change. `actual_start`/`actual_completion` are the values the project will
/// have after the change (already on the record or given with the change).
pub fn check_stage_change(
    from: Stage,
    to: Stage,
    actual_start: Option<ReportMonth>,
    actual_completion: Option<ReportMonth>,
) -> Result<(), StageChangeError> {
    if from == to {
        return Err(StageChangeError::Same);
    }
    if !allowed_next(from).contains(&to) {
        return Err(StageChangeError::IllegalJump { from, to });
    }
    if to == Stage::UnderConstruction && actual_start.is_none() {
        return Err(StageChangeError::MissingActualStart);
    }
    if to == Stage::Completed && actual_completion.is_none() {
        return Err(StageChangeError::MissingActualCompletion);
    }
    Ok(())
}

/// The 24-character national project code (全国投资项目在线审批监管平台): year (4 digits),
/// region (6), department (2), project type (2), serial with check digit (6), joined by
/// hyphens, e.g. `2022-430922-04-01-123456`. The check-digit algorithm of GB/T 40058 is not
/// public in our sources, so only the format and the plausibility of year and region are checked.
pub fn parse_national_code(field: &str, input: &str) -> Result<Option<String>, FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let bad = |why: &str| {
        FieldError::new(
            field,
            "invalid_national_code",
            format!("项目代码格式不正确：{why}（应为24位，如 2022-430922-04-01-123456）"),
        )
    };
    if s.chars().count() != 24 {
        return Err(bad(&format!("现为{}位", s.chars().count())));
    }
    let parts: Vec<&str> = s.split('-').collect();
    let lens: Vec<usize> = parts.iter().map(|p| p.len()).collect();
    if lens != [4, 6, 2, 2, 6] || !parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit())) {
        return Err(bad("分段应为 4-6-2-2-6 位数字"));
    }
    let year: i32 = parts[0].parse().map_err(|_| bad("年份无效"))?;
    if !(2000..=2100).contains(&year) {
        return Err(bad("年份无效"));
    }
    if parts[1].starts_with('0') {
        return Err(bad("行政区划代码无效"));
    }
    Ok(Some(s.to_string()))
}

/// A project record as typed by a person: every field is text, as it came from the form or
/// the API. `validate` turns it into a checked `ProjectFields` or per-field Chinese errors.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ProjectDraft {
    pub code: String,
    pub name: String,
    pub national_code: String,
    pub level: String,
    pub stage: String,
    pub industry: String,
    pub content_scale: String,
    pub total_investment_wan: String,
    pub funding_sources: String,
    pub planned_start: String,
    pub planned_completion: String,
    pub actual_start: String,
    pub actual_completion: String,
    pub location: String,
    pub tags: String,
}

/// A checked project record (references to units, leaders and parents are checked by the
/// service against the database).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectFields {
    pub code: Option<String>,
    pub name: String,
    pub national_code: Option<String>,
    pub level: Level,
    pub stage: Stage,
    pub industry: Industry,
    pub content_scale: String,
    pub total_investment: Money,
    pub funding_sources: String,
    pub planned_start: Option<ReportMonth>,
    pub planned_completion: Option<ReportMonth>,
    pub actual_start: Option<ReportMonth>,
    pub actual_completion: Option<ReportMonth>,
    pub location: String,
    pub tags: Vec<String>,
}

pub const MAX_NAME: usize = 100;
pub const MAX_CONTENT: usize = 2000;
pub const MAX_SHORT: usize = 200;

impl ProjectDraft {
    pub fn validate(&self) -> Result<ProjectFields, ValidationErrors> {
        let mut errs = ValidationErrors::new();
        let code = errs.check(check_text("code", "项目编号", &self.code, false, 32));
        if let Some(c) = &code
            && c.chars().any(|ch| ch.is_whitespace())
        {
            errs.add("code", "invalid_code", "项目编号不能含空格");
        }
        let name = errs.check(check_text("name", "项目名称", &self.name, true, MAX_NAME));
        let national_code = errs.check(parse_national_code("national_code", &self.national_code));
        let level = errs.check(Level::parse("level", &self.level));
        let stage = errs.check(Stage::parse("stage", &self.stage));
        let industry = errs.check(Industry::parse("industry", &self.industry));
        let content_scale = errs.check(check_text(
            "content_scale",
            "建设内容及规模",
            &self.content_scale,
            false,
            MAX_CONTENT,
        ));
        let total = errs.check(Money::parse_wan(
            "total_investment_wan",
            "总投资",
            &self.total_investment_wan,
        ));
        let funding = errs.check(check_text(
            "funding_sources",
            "资金来源",
            &self.funding_sources,
            false,
            MAX_SHORT,
        ));
        let ps = errs.check(ReportMonth::parse_opt(
            "planned_start",
            "计划开工",
            &self.planned_start,
        ));
        let pc = errs.check(ReportMonth::parse_opt(
            "planned_completion",
            "计划竣工",
            &self.planned_completion,
        ));
        let as_ = errs.check(ReportMonth::parse_opt(
            "actual_start",
            "实际开工",
            &self.actual_start,
        ));
        let ac = errs.check(ReportMonth::parse_opt(
            "actual_completion",
            "实际竣工",
            &self.actual_completion,
        ));
        let location = errs.check(check_text(
            "location",
            "建设地点",
            &self.location,
            false,
            MAX_SHORT,
        ));
        let tags_text = errs.check(check_text("tags", "标签", &self.tags, false, MAX_SHORT));

        if let (Some(Some(a)), Some(Some(b))) = (ps, pc)
            && b < a
        {
            errs.add(
                "planned_completion",
                "before_start",
                "计划竣工不能早于计划开工",
            );
        }
        if let (Some(Some(a)), Some(Some(b))) = (as_, ac)
            && b < a
        {
            errs.add(
                "actual_completion",
                "before_start",
                "实际竣工不能早于实际开工",
            );
        }
        if let Some(st) = stage {
            if matches!(
                st,
                Stage::UnderConstruction | Stage::Completed | Stage::PostSupport
            ) && matches!(as_, Some(None))
            {
                errs.add(
                    "actual_start",
                    "required",
                    format!("「{}」阶段的项目须填写实际开工月份", st.label()),
                );
            }
            if matches!(st, Stage::Completed | Stage::PostSupport) && matches!(ac, Some(None)) {
                errs.add(
                    "actual_completion",
                    "required",
                    format!("「{}」阶段的项目须填写实际竣工月份", st.label()),
                );
            }
            if matches!(st, Stage::Signed | Stage::Preliminary) && matches!(ac, Some(Some(_))) {
                errs.add(
                    "actual_completion",
                    "inconsistent",
                    format!("「{}」阶段的项目不应有实际竣工月份", st.label()),
                );
            }
        }
        let (Some(level), Some(stage), Some(industry), Some(total)) =
            (level, stage, industry, total)
        else {
            return Err(errs.refused());
        };
        if !errs.is_empty() {
            return Err(errs);
        }
        let tags = tags_text
            .unwrap_or_default()
            .split(['、', ',', '，', ' '])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect();
        Ok(ProjectFields {
            code: code.filter(|c| !c.is_empty()),
            name: name.unwrap_or_default(),
            national_code: national_code.flatten(),
            level,
            stage,
            industry,
            content_scale: content_scale.unwrap_or_default(),
            total_investment: total,
            funding_sources: funding.unwrap_or_default(),
            planned_start: ps.flatten(),
            planned_completion: pc.flatten(),
            actual_start: as_.flatten(),
            actual_completion: ac.flatten(),
            location: location.unwrap_or_default(),
            tags,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(y: i32, mo: u32) -> Option<ReportMonth> {
        ReportMonth::new(y, mo)
    }

    #[test]
    fn enums_parse_key_and_label() {
        assert_eq!(Stage::from_input("在建"), Some(Stage::UnderConstruction));
        assert_eq!(Stage::from_key("在建"), None, "rows hold keys");
        assert_eq!(
            Stage::from_key("under_construction"),
            Some(Stage::UnderConstruction)
        );
        let e = Level::parse("level", "国重点").unwrap_err();
        assert_eq!(e.code, "unknown_value");
        assert!(e.message.contains("省重点、市重点、县重点"));
    }

    #[test]
    fn stage_transitions() {
        use Stage::*;
        assert!(check_stage_change(Signed, Preliminary, None, None).is_ok());
        assert!(check_stage_change(Preliminary, UnderConstruction, m(2022, 3), None).is_ok());
        assert_eq!(
            check_stage_change(Preliminary, UnderConstruction, None, None),
            Err(StageChangeError::MissingActualStart)
        );
        assert_eq!(
            check_stage_change(UnderConstruction, Completed, m(2021, 1), None),
            Err(StageChangeError::MissingActualCompletion)
        );
        assert_eq!(
            check_stage_change(Signed, Completed, m(2021, 1), m(2022, 1)),
            Err(StageChangeError::IllegalJump {
                from: Signed,
                to: Completed
            })
        );
        assert_eq!(
            check_stage_change(Completed, Completed, None, None),
            Err(StageChangeError::Same)
        );
        let msg = StageChangeError::IllegalJump {
            from: Preliminary,
            to: PostSupport,
        }
        .to_field_error()
        .message;
        assert!(
            msg.contains("不能从「前期」直接变更为「后扶」") && msg.contains("在建"),
            "{msg}"
        );
    }

    proptest! {
        /// Whatever sequence of requested changes, a project only ever walks forward along the
        /// lifecycle and never skips 在建 on its way to 竣工.
        #[test]
        fn stages_only_move_forward(targets in proptest::collection::vec(0usize..5, 0..20)) {
            let mut stage = Stage::Signed;
            let mut seen = vec![stage];
            for t in targets {
                let to = Stage::ALL[t];
                if check_stage_change(stage, to, m(2022, 1), m(2023, 1)).is_ok() {
                    prop_assert!(to > stage);
                    stage = to;
                    seen.push(stage);
                }
            }
            if seen.contains(&Stage::Completed) {
                prop_assert!(seen.contains(&Stage::UnderConstruction));
            }
        }
    }

    #[test]
    fn national_code_format() {
        assert_eq!(
            parse_national_code("n", "2022-430922-04-01-123456")
                .unwrap()
                .as_deref(),
            Some("2022-430922-04-01-123456")
        );
        assert_eq!(parse_national_code("n", " ").unwrap(), None);
        for bad in [
            "2022-430922-04-01-12345",
            "2022430922040112345600000",
            "2022-430922-04-01-12345a",
            "1899-430922-04-01-123456",
            "2022-030922-04-01-123456",
            "2022-4309220-4-01-123456",
        ] {
            assert_eq!(
                parse_national_code("n", bad).unwrap_err().code,
                "invalid_national_code",
                "{bad}"
            );
        }
    }

    fn draft() -> ProjectDraft {
        ProjectDraft {
            name: "桃江县城区污水处理厂提质改造".into(),
            level: "县重点".into(),
            stage: "在建".into(),
            industry: "城建市政".into(),
            total_investment_wan: "12000".into(),
            actual_start: "2022-03".into(),
            tags: "民生、环保".into(),
            ..Default::default()
        }
    }

    #[test]
    fn valid_draft() {
        let p = draft().validate().unwrap();
        assert_eq!(p.total_investment, Money::from_wan_int(12000));
        assert_eq!(p.tags, vec!["民生", "环保"]);
        assert_eq!(p.stage, Stage::UnderConstruction);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let d = ProjectDraft {
            name: "".into(),
            level: "x".into(),
            stage: "竣工".into(),
            industry: "工业制造".into(),
            total_investment_wan: "-5".into(),
            planned_start: "2022-13".into(),
            actual_start: "".into(),
            ..Default::default()
        };
        let e = d.validate().unwrap_err();
        for f in [
            "name",
            "level",
            "total_investment_wan",
            "planned_start",
            "actual_start",
            "actual_completion",
        ] {
            assert!(e.for_field(f).is_some(), "missing error for {f}: {e:?}");
        }
    }

    #[test]
    fn threshold_defaults() {
        assert_eq!(
            Industry::Manufacturing.threshold_class(),
            ThresholdClass::Industrial
        );
        assert_eq!(Industry::Transport.threshold_class(), ThresholdClass::Other);
        assert!(below_threshold(
            Money::from_wan_int(4999),
            default_threshold(ThresholdClass::Industrial)
        ));
        assert!(!below_threshold(
            Money::from_wan_int(5000),
            default_threshold(ThresholdClass::Industrial)
        ));
        assert!(!below_threshold(
            Money::from_wan_int(1000),
            default_threshold(ThresholdClass::Other)
        ));
    }
}

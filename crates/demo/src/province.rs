//! A synthetic province for benchmarks: 14 cities, 122 counties (桃江 430922 among them), each
//! with a department, a township, an owner and a leader, and projects spread over the counties
//! with plan entries and approved months. Names are synthetic (地区 codes), figures
//! deterministic. Written in bulk through [`keyproj_service::seed`], one transaction and one
//! audit row per county.

use crate::county::Lcg;
use crate::seed::{self, GeneratedCounty, GeneratedMonth, GeneratedPlan, GeneratedProject};
use keyproj_domain::plan::{PlanFields, YearCategory};
use keyproj_domain::project::{Industry, Level, Stage};
use keyproj_domain::{Money, RegionCode, ReportMonth};
use keyproj_service::{App, Ctx, Result, ServiceError, projects};

/// Cities of Hunan by GB/T 2260 code, for the province-sized dataset.
const HUNAN_CITIES: &[(&str, &str)] = &[
    ("4301", "长沙市"),
    ("4302", "株洲市"),
    ("4303", "湘潭市"),
    ("4304", "衡阳市"),
    ("4305", "邵阳市"),
    ("4306", "岳阳市"),
    ("4307", "常德市"),
    ("4308", "张家界市"),
    ("4309", "益阳市"),
    ("4310", "郴州市"),
    ("4311", "永州市"),
    ("4312", "怀化市"),
    ("4313", "娄底市"),
    ("4331", "湘西土家族苗族自治州"),
];

#[derive(Debug, Clone, serde::Serialize)]
pub struct Generated {
    pub counties: usize,
    pub projects: usize,
}

/// 122 counties: 9 per city for the first ten, 8 for the others; 430922 is always one of them.
pub(crate) fn county_codes() -> Vec<String> {
    let mut counties: Vec<String> = vec![];
    for (i, (city, _)) in HUNAN_CITIES.iter().enumerate() {
        let n = if i < 10 { 9 } else { 8 };
        for k in 0..n {
            counties.push(format!("{city}{:02}", 21 + k));
        }
    }
    counties.truncate(122);
    if !counties.iter().any(|c| c == "430922") {
        counties[121] = "430922".into();
    }
    counties
}

/// One generated project of a county, with `months` approved months ending last month.
pub(crate) fn project(
    rng: &mut Lcg,
    county: &str,
    k: usize,
    months: u32,
    today: chrono::NaiveDate,
) -> Option<GeneratedProject> {
    let stage = Stage::ALL[rng.below(Stage::ALL.len() as u64) as usize];
    let levels = [Level::County, Level::County, Level::City, Level::Provincial];
    let industries = [
        Industry::Manufacturing,
        Industry::Transport,
        Industry::UrbanInfrastructure,
        Industry::SocialWelfare,
        Industry::Energy,
        Industry::Tourism,
        Industry::Agriculture,
        Industry::WaterConservancy,
    ];
    let started = matches!(
        stage,
        Stage::UnderConstruction | Stage::Completed | Stage::PostSupport
    );
    let year = 2018 + rng.below(5) as i32;
    let month = |y: i32, rng: &mut Lcg| ReportMonth::new(y, 1 + rng.below(12) as u32);
    let total = Money::from_fen((1000 + rng.below(200_000) as i64) * 1_000_000);
    let level = levels[rng.below(levels.len() as u64) as usize];
    let industry = industries[rng.below(industries.len() as u64) as usize];
    let planned_start = month(year, rng);
    let planned_completion = month(year + 3, rng);
    let actual_start = if started { month(year, rng) } else { None };
    let actual_completion = if matches!(stage, Stage::Completed | Stage::PostSupport) {
        month(year + 2, rng)
    } else {
        None
    };
    let annual = total.fen() / 4 / 10_000 * 10_000;
    let mut out_months = vec![];
    let mut years = std::collections::BTreeSet::new();
    if months > 0 {
        let mut m = ReportMonth::of(today);
        for _ in 0..months {
            m = m.prev();
        }
        for _ in 0..months {
            m = m.next();
            years.insert(m.year());
            let amount =
                annual / 12 / 10_000 * 10_000 * (70 + rng.below(60) as i64) / 100 / 10_000 * 10_000;
            out_months.push(GeneratedMonth {
                month: m,
                amount: Money::from_fen(amount),
                reported_on: keyproj_domain::report::due_date(m, 5),
            });
        }
    }
    let category = if started {
        YearCategory::UnderConstruction
    } else {
        YearCategory::Preliminary
    };
    Some(GeneratedProject {
        code: format!("P{county}-{:04}", k + 1),
        name: format!("{county}第{}号重点建设项目", k + 1),
        level,
        stage,
        industry,
        total,
        planned_start,
        planned_completion,
        actual_start,
        actual_completion,
        plans: years
            .into_iter()
            .map(|year| GeneratedPlan {
                year,
                fields: PlanFields {
                    category,
                    annual_plan: Money::from_fen(annual),
                    targets: String::new(),
                    monthly: vec![],
                },
            })
            .collect(),
        months: out_months,
    })
}

/// Generates the province into an empty database: `projects` projects spread over the
/// counties, each with `months` approved months.
pub async fn generate(app: &App, projects_n: usize, months: u32) -> Result<Generated> {
    if !projects::library_is_empty(app).await? {
        return Err(ServiceError::invariant(
            "数据库中已有项目，测试数据只能生成到空库",
        ));
    }
    let counties = county_codes();
    let mut rng = Lcg(43);
    let per_county = projects_n.div_ceil(counties.len());
    let province = RegionCode::parse("43").map_err(|e| ServiceError::invariant(e.message))?;
    let ctx = Ctx::system(province.clone());
    seed::province_office(app, &ctx, &province, "湖南省重点项目建设办公室").await?;
    let today = app.local_today();
    let mut made = 0usize;
    for county in &counties {
        let region = RegionCode::parse(county).map_err(|e| ServiceError::invariant(e.message))?;
        let n = per_county.min(projects_n - made);
        let projects = (0..n)
            .filter_map(|k| project(&mut rng, county, k, months, today))
            .collect();
        let city_name = HUNAN_CITIES
            .iter()
            .find(|(c, _)| county.starts_with(c))
            .map(|(_, name)| name.to_string());
        made += seed::county(
            app,
            &ctx,
            &GeneratedCounty {
                region,
                city_name,
                department: format!("{county}发展和改革局"),
                township: format!("{county}城关镇"),
                owner: format!("{county}城市建设投资有限公司"),
                leader: format!("{county}联系领导"),
                projects,
            },
        )
        .await?;
    }
    Ok(Generated {
        counties: counties.len(),
        projects: made,
    })
}

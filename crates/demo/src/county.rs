//! The demo county: a realistic, deterministic 桃江县 with about 120 projects over all stages
//! and levels, its townships, departments, owners, county leaders and one account per role.
//! All names of people are invented.

use crate::DemoProject;
use keyproj_domain::authz::Role;
use keyproj_domain::ids::{LeaderId, UnitId};
use keyproj_domain::org::{LeaderDraft, UnitDraft};
use keyproj_domain::project::ProjectDraft;
use keyproj_service::admin::users::{self, NewAccount};
use keyproj_service::projects::{self, ProjectInput};
use keyproj_service::{App, Ctx, Result, ServiceError, org};

const DEPARTMENTS: &[&str] = &[
    "县发展和改革局",
    "县财政局",
    "县自然资源局",
    "县住房和城乡建设局",
    "县交通运输局",
    "县水利局",
    "县工业和信息化局",
    "县文化旅游广电体育局",
    "县教育局",
    "县卫生健康局",
    "县城市管理和综合执法局",
    "市生态环境局桃江分局",
    "县商务局",
    "县农业农村局",
    "县政务服务中心",
];
const TOWNSHIPS: &[&str] = &[
    "桃花江镇",
    "马迹塘镇",
    "武潭镇",
    "修山镇",
    "石牛江镇",
    "松木塘镇",
    "大栗港镇",
    "灰山港镇",
    "鸬鹚渡镇",
    "三堂街镇",
    "牛田镇",
    "高桥镇",
    "沾溪镇",
    "浮邱山乡",
    "鲊埠回族乡",
];
const PARK: &str = "桃江经济开发区";
const LEADERS: &[(&str, &str)] = &[
    ("周建国", "县委书记"),
    ("李文华", "县委副书记、县长"),
    ("陈志强", "县委常委、常务副县长"),
    ("刘晓东", "县委常委、副县长"),
    ("王红梅", "副县长"),
    ("赵立新", "副县长"),
    ("孙卫民", "副县长"),
    ("黄海波", "副县长"),
    ("吴秋萍", "县人大常委会副主任"),
    ("郑国庆", "县政协副主席"),
];

/// (name, stage, industry, level, total 万元) — projects named in the reference report first.
const NAMED: &[(&str, &str, &str, &str, i64)] = &[
    ("金易物流园建设项目", "竣工", "现代服务业", "市重点", 62000),
    (
        "桃江县生活垃圾焚烧发电项目",
        "竣工",
        "能源",
        "省重点",
        45000,
    ),
    ("梅林寺骨干水库工程", "竣工", "水利", "省重点", 38000),
    ("桃花江水库除险加固工程", "竣工", "水利", "县重点", 8600),
    ("桃江农商城一期", "竣工", "现代服务业", "县重点", 30000),
    ("桑田教育综合体", "竣工", "社会民生", "县重点", 12000),
    ("高胜铝材扩建项目", "竣工", "工业制造", "市重点", 26000),
    ("紫金湾九年一贯制学校", "竣工", "社会民生", "县重点", 15000),
    ("大屋山110KV变电站", "竣工", "能源", "市重点", 9800),
    ("盈达门业生产线项目", "竣工", "工业制造", "县重点", 8000),
    ("石洞矿区建筑用板岩矿", "在建", "矿产资源", "县重点", 21000),
    ("紫荆新材料产业园", "在建", "工业制造", "市重点", 56000),
    ("县殡仪馆整体搬迁项目", "在建", "社会民生", "县重点", 16000),
    ("新兴管件二期", "在建", "工业制造", "市重点", 48000),
    (
        "桃花江流域生态治理工程",
        "在建",
        "生态环保",
        "省重点",
        120000,
    ),
    ("鸬鹚渡镇建筑用砂岩矿", "在建", "矿产资源", "县重点", 18000),
    ("县文体广场建设项目", "在建", "社会民生", "县重点", 22000),
    (
        "诚友绿色装配式建筑产业园",
        "在建",
        "工业制造",
        "市重点",
        35000,
    ),
    ("桃江通用机场建设项目", "前期", "交通", "省重点", 90000),
    ("久通锑业技改扩能项目", "前期", "工业制造", "市重点", 40000),
    ("五凌桃江风电项目", "前期", "能源", "省重点", 160000),
    ("桃花江抽水蓄能电站", "前期", "能源", "省重点", 1050000),
    ("桃花江竹海旅游度假区", "后扶", "文化旅游", "市重点", 80000),
    ("美人谷酒店", "后扶", "文化旅游", "县重点", 25000),
    ("桃江总部经济基地", "后扶", "现代服务业", "县重点", 60000),
];

const PREFIXES: &[&str] = &[
    "竹产业",
    "新型建材",
    "电子信息",
    "农产品加工",
    "智能装备",
    "冷链物流",
    "康养",
    "乡村振兴",
    "城区",
    "县域",
];
const KINDS: &[(&str, &str)] = &[
    ("产业园", "工业制造"),
    ("生产线扩建项目", "工业制造"),
    ("道路提质改造工程", "交通"),
    ("供水工程", "水利"),
    ("安置小区", "城建市政"),
    ("污水处理提质改造", "生态环保"),
    ("学校建设项目", "社会民生"),
    ("医院综合楼", "社会民生"),
    ("旅游综合开发", "文化旅游"),
    ("现代农业示范园", "农业农村"),
    ("光伏发电项目", "能源"),
    ("商贸物流中心", "现代服务业"),
];

/// A small deterministic generator, so every demo is the same county.
pub(crate) struct Lcg(pub u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A demo account and its one-time password (printed once).
pub struct DemoAccount {
    pub username: String,
    pub role: Role,
    pub password: String,
}

pub struct DemoAccounts(pub Vec<DemoAccount>);

/// Loads the demo county into a database that has no projects yet.
pub async fn load(app: &App) -> Result<DemoAccounts> {
    let region = app.cfg.default_region.clone();
    let ctx = Ctx::system(region.clone());
    if !projects::library_is_empty(app).await? {
        return Err(ServiceError::invariant(
            "数据库中已有项目，演示数据只能载入空库",
        ));
    }
    let admin_pw = users::bootstrap_admin(app).await?;

    let existing = org::units(app, &ctx).await?;
    let mut unit_ids = std::collections::HashMap::new();
    let ensure_unit = |name: &'static str, kind: &'static str| {
        let (app, ctx) = (app.clone(), ctx.clone());
        let found = existing.iter().find(|u| u.name == name).map(|u| u.id);
        async move {
            match found {
                Some(id) => Ok::<UnitId, ServiceError>(id),
                None => {
                    org::create_unit(
                        &app,
                        &ctx,
                        &UnitDraft {
                            name: name.into(),
                            kind: kind.into(),
                            ..Default::default()
                        },
                    )
                    .await
                }
            }
        }
    };
    unit_ids.insert(
        "county",
        ensure_unit("桃江县人民政府", "county_government").await?,
    );
    for d in DEPARTMENTS {
        unit_ids.insert(d, ensure_unit(d, "department").await?);
    }
    let mut townships = vec![];
    for t in TOWNSHIPS {
        townships.push(ensure_unit(t, "township").await?);
    }
    let park = ensure_unit(PARK, "park").await?;
    townships.push(park);
    let mut leaders: Vec<LeaderId> = vec![];
    for (i, (n, t)) in LEADERS.iter().enumerate() {
        leaders.push(
            org::create_leader(
                app,
                &ctx,
                &LeaderDraft {
                    name: n.to_string(),
                    title: t.to_string(),
                    phone: String::new(),
                    sort_order: i as i64,
                },
            )
            .await?,
        );
    }

    let mut rng = Lcg(430922);
    let mut owners: Vec<UnitId> = vec![];
    let owner_names: Vec<String> = (0..40)
        .map(|i| {
            let a = ["湖南", "益阳", "桃江"][i % 3];
            let b = [
                "金竹", "华润", "宏达", "兴业", "鑫源", "绿洲", "恒通", "安澜", "瑞丰", "远大",
                "楚天", "资江", "天成", "康达",
            ][i % 14];
            let c = [
                "实业有限公司",
                "建设投资有限公司",
                "新材料科技有限公司",
                "城市发展集团有限公司",
                "旅游开发有限公司",
            ][i % 5];
            format!(
                "{a}{b}{c}{}",
                if i >= 14 {
                    format!("（{}）", i / 14 + 1)
                } else {
                    String::new()
                }
            )
        })
        .collect();
    for n in &owner_names {
        let id = org::create_unit(
            app,
            &ctx,
            &UnitDraft {
                name: n.clone(),
                kind: "enterprise".into(),
                sort_order: 100,
                ..Default::default()
            },
        )
        .await?;
        owners.push(id);
    }
    let depts: Vec<UnitId> = DEPARTMENTS.iter().map(|d| unit_ids[d]).collect();

    // 120 projects: 25 named, 95 generated.
    let mut specs: Vec<(String, String, String, String, i64)> = NAMED
        .iter()
        .map(|(n, s, i, l, t)| {
            (
                n.to_string(),
                s.to_string(),
                i.to_string(),
                l.to_string(),
                *t,
            )
        })
        .collect();
    let stage_plan = [
        ("在建", 35),
        ("前期", 24),
        ("签约", 17),
        ("竣工", 13),
        ("后扶", 6),
    ];
    let mut k = 0;
    for (stage, n) in stage_plan {
        for _ in 0..n {
            let (kind, industry) = KINDS[rng.below(KINDS.len() as u64) as usize];
            let place = TOWNSHIPS[rng.below(TOWNSHIPS.len() as u64) as usize];
            let prefix = PREFIXES[rng.below(PREFIXES.len() as u64) as usize];
            k += 1;
            let name = format!("{place}{prefix}{kind}（{}）", k);
            let level = ["县重点", "县重点", "县重点", "市重点", "省重点"][rng.below(5) as usize];
            let base = if industry == "工业制造" || industry == "能源" {
                4000
            } else {
                800
            };
            let total = base + (rng.below(60_000) as i64 / 100) * 100 + rng.below(100) as i64;
            specs.push((name, stage.into(), industry.into(), level.into(), total));
        }
    }
    let mut created: Vec<DemoProject> = vec![];
    let mut in_construction = 0;
    for (i, (name, stage, industry, level, total)) in specs.iter().enumerate() {
        // Projects under construction started before 2022, except five 前期 projects of the 2022
        // plan that started during the year (the reference's "5个项目落地开工建设").
        let started_2022 = stage == "在建" && {
            in_construction += 1;
            in_construction <= 5
        };
        let year = if started_2022 {
            2022
        } else if stage == "在建" || stage == "竣工" || stage == "后扶" {
            2019 + (i % 3) as i32
        } else {
            2019 + (i % 4) as i32
        };
        let ps = format!("{year}-{:02}", 1 + (i % 12));
        let pc = format!("{}-{:02}", year + 2 + (i % 2) as i32, 1 + ((i * 5) % 12));
        let started = matches!(stage.as_str(), "在建" | "竣工" | "后扶");
        let input = ProjectInput {
            draft: ProjectDraft {
                code: format!("TJ{}-{:03}", 2022, i + 1),
                name: name.clone(),
                national_code: if started && i % 3 == 0 {
                    format!("{year}-430922-{:02}-01-{:06}", 4 + i % 40, 100000 + i * 37)
                } else {
                    String::new()
                },
                level: level.clone(),
                stage: stage.clone(),
                industry: industry.clone(),
                content_scale: format!(
                    "总用地约{}亩，总建筑面积约{}平方米，主要建设{}等。",
                    20 + i % 180,
                    8000 + i * 350,
                    name
                ),
                total_investment_wan: format!("{}.{:02}", total, (i * 7) % 100),
                funding_sources: [
                    "企业自筹",
                    "政府投资",
                    "专项债券+配套资金",
                    "中央预算内投资+地方配套",
                    "社会资本",
                ][i % 5]
                    .into(),
                planned_start: ps.clone(),
                planned_completion: pc.clone(),
                actual_start: if started { ps.clone() } else { String::new() },
                actual_completion: match stage.as_str() {
                    "竣工" => format!("2022-{:02}", 1 + (i % 12)),
                    "后扶" => format!("2021-{:02}", 1 + (i % 12)),
                    _ => String::new(),
                },
                location: format!("桃江县{}", TOWNSHIPS[i % TOWNSHIPS.len()]),
                tags: if i % 4 == 0 {
                    "招商引资".into()
                } else if i % 4 == 1 {
                    "民生实事".into()
                } else {
                    String::new()
                },
            },
            township_unit_id: Some(townships[i % townships.len()]),
            owner_unit_id: Some(owners[i % owners.len()]),
            leader_id: Some(leaders[i % leaders.len()]),
            lead_unit_id: Some(depts[i % depts.len()]),
            responsible_unit_ids: vec![
                depts[(i + 3) % depts.len()],
                townships[i % townships.len()],
            ],
            parent_id: None,
        };
        let id = projects::create(app, &ctx, &input).await?;
        created.push(DemoProject {
            id,
            stage: stage.clone(),
            started_2022,
            total: keyproj_domain::Money::parse_wan("t", "t", &input.draft.total_investment_wan)
                .unwrap_or_default(),
            input,
        });
    }
    crate::history::load(app, &ctx, &created).await?;
    crate::problems::load(app, &ctx, &created, &depts, &leaders).await?;

    // One account per role, with a one-time password printed once.
    let center_name = format!("{}重点项目建设事务中心", org::region_name(&region));
    let center = org::units(app, &ctx)
        .await?
        .into_iter()
        .find(|u| u.name == center_name)
        .map(|u| u.id)
        .ok_or(ServiceError::NotFound)?;
    let mut out = vec![];
    if let Some(password) = admin_pw {
        out.push(DemoAccount {
            username: "admin".into(),
            role: Role::SystemAdmin,
            password,
        });
    }
    // the machine's operator creates the accounts as the system administrator would
    let mut operator = Ctx::system(region.clone());
    operator.actor.roles = vec![Role::SystemAdmin];
    let accounts: [(&str, &str, UnitId, Role); 6] = [
        ("secadmin", "安全管理员", center, Role::SecurityAdmin),
        ("auditor", "审计管理员", center, Role::AuditAdmin),
        ("staff", "中心工作人员", center, Role::CenterStaff),
        (
            "leader",
            // the account of a county leader on the leaders list: the dashboard shows the
            // projects this leader is the contact of (我联系的项目)
            LEADERS[2].0,
            unit_ids["county"],
            Role::CountyLeader,
        ),
        (
            "unit",
            "县住建局联络员",
            unit_ids["县住房和城乡建设局"],
            Role::UnitUser,
        ),
        ("owner", "业主联络员", owners[0], Role::Owner),
    ];
    for (username, display, unit, role) in accounts {
        let created = users::create(
            app,
            &operator,
            &NewAccount {
                username,
                display_name: display,
                unit_id: unit,
                roles: &[role],
            },
        )
        .await?;
        out.push(DemoAccount {
            username: username.to_string(),
            role,
            password: created.password,
        });
    }
    crate::pipeline::load(app, &ctx, center).await?;
    crate::problems::briefings(app, &ctx, &depts).await?;
    // the center's own 2022 accounts, as its self-evaluation report states them
    keyproj_service::evaluation::save_ledger(
        app,
        &ctx,
        2022,
        &keyproj_domain::evaluation::reference_ledger(),
        None,
    )
    .await?;
    satisfaction_survey(app, &ctx).await?;
    Ok(DemoAccounts(out))
}

/// The 2022 satisfaction survey, open now so it can be tried: 30 slips handed out and 12
/// answered (every scale reply 基本满意 or better, as the reference reports).
async fn satisfaction_survey(app: &App, ctx: &Ctx) -> Result<()> {
    use keyproj_domain::survey::Questionnaire;
    use keyproj_service::survey as svc;
    let today = app.local_today();
    let id = svc::create(
        app,
        ctx,
        &svc::SurveyDraft {
            year: 2022,
            questionnaire: Questionnaire::reference("桃江县重点项目建设事务中心"),
            opens_on: today - chrono::Duration::days(7),
            closes_on: today + chrono::Duration::days(30),
        },
    )
    .await?;
    svc::add_slips(app, ctx, id, 1, 30).await?;
    let (_, slips) = svc::slips(app, ctx, id, 1, 12).await?;
    for (i, (_, token)) in slips.iter().enumerate() {
        // mostly 非常满意 and 满意, now and then 基本满意
        let pick = |q: usize| ((i + q) % 5 / 2 + 1).to_string();
        let improve = ["1", "3", "4"][i % 3].to_string();
        let text = if i % 4 == 0 {
            "帮代办服务很及时，希望继续保持。".to_string()
        } else {
            String::new()
        };
        svc::answer(app, token, |k| match k {
            "q1" | "q2" | "q3" | "q4" => vec![pick(k[1..].parse().unwrap_or(1))],
            "q5" => vec![improve.clone()],
            "q6" => vec![text.clone()],
            _ => vec![],
        })
        .await?;
    }
    Ok(())
}

/// Splits `total` (fen, a multiple of 100 元) over `weights`, in 100-元 steps, exactly.
pub(crate) fn split_exact(total: i64, weights: &[i64]) -> Vec<i64> {
    let unit = 10_000; // 0.01 万元
    let units = total / unit;
    let w: i64 = weights.iter().sum::<i64>().max(1);
    let mut out: Vec<i64> = weights.iter().map(|x| units * x / w).collect();
    let rest = units - out.iter().sum::<i64>();
    if let Some(last) = out.last_mut() {
        *last += rest;
    }
    out.into_iter().map(|u| u * unit).collect()
}

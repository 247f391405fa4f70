//! The demo county: a realistic, deterministic 桃江县 with about 120 projects over all stages
//! and levels, its townships, departments, owners, county leaders and one account per role.
//! All names of people are invented.

use crate::projects::ProjectInput;
use crate::users::NewAccount;
use crate::{App, Ctx, Result, ServiceError, auth, org as org_svc};
use keyproj_db::repo::{org, users};
use keyproj_domain::authz::Role;
use keyproj_domain::project::ProjectDraft;
use keyproj_domain::{RegionCode, ReportMonth};

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
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub struct DemoAccounts(pub Vec<(String, Role, String)>);

/// Loads the demo county into a database that has no projects yet.
pub async fn load(app: &App) -> Result<DemoAccounts> {
    let region = app.cfg.default_region.clone();
    let ctx = Ctx::system(region.clone());
    {
        let mut tx = app.db.begin_read().await?;
        if keyproj_db::repo::projects::count_all(&mut tx).await? > 0 {
            return Err(ServiceError::invariant(
                "数据库中已有项目，演示数据只能载入空库",
            ));
        }
    }
    let admin_pw = crate::users::bootstrap_admin(app).await?;

    let mut unit_ids = std::collections::HashMap::new();
    let ensure_unit = |name: &'static str, kind: &'static str| {
        let app = app.clone();
        let ctx = ctx.clone();
        async move {
            let mut tx = app.db.begin_read().await?;
            if let Some(u) =
                org::find_unit_by_name(&mut tx, ctx.actor.region.as_str(), name).await?
            {
                return Ok::<i64, ServiceError>(u.id);
            }
            drop(tx);
            org_svc::create_unit(
                &app,
                &ctx,
                &org_svc::UnitInput {
                    name,
                    kind,
                    contact: "",
                    phone: "",
                    sort_order: 0,
                },
            )
            .await
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
    let mut leaders = vec![];
    for (i, (n, t)) in LEADERS.iter().enumerate() {
        leaders.push(
            org_svc::create_leader(
                app,
                &ctx,
                &org_svc::LeaderInput {
                    name: n,
                    title: t,
                    phone: "",
                    sort_order: i as i64,
                },
            )
            .await?,
        );
    }

    let mut rng = Lcg(430922);
    let mut owners: Vec<i64> = vec![];
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
        let id = org_svc::create_unit(
            app,
            &ctx,
            &org_svc::UnitInput {
                name: n,
                kind: "enterprise",
                contact: "",
                phone: "",
                sort_order: 100,
            },
        )
        .await?;
        owners.push(id);
    }
    let depts: Vec<i64> = DEPARTMENTS.iter().map(|d| unit_ids[d]).collect();

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
        let id = crate::projects::create(app, &ctx, &input).await?;
        created.push(DemoProject {
            id,
            stage: stage.clone(),
            started_2022,
            total_fen: keyproj_domain::Money::parse_wan(
                "t",
                "t",
                &input.draft.total_investment_wan,
            )
            .map(|m| m.fen())
            .unwrap_or(0),
        });
    }
    load_year_2022(app, &ctx, &created).await?;
    load_problems(app, &ctx, &created, &depts).await?;

    // One account per role, with a one-time password printed once.
    let center = {
        let mut tx = app.db.begin_read().await?;
        let name = format!("{}重点项目建设事务中心", org_svc::region_name(&region));
        org::find_unit_by_name(&mut tx, region.as_str(), &name)
            .await?
            .map(|u| u.id)
            .ok_or(ServiceError::NotFound)?
    };
    let mut out = vec![];
    if let Some(pw) = admin_pw {
        out.push(("admin".to_string(), Role::SystemAdmin, pw));
    }
    let sys = {
        let mut tx = app.db.begin_read().await?;
        let admin = users::find_user(&mut tx, "admin")
            .await?
            .ok_or(ServiceError::NotFound)?;
        Ctx {
            actor: auth::actor_of(&mut tx, &admin).await?,
            ip: "local".into(),
        }
    };
    let accounts: [(&str, &str, i64, Role); 6] = [
        ("secadmin", "安全管理员", center, Role::SecurityAdmin),
        ("auditor", "审计管理员", center, Role::AuditAdmin),
        ("staff", "中心工作人员", center, Role::CenterStaff),
        (
            "leader",
            "县领导（演示）",
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
        let roles = [role];
        let (_, pw) = crate::users::create(
            app,
            &sys,
            &NewAccount {
                username,
                display_name: display,
                unit_id: unit,
                roles: &roles,
            },
        )
        .await?;
        out.push((username.to_string(), role, pw));
    }
    Ok(DemoAccounts(out))
}

struct DemoProject {
    id: i64,
    stage: String,
    started_2022: bool,
    total_fen: i64,
}

/// Splits `total` (fen, a multiple of 100 元) over `weights`, in 100-元 steps, exactly.
fn split_exact(total: i64, weights: &[i64]) -> Vec<i64> {
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

/// The 2022 year of the reference county, so that the demo states the reference figures
/// itself: 45 在建 plan entries with 38.2亿元 approved = 98% of their plan and 23 completed in
/// the year; 23 前期 entries with 194.2778亿元 total investment of which 5 started; 5 后扶;
/// monthly reports January–December (approved, on time) and 9 published colour tables
/// (April–December). Written like an import by center staff: through the repositories, one
/// transaction, one audit row.
async fn load_year_2022(app: &App, ctx: &Ctx, projects: &[DemoProject]) -> Result<()> {
    use keyproj_db::repo::dispatch::{self as d, PlanValues};
    use keyproj_domain::Money;
    let completed: Vec<&DemoProject> = projects.iter().filter(|p| p.stage == "竣工").collect();
    let building: Vec<&DemoProject> = projects
        .iter()
        .filter(|p| p.stage == "在建" && !p.started_2022)
        .collect();
    let started: Vec<&DemoProject> = projects.iter().filter(|p| p.started_2022).collect();
    let preliminary: Vec<&DemoProject> = projects.iter().filter(|p| p.stage == "前期").collect();
    let post: Vec<&DemoProject> = projects.iter().filter(|p| p.stage == "后扶").collect();
    let mut uc: Vec<&DemoProject> = completed.iter().take(23).copied().collect();
    uc.extend(building.iter().take(45 - uc.len()).copied());
    let mut pre: Vec<&DemoProject> = started.iter().take(5).copied().collect();
    pre.extend(preliminary.iter().take(23 - pre.len()).copied());
    let ps: Vec<&DemoProject> = post.iter().take(5).copied().collect();
    if uc.len() != 45 || pre.len() != 23 || ps.len() != 5 {
        return Err(ServiceError::invariant(
            "演示数据的项目数不足以组成2022年度计划",
        ));
    }
    let now = app.now();
    let mut tx = app.db.begin_write().await?;
    // 前期: make the 23 projects' total investment exactly 194.2778亿元 by adjusting the largest.
    let target_pre = Money::from_wan_int(1_942_778).fen();
    let sum_pre: i64 = pre.iter().map(|p| p.total_fen).sum();
    let largest = pre.iter().max_by_key(|p| p.total_fen).expect("23 projects");
    let row = keyproj_db::repo::projects::get(&mut tx, largest.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut v = crate::projects::values_of_row(&row);
    v.total_investment_fen += target_pre - sum_pre;
    keyproj_db::repo::projects::update(&mut tx, row.id, row.version, &v, now).await?;

    // 在建: plans adding up to 38.98亿元, approved reports adding up to 38.2亿元 (98.0%).
    let weights: Vec<i64> = uc.iter().map(|p| p.total_fen / 1_000_000 + 500).collect();
    let plans = split_exact(Money::from_wan_int(389_800).fen(), &weights);
    // Some projects run ahead, some behind; the total stays exact.
    let pace: Vec<i64> = (0..uc.len())
        .map(|i| [70, 85, 95, 100, 100, 105, 110, 120][i % 8])
        .collect();
    let done_weights: Vec<i64> = plans
        .iter()
        .zip(&pace)
        .map(|(p, f)| p / 10_000 * f)
        .collect();
    let done = split_exact(Money::from_wan_int(382_000).fen(), &done_weights);
    for (i, p) in uc.iter().enumerate() {
        let values = PlanValues {
            category: "under_construction",
            annual_plan_fen: plans[i],
            targets: "完成年度投资计划，按节点推进",
            monthly_fen: "",
        };
        d::insert_plan(&mut tx, p.id, 2022, &values, now).await?;
        // The year's amount over twelve months, back-loaded like real construction.
        let months = split_exact(done[i], &[4, 5, 7, 8, 8, 9, 9, 9, 10, 10, 10, 11]);
        for (m, amount) in months.iter().enumerate() {
            let progress = ["基础施工", "主体结构施工", "主体封顶", "装饰装修及设备安装"][m / 3];
            submit_approved(&mut tx, p.id, m as u32 + 1, *amount, progress, now).await?;
        }
    }
    for p in &pre {
        d::insert_plan(
            &mut tx,
            p.id,
            2022,
            &PlanValues {
                category: "preliminary",
                annual_plan_fen: 0,
                targets: "完成前期手续，力争开工",
                monthly_fen: "",
            },
            now,
        )
        .await?;
        for m in 1..=12u32 {
            let amount = if p.started_2022 && m >= 6 {
                Money::from_wan_int(200).fen()
            } else {
                0
            };
            submit_approved(
                &mut tx,
                p.id,
                m,
                amount,
                if amount > 0 {
                    "已开工，场地平整"
                } else {
                    "办理前期手续"
                },
                now,
            )
            .await?;
        }
    }
    for p in &ps {
        d::insert_plan(
            &mut tx,
            p.id,
            2022,
            &PlanValues {
                category: "post_support",
                annual_plan_fen: 0,
                targets: "帮扶解决生产运营困难",
                monthly_fen: "",
            },
            now,
        )
        .await?;
        for m in 1..=12u32 {
            submit_approved(&mut tx, p.id, m, 0, "正常运营", now).await?;
        }
    }
    d::freeze_plan_year(&mut tx, ctx.actor.region.as_str(), 2022, "system", now).await?;
    crate::audit(app, &mut tx, ctx, "import", "plan_year", Some(format!("{}:2022", ctx.actor.region)), None::<&()>, Some(&serde_json::json!({ "under_construction": 45, "preliminary": 23, "post_support": 5, "reports": 73 * 12 }))).await?;
    tx.commit().await?;
    // The nine colour tables of 2022 (April–December).
    for m in 4..=12 {
        crate::colour::publish(
            app,
            ctx,
            keyproj_domain::ReportMonth::new(2022, m).expect("month"),
            None,
            "",
        )
        .await?;
    }
    Ok(())
}

/// An approved report submitted on the 3rd of the following month (on time).
async fn submit_approved(
    tx: &mut keyproj_db::Tx,
    project_id: i64,
    month: u32,
    amount: i64,
    progress: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    use keyproj_db::repo::dispatch as d;
    let m = keyproj_domain::ReportMonth::new(2022, month).expect("month");
    let due = keyproj_domain::report::due_date(m, 3);
    d::insert_report(
        tx,
        project_id,
        &m.to_string(),
        "approved",
        &d::ReportValues {
            month_investment_fen: amount,
            progress,
            next_plan: "按计划推进",
            problems: "",
        },
        &due.to_string(),
        "业主联络员",
        Some("中心工作人员"),
        now,
    )
    .await?;
    Ok(())
}

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

/// A synthetic province for benchmarks: 14 cities, 122 counties (桃江 430922 among them), each
/// with a department, a township, an owner and a leader, and `projects` projects spread over the
/// counties. Written through the repositories in one transaction per county, with one audit row
/// per county; names are synthetic (地区 codes), figures deterministic.
pub async fn generate_province(app: &App, projects: usize, months: u32) -> Result<Generated> {
    use keyproj_db::repo::projects::{self as repo, ProjectValues};
    {
        let mut tx = app.db.begin_read().await?;
        if repo::count_all(&mut tx).await? > 0 {
            return Err(ServiceError::invariant(
                "数据库中已有项目，测试数据只能生成到空库",
            ));
        }
    }
    // 122 counties: 9 per city, a few cities with more; 430922 is always one of them.
    let mut counties: Vec<String> = vec![];
    for (i, (city, _)) in HUNAN_CITIES.iter().enumerate() {
        let n = if i < 10 { 9 } else { 8 };
        for k in 0..n {
            counties.push(format!("{city}{:02}", 21 + k));
        }
    }
    if !counties.iter().any(|c| c == "430922") {
        counties.push("430922".into());
    }
    counties.truncate(122);
    if !counties.iter().any(|c| c == "430922") {
        counties[121] = "430922".into();
    }
    let stages = [
        "signed",
        "preliminary",
        "under_construction",
        "completed",
        "post_support",
    ];
    let levels = ["county", "county", "city", "provincial"];
    let industries = [
        "manufacturing",
        "transport",
        "urban",
        "social",
        "energy",
        "tourism",
        "agriculture",
        "water",
    ];
    let mut rng = Lcg(43);
    let per_county = projects.div_ceil(counties.len());
    let mut made = 0usize;
    let province = RegionCode::parse("43").map_err(|e| ServiceError::invariant(e.message))?;
    let ctx = Ctx::system(province.clone());
    {
        // The provincial office, so that province-level accounts have a unit.
        let mut tx = app.db.begin_write().await?;
        org_svc::ensure_regions(app, &mut tx, &province).await?;
        let office = org::NewUnit {
            region_code: "43",
            name: "湖南省重点项目建设办公室",
            kind: "center",
            contact: "",
            phone: "",
            sort_order: 0,
        };
        if org::find_unit_by_name(&mut tx, "43", office.name)
            .await?
            .is_none()
        {
            org::insert_unit(&mut tx, &office, app.now()).await?;
        }
        tx.commit().await?;
    }
    for (ci, county) in counties.iter().enumerate() {
        let code = RegionCode::parse(county).map_err(|e| ServiceError::invariant(e.message))?;
        let now = app.now();
        let mut tx = app.db.begin_write().await?;
        org_svc::ensure_regions(app, &mut tx, &code).await?;
        if let Some((_, name)) = HUNAN_CITIES
            .iter()
            .find(|(c, _)| Some(*c) == code.parent().as_ref().map(|p| p.as_str()))
        {
            org::upsert_region(&mut tx, &county[..4], name, Some("43")).await?;
        }
        let names = [
            format!("{county}发展和改革局"),
            format!("{county}城关镇"),
            format!("{county}城市建设投资有限公司"),
        ];
        let mut ids = [0i64; 3];
        for (i, kind) in ["department", "township", "enterprise"]
            .into_iter()
            .enumerate()
        {
            let u = org::NewUnit {
                region_code: county,
                name: &names[i],
                kind,
                contact: "",
                phone: "",
                sort_order: 0,
            };
            ids[i] = org::insert_unit(&mut tx, &u, now).await?;
        }
        let [dept, town, owner] = ids;
        let leader = org::insert_leader(
            &mut tx,
            county,
            &format!("{county}联系领导"),
            "副县长",
            "",
            0,
            now,
        )
        .await?;
        let n = per_county.min(projects - made);
        for k in 0..n {
            let stage = stages[rng.below(stages.len() as u64) as usize];
            let started = matches!(stage, "under_construction" | "completed" | "post_support");
            let year = 2018 + rng.below(5) as i32;
            let fen = (1000 + rng.below(200_000) as i64) * 1_000_000;
            let v = ProjectValues {
                region_code: county.clone(),
                code: Some(format!("P{county}-{:04}", k + 1)),
                name: format!("{county}第{}号重点建设项目", k + 1),
                national_code: None,
                level: levels[rng.below(levels.len() as u64) as usize].into(),
                stage: stage.into(),
                industry: industries[rng.below(industries.len() as u64) as usize].into(),
                township_unit_id: Some(town),
                owner_unit_id: Some(owner),
                content_scale: "新建厂房、道路及配套设施".into(),
                total_investment_fen: fen,
                funding_sources: "企业自筹".into(),
                planned_start: Some(format!("{year}-{:02}", 1 + rng.below(12))),
                planned_completion: Some(format!("{}-{:02}", year + 3, 1 + rng.below(12))),
                actual_start: started.then(|| format!("{year}-{:02}", 1 + rng.below(12))),
                actual_completion: matches!(stage, "completed" | "post_support")
                    .then(|| format!("{}-{:02}", year + 2, 1 + rng.below(12))),
                leader_id: Some(leader),
                lead_unit_id: Some(dept),
                parent_id: None,
                location: String::new(),
                tags: String::new(),
                below_threshold: fen < 10_000_000_000,
            };
            let annual = v.total_investment_fen / 4 / 10_000 * 10_000;
            let id = repo::insert(&mut tx, &v, now).await?;
            repo::set_responsible_units(&mut tx, id, &[town]).await?;
            // `months` months of approved reports ending with the current month's predecessor,
            // with a plan entry for each year they touch.
            if months > 0 {
                let last = ReportMonth::of(app.local_today());
                let mut m = last;
                for _ in 0..months {
                    m = m.prev();
                }
                let mut rows = vec![];
                let mut years = std::collections::BTreeSet::new();
                for _ in 0..months {
                    m = m.next();
                    years.insert(m.year());
                    let amount =
                        annual / 12 / 10_000 * 10_000 * (70 + rng.below(60) as i64) / 100 / 10_000
                            * 10_000;
                    rows.push((
                        id,
                        m.to_string(),
                        amount,
                        keyproj_domain::report::due_date(m, 5).to_string(),
                    ));
                }
                for y in years {
                    let cat = if started {
                        "under_construction"
                    } else {
                        "preliminary"
                    };
                    keyproj_db::repo::dispatch::insert_plan(
                        &mut tx,
                        id,
                        y as i64,
                        &keyproj_db::repo::dispatch::PlanValues {
                            category: cat,
                            annual_plan_fen: annual,
                            targets: "",
                            monthly_fen: "",
                        },
                        now,
                    )
                    .await?;
                }
                keyproj_db::repo::dispatch::insert_approved_bulk(&mut tx, &rows, "generate", now)
                    .await?;
            }
        }
        made += n;
        crate::audit(
            app,
            &mut tx,
            &ctx,
            "generate",
            "region",
            Some(county.clone()),
            None::<&()>,
            Some(&serde_json::json!({ "projects": n, "index": ci })),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(Generated {
        counties: counties.len(),
        projects: made,
    })
}

/// (raised on, source, meeting, project, category, title, handler, leader, closed after days)
type DemoItem = (
    chrono::NaiveDate,
    &'static str,
    Option<i64>,
    Option<i64>,
    &'static str,
    String,
    i64,
    Option<i64>,
    i64,
);

/// The problem list of the demo county: 2022 as the reference states it — 72 调度会议 (专题调度会,
/// 现场办公会, 周碰头, 月调度会), 4 简报, 52 tasks assigned by them, 16 problems solved for the
/// five 后扶 projects, patrol findings — all closed within the year (a few late); and a handful
/// of current items in every state so that 待办, supervision and the board have something to
/// show.
async fn load_problems(
    app: &App,
    ctx: &Ctx,
    projects: &[DemoProject],
    depts: &[i64],
) -> Result<()> {
    use crate::problems::{self as pr, AssignInput, ItemInput, StepInput};
    use chrono::NaiveDate;
    use keyproj_db::repo::problems as repo;
    let region = ctx.actor.region.clone();
    let now = app.now();
    let mut tx = app.db.begin_write().await?;
    let leaders = org::list_leaders(&mut tx, &region).await?;
    let center = pr::center_unit(&mut tx, &region).await?;
    let cal = pr::calendar_tx(
        &mut tx,
        region.as_str(),
        NaiveDate::from_ymd_opt(2022, 1, 1).expect("date"),
    )
    .await?;
    let day = |d: NaiveDate| d.format(pr::DATE).to_string();
    let building: Vec<i64> = projects
        .iter()
        .filter(|p| p.stage == "在建")
        .map(|p| p.id)
        .collect();
    let post: Vec<i64> = projects
        .iter()
        .filter(|p| p.stage == "后扶")
        .map(|p| p.id)
        .take(5)
        .collect();
    const TOPICS: [(&str, &str); 8] = [
        ("land", "建设用地报批进度滞后"),
        ("demolition", "红线内房屋征收协议未签订"),
        ("approval", "施工许可办理需并联审批"),
        ("funding", "专项债资金拨付滞后"),
        ("utilities", "施工用电线路需迁改"),
        ("environment", "周边群众阻工"),
        ("utilities", "供水管网接入方案待确定"),
        ("other", "设计变更需专家论证"),
    ];
    let kinds = [
        "topic_meeting",
        "site_meeting",
        "topic_meeting",
        "site_meeting",
        "weekly_huddle",
        "topic_meeting",
        "monthly_dispatch",
        "site_meeting",
        "topic_meeting",
    ];
    let mut n_item = 0usize;
    // (raised_on, source, meeting, project, category, title, handler, leader, close after days)
    let mut items: Vec<DemoItem> = vec![];
    let start = NaiveDate::from_ymd_opt(2022, 1, 6).expect("date");
    for i in 0..72i64 {
        let held = cal.add_days(
            start + chrono::Duration::days(i * 5),
            0,
            keyproj_domain::problem::DayCount::Working,
        );
        let kind = kinds[i as usize % kinds.len()];
        let chair = leaders.get(i as usize % leaders.len().max(1)).map(|l| l.id);
        let project = building.get(i as usize % building.len().max(1)).copied();
        let id = repo::insert_meeting(
            &mut tx,
            region.as_str(),
            kind,
            &day(held),
            if kind == "site_meeting" {
                "项目现场"
            } else {
                "县政府会议室"
            },
            chair,
            "县发改局、县住建局、县自然资源局",
            &project.map(|p| p.to_string()).unwrap_or_default(),
            "研究项目推进中的困难和问题，明确责任单位和完成时限。",
            "system",
            now,
        )
        .await?;
        if i % 3 == 0 {
            for k in 0..2 {
                let (cat, title) = TOPICS[(i as usize + k) % TOPICS.len()];
                items.push((
                    held,
                    kind,
                    Some(id),
                    project,
                    cat,
                    title.to_string(),
                    depts[(i as usize + k) % depts.len()],
                    chair,
                    6 + (i + k as i64 * 7) % 14,
                ));
            }
        }
    }
    for b in 0..4i64 {
        let d = NaiveDate::from_ymd_opt(2022, 3 + b as u32 * 3, 15).expect("date");
        items.push((
            d,
            "briefing",
            None,
            building.get(b as usize).copied(),
            "other",
            format!("《重点项目建设简报》第{}期交办事项", b + 1),
            depts[b as usize % depts.len()],
            leaders.first().map(|l| l.id),
            12,
        ));
    }
    for (k, p) in (0..16).zip(post.iter().cycle()) {
        let d = NaiveDate::from_ymd_opt(2022, 2 + (k as u32 % 10), 8 + k as u32).expect("date");
        let (cat, title) = TOPICS[k % TOPICS.len()];
        items.push((
            d,
            "owner_report",
            None,
            Some(*p),
            cat,
            format!("投产运营：{title}"),
            depts[k % depts.len()],
            None,
            8 + k as i64 % 9,
        ));
    }
    for k in 0..10usize {
        let d = NaiveDate::from_ymd_opt(2022, 2 + k as u32, 20).expect("date");
        let (cat, title) = TOPICS[(k + 3) % TOPICS.len()];
        items.push((
            d,
            "daily_patrol",
            None,
            building.get(k + 5).copied(),
            cat,
            format!("巡查发现：{title}"),
            depts[(k + 1) % depts.len()],
            None,
            5 + k as i64,
        ));
    }
    let rules = keyproj_domain::problem::SupervisionRules::default();
    for (raised, source, meeting, project, cat, title, handler, leader, close_after) in items {
        n_item += 1;
        let new = repo::NewItem {
            region_code: region.as_str(),
            year: 2022,
            number_prefix: &rules.assign_prefix,
            kind: if source == "owner_report" || source == "daily_patrol" {
                "problem"
            } else {
                "task"
            },
            source,
            category: cat,
            level: if meeting.is_some() { "3" } else { "2" },
            project_id: project,
            title: &title,
            description: "按会议和调度要求限期办结。",
            raised_by: "system",
            raised_unit_id: center,
            raised_on: &day(raised),
            day_count: "working",
            parent_id: None,
            meeting_id: meeting,
            patrol_id: None,
            report_month: None,
        };
        let (id, _) = repo::insert_item(&mut tx, &new, now).await?;
        let mut row = repo::get_item(&mut tx, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let deadline = cal.add_days(raised, rules.default_limit_days, rules.day_count);
        let closed = raised + chrono::Duration::days(close_after);
        row.state = "closed".into();
        row.verified = true;
        row.handler_unit_id = Some(handler);
        row.assigning_leader_id = leader;
        row.assigned_on = Some(day(raised));
        row.deadline = Some(day(deadline));
        row.resolution = "已协调解决，经核验销号。".into();
        row.closed_on = Some(day(closed));
        row.close_days = Some(cal.days_between(raised, closed, rules.day_count));
        repo::update_workflow(&mut tx, &row, now).await?;
        for (step, from, to) in [
            ("register", "", "registered"),
            ("assign", "registered", "assigned"),
            ("request_closure", "assigned", "closure_requested"),
            ("close", "closure_requested", "closed"),
        ] {
            repo::insert_event(&mut tx, id, "system", 0, step, "", from, to, None, now).await?;
        }
    }
    crate::audit(
        app,
        &mut tx,
        ctx,
        "import",
        "problem_items",
        Some(format!("{region}:2022")),
        None::<&()>,
        Some(&serde_json::json!({ "meetings": 72, "items": n_item })),
    )
    .await?;
    tx.commit().await?;

    // Current items, through the workflow itself.
    let today = app.local_today();
    let unit_ctx = |u: i64| Ctx {
        actor: keyproj_domain::authz::Actor {
            roles: vec![keyproj_domain::authz::Role::UnitUser],
            unit_id: u,
            username: "demo-unit".into(),
            ..ctx.actor.clone()
        },
        ..ctx.clone()
    };
    let input = |title: &str, cat: &str, project: Option<i64>| ItemInput {
        kind: "problem".into(),
        source: "site_meeting".into(),
        category: cat.into(),
        level: "2".into(),
        project_id: project,
        title: title.into(),
        description: "现场办公会确定事项。".into(),
        raised_on: String::new(),
    };
    let assign = |u: i64, days: i64| AssignInput {
        handler_unit_id: Some(u),
        leader_id: leaders.first().map(|l| l.id),
        deadline: day(today + chrono::Duration::days(days)),
        ..Default::default()
    };
    let p = |i: usize| building.get(i).copied();
    pr::register(
        app,
        ctx,
        &input("桃花江大道改造段管线迁改", "utilities", p(0)),
        None,
        Default::default(),
    )
    .await?;
    pr::register(
        app,
        ctx,
        &input("高新区标准厂房用地报批", "land", p(1)),
        Some(&assign(depts[0], 20)),
        Default::default(),
    )
    .await?;
    let (reply, _) = pr::register(
        app,
        ctx,
        &input("城北安置小区征拆扫尾", "demolition", p(2)),
        Some(&assign(depts[1], 2)),
        Default::default(),
    )
    .await?;
    let v = |id: i64| {
        let app = app.clone();
        let ctx = ctx.clone();
        async move { pr::get(&app, &ctx, id).await.map(|d| d.item.version) }
    };
    let step = |s: &str, note: &str, version: i64| StepInput {
        step: s.into(),
        version,
        note: note.into(),
        ..Default::default()
    };
    pr::act(
        app,
        &unit_ctx(depts[1]),
        reply,
        &step("reply", "剩余2户正在协商补偿方案", v(reply).await?),
    )
    .await?;
    let (verify, _) = pr::register(
        app,
        ctx,
        &input("污水处理厂进场道路硬化", "environment", p(3)),
        Some(&assign(depts[2 % depts.len()], 10)),
        Default::default(),
    )
    .await?;
    pr::act(
        app,
        &unit_ctx(depts[2 % depts.len()]),
        verify,
        &step(
            "request_closure",
            "道路已硬化完成，附验收记录",
            v(verify).await?,
        ),
    )
    .await?;
    let (ext, _) = pr::register(
        app,
        ctx,
        &input("文旅综合体消防审验", "approval", p(4)),
        Some(&assign(depts[3 % depts.len()], 5)),
        Default::default(),
    )
    .await?;
    pr::act(
        app,
        &unit_ctx(depts[3 % depts.len()]),
        ext,
        &StepInput {
            new_deadline: day(today + chrono::Duration::days(25)),
            ..step("request_extension", "需等待省级专家评审", v(ext).await?)
        },
    )
    .await?;
    Ok(())
}

//! `keyproj` — the one binary: server, migrations, accounts, demo data, backup, audit check,
//! and moving a deployment between databases. It calls the service (and the demo crate for
//! demo data and benchmarks), never a repository.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use keyproj_db::Db;
use keyproj_domain::RegionCode;
use keyproj_domain::authz::Role;
use keyproj_service::App;
use std::path::PathBuf;

mod settings;
use settings::{open, settings};

// Every database row crosses threads (the SQLite driver's worker thread makes it, a request's
// task drops it), and glibc's allocator serialises such frees on its arena locks; mimalloc frees
// across threads without them (the problem list's p50 2.7 ms instead of 3.4 ms, BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "keyproj", version, about = "重点项目建设管理平台 keyproj")]
struct Cli {
    /// Database URL: sqlite://keyproj.db (default) or postgres://user@host/db
    #[arg(long, global = true, env = "KEYPROJ_DATABASE_URL")]
    database_url: Option<String>,
    /// Optional TOML configuration file (flags and environment variables override it)
    #[arg(long, global = true, env = "KEYPROJ_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the web server (migrates first)
    Serve {
        /// Address to listen on
        #[arg(long, env = "KEYPROJ_BIND")]
        bind: Option<String>,
        /// Load the demo county if the database has no projects
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations
    Migrate,
    /// Load the demo county into an empty database
    Demo,
    /// Generate a synthetic province (14 cities, 122 counties) for benchmarks, into an empty database
    Generate {
        #[arg(long, default_value_t = 20000)]
        projects: usize,
        /// Months of approved monthly reports per project (with plans for the years they touch)
        #[arg(long, default_value_t = 0)]
        months: u32,
    },
    /// Fill the home county of an empty database with an everyday volume for load tests
    /// (`scripts/bench everyday`): projects with a year of reports, handling units, and this
    /// year's problem list spread over them
    GenerateCounty {
        #[arg(long, default_value_t = 300)]
        projects: usize,
        #[arg(long, default_value_t = 20)]
        units: usize,
        #[arg(long, default_value_t = 10_000)]
        problems: usize,
    },
    /// Accounts
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// Regions (行政区划, GB/T 2260): a city or province is set up by adding its regions
    Region {
        #[command(subcommand)]
        cmd: RegionCmd,
    },
    /// Consistent online backup (SQLite: VACUUM INTO; PostgreSQL: prints the pg_dump command)
    Backup { file: PathBuf },
    /// The audit trail
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
    /// Write the canonical import workbook (项目库, 年度计划, 月度调度)
    Template {
        #[arg(default_value = "keyproj-导入模板.xlsx")]
        file: PathBuf,
    },
    /// Import a workbook in the canonical layout: all or nothing
    Import {
        file: PathBuf,
        /// Region code (default: the deployment's region)
        #[arg(long)]
        region: Option<String>,
    },
    /// Time the heavy paths on the current database (run after `generate --months 60`)
    Bench {
        /// The county whose colour table is computed
        #[arg(long, default_value = "430922")]
        county: String,
        /// The colour table's month (default: last month)
        #[arg(long)]
        month: Option<String>,
    },
    /// Generate 帮代办 approval items (default 100,000) over the projects of a region (a
    /// province after `generate`) and time the statistics, the overdue list and the annual figures
    BenchApprovals {
        #[arg(long, default_value_t = 100_000)]
        items: usize,
        /// The region whose projects get the items and whose staff reads them
        #[arg(long, default_value = "43")]
        region: String,
    },
    /// Score a year for every county of a generated province (after `generate`): the example
    /// 考核办法 adopted where none is, one round per county
    BenchAssessment {
        #[arg(long)]
        year: i32,
    },
    /// Score the year's self-evaluation and write its report for every county of a generated
    /// province (the reference ledger kept where a county has none; the year must be over)
    BenchEvaluation {
        #[arg(long)]
        year: i32,
    },
    /// Generate a problem list (default 1,000,000 items, 200,000 open) in the home region and
    /// time statistics, the supervision run and the overdue list (an empty database)
    BenchProblems {
        #[arg(long, default_value_t = 1_000_000)]
        items: usize,
        #[arg(long, default_value_t = 200_000)]
        open: usize,
    },
    /// Reports: `report annual --year 2022 [--region 430922] [--json]`
    Report {
        #[command(subcommand)]
        cmd: ReportCmd,
    },
    /// Evaluate every open problem-list item now (蓝 reminders, 黄/红 督办函), then deliver
    /// pending webhook notifications
    Supervise {
        /// Region code (default: the deployment's region)
        #[arg(long)]
        region: Option<String>,
        /// Evaluate as of this day (YYYY-MM-DD; default today)
        #[arg(long)]
        date: Option<String>,
    },
    /// Score a period under the adopted 考核办法 (a new 计算稿 round) and print the ranking:
    /// `assess --period 2022 [--region 430922] [--xlsx result.xlsx]`
    Assess {
        /// "2022" (the year), "2022-Q3" or "2022-07"
        #[arg(long)]
        period: String,
        /// Region code (default: the deployment's region)
        #[arg(long)]
        region: Option<String>,
        /// Also write the result workbook here
        #[arg(long)]
        xlsx: Option<PathBuf>,
    },
    /// 《重点项目建设简报》 of a year, and one issue as a Word file:
    /// `briefings --year 2022 [--region 430922] [--docx 12 --out 简报.docx]`
    Briefings {
        #[arg(long)]
        year: i32,
        /// Region code (default: the deployment's region)
        #[arg(long)]
        region: Option<String>,
        /// Write this briefing (its id in the list) as .docx
        #[arg(long)]
        docx: Option<i64>,
        /// Where the .docx goes
        #[arg(long, requires = "docx")]
        out: Option<PathBuf>,
    },
    /// Copy a whole deployment to another (migrated, empty) database
    Copy {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand)]
enum RegionCmd {
    /// Add a region or rename one: its parent (from the code) must exist
    Add {
        /// GB/T 2260 code: 43 / 430000, 4309 / 430900, 430922
        code: String,
        #[arg(long)]
        name: String,
    },
    /// The regions, by code
    List,
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create an account with a one-time password
    Add {
        username: String,
        #[arg(long)]
        name: String,
        /// Unit name (must exist)
        #[arg(long)]
        unit: String,
        /// Role keys, comma separated: system_admin, security_admin, audit_admin, center_staff, county_leader, unit_user, owner
        #[arg(long)]
        roles: String,
        /// Region of the unit (default: the deployment's region)
        #[arg(long)]
        region: Option<String>,
    },
    /// Create a personal API token for a user (printed once)
    Token {
        username: String,
        #[arg(long, default_value = "命令行创建")]
        name: String,
    },
    /// Set a new password (asks for none: prints a one-time password unless --password is given)
    Passwd {
        username: String,
        #[arg(long, env = "KEYPROJ_NEW_PASSWORD")]
        password: Option<String>,
    },
    /// List accounts
    List,
}

#[derive(Subcommand)]
enum ReportCmd {
    /// The year's figures the way the center states them
    Annual {
        #[arg(long)]
        year: i32,
        /// Region code (default: the deployment's region)
        #[arg(long)]
        region: Option<String>,
        /// Print JSON instead of sentences
        #[arg(long)]
        json: bool,
    },
    /// 部门整体支出绩效自评: the ledger's totals, every leaf's score, the L1 scores, the total
    /// and the grade
    SelfEvaluation {
        #[arg(long)]
        year: i32,
        /// Region code (default: the deployment's region)
        #[arg(long)]
        region: Option<String>,
        /// Print JSON instead of the score table
        #[arg(long)]
        json: bool,
        /// Also write the report (.docx; the issued one, or a draft) to this file
        #[arg(long)]
        docx: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Walk the hash chain and report the first broken link
    Verify {
        /// A head noted elsewhere (the server log's "audit checkpoint" lines), `ID:HASH`
        #[arg(long)]
        anchor: Vec<String>,
    },
}

fn print_accounts(accounts: &[keyproj_demo::DemoAccount]) {
    println!("\n演示账号（一次性密码只显示这一次）：");
    for a in accounts {
        println!("  {:<10} {:<8} {}", a.username, a.role.label(), a.password);
    }
    println!();
}

/// A service error as the operator reads it (the message, with its cause chain).
fn failed(e: keyproj_service::ServiceError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn region_or_default(app: &App, region: &Option<String>) -> Result<RegionCode> {
    match region {
        Some(r) => RegionCode::parse(r).map_err(|e| anyhow::anyhow!(e.message)),
        None => Ok(app.cfg.default_region.clone()),
    }
}

/// Logs to stderr: readable lines, or one JSON object per line with `KEYPROJ_LOG_FORMAT=json`
/// (for a log collector; each line carries the request's span with its id).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KEYPROJ_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("KEYPROJ_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().with_current_span(true).init();
    } else {
        builder.init();
    }
}

/// No transparent huge pages for this process. mimalloc commits its arenas at once and asks the
/// kernel for 2 MiB pages, so an idle server held 20 MB of huge pages it barely touched: the
/// everyday benchmark's peak was 84 MB with them and 40 MB without, at the same throughput
/// (BENCHMARKS.md). Set before the runtime's threads allocate; the flag covers the process.
#[cfg(target_os = "linux")]
fn without_huge_pages() {
    // SAFETY: prctl with PR_SET_THP_DISABLE takes integer arguments only and changes no memory
    // of this process; a kernel without it returns an error, which changes nothing either.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(not(target_os = "linux"))]
fn without_huge_pages() {}

/// mimalloc gives freed memory back to the system at once rather than a second later: under load
/// the freed pages of one burst were still held when the next came (peak 57 MB against 51 MB
/// in the everyday benchmark, BENCHMARKS.md, fourth pass), for no measurable speed.
/// `MIMALLOC_PURGE_DELAY` in the environment (milliseconds) still decides, for measuring.
fn allocator_returns_memory_at_once() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    unsafe extern "C" {
        fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    }
    /// `mi_option_purge_delay` in mimalloc.h (v3, the one linked; v2 numbers it the same)
    const PURGE_DELAY: std::ffi::c_int = 15;
    // SAFETY: sets one integer option of the allocator linked into this binary, before any
    // other thread exists (the function is not thread safe)
    unsafe { mi_option_set(PURGE_DELAY, 0) }
}

fn main() -> Result<()> {
    allocator_returns_memory_at_once();
    without_huge_pages();
    // before any SQLite connection: SQLite takes its allocator only before its first use
    keyproj_db::sqlite_alloc::use_process_allocator();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(run())
}

async fn run() -> Result<()> {
    init_logging();
    let cli = Cli::parse();
    match &cli.cmd {
        Cmd::Serve { bind, demo } => {
            let s = settings(&cli, bind.as_ref())?;
            let app = open(&s).await?;
            if *demo
                && keyproj_service::projects::library_is_empty(&app)
                    .await
                    .map_err(failed)?
            {
                println!("正在载入演示县（桃江县）数据……");
                let accounts = keyproj_demo::load(&app).await.map_err(failed)?;
                print_accounts(&accounts.0);
            }
            if let Some(pw) = keyproj_service::admin::users::bootstrap_admin(&app)
                .await
                .map_err(failed)?
            {
                println!(
                    "\n已创建系统管理员 admin，一次性密码：{pw}\n（只显示这一次；首次登录须修改）\n"
                );
            }
            let listener = tokio::net::TcpListener::bind(&s.bind)
                .await
                .with_context(|| format!("监听 {}", s.bind))?;
            println!(
                "keyproj 已启动：http://{}/  （数据库：{}）",
                listener.local_addr()?,
                keyproj_db::redact(&s.database_url)
            );
            // jobs left running by a process that stopped (kill -9, power cut) are failed now
            keyproj_service::import::fail_abandoned(&app, true)
                .await
                .map_err(failed)?;
            keyproj_service::background::spawn(app.clone());
            keyproj_web::serve(
                keyproj_web::AppState {
                    app,
                    secure_cookies: s.secure_cookies,
                    trust_proxy: s.trust_proxy,
                },
                listener,
            )
            .await?;
        }
        Cmd::Supervise { region, date } => {
            let s = settings(&cli, None)?;
            let app = open(&s).await?;
            let region = region_or_default(&app, region)?;
            let day = match date {
                Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .with_context(|| format!("日期 {d} 格式应为 2022-03-15"))?,
                None => app.local_today(),
            };
            let run = keyproj_service::problems::supervision::evaluate(&app, &region, day, false)
                .await
                .map_err(failed)?;
            println!(
                "督办评估（{day}）：检查{}项，蓝色提醒{}，黄色督办函{}，红色督办函{}",
                run.examined, run.blue, run.yellow, run.red
            );
            let d = keyproj_service::notifications::deliver_due(&app)
                .await
                .map_err(failed)?;
            if app.cfg.webhook.is_some() {
                println!("webhook：送达{}，失败待重试{}", d.delivered, d.failed);
            }
        }
        Cmd::Assess {
            period,
            region,
            xlsx,
        } => {
            let s = settings(&cli, None)?;
            let app = open(&s).await?;
            let region = region_or_default(&app, region)?;
            let ctx = keyproj_service::Ctx::system(region);
            let id = keyproj_service::assessment::rounds::compute(&app, &ctx, period)
                .await
                .map_err(failed)?;
            let v = keyproj_service::assessment::rounds::get(&app, &ctx, id)
                .await
                .map_err(failed)?;
            println!(
                "{}考核计算稿（第{id}号，依据{}）",
                v.round.period.label(),
                v.rules.doc_number
            );
            for k in &v.kinds {
                println!("{}（{}个）", k.table.kind.label(), k.ranked.len());
                for r in &k.ranked {
                    println!(
                        "  {:>3}  {}  {}分  {}",
                        r.rank,
                        r.name,
                        keyproj_domain::assessment::points_text(r.total),
                        r.grade
                    );
                }
            }
            if let Some(file) = xlsx {
                let bytes = keyproj_service::assessment::rounds::result_book(&v).map_err(failed)?;
                std::fs::write(file, bytes).with_context(|| format!("写入 {}", file.display()))?;
                println!("已写入考核结果：{}", file.display());
            }
        }
        Cmd::Briefings {
            year,
            region,
            docx,
            out,
        } => {
            let s = settings(&cli, None)?;
            let app = open(&s).await?;
            let region = region_or_default(&app, region)?;
            let ctx = keyproj_service::Ctx::system(region);
            let rows = keyproj_service::briefings::of_year(&app, &ctx, *year)
                .await
                .map_err(failed)?;
            println!("{year}年《重点项目建设简报》{}份", rows.len());
            for b in &rows {
                println!(
                    "  [{}] {}  {}  {}  交办任务{}项",
                    b.id,
                    b.seq
                        .map(|n| format!("第{n}期"))
                        .unwrap_or_else(|| "草稿".into()),
                    b.head.title,
                    b.issued_on.map(|d| d.to_string()).unwrap_or_default(),
                    if b.seq.is_some() {
                        b.content.tasks.len()
                    } else {
                        b.tasks.len()
                    }
                );
            }
            if let Some(id) = docx {
                let (name, bytes) = keyproj_service::briefings::docx(&app, &ctx, *id)
                    .await
                    .map_err(failed)?;
                let file = out.clone().unwrap_or_else(|| PathBuf::from(&name));
                std::fs::write(&file, bytes).with_context(|| format!("写入 {}", file.display()))?;
                println!("已写入：{}", file.display());
            }
        }
        Cmd::Migrate => {
            let s = settings(&cli, None)?;
            open(&s).await?;
            println!("数据库已迁移到最新版本");
        }
        Cmd::Demo => {
            let s = settings(&cli, None)?;
            let app = open(&s).await?;
            let accounts = keyproj_demo::load(&app).await.map_err(failed)?;
            println!("演示县数据已载入");
            print_accounts(&accounts.0);
        }
        Cmd::Report {
            cmd: ReportCmd::Annual { year, region, json },
        } => {
            let s = settings(&cli, None)?;
            let app = open(&s).await?;
            let region = region_or_default(&app, region)?;
            let st = keyproj_service::stats::annual(&app, &region, *year)
                .await
                .map_err(failed)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&st)?);
            } else {
                for t in &st.text {
                    println!("{t}。");
                }
            }
        }
        Cmd::Report {
            cmd:
                ReportCmd::SelfEvaluation {
                    year,
                    region,
                    json,
                    docx,
                },
        } => {
            let s = settings(&cli, None)?;
            let app = open(&s).await?;
            let region = region_or_default(&app, region)?;
            let ctx = keyproj_service::Ctx::system(region);
            let y = keyproj_service::evaluation::evaluate(&app, &ctx, *year)
                .await
                .map_err(failed)?;
            let e = &y.evaluation;
            if *json {
                println!("{}", serde_json::to_string_pretty(&y)?);
            } else {
                let l = &y.ledger.ledger;
                let pts = keyproj_domain::assessment::points_text;
                println!(
                    "{year}年部门整体支出：收入{}万元，支出{}万元（基本支出{}万元，项目支出{}万元），“三公”经费{}万元",
                    l.income
                        .iter()
                        .map(|(_, m)| *m)
                        .sum::<keyproj_domain::Money>()
                        .wan_2dp(),
                    (l.basic + l.project).wan_2dp(),
                    l.basic.wan_2dp(),
                    l.project.wan_2dp(),
                    l.sangong().wan_2dp()
                );
                for (l1, l2, name, weight, s) in &e.leaves {
                    println!(
                        "  {l1}/{l2}/{name}（{}分）：{}　{}",
                        pts(*weight),
                        s.points.map(pts).unwrap_or_else(|| "不适用".into()),
                        s.working
                    );
                }
                println!(
                    "{}{}",
                    e.sentence(),
                    if e.needs_review {
                        "（有指标待人工复核）"
                    } else {
                        ""
                    }
                );
            }
            if let Ok(r) = keyproj_service::evaluation::report(&app, &ctx, *year).await
                && let Some(i) = r.issued
            {
                println!(
                    "本年度自评报告已印发（{}，{}）：印发的报告内容已冻结，以上为按当前数据的评分。",
                    i.number, i.issued_on
                );
            }
            if let Some(file) = docx {
                let (name, bytes) = keyproj_service::evaluation::report_docx(&app, &ctx, *year)
                    .await
                    .map_err(failed)?;
                std::fs::write(file, bytes).with_context(|| format!("写入 {}", file.display()))?;
                eprintln!("已生成《{name}》：{}", file.display());
            }
        }
        Cmd::Template { file } => {
            let bytes = keyproj_office::workbook::template().map_err(|e| anyhow::anyhow!("{e}"))?;
            std::fs::write(file, bytes).with_context(|| format!("写入 {}", file.display()))?;
            println!("已生成导入模板：{}", file.display());
        }
        Cmd::Import { file, region } => {
            let s = settings(&cli, None)?;
            let app = open(&s).await?;
            let bytes = std::fs::read(file).with_context(|| format!("读取 {}", file.display()))?;
            let region = region_or_default(&app, region)?;
            let mut ctx = keyproj_service::Ctx::system(region);
            ctx.actor.username = "命令行导入".into();
            let started = std::time::Instant::now();
            match keyproj_service::import::import_bytes(&app, &ctx, &bytes, &Default::default())
                .await
            {
                Ok(sum) => {
                    app.db.optimize().await?;
                    println!(
                        "导入完成（{:.1} 秒）：项目 新增{} 更新{} 未变{}；年度计划 新增{} 更新{} 未变{}；月报 新增{} 修订{} 未变{}",
                        started.elapsed().as_secs_f64(),
                        sum.projects_created,
                        sum.projects_updated,
                        sum.projects_unchanged,
                        sum.plans_created,
                        sum.plans_updated,
                        sum.plans_unchanged,
                        sum.reports_created,
                        sum.reports_revised,
                        sum.reports_unchanged
                    );
                    if sum.signed_created + sum.signed_updated + sum.signed_unchanged > 0 {
                        println!(
                            "签约项目 新增{} 更新{} 未变{}（新建签约活动{}次）",
                            sum.signed_created,
                            sum.signed_updated,
                            sum.signed_unchanged,
                            sum.events_created
                        );
                    }
                    if sum.approvals_created + sum.approvals_updated + sum.approvals_unchanged > 0 {
                        println!(
                            "帮代办事项 新增{} 更新{} 未变{}",
                            sum.approvals_created, sum.approvals_updated, sum.approvals_unchanged
                        );
                    }
                    if !sum.units_created.is_empty() {
                        println!("新建单位：{}", sum.units_created.join("、"));
                    }
                    if !sum.leaders_created.is_empty() {
                        println!("新建县级领导：{}", sum.leaders_created.join("、"));
                    }
                }
                Err(keyproj_service::import::ImportError::File(m)) => bail!("未导入：{m}"),
                Err(keyproj_service::import::ImportError::Problems(ps)) => {
                    eprintln!("未导入任何数据，发现{}处问题：", ps.len());
                    for p in ps.iter().take(200) {
                        eprintln!(
                            "  {} 第{}行 {}「{}」：{}",
                            p.sheet, p.row, p.column, p.value, p.reason
                        );
                    }
                    std::process::exit(2);
                }
                Err(keyproj_service::import::ImportError::Service(e)) => bail!("未导入：{e}"),
            }
        }
        Cmd::Bench { county, month } => {
            let s = settings(&cli, None)?;
            let app = open(&s).await?;
            let county = RegionCode::parse(county).map_err(|e| anyhow::anyhow!(e.message))?;
            let month = match month {
                Some(m) => keyproj_domain::ReportMonth::parse("month", "月份", m)
                    .map_err(|e| anyhow::anyhow!(e.message))?,
                None => keyproj_domain::ReportMonth::of(app.local_today()).prev(),
            };
            for line in keyproj_demo::bench::dispatch(&app, &county, month)
                .await
                .map_err(failed)?
            {
                println!("{line}");
            }
            println!("进程内存峰值：{}", peak_rss_mb());
        }
        Cmd::BenchProblems {
            items,
            open: open_items,
        } => {
            let s = settings(&cli, None)?;
            let app = open(&s).await?;
            let b = keyproj_demo::bench::problems(&app, *items, (*open_items).min(*items))
                .await
                .map_err(failed)?;
            println!("{}", serde_json::to_string_pretty(&b)?);
        }
        Cmd::BenchApprovals { items, region } => {
            let s = settings(&cli, None)?;
            let app = open(&s).await?;
            let region = keyproj_domain::RegionCode::parse(region)
                .map_err(|e| anyhow::anyhow!("地区代码无效：{}", e.message))?;
            let b = keyproj_demo::bench::approvals(&app, &region, *items)
                .await
                .map_err(failed)?;
            println!("{}", serde_json::to_string_pretty(&b)?);
        }
        Cmd::BenchEvaluation { year } => {
            let s = settings(&cli, None)?;
            let app = open(&s).await?;
            let b = keyproj_demo::bench::evaluation(&app, *year)
                .await
                .map_err(failed)?;
            println!("{}", serde_json::to_string_pretty(&b)?);
        }
        Cmd::BenchAssessment { year } => {
            let s = settings(&cli, None)?;
            let app = open(&s).await?;
            let b = keyproj_demo::bench::assessment(&app, *year)
                .await
                .map_err(failed)?;
            println!("{}", serde_json::to_string_pretty(&b)?);
        }
        Cmd::Generate { projects, months } => {
            let s = settings(&cli, None)?;
            let app = open(&s).await?;
            let started = std::time::Instant::now();
            let g = keyproj_demo::province::generate(&app, *projects, *months)
                .await
                .map_err(failed)?;
            app.db.optimize().await?;
            println!(
                "已生成 {} 个县的 {} 个项目（用时 {:.1} 秒）",
                g.counties,
                g.projects,
                started.elapsed().as_secs_f64()
            );
        }
        Cmd::GenerateCounty {
            projects,
            units,
            problems,
        } => {
            let s = settings(&cli, None)?;
            let app = open(&s).await?;
            let g = keyproj_demo::everyday::generate(&app, *projects, *units, *problems)
                .await
                .map_err(failed)?;
            println!("{}", serde_json::to_string_pretty(&g)?);
        }
        Cmd::Region { cmd } => {
            let s = settings(&cli, None)?;
            let app = open(&s).await?;
            // the operator at the server: any region (its province is the scope)
            let ctx_for = |code: &str| {
                let root = keyproj_domain::RegionCode::parse(code.get(..2).unwrap_or(code))
                    .unwrap_or_else(|_| app.cfg.default_region.clone());
                let mut ctx = keyproj_service::Ctx::system(root);
                ctx.actor.roles = vec![Role::SystemAdmin];
                ctx
            };
            match cmd {
                RegionCmd::Add { code, name } => {
                    let saved = keyproj_service::org::save_region(&app, &ctx_for(code), code, name)
                        .await
                        .map_err(failed)?;
                    println!("已保存行政区划 {} {name}", saved.as_str());
                }
                RegionCmd::List => {
                    let mut all = vec![];
                    for r in keyproj_service::org::all_regions(&app)
                        .await
                        .map_err(failed)?
                    {
                        all.push(format!(
                            "{}\t{}\t{}",
                            r.code.as_str(),
                            r.name,
                            r.parent_code
                                .map(|p| p.as_str().to_string())
                                .unwrap_or_default()
                        ));
                    }
                    println!("{}", all.join("\n"));
                }
            }
        }
        Cmd::User { cmd } => {
            let s = settings(&cli, None)?;
            let app = open(&s).await?;
            match cmd {
                UserCmd::Add {
                    username,
                    name,
                    unit,
                    roles,
                    region,
                } => {
                    let roles: Vec<Role> = roles
                        .split(',')
                        .map(|r| {
                            Role::from_input(r.trim())
                                .ok_or_else(|| anyhow::anyhow!("未知角色：{r}"))
                        })
                        .collect::<Result<_>>()?;
                    let region = region_or_default(&app, region)?;
                    let u = keyproj_service::org::unit_by_name(&app, &region, unit)
                        .await
                        .map_err(failed)?
                        .ok_or_else(|| anyhow::anyhow!("单位不存在：{unit}"))?;
                    let mut ctx = keyproj_service::Ctx::system(app.cfg.default_region.clone());
                    ctx.actor.roles = vec![Role::SystemAdmin];
                    let created = keyproj_service::admin::users::create(
                        &app,
                        &ctx,
                        &keyproj_service::admin::users::NewAccount {
                            username,
                            display_name: name,
                            unit_id: u.id,
                            roles: &roles,
                        },
                    )
                    .await
                    .map_err(failed)?;
                    println!(
                        "已创建 {username}，一次性密码：{}（首次登录须修改）",
                        created.password
                    );
                }
                UserCmd::Passwd { username, password } => {
                    let pw = keyproj_service::admin::users::set_password_cli(
                        &app,
                        username,
                        password.as_deref(),
                    )
                    .await
                    .map_err(failed)?;
                    if password.is_none() {
                        println!("{username} 的一次性密码：{pw}（首次登录须修改）");
                    } else {
                        println!("{username} 的密码已修改");
                    }
                }
                UserCmd::Token { username, name } => {
                    let token =
                        keyproj_service::account::tokens::create_token_for(&app, username, name)
                            .await
                            .map_err(failed)?;
                    println!("{}", token.secret);
                }
                UserCmd::List => {
                    let mut ctx = keyproj_service::Ctx::system(app.cfg.default_region.clone());
                    ctx.actor.roles = vec![Role::SystemAdmin];
                    for v in keyproj_service::admin::users::list(&app, &ctx)
                        .await
                        .map_err(failed)?
                    {
                        let labels: Vec<&str> = v.roles.iter().map(|r| r.label()).collect();
                        println!(
                            "{:<16} {:<12} {:<24} {}{}",
                            v.user.username,
                            v.user.display_name,
                            v.user.unit_name,
                            labels.join("、"),
                            if v.user.disabled {
                                "（已停用）"
                            } else {
                                ""
                            }
                        );
                    }
                }
            }
        }
        Cmd::Backup { file } => {
            let s = settings(&cli, None)?;
            let db = Db::connect(&s.database_url, &s.db_opts).await?;
            match db {
                Db::Sqlite(..) => {
                    db.backup_sqlite(file).await?;
                    println!("已备份到 {}（请同时备份审计密钥文件）", file.display());
                }
                Db::Postgres(_) => {
                    println!(
                        "PostgreSQL 请用 pg_dump 在线备份：\n  {}",
                        keyproj_db::pg_dump_command(&s.database_url, &file.display().to_string())
                    );
                }
            }
        }
        Cmd::Audit {
            cmd: AuditCmd::Verify { anchor },
        } => {
            let s = settings(&cli, None)?;
            let app = open(&s).await?;
            let mut given = vec![];
            for a in anchor {
                let (id, hash) = a
                    .split_once(':')
                    .and_then(|(i, h)| Some((i.trim().parse::<i64>().ok()?, h.trim().to_string())))
                    .ok_or_else(|| anyhow::anyhow!("锚点格式应为 编号:校验值（如 1024:ab12…）"))?;
                given.push((id, hash));
            }
            let r = keyproj_service::admin::audit::verify_with(&app, &given)
                .await
                .map_err(failed)?;
            if let Some(b) = &r.broken {
                println!(
                    "审计链断裂：第 {} 号记录 —— {}（此前 {} 条校验通过）",
                    b.id, b.reason, b.verified_before
                );
            }
            for p in &r.problems {
                println!("审计链异常：{p}");
            }
            if let Some(h) = &r.head {
                // The operator compares this with the checkpoint lines in the server log.
                println!(
                    "锚点：第 {} 号记录，共 {} 条，校验值 {}",
                    h.audit_id, h.row_count, h.hash
                );
            }
            if !r.ok() {
                std::process::exit(2);
            }
            println!(
                "审计链完整：共 {} 条记录，校验通过（含 {} 个检查点）",
                r.rows, r.checkpoints
            );
        }
        Cmd::Copy { from, to } => {
            let s = settings(&cli, None)?;
            let src = Db::connect(from, &s.db_opts).await?;
            src.migrate().await?;
            let dst = Db::connect(to, &s.db_opts).await?;
            dst.migrate().await?;
            let report = keyproj_db::copy::copy_all(&src, &dst).await?;
            for (t, n) in report {
                println!("{t:<24} {n}");
            }
            println!(
                "已复制：{} → {}",
                keyproj_db::redact(from),
                keyproj_db::redact(to)
            );
        }
    }
    Ok(())
}

fn peak_rss_mb() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<f64>()
                    .unwrap_or(0.0)
                    / 1024.0
            })
        })
        .map(|mb| format!("{mb:.0} MB"))
        .unwrap_or_else(|| "?".into())
}

#[cfg(test)]
mod tests {
    /// The option number set in `allocator_returns_memory_at_once` is mimalloc's purge delay:
    /// the option of that number holds the purge delay's default in mimalloc v3, 1000 (ms),
    /// until `main` sets it.
    #[test]
    fn the_allocator_option_set_is_the_purge_delay() {
        unsafe extern "C" {
            fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
        }
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: reads one integer option
            assert_eq!(unsafe { mi_option_get(15) }, 1000);
        }
    }
}

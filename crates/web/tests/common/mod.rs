//! Shared harness: the real app on 127.0.0.1:0 over a fresh database with a few units,
//! projects and one account per role.
#![allow(dead_code)]

use chrono::Utc;
use keyproj_db::testing::TestDb;
use keyproj_domain::authz::Role;
use keyproj_domain::org::UnitDraft;
use keyproj_service::admin::users::{self, NewAccount};
use keyproj_service::projects::ProjectInput;
use keyproj_service::{App, Config, Ctx, TestClock};
use reqwest::StatusCode;
use std::sync::{Arc, Mutex};

pub struct Harness {
    pub base: String,
    pub app: App,
    pub clock: Arc<TestClock>,
    pub _db: TestDb,
    /// unit ids: center, 县住建局, 县交通局, an owner company
    pub units: [i64; 4],
    /// a project led by 县住建局 and owned by the company; one led by 县交通局
    pub projects: [i64; 2],
}

pub const PW: &str = "Zishui-Bridge-7391";

pub async fn harness(t: TestDb) -> Harness {
    harness_with(t, |_| {}).await
}

/// The harness with a changed configuration.
pub async fn harness_with(t: TestDb, tweak: impl FnOnce(&mut Config)) -> Harness {
    harness_full(t, tweak, false).await
}

/// The harness behind a trusted proxy: tests choose the client address with `X-Forwarded-For`.
pub async fn harness_behind_proxy(t: TestDb) -> Harness {
    harness_full(t, |_| {}, true).await
}

pub async fn harness_full(
    t: TestDb,
    tweak: impl FnOnce(&mut Config),
    trust_proxy: bool,
) -> Harness {
    let clock = Arc::new(TestClock(Mutex::new(Utc::now())));
    let files = std::env::temp_dir().join(format!(
        "keyproj_files_{}_{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or(0)
    ));
    let mut cfg = Config {
        audit_key: b"test-audit-key-0123456789".to_vec(),
        files_dir: files,
        ..Config::default()
    };
    tweak(&mut cfg);
    let app = App::with_clock(t.db.clone(), cfg, clock.clone());
    users::bootstrap_admin(&app).await.unwrap();
    let sys = Ctx::system(app.cfg.default_region.clone());
    let unit = |name: &'static str, kind: &'static str| {
        let (app, sys) = (app.clone(), sys.clone());
        async move {
            keyproj_service::org::create_unit(
                &app,
                &sys,
                &UnitDraft {
                    name: name.into(),
                    kind: kind.into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .get()
        }
    };
    let center = keyproj_service::org::unit_by_name(
        &app,
        &app.cfg.default_region,
        "桃江县重点项目建设事务中心",
    )
    .await
    .unwrap()
    .unwrap()
    .id
    .get();
    let zj = unit("县住房和城乡建设局", "department").await;
    let jt = unit("县交通运输局", "department").await;
    let owner = unit("桃江城投公司", "enterprise").await;
    let mk = |name: &str, lead: i64, owner: Option<i64>| ProjectInput {
        draft: keyproj_domain::project::ProjectDraft {
            name: name.into(),
            level: "县重点".into(),
            stage: "前期".into(),
            industry: "交通".into(),
            total_investment_wan: "12000".into(),
            ..Default::default()
        },
        lead_unit_id: Some(lead.into()),
        owner_unit_id: owner.map(Into::into),
        ..Default::default()
    };
    let p1 =
        keyproj_service::projects::create(&app, &sys, &mk("城区道路提质改造", zj, Some(owner)))
            .await
            .unwrap()
            .get();
    let p2 = keyproj_service::projects::create(&app, &sys, &mk("桃花江大桥", jt, None))
        .await
        .unwrap()
        .get();

    let admin = keyproj_service::account::acting_as(&app, "admin", "t")
        .await
        .unwrap();
    for (name, unit, role) in [
        ("staff", center, Role::CenterStaff),
        ("leader", center, Role::CountyLeader),
        ("zjju", zj, Role::UnitUser),
        ("jtju", jt, Role::UnitUser),
        ("owner", owner, Role::Owner),
        ("auditor", center, Role::AuditAdmin),
        ("secadmin", center, Role::SecurityAdmin),
    ] {
        users::create(
            &app,
            &admin,
            &NewAccount {
                username: name,
                display_name: name,
                unit_id: unit.into(),
                roles: &[role],
            },
        )
        .await
        .unwrap();
        users::set_password_cli(&app, name, Some(PW)).await.unwrap();
    }
    users::set_password_cli(&app, "admin", Some(PW))
        .await
        .unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = keyproj_web::AppState {
        app: app.clone(),
        secure_cookies: false,
        trust_proxy,
    };
    tokio::spawn(async move { keyproj_web::serve(state, listener).await.unwrap() });
    Harness {
        base,
        app,
        clock,
        _db: t,
        units: [center, zj, jt, owner],
        projects: [p1, p2],
    }
}

pub fn client() -> reqwest::Client {
    keyproj_service::install_tls_provider();
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The status of a GET (redirects are not followed).
pub async fn status(c: &reqwest::Client, url: &str) -> reqwest::StatusCode {
    c.get(url).send().await.unwrap().status()
}

/// The value of a hidden input named `name` in an HTML page.
pub fn hidden(html: &str, name: &str) -> String {
    let pat = format!("name=\"{name}\" value=\"");
    let i = html
        .find(&pat)
        .unwrap_or_else(|| panic!("no {name} in page"))
        + pat.len();
    html[i..].split('"').next().unwrap().to_string()
}

impl Harness {
    /// A login from a given client address (needs [`harness_behind_proxy`]).
    pub async fn login_from(
        &self,
        c: &reqwest::Client,
        ip: &str,
        user: &str,
        pw: &str,
    ) -> reqwest::Response {
        let page = c
            .get(format!("{}/login", self.base))
            .header("x-forwarded-for", ip)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&page, "csrf");
        c.post(format!("{}/login", self.base))
            .header("x-forwarded-for", ip)
            .form(&[
                ("username", user),
                ("password", pw),
                ("csrf", &csrf),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap()
    }
    pub async fn login(&self, c: &reqwest::Client, user: &str, pw: &str) -> reqwest::Response {
        let page = c
            .get(format!("{}/login", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&page, "csrf");
        c.post(format!("{}/login", self.base))
            .form(&[
                ("username", user),
                ("password", pw),
                ("csrf", &csrf),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap()
    }
    /// A page as a client gets it: its status and its text.
    pub async fn page(&self, c: &reqwest::Client, path: &str) -> (StatusCode, String) {
        let r = c.get(format!("{}{path}", self.base)).send().await.unwrap();
        let status = r.status();
        (status, r.text().await.unwrap())
    }
    pub async fn signed_in(&self, user: &str) -> reqwest::Client {
        let c = client();
        let r = self.login(&c, user, PW).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "login of {user}");
        c
    }
    pub async fn csrf_of(&self, c: &reqwest::Client, path: &str) -> String {
        let html = c
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        hidden(&html, "csrf")
    }
    pub async fn token(&self, user: &str) -> String {
        keyproj_service::account::tokens::create_token_for(&self.app, user, "test")
            .await
            .unwrap()
            .secret
    }
    pub async fn project_name(&self, id: i64) -> String {
        let mut tx = self.app.db.begin_read().await.unwrap();
        keyproj_db::repo::projects::get(&mut tx, id.into())
            .await
            .unwrap()
            .unwrap()
            .name
    }
    /// A plan of the year for a project (its months may then be reported), by center staff.
    pub async fn plan(&self, project: i64, year: i32) {
        let staff = self.token("staff").await;
        let r = reqwest::Client::new()
            .put(format!("{}/api/v1/plans/{project}/{year}", self.base))
            .bearer_auth(&staff)
            .json(&serde_json::json!({"category": "在建", "annual_plan_wan": "1000"}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }
    pub async fn audit_count(&self) -> i64 {
        let mut tx = self.app.db.begin_read().await.unwrap();
        keyproj_db::schema::row_count(&mut tx, "audit_log")
            .await
            .unwrap()
    }
}

/// A PNG of `w`×`h` RGBA pixels, all zero, built as a stream (small on the wire, huge once
/// decoded) without ever holding the pixels in memory.
pub fn png_of_zeros(w: u32, h: u32) -> Vec<u8> {
    use std::io::Write;
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.finalize().to_be_bytes());
    }
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = vec![];
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8 bits, RGBA
    chunk(&mut out, b"IHDR", &ihdr);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let row = vec![0u8; 1 + 4 * w as usize]; // filter byte + pixels
    for _ in 0..h {
        z.write_all(&row).unwrap();
    }
    chunk(&mut out, b"IDAT", &z.finish().unwrap());
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Records of 南县, a neighbouring county (ids as on the wire).
pub struct Neighbour {
    pub unit: i64,
    pub leader: i64,
    pub patrol: i64,
}

/// Creates 南县 with a unit, a leader and a patrol, through its own system context.
pub async fn neighbour_county(h: &Harness) -> Neighbour {
    let region = keyproj_domain::RegionCode::parse("430921").unwrap();
    let mut tx = h.app.db.begin_write().await.unwrap();
    keyproj_service::org::ensure_regions(&mut tx, &region)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let sys = Ctx::system(region);
    let unit = keyproj_service::org::create_unit(
        &h.app,
        &sys,
        &UnitDraft {
            name: "南县住建局".into(),
            kind: "department".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let leader = keyproj_service::org::create_leader(
        &h.app,
        &sys,
        &keyproj_domain::org::LeaderDraft {
            name: "南县副县长".into(),
            title: "副县长".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let patrol = keyproj_service::problems::meetings::create_patrol(
        &h.app,
        &sys,
        &keyproj_domain::problem::PatrolDraft {
            patrol_on: "2026-01-05".into(),
            inspector: "南县巡查员".into(),
            project_ids: vec![],
            findings: "南县的发现".into(),
        },
    )
    .await
    .unwrap();
    Neighbour {
        unit: unit.get(),
        leader: leader.get(),
        patrol: patrol.get(),
    }
}

/// One sheet of a downloaded workbook, by name.
#[allow(dead_code)] // not every test file reads workbooks
pub fn xlsx_sheet(bytes: &[u8], name: &str) -> calamine::Range<calamine::Data> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    book.worksheet_range(name).unwrap()
}

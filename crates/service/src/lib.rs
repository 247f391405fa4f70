//! Use cases of keyproj, in feature folders that mirror `keyproj_db::repo` (see ARCHITECTURE.md).
//! Each write follows one shape inside a [`work::Work`]: begin a write transaction → authorize →
//! validate → repositories → audit rows → commit; if any step fails, nothing is written. This
//! crate owns the rules' application, permissions on every id, background jobs, notifications
//! and exports; it knows no HTTP and writes no SQL.

pub mod account;
pub mod admin;
pub mod assessment;
pub mod attachments;
pub mod background;
pub mod briefings;
pub mod dispatch;
mod error;
pub mod evaluation;
pub mod exports;
pub mod files;
pub mod import;
pub mod notifications;
pub mod org;
pub mod pipeline;
pub mod problems;
pub mod projects;
pub mod rules;

pub mod stats;
pub mod survey;
pub mod work;

use chrono::{DateTime, Utc};
use keyproj_db::Db;
use keyproj_domain::audit::storable_time;
use keyproj_domain::authz::{Action, Actor, Decision};
use keyproj_domain::password::PasswordPolicy;
use keyproj_domain::session::SessionPolicy;
use keyproj_domain::{RegionCode, ValidationErrors};
use std::sync::{Arc, Mutex};

pub use keyproj_domain as domain;

/// Where the time comes from: the system clock, or a fixed clock in tests.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;
impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still: history written as of when it happened, fixed test times.
pub struct FixedClock(pub DateTime<Utc>);
impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// A clock tests can move.
pub struct TestClock(pub Mutex<DateTime<Utc>>);
impl TestClock {
    pub fn advance(&self, d: chrono::Duration) {
        let mut t = self.0.lock().expect("clock");
        *t += d;
    }
}
impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub session: SessionPolicy,
    pub password: PasswordPolicy,
    /// Key of the audit hash chain. Keep it out of the database.
    pub audit_key: Vec<u8>,
    /// The deployment's home region (the reference county by default).
    pub default_region: RegionCode,
    /// Where uploaded files (site photos) are kept when no S3 store is configured.
    pub files_dir: std::path::PathBuf,
    /// An S3-compatible object store (MinIO, a government cloud's OSS) shared by all
    /// instances; when set, `files_dir` is not used.
    pub s3: Option<S3Config>,
    /// Where notifications are also POSTed (SMS or government WeChat gateways).
    pub webhook: Option<WebhookConfig>,
    /// A file outside the database where the audit chain's head is appended whenever it moves
    /// (every 15 seconds at most): `audit verify` checks the chain against it, so a tail cut
    /// from the database together with its anchors is still noticed.
    pub audit_anchor_file: Option<std::path::PathBuf>,
    /// How long a published colour table waits before the public board (上墙) shows it, so a
    /// wrong issue can be corrected before the hall sees it. 0 shows it at once.
    pub board_delay_minutes: i64,
    /// Months after signing without a start before a signed project is flagged 未落地.
    pub not_moving_months: u32,
    /// The public board also shows the latest published 考核 ranking (`/board/assessment`).
    pub board_assessment: bool,
    /// The address the public reaches this server at (https://zdxm.example.gov.cn), for links
    /// printed on paper (survey slips); None: the address staff used when printing.
    pub public_url: Option<String>,
}

/// The outgoing webhook: JSON POSTs signed with HMAC-SHA256 of the body under `secret`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    pub url: String,
    pub secret: String,
}

/// Where an S3-compatible store is and how to sign in to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    /// e.g. `https://oss.example.gov.cn` or `http://127.0.0.1:9000`.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            session: SessionPolicy::default(),
            password: PasswordPolicy::default(),
            audit_key: b"keyproj-development-key".to_vec(),
            default_region: RegionCode::parse("430922").expect("valid"),
            files_dir: std::path::PathBuf::from("keyproj-files"),
            s3: None,
            webhook: None,
            audit_anchor_file: None,
            board_delay_minutes: 0,
            not_moving_months: 6,
            board_assessment: false,
            public_url: None,
        }
    }
}

/// HTTP clients (the S3 store, webhooks) use rustls built without a default provider so that
/// only ring is compiled in; it must be installed once per process before any client is built.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub cfg: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    /// The file store, built on first use and shared (its HTTP client pools connections).
    files: Arc<std::sync::OnceLock<Arc<dyn object_store::ObjectStore>>>,
    /// This process among several instances (import jobs record who runs them).
    pub instance_id: Arc<str>,
    /// Progress of the import jobs running in this process, by job id.
    pub(crate) running_imports:
        Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<import::Progress>>>>,
}

impl App {
    pub fn new(db: Db, cfg: Config) -> App {
        App::with_clock(db, cfg, Arc::new(SystemClock))
    }
    pub fn with_clock(db: Db, cfg: Config, clock: Arc<dyn Clock>) -> App {
        install_tls_provider();
        App {
            db,
            cfg: Arc::new(cfg),
            clock,
            files: Arc::default(),
            instance_id: random_token().into(),
            running_imports: Arc::default(),
        }
    }
    /// Now, truncated to what both databases store exactly.
    pub fn now(&self) -> DateTime<Utc> {
        storable_time(self.clock.now())
    }
    /// The same application on a clock standing at `at`: the demo's history goes through the
    /// use cases as of the day it happened.
    pub fn at(&self, at: DateTime<Utc>) -> App {
        App {
            clock: Arc::new(FixedClock(at)),
            ..self.clone()
        }
    }
    /// Today's date where the county is (China Standard Time, UTC+8, no daylight saving).
    pub fn local_today(&self) -> chrono::NaiveDate {
        (self.clock.now() + chrono::Duration::hours(8)).date_naive()
    }
}

/// Who acts and from where.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: Actor,
    pub ip: String,
}

impl Ctx {
    pub fn system(region: RegionCode) -> Ctx {
        Ctx {
            actor: Actor::system(region),
            ip: "local".into(),
        }
    }
}

pub use error::{Result, ServiceError};

pub(crate) fn field_error(field: &str, code: &'static str, msg: impl Into<String>) -> ServiceError {
    ServiceError::Validation(ValidationErrors::single(field, code, msg))
}

pub(crate) fn check(d: Decision) -> Result<()> {
    match d {
        Decision::Allow => Ok(()),
        Decision::Forbidden => Err(ServiceError::Forbidden),
        Decision::NotFound => Err(ServiceError::NotFound),
    }
}

pub(crate) fn require(ctx: &Ctx, action: Action) -> Result<()> {
    check(keyproj_domain::authz::authorize(&ctx.actor, action))
}

/// Beijing time for people (the database keeps UTC).
pub fn local_time(t: &DateTime<Utc>) -> String {
    (*t + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A random secret of 32 bytes, URL-safe base64 (256 bits, from the OS generator).
pub fn random_token() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    use base64::Engine;
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Tokens are stored only as their SHA-256.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A readable random password that meets the default policy (for first start and demo).
pub fn random_password() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    const LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGIT: &[u8] = b"23456789";
    let pick = |set: &[u8]| set[(OsRng.next_u32() as usize) % set.len()] as char;
    let mut s = String::new();
    for i in 0..16 {
        if i > 0 && i % 4 == 0 {
            s.push('-');
        }
        s.push(match i % 4 {
            0 => pick(UPPER),
            3 => pick(DIGIT),
            _ => pick(LOWER),
        });
    }
    s
}

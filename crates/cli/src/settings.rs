//! Settings of the server and the commands: the configuration file, environment variables
//! (`KEYPROJ_*`) and flags, in that order of precedence; and opening the database.

use crate::Cli;
use anyhow::{Context, Result, bail};
use keyproj_db::{Db, DbOptions};
use keyproj_domain::RegionCode;
use keyproj_service::{App, Config};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The configuration file. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    database_url: Option<String>,
    bind: Option<String>,
    region: Option<String>,
    max_connections: Option<u32>,
    audit_key_file: Option<PathBuf>,
    audit_anchor_file: Option<PathBuf>,
    session_idle_minutes: Option<i64>,
    session_absolute_hours: Option<i64>,
    password_min_length: Option<usize>,
    max_failed_logins: Option<i64>,
    lockout_minutes: Option<i64>,
    secure_cookies: Option<bool>,
    trust_proxy: Option<bool>,
    files_dir: Option<PathBuf>,
    s3_endpoint: Option<String>,
    s3_bucket: Option<String>,
    s3_region: Option<String>,
    s3_access_key_id: Option<String>,
    s3_secret_access_key: Option<String>,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
    board_delay_minutes: Option<i64>,
    not_moving_months: Option<u32>,
    board_assessment: Option<bool>,
    public_url: Option<String>,
}

pub(crate) struct Settings {
    pub(crate) database_url: String,
    pub(crate) bind: String,
    pub(crate) db_opts: DbOptions,
    pub(crate) cfg: Config,
    pub(crate) secure_cookies: bool,
    pub(crate) trust_proxy: bool,
    /// A key file created by this start: refused when the database already has an audit
    /// chain (it was signed with another key; a new one would break the chain).
    pub(crate) new_key_file: Option<PathBuf>,
}

pub(crate) fn env_or<T: std::str::FromStr>(key: &str, file: Option<T>) -> Option<T> {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .or(file)
}

/// Reads the audit key: `KEYPROJ_AUDIT_KEY`, else a key file (created with a random key on
/// first start, readable by the owner only). The key never goes into the database.
/// The second value is the key file when it was created just now (see [`open`]).
pub(crate) fn audit_key(file: &Path) -> Result<(Vec<u8>, Option<PathBuf>)> {
    if let Ok(k) = std::env::var("KEYPROJ_AUDIT_KEY") {
        if k.len() < 16 {
            bail!("KEYPROJ_AUDIT_KEY 太短（至少16个字符）");
        }
        return Ok((k.into_bytes(), None));
    }
    if file.exists() {
        let k = std::fs::read_to_string(file)
            .with_context(|| format!("读取审计密钥文件 {}", file.display()))?;
        return Ok((k.trim().as_bytes().to_vec(), None));
    }
    let k = keyproj_service::random_token();
    std::fs::write(file, &k).with_context(|| format!("写入审计密钥文件 {}", file.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
    }
    eprintln!(
        "已生成审计密钥文件 {}（请与数据库一同备份，丢失后审计链无法校验）",
        file.display()
    );
    Ok((k.into_bytes(), Some(file.to_path_buf())))
}

pub(crate) fn settings(cli: &Cli, bind_flag: Option<&String>) -> Result<Settings> {
    let file: FileConfig = match &cli.config {
        Some(p) => toml::from_str(
            &std::fs::read_to_string(p).with_context(|| format!("读取配置文件 {}", p.display()))?,
        )
        .with_context(|| format!("配置文件 {} 格式有误", p.display()))?,
        None => FileConfig::default(),
    };
    let database_url = cli
        .database_url
        .clone()
        .or(file.database_url)
        .unwrap_or_else(|| "sqlite://keyproj.db".into());
    let bind = bind_flag
        .cloned()
        .or(file.bind)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let region = RegionCode::parse(
        &env_or("KEYPROJ_REGION", file.region).unwrap_or_else(|| "430922".into()),
    )
    .map_err(|e| anyhow::anyhow!(e.message))?;
    let key_file = env_or("KEYPROJ_AUDIT_KEY_FILE", file.audit_key_file)
        .unwrap_or_else(|| PathBuf::from("keyproj-audit.key"));
    let anchor_file = env_or("KEYPROJ_AUDIT_ANCHOR_FILE", file.audit_anchor_file)
        .unwrap_or_else(|| key_file.with_extension("anchors"));
    let (key, new_key_file) = audit_key(&key_file)?;
    let mut cfg = Config {
        default_region: region,
        audit_key: key,
        audit_anchor_file: Some(anchor_file),
        ..Config::default()
    };
    if let Some(d) = env_or("KEYPROJ_FILES_DIR", file.files_dir) {
        cfg.files_dir = d;
    }
    if let Some(url) = env_or("KEYPROJ_WEBHOOK_URL", file.webhook_url).filter(|u| !u.is_empty()) {
        let secret = env_or("KEYPROJ_WEBHOOK_SECRET", file.webhook_secret)
            .filter(|s| s.len() >= 16)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "已配置 webhook，但 KEYPROJ_WEBHOOK_SECRET 缺少或太短（至少16个字符）"
                )
            })?;
        cfg.webhook = Some(keyproj_service::WebhookConfig { url, secret });
    }
    if let Some(endpoint) = env_or("KEYPROJ_S3_ENDPOINT", file.s3_endpoint) {
        let need = |key: &str, v: Option<String>| {
            v.filter(|v| !v.is_empty())
                .ok_or_else(|| anyhow::anyhow!("已配置 S3 存储，但缺少 {key}"))
        };
        cfg.s3 = Some(keyproj_service::S3Config {
            endpoint,
            bucket: need(
                "KEYPROJ_S3_BUCKET",
                env_or("KEYPROJ_S3_BUCKET", file.s3_bucket),
            )?,
            region: env_or("KEYPROJ_S3_REGION", file.s3_region)
                .unwrap_or_else(|| "us-east-1".into()),
            access_key_id: need(
                "KEYPROJ_S3_ACCESS_KEY_ID",
                env_or("KEYPROJ_S3_ACCESS_KEY_ID", file.s3_access_key_id),
            )?,
            secret_access_key: need(
                "KEYPROJ_S3_SECRET_ACCESS_KEY",
                env_or("KEYPROJ_S3_SECRET_ACCESS_KEY", file.s3_secret_access_key),
            )?,
        });
    }
    if let Some(m) = env_or("KEYPROJ_SESSION_IDLE_MINUTES", file.session_idle_minutes) {
        cfg.session.idle = chrono::Duration::minutes(m);
    }
    if let Some(h) = env_or(
        "KEYPROJ_SESSION_ABSOLUTE_HOURS",
        file.session_absolute_hours,
    ) {
        cfg.session.absolute = chrono::Duration::hours(h);
    }
    if let Some(n) = env_or("KEYPROJ_PASSWORD_MIN_LENGTH", file.password_min_length) {
        cfg.password.min_length = n.max(8);
    }
    if let Some(n) = env_or("KEYPROJ_MAX_FAILED_LOGINS", file.max_failed_logins) {
        cfg.session.max_failed_logins = n.max(1);
    }
    if let Some(m) = env_or("KEYPROJ_LOCKOUT_MINUTES", file.lockout_minutes) {
        cfg.session.lockout = chrono::Duration::minutes(m);
    }
    if let Some(m) = env_or("KEYPROJ_BOARD_DELAY_MINUTES", file.board_delay_minutes) {
        cfg.board_delay_minutes = m.clamp(0, 7 * 24 * 60);
    }
    if let Some(m) = env_or("KEYPROJ_NOT_MOVING_MONTHS", file.not_moving_months) {
        cfg.not_moving_months = m.clamp(1, 60);
    }
    if let Some(b) = env_or("KEYPROJ_BOARD_ASSESSMENT", file.board_assessment) {
        cfg.board_assessment = b;
    }
    if let Some(u) = env_or("KEYPROJ_PUBLIC_URL", file.public_url.clone()) {
        let u = u.trim().trim_end_matches('/').to_string();
        if !(u.starts_with("http://") || u.starts_with("https://"))
            || u.contains(char::is_whitespace)
        {
            anyhow::bail!(
                "KEYPROJ_PUBLIC_URL 应为 http:// 或 https:// 开头的地址，例如 https://zdxm.example.gov.cn"
            );
        }
        cfg.public_url = Some(u);
    }
    Ok(Settings {
        database_url,
        bind,
        db_opts: DbOptions {
            max_connections: env_or("KEYPROJ_MAX_CONNECTIONS", file.max_connections).unwrap_or(10),
        },
        cfg,
        secure_cookies: env_or("KEYPROJ_SECURE_COOKIES", file.secure_cookies).unwrap_or(false),
        trust_proxy: env_or("KEYPROJ_TRUST_PROXY", file.trust_proxy).unwrap_or(false),
        new_key_file,
    })
}

pub(crate) async fn open(s: &Settings) -> Result<App> {
    let db = Db::connect(&s.database_url, &s.db_opts)
        .await
        .with_context(|| format!("连接数据库 {}", keyproj_db::redact(&s.database_url)))?;
    db.migrate().await.context("数据库迁移")?;
    if let Some(file) = &s.new_key_file {
        let mut tx = db.begin_read().await?;
        let rows = keyproj_db::schema::row_count(&mut tx, "audit_log").await?;
        drop(tx);
        if rows > 0 {
            let _ = std::fs::remove_file(file);
            bail!(
                "数据库已有审计记录，但找不到它的审计密钥文件 {}：请在服务运行的目录执行命令，或用 KEYPROJ_AUDIT_KEY_FILE（或 KEYPROJ_AUDIT_KEY）指向原来的密钥。刚生成的密钥已删除，未写入任何记录。",
                file.display()
            );
        }
    }
    db.optimize().await.context("更新查询统计信息")?;
    Ok(App::new(db, s.cfg.clone()))
}

//! The binary end to end on a SQLite file: migrate, demo, backup, audit verify on the copy.

use std::process::Command;

fn keyproj(dir: &std::path::Path, db: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_keyproj"))
        .current_dir(dir)
        .env("KEYPROJ_DATABASE_URL", db)
        .env("KEYPROJ_AUDIT_KEY", "cli-test-audit-key-0123456789")
        .env("KEYPROJ_LOG", "error")
        .args(args)
        .output()
        .expect("run keyproj")
}

#[test]
fn demo_backup_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("k.db").display());
    let out = keyproj(dir.path(), &db, &["demo"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for user in [
        "admin", "secadmin", "auditor", "staff", "leader", "unit", "owner",
    ] {
        assert!(text.contains(user), "demo prints the {user} account");
    }
    // a second demo into the same database is refused
    assert!(!keyproj(dir.path(), &db, &["demo"]).status.success());

    let backup = dir.path().join("backup.db");
    let out = keyproj(dir.path(), &db, &["backup", backup.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let copy = format!("sqlite://{}", backup.display());
    let out = keyproj(dir.path(), &copy, &["audit", "verify"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("校验通过"), "{text}");
    let out = keyproj(dir.path(), &copy, &["user", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("staff"));
    // a city is set up from the command line: its parent must exist first
    let out = keyproj(
        dir.path(),
        &db,
        &["region", "add", "431102", "--name", "娄星区"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("上级行政区划 4311 尚未建立"));
    let out = keyproj(
        dir.path(),
        &db,
        &["region", "add", "431100", "--name", "娄底市"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = keyproj(
        dir.path(),
        &db,
        &["region", "add", "431102", "--name", "娄星区"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = keyproj(dir.path(), &db, &["region", "list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("4311\t娄底市\t43") && text.contains("431102\t娄星区\t4311"),
        "{text}"
    );
    // a wrong key cannot verify the chain
    let out = Command::new(env!("CARGO_BIN_EXE_keyproj"))
        .current_dir(dir.path())
        .env("KEYPROJ_DATABASE_URL", &copy)
        .env("KEYPROJ_AUDIT_KEY", "another-key-that-is-long-enough")
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `keyproj copy` moves the demo county to another database (PostgreSQL when configured),
/// and the audit chain still verifies there with the same key.
#[tokio::test(flavor = "multi_thread")]
async fn copy_to_another_database_keeps_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let src = format!("sqlite://{}", dir.path().join("src.db").display());
    assert!(keyproj(dir.path(), &src, &["demo"]).status.success());
    let target = match keyproj_db::testing::TestDb::postgres().await {
        Some(pg) => pg,
        None => keyproj_db::testing::TestDb::sqlite().await,
    };
    let out = keyproj(
        dir.path(),
        &src,
        &["copy", "--from", &src, "--to", &target.url],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("projects"));
    let out = keyproj(dir.path(), &target.url, &["audit", "verify"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("校验通过"), "{text}");
    let mut tx = target.db.begin_read().await.unwrap();
    assert_eq!(
        keyproj_db::repo::projects::count_all(&mut tx)
            .await
            .unwrap(),
        // 120 in the 2022 library and the 28 signings that reached the threshold
        148
    );
}

/// The benchmark dataset: every project lands in one of 122 counties below 湖南省, and a
/// province account can be made and given a token from the command line.
#[tokio::test(flavor = "multi_thread")]
async fn generate_a_province() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("p.db").display());
    let out = keyproj(dir.path(), &db, &["generate", "--projects", "300"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("122 个县的 300 个项目"));
    let out = keyproj(
        dir.path(),
        &db,
        &[
            "user",
            "add",
            "prov",
            "--name",
            "省级",
            "--unit",
            "湖南省重点项目建设办公室",
            "--region",
            "43",
            "--roles",
            "center_staff",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = keyproj(
        dir.path(),
        &db,
        &[
            "user",
            "passwd",
            "prov",
            "--password",
            "Sheng-Ji-Qiao-Zishui-9",
        ],
    );
    assert!(out.status.success());
    let out = keyproj(dir.path(), &db, &["user", "token", "prov"]);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .starts_with("kp_")
    );
    let db = keyproj_db::Db::connect(&db, &Default::default())
        .await
        .unwrap();
    let mut tx = db.begin_read().await.unwrap();
    let f = keyproj_db::repo::projects::ProjectFilter::new(
        keyproj_domain::authz::ListScope::Region(keyproj_domain::RegionCode::parse("43").unwrap()),
    );
    assert_eq!(
        keyproj_db::repo::projects::list(&mut tx, &f)
            .await
            .unwrap()
            .1
            .count,
        300
    );
    let county =
        keyproj_db::repo::projects::ProjectFilter::new(keyproj_domain::authz::ListScope::Region(
            keyproj_domain::RegionCode::parse("430922").unwrap(),
        ));
    assert!(
        keyproj_db::repo::projects::list(&mut tx, &county)
            .await
            .unwrap()
            .1
            .count
            > 0
    );
}

/// A 7 KB workbook that declares 100 billion shared strings once aborted the process
/// ("memory allocation of 2400000000000 bytes failed", exit 134): now it is refused in Chinese.
/// And a token is not issued to an account that must still change its password.
#[test]
fn a_hostile_workbook_is_refused_and_tokens_need_a_changed_password() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("k.db").display());
    assert!(keyproj(dir.path(), &db, &["demo"]).status.success());
    let template = dir.path().join("template.xlsx");
    assert!(
        keyproj(dir.path(), &db, &["template", template.to_str().unwrap()])
            .status
            .success()
    );
    let mut zin = zip::ZipArchive::new(std::fs::File::open(&template).unwrap()).unwrap();
    let bomb = dir.path().join("bomb.xlsx");
    {
        let mut zout = zip::ZipWriter::new(std::fs::File::create(&bomb).unwrap());
        for i in 0..zin.len() {
            let mut f = zin.by_index(i).unwrap();
            let name = f.name().unwrap().to_string();
            let mut text = String::new();
            f.read_to_string(&mut text).unwrap();
            if name == "xl/sharedStrings.xml" {
                text = text.replacen("uniqueCount=\"", "uniqueCount=\"100000000000\" x=\"", 1);
            }
            zout.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zout.write_all(text.as_bytes()).unwrap();
        }
        zout.finish().unwrap();
    }
    assert!(std::fs::metadata(&bomb).unwrap().len() < 10_000);
    let out = keyproj(dir.path(), &db, &["import", bomb.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "an error exit, not a signal");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("共享字符串数超过上限"), "{err}");

    // the demo accounts must change their one-time passwords first
    let out = keyproj(dir.path(), &db, &["user", "token", "staff"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("尚未修改初始密码"), "{err}");
}

/// A command run from another directory, where the audit key file is not, must not sign the
/// chain with a new key: it is refused, and the key it would have made is removed.
#[test]
fn another_directory_without_the_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("k.db").display());
    let run = |cwd: &std::path::Path, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_keyproj"))
            .current_dir(cwd)
            .env("KEYPROJ_DATABASE_URL", &db)
            .env_remove("KEYPROJ_AUDIT_KEY")
            .env("KEYPROJ_LOG", "error")
            .args(args)
            .output()
            .expect("run keyproj")
    };
    let out = run(dir.path(), &["demo"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("keyproj-audit.key").exists());
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let out = run(
        &elsewhere,
        &[
            "user",
            "passwd",
            "staff",
            "--password",
            "Another-Pass-2026!",
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("找不到它的审计密钥文件"), "{err}");
    assert!(
        !elsewhere.join("keyproj-audit.key").exists(),
        "the new key is removed"
    );
    // the chain is intact when verified where the key is
    let out = run(dir.path(), &["audit", "verify"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("校验通过"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

//! The release binary lays out first, and together, the functions a server runs: its start, a
//! sign-in, the everyday pages and writes (`code-order.txt`, written by `scripts/code-order`).
//!
//! Why: the kernel maps a program's code 64 KiB around every page it first runs. Link-time
//! optimisation scatters the few MiB a server runs over all 26 MiB of the binary, so the server
//! held 15–21 MiB of its own code resident, half its memory, and how much moved with each
//! build's layout (BENCHMARKS.md, eleventh and twelfth passes). Laid out together they take a
//! few MiB.
//!
//! Only the release build of Linux x86-64, whose linker is LLD (Rust's default there since
//! 1.90; this workspace needs 1.94): other targets and linkers link as before. Names the list
//! no longer finds are passed over, so a stale list lays out less well but never fails a build.
//! `KEYPROJ_CODE_ORDER=0` in the environment links without it.

fn main() {
    println!("cargo:rerun-if-changed=code-order.txt");
    println!("cargo:rerun-if-env-changed=KEYPROJ_CODE_ORDER");
    let env = |name: &str| std::env::var(name).unwrap_or_default();
    let wanted = env("PROFILE") == "release"
        && env("TARGET") == "x86_64-unknown-linux-gnu"
        && env("KEYPROJ_CODE_ORDER") != "0"
        // a linker of one's own (RUSTFLAGS `-C linker=…`) may not be LLD
        && !env("CARGO_ENCODED_RUSTFLAGS").contains("linker");
    let list = std::path::Path::new(&env("CARGO_MANIFEST_DIR")).join("code-order.txt");
    if wanted && list.is_file() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={},--no-warn-symbol-ordering",
            list.display()
        );
    }
}

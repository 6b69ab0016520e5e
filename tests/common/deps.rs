//! Where the test inputs from outside the repository are: OpenSSL's CLI test tables (the corpora `30`,
//! `latest` and `40`, with their `Mock/` PKI) and the OpenSSL 3.5 and 4.0 binaries. All of them come
//! from `scripts/fetch-deps` (pinned by `scripts/deps.lock`, cached under `target/rcmp-deps`, offline
//! after the first run; its override variables such as `RCMP_CORPORA` work here too).
//!
//! Standard library only, so the library's unit tests and the bench crate can include this file with
//! `#[path]` as well. Nothing here skips: an input that cannot be had panics with the one line
//! `scripts/fetch-deps` printed about it.

#![allow(dead_code)] // each includer uses a different part

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// The repository's `scripts/fetch-deps`, found above the including crate (the bench crate sits deeper).
fn fetch_script() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|d| d.join("scripts/fetch-deps"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "HARNESS: scripts/fetch-deps not found above {}",
                manifest.display()
            )
        })
}

/// `scripts/fetch-deps ARGS`, once per argument list and process: the path it prints.
fn fetch(args: &[&str]) -> PathBuf {
    static DONE: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let key = args.join(" ");
    let done = DONE.get_or_init(|| Mutex::new(HashMap::new()));
    // Held across the fetch: parallel tests asking for the same item wait for the first one.
    let mut done = done.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = done.get(&key) {
        return p.clone();
    }
    let script = fetch_script();
    let out = Command::new("python3")
        .arg(&script)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "HARNESS: cannot run python3 {} ({e}); the tests need python3 (Debian: apt-get install python3)",
                script.display()
            )
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let path = stdout.lines().last().unwrap_or("").trim();
    if !out.status.success() || path.is_empty() {
        panic!(
            "HARNESS: scripts/fetch-deps {key} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let path = PathBuf::from(path);
    done.insert(key, path.clone());
    path
}

/// A corpus folder (`30`, `latest` or `40`): the CSV tables and `Mock/`.
pub fn corpus_dir(name: &str) -> PathBuf {
    fetch(&["corpus", name])
}

/// The `Mock/` folder of a corpus: `corpus` is "30", "latest", "40" or a path to a corpus folder.
pub fn corpus_mock_dir(corpus: &str) -> PathBuf {
    let base = match corpus {
        "30" | "latest" | "40" => corpus_dir(corpus),
        _ => PathBuf::from(corpus),
    };
    let mock = base.join("Mock");
    assert!(
        mock.join("server.cnf").is_file(),
        "HARNESS: no Mock/server.cnf in corpus {}",
        base.display()
    );
    mock
}

/// An executable `openssl` of OpenSSL `release` ("3.5" or "4.0"), already checked to report it.
pub fn openssl_release(release: &str) -> PathBuf {
    fetch(&["openssl", release])
}

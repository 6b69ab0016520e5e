//! The random state options `-rand` and `-writerand`, side by side with the real `openssl cmp`:
//! same exit status, same first line of a failure, same file written (1024 bytes, owner-only), in the
//! same cases (also after a failure, and with `-help`).

use crate::common;
use common::*;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

fn both() -> [(&'static str, Command); 2] {
    let mut o = openssl();
    o.arg("cmp");
    [("openssl", o), ("rcmp", rcmp())]
}

fn run_with(mut cmd: Command, args: &[&str]) -> Output {
    cmd.args(["-config", ""]).args(args);
    run(&mut cmd)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_rand_file(path: &Path, what: &str) {
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("{what}: no file: {e}"));
    assert_eq!(meta.len(), 1024, "{what}: size");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{what}: mode");
}

#[test]
fn unreadable_rand_file_stops_the_run_first() {
    for (name, cmd) in both() {
        // Checked before anything else: -cmd foo would be the next error.
        let out = run_with(
            cmd,
            &["-rand", "/etc/hostname:/nonexistent/seed", "-cmd", "foo"],
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert_eq!(
            err.lines().next(),
            Some("Can't load /nonexistent/seed into RNG"),
            "{name}: {err}"
        );
        assert!(
            !err.contains("foo"),
            "{name}: the -cmd check came first: {err}"
        );
    }
}

#[test]
fn readable_rand_files_are_accepted() {
    for (name, cmd) in both() {
        // Regular file and device; the run then fails for want of a server, as without -rand.
        let out = run_with(
            cmd,
            &["-rand", "/etc/hostname:/dev/urandom", "-cmd", "genm"],
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(!err.contains("RNG"), "{name}: {err}");
        assert!(
            err.contains("missing -server or -use_mock_srv or -rspin option"),
            "{name}: {err}"
        );
    }
}

#[test]
fn writerand_is_written_whatever_the_outcome() {
    let dir = tempfile::tempdir().unwrap();
    for (name, cmd) in both() {
        // A failing run, and -help.
        let f = dir.path().join(format!("{name}-fail.rnd"));
        let out = run_with(cmd, &["-writerand", f.to_str().unwrap(), "-cmd", "genm"]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert_rand_file(&f, &format!("{name} after a failure"));
    }
    for (name, cmd) in both() {
        // An existing world-readable file is replaced and made owner-only.
        let f = dir.path().join(format!("{name}-help.rnd"));
        std::fs::write(&f, b"old").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = run_with(cmd, &["-writerand", f.to_str().unwrap(), "-help"]);
        assert_eq!(out.status.code(), Some(0), "{name}");
        assert_rand_file(&f, &format!("{name} with -help"));
    }
    let a = std::fs::read(dir.path().join("rcmp-fail.rnd")).unwrap();
    let b = std::fs::read(dir.path().join("rcmp-help.rnd")).unwrap();
    assert_ne!(a, b, "fresh random bytes each time");
}

#[test]
fn unwritable_writerand_fails_the_run() {
    for (name, cmd) in both() {
        let out = run_with(cmd, &["-writerand", "/nonexistent-dir/seed.rnd", "-help"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains("Cannot write random bytes:"), "{name}: {err}");
    }
}

#[test]
fn writerand_before_a_usage_error_is_still_written() {
    let dir = tempfile::tempdir().unwrap();
    for (name, cmd) in both() {
        let f = dir.path().join(format!("{name}-usage.rnd"));
        let out = run_with(cmd, &["-writerand", f.to_str().unwrap(), "-no_such_option"]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert_rand_file(&f, &format!("{name} before a usage error"));
    }
    for (name, cmd) in both() {
        // After the bad argument it is never read, so nothing is written.
        let f = dir.path().join(format!("{name}-after.rnd"));
        let out = run_with(cmd, &["-no_such_option", "-writerand", f.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert!(!f.exists(), "{name}: written although never parsed");
    }
}

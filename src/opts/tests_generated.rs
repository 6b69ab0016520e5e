//! The files generated from the option table (man page, shell completions) are committed; these tests
//! fail when one of them no longer matches what the table gives, and check that they work: bash really
//! completes option names and values, the man page has every option. `--version` is checked here too
//! (docs/DEVIATIONS.md D10).
//!
//! After changing the table, regenerate with `RCMP_REGENERATE=1 cargo test --lib opts::tests_generated`.

use crate::testutil as common;

use crate::opts::{self, completion, man, Kind, Opt, OPTIONS};
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Compare a committed file with its generated text; with RCMP_REGENERATE=1 write it instead.
fn check_current(rel: &str, text: &str) {
    let path = repo(rel);
    if std::env::var_os("RCMP_REGENERATE").is_some_and(|v| v == "1") {
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{rel} is stale: it does not match what src/opts generates from the option table; \
         run `RCMP_REGENERATE=1 cargo test --lib opts::tests_generated` and commit the result"
    );
}

#[test]
fn man_page_is_current() {
    check_current("docs/rcmp.1", &man::man_page());
}

#[test]
fn completions_are_current() {
    check_current("completions/rcmp.bash", &completion::bash());
    check_current("completions/_rcmp", &completion::zsh());
    check_current("completions/rcmp.fish", &completion::fish());
}

#[test]
fn man_page_lists_every_option_in_help_order() {
    let page = man::man_page();
    let mut at = 0;
    for o in OPTIONS {
        let head = match o.kind {
            Kind::Flag => format!("\n.B \\-{}\n", o.name.replace('-', "\\-")),
            _ => format!("\n.BI \\-{} ", o.name.replace('-', "\\-")),
        };
        let found = page[at..]
            .find(&head)
            .unwrap_or_else(|| panic!("-{} missing or out of order in the man page", o.name));
        at += found + head.len();
    }
    for section in [
        ".SH ENVIRONMENT",
        ".SH EXIT STATUS",
        ".SH CONFIGURATION FILE",
        ".SH MOCK SERVER",
        ".SS \"Mock server options\"",
        "RCMP_COMPAT",
        "OPENSSL_CONF",
    ] {
        assert!(page.contains(section), "man page lacks {section}");
    }
}

/// Run the committed bash completion for the words typed so far (the last one is being completed).
fn bash_complete(words: &[&str]) -> Vec<String> {
    let script = repo("completions/rcmp.bash");
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let prog = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; _rcmp; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        words.len() - 1
    );
    let mut cmd = Command::new("bash");
    cmd.args(["--norc", "--noprofile", "-c", &prog]);
    let out = run_ok(&mut cmd);
    let mut got: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    got.sort();
    got
}

#[test]
fn bash_completes_names_and_values() {
    assert_eq!(bash_complete(&["rcmp", "-sec"]), ["-secret", "-section"]);
    assert_eq!(bash_complete(&["rcmp", "--vers"]), ["--version"]);
    assert!(bash_complete(&["rcmp", "-cmd", "ir", "--vers"]).is_empty());
    assert_eq!(
        bash_complete(&["rcmp", "-cmd", ""]),
        ["cr", "genm", "ir", "kur", "p10cr", "rr"]
    );
    assert_eq!(
        bash_complete(&["rcmp", "-infotype", "root"]),
        ["rootCaCert", "rootCaKeyUpdate"]
    );
    // A file option offers files, a free-text option nothing.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("cert-for-completion.pem");
    std::fs::write(&file, "x").expect("write");
    let prefix = dir.path().join("cert-for").to_string_lossy().into_owned();
    assert_eq!(
        bash_complete(&["rcmp", "-certout", &prefix]),
        [file.to_string_lossy()]
    );
    assert!(bash_complete(&["rcmp", "-server", "loc"]).is_empty());
}

/// Every `-cmd` value the completions offer is one rcmp accepts: the run gets past the command check
/// (and stops at the next missing option, the protection), while a word not in the list is refused as unknown.
#[test]
fn offered_cmd_values_are_accepted() {
    for cmd in opts::CMD_VALUES {
        let out = run_fail(rcmp().args(["-config", "", "-server", "127.0.0.1:1", "-cmd", cmd]));
        let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
        assert!(!text.contains("unknown cmp command"), "-cmd {cmd}: {text}");
    }
    let out = run_fail(rcmp().args(["-config", "", "-server", "127.0.0.1:1", "-cmd", "xyz"]));
    let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("unknown cmp command 'xyz'"), "{text}");
    assert_eq!(Opt::Cmd.choices(), opts::CMD_VALUES);
}

/// `rcmp --version` as the only argument: version and imitated release on stdout, exit 0. With other
/// arguments, or as `-version`, it stays the usage error `openssl cmp` gives.
#[test]
fn version_only_as_sole_argument() {
    let out = run_ok(rcmp().arg("--version").env_remove("RCMP_COMPAT"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "rcmp {} (openssl cmp of OpenSSL 3.5)\n",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert!(out.stderr.is_empty());
    let out = run_ok(rcmp().arg("--version").env("RCMP_COMPAT", "4.0"));
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("(openssl cmp of OpenSSL 4.0)\n"));
    let out = run_fail(rcmp().arg("--version").env("RCMP_COMPAT", "2.9"));
    let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("unknown RCMP_COMPAT value '2.9'"), "{text}");
    for args in [&["-version"][..], &["--version", "-config", ""][..]] {
        let out = run_fail(rcmp().args(args));
        assert_eq!(out.status.code(), Some(1));
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .starts_with("cmp: Unknown option: -version\ncmp: Use -help for summary.\n"),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
